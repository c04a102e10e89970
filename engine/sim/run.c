/*
 * One run: the step loop of docs/engine.md. All memory is taken in ree_run_alloc; reset and
 * step never allocate. Arrays are flat and indexed by plan order: node-material arrays at
 * [node * nmat + m], link arrays at [link], gate-slot arrays at [goff[g] + slot].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "params.h"
#include "rng.h"
#include "run.h"

#include "run_priv.h"

static void *cal(size_t n, size_t s, int *bad)
{
    void *q = calloc(n ? n : 1, s);
    if (!q)
        *bad = 1;
    return q;
}

void ree_run_free(ree_run *r)
{
    if (!r)
        return;
    if (r->rng)
        for (int e = 0; e < r->p->nentity; e++)
            gsl_rng_free(r->rng[e]);
    free(r->rng);
    gsl_rng_free(r->tmp);
    gsl_rng_free(r->regime_rng);
    void *arrays[] = {
        r->base,          r->eff,         r->poff,        r->par,         r->state,
        r->soff,          r->ctx,         r->metrics,     r->moff,        r->stock,
        r->prev,          r->recv,        r->ship,        r->prod,        r->cons,
        r->lost,          r->order,       r->offer,       r->position,    r->requested,
        r->requested_now, r->unmet,       r->unmet_next,  r->produced_io, r->nio,
        r->calls,         r->kind,        r->price,       r->history,     r->scarcity,
        r->need_sum,      r->short_sum,   r->lk,          r->pipe,        r->transit,
        r->shipped,       r->req,         r->lead_in,     r->extra,       r->sector,
        r->goff,          r->g_material,  r->g_end_use,   r->g_applied,   r->g_shipped,
        r->g_licensed,    r->g_on_order,  r->total0,      r->chval,       r->regime_touch,
        r->series,        r->indicators,  r->region_ind,  r->region_of,   r->region_sum,
        r->region_acc,    r->g_granted,   r->g_fallback,  r->asked,       (void *)r->g_rule,
        r->base0,         r->sampled_ent, r->sampled_par, r->pair_link,   r->pair_nm,
        r->ask_link,      r->pair_off,    r->pair_ranks,  r->rank_link,   (void *)r->ssrc,
        r->step_rng,      r->step_kind,   r->sdirect,     r->scomputed,   r->gio,
        r->pair_rlink,    r->rlink_gend,  r->pair_roff,   r->rank_pair,   r->pair_idle,
        r->extra0,        r->rand_link,   r->gross};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    free(r);
}

/* Region totals: group g gathers the sector nodes of the region its indicators name. */
static void region_setup(ree_run *r, int *bad)
{
    const ree_plan *p = r->p;
    int ng = 0;
    for (int i = 0; i < p->nindicator; i++)
        ng += p->indicators[i].kind == REE_IND_REGION && p->indicators[i].index == 0;
    r->region_ind = cal((size_t)ng, sizeof(int), bad);
    r->region_sum = cal((size_t)ng * 4, sizeof(double), bad);
    r->region_acc = cal((size_t)ng, sizeof(ree_resil), bad);
    if (*bad)
        return;
    for (int i = 0; i < p->nindicator; i++) {
        const ree_indicator *ind = &p->indicators[i];
        if (ind->kind != REE_IND_REGION || ind->index != 0)
            continue;
        r->region_ind[r->nregion] = i;
        for (int n = 0; n < p->nnode; n++) {
            int e = p->nodes[n].entity;
            if ((p->entities[e].model->flags & REE_MF_SECTOR) && p->nodes[n].region &&
                !strcmp(p->nodes[n].region, ind->entity_name))
                r->region_of[e] = r->nregion;
        }
        r->nregion++;
    }
}

/* The sector nodes (run_priv.h), after region_setup. */
static void sectors_setup(ree_run *r)
{
    const ree_plan *p = r->p;
    for (int n = 0; n < p->nnode; n++) {
        int e = p->nodes[n].entity;
        const ree_model *m = p->entities[e].model;
        const ree_sector_contract *sc = m->sector; /* set exactly for REE_MF_SECTOR */
        if (!(m->flags & REE_MF_SECTOR))
            continue;
        const double *mt = r->metrics + r->moff[e];
        r->sector[r->nsector++] =
            (sector_rt){mt + sc->need,
                        mt + sc->consumed,
                        mt + sc->shortfall,
                        mt + sc->lost_units,
                        n,
                        p->entities[e].pspecs[ree_model_param_at(m, sc->material)].ival,
                        r->region_of[e]};
    }
}

