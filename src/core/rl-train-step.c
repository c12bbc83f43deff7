/* rl-train-step.c — one mini-batch: forward with kept activations, backward
 * with sgemm (dense W, or A and B of a factored layer), Adam(W).
 *
 * Notation per layer l: X = input rows (n × in), M = X·A (factored, n × r),
 * Z = X·W + bias (n × out), H = act (Z). Gradients are of the mean loss.
 *
 * Threads: a batch of 32 is too small for OpenBLAS to split each product
 * well. Measured on the 2-core machine, paper preset (batch 32): with
 * OpenBLAS's 2 threads a step took 2.1–2.4 ms of gradient (1 thread: 3.4)
 * plus 1.0 ms of Adam on one core, while OpenBLAS's idle thread spun in
 * sched_yield. The trainer instead keeps a team (rl-team.h) of one thread
 * per unit of the thread budget and splits every step itself: each product
 * by output columns (each thread packs only its own share of the weights,
 * and no thread's result needs adding to another's), the bias, activation
 * and mask passes with the same columns, and the Adam update by parameter
 * ranges; every BLAS call then runs on one thread
 * (rl_core_blas_single_begin). A step is 8–9 team jobs for the study's
 * four layers: 1.75–1.85 ms of gradient and 0.5 ms of Adam, 3.4–3.6 s per
 * paper epoch instead of 4.7–5.7. rl_train's fused step (rl-train-fused.c) then takes
 * 2.33–2.42 ms against 2.42–2.54 for gradient + Adam, timed side by side. Splitting the batch instead (each thread
 * a half batch, gradients summed) measured no faster: both threads then
 * pack all the weights. Each job is cut into 2 chunks per thread (8 for
 * Adam) that threads take as they come: 1 to 3 measured the same, 4 and 8
 * slower (smaller products).
 *
 * The two cores of our VMs are not always really parallel: for minutes at a
 * time, two threads ran a step 1.1–1.5× slower than one (two single-thread
 * sgemm 512³ loops side by side took 1.1–2.1× as long as one alone). Tried
 * and dropped: timing 10 steps with helpers and 10 without every 500 steps
 * and keeping the faster way. The machine changed faster than the probe
 * could tell, and over 18 runs of 750 steps it picked the slow way more
 * often (7 runs at 3.7–5.6 ms a step) than always using the helpers lost
 * (3 runs at 4.2–6.1 ms; usual 2.4–2.9, one thread alone 4.2–5.0).
 * Tried again and dropped: a pacer that watched the team's own step times
 * in 16-step windows, checked one thread when they doubled, fell back to
 * it while the team was slower, and tried the team again every 96 steps
 * (same chunks, same results). Side by side with the team alone, 100-step
 * blocks in turns for 40 s: 2.49 against 2.39 ms a step. The slow spells
 * lasted 1–5 s, one thread in them often took 5 ms rather than 4.2, and
 * the steps alone after a spell ended cost more than the spell saved. */

#include <math.h>
#include <string.h>

#include "rl-error.h"
#include "rl-forward.h"
#include "rl-trainer-private.h"

/* ---- trainer ----------------------------------------------------------- */

static void
add_param (RlTrainer *t,
           float     *w,
           gsize      len,
           gboolean   decay)
{
  Param *p = &t->params[t->n_params++];

  p->w = w;
  p->len = len;
  p->decay = decay;
  p->g = g_new0 (float, len);
  p->m = g_new0 (float, len);
  p->v = g_new0 (float, len);
  t->n_weights += len;
}

