/*
 * Calibration: fit the parameters a scenario's `calibrate:` section declares free to its
 * observations up to a cut-off month, by minimising the mean proper score (CRPS, or the p05-p95
 * interval score: score.h) of the simulated distribution against each observed point.
 *
 * Every evaluation runs the same runs with the same seed (common random numbers), so the
 * objective is a deterministic function of the parameters, and GSL's Nelder-Mead simplex
 * (gsl_multimin_fminimizer_nmsimplex2) minimises it over unbounded variables z, mapped to each
 * box [min, max] by x = min + (max - min) / (1 + exp(-z)) (a logit transform: the box is never
 * left, and its edges are approached smoothly). Integral parameters are rounded. Runs stop at the
 * cut-off month (the months after it cannot change the score), so an evaluation costs a fraction
 * of a full run.
 */
#ifndef REESIM_CALIBRATE_H
#define REESIM_CALIBRATE_H

#include <signal.h>
#include <stddef.h>
#include "plan.h"

typedef struct ree_calib_opts {
    long long nruns; /* runs per evaluation (> 0) */
    unsigned long long seed;
    int threads;
    int until;                     /* last step fitted; < 0: the plan's calibrate.until */
    int max_iter;                  /* simplex iterations (> 0) */
    double tol;                    /* stop when the simplex size (in z units) falls below it */
    volatile sig_atomic_t *cancel; /* stops between runs blocks when set non-zero */
    /* NULL, or called after each iteration with the best score so far and the simplex size. */
    void (*iteration)(void *arg, int iter, double best, double size);
    void *iteration_arg;
} ree_calib_opts;

typedef struct ree_calib_result {
    int nfree, npoints, iterations, evaluations, converged;
    int until;            /* step */
    double before, after; /* mean score of the scenario as given, and at the fitted values */
    double *initial;      /* nfree: starting values (the scenario's, clipped into the box) */
    double *fitted;       /* nfree */
} ree_calib_result;

/* Fit. On success the plan holds the fitted values (as constants) and *out is filled (release
 * with ree_calib_result_free). Returns REE_OK; REE_EUSAGE when the plan has no `calibrate:`
 * section or no observed point up to the cut-off; REE_EINTERRUPTED; or a simulation's status
 * (REE_ENONFINITE, REE_ENOMEM, ...). The message is in `err`. On error the plan's free
 * parameters are left at unspecified values within their boxes: reload it. Under MPI ranks
 * (exec.h) it is collective: every rank calls it, evaluates rank 0's points (shared with
 * ree_ranks_bcast) and returns rank 0's status; only rank 0's *out is meaningful. */
int ree_calibrate(ree_plan *p, const ree_calib_opts *o, ree_calib_result *out, char *err,
                  size_t errlen);

void ree_calib_result_free(ree_calib_result *r);

#endif
