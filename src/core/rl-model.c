/* rl-model.c — construction, counting and hashing of MLP models. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rl-error.h"
#include "rl-model.h"

const guint rl_default_sizes[5] = { 784, 1028, 512, 256, 10 };

static void
layer_clear (RlLayer *layer)
{
  g_clear_pointer (&layer->w, g_free);
  g_clear_pointer (&layer->a, g_free);
  g_clear_pointer (&layer->b, g_free);
  g_clear_pointer (&layer->bias, g_free);
}

RlModel *
rl_model_new (const guint  *sizes,
              guint         n_sizes,
              GError      **error)
{
  RlModel *model;

  g_return_val_if_fail (sizes != NULL, NULL);

  if (n_sizes < 2 || n_sizes - 1 > RL_MODEL_MAX_LAYERS)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "a model needs 1 to %u layers, not %d",
                   RL_MODEL_MAX_LAYERS, (int) n_sizes - 1);
      return NULL;
    }
  for (guint i = 0; i < n_sizes; i++)
    if (sizes[i] == 0 || sizes[i] > RL_MODEL_MAX_WIDTH)
      {
        g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                     "layer width %u (position %u) is outside 1..%u",
                     sizes[i], i, RL_MODEL_MAX_WIDTH);
        return NULL;
      }

  model = g_new0 (RlModel, 1);
  model->n_layers = n_sizes - 1;
  model->layers = g_new0 (RlLayer, model->n_layers);
  model->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < model->n_layers; i++)
    {
      RlLayer *l = &model->layers[i];

      l->in = sizes[i];
      l->out = sizes[i + 1];
      l->rank = 0;
      l->w = g_new0 (float, (gsize) l->in * l->out);
      l->bias = g_new0 (float, l->out);
      l->act = (i + 1 == model->n_layers) ? RL_ACT_SIGMOID : RL_ACT_RELU;
    }

  return model;
}

RlModel *
rl_model_new_default (void)
{
  return rl_model_new (rl_default_sizes, G_N_ELEMENTS (rl_default_sizes), NULL);
}

static float *
dup_floats (const float *src,
            gsize        n)
{
  return src != NULL ? g_memdup2 (src, n * sizeof (float)) : NULL;
}

RlModel *
rl_model_copy (const RlModel *model)
{
  RlModel *copy;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (model != NULL, NULL);

  copy = g_new0 (RlModel, 1);
  copy->n_layers = model->n_layers;
  copy->layers = g_new0 (RlLayer, model->n_layers);
  copy->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *src = &model->layers[i];
      RlLayer *dst = &copy->layers[i];

      *dst = *src;
      dst->w = dup_floats (src->w, (gsize) src->in * src->out);
      dst->a = dup_floats (src->a, (gsize) src->in * src->rank);
      dst->b = dup_floats (src->b, (gsize) src->rank * src->out);
      dst->bias = dup_floats (src->bias, src->out);
    }

  g_hash_table_iter_init (&iter, model->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy->meta, g_strdup (key), g_strdup (value));

  return copy;
}

void
rl_model_free (RlModel *model)
{
  if (model == NULL)
    return;

  for (guint i = 0; i < model->n_layers; i++)
    layer_clear (&model->layers[i]);
  g_free (model->layers);
  g_clear_pointer (&model->meta, g_hash_table_unref);
  g_free (model);
}

/* splitmix64: a small, well-mixed seeded generator for initialisation. */
static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static double
uniform01 (guint64 *state)
{
  return (splitmix64 (state) >> 11) * (1.0 / 9007199254740992.0);
}

static void
fill_uniform (float   *v,
              gsize    n,
              double   limit,
              guint64 *state)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) ((2.0 * uniform01 (state) - 1.0) * limit);
}

void
rl_model_init_weights (RlModel *model,
                       RlInit   init,
                       guint64  seed)
{
  guint64 state = seed;

  g_return_if_fail (model != NULL);

  for (guint i = 0; i < model->n_layers; i++)
    {
      RlLayer *l = &model->layers[i];
      double limit;

      if (init == RL_INIT_HE_UNIFORM)
        limit = sqrt (6.0 / l->in);
      else if (init == RL_INIT_FAN_IN_UNIFORM)
        limit = 1.0 / sqrt (l->in);
      else
        limit = sqrt (6.0 / (l->in + l->out));

      if (l->rank == 0)
        {
          fill_uniform (l->w, (gsize) l->in * l->out, limit, &state);
        }
      else
        {
          /* Keep the product's variance close to the dense layer's. */
          fill_uniform (l->a, (gsize) l->in * l->rank, sqrt (6.0 / (l->in + l->rank)), &state);
          fill_uniform (l->b, (gsize) l->rank * l->out, sqrt (6.0 / (l->rank + l->out)), &state);
        }
      memset (l->bias, 0, l->out * sizeof (float));
    }
}

