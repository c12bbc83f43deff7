/* test-dataset.c — IDX parsing, gzip, folder lookup, and (with
 * RANKLAB_MNIST_DIR) the real MNIST files. */
#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "rl-dataset.h"
#include "rl-error.h"

/* ---- building IDX files in memory ------------------------------------- */

static guint8
pixel_at (guint item,
          guint k)
{
  return (guint8) ((item * 97u + k * 13u) % 256u);
}

static guint8
label_at (guint item)
{
  return (guint8) ((item * 3u + 1u) % 10u);
}

static void
put_be32 (GByteArray *a,
          guint32     v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (a, b, 4);
}

static GBytes *
make_images (guint32 magic,
             guint32 n_header,
             guint   n_real,
             guint32 rows,
             guint32 cols)
{
  GByteArray *a = g_byte_array_new ();

  put_be32 (a, magic);
  put_be32 (a, n_header);
  put_be32 (a, rows);
  put_be32 (a, cols);
  for (guint i = 0; i < n_real; i++)
    for (guint k = 0; k < rows * cols; k++)
      {
        guint8 p = pixel_at (i, k);

        g_byte_array_append (a, &p, 1);
      }
  return g_byte_array_free_to_bytes (a);
}

static GBytes *
make_labels (guint32 n_header,
             guint   n_real)
{
  GByteArray *a = g_byte_array_new ();

  put_be32 (a, RL_IDX_LABEL_MAGIC);
  put_be32 (a, n_header);
  for (guint i = 0; i < n_real; i++)
    {
      guint8 l = label_at (i);

      g_byte_array_append (a, &l, 1);
    }
  return g_byte_array_free_to_bytes (a);
}

/* A copy of b with its length changed by delta (cut, or zero bytes added). */
static GBytes *
resize_bytes (GBytes *b,
              int     delta)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (b, &len);
  gsize nlen = (gsize) ((gssize) len + delta);
  guint8 *out = g_malloc0 (nlen);

  memcpy (out, d, MIN (len, nlen));
  return g_bytes_new_take (out, nlen);
}

