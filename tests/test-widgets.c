/* test-widgets.c — display tests for the custom widgets: the digit canvas,
 * the 28×28 preview, the probability bars and the chart view.
 *
 * Run under a display (meson wraps it in xvfb-run when available) with
 * GSK_RENDERER=cairo and GTK_A11Y=test. Without a display it exits 77
 * (skipped). Widgets are rendered to pixels through GtkWidgetPaintable and
 * a cairo GskRenderer, so the assertions are on what a person would see. */

#include <locale.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "rl-chart-view.h"
#include "rl-digit-canvas.h"
#include "rl-digit-preview.h"
#include "rl-error.h"
#include "rl-preprocess.h"
#include "rl-prob-bars.h"

typedef struct
{
  int     width;
  int     height;
  gsize   stride;
  guchar *data;   /* premultiplied ARGB32, native endian */
} Image;

static void
image_clear (Image *image)
{
  g_clear_pointer (&image->data, g_free);
}

static void
pixel_at (const Image *image,
          int          x,
          int          y,
          guint       *r,
          guint       *g,
          guint       *b,
          guint       *a)
{
  guint32 px;

  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, image->width);
  g_assert_cmpint (y, <, image->height);
  px = ((const guint32 *) (gconstpointer) (image->data + (gsize) y * image->stride))[x];
  *a = px >> 24;
  *r = (px >> 16) & 0xff;
  *g = (px >> 8) & 0xff;
  *b = px & 0xff;
}

static GtkWidget *
show_in_window (GtkWidget *child,
                int        width,
                int        height)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (window);
  return window;
}

/* Renders widget as it is now, at its allocated size. */
static void
render (GtkWidget *widget,
        Image     *image)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderer) renderer = gsk_cairo_renderer_new ();
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  GtkSnapshot *snapshot;
  GskRenderNode *node;

  /* let pending redraws and relayouts happen first */
  gtk_test_widget_wait_for_draw (GTK_WIDGET (gtk_widget_get_root (widget)));
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();

  image->width = gtk_widget_get_width (widget);
  image->height = gtk_widget_get_height (widget);
  g_assert_cmpint (image->width, >, 0);
  g_assert_cmpint (image->height, >, 0);

  gdk_paintable_snapshot (paintable, snapshot, image->width, image->height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  gsk_renderer_realize (renderer, NULL, &error);
  g_assert_no_error (error);
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, image->width, image->height));
  gsk_renderer_unrealize (renderer);
  gsk_render_node_unref (node);

  image->stride = (gsize) image->width * 4;
  image->data = g_malloc (image->stride * image->height);
  gdk_texture_download (texture, image->data, image->stride);
}

/* gtk_test_accessible_assert_property() pastes the value into a printf
 * format, which breaks on '%'; this compares the same way. */
static void
assert_accessible_text (GtkAccessible         *accessible,
                        GtkAccessibleProperty  property,
                        const char            *expected)
{
  g_autofree char *actual = gtk_test_accessible_check_property (accessible, property, expected);

  if (actual != NULL)
    g_assert_cmpstr (actual, ==, expected);
}

static void
count_cb (gpointer  instance,
          guint    *count)
{
  (*count)++;
}

static void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* ---- RlDigitCanvas ---------------------------------------------------- */

static void
test_canvas_empty (void)
{
  RlDigitCanvas *canvas = g_object_ref_sink (RL_DIGIT_CANVAS (rl_digit_canvas_new ()));
  float out[RL_DIGIT_PIXELS];
  gboolean empty = FALSE;

  g_assert_true (rl_digit_canvas_is_empty (canvas));
  g_object_get (canvas, "empty", &empty, NULL);
  g_assert_true (empty);
  out[0] = -5.0f;
  g_assert_false (rl_digit_canvas_get_input (canvas, out));
  g_assert_cmpfloat (out[0], ==, -5.0f);   /* untouched */

  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (canvas)));
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (canvas), GTK_ACCESSIBLE_ROLE_IMG);
  assert_accessible_text (GTK_ACCESSIBLE (canvas),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Digit canvas");

  g_assert_finalize_object (canvas);
}

