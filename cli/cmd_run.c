/* reesim run: simulate a scenario and write its results into a folder. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "progress.h"
#include "reesim/reesim.h"
#include "exec.h"
#include "mc.h"
#include "numfmt.h"
#include "outfile.h"
#include "output.h"
#include "plan.h"
#include "variance.h"

static const char run_help[] =
    "Usage: reesim run SCENARIO.yaml [OPTIONS]\n"
    "Simulate a scenario and write its results into a folder.\n"
    "\n"
    "  -n, --runs N          number of Monte Carlo runs (default: the scenario's 'runs')\n"
    "  -s, --seed S          seed (default: the scenario's 'seed')\n"
    "  -j, --threads T       threads (default: all cores); results do not depend on it\n"
    "  -o, --out DIR         output folder (default: out/<scenario name>)\n"
    "  -q, --quiet           no progress bar and no summary table\n"
    "      --check-balance   check mass balance at every node and step (exit 70 on failure)\n"
    "      --only-run K      replay run K (0 to the runs - 1: -n, else the scenario's\n"
    "                        'runs') exactly as inside the full Monte Carlo (default\n"
    "                        folder: out/<scenario name>-run-K)\n"
    "      --quantile-k K    points kept per statistic for quantiles (default 512; exact up\n"
    "                        to 2K runs)\n"
    "      --runs-csv F      per-run rows: csv (runs.csv), gz (runs.csv.gz, gzip) or none\n"
    "                        (default: csv up to 100000 runs and about 1 GB of\n"
    "                        text, gz above either)\n"
    "      --variance M      variance budget (variance.csv): on (every headline\n"
    "                        indicator), regions (the region totals' only), off, or auto\n"
    "                        (default: on while its cells, inputs x headline indicators\n"
    "                        x 20, are at most 64 per entity and step or 65536, and at\n"
    "                        most 2^21, ~32 MB per thread; then regions while they fit)\n"
    "      --series-quantiles M  p05..p95 in timeseries.csv: on, off (mean, sd only) or\n"
    "                        auto (default: on unless the series' sketches could pass\n"
    "                        --quantile-budget; always on with observations)\n"
    "      --quantile-budget MB  memory the series' sketches may take for auto (default 256)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Writes timeseries.csv, summary.csv, runs.csv (or runs.csv.gz), fit.csv and\n"
    "fit_summary.csv (with observations), variance.csv, scenario.resolved.yaml and\n"
    "meta.json; files appear complete or not at all.\n";

/* Above this many runs, or when the plain text would pass RUNS_CSV_GZ_BYTES, runs.csv is
 * gzip-compressed unless --runs-csv says otherwise. A row is about 60 bytes, so 100,000 runs of a
 * 10-indicator scenario are ~60 MB of text, but of historical-2025 (210 indicators) 1.2 GB: hence
 * the size too (estimated by ree_mc_runs_csv_bytes). gzip keeps about a seventh. */
#define RUNS_CSV_GZ_ABOVE 100000
#define RUNS_CSV_GZ_BYTES 1e9

enum runs_csv_format { RUNS_CSV_AUTO, RUNS_CSV_PLAIN, RUNS_CSV_GZ, RUNS_CSV_NONE };

static int parse_runs_csv(const char *v, enum runs_csv_format *f)
{
    if (!strcmp(v, "csv"))
        *f = RUNS_CSV_PLAIN;
    else if (!strcmp(v, "gz"))
        *f = RUNS_CSV_GZ;
    else if (!strcmp(v, "none"))
        *f = RUNS_CSV_NONE;
    else {
        ree_cli_usage_error("run", "--runs-csv must be csv, gz or none, not '%s'", v);
        return -1;
    }
    return 0;
}

/* The indicators worth a line on stdout: the headlines of their tables (REE_MD_HEADLINE), e.g.
 * sector outcomes and stockpile exhaustion. */
