/*
 * One step of a run, phase by phase, in the fixed order of docs/engine.md:
 * arrivals, policy, production, orders, gates, shipping, consumption, accounting.
 * No allocation, no I/O; every draw comes from a stream keyed by what it is for.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "rng.h"
#include "run_priv.h"

#define NM(r, n) ((size_t)(n) * (size_t)(r)->nmat)

/* Two 64-bit lanes (a GCC and Clang vector extension): record() checks values two at a time. */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

/* Apply what a hook booked (produced_io, consumed_io, lost_io: nmat each) to the node's stock
 * and flow totals, and clear it. Only produce() and consume() book, and nearly every call of
 * theirs books something: each material is tested, with no pass over the block first. */
static inline void book(ree_run *r, int n)
{
    double *pio = r->produced_io, *cio = r->consumed_io, *lio = r->lost_io;
    double *stock = r->stock + NM(r, n), *cons = r->cons + NM(r, n), *total0 = r->total0;
    int check = r->check;
    for (int m = 0, nm = r->nmat; m < nm; m++) {
        /* The test reads the bits straight from the block; the values only when they book. */
        uint64_t bp, bc, bl;
        memcpy(&bp, pio + m, sizeof bp);
        memcpy(&bc, cio + m, sizeof bc);
        memcpy(&bl, lio + m, sizeof bl);
        if (((bp | bc | bl) << 1) == 0) /* all three +0 or -0 */
            continue;
        double pr = pio[m], co = cio[m], lo = lio[m];
        stock[m] += pr - co - lo;
        cons[m] += co;
        if (check) { /* read by balance() only */
            r->prod[NM(r, n) + (size_t)m] += pr;
            r->lost[NM(r, n) + (size_t)m] += lo;
        }
        total0[m] += pr - co - lo;
        pio[m] = cio[m] = lio[m] = 0;
    }
}

/* Call phase ph's hooks in node order (hooks_setup in run.c), booking after each in the phases
 * whose hooks may book (produce, consume; engine/model.h: order, offer and account book nothing).
 * Each gets its node's own io block, not a copy: hooks do not change the block's fields. */
static void call_nodes(ree_run *r, int ph)
{
    int books = ph == PH_PRODUCE || ph == PH_CONSUME;
    for (int i = r->ncall[ph], end = r->ncall[ph + 1]; i < end; i++) {
        const node_call *c = &r->calls[i];
        c->io->step = r->t;
        c->hook(c->par, c->state, c->io);
        if (books)
            book(r, c->node);
    }
}

static void arrivals(ree_run *r)
{
    size_t w = (size_t)r->nsteps + 2;
    const link_rt *lk = r->lk;
    double *slot = r->pipe + r->t, *stock = r->stock, *recv = r->recv, *transit = r->transit;
    for (int l = 0, nl = r->p->nlink; l < nl; l++, slot += w) { /* slot: link l's, step t */
        double q = *slot;
        if (q == 0)
            continue;
        size_t o = lk[l].to;
        stock[o] += q;
        recv[o] += q;
        transit[l] -= q;
        *slot = 0;
    }
}

static void positions(ree_run *r)
{
    const ree_plan *p = r->p;
    size_t nnm = NM(r, p->nnode);
    double *pos = r->position;
    const double *transit = r->transit, *on_order = r->g_on_order;
    const link_rt *lk = r->lk;
    memcpy(pos, r->stock, sizeof(double) * nnm);
    for (int l = 0; l < p->nlink; l++) {
        size_t o = lk[l].to;
        pos[o] += transit[l];
        if (lk[l].slot >= 0)
            pos[o] += on_order[lk[l].slot];
    }
}

/* The io block of gate g this step: a copy of the one built at allocation (run.c), so that a
 * hook cannot change the next call's fields (ree_gate_io is not const). */
static inline ree_gate_io gate_io(const ree_run *r, int g)
{
    ree_gate_io io = r->gio[g];
    io.step = r->t;
    return io;
}

