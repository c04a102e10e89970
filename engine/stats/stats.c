/*
 * Statistics across Monte Carlo runs: Welford moments and a deterministic compactor sketch.
 *
 * Sketch layout (per cell): one buffer of at most 2k doubles (2k + REE_BLOCK_MAX while a block is
 * merged) holding the points of every level, a segment per level, highest level first and level 0
 * last, so that adding a value is an append. A point of level L has weight 2^L. Levels above 0
 * are always in order; level 0 is sorted lazily (at compaction or query time) by a merge of its
 * natural runs -- blocks arrive already sorted, so this is a few linear passes.
 *
 * Point masses: a cell whose values so far are all the same double (bit for bit: 0.0 and -0.0
 * differ) keeps no points at all (`pm`): its points are npts copies of its minimum, and only the
 * per-level counts and parities move, by the same rules, so its state (and every result) is the
 * one it would have with the points stored. The first different value materialises the points.
 * Shortfall, outage and capacity series are such cells in most months.
 *
 * Compaction (when an add or a merge would exceed 2k points): take the level with the most points
 * (ties: the lowest level), in order, pair its points (0,1), (2,3), ..., keep the first or the
 * second of each pair (alternating per level and per compaction) and merge the kept points, still
 * in order, into the next level; an odd last point stays. See docs/statistics.md for the error
 * bound.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, madvise: the sketch pool */
#include "stats.h"
#include "sort.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#endif
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

static unsigned seen_value(double x)
{
    return x == 0.0 ? (signbit(x) ? SEEN_NEG0 : SEEN_POS0) : x != x ? SEEN_NAN : 0u;
}

/* Without a branch per value (zeros come and go at random in a column): with SSE2, the sign bits
 * of the zeros of either sign and the NaN masks or-ed together, two values a turn. */
static unsigned seen_values(const double *x, size_t n)
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

static int ties_copies(const struct cell *c)
{
    return !(c->seen & SEEN_NAN) && (c->seen & (SEEN_NEG0 | SEEN_POS0)) != (SEEN_NEG0 | SEEN_POS0);
}

/* A cell of a moments-only accumulator (ree_acc_alloc_moments): the first five fields of a cell. */
struct mom {
    uint64_t n;
    double mean, m2, min, max;
};

/* Sketch memory. A cell's buffer starts on the heap (INITIAL_CAP points, doubled as it fills);
 * once it would pass POOL_FROM points it takes, for good, its slot in the accumulator's pool: one
 * anonymous mapping of ncell slots of the largest buffer a cell can need (2k + REE_BLOCK_MAX
 * points), cell i at slot i, mapped when the accumulator is made (merges grow the cells of one
 * accumulator on several threads at once) and asked for transparent huge pages (MADV_HUGEPAGE).
 * A page is committed at its first write (MAP_NORESERVE), so the pool never holds more than the
 * steady state ree_mc_series_sketch_bytes counts; with huge pages a slot commits its 2 MiB
 * neighbourhood, so a Monte Carlo of a few hundred runs reaches that steady state's memory early
 * (historical-2025: 102 MB peak at one thread against 78 MB on the heap, at 5,000 runs).
 * Why: historical-2025's ~80 MB of sketches took ~19,000 first-touch page faults, dear in a VM,
 * and as many TLB entries; with the pool `reesim run` took 10% less wall time on one thread and
 * 20% less on two on this project's VM (bench/README.md, stop 15). Without huge pages (a kernel
 * with them off) the pool is plain 4 KiB pages and gains less. Where no mapping can be made, under
 * an address-space limit or strict overcommit (pool_affordable), under AddressSanitizer (whose
 * redzones guard heap buffers only), or when a test turns it off (ree_acc_set_pool), buffers
 * stay on the heap: the same points, the same results; addresses never reach the output. */
#define POOL_FROM 64

struct ree_acc {
    size_t ncell, k;    /* k == 0: moments only (`mom`, no `cells`) */
    double *pool;       /* ncell slots of slot_pts points, or NULL (not mapped: heap only) */
    size_t slot_pts;    /* 2k + REE_BLOCK_MAX */
    struct cell *cells; /* the cells, with their sketches; NULL when moments only */
    struct mom *mom;    /* the cells of a moments-only accumulator; NULL otherwise */
    double *scratch;    /* 4k points for merging two sketches, allocated at first need */
    double *tmp;        /* 4k + REE_BLOCK_MAX points for sorting and merging, at first need */
};

/* Index of the first point of level `level`. */
static size_t seg_start(const struct cell *c, unsigned level)
{
    size_t off = 0;
    for (unsigned l = c->nlev; l-- > level + 1;)
        off += c->cnt[l];
    return off;
}

/* Sort level 0 (the only level that can be out of order) when needed. */
static void sort_level0(struct cell *c, double *tmp)
{
    if (c->unsorted0) {
        ree_sort_points(c->v + (c->npts - c->cnt[0]), c->cnt[0], tmp, ties_copies(c));
        c->unsorted0 = 0;
    }
}

/* The same at query time, when the accumulator may have no merge buffer yet (a total that took
 * blocks only through ree_acc_merge_block_cells, with the caller's buffers): then a buffer of the
 * level's size for this sort, so that the order of equal points (-0.0 and 0.0) is the stable
 * sort's, as after a compaction. Only if that allocation fails does the in-place introsort run:
 * the same multiset, equal points perhaps in another order. */
static void query_sort0(const ree_acc *a, struct cell *c)
{
    if (!c->unsorted0 || c->pm)
        return;
    double *own = a->tmp ? NULL : malloc(c->cnt[0] * sizeof *own);
    sort_level0(c, a->tmp ? a->tmp : own);
    free(own);
}

/* One compaction of the fullest level; frees at least one point (the caller guarantees some
 * level holds two or more). The kept points are already in order, so they join level L+1 by a
 * linear merge; tmp holds ntmp points, at least as many as the cell. A level 0 out of order is
 * sorted with the pick in its last merge pass (ree_sort_points_pick: the kept points to tmp past
 * the sort's own points, when they fit), and they join level 1 by a merge from the back in place
 * (ree_sort_merge_into): the same points in the same order as sorting, picking and merging. */
