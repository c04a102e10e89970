/* `reesim sensitivity`: Morris elementary effects or Sobol indices (gsa.h) of the run-means of
 * the headline indicators over the explore: inputs, on common random numbers. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "explore_cli.h"
#include "gsa.h"
#include "numfmt.h"
#include "outfile.h"
#include "output.h"

#define DEFAULT_RUNS   100
#define DEFAULT_MORRIS 10 /* trajectories */
#define DEFAULT_SOBOL  64 /* base rows */
#define DEFAULT_BOOT   500
#define MAX_SETS       20

static const char sensitivity_help[] =
    "Usage: reesim sensitivity SCENARIO.yaml --method morris|sobol [OPTIONS]\n"
    "Global sensitivity of the headline indicators to the scenario's 'explore:' inputs (and\n"
    "--set ranges). Each evaluation is a Monte Carlo case of R runs on common random numbers\n"
    "(the same seed and runs for every case); the indices are those of the run-mean of each\n"
    "indicator. Morris: r trajectories on a p-level grid, mu* (mean absolute elementary effect,\n"
    "the change over an input's whole range), mu and sigma; r (k + 1) evaluations. Sobol:\n"
    "first-order (S1, Saltelli 2010) and total (ST, Jansen) indices from GSL's Sobol sequence;\n"
    "N (k + 2) evaluations. 95% bootstrap intervals (deterministic).\n"
    "\n"
    "      --method M        morris (default) or sobol\n"
    "  -n, --samples N       Morris trajectories (default 10) or Sobol base rows (default 64)\n"
    "  -r, --runs R          Monte Carlo runs per evaluation (default 100)\n"
    "      --levels P        Morris grid levels, even (default 4)\n"
    "      --boot B          bootstrap resamples (default 500; 0: no intervals)\n"
    "      --set PATH=LO..HI an input (repeatable; replaces an explore: input of the parameter)\n"
    "      --no-explore      ignore the scenario's explore: section (only the --set inputs)\n"
    "      --all             every indicator, not only the headlines\n"
    "  -s, --seed S          seed of the runs, the Morris design and the bootstrap\n"
    "  -j, --threads T       threads (default: all cores); results do not depend on it\n"
    "  -o, --out DIR         output folder (default: out/<scenario name>-sensitivity)\n"
    "  -q, --quiet           no progress and no table\n"
    "  -h, --help            show this help\n"
    "\n"
    "Writes sensitivity.csv (method, entity, indicator, unit, input, index, estimate, lo, hi,\n"
    "variance, noise_share) and meta.json. noise_share is the mean squared standard error of an\n"
    "evaluation's run-mean over the variance of the run-means across evaluations: the part of\n"
    "what the indices explain that is Monte Carlo noise (raise -r when it is not small).\n";

typedef struct eval_ctx {
    ree_plan *p;
    ree_cli_inputs *x;
    ree_mc_opts mo;
    int *ind; /* indicator index of each output */
    int m;
    double *vals, *noise; /* conc x k values; m sums of squared standard errors */
    ree_cli_cases cases;  /* evaluations at once (explore_cli.h) */
    long long evals;
    int progress;
    char *err;
    size_t errlen;
} eval_ctx;

/* One evaluation's outputs from its Monte Carlo result: the headline run-means, and their
 * squared standard errors summed in evaluation order. */
static void take(eval_ctx *e, const ree_mc_result *res, double *y)
{
    for (int j = 0; j < e->m && ree_rank() > 0; j++)
        y[j] = 0; /* another MPI rank: the result is rank 0's; only the sequence of cases counts */
    for (int j = 0; j < e->m && ree_rank() == 0; j++) {
        ree_cell_stats s;
        ree_acc_cell(res->indicators, (size_t)e->ind[j], &s);
        y[j] = s.mean;
        e->noise[j] += s.n > 0 ? s.sd * s.sd / s.n : 0;
    }
    e->evals++;
}

/* A design's points (a Morris trajectory, a Sobol row), as many at once as there are plan copies,
 * then taken in order: the first failure decides, as one at a time. */
static ree_status evaluate(void *arg, int count, const double *u, double *y)
{
    eval_ctx *e = arg;
    int k = e->x->k;
    for (int q0 = 0; q0 < count; q0 += e->cases.conc) {
        int n = count - q0 < e->cases.conc ? count - q0 : e->cases.conc;
        for (int t = 0; t < n; t++)
            for (int i = 0; i < k; i++)
                e->vals[t * k + i] = ree_explore_at(&e->x->in[i], u[(q0 + t) * k + i]);
        ree_cli_cases_run(&e->cases, n, e->vals, &e->mo);
        ree_status st;
        int ok = ree_cli_cases_ok(&e->cases, n, &st, e->err, e->errlen);
        for (int t = 0; t < ok; t++)
            take(e, &e->cases.res[t], y + (size_t)(q0 + t) * (size_t)e->m);
        ree_cli_cases_free(&e->cases, n);
        if (st != REE_OK)
            return st;
    }
    return REE_OK;
}

