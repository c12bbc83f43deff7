/* test-preprocess.c — drawn digit → 28×28 (rl-preprocess.c). */
#include <math.h>
#include <string.h>

#include "rl-core.h"

#define CANVAS 280u

typedef struct
{
  double mass;
  double cx, cy;          /* centre of mass, pixel centres at i + 0.5 */
  int    x0, y0, x1, y1;  /* bounding box of values > 1e-6 */
} Stats;

static void
stats_of (const float *img,
          guint        w,
          guint        h,
          Stats       *st)
{
  memset (st, 0, sizeof *st);
  st->x0 = st->y0 = G_MAXINT;
  st->x1 = st->y1 = -1;
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        double v = img[(gsize) y * w + x];

        st->mass += v;
        st->cx += v * (x + 0.5);
        st->cy += v * (y + 0.5);
        if (v > 1e-6)
          {
            st->x0 = MIN (st->x0, (int) x);
            st->x1 = MAX (st->x1, (int) x);
            st->y0 = MIN (st->y0, (int) y);
            st->y1 = MAX (st->y1, (int) y);
          }
      }
  if (st->mass > 0)
    {
      st->cx /= st->mass;
      st->cy /= st->mass;
    }
}

static float *
canvas_new (void)
{
  return g_new0 (float, CANVAS * CANVAS);
}

static void
fill_rect (float *c,
           guint  x,
           guint  y,
           guint  w,
           guint  h,
           float  v)
{
  for (guint j = y; j < y + h; j++)
    for (guint i = x; i < x + w; i++)
      c[j * CANVAS + i] = v;
}

/* An anti-aliased disc: coverage from 8×8 supersampling. */
static void
fill_disc (float *c,
           double cx,
           double cy,
           double r)
{
  for (guint y = 0; y < CANVAS; y++)
    for (guint x = 0; x < CANVAS; x++)
      {
        guint hits = 0;

        for (guint sy = 0; sy < 8; sy++)
          for (guint sx = 0; sx < 8; sx++)
            {
              double px = x + (sx + 0.5) / 8 - cx;
              double py = y + (sy + 0.5) / 8 - cy;

              hits += px * px + py * py <= r * r;
            }
        c[y * CANVAS + x] = hits / 64.0f;
      }
}

/* A 140×70 rectangle scales by exactly 1/7 to a 20×10 block of ones whose
 * centre of mass (10, 5) moves by whole pixels (4, 9): exact output. */
