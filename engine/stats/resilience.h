/*
 * Resilience indicators of a supply trajectory (docs/indicators.md): a pure accumulator fed one
 * step at a time with the month's need and use, and a finish that turns it into indicators.
 * Shared by the sector model (one sector) and the engine (the sum over a region's sectors), so
 * both compute them the same way. No allocation, no I/O.
 *
 * A month is short when used < service_level * need. With S = shock (a step, possibly not an
 * integer: a month counts once step >= S) and N = recover_months:
 *   shortfall_t = the caller's (need_t - used_t for one buyer, a sum over buyers or firm classes
 *   for a group: ree_resil_step), share_t = shortfall_t / need_t (0 when need_t = 0),
 *   onset f = first short step >= S, recovery r = first step after f opening N consecutive
 *   months that are not short.
 */
#ifndef REESIM_RESILIENCE_H
#define REESIM_RESILIENCE_H

#include "model_lanes.h"
#include "model_lanes_cmp.h"

typedef struct ree_resil {
    double service_level;  /* 1 */
    double shock;          /* S, steps after the horizon start (already rounded up by the caller) */
    double recover_months; /* N, months */
    double total_short;    /* t */
    double total_need;     /* t */
    double months_short;   /* months */
    double max_share;      /* 1 */
    double total_lost;     /* units */
    double max_short;      /* t */
    double sum_share;      /* months: sum of monthly shortfall shares */
    int first_short;       /* step, -1 if never */
    int onset;             /* first short step at or after shock, -1 if none yet */
    int ok_from;           /* first step of the current run of months not short since onset */
    int recovered;         /* step recovery began (ok_from once it lasted N months), -1 */
} ree_resil;

/* The indicators, by name (docs/indicators.md). */
typedef struct ree_resil_result {
    double shortfall;           /* t: sum_t shortfall_t */
    double shortfall_share;     /* 1: shortfall / sum_t need_t (0 when no need) */
    double months_short;        /* months: short months */
    double max_shortfall_share; /* 1: max_t share_t */
    double lost_units;          /* units: sum of the lost units given per step */
    double first_short_month;   /* months: first short step (T when none) */
    double max_shortfall;       /* t: max_t shortfall_t */
    double depth_duration;      /* months: sum_t share_t */
    double onset_lag;           /* months: f - S (T when no f) */
    double time_to_recover;     /* months: r - f; 0 without f; T - f without r (censored) */
} ree_resil_result;

/* Start an accumulator: no step seen yet. */
void ree_resil_reset(ree_resil *a, double service_level, double shock, double recover_months);

/* Add step `step` (steps must come in order 0, 1, ...): need, used and shortfall [t], lost
 * [units] (any per-step loss the caller wants summed into lost_units). The shortfall is the
 * caller's, >= 0: need - used for one buyer, the sum of its buyers' (or firm classes')
 * shortfalls for a group, so that rounding leaves no residue (need - used of a group can come out
 * at -1e-12 t, or at +4e-13 t when every buyer was served). Returns 1 when the month is short
 * (used below service_level x need). */
int ree_resil_step(ree_resil *a, int step, double need, double used, double shortfall, double lost);

/* Indicators after `nsteps` steps into *out; `a` is left unchanged. */
void ree_resil_finish(const ree_resil *a, int nsteps, ree_resil_result *out);

/* The accumulator on lanes (model_lanes.h): REE_LANES trajectories stepped together, each lane
 * bit for bit the scalar accumulator fed that lane's values. The steps of ree_resil (first_short,
 * onset, ok_from, recovered) are held as exact doubles, -1 as there. */
typedef struct ree_resil_lanes {
    ree_vd service_level, shock, recover_months;
    ree_vd total_short, total_need, months_short, max_share, total_lost, max_short, sum_share;
    ree_vd first_short, onset, ok_from, recovered;
} ree_resil_lanes;

/* ree_resil_reset on each lane. */
void ree_resil_reset_lanes(ree_resil_lanes *a, const ree_vd *service_level, const ree_vd *shock,
                           const ree_vd *recover_months);

/* ree_resil_step on each lane (the lanes step together). */
void ree_resil_step_lanes(ree_resil_lanes *a, int step, const ree_vd *need, const ree_vd *used,
                          const ree_vd *shortfall, const ree_vd *lost);

/* ree_resil_finish of each lane l into out[l]. */
void ree_resil_finish_lanes(const ree_resil_lanes *a, int nsteps, ree_resil_result out[REE_LANES]);

/* Region totals: the service level when the region's sectors do not share one, and the months
 * at service that count as recovered (the sector model's defaults). The shock is the horizon
 * start. */
#define REE_RESIL_SERVICE_LEVEL  0.95
#define REE_RESIL_RECOVER_MONTHS 3

/* The indicators the engine reports for a region's total (docs/indicators.md, "Region totals"),
 * in the order of ree_resil_region_value. A region whose sectors count lost output in different
 * units (different kg_per_unit) gets no lost_units (REE_RESIL_REGION_LOST_UNITS). */
#define REE_RESIL_REGION_LOST_UNITS 4
extern const ree_metric_def ree_resil_region_defs[];
extern const size_t ree_resil_region_count;

/* Value of region indicator k (an index into ree_resil_region_defs) in a result. */
double ree_resil_region_value(const ree_resil_result *res, size_t k);

#endif
