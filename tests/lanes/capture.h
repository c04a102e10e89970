/*
 * Recording of the scalar hook calls of real runs, for replay through lane hooks
 * (engine/model_lanes.h). Shared by tests/unit/test_model_lanes.c, which checks the lane hooks
 * against the record bit for bit, and bench/lanes.c, which times both on it.
 *
 * A scenario's entities whose model has lane hooks are given a copy of their model whose hooks
 * call the original and record, per call, the effective parameters, the io arrays before and
 * after, and the entity's stream before and after; runs 0 .. nrun-1 then go through the engine
 * as it is (ree_run_reset, ree_run_finish). One capture at a time (the hooks find it through a
 * static pointer). Failures go to the caller's `fail`, which must not return.
 */
#ifndef REESIM_LANES_CAPTURE_H
#define REESIM_LANES_CAPTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "model_lanes.h"
#include "plan.h"
#include "run_priv.h"

/* Phases of a recorded call: the node phases (run_priv.h's PH_*), then the gate's two. */
enum { C_DECIDE = PH_COUNT, C_SHIP, C_KINDS };
extern const char *const lanes_phase_name[C_KINDS];

/* Node io arrays in record order: 13 per material, then the metrics. */
enum {
    A_STOCK,
    A_POS,
    A_REQ,
    A_RECV,
    A_SCAR,
    A_LEAD,
    A_ASKED,
    A_PROD,
    A_CONS,
    A_LOST,
    A_ORDER,
    A_OFFER,
    A_PRICE,
    A_NODE
};
extern const char *const lanes_node_array[A_NODE];
/* Gate io arrays: 5 per link, then the metrics. */
enum { G_APPLIED, G_SHIPPED, G_LICENSED, G_ON_ORDER, G_GRANTED, G_GATE };
extern const char *const lanes_gate_array[G_GATE];

/* One recorded call of one run. */
typedef struct lanes_rec {
    int e, ph, step;
    int has_asked, has_granted;
    unsigned char *par;        /* params_size bytes */
    unsigned char *rules;      /* gate: per link its rule's params (rule params_size), or NULL */
    unsigned char *rule_given; /* gate: per link 1 when it has a rule */
    int *rule_first;           /* gate: per link the first link with the same rule (the engine
                                  hands links of one rule one parameter block: pools by rule) */
    double *pre, *post;        /* the io arrays (node or gate order above), before and after */
    gsl_rng *rng_pre, *rng_post;
} lanes_rec;

/* Every recorded call of one run, in the order the engine made them. */
typedef struct lanes_runrec {
    lanes_rec *v;
    size_t n, cap;
    unsigned char **reset_par; /* per entity, the parameters at reset (NULL: no reset hook) */
    double *history;           /* the final nsteps x nmat history */
    double *ind;               /* every indicator of the run (plan order) */
} lanes_runrec;

typedef struct lanes_capture {
    ree_plan *p;            /* the caller's plan */
    ree_run *run;           /* the workspace the runs went through (ctx, gio, nmat, nsteps) */
    const ree_model **orig; /* per entity, its own model */
    ree_model *wrap;        /* per entity, the recording copy (used where orig has lanes) */
    int nrun;
    lanes_runrec *runs; /* nrun */
    void (*fail)(const char *fmt, va_list ap);
} lanes_capture;

/* Swap each entity of p whose model has lane hooks for a recording copy; returns the number of
 * such entities (0: nothing to record). `fail` reports a failure and does not return. */
int lanes_capture_wrap(lanes_capture *c, ree_plan *p, void (*fail)(const char *fmt, va_list ap));
/* Run runs 0 .. nrun-1 of the plan's seed through the engine, recording (after a wrap that
 * found an entity). `what` names the scenario in failure messages. */
void lanes_capture_record(lanes_capture *c, const char *what, int nrun);
/* Free the record and the workspace and give the entities their own models back (the plan
 * frees through them); the plan itself stays the caller's. */
void lanes_capture_free(lanes_capture *c);

/* Doubles in a node call's / gate call's record of entity e. */
/* Call fn(path, ctx) on every scenario the lane tests run, under the source tree `root`: the
 * shipped ones (scenarios/, scenarios/examples/, bench/scenarios/) and tests/lanes/. Returns how
 * many. */
size_t lanes_each_scenario(const char *root, void (*fn)(const char *path, void *ctx), void *ctx);

size_t lanes_node_width(const lanes_capture *c, int e);
size_t lanes_gate_width(const lanes_capture *c, int e, int nlink);

/* Replaying a record: the hook of a node phase (PH_*) or gate phase (C_DECIDE, C_SHIP), scalar
 * and lane (NULL where the model has none), and the io of a call whose arrays are `a`, laid out
 * as the record's (lanes_node_width / lanes_gate_width doubles, or lane vectors), with the flags
 * and step of record r (lane 0's, for lanes) and the gate's links from gio. */
typedef void (*lanes_node_fn)(const void *, void *, const ree_node_io *);
typedef void (*lanes_node_lfn)(const void *, void *, const ree_node_io_lanes *);
typedef void (*lanes_gate_fn)(const void *, void *, ree_gate_io *);
typedef void (*lanes_gate_lfn)(const void *, void *, ree_gate_io_lanes *);
lanes_node_fn lanes_node_hook(const ree_model *m, int ph);
lanes_node_lfn lanes_node_lhook(const ree_model_lanes *lm, int ph);
lanes_gate_fn lanes_gate_hook(const ree_model *m, int ph);
lanes_gate_lfn lanes_gate_lhook(const ree_model_lanes *lm, int ph);
ree_node_io lanes_node_io(double *a, size_t nm, const lanes_rec *r, const double *history,
                          gsl_rng *rng);
ree_node_io_lanes lanes_node_io_lanes(ree_vd *a, size_t nm, const lanes_rec *r,
                                      const ree_vd *history, gsl_rng *const *rng);
ree_gate_io lanes_gate_io(double *a, size_t nl, const lanes_rec *r, const ree_gate_io *gio,
                          gsl_rng *rng, const void *const *rule);
ree_gate_io_lanes lanes_gate_io_lanes(ree_vd *a, size_t nl, const lanes_rec *r,
                                      const ree_gate_io *gio, gsl_rng *const *rng,
                                      const void *const *rule);
/* A gate call's rules (rs bytes of parameters each) for its nl links, as the engine hands them:
 * links of one rule share one block (rule_first), links without one get NULL. lanes_rules: the
 * record's own blocks; lanes_rules_lanes: the REE_LANES records' blocks transposed into rpar
 * (nl * rs * REE_LANES bytes, 8-byte aligned). */
void lanes_rules(const lanes_rec *r, size_t nl, size_t rs, const void **rule);
void lanes_rules_lanes(const lanes_rec *const rec[REE_LANES], size_t nl, size_t rs,
                       unsigned char *rpar, const void **rule);

#endif
