/* test-forward.c — the blocked sgemm forward pass against a naive reference. */
#include <math.h>
#include <string.h>

#include "rl-core.h"

/* A small deterministic generator so the tests own their inputs. */
static guint64 rng_state;

static float
frand (float lo, float hi)
{
  guint64 z = (rng_state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  z ^= z >> 31;
  return lo + (hi - lo) * (float) ((z >> 40) * (1.0 / 16777216.0));
}

static void
fill (float *v, gsize n, float lo, float hi)
{
  for (gsize i = 0; i < n; i++)
    v[i] = frand (lo, hi);
}

static RlModel *
random_model (const guint *sizes, guint n_sizes, guint64 seed)
{
  g_autoptr(GError) error = NULL;
  RlModel *m;

  rng_state = seed;
  m = rl_model_new (sizes, n_sizes, &error);
  g_assert_no_error (error);
  for (guint l = 0; l < m->n_layers; l++)
    {
      RlLayer *L = &m->layers[l];
      float lim = sqrtf (6.0f / L->in);

      fill (L->w, (gsize) L->in * L->out, -lim, lim);
      fill (L->bias, L->out, -0.2f, 0.2f);
    }
  return m;
}

/* Turns layer l into a random rank-r factored layer. */
static void
factor_layer (RlModel *m, guint l, guint r)
{
  RlLayer *L = &m->layers[l];

  g_clear_pointer (&L->w, g_free);
  L->rank = r;
  L->a = g_new (float, (gsize) L->in * r);
  L->b = g_new (float, (gsize) r * L->out);
  fill (L->a, (gsize) L->in * r, -0.5f, 0.5f);
  fill (L->b, (gsize) r * L->out, -0.5f, 0.5f);
}

/* Triple-loop reference in double. */
static void
naive_forward (const RlModel *m, const float *x, guint n, float *out)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree double *cur = g_new (double, m->layers[0].in);

      for (guint j = 0; j < m->layers[0].in; j++)
        cur[j] = x[(gsize) i * m->layers[0].in + j];
      for (guint l = 0; l < m->n_layers; l++)
        {
          const RlLayer *L = &m->layers[l];
          double *next = g_new0 (double, L->out);

          for (guint o = 0; o < L->out; o++)
            {
              double s = L->bias[o];

              for (guint k = 0; k < L->in; k++)
                {
                  double w;

                  if (L->rank == 0)
                    w = L->w[(gsize) k * L->out + o];
                  else
                    {
                      w = 0.0;
                      for (guint r = 0; r < L->rank; r++)
                        w += (double) L->a[(gsize) k * L->rank + r] * L->b[(gsize) r * L->out + o];
                    }
                  s += cur[k] * w;
                }
              if (L->act == RL_ACT_RELU)
                s = s > 0 ? s : 0;
              else if (L->act == RL_ACT_SIGMOID)
                s = 1.0 / (1.0 + exp (-s));
              next[o] = s;
            }
          g_free (cur);
          cur = next;
        }
      for (guint o = 0; o < rl_model_output_size (m); o++)
        out[(gsize) i * rl_model_output_size (m) + o] = (float) cur[o];
    }
}

static float
max_abs_diff (const float *a, const float *b, gsize n)
{
  float d = 0.0f;

  for (gsize i = 0; i < n; i++)
    d = MAX (d, fabsf (a[i] - b[i]));
  return d;
}

static void
test_naive (void)
{
  const guint sizes[] = { 37, 53, 29, 10 };
  /* n crosses block boundaries (blocks are 256 rows) and is not a multiple */
  const guint ns[] = { 1, 7, 255, 256, 257, 511, 512, 513, 1037 };
  g_autoptr(RlModel) m = random_model (sizes, G_N_ELEMENTS (sizes), 1);
  g_autoptr(RlWorkspace) ws = rl_workspace_new ();

  for (guint t = 0; t < G_N_ELEMENTS (ns); t++)
    {
      guint n = ns[t];
      g_autofree float *x = g_new (float, (gsize) n * 37);
      g_autofree float *got = g_new (float, (gsize) n * 10);
      g_autofree float *want = g_new (float, (gsize) n * 10);

      fill (x, (gsize) n * 37, 0.0f, 1.0f);
      rl_model_forward (m, x, n, got, ws);
      naive_forward (m, x, n, want);
      g_assert_cmpfloat (max_abs_diff (got, want, (gsize) n * 10), <=, 1e-5f);
    }
}

