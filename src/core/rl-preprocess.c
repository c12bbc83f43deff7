/* rl-preprocess.c — a drawn digit → MNIST-like 28×28 input.
 *
 * The steps follow the description of MNIST (LeCun et al.):
 *
 *  1. Ink below RL_INK_THRESHOLD is background (set to 0), so faint
 *     anti-aliasing noise does not widen the bounding box.
 *  2. The ink's bounding box (w × h pixels) is scaled by s = 20 / max (w, h),
 *     keeping the aspect ratio, with area averaging: every output pixel is
 *     the mean of the input area it covers, input pixels being unit squares,
 *     with fractional coverage at the edges. The resampling is separable
 *     (out = Wy · ink · Wxᵀ), so ink mass is conserved exactly up to the
 *     factor s² and a box whose scaling is exact keeps its values.
 *  3. The discrete centre of mass (cx, cy) of the scaled block (pixel centres
 *     at i + 0.5) is computed and the block is moved so that it lands on
 *     (14, 14) of the 28×28 output. The move is a sub-pixel translation by
 *     (t = 14 − c) with area resampling of the unit pixel squares, which for a
 *     translation is a two-tap linear interpolation; it moves the discrete
 *     centre of mass by exactly t, so the result is centred exactly (unlike
 *     MNIST's rounded integer shift, which may be off by up to half a pixel).
 *     Integer shifts are copied without blurring. Ink that would fall outside
 *     28×28 (only possible for very lopsided shapes) is dropped, as in MNIST.
 *  4. Values are clamped to 0..1.
 *
 * Everything is plain sequential float/double arithmetic in a fixed order,
 * so the same input gives bit-identical output on every run.
 */
#include "rl-preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rl-error.h"

#define RL_INK_THRESHOLD 1e-3f  /* ink below this is background */
#define RL_BOX_SIDE      20u    /* longer side of the scaled bounding box */

/* Weights of a 1-D area-averaging resampling of n input cells (unit
 * intervals [p, p+1]) onto m output cells, with output coordinate u = p · s.
 * Output cell j covers input [j/s, (j+1)/s]; weight = s · overlap. Stored as
 * per-output ranges into a dense m × n matrix (n and m are small here: the
 * bounding box side and at most 20). */
typedef struct
{
  guint   m;
  guint   n;
  guint  *first;  /* [m] first input index with non-zero weight */
  guint  *last;   /* [m] one past the last one */
  double *w;      /* [m × n] */
} Resampler;

static void
resampler_init (Resampler *rs,
                guint      n,
                guint      m,
                double     s)
{
  rs->m = m;
  rs->n = n;
  rs->first = g_new0 (guint, m);
  rs->last = g_new0 (guint, m);
  rs->w = g_new0 (double, (gsize) m * n);

  for (guint j = 0; j < m; j++)
    {
      double a = j / s;
      double b = (j + 1) / s;
      guint p0 = (guint) floor (a);
      guint p1 = (guint) MIN ((double) n, ceil (b));

      rs->first[j] = MIN (p0, n);
      rs->last[j] = MAX (p1, rs->first[j]);
      for (guint p = rs->first[j]; p < rs->last[j]; p++)
        {
          double lo = MAX (a, (double) p);
          double hi = MIN (b, (double) p + 1.0);

          if (hi > lo)
            rs->w[(gsize) j * n + p] = s * (hi - lo);
        }
    }
}

static void
resampler_clear (Resampler *rs)
{
  g_clear_pointer (&rs->first, g_free);
  g_clear_pointer (&rs->last, g_free);
  g_clear_pointer (&rs->w, g_free);
}

/* 1-D sub-pixel translation weights: destination cell d takes
 * (1 − f) · src[d − k] + f · src[d − k − 1], where t = k + f, 0 ≤ f < 1. */
static inline double
shifted_sample (const double *src,
                int           n_src,
                int           src_stride,
                int           d,
                int           k,
                double        f)
{
  int a = d - k;
  int b = d - k - 1;
  double v = 0.0;

  if (a >= 0 && a < n_src)
    v += (1.0 - f) * src[a * src_stride];
  if (f > 0.0 && b >= 0 && b < n_src)
    v += f * src[b * src_stride];
  return v;
}

