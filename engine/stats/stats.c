/*
 * Statistics across Monte Carlo runs: Welford moments and a deterministic compactor sketch.
 *
 * Sketch layout (per cell): one buffer of at most 2k doubles holding the points of every level,
 * a segment per level, highest level first and level 0 last, so that adding a value is an append.
 * A point of level L has weight 2^L. Segments are sorted lazily: a bit per level says whether the
 * segment may be out of order, and sorting happens at compaction, merge or query time.
 *
 * Compaction (when an add or a merge would exceed 2k points): take the level with the most points
 * (ties: the lowest level), sort it, pair its points (0,1), (2,3), ..., keep the first or the
 * second of each pair (alternating per level and per compaction) and move the kept points to the
 * next level; an odd last point stays. See docs/statistics.md for the error bound.
 */
#include "stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NLEVEL      64 /* weights 2^0 .. 2^63: enough for any count below 2^63 */
#define MIN_K       32 /* 2k > NLEVEL - 1, so a full cell always has a level with 2 points */
#define INITIAL_CAP 16 /* points allocated at a cell's first value */

struct cell {
    uint64_t n;        /* values added */
    double mean, m2;   /* Welford mean and sum of squared deviations */
    double min, max;   /* exact extremes */
    double *v;         /* points: segment of level nlev-1 first, level 0 last */
    size_t cap;        /* points allocated in v, at most 2k */
    size_t npts;       /* points held */
    uint64_t unsorted; /* bit L: segment L may be out of order */
    uint64_t parity;   /* bit L: the next compaction of level L keeps the second of each pair */
    unsigned nlev;     /* levels in use: cnt[L] == 0 for L >= nlev */
    uint32_t cnt[NLEVEL];
};

struct ree_acc {
    size_t ncell, k;
    struct cell *cells;
    double *scratch; /* 4k points for merges, allocated at the first merge that needs it */
};

/* Total order on doubles for sorting: NaN last, so a stray NaN cannot break the sort. */
static int lt(double a, double b)
{
    return a < b || (b != b && a == a);
}

