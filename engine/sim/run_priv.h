/* Private layout of a run workspace, shared by run.c (setup, reset) and run_step.c. */
#ifndef REESIM_RUN_PRIV_H
#define REESIM_RUN_PRIV_H

#include <math.h>
#include <gsl/gsl_rng.h>
#include "resilience.h"
#include "run.h"

#define ALIGN(n) (((n) + 15) & ~(size_t)15)

/* Largest magnitude a recorded value, stock, order or indicator may take. Statistics over runs
 * square deviations and sum them, so finite values near DBL_MAX still give an infinite sd;
 * below 1e100 squares stay below 1e200 and their sums finite for any number of runs. Bounded
 * parameters keep real scenarios many orders below it (1e9 t grown 3-fold a year for 100 years
 * is 5e56 t; in units at 1e-6 kg/unit, 5e65). Beyond it, or not finite: REE_ENONFINITE. */
#define REE_RUN_VALUE_MAX 1e100
#define IN_RANGE(v)       (fabs(v) <= REE_RUN_VALUE_MAX) /* false for NaN and inf */

/* A node hook of one phase, resolved once at allocation (run.c, hooks_setup): the phase's
 * nodes that have the hook, in node order, with their parameters, state and io block. */
typedef struct node_call {
    void (*hook)(const void *, void *, const ree_node_io *);
    const void *par;
    void *state;
    ree_node_io *io; /* nio + node */
    int node;
} node_call;

/* A sector node: its metrics the engine reads (ree_sector_contract, in its entity's block of
 * metrics), its `material` and its region group (-1 when none). */
typedef struct sector_rt {
    const double *need, *consumed, *shortfall, *lost_units;
    int node, mat, region;
} sector_rt;

/* Phases with node hooks, in step order. */
enum { PH_PRODUCE, PH_ORDER, PH_OFFER, PH_CONSUME, PH_ACCOUNT, PH_COUNT };

/* Ranks a link may have: 0..9, the bounds of models/link.c's `rank` (checked at load, also for
 * timeline and regime values). */
#define REE_LINK_RANKS 10

typedef struct link_rt {
    /* Fixed for the workspace (ree_run_alloc_horizon): where the link's flows go. */
    size_t to, from; /* node-material offsets of its destination and its source */
    long slot;       /* its gate slot (goff[gate] + gate_slot), -1 when ungated */
    gsl_rng *rng;    /* its per-step stream: keyed for step t > 0 where it draws (shipping) */
    uint32_t kind;   /* that stream's ree_stream_kind */
    /* Read at reset: the whole and fractional months of its delivery without a random delay
     * (dispatch: max(1, lead) split into floor and rest, lead_time being at most 120), and 1
     * minus the rest: the share that arrives after the whole months. */
    long k0;
    double f0, g0;
    double lead, delay_prob, delay_months, priority;
    double share;       /* 1, normalised within its (destination, material, rank) group */
    double share_given; /* 1, the link's `share` parameter this step */
    int rank;
} link_rt;

struct ree_run {
    const ree_plan *p;
    int nsteps, nmat, t, check, maxrank;
    unsigned long long seed;
    long long run;
    char err[256];

    unsigned char *base, *eff;      /* parameter structs, at poff[e] */
    unsigned char *base0;           /* `base` with every parameter that is not sampled written */
    int nsampled;                   /* parameters sampled per run: entity sampled_ent[i], index */
    int *sampled_ent, *sampled_par; /* sampled_par[i] in its model's table (samples_setup) */
    size_t *poff;
    unsigned char **par;  /* effective parameters of each entity */
    unsigned char *state; /* model states, at soff[e] */
    size_t *soff;
    size_t state_bytes;
    gsl_rng **rng;  /* per entity per-step stream */
    uint32_t *kind; /* per entity: its per-step stream's ree_stream_kind */
    /* The per-step streams ree_run_streams keys at each step: every entity's but the links'
     * (keyed when they draw), in entity order, with their kinds. */
    gsl_rng **step_rng;
    uint32_t *step_kind;
    int nstep_rng;
    gsl_rng *tmp; /* parameter sampling */
    gsl_rng *regime_rng;
    ree_model_ctx *ctx;

