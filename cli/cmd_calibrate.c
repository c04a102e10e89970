/* `reesim calibrate`: fit a scenario's free parameters to its observations (calibrate.h). */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "reesim/reesim.h"
#include "calibrate.h"
#include "numfmt.h"
#include "explore_cli.h"
#include "outfile.h"
#include "output.h"
#include "diag.h"
#include "plan.h"
#include "ytree.h"

#define DEFAULT_RUNS       200
#define DEFAULT_ITERATIONS 100
#define DEFAULT_TOL        1e-3

static const char calibrate_help[] =
    "Usage: reesim calibrate SCENARIO.yaml [OPTIONS]\n"
    "Fit the parameters the scenario's 'calibrate:' section declares free (each a path and a\n"
    "box) to its observations up to a cut-off month, by minimising the mean CRPS (or the\n"
    "p05-p95 interval score, 'score: interval') of the simulated distribution against each\n"
    "observed point. Every evaluation uses the same seed and runs (common random numbers), so\n"
    "the objective is deterministic; GSL's Nelder-Mead simplex searches the boxes.\n"
    "\n"
    "  -n, --runs N          runs per evaluation (default 200)\n"
    "  -s, --seed S          seed (default: the scenario's 'seed')\n"
    "  -j, --threads T       threads (default: all cores); results do not depend on it\n"
    "  -o, --out DIR         output folder (default: out/<scenario name>-calibrated)\n"
    "      --until YYYY-MM   last observed month fitted (default: calibrate.until, else all)\n"
    "      --iterations N    simplex iterations at most (default 100)\n"
    "  -q, --quiet           no progress and no table\n"
    "  -h, --help            show this help\n"
    "\n"
    "Writes calibration.csv (scenario,path,min,max,initial,fitted), calibration_summary.csv\n"
    "(scenario,until,score,parameters,points,runs,seed,iterations,evaluations,converged,\n"
    "before,after: the mean score before and after), calibrated.resolved.yaml (the scenario\n"
    "with the fitted values, runnable with 'reesim run') and meta.json.\n";

/* --until's month, by the scenario's own grammar (four digits, '-', two digits: no blank or sign,
 * which sscanf's %2d took). A month outside the horizon is refused later. */
static int parse_month(const char *s, int *month)
{
    return ree_ynum_month(s, month) == REE_YNUM_OK ? 0 : -1;
}

static void on_iteration(void *arg, int iter, double best, double size)
{
    (void)arg;
    char b[REE_FMT_MAX];
    fprintf(stderr, "\riteration %d: best score %s, simplex size %.2g   ", iter,
            ree_fmt_number(b, sizeof b, best, 0), size);
}

static ree_status write_results(ree_outset *set, ree_plan *p, const ree_calib_result *cr,
                                const ree_calib_opts *co, const ree_run_info *info)
{
    static const char *const cols[] = {"scenario", "path", "min", "max", "initial", "fitted"};
    static const char *const scols[] = {"scenario",    "until",     "score",  "parameters",
                                        "points",      "runs",      "seed",   "iterations",
                                        "evaluations", "converged", "before", "after"};
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "calibration.csv", cols, 6, &st);
    if (!c)
        return st;
    for (int i = 0; i < p->ncalib; i++) {
        ree_csv_str(c, p->name);
        ree_csv_str(c, p->calib[i].path);
        ree_csv_num(c, p->calib[i].min);
        ree_csv_num(c, p->calib[i].max);
        ree_csv_num(c, cr->initial[i]);
        ree_csv_num(c, cr->fitted[i]);
        ree_csv_end_row(c);
    }
    ree_csv *s = ree_outset_csv(set, "calibration_summary.csv", scols, 12, &st);
    if (!s)
        return st;
    char date[16], seed[32];
    ree_plan_date(p, cr->until, date, sizeof date);
    snprintf(seed, sizeof seed, "%llu", co->seed);
    ree_csv_str(s, p->name);
    ree_csv_str(s, date);
    ree_csv_str(s, p->calib_score == REE_SCORE_INTERVAL ? "interval" : "crps");
    ree_csv_int(s, cr->nfree);
    ree_csv_int(s, cr->npoints);
    ree_csv_int(s, co->nruns);
    ree_csv_str(s, seed);
    ree_csv_int(s, cr->iterations);
    ree_csv_int(s, cr->evaluations);
    ree_csv_int(s, cr->converged);
    ree_csv_num(s, cr->before);
    ree_csv_num(s, cr->after);
    ree_csv_end_row(s);
    FILE *f = ree_outset_file(set, "calibrated.resolved.yaml", &st);
    if (!f)
        return st;
    if ((st = ree_output_resolved(p, info, f)) != REE_OK)
        return st;
    return ree_cli_explore_meta(set, p, info);
}

