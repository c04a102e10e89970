/*
 * Driver of the sector lockstep spike.
 *   ./sector_bench verify         bit-identity of every variant against the library's hooks
 *   ./sector_bench time [reps] [passes]   interleaved timing, ns per run-step
 *   ./sector_bench perf VARIANT PASSES    only that variant (for perf record)
 *
 * The scalar harness does what the engine does for one sector node (engine/sim/run.c,
 * run_step.c): per run, the whole key of the node's per-step stream (REE_STREAM_MODEL | (t+1)<<8)
 * at step 0 and only its kind after, state zeroed and reset(), then per step order() and
 * consume() through the model's function pointers, with a ree_node_io of nmat = 1 arrays. Stock,
 * position and scarcity come from tables made beforehand by a toy inventory driven by the same
 * hooks (so they are what those hooks would see): lead 2 months, half the runs disrupted
 * (deliveries cut to 20-55% for 6-17 months from month 12), so shortfalls, stoppages and
 * recoveries happen.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exactmath.h"
#include "lock.h"
#include "model.h"
#include "rng.h"

#define SEED 20250601ull
#define NMET 9
#define NIND 14
#define LEAD 2.0

double *orc_u, *orc_z, *orc_lg, *orc_ex, *orc_pw;
v8d *orc_u_v, *orc_lg_v, *orc_ex_v, *orc_pw_v;
int bench_run, bench_step;

/* scalar copies of sector.c (sector_copy.c) */
extern const ree_model sc_all, sc_draw, sc_pinv, sc_exp, sc_pow, sc_none;
/* lockstep builds (lockstep.c) */
extern const lock_hooks lk_2a, lk_2b, lk_2c, lk_2d, lk_2a_none, lk_2b_draw, lk_2b_log, lk_2b_exp,
    lk_2b_pow, lk_2b_none, lk_2e, lk_2f, lk_2e_draw, lk_2e_log, lk_2e_exp, lk_2e_pow;

void lk_2b_pinv(const double *p, double *z, int n);

/* the vector quantile of 2b against ree_ugaussian_pinv: the edges of its three regions, the
 * extremes, and 2^22 values uniform and log-uniform towards both ends */
static int check_pinv(void)
{
    enum { N = 1 << 22 };
    double *p = malloc(N * sizeof(double)), *z = malloc(N * sizeof(double));
    int n = 0;
    const double edge[] = {0.0,
                           1.0,
                           0x1p-1074,
                           DBL_MIN,
                           1e-300,
                           1e-100,
                           1e-20,
                           1.3887943864964021e-11,
                           1.388794386496402e-11,
                           1.3887943864964022e-11,
                           0x1p-53,
                           0x1p-52,
                           0.075,
                           0.075 - 0x1p-56,
                           0.075 + 0x1p-56,
                           0.5,
                           0.925,
                           0.925 + 0x1p-53,
                           0.925 - 0x1p-53,
                           1 - 0x1p-53,
                           1 - 0x1p-52,
                           1 - 1e-11,
                           NAN,
                           -0.0,
                           2.0,
                           -1.0};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        p[n++] = edge[i];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    while (n < N) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double u = (double)(x >> 11) * 0x1p-53;
        int kind = n % 3;
        p[n++] = kind == 0 ? u : kind == 1 ? exp(-745 * u) : 1 - exp(-36 * u);
    }
    lk_2b_pinv(p, z, N);
    long bad = 0;
    for (int i = 0; i < N; i++) {
        double r = ree_ugaussian_pinv(p[i]);
        if (memcmp(&r, &z[i], 8) && !(isnan(r) && isnan(z[i])))
            bad++;
    }
    printf("pinv_v (2b) against ree_ugaussian_pinv on %d values (edges, extremes, uniform, "
           "log-uniform tails): %ld differ\n",
           N, bad);
    free(p);
    free(z);
    return bad != 0;
}

/* tables of the current parameter set */
static double stock_tab[NRUN * NSTEP], pos_tab[NRUN * NSTEP], sc_tab[NRUN * NSTEP];
static v8d stock_v[NBLK * NSTEP], pos_v[NBLK * NSTEP], sc_v[NBLK * NSTEP];

