/*
 * Lane replay: the same bookkeeping as replay_s.c (engine/sim/run_step.c), for L = 8 runs at a
 * time, every state value a vector of the 8 runs' values (AVX-512, one __m512d). The runs of a
 * group agree on the rank part of their layout (ranks, rank lists: checked in prepare), so
 * loops and indices are the scalar code's; each data-dependent `if` becomes a lane mask
 * (__mmask8) and a masked operation, so that every lane performs exactly the operations its
 * run performs in the scalar code, in the same order, and no other (an `x += 0` the scalar code
 * skips is not done either: it would turn -0 into +0). Per-lane link numbers (share, priority,
 * lead time, split) are vectors. Two cases go lane by lane, the scalar code on one lane's
 * values: a dispatch where some lane has a random delay (its pipeline slots differ per lane;
 * counted in fb_dispatch), and the allocate of a pair whose lanes disagree on its links' order
 * or priority groups (each lane with its own layout; counted in fb_alloc).
 *
 * Built four times (build.sh): RL_NAME replay_lanes; FEED_ONLY; PHASES; ALLOC_PER_LANE (every
 * allocate lane by lane, to measure that path). MUT_* are mutation tests (mutate.sh).
 */
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>
#include "spike.h"

#ifndef RL_NAME
#define RL_NAME replay_lanes
#endif

#ifdef PHASES
#define TICK(ph)                                                                                   \
    do {                                                                                           \
        unsigned long long now_ = __rdtsc();                                                       \
        ph_cycles_l[ph] += now_ - tsc_;                                                            \
        tsc_ = now_;                                                                               \
    } while (0)
#else
#define TICK(ph) ((void)0)
#endif

typedef __m512d vd; /* one value of 8 runs; __m512d may alias double (GCC, Clang) */
typedef __mmask8 mk;

#define ZERO          _mm512_setzero_pd()
#define CMP(a, b, op) _mm512_cmp_pd_mask((a), (b), (op))
#define LANE(v, j)    (((double *)&(v))[j])

/* A region accumulator (ree_resil) over 8 runs: its doubles as vectors, its ints as 8 x int32. */
typedef struct resil_v {
    vd service_level, shock, recover_months, total_short, total_need, months_short, max_share,
        total_lost, max_short, sum_share;
    __m256i first_short, onset, ok_from, recovered;
} resil_v;

/* The workspace of one lane group. */
typedef struct lws {
#define FIELD(a, sz) vd *a;
    STATE_ARRAYS(FIELD)
    vd *unmet_next, *metrics, *series, *pio, *cio, *lio;
    resil_v *region_acc;
    int t;
    double sink;
} lws;

/* Per-lane link numbers of a group (vectors), and the whole months of the split per lane. */
typedef struct llink {
    vd f0, g0, lead, priority, share, extra0;
    long k0[L];
    long k0u; /* the lanes' common k0, or -1 when they differ */
} llink;

/* What a pass needs in lane layout, built once per trace (not timed): the feed and the state
 * before step 0 of each group, transposed; the groups' link numbers; each lane's layout per
 * step, and whether the 8 lanes have the same one. */
typedef struct lprep {
    const trace *tr;
    int ngroup;
    vd *feed;           /* ngroup x nsteps x nfeed */
    vd *snap0;          /* ngroup x nstate: STATE_ARRAYS before step 0 */
    resil_v *region0;   /* ngroup x nregion */
    llink *lk;          /* ngroup x nsteps x nlink */
    int *lk_new;        /* ngroup x nsteps: 1 when some lane's link parameters change (lp_new) */
    const layout **lay; /* ngroup x nsteps x L */
    int *uni;           /* ngroup x nsteps: 1 when the lanes' layouts are the same */
} lprep;

static size_t nstate(const topo *T)
{
    size_t n = 0;
#define COUNT(a, sz) n += (sz);
    STATE_ARRAYS(COUNT)
    return n;
}

static vd *valloc(size_t n)
{
    return aligned_alloc(64, sizeof(vd) * (n + 1));
}

/* Lane j of a region accumulator as the engine's struct. */
static ree_resil resil_lane(const resil_v *a, int j)
{
    ree_resil r;
    memset(&r, 0, sizeof r);
    r.service_level = LANE(a->service_level, j), r.shock = LANE(a->shock, j);
    r.recover_months = LANE(a->recover_months, j), r.total_short = LANE(a->total_short, j);
    r.total_need = LANE(a->total_need, j), r.months_short = LANE(a->months_short, j);
    r.max_share = LANE(a->max_share, j), r.total_lost = LANE(a->total_lost, j);
    r.max_short = LANE(a->max_short, j), r.sum_share = LANE(a->sum_share, j);
    r.first_short = ((const int *)&a->first_short)[j], r.onset = ((const int *)&a->onset)[j];
    r.ok_from = ((const int *)&a->ok_from)[j], r.recovered = ((const int *)&a->recovered)[j];
    return r;
}

