/* Result files: timeseries, summary, fit, resolved scenario, metadata (see output.h). */
#include <cjson/cJSON.h>
#include <omp.h>
#include <gsl/gsl_version.h>
#include <math.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>
#include "output.h"
#include "exec.h"

const char *const ree_runs_columns[6] = {"scenario", "run", "entity", "indicator", "unit", "value"};

static void stats_cols(ree_csv *c, const ree_cell_stats *s)
{
    ree_csv_num(c, s->mean);
    ree_csv_num(c, s->sd);
    ree_csv_num(c, s->p05);
    ree_csv_num(c, s->p25);
    ree_csv_num(c, s->p50);
    ree_csv_num(c, s->p75);
    ree_csv_num(c, s->p95);
}

/*
 * Rows formatted on several threads, written in order. Rows are cut into chunks of at most
 * ROW_CHUNK rows, and at least ROW_CHUNKS_PER_THREAD chunks a thread while a chunk keeps
 * ROW_CHUNK_MIN rows: with chunks of 2,048 rows, historical-2025's 9,282 timeseries rows made 5
 * chunks for 2 threads, and one thread formatted the last alone while the other waited (~20 ms,
 * a perf timeline at -j2);
 * each thread formats a chunk into its own memory CSV, and the chunks are appended to the file in
 * chunk order (an ordered loop), so the file holds exactly the bytes one thread would write, for
 * any thread count. One thread (or few rows): straight into the file.
 *
 * `sort`, when not NULL, is the accumulator whose cell r row r reads: each chunk first puts the
 * points of its own cells in order (ree_acc_sort_points_range, with the thread's scratch), so that
 * this last step before the queries runs on every thread too instead of on one before them (it was
 * 5% of historical-2025's time at -j2, with the other thread idle). A cell's sort does not depend
 * on which thread does it.
 */
#define ROW_CHUNK             2048
#define ROW_CHUNK_MIN         64
#define ROW_CHUNKS_PER_THREAD 8

typedef void (*row_fn)(ree_csv *c, const ree_plan *p, const ree_mc_result *res, size_t row);

static ree_status write_rows(ree_csv *c, const ree_plan *p, const ree_mc_result *res, size_t nrows,
                             row_fn row, ree_acc *sort)
{
    int threads = res->threads;
    size_t chunk = threads > 1 ? nrows / ((size_t)threads * ROW_CHUNKS_PER_THREAD) : ROW_CHUNK;
    chunk = chunk < ROW_CHUNK_MIN ? ROW_CHUNK_MIN : chunk > ROW_CHUNK ? ROW_CHUNK : chunk;
    size_t nchunk = (nrows + chunk - 1) / chunk;
    if (threads > (int)nchunk)
        threads = (int)nchunk;
    /* Row r reads cell r of `sort` and no other (a table of another length: every cell sorted
     * first), so that no query sorts a cell lazily, with the accumulator's shared scratch, while
     * other threads format. */
    if (sort && (threads <= 1 || ree_acc_ncell(sort) != nrows)) {
        if (ree_acc_sort_points(sort) != 0)
            return REE_ENOMEM;
        sort = NULL;
    }
    if (threads <= 1) {
        for (size_t r = 0; r < nrows; r++)
            row(c, p, res, r);
        return REE_OK;
    }
    ree_csv **mem = calloc((size_t)threads, sizeof *mem);
    double **tmp = calloc((size_t)threads, sizeof *tmp);
    int ok = mem && tmp;
    for (int t = 0; ok && t < threads; t++)
        ok = (mem[t] = ree_csv_mem_alloc()) != NULL &&
             (!sort || (tmp[t] = malloc(ree_acc_tmp_points(sort) * sizeof **tmp)) != NULL);
    int lost = 0;
    if (ok) {
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(threads)
        for (size_t k = 0; k < nchunk; k++) {
            int t = omp_get_thread_num();
            size_t end = (k + 1) * chunk < nrows ? (k + 1) * chunk : nrows;
            int bad = sort && ree_acc_sort_points_range(sort, k * chunk, end, tmp[t]) != 0;
            for (size_t r = k * chunk; r < end && !bad; r++)
                row(mem[t], p, res, r);
#pragma omp ordered
            {
                if (lost || bad || ree_csv_mem_flush(mem[t], c) != 0)
                    lost = 1; /* later chunks would leave a gap: write nothing more */
                ree_csv_mem_clear(mem[t]);
            }
        }
    }
    for (int t = 0; t < threads; t++) {
        if (mem)
            ree_csv_mem_free(mem[t]);
        if (tmp)
            free(tmp[t]);
    }
    free(mem);
    free(tmp);
    return ok && !lost ? REE_OK : REE_ENOMEM;
}

