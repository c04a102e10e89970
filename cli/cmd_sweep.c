/* `reesim sweep`: a grid or a Latin hypercube of Monte Carlo cases on common random numbers
 * (explore.h), one tidy sweep.csv. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "explore_cli.h"
#include "outfile.h"
#include "output.h"

#define DEFAULT_RUNS   200
#define DEFAULT_LEVELS 3
#define MAX_SETS       20

static const char sweep_help[] =
    "Usage: reesim sweep SCENARIO.yaml [--set PATH=V1,V2,...|PATH=LO..HI]... [OPTIONS]\n"
    "Run one Monte Carlo case per point of an experiment design over the scenario's 'explore:'\n"
    "inputs and the --set options (a --set replaces an explore: input of the same parameter).\n"
    "Every case uses the same seed and runs: common random numbers, so cases differ only by\n"
    "their inputs. A case of fewer than 256 runs per thread runs on one thread, beside others;\n"
    "memory does not grow with the number of cases.\n"
    "\n"
    "      --set PATH=V...   an input: a list of values, or a range LO..HI (repeatable)\n"
    "      --no-explore      ignore the scenario's explore: section (only the --set inputs)\n"
    "      --design D        grid (full factorial, default) or lhs (Latin hypercube)\n"
    "  -k, --levels N        grid: values per range (default 3); lhs: number of cases (default\n"
    "                        10 per input)\n"
    "  -n, --runs N          runs per case (default 200)\n"
    "  -s, --seed S          seed of every case and of the hypercube (default: the scenario's)\n"
    "  -j, --threads T       threads (default: all cores); results do not depend on it\n"
    "  -o, --out DIR         output folder (default: out/<scenario name>-sweep)\n"
    "  -q, --quiet           no progress and no summary line\n"
    "  -h, --help            show this help\n"
    "\n"
    "Writes sweep.csv: case, one column per input (named by its path), then entity, indicator,\n"
    "unit, mean, sd, p05, p50, p95 of every indicator across the case's runs; and meta.json.\n"
    "'reesim discover DIR' finds the input boxes that lead to a bad outcome.\n";

static ree_status write_case(ree_csv *c, long long cs, const ree_cli_inputs *x, const double *v,
                             const ree_plan *p, const ree_mc_result *res)
{
    for (int i = 0; i < p->nindicator; i++) {
        const ree_indicator *ind = &p->indicators[i];
        ree_cell_stats s;
        ree_acc_cell(res->indicators, (size_t)i, &s);
        ree_csv_int(c, cs);
        for (int j = 0; j < x->k; j++)
            ree_csv_num_exact(c, x->slots[j].def->flags & REE_PF_INT ? nearbyint(v[j]) : v[j]);
        ree_csv_str(c, ind->entity_name);
        ree_csv_str(c, ind->name);
        ree_csv_str(c, ind->unit);
        ree_csv_num(c, s.mean);
        ree_csv_num(c, s.sd);
        ree_csv_num(c, s.p05);
        ree_csv_num(c, s.p50);
        ree_csv_num(c, s.p95);
        ree_csv_end_row(c);
    }
    return REE_OK;
}

/* sweep's own options. */
typedef struct sweep_opts {
    char *sets[MAX_SETS];
    int nsets, lhs, no_explore;
    long long levels;
} sweep_opts;

static int sweep_opt(int c, const char *arg, void *ctx)
{
    sweep_opts *o = ctx;
    switch (c) {
    case 'S':
        if (o->nsets == MAX_SETS) {
            ree_cli_usage_error("sweep", "at most %d --set options", MAX_SETS);
            return -1;
        }
        o->sets[o->nsets++] = (char *)arg;
        return 0;
    case 'D':
        if (!strcmp(arg, "lhs"))
            o->lhs = 1;
        else if (strcmp(arg, "grid")) {
            ree_cli_usage_error("sweep", "--design expects grid or lhs, found '%s'", arg);
            return -1;
        }
        return 0;
    case 'k':
        return ree_cli_long("--levels", arg, 1, REE_DESIGN_MAX_CASES, &o->levels);
    case 'E':
        o->no_explore = 1;
        return 0;
    default:
        return -1;
    }
}

