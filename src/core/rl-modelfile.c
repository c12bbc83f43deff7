/* rl-modelfile.c — model files in the safetensors format (see rl-modelfile.h).
 *
 * Loading builds a fresh model only after every architecture fact and every
 * tensor's dtype, shape and extent have been checked against each other, so
 * nothing is allocated from an unchecked number and a caller's model is never
 * touched by a failed load. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "rl-error.h"
#include "rl-modelfile.h"
#include "rl-safetensors.h"

#define FORMAT_NAME    "ranklab-mlp"
#define FORMAT_VERSION "1"

/* __metadata__ keys that describe the architecture; never taken from or
 * written as free-form model->meta. */
static const char * const reserved_keys[] = { "format", "version", "sizes", "activations", "ranks" };

static gboolean
is_reserved_key (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (reserved_keys); i++)
    if (g_strcmp0 (key, reserved_keys[i]) == 0)
      return TRUE;
  return FALSE;
}

static const char *
act_to_string (RlActivation act)
{
  switch (act)
    {
    case RL_ACT_RELU:    return "relu";
    case RL_ACT_SIGMOID: return "sigmoid";
    case RL_ACT_NONE:
    default:             return "linear";
    }
}

static gboolean
act_from_string (const char   *s,
                 RlActivation *act)
{
  if (g_strcmp0 (s, "relu") == 0)
    *act = RL_ACT_RELU;
  else if (g_strcmp0 (s, "sigmoid") == 0)
    *act = RL_ACT_SIGMOID;
  else if (g_strcmp0 (s, "linear") == 0 || g_strcmp0 (s, "none") == 0)
    *act = RL_ACT_NONE;
  else
    return FALSE;
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* ------------------------------------------------------------------ save */

/* A model handed to us by code, not by a file: still check it is coherent
 * before writing a file we would refuse to read back. */
static gboolean
check_model (const RlModel  *model,
             GError        **error)
{
  if (model->n_layers == 0 || model->n_layers > RL_MODEL_MAX_LAYERS || model->layers == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "a model needs 1 to %u layers, not %u",
                   RL_MODEL_MAX_LAYERS, model->n_layers);
      return FALSE;
    }
  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *l = &model->layers[i];

      if (l->in == 0 || l->out == 0 || l->in > RL_MODEL_MAX_WIDTH || l->out > RL_MODEL_MAX_WIDTH)
        g_set_error (error, RL_ERROR, RL_ERROR_SHAPE, "layer %u: size %u×%u is outside 1..%u",
                     i, l->in, l->out, RL_MODEL_MAX_WIDTH);
      else if (i > 0 && l->in != model->layers[i - 1].out)
        g_set_error (error, RL_ERROR, RL_ERROR_SHAPE, "layer %u takes %u inputs but layer %u gives %u",
                     i, l->in, i - 1, model->layers[i - 1].out);
      else if (l->rank > MIN (l->in, l->out))
        g_set_error (error, RL_ERROR, RL_ERROR_SHAPE, "layer %u: rank %u exceeds min(%u, %u)",
                     i, l->rank, l->in, l->out);
      else if (l->bias == NULL || (l->rank == 0 ? l->w == NULL : (l->a == NULL || l->b == NULL)))
        g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "layer %u is missing a tensor", i);
      else if ((guint) l->act > RL_ACT_SIGMOID)
        g_set_error (error, RL_ERROR, RL_ERROR_INVALID, "layer %u: unknown activation %d", i, l->act);
      else
        continue;
      return FALSE;
    }
  return rl_model_check_finite (model, error);
}

static gboolean
add_f32 (RlStWriter   *writer,
         guint         layer,
         const char   *suffix,
         const float  *data,
         guint         rows,
         guint         cols,
         guint         n_dims,
         GError      **error)
{
  g_autofree char *name = g_strdup_printf ("layers.%u.%s", layer, suffix);
  guint64 shape[2] = { rows, cols };

  if (n_dims == 1)
    shape[0] = cols;
  return rl_st_writer_add (writer, name, RL_ST_F32, n_dims, shape, data, error);
}