/* Service level of region group g this run: its sectors' common service_level, else 0.95. */
static double region_service_level(const ree_run *r, int g)
{
    const ree_plan *p = r->p;
    double sl = NAN;
    for (int e = 0; e < p->nentity; e++) {
        if (r->region_of[e] != g)
            continue;
        const ree_sector_contract *sc = p->entities[e].model->sector;
        double v;
        memcpy(&v, r->par[e] + sc->service_level, sizeof v);
        if (isnan(sl))
            sl = v;
        else if (v != sl)
            return REE_RESIL_SERVICE_LEVEL;
    }
    return isnan(sl) ? REE_RESIL_SERVICE_LEVEL : sl;
}

/* The parameters of this plan that are the same in every run, written once into base0, and the
 * list of those sampled per run (ree_params_fill's rule: a distribution that is not a constant,
 * for a number or a date). A reset copies base0 and writes the sampled ones only. */
static void samples_setup(ree_run *r, int *bad)
{
    const ree_plan *p = r->p;
    int n = 0;
    for (int e = 0; e < p->nentity; e++)
        for (size_t i = 0; i < p->entities[e].model->nparams; i++)
            n++;
    r->base0 = cal(r->poff[p->nentity], 1, bad);
    r->sampled_ent = cal((size_t)n, sizeof(int), bad);
    r->sampled_par = cal((size_t)n, sizeof(int), bad);
    if (*bad)
        return;
    for (int e = 0; e < p->nentity; e++) {
        const ree_entity *ent = &p->entities[e];
        ree_params_fill(p, e, r->base0 + r->poff[e], NULL, 0, 0);
        for (size_t i = 0; i < ent->model->nparams; i++) {
            const ree_pspec *spec = &ent->pspecs[i];
            if (spec->dist.kind != REE_DIST_CONST &&
                (spec->type == REE_PT_NUM || spec->type == REE_PT_DATE)) {
                r->sampled_ent[r->nsampled] = e;
                r->sampled_par[r->nsampled++] = (int)i;
            }
        }
    }
}

/* The node-material pairs shipping allocates over, and each pair's outbound links. */
static void pairs_setup(ree_run *r, int *bad)
{
    const ree_plan *p = r->p;
    size_t nnm = (size_t)p->nnode * (size_t)r->nmat;
    r->pair_nm = cal(nnm, sizeof(size_t), bad);
    r->pair_off = cal(nnm + 1, sizeof(int), bad);
    r->pair_link = cal((size_t)p->nlink, sizeof(int), bad);
    r->pair_ranks = cal(nnm, sizeof(unsigned), bad);
    r->pair_rlink = cal((size_t)p->nlink, sizeof(int), bad);
    r->rlink_gend = cal((size_t)p->nlink, sizeof(int), bad);
    r->pair_roff = cal(nnm * (REE_LINK_RANKS + 1), sizeof(int), bad);
    r->rank_link = cal((size_t)p->nlink, sizeof(int), bad);
    r->rank_pair = cal((size_t)p->nlink, sizeof(int), bad); /* a pair-rank has a link */
    r->pair_idle = cal(nnm, sizeof(int), bad);
    r->ask_link = cal((size_t)p->nlink, sizeof(int), bad);
    if (*bad)
        return;
    int k = 0, nl = 0;
    for (int n = 0; n < p->nnode; n++)
        for (int m = 0; m < r->nmat; m++) {
            if (!(p->nodes[n].materials & (UINT64_C(1) << m)))
                continue;
            r->pair_nm[k] = (size_t)n * (size_t)r->nmat + (size_t)m;
            r->pair_off[k] = nl;
            for (int i = 0; i < p->nodes[n].nout; i++) {
                int l = p->nodes[n].out_links[i];
                if (p->links[l].material == m)
                    r->pair_link[nl++] = l;
            }
            k++;
        }
    r->pair_off[k] = nl;
    r->npair = k;
}

/* Each node's io block (its slices of the node-material arrays, the shared arrays, its stream;
 * all fixed for the workspace's life) and each phase's list of hooks to call. */
/* The offers of the nodes without an offer hook: +inf (run_priv.h, offer). Only offer() writes
 * an offer (engine/model.h), so they stay so; set again at each reset, so that a model breaking
 * that rule cannot carry one run's value into the next. */
static void offers_unbounded(ree_run *r)
{
    const ree_plan *p = r->p;
    for (int n = 0; n < p->nnode; n++)
        if (!p->entities[p->nodes[n].entity].model->offer)
            for (int m = 0; m < r->nmat; m++)
                r->offer[(size_t)n * (size_t)r->nmat + (size_t)m] = INFINITY;
}

