/* test-modelfile.c — safetensors model files and the SVD cache: exact round
 * trips, the file layout checked by an independent parse, refusal of broken
 * files with messages that name the fault, and atomic replacement. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "rl-error.h"
#include "rl-model.h"
#include "rl-modelfile.h"
#include "rl-safetensors.h"
#include "rl-svd.h"


/* error is code of RL_ERROR and its message contains text. */
static void
assert_error_says (const GError *error, gint code, const char *text)
{
  g_assert_error (error, RL_ERROR, code);
  if (strstr (error->message, text) == NULL)
    g_test_message ("the message \"%s\" does not contain \"%s\"", error->message, text);
  g_assert_nonnull (strstr (error->message, text));
}

static const guint small_sizes[] = { 12, 9, 7, 3 };

/* ---- helpers ---------------------------------------------------------- */

static void
fill_random (float  *v,
             gsize   n,
             GRand  *rand)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
}

static RlModel *
make_dense (const guint *sizes,
            guint        n_sizes,
            guint32      seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GError) error = NULL;
  RlModel *model = rl_model_new (sizes, n_sizes, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < model->n_layers; i++)
    {
      fill_random (model->layers[i].w, (gsize) model->layers[i].in * model->layers[i].out, rand);
      fill_random (model->layers[i].bias, model->layers[i].out, rand);
    }
  rl_model_set_meta (model, "preset", "test");
  rl_model_set_meta (model, "seed", "42");
  rl_model_set_meta (model, "note", "ünïcödé, \"quotes\" and \\ backslash");
  return model;
}

/* Layers 0 and 2 factored (ranks 4 and 2), layer 1 dense. */
static RlModel *
make_factored (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  RlModel *model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 3);
  const guint ranks[] = { 4, 0, 2 };

  for (guint i = 0; i < model->n_layers; i++)
    {
      RlLayer *l = &model->layers[i];

      if (ranks[i] == 0)
        continue;
      g_clear_pointer (&l->w, g_free);
      l->rank = ranks[i];
      l->a = g_new (float, l->in * l->rank);
      l->b = g_new (float, l->rank * l->out);
      fill_random (l->a, l->in * l->rank, rand);
      fill_random (l->b, l->rank * l->out, rand);
    }
  rl_model_set_meta (model, "fine_tuned", "yes");
  return model;
}

static void
assert_floats_equal (const float *x,
                     const float *y,
                     gsize        n)
{
  g_assert_true ((x == NULL) == (y == NULL));
  if (x != NULL)
    g_assert_cmpmem (x, n * sizeof (float), y, n * sizeof (float));
}

