/*
 * Scenario loader, part 5: what a run reports. Every model metric of every entity, the stock
 * of each material at each node, flows and pipeline stock of links, what crosses each gate, the
 * regime path and the
 * shortage ratio of each material are series (one value per step); `report.series` keeps only
 * those matching its patterns ("ENTITY/METRIC" with shell wildcards, e.g. "us_*\/shortfall").
 * Indicators (one value per run) come from the models' indicator tables, then the engine's
 * totals of each region with two sector nodes or more (engine/stats/resilience.h). Observations name a
 * series and a CSV file of `date,value` to compare with.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "csvread.h"
#include "infile.h"
#include "loader.h"
#include "resilience.h"
#include "sha256.h"

typedef struct filter {
    const ree_ynode *patterns; /* sequence of scalars, or NULL for "everything" */
    int *used;
} filter;

static int keep(const filter *f, const char *entity, const char *metric)
{
    if (!f->patterns)
        return 1;
    char full[2 * REE_PATH_MAX + 2];
    snprintf(full, sizeof full, "%s/%s", entity, metric);
    int hit = 0;
    for (size_t i = 0; i < f->patterns->n; i++)
        if (fnmatch(f->patterns->items[i]->str, full, 0) == 0) {
            f->used[i] = 1;
            hit = 1;
        }
    return hit;
}

static void add(loader *L, const filter *f, ree_series_kind kind, int entity, int index,
                const char *ename, const char *metric, const char *unit)
{
    ree_plan *p = L->p;
    if (!keep(f, ename, metric))
        return;
    ree_series *s = &p->series[p->nseries++];
    s->kind = kind;
    s->entity = entity;
    s->index = index;
    s->entity_name = ld_strdup(L, ename);
    s->metric = ld_strdup(L, metric);
    s->unit = unit;
}

/* Per destination region of gate g's links (nodes' non-empty regions, in link order), what
 * was approved (granted) and shipped: "GATE/approved.REGION", "GATE/shipped.REGION". Only for a
 * gate with rules or with links to two regions or more (a gate serving one region says it all). */
static void gate_regions(loader *L, const filter *f, int g)
{
    ree_plan *p = L->p;
    const ree_gate *gt = &p->gates[g];
    int has_rules = 0, nreg = 0;
    for (int i = 0; i < p->nrule; i++)
        has_rules |= p->rules[i].gate == g;
    for (int i = 0; i < gt->nlink; i++) {
        const char *rg = p->nodes[p->links[gt->links[i]].to].region;
        int first = rg && rg[0];
        for (int j = 0; j < i && first; j++)
            first = strcmp(p->nodes[p->links[gt->links[j]].to].region, rg) != 0;
        nreg += first;
    }
    if (!has_rules && nreg < 2)
        return;
    const char *id = p->entities[gt->entity].id;
    for (int i = 0; i < gt->nlink; i++) {
        const char *rg = p->nodes[p->links[gt->links[i]].to].region;
        int first = rg && rg[0];
        for (int j = 0; j < i && first; j++)
            first = strcmp(p->nodes[p->links[gt->links[j]].to].region, rg) != 0;
        if (!first)
            continue;
        static const struct {
            ree_series_kind kind;
            const char *name;
        } kinds[] = {{REE_S_GATE_REGION_GRANTED, "approved"},
                     {REE_S_GATE_REGION_SHIPPED, "shipped"}};
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char metric[REE_PATH_MAX];
            snprintf(metric, sizeof metric, "%s.%s", kinds[k].name, rg);
            int before = p->nseries;
            add(L, f, kinds[k].kind, gt->entity, g, id, metric, "t");
            if (p->nseries == before)
                continue;
            ree_series *se = &p->series[p->nseries - 1];
            if (!(se->slots = ld_calloc(L, (size_t)gt->nlink, sizeof *se->slots)))
                return;
            for (int j = i; j < gt->nlink; j++) /* links before i go elsewhere (rg is new at i) */
                if (!strcmp(p->nodes[p->links[gt->links[j]].to].region, rg))
                    se->slots[se->nslot++] = j;
        }
    }
}

static int count_all(const ree_plan *p)
{
    int n = p->nregime + p->nmat;
    for (int e = 0; e < p->nentity; e++)
        n += (int)p->entities[e].model->nmetrics;
    n += p->nnode * p->nmat + 2 * p->nlink + p->ngate;
    n += 2 * p->nlink; /* per-region gate series: at most one region per link */
    return n;
}

