/* The lockstep workspace (lrun.h): set-up, reset and the end of a group of runs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lrun_priv.h"
#include "rng.h"

static void *vcal(size_t n, size_t size, int *bad)
{
    size_t b = (n * size + 63) & ~(size_t)63;
    void *q = aligned_alloc(64, b ? b : 64);
    if (!q)
        *bad = 1;
    else
        memset(q, 0, b ? b : 64);
    return q;
}

void ree_lrun_free(ree_lrun *g)
{
    if (!g)
        return;
    for (int l = 0; l < REE_LANES; l++)
        ree_run_free(g->run[l]);
    void *a[] = {g->lpar,   g->lpoff,    g->lstate,    g->lsoff,      g->metrics, g->stock,
                 g->bk,     g->price,    g->history,   g->pipe,       g->lk,      g->g_applied,
                 g->g_rule, g->series,   g->ssrc,      g->region_sum, g->nio,     g->gio,
                 g->rng,    g->ind,      g->pair_same, g->oldrank,    g->transit, g->lanes,
                 g->policy, g->rand_link};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        free(a[i]);
    free(g);
}

/* Every parameter struct must transpose by words: each entity's is transposed (a gate reads its
 * rules' so, and the rule model has no hooks of its own). */
static int lanes_fit(const ree_plan *p)
{
    for (int e = 0; e < p->nentity; e++)
        if (p->entities[e].model->params_size % 8)
            return 0;
    return 1;
}

/* The bytes of a lockstep workspace's lane arrays and lane states for plan p (what
 * ree_lrun_alloc_horizon gives them, within a few lines). Its eight run workspaces take about as
 * much again: each holds one run's step arrays and model states. */
static double lanes_bytes(const ree_plan *p, int nsteps)
{
    const double v = sizeof(ree_vd);
    double n = 0, nnm = (double)p->nnode * p->nmat, w = nsteps + 2.0;
    for (int e = 0; e < p->nentity; e++) {
        const ree_model *m = p->entities[e].model;
        const ree_model_lanes *lm = m->lanes;
        ree_model_ctx ctx = ree_plan_ctx(p, e);
        ctx.nsteps = nsteps;
        n += (double)m->params_size * REE_LANES + (double)m->nmetrics * v;
        n += !lm ? 0 : lm->state_size ? (double)lm->state_size(&ctx) : (double)lm->state_bytes;
    }
    n += v * (16 * nnm + (3 + 5 + (double)nsteps) * p->nmat);
    n += v * ((double)p->nlink * (w + 10) + (double)p->nseries * nsteps) + sizeof(llink) * p->nlink;
    return n;
}

/* The entities timeline events or regimes change, and whether a link is one of them: the only
 * parameters a policy step can change (ree_lrun_params). */
static void policy_setup(ree_lrun *g)
{
    const ree_plan *p = g->p;
    int *mark = g->policy; /* n entries, zeroed: first as marks, then as the list */
    for (int i = 0; i < p->nevent; i++)
        for (int c = 0; c < p->events[i].nchange; c++)
            mark[p->events[i].changes[c].entity] = 1;
    for (int i = 0; i < p->nregime; i++)
        for (int c = 0; c < p->regimes[i].nchange; c++)
            mark[p->regimes[i].changes[c].entity] = 1;
    g->npolicy = 0;
    for (int e = 0; e < p->nentity; e++)
        if (mark[e]) {
            mark[e] = 0;
            mark[g->npolicy++] = e; /* npolicy <= e: an entry not yet read */
            if (p->entities[e].model->kind == REE_MODEL_LINK)
                g->policy_links = 1;
        }
}

#ifndef REESIM_LANES_V4
void ree_lrun_step_v4(ree_lrun *g) /* no second build: never chosen (ree_lanes_v4 is 0) */
{
    ree_lrun_step(g);
}
#endif

ree_lrun *ree_lrun_alloc(const ree_plan *p)
{
    /* Without the x86-64-v4 build the lane code is slower than one run at a time (GCC turns its
     * 8-wide comparisons into scalar ones): lanes only when asked for then. */
    const char *env = getenv("REESIM_LANES");
    if (env && !strcmp(env, "0"))
        return NULL;
    int forced = env && !strcmp(env, "1");
    if (!forced && !ree_lanes_v4())
        return NULL;
    /* A large network's lanes hold eight runs' step state at once (and eight run workspaces):
     * above the budget, one run at a time, in a sixteenth of the memory per thread. */
    if (!forced && 2 * lanes_bytes(p, p->nsteps) > REE_LRUN_BUDGET)
        return NULL;
    return ree_lrun_alloc_horizon(p, p->nsteps);
}

