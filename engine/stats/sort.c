/* Sorting and merging of doubles for the statistics (see sort.h). */
#include "sort.h"
#include <stdint.h>
#include <string.h>
#include "sort_priv.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static void insertion_sort(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double t = x[i];
        size_t j = i;
        while (j > 0 && ree_sort_lt(t, x[j - 1])) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = t;
    }
}

static void sift_down(double *x, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && ree_sort_lt(x[c], x[c + 1]))
            c++;
        if (!ree_sort_lt(x[root], x[c]))
            return;
        double t = x[root];
        x[root] = x[c];
        x[c] = t;
        root = c;
    }
}

static void heap_sort(double *x, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(x, i, n);
    for (size_t i = n; i-- > 1;) {
        double t = x[0];
        x[0] = x[i];
        x[i] = t;
        sift_down(x, 0, i);
    }
}

/* Introsort: quicksort with median of three, heapsort past a depth limit, insertion sort for
 * short ranges. Our own rather than qsort so the result (and its cost) never depends on the C
 * library. */
static void sort_doubles(double *x, size_t n, unsigned depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(x, n);
            return;
        }
        size_t mid = n / 2;
        double a = x[0], b = x[mid], c = x[n - 1];
        double pivot = ree_sort_lt(a, b) ? (ree_sort_lt(b, c) ? b : (ree_sort_lt(a, c) ? c : a))
                                         : (ree_sort_lt(a, c) ? a : (ree_sort_lt(b, c) ? c : b));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (ree_sort_lt(x[i], pivot))
                i++;
            while (ree_sort_lt(pivot, x[j]))
                j--;
            if (i >= j)
                break;
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
            i++;
            j--;
        }
        /* [0, j] <= pivot <= [j+1, n): recurse on the smaller side. */
        size_t left = j + 1;
        if (left < n - left) {
            sort_doubles(x, left, depth);
            x += left;
            n -= left;
        } else {
            sort_doubles(x + left, n - left, depth);
            n = left;
        }
    }
    insertion_sort(x, n);
}

static void sort_segment(double *x, size_t n)
{
    unsigned depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    sort_doubles(x, n, depth);
}

/* One branch-free step of a merge of a[i..] and b[j..] into dst: y = b[j] goes when y < x = a[i]
 * (ties: a first), and i or j moves on. The values are finite (stats.h), so `<` is the total order
 * here. On x86-64 with GCC in eight instructions: the carry of the comparison becomes a mask
 * (sbb) that moves j (sub) and i (lea) without the zero-extension and the three additions the
 * compiler makes of it; minsd picks the same value as `y < x ? y : x` (x on a tie). Elsewhere
 * (clang, which rejects the whole-array memory operand that tells the compiler what the asm
 * reads; other machines; or with REE_SORT_NO_ASM) the same step in C, same results for the finite
 * values the statistics take (stats.h); a NaN would break either. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__SSE2__) &&        \
    !defined(REE_SORT_NO_ASM)
#define REE_SORT_ASM 1
#define MERGE_STEP(a, i, b, j, dst)                                                                \
    do {                                                                                           \
        double x_, y_;                                                                             \
        size_t t_;                                                                                 \
        __asm__("movsd (%[pa],%[ii],8), %[x]\n\t"                                                  \
                "movsd (%[pb],%[jj],8), %[y]\n\t"                                                  \
                "comisd %[x], %[y]\n\t" /* CF: y < x */                                            \
                "sbb %[t], %[t]\n\t"    /* t = y < x ? -1 : 0 */                                   \
                "minsd %[x], %[y]\n\t"  /* y = y < x ? y : x */                                    \
                "movsd %[y], %[d]\n\t"                                                             \
                "sub %[t], %[jj]\n\t"                                                              \
                "lea 1(%[ii],%[t]), %[ii]"                                                         \
                : [x] "=&x"(x_), [y] "=&x"(y_), [t] "=&r"(t_), [ii] "+r"(i), [jj] "+r"(j),         \
                  [d] "=m"(dst)                                                                    \
                : [pa] "r"(a), [pb] "r"(b), "m"(*(const double(*)[])(a)),                          \
                  "m"(*(const double(*)[])(b))                                                     \
                : "cc");                                                                           \
    } while (0)
