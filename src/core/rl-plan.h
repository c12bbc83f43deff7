/* rl-plan.h — rank plans and the truncated (factored) model. */
#pragma once

#include "rl-model.h"
#include "rl-svd.h"

G_BEGIN_DECLS

typedef enum
{
  RL_PLAN_PAPER,   /* factor every layer at the uniform rank (the study) */
  RL_PLAN_AUTO,    /* leave a layer dense where r·(m+n) ≥ m·n */
} RlPlanMode;

typedef struct
{
  guint  n_layers;
  guint *ranks;    /* per layer; 0 = keep the layer dense */
} RlPlan;

const char *rl_plan_mode_to_string   (RlPlanMode mode);
gboolean    rl_plan_mode_from_string (const char *s, RlPlanMode *mode);

RlPlan   *rl_plan_new          (guint           n_layers);   /* all dense */
RlPlan   *rl_plan_copy         (const RlPlan   *plan);
void      rl_plan_free         (RlPlan         *plan);

/* Uniform rank r (clamped to min(m,n) per layer). */
RlPlan   *rl_plan_uniform      (const RlModel  *dense,
                                guint           rank,
                                RlPlanMode      mode);
/* Smallest rank per layer keeping at least frac (0..1] of its energy. */
RlPlan   *rl_plan_energy       (const RlSvd    *svd,
                                double          frac,
                                RlPlanMode      mode);
/* The largest rank worth offering on a slider: max over layers of min(m,n). */
guint     rl_plan_max_rank     (const RlModel  *dense);

guint64   rl_plan_param_count  (const RlModel  *dense,
                                const RlPlan   *plan);
guint64   rl_plan_macs         (const RlModel  *dense,
                                const RlPlan   *plan);

/* The compressed model: layer i factored at plan->ranks[i] (A = U_r·Σ_r,
 * B = V_rᵀ, original bias) or copied dense when 0. */
RlModel  *rl_compress          (const RlModel  *dense,
                                const RlSvd    *svd,
                                const RlPlan   *plan,
                                GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlPlan, rl_plan_free)

G_END_DECLS
