/*
 * reesim: Monte Carlo simulation of rare-earth and permanent-magnet supply chains under
 * export licensing. Public interface of the library behind the `reesim` command.
 *
 * Ownership rule, stated once for the whole library: an object returned by a function named
 * `*_alloc`, `*_load` or `*_open` belongs to the caller, who releases it with the matching
 * `*_free` (or `*_commit`/`*_abort` for output files). Every `*_free(NULL)` is a no-op. A
 * constructor that fails returns NULL and frees whatever it had built. Pointers returned by
 * accessors (`*_name`, `*_get`, ...) are borrowed: valid while the object that returned them
 * lives, and never to be freed by the caller. Library code never exits and never prints except
 * through a `FILE *` it is handed.
 */
#ifndef REESIM_REESIM_H
#define REESIM_REESIM_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

/* Status codes, each with its message and the sysexits(3) code `main` exits with. */
#define REE_STATUS_LIST(X)                                                                         \
    X(REE_OK, 0, "success")                                                                        \
    X(REE_EUSAGE, 64, "command line usage error")                                                  \
    X(REE_EINVALID, 65, "invalid scenario")                                                        \
    X(REE_ENOINPUT, 66, "cannot open input")                                                       \
    X(REE_EUNAVAILABLE, 69, "a required program is not available")                                 \
    X(REE_EINTERNAL, 70, "internal error")                                                         \
    X(REE_EBALANCE, 70, "mass balance violated")                                                   \
    X(REE_ENONFINITE, 70, "non-finite value")                                                      \
    X(REE_ENOMEM, 71, "out of memory")                                                             \
    X(REE_ECANTCREATE, 73, "cannot create output")                                                 \
    X(REE_EIO, 74, "input/output error")                                                           \
    X(REE_EINTERRUPTED, 130, "interrupted")

typedef enum ree_status {
#define REE_X_ENUM(name, code, msg) name,
    REE_STATUS_LIST(REE_X_ENUM)
#undef REE_X_ENUM
        REE_STATUS_COUNT
} ree_status;

/* Message for a status; "unknown status" for a value outside the enum. Never NULL. */
const char *ree_status_message(ree_status s);

/* sysexits(3) code for a status; 70 (EX_SOFTWARE) for a value outside the enum. */
int ree_status_exit_code(ree_status s);

/* Version string of the library, e.g. "0.1.0". */
const char *ree_version(void);

/* ---- diagnostics ---------------------------------------------------------------------------- */

/* A collector of located diagnostics (`file:line:col: error: path.to.key: message`). */
typedef struct ree_diag ree_diag;

/* A collector storing at most `max_errors` errors and as many warnings (0: 50). NULL when out of
 * memory. */
ree_diag *ree_diag_alloc(size_t max_errors);
void ree_diag_free(ree_diag *d);

/* Number of errors recorded (stored or not). */
size_t ree_diag_count(const ree_diag *d);

/* Print every stored diagnostic, with its source line and a caret, to `out`. */
void ree_diag_print(const ree_diag *d, FILE *out);

/* ---- scenarios ------------------------------------------------------------------------------ */

/* A validated, immutable scenario ("plan"). Opaque here; read it through the accessors. */
typedef struct ree_plan ree_plan;

/* Load, validate and resolve a scenario file. Returns the plan, or NULL with *status
 * REE_EINVALID (every error recorded in `d`, located), REE_ENOINPUT (the file cannot be read: a
 * message in `d`) or REE_ENOMEM. */
ree_plan *ree_plan_load(const char *path, ree_diag *d, ree_status *status);

/* The same from `len` bytes in memory; `name` stands for the file in diagnostics, and relative
 * paths in the scenario (observations) resolve against its folder. */
ree_plan *ree_plan_load_buffer(const char *name, const char *bytes, size_t len, ree_diag *d,
                               ree_status *status);

void ree_plan_free(ree_plan *p);