static void print_table(const ree_plan *p, const ree_calib_result *cr, const char *dir)
{
    char date[16], b[REE_FMT_MAX], a[REE_FMT_MAX];
    ree_plan_date(p, cr->until, date, sizeof date);
    printf("%s: %d parameter%s fitted to %d observed point%s up to %s; results in %s/\n", p->name,
           cr->nfree, cr->nfree == 1 ? "" : "s", cr->npoints, cr->npoints == 1 ? "" : "s", date,
           dir);
    printf("%-48s %12s %12s %12s %12s\n", "parameter", "min", "max", "initial", "fitted");
    for (int i = 0; i < cr->nfree; i++)
        printf("%-48s %12.6g %12.6g %12.6g %12.6g\n", p->calib[i].path, p->calib[i].min,
               p->calib[i].max, cr->initial[i], cr->fitted[i]);
    printf("mean %s: %s as given, %s fitted (%d iterations, %d evaluations%s)\n",
           p->calib_score == REE_SCORE_INTERVAL ? "interval score" : "CRPS",
           ree_fmt_number(b, sizeof b, cr->before, 0), ree_fmt_number(a, sizeof a, cr->after, 0),
           cr->iterations, cr->evaluations, cr->converged ? ", converged" : ", not converged");
}

/* calibrate's own options. */
typedef struct calib_opts {
    long long iters;
    const char *until;
} calib_opts;

static int calib_opt(int c, const char *arg, void *ctx)
{
    calib_opts *o = ctx;
    if (c == 'U') {
        o->until = arg;
        return 0;
    }
    if (c == 'I')
        return ree_cli_long("--iterations", arg, 1, 100000, &o->iters);
    return -1;
}

/* What calibrate needs of a scenario that `validate` accepts: free parameters and observations
 * to fit them to. Each one missing is an error located at the scenario's `calibrate:` key (line 1
 * when there is none), like a scenario's diagnostics; the scenario is valid, so the status is
 * REE_EUSAGE (exit 64, docs/reliability.md), as sweep's without inputs to explore. REE_OK when
 * nothing is missing; REE_ENOMEM when the message could not be made. */
static ree_status needs(const ree_plan *p)
{
    if (p->ncalib > 0 && p->nobs > 0)
        return REE_OK;
    ree_diag *d = ree_diag_alloc(0);
    if (!d)
        return REE_ENOMEM;
    ree_source src = {p->file, NULL, 0};
    ree_mark at = {&src, p->calib_line ? p->calib_line : 1, p->calib_line ? p->calib_col : 1};
    if (p->ncalib == 0)
        ree_diag_error(d, at, "calibrate",
                       "the scenario declares no free parameter (a 'calibrate:' section)");
    if (p->nobs == 0)
        ree_diag_error(d, at, "observations",
                       "the scenario has no observations to fit to (an 'observations:' section)");
    ree_diag_print(d, stderr);
    ree_diag_free(d);
    return REE_EUSAGE;
}