static void gates_decide(ree_run *r)
{
    const ree_plan *p = r->p;
    /* Applications: a rank-0 gated link applies for its share of this step's order; a gated
     * link of rank k > 0 (a fallback behind preferred suppliers) for its share of what reached
     * rank k last step, i.e. what the suppliers ranked above it failed to deliver then. */
    for (int g = 0; g < p->ngate; g++)
        for (int i = 0; i < p->gates[g].nlink; i++) { /* slot goff[g] + i: link links[i] */
            const link_rt *k = &r->lk[p->gates[g].links[i]];
            r->g_applied[k->slot] =
                k->rank == 0 ? r->order[k->to] * k->share : r->g_fallback[k->slot];
        }
    for (int g = 0; g < p->ngate; g++) {
        int e = p->gates[g].entity;
        ree_gate_io io = gate_io(r, g);
        p->entities[e].model->gate_decide(r->par[e], r->state + r->soff[e], &io);
    }
}

static void gates_ship(ree_run *r)
{
    const ree_plan *p = r->p;
    for (int g = 0; g < p->ngate; g++) {
        int e = p->gates[g].entity;
        ree_gate_io io = gate_io(r, g);
        for (int i = 0; i < io.nlink; i++) /* slot goff[g] + i: link links[i] */
            r->g_shipped[r->goff[g] + i] = r->shipped[p->gates[g].links[i]];
        p->entities[e].model->gate_ship(r->par[e], r->state + r->soff[e], &io);
    }
}

/* Put q tonnes on link l's pipeline (k: its lk entry), arriving after its lead time (plus a
 * random delay): the share 1 - f after the whole months, the rest f a month later; a part due
 * beyond the horizon goes to the last slot (nsteps + 1). */
static void dispatch(ree_run *r, const link_rt *k, int l, double q, double extra)
{
    long whole = k->k0, last = (long)r->nsteps + 1;
    double f = k->f0, g = k->g0; /* extra 0: d = max(1, lead), split at reset */
    if (extra != 0) {
        double d = k->lead + extra;
        if (d < 1)
            d = 1;
        double kd = floor(d);
        f = d - kd;
        g = 1 - f;
        /* Whole months beyond the last slot (lead_time and delay_months are at most 120 each,
         * so only a horizon shorter than that) go there too, and are bounded before the
         * conversion, which would be undefined for a huge or NaN value. */
        whole = kd < last ? (long)kd : last;
    }
    long i1 = r->t + whole, i2 = i1 + 1;
    double *row = r->pipe + (size_t)l * ((size_t)r->nsteps + 2);
    row[i1 > last ? last : i1] += q * g;
    row[i2 > last ? last : i2] += q * f;
    r->transit[l] += q;
}

/* A stock left a hair below zero by the rounding of proportional shares (after shipping `ship`)
 * is zero: whether `stock` is such a hair. */
static inline int hair_below_zero(double stock, double ship)
{
    return stock < 0 && stock > -1e-9 * (ship + 1);
}

static inline void settle(ree_run *r, size_t o)
{
    if (hair_below_zero(r->stock[o], r->ship[o]))
        r->stock[o] = 0;
}

/* Allocate what sender n offers of material m (the node-material pair `pr`) among its
 * rank-`rank` links that request it: by priority (highest first), then in proportion to the
 * requests. Those links are a run of pair_rlink (run_priv.h) in groups of one priority, from the
 * highest, each in file order; a group is served when one of its links requests something and
 * its priority is below the last served (+inf at first) and above -inf. */
static void allocate(ree_run *r, int pr, int rank, const double *extra)
{
    const int *off = r->pair_roff + (size_t)pr * (REE_LINK_RANKS + 1) + rank;
    const int *lk = r->pair_rlink, *gend = r->rlink_gend;
    const double *req = r->req;
    size_t o = r->pair_nm[pr];
    /* The offer of a node without an offer hook is +inf: avail is then its stock, at least 0.
     * The stock and shipments are kept here while the links are served. */
    double stock = r->stock[o], ship = r->ship[o];
    double avail = r->offer[o] < stock ? r->offer[o] : stock;
    if (avail < 0)
        avail = 0;
    double level = INFINITY;
    for (int g = off[0], end = off[1], e; g < end && avail > 0; g = e) {
        e = gend[g];
        double prio = r->lk[lk[g]].priority, want = 0;
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
            r->shipped[l] += q;
            ship += q;
            stock -= q;
            dispatch(r, &r->lk[l], l, q, extra[l]);
        }
        avail -= give;
        level = prio;
    }
    if (hair_below_zero(stock, ship)) /* settle() on the locals */
        stock = 0;
    r->stock[o] = stock;
    r->ship[o] = ship;
}

