/*
 * The x86-64 vector kernels of the sorts (see sort.h), compiled with target attributes and run
 * only where the processor has them: the AVX-512 merge of runs whose ties are copies (sort.c's
 * ree_sort_points, ree_sort_points_pick, ree_sort_merge_copies) and the AVX network that sorts a
 * full column of 64 (ree_sort_column); and the switch that says which of them run
 * (ree_sort_set_avx, ree_sort_avx, ree_sort_avx512). sort.c holds the portable sorts and merges
 * they give the same bits as.
 */
#include <stddef.h>
#include "sort.h"
#include "sort_priv.h"
#include "transpose8.h"

/* ree_sort_set_avx: -1 automatic, 0 off, 1 AVX where supported but not AVX-512 */
static int avx_setting = -1;

void ree_sort_set_avx(int on)
{
    avx_setting = on < 0 ? -1 : on > 0;
}

int ree_sort_avx(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return avx_setting != 0 && __builtin_cpu_supports("avx");
#else
    return 0;
#endif
}

int ree_sort_avx512(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return avx_setting < 0 && __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX512_FN __attribute__((target("avx512f"))) static inline

/* One level of a bitonic merge of the 8 lanes of v: s is v with lane i swapped with lane i ^ d
 * (d = 4, 2, 1); the pair's larger value goes to the lanes of `hi`, the smaller to the others. */
AVX512_FN __m512d half_clean8(__m512d v, __m512d s, __mmask8 hi)
{
    return _mm512_mask_blend_pd(hi, _mm512_min_pd(v, s), _mm512_max_pd(v, s));
}

/* The bitonic 8 lanes of v in ascending (up) or descending order. */
AVX512_FN __m512d bitonic8(__m512d v, int up)
{
    v = half_clean8(v, _mm512_shuffle_f64x2(v, v, _MM_SHUFFLE(1, 0, 3, 2)), up ? 0xF0 : 0x0F);
    v = half_clean8(v, _mm512_shuffle_f64x2(v, v, _MM_SHUFFLE(2, 3, 0, 1)), up ? 0xCC : 0x33);
    return half_clean8(v, _mm512_permute_pd(v, 0x55), up ? 0xAA : 0x55);
}

/* x[i..i+8) of a run of n points, lanes past its end +inf (no NaN here, so +inf sorts last and a
 * run's own +inf ties with it as a copy): a run is merged as if followed by +inf for ever, so
 * that its end needs no scalar tail. */
AVX512_FN __m512d load8(const double *x, size_t i, size_t n)
{
    size_t r = i < n ? n - i : 0;
    __mmask8 m = r >= 8 ? 0xFF : (__mmask8)((1u << r) - 1u);
    return _mm512_mask_loadu_pd(_mm512_set1_pd(__builtin_inf()), m, r ? x + i : x);
}

/* Merge the sorted runs a[0..na) and b[0..nb) (both non-empty) with AVX-512, 16 outputs a turn:
 * c0, c1 hold the 16 largest values taken so far, in descending order; the next 16 of the run
 * with the smaller next value, ascending (n0, n1), make a bitonic 32 with them, whose lower 16
 * (sorted: the smallest values not yet written, none of them above an unread value) are the next
 * outputs and whose upper 16 (sorted descending) the new c0, c1. Two registers a side rather than
 * one: the turn's chain of dependent instructions (from c0, c1 to their next values) is one
 * level longer for twice the outputs. pick 2: every output to out[0..na+nb), as merge_runs;
 * pick 0 or 1: only those at positions pick, pick + 2, ..., as merge_pick. Not stable: only for
 * values whose ties are copies, which then come out as the stable merge's bits. */
__attribute__((target("avx512f"), always_inline)) static inline void
merge_avx512(const double *a, size_t na, const double *b, size_t nb, double *out, size_t pick)
{
    const double inf = __builtin_inf();
    const __m512i rev = _mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    /* The kept lanes of lo0 and lo1 (index 8 + l: lo1's lane l) */
    const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    size_t n = na + nb, i = 16, j = 16, o = 0;
    __m512d n0 = load8(a, 0, na), n1 = load8(a, 8, na);
    __m512d c0 = _mm512_permutexvar_pd(rev, load8(b, 8, nb));
    __m512d c1 = _mm512_permutexvar_pd(rev, load8(b, 0, nb));
    for (;;) {
        __m512d l0 = _mm512_min_pd(n0, c0), l1 = _mm512_min_pd(n1, c1);
        __m512d h0 = _mm512_max_pd(n0, c0), h1 = _mm512_max_pd(n1, c1);
        __m512d lo0 = bitonic8(_mm512_min_pd(l0, l1), 1), lo1 = bitonic8(_mm512_max_pd(l0, l1), 1);
        c0 = bitonic8(_mm512_max_pd(h0, h1), 0);
        c1 = bitonic8(_mm512_min_pd(h0, h1), 0);
        if (n - o <= 16) { /* the last outputs: where they go, as the scalar merges' tails */
            double last[16];
            _mm512_storeu_pd(last, lo0);
            _mm512_storeu_pd(last + 8, lo1);
            for (size_t p = o; p < n; p++)
                if (pick == 2)
                    out[p] = last[p - o];
                else
                    out[(p + 1 - pick) / 2] = last[p - o];
            return;
        }
        if (pick == 2) {
            _mm512_storeu_pd(out + o, lo0);
            _mm512_storeu_pd(out + o + 8, lo1);
        } else { /* positions o + pick + 2t (o even) go to out[o/2 + t] */
            _mm512_storeu_pd(out + o / 2, _mm512_permutex2var_pd(lo0, pick ? odd : even, lo1));
        }
        o += 16;
        /* Without a branch: which run goes on is a coin toss. On a tie b's: a's next 16 are
         * loaded only while a has points left, so that i stays below na + 16 (merge_copies). */
        double ha = i < na ? a[i] : inf, hb = j < nb ? b[j] : inf;
        size_t tb = hb <= ha, k = tb ? j : i, nk = tb ? nb : na;
        const double *run = tb ? b : a;
        n0 = load8(run, k, nk);
        n1 = load8(run, k + 8, nk);
        i += 16 - 16 * tb;
        j += 16 * tb;
    }
}

__attribute__((target("avx512f"), noinline)) void
ree_sort_merge_runs_avx512(const double *a, size_t na, const double *b, size_t nb, double *out)
{
    merge_avx512(a, na, b, nb, out, 2);
}

/* Order a <= b lane by lane. */
AVX512_FN void ce8(__m512d *a, __m512d *b)
{
    __m512d t = _mm512_min_pd(*a, *b);
    *b = _mm512_max_pd(*a, *b);
    *a = t;
}

/* The eight lanes of v in reverse order. */
AVX512_FN __m512d rev8(__m512d v)
{
    return _mm512_permutexvar_pd(_mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7), v);
}

