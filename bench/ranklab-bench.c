/* ranklab-bench.c — one run that measures RankLab against the machine.
 *
 * Sections, in order: the machine and its OpenBLAS sgemm reference; training
 * (default and paper presets); the SVD from scratch, from the cache and the
 * GSL Golub–Reinsch reference; the batched forward over the test set for the
 * original and each uniform rank (paper and auto plans); one image (the
 * canvas path); a slider step (rank change → accuracy on the test set); peak
 * resident memory. Prints a table per section and writes every figure as a
 * CSV row (see bench-report.h). Targets are judged where they apply; the
 * comparison with PyTorch is made by run-bench.sh. */
#include "config.h"

#include <cblas.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "rl-core.h"
#include "bench-report.h"

typedef struct
{
  char     *data_dir;
  char     *model_path;
  char     *save_model;
  char     *csv_path;
  char     *ranks_text;
  int       threads;
  int       repeats;
  int       train_epochs;
  int       svd_repeats;
  int       train_turn;      /* > 0: only time one paper epoch on this many images */
  gboolean  full;
  gboolean  quick;
  gboolean  skip_train;
  gboolean  skip_reference;

  /* derived */
  guint    *ranks;
  guint     n_ranks;
  gboolean  synthetic;
  double    sgemm_gflops;   /* the best median of the sgemm runs */
} Options;

static const guint slider_sequence[] = { 5, 25, 50, 100, 10, 20 };

/* Fewer images than this make an epoch-in-turns figure mostly start-up. */
#define RL_BENCH_MIN_TURN 1000

/* ---- machine ------------------------------------------------------------ */

static char *
read_cpu_model (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');

        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return g_strdup ("unknown");
}

static double
read_load_average (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return NAN;
  return g_ascii_strtod (text, NULL);
}

static void
bench_machine (BenchReport *report,
               Options     *opt)
{
  g_autofree char *cpu = read_cpu_model ();
  g_autofree char *cores = g_strdup_printf ("%u online", g_get_num_processors ());
  g_autofree char *config = g_strstrip (g_strdup (openblas_get_config ()));

  bench_report_note (report, "machine", "cpu", "model", cpu);
  bench_report_note (report, "machine", "cpu", "cores", cores);
  bench_report_note (report, "machine", "openblas", "config", config);
  bench_report_note (report, "machine", "openblas", "core", openblas_get_corename ());
  bench_report_add (report, "machine", "openblas", "threads", rl_core_get_blas_threads (), "");
  bench_report_add (report, "machine", "load", "loadavg-1min-start", read_load_average (), "");
  bench_report_note (report, "machine", "mode", "mode",
                     opt->quick ? "quick" : opt->full ? "full" : "standard");
  if (opt->synthetic)
    bench_report_note (report, "machine", "data", "data",
                       "synthetic random images (no MNIST found): timings valid, accuracies meaningless");
}

/* The machine's reference: a square 1024³ sgemm, median of repeats. Run
 * at the start and again just before the forward section. */
static void
bench_sgemm (BenchReport *report,
             Options     *opt,
             const char  *item)
{
  const int n = 1024;
  const guint warmup = 3, repeats = opt->quick ? 5 : 25;
  g_autofree float *a = g_new (float, (gsize) n * n);
  g_autofree float *b = g_new (float, (gsize) n * n);
  g_autofree float *c = g_new (float, (gsize) n * n);
  g_autofree double *times = g_new (double, repeats);
  GRand *rand = g_rand_new_with_seed (7);
  double median, gflops;

  for (gsize i = 0; i < (gsize) n * n; i++)
    {
      a[i] = (float) g_rand_double_range (rand, -1, 1);
      b[i] = (float) g_rand_double_range (rand, -1, 1);
    }
  g_rand_free (rand);

  for (guint i = 0; i < warmup + repeats; i++)
    {
      double t0 = bench_now ();

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
                   1.0f, a, n, b, n, 0.0f, c, n);
      if (i >= warmup)
        times[i - warmup] = bench_now () - t0;
    }
  median = bench_median (times, repeats);
  gflops = 2.0 * n * n * n / median / 1e9;

  bench_report_add (report, "sgemm", item, "median", median * 1e3, "ms");
  bench_report_add (report, "sgemm", item, "GFLOP/s", gflops, "GFLOP/s");
  bench_report_add (report, "sgemm", item, "GFLOP/s-best", 2.0 * n * n * n / times[0] / 1e9, "GFLOP/s");
  bench_report_add (report, "sgemm", item, "loadavg-1min", read_load_average (), "");

  /* The machine's limit is the better of the runs: a median taken while
   * another process runs is the machine's share, not its limit. */
  opt->sgemm_gflops = MAX (opt->sgemm_gflops, gflops);
}