static GBytes *
gzip_bytes (GBytes *raw)
{
  g_autoptr(GZlibCompressor) comp = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) conv = g_converter_output_stream_new (mem, G_CONVERTER (comp));
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *d = g_bytes_get_data (raw, &len);

  g_assert_true (g_output_stream_write_all (conv, d, len, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (conv, NULL, &error));
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

static GBytes *
concat_bytes (GBytes *a,
              GBytes *b)
{
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
  g_byte_array_append (out, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  return g_byte_array_free_to_bytes (out);
}

/* ---- temporary folders ----------------------------------------------- */

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ranklab-dataset-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static char *
write_file (const char *dir,
            const char *name,
            GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  return path;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* ---- assertions ------------------------------------------------------ */

static void
assert_error_says (const GError *error,
                   int           code,
                   const char   *phrase1,
                   const char   *phrase2)
{
  g_assert_error (error, RL_ERROR, code);
  g_test_message ("error: %s", error->message);
  if (phrase1 && strstr (error->message, phrase1) == NULL)
    g_test_fail_printf ("message “%s” lacks “%s”", error->message, phrase1);
  if (phrase2 && strstr (error->message, phrase2) == NULL)
    g_test_fail_printf ("message “%s” lacks “%s”", error->message, phrase2);
}

static void
assert_dataset_matches (const RlDataset *ds,
                        guint            n)
{
  g_assert_nonnull (ds);
  g_assert_cmpuint (ds->n, ==, n);
  g_assert_cmpuint (ds->rows, ==, 28);
  g_assert_cmpuint (ds->cols, ==, 28);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (ds->labels[i], ==, label_at (i));
      for (guint k = 0; k < 784; k++)
        g_assert_cmpfloat (ds->images[(gsize) i * 784 + k], ==, (float) pixel_at (i, k) / 255.0f);
    }
}

/* Writes images and labels under the given names and loads them with
 * rl_dataset_load_idx; returns the error (the load must fail). */
static GError *
load_pair_expect_error (GBytes     *images,
                        GBytes     *labels,
                        char      **images_path_out)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *ip = write_file (dir, "train-images-idx3-ubyte", images);
  g_autofree char *lp = write_file (dir, "train-labels-idx1-ubyte", labels);
  GError *error = NULL;
  RlDataset *ds = rl_dataset_load_dir (dir, RL_SPLIT_TRAIN, &error);

  g_assert_null (ds);
  g_assert_nonnull (error);
  /* every message names the file or folder involved */
  if (strstr (error->message, dir) == NULL)
    g_test_fail_printf ("message “%s” does not name the path", error->message);
  remove_dir (dir);
  if (images_path_out)
    *images_path_out = g_steal_pointer (&ip);
  return error;
}

/* ---- valid files ----------------------------------------------------- */

static void
test_parse_valid (void)
{
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 3, 3, 28, 28);
  g_autoptr(GBytes) lab = make_labels (3, 3);
  g_autoptr(GError) error = NULL;
  const guint8 *data, *pixels = NULL, *labels = NULL;
  guint n = 0, rows = 0, cols = 0;
  gsize len;

  data = g_bytes_get_data (img, &len);
  g_assert_cmpuint (len, ==, 16 + 3 * 784);
  g_assert_true (rl_idx_parse_images (data, len, &n, &rows, &cols, &pixels, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (rows, ==, 28);
  g_assert_cmpuint (cols, ==, 28);
  g_assert_true (pixels == data + 16);
  g_assert_cmpuint (pixels[784 + 5], ==, pixel_at (1, 5));

  data = g_bytes_get_data (lab, &len);
  n = 0;
  g_assert_true (rl_idx_parse_labels (data, len, &n, &labels, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (labels == data + 8);
  g_assert_cmpuint (labels[2], ==, label_at (2));
}

static void
test_load_raw (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 3, 3, 28, 28);
  g_autoptr(GBytes) lab = make_labels (3, 3);
  g_autofree char *ip = write_file (dir, "train-images-idx3-ubyte", img);
  g_autofree char *lp = write_file (dir, "train-labels-idx1-ubyte", lab);
  g_autoptr(GError) error = NULL;
  g_autoptr(RlDataset) ds = rl_dataset_load_dir (dir, RL_SPLIT_TRAIN, &error);

  g_assert_no_error (error);
  assert_dataset_matches (ds, 3);

  /* the test split is not there */
  g_assert_null (rl_dataset_load_dir (dir, RL_SPLIT_TEST, &error));
  assert_error_says (error, RL_ERROR_IO, "t10k-images-idx3-ubyte", "fetch-mnist.sh");
  remove_dir (dir);
}

static void
test_load_gzip (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 4, 4, 28, 28);
  g_autoptr(GBytes) lab = make_labels (4, 4);
  g_autoptr(GBytes) img_gz = gzip_bytes (img);
  g_autoptr(GBytes) lab_gz = gzip_bytes (lab);
  g_autofree char *ip = write_file (dir, "t10k-images-idx3-ubyte.gz", img_gz);
  g_autofree char *lp = write_file (dir, "t10k-labels-idx1-ubyte.gz", lab_gz);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autoptr(RlDataset) ds = NULL;

  g_assert_cmphex (((const guint8 *) g_bytes_get_data (img_gz, NULL))[0], ==, 0x1f);
  back = rl_idx_read_file (ip, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, img));

  ds = rl_dataset_load_dir (dir, RL_SPLIT_TEST, &error);
  g_assert_no_error (error);
  assert_dataset_matches (ds, 4);
  remove_dir (dir);
}

static void
test_load_gzip_without_suffix (void)
{
  /* gzip is recognised by its bytes, not by the name */
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 2, 2, 28, 28);
  g_autoptr(GBytes) lab = make_labels (2, 2);
  g_autoptr(GBytes) img_gz = gzip_bytes (img);
  g_autofree char *ip = write_file (dir, "t10k-images.idx3-ubyte", img_gz);
  g_autofree char *lp = write_file (dir, "t10k-labels.idx1-ubyte.gz", lab);
  g_autoptr(GError) error = NULL;
  g_autoptr(RlDataset) ds = rl_dataset_load_dir (dir, RL_SPLIT_TEST, &error);

  g_assert_no_error (error);
  assert_dataset_matches (ds, 2);
  remove_dir (dir);
}

