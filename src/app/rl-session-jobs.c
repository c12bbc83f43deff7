/* rl-session-jobs.c — the session's background jobs (GTask workers).
 *
 * A worker only reads what its task data owns or references (a ModelBox
 * ref, the immutable test set); it never touches the session's fields or any
 * widget. Progress goes to the main thread through g_main_context_invoke. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>

#include "rl-session-private.h"

#define LATENCY_WARMUP   1u
#define LATENCY_REPEATS  3u
#define SWEEP_REPEATS    3u
#define PROGRESS_PERIOD  0.1   /* seconds between two progress messages */

/* ------------------------------------------------------------ progress */

typedef RlJobProgress JobProgress;

typedef struct
{
  RlSession  *session;
  const char *label;
  double      fraction;
} ProgressMsg;

static void
progress_msg_free (gpointer data)
{
  ProgressMsg *msg = data;

  g_object_unref (msg->session);
  g_free (msg);
}

static gboolean
progress_dispatch (gpointer data)
{
  ProgressMsg *msg = data;

  _rl_session_emit_job_progress (msg->session, msg->label, msg->fraction);
  return G_SOURCE_REMOVE;
}

#define job_progress_cb _rl_session_job_progress_cb

/* RlProgressFunc, called in the worker. */
void
job_progress_cb (double      fraction,
                 const char *stage,
                 gpointer    user_data)
{
  JobProgress *jp = user_data;
  ProgressMsg *msg;
  double now = rl_now ();

  if (now - jp->last_time < PROGRESS_PERIOD && fraction < 1.0 &&
      fraction - jp->last_fraction < 0.05)
    return;
  jp->last_time = now;
  jp->last_fraction = fraction;

  msg = g_new0 (ProgressMsg, 1);
  msg->session = g_object_ref (jp->session);
  msg->label = jp->label;
  msg->fraction = CLAMP (fraction, 0.0, 1.0);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, progress_dispatch,
                              msg, progress_msg_free);
}

typedef struct
{
  RlSession       *session;
  RlTrainProgress  progress;
  gboolean         finetune;
} TrainMsg;

static void
train_msg_free (gpointer data)
{
  TrainMsg *msg = data;

  g_object_unref (msg->session);
  g_free (msg);
}

static gboolean
train_msg_dispatch (gpointer data)
{
  TrainMsg *msg = data;

  if (msg->finetune)
    g_signal_emit_by_name (msg->session, "finetune-progress", &msg->progress);
  else
    _rl_session_emit_train_progress (msg->session, &msg->progress);
  return G_SOURCE_REMOVE;
}

void
_rl_session_queue_train_progress (RlSession             *session,
                                  const RlTrainProgress *progress,
                                  gboolean               finetune)
{
  TrainMsg *msg = g_new0 (TrainMsg, 1);

  msg->session = g_object_ref (session);
  msg->progress = *progress;
  msg->finetune = finetune;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, train_msg_dispatch,
                              msg, train_msg_free);
}

/* RlTrainProgressFunc, called in the worker (the core throttles it). */
static void
train_progress_cb (const RlTrainProgress *progress,
                   gpointer               user_data)
{
  _rl_session_queue_train_progress (RL_SESSION (user_data), progress, FALSE);
}

/* ---------------------------------------------------------------- data */

static void
load_data_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  const char *dir = task_data;
  GError *error = NULL;
  RlDataset *test;

  if (dir == NULL)
    {
      g_task_return_new_error (task, RL_ERROR, RL_ERROR_IO, "%s",
                               _("The MNIST data was not found"));
      return;
    }
  test = rl_dataset_load_dir (dir, RL_SPLIT_TEST, &error);
  if (test == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, test, (GDestroyNotify) rl_dataset_free);
}

void
_rl_session_load_data_async (RlSession           *self,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, _rl_session_load_data_async);
  /* Looking for the folder only stats a few paths: done here. */
  g_task_set_task_data (task, rl_dataset_find_dir (rl_session_get_data_folder (self)), g_free);
  g_task_run_in_thread (task, load_data_thread);
}