static const ree_model *model;
static uint64_t ent_hash;
static unsigned char *par0[NRUN], *par1[NRUN]; /* params before / from tchg */
static sector_params_v pv0[NBLK], pv1[NBLK];
static int tchg = NSTEP + 1;

/* one parameter set */
typedef struct pset {
    const char *name;
    double noise, growth;
    int vary; /* per-run noise / growth, substitution, demand destruction, growth change */
} pset;

static void setp(unsigned char *blob, const char *key, double v)
{
    int i = ree_model_param_index(model, key);
    if (i < 0) {
        fprintf(stderr, "no parameter %s\n", key);
        exit(1);
    }
    const ree_param_def *d = &model->params[i];
    if (d->type == REE_PT_MATERIAL)
        *(int *)(blob + d->offset) = (int)v;
    else
        *(double *)(blob + d->offset) = v;
}

static double getp(const unsigned char *blob, const char *key)
{
    const ree_param_def *d = &model->params[ree_model_param_index(model, key)];
    return *(const double *)(blob + d->offset);
}

static void make_params(const pset *ps)
{
    for (int r = 0; r < NRUN; r++) {
        for (int w = 0; w < 2; w++) {
            unsigned char *b = w ? par1[r] : par0[r];
            memset(b, 0, model->params_size);
            for (size_t i = 0; i < model->nparams; i++) {
                const ree_param_def *d = &model->params[i];
                if (d->type == REE_PT_NUM || d->type == REE_PT_DATE)
                    *(double *)(b + d->offset) = (d->flags & REE_PF_NULL_INF) ? INFINITY : d->def;
            }
            setp(b, "material", 0);
            setp(b, "demand", 1000);
            setp(b, "noise", ps->noise);
            setp(b, "growth", ps->growth);
            setp(b, "kg_per_unit", 2);
            setp(b, "firm_classes", 1);
            setp(b, "cover_weeks", 4);
            if (ps->vary) {
                setp(b, "noise", r % 4 == 1 ? 0 : ps->noise);
                setp(b, "growth", r % 3 == 0 ? 0 : ps->growth);
                setp(b, "sub_max", 0.3);
                setp(b, "dd_elasticity", 0.5);
                setp(b, "dd_max", 0.2);
                setp(b, "shock_start", 6);
                if (w && r % 2 == 1)
                    setp(b, "growth", 0.02); /* a timeline change at tchg, odd runs */
            }
        }
    }
    tchg = ps->vary ? 30 : NSTEP + 1;
    static const char *keys[] = {"demand",
                                 "growth",
                                 "noise",
                                 "cover_weeks",
                                 "kg_per_unit",
                                 "service_level",
                                 "sub_max",
                                 "sub_months",
                                 "sub_trigger",
                                 "sub_revert_months",
                                 "dd_max",
                                 "dd_elasticity",
                                 "shock_start",
                                 "recover_months",
                                 "firm_classes",
                                 "cover_sd",
                                 "stop_days",
                                 "price_sub_elasticity",
                                 "price_dd_elasticity",
                                 "price_lag_months"};
    for (int b = 0; b < NBLK; b++)
        for (int w = 0; w < 2; w++) {
            sector_params_v *pv = w ? &pv1[b] : &pv0[b];
            pv->material = 0;
            v8d *f = &pv->demand;
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                for (int l = 0; l < LANES; l++)
                    f[k][l] = getp(w ? par1[b * LANES + l] : par0[b * LANES + l], keys[k]);
        }
    for (int r = 0; r < NRUN; r++)
        if (getp(par0[r], "firm_classes") != 1) {
            fprintf(stderr, "k != 1\n");
            exit(1);
        }
}

/* the io arrays of the scalar harness */
static double io_order[NMAT], io_cons[NMAT], io_prod[NMAT], io_lost[NMAT], io_offer[NMAT],
    io_lead[NMAT], io_price[NMAT], io_recv[NMAT], io_req[NMAT], io_met[16];
static gsl_rng *rng1, *rngs[LANES];
static unsigned char state_buf[1 << 14] __attribute__((aligned(64)));

