/* fuzz-idx.c — libFuzzer target for the IDX reader (rl-dataset.c).
 *
 * One input is tried four ways: as an image file and as a label file held
 * in memory (rl_idx_parse_images / rl_idx_parse_labels), then as a file on
 * disk through rl_idx_read_file (raw or gzip, possibly several members) and
 * both parsers again, and finally through rl_dataset_load_idx, paired with
 * a synthetic partner file of the matching count, so the float conversion
 * and rl_dataset_slice run on whatever the fuzzer managed to make valid. */
#include "fuzz-common.h"

#include <string.h>

#include "rl-dataset.h"

static FuzzFile input_file;
static FuzzFile partner_file;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_common_init ();
  fuzz_file_init (&input_file, "fuzz-idx-input");
  fuzz_file_init (&partner_file, "fuzz-idx-partner");
  return 0;
}

static void
put_be32 (guint8  *p,
          guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* Parses bytes both ways; returns the counts (NOT_PARSED when a parse failed). */
#define NOT_PARSED G_MAXUINT

static void
parse_both (const guint8 *data,
            gsize         len,
            guint        *n_images,
            guint        *n_labels)
{
  g_autoptr(GError) error = NULL;
  const guint8 *pixels = NULL, *labels = NULL;
  guint n = 0, rows = 0, cols = 0;

  *n_images = NOT_PARSED;
  *n_labels = NOT_PARSED;
  if (rl_idx_parse_images (data, len, &n, &rows, &cols, &pixels, &error))
    {
      FUZZ_CHECK (rows == 28 && cols == 28, "images of %u×%u", rows, cols);
      FUZZ_CHECK (len == 16 + (gsize) n * 784, "%u images in %zu bytes", n, (size_t) len);
      FUZZ_CHECK (pixels == data + 16, "pixels do not follow the header");
      /* Touch every pixel: ASan checks that they are inside the buffer. */
      {
        guint sum = 0;

        for (gsize i = 0; i < (gsize) n * 784; i++)
          sum += pixels[i];
        (void) sum;
      }
      *n_images = n;
    }
  else
    FUZZ_CHECK_ERROR (error);
  g_clear_error (&error);

  n = 0;
  if (rl_idx_parse_labels (data, len, &n, &labels, &error))
    {
      FUZZ_CHECK (len == 8 + (gsize) n, "%u labels in %zu bytes", n, (size_t) len);
      for (guint i = 0; i < n; i++)
        FUZZ_CHECK (labels[i] <= 9, "label %u is %u", i, labels[i]);
      *n_labels = n;
    }
  else
    FUZZ_CHECK_ERROR (error);
}

static void
check_dataset (RlDataset *ds,
               guint      n)
{
  FUZZ_CHECK (ds->n == n && ds->rows == 28 && ds->cols == 28, "dataset of %u, expected %u", ds->n, n);
  for (gsize i = 0; i < (gsize) n * 784; i++)
    FUZZ_CHECK (ds->images[i] >= 0.0f && ds->images[i] <= 1.0f, "pixel %zu is %g",
                (size_t) i, ds->images[i]);
  for (guint i = 0; i < n; i++)
    FUZZ_CHECK (ds->labels[i] <= 9, "label %u is %u", i, ds->labels[i]);
  if (n > 0)
    {
      g_autoptr(RlDataset) slice = rl_dataset_slice (ds, n / 2, n - n / 2);

      FUZZ_CHECK (slice != NULL && slice->n == n - n / 2, "slice");
      FUZZ_CHECK (memcmp (slice->images, ds->images + (gsize) (n / 2) * 784,
                          (gsize) slice->n * 784 * sizeof (float)) == 0, "slice images");
    }
}

/* The fuzzed file as images (or labels) with a synthetic partner of n items. */
static void
load_pair (guint    n,
           gboolean fuzzed_is_images)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RlDataset) ds = NULL;
  g_autofree guint8 *partner = NULL;
  gsize len;

  if (n > 64)   /* keep each run fast; the parsers' arithmetic is tested above */
    return;
  if (fuzzed_is_images)
    {
      len = 8 + n;
      partner = g_malloc0 (len);
      put_be32 (partner, RL_IDX_LABEL_MAGIC);
      put_be32 (partner + 4, n);
      for (guint i = 0; i < n; i++)
        partner[8 + i] = i % 10;
    }
  else
    {
      len = 16 + (gsize) n * 784;
      partner = g_malloc0 (len);
      put_be32 (partner, RL_IDX_IMAGE_MAGIC);
      put_be32 (partner + 4, n);
      put_be32 (partner + 8, 28);
      put_be32 (partner + 12, 28);
      for (gsize i = 0; i < (gsize) n * 784; i++)
        partner[16 + i] = (guint8) (i * 37);
    }
  fuzz_file_set (&partner_file, partner, len);

  if (fuzzed_is_images)
    ds = rl_dataset_load_idx (input_file.path, partner_file.path, &error);
  else
    ds = rl_dataset_load_idx (partner_file.path, input_file.path, &error);
  if (n == 0)
    {
      /* An empty dataset is refused, with the reason. */
      FUZZ_CHECK (ds == NULL && g_error_matches (error, RL_ERROR, RL_ERROR_EMPTY),
                  "an empty IDX pair was not refused as empty");
      return;
    }
  FUZZ_CHECK (ds != NULL, "load_idx failed on a file that parsed: %s", error->message);
  check_dataset (ds, n);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint n_images, n_labels;

  parse_both (data, size, &n_images, &n_labels);

  fuzz_file_set (&input_file, data, size);
  bytes = rl_idx_read_file (input_file.path, &error);
  if (bytes == NULL)
    {
      FUZZ_CHECK_ERROR (error);
      return 0;
    }
  else
    {
      gsize len;
      const guint8 *content = g_bytes_get_data (bytes, &len);

      /* A raw file comes back unchanged. */
      if (!(size >= 2 && data[0] == 0x1f && data[1] == 0x8b))
        FUZZ_CHECK (len == size && (size == 0 || memcmp (content, data, size) == 0),
                    "raw file changed by rl_idx_read_file");
      parse_both (content, len, &n_images, &n_labels);
    }

  /* (A file cannot be both; the magic decides.) */
  if (n_images != NOT_PARSED)
    load_pair (n_images, TRUE);
  if (n_labels != NOT_PARSED)
    load_pair (n_labels, FALSE);
  return 0;
}
