/*
 * Scenario loader, part 1: strict schema helpers and parameter values (constants and
 * distributions). Every error names the key path and is located at the offending node.
 */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"

void ld_err(loader *L, const ree_ynode *n, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ree_mark none = {NULL, 0, 0};
    ree_diag_error(L->d, n ? n->mark : none, path, "%s", msg);
}

void *ld_calloc(loader *L, size_t n, size_t size)
{
    void *q = calloc(n ? n : 1, size ? size : 1);
    if (!q)
        L->oom = 1;
    return q;
}

char *ld_strdup(loader *L, const char *s)
{
    size_t len = strlen(s);
    char *q = ld_calloc(L, len + 1, 1);
    if (q)
        memcpy(q, s, len + 1);
    return q;
}

/* Called for every key the loader reads (about 700 times for historical-2025): concatenated by
 * hand, as snprintf's format machinery was 8% of `reesim validate`. Truncates as snprintf. */
void ld_path(char *out, const char *base, const char *key)
{
    size_t o = 0;
    if (base && *base) {
        size_t n = strlen(base);
        n = n < REE_PATH_MAX - 1 ? n : REE_PATH_MAX - 1;
        memmove(out, base, n);
        o = n;
        if (o < REE_PATH_MAX - 1)
            out[o++] = '.';
    }
    size_t k = strlen(key);
    k = k < REE_PATH_MAX - 1 - o ? k : REE_PATH_MAX - 1 - o;
    memmove(out + o, key, k);
    out[o + k] = '\0';
}

int ld_expect(loader *L, const ree_ynode *n, ree_ykind k, const char *path)
{
    if (n->kind == k)
        return 0;
    ld_err(L, n, path, "expected %s, found %s", ree_ykind_article(k), ree_ykind_article(n->kind));
    return -1;
}

int ld_check_keys(loader *L, const ree_ynode *map, const char *path, const char *const *allowed)
{
    int bad = 0;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->pairs[i].key->str;
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k) == 0)
                ok = 1;
        if (ok)
            continue;
        char list[256] = "";
        for (const char *const *a = allowed; *a; a++) {
            if (strlen(list) + strlen(*a) + 3 >= sizeof list)
                break;
            if (a != allowed)
                strcat(list, ", ");
            strcat(list, *a);
        }
        char kp[REE_PATH_MAX];
        ld_path(kp, path, k);
        ld_err(L, map->pairs[i].key, kp, "unknown key '%s' (expected one of: %s)", k, list);
        bad++;
    }
    return bad;
}

const char *ld_str(loader *L, const ree_ynode *map, const char *key, const char *path, int required)
{
    const ree_ynode *n = ree_ymap_get(map, key);
    char kp[REE_PATH_MAX];
    ld_path(kp, path, key);
    if (!n) {
        if (required)
            ld_err(L, map, path, "missing required key '%s'", key);
        return NULL;
    }
    if (ld_expect(L, n, REE_Y_SCALAR, kp))
        return NULL;
    if (ree_ynode_is_null(n)) {
        ld_err(L, n, kp, "expected a string, found null");
        return NULL;
    }
    return n->str;
}

int ld_ident(loader *L, const ree_ynode *n, const char *path)
{
    const char *s = n->str;
    size_t len = strlen(s);
    int ok = len >= 1 && len <= 64 && isalpha((unsigned char)s[0]);
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-';
    if (!ok)
        ld_err(L, n, path,
               "invalid id '%s': use 1 to 64 letters, digits, '_' or '-', starting with a letter",
               s);
    return ok ? 0 : -1;
}

int ld_slot_repeated(loader *L, const ree_ynode *pn, const char *kp, const ree_param_slot *slot,
                     const char *list, const char *verb, int n,
                     const char *(*earlier)(const ree_plan *p, int j))
{
    char why[400];
    ree_param_slot other;
    for (int j = 0; j < n; j++) {
        const char *path = earlier(L->p, j);
        if (path && ree_plan_slot(L->p, path, &other, why, sizeof why) == 0 &&
            ree_slot_same(&other, slot)) {
            ld_err(L, pn, kp, "'%s' is already %s (%s[%d], '%s')", pn->str, verb, list, j, path);
            return 1;
        }
    }
    return 0;
}

int ld_material(const ree_plan *p, const char *id)
{
    for (int i = 0; i < p->nmat; i++)
        if (strcmp(p->mat_id[i], id) == 0)
            return i;
    return -1;
}

int ld_tag(const ree_plan *p, const char *id)
{
    for (int i = 0; i < p->ntag; i++)
        if (strcmp(p->tags[i], id) == 0)
            return i;
    return -1;
}

