/* cli-train.c — `ranklab-cli train`: train on MNIST, report, save. */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli-common.h"

typedef struct
{
  RlModel       *model;
  RlDataset     *train;
  RlTrainConfig  config;
  GCancellable  *cancellable;
  GError        *error;
  gboolean       ok;
  gboolean       tty;
  guint          last_epoch;
  GMainLoop     *loop;
} TrainJob;

static void
format_duration (char   *buf,
                 gsize   len,
                 double  seconds)
{
  guint s = (guint) (seconds + 0.5);

  if (s >= 60)
    g_snprintf (buf, len, "%um%02us", s / 60, s % 60);
  else
    g_snprintf (buf, len, "%us", s);
}

static void
on_progress (const RlTrainProgress *p,
             gpointer               user_data)
{
  TrainJob *job = user_data;
  char eta[32], elapsed[32];
  gboolean epoch_done = (p->step == p->steps);

  format_duration (eta, sizeof eta, p->eta_s);
  format_duration (elapsed, sizeof elapsed, p->elapsed_s);

  if (job->tty)
    {
      guint width = 30, filled = p->steps ? (guint) ((double) p->step / p->steps * width) : 0;
      char bar[64];

      for (guint i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '-';
      bar[width] = '\0';
      fprintf (stderr, "\repoch %u/%u [%s] step %u/%u  loss %.4f  acc %.4f  ETA %s   ",
               p->epoch, p->epochs, bar, p->step, p->steps, p->loss, p->accuracy, eta);
      if (epoch_done)
        fputc ('\n', stderr);
      fflush (stderr);
    }
  else if (epoch_done && p->epoch != job->last_epoch)
    {
      fprintf (stderr, "epoch %u/%u  loss %.4f  train acc %.4f  elapsed %s  ETA %s\n",
               p->epoch, p->epochs, p->loss, p->accuracy, elapsed, eta);
    }
  if (epoch_done)
    job->last_epoch = p->epoch;
}

static gpointer
train_thread (gpointer data)
{
  TrainJob *job = data;

  job->ok = rl_train (job->model, job->train, &job->config, job->cancellable,
                      on_progress, job, &job->error);
  g_main_loop_quit (job->loop);
  return NULL;
}

static gboolean
on_sigint (gpointer data)
{
  TrainJob *job = data;

  fprintf (stderr, "\nCancelling…\n");
  g_cancellable_cancel (job->cancellable);
  return G_SOURCE_CONTINUE;
}

int
cli_train (int    argc,
           char **argv)
{
  g_autofree char *data = NULL, *out = NULL, *preset_name = NULL;
  gint epochs = -1, batch = -1, threads = 0, limit = 0;
  gint64 seed = 42;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- train the study's network on MNIST");
  g_autoptr(RlDataset) train = NULL, test = NULL;
  g_autoptr(RlModel) model = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  GThread *thread;
  RlPreset preset = RL_PRESET_DEFAULT;
  RlAccuracy acc;
  TrainJob job = { 0 };
  guint sig;
  double t0;
  char buf[64];
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "MNIST folder", "DIR" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Model file to write (safetensors)", "MODEL" },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &preset_name, "default or paper", "NAME" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, "Epochs (preset's value if unset)", "N" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch, "Batch size (preset's value if unset)", "B" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (42)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "OpenBLAS threads (all cores)", "N" },
    { "limit", 'l', 0, G_OPTION_ARG_INT, &limit, "Train on the first N images only (quick runs, tests)", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!cli_parse (ctx, &argc, &argv))
    return 2;

  if (out == NULL)
    return cli_fail ("train: --out MODEL is required");
  if (preset_name != NULL && !rl_preset_from_string (preset_name, &preset))
    return cli_fail ("train: unknown preset '%s' (use default or paper)", preset_name);
  rl_train_config_init (&job.config, preset);
  if (epochs != -1)
    {
      if (!cli_check_range ("--epochs", epochs, 1, 1000, &error))
        return cli_fail_error ("train", error);
      job.config.epochs = epochs;
    }
  if (batch != -1)
    {
      if (!cli_check_range ("--batch-size", batch, 1, 60000, &error))
        return cli_fail_error ("train", error);
      job.config.batch_size = batch;
    }
  if (seed < 0)
    return cli_fail ("train: --seed must not be negative");
  job.config.seed = (guint64) seed;
  if (threads != 0)
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

  if (limit != 0)
    {
      if (!cli_check_range ("--limit", limit, 1, train->n, &error))
        return cli_fail_error ("train", error);
      job.config.train_count = job.config.train_count ? MIN (job.config.train_count, (guint) limit) : (guint) limit;
    }

  model = rl_model_new_default ();
  rl_train_init_model (model, preset, job.config.seed);

  fprintf (stderr, "Training 784-1028-512-256-10, preset %s: %u epochs, batch %u, %u images, seed %" G_GUINT64_FORMAT "\n",
           rl_preset_to_string (preset), job.config.epochs, job.config.batch_size,
           job.config.train_count ? job.config.train_count : train->n, job.config.seed);

  loop = g_main_loop_new (NULL, FALSE);
  cancellable = g_cancellable_new ();
  job.model = model;
  job.train = train;
  job.cancellable = cancellable;
  job.loop = loop;
  job.tty = isatty (STDERR_FILENO);
  sig = g_unix_signal_add (SIGINT, on_sigint, &job);

  t0 = rl_now ();
  thread = g_thread_new ("train", train_thread, &job);
  g_main_loop_run (loop);
  g_thread_join (thread);
  g_source_remove (sig);

  if (!job.ok)
    {
      g_autoptr(GError) err = job.error;

      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return cli_fail ("train: cancelled; nothing was saved");
      return cli_fail_error ("train", err);
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
