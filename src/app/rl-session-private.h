/* rl-session-private.h — shared between rl-session.c (state, main thread)
 * and rl-session-jobs.c (GTask workers). */
#pragma once

#include "rl-session.h"

G_BEGIN_DECLS

/* The dense model and its SVD, shared read-only with workers. svd is set
 * once, on the main thread, before any job that reads it starts. */
typedef struct
{
  RlModel *dense;
  RlSvd   *svd;
} RlModelBox;

RlModelBox *_rl_model_box_new   (RlModel    *dense);
RlModelBox *_rl_model_box_ref   (RlModelBox *box);
void        _rl_model_box_unref (RlModelBox *box);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlModelBox, _rl_model_box_unref)

/* The answer of one rank evaluation. */
typedef struct
{
  RlModelBox *box;          /* the model it was computed for */
  guint       rank;
  RlPlanMode  mode;
  RlPlan     *plan;          /* the plan evaluated */
  RlModel    *compressed;
  RlFigures   current;
  gboolean    has_original;          /* original.accuracy was measured */
  gboolean    has_original_latency;  /* original.latency_s was timed */
  RlFigures   original;
} RlEvalResult;

/* What one evaluation measures besides the plan's accuracy. Stage 1 of a
 * rank change measures accuracies only; stage 2 times the forwards. */
typedef enum
{
  RL_EVAL_ORIGINAL_ACCURACY = 1 << 0,  /* the original model's accuracy */
  RL_EVAL_LATENCY           = 1 << 1,  /* time the plan (stage 2) */
  RL_EVAL_ORIGINAL_LATENCY  = 1 << 2,  /* time the original model too */
} RlEvalWork;

void        _rl_eval_result_free (RlEvalResult *res);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlEvalResult, _rl_eval_result_free)

struct _RlSession
{
  GObject       parent_instance;

  RlDataset    *test;
  char         *data_dir;
  char         *data_folder;    /* chosen in Preferences; NULL = automatic */
  gboolean      data_loading;
  gboolean      data_missing;   /* looked for, not found or unreadable */

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
  GCancellable *eval_cancellable;   /* the running evaluation's */
  gboolean      eval_latency_stage; /* it times the forwards (stage 2) */

  /* Rank plans (rl-session-plans.c) */
  RlExperimentPlanKind kind;
  guint         n_layer_ranks;
  guint         layer_ranks[RL_MODEL_MAX_LAYERS];
  double        energy;
  guint64       budget;
  RlPlan       *budget_plan;      /* the search's result … */
  guint64       budget_plan_for;  /* … for this budget … */
  RlPlanMode    budget_plan_mode; /* … and this mode */
  gboolean      budget_running;
  GCancellable *budget_cancellable;
  guint         budget_idle_id;   /* coalesces budget changes */
  RlPlan       *plan;             /* the requested plan; NULL = not yet known */
  RlPlan       *current_plan;     /* the plan of current and compressed */
  GArray       *energy_points;    /* RlPlanPoint, from the sweep */
  GArray       *budget_points;    /* RlPlanPoint, as budget plans are evaluated */
  RlDataset    *train;            /* training images, loaded on first need */
  RlExperiment *pending_experiment; /* applied to the next model */

  /* Fine-tuning */
  gboolean      finetuning;
  GCancellable *finetune_cancellable;
  RlModel      *finetuned;
  RlPlan       *finetuned_plan;
  double        finetune_before;
  double        finetune_after;
  guint         finetune_epochs;
};


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
  PROP_DATA_MISSING,
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

extern GParamSpec *_rl_session_properties[N_PROPS];
extern guint       _rl_session_signals[N_SIGNALS];

/* Main-thread helpers of rl-session.c. */
void        _rl_session_emit_error          (RlSession             *self,
                                             const char            *context,
                                             GError                *error);
void        _rl_session_emit_job_progress   (RlSession             *self,
                                             const char            *stage,
                                             double                 fraction);
void        _rl_session_emit_train_progress (RlSession             *self,
                                             const RlTrainProgress *progress);

/* Jobs (rl-session-jobs.c). Each _async runs in a GTask thread with the
 * session as source object; progress reaches the main thread through
 * g_main_context_invoke and the signals above. */
