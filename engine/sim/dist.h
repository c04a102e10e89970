/*
 * Probability distributions for uncertain parameters, sampled by inverse transform.
 *
 * Every sample consumes exactly one uniform u in (0,1) and returns F^{-1}(u), optionally
 * truncated to [lo, hi] by mapping u into [F(lo), F(hi)]. One uniform per parameter and a
 * monotone map keep common random numbers effective: two scenarios that give a parameter
 * different distributions still see the same u, so their samples are positively correlated.
 *
 * Kinds and their fields (all in the parameter's own unit):
 *   const       value = a
 *   uniform     min = a, max = b                       (a < b)
 *   triangular  min = a, mode = c, max = b             (a <= c <= b, a < b)
 *   normal      mean = a, sd = b                       (b > 0)
 *   lognormal   mean = a, sd = b of the variable itself (a > 0, b > 0); mu and sigma derived:
 *               sigma^2 = ln(1 + b^2/a^2), mu = ln a - sigma^2/2
 *   beta        alpha = a, beta = b, on [lo, hi] given by min/max (default [0,1])
 *               (REE_DIST_BETA_SHAPE_MIN <= a, b <= REE_DIST_BETA_SHAPE_MAX).
 *               For beta alone, lo/hi are the support it is scaled onto, not a truncation: both
 *               finite (lo < hi) or both left at -INFINITY/INFINITY for [0,1]; c is unused.
 *   pert        min = a, mode = c, max = b, shape lambda = 4 (Vose): alpha = 1 + 4(c-a)/(b-a),
 *               beta = 1 + 4(b-c)/(b-a), on [a, b]
 * Truncation: `lo`/`hi` (use -INFINITY/INFINITY for none) clip the support; the probability
 * mass of [lo, hi] must be positive in double precision (a bound so far in a tail that the mass
 * underflows to 0, e.g. normal beyond 40 sd, is rejected). With m = F(hi) - F(lo) (taken as
 * Q(lo) - Q(hi) when lo is above the median) and p = F(lo) + u m: x = F^{-1}(p) when p <= 1/2,
 * else x = Q^{-1}(Q(hi) + (1 - u) m) with Q = 1 - F, the same map without cancellation far in
 * either tail. A const must lie inside [lo, hi].
 */
#ifndef REESIM_DIST_H
#define REESIM_DIST_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

/* Largest beta shape (alpha and beta alike). With either shape above it the sd is below 0.5% of
 * max - min (sd^2 = m (1 - m) / (alpha + beta + 1) <= 1 / (4 * 10001)): a point mass at any
 * tonnage resolution, better written as a const or a narrower min..max. The bound also keeps
 * the quantile accurate (engine/sim/respecial.h: the CDF's relative error grows with the shape,
 * about 1e-12 here), and the continued fraction short (a few hundred terms at most). */
#define REE_DIST_BETA_SHAPE_MAX 1e4

/* Smallest beta shape, the smallest the quantile is tested at (tests/unit/test_dist.c): lower,
 * near 1e-320, ln B(alpha, beta) passes 745 and the incomplete beta function's prefactor
 * underflows (engine/sim/respecial.h); and no distribution of a quantity needs one: at 1e-300 the
 * mass already sits at the two ends but for about 1e-300 of it. */
#define REE_DIST_BETA_SHAPE_MIN 1e-300

typedef enum ree_dist_kind {
    REE_DIST_CONST,
    REE_DIST_UNIFORM,
    REE_DIST_TRIANGULAR,
    REE_DIST_NORMAL,
    REE_DIST_LOGNORMAL,
    REE_DIST_BETA,
    REE_DIST_PERT
} ree_dist_kind;

typedef struct ree_dist {
    ree_dist_kind kind;
    double a, b, c; /* see the table above */
    double lo, hi;  /* truncation bounds; -INFINITY/INFINITY for none */
} ree_dist;

/* Name of a kind as written in scenarios ("uniform", ...); NULL for an invalid value. */
const char *ree_dist_name(ree_dist_kind k);

/* Kind from its scenario name; returns 0 and sets *k, or -1 when unknown. */
int ree_dist_parse_kind(const char *name, ree_dist_kind *k);

/* Check the fields of `d`: the fields its kind uses are finite, the rules in the table above
 * hold, lo <= hi (neither NaN) and [lo, hi] has probability mass. Returns 0 when valid, else -1
 * with a reason naming the values in `why` (truncated to whylen; `why` may be NULL), e.g.
 * "triangular needs min <= mode <= max, found min 5, mode 3, max 9". */
int ree_dist_check(const ree_dist *d, char *why, size_t whylen);

/* Sample from `d` with one uniform in (0,1) drawn from `r` by ree_rng_uniform_pos (so `r` must
 * be a ree_rng_philox generator); a const consumes its uniform too, so that streams stay aligned
 * across scenarios. `d` must have passed ree_dist_check. */
double ree_dist_sample(const ree_dist *d, gsl_rng *r);

/* The inverse transform itself, for tests and for callers that already hold u in (0,1). The
 * result is clamped to ree_dist_support, so rounding never steps outside it. */
double ree_dist_quantile(const ree_dist *d, double u);

/* Support of the (truncated) distribution: smallest and largest value a sample can take. */
void ree_dist_support(const ree_dist *d, double *lo, double *hi);

/* Mean of the untruncated distribution (for documentation and resolved output). */
double ree_dist_mean(const ree_dist *d);

#endif
