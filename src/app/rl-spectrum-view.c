/* rl-spectrum-view.c — singular values on a log axis (left), cumulative
 * energy Σ_{i≤r} σ_i² / Σ σ_i² on a 0–100 % axis (right), the rank line
 * (dragged with a GtkGestureDrag) and the break-even rank, drawn with
 * cairo and Pango in snapshot(). */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "rl-spectrum-view.h"
#include "rl-chart.h"

#define PAD_LEFT   64.0
#define PAD_RIGHT  56.0
#define PAD_TOP    34.0
#define PAD_BOTTOM 44.0

struct _RlSpectrumView
{
  GtkWidget  parent_instance;

  double    *s;         /* k values */
  double    *energy;    /* k values: energy[i] = Σ_{j≤i} σ_j² / Σ σ² */
  guint      k, m, n;
  guint      rank;
  gboolean   log_x;
  double     drag_x;
};

enum {
  PROP_0,
  PROP_RANK,
  PROP_LOG_X,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (RlSpectrumView, rl_spectrum_view, GTK_TYPE_WIDGET)

/* ------------------------------------------------------------ geometry */

typedef struct
{
  double x0, y0, w, h;      /* plot area */
  double lo, hi;            /* log10 of the σ axis range */
} Frame;

static void
get_frame (RlSpectrumView *self,
           Frame          *f)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double smin = INFINITY, smax = 0.0;

  f->x0 = PAD_LEFT;
  f->y0 = PAD_TOP;
  f->w = MAX (1.0, width - PAD_LEFT - PAD_RIGHT);
  f->h = MAX (1.0, height - PAD_TOP - PAD_BOTTOM);

  for (guint i = 0; i < self->k; i++)
    if (self->s[i] > 0.0)
      {
        smin = MIN (smin, self->s[i]);
        smax = MAX (smax, self->s[i]);
      }
  if (!(smax > 0.0))
    {
      f->lo = -1.0;
      f->hi = 1.0;
      return;
    }
  /* at most 8 decades below σ_1, whole decades */
  f->hi = ceil (log10 (smax));
  f->lo = floor (log10 (MAX (smin, smax * 1e-8)));
  if (f->hi - f->lo < 1.0)
    f->lo = f->hi - 1.0;
}

static double
x_of (RlSpectrumView *self,
      const Frame    *f,
      double          rank)
{
  double t;

  if (self->k <= 1)
    return f->x0 + f->w / 2.0;
  if (self->log_x)
    t = log (MAX (rank, 1.0)) / log ((double) self->k);
  else
    t = (rank - 1.0) / (self->k - 1.0);
  return f->x0 + t * f->w;
}

guint
rl_spectrum_view_rank_at (RlSpectrumView *self,
                          double          x)
{
  Frame f;
  double t, rank;

  g_return_val_if_fail (RL_IS_SPECTRUM_VIEW (self), 0);

  if (self->k == 0)
    return 0;
  get_frame (self, &f);
  t = CLAMP ((x - f.x0) / f.w, 0.0, 1.0);
  if (self->log_x)
    rank = exp (t * log ((double) self->k));
  else
    rank = 1.0 + t * (self->k - 1.0);
  return CLAMP ((guint) lround (rank), 1u, self->k);
}

/* ------------------------------------------------------------- drawing */

static void
draw_text (cairo_t    *cr,
           PangoLayout *layout,
           const char *text,
           double      x,
           double      y,
           double      xalign,
           double      yalign)
{
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - xalign * w, y - yalign * h);
  pango_cairo_show_layout (cr, layout);
}

static double
nice_step (double range,
           int    target)
{
  double raw = range / MAX (target, 1);
  double mag = pow (10.0, floor (log10 (raw)));
  double f = raw / mag;

  return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * mag;
}

