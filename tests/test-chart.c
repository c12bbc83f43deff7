/* test-chart.c — cairo line charts (rl-chart.c). */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "rl-core.h"

#define N_POINTS 12

static const double ranks[N_POINTS] = { 1, 2, 5, 10, 20, 30, 50, 100, 200, 300, 500, 784 };
static double acc[N_POINTS], acc2[N_POINTS];
static RlChartSeries series[2];
static char *tmp_dir;

static RlChartSpec
make_spec (gboolean log_x,
           guint    n_series)
{
  RlChartSpec spec = {
    .title = "Test accuracy vs rank",
    .x_label = "Rank r",
    .y_label = "Accuracy",
    .series = series,
    .n_series = n_series,
    .log_x = log_x,
    .marker_x = NAN,
    .hover_x = NAN,
    .fg_r = 0.1, .fg_g = 0.1, .fg_b = 0.1,
  };

  for (guint i = 0; i < N_POINTS; i++)
    {
      acc[i] = 0.98 - 0.85 * exp (-ranks[i] / 8.0);
      acc2[i] = 0.97 - 0.86 * exp (-ranks[i] / 14.0);
    }
  /* Pure colours, easy to find in pixels. */
  series[0] = (RlChartSeries) { "All layers", ranks, acc, N_POINTS, 0.9, 0.05, 0.05, FALSE };
  series[1] = (RlChartSeries) { "Energy plan", ranks, acc2, N_POINTS, 0.05, 0.05, 0.9, TRUE };
  return spec;
}

static cairo_surface_t *
render (const RlChartSpec *spec,
        int                w,
        int                h)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (s);

  rl_chart_draw (cr, w, h, spec);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  return s;
}

static guint32
pixel (cairo_surface_t *s,
       int              x,
       int              y)
{
  const guint8 *d = cairo_image_surface_get_data (s);

  return *(const guint32 *) (d + y * cairo_image_surface_get_stride (s) + x * 4);
}

/* Pixels close to an opaque pure colour (premultiplied ARGB32). */
static guint
count_colour (cairo_surface_t *s,
              double           r,
              double           g,
              double           b)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  guint n = 0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 p = pixel (s, x, y);

        if ((p >> 24) == 255 &&
            fabs (((p >> 16) & 255) - r * 255) < 8 &&
            fabs (((p >> 8) & 255) - g * 255) < 8 &&
            fabs ((p & 255) - b * 255) < 8)
          n++;
      }
  return n;
}

static void
test_not_blank (void)
{
  RlChartSpec spec = make_spec (TRUE, 2);
  cairo_surface_t *s = render (&spec, 640, 400);
  guint drawn = 0;

  for (int y = 0; y < 400; y++)
    for (int x = 0; x < 640; x++)
      drawn += pixel (s, x, y) != 0;
  g_test_message ("drawn %u of %u pixels", drawn, 640 * 400);
  g_assert_cmpuint (drawn, >, 640 * 400 / 50);
  g_assert_cmpuint (drawn, <, 640 * 400 / 2);
  /* Both series are visible: long lines of their colours. */
  g_assert_cmpuint (count_colour (s, 0.9, 0.05, 0.05), >, 300);
  g_assert_cmpuint (count_colour (s, 0.05, 0.05, 0.9), >, 150);
  cairo_surface_destroy (s);
}

/* The marker line appears exactly where rl_chart_px_at puts rank 30, and
 * nothing changes far from it. */
static void
test_marker_column (void)
{
  RlChartSpec spec = make_spec (TRUE, 1);
  cairo_surface_t *a, *b;
  double px;
  int best = -1;
  guint best_n = 0;

  a = render (&spec, 600, 380);
  spec.marker_x = 30;
  b = render (&spec, 600, 380);
  g_assert_true (rl_chart_px_at (&spec, 600, 380, 30, &px));
  for (int x = 0; x < 600; x++)
    {
      guint n = 0;

      for (int y = 0; y < 380; y++)
        n += pixel (a, x, y) != pixel (b, x, y);
      if (n > best_n)
        {
          best_n = n;
          best = x;
        }
      if (fabs (x + 0.5 - px) > 120)
        g_assert_cmpuint (n, ==, 0);
    }
  g_test_message ("marker at px %.2f, strongest column %d (%u pixels)", px, best, best_n);
  g_assert_cmpfloat (fabs (best + 0.5 - px), <=, 1.0);
  g_assert_cmpuint (best_n, >, 380 / 2);
  cairo_surface_destroy (a);
  cairo_surface_destroy (b);
}

