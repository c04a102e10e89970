/*
 * SIMD Philox kernels (measurement spike, not product code).
 *
 * Layout: structure of arrays, one vector per Philox word; lane l of every vector belongs to
 * the same (key, counter) pair. All kernels are meant to be bit-identical to Random123's
 * philox4x64 / philox4x32 (10 rounds); bench.c verifies that.
 *
 *   p64x8_<MUL>   AVX-512, 8 lanes of Philox4x64-10. MUL selects the 64x64->128 multiply:
 *     u32        four vpmuludq (32x32->64) partial products, carries by shifts/adds,
 *                low half assembled with one merge-masked vpshufd.
 *     u32mullq   as u32 for the high half, low half from vpmullq (AVX512DQ).
 *     ifma       52-bit limbs with AVX512-IFMA (vpmadd52luq/huq): 6 IFMA + 1 vpmuludq for the
 *                high half, 1 IFMA + shift + or for the low half.
 *     ifmamullq  as ifma for the high half, low half from vpmullq.
 *   p32x16        AVX-512, 16 lanes of Philox4x32-10 (two vpmuludq + two merge-masked vpshufd
 *                 per 16 mulhilo32).
 *   p64x8g<G>_<MUL>, p32x16g<G>: the same on G independent groups, interleaved per round.
 *   p64x4_avx2    AVX2 only, 4 lanes of Philox4x64-10 (u32 method, vpblendd, plain xors).
 */
#ifndef PHILOX_SIMD_H
#define PHILOX_SIMD_H

#include <immintrin.h>
#include <stdint.h>

#define PX_M64_0 0xD2E7470EE14C6C93ull
#define PX_M64_1 0xCA5A826395121157ull
#define PX_W64_0 0x9E3779B97F4A7C15ull
#define PX_W64_1 0xBB67AE8584CAA73Bull
#define PX_M32_0 0xD2511F53u
#define PX_M32_1 0xCD9E8D57u
#define PX_W32_0 0x9E3779B9u
#define PX_W32_1 0xBB67AE85u

#define PX_T512   "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma"
#define PX_INL512 static inline __attribute__((always_inline, target(PX_T512)))
#define PX_INL256 static inline __attribute__((always_inline, target("avx2")))

/* Hide the key-schedule increments from the optimiser: otherwise GCC reassociates
 * k + W + W + ... into k + (r*W) and materialises a fresh broadcast constant (movabs +
 * vpbroadcastq) for every round inside the hot loop. Non-volatile asm: still hoisted. */
#define PX_OPAQUE2(a, b) __asm__("" : "+v"(a), "+v"(b))

/* ---------- 64x64 -> 128 multiplies by a constant, 8 lanes ---------- */

/* hi(a*m), *lo = lo(a*m). m = broadcast M, mh = broadcast M>>32. */
PX_INL512 __m512i px_mh_u32(__m512i a, __m512i m, __m512i mh, __m512i *lo)
{
    const __m512i mask = _mm512_set1_epi64(0xffffffffll);
    __m512i ah = _mm512_srli_epi64(a, 32);
    __m512i ll = _mm512_mul_epu32(a, m);
    __m512i lh = _mm512_mul_epu32(a, mh);
    __m512i hl = _mm512_mul_epu32(ah, m);
    __m512i hh = _mm512_mul_epu32(ah, mh);
    __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32)); /* < 2^64, no carry out */
    __m512i w = _mm512_add_epi64(lh, _mm512_and_si512(t, mask)); /* < 2^64, no carry out */
    /* lo: dword 0 from ll, dword 1 = low dword of w */
    *lo = _mm512_mask_shuffle_epi32(ll, 0xAAAA, w, (_MM_PERM_ENUM)0xA0);
    return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)),
                            _mm512_srli_epi64(w, 32));
}

