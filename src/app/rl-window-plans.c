/* rl-window-plans.c — the main window's rank plan controls (uniform,
 * per-layer, energy threshold, parameter budget), the "Layer ranks"
 * readout, the fine-tuning row, the Pareto chart and opening experiment
 * files. Everything here observes the session; nothing computes. */

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "rl-window-private.h"

/* The study's published figures (paper plan, ranks 1…100). */
static const double study_params[]   = { 6192, 23736, 45666, 66266, 86866, 107466, 210466, 416466 };
static const double study_accuracy[] = { 0.0974, 0.2154, 0.6888, 0.8707, 0.9502, 0.9651, 0.9710, 0.9716 };

static const char *kind_pages[] = { "uniform", "per-layer", "energy", "budget" };

/* ---------------------------------------------------------- plan kind */

static GtkToggleButton *
kind_toggle (RlWindow             *self,
             RlExperimentPlanKind  kind)
{
  switch (kind)
    {
    case RL_EXPERIMENT_PER_LAYER: return self->per_layer_toggle;
    case RL_EXPERIMENT_ENERGY:    return self->energy_toggle;
    case RL_EXPERIMENT_BUDGET:    return self->budget_toggle;
    case RL_EXPERIMENT_UNIFORM:
    default:                      return self->uniform_toggle;
    }
}

static void
kind_toggled_cb (GtkToggleButton *toggle,
                 RlWindow        *self)
{
  if (self->syncing_plan || !gtk_toggle_button_get_active (toggle))
    return;
  rl_session_set_plan_kind (self->session,
                            GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (toggle), "rl-kind")));
}

static void
session_kind_cb (RlWindow   *self,
                 GParamSpec *pspec,
                 RlSession  *session)
{
  RlExperimentPlanKind kind = rl_session_get_plan_kind (session);

  self->syncing_plan = TRUE;
  gtk_toggle_button_set_active (kind_toggle (self, kind), TRUE);
  self->syncing_plan = FALSE;
  gtk_stack_set_visible_child_name (self->plan_stack, kind_pages[MIN (kind, 3)]);
  _rl_window_update_actions (self);
}

/* --------------------------------------------------- per-layer ranks */

static void
layer_spin_changed_cb (GtkSpinButton *spin,
                       RlWindow      *self)
{
  if (self->syncing_plan)
    return;
  rl_session_set_layer_rank (self->session,
                             GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (spin), "rl-layer")),
                             (guint) gtk_spin_button_get_value_as_int (spin));
}

static void
sync_layer_spins (RlWindow *self)
{
  self->syncing_plan = TRUE;
  for (guint i = 0; i < self->n_layer_spins; i++)
    {
      double v = rl_session_get_layer_rank (self->session, i);

      if (gtk_spin_button_get_value (self->layer_spins[i]) != v)
        gtk_spin_button_set_value (self->layer_spins[i], v);
    }
  self->syncing_plan = FALSE;
}

/* One "Layer N" caption and spin button per layer of the model. */
static void
rebuild_layer_spins (RlWindow *self)
{
  const RlModel *dense = rl_session_get_dense (self->session);
  guint n = MIN (rl_session_get_n_layers (self->session), G_N_ELEMENTS (self->layer_spins));
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->layer_ranks_box))) != NULL)
    gtk_box_remove (self->layer_ranks_box, child);
  self->n_layer_spins = 0;
  if (dense == NULL)
    return;

  for (guint i = 0; i < n; i++)
    {
      const RlLayer *l = &dense->layers[i];
      guint k = rl_session_get_layer_max_rank (self->session, i);
      /* Translators: a short caption before one layer's rank, e.g. "Layer 2" */
      g_autofree char *caption = g_strdup_printf (_("Layer %u"), i + 1);
      /* Translators: the accessible name of one layer's rank control */
      g_autofree char *name = g_strdup_printf (_("Rank of layer %u"), i + 1);
      /* Translators: tooltip; the layer's shape and its largest rank */
      g_autofree char *tip = g_strdup_printf (_("Layer %u is %u×%u: rank 1 to %u"), i + 1,
                                              l->in, l->out, k);
      GtkWidget *label = gtk_label_new (caption);
      GtkWidget *spin = gtk_spin_button_new_with_range (1, k, 1);

      gtk_widget_set_margin_start (label, i > 0 ? 6 : 0);
      gtk_widget_set_tooltip_text (label, tip);
      gtk_widget_set_tooltip_text (spin, tip);
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), rl_session_get_layer_rank (self->session, i));
      gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      g_object_set_data (G_OBJECT (spin), "rl-layer", GUINT_TO_POINTER (i));
      g_signal_connect (spin, "value-changed", G_CALLBACK (layer_spin_changed_cb), self);
      gtk_box_append (self->layer_ranks_box, label);
      gtk_box_append (self->layer_ranks_box, spin);
      self->layer_spins[i] = GTK_SPIN_BUTTON (spin);
      self->n_layer_spins++;
    }
}

