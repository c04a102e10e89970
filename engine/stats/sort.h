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
 * are already in order, O(n log runs) on a few sorted runs. copies: the caller knows that x's
 * equal values are copies (no NaN, not both -0.0 and 0.0), so that the runs may be merged by the
 * AVX-512 merge (ree_sort_avx512), which is not stable but then gives the same bits; 0: stable
 * merges only. */
void ree_sort_points(double *x, size_t n, double *tmp, int copies);

/* The sort of a level 0 that compacts, fused with the compaction's pick (stats.c): sorts x[0..n)
 * as ree_sort_points (tmp: n points) but, when it returns 1, its last merge pass wrote only the
 * points at sorted positions pick, pick + 2, ... (pick 0 or 1) to kept[0..n/2) and, n odd, the
 * largest point to kept[n/2]; x's points are then lost. kept (n/2 + 1 points) overlaps neither x
 * nor tmp[0..n). Returns 0 when it sorted x in place instead (few points, a single run, more runs
 * than it records, no tmp): the caller picks. */
int ree_sort_points_pick(double *x, size_t n, double *tmp, size_t pick, double *kept, int copies);

/* Merge the sorted runs x[0..na) and b[0..nb) (b overlapping none of x[0..na+nb)) into
 * x[0..na+nb), from the back, in place; ties: x's points first, as ree_sort_merge_adjacent. */
void ree_sort_merge_into(double *x, size_t na, const double *b, size_t nb);

/* Merge the adjacent sorted runs x[0..na) and x[na..na+nb) in place, using tmp (na points).
 * copies: as ree_sort_points's (the AVX-512 merge where it runs). */
void ree_sort_merge_adjacent(double *x, size_t na, size_t nb, double *tmp, int copies);

/* Merge the sorted runs a[0..na) and b[0..nb), whose equal values are copies, into
 * out[0..na+nb) by the AVX-512 merge, when it runs (ree_sort_avx512) and both runs have points:
 * returns 1; else 0, and out is untouched. out overlaps neither run, or holds b at out + k with
 * k >= na (b read before any output reaches it). */
int ree_sort_merge_copies(const double *a, size_t na, const double *b, size_t nb, double *out);

/* Whether the AVX builds of the column networks (ree_sort_column) and of a block's per-run loop
 * (ree_block_add) run: the processor has AVX (checked at run time) and ree_sort_set_avx did not
 * turn them off. They give the same bits as the SSE2/plain code; ree_sort_set_avx(0) makes the
 * latter run so that tests check both, ree_sort_set_avx(1) the AVX code but none of the AVX-512
 * (-1: back to automatic, the widest the processor has). Not to be called while another thread
 * sorts or adds. */
int ree_sort_avx(void);
void ree_sort_set_avx(int on);

/* Whether the AVX-512 code runs (the merges of ree_sort_points and ree_sort_points_pick for inputs
 * with `copies`, the transposes of a block's staged runs): the processor has AVX-512F and
 * ree_sort_set_avx is automatic. */
int ree_sort_avx512(void);

/* Sort a short column (a block's values, n <= 64) without data-dependent branches, using tmp (n
 * points). copies: the caller knows that the column's equal values are copies (no NaN, not both
 * -0.0 and 0.0), so that the faster sort of such full columns may run without checking them; 0:
 * checked here. */
void ree_sort_column(double *x, size_t n, double *tmp, int copies);

#endif
