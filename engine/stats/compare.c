/* Paired comparison with common random numbers: matching, paired sums, output (see compare.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "compare.h"
#include "lrun.h"
#include "numfmt.h"
#include "run.h"

/* ---- paired statistics ---------------------------------------------------------------------- */

void ree_pair_add(ree_pair_acc *s, double a, double b)
{
    double d = b - a;
    s->n += 1;
    double da = a - s->mean_a, db = b - s->mean_b, dd = d - s->mean_d;
    s->mean_a += da / s->n;
    s->mean_b += db / s->n;
    s->mean_d += dd / s->n;
    s->m2_a += da * (a - s->mean_a);
    s->m2_b += db * (b - s->mean_b);
    s->m2_d += dd * (d - s->mean_d);
    s->n_up += d > 0;
    s->n_down += d < 0;
}

static void chan(double na, double nb, double *mean, double *m2, double mean_b, double m2_b)
{
    double n = na + nb, delta = mean_b - *mean;
    *mean += delta * nb / n;
    *m2 += m2_b + delta * delta * na * nb / n;
}

void ree_pair_merge(ree_pair_acc *into, const ree_pair_acc *from)
{
    if (from->n == 0)
        return;
    if (into->n == 0) {
        *into = *from;
        return;
    }
    chan(into->n, from->n, &into->mean_a, &into->m2_a, from->mean_a, from->m2_a);
    chan(into->n, from->n, &into->mean_b, &into->m2_b, from->mean_b, from->m2_b);
    chan(into->n, from->n, &into->mean_d, &into->m2_d, from->mean_d, from->m2_d);
    into->n += from->n;
    into->n_up += from->n_up;
    into->n_down += from->n_down;
}

void ree_pair_summarize(const ree_pair_acc *s, ree_pair_stats *out)
{
    double n = s->n;
    out->n = n;
    out->base_mean = n > 0 ? s->mean_a : NAN;
    out->scenario_mean = n > 0 ? s->mean_b : NAN;
    out->diff_mean = n > 0 ? s->mean_d : NAN;
    out->prob_up = n > 0 ? s->n_up / n : NAN;
    out->prob_down = n > 0 ? s->n_down / n : NAN;
    if (n < 2) {
        out->diff_sd = out->ci_low = out->ci_high = out->paired_width = out->unpaired_width = NAN;
        return;
    }
    double t = gsl_cdf_tdist_Pinv(0.975, n - 1);
    out->diff_sd = sqrt(s->m2_d / (n - 1));
    double half = t * out->diff_sd / sqrt(n);
    out->ci_low = s->mean_d - half;
    out->ci_high = s->mean_d + half;
    out->paired_width = 2 * half;
    out->unpaired_width = 2 * t * sqrt((s->m2_a / (n - 1) + s->m2_b / (n - 1)) / n);
}

/* ---- directions ----------------------------------------------------------------------------- */

double ree_pair_prob_worse(const ree_pair_stats *s, ree_direction dir)
{
    return dir == REE_DIR_HIGHER_WORSE    ? s->prob_up
           : dir == REE_DIR_HIGHER_BETTER ? s->prob_down
                                          : NAN;
}

/* ---- matching ------------------------------------------------------------------------------- */

typedef struct matched {
    const ree_plan *p;
    int nind, *bi, *oi; /* indicator pairs: base index, scenario index */
    int nser, *bs, *os; /* series pairs */
    int t0, nt, off;    /* base steps t0 .. t0+nt-1 pair with scenario steps t - off */
    size_t cell0;       /* first cell of this scenario */
} matched;

struct ree_compare {
    const ree_plan *base;
    int nother;
    matched *m;
    size_t ncell;
    ree_pair_acc *total;
    long long nruns;
    unsigned long long seed;
};

