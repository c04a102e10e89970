/*
 * Scenario loader, part 6: the optional `calibrate:` section, the parameters `reesim calibrate`
 * fits and how.
 *
 *   calibrate:
 *     until: 2025-03        # last observed month fitted (default: every observation)
 *     score: crps           # or interval (the p05-p95 interval score); default crps
 *     free:                 # 1 to 20 parameters, each an override path (override.h) and a box
 *       - {path: gates.cn_export.approval, min: 0.05, max: 0.95}
 *       - {path: 'timeline[3].set.gates.cn_export.approval', min: 0.1, max: 0.9}
 *
 * A parameter is free once, however its path is spelled (`nodes.ID.KEY` and `ID.KEY` are one).
 */
#include <stdio.h>
#include <string.h>
#include "loader.h"
#include "override.h"

#define MAX_FREE 20

static int number(loader *L, const ree_ynode *map, const char *key, const char *path, double *out)
{
    const ree_ynode *n = ree_ymap_get(map, key);
    char kp[REE_PATH_MAX], why[160];
    ld_path(kp, path, key);
    if (!n) {
        ld_err(L, map, path, "missing required key '%s'", key);
        return -1;
    }
    if (ld_expect(L, n, REE_Y_SCALAR, kp))
        return -1;
    if (ree_yscalar_double(n, out, why, sizeof why)) {
        ld_err(L, n, kp, "%s", why);
        return -1;
    }
    return 0;
}

static const char *freed(const ree_plan *p, int j)
{
    return p->calib[j].path;
}

static void free_param(loader *L, const ree_ynode *n, const char *path, int i)
{
    ree_plan *p = L->p;
    static const char *const keys[] = {"path", "min", "max", NULL};
    if (ld_expect(L, n, REE_Y_MAP, path))
        return;
    ld_check_keys(L, n, path, keys);
    const char *pp = ld_str(L, n, "path", path, 1);
    double lo, hi;
    int bad = number(L, n, "min", path, &lo);
    bad |= number(L, n, "max", path, &hi);
    if (!pp)
        return;
    const ree_ynode *pn = ree_ymap_get(n, "path");
    char kp[REE_PATH_MAX], why[400];
    ld_path(kp, path, "path");
    ree_param_slot slot;
    if (ree_plan_slot(p, pp, &slot, why, sizeof why)) {
        ld_err(L, pn, kp, "%s", why);
        return;
    }
    if (ld_slot_repeated(L, pn, kp, &slot, "calibrate.free", "free", i, freed))
        return;
    if (bad)
        return;
    const char *keys2[2] = {"min", "max"};
    double v[2] = {lo, hi};
    for (int s = 0; s < 2; s++)
        if (ree_slot_check(&slot, v[s], why, sizeof why)) {
            ld_path(kp, path, keys2[s]);
            ld_err(L, ree_ymap_get(n, keys2[s]), kp, "%s", why);
            bad = 1;
        }
    if (!bad && !(lo < hi)) {
        ld_path(kp, path, "max");
        ld_err(L, ree_ymap_get(n, "max"), kp, "max must be above min (%g), found %g", lo, hi);
        bad = 1;
    }
    if (bad)
        return;
    p->calib[i] = (ree_free_param){ld_strdup(L, pp), lo, hi};
}

int ld_calibrate(loader *L, const ree_ynode *root)
{
    ree_plan *p = L->p;
    p->calib_until = p->nsteps - 1;
    p->calib_score = REE_SCORE_CRPS;
    /* Where the section's key is, for what `reesim calibrate` says a scenario lacks: the plan
     * keeps no YAML. */
    for (size_t i = 0; i < root->n; i++)
        if (!strcmp(root->pairs[i].key->str, "calibrate")) {
            p->calib_line = root->pairs[i].key->mark.line;
            p->calib_col = root->pairs[i].key->mark.col;
        }
    const ree_ynode *c = ree_ymap_get(root, "calibrate");
    if (!c || ree_ynode_is_null(c))
        return 0;
    if (ld_expect(L, c, REE_Y_MAP, "calibrate"))
        return -1;
    static const char *const keys[] = {"until", "score", "free", NULL};
    ld_check_keys(L, c, "calibrate", keys);
    const ree_ynode *un = ree_ymap_get(c, "until");
    char why[160];
    if (un && ld_expect(L, un, REE_Y_SCALAR, "calibrate.until") == 0) {
        int month;
        if (ree_yscalar_month(un, &month, why, sizeof why))
            ld_err(L, un, "calibrate.until", "%s", why);
        else if (month < p->start || month - p->start >= p->nsteps)
            ld_err(L, un, "calibrate.until", "%s is outside the horizon", un->str);
        else
            p->calib_until = month - p->start;
    }
    const char *score = ld_str(L, c, "score", "calibrate", 0);
    if (score && !strcmp(score, "interval"))
        p->calib_score = REE_SCORE_INTERVAL;
    else if (score && strcmp(score, "crps"))
        ld_err(L, ree_ymap_get(c, "score"), "calibrate.score",
               "expected crps or interval, found '%s'", score);
    const ree_ynode *fr = ree_ymap_get(c, "free");
    if (!fr) {
        ld_err(L, c, "calibrate", "missing required key 'free'");
        return -1;
    }
    if (ld_expect(L, fr, REE_Y_SEQ, "calibrate.free"))
        return -1;
    if (fr->n < 1 || fr->n > MAX_FREE) {
        ld_err(L, fr, "calibrate.free", "expected 1 to %d free parameters, found %zu", MAX_FREE,
               fr->n);
        return -1;
    }
    p->calib = ld_calloc(L, fr->n, sizeof *p->calib);
    if (!p->calib)
        return -1;
    p->ncalib = (int)fr->n;
    for (size_t i = 0; i < fr->n; i++) {
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "calibrate.free[%zu]", i);
        free_param(L, fr->items[i], path, (int)i);
    }
    return 0;
}
