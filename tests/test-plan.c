/* test-plan.c — rank plans, parameter counts and the truncated model.
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>

#include "rl-core.h"

/* An RlSvd of the right shapes for model, filled with distinct values (not
 * a real decomposition: rl_compress only slices the factors). */
static RlSvd *
fake_svd (const RlModel *model)
{
  RlSvd *svd = g_new0 (RlSvd, 1);

  svd->n_layers = model->n_layers;
  svd->layers = g_new0 (RlLayerSvd, model->n_layers);
  for (guint l = 0; l < model->n_layers; l++)
    {
      RlLayerSvd *ls = &svd->layers[l];

      ls->m = model->layers[l].in;
      ls->n = model->layers[l].out;
      ls->k = MIN (ls->m, ls->n);
      ls->s = g_new (double, ls->k);
      ls->us = g_new (float, (gsize) ls->m * ls->k);
      ls->vt = g_new (float, (gsize) ls->k * ls->n);
      for (guint i = 0; i < ls->k; i++)
        ls->s[i] = ls->k - i;
      for (gsize i = 0; i < (gsize) ls->m * ls->k; i++)
        ls->us[i] = (float) (i % 1000) * 1e-3f + l;
      for (gsize i = 0; i < (gsize) ls->k * ls->n; i++)
        ls->vt[i] = -(float) (i % 997) * 1e-3f - l;
    }
  svd->weights_hash = g_strdup ("fake");
  return svd;
}

static void
test_paper_table (void)
{
  const guint ranks[] = { 1, 5, 10, 15, 20, 25, 50, 100 };
  const guint64 expected[] = { 6192, 23736, 45666, 66266, 86866, 107466, 210466, 416466 };
  g_autoptr(RlModel) dense = rl_model_new_default ();
  g_autoptr(RlPlan) none = rl_plan_new (dense->n_layers);
  g_autoptr(RlSvd) svd = NULL;

  g_assert_cmpuint (rl_model_param_count (dense), ==, 1467726);
  g_assert_cmpuint (rl_plan_param_count (dense, none), ==, 1467726);

  rl_model_init_weights (dense, RL_INIT_GLOROT_UNIFORM, 1);
  svd = fake_svd (dense);

  for (guint i = 0; i < G_N_ELEMENTS (ranks); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RlPlan) plan = rl_plan_uniform (dense, ranks[i], RL_PLAN_PAPER);
      g_autoptr(RlModel) small = NULL;

      g_assert_cmpuint (rl_plan_param_count (dense, plan), ==, expected[i]);
      small = rl_compress (dense, svd, plan, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (rl_model_param_count (small), ==, expected[i]);
      /* Paper mode factors every layer, the last at most at rank 10. */
      for (guint l = 0; l < dense->n_layers; l++)
        g_assert_cmpuint (small->layers[l].rank, ==, MIN (ranks[i], l == 3 ? 10u : ranks[i]));
    }
}

static void
test_compress_content (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) dense = rl_model_new_default ();
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autoptr(RlModel) small = NULL;

  rl_model_init_weights (dense, RL_INIT_HE_UNIFORM, 4);
  for (guint l = 0; l < dense->n_layers; l++)
    for (guint j = 0; j < dense->layers[l].out; j++)
      dense->layers[l].bias[j] = 0.5f * j - l;
  rl_model_set_meta (dense, "preset", "paper");
  svd = fake_svd (dense);

  plan = rl_plan_new (dense->n_layers);
  plan->ranks[0] = 7;
  plan->ranks[2] = 256;   /* full rank, still factored */
  small = rl_compress (dense, svd, plan, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rl_model_get_meta (small, "preset"), ==, "paper");

  for (guint l = 0; l < dense->n_layers; l++)
    {
      const RlLayer *src = &dense->layers[l];
      const RlLayer *dst = &small->layers[l];
      const RlLayerSvd *ls = &svd->layers[l];
      guint r = plan->ranks[l];

      g_assert_cmpuint (dst->in, ==, src->in);
      g_assert_cmpuint (dst->out, ==, src->out);
      g_assert_cmpuint (dst->rank, ==, r);
      g_assert_cmpint (dst->act, ==, src->act);
      g_assert_cmpmem (dst->bias, src->out * sizeof (float), src->bias, src->out * sizeof (float));
      if (r == 0)
        {
          g_assert_null (dst->a);
          g_assert_cmpmem (dst->w, (gsize) src->in * src->out * sizeof (float),
                           src->w, (gsize) src->in * src->out * sizeof (float));
          continue;
        }
      g_assert_null (dst->w);
      for (guint i = 0; i < src->in; i++)
        g_assert_cmpmem (dst->a + (gsize) i * r, r * sizeof (float),
                         ls->us + (gsize) i * ls->k, r * sizeof (float));
      g_assert_cmpmem (dst->b, (gsize) r * src->out * sizeof (float),
                       ls->vt, (gsize) r * src->out * sizeof (float));
    }
  /* 7·(784+1028) + 1028·512 + 256·(512+256) + 256·10 + biases 1806. */
  g_assert_cmpuint (rl_model_param_count (small), ==, 12684 + 526336 + 196608 + 2560 + 1806);
}

