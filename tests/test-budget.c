/* test-budget.c — the parameter-budget planner and the equal-energy plan.
 *
 * Copyright 2024 The RankLab authors
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <math.h>
#include <string.h>

#include "rl-core.h"

static const guint tiny_sizes[] = { 20, 16, 12, 4 };

/* 20-16-12-4 with W_l = diag(k_l, k_l − 1, …, 1) (rectangular): singular
 * values 16..1, 12..1 and 4..1, exactly. */
static RlModel *
diagonal_model (void)
{
  g_autoptr(GError) error = NULL;
  RlModel *model = rl_model_new (tiny_sizes, G_N_ELEMENTS (tiny_sizes), &error);

  g_assert_no_error (error);
  for (guint l = 0; l < model->n_layers; l++)
    {
      RlLayer *layer = &model->layers[l];
      guint k = MIN (layer->in, layer->out);

      memset (layer->w, 0, sizeof (float) * layer->in * layer->out);
      for (guint i = 0; i < k; i++)
        layer->w[i * layer->out + i] = (float) (k - i);
    }
  return model;
}

static RlModel *
random_model (guint64 seed)
{
  g_autoptr(GError) error = NULL;
  RlModel *model = rl_model_new (tiny_sizes, G_N_ELEMENTS (tiny_sizes), &error);

  g_assert_no_error (error);
  rl_model_init_weights (model, RL_INIT_HE_UNIFORM, seed);
  return model;
}

/* n random 4×5 "images" labelled by the dense model's own arg-max, so the
 * dense model scores 1 and truncation can only lose. */
static RlDataset *
synthetic_set (const RlModel *model,
               guint          n,
               guint32        seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  RlDataset *ds = g_new0 (RlDataset, 1);
  float probs[4];

  ds->n = n;
  ds->rows = 4;
  ds->cols = 5;
  ds->images = g_new (float, (gsize) n * 20);
  ds->labels = g_new (guint8, n);
  for (guint i = 0; i < n * 20; i++)
    ds->images[i] = (float) g_rand_double (rand);
  for (guint i = 0; i < n; i++)
    ds->labels[i] = (guint8) rl_model_predict (model, ds->images + (gsize) i * 20, probs);
  return ds;
}