/* The scenario's name, its horizon in months, and its default runs and seed. */
const char *ree_plan_name(const ree_plan *p);
int ree_plan_steps(const ree_plan *p);
long long ree_plan_runs(const ree_plan *p);
unsigned long long ree_plan_seed(const ree_plan *p);

/* Override numeric parameters by path: paths[i] is SECTION.ID.KEY or ID.KEY (a node, link or
 * gate parameter), timeline[I].set.PARAM (the value timeline event I sets),
 * regimes.ID.set.PARAM, or nodes.ID.stock.MAT (a node's initial stock, t); each becomes the constant values[i], which must lie within the
 * parameter's bounds and pass its model's check. All or nothing: returns REE_OK, or REE_EINVALID
 * with "PATH: reason" in `err` and the plan unchanged. Call it only while no simulation uses the
 * plan (the plan is otherwise immutable); `reesim calibrate` fits through it. */
ree_status ree_plan_override(ree_plan *p, const char *const *paths, const double *values, int n,
                             char *err, size_t errlen);

/* "YYYY-MM" of step `step` into buf (at least 8 bytes). */
void ree_plan_date(const ree_plan *p, int step, char *buf, size_t len);

/* Output series (entity x metric, one value per month) and per-run indicators, in the order of
 * timeseries.csv and summary.csv. Names and units are borrowed from the plan. `*_find` returns
 * the index, or -1 when there is none. */
int ree_plan_series_count(const ree_plan *p);
void ree_plan_series_name(const ree_plan *p, int i, const char **entity, const char **metric,
                          const char **unit);
int ree_plan_series_find(const ree_plan *p, const char *entity, const char *metric);
int ree_plan_indicator_count(const ree_plan *p);
void ree_plan_indicator_name(const ree_plan *p, int i, const char **entity, const char **name,
                             const char **unit);
int ree_plan_indicator_find(const ree_plan *p, const char *entity, const char *name);

/* ---- simulation ----------------------------------------------------------------------------- */

/* Progress: `done` of `total` runs finished. Called from one thread at a time. */
typedef void (*ree_progress_fn)(void *arg, long long done, long long total);

typedef struct ree_sim_opts {
    long long nruns;               /* runs 0 .. nruns-1 (> 0) */
    unsigned long long seed;       /* with the runs, decides every random draw */
    int threads;                   /* OpenMP threads (>= 1); results do not depend on it */
    int check_balance;             /* check mass balance at every node and step */
    volatile sig_atomic_t *cancel; /* NULL, or a flag that stops the runs when set non-zero */
    ree_progress_fn progress;      /* NULL, or called as runs finish */
    void *progress_arg;
} ree_sim_opts;

/* Options with the scenario's runs and seed, one thread, no check, no callbacks. */
ree_sim_opts ree_sim_opts_default(const ree_plan *p);

/* Statistics over the runs of a simulation. */
typedef struct ree_results ree_results;

/* Run the Monte Carlo. Returns the results, or NULL with *status REE_EBALANCE (failed check),
 * REE_EINVALID (a value became non-finite), REE_ENOMEM, REE_EINTERRUPTED or REE_EUSAGE (bad
 * options) and a message in `err`. The plan must outlive the results. */
ree_results *ree_simulate(const ree_plan *p, const ree_sim_opts *o, ree_status *status, char *err,
                          size_t errlen);
void ree_results_free(ree_results *r);

/* Distribution across runs of one value: count, mean, sd (n-1), extremes and quantiles (R type
 * 7, exact up to 2k runs per cell, within docs/statistics.md's bound beyond). */
typedef struct ree_summary {
    double n, mean, sd, min, max, p05, p25, p50, p75, p95;
} ree_summary;

/* Series `series` at step `step`, or indicator `i`. REE_EUSAGE for an index out of range (the
 * summary is then left unchanged). */
ree_status ree_results_series(const ree_results *r, int series, int step, ree_summary *out);
ree_status ree_results_indicator(const ree_results *r, int i, ree_summary *out);

#endif
