/*
 * Scenario loader, part 2: the sections of a scenario file, in the order they are resolved:
 * header, horizon, materials, nodes (and their end-use tags), gates, links, timeline, regimes.
 * Series, indicators, report filters and observations are in plan_series.c. Errors are
 * collected (up to the diagnostic bound) rather than stopping at the first.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "sha256.h"
#include "params.h"
#include "rng.h"

static int nonempty_seq(loader *L, const ree_ynode *root, const char *key, int required,
                        const ree_ynode **out)
{
    const ree_ynode *n = ree_ymap_get(root, key);
    *out = NULL;
    if (!n || ree_ynode_is_null(n)) {
        if (required)
            ld_err(L, root, "", "missing required key '%s'", key);
        return required ? -1 : 0;
    }
    if (ld_expect(L, n, REE_Y_SEQ, key))
        return -1;
    *out = n;
    return 0;
}

static int header(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    const ree_ynode *v = ree_ymap_get(root, "reesim");
    if (!v) {
        ld_err(L, root, "reesim", "missing schema version: start the file with 'reesim: 1'");
    } else {
        long long ver;
        char why[160];
        if (ld_expect(L, v, REE_Y_SCALAR, "reesim") == 0) {
            if (ree_yscalar_int(v, &ver, why, sizeof why))
                ld_err(L, v, "reesim", "%s", why);
            else if (ver != 1)
                ld_err(L, v, "reesim", "unsupported schema version %lld (this reesim reads 1)",
                       ver);
        }
    }
    const char *name = ld_str(L, root, "name", "", 1);
    if (name && ld_ident(L, ree_ymap_get(root, "name"), "name") == 0)
        p->name = ld_strdup(L, name);
    const char *desc = ld_str(L, root, "description", "", 0);
    p->description = ld_strdup(L, desc ? desc : "");
    const ree_ynode *src = ree_ymap_get(root, "sources");
    if (src && !ree_ynode_is_null(src)) {
        if (src->kind == REE_Y_SCALAR) {
            p->sources = ld_calloc(L, 1, sizeof *p->sources);
            if (p->sources)
                p->sources[p->nsources++] = ld_strdup(L, src->str);
        } else if (ld_expect(L, src, REE_Y_SEQ, "sources") == 0) {
            p->sources = ld_calloc(L, src->n, sizeof *p->sources);
            for (size_t i = 0; p->sources && i < src->n; i++) {
                char ip[REE_PATH_MAX];
                snprintf(ip, sizeof ip, "sources[%zu]", i);
                if (ld_expect(L, src->items[i], REE_Y_SCALAR, ip) == 0)
                    p->sources[p->nsources++] = ld_strdup(L, src->items[i]->str);
            }
        }
    }
    /* runs and seed: defaults a command line may override. */
    p->runs = 1000;
    p->seed = 1;
    const ree_ynode *r = ree_ymap_get(root, "runs");
    char why[160];
    if (r && ld_expect(L, r, REE_Y_SCALAR, "runs") == 0) {
        long long n;
        if (ree_yscalar_int(r, &n, why, sizeof why))
            ld_err(L, r, "runs", "%s", why);
        else if (n < 1 || n > 100000000)
            ld_err(L, r, "runs", "expected 1 to 100000000 runs, found %lld", n);
        else
            p->runs = n;
    }
    const ree_ynode *s = ree_ymap_get(root, "seed");
    if (s && ld_expect(L, s, REE_Y_SCALAR, "seed") == 0) {
        long long n;
        if (ree_yscalar_int(s, &n, why, sizeof why))
            ld_err(L, s, "seed", "%s", why);
        else if (n < 0)
            ld_err(L, s, "seed", "expected a seed >= 0, found %lld", n);
        else
            p->seed = (unsigned long long)n;
    }
    return 0;
}

