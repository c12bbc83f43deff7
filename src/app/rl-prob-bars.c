/* rl-prob-bars.c — ten bars for the model's ten sigmoid outputs.
 *
 * Everything is drawn in snapshot() with cairo and Pango; the numbers are
 * also given to assistive technology as the accessible description. */

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "rl-prob-bars.h"

#define BAR_RADIUS 3.0
#define GAP        6.0

struct _RlProbBars
{
  GtkWidget       parent_instance;

  char           *title;
  double          values[RL_PROB_BARS_N];   /* normalised, sum 1 (or all 0) */
  int             argmax;                   /* -1 = none */
  GtkOrientation  orientation;
  guint           has_probs : 1;
  guint           show_title : 1;
};

enum {
  PROP_0,
  PROP_TITLE,
  PROP_SHOW_TITLE,
  N_PROPS,
  PROP_ORIENTATION = N_PROPS,
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE_WITH_CODE (RlProbBars, rl_prob_bars, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_ORIENTABLE, NULL))

static void
get_colors (RlProbBars *self,
            GdkRGBA    *fg,
            GdkRGBA    *accent)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));

  gtk_style_context_get_color (context, fg);
  if (!gtk_style_context_lookup_color (context, "accent_bg_color", accent))
    gdk_rgba_parse (accent, "#3584e4");
}

static void
rounded_box (cairo_t *cr,
             double   x,
             double   y,
             double   w,
             double   h)
{
  double r = MIN (BAR_RADIUS, MIN (w, h) / 2.0);

  if (w <= 0 || h <= 0)
    return;
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
set_source (cairo_t       *cr,
            const GdkRGBA *c,
            double         alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

/* Draws text with its left edge at x (align 0), centre (0.5) or right
 * edge (1), vertically centred on cy. */
static void
show_text (cairo_t     *cr,
           PangoLayout *layout,
           const char  *text,
           gboolean     bold,
           double       x,
           double       cy,
           double       align)
{
  PangoAttrList *attrs = pango_attr_list_new ();
  int w, h;

  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, round (x - align * w), round (cy - h / 2.0));
  pango_cairo_show_layout (cr, layout);
}

static int
text_width (PangoLayout *layout,
            const char  *text)
{
  int w;

  pango_layout_set_attributes (layout, NULL);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, NULL);
  return w;
}

static int
text_height (PangoLayout *layout)
{
  int h;

  pango_layout_set_attributes (layout, NULL);
  pango_layout_set_text (layout, "0", -1);
  pango_layout_get_pixel_size (layout, NULL, &h);
  return h;
}

static gboolean
title_visible (RlProbBars *self)
{
  return self->show_title && self->title != NULL && self->title[0] != '\0';
}

