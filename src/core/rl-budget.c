/* rl-budget.c — per-layer ranks under a parameter budget (see rl-budget.h).
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>

#include "rl-budget.h"
#include "rl-forward.h"

/* Images per forward call while scoring a candidate. */
#define SCORE_CHUNK 2048u
/* A swap must improve the score by more than this to be taken. */
#define SCORE_EPS   1e-9

void
rl_budget_options_init (RlBudgetOptions *opts)
{
  g_return_if_fail (opts != NULL);

  memset (opts, 0, sizeof *opts);
  opts->mode = RL_PLAN_PAPER;
  opts->n_steps = 48;
  opts->start_fraction = 0.5;
  opts->refine_rounds = 16;
}

/* Weights (no bias) of an m×n layer at rank r; 0 = dense. */
static guint64
layer_weights (guint64 m,
               guint64 n,
               guint   r)
{
  return r == 0 ? m * n : (guint64) r * (m + n);
}

guint64
rl_budget_min_params (const RlModel *dense,
                      RlPlanMode     mode)
{
  guint64 total = 0;

  g_return_val_if_fail (dense != NULL, 0);

  for (guint i = 0; i < dense->n_layers; i++)
    {
      guint64 m = dense->layers[i].in, n = dense->layers[i].out;
      guint64 w = layer_weights (m, n, 1);

      if (mode == RL_PLAN_AUTO)
        w = MIN (w, m * n);
      total += w + n;
    }
  return total;
}

static gboolean
check_args (const RlModel  *dense,
            const RlSvd    *svd,
            guint64         budget,
            RlPlanMode      mode,
            GError        **error)
{
  guint64 min_params;

  if (dense->n_layers == 0)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_EMPTY, "The model has no layers");
      return FALSE;
    }
  else if (svd->n_layers != dense->n_layers)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "The model has %u layers but its SVD has %u", dense->n_layers, svd->n_layers);
      return FALSE;
    }
  for (guint i = 0; i < dense->n_layers; i++)
    {
      const RlLayer *l = &dense->layers[i];
      const RlLayerSvd *ls = &svd->layers[i];

      if (l->rank != 0)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "Layer %u of the source model is already factored", i);
          return FALSE;
        }
      else if (ls->m != l->in || ls->n != l->out || ls->k != MIN (ls->m, ls->n) || ls->s == NULL)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                       "The SVD of layer %u is %u×%u but the layer is %u×%u",
                       i, ls->m, ls->n, l->in, l->out);
          return FALSE;
        }
    }

  min_params = rl_budget_min_params (dense, mode);
  if (budget < min_params)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "A budget of %" G_GUINT64_FORMAT " parameters is below the smallest possible "
                   "plan (%" G_GUINT64_FORMAT ", rank 1 everywhere)", budget, min_params);
      return FALSE;
    }
  return TRUE;
}

RlPlan *
rl_plan_energy_budget (const RlModel  *dense,
                       const RlSvd    *svd,
                       guint64         budget,
                       RlPlanMode      mode,
                       double         *frac_out,
                       GError        **error)
{
  g_autoptr(RlPlan) best = NULL;
  double lo = 0.0, hi = 1.0;

  g_return_val_if_fail (dense != NULL, NULL);
  g_return_val_if_fail (svd != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_args (dense, svd, budget, mode, error))
    return NULL;

  best = rl_plan_energy (svd, 1.0, mode);
  if (rl_plan_param_count (dense, best) <= budget)
    {
      if (frac_out != NULL)
        *frac_out = 1.0;
      return g_steal_pointer (&best);
    }

  /* The parameter count grows with the fraction; fraction 0 is rank 1
   * everywhere, which fits (checked above). Invariant: lo fits, hi does not. */
  g_clear_pointer (&best, rl_plan_free);
  best = rl_plan_energy (svd, 0.0, mode);
  for (guint iter = 0; iter < 60 && hi - lo > 1e-12; iter++)
    {
      double mid = 0.5 * (lo + hi);
      g_autoptr(RlPlan) plan = rl_plan_energy (svd, mid, mode);

      if (rl_plan_param_count (dense, plan) <= budget)
        {
          lo = mid;
          rl_plan_free (best);
          best = g_steal_pointer (&plan);
        }
      else
        hi = mid;
    }

  if (frac_out != NULL)
    *frac_out = lo;
  return g_steal_pointer (&best);
}

/* ---- the search -------------------------------------------------------- */

typedef struct
{
  const RlModel   *dense;
  const RlSvd     *svd;
  const RlDataset *val;
  RlWorkspace     *ws;
  float           *scores;
  guint            evaluations;
  RlPlanMode       mode;
  guint           *steps;        /* coarse rank step per layer */
  guint64          budget;
  GCancellable    *cancellable;
  RlProgressFunc   progress;
  gpointer         user_data;
} Search;

static guint64
ranks_params (const Search *s,
              const guint  *ranks)
{
  RlPlan plan = { s->dense->n_layers, (guint *) ranks };

  return rl_plan_param_count (s->dense, &plan);
}

