/* rl-heatmap-view.c — a matrix as an image. The cells go into a cairo
 * image surface (one pixel per cell) painted with nearest filtering into
 * the largest centred rectangle of the matrix's aspect ratio (clamped to
 * 1:4 … 4:1 so that a 256×10 layer stays visible). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "rl-heatmap-view.h"

struct _RlHeatmapView
{
  GtkWidget       parent_instance;

  float          *data;
  guint           rows, cols;
  double          scale;
  RlHeatmapStyle  style;
  int             natural_side;
  gboolean        keep_aspect;
  cairo_surface_t *image;     /* rebuilt when data or theme change */
  gboolean        image_dark;
};

G_DEFINE_FINAL_TYPE (RlHeatmapView, rl_heatmap_view, GTK_TYPE_WIDGET)

typedef struct { double t, r, g, b; } Stop;

/* ColorBrewer RdBu on a light theme; a dark-centred variant on a dark one. */
static const Stop light_stops[] = {
  { -1.0, 0.129, 0.400, 0.675 }, { -0.5, 0.573, 0.773, 0.871 },
  {  0.0, 0.969, 0.969, 0.969 },
  {  0.5, 0.957, 0.647, 0.510 }, {  1.0, 0.698, 0.094, 0.169 },
};
static const Stop dark_stops[] = {
  { -1.0, 0.553, 0.780, 1.000 }, { -0.5, 0.220, 0.420, 0.690 },
  {  0.0, 0.140, 0.140, 0.155 },
  {  0.5, 0.690, 0.290, 0.220 }, {  1.0, 1.000, 0.620, 0.470 },
};

void
rl_heatmap_color (RlHeatmapStyle  style,
                  gboolean        dark,
                  double          t,
                  double         *r,
                  double         *g,
                  double         *b)
{
  const Stop *stops = dark ? dark_stops : light_stops;
  guint n = G_N_ELEMENTS (light_stops);

  if (isnan (t))
    {
      *r = *g = *b = 0.5;
      return;
    }
  if (style == RL_HEATMAP_GREY)
    {
      *r = *g = *b = CLAMP (t, 0.0, 1.0);
      return;
    }
  t = CLAMP (t, -1.0, 1.0);
  for (guint i = 0; i + 1 < n; i++)
    if (t <= stops[i + 1].t)
      {
        double u = (t - stops[i].t) / (stops[i + 1].t - stops[i].t);

        *r = stops[i].r + u * (stops[i + 1].r - stops[i].r);
        *g = stops[i].g + u * (stops[i + 1].g - stops[i].g);
        *b = stops[i].b + u * (stops[i + 1].b - stops[i].b);
        return;
      }
  *r = stops[n - 1].r;
  *g = stops[n - 1].g;
  *b = stops[n - 1].b;
}

static gboolean
widget_is_dark (GtkWidget *widget)
{
  GdkRGBA fg;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  return 0.2126 * fg.red + 0.7152 * fg.green + 0.0722 * fg.blue > 0.5;
}

static void
build_image (RlHeatmapView *self,
             gboolean       dark)
{
  unsigned char *pixels;
  int stride;

  g_clear_pointer (&self->image, cairo_surface_destroy);
  if (self->data == NULL)
    return;

  self->image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) self->cols, (int) self->rows);
  self->image_dark = dark;
  cairo_surface_flush (self->image);
  pixels = cairo_image_surface_get_data (self->image);
  stride = cairo_image_surface_get_stride (self->image);
  for (guint i = 0; i < self->rows; i++)
    {
      guint32 *row = (guint32 *) (pixels + (gsize) i * stride);

      for (guint j = 0; j < self->cols; j++)
        {
          double v = self->data[(gsize) i * self->cols + j];
          double r, g, b;

          rl_heatmap_color (self->style, dark, self->scale > 0 ? v / self->scale : 0.0, &r, &g, &b);
          row[j] = ((guint32) lround (r * 255) << 16) | ((guint32) lround (g * 255) << 8) |
                   (guint32) lround (b * 255);
        }
    }
  cairo_surface_mark_dirty (self->image);
}

