/*
 * One step of REE_LANES runs in lockstep: run_step.c's phases with every value a lane vector.
 * Each data-dependent `if` of run_step.c becomes a lane mask, and the lanes it excludes keep
 * their values (REE_VSEL), so that every lane does exactly its run's operations in the same
 * order and no other: an `x += 0` the scalar code skips is not done either (it would turn -0
 * into +0). Where lanes differ in layout (link ranks, a pair's priority groups) or in where a
 * shipment lands (a random delay), that part runs lane by lane, the scalar code on one lane's
 * values. What is the run's (policy, streams, region accumulators, messages) is each lane's
 * ree_run's, called as run_step.c calls it.
 */
#include <math.h>
#include <string.h>
#include "lrun_priv.h"
#include "rng.h"
#include "rng_lanes.h"

#define NM(g, n)  ((size_t)(n) * (size_t)(g)->nmat)
#define VZERO     REE_VSPLAT(0.0)
#define AS_U(v)   ((ree_vu)(v))
#define MASK_U(m) ((ree_vl)(m))

/* a[0..n) = 0 by vector stores: the step clears about a dozen arrays of a few KiB each, where
 * memset's `rep stosb` costs more to start than the stores themselves (the loop is kept a loop:
 * GCC would otherwise turn it back into a call to memset). */
#if defined(__GNUC__) && !defined(__clang__)
#define KEEP_LOOP __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define KEEP_LOOP
#endif
static KEEP_LOOP void vzero(ree_vd *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = VZERO;
}

/* book() of run_step.c: the lanes where any of the three bookings has a bit besides the sign. */
static void book(ree_lrun *g, int n)
{
    ree_vd *pio = g->bk, *cio = g->bk + g->nmat, *lio = g->bk + 2 * (size_t)g->nmat;
    ree_vd *stock = g->stock + NM(g, n), *cons = g->cons + NM(g, n), *total0 = g->total0;
    const ree_vu zero = {0};
    for (int m = 0, nm = g->nmat; m < nm; m++) {
        ree_vd pr = pio[m], co = cio[m], lo = lio[m];
        ree_vl k = (ree_vl)(((AS_U(pr) | AS_U(co) | AS_U(lo)) << 1) != zero);
        if (!REE_VANY(k))
            continue;
        ree_vd d = pr - co - lo;
        stock[m] = REE_VSEL(k, stock[m] + d, stock[m]);
        cons[m] = REE_VSEL(k, cons[m] + co, cons[m]);
        if (g->check) {
            size_t o = NM(g, n) + (size_t)m;
            g->prod[o] = REE_VSEL(k, g->prod[o] + pr, g->prod[o]);
            g->lost[o] = REE_VSEL(k, g->lost[o] + lo, g->lost[o]);
        }
        total0[m] = REE_VSEL(k, total0[m] + d, total0[m]);
        pio[m] = REE_VSEL(k, VZERO, pr);
        cio[m] = REE_VSEL(k, VZERO, co);
        lio[m] = REE_VSEL(k, VZERO, lo);
    }
}

typedef void (*lane_hook)(const void *, void *, const ree_node_io_lanes *);

static lane_hook hook_of(const ree_model_lanes *lm, int ph)
{
    return ph == PH_PRODUCE   ? lm->produce
           : ph == PH_ORDER   ? lm->order
           : ph == PH_OFFER   ? lm->offer
           : ph == PH_CONSUME ? lm->consume
                              : lm->account;
}

/* Copy n values between lane j of lane vectors and a scalar array (to_lane: into the lanes). */
static void lane_copy(double *x, ree_vd *v, size_t n, int j, int to_lane)
{
    for (size_t i = 0; i < n; i++)
        if (to_lane)
            v[i][j] = x[i];
        else
            x[i] = v[i][j];
}

/* The hook of node call i of phase ph for a model without lane hooks: its scalar hook lane by
 * lane, on the lane's own ree_run (its parameters and state), with what the hook reads copied
 * from the lane and what it writes copied back. */
