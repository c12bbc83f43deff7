/* rl-svd-cache.c — per-layer SVD factors kept in a safetensors file.
 *
 *   __metadata__: {"format":"ranklab-svd","version":"1","weights_hash":<sha256>,"layers":"<n>"}
 *   "layers.<i>.s"  F64 [k]
 *   "layers.<i>.us" F32 [m,k]
 *   "layers.<i>.vt" F32 [k,n]
 *
 * The cache lives in $XDG_CACHE_HOME/ranklab/svd-<hash>.safetensors. A file
 * is only used for a model whose weights hash and layer shapes it matches. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "rl-modelfile.h"
#include "rl-safetensors.h"
#include "rl-svd.h"

#define CACHE_FORMAT  "ranklab-svd"
#define CACHE_VERSION "1"
/* us and vt together hold at most 2·m·n floats: twice a model's weights. */
#define CACHE_MAX_BYTES ((gsize) RL_MODELFILE_MAX_BYTES * 2 + 64u * 1024u * 1024u)

gboolean
rl_svd_save (const RlSvd  *svd,
             const char   *path,
             GError      **error)
{
  g_autoptr(RlStWriter) writer = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *n_text = NULL;
  const void *data;
  gsize len;

  g_return_val_if_fail (svd != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (svd->weights_hash == NULL || svd->n_layers == 0 || svd->layers == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "cannot save %s: the SVD is empty or has no weights hash",
                   path);
      return FALSE;
    }

  writer = rl_st_writer_new ();
  n_text = g_strdup_printf ("%u", svd->n_layers);
  rl_st_writer_add_meta (writer, "format", CACHE_FORMAT);
  rl_st_writer_add_meta (writer, "version", CACHE_VERSION);
  rl_st_writer_add_meta (writer, "weights_hash", svd->weights_hash);
  rl_st_writer_add_meta (writer, "layers", n_text);
  for (guint i = 0; i < svd->n_layers; i++)
    {
      const RlLayerSvd *l = &svd->layers[i];
      g_autofree char *s_name = g_strdup_printf ("layers.%u.s", i);
      g_autofree char *us_name = g_strdup_printf ("layers.%u.us", i);
      g_autofree char *vt_name = g_strdup_printf ("layers.%u.vt", i);
      const guint64 s_shape[1] = { l->k };
      const guint64 us_shape[2] = { l->m, l->k };
      const guint64 vt_shape[2] = { l->k, l->n };

      if (l->k != MIN (l->m, l->n) || l->s == NULL || l->us == NULL || l->vt == NULL)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "cannot save %s: layer %u of the SVD is incomplete", path, i);
          return FALSE;
        }
      if (!rl_st_writer_add (writer, s_name, RL_ST_F64, 1, s_shape, l->s, error)
          || !rl_st_writer_add (writer, us_name, RL_ST_F32, 2, us_shape, l->us, error)
          || !rl_st_writer_add (writer, vt_name, RL_ST_F32, 2, vt_shape, l->vt, error))
        return FALSE;
    }
  bytes = rl_st_writer_finish (writer, error);
  if (bytes == NULL)
    return FALSE;

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "cannot create folder %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }
  data = g_bytes_get_data (bytes, &len);
  return rl_file_replace_atomic (path, data, len, error);
}

/* A tensor of the given name, dtype and shape, or NULL + an error. */
static const RlStTensor *
expect (const RlStReader  *reader,
        guint              layer,
        const char        *suffix,
        RlStDtype          dtype,
        guint              n_dims,
        guint64            dim0,
        guint64            dim1,
        GError           **error)
{
  g_autofree char *name = g_strdup_printf ("layers.%u.%s", layer, suffix);
  const guint64 want[2] = { dim0, dim1 };
  const RlStTensor *t = rl_st_reader_get (reader, name);

  if (t == NULL)
    g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "layer %u: tensor %s is missing", layer, name);
  else if (t->dtype != dtype)
    g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "layer %u (%s): dtype %s, expected %s",
                 layer, name, rl_st_dtype_name (t->dtype), rl_st_dtype_name (dtype));
  else if (t->n_dims != n_dims || memcmp (t->shape, want, n_dims * sizeof (guint64)) != 0)
    {
      g_autofree char *w = rl_st_format_shape (n_dims, want);
      g_autofree char *h = rl_st_format_shape (t->n_dims, t->shape);
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE, "layer %u (%s): expected shape %s, file has %s",
                   layer, name, w, h);
    }
  else
    return t;
  return NULL;
}

static gboolean
floats_finite (const float *v,
               gsize        n)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return FALSE;
  return TRUE;
}

