/* `reesim compare`: paired comparison of scenarios with common random numbers (compare.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <omp.h>
#include "cli.h"
#include "progress.h"
#include "reesim/reesim.h"
#include "compare.h"
#include "diag.h"
#include "outfile.h"
#include "output.h"
#include "plan.h"

#define TOP_ROWS 10 /* rows of the printed table of largest differences */

static const char compare_help[] =
    "Usage: reesim compare BASE.yaml OTHER.yaml... [OPTIONS]\n"
    "Run every case with the same seed and run indices (common random numbers: run k of each\n"
    "case sees the same outages, demand noise and review times wherever the cases share those\n"
    "entities) and report paired differences OTHER - BASE with 95% confidence intervals.\n"
    "\n"
    "  -n, --runs N          paired runs (default: the base scenario's 'runs')\n"
    "  -s, --seed S          seed for every case (default: the base scenario's 'seed')\n"
    "  -j, --threads T       threads (default: all cores); results do not depend on it\n"
    "  -o, --out DIR         output folder (default: out/compare-<base>-vs-<other>)\n"
    "  -q, --quiet           no progress and no table\n"
    "      --check-balance   check mass balance at every node and step (exit 70 on failure)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Writes compare.csv (one row per scenario and shared indicator: means, mean difference,\n"
    "its 95% CI, prob_worse, paired and unpaired CI widths), compare_timeseries.csv (per-month\n"
    "differences of every shared series) and the resolved scenarios (base.resolved.yaml,\n"
    "scenario1.resolved.yaml, ...). Quantities only one case has are listed on stderr as\n"
    "'skipped: ...'. Prints the largest differences and the CI narrowing that common random\n"
    "numbers bought.\n";

/* The default folder, out/compare-BASE-vs-OTHER[-OTHER...], with '/' and other unsafe characters
 * of the names replaced, into buf. Returns 0, or -1 after a usage error when it does not fit:
 * a shortened name could be another comparison's folder, which this one would replace. */
static int default_dir(char *buf, size_t len, ree_plan *const *plans, int nplan)
{
    size_t n = (size_t)snprintf(buf, len, "out/compare-");
    for (int i = 0; i < nplan; i++) {
        const char *parts[2] = {i == 0 ? "" : i == 1 ? "-vs-" : "-", plans[i]->name};
        for (int k = 0; k < 2; k++)
            for (const char *s = parts[k]; *s; s++) {
                if (n + 1 >= len) {
                    ree_cli_usage_error("compare",
                                        "the default output folder for these %d scenarios is "
                                        "too long: a path may have at most %zu bytes; give -o",
                                        nplan, len - 1);
                    return -1;
                }
                buf[n++] = (*s == '/' || *s == ' ' || *s == '\\') ? '_' : *s;
            }
    }
    buf[n] = 0;
    return 0;
}

static int write_resolved(ree_outset *set, ree_plan *const *plans, int nplan,
                          const ree_run_info *info)
{
    ree_status st = REE_OK;
    for (int i = 0; i < nplan && st == REE_OK; i++) {
        char name[64];
        if (i == 0)
            snprintf(name, sizeof name, "base.resolved.yaml");
        else
            snprintf(name, sizeof name, "scenario%d.resolved.yaml", i);
        FILE *f = ree_outset_file(set, name, &st);
        if (f)
            st = ree_output_resolved(plans[i], info, f);
    }
    return st;
}