static void scalar_node_call(ree_lrun *g, int i, int ph)
{
    const ree_plan *p = g->p;
    size_t nm = (size_t)g->nmat, t = (size_t)g->t;
    for (int j = 0; j < REE_LANES; j++) {
        ree_run *r = g->run[j];
        const node_call *c = &r->calls[i];
        int n = c->node, e = p->nodes[n].entity;
        size_t o = NM(g, n), nmet = p->entities[e].model->nmetrics, mo = r->moff[e];
        struct {
            double *x;
            ree_vd *v;
            size_t n;
            int out;
        } a[] = {{r->stock + o, g->stock + o, nm, 0},
                 {r->position + o, g->position + o, nm, 0},
                 {r->requested + o, g->requested + o, nm, 0},
                 {r->recv + o, g->recv + o, nm, 0},
                 {r->lead_in + o, g->lead_in + o, nm, 0},
                 {r->asked + o, g->asked + o, ph == PH_OFFER ? nm : 0, 0},
                 {r->history, g->history, t * nm, 0},
                 {r->scarcity, g->scarcity, nm, 0},
                 {r->produced_io, g->bk, 3 * nm, 1},
                 {r->order + o, g->order + o, nm, 1},
                 {r->offer + o, g->offer + o, nm, 1},
                 {r->metrics + mo, g->metrics + mo, nmet, 1},
                 {r->price, g->price, nm, 1}};
        size_t na = sizeof a / sizeof a[0];
        for (size_t k = 0; k < na; k++)
            lane_copy(a[k].x, a[k].v, a[k].n, j, 0);
        c->io->step = g->t;
        if (ph == PH_OFFER)
            c->io->asked = r->asked + o;
        c->hook(c->par, c->state, c->io);
        c->io->asked = NULL;
        for (size_t k = 0; k < na; k++)
            if (a[k].out)
                lane_copy(a[k].x, a[k].v, a[k].n, j, 1);
    }
}

/* Node call i of phase ph (run[0]'s list: the same in every lane). */
static void node_call_lanes(ree_lrun *g, int i, int ph)
{
    const ree_plan *p = g->p;
    int n = g->run[0]->calls[i].node, e = p->nodes[n].entity;
    const ree_model_lanes *lm = g->lanes[e];
    if (!lm) {
        scalar_node_call(g, i, ph);
        return;
    }
    ree_node_io_lanes *io = &g->nio[n];
    io->step = g->t;
    if (ph == PH_OFFER)
        io->asked = g->asked + NM(g, n);
    hook_of(lm, ph)(g->lpar + g->lpoff[e], g->lstate + g->lsoff[e], io);
    io->asked = NULL;
}

/* call_nodes() of run_step.c: the phase's hooks in node order, booking after each in produce
 * and consume. */
static void call_nodes(ree_lrun *g, int ph)
{
    const ree_run *r0 = g->run[0];
    int books = ph == PH_PRODUCE || ph == PH_CONSUME;
    for (int i = r0->ncall[ph], end = r0->ncall[ph + 1]; i < end; i++) {
        node_call_lanes(g, i, ph);
        if (books)
            book(g, r0->calls[i].node);
    }
}

static void arrivals(ree_lrun *g)
{
    const ree_run *r0 = g->run[0];
    ree_vd *slot = g->pipe + g->t;
    for (int l = 0, nl = g->p->nlink; l < nl; l++, slot += g->w) {
        ree_vd q = *slot;
        ree_vl k = ~(q == VZERO); /* the lanes where !(q == 0): NaN too */
        if (!REE_VANY(k))
            continue;
        size_t o = r0->lk[l].to;
        g->stock[o] = REE_VSEL(k, g->stock[o] + q, g->stock[o]);
        g->recv[o] = REE_VSEL(k, g->recv[o] + q, g->recv[o]);
        g->transit[l] = REE_VSEL(k, g->transit[l] - q, g->transit[l]);
        *slot = REE_VSEL(k, VZERO, q);
    }
}

static void positions(ree_lrun *g)
{
    const ree_run *r0 = g->run[0];
    ree_vd *pos = g->position;
    memcpy(pos, g->stock, sizeof(ree_vd) * g->nnm);
    for (int l = 0; l < g->p->nlink; l++) {
        const link_rt *k = &r0->lk[l];
        pos[k->to] += g->transit[l];
        if (k->slot >= 0)
            pos[k->to] += g->g_on_order[k->slot];
    }
}

/* Policy (phase 2, after the first step): each lane's own; when any lane laid its parameters
 * anew, the lane copies follow, and a gated link whose rank changed in a lane forgets in that
 * lane what reached its old rank (link_params in run.c). The regime transitions' draws, one per
 * lane from its regime stream, are made together first: that stream is the transition's alone
 * and the timeline events draw nothing, so each lane gets the u it would draw itself. */
