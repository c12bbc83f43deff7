/* rl-chart-view.c — a themed line chart widget around rl_chart_draw().
 *
 * The widget owns copies of its data and builds an RlChartSpec on demand:
 * for the screen with the theme's colours, for exported files always with
 * the light colours so a saved chart reads well on paper and web pages. */

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "rl-chart-view.h"
#include "rl-chart.h"
#include "rl-error.h"
#include "rl-modelfile.h"

#define EXPORT_WIDTH  960
#define EXPORT_HEIGHT 600

typedef struct
{
  double *x;
  double *y;
  guint   n;
} Points;

typedef struct
{
  char     *name;
  Points    pts;
  gboolean  points_only;
} Extra;

/* main, reference, extras */
#define N_SERIES_MAX (2 + RL_CHART_VIEW_MAX_EXTRA)

struct _RlChartView
{
  GtkWidget  parent_instance;

  char      *title;
  char      *x_label;
  char      *y_label;
  char      *y_format;   /* validated, never NULL */
  gboolean   log_y;
  Points     main;

  char      *ref_name;
  Points     ref;

  char      *main_name;  /* legend name of the main series; NULL = "Measured" */
  Extra      extra[RL_CHART_VIEW_MAX_EXTRA];
  gboolean   log_x;
  char      *x_key;      /* first CSV column; NULL = "rank" */

  double     marker_x;   /* NAN = none */
  double     hover_x;    /* NAN = none */
};

G_DEFINE_FINAL_TYPE (RlChartView, rl_chart_view, GTK_TYPE_WIDGET)

static void
points_clear (Points *p)
{
  g_clear_pointer (&p->x, g_free);
  g_clear_pointer (&p->y, g_free);
  p->n = 0;
}

static void
points_set (Points       *p,
            const double *x,
            const double *y,
            guint         n)
{
  points_clear (p);
  if (n == 0)
    return;
  p->x = g_memdup2 (x, sizeof (double) * n);
  p->y = g_memdup2 (y, sizeof (double) * n);
  p->n = n;
}

/* TRUE if fmt has exactly one conversion for a double (%f %e %g, with
 * optional flags, width and precision) and otherwise only literal text
 * and "%%", so it is safe to hand to printf with one double. */
static gboolean
is_valid_y_format (const char *fmt)
{
  guint conversions = 0;

  if (fmt == NULL)
    return FALSE;
  for (const char *p = fmt; *p; p++)
    {
      if (*p != '%')
        continue;
      p++;
      if (*p == '%')
        continue;
      while (*p && strchr ("-+ #0'", *p))
        p++;
      while (g_ascii_isdigit (*p))
        p++;
      if (*p == '.')
        {
          p++;
          while (g_ascii_isdigit (*p))
            p++;
        }
      if (*p == '\0' || !strchr ("eEfFgG", *p))
        return FALSE;
      conversions++;
    }
  return conversions == 1;
}

/* A value for the tooltip and the accessible description: all its digits
 * (0.9661), where the tick format would round neighbours alike (0.97). */
static char *
format_y (RlChartView *self,
          double       y)
{
  return g_strdup_printf ("%g", y);
}

static gboolean
is_dark (const GdkRGBA *fg)
{
  return 0.2126 * fg->red + 0.7152 * fg->green + 0.0722 * fg->blue > 0.5;
}

static gboolean
has_extra (RlChartView *self)
{
  for (guint i = 0; i < RL_CHART_VIEW_MAX_EXTRA; i++)
    if (self->extra[i].pts.n > 0)
      return TRUE;
  return FALSE;
}

/* series must have room for N_SERIES_MAX. for_screen: theme colours, else
 * light. */