/* Hard and soft accuracy of the plan on the validation set. */
static gboolean
score_ranks (Search       *s,
             const guint  *ranks,
             double       *score,
             double       *accuracy,
             GError      **error)
{
  RlPlan plan = { s->dense->n_layers, (guint *) ranks };
  g_autoptr(RlModel) model = NULL;
  guint n_out = rl_model_output_size (s->dense), in = rl_model_input_size (s->dense);
  guint64 correct = 0;
  double soft = 0.0;

  if (g_cancellable_set_error_if_cancelled (s->cancellable, error))
    return FALSE;

  model = rl_compress (s->dense, s->svd, &plan, error);
  if (model == NULL)
    return FALSE;
  s->evaluations++;

  for (guint start = 0; start < s->val->n; start += SCORE_CHUNK)
    {
      guint count = MIN (SCORE_CHUNK, s->val->n - start);

      rl_model_forward (model, s->val->images + (gsize) start * in, count, s->scores, s->ws);
      for (guint i = 0; i < count; i++)
        {
          const float *p = s->scores + (gsize) i * n_out;
          guint truth = s->val->labels[start + i];
          double sum = 0.0;

          if (rl_argmax (p, n_out) == truth)
            correct++;
          for (guint j = 0; j < n_out; j++)
            sum += isfinite (p[j]) && p[j] > 0 ? p[j] : 0.0;
          if (truth < n_out && sum > 0 && isfinite (p[truth]) && p[truth] > 0)
            soft += p[truth] / sum;
        }
    }

  *accuracy = (double) correct / s->val->n;
  *score = 0.5 * ((double) correct + soft) / s->val->n;
  return TRUE;
}

/* The rank layer i moves to when grown by step (0 = dense in AUTO mode), or
 * FALSE when it cannot grow. */
static gboolean
grow_rank (const Search *s,
           guint         i,
           guint         r,
           guint         step,
           guint        *out)
{
  const RlLayerSvd *ls = &s->svd->layers[i];
  guint next;

  if (r == 0 || r >= ls->k)
    return FALSE;
  next = MIN (ls->k, r + step);
  if (s->mode == RL_PLAN_AUTO
      && layer_weights (ls->m, ls->n, next) >= layer_weights (ls->m, ls->n, 0))
    next = 0;
  *out = next;
  return TRUE;
}

static gboolean
shrink_rank (const Search *s,
             guint         i,
             guint         r,
             guint         step,
             guint        *out)
{
  (void) s; (void) i;
  if (r <= 1)
    return FALSE;   /* rank 1, or dense: dense layers are not shrunk */
  *out = r > step ? r - step : 1;
  return TRUE;
}

static void
report (Search     *s,
        double      fraction,
        const char *stage)
{
  if (s->progress != NULL)
    s->progress (CLAMP (fraction, 0.0, 1.0), stage, s->user_data);
}

/* Grows layers while a step fits: the best score gain per added parameter
 * first; coarse steps, then single ranks for what is left. */
static gboolean
greedy_fill (Search   *s,
             guint    *ranks,
             double   *cur_score,
             guint64   start_params,
             GError  **error)
{
  guint n = s->dense->n_layers;
  g_autofree guint *cand = g_new (guint, n);
  gboolean fine = FALSE;

  for (;;)
    {
      guint64 used = ranks_params (s, ranks);
      double best_ratio = -G_MAXDOUBLE, best_score = 0;
      gint best = -1;
      guint best_rank = 0;

      for (guint i = 0; i < n; i++)
        {
          guint next;
          guint64 params;
          double score, acc;

          if (!grow_rank (s, i, ranks[i], fine ? 1 : s->steps[i], &next))
            continue;
          memcpy (cand, ranks, sizeof (guint) * n);
          cand[i] = next;
          params = ranks_params (s, cand);
          if (params > s->budget || params <= used)
            continue;
          if (!score_ranks (s, cand, &score, &acc, error))
            return FALSE;
          if ((score - *cur_score) / (double) (params - used) > best_ratio)
            {
              best_ratio = (score - *cur_score) / (double) (params - used);
              best = (gint) i;
              best_rank = next;
              best_score = score;
            }
        }

      if (best < 0)
        {
          if (fine)
            return TRUE;
          fine = TRUE;
          continue;
        }
      ranks[best] = best_rank;
      *cur_score = best_score;
      report (s, 0.7 * (double) (ranks_params (s, ranks) - start_params)
                     / (double) MAX (1, s->budget - start_params), "growing ranks");
    }
}

/* One pass over all (grow i, shrink j) pairs that fit; applies the best
 * one if it improves the score. *improved tells whether it did. */
