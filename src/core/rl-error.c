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

/* The thread budget and the single-thread scopes (see rl-error.h): OpenBLAS
 * has one process-wide thread count, so every change goes through here. */
static GMutex blas_lock;
static guint  blas_budget;        /* 0: not read yet */
static guint  blas_single_depth;  /* scopes open */

static void
read_budget_locked (void)
{
  if (blas_budget == 0)
    blas_budget = (guint) MAX (openblas_get_num_threads (), 1);
}

void
rl_core_set_blas_threads (guint n_threads)
{
  g_return_if_fail (n_threads > 0);

  g_mutex_lock (&blas_lock);
  blas_budget = n_threads;
  if (blas_single_depth == 0)
    openblas_set_num_threads ((int) n_threads);
  g_mutex_unlock (&blas_lock);
}

guint
rl_core_get_blas_threads (void)
{
  guint n;

  g_mutex_lock (&blas_lock);
  read_budget_locked ();
  n = blas_budget;
  g_mutex_unlock (&blas_lock);
  return n;
}

void
rl_core_blas_single_begin (void)
{
  g_mutex_lock (&blas_lock);
  read_budget_locked ();
  if (blas_single_depth++ == 0 && blas_budget > 1)
    openblas_set_num_threads (1);
  g_mutex_unlock (&blas_lock);
}

void
rl_core_blas_single_end (void)
{
  g_mutex_lock (&blas_lock);
  g_warn_if_fail (blas_single_depth > 0);
  if (blas_single_depth > 0 && --blas_single_depth == 0 && blas_budget > 1)
    openblas_set_num_threads ((int) blas_budget);
  g_mutex_unlock (&blas_lock);
}

double
rl_now (void)
{
  return g_get_monotonic_time () / 1e6;
}