static void
build_spec (RlChartView   *self,
            gboolean       for_screen,
            RlChartSpec   *spec,
            RlChartSeries *series)
{
  GdkRGBA fg = { 0.12, 0.12, 0.12, 1.0 };
  gboolean dark = FALSE;
  guint n_series;

  if (for_screen)
    {
      gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
      dark = is_dark (&fg);
    }

  memset (spec, 0, sizeof *spec);
  memset (series, 0, N_SERIES_MAX * sizeof *series);

  series[0].name = self->ref.n > 0 || has_extra (self)
                    ? (self->main_name ? self->main_name : _("Measured")) : NULL;
  series[0].x = self->main.x;
  series[0].y = self->main.y;
  series[0].n = self->main.n;
  series[0].r = dark ? 0.47 : 0.11;
  series[0].g = dark ? 0.68 : 0.44;
  series[0].b = dark ? 0.93 : 0.85;

  series[1].name = self->ref_name;
  series[1].x = self->ref.x;
  series[1].y = self->ref.y;
  series[1].n = self->ref.n;
  series[1].r = dark ? 1.00 : 0.90;
  series[1].g = dark ? 0.64 : 0.38;
  series[1].b = dark ? 0.28 : 0.00;
  series[1].dashed = TRUE;
  n_series = self->ref.n > 0 ? 2 : 1;

  for (guint i = 0; i < RL_CHART_VIEW_MAX_EXTRA; i++)
    {
      RlChartSeries *se = &series[n_series];

      if (self->extra[i].pts.n == 0)
        continue;
      se->name = self->extra[i].name;
      se->x = self->extra[i].pts.x;
      se->y = self->extra[i].pts.y;
      se->n = self->extra[i].pts.n;
      se->points_only = self->extra[i].points_only;
      /* Palette entries 0 and 1 are close to the main and reference hues. */
      rl_chart_palette (i + 2, dark, &se->r, &se->g, &se->b);
      n_series++;
    }

  spec->title = self->title;
  spec->x_label = self->x_label;
  spec->y_label = self->y_label;
  spec->series = series;
  spec->n_series = n_series;
  spec->log_x = self->log_x;
  spec->log_y = self->log_y;
  spec->marker_x = self->marker_x;
  spec->hover_x = for_screen ? self->hover_x : NAN;
  spec->y_format = self->y_format;
  spec->fg_r = fg.red;
  spec->fg_g = fg.green;
  spec->fg_b = fg.blue;
  spec->dark = dark;
}

static void
rl_chart_view_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  RlChartView *self = RL_CHART_VIEW (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  RlChartSeries series[N_SERIES_MAX];
  RlChartSpec spec;
  cairo_t *cr;

  if (width < 1 || height < 1)
    return;

  build_spec (self, TRUE, &spec, series);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  rl_chart_draw (cr, width, height, &spec);
  cairo_destroy (cr);
}

static void
rl_chart_view_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 320;
      *natural = 480;
    }
  else
    {
      *minimum = 200;
      *natural = 300;
    }
}

static void
rl_chart_view_css_changed (GtkWidget         *widget,
                           GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (rl_chart_view_parent_class)->css_changed (widget, change);
  gtk_widget_queue_draw (widget);
}

/* Index of the point of p whose x is nearest to x, or -1. */
static int
nearest_point (const Points *p,
               double        x,
               gboolean      log_x)
{
  int best = -1;
  double best_d = INFINITY;

  for (guint i = 0; i < p->n; i++)
    {
      double d = log_x ? fabs (log (p->x[i]) - log (x)) : fabs (p->x[i] - x);

      if (d < best_d)
        {
          best_d = d;
          best = (int) i;
        }
    }
  return best;
}

static void
set_hover (RlChartView *self,
           double       x)
{
  g_autoptr(GString) tip = NULL;
  int i, j;

  if ((isnan (x) && isnan (self->hover_x)) || x == self->hover_x)
    return;
  self->hover_x = x;
  gtk_widget_queue_draw (GTK_WIDGET (self));

  if (isnan (x) || (i = nearest_point (&self->main, x, self->log_x)) < 0)
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
      return;
    }

  tip = g_string_new (NULL);
  {
    g_autofree char *y = format_y (self, self->main.y[i]);

    g_string_append_printf (tip, "%s %g\n%s: %s",
                            self->x_label ? self->x_label : _("Rank"), self->main.x[i],
                            self->y_label ? self->y_label : _("Value"), y);
  }
  j = nearest_point (&self->ref, x, self->log_x);
  if (j >= 0 && self->ref.x[j] == self->main.x[i])
    {
      g_autofree char *y = format_y (self, self->ref.y[j]);

      g_string_append_printf (tip, "\n%s: %s", self->ref_name ? self->ref_name : _("Reference"), y);
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tip->str);
}