static int horizon(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    const ree_ynode *h = ree_ymap_get(root, "horizon");
    if (!h) {
        ld_err(L, root, "",
               "missing required key 'horizon' (e.g. horizon: {start: 2025-01, "
               "steps: 24})");
        return -1;
    }
    if (ld_expect(L, h, REE_Y_MAP, "horizon"))
        return -1;
    static const char *const keys[] = {"start", "steps", NULL};
    ld_check_keys(L, h, "horizon", keys);
    char why[160];
    const ree_ynode *st = ree_ymap_get(h, "start");
    const ree_ynode *sn = ree_ymap_get(h, "steps");
    int ok = 1;
    if (!st) {
        ld_err(L, h, "horizon", "missing required key 'start' (a month, YYYY-MM)");
        ok = 0;
    } else if (ld_expect(L, st, REE_Y_SCALAR, "horizon.start") ||
               ree_yscalar_month(st, &p->start, why, sizeof why)) {
        if (st->kind == REE_Y_SCALAR)
            ld_err(L, st, "horizon.start", "%s", why);
        ok = 0;
    }
    long long n = 0;
    if (!sn) {
        ld_err(L, h, "horizon", "missing required key 'steps' (number of months)");
        ok = 0;
    } else if (ld_expect(L, sn, REE_Y_SCALAR, "horizon.steps")) {
        ok = 0;
    } else if (ree_yscalar_int(sn, &n, why, sizeof why)) {
        ld_err(L, sn, "horizon.steps", "%s", why);
        ok = 0;
    } else if (n < 1 || n > 1200) {
        ld_err(L, sn, "horizon.steps", "expected 1 to 1200 months, found %lld", n);
        ok = 0;
    }
    /* Dates are written YYYY-MM: the last month must be 9999-12 at the latest. */
    const int last = 9999 * 12 + 11;
    if (ok && p->start + n - 1 > last) {
        long long end = p->start + n - 1;
        ld_err(L, sn, "horizon.steps",
               "%lld months from %s end in %lld-%02lld, after 9999-12 (dates are written "
               "YYYY-MM): at most %d month%s from this start",
               n, st->str, end / 12, end % 12 + 1, last - p->start + 1,
               last - p->start + 1 == 1 ? "" : "s");
        ok = 0;
    }
    p->nsteps = (int)n;
    return ok ? 0 : -1;
}

static int unique_id(loader *L, char **ids, int count, const ree_ynode *n, const char *path,
                     const char *what)
{
    for (int i = 0; i < count; i++)
        if (ids[i] && strcmp(ids[i], n->str) == 0) {
            ld_err(L, n, path, "duplicate %s id '%s'", what, n->str);
            return -1;
        }
    return 0;
}

static int materials(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    const ree_ynode *seq;
    if (nonempty_seq(L, root, "materials", 1, &seq) || !seq)
        return -1;
    if (seq->n == 0 || seq->n > REE_MAX_MATERIALS) {
        ld_err(L, seq, "materials", "expected 1 to %d materials, found %zu", REE_MAX_MATERIALS,
               seq->n);
        return -1;
    }
    p->mat_id = ld_calloc(L, seq->n, sizeof(char *));
    p->mat_name = ld_calloc(L, seq->n, sizeof(char *));
    p->mat_unit = ld_calloc(L, seq->n, sizeof(char *));
    if (L->oom)
        return -1;
    static const char *const keys[] = {"id", "name", "unit", NULL};
    for (size_t i = 0; i < seq->n; i++) {
        const ree_ynode *m = seq->items[i];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "materials[%zu]", i);
        if (ld_expect(L, m, REE_Y_MAP, path))
            continue;
        ld_check_keys(L, m, path, keys);
        const char *id = ld_str(L, m, "id", path, 1);
        if (!id)
            continue;
        char ip[REE_PATH_MAX];
        ld_path(ip, path, "id");
        if (ld_ident(L, ree_ymap_get(m, "id"), ip) ||
            unique_id(L, p->mat_id, p->nmat, ree_ymap_get(m, "id"), ip, "material"))
            continue;
        const char *name = ld_str(L, m, "name", path, 0);
        const char *unit = ld_str(L, m, "unit", path, 0);
        if (unit && strcmp(unit, "t") != 0) {
            char up[REE_PATH_MAX];
            ld_path(up, path, "unit");
            ld_err(L, ree_ymap_get(m, "unit"), up,
                   "unsupported unit '%s': every flow is in tonnes ('t')", unit);
            continue;
        }
        p->mat_id[p->nmat] = ld_strdup(L, id);
        p->mat_name[p->nmat] = ld_strdup(L, name ? name : id);
        p->mat_unit[p->nmat] = ld_strdup(L, "t");
        p->nmat++;
    }
    return 0;
}