RlTrainer *
_rl_trainer_new (RlModel        *model,
                 guint           max_batch,
                 const RlRecipe *recipe)
{
  RlTrainer *t;
  guint width = 0, max_rank = 0, n_threads;

  g_return_val_if_fail (model != NULL && model->n_layers >= 1, NULL);
  g_return_val_if_fail (model->n_layers <= RL_MODEL_MAX_LAYERS, NULL);
  g_return_val_if_fail (max_batch >= 1, NULL);

  t = g_new0 (RlTrainer, 1);
  t->model = model;
  t->recipe = *recipe;
  t->max_batch = max_batch;
  t->h = g_new0 (float *, model->n_layers);
  t->mid = g_new0 (float *, model->n_layers);
  t->params = g_new0 (Param, 3 * model->n_layers);

  for (guint l = 0; l < model->n_layers; l++)
    {
      RlLayer *L = &model->layers[l];

      width = MAX (width, MAX (L->in, L->out));
      max_rank = MAX (max_rank, L->rank);
      t->h[l] = g_new (float, (gsize) max_batch * L->out);
      t->first_param[l] = t->n_params;
      if (L->rank == 0)
        add_param (t, L->w, (gsize) L->in * L->out, TRUE);
      else
        {
          t->mid[l] = g_new (float, (gsize) max_batch * L->rank);
          add_param (t, L->a, (gsize) L->in * L->rank, TRUE);
          add_param (t, L->b, (gsize) L->rank * L->out, TRUE);
        }
      add_param (t, L->bias, L->out, FALSE);
    }
  t->all_dense = !rl_model_is_factored (model);
  for (guint i = 0; i < G_N_ELEMENTS (t->dz); i++)
    t->dz[i] = g_new (float, (gsize) max_batch * width);
  t->dmid = g_new (float, (gsize) max_batch * MAX (max_rank, 1u));

  /* the thread budget (rl_core_set_blas_threads; cores by default) */
  n_threads = rl_core_get_blas_threads ();
  t->team = rl_team_new (n_threads);
  if (rl_team_size (t->team) > 1)
    rl_core_blas_single_begin ();
  return t;
}

void
_rl_trainer_free (RlTrainer *t)
{
  if (t == NULL)
    return;
  if (rl_team_size (t->team) > 1)
    rl_core_blas_single_end ();
  rl_team_free (t->team);
  for (guint l = 0; l < t->model->n_layers; l++)
    {
      g_free (t->h[l]);
      g_free (t->mid[l]);
    }
  for (guint i = 0; i < t->n_params; i++)
    {
      g_free (t->params[i].g);
      g_free (t->params[i].m);
      g_free (t->params[i].v);
    }
  g_free (t->h);
  g_free (t->mid);
  for (guint i = 0; i < G_N_ELEMENTS (t->dz); i++)
    g_free (t->dz[i]);
  g_free (t->dmid);
  g_free (t->params);
  g_free (t);
}

/* C (m × n, ldc) = op(A)·op(B); nothing for an empty range. */
void
_rl_train_sgemm (CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, gsize m, gsize n, gsize k,
                 const float *a, guint lda, const float *b, guint ldb, float *c, guint ldc)
{
  if (m == 0 || n == 0)
    return;
  cblas_sgemm (CblasRowMajor, ta, tb, (int) m, (int) n, (int) k, 1.0f,
               a, (int) lda, b, (int) ldb, 0.0f, c, (int) ldc);
}

void
_rl_train_mask_columns (float        *dx,
                        const float  *h,
                        guint         n,
                        guint         ld,
                        gsize         c0,
                        gsize         c1,
                        RlActivation  act)
{
  for (guint i = 0; i < n; i++)
    {
      float *d = dx + (gsize) i * ld;
      const float *hi = h + (gsize) i * ld;

      if (act == RL_ACT_RELU)
        for (gsize j = c0; j < c1; j++)
          d[j] = hi[j] > 0.0f ? d[j] : 0.0f;
      else if (act == RL_ACT_SIGMOID)
        for (gsize j = c0; j < c1; j++)
          d[j] *= hi[j] * (1.0f - hi[j]);
    }
}

