/*
 * Spike (issue 12, after stop 21): the engine's own step bookkeeping (engine/sim/run_step.c)
 * replayed with the hooks' outputs taken from a trace, once per run as today (scalar) and once
 * for 8 runs at a time with every state value a vector of 8 doubles (lanes). Not product code.
 *
 * The capture (capture.c) runs the library's engine on a scenario, with every hook wrapped so
 * that what it writes is copied into a per-run-step "feed" record, and snapshots the engine's
 * state before the first step and after every step. The replays (replay_s.c, replay_l.c) start
 * from the first snapshot and must reproduce every later one bit for bit.
 */
#ifndef STEP_SPIKE_H
#define STEP_SPIKE_H

#include <stddef.h>
#include <stdint.h>
#include "resilience.h"

#define NRANK   10                                   /* REE_LINK_RANKS */
#define L       8                                    /* runs per lane group */
#define RESIL_D (sizeof(ree_resil) / sizeof(double)) /* a region accumulator, in doubles */

/* Phases with node hooks, as run_priv.h's enum. */
enum { P_PRODUCE, P_ORDER, P_OFFER, P_CONSUME, P_ACCOUNT, P_COUNT };

/* Series kinds the step computes (plan.h's ree_series_kind, reduced to what replay needs). */
enum {
    SV_DIRECT,
    SV_REGIME,
    SV_GATE_SHIPPED,
    SV_GATE_REGION_SHIPPED,
    SV_GATE_REGION_GRANTED,
    SV_SUM
};

/* Arrays of the step state, in snapshot order: name, size expression (over a topo *T). */
// clang-format off
#define STATE_ARRAYS(X) \
    X(stock, T->nnm) \
    X(recv, T->nnm) \
    X(ship, T->nnm) \
    X(cons, T->nnm) \
    X(order, T->nnm) \
    X(position, T->nnm) \
    X(requested, T->nnm) \
    X(requested_now, T->nnm) \
    X(unmet, T->nnm) \
    X(offer, T->nnm) \
    X(asked, T->nnm) \
    X(req, T->nlink) \
    X(shipped, T->nlink) \
    X(transit, T->nlink) \
    X(extra, T->nlink) \
    X(pipe, T->nlink * T->w) \
    X(history, T->nsteps * T->nmat) \
    X(need_sum, T->nmat) \
    X(short_sum, T->nmat) \
    X(scarcity, T->nmat) \
    X(total0, T->nmat) \
    X(g_applied, T->nslot) \
    X(g_shipped, T->nslot) \
    X(g_licensed, T->nslot) \
    X(g_on_order, T->nslot) \
    X(g_granted, T->nslot) \
    X(g_fallback, T->nslot) \
    X(region_sum, 4 * (size_t)T->nregion)
// clang-format on

/* Where a series' direct source lives in the workspace. */
enum { SRC_METRICS, SRC_STOCK, SRC_SHIPPED, SRC_TRANSIT, SRC_SCARCITY };

/* One computed series: its index and how it is computed. */
typedef struct cseries {
    int s, kind, index; /* index: regime index, gate */
    int n, *idx;        /* REGION_*: link slots i of the gate; SUM: series summed */
} cseries;

/* A link's parameters at a step (link_rt's numbers; set by policy, so they may change). */
typedef struct lpar {
    long k0;
    double f0, g0, lead, delay_prob, delay_months, priority, share, extra0;
} lpar;

/* What is fixed for every run and step: sizes, hooks, feed offsets, links' ends and gate slots,
 * pairs, sectors, series. */