#else
#define MERGE_STEP(a, i, b, j, dst)                                                                \
    do {                                                                                           \
        double x_ = (a)[i], y_ = (b)[j];                                                           \
        size_t t_ = y_ < x_;                                                                       \
        (dst) = t_ ? y_ : x_;                                                                      \
        (j) += t_;                                                                                 \
        (i) += 1 - t_;                                                                             \
    } while (0)
#endif

/* One branch-free step from the back of a merge of a[..ia] and b[..ib] into dst: u = a[ia] goes
 * when w = b[ib] < u (ties: b's, so that a's come first), and ia or ib moves back. As MERGE_STEP:
 * nine instructions on x86-64, maxsd picking `w < u ? u : w`. */
#if defined(REE_SORT_ASM)
#define BACK_STEP(a, ia, b, ib, dst)                                                               \
    do {                                                                                           \
        double u_, w_;                                                                             \
        size_t t_;                                                                                 \
        __asm__("movsd (%[pa],%[ia],8), %[u]\n\t"                                                  \
                "movsd (%[pb],%[ib],8), %[w]\n\t"                                                  \
                "comisd %[u], %[w]\n\t" /* CF: w < u */                                            \
                "sbb %[t], %[t]\n\t"    /* t = w < u ? -1 : 0 */                                   \
                "maxsd %[w], %[u]\n\t"  /* u = u > w ? u : w */                                    \
                "movsd %[u], %[d]\n\t"                                                             \
                "add %[t], %[ia]\n\t"                                                              \
                "not %[t]\n\t" /* w < u ? 0 : -1 */                                                \
                "add %[t], %[ib]"                                                                  \
                : [u] "=&x"(u_), [w] "=&x"(w_), [t] "=&r"(t_), [ia] "+r"(ia), [ib] "+r"(ib),       \
                  [d] "=m"(dst)                                                                    \
                : [pa] "r"(a), [pb] "r"(b), "m"(*(const double(*)[])(a)),                          \
                  "m"(*(const double(*)[])(b))                                                     \
                : "cc");                                                                           \
    } while (0)
#else
#define BACK_STEP(a, ia, b, ib, dst)                                                               \
    do {                                                                                           \
        double u_ = (a)[ia], w_ = (b)[ib];                                                         \
        size_t v_ = w_ < u_;                                                                       \
        (dst) = v_ ? u_ : w_;                                                                      \
        (ia) -= v_;                                                                                \
        (ib) -= 1 - v_;                                                                            \
    } while (0)
#endif

/* MERGE_STEP without the store: the step's value is not wanted (a compaction keeps every other
 * point), only i and j move on. */
#if defined(REE_SORT_ASM)
#define SKIP_STEP(a, i, b, j)                                                                      \
    do {                                                                                           \
        double x_, y_;                                                                             \
        size_t t_;                                                                                 \
        __asm__("movsd (%[pa],%[ii],8), %[x]\n\t"                                                  \
                "movsd (%[pb],%[jj],8), %[y]\n\t"                                                  \
                "comisd %[x], %[y]\n\t"                                                            \
                "sbb %[t], %[t]\n\t"                                                               \
                "sub %[t], %[jj]\n\t"                                                              \
                "lea 1(%[ii],%[t]), %[ii]"                                                         \
                : [x] "=&x"(x_), [y] "=&x"(y_), [t] "=&r"(t_), [ii] "+r"(i), [jj] "+r"(j)          \
                : [pa] "r"(a), [pb] "r"(b), "m"(*(const double(*)[])(a)),                          \
                  "m"(*(const double(*)[])(b))                                                     \
                : "cc");                                                                           \
    } while (0)
#else
#define SKIP_STEP(a, i, b, j)                                                                      \
    do {                                                                                           \
        size_t t_ = (b)[j] < (a)[i];                                                               \
        (j) += t_;                                                                                 \
        (i) += 1 - t_;                                                                             \
    } while (0)
