/*
 * Internal to the sorts: the x86-64 vector kernels of sort_avx.c that sort.c calls where
 * ree_sort_avx512 or ree_sort_avx says they run. Not for other callers: they use sort.h.
 */
#ifndef REESIM_SORT_PRIV_H
#define REESIM_SORT_PRIV_H

#include <stddef.h>

/* The 63 comparators of a 16-input sorting network (Batcher's odd-even merge sort: elements 0-7
 * and 8-15 sorted by 19 each, then merged by 25), each after those it depends on; CE(i, j) puts
 * the smaller of elements i and j at i. One list for the SSE2 network of sort.c and the AVX one
 * of sort_avx.c, which apply it across vector lanes. */
/* clang-format off */
#define REE_SORT16_NETWORK(CE) \
    CE(0, 1); CE(2, 3); CE(0, 2); CE(1, 3); CE(1, 2); CE(4, 5); \
    CE(6, 7); CE(4, 6); CE(5, 7); CE(5, 6); CE(0, 4); CE(2, 6); \
    CE(2, 4); CE(1, 5); CE(3, 7); CE(3, 5); CE(1, 2); CE(3, 4); \
    CE(5, 6); CE(8, 9); CE(10, 11); CE(8, 10); CE(9, 11); CE(9, 10); \
    CE(12, 13); CE(14, 15); CE(12, 14); CE(13, 15); CE(13, 14); CE(8, 12); \
    CE(10, 14); CE(10, 12); CE(9, 13); CE(11, 15); CE(11, 13); CE(9, 10); \
    CE(11, 12); CE(13, 14); CE(0, 8); CE(4, 12); CE(4, 8); CE(2, 10); \
    CE(6, 14); CE(6, 10); CE(2, 4); CE(6, 8); CE(10, 12); CE(1, 9); \
    CE(5, 13); CE(5, 9); CE(3, 11); CE(7, 15); CE(7, 11); CE(3, 5); \
    CE(7, 9); CE(11, 13); CE(1, 2); CE(3, 4); CE(5, 6); CE(7, 8); \
    CE(9, 10); CE(11, 12); CE(13, 14)
/* clang-format on */

#if defined(__x86_64__) && defined(__GNUC__)
#define REE_SORT_AVX512 1
#define REE_SORT_AVX    1

/* Merge the sorted runs a[0..na) and b[0..nb) (both non-empty, ties copies) into out with AVX-512:
 * every output (as merge_runs), or only those at positions pick, pick + 2, ... (as merge_pick). */
void ree_sort_merge_runs_avx512(const double *a, size_t na, const double *b, size_t nb,
                                double *out);
void ree_sort_merge_pick_avx512(const double *a, size_t na, const double *b, size_t nb, double *out,
                                size_t pick);
/* The first a' >= a (1 <= a <= n) such that a' + 8 > n or one of x[i - 1] <= x[i], a' <= i < a' + 8,
 * is false (by an ordered compare: NaN fails): every x[i - 1] <= x[i] for a <= i < a'. */
size_t ree_sort_in_order_avx512(const double *x, size_t a, size_t n);
/* Sort x[0..64) in place with AVX min/max networks (only for values whose ties are copies). */
void ree_sort_sort64_avx(double *x);
/* The same with AVX-512. */
void ree_sort_sort64_avx512(double *x);
#endif

#endif
