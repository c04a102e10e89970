/*
 * Internal to engine/stats (stats.c, stats_block.c, stats_query.c, stats_pack.c): not installed,
 * not for any other module. The layouts of the accumulator (cells with their sketches, or
 * moments only) and of the block, and the small helpers more than one of those files calls,
 * `static inline` here so that the hot path (adds and merges in stats.c, block adds and sealing
 * in stats_block.c) still inlines them. The sketch's design is described at the top of stats.c.
 */
#ifndef REE_STATS_PRIV_H
#define REE_STATS_PRIV_H

#include "sort.h"
#include "stats.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NLEVEL      64 /* weights 2^0 .. 2^63: enough for any count below 2^63 */
#define MIN_K       32 /* 2k > NLEVEL - 1, so a full cell always has a level with 2 points */
#define INITIAL_CAP 16 /* points allocated at a cell's first value */

struct cell {
    uint64_t n;      /* values added */
    double mean, m2; /* Welford mean and sum of squared deviations */
    double min, max; /* exact extremes */
    double *v;       /* points: segment of level nlev-1 first, level 0 last */
    size_t cap;      /* points allocated in v, at most 2k */
    size_t npts;     /* points held */
    int unsorted0;   /* level 0 may be out of order (levels above 0 are always sorted) */
    int pm;          /* point mass: npts > 0 points, all equal to `min` bit for bit, none in v */
    uint64_t parity; /* bit L: the next compaction of level L keeps the second of each pair */
    unsigned nlev;   /* levels in use: cnt[L] == 0 for L >= nlev */
    unsigned seen;   /* SEEN_* of every value the cell took (not packed: rebuilt on unpacking) */
    uint32_t cnt[NLEVEL];
};

/* The kinds of value whose ties are not copies: a cell that has seen no NaN and not both zeros
 * holds, at every level, only points whose equal values are the same bits, so that its sorts may
 * take the vector merges (ree_sort_points's `copies`). A superset of the points held is enough:
 * the flags are only ever added. */
enum { SEEN_NEG0 = 1, SEEN_POS0 = 2, SEEN_NAN = 4 };

static inline unsigned seen_value(double x)
{
    return x == 0.0 ? (signbit(x) ? SEEN_NEG0 : SEEN_POS0) : x != x ? SEEN_NAN : 0u;
}

/* Without a branch per value (zeros come and go at random in a column): with SSE2, the sign bits
 * of the zeros of either sign and the NaN masks or-ed together, two values a turn. */
static inline unsigned seen_values(const double *x, size_t n)
{
    unsigned s = 0;
    size_t i = 0;
#if defined(__SSE2__)
    __m128d zero = _mm_setzero_pd(), neg0 = zero, pos0 = zero, nan = zero;
    for (; i + 2 <= n; i += 2) {
        __m128d v = _mm_loadu_pd(x + i), z = _mm_cmpeq_pd(v, zero);
        neg0 = _mm_or_pd(neg0, _mm_and_pd(z, v));    /* sign bit: a -0.0 */
        pos0 = _mm_or_pd(pos0, _mm_andnot_pd(v, z)); /* sign bit: a 0.0 */
        nan = _mm_or_pd(nan, _mm_cmpunord_pd(v, v));
    }
    s = (_mm_movemask_pd(neg0) ? SEEN_NEG0 : 0u) | (_mm_movemask_pd(pos0) ? SEEN_POS0 : 0u) |
        (_mm_movemask_pd(nan) ? SEEN_NAN : 0u);
#endif
    for (; i < n; i++)
        s |= seen_value(x[i]);
    return s;
}

static inline int ties_copies(const struct cell *c)
{
    return !(c->seen & SEEN_NAN) && (c->seen & (SEEN_NEG0 | SEEN_POS0)) != (SEEN_NEG0 | SEEN_POS0);
}

/* A cell of a moments-only accumulator (ree_acc_alloc_moments): the first five fields of a cell. */
struct mom {
    uint64_t n;
    double mean, m2, min, max;
};

