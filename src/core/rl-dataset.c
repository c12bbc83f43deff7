/* rl-dataset.c — MNIST IDX files (gzip or raw, recognised by their bytes).
 *
 * Every size in a header is checked against the bytes actually present
 * before anything is allocated from it, and the gzip inflater has a ceiling,
 * so a hostile or broken file gives a GError, never a huge allocation.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "rl-dataset.h"
#include "rl-error.h"

#define IDX_PIXELS          (28u * 28u)
#define IDX_IMAGE_HEADER    16u
#define IDX_LABEL_HEADER    8u
/* The largest IDX file we accept, raw or inflated: the image file of
 * RL_DATASET_MAX_ITEMS items plus a little slack. */
#define IDX_MAX_FILE_BYTES  ((guint64) IDX_IMAGE_HEADER + \
                             (guint64) RL_DATASET_MAX_ITEMS * IDX_PIXELS + 4096u)
/* Deflate cannot expand by more than about 1032:1. */
#define GZIP_MAX_RATIO      1100u

static inline guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline guint32
read_le32 (const guint8 *p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static gboolean
is_gzip (const guint8 *data,
         gsize         len)
{
  return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

static gboolean
looks_like_html (const guint8 *data,
                 gsize         len)
{
  static const char *const starts[] = { "<!doctype", "<html", "<head", "<?xml" };
  gsize i = 0;

  if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf)
    i = 3;
  while (i < len && g_ascii_isspace (data[i]))
    i++;

  for (guint k = 0; k < G_N_ELEMENTS (starts); k++)
    {
      gsize sl = strlen (starts[k]);

      if (len - i >= sl && g_ascii_strncasecmp ((const char *) data + i, starts[k], sl) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Errors shared by the two parsers for bytes that are not IDX at all. */
static gboolean
check_not_idx (const guint8 *data,
               gsize         len,
               const char   *what,
               GError      **error)
{
  if (looks_like_html (data, len))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "this is an HTML page, not an IDX file (probably an error page "
                   "saved by a failed download; run data/fetch-mnist.sh again)");
      return FALSE;
    }
  if (is_gzip (data, len))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "the data is still gzip-compressed, not an IDX %s file", what);
      return FALSE;
    }
  return TRUE;
}

static GBytes *
inflate_gzip (const guint8 *data,
              gsize         len,
              const char   *path,
              GError      **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const gsize cap = (gsize) IDX_MAX_FILE_BYTES + 1;
  gsize in_pos = 0;
  gsize out_pos = 0;
  guint64 hint;

  /* The gzip trailer stores the inflated size mod 2^32: use it, bounded,
   * to size the buffer once. It is only a hint; growth is still checked. */
  hint = len >= 18 ? read_le32 (data + len - 4) : 0;
  hint = MIN (hint, (guint64) len * GZIP_MAX_RATIO);
  hint = MIN (hint, (guint64) cap);
  g_byte_array_set_size (out, (guint) MAX (hint, 65536u));

  for (;;)
    {
      g_autoptr(GZlibDecompressor) conv =
        g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      GConverterResult res = G_CONVERTER_CONVERTED;

      while (res != G_CONVERTER_FINISHED)
        {
          g_autoptr(GError) local = NULL;
          gsize n_read = 0, n_written = 0;

          if (out_pos == out->len)
            {
              if (out->len >= cap)
                {
                  g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                               "“%s”: inflates to more than %" G_GUINT64_FORMAT
                               " bytes, larger than any MNIST-style IDX file of at most %u items",
                               path, IDX_MAX_FILE_BYTES, RL_DATASET_MAX_ITEMS);
                  return NULL;
                }
              g_byte_array_set_size (out, (guint) MIN ((gsize) out->len * 2, cap));
            }

          res = g_converter_convert (G_CONVERTER (conv),
                                     data + in_pos, len - in_pos,
                                     out->data + out_pos, out->len - out_pos,
                                     G_CONVERTER_INPUT_AT_END,
                                     &n_read, &n_written, &local);
          if (res == G_CONVERTER_ERROR)
            {
              if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
                g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                             "“%s”: the gzip data is truncated (the file ends after %"
                             G_GSIZE_FORMAT " bytes, mid-stream)", path, len);
              else
                g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                             "“%s”: starts like gzip but is not valid gzip data (%s)",
                             path, local->message);
              return NULL;
            }
          in_pos += n_read;
          out_pos += n_written;
        }

      if (out_pos >= cap)
        {
          g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                       "“%s”: inflates to more than %" G_GUINT64_FORMAT
                       " bytes, larger than any MNIST-style IDX file of at most %u items",
                       path, IDX_MAX_FILE_BYTES, RL_DATASET_MAX_ITEMS);
          return NULL;
        }
      if (in_pos == len)
        break;
      if (!is_gzip (data + in_pos, len - in_pos))
        {
          g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                       "“%s”: %" G_GSIZE_FORMAT " bytes of trailing data after the gzip stream",
                       path, len - in_pos);
          return NULL;
        }
      /* Another gzip member follows (as `cat a.gz b.gz` makes): go on. */
    }

  g_byte_array_set_size (out, (guint) out_pos);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
