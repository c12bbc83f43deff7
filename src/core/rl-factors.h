/* rl-factors.h — what the SVD factors of a layer look like: the input
 * directions of the first layer as images ("eigen-strokes"), projections
 * onto the top-r input subspace, block-averaged heat maps of W, W_r and
 * W − W_r, the prediction of a truncated model at every rank, and the
 * multiply-add counts of dense and factored layers. GTK-free.
 *
 * Notation of rl-svd.h: W (m×n = in×out) = U·Σ·Vᵀ, us = U·Σ (m×k), vt = Vᵀ
 * (k×n). A row vector x (1×m) enters the layer as x·W, so the INPUT
 * subspace a rank-r layer can see is spanned by u_1..u_r, the first r
 * columns of U (column i of us divided by σ_i). */
#pragma once

#include <gio/gio.h>

#include "rl-error.h"
#include "rl-model.h"
#include "rl-plan.h"
#include "rl-svd.h"

G_BEGIN_DECLS

/* ---------------------------------------------------- input directions */

/* out[m] = u_i, the i-th (0-based) left singular vector, unit length, its
 * sign chosen so that its largest-magnitude entry is positive (an SVD fixes
 * each pair u_i, v_i only up to a common sign). Returns FALSE and zeroes
 * out when i ≥ k or σ_i is 0 (no direction). */
gboolean  rl_factors_input_direction (const RlLayerSvd *svd,
                                      guint             i,
                                      float            *out);

/* out[m] = U_r·U_rᵀ·x: the orthogonal projection of x[m] onto the span of
 * u_1..u_r (r clamped to k; directions with σ_i = 0 are skipped). It is
 * all that a rank-r layer sees of x: x·W_r = out·W. out may equal x.
 * Returns ‖out‖² / ‖x‖² (the share of x's energy kept; 0 when x = 0). */
double    rl_factors_project_input   (const RlLayerSvd *svd,
                                      guint             r,
                                      const float      *x,
                                      float            *out);

/* out (m×n, row-major) = W_r = us[:, :r]·vt[:r, :] (r clamped to k). */
void      rl_factors_reconstruct     (const RlLayerSvd *svd,
                                      guint             r,
                                      float            *out);

/* ----------------------------------------------------------- heat maps */

/* A matrix shrunk by block averaging for display. Blocks are b×b squares
 * with b = ⌈max(m,n)/max_side⌉ (the last row and column of blocks may be
 * smaller), so the aspect ratio is kept and a constant matrix stays
 * constant. */
typedef struct
{
  guint  rows, cols;           /* of data: ⌈m/b⌉ × ⌈n/b⌉ */
  guint  src_rows, src_cols;   /* m × n */
  guint  block;                /* b */
  float *data;                 /* rows×cols, row-major */
  double max_abs;              /* largest |data|: the symmetric colour scale */
} RlHeatmap;

/* Block averages of a row-major m×n matrix; max_side in 1..4096. NULL and
 * RL_ERROR_INVALID on empty shapes or a bad max_side. */
RlHeatmap *rl_heatmap_new           (const float      *w,
                                     guint             m,
                                     guint             n,
                                     guint             max_side,
                                     GError          **error);
/* Block averages of W_r without forming W_r: the mean of an outer product
 * over a block is the product of the means, so the cost is r·(rows·cols)
 * instead of r·m·n. Same block grid as rl_heatmap_new (…, m, n, max_side). */
RlHeatmap *rl_heatmap_new_low_rank  (const RlLayerSvd *svd,
                                     guint             r,
                                     guint             max_side,
                                     GError          **error);
/* a − b (the heat map of W − W_r from those of W and W_r); the grids must
 * agree, else RL_ERROR_SHAPE. */
RlHeatmap *rl_heatmap_new_difference (const RlHeatmap *a,
                                      const RlHeatmap *b,
                                      GError         **error);
void       rl_heatmap_free          (RlHeatmap        *map);

/* ----------------------------------------------- predictions by rank */

/* The class a truncated model predicts for one input at every uniform rank
 * r = 1..n_ranks (the session's rank slider; rl_plan_uniform under mode). */
typedef struct
{
  guint   n_ranks;       /* rl_plan_max_rank (dense) */
  guint8 *classes;       /* classes[r − 1] = prediction at rank r */
  guint   original;      /* the dense model's prediction */
  /* The lowest stable rank: the smallest r such that the prediction at
   * EVERY rank r' ≥ r equals the original's (1 if all agree, n_ranks + 1
   * if even the largest rank disagrees). Below it, at r − 1, the
   * prediction changes to classes[r − 2]. */
  guint   stable_rank;
  guint   n_disagree;    /* ranks whose prediction differs from the original */
} RlRankPredictions;

/* Computes RlRankPredictions for x (input_size floats). Uses the factors
 * directly (no copies; layer 0 incrementally), which gives the same
 * outputs as rl_compress + rl_model_predict up to float rounding. Checks
 * cancellable between ranks. */
RlRankPredictions *rl_rank_predictions_compute (const RlModel  *dense,
                                                const RlSvd    *svd,
                                                const float    *x,
                                                RlPlanMode      mode,
                                                GCancellable   *cancellable,
                                                GError        **error);
void               rl_rank_predictions_free    (RlRankPredictions *preds);

/* The outputs (output_size floats) of the model truncated by plan for one
 * input, from the factors (as above). Returns the arg-max class. */
guint     rl_factors_predict        (const RlModel  *dense,
                                     const RlSvd    *svd,
                                     const RlPlan   *plan,
                                     const float    *x,
                                     float          *outputs);

/* A deep copy (the explorer keeps one for its worker threads). */
RlSvd    *rl_factors_svd_copy       (const RlSvd    *svd);

/* ---------------------------------------------------------------- cost */

/* Multiply-adds of b inputs through a dense m×n layer: b·m·n. */
guint64   rl_cost_dense_macs        (guint64 batch,
                                     guint   m,
                                     guint   n);
/* … and through its rank-r factors x·A then ·B: b·r·(m+n). */
guint64   rl_cost_factored_macs     (guint64 batch,
                                     guint   r,
                                     guint   m,
                                     guint   n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlHeatmap, rl_heatmap_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlRankPredictions, rl_rank_predictions_free)

G_END_DECLS
