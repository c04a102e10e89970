/* Variance budget by binning the sampling uniforms (see variance.h). */
#include "variance.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"

typedef struct moments {
    double n, mean, m2;
} moments;

typedef struct input {
    char name[320];
    uint64_t hash; /* keys its sampling stream */
} input;

/* The cells (input i, bin b, output k) are laid out (i, b, k), count apart: all the outputs of a
 * bin are added together, so their count is one number per (i, b), and a run's adds to one bin
 * run along contiguous means and sums of squares (they vectorise). Every cell's arithmetic is
 * that of `add` and `merge` on its own (count, mean, m2), so the results do not depend on the
 * layout. */
struct ree_vb {
    int nin, nout;
    input *in;
    int *out;      /* nout: plan indicator indices */
    double *cn;    /* nin x B: values in bin b of input i (each output's count) */
    double *cmean; /* nin x B x nout */
    double *cm2;   /* nin x B x nout */
    double *y;     /* nout: the run being added */
    moments *tot;  /* nout */
    gsl_rng *rng;
};

static void add(moments *m, double y)
{
    m->n += 1;
    double d = y - m->mean;
    m->mean += d / m->n;
    m->m2 += d * (y - m->mean);
}

static void merge(moments *a, const moments *b)
{
    if (b->n == 0)
        return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double n = a->n + b->n, d = b->mean - a->mean;
    a->mean += d * (b->n / n);
    a->m2 += b->m2 + d * d * (a->n * b->n / n);
    a->n = n;
}

static int uncertain(const ree_pspec *s)
{
    return (s->type == REE_PT_NUM || s->type == REE_PT_DATE) && s->dist.kind != REE_DIST_CONST;
}

static int count_inputs(const ree_plan *p, input *in)
{
    int n = 0;
    for (int e = 0; e < p->nentity; e++) {
        const ree_entity *ent = &p->entities[e];
        for (size_t k = 0; k < ent->model->nparams; k++)
            if (uncertain(&ent->pspecs[k])) {
                if (in) {
                    snprintf(in[n].name, sizeof in[n].name, "%s.%s.%s", ent->section, ent->id,
                             ent->model->params[k].key);
                    in[n].hash = ent->phash[k];
                }
                n++;
            }
    }
    for (int i = 0; i < p->nevent; i++)
        for (int c = 0; c < p->events[i].nchange; c++) {
            const ree_change *ch = &p->events[i].changes[c];
            if (!uncertain(&ch->value))
                continue;
            if (in) {
                const ree_entity *ent = &p->entities[ch->entity];
                snprintf(in[n].name, sizeof in[n].name, "timeline[%d].set.%s.%s.%s", i,
                         ent->section, ent->id, ent->model->params[ch->param].key);
                in[n].hash = ch->hash;
            }
            n++;
        }
    for (int r = 0; r < p->nregime; r++)
        for (int c = 0; c < p->regimes[r].nchange; c++) {
            const ree_change *ch = &p->regimes[r].changes[c];
            if (!uncertain(&ch->value))
                continue;
            if (in) {
                const ree_entity *ent = &p->entities[ch->entity];
                snprintf(in[n].name, sizeof in[n].name, "regimes.%s.set.%s.%s.%s", p->regimes[r].id,
                         ent->section, ent->id, ent->model->params[ch->param].key);
                in[n].hash = ch->hash;
            }
            n++;
        }
    return n;
}

/* Whether indicator `i` of `p` is budgeted in `scope`. */
static int budgeted(const ree_plan *p, int i, ree_vb_scope scope)
{
    const ree_indicator *ind = &p->indicators[i];
    return (ind->def->flags & REE_MD_HEADLINE) &&
           (scope == REE_VB_ALL || (scope == REE_VB_REGIONS && ind->kind == REE_IND_REGION));
}

static int count_outputs(const ree_plan *p, ree_vb_scope scope)
{
    int n = 0;
    for (int i = 0; i < p->nindicator; i++)
        n += budgeted(p, i, scope);
    return n;
}

size_t ree_vb_cells(const ree_plan *p, ree_vb_scope scope)
{
    return (size_t)count_inputs(p, NULL) * (size_t)count_outputs(p, scope) * REE_VB_BINS;
}

