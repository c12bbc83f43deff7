/* test-svd.c — the fast SVD against known spectra, GSL's Golub–Reinsch and
 * independent power iterations; the whole-model job.
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>
#include <cblas.h>

#include "rl-core.h"

/* ---- helpers ----------------------------------------------------------- */

/* A random p×p orthogonal matrix: the product of p Householder reflectors. */
static double *
random_orthogonal (guint  p,
                   GRand *rand)
{
  double *q = g_new0 (double, (gsize) p * p);
  g_autofree double *v = g_new (double, p);
  g_autofree double *qv = g_new (double, p);

  for (guint i = 0; i < p; i++)
    q[(gsize) i * p + i] = 1.0;

  for (guint h = 0; h < p; h++)
    {
      double vv = 0.0;

      for (guint i = 0; i < p; i++)
        {
          v[i] = g_rand_double_range (rand, -1.0, 1.0);
          vv += v[i] * v[i];
        }
      /* q ← q·(I − 2vvᵀ/vᵀv) */
      for (guint i = 0; i < p; i++)
        {
          qv[i] = 0.0;
          for (guint j = 0; j < p; j++)
            qv[i] += q[(gsize) i * p + j] * v[j];
        }
      for (guint i = 0; i < p; i++)
        for (guint j = 0; j < p; j++)
          q[(gsize) i * p + j] -= 2.0 * qv[i] * v[j] / vv;
    }
  return q;
}

/* W = Q1[:, :k]·diag(sigma)·Q2[:, :k]ᵀ, rounded to float. */
static float *
matrix_with_spectrum (guint         m,
                      guint         n,
                      const double *sigma,
                      guint64       seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree double *q1 = random_orthogonal (m, rand);
  g_autofree double *q2 = random_orthogonal (n, rand);
  float *w = g_new (float, (gsize) m * n);
  guint k = MIN (m, n);

  for (guint i = 0; i < m; i++)
    for (guint j = 0; j < n; j++)
      {
        double sum = 0.0;

        for (guint t = 0; t < k; t++)
          sum += q1[(gsize) i * m + t] * sigma[t] * q2[(gsize) j * n + t];
        w[(gsize) i * n + j] = (float) sum;
      }
  return w;
}

static float *
random_matrix (guint   m,
               guint   n,
               guint64 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  double limit = sqrt (6.0 / (m + n));   /* Glorot uniform */
  float *w = g_new (float, (gsize) m * n);

  for (gsize i = 0; i < (gsize) m * n; i++)
    w[i] = (float) g_rand_double_range (rand, -limit, limit);
  return w;
}

/* W_r = us[:, :r]·vt[:r, :] in double. */
static double *
truncated (const RlLayerSvd *svd,
           guint             r)
{
  double *wr = g_new0 (double, (gsize) svd->m * svd->n);

  for (guint i = 0; i < svd->m; i++)
    for (guint t = 0; t < r; t++)
      {
        double a = svd->us[(gsize) i * svd->k + t];

        for (guint j = 0; j < svd->n; j++)
          wr[(gsize) i * svd->n + j] += a * svd->vt[(gsize) t * svd->n + j];
      }
  return wr;
}

/* Largest singular value of a (m×n, double) by power iteration on aᵀa. */
static double
power_sigma1 (const double *a,
              guint         m,
              guint         n)
{
  g_autofree double *x = g_new (double, n);
  g_autofree double *y = g_new (double, m);
  double lambda = 0.0;

  for (guint j = 0; j < n; j++)
    x[j] = 1.0 + 0.01 * (j % 7);
  for (guint iter = 0; iter < 5000; iter++)
    {
      double norm, next;

      norm = cblas_dnrm2 (n, x, 1);
      cblas_dscal (n, 1.0 / norm, x, 1);
      cblas_dgemv (CblasRowMajor, CblasNoTrans, m, n, 1.0, a, n, x, 1, 0.0, y, 1);
      cblas_dgemv (CblasRowMajor, CblasTrans, m, n, 1.0, a, n, y, 1, 0.0, x, 1);
      next = cblas_ddot (m, y, 1, y, 1);   /* Rayleigh quotient xᵀaᵀa x */
      if (iter > 10 && fabs (next - lambda) <= 1e-14 * next)
        {
          lambda = next;
          break;
        }
      lambda = next;
    }
  return sqrt (lambda);
}

