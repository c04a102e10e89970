/*
 * reesim: the command line. Only this file exits; everything below it returns status.
 * Results go to stdout, diagnostics and progress to stderr.
 */
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "exec.h"
#include "reesim/reesim.h"

static void usage(FILE *f)
{
    fputs("Usage: reesim COMMAND [OPTIONS]\n"
          "Monte Carlo simulation of rare-earth and permanent-magnet supply chains under export\n"
          "licensing: Chinese producers, licence gates, non-Chinese suppliers, US demand sectors.\n"
          "\n"
          "Commands:\n"
          "  run SCENARIO.yaml        simulate a scenario and write CSV results\n"
          "  validate SCENARIO.yaml...  check scenarios, report every error with its location\n"
          "  compare BASE.yaml OTHER.yaml...  paired comparison with common random numbers\n"
          "  plot OUTDIR              charts of a run, comparison or sweep (gnuplot)\n"
          "  calibrate SCENARIO.yaml  fit the scenario's free parameters to its observations\n"
          "  sweep SCENARIO.yaml      cases over a grid or Latin hypercube of inputs\n"
          "  sensitivity SCENARIO.yaml  Morris or Sobol indices of the headline indicators\n"
          "  discover SWEEP_DIR       PRIM boxes of inputs leading to an outcome in a sweep\n"
          "  search SCENARIO.yaml     smallest or largest lever value meeting a probability goal\n"
          "  models [NAME]            list the models with their parameters, units and defaults\n"
          "\n"
          "Options:\n"
          "  -h, --help     show this help (also: reesim COMMAND --help)\n"
          "  -V, --version  show the version\n"
          "\n"
          "Exit status: 0 ok, 64 usage error, 65 invalid scenario, 66 cannot open input,\n"
          "70 internal error (including a failed mass-balance check), 71 out of memory or no\n"
          "threads, 73 cannot create output, 74 input/output error, 128+N stopped by signal N\n"
          "(129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM, 153 SIGXFSZ).\n",
          f);
}

/* The commands; each returns a status that ree_cli_exit_code maps to the exit code. */
static const struct command {
    const char *name;
    ree_status (*run)(int argc, char **argv);
} commands[] = {
    {"run", ree_cmd_run},         {"validate", ree_cmd_validate},
    {"compare", ree_cmd_compare}, {"models", ree_cmd_models},
    {"plot", ree_cmd_plot},       {"calibrate", ree_cmd_calibrate},
    {"sweep", ree_cmd_sweep},     {"sensitivity", ree_cmd_sensitivity},
    {"search", ree_cmd_search},   {"discover", ree_cmd_discover},
};

/* Under MPI ranks (docs/cluster.md) only these run: every rank takes part, rank 0 alone prints
 * and writes. */
static int runs_on_ranks(const char *cmd)
{
    return !strcmp(cmd, "run") || !strcmp(cmd, "compare") || !strcmp(cmd, "validate") ||
           !strcmp(cmd, "models") || !strcmp(cmd, "sweep") || !strcmp(cmd, "sensitivity") ||
           !strcmp(cmd, "search") || !strcmp(cmd, "calibrate");
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return ree_cli_exit_code(REE_EUSAGE);
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return ree_cli_exit_code(REE_OK);
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("reesim %s (git %s)\n", ree_version(), REESIM_GIT_REV);
        return ree_cli_exit_code(REE_OK);
    }
    if (ree_ranks() > 1 && !runs_on_ranks(cmd)) {
        fprintf(stderr, "reesim: '%s' does not run on several MPI ranks; run it as one process\n",
                cmd);
        return ree_cli_exit_code(REE_EUSAGE);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return ree_cli_exit_code(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "reesim: unknown command '%s'\n", cmd);
    usage(stderr);
    return ree_cli_exit_code(REE_EUSAGE);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (ree_ranks_init(&argc, &argv) != 0) {
        ree_ranks_finalize();
        return ree_cli_exit_code(REE_EINTERNAL);
    }
    int code = dispatch(argc, argv);
    ree_ranks_finalize();
    return code;
}
