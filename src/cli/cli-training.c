/* cli-training.c — runs a training job for the CLI: a worker thread, progress
 * on stderr (a bar on a terminal, a line per epoch otherwise), Ctrl+C cancels. */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli-common.h"

typedef struct
{
  CliTrainFunc         func;
  const char          *label;
  RlModel             *model;
  const RlDataset     *train;
  const RlTrainConfig *config;
  GCancellable        *cancellable;
  GMainLoop           *loop;
  GError              *error;
  gboolean             ok;
  gboolean             tty;
  guint                last_epoch;
} TrainingJob;

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
  TrainingJob *job = user_data;
  gboolean epoch_done = (p->step == p->steps);
  char eta[32], elapsed[32];

  format_duration (eta, sizeof eta, p->eta_s);
  format_duration (elapsed, sizeof elapsed, p->elapsed_s);

  if (job->tty)
    {
      guint width = 30, filled = p->steps ? (guint) ((double) p->step / p->steps * width) : 0;
      char bar[64];

      for (guint i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '-';
      bar[width] = '\0';
      fprintf (stderr, "\r%s %u/%u [%s] step %u/%u  loss %.4f  acc %.4f  ETA %s   ",
               job->label, p->epoch, p->epochs, bar, p->step, p->steps, p->loss, p->accuracy, eta);
      if (epoch_done)
        fputc ('\n', stderr);
      fflush (stderr);
    }
  else if (epoch_done && p->epoch != job->last_epoch)
    {
      fprintf (stderr, "%s %u/%u  loss %.4f  train acc %.4f  elapsed %s  ETA %s\n",
               job->label, p->epoch, p->epochs, p->loss, p->accuracy, elapsed, eta);
    }
  if (epoch_done)
    job->last_epoch = p->epoch;
}

static gpointer
training_thread (gpointer data)
{
  TrainingJob *job = data;

  job->ok = job->func (job->model, job->train, job->config, job->cancellable,
                       on_progress, job, &job->error);
  g_main_loop_quit (job->loop);
  return NULL;
}

static gboolean
on_sigint (gpointer data)
{
  TrainingJob *job = data;

  fprintf (stderr, "\nCancelling…\n");
  g_cancellable_cancel (job->cancellable);
  return G_SOURCE_CONTINUE;
}

gboolean
cli_run_training (CliTrainFunc          func,
                  const char           *label,
                  RlModel              *model,
                  const RlDataset      *train,
                  const RlTrainConfig  *config,
                  GError              **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  TrainingJob job = {
    .func = func, .label = label, .model = model, .train = train, .config = config,
    .cancellable = cancellable, .loop = loop, .tty = isatty (STDERR_FILENO),
  };
  GThread *thread;
  guint sig;

  sig = g_unix_signal_add (SIGINT, on_sigint, &job);
  thread = g_thread_new ("training", training_thread, &job);
  g_main_loop_run (loop);
  g_thread_join (thread);
  g_source_remove (sig);

  if (!job.ok)
    {
      g_propagate_error (error, job.error);
      return FALSE;
    }
  return TRUE;
}
