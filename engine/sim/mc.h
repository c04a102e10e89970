/*
 * The Monte Carlo driver of one scenario, on the block executor (exec.h): runs in fixed blocks of
 * REE_MC_BLOCK consecutive run indices, simulated by OpenMP threads in any order, block
 * statistics merged into the totals strictly in block order. The result depends on the plan,
 * the seed and the run range only: byte-identical for any number of threads.
 *
 * Memory: per worker (one or two per thread, exec.h) one run workspace, or a lockstep one
 * (lrun.h: eight runs' step state and eight run workspaces, used only while it stays under
 * REE_LRUN_BUDGET), and a block (ree_block: about REE_MC_BLOCK + 12 doubles per cell); the totals keep at most 2k sketch points per cell (stats.h). None of it grows with the
 * number of runs. With opts.series_moments_only the series cells keep moments only: 4 doubles a
 * cell per thread, 40 bytes a cell in the totals.
 */
#ifndef REESIM_MC_H
#define REESIM_MC_H

#include <signal.h>
#include <stdio.h>
#include "exec.h"
#include "outfile.h"
#include "plan.h"
#include "stats.h"
#include "variance.h"

#define REE_MC_BLOCK REE_EXEC_BLOCK

typedef struct ree_mc_opts {
    long long first_run; /* index of the first run (0, or K for --only-run K) */
    long long nruns;     /* number of runs */
    unsigned long long seed;
    int threads;                   /* >= 1 */
    int check;                     /* mass-balance check on every step */
    size_t sketch_k;               /* quantile sketch size per cell (0: REE_MC_DEFAULT_K) */
    volatile sig_atomic_t *cancel; /* when set and non-zero, stop before the next block */
    ree_progress_fn progress;      /* called after each merged block; may be NULL */
    void *progress_arg;
    int variance; /* the variance budget to collect: a ree_vb_scope (REE_VB_OFF: none) */
    /* How runs.csv rows are prepared, on every thread of every rank, before the ordered write:
     * REE_MC_ROWS_NONE (0: plain text when `runs_csv` is given, else none), REE_MC_ROWS_CSV
     * (text) or REE_MC_ROWS_GZ (each block's rows one gzip member, for a runs_csv opened with
     * ree_outset_csv_gz). MPI ranks that write no file set it as rank 0 does, so that the rows
     * travel ready to append: rank 0 only writes them. */
    int rows;
    /* Series cells keep moments only (ree_acc_alloc_moments): no quantiles in timeseries.csv,
     * 40 bytes a cell in the totals and 32 per thread instead of up to ~9 KB and 608. The
     * indicators always keep their quantiles. */
    int series_moments_only;
} ree_mc_opts;

enum { REE_MC_ROWS_NONE = 0, REE_MC_ROWS_CSV = 1, REE_MC_ROWS_GZ = 2 };

#define REE_MC_DEFAULT_K REE_ACC_DEFAULT_K

/* Bytes the series sketches of plan `p` may reach in the totals at sketch size k (0: the
 * default), every cell holding its most points (2k + REE_BLOCK_MAX): the steady state of a long
 * Monte Carlo in which no cell is a point mass. Depends on the plan and k only (not on runs,
 * threads or ranks), so a choice made from it gives the same output for any -j and any ranks. */
size_t ree_mc_series_sketch_bytes(const ree_plan *p, size_t k);

typedef struct ree_mc_result {
    ree_acc *series;     /* nseries * nsteps cells, cell s * nsteps + t */
    ree_acc *indicators; /* nindicator cells */
    ree_vb *variance;    /* variance budget when asked (opts.variance), else NULL */
    long long nruns;
    double seconds; /* wall time of the runs */
    int threads;    /* the options' thread count: the output tables are formatted with as many */
} ree_mc_result;

/* Run the Monte Carlo. When `runs_csv` is not NULL, one row per run and indicator is written
 * to it in run order (scenario,run,entity,indicator,unit,value). Returns REE_OK and fills *out
 * (release with ree_mc_result_free), or REE_EBALANCE / REE_ENOMEM / REE_EINTERRUPTED with a
 * message in `err`. Collective on several MPI ranks (ree_ranks() > 1): every rank calls it with
 * the same plan and options, and a rank that cannot allocate the statistics makes every rank
 * return REE_ENOMEM. */
ree_status ree_mc_run(const ree_plan *p, const ree_mc_opts *o, ree_csv *runs_csv,
                      ree_mc_result *out, char *err, size_t errlen);

void ree_mc_result_free(ree_mc_result *r);

/* The runs.csv rows of `count` runs from run `first`: one row per run and indicator (scenario,
 * run, entity, indicator, unit, value), `values` holding each run's indicators in plan order. */
void ree_mc_write_runs(const ree_plan *p, ree_csv *csv, const double *values, long long first,
                       int count);

/* About how many bytes the runs.csv rows of `nruns` runs from run `first` take as plain text
 * (the header not counted), for choosing a default format, never for sizing a buffer: the text
 * fields, separators and run numbers exactly, each value at REE_MC_VALUE_BYTES (a %.10g number
 * is 1 byte for 0, 11 for 166408.9749, at most 17: on the shipped scenarios the estimate is 6%
 * to 15% above the text written). A double: it may pass 2^64 in principle. Runs are numbered
 * from 0 to LLONG_MAX - 1: a negative `first` counts from 0, and a range past LLONG_MAX stops
 * there. */
#define REE_MC_VALUE_BYTES 10
double ree_mc_runs_csv_bytes(const ree_plan *p, long long first, long long nruns);

/* The executor's options for a Monte Carlo's options (runs, threads, cancel flag, progress), for
 * every driver built on ree_exec_run (this one, compare's). */
ree_exec_opts ree_mc_exec_opts(const ree_mc_opts *o);

#endif
