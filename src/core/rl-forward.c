/* rl-forward.c — batched inference on OpenBLAS sgemm.
 *
 * The batch is cut into row blocks so that a block's activations (at most
 * block × widest layer floats) stay in cache. For each layer C = X·W (or
 * M = X·A, C = M·B for a factored layer: X·A first is always the cheaper
 * order for an in→out map), then one pass over C adds the bias and applies
 * the activation.
 *
 * A large batch's blocks are also shared out among one thread per unit of
 * the budget (rl_core_set_blas_threads; by default one per core), each
 * taking the next block nobody has taken and running it with
 * single-threaded BLAS calls. OpenBLAS's own threads split every product
 * instead, which pays for a rank-r model's many small products (and leaves
 * the bias and activation passes on one core): measured on the 2-core
 * machine, rank 25 over the 10,000 test images took 30 ms with OpenBLAS's 2
 * threads and 18–20 ms split by rows, and the dense model 171 against
 * 157–167 ms. A fixed contiguous share per thread made every forward wait
 * for the slowest thread (in turns, median of 31: rank 25 14.35 → 14.07 ms,
 * rank 50 27.3 → 26.0 with blocks taken as they come; the dense model the
 * same; blocks of 128 or 192 rows no better). Only one forward at a time
 * runs split (process-wide), so two concurrent callers (a GTask evaluation
 * and a sweep) each get a core instead of oversubscribing them. */

#include <math.h>
#include <string.h>
#include <cblas.h>
#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "rl-forward.h"
#include "rl-error.h"

/* Rows per block. Measured on the 2-core machine (10,000 images, 64–1024
 * rows, split by rows): the dense model is fastest at 256; rank 25 measured
 * 17.5–28 ms from 64 to 256 rows with no clear order (the machine's noise is
 * larger than the differences), so one block size serves both. */
#ifndef RL_FORWARD_BLOCK
#define RL_FORWARD_BLOCK 256u
#endif
/* Threads of one split forward, the caller's included. */
#define RL_FORWARD_MAX_WORKERS 8u

struct _RlWorkspace
{
  float *buf[2];      /* ping-pong activations, cap[i] floats each */
  gsize  cap[2];
  float *mid;         /* factored intermediate X·A */
  gsize  mid_cap;
  RlWorkspace *helpers[RL_FORWARD_MAX_WORKERS - 1];   /* the other threads' of a split forward */
};

/* 1 while a split forward runs: a concurrent one stays on its own thread. */
static gint split_forward_running;

RlWorkspace *
rl_workspace_new (void)
{
  return g_new0 (RlWorkspace, 1);
}

void
rl_workspace_free (RlWorkspace *ws)
{
  if (ws == NULL)
    return;
  g_free (ws->buf[0]);
  g_free (ws->buf[1]);
  g_free (ws->mid);
  for (guint i = 0; i < G_N_ELEMENTS (ws->helpers); i++)
    rl_workspace_free (ws->helpers[i]);
  g_free (ws);
}

static float *
ensure (float **p,
        gsize  *cap,
        gsize   need)
{
  if (*cap < need)
    {
      g_free (*p);
      *p = g_new (float, need);
      *cap = need;
    }
  return *p;
}

void
_rl_bias_act (float        *c,
              guint         rows,
              guint         ld,
              gsize         c0,
              gsize         c1,
              const float  *bias,
              RlActivation  act)
{
  for (guint i = 0; i < rows; i++)
    {
      float *row = c + (gsize) i * ld;

      switch (act)
        {
        case RL_ACT_RELU:
          {
            gsize j = c0;

#ifdef __SSE2__
            /* maxps (0, v) is 0 > v ? 0 : v, so a NaN propagates */
            for (; j + 4 <= c1; j += 4)
              _mm_storeu_ps (row + j,
                             _mm_max_ps (_mm_setzero_ps (),
                                         _mm_add_ps (_mm_loadu_ps (row + j),
                                                     _mm_loadu_ps (bias + j))));
#endif
            for (; j < c1; j++)
              {
                float v = row[j] + bias[j];
                row[j] = v < 0.0f ? 0.0f : v;   /* NaN propagates */
              }
          }
          break;
        case RL_ACT_SIGMOID:
          for (gsize j = c0; j < c1; j++)
            row[j] = 1.0f / (1.0f + expf (-(row[j] + bias[j])));
          break;
        case RL_ACT_NONE:
        default:
          for (gsize j = c0; j < c1; j++)
            row[j] += bias[j];
          break;
        }
    }
}

/* Rows per product pair of a factored layer. OpenBLAS (0.3.21, SkylakeX-
 * class builds such as the Cooperlake kernels our machines pick) multiplies
 * products of at most 10⁶ multiply-adds straight from the operands, without
 * first packing them into its blocked layout. For a skinny factor pair,
 * packing is a large share of the work, so the block's rows go through the
 * pair in chunks small enough for that path (multiples of 8 rows). Measured
 * on the 2-core machine, 10,000 images, paper plan: rank 10 10.2 → 6.8 ms,
 * 20 13.2 → 9.5, 25 16.2 → 12.8, 50 25.1 → 22.7, 100 45.8 → 41.9; chunks
 * of 1.5·10⁶ multiply-adds lost the gain. Where even 8 rows are over the
 * limit (rank ≳ 120 on the widest layer), the block goes through whole. */