RlDataset *
_rl_session_load_data_finish (RlSession     *self,
                              GAsyncResult  *result,
                              char         **dir,
                              GError       **error)
{
  *dir = g_strdup (g_task_get_task_data (G_TASK (result)));
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------- open and save */

static gboolean
check_usable (const RlModel  *model,
              const char     *path,
              GError        **error)
{
  if (rl_model_input_size (model) != RL_DIGIT_PIXELS ||
           rl_model_output_size (model) != 10)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   _("the model maps %u inputs to %u outputs, but a digit model "
                     "needs 784 inputs and 10 outputs"),
                   rl_model_input_size (model), rl_model_output_size (model));
      return FALSE;
    }
  return rl_model_check_finite (model, error);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  GError *error = NULL;
  g_autoptr(RlModel) model = rl_model_load (path, &error);

  /* A factored (e.g. fine-tuned) model is shown as its dense product
   * W = A·B: same outputs, and its SVD has exactly the factored ranks. The
   * meta "densified_from" names them. */
  if (model != NULL && rl_model_is_factored (model))
    {
      RlModel *dense = rl_model_densify (model);

      g_clear_pointer (&model, rl_model_free);
      model = dense;
    }
  if (model == NULL || !check_usable (model, path, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&model), (GDestroyNotify) rl_model_free);
}

void
_rl_session_load_async (RlSession           *self,
                        const char          *path,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, _rl_session_load_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_thread);
}

RlModel *
_rl_session_load_finish (RlSession     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  RlModelBox *box;
  char       *path;
} SaveData;