/* A number from a scalar; error recorded on failure. */
static int number(loader *L, const ree_ynode *n, const char *path, double *out)
{
    char why[160];
    if (ree_yscalar_double(n, out, why, sizeof why) == 0)
        return 0;
    ld_err(L, n, path, "%s", why);
    return -1;
}

static int num_field(loader *L, const ree_ynode *map, const char *key, const char *path,
                     int required, double *out)
{
    const ree_ynode *n = ree_ymap_get(map, key);
    char kp[REE_PATH_MAX];
    ld_path(kp, path, key);
    if (!n) {
        if (required)
            ld_err(L, map, path, "missing required key '%s'", key);
        return required ? -1 : 1;
    }
    return number(L, n, kp, out);
}

static void fmt_bound(char *buf, size_t len, double x)
{
    if (x == DBL_MIN) /* the models' way of saying "above zero" */
        snprintf(buf, len, "above 0");
    else if (isinf(x))
        snprintf(buf, len, "%sinf", x < 0 ? "-" : "");
    else
        snprintf(buf, len, "%g", x);
}

/* Distribution given as a mapping {dist: KIND, ...}. */
static int dist_value(loader *L, const ree_param_def *def, const ree_ynode *n, const char *path,
                      ree_dist *d)
{
    static const char *const keys[] = {"dist", "value", "min",   "max",  "mode",
                                       "mean", "sd",    "alpha", "beta", NULL};
    if (ld_check_keys(L, n, path, keys))
        return -1;
    const char *kind = ld_str(L, n, "dist", path, 1);
    if (!kind)
        return -1;
    if (ree_dist_parse_kind(kind, &d->kind)) {
        char kp[REE_PATH_MAX];
        ld_path(kp, path, "dist");
        ld_err(L, ree_ymap_get(n, "dist"), kp,
               "unknown distribution '%s' (expected const, uniform, triangular, normal, "
               "lognormal, beta or pert)",
               kind);
        return -1;
    }
    /* Fields each kind takes, and which of them are required. */
    static const struct {
        ree_dist_kind k;
        const char *need[3];
        const char *opt[2];
    } forms[] = {
        {REE_DIST_CONST, {"value"}, {NULL}},
        {REE_DIST_UNIFORM, {"min", "max"}, {NULL}},
        {REE_DIST_TRIANGULAR, {"min", "mode", "max"}, {NULL}},
        {REE_DIST_NORMAL, {"mean", "sd"}, {"min", "max"}},
        {REE_DIST_LOGNORMAL, {"mean", "sd"}, {"min", "max"}},
        {REE_DIST_BETA, {"alpha", "beta"}, {"min", "max"}},
        {REE_DIST_PERT, {"min", "mode", "max"}, {NULL}},
    };
    int f = 0;
    while (forms[f].k != d->kind)
        f++;
    /* Keys that this kind does not take. */
    int bad = 0;
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->pairs[i].key->str;
        int ok = strcmp(k, "dist") == 0;
        for (int j = 0; j < 3 && forms[f].need[j]; j++)
            ok |= strcmp(k, forms[f].need[j]) == 0;
        for (int j = 0; j < 2 && forms[f].opt[j]; j++)
            ok |= strcmp(k, forms[f].opt[j]) == 0;
        if (!ok) {
            char kp[REE_PATH_MAX];
            ld_path(kp, path, k);
            ld_err(L, n->pairs[i].key, kp, "key '%s' does not apply to a %s distribution", k, kind);
            bad++;
        }
    }
    if (bad)
        return -1;
    double v[3] = {0, 0, 0};
    for (int j = 0; j < 3 && forms[f].need[j]; j++)
        if (num_field(L, n, forms[f].need[j], path, 1, &v[j]))
            return -1;
    d->lo = -INFINITY;
    d->hi = INFINITY;
    double lo = -INFINITY, hi = INFINITY;
    int has_lo = 0, has_hi = 0;
    switch (d->kind) {
    case REE_DIST_CONST:
        d->a = v[0];
        break;
    case REE_DIST_UNIFORM:
        d->a = v[0], d->b = v[1];
        break;
    case REE_DIST_TRIANGULAR:
    case REE_DIST_PERT:
        d->a = v[0], d->c = v[1], d->b = v[2];
        break;
    case REE_DIST_NORMAL:
    case REE_DIST_LOGNORMAL:
    case REE_DIST_BETA:
        d->a = v[0], d->b = v[1];
        if ((has_lo = num_field(L, n, "min", path, 0, &lo)) < 0)
            return -1;
        if ((has_hi = num_field(L, n, "max", path, 0, &hi)) < 0)
            return -1;
        has_lo = has_lo == 0, has_hi = has_hi == 0;
        if (d->kind == REE_DIST_BETA) {
            /* min/max scale the beta's [0,1] support; stored as the truncation box too. */
            d->lo = has_lo ? lo : 0.0;
            d->hi = has_hi ? hi : 1.0;
        } else {
            d->lo = lo;
            d->hi = hi;
        }
        break;
    }
    /* Truncate unbounded kinds to the parameter's legal range. */
    if (d->kind == REE_DIST_NORMAL || d->kind == REE_DIST_LOGNORMAL) {
        if (d->lo < def->min)
            d->lo = def->min;
        if (d->hi > def->max)
            d->hi = def->max;
    }
    /* The beta shape bounds are reported at the shape itself, with their reason (dist.h). */
    if (d->kind == REE_DIST_BETA) {
        for (int j = 0; j < 2; j++) {
            int above = v[j] > REE_DIST_BETA_SHAPE_MAX;
            if (!above && !(v[j] > 0 && v[j] < REE_DIST_BETA_SHAPE_MIN))
                continue;
            char kp[REE_PATH_MAX];
            ld_path(kp, path, forms[f].need[j]);
            ld_err(L, ree_ymap_get(n, forms[f].need[j]), kp, "%g is %s %g, the %s beta shape: %s",
                   v[j], above ? "above" : "below",
                   above ? REE_DIST_BETA_SHAPE_MAX : REE_DIST_BETA_SHAPE_MIN,
                   above ? "largest" : "smallest",
                   above ? "with a shape above it the sd is below 0.5% of max - min, in effect a "
                           "constant; use a const or a narrower min..max"
                         : "the quantile is tested down to it, and there the mass is at the two "
                           "ends already; use a const or a larger shape");
            return -1;
        }
    }
    char why[200];
    if (ree_dist_check(d, why, sizeof why)) {
        ld_err(L, n, path, "%s", why);
        return -1;
    }
    double slo, shi;
    ree_dist_support(d, &slo, &shi);
    if (slo < def->min || shi > def->max) {
        char b1[32], b2[32], b3[32], b4[32];
        fmt_bound(b1, sizeof b1, slo), fmt_bound(b2, sizeof b2, shi);
        fmt_bound(b3, sizeof b3, def->min), fmt_bound(b4, sizeof b4, def->max);
        ld_err(L, n, path, "distribution takes values in [%s, %s], outside the range [%s, %s]%s%s",
               b1, b2, b3, b4, strcmp(def->unit, "1") ? " " : "",
               strcmp(def->unit, "1") ? def->unit : "");
        return -1;
    }
    return 0;
}