/* ---- training ----------------------------------------------------------- */

/* A model of the study's shape, initialised as `preset` does, trained with
 * config; *seconds is the training's wall time. */
static RlModel *
train_fresh (RlPreset             preset,
             const RlTrainConfig *config,
             const RlDataset     *train,
             double              *seconds,
             GError             **error)
{
  g_autoptr(RlModel) model = rl_model_new_default ();
  double t0;

  rl_train_init_model (model, preset, config->seed);
  t0 = bench_now ();
  if (!rl_train (model, train, config, NULL, NULL, NULL, error))
    return NULL;
  *seconds = bench_now () - t0;
  return g_steal_pointer (&model);
}

static RlModel *
bench_train_preset (BenchReport     *report,
                    Options         *opt,
                    const RlDataset *train,
                    RlPreset         preset,
                    GError         **error)
{
  g_autoptr(RlModel) model = NULL;
  const char *name = rl_preset_to_string (preset);
  RlTrainConfig config;
  guint images, epochs;
  double elapsed, per_epoch, five;
  BenchRow *row;

  rl_train_config_init (&config, preset);
  epochs = opt->full ? 5 : (guint) MAX (opt->train_epochs, 1);
  config.epochs = epochs;
  images = config.train_count != 0 ? MIN (config.train_count, train->n) : train->n;
  if (config.train_count != 0)
    config.train_count = images;   /* --quick trains on a slice */
  model = train_fresh (preset, &config, train, &elapsed, error);
  if (model == NULL)
    return NULL;
  per_epoch = elapsed / epochs;
  five = 5 * per_epoch;

  bench_report_add (report, "train", name, "epochs", epochs, "");
  bench_report_add (report, "train", name, "images", images, "");
  bench_report_add (report, "train", name, "batch", config.batch_size, "");
  bench_report_add (report, "train", name, "s/epoch", per_epoch, "s");
  bench_report_add (report, "train", name, "images/s", images / per_epoch, "img/s");
  row = bench_report_add (report, "train", name, opt->full ? "5-epochs" : "5-epochs-est", five, "s");
  if (!opt->quick)
    {
      double limit = preset == RL_PRESET_PAPER ? 75 : 60;

      bench_row_judge (row, five <= limit, !opt->full, "<= %.0f s", limit);
    }
  return g_steal_pointer (&model);
}

/* One paper epoch on the first `images` training images, the only thing a
 * --train-turn run times: run-bench.sh runs it in turns with PyTorch's same
 * epoch, so that both sides meet the same moments of a shared machine. */
static gboolean
bench_train_turn (BenchReport     *report,
                  Options         *opt,
                  const RlDataset *train,
                  GError         **error)
{
  g_autoptr(RlModel) model = NULL;
  RlTrainConfig config;
  guint images, full;
  double elapsed, per_epoch;
  BenchRow *row;

  rl_train_config_init (&config, RL_PRESET_PAPER);
  full = config.train_count != 0 ? config.train_count : train->n;   /* the preset's epoch */
  images = MIN ((guint) opt->train_turn, MIN (full, train->n));
  config.epochs = 1;
  config.train_count = images;
  model = train_fresh (RL_PRESET_PAPER, &config, train, &elapsed, error);
  if (model == NULL)
    return FALSE;
  per_epoch = elapsed * full / images;

  bench_report_add (report, "train", "paper, in turns", "images", images, "");
  row = bench_report_add (report, "train", "paper, in turns", "s/epoch", per_epoch, "s");
  if (images != full)
    {
      g_autofree char *note = g_strdup_printf ("est.: timed on %u images, scaled to %u", images, full);

      bench_row_set_note (row, note);
    }
  bench_report_add (report, "train", "paper, in turns", "images/s", images / elapsed, "img/s");
  return TRUE;
}

