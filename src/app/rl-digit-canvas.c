/* rl-digit-canvas.c — a square canvas to draw a digit on.
 *
 * Strokes are drawn into an A8 cairo image surface of RL_DIGIT_CANVAS_SIDE²
 * (alpha = ink) that does not depend on the widget's size or the screen's
 * scale factor; snapshot() shows it scaled to the widget, white ink on a dark
 * square like MNIST. rl_digit_canvas_get_input() reads the surface back and
 * hands it to rl_preprocess_digit(). */

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "rl-digit-canvas.h"
#include "rl-error.h"
#include "rl-preprocess.h"

#define STROKE_WIDTH        19.0   /* surface units */
#define CHANGED_INTERVAL_US (30 * G_TIME_SPAN_MILLISECOND)
#define CORNER_RADIUS       8.0

struct _RlDigitCanvas
{
  GtkWidget        parent_instance;

  cairo_surface_t *surface;       /* A8, SIDE × SIDE; alpha is the ink */
  double           last_x;        /* last point of the stroke, surface units */
  double           last_y;
  gint64           last_emit_us;  /* monotonic time of the last "changed" */
  guint            changed_id;    /* pending throttled "changed" */
  guint            empty : 1;
  guint            dirty : 1;     /* ink added since the last "changed" */
};

G_DEFINE_FINAL_TYPE (RlDigitCanvas, rl_digit_canvas, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_EMPTY,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The canvas is the largest centred square in the allocation. */
static double
get_square (RlDigitCanvas *self,
            double        *ox,
            double        *oy)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double side = MIN (width, height);

  *ox = floor ((width - side) / 2.0);
  *oy = floor ((height - side) / 2.0);
  return side;
}

static gboolean
widget_to_surface (RlDigitCanvas *self,
                   double         x,
                   double         y,
                   double        *sx,
                   double        *sy)
{
  double ox, oy;
  double side = get_square (self, &ox, &oy);

  if (side < 1.0)
    return FALSE;
  *sx = (x - ox) * RL_DIGIT_CANVAS_SIDE / side;
  *sy = (y - oy) * RL_DIGIT_CANVAS_SIDE / side;
  return TRUE;
}

static void
set_empty (RlDigitCanvas *self,
           gboolean       empty)
{
  empty = !!empty;
  if (self->empty == empty)
    return;
  self->empty = empty;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "digit-canvas.clear", !empty);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMPTY]);
}

static void
emit_changed_now (RlDigitCanvas *self)
{
  g_clear_handle_id (&self->changed_id, g_source_remove);
  self->last_emit_us = g_get_monotonic_time ();
  self->dirty = FALSE;
  g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
changed_timeout_cb (gpointer user_data)
{
  RlDigitCanvas *self = user_data;

  self->changed_id = 0;
  emit_changed_now (self);
  return G_SOURCE_REMOVE;
}

/* At most one "changed" every CHANGED_INTERVAL_US while drawing; the last
 * change is never lost (a timeout delivers it). */
static void
emit_changed_throttled (RlDigitCanvas *self)
{
  gint64 elapsed = g_get_monotonic_time () - self->last_emit_us;

  if (self->changed_id != 0)
    return;
  if (elapsed >= CHANGED_INTERVAL_US)
    emit_changed_now (self);
  else
    self->changed_id = g_timeout_add ((guint) ((CHANGED_INTERVAL_US - elapsed) / 1000 + 1),
                                      changed_timeout_cb, self);
}

static void
flush_changed (RlDigitCanvas *self)
{
  if (self->dirty || self->changed_id != 0)
    emit_changed_now (self);
}

/* A segment from the last point to (x, y); a dot when they coincide. */
static void
draw_segment (RlDigitCanvas *self,
              double         x,
              double         y)
{
  const double r = STROKE_WIDTH / 2.0;
  cairo_t *cr;

  /* a segment entirely off the surface leaves no ink */
  if (MAX (x, self->last_x) < -r || MIN (x, self->last_x) > RL_DIGIT_CANVAS_SIDE + r ||
      MAX (y, self->last_y) < -r || MIN (y, self->last_y) > RL_DIGIT_CANVAS_SIDE + r)
    {
      self->last_x = x;
      self->last_y = y;
      return;
    }

  cr = cairo_create (self->surface);
  cairo_set_line_width (cr, STROKE_WIDTH);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_source_rgba (cr, 0, 0, 0, 1);
  cairo_move_to (cr, self->last_x, self->last_y);
  cairo_line_to (cr, x, y);
  cairo_stroke (cr);
  cairo_destroy (cr);
  cairo_surface_flush (self->surface);

  self->last_x = x;
  self->last_y = y;
  self->dirty = TRUE;
  set_empty (self, FALSE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
drag_begin_cb (GtkGestureDrag *gesture,
               double          x,
               double          y,
               RlDigitCanvas  *self)
{
  double sx, sy;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (!widget_to_surface (self, x, y, &sx, &sy))
    return;
  self->last_x = sx;
  self->last_y = sy;
  draw_segment (self, sx, sy);
  emit_changed_throttled (self);
}

static void
drag_update_cb (GtkGestureDrag *gesture,
                double          offset_x,
                double          offset_y,
                RlDigitCanvas  *self)
{
  double x, y, sx, sy;

  if (!gtk_gesture_drag_get_start_point (gesture, &x, &y) ||
      !widget_to_surface (self, x + offset_x, y + offset_y, &sx, &sy))
    return;
  draw_segment (self, sx, sy);
  emit_changed_throttled (self);
}

static void
drag_end_cb (GtkGestureDrag *gesture,
             double          offset_x,
             double          offset_y,
             RlDigitCanvas  *self)
{
  flush_changed (self);
}

static void
secondary_pressed_cb (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      RlDigitCanvas   *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  rl_digit_canvas_clear (self);
}

static void
clear_action_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  rl_digit_canvas_clear (RL_DIGIT_CANVAS (widget));
}

static void
rounded_rectangle (cairo_t *cr,
                   double   side,
                   double   radius)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, side - radius, radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, side - radius, side - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, radius, side - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, radius, radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
draw_hint (RlDigitCanvas *self,
           cairo_t       *cr,
           double         side)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self),
                                                                  _("Draw a digit"));
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_set_source_rgba (cr, 1, 1, 1, 0.4);
  cairo_move_to (cr, (side - w) / 2.0, (side - h) / 2.0);
  pango_cairo_show_layout (cr, layout);
}

