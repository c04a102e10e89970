/* Inputs of an exploration from explore: and --set (see explore_cli.h). */
#include "explore_cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "outfile.h"
#include "output.h"

const char *const ree_sweep_tail[REE_SWEEP_TAIL] = {"entity", "indicator", "unit", "mean",
                                                    "sd",     "p05",       "p50",  "p95"};

static int parse_num(const char *s, const char *end, double *out)
{
    char buf[64];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return ree_cli_double(buf, out);
}

int ree_cli_range(const char *s, double *lo, double *hi)
{
    const char *dots = strstr(s, "..");
    if (!dots || parse_num(s, dots, lo) || parse_num(dots + 2, s + strlen(s), hi) || !(*lo < *hi))
        return -1;
    return 0;
}

void ree_cli_inputs_free(ree_cli_inputs *x)
{
    for (int i = 0; x->in && i < x->k; i++) {
        free(x->in[i].path);
        free(x->in[i].values);
    }
    free(x->in);
    free(x->slots);
    memset(x, 0, sizeof *x);
}

/* Parse PATH=... into *in (path and values allocated). Returns 0, -1 (message printed), -2 OOM. */
static int parse_set(const char *cmd, const char *opt, ree_plan *p, const char *arg,
                     ree_explore_input *in, ree_param_slot *slot)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        ree_cli_usage_error(cmd, "%s expects PATH=V1,V2,... or PATH=LO..HI, found '%s'", opt, arg);
        return -1;
    }
    memset(in, 0, sizeof *in);
    in->path = malloc((size_t)(eq - arg) + 1);
    if (!in->path)
        return -2;
    memcpy(in->path, arg, (size_t)(eq - arg));
    in->path[eq - arg] = 0;
    char why[400];
    if (ree_plan_slot(p, in->path, slot, why, sizeof why)) {
        ree_cli_usage_error(cmd, "%s %s: %s", opt, in->path, why);
        return -1;
    }
    const char *v = eq + 1;
    if (strstr(v, "..")) {
        if (ree_cli_range(v, &in->min, &in->max)) {
            ree_cli_usage_error(cmd, "%s %s: expected LO..HI with LO < HI, found '%s'", opt,
                                in->path, v);
            return -1;
        }
        double ends[2] = {in->min, in->max};
        for (int e = 0; e < 2; e++)
            if (ree_slot_check(slot, ends[e], why, sizeof why)) {
                ree_cli_usage_error(cmd, "%s %s: %s", opt, in->path, why);
                return -1;
            }
        return 0;
    }
    int n = 1;
    for (const char *c = v; *c; c++)
        n += *c == ',';
    if (n > REE_EXPLORE_MAX_VALUES) { /* as an explore: list */
        ree_cli_usage_error(cmd, "%s %s: expected 1 to %d values, found %d", opt, in->path,
                            REE_EXPLORE_MAX_VALUES, n);
        return -1;
    }
    in->values = malloc((size_t)n * sizeof *in->values);
    if (!in->values)
        return -2;
    const char *s = v;
    for (int i = 0; i < n; i++) {
        const char *e = strchr(s, ',');
        if (!e)
            e = s + strlen(s);
        if (parse_num(s, e, &in->values[i])) {
            ree_cli_usage_error(cmd, "%s %s: expected a number, found '%.*s'", opt, in->path,
                                (int)(e - s), s);
            return -1;
        }
        if (ree_slot_check(slot, in->values[i], why, sizeof why)) {
            ree_cli_usage_error(cmd, "%s %s: %s", opt, in->path, why);
            return -1;
        }
        if (i == 0 || in->values[i] < in->min)
            in->min = in->values[i];
        if (i == 0 || in->values[i] > in->max)
            in->max = in->values[i];
        in->nvalues++;
        s = e + 1;
    }
    return 0;
}

