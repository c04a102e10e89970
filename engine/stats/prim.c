/* PRIM peeling and pasting (see prim.h). */
#include "prim.h"

#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int box_alloc(ree_prim_box *b, int k)
{
    b->lo = malloc((size_t)k * sizeof *b->lo);
    b->hi = malloc((size_t)k * sizeof *b->hi);
    return b->lo && b->hi ? 0 : -1;
}

static void box_free(ree_prim_box *b)
{
    free(b->lo);
    free(b->hi);
    b->lo = b->hi = NULL;
}

void ree_prim_result_free(ree_prim_result *r)
{
    if (!r)
        return;
    for (int s = 0; r->steps && s < r->nstep; s++)
        box_free(&r->steps[s]);
    free(r->steps);
    box_free(&r->box);
    free(r->min);
    free(r->max);
    memset(r, 0, sizeof *r);
}

static int inside(const double *row, const double *lo, const double *hi, int k)
{
    for (int i = 0; i < k; i++)
        if (row[i] < lo[i] || row[i] > hi[i])
            return 0;
    return 1;
}

/* Cases and bad cases in the box. */
static void count(const double *x, const unsigned char *y, size_t n, int k, const double *lo,
                  const double *hi, size_t *in, size_t *bad)
{
    *in = *bad = 0;
    for (size_t c = 0; c < n; c++)
        if (inside(x + c * (size_t)k, lo, hi, k)) {
            (*in)++;
            *bad += y[c] != 0;
        }
}

static void fill(ree_prim_box *b, const double *x, const unsigned char *y, size_t n, int k,
                 size_t nbad)
{
    size_t in, bad;
    count(x, y, n, k, b->lo, b->hi, &in, &bad);
    b->n = in;
    b->support = (double)in / (double)n;
    b->coverage = (double)bad / (double)nbad;
    b->density = in ? (double)bad / (double)in : 0;
}

static ree_status push(ree_prim_result *r, int *cap, const ree_prim_box *b)
{
    if (r->nstep == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        ree_prim_box *s = realloc(r->steps, (size_t)nc * sizeof *s);
        if (!s)
            return REE_ENOMEM;
        r->steps = s;
        *cap = nc;
    }
    ree_prim_box *d = &r->steps[r->nstep];
    memset(d, 0, sizeof *d);
    if (box_alloc(d, r->k)) {
        box_free(d);
        return REE_ENOMEM;
    }
    r->nstep++;
    memcpy(d->lo, b->lo, (size_t)r->k * sizeof *d->lo);
    memcpy(d->hi, b->hi, (size_t)r->k * sizeof *d->hi);
    d->coverage = b->coverage;
    d->density = b->density;
    d->support = b->support;
    d->n = b->n;
    return REE_OK;
}

/* The values of input i of the cases in box b, sorted, into v; returns their number. */
static size_t values_in(const double *x, size_t n, int k, const ree_prim_box *b, int i, double *v)
{
    size_t m = 0;
    for (size_t c = 0; c < n; c++)
        if (inside(x + c * (size_t)k, b->lo, b->hi, k))
            v[m++] = x[c * (size_t)k + (size_t)i];
    gsl_sort(v, 1, m);
    return m;
}