static void
test_predict_matches_batch (void)
{
  const guint sizes[] = { 40, 64, 10 };
  const guint n = 700;
  g_autoptr(RlModel) m = random_model (sizes, G_N_ELEMENTS (sizes), 2);
  g_autofree float *x = g_new (float, (gsize) n * 40);
  g_autofree float *batch = g_new (float, (gsize) n * 10);

  fill (x, (gsize) n * 40, 0.0f, 1.0f);
  rl_model_forward (m, x, n, batch, NULL);
  for (guint i = 0; i < n; i++)
    {
      float probs[10];
      guint cls = rl_model_predict (m, x + (gsize) i * 40, probs);

      g_assert_cmpfloat (max_abs_diff (probs, batch + (gsize) i * 10, 10), <=, 1e-6f);
      g_assert_cmpuint (cls, ==, rl_argmax (probs, 10));
      g_assert_cmpuint (rl_model_predict (m, x + (gsize) i * 40, NULL), ==, cls);
    }
}

static void
test_factored_equals_dense (void)
{
  const guint sizes[] = { 50, 70, 30, 10 };
  const guint n = 600;
  g_autoptr(RlModel) f = random_model (sizes, G_N_ELEMENTS (sizes), 3);
  g_autoptr(RlModel) d = NULL;
  g_autofree float *x = g_new (float, (gsize) n * 50);
  g_autofree float *a = g_new (float, (gsize) n * 10);
  g_autofree float *b = g_new (float, (gsize) n * 10);
  g_autofree float *ref = g_new (float, (gsize) n * 10);

  factor_layer (f, 0, 6);
  factor_layer (f, 2, 3);
  g_assert_true (rl_model_is_factored (f));

  /* The dense twin: W = A·B for every factored layer. */
  d = rl_model_copy (f);
  for (guint l = 0; l < d->n_layers; l++)
    {
      RlLayer *L = &d->layers[l];

      if (L->rank == 0)
        continue;
      L->w = g_new0 (float, (gsize) L->in * L->out);
      for (guint i = 0; i < L->in; i++)
        for (guint o = 0; o < L->out; o++)
          {
            double s = 0.0;

            for (guint r = 0; r < L->rank; r++)
              s += (double) L->a[(gsize) i * L->rank + r] * L->b[(gsize) r * L->out + o];
            L->w[(gsize) i * L->out + o] = (float) s;
          }
      g_clear_pointer (&L->a, g_free);
      g_clear_pointer (&L->b, g_free);
      L->rank = 0;
    }

  fill (x, (gsize) n * 50, 0.0f, 1.0f);
  rl_model_forward (f, x, n, a, NULL);
  rl_model_forward (d, x, n, b, NULL);
  naive_forward (f, x, n, ref);
  g_assert_cmpfloat (max_abs_diff (a, b, (gsize) n * 10), <=, 1e-5f);
  g_assert_cmpfloat (max_abs_diff (a, ref, (gsize) n * 10), <=, 1e-5f);
}

static void
test_workspace_reuse (void)
{
  const guint small[] = { 20, 8, 10 };
  const guint big[] = { 20, 300, 200, 10 };
  const guint n = 900;
  g_autoptr(RlModel) s = random_model (small, G_N_ELEMENTS (small), 4);
  g_autoptr(RlModel) b = random_model (big, G_N_ELEMENTS (big), 5);
  g_autoptr(RlWorkspace) ws = rl_workspace_new ();
  g_autofree float *x = g_new (float, (gsize) n * 20);
  g_autofree float *o1 = g_new (float, (gsize) n * 10);
  g_autofree float *o2 = g_new (float, (gsize) n * 10);

  fill (x, (gsize) n * 20, 0.0f, 1.0f);
  factor_layer (b, 1, 17);
  /* small model first (small buffers), then the big one must grow them */
  rl_model_forward (s, x, 3, o1, ws);
  rl_model_forward (b, x, n, o1, ws);
  rl_model_forward (b, x, n, o2, NULL);
  g_assert_cmpmem (o1, (gsize) n * 10 * sizeof (float), o2, (gsize) n * 10 * sizeof (float));
  rl_model_forward (s, x, n, o1, ws);
  rl_model_forward (s, x, n, o2, NULL);
  g_assert_cmpmem (o1, (gsize) n * 10 * sizeof (float), o2, (gsize) n * 10 * sizeof (float));
  /* every output is a sigmoid */
  for (gsize i = 0; i < (gsize) n * 10; i++)
    g_assert_true (o2[i] > 0.0f && o2[i] < 1.0f);
}

/* Two callers at once (the app's GTask evaluation and sweep): only one may
 * split its batch across the cores; both must get exact results. */
typedef struct
{
  const RlModel *model;
  const float   *x;
  guint          n;
  float         *out;
} ForwardJob;