static void
session_has_model_cb (RlWindow   *self,
                      GParamSpec *pspec,
                      RlSession  *session)
{
  rebuild_layer_spins (self);
}

/* "38 / 16 / 12 / skipped (dense)" */
static void
update_layer_ranks (RlWindow *self)
{
  const RlPlan *plan = rl_session_get_plan (self->session);
  g_autoptr(GString) text = NULL;

  if (plan == NULL)
    {
      gboolean searching = rl_session_get_budget_running (self->session);

      gtk_label_set_text (self->layer_ranks_value,
                          searching ? _("searching…") : "–");
      return;
    }
  text = g_string_new (NULL);
  for (guint i = 0; i < plan->n_layers; i++)
    {
      if (i > 0)
        g_string_append (text, " / ");
      if (plan->ranks[i] == 0)
        /* Translators: a layer left dense because factoring would enlarge it */
        g_string_append (text, _("skipped (dense)"));
      else
        g_string_append_printf (text, "%u", plan->ranks[i]);
    }
  gtk_label_set_text (self->layer_ranks_value, text->str);
}

static void
session_plan_changed_cb (RlWindow  *self,
                         RlSession *session)
{
  sync_layer_spins (self);
  update_layer_ranks (self);
  _rl_window_update_actions (self);
}

static void
session_budget_running_cb (RlWindow   *self,
                           GParamSpec *pspec,
                           RlSession  *session)
{
  gboolean running = rl_session_get_budget_running (session);

  gtk_spinner_set_spinning (self->budget_spinner, running);
  gtk_widget_set_visible (GTK_WIDGET (self->budget_spinner), running);
  gtk_widget_set_visible (self->cancel_budget_button, running);
  update_layer_ranks (self);
  _rl_window_update_actions (self);
}

/* ------------------------------------------------- energy and budget */

static gboolean
fraction_to_percent (GBinding     *binding,
                     const GValue *from,
                     GValue       *to,
                     gpointer      user_data)
{
  g_value_set_double (to, 100.0 * g_value_get_double (from));
  return TRUE;
}

static gboolean
percent_to_fraction (GBinding     *binding,
                     const GValue *from,
                     GValue       *to,
                     gpointer      user_data)
{
  g_value_set_double (to, g_value_get_double (from) / 100.0);
  return TRUE;
}

static gboolean
uint64_to_double (GBinding     *binding,
                  const GValue *from,
                  GValue       *to,
                  gpointer      user_data)
{
  g_value_set_double (to, (double) g_value_get_uint64 (from));
  return TRUE;
}

static gboolean
double_to_uint64 (GBinding     *binding,
                  const GValue *from,
                  GValue       *to,
                  gpointer      user_data)
{
  double v = g_value_get_double (from);

  if (!(v >= 1))
    return FALSE;
  g_value_set_uint64 (to, (guint64) (v + 0.5));
  return TRUE;
}

/* ------------------------------------------------------- fine-tuning */

static void
session_finetune_progress_cb (RlWindow  *self,
                              gpointer   data,
                              RlSession *session)
{
  const RlTrainProgress *p = data;
  double total = (double) p->epochs * MAX (1u, p->steps);
  double done = (double) (p->epoch > 0 ? p->epoch - 1 : 0) * p->steps + p->step;
  g_autofree char *left = _rl_window_format_duration (p->eta_s);
  /* Translators: fine-tuning progress, "epoch 1 of 3" */
  g_autofree char *text = g_strdup_printf (_("Epoch %u of %u"), p->epoch, p->epochs);

  gtk_progress_bar_set_fraction (self->finetune_bar, total > 0 ? CLAMP (done / total, 0, 1) : 0);
  gtk_progress_bar_set_text (self->finetune_bar, text);
  gtk_label_set_text (self->finetune_time_value, left != NULL ? left : "–");
}

static void
update_finetune (RlWindow *self)
{
  double before, after;
  const RlModel *model = rl_session_get_finetuned (self->session, NULL, &before, &after, NULL);
  g_autofree char *b = _rl_window_format_accuracy (before);
  g_autofree char *a = _rl_window_format_accuracy (after);

  if (rl_session_get_finetuning (self->session))
    gtk_stack_set_visible_child_name (self->finetune_stack, "running");
  else if (model != NULL)
    gtk_stack_set_visible_child_name (self->finetune_stack, "done");
  else
    gtk_stack_set_visible_child_name (self->finetune_stack, "idle");
  gtk_label_set_text (self->finetune_before_value, b != NULL ? b : "–");
  gtk_label_set_text (self->finetune_after_value, a != NULL ? a : "–");
  _rl_window_update_actions (self);
}

