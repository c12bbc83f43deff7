/* rl-digit-preview.c — the 28×28 model input, scaled up with nearest
 * filtering so every input pixel is a crisp square.
 *
 * The grey levels live in a 28×28 cairo image surface; snapshot() paints it
 * through a pattern with CAIRO_FILTER_NEAREST, scaled to the largest
 * centred square that is a whole multiple of 28 when there is room. */

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "rl-digit-preview.h"
#include "rl-preprocess.h"

struct _RlDigitPreview
{
  GtkWidget        parent_instance;

  cairo_surface_t *image;       /* RGB24, 28×28 */
  gboolean         has_pixels;
};

G_DEFINE_FINAL_TYPE (RlDigitPreview, rl_digit_preview, GTK_TYPE_WIDGET)

static void
rl_digit_preview_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  RlDigitPreview *self = RL_DIGIT_PREVIEW (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double side = MIN (width, height);
  cairo_pattern_t *pattern;
  GdkRGBA fg;
  double ox, oy;
  cairo_t *cr;

  /* whole pixels per input pixel when the widget is big enough */
  if (side >= RL_DIGIT_SIDE)
    side = floor (side / RL_DIGIT_SIDE) * RL_DIGIT_SIDE;
  if (side < 1.0)
    return;
  ox = floor ((width - side) / 2.0);
  oy = floor ((height - side) / 2.0);

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (ox, oy));
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, side, side));

  cairo_save (cr);
  cairo_scale (cr, side / RL_DIGIT_SIDE, side / RL_DIGIT_SIDE);
  pattern = cairo_pattern_create_for_surface (self->image);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  cairo_set_source (cr, pattern);
  cairo_rectangle (cr, 0, 0, RL_DIGIT_SIDE, RL_DIGIT_SIDE);
  cairo_fill (cr);
  cairo_pattern_destroy (pattern);
  cairo_restore (cr);

  /* a faint frame so the black square stands out on a dark theme */
  cairo_set_line_width (cr, 1.0);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.25);
  cairo_rectangle (cr, 0.5, 0.5, side - 1.0, side - 1.0);
  cairo_stroke (cr);

  cairo_destroy (cr);
  gtk_snapshot_restore (snapshot);
}

static void
rl_digit_preview_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = 2 * RL_DIGIT_SIDE;
  *natural = 4 * RL_DIGIT_SIDE;
}

static void
rl_digit_preview_finalize (GObject *object)
{
  RlDigitPreview *self = RL_DIGIT_PREVIEW (object);

  g_clear_pointer (&self->image, cairo_surface_destroy);

  G_OBJECT_CLASS (rl_digit_preview_parent_class)->finalize (object);
}

static void
rl_digit_preview_class_init (RlDigitPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = rl_digit_preview_finalize;

  widget_class->snapshot = rl_digit_preview_snapshot;
  widget_class->measure = rl_digit_preview_measure;

  gtk_widget_class_set_css_name (widget_class, "digitpreview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rl_digit_preview_init (RlDigitPreview *self)
{
  self->image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, RL_DIGIT_SIDE, RL_DIGIT_SIDE);
  rl_digit_preview_set_pixels (self, NULL);

  gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                               _("The 28 × 28 image the model sees"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Model input"),
                                  -1);
}

GtkWidget *
rl_digit_preview_new (void)
{
  return g_object_new (RL_TYPE_DIGIT_PREVIEW, NULL);
}

void
rl_digit_preview_set_pixels (RlDigitPreview *self,
                             const float    *pixels784)
{
  guchar *data;
  int stride;

  g_return_if_fail (RL_IS_DIGIT_PREVIEW (self));

  cairo_surface_flush (self->image);
  data = cairo_image_surface_get_data (self->image);
  stride = cairo_image_surface_get_stride (self->image);

  for (guint y = 0; y < RL_DIGIT_SIDE; y++)
    {
      guint32 *row = (guint32 *) (gpointer) (data + (gsize) y * stride);

      for (guint x = 0; x < RL_DIGIT_SIDE; x++)
        {
          float v = pixels784 ? pixels784[y * RL_DIGIT_SIDE + x] : 0.0f;
          guint32 g;

          if (!(v > 0.0f))          /* also NaN */
            v = 0.0f;
          else if (v > 1.0f)
            v = 1.0f;
          g = (guint32) lrintf (v * 255.0f);
          row[x] = 0xff000000u | (g << 16) | (g << 8) | g;
        }
    }
  cairo_surface_mark_dirty (self->image);

  self->has_pixels = pixels784 != NULL;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  self->has_pixels ? _("A 28 × 28 grey image")
                                                   : _("Empty"),
                                  -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
rl_digit_preview_has_pixels (RlDigitPreview *self)
{
  g_return_val_if_fail (RL_IS_DIGIT_PREVIEW (self), FALSE);

  return self->has_pixels;
}