rl_idx_read_file (const char  *path,
                  GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  GStatBuf st;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, RL_ERROR, RL_ERROR_IO, "Could not read “%s”: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "Could not read “%s”: not a regular file",
                   path);
      return NULL;
    }
  if ((guint64) st.st_size > IDX_MAX_FILE_BYTES)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "“%s” is %" G_GUINT64_FORMAT " bytes, larger than any MNIST-style IDX "
                   "file of at most %u items", path, (guint64) st.st_size, RL_DATASET_MAX_ITEMS);
      return NULL;
    }

  if (!g_file_get_contents (path, &contents, &len, &local))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "Could not read “%s”: %s",
                   path, local->message);
      return NULL;
    }

  if (is_gzip ((const guint8 *) contents, len))
    return inflate_gzip ((const guint8 *) contents, len, path, error);

  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

gboolean
rl_idx_parse_images (const guint8  *data,
                     gsize          len,
                     guint         *n,
                     guint         *rows,
                     guint         *cols,
                     const guint8 **pixels,
                     GError       **error)
{
  guint32 magic, count, r, c;
  guint64 expected;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_not_idx (data, len, "image", error))
    return FALSE;
  if (len < 4)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "only %" G_GSIZE_FORMAT " bytes: too short for an IDX image file", len);
      return FALSE;
    }

  magic = read_be32 (data);
  if (magic == 0x03080000u)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "little-endian header (magic bytes 03 08 00 00): IDX integers are "
                   "big-endian, expected 00 00 08 03");
      return FALSE;
    }
  if (magic == RL_IDX_LABEL_MAGIC)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "this is an IDX label file (magic 2049), not an image file (magic 2051)");
      return FALSE;
    }
  if (magic != RL_IDX_IMAGE_MAGIC)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "wrong magic number 0x%08x, expected 0x00000803 for an IDX image file",
                   magic);
      return FALSE;
    }
  if (len < IDX_IMAGE_HEADER)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "truncated header: %" G_GSIZE_FORMAT " bytes, an IDX image header has %u",
                   len, IDX_IMAGE_HEADER);
      return FALSE;
    }

  count = read_be32 (data + 4);
  r = read_be32 (data + 8);
  c = read_be32 (data + 12);

  if (r != 28 || c != 28)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "images are %u×%u pixels, expected 28×28", r, c);
      return FALSE;
    }
  if (count > RL_DATASET_MAX_ITEMS)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "header claims %u images, more than the limit of %u", count,
                   RL_DATASET_MAX_ITEMS);
      return FALSE;
    }

  expected = IDX_IMAGE_HEADER + (guint64) count * IDX_PIXELS;
  if ((guint64) len != expected)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "%s: %u images of 28×28 need %" G_GUINT64_FORMAT " bytes, the data has %"
                   G_GSIZE_FORMAT " (%s %" G_GUINT64_FORMAT ")",
                   (guint64) len < expected ? "truncated" : "trailing data",
                   count, expected, len,
                   (guint64) len < expected ? "short by" : "extra bytes:",
                   (guint64) len < expected ? expected - len : len - expected);
      return FALSE;
    }

  if (n)
    *n = count;
  if (rows)
    *rows = r;
  if (cols)
    *cols = c;
  if (pixels)
    *pixels = data + IDX_IMAGE_HEADER;
  return TRUE;
}

