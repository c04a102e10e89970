/*
 * Scalar replay: engine/sim/run_step.c's bookkeeping for one run at a time, with each hook call
 * replaced by copying what it wrote (the trace's feed) into the workspace. The functions follow
 * run_step.c line by line (same operations, same order); what is left out is named in
 * README.md (streams, policy, the mass-balance check, out_of_range's message).
 *
 * Built four times (build.sh): RS_NAME replay_scalar; with FEED_ONLY, the feed and the
 * per-run initialisation alone (the harness's share); with PHASES, cycle counts per phase;
 * replay_scalar_avx, the same source with AVX-512 allowed. Each step takes its own layout and
 * link parameters from the trace (policy's outputs).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>
#include "spike.h"

#ifndef RS_NAME
#define RS_NAME replay_scalar
#endif

#ifdef PHASES
#define TICK(ph)                                                                                   \
    do {                                                                                           \
        unsigned long long now_ = __rdtsc();                                                       \
        ph_cycles_s[ph] += now_ - tsc_;                                                            \
        tsc_ = now_;                                                                               \
    } while (0)
#else
#define TICK(ph) ((void)0)
#endif

/* The workspace: STATE_ARRAYS plus scratch, for one run. */
typedef struct sws {
#define FIELD(a, sz) double *a;
    STATE_ARRAYS(FIELD)
    double *unmet_next, *metrics, *series, *pio, *cio, *lio;
    ree_resil *region_acc;
    int t;
    double sink;
} sws;

static double *zalloc(size_t n)
{
    return aligned_alloc(64, sizeof(double) * (n + 8));
}

static void sws_alloc(sws *s, const topo *T)
{
#define ALLOC(a, sz) s->a = zalloc(sz);
    STATE_ARRAYS(ALLOC)
    s->unmet_next = zalloc(T->nnm);
    s->metrics = zalloc(T->nmetrics);
    s->series = zalloc((size_t)T->nseries * (size_t)T->nsteps);
    s->pio = calloc((size_t)T->nmat * 3, sizeof(double));
    s->cio = s->pio + T->nmat, s->lio = s->cio + T->nmat;
    s->region_acc = calloc((size_t)T->nregion + 1, sizeof(ree_resil));
}

static void sws_free(sws *s)
{
#define FREE(a, sz) free(s->a);
    STATE_ARRAYS(FREE)
    free(s->unmet_next), free(s->metrics), free(s->series), free(s->pio), free(s->region_acc);
}

/* Load a snapshot (the state before the first step). */
static void sws_load(sws *s, const topo *T, const double *snap)
{
#define LOAD(a, sz) memcpy(s->a, snap, sizeof(double) * (sz)), snap += (sz);
    STATE_ARRAYS(LOAD)
    snap += T->nseries + T->nmet;
    memcpy(s->region_acc, snap, sizeof(ree_resil) * (size_t)T->nregion);
}

/* Count the values differing (by their bits) from a snapshot after step t. */
static long sws_diff(const sws *s, const topo *T, const double *snap, int t)
{
    long nd = 0;
#define DIFF(a, sz)                                                                                \
    for (size_t i = 0; i < (size_t)(sz); i++)                                                      \
        nd += memcmp(&s->a[i], snap++, sizeof(double)) != 0;
    STATE_ARRAYS(DIFF)
    for (int i = 0; i < T->nseries; i++)
        nd += memcmp(&s->series[(size_t)i * (size_t)T->nsteps + (size_t)t], snap++, 8) != 0;
    for (int i = 0; i < T->nmet; i++)
        nd += memcmp(&s->metrics[T->met[i]], snap++, 8) != 0;
    nd += memcmp(s->region_acc, snap, sizeof(ree_resil) * (size_t)T->nregion) != 0;
    return nd;
}

#ifndef FEED_ONLY
static inline void book(sws *s, const topo *T, int n)
{
    double *pio = s->pio, *cio = s->cio, *lio = s->lio;
    double *stock = s->stock + (size_t)n * (size_t)T->nmat, *cons = s->cons + (size_t)n * T->nmat;
    for (int m = 0, nm = T->nmat; m < nm; m++) {
        uint64_t bp, bc, bl;
        memcpy(&bp, pio + m, sizeof bp);
        memcpy(&bc, cio + m, sizeof bc);
        memcpy(&bl, lio + m, sizeof bl);
        if (((bp | bc | bl) << 1) == 0)
            continue;
        double pr = pio[m], co = cio[m], lo = lio[m];
        stock[m] += pr - co - lo;
        cons[m] += co;
        s->total0[m] += pr - co - lo;
        pio[m] = cio[m] = lio[m] = 0;
    }
}
#else
#define book(s, T, n) ((void)0)
#endif

