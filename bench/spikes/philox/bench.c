/*
 * Philox4x64-10 / Philox4x32-10: scalar (Random123) vs AVX-512 / AVX2 lanes.
 * Verification against Random123, then interleaved timing. See README.md.
 *
 * Build: gcc -O2 -ffp-contract=off -Wall -Wextra -o bench bench.c -lm
 * (the SIMD code carries its own __attribute__((target(...))); the scalar code is compiled for
 * the default x86-64 target, as reesim's rng.c is.)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Random123/philox.h>

#include "philox_simd.h"

#define T512 __attribute__((noinline, target(PX_T512)))
#define T256 __attribute__((noinline, target("avx2")))

static uint64_t sm_state = 0x0123456789abcdefull;
static uint64_t splitmix64(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ======================= verification wrappers ======================= */

typedef void (*v64fn)(uint64_t c[4][8], uint64_t k[2][8]);
typedef void (*v32fn)(uint32_t c[4][16], uint32_t k[2][16]);

#define DEF_W64(MUL)                                                                               \
    T512 static void w64_##MUL(uint64_t c[4][8], uint64_t k[2][8])                                 \
    {                                                                                              \
        __m512i v[4], kk[2];                                                                       \
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) v[w] = _mm512_loadu_si512(c[w]);       \
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) kk[w] = _mm512_loadu_si512(k[w]);      \
        p64x8_##MUL(v, kk);                                                                        \
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) _mm512_storeu_si512(c[w], v[w]);       \
    }
DEF_W64(u32)
DEF_W64(u32mullq)
DEF_W64(ifma)
DEF_W64(ifmamullq)

T256 static void w64_avx2(uint64_t c[4][8], uint64_t k[2][8])
{
    for (int h = 0; h < 8; h += 4) {
        __m256i v[4], kk[2];
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) v[w] =
            _mm256_loadu_si256((const __m256i *)&c[w][h]);
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) kk[w] =
            _mm256_loadu_si256((const __m256i *)&k[w][h]);
        p64x4_avx2(v, kk);
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++)
            _mm256_storeu_si256((__m256i *)&c[w][h], v[w]);
    }
}

T512 static void w32_avx512(uint32_t c[4][16], uint32_t k[2][16])
{
    __m512i v[4], kk[2];
    _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) v[w] = _mm512_loadu_si512(c[w]);
    _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) kk[w] = _mm512_loadu_si512(k[w]);
    p32x16(v, kk);
    _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) _mm512_storeu_si512(c[w], v[w]);
}

/* Check one batch of 8 lanes; returns mismatching lanes. */
static long check64(v64fn f, uint64_t c[4][8], uint64_t k[2][8], const char *name)
{
    philox4x64_ctr_t ref[8];
    for (int l = 0; l < 8; l++) {
        philox4x64_ctr_t cc = {{c[0][l], c[1][l], c[2][l], c[3][l]}};
        philox4x64_key_t kk = {{k[0][l], k[1][l]}};
        ref[l] = philox4x64(cc, kk);
    }
    uint64_t in[4][8];
    memcpy(in, c, sizeof in);
    f(c, k);
    long bad = 0;
    for (int l = 0; l < 8; l++) {
        int ok = 1;
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) ok &= c[w][l] == ref[l].v[w];
        if (!ok) {
            if (bad == 0)
                fprintf(stderr,
                        "%s MISMATCH ctr %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64
                        " key %016" PRIx64 " %016" PRIx64 "\n",
                        name, in[0][l], in[1][l], in[2][l], in[3][l], k[0][l], k[1][l]);
            bad++;
        }
    }
    return bad;
}

static long check32(v32fn f, uint32_t c[4][16], uint32_t k[2][16])
{
    philox4x32_ctr_t ref[16];
    for (int l = 0; l < 16; l++) {
        philox4x32_ctr_t cc = {{c[0][l], c[1][l], c[2][l], c[3][l]}};
        philox4x32_key_t kk = {{k[0][l], k[1][l]}};
        ref[l] = philox4x32(cc, kk);
    }
    f(c, k);
    long bad = 0;
    for (int l = 0; l < 16; l++) {
        int ok = 1;
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) ok &= c[w][l] == ref[l].v[w];
        bad += !ok;
    }
    return bad;
}

static const uint64_t edge64[8] = {0,
                                   1,
                                   0xffffffffull,
                                   0x100000000ull,
                                   0x7fffffffffffffffull,
                                   0x8000000000000000ull,
                                   0xfffffffffffffffeull,
                                   ~0ull};
static const uint32_t edge32[8] = {0,           1,           0xffffu,     0x10000u,
                                   0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};