static void
test_gzip_multi_member (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 3, 3, 28, 28);
  g_autoptr(GBytes) head = g_bytes_new_from_bytes (img, 0, 1000);
  g_autoptr(GBytes) tail = g_bytes_new_from_bytes (img, 1000, g_bytes_get_size (img) - 1000);
  g_autoptr(GBytes) gz1 = gzip_bytes (head);
  g_autoptr(GBytes) gz2 = gzip_bytes (tail);
  g_autoptr(GBytes) both = concat_bytes (gz1, gz2);
  g_autofree char *path = write_file (dir, "x.gz", both);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) back = rl_idx_read_file (path, &error);

  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, img));
  remove_dir (dir);
}

/* ---- broken files ---------------------------------------------------- */

static void
test_error_truncated (void)
{
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 3, 3, 28, 28);
  g_autoptr(GBytes) short_img = resize_bytes (img, -1);
  g_autoptr(GBytes) long_img = resize_bytes (img, +1);
  g_autoptr(GBytes) lab = make_labels (3, 3);
  g_autoptr(GBytes) short_lab = resize_bytes (lab, -1);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

  e1 = load_pair_expect_error (short_img, lab, NULL);
  assert_error_says (e1, RL_ERROR_FORMAT, "truncated", "need 2368 bytes, the data has 2367");
  e2 = load_pair_expect_error (long_img, lab, NULL);
  assert_error_says (e2, RL_ERROR_FORMAT, "trailing data", "the data has 2369");
  e3 = load_pair_expect_error (img, short_lab, NULL);
  assert_error_says (e3, RL_ERROR_FORMAT, "truncated", "need 11 bytes, the data has 10");
}

static void
test_error_magic (void)
{
  g_autoptr(GBytes) bad = make_images (0x00000804, 3, 3, 28, 28);
  g_autoptr(GBytes) lab = make_labels (3, 3);
  g_autoptr(GError) e1 = NULL, e2 = NULL;
  const guint8 *d;
  gsize len;

  e1 = load_pair_expect_error (bad, lab, NULL);
  assert_error_says (e1, RL_ERROR_FORMAT, "wrong magic number 0x00000804",
                     "train-images-idx3-ubyte");

  /* a label file where the images should be */
  d = g_bytes_get_data (lab, &len);
  g_assert_false (rl_idx_parse_images (d, len, NULL, NULL, NULL, NULL, &e2));
  assert_error_says (e2, RL_ERROR_FORMAT, "label file", NULL);
}

static void
test_error_little_endian (void)
{
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 3, 3, 28, 28);
  g_autoptr(GBytes) lab = make_labels (3, 3);
  g_autoptr(GError) e1 = NULL, e2 = NULL;
  guint8 *d = g_memdup2 (g_bytes_get_data (img, NULL), g_bytes_get_size (img));
  g_autoptr(GBytes) le = NULL;
  guint8 *l = g_memdup2 (g_bytes_get_data (lab, NULL), g_bytes_get_size (lab));
  gsize llen = g_bytes_get_size (lab);

  /* a writer that stored every header integer little-endian */
  for (guint w = 0; w < 4; w++)
    {
      guint8 t0 = d[4 * w], t1 = d[4 * w + 1];

      d[4 * w] = d[4 * w + 3];
      d[4 * w + 1] = d[4 * w + 2];
      d[4 * w + 2] = t1;
      d[4 * w + 3] = t0;
    }
  le = g_bytes_new_take (d, g_bytes_get_size (img));
  e1 = load_pair_expect_error (le, lab, NULL);
  assert_error_says (e1, RL_ERROR_FORMAT, "little-endian header", NULL);

  l[0] = 0x01; l[1] = 0x08; l[2] = 0; l[3] = 0;
  g_assert_false (rl_idx_parse_labels (l, llen, NULL, NULL, &e2));
  assert_error_says (e2, RL_ERROR_FORMAT, "little-endian header", NULL);
  g_free (l);
}