/* Parameters of entity `e` from the keys of `map` that are not in `skip`. */
static void entity_params(loader *L, int e, const ree_ynode *map, const ree_ynode *at,
                          const char *path, const char *const *skip)
{
    ree_entity *ent = &L->p->entities[e];
    const ree_model *m = ent->model;
    ent->pspecs = ld_calloc(L, m->nparams, sizeof *ent->pspecs);
    ent->phash = ld_calloc(L, m->nparams, sizeof *ent->phash);
    if (L->oom)
        return;
    for (size_t i = 0; map && i < map->n; i++) {
        const char *k = map->pairs[i].key->str;
        int skipped = 0;
        for (const char *const *s = skip; s && *s; s++)
            skipped |= strcmp(*s, k) == 0;
        if (skipped || ree_model_param_index(m, k) >= 0)
            continue;
        char list[400] = "";
        for (size_t j = 0; j < m->nparams && strlen(list) + 40 < sizeof list; j++) {
            if (j)
                strcat(list, ", ");
            strcat(list, m->params[j].key);
        }
        char kp[REE_PATH_MAX];
        ld_path(kp, path, k);
        ld_err(L, map->pairs[i].key, kp, "unknown parameter '%s' of model %s (parameters: %s)", k,
               m->name, list);
    }
    for (size_t i = 0; i < m->nparams; i++) {
        const ree_param_def *def = &m->params[i];
        const ree_ynode *v = map ? ree_ymap_get(map, def->key) : NULL;
        char kp[REE_PATH_MAX];
        ld_path(kp, path, def->key);
        char hk[REE_PATH_MAX];
        snprintf(hk, sizeof hk, "%s.%s", ent->id, def->key);
        ent->phash[i] = ree_hash_id(hk);
        if (!v && def->required) {
            ld_err(L, map ? map : at, path, "missing required parameter '%s' [%s]: %s", def->key,
                   def->unit, def->doc);
            continue;
        }
        ld_param_value(L, def, v, kp, &ent->pspecs[i]);
    }
}

static int new_entity(loader *L, int e, const char *id, const char *section, const ree_model *model,
                      const ree_ynode *n)
{
    ree_entity *ent = &L->p->entities[e];
    if (!ent->id)
        ent->id = ld_strdup(L, id);
    ent->section = section;
    ent->hash = ree_hash_id(id);
    ent->model = model;
    ent->mark = n->mark;
    return ent->id ? 0 : -1;
}

static int find_entity(const ree_plan *p, const char *id, int from, int to)
{
    for (int e = from; e < to; e++)
        if (p->entities[e].id && strcmp(p->entities[e].id, id) == 0)
            return e;
    return -1;
}