static void
rl_digit_canvas_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  RlDigitCanvas *self = RL_DIGIT_CANVAS (widget);
  double ox, oy;
  double side = get_square (self, &ox, &oy);
  GdkRGBA fg;
  cairo_t *cr;

  if (side < 1.0)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (ox, oy));
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, side, side));

  /* the dark square */
  rounded_rectangle (cr, side, CORNER_RADIUS);
  cairo_set_source_rgb (cr, 0.07, 0.07, 0.08);
  cairo_fill_preserve (cr);
  cairo_clip (cr);

  /* the ink, scaled from surface units to the widget */
  cairo_save (cr);
  cairo_scale (cr, side / RL_DIGIT_CANVAS_SIDE, side / RL_DIGIT_CANVAS_SIDE);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_mask_surface (cr, self->surface, 0, 0);
  cairo_restore (cr);

  if (self->empty)
    draw_hint (self, cr, side);

  /* a frame that also shows keyboard focus */
  cairo_reset_clip (cr);
  if (gtk_widget_has_visible_focus (widget))
    {
      GdkRGBA accent;

      if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget),
                                           "accent_bg_color", &accent))
        gdk_rgba_parse (&accent, "#3584e4");
      cairo_set_line_width (cr, 2.0);
      gdk_cairo_set_source_rgba (cr, &accent);
      cairo_translate (cr, 1, 1);
      rounded_rectangle (cr, side - 2, CORNER_RADIUS - 1);
    }
  else
    {
      cairo_set_line_width (cr, 1.0);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.2);
      cairo_translate (cr, 0.5, 0.5);
      rounded_rectangle (cr, side - 1, CORNER_RADIUS - 0.5);
    }
  cairo_stroke (cr);

  cairo_destroy (cr);
  gtk_snapshot_restore (snapshot);
}

static void
rl_digit_canvas_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  *minimum = 112;
  *natural = RL_DIGIT_CANVAS_SIDE;
}

/* The focus frame is drawn in snapshot(), not by CSS. */
static void
rl_digit_canvas_state_flags_changed (GtkWidget     *widget,
                                     GtkStateFlags  previous)
{
  const GtkStateFlags focus = GTK_STATE_FLAG_FOCUSED | GTK_STATE_FLAG_FOCUS_VISIBLE;

  GTK_WIDGET_CLASS (rl_digit_canvas_parent_class)->state_flags_changed (widget, previous);
  if ((gtk_widget_get_state_flags (widget) ^ previous) & focus)
    gtk_widget_queue_draw (widget);
}

static void
rl_digit_canvas_dispose (GObject *object)
{
  RlDigitCanvas *self = RL_DIGIT_CANVAS (object);

  g_clear_handle_id (&self->changed_id, g_source_remove);

  G_OBJECT_CLASS (rl_digit_canvas_parent_class)->dispose (object);
}