static gpointer
forward_job (gpointer data)
{
  ForwardJob *job = data;

  for (guint i = 0; i < 5; i++)
    rl_model_forward (job->model, job->x, job->n, job->out, NULL);
  return NULL;
}

static void
test_concurrent_split (void)
{
  const guint sizes[] = { 64, 90, 40, 10 };
  const guint n = 1301;   /* 6 blocks of 256 rows, the last one short: 2 shares */
  g_autoptr(RlModel) m = random_model (sizes, G_N_ELEMENTS (sizes), 6);
  g_autofree float *x = g_new (float, (gsize) n * 64);
  g_autofree float *want = g_new (float, (gsize) n * 10);
  g_autofree float *o1 = g_new (float, (gsize) n * 10);
  g_autofree float *o2 = g_new (float, (gsize) n * 10);
  ForwardJob j1 = { m, x, n, o1 }, j2 = { m, x, n, o2 };
  guint blas_threads = rl_core_get_blas_threads ();
  GThread *t1, *t2;

  factor_layer (m, 0, 9);
  factor_layer (m, 1, 5);
  fill (x, (gsize) n * 64, 0.0f, 1.0f);
  naive_forward (m, x, n, want);

  t1 = g_thread_new ("forward-1", forward_job, &j1);
  t2 = g_thread_new ("forward-2", forward_job, &j2);
  g_thread_join (t1);
  g_thread_join (t2);
  g_assert_cmpfloat (max_abs_diff (o1, want, (gsize) n * 10), <=, 1e-5f);
  g_assert_cmpfloat (max_abs_diff (o2, want, (gsize) n * 10), <=, 1e-5f);
  /* the BLAS thread count a split forward lowers for its duration is back */
  g_assert_cmpuint (rl_core_get_blas_threads (), ==, blas_threads);
}

/* A split forward hands out its 256-row blocks to whichever thread asks
 * next: every block must be computed once, into its own rows, exactly as a
 * forward of that block alone, on 2 to 4 threads (more than cores too). */
static void
test_split_blocks_exact (void)
{
  const guint sizes[] = { 64, 90, 40, 10 };
  const guint n = 256 * 9 + 37;
  g_autoptr(RlModel) m = random_model (sizes, G_N_ELEMENTS (sizes), 8);
  g_autofree float *x = g_new (float, (gsize) n * 64);
  g_autofree float *want = g_new (float, (gsize) n * 10);
  g_autofree float *got = g_new (float, (gsize) n * 10);
  guint budget = rl_core_get_blas_threads ();

  factor_layer (m, 1, 7);
  fill (x, (gsize) n * 64, 0.0f, 1.0f);
  /* one block at a time, never split, with single-threaded BLAS as the
   * split forward's blocks */
  rl_core_set_blas_threads (1);
  for (guint row = 0; row < n; row += 256)
    rl_model_forward (m, x + (gsize) row * 64, MIN (256u, n - row), want + (gsize) row * 10, NULL);
  for (guint threads = 2; threads <= 4; threads++)
    {
      rl_core_set_blas_threads (threads);
      for (guint rep = 0; rep < 10; rep++)
        {
          memset (got, 0xff, (gsize) n * 10 * sizeof (float));   /* NaN: a block left out shows */
          rl_model_forward (m, x, n, got, NULL);
          g_assert_cmpmem (got, (gsize) n * 10 * sizeof (float), want, (gsize) n * 10 * sizeof (float));
        }
    }
  rl_core_set_blas_threads (budget);
}

static void
test_argmax (void)
{
  const float v[] = { 0.1f, 0.7f, -3.0f, 0.7f, 0.2f };
  const float one[] = { -1.0f };

  g_assert_cmpuint (rl_argmax (v, 5), ==, 1);     /* ties: the first */
  g_assert_cmpuint (rl_argmax (v + 2, 3), ==, 1);
  g_assert_cmpuint (rl_argmax (one, 1), ==, 0);
}

int
main (int argc, char **argv)
{
  rl_core_init (0);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/forward/naive-reference", test_naive);
  g_test_add_func ("/forward/predict-matches-batch", test_predict_matches_batch);
  g_test_add_func ("/forward/factored-equals-dense", test_factored_equals_dense);
  g_test_add_func ("/forward/workspace-reuse", test_workspace_reuse);
  g_test_add_func ("/forward/concurrent-split", test_concurrent_split);
  g_test_add_func ("/forward/split-blocks-exact", test_split_blocks_exact);
  g_test_add_func ("/forward/argmax", test_argmax);

  return g_test_run ();
}