/* ---- SVD ---------------------------------------------------------------- */

static RlSvd *
bench_svd (BenchReport   *report,
           Options       *opt,
           const RlModel *model,
           const char    *tmp_dir,
           GError       **error)
{
  g_autofree char *path = g_build_filename (tmp_dir, "svd.safetensors", NULL);
  guint repeats = (guint) MAX (opt->svd_repeats, 1), loads = 7;
  g_autofree double *times = g_new (double, MAX (repeats, loads));
  g_autoptr(RlSvd) svd = NULL;
  gboolean from_cache = FALSE;
  double t0, median;
  BenchRow *row;

  for (guint i = 0; i < repeats; i++)
    {
      g_autoptr(RlSvd) fresh = NULL;

      t0 = bench_now ();
      fresh = rl_svd_compute (model, NULL, NULL, NULL, error);
      times[i] = bench_now () - t0;
      if (fresh == NULL)
        return NULL;
    }
  median = bench_median (times, repeats);
  row = bench_report_add (report, "svd", "all-4-layers", "compute", median, "s");
  bench_row_judge (row, median <= 1.0, FALSE, "<= 1.0 s");
  if (repeats > 1)
    bench_row_set_note (row, "rl_svd_compute, median");

  /* The cache as the app uses it: the first call computes and stores. */
  t0 = bench_now ();
  svd = rl_svd_get_cached (model, &from_cache, NULL, NULL, NULL, error);
  if (svd == NULL)
    return NULL;
  row = bench_report_add (report, "svd", "all-4-layers", "get-cached-first", bench_now () - t0, "s");
  bench_row_set_note (row, from_cache ? "unexpected: found in cache" : "compute + store");

  for (guint i = 0; i < loads; i++)
    {
      g_autoptr(RlSvd) again = NULL;

      t0 = bench_now ();
      again = rl_svd_get_cached (model, &from_cache, NULL, NULL, NULL, error);
      times[i] = bench_now () - t0;
      if (again == NULL)
        return NULL;
      if (!from_cache)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FAILED, "the SVD cache was not used on call %u", i + 2);
          return NULL;
        }
    }
  median = bench_median (times, loads);
  row = bench_report_add (report, "svd", "all-4-layers", "get-cached-hit", median * 1e3, "ms");
  bench_row_judge (row, median <= 0.050, FALSE, "<= 50 ms");

  if (!rl_svd_save (svd, path, error))
    return NULL;
  for (guint i = 0; i < loads; i++)
    {
      g_autoptr(RlSvd) loaded = NULL;

      t0 = bench_now ();
      loaded = rl_svd_load (path, model, error);
      times[i] = bench_now () - t0;
      if (loaded == NULL)
        return NULL;
    }
  median = bench_median (times, loads);
  row = bench_report_add (report, "svd", "all-4-layers", "load", median * 1e3, "ms");
  bench_row_judge (row, median <= 0.050, FALSE, "<= 50 ms");

  if (!opt->skip_reference)
    {
      const RlLayer *largest = &model->layers[0];
      RlLayerSvd ref = { 0 };
      g_autofree char *item = NULL;

      for (guint l = 1; l < model->n_layers; l++)
        if ((guint64) model->layers[l].in * model->layers[l].out > (guint64) largest->in * largest->out)
          largest = &model->layers[l];
      item = g_strdup_printf ("layer-%ux%u", largest->in, largest->out);

      t0 = bench_now ();
      if (!rl_layer_svd_reference (largest->w, largest->in, largest->out, &ref, error))
        return NULL;
      row = bench_report_add (report, "svd", item, "gsl-golub-reinsch", bench_now () - t0, "s");
      bench_row_set_note (row, "reference, one layer");
      rl_layer_svd_clear (&ref);

      t0 = bench_now ();
      if (!rl_layer_svd_compute (largest->w, largest->in, largest->out, &ref, error))
        return NULL;
      row = bench_report_add (report, "svd", item, "rl_layer_svd_compute", bench_now () - t0, "s");
      bench_row_set_note (row, "ours, same layer");
      rl_layer_svd_clear (&ref);
    }
  return g_steal_pointer (&svd);
}

