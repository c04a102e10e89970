/* Shared by `reesim sweep`, `sensitivity` and `search` (cli/cmd_sweep.c, cmd_sensitivity.c,
 * cmd_search.c): the inputs of an exploration, from the scenario's `explore:` section and
 * command-line --set options, resolved to override slots. */
#ifndef REESIM_EXPLORE_CLI_H
#define REESIM_EXPLORE_CLI_H

#include "csvread.h"
#include "explore.h"
#include "output.h"

typedef struct ree_cli_inputs {
    int k;
    ree_explore_input *in; /* k inputs; paths and values owned here */
    ree_param_slot *slots; /* their slots in the plan */
} ree_cli_inputs;

/* The scenario's explore: inputs, each replaced by a --set of the same parameter, then the other
 * --set options in order. A --set is PATH=V1,V2,... (a list of 1 to REE_EXPLORE_MAX_VALUES) or
 * PATH=LO..HI (a range). Returns REE_OK, REE_EUSAGE after a message on stderr naming `cmd` and
 * the option `opt` the values came from ("--set", or search's "--lever") (bad syntax, path,
 * value; two of them for one parameter, under any spelling; no input at all when `need` is set),
 * or REE_ENOMEM. */
ree_status ree_cli_inputs_get(const char *cmd, const char *opt, ree_plan *p, char **sets, int nsets,
                              int need, ree_cli_inputs *out);
void ree_cli_inputs_free(ree_cli_inputs *x);

/* Load the scenario at `path` (diagnostics on stderr) and its inputs as ree_cli_inputs_get, the
 * explore: section left out when `no_explore` is set. Returns the plan with *x filled, or NULL
 * with *status why (the plan then freed; out of memory reported). */
ree_plan *ree_cli_load_inputs(const char *cmd, const char *path, char **sets, int nsets,
                              int no_explore, ree_cli_inputs *x, ree_status *status);

/* Cases at once (`reesim sweep`, `sensitivity`): case t of a wave on plan copy t (copy 0 is the
 * plan itself: a case sets its inputs in the plan it runs on) with one thread each, so that cases
 * too short to keep the threads busy on their own (a case of 200 runs is 4 blocks) still do. A
 * case's results do not depend on its threads, so results are the same bytes as one case at a
 * time on all threads; the caller reads them in case order. Memory: that of `conc` cases. */
typedef struct ree_cli_cases {
    ree_plan *p;        /* the plan (copy 0) */
    ree_cli_inputs *x;  /* its inputs */
    int conc;           /* cases at once: plan copies */
    ree_plan **copy;    /* copy[t], t >= 1: the scenario loaded again */
    ree_cli_inputs *cx; /* their inputs */
    ree_mc_result *res; /* per copy: its case's result (when st[t] is REE_OK) */
    ree_status *st;     /* and status */
    char (*err)[512];   /* and message */
    /* One case at a time (always under MPI ranks) points copy, cx, res, st and err at these
     * (one_copy is copy[0], the plan) instead of allocating them: a failed allocation on one
     * rank alone would send it away while the others enter the next case's collectives. So a
     * set-up ree_cli_cases is not to be copied. */
    ree_plan *one_copy;
    ree_cli_inputs one_cx;
    ree_mc_result one_res;
    ree_status one_st;
    char one_err[1][512];
} ree_cli_cases;

/* How many cases of `runs` runs to run at once on `threads` threads: one per thread when a case
 * has under 4 blocks per thread and this process is the only rank (under MPI each case's Monte
 * Carlo is collective), else 1; never more than `ncase`. */
int ree_cli_cases_conc(long long runs, int threads, long long ncase);

/* Set up `conc` cases at once on plan p with inputs x (loaded from `path` with these arguments
 * of ree_cli_load_inputs): conc - 1 more copies, each checked to hold what p does (the scenario's
 * text and observations, ree_plan_inputs_sha256) with as many inputs. Returns REE_OK, or a failure with a message in err (a copy
 * whose load failed: said by the loader); ree_cli_cases_close frees what was set up either way. */
ree_status ree_cli_cases_open(ree_cli_cases *c, const char *cmd, ree_plan *p, ree_cli_inputs *x,
                              int conc, const char *path, char **sets, int nsets, int no_explore,
                              char *err, size_t errlen);

/* Run cases 0 .. m - 1 (m <= conc) at once, case t with input values vals[t * k ..] (k = x->k)
 * on copy t, with options mo (one thread each when m > 1): results in c->res[t], statuses in
 * c->st[t], messages in c->err[t]. The caller frees each result whose status is REE_OK. */
void ree_cli_cases_run(ree_cli_cases *c, int m, const double *vals, const ree_mc_opts *mo);

/* After ree_cli_cases_run of m cases: how many, from the first, succeeded before the first
 * failure in case order (m when none failed), that failure's status in *st (else REE_OK) and its
 * message in err. The caller reads results 0 .. (returned) - 1, then ree_cli_cases_free. */
int ree_cli_cases_ok(const ree_cli_cases *c, int m, ree_status *st, char *err, size_t errlen);

/* Free the results of cases 0 .. m - 1 that succeeded. */
void ree_cli_cases_free(ree_cli_cases *c, int m);

void ree_cli_cases_close(ree_cli_cases *c);

/* meta.json of an exploration (or calibration) into `set`: the scenario, the run information and
 * no Monte Carlo result of its own. Returns REE_OK or the write's failure. */
ree_status ree_cli_explore_meta(ree_outset *set, const ree_plan *p, const ree_run_info *info);

/* sweep.csv's columns after `case` and the inputs, as `reesim sweep` writes them and `reesim
 * discover` expects them (cli/explore_cli.c). */
#define REE_SWEEP_TAIL 8
extern const char *const ree_sweep_tail[REE_SWEEP_TAIL];

/* Reading sweep.csv back (cli/sweep_csv.c), for `discover` and `plot`. The header `reesim
 * sweep` writes: `case`, at least one input, then ree_sweep_tail and nothing else, with `entity`
 * at column `cent`. Returns 0, or -1 with "PATH:LINE: expected the header of a sweep: ..." in
 * err. */
int ree_sweep_check_header(const ree_table *t, int cent, char *err, size_t errlen);

/* Every row as `reesim sweep` writes it (docs/exploration.md): the case a whole number from 0,
 * each input and each of mean, sd, p05, p50, p95 a number (ree_table_num without
 * REE_TABLE_EMPTY: a sweep writes every one, all finite), one row per case and indicator, and
 * the same inputs on every row of a case. xall (nrows x k) gets each row's inputs, stat (nrows, or NULL
 * when cstat is -1) the column `cstat`. Returns REE_OK, REE_ENOMEM, or REE_EINVALID with the error of the earliest line
 * in err ("PATH:LINE: ..."). */
ree_status ree_sweep_check_rows(const ree_table *t, int k, int cstat, double *xall, double *stat,
                                char *err, size_t errlen);

/* Parse one "LO..HI" range into lo < hi. Returns 0, or -1. */
int ree_cli_range(const char *s, double *lo, double *hi);

#endif