static void
motion_cb (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           RlChartView              *self)
{
  RlChartSeries series[N_SERIES_MAX];
  RlChartSpec spec;
  double data_x;
  int i;

  build_spec (self, TRUE, &spec, series);
  if (self->main.n == 0 ||
      !rl_chart_x_at (&spec, gtk_widget_get_width (GTK_WIDGET (self)),
                      gtk_widget_get_height (GTK_WIDGET (self)), x, &data_x) ||
      (i = nearest_point (&self->main, data_x, self->log_x)) < 0)
    {
      set_hover (self, NAN);
      return;
    }
  set_hover (self, self->main.x[i]);
}

static void
leave_cb (GtkEventControllerMotion *controller,
          RlChartView              *self)
{
  set_hover (self, NAN);
}

static void
update_accessible (RlChartView *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_append_printf (text, ngettext ("%u point", "%u points", self->main.n), self->main.n);
  if (self->main.n > 0)
    {
      double lo = INFINITY, hi = -INFINITY;

      for (guint i = 0; i < self->main.n; i++)
        if (isfinite (self->main.y[i]))
          {
            lo = MIN (lo, self->main.y[i]);
            hi = MAX (hi, self->main.y[i]);
          }
      if (lo <= hi)
        {
          g_autofree char *slo = format_y (self, lo);
          g_autofree char *shi = format_y (self, hi);

          g_string_append_printf (text, _("; %s from %s to %s"),
                                  self->y_label ? self->y_label : "y", slo, shi);
        }
    }
  if (self->ref.n > 0)
    g_string_append_printf (text, _("; with the reference “%s”"),
                            self->ref_name ? self->ref_name : "");
  for (guint i = 0; i < RL_CHART_VIEW_MAX_EXTRA; i++)
    if (self->extra[i].pts.n > 0)
      g_string_append_printf (text, ngettext ("; “%s”: %u point", "; “%s”: %u points",
                                              self->extra[i].pts.n),
                              self->extra[i].name ? self->extra[i].name : "",
                              self->extra[i].pts.n);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->title ? self->title : _("Chart"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text->str,
                                  -1);
}

static void
rl_chart_view_finalize (GObject *object)
{
  RlChartView *self = RL_CHART_VIEW (object);

  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->x_label, g_free);
  g_clear_pointer (&self->y_label, g_free);
  g_clear_pointer (&self->y_format, g_free);
  g_clear_pointer (&self->ref_name, g_free);
  g_clear_pointer (&self->x_key, g_free);
  g_clear_pointer (&self->main_name, g_free);
  points_clear (&self->main);
  points_clear (&self->ref);
  for (guint i = 0; i < RL_CHART_VIEW_MAX_EXTRA; i++)
    {
      g_clear_pointer (&self->extra[i].name, g_free);
      points_clear (&self->extra[i].pts);
    }

  G_OBJECT_CLASS (rl_chart_view_parent_class)->finalize (object);
}