static void
rl_prob_bars_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  RlProbBars *self = RL_PROB_BARS (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
  double line_h = text_height (layout);
  double top = 0;
  GdkRGBA fg, accent;
  cairo_t *cr;

  if (width < 1 || height < 1)
    return;

  get_colors (self, &fg, &accent);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (title_visible (self))
    {
      set_source (cr, &fg, 1.0);
      show_text (cr, layout, self->title, TRUE, 0, line_h / 2.0, 0);
      top = line_h + GAP;
    }

  for (guint i = 0; i < RL_PROB_BARS_N; i++)
    {
      gboolean best = (int) i == self->argmax;
      char digit[2] = { (char) ('0' + i), '\0' };
      char value[32] = "";

      if (self->orientation == GTK_ORIENTATION_HORIZONTAL)
        {
          double label_w = text_width (layout, "8") + GAP;
          double value_w = text_width (layout, "100.0 %") + GAP;
          double row_h = (height - top) / RL_PROB_BARS_N;
          double cy = top + (i + 0.5) * row_h;
          double bar_h = MIN (row_h * 0.6, 16.0);
          double track_w = MAX (0.0, width - label_w - value_w);

          if (self->has_probs)
            g_snprintf (value, sizeof value, "%.1f %%", 100.0 * self->values[i]);

          set_source (cr, best ? &accent : &fg, 1.0);
          show_text (cr, layout, digit, best, 0, cy, 0);
          set_source (cr, &fg, 0.08);
          rounded_box (cr, label_w, cy - bar_h / 2, track_w, bar_h);
          cairo_fill (cr);
          set_source (cr, best ? &accent : &fg, best ? 1.0 : 0.4);
          rounded_box (cr, label_w, cy - bar_h / 2, track_w * self->values[i], bar_h);
          cairo_fill (cr);
          set_source (cr, &fg, best ? 1.0 : 0.7);
          show_text (cr, layout, value, best, width, cy, 1.0);
        }
      else
        {
          double col_w = width / RL_PROB_BARS_N;
          double cx = (i + 0.5) * col_w;
          double bar_w = MIN (col_w * 0.6, 24.0);
          double area_top = top + line_h + 2;
          double area_bottom = height - line_h - 4;
          double area_h = MAX (0.0, area_bottom - area_top);
          double bar_h = area_h * self->values[i];

          if (self->has_probs)
            g_snprintf (value, sizeof value, "%.0f", 100.0 * self->values[i]);

          set_source (cr, &fg, 0.08);
          rounded_box (cr, cx - bar_w / 2, area_top, bar_w, area_h);
          cairo_fill (cr);
          set_source (cr, best ? &accent : &fg, best ? 1.0 : 0.4);
          rounded_box (cr, cx - bar_w / 2, area_bottom - bar_h, bar_w, bar_h);
          cairo_fill (cr);
          set_source (cr, &fg, best ? 1.0 : 0.7);
          show_text (cr, layout, value, best, cx, area_bottom - bar_h - 2 - line_h / 2, 0.5);
          set_source (cr, best ? &accent : &fg, 1.0);
          show_text (cr, layout, digit, best, cx, height - line_h / 2 - 1, 0.5);
        }
    }

  cairo_destroy (cr);
}

static void
rl_prob_bars_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  RlProbBars *self = RL_PROB_BARS (widget);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
  int line_h = text_height (layout);
  int title_h = title_visible (self) ? line_h + (int) GAP : 0;
  int label_w = text_width (layout, "8") + (int) GAP;
  int value_w = text_width (layout, "100.0 %") + (int) GAP;

  if (self->orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      if (orientation == GTK_ORIENTATION_HORIZONTAL)
        {
          *minimum = label_w + value_w + 60;
          *natural = label_w + value_w + 180;
        }
      else
        {
          *minimum = title_h + RL_PROB_BARS_N * MAX (line_h, 14);
          *natural = title_h + RL_PROB_BARS_N * (line_h + 8);
        }
    }
  else
    {
      if (orientation == GTK_ORIENTATION_HORIZONTAL)
        {
          *minimum = RL_PROB_BARS_N * MAX (text_width (layout, "100"), 16);
          *natural = RL_PROB_BARS_N * (text_width (layout, "100") + 14);
        }
      else
        {
          *minimum = title_h + 2 * line_h + 60;
          *natural = title_h + 2 * line_h + 140;
        }
    }
  if (title_visible (self) && orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int tw = text_width (layout, self->title);

      *minimum = MAX (*minimum, MIN (tw, 200));
      *natural = MAX (*natural, tw);
    }
}