static void
draw_axes (RlSpectrumView *self,
           cairo_t        *cr,
           PangoLayout    *layout,
           const Frame    *f,
           const GdkRGBA  *fg)
{
  char buf[64];

  cairo_set_line_width (cr, 1.0);
  /* σ decades, left */
  for (double e = f->lo; e <= f->hi + 1e-9; e += 1.0)
    {
      double y = f->y0 + f->h * (f->hi - e) / (f->hi - f->lo);

      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.12);
      cairo_move_to (cr, f->x0, floor (y) + 0.5);
      cairo_line_to (cr, f->x0 + f->w, floor (y) + 0.5);
      cairo_stroke (cr);
      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.8);
      g_snprintf (buf, sizeof buf, "%g", pow (10.0, e));
      draw_text (cr, layout, buf, f->x0 - 6, y, 1.0, 0.5);
    }
  /* energy, right */
  for (int p = 0; p <= 100; p += 25)
    {
      double y = f->y0 + f->h * (1.0 - p / 100.0);

      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.8);
      /* Translators: an axis tick, e.g. "75 %" */
      g_snprintf (buf, sizeof buf, _("%d %%"), p);
      draw_text (cr, layout, buf, f->x0 + f->w + 6, y, 0.0, 0.5);
    }
  /* rank ticks */
  if (self->k > 0)
    {
      if (self->log_x)
        {
          for (double d = 1; d <= self->k; d *= 10)
            for (int mult = 1; mult <= 5; mult += 4)
              if (d * mult <= self->k)
                {
                  g_snprintf (buf, sizeof buf, "%g", d * mult);
                  draw_text (cr, layout, buf, x_of (self, f, d * mult), f->y0 + f->h + 4, 0.5, 0.0);
                }
        }
      else
        {
          double step = nice_step (self->k, 8);

          draw_text (cr, layout, "1", x_of (self, f, 1), f->y0 + f->h + 4, 0.5, 0.0);
          for (double v = step; v <= self->k; v += step)
            {
              g_snprintf (buf, sizeof buf, "%g", v);
              draw_text (cr, layout, buf, x_of (self, f, v), f->y0 + f->h + 4, 0.5, 0.0);
            }
        }
    }
  draw_text (cr, layout, _("Rank r (number of singular values kept)"),
             f->x0 + f->w / 2, f->y0 + f->h + 22, 0.5, 0.0);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.5);
  cairo_rectangle (cr, f->x0 + 0.5, f->y0 + 0.5, f->w - 1, f->h - 1);
  cairo_stroke (cr);
}

static void
draw_series (RlSpectrumView *self,
             cairo_t        *cr,
             const Frame    *f,
             gboolean        dark)
{
  double r, g, b;

  /* energy */
  rl_chart_palette (1, dark, &r, &g, &b);
  cairo_set_source_rgb (cr, r, g, b);
  cairo_set_line_width (cr, 2.0);
  for (guint i = 0; i < self->k; i++)
    {
      double x = x_of (self, f, i + 1);
      double y = f->y0 + f->h * (1.0 - self->energy[i]);

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);

  /* singular values (a break where σ = 0) */
  rl_chart_palette (0, dark, &r, &g, &b);
  cairo_set_source_rgb (cr, r, g, b);
  cairo_set_line_width (cr, 2.0);
  {
    gboolean pen = FALSE;

    for (guint i = 0; i < self->k; i++)
      {
        double x = x_of (self, f, i + 1), y;

        if (!(self->s[i] > 0.0))
          {
            pen = FALSE;
            continue;
          }
        y = f->y0 + f->h * (f->hi - log10 (self->s[i])) / (f->hi - f->lo);
        y = MIN (y, f->y0 + f->h);
        if (pen)
          cairo_line_to (cr, x, y);
        else
          cairo_move_to (cr, x, y);
        pen = TRUE;
      }
    cairo_stroke (cr);
  }
}

static void
draw_legend (RlSpectrumView *self,
             cairo_t        *cr,
             PangoLayout    *layout,
             const Frame    *f,
             const GdkRGBA  *fg,
             gboolean        dark)
{
  const char *names[2] = { _("Singular values σᵢ (log scale, left)"),
                           _("Cumulative energy (right)") };
  double x = f->x0;

  for (guint i = 0; i < 2; i++)
    {
      double r, g, b;
      int w, h;

      rl_chart_palette (i, dark, &r, &g, &b);
      cairo_set_source_rgb (cr, r, g, b);
      cairo_rectangle (cr, x, 10, 18, 4);
      cairo_fill (cr);
      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.9);
      pango_layout_set_text (layout, names[i], -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      cairo_move_to (cr, x + 24, 12 - h / 2.0);
      pango_cairo_show_layout (cr, layout);
      x += 24 + w + 24;
    }
}