ree_lrun *ree_lrun_alloc_horizon(const ree_plan *p, int nsteps)
{
    if (nsteps < 1 || nsteps > p->nsteps || !lanes_fit(p))
        return NULL;
    ree_lrun *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    int bad = 0, ne = p->nentity, nm = p->nmat, nl = p->nlink;
    for (int l = 0; l < REE_LANES; l++)
        if (!(g->run[l] = ree_run_alloc_horizon(p, nsteps)))
            bad = 1;
    if (bad) {
        ree_lrun_free(g);
        return NULL;
    }
    const ree_run *r0 = g->run[0];
    g->p = p;
    g->nsteps = nsteps;
    g->nmat = nm;
    g->nnm = (size_t)p->nnode * (size_t)nm;
    g->w = (size_t)nsteps + 2;
    size_t nnm = g->nnm, nslot = (size_t)nl;
    g->lpoff = calloc((size_t)ne + 1, sizeof(size_t));
    g->lsoff = calloc((size_t)ne + 1, sizeof(size_t));
    g->lanes = calloc((size_t)ne + 1, sizeof *g->lanes);
    g->policy = calloc((size_t)ne + 1, sizeof(int));
    g->step = ree_lanes_v4() ? ree_lrun_step_v4 : ree_lrun_step;
    if (!g->lpoff || !g->lsoff || !g->lanes || !g->policy) {
        ree_lrun_free(g);
        return NULL;
    }
    for (int e = 0; e < ne; e++) {
        const ree_model *m = p->entities[e].model;
        const ree_model_lanes *lm = g->lanes[e] = ree_lanes_of(m);
        size_t ss = !lm ? 0 : lm->state_size ? lm->state_size(&r0->ctx[e]) : lm->state_bytes;
        g->lpoff[e + 1] = g->lpoff[e] + ((m->params_size * REE_LANES + 63) & ~(size_t)63);
        g->lsoff[e + 1] = g->lsoff[e] + ((ss + 63) & ~(size_t)63);
    }
    g->lpar = vcal(g->lpoff[ne], 1, &bad);
    g->lstate = vcal(g->lsoff[ne], 1, &bad);
    g->metrics = vcal(r0->moff[ne], sizeof(ree_vd), &bad);
    /* One block for the node-material arrays. */
    ree_vd **nmarr[] = {&g->stock,      &g->prev,      &g->recv,          &g->ship,
                        &g->prod,       &g->cons,      &g->lost,          &g->order,
                        &g->position,   &g->requested, &g->requested_now, &g->unmet,
                        &g->unmet_next, &g->offer,     &g->asked,         &g->lead_in};
    size_t nnmarr = sizeof nmarr / sizeof nmarr[0];
    ree_vd *blk = vcal(nnm * nnmarr, sizeof(ree_vd), &bad);
    for (size_t i = 0; blk && i < nnmarr; i++)
        *nmarr[i] = blk + i * nnm;
    g->bk = vcal(3 * (size_t)nm, sizeof(ree_vd), &bad);
    ree_vd **marr[] = {&g->price, &g->scarcity, &g->need_sum, &g->short_sum, &g->total0};
    size_t nmarr_ = sizeof marr / sizeof marr[0];
    blk = vcal((size_t)nm * nmarr_, sizeof(ree_vd), &bad);
    for (size_t i = 0; blk && i < nmarr_; i++)
        *marr[i] = blk + i * (size_t)nm;
    g->history = vcal((size_t)g->nsteps * (size_t)nm, sizeof(ree_vd), &bad);
    g->pipe = vcal((size_t)nl * g->w, sizeof(ree_vd), &bad);
    ree_vd **larr[] = {&g->transit, &g->shipped, &g->req, &g->extra};
    blk = vcal((size_t)nl * 4, sizeof(ree_vd), &bad);
    for (size_t i = 0; blk && i < 4; i++)
        *larr[i] = blk + i * (size_t)nl;
    g->lk = vcal((size_t)nl, sizeof(llink), &bad);
    ree_vd **sarr[] = {&g->g_applied,  &g->g_shipped, &g->g_licensed,
                       &g->g_on_order, &g->g_granted, &g->g_fallback};
    blk = vcal(nslot * 6, sizeof(ree_vd), &bad);
    for (size_t i = 0; blk && i < 6; i++)
        *sarr[i] = blk + i * nslot;
    g->g_rule = calloc(nslot + 1, sizeof(void *));
    g->series = vcal((size_t)p->nseries * (size_t)g->nsteps, sizeof(ree_vd), &bad);
    g->ssrc = calloc((size_t)p->nseries + 1, sizeof *g->ssrc);
    g->region_sum = vcal((size_t)r0->nregion * 4, sizeof(ree_vd), &bad);
    g->nio = calloc((size_t)p->nnode + 1, sizeof *g->nio);
    g->gio = calloc((size_t)p->ngate + 1, sizeof *g->gio);
    g->rng = calloc((size_t)ne * REE_LANES, sizeof *g->rng);
    size_t maxind = 1;
    for (int e = 0; e < ne; e++)
        if (p->entities[e].model->nindicators > maxind)
            maxind = p->entities[e].model->nindicators;
    g->ind = calloc(maxind * REE_LANES, sizeof(double));
    g->pair_same = calloc((size_t)r0->npair + 1, sizeof(int));
    g->oldrank = calloc((size_t)nl * REE_LANES + 1, sizeof(int));
    g->rand_link = calloc((size_t)nl + 1, sizeof(int));
    if (bad || !g->g_rule || !g->ssrc || !g->nio || !g->gio || !g->rng || !g->ind ||
        !g->pair_same || !g->oldrank || !g->rand_link) {
        ree_lrun_free(g);
        return NULL;
    }
    for (int e = 0; e < ne; e++)
        for (int l = 0; l < REE_LANES; l++)
            g->rng[(size_t)e * REE_LANES + (size_t)l] = g->run[l]->rng[e];
    policy_setup(g);
    for (int n = 0; n < p->nnode; n++) {
        int e = p->nodes[n].entity;
        size_t o = (size_t)n * (size_t)nm;
        g->nio[n] = (ree_node_io_lanes){.nmat = nm,
                                        .stock = g->stock + o,
                                        .position = g->position + o,
                                        .requested = g->requested + o,
                                        .received = g->recv + o,
                                        .history = g->history,
                                        .scarcity = g->scarcity,
                                        .lead = g->lead_in + o,
                                        .produced = g->bk,
                                        .consumed = g->bk + nm,
                                        .lost = g->bk + 2 * (size_t)nm,
                                        .order = g->order + o,
                                        .offer = g->offer + o,
                                        .metrics = g->metrics + r0->moff[e],
                                        .price = g->price,
                                        .rng = g->rng + (size_t)e * REE_LANES};
    }
    for (int gi = 0; gi < p->ngate; gi++) {
        int e = p->gates[gi].entity, off = r0->goff[gi];
        for (int s = 0; s < p->gates[gi].nlink; s++) {
            int ru = p->gates[gi].rule ? p->gates[gi].rule[s] : -1;
            g->g_rule[off + s] = ru >= 0 ? g->lpar + g->lpoff[p->rules[ru].entity] : NULL;
        }
        g->gio[gi] = (ree_gate_io_lanes){.nlink = p->gates[gi].nlink,
                                         .material = r0->g_material + off,
                                         .end_use = r0->g_end_use + off,
                                         .applied = g->g_applied + off,
                                         .shipped = g->g_shipped + off,
                                         .licensed = g->g_licensed + off,
                                         .on_order = g->g_on_order + off,
                                         .metrics = g->metrics + r0->moff[e],
                                         .rng = g->rng + (size_t)e * REE_LANES,
                                         .rule = (const void *const *)(g->g_rule + off),
                                         .granted = g->g_granted + off};
    }
    for (int i = 0; i < p->nseries; i++) {
        const ree_series *se = &p->series[i];
        size_t e = (size_t)se->entity, x = (size_t)se->index;
        g->ssrc[i] = se->kind == REE_S_MODEL      ? g->metrics + r0->moff[e] + x
                     : se->kind == REE_S_STOCK    ? g->stock + e * (size_t)nm + x
                     : se->kind == REE_S_SHIPPED  ? g->shipped + e
                     : se->kind == REE_S_TRANSIT  ? g->transit + e
                     : se->kind == REE_S_SCARCITY ? g->scarcity + x
                                                  : NULL;
    }
    return g;
}