static void timeseries_row(ree_csv *c, const ree_plan *p, const ree_mc_result *res, size_t row)
{
    int s = (int)(row / (size_t)p->nsteps), t = (int)(row % (size_t)p->nsteps);
    ree_cell_stats cs;
    ree_acc_cell(res->series, row, &cs);
    char date[16];
    ree_plan_date(p, t, date, sizeof date);
    ree_csv_str(c, p->name);
    ree_csv_int(c, t);
    ree_csv_str(c, date);
    ree_csv_str(c, p->series[s].entity_name);
    ree_csv_str(c, p->series[s].metric);
    ree_csv_str(c, p->series[s].unit);
    stats_cols(c, &cs);
    ree_csv_end_row(c);
}

ree_status ree_output_timeseries(const ree_plan *p, const ree_mc_result *res, ree_outset *set)
{
    static const char *const cols[] = {"scenario", "step", "date", "entity", "metric",
                                       "unit",     "mean", "sd",   "p05",    "p25",
                                       "p50",      "p75",  "p95"};
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "timeseries.csv", cols, 13, &st);
    if (!c)
        return st;
    return write_rows(c, p, res, (size_t)p->nseries * (size_t)p->nsteps, timeseries_row,
                      res->series);
}

static void summary_row(ree_csv *c, const ree_plan *p, const ree_mc_result *res, size_t i)
{
    ree_cell_stats cs;
    ree_acc_cell(res->indicators, i, &cs);
    ree_csv_str(c, p->name);
    ree_csv_str(c, p->indicators[i].entity_name);
    ree_csv_str(c, p->indicators[i].name);
    ree_csv_str(c, p->indicators[i].unit);
    ree_csv_int(c, (long long)cs.n);
    stats_cols(c, &cs);
    ree_csv_num(c, cs.min);
    ree_csv_num(c, cs.max);
    ree_csv_end_row(c);
}

ree_status ree_output_summary(const ree_plan *p, const ree_mc_result *res, ree_outset *set)
{
    static const char *const cols[] = {"scenario", "entity", "indicator", "unit", "runs",
                                       "mean",     "sd",     "p05",       "p25",  "p50",
                                       "p75",      "p95",    "min",       "max"};
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "summary.csv", cols, 14, &st);
    if (!c)
        return st;
    return write_rows(c, p, res, (size_t)p->nindicator, summary_row, res->indicators);
}

static void fit_summary_row(ree_csv *c, const ree_plan *p, const char *label,
                            const ree_fit_summary *fs)
{
    ree_csv_str(c, p->name);
    ree_csv_str(c, label);
    ree_csv_int(c, fs->npoints);
    ree_csv_num(c, fs->inside);
    ree_csv_num(c, fs->mape);
    ree_csv_num(c, fs->crps);
    ree_csv_num(c, fs->is);
    ree_csv_end_row(c);
}

