/* test-train.c — losses, backprop (finite differences), training, cancel. */
#include <math.h>
#include <string.h>

#include "rl-core.h"
#include "rl-trainer-private.h"

static guint64 rng_state;

static double
urand (void)
{
  guint64 z = (rng_state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  z ^= z >> 31;
  return (z >> 11) * (1.0 / 9007199254740992.0);
}

static void
fill (float *v, gsize n, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) (lo + (hi - lo) * urand ());
}

/* ---- losses against finite differences ---------------------------------- */

static void
check_loss_gradient (RlLoss loss, double ls)
{
  const guint n = 6, k = 10;
  float z[60], dz[60];
  guint8 labels[6];
  double worst = 0.0;

  rng_state = 11;
  fill (z, n * k, -3.0, 3.0);
  for (guint i = 0; i < n; i++)
    labels[i] = (guint8) ((i * 7) % k);

  _rl_loss (loss, ls, z, labels, n, k, dz, NULL);
  for (guint i = 0; i < n * k; i++)
    {
      const float h = 1e-2f;
      float keep = z[i];
      double lp, lm, fd;

      z[i] = keep + h;
      lp = _rl_loss (loss, ls, z, labels, n, k, NULL, NULL);
      z[i] = keep - h;
      lm = _rl_loss (loss, ls, z, labels, n, k, NULL, NULL);
      z[i] = keep;
      fd = (lp - lm) / (2.0 * h);
      worst = MAX (worst, fabs (fd - dz[i]));
    }
  /* central differences: O(h²) ≈ 1e-5 here; the gradients are O(0.1) */
  g_assert_cmpfloat (worst, <, 1e-4);
}

static void
test_loss_keras_gradient (void)
{
  check_loss_gradient (RL_LOSS_KERAS_CCE, 0.0);
}

static void
test_loss_softmax_gradient (void)
{
  check_loss_gradient (RL_LOSS_SOFTMAX_CE, 0.0);
  check_loss_gradient (RL_LOSS_SOFTMAX_CE, 0.1);
}

static void
test_loss_keras_values (void)
{
  /* p = σ(z); loss = −log(p_c / Σp) computed independently */
  const float z[3] = { 0.0f, 1.0f, -2.0f };
  const guint8 label = 1;
  double p[3], s = 0.0, want;
  float dz[3];
  float sure[3] = { -30.0f, 30.0f, -30.0f };
  guint correct = 99;

  for (guint j = 0; j < 3; j++)
    s += p[j] = 1.0 / (1.0 + exp (-z[j]));
  want = -log (p[1] / s);
  g_assert_cmpfloat_with_epsilon (_rl_loss (RL_LOSS_KERAS_CCE, 0.0, z, &label, 1, 3, dz, &correct),
                                  want, 1e-12);
  g_assert_cmpuint (correct, ==, 1);
  /* closed form of the derivative for the true class: (p_c/s − 1)(1 − p_c) */
  g_assert_cmpfloat_with_epsilon (dz[1], (p[1] / s - 1.0) * (1.0 - p[1]), 1e-6);

  /* q_c > 1 − ε: Keras clips, loss is −log(1 − 1e-7) and the gradient is 0 */
  g_assert_cmpfloat_with_epsilon (_rl_loss (RL_LOSS_KERAS_CCE, 0.0, sure, &label, 1, 3, dz, NULL),
                                  -log (1.0 - 1e-7), 1e-12);
  for (guint j = 0; j < 3; j++)
    g_assert_cmpfloat (dz[j], ==, 0.0f);

  /* softmax CE, no smoothing: log-sum-exp minus the true logit */
  g_assert_cmpfloat_with_epsilon (_rl_loss (RL_LOSS_SOFTMAX_CE, 0.0, z, &label, 1, 3, NULL, NULL),
                                  log (exp (0.0) + exp (1.0) + exp (-2.0)) - 1.0, 1e-12);
}

/* ---- backprop against finite differences -------------------------------- */

/* A trainer whose team has n_threads threads (the budget when it is made);
 * the budget is then put back. */
