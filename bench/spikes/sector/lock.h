/* Shared declarations of the sector lockstep spike: sizes, the lockstep state / params / io
 * (each field an array over L = 8 runs), the oracle tables of the breakdown variants. */
#ifndef SPIKE_LOCK_H
#define SPIKE_LOCK_H

#include <gsl/gsl_rng.h>

#define NRUN  64 /* R runs */
#define NSTEP 60 /* T steps */
#define LANES 8  /* L runs per lockstep block */
#define NBLK  (NRUN / LANES)
#define NMAT  1

typedef double v8d __attribute__((vector_size(64), aligned(64)));

/* The sector's parameters, each a lane vector (filled by key from the model's parameter table,
 * so no copy of the private struct is needed). */
typedef struct sector_params_v {
    int material;
    v8d demand, growth, noise, cover_weeks, kg_per_unit, service_level, sub_max, sub_months,
        sub_trigger, sub_revert_months, dd_max, dd_elasticity, shock_start, recover_months,
        firm_classes, cover_sd, stop_days, price_sub_elasticity, price_dd_elasticity,
        price_lag_months;
} sector_params_v;

/* sector_state of models/sector.c for k = 1, integer fields as doubles (exact: small ints),
 * plus ree_resil's accumulator. */
typedef struct sector_state_v {
    v8d demand_t, need, sub, destroyed, used, shortfall, share, lost_units, stopped, plag, g0,
        g_rate, t0, first_stop, first_stop_after, firm_months, max_stopped;
    /* ree_resil */
    v8d service_level, shock, recover_months, total_short, total_need, months_short, max_share,
        total_lost, max_short, sum_share, first_short, onset, ok_from, recovered;
} sector_state_v;

/* ree_node_io with each per-run array an array of nmat lane vectors. */
typedef struct ree_node_io_v {
    int step, nmat, blk;
    const v8d *stock, *position, *received, *scarcity, *lead, *price;
    v8d *consumed, *order, *metrics;
    gsl_rng **rng; /* LANES generators, lane l on run blk * LANES + l */
    /* the streams' key, for the vector draw (VAR_VDRAW): seed and entity hash of the node */
    unsigned long long seed, entity;
} ree_node_io_v;

typedef struct lock_hooks {
    const char *name;
    void (*reset)(const sector_params_v *p, sector_state_v *s);
    void (*order)(const sector_params_v *p, sector_state_v *s, const ree_node_io_v *io);
    void (*consume)(const sector_params_v *p, sector_state_v *s, const ree_node_io_v *io);
    /* indicators in the model's table order, ind[lane * 14 + i] */
    void (*finish)(const sector_params_v *p, const sector_state_v *s, int nsteps, double *ind);
} lock_hooks;

/* Oracle tables for the breakdown variants: the exact values the removed call would return.
 * Scalar layout [run * NSTEP + step], lane layout [blk * NSTEP + step]. */
extern double *orc_u, *orc_z, *orc_lg, *orc_ex, *orc_pw;
extern v8d *orc_u_v, *orc_lg_v, *orc_ex_v, *orc_pw_v;
extern int bench_run, bench_step; /* the scalar harness's position */

#endif
