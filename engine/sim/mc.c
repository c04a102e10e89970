/* Monte Carlo driver of one scenario on the block executor (see mc.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mc.h"
#include "lrun.h"
#include "run.h"

_Static_assert(REE_MC_BLOCK <= REE_BLOCK_MAX, "a block of runs must fit an ree_block");
_Static_assert(REE_BLOCK_LANES == REE_LANES,
               "a block takes the lanes as runs in lockstep hold them");

/* One thread's worker: its run workspace and the statistics of the block it is running. */
typedef struct worker {
    ree_run *run;
    ree_lrun *lanes;         /* runs in lockstep when every model has lane hooks, else NULL */
    ree_block *series, *ind; /* the block's values, summarised (sealed) by this thread */
    ree_vb *vb;              /* NULL unless the variance budget is asked */
    double *values;          /* REE_MC_BLOCK x nindicator, for runs.csv */
    ree_csv *rows;           /* the block's runs.csv rows, formatted (and deflated) here; or NULL */
} worker;

/* The merge is cut into `nparts` parts (exec.h): part p merges the series cells [cut[p],
 * cut[p + 1]) with its own scratch tmp[p]; part 0 also merges the indicators, the variance budget
 * and the runs.csv rows. */
typedef struct job {
    const ree_plan *p;
    const ree_mc_opts *o;
    ree_csv *runs_csv;
    ree_mc_result *out;
    int rows; /* REE_MC_ROWS_*: how this rank's threads prepare runs.csv rows */
    int nparts;
    size_t *cut;
    double **tmp;
} job;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ree_mc_result_free(ree_mc_result *r)
{
    if (!r)
        return;
    ree_acc_free(r->series);
    ree_acc_free(r->indicators);
    ree_vb_free(r->variance);
    r->series = r->indicators = NULL;
    r->variance = NULL;
}

/* The rows the simple way: every field quoted as needed on every row. */
static void write_runs_plain(const ree_plan *p, ree_csv *csv, const double *values, long long first,
                             int count)
{
    for (int i = 0; i < count; i++)
        for (int k = 0; k < p->nindicator; k++) {
            ree_csv_str(csv, p->name);
            ree_csv_int(csv, first + i);
            ree_csv_str(csv, p->indicators[k].entity_name);
            ree_csv_str(csv, p->indicators[k].name);
            ree_csv_str(csv, p->indicators[k].unit);
            ree_csv_num(csv, values[(size_t)i * (size_t)p->nindicator + (size_t)k]);
            ree_csv_end_row(csv);
        }
}

/* The text fields of the rows, quoted, in `t` (a memory CSV): the scenario's field is text[0 ..
 * at[0] - 1), indicator k's three are text[at[k] .. at[k + 1] - 1), each a row of t without its
 * newline; at has nindicator + 2 entries. Returns the text, or NULL when out of memory. */
static const char *runs_text(const ree_plan *p, ree_csv *t, size_t *at)
{
    ree_csv_str(t, p->name);
    ree_csv_end_row(t);
    (void)ree_csv_mem_bytes(t, &at[0]);
    for (int k = 0; k < p->nindicator; k++) {
        ree_csv_str(t, p->indicators[k].entity_name);
        ree_csv_str(t, p->indicators[k].name);
        ree_csv_str(t, p->indicators[k].unit);
        ree_csv_end_row(t);
        (void)ree_csv_mem_bytes(t, &at[k + 1]);
    }
    return ree_csv_mem_lost(t) ? NULL : ree_csv_mem_bytes(t, &at[p->nindicator + 1]);
}

/* The decimal digits of the whole numbers lo .. hi - 1 (0 <= lo <= hi), added. */
static double digits_sum(long long lo, long long hi)
{
    double sum = 0;
    long long end = 10; /* numbers below `end` have d digits or fewer */
    for (int d = 1; lo < hi; d++) {
        long long b = hi < end ? hi : end;
        if (lo < b) {
            sum += (double)d * (double)(b - lo);
            lo = b;
        }
        end = end > LLONG_MAX / 10 ? LLONG_MAX : end * 10;
    }
    return sum;
}

/* One row's bytes of indicator k's three text fields (and the comma between them), and of the
 * scenario's name field; the unquoted lengths when out of memory (ids need no quotes). */