static void
draw_markers (RlSpectrumView *self,
              cairo_t        *cr,
              PangoLayout    *layout,
              const Frame    *f,
              const GdkRGBA  *fg,
              const GdkRGBA  *accent)
{
  double be = (double) self->m * self->n / MAX (1.0, (double) self->m + self->n);
  guint shown = MIN (self->rank, self->k);
  double x = floor (x_of (self, f, shown)) + 0.5;
  char buf[128];

  /* the discarded part of the spectrum */
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.06);
  cairo_rectangle (cr, x, f->y0, f->x0 + f->w - x, f->h);
  cairo_fill (cr);

  /* break-even rank: above it the factors hold more weights than W */
  if (be >= 1.0 && be <= self->k)
    {
      double bx = floor (x_of (self, f, be)) + 0.5;
      const double dash[] = { 5.0, 4.0 };

      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.7);
      cairo_set_dash (cr, dash, 2, 0);
      cairo_set_line_width (cr, 1.0);
      cairo_move_to (cr, bx, f->y0);
      cairo_line_to (cr, bx, f->y0 + f->h);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      /* Translators: the break-even rank m·n/(m+n) on the chart */
      g_snprintf (buf, sizeof buf, _("break-even %.1f"), be);
      draw_text (cr, layout, buf, bx + (bx > f->x0 + f->w * 0.8 ? -4 : 4), f->y0 + f->h - 4,
                 bx > f->x0 + f->w * 0.8 ? 1.0 : 0.0, 1.0);
    }

  /* the rank line and its handle */
  gdk_cairo_set_source_rgba (cr, accent);
  cairo_set_line_width (cr, 2.0);
  cairo_move_to (cr, x, f->y0);
  cairo_line_to (cr, x, f->y0 + f->h);
  cairo_stroke (cr);
  cairo_arc (cr, x, f->y0, 6.0, 0, 2 * G_PI);
  cairo_fill (cr);
  if (self->rank > self->k)
    /* Translators: the rank line's label when the layer keeps all its values */
    g_snprintf (buf, sizeof buf, _("r = %u (all %u kept)"), self->rank, self->k);
  else
    g_snprintf (buf, sizeof buf, "r = %u", self->rank);
  draw_text (cr, layout, buf, x + (x > f->x0 + f->w * 0.75 ? -10 : 10), f->y0 + 4,
             x > f->x0 + f->w * 0.75 ? 1.0 : 0.0, 0.0);
}

static void
rl_spectrum_view_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  RlSpectrumView *self = RL_SPECTRUM_VIEW (widget);
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  g_autoptr(PangoLayout) layout = NULL;
  GdkRGBA fg, accent;
  gboolean dark;
  cairo_t *cr;
  Frame f;

  if (width < 2 || height < 2)
    return;
  gtk_style_context_get_color (context, &fg);
  if (!gtk_style_context_lookup_color (context, "accent_bg_color", &accent))
    gdk_rgba_parse (&accent, "#3584e4");
  dark = 0.2126 * fg.red + 0.7152 * fg.green + 0.0722 * fg.blue > 0.5;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  layout = gtk_widget_create_pango_layout (widget, NULL);
  get_frame (self, &f);

  if (self->k == 0)
    {
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
      draw_text (cr, layout, _("The spectrum appears once the SVD is computed."),
                 width / 2, height / 2, 0.5, 0.5);
      cairo_destroy (cr);
      return;
    }

  draw_axes (self, cr, layout, &f, &fg);
  cairo_save (cr);
  cairo_rectangle (cr, f.x0, f.y0, f.w, f.h);
  cairo_clip (cr);
  draw_series (self, cr, &f, dark);
  cairo_restore (cr);
  draw_markers (self, cr, layout, &f, &fg, &accent);
  draw_legend (self, cr, layout, &f, &fg, dark);
  cairo_destroy (cr);
}

/* -------------------------------------------------- input, properties */

static void
update_accessible (RlSpectrumView *self)
{
  g_autofree char *text = NULL;
  guint shown = MIN (self->rank, self->k);

  if (self->k > 0)
    /* Translators: accessible value text of the draggable rank line */
    text = g_strdup_printf (_("Rank %u of %u, %.1f %% of the energy kept"),
                            shown, self->k, 100.0 * self->energy[shown - 1]);
  else
    text = g_strdup (_("No spectrum"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 1.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, (double) MAX (1u, self->k),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, (double) MAX (1u, shown),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
                                  -1);
}

void
rl_spectrum_view_set_rank (RlSpectrumView *self,
                           guint           rank)
{
  g_return_if_fail (RL_IS_SPECTRUM_VIEW (self));

  rank = MAX (rank, 1u);
  if (rank == self->rank)
    return;
  self->rank = rank;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RANK]);
}

guint
rl_spectrum_view_get_rank (RlSpectrumView *self)
{
  g_return_val_if_fail (RL_IS_SPECTRUM_VIEW (self), 1);
  return self->rank;
}

void
rl_spectrum_view_set_log_x (RlSpectrumView *self,
                            gboolean        log_x)
{
  g_return_if_fail (RL_IS_SPECTRUM_VIEW (self));

  log_x = !!log_x;
  if (log_x == self->log_x)
    return;
  self->log_x = log_x;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_X]);
}