    double *metrics; /* per entity, at moff[e] */
    size_t *moff;

    /* node x material. prev, prod and lost are read by the mass-balance check only: a step
     * without it (r->check 0) neither clears nor writes them. */
    double *stock, *prev, *recv, *ship, *prod, *cons, *lost;
    double *order, *position, *requested, *requested_now, *unmet, *unmet_next;
    /* node x material: what a node with an offer hook offers this step (preset to its stock,
     * at least 0, before the hook); +inf for the other nodes, set at allocation and at each
     * reset (offers_unbounded in run.c), so that the least of offer and stock (allocate in
     * run_step.c) is their stock. */
    double *offer;
    double *asked; /* node x material: this step's rank-0 requests on its outbound links */
    double *produced_io, *consumed_io, *lost_io; /* nmat scratch */
    double *history;                             /* nsteps x nmat: sector consumption */
    double *scarcity, *need_sum, *short_sum;     /* nmat */
    double *price;                               /* nmat: price index, 1 when not modelled */
    sector_rt *sector; /* the nodes whose model is a sector, in node order (run.c, sectors_setup) */
    int nsector;

    link_rt *lk;
    double *pipe; /* nlink x (nsteps + 2) */
    double *transit, *shipped, *req;
    double *lead_in; /* node x material: rank-0 supply lead time [months] */
    double *extra;   /* per link: delay this step */
    /* Per link: its delay when it is not random (delay_prob 0 or 1); the links whose delay is
     * (0 < delay_prob < 1), in link order (set with delay_prob, in link_params). */
    double *extra0;
    int *rand_link, nrand_link;
    int *goff;        /* gate offsets into gate-slot arrays */
    ree_gate_io *gio; /* per gate: its io block (step aside), built at allocation */
    int *g_material;
    uint64_t *g_end_use;
    double *g_applied, *g_shipped, *g_licensed, *g_on_order;
    double *g_granted;   /* per gate slot: t granted this step (per-region series) */
    double *g_fallback;  /* per gate slot of a rank > 0 link: what reached its rank last step */
    const void **g_rule; /* per gate slot: effective parameters of its rule, NULL when none */
    double *total0;      /* nmat: initial network stock (global check) */
    double *gross;       /* nmat: all that stood or moved in the network so far (the initial
                            stock, then each step's receipts, shipments, production,
                            consumption and losses, every node): the global check's scale,
                            kept by ree_run_balance */

    /* Node-material pairs (n, m) with m in the node's `materials`, in node then material order,
     * and the outbound links of each pair in file order (pairs_setup in run.c). */
    int npair;
    size_t *pair_nm; /* per pair: its node-material offset, n * nmat + m */
    int *pair_off, *pair_link;
    unsigned *pair_ranks; /* per pair: bit k set when one of its links has rank k */
    /* pair_rlink: each pair's links sorted by rank, then priority (highest first), then as in
     * pair_link (a stable sort); pair pr's links of rank k are pair_rlink[i] for i from
     * pair_roff[pr * (REE_LINK_RANKS + 1) + k] to the next offset, in groups of one priority:
     * the group at i ends at rlink_gend[i]. Redone with the ranks (link_params). */
    int *pair_rlink, *pair_roff, *rlink_gend;
    /* The links of rank k, in file order: rank_link[rank_off[k] .. rank_off[k + 1]) (set with
     * the ranks, in link_params). */
    int rank_off[REE_LINK_RANKS + 1];
    int *rank_link;
    /* The pairs with a link of rank k, in pair order: rank_pair[rank_poff[k] .. rank_poff[k + 1]);
     * the pairs with none of rank 0: pair_idle[0 .. npair_idle) (set with the ranks). */
    int rank_poff[REE_LINK_RANKS + 1];
    int *rank_pair, *pair_idle, npair_idle;
    /* The rank-0 links whose source node has an offer hook (the only nodes asked), in file
     * order (set with the ranks). */
    int *ask_link, nask_link;

