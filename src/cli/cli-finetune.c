/* cli-finetune.c — `ranklab-cli finetune`: compress a dense model (uniform
 * rank or an experiment's plan), then train the factors to win the accuracy
 * back. Also the fine-tuning job shared with `run`. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "cli-common.h"

gboolean
cli_finetune_model (RlModel          *model,
                    const RlDataset  *train,
                    guint             epochs,
                    double            learning_rate,
                    guint64           seed,
                    GError          **error)
{
  RlTrainConfig config;

  rl_train_config_init_finetune (&config);
  config.epochs = epochs;
  config.learning_rate = learning_rate;
  config.seed = seed;

  fprintf (stderr, "Fine-tuning: %u epoch%s on %u images, batch %u, AdamW peak lr %g with cosine decay, seed %"
           G_GUINT64_FORMAT "\n", epochs, epochs == 1 ? "" : "s", train->n, config.batch_size,
           learning_rate, seed);

  return cli_run_training (rl_train_finetune, "fine-tune epoch", model, train, &config, error);
}

static void
set_meta_accuracy (RlModel    *model,
                   const char *key,
                   double      accuracy)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  rl_model_set_meta (model, key, g_ascii_formatd (buf, sizeof buf, "%.4f", accuracy));
}

int
cli_finetune (int    argc,
              char **argv)
{
  g_autofree char *data = NULL, *model_path = NULL, *out = NULL, *plan_path = NULL, *mode_name = NULL;
  g_autofree char *ranks_text = NULL, *hash = NULL;
  gint rank = CLI_UNSET, epochs = CLI_UNSET, threads = CLI_UNSET;
  gint64 seed = CLI_UNSET;
  double lr = RL_FINETUNE_LEARNING_RATE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- compress a model, then fine-tune the factors");
  g_autoptr(RlModel) dense = NULL, small = NULL;
  g_autoptr(RlDataset) train = NULL, test = NULL, val = NULL;
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autoptr(RlExperiment) exp = NULL;
  RlPlanMode mode = RL_PLAN_PAPER;
  RlAccuracy before, after;
  double t0;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "MNIST folder", "DIR" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Dense model file", "MODEL" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Factored model file to write", "MODEL2" },
    { "rank", 'r', 0, G_OPTION_ARG_INT, &rank, "Uniform rank", "R" },
    { "plan", 0, 0, G_OPTION_ARG_FILENAME, &plan_path, "The plan of an experiment file", "FILE.json" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, "Fine-tuning epochs (1, or the experiment's)", "N" },
    { "plan-mode", 'p', 0, G_OPTION_ARG_STRING, &mode_name, "With --rank: paper (factor every layer) or auto", "MODE" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Peak learning rate (1e-3)", "LR" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Shuffling seed (42, or the experiment's)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads to compute with (all cores)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;

  if (argc > 1)
    return cli_fail ("finetune: unexpected argument '%s'", argv[1]);
  if (!cli_check_writable ("--out", out, &error))
    return cli_fail_error ("finetune", error);
  if (model_path == NULL || out == NULL)
    return cli_fail ("finetune: --model MODEL and --out MODEL2 are required");
  if ((rank != CLI_UNSET) == (plan_path != NULL))
    return cli_fail ("finetune: give exactly one of --rank R or --plan FILE.json");
  if (rank != CLI_UNSET && !cli_check_range ("--rank", rank, 1, RL_MODEL_MAX_WIDTH, &error))
    return cli_fail_error ("finetune", error);
  if (mode_name != NULL && plan_path != NULL)
    return cli_fail ("finetune: --plan-mode goes with --rank; the experiment file sets its own mode");
  if (mode_name != NULL && !rl_plan_mode_from_string (mode_name, &mode))
    return cli_fail ("finetune: unknown plan mode '%s' (use paper or auto)", mode_name);
  if (epochs != CLI_UNSET && !cli_check_range ("--epochs", epochs, 1, RL_EXPERIMENT_MAX_EPOCHS, &error))
    return cli_fail_error ("finetune", error);
  if (!(isfinite (lr) && lr > 0 && lr <= 1))
    return cli_fail ("finetune: --lr must be in (0, 1], not %g", lr);
  if (seed != CLI_UNSET && seed < 0)
    return cli_fail ("finetune: --seed must not be negative");
  if (threads != CLI_UNSET)
    {
      if (!cli_check_range ("--threads", threads, 1, 256, &error))
        return cli_fail_error ("finetune", error);
      rl_core_set_blas_threads (threads);
    }

  if (plan_path != NULL)
    {
      exp = rl_experiment_load (plan_path, &error);
      if (exp == NULL)
        return cli_fail_error ("finetune", error);
      if (epochs == CLI_UNSET && exp->finetune_epochs > 0)
        epochs = (gint) exp->finetune_epochs;
      if (seed == CLI_UNSET)
        seed = (gint64) exp->seed;
    }
  if (epochs == CLI_UNSET)
    epochs = 1;
  if (seed == CLI_UNSET)
    seed = 42;

  dense = rl_model_load (model_path, &error);
  if (dense == NULL)
    return cli_fail_error ("finetune", error);
  if (rl_model_is_factored (dense))
    return cli_fail ("finetune: %s is already factored; give the dense model", model_path);
  train = cli_load_split (data, RL_SPLIT_TRAIN, &error);
  if (train == NULL)
    return cli_fail_error ("finetune", error);
  test = cli_load_split (data, RL_SPLIT_TEST, &error);
  if (test == NULL)
    return cli_fail_error ("finetune", error);
  svd = cli_get_svd (dense, FALSE, &error);
  if (svd == NULL)
    return cli_fail_error ("finetune", error);

  if (exp != NULL)
    {
      if (exp->kind == RL_EXPERIMENT_BUDGET && exp->n_ranks == 0)
        val = rl_dataset_slice (train, CLI_VAL_START, train->n - MIN (train->n, CLI_VAL_START));
      plan = rl_experiment_build_plan (exp, dense, svd, val, NULL, NULL, NULL, &error);
    }
  else
    plan = rl_plan_uniform (dense, (guint) rank, mode);
  if (plan == NULL)
    return cli_fail_error ("finetune", error);

  small = rl_compress (dense, svd, plan, &error);
  if (small == NULL)
    return cli_fail_error ("finetune", error);
  ranks_text = cli_plan_ranks_text (plan);
  rl_eval_accuracy (small, test, NULL, &before);
  printf ("Plan: ranks %s, %" G_GUINT64_FORMAT " parameters\n", ranks_text, rl_model_param_count (small));
  printf ("Test accuracy before fine-tuning: %.4f (%u / %u)\n", before.accuracy, before.correct, before.n);
  fflush (stdout);

  t0 = rl_now ();
  if (!cli_finetune_model (small, train, (guint) epochs, lr, (guint64) seed, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return cli_fail ("finetune: cancelled; nothing was saved");
      return cli_fail_error ("finetune", error);
    }
  rl_eval_accuracy (small, test, NULL, &after);

  hash = rl_model_weights_hash (dense);
  rl_model_set_meta (small, "compressed_from", hash);
  rl_model_set_meta (small, "plan_ranks", ranks_text);
  set_meta_accuracy (small, "test_accuracy_before_finetune", before.accuracy);
  set_meta_accuracy (small, "test_accuracy", after.accuracy);
  if (!rl_model_save (small, out, &error))
    return cli_fail_error ("finetune", error);

  printf ("Fine-tuned in %.1f s; saved %s\n", rl_now () - t0, out);
  printf ("Test accuracy after fine-tuning: %.4f (%u / %u)\n", after.accuracy, after.correct, after.n);
  return 0;
}
