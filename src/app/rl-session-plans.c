/* rl-session-plans.c — the session's rank plans beyond the uniform slider
 * (per-layer ranks, energy threshold, parameter budget), the points of the
 * Pareto chart, fine-tuning of the truncated model and experiment files.
 *
 * Main thread only; the budget search and fine-tuning run in the workers of
 * rl-session-tune.c. The requested plan (self->plan) is rebuilt whenever
 * one of its inputs changes; evaluations are coalesced by rl-session.c,
 * which only ever shows the figures of the plan requested last. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "rl-session-private.h"

const double rl_session_pareto_energies[] = { 0.50, 0.70, 0.80, 0.90, 0.95, 0.99 };
const guint  rl_session_n_pareto_energies = G_N_ELEMENTS (rl_session_pareto_energies);

#define DEFAULT_ENERGY     0.90
#define DEFAULT_BUDGET     107466u   /* the study's rank-25 model */
#define BUDGET_DELAY_MS    400u      /* a new budget is searched after this pause */

enum {
  PROP_PLAN_KIND = N_PROPS,
  PROP_ENERGY,
  PROP_BUDGET,
  PROP_MIN_BUDGET,
  PROP_MAX_BUDGET,
  PROP_BUDGET_RUNNING,
  PROP_FINETUNING,
  N_ALL_PROPS
};

enum {
  SIG_PLAN_CHANGED,
  SIG_FINETUNE_PROGRESS,
  SIG_FINETUNE_CHANGED,
  N_PLAN_SIGNALS
};

static GParamSpec *plan_props[N_ALL_PROPS];
static guint plan_signals[N_PLAN_SIGNALS];

static void start_budget_search (RlSession *self);

static void
notify (RlSession *self,
        guint      prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), plan_props[prop]);
}

/* Every job holds the application (see rl-session.c). */
static void
hold (void)
{
  if (g_application_get_default () != NULL)
    g_application_hold (g_application_get_default ());
}

static void
release (void)
{
  if (g_application_get_default () != NULL)
    g_application_release (g_application_get_default ());
}

gboolean
_rl_plan_equal (const RlPlan *a,
                const RlPlan *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->n_layers == b->n_layers &&
         memcmp (a->ranks, b->ranks, sizeof (guint) * a->n_layers) == 0;
}

static guint
layer_k (const RlLayer *layer)
{
  return MIN (layer->in, layer->out);
}

/* ------------------------------------------------------- the plan */

static RlPlan *
build_plan (RlSession *self)
{
  const RlModel *dense;
  RlPlan *plan;

  if (self->box == NULL)
    return NULL;
  dense = self->box->dense;

  switch (self->kind)
    {
    case RL_EXPERIMENT_UNIFORM:
      return rl_plan_uniform (dense, self->rank, self->mode);

    case RL_EXPERIMENT_PER_LAYER:
      plan = rl_plan_new (dense->n_layers);
      for (guint i = 0; i < dense->n_layers; i++)
        {
          const RlLayer *l = &dense->layers[i];
          guint r = CLAMP (i < self->n_layer_ranks ? self->layer_ranks[i] : 1, 1, layer_k (l));

          /* Auto: dense where r·(m+n) ≥ m·n, as rl_plan_uniform does. */
          if (self->mode == RL_PLAN_AUTO &&
              (guint64) r * (l->in + l->out) >= (guint64) l->in * l->out)
            r = 0;
          plan->ranks[i] = r;
        }
      return plan;

    case RL_EXPERIMENT_ENERGY:
      if (self->box->svd == NULL)
        return NULL;
      return rl_plan_energy (self->box->svd, self->energy, self->mode);

    case RL_EXPERIMENT_BUDGET:
    default:
      if (self->budget_plan != NULL && self->budget_plan_for == self->budget &&
          self->budget_plan_mode == self->mode)
        return rl_plan_copy (self->budget_plan);
      return NULL;
    }
}