static void resil_set_lane(resil_v *a, int j, const ree_resil *r)
{
    LANE(a->service_level, j) = r->service_level, LANE(a->shock, j) = r->shock;
    LANE(a->recover_months, j) = r->recover_months, LANE(a->total_short, j) = r->total_short;
    LANE(a->total_need, j) = r->total_need, LANE(a->months_short, j) = r->months_short;
    LANE(a->max_share, j) = r->max_share, LANE(a->total_lost, j) = r->total_lost;
    LANE(a->max_short, j) = r->max_short, LANE(a->sum_share, j) = r->sum_share;
    ((int *)&a->first_short)[j] = r->first_short, ((int *)&a->onset)[j] = r->onset;
    ((int *)&a->ok_from)[j] = r->ok_from, ((int *)&a->recovered)[j] = r->recovered;
}

static const lprep *prepare(const trace *tr)
{
    static lprep P;
    if (P.tr == tr)
        return &P;
    const topo *T = &tr->T;
    size_t nsteps = (size_t)T->nsteps, nf = (size_t)T->nfeed, ns = nstate(T);
    P.tr = tr;
    P.ngroup = T->nruns / L;
    P.feed = valloc((size_t)P.ngroup * nsteps * nf);
    P.snap0 = valloc((size_t)P.ngroup * ns);
    P.region0 = aligned_alloc(64, sizeof(resil_v) * ((size_t)P.ngroup * (size_t)T->nregion + 1));
    size_t nl = (size_t)T->nlink;
    P.lk = aligned_alloc(64, sizeof(llink) * (size_t)P.ngroup * nsteps * nl);
    P.lk_new = calloc((size_t)P.ngroup * nsteps, sizeof(int));
    P.lay = calloc((size_t)P.ngroup * nsteps * L, sizeof(layout *));
    P.uni = calloc((size_t)P.ngroup * nsteps, sizeof(int));
    for (int g = 0; g < P.ngroup; g++)
        for (int j = 0; j < L; j++) {
            size_t run = (size_t)g * L + (size_t)j;
            const double *f = tr->feed + run * nsteps * nf;
            vd *fl = P.feed + (size_t)g * nsteps * nf;
            for (size_t i = 0; i < nsteps * nf; i++)
                LANE(fl[i], j) = f[i];
            const double *s = tr->snap + run * (nsteps + 1) * T->nsnap;
            for (size_t i = 0; i < ns; i++)
                LANE(P.snap0[(size_t)g * ns + i], j) = s[i];
            const ree_resil *ra = (const ree_resil *)(s + ns + T->nseries + T->nmet);
            for (int k = 0; k < T->nregion; k++)
                resil_set_lane(&P.region0[(size_t)g * (size_t)T->nregion + (size_t)k], j, &ra[k]);
            for (size_t t = 0; t < nsteps; t++) {
                P.lk_new[(size_t)g * nsteps + t] |= tr->lp_new[run * nsteps + t];
                P.lay[((size_t)g * nsteps + t) * L + (size_t)j] =
                    &tr->lay[tr->lid[run * nsteps + t]];
                for (size_t l = 0; l < nl; l++) {
                    const lpar *p = &tr->lp[(run * nsteps + t) * nl + l];
                    llink *k = &P.lk[((size_t)g * nsteps + t) * nl + l];
                    LANE(k->f0, j) = p->f0, LANE(k->g0, j) = p->g0, LANE(k->lead, j) = p->lead;
                    LANE(k->priority, j) = p->priority, LANE(k->share, j) = p->share;
                    LANE(k->extra0, j) = p->extra0;
                    k->k0[j] = p->k0;
                }
            }
        }
    for (size_t i = 0; i < (size_t)P.ngroup * nsteps; i++) {
        const layout **y = P.lay + i * L;
        P.uni[i] = 1;
        for (int j = 1; j < L; j++) {
            P.uni[i] &= y[j] == y[0];
            if (y[j]->rank_id != y[0]->rank_id) { /* never seen: see layout_stats */
                fprintf(stderr, "lanes: the runs of a group differ in ranks; not replayed\n");
                exit(1);
            }
        }
    }
    for (size_t i = 0; i < (size_t)P.ngroup * nsteps * nl; i++) {
        llink *k = &P.lk[i];
        k->k0u = k->k0[0];
        for (int j = 1; j < L; j++)
            if (k->k0[j] != k->k0[0])
                k->k0u = -1;
    }
    return &P;
}

static void lws_alloc(lws *s, const topo *T)
{
#define ALLOC(a, sz) s->a = valloc(sz);
    STATE_ARRAYS(ALLOC)
    s->unmet_next = valloc(T->nnm);
    s->metrics = valloc(T->nmetrics);
    s->series = valloc((size_t)T->nseries * (size_t)T->nsteps);
    s->pio = valloc((size_t)T->nmat * 3);
    for (int i = 0; i < 3 * T->nmat; i++)
        s->pio[i] = ZERO;
    s->cio = s->pio + T->nmat, s->lio = s->cio + T->nmat;
    s->region_acc = aligned_alloc(64, sizeof(resil_v) * ((size_t)T->nregion + 1));
}

static void lws_free(lws *s)
{
#define FREE(a, sz) free(s->a);
    STATE_ARRAYS(FREE)
    free(s->unmet_next), free(s->metrics), free(s->series), free(s->pio), free(s->region_acc);
}