static void policy(ree_lrun *g)
{
    const ree_plan *p = g->p;
    /* ranks change only with a link's parameters: not at all when no event or regime sets any */
    int nl = g->policy_links ? p->nlink : 0, any = 0;
    for (int l = 0; l < REE_LANES; l++)
        for (int i = 0; i < nl; i++)
            g->oldrank[(size_t)l * (size_t)nl + (size_t)i] = g->run[l]->lk[i].rank;
    ree_vd u = VZERO;
    if (p->nregime) {
        gsl_rng *rr[REE_LANES];
        ree_vl draws;
        for (int l = 0; l < REE_LANES; l++) {
            rr[l] = g->run[l]->regime_rng;
            draws[l] = ree_run_regime_draws(g->run[l]) ? -1 : 0;
        }
        if (REE_VANY(draws))
            ree_rng_uniform_pos_lanes(rr, &draws, &u);
    }
    for (int l = 0; l < REE_LANES; l++) {
        double ul = u[l];
        any |= ree_run_policy_u(g->run[l], &ul);
    }
    if (!any)
        return;
    for (int l = 0; l < REE_LANES; l++)
        for (int i = 0; i < nl; i++) {
            const link_rt *k = &g->run[l]->lk[i];
            if (k->slot >= 0 && k->rank != g->oldrank[(size_t)l * (size_t)nl + (size_t)i])
                g->g_fallback[k->slot][l] = 0;
        }
    ree_lrun_params(g, 0);
}

/* Gate gi's decide (ship 0) or ship hook: its lane hook, or its scalar hook lane by lane on the
 * lane's ree_run (as scalar_node_call). */
static void gate_call(ree_lrun *g, int gi, int ship)
{
    const ree_plan *p = g->p;
    int e = p->gates[gi].entity;
    const ree_model *m = p->entities[e].model;
    const ree_model_lanes *lm = g->lanes[e];
    if (lm) {
        ree_gate_io_lanes io = g->gio[gi]; /* a copy, as gate_io() in run_step.c */
        io.step = g->t;
        (ship ? lm->gate_ship : lm->gate_decide)(g->lpar + g->lpoff[e], g->lstate + g->lsoff[e],
                                                 &io);
        return;
    }
    size_t off = (size_t)g->run[0]->goff[gi], nl = (size_t)p->gates[gi].nlink;
    size_t nmet = m->nmetrics, mo = g->run[0]->moff[e];
    for (int j = 0; j < REE_LANES; j++) {
        ree_run *r = g->run[j];
        double *x[] = {r->g_applied + off,  r->g_shipped + off, r->g_licensed + off,
                       r->g_on_order + off, r->g_granted + off, r->metrics + mo};
        ree_vd *v[] = {g->g_applied + off,  g->g_shipped + off, g->g_licensed + off,
                       g->g_on_order + off, g->g_granted + off, g->metrics + mo};
        size_t n[] = {nl, nl, nl, nl, nl, nmet};
        for (int k = 0; k < 6; k++)
            lane_copy(x[k], v[k], n[k], j, 0);
        ree_gate_io io = r->gio[gi];
        io.step = g->t;
        (ship ? m->gate_ship : m->gate_decide)(r->par[e], r->state + r->soff[e], &io);
        for (int k = 2; k < 6; k++) /* licensed, on_order, granted, metrics */
            lane_copy(x[k], v[k], n[k], j, 1);
    }
}

static void gates_decide(ree_lrun *g)
{
    const ree_plan *p = g->p;
    const ree_run *r0 = g->run[0];
    for (int gi = 0; gi < p->ngate; gi++)
        for (int i = 0; i < p->gates[gi].nlink; i++) {
            int l = p->gates[gi].links[i];
            const link_rt *k = &r0->lk[l];
            if (g->uni) {
                g->g_applied[k->slot] =
                    k->rank == 0 ? g->order[k->to] * g->lk[l].share : g->g_fallback[k->slot];
                continue;
            }
            for (int j = 0; j < REE_LANES; j++)
                g->g_applied[k->slot][j] = g->run[j]->lk[l].rank == 0
                                               ? g->order[k->to][j] * g->lk[l].share[j]
                                               : g->g_fallback[k->slot][j];
        }
    for (int gi = 0; gi < p->ngate; gi++)
        gate_call(g, gi, 0);
}

static void gates_ship(ree_lrun *g)
{
    const ree_plan *p = g->p;
    const ree_run *r0 = g->run[0];
    for (int gi = 0; gi < p->ngate; gi++) {
        for (int i = 0; i < p->gates[gi].nlink; i++)
            g->g_shipped[r0->goff[gi] + i] = g->shipped[p->gates[gi].links[i]];
        gate_call(g, gi, 1);
    }
}