/* A produce or consume hook: its three blocks from the feed. */
static inline void feed_books(sws *s, const topo *T, const double *f, int n)
{
    for (int i = 0; i < T->nmats[n]; i++) {
        int m = T->mats[n][i];
        s->pio[m] = f[0], s->cio[m] = f[1], s->lio[m] = f[2];
        f += 3;
    }
#ifdef FEED_ONLY
    for (int i = 0; i < T->nmats[n]; i++) { /* the engine's book() clears them */
        int m = T->mats[n][i];
        s->pio[m] = s->cio[m] = s->lio[m] = 0;
    }
#endif
}

static void call_books(sws *s, const topo *T, const double *rec, int ph)
{
    for (int c = T->ncall[ph]; c < T->ncall[ph + 1]; c++) {
        int n = T->call_node[c];
        feed_books(s, T, rec + T->call_feed[c], n);
        book(s, T, n);
    }
}

/* order or offer hooks: the node's values of its materials. */
static void call_values(const topo *T, const double *rec, int ph, double *dst)
{
    for (int c = T->ncall[ph]; c < T->ncall[ph + 1]; c++) {
        int n = T->call_node[c];
        const double *f = rec + T->call_feed[c];
        double *d = dst + (size_t)n * (size_t)T->nmat;
        for (int i = 0; i < T->nmats[n]; i++)
            d[T->mats[n][i]] = f[i];
    }
}

static void feed_gate(sws *s, const topo *T, const double *f)
{
    for (int i = 0; i < T->nslot; i++, f += 3)
        s->g_licensed[i] = f[0], s->g_on_order[i] = f[1], s->g_granted[i] = f[2];
}

#ifndef FEED_ONLY
static void arrivals(sws *s, const topo *T)
{
    double *slot = s->pipe + s->t;
    for (int l = 0; l < T->nlink; l++, slot += T->w) {
        double q = *slot;
        if (q == 0)
            continue;
        size_t o = T->to[l];
        s->stock[o] += q;
        s->recv[o] += q;
        s->transit[l] -= q;
        *slot = 0;
    }
}

static void positions(sws *s, const topo *T)
{
    double *pos = s->position;
    memcpy(pos, s->stock, sizeof(double) * T->nnm);
    for (int l = 0; l < T->nlink; l++) {
        size_t o = T->to[l];
        pos[o] += s->transit[l];
        if (T->slot[l] >= 0)
            pos[o] += s->g_on_order[T->slot[l]];
    }
}

static void applications(sws *s, const topo *T, const layout *Y, const lpar *lp)
{
    for (int g = 0; g < T->ngate; g++)
        for (int i = 0; i < T->gate_nlink[g]; i++) {
            int l = T->gate_links[g][i];
            s->g_applied[T->slot[l]] =
                Y->rank[l] == 0 ? s->order[T->to[l]] * lp[l].share : s->g_fallback[T->slot[l]];
        }
}

static void dispatch(sws *s, const topo *T, const lpar *k, int l, double q, double extra)
{
    long whole = k->k0, last = (long)T->nsteps + 1;
    double f = k->f0, g = k->g0;
    if (extra != 0) {
        double d = k->lead + extra;
        if (d < 1)
            d = 1;
        double kd = floor(d);
        f = d - kd;
        g = 1 - f;
        whole = kd < last ? (long)kd : last;
    }
    long i1 = s->t + whole, i2 = i1 + 1;
    double *row = s->pipe + (size_t)l * T->w;
    row[i1 > last ? last : i1] += q * g;
    row[i2 > last ? last : i2] += q * f;
    s->transit[l] += q;
}

static inline int hair_below_zero(double stock, double ship)
{
    return stock < 0 && stock > -1e-9 * (ship + 1);
}