GBytes *
rl_model_serialize (const RlModel  *model,
                    GError        **error)
{
  g_autoptr(RlStWriter) writer = NULL;
  g_autoptr(GString) sizes = g_string_new (NULL);
  g_autoptr(GString) acts = g_string_new (NULL);
  g_autoptr(GString) ranks = g_string_new (NULL);
  g_autofree gpointer keys = NULL;
  guint n_keys;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_model (model, error))
    return NULL;

  g_string_append_printf (sizes, "%u", model->layers[0].in);
  for (guint i = 0; i < model->n_layers; i++)
    {
      g_string_append_printf (sizes, ",%u", model->layers[i].out);
      g_string_append_printf (acts, "%s%s", i ? "," : "", act_to_string (model->layers[i].act));
      g_string_append_printf (ranks, "%s%u", i ? "," : "", model->layers[i].rank);
    }

  writer = rl_st_writer_new ();
  rl_st_writer_add_meta (writer, "format", FORMAT_NAME);
  rl_st_writer_add_meta (writer, "version", FORMAT_VERSION);
  rl_st_writer_add_meta (writer, "sizes", sizes->str);
  rl_st_writer_add_meta (writer, "activations", acts->str);
  if (rl_model_is_factored (model))
    rl_st_writer_add_meta (writer, "ranks", ranks->str);

  /* Free-form facts, sorted so that equal models give equal files. */
  if (model->meta != NULL)
    {
      keys = g_hash_table_get_keys_as_array (model->meta, &n_keys);
      qsort (keys, n_keys, sizeof (char *), compare_strings);
      for (guint i = 0; i < n_keys; i++)
        {
          const char *key = ((const char **) keys)[i];

          if (is_reserved_key (key))
            g_debug ("model meta key “%s” is reserved for the architecture; not saved", key);
          else
            rl_st_writer_add_meta (writer, key, g_hash_table_lookup (model->meta, key));
        }
    }

  for (guint i = 0; i < model->n_layers; i++)
    {
      const RlLayer *l = &model->layers[i];
      gboolean ok;

      if (l->rank == 0)
        ok = add_f32 (writer, i, "weight", l->w, l->in, l->out, 2, error);
      else
        ok = add_f32 (writer, i, "a", l->a, l->in, l->rank, 2, error)
             && add_f32 (writer, i, "b", l->b, l->rank, l->out, 2, error);
      if (!ok || !add_f32 (writer, i, "bias", l->bias, 1, l->out, 1, error))
        return NULL;
    }
  return rl_st_writer_finish (writer, error);
}

char *
rl_file_save_target (const char  *path,
                     GError     **error)
{
  g_autofree char *resolved = NULL;
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (lstat (path, &st) == 0 && S_ISLNK (st.st_mode))
    {
      resolved = realpath (path, NULL);
      if (resolved == NULL)
        {
          /* A link to a file not made yet: save where it points. */
          g_autofree char *target = g_file_read_link (path, NULL);
          g_autofree char *dir = g_path_get_dirname (path);

          if (target == NULL)
            {
              g_set_error (error, RL_ERROR, RL_ERROR_IO, "cannot save %s: cannot read the symbolic link", path);
              return NULL;
            }
          resolved = g_path_is_absolute (target) ? g_steal_pointer (&target)
                                                 : g_build_filename (dir, target, NULL);
        }
    }
  else
    resolved = g_strdup (path);
  if (stat (resolved, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO,
                   "cannot save %s: it is not a regular file (a folder, device, FIFO or socket, "
                   "or a link to one)", path);
      return NULL;
    }
  return g_steal_pointer (&resolved);
}

gboolean
rl_file_replace_atomic (const char  *path,
                        const void  *data,
                        gsize        len,
                        GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *target = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  target = rl_file_save_target (path, error);
  if (target == NULL)
    return FALSE;

  /* Writes target.XXXXXX in the same folder, fsyncs it, then renames it
   * over target; on failure the temporary file is removed and target is
   * untouched. */
  if (!g_file_set_contents_full (target, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0666, &local))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "cannot save %s: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
rl_model_save (const RlModel  *model,
               const char     *path,
               GError        **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const void *data;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bytes = rl_model_serialize (model, error);
  if (bytes == NULL)
    {
      g_prefix_error (error, "cannot save %s: ", path);
      return FALSE;
    }
  data = g_bytes_get_data (bytes, &len);
  return rl_file_replace_atomic (path, data, len, error);
}

/* ------------------------------------------------------------------ load */

GBytes *
rl_file_read_bounded (const char  *path,
                      gsize        max_bytes,
                      GError     **error)
{
  struct stat st;
  guint8 *buf;
  gsize done = 0;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* O_NONBLOCK: opening a FIFO would wait for a writer forever; a regular
   * file (the only kind read below) ignores it. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "cannot open %s: %s", path, g_strerror (errsv));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "%s is not a regular file", path);
      close (fd);
      return NULL;
    }
  if ((guint64) st.st_size > max_bytes)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "%s has %" G_GUINT64_FORMAT " bytes, more than the ceiling of %" G_GSIZE_FORMAT,
                   path, (guint64) st.st_size, max_bytes);
      close (fd);
      return NULL;
    }
  buf = g_try_malloc ((gsize) st.st_size + 1);
  if (buf == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "out of memory reading %s", path);
      close (fd);
      return NULL;
    }
  while (done < (gsize) st.st_size)
    {
      gssize n = read (fd, buf + done, (gsize) st.st_size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = errno;
          g_set_error (error, RL_ERROR, RL_ERROR_IO, "cannot read %s: %s", path,
                       n == 0 ? "the file shrank while being read" : g_strerror (errsv));
          g_free (buf);
          close (fd);
          return NULL;
        }
      done += (gsize) n;
    }
  close (fd);
  return g_bytes_new_take (buf, done);
}