void ree_compare_free(ree_compare *c)
{
    if (!c)
        return;
    for (int i = 0; c->m && i < c->nother; i++) {
        free(c->m[i].bi);
        free(c->m[i].oi);
        free(c->m[i].bs);
        free(c->m[i].os);
    }
    free(c->m);
    free(c->total);
    free(c);
}

static int find_indicator(const ree_plan *p, const char *entity, const char *name)
{
    for (int i = 0; i < p->nindicator; i++)
        if (!strcmp(p->indicators[i].entity_name, entity) && !strcmp(p->indicators[i].name, name))
            return i;
    return -1;
}

static int find_series(const ree_plan *p, const char *entity, const char *metric)
{
    for (int i = 0; i < p->nseries; i++)
        if (!strcmp(p->series[i].entity_name, entity) && !strcmp(p->series[i].metric, metric))
            return i;
    return -1;
}

/* One "skipped:" line per entity, kind and reason, listing the names (items of an entity are
 * consecutive in plan order): "skipped: us_recycler series collected, recovered (only in ...)". */
typedef struct skiplog {
    FILE *f;
    const char *entity, *kind, *why;
} skiplog;

static void skip_end(skiplog *l)
{
    if (l->f && l->entity)
        fprintf(l->f, " (%s)\n", l->why);
    l->entity = NULL;
}

static void skip(skiplog *l, const char *entity, const char *name, const char *kind,
                 const char *why)
{
    if (!l->f)
        return;
    if (l->entity && !strcmp(l->entity, entity) && l->kind == kind && !strcmp(l->why, why)) {
        fprintf(l->f, ", %s", name);
        return;
    }
    skip_end(l);
    fprintf(l->f, "skipped: %s %s %s", entity, kind, name);
    l->entity = entity;
    l->kind = kind;
    l->why = why;
}

static int match(const ree_plan *b, matched *m, FILE *diag)
{
    const ree_plan *o = m->p;
    int nb = b->nindicator, ns = b->nseries;
    m->bi = malloc((size_t)(nb ? nb : 1) * sizeof(int));
    m->oi = malloc((size_t)(nb ? nb : 1) * sizeof(int));
    m->bs = malloc((size_t)(ns ? ns : 1) * sizeof(int));
    m->os = malloc((size_t)(ns ? ns : 1) * sizeof(int));
    if (!m->bi || !m->oi || !m->bs || !m->os)
        return -1;
    char only_base[300], only_other[300], units[300];
    snprintf(only_base, sizeof only_base, "only in the base %s, not in %s", b->name, o->name);
    snprintf(only_other, sizeof only_other, "only in %s, not in the base %s", o->name, b->name);
    snprintf(units, sizeof units, "units differ between %s and %s", b->name, o->name);
    skiplog l = {diag, NULL, NULL, NULL};
    for (int i = 0; i < nb; i++) {
        const ree_indicator *ind = &b->indicators[i];
        int j = find_indicator(o, ind->entity_name, ind->name);
        if (j < 0)
            skip(&l, ind->entity_name, ind->name, "indicators", only_base);
        else if (strcmp(ind->unit, o->indicators[j].unit) != 0)
            skip(&l, ind->entity_name, ind->name, "indicators", units);
        else {
            m->bi[m->nind] = i;
            m->oi[m->nind++] = j;
        }
    }
    for (int j = 0; j < o->nindicator; j++)
        if (find_indicator(b, o->indicators[j].entity_name, o->indicators[j].name) < 0)
            skip(&l, o->indicators[j].entity_name, o->indicators[j].name, "indicators", only_other);
    for (int i = 0; i < ns; i++) {
        const ree_series *s = &b->series[i];
        int j = find_series(o, s->entity_name, s->metric);
        if (j < 0)
            skip(&l, s->entity_name, s->metric, "series", only_base);
        else if (strcmp(s->unit, o->series[j].unit) != 0)
            skip(&l, s->entity_name, s->metric, "series", units);
        else {
            m->bs[m->nser] = i;
            m->os[m->nser++] = j;
        }
    }
    for (int j = 0; j < o->nseries; j++)
        if (find_series(b, o->series[j].entity_name, o->series[j].metric) < 0)
            skip(&l, o->series[j].entity_name, o->series[j].metric, "series", only_other);
    skip_end(&l);
    m->off = o->start - b->start;
    int t0 = m->off > 0 ? m->off : 0;
    int t1 = o->nsteps + m->off < b->nsteps ? o->nsteps + m->off : b->nsteps;
    m->t0 = t0;
    m->nt = t1 > t0 ? t1 - t0 : 0;
    if (diag && (m->off != 0 || o->nsteps != b->nsteps))
        fprintf(diag,
                "note: %s and %s have different horizons: series compare on the %d months they "
                "share; indicators cover each case's own horizon\n",
                b->name, o->name, m->nt);
    return 0;
}

