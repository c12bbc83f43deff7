/* cli-plan.c — `ranklab-cli plan`: per-layer ranks from an energy threshold
 * or a parameter budget, their size and test accuracy; optionally written
 * as an experiment file. Also the validation split and plan printing shared
 * with finetune and run. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli-common.h"

RlDataset *
cli_load_validation (const char  *data_dir,
                     guint        count,
                     GError     **error)
{
  g_autoptr(RlDataset) train = cli_load_split (data_dir, RL_SPLIT_TRAIN, error);

  if (train == NULL)
    return NULL;
  if (train->n <= CLI_VAL_START)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "the validation images are training images %u and up, but the training set has only %u",
                   CLI_VAL_START, train->n);
      return NULL;
    }
  return rl_dataset_slice (train, CLI_VAL_START, MIN (count, train->n - CLI_VAL_START));
}

char *
cli_plan_ranks_text (const RlPlan *plan)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < plan->n_layers; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      if (plan->ranks[i] == 0)
        g_string_append (s, "dense");
      else
        g_string_append_printf (s, "%u", plan->ranks[i]);
    }
  return g_string_free (s, FALSE);
}

void
cli_print_plan (const RlModel *dense,
                const RlSvd   *svd,
                const RlPlan  *plan)
{
  g_autofree char *total = cli_group_thousands (rl_plan_param_count (dense, plan));

  printf ("%-6s %-10s %6s %10s %9s\n", "layer", "shape", "rank", "params", "energy %");
  for (guint i = 0; i < dense->n_layers; i++)
    {
      const RlLayer *l = &dense->layers[i];
      guint r = plan->ranks[i];
      guint64 w = r == 0 ? (guint64) l->in * l->out : (guint64) r * (l->in + l->out);
      g_autofree char *shape = g_strdup_printf ("%ux%u", l->in, l->out);
      g_autofree char *rank = r ? g_strdup_printf ("%u", r) : g_strdup ("dense");
      g_autofree char *params = cli_group_thousands (w + l->out);
      double energy = (r == 0 || svd == NULL) ? 1.0 : rl_svd_energy (&svd->layers[i], r);

      printf ("%-6u %-10s %6s %10s %9.2f\n", i + 1, shape, rank, params, 100.0 * energy);
    }
  printf ("%-6s %-10s %6s %10s\n", "total", "", "", total);
}

static void
budget_progress (double      fraction,
                 const char *stage,
                 gpointer    user_data)
{
  fprintf (stderr, "\rPlanning: %3.0f %%  %-32s", 100.0 * fraction, stage);
  fflush (stderr);
}

/* Test accuracy of plan (and its compressed model's size into the out args). */
static gboolean
plan_accuracy (const RlModel    *dense,
               const RlSvd      *svd,
               const RlPlan     *plan,
               const RlDataset  *test,
               RlAccuracy       *acc,
               GError          **error)
{
  g_autoptr(RlModel) small = rl_compress (dense, svd, plan, error);

  if (small == NULL)
    return FALSE;
  rl_eval_accuracy (small, test, NULL, acc);
  return TRUE;
}

static gboolean
parse_energy (const char  *text,
              double      *frac,
              GError     **error)
{
  char *end = NULL;
  double pct = g_ascii_strtod (text, &end);

  if (end == text || *end != '\0' || !isfinite (pct) || pct <= 0.0 || pct > 100.0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "--energy: '%s' is not a percentage in (0, 100]", text);
      return FALSE;
    }
  *frac = pct / 100.0;
  return TRUE;
}

