/* rl-chart.h — line charts drawn with cairo on any surface (screen, PNG,
 * SVG, PDF), shared by the app and the CLI. */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char   *name;     /* legend text */
  const double *x;
  const double *y;
  guint         n;
  double        r, g, b;  /* colour */
  gboolean      dashed;
  gboolean      points_only;  /* markers without a connecting line */
} RlChartSeries;

typedef struct
{
  const char          *title;
  const char          *x_label;
  const char          *y_label;
  const RlChartSeries *series;
  guint                n_series;
  gboolean             log_x;
  gboolean             log_y;
  double               marker_x;     /* vertical line at the current rank; NAN = none */
  double               hover_x;      /* point to annotate; NAN = none */
  const char          *y_format;     /* printf format for y tick labels, e.g. "%.2f"; value
                                        labels (current rank, hover) always get ~4 digits */
  double               fg_r, fg_g, fg_b;   /* text/axes colour (theme) */
  gboolean             dark;         /* dark theme */
} RlChartSpec;

/* Draws the chart into the rectangle (0,0)-(width,height). The background
 * is left as it is (transparent on a fresh surface; the widget's own
 * background on screen); rl_chart_export paints white, or near-black when
 * spec->dark. Series points that are not finite (or ≤ 0 on a log axis)
 * break the line. y_format, when set, must hold exactly one double
 * conversion (%f, %e or %g, with flags/width/precision); otherwise the
 * automatic format is used. */
void     rl_chart_draw        (cairo_t            *cr,
                               double              width,
                               double              height,
                               const RlChartSpec  *spec);

/* Maps a device x back to data x (for hover); FALSE if outside the plot. */
gboolean rl_chart_x_at        (const RlChartSpec  *spec,
                               double              width,
                               double              height,
                               double              px,
                               double             *data_x);

/* Maps data x to a device x (the inverse of rl_chart_x_at); FALSE when x
 * cannot be shown (non-finite, or ≤ 0 on a log axis). The result may lie
 * outside the plot when x is outside the axis range. */
gboolean rl_chart_px_at       (const RlChartSpec  *spec,
                               double              width,
                               double              height,
                               double              data_x,
                               double             *px);

/* A colour-blind-friendly series palette (Okabe–Ito hues) that reads
 * well on a light (dark == FALSE) or dark background; index wraps. */
void     rl_chart_palette     (guint               index,
                               gboolean            dark,
                               double             *r,
                               double             *g,
                               double             *b);

/* Writes the chart to a file; the format comes from the extension
 * (.png, .svg, .pdf, any case). Atomic: the file is written whole or not at
 * all. Unknown extension → RL_ERROR_INVALID; a side outside 16..8192 →
 * RL_ERROR_INVALID. */
gboolean rl_chart_export      (const RlChartSpec  *spec,
                               double              width,
                               double              height,
                               const char         *path,
                               GError            **error);

G_END_DECLS