ree_compare *ree_compare_alloc(const ree_plan *base, const ree_plan *const *others, int nother,
                               FILE *diag)
{
    ree_compare *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base = base;
    c->nother = nother;
    c->m = calloc((size_t)(nother > 0 ? nother : 1), sizeof *c->m);
    if (!c->m) {
        ree_compare_free(c);
        return NULL;
    }
    for (int i = 0; i < nother; i++) {
        c->m[i].p = others[i];
        if (match(base, &c->m[i], diag)) {
            ree_compare_free(c);
            return NULL;
        }
        c->m[i].cell0 = c->ncell;
        c->ncell += (size_t)c->m[i].nind + (size_t)c->m[i].nser * (size_t)c->m[i].nt;
    }
    c->total = calloc(c->ncell ? c->ncell : 1, sizeof *c->total);
    if (!c->total) {
        ree_compare_free(c);
        return NULL;
    }
    return c;
}

/* ---- the paired Monte Carlo ----------------------------------------------------------------- */

/* One thread's worker: a run workspace per scenario (base first), or a lockstep one per scenario
 * when every scenario has one (engine/sim/lrun.h; NULL otherwise), and its block's paired sums. */
typedef struct worker {
    ree_run **runs;
    ree_lrun **lanes;
    const ree_run **lane_runs; /* the scenarios' runs of one lane, for add_run */
    ree_pair_acc *acc;
} worker;

typedef struct job {
    ree_compare *c;
    const ree_mc_opts *o;
    int nparts;
} job;

/* Add run j's pairs of every scenario; runs[0] is the base. */
static void add_run(const ree_compare *c, const ree_run *const *runs, ree_pair_acc *acc)
{
    const double *bi = ree_run_indicators(runs[0]), *bs = ree_run_series(runs[0]);
    int bsteps = c->base->nsteps;
    for (int i = 0; i < c->nother; i++) {
        const matched *m = &c->m[i];
        const double *oi = ree_run_indicators(runs[i + 1]), *os = ree_run_series(runs[i + 1]);
        int osteps = m->p->nsteps;
        ree_pair_acc *a = acc + m->cell0;
        for (int k = 0; k < m->nind; k++)
            ree_pair_add(a++, bi[m->bi[k]], oi[m->oi[k]]);
        for (int k = 0; k < m->nser; k++) {
            const double *x = bs + (size_t)m->bs[k] * (size_t)bsteps;
            const double *y = os + (size_t)m->os[k] * (size_t)osteps;
            for (int t = m->t0; t < m->t0 + m->nt; t++)
                ree_pair_add(a++, x[t], y[t - m->off]);
        }
    }
}

