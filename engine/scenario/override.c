/* Overrides by path (see override.h). */
#include "override.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "params.h"

#define PATH_MAX_LEN 256

int ree_plan_param_path(const ree_plan *p, const char *path, int changeable, int *entity,
                        int *param, char *why, size_t whylen)
{
    char buf[PATH_MAX_LEN];
    if (strlen(path) >= sizeof buf) {
        snprintf(why, whylen, "path too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", path);
    char *parts[3];
    int np = 0;
    for (char *s = buf, *dot; np < 3; s = dot + 1) {
        parts[np++] = s;
        if (!(dot = strchr(s, '.')))
            break;
        *dot = 0;
    }
    const char *section = NULL, *id, *key;
    if (np == 3 && !strchr(parts[2], '.')) {
        section = parts[0], id = parts[1], key = parts[2];
        if (strcmp(section, "nodes") && strcmp(section, "links") && strcmp(section, "gates")) {
            snprintf(why, whylen, "a path starts with nodes, links or gates");
            return -1;
        }
    } else if (np == 2) {
        id = parts[0], key = parts[1];
    } else {
        snprintf(why, whylen, "not a parameter path (expected SECTION.ID.KEY or ID.KEY)");
        return -1;
    }
    int e = ree_plan_entity(p, id);
    if (e < 0 || (section && strcmp(section, p->entities[e].section) != 0)) {
        snprintf(why, whylen, "no %s with id '%s'", section ? section : "node, link or gate", id);
        return -1;
    }
    const ree_model *m = p->entities[e].model;
    int k = ree_model_param_index(m, key);
    if (k < 0) {
        char list[300] = "";
        for (size_t j = 0; j < m->nparams; j++)
            if ((!changeable || (m->params[j].flags & REE_PF_TIMELINE)) &&
                strlen(list) + 32 < sizeof list) {
                if (*list)
                    strcat(list, ", ");
                strcat(list, m->params[j].key);
            }
        snprintf(why, whylen, "model %s has no parameter '%s' (%s parameters: %s)", m->name, key,
                 changeable ? "changeable" : "its", list);
        return -1;
    }
    if (changeable && !(m->params[k].flags & REE_PF_TIMELINE)) {
        snprintf(why, whylen, "parameter '%s' of model %s cannot change during a run", key,
                 m->name);
        return -1;
    }
    *entity = e;
    *param = k;
    return 0;
}

/* Bounds of an initial stock, as the loader's. */
static const ree_param_def stock_def = {"stock", REE_PT_NUM, 0, 0,   0,
                                        0,       1e9,        0, "t", "initial stock of a material"};

int ree_slot_same(const ree_param_slot *a, const ree_param_slot *b)
{
    return a->spec == b->spec && a->stock == b->stock;
}

/* nodes.ID.stock.MAT or ID.stock.MAT: 1 and *out filled, 0 when the path is not of this form,
 * -1 with the reason when it is but names no node or material. */
static int stock_path(ree_plan *p, const char *path, ree_param_slot *out, char *why, size_t whylen)
{
    const char *id = !strncmp(path, "nodes.", 6) ? path + 6 : path;
    const char *st = strstr(id, ".stock.");
    if (!st || strchr(st + 7, '.') || st == id)
        return 0;
    char nid[PATH_MAX_LEN];
    if ((size_t)(st - id) >= sizeof nid)
        return 0;
    memcpy(nid, id, (size_t)(st - id));
    nid[st - id] = 0;
    if (strchr(nid, '.'))
        return 0;
    int e = ree_plan_entity(p, nid);
    if (e < 0 || e >= p->nnode) {
        snprintf(why, whylen, "no node with id '%s'", nid);
        return -1;
    }
    const char *mat = st + 7;
    int m = -1;
    for (int j = 0; j < p->nmat; j++)
        if (!strcmp(p->mat_id[j], mat))
            m = j;
    if (m < 0) {
        snprintf(why, whylen, "no material '%s'", mat);
        return -1;
    }
    ree_node *node = &p->nodes[e];
    if (!node->stock0 || !(node->materials >> m & 1)) { /* stock0: always allocated at load */
        snprintf(why, whylen, "node %s does not hold %s", nid, mat);
        return -1;
    }
    out->spec = NULL;
    out->def = &stock_def;
    out->entity = e;
    out->stock = &node->stock0[m];
    return 1;
}

/* The change of `ch[0..n)` that sets PARAM (the rest of the path). */
static int find_change(ree_plan *p, ree_change *ch, int n, const char *rest, const char *where,
                       ree_param_slot *out, char *why, size_t whylen)
{
    int e, k;
    if (ree_plan_param_path(p, rest, 1, &e, &k, why, whylen))
        return -1;
    for (int c = 0; c < n; c++)
        if (ch[c].entity == e && ch[c].param == k) {
            out->spec = &ch[c].value;
            out->def = &p->entities[e].model->params[k];
            out->entity = e;
            return 0;
        }
    snprintf(why, whylen, "%s does not set %s", where, rest);
    return -1;
}

int ree_plan_slot(ree_plan *p, const char *path, ree_param_slot *out, char *why, size_t whylen)
{
    out->stock = NULL;
    int sp = stock_path(p, path, out, why, whylen);
    if (sp)
        return sp < 0 ? -1 : 0;
    if (!strncmp(path, "timeline[", 9)) {
        char *end;
        errno = 0;
        long i = strtol(path + 9, &end, 10);
        if (end == path + 9 || errno || i < 0 || strncmp(end, "].set.", 6)) {
            snprintf(why, whylen, "expected timeline[I].set.PARAMETER, I a whole number from 0");
            return -1;
        }
        if (i >= p->nevent) {
            snprintf(why, whylen, "timeline[%ld]: the timeline has %d event%s within the horizon",
                     i, p->nevent, p->nevent == 1 ? "" : "s");
            return -1;
        }
        char where[48];
        snprintf(where, sizeof where, "timeline[%ld]", i);
        if (find_change(p, p->events[i].changes, p->events[i].nchange, end + 6, where, out, why,
                        whylen))
            return -1;
    } else if (!strncmp(path, "regimes.", 8)) {
        const char *id = path + 8, *set = strstr(id, ".set.");
        if (!set) {
            snprintf(why, whylen, "expected regimes.ID.set.PARAMETER");
            return -1;
        }
        int r = -1;
        for (int j = 0; j < p->nregime; j++)
            if (strlen(p->regimes[j].id) == (size_t)(set - id) &&
                !strncmp(p->regimes[j].id, id, (size_t)(set - id)))
                r = j;
        if (r < 0) {
            snprintf(why, whylen, "no regime '%.*s'", (int)(set - id), id);
            return -1;
        }
        char where[96];
        snprintf(where, sizeof where, "regime %s", p->regimes[r].id);
        if (find_change(p, p->regimes[r].changes, p->regimes[r].nchange, set + 5, where, out, why,
                        whylen))
            return -1;
    } else {
        int e, k;
        if (ree_plan_param_path(p, path, 0, &e, &k, why, whylen))
            return -1;
        out->spec = &p->entities[e].pspecs[k];
        out->def = &p->entities[e].model->params[k];
        out->entity = e;
    }
    if (out->def->type != REE_PT_NUM) {
        snprintf(why, whylen, "parameter '%s' is not a number", out->def->key);
        return -1;
    }
    return 0;
}

int ree_slot_check(const ree_param_slot *s, double v, char *why, size_t whylen)
{
    const ree_param_def *d = s->def;
    if (!isfinite(v)) {
        snprintf(why, whylen, "%s: expected a finite number", d->key);
        return -1;
    }
    if (v < d->min || v > d->max) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, d->min == DBL_MIN ? "(0" : "[%g", d->min);
        snprintf(hi, sizeof hi, isinf(d->max) ? "inf)" : "%g]", d->max);
        snprintf(why, whylen, "%s: %g is outside its bounds %s, %s", d->key, v, lo, hi);
        return -1;
    }
    if ((d->flags & REE_PF_INT) && v != nearbyint(v)) {
        snprintf(why, whylen, "%s: expected a whole number, found %g", d->key, v);
        return -1;
    }
    return 0;
}