static void hooks_setup(ree_run *r)
{
    const ree_plan *p = r->p;
    for (int n = 0; n < p->nnode; n++) {
        int e = p->nodes[n].entity;
        size_t o = (size_t)n * (size_t)r->nmat;
        r->nio[n] = (ree_node_io){.nmat = r->nmat,
                                  .stock = r->stock + o,
                                  .position = r->position + o,
                                  .requested = r->requested + o,
                                  .received = r->recv + o,
                                  .history = r->history,
                                  .scarcity = r->scarcity,
                                  .lead = r->lead_in + o,
                                  .produced = r->produced_io,
                                  .consumed = r->consumed_io,
                                  .lost = r->lost_io,
                                  .order = r->order + o,
                                  .offer = r->offer + o,
                                  .metrics = r->metrics + r->moff[e],
                                  .price = r->price,
                                  .rng = r->rng[e]};
    }
    offers_unbounded(r);
    int k = 0;
    for (int ph = 0; ph < PH_COUNT; ph++) {
        r->ncall[ph] = k;
        for (int n = 0; n < p->nnode; n++) {
            int e = p->nodes[n].entity;
            const ree_model *m = p->entities[e].model;
            node_call c = {ph == PH_PRODUCE   ? m->produce
                           : ph == PH_ORDER   ? m->order
                           : ph == PH_OFFER   ? m->offer
                           : ph == PH_CONSUME ? m->consume
                                              : m->account,
                           r->par[e], r->state + r->soff[e], &r->nio[n], n};
            if (c.hook)
                r->calls[k++] = c;
        }
    }
    r->ncall[PH_COUNT] = k;
}

ree_run *ree_run_alloc(const ree_plan *p)
{
    return ree_run_alloc_horizon(p, p->nsteps);
}

