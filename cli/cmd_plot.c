/*
 * `reesim plot OUTDIR`: charts of the CSV files a `reesim run` or `reesim compare` wrote.
 *
 * timeseries.csv gives fan charts (one per entity and metric), compare_timeseries.csv gives
 * comparison overlays (one per entity and metric, every scenario against its base), compare.csv
 * gives bar charts of indicator differences (one per scenario and unit: bars in tonnes and bars
 * in months do not share an axis). Without --series, the fan and overlay charts cover sector
 * shortfall, stocks (stock.*), stockpile level and gate approvals and backlog; --series
 * ENTITY/METRIC globs choose instead, and filter the bars on ENTITY/INDICATOR.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "model.h"
#include "outfile.h"
#include "plot.h"
#include "plot_cmd.h"
#include "reesim/reesim.h"

static const char plot_help[] =
    "Usage: reesim plot OUTDIR [OPTIONS]\n"
    "Draw charts from the CSV files of a 'reesim run', 'reesim compare' or 'reesim sweep'\n"
    "output folder, with\n"
    "gnuplot (Debian package gnuplot-nox).\n"
    "\n"
    "  -o, --out DIR|FILE     where the charts go (default: OUTDIR/plots/); a name ending in\n"
    "                         .svg or .png writes the one selected chart to that file\n"
    "      --format svg|png   image format (default svg, or the -o FILE extension)\n"
    "      --series PATTERN   ENTITY/METRIC glob, e.g. 'us_*/shortfall' or 'cn_export/*';\n"
    "                         repeatable. Default: sector shortfall, stocks, stockpile level,\n"
    "                         gate approvals and backlog; all indicators for the bars\n"
    "      --chart KIND       only charts of this kind: fan, compare, diff or sweep; repeatable\n"
    "  -q, --quiet            do not list the files written\n"
    "  -h, --help             show this help\n"
    "\n"
    "Charts: fan-ENTITY-METRIC (timeseries.csv: median, p25-p75 and p05-p95 bands),\n"
    "compare-ENTITY-METRIC (compare_timeseries.csv: case means and paired differences with\n"
    "95% CI), diff-SCENARIO-UNIT (compare.csv: indicator differences with 95% CI),\n"
    "sweep-ENTITY-INDICATOR (sweep.csv: the headline indicators, or --series ENTITY/INDICATOR,\n"
    "against the first input that varies: one line per value of a second input when exactly\n"
    "two vary, else the cases as points; mean with p05-p95 bars).\n"
    "Each chart file appears complete or not at all; a chart folder that is a symlink\n"
    "is refused.\n"
    "\n"
    "Exit status: 0 ok, 64 usage error, 65 malformed CSV, 66 no results in OUTDIR (or\n"
    "nothing to draw, e.g. none of the file --chart asks for),\n"
    "69 gnuplot not installed, 70 gnuplot failed, 73 cannot create output (or a symlink),\n"
    "74 I/O error (a chart could not be written).\n";

job *pc_new_job(plotter *pl)
{
    if (pl->njob == pl->capjob) {
        size_t cap = pl->capjob ? 2 * pl->capjob : 32;
        job *nj = realloc(pl->jobs, cap * sizeof *nj);
        if (!nj)
            return NULL;
        pl->jobs = nj;
        pl->capjob = cap;
    }
    job *j = &pl->jobs[pl->njob++];
    memset(j, 0, sizeof *j);
    return j;
}

static void free_jobs(plotter *pl)
{
    for (size_t i = 0; i < pl->njob; i++) {
        free(pl->jobs[i].fan);
        free(pl->jobs[i].cmp);
        free(pl->jobs[i].bars);
        free(pl->jobs[i].labels);
        free(pl->jobs[i].resp);
    }
    free(pl->jobs);
}

/* Default selection: stocks, and the metrics some model's table marks as headlines
 * (REE_MD_HEADLINE: sector shortfall, stockpile level, gate approvals and backlog). The CSV names
 * no model, so a metric is a headline when any model's table says so under that name. */
static int default_metric(const char *metric)
{
    if (!strncmp(metric, "stock.", 6))
        return 1;
    size_t nm;
    const ree_model *const *models = ree_models(&nm);
    for (size_t i = 0; i < nm; i++)
        for (size_t k = 0; k < models[i]->nmetrics; k++)
            if ((models[i]->metrics[k].flags & REE_MD_HEADLINE) &&
                !strcmp(models[i]->metrics[k].name, metric))
                return 1;
    return 0;
}

