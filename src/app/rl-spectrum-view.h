/* rl-spectrum-view.h — one layer's singular values (log scale) and their
 * cumulative energy, with the current rank as a line the user drags and
 * the break-even rank m·n/(m+n) marked. Keyboard: Left/Right ±1, Page
 * Up/Down ±10, Home/End. Exposed to assistive technology as a slider. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RL_TYPE_SPECTRUM_VIEW (rl_spectrum_view_get_type ())

G_DECLARE_FINAL_TYPE (RlSpectrumView, rl_spectrum_view, RL, SPECTRUM_VIEW, GtkWidget)

GtkWidget *rl_spectrum_view_new          (void);

/* s: k singular values, descending (copied); m × n is the layer's shape.
 * s = NULL or k = 0 shows an empty plot. */
void       rl_spectrum_view_set_spectrum (RlSpectrumView *self,
                                          const double   *s,
                                          guint           k,
                                          guint           m,
                                          guint           n);

/* The "rank" property (≥ 1). It is kept as given (a session rank may
 * exceed this layer's k); the line is drawn at min(rank, k). Dragging sets
 * it within 1..k. */
void       rl_spectrum_view_set_rank     (RlSpectrumView *self,
                                          guint           rank);
guint      rl_spectrum_view_get_rank     (RlSpectrumView *self);

/* The "log-x" property: a logarithmic rank axis. */
void       rl_spectrum_view_set_log_x    (RlSpectrumView *self,
                                          gboolean        log_x);
gboolean   rl_spectrum_view_get_log_x    (RlSpectrumView *self);

/* Maps a widget x to the rank there (clamped to 1..k); 0 when empty. */
guint      rl_spectrum_view_rank_at      (RlSpectrumView *self,
                                          double          x);

G_END_DECLS