static void on_progress(void *arg, long long done, long long total)
{
    const eval_ctx *e = arg;
    if (e->progress)
        fprintf(stderr, "\revaluation %lld of %lld   ", done, total);
}

static void write_row(ree_csv *c, const char *method, const ree_indicator *ind, const char *input,
                      const char *index, double est, double lo, double hi, double var, double noise)
{
    ree_csv_str(c, method);
    ree_csv_str(c, ind->entity_name);
    ree_csv_str(c, ind->name);
    ree_csv_str(c, ind->unit);
    ree_csv_str(c, input);
    ree_csv_str(c, index);
    ree_csv_num(c, est);
    ree_csv_num(c, lo);
    ree_csv_num(c, hi);
    ree_csv_num(c, var);
    ree_csv_num(c, noise);
    ree_csv_end_row(c);
}

static ree_status write_results(ree_outset *set, const eval_ctx *e, const ree_gsa_result *r,
                                int sobol, const double *noise_share)
{
    static const char *const cols[] = {"method", "entity",   "indicator",  "unit",
                                       "input",  "index",    "estimate",   "lo",
                                       "hi",     "variance", "noise_share"};
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "sensitivity.csv", cols, 11, &st);
    if (!c)
        return st;
    const char *method = sobol ? "sobol" : "morris";
    int k = r->k;
    for (int j = 0; j < e->m; j++) {
        const ree_indicator *ind = &e->p->indicators[e->ind[j]];
        for (int i = 0; i < k; i++) {
            const ree_gsa_ci *a = &r->a[j * k + i], *b = &r->b[j * k + i];
            const char *in = e->x->in[i].path;
            write_row(c, method, ind, in, sobol ? "S1" : "mu_star", a->est, a->lo, a->hi, r->var[j],
                      noise_share[j]);
            if (!sobol)
                write_row(c, method, ind, in, "mu", r->mu[j * k + i], NAN, NAN, r->var[j],
                          noise_share[j]);
            write_row(c, method, ind, in, sobol ? "ST" : "sigma", b->est, b->lo, b->hi, r->var[j],
                      noise_share[j]);
        }
    }
    return REE_OK;
}

/* Per output, the inputs ranked by mu* (Morris) or ST (Sobol). */
static void print_table(const eval_ctx *e, const ree_gsa_result *r, int sobol,
                        const double *noise_share, const char *dir)
{
    printf("%s: %s, %lld evaluations of %lld runs over %d input%s; results in %s/\n", e->p->name,
           sobol ? "Sobol indices" : "Morris elementary effects", r->evaluations, e->mo.nruns, r->k,
           r->k == 1 ? "" : "s", dir);
    int *ord = malloc((size_t)r->k * sizeof *ord);
    if (!ord)
        return;
    for (int j = 0; j < e->m; j++) {
        const ree_indicator *ind = &e->p->indicators[e->ind[j]];
        char b1[REE_FMT_MAX], b2[REE_FMT_MAX];
        printf("\n%s/%s (run-mean, %s): variance %s, noise share %s\n", ind->entity_name, ind->name,
               ind->unit, ree_fmt_number(b1, sizeof b1, r->var[j], 0),
               ree_fmt_number(b2, sizeof b2, noise_share[j], 0));
        const ree_gsa_ci *key = sobol ? r->b : r->a;
        for (int i = 0; i < r->k; i++)
            ord[i] = i;
        for (int i = 1; i < r->k; i++) /* insertion sort, descending; NaN last */
            for (int q = i; q > 0; q--) {
                double x = key[j * r->k + ord[q]].est, y = key[j * r->k + ord[q - 1]].est;
                if (!(x > y || (isnan(y) && !isnan(x))))
                    break;
                int t = ord[q];
                ord[q] = ord[q - 1];
                ord[q - 1] = t;
            }
        printf("  %-44s %22s %22s\n", "input", sobol ? "ST [95%]" : "mu* [95%]",
               sobol ? "S1 [95%]" : "sigma");
        for (int q = 0; q < r->k; q++) {
            int i = ord[q];
            const ree_gsa_ci *a = &key[j * r->k + i];
            const ree_gsa_ci *b = sobol ? &r->a[j * r->k + i] : &r->b[j * r->k + i];
            char s1[64], s2[64];
            snprintf(s1, sizeof s1, "%.3g [%.3g, %.3g]", a->est, a->lo, a->hi);
            if (sobol)
                snprintf(s2, sizeof s2, "%.3g [%.3g, %.3g]", b->est, b->lo, b->hi);
            else
                snprintf(s2, sizeof s2, "%.3g", b->est);
            printf("  %-44s %22s %22s\n", e->x->in[i].path, s1, s2);
        }
    }
    free(ord);
}