static RlTrainer *
trainer_on_threads (RlModel *m, guint max_batch, const RlRecipe *recipe, guint n_threads)
{
  guint budget = rl_core_get_blas_threads ();
  RlTrainer *t;

  rl_core_set_blas_threads (n_threads);
  t = _rl_trainer_new (m, max_batch, recipe);
  rl_core_set_blas_threads (budget);
  return t;
}

static gboolean
close_enough (double fd, double analytic)
{
  return fabs (fd - analytic) <= 2e-4 + 0.02 * fabs (fd);
}

/* Backprop of a model of the given sizes (layer 1 factored at rank when
 * rank > 0) against central differences, by a trainer whose team has
 * n_threads threads. Wide layers cut into several 16-column chunks, so
 * every product, bias, mask and update is split between threads. */
static void
check_model_gradient_sized (RlLoss loss, const guint *sizes, guint n_sizes, guint rank,
                            guint n_threads)
{
  const guint n = 11;
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) m = rl_model_new (sizes, n_sizes, &error);
  g_autoptr(RlModel) grad = NULL;
  g_autoptr(RlTrainer) t = NULL;
  RlRecipe recipe;
  g_autofree float *x = g_new (float, (gsize) n * sizes[0]);
  guint8 labels[11];
  guint checked = 0, bad = 0, kinks = 0;
  double l0;

  g_assert_no_error (error);
  rl_model_init_weights (m, RL_INIT_HE_UNIFORM, 5);
  rng_state = 23;
  for (guint l = 0; l < m->n_layers; l++)
    fill (m->layers[l].bias, m->layers[l].out, 0.05, 0.3);
  if (rank > 0)
    {
      RlLayer *L = &m->layers[1];

      g_clear_pointer (&L->w, g_free);
      L->rank = rank;
      L->a = g_new (float, L->in * rank);
      L->b = g_new (float, rank * L->out);
      fill (L->a, L->in * rank, -0.6, 0.6);
      fill (L->b, rank * L->out, -0.6, 0.6);
    }
  fill (x, (gsize) n * sizes[0], 0.0, 1.0);
  for (guint i = 0; i < n; i++)
    labels[i] = (guint8) (i % 5);

  _rl_recipe_init (&recipe, RL_PRESET_DEFAULT);
  recipe.loss = loss;
  recipe.label_smoothing = loss == RL_LOSS_SOFTMAX_CE ? 0.1 : 0.0;
  t = trainer_on_threads (m, n, &recipe, n_threads);
  g_assert_true (isfinite (_rl_trainer_gradient (t, x, labels, n, NULL)));
  l0 = _rl_trainer_loss (t, x, labels, n);
  grad = rl_model_copy (m);
  _rl_trainer_get_gradient (t, grad);

  for (guint l = 0; l < m->n_layers; l++)
    {
      RlLayer *L = &m->layers[l], *G = &grad->layers[l];
      float *tensors[3] = { L->rank ? L->a : L->w, L->rank ? L->b : L->bias, L->rank ? L->bias : NULL };
      float *gt[3] = { G->rank ? G->a : G->w, G->rank ? G->b : G->bias, G->rank ? G->bias : NULL };
      gsize lens[3] = { L->rank ? (gsize) L->in * L->rank : (gsize) L->in * L->out,
                        L->rank ? (gsize) L->rank * L->out : L->out, L->out };

      for (guint k = 0; k < 3 && tensors[k] != NULL; k++)
        for (gsize i = 0; i < lens[k]; i++)
          {
            const float h = 2e-3f;
            float keep = tensors[k][i];
            double lp, lm, fd, fp, fm;

            tensors[k][i] = keep + h;
            lp = _rl_trainer_loss (t, x, labels, n);
            tensors[k][i] = keep - h;
            lm = _rl_trainer_loss (t, x, labels, n);
            tensors[k][i] = keep;
            fd = (lp - lm) / (2.0 * h);
            fp = (lp - l0) / h;
            fm = (l0 - lm) / h;
            checked++;
            /* float32 forward: allow rounding noise. A ReLU whose input is
             * within h of 0 (a kink) makes the two one-sided differences
             * disagree; backprop then gives one of them, not their mean.
             * One such unit spoils its whole fan-in. */
            if (close_enough (fd, gt[k][i]))
              continue;
            if (!close_enough (fp, fm) && (close_enough (fp, gt[k][i]) || close_enough (fm, gt[k][i])))
              kinks++;
            else
              bad++;
          }
    }
  g_test_message ("%u of %u differ, %u at a ReLU kink", bad, checked, kinks);
  g_assert_cmpuint (checked, >, 150);
  g_assert_cmpuint (bad, <=, checked / 100);
  g_assert_cmpuint (kinks, <=, checked / 20);
}