PX_INL512 __m512i px_mh_u32mullq(__m512i a, __m512i m, __m512i mh, __m512i *lo)
{
    const __m512i mask = _mm512_set1_epi64(0xffffffffll);
    __m512i ah = _mm512_srli_epi64(a, 32);
    __m512i ll = _mm512_mul_epu32(a, m);
    __m512i lh = _mm512_mul_epu32(a, mh);
    __m512i hl = _mm512_mul_epu32(ah, m);
    __m512i hh = _mm512_mul_epu32(ah, mh);
    __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));
    __m512i w = _mm512_add_epi64(lh, _mm512_and_si512(t, mask));
    *lo = _mm512_mullo_epi64(a, m);
    return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)),
                            _mm512_srli_epi64(w, 32));
}

/* IFMA: a = a0 + a1*2^52 (a0: low 52 bits, used implicitly by vpmadd52*, a1 = a>>52 < 2^12),
 * M = m0 + m1*2^52 (m = broadcast M, IFMA reads its low 52 bits; m52 = broadcast M>>52).
 * a*M = L00 + (H00 + L01 + L10)*2^52 + (H01 + H10 + a1*m1)*2^104 with Lxy/Hxy the low/high
 * 52 bits of ax*my. hi = (limb1 >> 12) + (limb2 << 40) exactly (limb0 < 2^52 cannot carry into
 * bit 64), lo = limb0 + (limb1 << 52) mod 2^64. */
PX_INL512 __m512i px_mh_ifma(__m512i a, __m512i m, __m512i m52, __m512i *lo)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i a1 = _mm512_srli_epi64(a, 52);
    __m512i l1 = _mm512_madd52hi_epu64(z, a, m);
    l1 = _mm512_madd52lo_epu64(l1, a, m52);
    l1 = _mm512_madd52lo_epu64(l1, a1, m);
    __m512i l2 = _mm512_mul_epu32(a1, m52); /* < 2^24 */
    l2 = _mm512_madd52hi_epu64(l2, a, m52);
    l2 = _mm512_madd52hi_epu64(l2, a1, m);
    __m512i l0 = _mm512_madd52lo_epu64(z, a, m);
    *lo = _mm512_or_si512(l0, _mm512_slli_epi64(l1, 52));
    return _mm512_add_epi64(_mm512_srli_epi64(l1, 12), _mm512_slli_epi64(l2, 40));
}

PX_INL512 __m512i px_mh_ifmamullq(__m512i a, __m512i m, __m512i m52, __m512i *lo)
{
    const __m512i z = _mm512_setzero_si512();
    __m512i a1 = _mm512_srli_epi64(a, 52);
    __m512i l1 = _mm512_madd52hi_epu64(z, a, m);
    l1 = _mm512_madd52lo_epu64(l1, a, m52);
    l1 = _mm512_madd52lo_epu64(l1, a1, m);
    __m512i l2 = _mm512_mul_epu32(a1, m52);
    l2 = _mm512_madd52hi_epu64(l2, a, m52);
    l2 = _mm512_madd52hi_epu64(l2, a1, m);
    *lo = _mm512_mullo_epi64(a, m);
    return _mm512_add_epi64(_mm512_srli_epi64(l1, 12), _mm512_slli_epi64(l2, 40));
}

/* second constant per multiplier: M>>32 for the u32 methods, M>>52 for the IFMA methods */
#define PX_AUX_u32       32
#define PX_AUX_u32mullq  32
#define PX_AUX_ifma      52
#define PX_AUX_ifmamullq 52