#endif

/* Merge the sorted runs a[0..na) and b[0..nb) into out (distinct from both). Ties: a first. */
static void merge_runs(const double *a, size_t na, const double *b, size_t nb, double *out)
{
    size_t i = 0, j = 0, o = 0;
    /* Branch-free steps (MERGE_STEP) in stretches of s = min(na - i, nb - j) steps, which cannot
     * use up either run before their end, so that the step needs no bound check. */
#define STEP(k) MERGE_STEP(a, i, b, j, out[o + (k)])
    while (i < na && j < nb) {
        size_t s = na - i < nb - j ? na - i : nb - j, e = o + s;
        for (; o + 4 <= e; o += 4) { /* four steps a turn: a quarter of the loop's own work */
            STEP(0);
            STEP(1);
            STEP(2);
            STEP(3);
        }
        for (; o < e; o++)
            STEP(0);
    }
#undef STEP
    while (i < na)
        out[o++] = a[i++];
    while (j < nb)
        out[o++] = b[j++];
}

/* Merge the sorted runs a[0..h) and b[0..h) of equal length into out[0..2h) (distinct from both):
 * the h smallest from the front and the h largest from the back, in the same loop, with no bound
 * check (h steps from either end cannot use up a run). Ties: a first, at both ends, so the
 * result is merge_runs's, tie for tie (a stable merge's result is unique). */
static void merge_halves(const double *a, const double *b, size_t h, double *out)
{
    size_t i = 0, j = 0, ia = h - 1, ib = h - 1, o = 2 * h - 1;
    for (size_t k = 0; k < h; k++) {
        MERGE_STEP(a, i, b, j, out[k]);
        /* From the back: a's last goes when it is larger, on a tie b's; ia may wrap below 0 at
         * the last step, never read then. */
        BACK_STEP(a, ia, b, ib, out[o]);
        o--;
    }
}

/* Merge the sorted runs a[0..na) and b[0..nb) (ties: a first, as merge_runs) keeping only the
 * outputs at positions pick, pick + 2, ... (pick 0 or 1): output o goes to out[(o + 1 - pick) / 2],
 * where a later output of the wrong parity never lands on a kept one. So out[0..n/2) holds the
 * kept points and, n = na + nb odd, out[n/2] the last output; out has n/2 + 1 points. Pairs of
 * steps, the one not kept without its store, while both runs have two points left; then one
 * step at a time with bound checks. */
static void merge_pick(const double *a, size_t na, const double *b, size_t nb, double *out,
                       size_t pick)
{
    size_t i = 0, j = 0, q = 0;
    for (;;) {
        size_t ra = na - i, rb = nb - j, s = (ra < rb ? ra : rb) / 2; /* pairs of steps */
        if (s == 0)
            break;
        size_t e = q + s;
        if (pick == 0)
            for (; q < e; q++) {
                MERGE_STEP(a, i, b, j, out[q]);
                SKIP_STEP(a, i, b, j);
            }
        else
            for (; q < e; q++) {
                SKIP_STEP(a, i, b, j);
                MERGE_STEP(a, i, b, j, out[q]);
            }
    }
    for (size_t o = i + j; o < na + nb; o++) {
        double v;
        if (j >= nb || (i < na && !(b[j] < a[i])))
            v = a[i++];
        else
            v = b[j++];
        out[(o + 1 - pick) / 2] = v;
    }
}