static void
check_model_gradient (RlLoss loss, gboolean factored)
{
  const guint sizes[] = { 9, 8, 7, 5 };

  check_model_gradient_sized (loss, sizes, G_N_ELEMENTS (sizes), factored ? 3 : 0, 2);
}

static void
test_gradient_dense_keras (void)
{
  check_model_gradient (RL_LOSS_KERAS_CCE, FALSE);
}

static void
test_gradient_dense_softmax (void)
{
  check_model_gradient (RL_LOSS_SOFTMAX_CE, FALSE);
}

static void
test_gradient_factored_keras (void)
{
  check_model_gradient (RL_LOSS_KERAS_CCE, TRUE);
}

static void
test_gradient_factored_softmax (void)
{
  check_model_gradient (RL_LOSS_SOFTMAX_CE, TRUE);
}

/* 70 → 45 → 37 → 10 on a team of 3: column ranges [0,16) [16,32) [32,…)
 * and ranks 20 and 0 (dense) cut between threads. */
static void
test_gradient_split (void)
{
  const guint sizes[] = { 70, 45, 37, 10 };

  check_model_gradient_sized (RL_LOSS_SOFTMAX_CE, sizes, G_N_ELEMENTS (sizes), 0, 3);
  check_model_gradient_sized (RL_LOSS_SOFTMAX_CE, sizes, G_N_ELEMENTS (sizes), 20, 3);
}

/* n + spare rows of in uniform [0, 1) pixels (seeded) and n labels
 * (i·step mod 10). */
static float *
random_batch (guint64 seed, guint n, guint spare, guint in, guint step, guint8 *labels)
{
  float *x = g_new (float, (gsize) (n + spare) * in);

  rng_state = seed;
  fill (x, (gsize) (n + spare) * in, 0.0, 1.0);
  for (guint i = 0; i < n; i++)
    labels[i] = (guint8) ((i * step) % 10);
  return x;
}

/* The gradient does not depend on the team's size (every output element
 * is one thread's sum, in the same order but for BLAS's own blocking), and
 * Adam's first step, split by ranges, moves every parameter by the
 * learning rate (|m̂/√v̂| = 1 when |g| ≫ ε). */