/* "784,1028,10" → values, each in 0..max_value (min_value..), at most max_count. */
static gboolean
parse_uint_list (const char  *text,
                 const char  *key,
                 guint        min_value,
                 guint        max_value,
                 guint        max_count,
                 guint       *values,
                 guint       *n_values,
                 GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint n;

  if (text == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "__metadata__ has no “%s”", key);
      return FALSE;
    }
  parts = g_strsplit (text, ",", -1);
  n = g_strv_length (parts);
  if (n == 0 || n > max_count)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "“%s” has %u entries (1 to %u allowed)",
                   key, n, max_count);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, min_value, max_value, &v, NULL))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                       "“%s” entry %u (“%s”) is not a whole number in %u..%u",
                       key, i, parts[i], min_value, max_value);
          return FALSE;
        }
      values[i] = (guint) v;
    }
  *n_values = n;
  return TRUE;
}

/* The tensor layers.<layer>.<suffix>: present, F32, of the exact shape. */
static const RlStTensor *
expect_tensor (const RlStReader  *reader,
               guint              layer,
               const char        *suffix,
               guint              n_dims,
               guint64            dim0,
               guint64            dim1,
               GError           **error)
{
  g_autofree char *name = g_strdup_printf ("layers.%u.%s", layer, suffix);
  const guint64 expected[2] = { dim0, dim1 };
  const RlStTensor *t = rl_st_reader_get (reader, name);

  if (t == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "layer %u: tensor %s is missing", layer, name);
      return NULL;
    }
  if (t->dtype != RL_ST_F32)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "layer %u (%s): dtype %s, expected F32",
                   layer, name, rl_st_dtype_name (t->dtype));
      return NULL;
    }
  if (t->n_dims != n_dims || memcmp (t->shape, expected, n_dims * sizeof (guint64)) != 0)
    {
      g_autofree char *want = rl_st_format_shape (n_dims, expected);
      g_autofree char *have = rl_st_format_shape (t->n_dims, t->shape);

      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE, "layer %u (%s): expected shape %s, file has %s",
                   layer, name, want, have);
      return NULL;
    }
  return t;
}

static float *
copy_tensor (const RlStTensor  *t,
             GError           **error)
{
  float *v = g_try_new (float, MAX (t->n_elements, 1));

  if (v == NULL)
    g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "out of memory for tensor %s", t->name);
  else
    rl_st_tensor_copy_f32 (t, v);
  return v;
}

typedef struct
{
  const RlStTensor *w, *a, *b, *bias;
} LayerTensors;