/* Philox4x64-10 on 8 lanes: c[4] counters in, out; k[2] keys (per lane). */
#define PX_DEF_P64X8(MUL)                                                                          \
    PX_INL512 void p64x8_##MUL(__m512i c[4], const __m512i k[2])                                   \
    {                                                                                              \
        const __m512i m0 = _mm512_set1_epi64((long long)PX_M64_0);                                 \
        const __m512i m1 = _mm512_set1_epi64((long long)PX_M64_1);                                 \
        const __m512i a0 = _mm512_set1_epi64((long long)(PX_M64_0 >> PX_AUX_##MUL));               \
        const __m512i a1 = _mm512_set1_epi64((long long)(PX_M64_1 >> PX_AUX_##MUL));               \
        __m512i w0 = _mm512_set1_epi64((long long)PX_W64_0);                                       \
        __m512i w1 = _mm512_set1_epi64((long long)PX_W64_1);                                       \
        PX_OPAQUE2(w0, w1);                                                                        \
        __m512i x0 = c[0], x1 = c[1], x2 = c[2], x3 = c[3], k0 = k[0], k1 = k[1];                  \
        _Pragma("GCC unroll 10") for (int r = 0; r < 10; r++)                                      \
        {                                                                                          \
            if (r) {                                                                               \
                k0 = _mm512_add_epi64(k0, w0);                                                     \
                k1 = _mm512_add_epi64(k1, w1);                                                     \
            }                                                                                      \
            __m512i lo0, lo1;                                                                      \
            __m512i hi0 = px_mh_##MUL(x0, m0, a0, &lo0);                                           \
            __m512i hi1 = px_mh_##MUL(x2, m1, a1, &lo1);                                           \
            x0 = _mm512_ternarylogic_epi64(hi1, x1, k0, 0x96);                                     \
            x1 = lo1;                                                                              \
            x2 = _mm512_ternarylogic_epi64(hi0, x3, k1, 0x96);                                     \
            x3 = lo0;                                                                              \
        }                                                                                          \
        c[0] = x0;                                                                                 \
        c[1] = x1;                                                                                 \
        c[2] = x2;                                                                                 \
        c[3] = x3;                                                                                 \
    }

PX_DEF_P64X8(u32)
PX_DEF_P64X8(u32mullq)
PX_DEF_P64X8(ifma)
PX_DEF_P64X8(ifmamullq)

/* ---------- Philox4x32-10 on 16 lanes ---------- */

/* m = M broadcast to every dword (vpmuludq reads the even dwords). */
PX_INL512 __m512i px_mh32(__m512i a, __m512i m, __m512i *lo)
{
    __m512i pe = _mm512_mul_epu32(a, m);                        /* lanes 0,2,4,... */
    __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m); /* lanes 1,3,5,... */
    *lo = _mm512_mask_shuffle_epi32(pe, 0xAAAA, po, (_MM_PERM_ENUM)0xA0);
    return _mm512_mask_shuffle_epi32(po, 0x5555, pe, (_MM_PERM_ENUM)0xF5);
}

PX_INL512 void p32x16(__m512i c[4], const __m512i k[2])
{
    const __m512i m0 = _mm512_set1_epi32((int)PX_M32_0);
    const __m512i m1 = _mm512_set1_epi32((int)PX_M32_1);
    __m512i w0 = _mm512_set1_epi32((int)PX_W32_0);
    __m512i w1 = _mm512_set1_epi32((int)PX_W32_1);
    PX_OPAQUE2(w0, w1);
    __m512i x0 = c[0], x1 = c[1], x2 = c[2], x3 = c[3], k0 = k[0], k1 = k[1];
    _Pragma("GCC unroll 10") for (int r = 0; r < 10; r++)
    {
        if (r) {
            k0 = _mm512_add_epi32(k0, w0);
            k1 = _mm512_add_epi32(k1, w1);
        }
        __m512i lo0, lo1;
        __m512i hi0 = px_mh32(x0, m0, &lo0);
        __m512i hi1 = px_mh32(x2, m1, &lo1);
        x0 = _mm512_ternarylogic_epi32(hi1, x1, k0, 0x96);
        x1 = lo1;
        x2 = _mm512_ternarylogic_epi32(hi0, x3, k1, 0x96);
        x3 = lo0;
    }
    c[0] = x0;
    c[1] = x1;
    c[2] = x2;
    c[3] = x3;
}

/* The same on G independent groups of 8 lanes, interleaved round by round so that the
 * out-of-order core sees G independent dependency chains close together in program order
 * (one 8-lane Philox4x64-10 is a ~160-cycle chain of ~330 instructions: more than the
 * scheduler can overlap across loop iterations on its own). */
#define PX_DEF_P64X8G(MUL, G)                                                                      \
    PX_INL512 void p64x8g##G##_##MUL(__m512i c[G][4], const __m512i k[G][2])                       \
    {                                                                                              \
        const __m512i m0 = _mm512_set1_epi64((long long)PX_M64_0);                                 \
        const __m512i m1 = _mm512_set1_epi64((long long)PX_M64_1);                                 \
        const __m512i a0 = _mm512_set1_epi64((long long)(PX_M64_0 >> PX_AUX_##MUL));               \
        const __m512i a1 = _mm512_set1_epi64((long long)(PX_M64_1 >> PX_AUX_##MUL));               \
        __m512i w0 = _mm512_set1_epi64((long long)PX_W64_0);                                       \
        __m512i w1 = _mm512_set1_epi64((long long)PX_W64_1);                                       \
        PX_OPAQUE2(w0, w1);                                                                        \
        __m512i x[G][4], kk[G][2];                                                                 \
        _Pragma("GCC unroll 8") for (int g = 0; g < G; g++)                                        \
        {                                                                                          \
            x[g][0] = c[g][0];                                                                     \
            x[g][1] = c[g][1];                                                                     \
            x[g][2] = c[g][2];                                                                     \
            x[g][3] = c[g][3];                                                                     \
            kk[g][0] = k[g][0];                                                                    \
            kk[g][1] = k[g][1];                                                                    \
        }                                                                                          \
        _Pragma("GCC unroll 10") for (int r = 0; r < 10; r++)                                      \
        {                                                                                          \
            _Pragma("GCC unroll 8") for (int g = 0; g < G; g++)                                    \
            {                                                                                      \
                if (r) {                                                                           \
                    kk[g][0] = _mm512_add_epi64(kk[g][0], w0);                                     \
                    kk[g][1] = _mm512_add_epi64(kk[g][1], w1);                                     \
                }                                                                                  \
                __m512i lo0, lo1;                                                                  \
                __m512i hi0 = px_mh_##MUL(x[g][0], m0, a0, &lo0);                                  \
                __m512i hi1 = px_mh_##MUL(x[g][2], m1, a1, &lo1);                                  \
                x[g][0] = _mm512_ternarylogic_epi64(hi1, x[g][1], kk[g][0], 0x96);                 \
                x[g][1] = lo1;                                                                     \
                x[g][2] = _mm512_ternarylogic_epi64(hi0, x[g][3], kk[g][1], 0x96);                 \
                x[g][3] = lo0;                                                                     \
            }                                                                                      \
        }                                                                                          \
        _Pragma("GCC unroll 8") for (int g = 0; g < G; g++)                                        \
        {                                                                                          \
            c[g][0] = x[g][0];                                                                     \
            c[g][1] = x[g][1];                                                                     \
            c[g][2] = x[g][2];                                                                     \
            c[g][3] = x[g][3];                                                                     \
        }                                                                                          \
    }

PX_DEF_P64X8G(u32, 2)
PX_DEF_P64X8G(u32mullq, 2)
PX_DEF_P64X8G(ifma, 2)
PX_DEF_P64X8G(ifmamullq, 2)
PX_DEF_P64X8G(u32, 4)
PX_DEF_P64X8G(u32mullq, 4)
PX_DEF_P64X8G(ifmamullq, 4)

/* Philox4x32-10 on G interleaved groups of 16 lanes. */
#define PX_DEF_P32X16G(G)                                                                          \
    PX_INL512 void p32x16g##G(__m512i c[G][4], const __m512i k[G][2])                              \
    {                                                                                              \
        const __m512i m0 = _mm512_set1_epi32((int)PX_M32_0);                                       \
        const __m512i m1 = _mm512_set1_epi32((int)PX_M32_1);                                       \
        __m512i w0 = _mm512_set1_epi32((int)PX_W32_0);                                             \
        __m512i w1 = _mm512_set1_epi32((int)PX_W32_1);                                             \
        PX_OPAQUE2(w0, w1);                                                                        \
        __m512i x[G][4], kk[G][2];                                                                 \
        _Pragma("GCC unroll 8") for (int g = 0; g < G; g++)                                        \
        {                                                                                          \
            x[g][0] = c[g][0];                                                                     \
            x[g][1] = c[g][1];                                                                     \
            x[g][2] = c[g][2];                                                                     \
            x[g][3] = c[g][3];                                                                     \
            kk[g][0] = k[g][0];                                                                    \
            kk[g][1] = k[g][1];                                                                    \
        }                                                                                          \
        _Pragma("GCC unroll 10") for (int r = 0; r < 10; r++)                                      \
        {                                                                                          \
            _Pragma("GCC unroll 8") for (int g = 0; g < G; g++)                                    \
            {                                                                                      \
                if (r) {                                                                           \
                    kk[g][0] = _mm512_add_epi32(kk[g][0], w0);                                     \
                    kk[g][1] = _mm512_add_epi32(kk[g][1], w1);                                     \
                }                                                                                  \
                __m512i lo0, lo1;                                                                  \
                __m512i hi0 = px_mh32(x[g][0], m0, &lo0);                                          \
                __m512i hi1 = px_mh32(x[g][2], m1, &lo1);                                          \
                x[g][0] = _mm512_ternarylogic_epi32(hi1, x[g][1], kk[g][0], 0x96);                 \
                x[g][1] = lo1;                                                                     \
                x[g][2] = _mm512_ternarylogic_epi32(hi0, x[g][3], kk[g][1], 0x96);                 \
                x[g][3] = lo0;                                                                     \
            }                                                                                      \
        }                                                                                          \
        _Pragma("GCC unroll 8") for (int g = 0; g < G; g++)                                        \
        {                                                                                          \
            c[g][0] = x[g][0];                                                                     \
            c[g][1] = x[g][1];                                                                     \
            c[g][2] = x[g][2];                                                                     \
            c[g][3] = x[g][3];                                                                     \
        }                                                                                          \
    }
PX_DEF_P32X16G(2)
PX_DEF_P32X16G(4)

/* ---------- AVX2 Philox4x64-10 on 4 lanes ---------- */

PX_INL256 __m256i px_mh_avx2(__m256i a, __m256i m, __m256i mh, __m256i *lo)
{
    const __m256i mask = _mm256_set1_epi64x(0xffffffffll);
    __m256i ah = _mm256_srli_epi64(a, 32);
    __m256i ll = _mm256_mul_epu32(a, m);
    __m256i lh = _mm256_mul_epu32(a, mh);
    __m256i hl = _mm256_mul_epu32(ah, m);
    __m256i hh = _mm256_mul_epu32(ah, mh);
    __m256i t = _mm256_add_epi64(hl, _mm256_srli_epi64(ll, 32));
    __m256i w = _mm256_add_epi64(lh, _mm256_and_si256(t, mask));
    *lo = _mm256_blend_epi32(ll, _mm256_slli_epi64(w, 32), 0xAA);
    return _mm256_add_epi64(_mm256_add_epi64(hh, _mm256_srli_epi64(t, 32)),
                            _mm256_srli_epi64(w, 32));
}

PX_INL256 void p64x4_avx2(__m256i c[4], const __m256i k[2])
{
    const __m256i m0 = _mm256_set1_epi64x((long long)PX_M64_0);
    const __m256i m1 = _mm256_set1_epi64x((long long)PX_M64_1);
    const __m256i a0 = _mm256_set1_epi64x((long long)(PX_M64_0 >> 32));
    const __m256i a1 = _mm256_set1_epi64x((long long)(PX_M64_1 >> 32));
    __m256i w0 = _mm256_set1_epi64x((long long)PX_W64_0);
    __m256i w1 = _mm256_set1_epi64x((long long)PX_W64_1);
    PX_OPAQUE2(w0, w1);
    __m256i x0 = c[0], x1 = c[1], x2 = c[2], x3 = c[3], k0 = k[0], k1 = k[1];
    _Pragma("GCC unroll 10") for (int r = 0; r < 10; r++)
    {
        if (r) {
            k0 = _mm256_add_epi64(k0, w0);
            k1 = _mm256_add_epi64(k1, w1);
        }
        __m256i lo0, lo1;
        __m256i hi0 = px_mh_avx2(x0, m0, a0, &lo0);
        __m256i hi1 = px_mh_avx2(x2, m1, a1, &lo1);
        x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), k0);
        x1 = lo1;
        x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), k1);
        x3 = lo0;
    }
    c[0] = x0;
    c[1] = x1;
    c[2] = x2;
    c[3] = x3;
}

#endif
