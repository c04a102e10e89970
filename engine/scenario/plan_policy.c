/*
 * Scenario loader, part 4: policy over time. The timeline is a list of dated parameter
 * changes; regimes are a Markov chain over named sets of parameter overrides. Both name a
 * parameter by path, `nodes.ID.KEY`, `links.ID.KEY`, `gates.ID.KEY` or simply `ID.KEY`, and
 * only parameters a model marks as changeable during a run may be named.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "override.h"
#include "rng.h"

/* Resolve `path` to (entity, parameter) with the grammar overrides share (override.c).
 * Returns 0, or -1 after an error located at `at`. */
static int resolve_path(loader *L, const ree_ynode *at, const char *where, const char *path,
                        int *entity, int *param)
{
    char why[400];
    if (ree_plan_param_path(L->p, path, 1, entity, param, why, sizeof why)) {
        ld_err(L, at, where, "%s", why);
        return -1;
    }
    return 0;
}

/* A `set:` mapping into an array of changes; `tag` keys the sampling streams. */
static int changes(loader *L, const ree_ynode *set, const char *path, const char *tag,
                   ree_change **out, int *count)
{
    *out = NULL;
    *count = 0;
    if (ld_expect(L, set, REE_Y_MAP, path))
        return -1;
    ree_change *ch = ld_calloc(L, set->n, sizeof *ch);
    if (!ch)
        return -1;
    *out = ch;
    for (size_t i = 0; i < set->n; i++) {
        const char *k = set->pairs[i].key->str;
        char kp[REE_PATH_MAX];
        snprintf(kp, sizeof kp, "%s.%s", path, k);
        int e, prm;
        if (resolve_path(L, set->pairs[i].key, kp, k, &e, &prm))
            continue;
        const ree_param_def *def = &L->p->entities[e].model->params[prm];
        if (ld_param_value(L, def, set->pairs[i].value, kp, &ch[*count].value))
            continue;
        ch[*count].entity = e;
        ch[*count].param = prm;
        char hk[REE_PATH_MAX + 64];
        snprintf(hk, sizeof hk, "%s:%s.%s", tag, L->p->entities[e].id, def->key);
        ch[*count].hash = ree_hash_id(hk);
        (*count)++;
    }
    return 0;
}

int ld_timeline(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    const ree_ynode *seq = ree_ymap_get(root, "timeline");
    if (!seq || ree_ynode_is_null(seq))
        return 0;
    if (ld_expect(L, seq, REE_Y_SEQ, "timeline"))
        return -1;
    p->events = ld_calloc(L, seq->n, sizeof *p->events);
    if (!p->events)
        return -1;
    static const char *const keys[] = {"date", "effective", "set", "note", NULL};
    int last = -1000000;
    for (size_t i = 0; i < seq->n; i++) {
        const ree_ynode *n = seq->items[i];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "timeline[%zu]", i);
        if (ld_expect(L, n, REE_Y_MAP, path))
            continue;
        ld_check_keys(L, n, path, keys);
        const ree_ynode *dn = ree_ymap_get(n, "date");
        const ree_ynode *sn = ree_ymap_get(n, "set");
        char dp[REE_PATH_MAX], sp[REE_PATH_MAX];
        ld_path(dp, path, "date");
        ld_path(sp, path, "set");
        int month;
        char why[160];
        if (!dn || !sn) {
            ld_err(L, n, path, "missing required key '%s'", dn ? "set" : "date");
            continue;
        }
        if (ld_expect(L, dn, REE_Y_SCALAR, dp))
            continue;
        if (ree_yscalar_month(dn, &month, why, sizeof why)) {
            ld_err(L, dn, dp, "%s", why);
            continue;
        }
        if (month < last) {
            ld_err(L, dn, dp, "events must be in date order: %s comes after an event dated later",
                   dn->str);
            continue;
        }
        last = month;
        /* `effective`: an announcement (date) whose changes apply from a later month. */
        int eff = month;
        const ree_ynode *en = ree_ymap_get(n, "effective");
        char ep[REE_PATH_MAX];
        ld_path(ep, path, "effective");
        if (en) {
            if (ld_expect(L, en, REE_Y_SCALAR, ep))
                continue;
            if (ree_yscalar_month(en, &eff, why, sizeof why)) {
                ld_err(L, en, ep, "%s", why);
                continue;
            }
            if (eff < month) {
                ld_err(L, en, ep, "effective %s comes before the announcement (date %s)", en->str,
                       dn->str);
                continue;
            }
        }
        int step = eff - p->start;
        if (step >= p->nsteps) {
            ree_diag_warning(L->d, en ? en->mark : dn->mark, en ? ep : dp,
                             "event after the horizon is ignored");
            continue;
        }
        ree_event *ev = &p->events[p->nevent];
        ev->step = step < 0 ? 0 : step;
        ev->mark = n->mark;
        const char *note = ld_str(L, n, "note", path, 0);
        ev->note = ld_strdup(L, note ? note : "");
        char tag[32];
        snprintf(tag, sizeof tag, "timeline@%d", month);
        if (changes(L, sn, sp, tag, &ev->changes, &ev->nchange) == 0) {
            p->nevent++;
        } else { /* the slot is reused: its note would be lost */
            free(ev->note);
            ev->note = NULL;
        }
    }
    /* Events apply in the order of their effective steps; among equal steps, in file order
     * (insertion sort: stable, and the lists are short). */
    for (int i = 1; i < p->nevent; i++) {
        ree_event e = p->events[i];
        int j = i;
        while (j > 0 && p->events[j - 1].step > e.step) {
            p->events[j] = p->events[j - 1];
            j--;
        }
        p->events[j] = e;
    }
    return 0;
}

