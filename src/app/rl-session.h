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
/* The MNIST folder chosen by the user (rl_dataset_find_dir's explicit
 * folder: no fallback); NULL or "" = found automatically. Read when the
 * data is loaded, so set it before rl_session_start. */
void             rl_session_set_data_folder  (RlSession   *self,
                                              const char  *folder);
const char      *rl_session_get_data_folder  (RlSession   *self);
/* The file the current model came from or was saved to; NULL if unsaved. */
const char      *rl_session_get_model_path   (RlSession   *self);

/* Borrowed; valid until the next "notify::has-model" / "results-changed". */
const RlModel   *rl_session_get_dense        (RlSession   *self);
const RlModel   *rl_session_get_compressed   (RlSession   *self);
/* The dense model's SVD: NULL until "notify::has-svd"; borrowed, valid
 * until the next "notify::has-model". */
const RlSvd     *rl_session_get_svd          (RlSession   *self);
const RlFigures *rl_session_get_original     (RlSession   *self);
const RlFigures *rl_session_get_current      (RlSession   *self);
/* Array of RlSweepRow (row 0 = original), or NULL before the sweep. */
GArray          *rl_session_get_sweep        (RlSession   *self);

/* ---- rank plans (rl-session-plans.c) ----
 * The plan kind (property "plan-kind", an RlExperimentPlanKind): uniform
 * (the "rank" property), per-layer (one rank per layer), energy (keep the
 * "energy" fraction of every layer's energy) or budget (the best ranks
 * within "budget" parameters, searched on validation images — training
 * images 50,000–59,999 — in a background job). "plan-mode" (paper/auto)
 * modifies each kind: auto leaves a layer dense where factoring would add
 * parameters. The readouts always describe rl_session_get_plan(). */

/* A point of the Pareto chart: a plan's size and test accuracy. setting is
 * the energy fraction or the parameter budget that made it. */
typedef struct
{
  double   setting;
  guint64  params;
  double   accuracy;
} RlPlanPoint;

extern const double rl_session_pareto_energies[];
extern const guint  rl_session_n_pareto_energies;

RlExperimentPlanKind rl_session_get_plan_kind (RlSession   *self);
void             rl_session_set_plan_kind    (RlSession            *self,
                                              RlExperimentPlanKind  kind);
/* Layers of the model (0 without one). */
guint            rl_session_get_n_layers     (RlSession   *self);
guint            rl_session_get_layer_rank   (RlSession   *self,
                                              guint        layer);
/* Clamped to 1..min(m, n) of the layer. */
void             rl_session_set_layer_rank   (RlSession   *self,
                                              guint        layer,
                                              guint        rank);
guint            rl_session_get_layer_max_rank (RlSession *self,
                                              guint        layer);
double           rl_session_get_energy       (RlSession   *self);
void             rl_session_set_energy       (RlSession   *self,
                                              double       fraction);
guint64          rl_session_get_budget       (RlSession   *self);
void             rl_session_set_budget       (RlSession   *self,
                                              guint64      budget);
/* The smallest budget any plan can meet (rank 1 everywhere). */
guint64          rl_session_get_min_budget   (RlSession   *self);
void             rl_session_find_budget_plan (RlSession   *self);
void             rl_session_cancel_budget    (RlSession   *self);
gboolean         rl_session_get_budget_running (RlSession *self);
/* The plan the readouts are about: NULL while it is not known (an energy
 * plan before the SVD, a budget plan before its search). Borrowed, valid
 * until the next "plan-changed". */
const RlPlan    *rl_session_get_plan         (RlSession   *self);
/* The plan of rl_session_get_current()'s figures, or NULL. */
const RlPlan    *rl_session_get_current_plan (RlSession   *self);
/* RlPlanPoint arrays for the Pareto chart (NULL = none yet). */
GArray          *rl_session_get_energy_points (RlSession  *self);
GArray          *rl_session_get_budget_points (RlSession  *self);

/* ---- fine-tuning ----
 * Trains the current truncated model's factors for epochs on all training
 * images (the CLI's settings, rl_train_config_init_finetune). Progress:
 * "finetune-progress" (const RlTrainProgress *); results:
 * "finetune-changed". */
void             rl_session_finetune         (RlSession   *self,
                                              guint        epochs);
void             rl_session_cancel_finetune  (RlSession   *self);
gboolean         rl_session_get_finetuning   (RlSession   *self);
/* The fine-tuned model (NULL = none) with its plan and test accuracy
 * before and after; borrowed until "finetune-changed". */
const RlModel   *rl_session_get_finetuned    (RlSession   *self,
                                              const RlPlan **plan,
                                              double       *before,
                                              double       *after,
                                              guint        *epochs);
void             rl_session_save_finetuned   (RlSession   *self,
                                              const char  *path);

/* ---- experiment files ---- */
/* Writes the model path, plan, seed and results (synchronous: a small
 * file). Fails when the model has not been saved to a file. */
gboolean         rl_session_save_experiment  (RlSession   *self,
                                              const char  *path,
                                              GError     **error);
/* Applies exp's plan to the current model (checked against it). */
gboolean         rl_session_apply_experiment (RlSession          *self,
                                              const RlExperiment *exp,
                                              GError            **error);
/* Opens model_path and applies exp once it is loaded (takes exp). */
void             rl_session_open_experiment_model (RlSession    *self,
                                                   const char   *model_path,
                                                   RlExperiment *exp);

/* Where the trained model is kept: $XDG_DATA_HOME/ranklab/model.safetensors. */
char            *rl_session_default_model_path (void);

G_END_DECLS
