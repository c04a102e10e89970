/* Bar charts of indicator differences (compare.csv) and response charts of a sweep (sweep.csv)
 * for `reesim plot` (see plot_cmd.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "explore_cli.h"
#include "model.h"
#include "plot_cmd.h"

/* Largest difference first; NaN last; ties by label, so the order does not depend on qsort. */
static int by_size(const void *a, const void *b)
{
    const ree_bar *p = a, *q = b;
    double x = fabs(p->diff), y = fabs(q->diff);
    if (isnan(x))
        x = -1;
    if (isnan(y))
        y = -1;
    if (x != y)
        return x < y ? 1 : -1;
    return strcmp(p->label, q->label);
}

ree_status pc_add_bars(plotter *pl, const ree_table *t)
{
    int ind = ree_table_col(t, "indicator") >= 0 ? ree_table_col(t, "indicator")
                                                 : ree_table_col(t, "metric");
    if (ind < 0) {
        static const char *const one[] = {"indicator"};
        ree_table_require(t, one, 1, pl->err, sizeof pl->err);
        return REE_EINVALID;
    }
    static const char *const cols[] = {"base",      "scenario",      "entity",        "unit",
                                       "diff_mean", "diff_ci95_low", "diff_ci95_high"};
    if (ree_table_require(t, cols, 7, pl->err, sizeof pl->err) < 0)
        return REE_EINVALID;
    int c[7];
    for (int i = 0; i < 7; i++)
        c[i] = ree_table_col(t, cols[i]);
    int pw = ree_table_col(t, "prob_worse");
    int keys[3] = {c[0], c[1], c[3]};
    series *g;
    size_t ng = pc_group_rows(t, keys, 3, &g);
    if (ng == (size_t)-1)
        return REE_ENOMEM;
    int multi_base = pc_varies(t, g, ng, c[0]);
    ree_status st = REE_OK;
    for (size_t i = 0; i < ng && st == REE_OK; i++) {
        size_t r0 = g[i].rows[0];
        const char *base = ree_table_cell(t, r0, c[0]), *scn = ree_table_cell(t, r0, c[1]),
                   *unit = ree_table_cell(t, r0, c[3]);
        ree_bar *bars = calloc(g[i].n, sizeof *bars);
        size_t lablen = 0;
        for (size_t k = 0; k < g[i].n; k++)
            lablen += strlen(ree_table_cell(t, g[i].rows[k], c[2])) +
                      strlen(ree_table_cell(t, g[i].rows[k], ind)) + 2;
        char *labels = malloc(lablen + 1), *lp = labels;
        if (!bars || !labels) {
            free(bars);
            free(labels);
            st = REE_ENOMEM;
            break;
        }
        size_t n = 0, same = 0;
        for (size_t k = 0; k < g[i].n && st == REE_OK; k++) {
            size_t r = g[i].rows[k];
            const char *ent = ree_table_cell(t, r, c[2]), *name = ree_table_cell(t, r, ind);
            ree_bar *b = &bars[n];
            /* The difference always; the CI is empty with one run, prob_worse for a neutral
             * indicator. */
            if (ree_table_num(t, r, c[4], 0, &b->diff, pl->err, sizeof pl->err) < 0 ||
                ree_table_num(t, r, c[5], REE_TABLE_EMPTY, &b->lo, pl->err, sizeof pl->err) < 0 ||
                ree_table_num(t, r, c[6], REE_TABLE_EMPTY, &b->hi, pl->err, sizeof pl->err) < 0) {
                st = REE_EINVALID;
                break;
            }
            b->prob_worse = NAN;
            if (pw >= 0 && ree_table_num(t, r, pw, REE_TABLE_EMPTY, &b->prob_worse, pl->err,
                                         sizeof pl->err) < 0) {
                st = REE_EINVALID;
                break;
            }
            int sel = pc_selected(pl, ent, name, 1);
            if (sel < 0) {
                st = REE_ENOMEM;
                break;
            }
            if (!sel)
                continue;
            if (b->diff == 0 && b->lo == 0 && b->hi == 0) {
                same++; /* identical in every run: nothing to draw */
                continue;
            }
            b->label = lp;
            lp += sprintf(lp, "%s %s", ent, name) + 1;
            n++;
        }
        if (st != REE_OK || n == 0) {
            free(bars);
            free(labels);
            continue;
        }
        qsort(bars, n, sizeof *bars, by_size);
        job *j = pc_new_job(pl);
        if (!j) {
            free(bars);
            free(labels);
            st = REE_ENOMEM;
            break;
        }
        j->kind = CHART_BARS;
        j->bars = bars;
        j->labels = labels;
        j->n = n;
        snprintf(j->title, sizeof j->title, "%s vs %s: indicator differences in %s", scn, base,
                 pc_unit_text(unit));
        int ci = 0; /* a one-run comparison has no CI: the subtitle says so */
        for (size_t k = 0; k < n && !ci; k++)
            ci = isfinite(bars[k].lo) && isfinite(bars[k].hi);
        int w = snprintf(j->subtitle, sizeof j->subtitle,
                         ci ? "mean paired difference with 95%% CI, largest first"
                            : "mean paired difference, largest first (one run: no CI)");
        if (same && w > 0 && (size_t)w < sizeof j->subtitle)
            snprintf(j->subtitle + w, sizeof j->subtitle - (size_t)w,
                     "; %zu indicator%s equal in every run not shown", same, same == 1 ? "" : "s");
        snprintf(j->ylabel, sizeof j->ylabel, "difference (%s)", pc_unit_text(unit));
        pc_set_name(pl, j, "diff", multi_base ? base : NULL, scn, pc_unit_text(unit));
    }
    pc_free_groups(g, ng);
    return st;
}

