/* rl-model.h — a multilayer perceptron of dense and SVD-factored layers.
 *
 * Layout follows Keras: a dense layer maps x (1×in) to act(x·W + bias) with
 * W stored row-major as in×out (m×n in the study's notation). A factored
 * layer of rank r stores A = U_r·Σ_r (in×r, no bias) and B = V_rᵀ (r×out)
 * and computes act((x·A)·B + bias). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RL_MODEL_MAX_LAYERS  16u
#define RL_MODEL_MAX_WIDTH   4096u    /* documented ceiling on any layer size (README "Limits"):
                                          * the SVD of a 4096-wide layer needs a 128 MB Gram matrix */

typedef enum
{
  RL_ACT_NONE,
  RL_ACT_RELU,
  RL_ACT_SIGMOID,
} RlActivation;

typedef struct
{
  guint         in;     /* m */
  guint         out;    /* n */
  guint         rank;   /* 0 = dense; else 1..min(in,out) */
  float        *w;      /* dense: in×out, row-major; NULL when factored */
  float        *a;      /* factored: in×rank (U_r·Σ_r); NULL when dense */
  float        *b;      /* factored: rank×out (V_rᵀ);  NULL when dense */
  float        *bias;   /* out */
  RlActivation  act;
} RlLayer;

typedef struct
{
  guint       n_layers;
  RlLayer    *layers;
  /* Free-form string facts (preset, epochs, seed, test accuracy, …),
   * saved in the model file's __metadata__. Owned: char* → char*. */
  GHashTable *meta;
} RlModel;

/* The study's architecture. */
extern const guint rl_default_sizes[5];   /* 784, 1028, 512, 256, 10 */

/* A dense model with zeroed weights. sizes has n_layers + 1 entries; hidden
 * layers use ReLU and the last sigmoid. NULL + error on absurd sizes. */
RlModel   *rl_model_new           (const guint  *sizes,
                                   guint         n_sizes,
                                   GError      **error);
RlModel   *rl_model_new_default   (void);
RlModel   *rl_model_copy          (const RlModel *model);
void       rl_model_free          (RlModel      *model);

/* Kernels uniform in ±limit, zero biases: Glorot (Keras' default, the
 * study's), He (√(6/fan_in)) or fan-in (1/√fan_in, PyTorch's default for
 * linear layers; the default preset's: it truncates best). */
typedef enum
{
  RL_INIT_GLOROT_UNIFORM,
  RL_INIT_HE_UNIFORM,
  RL_INIT_FAN_IN_UNIFORM,
} RlInit;
void       rl_model_init_weights  (RlModel      *model,
                                   RlInit        init,
                                   guint64       seed);

guint      rl_model_input_size    (const RlModel *model);
guint      rl_model_output_size   (const RlModel *model);
gboolean   rl_model_is_factored   (const RlModel *model);   /* any layer */
guint      rl_model_max_width     (const RlModel *model);

guint64    rl_layer_param_count   (const RlLayer *layer);
guint64    rl_layer_macs          (const RlLayer *layer);   /* per image */
guint64    rl_model_param_count   (const RlModel *model);
guint64    rl_model_macs          (const RlModel *model);   /* per image */
double     rl_model_memory_mb     (const RlModel *model);   /* float32, 1 MB = 2^20 B */

/* A dense copy: every factored layer becomes W = A·B (same outputs, up to
 * float rounding); dense layers are copied. Meta is kept, plus "densified_from"
 * = the factored ranks ("25,25,25,10"). */
RlModel   *rl_model_densify       (const RlModel *model);

/* Returns FALSE and names the layer and index of the first NaN/Inf. */
gboolean   rl_model_check_finite  (const RlModel *model,
                                   GError       **error);

/* SHA-256 (hex) of every tensor's bytes, in layer order: the SVD cache key. */
char      *rl_model_weights_hash  (const RlModel *model);

void       rl_model_set_meta      (RlModel      *model,
                                   const char   *key,
                                   const char   *value);
const char *rl_model_get_meta     (const RlModel *model,
                                   const char   *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlModel, rl_model_free)

G_END_DECLS
