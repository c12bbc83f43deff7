/* rl-chart-view.h — a line chart widget around rl_chart_draw(): one main
 * series, an optional dashed reference series, a marker at the current
 * rank and a hover read-out. Themed: it follows the foreground colour and
 * knows whether the theme is dark. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RL_TYPE_CHART_VIEW (rl_chart_view_get_type ())

G_DECLARE_FINAL_TYPE (RlChartView, rl_chart_view, RL, CHART_VIEW, GtkWidget)

GtkWidget  *rl_chart_view_new            (void);

/* Replaces the main series; all strings and arrays are copied. y_format is
 * a printf format for one double (e.g. "%.2f", "%.1f %%"); NULL or an
 * invalid format means "%g". n may be 0 (an empty chart with its title). */
void        rl_chart_view_set_series     (RlChartView  *self,
                                          const char   *title,
                                          const char   *x_label,
                                          const char   *y_label,
                                          const double *x,
                                          const double *y,
                                          guint         n,
                                          gboolean      log_y,
                                          const char   *y_format);

/* A dashed second series (e.g. the study's published points); copied.
 * n = 0 removes it. */
void        rl_chart_view_set_reference  (RlChartView  *self,
                                          const char   *name,
                                          const double *x,
                                          const double *y,
                                          guint         n);

/* Up to RL_CHART_VIEW_MAX_EXTRA further series, each in its own palette
 * colour and named in the legend, drawn as lines with points or, with
 * points_only, as points alone (e.g. published figures); copied. n = 0
 * removes the slot. */
#define RL_CHART_VIEW_MAX_EXTRA 4
void        rl_chart_view_set_extra      (RlChartView  *self,
                                          guint         slot,
                                          const char   *name,
                                          const double *x,
                                          const double *y,
                                          guint         n,
                                          gboolean      points_only);

/* The main series' name in the legend (shown when there is a second
 * series); NULL = "Measured". */
void        rl_chart_view_set_series_name (RlChartView *self,
                                           const char  *name);

/* A logarithmic x axis, and the name of the first CSV column (NULL:
 * "rank"). */
void        rl_chart_view_set_x_axis     (RlChartView  *self,
                                          gboolean      log_x,
                                          const char   *csv_name);

/* A vertical line at data x (the current rank); NAN = none. */
void        rl_chart_view_set_marker     (RlChartView  *self,
                                          double        x);
double      rl_chart_view_get_marker     (RlChartView  *self);

const char *rl_chart_view_get_title      (RlChartView  *self);
guint       rl_chart_view_get_n_points   (RlChartView  *self);

/* The x of the hovered point, NAN when the pointer is not over the plot. */
double      rl_chart_view_get_hover_x    (RlChartView  *self);

/* Writes the chart; the format comes from the extension: .png, .svg and
 * .pdf are drawn at the widget's current size (960×600 when it has none),
 * .csv gets "rank,<y_label>[,<reference name>]" rows, numbers in the C
 * locale, one row per x of either series (empty cell where a series has no
 * point). Atomic. */
gboolean    rl_chart_view_export         (RlChartView  *self,
                                          const char   *path,
                                          GError      **error);

G_END_DECLS
