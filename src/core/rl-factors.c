/* rl-factors.c — eigen-strokes, projections, heat maps, predictions by
 * rank and multiply-add counts, from the cached SVD factors.
 *
 * OpenBLAS code (cblas.h): no GSL header may be included here. */

#include "config.h"

#include <math.h>
#include <string.h>
#include <cblas.h>

#include "rl-factors.h"
#include "rl-forward.h"

#define MAX_HEATMAP_SIDE 4096u

/* ---------------------------------------------------- input directions */

gboolean
rl_factors_input_direction (const RlLayerSvd *svd,
                            guint             i,
                            float            *out)
{
  double sigma, best = 0.0;
  guint arg = 0;

  g_return_val_if_fail (svd != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof (float) * svd->m);
  if (i >= svd->k || !(svd->s[i] > 0.0))
    return FALSE;

  sigma = svd->s[i];
  for (guint a = 0; a < svd->m; a++)
    {
      double v = svd->us[(gsize) a * svd->k + i] / sigma;

      out[a] = (float) v;
      if (fabs (v) > best)
        {
          best = fabs (v);
          arg = a;
        }
    }
  if (out[arg] < 0.0f)
    for (guint a = 0; a < svd->m; a++)
      out[a] = -out[a];
  return TRUE;
}

double
rl_factors_project_input (const RlLayerSvd *svd,
                          guint             r,
                          const float      *x,
                          float            *out)
{
  g_autofree double *acc = NULL;
  double x2 = 0.0, p2 = 0.0;
  guint m, k;

  g_return_val_if_fail (svd != NULL, 0.0);
  g_return_val_if_fail (x != NULL && out != NULL, 0.0);

  m = svd->m;
  k = svd->k;
  r = MIN (r, k);
  acc = g_new0 (double, m);

  for (guint i = 0; i < r; i++)
    {
      const double sigma = svd->s[i];
      double c = 0.0;

      if (!(sigma > 0.0))
        continue;
      /* u_i = us[:, i] / σ_i, so (u_iᵀx)·u_i = (us_iᵀx)·us_i / σ_i² */
      for (guint a = 0; a < m; a++)
        c += (double) svd->us[(gsize) a * k + i] * x[a];
      c /= sigma * sigma;
      for (guint a = 0; a < m; a++)
        acc[a] += c * svd->us[(gsize) a * k + i];
    }

  for (guint a = 0; a < m; a++)
    {
      x2 += (double) x[a] * x[a];
      p2 += acc[a] * acc[a];
      out[a] = (float) acc[a];   /* after reading x[a]: out may be x */
    }
  return x2 > 0.0 ? p2 / x2 : 0.0;
}

void
rl_factors_reconstruct (const RlLayerSvd *svd,
                        guint             r,
                        float            *out)
{
  g_return_if_fail (svd != NULL);
  g_return_if_fail (out != NULL);

  r = MIN (r, svd->k);
  if (r == 0)
    {
      memset (out, 0, sizeof (float) * svd->m * svd->n);
      return;
    }
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
               (int) svd->m, (int) svd->n, (int) r,
               1.0f, svd->us, (int) svd->k, svd->vt, (int) svd->n,
               0.0f, out, (int) svd->n);
}

/* ----------------------------------------------------------- heat maps */

static RlHeatmap *
heatmap_alloc (guint     m,
               guint     n,
               guint     max_side,
               GError  **error)
{
  RlHeatmap *map;
  guint block;

  if (m == 0 || n == 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "Cannot draw a heat map of an empty %u×%u matrix", m, n);
      return NULL;
    }
  if (max_side == 0 || max_side > MAX_HEATMAP_SIDE)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "Heat map side %u is outside 1..%u", max_side, MAX_HEATMAP_SIDE);
      return NULL;
    }

  block = (MAX (m, n) + max_side - 1) / max_side;
  map = g_new0 (RlHeatmap, 1);
  map->src_rows = m;
  map->src_cols = n;
  map->block = block;
  map->rows = (m + block - 1) / block;
  map->cols = (n + block - 1) / block;
  map->data = g_new0 (float, (gsize) map->rows * map->cols);
  return map;
}

static void
heatmap_update_scale (RlHeatmap *map)
{
  double best = 0.0;

  for (gsize i = 0; i < (gsize) map->rows * map->cols; i++)
    if (fabs (map->data[i]) > best)
      best = fabs (map->data[i]);
  map->max_abs = best;
}

/* Number of source rows (or columns) in block g of a side of length len. */
static guint
block_len (guint g,
           guint block,
           guint len)
{
  guint start = g * block;

  return MIN (start + block, len) - start;
}

