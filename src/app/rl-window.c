/* rl-window.c — the main window. It observes an RlSession (properties and
 * signals) and shows its state; it never runs heavy work itself. Predicting
 * one drawn digit takes microseconds, so that happens here, on the main
 * thread. */

#include "config.h"

#include <math.h>
#include <locale.h>
#include <glib/gi18n.h>

#include "rl-window-private.h"

G_DEFINE_FINAL_TYPE (RlWindow, rl_window, GTK_TYPE_APPLICATION_WINDOW)

/* The study's published figures (paper plan). */
static const double study_ranks[]    = { 1, 5, 10, 15, 20, 25, 50, 100 };
static const double study_accuracy[] = { 0.0974, 0.2154, 0.6888, 0.8707, 0.9502, 0.9651, 0.9710, 0.9716 };
static const double study_params[]   = { 6192, 23736, 45666, 66266, 86866, 107466, 210466, 416466 };

/* ---------------------------------------------------------- formatting */

/* 107466 → "107,466" in the C locale, the locale's grouping otherwise
 * ("107.466" in Indonesian). */
static char *
format_count (guint64 value)
{
  const struct lconv *lc = localeconv ();
  g_autofree char *digits = NULL;
  GString *out;
  gsize len;

  if (lc->thousands_sep != NULL && lc->thousands_sep[0] != '\0')
    return g_strdup_printf ("%'" G_GUINT64_FORMAT, value);

  digits = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  len = strlen (digits);
  out = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

static void
set_label_take (GtkLabel *label,
                char     *text)
{
  gtk_label_set_text (label, text != NULL ? text : "–");
  g_free (text);
}

static char *
format_accuracy (double accuracy)
{
  if (!(accuracy >= 0))
    return NULL;
  /* Translators: a percentage, e.g. "96.51 %" */
  return g_strdup_printf (_("%.2f %%"), 100.0 * accuracy);
}

static char *
format_latency (double seconds)
{
  if (!(seconds > 0))
    return NULL;
  /* Translators: milliseconds */
  return g_strdup_printf (_("%.1f ms"), 1000.0 * seconds);
}

static char *
format_memory (double mb)
{
  if (!(mb > 0))
    return NULL;
  /* Translators: megabytes (2^20 bytes) */
  return g_strdup_printf (_("%.2f MB"), mb);
}

static char *
format_duration (double seconds)
{
  guint s;

  if (!(seconds >= 0) || seconds > 360000)
    return NULL;
  s = (guint) (seconds + 0.5);
  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

char *
_rl_window_format_accuracy (double accuracy)
{
  return format_accuracy (accuracy);
}

char *
_rl_window_format_count (guint64 value)
{
  return format_count (value);
}

char *
_rl_window_format_duration (double seconds)
{
  return format_duration (seconds);
}

/* ------------------------------------------------------------- readouts */

static void
update_figures (RlWindow *self)
{
  const RlFigures *cur = rl_session_get_current (self->session);
  const RlFigures *orig = rl_session_get_original (self->session);

  if (orig->valid)
    {
      set_label_take (self->orig_accuracy_value, format_accuracy (orig->accuracy));
      set_label_take (self->orig_latency_value, format_latency (orig->latency_s));
      set_label_take (self->orig_params_value, format_count (orig->params));
      set_label_take (self->orig_memory_value, format_memory (orig->memory_mb));
    }
  else
    {
      set_label_take (self->orig_accuracy_value, NULL);
      set_label_take (self->orig_latency_value, NULL);
      set_label_take (self->orig_params_value, NULL);
      set_label_take (self->orig_memory_value, NULL);
    }

  if (cur->valid)
    {
      /* bench/launch-time.py times the start-up up to this line */
      g_debug ("figures shown: accuracy %.4f, latency %.4f s", cur->accuracy, cur->latency_s);
      set_label_take (self->accuracy_value, format_accuracy (cur->accuracy));
      set_label_take (self->latency_value, format_latency (cur->latency_s));
      set_label_take (self->params_value, format_count (cur->params));
      set_label_take (self->memory_value, format_memory (cur->memory_mb));
      /* Translators: memory saved, a percentage; may be negative */
      set_label_take (self->saving_value, g_strdup_printf (_("%.1f %%"), cur->memory_saving_pct));
      set_label_take (self->speedup_value, cur->speedup > 0
                      /* Translators: a speed-up factor, e.g. "3.20×" */
                      ? g_strdup_printf (_("%.2f×"), cur->speedup) : NULL);
    }
  else
    {
      set_label_take (self->accuracy_value, NULL);
      set_label_take (self->latency_value, NULL);
      set_label_take (self->params_value, NULL);
      set_label_take (self->memory_value, NULL);
      set_label_take (self->saving_value, NULL);
      set_label_take (self->speedup_value, NULL);
    }
}

static void
set_prediction (GtkLabel      *label,
                RlProbBars    *bars,
                const RlModel *model,
                const float   *input)
{
  float probs[16];
  guint digit;

  if (model == NULL || input == NULL || rl_model_output_size (model) > G_N_ELEMENTS (probs))
    {
      gtk_label_set_text (label, "–");
      rl_prob_bars_set_probs (bars, NULL, 0);
      return;
    }
  digit = rl_model_predict (model, input, probs);
  rl_model_class_probabilities (model, probs, probs);
  for (guint i = 0; i < rl_model_output_size (model); i++)
    if (!isfinite (probs[i]))
      {
        /* Weights that overflow float32: no digit to show. */
        gtk_label_set_text (label, "–");
        rl_prob_bars_set_probs (bars, NULL, 0);
        return;
      }
  set_label_take (label, g_strdup_printf ("%u", digit));
  rl_prob_bars_set_probs (bars, probs, MIN (rl_model_output_size (model), RL_PROB_BARS_N));
}

void
_rl_window_update_prediction (RlWindow *self)
{
  float input[RL_DIGIT_PIXELS];
  gboolean has_input = rl_digit_canvas_get_input (self->canvas, input);

  rl_digit_preview_set_pixels (self->preview, has_input ? input : NULL);
  set_prediction (self->orig_prediction_value, self->orig_prob_bars,
                  rl_session_get_dense (self->session), has_input ? input : NULL);
  set_prediction (self->prediction_value, self->prob_bars,
                  rl_session_get_compressed (self->session), has_input ? input : NULL);
}

/* --------------------------------------------------------------- charts */

static void
update_charts (RlWindow *self)
{
  GArray *rows = rl_session_get_sweep (self->session);
  const RlFigures *orig = rl_session_get_original (self->session);
  g_autofree double *x = NULL;
  g_autofree double *acc = NULL;
  g_autofree double *lat = NULL;
  g_autofree double *params = NULL;
  guint n = 0;

  if (rows != NULL && rows->len > 1)
    {
      n = rows->len - 1;
      x = g_new (double, n);
      acc = g_new (double, n);
      lat = g_new (double, n);
      params = g_new (double, n);
      for (guint i = 0; i < n; i++)
        {
          const RlSweepRow *row = &g_array_index (rows, RlSweepRow, i + 1);
          x[i] = row->rank;
          acc[i] = row->accuracy;
          lat[i] = 1000.0 * row->latency_s;
          params[i] = (double) row->params;
        }
    }

  rl_chart_view_set_series (self->accuracy_chart, _("Test accuracy against rank"),
                            _("Rank"), _("Accuracy"), x, acc, n, FALSE, "%.2f");
  rl_chart_view_set_reference (self->accuracy_chart, _("Published (study)"),
                               study_ranks, study_accuracy, G_N_ELEMENTS (study_ranks));

  rl_chart_view_set_series (self->latency_chart, _("Latency against rank"),
                            _("Rank"), _("Latency, 10,000 images (ms)"), x, lat, n, FALSE, "%.0f");
  if (n > 0 && rows != NULL)
    {
      const RlSweepRow *row0 = &g_array_index (rows, RlSweepRow, 0);
      double ox[2] = { x[0], x[n - 1] };
      double oy[2] = { 1000.0 * row0->latency_s, 1000.0 * row0->latency_s };
      rl_chart_view_set_reference (self->latency_chart, _("Original model"), ox, oy, 2);
    }
  else
    rl_chart_view_set_reference (self->latency_chart, NULL, NULL, NULL, 0);

  rl_chart_view_set_series (self->params_chart, _("Parameters against rank"),
                            _("Rank"), _("Parameters"), x, params, n, FALSE, "%.0f");
  if (rl_session_get_plan_mode (self->session) == RL_PLAN_PAPER)
    rl_chart_view_set_reference (self->params_chart, _("Published (study)"),
                                 study_ranks, study_params, G_N_ELEMENTS (study_ranks));
  else if (orig->valid && n > 0)
    {
      double ox[2] = { x[0], x[n - 1] };
      double oy[2] = { (double) orig->params, (double) orig->params };
      rl_chart_view_set_reference (self->params_chart, _("Original model"), ox, oy, 2);
    }
  else
    rl_chart_view_set_reference (self->params_chart, NULL, NULL, NULL, 0);

  _rl_window_update_pareto (self);
  _rl_window_update_actions (self);
}

static void
update_markers (RlWindow *self)
{
  double rank = rl_session_get_rank (self->session);

  rl_chart_view_set_marker (self->accuracy_chart, rank);
  rl_chart_view_set_marker (self->latency_chart, rank);
  rl_chart_view_set_marker (self->params_chart, rank);
  /* Pareto: the current plan's size, for whatever plan is shown. */
  {
    const RlFigures *cur = rl_session_get_current (self->session);

    rl_chart_view_set_marker (self->pareto_chart, cur->valid ? (double) cur->params : NAN);
  }
}

/* ------------------------------------------------------ session signals */

static void
update_page (RlWindow *self)
{
  const char *page;
  gboolean loading = rl_session_get_loading (self->session);

  if (rl_session_get_training (self->session))
    page = "training";
  else if (rl_session_get_has_model (self->session))
    page = "main";
  else if (loading)
    page = "loading";
  else
    page = "empty";

  gtk_stack_set_visible_child_name (self->content_stack, page);
  gtk_spinner_set_spinning (self->loading_spinner, loading);
  _rl_window_update_actions (self);
}

static void
session_state_cb (RlWindow   *self,
                  GParamSpec *pspec,
                  RlSession  *session)
{
  update_page (self);
}

static void
session_model_cb (RlWindow   *self,
                  GParamSpec *pspec,
                  RlSession  *session)
{
  gboolean data_missing = FALSE;

  /* A model is in place (opened or trained): an older error is moot —
   * unless it says that the MNIST data is missing, which still holds. */
  g_object_get (session, "data-missing", &data_missing, NULL);
  if (rl_session_get_has_model (session) && !data_missing)
    gtk_info_bar_set_revealed (self->info_bar, FALSE);
  update_page (self);
  update_figures (self);
  _rl_window_update_prediction (self);
}

static void
session_results_cb (RlWindow  *self,
                    RlSession *session)
{
  update_figures (self);
  update_markers (self);
  _rl_window_update_prediction (self);
  _rl_window_update_actions (self);
}

static void
session_error_cb (RlWindow   *self,
                  const char *message,
                  RlSession  *session)
{
  _rl_window_show_error (self, message);
}

static void
session_job_progress_cb (RlWindow   *self,
                         const char *stage,
                         double      fraction,
                         RlSession  *session)
{
  if (fraction < 0)
    {
      gtk_revealer_set_reveal_child (self->progress_revealer, FALSE);
      return;
    }
  if (stage != NULL)
    gtk_label_set_text (self->progress_label, stage);
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_revealer_set_reveal_child (self->progress_revealer, TRUE);
}

static void
session_train_progress_cb (RlWindow  *self,
                           gpointer   data,
                           RlSession *session)
{
  const RlTrainProgress *p = data;
  double total = (double) p->epochs * MAX (1u, p->steps);
  double done = (double) (p->epoch > 0 ? p->epoch - 1 : 0) * p->steps + p->step;
  g_autofree char *left = format_duration (p->eta_s);

  gtk_progress_bar_set_fraction (self->train_bar, total > 0 ? CLAMP (done / total, 0, 1) : 0);
  /* Translators: "epoch 2 of 5" */
  set_label_take (self->epoch_value, g_strdup_printf (_("%u of %u"), p->epoch, p->epochs));
  set_label_take (self->step_value, g_strdup_printf (_("%u of %u"), p->step, p->steps));
  set_label_take (self->loss_value, g_strdup_printf ("%.4f", p->loss));
  set_label_take (self->train_accuracy_value, format_accuracy (p->accuracy));
  gtk_label_set_text (self->time_left_value, left != NULL ? left : "–");
}

static void
session_training_cb (RlWindow   *self,
                     GParamSpec *pspec,
                     RlSession  *session)
{
  if (rl_session_get_training (session))
    {
      gtk_progress_bar_set_fraction (self->train_bar, 0);
      gtk_label_set_text (self->epoch_value, "–");
      gtk_label_set_text (self->step_value, _("Loading the training images…"));
      gtk_label_set_text (self->loss_value, "–");
      gtk_label_set_text (self->train_accuracy_value, "–");
      gtk_label_set_text (self->time_left_value, "–");
    }
  update_page (self);
}

static void
session_rank_cb (RlWindow   *self,
                 GParamSpec *pspec,
                 RlSession  *session)
{
  update_markers (self);
}

static gboolean
model_name_to_subtitle (GBinding     *binding,
                        const GValue *from,
                        GValue       *to,
                        gpointer      user_data)
{
  RlWindow *self = user_data;
  const char *name = g_value_get_string (from);
  const RlModel *dense = rl_session_get_dense (self->session);
  const char *ranks = dense != NULL ? rl_model_get_meta (dense, "densified_from") : NULL;
  g_autofree char *text = NULL;

  if (name == NULL)
    text = g_strdup (_("No model"));
  else if (ranks != NULL && ranks[0] != '\0')
    {
      g_auto(GStrv) parts = g_strsplit (ranks, ",", -1);
      g_autofree char *list = g_strjoinv ("/", parts);

      /* Translators: a fine-tuned factored model file, e.g. "ft.safetensors —
       * factored (ranks 25/25/25/10), shown as its dense product" */
      text = g_strdup_printf (_("%s — factored (ranks %s), shown as its dense product"),
                              name, list);
    }
  else
    text = g_strdup (name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->subtitle_label), text);
  g_value_take_string (to, g_steal_pointer (&text));
  return TRUE;
}

/* ------------------------------------------------------------ callbacks */

static void
info_bar_response_cb (RlWindow   *self,
                      int         response,
                      GtkInfoBar *info_bar)
{
  gtk_info_bar_set_revealed (info_bar, FALSE);
}

void
_rl_window_show_error (RlWindow   *self,
                       const char *message)
{
  g_return_if_fail (RL_IS_WINDOW (self));

  gtk_label_set_text (self->info_label, message);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

static void
canvas_changed_cb (RlWindow      *self,
                   RlDigitCanvas *canvas)
{
  _rl_window_update_prediction (self);
}

/* ---------------------------------------------------------------- class */

static void
rl_window_dispose (GObject *object)
{
  RlWindow *self = RL_WINDOW (object);

  if (self->session != NULL)
    {
      rl_session_shutdown (self->session);
      g_signal_handlers_disconnect_by_data (self->session, self);
    }
  if (self->file_dialog != NULL)
    gtk_native_dialog_destroy (self->file_dialog);
  if (self->experiment_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->experiment_dialog)));
  g_clear_object (&self->file_dialog);
  gtk_widget_dispose_template (GTK_WIDGET (self), RL_TYPE_WINDOW);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (rl_window_parent_class)->dispose (object);
}

