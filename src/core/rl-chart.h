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
  const char          *y_format;     /* printf format for y tick labels, e.g. "%.2f" */
  double               fg_r, fg_g, fg_b;   /* text/axes colour (theme) */
  gboolean             dark;         /* dark theme */
} RlChartSpec;

/* Draws the chart into the rectangle (0,0)-(width,height). */
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

/* Writes the chart to a file; the format comes from the extension
 * (.png, .svg, .pdf). Atomic. */
gboolean rl_chart_export      (const RlChartSpec  *spec,
                               double              width,
                               double              height,
                               const char         *path,
                               GError            **error);

G_END_DECLS