static void
rl_chart_view_class_init (RlChartViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = rl_chart_view_finalize;

  widget_class->snapshot = rl_chart_view_snapshot;
  widget_class->measure = rl_chart_view_measure;
  widget_class->css_changed = rl_chart_view_css_changed;

  gtk_widget_class_set_css_name (widget_class, "chartview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rl_chart_view_init (RlChartView *self)
{
  GtkEventController *motion;

  self->y_format = g_strdup ("%g");
  self->marker_x = NAN;
  self->hover_x = NAN;

  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  update_accessible (self);
}

GtkWidget *
rl_chart_view_new (void)
{
  return g_object_new (RL_TYPE_CHART_VIEW, NULL);
}

void
rl_chart_view_set_series (RlChartView  *self,
                          const char   *title,
                          const char   *x_label,
                          const char   *y_label,
                          const double *x,
                          const double *y,
                          guint         n,
                          gboolean      log_y,
                          const char   *y_format)
{
  g_return_if_fail (RL_IS_CHART_VIEW (self));
  g_return_if_fail (n == 0 || (x != NULL && y != NULL));

  if (y_format != NULL && !is_valid_y_format (y_format))
    g_warning ("Chart “%s”: “%s” is not a format for one number; using %%g",
               title ? title : "", y_format);

  g_free (self->title);
  self->title = g_strdup (title);
  g_free (self->x_label);
  self->x_label = g_strdup (x_label);
  g_free (self->y_label);
  self->y_label = g_strdup (y_label);
  g_free (self->y_format);
  self->y_format = g_strdup (is_valid_y_format (y_format) ? y_format : "%g");
  self->log_y = !!log_y;
  points_set (&self->main, x, y, n);

  self->hover_x = NAN;
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rl_chart_view_set_reference (RlChartView  *self,
                             const char   *name,
                             const double *x,
                             const double *y,
                             guint         n)
{
  g_return_if_fail (RL_IS_CHART_VIEW (self));
  g_return_if_fail (n == 0 || (x != NULL && y != NULL));

  g_free (self->ref_name);
  self->ref_name = n > 0 ? g_strdup (name) : NULL;
  points_set (&self->ref, x, y, n);

  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rl_chart_view_set_extra (RlChartView  *self,
                         guint         slot,
                         const char   *name,
                         const double *x,
                         const double *y,
                         guint         n,
                         gboolean      points_only)
{
  Extra *e;

  g_return_if_fail (RL_IS_CHART_VIEW (self));
  g_return_if_fail (slot < RL_CHART_VIEW_MAX_EXTRA);
  g_return_if_fail (n == 0 || (x != NULL && y != NULL));

  e = &self->extra[slot];
  g_free (e->name);
  e->name = n > 0 ? g_strdup (name) : NULL;
  e->points_only = !!points_only;
  points_set (&e->pts, x, y, n);

  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rl_chart_view_set_series_name (RlChartView *self,
                               const char  *name)
{
  g_return_if_fail (RL_IS_CHART_VIEW (self));

  g_free (self->main_name);
  self->main_name = g_strdup (name);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rl_chart_view_set_x_axis (RlChartView *self,
                          gboolean     log_x,
                          const char  *csv_name)
{
  g_return_if_fail (RL_IS_CHART_VIEW (self));

  self->log_x = !!log_x;
  g_free (self->x_key);
  self->x_key = g_strdup (csv_name);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
rl_chart_view_set_marker (RlChartView *self,
                          double       x)
{
  g_return_if_fail (RL_IS_CHART_VIEW (self));

  if ((isnan (x) && isnan (self->marker_x)) || x == self->marker_x)
    return;
  self->marker_x = x;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
rl_chart_view_get_marker (RlChartView *self)
{
  g_return_val_if_fail (RL_IS_CHART_VIEW (self), NAN);

  return self->marker_x;
}

const char *
rl_chart_view_get_title (RlChartView *self)
{
  g_return_val_if_fail (RL_IS_CHART_VIEW (self), NULL);

  return self->title;
}

guint
rl_chart_view_get_n_points (RlChartView *self)
{
  g_return_val_if_fail (RL_IS_CHART_VIEW (self), 0);

  return self->main.n;
}

double
rl_chart_view_get_hover_x (RlChartView *self)
{
  g_return_val_if_fail (RL_IS_CHART_VIEW (self), NAN);

  return self->hover_x;
}

static void
append_csv_field (GString    *out,
                  const char *text)
{
  if (text == NULL)
    return;
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_csv_number (GString *out,
                   double   v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isfinite (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.10g", v));
}

/* The y of the first point of p at exactly x, or NAN. */
static double
value_at (const Points *p,
          double        x)
{
  for (guint i = 0; i < p->n; i++)
    if (p->x[i] == x)
      return p->y[i];
  return NAN;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double da = *(const double *) a, db = *(const double *) b;

  return (da > db) - (da < db);
}

static gboolean
export_csv (RlChartView *self,
            const char  *path,
            GError     **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree double *xs = NULL;
  guint total = self->main.n + self->ref.n + 1;
  guint n = 0;

  for (guint e = 0; e < RL_CHART_VIEW_MAX_EXTRA; e++)
    total += self->extra[e].pts.n;
  xs = g_new (double, total);

  append_csv_field (out, self->x_key ? self->x_key : "rank");
  g_string_append_c (out, ',');
  append_csv_field (out, self->y_label ? self->y_label : "value");
  if (self->ref.n > 0)
    {
      g_string_append_c (out, ',');
      append_csv_field (out, self->ref_name ? self->ref_name : "reference");
    }
  for (guint e = 0; e < RL_CHART_VIEW_MAX_EXTRA; e++)
    if (self->extra[e].pts.n > 0)
      {
        g_string_append_c (out, ',');
        append_csv_field (out, self->extra[e].name ? self->extra[e].name : "series");
      }
  g_string_append_c (out, '\n');

  for (guint i = 0; i < self->main.n; i++)
    if (isfinite (self->main.x[i]))
      xs[n++] = self->main.x[i];
  for (guint i = 0; i < self->ref.n; i++)
    if (isfinite (self->ref.x[i]))
      xs[n++] = self->ref.x[i];
  for (guint e = 0; e < RL_CHART_VIEW_MAX_EXTRA; e++)
    for (guint i = 0; i < self->extra[e].pts.n; i++)
      if (isfinite (self->extra[e].pts.x[i]))
        xs[n++] = self->extra[e].pts.x[i];
  qsort (xs, n, sizeof (double), compare_doubles);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0 && xs[i] == xs[i - 1])
        continue;
      append_csv_number (out, xs[i]);
      g_string_append_c (out, ',');
      append_csv_number (out, value_at (&self->main, xs[i]));
      if (self->ref.n > 0)
        {
          g_string_append_c (out, ',');
          append_csv_number (out, value_at (&self->ref, xs[i]));
        }
      for (guint e = 0; e < RL_CHART_VIEW_MAX_EXTRA; e++)
        if (self->extra[e].pts.n > 0)
          {
            g_string_append_c (out, ',');
            append_csv_number (out, value_at (&self->extra[e].pts, xs[i]));
          }
      g_string_append_c (out, '\n');
    }

  return rl_file_replace_atomic (path, out->str, out->len, error);
}

gboolean
rl_chart_view_export (RlChartView  *self,
                      const char   *path,
                      GError      **error)
{
  g_autofree char *lower = NULL;
  RlChartSeries series[N_SERIES_MAX];
  RlChartSpec spec;
  int width, height;

  g_return_val_if_fail (RL_IS_CHART_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".csv"))
    return export_csv (self, path, error);

  if (!g_str_has_suffix (lower, ".png") && !g_str_has_suffix (lower, ".svg") &&
      !g_str_has_suffix (lower, ".pdf"))
    {
      g_autofree char *base = g_path_get_basename (path);

      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   _("Cannot export the chart to “%s”: the name must end in "
                     ".png, .svg, .pdf or .csv"), base);
      return FALSE;
    }

  width = gtk_widget_get_width (GTK_WIDGET (self));
  height = gtk_widget_get_height (GTK_WIDGET (self));
  if (width < 1 || height < 1)
    {
      width = EXPORT_WIDTH;
      height = EXPORT_HEIGHT;
    }

  build_spec (self, FALSE, &spec, series);
  return rl_chart_export (&spec, width, height, path, error);
}