/* Sketch memory. A cell's buffer starts on the heap (INITIAL_CAP points, doubled as it fills);
 * once it would pass POOL_FROM points it takes, for good, a slot in the accumulator's pool: one
 * anonymous mapping of ncell slots of the largest buffer a cell can need (2k + REE_BLOCK_MAX
 * points), mapped when the accumulator is made (merges grow the cells of one accumulator on
 * several threads at once) and asked for transparent huge pages (MADV_HUGEPAGE). The slots are
 * handed out in the order cells first need one (an atomic count, pool_next), so the cells that
 * never do -- point masses, most shortfall and outage series -- leave pages untouched at the end
 * of the pool instead of holes between their neighbours' slots (at cell i's slot i, huge pages
 * committed them all: historical-2025 at 20,000 runs peaked at 106 MB, 87-89 MB with the count;
 * bench/HISTORY.md, stop 26). A page is committed at its first write (MAP_NORESERVE), so the pool
 * never holds more than the steady state ree_mc_series_sketch_bytes counts; with huge pages a
 * slot commits its 2 MiB neighbourhood, so a Monte Carlo of a few hundred runs reaches that
 * steady state's memory early. An accumulator whose slots would take under 8 MiB
 * (POOL_MIN_BYTES, stats.c) stays on the heap.
 * Why: historical-2025's ~80 MB of sketches took ~19,000 first-touch page faults, dear in a VM,
 * and as many TLB entries; with the pool `reesim run` took 10% less wall time on one thread and
 * 20% less on two on this project's VM (bench/HISTORY.md, stop 15). Without huge pages (a kernel
 * with them off) the pool is plain 4 KiB pages and gains less. Where no mapping can be made, under
 * an address-space limit or strict overcommit (pool_affordable, stats.c), under AddressSanitizer (whose
 * redzones guard heap buffers only), or when a test turns it off (ree_acc_set_pool), buffers
 * stay on the heap: the same points, the same results; addresses never reach the output. */
#define POOL_FROM 64

struct ree_acc {
    size_t ncell, k;         /* k == 0: moments only (`mom`, no `cells`) */
    double *pool;            /* ncell slots of slot_pts points, or NULL (not mapped: heap only) */
    size_t slot_pts;         /* 2k + REE_BLOCK_MAX */
    atomic_size_t pool_next; /* slots handed out (in the order cells first needed one) */
    struct cell *cells;      /* the cells, with their sketches; NULL when moments only */
    struct mom *mom;         /* the cells of a moments-only accumulator; NULL otherwise */
    double *scratch;         /* 4k points for merging two sketches, allocated at first need */
    double *tmp;             /* 4k + REE_BLOCK_MAX points for sorting and merging, at first need */
};

/* Sort level 0 (the only level that can be out of order) when needed. */
static inline void sort_level0(struct cell *c, double *tmp)
{
    if (c->unsorted0) {
        ree_sort_points(c->v + (c->npts - c->cnt[0]), c->cnt[0], tmp, ties_copies(c));
        c->unsorted0 = 0;
    }
}

static inline int in_pool(const ree_acc *a, const double *v)
{
    return a->pool && v >= a->pool && v < a->pool + a->ncell * a->slot_pts;
}

static inline int grow(ree_acc *a, struct cell *c, size_t want, size_t limit)
{
    if (c->cap >= want)
        return 0;
    if (in_pool(a, c->v))
        return -1; /* not reached: a slot holds the most any caller asks (2k + REE_BLOCK_MAX) */
    size_t cap = c->cap ? c->cap : INITIAL_CAP;
    while (cap < want)
        cap *= 2;
    if (cap > limit)
        cap = limit;
    if (cap > POOL_FROM && a->pool) {
        /* the next slot: the cells that ever need one (not the point masses) share the first
         * pages of the pool, so the pages never touched are those of cells that never do */
        size_t i = atomic_fetch_add_explicit(&a->pool_next, 1, memory_order_relaxed);
        double *slot = a->pool + i * a->slot_pts;
        if (c->npts > 0 && !c->pm)
            memcpy(slot, c->v, c->npts * sizeof *slot);
        free(c->v);
        c->v = slot;
        c->cap = a->slot_pts;
        return 0;
    }
    double *v = realloc(c->v, cap * sizeof *v);
    if (!v)
        return -1;
    c->v = v;
    c->cap = cap;
    return 0;
}