static void
test_auto_never_larger (void)
{
  g_autoptr(RlModel) dense = rl_model_new_default ();
  guint64 dense_count = rl_model_param_count (dense);
  guint64 dense_macs;

  {
    g_autoptr(RlPlan) none = rl_plan_new (dense->n_layers);
    dense_macs = rl_plan_macs (dense, none);
  }
  g_assert_cmpuint (dense_macs, ==, 1467726 - 1806);

  for (guint r = 1; r <= 1028; r++)
    {
      g_autoptr(RlPlan) smart = rl_plan_uniform (dense, r, RL_PLAN_AUTO);
      g_autoptr(RlPlan) paper = rl_plan_uniform (dense, r, RL_PLAN_PAPER);
      guint64 count = rl_plan_param_count (dense, smart);

      g_assert_cmpuint (count, <=, dense_count);
      g_assert_cmpuint (count, <=, rl_plan_param_count (dense, paper));
      g_assert_cmpuint (rl_plan_macs (dense, smart), <=, dense_macs);
      for (guint l = 0; l < dense->n_layers; l++)
        {
          guint64 m = dense->layers[l].in, n = dense->layers[l].out;

          if (smart->ranks[l] != 0)
            g_assert_cmpuint (smart->ranks[l] * (m + n), <, m * n);
        }
    }

  /* Hand-computed break-evens: 784×1028 at 805952/1812 = 444.8, 256×10 at
   * 2560/266 = 9.6. */
  {
    g_autoptr(RlPlan) p444 = rl_plan_uniform (dense, 444, RL_PLAN_AUTO);
    g_autoptr(RlPlan) p445 = rl_plan_uniform (dense, 445, RL_PLAN_AUTO);
    g_autoptr(RlPlan) p9 = rl_plan_uniform (dense, 9, RL_PLAN_AUTO);
    g_autoptr(RlPlan) p10 = rl_plan_uniform (dense, 10, RL_PLAN_AUTO);

    g_assert_cmpuint (p444->ranks[0], ==, 444);
    g_assert_cmpuint (p445->ranks[0], ==, 0);
    g_assert_cmpuint (p9->ranks[3], ==, 9);
    g_assert_cmpuint (p10->ranks[3], ==, 0);
    g_assert_cmpuint (p10->ranks[0], ==, 10);
    /* 10·(1812 + 1540 + 768) + 2560 + 1806 */
    g_assert_cmpuint (rl_plan_param_count (dense, p10), ==, 45566);
    g_assert_cmpuint (rl_plan_macs (dense, p10), ==, 41200 + 2560);
  }
}

static void
test_clamp (void)
{
  g_autoptr(RlModel) dense = rl_model_new_default ();
  g_autoptr(RlPlan) paper = rl_plan_uniform (dense, 5000, RL_PLAN_PAPER);
  g_autoptr(RlPlan) smart = rl_plan_uniform (dense, 5000, RL_PLAN_AUTO);
  g_autoptr(RlPlan) copy = rl_plan_copy (paper);
  const guint expected[] = { 784, 512, 256, 10 };

  g_assert_cmpuint (rl_plan_max_rank (dense), ==, 784);
  g_assert_cmpuint (paper->n_layers, ==, 4);
  for (guint l = 0; l < 4; l++)
    {
      g_assert_cmpuint (paper->ranks[l], ==, expected[l]);
      g_assert_cmpuint (copy->ranks[l], ==, expected[l]);
      g_assert_cmpuint (smart->ranks[l], ==, 0);
    }
  g_assert_cmpuint (rl_plan_param_count (dense, smart), ==, 1467726);
  /* 784·1812 + 512·1540 + 256·768 + 10·266 + 1806 */
  g_assert_cmpuint (rl_plan_param_count (dense, paper), ==, 1420608 + 788480 + 196608 + 2660 + 1806);
}

/* σ = 4, 3, 2, 1 (σ² = 16, 9, 4, 1; total 30) on a 4×6 layer and
 * σ = 1, 1, 1 on a 3×3 one. */