/* Load DIR/NAME when it exists: 0 and *t NULL when absent. */
/* An indicator is a default sweep chart when some model's table marks it a headline. */
static int default_indicator(const char *name)
{
    size_t nm;
    const ree_model *const *models = ree_models(&nm);
    for (size_t i = 0; i < nm; i++)
        for (size_t k = 0; k < models[i]->nindicators; k++)
            if ((models[i]->indicators[k].flags & REE_MD_HEADLINE) &&
                !strcmp(models[i]->indicators[k].name, name))
                return 1;
    return 0;
}

typedef struct resp_row {
    int group;
    ree_resp_point p;
} resp_row;

static int by_group_x(const void *a, const void *b)
{
    const resp_row *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->p.x > y->p.x) - (x->p.x < y->p.x);
}

/* Response charts of a sweep (sweep.csv): each selected indicator against the first input that
 * varies, one line per value of the second when exactly two vary and the second takes at most
 * MAX_GROUPS values; otherwise the cases as points (other inputs varying too). */
ree_status pc_add_sweep(plotter *pl, const ree_table *t)
{
    static const char *const cols[] = {"case", "entity", "indicator", "unit", "mean", "p05", "p95"};
    if (ree_table_require(t, cols, 7, pl->err, sizeof pl->err) < 0)
        return REE_EINVALID;
    int c[7];
    for (int i = 0; i < 7; i++)
        c[i] = ree_table_col(t, cols[i]);
    /* Read as `reesim discover` reads it (cli/sweep_csv.c): the header `reesim sweep` writes,
     * and every row checked, the same inputs on every row of a case among them. */
    size_t nrow = ree_table_nrows(t);
    if (ree_sweep_check_header(t, c[1], pl->err, sizeof pl->err))
        return REE_EINVALID;
    double *xall = malloc((nrow ? nrow : 1) * (size_t)(c[1] - 1) * sizeof *xall);
    if (!xall)
        return REE_ENOMEM;
    ree_status chk = ree_sweep_check_rows(t, c[1] - 1, -1, xall, NULL, pl->err, sizeof pl->err);
    free(xall);
    if (chk != REE_OK)
        return chk;
    int vx = -1, vg = -1, nvary = 0;
    for (int i = 1; i < c[1]; i++) {
        int v = 0;
        for (size_t r = 1; r < nrow && !v; r++)
            v = strcmp(ree_table_cell(t, r, i), ree_table_cell(t, 0, i)) != 0;
        if (v) {
            nvary++;
            if (vx < 0)
                vx = i;
            else if (vg < 0)
                vg = i;
        }
    }
    if (vx < 0)
        return REE_OK;
    int keys[2] = {c[1], c[2]};
    series *g;
    size_t ng = pc_group_rows(t, keys, 2, &g);
    if (ng == (size_t)-1)
        return REE_ENOMEM;
    ree_status st = REE_OK;
    for (size_t i = 0; i < ng && st == REE_OK; i++) {
        size_t r0 = g[i].rows[0];
        const char *ent = ree_table_cell(t, r0, c[1]), *ind = ree_table_cell(t, r0, c[2]),
                   *unit = ree_table_cell(t, r0, c[3]);
        int sel = pc_selected(pl, ent, ind, default_indicator(ind));
        if (sel < 0) {
            st = REE_ENOMEM;
            break;
        }
        if (!sel)
            continue;
        resp_row *rows = calloc(g[i].n, sizeof *rows);
        double gv[MAX_GROUPS];
        int ngv = 0, grouped = nvary == 2;
        if (!rows) {
            st = REE_ENOMEM;
            break;
        }
        for (size_t k = 0; k < g[i].n && st == REE_OK; k++) {
            size_t r = g[i].rows[k];
            double *v[4] = {&rows[k].p.x, &rows[k].p.mean, &rows[k].p.p05, &rows[k].p.p95};
            int col[4] = {vx, c[4], c[5], c[6]};
            for (int m = 0; m < 4 && st == REE_OK; m++)
                if (ree_table_num(t, r, col[m], 0, v[m], pl->err, sizeof pl->err) < 0)
                    st = REE_EINVALID;
            double y;
            if (st == REE_OK && grouped) {
                if (ree_table_num(t, r, vg, 0, &y, pl->err, sizeof pl->err) < 0) {
                    st = REE_EINVALID;
                    break;
                }
                int at = -1;
                for (int q = 0; q < ngv; q++)
                    if (gv[q] == y)
                        at = q;
                if (at < 0 && ngv == MAX_GROUPS)
                    grouped = 0;
                else if (at < 0)
                    gv[at = ngv++] = y;
                rows[k].group = at;
            }
        }
        if (st != REE_OK) {
            free(rows);
            break;
        }
        if (!grouped)
            for (size_t k = 0; k < g[i].n; k++)
                rows[k].group = 0;
        else /* groups in increasing value of the second input */
            for (int a = 0; a < ngv; a++)
                for (int b = a + 1; b < ngv; b++)
                    if (gv[b] < gv[a]) {
                        double tmp = gv[a];
                        gv[a] = gv[b];
                        gv[b] = tmp;
                    }
        if (grouped)
            for (size_t k = 0; k < g[i].n; k++) {
                double y;
                ree_table_num(t, g[i].rows[k], vg, 0, &y, pl->err, sizeof pl->err);
                for (int q = 0; q < ngv; q++)
                    if (gv[q] == y)
                        rows[k].group = q;
            }
        qsort(rows, g[i].n, sizeof *rows, by_group_x);
        job *j = pc_new_job(pl);
        if (!j || !(j->resp = calloc(g[i].n, sizeof *j->resp)) ||
            !(j->labels = calloc(MAX_GROUPS, GROUP_LABEL))) {
            free(rows);
            st = REE_ENOMEM;
            break;
        }
        j->kind = CHART_RESPONSE;
        j->n = g[i].n;
        j->ncase = grouped ? (size_t)ngv : 1;
        j->scatter = nvary > 1 && !grouped;
        for (size_t k = 0; k < g[i].n; k++) {
            j->resp[k] = rows[k].p;
            j->gcount[rows[k].group]++;
        }
        free(rows);
        for (size_t q = 0; q < j->ncase; q++) {
            char *lab = j->labels + q * GROUP_LABEL;
            if (grouped)
                snprintf(lab, GROUP_LABEL, "%.60s = %g", ree_table_colname(t, vg), gv[q]);
            j->cases[q] = grouped ? lab : NULL;
        }
        snprintf(j->title, sizeof j->title, "sweep: %s %s", ent, ind);
        snprintf(j->subtitle, sizeof j->subtitle,
                 "%zu cases: mean across each case's runs, bars p05-p95%s", g[i].n,
                 nvary > 1 && !grouped ? "; other inputs vary too" : "");
        snprintf(j->xlabel, sizeof j->xlabel, "%s", ree_table_colname(t, vx));
        snprintf(j->ylabel, sizeof j->ylabel, "%s (%s)", ind, pc_unit_text(unit));
        pc_set_name(pl, j, "sweep", ent, ind, NULL);
    }
    pc_free_groups(g, ng);
    return st;
}