int ree_slot_set(const ree_plan *p, const ree_param_slot *s, double v, char *why, size_t whylen)
{
    if (ree_slot_check(s, v, why, whylen))
        return REE_EINVALID;
    if (s->stock) {
        *s->stock = v;
        return 0;
    }
    ree_pspec old = *s->spec;
    s->spec->dist = (ree_dist){REE_DIST_CONST, v, 0, 0, -INFINITY, INFINITY};
    s->spec->given = 1;
    const ree_model *m = p->entities[s->entity].model;
    if (!m->check)
        return 0;
    void *buf = calloc(1, m->params_size ? m->params_size : 1);
    if (!buf) {
        *s->spec = old;
        snprintf(why, whylen, "out of memory");
        return REE_ENOMEM;
    }
    ree_params_fill(p, s->entity, buf, NULL, 0, 0);
    ree_model_ctx ctx = ree_plan_ctx(p, s->entity);
    const char *key = NULL;
    char mwhy[256] = "";
    int bad = m->check(buf, &ctx, &key, mwhy, sizeof mwhy);
    free(buf);
    if (bad) {
        *s->spec = old;
        snprintf(why, whylen, "%s = %g: %s", s->def->key, v, mwhy);
        return REE_EINVALID;
    }
    return 0;
}

double ree_slot_value(const ree_param_slot *s)
{
    if (s->stock)
        return *s->stock;
    const ree_dist *d = &s->spec->dist;
    if (d->kind == REE_DIST_CONST)
        return d->a;
    double lo, hi, v = ree_dist_mean(d);
    ree_dist_support(d, &lo, &hi);
    return v < lo ? lo : v > hi ? hi : v;
}