#define RL_SMALL_PRODUCT 1000000u

static guint
factored_chunk (const RlLayer *layer,
                guint          rows)
{
  guint64 per_row = (guint64) layer->rank * MAX (layer->in, layer->out);
  guint64 chunk = RL_SMALL_PRODUCT / MAX (per_row, 1u) / 8 * 8;

  return chunk < 8 ? rows : (guint) MIN (chunk, rows);
}

/* out (rows × layer->out) = act (x · W + bias). mid holds rows × rank. */
static void
layer_forward (const RlLayer *layer,
               const float   *x,
               guint          rows,
               float         *out,
               float         *mid)
{
  if (layer->rank == 0)
    {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   (int) rows, (int) layer->out, (int) layer->in,
                   1.0f, x, (int) layer->in, layer->w, (int) layer->out,
                   0.0f, out, (int) layer->out);
      _rl_bias_act (out, rows, layer->out, 0, layer->out, layer->bias, layer->act);
      return;
    }

  for (guint row = 0, chunk = factored_chunk (layer, rows); row < rows; row += chunk)
    {
      guint k = MIN (chunk, rows - row);
      float *o = out + (gsize) row * layer->out;

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   (int) k, (int) layer->rank, (int) layer->in,
                   1.0f, x + (gsize) row * layer->in, (int) layer->in, layer->a, (int) layer->rank,
                   0.0f, mid, (int) layer->rank);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                   (int) k, (int) layer->out, (int) layer->rank,
                   1.0f, mid, (int) layer->rank, layer->b, (int) layer->out,
                   0.0f, o, (int) layer->out);
      _rl_bias_act (o, k, layer->out, 0, layer->out, layer->bias, layer->act);
    }
}

static gboolean
model_usable (const RlModel *model)
{
  if (model == NULL || model->n_layers == 0 || model->layers == NULL)
    return FALSE;
  for (guint l = 0; l < model->n_layers; l++)
    {
      const RlLayer *L = &model->layers[l];

      if (l > 0 && L->in != model->layers[l - 1].out)
        return FALSE;
      if (L->bias == NULL)
        return FALSE;
      if (L->rank == 0 ? L->w == NULL : (L->a == NULL || L->b == NULL))
        return FALSE;
    }
  return TRUE;
}

/* Makes ws hold the activations of blocks of up to `block` rows of model. */
static void
workspace_fit (RlWorkspace   *ws,
               const RlModel *model,
               guint          block)
{
  guint width = 0, max_rank = 0;

  for (guint l = 0; l + 1 < model->n_layers; l++)
    width = MAX (width, model->layers[l].out);
  for (guint l = 0; l < model->n_layers; l++)
    max_rank = MAX (max_rank, model->layers[l].rank);
  if (width > 0)
    {
      ensure (&ws->buf[0], &ws->cap[0], (gsize) block * width);
      ensure (&ws->buf[1], &ws->cap[1], (gsize) block * width);
    }
  if (max_rank > 0)
    ensure (&ws->mid, &ws->mid_cap, (gsize) block * max_rank);
}

/* One block of rows (no more than ws was fitted for) through every layer. */
static void
forward_block (const RlModel *model,
               const float   *x,
               guint          rows,
               float         *out,
               RlWorkspace   *ws)
{
  const float *src = x;

  for (guint l = 0; l < model->n_layers; l++)
    {
      float *dst = l + 1 == model->n_layers ? out : ws->buf[l & 1];

      layer_forward (&model->layers[l], src, rows, dst, ws->mid);
      src = dst;
    }
}

/* Rows [0, n) of x through every layer, block by block, on this thread. */
static void
forward_rows (const RlModel *model,
              const float   *x,
              guint          n,
              float         *out,
              RlWorkspace   *ws,
              guint          block)
{
  guint in = model->layers[0].in, n_out = rl_model_output_size (model);

  block = MIN (n, block);
  workspace_fit (ws, model, block);
  for (guint row = 0; row < n; row += block)
    forward_block (model, x + (gsize) row * in, MIN (block, n - row), out + (gsize) row * n_out, ws);
}

/* A split forward: its workers take whole blocks, one at a time, from one
 * counter until none is left. */
typedef struct
{
  const RlModel *model;
  const float   *x;
  guint          n;
  float         *out;
  guint          block;
  guint          n_blocks;
  gint           next;      /* the next block nobody has taken */
} Split;

typedef struct
{
  Split       *split;
  RlWorkspace *ws;   /* the worker's own */
} Share;