RlModel *
rl_model_densify (const RlModel *model)
{
  RlModel *dense;
  g_autoptr(GString) ranks = g_string_new (NULL);

  g_return_val_if_fail (model != NULL, NULL);

  dense = rl_model_copy (model);
  for (guint i = 0; i < dense->n_layers; i++)
    {
      RlLayer *l = &dense->layers[i];

      g_string_append_printf (ranks, "%s%u", i ? "," : "", l->rank);
      if (l->rank == 0)
        continue;

      l->w = g_new0 (float, (gsize) l->in * l->out);
      for (guint r = 0; r < l->in; r++)
        {
          float *wrow = l->w + (gsize) r * l->out;

          for (guint k = 0; k < l->rank; k++)
            {
              float ark = l->a[(gsize) r * l->rank + k];
              const float *brow = l->b + (gsize) k * l->out;

              for (guint j = 0; j < l->out; j++)
                wrow[j] += ark * brow[j];
            }
        }
      g_clear_pointer (&l->a, g_free);
      g_clear_pointer (&l->b, g_free);
      l->rank = 0;
    }
  if (rl_model_is_factored (model))
    rl_model_set_meta (dense, "densified_from", ranks->str);
  return dense;
}

guint
rl_model_input_size (const RlModel *model)
{
  g_return_val_if_fail (model != NULL && model->n_layers > 0, 0);
  return model->layers[0].in;
}

guint
rl_model_output_size (const RlModel *model)
{
  g_return_val_if_fail (model != NULL && model->n_layers > 0, 0);
  return model->layers[model->n_layers - 1].out;
}

gboolean
rl_model_is_factored (const RlModel *model)
{
  g_return_val_if_fail (model != NULL, FALSE);

  for (guint i = 0; i < model->n_layers; i++)
    if (model->layers[i].rank > 0)
      return TRUE;
  return FALSE;
}

guint
rl_model_max_width (const RlModel *model)
{
  guint width;

  g_return_val_if_fail (model != NULL && model->n_layers > 0, 0);

  width = model->layers[0].in;
  for (guint i = 0; i < model->n_layers; i++)
    width = MAX (width, model->layers[i].out);
  return width;
}

guint64
rl_layer_param_count (const RlLayer *l)
{
  guint64 weights;

  if (l->rank == 0)
    weights = (guint64) l->in * l->out;
  else
    weights = (guint64) l->rank * (l->in + l->out);
  return weights + l->out;
}

guint64
rl_layer_macs (const RlLayer *l)
{
  if (l->rank == 0)
    return (guint64) l->in * l->out;
  return (guint64) l->rank * (l->in + l->out);
}

guint64
rl_model_param_count (const RlModel *model)
{
  guint64 total = 0;

  g_return_val_if_fail (model != NULL, 0);

  for (guint i = 0; i < model->n_layers; i++)
    total += rl_layer_param_count (&model->layers[i]);
  return total;
}

guint64
rl_model_macs (const RlModel *model)
{
  guint64 total = 0;

  g_return_val_if_fail (model != NULL, 0);

  for (guint i = 0; i < model->n_layers; i++)
    total += rl_layer_macs (&model->layers[i]);
  return total;
}

double
rl_model_memory_mb (const RlModel *model)
{
  return rl_model_param_count (model) * sizeof (float) / (1024.0 * 1024.0);
}

static gboolean
check_tensor (const float  *v,
              gsize         n,
              guint         layer,
              const char   *name,
              GError      **error)
{
  if (v == NULL)
    return TRUE;

  for (gsize i = 0; i < n; i++)
    if (!isfinite (v[i]))
      {
        g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                     "layer %u (%s) holds %s at index %" G_GSIZE_FORMAT,
                     layer, name, isnan (v[i]) ? "NaN" : "Inf", i);
        return FALSE;
      }
  return TRUE;
}

gboolean
rl_model_check_finite (const RlModel  *model,
                       GError        **error)
{
  g_return_val_if_fail (model != NULL, FALSE);

  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *l = &model->layers[i];

      if (!check_tensor (l->w, (gsize) l->in * l->out, i, "weight", error) ||
          !check_tensor (l->a, (gsize) l->in * l->rank, i, "a", error) ||
          !check_tensor (l->b, (gsize) l->rank * l->out, i, "b", error) ||
          !check_tensor (l->bias, l->out, i, "bias", error))
        return FALSE;
    }
  return TRUE;
}

char *
rl_model_weights_hash (const RlModel *model)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_return_val_if_fail (model != NULL, NULL);

  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *l = &model->layers[i];
      guint32 dims[3] = { GUINT32_TO_LE (l->in), GUINT32_TO_LE (l->out), GUINT32_TO_LE (l->rank) };

      g_checksum_update (sum, (const guchar *) dims, sizeof dims);
      if (l->w != NULL)
        g_checksum_update (sum, (const guchar *) l->w, (gssize) ((gsize) l->in * l->out * sizeof (float)));
      if (l->a != NULL)
        g_checksum_update (sum, (const guchar *) l->a, (gssize) ((gsize) l->in * l->rank * sizeof (float)));
      if (l->b != NULL)
        g_checksum_update (sum, (const guchar *) l->b, (gssize) ((gsize) l->rank * l->out * sizeof (float)));
      g_checksum_update (sum, (const guchar *) l->bias, (gssize) (l->out * sizeof (float)));
    }

  return g_strdup (g_checksum_get_string (sum));
}

void
rl_model_set_meta (RlModel    *model,
                   const char *key,
                   const char *value)
{
  g_return_if_fail (model != NULL && key != NULL);

  if (value == NULL)
    g_hash_table_remove (model->meta, key);
  else
    g_hash_table_insert (model->meta, g_strdup (key), g_strdup (value));
}

const char *
rl_model_get_meta (const RlModel *model,
                   const char    *key)
{
  g_return_val_if_fail (model != NULL && key != NULL, NULL);

  return g_hash_table_lookup (model->meta, key);
}
