/* rl-watchdog.h — reports main-loop stalls (for tests and profiling). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When $RANKLAB_WATCHDOG_MS is set to N > 0, ticks every 10 ms on the main
 * loop and prints "ranklab-watchdog: stall <ms> ms at <monotonic s>" to
 * stderr whenever a tick comes more than N ms late. Does nothing otherwise. */
void rl_watchdog_start (void);

G_END_DECLS