static void
check_inverse (const RlChartSpec *spec,
               double             w,
               double             h)
{
  double x_in, x_out, px, px_back, lo;

  g_assert_true (rl_chart_px_at (spec, w, h, spec->log_x ? 1.0 : 0.0, &lo));
  for (guint i = 0; i < N_POINTS; i++)
    {
      g_assert_true (rl_chart_px_at (spec, w, h, ranks[i], &px));
      g_assert_true (px >= lo - 1e-9 && px <= w);
      g_assert_true (rl_chart_x_at (spec, w, h, px, &x_out));
      g_assert_cmpfloat (fabs (x_out - ranks[i]), <=, 1e-9 * MAX (1.0, ranks[i]));
    }
  /* And the other way, pixel → data → pixel, within half a pixel. */
  for (x_in = lo + 0.25; x_in < w; x_in += 7.0)
    {
      if (!rl_chart_x_at (spec, w, h, x_in, &x_out))
        continue;
      g_assert_true (rl_chart_px_at (spec, w, h, x_out, &px_back));
      g_assert_cmpfloat (fabs (px_back - x_in), <, 0.5);
    }
  /* Outside the plot. */
  g_assert_false (rl_chart_x_at (spec, w, h, 0.0, &x_out));
  g_assert_false (rl_chart_x_at (spec, w, h, w - 0.5, &x_out));
}

static void
test_x_at_inverse (void)
{
  RlChartSpec log_spec = make_spec (TRUE, 2);
  RlChartSpec lin_spec = make_spec (FALSE, 1);
  double x;

  check_inverse (&log_spec, 640, 400);
  check_inverse (&log_spec, 320, 220);
  check_inverse (&lin_spec, 1200, 800);
  g_assert_false (rl_chart_px_at (&log_spec, 640, 400, 0.0, &x));
  g_assert_false (rl_chart_px_at (&log_spec, 640, 400, NAN, &x));
}

static gboolean
starts_with (const char *path,
             const char *magic,
             gsize       len)
{
  g_autofree char *data = NULL;
  gsize n = 0;

  if (!g_file_get_contents (path, &data, &n, NULL))
    return FALSE;
  return n >= len && memcmp (data, magic, len) == 0;
}