/* Whether ENTITY/METRIC is selected; records which patterns matched. The name is matched at
 * its full length (a CSV field can be any length): a name cut to a fixed buffer is another name,
 * which a pattern could match when the whole does not, or miss when the whole matches. */
int pc_selected(plotter *pl, const char *entity, const char *metric, int dflt)
{
    if (!pl->npat)
        return dflt;
    size_t el = strlen(entity), ml = strlen(metric);
    if (el + ml + 2 > pl->fullcap) {
        size_t cap = el + ml + 2 > 2 * pl->fullcap ? el + ml + 2 : 2 * pl->fullcap;
        char *nf = realloc(pl->full, cap);
        if (!nf) {
            snprintf(pl->err, sizeof pl->err, "out of memory");
            return -1;
        }
        pl->full = nf;
        pl->fullcap = cap;
    }
    memcpy(pl->full, entity, el);
    pl->full[el] = '/';
    memcpy(pl->full + el + 1, metric, ml + 1);
    int hit = 0;
    for (int i = 0; i < pl->npat; i++)
        if (fnmatch(pl->patterns[i], pl->full, 0) == 0)
            hit = pl->matched[i] = 1;
    return hit;
}

const char *pc_unit_text(const char *unit)
{
    return !strcmp(unit, "1") ? "fraction" : unit;
}

/* File-name-safe copy of s: "->" becomes "-to-", anything but [A-Za-z0-9._-] becomes '_'. */
static void safe_append(char *dst, size_t len, const char *s)
{
    size_t k = strlen(dst);
    for (; *s && k + 4 < len; s++) {
        if (s[0] == '-' && s[1] == '>') {
            memcpy(dst + k, "-to-", 4);
            k += 4;
            s++;
            continue;
        }
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        dst[k++] = ok ? c : '_';
    }
    dst[k] = '\0';
}

void pc_set_name(plotter *pl, job *j, const char *prefix, const char *a, const char *b,
                 const char *c)
{
    char name[sizeof j->name - 16];
    snprintf(name, sizeof name, "%s", prefix);
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (parts[i]) {
            safe_append(name, sizeof name, "-");
            safe_append(name, sizeof name, parts[i]);
        }
    /* Distinct names for distinct charts even when sanitising made two alike. */
    snprintf(j->name, sizeof j->name, "%s", name);
    for (int k = 2;; k++) {
        int clash = 0;
        for (size_t i = 0; i + 1 < pl->njob; i++)
            if (&pl->jobs[i] != j && !strcmp(pl->jobs[i].name, j->name))
                clash = 1;
        if (!clash)
            break;
        snprintf(j->name, sizeof j->name, "%s-%d", name, k);
    }
}

/* Group the rows of `t` by the columns `keys` (nkey of them). Returns the number of groups, or
 * (size_t)-1 when out of memory. Rows keep file order within a group. */
size_t pc_group_rows(const ree_table *t, const int *keys, int nkey, series **out)
{
    series *g = NULL;
    size_t ng = 0, cap = 0, last = 0;
    for (size_t r = 0; r < ree_table_nrows(t); r++) {
        size_t hit = ng;
        for (size_t pass = 0; pass < 2 && hit == ng; pass++) {
            size_t from = pass ? 0 : last, to = pass ? ng : (ng ? last + 1 : 0);
            for (size_t i = from; i < to; i++) {
                int same = 1;
                for (int k = 0; k < nkey && same; k++)
                    same = !strcmp(ree_table_cell(t, g[i].rows[0], keys[k]),
                                   ree_table_cell(t, r, keys[k]));
                if (same) {
                    hit = i;
                    break;
                }
            }
        }
        if (hit == ng) {
            if (ng == cap) {
                size_t nc = cap ? 2 * cap : 64;
                series *ngp = realloc(g, nc * sizeof *ngp);
                if (!ngp)
                    goto nomem;
                g = ngp;
                cap = nc;
            }
            memset(&g[ng++], 0, sizeof *g);
        }
        series *s = &g[hit];
        if (s->n == s->cap) {
            size_t nc = s->cap ? 2 * s->cap : 16;
            size_t *nr = realloc(s->rows, nc * sizeof *nr);
            if (!nr)
                goto nomem;
            s->rows = nr;
            s->cap = nc;
        }
        s->rows[s->n++] = r;
        last = hit;
    }
    *out = g;
    return ng;
nomem:
    for (size_t i = 0; i < ng; i++)
        free(g[i].rows);
    free(g);
    return (size_t)-1;
}