static inline int same_bits(double a, double b)
{
    uint64_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

/* The merge buffers: `tmp` (4k + REE_BLOCK_MAX points) for sorting and merging, `scratch` (4k)
 * for merging two sketches. Allocated at their first use; -1 when out of memory. */
static inline int need_tmp(ree_acc *a)
{
    if (!a->tmp && !(a->tmp = malloc((4 * a->k + REE_BLOCK_MAX) * sizeof *a->tmp)))
        return -1;
    return 0;
}

/* A moment an update makes NaN is stored as the one NaN, NAN (it is a NaN either way: only which
 * one is at stake). x86 returns the first operand's NaN when both are NaN, so the bits of a sum
 * or product of two NaNs follow the operand order the compiler chose for a commutative operation,
 * which clang chooses differently in the plain and the AVX builds of block_add_body: the sign of
 * a NaN mean differed between them. The select is on the computed value (no branch: the loops
 * stay vectorised) and keeps the constant's bits under every compiler. Non-NaN results are those
 * of the plain update. */
static inline double one_nan(double v)
{
    return v != v ? NAN : v;
}

/*
 * Blocks: values staged by run (REE_BLOCK_STAGE runs at a time, row-major, one memcpy per run),
 * transposed into one column of at most REE_BLOCK_MAX values per cell; sealing computes each
 * cell's moments in run order (the same Welford update as ree_acc_add) and sorts the column.
 */
#define REE_BLOCK_STAGE 8

struct ree_block {
    size_t ncell;
    int nruns, staged;
    double *rows; /* REE_BLOCK_STAGE x ncell; NULL when moments only */
    double *cols; /* ncell x REE_BLOCK_MAX; NULL when moments only */
    double *mean, *m2, *min, *max;
    unsigned char *konst; /* per cell, once sealed: all the column's values are the same bits */
    int sealed;
    int light; /* moments only (ree_block_alloc_moments): no rows, columns or konst */
};

/* Whether the n values x[0..n) are all the same bits. Most columns that are not differ at once;
 * a full column that passes its first two values is compared whole with SSE2, four values a turn
 * (the bits' exclusive or with the first value's, or-ed together, is zero). */
static inline int column_konst(const double *x, int n)
{
    if (n < 2)
        return n == 1;
    if (!same_bits(x[1], x[0]))
        return 0;
#if defined(__SSE2__)
    if (n == REE_BLOCK_MAX) {
        __m128i f = _mm_loadl_epi64((const __m128i *)x), acc = _mm_setzero_si128();
        f = _mm_unpacklo_epi64(f, f);
        for (int i = 0; i < REE_BLOCK_MAX; i += 4) {
            __m128i u = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(x + i)), f);
            __m128i w = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(x + i + 2)), f);
            acc = _mm_or_si128(acc, _mm_or_si128(u, w));
        }
        return _mm_movemask_epi8(_mm_cmpeq_epi8(acc, _mm_setzero_si128())) == 0xFFFF;
    }
#endif
    int i = 2;
    while (i < n && same_bits(x[i], x[0]))
        i++;
    return i == n;
}

/* Mark the columns whose values are all the same bits (they merge into a point mass). */
static inline void find_konst(ree_block *b, size_t lo, size_t hi)
{
    for (size_t c = lo; c < hi; c++)
        b->konst[c] = (unsigned char)column_konst(b->cols + c * REE_BLOCK_MAX, b->nruns);
}

#endif
