/*
 * Proper scores of a simulated distribution against an observed value (Gneiting & Raftery 2007,
 * "Strictly proper scoring rules, prediction, and estimation", JASA 102:359).
 *
 * CRPS(F, y) = integral over t of (F(t) - 1{t >= y})^2 dt = E|X - y| - E|X - X'|/2, in the unit
 * of the value; 0 for a point forecast at y, growing with both bias and spread. Computed exactly
 * for the empirical distribution of the runs (the quantile sketch's weighted points: every run
 * while the cell is exact, stats.h) by integrating the squared difference between consecutive
 * points, O(n log n), every term non-negative.
 *
 * Interval score of the central (1 - alpha) interval [l, u] (p05-p95: alpha = 0.1):
 * IS = (u - l) + (2/alpha)(l - y) 1{y < l} + (2/alpha)(y - u) 1{y > u}: the width, plus a penalty
 * for each miss proportional to its distance.
 *
 * Lower is better for both; both are proper, so the forecast that minimises the expected score is
 * the true distribution, which "share of points inside the band" does not reward.
 */
#ifndef REESIM_SCORE_H
#define REESIM_SCORE_H

#include <stddef.h>
#include "plan.h"
#include "stats.h"

#define REE_IS_ALPHA 0.1 /* p05-p95 */

/* CRPS of the distribution putting weight w[i] > 0 on x[i] (any order; both arrays are sorted
 * in place by x) against y. NaN when n == 0 or y is not finite. */
double ree_crps_weighted(double *x, double *w, size_t n, double y);

/* CRPS of cell `cell` of an accumulator against y. Returns 0 and sets *out (NaN for an empty
 * cell), or -1 when out of memory (*out unchanged). */
int ree_acc_crps(const ree_acc *a, size_t cell, double y, double *out);

/* Interval score of [lo, hi] as the central (1 - alpha) interval, against y. */
double ree_interval_score(double lo, double hi, double alpha, double y);

/* One observed point scored against the simulated distribution of its series and month. */
typedef struct ree_fit_point {
    int obs, k;      /* observation index in the plan and point index within it */
    int step;        /* month of the point */
    double observed; /* the value */
    ree_cell_stats s;
    double crps, is; /* interval score of p05-p95 */
    int within;      /* p05 <= observed <= p95 */
} ree_fit_point;

/* Totals over a set of points. */
typedef struct ree_fit_summary {
    int npoints;
    double inside; /* share of points inside p05-p95 */
    double mape;   /* mean absolute percentage error of the median, %, over non-zero points */
    double crps;   /* mean CRPS */
    double is;     /* mean interval score */
} ree_fit_summary;

/* Score point k of observation `obs` against the series statistics `series` (cells s * nsteps +
 * t, as ree_mc_result). Returns 0, or -1 when out of memory. */
int ree_fit_point_score(const ree_plan *p, const ree_acc *series, int obs, int k,
                        ree_fit_point *out);

/* Score every observed point at step <= last_step of observation `obs` (every observation when
 * obs < 0) and summarise. Points outside the series' horizon are not counted. Returns 0, or -1
 * when out of memory. */
int ree_fit_evaluate(const ree_plan *p, const ree_acc *series, int obs, int last_step,
                     ree_fit_summary *out);

#endif