static void
rl_prob_bars_css_changed (GtkWidget         *widget,
                          GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (rl_prob_bars_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

static void
update_accessible (RlProbBars *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (!self->has_probs)
    g_string_append (text, _("No prediction"));
  else
    {
      if (self->argmax >= 0)
        g_string_append_printf (text, _("Prediction %d (%.1f %%)."),
                                self->argmax, 100.0 * self->values[self->argmax]);
      for (guint i = 0; i < RL_PROB_BARS_N; i++)
        g_string_append_printf (text, " %u: %.1f %%%s", i, 100.0 * self->values[i],
                                i + 1 < RL_PROB_BARS_N ? "," : ".");
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->title ? self->title : "",
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text->str,
                                  -1);
}

static void
rl_prob_bars_finalize (GObject *object)
{
  RlProbBars *self = RL_PROB_BARS (object);

  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (rl_prob_bars_parent_class)->finalize (object);
}

static void
rl_prob_bars_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  RlProbBars *self = RL_PROB_BARS (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_SHOW_TITLE:
      g_value_set_boolean (value, self->show_title);
      break;

    case PROP_ORIENTATION:
      g_value_set_enum (value, self->orientation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_prob_bars_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  RlProbBars *self = RL_PROB_BARS (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      rl_prob_bars_set_title (self, g_value_get_string (value));
      break;

    case PROP_SHOW_TITLE:
      rl_prob_bars_set_show_title (self, g_value_get_boolean (value));
      break;

    case PROP_ORIENTATION:
      if (self->orientation != (GtkOrientation) g_value_get_enum (value))
        {
          self->orientation = g_value_get_enum (value);
          gtk_widget_queue_resize (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_prob_bars_class_init (RlProbBarsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = rl_prob_bars_finalize;
  object_class->get_property = rl_prob_bars_get_property;
  object_class->set_property = rl_prob_bars_set_property;

  widget_class->snapshot = rl_prob_bars_snapshot;
  widget_class->measure = rl_prob_bars_measure;
  widget_class->css_changed = rl_prob_bars_css_changed;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SHOW_TITLE] =
    g_param_spec_boolean ("show-title", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  g_object_class_override_property (object_class, PROP_ORIENTATION, "orientation");

  gtk_widget_class_set_css_name (widget_class, "probbars");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rl_prob_bars_init (RlProbBars *self)
{
  self->argmax = -1;
  self->show_title = TRUE;
  self->orientation = GTK_ORIENTATION_HORIZONTAL;
  gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                               _("Class probabilities of the ten digits (they add up to 100 %)"));
  update_accessible (self);
}

GtkWidget *
rl_prob_bars_new (void)
{
  return g_object_new (RL_TYPE_PROB_BARS, NULL);
}

const char *
rl_prob_bars_get_title (RlProbBars *self)
{
  g_return_val_if_fail (RL_IS_PROB_BARS (self), NULL);

  return self->title;
}

void
rl_prob_bars_set_title (RlProbBars *self,
                        const char *title)
{
  g_return_if_fail (RL_IS_PROB_BARS (self));

  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

gboolean
rl_prob_bars_get_show_title (RlProbBars *self)
{
  g_return_val_if_fail (RL_IS_PROB_BARS (self), FALSE);

  return self->show_title;
}

void
rl_prob_bars_set_show_title (RlProbBars *self,
                             gboolean    show_title)
{
  g_return_if_fail (RL_IS_PROB_BARS (self));

  show_title = !!show_title;
  if (self->show_title == (guint) show_title)
    return;
  self->show_title = show_title;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_TITLE]);
}

void
rl_prob_bars_set_probs (RlProbBars  *self,
                        const float *probs,
                        guint        n)
{
  g_autofree char *tooltip = NULL;
  double sum = 0.0;

  g_return_if_fail (RL_IS_PROB_BARS (self));
  g_return_if_fail (probs == NULL || n <= RL_PROB_BARS_N);

  memset (self->values, 0, sizeof self->values);
  self->argmax = -1;
  self->has_probs = probs != NULL;

  if (probs != NULL)
    {
      for (guint i = 0; i < n; i++)
        {
          double v = probs[i] > 0.0f && isfinite (probs[i]) ? probs[i] : 0.0;

          self->values[i] = v;
          sum += v;
          if (v > 0.0 && (self->argmax < 0 || v > self->values[self->argmax]))
            self->argmax = (int) i;
        }
      if (sum > 0.0)
        for (guint i = 0; i < n; i++)
          self->values[i] /= sum;
    }

  if (self->has_probs)
    tooltip = g_strdup_printf (_("Class probabilities of the ten digits, scaled so their sum "
                                 "(%.3f) is 100 %%"), sum);
  else
    tooltip = g_strdup (_("Class probabilities of the ten digits (they add up to 100 %)"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip);

  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
rl_prob_bars_get_argmax (RlProbBars *self)
{
  g_return_val_if_fail (RL_IS_PROB_BARS (self), -1);

  return self->argmax;
}

double
rl_prob_bars_get_value (RlProbBars *self,
                        guint       digit)
{
  g_return_val_if_fail (RL_IS_PROB_BARS (self), 0.0);
  g_return_val_if_fail (digit < RL_PROB_BARS_N, 0.0);

  return self->values[digit];
}
