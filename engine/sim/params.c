/* Parameter values: writing specifications into model parameter structs. */
#include <math.h>
#include <string.h>
#include "params.h"
#include "rng.h"

void ree_param_write(const ree_param_def *def, const ree_pspec *spec, void *params, gsl_rng *rng)
{
    char *field = (char *)params + def->offset;
    switch (def->type) {
    case REE_PT_NUM:
    case REE_PT_DATE: {
        double v;
        if (spec->dist.kind == REE_DIST_CONST) {
            v = spec->dist.a;
        } else if (rng) {
            v = ree_dist_sample(&spec->dist, rng);
        } else {
            double lo, hi;
            ree_dist_support(&spec->dist, &lo, &hi);
            v = ree_dist_mean(&spec->dist);
            v = v < lo ? lo : v > hi ? hi : v;
        }
        if (def->flags & REE_PF_INT)
            v = nearbyint(v);
        memcpy(field, &v, sizeof v);
        break;
    }
    case REE_PT_MATERIAL:
        memcpy(field, &spec->ival, sizeof spec->ival);
        break;
    case REE_PT_MATMAP:
        memcpy(field, &spec->vec, sizeof spec->vec);
        break;
    case REE_PT_MATSET:
    case REE_PT_TAGSET:
        memcpy(field, &spec->mask, sizeof spec->mask);
        break;
    }
}

void ree_params_fill(const ree_plan *p, int e, void *params, gsl_rng *rng, unsigned long long seed,
                     long long run)
{
    const ree_entity *ent = &p->entities[e];
    const ree_model *m = ent->model;
    memset(params, 0, m->params_size);
    for (size_t i = 0; i < m->nparams; i++) {
        const ree_pspec *spec = &ent->pspecs[i];
        gsl_rng *r = NULL;
        if (rng && spec->dist.kind != REE_DIST_CONST &&
            (spec->type == REE_PT_NUM || spec->type == REE_PT_DATE)) {
            ree_stream_key k = {seed, (uint64_t)run, ent->phash[i], REE_STREAM_PARAMS};
            ree_rng_select(rng, &k);
            r = rng;
        }
        ree_param_write(&m->params[i], spec, params, r);
    }
}