static double *
to_double (const float *w,
           gsize        count)
{
  double *d = g_new (double, count);

  for (gsize i = 0; i < count; i++)
    d[i] = w[i];
  return d;
}

/* max |UᵀU − I| over σ_i > floor·σ₁ and max |VVᵀ − I| over all rows. */
static void
orthogonality (const RlLayerSvd *svd,
               double            floor,
               double           *u_err,
               double           *v_err)
{
  *u_err = *v_err = 0.0;
  for (guint a = 0; a < svd->k; a++)
    for (guint b = a; b < svd->k; b++)
      {
        double uu = 0.0, vv = 0.0;

        for (guint j = 0; j < svd->n; j++)
          vv += (double) svd->vt[(gsize) a * svd->n + j] * svd->vt[(gsize) b * svd->n + j];
        *v_err = MAX (*v_err, fabs (vv - (a == b)));
        if (svd->s[a] > floor * svd->s[0] && svd->s[b] > floor * svd->s[0])
          {
            for (guint i = 0; i < svd->m; i++)
              uu += (double) svd->us[(gsize) i * svd->k + a] * svd->us[(gsize) i * svd->k + b];
            uu /= svd->s[a] * svd->s[b];
            *u_err = MAX (*u_err, fabs (uu - (a == b)));
          }
      }
}

static double
frobenius_diff2 (const float  *w,
                 const double *wr,
                 gsize         count)
{
  double sum = 0.0;

  for (gsize i = 0; i < count; i++)
    sum += ((double) w[i] - wr[i]) * ((double) w[i] - wr[i]);
  return sum;
}

/* ---- known spectrum ------------------------------------------------------ */

