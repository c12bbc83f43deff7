/* rl-train.h — seeded, cancellable mini-batch training (dense or factored). */
#pragma once

#include <gio/gio.h>
#include "rl-model.h"
#include "rl-dataset.h"

G_BEGIN_DECLS

typedef enum
{
  RL_PRESET_DEFAULT,   /* our best honest setup: all 60,000 images */
  RL_PRESET_PAPER,     /* the study: first 48,000, Adam 1e-3, batch 32, Glorot, Keras CCE */
} RlPreset;

typedef struct
{
  RlPreset preset;
  guint    epochs;        /* 5 */
  guint    batch_size;    /* paper 32 */
  guint64  seed;
  double   learning_rate; /* peak learning rate */
  guint    train_count;   /* images used from the start of the set; 0 = all
                             (paper: 48,000 — the last 12,000 are validation) */
} RlTrainConfig;

typedef struct
{
  guint  epoch;      /* 1-based */
  guint  epochs;
  guint  step;       /* 1-based step within the epoch */
  guint  steps;      /* steps per epoch */
  double loss;       /* running mean over the epoch so far */
  double accuracy;   /* running training accuracy over the epoch so far */
  double elapsed_s;
  double eta_s;      /* estimated seconds left */
} RlTrainProgress;

typedef void (*RlTrainProgressFunc) (const RlTrainProgress *progress,
                                     gpointer               user_data);

void        rl_train_config_init (RlTrainConfig *config,
                                  RlPreset       preset);
const char *rl_preset_to_string  (RlPreset       preset);
gboolean    rl_preset_from_string(const char    *s,
                                  RlPreset      *preset);

/* Fresh weights the way the preset starts: Glorot for paper (Keras), fan-in
 * uniform for default. */
void        rl_train_init_model  (RlModel             *model,
                                  RlPreset             preset,
                                  guint64              seed);

/* Trains model in place (dense and factored layers alike: a factored layer's
 * A and B are trained). Does not re-initialise: call rl_model_init_weights
 * first for a fresh model. Progress is called from the calling thread at most
 * every ~100 ms and at the end of each epoch. On cancel returns FALSE with
 * G_IO_ERROR_CANCELLED and the model holds the weights of the last finished
 * step (consistent, finite). Writes preset/epochs/seed/... into model->meta. */
gboolean    rl_train             (RlModel             *model,
                                  const RlDataset     *train,
                                  const RlTrainConfig *config,
                                  GCancellable        *cancellable,
                                  RlTrainProgressFunc  progress,
                                  gpointer             user_data,
                                  GError             **error);

/* Fine-tuning a truncated (factored) model, shared by `ranklab-cli
 * finetune` and the app: the default preset's recipe on all training
 * images at half its peak learning rate (measured best of 3e-4…2e-3), one
 * epoch, seed 42. */
#define RL_FINETUNE_LEARNING_RATE 1e-3
void        rl_train_config_init_finetune (RlTrainConfig *config);

/* rl_train for fine-tuning: afterwards the model's metadata keeps its
 * original training facts, and the fine-tuning run's settings are filed
 * under "finetune_<key>". Same cancel and progress rules as rl_train. */
gboolean    rl_train_finetune    (RlModel             *model,
                                  const RlDataset     *train,
                                  const RlTrainConfig *config,
                                  GCancellable        *cancellable,
                                  RlTrainProgressFunc  progress,
                                  gpointer             user_data,
                                  GError             **error);

G_END_DECLS