static int verify64(v64fn f, const char *name)
{
    long nrand = 0, brand = 0, nedge = 0, bedge = 0, nree = 0, bree = 0;
    uint64_t c[4][8], k[2][8];
    /* 1) random key/counter pairs: 2^20 = 1048576 blocks */
    for (int it = 0; it < (1 << 20) / 8; it++) {
        for (int l = 0; l < 8; l++) {
            _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[w][l] = splitmix64();
            _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[w][l] = splitmix64();
        }
        brand += check64(f, c, k, name);
        nrand += 8;
    }
    /* 2) every combination of 8 edge values in the 6 words: 8^6 = 262144 blocks */
    int l = 0;
    for (int idx = 0; idx < 262144; idx++) {
        int t = idx;
        for (int w = 0; w < 4; w++, t >>= 3)
            c[w][l] = edge64[t & 7];
        for (int w = 0; w < 2; w++, t >>= 3)
            k[w][l] = edge64[t & 7];
        if (++l == 8) {
            bedge += check64(f, c, k, name);
            nedge += 8;
            l = 0;
        }
    }
    /* 3) reesim's layout, 8 runs in lockstep: key {seed, entity hash}, counter {run,
     *    kind | (step+1)<<8, block, 0}, block 0 and 1. 4 seeds x 500 entities x 120 steps. */
    for (uint64_t seed = 1; seed <= 4; seed++)
        for (uint64_t e = 0; e < 500; e++)
            for (uint64_t step = 0; step < 120; step++)
                for (uint64_t blk = 0; blk < 2; blk++) {
                    for (int r = 0; r < 8; r++) {
                        k[0][r] = seed;
                        k[1][r] = mix(e * 0x100000001b3ull + 0xcbf29ce484222325ull);
                        c[0][r] = (uint64_t)r;
                        c[1][r] = 7u | (uint32_t)((step + 1) << 8);
                        c[2][r] = blk;
                        c[3][r] = 0;
                    }
                    bree += check64(f, c, k, name);
                    nree += 8;
                }
    printf("verify %-22s random %ld/%ld edge %ld/%ld reesim-layout %ld/%ld mismatching -> %s\n",
           name, brand, nrand, bedge, nedge, bree, nree,
           (brand | bedge | bree) ? "FAIL" : "bit-identical");
    return (brand | bedge | bree) != 0;
}

static int verify32(v32fn f, const char *name)
{
    long nrand = 0, brand = 0, nedge = 0, bedge = 0;
    uint32_t c[4][16], k[2][16];
    for (int it = 0; it < (1 << 20) / 16; it++) {
        for (int l = 0; l < 16; l++) {
            _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[w][l] = (uint32_t)splitmix64();
            _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[w][l] =
                (uint32_t)(splitmix64() >> 17);
        }
        brand += check32(f, c, k);
        nrand += 16;
    }
    int l = 0;
    for (int idx = 0; idx < 262144; idx++) {
        int t = idx;
        for (int w = 0; w < 4; w++, t >>= 3)
            c[w][l] = edge32[t & 7];
        for (int w = 0; w < 2; w++, t >>= 3)
            k[w][l] = edge32[t & 7];
        if (++l == 16) {
            bedge += check32(f, c, k);
            nedge += 16;
            l = 0;
        }
    }
    printf("verify %-22s random %ld/%ld edge %ld/%ld mismatching -> %s\n", name, brand, nrand,
           bedge, nedge, (brand | bedge) ? "FAIL" : "bit-identical");
    return (brand | bedge) != 0;
}

/* ======================= benchmark loops ======================= */
/* Block j of a run uses ctr[w] = c0[w] + j*dc[w], key[w] = k0[w] + j*dk[w]: every word of
 * every block differs, nothing is loop-invariant. Vector lane l of iteration i is block
 * j = LANES*i + l, so scalar and vector loops cover the same blocks and must return the same
 * checksum (sum of w0^w1^w2^w3 per block, or sum of the bit patterns of the doubles). */

typedef struct {
    uint64_t c0[4], k0[2], dc[4], dk[2];
} gen64;
typedef struct {
    uint32_t c0[4], k0[2], dc[4], dk[2];
} gen32;

/* -- scalar 4x64 -- */
__attribute__((noinline)) static uint64_t s64_block(uint64_t n, const void *vg)
{
    const gen64 *g = vg;
    philox4x64_ctr_t c = {{g->c0[0], g->c0[1], g->c0[2], g->c0[3]}};
    philox4x64_key_t k = {{g->k0[0], g->k0[1]}};
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        philox4x64_ctr_t o = philox4x64(c, k);
        acc += o.v[0] ^ o.v[1] ^ o.v[2] ^ o.v[3];
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c.v[w] += g->dc[w];
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k.v[w] += g->dk[w];
    }
    return acc;
}

/* rng.h recipe: x0 = low half, x1 = high half, k = x0*2^21 + (x1 >> 11), u = k / 2^53 */
static inline double u53_of_word(uint64_t w)
{
    uint64_t k = ((w & 0xffffffffu) << 21) | ((w >> 32) >> 11);
    return (double)(int64_t)k * 0x1p-53;
}

__attribute__((noinline)) static uint64_t s64_dbl(uint64_t n, const void *vg)
{
    const gen64 *g = vg;
    philox4x64_ctr_t c = {{g->c0[0], g->c0[1], g->c0[2], g->c0[3]}};
    philox4x64_key_t k = {{g->k0[0], g->k0[1]}};
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        philox4x64_ctr_t o = philox4x64(c, k);
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) acc += dbits(u53_of_word(o.v[w]));
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c.v[w] += g->dc[w];
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k.v[w] += g->dk[w];
    }
    return acc;
}

/* latency: the next block's counter is this block's output (key fixed) */
__attribute__((noinline)) static uint64_t s64_lat(uint64_t n, const void *vg)
{
    const gen64 *g = vg;
    philox4x64_ctr_t c = {{g->c0[0], g->c0[1], g->c0[2], g->c0[3]}};
    philox4x64_key_t k = {{g->k0[0], g->k0[1]}};
    for (uint64_t i = 0; i < n; i++)
        c = philox4x64(c, k);
    return c.v[0] ^ c.v[1] ^ c.v[2] ^ c.v[3];
}

/* -- AVX-512 4x64, 8 lanes -- */
/* lanes of this vector are blocks off + l (l = 0..7) of iteration 0; per iteration the loop
 * advances by `step` blocks */
