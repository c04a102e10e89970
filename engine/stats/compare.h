/*
 * Paired comparison of scenarios with common random numbers (`reesim compare`).
 *
 * Every case runs with the same seed and the same run indices; random streams are keyed by
 * (seed, run, hash of the entity id, purpose), so run k of each case sees the same outages,
 * demand noise and review times wherever the cases share those entities. For each quantity the
 * cases share (an indicator, or a series value at a date, matched by entity and name), the
 * difference d_k = scenario_k - base_k of each run is accumulated, and its mean gets a t
 * confidence interval:
 *   diff_mean +- t_{0.975, n-1} * sd(d) / sqrt(n)                         (paired)
 * against the interval the same runs would give as independent samples:
 *   diff_mean +- t_{0.975, n-1} * sqrt(var(a) / n + var(b) / n)           (unpaired)
 * The ratio of the two widths is the variance reduction common random numbers bought.
 *
 * Determinism and memory: as in mc.h, runs go in fixed blocks of REE_MC_BLOCK run indices, each
 * block accumulating its own paired sums (Welford, in run order), and blocks merge into the
 * totals in block order (Chan et al.), so the results are byte-identical for any thread count.
 * Memory: per thread one run workspace per case and one block accumulator per
 * shared quantity. Nothing grows with the number of runs.
 */
#ifndef REESIM_COMPARE_H
#define REESIM_COMPARE_H

#include <stdio.h>
#include "mc.h"
#include "outfile.h"
#include "plan.h"

/* Paired sums of one quantity over runs: Welford mean and squared deviations of the base
 * value a, the scenario value b and their difference d = b - a, and how often d > 0 or d < 0. */
typedef struct ree_pair_acc {
    double n;
    double mean_a, m2_a;
    double mean_b, m2_b;
    double mean_d, m2_d;
    double n_up, n_down; /* runs with d > 0, d < 0 */
} ree_pair_acc;

/* What a pair accumulator says. Fields that need two runs or more (sd, CIs, widths) are NaN
 * below that. */
typedef struct ree_pair_stats {
    double n;
    double base_mean, scenario_mean;
    double diff_mean, diff_sd;
    double ci_low, ci_high; /* paired 95% CI of the mean difference */
    double paired_width;    /* ci_high - ci_low */
    double unpaired_width;  /* 2 t sqrt(var_a / n + var_b / n) */
    double prob_up;         /* share of runs with d > 0 (NaN when n = 0) */
    double prob_down;       /* share of runs with d < 0 */
} ree_pair_stats;

void ree_pair_add(ree_pair_acc *s, double a, double b);

/* Merge `from` into `into` (Chan et al.'s pairwise update; `from` empty leaves `into` as is). */
void ree_pair_merge(ree_pair_acc *into, const ree_pair_acc *from);

void ree_pair_summarize(const ree_pair_acc *s, ree_pair_stats *out);

/* Share of runs that came out worse in the scenario, by the direction an indicator's table
 * declares (ree_direction, engine/model.h): prob_up when higher is worse, prob_down when higher
 * is better, NaN when neutral (prob_worse is left empty). */
double ree_pair_prob_worse(const ree_pair_stats *s, ree_direction dir);

typedef struct ree_compare ree_compare;

/* Match `nother` scenarios against `base` (all must outlive the comparison): indicators by
 * entity id and indicator name, series by entity id and metric name at the same dates. Each
 * quantity present in only one case, or with differing units, is reported as "skipped: ..."
 * on `diag` (may be NULL). Returns NULL when out of memory. */
ree_compare *ree_compare_alloc(const ree_plan *base, const ree_plan *const *others, int nother,
                               FILE *diag);
void ree_compare_free(ree_compare *c);

/* Run runs o->first_run .. first_run + nruns - 1 of every case (o->sketch_k is not used) and
 * accumulate the paired statistics. Returns REE_OK, or REE_EBALANCE / REE_ENOMEM /
 * REE_EINTERRUPTED with a message in `err`. */
ree_status ree_compare_run(ree_compare *c, const ree_mc_opts *o, char *err, size_t errlen);

/* Write compare.csv and compare_timeseries.csv into `set`. Returns REE_OK or a status. */
ree_status ree_compare_write(const ree_compare *c, ree_outset *set);

/* Print, for each scenario, the `top` largest indicator differences and the CI width ratio
 * paired / unpaired that common random numbers bought. */
void ree_compare_print(const ree_compare *c, FILE *out, int top);

#endif
