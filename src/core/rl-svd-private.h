/* rl-svd-private.h — functions shared by rl-svd.c (GSL side) and
 * rl-svd-gram.c (OpenBLAS side). Not installed, not for the app.
 *
 * The fast SVD of a row-major m×n matrix W (k = min(m,n)):
 *   1. W is copied to double (wd) and the Gram matrix of the smaller side,
 *      G = W·Wᵀ (m ≤ n) or Wᵀ·W (m > n), k×k, is formed with dsyrk;
 *   2. G = E·Λ·Eᵀ with GSL's gsl_eigen_symmv (rl-svd.c);
 *   3. the other side comes from W and E (one dgemm); each σ_i is the norm
 *      of that product (more accurate than √λ_i for small σ), vectors of a
 *      numerically null σ_i are completed to an orthonormal basis.
 * Every matrix here is row-major; ld* are row strides in elements. */
#pragma once

#include <glib.h>
#include "rl-svd.h"

G_BEGIN_DECLS

/* Row stride for a k×k double matrix that GSL walks column by column: a
 * power-of-two stride makes gsl_eigen_symmv 4× slower (cache aliasing). */
guint     _rl_svd_padded_ld        (guint          k);

/* g (k×k, stride ldg) = Gram of the smaller side of wd (m×n); both
 * triangles are filled. */
void      _rl_svd_gram             (const double  *wd,
                                    guint          m,
                                    guint          n,
                                    double        *g,
                                    guint          ldg);

/* From the eigenvectors evec (k×k, stride lde, column j for the j-th
 * largest eigenvalue) of _rl_svd_gram's matrix, fill out (already sized:
 * out->m, n, k set and s, us, vt allocated). Sorts σ descending. */
gboolean  _rl_svd_finish           (const double  *wd,
                                    guint          m,
                                    guint          n,
                                    const double  *evec,
                                    guint          lde,
                                    RlLayerSvd    *out,
                                    GError       **error);

/* ‖W − us·vt‖_F / ‖W‖_F (0 when W = 0 and the product is 0). */
double    _rl_svd_relative_residual (const float      *w,
                                     const RlLayerSvd *svd);

/* max |VVᵀ − I| over the rows of vt, and max |UᵀU − I| over the columns
 * of us whose σ_i > tol·σ₁ (u_i = us[:, i]/σ_i). */
void      _rl_svd_orthogonality    (const RlLayerSvd *svd,
                                    double            tol,
                                    double           *u_err,
                                    double           *v_err);

G_END_DECLS