ree_run *ree_run_alloc_horizon(const ree_plan *p, int nsteps)
{
    if (nsteps < 1 || nsteps > p->nsteps)
        return NULL;
    ree_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    int bad = 0, ne = p->nentity, nm = p->nmat, nn = p->nnode, nl = p->nlink;
    size_t nnm = (size_t)nn * (size_t)nm;
    r->p = p;
    r->nsteps = nsteps;
    r->nmat = nm;
    r->poff = cal((size_t)ne + 1, sizeof(size_t), &bad);
    r->soff = cal((size_t)ne + 1, sizeof(size_t), &bad);
    r->moff = cal((size_t)ne + 1, sizeof(size_t), &bad);
    r->ctx = cal((size_t)ne, sizeof *r->ctx, &bad);
    r->par = cal((size_t)ne, sizeof *r->par, &bad);
    r->rng = cal((size_t)ne, sizeof *r->rng, &bad);
    r->kind = cal((size_t)ne, sizeof *r->kind, &bad);
    r->step_rng = cal((size_t)ne, sizeof *r->step_rng, &bad);
    r->step_kind = cal((size_t)ne, sizeof *r->step_kind, &bad);
    r->regime_touch = cal((size_t)ne, sizeof(int), &bad);
    r->region_of = cal((size_t)ne, sizeof(int), &bad);
    if (bad) {
        ree_run_free(r);
        return NULL;
    }
    for (int e = 0; e < ne; e++) {
        const ree_model *m = p->entities[e].model;
        r->ctx[e] = ree_plan_ctx(p, e);
        r->ctx[e].nsteps = nsteps;
        size_t ss = m->state_size ? m->state_size(&r->ctx[e]) : m->state_bytes;
        r->poff[e + 1] = r->poff[e] + ALIGN(m->params_size);
        r->soff[e + 1] = r->soff[e] + ALIGN(ss);
        r->moff[e + 1] = r->moff[e] + m->nmetrics;
        r->region_of[e] = -1;
        if (!(r->rng[e] = gsl_rng_alloc(ree_rng_philox)))
            bad = 1;
        r->kind[e] = m->kind == REE_MODEL_GATE   ? REE_STREAM_GATE
                     : m->kind == REE_MODEL_LINK ? REE_STREAM_LEAD
                                                 : REE_STREAM_MODEL;
        if (m->kind != REE_MODEL_LINK) {
            r->step_rng[r->nstep_rng] = r->rng[e];
            r->step_kind[r->nstep_rng++] = r->kind[e];
        }
    }
    r->base = cal(r->poff[ne], 1, &bad);
    r->eff = cal(r->poff[ne], 1, &bad);
    r->state_bytes = r->soff[ne];
    r->state = cal(r->state_bytes, 1, &bad);
    r->metrics = cal(r->moff[ne], sizeof(double), &bad);
    double **nmarr[] = {&r->lead_in,       &r->stock, &r->prev,       &r->recv,
                        &r->ship,          &r->prod,  &r->cons,       &r->lost,
                        &r->order,         &r->offer, &r->position,   &r->requested,
                        &r->requested_now, &r->unmet, &r->unmet_next, &r->asked};
    for (size_t i = 0; i < sizeof nmarr / sizeof nmarr[0]; i++)
        *nmarr[i] = cal(nnm, sizeof(double), &bad);
    double **marr[] = {&r->price, &r->scarcity, &r->need_sum, &r->short_sum, &r->total0, &r->gross};
    for (size_t i = 0; i < sizeof marr / sizeof marr[0]; i++)
        *marr[i] = cal((size_t)nm, sizeof(double), &bad);
    /* The bookings of a hook (produced, consumed, lost: nmat each), one block. */
    r->produced_io = cal(3 * (size_t)nm, sizeof(double), &bad);
    r->nio = cal((size_t)nn, sizeof *r->nio, &bad);
    r->sector = cal((size_t)nn, sizeof *r->sector, &bad);
    r->calls = cal((size_t)nn * PH_COUNT, sizeof *r->calls, &bad);
    r->history = cal((size_t)nsteps * (size_t)nm, sizeof(double), &bad);
    r->lk = cal((size_t)nl, sizeof *r->lk, &bad);
    r->pipe = cal((size_t)nl * (size_t)(nsteps + 2), sizeof(double), &bad);
    r->transit = cal((size_t)nl, sizeof(double), &bad);
    r->shipped = cal((size_t)nl, sizeof(double), &bad);
    r->req = cal((size_t)nl, sizeof(double), &bad);
    r->extra = cal((size_t)nl, sizeof(double), &bad);
    r->extra0 = cal((size_t)nl, sizeof(double), &bad);
    r->rand_link = cal((size_t)nl, sizeof(int), &bad);
    r->goff = cal((size_t)p->ngate + 1, sizeof(int), &bad);
    r->gio = cal((size_t)p->ngate, sizeof *r->gio, &bad);
    r->g_material = cal((size_t)nl, sizeof(int), &bad);
    r->g_end_use = cal((size_t)nl, sizeof(uint64_t), &bad);
    r->g_applied = cal((size_t)nl, sizeof(double), &bad);
    r->g_shipped = cal((size_t)nl, sizeof(double), &bad);
    r->g_licensed = cal((size_t)nl, sizeof(double), &bad);
    r->g_on_order = cal((size_t)nl, sizeof(double), &bad);
    r->g_granted = cal((size_t)nl, sizeof(double), &bad);
    r->g_fallback = cal((size_t)nl, sizeof(double), &bad);
    r->g_rule = cal((size_t)nl, sizeof(void *), &bad);
    int nch = 0;
    for (int i = 0; i < p->nevent; i++)
        nch += p->events[i].nchange;
    for (int i = 0; i < p->nregime; i++)
        nch += p->regimes[i].nchange;
    r->nchval = nch;
    r->chval = cal((size_t)nch, sizeof(double), &bad);
    r->series = cal((size_t)p->nseries * (size_t)nsteps, sizeof(double), &bad);
    r->ssrc = cal((size_t)p->nseries, sizeof *r->ssrc, &bad);
    r->sdirect = cal((size_t)p->nseries, sizeof *r->sdirect, &bad);
    r->scomputed = cal((size_t)p->nseries, sizeof(int), &bad);
    r->indicators = cal((size_t)p->nindicator, sizeof(double), &bad);
    region_setup(r, &bad);
    pairs_setup(r, &bad);
    samples_setup(r, &bad);
    r->tmp = gsl_rng_alloc(ree_rng_philox);
    r->regime_rng = gsl_rng_alloc(ree_rng_philox);
    if (bad || !r->tmp || !r->regime_rng) {
        ree_run_free(r);
        return NULL;
    }
    for (int g = 0; g < p->ngate; g++) {
        r->goff[g + 1] = r->goff[g] + p->gates[g].nlink;
        for (int s = 0; s < p->gates[g].nlink; s++) {
            const ree_link *l = &p->links[p->gates[g].links[s]];
            int eu = p->nodes[l->to].end_use;
            r->g_material[r->goff[g] + s] = l->material;
            r->g_end_use[r->goff[g] + s] = eu >= 0 ? UINT64_C(1) << eu : 0;
        }
    }
    for (int i = 0; i < p->nregime; i++)
        for (int c = 0; c < p->regimes[i].nchange; c++)
            r->regime_touch[p->regimes[i].changes[c].entity] = 1;
    for (int e = 0; e < ne; e++)
        r->par[e] = (r->regime_touch[e] ? r->eff : r->base) + r->poff[e];
    for (int l = 0; l < nl; l++) {
        const ree_link *lk = &p->links[l];
        r->lk[l].to = (size_t)lk->to * (size_t)nm + (size_t)lk->material;
        r->lk[l].from = (size_t)lk->from * (size_t)nm + (size_t)lk->material;
        r->lk[l].slot = lk->gate >= 0 ? (long)r->goff[lk->gate] + lk->gate_slot : -1;
        r->lk[l].rng = r->rng[lk->entity];
        r->lk[l].kind = r->kind[lk->entity];
    }
    sectors_setup(r);
    for (int i = 0; i < p->nseries; i++) {
        const ree_series *se = &p->series[i];
        size_t e = (size_t)se->entity, x = (size_t)se->index;
        r->ssrc[i] = se->kind == REE_S_MODEL      ? r->metrics + r->moff[e] + x
                     : se->kind == REE_S_STOCK    ? r->stock + e * (size_t)nm + x
                     : se->kind == REE_S_SHIPPED  ? r->shipped + e
                     : se->kind == REE_S_TRANSIT  ? r->transit + e
                     : se->kind == REE_S_SCARCITY ? r->scarcity + x
                                                  : NULL;
        if (r->ssrc[i])
            r->sdirect[r->nsdirect++] =
                (struct ree_run_scopy){r->ssrc[i], r->series + (size_t)i * (size_t)nsteps};
        else
            r->scomputed[r->nscomputed++] = i;
    }
    r->consumed_io = r->produced_io + nm;
    r->lost_io = r->produced_io + 2 * (size_t)nm;
    hooks_setup(r);
    for (int g = 0; g < p->ngate; g++)
        for (int s = 0; s < p->gates[g].nlink; s++) {
            int ru = p->gates[g].rule ? p->gates[g].rule[s] : -1;
            r->g_rule[r->goff[g] + s] = ru >= 0 ? r->par[p->rules[ru].entity] : NULL;
        }
    for (int g = 0; g < p->ngate; g++) {
        int e = p->gates[g].entity, off = r->goff[g];
        r->gio[g] = (ree_gate_io){0,
                                  p->gates[g].nlink,
                                  r->g_material + off,
                                  r->g_end_use + off,
                                  r->g_applied + off,
                                  r->g_shipped + off,
                                  r->g_licensed + off,
                                  r->g_on_order + off,
                                  r->metrics + r->moff[e],
                                  r->rng[e],
                                  (const void *const *)(r->g_rule + off),
                                  r->g_granted + off};
    }
    return r;
}