static int nodes(loader *L, const ree_ynode *root, const ree_ynode *seq)
{
    ree_plan *p = L->p;
    static const char *const keys[] = {"id", "model", "region", "end_use", "stock", "params", NULL};
    char **tags = ld_calloc(L, REE_MAX_TAGS, sizeof *tags);
    p->tags = tags;
    (void)root;
    for (size_t i = 0; seq && i < seq->n && !L->oom; i++) {
        const ree_ynode *n = seq->items[i];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "nodes[%zu]", i);
        ree_node *node = &p->nodes[i];
        node->entity = (int)i;
        node->end_use = -1;
        node->stock0 = ld_calloc(L, (size_t)p->nmat, sizeof(double));
        if (ld_expect(L, n, REE_Y_MAP, path))
            continue;
        ld_check_keys(L, n, path, keys);
        const char *id = ld_str(L, n, "id", path, 1);
        if (!id)
            continue;
        char ip[REE_PATH_MAX];
        ld_path(ip, path, "id");
        if (ld_ident(L, ree_ymap_get(n, "id"), ip))
            continue;
        if (find_entity(p, id, 0, (int)i) >= 0) {
            ld_err(L, ree_ymap_get(n, "id"), ip, "duplicate node id '%s'", id);
            continue;
        }
        snprintf(path, sizeof path, "nodes.%s", id);
        /* The id is known even if the rest is broken, so links to it are not reported too. */
        p->entities[i].id = ld_strdup(L, id);
        p->entities[i].section = "nodes";
        const char *mname = ld_str(L, n, "model", path, 1);
        if (!mname)
            continue;
        const ree_model *model = ree_model_find(mname);
        char mp[REE_PATH_MAX];
        ld_path(mp, path, "model");
        if (!model || model->kind != REE_MODEL_NODE) {
            char list[300] = "";
            size_t cnt;
            const ree_model *const *all = ree_models(&cnt);
            for (size_t j = 0; j < cnt; j++)
                if (all[j]->kind == REE_MODEL_NODE) {
                    if (*list)
                        strcat(list, ", ");
                    strcat(list, all[j]->name);
                }
            ld_err(L, ree_ymap_get(n, "model"), mp, "unknown node model '%s' (models: %s)", mname,
                   list);
            continue;
        }
        if (new_entity(L, (int)i, id, "nodes", model, n))
            continue;
        const char *region = ld_str(L, n, "region", path, 0);
        node->region = ld_strdup(L, region ? region : "");
        const char *eu = ld_str(L, n, "end_use", path, 0);
        if (eu) {
            char ep[REE_PATH_MAX];
            ld_path(ep, path, "end_use");
            int t = ld_tag(p, eu);
            if (t < 0 && ld_ident(L, ree_ymap_get(n, "end_use"), ep) == 0) {
                if (p->ntag >= REE_MAX_TAGS)
                    ld_err(L, ree_ymap_get(n, "end_use"), ep, "more than %d end uses",
                           REE_MAX_TAGS);
                else
                    tags[t = p->ntag++] = ld_strdup(L, eu);
            }
            node->end_use = t;
        }
        const ree_ynode *st = ree_ymap_get(n, "stock");
        if (st) {
            char sp[REE_PATH_MAX];
            ld_path(sp, path, "stock");
            ree_param_def def = {"stock", REE_PT_MATMAP, 0, 0, 0, 0, REE_MAX_TONNES, 0, "t", ""};
            ree_pspec spec;
            if (ld_param_value(L, &def, st, sp, &spec) == 0 && spec.vec) {
                memcpy(node->stock0, spec.vec, sizeof(double) * (size_t)p->nmat);
            }
            free((void *)spec.vec);
        }
        const ree_ynode *pm = ree_ymap_get(n, "params");
        char pp[REE_PATH_MAX];
        ld_path(pp, path, "params");
        if (pm && ld_expect(L, pm, REE_Y_MAP, pp))
            pm = NULL;
        entity_params(L, (int)i, pm, n, pp, NULL);
    }
    return 0;
}