ree_status ree_output_fit(const ree_plan *p, const ree_mc_result *res, ree_outset *set,
                          ree_fit_summary *sum)
{
    static const char *const cols[] = {
        "scenario", "label", "date", "entity",         "metric", "observed",      "mean",
        "p05",      "p50",   "p95",  "within_p05_p95", "crps",   "interval_score"};
    static const char *const scols[] = {"scenario", "label", "points",        "inside_p05_p95",
                                        "mape_p50", "crps",  "interval_score"};
    *sum = (ree_fit_summary){0, NAN, NAN, NAN, NAN};
    if (!p->nobs)
        return REE_OK;
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "fit.csv", cols, 13, &st);
    if (!c)
        return st;
    for (int i = 0; i < p->nobs; i++) {
        const ree_observation *o = &p->observations[i];
        const ree_series *se = &p->series[o->series];
        for (int k = 0; k < o->npoint; k++) {
            ree_fit_point fp;
            if (ree_fit_point_score(p, res->series, i, k, &fp))
                return REE_ENOMEM;
            char date[16];
            ree_plan_date(p, o->step[k], date, sizeof date);
            ree_csv_str(c, p->name);
            ree_csv_str(c, o->label);
            ree_csv_str(c, date);
            ree_csv_str(c, se->entity_name);
            ree_csv_str(c, se->metric);
            ree_csv_num(c, fp.observed);
            ree_csv_num(c, fp.s.mean);
            ree_csv_num(c, fp.s.p05);
            ree_csv_num(c, fp.s.p50);
            ree_csv_num(c, fp.s.p95);
            ree_csv_int(c, fp.within);
            ree_csv_num(c, fp.crps);
            ree_csv_num(c, fp.is);
            ree_csv_end_row(c);
        }
    }
    ree_csv *sc = ree_outset_csv(set, "fit_summary.csv", scols, 7, &st);
    if (!sc)
        return st;
    for (int i = 0; i < p->nobs; i++) {
        ree_fit_summary fs;
        if (ree_fit_evaluate(p, res->series, i, p->nsteps, &fs))
            return REE_ENOMEM;
        fit_summary_row(sc, p, p->observations[i].label, &fs);
    }
    if (ree_fit_evaluate(p, res->series, -1, p->nsteps, sum))
        return REE_ENOMEM;
    fit_summary_row(sc, p, "all", sum);
    return REE_OK;
}

static void variance_row(ree_csv *c, const ree_plan *p, const ree_mc_result *res, size_t row)
{
    const ree_vb *v = res->variance;
    int k = (int)(row / (size_t)ree_vb_inputs(v)), i = (int)(row % (size_t)ree_vb_inputs(v));
    const ree_indicator *ind = &p->indicators[ree_vb_output_indicator(v, k)];
    double share, noise, n = ree_vb_share(v, i, k, &share, &noise);
    ree_csv_str(c, p->name);
    ree_csv_str(c, ind->entity_name);
    ree_csv_str(c, ind->name);
    ree_csv_str(c, ind->unit);
    ree_csv_str(c, ree_vb_input_name(v, i));
    ree_csv_num(c, share);
    ree_csv_num(c, noise);
    ree_csv_int(c, (long long)n);
    ree_csv_end_row(c);
}

ree_status ree_output_variance(const ree_plan *p, const ree_mc_result *res, ree_outset *set)
{
    static const char *const cols[] = {"scenario",  "entity", "indicator", "unit",
                                       "parameter", "share",  "noise_sd",  "runs"};
    ree_status st = REE_OK;
    ree_csv *c = ree_outset_csv(set, "variance.csv", cols, 8, &st);
    if (!c)
        return st;
    const ree_vb *v = res->variance;
    if (!v || ree_vb_inputs(v) == 0)
        return REE_OK;
    return write_rows(c, p, res, (size_t)ree_vb_outputs(v) * (size_t)ree_vb_inputs(v), variance_row,
                      NULL);
}

/* A YAML double-quoted scalar that reads back as s: quote and backslash escaped, and every
 * character YAML does not allow raw as an escape (C0 and DEL as \xHH, a C1 control in UTF-8 as
 * \u00HH, U+FFFE and U+FFFF as \uFFFE and \uFFFF), since the loader refuses them raw, and YAML
 * folds a raw NEL (U+0085) into a space. */