/* Runs of w registers (w = 1, 2 or 4, a constant) in v[0..8) merged two by two: the run after
 * each reversed as a whole, a half-cleaner between them, the half-cleaners above a register, then
 * bitonic8 in each register. Every index a constant once inlined and unrolled, so that the
 * registers stay registers. */
__attribute__((target("avx512f"), always_inline)) static inline void bitonic_pairs8(__m512d *v,
                                                                                    int w)
{
#pragma GCC unroll 8
    for (int k = 0; k < 8; k += 2 * w) {
        __m512d *a = v + k, *b = v + k + w;
#pragma GCC unroll 8
        for (int i = 0; i < w / 2; i++) { /* b reversed as a whole */
            __m512d t = rev8(b[i]);
            b[i] = rev8(b[w - 1 - i]);
            b[w - 1 - i] = t;
        }
        if (w == 1)
            b[0] = rev8(b[0]);
#pragma GCC unroll 8
        for (int i = 0; i < w; i++)
            ce8(&a[i], &b[i]);
        if (w == 4) /* distance 2 registers */
#pragma GCC unroll 8
            for (int i = 0; i < 8; i++)
                if (!(i & 2))
                    ce8(&a[i], &a[i + 2]);
        if (w >= 2) /* distance 1 register */
#pragma GCC unroll 8
            for (int i = 0; i < 2 * w; i += 2)
                ce8(&a[i], &a[i + 1]);
#pragma GCC unroll 8
        for (int i = 0; i < 2 * w; i++)
            a[i] = bitonic8(a[i], 1);
    }
}

/* Sort x[0..64) in place with AVX-512 (only for values whose ties are copies, as
 * ree_sort_sort64_avx, which it gives the bits of): Batcher's 8-input odd-even merge sort (19
 * comparators) on 8 registers sorts the lanes' columns of 8 at once; a transpose makes them 8
 * runs of 8, one a register; bitonic merges (the second run reversed, a half-cleaner, then
 * bitonic8 per register) make 4 runs of 16, 2 of 32, one of 64. */
__attribute__((target("avx512f"), noinline)) void ree_sort_sort64_avx512(double *x)
{
    __m512d v[8];
    for (int r = 0; r < 8; r++)
        v[r] = _mm512_loadu_pd(x + 8 * r);
    ce8(&v[0], &v[1]);
    ce8(&v[2], &v[3]);
    ce8(&v[4], &v[5]);
    ce8(&v[6], &v[7]);
    ce8(&v[0], &v[2]);
    ce8(&v[1], &v[3]);
    ce8(&v[4], &v[6]);
    ce8(&v[5], &v[7]);
    ce8(&v[1], &v[2]);
    ce8(&v[5], &v[6]);
    ce8(&v[0], &v[4]);
    ce8(&v[1], &v[5]);
    ce8(&v[2], &v[6]);
    ce8(&v[3], &v[7]);
    ce8(&v[2], &v[4]);
    ce8(&v[3], &v[5]);
    ce8(&v[1], &v[2]);
    ce8(&v[3], &v[4]);
    ce8(&v[5], &v[6]);
    ree_transpose8_avx512(v);
    bitonic_pairs8(v, 1);
    bitonic_pairs8(v, 2);
    bitonic_pairs8(v, 4);
    for (int r = 0; r < 8; r++)
        _mm512_storeu_pd(x + 8 * r, v[r]);
}

