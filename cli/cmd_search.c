/* `reesim search`: the smallest (or largest) value of a lever meeting a probabilistic goal, by
 * bisection on common random numbers (explore.h). */
#include <ctype.h>
#include <errno.h>
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

/* The finest --tol, relative to the lever's largest magnitude: ten units of the tenth digit of
 * %.10g, the precision search.csv and search_summary.csv are written with. */
#define REE_SEARCH_TOL_REL 1e-8

#define DEFAULT_RUNS 500
#define MAX_EVALS    64
#define Z95          1.959963984540054

static const char search_help[] =
    "Usage: reesim search SCENARIO.yaml --lever PATH=LO..HI --goal 'P(ENTITY/INDICATOR OP X) >= "
    "Q'\n"
    "                     [OPTIONS]\n"
    "Find the smallest value of a lever (any override path) at which the probability across\n"
    "runs that an indicator satisfies OP X (<=, <, >=, >) is at least Q, or the largest when\n"
    "the probability falls with the lever: bisection, assuming the probability is monotone in\n"
    "the lever. Every evaluation uses the same seed and runs (common random numbers), so the\n"
    "probability is a deterministic step function of the lever and the bisection is exact for\n"
    "it. The answer comes with a Wilson 95% interval on the probability there.\n"
    "\n"
    "      --lever PATH=LO..HI  the lever and its range\n"
    "      --goal GOAL          e.g. 'P(us_defense/months_short <= 0) >= 0.95'\n"
    "      --set PATH=V         hold another parameter at V for the whole search (repeatable)\n"
    "      --largest            when the goal holds at both ends, report HI (default: LO)\n"
    "      --tol T              stop when the bracket is T wide (default (HI-LO)/256; whole\n"
    "                           numbers for integral parameters; never below 1e-8 x "
    "max(|LO|,|HI|))\n"
    "  -n, --runs N             runs per evaluation (default 500)\n"
    "  -s, --seed S             seed (default: the scenario's)\n"
    "  -j, --threads T          threads (default: all cores); results do not depend on it\n"
    "  -o, --out DIR            output folder (default: out/<scenario name>-search)\n"
    "  -q, --quiet              no progress and no answer on stdout\n"
    "  -h, --help               show this help\n"
    "\n"
    "Writes search.csv (every evaluation: lever, probability, runs, met, Wilson lo and hi) and\n"
    "search_summary.csv (the answer), and meta.json. A goal met nowhere in the range is not an\n"
    "error: the summary says so.\n";

typedef struct goal {
    char entity[128], indicator[128], op[3];
    double x, q;
} goal;

static int parse_goal(const char *s, goal *g)
{
    char buf[512];
    size_t n = 0;
    for (const char *c = s; *c && n + 1 < sizeof buf; c++)
        if (!isspace((unsigned char)*c))
            buf[n++] = *c;
    buf[n] = 0;
    if (strncmp(buf, "P(", 2))
        return -1;
    char *close = strrchr(buf, ')');
    if (!close || strncmp(close + 1, ">=", 2))
        return -1;
    char *e;
    errno = 0;
    g->q = strtod(close + 3, &e);
    if (*e || close[3] == 0 || errno || !(g->q > 0 && g->q <= 1))
        return -1;
    *close = 0;
    char *body = buf + 2, *slash = strchr(body, '/');
    if (!slash || slash == body)
        return -1;
    char *op = NULL;
    for (char *c = slash + 1; *c && !op; c++)
        if (*c == '<' || *c == '>')
            op = c;
    if (!op || op == slash + 1)
        return -1;
    size_t ol = op[1] == '=' ? 2 : 1;
    memcpy(g->op, op, ol);
    g->op[ol] = 0;
    errno = 0;
    g->x = strtod(op + ol, &e);
    if (*e || op[ol] == 0 || errno || !isfinite(g->x))
        return -1;
    if ((size_t)(slash - body) >= sizeof g->entity ||
        (size_t)(op - slash - 1) >= sizeof g->indicator)
        return -1;
    memcpy(g->entity, body, (size_t)(slash - body));
    g->entity[slash - body] = 0;
    memcpy(g->indicator, slash + 1, (size_t)(op - slash - 1));
    g->indicator[op - slash - 1] = 0;
    return 0;
}

typedef struct search_ctx {
    ree_plan *p;
    ree_param_slot slot;
    ree_mc_opts mo;
    goal g;
    int ind, neval, progress;
    double lever[MAX_EVALS], prob[MAX_EVALS];
    long long n[MAX_EVALS];
    char *err;
    size_t errlen;
} search_ctx;

