/* rl-session.c — application state and background jobs over the core.
 *
 * Threads: rl_core_init (1) in main.c pins OpenBLAS to one thread. Up to two
 * GTask workers run heavy work at once (one rank evaluation and the sweep, or
 * the SVD), each on one core of a two-core machine, so BLAS threads never
 * oversubscribe the CPU. Timings are therefore single-threaded figures.
 *
 * Ownership across threads: a ModelBox (atomic refcounted) holds the dense
 * model and, once computed, its SVD. Workers read it; nothing mutates it
 * after a job that reads the part it needs has started. The test set is
 * loaded once and never replaced while the session lives (every GTask keeps
 * the session alive). */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "rl-session.h"
#include "rl-session-private.h"

const guint rl_session_sweep_ranks[] = {
  1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 256,
};
const guint rl_session_n_sweep_ranks = G_N_ELEMENTS (rl_session_sweep_ranks);

#define DEFAULT_RANK      25u

G_DEFINE_FINAL_TYPE (RlSession, rl_session, G_TYPE_OBJECT)

GParamSpec *_rl_session_properties[N_PROPS];
guint _rl_session_signals[N_SIGNALS];

/* Declared in rl-session-private.h; shared with rl-session-plans.c. */
#define maybe_start_evaluation _rl_session_maybe_evaluate
static void start_svd              (RlSession *self);
static void start_sweep            (RlSession *self);

/* ------------------------------------------------------------------ box */

static void
model_box_clear (gpointer data)
{
  RlModelBox *box = data;

  g_clear_pointer (&box->dense, rl_model_free);
  g_clear_pointer (&box->svd, rl_svd_free);
}

RlModelBox *
_rl_model_box_new (RlModel *dense)
{
  RlModelBox *box = g_atomic_rc_box_new0 (RlModelBox);

  box->dense = dense;
  return box;
}

RlModelBox *
_rl_model_box_ref (RlModelBox *box)
{
  return g_atomic_rc_box_acquire (box);
}

void
_rl_model_box_unref (RlModelBox *box)
{
  g_atomic_rc_box_release_full (box, model_box_clear);
}

/* ------------------------------------------------------------- helpers */

/* Every job holds the application, so that quitting waits until the
 * (cancelled) workers have returned instead of exiting under them. */
static void
job_begin (RlSession *self)
{
  GApplication *app = g_application_get_default ();

  if (app != NULL)
    g_application_hold (app);
}

static void
job_end (RlSession *self)
{
  GApplication *app = g_application_get_default ();

  if (app != NULL)
    g_application_release (app);
}

void
_rl_session_emit_error (RlSession  *self,
                        const char *context,
                        GError     *error)
{
  g_autofree char *message = NULL;

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL)
    message = g_strdup_printf ("%s: %s", context, error->message);
  else
    message = g_strdup (context);
  /* File names in messages are bytes, not always UTF-8: labels need text. */
  if (!g_utf8_validate (message, -1, NULL))
    {
      char *valid = g_utf8_make_valid (message, -1);

      g_free (message);
      message = valid;
    }
  g_message ("%s", message);   /* shown in the window; not a program fault */
  g_signal_emit (self, _rl_session_signals[SIGNAL_ERROR], 0, message);
}

void
_rl_session_emit_job_progress (RlSession  *self,
                               const char *stage,
                               double      fraction)
{
  g_signal_emit (self, _rl_session_signals[SIGNAL_JOB_PROGRESS], 0, stage, fraction);
}

void
_rl_session_emit_train_progress (RlSession             *self,
                                 const RlTrainProgress *progress)
{
  g_signal_emit (self, _rl_session_signals[SIGNAL_TRAIN_PROGRESS], 0, progress);
}



static void
set_bool (RlSession *self,
          gboolean  *field,
          gboolean   value,
          guint      prop)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[prop]);
}

static void
_rl_session_set_loading (RlSession *self,
                         gboolean   loading)
{
  set_bool (self, &self->loading, loading, PROP_LOADING);
}