static void lws_load(lws *s, const topo *T, const vd *snap, const resil_v *region0)
{
#define LOAD(a, sz) memcpy(s->a, snap, sizeof(vd) * (sz)), snap += (sz);
    STATE_ARRAYS(LOAD)
    memcpy(s->region_acc, region0, sizeof(resil_v) * (size_t)T->nregion);
}

/* Values of lane j differing (bits) from run snapshot `snap` after step t. */
static long lws_diff(const lws *s, const topo *T, const double *snap, int t, int j)
{
    long nd = 0;
#define DIFF(a, sz)                                                                                \
    for (size_t i = 0; i < (size_t)(sz); i++)                                                      \
        nd += memcmp(&LANE(s->a[i], j), snap++, sizeof(double)) != 0;
    STATE_ARRAYS(DIFF)
    for (int i = 0; i < T->nseries; i++)
        nd +=
            memcmp(&LANE(s->series[(size_t)i * (size_t)T->nsteps + (size_t)t], j), snap++, 8) != 0;
    for (int i = 0; i < T->nmet; i++)
        nd += memcmp(&LANE(s->metrics[T->met[i]], j), snap++, 8) != 0;
    for (int k = 0; k < T->nregion; k++) {
        ree_resil r = resil_lane(&s->region_acc[k], j);
        nd += memcmp(&r, (const ree_resil *)snap + k, sizeof r) != 0;
    }
    return nd;
}

static inline void vzero(vd *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = ZERO;
}

#ifndef FEED_ONLY
/* book(): lanes where any of the three blocks has a bit besides the sign book. */
static inline void book(lws *s, const topo *T, int n)
{
    vd *pio = s->pio, *cio = s->cio, *lio = s->lio;
    vd *stock = s->stock + (size_t)n * (size_t)T->nmat, *cons = s->cons + (size_t)n * T->nmat;
    for (int m = 0, nm = T->nmat; m < nm; m++) {
        vd pr = pio[m], co = cio[m], lo = lio[m];
        __m512i b =
            _mm512_or_si512(_mm512_or_si512(_mm512_castpd_si512(pr), _mm512_castpd_si512(co)),
                            _mm512_castpd_si512(lo));
        b = _mm512_slli_epi64(b, 1);
        mk k = _mm512_test_epi64_mask(b, b);
        if (!k)
            continue;
#ifdef MUT_BOOK /* mutation test: another rounding of the same sum */
        vd d = _mm512_sub_pd(pr, _mm512_add_pd(co, lo));
#else
        vd d = _mm512_sub_pd(_mm512_sub_pd(pr, co), lo);
#endif
        stock[m] = _mm512_mask_add_pd(stock[m], k, stock[m], d);
        cons[m] = _mm512_mask_add_pd(cons[m], k, cons[m], co);
        s->total0[m] = _mm512_mask_add_pd(s->total0[m], k, s->total0[m], d);
        pio[m] = _mm512_mask_mov_pd(pr, k, ZERO);
        cio[m] = _mm512_mask_mov_pd(co, k, ZERO);
        lio[m] = _mm512_mask_mov_pd(lo, k, ZERO);
    }
}
#else
#define book(s, T, n) ((void)0)
#endif

static inline void feed_books(lws *s, const topo *T, const vd *f, int n)
{
    for (int i = 0; i < T->nmats[n]; i++) {
        int m = T->mats[n][i];
        s->pio[m] = f[0], s->cio[m] = f[1], s->lio[m] = f[2];
        f += 3;
    }
#ifdef FEED_ONLY
    for (int i = 0; i < T->nmats[n]; i++) {
        int m = T->mats[n][i];
        s->pio[m] = s->cio[m] = s->lio[m] = ZERO;
    }
#endif
}

static void call_books(lws *s, const topo *T, const vd *rec, int ph)
{
    for (int c = T->ncall[ph]; c < T->ncall[ph + 1]; c++) {
        int n = T->call_node[c];
        feed_books(s, T, rec + T->call_feed[c], n);
        book(s, T, n);
    }
}

static void call_values(const topo *T, const vd *rec, int ph, vd *dst)
{
    for (int c = T->ncall[ph]; c < T->ncall[ph + 1]; c++) {
        int n = T->call_node[c];
        const vd *f = rec + T->call_feed[c];
        vd *d = dst + (size_t)n * (size_t)T->nmat;
        for (int i = 0; i < T->nmats[n]; i++)
            d[T->mats[n][i]] = f[i];
    }
}

static void feed_gate(lws *s, const topo *T, const vd *f)
{
    for (int i = 0; i < T->nslot; i++, f += 3)
        s->g_licensed[i] = f[0], s->g_on_order[i] = f[1], s->g_granted[i] = f[2];
}

#ifndef FEED_ONLY
static void arrivals(lws *s, const topo *T)
{
    vd *slot = s->pipe + s->t;
    for (int l = 0; l < T->nlink; l++, slot += T->w) {
        vd q = *slot;
#ifdef MUT_UNMASKED /* mutation test: every lane adds, also a zero */
        mk k = 0xff;
#else
        mk k = CMP(q, ZERO, _CMP_NEQ_UQ); /* the lanes where !(q == 0) */
#endif
        if (!k)
            continue;
        size_t o = T->to[l];
        s->stock[o] = _mm512_mask_add_pd(s->stock[o], k, s->stock[o], q);
        s->recv[o] = _mm512_mask_add_pd(s->recv[o], k, s->recv[o], q);
        s->transit[l] = _mm512_mask_sub_pd(s->transit[l], k, s->transit[l], q);
        *slot = _mm512_mask_mov_pd(q, k, ZERO);
    }
}