/* ---- forward ------------------------------------------------------------ */

static gboolean
bench_forward (BenchReport     *report,
               Options         *opt,
               const RlModel   *model,
               const RlSvd     *svd,
               const RlDataset *test,
               GError         **error)
{
  g_autoptr(RlWorkspace) ws = rl_workspace_new ();
  const RlPlanMode modes[] = { RL_PLAN_PAPER, RL_PLAN_AUTO };
  guint64 orig_macs = rl_model_macs (model);
  g_autofree char *setup = NULL;
  const RlModel *pair[2] = { model, NULL };
  RlLatency lat, pair_lat[2];
  RlAccuracy acc;
  double orig_s, gflops;
  BenchRow *row;

  rl_eval_accuracy (model, test, ws, &acc);
  rl_eval_latency (model, test, 2, (guint) opt->repeats, ws, &lat);
  orig_s = lat.median_s;
  gflops = 2.0 * orig_macs * test->n / orig_s / 1e9;

  bench_report_add (report, "forward", "original", "accuracy", acc.accuracy, "");
  bench_report_add (report, "forward", "original", "latency", orig_s * 1e3, "ms");
  bench_report_add (report, "forward", "original", "MACs/image", orig_macs, "");
  row = bench_report_add (report, "forward", "original", "GFLOP/s", gflops, "GFLOP/s");
  bench_row_judge (row, gflops >= 0.6 * opt->sgemm_gflops, FALSE, ">= 60%% of sgemm (%.1f)",
                   0.6 * opt->sgemm_gflops);
  bench_report_add (report, "forward", "original", "%-of-sgemm", 100 * gflops / opt->sgemm_gflops, "%");
  setup = g_strdup_printf ("%u images per call, %u threads, %u warm-up, median of %u; "
                           "each rank timed in turns with the original for its speed-up",
                           lat.batch, lat.threads, lat.warmup, lat.repeats);
  bench_report_note (report, "forward", "original", "setup", setup);

  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    for (guint i = 0; i < opt->n_ranks; i++)
      {
        guint rank = opt->ranks[i];
        g_autoptr(RlPlan) plan = rl_plan_uniform (model, rank, modes[m]);
        g_autoptr(RlModel) small = rl_compress (model, svd, plan, error);
        g_autofree char *item = NULL;
        guint64 macs;
        double ratio, speedup;

        if (small == NULL)
          return FALSE;
        item = g_strdup_printf ("%s r=%u", rl_plan_mode_to_string (modes[m]), rank);
        macs = rl_model_macs (small);
        rl_eval_accuracy (small, test, ws, &acc);
        /* the original again, in turns with this model: the speed-up is
         * the ratio of two timings that saw the same machine */
        pair[1] = small;
        rl_eval_latency_turns (pair, 2, test, 2, (guint) opt->repeats, ws, NULL, pair_lat);
        lat = pair_lat[1];
        ratio = (double) orig_macs / macs;
        speedup = pair_lat[0].median_s / lat.median_s;

        bench_report_add (report, "forward", item, "accuracy", acc.accuracy, "");
        bench_report_add (report, "forward", item, "latency", lat.median_s * 1e3, "ms");
        bench_report_add (report, "forward", item, "GFLOP/s", 2.0 * macs * test->n / lat.median_s / 1e9,
                          "GFLOP/s");
        bench_report_add (report, "forward", item, "FLOP-ratio", ratio, "x");
        bench_report_add (report, "forward", item, "original-in-turns", pair_lat[0].median_s * 1e3, "ms");
        row = bench_report_add (report, "forward", item, "speed-up", speedup, "x");
        if (rank == 25)
          bench_row_judge (row, speedup >= 8.2 && speedup >= 0.6 * ratio, FALSE,
                           ">= 8.2 and >= 0.6 x ratio (%.2f)", 0.6 * ratio);
        else if (rank >= 20 && rank <= 100)
          bench_row_judge (row, speedup >= 0.6 * ratio, FALSE, ">= 0.6 x ratio (%.2f)", 0.6 * ratio);
      }
  return TRUE;
}