static void
assert_models_identical (const RlModel *x,
                         const RlModel *y)
{
  GHashTableIter iter;
  gpointer key, value;

  g_assert_cmpuint (x->n_layers, ==, y->n_layers);
  for (guint i = 0; i < x->n_layers; i++)
    {
      const RlLayer *a = &x->layers[i], *b = &y->layers[i];

      g_assert_cmpuint (a->in, ==, b->in);
      g_assert_cmpuint (a->out, ==, b->out);
      g_assert_cmpuint (a->rank, ==, b->rank);
      g_assert_cmpint (a->act, ==, b->act);
      assert_floats_equal (a->w, b->w, (gsize) a->in * a->out);
      assert_floats_equal (a->a, b->a, (gsize) a->in * a->rank);
      assert_floats_equal (a->b, b->b, (gsize) a->rank * a->out);
      assert_floats_equal (a->bias, b->bias, a->out);
    }
  g_assert_cmpuint (g_hash_table_size (x->meta), ==, g_hash_table_size (y->meta));
  g_hash_table_iter_init (&iter, x->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_cmpstr (value, ==, g_hash_table_lookup (y->meta, key));
}

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("rl-modelfile-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_chmod (dir, 0700);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

static GBytes *
serialize (const RlModel *model)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = rl_model_serialize (model, &error);

  g_assert_no_error (error);
  return bytes;
}

/* Deserialize bytes that must be refused; returns the error. */
static GError *
refuse (const guint8 *data,
        gsize         len)
{
  GError *error = NULL;
  RlModel *model = rl_model_deserialize (data, len, &error);

  g_assert_null (model);
  g_assert_nonnull (error);
  g_assert_true (error->domain == RL_ERROR);
  g_test_message ("refused: %s", error->message);
  return error;
}

/* A safetensors file from a literal JSON header and n data bytes. */
static GBytes *
make_raw (const char *json,
          gsize       n_data)
{
  GByteArray *a = g_byte_array_new ();
  guint64 n = GUINT64_TO_LE ((guint64) strlen (json));

  g_byte_array_append (a, (const guint8 *) &n, 8);
  g_byte_array_append (a, (const guint8 *) json, strlen (json));
  for (gsize i = 0; i < n_data; i++)
    {
      guint8 zero = 0;
      g_byte_array_append (a, &zero, 1);
    }
  return g_byte_array_free_to_bytes (a);
}

/* The small dense model's file, written tensor by tensor with one change. */
typedef enum { VARIANT_SHAPE, VARIANT_MISSING, VARIANT_EXTRA, VARIANT_DTYPE, VARIANT_NAN } Variant;

static GBytes *
make_variant (Variant variant)
{
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(RlStWriter) w = rl_st_writer_new ();
  g_autoptr(GError) error = NULL;
  static double f64_data[21];

  rl_st_writer_add_meta (w, "format", "ranklab-mlp");
  rl_st_writer_add_meta (w, "version", "1");
  rl_st_writer_add_meta (w, "sizes", "12,9,7,3");
  rl_st_writer_add_meta (w, "activations", "relu,relu,sigmoid");
  if (variant == VARIANT_NAN)
    model->layers[1].w[5] = NAN;
  for (guint i = 0; i < model->n_layers; i++)
    {
      RlLayer *l = &model->layers[i];
      g_autofree char *wn = g_strdup_printf ("layers.%u.weight", i);
      g_autofree char *bn = g_strdup_printf ("layers.%u.bias", i);
      guint64 shape[2] = { l->in, l->out };
      guint64 bshape[1] = { l->out };

      if (variant == VARIANT_SHAPE && i == 2)
        shape[1] = 2;   /* [7,2] instead of [7,3] */
      if (variant == VARIANT_DTYPE && i == 2)
        g_assert_true (rl_st_writer_add (w, wn, RL_ST_F64, 2, shape, f64_data, &error));
      else
        g_assert_true (rl_st_writer_add (w, wn, RL_ST_F32, 2, shape, l->w, &error));
      if (!(variant == VARIANT_MISSING && i == 1))
        g_assert_true (rl_st_writer_add (w, bn, RL_ST_F32, 1, bshape, l->bias, &error));
    }
  if (variant == VARIANT_EXTRA)
    {
      guint64 shape[1] = { 3 };
      g_assert_true (rl_st_writer_add (w, "layers.2.extra", RL_ST_F32, 1, shape,
                                       model->layers[2].bias, &error));
    }
  return rl_st_writer_finish (w, &error);
}

/* ---- round trips ------------------------------------------------------ */

static void
roundtrip (const RlModel *model)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(GBytes) bytes = serialize (model);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(RlModel) from_mem = NULL;
  g_autoptr(RlModel) from_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  from_mem = rl_model_deserialize (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  assert_models_identical (model, from_mem);

  g_assert_true (rl_model_save (model, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  from_file = rl_model_load (path, &error);
  g_assert_no_error (error);
  assert_models_identical (model, from_file);

  /* Saving what was loaded gives the same bytes. */
  again = serialize (from_file);
  g_assert_true (g_bytes_equal (bytes, again));
  rm_rf (dir);
}

static void
test_roundtrip_dense (void)
{
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);

  model->layers[1].act = RL_ACT_NONE;   /* every activation survives */
  roundtrip (model);
}

static void
test_roundtrip_factored (void)
{
  g_autoptr(RlModel) model = make_factored ();
  g_autoptr(GBytes) bytes = serialize (model);
  g_autoptr(RlStReader) reader = NULL;
  g_autoptr(GError) error = NULL;

  roundtrip (model);
  reader = rl_st_reader_new (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rl_st_reader_get_meta (reader, "ranks"), ==, "4,0,2");
  g_assert_nonnull (rl_st_reader_get (reader, "layers.0.a"));
  g_assert_nonnull (rl_st_reader_get (reader, "layers.2.b"));
  g_assert_null (rl_st_reader_get (reader, "layers.0.weight"));
  g_assert_nonnull (rl_st_reader_get (reader, "layers.1.weight"));
}

/* Parse the file by hand with json-glib: the layout any safetensors reader expects. */
static void
test_layout (void)
{
  g_autoptr(RlModel) model = make_factored ();
  g_autoptr(GBytes) bytes = serialize (model);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  guint64 n, expected_begin = 0;
  JsonObject *root, *meta;
  const char *names[] = { "layers.0.a", "layers.0.b", "layers.0.bias", "layers.1.weight",
                          "layers.1.bias", "layers.2.a", "layers.2.b", "layers.2.bias" };

  memcpy (&n, data, 8);
  n = GUINT64_FROM_LE (n);
  g_assert_cmpuint (n % 8, ==, 0);
  g_assert_cmpuint (8 + n, <=, len);
  g_assert_cmpint (data[8], ==, '{');
  g_assert_true (json_parser_load_from_data (parser, (const char *) data + 8, (gssize) n, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (root), ==, 1 + G_N_ELEMENTS (names));
  meta = json_object_get_object_member (root, "__metadata__");
  g_assert_cmpstr (json_object_get_string_member (meta, "format"), ==, "ranklab-mlp");
  g_assert_cmpstr (json_object_get_string_member (meta, "version"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (meta, "sizes"), ==, "12,9,7,3");
  g_assert_cmpstr (json_object_get_string_member (meta, "activations"), ==, "relu,relu,sigmoid");
  g_assert_cmpstr (json_object_get_string_member (meta, "seed"), ==, "42");

  for (guint t = 0; t < G_N_ELEMENTS (names); t++)
    {
      JsonObject *info = json_object_get_object_member (root, names[t]);
      JsonArray *shape = json_object_get_array_member (info, "shape");
      JsonArray *offs = json_object_get_array_member (info, "data_offsets");
      guint layer = names[t][7] - '0';
      const RlLayer *l = &model->layers[layer];
      const char *suffix = names[t] + 9;
      guint64 rows = l->in, cols = l->out, begin, end;
      const float *src = l->w;

      if (g_str_equal (suffix, "a"))
        cols = l->rank, src = l->a;
      else if (g_str_equal (suffix, "b"))
        rows = l->rank, src = l->b;
      else if (g_str_equal (suffix, "bias"))
        rows = 1, src = l->bias;

      g_assert_cmpstr (json_object_get_string_member (info, "dtype"), ==, "F32");
      g_assert_cmpuint (json_array_get_length (shape), ==, g_str_equal (suffix, "bias") ? 1 : 2);
      if (rows != 1)
        g_assert_cmpint (json_array_get_int_element (shape, 0), ==, (gint64) rows);
      g_assert_cmpint (json_array_get_int_element (shape, json_array_get_length (shape) - 1),
                       ==, (gint64) cols);
      begin = json_array_get_int_element (offs, 0);
      end = json_array_get_int_element (offs, 1);
      g_assert_cmpuint (begin, ==, expected_begin);   /* contiguous, in order */
      g_assert_cmpuint (end - begin, ==, rows * cols * 4);
      g_assert_cmpmem (data + 8 + n + begin, end - begin, src, rows * cols * 4);
      expected_begin = end;
    }
  g_assert_cmpuint (8 + n + expected_begin, ==, len);
  g_assert_cmpuint (expected_begin, ==, 4 * rl_model_param_count (model));
}

/* ---- refusals --------------------------------------------------------- */

static void
test_refuse_truncated (void)
{
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(GBytes) bytes = serialize (model);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr(GError) by_one = refuse (data, len - 1);
  g_autoptr(GError) by_half = refuse (data, len / 2);
  g_autoptr(GError) tiny = refuse (data, 5);
  g_autofree char *expected = g_strdup_printf ("file is truncated: tensor layers.2.bias ends at byte %"
                                               G_GSIZE_FORMAT " but the file has %" G_GSIZE_FORMAT
                                               " bytes", len, len - 1);

  g_assert_error (by_one, RL_ERROR, RL_ERROR_FORMAT);
  g_assert_cmpstr (by_one->message, ==, expected);
  g_assert_error (by_half, RL_ERROR, RL_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (by_half->message, "file is truncated: tensor layers."));
  g_assert_error (tiny, RL_ERROR, RL_ERROR_FORMAT);
}

static void
test_refuse_header_length (void)
{
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(GBytes) bytes = serialize (model);
  gsize len;
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes));
  const guint64 claims[] = { len - 7, G_MAXUINT64, G_GUINT64_CONSTANT (1) << 40 };

  for (guint i = 0; i < G_N_ELEMENTS (claims); i++)
    {
      guint64 le = GUINT64_TO_LE (claims[i]);
      g_autoptr(GError) error = NULL;

      memcpy (data, &le, 8);
      error = refuse (data, len);
      assert_error_says (error, RL_ERROR_FORMAT, "exceeds the file size");
    }
}

static void
test_refuse_malformed_json (void)
{
  const char *bad[] = {
    "{\"__metadata__\":{\"format\":\"ranklab-mlp\"},\"x\":{\"dtype\":\"F32\" \"shape\":[1]}}",
    "{\"__metadata__\":{\"format\":\"ranklab-mlp\"}",
    "[1,2,3]",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",       /* duplicate key */
    "{\"__metadata__\":{\"format\":1}}",                                     /* not a string */
    "{\"\xff\xfe\":1}",                                                      /* not UTF-8 */
    /* found by fuzzing (tests/fuzz/regressions/modelfile): */
    "{}",                                                                    /* no tensors */
    "{\"__metadata__\":{\"format\":\"ranklab-mlp\"}}",                       /* metadata only */
    "{\"__metadata__\":{\"format\":\"\\ud800x\"}}",                         /* lone surrogate */
    "{\"__metadata__\":{\"format\":\"ranklab-mlp\"}}[]",                     /* a second value */
    /* json-glib 1.6 swallows the text after a lone surrogate and leaks: */
    "{\"__metadata__\":{\"versi\\ud800\"sizes\":\"4,3\"}}",
    "{\"layers.0.bias\\ud800\\ud80ab-\":[96,1284]}",
    "{\"__metadata__\":{\"format\":\"\\uzzzz\"}}",                          /* not hex */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GBytes) raw = make_raw (bad[i], 4);
      g_autoptr(GError) error = refuse (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));

      g_assert_error (error, RL_ERROR, RL_ERROR_FORMAT);
      if (strstr (bad[i], "\\u") != NULL)
        g_assert_nonnull (strstr (error->message, "escape in a JSON string"));
    }
}