void ree_run_set_check(ree_run *r, int on)
{
    r->check = on;
}

int ree_run_steps_done(const ree_run *r)
{
    return r->t;
}

/* Zero series columns [t, series_stale), an earlier run's values, so that the steps not yet
 * taken read 0 (run.h). Columns below t are this run's: each step writes its whole column. */
static void zero_stale(ree_run *r)
{
    if (r->series_stale <= r->t)
        return;
    size_t T = (size_t)r->nsteps, t = (size_t)r->t, n = (size_t)r->series_stale - t;
    for (int s = 0; s < r->p->nseries; s++)
        memset(r->series + (size_t)s * T + t, 0, sizeof(double) * n);
    r->series_stale = r->t;
}

const double *ree_run_series(const ree_run *r)
{
    zero_stale((ree_run *)r); /* r is never defined const: every ree_run is ree_run_alloc's */
    return r->series;
}

const double *ree_run_indicators(const ree_run *r)
{
    return r->indicators;
}

double ree_run_stock(const ree_run *r, int node, int material)
{
    return r->stock[(size_t)node * (size_t)r->nmat + (size_t)material];
}

const char *ree_run_error(const ree_run *r)
{
    return r->err;
}

/* Write a change's value (sampled at reset into chval[ci]) into the base parameters. */
static void apply_change(ree_run *r, const ree_change *c, int ci, unsigned char *params)
{
    const ree_param_def *def = &r->p->entities[c->entity].model->params[c->param];
    if (def->type == REE_PT_NUM || def->type == REE_PT_DATE)
        memcpy(params + r->poff[c->entity] + def->offset, &r->chval[ci], sizeof(double));
    else
        ree_param_write(def, &c->value, params + r->poff[c->entity], NULL);
}

static int change_base_index(const ree_plan *p, int event)
{
    int ci = 0;
    for (int i = 0; i < event; i++)
        ci += p->events[i].nchange;
    return ci;
}

/* Apply the timeline events due by this step; returns how many were applied. */
static int apply_events(ree_run *r)
{
    const ree_plan *p = r->p;
    int applied = 0;
    while (r->next_event < p->nevent && p->events[r->next_event].step <= r->t) {
        const ree_event *ev = &p->events[r->next_event];
        int ci = change_base_index(p, r->next_event);
        for (int c = 0; c < ev->nchange; c++)
            apply_change(r, &ev->changes[c], ci + c, r->base);
        r->next_event++;
        applied++;
    }
    return applied;
}

/* Effective parameters: base, with the current regime's overrides laid over. */
static void apply_regime(ree_run *r)
{
    const ree_plan *p = r->p;
    if (!p->nregime)
        return;
    for (int e = 0; e < p->nentity; e++)
        if (r->regime_touch[e])
            memcpy(r->eff + r->poff[e], r->base + r->poff[e], r->poff[e + 1] - r->poff[e]);
    if (r->regime < 0)
        return;
    int ci = change_base_index(p, p->nevent);
    for (int i = 0; i < r->regime; i++)
        ci += p->regimes[i].nchange;
    const ree_regime *rg = &p->regimes[r->regime];
    for (int c = 0; c < rg->nchange; c++)
        apply_change(r, &rg->changes[c], ci + c, r->eff);
}

