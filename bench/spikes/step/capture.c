/*
 * The capture: runs the library's engine (libreesim.a, unchanged) on a scenario for runs
 * 0..nruns-1 and records, per run and step, what every hook wrote (the "feed") and the engine's
 * step state (the "snapshots"). The hooks are wrapped without touching the engine: each entity's
 * model pointer in the loaded plan is swapped, before the workspace is allocated, for a copy of
 * its model whose hooks call the original and then copy what it wrote into the current feed
 * record. The topology (links, pairs, ranks, series) is read from the workspace once and checked
 * equal for every run and step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <reesim/reesim.h>
#include "run_priv.h"
#include "spike.h"

static ree_run *G;               /* the workspace being captured */
static const ree_model **G_orig; /* per entity: its original model */
static double *G_rec;            /* the current run-step's feed record */
static const topo *G_T;
static int G_ph_call[P_COUNT]; /* per phase: the next call's index in calls[] */

/* Copy node n's values of arrays a (nmat wide at n) for its materials to dst; returns past. */
static double *feed_mats(double *dst, const double *a, int n)
{
    for (int i = 0; i < G_T->nmats[n]; i++)
        *dst++ = a[G_T->mats[n][i]];
    return dst;
}

static int node_of(const ree_node_io *io)
{
    return (int)(io - G->nio);
}

/* The index in calls[] of phase ph's next hook call, which must be node n's (the engine calls
 * a phase's hooks in node order: the order the feed is laid out in). */
static int next_call(int ph, int n)
{
    int c = G_ph_call[ph]++;
    if (c >= G_T->ncall[ph + 1] || G_T->call_node[c] != n) {
        fprintf(stderr, "capture: phase %d: hook of node %d out of the expected order\n", ph, n);
        abort();
    }
    return c;
}

/* produce and consume: the three booking blocks, before the engine books and clears them. */
static void feed_books(int ph, const ree_node_io *io)
{
    int n = node_of(io), c = next_call(ph, n);
    double *d = G_rec + G_T->call_feed[c];
    for (int i = 0; i < G_T->nmats[n]; i++) {
        int m = G_T->mats[n][i];
        *d++ = G->produced_io[m];
        *d++ = G->consumed_io[m];
        *d++ = G->lost_io[m];
    }
}

static void w_produce(const void *par, void *st, const ree_node_io *io)
{
    int n = node_of(io);
    G_orig[G->p->nodes[n].entity]->produce(par, st, io);
    feed_books(P_PRODUCE, io);
}

static void w_consume(const void *par, void *st, const ree_node_io *io)
{
    int n = node_of(io);
    G_orig[G->p->nodes[n].entity]->consume(par, st, io);
    feed_books(P_CONSUME, io);
    /* The sector contract metrics as consumption() reads them: the last consume hook's copy
     * holds their values after the phase. */
    for (int i = 0; i < G->nsector; i++) {
        const sector_rt *sc = &G->sector[i];
        double *d = G_rec + G_T->f_sec + 4 * i;
        d[0] = *sc->need, d[1] = *sc->consumed, d[2] = *sc->shortfall, d[3] = *sc->lost_units;
    }
}

static void w_order(const void *par, void *st, const ree_node_io *io)
{
    int n = node_of(io);
    G_orig[G->p->nodes[n].entity]->order(par, st, io);
    int c = next_call(P_ORDER, n);
    feed_mats(G_rec + G_T->call_feed[c], io->order, n);
}

static void w_offer(const void *par, void *st, const ree_node_io *io)
{
    int n = node_of(io);
    G_orig[G->p->nodes[n].entity]->offer(par, st, io);
    int c = next_call(P_OFFER, n);
    feed_mats(G_rec + G_T->call_feed[c], io->offer, n);
}

static void w_account(const void *par, void *st, const ree_node_io *io)
{
    int n = node_of(io);
    G_orig[G->p->nodes[n].entity]->account(par, st, io);
    (void)next_call(P_ACCOUNT, n);
}

static int gate_of(const ree_gate_io *io)
{
    for (int g = 0; g < G->p->ngate; g++)
        if (io->licensed == G->g_licensed + G->goff[g])
            return g;
    abort();
}