static void compact_once(struct cell *c, double *tmp, size_t ntmp)
{
    unsigned level = 0;
    for (unsigned l = 1; l < c->nlev; l++)
        if (c->cnt[l] > c->cnt[level])
            level = l;
    size_t m = c->cnt[level];
    size_t pairs = m / 2, odd = m % 2;
    if (c->pm) /* all points equal: only the counts move */
        goto counts;
    size_t off = seg_start(c, level);
    size_t pick = (size_t)(c->parity >> level & 1u);
    double *seg = c->v + off;
    if (level == 0 && c->unsorted0 && tmp && m + pairs + 1 <= ntmp &&
        ree_sort_points_pick(seg, m, tmp, pick, tmp + m, ties_copies(c))) {
        const double *kept = tmp + m; /* kept[pairs]: the largest point */
        size_t up = c->nlev > 1 ? c->cnt[1] : 0;
        /* With copies for ties, forward into tmp and back (kept, m points in, and m >= up: level
         * 0 is the fullest; so kept is read before the outputs reach it, and kept[pairs] lies
         * past them), else from the back in place. */
        if (ties_copies(c) && up > 0 && up <= m && ree_sort_lt(kept[0], seg[-1]) &&
            ree_sort_merge_copies(seg - up, up, kept, pairs, tmp))
            memcpy(seg - up, tmp, (up + pairs) * sizeof *seg);
        else
            ree_sort_merge_into(seg - up, up, kept, pairs);
        if (odd)
            seg[pairs] = kept[pairs];
        c->unsorted0 = 0;
        goto counts; /* level 0 is the last segment: nothing below it moves */
    }
    if (level == 0)
        sort_level0(c, tmp);

    double last = seg[m - 1];
    for (size_t i = 0; i < pairs; i++)
        seg[i] = seg[2 * i + pick];
    /* Level L+1 is the segment just before: merge it with the kept points. */
    size_t up = level + 1 < c->nlev ? c->cnt[level + 1] : 0;
    ree_sort_merge_adjacent(seg - up, up, pairs, tmp, ties_copies(c));
    if (odd)
        seg[pairs] = last;
    /* Segments below `level` move down over the freed points. */
    size_t tail = c->npts - (off + m);
    if (tail)
        memmove(seg + pairs + odd, seg + m, tail * sizeof *seg);

counts:
    c->cnt[level + 1] += (uint32_t)pairs;
    c->cnt[level] = (uint32_t)odd;
    c->parity ^= (uint64_t)1 << level;
    if (level + 2 > c->nlev)
        c->nlev = level + 2;
    c->npts -= pairs;
}

/* AddressSanitizer's redzones guard heap buffers, not slots of one mapping: keep the heap there
 * (GCC says __SANITIZE_ADDRESS__, clang __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define REE_NO_POOL 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REE_NO_POOL 1
#endif
#endif

static int pool_on = 1;

void ree_acc_set_pool(int on)
{
    pool_on = on != 0;
}

#if defined(__linux__) && defined(MAP_NORESERVE) && !defined(REE_NO_POOL)
/* Whether the system will carry a pool's upfront address space without taking it from the
 * rest of the run: not under an address-space limit (RLIMIT_AS counts a MAP_NORESERVE mapping
 * whole, so a run that fits its limit on the heap could fail with the pool mapped), and not
 * under strict overcommit (vm.overcommit_memory = 2 ignores MAP_NORESERVE and charges it all). */
static int pool_affordable(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY)
        return 0;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = 0;
    if (f) {
        if (fscanf(f, "%d", &mode) != 1)
            mode = 0;
        fclose(f);
    }
    return mode != 2;
}
#endif

/* Map the pool (above) of `a`, or leave a->pool NULL (heap only). Called once, when `a` is
 * allocated: merges grow cells of one accumulator on several threads at once, so the mapping
 * must exist before, and afterwards it is only read. */
static void pool_map(ree_acc *a)
{
#if defined(__linux__) && defined(MAP_NORESERVE) && !defined(REE_NO_POOL)
    size_t bytes = a->ncell * a->slot_pts * sizeof(double);
    if (!pool_on || !a->ncell || bytes / a->ncell / sizeof(double) != a->slot_pts ||
        !pool_affordable())
        return;
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED)
        return;
#if defined(MADV_HUGEPAGE)
    (void)madvise(m, bytes, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
    a->pool = m;
#else
    (void)a;
#endif
}

static int in_pool(const ree_acc *a, const double *v)
{
    return a->pool && v >= a->pool && v < a->pool + a->ncell * a->slot_pts;
}

static int grow(ree_acc *a, struct cell *c, size_t want, size_t limit)
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
        double *slot = a->pool + (size_t)(c - a->cells) * a->slot_pts;
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