RlHeatmap *
rl_heatmap_new (const float  *w,
                guint         m,
                guint         n,
                guint         max_side,
                GError      **error)
{
  g_autofree double *sums = NULL;
  RlHeatmap *map;

  g_return_val_if_fail (w != NULL || m == 0 || n == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  map = heatmap_alloc (m, n, max_side, error);
  if (map == NULL)
    return NULL;

  sums = g_new0 (double, (gsize) map->rows * map->cols);
  for (guint a = 0; a < m; a++)
    {
      double *row = sums + (gsize) (a / map->block) * map->cols;
      const float *src = w + (gsize) a * n;

      for (guint b = 0; b < n; b++)
        row[b / map->block] += src[b];
    }
  for (guint g = 0; g < map->rows; g++)
    for (guint h = 0; h < map->cols; h++)
      {
        double count = (double) block_len (g, map->block, m) * block_len (h, map->block, n);
        gsize idx = (gsize) g * map->cols + h;

        map->data[idx] = (float) (sums[idx] / count);
      }
  heatmap_update_scale (map);
  return map;
}

RlHeatmap *
rl_heatmap_new_low_rank (const RlLayerSvd  *svd,
                         guint              r,
                         guint              max_side,
                         GError           **error)
{
  g_autofree double *ubar = NULL;   /* rows × r */
  g_autofree double *vbar = NULL;   /* r × cols */
  RlHeatmap *map;
  guint k;

  g_return_val_if_fail (svd != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  map = heatmap_alloc (svd->m, svd->n, max_side, error);
  if (map == NULL)
    return NULL;

  k = svd->k;
  r = MIN (r, k);
  if (r == 0)
    return map;

  ubar = g_new0 (double, (gsize) map->rows * r);
  vbar = g_new0 (double, (gsize) r * map->cols);
  for (guint a = 0; a < svd->m; a++)
    {
      double *dst = ubar + (gsize) (a / map->block) * r;
      const float *src = svd->us + (gsize) a * k;

      for (guint i = 0; i < r; i++)
        dst[i] += src[i];
    }
  for (guint g = 0; g < map->rows; g++)
    for (guint i = 0; i < r; i++)
      ubar[(gsize) g * r + i] /= block_len (g, map->block, svd->m);
  for (guint i = 0; i < r; i++)
    {
      const float *src = svd->vt + (gsize) i * svd->n;
      double *dst = vbar + (gsize) i * map->cols;

      for (guint b = 0; b < svd->n; b++)
        dst[b / map->block] += src[b];
      for (guint h = 0; h < map->cols; h++)
        dst[h] /= block_len (h, map->block, svd->n);
    }

  for (guint g = 0; g < map->rows; g++)
    {
      const double *u = ubar + (gsize) g * r;

      for (guint h = 0; h < map->cols; h++)
        {
          double sum = 0.0;

          for (guint i = 0; i < r; i++)
            sum += u[i] * vbar[(gsize) i * map->cols + h];
          map->data[(gsize) g * map->cols + h] = (float) sum;
        }
    }
  heatmap_update_scale (map);
  return map;
}

RlHeatmap *
rl_heatmap_new_difference (const RlHeatmap  *a,
                           const RlHeatmap  *b,
                           GError          **error)
{
  RlHeatmap *map;

  g_return_val_if_fail (a != NULL && b != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (a->rows != b->rows || a->cols != b->cols || a->block != b->block ||
      a->src_rows != b->src_rows || a->src_cols != b->src_cols)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "Heat maps of %u×%u and %u×%u matrices cannot be subtracted",
                   a->src_rows, a->src_cols, b->src_rows, b->src_cols);
      return NULL;
    }

  map = g_new0 (RlHeatmap, 1);
  *map = *a;
  map->data = g_new (float, (gsize) a->rows * a->cols);
  for (gsize i = 0; i < (gsize) a->rows * a->cols; i++)
    map->data[i] = a->data[i] - b->data[i];
  heatmap_update_scale (map);
  return map;
}

void
rl_heatmap_free (RlHeatmap *map)
{
  if (map == NULL)
    return;
  g_free (map->data);
  g_free (map);
}

/* ---------------------------------------------------------------- cost */

guint64
rl_cost_dense_macs (guint64 batch,
                    guint   m,
                    guint   n)
{
  return batch * (guint64) m * n;
}

guint64
rl_cost_factored_macs (guint64 batch,
                       guint   r,
                       guint   m,
                       guint   n)
{
  return batch * (guint64) r * ((guint64) m + n);
}

/* ---------------------------------------------------------------- copy */

RlSvd *
rl_factors_svd_copy (const RlSvd *svd)
{
  RlSvd *copy;

  g_return_val_if_fail (svd != NULL, NULL);

  copy = g_new0 (RlSvd, 1);
  copy->n_layers = svd->n_layers;
  copy->layers = g_new0 (RlLayerSvd, MAX (1u, svd->n_layers));
  copy->weights_hash = g_strdup (svd->weights_hash);
  for (guint l = 0; l < svd->n_layers; l++)
    {
      const RlLayerSvd *src = &svd->layers[l];
      RlLayerSvd *dst = &copy->layers[l];

      dst->m = src->m;
      dst->n = src->n;
      dst->k = src->k;
      dst->s = g_memdup2 (src->s, sizeof (double) * src->k);
      dst->us = g_memdup2 (src->us, sizeof (float) * src->m * src->k);
      dst->vt = g_memdup2 (src->vt, sizeof (float) * src->k * src->n);
    }
  return copy;
}

/* ----------------------------------------------- predictions by rank */

/* dst (out) = x (in) · layer l at rank r (0 = dense), before bias. */
static void
layer_product (const RlLayer    *layer,
               const RlLayerSvd *svd,
               guint             r,
               const float      *x,
               float            *mid,
               float            *dst)
{
  if (r == 0)
    {
      cblas_sgemv (CblasRowMajor, CblasTrans, (int) layer->in, (int) layer->out,
                   1.0f, layer->w, (int) layer->out, x, 1, 0.0f, dst, 1);
      return;
    }
  r = MIN (r, svd->k);
  cblas_sgemv (CblasRowMajor, CblasTrans, (int) layer->in, (int) r,
               1.0f, svd->us, (int) svd->k, x, 1, 0.0f, mid, 1);
  cblas_sgemv (CblasRowMajor, CblasTrans, (int) r, (int) layer->out,
               1.0f, svd->vt, (int) layer->out, mid, 1, 0.0f, dst, 1);
}

static gboolean
check_shapes (const RlModel  *dense,
              const RlSvd    *svd,
              GError        **error)
{
  if (dense->n_layers == 0 || rl_model_is_factored (dense))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "Predictions by rank need a dense model with at least one layer");
      return FALSE;
    }
  if (svd->n_layers != dense->n_layers)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "The SVD has %u layers, the model %u", svd->n_layers, dense->n_layers);
      return FALSE;
    }
  for (guint l = 0; l < dense->n_layers; l++)
    if (svd->layers[l].m != dense->layers[l].in || svd->layers[l].n != dense->layers[l].out ||
        svd->layers[l].k != MIN (svd->layers[l].m, svd->layers[l].n))
      {
        g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                     "Layer %u: the SVD is of a %u×%u matrix, the layer is %u×%u",
                     l, svd->layers[l].m, svd->layers[l].n,
                     dense->layers[l].in, dense->layers[l].out);
        return FALSE;
      }
  return TRUE;
}