static ree_node_io scalar_io(void)
{
    io_lead[0] = LEAD;
    io_price[0] = 1;
    return (ree_node_io){.nmat = NMAT,
                         .requested = io_req,
                         .received = io_recv,
                         .history = NULL,
                         .lead = io_lead,
                         .asked = NULL,
                         .produced = io_prod,
                         .consumed = io_cons,
                         .lost = io_lost,
                         .order = io_order,
                         .offer = io_offer,
                         .metrics = io_met,
                         .price = io_price,
                         .rng = rng1};
}

static double supply_frac(int r, int t)
{
    if (r % 2 == 0)
        return 1;
    return t >= 12 && t < 18 + r % 12 ? 0.2 + 0.05 * (r % 8) : 1;
}

/* the toy inventory: fills stock/pos/scarcity tables from the library's hooks */
static void gen_tables(void)
{
    ree_model_ctx ctx = {.nsteps = NSTEP, .nmat = NMAT};
    ree_node_io io = scalar_io();
    for (int r = 0; r < NRUN; r++) {
        ree_stream_key k = {SEED, (uint64_t)r, ent_hash, REE_STREAM_MODEL | 1u << 8};
        ree_rng_select(rng1, &k);
        memset(state_buf, 0, model->state_bytes);
        model->reset(par0[r], state_buf, &ctx);
        double stock = 1000 * (1 + 4 / REE_WEEKS_PER_MONTH), arr[NSTEP + 3] = {0}, share = 0;
        for (int t = 0; t < NSTEP; t++) {
            if (t > 0)
                ree_rng_select_kind(rng1, REE_STREAM_MODEL | (uint32_t)(t + 1) << 8);
            stock += arr[t];
            double transit = 0;
            for (int j = t + 1; j < NSTEP + 3; j++)
                transit += arr[j];
            int i = r * NSTEP + t;
            stock_tab[i] = stock;
            pos_tab[i] = stock + transit;
            sc_tab[i] = share;
            io.step = t;
            io.stock = &stock_tab[i];
            io.position = &pos_tab[i];
            io.scarcity = &sc_tab[i];
            const void *pp = t >= tchg ? par1[r] : par0[r];
            model->order(pp, state_buf, &io);
            arr[t + 2] += io_order[0] * supply_frac(r, t);
            model->consume(pp, state_buf, &io);
            stock -= io_cons[0];
            if (stock < 0)
                stock = 0;
            share = io_met[4];
        }
    }
    for (int b = 0; b < NBLK; b++)
        for (int t = 0; t < NSTEP; t++)
            for (int l = 0; l < LANES; l++) {
                int i = (b * LANES + l) * NSTEP + t;
                stock_v[b * NSTEP + t][l] = stock_tab[i];
                pos_v[b * NSTEP + t][l] = pos_tab[i];
                sc_v[b * NSTEP + t][l] = sc_tab[i];
            }
}

/* oracle values (valid without a growth change): what each call returns per run and step */
static int ntail, nblk_tail;
static void gen_oracle(void)
{
    ntail = nblk_tail = 0;
    for (int r = 0; r < NRUN; r++) {
        double noise = getp(par0[r], "noise"), base = 1 + getp(par0[r], "growth");
        for (int t = 0; t < NSTEP; t++) {
            int i = r * NSTEP + t;
            ree_stream_key k = {SEED, (uint64_t)r, ent_hash,
                                REE_STREAM_MODEL | (uint32_t)(t + 1) << 8};
            ree_rng_select(rng1, &k);
            double u = noise != 0 ? ree_rng_uniform_pos_gsl(rng1) : 0.5;
            double z = ree_ugaussian_pinv(u);
            orc_u[i] = u;
            orc_z[i] = z;
            orc_lg[i] = 0;
            if (!(fabs(u - 0.5) <= 0.425)) {
                orc_lg[i] = log(u < 0.5 ? u : 1.0 - u);
                ntail++;
            }
            orc_ex[i] = noise != 0 ? exp(noise * z - noise * noise / 2) : 1;
            orc_pw[i] = base == 1 ? 1 : pow(base, t / 12.0);
        }
    }
    for (int b = 0; b < NBLK; b++)
        for (int t = 0; t < NSTEP; t++) {
            int any = 0;
            for (int l = 0; l < LANES; l++) {
                int i = (b * LANES + l) * NSTEP + t;
                orc_u_v[b * NSTEP + t][l] = orc_u[i];
                orc_lg_v[b * NSTEP + t][l] = orc_lg[i];
                orc_ex_v[b * NSTEP + t][l] = orc_ex[i];
                orc_pw_v[b * NSTEP + t][l] = orc_pw[i];
                any |= orc_lg[i] != 0;
            }
            nblk_tail += any;
        }
}

