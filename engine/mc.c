/* Monte Carlo driver: fixed blocks, parallel waves, merges in block order (see mc.h). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mc.h"
#include "run.h"

typedef struct slot {
    ree_acc *series, *ind;
    double *values;  /* REE_MC_BLOCK x nindicator, for runs.csv */
    long long first; /* first run of the block */
    int count;
    int status;
    char err[256];
} slot;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(FILE *f, long long done, long long total, double t0)
{
    double el = now() - t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int w = 30, fill = total > 0 ? (int)(w * done / total) : w;
    fprintf(f, "\r[%.*s%*s] %3d%%  %lld/%lld runs  %.0f runs/s  ETA %.0fs ", fill,
            "##############################", w - fill, "", (int)(100 * done / (total ? total : 1)),
            done, total, rate, eta);
    fflush(f);
}

void ree_mc_result_free(ree_mc_result *r)
{
    if (!r)
        return;
    ree_acc_free(r->series);
    ree_acc_free(r->indicators);
    r->series = r->indicators = NULL;
}

static void write_rows(const ree_plan *p, ree_csv *csv, const slot *s)
{
    for (int i = 0; i < s->count; i++)
        for (int k = 0; k < p->nindicator; k++) {
            ree_csv_str(csv, p->name);
            ree_csv_int(csv, s->first + i);
            ree_csv_str(csv, p->indicators[k].entity_name);
            ree_csv_str(csv, p->indicators[k].name);
            ree_csv_str(csv, p->indicators[k].unit);
            ree_csv_num(csv, s->values[(size_t)i * (size_t)p->nindicator + (size_t)k]);
            ree_csv_end_row(csv);
        }
}

int ree_mc_run(const ree_plan *p, const ree_mc_opts *o, ree_csv *runs_csv, ree_mc_result *out,
               char *err, size_t errlen)
{
    int nthreads = o->threads > 0 ? o->threads : 1;
    size_t ncell = (size_t)p->nseries * (size_t)p->nsteps;
    size_t nind = (size_t)p->nindicator;
    size_t k = o->sketch_k ? o->sketch_k : REE_MC_DEFAULT_K;
    long long nblocks = (o->nruns + REE_MC_BLOCK - 1) / REE_MC_BLOCK;
    int wave = nthreads * 2;
    int status = REE_OK;
    memset(out, 0, sizeof *out);
    out->series = ree_acc_alloc(ncell, k);
    out->indicators = ree_acc_alloc(nind, k);
    slot *slots = calloc((size_t)wave, sizeof *slots);
    ree_run **ws = calloc((size_t)nthreads, sizeof *ws);
    int bad = !out->series || !out->indicators || !slots || !ws;
    for (int i = 0; !bad && i < wave; i++) {
        slots[i].series = ree_acc_alloc(ncell, REE_MC_BLOCK);
        slots[i].ind = ree_acc_alloc(nind, REE_MC_BLOCK);
        slots[i].values = calloc((size_t)REE_MC_BLOCK * (nind ? nind : 1), sizeof(double));
        bad = !slots[i].series || !slots[i].ind || !slots[i].values;
    }
    for (int i = 0; !bad && i < nthreads; i++) {
        ws[i] = ree_run_alloc(p);
        bad = !ws[i];
        if (!bad)
            ree_run_set_check(ws[i], o->check);
    }
    if (bad) {
        snprintf(err, errlen, "out of memory setting up %d threads", nthreads);
        status = REE_ENOMEM;
    }
    double t0 = now();
    for (long long b0 = 0; status == REE_OK && b0 < nblocks; b0 += wave) {
        int nb = (int)(nblocks - b0 < wave ? nblocks - b0 : wave);
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
        for (int i = 0; i < nb; i++) {
            ree_run *r = ws[omp_get_thread_num()];
            slot *s = &slots[i];
            long long first = (b0 + i) * REE_MC_BLOCK;
            s->first = o->first_run + first;
            s->count = (int)(o->nruns - first < REE_MC_BLOCK ? o->nruns - first : REE_MC_BLOCK);
            s->status = REE_OK;
            ree_acc_reset(s->series);
            ree_acc_reset(s->ind);
            for (int j = 0; j < s->count && s->status == REE_OK; j++) {
                ree_run_reset(r, o->seed, s->first + j);
                s->status = ree_run_finish(r);
                if (s->status != REE_OK) {
                    snprintf(s->err, sizeof s->err, "run %lld: %s", s->first + j, ree_run_error(r));
                    break;
                }
                memcpy(s->values + (size_t)j * nind, ree_run_indicators(r), nind * sizeof(double));
                if (ree_acc_add(s->series, ree_run_series(r)) ||
                    ree_acc_add(s->ind, ree_run_indicators(r))) {
                    s->status = REE_ENOMEM;
                    snprintf(s->err, sizeof s->err, "out of memory in run %lld", s->first + j);
                }
            }
        }
        for (int i = 0; i < nb && status == REE_OK; i++) {
            if (slots[i].status != REE_OK) {
                status = slots[i].status;
                snprintf(err, errlen, "%s", slots[i].err);
                break;
            }
            if (ree_acc_merge(out->series, slots[i].series) ||
                ree_acc_merge(out->indicators, slots[i].ind)) {
                status = REE_ENOMEM;
                snprintf(err, errlen, "out of memory merging statistics");
                break;
            }
            if (runs_csv)
                write_rows(p, runs_csv, &slots[i]);
        }
        if (status == REE_OK && o->cancel && *o->cancel) {
            status = REE_EINTERRUPTED;
            snprintf(err, errlen, "interrupted");
        }
        if (o->progress && o->progress_to) {
            long long done = (b0 + nb) * REE_MC_BLOCK;
            progress(o->progress_to, done < o->nruns ? done : o->nruns, o->nruns, t0);
        }
    }
    if (o->progress && o->progress_to)
        fprintf(o->progress_to, "\n");
    out->nruns = o->nruns;
    out->seconds = now() - t0;
    for (int i = 0; slots && i < wave; i++) {
        ree_acc_free(slots[i].series);
        ree_acc_free(slots[i].ind);
        free(slots[i].values);
    }
    free(slots);
    for (int i = 0; ws && i < nthreads; i++)
        ree_run_free(ws[i]);
    free(ws);
    if (status != REE_OK)
        ree_mc_result_free(out);
    return status;
}