static void
_rl_session_set_training (RlSession *self,
                          gboolean   training)
{
  set_bool (self, &self->training, training, PROP_TRAINING);
}

static void
_rl_session_set_evaluating (RlSession *self,
                            gboolean   running)
{
  set_bool (self, &self->eval_running, running, PROP_EVALUATING);
}

static void
figures_for_model (const RlModel *model,
                   RlFigures     *fig)
{
  memset (fig, 0, sizeof *fig);
  fig->valid = TRUE;
  fig->accuracy = -1;
  fig->latency_s = -1;
  fig->speedup = -1;
  fig->params = rl_model_param_count (model);
  fig->memory_mb = rl_model_memory_mb (model);
}

/* ----------------------------------------------------------- data load */

static void
_rl_session_set_data (RlSession  *self,
                      RlDataset  *test,
                      const char *dir)
{
  self->data_loading = FALSE;
  g_clear_pointer (&self->test, rl_dataset_free);
  g_clear_pointer (&self->data_dir, g_free);
  self->test = test;
  self->data_dir = g_strdup (dir);
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_HAS_DATA]);

  if (self->pending_model != NULL)
    {
      g_autofree char *path = g_steal_pointer (&self->pending_model);
      rl_session_open_model (self, path);
    }
  else if (self->box != NULL && self->box->svd != NULL)
    {
      /* The data came after the model: measure the original now; the
       * sweep follows the first evaluation. */
      self->original.accuracy = -1;
      maybe_start_evaluation (self);
    }
}

/* ------------------------------------------------------- model changes */

static void
_rl_session_set_model (RlSession  *self,
                       RlModel    *dense,
                       const char *path)
{
  g_object_freeze_notify (G_OBJECT (self));

  g_cancellable_cancel (self->svd_cancellable);
  g_cancellable_cancel (self->sweep_cancellable);
  g_clear_object (&self->svd_cancellable);
  g_clear_object (&self->sweep_cancellable);

  g_clear_pointer (&self->box, _rl_model_box_unref);
  g_clear_pointer (&self->compressed, rl_model_free);
  g_clear_pointer (&self->sweep, g_array_unref);
  g_clear_pointer (&self->model_path, g_free);
  g_clear_pointer (&self->model_name, g_free);

  self->box = _rl_model_box_new (dense);
  self->model_path = g_strdup (path);
  self->model_name = path != NULL ? g_filename_display_basename (path) : g_strdup (_("Unsaved model"));
  figures_for_model (dense, &self->original);
  memset (&self->current, 0, sizeof self->current);
  g_clear_pointer (&self->current_plan, rl_plan_free);

  self->max_rank = MAX (1u, rl_plan_max_rank (dense));
  if (self->rank > self->max_rank)
    {
      self->rank = self->max_rank;
      g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_RANK]);
    }

  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_MAX_RANK]);
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_HAS_MODEL]);
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_HAS_SVD]);
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_MODEL_NAME]);
  _rl_session_plans_model_changed (self);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, _rl_session_signals[SIGNAL_RESULTS_CHANGED], 0);
  g_signal_emit (self, _rl_session_signals[SIGNAL_SWEEP_CHANGED], 0);

  start_svd (self);
}


/* ----------------------------------------------------------------- SVD */

static void
svd_done (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(RlModelBox) box = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RlSvd) svd = _rl_session_svd_finish (self, result, &error);

  job_end (self);

  if (box != self->box)
    return;  /* the model was replaced meanwhile: its own SVD runs */

  self->svd_running = FALSE;
  _rl_session_emit_job_progress (self, NULL, -1);

  if (svd == NULL)
    {
      _rl_session_emit_error (self, _("The SVD of the model failed"), error);
      return;
    }

  self->box->svd = g_steal_pointer (&svd);
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_HAS_SVD]);
  /* The sweep starts after the first evaluation, so that the original
   * model's latency is timed alone and the figures come first. */
  _rl_session_plans_svd_ready (self);
  maybe_start_evaluation (self);
}