static void
test_threads_agree (void)
{
  const guint sizes[] = { 300, 90, 70, 10 };
  const guint n = 32, budget = rl_core_get_blas_threads ();
  const double lr = 1e-3;
  g_autoptr(RlModel) first = NULL;
  guint8 labels[32];
  g_autofree float *x = random_batch (41, n, 0, 300, 1, labels);
  RlRecipe recipe;

  _rl_recipe_init (&recipe, RL_PRESET_DEFAULT);
  recipe.weight_decay = 0.0;

  for (guint threads = 1; threads <= 4; threads++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RlModel) m = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
      g_autoptr(RlModel) before = NULL;
      g_autoptr(RlModel) grad = NULL;
      g_autoptr(RlTrainer) t = NULL;
      guint moved = 0, flat = 0;

      g_assert_no_error (error);
      rl_model_init_weights (m, RL_INIT_HE_UNIFORM, 9);
      t = trainer_on_threads (m, n, &recipe, threads);
      g_assert_true (isfinite (_rl_trainer_gradient (t, x, labels, n, NULL)));
      grad = rl_model_copy (m);
      _rl_trainer_get_gradient (t, grad);
      before = rl_model_copy (m);
      _rl_trainer_step (t, lr);

      for (guint l = 0; l < m->n_layers; l++)
        {
          const RlLayer *G = &grad->layers[l], *B = &before->layers[l], *L = &m->layers[l];
          const float *gs[2] = { G->w, G->bias }, *bs[2] = { B->w, B->bias }, *ls[2] = { L->w, L->bias };
          gsize lens[2] = { (gsize) L->in * L->out, L->out };

          for (guint k = 0; k < 2; k++)
            for (gsize i = 0; i < lens[k]; i++)
              {
                double step = fabs ((double) bs[k][i] - ls[k][i]), want;

                if (first != NULL)
                  {
                    const RlLayer *F = &first->layers[l];
                    const float *fs = k == 0 ? F->w : F->bias;

                    g_assert_cmpfloat (fabsf (fs[i] - gs[k][i]), <=, 1e-6f + 1e-4f * fabsf (fs[i]));
                  }
                /* Keras' first step: lr·g / (|g| + ε/√(1 − β2)) */
                want = lr * fabs (gs[k][i]) / (fabs (gs[k][i]) + recipe.eps / sqrt (1.0 - recipe.beta2));
                g_assert_cmpfloat (fabs (step - want), <=, 2e-7 + 1e-6 * fabs (bs[k][i]));
                if (want > 0.9 * lr)
                  moved++;
                else
                  flat++;
              }
        }
      g_assert_cmpuint (moved, >, 4 * flat);   /* not a degenerate, mostly zero gradient */
      if (first == NULL)
        first = g_steal_pointer (&grad);
    }
  g_assert_cmpuint (rl_core_get_blas_threads (), ==, budget);
}

/* rl_train's fused step (gradient rows into Adam while in cache) is the
 * separate gradient + step, reordered: the same weights after a few steps,
 * on teams of 1 and 3 threads, and NaN leaves the weights alone. */
static void
test_fused_step (void)
{
  const guint sizes[] = { 300, 90, 70, 10 };
  const guint n = 32;
  guint8 labels[32];
  /* a spare row: step k reads the batch starting 7·k floats in */
  g_autofree float *x = random_batch (43, n, 1, 300, 3, labels);
  RlRecipe recipe;

  _rl_recipe_init (&recipe, RL_PRESET_DEFAULT);   /* with weight decay */

  for (guint threads = 1; threads <= 3; threads += 2)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RlModel) fused = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
      g_autoptr(RlModel) separate = NULL;
      g_autoptr(RlModel) init = NULL;
      g_autoptr(RlTrainer) tf = NULL;
      g_autoptr(RlTrainer) ts = NULL;
      guint ok_f = 0, ok_s = 0;

      g_assert_no_error (error);
      rl_model_init_weights (fused, RL_INIT_HE_UNIFORM, 13);
      separate = rl_model_copy (fused);
      init = rl_model_copy (fused);
      tf = trainer_on_threads (fused, n, &recipe, threads);
      ts = trainer_on_threads (separate, n, &recipe, threads);
      for (guint step = 0; step < 4; step++)
        {
          const float *xs = x + step * 7;
          double lf = _rl_trainer_train_batch (tf, xs, labels, n, 1e-3, &ok_f);
          double ls = _rl_trainer_gradient (ts, xs, labels, n, &ok_s);

          _rl_trainer_step (ts, 1e-3);
          g_assert_cmpfloat (fabs (lf - ls), <=, 1e-6 * (1.0 + fabs (ls)));
          g_assert_cmpuint (ok_f, ==, ok_s);
        }
      for (guint l = 0; l < fused->n_layers; l++)
        {
          const RlLayer *F = &fused->layers[l], *S = &separate->layers[l], *N = &init->layers[l];
          double worst = 0.0, moved = 0.0;

          for (gsize i = 0; i < (gsize) F->in * F->out; i++)
            {
              worst = MAX (worst, fabs ((double) F->w[i] - S->w[i]));
              moved = MAX (moved, fabs ((double) F->w[i] - N->w[i]));
            }
          for (guint j = 0; j < F->out; j++)
            worst = MAX (worst, fabs ((double) F->bias[j] - S->bias[j]));
          g_assert_cmpfloat (worst, <=, 1e-6);
          g_assert_cmpfloat (moved, >=, 2e-3);   /* 4 steps of about lr = 1e-3 each */
        }

      /* a NaN input: NaN loss, no update */
      {
        g_autoptr(RlModel) keep = rl_model_copy (fused);
        g_autofree float *bad = g_memdup2 (x, (gsize) n * 300 * sizeof (float));

        bad[5] = NAN;
        g_assert_true (isnan (_rl_trainer_train_batch (tf, bad, labels, n, 1e-3, NULL)));
        for (guint l = 0; l < fused->n_layers; l++)
          g_assert_cmpmem (fused->layers[l].w, (gsize) sizes[l] * sizes[l + 1] * sizeof (float),
                           keep->layers[l].w, (gsize) sizes[l] * sizes[l + 1] * sizeof (float));
      }
    }
}