static void
test_error_absurd_count (void)
{
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 0xFFFFFFFFu, 0, 28, 28);
  g_autoptr(GBytes) lab = make_labels (3, 3);
  g_autoptr(GBytes) lab_huge = make_labels (0xFFFFFFFFu, 0);
  g_autoptr(GBytes) img_big = make_images (RL_IDX_IMAGE_MAGIC, RL_DATASET_MAX_ITEMS, 0, 28, 28);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
  gsize len;
  const guint8 *d;

  g_assert_cmpuint (g_bytes_get_size (img), ==, 16);
  e1 = load_pair_expect_error (img, lab, NULL);
  assert_error_says (e1, RL_ERROR_LIMIT, "4294967295 images", "limit of 1000000");

  d = g_bytes_get_data (lab_huge, &len);
  g_assert_false (rl_idx_parse_labels (d, len, NULL, NULL, &e2));
  assert_error_says (e2, RL_ERROR_LIMIT, "4294967295 labels", NULL);

  /* at the ceiling the count is allowed, so the size check answers */
  d = g_bytes_get_data (img_big, &len);
  g_assert_false (rl_idx_parse_images (d, len, NULL, NULL, NULL, NULL, &e3));
  assert_error_says (e3, RL_ERROR_FORMAT, "truncated", "784000016");
}

static void
test_error_dims (void)
{
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 2, 2, 27, 28);
  g_autoptr(GBytes) lab = make_labels (2, 2);
  g_autoptr(GError) error = NULL;

  error = load_pair_expect_error (img, lab, NULL);
  assert_error_says (error, RL_ERROR_SHAPE, "27×28", "expected 28×28");
}

static void
test_error_gzip_garbage (void)
{
  static const guint8 garbage[] = { 0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3,
                                    'n', 'o', 't', ' ', 'd', 'e', 'f', 'l', 'a', 't', 'e',
                                    0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8 };
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) bad = g_bytes_new_static (garbage, sizeof garbage);
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 3, 3, 28, 28);
  g_autoptr(GBytes) gz = gzip_bytes (img);
  g_autoptr(GBytes) gz_cut = g_bytes_new_from_bytes (gz, 0, g_bytes_get_size (gz) / 2);
  g_autoptr(GBytes) junk = g_bytes_new_static ("junk", 4);
  g_autoptr(GBytes) gz_junk = concat_bytes (gz, junk);
  g_autofree char *p1 = write_file (dir, "garbage.gz", bad);
  g_autofree char *p2 = write_file (dir, "cut.gz", gz_cut);
  g_autofree char *p3 = write_file (dir, "junk.gz", gz_junk);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

  g_assert_null (rl_idx_read_file (p1, &e1));
  assert_error_says (e1, RL_ERROR_FORMAT, "not valid gzip data", p1);
  g_assert_null (rl_idx_read_file (p2, &e2));
  assert_error_says (e2, RL_ERROR_FORMAT, "gzip data is truncated", p2);
  g_assert_null (rl_idx_read_file (p3, &e3));
  assert_error_says (e3, RL_ERROR_FORMAT, "4 bytes of trailing data", p3);
  remove_dir (dir);
}

static void
test_error_gzip_ceiling (void)
{
  /* 760 concatenated members of 1 MiB of zeros each inflate to 797 MB,
   * past the ceiling (16 + 10^6·784 bytes + slack), from a file < 1 MB. */
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) zeros = g_bytes_new_take (g_malloc0 (1 << 20), 1 << 20);
  g_autoptr(GBytes) member = gzip_bytes (zeros);
  GByteArray *all = NULL;
  g_autoptr(GBytes) bomb = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  /* inflating ~800 MB takes seconds and as much memory: thorough runs only */
  if (!g_test_slow ())
    {
      g_test_skip ("inflates ~800 MB; run with -m slow");
      remove_dir (dir);
      return;
    }
  all = g_byte_array_new ();
  for (guint i = 0; i < 760; i++)
    g_byte_array_append (all, g_bytes_get_data (member, NULL), g_bytes_get_size (member));
  bomb = g_byte_array_free_to_bytes (all);
  g_assert_cmpuint (g_bytes_get_size (bomb), <, 1000000);
  path = write_file (dir, "bomb.gz", bomb);

  g_assert_null (rl_idx_read_file (path, &error));
  assert_error_says (error, RL_ERROR_LIMIT, "inflates to more than", path);
  remove_dir (dir);
}