/* The gate's three out arrays, per slot. */
static void feed_gate(double *d, int g)
{
    for (int i = G->goff[g]; i < G->goff[g + 1]; i++) {
        *d++ = G->g_licensed[i];
        *d++ = G->g_on_order[i];
        *d++ = G->g_granted[i];
    }
}

static void w_gate_decide(const void *par, void *st, ree_gate_io *io)
{
    int g = gate_of(io);
    G_orig[G->p->gates[g].entity]->gate_decide(par, st, io);
    feed_gate(G_rec + G_T->f_gdec + 3 * G->goff[g], g);
}

static void w_gate_ship(const void *par, void *st, ree_gate_io *io)
{
    int g = gate_of(io);
    G_orig[G->p->gates[g].entity]->gate_ship(par, st, io);
    feed_gate(G_rec + G_T->f_gship + 3 * G->goff[g], g);
}

/* Swap every entity's model for a wrapped copy. */
static void wrap_models(ree_plan *p)
{
    G_orig = calloc((size_t)p->nentity, sizeof *G_orig);
    for (int e = 0; e < p->nentity; e++) {
        const ree_model *m = p->entities[e].model;
        G_orig[e] = m;
        ree_model *w = malloc(sizeof *w);
        *w = *m;
        w->produce = m->produce ? w_produce : NULL;
        w->order = m->order ? w_order : NULL;
        w->offer = m->offer ? w_offer : NULL;
        w->consume = m->consume ? w_consume : NULL;
        w->account = m->account ? w_account : NULL;
        w->gate_decide = m->gate_decide ? w_gate_decide : NULL;
        w->gate_ship = m->gate_ship ? w_gate_ship : NULL;
        ((ree_entity *)&p->entities[e])->model = w;
    }
}

static int *dup_int(const int *a, size_t n)
{
    int *d = malloc(sizeof(int) * (n ? n : 1));
    memcpy(d, a, sizeof(int) * n);
    return d;
}

static size_t *dup_sz(const size_t *a, size_t n)
{
    size_t *d = malloc(sizeof(size_t) * (n ? n : 1));
    memcpy(d, a, sizeof(size_t) * n);
    return d;
}

/* Index i of the metrics the step reads after account (T->met), added when new. */
static void add_met(topo *T, size_t off)
{
    for (int i = 0; i < T->nmet; i++)
        if (T->met[i] == off)
            return;
    T->met[T->nmet++] = off;
}