ree_status ree_cmd_sweep(int argc, char **argv)
{
    static const struct option own[] = {{"set", required_argument, 0, 'S'},
                                        {"design", required_argument, 0, 'D'},
                                        {"levels", required_argument, 0, 'k'},
                                        {"no-explore", no_argument, 0, 'E'},
                                        {0, 0, 0, 0}};
    sweep_opts so = {.levels = -1};
    ree_cli_spec spec = {.cmd = "sweep",
                         .help = sweep_help,
                         .own = own,
                         .on_opt = sweep_opt,
                         .ctx = &so,
                         .no_check = 1,
                         .shortopts = ":n:s:j:o:qk:h",
                         .repeatable = "S"};
    ree_cli_common co;
    int help;
    ree_status pst = ree_cli_parse(argc, argv, &spec, &co, &help);
    if (pst != REE_OK || help)
        return pst;
    if (ree_cli_one_operand(argc, argv, "sweep") != REE_OK)
        return REE_EUSAGE;
    char **sets = so.sets;
    int nsets = so.nsets, lhs = so.lhs, no_explore = so.no_explore;
    long long levels = so.levels;
    if (!lhs && levels == 1) {
        ree_cli_usage_error("sweep", "a grid needs at least 2 levels per range");
        return REE_EUSAGE;
    }
    ree_status st;
    ree_cli_inputs x;
    ree_plan *p = ree_cli_load_inputs("sweep", argv[optind], sets, nsets, no_explore, &x, &st);
    if (!p)
        return st;
    unsigned long long seed = co.seed >= 0 ? (unsigned long long)co.seed : p->seed;
    double *design = NULL;
    long long ncase = 0;
    if (lhs) {
        ncase = levels > 0 ? levels : 10LL * x.k;
        st = ree_design_lhs(x.in, x.k, (int)ncase, seed, &design);
    } else {
        st = ree_design_grid(x.in, x.k, levels > 0 ? (int)levels : DEFAULT_LEVELS, &design, &ncase);
    }
    if (st == REE_EUSAGE)
        ree_cli_usage_error("sweep", "the design would exceed %d cases", REE_DESIGN_MAX_CASES);
    char dir[REE_CLI_PATH_MAX], err[512] = "";
    /* The cases are collective on MPI ranks: a design one rank alone had no memory for stops
     * every rank (a design too large is so on every rank). */
    if (ree_ranks_lack_memory(st == REE_ENOMEM, "setup", "setting up the design", err, sizeof err))
        st = REE_ENOMEM;
    ree_outset *set = NULL;
    ree_mc_opts mo = {.nruns = co.runs > 0 ? co.runs : DEFAULT_RUNS,
                      .seed = seed,
                      .threads = (int)co.threads,
                      .cancel = &ree_cli_interrupted,
                      .series_moments_only = 1 /* only indicators are read: ree_explore_case */};
    ree_run_info info = {0, mo.nruns, seed, (int)co.threads, 0, "sweep", ree_cli_wall(), 0};
    /* Under MPI ranks (docs/cluster.md) every rank runs every case in the same order (each case's
     * Monte Carlo is collective); rank 0 alone writes, and shares its statuses with the others. */
    int root = ree_rank() == 0, together = st == REE_OK;
    if (st == REE_OK) {
        if ((co.out ? ree_cli_path(dir, sizeof dir, "sweep", "-o", "%s", co.out)
                    : ree_cli_path(dir, sizeof dir, "sweep", "the default output folder",
                                   "out/%s-sweep", p->name)) ||
            ree_cli_out_free("sweep", dir))
            st = REE_EUSAGE; /* on every rank: the same arguments, rank 0's verdict */
        ree_cli_catch_signals();
        if (root && st == REE_OK)
            set = ree_outset_open(dir, &st, err, sizeof err);
    }
    int progress = !co.quiet && isatty(fileno(stderr));
    const char **cols = NULL;
    ree_csv *csv = NULL;
    if (set) {
        ree_outset_set_cancel(set, &ree_cli_interrupted);
        ree_cli_guard(set);
        cols = calloc((size_t)x.k + 1 + REE_SWEEP_TAIL, sizeof *cols);
        if (!cols)
            st = REE_ENOMEM;
        else {
            cols[0] = "case";
            for (int i = 0; i < x.k; i++)
                cols[1 + i] = x.in[i].path;
            for (int i = 0; i < REE_SWEEP_TAIL; i++)
                cols[1 + x.k + i] = ree_sweep_tail[i];
            csv = ree_outset_csv(set, "sweep.csv", cols, (size_t)x.k + 1 + REE_SWEEP_TAIL, &st);
        }
    }
    if (together) /* rank 0's output folder and sweep.csv */
        st = ree_ranks_share(st == REE_OK && root && !csv ? REE_EIO : st);
    together = st == REE_OK;
    /* Short cases one per thread at once (explore_cli.h): a case of the default 200 runs is 4
     * blocks (3 full), so its own threads gave 1.33x at -j2 (licensing-april-2025,
     * bench/HISTORY.md, stop 26), and no more than 4 threads could ever work on it. */
    ree_cli_cases c = {0};
    if (st == REE_OK)
        st = ree_cli_cases_open(&c, "sweep", p, &x, ree_cli_cases_conc(mo.nruns, mo.threads, ncase),
                                argv[optind], sets, nsets, no_explore, err, sizeof err);
    for (long long cs = 0; st == REE_OK && cs < ncase; cs += c.conc) {
        int m = (int)(ncase - cs < c.conc ? ncase - cs : c.conc);
        if (progress)
            fprintf(stderr, "\rcase %lld of %lld   ", cs + m, ncase);
        ree_cli_cases_run(&c, m, design + cs * x.k, &mo);
        int ok = ree_cli_cases_ok(&c, m, &st, err, sizeof err); /* the first failure decides */
        for (int t = 0; t < ok && csv; t++)
            write_case(csv, cs + t, &x, design + (cs + t) * x.k, p, &c.res[t]);
        ree_cli_cases_free(&c, m);
    }
    ree_cli_cases_close(&c);
    if (progress && together)
        fputc('\n', stderr);
    free(cols);
    if (set) {
        info.finished = ree_cli_wall();
        if (st == REE_OK)
            st = ree_cli_explore_meta(set, p, &info);
        st = ree_cli_finish_set(set, st, err, sizeof err);
    }
    if (together) /* rank 0's final status */
        st = ree_ranks_share(st);
    if (st == REE_ENOMEM)
        ree_cli_report_oom(*err ? err : "sweeping the scenario");
    else if (st != REE_OK && ree_cli_interrupted)
        ree_cli_report_stopped("sweep", err);
    else if (st != REE_OK && st != REE_EUSAGE)
        fprintf(stderr, "reesim sweep: %s: %s\n", p->file,
                *err ? err : ree_status_message((ree_status)st));
    else if (st == REE_OK && !co.quiet && set)
        printf("%s: %lld case%s of %lld runs over %d input%s (%s design); results in %s/\n",
               p->name, ncase, ncase == 1 ? "" : "s", mo.nruns, x.k, x.k == 1 ? "" : "s",
               lhs ? "Latin hypercube" : "grid", ree_outset_dir(set));
    ree_outset_free(set);
    free(design);
    ree_cli_inputs_free(&x);
    ree_plan_free(p);
    return st;
}