static double fields_bytes(const char *text, const size_t *at, const ree_plan *p, int k)
{
    if (text)
        return (double)(at[k + 1] - at[k] - 1);
    const ree_indicator *ind = &p->indicators[k];
    return (double)(strlen(ind->entity_name) + strlen(ind->name) + strlen(ind->unit) + 2);
}

double ree_mc_runs_csv_bytes(const ree_plan *p, long long first, long long nruns)
{
    if (first < 0) /* no such run: counted from run 0 */
        first = 0;
    if (nruns > LLONG_MAX - first) /* no such runs either: the sum below stays defined */
        nruns = LLONG_MAX - first;
    if (nruns <= 0 || p->nindicator <= 0)
        return 0;
    ree_csv *t = ree_csv_mem_alloc();
    size_t *at = malloc(((size_t)p->nindicator + 2) * sizeof *at);
    const char *text = t && at ? runs_text(p, t, at) : NULL;
    double fields = 0; /* one run's text fields, without the scenario's */
    for (int k = 0; k < p->nindicator; k++)
        fields += fields_bytes(text, at, p, k);
    double name = text ? (double)(at[0] - 1) : (double)strlen(p->name);
    free(at);
    ree_csv_mem_free(t);
    /* a row: name "," run "," entity,indicator,unit "," value "\n" */
    double rows = (double)nruns * p->nindicator;
    return (double)nruns * fields + rows * (name + REE_MC_VALUE_BYTES + 4) +
           (double)p->nindicator * digits_sum(first, first + nruns);
}

/* The same bytes, with the text fields (scenario; entity, indicator, unit) quoted once per call
 * instead of once per row: they are the same on every run's rows. */
void ree_mc_write_runs(const ree_plan *p, ree_csv *csv, const double *values, long long first,
                       int count)
{
    ree_csv *t = ree_csv_mem_alloc();
    size_t *at = malloc(((size_t)p->nindicator + 2) * sizeof *at);
    const char *text = t && at ? runs_text(p, t, at) : NULL;
    char *lead = text ? malloc(at[0] + 24) : NULL; /* "scenario,run": fits a long long's digits */
    if (!lead) {                                   /* out of memory: the plain way */
        write_runs_plain(p, csv, values, first, count);
    } else {
        /* the scenario's field is text[0 .. at[0] - 1), indicator k's three are text[at[k] ..
         * at[k + 1] - 1): each row of t without its newline. A run's rows start with the same
         * two fields, its lead, formatted once per run (a row's raw text may hold commas). */
        memcpy(lead, text, at[0] - 1);
        lead[at[0] - 1] = ',';
        for (int i = 0; i < count; i++) {
            size_t n = at[0] + (size_t)ree_format_int(lead + at[0], first + i);
            for (int k = 0; k < p->nindicator; k++) {
                ree_csv_text(csv, lead, n);
                ree_csv_text(csv, text + at[k], at[k + 1] - at[k] - 1);
                ree_csv_num(csv, values[(size_t)i * (size_t)p->nindicator + (size_t)k]);
                ree_csv_end_row(csv);
            }
        }
    }
    free(lead);
    free(at);
    ree_csv_mem_free(t);
}

static void worker_free(void *ctx, void *wp)
{
    (void)ctx;
    worker *w = wp;
    if (!w)
        return;
    ree_run_free(w->run);
    ree_lrun_free(w->lanes);
    ree_block_free(w->series);
    ree_block_free(w->ind);
    ree_vb_free(w->vb);
    free(w->values);
    ree_csv_mem_free(w->rows);
    free(w);
}

static void *worker_alloc(void *ctx)
{
    const job *j = ctx;
    size_t nind = (size_t)j->p->nindicator;
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->lanes = ree_lrun_alloc(j->p);
    if (!w->lanes) /* one run at a time: its workspace (lockstep has its own per lane) */
        w->run = ree_run_alloc(j->p);
    size_t ncell = (size_t)j->p->nseries * (size_t)j->p->nsteps;
    w->series = j->o->series_moments_only ? ree_block_alloc_moments(ncell) : ree_block_alloc(ncell);
    w->ind = ree_block_alloc(nind);
    w->values = calloc((size_t)REE_MC_BLOCK * (nind ? nind : 1), sizeof(double));
    if (j->o->variance)
        w->vb = ree_vb_alloc(j->p, (ree_vb_scope)j->o->variance);
    if (j->rows)
        w->rows = ree_csv_mem_alloc();
    if ((!w->run && !w->lanes) || !w->series || !w->ind || !w->values ||
        (j->o->variance && !w->vb) || (j->rows && !w->rows)) {
        worker_free(ctx, w);
        return NULL;
    }
    if (w->lanes)
        ree_lrun_set_check(w->lanes, j->o->check);
    else
        ree_run_set_check(w->run, j->o->check);
    return w;
}