static void
rl_heatmap_view_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  RlHeatmapView *self = RL_HEATMAP_VIEW (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  gboolean dark = widget_is_dark (widget);
  double aspect, w, h, ox, oy;
  cairo_pattern_t *pattern;
  GdkRGBA fg;
  cairo_t *cr;

  if (width < 2 || height < 2)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  if (self->data == NULL)
    {
      cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.25);
      cairo_set_line_width (cr, 1.0);
      cairo_rectangle (cr, 0.5, 0.5, width - 1, height - 1);
      cairo_stroke (cr);
      cairo_destroy (cr);
      return;
    }
  if (self->image == NULL || self->image_dark != dark)
    build_image (self, dark);

  aspect = self->keep_aspect ? CLAMP ((double) self->cols / self->rows, 0.25, 4.0)
                             : width / height;
  w = MIN (width, height * aspect);
  h = w / aspect;
  /* whole pixels per cell when the cells are few (digits, strokes) */
  if (self->keep_aspect && self->cols <= 64 && w >= self->cols &&
      aspect == (double) self->cols / self->rows)
    {
      w = floor (w / self->cols) * self->cols;
      h = w / aspect;
    }
  ox = floor ((width - w) / 2.0);
  oy = floor ((height - h) / 2.0);

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (ox, oy, w, h));
  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  cairo_scale (cr, w / self->cols, h / self->rows);
  pattern = cairo_pattern_create_for_surface (self->image);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  cairo_set_source (cr, pattern);
  cairo_rectangle (cr, 0, 0, self->cols, self->rows);
  cairo_fill (cr);
  cairo_pattern_destroy (pattern);
  cairo_restore (cr);

  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.3);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, ox + 0.5, oy + 0.5, w - 1, h - 1);
  cairo_stroke (cr);
  cairo_destroy (cr);
}

static void
rl_heatmap_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  RlHeatmapView *self = RL_HEATMAP_VIEW (widget);

  if (!self->keep_aspect && orientation == GTK_ORIENTATION_VERTICAL)
    {
      *minimum = *natural = 8;   /* a colour bar: as thin as it is asked */
      return;
    }
  *minimum = 28;
  *natural = self->natural_side;
}

static void
rl_heatmap_view_css_changed (GtkWidget         *widget,
                             GtkCssStyleChange *change)
{
  RlHeatmapView *self = RL_HEATMAP_VIEW (widget);

  GTK_WIDGET_CLASS (rl_heatmap_view_parent_class)->css_changed (widget, change);
  g_clear_pointer (&self->image, cairo_surface_destroy);
  gtk_widget_queue_draw (widget);
}

static void
rl_heatmap_view_finalize (GObject *object)
{
  RlHeatmapView *self = RL_HEATMAP_VIEW (object);

  g_free (self->data);
  g_clear_pointer (&self->image, cairo_surface_destroy);
  G_OBJECT_CLASS (rl_heatmap_view_parent_class)->finalize (object);
}

static void
rl_heatmap_view_class_init (RlHeatmapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = rl_heatmap_view_finalize;
  widget_class->snapshot = rl_heatmap_view_snapshot;
  widget_class->measure = rl_heatmap_view_measure;
  widget_class->css_changed = rl_heatmap_view_css_changed;

  gtk_widget_class_set_css_name (widget_class, "heatmapview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rl_heatmap_view_init (RlHeatmapView *self)
{
  self->natural_side = 128;
  self->scale = 1.0;
  self->keep_aspect = TRUE;
}

GtkWidget *
rl_heatmap_view_new (void)
{
  return g_object_new (RL_TYPE_HEATMAP_VIEW, NULL);
}

void
rl_heatmap_view_set_data (RlHeatmapView  *self,
                          const float    *data,
                          guint           rows,
                          guint           cols,
                          double          scale,
                          RlHeatmapStyle  style)
{
  g_return_if_fail (RL_IS_HEATMAP_VIEW (self));

  g_clear_pointer (&self->data, g_free);
  g_clear_pointer (&self->image, cairo_surface_destroy);
  if (data != NULL && rows > 0 && cols > 0 && rows <= 8192 && cols <= 8192)
    {
      self->data = g_memdup2 (data, sizeof (float) * rows * cols);
      self->rows = rows;
      self->cols = cols;
    }
  else
    self->rows = self->cols = 0;
  self->scale = scale > 0 && isfinite (scale) ? scale : 1.0;
  self->style = style;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
rl_heatmap_view_has_data (RlHeatmapView *self)
{
  g_return_val_if_fail (RL_IS_HEATMAP_VIEW (self), FALSE);
  return self->data != NULL;
}

void
rl_heatmap_view_set_natural_side (RlHeatmapView *self,
                                  int            side)
{
  g_return_if_fail (RL_IS_HEATMAP_VIEW (self));

  self->natural_side = CLAMP (side, 28, 1024);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
rl_heatmap_view_set_keep_aspect (RlHeatmapView *self,
                                 gboolean       keep_aspect)
{
  g_return_if_fail (RL_IS_HEATMAP_VIEW (self));

  self->keep_aspect = !!keep_aspect;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}
