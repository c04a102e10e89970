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

/* fit.csv for the plan's observations; sets *mape (mean absolute percentage error of the
 * median over observed points with a non-zero value, in %) and *inside (share of points in the
 * p05-p95 band). Writes nothing when there are no observations. */
ree_status ree_output_fit(const ree_plan *p, const ree_mc_result *res, ree_outset *set,
                          double *mape, double *inside, int *npoints);

/* Every parameter as used, defaults marked. */
ree_status ree_output_resolved(const ree_plan *p, const ree_run_info *info, FILE *f);

ree_status ree_output_meta(const ree_plan *p, const ree_run_info *info, const ree_mc_result *res,
                           FILE *f);

#endif
