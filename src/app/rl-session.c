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

#include <glib/gi18n.h>

#include "rl-session.h"
#include "rl-session-private.h"

const guint rl_session_sweep_ranks[] = {
  1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 256,
};
const guint rl_session_n_sweep_ranks = G_N_ELEMENTS (rl_session_sweep_ranks);

#define DEFAULT_RANK      25u
#define LATENCY_WARMUP    1u
#define LATENCY_REPEATS   3u
#define SWEEP_REPEATS     3u

struct _RlSession
{
  GObject       parent_instance;

  RlDataset    *test;
  char         *data_dir;
  gboolean      data_loading;

  RlModelBox   *box;            /* NULL = no model */
  char         *model_path;
  char         *model_name;
  RlModel      *compressed;     /* latest applied evaluation */
  RlFigures     original;
  RlFigures     current;
  RlPlanMode    current_mode;
  GArray       *sweep;

  guint         rank;
  RlPlanMode    mode;
  guint         max_rank;

  gboolean      loading;        /* a model file is being read */
  gboolean      training;
  gboolean      eval_running;
  gboolean      svd_running;
  char         *pending_model;  /* path given before the data was loaded */
  gboolean      started;

  GCancellable *train_cancellable;
  GCancellable *svd_cancellable;
  GCancellable *sweep_cancellable;
};

G_DEFINE_FINAL_TYPE (RlSession, rl_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RANK,
  PROP_MAX_RANK,
  PROP_PLAN_MODE,
  PROP_HAS_MODEL,
  PROP_HAS_SVD,
  PROP_HAS_DATA,
  PROP_TRAINING,
  PROP_LOADING,
  PROP_EVALUATING,
  PROP_MODEL_NAME,
  N_PROPS
};

enum {
  SIGNAL_ERROR,
  SIGNAL_TRAIN_PROGRESS,
  SIGNAL_JOB_PROGRESS,
  SIGNAL_RESULTS_CHANGED,
  SIGNAL_SWEEP_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void maybe_start_evaluation (RlSession *self);
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
  g_warning ("%s", message);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
}

void
_rl_session_emit_job_progress (RlSession  *self,
                               const char *stage,
                               double      fraction)
{
  g_signal_emit (self, signals[SIGNAL_JOB_PROGRESS], 0, stage, fraction);
}

void
_rl_session_emit_train_progress (RlSession             *self,
                                 const RlTrainProgress *progress)
{
  g_signal_emit (self, signals[SIGNAL_TRAIN_PROGRESS], 0, progress);
}

RlModelBox *
_rl_session_get_box (RlSession *self)
{
  return self->box;
}

const RlDataset *
_rl_session_get_test (RlSession *self)
{
  return self->test;
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_rl_session_set_loading (RlSession *self,
                         gboolean   loading)
{
  set_bool (self, &self->loading, loading, PROP_LOADING);
}

void
_rl_session_set_training (RlSession *self,
                          gboolean   training)
{
  set_bool (self, &self->training, training, PROP_TRAINING);
}

void
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

void
_rl_session_set_data (RlSession  *self,
                      RlDataset  *test,
                      const char *dir)
{
  self->data_loading = FALSE;
  g_clear_pointer (&self->test, rl_dataset_free);
  g_clear_pointer (&self->data_dir, g_free);
  self->test = test;
  self->data_dir = g_strdup (dir);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_DATA]);

  if (self->pending_model != NULL)
    {
      g_autofree char *path = g_steal_pointer (&self->pending_model);
      rl_session_open_model (self, path);
    }
  else if (self->box != NULL && self->box->svd != NULL)
    {
      self->original.accuracy = -1;
      maybe_start_evaluation (self);
      start_sweep (self);
    }
}

/* ------------------------------------------------------- model changes */

void
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
  self->model_name = path != NULL ? g_path_get_basename (path) : g_strdup (_("Unsaved model"));
  figures_for_model (dense, &self->original);
  memset (&self->current, 0, sizeof self->current);

  self->max_rank = MAX (1u, rl_plan_max_rank (dense));
  if (self->rank > self->max_rank)
    {
      self->rank = self->max_rank;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RANK]);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RANK]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MODEL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_SVD]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_NAME]);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[SIGNAL_RESULTS_CHANGED], 0);
  g_signal_emit (self, signals[SIGNAL_SWEEP_CHANGED], 0);

  start_svd (self);
}

const char *
_rl_session_get_model_path (RlSession *self)
{
  return self->model_path;
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

  self->svd_running = FALSE;
  _rl_session_emit_job_progress (self, NULL, -1);

  if (box != self->box)
    return;  /* the model was replaced meanwhile */

  if (svd == NULL)
    {
      _rl_session_emit_error (self, _("The SVD of the model failed"), error);
      return;
    }

  self->box->svd = g_steal_pointer (&svd);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_SVD]);
  maybe_start_evaluation (self);
  start_sweep (self);
}

static void
start_svd (RlSession *self)
{
  self->svd_cancellable = g_cancellable_new ();
  self->svd_running = TRUE;
  _rl_session_emit_job_progress (self, _("Computing the SVD of every layer…"), 0);
  _rl_session_svd_async (self, self->box, self->svd_cancellable, svd_done,
                         _rl_model_box_ref (self->box));
}

/* ---------------------------------------------------------- evaluation */

static void
eval_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RlSession *self = RL_SESSION (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(RlEvalResult) res = _rl_session_evaluate_finish (self, result, &error);

  _rl_session_set_evaluating (self, FALSE);

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
      self->original.latency_s = res->original.latency_s;
      self->original.speedup = 1.0;
      self->original.memory_saving_pct = 0.0;
    }

  if (res->rank != self->rank || res->mode != self->mode)
    {
      /* Stale request: drop it and evaluate the latest one only. */
      maybe_start_evaluation (self);
      if (res->has_original)
        g_signal_emit (self, signals[SIGNAL_RESULTS_CHANGED], 0);
      return;
    }

  g_clear_pointer (&self->compressed, rl_model_free);
  self->compressed = g_steal_pointer (&res->compressed);
  self->current = res->current;
  self->current_mode = res->mode;
  if (self->current.latency_s > 0 && self->original.latency_s > 0)
    self->current.speedup = self->original.latency_s / self->current.latency_s;
  else
    self->current.speedup = -1;
  if (self->original.memory_mb > 0)
    self->current.memory_saving_pct =
      100.0 * (1.0 - self->current.memory_mb / self->original.memory_mb);

  g_signal_emit (self, signals[SIGNAL_RESULTS_CHANGED], 0);
}

static void
maybe_start_evaluation (RlSession *self)
{
  gboolean need_original;

  if (self->eval_running || self->box == NULL || self->box->svd == NULL)
    return;
  need_original = self->test != NULL && !(self->original.accuracy >= 0);
  if (!need_original && self->current.valid && self->compressed != NULL &&
      self->current.rank == self->rank && self->current_mode == self->mode)
    return;

  _rl_session_set_evaluating (self, TRUE);
  _rl_session_evaluate_async (self, self->box, self->test, self->rank, self->mode,
                              need_original, eval_done, NULL);
}