static void
forward_chunk (RlTrainer *t,
               JobKind    kind,
               guint      l,
               guint      chunk,
               guint      n_chunks)
{
  const RlLayer *L = &t->model->layers[l];
  const float *src = l == 0 ? t->x : t->h[l - 1];
  gboolean last = l + 1 == t->model->n_layers;
  float *z = t->h[l];
  guint n = t->n;
  gsize c0, c1;

  if (kind == JOB_FORWARD_MID)
    {
      rl_team_range (L->rank, chunk, n_chunks, ALIGN_FLOATS, &c0, &c1);
      _rl_train_sgemm (CblasNoTrans, CblasNoTrans, n, c1 - c0, L->in, src, L->in, L->a + c0, L->rank,
                       t->mid[l] + c0, L->rank);
      return;
    }

  rl_team_range (L->out, chunk, n_chunks, ALIGN_FLOATS, &c0, &c1);
  if (L->rank == 0)
    _rl_train_sgemm (CblasNoTrans, CblasNoTrans, n, c1 - c0, L->in, src, L->in, L->w + c0, L->out,
                     z + c0, L->out);
  else
    _rl_train_sgemm (CblasNoTrans, CblasNoTrans, n, c1 - c0, L->rank, t->mid[l], L->rank,
                     L->b + c0, L->out, z + c0, L->out);
  _rl_bias_act (z, n, L->out, c0, c1, L->bias, last ? RL_ACT_NONE : L->act);
}

static void
backward_chunk (RlTrainer *t,
                JobKind    kind,
                guint      l,
                guint      chunk,
                guint      n_chunks)
{
  guint n = t->n;
  const RlLayer *L = &t->model->layers[l];
  const float *xin = l == 0 ? t->x : t->h[l - 1];
  const float *dz = _rl_trainer_dz (t, l);
  float *dx = l > 0 ? _rl_trainer_dz (t, l - 1) : NULL;
  Param *p = &t->params[t->first_param[l]];
  gsize c0, c1, d0, d1;

  rl_team_range (L->in, chunk, n_chunks, ALIGN_FLOATS, &d0, &d1);

  if (kind == JOB_BACKWARD_IN)   /* factored: gA = Xᵀ·dM, dX = dM·Aᵀ */
    {
      _rl_train_sgemm (CblasTrans, CblasNoTrans, d1 - d0, L->rank, n, xin + d0, L->in, t->dmid, L->rank,
                       p[0].g + d0 * L->rank, L->rank);
      if (l > 0)
        _rl_train_sgemm (CblasNoTrans, CblasTrans, n, d1 - d0, L->rank, t->dmid, L->rank,
                         L->a + d0 * L->rank, L->rank, dx + d0, L->in);
    }
  else
    {
      Param *pb = L->rank == 0 ? &p[1] : &p[2];

      rl_team_range (L->out, chunk, n_chunks, ALIGN_FLOATS, &c0, &c1);
      if (L->rank == 0)   /* gW = Xᵀ·dZ, dX = dZ·Wᵀ */
        {
          _rl_train_sgemm (CblasTrans, CblasNoTrans, L->in, c1 - c0, n, xin, L->in, dz + c0, L->out,
                           p[0].g + c0, L->out);
          if (l > 0)
            _rl_train_sgemm (CblasNoTrans, CblasTrans, n, d1 - d0, L->out, dz, L->out,
                             L->w + d0 * L->out, L->out, dx + d0, L->in);
        }
      else   /* gB = Mᵀ·dZ, dM = dZ·Bᵀ */
        {
          gsize r0, r1;

          rl_team_range (L->rank, chunk, n_chunks, ALIGN_FLOATS, &r0, &r1);
          _rl_train_sgemm (CblasTrans, CblasNoTrans, L->rank, c1 - c0, n, t->mid[l], L->rank, dz + c0,
                           L->out, p[1].g + c0, L->out);
          _rl_train_sgemm (CblasNoTrans, CblasTrans, n, r1 - r0, L->out, dz, L->out, L->b + r0 * L->out,
                           L->out, t->dmid + r0, L->rank);
        }

      memset (pb->g + c0, 0, (c1 - c0) * sizeof (float));
      for (guint i = 0; i < n; i++)
        {
          const float *row = dz + (gsize) i * L->out;

          for (gsize j = c0; j < c1; j++)
            pb->g[j] += row[j];
        }
      if (L->rank != 0)
        return;   /* dX comes in the JOB_BACKWARD_IN job */
    }

  if (l > 0)
    _rl_train_mask_columns (dx, t->h[l - 1], n, L->in, d0, d1, t->model->layers[l - 1].act);
}

