/* rl-chart.c — line charts drawn with cairo on any surface.
 *
 * One layout function measures every piece of text (cairo's toy font API,
 * "Sans", with metric hinting off so screen, PNG, SVG and PDF measure the
 * same) and derives the margins from it, so labels never clip from 320×220
 * up to poster sizes. Drawing, rl_chart_x_at () and rl_chart_px_at () all use
 * that same layout, so hover coordinates match the picture exactly.
 *
 * Linear axes use Heckbert's "nice numbers" (steps of 1, 2 or 5 × 10^k) and
 * are widened to whole steps; log axes run between 1-2-5 values, with a
 * labelled major tick per decade, faint minor grid lines at 2..9 × 10^k, and
 * labels at 2 and 5 × 10^k when a decade is wide enough. Tick labels that
 * would overlap are dropped, major ticks first to be kept.
 */
#include "rl-chart.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <string.h>

#include "rl-error.h"
#include "rl-modelfile.h"

#define RL_AXIS_MAX_TICKS 160

typedef struct
{
  double   v;
  gboolean strong;    /* a major tick: stronger grid line, label kept first */
  gboolean labelled;
} RlTick;

typedef struct
{
  gboolean log;
  double   lo, hi;      /* shown range, data units */
  double   tlo, thi;    /* the same in axis units (log10 on a log axis) */
  double   step;        /* linear tick step; 0 on a log axis */
  guint    n_ticks;
  RlTick   ticks[RL_AXIS_MAX_TICKS];
} RlAxis;

typedef struct
{
  double   width, height;
  double   font, tick_font, title_font;  /* font sizes, user units */
  double   pad, tick_len, lw, swatch;
  double   tick_line_h, title_h;
  double   x0, y0, x1, y1;               /* the plot rectangle */
  RlAxis   ax, ay;
  gboolean has_data;
  guint    legend_rows;
} RlLayout;

static void setup_fonts (cairo_t *cr);

static void
set_font (cairo_t *cr,
          double   size,
          gboolean bold)
{
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL,
                          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
}

static double
text_width (cairo_t    *cr,
                      const char *text)
{
  cairo_text_extents_t te;

  cairo_text_extents (cr, text, &te);
  return te.x_advance;
}

/* Draws text with its anchor at (x, y): halign 0 = left, 0.5 = centre,
 * 1 = right; the line's vertical middle (digits' centre) is at y. */
static void
show_text (cairo_t    *cr,
                     double      x,
                     double      y,
                     double      halign,
                     const char *text)
{
  cairo_font_extents_t fe;

  cairo_font_extents (cr, &fe);
  cairo_move_to (cr, x - halign * text_width (cr, text),
                 y + (fe.ascent - fe.descent) / 2.0);
  cairo_show_text (cr, text);
}

/* Returns text shortened with "…" to fit max_w (newly allocated). */
static char *
fit_text (cairo_t    *cr,
                    const char *text,
                    double      max_w)
{
  g_autoptr(GString) s = g_string_new (text);

  if (text_width (cr, s->str) <= max_w)
    return g_string_free (g_steal_pointer (&s), FALSE);
  while (s->len > 0)
    {
      const char *prev = g_utf8_find_prev_char (s->str, s->str + s->len);
      g_autofree char *t = NULL;

      g_string_truncate (s, prev ? (gsize) (prev - s->str) : 0);
      t = g_strconcat (s->str, "…", NULL);
      if (text_width (cr, t) <= max_w || s->len == 0)
        return g_steal_pointer (&t);
    }
  return g_strdup ("…");
}

/* Checks that fmt holds exactly one double conversion and nothing else that
 * printf would read an argument for. */
static gboolean
format_ok (const char *fmt)
{
  guint n = 0;

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
        for (p++; g_ascii_isdigit (*p); p++)
          ;
      if (*p == '\0' || !strchr ("fFeEgG", *p))
        return FALSE;
      n++;
    }
  return n == 1;
}

