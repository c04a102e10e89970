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
 *
 * This file: cells, the sketch pool, adds and merges (the hot path). Block staging is in
 * stats_block.c, queries in stats_query.c, serialisation in stats_pack.c, and the layouts and
 * shared helpers in stats_priv.h.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, madvise: the sketch pool */
#include "stats_priv.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#endif

/* Index of the first point of level `level`. */
static size_t seg_start(const struct cell *c, unsigned level)
{
    size_t off = 0;
    for (unsigned l = c->nlev; l-- > level + 1;)
        off += c->cnt[l];
    return off;
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

static int pool_on = 1; /* ree_acc_set_pool: 0 off, 1 from POOL_MIN_BYTES, 2 any size */

void ree_acc_set_pool(int on)
{
    pool_on = on < 0 ? 0 : on > 2 ? 2 : on;
}

size_t ree_acc_pool_slots(const ree_acc *a)
{
    return a->pool ? atomic_load(&((ree_acc *)a)->pool_next) : 0;
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

/* The smallest pool worth mapping. A pool's pages are new to the process, so each costs a
 * first-touch fault and, as a huge page, 2 MiB zeroed: a small accumulator (a scenario's
 * indicators; a sweep's case) is cheaper on the heap, whose freed buffers the next accumulator
 * reuses. `reesim sweep` of licensing-april-2025 (200 cases of 200 runs) spent 15% of its time
 * growing its indicator cells into fresh pools (bench/HISTORY.md, stop 26). */
#define POOL_MIN_BYTES ((size_t)8 << 20)

/* Map the pool (above) of `a`, or leave a->pool NULL (heap only). Called once, when `a` is
 * allocated: merges grow cells of one accumulator on several threads at once, so the mapping
 * must exist before, and afterwards it is only read. */
static void pool_map(ree_acc *a)
{
#if defined(__linux__) && defined(MAP_NORESERVE) && !defined(REE_NO_POOL)
    size_t bytes = a->ncell * a->slot_pts * sizeof(double);
    if (!pool_on || !a->ncell || bytes / a->ncell / sizeof(double) != a->slot_pts ||
        (bytes < POOL_MIN_BYTES && pool_on < 2) || !pool_affordable())
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
    atomic_init(&a->pool_next, 0);
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