__attribute__((target("avx512f"), noinline)) size_t ree_sort_in_order_avx512(const double *x,
                                                                             size_t a, size_t n)
{
    while (a + 8 <= n && _mm512_cmp_pd_mask(_mm512_loadu_pd(x + a - 1), _mm512_loadu_pd(x + a),
                                            _CMP_LE_OQ) == 0xFF)
        a += 8;
    return a;
}

__attribute__((target("avx512f"), noinline)) void
ree_sort_merge_pick_avx512(const double *a, size_t na, const double *b, size_t nb, double *out,
                           size_t pick)
{
    if (pick)
        merge_avx512(a, na, b, nb, out, 1);
    else
        merge_avx512(a, na, b, nb, out, 0);
}
#undef AVX512_FN

#define AVX_FN __attribute__((target("avx"))) static inline
/* Order a <= b lane by lane. */
#define CE4(a, b)                                                                                  \
    do {                                                                                           \
        __m256d t_ = _mm256_min_pd(a, b);                                                          \
        b = _mm256_max_pd(a, b);                                                                   \
        a = t_;                                                                                    \
    } while (0)

/* The four lanes of v in reverse order. */
AVX_FN __m256d rev4(__m256d v)
{
    return _mm256_permute_pd(_mm256_permute2f128_pd(v, v, 1), 0x5);
}

/* The last two steps of a bitonic merge inside each register: distance 2 (the 128-bit halves),
 * then distance 1 (within the halves). */
AVX_FN __m256d bitonic_in4(__m256d v)
{
    __m256d s = _mm256_permute2f128_pd(v, v, 1);
    v = _mm256_blend_pd(_mm256_min_pd(v, s), _mm256_max_pd(v, s), 0xC);
    s = _mm256_permute_pd(v, 0x5);
    return _mm256_blend_pd(_mm256_min_pd(v, s), _mm256_max_pd(v, s), 0xA);
}

/* Bitonic merge of the 8 registers v[0..8) (32 values, the first half in order and the second in
 * reverse order) into order; every index a constant, so that the registers stay registers. */
AVX_FN __attribute__((always_inline)) void bitonic_merge8(__m256d *v)
{
    CE4(v[0], v[4]);
    CE4(v[1], v[5]);
    CE4(v[2], v[6]);
    CE4(v[3], v[7]);
    CE4(v[0], v[2]);
    CE4(v[1], v[3]);
    CE4(v[4], v[6]);
    CE4(v[5], v[7]);
    CE4(v[0], v[1]);
    CE4(v[2], v[3]);
    CE4(v[4], v[5]);
    CE4(v[6], v[7]);
    for (int i = 0; i < 8; i++)
        v[i] = bitonic_in4(v[i]);
}

/* The same for 16 registers (64 values): the first step, then two independent merges of 8. */
AVX_FN __attribute__((always_inline)) void bitonic_merge16(__m256d *v)
{
    for (int i = 0; i < 8; i++)
        CE4(v[i], v[i + 8]);
    bitonic_merge8(v);
    bitonic_merge8(v + 8);
}

/* Transpose the 4x4 block of values in r[0..4): lane l of register i goes to lane i of l. */
AVX_FN void transpose4(__m256d *r)
{
    __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* Sort x[0..64) in place with AVX min/max networks (only for values whose ties are copies, as
 * sort32): Batcher's 16-input odd-even merge sort on 16 registers sorts the four lanes' columns
 * at once; 4x4 transposes make them four runs of 16 (four registers each); bitonic merges make
 * two runs of 32, then one of 64. */
__attribute__((target("avx"))) void ree_sort_sort64_avx(double *x)
{
    __m256d v[16], w[16];
    for (int r = 0; r < 16; r++)
        v[r] = _mm256_loadu_pd(x + 4 * r);
#define CE(i, j) CE4(v[i], v[j])
    REE_SORT16_NETWORK(CE);
#undef CE
    for (int g = 0; g < 4; g++)
        transpose4(v + 4 * g);
    /* Run l (lane l before the transposes) is v[l], v[4 + l], v[8 + l], v[12 + l]. Runs 0 and 1
     * into w[0..8) (run 1 reversed), runs 2 and 3 into w[8..16). */
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 4; k++) {
            w[8 * p + k] = v[4 * k + 2 * p];
            w[8 * p + 4 + k] = rev4(v[4 * (3 - k) + 2 * p + 1]);
        }
    bitonic_merge8(w);
    bitonic_merge8(w + 8);
    for (int k = 0; k < 4; k++) { /* the second run of 32 reversed */
        __m256d t = rev4(w[8 + k]);
        w[8 + k] = rev4(w[15 - k]);
        w[15 - k] = t;
    }
    bitonic_merge16(w);
    for (int r = 0; r < 16; r++)
        _mm256_storeu_pd(x + 4 * r, w[r]);
}
#undef CE4
#undef AVX_FN
#endif