void ree_sort_merge_into(double *x, size_t na, const double *b, size_t nb)
{
    if (nb == 0)
        return;
    if (na == 0 || !(b[0] < x[na - 1])) { /* already in order */
        memcpy(x + na, b, nb * sizeof *x);
        return;
    }
    /* From the back: the write position ia + ib + 1 stays above every unread point of x while b
     * has points left; once b is used up, x's remaining points are in place. Stretches of
     * min(ia + 1, ib + 1) steps, four a turn, as merge_runs. */
    size_t ia = na - 1, ib = nb - 1, o = na + nb - 1;
    while (ia + 1 > 0 && ib + 1 > 0) {
        size_t s = ia < ib ? ia + 1 : ib + 1, e = o - s; /* s >= 1 steps down to e + 1 */
        for (; o >= e + 4; o -= 4) {
            BACK_STEP(x, ia, b, ib, x[o]);
            BACK_STEP(x, ia, b, ib, x[o - 1]);
            BACK_STEP(x, ia, b, ib, x[o - 2]);
            BACK_STEP(x, ia, b, ib, x[o - 3]);
        }
        for (; o > e; o--)
            BACK_STEP(x, ia, b, ib, x[o]);
    }
    while (ib + 1 > 0)
        x[o--] = b[ib--];
}

static int merge_copies(const double *a, size_t na, const double *b, size_t nb, double *out);

/* Merge the adjacent sorted runs x[0..na) and x[na..na+nb) in place, using tmp (na points). */
void ree_sort_merge_adjacent(double *x, size_t na, size_t nb, double *tmp, int copies)
{
    if (na == 0 || nb == 0 || !ree_sort_lt(x[na], x[na - 1]))
        return; /* already in order */
    memcpy(tmp, x, na * sizeof *x);
    if (copies && merge_copies(tmp, na, x + na, nb, x))
        return; /* the second run lies na points into the output, as merge_copies allows */
    double *b = x + na;
    size_t i = 0, j = 0, o = 0;
    /* The write position o = i + j never passes the read position na + j of the second run.
     * Stretches and four steps a turn, as merge_runs. */
#define STEP(k) MERGE_STEP(tmp, i, b, j, x[o + (k)])
    while (i < na && j < nb) {
        size_t s = na - i < nb - j ? na - i : nb - j, e = o + s;
        for (; o + 4 <= e; o += 4) {
            STEP(0);
            STEP(1);
            STEP(2);
            STEP(3);
        }
        for (; o < e; o++)
            STEP(0);
    }
#undef STEP
    while (i < na)
        x[o++] = tmp[i++];
}

/* Sort x[0..n) using tmp (n points), bottom-up: insertion sort of 16-point chunks, then merges of
 * adjacent natural runs, each pass rescanning for the runs. The general case of ree_sort_points. */
static void sort_chunks(double *x, size_t n, double *tmp)
{
    enum { CHUNK = 16 };
    for (size_t i = 0; i < n; i += CHUNK)
        insertion_sort(x + i, n - i < CHUNK ? n - i : CHUNK);
    double *src = x, *dst = tmp;
    for (;;) {
        size_t i = 0, runs = 0;
        while (i < n) {
            size_t a = i + 1;
            while (a < n && !ree_sort_lt(src[a], src[a - 1]))
                a++;
            size_t b = a;
            if (b < n) {
                b++;
                while (b < n && !ree_sort_lt(src[b], src[b - 1]))
                    b++;
            }
            merge_runs(src + i, a - i, src + a, b - a, dst + i);
            runs++;
            i = b;
        }
        double *t = src;
        src = dst;
        dst = t;
        if (runs <= 1)
            break;
    }
    if (src != x)
        memcpy(x, src, n * sizeof *x);
}

/* Sort x[0..n) using tmp (n points). Input made of a few sorted runs -- level 0 after blocks of
 * sorted values were appended -- is found run by run in one scan (a run shorter than MINRUN is
 * first extended to MINRUN points by insertion sort) and the runs are merged pairwise, pass after
 * pass, on their recorded bounds: ceil(log2 runs) linear passes, no rescans. Input with more than
 * MAXRUN runs goes to sort_chunks. Without tmp it falls back to the introsort. Both are stable,
 * so they give the same order, tie for tie; only the order of points comparing equal (e.g. -0.0
 * and 0.0) could depend on the algorithm, never the multiset, and the introsort is the only one
 * that could differ there. */
/* The end of the run in order that goes on at x[a] (a >= 1): the first a' >= a with a' == n or
 * x[a'] before x[a' - 1]. With SSE2, four points a turn while every x[i - 1] <= x[i] (ordered, so
 * no NaN; v512: eight a turn first, ree_sort_in_order_avx512); at the first turn that fails, one
 * point at a time by ree_sort_lt (which places NaN) for those four. */