/* A number for a label: SI suffixes for large values, fixed decimals else. */
static void
format_value (char       *buf,
                  gsize       len,
                  double      v,
                  double      step,
                  const char *fmt)
{
  static const struct { double div; const char *suffix; } si[] = {
    { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" },
  };
  double div = 1.0;
  const char *suffix = "";
  int decimals;

  if (format_ok (fmt))
    {
      g_snprintf (buf, len, fmt, v);
      return;
    }
  if (fabs (v) < 1e-300 || (step > 0 && fabs (v) < step * 1e-9))
    {
      g_strlcpy (buf, "0", len);
      return;
    }
  if (fabs (v) >= 1e15 || fabs (v) < 1e-5)
    {
      g_snprintf (buf, len, "%.2g", v);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (si); i++)
    if (fabs (v) >= 1e4 && fabs (v) >= si[i].div)
      {
        div = si[i].div;
        suffix = si[i].suffix;
        break;
      }
  if (!(step > 0))
    step = fabs (v) / 1000.0;   /* a value label: about 4 significant digits */
  decimals = (int) MAX (0.0, -floor (log10 (step / div) + 1e-9));
  decimals = MIN (decimals, 6);
  g_snprintf (buf, len, "%.*f%s", decimals, v / div, suffix);
}

/* ---- Axes ------------------------------------------------------------- */

static double
nice_num (double x,
          gboolean round)
{
  double e = floor (log10 (x));
  double f = x / pow (10.0, e);
  double nf;

  if (round)
    nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else
    nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * pow (10.0, e);
}

static void
axis_add_tick (RlAxis  *a,
               double   v,
               gboolean strong,
               gboolean labelled)
{
  if (a->n_ticks >= RL_AXIS_MAX_TICKS)
    return;
  a->ticks[a->n_ticks].v = v;
  a->ticks[a->n_ticks].strong = strong;
  a->ticks[a->n_ticks].labelled = labelled;
  a->n_ticks++;
}

/* Linear axis over [lo, hi] with about `target` ticks. */
static void
axis_linear (RlAxis *a,
             double  lo,
             double  hi,
             guint   target)
{
  double step;
  guint n;

  if (!(hi > lo))
    {
      double d = fabs (lo) > 0 ? fabs (lo) * 0.1 : 1.0;

      lo -= d;
      hi += d;
    }
  step = nice_num ((hi - lo) / MAX (target - 1, 1u), TRUE);
  a->log = FALSE;
  a->step = step;
  a->lo = floor (lo / step + 1e-9) * step;
  a->hi = ceil (hi / step - 1e-9) * step;
  a->tlo = a->lo;
  a->thi = a->hi;
  a->n_ticks = 0;
  n = (guint) MIN (lround ((a->hi - a->lo) / step), RL_AXIS_MAX_TICKS - 1);
  for (guint i = 0; i <= n; i++)
    {
      double v = a->lo + i * step;

      axis_add_tick (a, fabs (v) < step * 1e-9 ? 0.0 : v, TRUE, TRUE);
    }
}

/* The largest 1-2-5 × 10^k ≤ v (down) or smallest ≥ v (!down). */
static double
nice_125 (double   v,
          gboolean down)
{
  static const double m[] = { 1, 2, 5, 10 };
  double e = pow (10.0, floor (log10 (v)));

  if (down)
    {
      for (int i = 3; i >= 0; i--)
        if (m[i] * e <= v * (1 + 1e-9))
          return m[i] * e;
      return e;
    }
  for (int i = 0; i < 4; i++)
    if (m[i] * e >= v * (1 - 1e-9))
      return m[i] * e;
  return 10 * e;
}

/* Log axis over [lo, hi] (both > 0) for an axis `len` px long; `room` is
 * the space one label needs along the axis. */
static void
axis_log (RlAxis *a,
          double  lo,
          double  hi,
          double  len,
          double  room)
{
  double decades, per_decade;
  int kmin, kmax, every = 1;

  a->log = TRUE;
  a->step = 0;
  a->lo = nice_125 (lo, TRUE);
  a->hi = nice_125 (hi, FALSE);
  if (!(a->hi > a->lo))
    {
      a->lo = nice_125 (a->lo * 0.99, TRUE);
      a->hi = nice_125 (a->hi * 1.01, FALSE);
    }
  a->tlo = log10 (a->lo);
  a->thi = log10 (a->hi);
  decades = a->thi - a->tlo;
  per_decade = len / decades;
  while (per_decade * every < room && every < 1000)
    every++;
  kmin = (int) floor (a->tlo + 1e-9);
  kmax = (int) ceil (a->thi - 1e-9);
  a->n_ticks = 0;
  for (int k = kmin; k <= kmax; k++)
    for (int m = 1; m <= 9; m++)
      {
        double v = m * pow (10.0, k);
        double t = log10 (v);

        if (t < a->tlo - 1e-9 || t > a->thi + 1e-9)
          continue;
        if (m == 1 && k % every == 0)
          axis_add_tick (a, v, TRUE, TRUE);
        else if (every == 1)
          axis_add_tick (a, v, FALSE,
                         (m == 2 || m == 5) && per_decade >= 3.2 * room);
      }
  /* A range inside one decade (e.g. 2..5): label its ends. */
  if (a->n_ticks > 0 && kmax - kmin <= 1)
    {
      a->ticks[0].labelled = TRUE;
      a->ticks[a->n_ticks - 1].labelled = TRUE;
    }
}

static double
axis_to_unit (const RlAxis *a,
                  double        v)
{
  double t = a->log ? log10 (v) : v;

  return (t - a->tlo) / (a->thi - a->tlo);
}

static double
axis_from_unit (const RlAxis *a,
                    double        u)
{
  double t = a->tlo + u * (a->thi - a->tlo);

  return a->log ? pow (10.0, t) : t;
}

static gboolean
point_ok (const RlChartSpec *spec,
                    double             x,
                    double             y)
{
  return isfinite (x) && isfinite (y) &&
         (!spec->log_x || x > 0) && (!spec->log_y || y > 0);
}

/* ---- Layout ----------------------------------------------------------- */

static double
axis_label_width (cairo_t           *cr,
                  const RlAxis      *a,
                  const char        *fmt)
{
  double w = 0;

  for (guint i = 0; i < a->n_ticks; i++)
    if (a->ticks[i].labelled)
      {
        char buf[64];

        format_value (buf, sizeof buf, a->ticks[i].v, a->log ? a->ticks[i].v : a->step, fmt);
        w = MAX (w, text_width (cr, buf));
      }
  return w;
}

static void
legend_flow (cairo_t           *cr,
             const RlChartSpec *spec,
             RlLayout          *L)
{
  double avail = L->x1 - L->x0;
  double x = 0;

  L->legend_rows = 0;
  if (spec->n_series < 2)
    return;
  set_font (cr, L->tick_font, FALSE);
  L->legend_rows = 1;
  for (guint i = 0; i < spec->n_series; i++)
    {
      const char *name = spec->series[i].name ? spec->series[i].name : "";
      double w = L->swatch + L->font * 0.4 + text_width (cr, name);

      w = MIN (w, avail);
      if (x > 0 && x + w > avail)
        {
          L->legend_rows++;
          x = 0;
        }
      x += w + L->font * 1.4;
    }
}

static void
chart_layout (cairo_t           *cr,
                  double             width,
                  double             height,
                  const RlChartSpec *spec,
                  RlLayout          *L)
{
  cairo_font_extents_t fe;
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  double line_h, title_h = 0, left, right, top, bottom;

  memset (L, 0, sizeof *L);
  L->width = width;
  L->height = height;
  L->font = CLAMP (MIN (width, height * 1.5) / 40.0, 9.0, 16.0);
  L->tick_font = L->font * 0.9;
  L->title_font = L->font * 1.2;
  L->pad = L->font * 0.8;
  L->tick_len = L->font * 0.35;
  L->lw = CLAMP (L->font / 6.0, 1.5, 2.5);
  L->swatch = L->font * 2.0;

  for (guint s = 0; s < spec->n_series; s++)
    {
      const RlChartSeries *se = &spec->series[s];

      for (guint i = 0; i < se->n; i++)
        if (point_ok (spec, se->x[i], se->y[i]))
          {
            xmin = MIN (xmin, se->x[i]);
            xmax = MAX (xmax, se->x[i]);
            ymin = MIN (ymin, se->y[i]);
            ymax = MAX (ymax, se->y[i]);
          }
    }
  L->has_data = xmin <= xmax;
  if (!L->has_data)
    {
      xmin = spec->log_x ? 1 : 0;
      xmax = spec->log_x ? 10 : 1;
      ymin = spec->log_y ? 1 : 0;
      ymax = spec->log_y ? 10 : 1;
    }

  cairo_save (cr);
  set_font (cr, L->tick_font, FALSE);
  cairo_font_extents (cr, &fe);
  line_h = fe.ascent + fe.descent;
  L->tick_line_h = line_h;
  if (spec->title && *spec->title)
    {
      set_font (cr, L->title_font, TRUE);
      cairo_font_extents (cr, &fe);
      title_h = fe.ascent + fe.descent;
    }
  L->title_h = title_h;

  /* Margins depend on the tick labels, which depend on the plot size:
   * three rounds settle it. */
  left = right = L->pad * 3;
  for (int round = 0; round < 3; round++)
    {
      double plot_w, plot_h, yw, last_w = 0;
      guint target;

      top = L->pad + (title_h > 0 ? title_h + L->pad * 0.8 : L->tick_line_h * 0.5);
      top += L->legend_rows * line_h * 1.3 + (L->legend_rows ? L->pad * 0.5 : 0);
      bottom = L->pad + L->tick_len + L->font * 0.3 + line_h +
               (spec->x_label && *spec->x_label ? L->font * 0.5 + line_h : 0);
      plot_w = MAX (width - left - right, 10.0);
      plot_h = MAX (height - top - bottom, 10.0);

      set_font (cr, L->tick_font, FALSE);
      if (spec->log_y)
        axis_log (&L->ay, ymin, ymax, plot_h, line_h * 1.6);
      else
        axis_linear (&L->ay, ymin, ymax,
                     (guint) CLAMP (plot_h / (line_h * 2.6), 2.0, 10.0));
      yw = axis_label_width (cr, &L->ay, spec->y_format);

      target = (guint) CLAMP (plot_w / (L->font * 6.0), 2.0, 10.0);
      for (;;)
        {
          double xw;

          if (spec->log_x)
            axis_log (&L->ax, xmin, xmax, plot_w,
                      text_width (cr, "0000") + L->font);
          else
            axis_linear (&L->ax, xmin, xmax, target);
          xw = axis_label_width (cr, &L->ax, NULL);
          if (spec->log_x || target <= 2 ||
              L->ax.n_ticks * (xw + L->font * 1.5) <= plot_w)
            break;
          target--;
        }
      for (guint i = 0; i < L->ax.n_ticks; i++)
        if (L->ax.ticks[i].labelled &&
            fabs (axis_to_unit (&L->ax, L->ax.ticks[i].v) - 1.0) < 1e-9)
          {
            char buf[64];

            format_value (buf, sizeof buf, L->ax.ticks[i].v,
                          L->ax.log ? L->ax.ticks[i].v : L->ax.step, NULL);
            last_w = text_width (cr, buf);
          }

      left = L->pad + yw + L->tick_len + L->font * 0.4 +
             (spec->y_label && *spec->y_label ? line_h + L->font * 0.6 : 0);
      right = MAX (L->pad * 1.5, last_w / 2 + L->pad * 0.5);
      L->x0 = left;
      L->x1 = MAX (width - right, left + 10);
      L->y0 = top;
      L->y1 = MAX (height - bottom, top + 10);
      legend_flow (cr, spec, L);
    }
  cairo_restore (cr);
}

/* A scratch context for measuring text outside of drawing. */
static cairo_t *
measure_context (void)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surface);

  cairo_surface_destroy (surface);
  setup_fonts (cr);
  return cr;
}