static void allocate(sws *s, const topo *T, const layout *Y, const lpar *lp, int pr, int rank)
{
    const int *off = Y->pair_roff + (size_t)pr * (NRANK + 1) + rank;
    const int *lk = Y->pair_rlink, *gend = Y->rlink_gend;
    const double *req = s->req, *extra = s->extra;
    size_t o = T->pair_nm[pr];
    double stock = s->stock[o], ship = s->ship[o];
    double avail = s->offer[o] < stock ? s->offer[o] : stock;
    if (avail < 0)
        avail = 0;
    double level = INFINITY;
    for (int g = off[0], end = off[1], e; g < end && avail > 0; g = e) {
        e = gend[g];
        double prio = lp[lk[g]].priority, want = 0;
        int asks = 0;
        for (int i = g; i < e; i++) {
            asks |= req[lk[i]] > 0;
            want += req[lk[i]];
        }
        if (!asks || !(prio < level) || !(prio > -INFINITY))
            continue;
        double give = want < avail ? want : avail, frac = want > 0 ? give / want : 0;
        for (int i = g; i < e; i++) {
            int l = lk[i];
            if (req[l] <= 0)
                continue;
            double q = give >= want ? req[l] : req[l] * frac;
            s->shipped[l] += q;
            ship += q;
            stock -= q;
            dispatch(s, T, &lp[l], l, q, extra[l]);
        }
        avail -= give;
        level = prio;
    }
    if (hair_below_zero(stock, ship))
        stock = 0;
    s->stock[o] = stock;
    s->ship[o] = ship;
}
#endif

static void shipping(sws *s, const topo *T, const layout *Y, const lpar *lp, const double *rec)
{
    (void)lp, (void)Y; /* FEED_ONLY reads no link parameter */
#ifndef FEED_ONLY
    memset(s->asked, 0, sizeof(double) * T->nnm);
    for (int i = 0; i < Y->nask_link; i++) {
        int l = Y->ask_link[i];
        s->asked[T->from[l]] +=
            T->slot[l] >= 0 ? s->g_licensed[T->slot[l]] : s->order[T->to[l]] * lp[l].share;
    }
    for (int c = T->ncall[P_OFFER]; c < T->ncall[P_OFFER + 1]; c++) {
        const double *st = s->stock + (size_t)T->call_node[c] * (size_t)T->nmat;
        double *of = s->offer + (size_t)T->call_node[c] * (size_t)T->nmat;
        for (int m = 0; m < T->nmat; m++)
            of[m] = st[m] > 0 ? st[m] : 0;
    }
#endif
    call_values(T, rec, P_OFFER, s->offer);
#ifndef FEED_ONLY
    for (int l = 0; l < T->nlink; l++)
        s->extra[l] = lp[l].extra0;
    memset(s->shipped, 0, sizeof(double) * (size_t)T->nlink);
#endif
    for (int i = 0; i < Y->nrand_link; i++) /* the draw's outcome, from the feed */
        s->extra[Y->rand_link[i]] = rec[T->f_extra + Y->rand_link[i]];
#ifndef FEED_ONLY
    double *req = s->req, *shipped = s->shipped;
    for (int rank = 0; rank <= Y->maxrank && rank < NRANK; rank++) {
        const int *rl = Y->rank_link + Y->rank_off[rank];
        int nrl = Y->rank_off[rank + 1] - Y->rank_off[rank];
        int last = rank == Y->maxrank || rank + 1 == NRANK;
        const double *reached = rank == 0 ? s->order : s->unmet;
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            size_t o = T->to[l];
            if (T->slot[l] >= 0) {
                req[l] = s->g_licensed[T->slot[l]];
                if (rank > 0)
                    s->g_fallback[T->slot[l]] = reached[o] * lp[l].share;
            } else
                req[l] = reached[o] * lp[l].share;
            s->requested_now[T->from[l]] += req[l];
        }
        for (int i = Y->rank_poff[rank]; i < Y->rank_poff[rank + 1]; i++)
            allocate(s, T, Y, lp, Y->rank_pair[i], rank);
        for (int i = 0; rank == 0 && i < Y->npair_idle; i++) {
            size_t o = T->pair_nm[Y->pair_idle[i]];
            if (hair_below_zero(s->stock[o], s->ship[o]))
                s->stock[o] = 0;
        }
        if (last)
            break;
        double *unmet_next = s->unmet_next;
        memset(unmet_next, 0, sizeof(double) * T->nnm);
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            size_t o = T->to[l];
            if (T->slot[l] < 0) {
                unmet_next[o] += req[l] - shipped[l];
            } else {
                double want = reached[o] * lp[l].share - shipped[l];
                unmet_next[o] += want > 0 ? want : 0;
            }
        }
        s->unmet_next = s->unmet;
        s->unmet = unmet_next;
    }
    /* gates_ship: the copy, then the hook */
    for (int g = 0; g < T->ngate; g++)
        for (int i = 0; i < T->gate_nlink[g]; i++)
            s->g_shipped[T->goff[g] + i] = s->shipped[T->gate_links[g][i]];
