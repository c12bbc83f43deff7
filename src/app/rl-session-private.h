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
  RlModel    *compressed;
  RlFigures   current;
  gboolean    has_original;
  RlFigures   original;
} RlEvalResult;

void        _rl_eval_result_free (RlEvalResult *res);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlEvalResult, _rl_eval_result_free)

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
                                           guint                rank,
                                           RlPlanMode           mode,
                                           gboolean             need_original,
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
GArray     *_rl_session_sweep_finish      (RlSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

G_END_DECLS