gboolean
rl_preprocess_digit (const float *ink,
                     guint        width,
                     guint        height,
                     gsize        stride,
                     float       *out,
                     GError     **error)
{
  guint x0 = G_MAXUINT, y0 = G_MAXUINT, x1 = 0, y1 = 0;
  gboolean any = FALSE;

  g_return_val_if_fail (ink != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (width == 0 || height == 0)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_EMPTY,
                   "The drawing is empty (%u×%u pixels)", width, height);
      return FALSE;
    }
  else if (stride < width)
    {
      g_set_error (error, RL_ERROR, RL_ERROR_INVALID,
                   "Row stride %" G_GSIZE_FORMAT " is smaller than the width %u",
                   stride, width);
      return FALSE;
    }

  /* Pass 1: refuse NaN/Inf and find the ink's bounding box. */
  for (guint y = 0; y < height; y++)
    {
      const float *row = ink + (gsize) y * stride;

      for (guint x = 0; x < width; x++)
        {
          if (!isfinite (row[x]))
            {
              g_set_error (error, RL_ERROR, RL_ERROR_NUMERIC,
                           "The drawing has a non-finite value at pixel (%u, %u)",
                           x, y);
              return FALSE;
            }
          if (row[x] >= RL_INK_THRESHOLD)
            {
              any = TRUE;
              x0 = MIN (x0, x);
              x1 = MAX (x1, x);
              y0 = MIN (y0, y);
              y1 = MAX (y1, y);
            }
        }
    }

  if (!any)
    {
      g_set_error_literal (error, RL_ERROR, RL_ERROR_EMPTY, "The drawing is empty");
      return FALSE;
    }

  {
    guint bw = x1 - x0 + 1;
    guint bh = y1 - y0 + 1;
    double s = (double) RL_BOX_SIDE / MAX (bw, bh);
    /* Block size in output pixels; the longer side is exactly 20. The
     * tolerance keeps 20.000000001 from becoming 21. */
    guint mw = (guint) MIN ((double) RL_BOX_SIDE, ceil (bw * s - 1e-9));
    guint mh = (guint) MIN ((double) RL_BOX_SIDE, ceil (bh * s - 1e-9));
    Resampler rx, ry;
    g_autofree double *tmp = NULL;     /* bh × mw: rows resampled */
    g_autofree double *block = NULL;   /* mh × mw */
    g_autofree double *mid = NULL;     /* mh × 28: after the x shift */
    double mass = 0.0, sx = 0.0, sy = 0.0;
    double tx, ty, fx, fy;
    int kx, ky;

    mw = MAX (mw, 1u);
    mh = MAX (mh, 1u);
    resampler_init (&rx, bw, mw, s);
    resampler_init (&ry, bh, mh, s);

    /* Pass 2: horizontal area averaging of each box row. */
    tmp = g_new0 (double, (gsize) bh * mw);
    for (guint y = 0; y < bh; y++)
      {
        const float *row = ink + (gsize) (y0 + y) * stride + x0;

        for (guint j = 0; j < mw; j++)
          {
            const double *wj = rx.w + (gsize) j * bw;
            double acc = 0.0;

            for (guint p = rx.first[j]; p < rx.last[j]; p++)
              {
                float v = row[p];

                if (v >= RL_INK_THRESHOLD)
                  acc += wj[p] * MIN (v, 1.0f);
              }
            tmp[(gsize) y * mw + j] = acc;
          }
      }

    /* Pass 3: vertical area averaging, and the block's centre of mass. */
    block = g_new0 (double, (gsize) mh * mw);
    for (guint i = 0; i < mh; i++)
      {
        const double *wi = ry.w + (gsize) i * bh;

        for (guint j = 0; j < mw; j++)
          {
            double acc = 0.0;

            for (guint p = ry.first[i]; p < ry.last[i]; p++)
              acc += wi[p] * tmp[(gsize) p * mw + j];
            block[(gsize) i * mw + j] = acc;
            mass += acc;
            sx += acc * (j + 0.5);
            sy += acc * (i + 0.5);
          }
      }
    resampler_clear (&rx);
    resampler_clear (&ry);

    if (!(mass > 0.0))
      {
        /* Cannot happen for ink ≥ threshold, but never divide by zero. */
        g_set_error_literal (error, RL_ERROR, RL_ERROR_EMPTY, "The drawing is empty");
        return FALSE;
      }

    /* Pass 4: translate so the centre of mass lands on (14, 14). */
    tx = RL_DIGIT_SIDE / 2.0 - sx / mass;
    ty = RL_DIGIT_SIDE / 2.0 - sy / mass;
    kx = (int) floor (tx);
    ky = (int) floor (ty);
    fx = tx - kx;
    fy = ty - ky;
    /* Snap shifts within rounding noise of an integer, so exact cases stay
     * exact (e.g. a block of ones stays a block of ones). */
    if (fx > 1.0 - 1e-9)
      {
        kx++;
        fx = 0.0;
      }
    else if (fx < 1e-9)
      fx = 0.0;
    if (fy > 1.0 - 1e-9)
      {
        ky++;
        fy = 0.0;
      }
    else if (fy < 1e-9)
      fy = 0.0;

    mid = g_new0 (double, (gsize) mh * RL_DIGIT_SIDE);
    for (guint i = 0; i < mh; i++)
      for (int d = 0; d < (int) RL_DIGIT_SIDE; d++)
        mid[(gsize) i * RL_DIGIT_SIDE + d] =
          shifted_sample (block + (gsize) i * mw, (int) mw, 1, d, kx, fx);

    for (int d = 0; d < (int) RL_DIGIT_SIDE; d++)
      for (guint c = 0; c < RL_DIGIT_SIDE; c++)
        {
          double v = shifted_sample (mid + c, (int) mh, (int) RL_DIGIT_SIDE, d, ky, fy);

          out[(gsize) d * RL_DIGIT_SIDE + c] = (float) CLAMP (v, 0.0, 1.0);
        }
  }

  return TRUE;
}