/* Runs layers first..n_layers−1 on buf[0] (holding layer first's input);
 * returns the output buffer. */
static float *
forward_from (const RlModel *dense,
              const RlSvd   *svd,
              const guint   *ranks,
              guint          first,
              float         *buf[2],
              float         *mid)
{
  guint cur = 0;

  for (guint l = first; l < dense->n_layers; l++)
    {
      const RlLayer *layer = &dense->layers[l];

      layer_product (layer, &svd->layers[l], ranks[l], buf[cur], mid, buf[cur ^ 1]);
      _rl_bias_act (buf[cur ^ 1], 1, layer->out, 0, layer->out, layer->bias, layer->act);
      cur ^= 1;
    }
  return buf[cur];
}

guint
rl_factors_predict (const RlModel *dense,
                    const RlSvd   *svd,
                    const RlPlan  *plan,
                    const float   *x,
                    float         *outputs)
{
  g_autofree float *b0 = NULL;
  g_autofree float *b1 = NULL;
  g_autofree float *mid = NULL;
  float *buf[2];
  const float *y;
  guint width, n_out;

  g_return_val_if_fail (dense != NULL && svd != NULL && plan != NULL, 0);
  g_return_val_if_fail (x != NULL, 0);
  g_return_val_if_fail (plan->n_layers == dense->n_layers, 0);
  g_return_val_if_fail (check_shapes (dense, svd, NULL), 0);

  width = MAX (rl_model_max_width (dense), rl_model_input_size (dense));
  n_out = rl_model_output_size (dense);
  buf[0] = b0 = g_new (float, width);
  buf[1] = b1 = g_new (float, width);
  mid = g_new (float, width);
  memcpy (b0, x, sizeof (float) * rl_model_input_size (dense));
  y = forward_from (dense, svd, plan->ranks, 0, buf, mid);
  if (outputs != NULL)
    memcpy (outputs, y, sizeof (float) * n_out);
  return rl_argmax (y, n_out);
}