void ree_lrun_set_check(ree_lrun *g, int on)
{
    g->check = on;
    for (int l = 0; l < REE_LANES; l++)
        ree_run_set_check(g->run[l], on);
}

/* Whether lanes 1.. order pair pr's links and groups as lane 0 does. */
static int pair_same(const ree_lrun *g, int pr)
{
    const ree_run *r0 = g->run[0];
    int a = r0->pair_off[pr], b = r0->pair_off[pr + 1];
    size_t ro = (size_t)pr * (REE_LINK_RANKS + 1);
    for (int l = 1; l < REE_LANES; l++) {
        const ree_run *r = g->run[l];
        if (memcmp(r->pair_rlink + a, r0->pair_rlink + a, sizeof(int) * (size_t)(b - a)) ||
            memcmp(r->rlink_gend + a, r0->rlink_gend + a, sizeof(int) * (size_t)(b - a)) ||
            memcmp(r->pair_roff + ro, r0->pair_roff + ro, sizeof(int) * (REE_LINK_RANKS + 1)))
            return 0;
    }
    return 1;
}

void ree_lrun_params(ree_lrun *g, int all)
{
    const ree_plan *p = g->p;
    const void *src[REE_LANES];
    for (int i = 0, n = all ? p->nentity : g->npolicy; i < n; i++) {
        int e = all ? i : g->policy[i];
        size_t ps = p->entities[e].model->params_size;
        if (!ps)
            continue;
        for (int l = 0; l < REE_LANES; l++)
            src[l] = g->run[l]->par[e];
        ree_lanes_transpose(g->lpar + g->lpoff[e], src, ps);
    }
    if (!all && !g->policy_links)
        return;
    g->uni = 1;
    for (int i = 0; i < p->nlink; i++) {
        llink *k = &g->lk[i];
        k->k0u = g->run[0]->lk[i].k0;
        for (int l = 0; l < REE_LANES; l++) {
            const ree_run *r = g->run[l];
            const link_rt *q = &r->lk[i];
            k->f0[l] = q->f0, k->g0[l] = q->g0, k->lead[l] = q->lead;
            k->priority[l] = q->priority, k->share[l] = q->share, k->extra0[l] = r->extra0[i];
            k->k0[l] = q->k0;
            if (q->k0 != k->k0u)
                k->k0u = -1;
            if (q->rank != g->run[0]->lk[i].rank)
                g->uni = 0;
        }
        k->rand = 0;
    }
    for (int l = 0; l < REE_LANES; l++) /* the lanes drawing each link's delay */
        for (int i = 0; i < g->run[l]->nrand_link; i++)
            g->lk[g->run[l]->rand_link[i]].rand |= 1u << l;
    g->nrand_link = 0;
    for (int i = 0; i < p->nlink; i++)
        if (g->lk[i].rand)
            g->rand_link[g->nrand_link++] = i;
    for (int pr = 0; pr < g->run[0]->npair; pr++)
        g->pair_same[pr] = g->uni && pair_same(g, pr);
    for (int l = 0; l < REE_LANES; l++) /* each lane's node lead times */
        for (size_t o = 0; o < g->nnm; o++)
            g->lead_in[o][l] = g->run[l]->lead_in[o];
}

