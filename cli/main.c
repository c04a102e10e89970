/*
 * reesim: the command line. Only this file exits; everything below it returns status.
 * Results go to stdout, diagnostics and progress to stderr.
 */
#include <fcntl.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
          "An option that takes a value may be given once, unless its help says repeatable.\n"
          "\n"
          "Exit status: 0 ok, 64 usage error, 65 invalid scenario, 66 cannot open input,\n"
          "69 a required program is missing (gnuplot for plot), 70 internal error (including a\n"
          "failed mass-balance check or a non-finite value), 71 out of memory or no threads,\n"
          "73 cannot create output, 74 input/output error, 128+N stopped by signal N (129 SIGHUP,\n"
          "130 SIGINT, 131 SIGQUIT, 143 SIGTERM, 153 SIGXFSZ).\n",
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
        if (!strcmp(cmd, commands[i].name)) {
            ree_status st = commands[i].run(argc - 1, argv + 1);
            /* Every rank ends with rank 0's status; an interruption is reported with the signal
             * that stopped a rank (128 + N), the same code on every rank, so that mpirun, which
             * passes on the first non-zero code it sees, gives that one. */
            if (ree_ranks() > 1 && st == REE_EINTERRUPTED)
                ree_cli_interrupted = ree_ranks_max((int)ree_cli_interrupted);
            return ree_cli_exit_code(st);
        }
    fprintf(stderr, "reesim: unknown command '%s'\n", cmd);
    usage(stderr);
    return ree_cli_exit_code(REE_EUSAGE);
}

/* How long a rank whose command failed where no collective step told the others waits at the
 * end for them (ree_ranks_end) before it ends the job. */
static double end_wait = 60;
static int fail_alone;           /* REESIM_MPI_FAIL names this rank */
static int loud = STDERR_FILENO; /* this rank's stderr before any redirection to /dev/null */

/* A test aid's value (tests/cli/mpi.sh) when it names this rank: what follows the rank number
 * ("" or ":..."); NULL when it is unset, names another rank, or does not start with a number. */
static const char *aid_for_me(const char *name)
{
    const char *v = getenv(name);
    char *rest = NULL;
    if (!v || ree_ranks() < 2)
        return NULL;
    long r = strtol(v, &rest, 10);
    return rest != v && r == ree_rank() ? rest : NULL;
}

/* Under MPI ranks (docs/cluster.md) rank 0 alone prints: the others' stdout and stderr go to
 * /dev/null. REESIM_MPI_TRACE (set, any value) has rank 0 print the executor's per-call figures
 * (blocks, bytes received, blocks run per rank) on stderr. Test aids: REESIM_MPI_SLOW=R:MS has
 * rank R sleep MS ms after each block; REESIM_MPI_NOMEM=R[:SITE] has rank R fail as out of
 * memory at SITE (stats, the default; inputs; setup; method: exec.h); REESIM_MPI_BUILD=R:TEXT
 * has rank R say it runs reesim TEXT; REESIM_MPI_FAIL=R has rank R's command fail at once,
 * alone, as out of memory; REESIM_MPI_END_WAIT=S sets end_wait. */
static int join_ranks(int *argc, char ***argv)
{
    char err[256] = "";
    if (ree_ranks_init(argc, argv, err, sizeof err) != 0) {
        fprintf(stderr, "reesim: %s\n", err);
        return -1;
    }
    /* Every rank must run the same reesim: another build may simulate otherwise. */
    char mine[128] = "", theirs[128];
    const char *fake = aid_for_me("REESIM_MPI_BUILD");
    if (fake && *fake == ':')
        snprintf(mine, sizeof mine, "%s", fake + 1);
    else
        snprintf(mine, sizeof mine, "%s (git %s)", ree_version(), REESIM_GIT_REV);
    int who = ree_ranks_differ(mine, sizeof mine);
    if (who) {
        memcpy(theirs, mine, sizeof theirs);
        ree_ranks_bcast_from(who - 1, theirs, sizeof theirs);
        if (ree_rank() == 0)
            fprintf(stderr,
                    "reesim: MPI rank %d runs reesim %s, rank 0 reesim %s; every rank must "
                    "run the same build\n",
                    who - 1, theirs, mine);
        return -1;
    }
    const char *slow = aid_for_me("REESIM_MPI_SLOW");
    if (slow && *slow == ':')
        ree_ranks_set_slow(atol(slow + 1));
    const char *nomem = aid_for_me("REESIM_MPI_NOMEM");
    if (nomem && (!*nomem || *nomem == ':'))
        ree_ranks_set_no_memory(*nomem ? nomem + 1 : "stats");
    const char *fail = aid_for_me("REESIM_MPI_FAIL");
    fail_alone = fail && !*fail;
    const char *wait = getenv("REESIM_MPI_END_WAIT"); /* S, tests/cli/mpi.sh */
    char *end = NULL;
    double w = wait && *wait ? strtod(wait, &end) : 0;
    if (wait && *wait && !*end && w > 0 && w <= 3600)
        end_wait = w;
    if (ree_rank() > 0) {
        loud = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            fflush(stdout);
            fflush(stderr);
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    } else if (ree_ranks() > 1 && getenv("REESIM_MPI_TRACE")) {
        ree_ranks_set_trace(stderr);
    }
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (join_ranks(&argc, &argv) != 0) {
        ree_ranks_finalize();
        return ree_cli_exit_code(REE_EINTERNAL);
    }
    int code = fail_alone ? ree_cli_exit_code(REE_ENOMEM) : dispatch(argc, argv);
    /* A rank that failed alone, where no step agreed on it (docs/cluster.md, "Failures"), ends
     * the job rather than leave the others waiting for it. */
    if (ree_ranks_end(code != 0, end_wait) != 0) {
        dprintf(loud,
                "reesim: MPI rank %d stopped with exit %d, and the other ranks did not end within "
                "%g s: they wait for it at a step it left; ending the job\n",
                ree_rank(), code, end_wait);
        ree_ranks_abort(code);
    }
    ree_ranks_finalize();
    return code;
}