static void shipping(ree_run *r)
{
    const ree_plan *p = r->p;
    size_t nnm = NM(r, p->nnode);
    /* What each node's customers ask of it at rank 0 this step, for offer() (the only reader:
     * nodes without that hook are not asked). */
    memset(r->asked, 0, sizeof(double) * nnm);
    for (int i = 0; i < r->nask_link; i++) {
        const link_rt *k = &r->lk[r->ask_link[i]];
        r->asked[k->from] += k->slot >= 0 ? r->g_licensed[k->slot] : r->order[k->to] * k->share;
    }
    for (int i = r->ncall[PH_OFFER]; i < r->ncall[PH_OFFER + 1]; i++) {
        const node_call *c = &r->calls[i];
        ree_node_io *io = c->io;
        io->step = r->t;
        io->asked = r->asked + NM(r, c->node); /* offer() only: NULL in the other hooks */
        for (int m = 0; m < r->nmat; m++)      /* all stock, unless the model says less */
            io->offer[m] = io->stock[m] > 0 ? io->stock[m] : 0;
        c->hook(c->par, c->state, io);
        io->asked = NULL;
    }
    /* Random delays: one draw per link and step, whether or not it ships, unless delay_prob is
     * 0 or 1 (its bounds): u is in (0,1), so u < delay_prob is then decided without it, and
     * the delay is extra0's. The skip moves no other draw: the link's stream is keyed per step
     * and this is its only draw; after the first step (keyed at reset) it is keyed here, only
     * when it draws (ree_run_streams). The links that draw are rand_link's (link_params). */
    double *extra = r->extra;
    uint32_t step = (uint32_t)(r->t + 1) << 8;
    memcpy(extra, r->extra0, sizeof(double) * (size_t)p->nlink); /* delay_prob 0 or 1 */
    memset(r->shipped, 0, sizeof(double) * (size_t)p->nlink);
    for (int i = 0; i < r->nrand_link; i++) {
        const link_rt *k = &r->lk[r->rand_link[i]];
        if (r->t > 0)
            ree_rng_select_kind(k->rng, k->kind | step);
        extra[r->rand_link[i]] = ree_rng_uniform_pos(k->rng) < k->delay_prob ? k->delay_months : 0;
    }
    /* Ranks in turn. req is read for the links of the rank at hand only (allocate walks the
     * rank's links), each written first; unmet (what rank k failed to deliver, asked of rank
     * k + 1) is read from rank 1 on, so the last rank does not compute it. What a rank's links
     * shipped this step is all they shipped: a link ships at its own rank only, after shipped
     * was cleared above. */
    const link_rt *lk = r->lk;
    double *req = r->req, *shipped = r->shipped;
    for (int rank = 0; rank <= r->maxrank && rank < REE_LINK_RANKS; rank++) {
        const int *rl = r->rank_link + r->rank_off[rank];
        int nrl = r->rank_off[rank + 1] - r->rank_off[rank];
        int last = rank == r->maxrank || rank + 1 == REE_LINK_RANKS;
        /* What reached this rank at each destination: the order at rank 0, then unmet. */
        const double *reached = rank == 0 ? r->order : r->unmet;
        double *requested_now = r->requested_now;
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            const link_rt *k = &lk[l];
            size_t o = k->to;
            if (k->slot >= 0) {
                req[l] = r->g_licensed[k->slot];
                if (rank > 0) /* next step's application (gates_decide) */
                    r->g_fallback[k->slot] = reached[o] * k->share;
            } else
                req[l] = reached[o] * k->share;
            requested_now[k->from] += req[l];
        }
        /* The pairs with links of this rank allocate (and settle); those with none of rank 0
         * are settled then. A pair's allocation touches its own stock and links only, so the
         * pairs may go in any order. At a later rank settling one with nothing to ship would
         * change nothing (settle() is idempotent, and only allocate() moves its stock or its
         * shipments, settling after). */
        for (int i = r->rank_poff[rank]; i < r->rank_poff[rank + 1]; i++)
            allocate(r, r->rank_pair[i], rank, extra);
        for (int i = 0; rank == 0 && i < r->npair_idle; i++) {
            int pr = r->pair_idle[i];
            settle(r, r->pair_nm[pr]);
        }
        if (last)
            break;
        double *unmet_next = r->unmet_next;
        memset(unmet_next, 0, sizeof(double) * nnm);
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            const link_rt *k = &lk[l];
            size_t o = k->to;
            if (k->slot < 0) {
                unmet_next[o] += req[l] - shipped[l];
            } else {
                /* A gated link's request is its licences, not the order: what it fails to
                 * deliver of what reached its rank is asked of the next rank. */
                double want = reached[o] * k->share - shipped[l];
                unmet_next[o] += want > 0 ? want : 0;
            }
        }
        r->unmet_next = r->unmet; /* unmet_next becomes unmet: the next rank's */
        r->unmet = unmet_next;
    }
    gates_ship(r);
}