/* One image at a time, as the drawing canvas calls it. */
static gboolean
bench_single (BenchReport     *report,
              Options         *opt,
              const RlModel   *model,
              const RlSvd     *svd,
              const RlDataset *test,
              GError         **error)
{
  const guint warmup = 50, calls = opt->quick ? 200 : 1000;
  const guint in = test->rows * test->cols;
  g_autofree double *times = g_new (double, calls);
  g_autoptr(RlPlan) plan = rl_plan_uniform (model, 25, RL_PLAN_PAPER);
  g_autoptr(RlModel) small = rl_compress (model, svd, plan, error);
  const RlModel *models[] = { model, small };
  const char *items[] = { "original", "paper r=25" };
  float probs[16];

  if (small == NULL)
    return FALSE;

  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      double median;

      for (guint i = 0; i < warmup + calls; i++)
        {
          const float *x = test->images + (gsize) (i % test->n) * in;
          double t0 = bench_now ();

          rl_model_predict (models[m], x, probs);
          if (i >= warmup)
            times[i - warmup] = bench_now () - t0;
        }
      median = bench_median (times, calls);
      bench_report_add (report, "one-image", items[m], "latency", median * 1e6, "us");
      bench_report_add (report, "one-image", items[m], "GFLOP/s",
                        2.0 * rl_model_macs (models[m]) / median / 1e9, "GFLOP/s");
    }
  return TRUE;
}

/* A slider step: a rank change and the new accuracy on the whole test set. */
static gboolean
slider_step (const RlModel   *model,
             const RlSvd     *svd,
             const RlDataset *test,
             RlWorkspace     *ws,
             guint            rank,
             double          *seconds,
             GError         **error)
{
  double t0 = bench_now ();
  g_autoptr(RlPlan) plan = rl_plan_uniform (model, rank, RL_PLAN_PAPER);
  g_autoptr(RlModel) small = rl_compress (model, svd, plan, error);
  RlAccuracy acc;

  if (small == NULL)
    return FALSE;
  rl_eval_accuracy (small, test, ws, &acc);
  *seconds = bench_now () - t0;
  return TRUE;
}

static gboolean
bench_slider (BenchReport     *report,
              Options         *opt,
              const RlModel   *model,
              const RlSvd     *svd,
              const RlDataset *test,
              GError         **error)
{
  g_autoptr(RlWorkspace) ws = rl_workspace_new ();
  const guint cycles = opt->quick ? 1 : 3, n_seq = G_N_ELEMENTS (slider_sequence);
  const guint n = cycles * n_seq, at25 = opt->quick ? 5 : 11;
  g_autofree double *times = g_new (double, MAX (n, at25));
  double median, dummy;
  BenchRow *row;

  /* one warm-up step */
  if (!slider_step (model, svd, test, ws, 25, &dummy, error))
    return FALSE;

  for (guint i = 0; i < n; i++)
    if (!slider_step (model, svd, test, ws, slider_sequence[i % n_seq], &times[i], error))
      return FALSE;
  median = bench_median (times, n);
  row = bench_report_add (report, "slider", "ranks 5,25,50,100,10,20", "step-median", median * 1e3, "ms");
  bench_row_set_note (row, "plan + compress + accuracy on the test set");
  bench_report_add (report, "slider", "ranks 5,25,50,100,10,20", "step-max", times[n - 1] * 1e3, "ms");

  for (guint i = 0; i < at25; i++)
    if (!slider_step (model, svd, test, ws, 25, &times[i], error))
      return FALSE;
  median = bench_median (times, at25);
  row = bench_report_add (report, "slider", "rank 25", "step-median", median * 1e3, "ms");
  bench_row_judge (row, median <= 0.050, FALSE, "<= 50 ms");
  return TRUE;
}

