/* cli-train.c — `ranklab-cli train`: train on MNIST, report, save. */
#include "config.h"

#include <stdio.h>

#include "cli-common.h"

int
cli_train (int    argc,
           char **argv)
{
  g_autofree char *data = NULL, *out = NULL, *preset_name = NULL;
  gint epochs = CLI_UNSET, batch = CLI_UNSET, threads = CLI_UNSET, limit = CLI_UNSET;
  gint64 seed = 42;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- train the study's network on MNIST");
  g_autoptr(RlDataset) train = NULL, test = NULL;
  g_autoptr(RlModel) model = NULL;
  RlPreset preset = RL_PRESET_DEFAULT;
  RlAccuracy acc;
  RlTrainConfig config;
  double t0;
  char buf[64];
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "MNIST folder", "DIR" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Model file to write (safetensors)", "MODEL" },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &preset_name, "default or paper", "NAME" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, "Epochs (preset's value if unset)", "N" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch, "Batch size (preset's value if unset)", "B" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (42)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads to compute with (all cores)", "N" },
    { "limit", 'l', 0, G_OPTION_ARG_INT, &limit, "Train on the first N images only (quick runs, tests)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;

  if (out == NULL)
    return cli_fail ("train: --out MODEL is required");
  if (!cli_check_writable ("--out", out, &error))
    return cli_fail_error ("train", error);
  if (preset_name != NULL && !rl_preset_from_string (preset_name, &preset))
    return cli_fail ("train: unknown preset '%s' (use default or paper)", preset_name);
  rl_train_config_init (&config, preset);
  if (epochs != CLI_UNSET)
    {
      if (!cli_check_range ("--epochs", epochs, 1, 1000, &error))
        return cli_fail_error ("train", error);
      config.epochs = epochs;
    }
  if (batch != CLI_UNSET)
    {
      if (!cli_check_range ("--batch-size", batch, 1, 60000, &error))
        return cli_fail_error ("train", error);
      config.batch_size = batch;
    }
  if (seed < 0)
    return cli_fail ("train: --seed must not be negative");
  config.seed = (guint64) seed;
  if (threads != CLI_UNSET)
    {
      if (!cli_check_range ("--threads", threads, 1, 256, &error))
        return cli_fail_error ("train", error);
      rl_core_set_blas_threads (threads);
    }

  train = cli_load_split (data, RL_SPLIT_TRAIN, &error);
  if (train == NULL)
    return cli_fail_error ("train", error);
  test = cli_load_split (data, RL_SPLIT_TEST, &error);
  if (test == NULL)
    return cli_fail_error ("train", error);

  if (limit != CLI_UNSET)
    {
      if (!cli_check_range ("--limit", limit, 1, train->n, &error))
        return cli_fail_error ("train", error);
      config.train_count = config.train_count ? MIN (config.train_count, (guint) limit) : (guint) limit;
    }

  model = rl_model_new_default ();
  rl_train_init_model (model, preset, config.seed);

  fprintf (stderr, "Training 784-1028-512-256-10, preset %s: %u epoch%s, batch %u, %u images, seed %" G_GUINT64_FORMAT "\n",
           rl_preset_to_string (preset), config.epochs, config.epochs == 1 ? "" : "s", config.batch_size,
           config.train_count ? config.train_count : train->n, config.seed);

  t0 = rl_now ();
  if (!cli_run_training (rl_train, "epoch", model, train, &config, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return cli_fail ("train: cancelled; nothing was saved");
      return cli_fail_error ("train", error);
    }

  rl_eval_accuracy (model, test, NULL, &acc);
  g_ascii_formatd (buf, sizeof buf, "%.4f", acc.accuracy);
  rl_model_set_meta (model, "test_accuracy", buf);
  g_ascii_formatd (buf, sizeof buf, "%.1f", rl_now () - t0);
  rl_model_set_meta (model, "train_seconds", buf);

  if (!rl_model_save (model, out, &error))
    return cli_fail_error ("train", error);

  printf ("Trained in %.1f s; saved %s\n", rl_now () - t0, out);
  printf ("Test accuracy: %.4f (%u / %u)\n", acc.accuracy, acc.correct, acc.n);
  return 0;
}