static void worker_free(void *ctx, void *wp)
{
    const job *j = ctx;
    worker *w = wp;
    if (!w)
        return;
    for (int q = 0; w->runs && q <= j->c->nother; q++)
        ree_run_free(w->runs[q]);
    for (int q = 0; w->lanes && q <= j->c->nother; q++)
        ree_lrun_free(w->lanes[q]);
    free(w->runs);
    free(w->lanes);
    free(w->lane_runs);
    free(w->acc);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    const job *j = ctx;
    const ree_compare *c = j->c;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->runs = calloc((size_t)c->nother + 1, sizeof *w->runs);
    w->acc = calloc(c->ncell ? c->ncell : 1, sizeof *w->acc);
    int bad = !w->runs || !w->acc;
    for (int q = 0; !bad && q <= c->nother; q++) {
        w->runs[q] = ree_run_alloc(q ? c->m[q - 1].p : c->base);
        bad = !w->runs[q];
        if (!bad)
            ree_run_set_check(w->runs[q], j->o->check);
    }
    if (bad) {
        worker_free(ctx, w);
        return NULL;
    }
    /* Lockstep where every scenario can take it (each plan's runs in lanes of its own). */
    w->lanes = calloc((size_t)c->nother + 1, sizeof *w->lanes);
    w->lane_runs = calloc((size_t)c->nother + 1, sizeof *w->lane_runs);
    int lanes = w->lanes && w->lane_runs;
    for (int q = 0; lanes && q <= c->nother; q++) {
        w->lanes[q] = ree_lrun_alloc(q ? c->m[q - 1].p : c->base);
        if ((lanes = w->lanes[q] != NULL))
            ree_lrun_set_check(w->lanes[q], j->o->check);
    }
    if (!lanes && w->lanes) { /* one at a time: the same values */
        for (int q = 0; q <= c->nother; q++)
            ree_lrun_free(w->lanes[q]);
        free(w->lanes);
        w->lanes = NULL;
    }
    return w;
}

/* Runs first .. first + count - 1 in lockstep, each scenario's lanes stepped in turn; the
 * failure reported is the one a run at a time would meet first (the first run, then the first
 * scenario, that fails). */
static ree_status run_lanes(const job *j, worker *w, long long first, int count, char *err,
                            size_t errlen)
{
    const ree_compare *c = j->c;
    for (int i = 0; i < count; i += REE_LANES) {
        int n = count - i < REE_LANES ? count - i : REE_LANES;
        for (int q = 0; q <= c->nother; q++) {
            ree_lrun_reset(w->lanes[q], j->o->seed, first + i, n);
            (void)ree_lrun_finish(w->lanes[q], NULL);
        }
        for (int l = 0; l < n; l++)
            for (int q = 0; q <= c->nother; q++) {
                ree_status st = ree_lrun_status(w->lanes[q], l);
                if (st != REE_OK) {
                    const ree_plan *p = q ? c->m[q - 1].p : c->base;
                    snprintf(err, errlen, "%s: run %lld: %s", p->name, first + i + l,
                             ree_run_error(ree_lrun_run(w->lanes[q], l)));
                    return st;
                }
            }
        for (int l = 0; l < n; l++) {
            for (int q = 0; q <= c->nother; q++) {
                (void)ree_lrun_series(w->lanes[q], l); /* into the lane's run */
                w->lane_runs[q] = ree_lrun_run(w->lanes[q], l);
            }
            add_run(c, w->lane_runs, w->acc);
        }
    }
    return REE_OK;
}

static ree_status run_block(void *ctx, void *wp, long long first, int count, char *err,
                            size_t errlen)
{
    const job *j = ctx;
    const ree_compare *c = j->c;
    worker *w = wp;
    memset(w->acc, 0, c->ncell * sizeof *w->acc);
    if (w->lanes)
        return run_lanes(j, w, first, count, err, errlen);
    for (int i = 0; i < count; i++) {
        for (int q = 0; q <= c->nother; q++) {
            ree_run_reset(w->runs[q], j->o->seed, first + i);
            ree_status st = (ree_status)ree_run_finish(w->runs[q]);
            if (st != REE_OK) {
                const ree_plan *p = q ? c->m[q - 1].p : c->base;
                snprintf(err, errlen, "%s: run %lld: %s", p->name, first + i,
                         ree_run_error(w->runs[q]));
                return st;
            }
        }
        add_run(c, (const ree_run *const *)w->runs, w->acc);
    }
    return REE_OK;
}