static void
start_svd (RlSession *self)
{
  self->svd_cancellable = g_cancellable_new ();
  self->svd_running = TRUE;
  _rl_session_emit_job_progress (self, _("Computing the SVD of every layer…"), 0);
  job_begin (self);
  _rl_session_svd_async (self, self->box, self->svd_cancellable, svd_done,
                         _rl_model_box_ref (self->box));
}

/* ---------------------------------------------------------- evaluation */

/* Cancels a running latency stage (stage 2) and forgets it: its answer
 * will be dropped, and a new evaluation may start at once. */
static void
cancel_latency_stage (RlSession *self)
{
  if (!self->eval_running || !self->eval_latency_stage)
    return;
  g_debug ("Cancelling the timing of the previous plan");
  g_cancellable_cancel (self->eval_cancellable);
  g_clear_object (&self->eval_cancellable);
  self->eval_latency_stage = FALSE;
  _rl_session_set_evaluating (self, FALSE);
}

static void
eval_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(GCancellable) cancellable = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RlEvalResult) res = _rl_session_evaluate_finish (self, result, &error);

  job_end (self);

  if (cancellable != self->eval_cancellable)
    return;  /* a cancelled latency stage: a newer evaluation replaced it */
  g_clear_object (&self->eval_cancellable);
  self->eval_latency_stage = FALSE;
  _rl_session_set_evaluating (self, FALSE);

  if (self->sweep == NULL && self->sweep_cancellable == NULL)
    start_sweep (self);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      maybe_start_evaluation (self);
      return;
    }
  if (res == NULL)
    {
      _rl_session_emit_error (self, _("Evaluating the truncated model failed"), error);
      return;
    }

  if (res->box != self->box)
    {
      /* Stale model: a new model starts its own evaluation after its SVD. */
      maybe_start_evaluation (self);
      return;
    }

  if (res->has_original && !(self->original.accuracy >= 0))
    {
      self->original.accuracy = res->original.accuracy;
      self->original.speedup = 1.0;
      self->original.memory_saving_pct = 0.0;
    }
  /* Timed in turns with the plan just now: the freshest figure wins. */
  if (res->has_original_latency)
    self->original.latency_s = res->original.latency_s;

  if (self->plan == NULL || !_rl_plan_equal (res->plan, self->plan))
    {
      g_debug ("Dropping the stale evaluation of a plan");
      /* Stale request: drop it and evaluate the latest one only. */
      maybe_start_evaluation (self);
      if (res->has_original || res->has_original_latency)
        g_signal_emit (self, _rl_session_signals[SIGNAL_RESULTS_CHANGED], 0);
      return;
    }

  g_clear_pointer (&self->compressed, rl_model_free);
  self->compressed = g_steal_pointer (&res->compressed);
  self->current = res->current;
  self->current_mode = res->mode;
  g_clear_pointer (&self->current_plan, rl_plan_free);
  self->current_plan = g_steal_pointer (&res->plan);
  if (self->current.latency_s > 0 && self->original.latency_s > 0)
    self->current.speedup = self->original.latency_s / self->current.latency_s;
  else
    self->current.speedup = -1;
  if (self->original.memory_mb > 0)
    self->current.memory_saving_pct =
      100.0 * (1.0 - self->current.memory_mb / self->original.memory_mb);

  _rl_session_plans_result_applied (self);
  g_signal_emit (self, _rl_session_signals[SIGNAL_RESULTS_CHANGED], 0);

  /* Accuracy is in; now time this plan (unless a newer request came). */
  maybe_start_evaluation (self);
}

/* Evaluates self->plan (the requested plan) unless its figures are in;
 * one evaluation at a time: a request made meanwhile is evaluated when the
 * running one returns, and figures of any other plan are never shown. */