/* ---- main --------------------------------------------------------------- */

static double
peak_rss_mb (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return NAN;
  return usage.ru_maxrss / 1024.0;   /* Linux: kilobytes */
}

static gboolean
parse_ranks (Options  *opt,
             GError  **error)
{
  g_auto(GStrv) parts = g_strsplit (opt->ranks_text, ",", -1);
  guint n = g_strv_length (parts);

  opt->ranks = g_new0 (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, 100000, &value, NULL))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "--ranks: “%s” is not a rank ≥ 1", parts[i]);
          return FALSE;
        }
      opt->ranks[opt->n_ranks++] = (guint) value;
    }
  if (opt->n_ranks == 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "--ranks: no rank given");
      return FALSE;
    }
  return TRUE;
}

/* Random images with random labels: the timings of every section hold,
 * the accuracies do not. Used only when no MNIST folder is found. */
static RlDataset *
synthetic_dataset (guint   n,
                   guint32 seed)
{
  RlDataset *ds = g_new0 (RlDataset, 1);
  GRand *rand = g_rand_new_with_seed (seed);

  ds->n = n;
  ds->rows = ds->cols = 28;
  ds->images = g_new (float, (gsize) n * 784);
  ds->labels = g_new (guint8, n);
  for (gsize i = 0; i < (gsize) n * 784; i++)
    ds->images[i] = (float) g_rand_double (rand);
  for (guint i = 0; i < n; i++)
    ds->labels[i] = (guint8) g_rand_int_range (rand, 0, 10);
  g_rand_free (rand);
  return ds;
}

static gboolean
load_data (Options    *opt,
           RlDataset **train,
           RlDataset **test,
           GError    **error)
{
  g_autofree char *dir = rl_dataset_find_dir (opt->data_dir);

  if (dir == NULL)
    {
      const char *named = opt->data_dir != NULL ? opt->data_dir : g_getenv ("RANKLAB_MNIST_DIR");

      if (named != NULL && *named != '\0')
        {
          g_set_error (error, RL_ERROR, RL_ERROR_IO,
                       "%s (from %s) holds no MNIST test set (t10k-images-idx3-ubyte[.gz])", named,
                       opt->data_dir != NULL ? "--data" : "RANKLAB_MNIST_DIR");
          return FALSE;
        }
      if (!opt->quick)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_IO,
                       "no MNIST folder found (give --data DIR or set RANKLAB_MNIST_DIR)");
          return FALSE;
        }
      opt->synthetic = TRUE;
      *train = synthetic_dataset (3000, 1);
      *test = synthetic_dataset (10000, 2);
      return TRUE;
    }

  *train = rl_dataset_load_dir (dir, RL_SPLIT_TRAIN, error);
  if (*train == NULL)
    return FALSE;
  *test = rl_dataset_load_dir (dir, RL_SPLIT_TEST, error);
  if (*test == NULL)
    return FALSE;
  if (opt->quick && (*train)->n > 3000)
    {
      RlDataset *slice = rl_dataset_slice (*train, 0, 3000);

      rl_dataset_free (*train);
      *train = slice;
    }
  return TRUE;
}