static void
rl_digit_canvas_finalize (GObject *object)
{
  RlDigitCanvas *self = RL_DIGIT_CANVAS (object);

  g_clear_pointer (&self->surface, cairo_surface_destroy);

  G_OBJECT_CLASS (rl_digit_canvas_parent_class)->finalize (object);
}

static void
rl_digit_canvas_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  RlDigitCanvas *self = RL_DIGIT_CANVAS (object);

  switch (prop_id)
    {
    case PROP_EMPTY:
      g_value_set_boolean (value, self->empty);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_digit_canvas_class_init (RlDigitCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rl_digit_canvas_dispose;
  object_class->finalize = rl_digit_canvas_finalize;
  object_class->get_property = rl_digit_canvas_get_property;

  widget_class->snapshot = rl_digit_canvas_snapshot;
  widget_class->measure = rl_digit_canvas_measure;
  widget_class->state_flags_changed = rl_digit_canvas_state_flags_changed;

  /**
   * RlDigitCanvas:empty:
   *
   * Whether nothing has been drawn since the last clear.
   */
  properties[PROP_EMPTY] =
    g_param_spec_boolean ("empty", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * RlDigitCanvas::changed:
   *
   * The drawing changed: emitted while drawing (at most about every 30 ms),
   * at the end of a stroke and on clear.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "digit-canvas.clear", NULL, clear_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "digit-canvas.clear", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "digit-canvas.clear", NULL);

  gtk_widget_class_set_css_name (widget_class, "digitcanvas");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rl_digit_canvas_init (RlDigitCanvas *self)
{
  GtkGesture *drag, *click;

  self->surface = cairo_image_surface_create (CAIRO_FORMAT_A8,
                                              RL_DIGIT_CANVAS_SIDE, RL_DIGIT_CANVAS_SIDE);
  self->empty = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "digit-canvas.clear", FALSE);

  drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (secondary_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                               _("Draw a digit; right-click or Escape clears"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Digit canvas"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Draw a digit with the mouse or a pen; "
                                    "right-click or Escape clears"),
                                  -1);
}

GtkWidget *
rl_digit_canvas_new (void)
{
  return g_object_new (RL_TYPE_DIGIT_CANVAS, NULL);
}

gboolean
rl_digit_canvas_is_empty (RlDigitCanvas *self)
{
  g_return_val_if_fail (RL_IS_DIGIT_CANVAS (self), TRUE);

  return self->empty;
}

void
rl_digit_canvas_clear (RlDigitCanvas *self)
{
  cairo_t *cr;

  g_return_if_fail (RL_IS_DIGIT_CANVAS (self));

  cr = cairo_create (self->surface);
  cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_flush (self->surface);

  set_empty (self, TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  emit_changed_now (self);
}

void
rl_digit_canvas_stroke (RlDigitCanvas *self,
                        const double  *points,
                        guint          n_points)
{
  g_return_if_fail (RL_IS_DIGIT_CANVAS (self));
  g_return_if_fail (points != NULL || n_points == 0);

  if (n_points == 0)
    return;

  self->last_x = points[0];
  self->last_y = points[1];
  for (guint i = 0; i < n_points; i++)
    draw_segment (self, points[2 * i], points[2 * i + 1]);
  emit_changed_now (self);
}

gboolean
rl_digit_canvas_get_input (RlDigitCanvas *self,
                           float          out[784])
{
  g_autoptr(GError) error = NULL;
  g_autofree float *ink = NULL;
  float result[RL_DIGIT_PIXELS];
  const guchar *data;
  int stride;

  g_return_val_if_fail (RL_IS_DIGIT_CANVAS (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (self->empty)
    return FALSE;

  cairo_surface_flush (self->surface);
  data = cairo_image_surface_get_data (self->surface);
  stride = cairo_image_surface_get_stride (self->surface);
  ink = g_new (float, RL_DIGIT_CANVAS_SIDE * RL_DIGIT_CANVAS_SIDE);
  for (guint y = 0; y < RL_DIGIT_CANVAS_SIDE; y++)
    for (guint x = 0; x < RL_DIGIT_CANVAS_SIDE; x++)
      ink[y * RL_DIGIT_CANVAS_SIDE + x] = data[(gsize) y * stride + x] / 255.0f;

  if (!rl_preprocess_digit (ink, RL_DIGIT_CANVAS_SIDE, RL_DIGIT_CANVAS_SIDE,
                            RL_DIGIT_CANVAS_SIDE, result, &error))
    {
      /* strokes drawn entirely outside the surface leave it empty */
      if (!g_error_matches (error, RL_ERROR, RL_ERROR_EMPTY))
        g_warning ("Could not preprocess the drawing: %s", error->message);
      return FALSE;
    }

  memcpy (out, result, sizeof result);
  return TRUE;
}