static void
test_canvas_stroke (void)
{
  RlDigitCanvas *canvas = g_object_ref_sink (RL_DIGIT_CANVAS (rl_digit_canvas_new ()));
  const double line[] = { 140, 50, 140, 140, 140, 230 };
  float out[RL_DIGIT_PIXELS];
  guint changed = 0, notified = 0, rows = 0, cols = 0;
  double sum = 0, sx = 0, sy = 0, max = 0;

  g_signal_connect (canvas, "changed", G_CALLBACK (count_cb), &changed);
  g_signal_connect (canvas, "notify::empty", G_CALLBACK (notify_count_cb), &notified);

  rl_digit_canvas_stroke (canvas, line, G_N_ELEMENTS (line) / 2);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_false (rl_digit_canvas_is_empty (canvas));
  g_assert_true (rl_digit_canvas_get_input (canvas, out));

  for (guint y = 0; y < RL_DIGIT_SIDE; y++)
    {
      gboolean row_ink = FALSE;

      for (guint x = 0; x < RL_DIGIT_SIDE; x++)
        {
          float v = out[y * RL_DIGIT_SIDE + x];

          g_assert_true (v >= 0.0f && v <= 1.0f);
          sum += v;
          sx += v * x;
          sy += v * y;
          max = MAX (max, v);
          row_ink |= v > 0.05f;
        }
      rows += row_ink;
    }
  for (guint x = 0; x < RL_DIGIT_SIDE; x++)
    {
      gboolean col_ink = FALSE;

      for (guint y = 0; y < RL_DIGIT_SIDE; y++)
        col_ink |= out[y * RL_DIGIT_SIDE + x] > 0.05f;
      cols += col_ink;
    }

  /* a vertical bar: 20 px tall like MNIST, thin, centred by its mass */
  g_assert_cmpfloat (max, >, 0.5);
  g_assert_cmpuint (rows, >=, 19);
  g_assert_cmpuint (rows, <=, 22);
  g_assert_cmpuint (cols, >=, 1);
  g_assert_cmpuint (cols, <=, 5);
  g_assert_cmpfloat_with_epsilon (sx / sum, 13.75, 1.0);
  g_assert_cmpfloat_with_epsilon (sy / sum, 13.75, 1.0);

  rl_digit_canvas_clear (canvas);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_true (rl_digit_canvas_is_empty (canvas));
  g_assert_false (rl_digit_canvas_get_input (canvas, out));

  /* Escape is bound to this action */
  rl_digit_canvas_stroke (canvas, line, 1);   /* a single dot */
  g_assert_false (rl_digit_canvas_is_empty (canvas));
  g_assert_true (rl_digit_canvas_get_input (canvas, out));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (canvas), "digit-canvas.clear", NULL));
  g_assert_true (rl_digit_canvas_is_empty (canvas));
  g_assert_cmpuint (changed, ==, 4);

  /* strokes entirely off the surface leave no ink */
  {
    const double outside[] = { -100, -100, -50, -200 };

    rl_digit_canvas_stroke (canvas, outside, 2);
    g_assert_true (rl_digit_canvas_is_empty (canvas));
  }

  g_assert_finalize_object (canvas);
}

/* The ink shows where it was drawn, scaled to the widget's size. */
static void
test_canvas_render (void)
{
  const int sizes[] = { 280, 140 };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      GtkWidget *canvas = g_object_ref (rl_digit_canvas_new ());
      const double line[] = { 40, 140, 240, 140 };
      GtkWidget *window = show_in_window (canvas, sizes[k], sizes[k]);
      Image image = { 0 };
      guint r, g, b, a;
      double s;

      rl_digit_canvas_stroke (RL_DIGIT_CANVAS (canvas), line, 2);
      render (canvas, &image);
      g_assert_cmpint (image.width, ==, image.height);
      s = image.width / 280.0;

      pixel_at (&image, (int) (140 * s), (int) (140 * s), &r, &g, &b, &a);
      g_assert_cmpuint (r, >, 240);
      g_assert_cmpuint (g, >, 240);
      g_assert_cmpuint (b, >, 240);
      pixel_at (&image, (int) (140 * s), (int) (60 * s), &r, &g, &b, &a);
      g_assert_cmpuint (a, ==, 255);
      g_assert_cmpuint (r, <, 40);
      g_assert_cmpuint (g, <, 40);
      g_assert_cmpuint (b, <, 40);
      /* past the end of the stroke (and its round cap) */
      pixel_at (&image, (int) (262 * s), (int) (140 * s), &r, &g, &b, &a);
      g_assert_cmpuint (r, <, 40);

      image_clear (&image);
      gtk_window_destroy (GTK_WINDOW (window));
      g_assert_finalize_object (canvas);
    }
}