/* Whether column `col` differs between groups (then file names carry it). */
int pc_varies(const ree_table *t, const series *g, size_t ng, int col)
{
    for (size_t i = 1; i < ng; i++)
        if (strcmp(ree_table_cell(t, g[i].rows[0], col), ree_table_cell(t, g[0].rows[0], col)))
            return 1;
    return 0;
}

void pc_free_groups(series *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++)
        free(g[i].rows);
    free(g);
}

/* Order the rows of a series by the integer `step` column; a step that is not a whole number,
 * or repeats, is a located error. */
typedef struct step_row {
    long step;
    size_t row;
} step_row;

static int by_step(const void *a, const void *b)
{
    long x = ((const step_row *)a)->step, y = ((const step_row *)b)->step;
    return (x > y) - (x < y);
}

static int sort_steps(const ree_table *t, int col, series *s, char *err, size_t errlen)
{
    step_row *sr = malloc((s->n ? s->n : 1) * sizeof *sr);
    if (!sr) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        long long x = 0;
        if (ree_table_int(t, s->rows[i], col, &x, err, errlen) < 0) {
            free(sr);
            return -1;
        }
        if (x < 0 || x > LONG_MAX) {
            snprintf(err, errlen,
                     "%s:%ld: column 'step': expected a whole number from 0, found %lld",
                     ree_table_path(t), ree_table_line(t, s->rows[i]), x);
            free(sr);
            return -1;
        }
        sr[i].step = (long)x;
        sr[i].row = s->rows[i];
    }
    qsort(sr, s->n, sizeof *sr, by_step);
    for (size_t i = 0; i < s->n; i++) {
        s->rows[i] = sr[i].row;
        if (i && sr[i].step == sr[i - 1].step) {
            snprintf(err, errlen, "%s:%ld: step %ld appears twice for the same series",
                     ree_table_path(t), ree_table_line(t, sr[i].row), sr[i].step);
            free(sr);
            return -1;
        }
    }
    free(sr);
    return 0;
}

/* Number of runs, from summary.csv when present; 0 when unknown. */
static int runs_count(const ree_table *summary, long long *runs, char *err, size_t errlen)
{
    *runs = 0;
    if (!summary || !ree_table_nrows(summary))
        return 0;
    int c = ree_table_col(summary, "runs");
    long long v;
    if (c < 0)
        return 0;
    if (ree_table_int(summary, 0, c, &v, err, errlen) < 0)
        return -1;
    *runs = v > 0 ? v : 0;
    return 0;
}