size_t ree_vb_auto_limit(const ree_plan *p)
{
    /* in 64 bits, saturated: steps x entities x 64 can pass a 32-bit size_t */
    uint64_t per_run = (uint64_t)p->nsteps * (uint64_t)(p->nnode + p->nlink + p->ngate);
    uint64_t lim = per_run > REE_VB_AUTO_MAX_CELLS ? REE_VB_AUTO_MAX_CELLS
                                                   : REE_VB_AUTO_CELLS_PER_NODE_STEP * per_run;
    if (lim < REE_VB_AUTO_MIN_CELLS)
        lim = REE_VB_AUTO_MIN_CELLS;
    return lim < REE_VB_AUTO_MAX_CELLS ? (size_t)lim : REE_VB_AUTO_MAX_CELLS;
}

ree_vb_scope ree_vb_auto_scope(const ree_plan *p)
{
    size_t lim = ree_vb_auto_limit(p);
    if (ree_vb_cells(p, REE_VB_ALL) <= lim)
        return REE_VB_ALL;
    if (count_outputs(p, REE_VB_REGIONS) > 0 && ree_vb_cells(p, REE_VB_REGIONS) <= lim)
        return REE_VB_REGIONS;
    return REE_VB_OFF;
}

ree_vb *ree_vb_alloc(const ree_plan *p, ree_vb_scope scope)
{
    ree_vb *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->nin = count_inputs(p, NULL);
    v->nout = count_outputs(p, scope);
    size_t ncell = (size_t)v->nin * (size_t)v->nout * REE_VB_BINS;
    size_t nbin = (size_t)v->nin * REE_VB_BINS;
    v->in = calloc(v->nin ? (size_t)v->nin : 1, sizeof *v->in);
    v->out = calloc(v->nout ? (size_t)v->nout : 1, sizeof *v->out);
    v->cn = calloc(nbin ? nbin : 1, sizeof *v->cn);
    v->cmean = calloc(ncell ? ncell : 1, sizeof *v->cmean);
    v->cm2 = calloc(ncell ? ncell : 1, sizeof *v->cm2);
    v->y = calloc(v->nout ? (size_t)v->nout : 1, sizeof *v->y);
    v->tot = calloc(v->nout ? (size_t)v->nout : 1, sizeof *v->tot);
    v->rng = gsl_rng_alloc(ree_rng_philox);
    if (!v->in || !v->out || !v->cn || !v->cmean || !v->cm2 || !v->y || !v->tot || !v->rng) {
        ree_vb_free(v);
        return NULL;
    }
    count_inputs(p, v->in);
    for (int i = 0, k = 0; i < p->nindicator; i++)
        if (budgeted(p, i, scope))
            v->out[k++] = i;
    return v;
}

void ree_vb_free(ree_vb *v)
{
    if (!v)
        return;
    free(v->in);
    free(v->out);
    free(v->cn);
    free(v->cmean);
    free(v->cm2);
    free(v->y);
    free(v->tot);
    if (v->rng)
        gsl_rng_free(v->rng);
    free(v);
}

void ree_vb_reset(ree_vb *v)
{
    size_t nbin = (size_t)v->nin * REE_VB_BINS, ncell = nbin * (size_t)v->nout;
    memset(v->cn, 0, nbin * sizeof *v->cn);
    memset(v->cmean, 0, ncell * sizeof *v->cmean);
    memset(v->cm2, 0, ncell * sizeof *v->cm2);
    memset(v->tot, 0, (size_t)v->nout * sizeof *v->tot);
}

void ree_vb_add(ree_vb *v, unsigned long long seed, long long run, const double *indicators)
{
    size_t nout = (size_t)v->nout;
    double *y = v->y;
    for (size_t k = 0; k < nout; k++) {
        y[k] = indicators[v->out[k]];
        add(&v->tot[k], y[k]);
    }
    for (int i = 0; i < v->nin; i++) {
        ree_stream_key key = {seed, (uint64_t)run, v->in[i].hash, REE_STREAM_PARAMS};
        ree_rng_select(v->rng, &key);
        int b = (int)(ree_rng_uniform_pos(v->rng) * REE_VB_BINS);
        b = b < 0 ? 0 : b >= REE_VB_BINS ? REE_VB_BINS - 1 : b;
        size_t ib = (size_t)i * REE_VB_BINS + (size_t)b;
        double n = v->cn[ib] += 1; /* `add` on each output's cell of the bin */
        double *mean = v->cmean + ib * nout, *m2 = v->cm2 + ib * nout;
        for (size_t k = 0; k < nout; k++) {
            double d = y[k] - mean[k];
            mean[k] += d / n;
            m2[k] += d * (y[k] - mean[k]);
        }
    }
}

