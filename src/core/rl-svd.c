/* rl-svd.c — per-layer SVD (GSL side): the fast Gram/eigen route, the
 * Golub–Reinsch reference, the whole-model job and the Eckart–Young
 * quantities. The BLAS half lives in rl-svd-gram.c.
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "rl-svd.h"
#include "rl-svd-private.h"

/* Bounds a result must meet before rl_svd_compute accepts it. */
#define RL_SVD_MAX_RESIDUAL  1e-4
#define RL_SVD_MAX_ORTHO     1e-4
#define RL_SVD_ORTHO_FLOOR   1e-6   /* check u_i only where σ_i > this·σ₁ */

void
rl_layer_svd_clear (RlLayerSvd *svd)
{
  if (svd == NULL)
    return;
  g_clear_pointer (&svd->s, g_free);
  g_clear_pointer (&svd->us, g_free);
  g_clear_pointer (&svd->vt, g_free);
  svd->m = svd->n = svd->k = 0;
}

static gboolean
check_input (const float  *w,
             guint         m,
             guint         n,
             GError      **error)
{
  if (w == NULL || m == 0 || n == 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "Cannot decompose an empty %u×%u matrix", m, n);
      return FALSE;
    }
  else if (m > RL_MODEL_MAX_WIDTH || n > RL_MODEL_MAX_WIDTH)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "A %u×%u matrix exceeds the largest supported layer size (%u)",
                   m, n, RL_MODEL_MAX_WIDTH);
      return FALSE;
    }

  for (gsize i = 0; i < (gsize) m * n; i++)
    if (!isfinite (w[i]))
      {
        g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                     "Matrix element (%u, %u) is not finite",
                     (guint) (i / n), (guint) (i % n));
        return FALSE;
      }
  return TRUE;
}

static gboolean
layer_svd_alloc (RlLayerSvd  *out,
                 guint        m,
                 guint        n,
                 GError     **error)
{
  guint k = MIN (m, n);

  memset (out, 0, sizeof *out);
  out->s = g_try_new0 (double, k);
  out->us = g_try_new0 (float, (gsize) m * k);
  out->vt = g_try_new0 (float, (gsize) k * n);
  if (out->s == NULL || out->us == NULL || out->vt == NULL)
    {
      rl_layer_svd_clear (out);
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "Not enough memory for the SVD of a %u×%u matrix", m, n);
      return FALSE;
    }
  out->m = m;
  out->n = n;
  out->k = k;
  return TRUE;
}

static gboolean
gsl_failed (int          status,
            const char  *what,
            GError     **error)
{
  if (status == GSL_SUCCESS)
    return FALSE;
  g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC, "%s failed: %s", what, gsl_strerror (status));
  return TRUE;
}

gboolean
rl_layer_svd_compute (const float  *w,
                      guint         m,
                      guint         n,
                      RlLayerSvd   *out,
                      GError      **error)
{
  g_autofree double *wd = NULL;
  g_autofree double *g = NULL;
  g_autofree double *evec = NULL;
  gsl_eigen_symmv_workspace *ws;
  gsl_vector *eval;
  guint k, ld;
  int status;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (!check_input (w, m, n, error))
    return FALSE;

  k = MIN (m, n);
  ld = _rl_svd_padded_ld (k);
  wd = g_try_new (double, (gsize) m * n);
  g = g_try_new (double, (gsize) k * ld);
  evec = g_try_new (double, (gsize) k * ld);
  if (wd == NULL || g == NULL || evec == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "Not enough memory for the SVD of a %u×%u matrix", m, n);
      return FALSE;
    }
  for (gsize i = 0; i < (gsize) m * n; i++)
    wd[i] = w[i];

  _rl_svd_gram (wd, m, n, g, ld);

  {
    gsl_matrix_view gv = gsl_matrix_view_array_with_tda (g, k, k, ld);
    gsl_matrix_view ev = gsl_matrix_view_array_with_tda (evec, k, k, ld);

    ws = gsl_eigen_symmv_alloc (k);
    eval = gsl_vector_alloc (k);
    if (ws == NULL || eval == NULL)
      status = GSL_ENOMEM;
    else
      status = gsl_eigen_symmv (&gv.matrix, eval, &ev.matrix, ws);
    if (status == GSL_SUCCESS)
      status = gsl_eigen_symmv_sort (eval, &ev.matrix, GSL_EIGEN_SORT_VAL_DESC);
    if (ws != NULL)
      gsl_eigen_symmv_free (ws);
    if (eval != NULL)
      gsl_vector_free (eval);
  }
  if (gsl_failed (status, "Symmetric eigen-decomposition (gsl_eigen_symmv)", error))
    return FALSE;

  if (!layer_svd_alloc (out, m, n, error))
    return FALSE;
  if (!_rl_svd_finish (wd, m, n, evec, ld, out, error))
    {
      rl_layer_svd_clear (out);
      return FALSE;
    }
  return TRUE;
}