/* Region totals: this step's need, use and lost units summed over each region's sectors, in
 * node order (only sectors have a region group: region_setup in run.c), fed to the region's
 * resilience accumulator. */
static void region_totals(ree_run *r)
{
    if (!r->nregion)
        return;
    memset(r->region_sum, 0, sizeof(double) * 4 * (size_t)r->nregion);
    for (int i = 0; i < r->nsector; i++) {
        const sector_rt *sc = &r->sector[i];
        if (sc->region < 0)
            continue;
        double *sum = r->region_sum + 4 * (size_t)sc->region;
        sum[0] += *sc->need;
        sum[1] += *sc->consumed;
        sum[2] += *sc->shortfall;
        sum[3] += *sc->lost_units;
    }
    for (int g = 0; g < r->nregion; g++) {
        const double *sum = r->region_sum + 4 * (size_t)g;
        ree_resil_step(&r->region_acc[g], r->t, sum[0], sum[1], sum[2], sum[3]);
    }
}

/* Sector consumption: the history recyclers read, and the shortage ratio of each material. */
static void consumption(ree_run *r)
{
    call_nodes(r, PH_CONSUME);
    memset(r->need_sum, 0, sizeof(double) * (size_t)r->nmat);
    memset(r->short_sum, 0, sizeof(double) * (size_t)r->nmat);
    double *history = r->history + NM(r, r->t); /* this step's row */
    for (int i = 0; i < r->nsector; i++) {
        const sector_rt *sc = &r->sector[i];
        const double *cons = r->cons + NM(r, sc->node);
        for (int m = 0, nm = r->nmat; m < nm; m++)
            history[m] += cons[m];
        if (sc->mat < 0)
            continue;
        r->need_sum[sc->mat] += *sc->need;
        r->short_sum[sc->mat] += *sc->shortfall;
    }
    region_totals(r);
}

/* Mass balance of every node and material, then of the network. A residual or stock that is
 * not finite fails the check (the comparisons are written so that NaN fails them). */