static ree_status add_fans(plotter *pl, const ree_table *t, long long runs)
{
    static const char *const cols[] = {"scenario", "step", "date", "entity", "metric", "unit",
                                       "mean",     "p05",  "p25",  "p50",    "p75",    "p95"};
    if (ree_table_require(t, cols, 12, pl->err, sizeof pl->err) < 0)
        return REE_EINVALID;
    int c[12];
    for (int i = 0; i < 12; i++)
        c[i] = ree_table_col(t, cols[i]);
    int keys[3] = {c[0], c[3], c[4]};
    series *g;
    size_t ng = pc_group_rows(t, keys, 3, &g);
    if (ng == (size_t)-1)
        return REE_ENOMEM;
    int multi = pc_varies(t, g, ng, c[0]);
    ree_status st = REE_OK;
    for (size_t i = 0; i < ng && st == REE_OK; i++) {
        size_t r0 = g[i].rows[0];
        const char *scn = ree_table_cell(t, r0, c[0]), *ent = ree_table_cell(t, r0, c[3]),
                   *met = ree_table_cell(t, r0, c[4]), *unit = ree_table_cell(t, r0, c[5]);
        int sel = pc_selected(pl, ent, met, default_metric(met));
        if (sel < 0) {
            st = REE_ENOMEM;
            break;
        }
        if (!sel)
            continue;
        if (sort_steps(t, c[1], &g[i], pl->err, sizeof pl->err) < 0) {
            st = REE_EINVALID;
            break;
        }
        job *j = pc_new_job(pl);
        if (!j || !(j->fan = calloc(g[i].n, sizeof *j->fan))) {
            st = REE_ENOMEM;
            break;
        }
        j->kind = CHART_FAN;
        j->n = g[i].n;
        for (size_t k = 0; k < g[i].n && st == REE_OK; k++) {
            size_t r = g[i].rows[k];
            ree_fan_point *q = &j->fan[k];
            q->date = ree_table_cell(t, r, c[2]);
            int month; /* a tick label: a month as reesim writes one, or a located error */
            if (ree_table_month(t, r, c[2], &month, pl->err, sizeof pl->err) < 0) {
                st = REE_EINVALID;
                break;
            }
            /* The mean always (a cell has every run's value); the quantiles all five, or none
             * when the run kept no series quantiles (--series-quantiles). */
            double *v[6] = {&q->mean, &q->p05, &q->p25, &q->p50, &q->p75, &q->p95};
            int empty = 0;
            for (int m = 0; m < 6 && st == REE_OK; m++)
                if (ree_table_num(t, r, c[6 + m], m ? REE_TABLE_EMPTY : 0, v[m], pl->err,
                                  sizeof pl->err) < 0)
                    st = REE_EINVALID;
                else
                    empty += m && isnan(*v[m]);
            if (st == REE_OK && empty && empty < 5) {
                snprintf(pl->err, sizeof pl->err,
                         "%s:%ld: columns p05 to p95: expected all five quantiles or none (a run "
                         "without series quantiles), found %d empty",
                         ree_table_path(t), ree_table_line(t, r), empty);
                st = REE_EINVALID;
            }
        }
        snprintf(j->title, sizeof j->title, "%s: %s %s", scn, ent, met);
        int bands = 0; /* none when the run kept no series quantiles (--series-quantiles) */
        for (size_t k = 0; k < j->n && !bands; k++)
            bands = !isnan(j->fan[k].p05) || !isnan(j->fan[k].p50) || !isnan(j->fan[k].p95);
        if (!bands && runs)
            snprintf(j->subtitle, sizeof j->subtitle,
                     "mean of %lld runs each month (no quantiles kept: --series-quantiles)", runs);
        else if (!bands)
            snprintf(j->subtitle, sizeof j->subtitle,
                     "mean of the runs each month (no quantiles kept: --series-quantiles)");
        else if (runs)
            snprintf(j->subtitle, sizeof j->subtitle,
                     "%lld runs: median, middle 50%% and middle 90%% of runs each month", runs);
        else
            snprintf(j->subtitle, sizeof j->subtitle,
                     "median, middle 50%% and middle 90%% of runs each month");
        snprintf(j->ylabel, sizeof j->ylabel, "%s (%s)", met, pc_unit_text(unit));
        pc_set_name(pl, j, "fan", multi ? scn : NULL, ent, met);
    }
    pc_free_groups(g, ng);
    return st;
}

