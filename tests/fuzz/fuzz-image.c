/* fuzz-image.c — libFuzzer target for image import (rl-image.c) and the
 * digit preprocessing that follows it (rl-preprocess.c).
 *
 * rl_image_load_grey reads a path, so each input is written to a memory
 * file first. GdkPixbuf and its loaders are not instrumented for coverage;
 * the seeds (tests/fuzz/corpus/image) give the fuzzer one small file of each
 * format to mutate. A decoded image must hold only grey levels in 0..1, and
 * preprocessing must give 784 finite values in 0..1 or a clear error. */
#include "fuzz-common.h"

#include <math.h>

#include "rl-image.h"
#include "rl-preprocess.h"

static FuzzFile input_file;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_common_init ();
  fuzz_file_init (&input_file, "fuzz-image-input");
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree float *grey = NULL;
  float out[RL_DIGIT_PIXELS];
  guint w = 0, h = 0;

  fuzz_file_set (&input_file, data, size);
  grey = rl_image_load_grey (input_file.path, &w, &h, &error);
  if (grey == NULL)
    {
      FUZZ_CHECK_ERROR (error);
      FUZZ_CHECK (w == 0 && h == 0, "failure with a size %u×%u", w, h);
      return 0;
    }

  FUZZ_CHECK (w >= 1 && h >= 1 && w <= RL_IMAGE_MAX_SIDE && h <= RL_IMAGE_MAX_SIDE,
              "image of %u×%u", w, h);
  for (gsize i = 0; i < (gsize) w * h; i++)
    FUZZ_CHECK (grey[i] >= 0.0f && grey[i] <= 1.0f, "grey level %zu is %g", (size_t) i, grey[i]);

  rl_grey_to_ink (grey, w, h);
  for (gsize i = 0; i < (gsize) w * h; i++)
    FUZZ_CHECK (grey[i] >= 0.0f && grey[i] <= 1.0f, "ink %zu is %g", (size_t) i, grey[i]);

  if (rl_preprocess_digit (grey, w, h, w, out, &error))
    {
      for (guint i = 0; i < RL_DIGIT_PIXELS; i++)
        FUZZ_CHECK (isfinite (out[i]) && out[i] >= 0.0f && out[i] <= 1.0f,
                    "input pixel %u is %g", i, out[i]);
    }
  else
    FUZZ_CHECK_ERROR (error);
  return 0;
}
