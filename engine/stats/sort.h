/*
 * Sorting and merging of doubles for the statistics (stats.c): the order is total (NaN last), and
 * every routine gives the same multiset order whatever the input's history, so the sketches built
 * on them stay deterministic.
 */
#ifndef REESIM_SORT_H
#define REESIM_SORT_H

#include <stddef.h>

/* a before b in the total order: a < b, or b is NaN and a is not. Inline: the sorts and the
 * quantile walk call it per point. */
static inline int ree_sort_lt(double a, double b)
{
    return a < b || (b != b && a == a);
}

/* Sort x[0..n) using tmp (n points; NULL: an in-place introsort). Stable; linear on chunks that
 * are already in order, O(n log runs) on a few sorted runs. */
void ree_sort_points(double *x, size_t n, double *tmp);

/* Merge the adjacent sorted runs x[0..na) and x[na..na+nb) in place, using tmp (na points). */
void ree_sort_merge_adjacent(double *x, size_t na, size_t nb, double *tmp);

/* Sort a short column (a block's values, n <= 64) without data-dependent branches, using tmp (n
 * points). */
void ree_sort_column(double *x, size_t n, double *tmp);

#endif
