/*
 * PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999), for scenario discovery
 * (docs/exploration.md): a box over the inputs of a set of cases in which a bad outcome is
 * concentrated.
 *
 * Peeling: starting from the box holding every case, each step considers, for every input, cutting
 * off the `alpha` share of the cases in the box with the lowest values (and, separately, the
 * highest); when ties make a cut remove nothing (a grid's repeated values), the cut removes the
 * cases at the extreme value instead. The cut leaving the highest density is taken (ties: the
 * one removing fewer cases, then the lower input, lower side first). Peeling stops when the
 * density is 1 or when the next cut would leave fewer than `min_support` of all cases.
 * Every box along the way is recorded with its coverage (share of all bad cases inside it),
 * density (share of the cases inside that are bad) and support (share of all cases inside).
 * The box chosen is the densest one on the trajectory whose coverage is at least
 * `min_coverage` (ties: the earlier, larger one); pasting then widens it, one input side at a
 * time, by the `alpha` share of its cases nearest to that side, while that raises its density.
 * Deterministic: no randomness, the result depends only on the data and the options.
 */
#ifndef REESIM_PRIM_H
#define REESIM_PRIM_H

#include <stddef.h>
#include "reesim/reesim.h"

typedef struct ree_prim_opts {
    double alpha;        /* peeling and pasting share, (0, 0.5); e.g. 0.05 */
    double min_support;  /* stop peeling below this share of all cases, [0, 1) */
    double min_coverage; /* the chosen box covers at least this share of the bad cases */
} ree_prim_opts;

typedef struct ree_prim_box {
    double *lo, *hi; /* k bounds (inclusive); the data's extremes on unrestricted inputs */
    double coverage, density, support;
    size_t n; /* cases inside */
} ree_prim_box;

typedef struct ree_prim_result {
    int k;
    int nstep; /* boxes along the peeling trajectory, the first holding every case */
    ree_prim_box *steps;
    int chosen;        /* index into steps of the box that was pasted */
    ree_prim_box box;  /* the chosen box after pasting */
    double *min, *max; /* k: the data's extremes (an input is restricted when its bound is
                            inside them) */
} ree_prim_result;

/* Run PRIM on n cases of k inputs (x row-major, n x k) with outcomes y (0 or 1). Returns REE_OK
 * and fills *out (release with ree_prim_result_free), REE_EUSAGE (n == 0, k < 1, no bad case,
 * options out of range) or REE_ENOMEM. */
ree_status ree_prim(const double *x, const unsigned char *y, size_t n, int k,
                    const ree_prim_opts *o, ree_prim_result *out);

void ree_prim_result_free(ree_prim_result *r);

#endif