/* Whether node n is a sector whose region is named (non-empty). */
static int sector_in_region(const ree_plan *p, int n)
{
    return (p->entities[p->nodes[n].entity].model->flags & REE_MF_SECTOR) && p->nodes[n].region &&
           p->nodes[n].region[0];
}

/* kg_per_unit of sector node n when it is a constant; NaN when it is uncertain. */
static double lost_unit_of(const ree_plan *p, int n)
{
    const ree_entity *ent = &p->entities[p->nodes[n].entity];
    const ree_pspec *s =
        &ent->pspecs[ree_model_param_at(ent->model, ent->model->sector->kg_per_unit)];
    return s->dist.kind == REE_DIST_CONST ? s->dist.a : NAN;
}

/* Region totals: one per region with at least two sector nodes, in the order of each region's
 * first sector node, named by the region (docs/indicators.md, "Region totals"). With out NULL,
 * count their indicators; else append them to p->indicators. lost_units is summed only when
 * every sector of the region counts a unit of output as the same constant kg_per_unit: units
 * of different products (vehicles, devices, MW) do not add up. A region named like an entity
 * would make `entity` ambiguous in the outputs: it gets no total (a warning says so). */
static int region_totals(loader *L, ree_indicator *out)
{
    ree_plan *p = L->p;
    int count = 0;
    for (int n = 0; n < p->nnode; n++) {
        if (!sector_in_region(p, n))
            continue;
        const char *region = p->nodes[n].region;
        int first = 1, members = 0;
        double unit = lost_unit_of(p, n);
        int same_unit = !isnan(unit);
        for (int j = 0; j < p->nnode; j++)
            if (sector_in_region(p, j) && !strcmp(p->nodes[j].region, region)) {
                first &= j >= n;
                members++;
                same_unit &= lost_unit_of(p, j) == unit;
            }
        if (!first || members < 2)
            continue;
        int clash = ree_plan_entity(p, region);
        if (clash >= 0) {
            if (out)
                ree_diag_warning(L->d, p->entities[clash].mark, p->entities[clash].section,
                                 "region '%s' has the same name as this entity: no region total "
                                 "is reported for it",
                                 region);
            continue;
        }
        count += (int)ree_resil_region_count - !same_unit;
        if (!out)
            continue;
        for (size_t k = 0; k < ree_resil_region_count; k++) {
            if (k == REE_RESIL_REGION_LOST_UNITS && !same_unit)
                continue;
            ree_indicator *ind = &out[p->nindicator++];
            ind->kind = REE_IND_REGION;
            ind->entity = p->nodes[n].entity;
            ind->index = (int)k;
            ind->entity_name = ld_strdup(L, region);
            ind->name = ree_resil_region_defs[k].name;
            ind->unit = ree_resil_region_defs[k].unit;
            ind->def = &ree_resil_region_defs[k];
        }
    }
    return count;
}