PX_INL512 void init64x8(const gen64 *g, int off, int step, __m512i c[4], __m512i k[2],
                        __m512i dc[4], __m512i dk[2])
{
    const __m512i lane =
        _mm512_add_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi64(off));
    _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++)
    {
        c[w] = _mm512_add_epi64(_mm512_set1_epi64((long long)g->c0[w]),
                                _mm512_mullo_epi64(lane, _mm512_set1_epi64((long long)g->dc[w])));
        dc[w] = _mm512_set1_epi64((long long)((uint64_t)step * g->dc[w]));
    }
    _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++)
    {
        k[w] = _mm512_add_epi64(_mm512_set1_epi64((long long)g->k0[w]),
                                _mm512_mullo_epi64(lane, _mm512_set1_epi64((long long)g->dk[w])));
        dk[w] = _mm512_set1_epi64((long long)((uint64_t)step * g->dk[w]));
    }
}

PX_INL512 __m512i u53x8(__m512i w)
{
    /* rotate by 32 puts x0 on top, x1 below: >> 11 gives x0*2^21 + (x1 >> 11) */
    __m512i kk = _mm512_srli_epi64(_mm512_ror_epi64(w, 32), 11);
    return _mm512_castpd_si512(_mm512_mul_pd(_mm512_cvtepi64_pd(kk), _mm512_set1_pd(0x1p-53)));
}

#define DEF_L64(MUL)                                                                               \
    T512 static uint64_t v64_block_##MUL(uint64_t n, const void *vg)                               \
    {                                                                                              \
        __m512i c[4], k[2], dc[4], dk[2], acc = _mm512_setzero_si512();                            \
        init64x8(vg, 0, 8, c, k, dc, dk);                                                          \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            __m512i o[4] = {c[0], c[1], c[2], c[3]};                                               \
            p64x8_##MUL(o, k);                                                                     \
            acc = _mm512_add_epi64(                                                                \
                acc, _mm512_xor_si512(_mm512_ternarylogic_epi64(o[0], o[1], o[2], 0x96), o[3]));   \
            _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[w] =                             \
                _mm512_add_epi64(c[w], dc[w]);                                                     \
            _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[w] =                             \
                _mm512_add_epi64(k[w], dk[w]);                                                     \
        }                                                                                          \
        return (uint64_t)_mm512_reduce_add_epi64(acc);                                             \
    }                                                                                              \
    T512 static uint64_t v64_dbl_##MUL(uint64_t n, const void *vg)                                 \
    {                                                                                              \
        __m512i c[4], k[2], dc[4], dk[2], acc = _mm512_setzero_si512();                            \
        init64x8(vg, 0, 8, c, k, dc, dk);                                                          \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            __m512i o[4] = {c[0], c[1], c[2], c[3]};                                               \
            p64x8_##MUL(o, k);                                                                     \
            _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) acc =                              \
                _mm512_add_epi64(acc, u53x8(o[w]));                                                \
            _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[w] =                             \
                _mm512_add_epi64(c[w], dc[w]);                                                     \
            _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[w] =                             \
                _mm512_add_epi64(k[w], dk[w]);                                                     \
        }                                                                                          \
        return (uint64_t)_mm512_reduce_add_epi64(acc);                                             \
    }                                                                                              \
    T512 static uint64_t v64_lat_##MUL(uint64_t n, const void *vg)                                 \
    {                                                                                              \
        __m512i c[4], k[2], dc[4], dk[2];                                                          \
        init64x8(vg, 0, 8, c, k, dc, dk);                                                          \
        for (uint64_t i = 0; i < n; i++)                                                           \
            p64x8_##MUL(c, k);                                                                     \
        /* lane 0 follows the same chain as s64_lat */                                             \
        return (uint64_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(                                 \
            _mm512_ternarylogic_epi64(_mm512_xor_si512(c[0], c[1]), c[2], c[3], 0x96)));           \
    }
DEF_L64(u32)
DEF_L64(u32mullq)
DEF_L64(ifma)
DEF_L64(ifmamullq)

/* G interleaved groups of 8 lanes: iteration i, group gi, lane l is block 8*G*i + 8*gi + l */
#define DEF_LG64(MUL, G)                                                                           \
    T512 static uint64_t v64_block_g##G##_##MUL(uint64_t n, const void *vg)                        \
    {                                                                                              \
        __m512i c[G][4], k[G][2], dc[4], dk[2], acc = _mm512_setzero_si512();                      \
        _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                     \
            init64x8(vg, 8 * gi, 8 * G, c[gi], k[gi], dc, dk);                                     \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            __m512i o[G][4];                                                                       \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) o[gi][w] = c[gi][w];           \
            p64x8g##G##_##MUL(o, (const __m512i(*)[2])k);                                          \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
            {                                                                                      \
                acc = _mm512_add_epi64(                                                            \
                    acc,                                                                           \
                    _mm512_xor_si512(                                                              \
                        _mm512_ternarylogic_epi64(o[gi][0], o[gi][1], o[gi][2], 0x96), o[gi][3])); \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[gi][w] =                     \
                    _mm512_add_epi64(c[gi][w], dc[w]);                                             \
                _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[gi][w] =                     \
                    _mm512_add_epi64(k[gi][w], dk[w]);                                             \
            }                                                                                      \
        }                                                                                          \
        return (uint64_t)_mm512_reduce_add_epi64(acc);                                             \
    }                                                                                              \
    T512 static uint64_t v64_dbl_g##G##_##MUL(uint64_t n, const void *vg)                          \
    {                                                                                              \
        __m512i c[G][4], k[G][2], dc[4], dk[2], acc = _mm512_setzero_si512();                      \
        _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                     \
            init64x8(vg, 8 * gi, 8 * G, c[gi], k[gi], dc, dk);                                     \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            __m512i o[G][4];                                                                       \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) o[gi][w] = c[gi][w];           \
            p64x8g##G##_##MUL(o, (const __m512i(*)[2])k);                                          \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
            {                                                                                      \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) acc =                          \
                    _mm512_add_epi64(acc, u53x8(o[gi][w]));                                        \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[gi][w] =                     \
                    _mm512_add_epi64(c[gi][w], dc[w]);                                             \
                _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[gi][w] =                     \
                    _mm512_add_epi64(k[gi][w], dk[w]);                                             \
            }                                                                                      \
        }                                                                                          \
        return (uint64_t)_mm512_reduce_add_epi64(acc);                                             \
    }