gboolean
rl_idx_parse_labels (const guint8  *data,
                     gsize          len,
                     guint         *n,
                     const guint8 **labels,
                     GError       **error)
{
  guint32 magic, count;
  guint64 expected;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_not_idx (data, len, "label", error))
    return FALSE;
  if (len < 4)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "only %" G_GSIZE_FORMAT " bytes: too short for an IDX label file", len);
      return FALSE;
    }

  magic = read_be32 (data);
  if (magic == 0x01080000u)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "little-endian header (magic bytes 01 08 00 00): IDX integers are "
                   "big-endian, expected 00 00 08 01");
      return FALSE;
    }
  if (magic == RL_IDX_IMAGE_MAGIC)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "this is an IDX image file (magic 2051), not a label file (magic 2049)");
      return FALSE;
    }
  if (magic != RL_IDX_LABEL_MAGIC)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "wrong magic number 0x%08x, expected 0x00000801 for an IDX label file",
                   magic);
      return FALSE;
    }
  if (len < IDX_LABEL_HEADER)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "truncated header: %" G_GSIZE_FORMAT " bytes, an IDX label header has %u",
                   len, IDX_LABEL_HEADER);
      return FALSE;
    }

  count = read_be32 (data + 4);
  if (count > RL_DATASET_MAX_ITEMS)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "header claims %u labels, more than the limit of %u", count,
                   RL_DATASET_MAX_ITEMS);
      return FALSE;
    }

  expected = IDX_LABEL_HEADER + (guint64) count;
  if ((guint64) len != expected)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "%s: %u labels need %" G_GUINT64_FORMAT " bytes, the data has %"
                   G_GSIZE_FORMAT " (%s %" G_GUINT64_FORMAT ")",
                   (guint64) len < expected ? "truncated" : "trailing data",
                   count, expected, len,
                   (guint64) len < expected ? "short by" : "extra bytes:",
                   (guint64) len < expected ? expected - len : len - expected);
      return FALSE;
    }

  for (guint32 i = 0; i < count; i++)
    if (data[IDX_LABEL_HEADER + i] > 9)
      {
        g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                     "label %u at index %u is out of range (digits are 0–9)",
                     data[IDX_LABEL_HEADER + i], i);
        return FALSE;
      }

  if (n)
    *n = count;
  if (labels)
    *labels = data + IDX_LABEL_HEADER;
  return TRUE;
}

RlDataset *
rl_dataset_load_idx (const char  *images_path,
                     const char  *labels_path,
                     GError     **error)
{
  g_autoptr(GBytes) img_bytes = NULL;
  g_autoptr(GBytes) lab_bytes = NULL;
  const guint8 *pixels = NULL, *labels = NULL, *data;
  guint n_img = 0, n_lab = 0, rows = 0, cols = 0;
  float lut[256];
  RlDataset *ds;
  gsize len;

  g_return_val_if_fail (images_path != NULL, NULL);
  g_return_val_if_fail (labels_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  img_bytes = rl_idx_read_file (images_path, error);
  if (img_bytes == NULL)
    return NULL;
  data = g_bytes_get_data (img_bytes, &len);
  if (!rl_idx_parse_images (data, len, &n_img, &rows, &cols, &pixels, error))
    {
      g_prefix_error (error, "“%s”: ", images_path);
      return NULL;
    }

  lab_bytes = rl_idx_read_file (labels_path, error);
  if (lab_bytes == NULL)
    return NULL;
  data = g_bytes_get_data (lab_bytes, &len);
  if (!rl_idx_parse_labels (data, len, &n_lab, &labels, error))
    {
      g_prefix_error (error, "“%s”: ", labels_path);
      return NULL;
    }

  if (n_img != n_lab)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_SHAPE,
                   "“%s” holds %u images but “%s” holds %u labels; the counts must agree",
                   images_path, n_img, labels_path, n_lab);
      return NULL;
    }
  if (n_img == 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_EMPTY, "“%s” holds no images", images_path);
      return NULL;
    }

  ds = g_new0 (RlDataset, 1);
  ds->n = n_img;
  ds->rows = rows;
  ds->cols = cols;
  ds->images = g_try_malloc_n ((gsize) n_img * rows * cols, sizeof (float));
  ds->labels = g_try_malloc (n_img);
  if (ds->images == NULL || ds->labels == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "“%s”: not enough memory for %u images", images_path, n_img);
      rl_dataset_free (ds);
      return NULL;
    }

  for (guint v = 0; v < 256; v++)
    lut[v] = (float) v / 255.0f;
  for (gsize i = 0, total = (gsize) n_img * rows * cols; i < total; i++)
    ds->images[i] = lut[pixels[i]];
  memcpy (ds->labels, labels, n_img);

  return ds;
}