void
_rl_session_update_plan (RlSession *self,
                         gboolean   force)
{
  g_autoptr(RlPlan) plan = build_plan (self);

  if (force || !_rl_plan_equal (plan, self->plan))
    {
      g_clear_pointer (&self->plan, rl_plan_free);
      self->plan = g_steal_pointer (&plan);
      g_signal_emit (self, plan_signals[SIG_PLAN_CHANGED], 0);
    }
  _rl_session_maybe_evaluate (self);
}

static gboolean
budget_plan_valid (RlSession *self)
{
  return self->budget_plan != NULL && self->budget_plan_for == self->budget &&
         self->budget_plan_mode == self->mode;
}

static gboolean
budget_timeout_cb (gpointer data)
{
  RlSession *self = data;

  self->budget_idle_id = 0;
  if (self->kind == RL_EXPERIMENT_BUDGET && !budget_plan_valid (self))
    start_budget_search (self);
  return G_SOURCE_REMOVE;
}

/* Coalesces budget changes: the search starts after a short pause. */
static void
schedule_budget_search (RlSession *self)
{
  g_clear_handle_id (&self->budget_idle_id, g_source_remove);
  if (self->kind != RL_EXPERIMENT_BUDGET || budget_plan_valid (self) ||
      self->box == NULL || self->box->svd == NULL)
    return;
  self->budget_idle_id = g_timeout_add (BUDGET_DELAY_MS, budget_timeout_cb, self);
}

void
_rl_session_plans_model_changed (RlSession *self)
{
  const RlModel *dense = self->box->dense;
  guint64 lo, hi;

  rl_session_cancel_budget (self);
  rl_session_cancel_finetune (self);
  g_clear_handle_id (&self->budget_idle_id, g_source_remove);
  g_clear_pointer (&self->budget_plan, rl_plan_free);
  g_clear_pointer (&self->energy_points, g_array_unref);
  g_clear_pointer (&self->budget_points, g_array_unref);
  if (self->finetuned != NULL)
    {
      g_clear_pointer (&self->finetuned, rl_model_free);
      g_clear_pointer (&self->finetuned_plan, rl_plan_free);
      g_signal_emit (self, plan_signals[SIG_FINETUNE_CHANGED], 0);
    }

  self->n_layer_ranks = MIN (dense->n_layers, RL_MODEL_MAX_LAYERS);
  for (guint i = 0; i < self->n_layer_ranks; i++)
    self->layer_ranks[i] = CLAMP (self->rank, 1, layer_k (&dense->layers[i]));

  lo = rl_budget_min_params (dense, RL_PLAN_PAPER);
  hi = rl_model_param_count (dense);
  self->budget = CLAMP (self->budget, lo, MAX (lo, hi));
  notify (self, PROP_MIN_BUDGET);
  notify (self, PROP_MAX_BUDGET);
  notify (self, PROP_BUDGET);

  if (self->pending_experiment != NULL)
    {
      g_autoptr(RlExperiment) exp = g_steal_pointer (&self->pending_experiment);
      g_autoptr(GError) error = NULL;

      if (!rl_session_apply_experiment (self, exp, &error))
        _rl_session_emit_error (self, _("The experiment does not fit its model"), error);
    }
  _rl_session_update_plan (self, TRUE);
}

void
_rl_session_plans_svd_ready (RlSession *self)
{
  _rl_session_update_plan (self, FALSE);
  if (self->kind == RL_EXPERIMENT_BUDGET && !budget_plan_valid (self) && !self->budget_running)
    start_budget_search (self);
}

void
_rl_session_plans_result_applied (RlSession *self)
{
  RlPlanPoint pt;

  if (self->kind != RL_EXPERIMENT_BUDGET || !(self->current.accuracy >= 0))
    return;
  pt.setting = (double) self->budget;
  pt.params = self->current.params;
  pt.accuracy = self->current.accuracy;
  if (self->budget_points == NULL)
    self->budget_points = g_array_new (FALSE, FALSE, sizeof (RlPlanPoint));
  for (guint i = 0; i < self->budget_points->len; i++)
    {
      const RlPlanPoint *p = &g_array_index (self->budget_points, RlPlanPoint, i);

      if (p->params == pt.params && p->accuracy == pt.accuracy)
        return;
    }
  g_array_append_val (self->budget_points, pt);
  g_signal_emit_by_name (self, "sweep-changed");
}

