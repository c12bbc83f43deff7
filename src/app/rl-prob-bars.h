/* rl-prob-bars.h — ten bars, one per digit, for the model's outputs.
 *
 * The outputs are sigmoids (they need not add up to 1); the bars show them
 * divided by their sum, which the tooltip says. The arg-max is drawn in the
 * accent colour. Implements GtkOrientable: horizontal (default) stacks ten
 * rows of bars growing rightwards, vertical shows ten columns. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RL_PROB_BARS_N 10

#define RL_TYPE_PROB_BARS (rl_prob_bars_get_type ())

G_DECLARE_FINAL_TYPE (RlProbBars, rl_prob_bars, RL, PROB_BARS, GtkWidget)

GtkWidget  *rl_prob_bars_new             (void);

const char *rl_prob_bars_get_title       (RlProbBars  *self);
void        rl_prob_bars_set_title       (RlProbBars  *self,
                                          const char  *title);

gboolean    rl_prob_bars_get_show_title  (RlProbBars  *self);
void        rl_prob_bars_set_show_title  (RlProbBars  *self,
                                          gboolean     show_title);

/* probs: n ≤ 10 raw outputs for digits 0..n-1 (copied; NaN and negative
 * values count as 0). NULL clears the bars. */
void        rl_prob_bars_set_probs       (RlProbBars  *self,
                                          const float *probs,
                                          guint        n);

/* The highlighted digit, or -1 when cleared or all outputs are 0. */
int         rl_prob_bars_get_argmax      (RlProbBars  *self);

/* The normalised value shown for digit (0..9); 0 when cleared. */
double      rl_prob_bars_get_value       (RlProbBars  *self,
                                          guint        digit);

G_END_DECLS