int ld_regimes(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    const ree_ynode *r = ree_ymap_get(root, "regimes");
    if (!r || ree_ynode_is_null(r))
        return 0;
    if (ld_expect(L, r, REE_Y_MAP, "regimes"))
        return -1;
    static const char *const keys[] = {"start", "initial", "states", NULL};
    ld_check_keys(L, r, "regimes", keys);
    const ree_ynode *sn = ree_ymap_get(r, "start");
    char why[160];
    int month = p->start;
    if (sn && (ld_expect(L, sn, REE_Y_SCALAR, "regimes.start") ||
               ree_yscalar_month(sn, &month, why, sizeof why))) {
        if (sn->kind == REE_Y_SCALAR)
            ld_err(L, sn, "regimes.start", "%s", why);
        return -1;
    }
    /* Outside the horizon is allowed, as for timeline events, but said: before it, the chain
     * starts at step 0 (docs/engine.md); after it, never. */
    char edge[16];
    if (month - p->start >= p->nsteps) {
        ree_plan_date(p, p->nsteps - 1, edge, sizeof edge);
        ree_diag_warning(L->d, sn->mark, "regimes.start",
                         "start after the horizon (its last month is %s): the regimes never start "
                         "and are ignored",
                         edge);
    } else if (month < p->start) {
        ree_plan_date(p, 0, edge, sizeof edge);
        ree_diag_warning(L->d, sn->mark, "regimes.start",
                         "start before the horizon: the regimes start at its first month, %s",
                         edge);
    }
    p->regime_start = month - p->start < 0 ? 0 : month - p->start;
    const ree_ynode *states = ree_ymap_get(r, "states");
    if (!states) {
        ld_err(L, r, "regimes", "missing required key 'states'");
        return -1;
    }
    if (ld_expect(L, states, REE_Y_SEQ, "regimes.states"))
        return -1;
    if (states->n < 2 || states->n > 32) {
        ld_err(L, states, "regimes.states", "expected 2 to 32 regimes, found %zu", states->n);
        return -1;
    }
    int nr = (int)states->n;
    p->regimes = ld_calloc(L, (size_t)nr, sizeof *p->regimes);
    if (!p->regimes)
        return -1;
    static const char *const skeys[] = {"id", "set", "to", "note", NULL};
    for (int i = 0; i < nr; i++) {
        const ree_ynode *s = states->items[i];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "regimes.states[%d]", i);
        if (ld_expect(L, s, REE_Y_MAP, path))
            return -1;
        ld_check_keys(L, s, path, skeys);
        const char *id = ld_str(L, s, "id", path, 1);
        if (!id)
            return -1;
        for (int j = 0; j < i; j++)
            if (strcmp(p->regimes[j].id, id) == 0) {
                ld_err(L, ree_ymap_get(s, "id"), path, "duplicate regime id '%s'", id);
                return -1;
            }
        p->regimes[i].id = ld_strdup(L, id);
        p->regimes[i].to = ld_calloc(L, (size_t)nr, sizeof(double));
        p->nregime = i + 1;
    }
    for (int i = 0; i < nr && !L->oom; i++) {
        const ree_ynode *s = states->items[i];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "regimes.%s", p->regimes[i].id);
        const ree_ynode *set = ree_ymap_get(s, "set");
        if (set && !ree_ynode_is_null(set)) {
            char sp[REE_PATH_MAX], tag[80];
            ld_path(sp, path, "set");
            snprintf(tag, sizeof tag, "regime:%s", p->regimes[i].id);
            changes(L, set, sp, tag, &p->regimes[i].changes, &p->regimes[i].nchange);
        }
        const ree_ynode *to = ree_ymap_get(s, "to");
        char tp[REE_PATH_MAX];
        ld_path(tp, path, "to");
        if (!to || ree_ynode_is_null(to))
            continue;
        if (ld_expect(L, to, REE_Y_MAP, tp))
            continue;
        double sum = 0;
        for (size_t k = 0; k < to->n; k++) {
            char kp[REE_PATH_MAX];
            ld_path(kp, tp, to->pairs[k].key->str);
            int j = -1;
            for (int q = 0; q < nr; q++)
                if (strcmp(p->regimes[q].id, to->pairs[k].key->str) == 0)
                    j = q;
            double v;
            if (j < 0) {
                ld_err(L, to->pairs[k].key, kp, "unknown regime '%s'", to->pairs[k].key->str);
                continue;
            }
            if (j == i) {
                ld_err(L, to->pairs[k].key, kp,
                       "give only transitions to other regimes; staying is 1 minus their sum");
                continue;
            }
            if (ld_expect(L, to->pairs[k].value, REE_Y_SCALAR, kp))
                continue;
            if (ree_yscalar_double(to->pairs[k].value, &v, why, sizeof why)) {
                ld_err(L, to->pairs[k].value, kp, "%s", why);
                continue;
            }
            if (v < 0 || v > 1) {
                ld_err(L, to->pairs[k].value, kp, "a monthly probability in [0, 1], found %g", v);
                continue;
            }
            p->regimes[i].to[j] = v;
            sum += v;
        }
        if (sum > 1 + 1e-12)
            ld_err(L, to, tp, "transition probabilities sum to %g, more than 1", sum);
        p->regimes[i].to[i] = sum > 1 ? 0 : 1 - sum;
    }
    const char *init = ld_str(L, r, "initial", "regimes", 1);
    if (init) {
        for (int q = 0; q < nr; q++)
            if (strcmp(p->regimes[q].id, init) == 0)
                p->regime_initial = q;
        if (p->regime_initial < 0)
            ld_err(L, ree_ymap_get(r, "initial"), "regimes.initial", "unknown regime '%s'", init);
    }
    p->regime_hash = ree_hash_id("regimes");
    return 0;
}
