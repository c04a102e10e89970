/*
 * reesim-phases: where the time of `reesim run` goes, without a profiler (bench/README.md,
 * "Phase breakdown"). One thread, one scenario at a time; prints one line per phase.
 *
 * It times its own copy of the Monte Carlo worker (engine/sim/mc.c: run_block and merge_block,
 * one thread, blocks of REE_MC_BLOCK runs), with clock_gettime around each phase of each run, so
 * the engine and `reesim run` carry no timer at all and pay nothing for this. Keep the copy in
 * step with mc.c when its worker changes. Phases:
 *
 *   load          ree_plan_load of the scenario (minimum of 5 loads; first_s: the first, which
 *                 pays any one-off initialisation, as `reesim validate` does)
 *   reset         ree_run_reset: parameter sampling, state set-up (ree_lrun_reset for a lane
 *                 group when `reesim run` would step runs in lockstep: engine/sim/lrun.h)
 *   steps         ree_run_finish: every month of every model, draws included (ree_lrun_finish
 *                 of a lane group)
 *   draws (est.)  the part of reset + steps spent producing random numbers: the draws of the
 *                 first runs counted (below), times the cost of one draw measured alone
 *   statistics    ree_block_add / ree_vb_add per run; ree_block_seal, ree_acc_merge_block and
 *                 ree_vb_merge per block
 *   runs.csv      formatting and writing the per-run rows (plain), and runs.csv.gz (gzip)
 *   tables        timeseries.csv, summary.csv and the commit of the output set
 *
 * Draws are counted in a second pass over the first runs (at most 256), with the generator type
 * swapped for a counting copy (get, get_double) and ree_rng_uniform_pos wrapped at link time
 * (-Wl,--wrap=ree_rng_uniform_pos, this program only), so the timed pass runs the real
 * generator untouched. gsl_ran_* samplers' own arithmetic stays in "steps".
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mc.h"
#include "outfile.h"
#include "output.h"
#include "plan.h"
#include "rng.h"
#include "lrun.h"
#include "run.h"
#include "stats.h"
#include "variance.h"

enum { P_RESET, P_STEPS, P_STATS, P_CSV, P_GZ, P_TABLES, NPHASE };
static const char *const phase_name[NPHASE] = {"reset",    "steps",   "statistics",
                                               "runs.csv", "runs.gz", "tables"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Counting generator: the real type's functions, one count per call. */
static unsigned long long ndraw;
static const gsl_rng_type *real_type;
static gsl_rng_type counting_type;

static unsigned long counting_get(void *s)
{
    ndraw++;
    return real_type->get(s);
}

static double counting_get_double(void *s)
{
    ndraw++;
    return real_type->get_double(s);
}

double __real_ree_rng_uniform_pos(gsl_rng *r);
double __wrap_ree_rng_uniform_pos(gsl_rng *r);
static int counting;
double __wrap_ree_rng_uniform_pos(gsl_rng *r)
{
    ndraw += counting;
    return __real_ree_rng_uniform_pos(r);
}

/* ns per draw of the real generator: a mix of gsl_rng_uniform and ree_rng_uniform_pos. */
static double draw_ns(void)
{
    gsl_rng *g = gsl_rng_alloc(real_type);
    if (!g)
        return NAN;
    ree_stream_key k = {1, 2, 3, REE_STREAM_MODEL};
    ree_rng_select(g, &k);
    double best = INFINITY, sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        for (int i = 0; i < 1000000; i++)
            sink += (i & 1) ? gsl_rng_uniform(g) : __real_ree_rng_uniform_pos(g);
        double t = (now() - t0) / 1e6 * 1e9;
        best = t < best ? t : best;
    }
    gsl_rng_free(g);
    return sink < 0 ? NAN : best;
}

typedef struct ws {
    ree_run *run;
    ree_lrun *lanes;         /* as mc.c's worker: lockstep where reesim run takes it, else NULL */
    ree_block *series, *ind; /* the block's values, as mc.c's worker stages them */
    ree_acc *tseries, *tind;
    ree_vb *vb, *tvb;
    double *values;
} ws;

static void ws_free(ws *w)
{
    ree_run_free(w->run);
    ree_lrun_free(w->lanes);
    ree_block_free(w->series);
    ree_block_free(w->ind);
    ree_acc_free(w->tseries);
    ree_acc_free(w->tind);
    ree_vb_free(w->vb);
    ree_vb_free(w->tvb);
    free(w->values);
}