/* The topology from a reset workspace. */
static void topo_read(topo *T, const ree_run *r, int nruns)
{
    const ree_plan *p = r->p;
    memset(T, 0, sizeof *T);
    T->nmat = r->nmat, T->nnode = p->nnode, T->nlink = p->nlink, T->ngate = p->ngate;
    T->nslot = r->goff[p->ngate], T->nseries = p->nseries, T->nsteps = r->nsteps;
    T->nruns = nruns;
    T->nnm = (size_t)T->nnode * (size_t)T->nmat, T->w = (size_t)T->nsteps + 2;
    T->nmetrics = r->moff[p->nentity];
    memcpy(T->ncall, r->ncall, sizeof T->ncall);
    int nc = r->ncall[PH_COUNT];
    T->call_node = malloc(sizeof(int) * (size_t)nc);
    T->call_feed = malloc(sizeof(int) * (size_t)nc);
    for (int c = 0; c < nc; c++)
        T->call_node[c] = r->calls[c].node;
    T->nmats = calloc((size_t)T->nnode, sizeof(int));
    T->mats = calloc((size_t)T->nnode, sizeof(int *));
    for (int n = 0; n < T->nnode; n++) {
        T->mats[n] = calloc((size_t)T->nmat, sizeof(int));
        for (int m = 0; m < T->nmat; m++)
            if (p->nodes[n].materials >> m & 1)
                T->mats[n][T->nmats[n]++] = m;
    }
    /* feed layout: per call its values, then the gate, extra, sector and metric blocks */
    int f = 0;
    for (int ph = 0; ph < P_COUNT; ph++)
        for (int c = T->ncall[ph]; c < T->ncall[ph + 1]; c++) {
            T->call_feed[c] = f;
            int k = T->nmats[T->call_node[c]];
            f += ph == P_PRODUCE || ph == P_CONSUME ? 3 * k : ph == P_ACCOUNT ? 0 : k;
        }
    T->f_gdec = f, f += 3 * T->nslot;
    T->f_gship = f, f += 3 * T->nslot;
    T->f_extra = f, f += T->nlink;
    T->f_sec = f, f += 4 * r->nsector;
    T->f_met = f;
    /* links */
    size_t nl = (size_t)T->nlink;
    T->to = malloc(sizeof(size_t) * nl), T->from = malloc(sizeof(size_t) * nl);
    T->slot = malloc(sizeof(long) * nl);
    for (int l = 0; l < T->nlink; l++)
        T->to[l] = r->lk[l].to, T->from[l] = r->lk[l].from, T->slot[l] = r->lk[l].slot;
    T->goff = dup_int(r->goff, (size_t)p->ngate + 1);
    T->gate_nlink = malloc(sizeof(int) * (size_t)(p->ngate + 1));
    T->gate_links = malloc(sizeof(int *) * (size_t)(p->ngate + 1));
    for (int g = 0; g < p->ngate; g++)
        T->gate_nlink[g] = p->gates[g].nlink,
        T->gate_links[g] = dup_int(p->gates[g].links, (size_t)p->gates[g].nlink);
    T->npair = r->npair;
    T->pair_nm = dup_sz(r->pair_nm, (size_t)r->npair);
    /* sectors */
    T->nsector = r->nsector;
    T->sec_node = malloc(sizeof(int) * (size_t)(r->nsector + 1));
    T->sec_mat = malloc(sizeof(int) * (size_t)(r->nsector + 1));
    T->sec_region = malloc(sizeof(int) * (size_t)(r->nsector + 1));
    T->sec_met = malloc(sizeof(size_t) * 4 * (size_t)(r->nsector + 1));
    for (int i = 0; i < r->nsector; i++) {
        const sector_rt *sc = &r->sector[i];
        T->sec_node[i] = sc->node, T->sec_mat[i] = sc->mat, T->sec_region[i] = sc->region;
        T->sec_met[4 * i + 0] = (size_t)(sc->need - r->metrics);
        T->sec_met[4 * i + 1] = (size_t)(sc->consumed - r->metrics);
        T->sec_met[4 * i + 2] = (size_t)(sc->shortfall - r->metrics);
        T->sec_met[4 * i + 3] = (size_t)(sc->lost_units - r->metrics);
    }
    T->nregion = r->nregion;
    /* series */
    T->met = malloc(sizeof(size_t) * (size_t)(p->nseries + 1));
    T->sd_series = malloc(sizeof(int) * (size_t)(p->nseries + 1));
    T->sd_src = malloc(sizeof(int) * (size_t)(p->nseries + 1));
    T->sd_off = malloc(sizeof(size_t) * (size_t)(p->nseries + 1));
    T->sc = calloc((size_t)p->nseries + 1, sizeof(cseries));
    for (int i = 0; i < r->nsdirect; i++) {
        const double *s = r->sdirect[i].src;
        int k = T->nsdirect++;
        T->sd_series[k] = (int)((r->sdirect[i].row - r->series) / r->nsteps);
#define IN(a, n) (s >= r->a && s < r->a + (n))
        T->sd_src[k] = IN(metrics, T->nmetrics)        ? SRC_METRICS
                       : IN(stock, T->nnm)             ? SRC_STOCK
                       : IN(shipped, nl)               ? SRC_SHIPPED
                       : IN(transit, nl)               ? SRC_TRANSIT
                       : IN(scarcity, (size_t)T->nmat) ? SRC_SCARCITY
                                                       : -1;
        if (T->sd_src[k] < 0) {
            fprintf(stderr, "capture: series %d reads a value this replay does not know\n",
                    T->sd_series[k]);
            abort();
        }
        const double *base[] = {r->metrics, r->stock, r->shipped, r->transit, r->scarcity};
        T->sd_off[k] = (size_t)(s - base[T->sd_src[k]]);
        if (T->sd_src[k] == SRC_METRICS)
            add_met(T, T->sd_off[k]);
    }
    for (int i = 0; i < r->nscomputed; i++) {
        int s = r->scomputed[i];
        const ree_series *se = &p->series[s];
        cseries *c = &T->sc[T->nscomputed++];
        c->s = s, c->index = se->index;
        switch (se->kind) {
        case REE_S_REGIME:
            c->kind = SV_REGIME;
            break;
        case REE_S_GATE_SHIPPED:
            c->kind = SV_GATE_SHIPPED;
            break;
        case REE_S_GATE_REGION_SHIPPED:
        case REE_S_GATE_REGION_GRANTED:
            c->kind = se->kind == REE_S_GATE_REGION_SHIPPED ? SV_GATE_REGION_SHIPPED
                                                            : SV_GATE_REGION_GRANTED;
            c->n = se->nslot, c->idx = dup_int(se->slots, (size_t)se->nslot);
            break;
        case REE_S_SUM:
            c->kind = SV_SUM, c->n = se->nsum, c->idx = dup_int(se->sum, (size_t)se->nsum);
            break;
        default: /* a model, stock, link or scarcity series is always direct */
            abort();
        }
    }
    T->f_regime = T->f_met + T->nmet;
    T->nfeed = T->f_regime + 1;
    size_t n = 0;
#define COUNT(a, sz) n += (sz);
    STATE_ARRAYS(COUNT)
    T->nsnap = n + (size_t)T->nseries + (size_t)T->nmet + (size_t)T->nregion * RESIL_D;
}

