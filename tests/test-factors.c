/* test-factors.c — eigen-strokes, projections, heat maps, predictions by
 * rank and cost formulas (rl-factors.h). */

#include <math.h>
#include <string.h>

#include "rl-core.h"
#include "rl-factors.h"

/* W (4×3) = U·diag(4, 3, 1)·Vᵀ with U the first three columns of the
 * 4×4 Hadamard matrix / 2 and V a rotation (cos 0.6, sin 0.8) followed by
 * a swap of the last two axes: a matrix whose SVD we know exactly. */
static const double known_s[3] = { 4.0, 3.0, 1.0 };
static const double known_u[4][4] = {
  { 0.5,  0.5,  0.5,  0.5 },
  { 0.5, -0.5,  0.5, -0.5 },
  { 0.5,  0.5, -0.5, -0.5 },
  { 0.5, -0.5, -0.5,  0.5 },
};   /* columns 0..2 are u_1..u_3; column 3 is orthogonal to all */
static const double known_v[3][3] = {
  { 0.6, -0.8, 0.0 },
  { 0.0,  0.0, 1.0 },
  { 0.8,  0.6, 0.0 },
};   /* columns are v_1..v_3 */

static void
known_matrix (float w[12])
{
  for (guint a = 0; a < 4; a++)
    for (guint b = 0; b < 3; b++)
      {
        double sum = 0.0;

        for (guint i = 0; i < 3; i++)
          sum += known_u[a][i] * known_s[i] * known_v[b][i];
        w[a * 3 + b] = (float) sum;
      }
}