DEF_LG64(u32, 2)
DEF_LG64(u32mullq, 2)
DEF_LG64(ifma, 2)
DEF_LG64(ifmamullq, 2)
DEF_LG64(u32, 4)
DEF_LG64(u32mullq, 4)
DEF_LG64(ifmamullq, 4)

/* Verification of the grouped kernels: group gi gets the 8 input lanes rotated by 3*gi, every
 * group's result is rotated back and must equal group 0's (else the output is corrupted so
 * that check64 fails); group 0's result is returned for the comparison with Random123. */
#define DEF_WG64(MUL, G)                                                                           \
    T512 static void w64g##G##_##MUL(uint64_t c[4][8], uint64_t k[2][8])                           \
    {                                                                                              \
        const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);                             \
        __m512i v[G][4], kk[G][2];                                                                 \
        for (int gi = 0; gi < G; gi++) {                                                           \
            __m512i fw = _mm512_and_si512(_mm512_add_epi64(lane, _mm512_set1_epi64(3 * gi)),       \
                                          _mm512_set1_epi64(7));                                   \
            for (int w = 0; w < 4; w++)                                                            \
                v[gi][w] = _mm512_permutexvar_epi64(fw, _mm512_loadu_si512(c[w]));                 \
            for (int w = 0; w < 2; w++)                                                            \
                kk[gi][w] = _mm512_permutexvar_epi64(fw, _mm512_loadu_si512(k[w]));                \
        }                                                                                          \
        p64x8g##G##_##MUL(v, (const __m512i(*)[2])kk);                                             \
        __mmask8 bad = 0;                                                                          \
        for (int gi = 1; gi < G; gi++) {                                                           \
            __m512i bw = _mm512_and_si512(_mm512_add_epi64(lane, _mm512_set1_epi64(8 - 3 * gi)),   \
                                          _mm512_set1_epi64(7));                                   \
            for (int w = 0; w < 4; w++)                                                            \
                bad |= _mm512_cmpneq_epi64_mask(_mm512_permutexvar_epi64(bw, v[gi][w]), v[0][w]);  \
        }                                                                                          \
        for (int w = 0; w < 4; w++)                                                                \
            _mm512_storeu_si512(                                                                   \
                c[w], _mm512_mask_xor_epi64(v[0][w], bad, v[0][w], _mm512_set1_epi64(-1)));        \
    }
DEF_WG64(u32, 2)
DEF_WG64(u32mullq, 2)
DEF_WG64(ifma, 2)
DEF_WG64(ifmamullq, 2)
DEF_WG64(u32, 4)
DEF_WG64(u32mullq, 4)
DEF_WG64(ifmamullq, 4)

/* -- AVX2 4x64, 4 lanes -- */
T256 static uint64_t a64_block(uint64_t n, const void *vg)
{
    const gen64 *g = vg;
    __m256i c[4], k[2], dc[4], dk[2], acc = _mm256_setzero_si256();
    _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++)
    {
        c[w] = _mm256_set_epi64x((long long)(g->c0[w] + 3 * g->dc[w]),
                                 (long long)(g->c0[w] + 2 * g->dc[w]),
                                 (long long)(g->c0[w] + g->dc[w]), (long long)g->c0[w]);
        dc[w] = _mm256_set1_epi64x((long long)(4 * g->dc[w]));
    }
    _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++)
    {
        k[w] = _mm256_set_epi64x((long long)(g->k0[w] + 3 * g->dk[w]),
                                 (long long)(g->k0[w] + 2 * g->dk[w]),
                                 (long long)(g->k0[w] + g->dk[w]), (long long)g->k0[w]);
        dk[w] = _mm256_set1_epi64x((long long)(4 * g->dk[w]));
    }
    for (uint64_t i = 0; i < n; i++) {
        __m256i o[4] = {c[0], c[1], c[2], c[3]};
        p64x4_avx2(o, k);
        acc = _mm256_add_epi64(
            acc, _mm256_xor_si256(_mm256_xor_si256(o[0], o[1]), _mm256_xor_si256(o[2], o[3])));
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[w] = _mm256_add_epi64(c[w], dc[w]);
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[w] = _mm256_add_epi64(k[w], dk[w]);
    }
    uint64_t a[4];
    _mm256_storeu_si256((__m256i *)a, acc);
    return a[0] + a[1] + a[2] + a[3];
}

/* -- scalar 4x32 -- */
__attribute__((noinline)) static uint64_t s32_block(uint64_t n, const void *vg)
{
    const gen32 *g = vg;
    philox4x32_ctr_t c = {{g->c0[0], g->c0[1], g->c0[2], g->c0[3]}};
    philox4x32_key_t k = {{g->k0[0], g->k0[1]}};
    uint32_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        philox4x32_ctr_t o = philox4x32(c, k);
        acc += o.v[0] ^ o.v[1] ^ o.v[2] ^ o.v[3];
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c.v[w] += g->dc[w];
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k.v[w] += g->dk[w];
    }
    return acc;
}

static inline double u53_of_pair(uint32_t x0, uint32_t x1)
{
    uint64_t k = ((uint64_t)x0 << 21) | (x1 >> 11);
    return (double)(int64_t)k * 0x1p-53;
}

