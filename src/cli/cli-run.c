/* cli-run.c — `ranklab-cli run`: carry out an experiment file (plan, optional
 * fine-tuning), print the sweep's figures for that plan next to the
 * original, write them back into the file and optionally as CSV. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli-common.h"

typedef struct
{
  char       *label;
  RlSweepRow  row;
} RunRow;

static void
measure (RunRow           *out,
         const char       *label,
         const RlModel    *model,
         const RlDataset  *test,
         guint             repeats,
         RlWorkspace      *ws,
         const RunRow     *original)
{
  RlAccuracy acc;
  RlLatency lat;
  RlSweepRow *r = &out->row;

  rl_eval_accuracy (model, test, ws, &acc);
  rl_eval_latency (model, test, 1, repeats, ws, &lat);
  out->label = g_strdup (label);
  memset (r, 0, sizeof *r);
  r->accuracy = acc.accuracy;
  r->latency_s = lat.median_s;
  r->params = rl_model_param_count (model);
  r->memory_mb = rl_model_memory_mb (model);
  r->macs = rl_model_macs (model);
  if (original == NULL)
    original = out;
  r->speedup = r->latency_s > 0 ? original->row.latency_s / r->latency_s : 0;
  r->memory_saving_pct = 100.0 * (1.0 - (double) r->params / original->row.params);
  r->flop_ratio = (double) original->row.macs / r->macs;
}

static void
print_rows (const RunRow *rows,
            guint         n,
            guint         repeats)
{
  printf ("\n(all 10,000 test images: accuracy on them; latency = median of %u run%s over them, after warm-up; "
          "%u BLAS thread%s)\n\n",
          repeats, repeats == 1 ? "" : "s", rl_core_get_blas_threads (), rl_core_get_blas_threads () == 1 ? "" : "s");
  printf ("%-14s %9s %11s %11s\n", "plan", "accuracy", "time (s)", "params");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *params = cli_group_thousands (rows[i].row.params);

      printf ("%-14s %9.4f %11.4f %11s\n", rows[i].label, rows[i].row.accuracy, rows[i].row.latency_s, params);
    }
  printf ("\n%-14s %9s %10s %11s %11s\n", "plan", "speed-up", "FLOP ratio", "memory MB", "saving %");
  for (guint i = 0; i < n; i++)
    printf ("%-14s %8.2fx %9.2fx %11.3f %11.2f\n", rows[i].label, rows[i].row.speedup,
            rows[i].row.flop_ratio, rows[i].row.memory_mb, rows[i].row.memory_saving_pct);
}

/* The sweep's CSV layout; the plan's "rank" is its ranks joined by '/'. */
static char *
rows_to_csv (const RunRow *rows,
             guint         n)
{
  GString *csv = g_string_new ("rank,accuracy,latency_s,speedup,params,memory_mb,memory_saving_pct\n");

  for (guint i = 0; i < n; i++)
    {
      const RlSweepRow *r = &rows[i].row;
      char acc[G_ASCII_DTOSTR_BUF_SIZE], lat[G_ASCII_DTOSTR_BUF_SIZE], spd[G_ASCII_DTOSTR_BUF_SIZE];
      char mem[G_ASCII_DTOSTR_BUF_SIZE], sav[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_printf (csv, "%s,%s,%s,%s,%" G_GUINT64_FORMAT ",%s,%s\n", rows[i].label,
                              g_ascii_formatd (acc, sizeof acc, "%.4f", r->accuracy),
                              g_ascii_formatd (lat, sizeof lat, "%.6f", r->latency_s),
                              g_ascii_formatd (spd, sizeof spd, "%.3f", r->speedup), r->params,
                              g_ascii_formatd (mem, sizeof mem, "%.4f", r->memory_mb),
                              g_ascii_formatd (sav, sizeof sav, "%.2f", r->memory_saving_pct));
    }
  return g_string_free (csv, FALSE);
}

int
cli_run (int    argc,
         char **argv)
{
  g_autofree char *data = NULL, *csv_path = NULL, *model_path = NULL, *ranks_text = NULL;
  g_autofree char *label = NULL;
  gint repeats = 5, threads = CLI_UNSET;
  gboolean no_save = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("EXPERIMENT.json - carry out an experiment file");
  g_autoptr(RlExperiment) exp = NULL;
  g_autoptr(RlModel) dense = NULL, small = NULL;
  g_autoptr(RlDataset) test = NULL, train = NULL, val = NULL;
  g_autoptr(RlSvd) svd = NULL;
  g_autoptr(RlPlan) plan = NULL;
  g_autoptr(RlWorkspace) ws = NULL;
  RunRow rows[2] = { { 0 } };
  double before = -1;
  const char *exp_path;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "MNIST folder", "DIR" },
    { "csv", 'c', 0, G_OPTION_ARG_FILENAME, &csv_path, "Write the table as CSV (the sweep's columns)", "FILE" },
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &repeats, "Timed runs, median reported (5)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads to compute with (all cores)", "N" },
    { "no-save", 0, 0, G_OPTION_ARG_NONE, &no_save, "Do not write the results back into the experiment file", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;
  if (!cli_check_writable ("--csv", csv_path, &error))
    return cli_fail_error ("run", error);

  if (argc != 2)
    return cli_fail ("run: give exactly one EXPERIMENT.json");
  exp_path = argv[1];
  if (!cli_check_range ("--repeat", repeats, 1, 1000, &error))
    return cli_fail_error ("run", error);
  if (threads != CLI_UNSET)
    {
      if (!cli_check_range ("--threads", threads, 1, 256, &error))
        return cli_fail_error ("run", error);
      rl_core_set_blas_threads (threads);
    }

  exp = rl_experiment_load (exp_path, &error);
  if (exp == NULL)
    return cli_fail_error ("run", error);
  model_path = rl_experiment_model_path (exp);
  dense = rl_model_load (model_path, &error);
  if (dense == NULL)
    return cli_fail_error ("run", error);
  if (!rl_experiment_check_model (exp, dense, &error))
    return cli_fail ("run: %s: %s", exp_path, error->message);
  test = cli_load_split (data, RL_SPLIT_TEST, &error);
  if (test == NULL)
    return cli_fail_error ("run", error);
  svd = cli_get_svd (dense, FALSE, &error);
  if (svd == NULL)
    return cli_fail_error ("run", error);

  if (exp->finetune_epochs > 0 || (exp->kind == RL_EXPERIMENT_BUDGET && exp->n_ranks == 0))
    {
      train = cli_load_split (data, RL_SPLIT_TRAIN, &error);
      if (train == NULL)
        return cli_fail_error ("run", error);
      if (train->n > CLI_VAL_START)
        val = rl_dataset_slice (train, CLI_VAL_START, train->n - CLI_VAL_START);
    }
  plan = rl_experiment_build_plan (exp, dense, svd, val, NULL, NULL, NULL, &error);
  if (plan == NULL)
    return cli_fail ("run: %s: %s", exp_path, error->message);
  rl_experiment_set_ranks (exp, plan);
  ranks_text = cli_plan_ranks_text (plan);

  printf ("Experiment %s: %s plan (%s mode), model %s\n", exp_path, rl_experiment_kind_to_string (exp->kind),
          rl_plan_mode_to_string (rl_experiment_plan_mode (exp)), model_path);
  cli_print_plan (dense, svd, plan);

  small = rl_compress (dense, svd, plan, &error);
  if (small == NULL)
    return cli_fail_error ("run", error);
  if (exp->finetune_epochs > 0)
    {
      RlAccuracy acc;

      rl_eval_accuracy (small, test, NULL, &acc);
      before = acc.accuracy;
      printf ("\nTest accuracy before fine-tuning: %.4f\n", before);
      fflush (stdout);
      if (!cli_finetune_model (small, train, exp->finetune_epochs, RL_FINETUNE_LEARNING_RATE, exp->seed, &error))
        return cli_fail_error ("run", error);
    }

  ws = rl_workspace_new ();
  label = exp->kind == RL_EXPERIMENT_UNIFORM ? g_strdup_printf ("%u", exp->rank) : g_strdelimit (g_strdup (ranks_text), ",", '/');
  measure (&rows[0], "original", dense, test, (guint) repeats, ws, NULL);
  measure (&rows[1], label, small, test, (guint) repeats, ws, &rows[0]);
  print_rows (rows, G_N_ELEMENTS (rows), (guint) repeats);

  if (csv_path != NULL)
    {
      g_autofree char *csv = rows_to_csv (rows, G_N_ELEMENTS (rows));

      if (!rl_file_replace_atomic (csv_path, csv, strlen (csv), &error))
        return cli_fail_error ("run", error);
      printf ("\nWrote %s\n", csv_path);
    }

  if (!no_save)
    {
      RlExperimentResults *r = &exp->results;

      rl_experiment_results_clear (r);
      exp->has_results = TRUE;
      r->accuracy = rows[1].row.accuracy;
      if (before >= 0)
        r->accuracy_before_finetune = before;
      r->latency_s = rows[1].row.latency_s;
      r->speedup = rows[1].row.speedup;
      r->memory_mb = rows[1].row.memory_mb;
      r->params = (gint64) rows[1].row.params;
      r->macs = (gint64) rows[1].row.macs;
      r->original_accuracy = rows[0].row.accuracy;
      r->original_latency_s = rows[0].row.latency_s;
      r->original_params = (gint64) rows[0].row.params;
      if (!rl_experiment_save (exp, exp_path, &error))
        return cli_fail_error ("run", error);
      printf ("Results written back to %s\n", exp_path);
    }

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_free (rows[i].label);
  return 0;
}
