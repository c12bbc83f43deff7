/* rl-forward.h — batched inference on OpenBLAS sgemm. */
#pragma once

#include "rl-model.h"

G_BEGIN_DECLS

/* Scratch space for a blocked forward pass; reusable across calls and
 * models, grows as needed. Not thread-safe: one per thread. */
typedef struct _RlWorkspace RlWorkspace;

RlWorkspace *rl_workspace_new   (void);
void         rl_workspace_free  (RlWorkspace *ws);

/* out (n × output_size) = model(x (n × input_size)). The batch is processed
 * in row blocks so that the activations stay in cache; bias and activation
 * are fused. ws may be NULL (a temporary one is used). */
void         rl_model_forward   (const RlModel *model,
                                 const float   *x,
                                 guint          n,
                                 float         *out,
                                 RlWorkspace   *ws);

/* One image; fills probs[output_size] (sigmoid outputs, not normalised) and
 * returns the arg-max class. */
guint        rl_model_predict   (const RlModel *model,
                                 const float   *x,
                                 float         *probs);

/* The class probabilities a model's outputs stand for, summing to 1: for a
 * model trained with softmax cross-entropy on its logits (meta "loss"
 * starting with "softmax"), the softmax of the logits log(p/(1-p)); else
 * (the study's Keras loss) the sigmoid outputs divided by their sum. Returns
 * a short description of the rule, for tooltips. out may equal outputs. */
const char  *rl_model_class_probabilities (const RlModel *model,
                                           const float   *outputs,
                                           float         *out);

/* Index of the largest of v[0..n). */
guint        rl_argmax          (const float *v,
                                 guint        n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlWorkspace, rl_workspace_free)

/* Columns [c0, c1) of rows rows of c (row stride ld): c = act (c + bias),
 * one pass; a NaN propagates. Shared with the trainer. */
void      _rl_bias_act           (float          *c,
                                  guint           rows,
                                  guint           ld,
                                  gsize           c0,
                                  gsize           c1,
                                  const float    *bias,
                                  RlActivation    act);

G_END_DECLS