/* Rules of the gates in `seq` (their `rules:` sequences), for sizing the entity array. */
static int count_rules(const ree_ynode *seq)
{
    int n = 0;
    for (size_t i = 0; seq && i < seq->n; i++) {
        const ree_ynode *g = seq->items[i];
        const ree_ynode *r = g->kind == REE_Y_MAP ? ree_ymap_get(g, "rules") : NULL;
        if (r && r->kind == REE_Y_SEQ)
            n += (int)r->n;
    }
    return n;
}

/* snprintf into a REE_PATH_MAX buffer, truncating (paths and ids are far shorter). */
static void fmt_path(char *out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void fmt_path(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(out, REE_PATH_MAX, fmt, ap) >= REE_PATH_MAX)
        out[REE_PATH_MAX - 1] = 0;
    va_end(ap);
}

/* A rule's criterion list `key` (a sequence of scalars); NULL when absent or after an error. */
static const ree_ynode *rule_list(loader *L, const ree_ynode *rn, const char *key, const char *path)
{
    const ree_ynode *v = ree_ymap_get(rn, key);
    char kp[REE_PATH_MAX];
    ld_path(kp, path, key);
    if (!v || ld_expect(L, v, REE_Y_SEQ, kp))
        return NULL;
    if (v->n == 0) {
        ld_err(L, v, kp, "an empty list matches no buyer: leave '%s' out to match any", key);
        return NULL;
    }
    for (size_t i = 0; i < v->n; i++) {
        char ip[REE_PATH_MAX];
        fmt_path(ip, "%s[%zu]", kp, i);
        if (ld_expect(L, v->items[i], REE_Y_SCALAR, ip) || ree_ynode_is_null(v->items[i])) {
            if (v->items[i]->kind == REE_Y_SCALAR)
                ld_err(L, v->items[i], ip, "expected a string, found null");
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v->items[j]->str, v->items[i]->str)) {
                ld_err(L, v->items[i], ip, "'%s' is listed twice", v->items[i]->str);
                return NULL;
            }
    }
    return v;
}

