/*
 * The lane draws ree_rng_uniform_pos_gsl_lanes and ree_rng_uniform_pos_lanes (rng_lanes.h): one
 * uniform per lane of a lockstep group, the same bits and stream positions as
 * ree_rng_uniform_pos_gsl (ree_rng_uniform_pos) lane by lane.
 *
 * Most lane draws are the first of a stream the step has just re-keyed (ree_rng_select_kinds),
 * so each needs a whole Philox4x64-10 block. Those lanes' blocks are computed together: in the
 * x86-64-v4 build (CMakeLists.txt compiles this file a second time, like the lane hooks that call
 * it) by an AVX-512 Philox over eight lanes, one vector per counter and key word, whose 64x64->128
 * multiply is built from four vpmuludq plus a vpmullq for the low half (the kernel measured in
 * bench/spikes/philox/, p64x8_u32mullq, bit-identical to Random123's philox4x64); in the baseline
 * build by Random123's philox4x64 lane by lane. The rare cases stay on the scalar path: a lane
 * in the middle of its block, a zero 53-bit draw (GSL's retry), a generator of another type.
 *
 * The gain is small: one 8-lane Philox4x64-10 is a chain of ten dependent rounds of about 17
 * cycles each (spike README, "What limits the vector versions"), while the scalar path's eight
 * blocks are independent and the core overlaps them; the hook needs u right after the draw.
 */
#include "rng_lanes.h"

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_randist.h>
#include <Random123/philox.h>

#include "rng_priv.h"

/* The first two outputs of a block whose word 0 is x, as the 53-bit k of rng.h (next53). */
#define FIRST53(x) ((((x)&0xffffffffu) << 21) | (((x) >> 32) >> 11))

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>

/* Below this many fresh blocks the scalar path is as fast: one AVX-512 Philox over eight lanes
 * takes about as long as five scalar blocks (bench/spikes/philox/README.md: 48 ns for 8 lanes
 * against 10 ns a block, throughput; 55 ns against 16 ns, latency). An estimate, not tuned: the
 * lane hooks draw in all eight lanes or in none nearly always. */
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

/* Philox4x64-10 (Random123's philox4x64) of lane l's counter {x0, x1, x2, x3}[l] and key
 * {k0, k1}[l], in every lane; the block into x. */
static inline __attribute__((always_inline)) void philox8(__m512i x[4], __m512i k0, __m512i k1)
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
    __m512i x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
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
    x[0] = x0;
    x[1] = x1;
    x[2] = x2;
    x[3] = x3;
}

/* Word `field` (a byte offset in philox_state) of the states at addresses p, in the lanes of m:
 * a gather, whose 8-byte loads take the values the scalar stores of a re-key have just left
 * (a 64-byte load of them could not). */
#define GATHER(m, p, field)                                                                        \
    _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), (m),                                       \
                                _mm512_add_epi64((p), _mm512_set1_epi64((long long)(field))),      \
                                NULL, 1)

/* Lanes in `fresh` (bit l: r[l], whose state is s[l], is a Philox stream at the end of its
 * block): the next block into the state, as rng.c's compute_block, its first two outputs handed
 * out and, from their 53-bit k, u[l] written: k / 2^53 (next53_direct and
 * ree_rng_uniform_pos_gsl), or with `pos` (floor(k / 2) + 0.5) / 2^52 (ree_rng_uniform_pos).
 * Returns the lanes whose k was 0 without `pos`, left for the scalar path to go on from (GSL's
 * retry); with `pos` none. */
