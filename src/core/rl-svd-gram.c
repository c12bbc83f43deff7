/* rl-svd-gram.c — the OpenBLAS half of the fast SVD: the Gram matrix, the
 * side of the decomposition derived from W and the eigenvectors, and the
 * checks of a result. The eigen-decomposition itself is GSL's, in
 * rl-svd.c (the two cblas headers cannot share a file).
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>
#include <cblas.h>

#include "rl-svd-private.h"

/* A derived vector whose σ_i is below RL_SVD_REORTH·σ₁ is re-orthogonalized
 * against the larger ones: the Gram route loses orthogonality as
 * ε·σ₁²/(σ_i·σ_j). Below RL_SVD_NULL·σ₁ (or when re-orthogonalization
 * leaves almost nothing) σ_i is numerically zero and the vector is
 * replaced by one completing the orthonormal basis. */
#define RL_SVD_REORTH  1e-2
#define RL_SVD_NULL    1e-13

guint
_rl_svd_padded_ld (guint k)
{
  guint ld = k + 8 - (k % 8);

  /* Keep the stride off multiples of 512 bytes (64 doubles). */
  if (ld % 64 == 0)
    ld += 8;
  return ld;
}

void
_rl_svd_gram (const double *wd,
              guint         m,
              guint         n,
              double       *g,
              guint         ldg)
{
  guint k = MIN (m, n);

  g_assert (ldg >= k);

  if (m <= n)
    cblas_dsyrk (CblasRowMajor, CblasUpper, CblasNoTrans, k, n,
                 1.0, wd, n, 0.0, g, ldg);
  else
    cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, k, m,
                 1.0, wd, n, 0.0, g, ldg);

  for (guint i = 1; i < k; i++)
    for (guint j = 0; j < i; j++)
      g[(gsize) i * ldg + j] = g[(gsize) j * ldg + i];
}

typedef struct
{
  guint  index;
  double sigma;
} SigmaIndex;

static int
sigma_index_compare (gconstpointer a,
                     gconstpointer b)
{
  const SigmaIndex *x = a;
  const SigmaIndex *y = b;

  if (x->sigma > y->sigma)
    return -1;
  if (x->sigma < y->sigma)
    return 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Two passes of classical Gram–Schmidt of d (length len) against the t
 * orthonormal rows of q; returns the norm left. */
static double
project_out (const double *q,
             guint         t,
             guint         len,
             double       *d,
             double       *coef)
{
  if (t > 0)
    for (guint pass = 0; pass < 2; pass++)
      {
        cblas_dgemv (CblasRowMajor, CblasNoTrans, t, len, 1.0, q, len, d, 1, 0.0, coef, 1);
        cblas_dgemv (CblasRowMajor, CblasTrans, t, len, -1.0, q, len, coef, 1, 1.0, d, 1);
      }
  return cblas_dnrm2 (len, d, 1);
}

/* Next unit vector orthogonal to the t rows of q, tried from the standard
 * basis starting at *cursor. */
static gboolean
complete_basis (const double *q,
                guint         t,
                guint         len,
                guint        *cursor,
                double       *d,
                double       *coef)
{
  for (; *cursor < len; (*cursor)++)
    {
      double norm;

      memset (d, 0, sizeof (double) * len);
      d[*cursor] = 1.0;
      norm = project_out (q, t, len, d, coef);
      if (norm > 0.1)
        {
          cblas_dscal (len, 1.0 / norm, d, 1);
          (*cursor)++;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
_rl_svd_finish (const double  *wd,
                guint          m,
                guint          n,
                const double  *evec,
                guint          lde,
                RlLayerSvd    *out,
                GError       **error)
{
  gboolean wide = m <= n;
  guint k = MIN (m, n);
  guint len = wide ? n : m;   /* length of a derived vector */
  g_autofree double *d = NULL;
  g_autofree double *q = NULL;
  g_autofree double *coef = NULL;
  g_autofree SigmaIndex *order = NULL;
  guint cursor = 0;
  double sigma_max;

  g_assert (out->m == m && out->n == n && out->k == k);

  d = g_try_malloc (sizeof (double) * k * len);
  q = g_try_malloc (sizeof (double) * k * len);
  if (d == NULL || q == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "Not enough memory for the SVD of a %u×%u matrix", m, n);
      return FALSE;
    }
  coef = g_new (double, k);
  order = g_new (SigmaIndex, k);

  /* Rows of d: wide, u_iᵀ·W = σ_i·v_iᵀ; tall, (W·v_i)ᵀ = σ_i·u_iᵀ. */
  if (wide)
    cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, k, n, m,
                 1.0, evec, lde, wd, n, 0.0, d, n);
  else
    cblas_dgemm (CblasRowMajor, CblasTrans, CblasTrans, k, m, n,
                 1.0, evec, lde, wd, n, 0.0, d, m);

  for (guint i = 0; i < k; i++)
    {
      order[i].index = i;
      order[i].sigma = cblas_dnrm2 (len, d + (gsize) i * len, 1);
      if (!isfinite (order[i].sigma))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                       "Singular value %u of a %u×%u matrix is not finite", i, m, n);
          return FALSE;
        }
    }
  qsort (order, k, sizeof (SigmaIndex), sigma_index_compare);
  sigma_max = order[0].sigma;

  /* Unit derived vectors, in descending σ order, into q. */
  for (guint t = 0; t < k; t++)
    {
      guint j = order[t].index;
      double sigma = order[t].sigma;
      double *row = q + (gsize) t * len;
      gboolean null = sigma <= RL_SVD_NULL * sigma_max || sigma == 0.0;

      if (!null)
        {
          memcpy (row, d + (gsize) j * len, sizeof (double) * len);
          cblas_dscal (len, 1.0 / sigma, row, 1);
          if (sigma < RL_SVD_REORTH * sigma_max)
            {
              double left = project_out (q, t, len, row, coef);

              if (left < 1e-3)
                null = TRUE;
              else
                cblas_dscal (len, 1.0 / left, row, 1);
            }
        }
      if (null && !complete_basis (q, t, len, &cursor, row, coef))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                       "Could not complete the singular basis of a %u×%u matrix", m, n);
          return FALSE;
        }
      out->s[t] = sigma;
    }

  /* us = U·Σ (m×k), vt = Vᵀ (k×n). */
  for (guint t = 0; t < k; t++)
    {
      guint j = order[t].index;
      double sigma = out->s[t];
      const double *row = q + (gsize) t * len;

      if (wide)
        {
          for (guint i = 0; i < m; i++)
            out->us[(gsize) i * k + t] = (float) (sigma * evec[(gsize) i * lde + j]);
          for (guint c = 0; c < n; c++)
            out->vt[(gsize) t * n + c] = (float) row[c];
        }
      else
        {
          for (guint i = 0; i < m; i++)
            out->us[(gsize) i * k + t] = (float) (sigma * row[i]);
          for (guint c = 0; c < n; c++)
            out->vt[(gsize) t * n + c] = (float) evec[(gsize) c * lde + j];
        }
    }
  return TRUE;
}