/* Whether layouts a and b agree on the rank part (all but the pairs' allocation order). */
static int rank_part_same(const topo *T, const layout *a, const layout *b)
{
    size_t nl = (size_t)T->nlink;
    return a->maxrank == b->maxrank && a->npair_idle == b->npair_idle &&
           a->nask_link == b->nask_link && a->nrand_link == b->nrand_link &&
           !memcmp(a->rank, b->rank, sizeof(int) * nl) &&
           !memcmp(a->rank_off, b->rank_off, sizeof a->rank_off) &&
           !memcmp(a->rank_poff, b->rank_poff, sizeof a->rank_poff) &&
           !memcmp(a->rank_link, b->rank_link, sizeof(int) * nl) &&
           !memcmp(a->rank_pair, b->rank_pair, sizeof(int) * (size_t)a->rank_poff[NRANK]) &&
           !memcmp(a->pair_idle, b->pair_idle, sizeof(int) * (size_t)a->npair_idle) &&
           !memcmp(a->ask_link, b->ask_link, sizeof(int) * (size_t)a->nask_link) &&
           !memcmp(a->rand_link, b->rand_link, sizeof(int) * (size_t)a->nrand_link);
}

/* Whether layouts a and b agree on pair pr's links by rank, in order, and priority groups. */
static int pair_same(const layout *a, const layout *b, int pr)
{
    const int *oa = a->pair_roff + (size_t)pr * (NRANK + 1),
              *ob = b->pair_roff + (size_t)pr * (NRANK + 1);
    if (memcmp(oa, ob, sizeof(int) * (NRANK + 1)))
        return 0;
    size_t n = (size_t)(oa[NRANK] - oa[0]);
    return !memcmp(a->pair_rlink + oa[0], b->pair_rlink + oa[0], sizeof(int) * n) &&
           !memcmp(a->rlink_gend + oa[0], b->rlink_gend + oa[0], sizeof(int) * n);
}