void
maybe_start_evaluation (RlSession *self)
{
  gboolean need_original;
  RlEvalWork work = 0;
  double known_accuracy = -1;
  g_autoptr(RlPlan) fallback = NULL;
  const RlPlan *plan = self->plan;

  /* Timing a large plan takes seconds: a request for another plan (or a
   * new model) cancels it instead of waiting behind it. */
  if (self->eval_running && self->eval_latency_stage &&
      (self->plan == NULL || self->current_plan == NULL ||
       !_rl_plan_equal (self->current_plan, self->plan) ||
       !(self->original.accuracy >= 0)))
    cancel_latency_stage (self);

  if (self->eval_running || self->box == NULL || self->box->svd == NULL)
    return;
  need_original = self->test != NULL && !(self->original.accuracy >= 0);
  if (need_original)
    work |= RL_EVAL_ORIGINAL_ACCURACY;
  if (plan == NULL)
    {
      /* No plan yet (a budget before its search): no figures either. */
      if (self->current.valid || self->compressed != NULL)
        {
          memset (&self->current, 0, sizeof self->current);
          g_clear_pointer (&self->compressed, rl_model_free);
          g_clear_pointer (&self->current_plan, rl_plan_free);
          g_signal_emit (self, _rl_session_signals[SIGNAL_RESULTS_CHANGED], 0);
        }
      if (!need_original)
        return;
      /* Still measure the original model; this plan's figures are dropped. */
      fallback = rl_plan_uniform (self->box->dense, self->rank, self->mode);
      plan = fallback;
    }
  else if (!need_original && self->current.valid && self->compressed != NULL &&
           _rl_plan_equal (self->current_plan, plan))
    {
      /* Two stages keep a rank change quick: the accuracies on all 10,000
       * images first (the original's too, on a new model), then, if no
       * newer request came, the timed runs. */
      if (self->test == NULL ||
          (self->current.latency_s > 0 && self->original.latency_s > 0))
        return;
      /* The original is timed again with every plan, in turns with it,
       * so that the speed-up compares runs made under the same load. */
      work |= RL_EVAL_LATENCY | RL_EVAL_ORIGINAL_LATENCY;
      known_accuracy = self->current.accuracy;
    }

  g_debug ("Evaluating a %s plan (%s mode)%s%s", rl_experiment_kind_to_string (self->kind),
           rl_plan_mode_to_string (self->mode), need_original ? " and the original model" : "",
           (work & RL_EVAL_LATENCY) ? ": timing" : "");
  _rl_session_set_evaluating (self, TRUE);
  g_clear_object (&self->eval_cancellable);
  self->eval_cancellable = g_cancellable_new ();
  self->eval_latency_stage = (work & RL_EVAL_LATENCY) != 0;
  job_begin (self);
  _rl_session_evaluate_async (self, self->box, self->test, plan, self->rank, self->mode,
                              work, known_accuracy, self->eval_cancellable,
                              eval_done, g_object_ref (self->eval_cancellable));
}

/* --------------------------------------------------------------- sweep */

static void
sweep_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(RlModelBox) box = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) energy_points = NULL;
  g_autoptr(GArray) rows = _rl_session_sweep_finish (self, result, &energy_points, &error);

  job_end (self);

  if (box != self->box ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* replaced by a newer model or a newer sweep */
  _rl_session_emit_job_progress (self, NULL, -1);
  if (rows == NULL)
    {
      _rl_session_emit_error (self, _("The rank sweep failed"), error);
      return;
    }
  g_clear_pointer (&self->sweep, g_array_unref);
  self->sweep = g_steal_pointer (&rows);
  _rl_session_plans_set_energy_points (self, g_steal_pointer (&energy_points));
  g_signal_emit (self, _rl_session_signals[SIGNAL_SWEEP_CHANGED], 0);

  /* The panel's latencies were probably timed while the sweep ran on the
   * other core: time the original and the current plan again, alone, so
   * that the speed-up compares like with like. */
  self->original.latency_s = -1;
  cancel_latency_stage (self);
  if (self->current.valid)
    {
      self->current.latency_s = -1;
      self->current.speedup = -1;
    }
  g_signal_emit (self, _rl_session_signals[SIGNAL_RESULTS_CHANGED], 0);
  maybe_start_evaluation (self);
}