/* sensitivity's own options (-n is the number of samples here, --runs the runs per case). */
typedef struct sens_opts {
    char *sets[MAX_SETS];
    int nsets, sobol, all, no_explore;
    long long samples, runs, levels, boot;
} sens_opts;

static int sens_opt(int c, const char *arg, void *ctx)
{
    sens_opts *o = ctx;
    switch (c) {
    case 'n':
        return ree_cli_long("--samples", arg, 2, 100000, &o->samples);
    case 'r':
        return ree_cli_long("--runs", arg, 1, 100000000, &o->runs);
    case 'L':
        if (ree_cli_long("--levels", arg, 2, 100, &o->levels))
            return -1;
        if (o->levels % 2) {
            ree_cli_usage_error("sensitivity", "--levels must be even, found %lld", o->levels);
            return -1;
        }
        return 0;
    case 'b':
        return ree_cli_long("--boot", arg, 0, 100000, &o->boot);
    case 'M':
        if (!strcmp(arg, "sobol"))
            o->sobol = 1;
        else if (strcmp(arg, "morris")) {
            ree_cli_usage_error("sensitivity", "--method expects morris or sobol, found '%s'", arg);
            return -1;
        }
        return 0;
    case 'S':
        if (o->nsets == MAX_SETS) {
            ree_cli_usage_error("sensitivity", "at most %d --set options", MAX_SETS);
            return -1;
        }
        o->sets[o->nsets++] = (char *)arg;
        return 0;
    case 'A':
        o->all = 1;
        return 0;
    case 'E':
        o->no_explore = 1;
        return 0;
    default:
        return -1;
    }
}