static void
setup_fonts (cairo_t *cr)
{
  cairo_font_options_t *fo = cairo_font_options_create ();

  cairo_font_options_set_hint_metrics (fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (fo, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options (cr, fo);
  cairo_font_options_destroy (fo);
}

gboolean
rl_chart_x_at (const RlChartSpec *spec,
               double             width,
               double             height,
               double             px,
               double            *data_x)
{
  cairo_t *cr;
  RlLayout L;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (spec->n_series == 0 || spec->series != NULL, FALSE);
  g_return_val_if_fail (data_x != NULL, FALSE);

  cr = measure_context ();
  chart_layout (cr, width, height, spec, &L);
  cairo_destroy (cr);
  if (!(px >= L.x0 && px <= L.x1))
    return FALSE;
  *data_x = axis_from_unit (&L.ax, (px - L.x0) / (L.x1 - L.x0));
  return TRUE;
}

gboolean
rl_chart_px_at (const RlChartSpec *spec,
                double             width,
                double             height,
                double             data_x,
                double            *px)
{
  cairo_t *cr;
  RlLayout L;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (spec->n_series == 0 || spec->series != NULL, FALSE);
  g_return_val_if_fail (px != NULL, FALSE);

  if (!isfinite (data_x) || (spec->log_x && data_x <= 0))
    return FALSE;
  cr = measure_context ();
  chart_layout (cr, width, height, spec, &L);
  cairo_destroy (cr);
  *px = L.x0 + axis_to_unit (&L.ax, data_x) * (L.x1 - L.x0);
  return TRUE;
}

void
rl_chart_palette (guint     index,
                  gboolean  dark,
                  double   *r,
                  double   *g,
                  double   *b)
{
  /* Okabe–Ito hues; the dark set is lightened to keep contrast on near-black. */
  static const guint32 light[] = {
    0x0072b2, 0xd55e00, 0x009e73, 0x7b5ea7, 0x8a7400, 0xc2378a, 0x6f6f6f, 0x8c564b,
  };
  static const guint32 dark_set[] = {
    0x56b4e9, 0xff8c42, 0x2fd3a6, 0xc5a3e8, 0xf0e442, 0xff79c6, 0xb0b0b0, 0xd2a98f,
  };
  guint32 c = (dark ? dark_set : light)[index % G_N_ELEMENTS (light)];

  g_return_if_fail (r != NULL && g != NULL && b != NULL);
  *r = ((c >> 16) & 0xff) / 255.0;
  *g = ((c >> 8) & 0xff) / 255.0;
  *b = (c & 0xff) / 255.0;
}

/* ---- Drawing ---------------------------------------------------------- */

static void
background_rgb (const RlChartSpec *spec,
                double            *rgb)
{
  rgb[0] = rgb[1] = rgb[2] = spec->dark ? 0.118 : 1.0;
}

static void
set_fg (cairo_t           *cr,
        const RlChartSpec *spec,
        double             alpha)
{
  cairo_set_source_rgba (cr, spec->fg_r, spec->fg_g, spec->fg_b, alpha);
}

static void
set_bg (cairo_t           *cr,
        const RlChartSpec *spec,
        double             alpha)
{
  double rgb[3];

  background_rgb (spec, rgb);
  cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], alpha);
}