RlModel *
rl_model_deserialize (const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  g_autoptr(RlStReader) reader = NULL;
  g_autoptr(RlModel) model = NULL;
  guint sizes[RL_MODEL_MAX_LAYERS + 1], n_sizes, n_layers;
  guint ranks[RL_MODEL_MAX_LAYERS] = { 0, }, n_ranks;
  RlActivation acts[RL_MODEL_MAX_LAYERS];
  LayerTensors lt[RL_MODEL_MAX_LAYERS] = { { 0, } };
  g_auto(GStrv) act_names = NULL;
  const char *format, *version, *text;
  guint n_expected = 0, n_tensors;
  const RlStTensor *tensors;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len > RL_MODELFILE_MAX_BYTES)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT, "model file has %" G_GSIZE_FORMAT
                   " bytes, more than the ceiling of %u", len, RL_MODELFILE_MAX_BYTES);
      return NULL;
    }
  reader = rl_st_reader_new (data, len, error);
  if (reader == NULL)
    return NULL;

  /* Architecture facts. */
  format = rl_st_reader_get_meta (reader, "format");
  version = rl_st_reader_get_meta (reader, "version");
  if (g_strcmp0 (format, FORMAT_NAME) != 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "not a RankLab model: __metadata__ format is “%s”, expected “" FORMAT_NAME "”",
                   format ? format : "(none)");
      return NULL;
    }
  if (g_strcmp0 (version, FORMAT_VERSION) != 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "model file version “%s” is not supported (expected " FORMAT_VERSION ")",
                   version ? version : "(none)");
      return NULL;
    }
  if (!parse_uint_list (rl_st_reader_get_meta (reader, "sizes"), "sizes", 1, RL_MODEL_MAX_WIDTH,
                        RL_MODEL_MAX_LAYERS + 1, sizes, &n_sizes, error))
    return NULL;
  if (n_sizes < 2)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "“sizes” needs at least two entries");
      return NULL;
    }
  n_layers = n_sizes - 1;

  text = rl_st_reader_get_meta (reader, "activations");
  act_names = g_strsplit (text ? text : "", ",", -1);
  if (g_strv_length (act_names) != n_layers)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "“activations” has %u entries for %u layers",
                   g_strv_length (act_names), n_layers);
      return NULL;
    }
  for (guint i = 0; i < n_layers; i++)
    if (!act_from_string (g_strstrip (act_names[i]), &acts[i]))
      {
        g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "layer %u: unknown activation “%s”",
                     i, act_names[i]);
        return NULL;
      }

  text = rl_st_reader_get_meta (reader, "ranks");
  if (text != NULL)
    {
      if (!parse_uint_list (text, "ranks", 0, RL_MODEL_MAX_WIDTH, RL_MODEL_MAX_LAYERS,
                            ranks, &n_ranks, error))
        return NULL;
      if (n_ranks != n_layers)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "“ranks” has %u entries for %u layers",
                       n_ranks, n_layers);
          return NULL;
        }
    }

  /* Every tensor, checked before anything is allocated. */
  for (guint i = 0; i < n_layers; i++)
    {
      guint m = sizes[i], n = sizes[i + 1], r = ranks[i];

      if (r > MIN (m, n))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "layer %u: rank %u exceeds min(%u, %u)",
                       i, r, m, n);
          return NULL;
        }
      if (r == 0)
        {
          if (!(lt[i].w = expect_tensor (reader, i, "weight", 2, m, n, error)))
            return NULL;
        }
      else if (!(lt[i].a = expect_tensor (reader, i, "a", 2, m, r, error))
               || !(lt[i].b = expect_tensor (reader, i, "b", 2, r, n, error)))
        return NULL;
      if (!(lt[i].bias = expect_tensor (reader, i, "bias", 1, n, 0, error)))
        return NULL;
      n_expected += r == 0 ? 2 : 3;
    }
  tensors = rl_st_reader_get_tensors (reader, &n_tensors);
  if (n_tensors != n_expected)
    {
      for (guint t = 0; t < n_tensors; t++)
        {
          gboolean known = FALSE;

          for (guint i = 0; i < n_layers && !known; i++)
            known = &tensors[t] == lt[i].w || &tensors[t] == lt[i].a
                    || &tensors[t] == lt[i].b || &tensors[t] == lt[i].bias;
          if (!known)
            {
              g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                           "unexpected tensor %s for this architecture", tensors[t].name);
              return NULL;
            }
        }
    }

  /* Build. Sizes are checked, so the total allocation is bounded by the file. */
  model = g_new0 (RlModel, 1);
  model->layers = g_new0 (RlLayer, n_layers);
  model->n_layers = n_layers;
  model->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < n_layers; i++)
    {
      RlLayer *l = &model->layers[i];

      l->in = sizes[i];
      l->out = sizes[i + 1];
      l->rank = ranks[i];
      l->act = acts[i];
      if ((lt[i].w && !(l->w = copy_tensor (lt[i].w, error)))
          || (lt[i].a && !(l->a = copy_tensor (lt[i].a, error)))
          || (lt[i].b && !(l->b = copy_tensor (lt[i].b, error)))
          || !(l->bias = copy_tensor (lt[i].bias, error)))
        return NULL;
    }
  g_hash_table_iter_init (&iter, rl_st_reader_get_metadata (reader));
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!is_reserved_key (key))
      g_hash_table_insert (model->meta, g_strdup (key), g_strdup (value));

  if (!rl_model_check_finite (model, error))
    return NULL;
  return g_steal_pointer (&model);
}

RlModel *
rl_model_load (const char  *path,
               GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  RlModel *model;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bytes = rl_file_read_bounded (path, RL_MODELFILE_MAX_BYTES, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  model = rl_model_deserialize (data, len, error);
  if (model == NULL)
    g_prefix_error (error, "%s: ", path);
  return model;
}