int ld_series(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    filter f = {NULL, NULL};
    const ree_ynode *rep = ree_ymap_get(root, "report");
    if (rep && !ree_ynode_is_null(rep)) {
        if (ld_expect(L, rep, REE_Y_MAP, "report"))
            return -1;
        static const char *const keys[] = {"series", NULL};
        ld_check_keys(L, rep, "report", keys);
        const ree_ynode *s = ree_ymap_get(rep, "series");
        if (s && ld_expect(L, s, REE_Y_SEQ, "report.series") == 0) {
            for (size_t i = 0; i < s->n; i++) {
                char ip[REE_PATH_MAX];
                snprintf(ip, sizeof ip, "report.series[%zu]", i);
                if (ld_expect(L, s->items[i], REE_Y_SCALAR, ip))
                    return -1;
            }
            f.patterns = s;
            f.used = ld_calloc(L, s->n, sizeof(int));
            p->report = ld_calloc(L, s->n ? s->n : 1, sizeof *p->report);
            if (!f.used || !p->report) {
                free(f.used);
                return -1;
            }
            p->nreport = 0;
            for (size_t i = 0; i < s->n; i++)
                if (!(p->report[p->nreport++] = ld_strdup(L, s->items[i]->str))) {
                    free(f.used);
                    return -1;
                }
        }
    }
    /* Room for one sum series per observation of several entities (ld_observations). */
    const ree_ynode *obs = ree_ymap_get(root, "observations");
    size_t nsum = obs && obs->kind == REE_Y_SEQ ? obs->n : 0;
    p->series = ld_calloc(L, (size_t)count_all(p) + nsum, sizeof *p->series);
    if (!p->series) {
        free(f.used);
        return -1;
    }
    for (int n = 0; n < p->nnode; n++) {
        const ree_entity *ent = &p->entities[p->nodes[n].entity];
        for (size_t k = 0; k < ent->model->nmetrics; k++)
            add(L, &f, REE_S_MODEL, p->nodes[n].entity, (int)k, ent->id,
                ent->model->metrics[k].name, ent->model->metrics[k].unit);
        for (int m = 0; m < p->nmat; m++)
            if (p->nodes[n].materials & (UINT64_C(1) << m)) {
                char metric[REE_PATH_MAX];
                snprintf(metric, sizeof metric, "stock.%s", p->mat_id[m]);
                add(L, &f, REE_S_STOCK, n, m, ent->id, metric, "t");
            }
    }
    for (int l = 0; l < p->nlink; l++) {
        const ree_entity *ent = &p->entities[p->links[l].entity];
        add(L, &f, REE_S_SHIPPED, l, 0, ent->id, "shipped", "t");
        add(L, &f, REE_S_TRANSIT, l, 0, ent->id, "in_transit", "t");
    }
    for (int g = 0; g < p->ngate; g++) {
        const ree_entity *ent = &p->entities[p->gates[g].entity];
        for (size_t k = 0; k < ent->model->nmetrics; k++)
            add(L, &f, REE_S_MODEL, p->gates[g].entity, (int)k, ent->id,
                ent->model->metrics[k].name, ent->model->metrics[k].unit);
        add(L, &f, REE_S_GATE_SHIPPED, p->gates[g].entity, g, ent->id, "shipped", "t");
        gate_regions(L, &f, g);
    }
    for (int r = 0; r < p->nregime; r++)
        add(L, &f, REE_S_REGIME, -1, r, "regime", p->regimes[r].id, "1");
    int has_sector = 0;
    for (int n = 0; n < p->nnode; n++)
        has_sector |= (p->entities[p->nodes[n].entity].model->flags & REE_MF_SECTOR) != 0;
    for (int m = 0; m < p->nmat && has_sector; m++)
        add(L, &f, REE_S_SCARCITY, -1, m, p->mat_id[m], "shortage_ratio", "1");
    if (f.patterns)
        for (size_t i = 0; i < f.patterns->n; i++)
            if (!f.used[i]) {
                char ip[REE_PATH_MAX];
                snprintf(ip, sizeof ip, "report.series[%zu]", i);
                ld_err(L, f.patterns->items[i], ip,
                       "pattern '%s' matches no series (series are ENTITY/METRIC, e.g. "
                       "us_cars/shortfall; run once without 'report' to list them)",
                       f.patterns->items[i]->str);
            }
    free(f.used);
    /* Indicators: every model indicator of every entity, then the region totals. */
    int ni = 0;
    for (int e = 0; e < p->nentity; e++)
        ni += (int)p->entities[e].model->nindicators;
    ni += region_totals(L, NULL);
    p->indicators = ld_calloc(L, (size_t)ni, sizeof *p->indicators);
    for (int e = 0; e < p->nentity && p->indicators; e++) {
        const ree_model *m = p->entities[e].model;
        for (size_t k = 0; k < m->nindicators; k++) {
            ree_indicator *ind = &p->indicators[p->nindicator++];
            ind->kind = REE_IND_MODEL;
            ind->entity = e;
            ind->index = (int)k;
            ind->entity_name = ld_strdup(L, p->entities[e].id);
            ind->name = m->indicators[k].name;
            ind->unit = m->indicators[k].unit;
            ind->def = &m->indicators[k];
        }
    }
    if (p->indicators)
        region_totals(L, p->indicators);
    return 0;
}

/* Observed values are 0 or between these in magnitude. A series beyond REE_OBS_MAX stops the run
 * (the run-time guard, REE_RUN_VALUE_MAX), so a larger value could never be matched; below
 * REE_OBS_MIN the fit's percentage error |p50 - y| / |y| could overflow. Within them every score
 * in fit.csv and fit_summary.csv is finite: at most ~1e202 per point. */
#define REE_OBS_MAX 1e100
#define REE_OBS_MIN 1e-100

/* Months a date of an observations file can name (ree_yscalar_month: 1900-01 to 9999-12). */
#define FIRST_MONTH (1900 * 12)
#define NMONTHS     ((9999 - 1900 + 1) * 12)

