/* rl-team.c — see rl-team.h.
 *
 * One 64-bit ticket describes the live job: its generation (high 32 bits),
 * its chunk count (next 16) and the next chunk to take (low 16). A thread
 * takes a chunk with a compare-and-swap that only succeeds while the
 * generation is the one it is working on and chunks are left, so a helper
 * that wakes up late can never take a chunk of a finished job. The job's
 * func and data are written before its ticket and stay untouched until
 * every taken chunk is done (the caller waits for that), so a thread that
 * took a chunk reads them safely.
 *
 * A helper that has seen no new job for RL_TEAM_SPIN_US sleeps on the
 * condition variable: it counts itself in sleeping and re-checks the ticket
 * under the mutex, and the caller, after publishing, broadcasts under the
 * same mutex when sleeping is non-zero, so a wake-up cannot be lost. */

#include <stdatomic.h>
#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "rl-team.h"

#define RL_TEAM_MAX_THREADS 8u
/* How long an idle helper spins before it sleeps: longer than the gaps
 * between the jobs of a training step, short enough not to hold a core
 * once training stops. */
#define RL_TEAM_SPIN_US 300

#define TICKET(gen, n, next) (((guint64) (gen) << 32) | ((guint64) (n) << 16) | (guint64) (next))
#define TICKET_GEN(t)        ((guint32) ((t) >> 32))
#define TICKET_N(t)          ((guint) (((t) >> 16) & 0xffffu))
#define TICKET_NEXT(t)       ((guint) ((t) & 0xffffu))

struct _RlTeam
{
  guint            n;              /* threads, the caller's included */
  GThread         *threads[RL_TEAM_MAX_THREADS];
  RlChunkFunc      func;
  gpointer         data;
  _Atomic guint64  ticket;
  atomic_uint      done;           /* chunks of the live job finished */
  atomic_int       sleeping;       /* helpers blocked on cond */
  atomic_int       quit;
  GMutex           lock;
  GCond            cond;
};

static inline void
cpu_relax (void)
{
#ifdef __SSE2__
  _mm_pause ();
#endif
}

/* Takes and runs chunks of job gen until none is left. */
static void
work (RlTeam  *team,
      guint32  gen)
{
  guint64 t = atomic_load (&team->ticket);

  while (TICKET_GEN (t) == gen && TICKET_NEXT (t) < TICKET_N (t))
    {
      if (!atomic_compare_exchange_weak (&team->ticket, &t, t + 1))
        continue;   /* t now holds the current ticket */
      team->func (TICKET_NEXT (t), TICKET_N (t), team->data);
      atomic_fetch_add (&team->done, 1);
      t = atomic_load (&team->ticket);
    }
}

/* Waits until the ticket's generation differs from seen; returns it. */
static guint32
wait_for_job (RlTeam  *team,
              guint32  seen)
{
  gint64 deadline = 0;
  guint32 gen;

  for (guint spins = 0; (gen = TICKET_GEN (atomic_load (&team->ticket))) == seen; spins++)
    {
      if ((spins & 63) != 63)
        {
          cpu_relax ();
          continue;
        }
      if (deadline == 0)
        deadline = g_get_monotonic_time () + RL_TEAM_SPIN_US;
      else if (g_get_monotonic_time () >= deadline)
        {
          g_mutex_lock (&team->lock);
          atomic_fetch_add (&team->sleeping, 1);
          while (TICKET_GEN (atomic_load (&team->ticket)) == seen)
            g_cond_wait (&team->cond, &team->lock);
          atomic_fetch_sub (&team->sleeping, 1);
          g_mutex_unlock (&team->lock);
          deadline = 0;
        }
    }
  return gen;
}

static gpointer
helper_main (gpointer data)
{
  RlTeam *team = data;
  guint32 seen = 0;

  for (;;)
    {
      seen = wait_for_job (team, seen);
      if (atomic_load (&team->quit))
        return NULL;
      work (team, seen);
    }
}

RlTeam *
rl_team_new (guint n_threads)
{
  RlTeam *team = g_new0 (RlTeam, 1);

  g_mutex_init (&team->lock);
  g_cond_init (&team->cond);
  atomic_init (&team->ticket, 0);
  atomic_init (&team->done, 0);
  atomic_init (&team->sleeping, 0);
  atomic_init (&team->quit, 0);
  n_threads = CLAMP (n_threads, 1u, RL_TEAM_MAX_THREADS);
  team->n = 1;
  for (guint i = 1; i < n_threads; i++)
    {
      team->threads[i] = g_thread_try_new ("rl-team", helper_main, team, NULL);
      if (team->threads[i] == NULL)
        break;
      team->n++;
    }
  return team;
}

/* Makes job (func, data, n_chunks) the live one and wakes sleeping helpers. */
static guint32
publish (RlTeam      *team,
         guint        n_chunks,
         RlChunkFunc  func,
         gpointer     data)
{
  guint32 gen = TICKET_GEN (atomic_load (&team->ticket)) + 1;

  team->func = func;
  team->data = data;
  atomic_store (&team->done, 0);
  atomic_store (&team->ticket, TICKET (gen, n_chunks, 0));
  if (atomic_load (&team->sleeping) > 0)
    {
      g_mutex_lock (&team->lock);
      g_cond_broadcast (&team->cond);
      g_mutex_unlock (&team->lock);
    }
  return gen;
}

static void
nothing (guint chunk, guint n_chunks, gpointer data)
{
}

void
rl_team_free (RlTeam *team)
{
  if (team == NULL)
    return;
  atomic_store (&team->quit, 1);
  publish (team, 0, nothing, NULL);
  for (guint i = 1; i < team->n; i++)
    g_thread_join (team->threads[i]);
  g_mutex_clear (&team->lock);
  g_cond_clear (&team->cond);
  g_free (team);
}

guint
rl_team_size (RlTeam *team)
{
  g_return_val_if_fail (team != NULL, 1);
  return team->n;
}

void
rl_team_run (RlTeam      *team,
             guint        n_chunks,
             RlChunkFunc  func,
             gpointer     data)
{
  g_return_if_fail (team != NULL && func != NULL);
  g_return_if_fail (n_chunks <= 0xffffu);

  if (n_chunks == 0)
    return;
  if (team->n == 1 || n_chunks == 1)
    {
      for (guint i = 0; i < n_chunks; i++)
        func (i, n_chunks, data);
      return;
    }
  work (team, publish (team, n_chunks, func, data));
  /* only chunks a helper took and is still running are left */
  for (guint spins = 0; atomic_load (&team->done) < n_chunks; spins++)
    {
      if (spins < 4096)
        cpu_relax ();
      else
        g_thread_yield ();   /* its thread was descheduled: give it the core */
    }
}

guint
rl_team_chunks (RlTeam *team,
                gsize   total,
                gsize   align,
                guint   per_thread)
{
  gsize units;

  g_return_val_if_fail (team != NULL && align >= 1, 1);

  units = (total + align - 1) / align;
  return (guint) CLAMP (units, 1u, MIN ((gsize) team->n * MAX (per_thread, 1u), 0xffffu));
}

void
rl_team_range (gsize  total,
               guint  chunk,
               guint  n_chunks,
               gsize  align,
               gsize *begin,
               gsize *end)
{
  gsize units, b, e;

  g_return_if_fail (n_chunks >= 1 && chunk < n_chunks && align >= 1);

  units = (total + align - 1) / align;
  b = units * chunk / n_chunks * align;
  e = units * (chunk + 1) / n_chunks * align;
  *begin = MIN (b, total);
  *end = MIN (e, total);
}