void
_rl_session_restart_sweep (RlSession *self)
{
  if (self->sweep != NULL)
    {
      g_clear_pointer (&self->sweep, g_array_unref);
      g_signal_emit (self, _rl_session_signals[SIGNAL_SWEEP_CHANGED], 0);
    }
  start_sweep (self);
}

static void
start_sweep (RlSession *self)
{
  if (self->box == NULL || self->box->svd == NULL || self->test == NULL)
    return;

  g_cancellable_cancel (self->sweep_cancellable);
  g_clear_object (&self->sweep_cancellable);
  self->sweep_cancellable = g_cancellable_new ();
  _rl_session_emit_job_progress (self, _("Sweeping ranks for the charts…"), 0);
  job_begin (self);
  _rl_session_sweep_async (self, self->box, self->test, self->mode,
                           self->sweep_cancellable, sweep_done,
                           _rl_model_box_ref (self->box));
}

/* ------------------------------------------------------------ training */

static void
train_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) save_error = NULL;
  g_autofree char *saved_path = NULL;
  RlModel *model;

  job_end (self);

  model = _rl_session_train_finish (self, result, &saved_path, &save_error, &error);
  g_clear_object (&self->train_cancellable);
  _rl_session_set_training (self, FALSE);

  if (model == NULL)
    {
      _rl_session_emit_error (self, _("Training failed"), error);
      return;
    }

  _rl_session_set_model (self, model, saved_path);
  if (save_error != NULL)
    _rl_session_emit_error (self, _("The trained model could not be saved"), save_error);
}

void
rl_session_train (RlSession *self)
{
  g_return_if_fail (RL_IS_SESSION (self));

  if (self->training)
    return;
  if (self->data_dir == NULL)
    {
      _rl_session_emit_error (self,
                              _("Cannot train: the MNIST data was not found. Run "
                                "data/fetch-mnist.sh or set RANKLAB_MNIST_DIR to the "
                                "folder holding the four IDX files."), NULL);
      return;
    }

  self->train_cancellable = g_cancellable_new ();
  _rl_session_set_training (self, TRUE);
  job_begin (self);
  _rl_session_train_async (self, self->data_dir, self->train_cancellable, train_done, NULL);
}

void
rl_session_cancel_train (RlSession *self)
{
  g_return_if_fail (RL_IS_SESSION (self));

  g_cancellable_cancel (self->train_cancellable);
}

/* ------------------------------------------------------ open and save */

static void
load_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autofree char *path = user_data;
  g_autoptr(GError) error = NULL;
  RlModel *model = _rl_session_load_finish (self, result, &error);

  job_end (self);

  _rl_session_set_loading (self, FALSE);
  if (model == NULL)
    {
      g_autofree char *context = NULL;

      /* Core errors usually name the file already. */
      if (error != NULL && strstr (error->message, path) != NULL)
        context = g_strdup (_("Could not open the model"));
      else
        context = g_strdup_printf (_("Could not open “%s”"), path);
      /* The current model, if any, stays; so does its plan. */
      g_clear_pointer (&self->pending_experiment, rl_experiment_free);
      _rl_session_emit_error (self, context, error);
      return;
    }
  _rl_session_set_model (self, model, path);
}

void
rl_session_open_model (RlSession  *self,
                       const char *path)
{
  g_return_if_fail (RL_IS_SESSION (self));
  g_return_if_fail (path != NULL);

  if (self->data_loading)
    {
      /* Keep the order: data first, so the evaluation can start at once. */
      g_free (self->pending_model);
      self->pending_model = g_strdup (path);
      _rl_session_set_loading (self, TRUE);
      return;
    }
  _rl_session_set_loading (self, TRUE);
  job_begin (self);
  _rl_session_load_async (self, path, load_done, g_strdup (path));
}