static void
test_rectangle_exact (void)
{
  g_autofree float *c = canvas_new ();
  float out[RL_DIGIT_PIXELS];
  g_autoptr(GError) error = NULL;
  Stats st;

  fill_rect (c, 13, 21, 140, 70, 1.0f);
  g_assert_true (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_no_error (error);

  for (guint y = 0; y < RL_DIGIT_SIDE; y++)
    for (guint x = 0; x < RL_DIGIT_SIDE; x++)
      {
        gboolean inside = x >= 4 && x < 24 && y >= 9 && y < 19;

        g_assert_cmpfloat_with_epsilon (out[y * RL_DIGIT_SIDE + x], inside ? 1.0 : 0.0, 1e-6);
      }
  stats_of (out, RL_DIGIT_SIDE, RL_DIGIT_SIDE, &st);
  g_assert_cmpfloat_with_epsilon (st.mass, 200.0, 1e-4);
  g_assert_cmpfloat_with_epsilon (st.cx, 14.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (st.cy, 14.0, 1e-6);
}

/* An anti-aliased disc at the top left: longer side 20, centred, and the
 * ink mass scaled by exactly s² (area averaging conserves it). */
static void
test_disc_offcentre (void)
{
  g_autofree float *c = canvas_new ();
  float out[RL_DIGIT_PIXELS];
  g_autoptr(GError) error = NULL;
  Stats in, st;
  double s;

  fill_disc (c, 61.3, 47.8, 33.0);
  /* The input's own bounding box, with the same 1e-3 ink threshold. */
  for (guint i = 0; i < CANVAS * CANVAS; i++)
    if (c[i] < 1e-3f)
      c[i] = 0.0f;
  stats_of (c, CANVAS, CANVAS, &in);
  s = 20.0 / MAX (in.x1 - in.x0 + 1, in.y1 - in.y0 + 1);

  g_assert_true (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_no_error (error);
  stats_of (out, RL_DIGIT_SIDE, RL_DIGIT_SIDE, &st);
  g_test_message ("disc: in box x %d..%d y %d..%d, out box x %d..%d y %d..%d, com (%.4f, %.4f)",
                  in.x0, in.x1, in.y0, in.y1, st.x0, st.x1, st.y0, st.y1, st.cx, st.cy);

  g_assert_cmpint (MAX (st.x1 - st.x0 + 1, st.y1 - st.y0 + 1), >=, 20);
  g_assert_cmpint (MAX (st.x1 - st.x0 + 1, st.y1 - st.y0 + 1), <=, 21);
  g_assert_cmpfloat_with_epsilon (st.cx, 14.0, 0.5);
  g_assert_cmpfloat_with_epsilon (st.cy, 14.0, 0.5);
  /* Sub-pixel centring is exact up to float rounding. */
  g_assert_cmpfloat_with_epsilon (st.cx, 14.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (st.cy, 14.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (st.mass, in.mass * s * s, in.mass * s * s * 1e-5);
  for (guint i = 0; i < RL_DIGIT_PIXELS; i++)
    g_assert_true (out[i] >= 0.0f && out[i] <= 1.0f);
}

/* A thin vertical stroke 10×200 becomes one 20-tall column of ones with
 * centre x = 0.5, moved by 13.5: two columns of exactly one half. */
static void
test_subpixel_shift (void)
{
  g_autofree float *c = canvas_new ();
  float out[RL_DIGIT_PIXELS];
  g_autoptr(GError) error = NULL;

  fill_rect (c, 200, 30, 10, 200, 1.0f);
  g_assert_true (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_no_error (error);
  for (guint y = 0; y < RL_DIGIT_SIDE; y++)
    for (guint x = 0; x < RL_DIGIT_SIDE; x++)
      {
        gboolean inside = (x == 13 || x == 14) && y >= 4 && y < 24;

        g_assert_cmpfloat_with_epsilon (out[y * RL_DIGIT_SIDE + x], inside ? 0.5 : 0.0, 1e-6);
      }
}

static void
test_empty (void)
{
  g_autofree float *c = canvas_new ();
  float out[RL_DIGIT_PIXELS];
  g_autoptr(GError) error = NULL;

  g_assert_false (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);

  /* Noise below the ink threshold is still an empty drawing. */
  for (guint i = 0; i < CANVAS * CANVAS; i++)
    c[i] = 5e-4f;
  g_assert_false (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_EMPTY);
  g_clear_error (&error);

  g_assert_false (rl_preprocess_digit (c, 0, CANVAS, CANVAS, out, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_EMPTY);
}

/* One pixel is a 1×1 box scaled ×20: a centred 20×20 square, no NaN. */
static void
test_single_dot (void)
{
  g_autofree float *c = canvas_new ();
  float out[RL_DIGIT_PIXELS];
  g_autoptr(GError) error = NULL;
  Stats st;

  c[37 * CANVAS + 251] = 0.5f;
  g_assert_true (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < RL_DIGIT_PIXELS; i++)
    g_assert_true (isfinite (out[i]));
  stats_of (out, RL_DIGIT_SIDE, RL_DIGIT_SIDE, &st);
  g_assert_cmpfloat_with_epsilon (st.cx, 14.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (st.cy, 14.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (st.mass, 400 * 0.5, 1e-4);
  g_assert_cmpint (st.x0, ==, 4);
  g_assert_cmpint (st.x1, ==, 23);
  g_assert_cmpfloat_with_epsilon (out[14 * RL_DIGIT_SIDE + 14], 0.5, 1e-6);

  /* A 1×1 image whose only pixel is ink. */
  {
    float one = 1.0f;

    g_assert_true (rl_preprocess_digit (&one, 1, 1, 1, out, &error));
    g_assert_cmpfloat (out[14 * RL_DIGIT_SIDE + 14], ==, 1.0f);
  }
}

static void
test_non_finite (void)
{
  g_autofree float *c = canvas_new ();
  float out[RL_DIGIT_PIXELS];
  g_autoptr(GError) error = NULL;

  fill_rect (c, 50, 50, 40, 80, 1.0f);
  c[100 * CANVAS + 120] = NAN;
  g_assert_false (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_NUMERIC);
  g_assert_nonnull (strstr (error->message, "(120, 100)"));
  g_clear_error (&error);

  c[100 * CANVAS + 120] = INFINITY;
  g_assert_false (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, out, &error));
  g_assert_error (error, RL_ERROR, RL_ERROR_NUMERIC);
}

/* Same input, same bits; a padded stride with junk in the padding changes
 * nothing. */
static void
test_deterministic_stride (void)
{
  g_autofree float *c = canvas_new ();
  g_autofree float *wide = g_new (float, (CANVAS + 13) * CANVAS);
  float a[RL_DIGIT_PIXELS], b[RL_DIGIT_PIXELS], d[RL_DIGIT_PIXELS];

  fill_disc (c, 170.2, 201.7, 21.0);
  fill_rect (c, 120, 60, 12, 150, 0.8f);
  for (guint y = 0; y < CANVAS; y++)
    {
      memcpy (wide + y * (CANVAS + 13), c + y * CANVAS, CANVAS * sizeof (float));
      for (guint x = CANVAS; x < CANVAS + 13; x++)
        wide[y * (CANVAS + 13) + x] = 1.0f;
    }
  g_assert_true (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, a, NULL));
  g_assert_true (rl_preprocess_digit (c, CANVAS, CANVAS, CANVAS, b, NULL));
  g_assert_true (rl_preprocess_digit (wide, CANVAS, CANVAS, CANVAS + 13, d, NULL));
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_cmpmem (a, sizeof a, d, sizeof d);
}

/* Black on white and white on black give the same ink and the same digit. */
static void
test_polarity (void)
{
  g_autofree float *c = canvas_new ();
  g_autofree float *pos = canvas_new ();
  g_autofree float *neg = canvas_new ();
  float a[RL_DIGIT_PIXELS], b[RL_DIGIT_PIXELS];

  fill_disc (c, 140, 120, 50);
  fill_rect (c, 120, 60, 20, 160, 1.0f);
  for (guint i = 0; i < CANVAS * CANVAS; i++)
    {
      pos[i] = 1.0f - c[i];    /* black ink on white paper */
      neg[i] = c[i];           /* white ink on black */
    }
  rl_grey_to_ink (pos, CANVAS, CANVAS);
  rl_grey_to_ink (neg, CANVAS, CANVAS);
  for (guint i = 0; i < CANVAS * CANVAS; i++)
    {
      g_assert_cmpfloat_with_epsilon (pos[i], c[i], 1e-6);
      g_assert_cmpfloat_with_epsilon (neg[i], c[i], 1e-6);
    }
  g_assert_true (rl_preprocess_digit (pos, CANVAS, CANVAS, CANVAS, a, NULL));
  g_assert_true (rl_preprocess_digit (neg, CANVAS, CANVAS, CANVAS, b, NULL));
  for (guint i = 0; i < RL_DIGIT_PIXELS; i++)
    g_assert_cmpfloat_with_epsilon (a[i], b[i], 1e-5);
}

/* A grey background is stretched to 0: paper at 0.8 with ink at 0.0 and
 * 0.4, and a spot lighter than the paper. */
static void
test_background_stretch (void)
{
  float g[5 * 5];

  for (guint i = 0; i < G_N_ELEMENTS (g); i++)
    g[i] = 0.8f;
  g[2 * 5 + 2] = 0.0f;
  g[2 * 5 + 1] = 0.4f;
  g[1 * 5 + 1] = 0.95f;
  rl_grey_to_ink (g, 5, 5);
  g_assert_cmpfloat_with_epsilon (g[0], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[2 * 5 + 2], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[2 * 5 + 1], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[1 * 5 + 1], 0.0, 1e-6);

  /* Dark paper at 0.2: ink = (v − 0.2) / 0.8, darker spots → 0. */
  for (guint i = 0; i < G_N_ELEMENTS (g); i++)
    g[i] = 0.2f;
  g[12] = 0.6f;
  g[13] = 0.1f;
  rl_grey_to_ink (g, 5, 5);
  g_assert_cmpfloat_with_epsilon (g[0], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[12], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (g[13], 0.0, 1e-6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rl_core_init (0);

  g_test_add_func ("/preprocess/rectangle-exact", test_rectangle_exact);
  g_test_add_func ("/preprocess/disc-offcentre", test_disc_offcentre);
  g_test_add_func ("/preprocess/subpixel-shift", test_subpixel_shift);
  g_test_add_func ("/preprocess/empty", test_empty);
  g_test_add_func ("/preprocess/single-dot", test_single_dot);
  g_test_add_func ("/preprocess/non-finite", test_non_finite);
  g_test_add_func ("/preprocess/deterministic-stride", test_deterministic_stride);
  g_test_add_func ("/preprocess/polarity", test_polarity);
  g_test_add_func ("/preprocess/background-stretch", test_background_stretch);

  return g_test_run ();
}