#endif
    feed_gate(s, T, rec + T->f_gship);
}

#ifndef FEED_ONLY
static void consumption_sums(sws *s, const topo *T)
{
    memset(s->need_sum, 0, sizeof(double) * (size_t)T->nmat);
    memset(s->short_sum, 0, sizeof(double) * (size_t)T->nmat);
    double *history = s->history + (size_t)s->t * (size_t)T->nmat;
    for (int i = 0; i < T->nsector; i++) {
        const double *cons = s->cons + (size_t)T->sec_node[i] * (size_t)T->nmat;
        for (int m = 0; m < T->nmat; m++)
            history[m] += cons[m];
        if (T->sec_mat[i] < 0)
            continue;
        s->need_sum[T->sec_mat[i]] += s->metrics[T->sec_met[4 * i]];
        s->short_sum[T->sec_mat[i]] += s->metrics[T->sec_met[4 * i + 2]];
    }
}

/* region_totals(): each region's sums over its sectors, then its accumulator's step. */
static void region_totals(sws *s, const topo *T)
{
    if (!T->nregion)
        return;
    memset(s->region_sum, 0, sizeof(double) * 4 * (size_t)T->nregion);
    for (int i = 0; i < T->nsector; i++) {
        if (T->sec_region[i] < 0)
            continue;
        double *sum = s->region_sum + 4 * (size_t)T->sec_region[i];
        const size_t *mo = T->sec_met + 4 * i;
        sum[0] += s->metrics[mo[0]];
        sum[1] += s->metrics[mo[1]];
        sum[2] += s->metrics[mo[2]];
        sum[3] += s->metrics[mo[3]];
    }
    for (int g = 0; g < T->nregion; g++) {
        const double *sum = s->region_sum + 4 * (size_t)g;
        ree_resil_step(&s->region_acc[g], s->t, sum[0], sum[1], sum[2], sum[3]);
    }
}

static double series_value(const sws *s, const topo *T, const cseries *c, int regime)
{
    size_t nsteps = (size_t)T->nsteps, t = (size_t)s->t;
    double v = 0;
    switch (c->kind) {
    case SV_REGIME:
        v = regime == c->index;
        break;
    case SV_GATE_SHIPPED:
        for (int i = 0; i < T->gate_nlink[c->index]; i++)
            v += s->shipped[T->gate_links[c->index][i]];
        break;
    case SV_GATE_REGION_SHIPPED:
    case SV_GATE_REGION_GRANTED:
        for (int k = 0; k < c->n; k++) {
            int i = c->idx[k], l = T->gate_links[c->index][i];
            v += c->kind == SV_GATE_REGION_SHIPPED ? s->shipped[l]
                                                   : s->g_granted[T->goff[c->index] + i];
        }
        break;
    case SV_SUM:
        for (int i = 0; i < c->n; i++)
            v += s->series[(size_t)c->idx[i] * nsteps + t];
        break;
    }
    return v;
}

#define MAG_MASK (~(UINT64_C(1) << 63))
static uint64_t range_excess(void)
{
    const double maxv = 1e100;
    uint64_t lim;
    memcpy(&lim, &maxv, sizeof lim);
    return MAG_MASK - lim;
}

static inline uint64_t check_term(double v, uint64_t ex)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return (b & MAG_MASK) + ex;
}

/* record(): the series' column t and the range check (stocks and orders too); 1 when all in
 * range. The engine reaches a direct source through a pointer; here through its array and
 * offset (the same load). */