static void positions(lws *s, const topo *T)
{
    vd *pos = s->position;
    memcpy(pos, s->stock, sizeof(vd) * T->nnm);
    for (int l = 0; l < T->nlink; l++) {
        size_t o = T->to[l];
        pos[o] = _mm512_add_pd(pos[o], s->transit[l]);
        if (T->slot[l] >= 0)
            pos[o] = _mm512_add_pd(pos[o], s->g_on_order[T->slot[l]]);
    }
}

static void applications(lws *s, const topo *T, const layout *Y, const llink *lk)
{
    for (int g = 0; g < T->ngate; g++)
        for (int i = 0; i < T->gate_nlink[g]; i++) {
            int l = T->gate_links[g][i];
            s->g_applied[T->slot[l]] = Y->rank[l] == 0
                                           ? _mm512_mul_pd(s->order[T->to[l]], lk[l].share)
                                           : s->g_fallback[T->slot[l]];
        }
}

/* dispatch() for the lanes in k: the lanes without a random delay share the split, and when
 * no lane of k has one and their whole months agree, two masked adds do it; otherwise lane by
 * lane (the scalar code on each lane). */
static void dispatch(lws *s, const topo *T, const llink *k, int l, mk kq, vd q, vd extra)
{
    long last = (long)T->nsteps + 1;
    vd *row = s->pipe + (size_t)l * T->w;
    mk ke = kq & CMP(extra, ZERO, _CMP_NEQ_UQ);
    fb_dispatch_calls++;
    if (!ke && k->k0u >= 0) {
        long i1 = s->t + k->k0u, i2 = i1 + 1;
        i1 = i1 > last ? last : i1;
        i2 = i2 > last ? last : i2;
#ifdef MUT_SPLIT /* mutation test: the split's two shares swapped */
        row[i1] = _mm512_mask_add_pd(row[i1], kq, row[i1], _mm512_mul_pd(q, k->f0));
        row[i2] = _mm512_mask_add_pd(row[i2], kq, row[i2], _mm512_mul_pd(q, k->g0));
#else
        row[i1] = _mm512_mask_add_pd(row[i1], kq, row[i1], _mm512_mul_pd(q, k->g0));
        row[i2] = _mm512_mask_add_pd(row[i2], kq, row[i2], _mm512_mul_pd(q, k->f0));
#endif
    } else {
        fb_dispatch++;
        for (int j = 0; j < L; j++) {
            if (!(kq >> j & 1))
                continue;
            long whole = k->k0[j];
            double f = LANE(k->f0, j), g = LANE(k->g0, j), x = LANE(extra, j), qj = LANE(q, j);
            if (x != 0) {
                double d = LANE(k->lead, j) + x;
                if (d < 1)
                    d = 1;
                double kd = floor(d);
                f = d - kd;
                g = 1 - f;
                whole = kd < last ? (long)kd : last;
            }
            long i1 = s->t + whole, i2 = i1 + 1;
            LANE(row[i1 > last ? last : i1], j) += qj * g;
            LANE(row[i2 > last ? last : i2], j) += qj * f;
        }
    }
    s->transit[l] = _mm512_mask_add_pd(s->transit[l], kq, s->transit[l], q);
}

/* hair_below_zero() as a lane mask. */
static inline mk hair_below_zero(vd stock, vd ship)
{
    vd lim = _mm512_mul_pd(_mm512_set1_pd(-1e-9), _mm512_add_pd(ship, _mm512_set1_pd(1)));
    return CMP(stock, ZERO, _CMP_LT_OQ) & CMP(stock, lim, _CMP_GT_OQ);
}

/* allocate() for lane j alone: the scalar code on the lane's values, for a pair whose lanes
 * disagree on its links' priority order or groups (not on the chain; built with
 * ALLOC_PER_LANE, every call goes this way, to measure what that path costs). */
