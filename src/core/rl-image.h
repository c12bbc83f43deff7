/* rl-image.h — image files (PNG, PGM, anything GdkPixbuf reads) as grey. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Loads an image as grey levels 0..1 (luma, alpha composited on white).
 * Refuses non-images, and images with a side above RL_IMAGE_MAX_SIDE,
 * before decoding them. Free with g_free. */
float *rl_image_load_grey (const char *path,
                           guint      *width,
                           guint      *height,
                           GError    **error);

/* Image file → 28×28 model input (load, polarity, preprocess). */
gboolean rl_image_load_digit (const char *path,
                              float      *out784,
                              GError    **error);

G_END_DECLS
