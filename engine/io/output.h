/*
 * Result files of a run: timeseries.csv, summary.csv, fit.csv, scenario.resolved.yaml and
 * meta.json (runs.csv is streamed by the Monte Carlo driver). Columns are documented in the
 * README; every CSV is tidy, one observation per row.
 */
#ifndef REESIM_OUTPUT_H
#define REESIM_OUTPUT_H

#include <stdio.h>
#include "mc.h"
#include "outfile.h"
#include "plan.h"
#include "score.h"

/* What meta.json records about the invocation. */
typedef struct ree_run_info {
    long long first_run, nruns;
    unsigned long long seed;
    int threads;
    int check;
    const char *command;      /* "run" or "compare" */
    double started, finished; /* seconds since the epoch */
} ree_run_info;

/* Header of runs.csv. */
extern const char *const ree_runs_columns[6];

ree_status ree_output_timeseries(const ree_plan *p, const ree_mc_result *res, ree_outset *set);
ree_status ree_output_summary(const ree_plan *p, const ree_mc_result *res, ree_outset *set);

/* fit.csv (one row per observed point, with its CRPS and p05-p95 interval score) and
 * fit_summary.csv (one row per observation label and an "all" row) for the plan's observations;
 * sets *sum to the "all" row (npoints 0 and NaN elsewhere when there are no observations, and
 * then nothing is written). */
ree_status ree_output_fit(const ree_plan *p, const ree_mc_result *res, ree_outset *set,
                          ree_fit_summary *sum);

/* variance.csv: per headline indicator and uncertain parameter, its first-order share of the
 * variance across runs and the noise floor (variance.h); header only without a budget. */
ree_status ree_output_variance(const ree_plan *p, const ree_mc_result *res, ree_outset *set);

/* Every parameter as used, defaults marked. */
ree_status ree_output_resolved(const ree_plan *p, const ree_run_info *info, FILE *f);

ree_status ree_output_meta(const ree_plan *p, const ree_run_info *info, const ree_mc_result *res,
                           FILE *f);

/* meta.json of a command that reads results rather than a scenario (`reesim discover`): version,
 * git revision, command, the n string pairs keys[i]: values[i] (any bytes; JSON-escaped), start
 * and end time. Returns REE_OK, REE_ENOMEM or REE_EIO. */
ree_status ree_output_meta_plain(const char *command, const char *const *keys,
                                 const char *const *values, int n, double started, double finished,
                                 FILE *f);

#endif
