/* rl-plan.c — rank plans (uniform, energy) and the truncated model.
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "rl-error.h"
#include "rl-plan.h"

const char *
rl_plan_mode_to_string (RlPlanMode mode)
{
  switch (mode)
    {
    case RL_PLAN_PAPER:
      return "paper";
    case RL_PLAN_AUTO:
      return "auto";
    default:
      return "unknown";
    }
}

gboolean
rl_plan_mode_from_string (const char *s,
                          RlPlanMode *mode)
{
  g_return_val_if_fail (mode != NULL, FALSE);

  if (s == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (s, "paper") == 0)
    *mode = RL_PLAN_PAPER;
  else if (g_ascii_strcasecmp (s, "auto") == 0)
    *mode = RL_PLAN_AUTO;
  else
    return FALSE;
  return TRUE;
}

RlPlan *
rl_plan_new (guint n_layers)
{
  RlPlan *plan = g_new0 (RlPlan, 1);

  plan->n_layers = n_layers;
  plan->ranks = g_new0 (guint, MAX (n_layers, 1));
  return plan;
}

RlPlan *
rl_plan_copy (const RlPlan *plan)
{
  RlPlan *copy;

  g_return_val_if_fail (plan != NULL, NULL);

  copy = rl_plan_new (plan->n_layers);
  if (plan->n_layers > 0)
    memcpy (copy->ranks, plan->ranks, sizeof (guint) * plan->n_layers);
  return copy;
}

void
rl_plan_free (RlPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->ranks);
  g_free (plan);
}

/* Rank r of an m×n layer under mode: clamped to min(m,n); in AUTO mode 0
 * (dense) where the factors would hold at least as many weights. */
static guint
layer_rank (guint      m,
            guint      n,
            guint      r,
            RlPlanMode mode)
{
  r = MIN (r, MIN (m, n));
  if (mode == RL_PLAN_AUTO && (guint64) r * ((guint64) m + n) >= (guint64) m * n)
    return 0;
  return r;
}

RlPlan *
rl_plan_uniform (const RlModel *dense,
                 guint          rank,
                 RlPlanMode     mode)
{
  RlPlan *plan;

  g_return_val_if_fail (dense != NULL, NULL);

  plan = rl_plan_new (dense->n_layers);
  for (guint i = 0; i < dense->n_layers; i++)
    plan->ranks[i] = layer_rank (dense->layers[i].in, dense->layers[i].out, rank, mode);
  return plan;
}

RlPlan *
rl_plan_energy (const RlSvd *svd,
                double       frac,
                RlPlanMode   mode)
{
  RlPlan *plan;

  g_return_val_if_fail (svd != NULL, NULL);

  frac = CLAMP (frac, 0.0, 1.0);
  plan = rl_plan_new (svd->n_layers);
  for (guint i = 0; i < svd->n_layers; i++)
    {
      const RlLayerSvd *layer = &svd->layers[i];
      double total = 0.0, kept = 0.0;
      guint r;

      for (guint j = 0; j < layer->k; j++)
        total += layer->s[j] * layer->s[j];

      /* Same summation order as the total, so frac = 1 ends at r = k; a
       * relative slack of 1e-12 absorbs rounding in hand-made fractions. */
      for (r = 0; r < layer->k; )
        {
          kept += layer->s[r] * layer->s[r];
          r++;
          if (kept >= (frac - 1e-12) * total)
            break;
        }
      r = MAX (r, 1u);
      plan->ranks[i] = layer_rank (layer->m, layer->n, r, mode);
    }
  return plan;
}

guint
rl_plan_max_rank (const RlModel *dense)
{
  guint max_rank = 0;

  g_return_val_if_fail (dense != NULL, 0);

  for (guint i = 0; i < dense->n_layers; i++)
    max_rank = MAX (max_rank, MIN (dense->layers[i].in, dense->layers[i].out));
  return max_rank;
}

guint64
rl_plan_param_count (const RlModel *dense,
                     const RlPlan  *plan)
{
  guint64 count = 0;

  g_return_val_if_fail (dense != NULL, 0);
  g_return_val_if_fail (plan != NULL, 0);
  g_return_val_if_fail (plan->n_layers == dense->n_layers, 0);

  for (guint i = 0; i < dense->n_layers; i++)
    {
      guint64 m = dense->layers[i].in, n = dense->layers[i].out;
      guint64 r = MIN (plan->ranks[i], MIN (m, n));

      count += (r == 0 ? m * n : r * (m + n)) + n;
    }
  return count;
}

