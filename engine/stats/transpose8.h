/*
 * An 8 x 8 transpose of doubles in AVX-512 registers, shared by the statistics' block staging
 * (stats_block.c) and the column sort (sort_avx.c). Only for x86-64 under GCC or clang, inside
 * code that runs only where the processor has AVX-512 (checked at run time by the caller).
 */
#ifndef REESIM_TRANSPOSE8_H
#define REESIM_TRANSPOSE8_H

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* r[k] lane q becomes r[q] lane k, for q, k < 8: 24 shuffles. Only moves bits. */
__attribute__((target("avx512f"), always_inline)) static inline void
ree_transpose8_avx512(__m512d r[8])
{
    /* Immediates: an enum, since clang takes only integer constant expressions there. */
    enum { lo = _MM_SHUFFLE(2, 0, 2, 0), hi = _MM_SHUFFLE(3, 1, 3, 1) };
    __m512d t[8], u[4], v[4];
    for (int k = 0; k < 8; k += 2) {
        /* 128-bit lane q of t[k]: rows k, k + 1 of column 2q; of t[k + 1]: of column 2q + 1 */
        t[k] = _mm512_unpacklo_pd(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_pd(r[k], r[k + 1]);
    }
    for (int p = 0; p < 2; p++) { /* p = 0: the even columns, 1: the odd ones */
        /* u[2p + h]: rows 0-3 of columns p + 2h (128-bit lanes 0, 2) and p + 2h + 4 (lanes
         * 1, 3); v[2p + h]: their rows 4-7 */
        u[2 * p] = _mm512_shuffle_f64x2(t[p], t[2 + p], lo);
        u[2 * p + 1] = _mm512_shuffle_f64x2(t[p], t[2 + p], hi);
        v[2 * p] = _mm512_shuffle_f64x2(t[4 + p], t[6 + p], lo);
        v[2 * p + 1] = _mm512_shuffle_f64x2(t[4 + p], t[6 + p], hi);
    }
    for (int p = 0; p < 2; p++)
        for (int h = 0; h < 2; h++) {
            r[2 * h + p] = _mm512_shuffle_f64x2(u[2 * p + h], v[2 * p + h], lo);
            r[2 * h + p + 4] = _mm512_shuffle_f64x2(u[2 * p + h], v[2 * p + h], hi);
        }
}
#endif

#endif