/* The merge cut into parts (exec.h): part p folds the paired sums of cells [cut(p), cut(p + 1)),
 * so threads and MPI ranks merge different ranges at once; ranges of at least 64 cells. */
static int split(void *ctx, int want)
{
    job *j = ctx;
    size_t most = j->c->ncell / 64 + 1;
    j->nparts = want < 1 ? 1 : (size_t)want > most ? (int)most : want;
    return j->nparts;
}

static size_t cut(const job *j, int part)
{
    return j->c->ncell * (size_t)part / (size_t)j->nparts;
}

static ree_status merge_part(void *ctx, void *wp, long long first, int count, int part, char *err,
                             size_t errlen)
{
    (void)first, (void)count, (void)err, (void)errlen;
    const job *j = ctx;
    const worker *w = wp;
    for (size_t k = cut(j, part); k < cut(j, part + 1); k++)
        ree_pair_merge(&j->c->total[k], &w->acc[k]);
    return REE_OK;
}

/* Cells [lo, hi) of `acc` as bytes (MPI ranks, exec.h), and back. */
static void *pack_cells(const ree_pair_acc *acc, size_t lo, size_t hi, size_t *len)
{
    size_t n = (hi - lo) * sizeof *acc;
    void *buf = malloc(n ? n : 1);
    if (buf) {
        memcpy(buf, acc + lo, n);
        *len = n;
    }
    return buf;
}

static ree_status unpack_cells(ree_pair_acc *acc, size_t lo, size_t hi, const void *bytes,
                               size_t len)
{
    if (len != (hi - lo) * sizeof *acc)
        return REE_EINTERNAL;
    memcpy(acc + lo, bytes, len);
    return REE_OK;
}

static void *pack_part(void *ctx, void *wp, int count, int part, size_t *len)
{
    (void)count;
    const job *j = ctx;
    const worker *w = wp;
    return pack_cells(w->acc, cut(j, part), cut(j, part + 1), len);
}

static ree_status unpack_part(void *ctx, void *wp, int count, int part, const void *bytes,
                              size_t len)
{
    (void)count;
    const job *j = ctx;
    worker *w = wp;
    return unpack_cells(w->acc, cut(j, part), cut(j, part + 1), bytes, len);
}

static void *pack_total(void *ctx, int part, size_t *len)
{
    const job *j = ctx;
    return pack_cells(j->c->total, cut(j, part), cut(j, part + 1), len);
}

static ree_status unpack_total(void *ctx, int part, const void *bytes, size_t len)
{
    const job *j = ctx;
    return unpack_cells(j->c->total, cut(j, part), cut(j, part + 1), bytes, len);
}

ree_status ree_compare_run(ree_compare *c, const ree_mc_opts *o, char *err, size_t errlen)
{
    memset(c->total, 0, c->ncell * sizeof *c->total);
    c->nruns = o->nruns;
    c->seed = o->seed;
    job j = {.c = c, .o = o};
    ree_exec_ops ops = {.ctx = &j,
                        .worker_alloc = worker_alloc,
                        .worker_free = worker_free,
                        .block = run_block,
                        .split = split,
                        .merge_part = merge_part,
                        .pack_part = pack_part,
                        .unpack_part = unpack_part,
                        .pack_total = pack_total,
                        .unpack_total = unpack_total};
    ree_exec_opts eo = ree_mc_exec_opts(o);
    return (int)ree_exec_run(&ops, &eo, err, errlen);
}

/* ---- output --------------------------------------------------------------------------------- */

static void stat_cols(ree_csv *csv, const ree_pair_stats *s)
{
    ree_csv_num(csv, s->base_mean);
    ree_csv_num(csv, s->scenario_mean);
    ree_csv_num(csv, s->diff_mean);
    ree_csv_num(csv, s->ci_low);
    ree_csv_num(csv, s->ci_high);
}