/* A header of 100,000 nested arrays (200 KB) crashed json-glib's recursive
 * parser (stack overflow) in every reader: CLI, window and SVD cache. */
static void
test_refuse_deep_header (void)
{
  GString *json = g_string_new ("{\"x\":");
  g_autofree char *text = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (json, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (json, ']');
  g_string_append_c (json, '}');
  text = g_string_free (json, FALSE);
  raw = make_raw (text, 4);
  error = refuse (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
  assert_error_says (error, RL_ERROR_FORMAT, "more than 64 deep");
}

/* A FIFO named as a model (or experiment) file is refused at once: opening
 * it blocked until a writer came, which hung the CLI and the window's loader. */
static void
test_refuse_fifo (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *fifo = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = NULL;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  model = rl_model_load (fifo, &error);
  g_assert_null (model);
  assert_error_says (error, RL_ERROR_IO, "not a regular file");
  rm_rf (dir);
}

/* Saving renames a temporary file over the target: a symbolic link is
 * saved through (the link stays, its file gets the model), and a FIFO or a
 * link to a device is refused instead of being replaced by a file. */
static void
test_save_targets (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *real = g_build_filename (dir, "real.safetensors", NULL);
  g_autofree char *link = g_build_filename (dir, "link.safetensors", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.safetensors", NULL);
  g_autofree char *devlink = g_build_filename (dir, "null.safetensors", NULL);
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(RlModel) back = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;

  /* A link to a file not made yet, then to the file it made. */
  g_assert_cmpint (symlink ("real.safetensors", link), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (rl_model_save (model, link, &error));
      g_assert_no_error (error);
      g_assert_cmpint (lstat (link, &st), ==, 0);
      g_assert_true (S_ISLNK (st.st_mode));
      back = rl_model_load (real, &error);
      g_assert_no_error (error);
      g_clear_pointer (&back, rl_model_free);
    }

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (rl_model_save (model, fifo, &error));
  assert_error_says (error, RL_ERROR_IO, "not a regular file");
  g_clear_error (&error);
  g_assert_cmpint (lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));

  g_assert_cmpint (symlink ("/dev/null", devlink), ==, 0);
  g_assert_false (rl_model_save (model, devlink, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpint (lstat ("/dev/null", &st), ==, 0);
  g_assert_true (S_ISCHR (st.st_mode));
  rm_rf (dir);
}

static void
test_refuse_layout (void)
{
  const struct { const char *json; gsize n_data; const char *needle; int code; } cases[] = {
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
      "more than 4294967296 elements", RL_ERROR_LIMIT },
    { "{\"t\":{\"dtype\":\"F64\",\"shape\":[65536,65536,65536,65536],\"data_offsets\":[0,8]}}", 8,
      "elements", RL_ERROR_LIMIT },                                     /* overflows u64 */
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,12]}}", 12,
      "needs 8 bytes but data_offsets span 12", RL_ERROR_FORMAT },
    { "{\"t\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      "unknown dtype “Q7”", RL_ERROR_FORMAT },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
      "not a non-negative integer", RL_ERROR_FORMAT },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4,
      "data_offsets", RL_ERROR_FORMAT },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"u\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlap", RL_ERROR_FORMAT },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
      "4 unused bytes before tensor t", RL_ERROR_FORMAT },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12,
      "8 unused bytes after the last tensor", RL_ERROR_FORMAT },
    { "{\"__metadata__\":{\"format\":\"other\",\"version\":\"1\"}}", 0, "not a RankLab model",
      RL_ERROR_FORMAT },
    { "{\"__metadata__\":{\"format\":\"ranklab-mlp\",\"version\":\"2\"}}", 0, "version “2”",
      RL_ERROR_FORMAT },
    { "{\"__metadata__\":{\"format\":\"ranklab-mlp\",\"version\":\"1\",\"sizes\":\"12,99999,3\","
      "\"activations\":\"relu,sigmoid\"}}", 0, "“sizes” entry 1", RL_ERROR_LIMIT },
    { "{\"__metadata__\":{\"format\":\"ranklab-mlp\",\"version\":\"1\",\"sizes\":\"2,2\","
      "\"activations\":\"tanh\"}}", 0, "unknown activation “tanh”", RL_ERROR_FORMAT },
    { "{\"__metadata__\":{\"format\":\"ranklab-mlp\",\"version\":\"1\",\"sizes\":\"2,3\","
      "\"activations\":\"relu\",\"ranks\":\"3\"}}", 0, "rank 3 exceeds", RL_ERROR_FORMAT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) raw = make_raw (cases[i].json, cases[i].n_data);
      g_autoptr(GError) error = refuse (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));

      g_assert_error (error, RL_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %u: “%s” does not contain “%s”", i, error->message, cases[i].needle);
    }
}