int ree_run_balance(ree_run *r)
{
    const ree_plan *p = r->p;
    char date[16];
    if (r->t == 0)
        memset(r->gross, 0, sizeof(double) * (size_t)r->nmat);
    for (int n = 0; n < p->nnode; n++)
        for (int m = 0; m < r->nmat; m++) {
            size_t o = NM(r, n) + (size_t)m;
            double flows = r->recv[o] - r->ship[o] + r->prod[o] - r->cons[o] - r->lost[o];
            double res = r->stock[o] - r->prev[o] - flows;
            double scale =
                fabs(r->prev[o]) + r->recv[o] + r->ship[o] + r->prod[o] + r->cons[o] + r->lost[o];
            r->gross[m] += (r->t == 0 ? fabs(r->prev[o]) : 0) + fabs(r->recv[o]) +
                           fabs(r->ship[o]) + fabs(r->prod[o]) + fabs(r->cons[o]) +
                           fabs(r->lost[o]);
            double tol = p->balance_tol * (scale > 1 ? scale : 1);
            if (!(fabs(res) <= tol) || !(r->stock[o] >= -tol)) {
                int nf = !isfinite(res) || !isfinite(r->stock[o]);
                ree_plan_date(p, r->t, date, sizeof date);
                snprintf(r->err, sizeof r->err,
                         "mass balance violated at node '%s', material '%s', step %d (%s): "
                         "%sstock %.17g, residual %.3g t",
                         p->entities[p->nodes[n].entity].id, p->mat_id[m], r->t, date,
                         nf ? "non-finite value, " : "", r->stock[o], res);
                return nf ? REE_ENONFINITE : REE_EBALANCE;
            }
        }
    /* Network-wide: stock + in transit = initial + produced - consumed - lost, within
     * balance_tol of all that stood or moved so far: each stock and pipeline slot carries the
     * rounding of every amount that passed through it (flows of 1e9 t that cancel out leave
     * residuals of 1e-8 t in a network that holds little). */
    size_t w = (size_t)r->nsteps + 2;
    for (int m = 0; m < r->nmat; m++) {
        double held = 0, scale = fabs(r->total0[m]);
        if (r->gross[m] > scale)
            scale = r->gross[m];
        for (int n = 0; n < p->nnode; n++)
            held += r->stock[NM(r, n) + (size_t)m];
        for (int l = 0; l < p->nlink; l++)
            if (p->links[l].material == m)
                for (size_t s = (size_t)r->t + 1; s < w; s++)
                    held += r->pipe[(size_t)l * w + s];
        double res = held - r->total0[m];
        if (!(fabs(res) <= p->balance_tol * (scale > 1 ? scale : 1))) {
            int nf = !isfinite(res);
            ree_plan_date(p, r->t, date, sizeof date);
            snprintf(r->err, sizeof r->err,
                     "mass balance violated across the network for material '%s' at step %d "
                     "(%s): %sresidual %.3g t",
                     p->mat_id[m], r->t, date, nf ? "non-finite value, " : "", res);
            return nf ? REE_ENONFINITE : REE_EBALANCE;
        }
    }
    return REE_OK;
}

/* Name the first value of step t out of range (IN_RANGE: not finite, or beyond
 * REE_RUN_VALUE_MAX) among the series and the node-material state (stock, order) in r->err;
 * returns REE_ENONFINITE, or REE_OK when there is none. */
int ree_run_out_of_range(ree_run *r)
{
    const ree_plan *p = r->p;
    size_t T = (size_t)r->nsteps, t = (size_t)r->t;
    char date[16], what[96];
    const char *ent = NULL, *mat = NULL;
    double v = 0;
    ree_plan_date(p, r->t, date, sizeof date);
    for (int s = 0; s < p->nseries && !ent; s++) {
        v = r->series[(size_t)s * T + t];
        if (!IN_RANGE(v)) {
            ent = p->series[s].entity_name;
            snprintf(what, sizeof what, "metric '%s'", p->series[s].metric);
        }
    }
    for (int n = 0; n < p->nnode && !ent; n++)
        for (int m = 0; m < r->nmat && !ent; m++) {
            double st = r->stock[NM(r, n) + (size_t)m], od = r->order[NM(r, n) + (size_t)m];
            if (IN_RANGE(st) && IN_RANGE(od))
                continue;
            v = IN_RANGE(st) ? od : st;
            ent = p->entities[p->nodes[n].entity].id;
            mat = p->mat_id[m];
            snprintf(what, sizeof what, "%s of '%s'", IN_RANGE(st) ? "order" : "stock", mat);
        }
    if (!ent)
        return REE_OK;
    snprintf(r->err, sizeof r->err,
             "%s value %g of '%s' %s at step %d (%s)%s; the scenario's values compound beyond "
             "what the statistics can hold",
             isfinite(v) ? "overflowing" : "non-finite", v, ent, what, r->t, date,
             isfinite(v) ? " (above 1e100)" : "");
    return REE_ENONFINITE;
}

/* The value of series s at this step, for the kinds that are not a single workspace value read
 * through r->ssrc (sums over links or slots, the regime flag). */