static void
save_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autofree char *path = user_data;
  g_autoptr(GError) error = NULL;

  job_end (self);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *context = g_strdup_printf (_("Could not save “%s”"), path);
      _rl_session_emit_error (self, context, error);
      return;
    }
  g_free (self->model_path);
  self->model_path = g_strdup (path);
  g_free (self->model_name);
  self->model_name = g_filename_display_basename (path);
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_MODEL_NAME]);
}

void
rl_session_save_model (RlSession  *self,
                       const char *path)
{
  g_return_if_fail (RL_IS_SESSION (self));
  g_return_if_fail (path != NULL);

  if (self->box == NULL)
    return;
  job_begin (self);
  _rl_session_save_async (self, self->box, path, save_done, g_strdup (path));
}

static void
data_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  RlDataset *test = _rl_session_load_data_finish (self, result, &dir, &error);

  job_end (self);

  if (test == NULL)
    {
      self->data_loading = FALSE;
      self->data_missing = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_DATA_MISSING]);
      if (dir != NULL)
        {
          g_autofree char *context =
            g_strdup_printf (_("Could not read the MNIST test set in “%s”"), dir);
          _rl_session_emit_error (self, context, error);
        }
      else
        _rl_session_emit_error (self,
                                _("The MNIST data was not found. Run data/fetch-mnist.sh "
                                  "or set RANKLAB_MNIST_DIR to the folder holding the "
                                  "four IDX files."), NULL);
      if (self->pending_model != NULL)
        {
          g_autofree char *path = g_steal_pointer (&self->pending_model);
          rl_session_open_model (self, path);
        }
      else
        _rl_session_set_loading (self, FALSE);
      return;
    }
  _rl_session_set_data (self, test, dir);
}

void
rl_session_start (RlSession  *self,
                  const char *model_path)
{
  g_autofree char *fallback = NULL;

  g_return_if_fail (RL_IS_SESSION (self));

  if (self->started)
    {
      if (model_path != NULL)
        rl_session_open_model (self, model_path);
      return;
    }
  self->started = TRUE;

  if (model_path == NULL)
    {
      fallback = rl_session_default_model_path ();
      if (g_file_test (fallback, G_FILE_TEST_IS_REGULAR))
        model_path = fallback;
    }

  self->data_loading = TRUE;
  if (model_path != NULL)
    {
      self->pending_model = g_strdup (model_path);
      _rl_session_set_loading (self, TRUE);
    }
  job_begin (self);
  _rl_session_load_data_async (self, data_done, NULL);
}

void
rl_session_shutdown (RlSession *self)
{
  g_return_if_fail (RL_IS_SESSION (self));

  g_cancellable_cancel (self->train_cancellable);
  g_cancellable_cancel (self->svd_cancellable);
  g_cancellable_cancel (self->sweep_cancellable);
  /* Forgotten, so that its answer starts no new evaluation. */
  g_cancellable_cancel (self->eval_cancellable);
  g_clear_object (&self->eval_cancellable);
  self->eval_latency_stage = FALSE;
}

char *
rl_session_default_model_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "ranklab", "model.safetensors", NULL);
}

/* ------------------------------------------------------------- getters */

guint
rl_session_get_rank (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), 0);
  return self->rank;
}

void
rl_session_set_rank (RlSession *self,
                     guint      rank)
{
  g_return_if_fail (RL_IS_SESSION (self));

  rank = CLAMP (rank, 1u, MAX (1u, self->max_rank));
  if (rank == self->rank)
    return;
  self->rank = rank;
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_RANK]);
  _rl_session_update_plan (self, FALSE);
}

guint
rl_session_get_max_rank (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), 1);
  return self->max_rank;
}

RlPlanMode
rl_session_get_plan_mode (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), RL_PLAN_PAPER);
  return self->mode;
}