static ree_status run_block(void *ctx, void *wp, long long first, int count, char *err,
                            size_t errlen)
{
    const job *j = ctx;
    worker *w = wp;
    size_t nind = (size_t)j->p->nindicator;
    ree_block_reset(w->series);
    ree_block_reset(w->ind);
    if (w->vb)
        ree_vb_reset(w->vb);
    /* Lane groups of REE_LANES runs in lockstep, or one run at a time: the same values. */
    int step = w->lanes ? REE_LANES : 1;
    for (int i = 0; i < count; i += step) {
        int n = count - i < step ? count - i : step, bad = 0;
        ree_status st;
        if (w->lanes) {
            ree_lrun_reset(w->lanes, j->o->seed, first + i, n);
            st = ree_lrun_finish(w->lanes, &bad);
        } else {
            ree_run_reset(w->run, j->o->seed, first + i);
            st = (ree_status)ree_run_finish(w->run);
        }
        const ree_run *fail = w->lanes ? ree_lrun_run(w->lanes, bad) : w->run;
        if (st != REE_OK) {
            snprintf(err, errlen, "run %lld: %s", first + i + bad, ree_run_error(fail));
            return st;
        }
        /* Cannot fail: count <= REE_MC_BLOCK <= REE_BLOCK_MAX and the block was reset. The
         * series of runs in lockstep go in as the lanes hold them (REE_BLOCK_LANES apart). */
        if (w->lanes)
            (void)ree_block_add_lanes(w->series, ree_lrun_series_lanes(w->lanes), n);
        for (int k = 0; k < n; k++) {
            const ree_run *r = w->lanes ? ree_lrun_run(w->lanes, k) : w->run;
            const double *ind = ree_run_indicators(r);
            memcpy(w->values + (size_t)(i + k) * nind, ind, nind * sizeof(double));
            if (w->vb)
                ree_vb_add(w->vb, j->o->seed, first + i + k, ind);
            if (!w->lanes)
                (void)ree_block_add(w->series, ree_run_series(r));
            (void)ree_block_add(w->ind, ind);
        }
    }
    /* Summarise here, in parallel, so that the ordered merge is only an append per cell, and
     * format the block's runs.csv rows, so that it only appends their text. */
    ree_block_seal(w->series);
    ree_block_seal(w->ind);
    if (w->rows) {
        ree_csv_mem_clear(w->rows);
        ree_mc_write_runs(j->p, w->rows, w->values, first, count);
        if (j->rows == REE_MC_ROWS_GZ && ree_csv_mem_deflate(w->rows) != 0) {
            snprintf(err, errlen, "out of memory compressing the runs.csv rows of run %lld", first);
            return REE_ENOMEM;
        }
    }
    return REE_OK;
}

static void free_parts(job *j)
{
    for (int i = 0; j->tmp && i < j->nparts; i++)
        free(j->tmp[i]);
    free(j->tmp);
    free(j->cut);
    j->tmp = NULL;
    j->cut = NULL;
    j->nparts = 0;
}