/* Chunk of the parameters taken as one array, all tensors end to end. */
static void
adam_chunk (RlTrainer *t,
            guint      chunk,
            guint      n_chunks)
{
  gsize c0, c1, offset = 0;

  rl_team_range (t->n_weights, chunk, n_chunks, ALIGN_FLOATS, &c0, &c1);
  for (guint i = 0; i < t->n_params && offset < c1; offset += t->params[i++].len)
    {
      Param *p = &t->params[i];
      float decay = p->decay ? (float) (1.0 - t->lr * t->recipe.weight_decay) : 1.0f;
      gsize j0 = MAX (c0, offset) - offset, j1 = MIN (c1, offset + p->len);

      if (j1 <= offset || j0 >= p->len)
        continue;
      j1 -= offset;
      _rl_train_adam_update (p->w + j0, p->m + j0, p->v + j0, p->g + j0, j1 - j0,
                             t->b1, t->b2, t->lr_t, t->eps, decay);
    }
}

static void
run_chunk (guint    chunk,
           guint    n_chunks,
           gpointer data)
{
  RlTrainer *t = data;

  for (guint i = 0; i < t->n_jobs; i++)
    {
      const TrainJob *job = &t->jobs[i];

      if (chunk >= job->n_chunks)
        {
          chunk -= job->n_chunks;
          continue;
        }
      switch (job->kind)
        {
        case JOB_FORWARD_MID:
        case JOB_FORWARD_OUT:
          forward_chunk (t, job->kind, job->layer, chunk, job->n_chunks);
          break;
        case JOB_BACKWARD_OUT:
        case JOB_BACKWARD_IN:
          backward_chunk (t, job->kind, job->layer, chunk, job->n_chunks);
          break;
        case JOB_ADAM:
          adam_chunk (t, chunk, job->n_chunks);
          break;
        case JOB_DX:
          _rl_trainer_dx_chunk (t, job->layer, chunk, job->n_chunks);
          break;
        case JOB_GRAD_UPDATE:
        default:
          _rl_trainer_grad_update_chunk (t, job->layer, chunk, job->n_chunks);
          break;
        }
      return;
    }
}

void
_rl_trainer_add_job (RlTrainer *t,
                     JobKind    kind,
                     guint      layer)
{
  const RlLayer *L = &t->model->layers[layer];
  TrainJob *job;
  gsize total;
  guint per_thread = CHUNKS_PER_THREAD;

  g_return_if_fail (t->n_jobs < G_N_ELEMENTS (t->jobs));

  switch (kind)
    {
    case JOB_FORWARD_MID:
      total = L->rank;
      break;
    case JOB_FORWARD_OUT:
      total = L->out;
      break;
    case JOB_BACKWARD_OUT:
      total = MAX (L->out, L->rank == 0 && layer > 0 ? L->in : L->rank);
      break;
    case JOB_BACKWARD_IN:
    case JOB_DX:
      total = L->in;
      break;
    case JOB_ADAM:
      total = t->n_weights;
      per_thread = ADAM_CHUNKS_PER_THREAD;
      break;
    case JOB_GRAD_UPDATE:
    default:
      total = 0;
      break;
    }
  job = &t->jobs[t->n_jobs++];
  job->kind = kind;
  job->layer = layer;
  job->n_chunks = kind == JOB_GRAD_UPDATE
    ? _rl_trainer_grad_update_chunks (t, layer)
    : rl_team_chunks (t->team, total, ALIGN_FLOATS, per_thread);
}

void
_rl_trainer_run (RlTrainer *t)
{
  guint total = 0;

  for (guint i = 0; i < t->n_jobs; i++)
    total += t->jobs[i].n_chunks;
  rl_team_run (t->team, total, run_chunk, t);
  t->n_jobs = 0;
}

