/*
 * The lane draw ree_rng_uniform_pos_gsl_lanes (rng_lanes.h): one uniform per lane of a lockstep
 * group, the same bits and stream positions as ree_rng_uniform_pos_gsl lane by lane.
 *
 * Most lane draws are the first of a stream the step has just re-keyed (ree_rng_select_kinds),
 * so each needs a whole Philox4x64-10 block. Those lanes' blocks are computed together: in the
 * x86-64-v4 build (CMakeLists.txt compiles this file a second time, like the lane hooks that call
 * it) by an AVX-512 Philox over eight lanes, one vector per counter and key word, whose 64x64->128
 * multiply is built from four vpmuludq plus a vpmullq for the low half (the kernel measured in
 * bench/spikes/philox/, p64x8_u32mullq, bit-identical to Random123's philox4x64); in the baseline
 * build by Random123's philox4x64 lane by lane. The rare cases stay on the scalar path: a lane
 * in the middle of its block, a zero 53-bit draw (GSL's retry), a generator of another type.
 */
#include "rng_lanes.h"

#include <stdint.h>
#include <Random123/philox.h>

#include "rng_priv.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>

/* Below this many fresh blocks the scalar path is as fast: one AVX-512 Philox costs about as
 * much as five scalar blocks (bench/spikes/philox/README.md: 48 ns for 8 lanes against 10 ns for
 * one block, throughput; 55 ns against 16 ns latency). */
#define MIN_FRESH 4

/* hi(a * M), *lo = lo(a * M) in every lane; m = M broadcast, mh = M >> 32 broadcast. The four
 * 32x32->64 partial products cannot carry out of 64 bits where they are added. */
static inline __attribute__((always_inline)) __m512i mulhilo(__m512i a, __m512i m, __m512i mh,
                                                             __m512i *lo)
{
    const __m512i low32 = _mm512_set1_epi64(0xffffffffll);
    __m512i ah = _mm512_srli_epi64(a, 32);
    __m512i ll = _mm512_mul_epu32(a, m);
    __m512i lh = _mm512_mul_epu32(a, mh);
    __m512i hl = _mm512_mul_epu32(ah, m);
    __m512i hh = _mm512_mul_epu32(ah, mh);
    __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));
    __m512i w = _mm512_add_epi64(lh, _mm512_and_si512(t, low32));
    *lo = _mm512_mullo_epi64(a, m);
    return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)),
                            _mm512_srli_epi64(w, 32));
}

/* Philox4x64-10 of the eight (c, k) pairs, lane l of every array one pair; the block into c
 * (k is only read). */
static void philox8(uint64_t c[4][REE_LANES], uint64_t k[2][REE_LANES])
{
    const __m512i m0 = _mm512_set1_epi64((long long)PHILOX_M4x64_0);
    const __m512i m1 = _mm512_set1_epi64((long long)PHILOX_M4x64_1);
    const __m512i mh0 = _mm512_set1_epi64((long long)(PHILOX_M4x64_0 >> 32));
    const __m512i mh1 = _mm512_set1_epi64((long long)(PHILOX_M4x64_1 >> 32));
    __m512i w0 = _mm512_set1_epi64((long long)PHILOX_W64_0);
    __m512i w1 = _mm512_set1_epi64((long long)PHILOX_W64_1);
    /* Keep the key schedule as ten adds of one constant: otherwise GCC folds k + r * W into a
     * fresh broadcast constant every round (the spike's PX_OPAQUE2). */
    __asm__("" : "+v"(w0), "+v"(w1));
    __m512i x0 = _mm512_loadu_si512(c[0]), x1 = _mm512_loadu_si512(c[1]);
    __m512i x2 = _mm512_loadu_si512(c[2]), x3 = _mm512_loadu_si512(c[3]);
    __m512i k0 = _mm512_loadu_si512(k[0]), k1 = _mm512_loadu_si512(k[1]);
#pragma GCC unroll 10
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 = _mm512_add_epi64(k0, w0);
            k1 = _mm512_add_epi64(k1, w1);
        }
        __m512i lo0, lo1;
        __m512i hi0 = mulhilo(x0, m0, mh0, &lo0);
        __m512i hi1 = mulhilo(x2, m1, mh1, &lo1);
        x0 = _mm512_ternarylogic_epi64(hi1, x1, k0, 0x96); /* three-way xor */
        x1 = lo1;
        x2 = _mm512_ternarylogic_epi64(hi0, x3, k1, 0x96);
        x3 = lo0;
    }
    _mm512_storeu_si512(c[0], x0);
    _mm512_storeu_si512(c[1], x1);
    _mm512_storeu_si512(c[2], x2);
    _mm512_storeu_si512(c[3], x3);
}

#else

/* Without AVX-512 a block costs the same on either path: every fresh lane takes this one, so
 * that the baseline build's lane tests check its bookkeeping too. */
#define MIN_FRESH 1

static void philox8(uint64_t c[4][REE_LANES], uint64_t k[2][REE_LANES])
{
    for (int l = 0; l < REE_LANES; l++) {
        philox4x64_ctr_t x = {{c[0][l], c[1][l], c[2][l], c[3][l]}};
        philox4x64_key_t y = {{k[0][l], k[1][l]}};
        x = philox4x64(x, y);
        for (int w = 0; w < 4; w++)
            c[w][l] = x.v[w];
    }
}

#endif

void ree_rng_uniform_pos_gsl_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u)
{
    philox_state *s[REE_LANES];
    unsigned fresh = 0;
    int nfresh = 0;
    for (int l = 0; l < REE_LANES; l++)
        if ((*mask)[l] != 0 && r[l]->type == ree_rng_philox) {
            s[l] = r[l]->state;
            if (s[l]->idx >= HALVES_PER_BLOCK) {
                fresh |= 1u << l;
                nfresh++;
            }
        }
    if (nfresh < MIN_FRESH) {
        for (int l = 0; l < REE_LANES; l++)
            if ((*mask)[l] != 0)
                (*u)[l] = ree_rng_uniform_pos_gsl(r[l]);
        return;
    }

    uint64_t c[4][REE_LANES] = {{0}}, k[2][REE_LANES] = {{0}};
    for (int l = 0; l < REE_LANES; l++)
        if (fresh & (1u << l)) {
            for (int w = 0; w < 4; w++)
                c[w][l] = s[l]->ctr.v[w];
            k[0][l] = s[l]->key.v[0];
            k[1][l] = s[l]->key.v[1];
        }
    philox8(c, k);
    for (int l = 0; l < REE_LANES; l++) {
        if (!(fresh & (1u << l))) {
            if ((*mask)[l] != 0)
                (*u)[l] = ree_rng_uniform_pos_gsl(r[l]);
            continue;
        }
        /* rng.c's compute_block, then the first two outputs (next53_direct) */
        for (int w = 0; w < 4; w++)
            s[l]->out.v[w] = c[w][l];
        s[l]->ctr.v[CTR_BLOCK]++;
        s[l]->idx = 2;
        uint64_t x = c[0][l];
        uint64_t j = ((x & 0xffffffffu) << 21) | ((x >> 32) >> 11);
        /* k = 0 (GSL's retry): the rest of the block and on, as the scalar loop would go */
        (*u)[l] = j != 0 ? (double)(int64_t)j * 0x1p-53 : ree_rng_uniform_pos_gsl(r[l]);
    }
}