static void
test_refuse_tensors (void)
{
  const struct { Variant v; const char *message; int code; } cases[] = {
    { VARIANT_SHAPE, "layer 2 (layers.2.weight): expected shape [7,3], file has [7,2]", RL_ERROR_SHAPE },
    { VARIANT_MISSING, "layer 1: tensor layers.1.bias is missing", RL_ERROR_FORMAT },
    { VARIANT_EXTRA, "unexpected tensor layers.2.extra for this architecture", RL_ERROR_FORMAT },
    { VARIANT_DTYPE, "layer 2 (layers.2.weight): dtype F64, expected F32", RL_ERROR_FORMAT },
    { VARIANT_NAN, "layer 1 (weight) holds NaN at index 5", RL_ERROR_NUMERIC },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) raw = make_variant (cases[i].v);
      g_autoptr(GError) error = refuse (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));

      g_assert_error (error, RL_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

/* A model we could not read back is not written either. */
static void
test_refuse_save_nan (void)
{
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  model->layers[2].bias[1] = INFINITY;
  bytes = rl_model_serialize (model, &error);
  g_assert_null (bytes);
  g_assert_error (error, RL_ERROR, RL_ERROR_NUMERIC);
  g_assert_cmpstr (error->message, ==, "layer 2 (bias) holds Inf at index 1");
}

/* A failed load names the file and leaves the caller's model as it was. */
static void
test_failed_load_keeps_model (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr(RlModel) original = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 5);
  g_autoptr(RlModel) model = NULL;
  g_autoptr(GBytes) bytes = serialize (original);
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *hash_after = NULL;
  RlModel *attempt;

  g_assert_true (rl_model_save (original, path, &error));
  model = rl_model_load (path, &error);
  g_assert_no_error (error);
  hash = rl_model_weights_hash (model);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes) - 3, NULL));
  attempt = rl_model_load (path, &error);
  g_assert_null (attempt);
  g_assert_error (error, RL_ERROR, RL_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);

  attempt = rl_model_load (dir, &error);   /* a folder, not a file */
  g_assert_null (attempt);
  g_assert_error (error, RL_ERROR, RL_ERROR_IO);

  hash_after = rl_model_weights_hash (model);
  g_assert_cmpstr (hash, ==, hash_after);
  assert_models_identical (original, model);
  rm_rf (dir);
}

