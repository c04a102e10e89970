/*
 * Exploration of a scenario's inputs (docs/exploration.md): experiment designs over the
 * `explore:` inputs (or any set of override paths), one Monte Carlo case per design point on
 * common random numbers, and a bisection search for the smallest or largest lever value meeting a
 * probabilistic goal. The GSA estimators are in gsa.h, PRIM in prim.h.
 */
#ifndef REESIM_EXPLORE_H
#define REESIM_EXPLORE_H

#include <stddef.h>
#include "mc.h"
#include "override.h"
#include "plan.h"

/* Most cases a design may hold (a full grid grows fast). */
#define REE_DESIGN_MAX_CASES 100000

/* Value of input `in` at u in [0,1]: min + u (max - min) for a range (exactly max at u = 1, never
 * outside [min, max] by rounding), the listed value floor(u n) (the last one at u = 1) for a
 * list. */
double ree_explore_at(const ree_explore_input *in, double u);

/* u of [0, 1] to [lo, hi]: lo + (hi - lo) u, exactly hi from u = 1 and never outside the range
 * (rounding alone makes 0.3 + (0.9 - 0.3) 0.9000000000000001, which a parameter bounded by 0.9
 * refuses). The continuous inputs' map of ree_explore_at and of the sensitivity designs. */
double ree_explore_scale(double lo, double hi, double u);

/* Full-factorial grid: a range takes `levels` (>= 2) evenly spaced values from exactly min to
 * exactly max (none outside them by rounding), a list its values; the last input varies
 * fastest. Returns REE_OK with *x (ncase rows of k values; caller frees) and *ncase, REE_EUSAGE
 * when the grid would exceed REE_DESIGN_MAX_CASES cases, or REE_ENOMEM. */
ree_status ree_design_grid(const ree_explore_input *in, int k, int levels, double **x,
                           long long *ncase);

/* Latin hypercube of n cases (1 .. REE_DESIGN_MAX_CASES): each input's [0,1] cut in n strata,
 * one uniform point per stratum, strata permuted independently per input (GSL MT19937 seeded
 * with `seed`: deterministic), then mapped with ree_explore_at. Returns REE_OK with *x (n rows
 * of k; caller frees), REE_EUSAGE, or REE_ENOMEM. */
ree_status ree_design_lhs(const ree_explore_input *in, int k, int n, unsigned long long seed,
                          double **x);

/* Set the k slots to x (rounded for integral parameters) and run the Monte Carlo with `mo`.
 * Returns REE_OK with *out (release with ree_mc_result_free), REE_EINVALID when a value fails
 * its parameter's check (message in err), or ree_mc_run's status. The plan keeps the values. */
ree_status ree_explore_case(ree_plan *p, const ree_param_slot *slots, int k, const double *x,
                            const ree_mc_opts *mo, ree_mc_result *out, char *err, size_t errlen);

/* Share of the values of indicator cell `cell` that satisfy `v OP x` (op one of "<=", "<",
 * ">=", ">"), from the accumulator's weighted points: exact while the cell holds every run
 * (at most 2k runs, stats.h), else within the sketch's rank error. */
double ree_explore_share(const ree_acc *a, size_t cell, const char *op, double x);

/* Wilson score interval for `s` successes in `n` trials at normal quantile z (1.96: 95%). */
void ree_wilson(double s, double n, double z, double *lo, double *hi);

/* Probability of meeting the goal at a lever value, and the number of runs behind it. */
typedef ree_status (*ree_search_fn)(void *arg, double lever, double *prob, long long *n);

typedef struct ree_search_result {
    int found;      /* 1: a value meets the goal */
    int smallest;   /* 1: answer is the smallest value meeting it (goal met at hi, not lo);
                         0: the largest (met at lo, not at hi) */
    double answer;  /* the value found (NaN when none) */
    double bracket; /* the closest value tried that fails the goal (NaN when none) */
    double prob;    /* probability at the answer (at the best end when none) */
    long long n;    /* runs behind prob */
    int evaluations;
} ree_search_result;

/* Bisection on [lo, hi] for the value at which the probability crosses `target` (prob >=
 * target is "met"), assuming it is monotone in the lever. Both ends are evaluated first: met at
 * neither gives found = 0; met at both gives the end that is best for the direction `prefer_low`
 * (1: lo, the smallest; 0: hi). Stops when the bracket is at most `tol` wide (integral: values
 * are rounded and the bracket closes at width 1) or after 60 halvings. Returns REE_OK, or the
 * callback's status. */
ree_status ree_search_bisect(double lo, double hi, double target, double tol, int integral,
                             int prefer_low, ree_search_fn f, void *arg, ree_search_result *out);

#endif