static int const_value(loader *L, const ree_param_def *def, const ree_ynode *n, const char *path,
                       double v)
{
    char b1[32], b2[32];
    fmt_bound(b1, sizeof b1, def->min), fmt_bound(b2, sizeof b2, def->max);
    if (v < def->min || v > def->max) {
        ld_err(L, n, path, "%g is out of range: expected %s to %s%s%s", v, b1, b2,
               strcmp(def->unit, "1") ? " " : "", strcmp(def->unit, "1") ? def->unit : "");
        return -1;
    }
    if ((def->flags & REE_PF_INT) && v != floor(v)) {
        ld_err(L, n, path, "expected a whole number, found %g", v);
        return -1;
    }
    return 0;
}

static int material_value(loader *L, const ree_ynode *n, const char *path, int *out)
{
    if (ld_expect(L, n, REE_Y_SCALAR, path))
        return -1;
    int m = ld_material(L->p, n->str);
    if (m < 0) {
        ld_err(L, n, path, "unknown material '%s'", n->str);
        return -1;
    }
    *out = m;
    return 0;
}

static int set_value(loader *L, const ree_param_def *def, const ree_ynode *n, const char *path,
                     uint64_t *mask)
{
    *mask = 0;
    if (ld_expect(L, n, REE_Y_SEQ, path))
        return -1;
    int bad = 0;
    for (size_t i = 0; i < n->n; i++) {
        const ree_ynode *it = n->items[i];
        char ip[REE_PATH_MAX];
        snprintf(ip, sizeof ip, "%s[%zu]", path, i);
        if (ld_expect(L, it, REE_Y_SCALAR, ip)) {
            bad++;
            continue;
        }
        int k;
        if (def->type == REE_PT_MATSET) {
            if (material_value(L, it, ip, &k)) {
                bad++;
                continue;
            }
        } else if ((k = ld_tag(L->p, it->str)) < 0) {
            char list[200] = "";
            for (int t = 0; t < L->p->ntag && strlen(list) + strlen(L->p->tags[t]) + 3 < 200; t++) {
                if (t)
                    strcat(list, ", ");
                strcat(list, L->p->tags[t]);
            }
            ld_err(L, it, ip, "unknown end use '%s' (end uses of the nodes: %s)", it->str,
                   *list ? list : "none");
            bad++;
            continue;
        }
        if (*mask & (UINT64_C(1) << k)) {
            ld_err(L, it, ip, "'%s' is listed twice", it->str);
            bad++;
        }
        *mask |= UINT64_C(1) << k;
    }
    return bad ? -1 : 0;
}