static void
check_known (guint m,
             guint n)
{
  g_autoptr(GError) error = NULL;
  guint k = MIN (m, n);
  g_autofree double *sigma = g_new (double, k);
  g_autofree float *w = NULL;
  RlLayerSvd svd;
  double total = 0.0, u_err, v_err;
  const guint ranks[] = { 0, 1, 3, 4, 10, k };

  /* 10, 5, 3, 1, 0.5, then evenly down to 0.1: all distinct, exact. */
  sigma[0] = 10; sigma[1] = 5; sigma[2] = 3; sigma[3] = 1; sigma[4] = 0.5;
  for (guint i = 5; i < k; i++)
    sigma[i] = 0.45 - 0.35 * (i - 5) / (double) (k - 6);
  for (guint i = 0; i < k; i++)
    total += sigma[i] * sigma[i];

  w = matrix_with_spectrum (m, n, sigma, 7 + m);
  g_assert_true (rl_layer_svd_compute (w, m, n, &svd, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (svd.m, ==, m);
  g_assert_cmpuint (svd.n, ==, n);
  g_assert_cmpuint (svd.k, ==, k);

  for (guint i = 0; i < k; i++)
    g_assert_cmpfloat_with_epsilon (svd.s[i] / sigma[i], 1.0, 1e-5);

  /* Eckart–Young in Frobenius norm, from the explicit reconstruction. */
  for (guint q = 0; q < G_N_ELEMENTS (ranks); q++)
    {
      guint r = ranks[q];
      g_autofree double *wr = truncated (&svd, r);
      double tail = 0.0, lhs;

      for (guint i = r; i < k; i++)
        tail += sigma[i] * sigma[i];
      lhs = frobenius_diff2 (w, wr, (gsize) m * n);
      g_assert_cmpfloat (fabs (lhs - tail), <=, 1e-5 * tail + 1e-9 * total);
      g_assert_cmpfloat (fabs (pow (rl_svd_frobenius_error (&svd, r), 2) - tail), <=,
                         1e-5 * tail + 1e-9 * total);
    }

  /* …and in spectral norm: ‖W − W_3‖₂ = σ_3 = 1 (0-based). */
  {
    g_autofree double *wr = truncated (&svd, 3);
    g_autofree double *e = g_new (double, (gsize) m * n);
    double spectral;

    for (gsize i = 0; i < (gsize) m * n; i++)
      e[i] = (double) w[i] - wr[i];
    spectral = power_sigma1 (e, m, n);
    g_assert_cmpfloat_with_epsilon (spectral, sigma[3], 1e-5);
    g_assert_cmpfloat_with_epsilon (rl_svd_spectral_error (&svd, 3), sigma[3], 1e-5);
    g_assert_cmpfloat (rl_svd_spectral_error (&svd, k), ==, 0.0);
  }

  /* Energy: (10² + 5²)/Σσ², 0 at rank 0, exactly 1 at and beyond k. */
  g_assert_cmpfloat_with_epsilon (rl_svd_energy (&svd, 2), 125.0 / total, 1e-6);
  g_assert_cmpfloat_with_epsilon (rl_svd_energy (&svd, 4), 135.0 / total, 1e-6);
  g_assert_cmpfloat (rl_svd_energy (&svd, 0), ==, 0.0);
  g_assert_cmpfloat (rl_svd_energy (&svd, k), ==, 1.0);
  g_assert_cmpfloat (rl_svd_energy (&svd, k + 5), ==, 1.0);
  g_assert_cmpfloat_with_epsilon (rl_svd_frobenius_norm (&svd), sqrt (total), 1e-5 * sqrt (total));

  orthogonality (&svd, 0.0, &u_err, &v_err);
  g_assert_cmpfloat (u_err, <=, 1e-4);
  g_assert_cmpfloat (v_err, <=, 1e-4);

  rl_layer_svd_clear (&svd);
  g_assert_null (svd.s);
}

static void
test_known_tall (void)
{
  check_known (40, 30);
}

static void
test_known_wide (void)
{
  check_known (30, 40);
}

static void
test_break_even (void)
{
  g_assert_cmpfloat_with_epsilon (rl_layer_break_even (784, 1028), 805952.0 / 1812.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (rl_layer_break_even (256, 10), 2560.0 / 266.0, 1e-12);
  g_assert_cmpfloat (rl_layer_break_even (0, 0), ==, 0.0);
}

/* ---- random matrices against GSL's Golub–Reinsch ------------------------- */

static void
check_against_reference (guint   m,
                         guint   n,
                         guint64 seed)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *w = random_matrix (m, n, seed);
  g_autofree double *wd = to_double (w, (gsize) m * n);
  g_autofree double *fast25 = NULL;
  g_autofree double *ref25 = NULL;
  RlLayerSvd fast, ref;
  guint r = MIN (25u, MIN (m, n));
  double diff = 0.0, norm = 0.0, u_err, v_err, sigma1;

  g_assert_true (rl_layer_svd_compute (w, m, n, &fast, &error));
  g_assert_no_error (error);
  g_assert_true (rl_layer_svd_reference (w, m, n, &ref, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fast.k, ==, ref.k);

  for (guint i = 0; i < fast.k; i++)
    {
      if (i > 0)
        g_assert_cmpfloat (fast.s[i], <=, fast.s[i - 1]);
      if (ref.s[i] >= 1e-3 * ref.s[0])
        g_assert_cmpfloat (fabs (fast.s[i] - ref.s[i]), <=, 1e-6 * ref.s[i]);
    }

  /* Both truncations to rank 25 give the same matrix. */
  fast25 = truncated (&fast, r);
  ref25 = truncated (&ref, r);
  for (gsize i = 0; i < (gsize) m * n; i++)
    {
      diff += (fast25[i] - ref25[i]) * (fast25[i] - ref25[i]);
      norm += ref25[i] * ref25[i];
    }
  g_assert_cmpfloat (sqrt (diff / norm), <=, 1e-4);

  /* σ₁ from an independent power iteration. */
  sigma1 = power_sigma1 (wd, m, n);
  g_assert_cmpfloat (fabs (fast.s[0] - sigma1), <=, 1e-6 * sigma1);

  /* The full product reproduces W; the factors are orthonormal. */
  {
    g_autofree double *full = truncated (&fast, fast.k);
    double wn = 0.0;

    for (gsize i = 0; i < (gsize) m * n; i++)
      wn += wd[i] * wd[i];
    g_assert_cmpfloat (sqrt (frobenius_diff2 (w, full, (gsize) m * n) / wn), <=, 1e-5);
  }
  orthogonality (&fast, 1e-3, &u_err, &v_err);
  g_assert_cmpfloat (u_err, <=, 1e-4);
  g_assert_cmpfloat (v_err, <=, 1e-4);
  orthogonality (&ref, 1e-3, &u_err, &v_err);
  g_assert_cmpfloat (u_err, <=, 1e-4);
  g_assert_cmpfloat (v_err, <=, 1e-4);

  rl_layer_svd_clear (&fast);
  rl_layer_svd_clear (&ref);
}

static void
test_random_1028x784 (void)
{
  check_against_reference (1028, 784, 11);
}

static void
test_random_256x10 (void)
{
  check_against_reference (256, 10, 12);
}

static void
test_random_10x256 (void)
{
  check_against_reference (10, 256, 13);
}

/* A graded spectrum σ_i = 10^(−i/4) (down to ~1e-7): the small σ need the
 * re-orthogonalization of the derived side. */
static void
check_graded (guint m,
              guint n)
{
  g_autoptr(GError) error = NULL;
  guint k = MIN (m, n);
  g_autofree double *sigma = g_new (double, k);
  g_autofree float *w = NULL;
  g_autofree double *full = NULL;
  RlLayerSvd svd, ref;
  double wn = 0.0, u_err, v_err;

  for (guint i = 0; i < k; i++)
    sigma[i] = pow (10.0, -(double) i / 4.0);
  w = matrix_with_spectrum (m, n, sigma, 3 + n);
  g_assert_true (rl_layer_svd_compute (w, m, n, &svd, &error));
  g_assert_no_error (error);
  g_assert_true (rl_layer_svd_reference (w, m, n, &ref, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < k; i++)
    if (ref.s[i] >= 1e-3 * ref.s[0])
      g_assert_cmpfloat (fabs (svd.s[i] - ref.s[i]), <=, 1e-6 * ref.s[i]);
  for (gsize i = 0; i < (gsize) m * n; i++)
    wn += (double) w[i] * w[i];
  full = truncated (&svd, k);
  g_assert_cmpfloat (sqrt (frobenius_diff2 (w, full, (gsize) m * n) / wn), <=, 1e-5);
  orthogonality (&svd, 1e-6, &u_err, &v_err);
  g_assert_cmpfloat (u_err, <=, 1e-4);
  g_assert_cmpfloat (v_err, <=, 1e-4);

  rl_layer_svd_clear (&svd);
  rl_layer_svd_clear (&ref);
}

static void
test_graded_tall (void)
{
  check_graded (50, 30);
}

static void
test_graded_wide (void)
{
  check_graded (30, 50);
}

/* ---- degenerate matrices --------------------------------------------------- */

/* Rows repeat five base rows exactly (tall) or columns do (wide): rank 5. */
static void
check_rank_deficient (guint m,
                      guint n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (m * 31 + n);
  g_autofree float *w = g_new (float, (gsize) m * n);
  g_autofree float *base = g_new (float, 5 * (gsize) MAX (m, n));
  g_autofree double *full = NULL;
  RlLayerSvd svd, ref;
  double wn = 0.0, u_err, v_err;

  for (gsize i = 0; i < 5 * (gsize) MAX (m, n); i++)
    base[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  for (guint i = 0; i < m; i++)
    for (guint j = 0; j < n; j++)
      {
        w[(gsize) i * n + j] = m >= n ? base[(i % 5) * n + j] : base[(j % 5) * m + i];
        wn += (double) w[(gsize) i * n + j] * w[(gsize) i * n + j];
      }

  g_assert_true (rl_layer_svd_compute (w, m, n, &svd, &error));
  g_assert_no_error (error);
  g_assert_true (rl_layer_svd_reference (w, m, n, &ref, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpfloat (svd.s[i], >, 1e-3 * svd.s[0]);
      g_assert_cmpfloat (fabs (svd.s[i] - ref.s[i]), <=, 1e-6 * ref.s[i]);
    }
  for (guint i = 5; i < svd.k; i++)
    {
      g_assert_true (isfinite (svd.s[i]));
      g_assert_cmpfloat (svd.s[i], <=, 1e-6 * svd.s[0]);
    }

  full = truncated (&svd, svd.k);
  g_assert_cmpfloat (sqrt (frobenius_diff2 (w, full, (gsize) m * n) / wn), <=, 1e-5);
  /* Same with only the five nonzero values: the null part carries nothing. */
  g_clear_pointer (&full, g_free);
  full = truncated (&svd, 5);
  g_assert_cmpfloat (sqrt (frobenius_diff2 (w, full, (gsize) m * n) / wn), <=, 1e-5);

  /* V is a complete orthonormal set; U for the nonzero σ. */
  orthogonality (&svd, 1e-3, &u_err, &v_err);
  g_assert_cmpfloat (u_err, <=, 1e-4);
  g_assert_cmpfloat (v_err, <=, 1e-4);

  rl_layer_svd_clear (&svd);
  rl_layer_svd_clear (&ref);
}

static void
test_rank_deficient_tall (void)
{
  check_rank_deficient (60, 40);
}

static void
test_rank_deficient_wide (void)
{
  check_rank_deficient (40, 60);
}

static void
test_zero_matrix (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *w = g_new0 (float, 12 * 7);
  RlLayerSvd svd;
  double u_err, v_err;

  g_assert_true (rl_layer_svd_compute (w, 12, 7, &svd, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < svd.k; i++)
    g_assert_cmpfloat (svd.s[i], ==, 0.0);
  for (gsize i = 0; i < (gsize) 12 * 7; i++)
    g_assert_cmpfloat (svd.us[i], ==, 0.0f);
  orthogonality (&svd, 1.0, &u_err, &v_err);
  g_assert_cmpfloat (v_err, <=, 1e-6);
  g_assert_cmpfloat (rl_svd_energy (&svd, 1), ==, 1.0);
  g_assert_cmpfloat (rl_svd_frobenius_error (&svd, 0), ==, 0.0);
  rl_layer_svd_clear (&svd);
}

static void
test_invalid_input (void)
{
  float w[6] = { 1, 2, 3, 4, 5, 6 };
  RlLayerSvd svd;
  GError *error = NULL;

  g_assert_false (rl_layer_svd_compute (w, 0, 6, &svd, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (rl_layer_svd_compute (NULL, 2, 3, &svd, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (rl_layer_svd_compute (w, 20000, 2, &svd, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_LIMIT);
  g_clear_error (&error);

  w[4] = NAN;
  g_assert_false (rl_layer_svd_compute (w, 2, 3, &svd, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_NUMERIC);
  g_assert_nonnull (strstr (error->message, "(1, 1)"));
  g_clear_error (&error);

  g_assert_false (rl_layer_svd_reference (w, 3, 2, &svd, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_NUMERIC);
  g_clear_error (&error);
  g_assert_null (svd.s);
}

/* ---- the whole model -------------------------------------------------------- */

typedef struct
{
  guint  calls;
  double last;
  gboolean monotonic;
} Progress;

static void
on_progress (double      fraction,
             const char *stage,
             gpointer    user_data)
{
  Progress *p = user_data;

  g_assert_nonnull (stage);
  if (fraction < p->last)
    p->monotonic = FALSE;
  p->last = fraction;
  p->calls++;
}

static void
test_model_small (void)
{
  const guint sizes[] = { 30, 40, 20, 5 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
  g_autoptr(RlSvd) svd = NULL;
  g_autofree char *hash = NULL;
  Progress progress = { 0, 0.0, TRUE };

  g_assert_no_error (error);
  rl_model_init_weights (model, RL_INIT_GLOROT_UNIFORM, 5);

  svd = rl_svd_compute (model, NULL, on_progress, &progress, &error);
  g_assert_no_error (error);
  g_assert_nonnull (svd);
  g_assert_cmpuint (svd->n_layers, ==, 3);
  hash = rl_model_weights_hash (model);
  g_assert_cmpstr (svd->weights_hash, ==, hash);
  g_assert_true (progress.monotonic);
  g_assert_cmpuint (progress.calls, >=, 4);   /* start + one per layer */
  g_assert_cmpfloat_with_epsilon (progress.last, 1.0, 1e-12);

  for (guint l = 0; l < model->n_layers; l++)
    {
      const RlLayer *layer = &model->layers[l];
      RlLayerSvd ref;

      g_assert_cmpuint (svd->layers[l].m, ==, layer->in);
      g_assert_cmpuint (svd->layers[l].n, ==, layer->out);
      g_assert_true (rl_layer_svd_reference (layer->w, layer->in, layer->out, &ref, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < ref.k; i++)
        g_assert_cmpfloat (fabs (svd->layers[l].s[i] - ref.s[i]), <=, 1e-6 * ref.s[0]);
      rl_layer_svd_clear (&ref);
    }
}

static void
test_model_errors (void)
{
  const guint sizes[] = { 12, 9, 4 };
  g_autoptr(RlModel) model = rl_model_new (sizes, G_N_ELEMENTS (sizes), NULL);
  g_autoptr(RlModel) factored = NULL;
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;
  RlSvd *none;

  rl_model_init_weights (model, RL_INIT_HE_UNIFORM, 3);

  g_cancellable_cancel (cancellable);
  none = rl_svd_compute (model, cancellable, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  svd = rl_svd_compute (model, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  plan = rl_plan_uniform (model, 2, RL_PLAN_PAPER);
  factored = rl_compress (model, svd, plan, &error);
  g_assert_no_error (error);
  none = rl_svd_compute (factored, NULL, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  model->layers[1].w[3] = INFINITY;
  none = rl_svd_compute (model, NULL, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, RL_ERROR, RL_ERROR_NUMERIC);
  g_assert_nonnull (strstr (error->message, "layer 1"));
  g_clear_error (&error);
}

/* Full-rank factors reproduce the dense model's outputs. */
static void
test_full_rank_forward (void)
{
  const guint sizes[] = { 50, 64, 32, 10 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autoptr(RlModel) full = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);
  const guint n_images = 37;
  g_autofree float *x = g_new (float, n_images * sizes[0]);
  g_autofree float *y_dense = g_new (float, n_images * 10);
  g_autofree float *y_full = g_new (float, n_images * 10);
  double max_diff = 0.0;

  rl_model_init_weights (model, RL_INIT_GLOROT_UNIFORM, 21);
  for (guint l = 0; l < model->n_layers; l++)
    for (guint j = 0; j < model->layers[l].out; j++)
      model->layers[l].bias[j] = (float) g_rand_double_range (rand, -0.1, 0.1);
  for (guint i = 0; i < n_images * sizes[0]; i++)
    x[i] = (float) g_rand_double (rand);

  svd = rl_svd_compute (model, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  plan = rl_plan_uniform (model, rl_plan_max_rank (model), RL_PLAN_PAPER);
  g_assert_cmpuint (plan->ranks[0], ==, 50);
  g_assert_cmpuint (plan->ranks[1], ==, 32);
  g_assert_cmpuint (plan->ranks[2], ==, 10);
  full = rl_compress (model, svd, plan, &error);
  g_assert_no_error (error);
  g_assert_true (rl_model_is_factored (full));

  rl_model_forward (model, x, n_images, y_dense, NULL);
  rl_model_forward (full, x, n_images, y_full, NULL);
  for (guint i = 0; i < n_images * 10; i++)
    max_diff = MAX (max_diff, fabs (y_dense[i] - y_full[i]));
  g_assert_cmpfloat (max_diff, <=, 1e-4);
}

/* The study's model: every layer checked against σ₁ by power iteration and
 * the wide first layer against the tall route on its transpose. */
static void
test_model_default (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = rl_model_new_default ();
  g_autoptr(RlSvd) svd = NULL;
  const RlLayer *first;
  g_autofree float *wt = NULL;
  RlLayerSvd tall;
  double t0;

  rl_model_init_weights (model, RL_INIT_GLOROT_UNIFORM, 2024);
  t0 = rl_now ();
  svd = rl_svd_compute (model, NULL, NULL, NULL, &error);
  g_test_message ("rl_svd_compute on 784-1028-512-256-10: %.0f ms", (rl_now () - t0) * 1e3);
  g_assert_no_error (error);
  g_assert_cmpuint (svd->n_layers, ==, 4);

  for (guint l = 0; l < model->n_layers; l++)
    {
      const RlLayer *layer = &model->layers[l];
      g_autofree double *wd = to_double (layer->w, (gsize) layer->in * layer->out);
      double sigma1 = power_sigma1 (wd, layer->in, layer->out);

      g_assert_cmpuint (svd->layers[l].k, ==, MIN (layer->in, layer->out));
      g_assert_cmpfloat (fabs (svd->layers[l].s[0] - sigma1), <=, 1e-6 * sigma1);
    }

  first = &model->layers[0];
  wt = g_new (float, (gsize) first->in * first->out);
  for (guint i = 0; i < first->in; i++)
    for (guint j = 0; j < first->out; j++)
      wt[(gsize) j * first->in + i] = first->w[(gsize) i * first->out + j];
  g_assert_true (rl_layer_svd_compute (wt, first->out, first->in, &tall, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < tall.k; i++)
    g_assert_cmpfloat (fabs (tall.s[i] - svd->layers[0].s[i]), <=, 1e-6 * tall.s[i]);
  rl_layer_svd_clear (&tall);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);

  g_test_add_func ("/svd/known/tall", test_known_tall);
  g_test_add_func ("/svd/known/wide", test_known_wide);
  g_test_add_func ("/svd/break-even", test_break_even);
  g_test_add_func ("/svd/reference/1028x784", test_random_1028x784);
  g_test_add_func ("/svd/reference/256x10", test_random_256x10);
  g_test_add_func ("/svd/reference/10x256", test_random_10x256);
  g_test_add_func ("/svd/graded/tall", test_graded_tall);
  g_test_add_func ("/svd/graded/wide", test_graded_wide);
  g_test_add_func ("/svd/rank-deficient/tall", test_rank_deficient_tall);
  g_test_add_func ("/svd/rank-deficient/wide", test_rank_deficient_wide);
  g_test_add_func ("/svd/zero", test_zero_matrix);
  g_test_add_func ("/svd/invalid", test_invalid_input);
  g_test_add_func ("/svd/model/small", test_model_small);
  g_test_add_func ("/svd/model/errors", test_model_errors);
  g_test_add_func ("/svd/model/full-rank-forward", test_full_rank_forward);
  g_test_add_func ("/svd/model/default", test_model_default);

  return g_test_run ();
}