ree_status ree_prim(const double *x, const unsigned char *y, size_t n, int k,
                    const ree_prim_opts *o, ree_prim_result *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || k < 1 || !(o->alpha > 0 && o->alpha < 0.5) ||
        !(o->min_support >= 0 && o->min_support < 1) ||
        !(o->min_coverage >= 0 && o->min_coverage <= 1))
        return REE_EUSAGE;
    size_t nbad = 0;
    for (size_t c = 0; c < n; c++)
        nbad += y[c] != 0;
    if (nbad == 0)
        return REE_EUSAGE;
    out->k = k;
    int cap = 0;
    ree_prim_box cur = {0}, cand = {0}, best = {0};
    double *v = malloc(n * sizeof *v);
    out->min = malloc((size_t)k * sizeof *out->min);
    out->max = malloc((size_t)k * sizeof *out->max);
    ree_status st = REE_ENOMEM;
    if (!v || !out->min || !out->max || box_alloc(&cur, k) || box_alloc(&cand, k) ||
        box_alloc(&best, k) || box_alloc(&out->box, k))
        goto done;
    for (int i = 0; i < k; i++) {
        out->min[i] = out->max[i] = x[i];
        for (size_t c = 1; c < n; c++) {
            double a = x[c * (size_t)k + (size_t)i];
            out->min[i] = a < out->min[i] ? a : out->min[i];
            out->max[i] = a > out->max[i] ? a : out->max[i];
        }
        cur.lo[i] = out->min[i];
        cur.hi[i] = out->max[i];
    }
    fill(&cur, x, y, n, k, nbad);
    if ((st = push(out, &cap, &cur)) != REE_OK)
        goto done;
    /* Peeling. */
    while (cur.density < 1) {
        int found = 0;
        for (int i = 0; i < k; i++) {
            size_t m = values_in(x, n, k, &cur, i, v);
            if (m < 2)
                continue;
            size_t cut = (size_t)floor(o->alpha * (double)m);
            for (int side = 0; side < 2; side++) {
                memcpy(cand.lo, cur.lo, (size_t)k * sizeof *cand.lo);
                memcpy(cand.hi, cur.hi, (size_t)k * sizeof *cand.hi);
                if (side == 0) {
                    double q = v[cut];
                    if (q == v[0]) { /* ties: drop the cases at the minimum */
                        size_t j = 0;
                        while (j < m && v[j] == v[0])
                            j++;
                        if (j == m)
                            continue;
                        q = v[j];
                    }
                    cand.lo[i] = q;
                } else {
                    double q = v[m - 1 - cut];
                    if (q == v[m - 1]) {
                        size_t j = m - 1;
                        while (j > 0 && v[j] == v[m - 1])
                            j--;
                        if (v[j] == v[m - 1])
                            continue;
                        q = v[j];
                    }
                    cand.hi[i] = q;
                }
                fill(&cand, x, y, n, k, nbad);
                if (cand.support < o->min_support || cand.n == 0)
                    continue;
                if (!found || cand.density > best.density ||
                    (cand.density == best.density && cand.n > best.n)) {
                    memcpy(best.lo, cand.lo, (size_t)k * sizeof *best.lo);
                    memcpy(best.hi, cand.hi, (size_t)k * sizeof *best.hi);
                    best.density = cand.density;
                    best.coverage = cand.coverage;
                    best.support = cand.support;
                    best.n = cand.n;
                    found = 1;
                }
            }
        }
        if (!found)
            break;
        memcpy(cur.lo, best.lo, (size_t)k * sizeof *cur.lo);
        memcpy(cur.hi, best.hi, (size_t)k * sizeof *cur.hi);
        cur.density = best.density;
        cur.coverage = best.coverage;
        cur.support = best.support;
        cur.n = best.n;
        if ((st = push(out, &cap, &cur)) != REE_OK)
            goto done;
    }
    /* The densest box covering enough (the first one on ties). */
    out->chosen = 0;
    for (int s = 1; s < out->nstep; s++)
        if (out->steps[s].coverage >= o->min_coverage &&
            out->steps[s].density > out->steps[out->chosen].density)
            out->chosen = s;
    ree_prim_box *b = &out->box;
    memcpy(b->lo, out->steps[out->chosen].lo, (size_t)k * sizeof *b->lo);
    memcpy(b->hi, out->steps[out->chosen].hi, (size_t)k * sizeof *b->hi);
    fill(b, x, y, n, k, nbad);
    /* Pasting: widen one side by the alpha share of the box's cases nearest outside it. */
    for (;;) {
        int found = 0;
        double bestd = b->density;
        size_t add = (size_t)ceil(o->alpha * (double)b->n);
        for (int i = 0; i < k; i++)
            for (int side = 0; side < 2; side++) {
                memcpy(cand.lo, b->lo, (size_t)k * sizeof *cand.lo);
                memcpy(cand.hi, b->hi, (size_t)k * sizeof *cand.hi);
                if (side == 0)
                    cand.lo[i] = out->min[i];
                else
                    cand.hi[i] = out->max[i];
                size_t m = 0;
                for (size_t c = 0; c < n; c++) {
                    const double *row = x + c * (size_t)k;
                    if (inside(row, cand.lo, cand.hi, k) &&
                        (side == 0 ? row[i] < b->lo[i] : row[i] > b->hi[i]))
                        v[m++] = row[i];
                }
                if (m == 0)
                    continue;
                gsl_sort(v, 1, m);
                size_t a = add < m ? add : m;
                if (side == 0)
                    cand.lo[i] = v[m - a];
                else
                    cand.hi[i] = v[a - 1];
                fill(&cand, x, y, n, k, nbad);
                if (cand.density > bestd) {
                    memcpy(best.lo, cand.lo, (size_t)k * sizeof *best.lo);
                    memcpy(best.hi, cand.hi, (size_t)k * sizeof *best.hi);
                    bestd = cand.density;
                    found = 1;
                }
            }
        if (!found)
            break;
        memcpy(b->lo, best.lo, (size_t)k * sizeof *b->lo);
        memcpy(b->hi, best.hi, (size_t)k * sizeof *b->hi);
        fill(b, x, y, n, k, nbad);
    }
    st = REE_OK;
done:
    box_free(&cur);
    box_free(&cand);
    box_free(&best);
    free(v);
    if (st != REE_OK)
        ree_prim_result_free(out);
    return st;
}