static int record(sws *s, const topo *T, int regime)
{
    size_t nsteps = (size_t)T->nsteps, t = (size_t)s->t;
    const uint64_t ex = range_excess();
    uint64_t bad = 0;
    const double *base[] = {s->metrics, s->stock, s->shipped, s->transit, s->scarcity};
    for (int i = 0; i < T->nsdirect; i++) {
        double v = base[T->sd_src[i]][T->sd_off[i]];
        s->series[(size_t)T->sd_series[i] * nsteps + t] = v;
        bad |= check_term(v, ex);
    }
    for (int i = 0; i < T->nscomputed; i++) {
        double v = series_value(s, T, &T->sc[i], regime);
        s->series[(size_t)T->sc[i].s * nsteps + t] = v;
        bad |= check_term(v, ex);
    }
    for (size_t i = 0; i < T->nnm; i++)
        bad |= check_term(s->stock[i], ex) | check_term(s->order[i], ex);
    return (bad >> 63) == 0;
}
#endif

/* One step, as ree_run_step without streams, policy and the check. */
static void step(sws *s, const topo *T, const layout *Y, const lpar *lp, const double *rec)
{
#ifdef PHASES
    unsigned long long tsc_ = __rdtsc();
#endif
#ifndef FEED_ONLY
    size_t nnm = T->nnm;
    double *flows[] = {s->recv, s->ship, s->cons, s->order};
    for (size_t i = 0; i < 4; i++)
        memset(flows[i], 0, sizeof(double) * nnm);
    memset(s->metrics, 0, sizeof(double) * T->nmetrics);
    memcpy(s->requested, s->requested_now, sizeof(double) * nnm);
    memset(s->requested_now, 0, sizeof(double) * nnm);
    arrivals(s, T);
#endif
    TICK(PH_CLEAR_ARRIVE);
    call_books(s, T, rec, P_PRODUCE);
#ifndef FEED_ONLY
    positions(s, T);
#endif
    TICK(PH_PROD_POS);
    call_values(T, rec, P_ORDER, s->order);
#ifndef FEED_ONLY
    applications(s, T, Y, lp);
#endif
    feed_gate(s, T, rec + T->f_gdec);
    TICK(PH_ORDER_GATES);
    shipping(s, T, Y, lp, rec);
    TICK(PH_SHIP);
    call_books(s, T, rec, P_CONSUME);
    for (int i = 0; i < T->nsector; i++)
        for (int k = 0; k < 4; k++)
            s->metrics[T->sec_met[4 * i + k]] = rec[T->f_sec + 4 * i + k];
#ifndef FEED_ONLY
    consumption_sums(s, T);
    region_totals(s, T);
    for (int m = 0; m < T->nmat; m++)
        s->scarcity[m] = s->need_sum[m] > 0 ? s->short_sum[m] / s->need_sum[m] : 0;
#endif
    for (int i = 0; i < T->nmet; i++) /* the account hooks and the gates' metrics */
        s->metrics[T->met[i]] = rec[T->f_met + i];
#ifndef FEED_ONLY
    s->sink += record(s, T, (int)rec[T->f_regime]);
#endif
    TICK(PH_CONS_REC);
    s->t++;
}

double RS_NAME(const trace *tr, int check, long *ndiff)
{
    const topo *T = &tr->T;
    /* The workspace stays allocated between passes (the engine's is per thread): a pass
     * neither allocates nor faults pages in. */
    static sws s;
    static const trace *owner;
    if (owner != tr) {
        if (owner)
            sws_free(&s);
        sws_alloc(&s, T);
        owner = tr;
    }
    s.sink = 0;
    size_t nsteps = (size_t)T->nsteps;
    long nd = 0;
    for (int run = 0; run < T->nruns; run++) {
        const double *snap = tr->snap + (size_t)run * (nsteps + 1) * T->nsnap;
        const double *feed = tr->feed + (size_t)run * nsteps * (size_t)T->nfeed;
        /* the run's link parameters: those of the last step where they changed */
        const lpar *lp0 = tr->lp + (size_t)run * nsteps * (size_t)T->nlink, *lp = lp0;
        const int *lp_new = tr->lp_new + (size_t)run * nsteps;
        const int *lid = tr->lid + (size_t)run * nsteps;
        sws_load(&s, T, snap);
        s.t = 0;
        for (int t = 0; t < T->nsteps; t++) {
            if (lp_new[t])
                lp = lp0 + (size_t)t * (size_t)T->nlink;
            step(&s, T, &tr->lay[lid[t]], lp, feed + (size_t)t * (size_t)T->nfeed);
            if (check)
                nd += sws_diff(&s, T, snap + (size_t)(t + 1) * T->nsnap, t);
        }
        s.sink += s.stock[0];
    }
    if (ndiff)
        *ndiff = nd;
    return s.sink;
}