int
cli_plan (int    argc,
          char **argv)
{
  g_autofree char *data = NULL, *model_path = NULL, *energy_text = NULL, *budget_text = NULL;
  g_autofree char *out = NULL, *mode_name = NULL;
  gint val_count = 10000, threads = CLI_UNSET;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- per-layer ranks from an energy threshold or a parameter budget");
  g_autoptr(RlModel) model = NULL;
  g_autoptr(RlDataset) test = NULL, val = NULL;
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autoptr(RlExperiment) exp = NULL;
  RlPlanMode mode = RL_PLAN_PAPER;
  RlAccuracy acc, orig;
  double frac = 0;
  guint64 budget = 0;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "MNIST folder", "DIR" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Dense model file", "MODEL" },
    { "energy", 'e', 0, G_OPTION_ARG_STRING, &energy_text, "Keep this percentage of every layer's energy (0–100]", "PCT" },
    { "budget", 'b', 0, G_OPTION_ARG_STRING, &budget_text, "Best ranks within this many parameters", "PARAMS" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the plan as an experiment file", "FILE.json" },
    { "plan-mode", 'p', 0, G_OPTION_ARG_STRING, &mode_name, "paper (factor every layer) or auto (dense where factoring does not pay)", "MODE" },
    { "val-count", 0, 0, G_OPTION_ARG_INT, &val_count, "Validation images for --budget, from training image 50,000 (10000)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads to compute with (all cores)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;
  if (!cli_check_writable ("--out", out, &error))
    return cli_fail_error ("plan", error);

  if (argc > 1)
    return cli_fail ("plan: unexpected argument '%s'", argv[1]);
  if (model_path == NULL)
    return cli_fail ("plan: --model MODEL is required");
  if ((energy_text == NULL) == (budget_text == NULL))
    return cli_fail ("plan: give exactly one of --energy PCT or --budget PARAMS");
  if (mode_name != NULL && !rl_plan_mode_from_string (mode_name, &mode))
    return cli_fail ("plan: unknown plan mode '%s' (use paper or auto)", mode_name);
  if (energy_text != NULL && !parse_energy (energy_text, &frac, &error))
    return cli_fail_error ("plan", error);
  if (budget_text != NULL && !g_ascii_string_to_unsigned (budget_text, 10, 1, G_GUINT64_CONSTANT (1) << 40, &budget, NULL))
    return cli_fail ("plan: --budget: '%s' is not a parameter count", budget_text);
  if (!cli_check_range ("--val-count", val_count, 100, 10000, &error))
    return cli_fail_error ("plan", error);
  if (threads != CLI_UNSET)
    {
      if (!cli_check_range ("--threads", threads, 1, 256, &error))
        return cli_fail_error ("plan", error);
      rl_core_set_blas_threads (threads);
    }

  model = rl_model_load (model_path, &error);
  if (model == NULL)
    return cli_fail_error ("plan", error);
  if (rl_model_is_factored (model))
    return cli_fail ("plan: %s is already factored; planning needs the dense model", model_path);
  if (budget_text != NULL && budget < rl_budget_min_params (model, mode))
    return cli_fail ("plan: --budget %" G_GUINT64_FORMAT " is below the smallest possible plan "
                     "(%" G_GUINT64_FORMAT " parameters, rank 1 everywhere)",
                     budget, rl_budget_min_params (model, mode));
  test = cli_load_split (data, RL_SPLIT_TEST, &error);
  if (test == NULL)
    return cli_fail_error ("plan", error);
  svd = cli_get_svd (model, FALSE, &error);
  if (svd == NULL)
    return cli_fail_error ("plan", error);

  exp = rl_experiment_new (NULL);
  g_free (exp->model);
  exp->model = g_canonicalize_filename (model_path, NULL);
  exp->model_hash = rl_model_weights_hash (model);
  exp->auto_mode = (mode == RL_PLAN_AUTO);

  if (energy_text != NULL)
    {
      plan = rl_plan_energy (svd, frac, mode);
      exp->kind = RL_EXPERIMENT_ENERGY;
      exp->energy = frac;
      printf ("\nEnergy plan: every layer keeps at least %.4g %% of its energy (%s mode)\n\n",
              100.0 * frac, rl_plan_mode_to_string (mode));
    }
  else
    {
      RlBudgetOptions opts;
      RlBudgetStats stats;
      double t0;

      val = cli_load_validation (data, (guint) val_count, &error);
      if (val == NULL)
        return cli_fail_error ("plan", error);
      rl_budget_options_init (&opts);
      opts.mode = mode;
      t0 = rl_now ();
      plan = rl_budget_plan (model, svd, val, budget, &opts, &stats, NULL,
                             isatty (STDERR_FILENO) ? budget_progress : NULL, NULL, &error);
      if (isatty (STDERR_FILENO))
        fputc ('\n', stderr);
      if (plan == NULL)
        return cli_fail_error ("plan", error);
      exp->kind = RL_EXPERIMENT_BUDGET;
      exp->budget = budget;
      printf ("\nBudget plan: at most %" G_GUINT64_FORMAT " parameters (%s mode); searched %u plans "
              "in %.1f s on %u validation images (training images %u–%u): validation accuracy %.4f\n\n",
              budget, rl_plan_mode_to_string (mode), stats.evaluations, rl_now () - t0, val->n,
              CLI_VAL_START, CLI_VAL_START + val->n - 1, stats.val_accuracy);
    }
  rl_experiment_set_ranks (exp, plan);
  cli_print_plan (model, svd, plan);

  rl_eval_accuracy (model, test, NULL, &orig);
  if (!plan_accuracy (model, svd, plan, test, &acc, &error))
    return cli_fail_error ("plan", error);
  printf ("\nTest accuracy: %.4f (original %.4f); %" G_GUINT64_FORMAT " multiply-adds per image\n",
          acc.accuracy, orig.accuracy, rl_plan_macs (model, plan));

  if (budget_text != NULL)
    {
      /* The study's comparison: the largest uniform rank that fits. */
      guint r = 0;

      while (r < rl_plan_max_rank (model))
        {
          g_autoptr(RlPlan) next = rl_plan_uniform (model, r + 1, mode);

          if (rl_plan_param_count (model, next) > budget)
            break;
          r++;
        }
      if (r > 0)
        {
          g_autoptr(RlPlan) uniform = rl_plan_uniform (model, r, mode);
          g_autofree char *params = cli_group_thousands (rl_plan_param_count (model, uniform));
          RlAccuracy uacc;

          if (!plan_accuracy (model, svd, uniform, test, &uacc, &error))
            return cli_fail_error ("plan", error);
          printf ("Uniform rank %u (the largest that fits, %s parameters): test accuracy %.4f\n",
                  r, params, uacc.accuracy);
        }
    }

  if (out != NULL)
    {
      exp->has_results = TRUE;
      exp->results.accuracy = acc.accuracy;
      exp->results.params = (gint64) rl_plan_param_count (model, plan);
      exp->results.macs = (gint64) rl_plan_macs (model, plan);
      exp->results.memory_mb = exp->results.params * 4.0 / (1024.0 * 1024.0);
      exp->results.original_accuracy = orig.accuracy;
      exp->results.original_params = (gint64) rl_model_param_count (model);
      if (!rl_experiment_save (exp, out, &error))
        return cli_fail_error ("plan", error);
      printf ("Wrote %s\n", out);
    }
  return 0;
}