guint64
rl_plan_macs (const RlModel *dense,
              const RlPlan  *plan)
{
  guint64 macs = 0;

  g_return_val_if_fail (dense != NULL, 0);
  g_return_val_if_fail (plan != NULL, 0);
  g_return_val_if_fail (plan->n_layers == dense->n_layers, 0);

  for (guint i = 0; i < dense->n_layers; i++)
    {
      guint64 m = dense->layers[i].in, n = dense->layers[i].out;
      guint64 r = MIN (plan->ranks[i], MIN (m, n));

      macs += r == 0 ? m * n : r * (m + n);
    }
  return macs;
}

static gboolean
check_compress_args (const RlModel  *dense,
                     const RlSvd    *svd,
                     const RlPlan   *plan,
                     GError        **error)
{
  if (dense->n_layers == 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_EMPTY, "The model has no layers");
      return FALSE;
    }
  else if (svd->n_layers != dense->n_layers || plan->n_layers != dense->n_layers)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "The model has %u layers but its SVD has %u and the rank plan %u",
                   dense->n_layers, svd->n_layers, plan->n_layers);
      return FALSE;
    }

  for (guint i = 0; i < dense->n_layers; i++)
    {
      const RlLayer *layer = &dense->layers[i];
      const RlLayerSvd *ls = &svd->layers[i];

      if (layer->rank != 0 || layer->w == NULL)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "Layer %u of the source model is already factored", i);
          return FALSE;
        }
      else if (ls->m != layer->in || ls->n != layer->out || ls->k != MIN (ls->m, ls->n)
               || ls->s == NULL || ls->us == NULL || ls->vt == NULL)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                       "The SVD of layer %u is %u×%u but the layer is %u×%u",
                       i, ls->m, ls->n, layer->in, layer->out);
          return FALSE;
        }
      else if (plan->ranks[i] > ls->k)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "Rank %u of layer %u exceeds its largest rank %u",
                       plan->ranks[i], i, ls->k);
          return FALSE;
        }
    }
  return TRUE;
}

RlModel *
rl_compress (const RlModel  *dense,
             const RlSvd    *svd,
             const RlPlan   *plan,
             GError        **error)
{
  g_autoptr(RlModel) model = NULL;
  g_autofree guint *sizes = NULL;

  g_return_val_if_fail (dense != NULL, NULL);
  g_return_val_if_fail (svd != NULL, NULL);
  g_return_val_if_fail (plan != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_compress_args (dense, svd, plan, error))
    return NULL;

  sizes = g_new (guint, dense->n_layers + 1);
  sizes[0] = dense->layers[0].in;
  for (guint i = 0; i < dense->n_layers; i++)
    sizes[i + 1] = dense->layers[i].out;
  model = rl_model_new (sizes, dense->n_layers + 1, error);
  if (model == NULL)
    return NULL;

  for (guint i = 0; i < dense->n_layers; i++)
    {
      const RlLayer *src = &dense->layers[i];
      const RlLayerSvd *ls = &svd->layers[i];
      RlLayer *dst = &model->layers[i];
      guint m = src->in, n = src->out, r = plan->ranks[i];

      g_assert (dst->in == m && dst->out == n);

      dst->act = src->act;
      memcpy (dst->bias, src->bias, sizeof (float) * n);
      if (r == 0)
        {
          memcpy (dst->w, src->w, sizeof (float) * m * n);
          continue;
        }

      /* A = us[:, :r] (m×r), B = vt[:r, :] (r×n). */
      g_clear_pointer (&dst->w, g_free);
      dst->a = g_new (float, (gsize) m * r);
      dst->b = g_new (float, (gsize) r * n);
      for (guint row = 0; row < m; row++)
        memcpy (dst->a + (gsize) row * r, ls->us + (gsize) row * ls->k, sizeof (float) * r);
      memcpy (dst->b, ls->vt, sizeof (float) * r * n);
      dst->rank = r;
    }

  if (dense->meta != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, dense->meta);
      while (g_hash_table_iter_next (&iter, &key, &value))
        rl_model_set_meta (model, key, value);
    }

  return g_steal_pointer (&model);
}