static int split(void *ctx, int want)
{
    job *j = ctx;
    size_t ncell = ree_acc_ncell(j->out->series);
    int n = want < 1 ? 1 : want;
    if ((size_t)n > ncell / 64 + 1) /* parts of at least 64 cells: fewer, larger messages */
        n = (int)(ncell / 64 + 1);
    free_parts(j);
    j->cut = malloc(((size_t)n + 1) * sizeof *j->cut);
    j->tmp = calloc((size_t)n, sizeof *j->tmp);
    if (!j->cut || !j->tmp) {
        free_parts(j);
        return 0;
    }
    j->nparts = n;
    /* Balance the parts by merge work, the serial chain of each part: part 0 also merges the
     * indicators, worth `extra` series cells (a cell's merge costs about its block bytes: 64
     * values into a sketch, or the moments alone), so it takes fewer. The variance budget and
     * the runs.csv rows, also part 0's, are not counted: many bytes but cheap to merge (they
     * were counted until the 2-rank trace of historical-2025 showed part 1 merging 1.5 s to part
     * 0's 0.9 s). */
    size_t full_cell = (4 + REE_MC_BLOCK) * sizeof(double);
    size_t per_cell = j->o->series_moments_only ? 4 * sizeof(double) : full_cell;
    size_t extra = (size_t)j->p->nindicator * full_cell / per_cell;
    for (int i = 0; i <= n; i++) {
        size_t at = (ncell + extra) * (size_t)i / (size_t)n;
        j->cut[i] = i == n ? ncell : at < extra ? 0 : at - extra;
    }
    for (int i = 0; i < n; i++)
        if (!(j->tmp[i] = malloc(ree_acc_tmp_points(j->out->series) * sizeof(double)))) {
            free_parts(j);
            return 0;
        }
    return n;
}

static ree_status merge_part(void *ctx, void *wp, long long first, int count, int part, char *err,
                             size_t errlen)
{
    job *j = ctx;
    worker *w = wp;
    if (ree_acc_merge_block_cells(j->out->series, w->series, j->cut[part], j->cut[part + 1],
                                  j->tmp[part]) ||
        (part == 0 && ree_acc_merge_block(j->out->indicators, w->ind))) {
        snprintf(err, errlen, "out of memory merging statistics");
        return REE_ENOMEM;
    }
    if (part != 0)
        return REE_OK;
    if (w->vb)
        ree_vb_merge(j->out->variance, w->vb);
    (void)first, (void)count;
    if (j->runs_csv && ree_csv_mem_flush(w->rows, j->runs_csv) != 0) {
        snprintf(err, errlen, "out of memory formatting runs.csv");
        return REE_ENOMEM;
    }
    return REE_OK;
}

/* Part `part` of a block result as bytes, for MPI ranks (exec.h): its range of the sealed series
 * block and, for part 0, the indicator block, the variance budget and the block's runs.csv rows as
 * prepared on the rank that ran it (text, or a gzip member), each piece preceded by its length. */
static void *pack_part(void *ctx, void *wp, int count, int part, size_t *len)
{
    const job *j = ctx;
    worker *w = wp;
    size_t lo = j->cut[part], hi = j->cut[part + 1];
    size_t piece[4] = {ree_block_pack_cells(w->series, lo, hi, NULL, 0), 0, 0, 0};
    if (part == 0) {
        piece[1] = ree_block_pack(w->ind, NULL, 0);
        piece[2] = w->vb ? ree_vb_pack(w->vb, NULL, 0) : 0;
        if (w->rows && ree_csv_mem_lost(w->rows))
            return NULL; /* rows lost: out of memory (REE_ENOMEM, as the merge would return) */
        if (w->rows)
            (void)ree_csv_mem_bytes(w->rows, &piece[3]);
    }
    (void)count;
    size_t total = sizeof piece + piece[0] + piece[1] + piece[2] + piece[3];
    unsigned char *buf = malloc(total), *q = buf;
    if (!buf)
        return NULL;
    memcpy(q, piece, sizeof piece);
    q += sizeof piece;
    q += ree_block_pack_cells(w->series, lo, hi, q, piece[0]);
    if (piece[1])
        q += ree_block_pack(w->ind, q, piece[1]);
    if (piece[2])
        q += ree_vb_pack(w->vb, q, piece[2]);
    if (piece[3])
        memcpy(q, ree_csv_mem_bytes(w->rows, &piece[3]), piece[3]);
    *len = total;
    return buf;
}