/* what is recorded per run and step: order, metrics after order, consumed, metrics after
 * consume; and the indicators per run */
#define REC_STEP (2 + 2 * NMET)
typedef struct rec {
    double step[NRUN * NSTEP * REC_STEP];
    double ind[NRUN * NIND];
} rec;

static void run_scalar(const ree_model *m, rec *out, int npass)
{
    ree_model_ctx ctx = {.nsteps = NSTEP, .nmat = NMAT};
    ree_node_io io = scalar_io();
    for (int pass = 0; pass < npass; pass++)
        for (int r = 0; r < NRUN; r++) {
            bench_run = r;
            ree_stream_key k = {SEED, (uint64_t)r, ent_hash, REE_STREAM_MODEL | 1u << 8};
            ree_rng_select(rng1, &k);
            memset(state_buf, 0, m->state_bytes);
            m->reset(par0[r], state_buf, &ctx);
            for (int t = 0; t < NSTEP; t++) {
                bench_step = t;
                if (t > 0)
                    ree_rng_select_kind(rng1, REE_STREAM_MODEL | (uint32_t)(t + 1) << 8);
                int i = r * NSTEP + t;
                io.step = t;
                io.stock = &stock_tab[i];
                io.position = &pos_tab[i];
                io.scarcity = &sc_tab[i];
                const void *pp = t >= tchg ? par1[r] : par0[r];
                m->order(pp, state_buf, &io);
                if (out) {
                    double *o = out->step + (size_t)i * REC_STEP;
                    o[0] = io_order[0];
                    memcpy(o + 1, io_met, sizeof(double) * NMET);
                }
                m->consume(pp, state_buf, &io);
                if (out) {
                    double *o = out->step + (size_t)i * REC_STEP;
                    o[1 + NMET] = io_cons[0];
                    memcpy(o + 2 + NMET, io_met, sizeof(double) * NMET);
                }
            }
            if (out)
                m->finish(par0[r], state_buf, &ctx, out->ind + r * NIND);
        }
}

static sector_state_v state_v;
static v8d iov_order[NMAT], iov_cons[NMAT], iov_lead[NMAT], iov_price[NMAT], iov_met[NMET];

static void run_lock(const lock_hooks *h, rec *out, int npass)
{
    uint32_t kinds[LANES];
    for (int l = 0; l < LANES; l++) {
        kinds[l] = REE_STREAM_MODEL;
        iov_lead[0][l] = LEAD;
        iov_price[0][l] = 1;
    }
    ree_node_io_v io = {.nmat = NMAT,
                        .lead = iov_lead,
                        .price = iov_price,
                        .consumed = iov_cons,
                        .order = iov_order,
                        .metrics = iov_met,
                        .rng = rngs,
                        .seed = SEED,
                        .entity = ent_hash};
    for (int pass = 0; pass < npass; pass++)
        for (int b = 0; b < NBLK; b++) {
            io.blk = b;
            for (int l = 0; l < LANES; l++) {
                ree_stream_key k = {SEED, (uint64_t)(b * LANES + l), ent_hash,
                                    REE_STREAM_MODEL | 1u << 8};
                ree_rng_select(rngs[l], &k);
            }
            h->reset(&pv0[b], &state_v);
            for (int t = 0; t < NSTEP; t++) {
                if (t > 0)
                    ree_rng_select_kinds(rngs, kinds, (uint32_t)(t + 1) << 8, LANES);
                int i = b * NSTEP + t;
                io.step = t;
                io.stock = &stock_v[i];
                io.position = &pos_v[i];
                io.scarcity = &sc_v[i];
                const sector_params_v *pp = t >= tchg ? &pv1[b] : &pv0[b];
                h->order(pp, &state_v, &io);
                if (out)
                    for (int l = 0; l < LANES; l++) {
                        double *o = out->step + (size_t)((b * LANES + l) * NSTEP + t) * REC_STEP;
                        o[0] = iov_order[0][l];
                        for (int j = 0; j < NMET; j++)
                            o[1 + j] = iov_met[j][l];
                    }
                h->consume(pp, &state_v, &io);
                if (out)
                    for (int l = 0; l < LANES; l++) {
                        double *o = out->step + (size_t)((b * LANES + l) * NSTEP + t) * REC_STEP;
                        o[1 + NMET] = iov_cons[0][l];
                        for (int j = 0; j < NMET; j++)
                            o[2 + NMET + j] = iov_met[j][l];
                    }
            }
            if (out)
                h->finish(&pv0[b], &state_v, NSTEP, out->ind + b * LANES * NIND);
        }
}

