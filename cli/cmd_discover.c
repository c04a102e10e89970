/* `reesim discover`: PRIM boxes (prim.h) over the inputs of a sweep (sweep.csv) in which a
 * condition on an indicator holds. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "csvread.h"
#include "explore_cli.h"
#include "outfile.h"
#include "output.h"
#include "prim.h"

static const char discover_help[] =
    "Usage: reesim discover SWEEP_DIR --where 'ENTITY/INDICATOR [STAT] OP X' [OPTIONS]\n"
    "Scenario discovery with PRIM (peeling and pasting) over the inputs of a sweep: the box of\n"
    "input values in which the condition holds most often. STAT is one of mean (default), sd,\n"
    "p05, p50, p95 of the indicator across a case's runs; OP one of <=, <, >=, >. E.g.\n"
    "  reesim discover out/licensing-sweep --where 'us_defense/months_short > 3'\n"
    "\n"
    "      --where COND       the condition that marks a case (required)\n"
    "      --alpha A          peeling and pasting share (default 0.05)\n"
    "      --min-support S    stop peeling below this share of the cases (default 0.05)\n"
    "      --min-coverage C   the chosen box holds at least this share of the marked cases\n"
    "                         (default 0.5)\n"
    "  -o, --out DIR          output folder (default: SWEEP_DIR-discover)\n"
    "  -q, --quiet            no table on stdout\n"
    "  -h, --help             show this help\n"
    "\n"
    "Writes discover.csv (the peeling trajectory: step, coverage, density, support, and each\n"
    "input's bounds) and discover_box.csv (the chosen box after pasting: each input's bounds\n"
    "and whether it is restricted, with coverage, density and support) and meta.json.\n";

typedef struct cond {
    char entity[128], indicator[128], stat[8], op[3];
    double x;
} cond;

static int parse_where(const char *s, cond *w)
{
    const char *slash = strchr(s, '/');
    if (!slash)
        return -1;
    const char *b = s;
    while (isspace((unsigned char)*b))
        b++;
    size_t el = (size_t)(slash - b);
    if (el == 0 || el >= sizeof w->entity)
        return -1;
    memcpy(w->entity, b, el);
    w->entity[el] = 0;
    const char *op = slash + 1;
    while (*op && *op != '<' && *op != '>')
        op++;
    if (!*op)
        return -1;
    char mid[300];
    size_t ml = (size_t)(op - slash - 1);
    if (ml >= sizeof mid)
        return -1;
    memcpy(mid, slash + 1, ml);
    mid[ml] = 0;
    char extra[8];
    int nf = sscanf(mid, "%127s %7s %7s", w->indicator, w->stat, extra);
    if (nf < 1 || nf > 2)
        return -1;
    if (nf == 1)
        strcpy(w->stat, "mean");
    if (strcmp(w->stat, "mean") && strcmp(w->stat, "sd") && strcmp(w->stat, "p05") &&
        strcmp(w->stat, "p50") && strcmp(w->stat, "p95"))
        return -1;
    size_t ol = op[1] == '=' ? 2 : 1;
    memcpy(w->op, op, ol);
    w->op[ol] = 0;
    char *e;
    errno = 0;
    w->x = strtod(op + ol, &e);
    while (isspace((unsigned char)*e))
        e++;
    if (*e || e == op + ol || errno || !isfinite(w->x))
        return -1;
    return 0;
}

static int holds(const cond *w, double v)
{
    return !strcmp(w->op, "<=")   ? v <= w->x
           : !strcmp(w->op, "<")  ? v < w->x
           : !strcmp(w->op, ">=") ? v >= w->x
                                  : v > w->x;
}

static ree_status write_results(ree_outset *set, const ree_prim_result *r, const char *const *names)
{
    static const char *const cols[] = {"step",  "coverage", "density", "support",
                                       "cases", "input",    "lo",      "hi"};
    static const char *const bcols[] = {"input",    "lo",      "hi",      "restricted",
                                        "coverage", "density", "support", "cases"};
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "discover.csv", cols, 8, &st);
    if (!c)
        return st;
    for (int s = 0; s < r->nstep; s++)
        for (int i = 0; i < r->k; i++) {
            ree_csv_int(c, s);
            ree_csv_num(c, r->steps[s].coverage);
            ree_csv_num(c, r->steps[s].density);
            ree_csv_num(c, r->steps[s].support);
            ree_csv_int(c, (long long)r->steps[s].n);
            ree_csv_str(c, names[i]);
            ree_csv_num(c, r->steps[s].lo[i]);
            ree_csv_num(c, r->steps[s].hi[i]);
            ree_csv_end_row(c);
        }
    ree_csv *b = ree_outset_csv(set, "discover_box.csv", bcols, 8, &st);
    if (!b)
        return st;
    for (int i = 0; i < r->k; i++) {
        ree_csv_str(b, names[i]);
        ree_csv_num(b, r->box.lo[i]);
        ree_csv_num(b, r->box.hi[i]);
        ree_csv_int(b, r->box.lo[i] > r->min[i] || r->box.hi[i] < r->max[i]);
        ree_csv_num(b, r->box.coverage);
        ree_csv_num(b, r->box.density);
        ree_csv_num(b, r->box.support);
        ree_csv_int(b, (long long)r->box.n);
        ree_csv_end_row(b);
    }
    return REE_OK;
}

static int parse_share(const char *opt, const char *arg, double lo, double hi, double *out)
{
    double v;
    if (ree_cli_double(arg, &v) || !(v >= lo && v <= hi)) {
        ree_cli_usage_error("discover", "%s expects a number in [%g, %g], found '%s'", opt, lo, hi,
                            arg);
        return -1;
    }
    *out = v;
    return 0;
}

static void print_box(const ree_prim_result *r, const char *const *names, size_t n,
                      const char *where, const char *dir)
{
    printf("%zu cases, %s in %.0f; %d peeling steps; results in %s/\n", n, where,
           r->steps[0].coverage > 0 ? r->steps[0].density * (double)n : 0.0, r->nstep - 1, dir);
    printf("box (step %d, pasted): coverage %.3g, density %.3g, support %.3g (%zu cases)\n",
           r->chosen, r->box.coverage, r->box.density, r->box.support, r->box.n);
    int any = 0;
    for (int i = 0; i < r->k; i++)
        if (r->box.lo[i] > r->min[i] || r->box.hi[i] < r->max[i]) {
            printf("  %-48s %12.6g .. %-12.6g (of %g .. %g)\n", names[i], r->box.lo[i],
                   r->box.hi[i], r->min[i], r->max[i]);
            any = 1;
        }
    if (!any)
        printf("  no input restricted: the condition is spread over the whole design\n");
}

/* Column of the statistic `stat` (one of ree_sweep_tail's last five). */
static int stat_col(int cent, const char *stat)
{
    for (int i = 3; i < REE_SWEEP_TAIL; i++)
        if (!strcmp(ree_sweep_tail[i], stat))
            return cent + i;
    return -1;
}