/* dispatch() of run_step.c for lane j alone. */
static void dispatch_lane(ree_lrun *g, int l, int j, double q, double extra)
{
    const llink *k = &g->lk[l];
    long whole = k->k0[j], last = (long)g->nsteps + 1;
    double f = k->f0[j], gg = k->g0[j];
    if (extra != 0) {
        double d = k->lead[j] + extra;
        if (d < 1)
            d = 1;
        double kd = floor(d);
        f = d - kd;
        gg = 1 - f;
        whole = kd < last ? (long)kd : last;
    }
    long i1 = g->t + whole, i2 = i1 + 1;
    ree_vd *row = g->pipe + (size_t)l * g->w;
    row[i1 > last ? last : i1][j] += q * gg;
    row[i2 > last ? last : i2][j] += q * f;
    g->transit[l][j] += q;
}

/* dispatch() for the lanes of mask kq: when none of them has a random delay and their whole
 * months agree, two masked adds; otherwise lane by lane. */
static void dispatch(ree_lrun *g, int l, const ree_vl *kqp, const ree_vd *qp)
{
    ree_vl kq = *kqp; /* by pointer: a vector argument's ABI depends on the build (-Wpsabi) */
    ree_vd q = *qp;
    const llink *k = &g->lk[l];
    ree_vd extra = g->extra[l];
    ree_vl ke = kq & ~(extra == VZERO);
    if (!REE_VANY(ke) && k->k0u >= 0) {
        long last = (long)g->nsteps + 1, i1 = g->t + k->k0u, i2 = i1 + 1;
        ree_vd *row = g->pipe + (size_t)l * g->w;
        i1 = i1 > last ? last : i1;
        i2 = i2 > last ? last : i2;
        row[i1] = REE_VSEL(kq, row[i1] + q * k->g0, row[i1]);
        row[i2] = REE_VSEL(kq, row[i2] + q * k->f0, row[i2]);
        g->transit[l] = REE_VSEL(kq, g->transit[l] + q, g->transit[l]);
        return;
    }
    for (int j = 0; j < REE_LANES; j++)
        if (kq[j])
            dispatch_lane(g, l, j, q[j], extra[j]);
}

static int hair_below_zero(double stock, double ship)
{
    return stock < 0 && stock > -1e-9 * (ship + 1);
}

/* allocate() of run_step.c for lane j alone, with lane j's own layout. */
static void allocate_lane(ree_lrun *g, int pr, int rank, int j)
{
    const ree_run *r = g->run[j];
    const int *off = r->pair_roff + (size_t)pr * (REE_LINK_RANKS + 1) + rank;
    const int *lk = r->pair_rlink, *gend = r->rlink_gend;
    const ree_vd *req = g->req;
    size_t o = r->pair_nm[pr];
    double stock = g->stock[o][j], ship = g->ship[o][j], of = g->offer[o][j];
    double avail = of < stock ? of : stock;
    if (avail < 0)
        avail = 0;
    double level = INFINITY;
    for (int gr = off[0], end = off[1], e; gr < end && avail > 0; gr = e) {
        e = gend[gr];
        double prio = r->lk[lk[gr]].priority, want = 0;
        int asks = 0;
        for (int i = gr; i < e; i++) {
            asks |= req[lk[i]][j] > 0;
            want += req[lk[i]][j];
        }
        if (!asks || !(prio < level) || !(prio > -INFINITY))
            continue;
        double give = want < avail ? want : avail, frac = want > 0 ? give / want : 0;
        for (int i = gr; i < e; i++) {
            int l = lk[i];
            double rq = req[l][j];
            if (rq <= 0)
                continue;
            double q = give >= want ? rq : rq * frac;
            g->shipped[l][j] += q;
            ship += q;
            stock -= q;
            dispatch_lane(g, l, j, q, g->extra[l][j]);
        }
        avail -= give;
        level = prio;
    }
    if (hair_below_zero(stock, ship))
        stock = 0;
    g->stock[o][j] = stock;
    g->ship[o][j] = ship;
}

/* hair_below_zero() as a lane mask (a macro: vectors pass by value only inline, -Wpsabi). */
#define VHAIR_BELOW_ZERO(stock, ship)                                                              \
    (((stock) < VZERO) & ((stock) > REE_VSPLAT(-1e-9) * ((ship) + REE_VSPLAT(1.0))))

