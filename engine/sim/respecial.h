/*
 * The distribution functions that parameter sampling inverts (engine/sim/dist.c), with the same
 * bits on every x86-64 CPU: the standard normal's, and the regularised incomplete beta function
 * with its inverse.
 *
 * Why not GSL's. gsl_cdf_ugaussian_P and the beta functions call the C library's exp, log, log1p
 * and lgamma, which glibc chooses by CPU (engine/sim/remath.h): a parameter drawn from a normal,
 * lognormal, beta or PERT distribution could then differ in its last bits between two hosts of
 * one MPI job (a variant of embargo-12-months with a lognormal and a PERT parameter gave 59
 * differing output cells with FMA hidden). These use reesim's own elementary functions and only
 * IEEE operations in a fixed order (the build forbids contraction: -ffp-contract=off).
 *
 * Normal: ree_ugaussian_P and ree_ugaussian_Q are Cody's rational Chebyshev approximations
 * (W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
 * 631-637; the ANORM form, with exp(-x^2/2) taken as exp(-y^2/2) exp(-(x - y)(x + y)/2) for y =
 * x rounded down to a sixteenth, so that the large argument loses no digits), evaluated in the
 * order GSL 2.7 evaluates them: their bits are GSL's for |x| < 0.66291, where no exponential is
 * taken, and wherever ree_exp agrees with the C library's exp (all but about 7 in 10,000
 * arguments); elsewhere they differ by an ulp or two. Relative accuracy about 1e-15 (Cody: the
 * approximations themselves are good to about 1e-18). The quantile is ree_ugaussian_pinv
 * (models/exactmath.h, Wichura's AS 241); Q^-1(q) = -P^-1(q) exactly, as in GSL.
 *
 * Beta (a, b > 0, x in [0, 1]):
 *   I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * K, K the continued fraction
 *     K = 1 / (1 + d1 / (1 + d2 / (1 + ...))), d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a +
 *     2m + 1)), d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)) (Abramowitz and Stegun 26.5.8),
 *     evaluated by the modified Lentz method, for x below (a + 1) / (a + b + 2), where it
 *     converges fast; above, by the symmetry I_x(a, b) = 1 - I_{1-x}(b, a). The side computed
 *     directly (P below that point, Q above) has the relative accuracy below, and keeps it far
 *     in its tail; the other is 1 minus it, to that accuracy in absolute terms (so a P of 0.016
 *     computed as 1 - Q, which happens for b < 1, is good to about 1e-14 of itself).
 *   ln B(a, b) by Stirling's series with the differences of the large arguments' logarithms
 *     taken as log1p (no cancellation between lgamma(a) + lgamma(b) and lgamma(a + b)), and
 *     lgamma by the recurrence up to 10 then Stirling's series (seven terms: error below 3e-17 at
 *     10); measured against long double, lgamma is within 6e-15 (absolute where |lgamma| < 1,
 *     near its zeros at 1 and 2, relative above), ln B within 4e-15 of max(1, |ln B|).
 *   Accuracy: the prefactor x^a (1 - x)^b / B(a, b) is exp of a sum whose size |e| = |a ln x +
 *     b ln(1 - x) - ln B| grows in the tails and for tiny shapes (ln B near 690 at 1e-300), and
 *     near the switch point the fraction's first denominators are about 2 / (a + b + 2), so a
 *     rounding of x costs about (a + b) units: the side computed directly has a relative error
 *     of a few DBL_EPSILON (16 + |e| + a + b). Measured against mpmath at 50 digits on 458 random
 *     points (shapes log-uniform on 1e-3 to 1e4, x in the tails and the body): worst 2.5e-13
 *     (shapes near 10^3, x near the mean), 3.2e-14 for shapes up to 100 (a tail with |e| = 200),
 *     never above 3 DBL_EPSILON (16 + |e| + a + b); the 108 points of scripts/respecial-ref.py
 *     are checked in the test against 4 times that. GSL's, on the 59 body points of an earlier
 *     table: 4e-15 for shapes up to 100 and 2.1e-13 up to 10^4, against 6e-15 and 5.3e-13 here.
 *   The shapes this is tested for: 1e-300 to 10^4 (dist.c accepts those); below, ln B passes
 *     745 and the prefactor underflows.
 *   The inverse: Newton's method on P (or on Q, for the upper side, and for p above 1/2, where
 *     1 - p is exact), started from the normal approximation (or, where that falls outside
 *     (0, 1), from the leading term of the tail, P(x) ~ x^a / (a B(a, b)), mirrored for Q), kept
 *     inside a bracket that every evaluation narrows; a step that would leave the bracket, or a
 *     density that is 0 or infinite, bisects it instead (geometrically where the bracket spans
 *     orders of magnitude near 0 or 1). It stops when a step is at most 2^-50 of the point's
 *     distance to 0 or 1 (the error left is of the order of that step squared), or when the
 *     bracket closes on two adjacent doubles (then the one nearer the root). Where the side
 *     being inverted is 1 minus the other, and both p and that side are within the other's
 *     error (P near 2^-53 with a shape below about 1e-16), the sign of their difference says
 *     nothing: the side is taken as below p, and the bracket bisected towards the end that
 *     holds the side's mass. The result is within the
 *     CDF's own accuracy of the true quantile, and monotone in p up to that accuracy: over the
 *     tests' grids, down to subnormal quantiles (tests/unit/test_dist.c, test_respecial.c), but
 *     not at steps of 1e-15 in p, where the CDF's rounding shows (as GSL's does). About 1.3
 *     microseconds for beta(18, 2), half of GSL's gsl_cdf_beta_Pinv.
 * The normal CDF is within 8e-16 of long double erfc.
 * Arguments outside the domain give NaN (the callers validate shapes first).
 */
#ifndef REESIM_RESPECIAL_H
#define REESIM_RESPECIAL_H

/* Standard normal P(X <= x) and P(X > x). */
double ree_ugaussian_P(double x);
double ree_ugaussian_Q(double x);

/* ln Gamma(x) for x > 0; ln B(a, b) for a, b > 0. */
double ree_lgamma(double x);
double ree_lnbeta(double a, double b);

/* The regularised incomplete beta function P = I_x(a, b) and Q = 1 - P. */
double ree_beta_P(double x, double a, double b);
double ree_beta_Q(double x, double a, double b);

/* Their inverses: x with I_x(a, b) = p, or with 1 - I_x(a, b) = q. */
double ree_beta_Pinv(double p, double a, double b);
double ree_beta_Qinv(double q, double a, double b);

#endif