void        _rl_session_load_data_async   (RlSession           *self,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
RlDataset  *_rl_session_load_data_finish  (RlSession           *self,
                                           GAsyncResult        *result,
                                           char               **dir,
                                           GError             **error);

void        _rl_session_load_async        (RlSession           *self,
                                           const char          *path,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
RlModel    *_rl_session_load_finish       (RlSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

void        _rl_session_save_async        (RlSession           *self,
                                           RlModelBox          *box,
                                           const char          *path,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

void        _rl_session_train_async       (RlSession           *self,
                                           const char          *data_dir,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
RlModel    *_rl_session_train_finish      (RlSession           *self,
                                           GAsyncResult        *result,
                                           char               **saved_path,
                                           GError             **save_error,
                                           GError             **error);

void        _rl_session_svd_async         (RlSession           *self,
                                           RlModelBox          *box,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
RlSvd      *_rl_session_svd_finish        (RlSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

void        _rl_session_evaluate_async    (RlSession           *self,
                                           RlModelBox          *box,
                                           const RlDataset     *test,
                                           const RlPlan        *plan,
                                           guint                rank,
                                           RlPlanMode           mode,
                                           RlEvalWork           work,
                                           double               known_accuracy,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
RlEvalResult *_rl_session_evaluate_finish (RlSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

void        _rl_session_sweep_async       (RlSession           *self,
                                           RlModelBox          *box,
                                           const RlDataset     *test,
                                           RlPlanMode           mode,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* energy_points: RlPlanPoint of rl_session_pareto_energies (may be NULL
 * when the sweep failed). */
GArray     *_rl_session_sweep_finish      (RlSession           *self,
                                           GAsyncResult        *result,
                                           GArray             **energy_points,
                                           GError             **error);

/* Progress helpers of rl-session-jobs.c, for the workers of
 * rl-session-tune.c. */
typedef struct
{
  RlSession  *session;    /* strong ref, released on the main thread */
  const char *label;      /* translated, static */
  double      last_time;
  double      last_fraction;
} RlJobProgress;

/* RlProgressFunc (user_data: RlJobProgress), called in a worker. */
void        _rl_session_job_progress_cb   (double               fraction,
                                           const char          *stage,
                                           gpointer             user_data);
/* RlTrainProgressFunc (user_data: the session), called in a worker; the
 * main thread emits "finetune-progress" when finetune, else
 * "train-progress". */
void        _rl_session_queue_train_progress (RlSession             *session,
                                              const RlTrainProgress *progress,
                                              gboolean               finetune);

/* rl-session.c, for rl-session-plans.c */
void        _rl_session_maybe_evaluate    (RlSession           *self);
void        _rl_session_restart_sweep     (RlSession           *self);

/* rl-session-plans.c: the plan kinds, the budget search, fine-tuning and
 * experiment files. */
gboolean    _rl_plan_equal                (const RlPlan        *a,
                                           const RlPlan        *b);
void        _rl_session_plans_class_init  (GObjectClass        *klass);
gboolean    _rl_session_plans_get_property (RlSession          *self,
                                            guint               prop_id,
                                            GValue             *value);
gboolean    _rl_session_plans_set_property (RlSession          *self,
                                            guint               prop_id,
                                            const GValue       *value);
void        _rl_session_plans_init        (RlSession           *self);
void        _rl_session_plans_dispose     (RlSession           *self);
void        _rl_session_plans_finalize    (RlSession           *self);
/* A new dense model is in place (before its SVD). */
void        _rl_session_plans_model_changed (RlSession         *self);
void        _rl_session_plans_svd_ready   (RlSession           *self);
/* Rebuilds the requested plan; emits "plan-changed" when it differs (or
 * always with force) and starts an evaluation if needed. */
void        _rl_session_update_plan       (RlSession           *self,
                                           gboolean             force);
/* An evaluation of self->current_plan was applied. */
void        _rl_session_plans_result_applied (RlSession        *self);
void        _rl_session_plans_set_energy_points (RlSession     *self,
                                                 GArray        *points);

/* Workers of rl-session-tune.c. train: the cached training images or NULL
 * (then the job loads them and hands them back). */
void        _rl_session_budget_async      (RlSession           *self,
                                           RlModelBox          *box,
                                           const char          *data_dir,
                                           const RlDataset     *train,
                                           guint64              budget,
                                           RlPlanMode           mode,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
RlPlan     *_rl_session_budget_finish     (RlSession           *self,
                                           GAsyncResult        *result,
                                           guint64             *budget,
                                           RlPlanMode          *mode,
                                           RlDataset          **loaded_train,
                                           GError             **error);

typedef struct
{
  RlModel   *model;        /* fine-tuned */
  double     before;       /* test accuracy before and after */
  double     after;
  RlDataset *loaded_train; /* the training images when the job loaded them */
} RlFinetuneResult;

void        _rl_finetune_result_free      (RlFinetuneResult    *res);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlFinetuneResult, _rl_finetune_result_free)

void        _rl_session_finetune_async    (RlSession           *self,
                                           RlModel             *model,
                                           const char          *source_hash,
                                           const char          *data_dir,
                                           const RlDataset     *train,
                                           const RlDataset     *test,
                                           guint                epochs,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
RlFinetuneResult *_rl_session_finetune_finish (RlSession       *self,
                                               GAsyncResult    *result,
                                               GError         **error);

G_END_DECLS