static void
test_error_html (void)
{
  static const char page[] =
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1></body></html>\n";
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) html = g_bytes_new_static (page, sizeof page - 1);
  g_autoptr(GBytes) lab = make_labels (3, 3);
  g_autofree char *ip = write_file (dir, "train-images-idx3-ubyte.gz", html);
  g_autofree char *lp = write_file (dir, "train-labels-idx1-ubyte.gz", lab);
  g_autoptr(GError) error = NULL;

  g_assert_null (rl_dataset_load_dir (dir, RL_SPLIT_TRAIN, &error));
  assert_error_says (error, RL_ERROR_FORMAT, "HTML page, not an IDX file", ip);
  remove_dir (dir);
}

static void
test_error_label_range (void)
{
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 4, 4, 28, 28);
  g_autoptr(GBytes) lab = make_labels (4, 4);
  guint8 *l = g_memdup2 (g_bytes_get_data (lab, NULL), g_bytes_get_size (lab));
  g_autoptr(GBytes) bad = NULL;
  g_autoptr(GError) error = NULL;

  l[8 + 2] = 10;
  bad = g_bytes_new_take (l, g_bytes_get_size (lab));
  error = load_pair_expect_error (img, bad, NULL);
  assert_error_says (error, RL_ERROR_FORMAT, "label 10 at index 2", "train-labels-idx1-ubyte");
}

static void
test_error_count_mismatch (void)
{
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 3, 3, 28, 28);
  g_autoptr(GBytes) lab = make_labels (2, 2);
  g_autoptr(GError) error = NULL;

  error = load_pair_expect_error (img, lab, NULL);
  assert_error_says (error, RL_ERROR_SHAPE, "holds 3 images", "holds 2 labels");
}

static void
test_error_empty_and_not_file (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autofree char *p = write_file (dir, "empty", empty);
  g_autoptr(GBytes) got = rl_idx_read_file (p, NULL);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

  g_assert_nonnull (got);
  g_assert_cmpuint (g_bytes_get_size (got), ==, 0);
  g_assert_false (rl_idx_parse_images (g_bytes_get_data (got, NULL), 0,
                                       NULL, NULL, NULL, NULL, &e1));
  assert_error_says (e1, RL_ERROR_FORMAT, "too short", NULL);

  g_assert_null (rl_idx_read_file (dir, &e2));
  assert_error_says (e2, RL_ERROR_IO, "not a regular file", dir);
  remove_dir (dir);

  g_assert_null (rl_idx_read_file (p, &e3));
  assert_error_says (e3, RL_ERROR_IO, "Could not read", p);
}

static void
test_error_missing_folder (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *gone = g_build_filename (dir, "no-such-folder", NULL);
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 1, 1, 28, 28);
  g_autofree char *ip = write_file (dir, "t10k-images-idx3-ubyte", img);
  g_autoptr(GError) e1 = NULL, e2 = NULL;

  g_assert_null (rl_dataset_load_dir (gone, RL_SPLIT_TEST, &e1));
  assert_error_says (e1, RL_ERROR_IO, gone, "fetch-mnist.sh");

  /* the folder is there, the labels are not */
  g_assert_null (rl_dataset_load_dir (dir, RL_SPLIT_TEST, &e2));
  assert_error_says (e2, RL_ERROR_IO, "t10k-labels-idx1-ubyte", "fetch-mnist.sh");
  if (strstr (e2->message, dir) == NULL)
    g_test_fail_printf ("message “%s” does not name the folder", e2->message);
  remove_dir (dir);
}

