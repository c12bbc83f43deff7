/* rl-session-experiment.c — experiment files (rl-experiment.h): the
 * session's model, plan and figures written as JSON, and a file's plan
 * applied to the session. Main thread; the files are small. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "rl-session-private.h"

/* The model's path as the experiment should name it: relative when the
 * model lies in the experiment's folder (so the pair can move together). */
static char *
model_reference (const char *model_path,
                 const char *experiment_path)
{
  g_autofree char *model_dir = g_path_get_dirname (model_path);
  g_autofree char *exp_dir = g_path_get_dirname (experiment_path);
  g_autofree char *a = g_canonicalize_filename (model_dir, NULL);
  g_autofree char *b = g_canonicalize_filename (exp_dir, NULL);

  if (g_strcmp0 (a, b) == 0)
    return g_path_get_basename (model_path);
  return g_canonicalize_filename (model_path, NULL);
}

gboolean
rl_session_save_experiment (RlSession   *self,
                            const char  *path,
                            GError     **error)
{
  g_autoptr(RlExperiment) exp = NULL;
  g_autofree char *model = NULL;
  const RlPlan *fplan = NULL;
  gboolean finetuned;

  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->box == NULL)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID, _("There is no model to describe"));
      return FALSE;
    }
  if (self->model_path == NULL)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID,
                           _("The model has not been saved yet: save it first, so the "
                             "experiment can name its file"));
      return FALSE;
    }

  model = model_reference (self->model_path, path);
  exp = rl_experiment_new (model);
  exp->model_hash = rl_model_weights_hash (self->box->dense);
  exp->kind = self->kind;
  exp->rank = self->rank;
  exp->energy = self->energy;
  exp->budget = self->budget;
  exp->auto_mode = self->mode == RL_PLAN_AUTO;
  if (self->plan != NULL)
    rl_experiment_set_ranks (exp, self->plan);
  else if (self->kind == RL_EXPERIMENT_PER_LAYER)
    {
      exp->n_ranks = self->n_layer_ranks;
      exp->ranks = g_memdup2 (self->layer_ranks, sizeof (guint) * self->n_layer_ranks);
    }

  rl_session_get_finetuned (self, &fplan, NULL, NULL, NULL);
  finetuned = fplan != NULL && _rl_plan_equal (fplan, self->plan);
  if (finetuned)
    exp->finetune_epochs = self->finetune_epochs;

  if (self->current.valid && self->plan != NULL && _rl_plan_equal (self->current_plan, self->plan))
    {
      RlExperimentResults *r = &exp->results;

      exp->has_results = TRUE;
      r->accuracy = finetuned ? self->finetune_after
                              : (self->current.accuracy >= 0 ? self->current.accuracy : NAN);
      if (finetuned)
        r->accuracy_before_finetune = self->finetune_before;
      if (self->current.latency_s > 0)
        r->latency_s = self->current.latency_s;
      if (self->current.speedup > 0)
        r->speedup = self->current.speedup;
      r->memory_mb = self->current.memory_mb;
      r->params = (gint64) self->current.params;
      r->macs = (gint64) rl_plan_macs (self->box->dense, self->plan);
      if (self->original.accuracy >= 0)
        r->original_accuracy = self->original.accuracy;
      if (self->original.latency_s > 0)
        r->original_latency_s = self->original.latency_s;
      r->original_params = (gint64) self->original.params;
    }

  return rl_experiment_save (exp, path, error);
}

gboolean
rl_session_apply_experiment (RlSession          *self,
                             const RlExperiment *exp,
                             GError            **error)
{
  const RlModel *dense;

  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  g_return_val_if_fail (exp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->box == NULL)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_INVALID,
                           _("Open a model before applying an experiment"));
      return FALSE;
    }
  dense = self->box->dense;
  if (!rl_experiment_check_model (exp, dense, error))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  rl_session_set_plan_mode (self, rl_experiment_plan_mode (exp));
  /* Switching to per-layer seeds the ranks from the plan shown: switch
   * first, then set the experiment's ranks. (A budget plan's resolved
   * ranks go in before the switch, which would otherwise start a search.) */
  if (exp->kind == RL_EXPERIMENT_PER_LAYER)
    rl_session_set_plan_kind (self, exp->kind);
  switch (exp->kind)
    {
    case RL_EXPERIMENT_UNIFORM:
      rl_session_set_rank (self, exp->rank);
      break;
    case RL_EXPERIMENT_PER_LAYER:
      for (guint i = 0; i < MIN (exp->n_ranks, self->n_layer_ranks); i++)
        self->layer_ranks[i] = CLAMP (exp->ranks[i], 1, rl_session_get_layer_max_rank (self, i));
      break;
    case RL_EXPERIMENT_ENERGY:
      rl_session_set_energy (self, exp->energy);
      break;
    case RL_EXPERIMENT_BUDGET:
    default:
      rl_session_set_budget (self, exp->budget);
      if (exp->n_ranks > 0)
        {
          /* The resolved ranks: no search needed (checked against the
           * budget by rl_experiment_check_model). */
          g_autoptr(RlPlan) plan = rl_experiment_build_plan (exp, dense, NULL, NULL, NULL,
                                                             NULL, NULL, error);
          if (plan == NULL)
            {
              g_object_thaw_notify (G_OBJECT (self));
              return FALSE;
            }
          g_clear_pointer (&self->budget_plan, rl_plan_free);
          self->budget_plan = g_steal_pointer (&plan);
          self->budget_plan_for = self->budget;
          self->budget_plan_mode = self->mode;
        }
      break;
    }
  /* Per-layer ranks may have changed with the kind unchanged: force. */
  if (self->kind != exp->kind)
    rl_session_set_plan_kind (self, exp->kind);
  else
    _rl_session_update_plan (self, TRUE);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

void
rl_session_open_experiment_model (RlSession    *self,
                                  const char   *model_path,
                                  RlExperiment *exp)
{
  g_return_if_fail (RL_IS_SESSION (self));
  g_return_if_fail (model_path != NULL);

  g_clear_pointer (&self->pending_experiment, rl_experiment_free);
  self->pending_experiment = exp;
  rl_session_open_model (self, model_path);
}