static double
px_x (const RlLayout *L,
      double          v)
{
  return L->x0 + axis_to_unit (&L->ax, v) * (L->x1 - L->x0);
}

static double
px_y (const RlLayout *L,
      double          v)
{
  return L->y1 - axis_to_unit (&L->ay, v) * (L->y1 - L->y0);
}

/* A pixel centre, so 1-px lines are crisp. */
static double
crisp (double v)
{
  return floor (v) + 0.5;
}

static void
rounded_rect (cairo_t *cr,
              double   x,
              double   y,
              double   w,
              double   h,
              double   r)
{
  r = MIN (r, MIN (w, h) / 2);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* A point marker: a disc with a halo in the background colour. */
static void
dot (cairo_t             *cr,
     const RlChartSpec   *spec,
     const RlChartSeries *se,
     double               x,
     double               y,
     double               r,
     double               halo)
{
  set_bg (cr, spec, 1.0);
  cairo_new_path (cr);
  cairo_arc (cr, x, y, r + halo, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, se->r, se->g, se->b);
  cairo_arc (cr, x, y, r, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
series_stroke_style (cairo_t             *cr,
                     const RlChartSeries *se,
                     const RlLayout      *L)
{
  cairo_set_source_rgb (cr, se->r, se->g, se->b);
  cairo_set_line_width (cr, L->lw);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, se->dashed ? CAIRO_LINE_CAP_BUTT : CAIRO_LINE_CAP_ROUND);
  if (se->dashed)
    {
      double dash[] = { L->lw * 3.5, L->lw * 2.2 };

      cairo_set_dash (cr, dash, 2, 0);
    }
  else
    cairo_set_dash (cr, NULL, 0, 0);
}

/* Tick labels of one axis, dropping those that would overlap: major ticks
 * are placed first, then the others where they fit. */
static void
draw_tick_labels (cairo_t           *cr,
                  const RlChartSpec *spec,
                  const RlLayout    *L,
                  gboolean           vertical)
{
  const RlAxis *a = vertical ? &L->ay : &L->ax;
  double taken[RL_AXIS_MAX_TICKS][2];
  guint n_taken = 0;
  double gap = L->font * 0.6;

  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < a->n_ticks; i++)
      {
        const RlTick *t = &a->ticks[i];
        char buf[64];
        double c, half, lo, hi;
        gboolean clash = FALSE;

        if (!t->labelled || t->strong != (pass == 0))
          continue;
        format_value (buf, sizeof buf, t->v, a->log ? t->v : a->step,
                      vertical ? spec->y_format : NULL);
        c = vertical ? px_y (L, t->v) : px_x (L, t->v);
        half = vertical ? L->tick_line_h / 2 : text_width (cr, buf) / 2;
        lo = c - half - gap / 2;
        hi = c + half + gap / 2;
        for (guint k = 0; k < n_taken && !clash; k++)
          clash = lo < taken[k][1] && hi > taken[k][0];
        if (clash)
          continue;
        taken[n_taken][0] = lo;
        taken[n_taken][1] = hi;
        n_taken++;
        if (vertical)
          show_text (cr, L->x0 - L->tick_len - L->font * 0.4, c, 1.0, buf);
        else
          show_text (cr, c, L->y1 + L->tick_len + L->font * 0.3 + L->tick_line_h / 2,
                     0.5, buf);
      }
}

static void
draw_frame (cairo_t           *cr,
            const RlChartSpec *spec,
            const RlLayout    *L)
{
  cairo_set_line_width (cr, 1.0);
  for (int vertical = 0; vertical < 2; vertical++)
    {
      const RlAxis *a = vertical ? &L->ay : &L->ax;

      for (guint i = 0; i < a->n_ticks; i++)
        {
          double c = crisp (vertical ? px_y (L, a->ticks[i].v) : px_x (L, a->ticks[i].v));

          set_fg (cr, spec, a->ticks[i].strong ? 0.13 : 0.06);
          if (vertical)
            {
              cairo_move_to (cr, L->x0, c);
              cairo_line_to (cr, L->x1, c);
            }
          else
            {
              cairo_move_to (cr, c, L->y0);
              cairo_line_to (cr, c, L->y1);
            }
          cairo_stroke (cr);
          if (!a->ticks[i].labelled)
            continue;
          set_fg (cr, spec, 0.45);
          if (vertical)
            {
              cairo_move_to (cr, L->x0 - L->tick_len, c);
              cairo_line_to (cr, L->x0, c);
            }
          else
            {
              cairo_move_to (cr, c, L->y1);
              cairo_line_to (cr, c, L->y1 + L->tick_len);
            }
          cairo_stroke (cr);
        }
    }

  set_fg (cr, spec, 0.45);
  cairo_move_to (cr, crisp (L->x0), L->y0);
  cairo_line_to (cr, crisp (L->x0), crisp (L->y1));
  cairo_line_to (cr, L->x1, crisp (L->y1));
  cairo_stroke (cr);

  set_font (cr, L->tick_font, FALSE);
  set_fg (cr, spec, 0.72);
  draw_tick_labels (cr, spec, L, TRUE);
  draw_tick_labels (cr, spec, L, FALSE);

  set_font (cr, L->font, FALSE);
  set_fg (cr, spec, 0.85);
  if (spec->x_label && *spec->x_label)
    {
      g_autofree char *t = fit_text (cr, spec->x_label, L->x1 - L->x0);

      show_text (cr, (L->x0 + L->x1) / 2,
                 L->height - L->pad - L->tick_line_h / 2, 0.5, t);
    }
  if (spec->y_label && *spec->y_label)
    {
      g_autofree char *t = fit_text (cr, spec->y_label, L->y1 - L->y0);

      cairo_save (cr);
      cairo_translate (cr, L->pad + L->tick_line_h / 2, (L->y0 + L->y1) / 2);
      cairo_rotate (cr, -G_PI / 2);
      show_text (cr, 0, 0, 0.5, t);
      cairo_restore (cr);
    }
}

static void
draw_title_and_legend (cairo_t           *cr,
                       const RlChartSpec *spec,
                       const RlLayout    *L)
{
  double row_h = L->tick_line_h * 1.3;
  double x = 0, y;

  if (L->title_h > 0)
    {
      g_autofree char *t = NULL;
      double w;

      set_font (cr, L->title_font, TRUE);
      set_fg (cr, spec, 1.0);
      t = fit_text (cr, spec->title, L->width - 2 * L->pad);
      w = text_width (cr, t);
      show_text (cr, L->x0 + w <= L->width - L->pad ? L->x0 : L->pad,
                 L->pad + L->title_h / 2, 0.0, t);
    }
  if (L->legend_rows == 0)
    return;

  y = L->pad + (L->title_h > 0 ? L->title_h + L->pad * 0.8 : 0) + row_h / 2;
  set_font (cr, L->tick_font, FALSE);
  for (guint i = 0; i < spec->n_series; i++)
    {
      const RlChartSeries *se = &spec->series[i];
      double avail = L->x1 - L->x0;
      double text_max = MAX (avail - L->swatch - L->font * 0.4, L->font);
      g_autofree char *name = fit_text (cr, se->name ? se->name : "", text_max);
      double w = L->swatch + L->font * 0.4 + text_width (cr, name);

      if (x > 0 && x + w > avail)
        {
          x = 0;
          y += row_h;
        }
      series_stroke_style (cr, se, L);
      cairo_move_to (cr, L->x0 + x, y);
      cairo_line_to (cr, L->x0 + x + L->swatch, y);
      if (se->points_only)
        cairo_new_path (cr);
      else
        cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      dot (cr, spec, se, L->x0 + x + L->swatch / 2, y,
           L->lw * (se->points_only ? 2.0 : 1.5), L->lw * 0.6);
      set_fg (cr, spec, 0.85);
      show_text (cr, L->x0 + x + L->swatch + L->font * 0.4, y, 0.0, name);
      x += w + L->font * 1.4;
    }
}

static void
draw_series (cairo_t           *cr,
             const RlChartSpec *spec,
             const RlLayout    *L)
{
  double m = L->lw * 3;

  cairo_save (cr);
  cairo_rectangle (cr, L->x0 - m, L->y0 - m, L->x1 - L->x0 + 2 * m, L->y1 - L->y0 + 2 * m);
  cairo_clip (cr);
  for (guint s = 0; s < spec->n_series; s++)
    {
      const RlChartSeries *se = &spec->series[s];
      gboolean down = FALSE;
      double xmin = INFINITY, xmax = -INFINITY;
      guint n_ok = 0;

      cairo_new_path (cr);
      for (guint i = 0; i < se->n; i++)
        {
          double x, y;

          if (!point_ok (spec, se->x[i], se->y[i]))
            {
              down = FALSE;
              continue;
            }
          x = px_x (L, se->x[i]);
          y = px_y (L, se->y[i]);
          if (down)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          down = TRUE;
          xmin = MIN (xmin, x);
          xmax = MAX (xmax, x);
          n_ok++;
        }
      series_stroke_style (cr, se, L);
      if (se->points_only)
        cairo_new_path (cr);
      else
        cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);

      /* Point markers only where points are far enough apart to read
       * (always for a points-only series). */
      if (se->points_only)
        {
          for (guint i = 0; i < se->n; i++)
            if (point_ok (spec, se->x[i], se->y[i]))
              dot (cr, spec, se, px_x (L, se->x[i]), px_y (L, se->y[i]),
                   L->lw * 2.0, L->lw * 0.6);
        }
      else if (n_ok == 1 || (n_ok > 1 && (xmax - xmin) / (n_ok - 1) >= L->lw * 5))
        for (guint i = 0; i < se->n; i++)
          if (point_ok (spec, se->x[i], se->y[i]))
            dot (cr, spec, se, px_x (L, se->x[i]), px_y (L, se->y[i]),
                 L->lw * 1.4, L->lw * 0.6);
    }
  cairo_restore (cr);
}