/* ---- folder lookup and slicing -------------------------------------- */

static void
test_find_dir (void)
{
  g_autofree char *with = make_tmp_dir ();
  g_autofree char *without = make_tmp_dir ();
  g_autofree char *saved = g_strdup (g_getenv ("RANKLAB_MNIST_DIR"));
  g_autoptr(GBytes) stub = g_bytes_new_static ("x", 1);
  g_autofree char *p = write_file (with, "t10k-images.idx3-ubyte.gz", stub);
  g_autofree char *q = write_file (without, "train-images-idx3-ubyte.gz", stub);
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;

  g_unsetenv ("RANKLAB_MNIST_DIR");
  r1 = rl_dataset_find_dir (with);
  g_assert_cmpstr (r1, ==, with);

  /* an explicit folder is final: without test images it is not found,
   * even when the variable names a good one */
  g_setenv ("RANKLAB_MNIST_DIR", with, TRUE);
  r2 = rl_dataset_find_dir (without);
  g_assert_null (r2);

  /* with no explicit folder, the variable is used */
  r3 = rl_dataset_find_dir (NULL);
  g_assert_cmpstr (r3, ==, with);

  /* and it is final too: a mistyped one never falls back to the user's
   * data folder (which holds test images here) */
  {
    g_autofree char *data_home = make_tmp_dir ();
    g_autofree char *mnist = g_build_filename (data_home, "ranklab", "mnist", NULL);
    g_autofree char *saved_home = g_strdup (g_getenv ("XDG_DATA_HOME"));
    g_autofree char *r4 = NULL, *r5 = NULL;

    g_assert_cmpint (g_mkdir_with_parents (mnist, 0700), ==, 0);
    g_free (write_file (mnist, "t10k-images-idx3-ubyte", stub));
    g_setenv ("XDG_DATA_HOME", data_home, TRUE);
    g_setenv ("RANKLAB_MNIST_DIR", without, TRUE);
    r4 = rl_dataset_find_dir (NULL);
    g_assert_null (r4);
    g_unsetenv ("RANKLAB_MNIST_DIR");
    r5 = rl_dataset_find_dir (NULL);
    /* GLib caches the user data folder: only check when it took the new one */
    if (g_str_equal (g_get_user_data_dir (), data_home))
      g_assert_cmpstr (r5, ==, mnist);
    if (saved_home)
      g_setenv ("XDG_DATA_HOME", saved_home, TRUE);
    else
      g_unsetenv ("XDG_DATA_HOME");
    remove_dir (mnist);
    {
      g_autofree char *ranklab = g_path_get_dirname (mnist);

      g_assert_cmpint (g_rmdir (ranklab), ==, 0);
    }
    g_assert_cmpint (g_rmdir (data_home), ==, 0);
  }

  if (saved)
    g_setenv ("RANKLAB_MNIST_DIR", saved, TRUE);
  else
    g_unsetenv ("RANKLAB_MNIST_DIR");
  remove_dir (with);
  remove_dir (without);
}

static void
test_slice (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GBytes) img = make_images (RL_IDX_IMAGE_MAGIC, 5, 5, 28, 28);
  g_autoptr(GBytes) lab = make_labels (5, 5);
  g_autofree char *ip = write_file (dir, "a", img);
  g_autofree char *lp = write_file (dir, "b", lab);
  g_autoptr(GError) error = NULL;
  g_autoptr(RlDataset) ds = rl_dataset_load_idx (ip, lp, &error);
  g_autoptr(RlDataset) s = NULL;
  g_autoptr(RlDataset) e = NULL;

  g_assert_no_error (error);
  s = rl_dataset_slice (ds, 2, 3);
  g_assert_cmpuint (s->n, ==, 3);
  g_assert_cmpuint (s->rows, ==, 28);
  g_assert_true (s->images != ds->images + 2 * 784);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (s->labels[i], ==, label_at (i + 2));
      for (guint k = 0; k < 784; k++)
        g_assert_cmpfloat (s->images[i * 784 + k], ==, (float) pixel_at (i + 2, k) / 255.0f);
    }
  e = rl_dataset_slice (ds, 5, 0);
  g_assert_cmpuint (e->n, ==, 0);
  remove_dir (dir);
}

