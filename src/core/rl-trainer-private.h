/* rl-trainer-private.h — the trainer's insides, shared by rl-train-step.c
 * (forward, backward, Adam, each a team job) and rl-train-fused.c (rl_train's
 * step, with each gradient row updated into Adam while in cache). Not
 * installed API. */
#pragma once

#include <cblas.h>

#include "rl-team.h"
#include "rl-train-private.h"

G_BEGIN_DECLS

/* Column ranges start on a 64-byte line, so two threads never write the
 * same cache line of a row. */
#define ALIGN_FLOATS 16u

typedef struct
{
  float    *w;      /* the model's tensor (updated in place) */
  float    *g;      /* gradient */
  float    *m, *v;  /* Adam moments */
  gsize     len;
  gboolean  decay;  /* kernels decay, biases do not */
} Param;

typedef enum
{
  JOB_FORWARD_MID,   /* M = X·A, by columns of M */
  JOB_FORWARD_OUT,   /* Z = X·W or M·B, then bias and activation, by columns of Z */
  JOB_BACKWARD_OUT,  /* gW or gB, bias gradient (columns of Z); dX (dense) or dM (factored) */
  JOB_BACKWARD_IN,   /* factored: gA and dX, by rows of A (columns of X) */
  JOB_ADAM,          /* every parameter, by ranges */
  JOB_DX,            /* fused step: dX = dZ·Wᵀ and the mask, by columns of X */
  JOB_GRAD_UPDATE,   /* fused step: gW and Adam by rows of W; bias gradient and Adam */
} JobKind;

/* A job of a team run: its kind, its layer and how many chunks it is cut into. */
typedef struct
{
  JobKind kind;
  guint   layer;
  guint   n_chunks;
} TrainJob;

struct _RlTrainer
{
  RlModel  *model;
  RlRecipe  recipe;
  guint     max_batch;
  guint64   t;          /* Adam steps taken */
  float   **h;          /* per layer: n × out (last layer: logits Z) */
  float   **mid;        /* per layer: n × rank, NULL when dense */
  float    *dz[3];      /* n × widest: ∂loss/∂Z of layer l in dz[(L−1−l) mod 3] (_rl_trainer_dz) */
  float    *dmid;       /* n × largest rank */
  Param    *params;
  guint     n_params;
  gsize     n_weights;  /* Σ params' len */
  guint     first_param[RL_MODEL_MAX_LAYERS];
  RlTeam   *team;        /* of more than one thread: holds a single-thread BLAS scope */

  /* what the team runs now */
  guint        n;         /* rows */
  const float *x;         /* the batch's input */
  float        b1, b2, lr_t, eps;
  double       lr;
  TrainJob       jobs[2];   /* one team run: one job, or two side by side (the fused step) */
  guint        n_jobs;
  gboolean     all_dense;
};

/* Chunks per thread: enough that a thread the host holds back leaves
 * less for the others to wait for, few enough that each product stays
 * large (see the file's comment). */
#define CHUNKS_PER_THREAD      2u
#define ADAM_CHUNKS_PER_THREAD 8u

/* C (m × n, ldc) = op(A)·op(B); nothing for an empty range. */
void _rl_train_sgemm           (CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, gsize m, gsize n, gsize k,
                                const float *a, guint lda, const float *b, guint ldb,
                                float *c, guint ldc);
/* Columns [c0, c1) of dx (n × ld) times the derivative of the previous
 * layer's activation, read from its output h. */
void _rl_train_mask_columns    (float *dx, const float *h, guint n, guint ld, gsize c0, gsize c1,
                                RlActivation act);
/* Adam(W) on len parameters (decay = 1 − lr·wd for kernels, 1 for biases). */
void _rl_train_adam_update     (float *restrict w, float *restrict m, float *restrict v,
                                const float *restrict g, gsize len, float b1, float b2,
                                float lr_t, float eps, float decay);
/* Tests: makes _rl_train_adam_update use one path ("scalar", "sse", "avx2";
 * NULL: the best this processor has). FALSE when the path is not there. */
gboolean _rl_train_adam_select (const char *path);
/* Fills t->h (activations; logits for the last layer) for n rows of x. */
void _rl_trainer_forward       (RlTrainer *t, const float *x, guint n);
/* Adds a job to the next team run; _rl_trainer_run runs the jobs added
 * since the last run, side by side, and returns when all are done. */
void _rl_trainer_add_job       (RlTrainer *t, JobKind kind, guint layer);
void _rl_trainer_run           (RlTrainer *t);
/* The fused step's jobs (rl-train-fused.c). */
guint _rl_trainer_grad_update_chunks (RlTrainer *t, guint layer);
void _rl_trainer_dx_chunk      (RlTrainer *t, guint layer, guint chunk, guint n_chunks);
void _rl_trainer_grad_update_chunk (RlTrainer *t, guint layer, guint chunk, guint n_chunks);

/* ∂loss/∂Z of layer (written by the loss for the last layer, by the layer
 * above's backward otherwise): three buffers in turn, so that a team run
 * may read two layers' and write a third's. */
static inline float *
_rl_trainer_dz (RlTrainer *t,
                guint      layer)
{
  return t->dz[(t->model->n_layers - 1 - layer) % 3];
}
/* Counts one Adam step and sets its scalars for learning rate lr. */
void _rl_trainer_set_adam_step (RlTrainer *t, double lr);

G_END_DECLS