/* empty hooks: the harness's own cost (stream positioning, loop, reset) */
static void null_hook(const void *p, void *s, const ree_node_io *io)
{
    (void)p, (void)s, (void)io;
}
static ree_model null_model;
static void null_reset_v(const sector_params_v *p, sector_state_v *s)
{
    (void)p, (void)s;
}
static void null_hook_v(const sector_params_v *p, sector_state_v *s, const ree_node_io_v *io)
{
    (void)p, (void)s, (void)io;
}
static const lock_hooks null_lock = {"null", null_reset_v, null_hook_v, null_hook_v, NULL};

/* variants */
typedef struct variant {
    const char *name;
    const ree_model *m;  /* scalar, or */
    const lock_hooks *h; /* lockstep */
    int oracle;          /* needs oracle tables (no growth change) */
    int exact;           /* expected bit for bit */
} variant;

static variant vars[] = {
    {"scalar", NULL, NULL, 0, 1}, /* the library's hooks (ree_model_find) */
    {"s-copy", &sc_all, NULL, 0, 1},      {"s-nodraw", &sc_draw, NULL, 1, 1},
    {"s-nopinv", &sc_pinv, NULL, 1, 1},   {"s-noexp", &sc_exp, NULL, 1, 1},
    {"s-nopow", &sc_pow, NULL, 1, 1},     {"s-none", &sc_none, NULL, 1, 1},
    {"2a", NULL, &lk_2a, 0, 1},           {"2a-none", NULL, &lk_2a_none, 1, 1},
    {"2b", NULL, &lk_2b, 0, 1},           {"2b-nodraw", NULL, &lk_2b_draw, 1, 1},
    {"2b-nolog", NULL, &lk_2b_log, 1, 1}, {"2b-noexp", NULL, &lk_2b_exp, 1, 1},
    {"2b-nopow", NULL, &lk_2b_pow, 1, 1}, {"2b-none", NULL, &lk_2b_none, 1, 1},
    {"2c", NULL, &lk_2c, 0, 1},           {"2d-mvec", NULL, &lk_2d, 0, 0},
    {"2e-vdraw", NULL, &lk_2e, 0, 1},     {"2e-nodraw", NULL, &lk_2e_draw, 1, 1},
    {"2e-nolog", NULL, &lk_2e_log, 1, 1}, {"2e-noexp", NULL, &lk_2e_exp, 1, 1},
    {"2e-nopow", NULL, &lk_2e_pow, 1, 1}, {"2f-vd+mvec", NULL, &lk_2f, 0, 0},
    {"s-null", &null_model, NULL, 0, -1}, /* harness only: hooks that do nothing */
    {"l-null", NULL, &null_lock, 0, -1},
};
#define NVAR ((int)(sizeof vars / sizeof vars[0]))

static void run_var(const variant *v, rec *out, int npass)
{
    if (v->h)
        run_lock(v->h, out, npass);
    else
        run_scalar(v->m, out, npass);
}

static const pset sets[] = {
    {"noise0.05-growth0.10", 0.05, 0.10, 0}, /* the timed set */
    {"noise0-growth0", 0, 0, 0},
    {"noise0.05-growth0", 0.05, 0, 0},
    {"noise0-growth0.10", 0, 0.10, 0},
    {"mixed: noise .2/0, growth .1/0, sub, dd, shock 6, growth change at 30", 0.2, 0.10, 1},
};

static void setup(const pset *ps)
{
    make_params(ps);
    gen_tables();
    gen_oracle();
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void loadavg(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[128] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
    }
    printf("# loadavg %s: %s", when, buf);
}