static int map_value(loader *L, const ree_param_def *def, const ree_ynode *n, const char *path,
                     ree_pspec *spec)
{
    if (ld_expect(L, n, REE_Y_MAP, path))
        return -1;
    double *vec = ld_calloc(L, (size_t)L->p->nmat, sizeof *vec);
    if (!vec)
        return -1;
    spec->vec = vec;
    int bad = 0;
    for (size_t i = 0; i < n->n; i++) {
        char kp[REE_PATH_MAX];
        ld_path(kp, path, n->pairs[i].key->str);
        int m = ld_material(L->p, n->pairs[i].key->str);
        if (m < 0) {
            ld_err(L, n->pairs[i].key, kp, "unknown material '%s'", n->pairs[i].key->str);
            bad++;
            continue;
        }
        double v;
        if (ld_expect(L, n->pairs[i].value, REE_Y_SCALAR, kp) ||
            number(L, n->pairs[i].value, kp, &v)) {
            bad++;
            continue;
        }
        if (v < 0) {
            ld_err(L, n->pairs[i].value, kp, "expected a number >= 0, found %g", v);
            bad++;
            continue;
        }
        if (v > def->max) {
            char b[32];
            fmt_bound(b, sizeof b, def->max);
            ld_err(L, n->pairs[i].value, kp, "%g is out of range: expected 0 to %s%s%s", v, b,
                   strcmp(def->unit, "1") ? " " : "", strcmp(def->unit, "1") ? def->unit : "");
            bad++;
            continue;
        }
        vec[m] = v;
    }
    return bad ? -1 : 0;
}

int ld_param_value(loader *L, const ree_param_def *def, const ree_ynode *n, const char *path,
                   ree_pspec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->type = def->type;
    spec->dist.kind = REE_DIST_CONST;
    spec->dist.lo = -INFINITY;
    spec->dist.hi = INFINITY;
    spec->ival = -1;
    if (!n) {
        spec->dist.a = def->def;
        if (def->type == REE_PT_MATMAP) {
            double *vec = ld_calloc(L, (size_t)L->p->nmat, sizeof *vec);
            spec->vec = vec;
            return vec ? 0 : -1;
        }
        return 0;
    }
    spec->given = 1;
    spec->mark = n->mark;
    switch (def->type) {
    case REE_PT_NUM:
        if (n->kind == REE_Y_MAP)
            return dist_value(L, def, n, path, &spec->dist);
        if (ld_expect(L, n, REE_Y_SCALAR, path))
            return -1;
        if (ree_ynode_is_null(n) && (def->flags & REE_PF_INHERIT)) {
            spec->dist.a = NAN; /* unset: the owner's value applies */
            return 0;
        }
        if (ree_ynode_is_null(n)) {
            if (!(def->flags & REE_PF_NULL_INF)) {
                ld_err(L, n, path, "expected a number, found null");
                return -1;
            }
            spec->dist.a = INFINITY;
            return 0;
        }
        if (number(L, n, path, &spec->dist.a))
            return -1;
        return const_value(L, def, n, path, spec->dist.a);
    case REE_PT_DATE: {
        if (ld_expect(L, n, REE_Y_SCALAR, path))
            return -1;
        int month;
        char why[160];
        if (ree_yscalar_month(n, &month, why, sizeof why)) {
            ld_err(L, n, path, "%s", why);
            return -1;
        }
        spec->dist.a = month - L->p->start;
        return 0;
    }
    case REE_PT_MATERIAL:
        return material_value(L, n, path, &spec->ival);
    case REE_PT_MATMAP:
        return map_value(L, def, n, path, spec);
    case REE_PT_MATSET:
    case REE_PT_TAGSET:
        return set_value(L, def, n, path, &spec->mask);
    }
    return -1;
}