/* Every Adam path (one lane, SSE, AVX2 where the processor has it) gives
 * bit-identical parameters: lengths that leave every tail size, gradients
 * of every magnitude (zero, tiny, huge), 3 steps with AdamW decay. */
static void
test_adam_paths_agree (void)
{
  const char *paths[] = { "scalar", "sse", "avx2" };
  const gsize lens[] = { 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 1000, 1027 };
  guint compared = 0;

  for (guint li = 0; li < G_N_ELEMENTS (lens); li++)
    {
      gsize len = lens[li];
      g_autofree float *g = g_new (float, len);
      g_autofree float *ref = NULL;

      rng_state = 5 + li;
      for (gsize j = 0; j < len; j++)
        {
          double u = urand ();

          g[j] = j % 5 == 0 ? 0.0f : (float) ((u - 0.5) * pow (10.0, (double) (j % 13) - 8.0));
        }
      for (guint p = 0; p < G_N_ELEMENTS (paths); p++)
        {
          g_autofree float *w = g_new (float, len), *m = g_new0 (float, len), *v = g_new0 (float, len);

          if (!_rl_train_adam_select (paths[p]))
            {
              g_test_message ("Adam path %s: not on this processor", paths[p]);
              continue;
            }
          rng_state = 99;
          fill (w, len, -1.0, 1.0);
          for (guint step = 0; step < 3; step++)
            _rl_train_adam_update (w, m, v, g, len, 0.9f, 0.999f, 1e-3f * (step + 1), 1e-7f, 0.9999f);
          if (ref == NULL)
            {
              g_autofree float *w0 = g_new (float, len);
              gsize moved = 0;

              rng_state = 99;
              fill (w0, len, -1.0, 1.0);
              for (gsize j = 0; j < len; j++)
                moved += w[j] != w0[j];
              g_assert_cmpuint (moved, >=, len / 2);   /* the update is not a no-op */
              ref = g_memdup2 (w, len * sizeof (float));
            }
          else
            {
              g_assert_cmpmem (w, len * sizeof (float), ref, len * sizeof (float));
              compared++;
            }
        }
    }
  g_assert_true (_rl_train_adam_select (NULL));
  g_assert_false (_rl_train_adam_select ("avx9"));
  g_assert_cmpuint (compared, >=, G_N_ELEMENTS (lens));   /* at least SSE against one lane */
}

/* ---- training ----------------------------------------------------------- */

/* Separable synthetic digits: each class is a fixed random 28×28 pattern,
 * each image that pattern with 70 % of its pixels replaced by noise
 * (hard enough that a broken trainer shows, easy for a working one). */
static RlDataset *
synthetic (guint n, guint64 seed)
{
  RlDataset *ds = g_new0 (RlDataset, 1);
  float protos[10][784];

  rng_state = 777;   /* same classes for every split */
  for (guint c = 0; c < 10; c++)
    for (guint p = 0; p < 784; p++)
      protos[c][p] = urand () < 0.3 ? 1.0f : 0.0f;
  rng_state = seed;
  ds->n = n;
  ds->rows = ds->cols = 28;
  ds->images = g_new (float, (gsize) n * 784);
  ds->labels = g_new (guint8, n);
  for (guint i = 0; i < n; i++)
    {
      guint c = (guint) (urand () * 10) % 10;

      ds->labels[i] = (guint8) c;
      for (guint p = 0; p < 784; p++)
        ds->images[(gsize) i * 784 + p] = urand () < 0.7 ? (float) urand () : protos[c][p];
    }
  return ds;
}