/* The chain's step: the initial regime at its start, then a move drawn from the current
 * regime's row with u, this step's draw from regime_rng (ree_run_policy_u), or drawn here when
 * u is NULL. */
static void regime_transition(ree_run *r, const double *u_drawn)
{
    const ree_plan *p = r->p;
    if (!p->nregime || r->t < p->regime_start)
        return;
    if (r->t == p->regime_start) {
        r->regime = p->regime_initial;
        return;
    }
    double u = u_drawn ? *u_drawn : ree_rng_uniform_pos(r->regime_rng), acc = 0;
    const double *to = p->regimes[r->regime].to;
    for (int j = 0; j < p->nregime; j++) {
        acc += to[j];
        if (u < acc) {
            r->regime = j;
            return;
        }
    }
}

static void sample_change(ree_run *r, const ree_change *c, int ci)
{
    const ree_param_def *def = &r->p->entities[c->entity].model->params[c->param];
    if (def->type != REE_PT_NUM && def->type != REE_PT_DATE)
        return;
    double v = c->value.dist.a;
    if (c->value.dist.kind != REE_DIST_CONST) {
        ree_stream_key k = {r->seed, (uint64_t)r->run, c->hash, REE_STREAM_PARAMS};
        ree_rng_select(r->tmp, &k);
        v = ree_dist_sample(&c->value.dist, r->tmp);
    }
    if (def->flags & REE_PF_INT)
        v = nearbyint(v);
    r->chval[ci] = v;
}

static double link_value(const ree_run *r, int l, size_t offset)
{
    double v;
    memcpy(&v, r->par[r->p->links[l].entity] + offset, sizeof v);
    return v;
}

/* Pair pr's pair_rlink, pair_roff and rlink_gend (run_priv.h) from its links' ranks and
 * priorities: an insertion sort (stable; a pair has few links). */
static void pair_sort(ree_run *r, int pr)
{
    int a = r->pair_off[pr], nl = r->pair_off[pr + 1] - a;
    int *srt = r->pair_rlink + a, *off = r->pair_roff + (size_t)pr * (REE_LINK_RANKS + 1);
    for (int i = 0; i < nl; i++) {
        const link_rt *k = &r->lk[r->pair_link[a + i]];
        int j = i;
        for (; j > 0; j--) {
            const link_rt *q = &r->lk[srt[j - 1]];
            if (q->rank < k->rank || (q->rank == k->rank && !(q->priority < k->priority)))
                break;
            srt[j] = srt[j - 1];
        }
        srt[j] = r->pair_link[a + i];
    }
    for (int k = 0, i = 0; k <= REE_LINK_RANKS; k++) {
        while (i < nl && r->lk[srt[i]].rank < k)
            i++;
        off[k] = a + i;
    }
    for (int i = nl - 1; i >= 0; i--) {
        const link_rt *k = &r->lk[srt[i]];
        int same = i + 1 < nl && r->lk[srt[i + 1]].rank == k->rank &&
                   r->lk[srt[i + 1]].priority == k->priority;
        r->rlink_gend[a + i] = same ? r->rlink_gend[a + i + 1] : a + i + 1;
    }
}

/* Link parameters of this run. delay_prob, rank and share may change during a run (timeline
 * events, regimes); lead_time, delay_months and priority are read at reset only. What follows
 * from ranks and shares (the last rank, the shares normalised within each (destination,
 * material, rank) group, the rank-0 lead time each node sees) is recomputed only in a step
 * where a rank or share changed, so a step without a change costs O(nlink) (and a step without
 * an event or a regime transition nothing: ree_run_policy skips it). A gated link whose
 * rank changes forgets what reached its old rank (its next fallback application starts from
 * the cascade of its new rank). */
