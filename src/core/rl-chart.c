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

#include <math.h>
#include <string.h>

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

        format_value (buf, sizeof buf, a->ticks[i].v, a->step, fmt);
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
  L->font = CLAMP (MIN (width, height * 1.5) / 40.0, 9.0, 15.0);
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

            format_value (buf, sizeof buf, L->ax.ticks[i].v, L->ax.step, NULL);
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
    0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7, 0xb8860b, 0x56b4e9, 0x6f6f6f, 0x8c564b,
  };
  static const guint32 dark_set[] = {
    0x56b4e9, 0xff8c42, 0x2fd3a6, 0xe8a0c8, 0xf0c43a, 0x9cc9ff, 0xb0b0b0, 0xd2a98f,
  };
  guint32 c = (dark ? dark_set : light)[index % G_N_ELEMENTS (light)];

  g_return_if_fail (r != NULL && g != NULL && b != NULL);
  *r = ((c >> 16) & 0xff) / 255.0;
  *g = ((c >> 8) & 0xff) / 255.0;
  *b = (c & 0xff) / 255.0;
}
