/* rl-explorer-window-private.h — shared by rl-explorer-window.c (session
 * glue, spectrum, heat maps), rl-explorer-digit.c (eigen-strokes and the
 * drawn digit) and rl-explorer-cost.c (the cost page). */
#pragma once

#include "rl-explorer-window.h"
#include "rl-factors.h"
#include "rl-heatmap-view.h"
#include "rl-spectrum-view.h"

G_BEGIN_DECLS

#define RL_EXPLORER_N_STROKES 16u

/* An immutable copy of the dense model and its SVD for worker threads
 * (the session may drop its own at any time). Atomic refcounted. */
typedef struct
{
  RlModel *dense;
  RlSvd   *svd;
} RlExplorerSnapshot;

struct _RlExplorerWindow
{
  GtkWindow           parent_instance;

  RlSession          *session;
  RlDigitCanvas      *canvas;          /* weak */
  guint               layer;
  guint               heat_idle;
  RlHeatmap          *heat_w;          /* cached block means of W */
  guint               heat_w_layer;

  /* the drawn digit */
  float               input[784];
  gboolean            has_input;
  RlExplorerSnapshot *snapshot;
  GCancellable       *preds_cancellable;
  RlRankPredictions  *preds;
  guint               preds_timeout;

  /* template: top bar */
  GtkStringList      *layer_list;
  GtkDropDown        *layer_dropdown;
  GtkAdjustment      *rank_adjustment;
  GtkLabel           *plan_value;
  GtkLabel           *status_label;
  GtkStack           *pages;

  /* spectrum */
  RlSpectrumView     *spectrum_view;
  GtkCheckButton     *log_x_check;
  GtkLabel           *shape_value;
  GtkLabel           *kept_value;
  GtkLabel           *energy_value;
  GtkLabel           *norm_value;
  GtkLabel           *frob_value;
  GtkLabel           *rel_value;
  GtkLabel           *spectral_value;
  GtkLabel           *break_even_value;
  GtkLabel           *weights_value;

  /* eigen-strokes */
  GtkLabel           *strokes_title;
  GtkGrid            *strokes_grid;
  GtkAdjustment      *offset_adjustment;
  RlHeatmapView      *stroke_views[RL_EXPLORER_N_STROKES];
  GtkLabel           *stroke_labels[RL_EXPLORER_N_STROKES];
  GtkLabel           *digit_hint;
  RlHeatmapView      *input_view;
  RlHeatmapView      *projection_view;
  RlHeatmapView      *residual_view;
  GtkLabel           *seen_value;
  GtkLabel           *orig_pred_value;
  GtkLabel           *comp_pred_value;
  GtkLabel           *stable_value;
  GtkLabel           *disagree_value;
  GtkDrawingArea     *rank_strip;
  GtkLabel           *stable_help;

  /* heat maps */
  RlHeatmapView      *w_view;
  RlHeatmapView      *wr_view;
  RlHeatmapView      *diff_view;
  RlHeatmapView      *legend_view;
  GtkLabel           *w_scale_value;
  GtkLabel           *diff_scale_value;
  GtkLabel           *block_value;
  GtkLabel           *heat_help;

  /* cost */
  GtkLabel           *example_params;
  GtkLabel           *ex_dense_value;
  GtkLabel           *ex_factored_value;
  GtkLabel           *ex_ratio_value;
  GtkAdjustment      *batch_adjustment;
  GtkGrid            *cost_grid;
  GtkLabel           *macs_orig_value;
  GtkLabel           *macs_comp_value;
  GtkLabel           *flop_ratio_value;
  GtkLabel           *speedup_value;
  GtkLabel           *cost_help;
};

/* rl-explorer-window.c */
char  *_rl_explorer_format_count     (guint64           value);
void   _rl_explorer_label_relation   (GtkWidget        *value,
                                      GtkWidget        *caption,
                                      GtkWidget        *caption2);
/* The plan of the session's rank and mode, or NULL without a model. */
RlPlan *_rl_explorer_current_plan    (RlExplorerWindow *self);

/* rl-explorer-digit.c */
void   _rl_explorer_digit_init       (RlExplorerWindow *self);
void   _rl_explorer_digit_dispose    (RlExplorerWindow *self);
void   _rl_explorer_update_strokes   (RlExplorerWindow *self);
void   _rl_explorer_update_digit     (RlExplorerWindow *self);
void   _rl_explorer_model_changed    (RlExplorerWindow *self);
void   _rl_explorer_input_changed    (RlExplorerWindow *self);

/* rl-explorer-cost.c */
void   _rl_explorer_cost_init        (RlExplorerWindow *self);
void   _rl_explorer_update_cost      (RlExplorerWindow *self);

G_END_DECLS