    ree_node_io *nio;        /* per node: its io block, every pointer set at allocation */
    node_call *calls;        /* the hooks of all phases, phase after phase */
    int ncall[PH_COUNT + 1]; /* phase ph's hooks are calls[ncall[ph] .. ncall[ph + 1]) */

    double *chval; /* sampled values of timeline and regime changes */
    int nchval;
    int next_event;
    int regime;        /* current regime, -1 before the chain starts */
    int *regime_touch; /* per entity: 1 when some regime overrides it */

    /* Region totals (plan indicators of kind REE_IND_REGION), one group per region. */
    int nregion;
    int *region_ind;       /* nregion: the group's first indicator */
    int *region_of;        /* per entity: its region group, -1 when none */
    double *region_sum;    /* nregion x 4: need, consumed, shortfall, lost_units this step */
    ree_resil *region_acc; /* nregion */

    double *series; /* nseries x nsteps */
    /* Columns [t, series_stale) of series may still hold an earlier run's values: a step writes
     * its whole column, so ree_run_reset leaves the zeroing to ree_run_series (zero_stale), which
     * a completed run (t == nsteps) never needs. */
    int series_stale;
    const double **ssrc; /* per series: the workspace value it records, NULL when computed */
    /* The series with a ssrc, in table order: the value and the series' row (series +
     * s * nsteps), so that recording one is a copy to row[t]. */
    struct ree_run_scopy {
        const double *src;
        double *row;
    } * sdirect;
    int nsdirect;
    int *scomputed, nscomputed; /* the others (series_value in run_step.c), in table order */
    double *indicators;
};

/* Phase 2 of a step after the first (run.c): timeline events of this step, the regime's
 * transition and overrides, and the link parameters that follow from them. Returns 1 when the
 * effective parameters were laid anew (they may have changed), 0 when nothing was due. */
int ree_run_policy(ree_run *r);

/* Whether this step's regime transition draws (the chain past its first step): its one draw,
 * ree_rng_uniform_pos(r->regime_rng), on the stream ree_run_streams keyed for the step, which
 * nothing else in the step draws from. */
static inline int ree_run_regime_draws(const ree_run *r)
{
    return r->p->nregime && r->t > r->p->regime_start;
}

/* ree_run_policy with that draw made by the caller: *u is the value it would have drawn (read
 * only where ree_run_regime_draws), or u NULL to draw it here (ree_run_policy). The lockstep
 * step draws the lanes' together (lrun_step.c, policy). */
int ree_run_policy_u(ree_run *r, const double *u);

/* The part of ree_run_reset that is the run's and not its step state: the parameters sampled,
 * the changes' values, the streams keyed, step 0's policy applied and the region accumulators
 * reset. The lockstep workspace (lrun.c) keeps one ree_run per lane for it. */
void ree_run_reset_params(ree_run *r, unsigned long long seed, long long run);

/* The end of a run after its model indicators are written (run_step.c): the region indicators,
 * then every indicator checked in range. Returns REE_OK or REE_ENONFINITE with the message. */
ree_status ree_run_close(ree_run *r);

/* The mass-balance check of step r->t and the search for its first value out of range (named
 * in r->err), on the workspace's values (run_step.c). */
int ree_run_balance(ree_run *r);
int ree_run_out_of_range(ree_run *r);

/* Select this step's random streams: each entity's per-step stream is keyed by (seed, run,
 * entity, kind | (step + 1) << 8), so the draws of a month do not depend on how many draws the
 * entity made in earlier months. A link's stream (its one draw a step: a random delay, when its
 * delay_prob is strictly between 0 and 1) is keyed for steps after the first where it draws,
 * in shipping (run_step.c): a stream that draws nothing need not be keyed. Two scenarios whose models draw differently once (a gate
 * approving at 10% against one at 60% takes a different number of binomial draws) therefore
 * still share every later month's draws: common random numbers survive divergence. */
void ree_run_streams(ree_run *r);

#endif