gboolean
rl_layer_svd_reference (const float  *w,
                        guint         m,
                        guint         n,
                        RlLayerSvd   *out,
                        GError      **error)
{
  gboolean wide;
  guint rows, cols, k;
  gsl_matrix *a = NULL, *v = NULL;
  gsl_vector *s = NULL, *work = NULL;
  int status;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (!check_input (w, m, n, error))
    return FALSE;

  /* gsl_linalg_SV_decomp needs rows ≥ columns: a wide W is decomposed as
   * Wᵀ = U'·S·V'ᵀ, so U = V' and V = U'. */
  wide = m < n;
  rows = wide ? n : m;
  cols = wide ? m : n;
  k = cols;

  a = gsl_matrix_alloc (rows, cols);
  v = gsl_matrix_alloc (cols, cols);
  s = gsl_vector_alloc (cols);
  work = gsl_vector_alloc (cols);
  if (a == NULL || v == NULL || s == NULL || work == NULL)
    status = GSL_ENOMEM;
  else
    {
      for (guint i = 0; i < m; i++)
        for (guint j = 0; j < n; j++)
          {
            if (wide)
              gsl_matrix_set (a, j, i, w[(gsize) i * n + j]);
            else
              gsl_matrix_set (a, i, j, w[(gsize) i * n + j]);
          }
      status = gsl_linalg_SV_decomp (a, v, s, work);
    }

  if (!gsl_failed (status, "Golub–Reinsch SVD (gsl_linalg_SV_decomp)", error)
      && layer_svd_alloc (out, m, n, error))
    {
      for (guint t = 0; t < k; t++)
        out->s[t] = gsl_vector_get (s, t);
      /* us[i][t] = σ_t·u_t[i]; vt[t][c] = v_t[c]. */
      for (guint i = 0; i < m; i++)
        for (guint t = 0; t < k; t++)
          out->us[(gsize) i * k + t] = (float) (out->s[t] * (wide ? gsl_matrix_get (v, i, t)
                                                                  : gsl_matrix_get (a, i, t)));
      for (guint t = 0; t < k; t++)
        for (guint c = 0; c < n; c++)
          out->vt[(gsize) t * n + c] = (float) (wide ? gsl_matrix_get (a, c, t)
                                                     : gsl_matrix_get (v, c, t));
    }
  else
    status = GSL_EFAILED;

  g_clear_pointer (&a, gsl_matrix_free);
  g_clear_pointer (&v, gsl_matrix_free);
  g_clear_pointer (&s, gsl_vector_free);
  g_clear_pointer (&work, gsl_vector_free);
  return status == GSL_SUCCESS;
}

/* σ finite and descending, the product reproduces W, the factors are
 * orthonormal. */
static gboolean
validate_layer (const float       *w,
                const RlLayerSvd  *svd,
                guint              index,
                GError           **error)
{
  double residual, u_err, v_err;

  for (guint i = 0; i < svd->k; i++)
    if (!isfinite (svd->s[i]) || svd->s[i] < 0.0 || (i > 0 && svd->s[i] > svd->s[i - 1]))
      {
        g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                     "SVD of layer %u: singular value %u (%g) is not finite, "
                     "negative or out of order", index, i, svd->s[i]);
        return FALSE;
      }

  residual = _rl_svd_relative_residual (w, svd);
  if (!(residual <= RL_SVD_MAX_RESIDUAL))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                   "SVD of layer %u (%u×%u) does not reproduce its weights: "
                   "relative error %.3g > %g", index, svd->m, svd->n,
                   residual, RL_SVD_MAX_RESIDUAL);
      return FALSE;
    }

  _rl_svd_orthogonality (svd, RL_SVD_ORTHO_FLOOR, &u_err, &v_err);
  if (!(u_err <= RL_SVD_MAX_ORTHO && v_err <= RL_SVD_MAX_ORTHO))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                   "SVD of layer %u (%u×%u): singular vectors are not orthonormal "
                   "(|UᵀU − I| = %.3g, |VᵀV − I| = %.3g)", index, svd->m, svd->n,
                   u_err, v_err);
      return FALSE;
    }
  return TRUE;
}

void
rl_svd_free (RlSvd *svd)
{
  if (svd == NULL)
    return;
  for (guint i = 0; i < svd->n_layers; i++)
    rl_layer_svd_clear (&svd->layers[i]);
  g_free (svd->layers);
  g_free (svd->weights_hash);
  g_free (svd);
}

/* The whole-model job: workers take layers, largest first. */
typedef struct
{
  const RlModel  *model;
  RlSvd          *svd;
  guint          *order;
  double         *cost;
  double          total_cost;
  double          done_cost;
  gint            next;
  gint            stop;
  GMutex          lock;
  GError         *error;
  GCancellable   *cancellable;
  RlProgressFunc  progress;
  gpointer        user_data;
} SvdJob;