void
_rl_session_plans_set_energy_points (RlSession *self,
                                     GArray    *points)
{
  g_clear_pointer (&self->energy_points, g_array_unref);
  self->energy_points = points;
}

/* ------------------------------------------------------ budget search */

static void
budget_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(RlModelBox) box = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RlDataset) loaded = NULL;
  guint64 budget = 0;
  RlPlanMode mode = RL_PLAN_PAPER;
  g_autoptr(RlPlan) plan = _rl_session_budget_finish (self, result, &budget, &mode, &loaded, &error);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  release ();
  if (loaded != NULL && self->train == NULL)
    self->train = g_steal_pointer (&loaded);

  /* A newer search (or none) owns the state now. */
  if (cancellable != self->budget_cancellable)
    return;
  g_clear_object (&self->budget_cancellable);
  self->budget_running = FALSE;
  notify (self, PROP_BUDGET_RUNNING);
  _rl_session_emit_job_progress (self, NULL, -1);

  if (plan == NULL)
    {
      _rl_session_emit_error (self, _("The search for the best ranks within the budget failed"),
                              error);
      return;
    }
  if (box != self->box)
    return;
  g_clear_pointer (&self->budget_plan, rl_plan_free);
  self->budget_plan = g_steal_pointer (&plan);
  self->budget_plan_for = budget;
  self->budget_plan_mode = mode;
  _rl_session_update_plan (self, FALSE);
}

static void
start_budget_search (RlSession *self)
{
  if (self->box == NULL || self->box->svd == NULL)
    return;
  if (self->data_dir == NULL)
    {
      _rl_session_emit_error (self,
                              _("Cannot search a budget plan: the MNIST training images "
                                "(its validation split) were not found."), NULL);
      return;
    }

  g_clear_handle_id (&self->budget_idle_id, g_source_remove);
  g_cancellable_cancel (self->budget_cancellable);
  g_clear_object (&self->budget_cancellable);
  self->budget_cancellable = g_cancellable_new ();
  if (!self->budget_running)
    {
      self->budget_running = TRUE;
      notify (self, PROP_BUDGET_RUNNING);
    }
  hold ();
  _rl_session_budget_async (self, self->box, self->data_dir, self->train, self->budget,
                            self->mode, self->budget_cancellable, budget_done,
                            _rl_model_box_ref (self->box));
}

void
rl_session_find_budget_plan (RlSession *self)
{
  g_return_if_fail (RL_IS_SESSION (self));

  if (self->kind != RL_EXPERIMENT_BUDGET)
    rl_session_set_plan_kind (self, RL_EXPERIMENT_BUDGET);
  if (!budget_plan_valid (self))
    start_budget_search (self);
}

void
rl_session_cancel_budget (RlSession *self)
{
  g_return_if_fail (RL_IS_SESSION (self));

  g_clear_handle_id (&self->budget_idle_id, g_source_remove);
  if (self->budget_cancellable == NULL)
    return;
  g_cancellable_cancel (self->budget_cancellable);
  g_clear_object (&self->budget_cancellable);
  self->budget_running = FALSE;
  notify (self, PROP_BUDGET_RUNNING);
  _rl_session_emit_job_progress (self, NULL, -1);
}

/* -------------------------------------------------------- accessors */

RlExperimentPlanKind
rl_session_get_plan_kind (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), RL_EXPERIMENT_UNIFORM);
  return self->kind;
}

void
rl_session_set_plan_kind (RlSession            *self,
                          RlExperimentPlanKind  kind)
{
  g_return_if_fail (RL_IS_SESSION (self));
  g_return_if_fail (kind <= RL_EXPERIMENT_BUDGET);

  if (kind == self->kind)
    return;
  /* Per-layer ranks start from the plan shown so far, to tweak it. */
  if (kind == RL_EXPERIMENT_PER_LAYER && self->plan != NULL)
    for (guint i = 0; i < MIN (self->plan->n_layers, self->n_layer_ranks); i++)
      if (self->plan->ranks[i] > 0)
        self->layer_ranks[i] = self->plan->ranks[i];
  self->kind = kind;
  notify (self, PROP_PLAN_KIND);
  _rl_session_update_plan (self, TRUE);
  if (kind == RL_EXPERIMENT_BUDGET && !budget_plan_valid (self) && !self->budget_running)
    start_budget_search (self);
}