static void insertion_sort(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double t = x[i];
        size_t j = i;
        while (j > 0 && lt(t, x[j - 1])) {
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
        if (c + 1 < n && lt(x[c], x[c + 1]))
            c++;
        if (!lt(x[root], x[c]))
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
        double pivot =
            lt(a, b) ? (lt(b, c) ? b : (lt(a, c) ? c : a)) : (lt(a, c) ? a : (lt(b, c) ? c : b));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (lt(x[i], pivot))
                i++;
            while (lt(pivot, x[j]))
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

/* Index of the first point of level `level`. */
static size_t seg_start(const struct cell *c, unsigned level)
{
    size_t off = 0;
    for (unsigned l = c->nlev; l-- > level + 1;)
        off += c->cnt[l];
    return off;
}

static void sort_level(struct cell *c, unsigned level, size_t off)
{
    if (c->unsorted >> level & 1u) {
        sort_segment(c->v + off, c->cnt[level]);
        c->unsorted &= ~((uint64_t)1 << level);
    }
}

/* One compaction of the fullest level; frees at least one point (the caller guarantees some
 * level holds two or more). */
static void compact_once(struct cell *c)
{
    unsigned level = 0;
    for (unsigned l = 1; l < c->nlev; l++)
        if (c->cnt[l] > c->cnt[level])
            level = l;
    size_t off = seg_start(c, level);
    size_t m = c->cnt[level];
    sort_level(c, level, off);

    size_t pairs = m / 2, odd = m % 2;
    size_t pick = (size_t)(c->parity >> level & 1u);
    double *seg = c->v + off;
    for (size_t i = 0; i < pairs; i++)
        seg[i] = seg[2 * i + pick];
    if (odd)
        seg[pairs] = seg[m - 1];
    /* Segments below `level` move down over the freed points. */
    size_t tail = c->npts - (off + m);
    memmove(seg + pairs + odd, seg + m, tail * sizeof *seg);

    if (c->cnt[level + 1] > 0)
        c->unsorted |= (uint64_t)1 << (level + 1);
    c->cnt[level + 1] += (uint32_t)pairs;
    c->cnt[level] = (uint32_t)odd;
    c->parity ^= (uint64_t)1 << level;
    if (level + 2 > c->nlev)
        c->nlev = level + 2;
    c->npts -= pairs;
}

static int grow(struct cell *c, size_t want, size_t limit)
{
    if (c->cap >= want)
        return 0;
    size_t cap = c->cap ? c->cap : INITIAL_CAP;
    while (cap < want)
        cap *= 2;
    if (cap > limit)
        cap = limit;
    double *v = realloc(c->v, cap * sizeof *v);
    if (!v)
        return -1;
    c->v = v;
    c->cap = cap;
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
    return a;
}

void ree_acc_free(ree_acc *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->ncell; i++)
        free(a->cells[i].v);
    free(a->cells);
    free(a->scratch);
    free(a);
}

void ree_acc_reset(ree_acc *a)
{
    for (size_t i = 0; i < a->ncell; i++)
        clear_cell(&a->cells[i]);
}

size_t ree_acc_ncell(const ree_acc *a)
{
    return a->ncell;
}

size_t ree_acc_points(const ree_acc *a, size_t cell)
{
    return a->cells[cell].npts;
}

int ree_acc_add(ree_acc *a, const double *values)
{
    size_t limit = 2 * a->k;
    /* Grow every buffer first: growing keeps the contents, so a failure leaves the accumulator
     * logically unchanged. */
    for (size_t i = 0; i < a->ncell; i++) {
        struct cell *c = &a->cells[i];
        if (c->npts == c->cap && c->cap < limit && grow(c, c->npts + 1, limit) != 0)
            return -1;
    }
    for (size_t i = 0; i < a->ncell; i++) {
        struct cell *c = &a->cells[i];
        double x = values[i];
        if (c->npts == limit)
            compact_once(c);
        c->v[c->npts++] = x;
        if (++c->cnt[0] > 1)
            c->unsorted |= 1u;
        if (c->nlev == 0)
            c->nlev = 1;
        c->n++;
        if (c->n == 1) {
            c->mean = x;
            c->m2 = 0.0;
            c->min = c->max = x;
        } else {
            double d = x - c->mean;
            c->mean += d / (double)c->n;
            c->m2 += d * (x - c->mean);
            if (x < c->min)
                c->min = x;
            if (x > c->max)
                c->max = x;
        }
    }
    return 0;
}

static void merge_cell(struct cell *c, const struct cell *f, double *scratch, size_t limit)
{
    if (f->n == 0)
        return;
    /* Concatenate level by level into the scratch buffer, compact there, copy back. */
    struct cell t = *c;
    t.v = scratch;
    t.nlev = c->nlev > f->nlev ? c->nlev : f->nlev;
    t.npts = 0;
    size_t fpos = 0, cpos = 0;
    for (unsigned l = t.nlev; l-- > 0;) {
        size_t nc = l < c->nlev ? c->cnt[l] : 0;
        size_t nf = l < f->nlev ? f->cnt[l] : 0;
        memcpy(scratch + t.npts, c->v + cpos, nc * sizeof *scratch);
        memcpy(scratch + t.npts + nc, f->v + fpos, nf * sizeof *scratch);
        t.npts += nc + nf;
        cpos += nc;
        fpos += nf;
        t.cnt[l] = (uint32_t)(nc + nf);
        if ((f->unsorted >> l & 1u) || (nc > 0 && nf > 0))
            t.unsorted |= (uint64_t)1 << l;
    }
    while (t.npts > limit)
        compact_once(&t);
    memcpy(c->v, scratch, t.npts * sizeof *scratch);
    t.v = c->v;
    t.cap = c->cap;

    if (c->n == 0) {
        t.n = f->n;
        t.mean = f->mean;
        t.m2 = f->m2;
        t.min = f->min;
        t.max = f->max;
    } else {
        /* Chan, Golub & LeVeque pairwise update. */
        double na = (double)c->n, nb = (double)f->n, n = na + nb;
        double d = f->mean - c->mean;
        t.n = c->n + f->n;
        t.mean = c->mean + d * (nb / n);
        t.m2 = c->m2 + f->m2 + d * d * (na * nb / n);
        t.min = f->min < c->min ? f->min : c->min;
        t.max = f->max > c->max ? f->max : c->max;
    }
    *c = t;
}

int ree_acc_merge(ree_acc *into, const ree_acc *from)
{
    if (into == from || into->ncell != from->ncell || from->k > into->k)
        return -1;
    size_t limit = 2 * into->k;
    int need_scratch = 0;
    for (size_t i = 0; i < into->ncell; i++) {
        struct cell *c = &into->cells[i];
        size_t sum = c->npts + from->cells[i].npts;
        if (from->cells[i].n == 0)
            continue;
        need_scratch = 1;
        if (grow(c, sum < limit ? sum : limit, limit) != 0)
            return -1;
    }
    if (need_scratch && !into->scratch) {
        into->scratch = malloc(2 * limit * sizeof *into->scratch);
        if (!into->scratch)
            return -1;
    }
    for (size_t i = 0; i < into->ncell; i++)
        merge_cell(&into->cells[i], &from->cells[i], into->scratch, limit);
    return 0;
}

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
    size_t start[NLEVEL], end[NLEVEL];
    size_t off = 0;
    for (unsigned l = c->nlev; l-- > 0;) {
        sort_level(c, l, off);
        start[l] = off;
        off += c->cnt[l];
        end[l] = off;
    }
    /* Walk the points in value order; targets ascend, so the position wanted next is always
     * covered by the current point or the one before it. */
    double W = (double)c->n;
    double cum = 0.0, cur = NAN, prev_cum = 0.0, prev = NAN;
    for (size_t j = 0; j < nq; j++) {
        double index = 1.0 + (W - 1.0) * q[j];
        double lo = floor(index), h = index - lo;
        double val[2];
        for (int side = 0; side < (h > 0.0 ? 2 : 1); side++) {
            double pos = lo + side;
            while (cum < pos) {
                unsigned best = NLEVEL;
                for (unsigned l = 0; l < c->nlev; l++)
                    if (start[l] < end[l] &&
                        (best == NLEVEL || lt(c->v[start[l]], c->v[start[best]])))
                        best = l;
                if (best == NLEVEL)
                    break; /* unreachable: the weights sum to W */
                prev = cur;
                prev_cum = cum;
                cur = c->v[start[best]++];
                cum += ldexp(1.0, (int)best);
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

double ree_acc_quantile(const ree_acc *a, size_t cell, double q)
{
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
    const struct cell *c = &a->cells[cell];
    size_t off = 0;
    for (unsigned l = c->nlev; l-- > 0;)
        for (uint32_t i = 0; i < c->cnt[l]; i++, off++) {
            x[off] = c->v[off];
            w[off] = ldexp(1.0, (int)l);
        }
    return off;
}

/* ---- serialisation (MPI ranks ship block accumulators to rank 0; see stats.h) --------------- */

/* Layout: ncell and k, then per cell its fields in a fixed order and its npts points, as the
 * machine stores them (the ranks of one job run one binary). */
#define PACK_FIELDS(X) X(n) X(mean) X(m2) X(min) X(max) X(npts) X(unsorted) X(parity) X(nlev) X(cnt)

size_t ree_acc_pack(const ree_acc *a, void *buf, size_t cap)
{
    size_t need = 2 * sizeof(uint64_t);
    for (size_t i = 0; i < a->ncell; i++) {
        const struct cell *c = &a->cells[i];
#define SIZE_OF(f) need += sizeof c->f;
        PACK_FIELDS(SIZE_OF)
#undef SIZE_OF
        need += c->npts * sizeof(double);
    }
    if (!buf || cap < need)
        return need;
    unsigned char *p = buf;
    uint64_t head[2] = {a->ncell, a->k};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    for (size_t i = 0; i < a->ncell; i++) {
        const struct cell *c = &a->cells[i];
#define PUT(f)                                                                                     \
    memcpy(p, &c->f, sizeof c->f);                                                                 \
    p += sizeof c->f;
        PACK_FIELDS(PUT)
#undef PUT
        if (c->npts)
            memcpy(p, c->v, c->npts * sizeof(double));
        p += c->npts * sizeof(double);
    }
    return need;
}

size_t ree_acc_unpack(ree_acc *a, const void *buf, size_t len)
{
    const unsigned char *p = buf, *end = p + len;
    uint64_t head[2];
    if (len < sizeof head)
        return 0;
    memcpy(head, p, sizeof head);
    p += sizeof head;
    if (head[0] != a->ncell || head[1] != a->k)
        return 0;
    for (size_t i = 0; i < a->ncell; i++) {
        struct cell *c = &a->cells[i], t;
        memset(&t, 0, sizeof t);
#define GET(f)                                                                                     \
    if ((size_t)(end - p) < sizeof t.f)                                                            \
        return 0;                                                                                  \
    memcpy(&t.f, p, sizeof t.f);                                                                   \
    p += sizeof t.f;
        PACK_FIELDS(GET)
#undef GET
        if (t.npts > 2 * a->k || t.nlev > NLEVEL || (size_t)(end - p) / sizeof(double) < t.npts)
            return 0;
        if (t.npts && grow(c, t.npts, 2 * a->k) != 0)
            return 0;
        t.v = c->v;
        t.cap = c->cap;
        if (t.npts)
            memcpy(t.v, p, t.npts * sizeof(double));
        p += t.npts * sizeof(double);
        *c = t;
    }
    return (size_t)(p - (const unsigned char *)buf);
}
