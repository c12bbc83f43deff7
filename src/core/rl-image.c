/* rl-image.c — image files (PNG, JPEG, GIF, PGM/PNM) as grey.
 *
 * Only these formats are handed to GdkPixbuf, recognised by their first
 * bytes: its other loaders (BMP, TGA, ICO, XPM, ANI, …) see little use for
 * a digit and much hostile input. Fuzzing found its BMP loader allocating
 * whatever a header claims (2 GB for an info-header size, 4 GB for a colour
 * count), twice in ten minutes, so BMP is refused too. The file's header is
 * then read with
 * gdk_pixbuf_get_file_info (), which stops once the size is known, so a
 * header claiming a huge size is refused before any pixel buffer is
 * allocated. GdkPixbuf's "pnm"
 * loader (checked on Debian 12, gdk-pixbuf 2.42.10) reads both P2 and P5
 * PGM, 8- and 16-bit, so no PGM parser of our own is needed.
 *
 * Grey is Rec. 601 luma, 0.299 R + 0.587 G + 0.114 B, after compositing any
 * alpha channel on white (a transparent PNG with black strokes reads as
 * black on white, which is how it looks in every viewer).
 */
#include "rl-image.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rl-error.h"
#include "rl-preprocess.h"

/* NULL when head (the first n bytes of a file of size bytes) starts an
 * image in a format we decode, else why not. */
static const char *
sniff (const guint8 *head,
       gsize         n,
       goffset       size)
{
  static const guint8 png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (n >= 8 && memcmp (head, png, 8) == 0)
    return NULL;
  if (n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    return NULL;
  if (n >= 6 && (memcmp (head, "GIF87a", 6) == 0 || memcmp (head, "GIF89a", 6) == 0))
    return NULL;
  if (n >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '6' && g_ascii_isspace (head[2]))
    return NULL;
  return "not a PNG, JPEG, GIF or PGM/PNM image";
}

/* Opens path (a readable-file check that gives the operating system's
 * reason) and refuses what is not an image in a format we decode. */
static gboolean
check_file (const char  *path,
            const char  *display,
            GError     **error)
{
  guint8 head[32];
  GStatBuf st;
  gssize n = -1;
  const char *why;
  int saved_errno = 0;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);   /* a FIFO must not block */

  /* Only a regular file is read: a FIFO, device or socket never is, and a
   * folder is named as one. */
  if (fd < 0 || fstat (fd, &st) != 0)
    saved_errno = errno;
  else if (S_ISDIR (st.st_mode))
    saved_errno = EISDIR;
  else if (S_ISREG (st.st_mode) && (n = read (fd, head, sizeof head)) < 0)
    saved_errno = errno;
  if (fd >= 0)
    g_close (fd, NULL);
  if (n < 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_IO, "Cannot open image “%s”: %s", display,
                   saved_errno != 0 ? g_strerror (saved_errno) : "not a regular file");
      return FALSE;
    }
  why = n == 0 ? "an empty file" : sniff (head, (gsize) n, st.st_size);
  if (why != NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT, "“%s” is %s", display, why);
      return FALSE;
    }
  return TRUE;
}

float *
rl_image_load_grey (const char *path,
                    guint      *width,
                    guint      *height,
                    GError    **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *display = NULL;
  GdkPixbufFormat *format;
  const guint8 *pixels;
  float *grey;
  int w = 0, h = 0, n_channels, rowstride;
  gboolean has_alpha;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (width != NULL, NULL);
  g_return_val_if_fail (height != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  *width = 0;
  *height = 0;
  display = g_filename_display_name (path);

  if (!check_file (path, display, error))
    return NULL;

  format = gdk_pixbuf_get_file_info (path, &w, &h);
  if (format == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "“%s” is not an image GdkPixbuf can read", display);
      return NULL;
    }
  else if (w <= 0 || h <= 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "Image “%s” has an invalid size (%d×%d pixels)", display, w, h);
      return NULL;
    }
  else if ((guint) w > RL_IMAGE_MAX_SIDE || (guint) h > RL_IMAGE_MAX_SIDE)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "Image “%s” is %d×%d pixels; the limit is %u pixels a side",
                   display, w, h, RL_IMAGE_MAX_SIDE);
      return NULL;
    }

  pixbuf = gdk_pixbuf_new_from_file (path, &local_error);
  if (pixbuf == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "Cannot decode image “%s”: %s", display, local_error->message);
      return NULL;
    }

  /* The decoder may disagree with the header (e.g. scalable formats). */
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  has_alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  if (w <= 0 || h <= 0 ||
      (guint) w > RL_IMAGE_MAX_SIDE || (guint) h > RL_IMAGE_MAX_SIDE)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "Image “%s” decodes to %d×%d pixels; the limit is %u pixels a side",
                   display, w, h, RL_IMAGE_MAX_SIDE);
      return NULL;
    }
  else if (gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB ||
           gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 ||
           n_channels != (has_alpha ? 4 : 3))
    {
      g_set_error (error, RL_ERROR, RL_ERROR_FORMAT,
                   "Image “%s” has an unsupported pixel layout (%d channels)",
                   display, n_channels);
      return NULL;
    }

  rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  grey = g_try_new (float, (gsize) w * h);
  if (grey == NULL)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_LIMIT,
                   "Not enough memory for image “%s” (%d×%d pixels)", display, w, h);
      return NULL;
    }

  for (int y = 0; y < h; y++)
    {
      /* Only n_channels × w bytes of a row are valid (the last row of a
       * pixbuf is not padded to rowstride). */
      const guint8 *p = pixels + (gsize) y * rowstride;

      for (int x = 0; x < w; x++, p += n_channels)
        {
          double r = p[0], g = p[1], b = p[2];
          double luma;

          if (has_alpha)
            {
              double a = p[3] / 255.0;

              r = r * a + 255.0 * (1.0 - a);
              g = g * a + 255.0 * (1.0 - a);
              b = b * a + 255.0 * (1.0 - a);
            }
          luma = (0.299 * r + 0.587 * g + 0.114 * b) / 255.0;
          grey[(gsize) y * w + x] = (float) CLAMP (luma, 0.0, 1.0);
        }
    }

  *width = (guint) w;
  *height = (guint) h;
  return grey;
}

gboolean
rl_image_load_digit (const char *path,
                     float      *out784,
                     GError    **error)
{
  g_autofree float *grey = NULL;
  guint w = 0, h = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (out784 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  grey = rl_image_load_grey (path, &w, &h, error);
  if (grey == NULL)
    return FALSE;

  /* A 1×1 image is all border, hence all background: it has no ink and is
   * refused below with RL_ERROR_EMPTY, like any uniform image. */
  rl_grey_to_ink (grey, w, h);
  if (!rl_preprocess_digit (grey, w, h, w, out784, error))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_prefix_error (error, "Image “%s”: ", display);
      return FALSE;
    }
  return TRUE;
}
