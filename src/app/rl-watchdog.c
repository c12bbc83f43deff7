/* rl-watchdog.c — reports main-loop stalls (for tests and profiling). */
#include "config.h"

#include <stdio.h>

#include "rl-watchdog.h"

#define TICK_MS 10

static gint64 last_tick_us;
static gint64 threshold_us;

static gboolean
on_tick (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 late = now - last_tick_us - TICK_MS * 1000;

  if (late > threshold_us)
    {
      fprintf (stderr, "ranklab-watchdog: stall %" G_GINT64_FORMAT " ms at %.3f\n",
               late / 1000, now / 1e6);
      fflush (stderr);
    }
  last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

void
rl_watchdog_start (void)
{
  const char *env = g_getenv ("RANKLAB_WATCHDOG_MS");
  guint64 ms;

  if (env == NULL || !g_ascii_string_to_unsigned (env, 10, 1, 60000, &ms, NULL))
    return;

  threshold_us = (gint64) ms * 1000;
  last_tick_us = g_get_monotonic_time ();
  g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, on_tick, NULL, NULL);
  fprintf (stderr, "ranklab-watchdog: watching for stalls over %" G_GUINT64_FORMAT " ms\n", ms);
}