void ree_lrun_reset(ree_lrun *g, unsigned long long seed, long long first, int count)
{
    const ree_plan *p = g->p;
    int nm = g->nmat;
    g->count = count;
    g->t = 0;
    for (int l = 0; l < REE_LANES; l++) {
        ree_run_reset_params(g->run[l], seed, first + (l < count ? l : count - 1));
        memset(g->run[l]->indicators, 0, sizeof(double) * (size_t)p->nindicator);
        g->st[l] = REE_OK;
    }
    ree_lrun_params(g, 1);
    const ree_model_ctx *ctx = g->run[0]->ctx;
    for (int e = 0; e < p->nentity; e++) {
        const ree_model *m = p->entities[e].model;
        const ree_model_lanes *lm = g->lanes[e];
        size_t ss = g->lsoff[e + 1] - g->lsoff[e]; /* a cache after kept_from stays */
        memset(g->lstate + g->lsoff[e], 0, lm && lm->kept_from ? lm->kept_from : ss);
        if (lm && lm->reset)
            lm->reset(g->lpar + g->lpoff[e], g->lstate + g->lsoff[e], &ctx[e]);
        else if (!lm && m->reset) /* the scalar hooks, lane by lane (lrun_step.c) */
            for (int l = 0; l < REE_LANES; l++) {
                ree_run *r = g->run[l];
                memset(r->state + r->soff[e], 0, r->soff[e + 1] - r->soff[e]);
                m->reset(r->par[e], r->state + r->soff[e], &r->ctx[e]);
            }
    }
    const ree_vd zero = REE_VSPLAT(0.0);
    for (int m = 0; m < nm; m++)
        g->total0[m] = zero;
    for (int n = 0; n < p->nnode; n++) {
        int offers = p->entities[p->nodes[n].entity].model->offer != NULL;
        for (int m = 0; m < nm; m++) {
            size_t o = (size_t)n * (size_t)nm + (size_t)m;
            double s0 = p->nodes[n].stock0[m];
            g->stock[o] = REE_VSPLAT(s0);
            g->total0[m] += g->stock[o];
            /* as offers_unbounded (run.c): the least of offer and stock is the stock */
            g->offer[o] = offers ? zero : REE_VSPLAT(INFINITY);
        }
    }
    ree_vd *zero_nm[] = {g->requested, g->requested_now, g->unmet, g->unmet_next};
    for (size_t i = 0; i < sizeof zero_nm / sizeof zero_nm[0]; i++)
        memset(zero_nm[i], 0, sizeof(ree_vd) * g->nnm);
    for (int m = 0; m < nm; m++) {
        g->scarcity[m] = zero;
        g->price[m] = REE_VSPLAT(1.0);
    }
    memset(g->history, 0, sizeof(ree_vd) * (size_t)g->nsteps * (size_t)nm);
    memset(g->pipe, 0, sizeof(ree_vd) * (size_t)p->nlink * g->w);
    size_t nl = (size_t)p->nlink;
    ree_vd *zero_l[] = {g->transit, g->g_on_order, g->g_fallback, g->g_granted};
    for (size_t i = 0; i < sizeof zero_l / sizeof zero_l[0]; i++)
        memset(zero_l[i], 0, sizeof(ree_vd) * nl);
}