/* The `rules:` of gate g (entity ge), as entities from index *next on. */
static void gate_rules(loader *L, int g, const ree_ynode *n, const char *gpath, int *next)
{
    ree_plan *p = L->p;
    const ree_ynode *seq = ree_ymap_get(n, "rules");
    char sp[REE_PATH_MAX];
    ld_path(sp, gpath, "rules");
    if (!seq || ld_expect(L, seq, REE_Y_SEQ, sp))
        return;
    const ree_model *rm = p->entities[p->gates[g].entity].model->rules;
    if (!rm) {
        ld_err(L, seq, sp, "gate model %s takes no rules",
               p->entities[p->gates[g].entity].model->name);
        return;
    }
    static const char *const skip[] = {"id", "regions", "end_uses", "buyers", NULL};
    int first = *next;
    for (size_t i = 0; i < seq->n && !L->oom; i++) {
        const ree_ynode *rn = seq->items[i];
        char path[REE_PATH_MAX];
        fmt_path(path, "%s[%zu]", sp, i);
        if (ld_expect(L, rn, REE_Y_MAP, path))
            continue;
        const char *id = ld_str(L, rn, "id", path, 1);
        char ip[REE_PATH_MAX];
        ld_path(ip, path, "id");
        if (!id || ld_ident(L, ree_ymap_get(rn, "id"), ip))
            continue;
        char full[REE_PATH_MAX];
        fmt_path(full, "%s/%s", p->entities[p->gates[g].entity].id, id);
        if (find_entity(p, full, first, *next) >= 0) {
            ld_err(L, ree_ymap_get(rn, "id"), ip, "duplicate rule id '%s' in this gate", id);
            continue;
        }
        fmt_path(path, "gates.%s", full);
        int e = (*next)++;
        ree_rule *r = &p->rules[p->nrule++];
        r->entity = e;
        r->gate = g;
        if (new_entity(L, e, full, "gates", rm, rn))
            continue;
        entity_params(L, e, rn, rn, path, skip);
        const ree_ynode *regions = rule_list(L, rn, "regions", path);
        const ree_ynode *uses = rule_list(L, rn, "end_uses", path);
        const ree_ynode *buyers = rule_list(L, rn, "buyers", path);
        if (!ree_ymap_get(rn, "regions") && !ree_ymap_get(rn, "end_uses") &&
            !ree_ymap_get(rn, "buyers")) {
            ld_err(L, rn, path,
                   "a rule names the buyers it applies to: give regions, end_uses or buyers "
                   "(the gate's own parameters apply to everyone else)");
            continue;
        }
        if (regions) {
            r->regions = ld_calloc(L, regions->n, sizeof *r->regions);
            for (size_t k = 0; r->regions && k < regions->n; k++) {
                const char *name = regions->items[k]->str;
                int known = 0;
                for (int m = 0; m < p->nnode; m++)
                    known |= p->nodes[m].region && !strcmp(p->nodes[m].region, name);
                if (!known) {
                    char kp[REE_PATH_MAX];
                    fmt_path(kp, "%s.regions[%zu]", path, k);
                    ld_err(L, regions->items[k], kp, "no node is in region '%s'", name);
                }
                r->regions[r->nregion++] = ld_strdup(L, name);
            }
        }
        if (uses) {
            r->has_end_uses = 1;
            for (size_t k = 0; k < uses->n; k++) {
                int t = ld_tag(p, uses->items[k]->str);
                char kp[REE_PATH_MAX];
                fmt_path(kp, "%s.end_uses[%zu]", path, k);
                if (t < 0)
                    ld_err(L, uses->items[k], kp, "no node has end use '%s'", uses->items[k]->str);
                else
                    r->end_uses |= UINT64_C(1) << t;
            }
        }
        if (buyers) {
            r->buyers = ld_calloc(L, buyers->n, sizeof *r->buyers);
            for (size_t k = 0; r->buyers && k < buyers->n; k++) {
                int b = find_entity(p, buyers->items[k]->str, 0, p->nnode);
                char kp[REE_PATH_MAX];
                fmt_path(kp, "%s.buyers[%zu]", path, k);
                if (b < 0)
                    ld_err(L, buyers->items[k], kp, "unknown node '%s'", buyers->items[k]->str);
                else
                    r->buyers[r->nbuyer++] = b;
            }
        }
    }
}

static int gates(loader *L, const ree_ynode *seq, int base)
{
    ree_plan *p = L->p;
    int next = base + p->ngate;
    for (size_t i = 0; seq && i < seq->n && !L->oom; i++) {
        const ree_ynode *n = seq->items[i];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "gates[%zu]", i);
        p->gates[i].entity = base + (int)i;
        if (ld_expect(L, n, REE_Y_MAP, path))
            continue;
        const char *id = ld_str(L, n, "id", path, 1);
        if (!id)
            continue;
        char ip[REE_PATH_MAX];
        ld_path(ip, path, "id");
        if (ld_ident(L, ree_ymap_get(n, "id"), ip))
            continue;
        if (find_entity(p, id, 0, base + (int)i) >= 0) {
            ld_err(L, ree_ymap_get(n, "id"), ip,
                   "duplicate id '%s' (ids of nodes, links and "
                   "gates share one name space)",
                   id);
            continue;
        }
        snprintf(path, sizeof path, "gates.%s", id);
        const char *mname = ld_str(L, n, "model", path, 0);
        const ree_model *model = ree_model_find(mname ? mname : "gate");
        if (!model || model->kind != REE_MODEL_GATE) {
            char mp[REE_PATH_MAX];
            ld_path(mp, path, "model");
            ld_err(L, ree_ymap_get(n, "model"), mp, "unknown gate model '%s'", mname);
            continue;
        }
        if (new_entity(L, base + (int)i, id, "gates", model, n))
            continue;
        static const char *const skip[] = {"id", "model", "rules", NULL};
        entity_params(L, base + (int)i, n, n, path, skip);
        gate_rules(L, (int)i, n, path, &next);
    }
    /* Rules skipped by errors leave entities without a model: the plan is rejected anyway, but
     * every entity must have one for the plan to be freed. */
    p->nentity = next;
    return 0;
}

