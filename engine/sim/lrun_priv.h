/* Private layout of a lockstep workspace, shared by lrun.c (set-up, reset, end) and
 * lrun_step.c. Every ree_vd array holds one lane vector per entry of the ree_run array of the
 * same name (run_priv.h). */
#ifndef REESIM_LRUN_PRIV_H
#define REESIM_LRUN_PRIV_H

#include "lrun.h"
#include "run_priv.h"

typedef uint64_t ree_vu __attribute__((vector_size(REE_LANES * sizeof(uint64_t))));

/* A link's numbers in each lane (link_rt's, set by each lane's policy). */
typedef struct llink {
    ree_vd f0, g0, lead, priority, share, extra0;
    long k0[REE_LANES];
    long k0u;      /* the lanes' common k0, or -1 when they differ */
    unsigned rand; /* bit l: the link's delay is random in lane l (in run l's rand_link) */
} llink;

struct ree_lrun {
    const ree_plan *p;
    ree_run *run[REE_LANES]; /* per lane: parameters, policy, links, streams, results */
    int nsteps, nmat, t, check, count;
    size_t nnm, w; /* node-material pairs; a pipeline row (nsteps + 2) */

    unsigned char *lpar; /* per entity: its parameters transposed, at lpoff[e] */
    size_t *lpoff;
    unsigned char *lstate; /* per entity: its lane state, at lsoff[e] */
    size_t *lsoff;
    const ree_model_lanes **lanes; /* per entity: its lane hooks for this CPU (ree_lanes_of), or
                                      NULL: its scalar hooks lane by lane */
    void (*step)(ree_lrun *g);     /* ree_lrun_step, built for this CPU */
    ree_vd *metrics;               /* per entity, at run[0]->moff[e] */

    ree_vd *stock, *prev, *recv, *ship, *prod, *cons, *lost; /* node x material */
    ree_vd *order, *position, *requested, *requested_now, *unmet, *unmet_next, *offer, *asked;
    ree_vd *lead_in;
    ree_vd *bk;                                               /* a hook's bookings: 3 x nmat */
    ree_vd *price, *scarcity, *need_sum, *short_sum, *total0; /* nmat */
    ree_vd *history;                                          /* nsteps x nmat */
    ree_vd *pipe, *transit, *shipped, *req, *extra;           /* per link (pipe: w each) */
    llink *lk;
    ree_vd *g_applied, *g_shipped, *g_licensed, *g_on_order, *g_granted, *g_fallback; /* slot */
    const void **g_rule; /* per gate slot: its rule's transposed parameters, NULL when none */
    ree_vd *series;      /* nseries x nsteps */
    const ree_vd **ssrc; /* per series: the lane value it records, NULL when computed */
    ree_vd *region_sum;  /* nregion x 4 */
    ree_node_io_lanes *nio;
    ree_gate_io_lanes *gio;
    gsl_rng **rng; /* entity e's stream of lane l at rng[e * REE_LANES + l] */
    double *ind;   /* a model's indicators, REE_LANES each */

    /* The lanes' layouts: uni when every link has the same rank in every lane (the rank lists
     * of run[0] are then every lane's); pair_same[pr], when pair pr's links are also in the
     * same order and priority groups in every lane. */
    int uni;
    int *pair_same;
    /* The links whose delay is random in some lane (llink.rand nonzero), in link order. */
    int *rand_link, nrand_link;
    int *oldrank; /* REE_LANES x nlink: the ranks before a policy step */
    int *policy;  /* the entities timeline events or regimes change (policy_setup in lrun.c) */
    int npolicy, policy_links;

    ree_status st[REE_LANES]; /* the first failure of each lane's run */
};

/* lrun.c: lay the lanes' parameters, link numbers and layouts anew: all of them (at reset), or
 * after a policy step those that policy can change. */
void ree_lrun_params(ree_lrun *g, int all);

/* lrun_step.c: one step of every lane; the same built for x86-64-v4 (AVX-512) when the
 * compiler can (model_lanes.h, "Instruction sets"), else the same function. */
void ree_lrun_step(ree_lrun *g);
void ree_lrun_step_v4(ree_lrun *g);

#endif