/* The series' value at data x, interpolated linearly in axis units. */
static gboolean
series_value_at (const RlChartSpec   *spec,
                 const RlChartSeries *se,
                 const RlLayout      *L,
                 double               x,
                 double              *y)
{
  double tx = axis_to_unit (&L->ax, x);
  gboolean have_prev = FALSE;
  double pu = 0, pv = 0;

  for (guint i = 0; i < se->n; i++)
    {
      double u, v;

      if (!point_ok (spec, se->x[i], se->y[i]))
        {
          have_prev = FALSE;
          continue;
        }
      u = axis_to_unit (&L->ax, se->x[i]);
      v = axis_to_unit (&L->ay, se->y[i]);
      if (u == tx)
        {
          *y = se->y[i];
          return TRUE;
        }
      if (have_prev && ((pu < tx && tx < u) || (u < tx && tx < pu)))
        {
          *y = axis_from_unit (&L->ay, pv + (v - pv) * (tx - pu) / (u - pu));
          return TRUE;
        }
      have_prev = TRUE;
      pu = u;
      pv = v;
    }
  return FALSE;
}

static gboolean
series_has_x (const RlChartSeries *se,
              double               x)
{
  for (guint i = 0; i < se->n; i++)
    if (se->x[i] == x)
      return TRUE;
  return FALSE;
}