static double series_value(const ree_run *r, int s)
{
    const ree_plan *p = r->p;
    const ree_series *se = &p->series[s];
    size_t T = (size_t)r->nsteps, t = (size_t)r->t;
    double v = 0;
    switch (se->kind) {
    case REE_S_MODEL:
        v = r->metrics[r->moff[se->entity] + (size_t)se->index];
        break;
    case REE_S_STOCK:
        v = r->stock[NM(r, se->entity) + (size_t)se->index];
        break;
    case REE_S_SHIPPED:
        v = r->shipped[se->entity];
        break;
    case REE_S_TRANSIT:
        v = r->transit[se->entity];
        break;
    case REE_S_REGIME:
        v = r->regime == se->index;
        break;
    case REE_S_SCARCITY:
        v = r->scarcity[se->index];
        break;
    case REE_S_GATE_SHIPPED:
        for (int i = 0; i < p->gates[se->index].nlink; i++)
            v += r->shipped[p->gates[se->index].links[i]];
        break;
    case REE_S_GATE_REGION_SHIPPED:
    case REE_S_GATE_REGION_GRANTED:
        for (int k = 0; k < se->nslot; k++) {
            int i = se->slots[k], l = p->gates[se->index].links[i];
            v += se->kind == REE_S_GATE_REGION_SHIPPED ? r->shipped[l]
                                                       : r->g_granted[r->goff[se->index] + i];
        }
        break;
    case REE_S_SUM: /* its terms come earlier in the table: recorded already */
        for (int i = 0; i < se->nsum; i++)
            v += r->series[(size_t)se->sum[i] * T + t];
        break;
    }
    return v;
}

/* The bits of a magnitude (a value with its sign bit cleared, MAG_MASK) order as the magnitudes
 * do, and those of inf and NaN above every finite one: a magnitude is in range (IN_RANGE) when
 * its bits are at most those of REE_RUN_VALUE_MAX, i.e. when adding the excess below leaves the
 * top bit clear (the sum stays below 2^64). */
#define MAG_MASK (~(UINT64_C(1) << 63))
static uint64_t range_excess(void)
{
    const double maxv = REE_RUN_VALUE_MAX;
    uint64_t lim;
    memcpy(&lim, &maxv, sizeof lim);
    return MAG_MASK - lim; /* 2^63 - 1 minus the bound's bits */
}

/* 1 when every a[i] and b[i], i < n, is IN_RANGE, else 0, two values to a vector (range_excess). */
static int all_in_range(const double *a, const double *b, size_t n)
{
    const uint64_t ex = range_excess();
    const u64x2 mag = {MAG_MASK, MAG_MASK}, over = {ex, ex};
    u64x2 bad = {0, 0};
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        u64x2 x, y;
        memcpy(&x, a + i, sizeof x);
        memcpy(&y, b + i, sizeof y);
        bad |= ((x & mag) + over) | ((y & mag) + over);
    }
    int all = ((bad[0] | bad[1]) >> 63) == 0;
    for (; i < n; i++)
        all &= IN_RANGE(a[i]) & IN_RANGE(b[i]);
    return all;
}

/* Copy series c's workspace value to its row at step t; returns the value's check term (its
 * top bit set when it is out of range: range_excess). */
static inline uint64_t record_direct(const struct ree_run_scopy *c, size_t t, uint64_t ex)
{
    double v = *c->src;
    uint64_t b;
    c->row[t] = v;
    memcpy(&b, &v, sizeof b);
    return (b & MAG_MASK) + ex;
}

/* Record the step's series values, and check them and the node stocks and orders in range
 * (IN_RANGE) at the cost of a few integer operations each, without a branch (range_excess);
 * only on failure are they searched. The series read from one workspace value go first, then
 * the computed ones in table order (a sum's terms come earlier in the table, so they are
 * recorded before it either way). Returns 1 when all are in range, else 0 (out_of_range() then
 * names the first). */
static int record(ree_run *r)
{
    const ree_plan *p = r->p;
    size_t T = (size_t)r->nsteps, t = (size_t)r->t;
    const uint64_t ex = range_excess();
    uint64_t bad = 0, b;
    double *col = r->series + t;
    int i = 0;
    for (; i + 2 <= r->nsdirect; i += 2) /* two a turn: half the loop's own work */
        bad |= record_direct(&r->sdirect[i], t, ex) | record_direct(&r->sdirect[i + 1], t, ex);
    if (i < r->nsdirect)
        bad |= record_direct(&r->sdirect[i], t, ex);
    for (i = 0; i < r->nscomputed; i++) {
        int s = r->scomputed[i];
        double v = series_value(r, s);
        col[(size_t)s * T] = v;
        memcpy(&b, &v, sizeof b);
        bad |= (b & MAG_MASK) + ex;
    }
    return (bad >> 63) == 0 && all_in_range(r->stock, r->order, NM(r, p->nnode));
}

