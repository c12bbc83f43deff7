/* rl-budget.c — per-layer ranks under a parameter budget (see rl-budget.h).
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>

#include "rl-budget.h"
#include "rl-forward.h"

/* A swap must improve the score by more than this to be taken. */
#define SCORE_EPS   1e-9

void
rl_budget_options_init (RlBudgetOptions *opts)
{
  g_return_if_fail (opts != NULL);

  memset (opts, 0, sizeof *opts);
  opts->mode = RL_PLAN_PAPER;
  opts->coarse_steps = 8;
  opts->fine_steps = 64;
  opts->refine_rounds = 8;
  opts->max_evaluations = 400;
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

/* ---- the search -------------------------------------------------------- *
 * The validation activations entering each layer under the current plan
 * are kept, so a candidate that changes layers f.. only runs those. */

typedef struct
{
  const RlModel   *dense;
  const RlSvd     *svd;
  const RlDataset *val;
  RlPlanMode       mode;
  guint64          budget;
  guint            n_layers;
  guint           *cur;          /* current ranks */
  double           cur_score;
  double           cur_acc;
  float          **act;          /* act[l], l ≥ 1: input of layer l, N × in */
  float           *out;          /* N × outputs */
  RlWorkspace     *ws;
  guint            evaluations;
  guint            max_evaluations;
  GCancellable    *cancellable;
  RlProgressFunc   progress;
  gpointer         user_data;
} Search;

static guint64
ranks_params (const Search *s,
              const guint  *ranks)
{
  RlPlan plan = { s->n_layers, (guint *) ranks };

  return rl_plan_param_count (s->dense, &plan);
}

static guint
first_change (const Search *s,
              const guint  *ranks)
{
  guint f = 0;

  while (f < s->n_layers && ranks[f] == s->cur[f])
    f++;
  return f;
}

static const float *
layer_input (const Search *s,
             guint         l)
{
  return l == 0 ? s->val->images : s->act[l];
}

/* Hard accuracy, and the score: the mean of the hard and the soft accuracy
 * (normalised output of the true class). */
static void
score_outputs (const Search *s,
               double       *score,
               double       *accuracy)
{
  guint n_out = s->dense->layers[s->n_layers - 1].out;
  guint64 correct = 0;
  double soft = 0.0;

  for (guint i = 0; i < s->val->n; i++)
    {
      const float *p = s->out + (gsize) i * n_out;
      guint truth = s->val->labels[i];
      double sum = 0.0;

      if (rl_argmax (p, n_out) == truth)
        correct++;
      for (guint j = 0; j < n_out; j++)
        sum += isfinite (p[j]) && p[j] > 0 ? p[j] : 0.0;
      if (truth < n_out && sum > 0 && isfinite (p[truth]) && p[truth] > 0)
        soft += p[truth] / sum;
    }
  *accuracy = (double) correct / s->val->n;
  *score = 0.5 * ((double) correct + soft) / s->val->n;
}

static RlModel *
compress_ranks (Search       *s,
                const guint  *ranks,
                GError      **error)
{
  RlPlan plan = { s->n_layers, (guint *) ranks };

  if (g_cancellable_set_error_if_cancelled (s->cancellable, error))
    return NULL;
  return rl_compress (s->dense, s->svd, &plan, error);
}

static gboolean
score_ranks (Search       *s,
             const guint  *ranks,
             double       *score,
             double       *accuracy,
             GError      **error)
{
  g_autoptr(RlModel) model = NULL;
  RlModel view = { 0 };
  guint f = first_change (s, ranks);

  if (f == s->n_layers)
    {
      *score = s->cur_score;
      *accuracy = s->cur_acc;
      return TRUE;
    }
  model = compress_ranks (s, ranks, error);
  if (model == NULL)
    return FALSE;
  view.n_layers = s->n_layers - f;
  view.layers = model->layers + f;
  rl_model_forward (&view, layer_input (s, f), s->val->n, s->out, s->ws);
  score_outputs (s, score, accuracy);
  s->evaluations++;
  return TRUE;
}

/* Makes ranks the current plan: refreshes the kept activations and scores. */
static gboolean
accept (Search       *s,
        const guint  *ranks,
        GError      **error)
{
  g_autoptr(RlModel) model = NULL;
  RlModel view = { 0 };
  guint f = first_change (s, ranks);

  if (f == s->n_layers)
    return TRUE;
  model = compress_ranks (s, ranks, error);
  if (model == NULL)
    return FALSE;
  for (guint l = f; l < s->n_layers; l++)
    {
      view.n_layers = 1;
      view.layers = model->layers + l;
      rl_model_forward (&view, layer_input (s, l),  s->val->n,
                        l + 1 < s->n_layers ? s->act[l + 1] : s->out, s->ws);
    }
  memcpy (s->cur, ranks, sizeof (guint) * s->n_layers);
  score_outputs (s, &s->cur_score, &s->cur_acc);
  s->evaluations++;
  return TRUE;
}

/* The rank layer i moves to when grown by d (0 = dense in AUTO mode), or
 * FALSE when it cannot grow. */
static gboolean
grow_rank (const Search *s,
           guint         i,
           guint         d,
           guint        *out)
{
  const RlLayerSvd *ls = &s->svd->layers[i];
  guint r = s->cur[i], next;

  if (r == 0 || r >= ls->k)
    return FALSE;
  next = MIN (ls->k, r + d);
  if (s->mode == RL_PLAN_AUTO
      && layer_weights (ls->m, ls->n, next) >= layer_weights (ls->m, ls->n, 0))
    next = 0;
  *out = next;
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

/* Spends what is left of the budget one rank at a time, best gain per
 * parameter first, while that improves the score. */
static gboolean
fill (Search  *s,
      GError **error)
{
  g_autofree guint *cand = g_new (guint, s->n_layers);
  g_autofree guint *best = g_new (guint, s->n_layers);

  while (s->evaluations < s->max_evaluations)
    {
      guint64 used = ranks_params (s, s->cur);
      double best_ratio = 0.0;
      gboolean found = FALSE;

      for (guint i = 0; i < s->n_layers; i++)
        {
          guint64 params;
          double score, acc;

          memcpy (cand, s->cur, sizeof (guint) * s->n_layers);
          if (!grow_rank (s, i, 1, &cand[i]))
            continue;
          params = ranks_params (s, cand);
          if (params > s->budget || params <= used)
            continue;
          if (!score_ranks (s, cand, &score, &acc, error))
            return FALSE;
          if (score - s->cur_score > SCORE_EPS
              && (score - s->cur_score) / (double) (params - used) > best_ratio)
            {
              best_ratio = (score - s->cur_score) / (double) (params - used);
              memcpy (best, cand, sizeof (guint) * s->n_layers);
              found = TRUE;
            }
        }
      if (!found)
        return TRUE;
      if (!accept (s, best, error))
        return FALSE;
    }
  return TRUE;
}

/* One pass over the moves "about q parameters from layer j to layer i";
 * takes the best if it improves the score. */
static gboolean
move_once (Search    *s,
           guint64    q,
           gboolean  *improved,
           GError   **error)
{
  g_autofree guint *cand = g_new (guint, s->n_layers);
  g_autofree guint *best = g_new (guint, s->n_layers);
  double best_score = s->cur_score + SCORE_EPS;

  *improved = FALSE;
  for (guint i = 0; i < s->n_layers; i++)
    for (guint j = 0; j < s->n_layers; j++)
      {
        const RlLayer *lj = &s->dense->layers[j];
        guint64 per_j = (guint64) lj->in + lj->out, over, d;
        guint per_i = s->dense->layers[i].in + s->dense->layers[i].out;
        double score, acc;

        memcpy (cand, s->cur, sizeof (guint) * s->n_layers);
        if (i == j || s->cur[j] <= 1
            || !grow_rank (s, i, (guint) MAX (1, (q + per_i - 1) / per_i), &cand[i]))
          continue;
        over = ranks_params (s, cand) > s->budget ? ranks_params (s, cand) - s->budget : 0;
        d = MAX (1, (over + per_j - 1) / per_j);
        if (d >= s->cur[j])
          continue;
        cand[j] = s->cur[j] - (guint) d;
        g_assert (ranks_params (s, cand) <= s->budget);
        if (!score_ranks (s, cand, &score, &acc, error))
          return FALSE;
        if (score > best_score)
          {
            best_score = score;
            memcpy (best, cand, sizeof (guint) * s->n_layers);
            *improved = TRUE;
          }
      }
  return !*improved || accept (s, best, error);
}

static void
search_clear (Search *s)
{
  for (guint l = 1; s->act != NULL && l < s->n_layers; l++)
    g_free (s->act[l]);
  g_clear_pointer (&s->act, g_free);
  g_clear_pointer (&s->cur, g_free);
  g_clear_pointer (&s->out, g_free);
  g_clear_pointer (&s->ws, rl_workspace_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Search, search_clear)

/* The largest uniform plan that fits the budget (rank 1 always does). */
static RlPlan *
largest_uniform (const RlModel *dense,
                 guint64        budget,
                 RlPlanMode     mode)
{
  guint lo = 1, hi = rl_plan_max_rank (dense);

  while (lo < hi)
    {
      guint mid = lo + (hi - lo + 1) / 2;
      g_autoptr(RlPlan) plan = rl_plan_uniform (dense, mid, mode);

      if (rl_plan_param_count (dense, plan) <= budget)
        lo = mid;
      else
        hi = mid - 1;
    }
  return rl_plan_uniform (dense, lo, mode);
}

static gboolean
check_val (const RlModel    *dense,
           const RlDataset  *val,
           GError          **error)
{
  guint n_out = dense->layers[dense->n_layers - 1].out;

  if (val->n == 0)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_EMPTY, "The validation set is empty");
      return FALSE;
    }
  else if (val->rows * val->cols != rl_model_input_size (dense))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "The model takes %u inputs but the validation images have %u×%u pixels",
                   rl_model_input_size (dense), val->rows, val->cols);
      return FALSE;
    }
  for (guint i = 0; i < val->n; i++)
    if (val->labels[i] >= n_out)
      {
        g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                     "Validation label %u of image %u is out of range for %u classes",
                     val->labels[i], i, n_out);
        return FALSE;
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
  g_auto(Search) s = { 0 };
  g_autoptr(RlPlan) uniform = NULL, energy = NULL;
  RlPlan *plan;
  guint n_scales = 0;
  double score, acc;

  g_return_val_if_fail (dense != NULL, NULL);
  g_return_val_if_fail (svd != NULL, NULL);
  g_return_val_if_fail (val != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (opts == NULL)
    {
      rl_budget_options_init (&defaults);
      opts = &defaults;
    }
  if (!check_args (dense, svd, budget, opts->mode, error) || !check_val (dense, val, error))
    return NULL;
  if (opts->coarse_steps < 1 || opts->fine_steps < opts->coarse_steps || opts->fine_steps > 65536)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "The step divisors must satisfy 1 ≤ coarse (%u) ≤ fine (%u) ≤ 65536",
                   opts->coarse_steps, opts->fine_steps);
      return NULL;
    }

  s.dense = dense;
  s.svd = svd;
  s.val = val;
  s.mode = opts->mode;
  s.budget = budget;
  s.n_layers = dense->n_layers;
  s.max_evaluations = MAX (opts->max_evaluations, 2);
  s.cancellable = cancellable;
  s.progress = progress;
  s.user_data = user_data;
  s.ws = rl_workspace_new ();
  s.out = g_new (float, (gsize) val->n * dense->layers[dense->n_layers - 1].out);
  s.act = g_new0 (float *, dense->n_layers);
  for (guint l = 1; l < dense->n_layers; l++)
    s.act[l] = g_new (float, (gsize) val->n * dense->layers[l].in);
  s.cur = g_new (guint, dense->n_layers);
  for (guint l = 0; l < dense->n_layers; l++)
    s.cur[l] = G_MAXUINT;   /* nothing kept yet */

  /* Start from the better of the study's uniform plan and the equal-energy
   * plan, each the largest that fits. */
  report (&s, 0.0, "starting plans");
  uniform = largest_uniform (dense, budget, opts->mode);
  energy = rl_plan_energy_budget (dense, svd, budget, opts->mode, NULL, error);
  if (energy == NULL || !accept (&s, uniform->ranks, error)
      || !score_ranks (&s, energy->ranks, &score, &acc, error))
    return NULL;
  if (score > s.cur_score + SCORE_EPS && !accept (&s, energy->ranks, error))
    return NULL;
  if (!fill (&s, error))
    return NULL;

  /* Move parameters between layers, in large chunks first. */
  for (guint c = opts->coarse_steps; c <= opts->fine_steps; c *= 2)
    n_scales++;
  for (guint c = opts->coarse_steps, k = 0; c <= opts->fine_steps; c *= 2, k++)
    for (guint round = 0; round < opts->refine_rounds && s.evaluations < s.max_evaluations; round++)
      {
        gboolean improved;

        report (&s, (k + (double) round / MAX (opts->refine_rounds, 1)) / n_scales,
                "moving ranks between layers");
        if (!move_once (&s, MAX (1, budget / c), &improved, error))
          return NULL;
        if (!improved)
          break;
        if (!fill (&s, error))
          return NULL;
      }

  plan = rl_plan_new (dense->n_layers);
  memcpy (plan->ranks, s.cur, sizeof (guint) * dense->n_layers);
  g_assert (rl_plan_param_count (dense, plan) <= budget);
  if (stats != NULL)
    {
      stats->val_accuracy = s.cur_acc;
      stats->val_score = s.cur_score;
      stats->evaluations = s.evaluations;
      stats->params = rl_plan_param_count (dense, plan);
    }
  report (&s, 1.0, "done");
  return plan;
}