ree_status ree_compare_write(const ree_compare *c, ree_outset *set)
{
    static const char *const cols[] = {
        "base",       "scenario",        "entity",           "indicator",     "unit",
        "base_mean",  "scenario_mean",   "diff_mean",        "diff_ci95_low", "diff_ci95_high",
        "prob_worse", "paired_ci_width", "unpaired_ci_width"};
    static const char *const tcols[] = {
        "base", "scenario",  "step",          "date",      "entity",        "metric",
        "unit", "base_mean", "scenario_mean", "diff_mean", "diff_ci95_low", "diff_ci95_high"};
    ree_status st = REE_OK;
    ree_csv *csv = ree_outset_csv(set, "compare.csv", cols, sizeof cols / sizeof cols[0], &st);
    if (!csv)
        return st;
    ree_csv *ts =
        ree_outset_csv(set, "compare_timeseries.csv", tcols, sizeof tcols / sizeof tcols[0], &st);
    if (!ts)
        return st;
    const ree_plan *b = c->base;
    for (int i = 0; i < c->nother; i++) {
        const matched *m = &c->m[i];
        const ree_pair_acc *a = c->total + m->cell0;
        for (int k = 0; k < m->nind; k++) {
            const ree_indicator *ind = &b->indicators[m->bi[k]];
            ree_pair_stats s;
            ree_pair_summarize(a++, &s);
            ree_csv_str(csv, b->name);
            ree_csv_str(csv, m->p->name);
            ree_csv_str(csv, ind->entity_name);
            ree_csv_str(csv, ind->name);
            ree_csv_str(csv, ind->unit);
            stat_cols(csv, &s);
            ree_csv_num(csv, ree_pair_prob_worse(&s, ind->def->dir));
            ree_csv_num(csv, s.paired_width);
            ree_csv_num(csv, s.unpaired_width);
            ree_csv_end_row(csv);
        }
        for (int k = 0; k < m->nser; k++) {
            const ree_series *se = &b->series[m->bs[k]];
            for (int t = m->t0; t < m->t0 + m->nt; t++) {
                ree_pair_stats s;
                ree_pair_summarize(a++, &s);
                char date[16];
                ree_plan_date(b, t, date, sizeof date);
                ree_csv_str(ts, b->name);
                ree_csv_str(ts, m->p->name);
                ree_csv_int(ts, t);
                ree_csv_str(ts, date);
                ree_csv_str(ts, se->entity_name);
                ree_csv_str(ts, se->metric);
                ree_csv_str(ts, se->unit);
                stat_cols(ts, &s);
                ree_csv_end_row(ts);
            }
        }
    }
    return REE_OK;
}

/* Indicators that say most about US supply (REE_MD_HEADLINE in their table) rank first. */
static int headline(const ree_plan *p, int indicator)
{
    return (p->indicators[indicator].def->flags & REE_MD_HEADLINE) != 0;
}

typedef struct ranked {
    int k;           /* pair index */
    int significant; /* the 95% CI excludes 0 */
    double score;
} ranked;

/* Differences whose CI excludes 0 first, then by score, then in plan order. */
static int by_score(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->significant != b->significant)
        return b->significant - a->significant;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->k > b->k) - (a->k < b->k);
}

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

#define HEADLINE_WEIGHT 2.0 /* how much a headline indicator's relative change counts */