static void print_summary(const ree_plan *p, const ree_mc_result *res, const char *dir)
{
    printf("%s: %lld runs, %d months from ", p->name, res->nruns, p->nsteps);
    char date[16];
    ree_plan_date(p, 0, date, sizeof date);
    printf("%s; results in %s/\n", date, dir);
    printf("%-20s %-22s %14s %14s %14s  %s\n", "entity", "indicator", "p05", "median", "p95",
           "unit");
    for (int i = 0; i < p->nindicator; i++) {
        const ree_indicator *ind = &p->indicators[i];
        if (!(ind->def->flags & REE_MD_HEADLINE))
            continue;
        ree_cell_stats cs;
        ree_acc_cell(res->indicators, (size_t)i, &cs);
        char q05[REE_FMT_MAX], q50[REE_FMT_MAX], q95[REE_FMT_MAX];
        printf("%-20s %-22s %14s %14s %14s  %s\n", ind->entity_name, ind->name,
               ree_fmt_number(q05, sizeof q05, cs.p05, 0),
               ree_fmt_number(q50, sizeof q50, cs.p50, 0),
               ree_fmt_number(q95, sizeof q95, cs.p95, 0), ind->unit);
    }
}

/* What each headline's spread is made of: the parameters whose first-order share is above
 * both VB_PRINT_MIN and three times the noise floor, largest first (variance.csv has all). */
#define VB_PRINT_MIN 0.02
#define VB_PRINT_MAX 4
static void print_variance(const ree_plan *p, const ree_vb *v)
{
    if (!v || !ree_vb_inputs(v) || !ree_vb_outputs(v))
        return;
    double floor_sd = NAN;
    ree_vb_share(v, 0, 0, &(double){0}, &floor_sd);
    printf("variance budget: first-order share of each uncertain parameter in the spread across "
           "runs\n  (rest: per-month noise, regimes, interactions; noise floor %.1f%%; all in "
           "variance.csv)\n",
           100 * floor_sd);
    for (int k = 0; k < ree_vb_outputs(v); k++) {
        const ree_indicator *ind = &p->indicators[ree_vb_output_indicator(v, k)];
        int shown[VB_PRINT_MAX], ns = 0;
        double total = 0, noise = NAN;
        for (int i = 0; i < ree_vb_inputs(v); i++) {
            double s;
            ree_vb_share(v, i, k, &s, &noise);
            if (s > 0)
                total += s;
        }
        printf("  %s %s:", ind->entity_name, ind->name);
        while (ns < VB_PRINT_MAX) {
            int best = -1;
            double bs = 0;
            for (int i = 0; i < ree_vb_inputs(v); i++) {
                double s, nz;
                int seen = 0;
                ree_vb_share(v, i, k, &s, &nz);
                for (int j = 0; j < ns; j++)
                    seen |= shown[j] == i;
                if (!seen && s > bs && s > VB_PRINT_MIN && s > 3 * nz)
                    best = i, bs = s;
            }
            if (best < 0)
                break;
            printf("%s %s %.0f%%", ns ? "," : "", ree_vb_input_name(v, best), 100 * bs);
            shown[ns++] = best;
        }
        if (isnan(noise) || total != total)
            printf(" -\n");
        else
            printf("%s rest %.0f%%\n", ns ? ";" : "", 100 * (total < 1 ? 1 - total : 0));
    }
}

/* run's own options. */
typedef struct run_opts {
    long long only, qk;
    enum runs_csv_format rfmt;
    int variance; /* -1 auto, else a ree_vb_scope */
    int squant;   /* --series-quantiles: -1 auto, 0 off, 1 on */
    long long budget_mb;
} run_opts;

/* Default of --quantile-budget, in MiB: the most the series' sketches may take in the totals,
 * every cell at its steady state (ree_mc_series_sketch_bytes). At the default k = 512 a cell
 * takes up to 9,048 bytes, so 256 MiB keeps quantiles for up to ~29,600 series cells (e.g. 490
 * series over 60 months; historical-2025 has 9,282 cells, 84 MB), and a scenario that keeps them
 * stays well under 1 GB on a few threads. */
#define QUANTILE_BUDGET_MB 256

static int parse_mode(const char *opt, const char *arg, int *out)
{
    *out = !strcmp(arg, "on") ? 1 : !strcmp(arg, "off") ? 0 : !strcmp(arg, "auto") ? -1 : -2;
    if (*out == -2)
        ree_cli_usage_error("run", "%s must be on, off or auto, not '%s'", opt, arg);
    return *out == -2 ? -1 : 0;
}