static ree_status evaluate(void *arg, double lever, double *prob, long long *n)
{
    search_ctx *s = arg;
    ree_mc_result res;
    if (s->progress)
        fprintf(stderr, "\revaluation %d at %g   ", s->neval + 1, lever);
    ree_status st = ree_explore_case(s->p, &s->slot, 1, &lever, &s->mo, &res, s->err, s->errlen);
    if (st != REE_OK)
        return st;
    /* Under MPI ranks (docs/cluster.md) rank 0 alone holds the merged runs: its probability,
     * shared, is what every rank's bisection decides the next lever value from. */
    struct {
        double prob;
        long long n;
        int st;
    } got = {NAN, 0, REE_OK};
    if (ree_rank() == 0) {
        got.prob = ree_explore_share(res.indicators, (size_t)s->ind, s->g.op, s->g.x);
        got.n = res.nruns;
        got.st = isnan(got.prob) ? REE_ENOMEM : REE_OK;
    }
    ree_mc_result_free(&res);
    ree_ranks_bcast(&got, sizeof got);
    if (got.st != REE_OK) {
        snprintf(s->err, s->errlen, "out of memory reading the runs");
        return (ree_status)got.st;
    }
    *prob = got.prob;
    *n = got.n;
    if (s->neval < MAX_EVALS) {
        s->lever[s->neval] = lever;
        s->prob[s->neval] = *prob;
        s->n[s->neval] = *n;
    }
    s->neval++;
    return REE_OK;
}

static ree_status write_results(ree_outset *set, const search_ctx *s, const char *lever_path,
                                const char *goal_text, const ree_search_result *r)
{
    static const char *const cols[] = {"evaluation", "lever", "prob", "runs", "met", "lo", "hi"};
    static const char *const scols[] = {"lever", "goal", "found", "direction", "answer",     "prob",
                                        "lo",    "hi",   "runs",  "bracket",   "evaluations"};
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "search.csv", cols, 7, &st);
    if (!c)
        return st;
    for (int i = 0; i < s->neval && i < MAX_EVALS; i++) {
        double lo, hi;
        ree_wilson(s->prob[i] * (double)s->n[i], (double)s->n[i], Z95, &lo, &hi);
        ree_csv_int(c, i + 1);
        ree_csv_num_exact(c, s->lever[i]);
        ree_csv_num(c, s->prob[i]);
        ree_csv_int(c, s->n[i]);
        ree_csv_int(c, s->prob[i] >= s->g.q);
        ree_csv_num(c, lo);
        ree_csv_num(c, hi);
        ree_csv_end_row(c);
    }
    ree_csv *t = ree_outset_csv(set, "search_summary.csv", scols, 11, &st);
    if (!t)
        return st;
    double lo, hi;
    ree_wilson(r->prob * (double)r->n, (double)r->n, Z95, &lo, &hi);
    ree_csv_str(t, lever_path);
    ree_csv_str(t, goal_text);
    ree_csv_int(t, r->found);
    ree_csv_str(t, !r->found ? "" : r->smallest ? "smallest" : "largest");
    ree_csv_num_exact(t, r->answer);
    ree_csv_num(t, r->prob);
    ree_csv_num(t, lo);
    ree_csv_num(t, hi);
    ree_csv_int(t, r->n);
    ree_csv_num_exact(t, r->bracket);
    ree_csv_int(t, r->evaluations);
    ree_csv_end_row(t);
    return REE_OK;
}

static void print_answer(const search_ctx *s, const char *lever_path, const ree_search_result *r,
                         const char *dir)
{
    double lo, hi;
    ree_wilson(r->prob * (double)r->n, (double)r->n, Z95, &lo, &hi);
    printf("%s: goal P(%s/%s %s %g) >= %g over %s; %d evaluations of %lld runs; results in %s/\n",
           s->p->name, s->g.entity, s->g.indicator, s->g.op, s->g.x, s->g.q, lever_path,
           r->evaluations, s->mo.nruns, dir);
    if (!r->found) {
        printf("not met anywhere in the range: the best end reaches P = %.4g (Wilson 95%% "
               "[%.4g, %.4g])\n",
               r->prob, lo, hi);
        return;
    }
    /* 6 significant digits, more (up to the files' 10) until the answer reads as in the files
     * and the two ends print apart. */
    char a[40], b[40] = "", ten[40];
    snprintf(ten, sizeof ten, "%.10g", r->answer);
    for (int digits = 6; digits <= 10; digits++) {
        snprintf(a, sizeof a, "%.*g", digits, r->answer);
        if (!isnan(r->bracket))
            snprintf(b, sizeof b, "%.*g", digits, r->bracket);
        if (strtod(a, NULL) == strtod(ten, NULL) && strcmp(a, b))
            break;
    }
    printf("%s value meeting the goal: %s", r->smallest ? "smallest" : "largest", a);
    if (!isnan(r->bracket))
        printf(" (%s fails it)", b);
    printf("\nP there = %.4g of %lld runs (Wilson 95%% [%.4g, %.4g])\n", r->prob, r->n, lo, hi);
}