guint
rl_session_get_n_layers (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), 0);
  return self->box != NULL ? self->n_layer_ranks : 0;
}

guint
rl_session_get_layer_rank (RlSession *self,
                           guint      layer)
{
  g_return_val_if_fail (RL_IS_SESSION (self), 0);
  g_return_val_if_fail (layer < RL_MODEL_MAX_LAYERS, 0);
  return self->layer_ranks[layer];
}

guint
rl_session_get_layer_max_rank (RlSession *self,
                               guint      layer)
{
  g_return_val_if_fail (RL_IS_SESSION (self), 1);

  if (self->box == NULL || layer >= self->box->dense->n_layers)
    return 1;
  return layer_k (&self->box->dense->layers[layer]);
}

void
rl_session_set_layer_rank (RlSession *self,
                           guint      layer,
                           guint      rank)
{
  g_return_if_fail (RL_IS_SESSION (self));

  if (layer >= self->n_layer_ranks)
    return;
  rank = CLAMP (rank, 1, rl_session_get_layer_max_rank (self, layer));
  if (rank == self->layer_ranks[layer])
    return;
  self->layer_ranks[layer] = rank;
  _rl_session_update_plan (self, self->kind == RL_EXPERIMENT_PER_LAYER);
}

double
rl_session_get_energy (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), DEFAULT_ENERGY);
  return self->energy;
}

void
rl_session_set_energy (RlSession *self,
                       double     fraction)
{
  g_return_if_fail (RL_IS_SESSION (self));

  if (!isfinite (fraction))
    return;
  fraction = CLAMP (fraction, 0.01, 1.0);
  if (fraction == self->energy)
    return;
  self->energy = fraction;
  notify (self, PROP_ENERGY);
  _rl_session_update_plan (self, FALSE);
}

guint64
rl_session_get_budget (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), 0);
  return self->budget;
}

guint64
rl_session_get_min_budget (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), 0);
  return self->box != NULL ? rl_budget_min_params (self->box->dense, RL_PLAN_PAPER) : 1;
}

static guint64
max_budget (RlSession *self)
{
  return self->box != NULL ? rl_model_param_count (self->box->dense) : G_MAXUINT32;
}

void
rl_session_set_budget (RlSession *self,
                       guint64    budget)
{
  g_return_if_fail (RL_IS_SESSION (self));

  if (self->box != NULL)
    budget = CLAMP (budget, rl_session_get_min_budget (self), MAX (1, max_budget (self)));
  if (budget == self->budget)
    return;
  self->budget = budget;
  notify (self, PROP_BUDGET);
  if (self->kind != RL_EXPERIMENT_BUDGET)
    return;
  /* The old plan is for another budget: no figures until the new search. */
  g_cancellable_cancel (self->budget_cancellable);
  _rl_session_update_plan (self, FALSE);
  schedule_budget_search (self);
}

gboolean
rl_session_get_budget_running (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->budget_running;
}

const RlPlan *
rl_session_get_plan (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->plan;
}

const RlPlan *
rl_session_get_current_plan (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->current.valid ? self->current_plan : NULL;
}

GArray *
rl_session_get_energy_points (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->energy_points;
}

GArray *
rl_session_get_budget_points (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->budget_points;
}

/* ------------------------------------------------------- fine-tuning */

static void
finetune_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(RlPlan) plan = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RlFinetuneResult) res = _rl_session_finetune_finish (self, result, &error);
  GCancellable *cancellable = g_task_get_cancellable (G_TASK (result));

  release ();
  if (res != NULL && res->loaded_train != NULL && self->train == NULL)
    self->train = g_steal_pointer (&res->loaded_train);
  if (cancellable != self->finetune_cancellable)
    return;   /* cancelled and replaced by a newer model */
  g_clear_object (&self->finetune_cancellable);
  self->finetuning = FALSE;
  notify (self, PROP_FINETUNING);

  if (res == NULL)
    {
      _rl_session_emit_error (self, _("Fine-tuning failed"), error);
      return;
    }
  g_clear_pointer (&self->finetuned, rl_model_free);
  g_clear_pointer (&self->finetuned_plan, rl_plan_free);
  self->finetuned = g_steal_pointer (&res->model);
  self->finetuned_plan = g_steal_pointer (&plan);
  self->finetune_before = res->before;
  self->finetune_after = res->after;
  g_signal_emit (self, plan_signals[SIG_FINETUNE_CHANGED], 0);
}

