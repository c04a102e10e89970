/*
 * Scenario loader, part 3: the network as a whole. Link lists per node and gate, which
 * materials each node holds, material compatibility of links (a link carries only what its
 * sender can ship and its receiver takes), every needed material reachable by a link, shares
 * that sum to one, and each model's own cross-parameter check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"
#include "params.h"

/* Materials named by the entity's parameters flagged `flag` (REE_PF_IN or REE_PF_OUT); *any
 * says whether the model has such a parameter at all. */
static uint64_t flagged_materials(const ree_entity *ent, unsigned flag, int nmat, int *any)
{
    uint64_t mask = 0;
    *any = 0;
    for (size_t i = 0; i < ent->model->nparams; i++) {
        const ree_param_def *def = &ent->model->params[i];
        if (!(def->flags & flag))
            continue;
        *any = 1;
        const ree_pspec *s = &ent->pspecs[i];
        if (def->type == REE_PT_MATERIAL && s->ival >= 0)
            mask |= UINT64_C(1) << s->ival;
        else if (def->type == REE_PT_MATMAP && s->vec)
            for (int m = 0; m < nmat; m++)
                if (s->vec[m] > 0)
                    mask |= UINT64_C(1) << m;
    }
    return mask;
}

static const ree_ynode *mark_node(const ree_entity *ent, ree_ynode *tmp)
{
    memset(tmp, 0, sizeof *tmp);
    tmp->mark = ent->mark;
    return tmp;
}

static double link_share(const ree_plan *p, int l, int *is_const)
{
    const ree_entity *ent = &p->entities[p->links[l].entity];
    int k = ree_model_param_at(ent->model, ent->model->link->share);
    const ree_pspec *s = &ent->pspecs[k];
    *is_const = s->dist.kind == REE_DIST_CONST;
    return *is_const ? s->dist.a : ree_dist_mean(&s->dist);
}

static int link_rank(const ree_plan *p, int l)
{
    const ree_entity *ent = &p->entities[p->links[l].entity];
    int k = ree_model_param_at(ent->model, ent->model->link->rank);
    return (int)ent->pspecs[k].dist.a;
}

/* Whether rule r applies to buyer node n: every criterion it gives matches. */
static int rule_matches(const ree_plan *p, const ree_rule *r, int n)
{
    const ree_node *node = &p->nodes[n];
    if (r->nregion) {
        int hit = 0;
        for (int k = 0; k < r->nregion && !hit; k++)
            hit = node->region && !strcmp(node->region, r->regions[k]);
        if (!hit)
            return 0;
    }
    if (r->has_end_uses && !(node->end_use >= 0 && ((r->end_uses >> node->end_use) & 1u)))
        return 0;
    if (r->nbuyer) {
        int hit = 0;
        for (int k = 0; k < r->nbuyer && !hit; k++)
            hit = r->buyers[k] == n;
        if (!hit)
            return 0;
    }
    return 1;
}

/* The first rule of gate g (file order) that applies to buyer node n; -1 when none does. */
static int first_rule(const ree_plan *p, int g, int n)
{
    for (int i = 0; i < p->nrule; i++)
        if (p->rules[i].gate == g && rule_matches(p, &p->rules[i], n))
            return i;
    return -1;
}