/* ---- RlDigitPreview --------------------------------------------------- */

static void
test_preview_pixels (void)
{
  GtkWidget *preview = g_object_ref (rl_digit_preview_new ());
  GtkWidget *window = show_in_window (preview, 112, 112);
  float pixels[RL_DIGIT_PIXELS];
  Image image = { 0 };
  int side, scale, ox, oy;
  guint r, g, b, a;

  assert_accessible_text (GTK_ACCESSIBLE (preview),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Model input");
  g_assert_false (rl_digit_preview_has_pixels (RL_DIGIT_PREVIEW (preview)));

  for (guint y = 0; y < RL_DIGIT_SIDE; y++)
    for (guint x = 0; x < RL_DIGIT_SIDE; x++)
      pixels[y * RL_DIGIT_SIDE + x] = (float) ((x * 7 + y * 3) % 11) / 10.0f;
  pixels[5 * RL_DIGIT_SIDE + 5] = NAN;
  pixels[5 * RL_DIGIT_SIDE + 6] = 3.0f;
  rl_digit_preview_set_pixels (RL_DIGIT_PREVIEW (preview), pixels);
  g_assert_true (rl_digit_preview_has_pixels (RL_DIGIT_PREVIEW (preview)));
  pixels[5 * RL_DIGIT_SIDE + 5] = 0.0f;   /* what NaN and 3 must show as */
  pixels[5 * RL_DIGIT_SIDE + 6] = 1.0f;

  render (preview, &image);
  side = MIN (image.width, image.height) / RL_DIGIT_SIDE * RL_DIGIT_SIDE;
  scale = side / RL_DIGIT_SIDE;
  g_assert_cmpint (scale, >=, 2);
  ox = (image.width - side) / 2;
  oy = (image.height - side) / 2;

  /* every input pixel is a uniform scale×scale square (nearest filtering);
   * the outermost ring is under the frame */
  for (int y = 1; y < (int) RL_DIGIT_SIDE - 1; y++)
    for (int x = 1; x < (int) RL_DIGIT_SIDE - 1; x++)
      {
        guint expect = (guint) lrintf (pixels[y * RL_DIGIT_SIDE + x] * 255.0f);

        for (int dy = 0; dy < scale; dy++)
          for (int dx = 0; dx < scale; dx++)
            {
              pixel_at (&image, ox + x * scale + dx, oy + y * scale + dy, &r, &g, &b, &a);
              g_assert_cmpuint (a, ==, 255);
              g_assert_cmpuint (r, ==, expect);
              g_assert_cmpuint (g, ==, expect);
              g_assert_cmpuint (b, ==, expect);
            }
      }
  image_clear (&image);

  rl_digit_preview_set_pixels (RL_DIGIT_PREVIEW (preview), NULL);
  g_assert_false (rl_digit_preview_has_pixels (RL_DIGIT_PREVIEW (preview)));
  render (preview, &image);
  pixel_at (&image, image.width / 2, image.height / 2, &r, &g, &b, &a);
  g_assert_cmpuint (r, ==, 0);
  g_assert_cmpuint (a, ==, 255);
  image_clear (&image);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (preview);
}

/* ---- RlProbBars ------------------------------------------------------- */

static void
test_prob_bars_values (void)
{
  RlProbBars *bars = g_object_ref_sink (RL_PROB_BARS (rl_prob_bars_new ()));
  const float probs[10] = { 0.1f, 0.2f, 0.05f, 0, 0, 0, 0, 0.9f, 0, 0.25f };
  const float odd[10] = { 0.5f, NAN, -1.0f, INFINITY, 0, 0, 0, 0, 0, 0.5f };
  const float zeros[10] = { 0 };
  const char *tooltip;
  guint notified = 0;
  double total = 0;

  g_signal_connect (bars, "notify::title", G_CALLBACK (notify_count_cb), &notified);
  g_object_set (bars, "title", "Full model", NULL);
  g_object_set (bars, "title", "Full model", NULL);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpstr (rl_prob_bars_get_title (bars), ==, "Full model");
  assert_accessible_text (GTK_ACCESSIBLE (bars),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Full model");
  assert_accessible_text (GTK_ACCESSIBLE (bars),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "No prediction");
  g_assert_cmpint (rl_prob_bars_get_argmax (bars), ==, -1);

  rl_prob_bars_set_probs (bars, probs, 10);
  g_assert_cmpint (rl_prob_bars_get_argmax (bars), ==, 7);
  for (guint i = 0; i < 10; i++)
    {
      g_assert_cmpfloat_with_epsilon (rl_prob_bars_get_value (bars, i), probs[i] / 1.5, 1e-6);
      total += rl_prob_bars_get_value (bars, i);
    }
  g_assert_cmpfloat_with_epsilon (total, 1.0, 1e-9);
  tooltip = gtk_widget_get_tooltip_text (GTK_WIDGET (bars));
  g_assert_nonnull (tooltip);
  g_assert_nonnull (strstr (tooltip, "1.500"));
  g_assert_nonnull (strstr (tooltip, "sum"));
  assert_accessible_text (GTK_ACCESSIBLE (bars),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Prediction 7 (60.0 %). 0: 6.7 %, 1: 13.3 %, 2: 3.3 %, "
                                       "3: 0.0 %, 4: 0.0 %, 5: 0.0 %, 6: 0.0 %, 7: 60.0 %, "
                                       "8: 0.0 %, 9: 16.7 %.");

  /* NaN, negative and infinite outputs count as 0; ties go to the first */
  rl_prob_bars_set_probs (bars, odd, 10);
  g_assert_cmpint (rl_prob_bars_get_argmax (bars), ==, 0);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 0), ==, 0.5);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 1), ==, 0.0);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 2), ==, 0.0);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 3), ==, 0.0);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 9), ==, 0.5);

  rl_prob_bars_set_probs (bars, zeros, 10);
  g_assert_cmpint (rl_prob_bars_get_argmax (bars), ==, -1);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 4), ==, 0.0);

  /* fewer than ten outputs: the rest show 0 */
  rl_prob_bars_set_probs (bars, probs, 3);
  g_assert_cmpint (rl_prob_bars_get_argmax (bars), ==, 1);
  g_assert_cmpfloat_with_epsilon (rl_prob_bars_get_value (bars, 1), 0.2 / 0.35, 1e-6);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 7), ==, 0.0);

  rl_prob_bars_set_probs (bars, NULL, 0);
  g_assert_cmpint (rl_prob_bars_get_argmax (bars), ==, -1);
  g_assert_cmpfloat (rl_prob_bars_get_value (bars, 7), ==, 0.0);

  g_assert_finalize_object (bars);
}

