/*
 * Internal to the sorts: the x86-64 vector kernels of sort_avx.c that sort.c calls where
 * ree_sort_avx512 or ree_sort_avx says they run. Not for other callers: they use sort.h.
 */
#ifndef REESIM_SORT_PRIV_H
#define REESIM_SORT_PRIV_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define REE_SORT_AVX512 1
#define REE_SORT_AVX    1

/* Merge the sorted runs a[0..na) and b[0..nb) (both non-empty, ties copies) into out with AVX-512:
 * every output (as merge_runs), or only those at positions pick, pick + 2, ... (as merge_pick). */
void ree_sort_merge_runs_avx512(const double *a, size_t na, const double *b, size_t nb,
                                double *out);
void ree_sort_merge_pick_avx512(const double *a, size_t na, const double *b, size_t nb, double *out,
                                size_t pick);
/* Sort x[0..64) in place with AVX min/max networks (only for values whose ties are copies). */
void ree_sort_sort64_avx(double *x);
#endif

#endif