static void allocate_lane(lws *s, const topo *T, const layout *Y, const llink *lk, int pr, int rank,
                          int j)
{
    const int *off = Y->pair_roff + (size_t)pr * (NRANK + 1) + rank;
    const int *rl = Y->pair_rlink, *gend = Y->rlink_gend;
    const vd *req = s->req;
    size_t o = T->pair_nm[pr];
    long last = (long)T->nsteps + 1;
    double stock = LANE(s->stock[o], j), ship = LANE(s->ship[o], j), of = LANE(s->offer[o], j);
    double avail = of < stock ? of : stock;
    if (avail < 0)
        avail = 0;
    double level = INFINITY;
    for (int g = off[0], end = off[1], e; g < end && avail > 0; g = e) {
        e = gend[g];
        double prio = LANE(lk[rl[g]].priority, j), want = 0;
        int asks = 0;
        for (int i = g; i < e; i++) {
            asks |= LANE(req[rl[i]], j) > 0;
            want += LANE(req[rl[i]], j);
        }
        if (!asks || !(prio < level) || !(prio > -INFINITY))
            continue;
        double give = want < avail ? want : avail, frac = want > 0 ? give / want : 0;
        for (int i = g; i < e; i++) {
            int l = rl[i];
            double rq = LANE(req[l], j);
            if (rq <= 0)
                continue;
            double q = give >= want ? rq : rq * frac;
            LANE(s->shipped[l], j) += q;
            ship += q;
            stock -= q;
            /* dispatch() on the lane */
            const llink *k = &lk[l];
            long whole = k->k0[j];
            double f = LANE(k->f0, j), gg = LANE(k->g0, j), x = LANE(s->extra[l], j);
            if (x != 0) {
                double d = LANE(k->lead, j) + x;
                if (d < 1)
                    d = 1;
                double kd = floor(d);
                f = d - kd;
                gg = 1 - f;
                whole = kd < last ? (long)kd : last;
            }
            long i1 = s->t + whole, i2 = i1 + 1;
            vd *row = s->pipe + (size_t)l * T->w;
            LANE(row[i1 > last ? last : i1], j) += q * gg;
            LANE(row[i2 > last ? last : i2], j) += q * f;
            LANE(s->transit[l], j) += q;
        }
        avail -= give;
        level = prio;
    }
    if (stock < 0 && stock > -1e-9 * (ship + 1))
        stock = 0;
    LANE(s->stock[o], j) = stock;
    LANE(s->ship[o], j) = ship;
}

/* allocate(): the groups in the scalar order; a lane takes part in a group when it is still
 * serving (avail > 0), one of the group's links asks in that lane, and the group's priority
 * passes the lane's level. */
static void allocate(lws *s, const topo *T, const layout *Y, const llink *lk, int pr, int rank)
{
    const int *off = Y->pair_roff + (size_t)pr * (NRANK + 1) + rank;
    const int *rl = Y->pair_rlink, *gend = Y->rlink_gend;
    const vd *req = s->req, *extra = s->extra;
    size_t o = T->pair_nm[pr];
    vd stock = s->stock[o], ship = s->ship[o], offer = s->offer[o];
    vd avail = _mm512_mask_blend_pd(CMP(offer, stock, _CMP_LT_OQ), stock, offer);
    avail = _mm512_mask_mov_pd(avail, CMP(avail, ZERO, _CMP_LT_OQ), ZERO);
    vd level = _mm512_set1_pd(INFINITY), ninf = _mm512_set1_pd(-INFINITY);
    mk live = CMP(avail, ZERO, _CMP_GT_OQ);
    for (int g = off[0], end = off[1], e; g < end && live; g = e) {
        e = gend[g];
        vd prio = lk[rl[g]].priority, want = ZERO;
        mk asks = 0;
        for (int i = g; i < e; i++) {
            asks |= CMP(req[rl[i]], ZERO, _CMP_GT_OQ);
            want = _mm512_add_pd(want, req[rl[i]]);
        }
        mk serve = live & asks & CMP(prio, level, _CMP_LT_OQ) & CMP(prio, ninf, _CMP_GT_OQ);
        if (!serve)
            continue;
        vd give = _mm512_mask_blend_pd(CMP(want, avail, _CMP_LT_OQ), avail, want);
#ifdef MUT_FRAC /* mutation test: the share as a product by the reciprocal */
        vd frac = _mm512_maskz_mul_pd(CMP(want, ZERO, _CMP_GT_OQ), give,
                                      _mm512_div_pd(_mm512_set1_pd(1), want));
#else
        vd frac = _mm512_maskz_div_pd(CMP(want, ZERO, _CMP_GT_OQ), give, want);
#endif
        mk full = CMP(give, want, _CMP_GE_OQ);
        for (int i = g; i < e; i++) {
            int l = rl[i];
            mk kq = serve & CMP(req[l], ZERO, _CMP_NLE_UQ); /* !(req <= 0) */
            if (!kq)
                continue;
            vd q = _mm512_mask_blend_pd(full, _mm512_mul_pd(req[l], frac), req[l]);
            s->shipped[l] = _mm512_mask_add_pd(s->shipped[l], kq, s->shipped[l], q);
            ship = _mm512_mask_add_pd(ship, kq, ship, q);
            stock = _mm512_mask_sub_pd(stock, kq, stock, q);
            dispatch(s, T, &lk[l], l, kq, q, extra[l]);
        }
        avail = _mm512_mask_sub_pd(avail, serve, avail, give);
        level = _mm512_mask_mov_pd(level, serve, prio);
        live &= CMP(avail, ZERO, _CMP_GT_OQ);
    }
    stock = _mm512_mask_mov_pd(stock, hair_below_zero(stock, ship), ZERO);
    s->stock[o] = stock;
    s->ship[o] = ship;
}
#endif