/* The arg-max bar is drawn in the accent colour, the others in grey. */
static void
test_prob_bars_render (void)
{
  GtkWidget *bars = g_object_ref (rl_prob_bars_new ());
  const float probs[10] = { 0.1f, 0.2f, 0.05f, 0, 0, 0, 0, 0.9f, 0, 0.25f };
  GtkWidget *window;
  Image image = { 0 };
  guint r, g, b, a;
  double row_h;

  rl_prob_bars_set_show_title (RL_PROB_BARS (bars), FALSE);
  rl_prob_bars_set_probs (RL_PROB_BARS (bars), probs, 10);
  window = show_in_window (bars, 320, 260);
  render (bars, &image);
  row_h = image.height / 10.0;

  /* row 7: 60 % of the track, accent (Adwaita blue) */
  pixel_at (&image, image.width / 4, (int) (7.5 * row_h), &r, &g, &b, &a);
  g_assert_cmpuint (a, ==, 255);
  g_assert_cmpuint (b, >, r + 60);
  /* row 9: 17 % of the track, neutral grey */
  pixel_at (&image, 30, (int) (9.5 * row_h), &r, &g, &b, &a);
  g_assert_cmpuint (a, >, 60);
  g_assert_cmpint (ABS ((int) r - (int) b), <, 20);
  /* row 9 further right: only the faint track */
  pixel_at (&image, image.width / 2, (int) (9.5 * row_h), &r, &g, &b, &a);
  g_assert_cmpuint (a, <, 60);
  image_clear (&image);

  /* vertical orientation: column 7 is blue near the bottom */
  gtk_orientable_set_orientation (GTK_ORIENTABLE (bars), GTK_ORIENTATION_VERTICAL);
  gtk_test_widget_wait_for_draw (window);
  render (bars, &image);
  pixel_at (&image, (int) (7.5 * image.width / 10.0), image.height - 40, &r, &g, &b, &a);
  g_assert_cmpuint (a, ==, 255);
  g_assert_cmpuint (b, >, r + 60);
  image_clear (&image);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (bars);
}