double
_rl_svd_relative_residual (const float      *w,
                           const RlLayerSvd *svd)
{
  gsize count = (gsize) svd->m * svd->n;
  g_autofree float *r = g_try_malloc (sizeof (float) * MAX (count, 1));
  double num = 0.0, den = 0.0;

  if (r == NULL)
    return INFINITY;

  if (svd->k > 0)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, svd->m, svd->n, svd->k,
                 1.0f, svd->us, svd->k, svd->vt, svd->n, 0.0f, r, svd->n);
  else
    memset (r, 0, sizeof (float) * count);

  for (gsize i = 0; i < count; i++)
    {
      double e = (double) w[i] - (double) r[i];

      num += e * e;
      den += (double) w[i] * (double) w[i];
    }
  if (!isfinite (num))
    return INFINITY;
  if (den == 0.0)
    return num == 0.0 ? 0.0 : INFINITY;
  return sqrt (num / den);
}

void
_rl_svd_orthogonality (const RlLayerSvd *svd,
                       double            tol,
                       double           *u_err,
                       double           *v_err)
{
  guint k = svd->k;
  g_autofree float *g = g_try_malloc (sizeof (float) * MAX ((gsize) k * k, 1));
  double eu = 0.0, ev = 0.0;
  double floor_sigma;

  if (g == NULL || k == 0)
    {
      *u_err = *v_err = g == NULL ? INFINITY : 0.0;
      return;
    }

  cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, k, svd->n,
               1.0f, svd->vt, svd->n, 0.0f, g, k);
  for (guint i = 0; i < k; i++)
    for (guint j = i; j < k; j++)
      ev = MAX (ev, fabs (g[(gsize) i * k + j] - (i == j ? 1.0 : 0.0)));

  cblas_ssyrk (CblasRowMajor, CblasUpper, CblasTrans, k, svd->m,
               1.0f, svd->us, svd->k, 0.0f, g, k);
  floor_sigma = tol * svd->s[0];
  for (guint i = 0; i < k && svd->s[i] > floor_sigma; i++)
    for (guint j = i; j < k && svd->s[j] > floor_sigma; j++)
      {
        double dot = g[(gsize) i * k + j] / (svd->s[i] * svd->s[j]);

        eu = MAX (eu, fabs (dot - (i == j ? 1.0 : 0.0)));
      }

  *u_err = isfinite (eu) ? eu : INFINITY;
  *v_err = isfinite (ev) ? ev : INFINITY;
}