/* Y: the lanes' layouts (their rank parts are the same); uni: all the same. */
static void shipping(lws *s, const topo *T, const layout *const *Yl, int uni, const llink *lk,
                     const vd *rec)
{
    const layout *Y = Yl[0];
    (void)lk, (void)uni; /* FEED_ONLY reads no link parameter */
#ifndef FEED_ONLY
    vzero(s->asked, T->nnm);
    for (int i = 0; i < Y->nask_link; i++) {
        int l = Y->ask_link[i];
        vd a = T->slot[l] >= 0 ? s->g_licensed[T->slot[l]]
                               : _mm512_mul_pd(s->order[T->to[l]], lk[l].share);
        s->asked[T->from[l]] = _mm512_add_pd(s->asked[T->from[l]], a);
    }
    for (int c = T->ncall[P_OFFER]; c < T->ncall[P_OFFER + 1]; c++) {
        const vd *st = s->stock + (size_t)T->call_node[c] * (size_t)T->nmat;
        vd *of = s->offer + (size_t)T->call_node[c] * (size_t)T->nmat;
        for (int m = 0; m < T->nmat; m++)
            of[m] = _mm512_maskz_mov_pd(CMP(st[m], ZERO, _CMP_GT_OQ), st[m]);
    }
#endif
    call_values(T, rec, P_OFFER, s->offer);
#ifndef FEED_ONLY
    for (int l = 0; l < T->nlink; l++)
        s->extra[l] = lk[l].extra0;
    vzero(s->shipped, (size_t)T->nlink);
#endif
    for (int i = 0; i < Y->nrand_link; i++)
        s->extra[Y->rand_link[i]] = rec[T->f_extra + Y->rand_link[i]];
#ifndef FEED_ONLY
    vd *req = s->req, *shipped = s->shipped;
    for (int rank = 0; rank <= Y->maxrank && rank < NRANK; rank++) {
        const int *rl = Y->rank_link + Y->rank_off[rank];
        int nrl = Y->rank_off[rank + 1] - Y->rank_off[rank];
        int last = rank == Y->maxrank || rank + 1 == NRANK;
        const vd *reached = rank == 0 ? s->order : s->unmet;
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            size_t o = T->to[l];
            if (T->slot[l] >= 0) {
                req[l] = s->g_licensed[T->slot[l]];
                if (rank > 0)
                    s->g_fallback[T->slot[l]] = _mm512_mul_pd(reached[o], lk[l].share);
            } else
                req[l] = _mm512_mul_pd(reached[o], lk[l].share);
            s->requested_now[T->from[l]] = _mm512_add_pd(s->requested_now[T->from[l]], req[l]);
        }
        for (int i = Y->rank_poff[rank]; i < Y->rank_poff[rank + 1]; i++) {
            int pr = Y->rank_pair[i], same = 1;
            for (int j = 1; !uni && j < L; j++) /* lanes agree on the pair's groups? */
                same &= Yl[j]->pair_id[pr] == Y->pair_id[pr];
#ifdef ALLOC_PER_LANE
            same = 0;
#endif
            fb_alloc_calls++;
            if (same) {
                allocate(s, T, Y, lk, pr, rank);
            } else { /* each lane with its own links' order and priority groups */
                fb_alloc++;
                for (int j = 0; j < L; j++)
#ifdef MUT_LANE_LAYOUT /* mutation test: every lane with lane 0's groups */
                    allocate_lane(s, T, Yl[0], lk, pr, rank, j);
#else
                    allocate_lane(s, T, Yl[j], lk, pr, rank, j);
#endif
            }
        }
        for (int i = 0; rank == 0 && i < Y->npair_idle; i++) {
            size_t o = T->pair_nm[Y->pair_idle[i]];
            s->stock[o] =
                _mm512_mask_mov_pd(s->stock[o], hair_below_zero(s->stock[o], s->ship[o]), ZERO);
        }
        if (last)
            break;
        vd *unmet_next = s->unmet_next;
        vzero(unmet_next, T->nnm);
        for (int i = 0; i < nrl; i++) {
            int l = rl[i];
            size_t o = T->to[l];
            if (T->slot[l] < 0) {
                unmet_next[o] = _mm512_add_pd(unmet_next[o], _mm512_sub_pd(req[l], shipped[l]));
            } else {
                vd want = _mm512_sub_pd(_mm512_mul_pd(reached[o], lk[l].share), shipped[l]);
                unmet_next[o] = _mm512_add_pd(
                    unmet_next[o], _mm512_maskz_mov_pd(CMP(want, ZERO, _CMP_GT_OQ), want));
            }
        }
        s->unmet_next = s->unmet;
        s->unmet = unmet_next;
    }
    for (int g = 0; g < T->ngate; g++)
        for (int i = 0; i < T->gate_nlink[g]; i++)
            s->g_shipped[T->goff[g] + i] = s->shipped[T->gate_links[g][i]];
#endif
    feed_gate(s, T, rec + T->f_gship);
}

#ifndef FEED_ONLY
static void consumption_sums(lws *s, const topo *T)
{
    vzero(s->need_sum, (size_t)T->nmat);
    vzero(s->short_sum, (size_t)T->nmat);
    vd *history = s->history + (size_t)s->t * (size_t)T->nmat;
    for (int i = 0; i < T->nsector; i++) {
        const vd *cons = s->cons + (size_t)T->sec_node[i] * (size_t)T->nmat;
        for (int m = 0; m < T->nmat; m++)
            history[m] = _mm512_add_pd(history[m], cons[m]);
        int mat = T->sec_mat[i];
        if (mat < 0)
            continue;
        s->need_sum[mat] = _mm512_add_pd(s->need_sum[mat], s->metrics[T->sec_met[4 * i]]);
        s->short_sum[mat] = _mm512_add_pd(s->short_sum[mat], s->metrics[T->sec_met[4 * i + 2]]);
    }
}