static void
run_job (RlTrainer *t,
         JobKind    kind,
         guint      layer)
{
  _rl_trainer_add_job (t, kind, layer);
  _rl_trainer_run (t);
}

/* Fills t->h (activations; logits for the last layer) for n rows of x. */
void
_rl_trainer_forward (RlTrainer   *t,
                     const float *x,
                     guint        n)
{
  t->x = x;
  t->n = n;
  for (guint l = 0; l < t->model->n_layers; l++)
    {
      if (t->model->layers[l].rank != 0)
        run_job (t, JOB_FORWARD_MID, l);
      run_job (t, JOB_FORWARD_OUT, l);
    }
}

/* The loss wrote ∂loss/∂Z of the last layer; fills every Param's g. */
static void
backward (RlTrainer   *t,
          const float *x,
          guint        n)
{
  t->x = x;
  t->n = n;
  for (guint l = t->model->n_layers; l-- > 0;)
    {
      run_job (t, JOB_BACKWARD_OUT, l);
      if (t->model->layers[l].rank != 0)
        run_job (t, JOB_BACKWARD_IN, l);
    }
}

double
_rl_trainer_loss (RlTrainer    *t,
                  const float  *x,
                  const guint8 *labels,
                  guint         n)
{
  const RlModel *model = t->model;
  guint k = model->layers[model->n_layers - 1].out;

  g_return_val_if_fail (n >= 1 && n <= t->max_batch, NAN);

  _rl_trainer_forward (t, x, n);
  return _rl_loss (t->recipe.loss, t->recipe.label_smoothing, t->h[model->n_layers - 1],
                   labels, n, k, NULL, NULL);
}

double
_rl_trainer_gradient (RlTrainer    *t,
                      const float  *x,
                      const guint8 *labels,
                      guint         n,
                      guint        *correct)
{
  const RlModel *model = t->model;
  guint k = model->layers[model->n_layers - 1].out;
  double loss;

  g_return_val_if_fail (n >= 1 && n <= t->max_batch, NAN);

  _rl_trainer_forward (t, x, n);
  loss = _rl_loss (t->recipe.loss, t->recipe.label_smoothing, t->h[model->n_layers - 1],
                   labels, n, k, _rl_trainer_dz (t, model->n_layers - 1), correct);
  if (isnan (loss))
    return loss;
  backward (t, x, n);
  return loss;
}

void
_rl_trainer_set_adam_step (RlTrainer *t,
                           double     lr)
{
  const RlRecipe *r = &t->recipe;

  t->t++;
  t->b1 = (float) r->beta1;
  t->b2 = (float) r->beta2;
  t->eps = (float) r->eps;
  t->lr = lr;
  t->lr_t = (float) (lr * sqrt (1.0 - pow (r->beta2, (double) t->t))
                     / (1.0 - pow (r->beta1, (double) t->t)));
}

/* Keras/TF Adam: lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ), w −= lr_t·m/(√v + ε̂). AdamW adds
 * the decoupled decay w −= lr·wd·w on kernels. */
void
_rl_trainer_step (RlTrainer *t,
                  double     lr)
{
  _rl_trainer_set_adam_step (t, lr);
  run_job (t, JOB_ADAM, 0);
}

void
_rl_trainer_get_gradient (RlTrainer *t,
                          RlModel   *grad)
{
  g_return_if_fail (grad != NULL && grad->n_layers == t->model->n_layers);

  for (guint l = 0; l < grad->n_layers; l++)
    {
      RlLayer *G = &grad->layers[l];
      Param *p = &t->params[t->first_param[l]];

      g_return_if_fail (G->rank == t->model->layers[l].rank);
      if (G->rank == 0)
        {
          memcpy (G->w, p[0].g, p[0].len * sizeof (float));
          memcpy (G->bias, p[1].g, p[1].len * sizeof (float));
        }
      else
        {
          memcpy (G->a, p[0].g, p[0].len * sizeof (float));
          memcpy (G->b, p[1].g, p[1].len * sizeof (float));
          memcpy (G->bias, p[2].g, p[2].len * sizeof (float));
        }
    }
}