/* --variance: -1 for auto, else a ree_vb_scope. */
static int parse_variance(const char *arg, int *out)
{
    *out = !strcmp(arg, "auto")      ? -1
           : !strcmp(arg, "on")      ? REE_VB_ALL
           : !strcmp(arg, "regions") ? REE_VB_REGIONS
           : !strcmp(arg, "off")     ? REE_VB_OFF
                                     : -2;
    if (*out == -2)
        ree_cli_usage_error("run", "--variance must be on, regions, off or auto, not '%s'", arg);
    return *out == -2 ? -1 : 0;
}

static int run_opt(int c, const char *arg, void *ctx)
{
    run_opts *r = ctx;
    if (c == 'R')
        return parse_runs_csv(arg, &r->rfmt);
    if (c == 'V')
        return parse_variance(arg, &r->variance);
    if (c == 'P')
        return parse_mode("--series-quantiles", arg, &r->squant);
    if (c == 'M')
        return ree_cli_long("--quantile-budget", arg, 0, 1LL << 40, &r->budget_mb);
    if (c == 'K')
        return ree_cli_long("--only-run", arg, 0, 100000000 - 1, &r->only);
    if (c == 'Q')
        return ree_cli_long("--quantile-k", arg, 32, 1 << 20, &r->qk);
    return -1;
}