/* ree_resil_step (engine/stats/resilience.c) on 8 lanes: each `if` a mask. */
static void resil_step(resil_v *a, int step, vd need, vd used, vd shortfall, vd lost)
{
    const __m256i none = _mm256_set1_epi32(-1), vstep = _mm256_set1_epi32(step);
    vd share = _mm512_maskz_div_pd(CMP(need, ZERO, _CMP_GT_OQ), shortfall, need);
    a->total_short = _mm512_add_pd(a->total_short, shortfall);
    a->total_need = _mm512_add_pd(a->total_need, need);
    a->total_lost = _mm512_add_pd(a->total_lost, lost);
    a->max_share = _mm512_mask_mov_pd(a->max_share, CMP(share, a->max_share, _CMP_GT_OQ), share);
    a->max_short =
        _mm512_mask_mov_pd(a->max_short, CMP(shortfall, a->max_short, _CMP_GT_OQ), shortfall);
    a->sum_share = _mm512_add_pd(a->sum_share, share);
    mk is_short = CMP(used, _mm512_mul_pd(a->service_level, need), _CMP_LT_OQ);
    a->months_short =
        _mm512_mask_add_pd(a->months_short, is_short, a->months_short, _mm512_set1_pd(1));
    mk first = is_short & _mm256_cmpgt_epi32_mask(_mm256_setzero_si256(), a->first_short);
    a->first_short = _mm256_mask_mov_epi32(a->first_short, first, vstep);
    mk no_onset = _mm256_cmpgt_epi32_mask(_mm256_setzero_si256(), a->onset);
    mk not_rec = _mm256_cmpgt_epi32_mask(_mm256_setzero_si256(), a->recovered);
    mk after = CMP(_mm512_set1_pd((double)step), a->shock, _CMP_GE_OQ);
    a->onset = _mm256_mask_mov_epi32(a->onset, no_onset & is_short & after, vstep);
    mk open = ~no_onset & not_rec;
    a->ok_from = _mm256_mask_mov_epi32(a->ok_from, open & is_short, none);
    mk ok = open & ~is_short;
    mk start = ok & _mm256_cmpgt_epi32_mask(_mm256_setzero_si256(), a->ok_from);
    a->ok_from = _mm256_mask_mov_epi32(a->ok_from, start, vstep);
    __m256i run = _mm256_add_epi32(_mm256_sub_epi32(vstep, a->ok_from), _mm256_set1_epi32(1));
    mk done = ok & CMP(_mm512_cvtepi32_pd(run), a->recover_months, _CMP_GE_OQ);
#ifndef MUT_RESIL /* mutation test: recovery never recorded */
    a->recovered = _mm256_mask_mov_epi32(a->recovered, done, a->ok_from);
#else
    (void)done;
#endif
}

static void region_totals(lws *s, const topo *T)
{
    if (!T->nregion)
        return;
    vzero(s->region_sum, 4 * (size_t)T->nregion);
    for (int i = 0; i < T->nsector; i++) {
        if (T->sec_region[i] < 0)
            continue;
        vd *sum = s->region_sum + 4 * (size_t)T->sec_region[i];
        const size_t *mo = T->sec_met + 4 * i;
        for (int k = 0; k < 4; k++)
            sum[k] = _mm512_add_pd(sum[k], s->metrics[mo[k]]);
    }
    for (int g = 0; g < T->nregion; g++) {
        const vd *sum = s->region_sum + 4 * (size_t)g;
        resil_step(&s->region_acc[g], s->t, sum[0], sum[1], sum[2], sum[3]);
    }
}

static vd series_value(const lws *s, const topo *T, const cseries *c, vd regime)
{
    size_t nsteps = (size_t)T->nsteps, t = (size_t)s->t;
    vd v = ZERO;
    switch (c->kind) {
    case SV_REGIME:
        v = _mm512_maskz_mov_pd(CMP(regime, _mm512_set1_pd(c->index), _CMP_EQ_OQ),
                                _mm512_set1_pd(1));
        break;
    case SV_GATE_SHIPPED:
        for (int i = 0; i < T->gate_nlink[c->index]; i++)
            v = _mm512_add_pd(v, s->shipped[T->gate_links[c->index][i]]);
        break;
    case SV_GATE_REGION_SHIPPED:
    case SV_GATE_REGION_GRANTED:
        for (int k = 0; k < c->n; k++) {
            int i = c->idx[k], l = T->gate_links[c->index][i];
            v = _mm512_add_pd(v, c->kind == SV_GATE_REGION_SHIPPED
                                     ? s->shipped[l]
                                     : s->g_granted[T->goff[c->index] + i]);
        }
        break;
    case SV_SUM:
        for (int i = 0; i < c->n; i++)
            v = _mm512_add_pd(v, s->series[(size_t)c->idx[i] * nsteps + t]);
        break;
    }
    return v;
}

/* record(): the column and the range check, 8 lanes of 64-bit integers; returns the lanes in
 * range as a mask. */