/* discover's own options. */
typedef struct discover_opts {
    const char *where;
    ree_prim_opts po;
} discover_opts;

static int discover_opt(int c, const char *arg, void *ctx)
{
    discover_opts *o = ctx;
    switch (c) {
    case 'W':
        o->where = arg;
        return 0;
    case 'a':
        return parse_share("--alpha", arg, 0.001, 0.49, &o->po.alpha);
    case 'S':
        return parse_share("--min-support", arg, 0, 0.99, &o->po.min_support);
    case 'C':
        return parse_share("--min-coverage", arg, 0, 1, &o->po.min_coverage);
    default:
        return -1;
    }
}

ree_status ree_cmd_discover(int argc, char **argv)
{
    static const struct option own[] = {{"where", required_argument, 0, 'W'},
                                        {"alpha", required_argument, 0, 'a'},
                                        {"min-support", required_argument, 0, 'S'},
                                        {"min-coverage", required_argument, 0, 'C'},
                                        {0, 0, 0, 0}};
    discover_opts dop = {.po = {0.05, 0.05, 0.5}};
    ree_cli_spec spec = {.cmd = "discover",
                         .help = discover_help,
                         .own = own,
                         .on_opt = discover_opt,
                         .ctx = &dop,
                         .exclude = "nsjB",
                         .shortopts = ":o:qh"};
    ree_cli_common co;
    int help;
    ree_status pst = ree_cli_parse(argc, argv, &spec, &co, &help);
    if (pst != REE_OK || help)
        return pst;
    const char *where = dop.where, *out = co.out;
    int quiet = co.quiet;
    ree_prim_opts po = dop.po;
    if (optind != argc - 1) {
        ree_cli_usage_error("discover",
                            optind >= argc ? "missing SWEEP_DIR"
                                           : "expected one sweep folder, found %d",
                            argc - optind);
        return REE_EUSAGE;
    }
    cond w;
    if (!where || parse_where(where, &w)) {
        ree_cli_usage_error("discover",
                            "--where expects 'ENTITY/INDICATOR [mean|sd|p05|p50|p95] OP X' with "
                            "OP one of <=, <, >=, >, found '%s'",
                            where ? where : "");
        return REE_EUSAGE;
    }
    const char *dirarg = argv[optind];
    double started = ree_cli_wall();
    char path[REE_CLI_PATH_MAX], dir[REE_CLI_PATH_MAX], err[REE_CLI_PATH_MAX + 400] = "";
    if (ree_cli_path(path, sizeof path, "discover", "SWEEP_DIR", "%s/sweep.csv", dirarg))
        return REE_EUSAGE;
    ree_status st;
    ree_cli_reads(dirarg); /* the folder read: no output folder may hold it */
    ree_table *t = ree_table_load(path, &st, err, sizeof err);
    if (!t) {
        if (st == REE_ENOMEM)
            ree_cli_report_oom("reading the sweep");
        else
            fprintf(stderr, "reesim discover: %s\n", err);
        return st;
    }
    int cent = ree_table_col(t, "entity"), k = cent - 1;
    double *x = NULL, *xall = NULL, *stat = NULL;
    unsigned char *y = NULL;
    const char **names = NULL;
    ree_outset *set = NULL;
    ree_prim_result r;
    memset(&r, 0, sizeof r);
    size_t nrow = ree_table_nrows(t), n = 0;
    if (ree_sweep_check_header(t, cent, err, sizeof err)) {
        fprintf(stderr, "reesim discover: %s\n", err);
        st = REE_EINVALID;
        goto done;
    }
    x = malloc((nrow ? nrow : 1) * (size_t)k * sizeof *x);
    xall = malloc((nrow ? nrow : 1) * (size_t)k * sizeof *xall);
    stat = malloc((nrow ? nrow : 1) * sizeof *stat);
    y = malloc(nrow ? nrow : 1);
    names = malloc((size_t)k * sizeof *names);
    if (!x || !xall || !stat || !y || !names) {
        st = REE_ENOMEM;
        ree_cli_report_oom("reading the sweep");
        goto done;
    }
    st = ree_sweep_check_rows(t, k, stat_col(cent, w.stat), xall, stat, err, sizeof err);
    if (st != REE_OK) {
        if (st == REE_ENOMEM)
            ree_cli_report_oom("reading the sweep");
        else
            fprintf(stderr, "reesim discover: %s\n", err);
        goto done;
    }
    for (size_t row = 0; row < nrow; row++) {
        if (strcmp(ree_table_cell(t, row, cent), w.entity) ||
            strcmp(ree_table_cell(t, row, cent + 1), w.indicator))
            continue;
        memcpy(&x[n * (size_t)k], &xall[row * (size_t)k], (size_t)k * sizeof *x);
        y[n++] = holds(&w, stat[row]);
    }
    for (int i = 0; i < k; i++)
        names[i] = ree_table_colname(t, 1 + i);
    if (n == 0) {
        ree_cli_usage_error("discover", "%s has no rows for %s/%s", path, w.entity, w.indicator);
        st = REE_EUSAGE;
        goto done;
    }
    st = ree_prim(x, y, n, k, &po, &r);
    if (st == REE_EUSAGE) {
        fprintf(stderr, "reesim discover: no case of %s meets '%s'\n", path, where);
        goto done;
    }
    if (st != REE_OK) {
        ree_cli_report_oom("running PRIM");
        goto done;
    }
    /* The default folder sits beside the sweep: "sw/" gives "sw-discover", not "sw/-discover"
     * inside it (a trailing slash is dropped; "/" alone stays). */
    int base = (int)strlen(dirarg);
    while (base > 1 && dirarg[base - 1] == '/')
        base--;
    if ((out ? ree_cli_path(dir, sizeof dir, "discover", "-o", "%s", out)
             : ree_cli_path(dir, sizeof dir, "discover",
                            "the default output folder (SWEEP_DIR-discover)", "%.*s-discover", base,
                            dirarg)) ||
        ree_cli_out_free("discover", dir)) {
        st = REE_EUSAGE;
        goto done;
    }
    ree_cli_catch_signals();
    set = ree_outset_open(dir, &st, err, sizeof err);
    if (set) {
        ree_outset_set_cancel(set, &ree_cli_interrupted);
        ree_cli_guard(set);
        st = write_results(set, &r, names);
        FILE *f = st == REE_OK ? ree_outset_file(set, "meta.json", &st) : NULL;
        if (f) {
            static const char *const keys[] = {"sweep", "where"};
            const char *vals[] = {path, where};
            st = ree_output_meta_plain("discover", keys, vals, 2, started, ree_cli_wall(), f);
        }
        st = ree_cli_finish_set(set, st, err, sizeof err);
    }
    if (st != REE_OK && ree_cli_interrupted)
        ree_cli_report_stopped("discover", err);
    else if (st != REE_OK)
        fprintf(stderr, "reesim discover: %s\n", *err ? err : ree_status_message(st));
    else if (!quiet)
        print_box(&r, names, n, where, ree_outset_dir(set));
    ree_outset_free(set);
done:
    free(x);
    free(xall);
    free(stat);
    free(y);
    free(names);
    ree_prim_result_free(&r);
    ree_table_free(t);
    return st;
}