typedef struct topo {
    int nmat, nnode, nlink, ngate, nslot, nseries, nsteps, nruns;
    size_t nnm, w, nmetrics; /* w: pipe row, nsteps + 2 */
    /* hooks: ncall[ph] .. ncall[ph + 1] index call_node */
    int ncall[P_COUNT + 1], *call_node;
    int *nmats, **mats; /* per node: its materials (node's mask), ascending */
    /* feed offsets, per call (in calls[] order): where its values start in a record */
    int *call_feed;
    int f_gdec, f_extra, f_gship, f_sec, f_met, f_regime, nfeed;
    /* links */
    size_t *to, *from;
    long *slot;
    int *goff, *gate_nlink, **gate_links;
    int npair;
    size_t *pair_nm;
    /* sectors: node, material, metric offsets of need, consumed, shortfall, lost_units */
    int nsector, *sec_node, *sec_mat, *sec_region;
    size_t *sec_met; /* 4 per sector */
    int nregion;
    /* metrics the step's record reads (series sources), fed after account */
    int nmet;
    size_t *met;
    /* series */
    int nsdirect, *sd_series, *sd_src;
    size_t *sd_off;
    int nscomputed;
    cseries *sc;
    /* snapshot sizes */
    size_t nsnap; /* STATE_ARRAYS total + nseries (column t) + nmet + nregion x RESIL_D */
} topo;

/* The shipping layout of a step (run_priv.h's fields of the same names): link ranks, pairs'
 * links by rank and priority groups, rank lists. It may differ between runs (priorities drawn
 * per run) and steps (timeline and regime changes); the capture keeps each distinct one once. */
typedef struct layout {
    int *rank, maxrank;
    int *pair_roff, *pair_rlink, *rlink_gend;
    int rank_off[NRANK + 1], *rank_link, rank_poff[NRANK + 1], *rank_pair, *pair_idle, npair_idle;
    int *ask_link, nask_link, *rand_link, nrand_link;
    /* Ids: layouts with the same rank_id agree on everything but the pairs' links in order and
     * priority groups; with the same pair_id[pr], on pair pr's (exact comparisons). */
    int rank_id, *pair_id;
} layout;

/* The capture: topology, layouts, link parameters, feed records and snapshots. */
typedef struct trace {
    topo T;
    layout *lay; /* nlay distinct layouts */
    int nlay;
    int *lid;     /* nruns x nsteps: the layout of each step */
    lpar *lp;     /* nruns x nsteps x nlink: the link parameters of each step */
    int *lp_new;  /* nruns x nsteps: 1 when a step's link parameters differ from the step
                     before's (step 0: 1); a replay then switches to them, as the engine's policy
                     writes its link_rt only when a change applies */
    double *feed; /* nruns x nsteps x nfeed */
    double *snap; /* nruns x (nsteps + 1) x nsnap: before step 0, after each step */
} trace;

/* capture.c */
int capture(const char *scenario, int nruns, trace *tr);
double engine_ns(const char *scenario, int nruns, int passes);
int layout_stats(const char *scenario, int nruns);

/* replay_s.c: scalar; each variant replays runs [0, nruns) and returns a checksum sink.
 * check: compare with the trace's snapshots, count differing values into *ndiff. */
double replay_scalar(const trace *tr, int check, long *ndiff);
double replay_scalar_feed(const trace *tr, int check, long *ndiff);
double replay_scalar_ph(const trace *tr, int check, long *ndiff);
double replay_scalar_avx(const trace *tr, int check, long *ndiff); /* built with -mavx512f.. */
/* replay_l.c: lanes, groups of L runs */
double replay_lanes(const trace *tr, int check, long *ndiff);
double replay_lanes_feed(const trace *tr, int check, long *ndiff);
double replay_lanes_ph(const trace *tr, int check, long *ndiff);
/* every allocate() call lane by lane (the path for lanes that disagree on a pair's groups) */
double replay_lanes_pl(const trace *tr, int check, long *ndiff);

/* Per-phase cycle counts of the _ph variants; the lane replay's dispatch() and allocate()
 * calls, and those that went lane by lane. */
enum { PH_CLEAR_ARRIVE, PH_PROD_POS, PH_ORDER_GATES, PH_SHIP, PH_CONS_REC, NPH };
extern unsigned long long ph_cycles_s[NPH], ph_cycles_l[NPH];
extern long fb_dispatch, fb_dispatch_calls, fb_alloc, fb_alloc_calls;

#endif
