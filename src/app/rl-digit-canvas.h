/* rl-digit-canvas.h — a square canvas to draw a digit on with the mouse,
 * a pen or a finger.
 *
 * The strokes go into a fixed 280×280 backing surface, whatever the size of
 * the widget or the scale of the screen, so the same stroke always gives
 * the same 28×28 model input (see DESIGN.md "Drawn digits"). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RL_DIGIT_CANVAS_SIDE 280   /* backing surface, in surface units */

#define RL_TYPE_DIGIT_CANVAS (rl_digit_canvas_get_type ())

G_DECLARE_FINAL_TYPE (RlDigitCanvas, rl_digit_canvas, RL, DIGIT_CANVAS, GtkWidget)

GtkWidget *rl_digit_canvas_new        (void);

/* Fills out[784] with the preprocessed, MNIST-like input (rl_preprocess_digit).
 * Returns FALSE and leaves out untouched when nothing has been drawn. */
gboolean   rl_digit_canvas_get_input  (RlDigitCanvas *self,
                                       float          out[784]);

void       rl_digit_canvas_clear      (RlDigitCanvas *self);

gboolean   rl_digit_canvas_is_empty   (RlDigitCanvas *self);

/* Draws one stroke through n_points points (x0, y0, x1, y1, …) given in
 * surface units (0..RL_DIGIT_CANVAS_SIDE), as a drag would; one point is a
 * dot. Emits "changed". For tests, demos and replaying a drawing. */
void       rl_digit_canvas_stroke     (RlDigitCanvas *self,
                                       const double  *points,
                                       guint          n_points);

G_END_DECLS