void ree_vb_merge(ree_vb *into, const ree_vb *from)
{
    size_t nbin = (size_t)into->nin * REE_VB_BINS, nout = (size_t)into->nout;
    for (size_t ib = 0; ib < nbin; ib++) { /* `merge` on each output's cell of the bin */
        double na = into->cn[ib], nb = from->cn[ib], n = na + nb;
        if (nb == 0)
            continue;
        double *mean = into->cmean + ib * nout, *m2 = into->cm2 + ib * nout;
        const double *fmean = from->cmean + ib * nout, *fm2 = from->cm2 + ib * nout;
        if (na == 0) {
            memcpy(mean, fmean, nout * sizeof *mean);
            memcpy(m2, fm2, nout * sizeof *m2);
        } else {
            for (size_t k = 0; k < nout; k++) {
                double d = fmean[k] - mean[k];
                mean[k] += d * (nb / n);
                m2[k] += fm2[k] + d * d * (na * nb / n);
            }
        }
        into->cn[ib] = na == 0 ? nb : n;
    }
    for (int k = 0; k < into->nout; k++)
        merge(&into->tot[k], &from->tot[k]);
}

int ree_vb_inputs(const ree_vb *v)
{
    return v->nin;
}

const char *ree_vb_input_name(const ree_vb *v, int i)
{
    return v->in[i].name;
}

int ree_vb_outputs(const ree_vb *v)
{
    return v->nout;
}

int ree_vb_output_indicator(const ree_vb *v, int k)
{
    return v->out[k];
}

double ree_vb_share(const ree_vb *v, int i, int k, double *share, double *noise)
{
    const moments *t = &v->tot[k];
    double N = t->n, ssb = 0, ssw = 0;
    int nb = 0;
    for (int b = 0; b < REE_VB_BINS; b++) {
        size_t ib = (size_t)i * REE_VB_BINS + (size_t)b, c = ib * (size_t)v->nout + (size_t)k;
        if (v->cn[ib] == 0)
            continue;
        nb++;
        double d = v->cmean[c] - t->mean;
        ssb += v->cn[ib] * d * d;
        ssw += v->cm2[c];
    }
    *noise = N > 0 ? sqrt(2.0 * (REE_VB_BINS - 1)) / N : NAN;
    double sst = ssb + ssw;
    if (N < 2 * REE_VB_BINS || !(sst > 0) || N <= nb) {
        *share = NAN;
        return N;
    }
    double msw = ssw / (N - nb);
    *share = (ssb - (nb - 1) * msw) / sst;
    return N;
}

/* Layout: the counts (nin x B), the means and the sums of squares (nin x B x nout each), then the
 * totals. */
size_t ree_vb_pack(const ree_vb *v, void *buf, size_t cap)
{
    size_t nbin = (size_t)v->nin * REE_VB_BINS, ncell = nbin * (size_t)v->nout;
    size_t a = nbin * sizeof *v->cn, c = ncell * sizeof *v->cmean;
    size_t b = (size_t)v->nout * sizeof *v->tot;
    if (buf && cap >= a + 2 * c + b) {
        unsigned char *p = buf;
        memcpy(p, v->cn, a);
        memcpy(p + a, v->cmean, c);
        memcpy(p + a + c, v->cm2, c);
        memcpy(p + a + 2 * c, v->tot, b);
    }
    return a + 2 * c + b;
}

size_t ree_vb_unpack(ree_vb *v, const void *buf, size_t len)
{
    size_t nbin = (size_t)v->nin * REE_VB_BINS, ncell = nbin * (size_t)v->nout;
    size_t a = nbin * sizeof *v->cn, c = ncell * sizeof *v->cmean;
    size_t b = (size_t)v->nout * sizeof *v->tot;
    if (len < a + 2 * c + b)
        return 0;
    const unsigned char *p = buf;
    memcpy(v->cn, p, a);
    memcpy(v->cmean, p + a, c);
    memcpy(v->cm2, p + a + c, c);
    memcpy(v->tot, p + a + 2 * c, b);
    return a + 2 * c + b;
}
