/* rl-train-private.h — the mini-batch trainer behind rl_train(), exposed to
 * rl-train.c and to the tests (gradient checks). Not installed API. */
#pragma once

#include "rl-train.h"

G_BEGIN_DECLS

typedef enum
{
  RL_LOSS_KERAS_CCE,   /* Keras categorical CE on sigmoid outputs (p / Σp, clipped) */
  RL_LOSS_SOFTMAX_CE,  /* softmax CE on the pre-sigmoid logits (argmax is the same) */
} RlLoss;

/* Everything a preset decides beyond RlTrainConfig. */
typedef struct
{
  RlLoss   loss;
  double   label_smoothing;  /* softmax CE only */
  double   beta1, beta2, eps;
  double   weight_decay;     /* decoupled (AdamW), kernels only; 0 = Adam */
  double   warmup_frac;      /* linear warm-up over this fraction of all steps */
  gboolean cosine;           /* cosine decay from the peak to final_lr_frac·peak */
  double   final_lr_frac;
} RlRecipe;

void    _rl_recipe_init      (RlRecipe       *recipe,
                              RlPreset        preset);
/* Learning rate at 0-based step of total (warm-up, then cosine or flat). */
double  _rl_recipe_lr        (const RlRecipe *recipe,
                              double          peak,
                              guint64         step,
                              guint64         total);

/* Mean loss over n rows of logits z (n × k, pre-sigmoid) and its gradient
 * dz = ∂(mean loss)/∂z (n × k; may be NULL). *correct (may be NULL) gets the
 * number of rows whose arg-max equals the label. */
double  _rl_loss             (RlLoss          loss,
                              double          label_smoothing,
                              const float    *z,
                              const guint8   *labels,
                              guint           n,
                              guint           k,
                              float          *dz,
                              guint          *correct);

typedef struct _RlTrainer RlTrainer;

/* A trainer for model (weights updated in place) and batches of at most
 * max_batch rows. */
RlTrainer *_rl_trainer_new         (RlModel        *model,
                                    guint           max_batch,
                                    const RlRecipe *recipe);
void       _rl_trainer_free        (RlTrainer      *trainer);
/* Forward and backward over one batch; keeps the gradients of the mean
 * loss. Returns the mean loss (NaN if it is not finite). */
double     _rl_trainer_gradient    (RlTrainer      *trainer,
                                    const float    *x,
                                    const guint8   *labels,
                                    guint           n,
                                    guint          *correct);
/* Loss only (no gradient). */
double     _rl_trainer_loss        (RlTrainer      *trainer,
                                    const float    *x,
                                    const guint8   *labels,
                                    guint           n);
/* One Adam(W) update with the kept gradients at learning rate lr. */
void       _rl_trainer_step        (RlTrainer      *trainer,
                                    double          lr);
/* One training step: what _rl_trainer_gradient then, when the loss is
 * finite, _rl_trainer_step (trainer, lr) do, in fewer passes over memory
 * for a model of dense layers (each gradient row goes into Adam while it
 * is in cache). Returns the mean loss (NaN, and no update, if it is not
 * finite). The kept gradients are those of this batch. */
double     _rl_trainer_train_batch (RlTrainer      *trainer,
                                    const float    *x,
                                    const guint8   *labels,
                                    guint           n,
                                    double          lr,
                                    guint          *correct);
/* Copies the kept gradients into grad, a model of the same shapes. */
void       _rl_trainer_get_gradient(RlTrainer      *trainer,
                                    RlModel        *grad);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlTrainer, _rl_trainer_free)

G_END_DECLS