static ree_status add_compare(plotter *pl, const ree_table *t)
{
    static const char *const cols[] = {
        "base", "scenario",  "step",          "date",      "entity",        "metric",
        "unit", "base_mean", "scenario_mean", "diff_mean", "diff_ci95_low", "diff_ci95_high"};
    if (ree_table_require(t, cols, 12, pl->err, sizeof pl->err) < 0)
        return REE_EINVALID;
    int c[12];
    for (int i = 0; i < 12; i++)
        c[i] = ree_table_col(t, cols[i]);
    int keys[4] = {c[0], c[4], c[5], c[1]}; /* base, entity, metric, scenario */
    series *g;
    size_t ng = pc_group_rows(t, keys, 4, &g);
    if (ng == (size_t)-1)
        return REE_ENOMEM;
    int multi = pc_varies(t, g, ng, c[0]);
    ree_status st = REE_OK;
    for (size_t i = 0; i < ng && st == REE_OK; i++)
        if (sort_steps(t, c[2], &g[i], pl->err, sizeof pl->err) < 0)
            st = REE_EINVALID;
    /* Dates are tick labels: a month as reesim writes one on every row, or a located error. */
    for (size_t r = 0, nr = ree_table_nrows(t); r < nr && st == REE_OK; r++) {
        int month;
        if (ree_table_month(t, r, c[3], &month, pl->err, sizeof pl->err) < 0)
            st = REE_EINVALID;
    }
    char *done = calloc(ng ? ng : 1, 1);
    if (!done)
        st = REE_ENOMEM;
    for (size_t i = 0; i < ng && st == REE_OK; i++) {
        if (done[i])
            continue;
        size_t r0 = g[i].rows[0];
        const char *base = ree_table_cell(t, r0, c[0]), *ent = ree_table_cell(t, r0, c[4]),
                   *met = ree_table_cell(t, r0, c[5]), *unit = ree_table_cell(t, r0, c[6]);
        /* The cases of this (base, entity, metric), in order of first appearance. */
        size_t idx[MAX_CASES], ncase = 0;
        for (size_t k = i; k < ng; k++) {
            size_t rk = g[k].rows[0];
            if (done[k] || strcmp(ree_table_cell(t, rk, c[0]), base) ||
                strcmp(ree_table_cell(t, rk, c[4]), ent) ||
                strcmp(ree_table_cell(t, rk, c[5]), met))
                continue;
            done[k] = 1;
            if (ncase < MAX_CASES)
                idx[ncase++] = k;
        }
        int sel = pc_selected(pl, ent, met, default_metric(met));
        if (sel < 0) {
            st = REE_ENOMEM;
            break;
        }
        if (!sel)
            continue;
        size_t n = g[i].n;
        job *j = pc_new_job(pl);
        if (!j || !(j->cmp = calloc(n * ncase, sizeof *j->cmp))) {
            st = REE_ENOMEM;
            break;
        }
        j->kind = CHART_COMPARE;
        j->n = n;
        j->ncase = ncase;
        j->base = base;
        for (size_t k = 0; k < ncase && st == REE_OK; k++) {
            series *s = &g[idx[k]];
            j->cases[k] = ree_table_cell(t, s->rows[0], c[1]);
            /* Align on the first case's steps; a month another case lacks is NaN. */
            size_t m = 0;
            for (size_t p = 0; p < n && st == REE_OK; p++) {
                size_t rp = g[i].rows[p];
                long step = atol(ree_table_cell(t, rp, c[2]));
                ree_cmp_point *q = &j->cmp[k * n + p];
                q->date = ree_table_cell(t, rp, c[3]);
                while (m < s->n && atol(ree_table_cell(t, s->rows[m], c[2])) < step)
                    m++;
                if (m >= s->n || atol(ree_table_cell(t, s->rows[m], c[2])) != step) {
                    q->base_mean = q->scenario_mean = q->diff_mean = q->diff_lo = q->diff_hi = NAN;
                    continue;
                }
                double *v[5] = {&q->base_mean, &q->scenario_mean, &q->diff_mean, &q->diff_lo,
                                &q->diff_hi};
                /* Means always; the CI is empty when the comparison had one run. */
                for (int f = 0; f < 5 && st == REE_OK; f++)
                    if (ree_table_num(t, s->rows[m], c[7 + f], f < 3 ? 0 : REE_TABLE_EMPTY, v[f],
                                      pl->err, sizeof pl->err) < 0)
                        st = REE_EINVALID;
            }
        }
        int len = snprintf(j->title, sizeof j->title, "%s vs", base);
        for (size_t k = 0; k < ncase && len > 0 && (size_t)len < sizeof j->title; k++)
            len += snprintf(j->title + len, sizeof j->title - (size_t)len, "%s %s", k ? "," : "",
                            j->cases[k]);
        if (len > 0 && (size_t)len < sizeof j->title)
            snprintf(j->title + len, sizeof j->title - (size_t)len, ": %s %s", ent, met);
        snprintf(j->subtitle, sizeof j->subtitle,
                 "top: mean of the paired runs per case; bottom: mean difference with 95%% CI");
        snprintf(j->ylabel, sizeof j->ylabel, "%s (%s)", met, pc_unit_text(unit));
        pc_set_name(pl, j, "compare", multi ? base : NULL, ent, met);
    }
    free(done);
    pc_free_groups(g, ng);
    return st;
}

static ree_status load_opt(plotter *pl, const char *name, ree_table **t)
{
    char path[REE_CLI_PATH_MAX];
    *t = NULL;
    int n = snprintf(path, sizeof path, "%s/%s", pl->dir, name);
    if (n < 0 || (size_t)n >= sizeof path) { /* never a shortened path: it names another file */
        snprintf(pl->err, sizeof pl->err, "OUTDIR is too long: a path may have at most %zu bytes",
                 sizeof path - 1);
        return REE_EUSAGE;
    }
    if (access(path, F_OK) != 0)
        return REE_OK;
    ree_status st;
    *t = ree_table_load(path, &st, pl->err, sizeof pl->err);
    return *t ? REE_OK : st;
}

/* Draw one chart: gnuplot's image, whole and complete, into *im (in a temporary file; the
 * caller frees it with ree_plot_image_free). */
