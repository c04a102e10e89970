/*
 * Variance budget: how much of the across-run variance of each headline indicator comes from
 * each uncertain parameter (a distribution sampled once per run), as a first-order share
 * S_i = Var(E[Y | X_i]) / Var(Y), estimated by binning (docs/uncertainty.md).
 *
 * Every uncertain parameter X_i is sampled by inverse transform from one uniform U_i (dist.h), and
 * X_i is a monotone function of U_i, so E[Y | X_i] = E[Y | U_i]. U_i is exactly uniform, so B
 * equal-width bins of U_i are equal-probability bins of X_i: no sorting, no stored runs. The
 * uniforms are recomputed from their keyed streams (seed, run, parameter hash, REE_STREAM_PARAMS),
 * exactly as the run drew them. Per (parameter, indicator, bin) the budget keeps a count, mean and
 * sum of squared deviations (Welford, merged with Chan's formula in block order: deterministic
 * for any thread count). Memory: parameters x headline indicators x B cells, whatever the runs.
 *
 * Estimator (one-way ANOVA over the bins): with N runs, B_eff non-empty bins, between-bin sum of
 * squares SSB and within-bin SSW, S = (SSB - (B_eff - 1) SSW / (N - B_eff)) / SST, SST = SSB + SSW:
 * SSB is corrected for the (B_eff - 1) sigma^2 that noise alone puts between bin means, so a
 * parameter with no effect shows S = 0 on average, with a standard deviation of about
 * sqrt(2 (B - 1)) / N (the noise floor, reported with each share).
 */
#ifndef REESIM_VARIANCE_H
#define REESIM_VARIANCE_H

#include <stddef.h>
#include "plan.h"

#define REE_VB_BINS 20

typedef struct ree_vb ree_vb;

/* What a budget covers. REE_VB_ALL: every headline indicator. REE_VB_REGIONS: only the region
 * totals' headlines (a few per region: their number does not grow with the network), so that the
 * budget grows with the inputs alone. REE_VB_OFF: none (0, so that a flag reads as "kept"). */
typedef enum ree_vb_scope { REE_VB_OFF = 0, REE_VB_ALL = 1, REE_VB_REGIONS = 2 } ree_vb_scope;

/* Cells a budget of plan `p` keeps (uncertain inputs x its indicators x REE_VB_BINS), per
 * thread: its memory and its merge cost grow with that product, i.e. with the square of the
 * network for REE_VB_ALL, and so does its cost per run (each run adds to one bin of every input
 * for every indicator: inputs x indicators updates), while the simulation's grows with the
 * network. `reesim run` keeps every headline by default only while the budget fits
 * ree_vb_auto_limit(p), then the region totals' only while they fit it, and says which
 * (--variance on forces every headline). */
#define REE_VB_AUTO_MAX_CELLS ((size_t)1 << 21)
/* Cells allowed per node-step of a run (steps x entities) by ree_vb_auto_limit: a run's budget
 * updates (cells / REE_VB_BINS) then cost about 6% or less of its simulation's instructions, an
 * estimate from callgrind (generated 500-node 12-month network, 169 cells per node-step: the
 * per-run part of every headline's budget, past the fixed cost of its cells, was 139 instructions
 * per node-step on about 900, i.e. about 0.8 per unit; docs/uncertainty.md). Every shipped
 * scenario is below it (the most, baseline-2024, has 58). */
#define REE_VB_AUTO_CELLS_PER_NODE_STEP 64
/* Cells auto keeps whatever the size of the network (16 bytes each: 1 MiB per thread, and at
 * most 3,277 updates a run): a short horizon does not lose a budget that costs so little (every
 * shipped scenario has fewer cells, so it keeps its budget at any horizon). */
#define REE_VB_AUTO_MIN_CELLS ((size_t)1 << 16)
size_t ree_vb_cells(const ree_plan *p, ree_vb_scope scope);

/* The most cells `--variance auto` keeps for plan `p`: REE_VB_AUTO_CELLS_PER_NODE_STEP per
 * entity and step, at least REE_VB_AUTO_MIN_CELLS and at most REE_VB_AUTO_MAX_CELLS (about 32 MB
 * per thread), so that the budget's share of a run's cost is bounded as the network grows: the
 * cost of a run stays linear in its nodes. */
size_t ree_vb_auto_limit(const ree_plan *p);

/* The scope `reesim run --variance auto` takes for plan `p`: REE_VB_ALL while it fits
 * ree_vb_auto_limit(p), else REE_VB_REGIONS while the plan has region totals and they fit, else
 * REE_VB_OFF. A function of the plan only: the same on every MPI rank, for any -j. */
ree_vb_scope ree_vb_auto_scope(const ree_plan *p);

/* A budget for plan `p`'s uncertain parameters (base parameters, timeline and regime values
 * given as distributions) and the headline indicators of `scope` (not REE_VB_OFF). NULL when out
 * of memory. */
ree_vb *ree_vb_alloc(const ree_plan *p, ree_vb_scope scope);
void ree_vb_free(ree_vb *v);
void ree_vb_reset(ree_vb *v);

/* Add run `run` of seed `seed`, whose indicators (plan order) are `indicators`. */
void ree_vb_add(ree_vb *v, unsigned long long seed, long long run, const double *indicators);

/* Merge `from` into `into` (same plan). */
void ree_vb_merge(ree_vb *into, const ree_vb *from);

/* Uncertain parameters, as override paths (override.h) (borrowed). */
int ree_vb_inputs(const ree_vb *v);
const char *ree_vb_input_name(const ree_vb *v, int i);

/* The indicators budgeted (headlines of the scope): their plan indices. */
int ree_vb_outputs(const ree_vb *v);
int ree_vb_output_indicator(const ree_vb *v, int k);

/* Share of input i in the variance of output k, and the noise floor (sd of the share of an input
 * with no effect at this number of runs). NaN share when the indicator does not vary or fewer
 * than 2 B runs were added. Returns the runs counted. */
double ree_vb_share(const ree_vb *v, int i, int k, double *share, double *noise);

/* Serialisation for MPI ranks of one job (the machine's own representation): ree_vb_pack writes
 * the budget's sums into buf when cap is enough and returns the bytes needed (buf NULL: size
 * only); ree_vb_unpack replaces them (same plan) and returns the bytes read, 0 when they do not
 * fit. */
size_t ree_vb_pack(const ree_vb *v, void *buf, size_t cap);
size_t ree_vb_unpack(ree_vb *v, const void *buf, size_t len);

#endif