/* Size is checked before reading: a huge (sparse) file and a device are
 * refused without allocating. */
static void
test_refuse_file_size (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "huge.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  RlModel *model;

  g_assert_true (g_file_set_contents (path, "{}", 2, NULL));
  g_assert_cmpint (truncate (path, (off_t) RL_MODELFILE_MAX_BYTES + 1), ==, 0);
  model = rl_model_load (path, &error);
  g_assert_null (model);
  g_assert_error (error, RL_ERROR, RL_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  model = rl_model_load ("/dev/zero", &error);
  g_assert_null (model);
  g_assert_error (error, RL_ERROR, RL_ERROR_IO);
  g_assert_cmpstr (error->message, ==, "/dev/zero is not a regular file");
  rm_rf (dir);
}

/* ---- atomic replacement ----------------------------------------------- */

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
atomic_replace (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree char *probe = g_build_filename (dir, "probe", NULL);
  g_autoptr(RlModel) first = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(RlModel) second = make_factored ();
  g_autoptr(GBytes) second_bytes = serialize (second);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize before_len, after_len;

  /* Replacing works and leaves no temporary file behind. */
  g_assert_true (rl_model_save (first, path, &error));
  g_assert_true (rl_model_save (second, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));
  g_assert_cmpmem (before, before_len, g_bytes_get_data (second_bytes, NULL),
                   g_bytes_get_size (second_bytes));
  g_assert_cmpuint (count_entries (dir), ==, 1);

  /* Into a read-only folder: refused, old bytes kept. */
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
  if (g_file_set_contents (probe, "x", 1, NULL))
    {
      g_unlink (probe);
      rm_rf (dir);
      g_test_skip ("permissions are not enforced for this user; see /modelfile/atomic/fsize");
      return;
    }
  g_assert_false (rl_model_save (first, path, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("refused: %s", error->message);
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  rm_rf (dir);
}

/* Root ignores folder permissions: run as "nobody" in a subprocess then. */
static void
test_atomic_replace (void)
{
  if (geteuid () != 0)
    {
      atomic_replace ();
      return;
    }
  if (g_test_subprocess ())
    {
      if (setgid (65534) != 0 || setuid (65534) != 0)
        {
          g_test_skip ("cannot drop root privileges");
          return;
        }
      atomic_replace ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* The write itself fails half-way (file size limit): old file intact, no
 * temporary file left. Works as root too. Runs in a subprocess. */
/* A save killed at any moment (SIGKILL: no handler, no clean-up) leaves the
 * file it was replacing whole: byte for byte the old model or the new one,
 * never a mixture or a truncated file. */
static void
test_atomic_killed (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  const guint big_sizes[] = { 784, 1028, 512, 256, 10 };
  g_autoptr(RlModel) old_model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(RlModel) new_model = make_dense (big_sizes, G_N_ELEMENTS (big_sizes), 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *old_bytes = NULL;
  g_autofree char *new_bytes = NULL;
  gsize old_len, new_len;
  guint saw_old = 0, saw_new = 0;

  g_assert_true (rl_model_save (new_model, path, &error));
  g_assert_true (g_file_get_contents (path, &new_bytes, &new_len, NULL));
  g_assert_true (rl_model_save (old_model, path, &error));
  g_assert_true (g_file_get_contents (path, &old_bytes, &old_len, NULL));

  for (guint round = 0; round < 24; round++)
    {
      g_autofree char *now = NULL;
      gsize now_len;
      int status;
      pid_t pid = fork ();

      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          /* The child saves the 5.9 MB model over and over until killed. */
          for (;;)
            if (!rl_model_save (new_model, path, NULL))
              _exit (3);
        }
      /* Kill it somewhere inside a save: 0 to ~60 ms after the start. */
      g_usleep ((round * 2503) % 60000);
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));

      g_assert_true (g_file_get_contents (path, &now, &now_len, NULL));
      if (now_len == old_len && memcmp (now, old_bytes, old_len) == 0)
        saw_old++;
      else if (now_len == new_len && memcmp (now, new_bytes, new_len) == 0)
        saw_new++;
      else
        g_error ("round %u: a killed save left %" G_GSIZE_FORMAT " bytes that are neither model", round, now_len);

      /* Back to the old model for the next round. */
      g_assert_true (rl_model_save (old_model, path, &error));
    }
  g_test_message ("killed saves: %u left the old file, %u the new one", saw_old, saw_new);
  g_assert_cmpuint (saw_old + saw_new, ==, 24);
  rm_rf (dir);
}

static void
test_atomic_fsize (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = make_tmpdir ();
      g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
      const guint big_sizes[] = { 64, 64, 64, 10 };
      g_autoptr(RlModel) small = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
      g_autoptr(RlModel) big = make_dense (big_sizes, G_N_ELEMENTS (big_sizes), 2);
      g_autoptr(GError) error = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      gsize before_len, after_len;
      struct rlimit lim = { 8192, 8192 };

      g_assert_true (rl_model_save (small, path, &error));
      g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));
      g_assert_cmpuint (before_len, <, 8192);
      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);

      g_assert_false (rl_model_save (big, path, &error));
      g_assert_error (error, RL_ERROR, RL_ERROR_IO);
      g_assert_nonnull (strstr (error->message, path));
      g_test_message ("refused: %s", error->message);
      g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
      g_assert_cmpmem (before, before_len, after, after_len);
      g_assert_cmpuint (count_entries (dir), ==, 1);
      rm_rf (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* ---- SVD cache -------------------------------------------------------- */

/* Not a real SVD: arbitrary factors with descending s, to prove what comes
 * back is what was stored. */
static RlSvd *
make_svd (const RlModel *model,
          guint32        seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  RlSvd *svd = g_new0 (RlSvd, 1);

  svd->n_layers = model->n_layers;
  svd->layers = g_new0 (RlLayerSvd, model->n_layers);
  svd->weights_hash = rl_model_weights_hash (model);
  for (guint i = 0; i < model->n_layers; i++)
    {
      RlLayerSvd *l = &svd->layers[i];

      l->m = model->layers[i].in;
      l->n = model->layers[i].out;
      l->k = MIN (l->m, l->n);
      l->s = g_new (double, l->k);
      l->us = g_new (float, l->m * l->k);
      l->vt = g_new (float, l->k * l->n);
      for (guint j = 0; j < l->k; j++)
        l->s[j] = (l->k - j) + g_rand_double (rand) * 0.5 + 1.0 / 3.0;
      fill_random (l->us, l->m * l->k, rand);
      fill_random (l->vt, l->k * l->n, rand);
    }
  return svd;
}

static void
assert_svd_equal (const RlSvd *x,
                  const RlSvd *y)
{
  g_assert_cmpuint (x->n_layers, ==, y->n_layers);
  g_assert_cmpstr (x->weights_hash, ==, y->weights_hash);
  for (guint i = 0; i < x->n_layers; i++)
    {
      const RlLayerSvd *a = &x->layers[i], *b = &y->layers[i];

      g_assert_cmpuint (a->m, ==, b->m);
      g_assert_cmpuint (a->n, ==, b->n);
      g_assert_cmpuint (a->k, ==, b->k);
      g_assert_cmpmem (a->s, a->k * sizeof (double), b->s, b->k * sizeof (double));
      g_assert_cmpmem (a->us, a->m * a->k * sizeof (float), b->us, b->m * b->k * sizeof (float));
      g_assert_cmpmem (a->vt, a->k * a->n * sizeof (float), b->vt, b->k * b->n * sizeof (float));
    }
}

static void
test_svd_roundtrip (void)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "svd.safetensors", NULL);
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 1);
  g_autoptr(RlModel) other = rl_model_copy (model);
  g_autoptr(RlSvd) svd = make_svd (model, 11);
  g_autoptr(RlSvd) loaded = NULL;
  g_autoptr(RlSvd) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(RlStReader) reader = NULL;
  const RlStTensor *t;

  g_assert_true (rl_svd_save (svd, path, &error));   /* creates "sub" */
  g_assert_no_error (error);
  loaded = rl_svd_load (path, model, &error);
  g_assert_no_error (error);
  assert_svd_equal (svd, loaded);

  /* The file's tensors as documented. */
  bytes = rl_file_read_bounded (path, G_MAXSIZE, &error);
  g_assert_no_error (error);
  reader = rl_st_reader_new (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rl_st_reader_get_meta (reader, "weights_hash"), ==, svd->weights_hash);
  t = rl_st_reader_get (reader, "layers.1.s");
  g_assert_true (t != NULL && t->dtype == RL_ST_F64 && t->n_dims == 1 && t->shape[0] == 7);
  t = rl_st_reader_get (reader, "layers.1.us");
  g_assert_true (t != NULL && t->dtype == RL_ST_F32 && t->shape[0] == 9 && t->shape[1] == 7);
  t = rl_st_reader_get (reader, "layers.2.vt");
  g_assert_true (t != NULL && t->dtype == RL_ST_F32 && t->shape[0] == 3 && t->shape[1] == 3);

  /* Other weights: refused by hash. */
  other->layers[1].w[3] += 0.125f;
  refused = rl_svd_load (path, other, &error);
  g_assert_null (refused);
  assert_error_says (error, RL_ERROR_INVALID, "other weights");
  g_clear_error (&error);

  /* Same hash, shapes that do not fit the model: refused by shape. */
  svd->layers[1].m = 8;
  g_assert_true (rl_svd_save (svd, path, &error));
  refused = rl_svd_load (path, model, &error);
  g_assert_null (refused);
  assert_error_says (error, RL_ERROR_SHAPE, "layer 1 (layers.1.us): expected shape [9,7], file has [8,7]");
  rm_rf (dir);
}