static void link_params(ree_run *r, int all)
{
    const ree_plan *p = r->p;
    if (!p->nlink)
        return;
    const ree_link_contract *lc = p->entities[p->links[0].entity].model->link;
    int changed = all;
    for (int l = 0; l < p->nlink; l++) {
        link_rt *k = &r->lk[l];
        k->delay_prob = link_value(r, l, lc->delay_prob);
        int rank = (int)link_value(r, l, lc->rank);
        double share = link_value(r, l, lc->share);
        if (!all && rank != k->rank && p->links[l].gate >= 0)
            r->g_fallback[r->goff[p->links[l].gate] + p->links[l].gate_slot] = 0;
        if (all || rank != k->rank || share != k->share_given)
            changed = 1;
        k->rank = rank;
        k->share_given = share;
    }
    if (all)
        for (int l = 0; l < p->nlink; l++) {
            link_rt *k = &r->lk[l];
            k->lead = link_value(r, l, lc->lead_time);
            k->delay_months = link_value(r, l, lc->delay_months);
            k->priority = link_value(r, l, lc->priority); /* the destination's unless given */
            double d = k->lead < 1 ? 1 : k->lead, whole = floor(d);
            /* Bounded before the conversion (dispatch: past the last slot is the last slot). */
            k->k0 = whole < r->nsteps + 1 ? (long)whole : (long)r->nsteps + 1;
            k->f0 = d - whole;
            k->g0 = 1 - k->f0;
        }
    r->nrand_link = 0;
    for (int l = 0; l < p->nlink; l++) {
        const link_rt *k = &r->lk[l];
        if (k->delay_prob > 0 && k->delay_prob < 1)
            r->rand_link[r->nrand_link++] = l;
        r->extra0[l] = k->delay_prob >= 1 ? k->delay_months : 0;
    }
    if (!changed)
        return;
    r->maxrank = 0;
    for (int l = 0; l < p->nlink; l++)
        if (r->lk[l].rank > r->maxrank)
            r->maxrank = r->lk[l].rank;
    /* The links of each rank, in file order, and the ranks each node-material pair ships at. */
    for (int k = 0; k <= REE_LINK_RANKS; k++)
        r->rank_off[k] = 0;
    for (int l = 0; l < p->nlink; l++)
        if (r->lk[l].rank >= 0 && r->lk[l].rank < REE_LINK_RANKS)
            r->rank_off[r->lk[l].rank + 1]++;
    for (int k = 0; k < REE_LINK_RANKS; k++)
        r->rank_off[k + 1] += r->rank_off[k];
    int fill[REE_LINK_RANKS];
    memcpy(fill, r->rank_off, sizeof fill);
    for (int l = 0; l < p->nlink; l++)
        if (r->lk[l].rank >= 0 && r->lk[l].rank < REE_LINK_RANKS)
            r->rank_link[fill[r->lk[l].rank]++] = l;
    r->nask_link = 0;
    for (int i = r->rank_off[0]; i < r->rank_off[1]; i++) {
        int l = r->rank_link[i];
        if (p->entities[p->nodes[p->links[l].from].entity].model->offer)
            r->ask_link[r->nask_link++] = l;
    }
    for (int pr = 0; pr < r->npair; pr++) {
        r->pair_ranks[pr] = 0;
        for (int i = r->pair_off[pr]; i < r->pair_off[pr + 1]; i++) {
            int k = r->lk[r->pair_link[i]].rank;
            if (k >= 0 && k < REE_LINK_RANKS)
                r->pair_ranks[pr] |= 1u << k;
        }
        pair_sort(r, pr);
    }
    int np = 0;
    r->npair_idle = 0;
    for (int k = 0; k < REE_LINK_RANKS; k++) {
        r->rank_poff[k] = np;
        for (int pr = 0; pr < r->npair; pr++)
            if (r->pair_ranks[pr] >> k & 1u)
                r->rank_pair[np++] = pr;
            else if (k == 0)
                r->pair_idle[r->npair_idle++] = pr;
    }
    r->rank_poff[REE_LINK_RANKS] = np;
    /* Normalise shares within each (destination, material, rank) group. */
    for (int l = 0; l < p->nlink; l++) {
        double sum = 0;
        for (int j = 0; j < p->nlink; j++)
            if (p->links[j].to == p->links[l].to && p->links[j].material == p->links[l].material &&
                r->lk[j].rank == r->lk[l].rank)
                sum += r->lk[j].share_given;
        r->lk[l].share = sum > 0 ? r->lk[l].share_given / sum : 0;
    }
    /* Lead time each node sees on its supply: share-weighted over rank-0 links. */
    memset(r->lead_in, 0, sizeof(double) * (size_t)p->nnode * (size_t)r->nmat);
    for (int l = 0; l < p->nlink; l++)
        if (r->lk[l].rank == 0)
            r->lead_in[(size_t)p->links[l].to * (size_t)r->nmat + (size_t)p->links[l].material] +=
                r->lk[l].share * (r->lk[l].lead < 1 ? 1 : r->lk[l].lead);
}

void ree_run_streams(ree_run *r)
{
    const ree_plan *p = r->p;
    uint32_t step = (uint32_t)(r->t + 1) << 8;
    if (r->t == 0) { /* a new run: the whole key (ree_run_reset) */
        for (int e = 0; e < p->nentity; e++) {
            ree_stream_key k = {r->seed, (uint64_t)r->run, p->entities[e].hash, r->kind[e] | step};
            ree_rng_select(r->rng[e], &k);
        }
        ree_stream_key rk = {r->seed, (uint64_t)r->run, p->regime_hash, REE_STREAM_REGIME | step};
        ree_rng_select(r->regime_rng, &rk);
        return;
    }
    /* The same seed, run and entity: only the kind moves. Links: in shipping, when they draw. */
    ree_rng_select_kinds(r->step_rng, r->step_kind, step, r->nstep_rng);
    ree_rng_select_kind(r->regime_rng, REE_STREAM_REGIME | step);
}

int ree_run_policy(ree_run *r)
{
    return ree_run_policy_u(r, NULL);
}