__attribute__((noinline)) static uint64_t s32_dbl(uint64_t n, const void *vg)
{
    const gen32 *g = vg;
    philox4x32_ctr_t c = {{g->c0[0], g->c0[1], g->c0[2], g->c0[3]}};
    philox4x32_key_t k = {{g->k0[0], g->k0[1]}};
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        philox4x32_ctr_t o = philox4x32(c, k);
        acc += dbits(u53_of_pair(o.v[0], o.v[1]));
        acc += dbits(u53_of_pair(o.v[2], o.v[3]));
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c.v[w] += g->dc[w];
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k.v[w] += g->dk[w];
    }
    return acc;
}

__attribute__((noinline)) static uint64_t s32_lat(uint64_t n, const void *vg)
{
    const gen32 *g = vg;
    philox4x32_ctr_t c = {{g->c0[0], g->c0[1], g->c0[2], g->c0[3]}};
    philox4x32_key_t k = {{g->k0[0], g->k0[1]}};
    for (uint64_t i = 0; i < n; i++)
        c = philox4x32(c, k);
    return c.v[0] ^ c.v[1] ^ c.v[2] ^ c.v[3];
}

/* -- AVX-512 4x32, 16 lanes -- */
PX_INL512 void init32x16(const gen32 *g, int off, int step, __m512i c[4], __m512i k[2],
                         __m512i dc[4], __m512i dk[2])
{
    const __m512i lane =
        _mm512_add_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                         _mm512_set1_epi32(off));
    _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++)
    {
        c[w] = _mm512_add_epi32(_mm512_set1_epi32((int)g->c0[w]),
                                _mm512_mullo_epi32(lane, _mm512_set1_epi32((int)g->dc[w])));
        dc[w] = _mm512_set1_epi32((int)((uint32_t)step * g->dc[w]));
    }
    _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++)
    {
        k[w] = _mm512_add_epi32(_mm512_set1_epi32((int)g->k0[w]),
                                _mm512_mullo_epi32(lane, _mm512_set1_epi32((int)g->dk[w])));
        dk[w] = _mm512_set1_epi32((int)((uint32_t)step * g->dk[w]));
    }
}

T512 static uint64_t v32_block(uint64_t n, const void *vg)
{
    __m512i c[4], k[2], dc[4], dk[2], acc = _mm512_setzero_si512();
    init32x16(vg, 0, 16, c, k, dc, dk);
    for (uint64_t i = 0; i < n; i++) {
        __m512i o[4] = {c[0], c[1], c[2], c[3]};
        p32x16(o, k);
        acc = _mm512_add_epi32(
            acc, _mm512_xor_si512(_mm512_ternarylogic_epi32(o[0], o[1], o[2], 0x96), o[3]));
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[w] = _mm512_add_epi32(c[w], dc[w]);
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[w] = _mm512_add_epi32(k[w], dk[w]);
    }
    return (uint32_t)_mm512_reduce_add_epi32(acc);
}

/* two doubles per lane: (x0,x1) and (x2,x3). vpunpck{l,h}dq(x1, x0) makes qwords x0:x1 (lanes
 * permuted within 128-bit chunks, a fixed known permutation), >> 11 = x0*2^21 + (x1 >> 11). */
PX_INL512 __m512i u53x16pair(__m512i x0, __m512i x1)
{
    const __m512d s = _mm512_set1_pd(0x1p-53);
    __m512i a = _mm512_srli_epi64(_mm512_unpacklo_epi32(x1, x0), 11);
    __m512i b = _mm512_srli_epi64(_mm512_unpackhi_epi32(x1, x0), 11);
    __m512i da = _mm512_castpd_si512(_mm512_mul_pd(_mm512_cvtepi64_pd(a), s));
    __m512i db = _mm512_castpd_si512(_mm512_mul_pd(_mm512_cvtepi64_pd(b), s));
    return _mm512_add_epi64(da, db);
}

T512 static uint64_t v32_dbl(uint64_t n, const void *vg)
{
    __m512i c[4], k[2], dc[4], dk[2], acc = _mm512_setzero_si512();
    init32x16(vg, 0, 16, c, k, dc, dk);
    for (uint64_t i = 0; i < n; i++) {
        __m512i o[4] = {c[0], c[1], c[2], c[3]};
        p32x16(o, k);
        acc = _mm512_add_epi64(acc, u53x16pair(o[0], o[1]));
        acc = _mm512_add_epi64(acc, u53x16pair(o[2], o[3]));
        _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[w] = _mm512_add_epi32(c[w], dc[w]);
        _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[w] = _mm512_add_epi32(k[w], dk[w]);
    }
    return (uint64_t)_mm512_reduce_add_epi64(acc);
}

T512 static uint64_t v32_lat(uint64_t n, const void *vg)
{
    __m512i c[4], k[2], dc[4], dk[2];
    init32x16(vg, 0, 16, c, k, dc, dk);
    for (uint64_t i = 0; i < n; i++)
        p32x16(c, k);
    return (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(
        _mm512_ternarylogic_epi32(_mm512_xor_si512(c[0], c[1]), c[2], c[3], 0x96)));
}