static size_t run_end(const double *x, size_t a, size_t n, int v512)
{
#if defined(__SSE2__)
    for (;;) {
#if defined(REE_SORT_AVX512)
        if (v512)
            a = ree_sort_in_order_avx512(x, a, n);
#endif
        while (a + 4 <= n) {
            __m128d ok0 = _mm_cmple_pd(_mm_loadu_pd(x + a - 1), _mm_loadu_pd(x + a));
            __m128d ok1 = _mm_cmple_pd(_mm_loadu_pd(x + a + 1), _mm_loadu_pd(x + a + 2));
            if (_mm_movemask_pd(_mm_and_pd(ok0, ok1)) != 3)
                break;
            a += 4;
        }
        size_t stop = n - a < 4 ? n : a + 4;
        for (; a < stop; a++)
            if (ree_sort_lt(x[a], x[a - 1]))
                return a;
        if (a == n)
            return n;
    }
#else
    (void)v512;
    while (a < n && !ree_sort_lt(x[a], x[a - 1]))
        a++;
    return a;
#endif
}

/* Merge the sorted runs a[0..na) and b[0..nb) (both non-empty, ties copies) into out by
 * merge_avx512 where it runs (returns 1; else 0, nothing written). out may be distinct from both,
 * or hold b at out + k with k >= na: with i and j points of a and b loaded (32 in registers), the
 * next 16 outputs go to out[o..o+16), o + 16 = i + j - 16 <= k + j because a's next 16 are loaded
 * only while a has points left (i < na + 16); so no store reaches a point of b not yet read. */
static int merge_copies(const double *a, size_t na, const double *b, size_t nb, double *out)
{
#if defined(REE_SORT_AVX512)
    if (ree_sort_avx512()) {
        ree_sort_merge_runs_avx512(a, na, b, nb, out);
        return 1;
    }
#else
    (void)a, (void)na, (void)b, (void)nb, (void)out;
#endif
    return 0;
}

int ree_sort_merge_copies(const double *a, size_t na, const double *b, size_t nb, double *out)
{
    return na > 0 && nb > 0 && merge_copies(a, na, b, nb, out);
}

/* ree_sort_points, and ree_sort_points_pick when kept is not NULL (returns 1 when it picked).
 * copies: the caller vouches that x's equal values are copies, so that the runs may be merged by
 * merge_avx512 where the processor has AVX-512. */
static int sort_points(double *x, size_t n, double *tmp, size_t pick, double *kept, int copies)
{
    enum { MINRUN = 16, MAXRUN = 128 };
    if (n <= MINRUN) {
        insertion_sort(x, n);
        return 0;
    }
    if (!tmp) {
        sort_segment(x, n);
        return 0;
    }
    size_t bound[MAXRUN + 1], nrun = 0; /* run r is [bound[r], bound[r + 1]) */
#if defined(REE_SORT_AVX512)
    int v512 = ree_sort_avx512();
#else
    int v512 = 0;
#endif
    for (size_t i = 0; i < n;) {
        if (nrun == MAXRUN) {
            sort_chunks(x, n, tmp); /* what is sorted so far stays so: harmless */
            return 0;
        }
        size_t a = run_end(x, i + 1, n, v512);
        if (a - i < MINRUN && a < n) {
            a = n - i < MINRUN ? n : i + MINRUN;
            insertion_sort(x + i, a - i);
            a = a < n ? run_end(x, a, n, v512) : n;
        }
        bound[nrun++] = i;
        i = a;
    }
    bound[nrun] = n;
#if defined(REE_SORT_AVX512)
    int vec = copies && nrun > 1 && v512;
#else
    (void)copies;
#endif
    double *src = x, *dst = tmp;
    while (nrun > 1) {
        if (kept && nrun == 2) { /* the last pass: only the kept points, to kept */
            size_t mid = bound[1];
            if (!ree_sort_lt(src[mid], src[mid - 1])) { /* already in order */
                for (size_t i = 0; i < n / 2; i++)
                    kept[i] = src[2 * i + pick];
                kept[n / 2] = src[n - 1];
            } else {
#if defined(REE_SORT_AVX512)
                if (vec)
                    ree_sort_merge_pick_avx512(src, mid, src + mid, n - mid, kept, pick);
                else
#endif
                    merge_pick(src, mid, src + mid, n - mid, kept, pick);
            }
            return 1;
        }
        size_t w = 0;
        for (size_t r = 0; r < nrun; r += 2) {
            size_t lo = bound[r], mid = bound[r + 1];
            size_t hi = r + 2 <= nrun ? bound[r + 2] : mid;
            if (hi == mid || !ree_sort_lt(src[mid], src[mid - 1]))
                memcpy(dst + lo, src + lo, (hi - lo) * sizeof *x); /* already in order */
#if defined(REE_SORT_AVX512)
            else if (vec)
                ree_sort_merge_runs_avx512(src + lo, mid - lo, src + mid, hi - mid, dst + lo);
#endif
            else
                merge_runs(src + lo, mid - lo, src + mid, hi - mid, dst + lo);
            bound[w++] = lo;
        }
        bound[w] = n;
        nrun = w;
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != x)
        memcpy(x, src, n * sizeof *x);
    return 0;
}