/* The base names of a split's files, without any .gz. */
static void
split_names (RlSplit      split,
             const char **images,
             const char **images_dot,
             const char **labels,
             const char **labels_dot)
{
  if (split == RL_SPLIT_TRAIN)
    {
      *images = "train-images-idx3-ubyte";
      *images_dot = "train-images.idx3-ubyte";
      *labels = "train-labels-idx1-ubyte";
      *labels_dot = "train-labels.idx1-ubyte";
    }
  else
    {
      *images = "t10k-images-idx3-ubyte";
      *images_dot = "t10k-images.idx3-ubyte";
      *labels = "t10k-labels-idx1-ubyte";
      *labels_dot = "t10k-labels.idx1-ubyte";
    }
}

/* The first existing file among name, name.gz, dot, dot.gz in dir. */
static char *
find_file (const char *dir,
           const char *name,
           const char *dot)
{
  const char *bases[] = { name, dot };

  for (guint b = 0; b < G_N_ELEMENTS (bases); b++)
    for (guint gz = 0; gz < 2; gz++)
      {
        g_autofree char *file = g_strconcat (bases[b], gz ? ".gz" : "", NULL);
        g_autofree char *path = g_build_filename (dir, file, NULL);

        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          return g_steal_pointer (&path);
      }
  return NULL;
}

RlDataset *
rl_dataset_load_dir (const char  *dir,
                     RlSplit      split,
                     GError     **error)
{
  const char *images, *images_dot, *labels, *labels_dot;
  g_autofree char *images_path = NULL;
  g_autofree char *labels_path = NULL;
  const char *what;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (split == RL_SPLIT_TRAIN || split == RL_SPLIT_TEST, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO,
                   "The MNIST folder “%s” does not exist; run data/fetch-mnist.sh "
                   "to download the data", dir);
      return NULL;
    }

  split_names (split, &images, &images_dot, &labels, &labels_dot);
  what = split == RL_SPLIT_TRAIN ? "training" : "test";

  images_path = find_file (dir, images, images_dot);
  if (images_path == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO,
                   "No MNIST %s images in “%s” (looked for %s, %s.gz, %s and %s.gz); "
                   "run data/fetch-mnist.sh to download them",
                   what, dir, images, images, images_dot, images_dot);
      return NULL;
    }
  labels_path = find_file (dir, labels, labels_dot);
  if (labels_path == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO,
                   "No MNIST %s labels in “%s” (looked for %s, %s.gz, %s and %s.gz); "
                   "run data/fetch-mnist.sh to download them",
                   what, dir, labels, labels, labels_dot, labels_dot);
      return NULL;
    }

  return rl_dataset_load_idx (images_path, labels_path, error);
}

static gboolean
dir_has_test_images (const char *dir)
{
  const char *images, *images_dot, *labels, *labels_dot;
  g_autofree char *path = NULL;

  if (dir == NULL || *dir == '\0' || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return FALSE;
  split_names (RL_SPLIT_TEST, &images, &images_dot, &labels, &labels_dot);
  path = find_file (dir, images, images_dot);
  return path != NULL;
}

char *
rl_dataset_find_dir (const char *explicit_dir)
{
  g_autofree char *fallback = NULL;
  const char *env;

  /* A folder the user named is final: never fall back silently. */
  if (explicit_dir != NULL)
    return dir_has_test_images (explicit_dir) ? g_strdup (explicit_dir) : NULL;

  /* So is the environment's: a mistyped RANKLAB_MNIST_DIR must not quietly
   * give another copy of the data. */
  env = g_getenv ("RANKLAB_MNIST_DIR");
  if (env != NULL && *env != '\0')
    return dir_has_test_images (env) ? g_strdup (env) : NULL;

  fallback = g_build_filename (g_get_user_data_dir (), "ranklab", "mnist", NULL);
  if (dir_has_test_images (fallback))
    return g_steal_pointer (&fallback);

  return NULL;
}

RlDataset *
rl_dataset_slice (const RlDataset *ds,
                  guint            start,
                  guint            count)
{
  RlDataset *out;
  gsize pix;

  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (start <= ds->n, NULL);
  g_return_val_if_fail (count <= ds->n - start, NULL);

  pix = (gsize) ds->rows * ds->cols;
  out = g_new0 (RlDataset, 1);
  out->n = count;
  out->rows = ds->rows;
  out->cols = ds->cols;
  if (count > 0)
    {
      out->images = g_memdup2 (ds->images + (gsize) start * pix,
                               (gsize) count * pix * sizeof (float));
      out->labels = g_memdup2 (ds->labels + start, count);
    }
  return out;
}

void
rl_dataset_free (RlDataset *ds)
{
  if (ds == NULL)
    return;
  g_free (ds->images);
  g_free (ds->labels);
  g_free (ds);
}