RlRankPredictions *
rl_rank_predictions_compute (const RlModel  *dense,
                             const RlSvd    *svd,
                             const float    *x,
                             RlPlanMode      mode,
                             GCancellable   *cancellable,
                             GError        **error)
{
  g_autoptr(RlRankPredictions) preds = NULL;
  g_autoptr(RlPlan) prev = NULL;
  g_autofree float *b0 = NULL;
  g_autofree float *b1 = NULL;
  g_autofree float *mid = NULL;
  g_autofree float *z0 = NULL;      /* x · us_0 (k_0) */
  g_autofree double *acc0 = NULL;   /* Σ_{j<r0} z0_j · vt_0[j, :] */
  g_autofree float *dense0 = NULL;  /* x · W_0 */
  const RlLayer *L0;
  const RlLayerSvd *S0;
  float *buf[2];
  guint width, n_out, r0_done = 0;

  g_return_val_if_fail (dense != NULL && svd != NULL && x != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_shapes (dense, svd, error))
    return NULL;
  if (rl_model_output_size (dense) > 256)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "Predictions by rank support at most 256 classes, the model has %u",
                   rl_model_output_size (dense));
      return NULL;
    }

  width = MAX (rl_model_max_width (dense), rl_model_input_size (dense));
  n_out = rl_model_output_size (dense);
  buf[0] = b0 = g_new (float, width);
  buf[1] = b1 = g_new (float, width);
  mid = g_new (float, width);

  L0 = &dense->layers[0];
  S0 = &svd->layers[0];
  z0 = g_new (float, S0->k);
  acc0 = g_new0 (double, L0->out);
  dense0 = g_new (float, L0->out);
  cblas_sgemv (CblasRowMajor, CblasTrans, (int) L0->in, (int) S0->k,
               1.0f, S0->us, (int) S0->k, x, 1, 0.0f, z0, 1);
  cblas_sgemv (CblasRowMajor, CblasTrans, (int) L0->in, (int) L0->out,
               1.0f, L0->w, (int) L0->out, x, 1, 0.0f, dense0, 1);

  preds = g_new0 (RlRankPredictions, 1);
  preds->n_ranks = MAX (1u, rl_plan_max_rank (dense));
  preds->classes = g_new0 (guint8, preds->n_ranks);

  /* The original: layer 0 from dense0, the rest dense. */
  {
    g_autoptr(RlPlan) all_dense = rl_plan_new (dense->n_layers);
    const float *y;

    memcpy (b0, dense0, sizeof (float) * L0->out);
    _rl_bias_act (b0, 1, L0->out, 0, L0->out, L0->bias, L0->act);
    y = forward_from (dense, svd, all_dense->ranks, 1, buf, mid);
    preds->original = rl_argmax (y, n_out);
  }

  for (guint r = 1; r <= preds->n_ranks; r++)
    {
      g_autoptr(RlPlan) plan = rl_plan_uniform (dense, r, mode);
      guint r0 = plan->ranks[0];
      const float *y;

      if ((r & 15) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (prev != NULL &&
          memcmp (prev->ranks, plan->ranks, sizeof (guint) * plan->n_layers) == 0)
        {
          preds->classes[r - 1] = preds->classes[r - 2];
          continue;
        }

      if (r0 == 0)
        memcpy (b0, dense0, sizeof (float) * L0->out);
      else
        {
          /* ranks only grow with r: add the new outer products */
          for (; r0_done < MIN (r0, S0->k); r0_done++)
            {
              const float *v = S0->vt + (gsize) r0_done * L0->out;
              double z = z0[r0_done];

              for (guint b = 0; b < L0->out; b++)
                acc0[b] += z * v[b];
            }
          for (guint b = 0; b < L0->out; b++)
            b0[b] = (float) acc0[b];
        }
      _rl_bias_act (b0, 1, L0->out, 0, L0->out, L0->bias, L0->act);
      y = forward_from (dense, svd, plan->ranks, 1, buf, mid);
      preds->classes[r - 1] = (guint8) rl_argmax (y, n_out);

      g_clear_pointer (&prev, rl_plan_free);
      prev = g_steal_pointer (&plan);
    }

  preds->stable_rank = preds->n_ranks + 1;
  for (guint r = preds->n_ranks; r >= 1; r--)
    {
      if (preds->classes[r - 1] != preds->original)
        break;
      preds->stable_rank = r;
    }
  for (guint r = 1; r <= preds->n_ranks; r++)
    if (preds->classes[r - 1] != preds->original)
      preds->n_disagree++;

  return g_steal_pointer (&preds);
}

void
rl_rank_predictions_free (RlRankPredictions *preds)
{
  if (preds == NULL)
    return;
  g_free (preds->classes);
  g_free (preds);
}