int ree_run_policy_u(ree_run *r, const double *u)
{
    /* The transition before the events: neither reads what the other writes (the regime and its
     * stream; the base parameters and the next event), and u is then used up at once. */
    int regime = r->regime;
    regime_transition(r, u);
    int applied = apply_events(r);
    /* The effective parameters are a function of the base ones and the regime: when neither
     * changed (no event, no transition), they and the link parameters are as last step. */
    if (r->t > 0 && !applied && r->regime == regime)
        return 0;
    apply_regime(r);
    link_params(r, r->t == 0);
    return 1;
}

void ree_run_reset_params(ree_run *r, unsigned long long seed, long long run)
{
    const ree_plan *p = r->p;
    r->seed = seed;
    r->run = run;
    if (r->t > r->series_stale) /* the steps taken wrote series columns [0, t) */
        r->series_stale = r->t;
    r->t = 0;
    r->err[0] = 0;
    r->next_event = 0;
    r->regime = -1;
    /* ree_params_fill of every entity with the run's samples: the fixed values copied, the
     * sampled ones drawn, each from its own stream (seed, run, phash, REE_STREAM_PARAMS). */
    memcpy(r->base, r->base0, r->poff[p->nentity]);
    for (int i = 0; i < r->nsampled; i++) {
        const ree_entity *ent = &p->entities[r->sampled_ent[i]];
        int k = r->sampled_par[i];
        ree_stream_key key = {seed, (uint64_t)run, ent->phash[k], REE_STREAM_PARAMS};
        ree_rng_select(r->tmp, &key);
        ree_param_write(&ent->model->params[k], &ent->pspecs[k],
                        r->base + r->poff[r->sampled_ent[i]], r->tmp);
    }
    ree_run_streams(r); /* per-step streams: selected at the start of each step */
    int ci = 0;
    for (int i = 0; i < p->nevent; i++)
        for (int c = 0; c < p->events[i].nchange; c++)
            sample_change(r, &p->events[i].changes[c], ci++);
    for (int i = 0; i < p->nregime; i++)
        for (int c = 0; c < p->regimes[i].nchange; c++)
            sample_change(r, &p->regimes[i].changes[c], ci++);
    ree_run_policy(r);
    for (int g = 0; g < r->nregion; g++)
        ree_resil_reset(&r->region_acc[g], region_service_level(r, g), 0, REE_RESIL_RECOVER_MONTHS);
}

void ree_run_reset(ree_run *r, unsigned long long seed, long long run)
{
    const ree_plan *p = r->p;
    int nm = r->nmat;
    size_t nnm = (size_t)p->nnode * (size_t)nm;
    size_t taken = (size_t)r->t; /* pipeline slots [0, taken) are zero: see below */
    ree_run_reset_params(r, seed, run);
    memset(r->state, 0, r->state_bytes);
    for (int e = 0; e < p->nentity; e++)
        if (p->entities[e].model->reset)
            p->entities[e].model->reset(r->par[e], r->state + r->soff[e], &r->ctx[e]);
    for (int n = 0; n < p->nnode; n++)
        memcpy(r->stock + (size_t)n * (size_t)nm, p->nodes[n].stock0, sizeof(double) * (size_t)nm);
    memset(r->total0, 0, sizeof(double) * (size_t)nm);
    for (size_t i = 0; i < nnm; i++)
        r->total0[i % (size_t)nm] += r->stock[i];
    offers_unbounded(r);
    double *zero_nm[] = {r->requested, r->requested_now, r->unmet, r->unmet_next};
    for (size_t i = 0; i < sizeof zero_nm / sizeof zero_nm[0]; i++)
        memset(zero_nm[i], 0, sizeof(double) * nnm);
    memset(r->scarcity, 0, sizeof(double) * (size_t)nm);
    for (int m = 0; m < nm; m++)
        r->price[m] = 1;
    memset(r->history, 0, sizeof(double) * (size_t)r->nsteps * (size_t)nm);
    /* Arrivals cleared the slot of each step taken (those they skip as 0 hold +0: no part
     * dispatched is -0), so only the later slots may hold an earlier run's shipments. */
    size_t w = (size_t)r->nsteps + 2;
    for (int l = 0; l < p->nlink; l++)
        memset(r->pipe + (size_t)l * w + taken, 0, sizeof(double) * (w - taken));
    memset(r->transit, 0, sizeof(double) * (size_t)p->nlink);
    memset(r->g_on_order, 0, sizeof(double) * (size_t)p->nlink);
    memset(r->g_fallback, 0, sizeof(double) * (size_t)p->nlink);
    memset(r->g_granted, 0, sizeof(double) * (size_t)p->nlink);
    /* Not zeroed here: every step overwrites its column, and ree_run_series zeroes the columns
     * of the steps not yet taken when it is asked before the run's end. */
    memset(r->indicators, 0, sizeof(double) * (size_t)p->nindicator);
}
