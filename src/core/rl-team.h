/* rl-team.h — a fixed team of threads that runs one job at a time, cut
 * into chunks: the calling thread and the helper threads each take the
 * next chunk nobody has taken until none is left. Helpers wait between
 * jobs by spinning briefly, then sleeping.
 *
 * Made for many short jobs in a row (a training step is eight of them, a
 * few hundred microseconds each), where starting a thread per job or
 * waking one through a queue would cost as much as the job. Chunks are
 * taken, not assigned, because our cores are virtual: a helper the host
 * has not scheduled leaves its share to the others instead of making
 * everyone wait for it. Not re-entrant: one caller runs jobs on a team at
 * a time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RlTeam RlTeam;

/* chunk in 0..n_chunks-1; every chunk of a job runs exactly once. */
typedef void (*RlChunkFunc) (guint    chunk,
                             guint    n_chunks,
                             gpointer data);

/* A team of n_threads (the caller counts as one; clamped to 1..8). Helper
 * threads that cannot be started leave a smaller team. */
RlTeam *rl_team_new      (guint      n_threads);
void    rl_team_free     (RlTeam    *team);
guint   rl_team_size     (RlTeam    *team);
/* Runs func for every chunk (n_chunks ≤ 65,535) and returns when all
 * are done. */
void    rl_team_run      (RlTeam     *team,
                          guint       n_chunks,
                          RlChunkFunc func,
                          gpointer    data);
/* A chunk count for work of total items in units of align: about
 * per_thread chunks per thread, never more than there are units. */
guint   rl_team_chunks   (RlTeam     *team,
                          gsize       total,
                          gsize       align,
                          guint       per_thread);

/* [*begin, *end) of chunk in total items split as evenly as possible into
 * n_chunks ranges whose boundaries fall on multiples of align (but for the
 * last end, total). Some chunks may be empty. */
void    rl_team_range    (gsize      total,
                          guint      chunk,
                          guint      n_chunks,
                          gsize      align,
                          gsize     *begin,
                          gsize     *end);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlTeam, rl_team_free)

G_END_DECLS