static gpointer
share_worker (gpointer data)
{
  Share *share = data;
  Split *split = share->split;
  guint in = split->model->layers[0].in, n_out = rl_model_output_size (split->model);
  guint b;

  workspace_fit (share->ws, split->model, split->block);
  while ((b = (guint) g_atomic_int_add (&split->next, 1)) < split->n_blocks)
    {
      gsize first = (gsize) b * split->block;

      forward_block (split->model, split->x + first * in, MIN (split->block, split->n - (guint) first),
                     split->out + first * n_out, share->ws);
    }
  return NULL;
}

/* Blocks taken as they come by one thread per unit of the thread budget,
 * so a thread the host holds back leaves its blocks to the others. FALSE
 * (nothing done) when the batch is too small to split or another split
 * forward runs. */
static gboolean
forward_split (const RlModel *model,
               const float   *x,
               guint          n,
               float         *out,
               RlWorkspace   *ws,
               guint          block)
{
  /* the thread budget, as the trainer's team (rl_core_set_blas_threads) */
  guint n_workers = MIN (rl_core_get_blas_threads (), RL_FORWARD_MAX_WORKERS);
  GThread *threads[RL_FORWARD_MAX_WORKERS] = { NULL };
  Share shares[RL_FORWARD_MAX_WORKERS];
  Split split = { model, x, n, out, block, (n + block - 1) / block, 0 };

  n_workers = MIN (n_workers, split.n_blocks / 2);   /* at least two blocks each */
  if (n_workers < 2 || !g_atomic_int_compare_and_exchange (&split_forward_running, 0, 1))
    return FALSE;

  rl_core_blas_single_begin ();
  for (guint i = 0; i < n_workers; i++)
    {
      shares[i].split = &split;
      if (i == 0)
        shares[i].ws = ws;
      else
        {
          if (ws->helpers[i - 1] == NULL)
            ws->helpers[i - 1] = rl_workspace_new ();
          shares[i].ws = ws->helpers[i - 1];
          threads[i] = g_thread_try_new ("rl-forward", share_worker, &shares[i], NULL);
        }
    }
  share_worker (&shares[0]);   /* then every block is taken: a helper that never started has none left */
  for (guint i = 1; i < n_workers; i++)
    if (threads[i] != NULL)
      g_thread_join (threads[i]);

  rl_core_blas_single_end ();
  g_atomic_int_set (&split_forward_running, 0);
  return TRUE;
}

void
rl_model_forward (const RlModel *model,
                  const float   *x,
                  guint          n,
                  float         *out,
                  RlWorkspace   *ws)
{
  g_autoptr(RlWorkspace) own = NULL;

  g_return_if_fail (model_usable (model));
  g_return_if_fail (n == 0 || (x != NULL && out != NULL));

  if (n == 0)
    return;
  if (ws == NULL)
    ws = own = rl_workspace_new ();

  if (!forward_split (model, x, n, out, ws, RL_FORWARD_BLOCK))
    forward_rows (model, x, n, out, ws, RL_FORWARD_BLOCK);
}

guint
rl_model_predict (const RlModel *model,
                  const float   *x,
                  float         *probs)
{
  g_autoptr(RlWorkspace) ws = NULL;
  g_autofree float *tmp = NULL;
  guint n_out;

  g_return_val_if_fail (model_usable (model), 0);
  g_return_val_if_fail (x != NULL, 0);

  n_out = model->layers[model->n_layers - 1].out;
  if (probs == NULL)
    probs = tmp = g_new (float, n_out);

  ws = rl_workspace_new ();
  rl_model_forward (model, x, 1, probs, ws);
  return rl_argmax (probs, n_out);
}

guint
rl_argmax (const float *v,
           guint        n)
{
  guint best = 0;

  g_return_val_if_fail (v != NULL || n == 0, 0);

  for (guint i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}

const char *
rl_model_class_probabilities (const RlModel *model,
                              const float   *outputs,
                              float         *out)
{
  const char *loss;
  guint n;
  double sum = 0.0;

  g_return_val_if_fail (model != NULL && outputs != NULL && out != NULL, NULL);

  n = rl_model_output_size (model);
  loss = rl_model_get_meta (model, "loss");

  if (loss != NULL && g_str_has_prefix (loss, "softmax"))
    {
      double logits[64], top = -G_MAXDOUBLE;

      g_return_val_if_fail (n <= G_N_ELEMENTS (logits), NULL);
      for (guint i = 0; i < n; i++)
        {
          double p = CLAMP ((double) outputs[i], 1e-7, 1.0 - 1e-7);

          logits[i] = log (p / (1.0 - p));
          top = MAX (top, logits[i]);
        }
      for (guint i = 0; i < n; i++)
        sum += (logits[i] = exp (logits[i] - top));
      for (guint i = 0; i < n; i++)
        out[i] = (float) (logits[i] / sum);
      return "softmax of the logits";
    }

  for (guint i = 0; i < n; i++)
    sum += isfinite (outputs[i]) && outputs[i] > 0 ? outputs[i] : 0.0;
  for (guint i = 0; i < n; i++)
    out[i] = sum > 0 && isfinite (outputs[i]) && outputs[i] > 0 ? (float) (outputs[i] / sum) : 0.0f;
  return "sigmoid outputs divided by their sum";
}