static void
known_svd (RlLayerSvd *svd)
{
  float w[12];
  g_autoptr(GError) error = NULL;

  known_matrix (w);
  g_assert_true (rl_layer_svd_compute (w, 4, 3, svd, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (svd->k, ==, 3);
}

static void
test_known_matrix (void)
{
  RlLayerSvd svd = { 0 };
  float w[12], wr[12];
  double d2 = 0.0;

  known_svd (&svd);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (svd.s[i], known_s[i], 1e-5);

  /* energy: Σ_{i≤r} σ_i² / Σ σ_i² with Σ σ² = 26 */
  g_assert_cmpfloat_with_epsilon (rl_svd_energy (&svd, 1), 16.0 / 26.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (rl_svd_energy (&svd, 2), 25.0 / 26.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (rl_svd_energy (&svd, 3), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (rl_svd_frobenius_norm (&svd), sqrt (26.0), 1e-5);

  /* Eckart–Young at r = 1: ‖W − W_1‖_F = √(9 + 1), ‖W − W_1‖₂ = σ_2 = 3 */
  g_assert_cmpfloat_with_epsilon (rl_svd_frobenius_error (&svd, 1), sqrt (10.0), 1e-5);
  g_assert_cmpfloat_with_epsilon (rl_svd_spectral_error (&svd, 1), 3.0, 1e-5);
  g_assert_cmpfloat_with_epsilon (rl_svd_spectral_error (&svd, 3), 0.0, 1e-12);

  /* … and the same distance measured on the reconstructed W_1 */
  known_matrix (w);
  rl_factors_reconstruct (&svd, 1, wr);
  for (guint i = 0; i < 12; i++)
    d2 += ((double) w[i] - wr[i]) * ((double) w[i] - wr[i]);
  g_assert_cmpfloat_with_epsilon (sqrt (d2), sqrt (10.0), 1e-5);

  /* full rank gives W back */
  rl_factors_reconstruct (&svd, 3, wr);
  for (guint i = 0; i < 12; i++)
    g_assert_cmpfloat_with_epsilon (wr[i], w[i], 1e-5);

  rl_layer_svd_clear (&svd);
}

static void
test_input_direction (void)
{
  RlLayerSvd svd = { 0 };
  float u[4];

  known_svd (&svd);
  for (guint i = 0; i < 3; i++)
    {
      double dot = 0.0, norm = 0.0, best = 0.0;
      guint arg = 0;

      g_assert_true (rl_factors_input_direction (&svd, i, u));
      for (guint a = 0; a < 4; a++)
        {
          dot += u[a] * known_u[a][i];
          norm += u[a] * u[a];
          if (fabs (u[a]) > best + 1e-6)
            {
              best = fabs (u[a]);
              arg = a;
            }
        }
      g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
      g_assert_cmpfloat_with_epsilon (fabs (dot), 1.0, 1e-5);   /* ±u_i */
      g_assert_cmpfloat (u[arg], >, 0.0f);
    }
  g_assert_false (rl_factors_input_direction (&svd, 3, u));
  for (guint a = 0; a < 4; a++)
    g_assert_cmpfloat (u[a], ==, 0.0f);

  rl_layer_svd_clear (&svd);
}

static void
test_projection (void)
{
  RlLayerSvd svd = { 0 };
  float x[4], p[4], w[12];
  double kept;

  known_svd (&svd);

  /* x = 2·u_1 − 3·u_2 lies in the top-2 subspace: its projection is x */
  for (guint a = 0; a < 4; a++)
    x[a] = (float) (2.0 * known_u[a][0] - 3.0 * known_u[a][1]);
  kept = rl_factors_project_input (&svd, 2, x, p);
  g_assert_cmpfloat_with_epsilon (kept, 1.0, 1e-5);
  for (guint a = 0; a < 4; a++)
    g_assert_cmpfloat_with_epsilon (p[a], x[a], 1e-5);

  /* … and it keeps only the u_1 part at r = 1: 4/13 of the energy */
  kept = rl_factors_project_input (&svd, 1, x, p);
  g_assert_cmpfloat_with_epsilon (kept, 4.0 / 13.0, 1e-5);
  for (guint a = 0; a < 4; a++)
    g_assert_cmpfloat_with_epsilon (p[a], 2.0 * known_u[a][0], 1e-5);

  /* the fourth Hadamard column is orthogonal to every u_i: projection 0 */
  for (guint a = 0; a < 4; a++)
    x[a] = (float) known_u[a][3];
  kept = rl_factors_project_input (&svd, 3, x, p);
  g_assert_cmpfloat_with_epsilon (kept, 0.0, 1e-10);
  for (guint a = 0; a < 4; a++)
    g_assert_cmpfloat_with_epsilon (p[a], 0.0, 1e-6);

  /* u_3 is orthogonal to the top-2 subspace; in place (out == x) */
  for (guint a = 0; a < 4; a++)
    x[a] = (float) known_u[a][2];
  rl_factors_project_input (&svd, 2, x, x);
  for (guint a = 0; a < 4; a++)
    g_assert_cmpfloat_with_epsilon (x[a], 0.0, 1e-6);

  /* what a rank-r layer sees: x·W_r = proj_r(x)·W */
  {
    const float y[4] = { 0.3f, -1.2f, 2.0f, 0.7f };
    float wr[12], p2[4];

    known_matrix (w);
    rl_factors_reconstruct (&svd, 2, wr);
    rl_factors_project_input (&svd, 2, y, p2);
    for (guint b = 0; b < 3; b++)
      {
        double lhs = 0.0, rhs = 0.0;

        for (guint a = 0; a < 4; a++)
          {
            lhs += y[a] * wr[a * 3 + b];
            rhs += p2[a] * w[a * 3 + b];
          }
        g_assert_cmpfloat_with_epsilon (lhs, rhs, 1e-5);
      }
  }

  rl_layer_svd_clear (&svd);
}

static void
test_cost (void)
{
  /* The study's worked example: m = 512, n = 256, r = 50, batch 32. */
  guint64 dense = rl_cost_dense_macs (32, 512, 256);
  guint64 factored = rl_cost_factored_macs (32, 50, 512, 256);

  g_assert_cmpuint (dense, ==, 4194304);
  g_assert_cmpuint (factored, ==, 1228800);
  g_assert_cmpfloat_with_epsilon ((double) dense / factored, 3.41, 0.005);

  /* per image, the default model's first layer at rank 25 */
  g_assert_cmpuint (rl_cost_dense_macs (1, 784, 1028), ==, 805952);
  g_assert_cmpuint (rl_cost_factored_macs (1, 25, 784, 1028), ==, 45300);
  /* no 32-bit overflow */
  g_assert_cmpuint (rl_cost_dense_macs (100000, 16384, 16384), ==, G_GUINT64_CONSTANT (26843545600000));
}

static void
test_heatmap_constant (void)
{
  static const guint shapes[][3] = { { 7, 5, 3 }, { 784, 1028, 256 }, { 10, 256, 256 }, { 3, 3, 8 } };

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      guint m = shapes[s][0], n = shapes[s][1], side = shapes[s][2];
      g_autofree float *w = g_new (float, m * n);
      g_autoptr(RlHeatmap) map = NULL;
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < m * n; i++)
        w[i] = -0.3125f;
      map = rl_heatmap_new (w, m, n, side, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (MAX (map->rows, map->cols), <=, side);
      g_assert_cmpuint (map->rows, ==, (m + map->block - 1) / map->block);
      g_assert_cmpuint (map->cols, ==, (n + map->block - 1) / map->block);
      for (guint i = 0; i < map->rows * map->cols; i++)
        g_assert_cmpfloat_with_epsilon (map->data[i], -0.3125, 1e-6);
      g_assert_cmpfloat_with_epsilon (map->max_abs, 0.3125, 1e-6);
    }
}

static void
test_heatmap_blocks (void)
{
  float w[16];
  g_autoptr(RlHeatmap) map = NULL;
  g_autoptr(RlHeatmap) odd = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 16; i++)
    w[i] = (float) (i + 1);
  /* 4×4 → 2×2 blocks of 2×2 */
  map = rl_heatmap_new (w, 4, 4, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (map->block, ==, 2);
  g_assert_cmpfloat (map->data[0], ==, 3.5f);    /* (1+2+5+6)/4 */
  g_assert_cmpfloat (map->data[1], ==, 5.5f);
  g_assert_cmpfloat (map->data[2], ==, 11.5f);
  g_assert_cmpfloat (map->data[3], ==, 13.5f);
  g_assert_cmpfloat (map->max_abs, ==, 13.5);

  /* 4×4 with max side 3 → block 2 too; with 5×… a partial block */
  odd = rl_heatmap_new (w, 5, 3, 2, &error);   /* 15 entries of w, block 3 */
  g_assert_no_error (error);
  g_assert_cmpuint (odd->block, ==, 3);
  g_assert_cmpuint (odd->rows, ==, 2);
  g_assert_cmpuint (odd->cols, ==, 1);
  g_assert_cmpfloat_with_epsilon (odd->data[0], 5.0, 1e-6);    /* mean of 1..9 */
  g_assert_cmpfloat_with_epsilon (odd->data[1], 12.5, 1e-6);   /* mean of 10..15 */
}

static void
test_heatmap_low_rank (void)
{
  const guint m = 37, n = 23;
  g_autofree float *w = g_new (float, m * n);
  g_autofree float *wr = g_new (float, m * n);
  RlLayerSvd svd = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RlHeatmap) full = NULL;
  g_autoptr(RlHeatmap) low = NULL;
  g_autoptr(RlHeatmap) direct = NULL;
  g_autoptr(RlHeatmap) diff = NULL;
  g_autoptr(RlHeatmap) bad = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < m * n; i++)
    w[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  g_assert_true (rl_layer_svd_compute (w, m, n, &svd, &error));
  g_assert_no_error (error);

  /* the block means of W_5 without forming it = those of the formed W_5 */
  rl_factors_reconstruct (&svd, 5, wr);
  direct = rl_heatmap_new (wr, m, n, 8, &error);
  low = rl_heatmap_new_low_rank (&svd, 5, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (low->rows, ==, direct->rows);
  g_assert_cmpuint (low->cols, ==, direct->cols);
  for (guint i = 0; i < low->rows * low->cols; i++)
    g_assert_cmpfloat_with_epsilon (low->data[i], direct->data[i], 1e-5);
  g_assert_cmpfloat (low->max_abs, >, 0.0);

  /* at full rank the difference W − W_k vanishes */
  g_clear_pointer (&low, rl_heatmap_free);
  full = rl_heatmap_new (w, m, n, 8, &error);
  low = rl_heatmap_new_low_rank (&svd, svd.k, 8, &error);
  diff = rl_heatmap_new_difference (full, low, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (diff->max_abs, <, 1e-5);
  g_assert_cmpfloat (full->max_abs, >, 0.01);

  /* shape mismatch and bad arguments are errors, not crashes */
  bad = rl_heatmap_new (w, n, m, 8, &error);
  g_assert_no_error (error);
  g_assert_null (rl_heatmap_new_difference (full, bad, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_null (rl_heatmap_new (w, 0, 5, 8, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (rl_heatmap_new (w, m, n, 0, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);

  rl_layer_svd_clear (&svd);
}

static void
check_predictions (const RlModel *dense,
                   const RlSvd   *svd,
                   const float   *x,
                   RlPlanMode     mode)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlRankPredictions) preds = NULL;
  guint n_out = rl_model_output_size (dense);
  guint expect_stable, n_disagree = 0;
  float a[16], b[16];

  preds = rl_rank_predictions_compute (dense, svd, x, mode, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (preds->n_ranks, ==, rl_plan_max_rank (dense));
  g_assert_cmpuint (preds->original, ==, rl_model_predict (dense, x, a));

  for (guint r = 1; r <= preds->n_ranks; r++)
    {
      g_autoptr(RlPlan) plan = rl_plan_uniform (dense, r, mode);
      g_autoptr(RlModel) small = rl_compress (dense, svd, plan, &error);
      guint c;

      g_assert_no_error (error);
      c = rl_model_predict (small, x, a);
      g_assert_cmpuint (rl_factors_predict (dense, svd, plan, x, b), ==, c);
      for (guint j = 0; j < n_out; j++)
        g_assert_cmpfloat_with_epsilon (a[j], b[j], 1e-4);
      g_assert_cmpuint (preds->classes[r - 1], ==, c);
      n_disagree += c != preds->original;
    }
  g_assert_cmpuint (preds->n_disagree, ==, n_disagree);

  /* the definition, by brute force */
  expect_stable = preds->n_ranks + 1;
  while (expect_stable > 1 && preds->classes[expect_stable - 2] == preds->original)
    expect_stable--;
  g_assert_cmpuint (preds->stable_rank, ==, expect_stable);
}

static void
test_rank_predictions (void)
{
  static const guint sizes[] = { 30, 24, 12, 5 };
  g_autoptr(RlModel) dense = rl_model_new (sizes, G_N_ELEMENTS (sizes), NULL);
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  guint changed = 0;

  rl_model_init_weights (dense, RL_INIT_HE_UNIFORM, 3);
  for (guint l = 0; l < dense->n_layers; l++)
    for (guint j = 0; j < dense->layers[l].out; j++)
      dense->layers[l].bias[j] = (float) g_rand_double_range (rand, -0.1, 0.1);
  svd = rl_svd_compute (dense, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint t = 0; t < 12; t++)
    {
      float x[30];
      g_autoptr(RlRankPredictions) preds = NULL;

      for (guint i = 0; i < 30; i++)
        x[i] = (float) g_rand_double_range (rand, 0.0, 1.0);
      check_predictions (dense, svd, x, RL_PLAN_PAPER);
      check_predictions (dense, svd, x, RL_PLAN_AUTO);
      preds = rl_rank_predictions_compute (dense, svd, x, RL_PLAN_PAPER, NULL, &error);
      changed += preds->stable_rank > 1;
    }
  /* random weights: low ranks change some predictions (the test sees both) */
  g_assert_cmpuint (changed, >, 0);

  /* a model that does not match the SVD is an error */
  {
    static const guint other[] = { 30, 20, 12, 5 };
    g_autoptr(RlModel) wrong = rl_model_new (other, G_N_ELEMENTS (other), NULL);
    float x[30] = { 0 };

    g_assert_null (rl_rank_predictions_compute (wrong, svd, x, RL_PLAN_PAPER, NULL, &error));
    g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  }
}

static void
test_svd_copy (void)
{
  static const guint sizes[] = { 6, 4, 3 };
  g_autoptr(RlModel) dense = rl_model_new (sizes, G_N_ELEMENTS (sizes), NULL);
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlSvd) copy = NULL;

  rl_model_init_weights (dense, RL_INIT_GLOROT_UNIFORM, 5);
  svd = rl_svd_compute (dense, NULL, NULL, NULL, NULL);
  g_assert_nonnull (svd);
  copy = rl_factors_svd_copy (svd);
  g_assert_cmpuint (copy->n_layers, ==, svd->n_layers);
  g_assert_cmpstr (copy->weights_hash, ==, svd->weights_hash);
  for (guint l = 0; l < svd->n_layers; l++)
    {
      const RlLayerSvd *a = &svd->layers[l], *b = &copy->layers[l];

      g_assert_cmpuint (b->k, ==, a->k);
      g_assert_true (b->us != a->us);
      g_assert_cmpmem (b->s, sizeof (double) * b->k, a->s, sizeof (double) * a->k);
      g_assert_cmpmem (b->us, sizeof (float) * b->m * b->k, a->us, sizeof (float) * a->m * a->k);
      g_assert_cmpmem (b->vt, sizeof (float) * b->k * b->n, a->vt, sizeof (float) * a->k * a->n);
    }
}

int
main (int   argc,
      char *argv[])
{
  rl_core_init (0);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/factors/known-matrix", test_known_matrix);
  g_test_add_func ("/factors/input-direction", test_input_direction);
  g_test_add_func ("/factors/projection", test_projection);
  g_test_add_func ("/factors/cost", test_cost);
  g_test_add_func ("/factors/heatmap-constant", test_heatmap_constant);
  g_test_add_func ("/factors/heatmap-blocks", test_heatmap_blocks);
  g_test_add_func ("/factors/heatmap-low-rank", test_heatmap_low_rank);
  g_test_add_func ("/factors/rank-predictions", test_rank_predictions);
  g_test_add_func ("/factors/svd-copy", test_svd_copy);

  return g_test_run ();
}
