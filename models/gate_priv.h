/*
 * Internal to the licence-gate model: its parameters, its per-run state and the order of its
 * metrics, shared by models/gate.c (the model: equations, units and sources in its opening
 * comment; parameters, state layout, shipping, indicators) and models/gate_decide.c (the licence
 * decision of each step).
 */
#ifndef REESIM_GATE_PRIV_H
#define REESIM_GATE_PRIV_H

#include <stdint.h>
#include "model_lanes.h"
#include "models.h"

typedef struct gate_params {
    double active;          /* 1: licensing on; 0: everything licensed at once */
    uint64_t covers;        /* materials under licence */
    double review_days;     /* days, mean review time */
    double review_cv;       /* 1, coefficient of variation of a cohort's review time */
    double approval;        /* 1, probability an application is approved */
    double partial;         /* 1, share of an approved application's tonnage granted */
    double application_t;   /* t, typical tonnage of one application */
    double quota;           /* t/month, most tonnage released per month (INFINITY: none) */
    uint64_t deny_end_use;  /* end-use tags whose applications are denied */
    double validity_months; /* months a licence may be used (integral) */
    double filing_rules;    /* 1: an application is judged by the rules in force when filed */
} gate_params;

typedef struct gate_arrays {
    double *pend, *pend_w;                 /* (nsteps + 1) x nlink: t, and t * entry step */
    double *pend_ok;                       /* (nsteps + 1) x nlink: t approved at filing */
    double *pend_lt, *pend_lm;             /* (nsteps + 1) x nlink: licence terms at filing */
    double *lo_left, *lo_until;            /* nlink: standing licence: t left, first invalid step */
    double *u, *rest;                      /* nlink scratch: review uniforms, t to review */
    double *wait, *wait_w;                 /* nsteps x nlink: t, and t * entry step */
    double *lic;                           /* nsteps x nlink: t */
    double *pend_tot, *wait_tot, *lic_tot; /* nlink: t, running totals per link */
} gate_arrays;

typedef struct gate_state {
    int nlink, nsteps;
    int lic_lo;  /* licence rows below this are empty */
    int wait_lo; /* waiting rows below this are empty */
    int pend_hi; /* pending rows above this are empty (-1: none) */
    double sum_applied, sum_granted, sum_denied, sum_expired; /* t, over the run */
    double sum_decided_ok;   /* t approved at decision (before quota), over the run */
    double sum_wait_granted; /* t * months, wait of every granted tonne */
    double max_backlog;      /* t */
    /* review_months() of the last review_cv > 0 seen (review_cv is timeline-settable): cv_key,
     * and s2 = log1p(cv_key^2) with its square root. cv_key 0 (the zeroed state) is no entry. */
    double cv_key, cv_s2, cv_sd;
    /* Where the arrays lie in data[]: set at reset from nlink and nsteps (gate_layout), not at
     * every call; the engine never moves a state during a run. */
    gate_arrays arr;
    double data[]; /* the arrays of `arr` */
} gate_state;

/* The metrics in the order of gate_metric_defs (gate.c). */
enum {
    M_APPLICATIONS,
    M_APPROVED,
    M_DENIED,
    M_EXPIRED,
    M_BACKLOG,
    M_LICENSED,
    M_APPROVAL_RATE,
    M_MEAN_WAIT,
    M_COUNT
};

static inline double nonneg(double x)
{
    return x > 0 ? x : 0; /* also maps NaN to 0 */
}

/* The gate's hook gate_decide (gate_decide.c): steps (1) to (6) of gate.c's opening comment. */
void ree_gate_decide(const void *params, void *state, ree_gate_io *io);

/* The state on lanes (model_lanes.h): gate_state with every value a lane vector; row bounds and
 * the cv cache per lane (exact integers as doubles). The rows are [row][link] lane vectors: what
 * is uniform across lanes (a row or link of every lane) is one vector operation; only where a
 * lane's own review time puts its cohort (pending rows) is written lane by lane. */
typedef struct gate_arrays_lanes {
    ree_vd *pend, *pend_w, *pend_ok, *pend_lt, *pend_lm;        /* (nsteps + 1) x nlink */
    ree_vd *wait, *wait_w, *lic;                                /* nsteps x nlink */
    ree_vd *pend_tot, *wait_tot, *lic_tot, *lo_left, *lo_until; /* nlink */
    ree_vd *u, *rest; /* nlink scratch: review uniforms, t to review */
    ree_vd *pool;     /* nlink scratch: quota pool of each link (-1: the gate's) */
} gate_arrays_lanes;

typedef struct gate_state_lanes {
    ree_vd lic_lo, wait_lo, pend_hi;
    ree_vd sum_applied, sum_granted, sum_denied, sum_expired, sum_decided_ok, sum_wait_granted;
    ree_vd max_backlog;
    ree_vd cv_key, cv_s2, cv_sd;
    int nlink, nsteps;
    gate_arrays_lanes arr;
    ree_vd data[]; /* the arrays of `arr` */
} gate_state_lanes;

/* Lane vectors of 0 and 1, a mask of no lane, and nonneg() per lane. */
#define GATE_V0        REE_VSPLAT(0.0)
#define GATE_V1        REE_VSPLAT(1.0)
#define GATE_NONE      ((ree_vl){0})
#define GATE_NONNEG(x) REE_VSEL((x) > GATE_V0, (x), GATE_V0)

void ree_gate_decide_lanes(const void *params, void *state, ree_gate_io_lanes *io);

#endif
