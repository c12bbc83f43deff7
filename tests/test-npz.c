/* test-npz.c — the .npz writer: the archive is read back byte by byte (ZIP
 * local headers, central directory, CRC-32, NPY headers, data). */

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "rl-core.h"
#include "rl-npz.h"
#include "rl-export.h"

typedef struct
{
  char         *name;
  guint32       crc;
  guint32       size;
  guint32       offset;
  const guint8 *data;     /* the member's bytes inside the archive */
} Member;

static void
member_clear (gpointer p)
{
  g_free (((Member *) p)->name);
}

static guint
rd16 (const guint8 *p)
{
  return p[0] | (p[1] << 8);
}

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

/* CRC-32 computed by zlib, through GIO: a gzip stream ends with the CRC. */
static guint32
zlib_crc32 (const guint8 *data,
            gsize         len)
{
  g_autoptr(GZlibCompressor) comp = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 buf[65536];
  gsize done = 0, read, written;
  GConverterResult r;

  do
    {
      r = g_converter_convert (G_CONVERTER (comp), data + done, len - done, buf, sizeof buf,
                               G_CONVERTER_INPUT_AT_END, &read, &written, NULL);
      g_assert_cmpint (r, !=, G_CONVERTER_ERROR);
      done += read;
      g_byte_array_append (out, buf, written);
    }
  while (r != G_CONVERTER_FINISHED);
  g_assert_cmpuint (out->len, >=, 8);
  return rd32 (out->data + out->len - 8);
}

/* Walks the archive from its end record; checks every header field. */
static GArray *
parse_zip (const guint8 *zip,
           gsize         len)
{
  GArray *members = g_array_new (FALSE, TRUE, sizeof (Member));
  const guint8 *end;
  guint n, cd_size, cd_offset;
  const guint8 *cd;

  g_array_set_clear_func (members, member_clear);
  g_assert_cmpuint (len, >=, 22);
  end = zip + len - 22;
  g_assert_cmphex (rd32 (end), ==, 0x06054b50);
  n = rd16 (end + 8);
  g_assert_cmpuint (rd16 (end + 10), ==, n);
  cd_size = rd32 (end + 12);
  cd_offset = rd32 (end + 16);
  g_assert_cmpuint (rd16 (end + 20), ==, 0);
  g_assert_cmpuint ((gsize) cd_offset + cd_size, ==, len - 22);

  cd = zip + cd_offset;
  for (guint i = 0; i < n; i++)
    {
      Member m = { 0 };
      guint name_len;
      const guint8 *local;

      g_assert_cmphex (rd32 (cd), ==, 0x02014b50);
      g_assert_cmpuint (rd16 (cd + 10), ==, 0);           /* stored */
      m.crc = rd32 (cd + 16);
      m.size = rd32 (cd + 20);
      g_assert_cmpuint (rd32 (cd + 24), ==, m.size);
      name_len = rd16 (cd + 28);
      g_assert_cmpuint (rd16 (cd + 30), ==, 0);
      g_assert_cmpuint (rd16 (cd + 32), ==, 0);
      m.offset = rd32 (cd + 42);
      m.name = g_strndup ((const char *) cd + 46, name_len);
      cd += 46 + name_len;

      /* The local header repeats the same facts. */
      local = zip + m.offset;
      g_assert_cmphex (rd32 (local), ==, 0x04034b50);
      g_assert_cmpuint (rd16 (local + 4), ==, 20);
      g_assert_cmpuint (rd16 (local + 6), ==, 0);
      g_assert_cmpuint (rd16 (local + 8), ==, 0);
      g_assert_cmphex (rd32 (local + 14), ==, m.crc);
      g_assert_cmpuint (rd32 (local + 18), ==, m.size);
      g_assert_cmpuint (rd32 (local + 22), ==, m.size);
      g_assert_cmpuint (rd16 (local + 26), ==, name_len);
      g_assert_cmpuint (rd16 (local + 28), ==, 0);
      g_assert_cmpmem (local + 30, name_len, m.name, name_len);
      m.data = local + 30 + name_len;
      g_assert_cmpuint ((gsize) (m.data - zip) + m.size, <=, cd_offset);

      g_assert_cmphex (rl_crc32 (0, m.data, m.size), ==, m.crc);
      g_assert_cmphex (zlib_crc32 (m.data, m.size), ==, m.crc);
      g_array_append_val (members, m);
    }
  g_assert_true (cd == zip + cd_offset + cd_size);
  return members;
}

/* Checks the NPY v1.0 header and returns the data. */
static const float *
check_npy (const Member *m,
           const char   *expected_shape,
           gsize         n_floats)
{
  g_autofree char *dict = NULL;
  g_autofree char *expected = NULL;
  guint hlen;

  g_assert_cmpuint (m->size, >=, 10);
  g_assert_cmpmem (m->data, 8, "\x93NUMPY\x01\x00", 8);
  hlen = rd16 (m->data + 8);
  g_assert_cmpuint ((10 + hlen) % 64, ==, 0);
  g_assert_cmpuint (m->data[10 + hlen - 1], ==, '\n');
  dict = g_strchomp (g_strndup ((const char *) m->data + 10, hlen));
  expected = g_strdup_printf ("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", expected_shape);
  g_assert_cmpstr (dict, ==, expected);
  g_assert_cmpuint (m->size, ==, 10 + hlen + n_floats * sizeof (float));
  return (const float *) (m->data + 10 + hlen);
}

static const Member *
find_member (GArray     *members,
             const char *name)
{
  for (guint i = 0; i < members->len; i++)
    if (g_strcmp0 (g_array_index (members, Member, i).name, name) == 0)
      return &g_array_index (members, Member, i);
  g_error ("no member %s", name);
  return NULL;
}