void
rl_session_set_plan_mode (RlSession  *self,
                          RlPlanMode  mode)
{
  g_return_if_fail (RL_IS_SESSION (self));
  g_return_if_fail (mode == RL_PLAN_PAPER || mode == RL_PLAN_AUTO);

  if (mode == self->mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), _rl_session_properties[PROP_PLAN_MODE]);
  _rl_session_update_plan (self, FALSE);
  /* The charts show the new plan only: drop the old sweep, run a new one. */
  if (self->sweep != NULL)
    {
      g_clear_pointer (&self->sweep, g_array_unref);
      g_signal_emit (self, _rl_session_signals[SIGNAL_SWEEP_CHANGED], 0);
    }
  start_sweep (self);
}

gboolean
rl_session_get_has_model (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->box != NULL;
}

gboolean
rl_session_get_has_svd (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->box != NULL && self->box->svd != NULL;
}

gboolean
rl_session_get_has_data (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->test != NULL;
}

gboolean
rl_session_get_training (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->training;
}

gboolean
rl_session_get_loading (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->loading;
}

gboolean
rl_session_get_evaluating (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  return self->eval_running;
}

const char *
rl_session_get_model_name (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->model_name;
}

const char *
rl_session_get_data_dir (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->data_dir;
}

void
rl_session_set_data_folder (RlSession  *self,
                            const char *folder)
{
  g_return_if_fail (RL_IS_SESSION (self));

  g_free (self->data_folder);
  self->data_folder = (folder != NULL && folder[0] != '\0') ? g_strdup (folder) : NULL;
}

const char *
rl_session_get_data_folder (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->data_folder;
}

const char *
rl_session_get_model_path (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->model_path;
}

const RlModel *
rl_session_get_dense (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->box != NULL ? self->box->dense : NULL;
}

const RlSvd *
rl_session_get_svd (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->box != NULL ? self->box->svd : NULL;
}

const RlModel *
rl_session_get_compressed (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->compressed;
}

const RlFigures *
rl_session_get_original (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return &self->original;
}

const RlFigures *
rl_session_get_current (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return &self->current;
}

GArray *
rl_session_get_sweep (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->sweep;
}

/* -------------------------------------------------------------- object */

static void
rl_session_dispose (GObject *object)
{
  RlSession *self = RL_SESSION (object);

  rl_session_shutdown (self);
  g_clear_object (&self->train_cancellable);
  g_clear_object (&self->svd_cancellable);
  g_clear_object (&self->sweep_cancellable);
  g_clear_object (&self->eval_cancellable);
  _rl_session_plans_dispose (self);

  G_OBJECT_CLASS (rl_session_parent_class)->dispose (object);
}

static void
rl_session_finalize (GObject *object)
{
  RlSession *self = RL_SESSION (object);

  g_clear_pointer (&self->box, _rl_model_box_unref);
  g_clear_pointer (&self->compressed, rl_model_free);
  g_clear_pointer (&self->sweep, g_array_unref);
  g_clear_pointer (&self->test, rl_dataset_free);
  g_free (self->data_dir);
  g_free (self->data_folder);
  g_free (self->model_path);
  g_free (self->model_name);
  g_free (self->pending_model);
  _rl_session_plans_finalize (self);

  G_OBJECT_CLASS (rl_session_parent_class)->finalize (object);
}