static void
test_export (void)
{
  RlChartSpec spec = make_spec (TRUE, 2);
  g_autofree char *png = g_build_filename (tmp_dir, "chart.png", NULL);
  g_autofree char *png_upper = g_build_filename (tmp_dir, "chart2.PNG", NULL);
  g_autofree char *svg = g_build_filename (tmp_dir, "chart.svg", NULL);
  g_autofree char *pdf = g_build_filename (tmp_dir, "chart.pdf", NULL);
  g_autofree char *txt = g_build_filename (tmp_dir, "chart.txt", NULL);
  g_autofree char *bare = g_build_filename (tmp_dir, "chart", NULL);
  g_autofree char *svg_text = NULL;
  g_autoptr(GError) error = NULL;
  cairo_surface_t *img;

  spec.marker_x = 50;
  g_assert_true (rl_chart_export (&spec, 640, 400, png, &error));
  g_assert_no_error (error);
  g_assert_true (starts_with (png, "\x89PNG\r\n\x1a\n", 8));
  img = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (img), ==, 640);
  g_assert_cmpint (cairo_image_surface_get_height (img), ==, 400);
  /* Exports paint an opaque background. */
  g_assert_cmphex (pixel (img, 0, 0), ==, 0xffffffff);
  cairo_surface_destroy (img);

  g_assert_true (rl_chart_export (&spec, 640, 400, png_upper, &error));
  g_assert_no_error (error);
  g_assert_true (starts_with (png_upper, "\x89PNG", 4));

  g_assert_true (rl_chart_export (&spec, 640, 400, svg, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (svg, &svg_text, NULL, NULL));
  g_assert_true (g_str_has_prefix (svg_text, "<?xml") || g_str_has_prefix (svg_text, "<svg"));
  g_assert_nonnull (strstr (svg_text, "<svg"));

  g_assert_true (rl_chart_export (&spec, 640, 400, pdf, &error));
  g_assert_no_error (error);
  g_assert_true (starts_with (pdf, "%PDF", 4));

  g_assert_false (rl_chart_export (&spec, 640, 400, txt, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, ".txt"));
  g_assert_false (g_file_test (txt, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  g_assert_false (rl_chart_export (&spec, 640, 400, bare, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (rl_chart_export (&spec, 0, 400, png, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_clear_error (&error);

  /* A directory that does not exist: an IO error, no crash. */
  {
    g_autofree char *bad = g_build_filename (tmp_dir, "no", "such", "dir.png", NULL);

    g_assert_false (rl_chart_export (&spec, 640, 400, bad, &error));
    g_assert_error (error, RL_ERROR, RL_ERROR_IO);
  }

  g_unlink (png);
  g_unlink (png_upper);
  g_unlink (svg);
  g_unlink (pdf);
}

/* Nothing is drawn in the outer two pixels at any size: margins come from
 * text extents, so labels never clip. */
static void
test_no_clipping (void)
{
  static const int sizes[][2] = { { 320, 220 }, { 480, 300 }, { 800, 500 }, { 1200, 800 } };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    for (int log_x = 0; log_x < 2; log_x++)
      {
        RlChartSpec spec = make_spec (log_x, 2);
        int w = sizes[k][0], h = sizes[k][1];
        cairo_surface_t *s;

        spec.hover_x = 200;
        s = render (&spec, w, h);
        for (int y = 0; y < h; y++)
          for (int x = 0; x < w; x++)
            if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2)
              g_assert_cmphex (pixel (s, x, y), ==, 0);
        cairo_surface_destroy (s);
      }
}

/* Degenerate data draws something sensible and never fails. */
static void
test_degenerate (void)
{
  static const double xs[4] = { 1, 2, NAN, 4 };
  static const double ys[4] = { 0, -1, 3, INFINITY };
  static const double flat[4] = { 0.5, 0.5, 0.5, 0.5 };
  RlChartSeries odd[3] = {
    { "odd", xs, ys, 4, 0.2, 0.6, 0.2, FALSE },
    { "flat", xs, flat, 4, 0.6, 0.2, 0.2, TRUE },
    { NULL, xs, flat, 1, 0.2, 0.2, 0.6, FALSE },
  };
  RlChartSpec spec = make_spec (FALSE, 0);
  cairo_surface_t *s;
  double x;

  /* No series at all. */
  s = render (&spec, 320, 220);
  cairo_surface_destroy (s);
  g_assert_true (rl_chart_x_at (&spec, 320, 220, 160, &x));

  spec.series = odd;
  spec.n_series = 3;
  spec.marker_x = 2;
  spec.hover_x = 1.5;
  spec.y_format = "%s";   /* refused: falls back to the automatic format */
  for (int lx = 0; lx < 2; lx++)
    for (int ly = 0; ly < 2; ly++)
      {
        spec.log_x = lx;
        spec.log_y = ly;
        s = render (&spec, 320, 220);
        cairo_surface_destroy (s);
      }
  spec.y_format = "%.3f%%";
  s = render (&spec, 16, 16);
  cairo_surface_destroy (s);
}

static double
luminance (double r,
           double g,
           double b)
{
  double c[3] = { r, g, b };

  for (int i = 0; i < 3; i++)
    c[i] = c[i] <= 0.03928 ? c[i] / 12.92 : pow ((c[i] + 0.055) / 1.055, 2.4);
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/* Every palette colour has a WCAG contrast of at least 3:1 against its
 * background (white, or the export's dark grey 0.118), and the first six
 * are clearly distinct. */
static void
test_palette (void)
{
  for (int dark = 0; dark < 2; dark++)
    {
      double bg = luminance (dark ? 0.118 : 1.0, dark ? 0.118 : 1.0, dark ? 0.118 : 1.0);
      double rgb[8][3];

      for (guint i = 0; i < 8; i++)
        {
          double l, ratio;

          rl_chart_palette (i, dark, &rgb[i][0], &rgb[i][1], &rgb[i][2]);
          l = luminance (rgb[i][0], rgb[i][1], rgb[i][2]);
          ratio = (MAX (l, bg) + 0.05) / (MIN (l, bg) + 0.05);
          g_assert_cmpfloat (ratio, >=, 3.0);
        }
      for (guint i = 0; i < 6; i++)
        for (guint j = 0; j < i; j++)
          {
            double d = 0;

            for (int c = 0; c < 3; c++)
              d += (rgb[i][c] - rgb[j][c]) * (rgb[i][c] - rgb[j][c]);
            g_assert_cmpfloat (sqrt (d), >, 0.25);
          }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);
  tmp_dir = g_dir_make_tmp ("ranklab-chart-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/chart/not-blank", test_not_blank);
  g_test_add_func ("/chart/marker-column", test_marker_column);
  g_test_add_func ("/chart/x-at-inverse", test_x_at_inverse);
  g_test_add_func ("/chart/export", test_export);
  g_test_add_func ("/chart/no-clipping", test_no_clipping);
  g_test_add_func ("/chart/degenerate", test_degenerate);
  g_test_add_func ("/chart/palette", test_palette);

  ret = g_test_run ();
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