static int same_bits(double a, double b)
{
    uint64_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

/* Store a point-mass cell's points (npts copies of its minimum) in a buffer of at least `want`
 * points, so that the ordinary code can take over. Returns 0, or -1 when out of memory (the cell
 * is then unchanged). */
static int materialise(ree_acc *a, struct cell *c, size_t want, size_t limit)
{
    if (!c->pm)
        return 0;
    if (grow(a, c, want > c->npts ? want : c->npts, limit) != 0)
        return -1;
    for (size_t i = 0; i < c->npts; i++)
        c->v[i] = c->min;
    c->pm = 0;
    c->unsorted0 = 0;
    return 0;
}

static void clear_cell(struct cell *c)
{
    double *v = c->v;
    size_t cap = c->cap;
    memset(c, 0, sizeof *c);
    c->v = v;
    c->cap = cap;
}

/* The merge buffers: `tmp` (4k + REE_BLOCK_MAX points) for sorting and merging, `scratch` (4k)
 * for merging two sketches. Allocated at their first use; -1 when out of memory. */
static int need_tmp(ree_acc *a)
{
    if (!a->tmp && !(a->tmp = malloc((4 * a->k + REE_BLOCK_MAX) * sizeof *a->tmp)))
        return -1;
    return 0;
}

ree_acc *ree_acc_alloc(size_t ncell, size_t k)
{
    if (k == 0)
        k = REE_ACC_DEFAULT_K;
    if (k < MIN_K)
        k = MIN_K;
    if (k > (size_t)1 << 30)
        return NULL;
    ree_acc *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->ncell = ncell;
    a->k = k;
    a->cells = calloc(ncell ? ncell : 1, sizeof *a->cells);
    if (!a->cells) {
        free(a);
        return NULL;
    }
    a->slot_pts = 2 * k + REE_BLOCK_MAX;
    pool_map(a);
    return a;
}

ree_acc *ree_acc_alloc_moments(size_t ncell)
{
    ree_acc *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->ncell = ncell;
    a->mom = calloc(ncell ? ncell : 1, sizeof *a->mom);
    if (!a->mom) {
        free(a);
        return NULL;
    }
    return a;
}

int ree_acc_has_quantiles(const ree_acc *a)
{
    return a->cells != NULL;
}

void ree_acc_free(ree_acc *a)
{
    if (!a)
        return;
    for (size_t i = 0; a->cells && i < a->ncell; i++)
        if (!in_pool(a, a->cells[i].v))
            free(a->cells[i].v);
#if defined(__linux__) && defined(MAP_NORESERVE)
    if (a->pool)
        munmap(a->pool, a->ncell * a->slot_pts * sizeof(double));
#endif
    free(a->cells);
    free(a->mom);
    free(a->scratch);
    free(a->tmp);
    free(a);
}

void ree_acc_reset(ree_acc *a)
{
    if (a->mom)
        memset(a->mom, 0, a->ncell * sizeof *a->mom);
    for (size_t i = 0; a->cells && i < a->ncell; i++)
        clear_cell(&a->cells[i]);
}

size_t ree_acc_ncell(const ree_acc *a)
{
    return a->ncell;
}

size_t ree_acc_points(const ree_acc *a, size_t cell)
{
    return a->cells ? a->cells[cell].npts : 0;
}

size_t ree_acc_cell_bytes_max(size_t k)
{
    k = k == 0 ? REE_ACC_DEFAULT_K : k < MIN_K ? MIN_K : k;
    return sizeof(struct cell) + (2 * k + REE_BLOCK_MAX) * sizeof(double);
}

size_t ree_acc_bytes(const ree_acc *a)
{
    if (!a->cells)
        return sizeof *a + a->ncell * sizeof *a->mom;
    size_t b = sizeof *a + a->ncell * sizeof *a->cells;
    for (size_t i = 0; i < a->ncell; i++)
        b += a->cells[i].cap * sizeof(double);
    if (a->tmp)
        b += (4 * a->k + REE_BLOCK_MAX) * sizeof(double);
    if (a->scratch)
        b += 4 * a->k * sizeof(double);
    return b;
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

/* Welford's update of (n, mean, m2, min, max) by one value x: the one code both kinds of
 * accumulator run, so their moments are the same bits. */
static void add_moments(uint64_t *n, double *mean, double *m2, double *mn, double *mx, double x)
{
    (*n)++;
    if (*n == 1) {
        *mean = x;
        *m2 = 0.0;
        *mn = *mx = x;
    } else {
        double d = x - *mean;
        *mean = one_nan(*mean + d / (double)*n);
        *m2 = one_nan(*m2 + d * (x - *mean));
        if (x < *mn)
            *mn = x;
        if (x > *mx)
            *mx = x;
    }
}

/* Fold the moments of (nb, mean_b, m2_b, min_b, max_b) into (n, mean, m2, mn, mx): Chan, Golub &
 * LeVeque. Shared by both kinds of accumulator, as add_moments. */
static void fold_moments(uint64_t *n_, double *mean, double *m2, double *mn, double *mx,
                         uint64_t nb_, double mean_b, double m2_b, double min_b, double max_b)
{
    if (*n_ == 0) {
        *n_ = nb_;
        *mean = mean_b;
        *m2 = m2_b;
        *mn = min_b;
        *mx = max_b;
        return;
    }
    double na = (double)*n_, nb = (double)nb_, n = na + nb;
    double d = mean_b - *mean;
    *n_ += nb_;
    *mean = *mean + d * (nb / n);
    *m2 = *m2 + m2_b + d * d * (na * nb / n);
    *mn = min_b < *mn ? min_b : *mn;
    *mx = max_b > *mx ? max_b : *mx;
}

static void merge_moments(struct cell *c, uint64_t nb_, double mean_b, double m2_b, double min_b,
                          double max_b)
{
    fold_moments(&c->n, &c->mean, &c->m2, &c->min, &c->max, nb_, mean_b, m2_b, min_b, max_b);
}

static void fold_mom(struct mom *c, uint64_t nb_, double mean_b, double m2_b, double min_b,
                     double max_b)
{
    fold_moments(&c->n, &c->mean, &c->m2, &c->min, &c->max, nb_, mean_b, m2_b, min_b, max_b);
}

/* Append one value to level 0 (room and a free point guaranteed). */
static void append0(struct cell *c, double x)
{
    if (c->cnt[0] > 0 && ree_sort_lt(x, c->v[c->npts - 1]))
        c->unsorted0 = 1;
    c->v[c->npts++] = x;
    c->cnt[0]++;
    if (c->nlev == 0)
        c->nlev = 1;
}

int ree_acc_add(ree_acc *a, const double *values)
{
    if (!a->cells) {
        for (size_t i = 0; i < a->ncell; i++) {
            struct mom *c = &a->mom[i];
            add_moments(&c->n, &c->mean, &c->m2, &c->min, &c->max, values[i]);
        }
        return 0;
    }
    size_t limit = 2 * a->k;
    /* Grow every buffer first: growing keeps the contents, so a failure leaves the accumulator
     * logically unchanged. */
    for (size_t i = 0; i < a->ncell; i++) {
        struct cell *c = &a->cells[i];
        if (c->n == 0 || (c->pm && same_bits(values[i], c->min)))
            continue; /* stays (or becomes) a point mass: no storage */
        if (c->pm && materialise(a, c, c->npts < limit ? c->npts + 1 : limit, limit) != 0)
            return -1;
        if (c->npts == c->cap && c->cap < limit && grow(a, c, c->npts + 1, limit) != 0)
            return -1;
        if (c->npts == limit && need_tmp(a) != 0)
            return -1;
    }
    for (size_t i = 0; i < a->ncell; i++) {
        struct cell *c = &a->cells[i];
        double x = values[i];
        if (c->n == 0)
            c->pm = 1;
        if (c->npts == limit)
            compact_once(c, a->tmp, 2 * limit + REE_BLOCK_MAX);
        c->seen |= seen_value(x);
        if (c->pm) {
            c->npts++;
            c->cnt[0]++;
            c->nlev = c->nlev ? c->nlev : 1;
        } else {
            append0(c, x);
        }
        add_moments(&c->n, &c->mean, &c->m2, &c->min, &c->max, x);
    }
    return 0;
}

/* Add `m` copies of a point-mass cell's value to level 0 of c (a point mass too), then compact
 * down to `limit`: merge_level0 without the points. */
static void merge_level0_pm(struct cell *c, size_t m, unsigned seen, size_t limit)
{
    c->seen |= seen;
    c->pm = 1;
    c->npts += m;
    c->cnt[0] += (uint32_t)m;
    if (c->nlev == 0)
        c->nlev = 1;
    while (c->npts > limit)
        compact_once(c, NULL, 0);
}

/* Append `m` points (in order when `sorted`) to level 0 of c -- room guaranteed -- then compact
 * down to `limit`: the same result as the concatenation of two sketches of which the second has
 * only level-0 points. Level 0 is not merged here but sorted when it is compacted or queried:
 * ree_sort_points is stable, so sorting the concatenation gives the order a merge at every block
 * (existing points first on ties) would, tie for tie, and costs a few linear passes over the
 * level, in cache, instead of a pass over the cell's cold level 0 at every block. */
static void merge_level0(struct cell *c, const double *x, size_t m, int sorted, unsigned seen,
                         size_t limit, double *tmp)
{
    if (m == 0)
        return;
    c->seen |= seen;
    size_t m0 = c->cnt[0];
    double *end = c->v + c->npts;
    if (!sorted || (m0 > 0 && ree_sort_lt(x[0], end[-1])))
        c->unsorted0 = 1;
    memcpy(end, x, m * sizeof *x);
    c->npts += m;
    c->cnt[0] += (uint32_t)m;
    if (c->nlev == 0)
        c->nlev = 1;
    while (c->npts > limit)
        compact_once(c, tmp, 2 * limit + REE_BLOCK_MAX);
}

/* General merge through the scratch buffer: level by level concatenation (levels above 0 merged
 * in order), then compaction. */
static void merge_cell_general(struct cell *c, struct cell *f, double *scratch, size_t limit,
                               double *tmp)
{
    struct cell t = *c;
    t.v = scratch;
    t.seen |= f->seen;
    t.nlev = c->nlev > f->nlev ? c->nlev : f->nlev;
    t.npts = 0;
    size_t fpos = 0, cpos = 0;
    for (unsigned l = t.nlev; l-- > 0;) {
        size_t nc = l < c->nlev ? c->cnt[l] : 0;
        size_t nf = l < f->nlev ? f->cnt[l] : 0;
        memcpy(scratch + t.npts, c->v + cpos, nc * sizeof *scratch);
        memcpy(scratch + t.npts + nc, f->v + fpos, nf * sizeof *scratch);
        if (l > 0)
            ree_sort_merge_adjacent(scratch + t.npts, nc, nf, tmp, ties_copies(&t));
        else if (f->unsorted0 || (nc > 0 && nf > 0 && ree_sort_lt(f->v[fpos], c->v[cpos + nc - 1])))
            t.unsorted0 = 1;
        t.npts += nc + nf;
        cpos += nc;
        fpos += nf;
        t.cnt[l] = (uint32_t)(nc + nf);
    }
    while (t.npts > limit)
        compact_once(&t, tmp, 2 * limit + REE_BLOCK_MAX);
    memcpy(c->v, scratch, t.npts * sizeof *scratch);
    t.v = c->v;
    t.cap = c->cap;
    *c = t;
}

/* Merge point mass f into c, empty or a point mass of the same value: the counts of
 * merge_cell_general, level by level, then compaction. */
static void merge_pm(struct cell *c, const struct cell *f, size_t limit)
{
    unsigned nlev = c->nlev > f->nlev ? c->nlev : f->nlev;
    for (unsigned l = 0; l < nlev; l++)
        c->cnt[l] += l < f->nlev ? f->cnt[l] : 0;
    c->nlev = nlev;
    c->npts += f->npts;
    c->seen |= f->seen;
    c->pm = 1;
    while (c->npts > limit)
        compact_once(c, NULL, 0);
}

int ree_acc_merge(ree_acc *into, const ree_acc *from)
{
    if (into == from || into->ncell != from->ncell ||
        (into->cells && (!from->cells || from->k > into->k)))
        return -1;
    if (!into->cells) { /* moments only: fold in from's moments, whatever its kind */
        for (size_t i = 0; i < into->ncell; i++) {
            const struct mom *f = from->mom;
            if (f && f[i].n)
                fold_mom(&into->mom[i], f[i].n, f[i].mean, f[i].m2, f[i].min, f[i].max);
            else if (from->cells[i].n)
                fold_mom(&into->mom[i], from->cells[i].n, from->cells[i].mean, from->cells[i].m2,
                         from->cells[i].min, from->cells[i].max);
        }
        return 0;
    }
    size_t limit = 2 * into->k;
    int need_scratch = 0, any = 0;
    for (size_t i = 0; i < into->ncell; i++) {
        struct cell *c = &into->cells[i];
        struct cell *f = &from->cells[i]; /* materialised in place: the state is unchanged */
        if (f->n == 0)
            continue;
        any = 1;
        size_t sum = c->npts + f->npts;
        if (f->pm && (c->n == 0 || (c->pm && same_bits(f->min, c->min))))
            continue; /* the merge of two equal point masses is one */
        /* from's cells are written (materialised) in place, as before: logically unchanged */
        if (f->pm && materialise((ree_acc *)from, f, f->npts, 2 * from->k) != 0)
            return -1;
        if (c->pm && materialise(into, c, sum < limit ? sum : limit, limit + REE_BLOCK_MAX) != 0)
            return -1;
        if (f->nlev <= 1 && f->npts <= REE_BLOCK_MAX) {
            if (grow(into, c, sum, limit + REE_BLOCK_MAX) != 0)
                return -1;
        } else {
            need_scratch = 1;
            if (grow(into, c, sum < limit ? sum : limit, limit + REE_BLOCK_MAX) != 0)
                return -1;
        }
    }
    if (any && need_tmp(into) != 0)
        return -1;
    if (need_scratch && !into->scratch &&
        !(into->scratch = malloc(2 * limit * sizeof *into->scratch)))
        return -1;
    for (size_t i = 0; i < into->ncell; i++) {
        struct cell *c = &into->cells[i];
        struct cell *f = &from->cells[i]; /* sorted in place: the logical state is unchanged */
        if (f->n == 0)
            continue;
        uint64_t n0 = c->n;
        double mean = f->mean, m2 = f->m2, mn = f->min, mx = f->max;
        if (f->pm)
            merge_pm(c, f, limit);
        else if (f->nlev <= 1 && f->npts <= REE_BLOCK_MAX)
            merge_level0(c, f->v, f->npts, !f->unsorted0, f->seen, limit, into->tmp);
        else
            merge_cell_general(c, f, into->scratch, limit, into->tmp);
        c->n = n0;
        merge_moments(c, f->n, mean, m2, mn, mx);
    }
    return 0;
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

ree_block *ree_block_alloc_moments(size_t ncell)
{
    size_t n = ncell ? ncell : 1;
    if (n > SIZE_MAX / (4 * sizeof(double)))
        return NULL;
    ree_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->ncell = ncell;
    b->light = 1;
    if (!(b->mean = malloc(4 * n * sizeof *b->mean))) {
        free(b);
        return NULL;
    }
    b->m2 = b->mean + n;
    b->min = b->m2 + n;
    b->max = b->min + n;
    return b;
}

ree_block *ree_block_alloc(size_t ncell)
{
    size_t n = ncell ? ncell : 1;
    if (n > SIZE_MAX / (REE_BLOCK_MAX * sizeof(double)))
        return NULL; /* the column buffer's size would overflow */
    ree_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->ncell = ncell;
    b->rows = malloc(REE_BLOCK_STAGE * n * sizeof *b->rows);
    /* Aligned to a cache line: a column's 8 runs staged together are one line (flush_rows). */
    b->cols = aligned_alloc(64, REE_BLOCK_MAX * n * sizeof *b->cols);
    b->mean = malloc(4 * n * sizeof *b->mean);
    b->konst = malloc(n);
    if (!b->rows || !b->cols || !b->mean || !b->konst) {
        ree_block_free(b);
        return NULL;
    }
    b->m2 = b->mean + n;
    b->min = b->m2 + n;
    b->max = b->min + n;
    return b;
}

void ree_block_free(ree_block *b)
{
    if (!b)
        return;
    free(b->rows);
    free(b->cols);
    free(b->mean);
    free(b->konst);
    free(b);
}

void ree_block_reset(ree_block *b)
{
    b->nruns = b->staged = 0;
    b->sealed = 0;
}

int ree_block_runs(const ree_block *b)
{
    return b->nruns;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define REE_BLOCK_AVX512 1
#include <immintrin.h>

/* The 8 x 8 transpose of flush_rows for cells c, c + 1, ... as long as 8 remain, with AVX-512:
 * the 8 staged rows' values of 8 cells in 8 registers, 24 shuffles, then each cell's 8 runs in
 * one 64-byte store (a whole cache line of its column: `cols` is 64-byte aligned and `first` a
 * multiple of 8) instead of 64 loads and 64 stores of one value. Returns the first cell not
 * moved. Only moves bits, so the columns are those of the plain loop. */
__attribute__((target("avx512f"))) static size_t flush_rows_avx512(const double *rows, size_t nc,
                                                                   double *cols)
{
    /* Immediates: an enum, since clang takes only integer constant expressions there. */
    enum { lo = _MM_SHUFFLE(2, 0, 2, 0), hi = _MM_SHUFFLE(3, 1, 3, 1) };
    size_t c = 0;
    for (; c + 8 <= nc; c += 8) {
        __m512d r[8], t[8], u[4], v[4];
        for (int k = 0; k < 8; k++)
            r[k] = _mm512_loadu_pd(rows + (size_t)k * nc + c);
        for (int k = 0; k < 8; k += 2) {
            /* 128-bit lane q of t[k]: runs k, k + 1 of cell 2q; of t[k + 1]: of cell 2q + 1 */
            t[k] = _mm512_unpacklo_pd(r[k], r[k + 1]);
            t[k + 1] = _mm512_unpackhi_pd(r[k], r[k + 1]);
        }
        for (int p = 0; p < 2; p++) { /* p = 0: the even cells, 1: the odd ones */
            /* u[2p + h]: runs 0-3 of cells p + 2h (128-bit lanes 0, 2) and p + 2h + 4 (lanes
             * 1, 3); v[2p + h]: their runs 4-7 */
            u[2 * p] = _mm512_shuffle_f64x2(t[p], t[2 + p], lo);
            u[2 * p + 1] = _mm512_shuffle_f64x2(t[p], t[2 + p], hi);
            v[2 * p] = _mm512_shuffle_f64x2(t[4 + p], t[6 + p], lo);
            v[2 * p + 1] = _mm512_shuffle_f64x2(t[4 + p], t[6 + p], hi);
        }
        for (int p = 0; p < 2; p++)
            for (int h = 0; h < 2; h++) {
                double *col = cols + (c + (size_t)(2 * h + p)) * REE_BLOCK_MAX;
                _mm512_storeu_pd(col, _mm512_shuffle_f64x2(u[2 * p + h], v[2 * p + h], lo));
                _mm512_storeu_pd(col + 4 * REE_BLOCK_MAX,
                                 _mm512_shuffle_f64x2(u[2 * p + h], v[2 * p + h], hi));
            }
    }
    return c;
}
#endif

/* Move the staged rows into the columns: one cache line of each column per 8 runs. */
static void flush_rows(ree_block *b)
{
    int first = b->nruns - b->staged;
    size_t c = 0;
#if defined(REE_BLOCK_AVX512)
    if (b->staged == REE_BLOCK_STAGE && ree_sort_avx512())
        c = flush_rows_avx512(b->rows, b->ncell, b->cols + first);
#endif
    for (; c < b->ncell; c++) {
        double *col = b->cols + c * REE_BLOCK_MAX + first;
        for (int r = 0; r < b->staged; r++)
            col[r] = b->rows[(size_t)r * b->ncell + c];
    }
    b->staged = 0;
}

/* One run's values into a block: moments in run order, the same Welford update as ree_acc_add
 * (n: the count with this run), and the values staged in `row` (NULL: a moments-only block). The
 * cells are independent and the arrays distinct, so the loops vectorise across cells. Inlined
 * into a plain and an AVX build of the same operations (block_add_cells, block_add_cells_avx):
 * no fused multiply-add (-ffp-contract=off) and IEEE results per operation, so either gives the
 * same bits, NaNs included (one_nan). */
static inline __attribute__((always_inline)) void
block_add_body(size_t nc, const double *restrict values, double *restrict row,
               double *restrict mean, double *restrict m2, double *restrict mn, double *restrict mx,
               double n)
{
    if (n == 1.0) {
        for (size_t c = 0; c < nc; c++) {
            if (row) /* loop-invariant: the compilers unswitch it */
                row[c] = values[c];
            mean[c] = mn[c] = mx[c] = values[c];
            m2[c] = 0.0;
        }
        return;
    }
    for (size_t c = 0; c < nc; c++) {
        double x = values[c], d = x - mean[c];
        if (row)
            row[c] = x;
        mean[c] = one_nan(mean[c] + d / n);
        m2[c] = one_nan(m2[c] + d * (x - mean[c]));
        mn[c] = x < mn[c] ? x : mn[c];
        mx[c] = x > mx[c] ? x : mx[c];
    }
}

/* GCC would make the staging stores a memcpy of its own, a second pass over the values. The
 * attribute restates -ffp-contract=off: GCC's optimize attribute may reset options given on the
 * command line, and a contracted (fused) Welford update would change results where FMA exists. */
#if defined(__GNUC__) && !defined(__clang__)
#define ONE_PASS __attribute__((optimize("no-tree-loop-distribute-patterns", "fp-contract=off")))
#else
#define ONE_PASS
#endif

ONE_PASS static void block_add_cells(size_t nc, const double *restrict values, double *restrict row,
                                     double *restrict mean, double *restrict m2,
                                     double *restrict mn, double *restrict mx, double n)
{
    block_add_body(nc, values, row, mean, m2, mn, mx, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define REE_BLOCK_AVX 1
/* The same loops on 4 cells an instruction where the processor has AVX (ree_sort_avx). */
ONE_PASS __attribute__((target("avx"))) static void
block_add_cells_avx(size_t nc, const double *restrict values, double *restrict row,
                    double *restrict mean, double *restrict m2, double *restrict mn,
                    double *restrict mx, double n)
{
    block_add_body(nc, values, row, mean, m2, mn, mx, n);
}
#endif

int ree_block_add(ree_block *b, const double *values)
{
    if (b->nruns >= REE_BLOCK_MAX || b->sealed)
        return -1;
    /* a moments-only block stages nothing */
    double *row = b->light ? NULL : b->rows + (size_t)b->staged * b->ncell;
    double n = (double)(b->nruns + 1);
#if defined(REE_BLOCK_AVX)
    if (ree_sort_avx())
        block_add_cells_avx(b->ncell, values, row, b->mean, b->m2, b->min, b->max, n);
    else
#endif
        block_add_cells(b->ncell, values, row, b->mean, b->m2, b->min, b->max, n);
    b->nruns++;
    if (!b->light && ++b->staged == REE_BLOCK_STAGE)
        flush_rows(b);
    return 0;
}

/* Whether the n values x[0..n) are all the same bits. Most columns that are not differ at once;
 * a full column that passes its first two values is compared whole with SSE2, four values a turn
 * (the bits' exclusive or with the first value's, or-ed together, is zero). */
static int column_konst(const double *x, int n)
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
static void find_konst(ree_block *b, size_t lo, size_t hi)
{
    for (size_t c = lo; c < hi; c++)
        b->konst[c] = (unsigned char)column_konst(b->cols + c * REE_BLOCK_MAX, b->nruns);
}

void ree_block_seal(ree_block *b)
{
    if (b->sealed)
        return;
    if (b->light) {
        b->sealed = 1;
        return;
    }
    if (b->staged)
        flush_rows(b);
    int n = b->nruns;
    double tmp[REE_BLOCK_MAX];
    find_konst(b, 0, b->ncell); /* the same before and after sorting */
    for (size_t c = 0; c < b->ncell && n > 0; c++) {
        if (b->konst[c])
            continue; /* in order already (e.g. zeros) */
        double *x = b->cols + c * REE_BLOCK_MAX;
        int i = 1;
        while (i < n && !(x[i] < x[i - 1]))
            i++;
        /* No zero (all of one sign) and no NaN (a NaN makes the Welford mean NaN for good): the
         * column's equal values are copies, and the sort need not check it. */
        int copies = (b->min[c] > 0.0 || b->max[c] < 0.0) && b->mean[c] == b->mean[c];
        if (i < n) /* not already in order */
            ree_sort_column(x, (size_t)n, tmp, copies);
    }
    b->sealed = 1;
}

/* Whether cell c (cell i of the totals) is, after merging block b, still a point mass. */
static int stays_pm(const struct cell *c, const ree_block *b, size_t i)
{
    return b->konst[i] && (c->n == 0 || (c->pm && same_bits(b->cols[i * REE_BLOCK_MAX], c->min)));
}

size_t ree_acc_tmp_points(const ree_acc *a)
{
    if (!a->cells)
        return 1; /* not used; 1 so that a caller's allocation of it is not of 0 bytes */
    return 4 * a->k + REE_BLOCK_MAX;
}

int ree_acc_merge_block_cells(ree_acc *into, const ree_block *b, size_t lo, size_t hi, double *tmp)
{
    if (into->ncell != b->ncell || !b->sealed || lo > hi || hi > into->ncell ||
        (into->cells && b->light))
        return -1;
    if (b->nruns == 0)
        return 0;
    if (!into->cells) { /* moments only: the block's moments, whatever its kind */
        for (size_t i = lo; i < hi; i++)
            fold_mom(&into->mom[i], (uint64_t)b->nruns, b->mean[i], b->m2[i], b->min[i], b->max[i]);
        return 0;
    }
    size_t limit = 2 * into->k, m = (size_t)b->nruns;
    for (size_t i = lo; i < hi; i++) {
        struct cell *c = &into->cells[i];
        if (stays_pm(c, b, i))
            continue;
        if (materialise(into, c, c->npts + m, limit + REE_BLOCK_MAX) != 0 ||
            grow(into, c, c->npts + m, limit + REE_BLOCK_MAX) != 0)
            return -1;
    }
    for (size_t i = lo; i < hi; i++) {
        struct cell *c = &into->cells[i];
        const double *col = b->cols + i * REE_BLOCK_MAX;
        /* merge_level0's first touch of a cell's points is its last point, a cache miss (the
         * cells' buffers are megabytes apart in all): asked for two cells ahead, it is on its way
         * while these two merge. */
#if defined(__GNUC__)
        if (i + 2 < hi && !c[2].pm && c[2].npts > 0)
            __builtin_prefetch(c[2].v + c[2].npts - 1, 1);
#endif
        /* A column of one sign (its moments: no zero) and no NaN (the Welford mean stays NaN
         * once a NaN is added) adds nothing to `seen`; any other is looked at value by value. */
        unsigned seen = (b->min[i] > 0.0 || b->max[i] < 0.0) && b->mean[i] == b->mean[i]
                            ? 0u
                            : seen_values(col, m);
        if (stays_pm(c, b, i))
            merge_level0_pm(c, m, seen, limit);
        else
            merge_level0(c, col, m, 1, seen, limit, tmp);
        merge_moments(c, m, b->mean[i], b->m2[i], b->min[i], b->max[i]);
    }
    return 0;
}

int ree_acc_merge_block(ree_acc *into, ree_block *b)
{
    if (into->ncell != b->ncell)
        return -1;
    ree_block_seal(b);
    if (b->nruns > 0 && into->cells && need_tmp(into) != 0)
        return -1;
    return ree_acc_merge_block_cells(into, b, 0, into->ncell, into->tmp);
}

/* 2^L for the levels L = 0 .. NLEVEL-1 (the weights of their points): exact, as ldexp(1.0, L). */
static const double pow2[NLEVEL] = {
#define P4(e) 0x1p##e, 0x2p##e, 0x4p##e, 0x8p##e
    P4(0),  P4(4),  P4(8),  P4(12), P4(16), P4(20), P4(24), P4(28),
    P4(32), P4(36), P4(40), P4(44), P4(48), P4(52), P4(56), P4(60),
#undef P4
};

/*
 * Weighted type-7 quantiles. With W the total weight and the points read as the multiset in
 * which a point of weight w appears w times (x_1 <= ... <= x_W), quantile q is R's type 7 on that
 * multiset: index = 1 + (W-1) q, lo = floor(index), h = index - lo, result x_lo, or
 * (1-h) x_lo + h x_(lo+1) when h > 0 and the two differ. Computed in the same floating-point
 * order as R's quantile(), so unit weights reproduce R bit for bit. `q` ascending, in [0,1].
 */
static void cell_quantiles(const ree_acc *a, size_t cell, const double *q, size_t nq, double *out)
{
    struct cell *c = &a->cells[cell]; /* sorting segments in place keeps the logical state */
    if (c->pm) { /* every point is the minimum, and so is every type-7 quantile */
        for (size_t j = 0; j < nq; j++)
            out[j] = c->min;
        return;
    }
    size_t start[NLEVEL], end[NLEVEL];
    size_t off = 0;
    query_sort0(a, c);
    if (c->nlev == 1) { /* exact: every point has weight 1, the walk below reads x_pos directly */
        for (size_t j = 0; j < nq; j++) {
            double index = 1.0 + ((double)c->n - 1.0) * q[j];
            double lo = floor(index), h = index - lo;
            double v0 = c->v[(size_t)lo - 1], v1 = h > 0.0 ? c->v[(size_t)lo] : v0;
            out[j] = h > 0.0 && v1 != v0 ? (1.0 - h) * v0 + h * v1 : v0;
        }
        return;
    }
    for (unsigned l = c->nlev; l-- > 0;) {
        start[l] = off;
        off += c->cnt[l];
        end[l] = off;
    }
    /* Walk the points in value order (equal values: the lowest level first); targets ascend, so
     * the position wanted next is always covered by the current point or the one before it. The
     * levels with points left, in ascending order, and their next points: */
    unsigned act[NLEVEL], nact = 0;
    double head[NLEVEL];
    for (unsigned l = 0; l < c->nlev; l++)
        if (start[l] < end[l]) {
            act[nact++] = l;
            head[l] = c->v[start[l]];
        }
    double W = (double)c->n;
    double cum = 0.0, cur = NAN, prev_cum = 0.0, prev = NAN;
    for (size_t j = 0; j < nq; j++) {
        double index = 1.0 + (W - 1.0) * q[j];
        double lo = floor(index), h = index - lo;
        double val[2];
        for (int side = 0; side < (h > 0.0 ? 2 : 1); side++) {
            double pos = lo + side;
            while (cum < pos && nact > 0) { /* nact > 0: the weights sum to W */
                unsigned m = 0;
                for (unsigned i = 1; i < nact; i++)
                    if (ree_sort_lt(head[act[i]], head[act[m]]))
                        m = i;
                unsigned best = act[m];
                prev = cur;
                prev_cum = cum;
                cur = head[best];
                cum += pow2[best];
                if (++start[best] < end[best]) {
                    head[best] = c->v[start[best]];
                } else { /* level used up */
                    for (unsigned i = m + 1; i < nact; i++)
                        act[i - 1] = act[i];
                    nact--;
                }
            }
            val[side] = pos <= prev_cum ? prev : cur;
        }
        out[j] = h > 0.0 && val[1] != val[0] ? (1.0 - h) * val[0] + h * val[1] : val[0];
    }
}

static double fix_ends(const struct cell *c, double q, double x)
{
    if (q == 0.0 || x < c->min)
        return c->min;
    if (q == 1.0 || x > c->max)
        return c->max;
    return x;
}

int ree_acc_sort_points(ree_acc *a)
{
    for (size_t i = 0; a->cells && i < a->ncell; i++)
        if (!a->cells[i].pm && a->cells[i].unsorted0)
            return need_tmp(a) != 0 ? -1 : ree_acc_sort_points_range(a, i, a->ncell, a->tmp);
    return 0;
}

int ree_acc_sort_points_range(ree_acc *a, size_t lo, size_t hi, double *tmp)
{
    if (lo > hi || hi > a->ncell)
        return -1;
    for (size_t i = lo; a->cells && i < hi; i++) {
        struct cell *c = &a->cells[i];
        if (!c->pm && c->unsorted0)
            sort_level0(c, tmp);
    }
    return 0;
}

double ree_acc_quantile(const ree_acc *a, size_t cell, double q)
{
    if (!a->cells) { /* moments only: the extremes, nothing between */
        const struct mom *m = &a->mom[cell];
        return m->n == 0 ? NAN : q == 0.0 ? m->min : q == 1.0 ? m->max : NAN;
    }
    const struct cell *c = &a->cells[cell];
    if (c->n == 0 || !(q >= 0.0 && q <= 1.0))
        return NAN;
    double x;
    cell_quantiles(a, cell, &q, 1, &x);
    return fix_ends(c, q, x);
}

void ree_acc_cell(const ree_acc *a, size_t cell, ree_cell_stats *out)
{
    static const double qs[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
    if (!a->cells) {
        const struct mom *m = &a->mom[cell];
        out->n = (double)m->n;
        out->p05 = out->p25 = out->p50 = out->p75 = out->p95 = NAN;
        if (m->n == 0) {
            out->mean = out->sd = out->min = out->max = NAN;
            return;
        }
        out->mean = m->mean;
        out->sd = m->n < 2 ? 0.0 : sqrt(m->m2 / (double)(m->n - 1));
        out->min = m->min;
        out->max = m->max;
        return;
    }
    const struct cell *c = &a->cells[cell];
    out->n = (double)c->n;
    if (c->n == 0) {
        out->mean = out->sd = out->min = out->max = NAN;
        out->p05 = out->p25 = out->p50 = out->p75 = out->p95 = NAN;
        return;
    }
    out->mean = c->mean;
    out->sd = c->n < 2 ? 0.0 : sqrt(c->m2 / (double)(c->n - 1));
    out->min = c->min;
    out->max = c->max;
    double r[5];
    cell_quantiles(a, cell, qs, 5, r);
    out->p05 = fix_ends(c, qs[0], r[0]);
    out->p25 = fix_ends(c, qs[1], r[1]);
    out->p50 = fix_ends(c, qs[2], r[2]);
    out->p75 = fix_ends(c, qs[3], r[3]);
    out->p95 = fix_ends(c, qs[4], r[4]);
}

size_t ree_acc_weighted_points(const ree_acc *a, size_t cell, double *x, double *w)
{
    if (!a->cells)
        return 0;
    struct cell *c = &a->cells[cell]; /* level 0 put in order, as queries do */
    query_sort0(a, c);
    size_t off = 0;
    for (unsigned l = c->nlev; l-- > 0;)
        for (uint32_t i = 0; i < c->cnt[l]; i++, off++) {
            x[off] = c->pm ? c->min : c->v[off];
            w[off] = pow2[l];
        }
    return off;
}

/* ---- serialisation (MPI ranks ship block accumulators to rank 0; see stats.h) --------------- */

/* Layout: ncell and k, then per cell its fields in a fixed order and its npts points, as the
 * machine stores them (the ranks of one job run one binary). */
#define PACK_FIELDS(X)                                                                             \
    X(n) X(mean) X(m2) X(min) X(max) X(npts) X(unsorted0) X(pm) X(parity) X(nlev) X(cnt)

/* A moments-only accumulator: k = 0 in the head, then per cell n, mean, m2, min and max. */
static size_t pack_mom(const ree_acc *a, size_t lo, size_t hi, void *buf, size_t cap)
{
    size_t need = 3 * sizeof(uint64_t) + (hi - lo) * sizeof *a->mom;
    if (!buf || cap < need)
        return need;
    unsigned char *p = buf;
    uint64_t head[3] = {lo, hi, 0};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    if (hi > lo)
        memcpy(p, a->mom + lo, (hi - lo) * sizeof *a->mom);
    return need;
}

static size_t unpack_mom(ree_acc *a, size_t lo, size_t hi, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint64_t head[3];
    if (len < sizeof head)
        return 0;
    memcpy(head, p, sizeof head);
    p += sizeof head;
    if (lo > hi || hi > a->ncell || head[0] != lo || head[1] != hi || head[2] != 0 ||
        (len - sizeof head) / sizeof *a->mom < hi - lo)
        return 0;
    if (hi > lo)
        memcpy(a->mom + lo, p, (hi - lo) * sizeof *a->mom);
    return sizeof head + (hi - lo) * sizeof *a->mom;
}

size_t ree_acc_pack_cells(const ree_acc *a, size_t lo, size_t hi, void *buf, size_t cap)
{
    size_t need = 3 * sizeof(uint64_t);
    hi = hi < a->ncell ? hi : a->ncell;
    lo = lo < hi ? lo : hi;
    if (!a->cells)
        return pack_mom(a, lo, hi, buf, cap);
    for (size_t i = lo; i < hi; i++) {
        const struct cell *c = &a->cells[i];
#define SIZE_OF(f) need += sizeof c->f;
        PACK_FIELDS(SIZE_OF)
#undef SIZE_OF
        need += c->pm ? 0 : c->npts * sizeof(double);
    }
    if (!buf || cap < need)
        return need;
    unsigned char *p = buf;
    uint64_t head[3] = {lo, hi, a->k};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    for (size_t i = lo; i < hi; i++) {
        const struct cell *c = &a->cells[i];
#define PUT(f)                                                                                     \
    memcpy(p, &c->f, sizeof c->f);                                                                 \
    p += sizeof c->f;
        PACK_FIELDS(PUT)
#undef PUT
        size_t np = c->pm ? 0 : c->npts; /* a point mass has no points to ship */
        if (np)
            memcpy(p, c->v, np * sizeof(double));
        p += np * sizeof(double);
    }
    return need;
}

size_t ree_acc_pack(const ree_acc *a, void *buf, size_t cap)
{
    return ree_acc_pack_cells(a, 0, a->ncell, buf, cap);
}

size_t ree_acc_unpack_cells(ree_acc *a, size_t lo, size_t hi, const void *buf, size_t len)
{
    if (!a->cells)
        return unpack_mom(a, lo, hi, buf, len);
    const unsigned char *p = buf, *end = p + len;
    uint64_t head[3];
    if (len < sizeof head)
        return 0;
    memcpy(head, p, sizeof head);
    p += sizeof head;
    if (lo > hi || hi > a->ncell || head[0] != lo || head[1] != hi || head[2] != a->k)
        return 0;
    for (size_t i = lo; i < hi; i++) {
        struct cell *c = &a->cells[i], t;
        memset(&t, 0, sizeof t);
#define GET(f)                                                                                     \
    if ((size_t)(end - p) < sizeof t.f)                                                            \
        return 0;                                                                                  \
    memcpy(&t.f, p, sizeof t.f);                                                                   \
    p += sizeof t.f;
        PACK_FIELDS(GET)
#undef GET
        size_t np = t.pm ? 0 : t.npts;
        if (t.npts > 2 * a->k || t.nlev > NLEVEL || (t.pm && (t.pm != 1 || t.npts == 0)) ||
            (size_t)(end - p) / sizeof(double) < np)
            return 0;
        if (np && grow(a, c, np, 2 * a->k) != 0)
            return 0;
        t.v = c->v;
        t.cap = c->cap;
        if (np)
            memcpy(t.v, p, np * sizeof(double));
        t.seen = t.pm ? seen_value(t.min) : seen_values(t.v, np);
        p += np * sizeof(double);
        *c = t;
    }
    return (size_t)(p - (const unsigned char *)buf);
}

size_t ree_acc_unpack(ree_acc *a, const void *buf, size_t len)
{
    return ree_acc_unpack_cells(a, 0, a->ncell, buf, len);
}

/* A sealed block's cells lo .. hi-1 as bytes: lo, hi and the run count, the moments (mean, m2,
 * min, max of each cell), then each cell's sorted values. Unpacking gives cells that merge bit for
 * bit as the original's would. */
size_t ree_block_pack_cells(ree_block *b, size_t lo, size_t hi, void *buf, size_t cap)
{
    ree_block_seal(b);
    hi = hi < b->ncell ? hi : b->ncell;
    lo = lo < hi ? lo : hi;
    size_t n = (size_t)b->nruns, nc = hi - lo;
    size_t ncol = b->light ? 0 : n; /* values per cell: none when moments only */
    size_t need = 3 * sizeof(uint64_t) + (4 + ncol) * nc * sizeof(double);
    if (!buf || cap < need)
        return need;
    unsigned char *p = buf;
    uint64_t head[3] = {lo, hi, n};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    const double *mom[4] = {b->mean, b->m2, b->min, b->max};
    for (int f = 0; f < 4; f++, p += nc * sizeof(double))
        memcpy(p, mom[f] + lo, nc * sizeof(double));
    for (size_t c = lo; c < hi && ncol; c++, p += n * sizeof(double))
        memcpy(p, b->cols + c * REE_BLOCK_MAX, n * sizeof(double));
    return need;
}

size_t ree_block_pack(ree_block *b, void *buf, size_t cap)
{
    return ree_block_pack_cells(b, 0, b->ncell, buf, cap);
}

size_t ree_block_unpack_cells(ree_block *b, size_t lo, size_t hi, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint64_t head[3];
    if (len < sizeof head)
        return 0;
    memcpy(head, p, sizeof head);
    p += sizeof head;
    size_t n = (size_t)head[2], nc = hi - lo;
    size_t ncol = b->light ? 0 : n;
    if (lo > hi || hi > b->ncell || head[0] != lo || head[1] != hi || n > REE_BLOCK_MAX ||
        len != sizeof head + (4 + ncol) * nc * sizeof(double))
        return 0;
    double *mom[4] = {b->mean, b->m2, b->min, b->max};
    for (int f = 0; f < 4; f++, p += nc * sizeof(double))
        memcpy(mom[f] + lo, p, nc * sizeof(double));
    for (size_t c = lo; c < hi && ncol; c++, p += n * sizeof(double))
        memcpy(b->cols + c * REE_BLOCK_MAX, p, n * sizeof(double));
    b->nruns = (int)n;
    b->staged = 0;
    if (!b->light)
        find_konst(b, lo, hi);
    b->sealed = 1;
    return len;
}

size_t ree_block_unpack(ree_block *b, const void *buf, size_t len)
{
    return ree_block_unpack_cells(b, 0, b->ncell, buf, len);
}