/* search's own options. */
typedef struct search_opts {
    const char *lever, *goal_text;
    char *fixed[20];
    int largest, nfixed;
    double tol;
} search_opts;

static int search_opt(int c, const char *arg, void *ctx)
{
    search_opts *o = ctx;
    switch (c) {
    case 'L':
        o->lever = arg;
        return 0;
    case 'G':
        o->goal_text = arg;
        return 0;
    case 'X':
        o->largest = 1;
        return 0;
    case 'S':
        if (o->nfixed == 20) {
            ree_cli_usage_error("search", "at most 20 --set options");
            return -1;
        }
        o->fixed[o->nfixed++] = (char *)arg;
        return 0;
    case 'T':
        if (ree_cli_double(arg, &o->tol) || !(o->tol > 0)) {
            ree_cli_usage_error("search", "--tol expects a positive number, found '%s'", arg);
            return -1;
        }
        return 0;
    default:
        return -1;
    }
}

ree_status ree_cmd_search(int argc, char **argv)
{
    static const struct option own[] = {
        {"lever", required_argument, 0, 'L'}, {"goal", required_argument, 0, 'G'},
        {"largest", no_argument, 0, 'X'},     {"set", required_argument, 0, 'S'},
        {"tol", required_argument, 0, 'T'},   {0, 0, 0, 0}};
    search_opts so = {.tol = -1};
    ree_cli_spec spec = {.cmd = "search",
                         .help = search_help,
                         .own = own,
                         .on_opt = search_opt,
                         .ctx = &so,
                         .no_check = 1,
                         .repeatable = "S"};
    ree_cli_common co;
    int help;
    ree_status pst = ree_cli_parse(argc, argv, &spec, &co, &help);
    if (pst != REE_OK || help)
        return pst;
    if (ree_cli_one_operand(argc, argv, "search") != REE_OK)
        return REE_EUSAGE;
    const char *lever = so.lever, *goal_text = so.goal_text;
    char **fixed = so.fixed;
    int largest = so.largest, nfixed = so.nfixed;
    double tol = so.tol;
    search_ctx s;
    memset(&s, 0, sizeof s);
    if (!lever || !goal_text) {
        ree_cli_usage_error("search", "--lever and --goal are required");
        return REE_EUSAGE;
    }
    if (parse_goal(goal_text, &s.g)) {
        ree_cli_usage_error("search",
                            "--goal expects 'P(ENTITY/INDICATOR OP X) >= Q' with OP one of <=, "
                            "<, >=, > and 0 < Q <= 1, found '%s'",
                            goal_text);
        return REE_EUSAGE;
    }
    const char *eq = strchr(lever, '=');
    if (!eq || eq == lever || !strstr(eq, "..")) {
        ree_cli_usage_error("search", "--lever expects PATH=LO..HI, found '%s'", lever);
        return REE_EUSAGE;
    }
    ree_status st;
    ree_plan *p = ree_cli_load(argv[optind], &st);
    if (!p)
        return st;
    char *sets[1] = {(char *)lever};
    ree_cli_inputs x = {0}, fx = {0};
    /* The lever alone: parse it as a --set with no explore: inputs; then the fixed values. */
    int nexp = p->nexplore;
    p->nexplore = 0;
    st = ree_cli_inputs_get("search", "--lever", p, sets, 1, 1, &x);
    if (st == REE_OK)
        st = ree_cli_inputs_get("search", "--set", p, fixed, nfixed, 0, &fx);
    p->nexplore = nexp;
    for (int i = 0; st == REE_OK && i < fx.k; i++) {
        char why[400];
        if (!fx.in[i].values || fx.in[i].nvalues != 1) {
            ree_cli_usage_error("search", "--set %s: expected one value", fx.in[i].path);
            st = REE_EUSAGE;
        } else if (ree_slot_same(&fx.slots[i], &x.slots[0])) {
            ree_cli_usage_error("search", "--set %s: that is the lever", fx.in[i].path);
            st = REE_EUSAGE;
        } else if ((st = ree_slot_set(p, &fx.slots[i], fx.in[i].values[0], why, sizeof why)) ==
                   REE_EINVALID) {
            ree_cli_usage_error("search", "--set %s: %s", fx.in[i].path, why);
            st = REE_EUSAGE;
        }
    }
    char err[512] = "";
    /* The evaluations are collective on MPI ranks: memory one rank alone lacked for the inputs
     * stops every rank (a usage error is every rank's: the same arguments and scenario). */
    if (ree_ranks_lack_memory(st == REE_ENOMEM, "inputs", "reading the inputs", err, sizeof err))
        st = REE_ENOMEM;
    ree_outset *set = NULL;
    ree_search_result r;
    memset(&r, 0, sizeof r);
    if (st != REE_OK)
        goto done;
    s.ind = ree_plan_indicator_find(p, s.g.entity, s.g.indicator);
    if (s.ind < 0) {
        ree_cli_usage_error("search", "%s has no indicator %s/%s (see its summary.csv)", p->file,
                            s.g.entity, s.g.indicator);
        st = REE_EUSAGE;
        goto done;
    }
    /* A bracket narrower than the 10 significant digits the results are written with would
     * print its two ends as the same number, one meeting the goal and one not: the tolerance
     * used, given or (HI - LO) / 256 by default, is at least `span`. */
    double lo = x.in[0].min, hi = x.in[0].max;
    double span = fmax(fabs(lo), fabs(hi)) * REE_SEARCH_TOL_REL;
    double p10 = pow(10, floor(log10(span)) - 1), shown = ceil(span / p10 * (1 - 1e-9)) * p10;
    if (hi - lo < span) {
        ree_cli_usage_error("search",
                            "--lever %s: the range is narrower than the 10 significant digits "
                            "the results are written with (at least %.2g wide here)",
                            x.in[0].path, shown);
        st = REE_EUSAGE;
        goto done;
    }
    if (tol > 0 && tol < span * (1 - 1e-9)) { /* the slack: a limit given as printed passes */
        ree_cli_usage_error("search",
                            "--tol %g is finer than the 10 significant digits the results are "
                            "written with; give at least %.2g for this lever",
                            tol, shown);
        st = REE_EUSAGE;
        goto done;
    }
    if (!(tol > 0))
        tol = fmax((hi - lo) / 256, span);
    s.p = p;
    s.slot = x.slots[0];
    s.mo = (ree_mc_opts){.nruns = co.runs > 0 ? co.runs : DEFAULT_RUNS,
                         .seed = co.seed >= 0 ? (unsigned long long)co.seed : p->seed,
                         .threads = (int)co.threads,
                         .cancel = &ree_cli_interrupted,
                         .series_moments_only = 1 /* only indicators are read: ree_explore_case */};
    s.err = err;
    s.errlen = sizeof err;
    s.progress = !co.quiet && isatty(fileno(stderr));
    ree_run_info info = {0, s.mo.nruns, s.mo.seed, (int)co.threads, 0, "search", ree_cli_wall(), 0};
    /* Under MPI ranks (docs/cluster.md) every rank runs every evaluation in the same order (each
     * one's Monte Carlo is collective); rank 0 alone writes, and shares its statuses. */
    set = ree_cli_open_shared("search", co.out, p->name, "search", &st, err, sizeof err);
    if (st != REE_OK)
        goto done;
    st = ree_search_bisect(lo, hi, s.g.q, tol, (s.slot.def->flags & REE_PF_INT) != 0, !largest,
                           evaluate, &s, &r);
    if (s.progress)
        fputc('\n', stderr);
    if (set) {
        if (st == REE_OK)
            st = write_results(set, &s, x.in[0].path, goal_text, &r);
        if (st == REE_OK) {
            info.finished = ree_cli_wall();
            st = ree_cli_explore_meta(set, p, &info);
        }
        st = ree_cli_finish_set(set, st, err, sizeof err);
    }
    st = ree_ranks_share(st); /* every rank ends with rank 0's status */
done:
    if (st == REE_ENOMEM)
        ree_cli_report_oom(*err ? err : "searching");
    else if (st != REE_OK && ree_cli_interrupted)
        ree_cli_report_stopped("search", err);
    else if (st != REE_OK && st != REE_EUSAGE)
        fprintf(stderr, "reesim search: %s: %s\n", p->file,
                *err ? err : ree_status_message((ree_status)st));
    else if (st == REE_OK && !co.quiet && set)
        print_answer(&s, x.in[0].path, &r, ree_outset_dir(set));
    ree_outset_free(set);
    ree_cli_inputs_free(&x);
    ree_cli_inputs_free(&fx);
    ree_plan_free(p);
    return st;
}