static void
test_svd_cache (void)
{
  g_autoptr(RlModel) model = make_dense (small_sizes, G_N_ELEMENTS (small_sizes), 9);
  g_autoptr(RlSvd) stored = make_svd (model, 12);
  g_autoptr(RlSvd) got = NULL;
  g_autoptr(RlSvd) computed = NULL;
  g_autoptr(RlSvd) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = rl_svd_cache_path (model);
  g_autofree char *hash = rl_model_weights_hash (model);
  g_autofree char *base = g_strdup_printf ("svd-%s.safetensors", hash);
  g_autofree char *expected = g_build_filename (g_get_user_cache_dir (), "ranklab", base, NULL);
  gboolean from_cache = TRUE;

  g_assert_cmpstr (path, ==, expected);
  g_assert_cmpuint (strlen (hash), ==, 64);

  /* A stored (fake) SVD is returned as is: it came from the cache. */
  g_assert_true (rl_svd_save (stored, path, &error));
  got = rl_svd_get_cached (model, &from_cache, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (from_cache);
  assert_svd_equal (stored, got);

  /* A corrupt cache file is ignored, recomputed and replaced. */
  g_assert_true (g_file_set_contents (path, "garbage", -1, NULL));
  computed = rl_svd_get_cached (model, &from_cache, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (from_cache);
  g_assert_cmpuint (computed->n_layers, ==, 3);
  g_assert_cmpfloat (computed->layers[0].s[0], !=, stored->layers[0].s[0]);
  reloaded = rl_svd_load (path, model, &error);
  g_assert_no_error (error);
  assert_svd_equal (computed, reloaded);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *cache = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);
  if (!g_test_subprocess ())
    {
      cache = make_tmpdir ();
      g_setenv ("XDG_CACHE_HOME", cache, TRUE);
    }

  g_test_add_func ("/modelfile/roundtrip/dense", test_roundtrip_dense);
  g_test_add_func ("/modelfile/roundtrip/factored", test_roundtrip_factored);
  g_test_add_func ("/modelfile/layout", test_layout);
  g_test_add_func ("/modelfile/refuse/truncated", test_refuse_truncated);
  g_test_add_func ("/modelfile/refuse/header-length", test_refuse_header_length);
  g_test_add_func ("/modelfile/refuse/malformed-json", test_refuse_malformed_json);
  g_test_add_func ("/modelfile/refuse/layout", test_refuse_layout);
  g_test_add_func ("/modelfile/refuse/deep-header", test_refuse_deep_header);
  g_test_add_func ("/modelfile/refuse/fifo", test_refuse_fifo);
  g_test_add_func ("/modelfile/atomic/targets", test_save_targets);
  g_test_add_func ("/modelfile/refuse/tensors", test_refuse_tensors);
  g_test_add_func ("/modelfile/refuse/save-nan", test_refuse_save_nan);
  g_test_add_func ("/modelfile/refuse/file-size", test_refuse_file_size);
  g_test_add_func ("/modelfile/failed-load-keeps-model", test_failed_load_keeps_model);
  g_test_add_func ("/modelfile/atomic/readonly", test_atomic_replace);
  g_test_add_func ("/modelfile/atomic/fsize", test_atomic_fsize);
  g_test_add_func ("/modelfile/atomic/killed", test_atomic_killed);
  g_test_add_func ("/modelfile/svd/roundtrip", test_svd_roundtrip);
  g_test_add_func ("/modelfile/svd/cache", test_svd_cache);

  ret = g_test_run ();
  if (cache != NULL)
    rm_rf (cache);
  return ret;
}