void
rl_session_finetune (RlSession *self,
                     guint      epochs)
{
  g_autofree char *hash = NULL;

  g_return_if_fail (RL_IS_SESSION (self));

  if (self->finetuning || self->box == NULL)
    return;
  if (self->compressed == NULL || self->current_plan == NULL || self->test == NULL ||
      self->data_dir == NULL)
    {
      _rl_session_emit_error (self, _("Cannot fine-tune yet: the truncated model and the "
                                      "MNIST images must be ready first."), NULL);
      return;
    }
  epochs = CLAMP (epochs, 1, RL_EXPERIMENT_MAX_EPOCHS);
  hash = rl_model_weights_hash (self->box->dense);
  self->finetune_epochs = epochs;
  self->finetune_cancellable = g_cancellable_new ();
  self->finetuning = TRUE;
  notify (self, PROP_FINETUNING);
  hold ();
  _rl_session_finetune_async (self, rl_model_copy (self->compressed), hash, self->data_dir,
                              self->train, self->test, epochs, self->finetune_cancellable,
                              finetune_done, rl_plan_copy (self->current_plan));
}

void
rl_session_cancel_finetune (RlSession *self)
{
  g_return_if_fail (RL_IS_SESSION (self));

  if (self->finetune_cancellable == NULL)
    return;
  g_cancellable_cancel (self->finetune_cancellable);
  g_clear_object (&self->finetune_cancellable);
  self->finetuning = FALSE;
  notify (self, PROP_FINETUNING);
}

gboolean
rl_session_get_finetuning (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->finetuning;
}

const RlModel *
rl_session_get_finetuned (RlSession     *self,
                          const RlPlan **plan,
                          double        *before,
                          double        *after,
                          guint         *epochs)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);

  if (plan != NULL)
    *plan = self->finetuned_plan;
  if (before != NULL)
    *before = self->finetuned != NULL ? self->finetune_before : -1;
  if (after != NULL)
    *after = self->finetuned != NULL ? self->finetune_after : -1;
  if (epochs != NULL)
    *epochs = self->finetuned != NULL ? self->finetune_epochs : 0;
  return self->finetuned;
}

static void
finetuned_saved (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree char *path = user_data;
  g_autoptr(GError) error = NULL;

  release ();
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *context = g_strdup_printf (_("Could not save “%s”"), path);
      _rl_session_emit_error (RL_SESSION (object), context, error);
    }
}

void
rl_session_save_finetuned (RlSession  *self,
                           const char *path)
{
  g_autoptr(RlModelBox) box = NULL;

  g_return_if_fail (RL_IS_SESSION (self));
  g_return_if_fail (path != NULL);

  if (self->finetuned == NULL)
    return;
  box = _rl_model_box_new (rl_model_copy (self->finetuned));
  hold ();
  _rl_session_save_async (self, box, path, finetuned_saved, g_strdup (path));
}

/* ------------------------------------------------------------ object */

gboolean
_rl_session_plans_get_property (RlSession *self,
                                guint      prop_id,
                                GValue    *value)
{
  switch (prop_id)
    {
    case PROP_PLAN_KIND:      g_value_set_uint (value, self->kind); return TRUE;
    case PROP_ENERGY:         g_value_set_double (value, self->energy); return TRUE;
    case PROP_BUDGET:         g_value_set_uint64 (value, self->budget); return TRUE;
    case PROP_MIN_BUDGET:     g_value_set_uint64 (value, rl_session_get_min_budget (self)); return TRUE;
    case PROP_MAX_BUDGET:     g_value_set_uint64 (value, max_budget (self)); return TRUE;
    case PROP_BUDGET_RUNNING: g_value_set_boolean (value, self->budget_running); return TRUE;
    case PROP_FINETUNING:     g_value_set_boolean (value, self->finetuning); return TRUE;
    default:                  return FALSE;
    }
}

