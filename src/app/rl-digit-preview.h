/* rl-digit-preview.h — shows the 28×28 input the model sees, scaled up with
 * crisp (nearest-neighbour) pixels. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RL_TYPE_DIGIT_PREVIEW (rl_digit_preview_get_type ())

G_DECLARE_FINAL_TYPE (RlDigitPreview, rl_digit_preview, RL, DIGIT_PREVIEW, GtkWidget)

GtkWidget *rl_digit_preview_new         (void);

/* pixels: 784 grey levels in 0..1 (1 = white ink), row-major; copied.
 * Values outside 0..1 are clamped, NaN shows as black. NULL = blank. */
void       rl_digit_preview_set_pixels  (RlDigitPreview *self,
                                         const float    *pixels784);

/* Whether pixels are set (FALSE after set_pixels (NULL)). */
gboolean   rl_digit_preview_has_pixels  (RlDigitPreview *self);

G_END_DECLS
