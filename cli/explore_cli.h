/* Shared by `reesim sweep`, `sensitivity` and `search` (cli/cmd_sweep.c, cmd_sensitivity.c,
 * cmd_search.c): the inputs of an exploration, from the scenario's `explore:` section and
 * command-line --set options, resolved to override slots. */
#ifndef REESIM_EXPLORE_CLI_H
#define REESIM_EXPLORE_CLI_H

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
 * value; no input at all when `need` is set), or REE_ENOMEM. */
ree_status ree_cli_inputs_get(const char *cmd, const char *opt, ree_plan *p, char **sets, int nsets,
                              int need, ree_cli_inputs *out);
void ree_cli_inputs_free(ree_cli_inputs *x);

/* Load the scenario at `path` (diagnostics on stderr) and its inputs as ree_cli_inputs_get, the
 * explore: section left out when `no_explore` is set. Returns the plan with *x filled, or NULL
 * with *status why (the plan then freed; out of memory reported). */
ree_plan *ree_cli_load_inputs(const char *cmd, const char *path, char **sets, int nsets,
                              int no_explore, ree_cli_inputs *x, ree_status *status);

/* meta.json of an exploration (or calibration) into `set`: the scenario, the run information and
 * no Monte Carlo result of its own. Returns REE_OK or the write's failure. */
ree_status ree_cli_explore_meta(ree_outset *set, const ree_plan *p, const ree_run_info *info);

/* sweep.csv's columns after `case` and the inputs, as `reesim sweep` writes them and `reesim
 * discover` expects them (cli/explore_cli.c). */
#define REE_SWEEP_TAIL 8
extern const char *const ree_sweep_tail[REE_SWEEP_TAIL];

/* Parse one "LO..HI" range into lo < hi. Returns 0, or -1. */
int ree_cli_range(const char *s, double *lo, double *hi);

#endif