/* allocate() on the lanes, when they share pair pr's layout: a lane takes part in a group when
 * it is still serving (avail > 0), one of the group's links asks in it, and the group's
 * priority passes the lane's level. */
static void allocate(ree_lrun *g, int pr, int rank)
{
    const ree_run *r0 = g->run[0];
    const int *off = r0->pair_roff + (size_t)pr * (REE_LINK_RANKS + 1) + rank;
    const int *lk = r0->pair_rlink, *gend = r0->rlink_gend;
    const ree_vd *req = g->req;
    size_t o = r0->pair_nm[pr];
    ree_vd stock = g->stock[o], ship = g->ship[o], offer = g->offer[o];
    ree_vd avail = REE_VSEL(offer < stock, offer, stock);
    avail = REE_VSEL(avail < VZERO, VZERO, avail);
    ree_vd level = REE_VSPLAT(INFINITY), ninf = REE_VSPLAT(-INFINITY);
    ree_vl live = avail > VZERO;
    for (int gr = off[0], end = off[1], e; gr < end && REE_VANY(live); gr = e) {
        e = gend[gr];
        ree_vd prio = g->lk[lk[gr]].priority, want = VZERO;
        ree_vl asks = {0};
        for (int i = gr; i < e; i++) {
            asks |= req[lk[i]] > VZERO;
            want += req[lk[i]];
        }
        ree_vl serve = live & asks & (prio < level) & (prio > ninf);
        if (!REE_VANY(serve))
            continue;
        ree_vd give = REE_VSEL(want < avail, want, avail);
        ree_vd frac = REE_VSEL(want > VZERO, give / want, VZERO);
        ree_vl full = give >= want;
        for (int i = gr; i < e; i++) {
            int l = lk[i];
            ree_vl kq = serve & ~(req[l] <= VZERO);
            if (!REE_VANY(kq))
                continue;
            ree_vd q = REE_VSEL(full, req[l], req[l] * frac);
            g->shipped[l] = REE_VSEL(kq, g->shipped[l] + q, g->shipped[l]);
            ship = REE_VSEL(kq, ship + q, ship);
            stock = REE_VSEL(kq, stock - q, stock);
            dispatch(g, l, &kq, &q);
        }
        avail = REE_VSEL(serve, avail - give, avail);
        level = REE_VSEL(serve, prio, level);
        live &= avail > VZERO;
    }
    stock = REE_VSEL(VHAIR_BELOW_ZERO(stock, ship), VZERO, stock);
    g->stock[o] = stock;
    g->ship[o] = ship;
}

/* The ranks of shipping() (run_step.c) for lane j alone, with its own layout. */
static void ranks_lane(ree_lrun *g, int j)
{
    const ree_run *r = g->run[j];
    const link_rt *lk = r->lk;
    size_t nnm = g->nnm;
    ree_vd *unmet = g->unmet, *unmet_next = g->unmet_next;
    for (int rank = 0; rank <= r->maxrank && rank < REE_LINK_RANKS; rank++) {
        const int *rl = r->rank_link + r->rank_off[rank];
        int nrl = r->rank_off[rank + 1] - r->rank_off[rank];
        int last = rank == r->maxrank || rank + 1 == REE_LINK_RANKS;
        const ree_vd *reached = rank == 0 ? g->order : unmet;
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            const link_rt *k = &lk[l];
            size_t o = k->to;
            if (k->slot >= 0) {
                g->req[l][j] = g->g_licensed[k->slot][j];
                if (rank > 0)
                    g->g_fallback[k->slot][j] = reached[o][j] * k->share;
            } else
                g->req[l][j] = reached[o][j] * k->share;
            g->requested_now[k->from][j] += g->req[l][j];
        }
        for (int i = r->rank_poff[rank]; i < r->rank_poff[rank + 1]; i++)
            allocate_lane(g, r->rank_pair[i], rank, j);
        for (int i = 0; rank == 0 && i < r->npair_idle; i++) {
            size_t o = r->pair_nm[r->pair_idle[i]];
            if (hair_below_zero(g->stock[o][j], g->ship[o][j]))
                g->stock[o][j] = 0;
        }
        if (last)
            break;
        for (size_t o = 0; o < nnm; o++)
            unmet_next[o][j] = 0;
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            const link_rt *k = &lk[l];
            size_t o = k->to;
            if (k->slot < 0) {
                unmet_next[o][j] += g->req[l][j] - g->shipped[l][j];
            } else {
                double want = reached[o][j] * k->share - g->shipped[l][j];
                unmet_next[o][j] += want > 0 ? want : 0;
            }
        }
        ree_vd *sw = unmet; /* this lane's next rank reads what unmet_next holds */
        unmet = unmet_next;
        unmet_next = sw;
    }
}

