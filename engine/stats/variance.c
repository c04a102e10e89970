/* Variance budget by binning the sampling uniforms (see variance.h). */
#include "variance.h"

#include <math.h>
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

struct ree_vb {
    int nin, nout;
    input *in;
    int *out;      /* nout: plan indicator indices */
    moments *cell; /* nin x nout x B */
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

size_t ree_vb_cells(const ree_plan *p)
{
    size_t nout = 0;
    for (int i = 0; i < p->nindicator; i++)
        nout += (p->indicators[i].def->flags & REE_MD_HEADLINE) != 0;
    return (size_t)count_inputs(p, NULL) * nout * REE_VB_BINS;
}

ree_vb *ree_vb_alloc(const ree_plan *p)
{
    ree_vb *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->nin = count_inputs(p, NULL);
    for (int i = 0; i < p->nindicator; i++)
        v->nout += (p->indicators[i].def->flags & REE_MD_HEADLINE) != 0;
    size_t ncell = (size_t)v->nin * (size_t)v->nout * REE_VB_BINS;
    v->in = calloc(v->nin ? (size_t)v->nin : 1, sizeof *v->in);
    v->out = calloc(v->nout ? (size_t)v->nout : 1, sizeof *v->out);
    v->cell = calloc(ncell ? ncell : 1, sizeof *v->cell);
    v->tot = calloc(v->nout ? (size_t)v->nout : 1, sizeof *v->tot);
    v->rng = gsl_rng_alloc(ree_rng_philox);
    if (!v->in || !v->out || !v->cell || !v->tot || !v->rng) {
        ree_vb_free(v);
        return NULL;
    }
    count_inputs(p, v->in);
    for (int i = 0, k = 0; i < p->nindicator; i++)
        if (p->indicators[i].def->flags & REE_MD_HEADLINE)
            v->out[k++] = i;
    return v;
}

void ree_vb_free(ree_vb *v)
{
    if (!v)
        return;
    free(v->in);
    free(v->out);
    free(v->cell);
    free(v->tot);
    if (v->rng)
        gsl_rng_free(v->rng);
    free(v);
}

void ree_vb_reset(ree_vb *v)
{
    memset(v->cell, 0, (size_t)v->nin * (size_t)v->nout * REE_VB_BINS * sizeof *v->cell);
    memset(v->tot, 0, (size_t)v->nout * sizeof *v->tot);
}

void ree_vb_add(ree_vb *v, unsigned long long seed, long long run, const double *indicators)
{
    for (int k = 0; k < v->nout; k++)
        add(&v->tot[k], indicators[v->out[k]]);
    for (int i = 0; i < v->nin; i++) {
        ree_stream_key key = {seed, (uint64_t)run, v->in[i].hash, REE_STREAM_PARAMS};
        ree_rng_select(v->rng, &key);
        int b = (int)(ree_rng_uniform_pos(v->rng) * REE_VB_BINS);
        b = b < 0 ? 0 : b >= REE_VB_BINS ? REE_VB_BINS - 1 : b;
        for (int k = 0; k < v->nout; k++)
            add(&v->cell[((size_t)i * (size_t)v->nout + (size_t)k) * REE_VB_BINS + (size_t)b],
                indicators[v->out[k]]);
    }
}

void ree_vb_merge(ree_vb *into, const ree_vb *from)
{
    size_t ncell = (size_t)into->nin * (size_t)into->nout * REE_VB_BINS;
    for (size_t c = 0; c < ncell; c++)
        merge(&into->cell[c], &from->cell[c]);
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
    const moments *c = &v->cell[((size_t)i * (size_t)v->nout + (size_t)k) * REE_VB_BINS];
    double N = t->n, ssb = 0, ssw = 0;
    int nb = 0;
    for (int b = 0; b < REE_VB_BINS; b++) {
        if (c[b].n == 0)
            continue;
        nb++;
        double d = c[b].mean - t->mean;
        ssb += c[b].n * d * d;
        ssw += c[b].m2;
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

size_t ree_vb_pack(const ree_vb *v, void *buf, size_t cap)
{
    size_t ncell = (size_t)v->nin * (size_t)v->nout * REE_VB_BINS;
    size_t a = ncell * sizeof *v->cell, b = (size_t)v->nout * sizeof *v->tot;
    if (buf && cap >= a + b) {
        memcpy(buf, v->cell, a);
        memcpy((unsigned char *)buf + a, v->tot, b);
    }
    return a + b;
}

size_t ree_vb_unpack(ree_vb *v, const void *buf, size_t len)
{
    size_t ncell = (size_t)v->nin * (size_t)v->nout * REE_VB_BINS;
    size_t a = ncell * sizeof *v->cell, b = (size_t)v->nout * sizeof *v->tot;
    if (len < a + b)
        return 0;
    memcpy(v->cell, buf, a);
    memcpy(v->tot, (const unsigned char *)buf + a, b);
    return a + b;
}
