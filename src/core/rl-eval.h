/* rl-eval.h — accuracy, latency and the rank sweep. */
#pragma once

#include <gio/gio.h>
#include "rl-model.h"
#include "rl-dataset.h"
#include "rl-forward.h"
#include "rl-svd.h"
#include "rl-plan.h"

G_BEGIN_DECLS

typedef struct
{
  guint  n;
  guint  correct;
  double accuracy;
  guint  confusion[10][10];   /* [true][predicted] */
} RlAccuracy;

/* Accuracy over the whole dataset (batched, blocked). ws may be NULL. */
void     rl_eval_accuracy   (const RlModel   *model,
                             const RlDataset *ds,
                             RlWorkspace     *ws,
                             RlAccuracy      *out);

typedef struct
{
  double median_s;
  double min_s;
  guint  repeats;
  guint  warmup;
  guint  threads;     /* the thread budget during the timing */
  guint  batch;       /* images per forward call */
} RlLatency;

/* Wall-clock forward over all of ds: warm-up runs discarded, median of
 * repeats. */
void     rl_eval_latency    (const RlModel   *model,
                             const RlDataset *ds,
                             guint            warmup,
                             guint            repeats,
                             RlWorkspace     *ws,
                             RlLatency       *out);

/* The same for several models timed in turns (1, 2, …, 1, 2, …), so that
 * each sees the same machine: a ratio of their latencies then does not
 * drift with the machine's load between two timings. out has n_models
 * entries. Returns FALSE when cancellable (may be NULL) is cancelled
 * between two runs; out is then incomplete. */
gboolean rl_eval_latency_turns (const RlModel *const *models,
                                guint                 n_models,
                                const RlDataset      *ds,
                                guint                 warmup,
                                guint                 repeats,
                                RlWorkspace          *ws,
                                GCancellable         *cancellable,
                                RlLatency            *out);

typedef struct
{
  guint   rank;          /* 0 = the original model */
  double  accuracy;
  double  latency_s;     /* median */
  double  speedup;       /* original latency / this latency */
  guint64 params;
  double  memory_mb;
  double  memory_saving_pct;
  guint64 macs;          /* per image */
  double  flop_ratio;    /* original macs / these macs */
} RlSweepRow;

/* The original model then each rank of ranks[] under mode. Returns an array
 * of RlSweepRow (row 0 = original). progress may be NULL. */
GArray  *rl_sweep           (const RlModel   *dense,
                             const RlSvd     *svd,
                             const RlDataset *test,
                             const guint     *ranks,
                             guint            n_ranks,
                             RlPlanMode       mode,
                             guint            repeats,
                             GCancellable    *cancellable,
                             RlProgressFunc   progress,
                             gpointer         user_data,
                             GError         **error);

/* CSV with header rank,accuracy,latency_s,speedup,params,memory_mb,memory_saving_pct
 * (first row "original"). */
char    *rl_sweep_to_csv    (GArray          *rows);

G_END_DECLS