static void yq(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\x%02x", ch);
        else if (ch == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f)
            fprintf(f, "\\u00%02x", (unsigned char)*++s);
        else if (ch == 0xef && (unsigned char)s[1] == 0xbf &&
                 ((unsigned char)s[2] & 0xfe) == 0xbe) {
            fprintf(f, "\\uFFF%c", s[2] == (char)0xbe ? 'E' : 'F'); /* noncharacters */
            s += 2;
        } else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void ynum(FILE *f, double x)
{
    char buf[40];
    if (isnan(x))
        fputs("null", f); /* an unset rule parameter: the gate's value applies */
    else if (isinf(x))
        fputs(x > 0 ? "null" : "-1e308", f);
    else { /* the shortest of 10 to 17 significant digits that reads back as x */
        for (int digits = 10; digits <= 17; digits++) {
            snprintf(buf, sizeof buf, "%.*g", digits, x);
            if (strtod(buf, NULL) == x)
                break;
        }
        fputs(buf, f);
    }
}

static void yvalue(FILE *f, const ree_plan *p, const ree_param_def *def, const ree_pspec *s)
{
    switch (def->type) {
    case REE_PT_NUM: {
        const ree_dist *d = &s->dist;
        if (d->kind == REE_DIST_CONST) {
            ynum(f, d->a);
            break;
        }
        fprintf(f, "{dist: %s", ree_dist_name(d->kind));
        const char *n1 = "min", *n2 = "max", *n3 = "mode";
        if (d->kind == REE_DIST_NORMAL || d->kind == REE_DIST_LOGNORMAL)
            n1 = "mean", n2 = "sd";
        if (d->kind == REE_DIST_BETA)
            n1 = "alpha", n2 = "beta";
        fprintf(f, ", %s: ", n1);
        ynum(f, d->a);
        if (d->kind == REE_DIST_TRIANGULAR || d->kind == REE_DIST_PERT) {
            fprintf(f, ", %s: ", n3);
            ynum(f, d->c);
        }
        fprintf(f, ", %s: ", n2);
        ynum(f, d->b);
        if (d->kind == REE_DIST_NORMAL || d->kind == REE_DIST_LOGNORMAL ||
            d->kind == REE_DIST_BETA) {
            if (isfinite(d->lo)) {
                fputs(", min: ", f);
                ynum(f, d->lo);
            }
            if (isfinite(d->hi)) {
                fputs(", max: ", f);
                ynum(f, d->hi);
            }
        }
        fputc('}', f);
        break;
    }
    case REE_PT_DATE: {
        char date[16];
        ree_plan_date(p, (int)s->dist.a, date, sizeof date);
        fputs(date, f);
        break;
    }
    case REE_PT_MATERIAL:
        fputs(s->ival >= 0 ? p->mat_id[s->ival] : "null", f);
        break;
    case REE_PT_MATMAP: {
        fputc('{', f);
        int first = 1;
        for (int m = 0; s->vec && m < p->nmat; m++)
            if (s->vec[m] != 0) {
                fprintf(f, "%s%s: ", first ? "" : ", ", p->mat_id[m]);
                ynum(f, s->vec[m]);
                first = 0;
            }
        fputc('}', f);
        break;
    }
    case REE_PT_MATSET:
    case REE_PT_TAGSET: {
        fputc('[', f);
        int first = 1, n = def->type == REE_PT_MATSET ? p->nmat : p->ntag;
        for (int m = 0; m < n; m++)
            if (s->mask & (UINT64_C(1) << m)) {
                fprintf(f, "%s%s", first ? "" : ", ",
                        def->type == REE_PT_MATSET ? p->mat_id[m] : p->tags[m]);
                first = 0;
            }
        fputc(']', f);
        break;
    }
    }
}

static void yparams(FILE *f, const ree_plan *p, const ree_entity *ent, const char *indent)
{
    for (size_t k = 0; k < ent->model->nparams; k++) {
        const ree_param_def *def = &ent->model->params[k];
        fprintf(f, "%s%s: ", indent, def->key);
        yvalue(f, p, def, &ent->pspecs[k]);
        fprintf(f, "  # %s%s%s\n", def->unit, ent->pspecs[k].given ? "" : ", default",
                (def->flags & REE_PF_NULL_INF) && isinf(ent->pspecs[k].dist.a) ? ", no limit" : "");
    }
}

/* The `rules:` of gate g: criteria, then every parameter (null: the gate's value applies). */
static void yrules(FILE *f, const ree_plan *p, int g)
{
    int first = 1;
    for (int i = 0; i < p->nrule; i++) {
        const ree_rule *r = &p->rules[i];
        if (r->gate != g)
            continue;
        const ree_entity *ent = &p->entities[r->entity];
        const char *slash = strchr(ent->id, '/');
        if (first)
            fputs("    rules:\n", f);
        first = 0;
        fprintf(f, "      - id: %s\n", slash ? slash + 1 : ent->id);
        if (r->nregion) {
            fputs("        regions: [", f);
            for (int k = 0; k < r->nregion; k++) {
                fputs(k ? ", " : "", f);
                yq(f, r->regions[k]);
            }
            fputs("]\n", f);
        }
        if (r->has_end_uses) {
            fputs("        end_uses: [", f);
            int n = 0;
            for (int m = 0; m < p->ntag; m++)
                if (r->end_uses & (UINT64_C(1) << m))
                    fprintf(f, "%s%s", n++ ? ", " : "", p->tags[m]);
            fputs("]\n", f);
        }
        if (r->nbuyer) {
            fputs("        buyers: [", f);
            for (int k = 0; k < r->nbuyer; k++)
                fprintf(f, "%s%s", k ? ", " : "", p->entities[p->nodes[r->buyers[k]].entity].id);
            fputs("]\n", f);
        }
        yparams(f, p, ent, "        ");
    }
}

ree_status ree_output_resolved(const ree_plan *p, const ree_run_info *info, FILE *f)
{
    char date[16];
    fprintf(f,
            "# Scenario as resolved by reesim %s: every parameter as used; '# ..., default' "
            "marks values the scenario did not give.\n",
            REESIM_VERSION);
    fprintf(f, "reesim: 1\nname: ");
    yq(f, p->name);
    fprintf(f, "\ndescription: ");
    yq(f, p->description);
    fprintf(f, "\nsources:\n");
    for (int i = 0; i < p->nsources; i++) {
        fputs("  - ", f);
        yq(f, p->sources[i]);
        fputc('\n', f);
    }
    ree_plan_date(p, 0, date, sizeof date);
    fprintf(f, "horizon: {start: %s, steps: %d}\n", date, p->nsteps);
    fprintf(f, "runs: %lld  # as run%s\nseed: %llu\n", info->nruns,
            info->first_run ? " (one replayed run)" : "", info->seed);
    fprintf(f, "materials:\n");
    for (int m = 0; m < p->nmat; m++) {
        fprintf(f, "  - {id: %s, name: ", p->mat_id[m]);
        yq(f, p->mat_name[m]);
        fprintf(f, ", unit: t}\n");
    }
    fprintf(f, "nodes:\n");
    for (int n = 0; n < p->nnode; n++) {
        const ree_node *node = &p->nodes[n];
        const ree_entity *ent = &p->entities[node->entity];
        fprintf(f, "  - id: %s\n    model: %s\n    region: ", ent->id, ent->model->name);
        yq(f, node->region);
        fputc('\n', f);
        if (node->end_use >= 0)
            fprintf(f, "    end_use: %s\n", p->tags[node->end_use]);
        fprintf(f, "    stock: {");
        int first = 1;
        for (int m = 0; m < p->nmat; m++)
            if (node->stock0[m] != 0) {
                fprintf(f, "%s%s: ", first ? "" : ", ", p->mat_id[m]);
                ynum(f, node->stock0[m]);
                first = 0;
            }
        fprintf(f, "}\n    params:\n");
        yparams(f, p, ent, "      ");
    }
    fprintf(f, "gates:%s\n", p->ngate ? "" : " []");
    for (int g = 0; g < p->ngate; g++) {
        const ree_entity *ent = &p->entities[p->gates[g].entity];
        fprintf(f, "  - id: %s\n    model: %s\n", ent->id, ent->model->name);
        yparams(f, p, ent, "    ");
        yrules(f, p, g);
    }
    fprintf(f, "links:%s\n", p->nlink ? "" : " []");
    for (int l = 0; l < p->nlink; l++) {
        const ree_link *lk = &p->links[l];
        const ree_entity *ent = &p->entities[lk->entity];
        const char *from = p->entities[p->nodes[lk->from].entity].id;
        const char *to = p->entities[p->nodes[lk->to].entity].id;
        char auto_id[160];
        snprintf(auto_id, sizeof auto_id, "%s->%s", from, to);
        if (strcmp(auto_id, ent->id) == 0)
            fprintf(f, "  - # id: %s (from->to)\n", ent->id);
        else
            fprintf(f, "  - id: %s\n", ent->id);
        fprintf(f, "    from: %s\n    to: %s\n    material: %s\n", from, to,
                p->mat_id[lk->material]);
        if (lk->gate >= 0)
            fprintf(f, "    gate: %s\n", p->entities[p->gates[lk->gate].entity].id);
        yparams(f, p, ent, "    ");
    }
    fprintf(f, "timeline:%s\n", p->nevent ? "" : " []");
    for (int i = 0; i < p->nevent; i++) {
        const ree_event *ev = &p->events[i];
        ree_plan_date(p, ev->step, date, sizeof date);
        fprintf(f, "  - date: %s\n    note: ", date);
        yq(f, ev->note);
        fprintf(f, "\n    set:\n");
        for (int c = 0; c < ev->nchange; c++) {
            const ree_change *ch = &ev->changes[c];
            const ree_entity *ent = &p->entities[ch->entity];
            const ree_param_def *def = &ent->model->params[ch->param];
            fprintf(f, "      %s.%s.%s: ", ent->section, ent->id, def->key);
            yvalue(f, p, def, &ch->value);
            fputc('\n', f);
        }
    }
    if (p->nregime) {
        ree_plan_date(p, p->regime_start, date, sizeof date);
        fprintf(f, "regimes:\n  start: %s\n  initial: %s\n  states:\n", date,
                p->regimes[p->regime_initial].id);
        for (int r = 0; r < p->nregime; r++) {
            fprintf(f, "    - id: %s\n      to: {", p->regimes[r].id);
            for (int j = 0, first = 1; j < p->nregime; j++) {
                if (j == r)
                    continue;
                fprintf(f, "%s%s: ", first ? "" : ", ", p->regimes[j].id);
                ynum(f, p->regimes[r].to[j]);
                first = 0;
            }
            fprintf(f, "}  # stays with probability ");
            ynum(f, p->regimes[r].to[r]);
            fprintf(f, "\n      set:%s\n", p->regimes[r].nchange ? "" : " {}");
            for (int c = 0; c < p->regimes[r].nchange; c++) {
                const ree_change *ch = &p->regimes[r].changes[c];
                const ree_entity *ent = &p->entities[ch->entity];
                const ree_param_def *def = &ent->model->params[ch->param];
                fprintf(f, "        %s.%s.%s: ", ent->section, ent->id, def->key);
                yvalue(f, p, def, &ch->value);
                fputc('\n', f);
            }
        }
    }
    if (p->nreport >= 0) {
        fprintf(f, "report:\n  series:%s\n", p->nreport ? "" : " []");
        for (int i = 0; i < p->nreport; i++) {
            fputs("    - ", f);
            yq(f, p->report[i]);
            fputc('\n', f);
        }
    }
    if (p->nobs) {
        /* Absolute paths: the resolved file lives elsewhere than the scenario. */
        fprintf(f, "observations:\n");
        for (int i = 0; i < p->nobs; i++) {
            const ree_observation *o = &p->observations[i];
            const ree_series *se = &p->series[o->series];
            char cwd[4096], abs[8192];
            if (o->file[0] == '/' || !getcwd(cwd, sizeof cwd))
                snprintf(abs, sizeof abs, "%s", o->file);
            else
                snprintf(abs, sizeof abs, "%s/%s", cwd, o->file);
            fprintf(f, "  - {label: ");
            yq(f, o->label);
            fprintf(f, ", entity: ");
            if (se->kind == REE_S_SUM) { /* the summed entities, as the scenario listed them */
                fputc('[', f);
                for (int k = 0; k < se->nsum; k++) {
                    fputs(k ? ", " : "", f);
                    yq(f, p->series[se->sum[k]].entity_name);
                }
                fputc(']', f);
            } else {
                yq(f, se->entity_name);
            }
            fprintf(f, ", metric: ");
            yq(f, se->metric);
            fprintf(f, ", file: ");
            yq(f, abs);
            fprintf(f, "}\n");
        }
    }
    return ferror(f) ? REE_EIO : REE_OK;
}

static void iso_time(double t, char *buf, size_t len)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

ree_status ree_output_meta(const ree_plan *p, const ree_run_info *info, const ree_mc_result *res,
                           FILE *f)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return REE_ENOMEM;
    char buf[64];
    cJSON_AddStringToObject(j, "reesim_version", REESIM_VERSION);
    cJSON_AddStringToObject(j, "git_revision", REESIM_GIT_REV);
    cJSON_AddStringToObject(j, "command", info->command);
    cJSON_AddStringToObject(j, "scenario", p->name);
    cJSON_AddStringToObject(j, "scenario_file", p->file);
    cJSON_AddStringToObject(j, "scenario_sha256", p->sha256_hex);
    snprintf(buf, sizeof buf, "%llu", info->seed);
    cJSON_AddStringToObject(j, "seed", buf); /* a string: JSON numbers lose 64-bit precision */
    cJSON_AddNumberToObject(j, "runs", (double)info->nruns);
    cJSON_AddNumberToObject(j, "first_run", (double)info->first_run);
    cJSON_AddNumberToObject(j, "threads", info->threads);
    cJSON_AddNumberToObject(j, "ranks", ree_ranks()); /* MPI ranks (exec.h); 1 without */
    cJSON_AddBoolToObject(j, "balance_checked", info->check);
    cJSON_AddNumberToObject(j, "steps", p->nsteps);
    cJSON_AddNumberToObject(j, "series", p->nseries);
    cJSON_AddNumberToObject(j, "indicators", p->nindicator);
    cJSON_AddNumberToObject(j, "block_size", REE_MC_BLOCK);
    if (res->series) /* p05..p95 in timeseries.csv, or mean and sd only (--series-quantiles) */
        cJSON_AddBoolToObject(j, "series_quantiles", ree_acc_has_quantiles(res->series));
    iso_time(info->started, buf, sizeof buf);
    cJSON_AddStringToObject(j, "started", buf);
    iso_time(info->finished, buf, sizeof buf);
    cJSON_AddStringToObject(j, "finished", buf);
    cJSON_AddNumberToObject(j, "wall_seconds", info->finished - info->started);
    cJSON_AddNumberToObject(j, "runs_per_second",
                            res->seconds > 0 ? (double)res->nruns / res->seconds : 0);
    cJSON *lib = cJSON_AddObjectToObject(j, "libraries");
    if (lib) {
        cJSON_AddStringToObject(lib, "gsl", GSL_VERSION);
        snprintf(buf, sizeof buf, "%s", yaml_get_version_string());
        cJSON_AddStringToObject(lib, "libyaml", buf);
        cJSON_AddStringToObject(lib, "cjson", cJSON_Version());
        cJSON_AddStringToObject(lib, "zlib", zlibVersion()); /* runs.csv.gz bytes depend on it */
        snprintf(buf, sizeof buf, "%d", _OPENMP);
        cJSON_AddStringToObject(lib, "openmp", buf);
        cJSON_AddStringToObject(lib, "random123", "philox4x64-10");
    }
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text)
        return REE_ENOMEM;
    fputs(text, f);
    fputc('\n', f);
    free(text);
    return ferror(f) ? REE_EIO : REE_OK;
}

ree_status ree_output_meta_plain(const char *command, const char *const *keys,
                                 const char *const *values, int n, double started, double finished,
                                 FILE *f)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return REE_ENOMEM;
    char buf[64];
    cJSON_AddStringToObject(j, "reesim_version", REESIM_VERSION);
    cJSON_AddStringToObject(j, "git_revision", REESIM_GIT_REV);
    cJSON_AddStringToObject(j, "command", command);
    for (int i = 0; i < n; i++)
        cJSON_AddStringToObject(j, keys[i], values[i]);
    iso_time(started, buf, sizeof buf);
    cJSON_AddStringToObject(j, "started", buf);
    iso_time(finished, buf, sizeof buf);
    cJSON_AddStringToObject(j, "finished", buf);
    cJSON_AddNumberToObject(j, "wall_seconds", finished - started);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text)
        return REE_ENOMEM;
    fputs(text, f);
    fputc('\n', f);
    free(text);
    return ferror(f) ? REE_EIO : REE_OK;
}