static void
rl_window_class_init (RlWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rl_window_dispose;

  g_type_ensure (RL_TYPE_DIGIT_CANVAS);
  g_type_ensure (RL_TYPE_DIGIT_PREVIEW);
  g_type_ensure (RL_TYPE_PROB_BARS);
  g_type_ensure (RL_TYPE_CHART_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/id/ranklab/RankLab/ui/rl-window.ui");

#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, RlWindow, name)
  CHILD (subtitle_label);
  CHILD (eval_spinner);
  CHILD (info_bar);
  CHILD (info_label);
  CHILD (progress_revealer);
  CHILD (progress_label);
  CHILD (progress_bar);
  CHILD (content_stack);
  CHILD (data_hint_label);
  CHILD (loading_spinner);
  CHILD (train_bar);
  CHILD (epoch_value);
  CHILD (step_value);
  CHILD (loss_value);
  CHILD (train_accuracy_value);
  CHILD (time_left_value);
  CHILD (rank_scale);
  CHILD (rank_adjustment);
  CHILD (plan_dropdown);
  CHILD (accuracy_value);
  CHILD (latency_value);
  CHILD (params_value);
  CHILD (memory_value);
  CHILD (saving_value);
  CHILD (speedup_value);
  CHILD (orig_accuracy_value);
  CHILD (orig_latency_value);
  CHILD (orig_params_value);
  CHILD (orig_memory_value);
  CHILD (canvas);
  CHILD (preview);
  CHILD (prediction_value);
  CHILD (orig_prediction_value);
  CHILD (prob_bars);
  CHILD (orig_prob_bars);
  CHILD (chart_stack);
  CHILD (accuracy_chart);
  CHILD (latency_chart);
  CHILD (params_chart);
#undef CHILD

  gtk_widget_class_bind_template_callback (widget_class, info_bar_response_cb);
  _rl_window_class_plans_init (widget_class);

  _rl_window_class_actions_init (klass);
}

static void
rl_window_init (RlWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->session = rl_session_new ();

  /* The adjustment's range first, then its value. */
  g_object_bind_property (self->session, "max-rank", self->rank_adjustment, "upper",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->session, "rank", self->rank_adjustment, "value",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property (self->session, "plan-mode", self->plan_dropdown, "selected",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_object_bind_property_full (self->session, "model-name", self->subtitle_label, "label",
                               G_BINDING_SYNC_CREATE, model_name_to_subtitle, NULL, self, NULL);
  g_object_bind_property (self->session, "evaluating", self->eval_spinner, "spinning",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->session, "evaluating", self->eval_spinner, "visible",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->session, "data-missing", self->data_hint_label, "visible",
                          G_BINDING_SYNC_CREATE);

  g_signal_connect_object (self->session, "notify::has-model",
                           G_CALLBACK (session_model_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::loading",
                           G_CALLBACK (session_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::has-data",
                           G_CALLBACK (session_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::has-svd",
                           G_CALLBACK (session_state_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::training",
                           G_CALLBACK (session_training_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::rank",
                           G_CALLBACK (session_rank_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "error",
                           G_CALLBACK (session_error_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "job-progress",
                           G_CALLBACK (session_job_progress_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "train-progress",
                           G_CALLBACK (session_train_progress_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "results-changed",
                           G_CALLBACK (session_results_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "sweep-changed",
                           G_CALLBACK (update_charts), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->canvas, "changed",
                           G_CALLBACK (canvas_changed_cb), self, G_CONNECT_SWAPPED);

  _rl_window_plans_init (self);

  update_charts (self);
  update_markers (self);
  update_figures (self);
  update_page (self);
}

RlWindow *
rl_window_new (GtkApplication *application)
{
  return g_object_new (RL_TYPE_WINDOW, "application", application, NULL);
}

void
rl_window_start (RlWindow   *self,
                 const char *model_path)
{
  g_return_if_fail (RL_IS_WINDOW (self));

  self->started = TRUE;
  rl_session_start (self->session, model_path);
}

void
rl_window_open_model (RlWindow *self,
                      GFile    *file)
{
  g_autofree char *path = NULL;

  g_return_if_fail (RL_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_autofree char *message =
        g_strdup_printf (_("Could not open “%s”: only local files can be opened"), uri);
      _rl_window_show_error (self, message);
      return;
    }
  if (!self->started)
    rl_window_start (self, path);
  else
    rl_session_open_model (self->session, path);
}

RlSession *
rl_window_get_session (RlWindow *self)
{
  g_return_val_if_fail (RL_IS_WINDOW (self), NULL);
  return self->session;
}