int ld_network(loader *L)
{
    ree_plan *p = L->p;
    ree_ynode tmp;
    for (int n = 0; n < p->nnode; n++) {
        ree_node *node = &p->nodes[n];
        node->in_links = ld_calloc(L, (size_t)p->nlink, sizeof(int));
        node->out_links = ld_calloc(L, (size_t)p->nlink, sizeof(int));
        for (int m = 0; m < p->nmat; m++)
            if (node->stock0 && node->stock0[m] > 0)
                node->materials |= UINT64_C(1) << m;
    }
    for (int g = 0; g < p->ngate; g++) {
        p->gates[g].links = ld_calloc(L, (size_t)p->nlink, sizeof(int));
        p->gates[g].rule = ld_calloc(L, (size_t)p->nlink, sizeof(int));
    }
    if (L->oom)
        return -1;
    for (int l = 0; l < p->nlink; l++) {
        ree_link *lk = &p->links[l];
        ree_node *from = &p->nodes[lk->from], *to = &p->nodes[lk->to];
        from->out_links[from->nout++] = l;
        to->in_links[to->nin++] = l;
        from->materials |= UINT64_C(1) << lk->material;
        to->materials |= UINT64_C(1) << lk->material;
        if (lk->gate >= 0) {
            ree_gate *g = &p->gates[lk->gate];
            lk->gate_slot = g->nlink;
            g->rule[g->nlink] = first_rule(p, lk->gate, lk->to);
            g->links[g->nlink++] = l;
        }
        const ree_entity *le = &p->entities[lk->entity];
        char path[REE_PATH_MAX];
        snprintf(path, sizeof path, "links.%s.material", le->id);
        int any;
        uint64_t out = flagged_materials(&p->entities[from->entity], REE_PF_OUT, p->nmat, &any);
        if (any && !(out & (UINT64_C(1) << lk->material)))
            ld_err(L, mark_node(le, &tmp), path,
                   "node '%s' (model %s) does not supply material '%s'",
                   p->entities[from->entity].id, p->entities[from->entity].model->name,
                   p->mat_id[lk->material]);
        uint64_t in = flagged_materials(&p->entities[to->entity], REE_PF_IN, p->nmat, &any);
        if (any && !(in & (UINT64_C(1) << lk->material)))
            ld_err(L, mark_node(le, &tmp), path, "node '%s' (model %s) does not take material '%s'",
                   p->entities[to->entity].id, p->entities[to->entity].model->name,
                   p->mat_id[lk->material]);
    }
    /* Every material a node needs must reach it; materials it names are materials it holds. */
    for (int n = 0; n < p->nnode; n++) {
        ree_node *node = &p->nodes[n];
        const ree_entity *ent = &p->entities[node->entity];
        int any;
        uint64_t in = flagged_materials(ent, REE_PF_IN, p->nmat, &any);
        uint64_t out = flagged_materials(ent, REE_PF_OUT, p->nmat, &any);
        node->materials |= in | out;
        for (int m = 0; m < p->nmat; m++) {
            if (!(in & (UINT64_C(1) << m)))
                continue;
            int reached = 0;
            for (int i = 0; i < node->nin; i++)
                reached |= p->links[node->in_links[i]].material == m;
            if (!reached) {
                char path[REE_PATH_MAX];
                snprintf(path, sizeof path, "nodes.%s", ent->id);
                ld_err(L, mark_node(ent, &tmp), path,
                       "needs material '%s' but no link brings it to this node", p->mat_id[m]);
            }
        }
        /* Shares of the links into this node, per material and rank, sum to one. */
        for (int i = 0; i < node->nin; i++) {
            int li = node->in_links[i], done = 0;
            for (int j = 0; j < i; j++)
                done |= p->links[node->in_links[j]].material == p->links[li].material &&
                        link_rank(p, node->in_links[j]) == link_rank(p, li);
            if (done)
                continue;
            double sum = 0;
            int all_const = 1, count = 0;
            for (int j = i; j < node->nin; j++) {
                int lj = node->in_links[j], c;
                if (p->links[lj].material != p->links[li].material ||
                    link_rank(p, lj) != link_rank(p, li))
                    continue;
                sum += link_share(p, lj, &c);
                all_const &= c;
                count++;
            }
            if (all_const && fabs(sum - 1.0) > 1e-6) {
                char path[REE_PATH_MAX];
                snprintf(path, sizeof path, "nodes.%s", ent->id);
                ld_err(L, mark_node(&p->entities[p->links[li].entity], &tmp), path,
                       "the shares of the %d link%s bringing '%s' to this node at rank %d sum to "
                       "%g, not 1: give each link a 'share'",
                       count, count == 1 ? "" : "s", p->mat_id[p->links[li].material],
                       link_rank(p, li), sum);
            }
        }
    }
    /* At most one price index per material. */
    for (int n = 0; n < p->nnode; n++) {
        const ree_entity *ent = &p->entities[p->nodes[n].entity];
        if (!ent->model->price)
            continue;
        int k = ree_model_param_at(ent->model, ent->model->price->material);
        for (int j = 0; j < n; j++) {
            const ree_entity *other = &p->entities[p->nodes[j].entity];
            if (other->model->price &&
                other->pspecs[ree_model_param_at(other->model, other->model->price->material)]
                        .ival == ent->pspecs[k].ival) {
                char path[REE_PATH_MAX];
                snprintf(path, sizeof path, "nodes.%s.params.material", ent->id);
                ree_ynode at;
                memset(&at, 0, sizeof at);
                at.mark = ent->pspecs[k].mark;
                ld_err(L, &at, path, "material '%s' already has a price index ('%s')",
                       p->mat_id[ent->pspecs[k].ival], other->id);
            }
        }
    }
    /* A link's priority, when not given, is its destination's (if that model has one). */
    for (int l = 0; l < p->nlink; l++) {
        ree_entity *le = &p->entities[p->links[l].entity];
        const ree_entity *de = &p->entities[p->nodes[p->links[l].to].entity];
        int lk = ree_model_param_at(le->model, le->model->link->priority);
        int dk =
            de->model->sector ? ree_model_param_at(de->model, de->model->sector->priority) : -1;
        if (lk >= 0 && dk >= 0 && !le->pspecs[lk].given)
            le->pspecs[lk].dist = de->pspecs[dk].dist;
    }
    /* Each model's cross-parameter check, on central values. */
    for (int e = 0; e < p->nentity; e++) {
        const ree_entity *ent = &p->entities[e];
        if (!ent->model->check)
            continue;
        void *buf = ld_calloc(L, 1, ent->model->params_size);
        if (!buf)
            return -1;
        ree_params_fill(p, e, buf, NULL, 0, 0);
        ree_model_ctx ctx = ree_plan_ctx(p, e);
        const char *key = NULL;
        char why[256] = "";
        if (ent->model->check(buf, &ctx, &key, why, sizeof why)) {
            char path[REE_PATH_MAX];
            snprintf(path, sizeof path, "%s.%s%s%s", ent->section, ent->id,
                     key ? (e < p->nnode ? ".params." : ".") : "", key ? key : "");
            int k = key ? ree_model_param_index(ent->model, key) : -1;
            ree_ynode at;
            memset(&at, 0, sizeof at);
            at.mark = (k >= 0 && ent->pspecs[k].given) ? ent->pspecs[k].mark : ent->mark;
            ld_err(L, &at, path, "%s", why);
        }
        free(buf);
    }
    return 0;
}