ree_status ree_cmd_compare(int argc, char **argv)
{
    ree_cli_spec spec = {.cmd = "compare", .help = compare_help};
    ree_cli_common co;
    int help;
    ree_status pst = ree_cli_parse(argc, argv, &spec, &co, &help);
    if (pst != REE_OK || help)
        return pst;
    int nplan = argc - optind;
    if (nplan < 2) {
        ree_cli_usage_error("compare", nplan ? "missing OTHER.yaml: compare needs a base and at "
                                               "least one other scenario"
                                             : "missing BASE.yaml and OTHER.yaml");
        return REE_EUSAGE;
    }
    ree_plan **plans = calloc((size_t)nplan, sizeof *plans);
    /* ree_cli_load is collective on MPI ranks: so is this */
    char why[96];
    if (ree_ranks_lack_memory(!plans, "inputs", "loading the scenarios", why, sizeof why)) {
        ree_cli_report_oom(why);
        free(plans);
        return REE_ENOMEM;
    }
    ree_status worst = REE_OK;
    for (int i = 0; i < nplan; i++) {
        ree_status lst;
        plans[i] = ree_cli_load(argv[optind + i], &lst);
        worst = ree_cli_worse(worst, lst);
    }
    ree_status st = REE_OK;
    ree_compare *cmp = NULL;
    ree_outset *set = NULL;
    char err[512] = "";
    if (worst) /* on every rank alike (ree_cli_load agrees); the loader said why */
        goto done;
    cmp = ree_compare_alloc(plans[0], (const ree_plan *const *)plans + 1, nplan - 1, stderr);
    /* The Monte Carlo is collective on several MPI ranks: a rank that had no memory for the
     * paired sums (the scenarios are the same on every rank) stops every rank, not itself
     * alone. */
    int who = ree_ranks_failed(!cmp);
    if (who) {
        st = REE_ENOMEM;
        if (cmp)
            snprintf(err, sizeof err, "out of memory on MPI rank %d, matching the scenarios",
                     who - 1);
        else
            snprintf(err, sizeof err, "out of memory matching the scenarios");
        goto done;
    }
    ree_run_info info = {.nruns = co.runs > 0 ? co.runs : plans[0]->runs,
                         .seed = co.seed >= 0 ? (unsigned long long)co.seed : plans[0]->seed,
                         .threads = (int)co.threads,
                         .check = co.check,
                         .command = "compare",
                         .started = ree_cli_wall()};
    char dir[REE_CLI_PATH_MAX];
    if ((co.out ? ree_cli_path(dir, sizeof dir, "compare", "-o", "%s", co.out)
                : default_dir(dir, sizeof dir, plans, nplan)) ||
        ree_cli_out_free("compare", dir)) {
        st = REE_EUSAGE; /* on every rank: the same arguments, rank 0's verdict */
        goto done;
    }
    ree_cli_catch_signals();
    if (ree_rank() > 0) { /* another MPI rank: the same collective steps as rank 0, no files */
        ree_mc_opts fo = {.nruns = info.nruns,
                          .seed = info.seed,
                          .threads = (int)co.threads,
                          .check = co.check,
                          .cancel = &ree_cli_interrupted};
        st = ree_ranks_share(REE_OK); /* rank 0's output folder */
        if (st == REE_OK)
            st = ree_ranks_share(ree_compare_run(cmp, &fo, err, sizeof err));
        goto done;
    }
    set = ree_outset_open(dir, &st, err, sizeof err);
    ree_ranks_share(set ? REE_OK : st);
    if (!set)
        goto done;
    if (ree_outset_leftover(set))
        fprintf(stderr,
                "reesim compare: note: '%s' is left from an earlier run and holds files "
                "reesim did not write; remove it\n",
                ree_outset_leftover(set));
    ree_outset_set_cancel(set, &ree_cli_interrupted);
    ree_cli_guard(set);
    ree_progress bar;
    ree_progress_start(&bar, stderr, "paired runs");
    int show = !co.quiet && isatty(fileno(stderr));
    ree_mc_opts mo = {.nruns = info.nruns,
                      .seed = info.seed,
                      .threads = (int)co.threads,
                      .check = co.check,
                      .cancel = &ree_cli_interrupted,
                      .progress = show ? ree_progress_draw : NULL,
                      .progress_arg = &bar};
    st = ree_compare_run(cmp, &mo, err, sizeof err);
    ree_progress_end(&bar);
    if (st == REE_OK)
        st = ree_compare_write(cmp, set);
    if (st == REE_OK)
        st = write_resolved(set, plans, nplan, &info);
    st = ree_cli_finish_set(set, st, err, sizeof err);
    ree_ranks_share(st);
    if (st == REE_OK && !co.quiet) {
        printf("results in %s/\n", ree_outset_dir(set));
        ree_compare_print(cmp, stdout, TOP_ROWS);
    }
done:
    if (st == REE_ENOMEM)
        ree_cli_report_oom(*err ? err : "comparing the scenarios");
    else if (st != REE_OK && ree_cli_interrupted)
        fprintf(stderr, "reesim compare: stopped by signal %d%s%s; no output written\n",
                (int)ree_cli_interrupted, strcmp(err, "interrupted") && *err ? ": " : "",
                strcmp(err, "interrupted") ? err : "");
    else if (st != REE_OK && !(st == REE_EUSAGE && !*err)) /* a usage error is printed */
        fprintf(stderr, "reesim compare: %s\n", *err ? err : ree_status_message(st));
    ree_outset_free(set);
    ree_compare_free(cmp);
    for (int i = 0; i < nplan; i++)
        ree_plan_free(plans[i]);
    free(plans);
    return worst != REE_OK ? worst : st;
}
