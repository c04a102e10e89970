/*
 * Scenario loader, part 7: the optional `explore:` section, the uncertain inputs `reesim sweep`
 * and `reesim sensitivity` vary (docs/exploration.md).
 *
 *   explore:                 # 1 to 20 inputs, each an override path (override.h) with
 *     - {path: gates.cn_export.approval, min: 0.05, max: 0.6}        # a range, or
 *     - {path: nodes.us_nds.stock.ndfeb, values: [0, 500, 1000]}     # a list of values
 *
 * Every value (the ends of a range, each listed value) must lie within the parameter's bounds;
 * a range must have min < max; a list holds 1 to 1000 values; a parameter appears once, however
 * its path is spelled (ld_slot_repeated).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "override.h"

#define MAX_INPUTS 20

static int number(loader *L, const ree_ynode *n, const char *kp, double *out)
{
    char why[160];
    if (ld_expect(L, n, REE_Y_SCALAR, kp))
        return -1;
    if (ree_yscalar_double(n, out, why, sizeof why)) {
        ld_err(L, n, kp, "%s", why);
        return -1;
    }
    return 0;
}

static int checked(loader *L, const ree_param_slot *slot, const ree_ynode *n, const char *kp,
                   double *out)
{
    char why[400];
    if (number(L, n, kp, out))
        return -1;
    if (slot && ree_slot_check(slot, *out, why, sizeof why)) {
        ld_err(L, n, kp, "%s", why);
        return -1;
    }
    return 0;
}

static const char *explored(const ree_plan *p, int j)
{
    return p->explore[j].path;
}

static void input(loader *L, const ree_ynode *n, const char *path, int i)
{
    ree_plan *p = L->p;
    static const char *const keys[] = {"path", "min", "max", "values", NULL};
    if (ld_expect(L, n, REE_Y_MAP, path))
        return;
    ld_check_keys(L, n, path, keys);
    const char *pp = ld_str(L, n, "path", path, 1);
    const ree_ynode *mn = ree_ymap_get(n, "min"), *mx = ree_ymap_get(n, "max"),
                    *vs = ree_ymap_get(n, "values");
    char kp[REE_PATH_MAX], why[400];
    ree_param_slot slot, *sp = NULL;
    if (pp) {
        const ree_ynode *pn = ree_ymap_get(n, "path");
        ld_path(kp, path, "path");
        if (ree_plan_slot(p, pp, &slot, why, sizeof why)) {
            ld_err(L, pn, kp, "%s", why);
            pp = NULL;
        } else {
            sp = &slot;
            if (ld_slot_repeated(L, pn, kp, &slot, "explore", "explored", i, explored))
                pp = NULL;
        }
    }
    if (vs && (mn || mx)) {
        ld_err(L, vs, path, "give either min and max or values, not both");
        return;
    }
    if (!vs && !mn && !mx) {
        ld_err(L, n, path, "missing a range (min and max) or a list (values)");
        return;
    }
    ree_explore_input in = {0};
    int bad = 0;
    if (vs) {
        ld_path(kp, path, "values");
        if (ld_expect(L, vs, REE_Y_SEQ, kp))
            return;
        if (vs->n < 1 || vs->n > REE_EXPLORE_MAX_VALUES) {
            ld_err(L, vs, kp, "expected 1 to %d values, found %zu", REE_EXPLORE_MAX_VALUES, vs->n);
            return;
        }
        in.values = ld_calloc(L, vs->n, sizeof *in.values);
        if (!in.values)
            return;
        in.nvalues = (int)vs->n;
        for (size_t v = 0; v < vs->n; v++) {
            char vp[REE_PATH_MAX + 32];
            snprintf(vp, sizeof vp, "%.*s[%zu]", REE_PATH_MAX - 1, kp, v);
            bad |= checked(L, sp, vs->items[v], vp, &in.values[v]);
            if (v == 0 || in.values[v] < in.min)
                in.min = in.values[v];
            if (v == 0 || in.values[v] > in.max)
                in.max = in.values[v];
        }
    } else {
        if (!mn || !mx) {
            ld_err(L, n, path, "missing required key '%s'", mn ? "max" : "min");
            return;
        }
        ld_path(kp, path, "min");
        bad |= checked(L, sp, mn, kp, &in.min);
        ld_path(kp, path, "max");
        bad |= checked(L, sp, mx, kp, &in.max);
        if (!bad && !(in.min < in.max)) {
            ld_err(L, mx, kp, "max must be above min (%g), found %g: an empty range", in.min,
                   in.max);
            bad = 1;
        }
    }
    if (bad || !pp) {
        free(in.values);
        return;
    }
    in.path = ld_strdup(L, pp);
    p->explore[i] = in;
}

int ld_explore(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    const ree_ynode *e = ree_ymap_get(root, "explore");
    if (!e || ree_ynode_is_null(e))
        return 0;
    if (ld_expect(L, e, REE_Y_SEQ, "explore"))
        return -1;
    if (e->n < 1 || e->n > MAX_INPUTS) {
        ld_err(L, e, "explore", "expected 1 to %d inputs, found %zu", MAX_INPUTS, e->n);
        return -1;
    }
    p->explore = ld_calloc(L, e->n, sizeof *p->explore);
    if (!p->explore)
        return -1;
    p->nexplore = (int)e->n;
    for (size_t i = 0; i < e->n; i++) {
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "explore[%zu]", i);
        input(L, e->items[i], path, (int)i);
    }
    return 0;
}