static inline unsigned fresh_draws(gsl_rng *const r[REE_LANES], philox_state *const s[REE_LANES],
                                   unsigned fresh, ree_vd *u, int pos)
{
    __mmask8 m = (__mmask8)fresh;
    /* the states' addresses gathered too: s[] has just been stored lane by lane */
    __m512i p = GATHER(m, _mm512_maskz_loadu_epi64(m, r), offsetof(gsl_rng, state));
    __m512i x[4];
    for (int w = 0; w < 4; w++)
        x[w] = GATHER(m, p, offsetof(philox_state, ctr) + sizeof(uint64_t) * (size_t)w);
    __m512i k0 = GATHER(m, p, offsetof(philox_state, key));
    __m512i k1 = GATHER(m, p, offsetof(philox_state, key) + sizeof(uint64_t));
    philox8(x, k0, k1);

    /* u = k / 2^53 where k != 0; with pos, (floor(k / 2) + 0.5) / 2^52 everywhere */
    __m512i k = _mm512_or_si512(
        _mm512_slli_epi64(_mm512_and_si512(x[0], _mm512_set1_epi64(0xffffffffll)), 21),
        _mm512_srli_epi64(x[0], 43));
    __mmask8 ok;
    __m512d d;
    if (pos) {
        ok = m;
        d = _mm512_mul_pd(
            _mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(k, 1)), _mm512_set1_pd(0.5)),
            _mm512_set1_pd(0x1p-52));
    } else {
        ok = _mm512_mask_test_epi64_mask(m, k, k);
        d = _mm512_mul_pd(_mm512_cvtepi64_pd(k), _mm512_set1_pd(0x1p-53));
    }
    _mm512_storeu_pd((double *)u, _mm512_mask_mov_pd(_mm512_loadu_pd((const double *)u), ok, d));

    uint64_t o[4][REE_LANES];
    for (int w = 0; w < 4; w++)
        _mm512_storeu_si512(o[w], x[w]);
    for (int l = 0; l < REE_LANES; l++)
        if (fresh & (1u << l)) { /* rng.c's compute_block, then next53_direct's two outputs */
            for (int w = 0; w < 4; w++)
                s[l]->out.v[w] = o[w][l];
            s[l]->ctr.v[CTR_BLOCK]++;
            s[l]->idx = 2;
        }
    return fresh & ~(unsigned)ok;
}

#else

/* Without AVX-512 a block costs the same on either path: every fresh lane takes this one, so
 * that the baseline build's lane tests check the bookkeeping around it too. */
#define MIN_FRESH 1

/* The same as the AVX-512 fresh_draws, a lane at a time. */
static inline unsigned fresh_draws(gsl_rng *const r[REE_LANES], philox_state *const s[REE_LANES],
                                   unsigned fresh, ree_vd *u, int pos)
{
    (void)r;
    unsigned retry = 0;
    for (int l = 0; l < REE_LANES; l++)
        if (fresh & (1u << l)) { /* rng.c's compute_block, then next53_direct's two outputs */
            s[l]->out = philox4x64(s[l]->ctr, s[l]->key);
            s[l]->ctr.v[CTR_BLOCK]++;
            s[l]->idx = 2;
            uint64_t k = FIRST53(s[l]->out.v[0]);
            if (pos) /* ree_rng_uniform_pos */
                (*u)[l] = ((double)(int64_t)(k >> 1) + 0.5) * 0x1p-52;
            else if (k != 0)
                (*u)[l] = (double)(int64_t)k * 0x1p-53;
            else
                retry |= 1u << l;
        }
    return retry;
}

#endif

/* The lane draw of ree_rng_uniform_pos (pos) or ree_rng_uniform_pos_gsl: fresh blocks together,
 * the rest lane by lane with the scalar draw. */
static inline __attribute__((always_inline)) void
uniform_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u, int pos)
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
    /* The fresh lanes together; then the others one by one, and a fresh one whose 53-bit draw
     * was 0 goes on with the rest of its block, as GSL's loop would. */
    unsigned scalar = nfresh >= MIN_FRESH ? fresh_draws(r, s, fresh, u, pos) : fresh;
    for (int l = 0; l < REE_LANES; l++)
        if ((*mask)[l] != 0 && (!(fresh & (1u << l)) || (scalar & (1u << l))))
            (*u)[l] = pos ? ree_rng_uniform_pos(r[l]) : ree_rng_uniform_pos_gsl(r[l]);
}

void ree_rng_uniform_pos_gsl_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u)
{
    uniform_lanes(r, mask, u, 0);
}