static void
rl_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  RlSession *self = RL_SESSION (object);

  switch (prop_id)
    {
    case PROP_RANK:       g_value_set_uint (value, self->rank); break;
    case PROP_MAX_RANK:   g_value_set_uint (value, MAX (1u, self->max_rank)); break;
    case PROP_PLAN_MODE:  g_value_set_uint (value, self->mode); break;
    case PROP_HAS_MODEL:  g_value_set_boolean (value, rl_session_get_has_model (self)); break;
    case PROP_HAS_SVD:    g_value_set_boolean (value, rl_session_get_has_svd (self)); break;
    case PROP_HAS_DATA:   g_value_set_boolean (value, self->test != NULL); break;
    case PROP_TRAINING:   g_value_set_boolean (value, self->training); break;
    case PROP_LOADING:    g_value_set_boolean (value, self->loading); break;
    case PROP_EVALUATING: g_value_set_boolean (value, self->eval_running); break;
    case PROP_MODEL_NAME: g_value_set_string (value, self->model_name); break;
    case PROP_DATA_MISSING: g_value_set_boolean (value, self->data_missing); break;
    default:
      if (!_rl_session_plans_get_property (self, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_session_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  RlSession *self = RL_SESSION (object);

  switch (prop_id)
    {
    case PROP_RANK:
      rl_session_set_rank (self, g_value_get_uint (value));
      break;
    case PROP_PLAN_MODE:
      rl_session_set_plan_mode (self, g_value_get_uint (value) == RL_PLAN_AUTO
                                      ? RL_PLAN_AUTO : RL_PLAN_PAPER);
      break;
    default:
      if (!_rl_session_plans_set_property (self, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_session_class_init (RlSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = rl_session_dispose;
  object_class->finalize = rl_session_finalize;
  object_class->get_property = rl_session_get_property;
  object_class->set_property = rl_session_set_property;

  _rl_session_properties[PROP_RANK] =
    g_param_spec_uint ("rank", NULL, NULL, 1, G_MAXUINT, DEFAULT_RANK, rw);
  _rl_session_properties[PROP_MAX_RANK] =
    g_param_spec_uint ("max-rank", NULL, NULL, 1, G_MAXUINT, 784, ro);
  _rl_session_properties[PROP_PLAN_MODE] =
    g_param_spec_uint ("plan-mode", NULL, NULL, RL_PLAN_PAPER, RL_PLAN_AUTO, RL_PLAN_PAPER, rw);
  _rl_session_properties[PROP_HAS_MODEL] =
    g_param_spec_boolean ("has-model", NULL, NULL, FALSE, ro);
  _rl_session_properties[PROP_HAS_SVD] =
    g_param_spec_boolean ("has-svd", NULL, NULL, FALSE, ro);
  _rl_session_properties[PROP_HAS_DATA] =
    g_param_spec_boolean ("has-data", NULL, NULL, FALSE, ro);
  _rl_session_properties[PROP_TRAINING] =
    g_param_spec_boolean ("training", NULL, NULL, FALSE, ro);
  _rl_session_properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE, ro);
  _rl_session_properties[PROP_EVALUATING] =
    g_param_spec_boolean ("evaluating", NULL, NULL, FALSE, ro);
  _rl_session_properties[PROP_MODEL_NAME] =
    g_param_spec_string ("model-name", NULL, NULL, NULL, ro);
  _rl_session_properties[PROP_DATA_MISSING] =
    g_param_spec_boolean ("data-missing", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, _rl_session_properties);

  /* A user-readable, already translated message. */
  _rl_session_signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* const RlTrainProgress *, valid during the emission only. */
  _rl_session_signals[SIGNAL_TRAIN_PROGRESS] =
    g_signal_new ("train-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* Stage text and fraction 0..1; a negative fraction means done. */
  _rl_session_signals[SIGNAL_JOB_PROGRESS] =
    g_signal_new ("job-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_DOUBLE);
  _rl_session_signals[SIGNAL_RESULTS_CHANGED] =
    g_signal_new ("results-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  _rl_session_signals[SIGNAL_SWEEP_CHANGED] =
    g_signal_new ("sweep-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  _rl_session_plans_class_init (object_class);
}

static void
rl_session_init (RlSession *self)
{
  self->rank = DEFAULT_RANK;
  self->mode = RL_PLAN_PAPER;
  /* Until a model is loaded: the default architecture's largest rank. */
  self->max_rank = 784;
  _rl_session_plans_init (self);
}

RlSession *
rl_session_new (void)
{
  return g_object_new (RL_TYPE_SESSION, NULL);
}