static void
test_energy (void)
{
  RlSvd svd = { 0 };
  RlLayerSvd layers[2] = { { 0 } };
  double s0[] = { 4, 3, 2, 1 };
  double s1[] = { 1, 1, 1 };
  const struct { double frac; guint r0, r1; } cases[] = {
    { 0.5, 1, 2 },          /* 16/30 = .533;  2/3 */
    { 0.6, 2, 2 },          /* 25/30 = .833;  2/3 = .667 */
    { 25.0 / 30.0, 2, 3 },  /* exactly 25/30; 3/3 */
    { 0.9, 3, 3 },          /* 29/30 = .967 */
    { 1.0, 4, 3 },
  };

  layers[0] = (RlLayerSvd) { 4, 6, 4, s0, NULL, NULL };
  layers[1] = (RlLayerSvd) { 3, 3, 3, s1, NULL, NULL };
  svd.n_layers = 2;
  svd.layers = layers;

  g_assert_cmpfloat_with_epsilon (rl_svd_energy (&layers[0], 1), 16.0 / 30.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (rl_svd_energy (&layers[0], 3), 29.0 / 30.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (rl_svd_frobenius_error (&layers[0], 2), sqrt (5.0), 1e-15);
  g_assert_cmpfloat (rl_svd_spectral_error (&layers[0], 2), ==, 2.0);
  g_assert_cmpfloat_with_epsilon (rl_svd_frobenius_norm (&layers[0]), sqrt (30.0), 1e-15);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(RlPlan) paper = rl_plan_energy (&svd, cases[i].frac, RL_PLAN_PAPER);
      g_autoptr(RlPlan) smart = rl_plan_energy (&svd, cases[i].frac, RL_PLAN_AUTO);

      g_assert_cmpuint (paper->ranks[0], ==, cases[i].r0);
      g_assert_cmpuint (paper->ranks[1], ==, cases[i].r1);
      /* Break-even: 4×6 at 2.4, 3×3 at 1.5. */
      g_assert_cmpuint (smart->ranks[0], ==, cases[i].r0 <= 2 ? cases[i].r0 : 0);
      g_assert_cmpuint (smart->ranks[1], ==, cases[i].r1 <= 1 ? cases[i].r1 : 0);
    }
}

static void
test_mode_strings (void)
{
  RlPlanMode mode = RL_PLAN_AUTO;

  g_assert_cmpstr (rl_plan_mode_to_string (RL_PLAN_PAPER), ==, "paper");
  g_assert_cmpstr (rl_plan_mode_to_string (RL_PLAN_AUTO), ==, "auto");
  g_assert_true (rl_plan_mode_from_string ("paper", &mode));
  g_assert_cmpint (mode, ==, RL_PLAN_PAPER);
  g_assert_true (rl_plan_mode_from_string ("AUTO", &mode));
  g_assert_cmpint (mode, ==, RL_PLAN_AUTO);
  g_assert_false (rl_plan_mode_from_string ("smart", &mode));
  g_assert_false (rl_plan_mode_from_string (NULL, &mode));
  g_assert_cmpint (mode, ==, RL_PLAN_AUTO);
}

static void
test_compress_errors (void)
{
  const guint sizes[] = { 8, 6, 3 };
  const guint other[] = { 8, 5, 3 };
  g_autoptr(RlModel) dense = rl_model_new (sizes, 3, NULL);
  g_autoptr(RlModel) wrong = rl_model_new (other, 3, NULL);
  g_autoptr(RlSvd) svd = fake_svd (dense);
  g_autoptr(RlSvd) wrong_svd = fake_svd (wrong);
  g_autoptr(RlPlan) plan = rl_plan_uniform (dense, 2, RL_PLAN_PAPER);
  g_autoptr(RlPlan) short_plan = rl_plan_new (1);
  g_autoptr(RlModel) factored = NULL;
  GError *error = NULL;

  g_assert_null (rl_compress (dense, wrong_svd, plan, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "layer 0"));
  g_clear_error (&error);

  g_assert_null (rl_compress (dense, svd, short_plan, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  g_clear_error (&error);

  plan->ranks[1] = 4;   /* layer 1 is 6×3 */
  g_assert_null (rl_compress (dense, svd, plan, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "layer 1"));
  g_clear_error (&error);

  plan->ranks[1] = 3;
  factored = rl_compress (dense, svd, plan, &error);
  g_assert_no_error (error);
  g_assert_null (rl_compress (factored, svd, plan, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);

  g_test_add_func ("/plan/paper-table", test_paper_table);
  g_test_add_func ("/plan/compress-content", test_compress_content);
  g_test_add_func ("/plan/auto-never-larger", test_auto_never_larger);
  g_test_add_func ("/plan/clamp", test_clamp);
  g_test_add_func ("/plan/energy", test_energy);
  g_test_add_func ("/plan/mode-strings", test_mode_strings);
  g_test_add_func ("/plan/compress-errors", test_compress_errors);

  return g_test_run ();
}