/* A scalar node over `s`, for the strict conversions of ytree.h. */
static ree_ynode scalar_of(const char *s)
{
    ree_ynode n;
    memset(&n, 0, sizeof n);
    n.kind = REE_Y_SCALAR;
    n.str = s;
    n.len = strlen(s);
    return n;
}

/* Read a `date,value` CSV into the observation's points inside the horizon. Every problem is an
 * error located as FILE:LINE: no header, a NUL byte, a date that is not YYYY-MM, a value that is
 * not a plain decimal number (no hex, spaces, nan, inf) or out of range, a date given twice.
 * Lines may be of any length; a UTF-8 byte-order mark is skipped; rows dated outside the horizon
 * are ignored (a warning when none is inside). */
static int read_points(loader *L, ree_observation *o, const ree_ynode *at, const char *path)
{
    char why[160];
    ree_status st;
    FILE *f = ree_infile_open(o->file, &st, why, sizeof why);
    if (!f) {
        ld_err(L, at, path, "cannot open %s: %s", o->file, why);
        return -1;
    }
    ree_plan *p = L->p;
    o->step = ld_calloc(L, (size_t)p->nsteps, sizeof(int));
    o->value = ld_calloc(L, (size_t)p->nsteps, sizeof(double));
    int *seen = ld_calloc(L, NMONTHS, sizeof(int)); /* line of each month's row, 0: none yet */
    char *line = NULL, shown[REE_SNIPPET_LEN];
    size_t cap = 0;
    ssize_t got;
    int lineno = 0, bad = 0;
    while (!L->oom && !bad && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        if (memchr(line, '\0', len)) {
            ld_err(L, at, path, "%s:%d: NUL byte in the file", o->file, lineno);
            bad = 1;
            break;
        }
        /* Only the line break goes: a CR inside the line is part of a field, and an error. */
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        char *text = line;
        if (lineno == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3; /* as Excel saves a CSV as UTF-8 */
        if (lineno == 1) {
            if (strcmp(text, "date,value") != 0) {
                ld_err(L, at, path, "%s:1: expected the header 'date,value', found '%s'", o->file,
                       ree_snippet(text, strlen(text), shown, sizeof shown));
                bad = 1;
            }
            continue;
        }
        if (!*text)
            continue;
        char *comma = strchr(text, ',');
        if (!comma || comma - text != 7) {
            ld_err(L, at, path, "%s:%d: expected YYYY-MM,VALUE, found '%s'", o->file, lineno,
                   ree_snippet(text, strlen(text), shown, sizeof shown));
            bad = 1;
            break;
        }
        *comma = '\0';
        ree_ynode dn = scalar_of(text), vn = scalar_of(comma + 1);
        int month;
        double v;
        if (ree_yscalar_month(&dn, &month, why, sizeof why) ||
            ree_yscalar_double(&vn, &v, why, sizeof why)) {
            ld_err(L, at, path, "%s:%d: %s", o->file, lineno, why);
            bad = 1;
            break;
        }
        if (!(fabs(v) <= REE_OBS_MAX && (v == 0 || fabs(v) >= REE_OBS_MIN))) {
            ld_err(L, at, path,
                   "%s:%d: %g is out of range: an observed value is 0 or between %g and %g in "
                   "magnitude",
                   o->file, lineno, v, REE_OBS_MIN, REE_OBS_MAX);
            bad = 1;
            break;
        }
        if (seen[month - FIRST_MONTH]) {
            ld_err(L, at, path, "%s:%d: date %s is given twice (first at line %d)", o->file, lineno,
                   text, seen[month - FIRST_MONTH]);
            bad = 1;
            break;
        }
        seen[month - FIRST_MONTH] = lineno;
        int step = month - p->start;
        if (step < 0 || step >= p->nsteps)
            continue;
        /* At most nsteps rows get here: each month once, and only the horizon's. */
        o->step[o->npoint] = step;
        o->value[o->npoint] = v;
        o->npoint++;
    }
    if (!bad && !L->oom && ferror(f)) {
        ld_err(L, at, path, "cannot read %s: %s", o->file, strerror(errno));
        bad = 1;
    }
    if (!bad && !L->oom && lineno == 0) {
        ld_err(L, at, path, "%s:1: empty file, expected the header 'date,value'", o->file);
        bad = 1;
    }
    free(line);
    free(seen);
    fclose(f);
    if (!bad && !L->oom && o->npoint == 0)
        ree_diag_warning(L->d, at->mark, path, "no observed point of %s falls in the horizon",
                         o->file);
    return bad ? -1 : 0;
}

/* The path of an observations file: `file` when absolute, else DIR/file with DIR the scenario's
 * folder ("." when none), built at its full length (fixed buffers cut a long path short, and a
 * cut path names another file). NULL when out of memory (L->oom). */
static char *obs_path(loader *L, const char *scenario_path, const char *file)
{
    const char *slash = strrchr(scenario_path, '/');
    const char *dir = slash ? scenario_path : ".";
    size_t dlen = !slash ? 1 : slash == scenario_path ? 1 : (size_t)(slash - scenario_path);
    if (file[0] == '/')
        dlen = 0;
    size_t flen = strlen(file);
    char *full = ld_calloc(L, dlen + 1 + flen + 1, 1);
    if (!full)
        return NULL;
    if (dlen) {
        memcpy(full, dir, dlen);
        full[dlen] = '/';
        memcpy(full + dlen + 1, file, flen + 1);
    } else {
        memcpy(full, file, flen + 1);
    }
    return full;
}

/* Index of series ENTITY/METRIC; -1 when there is none. */
static int find(const ree_plan *p, const char *ent, const char *met)
{
    for (int k = 0; k < p->nseries; k++)
        if (strcmp(p->series[k].entity_name, ent) == 0 && strcmp(p->series[k].metric, met) == 0)
            return k;
    return -1;
}

/* An observation of several entities (`entity: [A, B, ...]`): a new series LABEL/METRIC summing
 * A/METRIC, B/METRIC, ... per run and step (e.g. the customs exports to one country over every
 * link bound there). Returns its index, or -2 after reporting an error. */
static int sum_series(loader *L, const ree_ynode *en, const char *label, const char *met,
                      const char *path)
{
    ree_plan *p = L->p;
    char ep[REE_PATH_MAX];
    ld_path(ep, path, "entity");
    if (en->n == 0) {
        ld_err(L, en, ep, "expected one entity or a list of at least one");
        return -2;
    }
    if (find(p, label, met) >= 0) {
        ld_err(L, en, ep, "the sum is named by the label, and %s/%s is already a series", label,
               met);
        return -2;
    }
    int *idx = ld_calloc(L, en->n, sizeof(int));
    if (!idx)
        return -2;
    /* idx[i] stays -1 for an item in error; units are compared with the first item found. */
    int bad = 0, first = -1;
    for (size_t i = 0; i < en->n; i++) {
        char ip[REE_PATH_MAX + 24];
        snprintf(ip, sizeof ip, "%s[%zu]", ep, i);
        idx[i] = -1;
        if (ld_expect(L, en->items[i], REE_Y_SCALAR, ip)) {
            bad = 1;
            continue;
        }
        const char *id = en->items[i]->str;
        idx[i] = find(p, id, met);
        if (idx[i] < 0) {
            ld_err(L, en->items[i], ip, "no series %s/%s (is it excluded by report.series?)", id,
                   met);
            bad = 1;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (idx[j] == idx[i]) {
                ld_err(L, en->items[i], ip, "%s is listed twice", id);
                bad = 1;
            }
        if (first < 0)
            first = idx[i];
        else if (strcmp(p->series[idx[i]].unit, p->series[first].unit) != 0) {
            ld_err(L, en->items[i], ip, "unit '%s' differs from the first entity's '%s'",
                   p->series[idx[i]].unit, p->series[first].unit);
            bad = 1;
        }
    }
    if (bad) {
        free(idx);
        return -2;
    }
    ree_series *s = &p->series[p->nseries];
    s->kind = REE_S_SUM;
    s->entity = -1;
    s->index = 0;
    s->entity_name = ld_strdup(L, label);
    s->metric = ld_strdup(L, met);
    s->unit = p->series[idx[0]].unit;
    s->sum = idx;
    s->nsum = (int)en->n;
    return p->nseries++;
}

/* An observation's label is free text (spaces and any other character), but no control: it is
 * written into fit.csv and fit_summary.csv (and, naming a sum, timeseries.csv), where plot and
 * other readers print it, and an ESC, a line break, another C0 byte, DEL or a C1 control in UTF-8
 * (U+0080 to U+009F) would reach a terminal or a CSV raw. Returns 0, or -1 after an error located
 * at the label. */
static int check_label(loader *L, const ree_ynode *n, const char *label, const char *path)
{
    size_t len = strlen(label);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)label[i];
        int c1 = ree_is_c1(label + i, len - i);
        if (c < 0x20 || c == 0x7f || c1) {
            char lp[REE_PATH_MAX];
            ld_path(lp, path, "label");
            ld_err(L, ree_ymap_get(n, "label"), lp,
                   "label '%s' holds a control character (%s%02X at byte %zu): a label is "
                   "printed and written into CSV files, so it may hold none",
                   label, c1 ? "U+00" : "0x", c1 ? (unsigned char)label[i + 1] : c, i + 1);
            return -1;
        }
    }
    return 0;
}

