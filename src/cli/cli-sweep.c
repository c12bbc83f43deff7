/* cli-sweep.c — `ranklab-cli sweep`: the study's tables at each rank. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli-common.h"

static const guint default_ranks[] = { 1, 5, 10, 15, 20, 25, 50, 100 };

static void
print_tables (GArray     *rows,
              RlPlanMode  mode,
              guint       repeats,
              guint       n_images)
{
  g_autofree char *images = cli_group_thousands (n_images);

  printf ("\nPlan: %s   (%s test images%s; accuracy on them; latency = median of %u run%s over them, "
          "after warm-up; %u BLAS thread%s)\n\n",
          rl_plan_mode_to_string (mode), images, n_images < 10000 ? ", the first only (--limit)" : "",
          repeats, repeats == 1 ? "" : "s", rl_core_get_blas_threads (), rl_core_get_blas_threads () == 1 ? "" : "s");

  printf ("%-9s %9s %11s %11s\n", "rank", "accuracy", "time (s)", "params");
  for (guint i = 0; i < rows->len; i++)
    {
      const RlSweepRow *r = &g_array_index (rows, RlSweepRow, i);
      g_autofree char *rank = r->rank ? g_strdup_printf ("%u", r->rank) : g_strdup ("original");
      g_autofree char *params = cli_group_thousands (r->params);

      printf ("%-9s %9.4f %11.4f %11s\n", rank, r->accuracy, r->latency_s, params);
    }

  printf ("\n%-9s %9s %10s %11s %11s\n", "rank", "speed-up", "FLOP ratio", "memory MB", "saving %");
  for (guint i = 0; i < rows->len; i++)
    {
      const RlSweepRow *r = &g_array_index (rows, RlSweepRow, i);
      g_autofree char *rank = r->rank ? g_strdup_printf ("%u", r->rank) : g_strdup ("original");

      printf ("%-9s %8.2fx %9.2fx %11.3f %11.2f\n", rank, r->speedup, r->flop_ratio,
              r->memory_mb, r->memory_saving_pct);
    }
}

int
cli_sweep (int    argc,
           char **argv)
{
  g_autofree char *data = NULL, *model_path = NULL, *ranks_text = NULL, *plan_name = NULL, *csv_path = NULL;
  gint repeats = 5, threads = CLI_UNSET, limit = CLI_UNSET;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- accuracy, latency and size at each rank");
  g_autoptr(RlDataset) test = NULL;
  g_autoptr(RlModel) model = NULL;
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(GArray) ranks = NULL;
  g_autoptr(GArray) rows = NULL;
  RlPlanMode mode = RL_PLAN_PAPER;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "MNIST folder", "DIR" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "MODEL" },
    { "ranks", 'r', 0, G_OPTION_ARG_STRING, &ranks_text, "Comma-separated ranks (1,5,10,15,20,25,50,100)", "LIST" },
    { "plan", 'p', 0, G_OPTION_ARG_STRING, &plan_name, "paper (factor every layer) or auto (skip layers that do not pay)", "PLAN" },
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &repeats, "Timed runs per rank, median reported (5)", "N" },
    { "csv", 'c', 0, G_OPTION_ARG_FILENAME, &csv_path, "Write the table as CSV", "FILE" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads to compute with (all cores)", "N" },
    { "limit", 'l', 0, G_OPTION_ARG_INT, &limit, "Use the first N test images only (quick checks; figures then differ from the full set)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;

  if (model_path == NULL)
    return cli_fail ("sweep: --model MODEL is required");
  if (!cli_check_writable ("--csv", csv_path, &error))
    return cli_fail_error ("sweep", error);
  if (plan_name != NULL && !rl_plan_mode_from_string (plan_name, &mode))
    return cli_fail ("sweep: unknown plan '%s' (use paper or auto)", plan_name);
  if (!cli_check_range ("--repeat", repeats, 1, 1000, &error))
    return cli_fail_error ("sweep", error);
  if (threads != CLI_UNSET)
    {
      if (!cli_check_range ("--threads", threads, 1, 256, &error))
        return cli_fail_error ("sweep", error);
      rl_core_set_blas_threads (threads);
    }
  if (ranks_text != NULL)
    {
      if (!cli_parse_ranks (ranks_text, &ranks, &error))
        return cli_fail_error ("sweep", error);
    }
  else
    {
      ranks = g_array_new (FALSE, FALSE, sizeof (guint));
      g_array_append_vals (ranks, default_ranks, G_N_ELEMENTS (default_ranks));
    }

  model = rl_model_load (model_path, &error);
  if (model == NULL)
    return cli_fail_error ("sweep", error);
  test = cli_load_split (data, RL_SPLIT_TEST, &error);
  if (test != NULL && limit != CLI_UNSET)
    {
      RlDataset *part;

      if (!cli_check_range ("--limit", limit, 1, test->n, &error))
        return cli_fail_error ("sweep", error);
      part = rl_dataset_slice (test, 0, (guint) limit);
      rl_dataset_free (test);
      test = part;
    }
  if (test == NULL)
    return cli_fail_error ("sweep", error);
  if (rl_model_is_factored (model))
    {
      /* Already factored (e.g. by finetune): nothing to truncate, so the
       * one row of the model as it is. */
      RlSweepRow row = { 0 };
      RlAccuracy acc;
      RlLatency lat;

      rl_eval_accuracy (model, test, NULL, &acc);
      rl_eval_latency (model, test, 1, (guint) repeats, NULL, &lat);
      row.accuracy = acc.accuracy;
      row.latency_s = lat.median_s;
      row.speedup = 1.0;
      row.params = rl_model_param_count (model);
      row.memory_mb = rl_model_memory_mb (model);
      row.macs = rl_model_macs (model);
      row.flop_ratio = 1.0;
      rows = g_array_new (FALSE, TRUE, sizeof (RlSweepRow));
      g_array_append_val (rows, row);
      printf ("%s is already factored: one row, the model as it is (\"original\"); "
              "sweep its dense source for the ranks.\n", model_path);
    }
  else
    {
      svd = cli_get_svd (model, FALSE, &error);
      if (svd == NULL)
        return cli_fail_error ("sweep", error);

      rows = rl_sweep (model, svd, test, (const guint *) ranks->data, ranks->len, mode, (guint) repeats,
                       NULL, NULL, NULL, &error);
      if (rows == NULL)
        return cli_fail_error ("sweep", error);
    }

  print_tables (rows, mode, (guint) repeats, test->n);

  if (csv_path != NULL)
    {
      g_autofree char *csv = rl_sweep_to_csv (rows);

      if (!rl_file_replace_atomic (csv_path, csv, strlen (csv), &error))
        return cli_fail_error ("sweep", error);
      printf ("\nWrote %s\n", csv_path);
    }
  return 0;
}