/* ---- RlChartView ------------------------------------------------------ */

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
test_chart_csv (void)
{
  RlChartView *chart = g_object_ref_sink (RL_CHART_VIEW (rl_chart_view_new ()));
  const double x[] = { 1, 2, 4, 8 };
  const double y[] = { 0.5, 0.75, 0.875, 0.9375 };
  const double rx[] = { 3, 2 };
  const double ry[] = { 0.8, 0.7 };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rl-widgets-XXXXXX", &error);
  g_autofree char *csv = g_build_filename (dir, "acc.csv", NULL);
  g_autofree char *bad = g_build_filename (dir, "acc.bmp", NULL);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  rl_chart_view_set_series (chart, "Accuracy vs rank", "Rank", "Accuracy, \"top-1\"",
                            x, y, G_N_ELEMENTS (x), FALSE, "%.2f");
  g_assert_cmpstr (rl_chart_view_get_title (chart), ==, "Accuracy vs rank");
  g_assert_cmpuint (rl_chart_view_get_n_points (chart), ==, 4);
  assert_accessible_text (GTK_ACCESSIBLE (chart),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Accuracy vs rank");

  g_assert_true (rl_chart_view_export (chart, csv, &error));
  g_assert_no_error (error);
  text = read_text (csv);
  g_assert_cmpstr (text, ==,
                   "rank,\"Accuracy, \"\"top-1\"\"\"\n"
                   "1,0.5\n2,0.75\n4,0.875\n8,0.9375\n");
  g_clear_pointer (&text, g_free);

  /* the reference joins as a third column over the union of the ranks */
  rl_chart_view_set_reference (chart, "Paper", rx, ry, 2);
  g_assert_true (rl_chart_view_export (chart, csv, &error));
  text = read_text (csv);
  g_assert_cmpstr (text, ==,
                   "rank,\"Accuracy, \"\"top-1\"\"\",Paper\n"
                   "1,0.5,\n2,0.75,0.7\n3,,0.8\n4,0.875,\n8,0.9375,\n");
  g_clear_pointer (&text, g_free);

  rl_chart_view_set_reference (chart, NULL, NULL, NULL, 0);
  g_assert_true (rl_chart_view_export (chart, csv, &error));
  text = read_text (csv);
  g_assert_true (g_str_has_prefix (text, "rank,\"Accuracy, \"\"top-1\"\"\"\n1,0.5\n"));
  g_clear_pointer (&text, g_free);

  /* numbers never use the locale's decimal comma */
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") != NULL)
    {
      g_assert_true (rl_chart_view_export (chart, csv, &error));
      text = read_text (csv);
      g_assert_nonnull (strstr (text, "\n2,0.75\n"));
      g_clear_pointer (&text, g_free);
      setlocale (LC_NUMERIC, "C");
    }

  g_assert_false (rl_chart_view_export (chart, bad, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "acc.bmp"));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* a format that is not for one double is refused, not passed to printf */
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*not a format for one number*");
  rl_chart_view_set_series (chart, "T", "Rank", "Y", x, y, 4, FALSE, "%s %n");
  g_test_assert_expected_messages ();

  rl_chart_view_set_marker (chart, 4.0);
  g_assert_cmpfloat (rl_chart_view_get_marker (chart), ==, 4.0);
  rl_chart_view_set_marker (chart, NAN);
  g_assert_true (isnan (rl_chart_view_get_marker (chart)));
  g_assert_true (isnan (rl_chart_view_get_hover_x (chart)));

  g_unlink (csv);
  g_rmdir (dir);
  g_assert_finalize_object (chart);
}

static void
test_chart_export_images (void)
{
  RlChartView *chart = g_object_ref_sink (RL_CHART_VIEW (rl_chart_view_new ()));
  const double x[] = { 1, 2, 4, 8, 16 };
  const double y[] = { 0.2, 0.5, 0.8, 0.9, 0.95 };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("rl-widgets-XXXXXX", &error);
  const char *names[] = { "c.png", "c.svg", "c.PDF" };
  const char *magic[] = { "\x89PNG", "<", "%PDF" };

  rl_chart_view_set_series (chart, "Accuracy", "Rank", "Accuracy", x, y, 5, FALSE, "%.2f");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_autofree char *text = NULL;

      g_assert_true (rl_chart_view_export (chart, path, &error));
      g_assert_no_error (error);
      text = read_text (path);
      g_assert_true (g_str_has_prefix (text, magic[i]));
      if (i == 0)
        {
          int w = 0, h = 0;

          g_assert_nonnull (gdk_pixbuf_get_file_info (path, &w, &h));
          g_assert_cmpint (w, ==, 960);   /* unrealised: the default size */
          g_assert_cmpint (h, ==, 600);
        }
      g_unlink (path);
    }
  g_rmdir (dir);
  g_assert_finalize_object (chart);
}