static gpointer
svd_worker (gpointer data)
{
  SvdJob *job = data;

  for (;;)
    {
      GError *local_error = NULL;
      const RlLayer *layer;
      guint slot, index;

      if (g_atomic_int_get (&job->stop) || g_cancellable_is_cancelled (job->cancellable))
        break;
      slot = (guint) g_atomic_int_add (&job->next, 1);
      if (slot >= job->model->n_layers)
        break;
      index = job->order[slot];
      layer = &job->model->layers[index];

      if (!rl_layer_svd_compute (layer->w, layer->in, layer->out,
                                 &job->svd->layers[index], &local_error))
        g_prefix_error (&local_error, "SVD of layer %u: ", index);
      else
        validate_layer (layer->w, &job->svd->layers[index], index, &local_error);

      g_mutex_lock (&job->lock);
      if (local_error != NULL)
        {
          if (job->error == NULL)
            job->error = local_error;
          else
            g_error_free (local_error);
          g_atomic_int_set (&job->stop, 1);
        }
      else
        {
          job->done_cost += job->cost[index];
          if (job->progress != NULL)
            job->progress (job->done_cost / job->total_cost, "svd", job->user_data);
        }
      g_mutex_unlock (&job->lock);
    }
  return NULL;
}

RlSvd *
rl_svd_compute (const RlModel  *model,
                GCancellable   *cancellable,
                RlProgressFunc  progress,
                gpointer        user_data,
                GError        **error)
{
  g_autoptr(RlSvd) svd = NULL;
  g_autofree guint *order = NULL;
  g_autofree double *cost = NULL;
  SvdJob job = { 0 };
  guint n_workers, n_cpus;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (model->n_layers == 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_EMPTY, "The model has no layers to decompose");
      return NULL;
    }
  for (guint i = 0; i < model->n_layers; i++)
    if (model->layers[i].rank != 0 || model->layers[i].w == NULL)
      {
        g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                     "Layer %u is already factored (rank %u); the SVD needs the dense model",
                     i, model->layers[i].rank);
        return NULL;
      }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  svd = g_new0 (RlSvd, 1);
  svd->n_layers = model->n_layers;
  svd->layers = g_new0 (RlLayerSvd, model->n_layers);

  /* Cost ≈ Gram k²·L plus the eigen-solver's ~6k³; largest first. */
  order = g_new (guint, model->n_layers);
  cost = g_new (double, model->n_layers);
  for (guint i = 0; i < model->n_layers; i++)
    {
      double k = MIN (model->layers[i].in, model->layers[i].out);
      double l = MAX (model->layers[i].in, model->layers[i].out);

      cost[i] = k * k * l + 6.0 * k * k * k + 1.0;
      job.total_cost += cost[i];
      order[i] = i;
    }
  for (guint i = 1; i < model->n_layers; i++)
    for (guint j = i; j > 0 && cost[order[j]] > cost[order[j - 1]]; j--)
      {
        guint tmp = order[j];

        order[j] = order[j - 1];
        order[j - 1] = tmp;
      }

  job.model = model;
  job.svd = svd;
  job.order = order;
  job.cost = cost;
  job.cancellable = cancellable;
  job.progress = progress;
  job.user_data = user_data;
  g_mutex_init (&job.lock);

  if (progress != NULL)
    progress (0.0, "svd", user_data);

  n_cpus = g_get_num_processors ();
  n_workers = MIN (MIN (n_cpus, 2u), model->n_layers);
  if (n_workers > 1)
    {
      GThread *helper;

      /* Two layers at once, each BLAS call on one thread. */
      rl_core_blas_single_begin ();
      helper = g_thread_new ("rl-svd", svd_worker, &job);
      svd_worker (&job);
      g_thread_join (helper);
      rl_core_blas_single_end ();
    }
  else
    svd_worker (&job);

  g_mutex_clear (&job.lock);

  if (job.error != NULL)
    {
      g_propagate_error (error, job.error);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  svd->weights_hash = rl_model_weights_hash (model);
  return g_steal_pointer (&svd);
}

double
rl_svd_energy (const RlLayerSvd *svd,
               guint             r)
{
  double kept = 0.0, total = 0.0;

  g_return_val_if_fail (svd != NULL, 0.0);

  r = MIN (r, svd->k);
  for (guint i = 0; i < svd->k; i++)
    {
      total += svd->s[i] * svd->s[i];
      if (i + 1 == r)
        kept = total;
    }
  if (total == 0.0)
    return 1.0;
  return kept / total;
}

double
rl_svd_frobenius_error (const RlLayerSvd *svd,
                        guint             r)
{
  double tail = 0.0;

  g_return_val_if_fail (svd != NULL, 0.0);

  /* Smallest first, never as a difference of two large sums. */
  for (guint i = svd->k; i > r; i--)
    tail += svd->s[i - 1] * svd->s[i - 1];
  return sqrt (tail);
}

double
rl_svd_spectral_error (const RlLayerSvd *svd,
                       guint             r)
{
  g_return_val_if_fail (svd != NULL, 0.0);

  return r < svd->k ? svd->s[r] : 0.0;
}

double
rl_svd_frobenius_norm (const RlLayerSvd *svd)
{
  return rl_svd_frobenius_error (svd, 0);
}

double
rl_layer_break_even (guint m,
                     guint n)
{
  if (m + (guint64) n == 0)
    return 0.0;
  return (double) m * (double) n / ((double) m + (double) n);
}