static gboolean
run (Options  *opt,
     GError  **error)
{
  g_autoptr(BenchReport) report = bench_report_new ();
  g_autoptr(RlDataset) train = NULL;
  g_autoptr(RlDataset) test = NULL;
  g_autoptr(RlModel) model = NULL;
  g_autoptr(RlSvd) svd = NULL;
  g_autofree char *tmp_dir = NULL;
  g_autofree char *cache_dir = NULL;
  double t_start = bench_now ();
  BenchRow *row;

  /* A private cache, so that the first rl_svd_get_cached really computes. */
  tmp_dir = g_dir_make_tmp ("ranklab-bench-XXXXXX", error);
  if (tmp_dir == NULL)
    return FALSE;
  cache_dir = g_build_filename (tmp_dir, "cache", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);

  if (!load_data (opt, &train, &test, error))
    return FALSE;

  if (opt->train_turn > 0)
    {
      if (!bench_train_turn (report, opt, train, error))
        return FALSE;
      bench_report_print (report, stdout);
      g_rmdir (tmp_dir);
      return opt->csv_path == NULL || bench_report_write_csv (report, opt->csv_path, error);
    }

  bench_machine (report, opt);
  bench_sgemm (report, opt, "1024^3 start");
  fprintf (stderr, "sgemm 1024³: %.1f GFLOP/s\n", opt->sgemm_gflops);

  if (!opt->skip_train)
    {
      g_autoptr(RlModel) def = bench_train_preset (report, opt, train, RL_PRESET_DEFAULT, error);
      g_autoptr(RlModel) paper = NULL;

      if (def == NULL)
        return FALSE;
      fprintf (stderr, "trained default preset\n");
      paper = bench_train_preset (report, opt, train, RL_PRESET_PAPER, error);
      if (paper == NULL)
        return FALSE;
      fprintf (stderr, "trained paper preset\n");
      model = g_steal_pointer (&paper);
    }

  if (opt->model_path != NULL)
    {
      g_clear_pointer (&model, rl_model_free);
      model = rl_model_load (opt->model_path, error);
      if (model == NULL)
        return FALSE;
      bench_report_note (report, "machine", "model", "weights", opt->model_path);
    }
  else if (model == NULL)
    {
      model = rl_model_new_default ();
      rl_model_init_weights (model, RL_INIT_GLOROT_UNIFORM, 42);
      bench_report_note (report, "machine", "model", "weights", "untrained (Glorot, seed 42)");
    }
  else
    bench_report_note (report, "machine", "model", "weights", "the paper preset trained above");

  if (rl_model_is_factored (model))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "the benchmark needs a dense model");
      return FALSE;
    }
  if (opt->save_model != NULL && !rl_model_save (model, opt->save_model, error))
    return FALSE;

  svd = bench_svd (report, opt, model, tmp_dir, error);
  if (svd == NULL)
    return FALSE;
  fprintf (stderr, "SVD done\n");
  bench_sgemm (report, opt, "1024^3 again");
  row = bench_report_add (report, "sgemm", "reference", "GFLOP/s", opt->sgemm_gflops, "GFLOP/s");
  bench_row_set_note (row, "the better median: the forward target's reference");
  if (!bench_forward (report, opt, model, svd, test, error))
    return FALSE;
  fprintf (stderr, "forward done\n");
  if (!bench_single (report, opt, model, svd, test, error))
    return FALSE;
  if (!bench_slider (report, opt, model, svd, test, error))
    return FALSE;

  row = bench_report_add (report, "memory", opt->full ? "full run" : "this run", "peak-rss",
                          peak_rss_mb (), "MB");
  if (opt->full)
    bench_row_judge (row, row->value <= 350, FALSE, "<= 350 MB");
  else
    bench_row_set_note (row, "target (<= 350 MB) judged with --full only");
  bench_report_add (report, "machine", "load", "loadavg-1min-end", read_load_average (), "");
  bench_report_add (report, "machine", "run", "wall-time", bench_now () - t_start, "s");

  bench_report_print (report, stdout);
  printf ("\ntargets: %u PASS, %u MISS\n",
          bench_report_count_status (report, "PASS"), bench_report_count_status (report, "MISS"));

  if (opt->csv_path != NULL && !bench_report_write_csv (report, opt->csv_path, error))
    return FALSE;

  /* Remove the private cache. */
  {
    g_autofree char *svd_path = g_build_filename (tmp_dir, "svd.safetensors", NULL);
    g_autoptr(GDir) dir = NULL;
    g_autofree char *ranklab_cache = g_build_filename (cache_dir, "ranklab", NULL);

    g_remove (svd_path);
    dir = g_dir_open (ranklab_cache, 0, NULL);
    if (dir != NULL)
      {
        const char *name;

        while ((name = g_dir_read_name (dir)) != NULL)
          {
            g_autofree char *p = g_build_filename (ranklab_cache, name, NULL);

            g_remove (p);
          }
      }
    g_rmdir (ranklab_cache);
    g_rmdir (cache_dir);
    g_rmdir (tmp_dir);
  }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  Options opt = {
    .threads = 2, .repeats = 15, .train_epochs = 1, .svd_repeats = 3,
  };
  GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &opt.data_dir, "MNIST folder (default: $RANKLAB_MNIST_DIR)", "DIR" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &opt.model_path, "Use these weights instead of the paper model trained here", "FILE" },
    { "save-model", 0, 0, G_OPTION_ARG_FILENAME, &opt.save_model, "Write the benchmarked weights (for torch_bench.py)", "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &opt.csv_path, "Write every figure as CSV", "FILE" },
    { "ranks", 0, 0, G_OPTION_ARG_STRING, &opt.ranks_text, "Ranks (default 1,5,10,15,20,25,50,100)", "LIST" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &opt.threads, "OpenBLAS threads (default 2)", "N" },
    { "repeats", 0, 0, G_OPTION_ARG_INT, &opt.repeats, "Timed forward runs per model (default 15)", "N" },
    { "train-epochs", 0, 0, G_OPTION_ARG_INT, &opt.train_epochs, "Epochs timed per preset (default 1; --full: 5)", "N" },
    { "svd-repeats", 0, 0, G_OPTION_ARG_INT, &opt.svd_repeats, "SVD computations timed (default 3)", "N" },
    { "train-turn", 0, 0, G_OPTION_ARG_INT, &opt.train_turn, "Only time one paper epoch on the first N images, 1,000 to 48,000 (run-bench.sh's turns with PyTorch)", "N" },
    { "full", 0, 0, G_OPTION_ARG_NONE, &opt.full, "5-epoch trains and the peak-memory target", NULL },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &opt.quick, "A short run (meson test --benchmark)", NULL },
    { "skip-train", 0, 0, G_OPTION_ARG_NONE, &opt.skip_train, "Do not time training", NULL },
    { "skip-reference", 0, 0, G_OPTION_ARG_NONE, &opt.skip_reference, "Do not time the GSL reference SVD", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— measure RankLab in one run");
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");   /* GOption's messages and --help in the user's charset */
  setlocale (LC_NUMERIC, "C");   /* the CSV's numbers with a decimal point */
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ranklab-bench: %s\n", error->message);
      return 2;
    }
  if (opt.threads < 1 || opt.threads > 256 || opt.repeats < 1 || opt.repeats > 1000
      || opt.train_epochs < 1 || opt.train_epochs > 100 || opt.svd_repeats < 1 || opt.svd_repeats > 100
      || opt.train_turn < 0)
    {
      g_printerr ("ranklab-bench: --threads (1-256), --repeats (1-1000), --train-epochs (1-100), "
                  "--svd-repeats (1-100) or --train-turn (1000-48000) out of range\n");
      return 2;
    }
  if (opt.train_turn != 0 && (opt.train_turn < RL_BENCH_MIN_TURN || opt.train_turn > 48000))
    {
      g_printerr ("ranklab-bench: --train-turn takes %d to 48,000 images (the paper preset's epoch), not %d\n",
                  RL_BENCH_MIN_TURN, opt.train_turn);
      return 2;
    }
  if (opt.csv_path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (opt.csv_path);

      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        {
          g_printerr ("ranklab-bench: --csv: the folder %s does not exist\n", dir);
          return 2;
        }
    }
  if (opt.quick)
    {
      opt.full = FALSE;
      opt.skip_reference = TRUE;
      opt.repeats = MIN (opt.repeats, 3);
      opt.svd_repeats = 1;
      if (opt.ranks_text == NULL)
        opt.ranks_text = g_strdup ("5,25,100");
    }
  if (opt.ranks_text == NULL)
    opt.ranks_text = g_strdup ("1,5,10,15,20,25,50,100");

  rl_core_init ((guint) opt.threads);
  if (!parse_ranks (&opt, &error) || !run (&opt, &error))
    {
      g_printerr ("ranklab-bench: %s\n", error->message);
      return 1;
    }

  g_free (opt.ranks);
  g_free (opt.ranks_text);
  g_free (opt.data_dir);
  g_free (opt.model_path);
  g_free (opt.save_model);
  g_free (opt.csv_path);
  return 0;
}