static ree_status draw(const job *j, ree_plot_format fmt, ree_plot_image *im, int *missing,
                       char *err, size_t errlen)
{
    char *script = NULL;
    size_t len = 0;
    memset(im, 0, sizeof *im);
    FILE *s = open_memstream(&script, &len);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return REE_ENOMEM;
    }
    ree_chart_text tx = {j->title, *j->subtitle ? j->subtitle : NULL, j->ylabel,
                         *j->xlabel ? j->xlabel : NULL};
    if (j->kind == CHART_FAN)
        ree_plot_fan_script(s, fmt, &tx, j->fan, j->n);
    else if (j->kind == CHART_COMPARE)
        ree_plot_compare_script(s, fmt, &tx, j->base, j->cases, j->ncase, j->cmp, j->n);
    else if (j->kind == CHART_RESPONSE)
        ree_plot_response_script(s, fmt, &tx, j->cases, j->gcount, j->ncase, j->resp, j->scatter);
    else
        ree_plot_bars_script(s, fmt, &tx, j->bars, j->n);
    if (fclose(s) != 0) {
        free(script);
        snprintf(err, errlen, "out of memory");
        return REE_ENOMEM;
    }
    ree_status st = ree_plot_run(script, len, im, missing, err, errlen);
    free(script);
    if (st == REE_OK && !im->len) {
        snprintf(err, errlen, "gnuplot wrote no image");
        st = REE_EINTERNAL;
    } else if (st == REE_OK && !ree_plot_complete(fmt, im)) {
        snprintf(err, errlen, "gnuplot wrote an incomplete image (%zu bytes, no %s at its end)",
                 im->len, fmt == REE_PLOT_PNG ? "IEND chunk" : "</svg>");
        st = REE_EINTERNAL;
    }
    if (st != REE_OK)
        ree_plot_image_free(im);
    return st;
}

/* Copy the image to the chart file: `name` in the folder open on `dirfd` (shown as `dir`), or,
 * when dirfd is -1, the path `path` (-o FILE). A single-file output set: written in a private
 * folder beside the chart, a chunk at a time (ree_outset_file_direct: nothing held in memory),
 * fsynced and renamed over it, so the file is complete or untouched; a failed write is REE_EIO
 * naming the chart ("cannot write 'PATH': No space left on device"). */