static RlSvd *
svd_from_reader (const RlStReader  *reader,
                 const RlModel     *model,
                 const char        *hash,
                 GError           **error)
{
  g_autoptr(RlSvd) svd = NULL;
  const char *text;
  guint n_tensors;

  text = rl_st_reader_get_meta (reader, "format");
  if (g_strcmp0 (text, CACHE_FORMAT) != 0
      || g_strcmp0 (rl_st_reader_get_meta (reader, "version"), CACHE_VERSION) != 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "not a RankLab SVD cache (format “%s”)",
                   text ? text : "(none)");
      return NULL;
    }
  text = rl_st_reader_get_meta (reader, "weights_hash");
  if (g_strcmp0 (text, hash) != 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "SVD cache belongs to other weights (hash %s, the model's is %s)",
                   text ? text : "(none)", hash);
      return NULL;
    }

  svd = g_new0 (RlSvd, 1);
  svd->weights_hash = g_strdup (hash);
  svd->layers = g_new0 (RlLayerSvd, model->n_layers);
  svd->n_layers = model->n_layers;
  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *ml = &model->layers[i];
      RlLayerSvd *l = &svd->layers[i];
      guint m = ml->in, n = ml->out, k = MIN (m, n);
      const RlStTensor *ts, *tus, *tvt;

      if (ml->rank != 0)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                       "layer %u is factored: the SVD cache is for dense models", i);
          return NULL;
        }
      if (!(ts = expect (reader, i, "s", RL_ST_F64, 1, k, 0, error))
          || !(tus = expect (reader, i, "us", RL_ST_F32, 2, m, k, error))
          || !(tvt = expect (reader, i, "vt", RL_ST_F32, 2, k, n, error)))
        return NULL;

      l->m = m;
      l->n = n;
      l->k = k;
      l->s = g_try_new (double, k);
      l->us = g_try_new (float, (gsize) m * k);
      l->vt = g_try_new (float, (gsize) k * n);
      if (l->s == NULL || l->us == NULL || l->vt == NULL)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "out of memory for the SVD of layer %u", i);
          return NULL;
        }
      rl_st_tensor_copy_f64 (ts, l->s);
      rl_st_tensor_copy_f32 (tus, l->us);
      rl_st_tensor_copy_f32 (tvt, l->vt);

      for (guint j = 0; j < k; j++)
        if (!isfinite (l->s[j]) || l->s[j] < 0.0 || (j > 0 && l->s[j] > l->s[j - 1]))
          {
            g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                         "layer %u: singular value %u (%g) is not finite, non-negative and descending",
                         i, j, l->s[j]);
            return NULL;
          }
      if (!floats_finite (l->us, (gsize) m * k) || !floats_finite (l->vt, (gsize) k * n))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC, "layer %u: factors hold NaN or Inf", i);
          return NULL;
        }
    }
  rl_st_reader_get_tensors (reader, &n_tensors);
  if (n_tensors != 3 * model->n_layers)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "SVD cache has %u tensors, expected %u",
                   n_tensors, 3 * model->n_layers);
      return NULL;
    }
  return g_steal_pointer (&svd);
}

/* rl_svd_load with the model's weights hash already known (hashing 5.9 MB
 * of weights costs about as much as reading the cache). */
static RlSvd *
svd_load_hashed (const char     *path,
                 const RlModel  *model,
                 const char     *hash,
                 GError        **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(RlStReader) reader = NULL;
  const guint8 *data;
  RlSvd *svd;
  gsize len;

  bytes = rl_file_read_bounded (path, CACHE_MAX_BYTES, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  reader = rl_st_reader_new (data, len, error);
  svd = reader ? svd_from_reader (reader, model, hash, error) : NULL;
  if (svd == NULL)
    g_prefix_error (error, "%s: ", path);
  return svd;
}

RlSvd *
rl_svd_load (const char     *path,
             const RlModel  *model,
             GError        **error)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  hash = rl_model_weights_hash (model);
  return svd_load_hashed (path, model, hash, error);
}

static char *
cache_path_for_hash (const char *hash)
{
  g_autofree char *base = g_strdup_printf ("svd-%s.safetensors", hash);

  return g_build_filename (g_get_user_cache_dir (), "ranklab", base, NULL);
}

char *
rl_svd_cache_path (const RlModel *model)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (model != NULL, NULL);

  hash = rl_model_weights_hash (model);
  return cache_path_for_hash (hash);
}

RlSvd *
rl_svd_get_cached (const RlModel  *model,
                   gboolean       *from_cache,
                   GCancellable   *cancellable,
                   RlProgressFunc  progress,
                   gpointer        user_data,
                   GError        **error)
{
  g_autofree char *hash = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) local = NULL;
  RlSvd *svd = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (from_cache)
    *from_cache = FALSE;
  hash = rl_model_weights_hash (model);
  path = cache_path_for_hash (hash);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      svd = svd_load_hashed (path, model, hash, &local);
      if (svd != NULL)
        {
          if (from_cache)
            *from_cache = TRUE;
          if (progress)
            progress (1.0, "SVD loaded from cache", user_data);
          return svd;
        }
      g_debug ("ignoring SVD cache: %s", local->message);
      g_clear_error (&local);
    }

  svd = rl_svd_compute (model, cancellable, progress, user_data, error);
  if (svd == NULL)
    return NULL;
  if (!rl_svd_save (svd, path, &local))
    g_debug ("SVD not cached: %s", local->message);
  return svd;
}