void ree_sort_points(double *x, size_t n, double *tmp, int copies)
{
    (void)sort_points(x, n, tmp, 0, NULL, copies);
}

int ree_sort_points_pick(double *x, size_t n, double *tmp, size_t pick, double *kept, int copies)
{
    return sort_points(x, n, tmp, pick, kept, copies);
}

/* Order x[i] <= x[j] without a branch. */
#define CSWAP(x, i, j)                                                                             \
    do {                                                                                           \
        double a_ = (x)[i], b_ = (x)[j];                                                           \
        int t_ = b_ < a_;                                                                          \
        (x)[i] = t_ ? b_ : a_;                                                                     \
        (x)[j] = t_ ? a_ : b_;                                                                     \
    } while (0)

#if defined(__SSE2__)
/* Whether every order of x[0..n)'s equal values gives the same bits (n even): no NaN, and not
 * both -0.0 and 0.0 (the only distinct finite doubles that compare equal). Then any correct sort
 * -- here min/max networks, which keep ties in no set order -- gives the stable sort's bits. */
static int ties_are_copies(const double *x, size_t n)
{
    __m128d zero = _mm_setzero_pd(), neg0 = zero, pos0 = zero, nan = zero;
    for (size_t i = 0; i < n; i += 2) {
        __m128d v = _mm_loadu_pd(x + i), z = _mm_cmpeq_pd(v, zero);
        neg0 = _mm_or_pd(neg0, _mm_and_pd(z, v));    /* sign bit: a -0.0 */
        pos0 = _mm_or_pd(pos0, _mm_andnot_pd(v, z)); /* sign bit: a 0.0 */
        nan = _mm_or_pd(nan, _mm_cmpunord_pd(v, v));
    }
    return !((_mm_movemask_pd(neg0) && _mm_movemask_pd(pos0)) || _mm_movemask_pd(nan));
}

/* Sort x[0..32) into out[0..32) (distinct) with min/max networks on 16 pairs of values: Batcher's
 * odd-even merge sort of 16 inputs (63 compare-exchanges, checked on every 0-1 input) sorts the
 * even-indexed values in the pairs' first lanes and the odd-indexed ones in their second lanes at
 * once; the first run followed by the second reversed is bitonic, and a bitonic merge (distances
 * 16, 8, 4, 2 across pairs, then 1 within them) sorts it. Only for values whose ties are copies. */