static RlSvd *
svd_of (const RlModel *model)
{
  g_autoptr(GError) error = NULL;
  RlSvd *svd = rl_svd_compute (model, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (svd);
  return svd;
}

static void
assert_ranks (const RlPlan *plan,
              guint         r0,
              guint         r1,
              guint         r2)
{
  g_assert_cmpuint (plan->n_layers, ==, 3);
  g_assert_cmpuint (plan->ranks[0], ==, r0);
  g_assert_cmpuint (plan->ranks[1], ==, r1);
  g_assert_cmpuint (plan->ranks[2], ==, r2);
}

static void
test_min_params (void)
{
  const guint odd_sizes[] = { 2, 1, 3 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) study = rl_model_new_default ();
  g_autoptr(RlModel) tiny = diagonal_model ();
  g_autoptr(RlModel) odd = rl_model_new (odd_sizes, G_N_ELEMENTS (odd_sizes), &error);

  g_assert_no_error (error);
  /* The study's rank-1 row. */
  g_assert_cmpuint (rl_budget_min_params (study, RL_PLAN_PAPER), ==, 6192);
  g_assert_cmpuint (rl_budget_min_params (study, RL_PLAN_AUTO), ==, 6192);
  /* (20+16)+16 + (16+12)+12 + (12+4)+4 */
  g_assert_cmpuint (rl_budget_min_params (tiny, RL_PLAN_PAPER), ==, 112);
  /* 2×1 and 1×3: rank 1 costs 3 and 4 weights, dense 2 and 3. */
  g_assert_cmpuint (rl_budget_min_params (odd, RL_PLAN_PAPER), ==, 3 + 1 + 4 + 3);
  g_assert_cmpuint (rl_budget_min_params (odd, RL_PLAN_AUTO), ==, 2 + 1 + 3 + 3);
}

/* Energies by hand, Σ i² for the spectra 16..1 (1496), 12..1 (650), 4..1 (30):
 * f = 0.5 keeps 846/1496, 365/650, 16/30 → ranks 4, 3, 1;
 * f = 0.9 keeps 1356/1496, 595/650, 29/30 → ranks 9, 7, 3. */
static void
test_energy_plan (void)
{
  g_autoptr(RlModel) model = diagonal_model ();
  g_autoptr(RlSvd) svd = svd_of (model);
  g_autoptr(RlPlan) half = rl_plan_energy (svd, 0.5, RL_PLAN_PAPER);
  g_autoptr(RlPlan) most = rl_plan_energy (svd, 0.9, RL_PLAN_PAPER);

  g_assert_cmpfloat_with_epsilon (svd->layers[0].s[0], 16.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (svd->layers[2].s[3], 1.0, 1e-6);
  assert_ranks (half, 4, 3, 1);
  assert_ranks (most, 9, 7, 3);
  /* 4·36+16 + 3·28+12 + 1·16+4 and 9·36+16 + 7·28+12 + 3·16+4 */
  g_assert_cmpuint (rl_plan_param_count (model, half), ==, 276);
  g_assert_cmpuint (rl_plan_param_count (model, most), ==, 600);
}

/* The ranks (9, 7, 3) hold for f in (1292/1496, 1356/1496]; just above,
 * layer 1 needs rank 10 (636 > 600); just below 559/650 < f ≤ 1292/1496 it is
 * (8, 7, 3) = 564. */
static void
test_energy_budget (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = diagonal_model ();
  g_autoptr(RlSvd) svd = svd_of (model);
  g_autoptr(RlPlan) at600 = NULL, at599 = NULL, tiny = NULL, all = NULL;
  guint64 last = 0;
  double frac = 0;

  at600 = rl_plan_energy_budget (model, svd, 600, RL_PLAN_PAPER, &frac, &error);
  g_assert_no_error (error);
  assert_ranks (at600, 9, 7, 3);
  g_assert_cmpfloat (frac, >, 1292.0 / 1496.0);
  g_assert_cmpfloat (frac, <=, 1356.0 / 1496.0 + 1e-9);

  at599 = rl_plan_energy_budget (model, svd, 599, RL_PLAN_PAPER, NULL, &error);
  g_assert_no_error (error);
  assert_ranks (at599, 8, 7, 3);
  g_assert_cmpuint (rl_plan_param_count (model, at599), ==, 564);

  tiny = rl_plan_energy_budget (model, svd, 112, RL_PLAN_PAPER, NULL, &error);
  g_assert_no_error (error);
  assert_ranks (tiny, 1, 1, 1);

  all = rl_plan_energy_budget (model, svd, 100000, RL_PLAN_PAPER, &frac, &error);
  g_assert_no_error (error);
  assert_ranks (all, 16, 12, 4);
  g_assert_cmpfloat (frac, ==, 1.0);

  /* Never over, and never less for a larger budget. */
  for (guint64 b = 112; b <= 1100; b += 7)
    {
      g_autoptr(RlPlan) plan = rl_plan_energy_budget (model, svd, b, RL_PLAN_PAPER, NULL, &error);
      guint64 params;

      g_assert_no_error (error);
      params = rl_plan_param_count (model, plan);
      g_assert_cmpuint (params, <=, b);
      g_assert_cmpuint (params, >=, last);
      last = params;
    }

  g_assert_null (rl_plan_energy_budget (model, svd, 111, RL_PLAN_PAPER, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "111"));
}

static void
test_search_budget (void)
{
  g_autoptr(RlModel) model = random_model (3);
  g_autoptr(RlSvd) svd = svd_of (model);
  g_autoptr(RlDataset) val = synthetic_set (model, 600, 11);
  const guint64 budgets[] = { 112, 130, 200, 276, 350, 450, 600, 800, 1007 };

  for (guint i = 0; i < G_N_ELEMENTS (budgets); i++)
    for (guint m = 0; m < 2; m++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(RlPlan) a = NULL, b = NULL;
        g_autoptr(RlModel) small = NULL;
        RlBudgetOptions opts;
        RlBudgetStats stats, stats_b;
        RlAccuracy acc;

        rl_budget_options_init (&opts);
        opts.mode = m == 0 ? RL_PLAN_PAPER : RL_PLAN_AUTO;
        a = rl_budget_plan (model, svd, val, budgets[i], &opts, &stats, NULL, NULL, NULL, &error);
        g_assert_no_error (error);
        b = rl_budget_plan (model, svd, val, budgets[i], &opts, &stats_b, NULL, NULL, NULL, &error);
        g_assert_no_error (error);

        /* Within the budget, exactly as counted, and deterministic. */
        g_assert_cmpuint (rl_plan_param_count (model, a), <=, budgets[i]);
        g_assert_cmpuint (stats.params, ==, rl_plan_param_count (model, a));
        g_assert_cmpmem (a->ranks, sizeof (guint) * 3, b->ranks, sizeof (guint) * 3);
        g_assert_cmpuint (stats.evaluations, ==, stats_b.evaluations);
        g_assert_cmpuint (stats.evaluations, <=, opts.max_evaluations + 3 * 3);
        for (guint l = 0; l < 3; l++)
          {
            g_assert_cmpuint (a->ranks[l], <=, svd->layers[l].k);
            if (opts.mode == RL_PLAN_PAPER)
              g_assert_cmpuint (a->ranks[l], >=, 1);
          }

        /* The reported validation accuracy is the plan's. */
        small = rl_compress (model, svd, a, &error);
        g_assert_no_error (error);
        rl_eval_accuracy (small, val, NULL, &acc);
        g_assert_cmpfloat (stats.val_accuracy, ==, acc.accuracy);
        g_assert_cmpfloat (stats.val_score, >, 0.0);
        g_assert_cmpfloat (stats.val_score, <=, 1.0);
      }
}

static void
test_search_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = random_model (5);
  g_autoptr(RlSvd) svd = svd_of (model);
  g_autoptr(RlDataset) val = synthetic_set (model, 400, 2);
  g_autoptr(RlPlan) full = NULL, dense = NULL;
  RlBudgetOptions opts;
  RlBudgetStats stats;

  /* Full rank everywhere: 16·36+16 + 12·28+12 + 4·16+4 = 1008. */
  full = rl_budget_plan (model, svd, val, 1008, NULL, &stats, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_ranks (full, 16, 12, 4);
  g_assert_cmpuint (stats.params, ==, 1008);
  /* Labels are the dense model's arg-max; full rank reproduces it up to
   * float rounding (a near-tie may flip). */
  g_assert_cmpfloat (stats.val_accuracy, >=, 0.99);

  /* AUTO at the dense size (336 + 204 + 52): every layer stays dense. */
  rl_budget_options_init (&opts);
  opts.mode = RL_PLAN_AUTO;
  dense = rl_budget_plan (model, svd, val, 592, &opts, &stats, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_ranks (dense, 0, 0, 0);
  g_assert_cmpuint (stats.params, ==, 592);
  g_assert_cmpfloat (stats.val_accuracy, >=, 0.99);
}

static void
record_progress (double      fraction,
                 const char *stage,
                 gpointer    user_data)
{
  GArray *seen = user_data;

  g_assert_nonnull (stage);
  g_array_append_val (seen, fraction);
}

static void
test_progress_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = random_model (7);
  g_autoptr(RlSvd) svd = svd_of (model);
  g_autoptr(RlDataset) val = synthetic_set (model, 300, 4);
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(RlPlan) plan = NULL;

  plan = rl_budget_plan (model, svd, val, 300, NULL, NULL, NULL, record_progress, seen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, >=, 2);
  g_assert_cmpfloat (g_array_index (seen, double, 0), ==, 0.0);
  g_assert_cmpfloat (g_array_index (seen, double, seen->len - 1), ==, 1.0);
  for (guint i = 1; i < seen->len; i++)
    g_assert_cmpfloat (g_array_index (seen, double, i), >=, g_array_index (seen, double, i - 1));

  g_cancellable_cancel (cancellable);
  g_assert_null (rl_budget_plan (model, svd, val, 300, NULL, NULL, cancellable, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = random_model (9);
  g_autoptr(RlSvd) svd = svd_of (model);
  g_autoptr(RlDataset) val = synthetic_set (model, 50, 1);
  g_autoptr(RlDataset) empty = rl_dataset_slice (val, 0, 0);
  g_autoptr(RlModel) study = rl_model_new_default ();
  g_autoptr(RlPlan) one = rl_plan_uniform (model, 2, RL_PLAN_PAPER);
  g_autoptr(RlModel) factored = rl_compress (model, svd, one, &error);
  RlBudgetOptions opts;

  g_assert_no_error (error);
  g_assert_null (rl_budget_plan (model, svd, val, 111, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "smallest"));
  g_clear_error (&error);

  g_assert_null (rl_budget_plan (model, svd, empty, 500, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_EMPTY);
  g_clear_error (&error);

  val->cols = 4;   /* 16 pixels for a 20-input model */
  g_assert_null (rl_budget_plan (model, svd, val, 500, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  g_clear_error (&error);
  val->cols = 5;

  val->labels[3] = 7;   /* only 4 classes */
  g_assert_null (rl_budget_plan (model, svd, val, 500, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);
  val->labels[3] = 1;

  g_assert_null (rl_budget_plan (study, svd, val, 500000, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  g_clear_error (&error);

  g_assert_null (rl_plan_energy_budget (factored, svd, 500, RL_PLAN_PAPER, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  rl_budget_options_init (&opts);
  opts.fine_steps = G_MAXUINT;   /* would never end a doubling loop */
  g_assert_null (rl_budget_plan (model, svd, val, 500, &opts, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "65536"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);

  g_test_add_func ("/budget/min-params", test_min_params);
  g_test_add_func ("/budget/energy-plan", test_energy_plan);
  g_test_add_func ("/budget/energy-budget", test_energy_budget);
  g_test_add_func ("/budget/search-within-budget", test_search_budget);
  g_test_add_func ("/budget/search-full", test_search_full);
  g_test_add_func ("/budget/progress-cancel", test_progress_cancel);
  g_test_add_func ("/budget/bad-input", test_bad_input);

  return g_test_run ();
}