static int node_by_id(loader *L, const ree_ynode *map, const char *key, const char *path)
{
    const char *id = ld_str(L, map, key, path, 1);
    if (!id)
        return -1;
    int e = find_entity(L->p, id, 0, L->p->nnode);
    if (e < 0) {
        char kp[REE_PATH_MAX];
        ld_path(kp, path, key);
        ld_err(L, ree_ymap_get(map, key), kp, "unknown node '%s'", id);
    }
    return e;
}

static int links(loader *L, const ree_ynode *seq, int base, int gbase)
{
    ree_plan *p = L->p;
    const ree_model *lm = ree_model_find("link");
    static const char *const skip[] = {"id", "from", "to", "material", "gate", NULL};
    for (size_t i = 0; seq && i < seq->n && !L->oom; i++) {
        const ree_ynode *n = seq->items[i];
        ree_link *lk = &p->links[i];
        lk->entity = base + (int)i;
        lk->from = lk->to = lk->material = lk->gate = -1;
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "links[%zu]", i);
        if (ld_expect(L, n, REE_Y_MAP, path))
            continue;
        lk->from = node_by_id(L, n, "from", path);
        lk->to = node_by_id(L, n, "to", path);
        const ree_ynode *mn = ree_ymap_get(n, "material");
        char mp[REE_PATH_MAX];
        ld_path(mp, path, "material");
        if (!mn)
            ld_err(L, n, path, "missing required key 'material'");
        else if (ld_expect(L, mn, REE_Y_SCALAR, mp) == 0 &&
                 (lk->material = ld_material(p, mn->str)) < 0)
            ld_err(L, mn, mp, "unknown material '%s'", mn->str);
        if (lk->from < 0 || lk->to < 0 || lk->material < 0)
            continue;
        if (lk->from == lk->to) {
            ld_err(L, n, path, "a link from node '%s' to itself", p->entities[lk->from].id);
            continue;
        }
        char id[160];
        const char *given = ld_str(L, n, "id", path, 0);
        if (given) {
            char ip[REE_PATH_MAX];
            ld_path(ip, path, "id");
            if (ld_ident(L, ree_ymap_get(n, "id"), ip))
                continue;
            snprintf(id, sizeof id, "%s", given);
        } else {
            snprintf(id, sizeof id, "%s->%s", p->entities[lk->from].id, p->entities[lk->to].id);
        }
        if (find_entity(p, id, 0, base + (int)i) >= 0 ||
            find_entity(p, id, gbase, gbase + p->ngate) >= 0) {
            ld_err(L, n, path, "duplicate id '%s'%s", id,
                   given ? "" : ": two links join the same nodes, give each an 'id'");
            continue;
        }
        snprintf(path, sizeof path, "links.%s", id);
        if (new_entity(L, base + (int)i, id, "links", lm, n))
            continue;
        const char *g = ld_str(L, n, "gate", path, 0);
        if (g) {
            int ge = find_entity(p, g, gbase, gbase + p->ngate);
            if (ge < 0) {
                char gp[REE_PATH_MAX];
                ld_path(gp, path, "gate");
                ld_err(L, ree_ymap_get(n, "gate"), gp, "unknown gate '%s'", g);
            } else {
                lk->gate = ge - gbase;
            }
        }
        entity_params(L, base + (int)i, n, n, path, skip);
    }
    return 0;
}