gboolean
rl_spectrum_view_get_log_x (RlSpectrumView *self)
{
  g_return_val_if_fail (RL_IS_SPECTRUM_VIEW (self), FALSE);
  return self->log_x;
}

void
rl_spectrum_view_set_spectrum (RlSpectrumView *self,
                               const double   *s,
                               guint           k,
                               guint           m,
                               guint           n)
{
  double total = 0.0, acc = 0.0;

  g_return_if_fail (RL_IS_SPECTRUM_VIEW (self));

  g_clear_pointer (&self->s, g_free);
  g_clear_pointer (&self->energy, g_free);
  self->k = s != NULL ? k : 0;
  self->m = m;
  self->n = n;
  if (self->k > 0)
    {
      self->s = g_memdup2 (s, sizeof (double) * k);
      self->energy = g_new (double, k);
      for (guint i = 0; i < k; i++)
        total += s[i] * s[i];
      for (guint i = 0; i < k; i++)
        {
          acc += s[i] * s[i];
          self->energy[i] = total > 0.0 ? acc / total : 0.0;
        }
    }
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_rank_from_x (RlSpectrumView *self,
                 double          x)
{
  guint rank = rl_spectrum_view_rank_at (self, x);

  if (rank > 0)
    rl_spectrum_view_set_rank (self, rank);
}

static void
drag_begin_cb (GtkGestureDrag *gesture,
               double          x,
               double          y,
               RlSpectrumView *self)
{
  self->drag_x = x;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  set_rank_from_x (self, x);
}

static void
drag_update_cb (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                RlSpectrumView *self)
{
  set_rank_from_x (self, self->drag_x + dx);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                RlSpectrumView        *self)
{
  guint cur = MIN (self->rank, MAX (1u, self->k));
  gint64 next;

  if (self->k == 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Left: case GDK_KEY_KP_Left: case GDK_KEY_Down: case GDK_KEY_KP_Down:
      next = (gint64) cur - 1; break;
    case GDK_KEY_Right: case GDK_KEY_KP_Right: case GDK_KEY_Up: case GDK_KEY_KP_Up:
      next = (gint64) cur + 1; break;
    case GDK_KEY_Page_Down: next = (gint64) cur - 10; break;
    case GDK_KEY_Page_Up:   next = (gint64) cur + 10; break;
    case GDK_KEY_Home:      next = 1; break;
    case GDK_KEY_End:       next = self->k; break;
    default:
      return FALSE;
    }
  rl_spectrum_view_set_rank (self, (guint) CLAMP (next, 1, (gint64) self->k));
  return TRUE;
}

static void
rl_spectrum_view_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 360 : 240;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 400;
}

static void
rl_spectrum_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  RlSpectrumView *self = RL_SPECTRUM_VIEW (object);

  switch (prop_id)
    {
    case PROP_RANK:  g_value_set_uint (value, self->rank); break;
    case PROP_LOG_X: g_value_set_boolean (value, self->log_x); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_spectrum_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  RlSpectrumView *self = RL_SPECTRUM_VIEW (object);

  switch (prop_id)
    {
    case PROP_RANK:  rl_spectrum_view_set_rank (self, g_value_get_uint (value)); break;
    case PROP_LOG_X: rl_spectrum_view_set_log_x (self, g_value_get_boolean (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_spectrum_view_finalize (GObject *object)
{
  RlSpectrumView *self = RL_SPECTRUM_VIEW (object);

  g_free (self->s);
  g_free (self->energy);
  G_OBJECT_CLASS (rl_spectrum_view_parent_class)->finalize (object);
}

static void
rl_spectrum_view_class_init (RlSpectrumViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = rl_spectrum_view_finalize;
  object_class->get_property = rl_spectrum_view_get_property;
  object_class->set_property = rl_spectrum_view_set_property;
  widget_class->snapshot = rl_spectrum_view_snapshot;
  widget_class->measure = rl_spectrum_view_measure;

  properties[PROP_RANK] =
    g_param_spec_uint ("rank", NULL, NULL, 1, G_MAXUINT, 1,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOG_X] =
    g_param_spec_boolean ("log-x", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "spectrumview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_SLIDER);
}

static void
rl_spectrum_view_init (RlSpectrumView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();

  self->rank = 1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "col-resize");

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  update_accessible (self);
}

GtkWidget *
rl_spectrum_view_new (void)
{
  return g_object_new (RL_TYPE_SPECTRUM_VIEW, NULL);
}