/* The ranks of shipping() on the lanes, when every link has the same rank in every lane. */
static void ranks(ree_lrun *g)
{
    const ree_run *r0 = g->run[0];
    const link_rt *lk = r0->lk;
    ree_vd *req = g->req, *shipped = g->shipped;
    for (int rank = 0; rank <= r0->maxrank && rank < REE_LINK_RANKS; rank++) {
        const int *rl = r0->rank_link + r0->rank_off[rank];
        int nrl = r0->rank_off[rank + 1] - r0->rank_off[rank];
        int last = rank == r0->maxrank || rank + 1 == REE_LINK_RANKS;
        const ree_vd *reached = rank == 0 ? g->order : g->unmet;
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            const link_rt *k = &lk[l];
            size_t o = k->to;
            if (k->slot >= 0) {
                req[l] = g->g_licensed[k->slot];
                if (rank > 0)
                    g->g_fallback[k->slot] = reached[o] * g->lk[l].share;
            } else
                req[l] = reached[o] * g->lk[l].share;
            g->requested_now[k->from] += req[l];
        }
        for (int i = r0->rank_poff[rank]; i < r0->rank_poff[rank + 1]; i++) {
            int pr = r0->rank_pair[i];
            if (g->pair_same[pr])
                allocate(g, pr, rank);
            else
                for (int j = 0; j < REE_LANES; j++)
                    allocate_lane(g, pr, rank, j);
        }
        for (int i = 0; rank == 0 && i < r0->npair_idle; i++) {
            size_t o = r0->pair_nm[r0->pair_idle[i]];
            g->stock[o] = REE_VSEL(VHAIR_BELOW_ZERO(g->stock[o], g->ship[o]), VZERO, g->stock[o]);
        }
        if (last)
            break;
        ree_vd *unmet_next = g->unmet_next;
        vzero(unmet_next, g->nnm);
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            const link_rt *k = &lk[l];
            size_t o = k->to;
            if (k->slot < 0) {
                unmet_next[o] += req[l] - shipped[l];
            } else {
                ree_vd want = reached[o] * g->lk[l].share - shipped[l];
                /* += 0 where want <= 0, as the scalar code adds it */
                unmet_next[o] += REE_VSEL(want > VZERO, want, VZERO);
            }
        }
        g->unmet_next = g->unmet;
        g->unmet = unmet_next;
    }
}

static void shipping(ree_lrun *g)
{
    const ree_plan *p = g->p;
    const ree_run *r0 = g->run[0];
    vzero(g->asked, g->nnm);
    for (int j = 0; j < REE_LANES; j++) {
        const ree_run *r = g->uni ? r0 : g->run[j];
        for (int i = 0; i < r->nask_link; i++) {
            int l = r->ask_link[i];
            const link_rt *k = &r->lk[l];
            if (g->uni) {
                g->asked[k->from] +=
                    k->slot >= 0 ? g->g_licensed[k->slot] : g->order[k->to] * g->lk[l].share;
                continue;
            }
            g->asked[k->from][j] +=
                k->slot >= 0 ? g->g_licensed[k->slot][j] : g->order[k->to][j] * g->lk[l].share[j];
        }
        if (g->uni)
            break;
    }
    for (int i = r0->ncall[PH_OFFER]; i < r0->ncall[PH_OFFER + 1]; i++) {
        size_t o = NM(g, r0->calls[i].node);
        for (int m = 0; m < g->nmat; m++) /* all stock, unless the model says less */
            g->offer[o + (size_t)m] =
                REE_VSEL(g->stock[o + (size_t)m] > VZERO, g->stock[o + (size_t)m], VZERO);
        node_call_lanes(g, i, PH_OFFER);
    }
    /* Random delays: each lane's links that draw, from their own streams (shipping() in
     * run_step.c), a link at a time: the lanes where it draws together. Each lane's stream of
     * a link is its own and draws once a step, so the order across links and lanes is free. */
    uint32_t step = (uint32_t)(g->t + 1) << 8;
    for (int l = 0; l < p->nlink; l++)
        g->extra[l] = g->lk[l].extra0;
    vzero(g->shipped, (size_t)p->nlink);
    for (int i = 0; i < g->nrand_link; i++) {
        int l = g->rand_link[i];
        unsigned lanes = g->lk[l].rand;
        gsl_rng *rr[REE_LANES];
        ree_vl draws;
        ree_vd u = VZERO;
        for (int j = 0; j < REE_LANES; j++) {
            const link_rt *k = &g->run[j]->lk[l];
            draws[j] = lanes >> j & 1u ? -1 : 0;
            rr[j] = k->rng;
            if (draws[j] && g->t > 0)
                ree_rng_select_kind(k->rng, k->kind | step);
        }
        if (lanes & (lanes - 1)) /* two lanes or more */
            ree_rng_uniform_pos_lanes(rr, &draws, &u);
        else
            u[__builtin_ctz(lanes)] = ree_rng_uniform_pos(rr[__builtin_ctz(lanes)]);
        for (int j = 0; j < REE_LANES; j++)
            if (draws[j]) {
                const link_rt *k = &g->run[j]->lk[l];
                g->extra[l][j] = u[j] < k->delay_prob ? k->delay_months : 0;
            }
    }
    if (g->uni)
        ranks(g);
    else
        for (int j = 0; j < REE_LANES; j++)
            ranks_lane(g, j);
    gates_ship(g);
}