/* The workspace's layout now, as an index into tr->lay (added when new). */
static int layout_id(trace *tr, const ree_run *r)
{
    const topo *T = &tr->T;
    size_t nl = (size_t)T->nlink;
    layout y = {0};
    y.rank = malloc(sizeof(int) * nl);
    for (int l = 0; l < T->nlink; l++)
        y.rank[l] = r->lk[l].rank;
    y.maxrank = r->maxrank;
    y.pair_roff = dup_int(r->pair_roff, (size_t)T->npair * (NRANK + 1));
    y.pair_rlink = dup_int(r->pair_rlink, nl);
    y.rlink_gend = dup_int(r->rlink_gend, nl);
    memcpy(y.rank_off, r->rank_off, sizeof y.rank_off);
    y.rank_link = dup_int(r->rank_link, nl);
    memcpy(y.rank_poff, r->rank_poff, sizeof y.rank_poff);
    y.rank_pair = dup_int(r->rank_pair, (size_t)r->rank_poff[NRANK]);
    y.npair_idle = r->npair_idle;
    y.pair_idle = dup_int(r->pair_idle, (size_t)r->npair_idle);
    y.nask_link = r->nask_link;
    y.ask_link = dup_int(r->ask_link, (size_t)r->nask_link);
    y.nrand_link = r->nrand_link;
    y.rand_link = dup_int(r->rand_link, (size_t)r->nrand_link);
    y.pair_id = calloc((size_t)T->npair + 1, sizeof(int));
    y.rank_id = -1;
    for (int i = 0; i < tr->nlay; i++) {
        const layout *x = &tr->lay[i];
        int same = rank_part_same(T, x, &y);
        for (int pr = 0; same && pr < T->npair; pr++)
            same &= pair_same(x, &y, pr);
        if (same) { /* known: drop the copy */
            free(y.rank), free(y.pair_roff), free(y.pair_rlink), free(y.rlink_gend);
            free(y.rank_link), free(y.rank_pair), free(y.pair_idle), free(y.ask_link);
            free(y.rand_link), free(y.pair_id);
            return i;
        }
    }
    /* new: its ids are those of the first layout agreeing with it, else its own index */
    int id = tr->nlay;
    y.rank_id = id;
    for (int i = 0; i < tr->nlay; i++)
        if (rank_part_same(T, &tr->lay[i], &y)) {
            y.rank_id = tr->lay[i].rank_id;
            break;
        }
    for (int pr = 0; pr < T->npair; pr++) {
        y.pair_id[pr] = id;
        for (int i = 0; i < tr->nlay; i++)
            if (pair_same(&tr->lay[i], &y, pr)) {
                y.pair_id[pr] = tr->lay[i].pair_id[pr];
                break;
            }
    }
    tr->lay = realloc(tr->lay, sizeof(layout) * (size_t)(tr->nlay + 1));
    tr->lay[tr->nlay++] = y;
    return id;
}

static void lpar_read(lpar *lp, const ree_run *r)
{
    for (int l = 0; l < r->p->nlink; l++) {
        const link_rt *k = &r->lk[l];
        lp[l] = (lpar){k->k0,           k->f0,       k->g0,    k->lead,     k->delay_prob,
                       k->delay_months, k->priority, k->share, r->extra0[l]};
    }
}

/* The step state of r into s (nsnap values): STATE_ARRAYS, the series' column t (the step just
 * taken; 0 before the first), the metrics read by record(). */
static void snapshot(const topo *T, const ree_run *r, double *s, int t)
{
#define SNAP(a, sz) memcpy(s, r->a, sizeof(double) * (sz)), s += (sz);
    STATE_ARRAYS(SNAP)
    for (int i = 0; i < T->nseries; i++)
        *s++ = t < 0 ? 0 : r->series[(size_t)i * (size_t)T->nsteps + (size_t)t];
    for (int i = 0; i < T->nmet; i++)
        *s++ = t < 0 ? 0 : r->metrics[T->met[i]];
    memcpy(s, r->region_acc, sizeof(ree_resil) * (size_t)T->nregion);
}

