/* The plan: accessors and release. Loading is in plan_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan.h"

static void free_changes(ree_change *ch, int n)
{
    for (int i = 0; ch && i < n; i++)
        free((void *)ch[i].value.vec);
    free(ch);
}

void ree_plan_free(ree_plan *p)
{
    if (!p)
        return;
    free(p->file);
    free(p->name);
    free(p->description);
    for (int i = 0; i < p->nsources; i++)
        free(p->sources[i]);
    free(p->sources);
    for (int i = 0; i < p->nreport; i++)
        free(p->report[i]);
    free(p->report);
    for (int i = 0; i < p->nmat; i++) {
        free(p->mat_id[i]);
        free(p->mat_name[i]);
        free(p->mat_unit[i]);
    }
    free(p->mat_id);
    free(p->mat_name);
    free(p->mat_unit);
    for (int i = 0; p->tags && i < p->ntag; i++)
        free(p->tags[i]);
    free(p->tags);
    for (int e = 0; p->entities && e < p->nentity; e++) {
        ree_entity *ent = &p->entities[e];
        free(ent->id);
        for (size_t k = 0; ent->pspecs && k < ent->model->nparams; k++)
            free((void *)ent->pspecs[k].vec);
        free(ent->pspecs);
        free(ent->phash);
    }
    free(p->entities);
    for (int n = 0; p->nodes && n < p->nnode; n++) {
        free(p->nodes[n].region);
        free(p->nodes[n].stock0);
        free(p->nodes[n].in_links);
        free(p->nodes[n].out_links);
    }
    free(p->nodes);
    free(p->links);
    for (int g = 0; p->gates && g < p->ngate; g++) {
        free(p->gates[g].links);
        free(p->gates[g].rule);
    }
    free(p->gates);
    for (int i = 0; p->rules && i < p->nrule; i++) {
        for (int k = 0; k < p->rules[i].nregion; k++)
            free(p->rules[i].regions[k]);
        free(p->rules[i].regions);
        free(p->rules[i].buyers);
    }
    free(p->rules);
    for (int i = 0; p->events && i < p->nevent; i++) {
        free_changes(p->events[i].changes, p->events[i].nchange);
        free(p->events[i].note);
    }
    free(p->events);
    for (int r = 0; p->regimes && r < p->nregime; r++) {
        free(p->regimes[r].id);
        free_changes(p->regimes[r].changes, p->regimes[r].nchange);
        free(p->regimes[r].to);
    }
    free(p->regimes);
    for (int s = 0; p->series && s < p->nseries; s++) {
        free(p->series[s].entity_name);
        free(p->series[s].metric);
        free(p->series[s].sum);
        free(p->series[s].slots);
    }
    free(p->series);
    for (int i = 0; p->indicators && i < p->nindicator; i++)
        free(p->indicators[i].entity_name);
    free(p->indicators);
    for (int i = 0; p->observations && i < p->nobs; i++) {
        free(p->observations[i].label);
        free(p->observations[i].file);
        free(p->observations[i].step);
        free(p->observations[i].value);
    }
    free(p->observations);
    for (int i = 0; p->calib && i < p->ncalib; i++)
        free(p->calib[i].path);
    free(p->calib);
    for (int i = 0; p->explore && i < p->nexplore; i++) {
        free(p->explore[i].path);
        free(p->explore[i].values);
    }
    free(p->explore);
    free(p);
}

void ree_plan_date(const ree_plan *p, int step, char *buf, size_t len)
{
    int m = p->start + step;
    snprintf(buf, len, "%04d-%02d", m / 12, m % 12 + 1);
}

ree_model_ctx ree_plan_ctx(const ree_plan *p, int entity)
{
    ree_model_ctx ctx = {p->nsteps, p->nmat, 0, (const char *const *)p->mat_id};
    int first_gate = p->nnode + p->nlink;
    if (entity >= first_gate && entity < first_gate + p->ngate)
        ctx.nlink = p->gates[entity - first_gate].nlink;
    return ctx;
}

int ree_plan_entity(const ree_plan *p, const char *id)
{
    for (int e = 0; e < p->nentity; e++)
        if (p->entities[e].id && strcmp(p->entities[e].id, id) == 0)
            return e;
    return -1;
}