static void region_totals(ree_lrun *g)
{
    const ree_run *r0 = g->run[0];
    if (!r0->nregion)
        return;
    vzero(g->region_sum, 4 * (size_t)r0->nregion);
    for (int i = 0; i < r0->nsector; i++) {
        const sector_rt *sc = &r0->sector[i];
        if (sc->region < 0)
            continue;
        ree_vd *sum = g->region_sum + 4 * (size_t)sc->region;
        const ree_vd *mt = g->metrics;
        sum[0] += mt[sc->need - r0->metrics];
        sum[1] += mt[sc->consumed - r0->metrics];
        sum[2] += mt[sc->shortfall - r0->metrics];
        sum[3] += mt[sc->lost_units - r0->metrics];
    }
    for (int gi = 0; gi < r0->nregion; gi++) {
        const ree_vd *sum = g->region_sum + 4 * (size_t)gi;
        for (int j = 0; j < REE_LANES; j++)
            ree_resil_step(&g->run[j]->region_acc[gi], g->t, sum[0][j], sum[1][j], sum[2][j],
                           sum[3][j]);
    }
}

static void consumption(ree_lrun *g)
{
    const ree_run *r0 = g->run[0];
    call_nodes(g, PH_CONSUME);
    vzero(g->need_sum, (size_t)g->nmat);
    vzero(g->short_sum, (size_t)g->nmat);
    ree_vd *history = g->history + NM(g, g->t);
    for (int i = 0; i < r0->nsector; i++) {
        const sector_rt *sc = &r0->sector[i];
        const ree_vd *cons = g->cons + NM(g, sc->node);
        for (int m = 0; m < g->nmat; m++)
            history[m] += cons[m];
        if (sc->mat < 0)
            continue;
        g->need_sum[sc->mat] += g->metrics[sc->need - r0->metrics];
        g->short_sum[sc->mat] += g->metrics[sc->shortfall - r0->metrics];
    }
    region_totals(g);
}

/* Lane j's step values into its ree_run, for the scalar checks' messages (balance, range). */
static void lane_out(ree_lrun *g, int j)
{
    ree_run *r = g->run[j];
    const ree_plan *p = g->p;
    struct {
        double *dst;
        const ree_vd *src;
        size_t n;
    } a[] = {{r->stock, g->stock, g->nnm},
             {r->prev, g->prev, g->nnm},
             {r->recv, g->recv, g->nnm},
             {r->ship, g->ship, g->nnm},
             {r->prod, g->prod, g->nnm},
             {r->cons, g->cons, g->nnm},
             {r->lost, g->lost, g->nnm},
             {r->order, g->order, g->nnm},
             {r->total0, g->total0, (size_t)g->nmat},
             {r->pipe, g->pipe, (size_t)p->nlink * g->w}};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        for (size_t k = 0; k < a[i].n; k++)
            a[i].dst[k] = a[i].src[k][j];
    for (int s = 0; s < p->nseries; s++) {
        size_t c = (size_t)s * (size_t)g->nsteps + (size_t)g->t;
        r->series[c] = g->series[c][j];
    }
}