static ree_status save(ree_plot_image *im, int dirfd, const char *dir, const char *name,
                       const char *path, char *err, size_t errlen)
{
    ree_status st;
    ree_outset *o = dirfd >= 0 ? ree_outset_open_file_at(dirfd, dir, name, &st, err, errlen)
                               : ree_outset_open_file(path, &st, err, errlen);
    if (!o)
        return st;
    const char *slash = strrchr(path, '/');
    FILE *f = ree_outset_file_direct(o, slash ? slash + 1 : path, &st);
    int werr = 0;
    if (!f) {
        snprintf(err, errlen, st == REE_ENOMEM ? "out of memory" : "cannot create '%.200s'", path);
    } else if (fseek(im->f, 0, SEEK_SET) != 0) {
        werr = errno;
        snprintf(err, errlen, "cannot read gnuplot's image back: %s", strerror(werr));
        st = REE_EIO;
    } else {
        unsigned char chunk[65536];
        size_t n;
        while (!werr && (n = fread(chunk, 1, sizeof chunk, im->f)) > 0)
            if (fwrite(chunk, 1, n, f) != n)
                werr = errno ? errno : EIO;
        if (!werr && ferror(im->f)) {
            snprintf(err, errlen, "cannot read gnuplot's image back: %s", strerror(EIO));
            st = REE_EIO;
        } else if (werr) { /* the set is aborted below: the chart is untouched */
            snprintf(err, errlen, "cannot write '%.200s': %s", path, strerror(werr));
            st = REE_EIO;
        } else {
            st = ree_outset_commit(o, err, errlen);
        }
    }
    ree_outset_free(o);
    return st;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

ree_status ree_cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'F'},
                                         {"series", required_argument, 0, 'S'},
                                         {"chart", required_argument, 0, 'C'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    plotter pl;
    memset(&pl, 0, sizeof pl);
    const char *out = NULL;
    int fmt = -1, quiet = 0, kinds = 0, c, dirfd = -1;
    unsigned char seen[256] = {0};
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        /* --series and --chart add to a list; -o and --format take one value */
        if (c > 0 && c < 256 && ree_cli_once("plot", opts, ":o:qh", "SC", seen, c) != 0)
            return REE_EUSAGE;
        switch (c) {
        case 'o':
            if (ree_cli_out_arg("plot", optarg))
                return REE_EUSAGE;
            out = optarg;
            break;
        case 'F':
            if (!strcmp(optarg, "svg"))
                fmt = REE_PLOT_SVG;
            else if (!strcmp(optarg, "png"))
                fmt = REE_PLOT_PNG;
            else {
                ree_cli_usage_error("plot", "--format expects svg or png, found '%s'", optarg);
                return REE_EUSAGE;
            }
            break;
        case 'C':
            if (!strcmp(optarg, "fan"))
                kinds |= 1 << CHART_FAN;
            else if (!strcmp(optarg, "compare"))
                kinds |= 1 << CHART_COMPARE;
            else if (!strcmp(optarg, "diff"))
                kinds |= 1 << CHART_BARS;
            else if (!strcmp(optarg, "sweep"))
                kinds |= 1 << CHART_RESPONSE;
            else {
                ree_cli_usage_error(
                    "plot", "--chart expects fan, compare, diff or sweep, found '%s'", optarg);
                return REE_EUSAGE;
            }
            break;
        case 'S':
            if (pl.npat == MAX_PATTERNS) {
                ree_cli_usage_error("plot", "at most %d --series patterns", MAX_PATTERNS);
                return REE_EUSAGE;
            }
            pl.patterns[pl.npat++] = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(plot_help, stdout);
            return REE_OK;
        case ':':
            ree_cli_usage_error("plot", "option '%s' needs a value", argv[optind - 1]);
            return REE_EUSAGE;
        default:
            ree_cli_usage_error("plot", "unknown option '%s'", argv[optind - 1]);
            return REE_EUSAGE;
        }
    }
    if (optind != argc - 1) {
        ree_cli_usage_error("plot",
                            optind >= argc ? "missing OUTDIR (the folder of a reesim run or "
                                             "compare)"
                                           : "expected one OUTDIR, found %d",
                            argc - optind);
        return REE_EUSAGE;
    }
    pl.dir = argv[optind];
    int single = out && (ends_with(out, ".svg") || ends_with(out, ".png"));
    if (single) {
        int ext = ends_with(out, ".png") ? REE_PLOT_PNG : REE_PLOT_SVG;
        if (fmt >= 0 && fmt != ext) {
            ree_cli_usage_error("plot", "--format %s contradicts the -o file name '%s'",
                                ree_plot_ext((ree_plot_format)fmt), out);
            return REE_EUSAGE;
        }
        fmt = ext;
    }
    if (fmt < 0)
        fmt = REE_PLOT_SVG;

    ree_table *ts = NULL, *summary = NULL, *cmp = NULL, *cmpts = NULL, *sweep = NULL;
    ree_status st = load_opt(&pl, "timeseries.csv", &ts);
    if (st == REE_OK)
        st = load_opt(&pl, "summary.csv", &summary);
    if (st == REE_OK)
        st = load_opt(&pl, "compare_timeseries.csv", &cmpts);
    if (st == REE_OK)
        st = load_opt(&pl, "compare.csv", &cmp);
    if (st == REE_OK)
        st = load_opt(&pl, "sweep.csv", &sweep);
    if (st == REE_OK && !ts && !cmp && !cmpts && !sweep) {
        snprintf(pl.err, sizeof pl.err,
                 "%s holds no timeseries.csv, compare_timeseries.csv, compare.csv or sweep.csv "
                 "(the output of 'reesim run', 'reesim compare' or 'reesim sweep')",
                 pl.dir);
        st = REE_ENOINPUT;
    }
    long long runs = 0;
    if (st == REE_OK && runs_count(summary, &runs, pl.err, sizeof pl.err) < 0)
        st = REE_EINVALID;
    int asked = kinds; /* the kinds --chart named, 0 for all */
    if (!kinds)
        kinds = 1 << CHART_FAN | 1 << CHART_COMPARE | 1 << CHART_BARS | 1 << CHART_RESPONSE;
    if (st == REE_OK && ts && (kinds & 1 << CHART_FAN))
        st = add_fans(&pl, ts, runs);
    if (st == REE_OK && cmpts && (kinds & 1 << CHART_COMPARE))
        st = add_compare(&pl, cmpts);
    if (st == REE_OK && cmp && (kinds & 1 << CHART_BARS))
        st = pc_add_bars(&pl, cmp);
    if (st == REE_OK && sweep && (kinds & 1 << CHART_RESPONSE))
        st = pc_add_sweep(&pl, sweep);
    ree_status code = REE_OK;
    if (st != REE_OK) {
        fprintf(stderr, "reesim plot: %s\n", *pl.err ? pl.err : ree_status_message(st));
        code = st;
        goto done;
    }
    for (int i = 0; i < pl.npat; i++)
        if (!pl.matched[i]) {
            ree_cli_usage_error("plot", "--series '%s' matches no series in %s", pl.patterns[i],
                                pl.dir);
            code = REE_EUSAGE;
            goto done;
        }
    if (!pl.njob) { /* a missing input (66), never malformed (65) */
        static const char *const files[] = {"timeseries.csv", "compare_timeseries.csv",
                                            "compare.csv", "sweep.csv"};
        static const char *const names[] = {"fan", "compare", "diff", "sweep"};
        const ree_table *src[] = {ts, cmpts, cmp, sweep};
        int absent = 1;
        for (int k = 0; k < 4; k++)
            if ((kinds & 1 << k) && src[k])
                absent = 0;
        if (asked && absent) {
            fprintf(stderr, "reesim plot: nothing to draw in %s: it holds no", pl.dir);
            for (int k = 0, n = 0; k < 4; k++)
                if (asked & 1 << k)
                    fprintf(stderr, "%s %s (--chart %s)", n++ ? " or" : "", files[k], names[k]);
            fputc('\n', stderr);
        } else {
            fprintf(stderr,
                    "reesim plot: nothing to draw in %s: no series that the selection covers "
                    "(choose with --series or --chart)\n",
                    pl.dir);
        }
        code = REE_ENOINPUT;
        goto done;
    }
    if (single && pl.njob != 1) {
        ree_cli_usage_error("plot",
                            "-o %s writes one chart but %zu are selected; choose one with "
                            "--series or give a directory",
                            out, pl.njob);
        code = REE_EUSAGE;
        goto done;
    }
    /* No path is ever shortened (it would name another file, which the chart would replace):
     * one too long is a usage error naming where it came from. */
    char dir[REE_CLI_PATH_MAX];
    const char *what = out ? "-o" : "OUTDIR";
    if (single) {
        const char *slash = strrchr(out, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
        if (!*dir)
            snprintf(dir, sizeof dir, "/");
    } else if (out ? ree_cli_path(dir, sizeof dir, "plot", what, "%s", out)
                   : ree_cli_path(dir, sizeof dir, "plot", what, "%s/plots", pl.dir)) {
        code = REE_EUSAGE;
        goto done;
    }
    for (size_t i = 0; i < pl.njob; i++) {
        char image[REE_CLI_PATH_MAX];
        if (single ? ree_cli_path(image, sizeof image, "plot", what, "%s", out)
                   : ree_cli_path(image, sizeof image, "plot", what, "%s/%s.%s", dir,
                                  pl.jobs[i].name, ree_plot_ext((ree_plot_format)fmt))) {
            code = REE_EUSAGE;
            goto done;
        }
        int missing = 0;
        ree_plot_image im;
        st = draw(&pl.jobs[i], (ree_plot_format)fmt, &im, &missing, pl.err, sizeof pl.err);
        if (missing) {
            fprintf(stderr, "reesim plot needs gnuplot: apt-get install gnuplot-nox (%s)\n",
                    pl.err);
            code = REE_EUNAVAILABLE;
            goto done;
        }
        /* The chart folder (OUTDIR/plots or -o DIR) is created and opened once, when the first
         * chart is drawn, without following a symlink there: a result folder from someone else
         * may hold a `plots` link pointing anywhere. Each chart is then created through it. */
        if (st == REE_OK && !single && dirfd < 0 &&
            (dirfd = ree_outset_open_dir(dir, &st, pl.err, sizeof pl.err)) < 0) {
            ree_plot_image_free(&im);
            fprintf(stderr, "reesim plot: %s\n", pl.err);
            code = st;
            goto done;
        }
        if (st != REE_OK) {
            fprintf(stderr, "reesim plot: %s: %s\n", image, pl.err);
            code = st;
            goto done;
        }
        const char *name = strrchr(image, '/');
        st = save(&im, dirfd, dir, name ? name + 1 : image, image, pl.err, sizeof pl.err);
        ree_plot_image_free(&im);
        if (st != REE_OK) { /* the message names the chart */
            fprintf(stderr, "reesim plot: %s\n", pl.err);
            code = st;
            goto done;
        }
        if (!quiet)
            printf("%s\n", image);
    }
done:
    if (dirfd >= 0)
        close(dirfd);
    free_jobs(&pl);
    free(pl.full);
    ree_table_free(ts);
    ree_table_free(summary);
    ree_table_free(cmp);
    ree_table_free(cmpts);
    ree_table_free(sweep);
    return code;
}