int capture(const char *scenario, int nruns, trace *tr)
{
    ree_diag *d = ree_diag_alloc(0);
    ree_status st;
    ree_plan *p = ree_plan_load(scenario, d, &st);
    if (!p) {
        ree_diag_print(d, stderr);
        return -1;
    }
    wrap_models(p);
    ree_run *r = ree_run_alloc(p);
    G = r;
    topo *T = &tr->T;
    unsigned long long seed = p->seed;
    ree_run_reset(r, seed, 0);
    topo_read(T, r, nruns);
    G_T = T;
    size_t nsteps = (size_t)T->nsteps;
    tr->feed = calloc((size_t)nruns * nsteps * (size_t)T->nfeed, sizeof(double));
    tr->snap = calloc((size_t)nruns * (nsteps + 1) * T->nsnap, sizeof(double));
    tr->lp = calloc((size_t)nruns * nsteps * (size_t)T->nlink, sizeof(lpar));
    tr->lp_new = calloc((size_t)nruns * nsteps, sizeof(int));
    tr->lid = calloc((size_t)nruns * nsteps, sizeof(int));
    tr->lay = NULL, tr->nlay = 0;
    for (int run = 0; run < nruns; run++) {
        ree_run_reset(r, seed, run);
        snapshot(T, r, tr->snap + (size_t)run * (nsteps + 1) * T->nsnap, -1);
        lpar *lp0 = tr->lp + (size_t)run * nsteps * (size_t)T->nlink;
        for (int t = 0; t < T->nsteps; t++) {
            G_rec = tr->feed + ((size_t)run * nsteps + (size_t)t) * (size_t)T->nfeed;
            for (int ph = 0; ph < P_COUNT; ph++)
                G_ph_call[ph] = T->ncall[ph];
            ree_status s = ree_run_step(r);
            if (s != REE_OK)
                fprintf(stderr, "capture: run %d step %d: %s\n", run, t, ree_run_error(r));
            /* the step's layout and link parameters (its policy's, applied before shipping) */
            tr->lid[(size_t)run * nsteps + (size_t)t] = layout_id(tr, r);
            lpar *lp = lp0 + (size_t)t * (size_t)T->nlink;
            lpar_read(lp, r);
            tr->lp_new[(size_t)run * nsteps + (size_t)t] =
                t == 0 || memcmp(lp, lp - T->nlink, sizeof(lpar) * (size_t)T->nlink) != 0;
            for (int i = 0; i < r->nrand_link; i++)
                G_rec[T->f_extra + r->rand_link[i]] = r->extra[r->rand_link[i]];
            for (int i = 0; i < T->nmet; i++)
                G_rec[T->f_met + i] = r->metrics[T->met[i]];
            G_rec[T->f_regime] = r->regime;
            snapshot(T, r, tr->snap + ((size_t)run * (nsteps + 1) + (size_t)t + 1) * T->nsnap, t);
        }
    }
    return 0;
}

/* The library's own step, hooks and all, for comparison: runs 0..nruns-1, reset and every step,
 * `passes` times, unwrapped models; ns per run-step (min over passes). */
double engine_ns(const char *scenario, int nruns, int passes)
{
    ree_diag *d = ree_diag_alloc(0);
    ree_status st;
    ree_plan *p = ree_plan_load(scenario, d, &st);
    if (!p)
        return -1;
    ree_run *r = ree_run_alloc(p);
    double best = 1e300;
    for (int k = 0; k < passes; k++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int run = 0; run < nruns; run++) {
            ree_run_reset(r, p->seed, run);
            for (int t = 0; t < r->nsteps; t++)
                ree_run_step(r);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
                    ((double)nruns * r->nsteps);
        best = ns < best ? ns : best;
    }
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
    return best;
}

/* FNV-1a over n bytes, continuing h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211u;
    return h;
}

/* How often the 8 runs of a lane group would share the shipping layout, on any scenario (the
 * library's engine, unwrapped): per step of each group of L runs, whether the lanes agree on
 * the rank part (every link's rank, the rank lists, idle pairs, asked links, random-delay
 * links), and, per allocate() call (pair and rank), on the pair's links in order and their
 * priority groups. Prints the counts. Layouts are compared by 64-bit FNV-1a hashes here (a
 * statistic only); the replays compare them exactly (layout_id). */