/* A small text box: fg text on a translucent background, optional
 * coloured border. */
static void
label_box (cairo_t             *cr,
           const RlChartSpec   *spec,
           const RlLayout      *L,
           double               x,
           double               yc,
           const char          *text,
           const RlChartSeries *border)
{
  double w = text_width (cr, text) + L->font * 0.8;
  double h = L->tick_line_h + L->font * 0.3;

  rounded_rect (cr, x, yc - h / 2, w, h, h * 0.3);
  set_bg (cr, spec, 0.88);
  cairo_fill_preserve (cr);
  if (border)
    cairo_set_source_rgb (cr, border->r, border->g, border->b);
  else
    set_fg (cr, spec, 0.3);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);
  set_fg (cr, spec, 0.95);
  show_text (cr, x + L->font * 0.4, yc, 0.0, text);
}

/* An x value in a filled pill over the x axis labels, like a crosshair. */
static void
axis_badge (cairo_t           *cr,
            const RlChartSpec *spec,
            const RlLayout    *L,
            double             x,
            double             v)
{
  char buf[64];
  double w, h, yc;

  format_value (buf, sizeof buf, v, v == round (v) && fabs (v) < 1e7 ? 1.0 : 0.0, NULL);
  set_font (cr, L->tick_font, TRUE);
  w = text_width (cr, buf) + L->font * 0.9;
  h = L->tick_line_h + L->font * 0.2;
  yc = L->y1 + L->tick_len + L->font * 0.3 + L->tick_line_h / 2;
  x = CLAMP (x - w / 2, 0.0, L->width - w);
  rounded_rect (cr, x, yc - h / 2, w, h, h / 2);
  set_fg (cr, spec, 0.9);
  cairo_fill (cr);
  set_bg (cr, spec, 1.0);
  show_text (cr, x + w / 2, yc, 0.5, buf);
}

static void
draw_marker_line (cairo_t           *cr,
                  const RlChartSpec *spec,
                  const RlLayout    *L,
                  double            *x_out)
{
  double u, x;

  *x_out = NAN;
  if (!isfinite (spec->marker_x) || (spec->log_x && spec->marker_x <= 0))
    return;
  u = axis_to_unit (&L->ax, spec->marker_x);
  if (u < -1e-9 || u > 1 + 1e-9)
    return;
  x = crisp (px_x (L, spec->marker_x));
  set_fg (cr, spec, 0.6);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, x, L->y0);
  cairo_line_to (cr, x, L->y1);
  cairo_stroke (cr);
  *x_out = x;
}