gboolean
_rl_session_plans_set_property (RlSession    *self,
                                guint         prop_id,
                                const GValue *value)
{
  switch (prop_id)
    {
    case PROP_PLAN_KIND:
      rl_session_set_plan_kind (self, MIN (g_value_get_uint (value), RL_EXPERIMENT_BUDGET));
      return TRUE;
    case PROP_ENERGY:
      rl_session_set_energy (self, g_value_get_double (value));
      return TRUE;
    case PROP_BUDGET:
      rl_session_set_budget (self, g_value_get_uint64 (value));
      return TRUE;
    default:
      return FALSE;
    }
}

void
_rl_session_plans_class_init (GObjectClass *klass)
{
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  /* An RlExperimentPlanKind. */
  plan_props[PROP_PLAN_KIND] =
    g_param_spec_uint ("plan-kind", NULL, NULL, RL_EXPERIMENT_UNIFORM, RL_EXPERIMENT_BUDGET,
                       RL_EXPERIMENT_UNIFORM, rw);
  plan_props[PROP_ENERGY] =
    g_param_spec_double ("energy", NULL, NULL, 0.01, 1.0, DEFAULT_ENERGY, rw);
  plan_props[PROP_BUDGET] =
    g_param_spec_uint64 ("budget", NULL, NULL, 1, G_MAXUINT64, DEFAULT_BUDGET, rw);
  plan_props[PROP_MIN_BUDGET] =
    g_param_spec_uint64 ("min-budget", NULL, NULL, 1, G_MAXUINT64, 1, ro);
  plan_props[PROP_MAX_BUDGET] =
    g_param_spec_uint64 ("max-budget", NULL, NULL, 1, G_MAXUINT64, G_MAXUINT32, ro);
  plan_props[PROP_BUDGET_RUNNING] =
    g_param_spec_boolean ("budget-running", NULL, NULL, FALSE, ro);
  plan_props[PROP_FINETUNING] =
    g_param_spec_boolean ("finetuning", NULL, NULL, FALSE, ro);
  for (guint i = PROP_PLAN_KIND; i < N_ALL_PROPS; i++)
    g_object_class_install_property (klass, i, plan_props[i]);

  /* The requested plan (rl_session_get_plan) or the per-layer ranks
   * changed. */
  plan_signals[SIG_PLAN_CHANGED] =
    g_signal_new ("plan-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* const RlTrainProgress *, valid during the emission only. */
  plan_signals[SIG_FINETUNE_PROGRESS] =
    g_signal_new ("finetune-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  plan_signals[SIG_FINETUNE_CHANGED] =
    g_signal_new ("finetune-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

void
_rl_session_plans_init (RlSession *self)
{
  self->kind = RL_EXPERIMENT_UNIFORM;
  self->energy = DEFAULT_ENERGY;
  self->budget = DEFAULT_BUDGET;
}

void
_rl_session_plans_dispose (RlSession *self)
{
  g_clear_handle_id (&self->budget_idle_id, g_source_remove);
  g_cancellable_cancel (self->budget_cancellable);
  g_cancellable_cancel (self->finetune_cancellable);
  g_clear_object (&self->budget_cancellable);
  g_clear_object (&self->finetune_cancellable);
}

void
_rl_session_plans_finalize (RlSession *self)
{
  g_clear_pointer (&self->budget_plan, rl_plan_free);
  g_clear_pointer (&self->plan, rl_plan_free);
  g_clear_pointer (&self->current_plan, rl_plan_free);
  g_clear_pointer (&self->energy_points, g_array_unref);
  g_clear_pointer (&self->budget_points, g_array_unref);
  g_clear_pointer (&self->train, rl_dataset_free);
  g_clear_pointer (&self->pending_experiment, rl_experiment_free);
  g_clear_pointer (&self->finetuned, rl_model_free);
  g_clear_pointer (&self->finetuned_plan, rl_plan_free);
}