void ree_rng_uniform_pos_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u)
{
    uniform_lanes(r, mask, u, 1);
}

/*
 * gsl_ran_binomial in lanes. GSL 2.7's randist/binomial_tpe.c, for n > 0: p' = min(p, 1 - p)
 * (flipped when p > 0.5), q = 1 - p', s = p' / q, np = n p'. Where np < 14 (BINV, inversion):
 * f = q^n by gsl_pow_uint's repeated squaring, u = gsl_rng_uniform, then for ix = 0 .. 110: stop
 * at ix if u < f, else u -= f and f *= s (n - ix) / (ix + 1) (n - ix in unsigned int); past 110,
 * a new u and again. The result is ix, or n - ix when flipped. Elsewhere BTPE, left to GSL.
 */
#define BINV_MEAN   14  /* GSL's SMALL_MEAN */
#define BINV_CUTOFF 110 /* GSL's BINV_CUTOFF */

/* BINV in one lane from a new u, until it ends (GSL's retry). */
static int binv_one(gsl_rng *r, double f0, double s, unsigned int n)
{
    for (;;) {
        double f = f0, u = gsl_rng_uniform(r);
        for (int ix = 0; ix <= BINV_CUTOFF; ++ix) {
            if (u < f)
                return ix;
            u -= f;
            f *= s * (n - ix) / (ix + 1);
        }
    }
}

void ree_ran_binomial_lanes(gsl_rng *const r[REE_LANES], const ree_vl *mask, const ree_vd *p,
                            const unsigned int n[REE_LANES], unsigned int k[REE_LANES])
{
    const ree_vd one = REE_VSPLAT(1.0);
    ree_vd pl = *p, q = one, s = one, x = one, f = one, u = one;
    ree_vl nn = {0}, inv = {0}, flip = {0};
    for (int l = 0; l < REE_LANES; l++) {
        if ((*mask)[l] == 0)
            continue;
        if (n[l] == 0) {
            k[l] = 0;
            continue;
        }
        double pp = pl[l], qq;
        if (pp > 0.5) {
            pp = 1.0 - pp;
            flip[l] = -1;
        }
        qq = 1 - pp;
        if (!(n[l] * pp < BINV_MEAN)) { /* BTPE (or a NaN p): GSL's own */
            k[l] = gsl_ran_binomial(r[l], pl[l], n[l]);
            continue;
        }
        inv[l] = -1;
        q[l] = qq;
        s[l] = pp / qq;
        nn[l] = n[l];
    }
    if (!REE_VANY(inv))
        return;
    /* gsl_pow_uint(q, n) in every lane: a lane whose n is used up multiplies nothing more */
    x = q;
    ree_vl e = nn;
    do {
        f = REE_VSEL((e & 1) != 0, f * x, f);
        e >>= 1;
        x *= x;
    } while (REE_VANY(e != 0));
    ree_vd f0 = f;
    for (int l = 0; l < REE_LANES; l++)
        if (inv[l])
            u[l] = gsl_rng_uniform(r[l]);
    /* Every lane still going is at the same ix: the loop's own count. */
    ree_vl going = inv, ix = {0}; /* ix: where each lane stopped */
    for (int i = 0; i <= BINV_CUTOFF && REE_VANY(going); i++) {
        ree_vl stop = going & (u < f);
        ix = REE_VSELL(stop, (ree_vl){0} + i, ix);
        going &= ~stop;
        /* (n - ix) as unsigned int, then double; (ix + 1) exact */
        ree_vl left = (nn - i) & 0xffffffffll;
        ree_vd t = s * __builtin_convertvector(left, ree_vd) / (double)(i + 1);
        u = REE_VSEL(going, u - f, u);
        f = REE_VSEL(going, f * t, f);
    }
    for (int l = 0; l < REE_LANES; l++) {
        if (!inv[l])
            continue;
        long long j = going[l] ? binv_one(r[l], f0[l], s[l], n[l]) : ix[l];
        k[l] = flip[l] ? n[l] - (unsigned int)j : (unsigned int)j;
    }
}