int main(int argc, char **argv)
{
    model = ree_model_find("sector");
    if (!model)
        return 1;
    vars[0].m = model;
    null_model = *model;
    null_model.order = null_hook;
    null_model.consume = null_hook;
    ent_hash = ree_hash_id("us-cars");
    for (int r = 0; r < NRUN; r++) {
        par0[r] = calloc(1, model->params_size);
        par1[r] = calloc(1, model->params_size);
    }
    rng1 = gsl_rng_alloc(ree_rng_philox);
    for (int l = 0; l < LANES; l++)
        rngs[l] = gsl_rng_alloc(ree_rng_philox);
    size_t n = NRUN * NSTEP;
    orc_u = calloc(n, 8), orc_z = calloc(n, 8), orc_lg = calloc(n, 8), orc_ex = calloc(n, 8),
    orc_pw = calloc(n, 8);
    orc_u_v = aligned_alloc(64, NBLK * NSTEP * 64), orc_lg_v = aligned_alloc(64, NBLK * NSTEP * 64);
    orc_ex_v = aligned_alloc(64, NBLK * NSTEP * 64),
    orc_pw_v = aligned_alloc(64, NBLK * NSTEP * 64);
    if (model->state_bytes > sizeof state_buf)
        return 1;

    const char *mode = argc > 1 ? argv[1] : "verify";
    if (!strcmp(mode, "libm") || !strcmp(mode, "dump")) {
        /* libm: exp, log and pow over the sector's argument ranges (to compare glibc's ifunc
         * variants: run once as is, once with GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA);
         * dump: the scalar hooks' records of every parameter set. Binary to argv[2]. */
        FILE *f = fopen(argc > 2 ? argv[2] : "out.bin", "wb");
        if (!f)
            return 1;
        if (!strcmp(mode, "libm")) {
            uint64_t x = 88172645463325252ull;
            for (long i = 0; i < 3000000; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                double u = (double)(x >> 11) * 0x1p-53;
                double v[3] = {exp(-8.5 + 16.5 * u), log(0.075 * u + 0x1p-60),
                               pow(0.5 + 2.5 * u, (double)(i % 1201) / 12.0)};
                fwrite(v, sizeof v, 1, f);
            }
        } else {
            rec *ref = malloc(sizeof *ref);
            for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
                setup(&sets[s]);
                run_scalar(model, ref, 1);
                fwrite(ref, sizeof *ref, 1, f);
            }
        }
        fclose(f);
        return 0;
    }
    if (!strcmp(mode, "verify")) {
        rec *ref = malloc(sizeof *ref), *got = malloc(sizeof *got);
        int bad = check_pinv();
        for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
            setup(&sets[s]);
            memset(ref, 0, sizeof *ref);
            run_scalar(model, ref, 1);
            int nshort = 0, nstop = 0, nsub = 0, ndd = 0;
            for (int i = 0; i < NRUN * NSTEP; i++) {
                nsub += ref->step[i * REC_STEP + 2 + NMET + 5] > 0;
                ndd += ref->step[i * REC_STEP + 2 + NMET + 6] > 0;
                nshort += ref->step[i * REC_STEP + 2 + NMET + 3] > 0;
                nstop += ref->step[i * REC_STEP + 2 + NMET + 8] > 0;
            }
            printf(
                "set %zu (%s): %d run-steps with shortfall, %d stopped, %d of %zu draws in the "
                "tails (log), %d of %d block-steps with a tail lane, %d with substitution, %d with "
                "demand destroyed\n",
                s, sets[s].name, nshort, nstop, ntail, n, nblk_tail, NBLK * NSTEP, nsub, ndd);
            for (int v = 1; v < NVAR; v++) {
                if ((vars[v].oracle && sets[s].vary) || vars[v].exact < 0)
                    continue;
                memset(got, 0xff, sizeof *got);
                run_var(&vars[v], got, 1);
                long diff = 0, maxulp = 0;
                for (size_t i = 0; i < sizeof ref->step / 8; i++)
                    if (memcmp(&ref->step[i], &got->step[i], 8)) {
                        diff++;
                        int64_t a, b;
                        memcpy(&a, &ref->step[i], 8);
                        memcpy(&b, &got->step[i], 8);
                        long d = labs((long)(a - b));
                        if (d > maxulp)
                            maxulp = d;
                    }
                long idiff = 0;
                for (size_t i = 0; i < sizeof ref->ind / 8; i++)
                    idiff += memcmp(&ref->ind[i], &got->ind[i], 8) != 0;
                int ok = diff == 0 && idiff == 0;
                printf("  %-10s %s: %ld of %zu step values differ (max %ld ulp), %ld of %zu "
                       "indicators differ%s\n",
                       vars[v].name, ok ? "IDENTICAL" : "DIFFERENT", diff, sizeof ref->step / 8,
                       maxulp, idiff, sizeof ref->ind / 8,
                       vars[v].exact ? "" : " (not expected bit for bit)");
                if (vars[v].exact && !ok)
                    bad = 1;
            }
        }
        printf(bad ? "VERIFY FAILED\n" : "VERIFY OK: every bit-for-bit variant identical\n");
        return bad;
    }
    setup(&sets[0]);
    if (!strcmp(mode, "perf")) {
        const char *want = argc > 2 ? argv[2] : "scalar";
        int npass = argc > 3 ? atoi(argv[3]) : 2000;
        for (int v = 0; v < NVAR; v++)
            if (!strcmp(vars[v].name, want)) {
                double t0 = now();
                run_var(&vars[v], NULL, npass);
                printf("%s %.2f ns/run-step\n", want, (now() - t0) * 1e9 / npass / NRUN / NSTEP);
                return 0;
            }
        return 1;
    }
    if (!strcmp(mode, "time")) {
        int reps = argc > 2 ? atoi(argv[2]) : 11, npass = argc > 3 ? atoi(argv[3]) : 100;
        double *ns = calloc((size_t)reps * NVAR, sizeof(double));
        loadavg("before");
        for (int v = 0; v < NVAR; v++) /* warm up */
            run_var(&vars[v], NULL, npass / 4 + 1);
        for (int rep = 0; rep < reps; rep++)
            for (int j = 0; j < NVAR; j++) {
                int v = (j + rep) % NVAR; /* rotate the order */
                double t0 = now();
                run_var(&vars[v], NULL, npass);
                ns[v * reps + rep] = (now() - t0) * 1e9 / npass / NRUN / NSTEP;
            }
        loadavg("after");
        printf("# %d interleaved repetitions of %d passes of %d runs x %d steps each\n", reps,
               npass, NRUN, NSTEP);
        printf("%-10s %8s %8s %8s %9s %9s  (ns per run-step: order + consume + stream "
               "positioning; speedup = scalar / variant within each repetition)\n",
               "variant", "min", "median", "max", "speedup", "(med-net)");
        double *ratio = calloc((size_t)reps, sizeof(double)),
               *rnet = calloc((size_t)reps, sizeof(double));
        int vsn = NVAR - 2, vln = NVAR - 1; /* s-null, l-null */
        for (int v = 0; v < NVAR; v++) {
            double *x = ns + v * reps;
            for (int rep = 0; rep < reps; rep++) {
                ratio[rep] = ns[rep] / x[rep];
                /* net of the harness: scalar - s-null over variant - (its own null) */
                double own = vars[v].h ? ns[vln * reps + rep] : ns[vsn * reps + rep];
                rnet[rep] = (ns[rep] - ns[vsn * reps + rep]) / (x[rep] - own);
            }
            qsort(ratio, reps, sizeof *ratio, cmpd);
            qsort(rnet, reps, sizeof *rnet, cmpd);
            double mr = reps % 2 ? ratio[reps / 2] : (ratio[reps / 2 - 1] + ratio[reps / 2]) / 2;
            double mn = reps % 2 ? rnet[reps / 2] : (rnet[reps / 2 - 1] + rnet[reps / 2]) / 2;
            printf("%-10s", vars[v].name);
            double *xs = calloc((size_t)reps, sizeof(double));
            memcpy(xs, x, sizeof(double) * (size_t)reps);
            qsort(xs, reps, sizeof *xs, cmpd);
            x = xs;
            printf(" %8.2f %8.2f %8.2f %8.2fx %8.2fx\n", x[0],
                   reps % 2 ? x[reps / 2] : (x[reps / 2 - 1] + x[reps / 2]) / 2, x[reps - 1], mr,
                   v >= vsn ? 0.0 : mn);
        }
        return 0;
    }
    return 64;
}