/* ---- the real MNIST ------------------------------------------------- */

static void
check_mnist (RlSplit       split,
             guint         n,
             const guint8  first[10],
             const guint   histogram[10])
{
  const char *dir = g_getenv ("RANKLAB_MNIST_DIR");
  g_autoptr(GError) error = NULL;
  g_autoptr(RlDataset) ds = NULL;
  guint hist[10] = { 0 };
  float lo = 1.0f, hi = 0.0f;
  double t0;

  if (dir == NULL || *dir == '\0')
    {
      g_test_skip ("RANKLAB_MNIST_DIR is not set");
      return;
    }

  t0 = g_get_monotonic_time () / 1e6;
  ds = rl_dataset_load_dir (dir, split, &error);
  g_test_message ("loaded %s (%u items) in %.3f s",
                  split == RL_SPLIT_TRAIN ? "train" : "test", ds ? ds->n : 0,
                  g_get_monotonic_time () / 1e6 - t0);
  g_assert_no_error (error);
  g_assert_cmpuint (ds->n, ==, n);
  g_assert_cmpuint (ds->rows, ==, 28);
  g_assert_cmpuint (ds->cols, ==, 28);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (ds->labels[i], ==, first[i]);
  for (guint i = 0; i < ds->n; i++)
    hist[ds->labels[i]]++;
  for (guint d = 0; d < 10; d++)
    g_assert_cmpuint (hist[d], ==, histogram[d]);
  for (gsize i = 0; i < (gsize) ds->n * 784; i++)
    {
      lo = MIN (lo, ds->images[i]);
      hi = MAX (hi, ds->images[i]);
    }
  g_assert_cmpfloat (lo, ==, 0.0f);
  g_assert_cmpfloat (hi, ==, 1.0f);
}

static void
test_mnist_train (void)
{
  static const guint8 first[10] = { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 };
  static const guint hist[10] = { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 };

  check_mnist (RL_SPLIT_TRAIN, 60000, first, hist);
}

static void
test_mnist_test (void)
{
  static const guint8 first[10] = { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 };
  static const guint hist[10] = { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 };

  check_mnist (RL_SPLIT_TEST, 10000, first, hist);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);

  g_test_add_func ("/dataset/parse/valid", test_parse_valid);
  g_test_add_func ("/dataset/load/raw", test_load_raw);
  g_test_add_func ("/dataset/load/gzip", test_load_gzip);
  g_test_add_func ("/dataset/load/gzip-by-bytes", test_load_gzip_without_suffix);
  g_test_add_func ("/dataset/load/gzip-multi-member", test_gzip_multi_member);
  g_test_add_func ("/dataset/error/truncated", test_error_truncated);
  g_test_add_func ("/dataset/error/magic", test_error_magic);
  g_test_add_func ("/dataset/error/little-endian", test_error_little_endian);
  g_test_add_func ("/dataset/error/absurd-count", test_error_absurd_count);
  g_test_add_func ("/dataset/error/dims", test_error_dims);
  g_test_add_func ("/dataset/error/gzip-garbage", test_error_gzip_garbage);
  g_test_add_func ("/dataset/error/gzip-ceiling", test_error_gzip_ceiling);
  g_test_add_func ("/dataset/error/html", test_error_html);
  g_test_add_func ("/dataset/error/label-range", test_error_label_range);
  g_test_add_func ("/dataset/error/count-mismatch", test_error_count_mismatch);
  g_test_add_func ("/dataset/error/empty-and-not-file", test_error_empty_and_not_file);
  g_test_add_func ("/dataset/error/missing-folder", test_error_missing_folder);
  g_test_add_func ("/dataset/find-dir", test_find_dir);
  g_test_add_func ("/dataset/slice", test_slice);
  g_test_add_func ("/dataset/mnist/train", test_mnist_train);
  g_test_add_func ("/dataset/mnist/test", test_mnist_test);

  return g_test_run ();
}
