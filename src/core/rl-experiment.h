/* rl-experiment.h — experiment files: a model, a rank plan, fine-tuning and
 * (written back) the results, as JSON:
 *
 *   {"format": "ranklab-experiment", "version": 1,
 *    "model": "model.safetensors",          relative to the experiment file or absolute
 *    "model_hash": "…",                     optional: rl_model_weights_hash, checked when present
 *    "description": "…",                    optional
 *    "plan": {"mode": "uniform",  "rank": 25,
 *             | "mode": "per-layer", "ranks": [18, 40, 33, 10],   0 = leave dense
 *             | "mode": "energy", "energy": 0.9,       (0, 1]
 *             | "mode": "budget", "budget": 107466,    parameters
 *             "ranks": [...]   optional for energy and budget: the resolved plan
 *             "auto": false},  optional: AUTO mode (dense where factoring does not pay)
 *    "seed": 42, "finetune_epochs": 0,      optional
 *    "results": {"accuracy": 0.97, "params": 107466, …}}   optional
 *
 * Loading is strict: an unknown key, a missing field, a wrong type or an
 * absurd value is an error naming the key ("plan.energy"). */
#pragma once

#include <gio/gio.h>
#include "rl-error.h"
#include "rl-model.h"
#include "rl-svd.h"
#include "rl-plan.h"
#include "rl-dataset.h"

G_BEGIN_DECLS

#define RL_EXPERIMENT_FORMAT     "ranklab-experiment"
#define RL_EXPERIMENT_VERSION    1
/* Documented ceiling on an experiment file's size. */
#define RL_EXPERIMENT_MAX_BYTES  (1024u * 1024u)
#define RL_EXPERIMENT_MAX_EPOCHS 1000u

typedef enum
{
  RL_EXPERIMENT_UNIFORM,     /* "uniform":   rank */
  RL_EXPERIMENT_PER_LAYER,   /* "per-layer": ranks */
  RL_EXPERIMENT_ENERGY,      /* "energy":    energy (+ resolved ranks) */
  RL_EXPERIMENT_BUDGET,      /* "budget":    budget (+ resolved ranks) */
} RlExperimentPlanKind;

/* Every field optional: NAN (doubles) or -1 (counts) when absent. */
typedef struct
{
  double  accuracy;                  /* test accuracy of the plan (after fine-tuning) */
  double  accuracy_before_finetune;
  double  latency_s;
  double  speedup;
  double  memory_mb;
  double  original_accuracy;
  double  original_latency_s;
  gint64  params;
  gint64  macs;
  gint64  original_params;
} RlExperimentResults;

typedef struct
{
  char                 *model;        /* as written (may be relative) */
  char                 *model_hash;   /* NULL when absent */
  char                 *description;  /* NULL when absent */
  char                 *base_dir;     /* folder of the loaded file; not saved; may be NULL */

  RlExperimentPlanKind  kind;
  guint                 rank;         /* uniform: ≥ 1 */
  guint                 n_ranks;      /* per-layer (required), energy/budget (optional) */
  guint                *ranks;
  double                energy;       /* energy: (0, 1] */
  guint64               budget;       /* budget: parameters */
  gboolean              auto_mode;

  guint64               seed;           /* 42 */
  guint                 finetune_epochs; /* 0 */

  gboolean              has_results;
  RlExperimentResults   results;
} RlExperiment;

const char   *rl_experiment_kind_to_string   (RlExperimentPlanKind  kind);
gboolean      rl_experiment_kind_from_string (const char           *s,
                                              RlExperimentPlanKind *kind);

/* A uniform rank-25 paper-mode experiment for model (copied), no results. */
RlExperiment *rl_experiment_new         (const char          *model);
void          rl_experiment_free        (RlExperiment        *exp);
void          rl_experiment_results_clear (RlExperimentResults *results);

RlExperiment *rl_experiment_parse       (const char          *json,
                                         gssize               len,
                                         const char          *base_dir,
                                         GError             **error);
/* Errors are prefixed with the file's name. */
RlExperiment *rl_experiment_load        (const char          *path,
                                         GError             **error);
char         *rl_experiment_to_json     (const RlExperiment  *exp);
/* Atomic (rl_file_replace_atomic). */
gboolean      rl_experiment_save        (const RlExperiment  *exp,
                                         const char          *path,
                                         GError             **error);

/* The model's path, resolved against base_dir when relative. */
char         *rl_experiment_model_path  (const RlExperiment  *exp);
RlPlanMode    rl_experiment_plan_mode   (const RlExperiment  *exp);

/* Checks the experiment against the dense model: the hash (when present),
 * the number of ranks and each rank's ceiling, and a budget no smaller than
 * the smallest possible plan. Errors name the key. */
gboolean      rl_experiment_check_model (const RlExperiment  *exp,
                                         const RlModel       *dense,
                                         GError             **error);

/* The plan: uniform, the ranks, the resolved ranks when present (a budget
 * plan's are checked against the budget), else rl_plan_energy or
 * rl_budget_plan (which needs val, validation images — never the test set). */
RlPlan       *rl_experiment_build_plan  (const RlExperiment  *exp,
                                         const RlModel       *dense,
                                         const RlSvd         *svd,
                                         const RlDataset     *val,
                                         GCancellable        *cancellable,
                                         RlProgressFunc       progress,
                                         gpointer             user_data,
                                         GError             **error);

/* Stores plan's ranks as the resolved (energy, budget) or explicit
 * (per-layer) ranks; ignored for uniform plans. */
void          rl_experiment_set_ranks   (RlExperiment        *exp,
                                         const RlPlan        *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlExperiment, rl_experiment_free)

G_END_DECLS