#define DEF_LG32(G)                                                                                \
    T512 static uint64_t v32_block_g##G(uint64_t n, const void *vg)                                \
    {                                                                                              \
        __m512i c[G][4], k[G][2], dc[4], dk[2], acc = _mm512_setzero_si512();                      \
        _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                     \
            init32x16(vg, 16 * gi, 16 * G, c[gi], k[gi], dc, dk);                                  \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            __m512i o[G][4];                                                                       \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) o[gi][w] = c[gi][w];           \
            p32x16g##G(o, (const __m512i(*)[2])k);                                                 \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
            {                                                                                      \
                acc = _mm512_add_epi32(                                                            \
                    acc,                                                                           \
                    _mm512_xor_si512(                                                              \
                        _mm512_ternarylogic_epi32(o[gi][0], o[gi][1], o[gi][2], 0x96), o[gi][3])); \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[gi][w] =                     \
                    _mm512_add_epi32(c[gi][w], dc[w]);                                             \
                _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[gi][w] =                     \
                    _mm512_add_epi32(k[gi][w], dk[w]);                                             \
            }                                                                                      \
        }                                                                                          \
        return (uint32_t)_mm512_reduce_add_epi32(acc);                                             \
    }                                                                                              \
    T512 static uint64_t v32_dbl_g##G(uint64_t n, const void *vg)                                  \
    {                                                                                              \
        __m512i c[G][4], k[G][2], dc[4], dk[2], acc = _mm512_setzero_si512();                      \
        _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                     \
            init32x16(vg, 16 * gi, 16 * G, c[gi], k[gi], dc, dk);                                  \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            __m512i o[G][4];                                                                       \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) o[gi][w] = c[gi][w];           \
            p32x16g##G(o, (const __m512i(*)[2])k);                                                 \
            _Pragma("GCC unroll 8") for (int gi = 0; gi < G; gi++)                                 \
            {                                                                                      \
                acc = _mm512_add_epi64(acc, u53x16pair(o[gi][0], o[gi][1]));                       \
                acc = _mm512_add_epi64(acc, u53x16pair(o[gi][2], o[gi][3]));                       \
                _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) c[gi][w] =                     \
                    _mm512_add_epi32(c[gi][w], dc[w]);                                             \
                _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++) k[gi][w] =                     \
                    _mm512_add_epi32(k[gi][w], dk[w]);                                             \
            }                                                                                      \
        }                                                                                          \
        return (uint64_t)_mm512_reduce_add_epi64(acc);                                             \
    }                                                                                              \
    T512 static void w32g##G(uint32_t c[4][16], uint32_t k[2][16])                                 \
    {                                                                                              \
        const __m512i lane =                                                                       \
            _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);                \
        __m512i v[G][4], kk[G][2];                                                                 \
        for (int gi = 0; gi < G; gi++) {                                                           \
            __m512i fw = _mm512_and_si512(_mm512_add_epi32(lane, _mm512_set1_epi32(5 * gi)),       \
                                          _mm512_set1_epi32(15));                                  \
            for (int w = 0; w < 4; w++)                                                            \
                v[gi][w] = _mm512_permutexvar_epi32(fw, _mm512_loadu_si512(c[w]));                 \
            for (int w = 0; w < 2; w++)                                                            \
                kk[gi][w] = _mm512_permutexvar_epi32(fw, _mm512_loadu_si512(k[w]));                \
        }                                                                                          \
        p32x16g##G(v, (const __m512i(*)[2])kk);                                                    \
        __mmask16 bad = 0;                                                                         \
        for (int gi = 1; gi < G; gi++) {                                                           \
            __m512i bw = _mm512_and_si512(_mm512_add_epi32(lane, _mm512_set1_epi32(16 - 5 * gi)),  \
                                          _mm512_set1_epi32(15));                                  \
            for (int w = 0; w < 4; w++)                                                            \
                bad |= _mm512_cmpneq_epi32_mask(_mm512_permutexvar_epi32(bw, v[gi][w]), v[0][w]);  \
        }                                                                                          \
        for (int w = 0; w < 4; w++)                                                                \
            _mm512_storeu_si512(                                                                   \
                c[w], _mm512_mask_xor_epi32(v[0][w], bad, v[0][w], _mm512_set1_epi32(-1)));        \
    }
DEF_LG32(2)
DEF_LG32(4)

/* ======================= harness ======================= */

/* Core clock estimate: 100 dependent scalar adds per iteration retire at one per cycle. The
 * clock of this VM varies between runs (2.8-3.3 GHz seen), so it is sampled every repetition. */
static double clock_ghz(void)
{
    uint64_t x = 0, n = 300000;
    double t0 = now();
    for (uint64_t i = 0; i < n; i++)
        __asm__ volatile(".rept 100\n\tadd $1, %0\n\t.endr" : "+r"(x));
    return 100.0 * (double)n / (now() - t0) / 1e9;
}

typedef uint64_t (*benchfn)(uint64_t n, const void *g);

typedef struct {
    const char *name;
    int family; /* benchmarks of one family run the same blocks: checksums must agree */
    benchfn f;
    int lanes;   /* blocks per call of the loop body */
    int dpb;     /* 53-bit doubles per block (4 for 4x64, 2 for 4x32) */
    int latency; /* 1: chained; reported per call */
    uint64_t iters;
    uint64_t sum;
    double t[64];
} bench;

enum { F64BLK, F64DBL, F64LAT, F32BLK, F32DBL, F32LAT, NFAM };
static const char *famname[NFAM] = {"4x64 block", "4x64 dbl", "4x64 latency",
                                    "4x32 block", "4x32 dbl", "4x32 latency"};