ree_status ree_plan_override(ree_plan *p, const char *const *paths, const double *values, int n,
                             char *err, size_t errlen)
{
    ree_param_slot *slots = calloc(n > 0 ? (size_t)n : 1, sizeof *slots);
    ree_pspec *old = calloc(n > 0 ? (size_t)n : 1, sizeof *old);
    double *oldv = calloc(n > 0 ? (size_t)n : 1, sizeof *oldv);
    if (!slots || !old || !oldv) {
        free(slots);
        free(old);
        free(oldv);
        snprintf(err, errlen, "out of memory");
        return REE_ENOMEM;
    }
    char why[400];
    int bad = -1, set = 0;
    for (int i = 0; i < n && bad < 0; i++)
        if (ree_plan_slot(p, paths[i], &slots[i], why, sizeof why) ||
            ree_slot_check(&slots[i], values[i], why, sizeof why))
            bad = i;
    for (; set < n && bad < 0; set++) {
        if (slots[set].stock)
            oldv[set] = *slots[set].stock;
        else
            old[set] = *slots[set].spec;
        if (ree_slot_set(p, &slots[set], values[set], why, sizeof why))
            bad = set; /* ree_slot_set left this one unchanged */
    }
    if (bad >= 0) {
        snprintf(err, errlen, "%s: %s", paths[bad], why);
        /* Undo in reverse order, so a path given twice gets its first value back. */
        for (int j = (set > bad ? bad : set); j-- > 0;)
            if (slots[j].stock)
                *slots[j].stock = oldv[j];
            else
                *slots[j].spec = old[j];
    }
    free(slots);
    free(old);
    free(oldv);
    return bad >= 0 ? REE_EINVALID : REE_OK;
}