/* Every observation has its own label: it names the observation's rows in fit.csv and its row in
 * fit_summary.csv, whose `all` row would count a repeated one's points twice. Returns 0, or -1
 * after an error at the label naming the first observation that has it (however that one fared). */
static int unique_label(loader *L, const ree_ynode *seq, size_t i, const char *path)
{
    const ree_ynode *ln = ree_ymap_get(seq->items[i], "label");
    for (size_t j = 0; j < i; j++) {
        const ree_ynode *other = ree_ymap_get(seq->items[j], "label");
        if (other && other->kind == REE_Y_SCALAR && !ree_ynode_is_null(other) &&
            other->len == ln->len && memcmp(other->str, ln->str, ln->len) == 0) {
            char lp[REE_PATH_MAX];
            ld_path(lp, path, "label");
            ld_err(L, ln, lp,
                   "label '%s' is already used by observations[%zu] (line %d): each observation "
                   "needs a label of its own",
                   ln->str, j, other->mark.line);
            return -1;
        }
    }
    return 0;
}

int ld_observations(loader *L, const ree_ynode *root, const char *scenario_path)
{
    ree_plan *p = L->p;
    const ree_ynode *seq = ree_ymap_get(root, "observations");
    if (!seq || ree_ynode_is_null(seq))
        return 0;
    if (ld_expect(L, seq, REE_Y_SEQ, "observations"))
        return -1;
    p->observations = ld_calloc(L, seq->n, sizeof *p->observations);
    if (!p->observations)
        return -1;
    static const char *const keys[] = {"label", "entity", "metric", "file", NULL};
    for (size_t i = 0; i < seq->n; i++) {
        const ree_ynode *n = seq->items[i];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "observations[%zu]", i);
        if (ld_expect(L, n, REE_Y_MAP, path) || ld_check_keys(L, n, path, keys))
            continue;
        const char *label = ld_str(L, n, "label", path, 1);
        const ree_ynode *en = ree_ymap_get(n, "entity");
        int several = en && en->kind == REE_Y_SEQ;
        const char *ent = several ? "" : ld_str(L, n, "entity", path, 1);
        const char *met = ld_str(L, n, "metric", path, 1);
        const char *file = ld_str(L, n, "file", path, 1);
        if (!label || !ent || !met || !file || check_label(L, n, label, path) ||
            unique_label(L, seq, i, path))
            continue;
        int s = several ? sum_series(L, en, label, met, path) : find(p, ent, met);
        if (s == -2)
            continue;
        if (s < 0) {
            ld_err(L, n, path, "no series %s/%s (is it excluded by report.series?)", ent, met);
            continue;
        }
        ree_observation *o = &p->observations[p->nobs];
        o->label = ld_strdup(L, label);
        o->series = s;
        o->mark = n->mark;
        o->file = obs_path(L, scenario_path, file);
        char fp[REE_PATH_MAX];
        ld_path(fp, path, "file");
        p->nobs++;
        if (o->file)
            read_points(L, o, ree_ymap_get(n, "file"), fp);
    }
    return 0;
}

void ree_plan_obs_sha256(const ree_plan *p, int i, char hex[65])
{
    const ree_observation *o = &p->observations[i];
    ree_sha256 h;
    ree_sha256_init(&h);
    ree_sha256_add(&h, &o->npoint, sizeof o->npoint);
    if (o->npoint > 0) {
        ree_sha256_add(&h, o->step, (size_t)o->npoint * sizeof *o->step);
        ree_sha256_add(&h, o->value, (size_t)o->npoint * sizeof *o->value);
    }
    ree_sha256_hex_end(&h, hex);
}

void ree_plan_inputs_sha256(const ree_plan *p, char hex[65])
{
    ree_sha256 h;
    ree_sha256_init(&h);
    ree_sha256_add(&h, p->sha256_hex, 64);
    for (int i = 0; i < p->nobs; i++) {
        char oh[65];
        ree_plan_obs_sha256(p, i, oh);
        ree_sha256_add(&h, oh, 64);
    }
    ree_sha256_hex_end(&h, hex);
}