static void print_one(const ree_compare *c, const matched *m, FILE *out, int top)
{
    const ree_plan *b = c->base;
    const ree_pair_acc *acc = c->total + m->cell0;
    ranked *r = malloc((size_t)(m->nind ? m->nind : 1) * sizeof *r);
    double *ratio = malloc((size_t)(m->nind ? m->nind : 1) * sizeof *ratio);
    if (!r || !ratio) {
        free(r);
        free(ratio);
        return;
    }
    int nr = 0, nratio = 0, exact = 0;
    for (int k = 0; k < m->nind; k++) {
        ree_pair_stats s;
        ree_pair_summarize(&acc[k], &s);
        if (s.paired_width > 0 && s.unpaired_width > 0)
            ratio[nratio++] = s.unpaired_width / s.paired_width;
        else if (s.paired_width == 0 && s.unpaired_width > 0)
            exact++;
        if (!(s.diff_mean != 0))
            continue;
        double scale = fmax(fabs(s.base_mean), fabs(s.scenario_mean));
        r[nr].k = k;
        r[nr].significant = s.ci_low > 0 || s.ci_high < 0;
        r[nr].score = (scale > 0 ? fabs(s.diff_mean) / scale : 0) *
                      (headline(b, m->bi[k]) ? HEADLINE_WEIGHT : 1);
        nr++;
    }
    qsort(r, (size_t)nr, sizeof *r, by_score);
    fprintf(out, "%s vs %s (base): %lld paired runs, seed %llu\n", m->p->name, b->name, c->nruns,
            c->seed);
    if (nr == 0)
        fprintf(out, "  no indicator differs on average\n");
    else
        fprintf(out, "  %-18s %-20s %11s %11s %11s  %-25s %8s  %s\n", "entity", "indicator", "base",
                "scenario", "difference", "95% CI", "P(worse)", "unit");
    for (int i = 0; i < nr && i < top; i++) {
        int k = r[i].k;
        const ree_indicator *ind = &b->indicators[m->bi[k]];
        ree_pair_stats s;
        ree_pair_summarize(&acc[k], &s);
        double pw = ree_pair_prob_worse(&s, ind->def->dir);
        char ci[2 * REE_FMT_MAX + 8], pws[16], lo[REE_FMT_MAX], hi[REE_FMT_MAX];
        char bm[REE_FMT_MAX], sm[REE_FMT_MAX], dm[REE_FMT_MAX];
        if (isnan(s.ci_low))
            snprintf(ci, sizeof ci, "- (needs 2 runs)");
        else
            snprintf(ci, sizeof ci, "[%s, %s]", ree_fmt_number(lo, sizeof lo, s.ci_low, 0),
                     ree_fmt_number(hi, sizeof hi, s.ci_high, 0));
        if (isnan(pw))
            snprintf(pws, sizeof pws, "-");
        else
            ree_fmt_number(pws, sizeof pws, pw, 0);
        fprintf(out, "  %-18s %-20s %11s %11s %11s  %-25s %8s  %s\n", ind->entity_name, ind->name,
                ree_fmt_number(bm, sizeof bm, s.base_mean, 0),
                ree_fmt_number(sm, sizeof sm, s.scenario_mean, 0),
                ree_fmt_number(dm, sizeof dm, s.diff_mean, REE_FMT_SIGN), ci, pws, ind->unit);
    }
    if (nratio > 0) {
        qsort(ratio, (size_t)nratio, sizeof *ratio, by_value);
        double med =
            nratio % 2 ? ratio[nratio / 2] : (ratio[nratio / 2 - 1] + ratio[nratio / 2]) / 2;
        fprintf(out,
                "  common random numbers: paired 95%% CIs are %.3g times narrower than unpaired "
                "(median over %d indicators, range %.3g-%.3g)",
                med, nratio, ratio[0], ratio[nratio - 1]);
        if (exact)
            fprintf(out, "; %d more have the same difference in every run (paired width 0)", exact);
        fputc('\n', out);
    } else if (exact) {
        fprintf(out,
                "  common random numbers: %d indicators have the same difference in every run "
                "(paired CI width 0)\n",
                exact);
    }
    free(r);
    free(ratio);
}

void ree_compare_print(const ree_compare *c, FILE *out, int top)
{
    for (int i = 0; i < c->nother; i++)
        print_one(c, &c->m[i], out, top);
}
