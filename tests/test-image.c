/* test-image.c — image files → grey → 28×28 (rl-image.c). */
#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "rl-core.h"

#define SIDE 64u

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* A digit-like shape: a "7" (bar and diagonal) with soft edges, black on
 * white, as 8-bit grey. */
static void
make_seven (guint8 *grey)
{
  for (guint y = 0; y < SIDE; y++)
    for (guint x = 0; x < SIDE; x++)
      {
        double ink = 0;
        double d = fabs ((x - 44.0) + 0.45 * (y - 14.0));  /* diagonal */

        if (y >= 10 && y <= 15 && x >= 14 && x <= 46)
          ink = 1.0;
        if (y >= 14 && y <= 56 && d < 3.5)
          ink = MAX (ink, d < 2.5 ? 1.0 : 3.5 - d);
        grey[y * SIDE + x] = (guint8) lround (255 * (1.0 - ink));
      }
}

static void
write_png (const char   *path,
           const guint8 *grey,
           guint         w,
           guint         h,
           gboolean      alpha)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, w, h);
  g_autoptr(GError) error = NULL;
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  int nc = gdk_pixbuf_get_n_channels (pb);

  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        guint8 *p = px + y * stride + x * nc;
        guint8 v = grey[y * w + x];

        if (alpha)
          {
            /* Black ink on a transparent background, coverage in alpha;
             * composited on white this is the same grey. */
            p[0] = p[1] = p[2] = 0;
            p[3] = 255 - v;
          }
        else
          p[0] = p[1] = p[2] = v;
      }
  g_assert_true (gdk_pixbuf_save (pb, path, "png", &error, NULL));
  g_assert_no_error (error);
}

static void
write_pgm (const char   *path,
           const guint8 *grey,
           guint         w,
           guint         h)
{
  g_autofree char *header = g_strdup_printf ("P5\n# RankLab test\n%u %u\n255\n", w, h);
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  g_byte_array_append (bytes, (const guint8 *) header, strlen (header));
  g_byte_array_append (bytes, grey, w * h);
  g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error);
  g_assert_no_error (error);
}

