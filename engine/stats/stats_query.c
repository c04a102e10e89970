/*
 * Queries on an accumulator: weighted type-7 quantiles of a cell's sketch (exact while every
 * point has weight 1), the cell summaries (count, mean, sd, extremes, five quantiles), the
 * weighted points themselves, and putting level 0 in order ahead of queries
 * (ree_acc_sort_points*). A query sorts a cell's level 0 in place; the logical state is unchanged.
 */
#include "stats_priv.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* sort_level0 (stats_priv.h) at query time, when the accumulator may have no merge buffer yet (a
 * total that took blocks only through ree_acc_merge_block_cells, with the caller's buffers): then
 * a buffer of the level's size for this sort, so that the order of equal points (-0.0 and 0.0) is
 * the stable sort's, as after a compaction. Only if that allocation fails does the in-place introsort run:
 * the same multiset, equal points perhaps in another order. */
static void query_sort0(const ree_acc *a, struct cell *c)
{
    if (!c->unsorted0 || c->pm)
        return;
    double *own = a->tmp ? NULL : malloc(c->cnt[0] * sizeof *own);
    sort_level0(c, a->tmp ? a->tmp : own);
    free(own);
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