ree_status ree_cmd_sensitivity(int argc, char **argv)
{
    static const struct option own[] = {{"samples", required_argument, 0, 'n'},
                                        {"runs", required_argument, 0, 'r'},
                                        {"method", required_argument, 0, 'M'},
                                        {"levels", required_argument, 0, 'L'},
                                        {"boot", required_argument, 0, 'b'},
                                        {"set", required_argument, 0, 'S'},
                                        {"all", no_argument, 0, 'A'},
                                        {"no-explore", no_argument, 0, 'E'},
                                        {0, 0, 0, 0}};
    sens_opts so = {.samples = -1, .runs = DEFAULT_RUNS, .levels = 4, .boot = DEFAULT_BOOT};
    ree_cli_spec spec = {.cmd = "sensitivity",
                         .help = sensitivity_help,
                         .own = own,
                         .on_opt = sens_opt,
                         .ctx = &so,
                         .no_check = 1,
                         .exclude = "n",
                         .shortopts = ":n:r:s:j:o:qh",
                         .repeatable = "S"};
    ree_cli_common co;
    int help;
    ree_status pst = ree_cli_parse(argc, argv, &spec, &co, &help);
    if (pst != REE_OK || help)
        return pst;
    if (ree_cli_one_operand(argc, argv, "sensitivity") != REE_OK)
        return REE_EUSAGE;
    char **sets = so.sets;
    int nsets = so.nsets, sobol = so.sobol, all = so.all, no_explore = so.no_explore;
    long long samples = so.samples, runs = so.runs, levels = so.levels, boot = so.boot;
    ree_status st;
    ree_cli_inputs x;
    ree_plan *p =
        ree_cli_load_inputs("sensitivity", argv[optind], sets, nsets, no_explore, &x, &st);
    if (!p)
        return st;
    if (x.k > REE_GSA_MAX_INPUTS) {
        ree_cli_usage_error("sensitivity", "at most %d inputs, found %d", REE_GSA_MAX_INPUTS, x.k);
        ree_cli_inputs_free(&x);
        ree_plan_free(p);
        return REE_EUSAGE;
    }
    unsigned long long seed = co.seed >= 0 ? (unsigned long long)co.seed : p->seed;
    char err[512] = "";
    eval_ctx e;
    memset(&e, 0, sizeof e);
    e.p = p;
    e.x = &x;
    e.mo = (ree_mc_opts){.nruns = runs,
                         .seed = seed,
                         .threads = (int)co.threads,
                         .cancel = &ree_cli_interrupted,
                         .series_moments_only = 1 /* only indicators are read: ree_explore_case */};
    e.err = err;
    e.errlen = sizeof err;
    e.progress = !co.quiet && isatty(fileno(stderr));
    e.ind = malloc((size_t)(p->nindicator > 0 ? p->nindicator : 1) * sizeof *e.ind);
    /* A trajectory's or a row's evaluations at once when they are short (explore_cli.h) */
    int conc = ree_cli_cases_conc(runs, (int)co.threads, sobol ? x.k + 2 : x.k + 1);
    e.vals = malloc((size_t)conc * (size_t)x.k * sizeof *e.vals);
    e.noise = calloc((size_t)(p->nindicator > 0 ? p->nindicator : 1), sizeof *e.noise);
    double *lo = calloc((size_t)x.k, sizeof *lo), *hi = malloc((size_t)x.k * sizeof *hi);
    double *share = calloc((size_t)(p->nindicator > 0 ? p->nindicator : 1), sizeof *share);
    ree_gsa_result r = {0};
    ree_outset *set = NULL;
    /* The evaluations are collective on MPI ranks: memory one rank alone lacked stops every
     * rank before the first. */
    if (ree_ranks_lack_memory(!e.ind || !e.vals || !e.noise || !lo || !hi || !share, "setup",
                              "setting up the analysis", err, sizeof err)) {
        st = REE_ENOMEM;
        goto done;
    }
    for (int i = 0; i < p->nindicator; i++)
        if (all || (p->indicators[i].def->flags & REE_MD_HEADLINE))
            e.ind[e.m++] = i;
    for (int i = 0; i < x.k; i++)
        hi[i] = 1;
    ree_run_info info = {0, runs, seed, (int)co.threads, 0, "sensitivity", ree_cli_wall(), 0};
    /* Under MPI ranks (docs/cluster.md) every rank runs every evaluation in the same order (each
     * one's Monte Carlo is collective); rank 0 alone writes, and shares its statuses. */
    int root = ree_rank() == 0;
    set = ree_cli_open_shared("sensitivity", co.out, p->name, "sensitivity", &st, err, sizeof err);
    if (st != REE_OK)
        goto done;
    st = ree_cli_cases_open(&e.cases, "sensitivity", p, &x, conc, argv[optind], sets, nsets,
                            no_explore, err, sizeof err);
    if (st != REE_OK)
        goto done;
    ree_gsa_opts go = {.k = x.k,
                       .lo = lo,
                       .hi = hi,
                       .m = e.m,
                       .n = (int)(samples > 0 ? samples
                                  : sobol     ? DEFAULT_SOBOL
                                              : DEFAULT_MORRIS),
                       .levels = (int)levels,
                       .nboot = (int)boot,
                       .seed = seed,
                       .fb = evaluate,
                       .arg = &e,
                       .progress = on_progress,
                       .err = err,
                       .errlen = sizeof err};
    st = e.m == 0 ? REE_EINVALID : sobol ? ree_gsa_sobol(&go, &r) : ree_gsa_morris(&go, &r);
    if (e.m == 0)
        snprintf(err, sizeof err, "no indicator to analyse");
    if (e.progress)
        fputc('\n', stderr);
    if (!root) {
        st = ree_ranks_share(st); /* rank 0's final status */
        goto done;
    }
    if (st == REE_OK) {
        for (int j = 0; j < e.m; j++)
            share[j] = r.var[j] > 0 ? e.noise[j] / (double)e.evals / r.var[j] : NAN;
        info.finished = ree_cli_wall();
        st = write_results(set, &e, &r, sobol, share);
    }
    if (st == REE_OK)
        st = ree_cli_explore_meta(set, p, &info);
    st = ree_cli_finish_set(set, st, err, sizeof err);
    st = ree_ranks_share(st); /* every rank ends with rank 0's status */
done:
    if (st == REE_ENOMEM)
        ree_cli_report_oom(*err ? err : "analysing the scenario");
    else if (st != REE_OK && ree_cli_interrupted)
        ree_cli_report_stopped("sensitivity", err);
    else if (st != REE_OK && !(st == REE_EUSAGE && !*err)) /* a usage error is printed */
        fprintf(stderr, "reesim sensitivity: %s: %s\n", p->file,
                *err ? err : ree_status_message((ree_status)st));
    else if (!co.quiet && set)
        print_table(&e, &r, sobol, share, ree_outset_dir(set));
    ree_outset_free(set);
    ree_gsa_result_free(&r);
    ree_cli_cases_close(&e.cases);
    free(e.ind);
    free(e.vals);
    free(e.noise);
    free(lo);
    free(hi);
    free(share);
    ree_cli_inputs_free(&x);
    ree_plan_free(p);
    return st;
}