/* Real MNIST when RANKLAB_MNIST_DIR is set (first `n` of the split), else synthetic. */
static RlDataset *
data_for_test (RlSplit split, guint n, gboolean *real)
{
  const char *dir = g_getenv ("RANKLAB_MNIST_DIR");

  *real = FALSE;
  if (dir != NULL && *dir != '\0')
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RlDataset) all = rl_dataset_load_dir (dir, split, &error);

      g_assert_no_error (error);
      *real = TRUE;
      return rl_dataset_slice (all, 0, MIN (n, all->n));
    }
  return synthetic (n, split == RL_SPLIT_TRAIN ? 1 : 2);
}

static double
accuracy (const RlModel *m, const RlDataset *ds)
{
  g_autofree float *out = g_new (float, (gsize) ds->n * 10);
  guint ok = 0;

  rl_model_forward (m, ds->images, ds->n, out, NULL);
  for (guint i = 0; i < ds->n; i++)
    ok += rl_argmax (out + (gsize) i * 10, 10) == ds->labels[i];
  return (double) ok / ds->n;
}

typedef struct
{
  guint  calls;
  guint  epoch_ends;
  double last_elapsed;
} ProgressLog;

static void
log_progress (const RlTrainProgress *p, gpointer user_data)
{
  ProgressLog *log = user_data;

  log->calls++;
  g_assert_cmpuint (p->epoch, >=, 1);
  g_assert_cmpuint (p->epoch, <=, p->epochs);
  g_assert_cmpuint (p->step, >=, 1);
  g_assert_cmpuint (p->step, <=, p->steps);
  g_assert_true (isfinite (p->loss) && p->loss >= 0.0);
  g_assert_cmpfloat (p->accuracy, >=, 0.0);
  g_assert_cmpfloat (p->accuracy, <=, 1.0);
  g_assert_cmpfloat (p->elapsed_s, >=, log->last_elapsed);
  g_assert_cmpfloat (p->eta_s, >=, 0.0);
  log->last_elapsed = p->elapsed_s;
  if (p->step == p->steps)
    log->epoch_ends++;
}

static RlModel *
train_small (RlPreset preset, guint64 seed, const RlDataset *train, ProgressLog *log)
{
  const guint sizes[] = { 784, 64, 10 };
  g_autoptr(GError) error = NULL;
  RlModel *m = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
  RlTrainConfig cfg;

  g_assert_no_error (error);
  rl_model_init_weights (m, preset == RL_PRESET_PAPER ? RL_INIT_GLOROT_UNIFORM : RL_INIT_HE_UNIFORM,
                         seed);
  rl_train_config_init (&cfg, preset);
  cfg.epochs = 2;
  cfg.batch_size = 32;
  cfg.seed = seed;
  cfg.train_count = train->n;
  g_assert_true (rl_train (m, train, &cfg, NULL, log ? log_progress : NULL, log, &error));
  g_assert_no_error (error);
  return m;
}