ree_status ree_cli_inputs_get(const char *cmd, const char *opt, ree_plan *p, char **sets, int nsets,
                              int need, ree_cli_inputs *out)
{
    memset(out, 0, sizeof *out);
    int cap = p->nexplore + nsets;
    if (cap == 0) {
        if (need)
            ree_cli_usage_error(cmd, "nothing to explore: the scenario has no 'explore:' section "
                                     "and no --set was given");
        return need ? REE_EUSAGE : REE_OK;
    }
    out->in = calloc((size_t)cap, sizeof *out->in);
    out->slots = calloc((size_t)cap, sizeof *out->slots);
    int *by = malloc((size_t)cap * sizeof *by); /* the option that gave each input, or -1 */
    if (!out->in || !out->slots || !by) {
        free(by);
        ree_cli_inputs_free(out);
        return REE_ENOMEM;
    }
    char why[400];
    for (int i = 0; i < p->nexplore; i++) {
        const ree_explore_input *e = &p->explore[i];
        ree_explore_input *in = &out->in[out->k];
        by[out->k] = -1;
        *in = *e;
        in->path = strdup(e->path);
        in->values = NULL;
        out->k++;
        if (!in->path)
            goto oom;
        if (e->values) {
            if (!(in->values = malloc((size_t)e->nvalues * sizeof *in->values)))
                goto oom;
            memcpy(in->values, e->values, (size_t)e->nvalues * sizeof *in->values);
        }
        if (ree_plan_slot(p, in->path, &out->slots[out->k - 1], why, sizeof why)) {
            ree_cli_usage_error(cmd, "explore[%d].path: %s", i, why); /* checked at load */
            free(by);
            ree_cli_inputs_free(out);
            return REE_EINVALID;
        }
    }
    for (int s = 0; s < nsets; s++) {
        ree_explore_input in = {0};
        ree_param_slot slot;
        int r = parse_set(cmd, opt, p, sets[s], &in, &slot);
        int at = out->k;
        for (int i = 0; !r && i < out->k; i++)
            if (ree_slot_same(&out->slots[i], &slot))
                at = i;
        /* A --set replaces an explore: input; a second one for the same parameter (under any
         * spelling) is refused, as a repeated option is: which value was meant? */
        if (!r && at < out->k && by[at] >= 0) {
            ree_cli_usage_error(cmd, "%s %s and %s %s set the same parameter: give it once", opt,
                                sets[by[at]], opt, sets[s]);
            r = -1;
        }
        if (r) {
            free(in.path);
            free(in.values);
            if (r == -2)
                goto oom;
            free(by);
            ree_cli_inputs_free(out);
            return REE_EUSAGE;
        }
        if (at < out->k) {
            free(out->in[at].path);
            free(out->in[at].values);
        } else {
            out->k++;
        }
        out->in[at] = in;
        out->slots[at] = slot;
        by[at] = s;
    }
    free(by);
    return REE_OK;
oom:
    free(by);
    ree_cli_inputs_free(out);
    return REE_ENOMEM;
}

ree_plan *ree_cli_load_inputs(const char *cmd, const char *path, char **sets, int nsets,
                              int no_explore, ree_cli_inputs *x, ree_status *status)
{
    ree_plan *p = ree_cli_load(path, status);
    if (!p)
        return NULL;
    int nexp = p->nexplore;
    if (no_explore)
        p->nexplore = 0; /* only the --set inputs */
    *status = ree_cli_inputs_get(cmd, "--set", p, sets, nsets, 1, x);
    p->nexplore = nexp;
    /* The cases are collective on MPI ranks: memory one rank alone lacked stops every rank (a
     * usage error is every rank's: the same arguments, the same scenario). */
    char why[96];
    if (ree_ranks_lack_memory(*status == REE_ENOMEM, "inputs", "reading the inputs", why,
                              sizeof why)) {
        if (*status == REE_OK)
            ree_cli_inputs_free(x);
        *status = REE_ENOMEM;
    }
    if (*status != REE_OK) {
        if (*status == REE_ENOMEM)
            ree_cli_report_oom(why);
        ree_plan_free(p);
        return NULL;
    }
    return p;
}