static int ws_alloc(ws *w, const ree_plan *p)
{
    size_t ncell = (size_t)p->nseries * (size_t)p->nsteps, nind = (size_t)p->nindicator;
    memset(w, 0, sizeof *w);
    w->run = ree_run_alloc(p);
    w->lanes = ree_lrun_alloc(p);
    w->series = ree_block_alloc(ncell);
    w->ind = ree_block_alloc(nind);
    w->tseries = ree_acc_alloc(ncell, REE_MC_DEFAULT_K);
    w->tind = ree_acc_alloc(nind, REE_MC_DEFAULT_K);
    /* the budget `reesim run` keeps by default (with REE_VB_OFF, one of no indicator) */
    w->vb = ree_vb_alloc(p, ree_vb_auto_scope(p));
    w->tvb = ree_vb_alloc(p, ree_vb_auto_scope(p));
    w->values = calloc((size_t)REE_MC_BLOCK * (nind ? nind : 1), sizeof(double));
    return w->run && w->series && w->ind && w->tseries && w->tind && w->vb && w->tvb && w->values
               ? 0
               : -1;
}

static int profile(const char *path, long long nruns, const char *outdir)
{
    ree_status st = REE_OK;
    double tload = INFINITY, tfirst = 0;
    ree_plan *p = NULL;
    for (int i = 0; i < 5; i++) {
        ree_diag *d = ree_diag_alloc(0);
        double t0 = now();
        ree_plan *q = d ? ree_plan_load(path, d, &st) : NULL;
        double t = now() - t0;
        ree_diag_free(d);
        if (!q) {
            fprintf(stderr, "reesim-phases: %s: cannot load (%s); see reesim validate\n", path,
                    ree_status_message(st));
            ree_plan_free(p);
            return 1;
        }
        tload = t < tload ? t : tload;
        if (i == 0)
            tfirst = t;
        if (p)
            ree_plan_free(q);
        else
            p = q;
    }
    ws w;
    char err[512] = "";
    if (ws_alloc(&w, p)) {
        fprintf(stderr, "reesim-phases: out of memory\n");
        ws_free(&w);
        ree_plan_free(p);
        return 1;
    }
    ree_outset *set = ree_outset_open(outdir, &st, err, sizeof err);
    ree_csv *csv = set ? ree_outset_csv(set, "runs.csv", ree_runs_columns, 6, &st) : NULL;
    ree_csv *gz = csv ? ree_outset_csv_gz(set, "runs.csv.gz", ree_runs_columns, 6, &st) : NULL;
    ree_csv *rows = ree_csv_mem_alloc();
    if (!gz || !rows) {
        ree_csv_mem_free(rows);
        fprintf(stderr, "reesim-phases: %s\n", *err ? err : "cannot open the output set");
        ree_outset_free(set);
        ws_free(&w);
        ree_plan_free(p);
        return 1;
    }
    size_t nind = (size_t)p->nindicator;
    const ree_run *failed = w.run;       /* whose message a failure prints */
    int lanes = w.lanes ? REE_LANES : 1; /* runs stepped together */
    double t[NPHASE] = {0};
    double wall0 = now();
    for (long long first = 0; first < nruns && st == REE_OK; first += REE_MC_BLOCK) {
        int count = nruns - first < REE_MC_BLOCK ? (int)(nruns - first) : REE_MC_BLOCK;
        double a = now(), b;
        ree_block_reset(w.series);
        ree_block_reset(w.ind);
        ree_vb_reset(w.vb);
        b = now();
        t[P_STATS] += b - a;
        int step = w.lanes ? REE_LANES : 1;
        for (int i = 0; i < count && st == REE_OK; i += step) {
            int n = count - i < step ? count - i : step, bad = 0;
            a = now();
            if (w.lanes)
                ree_lrun_reset(w.lanes, p->seed, first + i, n);
            else
                ree_run_reset(w.run, p->seed, first + i);
            b = now();
            t[P_RESET] += b - a;
            st = w.lanes ? ree_lrun_finish(w.lanes, &bad) : (ree_status)ree_run_finish(w.run);
            a = now();
            t[P_STEPS] += a - b;
            if (st != REE_OK) {
                failed = w.lanes ? ree_lrun_run(w.lanes, bad) : w.run;
                break;
            }
            if (w.lanes && ree_block_add_lanes(w.series, ree_lrun_series_lanes(w.lanes), n))
                st = REE_ENOMEM;
            for (int k = 0; k < n; k++) {
                const ree_run *r = w.lanes ? ree_lrun_run(w.lanes, k) : w.run;
                const double *ind = ree_run_indicators(r);
                memcpy(w.values + (size_t)(i + k) * nind, ind, nind * sizeof(double));
                ree_vb_add(w.vb, p->seed, first + i + k, ind);
                if ((!w.lanes && ree_block_add(w.series, ree_run_series(r))) ||
                    ree_block_add(w.ind, ind))
                    st = REE_ENOMEM;
            }
            t[P_STATS] += now() - a;
        }
        a = now();
        ree_block_seal(w.series); /* in mc.c on the worker, before the ordered merge */
        ree_block_seal(w.ind);
        if (ree_acc_merge_block(w.tseries, w.series) || ree_acc_merge_block(w.tind, w.ind))
            st = REE_ENOMEM;
        ree_vb_merge(w.tvb, w.vb);
        b = now();
        t[P_STATS] += b - a;
        ree_mc_write_runs(p, csv, w.values, first, count);
        a = now();
        t[P_CSV] += a - b;
        /* As reesim does: the block's rows into memory, deflated into one gzip member, appended. */
        ree_mc_write_runs(p, rows, w.values, first, count);
        if (ree_csv_mem_deflate(rows) != 0 || ree_csv_mem_flush(rows, gz) != 0)
            st = REE_ENOMEM;
        t[P_GZ] += now() - a;
    }
    double tmc = now() - wall0;
    ree_csv_mem_free(rows);
    if (st != REE_OK) {
        fprintf(stderr, "reesim-phases: %s: %s\n", path, ree_run_error(failed));
        ree_outset_free(set);
        ws_free(&w);
        ree_plan_free(p);
        return 1;
    }
    double a = now();
    ree_mc_result res = {w.tseries, w.tind, w.tvb, nruns, tmc, 1}; /* tables on one thread */
    st = ree_output_timeseries(p, &res, set);
    if (st == REE_OK)
        st = ree_output_summary(p, &res, set);
    FILE *meta = st == REE_OK ? ree_outset_file(set, "meta.json", &st) : NULL;
    if (meta)
        fputs("{}\n", meta); /* makes DIR a reesim output folder the next run may replace */
    if (st == REE_OK)
        st = ree_outset_commit(set, err, sizeof err);
    t[P_TABLES] = now() - a;
    ree_outset_free(set);
    if (st != REE_OK)
        fprintf(stderr, "reesim-phases: %s\n", err);

    /* Second pass: count the draws of the first runs. */
    long long ncount = nruns < 256 ? nruns : 256;
    ree_run *cr = NULL;
    ree_rng_philox = &counting_type;
    cr = ree_run_alloc(p);
    ree_rng_philox = real_type;
    ndraw = 0;
    counting = 1;
    for (long long i = 0; cr && i < ncount; i++) {
        ree_run_reset(cr, p->seed, i);
        ree_run_finish(cr);
    }
    counting = 0;
    ree_run_free(cr);
    double per_run = cr ? (double)ndraw / (double)ncount : NAN;
    double dns = draw_ns();
    double tdraw = per_run * (double)nruns * dns * 1e-9;

    double node_steps = (double)nruns * p->nsteps * p->nentity;
    double total = tload;
    for (int i = 0; i < NPHASE; i++)
        total += t[i];
    printf("phases scenario=%s runs=%lld steps=%d entities=%d threads=1 lanes=%d total_s=%.4f "
           "ns_per_node_step=%.1f draws_per_run=%.0f ns_per_draw=%.1f\n",
           p->name, nruns, p->nsteps, p->nentity, lanes, total,
           (t[P_RESET] + t[P_STEPS]) * 1e9 / node_steps, per_run, dns);
    printf("phase scenario=%s name=load s=%.5f pct=%.1f first_s=%.5f\n", p->name, tload,
           100 * tload / total, tfirst);
    for (int i = 0; i < NPHASE; i++) {
        printf("phase scenario=%s name=%s s=%.5f pct=%.1f", p->name, phase_name[i], t[i],
               100 * t[i] / total);
        if (i == P_STEPS)
            printf(" of_which_draws_est_s=%.5f draws_pct=%.1f", tdraw, 100 * tdraw / total);
        putchar('\n');
    }
    ws_free(&w); /* the run workspace reads its plan: free it first */
    ree_plan_free(p);
    return 0;
}

static const char usage[] =
    "Usage: reesim-phases [-n RUNS] [-o DIR] SCENARIO.yaml...\n"
    "Time the phases of a one-thread Monte Carlo (load, reset, steps, draws, statistics,\n"
    "runs.csv, runs.csv.gz, tables) of each scenario: RUNS runs (default 1024), output written\n"
    "to DIR (default /tmp/reesim-phases.UID, replaced).\n";

int main(int argc, char **argv)
{
    long long nruns = 1024;
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/reesim-phases.%ld", (long)getuid());
    int i = 1, bad = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            nruns = atoll(argv[++i]);
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        } else {
            fputs(usage, argv[i][1] == 'h' ? stdout : stderr);
            return argv[i][1] == 'h' ? 0 : 64;
        }
    }
    if (i == argc || nruns < 1) {
        fputs(usage, stderr);
        return 64;
    }
    gsl_set_error_handler_off();
    real_type = ree_rng_philox;
    counting_type = *real_type;
    counting_type.get = counting_get;
    counting_type.get_double = counting_get_double;
    for (; i < argc; i++)
        bad |= profile(argv[i], nruns, dir);
    return bad;
}
