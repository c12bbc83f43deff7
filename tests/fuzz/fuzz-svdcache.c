/* fuzz-svdcache.c — libFuzzer target for the SVD cache reader
 * (rl_svd_load in rl-svd-cache.c, over rl-safetensors.c).
 *
 * A cache file is only used for the model whose weights hash it names, so
 * the target fixes one small model (sizes 5,3,4, weights below) and the
 * seeds made by make-corpus.py carry its hash; make-corpus.py computes the
 * same weights and hash, keep the two in step. */
#include "fuzz-common.h"

#include <math.h>

#include "rl-model.h"
#include "rl-svd.h"

static FuzzFile input_file;
static RlModel *model;

/* Also written by make-corpus.py (fuzz_model_weights). */
static void
fill_model (RlModel *m)
{
  for (guint l = 0; l < m->n_layers; l++)
    {
      RlLayer *layer = &m->layers[l];

      for (gsize i = 0; i < (gsize) layer->in * layer->out; i++)
        layer->w[i] = (float) ((int) ((i * 7 + l) % 11) - 5) / 8.0f;
      for (guint j = 0; j < layer->out; j++)
        layer->bias[j] = (float) j / 4.0f;
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  static const guint sizes[] = { 5, 3, 4 };
  g_autoptr(GError) error = NULL;

  fuzz_common_init ();
  fuzz_file_init (&input_file, "fuzz-svdcache-input");
  model = rl_model_new (sizes, G_N_ELEMENTS (sizes), &error);
  if (model == NULL)
    {
      fprintf (stderr, "rl_model_new: %s\n", error->message);
      abort ();
    }
  fill_model (model);
  if (g_getenv ("RL_FUZZ_PRINT_HASH"))
    {
      g_autofree char *hash = rl_model_weights_hash (model);
      printf ("%s\n", hash);
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlSvd) svd = NULL;

  fuzz_file_set (&input_file, data, size);
  svd = rl_svd_load (input_file.path, model, &error);
  if (svd == NULL)
    {
      FUZZ_CHECK_ERROR (error);
      return 0;
    }

  FUZZ_CHECK (svd->n_layers == model->n_layers, "%u layers", svd->n_layers);
  for (guint l = 0; l < svd->n_layers; l++)
    {
      const RlLayerSvd *ls = &svd->layers[l];
      const RlLayer *ml = &model->layers[l];
      double energy_prev = 0.0;

      FUZZ_CHECK (ls->m == ml->in && ls->n == ml->out && ls->k == MIN (ml->in, ml->out),
                  "layer %u: %u×%u, k %u", l, ls->m, ls->n, ls->k);
      for (guint j = 0; j < ls->k; j++)
        FUZZ_CHECK (isfinite (ls->s[j]) && ls->s[j] >= 0.0 && (j == 0 || ls->s[j] <= ls->s[j - 1]),
                    "layer %u: singular value %u is %g", l, j, ls->s[j]);
      for (gsize i = 0; i < (gsize) ls->m * ls->k; i++)
        FUZZ_CHECK (isfinite (ls->us[i]), "layer %u: us[%zu] not finite", l, (size_t) i);
      for (gsize i = 0; i < (gsize) ls->k * ls->n; i++)
        FUZZ_CHECK (isfinite (ls->vt[i]), "layer %u: vt[%zu] not finite", l, (size_t) i);

      /* What the UI computes from a loaded cache must stay finite. */
      for (guint r = 0; r <= ls->k + 1; r++)
        {
          double e = rl_svd_energy (ls, r);

          FUZZ_CHECK (isfinite (e) || rl_svd_frobenius_norm (ls) == 0.0 || isinf (rl_svd_frobenius_norm (ls)),
                      "layer %u: energy(%u) = %g", l, r, e);
          if (isfinite (e) && isfinite (energy_prev))
            FUZZ_CHECK (e >= energy_prev - 1e-12, "layer %u: energy decreases at rank %u", l, r);
          energy_prev = e;
          (void) rl_svd_frobenius_error (ls, r);
          (void) rl_svd_spectral_error (ls, r);
        }
    }
  return 0;
}