static guint32
crc32 (const guint8 *p,
       gsize         n)
{
  guint32 c = 0xffffffffu;

  for (gsize i = 0; i < n; i++)
    {
      c ^= p[i];
      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (0xedb88320u & -(c & 1u));
    }
  return c ^ 0xffffffffu;
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

/* The reference: the same grey taken through the documented steps. */
static void
expected_digit (const guint8 *grey8,
                float        *out)
{
  g_autofree float *grey = g_new (float, SIDE * SIDE);

  for (guint i = 0; i < SIDE * SIDE; i++)
    grey[i] = grey8[i] / 255.0f;
  rl_grey_to_ink (grey, SIDE, SIDE);
  g_assert_true (rl_preprocess_digit (grey, SIDE, SIDE, SIDE, out, NULL));
}

static void
test_png_pgm_same (void)
{
  guint8 grey[SIDE * SIDE];
  float want[RL_DIGIT_PIXELS], a[RL_DIGIT_PIXELS], b[RL_DIGIT_PIXELS], c[RL_DIGIT_PIXELS];
  g_autofree char *png = tmp_path ("seven.png");
  g_autofree char *pgm = tmp_path ("seven.pgm");
  g_autofree char *rgba = tmp_path ("seven-alpha.png");
  g_autoptr(GError) error = NULL;
  double mass = 0;

  make_seven (grey);
  write_png (png, grey, SIDE, SIDE, FALSE);
  write_pgm (pgm, grey, SIDE, SIDE);
  write_png (rgba, grey, SIDE, SIDE, TRUE);
  expected_digit (grey, want);

  g_assert_true (rl_image_load_digit (png, a, &error));
  g_assert_no_error (error);
  g_assert_true (rl_image_load_digit (pgm, b, &error));
  g_assert_no_error (error);
  g_assert_true (rl_image_load_digit (rgba, c, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < RL_DIGIT_PIXELS; i++)
    {
      g_assert_cmpfloat_with_epsilon (a[i], want[i], 1e-5);
      g_assert_cmpfloat_with_epsilon (b[i], want[i], 1e-5);
      g_assert_cmpfloat_with_epsilon (c[i], want[i], 1e-5);
      mass += a[i];
    }
  /* A real digit, not a blank: a fair amount of ink. */
  g_assert_cmpfloat (mass, >, 40.0);
}

static void
test_grey_values (void)
{
  guint8 grey[3 * 2] = { 0, 128, 255, 17, 34, 200 };
  g_autofree char *pgm = tmp_path ("tiny.pgm");
  g_autofree char *p2 = tmp_path ("tiny-ascii.pgm");
  g_autoptr(GError) error = NULL;
  g_autofree float *g = NULL;
  g_autofree float *g2 = NULL;
  guint w = 0, h = 0;

  write_pgm (pgm, grey, 3, 2);
  g = rl_image_load_grey (pgm, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (w, ==, 3);
  g_assert_cmpuint (h, ==, 2);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpfloat_with_epsilon (g[i], grey[i] / 255.0, 1e-6);

  g_file_set_contents (p2, "P2\n3 2\n255\n0 128 255\n17 34 200\n", -1, &error);
  g_assert_no_error (error);
  g2 = rl_image_load_grey (p2, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g, 6 * sizeof (float), g2, 6 * sizeof (float));
}

/* Decision: a 1×1 image is all border, hence all background, so it has no
 * ink: load_grey works, load_digit fails cleanly with RL_ERROR_EMPTY. */
static void
test_one_pixel (void)
{
  guint8 black = 0;
  g_autofree char *png = tmp_path ("one.png");
  g_autoptr(GError) error = NULL;
  g_autofree float *g = NULL;
  float out[RL_DIGIT_PIXELS];
  guint w = 0, h = 0;

  write_png (png, &black, 1, 1, FALSE);
  g = rl_image_load_grey (png, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (w, ==, 1);
  g_assert_cmpuint (h, ==, 1);
  g_assert_cmpfloat (g[0], ==, 0.0f);
  g_assert_false (rl_image_load_digit (png, out, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "one.png"));
}

static void
test_not_an_image (void)
{
  g_autofree char *path = tmp_path ("x.png");
  g_autofree char *missing = tmp_path ("missing.png");
  g_autoptr(GError) error = NULL;
  float out[RL_DIGIT_PIXELS];
  guint w = 7, h = 7;

  g_file_set_contents (path, "this is a text file, not a picture\n", -1, &error);
  g_assert_no_error (error);
  g_assert_null (rl_image_load_grey (path, &w, &h, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "x.png"));
  g_assert_cmpuint (w, ==, 0);
  g_clear_error (&error);

  g_assert_false (rl_image_load_digit (path, out, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_FORMAT);
  g_clear_error (&error);

  g_assert_null (rl_image_load_grey (missing, &w, &h, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "missing.png"));
}

/* Headers that claim 10000×10000 pixels with almost no data: refused by
 * size before decoding (a decode attempt would report truncation, a
 * FORMAT error, instead). */
static void
test_huge_header (void)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autofree char *pgm = tmp_path ("huge.pgm");
  g_autofree char *png = tmp_path ("huge.png");
  g_autoptr(GError) error = NULL;
  guint8 buf[8 + 25 + 12];
  guint w, h;

  g_file_set_contents (pgm, "P5 10000 10000 255\n\1\2\3\4", -1, &error);
  g_assert_no_error (error);
  g_assert_null (rl_image_load_grey (pgm, &w, &h, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "10000"));
  g_clear_error (&error);

  /* Signature, IHDR (10000×10000, 8-bit grey), and an empty IDAT. */
  memcpy (buf, sig, 8);
  put_be32 (buf + 8, 13);
  memcpy (buf + 12, "IHDR", 4);
  put_be32 (buf + 16, 10000);
  put_be32 (buf + 20, 10000);
  buf[24] = 8;
  buf[25] = buf[26] = buf[27] = buf[28] = 0;
  put_be32 (buf + 29, crc32 (buf + 12, 17));
  put_be32 (buf + 33, 0);
  memcpy (buf + 37, "IDAT", 4);
  put_be32 (buf + 41, crc32 (buf + 37, 4));
  g_file_set_contents (png, (const char *) buf, sizeof buf, &error);
  g_assert_no_error (error);
  g_assert_null (rl_image_load_grey (png, &w, &h, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "10000×10000"));
}

/* Only PNG, JPEG, GIF and PNM reach GdkPixbuf, known by their bytes:
 * fuzzing found its BMP loader allocating what a header claims (2.15 GB for
 * an info-header size, 4.2 GB for a colour count). */
static void
test_formats (void)
{
  static const guint8 grey[6] = { 0, 50, 100, 150, 200, 250 };
  /* tests/fuzz/regressions/image/oom-8bd2dd09…: "BM", then an info header
   * of 0x80302e00 bytes. */
  static const guint8 bmp_huge_header[34] = {
    0x42, 0x4d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x32, 0x0a, 0, 0x2e, 0x30, 0x80, 0x60, 0x60,
    0x60, 0x60, 0x50, 0x20, 0x40, 0x20, 0x60, 0x39, 0x40, 0xc0, 0x50, 0x34, 0x0a, 0x31,
  };
  static const guint8 tga[18] = { 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 8, 0 };
  const struct { const char *name; const guint8 *data; gsize len; const char *says; } bad[] = {
    { "huge.bmp", bmp_huge_header, sizeof bmp_huge_header, "not a PNG, JPEG, GIF or PGM/PNM image" },
    { "grey.tga", tga, sizeof tga, "not a PNG, JPEG, GIF or PGM/PNM image" },
    { "d.xpm", (const guint8 *) "/* XPM */\nstatic char *d[] = {\"1 1 1 1\",\". c #000000\",\".\"};\n", 60,
      "not a PNG, JPEG, GIF or PGM/PNM image" },
    { "empty.png", (const guint8 *) "", 0, "an empty file" },
  };
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 3, 2);
  g_autofree char *bmp = tmp_path ("ok.bmp");
  g_autofree char *jpg = tmp_path ("ok.jpg");
  g_autoptr(GError) error = NULL;
  g_autofree float *gj = NULL;
  guint w = 0, h = 0;

  for (guint y = 0; y < 2; y++)
    for (guint x = 0; x < 3; x++)
      {
        guint8 *p = gdk_pixbuf_get_pixels (pb) + y * gdk_pixbuf_get_rowstride (pb) + x * 3;
        p[0] = p[1] = p[2] = grey[y * 3 + x];
      }
  /* A JPEG loads, with its size. */
  g_assert_true (gdk_pixbuf_save (pb, jpg, "jpeg", &error, "quality", "100", NULL));
  gj = rl_image_load_grey (jpg, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (w, ==, 3);
  g_assert_cmpuint (h, ==, 2);
  /* Even a well-formed BMP is refused, by its bytes. */
  g_assert_true (gdk_pixbuf_save (pb, bmp, "bmp", &error, NULL));
  g_assert_null (rl_image_load_grey (bmp, &w, &h, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_FORMAT);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = tmp_path (bad[i].name);

      g_assert_true (g_file_set_contents (path, (const char *) bad[i].data, (gssize) bad[i].len, NULL));
      g_assert_null (rl_image_load_grey (path, &w, &h, &error));
      g_assert_error (error, RL_ERROR, RL_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, bad[i].name));
      g_assert_nonnull (strstr (error->message, bad[i].says));
      g_clear_error (&error);
    }

  /* A FIFO is refused at once: opening it must not wait for a writer. */
  {
    g_autofree char *fifo = tmp_path ("fifo.png");

    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    g_assert_null (rl_image_load_grey (fifo, &w, &h, &error));
    g_assert_error (error, RL_ERROR, RL_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "not a regular file"));
    g_clear_error (&error);
    g_unlink (fifo);
  }

  /* A folder is not an image either, and says so. */
  g_assert_null (rl_image_load_grey (tmp_dir, &w, &h, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, g_strerror (EISDIR)));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);
  tmp_dir = g_dir_make_tmp ("ranklab-image-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/image/png-pgm-same", test_png_pgm_same);
  g_test_add_func ("/image/grey-values", test_grey_values);
  g_test_add_func ("/image/one-pixel", test_one_pixel);
  g_test_add_func ("/image/not-an-image", test_not_an_image);
  g_test_add_func ("/image/huge-header", test_huge_header);
  g_test_add_func ("/image/formats", test_formats);

  ret = g_test_run ();

  {
    g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name (dir)))
      {
        g_autofree char *p = tmp_path (name);

        g_unlink (p);
      }
    g_rmdir (tmp_dir);
    g_free (tmp_dir);
  }
  return ret;
}