ree_status ree_run_step(ree_run *r)
{
    const ree_plan *p = r->p;
    if (r->t >= r->nsteps)
        return REE_EINTERNAL;
    size_t nnm = NM(r, p->nnode);
    if (r->check) /* the stocks at the start of the step: read by balance() only */
        memcpy(r->prev, r->stock, sizeof(double) * nnm);
    double *flows[] = {r->recv, r->ship, r->cons, r->order, r->prod, r->lost}; /* last 2: check */
    for (size_t i = 0; i < sizeof flows / sizeof flows[0] - (r->check ? 0 : 2); i++)
        memset(flows[i], 0, sizeof(double) * nnm);
    memset(r->metrics, 0, sizeof(double) * r->moff[p->nentity]);
    memcpy(r->requested, r->requested_now, sizeof(double) * nnm);
    memset(r->requested_now, 0, sizeof(double) * nnm);

    if (r->t > 0)
        ree_run_streams(r); /* the first step's are selected at reset */
    arrivals(r);            /* 1 */
    if (r->t > 0)
        ree_run_policy(r);     /* 2 (step 0's policy applied at reset) */
    call_nodes(r, PH_PRODUCE); /* 3 */
    positions(r);
    call_nodes(r, PH_ORDER);                         /* 4 */
    gates_decide(r);                                 /* 5 */
    shipping(r);                                     /* 6 */
    consumption(r);                                  /* 7 */
    int st = r->check ? ree_run_balance(r) : REE_OK; /* 8 */
    for (int m = 0; m < r->nmat; m++)
        r->scarcity[m] = r->need_sum[m] > 0 ? r->short_sum[m] / r->need_sum[m] : 0;
    call_nodes(r, PH_ACCOUNT);
    if (!record(r) && st == REE_OK)
        st = ree_run_out_of_range(r);
    r->t++;
    return st;
}

ree_status ree_run_finish(ree_run *r)
{
    const ree_plan *p = r->p;
    while (r->t < r->nsteps) {
        int st = ree_run_step(r);
        if (st != REE_OK)
            return st;
    }
    for (int i = 0; i < p->nindicator;) {
        if (p->indicators[i].kind != REE_IND_MODEL) {
            i++;
            continue;
        }
        int e = p->indicators[i].entity;
        const ree_model *m = p->entities[e].model;
        if (m->finish)
            m->finish(r->par[e], r->state + r->soff[e], &r->ctx[e], r->indicators + i);
        i += (int)m->nindicators;
    }
    return ree_run_close(r);
}

ree_status ree_run_close(ree_run *r)
{
    const ree_plan *p = r->p;
    for (int g = 0; g < r->nregion; g++) {
        ree_resil_result res;
        ree_resil_finish(&r->region_acc[g], r->nsteps, &res);
        /* The group's indicators follow its first in a row (lost_units may be left out). */
        for (int i = r->region_ind[g];
             i < p->nindicator && p->indicators[i].kind == REE_IND_REGION &&
             (i == r->region_ind[g] || p->indicators[i].index != 0);
             i++)
            r->indicators[i] = ree_resil_region_value(&res, (size_t)p->indicators[i].index);
    }
    for (int i = 0; i < p->nindicator; i++) {
        double v = r->indicators[i];
        if (IN_RANGE(v))
            continue;
        char date[16];
        ree_plan_date(p, r->nsteps - 1, date, sizeof date);
        snprintf(r->err, sizeof r->err,
                 "%s value %g of '%s' indicator '%s' at the end of the run (step %d, %s)%s",
                 isfinite(v) ? "overflowing" : "non-finite", v, p->indicators[i].entity_name,
                 p->indicators[i].name, r->nsteps - 1, date, isfinite(v) ? " (above 1e100)" : "");
        return REE_ENONFINITE;
    }
    return REE_OK;
}
