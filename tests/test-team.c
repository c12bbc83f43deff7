/* test-team.c — the thread team: every chunk of every job runs exactly
 * once, on more threads than cores, with helpers spinning or asleep; the
 * range split covers the total without overlap, on aligned boundaries. */

#include "rl-team.h"

typedef struct
{
  gint     *counts;          /* per chunk */
  gpointer  threads_seen[8];  /* GThread*, first come first served */
} Tally;

static void
count_chunk (guint chunk, guint n_chunks, gpointer data)
{
  Tally *tally = data;
  GThread *self = g_thread_self ();

  /* atomics only: ThreadSanitizer does not see GMutex's futexes */
  g_atomic_int_inc (&tally->counts[chunk]);
  for (guint i = 0; i < G_N_ELEMENTS (tally->threads_seen); i++)
    if (g_atomic_pointer_get (&tally->threads_seen[i]) == self
        || g_atomic_pointer_compare_and_exchange (&tally->threads_seen[i], NULL, self))
      break;
}

static void
slow_chunk (guint chunk, guint n_chunks, gpointer data)
{
  gint64 until = g_get_monotonic_time () + 50;

  count_chunk (chunk, n_chunks, data);
  while (g_get_monotonic_time () < until)
    ;
}

static void
run_jobs (guint n_threads, guint n_jobs, gulong pause_us)
{
  const guint chunk_counts[] = { 1, 2, 3, 7, 64, 1000 };
  g_autoptr(RlTeam) team = rl_team_new (n_threads);

  g_assert_cmpuint (rl_team_size (team), ==, MIN (n_threads, 8u));
  for (guint job = 0; job < n_jobs; job++)
    {
      guint n = chunk_counts[job % G_N_ELEMENTS (chunk_counts)];
      Tally tally = { .counts = g_new0 (gint, n) };

      rl_team_run (team, n, count_chunk, &tally);
      for (guint i = 0; i < n; i++)
        g_assert_cmpint (tally.counts[i], ==, 1);
      g_free (tally.counts);
      if (pause_us > 0)
        g_usleep (pause_us);   /* longer than the spin: helpers go to sleep */
    }
}

static void
test_every_chunk_once (void)
{
  for (guint threads = 1; threads <= 6; threads++)
    run_jobs (threads, 3000, 0);
}

static void
test_wake_from_sleep (void)
{
  run_jobs (3, 60, 2000);
  run_jobs (9, 12, 2000);   /* clamped to 8 */
}

static void
test_zero_chunks_and_free_while_asleep (void)
{
  g_autoptr(RlTeam) team = rl_team_new (4);
  Tally tally = { .counts = NULL };

  rl_team_run (team, 0, count_chunk, &tally);   /* nothing to do, returns */
  g_usleep (5000);                              /* helpers asleep when freed */
}

static void
test_helpers_share_the_work (void)
{
  g_autoptr(RlTeam) team = rl_team_new (2);
  guint most = 0;

  /* a job long enough that the helper, asleep or not, takes some of it
   * (unless this machine never runs the two threads at once) */
  for (guint attempt = 0; attempt < 50 && most < 2; attempt++)
    {
      Tally tally = { .counts = g_new0 (gint, 200) };
      guint seen = 0;

      rl_team_run (team, 200, slow_chunk, &tally);   /* 10 ms of 50 µs chunks */
      for (guint i = 0; i < 8; i++)
        seen += tally.threads_seen[i] != NULL;
      most = MAX (most, seen);
      g_free (tally.counts);
    }
  g_assert_cmpuint (most, ==, 2);
}

static void
test_range (void)
{
  const gsize totals[] = { 0, 1, 5, 16, 17, 25, 45, 784, 1028, 1467726 };
  const gsize aligns[] = { 1, 16 };

  for (guint t = 0; t < G_N_ELEMENTS (totals); t++)
    for (guint a = 0; a < G_N_ELEMENTS (aligns); a++)
      for (guint n = 1; n <= 9; n++)
        {
          gsize next = 0;

          for (guint c = 0; c < n; c++)
            {
              gsize b, e;

              rl_team_range (totals[t], c, n, aligns[a], &b, &e);
              g_assert_cmpuint (b, ==, next);               /* contiguous, no overlap */
              g_assert_cmpuint (e, >=, b);
              g_assert_true (b % aligns[a] == 0 || b == totals[t]);
              g_assert_true (e % aligns[a] == 0 || e == totals[t]);
              /* even: no chunk more than one unit over the mean */
              g_assert_cmpuint (e - b, <=, ((totals[t] + aligns[a] - 1) / aligns[a] / n + 1) * aligns[a]);
              next = e;
            }
          g_assert_cmpuint (next, ==, totals[t]);             /* covers all */
        }
}

static void
test_chunks (void)
{
  g_autoptr(RlTeam) team = rl_team_new (2);

  g_assert_cmpuint (rl_team_chunks (team, 1028, 16, 4), ==, 8);    /* 65 units */
  g_assert_cmpuint (rl_team_chunks (team, 25, 16, 4), ==, 2);      /* 2 units */
  g_assert_cmpuint (rl_team_chunks (team, 10, 16, 4), ==, 1);
  g_assert_cmpuint (rl_team_chunks (team, 0, 16, 4), ==, 1);
  g_assert_cmpuint (rl_team_chunks (team, 1u << 30, 1, 100000), ==, 0xffff);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/team/every-chunk-once", test_every_chunk_once);
  g_test_add_func ("/team/wake-from-sleep", test_wake_from_sleep);
  g_test_add_func ("/team/zero-chunks-free-asleep", test_zero_chunks_and_free_while_asleep);
  g_test_add_func ("/team/helpers-share-the-work", test_helpers_share_the_work);
  g_test_add_func ("/team/range", test_range);
  g_test_add_func ("/team/chunks", test_chunks);
  return g_test_run ();
}