int layout_stats(const char *scenario, int nruns)
{
    ree_diag *d = ree_diag_alloc(0);
    ree_status st;
    ree_plan *p = ree_plan_load(scenario, d, &st);
    if (!p)
        return -1;
    ree_run *r = ree_run_alloc(p);
    int nsteps = r->nsteps, np = r->npair, nl = p->nlink;
    /* per run and step: the rank part's hash, and per pair and rank its allocation's hash */
    uint64_t *hr = calloc((size_t)nruns * (size_t)nsteps, sizeof(uint64_t));
    uint64_t *hp = calloc((size_t)nruns * (size_t)nsteps * (size_t)np * NRANK, sizeof(uint64_t));
    for (int run = 0; run < nruns; run++) {
        ree_run_reset(r, p->seed, run);
        for (int t = 0; t < nsteps; t++) {
            /* the step's layout is the one after its policy, which ree_run_step applies */
            ree_run_step(r);
            uint64_t h = 14695981039346656037u;
            for (int l = 0; l < nl; l++)
                h = fnv(h, &r->lk[l].rank, sizeof(int));
            h = fnv(h, &r->maxrank, sizeof(int));
            h = fnv(h, r->rank_off, sizeof r->rank_off);
            h = fnv(h, r->rank_link, sizeof(int) * (size_t)nl);
            h = fnv(h, r->rank_poff, sizeof r->rank_poff);
            h = fnv(h, r->rank_pair, sizeof(int) * (size_t)r->rank_poff[NRANK]);
            h = fnv(h, &r->npair_idle, sizeof(int));
            h = fnv(h, r->pair_idle, sizeof(int) * (size_t)r->npair_idle);
            h = fnv(h, &r->nask_link, sizeof(int));
            h = fnv(h, r->ask_link, sizeof(int) * (size_t)r->nask_link);
            h = fnv(h, &r->nrand_link, sizeof(int));
            h = fnv(h, r->rand_link, sizeof(int) * (size_t)r->nrand_link);
            size_t rs = (size_t)run * (size_t)nsteps + (size_t)t;
            hr[rs] = h;
            for (int pr = 0; pr < np; pr++)
                for (int k = 0; k < NRANK; k++) {
                    const int *off = r->pair_roff + (size_t)pr * (NRANK + 1) + k;
                    uint64_t g = 0; /* 0: no links of rank k at this pair (no call) */
                    if (off[0] < off[1]) {
                        g = fnv(14695981039346656037u, off, 2 * sizeof(int));
                        for (int i = off[0]; i < off[1]; i++) {
                            int rel = r->rlink_gend[i] - off[0];
                            g = fnv(g, &r->pair_rlink[i], sizeof(int));
                            g = fnv(g, &rel, sizeof(int));
                        }
                    }
                    hp[(rs * (size_t)np + (size_t)pr) * NRANK + (size_t)k] = g;
                }
        }
    }
    /* Per group step: do the lanes agree on the rank part? Where they do, they make the same
     * allocate() calls: do they agree on each call's links in order and priority groups? */
    long gsteps = 0, rank_same = 0, calls = 0, calls_same = 0, gsteps_all = 0;
    for (int g = 0; g + L <= nruns; g += L)
        for (int t = 0; t < nsteps; t++) {
            gsteps++;
            size_t rs0 = (size_t)g * (size_t)nsteps + (size_t)t;
            int same = 1;
            for (int j = 1; j < L; j++)
                same &= hr[rs0 + (size_t)j * (size_t)nsteps] == hr[rs0];
            rank_same += same;
            if (!same)
                continue;
            int all = 1;
            for (int pr = 0; pr < np; pr++)
                for (int k = 0; k < NRANK; k++) {
                    uint64_t h0 = hp[(rs0 * (size_t)np + (size_t)pr) * NRANK + (size_t)k];
                    if (!h0)
                        continue;
                    int ok = 1;
                    for (int j = 1; j < L; j++) {
                        size_t rsj = rs0 + (size_t)j * (size_t)nsteps;
                        ok &= hp[(rsj * (size_t)np + (size_t)pr) * NRANK + (size_t)k] == h0;
                    }
                    calls++;
                    calls_same += ok;
                    all &= ok;
                }
            gsteps_all += all;
        }
    printf("layout %s: %d runs, groups of %d: %ld group-steps; the lanes share the rank part in "
           "%ld (%.1f%%), and every pair's order and priority groups too in %ld (%.1f%%); "
           "(pair, rank) layouts compared where the rank part agrees: %ld, the same in all lanes "
           "%ld (%.1f%%)\n",
           scenario, nruns, L, gsteps, rank_same, 100.0 * (double)rank_same / (double)gsteps,
           gsteps_all, 100.0 * (double)gsteps_all / (double)gsteps, calls, calls_same,
           calls ? 100.0 * (double)calls_same / (double)calls : 0.0);
    free(hr), free(hp);
    ree_run_free(r);
    ree_plan_free(p);
    ree_diag_free(d);
    return 0;
}