static void
session_finetuning_cb (RlWindow   *self,
                       GParamSpec *pspec,
                       RlSession  *session)
{
  if (rl_session_get_finetuning (session))
    {
      gtk_progress_bar_set_fraction (self->finetune_bar, 0);
      gtk_progress_bar_set_text (self->finetune_bar, _("Loading the training images…"));
      gtk_label_set_text (self->finetune_time_value, "–");
    }
  update_finetune (self);
}

/* ------------------------------------------------------ Pareto chart */

static void
points_xy (GArray  *points,
           double **x,
           double **y,
           guint   *n)
{
  *n = points != NULL ? points->len : 0;
  *x = g_new (double, MAX (1u, *n));
  *y = g_new (double, MAX (1u, *n));
  for (guint i = 0; i < *n; i++)
    {
      const RlPlanPoint *p = &g_array_index (points, RlPlanPoint, i);

      (*x)[i] = (double) p->params;
      (*y)[i] = p->accuracy;
    }
}

void
_rl_window_update_pareto (RlWindow *self)
{
  GArray *rows = rl_session_get_sweep (self->session);
  g_autofree double *ux = NULL, *uy = NULL, *ex = NULL, *ey = NULL, *bx = NULL, *by = NULL;
  guint un = 0, en, bn;

  if (rows != NULL && rows->len > 1)
    {
      un = rows->len - 1;
      ux = g_new (double, un);
      uy = g_new (double, un);
      for (guint i = 0; i < un; i++)
        {
          const RlSweepRow *row = &g_array_index (rows, RlSweepRow, i + 1);

          ux[i] = (double) row->params;
          uy[i] = row->accuracy;
        }
    }
  points_xy (rl_session_get_energy_points (self->session), &ex, &ey, &en);
  points_xy (rl_session_get_budget_points (self->session), &bx, &by, &bn);

  rl_chart_view_set_x_axis (self->pareto_chart, TRUE, "params");
  rl_chart_view_set_series_name (self->pareto_chart, _("Uniform rank"));
  rl_chart_view_set_series (self->pareto_chart, _("Accuracy against size"),
                            _("Parameters (log scale)"), _("Accuracy"), ux, uy, un, FALSE, "%.2f");
  rl_chart_view_set_extra (self->pareto_chart, 0, _("Energy 50–99 %"), ex, ey, en, FALSE);
  rl_chart_view_set_extra (self->pareto_chart, 1, _("Budget plans"), bx, by, bn, TRUE);
  rl_chart_view_set_extra (self->pareto_chart, 2, _("Published (study)"), study_params,
                           study_accuracy, G_N_ELEMENTS (study_params), TRUE);
}

/* --------------------------------------------------- experiment files */

enum { RESPONSE_APPLY_HERE = 1, RESPONSE_OPEN_MODEL = 2 };

static void
experiment_dialog_response_cb (GtkDialog *dialog,
                               int        response,
                               RlWindow  *self)
{
  RlExperiment *exp = g_object_steal_data (G_OBJECT (dialog), "rl-experiment");
  g_autofree char *model = rl_experiment_model_path (exp);
  g_autoptr(GError) error = NULL;

  if (response == RESPONSE_OPEN_MODEL)
    rl_session_open_experiment_model (self->session, model, g_steal_pointer (&exp));
  else if (response == RESPONSE_APPLY_HERE &&
           !rl_session_apply_experiment (self->session, exp, &error))
    {
      g_autofree char *message =
        g_strdup_printf (_("The experiment does not fit the current model: %s"), error->message);
      _rl_window_show_error (self, message);
    }
  g_clear_pointer (&exp, rl_experiment_free);
  if (self->experiment_dialog == GTK_MESSAGE_DIALOG (dialog))
    self->experiment_dialog = NULL;
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
same_model (RlWindow           *self,
            const RlExperiment *exp,
            const char         *model)
{
  const RlModel *dense = rl_session_get_dense (self->session);
  const char *current = rl_session_get_model_path (self->session);

  if (dense == NULL)
    return FALSE;
  if (exp->model_hash != NULL)
    {
      g_autofree char *hash = rl_model_weights_hash (dense);
      return g_strcmp0 (hash, exp->model_hash) == 0;
    }
  if (current != NULL)
    {
      g_autofree char *a = g_canonicalize_filename (current, NULL);
      g_autofree char *b = g_canonicalize_filename (model, NULL);
      return g_strcmp0 (a, b) == 0;
    }
  return FALSE;
}

void
_rl_window_open_experiment (RlWindow   *self,
                            const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlExperiment) exp = rl_experiment_load (path, &error);
  g_autofree char *model = NULL;
  g_autofree char *base = NULL;
  GtkWidget *dialog;
  gboolean has_model = rl_session_get_has_model (self->session);

  if (exp == NULL)
    {
      _rl_window_show_error (self, error->message);
      return;
    }
  model = rl_experiment_model_path (exp);
  if (same_model (self, exp, model))
    {
      if (!rl_session_apply_experiment (self->session, exp, &error))
        _rl_window_show_error (self, error->message);
      return;
    }
  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *message = NULL;

      if (has_model && rl_session_apply_experiment (self->session, exp, &error))
        message = g_strdup_printf (_("The experiment’s model “%s” was not found; its plan "
                                     "was applied to the current model"), model);
      else
        message = g_strdup_printf (_("The experiment’s model “%s” was not found%s%s"), model,
                                   error != NULL ? ": " : "", error != NULL ? error->message : "");
      _rl_window_show_error (self, message);
      return;
    }

  base = g_path_get_basename (model);
  dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Open the experiment’s model?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                            _("The experiment was made with “%s”, not with the "
                                              "model shown now. Open that model and apply the "
                                              "experiment’s plan to it?"), base);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  if (has_model)
    gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Apply to Current Model"), RESPONSE_APPLY_HERE);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Open Its Model"), RESPONSE_OPEN_MODEL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), RESPONSE_OPEN_MODEL);
  g_object_set_data_full (G_OBJECT (dialog), "rl-experiment", g_steal_pointer (&exp),
                          (GDestroyNotify) rl_experiment_free);
  g_signal_connect (dialog, "response", G_CALLBACK (experiment_dialog_response_cb), self);
  if (self->experiment_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->experiment_dialog));
  self->experiment_dialog = GTK_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* -------------------------------------------------------------- setup */

