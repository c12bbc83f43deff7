/* rl-svd.h — per-layer SVD of a dense model (GSL), computed once and cached.
 *
 * For W (m×n = in×out) = U·Σ·Vᵀ with k = min(m,n):
 *   us = U·Σ  (m×k row-major: column i is σ_i·u_i)
 *   vt = Vᵀ   (k×n row-major: row i is v_iᵀ)
 * so a rank-r layer is A = us[:, :r] (m×r) and B = vt[:r, :] (r×n). */
#pragma once

#include <gio/gio.h>
#include "rl-error.h"
#include "rl-model.h"

G_BEGIN_DECLS

typedef struct
{
  guint   m, n, k;
  double *s;    /* k singular values, descending */
  float  *us;   /* m×k */
  float  *vt;   /* k×n */
} RlLayerSvd;

typedef struct
{
  guint       n_layers;
  RlLayerSvd *layers;
  char       *weights_hash;   /* rl_model_weights_hash() of the source model */
} RlSvd;

/* SVD of one row-major m×n float matrix (any shape). Fills out (caller
 * frees with rl_layer_svd_clear). */
gboolean  rl_layer_svd_compute   (const float  *w,
                                  guint         m,
                                  guint         n,
                                  RlLayerSvd   *out,
                                  GError      **error);
void      rl_layer_svd_clear     (RlLayerSvd   *svd);

/* Reference: GSL Golub–Reinsch on the full matrix (slow; tests and checks). */
gboolean  rl_layer_svd_reference (const float  *w,
                                  guint         m,
                                  guint         n,
                                  RlLayerSvd   *out,
                                  GError      **error);

/* Every layer of a dense model (layers in parallel where it pays). Fails on
 * a factored model. Validates each result (reconstruction, orthogonality). */
RlSvd    *rl_svd_compute         (const RlModel  *model,
                                  GCancellable   *cancellable,
                                  RlProgressFunc  progress,
                                  gpointer        user_data,
                                  GError        **error);
void      rl_svd_free            (RlSvd          *svd);

/* Cache file (safetensors: "layers.<i>.s" F64, ".us" and ".vt" F32, the
 * weights hash in __metadata__). Load fails if the hash does not match
 * model's weights. */
gboolean  rl_svd_save            (const RlSvd    *svd,
                                  const char     *path,
                                  GError        **error);
RlSvd    *rl_svd_load            (const char     *path,
                                  const RlModel  *model,
                                  GError        **error);
/* $XDG_CACHE_HOME/ranklab/svd-<hash>.safetensors (newly allocated). */
char     *rl_svd_cache_path      (const RlModel  *model);
/* Load from the cache, else compute and store in the cache. */
RlSvd    *rl_svd_get_cached      (const RlModel  *model,
                                  gboolean       *from_cache,
                                  GCancellable   *cancellable,
                                  RlProgressFunc  progress,
                                  gpointer        user_data,
                                  GError        **error);

/* Σ_{i<r} σ_i² / Σ σ_i²  (r clamped to k). */
double    rl_svd_energy          (const RlLayerSvd *svd, guint r);
/* Eckart–Young: ‖W − W_r‖_F = √(Σ_{i≥r} σ_i²) and spectral ‖W − W_r‖₂ = σ_r (0-based, 0 if r ≥ k). */
double    rl_svd_frobenius_error (const RlLayerSvd *svd, guint r);
double    rl_svd_spectral_error  (const RlLayerSvd *svd, guint r);
double    rl_svd_frobenius_norm  (const RlLayerSvd *svd);
/* m·n/(m+n): above it a factored layer is larger than the dense one. */
double    rl_layer_break_even    (guint m, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlSvd, rl_svd_free)

G_END_DECLS
