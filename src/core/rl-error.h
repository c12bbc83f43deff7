/* rl-error.h — error domain and library start-up. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RL_ERROR (rl_error_quark ())

typedef enum
{
  RL_ERROR_FAILED,    /* anything else */
  RL_ERROR_IO,        /* a file could not be read or written */
  RL_ERROR_FORMAT,    /* a file's bytes are not what they claim to be */
  RL_ERROR_SHAPE,     /* dimensions do not agree */
  RL_ERROR_NUMERIC,   /* NaN/Inf, or a numerical routine failed */
  RL_ERROR_LIMIT,     /* a documented ceiling was exceeded */
  RL_ERROR_INVALID,   /* a bad argument or option value */
  RL_ERROR_EMPTY,     /* nothing to work on (e.g. an empty drawing) */
} RlError;

GQuark rl_error_quark (void);

/* Call once at start-up, before any other rl_ function: turns GSL's
 * abort-on-error handler off and sets the OpenBLAS thread count.
 * n_threads == 0 keeps OpenBLAS's default (all cores). */
void   rl_core_init            (guint n_threads);
void   rl_core_set_blas_threads (guint n_threads);
/* The thread budget: the count last set, else OpenBLAS's default. */
guint  rl_core_get_blas_threads (void);

/* Work that splits itself into threads of its own (the forward's row
 * shares, the trainer's team, the SVD's two layers) runs each BLAS call on
 * one thread: between begin and end, OpenBLAS is set to one thread. Scopes
 * nest and may overlap from several threads; the last end restores the
 * budget, and rl_core_set_blas_threads inside a scope takes effect then. */
void   rl_core_blas_single_begin (void);
void   rl_core_blas_single_end   (void);

/* Monotonic wall clock in seconds. */
double rl_now                  (void);

/* Progress callback for long jobs: fraction in 0..1 and a short
 * human-readable (translatable by the caller) stage name. Called from the
 * worker thread. */
typedef void (*RlProgressFunc) (double       fraction,
                                const char  *stage,
                                gpointer     user_data);

G_END_DECLS