ree_status ree_cmd_calibrate(int argc, char **argv)
{
    static const struct option own[] = {{"until", required_argument, 0, 'U'},
                                        {"iterations", required_argument, 0, 'I'},
                                        {0, 0, 0, 0}};
    calib_opts cop0 = {.iters = DEFAULT_ITERATIONS};
    ree_cli_spec spec = {.cmd = "calibrate",
                         .help = calibrate_help,
                         .own = own,
                         .on_opt = calib_opt,
                         .ctx = &cop0,
                         .no_check = 1};
    ree_cli_common co;
    int help;
    ree_status pst = ree_cli_parse(argc, argv, &spec, &co, &help);
    if (pst != REE_OK || help)
        return pst;
    if (ree_cli_one_operand(argc, argv, "calibrate") != REE_OK)
        return REE_EUSAGE;
    long long iters = cop0.iters;
    const char *until_arg = cop0.until;
    int until_month = -1;
    if (until_arg && parse_month(until_arg, &until_month)) {
        ree_cli_usage_error("calibrate", "--until expects YYYY-MM, found '%s'", until_arg);
        return REE_EUSAGE;
    }
    ree_status code;
    ree_plan *p = ree_cli_load(argv[optind], &code);
    if (!p)
        return code;
    int until = -1;
    if (until_arg) {
        until = until_month - p->start;
        if (until < 0 || until >= p->nsteps) {
            fprintf(stderr, "reesim calibrate: --until %s is outside the horizon of %s\n",
                    until_arg, p->file);
            ree_plan_free(p);
            return REE_EUSAGE;
        }
    }
    ree_calib_opts cop = {.nruns = co.runs > 0 ? co.runs : DEFAULT_RUNS,
                          .seed = co.seed >= 0 ? (unsigned long long)co.seed : p->seed,
                          .threads = (int)co.threads,
                          .until = until,
                          .max_iter = (int)iters,
                          .tol = DEFAULT_TOL,
                          .cancel = &ree_cli_interrupted,
                          .iteration = !co.quiet && isatty(fileno(stderr)) ? on_iteration : NULL};
    ree_run_info info = {.nruns = cop.nruns,
                         .seed = cop.seed,
                         .threads = (int)co.threads,
                         .command = "calibrate",
                         .started = ree_cli_wall()};
    char err[512] = "";
    ree_status st = REE_OK;
    /* Under MPI ranks (docs/cluster.md) every rank runs every evaluation at rank 0's points
     * (calibrate.c shares them); rank 0 alone writes, and shares its statuses. */
    ree_outset *set =
        ree_cli_open_shared("calibrate", co.out, p->name, "calibrated", &st, err, sizeof err);
    ree_calib_result cr;
    memset(&cr, 0, sizeof cr);
    int together = st == REE_OK;
    /* What the scenario lacks is said after the output folder's checks, which come first for
     * every command (an -o holding the input, tests/cli/out_holds_input.sh). */
    if (together && (st = needs(p)) == REE_OK) {
        st = ree_calibrate(p, &cop, &cr, err, sizeof err);
        if (cop.iteration)
            fputc('\n', stderr);
        info.finished = ree_cli_wall();
    }
    if (set) {
        if (st == REE_OK)
            st = write_results(set, p, &cr, &cop, &info);
        st = ree_cli_finish_set(set, st, err, sizeof err);
    }
    if (together) /* every rank ends with rank 0's status */
        st = ree_ranks_share(st);
    if (st == REE_ENOMEM)
        ree_cli_report_oom(*err ? err : "calibrating the scenario");
    else if (st != REE_OK && ree_cli_interrupted)
        ree_cli_report_stopped("calibrate", err);
    else if (st != REE_OK && !(st == REE_EUSAGE && !*err)) /* a usage error is printed */
        fprintf(stderr, "reesim calibrate: %s: %s\n", p->file,
                *err ? err : ree_status_message((ree_status)st));
    else if (st == REE_OK && !co.quiet && set)
        print_table(p, &cr, ree_outset_dir(set));
    ree_outset_free(set);
    ree_calib_result_free(&cr);
    ree_plan_free(p);
    return st;
}