static void
draw_marker_values (cairo_t           *cr,
                    const RlChartSpec *spec,
                    const RlLayout    *L,
                    double             x)
{
  double ys[16], label_h = L->tick_line_h + L->font * 0.45;
  const RlChartSeries *who[16];
  char texts[16][64];
  guint n = 0;

  set_font (cr, L->tick_font, FALSE);
  for (guint s = 0; s < spec->n_series && n < G_N_ELEMENTS (ys); s++)
    {
      double v;

      if (!series_value_at (spec, &spec->series[s], L, spec->marker_x, &v))
        continue;
      /* Label only a measured point: a value read off the line between two
       * points is an interpolation, which would contradict the true figure
       * the app shows beside the chart. */
      if (!series_has_x (&spec->series[s], spec->marker_x))
        continue;
      format_value (texts[n], sizeof texts[n], v, 0.0, NULL);   /* 4 digits: 0.9661, not the ticks' 0.97 */
      ys[n] = px_y (L, v);
      who[n] = &spec->series[s];
      dot (cr, spec, who[n], x, ys[n], L->lw * 1.8, L->lw * 0.7);
      n++;
    }

  /* While hovering, the hover box shows values: keep only the dots. */
  if (isfinite (spec->hover_x))
    n = 0;

  /* Labels sorted top to bottom, pushed apart, kept inside the plot. */
  for (guint i = 1; i < n; i++)
    for (guint j = i; j > 0 && ys[j] < ys[j - 1]; j--)
      {
        double ty = ys[j];
        const RlChartSeries *tw = who[j];
        char tt[64];

        ys[j] = ys[j - 1], ys[j - 1] = ty;
        who[j] = who[j - 1], who[j - 1] = tw;
        memcpy (tt, texts[j], 64), memcpy (texts[j], texts[j - 1], 64), memcpy (texts[j - 1], tt, 64);
      }
  for (guint i = 0; i < n; i++)
    {
      double lo = L->y0 + label_h / 2, hi = L->y1 - label_h / 2 - (n - 1 - i) * label_h;

      if (i > 0)
        lo = MAX (lo, ys[i - 1] + label_h);
      ys[i] = CLAMP (ys[i], lo, MAX (lo, hi));
    }
  for (guint i = 0; i < n; i++)
    {
      double w = text_width (cr, texts[i]) + L->font * 0.8;
      double bx = x + L->lw * 2 + L->font * 0.5;

      if (bx + w > L->x1)
        bx = x - L->lw * 2 - L->font * 0.5 - w;
      label_box (cr, spec, L, bx, ys[i], texts[i], who[i]);
    }
  axis_badge (cr, spec, L, x, spec->marker_x);
}

static void
draw_hover (cairo_t           *cr,
            const RlChartSpec *spec,
            const RlLayout    *L)
{
  double hx, best = INFINITY, bx = NAN, xs, top = INFINITY, bottom = -INFINITY;
  double w = 0, line_h = L->tick_line_h * 1.3, pad_in = L->font * 0.6, h, x, y;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) owners = g_array_new (FALSE, TRUE, sizeof (gpointer));
  char buf[64];

  if (!isfinite (spec->hover_x) || (spec->log_x && spec->hover_x <= 0))
    return;
  hx = px_x (L, spec->hover_x);
  for (guint s = 0; s < spec->n_series; s++)
    for (guint i = 0; i < spec->series[s].n; i++)
      if (point_ok (spec, spec->series[s].x[i], spec->series[s].y[i]) &&
          fabs (px_x (L, spec->series[s].x[i]) - hx) < best)
        {
          best = fabs (px_x (L, spec->series[s].x[i]) - hx);
          bx = spec->series[s].x[i];
        }
  if (!isfinite (bx))
    return;
  xs = px_x (L, bx);

  set_fg (cr, spec, 0.35);
  cairo_set_line_width (cr, 1.0);
  cairo_set_dash (cr, (double[]) { 3.0, 3.0 }, 2, 0);
  cairo_move_to (cr, crisp (xs), L->y0);
  cairo_line_to (cr, crisp (xs), L->y1);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);

  format_value (buf, sizeof buf, bx, bx == round (bx) && fabs (bx) < 1e7 ? 1.0 : 0.0, NULL);
  g_ptr_array_add (lines, g_strdup_printf ("%s: %s",
                                           spec->x_label && *spec->x_label ? spec->x_label : "x",
                                           buf));
  g_array_append_val (owners, (gpointer) { NULL });
  for (guint s = 0; s < spec->n_series; s++)
    {
      const RlChartSeries *se = &spec->series[s];
      const char *name = spec->n_series > 1 && se->name ? se->name :
                         spec->y_label && *spec->y_label ? spec->y_label : "y";

      for (guint i = 0; i < se->n; i++)
        if (point_ok (spec, se->x[i], se->y[i]) && fabs (px_x (L, se->x[i]) - xs) < 0.5)
          {
            double py = px_y (L, se->y[i]);

            dot (cr, spec, se, xs, py, L->lw * 2.2, L->lw * 0.8);
            top = MIN (top, py);
            bottom = MAX (bottom, py);
            format_value (buf, sizeof buf, se->y[i], 0.0, NULL);
            g_ptr_array_add (lines, g_strdup_printf ("%s: %s", name, buf));
            g_array_append_val (owners, se);
            break;
          }
    }

  set_font (cr, L->tick_font, FALSE);
  for (guint i = 0; i < lines->len; i++)
    {
      char *fitted = fit_text (cr, g_ptr_array_index (lines, i), (L->x1 - L->x0) * 0.6);

      g_free (g_ptr_array_index (lines, i));
      g_ptr_array_index (lines, i) = fitted;
      w = MAX (w, text_width (cr, fitted) + (i > 0 && spec->n_series > 1 ? L->font : 0));
    }
  w += 2 * pad_in;
  h = lines->len * line_h + pad_in;
  x = xs + L->font;
  if (x + w > L->x1)
    x = xs - L->font - w;
  x = MAX (x, L->x0);
  /* Below the highlighted points if there is room, else above them, so the
   * box never hides what it describes. */
  y = bottom + L->font;
  if (y + h > L->y1)
    y = top - L->font - h;
  y = CLAMP (y, L->y0, MAX (L->y0, L->y1 - h));

  rounded_rect (cr, x, y, w, h, L->font * 0.4);
  set_bg (cr, spec, 0.94);
  cairo_fill_preserve (cr);
  set_fg (cr, spec, 0.25);
  cairo_stroke (cr);
  for (guint i = 0; i < lines->len; i++)
    {
      const RlChartSeries *se = g_array_index (owners, gpointer, i);
      double ly = y + pad_in / 2 + line_h * (i + 0.5);
      double tx = x + pad_in;

      if (se && spec->n_series > 1)
        {
          cairo_set_source_rgb (cr, se->r, se->g, se->b);
          cairo_arc (cr, tx + L->font * 0.3, ly, L->font * 0.3, 0, 2 * G_PI);
          cairo_fill (cr);
          tx += L->font;
        }
      set_font (cr, L->tick_font, i == 0);
      set_fg (cr, spec, 0.95);
      show_text (cr, tx, ly, 0.0, g_ptr_array_index (lines, i));
    }
  axis_badge (cr, spec, L, xs, bx);
}

