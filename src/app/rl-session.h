/* rl-session.h — the application's state over the GTK-free core: the test
 * set, the dense model, its SVD, the rank and plan, the evaluation of the
 * truncated model, the rank sweep, and the background jobs computing them.
 *
 * Every job runs in a GTask worker; results and progress reach the main
 * thread only (signals are always emitted on the main thread). */
#pragma once

#include <gio/gio.h>

#include "rl-core.h"

G_BEGIN_DECLS

#define RL_TYPE_SESSION (rl_session_get_type ())

G_DECLARE_FINAL_TYPE (RlSession, rl_session, RL, SESSION, GObject)

/* Figures of one model (original or truncated) shown side by side. */
typedef struct
{
  gboolean valid;
  guint    rank;          /* 0 = original */
  double   accuracy;      /* 0..1; < 0 when there is no test data */
  double   latency_s;     /* median wall clock over the test set; < 0 = unknown */
  guint64  params;
  double   memory_mb;
  double   memory_saving_pct;
  double   speedup;       /* original latency / this one; < 0 = unknown */
} RlFigures;

/* Ranks the background sweep evaluates (those ≤ the model's max rank). */
extern const guint rl_session_sweep_ranks[];
extern const guint rl_session_n_sweep_ranks;

RlSession       *rl_session_new              (void);

/* Loads the test set, then model_path (or the saved model when NULL and it
 * exists). */
void             rl_session_start            (RlSession   *self,
                                              const char  *model_path);
void             rl_session_open_model       (RlSession   *self,
                                              const char  *path);
void             rl_session_save_model       (RlSession   *self,
                                              const char  *path);
void             rl_session_train            (RlSession   *self);
void             rl_session_cancel_train     (RlSession   *self);
/* Stops every cancellable job (used when the window closes). */
void             rl_session_shutdown         (RlSession   *self);

guint            rl_session_get_rank         (RlSession   *self);
void             rl_session_set_rank         (RlSession   *self,
                                              guint        rank);
guint            rl_session_get_max_rank     (RlSession   *self);
RlPlanMode       rl_session_get_plan_mode    (RlSession   *self);
void             rl_session_set_plan_mode    (RlSession   *self,
                                              RlPlanMode   mode);

gboolean         rl_session_get_has_model    (RlSession   *self);
gboolean         rl_session_get_has_svd      (RlSession   *self);
gboolean         rl_session_get_has_data     (RlSession   *self);
gboolean         rl_session_get_training     (RlSession   *self);
gboolean         rl_session_get_loading      (RlSession   *self);
gboolean         rl_session_get_evaluating   (RlSession   *self);
const char      *rl_session_get_model_name   (RlSession   *self);
/* NULL while the data has not been found. */
const char      *rl_session_get_data_dir     (RlSession   *self);

/* Borrowed; valid until the next "notify::has-model" / "results-changed". */
const RlModel   *rl_session_get_dense        (RlSession   *self);
const RlModel   *rl_session_get_compressed   (RlSession   *self);
const RlFigures *rl_session_get_original     (RlSession   *self);
const RlFigures *rl_session_get_current      (RlSession   *self);
/* Array of RlSweepRow (row 0 = original), or NULL before the sweep. */
GArray          *rl_session_get_sweep        (RlSession   *self);

/* Where the trained model is kept: $XDG_DATA_HOME/ranklab/model.safetensors. */
char            *rl_session_default_model_path (void);

G_END_DECLS