static gboolean
same_weights (const RlModel *a, const RlModel *b)
{
  for (guint l = 0; l < a->n_layers; l++)
    {
      const RlLayer *A = &a->layers[l], *B = &b->layers[l];

      if (memcmp (A->w, B->w, (gsize) A->in * A->out * sizeof (float)) != 0
          || memcmp (A->bias, B->bias, A->out * sizeof (float)) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
test_train_small (void)
{
  gboolean real_tr, real_te;
  g_autoptr(RlDataset) train = data_for_test (RL_SPLIT_TRAIN, 3000, &real_tr);
  g_autoptr(RlDataset) test = data_for_test (RL_SPLIT_TEST, 1000, &real_te);
  ProgressLog log = { 0 };
  g_autoptr(RlModel) a = train_small (RL_PRESET_DEFAULT, 7, train, &log);
  g_autoptr(RlModel) b = train_small (RL_PRESET_DEFAULT, 7, train, NULL);
  g_autoptr(RlModel) c = train_small (RL_PRESET_DEFAULT, 8, train, NULL);
  g_autoptr(RlModel) p = train_small (RL_PRESET_PAPER, 7, train, NULL);
  double acc_a = accuracy (a, test), acc_p = accuracy (p, test);

  g_test_message ("784-64-10, 2 epochs on %u %s images: default %.4f, paper %.4f",
                  train->n, real_tr ? "MNIST" : "synthetic", acc_a, acc_p);
  /* 3,000 MNIST images give ≈ 0.90 (chance is 0.10); the synthetic set is
   * easy (≈ 1.0). The bound leaves several binomial σ (σ ≈ 0.01 at n = 1000). */
  g_assert_cmpfloat (acc_a, >=, real_tr ? 0.83 : 0.95);
  g_assert_cmpfloat (acc_p, >=, real_tr ? 0.83 : 0.95);

  g_assert_true (same_weights (a, b));          /* same seed: bitwise equal */
  g_assert_false (same_weights (a, c));         /* another seed: different */
  g_assert_cmpuint (log.epoch_ends, ==, 2);
  g_assert_cmpuint (log.calls, >=, 2);

  g_assert_cmpstr (rl_model_get_meta (a, "preset"), ==, "default");
  g_assert_cmpstr (rl_model_get_meta (p, "preset"), ==, "paper");
  g_assert_cmpstr (rl_model_get_meta (a, "epochs"), ==, "2");
  g_assert_cmpstr (rl_model_get_meta (a, "seed"), ==, "7");
  g_assert_cmpstr (rl_model_get_meta (p, "batch_size"), ==, "32");
  g_assert_cmpuint (g_ascii_strtoull (rl_model_get_meta (a, "train_images"), NULL, 10), ==, train->n);
  g_assert_nonnull (rl_model_get_meta (a, "loss_final"));
  g_assert_cmpfloat (g_ascii_strtod (rl_model_get_meta (a, "train_accuracy"), NULL), >, 0.5);
}

static void
test_train_factored (void)
{
  const guint sizes[] = { 784, 48, 10 };
  g_autoptr(RlDataset) train = synthetic (1500, 3);
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) m = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
  g_autoptr(RlModel) before = NULL;
  RlLayer *L;
  RlTrainConfig cfg;

  g_assert_no_error (error);
  L = &m->layers[0];
  g_clear_pointer (&L->w, g_free);
  L->rank = 8;
  L->a = g_new0 (float, 784 * 8);
  L->b = g_new0 (float, 8 * 48);
  rl_model_init_weights (m, RL_INIT_HE_UNIFORM, 3);
  before = rl_model_copy (m);
  rl_train_config_init (&cfg, RL_PRESET_DEFAULT);
  cfg.epochs = 3;
  cfg.batch_size = 32;
  g_assert_true (rl_train (m, train, &cfg, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (m->layers[0].rank, ==, 8);
  g_assert_null (m->layers[0].w);
  g_assert_true (memcmp (before->layers[0].a, L->a, 784 * 8 * sizeof (float)) != 0);
  g_assert_true (memcmp (before->layers[0].b, L->b, 8 * 48 * sizeof (float)) != 0);
  g_assert_cmpfloat (accuracy (m, train), >=, 0.95);
}

static void
cancel_in_progress (const RlTrainProgress *p, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
test_train_cancel (void)
{
  g_autoptr(RlDataset) train = synthetic (2000, 4);
  g_autoptr(RlModel) m = rl_model_new_default ();
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  RlTrainConfig cfg;

  rl_model_init_weights (m, RL_INIT_GLOROT_UNIFORM, 1);
  rl_train_config_init (&cfg, RL_PRESET_PAPER);
  cfg.train_count = train->n;
  cfg.epochs = 50;
  g_assert_false (rl_train (m, train, &cfg, cancel, cancel_in_progress, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (rl_model_check_finite (m, &error));
  g_assert_no_error (error);
  g_assert_null (rl_model_get_meta (m, "preset"));

  /* already cancelled: nothing is trained */
  g_assert_false (rl_train (m, train, &cfg, cancel, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_train_bad_input (void)
{
  const guint sizes[] = { 100, 8, 10 };
  g_autoptr(RlDataset) train = synthetic (50, 5);
  g_autoptr(RlModel) m = rl_model_new_default ();
  g_autoptr(RlModel) wrong = rl_model_new (sizes, G_N_ELEMENTS (sizes), NULL);
  g_autoptr(GError) error = NULL;
  RlTrainConfig cfg;

  rl_model_init_weights (m, RL_INIT_HE_UNIFORM, 1);
  rl_train_config_init (&cfg, RL_PRESET_PAPER);   /* wants 48,000 images */
  g_assert_false (rl_train (m, train, &cfg, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "48000"));
  g_clear_error (&error);

  cfg.train_count = 0;
  g_assert_false (rl_train (wrong, train, &cfg, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_SHAPE);
  g_clear_error (&error);

  cfg.batch_size = 0;
  g_assert_false (rl_train (m, train, &cfg, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  rl_train_config_init (&cfg, RL_PRESET_DEFAULT);
  train->labels[7] = 12;
  g_assert_false (rl_train (m, train, &cfg, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);
  train->labels[7] = 3;

  m->layers[0].w[5] = NAN;
  g_assert_false (rl_train (m, train, &cfg, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_NUMERIC);
}

static void
test_presets (void)
{
  RlTrainConfig cfg;
  RlPreset p;

  rl_train_config_init (&cfg, RL_PRESET_PAPER);
  g_assert_cmpint (cfg.preset, ==, RL_PRESET_PAPER);
  g_assert_cmpuint (cfg.train_count, ==, 48000);
  g_assert_cmpuint (cfg.batch_size, ==, 32);
  g_assert_cmpfloat (cfg.learning_rate, ==, 1e-3);
  g_assert_cmpuint (cfg.epochs, ==, 5);

  rl_train_config_init (&cfg, RL_PRESET_DEFAULT);
  g_assert_cmpint (cfg.preset, ==, RL_PRESET_DEFAULT);
  g_assert_cmpuint (cfg.train_count, ==, 0);
  g_assert_cmpuint (cfg.epochs, ==, 5);

  g_assert_cmpstr (rl_preset_to_string (RL_PRESET_PAPER), ==, "paper");
  g_assert_cmpstr (rl_preset_to_string (RL_PRESET_DEFAULT), ==, "default");
  g_assert_true (rl_preset_from_string ("paper", &p));
  g_assert_cmpint (p, ==, RL_PRESET_PAPER);
  g_assert_true (rl_preset_from_string ("default", &p));
  g_assert_cmpint (p, ==, RL_PRESET_DEFAULT);
  g_assert_false (rl_preset_from_string ("Paper ", &p));
  g_assert_false (rl_preset_from_string (NULL, &p));
}

int
main (int argc, char **argv)
{
  rl_core_init (0);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/train/presets", test_presets);
  g_test_add_func ("/train/loss/keras-values", test_loss_keras_values);
  g_test_add_func ("/train/loss/keras-gradient", test_loss_keras_gradient);
  g_test_add_func ("/train/loss/softmax-gradient", test_loss_softmax_gradient);
  g_test_add_func ("/train/backprop/dense-keras", test_gradient_dense_keras);
  g_test_add_func ("/train/backprop/dense-softmax", test_gradient_dense_softmax);
  g_test_add_func ("/train/backprop/factored-keras", test_gradient_factored_keras);
  g_test_add_func ("/train/backprop/factored-softmax", test_gradient_factored_softmax);
  g_test_add_func ("/train/backprop/split-between-threads", test_gradient_split);
  g_test_add_func ("/train/threads-agree", test_threads_agree);
  g_test_add_func ("/train/fused-step", test_fused_step);
  g_test_add_func ("/train/adam/paths-agree", test_adam_paths_agree);
  g_test_add_func ("/train/fit/small", test_train_small);
  g_test_add_func ("/train/fit/factored", test_train_factored);
  g_test_add_func ("/train/cancel", test_train_cancel);
  g_test_add_func ("/train/bad-input", test_train_bad_input);

  return g_test_run ();
}
