/* rl-error.c — error domain, library start-up, clock. */
#include "config.h"

#include <gsl/gsl_errno.h>

#include "rl-error.h"

/* OpenBLAS's thread controls; declared here rather than through <cblas.h>
 * so this file can include GSL headers (the two cblas headers conflict). */
extern void openblas_set_num_threads (int num_threads);
extern int  openblas_get_num_threads (void);

G_DEFINE_QUARK (rl-error-quark, rl_error)

void
rl_core_init (guint n_threads)
{
  /* GSL's default handler calls abort(); every GSL call site checks and
   * turns the return code into a GError instead. */
  gsl_set_error_handler_off ();

  if (n_threads > 0)
    rl_core_set_blas_threads (n_threads);
}

void
rl_core_set_blas_threads (guint n_threads)
{
  g_return_if_fail (n_threads > 0);

  openblas_set_num_threads ((int) n_threads);
}

guint
rl_core_get_blas_threads (void)
{
  return (guint) openblas_get_num_threads ();
}

double
rl_now (void)
{
  return g_get_monotonic_time () / 1e6;
}