static bench B[] = {
    {"scalar 4x64", F64BLK, s64_block, 1, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32", F64BLK, v64_block_u32, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32+mullq", F64BLK, v64_block_u32mullq, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma", F64BLK, v64_block_ifma, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma+mullq", F64BLK, v64_block_ifmamullq, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32 g2", F64BLK, v64_block_g2_u32, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32+mullq g2", F64BLK, v64_block_g2_u32mullq, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma g2", F64BLK, v64_block_g2_ifma, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma+mullq g2", F64BLK, v64_block_g2_ifmamullq, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32 g4", F64BLK, v64_block_g4_u32, 32, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32+mullq g4", F64BLK, v64_block_g4_u32mullq, 32, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma+mullq g4", F64BLK, v64_block_g4_ifmamullq, 32, 4, 0, 0, 0, {0}},
    {"avx2 4x64 u32", F64BLK, a64_block, 4, 4, 0, 0, 0, {0}},
    {"scalar 4x64", F64DBL, s64_dbl, 1, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32", F64DBL, v64_dbl_u32, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32+mullq", F64DBL, v64_dbl_u32mullq, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma", F64DBL, v64_dbl_ifma, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma+mullq", F64DBL, v64_dbl_ifmamullq, 8, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32 g2", F64DBL, v64_dbl_g2_u32, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32+mullq g2", F64DBL, v64_dbl_g2_u32mullq, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma g2", F64DBL, v64_dbl_g2_ifma, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma+mullq g2", F64DBL, v64_dbl_g2_ifmamullq, 16, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32 g4", F64DBL, v64_dbl_g4_u32, 32, 4, 0, 0, 0, {0}},
    {"avx512 4x64 u32+mullq g4", F64DBL, v64_dbl_g4_u32mullq, 32, 4, 0, 0, 0, {0}},
    {"avx512 4x64 ifma+mullq g4", F64DBL, v64_dbl_g4_ifmamullq, 32, 4, 0, 0, 0, {0}},
    {"scalar 4x64", F64LAT, s64_lat, 1, 4, 1, 0, 0, {0}},
    {"avx512 4x64 u32", F64LAT, v64_lat_u32, 8, 4, 1, 0, 0, {0}},
    {"avx512 4x64 u32+mullq", F64LAT, v64_lat_u32mullq, 8, 4, 1, 0, 0, {0}},
    {"avx512 4x64 ifma", F64LAT, v64_lat_ifma, 8, 4, 1, 0, 0, {0}},
    {"avx512 4x64 ifma+mullq", F64LAT, v64_lat_ifmamullq, 8, 4, 1, 0, 0, {0}},
    {"scalar 4x32", F32BLK, s32_block, 1, 2, 0, 0, 0, {0}},
    {"avx512 4x32", F32BLK, v32_block, 16, 2, 0, 0, 0, {0}},
    {"avx512 4x32 g2", F32BLK, v32_block_g2, 32, 2, 0, 0, 0, {0}},
    {"avx512 4x32 g4", F32BLK, v32_block_g4, 64, 2, 0, 0, 0, {0}},
    {"scalar 4x32", F32DBL, s32_dbl, 1, 2, 0, 0, 0, {0}},
    {"avx512 4x32", F32DBL, v32_dbl, 16, 2, 0, 0, 0, {0}},
    {"avx512 4x32 g2", F32DBL, v32_dbl_g2, 32, 2, 0, 0, 0, {0}},
    {"avx512 4x32 g4", F32DBL, v32_dbl_g4, 64, 2, 0, 0, 0, {0}},
    {"scalar 4x32", F32LAT, s32_lat, 1, 2, 1, 0, 0, {0}},
    {"avx512 4x32", F32LAT, v32_lat, 16, 2, 1, 0, 0, {0}},
};
#define NB ((int)(sizeof B / sizeof B[0]))

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    double target = argc > 2 ? atof(argv[2]) : 0.3; /* seconds for the fastest of a family */
    const char *only = argc > 3 ? argv[3] : NULL;   /* run only variants whose name contains it */
    if (reps < 1 || reps > 64)
        reps = 9;
    int fail = 0;

    /* ---- verification ---- */
    fail |= verify64(w64_u32, "avx512 4x64 u32");
    fail |= verify64(w64_u32mullq, "avx512 4x64 u32+mullq");
    fail |= verify64(w64_ifma, "avx512 4x64 ifma");
    fail |= verify64(w64_ifmamullq, "avx512 4x64 ifma+mullq");
    fail |= verify64(w64_avx2, "avx2 4x64 u32");
    fail |= verify64(w64g2_u32, "avx512 4x64 u32 g2");
    fail |= verify64(w64g2_u32mullq, "avx512 4x64 u32+mullq g2");
    fail |= verify64(w64g2_ifma, "avx512 4x64 ifma g2");
    fail |= verify64(w64g2_ifmamullq, "avx512 4x64 ifma+mullq g2");
    fail |= verify64(w64g4_u32, "avx512 4x64 u32 g4");
    fail |= verify64(w64g4_u32mullq, "avx512 4x64 u32+mullq g4");
    fail |= verify64(w64g4_ifmamullq, "avx512 4x64 ifma+mullq g4");
    fail |= verify32(w32_avx512, "avx512 4x32");
    fail |= verify32(w32g2, "avx512 4x32 g2");
    fail |= verify32(w32g4, "avx512 4x32 g4");
    /* the 16-lane double conversion: lane order of u53x16pair vs the scalar recipe */
    {
        gen32 g = {{1, 2, 3, 4}, {5, 6}, {7, 9, 11, 13}, {15, 17}};
        uint64_t a = s32_dbl(1 << 16, &g), b = v32_dbl((1 << 16) / 16, &g);
        printf("verify 4x32 doubles checksum scalar %016" PRIx64 " avx512 %016" PRIx64 " -> %s\n",
               a, b, a == b ? "equal" : "FAIL");
        fail |= a != b;
    }

    gen64 g64;
    gen32 g32;
    _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++)
    {
        g64.c0[w] = splitmix64();
        g64.dc[w] = splitmix64() | 1;
        g32.c0[w] = (uint32_t)splitmix64();
        g32.dc[w] = (uint32_t)splitmix64() | 1;
    }
    _Pragma("GCC unroll 4") for (int w = 0; w < 2; w++)
    {
        g64.k0[w] = splitmix64();
        g64.dk[w] = splitmix64() | 1;
        g32.k0[w] = (uint32_t)splitmix64();
        g32.dk[w] = (uint32_t)splitmix64() | 1;
    }

    /* ---- calibration: per family, blocks so that the fastest member takes >= target ---- */
    uint64_t famblocks[NFAM] = {0};
    int skip[sizeof B / sizeof B[0]] = {0};
    for (int i = 0; i < NB; i++)
        skip[i] = only != NULL && strstr(B[i].name, only) == NULL;
    for (int i = 0; i < NB; i++) {
        if (skip[i])
            continue;
        const void *g = (B[i].family <= F64LAT) ? (const void *)&g64 : (const void *)&g32;
        uint64_t it = 1 << 12;
        double t;
        for (;;) {
            t = 1e9;
            for (int trial = 0; trial < 3; trial++) { /* the fastest of 3 */
                double t0 = now();
                volatile uint64_t s = B[i].f(it, g);
                (void)s;
                double dt = now() - t0;
                if (dt < t)
                    t = dt;
            }
            if (t > 0.05)
                break;
            it *= 2;
        }
        /* blocks, or chained calls for the latency families */
        uint64_t need =
            (uint64_t)(it * (target / t) * 1.15) * (B[i].latency ? 1u : (uint64_t)B[i].lanes);
        if (need > famblocks[B[i].family])
            famblocks[B[i].family] = need;
    }
    for (int i = 0; i < NB; i++) {
        uint64_t blocks = (famblocks[B[i].family] + 63) & ~(uint64_t)63;
        famblocks[B[i].family] = blocks;
        /* latency families: the same number of calls for everybody (one chain step each) */
        B[i].iters = B[i].latency ? blocks : blocks / (uint64_t)B[i].lanes;
    }
    for (int f = 0; f < NFAM; f++)
        printf("family %-13s %" PRIu64 " %s\n", famname[f], famblocks[f],
               (f == F64LAT || f == F32LAT) ? "chained calls" : "blocks");

    /* ---- interleaved timing ---- */
    double ghz[64];
    for (int r = 0; r < reps; r++) {
        ghz[r] = clock_ghz();
        for (int i = 0; i < NB; i++) {
            if (skip[i])
                continue;
            const void *g = (B[i].family <= F64LAT) ? (const void *)&g64 : (const void *)&g32;
            double t0 = now();
            uint64_t s = B[i].f(B[i].iters, g);
            double t1 = now();
            B[i].t[r] = t1 - t0;
            if (r == 0)
                B[i].sum = s;
            else if (s != B[i].sum) {
                printf("checksum changed: %s\n", B[i].name);
                fail = 1;
            }
        }
    }

    /* ---- checksums agree within a family (latency: lane 0 vs scalar chain) ---- */
    for (int i = 0; i < NB; i++)
        for (int j = 0; j < i; j++)
            if (!skip[i] && !skip[j] && B[j].family == B[i].family && B[j].sum != B[i].sum) {
                printf("CHECKSUM MISMATCH %s vs %s (%s)\n", B[i].name, B[j].name,
                       famname[B[i].family]);
                fail = 1;
            }

    printf("\n%-14s %-24s %10s %12s %12s %12s %12s %7s %7s  %s\n", "family", "variant", "time_min",
           "ns/blk min", "ns/blk med", "ns/dbl min", "ns/dbl med", "x min", "x med", "checksum");
    double base_min = 0, base_med = 0;
    for (int i = 0; i < NB; i++) {
        if (skip[i])
            continue;
        double s[64];
        memcpy(s, B[i].t, sizeof(double) * (size_t)reps);
        qsort(s, (size_t)reps, sizeof(double), cmpd);
        double mn = s[0], md = (reps % 2) ? s[reps / 2] : 0.5 * (s[reps / 2 - 1] + s[reps / 2]);
        double per = B[i].latency ? (double)B[i].iters : (double)B[i].iters * B[i].lanes;
        double nmn = 1e9 * mn / per, nmd = 1e9 * md / per;
        if (B[i].f == s64_block || B[i].f == s64_dbl || B[i].f == s64_lat || B[i].f == s32_block ||
            B[i].f == s32_dbl || B[i].f == s32_lat) {
            base_min = nmn;
            base_med = nmd;
        }
        if (B[i].latency)
            printf("%-14s %-24s %9.3fs %9.2f/call %9.2f/call %12s %12s %7.2f %7.2f  %016" PRIx64
                   "\n",
                   famname[B[i].family], B[i].name, mn, nmn, nmd, "-", "-", base_min / nmn,
                   base_med / nmd, B[i].sum);
        else
            printf("%-14s %-24s %9.3fs %12.3f %12.3f %12.3f %12.3f %7.2f %7.2f  %016" PRIx64 "\n",
                   famname[B[i].family], B[i].name, mn, nmn, nmd, nmn / B[i].dpb, nmd / B[i].dpb,
                   base_min / nmn, base_med / nmd, B[i].sum);
    }
    printf("\nclock estimate per repetition, GHz:");
    for (int r = 0; r < reps; r++)
        printf(" %.2f", ghz[r]);
    printf("\nall times, s (rep order):\n");
    for (int i = 0; i < NB; i++) {
        if (skip[i])
            continue;
        printf("%-14s %-24s", famname[B[i].family], B[i].name);
        for (int r = 0; r < reps; r++)
            printf(" %.3f", B[i].t[r]);
        printf("\n");
    }
    printf("\n%s\n", fail ? "SOME CHECK FAILED" : "all checks passed");
    return fail;
}
