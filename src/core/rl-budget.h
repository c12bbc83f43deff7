/* rl-budget.h — per-layer ranks under a parameter budget.
 *
 * The study gives every layer the same rank. Layers differ in what a rank
 * costs (r·(m+n) weights) and in what it buys, so a plan that spends the
 * same number of parameters per layer where they matter keeps more accuracy.
 *
 * Two planners:
 *  - rl_plan_energy_budget: the largest common energy fraction whose plan
 *    fits the budget (no data needed; a good starting point);
 *  - rl_budget_plan: starts from the better of that plan and the largest
 *    uniform plan that fits, spends what is left one rank at a time (best
 *    gain per parameter first), then moves chunks of parameters from one
 *    layer to another while the validation score improves, with ever
 *    smaller chunks. The score is the mean of the hard accuracy and the soft
 *    accuracy (normalised output of the true class) on the validation
 *    images — never pass the test set here. Only improvements are taken, so
 *    the result scores at least as well as the uniform plan on validation.
 *
 * Every plan returned satisfies rl_plan_param_count (dense, plan) ≤ budget. */
#pragma once

#include <gio/gio.h>
#include "rl-error.h"
#include "rl-model.h"
#include "rl-svd.h"
#include "rl-plan.h"
#include "rl-dataset.h"

G_BEGIN_DECLS

/* The validation images the CLI and the app pass to rl_budget_plan:
 * training images 50,000–59,999 (the test set is never used to plan). */
#define RL_BUDGET_VAL_START  50000u
#define RL_BUDGET_VAL_COUNT  10000u

typedef struct
{
  RlPlanMode mode;            /* PAPER: every layer factored (rank ≥ 1);
                                 AUTO: a layer may stay dense (rank 0) */
  guint      coarse_steps;    /* the first moves shift budget/coarse_steps
                                 parameters between layers (8) … */
  guint      fine_steps;      /* … halving down to budget/fine_steps (64) */
  guint      refine_rounds;   /* at most this many moves per step size (8) */
  guint      max_evaluations; /* a ceiling on the candidates scored (400) */
} RlBudgetOptions;

typedef struct
{
  double   val_accuracy;     /* hard accuracy of the plan on the validation set */
  double   val_score;        /* the score the search maximised */
  guint    evaluations;      /* compressed models scored */
  guint64  params;           /* rl_plan_param_count of the result */
} RlBudgetStats;

void      rl_budget_options_init (RlBudgetOptions *opts);

/* The smallest parameter count any plan under mode can have (rank 1
 * everywhere; in AUTO mode a layer dense where that is smaller). */
guint64   rl_budget_min_params   (const RlModel   *dense,
                                  RlPlanMode       mode);

/* The plan rl_plan_energy (svd, f, mode) for the largest f in (0, 1] that
 * fits budget. frac_out (nullable) receives f. Fails with RL_ERROR_INVALID
 * when budget is below rl_budget_min_params. */
RlPlan   *rl_plan_energy_budget  (const RlModel   *dense,
                                  const RlSvd     *svd,
                                  guint64          budget,
                                  RlPlanMode       mode,
                                  double          *frac_out,
                                  GError         **error);

/* The search described above. val: validation images (for the study's
 * split, training images 48,000–59,999; the CLI uses 50,000–59,999). opts
 * and stats may be NULL. Keeps val->n × (sum of the hidden widths) floats
 * of activations (72 MB for 10,000 images of the study's network), so pass
 * a few thousand images. Deterministic for given inputs. Cancellable
 * (G_IO_ERROR_CANCELLED); progress is called from the calling thread. */
RlPlan   *rl_budget_plan         (const RlModel          *dense,
                                  const RlSvd            *svd,
                                  const RlDataset        *val,
                                  guint64                 budget,
                                  const RlBudgetOptions  *opts,
                                  RlBudgetStats          *stats,
                                  GCancellable           *cancellable,
                                  RlProgressFunc          progress,
                                  gpointer                user_data,
                                  GError                **error);

G_END_DECLS