static void
test_crc (void)
{
  /* The check value of CRC-32/ISO-HDLC. */
  g_assert_cmphex (rl_crc32 (0, "123456789", 9), ==, 0xcbf43926);
  g_assert_cmphex (rl_crc32 (0, "", 0), ==, 0);
  /* Running value: the same as one call. */
  g_assert_cmphex (rl_crc32 (rl_crc32 (0, "12345", 5), "6789", 4), ==, 0xcbf43926);
}

/* A small model with one dense and one factored layer, made by hand. */
static RlModel *
make_model (void)
{
  static const guint sizes[] = { 6, 5, 3 };
  g_autoptr(GError) error = NULL;
  RlModel *model = rl_model_new (sizes, 3, &error);
  RlLayer *l1;

  g_assert_no_error (error);
  rl_model_init_weights (model, RL_INIT_GLOROT_UNIFORM, 7);
  for (guint j = 0; j < model->layers[0].out; j++)
    model->layers[0].bias[j] = 0.25f * j - 0.5f;

  l1 = &model->layers[1];
  l1->rank = 2;
  g_clear_pointer (&l1->w, g_free);
  l1->a = g_new (float, l1->in * 2);
  l1->b = g_new (float, 2 * l1->out);
  for (guint i = 0; i < l1->in * 2; i++)
    l1->a[i] = (float) i / 7.0f - 1.0f;
  for (guint i = 0; i < 2 * l1->out; i++)
    l1->b[i] = (float) i * 0.125f;
  return model;
}

static void
test_model_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlModel) model = make_model ();
  g_autofree char *dir = g_dir_make_tmp ("rl-npz-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GArray) members = NULL;
  gsize len;
  const float *data;

  g_assert_no_error (error);
  path = g_build_filename (dir, "model.npz", NULL);
  g_assert_true (rl_npz_save_model (model, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));

  members = parse_zip ((const guint8 *) contents, len);
  g_assert_cmpuint (members->len, ==, 5);
  g_assert_cmpstr (g_array_index (members, Member, 0).name, ==, "layers.0.weight.npy");
  g_assert_cmpstr (g_array_index (members, Member, 4).name, ==, "layers.1.bias.npy");

  data = check_npy (find_member (members, "layers.0.weight.npy"), "(6, 5)", 30);
  g_assert_cmpmem (data, 30 * sizeof (float), model->layers[0].w, 30 * sizeof (float));
  data = check_npy (find_member (members, "layers.0.bias.npy"), "(5,)", 5);
  g_assert_cmpmem (data, 5 * sizeof (float), model->layers[0].bias, 5 * sizeof (float));
  data = check_npy (find_member (members, "layers.1.a.npy"), "(5, 2)", 10);
  g_assert_cmpmem (data, 10 * sizeof (float), model->layers[1].a, 10 * sizeof (float));
  data = check_npy (find_member (members, "layers.1.b.npy"), "(2, 3)", 6);
  g_assert_cmpmem (data, 6 * sizeof (float), model->layers[1].b, 6 * sizeof (float));
  check_npy (find_member (members, "layers.1.bias.npy"), "(3,)", 3);

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_writer_errors (void)
{
  g_autoptr(RlNpzWriter) writer = rl_npz_writer_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GArray) members = NULL;
  GError *error = NULL;
  guint64 shape3[3] = { 2, 1, 2 };
  guint64 huge[2] = { G_MAXUINT32, G_MAXUINT32 };
  float x[4] = { 1, 2, 3, 4 };

  g_assert_false (rl_npz_writer_add_f32 (writer, "", 1, shape3, x, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (rl_npz_writer_add_f32 (writer, "a/b", 1, shape3, x, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (rl_npz_writer_add_f32 (writer, "big", 2, huge, x, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "big"));
  g_clear_error (&error);
  g_assert_false (rl_npz_writer_add_f32 (writer, "zero", 0, shape3, x, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (rl_npz_writer_add_f32 (writer, "t", 3, shape3, x, &error));
  g_assert_false (rl_npz_writer_add_f32 (writer, "t", 3, shape3, x, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  bytes = rl_npz_writer_finish (writer, &error);
  g_assert_no_error (error);
  members = parse_zip (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_assert_cmpuint (members->len, ==, 1);
  g_assert_cmpmem (check_npy (&g_array_index (members, Member, 0), "(2, 1, 2)", 4),
                   sizeof x, x, sizeof x);
}

static void
test_csv_meta (void)
{
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (RlSweepRow));
  RlSweepRow row = { .rank = 0, .accuracy = 0.97, .latency_s = 0.01, .speedup = 1,
                     .params = 1000, .memory_mb = 0.5 };
  const char *keys[] = { "model_sha256", "plan", NULL };
  const char *values[] = { "abc123", "paper\nrank 25", NULL };
  g_autofree char *plain = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *expected = NULL;

  g_array_append_val (rows, row);
  row.rank = 25;
  row.accuracy = 0.96;
  g_array_append_val (rows, row);
  plain = rl_sweep_to_csv (rows);
  csv = rl_sweep_to_csv_with_meta (rows, keys, values);
  expected = g_strconcat ("# model_sha256=abc123\n# plan=paper rank 25\n", plain, NULL);
  g_assert_cmpstr (csv, ==, expected);
  /* The plain table (the CLI's) still starts with its column header. */
  g_assert_true (g_str_has_prefix (plain, "rank,accuracy,"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);

  g_test_add_func ("/npz/crc32", test_crc);
  g_test_add_func ("/npz/model-roundtrip", test_model_roundtrip);
  g_test_add_func ("/npz/writer-errors", test_writer_errors);
  g_test_add_func ("/npz/csv-meta", test_csv_meta);
  return g_test_run ();
}