static mk record(lws *s, const topo *T, vd regime)
{
    size_t nsteps = (size_t)T->nsteps, t = (size_t)s->t;
    const double maxv = 1e100;
    uint64_t lim;
    memcpy(&lim, &maxv, sizeof lim);
    const __m512i mag = _mm512_set1_epi64((long long)(~(UINT64_C(1) << 63)));
    const __m512i ex = _mm512_set1_epi64((long long)(~(UINT64_C(1) << 63) - lim));
    __m512i bad = _mm512_setzero_si512();
#define TERM(v) _mm512_add_epi64(_mm512_and_si512(_mm512_castpd_si512(v), mag), ex)
    vd *const base[] = {s->metrics, s->stock, s->shipped, s->transit, s->scarcity};
    for (int i = 0; i < T->nsdirect; i++) {
        vd v = base[T->sd_src[i]][T->sd_off[i]];
        s->series[(size_t)T->sd_series[i] * nsteps + t] = v;
        bad = _mm512_or_si512(bad, TERM(v));
    }
    for (int i = 0; i < T->nscomputed; i++) {
        vd v = series_value(s, T, &T->sc[i], regime);
        s->series[(size_t)T->sc[i].s * nsteps + t] = v;
        bad = _mm512_or_si512(bad, TERM(v));
    }
    for (size_t i = 0; i < T->nnm; i++)
        bad = _mm512_or_si512(bad, _mm512_or_si512(TERM(s->stock[i]), TERM(s->order[i])));
    return _mm512_movepi64_mask(bad) ^ 0xff; /* top bit clear: in range */
}
#endif

static void step(lws *s, const topo *T, const layout *const *Yl, int uni, const llink *lk,
                 const vd *rec)
{
#ifdef PHASES
    unsigned long long tsc_ = __rdtsc();
#endif
#ifndef FEED_ONLY
    size_t nnm = T->nnm;
    vd *flows[] = {s->recv, s->ship, s->cons, s->order};
    for (size_t i = 0; i < 4; i++)
        vzero(flows[i], nnm);
    vzero(s->metrics, T->nmetrics);
    memcpy(s->requested, s->requested_now, sizeof(vd) * nnm);
    vzero(s->requested_now, nnm);
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
    applications(s, T, Yl[0], lk);
#endif
    feed_gate(s, T, rec + T->f_gdec);
    TICK(PH_ORDER_GATES);
    shipping(s, T, Yl, uni, lk, rec);
    TICK(PH_SHIP);
    call_books(s, T, rec, P_CONSUME);
    for (int i = 0; i < T->nsector; i++)
        for (int k = 0; k < 4; k++)
            s->metrics[T->sec_met[4 * i + k]] = rec[T->f_sec + 4 * i + k];
#ifndef FEED_ONLY
    consumption_sums(s, T);
    region_totals(s, T);
    for (int m = 0; m < T->nmat; m++)
        s->scarcity[m] = _mm512_maskz_div_pd(CMP(s->need_sum[m], ZERO, _CMP_GT_OQ), s->short_sum[m],
                                             s->need_sum[m]);
#endif
    for (int i = 0; i < T->nmet; i++)
        s->metrics[T->met[i]] = rec[T->f_met + i];
#ifndef FEED_ONLY
    s->sink += record(s, T, rec[T->f_regime]);
#endif
    TICK(PH_CONS_REC);
    s->t++;
}

double RL_NAME(const trace *tr, int check, long *ndiff)
{
    const topo *T = &tr->T;
    const lprep *P = prepare(tr);
    /* The workspace stays allocated between passes (the engine's is per thread): a pass
     * neither allocates nor faults pages in. */
    static lws s;
    static const trace *owner;
    if (owner != tr) {
        if (owner)
            lws_free(&s);
        lws_alloc(&s, T);
        owner = tr;
    }
    s.sink = 0;
    size_t nsteps = (size_t)T->nsteps, nf = (size_t)T->nfeed, ns = nstate(T);
    long nd = 0;
    for (int g = 0; g < P->ngroup; g++) {
        const vd *feed = P->feed + (size_t)g * nsteps * nf;
        const llink *lk0 = P->lk + (size_t)g * nsteps * (size_t)T->nlink, *lk = lk0;
        const int *lk_new = P->lk_new + (size_t)g * nsteps;
        const layout *const *Yl = P->lay + (size_t)g * nsteps * L;
        const int *uni = P->uni + (size_t)g * nsteps;
        lws_load(&s, T, P->snap0 + (size_t)g * ns, P->region0 + (size_t)g * (size_t)T->nregion);
        s.t = 0;
        for (int t = 0; t < T->nsteps; t++) {
            if (lk_new[t]) /* the last step where some lane's link parameters changed */
                lk = lk0 + (size_t)t * (size_t)T->nlink;
            step(&s, T, Yl + (size_t)t * L, uni[t], lk, feed + (size_t)t * nf);
            if (check)
                for (int j = 0; j < L; j++)
                    nd += lws_diff(
                        &s, T,
                        tr->snap +
                            (((size_t)g * L + (size_t)j) * (nsteps + 1) + (size_t)t + 1) * T->nsnap,
                        t, j);
        }
        s.sink += LANE(s.stock[0], 0);
    }
    if (ndiff)
        *ndiff = nd;
    return s.sink;
}
