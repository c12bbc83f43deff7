/* rl-train-fused.c — rl_train's step for a model of dense layers.
 *
 * The same forward, loss, backward and Adam update as _rl_trainer_gradient
 * then _rl_trainer_step (rl-train-step.c), reordered so that each weight
 * row's gradient is updated into the weights while it is still in cache,
 * instead of being written out in full and read back by a separate Adam
 * pass. Layer l's update (B_l) must wait until dX = dZ·Wᵀ of that layer
 * (A_l) has read W, so the team runs A_{L−1}, then B_l beside A_{l−1} for
 * l = L−1 … 2, then B_1 beside B_0: four team runs for the backward and
 * update of the study's four layers instead of five. dZ of layer l lives
 * in dz[(L−1−l) mod 3]: a run reads two and writes a third. */

#include <math.h>
#include <string.h>

#include "rl-trainer-private.h"

/* A row chunk's gradient: 256 KB, within L2. 8,192 to 262,144 floats
 * measured the same within this VM's noise. */
#define GRAD_CHUNK_FLOATS 65536u

void
_rl_trainer_dx_chunk (RlTrainer *t,
                      guint      l,
                      guint      chunk,
                      guint      n_chunks)
{
  const RlLayer *L = &t->model->layers[l];
  float *dx = _rl_trainer_dz (t, l - 1);
  gsize d0, d1;

  rl_team_range (L->in, chunk, n_chunks, ALIGN_FLOATS, &d0, &d1);
  _rl_train_sgemm (CblasNoTrans, CblasTrans, t->n, d1 - d0, L->out, _rl_trainer_dz (t, l), L->out,
                   L->w + d0 * L->out, L->out, dx + d0, L->in);
  _rl_train_mask_columns (dx, t->h[l - 1], t->n, L->in, d0, d1, t->model->layers[l - 1].act);
}

/* Row chunks of the weights' gradient, plus one for the bias. */
guint
_rl_trainer_grad_update_chunks (RlTrainer *t,
                                guint      l)
{
  const RlLayer *L = &t->model->layers[l];
  gsize by_size = (gsize) L->in * L->out / GRAD_CHUNK_FLOATS;

  return (guint) CLAMP (MAX (by_size, (gsize) rl_team_size (t->team) * CHUNKS_PER_THREAD), 1u,
                        MIN (L->in, 0xfff0u)) + 1;
}

void
_rl_trainer_grad_update_chunk (RlTrainer *t,
                               guint      l,
                               guint      chunk,
                               guint      n_chunks)
{
  const RlLayer *L = &t->model->layers[l];
  const float *xin = l == 0 ? t->x : t->h[l - 1];
  const float *dz = _rl_trainer_dz (t, l);
  Param *p = &t->params[t->first_param[l]];
  guint n = t->n;

  if (chunk + 1 == n_chunks)   /* the last chunk: the bias */
    {
      memset (p[1].g, 0, L->out * sizeof (float));
      for (guint i = 0; i < n; i++)
        for (guint j = 0; j < L->out; j++)
          p[1].g[j] += dz[(gsize) i * L->out + j];
      _rl_train_adam_update (p[1].w, p[1].m, p[1].v, p[1].g, p[1].len,
                             t->b1, t->b2, t->lr_t, t->eps, 1.0f);
    }
  else
    {
      gsize d0, d1, off;
      float decay = (float) (1.0 - t->lr * t->recipe.weight_decay);

      rl_team_range (L->in, chunk, n_chunks - 1, 1, &d0, &d1);
      off = d0 * L->out;
      _rl_train_sgemm (CblasTrans, CblasNoTrans, d1 - d0, L->out, n, xin + d0, L->in, dz, L->out,
                       p[0].g + off, L->out);
      _rl_train_adam_update (p[0].w + off, p[0].m + off, p[0].v + off, p[0].g + off,
                             (d1 - d0) * L->out, t->b1, t->b2, t->lr_t, t->eps, decay);
    }
}

double
_rl_trainer_train_batch (RlTrainer    *t,
                         const float  *x,
                         const guint8 *labels,
                         guint         n,
                         double        lr,
                         guint        *correct)
{
  const RlModel *model = t->model;
  guint n_layers = model->n_layers, k = model->layers[n_layers - 1].out;
  double loss;

  g_return_val_if_fail (n >= 1 && n <= t->max_batch, NAN);

  if (!t->all_dense)
    {
      loss = _rl_trainer_gradient (t, x, labels, n, correct);
      if (!isnan (loss))
        _rl_trainer_step (t, lr);
      return loss;
    }

  _rl_trainer_forward (t, x, n);
  loss = _rl_loss (t->recipe.loss, t->recipe.label_smoothing, t->h[n_layers - 1],
                   labels, n, k, _rl_trainer_dz (t, n_layers - 1), correct);
  if (isnan (loss))
    return loss;

  _rl_trainer_set_adam_step (t, lr);
  t->x = x;
  t->n = n;
  if (n_layers > 1)
    {
      _rl_trainer_add_job (t, JOB_DX, n_layers - 1);
      _rl_trainer_run (t);
    }
  for (guint l = n_layers - 1; l >= 1; l--)
    {
      _rl_trainer_add_job (t, JOB_GRAD_UPDATE, l);
      if (l - 1 >= 1)
        _rl_trainer_add_job (t, JOB_DX, l - 1);
      else
        _rl_trainer_add_job (t, JOB_GRAD_UPDATE, 0);
      _rl_trainer_run (t);
    }
  if (n_layers == 1)
    {
      _rl_trainer_add_job (t, JOB_GRAD_UPDATE, 0);
      _rl_trainer_run (t);
    }
  return loss;
}
