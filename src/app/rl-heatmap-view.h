/* rl-heatmap-view.h — a small matrix drawn as an image: a diverging colour
 * map centred on 0 (weights, eigen-strokes, residuals) or grey levels
 * (a digit), with crisp (nearest-neighbour) cells and a kept aspect ratio. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  RL_HEATMAP_DIVERGING,   /* −scale blue … 0 neutral … +scale red */
  RL_HEATMAP_GREY,        /* 0 black … scale white (MNIST ink) */
} RlHeatmapStyle;

#define RL_TYPE_HEATMAP_VIEW (rl_heatmap_view_get_type ())

G_DECLARE_FINAL_TYPE (RlHeatmapView, rl_heatmap_view, RL, HEATMAP_VIEW, GtkWidget)

GtkWidget *rl_heatmap_view_new          (void);

/* data: rows×cols row-major (copied); NULL clears. scale > 0 is the value
 * drawn at full colour (|v| ≥ scale saturates); NaN draws grey. */
void       rl_heatmap_view_set_data     (RlHeatmapView  *self,
                                         const float    *data,
                                         guint           rows,
                                         guint           cols,
                                         double          scale,
                                         RlHeatmapStyle  style);
gboolean   rl_heatmap_view_has_data     (RlHeatmapView  *self);

/* The side it asks for (the longer side, in pixels); default 128. */
void       rl_heatmap_view_set_natural_side (RlHeatmapView *self,
                                             int            side);

/* Whether the cells keep their aspect ratio (default TRUE); FALSE fills
 * the allocation (colour bars). */
void       rl_heatmap_view_set_keep_aspect  (RlHeatmapView *self,
                                             gboolean       keep_aspect);

/* The colour of value t in −1..1 (diverging) or 0..1 (grey) for a light
 * or dark theme. */
void       rl_heatmap_color             (RlHeatmapStyle  style,
                                         gboolean        dark,
                                         double          t,
                                         double         *r,
                                         double         *g,
                                         double         *b);

G_END_DECLS