ree_status ree_cli_explore_meta(ree_outset *set, const ree_plan *p, const ree_run_info *info)
{
    ree_status st = REE_OK;
    FILE *f = ree_outset_file(set, "meta.json", &st);
    ree_mc_result none = {0};
    return f ? ree_output_meta(p, info, &none, f) : st;
}

int ree_cli_cases_conc(long long runs, int threads, long long ncase)
{
    if (ree_ranks() > 1 || threads < 2 || ncase < 2 || runs >= 4LL * REE_EXEC_BLOCK * threads)
        return 1;
    return (int)(ncase < threads ? ncase : threads);
}

void ree_cli_cases_close(ree_cli_cases *c)
{
    for (int t = 1; c->copy && t < c->conc; t++) {
        ree_cli_inputs_free(&c->cx[t]);
        ree_plan_free(c->copy[t]);
    }
    if (c->copy != &c->one_copy) {
        free(c->copy);
        free(c->cx);
        free(c->res);
        free(c->st);
        free(c->err);
    }
    memset(c, 0, sizeof *c);
}

ree_status ree_cli_cases_open(ree_cli_cases *c, const char *cmd, ree_plan *p, ree_cli_inputs *x,
                              int conc, const char *path, char **sets, int nsets, int no_explore,
                              char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->x = x;
    c->conc = 1; /* what ree_cli_cases_close frees: the copies loaded so far */
    if (conc <= 1) {
        c->copy = &c->one_copy;
        c->cx = &c->one_cx;
        c->res = &c->one_res;
        c->st = &c->one_st;
        c->err = c->one_err;
    } else {
        c->copy = calloc((size_t)conc, sizeof *c->copy);
        c->cx = calloc((size_t)conc, sizeof *c->cx);
        c->res = calloc((size_t)conc, sizeof *c->res);
        c->st = calloc((size_t)conc, sizeof *c->st);
        c->err = calloc((size_t)conc, sizeof *c->err);
    }
    if (!c->copy || !c->cx || !c->res || !c->st || !c->err) {
        snprintf(err, errlen, "out of memory setting up %d cases at once", conc);
        return REE_ENOMEM;
    }
    c->copy[0] = p;
    c->cx[0] = *x;
    char first[65], again[65];
    ree_plan_inputs_sha256(p, first);
    for (int t = 1; t < conc; t++) {
        ree_status st;
        ree_plan *q = ree_cli_load_inputs(cmd, path, sets, nsets, no_explore, &c->cx[t], &st);
        if (!q)
            return st;
        c->copy[t] = q;
        c->conc = t + 1;
        ree_plan_inputs_sha256(q, again);
        if (strcmp(again, first) || c->cx[t].k != x->k) {
            snprintf(err, errlen,
                     "%s or an observations file changed while it was being loaded again", path);
            return REE_EIO;
        }
    }
    return REE_OK;
}

void ree_cli_cases_run(ree_cli_cases *c, int m, const double *vals, const ree_mc_opts *mo)
{
    int k = c->x->k;
    ree_mc_opts one = *mo;
    if (m > 1)
        one.threads = 1;
#pragma omp parallel for num_threads(m) schedule(static, 1) if (m > 1)
    for (int t = 0; t < m; t++) {
        c->err[t][0] = 0;
        c->st[t] = ree_explore_case(c->copy[t], c->cx[t].slots, k, vals + (size_t)t * (size_t)k,
                                    &one, &c->res[t], c->err[t], sizeof c->err[t]);
    }
}

int ree_cli_cases_ok(const ree_cli_cases *c, int m, ree_status *st, char *err, size_t errlen)
{
    *st = REE_OK;
    for (int t = 0; t < m; t++)
        if (c->st[t] != REE_OK) {
            *st = c->st[t];
            snprintf(err, errlen, "%s", c->err[t]);
            return t;
        }
    return m;
}

void ree_cli_cases_free(ree_cli_cases *c, int m)
{
    for (int t = 0; t < m; t++)
        if (c->st[t] == REE_OK)
            ree_mc_result_free(&c->res[t]);
}