const double *ree_lrun_series_lanes(const ree_lrun *g)
{
    return (const double *)g->series;
}

const double *ree_lrun_series(ree_lrun *g, int l)
{
    size_t n = (size_t)g->p->nseries * (size_t)g->nsteps;
    double *dst = g->run[l]->series;
    for (size_t i = 0; i < n; i++)
        dst[i] = g->series[i][l];
    return dst;
}

ree_status ree_lrun_finish(ree_lrun *g, int *lane)
{
    const ree_plan *p = g->p;
    while (g->t < g->nsteps)
        g->step(g);
    const ree_model_ctx *ctx = g->run[0]->ctx;
    for (int i = 0; i < p->nindicator;) {
        if (p->indicators[i].kind != REE_IND_MODEL) {
            i++;
            continue;
        }
        int e = p->indicators[i].entity;
        const ree_model *m = p->entities[e].model;
        size_t ni = m->nindicators;
        if (m->finish && !g->lanes[e]) {
            for (int l = 0; l < g->count; l++) {
                ree_run *r = g->run[l];
                m->finish(r->par[e], r->state + r->soff[e], &r->ctx[e], r->indicators + i);
            }
        } else if (m->finish) {
            g->lanes[e]->finish(g->lpar + g->lpoff[e], g->lstate + g->lsoff[e], &ctx[e], g->ind);
            for (int l = 0; l < g->count; l++)
                for (size_t k = 0; k < ni; k++)
                    g->run[l]->indicators[(size_t)i + k] = g->ind[k * REE_LANES + (size_t)l];
        }
        i += (int)ni;
    }
    ree_status first = REE_OK;
    for (int l = 0; l < g->count; l++) {
        ree_run *r = g->run[l];
        r->t = g->nsteps; /* every column written: nothing stale (ree_run_series) */
        if (g->st[l] == REE_OK)
            g->st[l] = ree_run_close(r);
        if (g->st[l] != REE_OK && first == REE_OK) {
            first = g->st[l];
            if (lane)
                *lane = l;
        }
    }
    return first;
}

ree_status ree_lrun_status(const ree_lrun *g, int lane)
{
    return g->st[lane];
}

const ree_run *ree_lrun_run(const ree_lrun *g, int lane)
{
    return g->run[lane];
}
