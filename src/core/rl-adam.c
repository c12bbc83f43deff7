/* rl-adam.c — the Adam(W) update of one parameter range, the trainer's
 * only pass over all ~1.5 M parameters per step.
 *
 * Its cost is the square root and the division per parameter, not memory:
 * timed on one core of our machines (AMD EPYC, Zen 4), 1,467,726
 * parameters took 0.88 ms four lanes at a time (SSE, the x86-64 baseline)
 * and 0.41–0.45 ms with the operands in cache, 0.53 ms from memory, eight
 * at a time (AVX2); sixteen (AVX-512) gained nothing more. So the update
 * runs eight lanes wide where the processor has AVX2 (asked once), four
 * otherwise, and one at a time for the tail and on other architectures.
 *
 * Every path does the same IEEE operations in the same order — no fused
 * multiply-add (neither the target nor ISO C mode allows contraction) —
 * so their results are bit-identical, whatever the width or the split. */

#include <math.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RL_ADAM_X86 1
#endif

#include "rl-trainer-private.h"

static inline void
adam_scalar (float *restrict w, float *restrict m, float *restrict v, const float *restrict g,
             gsize j, gsize len, float b1, float b2, float lr_t, float eps, float decay)
{
  for (; j < len; j++)
    {
      float gj = g[j];
      float mj = b1 * m[j] + (1.0f - b1) * gj;
      float vj = b2 * v[j] + (1.0f - b2) * (gj * gj);

      m[j] = mj;
      v[j] = vj;
      w[j] = w[j] * decay - lr_t * mj / (sqrtf (vj) + eps);
    }
}

#ifdef RL_ADAM_X86
static void
adam_sse (float *restrict w, float *restrict m, float *restrict v, const float *restrict g,
          gsize len, float b1, float b2, float lr_t, float eps, float decay)
{
  const __m128 vb1 = _mm_set1_ps (b1), vc1 = _mm_set1_ps (1.0f - b1);
  const __m128 vb2 = _mm_set1_ps (b2), vc2 = _mm_set1_ps (1.0f - b2);
  const __m128 vlr = _mm_set1_ps (lr_t), veps = _mm_set1_ps (eps);
  const __m128 vdec = _mm_set1_ps (decay);
  gsize j = 0;

  for (; j + 4 <= len; j += 4)
    {
      __m128 gj = _mm_loadu_ps (g + j);
      __m128 mj = _mm_add_ps (_mm_mul_ps (vb1, _mm_loadu_ps (m + j)), _mm_mul_ps (vc1, gj));
      __m128 vj = _mm_add_ps (_mm_mul_ps (vb2, _mm_loadu_ps (v + j)),
                              _mm_mul_ps (vc2, _mm_mul_ps (gj, gj)));
      __m128 step = _mm_div_ps (_mm_mul_ps (vlr, mj), _mm_add_ps (_mm_sqrt_ps (vj), veps));

      _mm_storeu_ps (m + j, mj);
      _mm_storeu_ps (v + j, vj);
      _mm_storeu_ps (w + j, _mm_sub_ps (_mm_mul_ps (_mm_loadu_ps (w + j), vdec), step));
    }
  adam_scalar (w, m, v, g, j, len, b1, b2, lr_t, eps, decay);
}

__attribute__ ((target ("avx2"))) static void
adam_avx2 (float *restrict w, float *restrict m, float *restrict v, const float *restrict g,
           gsize len, float b1, float b2, float lr_t, float eps, float decay)
{
  const __m256 vb1 = _mm256_set1_ps (b1), vc1 = _mm256_set1_ps (1.0f - b1);
  const __m256 vb2 = _mm256_set1_ps (b2), vc2 = _mm256_set1_ps (1.0f - b2);
  const __m256 vlr = _mm256_set1_ps (lr_t), veps = _mm256_set1_ps (eps);
  const __m256 vdec = _mm256_set1_ps (decay);
  gsize j = 0;

  for (; j + 8 <= len; j += 8)
    {
      __m256 gj = _mm256_loadu_ps (g + j);
      __m256 mj = _mm256_add_ps (_mm256_mul_ps (vb1, _mm256_loadu_ps (m + j)), _mm256_mul_ps (vc1, gj));
      __m256 vj = _mm256_add_ps (_mm256_mul_ps (vb2, _mm256_loadu_ps (v + j)),
                                 _mm256_mul_ps (vc2, _mm256_mul_ps (gj, gj)));
      __m256 step = _mm256_div_ps (_mm256_mul_ps (vlr, mj), _mm256_add_ps (_mm256_sqrt_ps (vj), veps));

      _mm256_storeu_ps (m + j, mj);
      _mm256_storeu_ps (v + j, vj);
      _mm256_storeu_ps (w + j, _mm256_sub_ps (_mm256_mul_ps (_mm256_loadu_ps (w + j), vdec), step));
    }
  adam_scalar (w, m, v, g, j, len, b1, b2, lr_t, eps, decay);
}

#endif

typedef void (*AdamFunc) (float *restrict, float *restrict, float *restrict, const float *restrict,
                          gsize, float, float, float, float, float);

static void
adam_plain (float *restrict w, float *restrict m, float *restrict v, const float *restrict g,
            gsize len, float b1, float b2, float lr_t, float eps, float decay)
{
  adam_scalar (w, m, v, g, 0, len, b1, b2, lr_t, eps, decay);
}

static AdamFunc forced;   /* set only by _rl_train_adam_select, from tests */

static AdamFunc
adam_pick (void)
{
  static gsize best;

  if (forced != NULL)
    return forced;
  if (g_once_init_enter (&best))
    {
      AdamFunc func = adam_plain;

#ifdef RL_ADAM_X86
      __builtin_cpu_init ();
      func = __builtin_cpu_supports ("avx2") ? adam_avx2 : adam_sse;
#endif
      g_once_init_leave (&best, (gsize) func);
    }
  return (AdamFunc) best;
}

gboolean
_rl_train_adam_select (const char *path)
{
  AdamFunc func = NULL;

  if (g_strcmp0 (path, "scalar") == 0)
    func = adam_plain;
#ifdef RL_ADAM_X86
  else if (g_strcmp0 (path, "sse") == 0)
    func = adam_sse;
  else if (g_strcmp0 (path, "avx2") == 0)
    {
      __builtin_cpu_init ();
      if (!__builtin_cpu_supports ("avx2"))
        return FALSE;
      func = adam_avx2;
    }
#endif
  else if (path != NULL)
    return FALSE;
  forced = func;
  return TRUE;
}

void
_rl_train_adam_update (float *restrict       w,
                       float *restrict       m,
                       float *restrict       v,
                       const float *restrict g,
                       gsize                 len,
                       float                 b1,
                       float                 b2,
                       float                 lr_t,
                       float                 eps,
                       float                 decay)
{
  adam_pick () (w, m, v, g, len, b1, b2, lr_t, eps, decay);
}