void
_rl_window_class_plans_init (GtkWidgetClass *widget_class)
{
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, RlWindow, name)
  CHILD (pareto_chart);
  CHILD (plan_stack);
  CHILD (uniform_toggle);
  CHILD (per_layer_toggle);
  CHILD (energy_toggle);
  CHILD (budget_toggle);
  CHILD (layer_ranks_box);
  CHILD (energy_adjustment);
  CHILD (budget_adjustment);
  CHILD (budget_spinner);
  CHILD (cancel_budget_button);
  CHILD (layer_ranks_value);
  CHILD (epochs_adjustment);
  CHILD (finetune_stack);
  CHILD (finetune_bar);
  CHILD (finetune_time_value);
  CHILD (finetune_before_value);
  CHILD (finetune_after_value);
#undef CHILD
}

void
_rl_window_plans_init (RlWindow *self)
{
  GtkToggleButton *toggles[] = {
    self->uniform_toggle, self->per_layer_toggle, self->energy_toggle, self->budget_toggle,
  };
  static const RlExperimentPlanKind kinds[] = {
    RL_EXPERIMENT_UNIFORM, RL_EXPERIMENT_PER_LAYER, RL_EXPERIMENT_ENERGY, RL_EXPERIMENT_BUDGET,
  };

  for (guint i = 0; i < G_N_ELEMENTS (toggles); i++)
    {
      g_object_set_data (G_OBJECT (toggles[i]), "rl-kind", GUINT_TO_POINTER (kinds[i]));
      g_signal_connect (toggles[i], "toggled", G_CALLBACK (kind_toggled_cb), self);
    }

  g_object_bind_property_full (self->session, "energy", self->energy_adjustment, "value",
                               G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL,
                               fraction_to_percent, percent_to_fraction, NULL, NULL);
  /* The budget's range first, then its value. */
  g_object_bind_property_full (self->session, "min-budget", self->budget_adjustment, "lower",
                               G_BINDING_SYNC_CREATE, uint64_to_double, NULL, NULL, NULL);
  g_object_bind_property_full (self->session, "max-budget", self->budget_adjustment, "upper",
                               G_BINDING_SYNC_CREATE, uint64_to_double, NULL, NULL, NULL);
  g_object_bind_property_full (self->session, "budget", self->budget_adjustment, "value",
                               G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL,
                               uint64_to_double, double_to_uint64, NULL, NULL);

  g_signal_connect_object (self->session, "notify::plan-kind",
                           G_CALLBACK (session_kind_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::has-model",
                           G_CALLBACK (session_has_model_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::budget-running",
                           G_CALLBACK (session_budget_running_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "plan-changed",
                           G_CALLBACK (session_plan_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::finetuning",
                           G_CALLBACK (session_finetuning_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "finetune-progress",
                           G_CALLBACK (session_finetune_progress_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "finetune-changed",
                           G_CALLBACK (update_finetune), self, G_CONNECT_SWAPPED);

  session_kind_cb (self, NULL, self->session);
  session_budget_running_cb (self, NULL, self->session);
  rebuild_layer_spins (self);
  update_layer_ranks (self);
  update_finetune (self);
}