void
rl_chart_draw (cairo_t           *cr,
               double             width,
               double             height,
               const RlChartSpec *spec)
{
  RlLayout L;
  double marker_px;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (spec != NULL);
  g_return_if_fail (spec->n_series == 0 || spec->series != NULL);

  if (!(width >= 1 && height >= 1 && isfinite (width) && isfinite (height)))
    return;
  cairo_save (cr);
  setup_fonts (cr);
  chart_layout (cr, width, height, spec, &L);

  draw_title_and_legend (cr, spec, &L);
  draw_frame (cr, spec, &L);
  draw_marker_line (cr, spec, &L, &marker_px);
  draw_series (cr, spec, &L);
  if (!L.has_data)
    {
      set_font (cr, L.font, FALSE);
      set_fg (cr, spec, 0.5);
      show_text (cr, (L.x0 + L.x1) / 2, (L.y0 + L.y1) / 2, 0.5, "No data");
    }
  if (isfinite (marker_px))
    draw_marker_values (cr, spec, &L, marker_px);
  draw_hover (cr, spec, &L);
  cairo_restore (cr);
}

/* ---- Export ----------------------------------------------------------- */

static cairo_status_t
append_bytes (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static void
paint_chart (cairo_surface_t   *surface,
             const RlChartSpec *spec,
             double             width,
             double             height)
{
  cairo_t *cr = cairo_create (surface);

  set_bg (cr, spec, 1.0);
  cairo_paint (cr);
  rl_chart_draw (cr, width, height, spec);
  cairo_destroy (cr);
}

gboolean
rl_chart_export (const RlChartSpec *spec,
                 double             width,
                 double             height,
                 const char        *path,
                 GError           **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *display = NULL;
  const char *dot_pos;
  cairo_surface_t *surface = NULL;
  cairo_status_t status;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (spec->n_series == 0 || spec->series != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  display = g_filename_display_name (path);
  base = g_path_get_basename (path);
  dot_pos = strrchr (base, '.');
  if (!(width >= 16 && width <= 8192 && height >= 16 && height <= 8192))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "Chart size %g×%g is outside 16..8192 pixels a side", width, height);
      return FALSE;
    }

  if (dot_pos && g_ascii_strcasecmp (dot_pos, ".png") == 0)
    {
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                            (int) ceil (width), (int) ceil (height));
      paint_chart (surface, spec, width, height);
      status = cairo_surface_status (surface);
      if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_write_to_png_stream (surface, append_bytes, bytes);
    }
  else if (dot_pos && g_ascii_strcasecmp (dot_pos, ".svg") == 0)
    {
      surface = cairo_svg_surface_create_for_stream (append_bytes, bytes, width, height);
      paint_chart (surface, spec, width, height);
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  else if (dot_pos && g_ascii_strcasecmp (dot_pos, ".pdf") == 0)
    {
      surface = cairo_pdf_surface_create_for_stream (append_bytes, bytes, width, height);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "RankLab");
      if (spec->title)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, spec->title);
      paint_chart (surface, spec, width, height);
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  else
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "Cannot export chart to “%s”: unknown file type “%s” "
                   "(use .png, .svg or .pdf)", display, dot_pos ? dot_pos : "");
      return FALSE;
    }
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FAILED,
                   "Cannot render chart “%s”: %s", display, cairo_status_to_string (status));
      return FALSE;
    }
  if (!rl_file_replace_atomic (path, bytes->data, bytes->len, &local_error))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO,
                   "Cannot write chart “%s”: %s", display, local_error->message);
      return FALSE;
    }
  return TRUE;
}