/* On screen, the chart draws something (axes, line) over its area. */
static void
test_chart_render (void)
{
  GtkWidget *chart = g_object_ref (rl_chart_view_new ());
  const double x[] = { 1, 2, 4, 8, 16, 32 };
  const double y[] = { 0.2, 0.5, 0.8, 0.9, 0.95, 0.97 };
  GtkWidget *window;
  Image image = { 0 };
  guint inked = 0;

  rl_chart_view_set_series (RL_CHART_VIEW (chart), "Accuracy", "Rank", "Accuracy",
                            x, y, 6, FALSE, "%.2f");
  rl_chart_view_set_marker (RL_CHART_VIEW (chart), 8);
  window = show_in_window (chart, 480, 300);
  render (chart, &image);
  g_assert_cmpint (image.width, >=, 320);
  g_assert_cmpint (image.height, >=, 200);
  for (int y0 = 0; y0 < image.height; y0++)
    for (int x0 = 0; x0 < image.width; x0++)
      {
        guint r, g, b, a;

        pixel_at (&image, x0, y0, &r, &g, &b, &a);
        inked += a > 0;
      }
  g_assert_cmpuint (inked, >, (guint) (image.width * image.height) / 200);
  image_clear (&image);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (chart);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_disable_setlocale ();
  setlocale (LC_ALL, "C.UTF-8");
  if (!gtk_init_check ())
    {
      g_printerr ("test-widgets: no display, skipping\n");
      return 77;
    }
  rl_core_init (0);

  g_test_add_func ("/widgets/digit-canvas/empty", test_canvas_empty);
  g_test_add_func ("/widgets/digit-canvas/stroke", test_canvas_stroke);
  g_test_add_func ("/widgets/digit-canvas/render", test_canvas_render);
  g_test_add_func ("/widgets/digit-preview/pixels", test_preview_pixels);
  g_test_add_func ("/widgets/prob-bars/values", test_prob_bars_values);
  g_test_add_func ("/widgets/prob-bars/render", test_prob_bars_render);
  g_test_add_func ("/widgets/chart-view/csv", test_chart_csv);
  g_test_add_func ("/widgets/chart-view/export-images", test_chart_export_images);
  g_test_add_func ("/widgets/chart-view/render", test_chart_render);

  return g_test_run ();
}
