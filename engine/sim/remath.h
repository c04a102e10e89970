/*
 * Elementary functions with the same bits on every x86-64 CPU: ree_exp, ree_log, ree_log1p,
 * ree_pow.
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
 * the argument alone on every x86-64 CPU (SSE2 arithmetic; GCC and clang, -O0 to -O3, any
 * -march, give the same bits: tests/unit/test_remath.c's digests). A 32-bit x87 build, whose
 * excess precision breaks exact products, is not supported. exp, log and log1p are faithful
 * (within 1 unit in the last place), not correctly rounded: exp(-0.11117026293579216) is one
 * unit below the nearest double. pow is not faithful for large |y ln x| (below).

 * Methods (arguments and results are doubles, round to nearest):
 *   exp(x):   n = nearest integer to 128 x / ln 2 (ties to even, by adding and subtracting
 *             1.5 2^52), n = 128 k + j with 0 <= j < 128, r = (x - n ln2_hi/128) - n ln2_lo/128
 *             (Cody and Waite: ln2_hi has 21 trailing zero bits, so n ln2_hi/128 is exact for
 *             |n| < 2^21, and x minus it is exact by Sterbenz's lemma), |r| <= ln2/256;
 *             exp(r) - 1 = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120) (the first omitted term is
 *             below 2^-60); 2^(j/128) from a table of correctly rounded pairs hi + lo
 *             (scripts/remath-table.py makes it), 2^(j/128) exp(r) = hi + (lo + hi (exp(r) - 1));
 *             then times 2^k, built from its bits (in two factors for results near overflow or
 *             below the normal range). Tang's method (ACM TOMS 15, 1989).
 *   log(x):   x = 2^k m with m in [sqrt(2)/2, sqrt(2)), f = m - 1 (exact), s = f / (2 + f),
 *             z = s^2; log(1 + f) = 2 atanh(s) = 2s + s R(z), R(z) = sum_{n=1}^{11} 2 z^n /
 *             (2n + 1) (|s| <= 0.1716: the first omitted term is below 2^-60), written as
 *             f - h + s (h + R) with h = f^2 / 2 (since 2s = f - s f and s f = h (1 - s)); then
 *             log x = (k ln2_hi + f) - h + (s (h + R) + k ln2_lo), with k ln2_hi + f (exact
 *             below 1 in magnitude, where the two cancel) and h = f^2 / 2 carried as exact pairs
 *             (Knuth's two-sum, Dekker's product), so the result is also had as a pair hi + lo
 *             beyond a double's precision (about 2^-58 relative; the error of s = f / (2 + f),
 *             rounded twice, is carried too), which log1p and pow use.
 *   log1p(x): u = 1 + x rounded, c = x - (u - 1) its rounding error (exact), log(1 + x) =
 *             log u + c / u (to first order; |c / u| <= 2^-53), log u as the pair above; x
 *             itself when u = 1 (|x| < 2^-53).
 *   pow(x, y): for finite x > 0 and finite y, exp(y log x) with log x and the product y log x
 *             as pairs (the low part passed to exp as a correction of r); for x < 0 and
 *             integral y, the same of |x| with the sign of (-1)^y; x = 1 or y = 0 give 1 and
 *             y = 1 gives x, exactly. Every other argument (zero, infinite or NaN x or y; x < 0
 *             with y not integral) goes to the C library's pow, whose results there are exact
 *             special values (0, inf, NaN, -0) on every CPU.
 * Accuracy (tests/unit/test_remath.c, against x87 long double references, a million or more
 * arguments each with all 53 bits random, over the whole ranges, the edges of the range
 * reductions and the models' arguments, and a further 10^7 each when it was written): exp
 * within 0.75 ulp, log 0.67, log1p 0.66 (the test bounds them at 1). pow's error grows with
 * |y ln x|, as the pair log x is good to about 2^-58 relative, not to the 2^-62 that a faithful
 * result near the overflow threshold would need: worst seen 1 + 0.22 |y ln x| ulp (a few ulp
 * for the models' exponents, |y ln x| below 10; up to about 150 ulp for results near the
 * overflow and underflow thresholds, |y ln x| near 700); the test bounds it at 1 + |y ln x| / 3.
 * Ample for the models, whose noise terms are of order 10^-2; what matters here is the same
 * bits everywhere, within a few units of the true value.
 * Special values follow C11 Annex F: exp(-inf) = 0, exp(+inf) = +inf, exp(NaN) = NaN, overflow
 * to +inf above ln(DBL_MAX), underflow to 0 (through the subnormals) below; log(+-0) = -inf,
 * log(x < 0) = NaN, log(+inf) = +inf; log1p(-1) = -inf, log1p(x < -1) = NaN, log1p(+-0) = +-0.
 * errno is not set.
 * Lane versions (8 arguments at once, the same bits in every lane): remath_lanes.h.
 */
#ifndef REESIM_REMATH_H
#define REESIM_REMATH_H

double ree_exp(double x);
double ree_log(double x);
double ree_log1p(double x);
double ree_pow(double x, double y);

/* x with its log as the pair pow uses, so that powers of one base at many exponents (a growth
 * path: (1 + g)^(t / 12) each month) take the log once. ree_pow_logx(l, y) after
 * ree_logx_set(l, x) is ree_pow(x, y) bit for bit, for every x and y. */
typedef struct ree_logx {
    double x, hi, lo;
} ree_logx;
void ree_logx_set(ree_logx *l, double x);
double ree_pow_logx(const ree_logx *l, double y);

/* The methods' constants and table, shared with their lane versions (remath_lanes.h).
 * ln 2 = REE_LN2_HI + REE_LN2_LO: REE_LN2_HI is ln 2 rounded to 32 significant bits (21 trailing
 * zero bits), so k * REE_LN2_HI is exact for |k| < 2^21; REE_LN2_LO is the rest, rounded to
 * nearest. */
#define REE_LN2_HI  0x1.62e42fee00000p-1
#define REE_LN2_LO  0x1.a39ef35793c76p-33
#define REE_INV_LN2 0x1.71547652b82fep+0 /* 1 / ln 2 */
#define REE_SQRT2   0x1.6a09e667f3bcdp+0
/* 2^(j/128) = hi + lo, j = 0..127: [j][0] the nearest double, [j][1] the nearest double to the
 * rest (generated by scripts/remath-table.py, which computes them with 120-digit decimals). */
extern const double ree_exp2_table[128][2];

#endif
