/*
 * Global sensitivity analysis of a model given as a callback: Morris elementary effects and Sobol
 * first-order and total indices (docs/exploration.md). The estimators know nothing of the
 * simulator: `reesim sensitivity` hands them a function that runs a Monte Carlo case and returns
 * its run-means; the tests hand them analytic functions (Ishigami, Sobol's G) whose indices are
 * known.
 *
 * Inputs are k boxes [lo_i, hi_i]; designs are built on the unit cube and mapped linearly.
 *   Morris (1991), with Campolongo et al.'s mu*: r trajectories on a grid of p levels (p even),
 *     step delta = p / (2 (p - 1)); each trajectory starts at a random grid point and moves
 *     every input once, in a random order, by +delta (or -delta when +delta would leave the
 *     cube). Elementary effects are in unit-cube coordinates, (y' - y) / (+-delta): an effect
 *     is the change of y over the input's whole range. mu* = mean |EE|, mu = mean EE, sigma =
 *     sd EE (n - 1). r (k + 1) evaluations.
 *   Sobol: base matrices A and B (N rows) from the first and last k coordinates of GSL's 2k-
 *     dimensional Sobol sequence (gsl_qrng_sobol, k <= 20), A_B^i = A with column i from B.
 *     S1_i = mean((f(B) - m) (f(A_B^i) - f(A))) / V (Saltelli et al. 2010, with f(B) centred on
 *     m, the pooled mean of f(A) and f(B), so that an offset of the output changes nothing),
 *     ST_i = mean((f(A) - f(A_B^i))^2) / (2 V) (Jansen 1999), V the variance of f(A) and f(B)
 *     pooled. N (k + 2) evaluations.
 * Confidence intervals: percentile bootstrap (95%) over the rows of the design (trajectories,
 * or rows of A), resampled with GSL's MT19937 seeded with `seed`: deterministic. An output with
 * no variance at all has NaN indices.
 *
 * Memory: every output of every evaluation, r (k + 1) m or N (k + 2) m doubles.
 */
#ifndef REESIM_GSA_H
#define REESIM_GSA_H

#include "reesim/reesim.h"

#define REE_GSA_MAX_INPUTS 20

/* Evaluate the model at inputs x[k] (in their units), writing its m outputs to y[m]. Returns
 * REE_OK, or a status that stops the analysis and is returned by it. */
typedef ree_status (*ree_gsa_fn)(void *arg, const double *x, double *y);
/* Evaluate `count` points at once: point q's inputs at x[q * k], its outputs to y[q * m]. Returns
 * REE_OK, or the status of the first point in order that failed (the analysis stops with it).
 * Its outputs must be those f would give point by point. The designs hand it a Morris
 * trajectory's k + 1 points, or a Sobol row's k + 2 (A, B, then A_B^1 .. A_B^k). */
typedef ree_status (*ree_gsa_batch_fn)(void *arg, int count, const double *x, double *y);

typedef struct ree_gsa_opts {
    int k;                   /* inputs, 1 .. REE_GSA_MAX_INPUTS */
    const double *lo, *hi;   /* their boxes, lo < hi */
    int m;                   /* outputs, >= 1 */
    int n;                   /* Morris: trajectories r; Sobol: base rows N (>= 2) */
    int levels;              /* Morris: grid levels p (even, >= 2; 0: 4) */
    int nboot;               /* bootstrap resamples (0: no intervals, NaN bounds) */
    unsigned long long seed; /* Morris design and the bootstrap */
    ree_gsa_fn f;            /* one point; or NULL with fb */
    ree_gsa_batch_fn fb;     /* several at once (may be NULL); used instead of f when set */
    void *arg;
    void (*progress)(void *arg, long long done, long long total); /* may be NULL */
    char *err;     /* where a failure of the method's own is said (may be NULL) */
    size_t errlen; /* bytes at err */
} ree_gsa_opts;

typedef struct ree_gsa_ci {
    double est, lo, hi; /* estimate and 95% bootstrap interval */
} ree_gsa_ci;

/* Indices of output j for input i at cell j * k + i. */
typedef struct ree_gsa_result {
    int k, m;
    long long evaluations;
    ree_gsa_ci *a; /* Morris: mu*; Sobol: S1 */
    ree_gsa_ci *b; /* Morris: sigma; Sobol: ST */
    double *mu;    /* Morris: mean EE; Sobol: NULL */
    double *mean;  /* per output: mean over every evaluation */
    double *var;   /* per output: variance over every evaluation (n - 1) */
} ree_gsa_result;

/* Run the analysis. Returns REE_OK and fills *out (release with ree_gsa_result_free), or
 * REE_EUSAGE (options out of range), REE_ENOMEM, or the callback's status; *out is then empty. */
ree_status ree_gsa_morris(const ree_gsa_opts *o, ree_gsa_result *out);
ree_status ree_gsa_sobol(const ree_gsa_opts *o, ree_gsa_result *out);

void ree_gsa_result_free(ree_gsa_result *r);

#endif