/* series_value() of run_step.c on the lanes. */
static void series_value(const ree_lrun *g, int s, ree_vd *out)
{
    const ree_plan *p = g->p;
    const ree_run *r0 = g->run[0];
    const ree_series *se = &p->series[s];
    size_t T = (size_t)g->nsteps, t = (size_t)g->t;
    ree_vd v = VZERO;
    switch (se->kind) {
    case REE_S_REGIME:
        for (int j = 0; j < REE_LANES; j++)
            v[j] = g->run[j]->regime == se->index;
        break;
    case REE_S_GATE_SHIPPED:
        for (int i = 0; i < p->gates[se->index].nlink; i++)
            v += g->shipped[p->gates[se->index].links[i]];
        break;
    case REE_S_GATE_REGION_SHIPPED:
    case REE_S_GATE_REGION_GRANTED:
        for (int k = 0; k < se->nslot; k++) {
            int i = se->slots[k], l = p->gates[se->index].links[i];
            v += se->kind == REE_S_GATE_REGION_SHIPPED ? g->shipped[l]
                                                       : g->g_granted[r0->goff[se->index] + i];
        }
        break;
    case REE_S_SUM:
        for (int i = 0; i < se->nsum; i++)
            v += g->series[(size_t)se->sum[i] * T + t];
        break;
    default: /* recorded through ssrc */
        break;
    }
    *out = v;
}

/* The magnitude test of record() in run_step.c, on lanes: the top bit of (|bits| + excess) is
 * set exactly in the lanes out of range. */
#define RANGE_TERM(v) ((AS_U(v) & mag) + ex)

/* record(): the step's column of every series; *out, the mask of the lanes out of range. */
static void record(ree_lrun *g, ree_vl *out)
{
    const ree_plan *p = g->p;
    size_t T = (size_t)g->nsteps, t = (size_t)g->t;
    const double maxv = REE_RUN_VALUE_MAX;
    uint64_t lim;
    memcpy(&lim, &maxv, sizeof lim);
    const uint64_t mag = ~(UINT64_C(1) << 63), ex = mag - lim;
    ree_vu bad = {0};
    for (int s = 0; s < p->nseries; s++) {
        ree_vd v;
        if (g->ssrc[s])
            v = *g->ssrc[s];
        else
            series_value(g, s, &v);
        g->series[(size_t)s * T + t] = v;
        bad |= RANGE_TERM(v);
    }
    for (size_t i = 0; i < g->nnm; i++)
        bad |= RANGE_TERM(g->stock[i]) | RANGE_TERM(g->order[i]);
    *out = (ree_vl)(bad >> 63) != (ree_vl){0};
}

void ree_lrun_step(ree_lrun *g)
{
    const ree_plan *p = g->p;
    size_t nnm = g->nnm;
    for (int j = 0; j < REE_LANES; j++)
        g->run[j]->t = g->t;
    if (g->check)
        memcpy(g->prev, g->stock, sizeof(ree_vd) * nnm);
    ree_vd *flows[] = {g->recv, g->ship, g->cons, g->order, g->prod, g->lost};
    for (size_t i = 0; i < sizeof flows / sizeof flows[0] - (g->check ? 0 : 2); i++)
        vzero(flows[i], nnm);
    vzero(g->metrics, g->run[0]->moff[p->nentity]);
    memcpy(g->requested, g->requested_now, sizeof(ree_vd) * nnm);
    vzero(g->requested_now, nnm);

    if (g->t > 0)
        for (int j = 0; j < REE_LANES; j++)
            ree_run_streams(g->run[j]);
    arrivals(g);
    if (g->t > 0)
        policy(g);
    call_nodes(g, PH_PRODUCE);
    positions(g);
    call_nodes(g, PH_ORDER);
    gates_decide(g);
    shipping(g);
    consumption(g);
    int bal[REE_LANES] = {0};
    if (g->check)
        for (int j = 0; j < g->count; j++)
            if (g->st[j] == REE_OK) {
                lane_out(g, j);
                bal[j] = ree_run_balance(g->run[j]);
            }
    for (int m = 0; m < g->nmat; m++)
        g->scarcity[m] = REE_VSEL(g->need_sum[m] > VZERO, g->short_sum[m] / g->need_sum[m], VZERO);
    call_nodes(g, PH_ACCOUNT);
    ree_vl out;
    record(g, &out);
    for (int j = 0; j < g->count; j++) {
        if (g->st[j] != REE_OK)
            continue;
        if (bal[j] != REE_OK)
            g->st[j] = (ree_status)bal[j];
        else if (out[j]) {
            lane_out(g, j);
            g->st[j] = (ree_status)ree_run_out_of_range(g->run[j]);
        }
    }
    g->t++;
}