static int
compare_float (gconstpointer a,
               gconstpointer b)
{
  float fa = *(const float *) a;
  float fb = *(const float *) b;

  /* A total order even with NaN (sorted last), as qsort requires. */
  if (isnan (fa) || isnan (fb))
    return (isnan (fa) != 0) - (isnan (fb) != 0);
  return (fa > fb) - (fa < fb);
}

void
rl_grey_to_ink (float *grey,
                guint  width,
                guint  height)
{
  g_autofree float *border = NULL;
  gsize n_pixels, n = 0;
  double bg, scale;
  gboolean invert;

  g_return_if_fail (grey != NULL || width == 0 || height == 0);

  if (width == 0 || height == 0)
    return;

  n_pixels = (gsize) width * height;

  /* The border: the first and last rows and columns (each pixel once). */
  border = g_new (float, 2 * (gsize) width + 2 * (gsize) height);
  for (guint x = 0; x < width; x++)
    {
      border[n++] = grey[x];
      if (height > 1)
        border[n++] = grey[(gsize) (height - 1) * width + x];
    }
  for (guint y = 1; y + 1 < height; y++)
    {
      border[n++] = grey[(gsize) y * width];
      if (width > 1)
        border[n++] = grey[(gsize) y * width + width - 1];
    }

  /* The median, in double: the mean of the two middle values is exact
   * there, so an image and its inverse get exactly mirrored backgrounds. */
  qsort (border, n, sizeof (float), compare_float);
  bg = 0.5 * ((double) border[(n - 1) / 2] + (double) border[n / 2]);
  if (isnan (bg))
    bg = 0.0;

  invert = bg > 0.5;
  if (invert)
    bg = 1.0 - bg;
  bg = CLAMP (bg, 0.0, 1.0);
  /* bg ≤ 0.5 now, so the stretch below is at most ×2. */
  scale = 1.0 / (1.0 - bg);

  for (gsize i = 0; i < n_pixels; i++)
    {
      double v = invert ? 1.0 - (double) grey[i] : (double) grey[i];

      /* NaN stays NaN (the comparisons are false) for preprocess to refuse. */
      v = (v - bg) * scale;
      if (v < 0.0)
        v = 0.0;
      else if (v > 1.0)
        v = 1.0;
      grey[i] = (float) v;
    }
}