ree_status ree_cmd_run(int argc, char **argv)
{
    static const struct option own[] = {{"only-run", required_argument, 0, 'K'},
                                        {"quantile-k", required_argument, 0, 'Q'},
                                        {"runs-csv", required_argument, 0, 'R'},
                                        {"variance", required_argument, 0, 'V'},
                                        {"series-quantiles", required_argument, 0, 'P'},
                                        {"quantile-budget", required_argument, 0, 'M'},
                                        {0, 0, 0, 0}};
    run_opts ro = {.only = -1,
                   .rfmt = RUNS_CSV_AUTO,
                   .variance = -1,
                   .squant = -1,
                   .budget_mb = QUANTILE_BUDGET_MB};
    ree_cli_spec spec = {.cmd = "run", .help = run_help, .own = own, .on_opt = run_opt, .ctx = &ro};
    ree_cli_common co;
    int help;
    ree_status pst = ree_cli_parse(argc, argv, &spec, &co, &help);
    if (pst != REE_OK || help)
        return pst;
    if (ree_cli_one_operand(argc, argv, "run") != REE_OK)
        return REE_EUSAGE;
    long long only = ro.only, qk = ro.qk;
    enum runs_csv_format rfmt = ro.rfmt;
    ree_status lst;
    ree_plan *p = ree_cli_load(argv[optind], &lst);
    if (!p)
        return lst;
    int variance = ro.variance;
    if (variance < 0) {
        variance = ree_vb_auto_scope(p);
        if (variance != REE_VB_ALL && !co.quiet)
            fprintf(stderr,
                    "reesim run: note: %s (%zu cells per thread for every headline indicator, "
                    "above this network's automatic limit of %zu; --variance on keeps them "
                    "all)\n",
                    variance == REE_VB_REGIONS ? "variance budget of the region totals only"
                                               : "no variance budget for this network",
                    ree_vb_cells(p, REE_VB_ALL), ree_vb_auto_limit(p));
    }
    /* Series quantiles: fit.csv scores the observed series by their quantiles, so a scenario
     * with observations keeps them; otherwise auto keeps them while their sketches fit the
     * budget (a function of the plan and k only: the same choice on every rank, for any -j). */
    int squant = ro.squant;
    if (squant == 0 && p->nobs) {
        fprintf(stderr,
                "reesim run: --series-quantiles off: %s has observations, and fit.csv needs the "
                "series' quantiles\n",
                p->file);
        ree_plan_free(p);
        return REE_EUSAGE;
    }
    if (squant < 0) {
        size_t need = ree_mc_series_sketch_bytes(p, (size_t)qk);
        unsigned long long budget = (unsigned long long)ro.budget_mb << 20;
        squant = p->nobs || need <= budget;
        if (!squant && !co.quiet && ree_rank() == 0)
            fprintf(stderr,
                    "reesim run: note: no quantiles in timeseries.csv for this network (%d series "
                    "x %d months, up to %.0f MB of sketches, above --quantile-budget %lld; "
                    "--series-quantiles on keeps them)\n",
                    p->nseries, p->nsteps, (double)need / (1 << 20), ro.budget_mb);
    }
    ree_run_info info = {.nruns = co.runs > 0 ? co.runs : p->runs,
                         .seed = co.seed >= 0 ? (unsigned long long)co.seed : p->seed,
                         .threads = (int)co.threads,
                         .check = co.check,
                         .command = "run",
                         .started = ree_cli_wall()};
    if (only >= 0) {
        /* Run K exists in the Monte Carlo of -n runs, or of the scenario's `runs` without -n: a
         * run past them would be a run of no Monte Carlo this scenario makes. */
        if (only >= info.nruns) {
            fprintf(stderr,
                    "reesim run: --only-run %lld is outside the %lld runs (%s; 0 to %lld)\n", only,
                    info.nruns, co.runs > 0 ? "-n" : "the scenario's 'runs'", info.nruns - 1);
            ree_plan_free(p);
            return REE_EUSAGE;
        }
        info.first_run = only;
        info.nruns = 1;
    }
    char dir[REE_CLI_PATH_MAX];
    if ((co.out      ? ree_cli_path(dir, sizeof dir, "run", "-o", "%s", co.out)
         : only >= 0 ? ree_cli_path(dir, sizeof dir, "run", "the default output folder",
                                    "out/%s-run-%lld", p->name, only)
                     : ree_cli_path(dir, sizeof dir, "run", "the default output folder", "out/%s",
                                    p->name)) ||
        ree_cli_out_free("run", dir)) {
        ree_plan_free(p);
        return REE_EUSAGE;
    }
    char err[512] = "";
    ree_status st = REE_OK;
    ree_cli_catch_signals();
    if (rfmt == RUNS_CSV_AUTO) {
        double text = ree_mc_runs_csv_bytes(p, info.first_run, info.nruns);
        rfmt = info.nruns > RUNS_CSV_GZ_ABOVE || text > RUNS_CSV_GZ_BYTES ? RUNS_CSV_GZ
                                                                          : RUNS_CSV_PLAIN;
        /* The run count says it; the size needs saying. */
        if (rfmt == RUNS_CSV_GZ && info.nruns <= RUNS_CSV_GZ_ABOVE && !co.quiet && ree_rank() == 0)
            fprintf(stderr,
                    "reesim run: note: runs.csv.gz, not runs.csv: %lld runs x %d indicators "
                    "make about %.1f GB of text (--runs-csv csv keeps it plain)\n",
                    info.nruns, p->nindicator, text / 1e9);
    }
    /* Every rank's threads format (and compress) the rows; rank 0 only writes them. */
    int rows = rfmt == RUNS_CSV_PLAIN ? REE_MC_ROWS_CSV
               : rfmt == RUNS_CSV_GZ  ? REE_MC_ROWS_GZ
                                      : REE_MC_ROWS_NONE;
    ree_mc_opts mo = {.first_run = info.first_run,
                      .rows = rows,
                      .nruns = info.nruns,
                      .seed = info.seed,
                      .threads = (int)co.threads,
                      .check = co.check,
                      .sketch_k = (size_t)qk,
                      .variance = variance,
                      .series_moments_only = !squant,
                      .cancel = &ree_cli_interrupted};
    if (ree_rank() > 0) { /* another MPI rank: the same collective steps as rank 0, no files */
        st = ree_ranks_share(REE_OK); /* rank 0's output folder and runs.csv */
        if (st == REE_OK) {
            ree_mc_result res;
            memset(&res, 0, sizeof res);
            st = ree_mc_run(p, &mo, NULL, &res, err, sizeof err);
            ree_mc_result_free(&res);
            st = ree_ranks_share(st); /* rank 0's final status */
        }
        ree_plan_free(p);
        return st;
    }
    ree_outset *set = ree_outset_open(dir, &st, err, sizeof err);
    if (!set) {
        ree_ranks_share(st);
        if (st == REE_ENOMEM)
            ree_cli_report_oom("preparing the output folder");
        else
            fprintf(stderr, "reesim: %s\n", err);
        ree_plan_free(p);
        return st;
    }
    if (ree_outset_leftover(set))
        fprintf(stderr,
                "reesim: note: '%s' is left from an earlier run and holds files reesim "
                "did not write; remove it\n",
                ree_outset_leftover(set));
    ree_outset_set_cancel(set, &ree_cli_interrupted);
    ree_cli_guard(set);
    ree_csv *runs_csv = NULL;
    if (rfmt == RUNS_CSV_PLAIN)
        runs_csv = ree_outset_csv(set, "runs.csv", ree_runs_columns, 6, &st);
    else if (rfmt == RUNS_CSV_GZ)
        runs_csv = ree_outset_csv_gz(set, "runs.csv.gz", ree_runs_columns, 6, &st);
    ree_ranks_share(runs_csv || rfmt == RUNS_CSV_NONE ? REE_OK : st != REE_OK ? st : REE_EIO);
    ree_progress bar;
    ree_progress_start(&bar, stderr, "runs");
    int show = !co.quiet && isatty(fileno(stderr));
    mo.progress = show ? ree_progress_draw : NULL;
    mo.progress_arg = &bar;
    ree_mc_result res;
    memset(&res, 0, sizeof res);
    if (st == REE_OK)
        st = ree_mc_run(p, &mo, runs_csv, &res, err, sizeof err);
    ree_progress_end(&bar);
    if (st == REE_OK) /* runs.csv is complete: to disk while the tables are made */
        ree_csv_writeback(runs_csv);
    ree_fit_summary fit = {0, NAN, NAN, NAN, NAN};
    if (st == REE_OK)
        st = ree_output_timeseries(p, &res, set);
    if (st == REE_OK)
        st = ree_output_summary(p, &res, set);
    if (st == REE_OK)
        st = ree_output_fit(p, &res, set, &fit);
    if (st == REE_OK)
        st = ree_output_variance(p, &res, set);
    FILE *f;
    if (st == REE_OK && (f = ree_outset_file(set, "scenario.resolved.yaml", &st)))
        st = ree_output_resolved(p, &info, f);
    info.finished = ree_cli_wall();
    if (st == REE_OK && (f = ree_outset_file(set, "meta.json", &st)))
        st = ree_output_meta(p, &info, &res, f);
    st = ree_cli_finish_set(set, st, err, sizeof err);
    if (runs_csv || rfmt == RUNS_CSV_NONE) /* the other ranks ran too (the share above) */
        ree_ranks_share(st);
    if (st == REE_ENOMEM) {
        ree_cli_report_oom(*err ? err : "running the scenario");
    } else if (st != REE_OK && ree_cli_interrupted) {
        int named = *err && strcmp(err, "interrupted") != 0;
        fprintf(stderr, "reesim: %s (signal %d)%s%s; no output written\n",
                ree_cli_interrupted == SIGXFSZ ? "stopped at the file size limit" : "interrupted",
                (int)ree_cli_interrupted, named ? ": " : "", named ? err : "");
    } else if (st == REE_EIO || st == REE_ECANTCREATE) {
        fprintf(stderr, "reesim: %s\n", *err ? err : ree_status_message(st));
    } else if (st != REE_OK) {
        fprintf(stderr, "reesim: %s: %s\n", p->file, *err ? err : ree_status_message(st));
    } else if (!co.quiet) {
        print_summary(p, &res, ree_outset_dir(set));
        print_variance(p, res.variance);
        if (fit.npoints) {
            char crps[REE_FMT_MAX], is[REE_FMT_MAX];
            printf("fit: %d observed points, %.0f%% inside the p05-p95 band, MAPE of the median "
                   "%.1f%%, mean CRPS %s, mean interval score %s\n",
                   fit.npoints, 100 * fit.inside, fit.mape,
                   ree_fmt_number(crps, sizeof crps, fit.crps, 0),
                   ree_fmt_number(is, sizeof is, fit.is, 0));
        }
    }
    ree_outset_free(set);
    ree_mc_result_free(&res);
    ree_plan_free(p);
    return st;
}
