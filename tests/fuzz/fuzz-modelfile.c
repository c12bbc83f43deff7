/* fuzz-modelfile.c — libFuzzer target for model files: the safetensors
 * reader (rl-safetensors.c) and rl_model_deserialize (rl-modelfile.c).
 *
 * Each input goes through the generic reader (every tensor copied out in
 * its dtype), then rl_model_deserialize, and through rl_model_load from a
 * file, which must agree with it. A model that loads must serialize, and
 * load again to the same weights (hash) and metadata. */
#include "fuzz-common.h"

#include <string.h>

#include "rl-modelfile.h"
#include "rl-safetensors.h"

static FuzzFile input_file;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_common_init ();
  fuzz_file_init (&input_file, "fuzz-modelfile-input");
  return 0;
}

/* FALSE when the input hit a known issue and is skipped. */
static gboolean
exercise_reader (const uint8_t *data,
                 size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlStReader) reader = rl_st_reader_new (data, size, &error);
  const RlStTensor *tensors;
  guint n_tensors = 0;
  guint64 covered = 0;
  GHashTableIter iter;
  gpointer key, value;

  if (reader == NULL)
    {
      FUZZ_CHECK_ERROR (error);
      return TRUE;
    }

  tensors = rl_st_reader_get_tensors (reader, &n_tensors);
  for (guint i = 0; i < n_tensors; i++)
    {
      const RlStTensor *t = &tensors[i];
      g_autofree char *shape = rl_st_format_shape (t->n_dims, t->shape);
      guint64 count = 1;

      FUZZ_CHECK (t->name != NULL && rl_st_reader_get (reader, t->name) == t,
                  "tensor %u cannot be found by its name", i);
      FUZZ_CHECK (t->n_dims <= RL_ST_MAX_DIMS, "tensor %s has %u dims", t->name, t->n_dims);
      for (guint d = 0; d < t->n_dims; d++)
        count *= t->shape[d];
      FUZZ_CHECK (count == t->n_elements, "tensor %s: %" G_GUINT64_FORMAT " elements, shape says %s",
                  t->name, t->n_elements, shape);
      FUZZ_CHECK (t->end - t->begin == t->n_elements * rl_st_dtype_size (t->dtype),
                  "tensor %s: %" G_GUINT64_FORMAT " bytes for %" G_GUINT64_FORMAT " elements",
                  t->name, t->end - t->begin, t->n_elements);
      FUZZ_CHECK (t->begin == covered, "tensor %s starts at %" G_GUINT64_FORMAT
                  ", the previous one ended at %" G_GUINT64_FORMAT, t->name, t->begin, covered);
      covered = t->end;
      FUZZ_CHECK (rl_st_dtype_name (t->dtype) != NULL, "dtype without a name");

      /* Copy out what the model code copies out; ASan checks the bounds. */
      if (t->dtype == RL_ST_F32 && t->n_elements <= (1u << 22))
        {
          g_autofree float *v = g_new (float, MAX (t->n_elements, 1));
          rl_st_tensor_copy_f32 (t, v);
        }
      else if (t->dtype == RL_ST_F64 && t->n_elements <= (1u << 21))
        {
          g_autofree double *v = g_new (double, MAX (t->n_elements, 1));
          rl_st_tensor_copy_f64 (t, v);
        }
      else if (t->n_elements > 0)
        {
          /* Other dtypes: read the first and last byte through the pointer. */
          volatile guint8 first = t->data[0];
          volatile guint8 last = t->data[t->end - t->begin - 1];
          (void) first;
          (void) last;
        }
    }

  g_hash_table_iter_init (&iter, rl_st_reader_get_metadata (reader));
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
      {
        FUZZ_CHECK (FALSE, "__metadata__ entry that is not UTF-8 after unescaping");
      }
  for (guint i = 0; i < n_tensors; i++)
    if (!g_utf8_validate (tensors[i].name, -1, NULL))
      {
        FUZZ_CHECK (FALSE, "tensor name that is not UTF-8 after unescaping");
      }
  return TRUE;
}

static gboolean
meta_equal (GHashTable *a,
            GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (value, g_hash_table_lookup (b, key)) != 0)
      return FALSE;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) file_error = NULL;
  g_autoptr(RlModel) model = NULL;
  g_autoptr(RlModel) from_file = NULL;

  if (!exercise_reader (data, size))
    return 0;

  model = rl_model_deserialize (data, size, &error);
  if (model == NULL)
    FUZZ_CHECK_ERROR (error);

  fuzz_file_set (&input_file, data, size);
  from_file = rl_model_load (input_file.path, &file_error);
  FUZZ_CHECK ((model == NULL) == (from_file == NULL),
              "rl_model_load and rl_model_deserialize disagree (%s / %s)",
              error ? error->message : "ok", file_error ? file_error->message : "ok");
  if (from_file == NULL)
    FUZZ_CHECK_ERROR (file_error);

  if (model != NULL)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(RlModel) again = NULL;
      g_autofree char *hash = rl_model_weights_hash (model);
      g_autofree char *hash2 = NULL;
      gsize len;
      const guint8 *out;

      FUZZ_CHECK (rl_model_check_finite (model, NULL), "a loaded model holds NaN/Inf");
      FUZZ_CHECK (model->n_layers >= 1 && model->n_layers <= RL_MODEL_MAX_LAYERS,
                  "%u layers", model->n_layers);
      for (guint i = 0; i + 1 < model->n_layers; i++)
        FUZZ_CHECK (model->layers[i].out == model->layers[i + 1].in,
                    "layer %u has %u outputs, layer %u %u inputs",
                    i, model->layers[i].out, i + 1, model->layers[i + 1].in);
      (void) rl_model_param_count (model);
      (void) rl_model_macs (model);

      bytes = rl_model_serialize (model, &e);
      FUZZ_CHECK (bytes != NULL, "a loaded model does not serialize: %s", e->message);
      out = g_bytes_get_data (bytes, &len);
      again = rl_model_deserialize (out, len, &e);
      FUZZ_CHECK (again != NULL, "a saved model does not load: %s", e->message);
      hash2 = rl_model_weights_hash (again);
      FUZZ_CHECK (g_strcmp0 (hash, hash2) == 0, "weights changed on a save/load round trip");
      FUZZ_CHECK (meta_equal (model->meta, again->meta), "metadata changed on a round trip");
      {
        g_autofree char *hash3 = rl_model_weights_hash (from_file);

        FUZZ_CHECK (g_strcmp0 (hash, hash3) == 0, "rl_model_load gives other weights");
      }
    }
  return 0;
}
