/* rl-preprocess.h — a drawn digit → MNIST-like 28×28 input.
 *
 * Like MNIST: the ink's bounding box is scaled (area averaging) so its longer
 * side is 20 px, then placed in 28×28 so that the centre of mass of the ink
 * is at the centre (14, 14); white ink (1.0) on black (0.0). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RL_DIGIT_SIDE   28u
#define RL_DIGIT_PIXELS 784u
#define RL_IMAGE_MAX_SIDE 4096u   /* documented ceiling for imported images (README "Limits") */

/* ink: width×height values in 0..1 where 1 = full ink, rows stride floats
 * apart. Fills out[784]. Returns FALSE with RL_ERROR_EMPTY when there is no
 * ink at all; a single dot gives a valid (centred) image. NaN is refused. */
gboolean rl_preprocess_digit     (const float *ink,
                                  guint        width,
                                  guint        height,
                                  gsize        stride,
                                  float       *out,
                                  GError     **error);

/* Converts grey levels (0..1, any polarity) to ink in 0..1: the background
 * is taken from the border pixels; if it is light, the image is inverted.
 * In place. */
void     rl_grey_to_ink          (float       *grey,
                                  guint        width,
                                  guint        height);

G_END_DECLS