static ree_status unpack_part(void *ctx, void *wp, int count, int part, const void *bytes,
                              size_t len)
{
    const job *j = ctx;
    worker *w = wp;
    const unsigned char *q = bytes;
    size_t piece[4];
    if (len < sizeof piece)
        return REE_EINTERNAL;
    memcpy(piece, q, sizeof piece);
    q += sizeof piece;
    (void)count;
    size_t want2 = part == 0 && w->vb ? ree_vb_pack(w->vb, NULL, 0) : 0;
    if ((piece[3] && (part != 0 || !w->rows)) || piece[2] != want2 ||
        (part != 0 && piece[1] != 0) || piece[0] > len || piece[1] > len || piece[2] > len ||
        piece[3] > len || len != sizeof piece + piece[0] + piece[1] + piece[2] + piece[3] ||
        ree_block_unpack_cells(w->series, j->cut[part], j->cut[part + 1], q, piece[0]) !=
            piece[0] ||
        (part == 0 && ree_block_unpack(w->ind, q + piece[0], piece[1]) != piece[1]) ||
        (piece[2] && ree_vb_unpack(w->vb, q + piece[0] + piece[1], piece[2]) != piece[2]))
        return REE_EINTERNAL;
    if (part == 0 && w->rows &&
        ree_csv_mem_set(w->rows, q + piece[0] + piece[1] + piece[2], piece[3],
                        j->rows == REE_MC_ROWS_GZ) != 0)
        return REE_ENOMEM;
    return REE_OK;
}

/* Part `part` of the totals (its series cells), from the rank that merged it to rank 0. */
static void *pack_total(void *ctx, int part, size_t *len)
{
    const job *j = ctx;
    size_t lo = j->cut[part], hi = j->cut[part + 1];
    size_t need = ree_acc_pack_cells(j->out->series, lo, hi, NULL, 0);
    void *buf = malloc(need ? need : 1);
    if (buf)
        *len = ree_acc_pack_cells(j->out->series, lo, hi, buf, need);
    return buf;
}

static ree_status unpack_total(void *ctx, int part, const void *bytes, size_t len)
{
    const job *j = ctx;
    size_t lo = j->cut[part], hi = j->cut[part + 1];
    return ree_acc_unpack_cells(j->out->series, lo, hi, bytes, len) == len ? REE_OK : REE_EINTERNAL;
}

size_t ree_mc_series_sketch_bytes(const ree_plan *p, size_t k)
{
    size_t ncell = (size_t)p->nseries * (size_t)p->nsteps;
    k = k ? k : REE_MC_DEFAULT_K;
    size_t per_cell = ree_acc_cell_bytes_max(k);
    return ncell > SIZE_MAX / per_cell ? SIZE_MAX : ncell * per_cell;
}

ree_exec_opts ree_mc_exec_opts(const ree_mc_opts *o)
{
    return (ree_exec_opts){.first_run = o->first_run,
                           .nruns = o->nruns,
                           .threads = o->threads,
                           .cancel = o->cancel,
                           .progress = o->progress,
                           .progress_arg = o->progress_arg};
}

ree_status ree_mc_run(const ree_plan *p, const ree_mc_opts *o, ree_csv *runs_csv,
                      ree_mc_result *out, char *err, size_t errlen)
{
    job j = {.p = p,
             .o = o,
             .runs_csv = runs_csv,
             .out = out,
             .rows = o->rows    ? o->rows
                     : runs_csv ? REE_MC_ROWS_CSV
                                : REE_MC_ROWS_NONE};
    size_t k = o->sketch_k ? o->sketch_k : REE_MC_DEFAULT_K;
    memset(out, 0, sizeof *out);
    size_t ncell = (size_t)p->nseries * (size_t)p->nsteps;
    out->series = o->series_moments_only ? ree_acc_alloc_moments(ncell) : ree_acc_alloc(ncell, k);
    out->indicators = ree_acc_alloc((size_t)p->nindicator, k);
    if (o->variance)
        out->variance = ree_vb_alloc(p, (ree_vb_scope)o->variance);
    int mine = !out->series || !out->indicators || (o->variance && !out->variance);
    /* On several MPI ranks the Monte Carlo is collective (ree_exec_run): every rank learns
     * whether any could not allocate, so that none enters it while another has left. */
    char what[96];
    snprintf(what, sizeof what, "allocating the statistics of %d series x %d months", p->nseries,
             p->nsteps);
    if (ree_ranks_lack_memory(mine, "stats", what, err, errlen)) {
        ree_mc_result_free(out);
        return REE_ENOMEM;
    }
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
    double t0 = now();
    ree_status status = ree_exec_run(&ops, &eo, err, errlen);
    out->nruns = o->nruns;
    out->threads = o->threads;
    out->seconds = now() - t0;
    free_parts(&j);
    if (status != REE_OK)
        ree_mc_result_free(out);
    return status;
}
