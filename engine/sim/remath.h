/*
 * Elementary functions with the same bits on every CPU: ree_exp, ree_log, ree_log1p, ree_pow.
 *
 * Why not the C library's. glibc chooses its exp, log, log1p and pow when the program starts, by
 * CPU: builds with FMA instructions where the CPU has them, others where it does not, and the
 * two round differently on a small share of arguments (about 7 in 10,000 for exp and pow). A
 * model that turns a last-bit difference into a branch (an order of 2^-48 t that becomes a
 * licence application and a binomial draw; a shortfall share of 1 + 2^-52 against a trigger of 1)
 * then gives another run on another CPU: at 2,000 runs three shipped scenarios did (README,
 * "Across CPUs"; bench/libm-cpu.sh; tests/cli/cpu_bits.sh). These functions use only IEEE-754
 * additions, multiplications, divisions and conversions, in a fixed order (the build forbids FMA
 * contraction: -ffp-contract=off; Dekker's exact products rely on it), so their bits depend on
 * the argument alone. They are faithful (within 1 unit in the last place), not correctly
 * rounded: exp(1) is one unit above the nearest double.
 *
 * Methods (arguments and results are doubles, round to nearest):
 *   exp(x):   k = nearest integer to x / ln 2, r = (x - k ln2_hi) - k ln2_lo (Cody and Waite:
 *             ln2_hi has 21 trailing zero bits, so k ln2_hi is exact for |k| < 2^21; x - k ln2_hi
 *             is exact by Sterbenz's lemma), |r| <= 0.3466; exp(r) = 1 + r + r^2 (1/2! + r/3! +
 *             ... + r^11/13!) by Horner's rule (the first omitted term is below 2^-60 of the
 *             sum), the small terms added first; then times 2^k, built from its bits (in two
 *             factors for results near overflow or below the normal range).
 *   log(x):   x = 2^k m with m in [sqrt(2)/2, sqrt(2)), f = m - 1 (exact), s = f / (2 + f),
 *             z = s^2; log(1 + f) = 2 atanh(s) = 2s + s R(z), R(z) = sum_{n=1}^{11} 2 z^n /
 *             (2n + 1) (|s| <= 0.1716: the first omitted term is below 2^-60), written as
 *             f - h + s (h + R) with h = f^2 / 2 (since 2s = f - s f and s f = h (1 - s)); then
 *             log x = (k ln2_hi + f) - h + (s (h + R) + k ln2_lo), with k ln2_hi + f (exact
 *             below 1 in magnitude, where the two cancel) and h = f^2 / 2 carried as exact pairs
 *             (Knuth's two-sum, Dekker's product), so the result is also had as a pair hi + lo
 *             beyond a double's precision (about 2^-57 relative by the error analysis), which log1p and
 *             pow use.
 *   log1p(x): u = 1 + x rounded, c = x - (u - 1) its rounding error (exact), log(1 + x) =
 *             log u + c / u (to first order; |c / u| <= 2^-53), log u as the pair above; x
 *             itself when u = 1 (|x| < 2^-53).
 *   pow(x, y): for finite x > 0 and finite y, exp(y log x) with log x and the product y log x
 *             as pairs (the low part passed to exp as a correction of r); for x < 0 and
 *             integral y, the same of |x| with the sign of (-1)^y; x = 1 or y = 0 give 1 and
 *             y = 1 gives x, exactly. Every other argument (zero, infinite or NaN x or y; x < 0
 *             with y not integral) goes to the C library's pow, whose results there are exact
 *             special values (0, inf, NaN, -0) on every CPU.
 * Accuracy (tests/unit/test_remath.c, against x87 long double references, a million arguments or
 * more each, over the whole ranges, the edges of the range reductions and the models'
 * arguments): exp within 0.87 ulp, log 0.63, log1p 0.66; pow within 1 + 0.1 |y ln x| ulp (the
 * test bounds it at 1 + |y ln x| / 4). Ample for the models, whose noise terms are of order
 * 10^-2; what matters here is the same bits everywhere, within a unit of the true value.
 * Special values follow C11 Annex F: exp(-inf) = 0, exp(+inf) = +inf, exp(NaN) = NaN, overflow
 * to +inf above ln(DBL_MAX), underflow to 0 (through the subnormals) below; log(+-0) = -inf,
 * log(x < 0) = NaN, log(+inf) = +inf; log1p(-1) = -inf, log1p(x < -1) = NaN, log1p(+-0) = +-0.
 * errno is not set.
 */
#ifndef REESIM_REMATH_H
#define REESIM_REMATH_H

double ree_exp(double x);
double ree_log(double x);
double ree_log1p(double x);
double ree_pow(double x, double y);

#endif