static gboolean
refine_once (Search   *s,
             guint    *ranks,
             double   *cur_score,
             gboolean *improved,
             GError  **error)
{
  guint n = s->dense->n_layers;
  g_autofree guint *cand = g_new (guint, n);
  g_autofree guint *best = g_new (guint, n);
  double best_score = *cur_score + SCORE_EPS;

  *improved = FALSE;
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      {
        guint gi, sj;
        double score, acc;

        if (i == j || !grow_rank (s, i, ranks[i], s->steps[i], &gi)
            || !shrink_rank (s, j, ranks[j], s->steps[j], &sj))
          continue;
        memcpy (cand, ranks, sizeof (guint) * n);
        cand[i] = gi;
        cand[j] = sj;
        if (ranks_params (s, cand) > s->budget)
          continue;
        if (!score_ranks (s, cand, &score, &acc, error))
          return FALSE;
        if (score > best_score)
          {
            best_score = score;
            memcpy (best, cand, sizeof (guint) * n);
            *improved = TRUE;
          }
      }

  if (*improved)
    {
      memcpy (ranks, best, sizeof (guint) * n);
      *cur_score = best_score;
    }
  return TRUE;
}

RlPlan *
rl_budget_plan (const RlModel          *dense,
                const RlSvd            *svd,
                const RlDataset        *val,
                guint64                 budget,
                const RlBudgetOptions  *opts,
                RlBudgetStats          *stats,
                GCancellable           *cancellable,
                RlProgressFunc          progress,
                gpointer                user_data,
                GError                **error)
{
  RlBudgetOptions defaults;
  g_autoptr(RlWorkspace) ws = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autofree float *scores = NULL;
  g_autofree guint *steps = NULL;
  Search s = { 0 };
  double score, accuracy;
  guint64 start_params;

  g_return_val_if_fail (dense != NULL, NULL);
  g_return_val_if_fail (svd != NULL, NULL);
  g_return_val_if_fail (val != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (opts == NULL)
    {
      rl_budget_options_init (&defaults);
      opts = &defaults;
    }
  if (!check_args (dense, svd, budget, opts->mode, error))
    return NULL;
  if (val->n == 0)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_EMPTY, "The validation set is empty");
      return NULL;
    }
  else if (val->rows * val->cols != rl_model_input_size (dense))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "The model takes %u inputs but the validation images have %u×%u pixels",
                   rl_model_input_size (dense), val->rows, val->cols);
      return NULL;
    }
  else if (!(opts->start_fraction >= 0.0 && opts->start_fraction <= 1.0))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "The start fraction must lie in [0, 1], not %g", opts->start_fraction);
      return NULL;
    }

  /* A coarse step of each layer adds about budget/n_steps parameters. */
  steps = g_new (guint, dense->n_layers);
  for (guint i = 0; i < dense->n_layers; i++)
    {
      double per_rank = (double) dense->layers[i].in + dense->layers[i].out;
      double target = (double) budget / MAX (opts->n_steps, 1u);

      steps[i] = (guint) CLAMP (floor (target / per_rank + 0.5), 1.0, (double) svd->layers[i].k);
    }

  /* Start: the equal-energy plan of a part of the budget, else rank 1. */
  if (opts->start_fraction > 0)
    plan = rl_plan_energy_budget (dense, svd, (guint64) (opts->start_fraction * (double) budget),
                                  opts->mode, NULL, NULL);
  if (plan == NULL)
    plan = rl_plan_energy (svd, 0.0, opts->mode);
  g_assert (rl_plan_param_count (dense, plan) <= budget);

  ws = rl_workspace_new ();
  scores = g_new (float, (gsize) SCORE_CHUNK * rl_model_output_size (dense));
  s.dense = dense;
  s.svd = svd;
  s.val = val;
  s.ws = ws;
  s.scores = scores;
  s.mode = opts->mode;
  s.steps = steps;
  s.budget = budget;
  s.cancellable = cancellable;
  s.progress = progress;
  s.user_data = user_data;

  report (&s, 0.0, "growing ranks");
  start_params = rl_plan_param_count (dense, plan);
  if (!score_ranks (&s, plan->ranks, &score, &accuracy, error)
      || !greedy_fill (&s, plan->ranks, &score, start_params, error))
    return NULL;

  for (guint round = 0; round < opts->refine_rounds; round++)
    {
      gboolean improved;

      report (&s, 0.7 + 0.3 * round / opts->refine_rounds, "trading ranks between layers");
      if (!refine_once (&s, plan->ranks, &score, &improved, error))
        return NULL;
      if (!improved)
        break;
      /* A swap may free parameters: spend them. */
      if (!greedy_fill (&s, plan->ranks, &score, start_params, error))
        return NULL;
    }

  g_assert (rl_plan_param_count (dense, plan) <= budget);
  if (stats != NULL)
    {
      if (!score_ranks (&s, plan->ranks, &stats->val_score, &stats->val_accuracy, error))
        return NULL;
      stats->evaluations = s.evaluations;
      stats->params = rl_plan_param_count (dense, plan);
    }
  report (&s, 1.0, "done");
  return g_steal_pointer (&plan);
}