/* The plan of a loaded tree; takes ownership of `t`. */
static ree_plan *plan_from_tree(ree_ytree *t, const char *path, ree_diag *d, ree_status *status)
{
    ree_plan *p = calloc(1, sizeof *p);
    loader L = {p, d, 0};
    if (!p) {
        ree_ytree_free(t);
        *status = REE_ENOMEM;
        return NULL;
    }
    p->nreport = -1; /* until a `report.series` is read */
    p->balance_tol = 1e-9;
    p->file = ld_strdup(&L, path);
    p->regime_initial = -1;
    const ree_source *src = ree_ytree_source(t);
    if (ree_sha256_hex(src->text, src->len, p->sha256_hex))
        L.oom = 1;
    const ree_ynode *root = ree_ytree_root(t);
    size_t before = ree_diag_count(d);
    if (ld_expect(&L, root, REE_Y_MAP, "") == 0) {
        static const char *const keys[] = {
            "reesim",  "name",      "description",  "sources",   "horizon", "runs",
            "seed",    "materials", "nodes",        "links",     "gates",   "timeline",
            "regimes", "report",    "observations", "calibrate", "explore", NULL};
        ld_check_keys(&L, root, "", keys);
        header(&L, root);
        int hz = horizon(&L, root);
        materials(&L, root);
        const ree_ynode *ns, *ls, *gs;
        nonempty_seq(&L, root, "nodes", 1, &ns);
        nonempty_seq(&L, root, "links", 0, &ls);
        nonempty_seq(&L, root, "gates", 0, &gs);
        p->nnode = ns ? (int)ns->n : 0;
        p->nlink = ls ? (int)ls->n : 0;
        p->ngate = gs ? (int)gs->n : 0;
        int nrule = count_rules(gs);
        p->nentity = p->nnode + p->nlink + p->ngate + nrule;
        p->entities = ld_calloc(&L, (size_t)p->nentity, sizeof *p->entities);
        p->nodes = ld_calloc(&L, (size_t)p->nnode, sizeof *p->nodes);
        p->links = ld_calloc(&L, (size_t)p->nlink, sizeof *p->links);
        p->gates = ld_calloc(&L, (size_t)p->ngate, sizeof *p->gates);
        p->rules = ld_calloc(&L, (size_t)nrule, sizeof *p->rules);
        if (!L.oom && hz == 0 && p->nmat > 0 && ree_diag_count(d) == before) {
            nodes(&L, root, ns);
            gates(&L, gs, p->nnode + p->nlink);
            links(&L, ls, p->nnode, p->nnode + p->nlink);
            if (ree_diag_count(d) == before && !L.oom)
                ld_network(&L);
            if (ree_diag_count(d) == before && !L.oom) {
                ld_timeline(&L, root);
                ld_regimes(&L, root);
            }
            if (ree_diag_count(d) == before && !L.oom)
                ld_series(&L, root);
            if (ree_diag_count(d) == before && !L.oom)
                ld_observations(&L, root, path);
            if (ree_diag_count(d) == before && !L.oom)
                ld_calibrate(&L, root);
            if (ree_diag_count(d) == before && !L.oom)
                ld_explore(&L, root);
        }
    }
    ree_ytree_free(t);
    if (L.oom || ree_diag_count(d) > before) {
        *status = L.oom ? REE_ENOMEM : REE_EINVALID;
        ree_plan_free(p);
        return NULL;
    }
    *status = REE_OK;
    return p;
}

ree_plan *ree_plan_load(const char *path, ree_diag *d, ree_status *status)
{
    ree_status st = REE_OK;
    ree_ytree *t = ree_ytree_load(path, d, &st);
    if (!t) {
        *status = st;
        return NULL;
    }
    return plan_from_tree(t, path, d, status);
}

ree_plan *ree_plan_load_buffer(const char *name, const char *bytes, size_t len, ree_diag *d,
                               ree_status *status)
{
    ree_status st = REE_OK;
    ree_ytree *t = ree_ytree_load_buffer(name, bytes, len, d, &st);
    if (!t) {
        *status = st;
        return NULL;
    }
    return plan_from_tree(t, name, d, status);
}