static void
save_data_free (gpointer data)
{
  SaveData *sd = data;

  _rl_model_box_unref (sd->box);
  g_free (sd->path);
  g_free (sd);
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveData *sd = task_data;
  GError *error = NULL;

  if (!rl_model_save (sd->box->dense, sd->path, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
_rl_session_save_async (RlSession           *self,
                        RlModelBox          *box,
                        const char          *path,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  SaveData *sd = g_new0 (SaveData, 1);

  sd->box = _rl_model_box_ref (box);
  sd->path = g_strdup (path);
  g_task_set_source_tag (task, _rl_session_save_async);
  g_task_set_task_data (task, sd, save_data_free);
  g_task_run_in_thread (task, save_thread);
}

/* ------------------------------------------------------------ training */

typedef struct
{
  char    *data_dir;
  char    *saved_path;
  GError  *save_error;
} TrainData;

static void
train_data_free (gpointer data)
{
  TrainData *td = data;

  g_free (td->data_dir);
  g_free (td->saved_path);
  g_clear_error (&td->save_error);
  g_free (td);
}

static void
train_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  TrainData *td = task_data;
  GError *error = NULL;
  g_autoptr(RlDataset) train = NULL;
  g_autoptr(RlModel) model = NULL;
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  RlTrainConfig config;

  train = rl_dataset_load_dir (td->data_dir, RL_SPLIT_TRAIN, &error);
  if (train == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  rl_train_config_init (&config, RL_PRESET_DEFAULT);
  model = rl_model_new_default ();
  /* ReLU hidden layers: He-uniform for our own preset (the paper's preset
   * would use Glorot-uniform, as Keras does). */
  rl_train_init_model (model, config.preset, config.seed);
  if (!rl_train (model, train, &config, cancellable, train_progress_cb, source_object, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Saved at once (atomically); a failed save keeps the model in memory. */
  path = rl_session_default_model_path ();
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (&td->save_error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved_errno));
    }
  else if (rl_model_save (model, path, &td->save_error))
    td->saved_path = g_steal_pointer (&path);

  g_task_return_pointer (task, g_steal_pointer (&model), (GDestroyNotify) rl_model_free);
}

void
_rl_session_train_async (RlSession           *self,
                         const char          *data_dir,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  TrainData *td = g_new0 (TrainData, 1);

  td->data_dir = g_strdup (data_dir);
  g_task_set_source_tag (task, _rl_session_train_async);
  g_task_set_task_data (task, td, train_data_free);
  g_task_run_in_thread (task, train_thread);
}

RlModel *
_rl_session_train_finish (RlSession     *self,
                          GAsyncResult  *result,
                          char         **saved_path,
                          GError       **save_error,
                          GError       **error)
{
  TrainData *td = g_task_get_task_data (G_TASK (result));
  RlModel *model = g_task_propagate_pointer (G_TASK (result), error);

  if (model != NULL)
    {
      *saved_path = g_steal_pointer (&td->saved_path);
      *save_error = g_steal_pointer (&td->save_error);
    }
  return model;
}

/* ----------------------------------------------------------------- SVD */

typedef struct
{
  RlModelBox  *box;
  JobProgress  progress;
} BoxJob;

static void
box_job_free (gpointer data)
{
  BoxJob *job = data;

  _rl_model_box_unref (job->box);
  g_object_unref (job->progress.session);
  g_free (job);
}

static BoxJob *
box_job_new (RlSession  *self,
             RlModelBox *box,
             const char *label)
{
  BoxJob *job = g_new0 (BoxJob, 1);

  job->box = _rl_model_box_ref (box);
  job->progress.session = g_object_ref (self);
  job->progress.label = label;
  job->progress.last_time = -1;
  return job;
}

static void
svd_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  BoxJob *job = task_data;
  GError *error = NULL;
  gboolean from_cache = FALSE;
  RlSvd *svd;

  svd = rl_svd_get_cached (job->box->dense, &from_cache, cancellable,
                           job_progress_cb, &job->progress, &error);
  if (svd == NULL)
    g_task_return_error (task, error);
  else
    {
      g_debug ("SVD %s", from_cache ? "loaded from the cache" : "computed and cached");
      g_task_return_pointer (task, svd, (GDestroyNotify) rl_svd_free);
    }
}

void
_rl_session_svd_async (RlSession           *self,
                       RlModelBox          *box,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, _rl_session_svd_async);
  g_task_set_task_data (task, box_job_new (self, box, _("Computing the SVD of every layer…")),
                        box_job_free);
  g_task_run_in_thread (task, svd_thread);
}

RlSvd *
_rl_session_svd_finish (RlSession     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------- evaluation */

void
_rl_eval_result_free (RlEvalResult *res)
{
  if (res == NULL)
    return;
  g_clear_pointer (&res->box, _rl_model_box_unref);
  g_clear_pointer (&res->plan, rl_plan_free);
  g_clear_pointer (&res->compressed, rl_model_free);
  g_free (res);
}

typedef struct
{
  RlModelBox      *box;
  const RlDataset *test;   /* owned by the session, which the task keeps alive */
  RlPlan          *plan;
  guint            rank;
  RlPlanMode       mode;
  RlEvalWork       work;
  double           known_accuracy;  /* the plan's, in stage 2; else < 0 */
} EvalData;

static void
eval_data_free (gpointer data)
{
  EvalData *ed = data;

  _rl_model_box_unref (ed->box);
  rl_plan_free (ed->plan);
  g_free (ed);
}

/* Parameters and memory of model, and its accuracy on test unless
 * known_accuracy (≥ 0) is given. */
static void
measure (const RlModel   *model,
         const RlDataset *test,
         double           known_accuracy,
         RlWorkspace     *ws,
         RlFigures       *fig)
{
  RlAccuracy acc;

  memset (fig, 0, sizeof *fig);
  fig->valid = TRUE;
  fig->params = rl_model_param_count (model);
  fig->memory_mb = rl_model_memory_mb (model);
  fig->accuracy = -1;
  fig->latency_s = -1;
  fig->speedup = -1;
  if (test == NULL)
    return;
  if (known_accuracy >= 0)
    {
      fig->accuracy = known_accuracy;
      return;
    }
  rl_eval_accuracy (model, test, ws, &acc);
  fig->accuracy = acc.accuracy;
}

/* The median forward time over test of each of n_models models, in
 * figs[k]->latency_s. The models take turns run by run
 * (rl_eval_latency_turns), so that a change in the machine's load (a sweep
 * on the other core, another program) weighs on all of them alike and their
 * ratio, the speed-up, stays honest. Returns FALSE when cancellable was
 * cancelled between two timed runs, so that a newer request need not wait
 * for seconds of timing of a large model. */
static gboolean
time_forwards (const RlModel   *const *models,
               RlFigures       *const *figs,
               guint                   n_models,
               const RlDataset        *test,
               RlWorkspace            *ws,
               GCancellable           *cancellable)
{
  RlLatency lat[2];

  g_return_val_if_fail (n_models <= G_N_ELEMENTS (lat), FALSE);
  if (test == NULL)
    return TRUE;
  if (!rl_eval_latency_turns (models, n_models, test, LATENCY_WARMUP, LATENCY_REPEATS, ws,
                              cancellable, lat))
    return FALSE;
  for (guint k = 0; k < n_models; k++)
    figs[k]->latency_s = lat[k].median_s;
  return TRUE;
}

static void
eval_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  EvalData *ed = task_data;
  GError *error = NULL;
  g_autoptr(RlEvalResult) res = g_new0 (RlEvalResult, 1);
  g_autoptr(RlWorkspace) ws = rl_workspace_new ();

  res->box = _rl_model_box_ref (ed->box);
  res->rank = ed->rank;
  res->mode = ed->mode;
  res->plan = rl_plan_copy (ed->plan);

  if (g_task_return_error_if_cancelled (task))
    return;
  res->compressed = rl_compress (ed->box->dense, ed->box->svd, ed->plan, &error);
  if (res->compressed == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (ed->work & (RL_EVAL_ORIGINAL_ACCURACY | RL_EVAL_ORIGINAL_LATENCY))
    {
      measure (ed->box->dense, ed->test,
               (ed->work & RL_EVAL_ORIGINAL_ACCURACY) ? -1.0 : 0.0, ws, &res->original);
      res->original.rank = 0;
      res->has_original = (ed->work & RL_EVAL_ORIGINAL_ACCURACY) != 0;
    }
  measure (res->compressed, ed->test, ed->known_accuracy, ws, &res->current);
  if (ed->work & (RL_EVAL_LATENCY | RL_EVAL_ORIGINAL_LATENCY))
    {
      const RlModel *models[2];
      RlFigures *figs[2];
      guint n = 0;

      if (ed->work & RL_EVAL_LATENCY)
        {
          models[n] = res->compressed;
          figs[n++] = &res->current;
        }
      if (ed->work & RL_EVAL_ORIGINAL_LATENCY)
        {
          models[n] = ed->box->dense;
          figs[n++] = &res->original;
        }
      if (!time_forwards (models, figs, n, ed->test, ws, cancellable))
        {
          g_task_return_error_if_cancelled (task);
          return;
        }
      res->has_original_latency = (ed->work & RL_EVAL_ORIGINAL_LATENCY) != 0;
    }
  res->current.rank = ed->rank;

  g_task_return_pointer (task, g_steal_pointer (&res), (GDestroyNotify) _rl_eval_result_free);
}

void
_rl_session_evaluate_async (RlSession           *self,
                            RlModelBox          *box,
                            const RlDataset     *test,
                            const RlPlan        *plan,
                            guint                rank,
                            RlPlanMode           mode,
                            RlEvalWork           work,
                            double               known_accuracy,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  EvalData *ed = g_new0 (EvalData, 1);

  ed->box = _rl_model_box_ref (box);
  ed->test = test;
  ed->plan = rl_plan_copy (plan);
  ed->rank = rank;
  ed->mode = mode;
  ed->work = work;
  ed->known_accuracy = known_accuracy;
  g_task_set_source_tag (task, _rl_session_evaluate_async);
  g_task_set_task_data (task, ed, eval_data_free);
  g_task_run_in_thread (task, eval_thread);
}

RlEvalResult *
_rl_session_evaluate_finish (RlSession     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --------------------------------------------------------------- sweep */

typedef struct
{
  BoxJob          *job;
  const RlDataset *test;
  RlPlanMode       mode;
  GArray          *energy_points;   /* RlPlanPoint, filled by the worker */
} SweepData;

static void
sweep_data_free (gpointer data)
{
  SweepData *sd = data;

  box_job_free (sd->job);
  g_clear_pointer (&sd->energy_points, g_array_unref);
  g_free (sd);
}

/* The energy plans of the Pareto chart: size and test accuracy. */
static GArray *
energy_points (const RlModelBox *box,
               const RlDataset  *test,
               RlPlanMode        mode,
               GCancellable     *cancellable,
               GError          **error)
{
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (RlPlanPoint));
  g_autoptr(RlWorkspace) ws = rl_workspace_new ();

  for (guint i = 0; i < rl_session_n_pareto_energies; i++)
    {
      g_autoptr(RlPlan) plan = rl_plan_energy (box->svd, rl_session_pareto_energies[i], mode);
      g_autoptr(RlModel) small = NULL;
      RlPlanPoint pt;
      RlAccuracy acc;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      small = rl_compress (box->dense, box->svd, plan, error);
      if (small == NULL)
        return NULL;
      rl_eval_accuracy (small, test, ws, &acc);
      pt.setting = rl_session_pareto_energies[i];
      pt.params = rl_plan_param_count (box->dense, plan);
      pt.accuracy = acc.accuracy;
      g_array_append_val (points, pt);
    }
  return g_steal_pointer (&points);
}

static void
sweep_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SweepData *sd = task_data;
  GError *error = NULL;
  guint max_rank = rl_plan_max_rank (sd->job->box->dense);
  guint ranks[64];
  guint n = 0;
  GArray *rows;

  for (guint i = 0; i < rl_session_n_sweep_ranks && n < G_N_ELEMENTS (ranks); i++)
    if (rl_session_sweep_ranks[i] <= max_rank)
      ranks[n++] = rl_session_sweep_ranks[i];

  rows = rl_sweep (sd->job->box->dense, sd->job->box->svd, sd->test, ranks, n, sd->mode,
                   SWEEP_REPEATS, cancellable, job_progress_cb, &sd->job->progress, &error);
  if (rows == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sd->energy_points = energy_points (sd->job->box, sd->test, sd->mode, cancellable, &error);
  if (sd->energy_points == NULL)
    {
      g_array_unref (rows);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, rows, (GDestroyNotify) g_array_unref);
}

void
_rl_session_sweep_async (RlSession           *self,
                         RlModelBox          *box,
                         const RlDataset     *test,
                         RlPlanMode           mode,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  SweepData *sd = g_new0 (SweepData, 1);

  sd->job = box_job_new (self, box, _("Sweeping ranks for the charts…"));
  sd->test = test;
  sd->mode = mode;
  g_task_set_source_tag (task, _rl_session_sweep_async);
  g_task_set_task_data (task, sd, sweep_data_free);
  g_task_run_in_thread (task, sweep_thread);
}

GArray *
_rl_session_sweep_finish (RlSession     *self,
                          GAsyncResult  *result,
                          GArray       **energy_points,
                          GError       **error)
{
  SweepData *sd = g_task_get_task_data (G_TASK (result));
  GArray *rows = g_task_propagate_pointer (G_TASK (result), error);

  *energy_points = rows != NULL ? g_steal_pointer (&sd->energy_points) : NULL;
  return rows;
}