static void sort32(const double *x, double *out)
{
    __m128d v[16], w[16];
    for (int r = 0; r < 16; r++)
        v[r] = _mm_loadu_pd(x + 2 * r);
/* Compare-exchange of registers r[i] and r[j] (two lanes each): the lower values to r[i]. */
#define CE2(r, i, j)                                                                               \
    do {                                                                                           \
        __m128d a_ = (r)[i];                                                                       \
        (r)[i] = _mm_min_pd(a_, (r)[j]);                                                           \
        (r)[j] = _mm_max_pd(a_, (r)[j]);                                                           \
    } while (0)
#define CE(i, j) CE2(v, i, j)
    REE_SORT16_NETWORK(CE);
#undef CE
    for (int r = 0; r < 8; r++) {
        w[r] = _mm_unpacklo_pd(v[2 * r], v[2 * r + 1]);           /* a[2r], a[2r+1] */
        w[8 + r] = _mm_unpackhi_pd(v[15 - 2 * r], v[14 - 2 * r]); /* b[15-2r], b[14-2r] */
    }
#define CE(i, j) CE2(w, i, j)
    /* clang-format off */
    CE(0, 8); CE(1, 9); CE(2, 10); CE(3, 11); CE(4, 12); CE(5, 13);
    CE(6, 14); CE(7, 15); CE(0, 4); CE(1, 5); CE(2, 6); CE(3, 7);
    CE(8, 12); CE(9, 13); CE(10, 14); CE(11, 15); CE(0, 2); CE(1, 3);
    CE(4, 6); CE(5, 7); CE(8, 10); CE(9, 11); CE(12, 14); CE(13, 15);
    CE(0, 1); CE(2, 3); CE(4, 5); CE(6, 7); CE(8, 9); CE(10, 11);
    CE(12, 13); CE(14, 15);
    /* clang-format on */
#undef CE
#undef CE2
    for (int r = 0; r < 16; r += 2) {
        __m128d lo = _mm_unpacklo_pd(w[r], w[r + 1]), hi = _mm_unpackhi_pd(w[r], w[r + 1]);
        __m128d mn = _mm_min_pd(lo, hi), mx = _mm_max_pd(lo, hi);
        _mm_storeu_pd(out + 2 * r, _mm_unpacklo_pd(mn, mx));
        _mm_storeu_pd(out + 2 * r + 2, _mm_unpackhi_pd(mn, mx));
    }
}
#endif

/* Sort a block's column (n <= REE_BLOCK_MAX) without data-dependent branches. A full column of 64
 * whose ties are copies (`copies`, or ties_are_copies; SSE2): by ree_sort_sort64_avx (sort_avx.c)
 * where the processor has AVX (checked at run time), else two runs of 32 by sort32, then one
 * merge. Any
 * other (and the result is the same bits for those): groups of 4 by a sorting network (5
 * compare-exchanges), then bottom-up merges of widths 4, 8, 16, 32 between x and tmp. */
void ree_sort_column(double *x, size_t n, double *tmp, int copies)
{
#if defined(__SSE2__)
    if (n == 64 && (copies || ties_are_copies(x, n))) {
#if defined(REE_SORT_AVX512)
        if (ree_sort_avx512()) {
            ree_sort_sort64_avx512(x);
            return;
        }
#endif
#if defined(REE_SORT_AVX)
        if (ree_sort_avx()) {
            ree_sort_sort64_avx(x);
            return;
        }
#endif
        sort32(x, tmp);
        sort32(x + 32, tmp + 32);
        merge_halves(tmp, tmp + 32, 32, x);
        return;
    }
#endif
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        double *g = x + i;
        CSWAP(g, 0, 1);
        CSWAP(g, 2, 3);
        CSWAP(g, 0, 2);
        CSWAP(g, 1, 3);
        CSWAP(g, 1, 2);
    }
    insertion_sort(x + i, n - i); /* the last 0..3 values */
    double *src = x, *dst = tmp;
    for (size_t w = 4; w < n; w *= 2) {
        for (i = 0; i < n; i += 2 * w) {
            size_t na = n - i < w ? n - i : w;
            size_t nb = n - i - na < w ? n - i - na : w;
            if (na == nb)
                merge_halves(src + i, src + i + na, na, dst + i);
            else
                merge_runs(src + i, na, src + i + na, nb, dst + i);
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != x)
        memcpy(x, src, n * sizeof *x);
}
