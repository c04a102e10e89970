/*
 * Tests for engine/sim/dist.c: hand-computed quantiles, truncation (including far in a tail),
 * extreme u, every validity rule and its message, and sample moments of 200k draws per kind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "dist.h"
#include "rng.h"

#define NONE_LO (-INFINITY)
#define NONE_HI INFINITY

/* Smallest and largest u that ree_rng_uniform_pos can return: (0 + 0.5) / 2^52 and 1 - that. */
#define U_MIN 0x1p-53
#define U_MAX (1.0 - 0x1p-53)

static void assert_close(double got, double want, double reltol)
{
    double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    if (!(fabs(got - want) <= reltol * scale))
        fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, reltol * scale);
}

static ree_dist mk(ree_dist_kind kind, double a, double b, double c)
{
    ree_dist d = {.kind = kind, .a = a, .b = b, .c = c, .lo = NONE_LO, .hi = NONE_HI};
    return d;
}

static void assert_valid(const ree_dist *d)
{
    char why[200] = "";
    if (ree_dist_check(d, why, sizeof why) != 0)
        fail_msg("unexpectedly invalid: %s", why);
}

static void assert_invalid(const ree_dist *d, const char *msg)
{
    char why[200] = "";
    assert_int_equal(ree_dist_check(d, why, sizeof why), -1);
    assert_string_equal(why, msg);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const names[] = {"const",     "uniform", "triangular", "normal",
                                        "lognormal", "beta",    "pert"};
    for (int i = 0; i < 7; i++) {
        ree_dist_kind k = REE_DIST_NORMAL;
        assert_int_equal(ree_dist_parse_kind(names[i], &k), 0);
        assert_int_equal(k, i);
        assert_string_equal(ree_dist_name(k), names[i]);
    }
    ree_dist_kind k = REE_DIST_BETA;
    assert_int_equal(ree_dist_parse_kind("Normal", &k), -1);
    assert_int_equal(ree_dist_parse_kind("gamma", &k), -1);
    assert_int_equal(ree_dist_parse_kind("", &k), -1);
    assert_int_equal(ree_dist_parse_kind(NULL, &k), -1);
    assert_int_equal(k, REE_DIST_BETA); /* untouched on failure */
    assert_null(ree_dist_name((ree_dist_kind)7));
    assert_null(ree_dist_name((ree_dist_kind)-1));
}

static void test_quantile_hand_values(void **state)
{
    (void)state;
    /* Triangular capacity, min 15000, mode 17500, max 19000 t/month (the architecture sketch).
     * F(mode) = (17500 - 15000) / (19000 - 15000) = 0.625.
     * u = 0.3 < 0.625: x = 15000 + sqrt(0.3 * 4000 * 2500) = 15000 + sqrt(3e6)
     *                    = 15000 + 1732.0508075688772 = 16732.050807568877.
     * u = 0.9 > 0.625: x = 19000 - sqrt(0.1 * 4000 * 1500) = 19000 - sqrt(6e5)
     *                    = 19000 - 774.59666924148338 = 18225.403330758517.
     * u = 0.625: exactly the mode. */
    ree_dist tri = mk(REE_DIST_TRIANGULAR, 15000, 19000, 17500);
    assert_valid(&tri);
    assert_close(ree_dist_quantile(&tri, 0.3), 16732.050807568877, 1e-15);
    assert_close(ree_dist_quantile(&tri, 0.9), 18225.403330758517, 1e-15);
    assert_close(ree_dist_quantile(&tri, 0.625), 17500.0, 1e-15);
    assert_close(ree_dist_mean(&tri), (15000.0 + 19000.0 + 17500.0) / 3.0, 1e-15);

    /* Uniform lead time 1..2 months: u = 0.25 -> 1.25. */
    ree_dist uni = mk(REE_DIST_UNIFORM, 1, 2, 0);
    assert_valid(&uni);
    assert_close(ree_dist_quantile(&uni, 0.25), 1.25, 1e-15);
    assert_close(ree_dist_mean(&uni), 1.5, 1e-15);

    /* Normal review time, mean 63 d, sd 15 d: z(0.975) = 1.959963984540054, so
     * x = 63 + 15 * 1.959963984540054 = 92.39945976810081; the median is the mean. */
    ree_dist nor = mk(REE_DIST_NORMAL, 63, 15, 0);
    assert_valid(&nor);
    assert_close(ree_dist_quantile(&nor, 0.975), 92.39945976810081, 1e-14);
    assert_close(ree_dist_quantile(&nor, 0.5), 63.0, 1e-15);

    /* Lognormal review time, mean 63, sd 15 (the architecture sketch): sigma^2 = ln(1 + 225 /
     * 3969) = ln(4194 / 3969), mu = ln 63 - sigma^2 / 2, so the median exp(mu) =
     * 63 / sqrt(4194 / 3969) = 3969 / sqrt(4194) = 61.28679152517811. */
    ree_dist ln = mk(REE_DIST_LOGNORMAL, 63, 15, 0);
    assert_valid(&ln);
    assert_close(ree_dist_quantile(&ln, 0.5), 61.28679152517811, 1e-14);
    assert_close(ree_dist_mean(&ln), 63.0, 1e-15);

    /* Beta(1, 3) on [100, 300]: F(t) = 1 - (1 - t)^3, u = 0.875 -> (1 - t)^3 = 1/8, t = 1/2,
     * x = 200. Beta(2, 1) on the default [0, 1]: F(t) = t^2, u = 0.25 -> 0.5. */
    ree_dist be = mk(REE_DIST_BETA, 1, 3, 0);
    be.lo = 100;
    be.hi = 300;
    assert_valid(&be);
    assert_close(ree_dist_quantile(&be, 0.875), 200.0, 1e-13);
    assert_close(ree_dist_mean(&be), 100 + 200 * 0.25, 1e-15);
    ree_dist be01 = mk(REE_DIST_BETA, 2, 1, 0);
    assert_valid(&be01);
    assert_close(ree_dist_quantile(&be01, 0.25), 0.5, 1e-13);

    /* PERT min 20, mode 20, max 60: alpha = 1, beta = 1 + 4 * 40 / 40 = 5, F(t) = 1 - (1-t)^5;
     * u = 1 - 1/32 = 0.96875 -> t = 1/2, x = 40. Symmetric PERT 0, 5, 10: alpha = beta = 3,
     * median 5. PERT 1, 2, 6: mean (1 + 4 * 2 + 6) / 6 = 2.5. */
    ree_dist p1 = mk(REE_DIST_PERT, 20, 60, 20);
    assert_valid(&p1);
    assert_close(ree_dist_quantile(&p1, 0.96875), 40.0, 1e-13);
    ree_dist p2 = mk(REE_DIST_PERT, 0, 10, 5);
    assert_close(ree_dist_quantile(&p2, 0.5), 5.0, 1e-13);
    ree_dist p3 = mk(REE_DIST_PERT, 1, 6, 2);
    assert_close(ree_dist_mean(&p3), 2.5, 1e-15);

    /* Const ignores u. */
    ree_dist k = mk(REE_DIST_CONST, 2.385, 0, 0);
    assert_valid(&k);
    assert_true(ree_dist_quantile(&k, 0.01) == 2.385);
    assert_true(ree_dist_quantile(&k, 0.99) == 2.385);
    assert_true(ree_dist_mean(&k) == 2.385);
}

static void test_truncation(void **state)
{
    (void)state;
    /* Uniform 0..10 truncated to [2, 4]: F(2) = 0.2, F(4) = 0.4, u = 0.5 -> F^{-1}(0.3) = 3. */
    ree_dist uni = mk(REE_DIST_UNIFORM, 0, 10, 0);
    uni.lo = 2;
    uni.hi = 4;
    assert_valid(&uni);
    assert_close(ree_dist_quantile(&uni, 0.5), 3.0, 1e-15);
    double lo, hi;
    ree_dist_support(&uni, &lo, &hi);
    assert_true(lo == 2 && hi == 4);

    /* Normal 63 +- 15 truncated at 0 (no negative review times): F(0) = Phi(-4.2), tiny, so
     * the median moves up by a hair: F^{-1}(Phi(-4.2) + 0.5 (1 - Phi(-4.2))). */
    ree_dist nor = mk(REE_DIST_NORMAL, 63, 15, 0);
    nor.lo = 0;
    assert_valid(&nor);
    double f0 = gsl_cdf_ugaussian_P(-4.2);
    assert_close(ree_dist_quantile(&nor, 0.5),
                 63 + 15 * gsl_cdf_ugaussian_Pinv(f0 + 0.5 * (1 - f0)), 1e-14);
    ree_dist_support(&nor, &lo, &hi);
    assert_true(lo == 0 && isinf(hi) && hi > 0);

    /* Standard normal truncated to [10, inf): F(10) rounds to 1 in double, Q(10) = 7.62e-24
     * does not. The median of the tail solves Q(x) = Q(10) / 2; u and 1 - u mirror to the
     * truncation (-inf, -10]. */
    ree_dist up = mk(REE_DIST_NORMAL, 0, 1, 0);
    up.lo = 10;
    assert_valid(&up);
    double med = ree_dist_quantile(&up, 0.5);
    assert_true(med > 10 && med < 10.1);
    assert_close(gsl_cdf_ugaussian_Q(med), gsl_cdf_ugaussian_Q(10) / 2, 1e-10);
    ree_dist down = mk(REE_DIST_NORMAL, 0, 1, 0);
    down.hi = -10;
    assert_valid(&down);
    const double us[] = {U_MIN, 0.001, 0.3, 0.5, 0.8, 0.999, U_MAX};
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        double x = ree_dist_quantile(&up, us[i]);
        assert_true(x >= 10);
        assert_close(ree_dist_quantile(&down, 1 - us[i]), -x, 1e-12);
    }

    /* Beyond 40 sd the mass underflows to 0 (Q(40) ~ 3.7e-350): rejected, both sides. */
    up.lo = 40;
    assert_invalid(&up, "normal truncation [40, inf] has no probability mass");
    down.hi = -40;
    assert_invalid(&down, "normal truncation [-inf, -40] has no probability mass");

    /* Truncation outside the support, or empty. */
    ree_dist tri = mk(REE_DIST_TRIANGULAR, 15000, 19000, 17500);
    tri.lo = 19500;
    tri.hi = 20000;
    assert_invalid(&tri, "triangular truncation [19500, 20000] has no probability mass");
    nor.lo = 70;
    nor.hi = 70;
    assert_invalid(&nor, "normal truncation [70, 70] has no probability mass");
    nor.hi = 60;
    assert_invalid(&nor, "normal truncation needs lo <= hi, found [70, 60]");

    /* Triangular truncated to [16000, 18000]: stays inside and reaches both ends. */
    tri.lo = 16000;
    tri.hi = 18000;
    assert_valid(&tri);
    assert_close(ree_dist_quantile(&tri, U_MIN), 16000, 1e-12);
    assert_close(ree_dist_quantile(&tri, U_MAX), 18000, 1e-12);

    /* Lognormal review days truncated to [45, 90]: median inside, F(median) halfway. */
    ree_dist ln = mk(REE_DIST_LOGNORMAL, 63, 15, 0);
    ln.lo = 45;
    ln.hi = 90;
    assert_valid(&ln);
    double sigma = sqrt(log1p(225.0 / 3969.0)), mu = log(63.0) - sigma * sigma / 2;
    double m = ree_dist_quantile(&ln, 0.5);
    double fl = gsl_cdf_lognormal_P(45, mu, sigma), fh = gsl_cdf_lognormal_P(90, mu, sigma);
    assert_close(gsl_cdf_lognormal_P(m, mu, sigma), (fl + fh) / 2, 1e-12);

    /* PERT 1, 2, 6 truncated above its mode: upper-side map in use, values stay in [3, 6]. */
    ree_dist pe = mk(REE_DIST_PERT, 1, 6, 2);
    pe.lo = 3;
    assert_valid(&pe);
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        double x = ree_dist_quantile(&pe, us[i]);
        assert_true(x >= 3 && x <= 6);
    }

    /* Const inside and outside its truncation. */
    ree_dist k = mk(REE_DIST_CONST, 5, 0, 0);
    k.lo = 5;
    k.hi = 5;
    assert_valid(&k);
    k.lo = 6;
    k.hi = 9;
    assert_invalid(&k, "const truncation [6, 9] has no probability mass");
}

/* Every kind at the extreme u that ree_rng_uniform_pos can produce: finite, inside the
 * support, and monotone over a grid of u. */
static void test_extreme_u_and_monotone(void **state)
{
    (void)state;
    ree_dist ds[] = {
        mk(REE_DIST_UNIFORM, 1, 2, 0),
        mk(REE_DIST_TRIANGULAR, 15000, 19000, 17500),
        mk(REE_DIST_TRIANGULAR, 0, 1, 0),
        mk(REE_DIST_TRIANGULAR, 0, 1, 1),
        mk(REE_DIST_NORMAL, 63, 15, 0),
        mk(REE_DIST_LOGNORMAL, 63, 15, 0),
        mk(REE_DIST_LOGNORMAL, 0.02, 0.5, 0),
        mk(REE_DIST_BETA, 0.3, 0.4, 0),
        mk(REE_DIST_BETA, 200, 3, 0),
        mk(REE_DIST_PERT, 1, 6, 2),
        mk(REE_DIST_PERT, 0.1, 0.9, 0.9),
        /* Shapes where gsl_cdf_beta_Pinv returns NaN for many u (GSL 2.7): the bisection
         * fallback must keep the quantile finite and monotone. */
        mk(REE_DIST_BETA, 1e4, 1e4, 0),
        mk(REE_DIST_BETA, 0.01, 0.01, 0),
    };
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        assert_valid(&ds[i]);
        double lo, hi;
        ree_dist_support(&ds[i], &lo, &hi);
        double prev = -INFINITY;
        const int steps = 2000;
        for (int j = 0; j <= steps + 1; j++) {
            double u = j == 0 ? U_MIN : (j > steps ? U_MAX : (j - 0.5) / steps);
            double x = ree_dist_quantile(&ds[i], u);
            if (!(isfinite(x) && x >= lo && x <= hi && x >= prev))
                fail_msg("%s #%zu: u %.17g -> %.17g (previous %.17g)", ree_dist_name(ds[i].kind), i,
                         u, x, prev);
            prev = x;
        }
    }
    /* The normal at u = 2^-53 sits 8.2 sd below the mean (Phi^{-1}(2^-53) = -8.2095). */
    ree_dist nor = mk(REE_DIST_NORMAL, 0, 1, 0);
    assert_close(ree_dist_quantile(&nor, U_MIN), gsl_cdf_ugaussian_Pinv(U_MIN), 1e-15);
    assert_true(ree_dist_quantile(&nor, U_MIN) < -8.2);
    assert_true(ree_dist_quantile(&nor, U_MAX) > 8.2);
}

static void test_check_messages(void **state)
{
    (void)state;
    ree_dist d = mk(REE_DIST_TRIANGULAR, 5, 9, 3);
    assert_invalid(&d, "triangular needs min <= mode <= max, found min 5, mode 3, max 9");
    d = mk(REE_DIST_TRIANGULAR, 5, 5, 5);
    assert_invalid(&d, "triangular needs min < max, found min 5, max 5");
    d = mk(REE_DIST_PERT, 1, 6, 7.5);
    assert_invalid(&d, "pert needs min <= mode <= max, found min 1, mode 7.5, max 6");
    d = mk(REE_DIST_PERT, 2.385, 2.385, 2.385);
    assert_invalid(&d, "pert needs min < max, found min 2.385, max 2.385");
    d = mk(REE_DIST_UNIFORM, 5, 3, 0);
    assert_invalid(&d, "uniform needs min < max, found min 5, max 3");
    d = mk(REE_DIST_UNIFORM, -1e308, 1e308, 0);
    assert_invalid(&d, "uniform max - min overflows, found min -1e+308, max 1e+308");
    d = mk(REE_DIST_NORMAL, 63, 0, 0);
    assert_invalid(&d, "normal needs sd > 0, found sd 0");
    d = mk(REE_DIST_NORMAL, NAN, 15, 0);
    assert_invalid(&d, "normal mean must be a finite number, found nan");
    d = mk(REE_DIST_LOGNORMAL, -3, 1, 0);
    assert_invalid(&d, "lognormal needs mean > 0, found mean -3");
    d = mk(REE_DIST_LOGNORMAL, 63, -15, 0);
    assert_invalid(&d, "lognormal needs sd > 0, found sd -15");
    d = mk(REE_DIST_LOGNORMAL, 1e-200, 1e200, 0);
    assert_invalid(&d, "lognormal sd/mean ratio out of range, found mean 1e-200, sd 1e+200");
    d = mk(REE_DIST_BETA, 0, 2, 0);
    assert_invalid(&d, "beta needs alpha > 0 and beta > 0, found alpha 0, beta 2");
    d = mk(REE_DIST_BETA, 5e-324, 2, 0);
    assert_invalid(
        &d, "beta needs alpha and beta at least 1e-300, found alpha 4.94065645841247e-324, beta 2");
    d = mk(REE_DIST_BETA, 2, 5, 0);
    d.lo = 0.2;
    assert_invalid(
        &d, "beta needs both min and max or neither (default [0, 1]), found min 0.2, max inf");
    d.hi = 0.1;
    assert_invalid(&d, "beta needs min < max, found min 0.2, max 0.1");
    d = mk(REE_DIST_CONST, INFINITY, 0, 0);
    assert_invalid(&d, "const value must be a finite number, found inf");
    d = mk(REE_DIST_UNIFORM, 1, 2, 0);
    d.lo = NAN;
    assert_invalid(&d, "uniform truncation bounds must be numbers, found [nan, inf]");
    d = mk((ree_dist_kind)42, 1, 2, 0);
    assert_invalid(&d, "unknown distribution kind 42");

    /* Unused fields are not checked: a NaN mode on a uniform is fine. */
    d = mk(REE_DIST_UNIFORM, 1, 2, NAN);
    assert_valid(&d);

    /* why may be NULL, and a short buffer is truncated, not overrun. */
    d = mk(REE_DIST_TRIANGULAR, 5, 9, 3);
    assert_int_equal(ree_dist_check(&d, NULL, 0), -1);
    char small[12];
    memset(small, 'x', sizeof small);
    assert_int_equal(ree_dist_check(&d, small, 8), -1);
    assert_string_equal(small, "triangu");
    assert_true(small[8] == 'x');
}

/* Moments of 200k samples per kind from one fixed stream, within 5 standard errors of the mean
 * (deterministic: the stream is fixed). Every sample inside the support. */
static void run_moments(gsl_rng *r, const ree_dist *d, double mean, double sd, double sd_tol)
{
    const int n = 200000;
    double lo, hi;
    ree_dist_support(d, &lo, &hi);
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = ree_dist_sample(d, r);
        if (!(x >= lo && x <= hi))
            fail_msg("%s sample %.17g outside [%g, %g]", ree_dist_name(d->kind), x, lo, hi);
        s += x;
        s2 += (x - mean) * (x - mean);
    }
    double m = s / n;
    double sdev = sqrt(fmax(0.0, s2 / n - (m - mean) * (m - mean)));
    if (!(fabs(m - mean) <= 5 * sd / sqrt(n) + 1e-9 * fabs(mean)))
        fail_msg("%s mean %.10g, want %.10g", ree_dist_name(d->kind), m, mean);
    if (!(fabs(sdev - sd) <= sd_tol * sd + 1e-12))
        fail_msg("%s sd %.10g, want %.10g", ree_dist_name(d->kind), sdev, sd);
}

static void test_sample_moments(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(ree_rng_philox);
    assert_non_null(r);
    ree_stream_key key = {.seed = 20251009u,
                          .run = 0,
                          .entity = ree_hash_id("cn_magnets"),
                          .kind = REE_STREAM_PARAMS};
    ree_rng_select(r, &key);

    ree_dist k = mk(REE_DIST_CONST, 2.385, 0, 0);
    run_moments(r, &k, 2.385, 0, 0);

    /* Uniform 1..2: sd 1/sqrt(12). */
    ree_dist uni = mk(REE_DIST_UNIFORM, 1, 2, 0);
    run_moments(r, &uni, 1.5, 1 / sqrt(12.0), 0.01);

    /* Triangular: mean (a + b + c) / 3 = 51500 / 3 = 17166.67; var = (a^2 + b^2 + c^2 - ab - ac
     * - bc) / 18 = ((a - b)^2 + (a - c)^2 + (b - c)^2) / 36 = (16e6 + 6.25e6 + 2.25e6) / 36
     * = 680555.6, sd 824.97. */
    ree_dist tri = mk(REE_DIST_TRIANGULAR, 15000, 19000, 17500);
    run_moments(r, &tri, 51500.0 / 3.0, sqrt(24.5e6 / 36.0), 0.01);

    ree_dist nor = mk(REE_DIST_NORMAL, 63, 15, 0);
    run_moments(r, &nor, 63, 15, 0.01);

    /* Lognormal given by its own mean and sd: both recovered. */
    ree_dist ln = mk(REE_DIST_LOGNORMAL, 63, 15, 0);
    run_moments(r, &ln, 63, 15, 0.02);

    /* Beta(2, 5) on [0.1, 0.4]: mean 0.1 + 0.3 * 2/7, var 0.09 * 10 / (49 * 8). */
    ree_dist be = mk(REE_DIST_BETA, 2, 5, 0);
    be.lo = 0.1;
    be.hi = 0.4;
    run_moments(r, &be, 0.1 + 0.3 * 2.0 / 7.0, 0.3 * sqrt(10.0 / (49.0 * 8.0)), 0.01);

    /* PERT 1, 2, 6: mean (a + 4c + b) / 6 = 2.5; alpha 1.8, beta 4.2 on a width of 5, so
     * var = 25 * 1.8 * 4.2 / (36 * 7). */
    ree_dist pe = mk(REE_DIST_PERT, 1, 6, 2);
    run_moments(r, &pe, 2.5, 5 * sqrt(1.8 * 4.2 / (36.0 * 7.0)), 0.01);

    /* Truncated normal N(0,1) on [10, inf): mean phi(10) / Q(10) = 10.0981, sd ~0.096. */
    ree_dist tail = mk(REE_DIST_NORMAL, 0, 1, 0);
    tail.lo = 10;
    double tmean = gsl_ran_ugaussian_pdf(10) / gsl_cdf_ugaussian_Q(10);
    double tvar = 1 + 10 * tmean - tmean * tmean;
    run_moments(r, &tail, tmean, sqrt(tvar), 0.02);
    gsl_rng_free(r);
}

/* One uniform per sample, const included: a const and a uniform in the same slot leave the
 * stream at the same place, and the uniform is exactly the quantile of ree_rng_uniform_pos. */
/* A quantile that never returns (GSL 2.7's gsl_cdf_beta_Pinv loops for good when both shapes
 * are near 1e6) must fail the test rather than stall ctest. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_dist: a beta quantile did not return within 120 s\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* Every pair of beta shapes on a grid from 1e-300 to the bound, REE_DIST_BETA_SHAPE_MAX: the
 * quantile at 402 u (the extremes included) returns quickly, finite, inside [0, 1] and monotone.
 * Just above the bound is invalid. */
static void test_beta_shape_grid(void **state)
{
    (void)state;
    static const double shapes[] = {1e-300, 1e-100, 1e-6, 1e-3, 0.1,
                                    0.5,    1,      1.5,  2,    18,
                                    100,    1e3,    5e3,  9999, REE_DIST_BETA_SHAPE_MAX};
    const size_t ns = sizeof shapes / sizeof shapes[0];
    signal(SIGALRM, on_alarm);
    alarm(120);
    for (size_t i = 0; i < ns; i++) {
        for (size_t j = 0; j < ns; j++) {
            ree_dist d = mk(REE_DIST_BETA, shapes[i], shapes[j], 0);
            assert_valid(&d);
            struct timespec t0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            double prev = -INFINITY;
            const int steps = 100;
            for (int k = 0; k <= steps + 1; k++) {
                double u = k == 0 ? U_MIN : (k > steps ? U_MAX : (k - 0.5) / steps);
                double x = ree_dist_quantile(&d, u);
                if (!(isfinite(x) && x >= 0.0 && x <= 1.0 && x >= prev))
                    fail_msg("beta(%g, %g): u %.17g -> %.17g (previous %.17g)", shapes[i],
                             shapes[j], u, x, prev);
                prev = x;
            }
            double dt = seconds_since(&t0);
            if (dt > 5.0)
                fail_msg("beta(%g, %g): 102 quantiles took %.3g s", shapes[i], shapes[j], dt);
        }
    }
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    ree_dist d = mk(REE_DIST_BETA, 10001, 2, 0);
    assert_invalid(&d, "beta needs alpha and beta at most 10000, found alpha 10001, beta 2");
    d = mk(REE_DIST_BETA, 1e6, 1e6, 0);
    assert_invalid(&d,
                   "beta needs alpha and beta at most 10000, found alpha 1000000, beta 1000000");
    d = mk(REE_DIST_BETA, 10, 1e300, 0);
    assert_invalid(&d, "beta needs alpha and beta at most 10000, found alpha 10, beta 1e+300");
}

static void test_one_uniform_per_sample(void **state)
{
    (void)state;
    ree_stream_key key = {
        .seed = 7u, .run = 1u, .entity = ree_hash_id("us_cars"), .kind = REE_STREAM_PARAMS};
    gsl_rng *a = gsl_rng_alloc(ree_rng_philox);
    gsl_rng *b = gsl_rng_alloc(ree_rng_philox);
    assert_non_null(a);
    assert_non_null(b);
    ree_rng_select(a, &key);
    ree_rng_select(b, &key);
    ree_dist k = mk(REE_DIST_CONST, 310, 0, 0);
    ree_dist tri = mk(REE_DIST_TRIANGULAR, 15000, 19000, 17500);
    assert_true(ree_dist_sample(&k, a) == 310);
    (void)ree_rng_uniform_pos(b);
    assert_true(ree_dist_sample(&tri, a) == ree_dist_quantile(&tri, ree_rng_uniform_pos(b)));
    for (int i = 0; i < 8; i++)
        assert_int_equal(gsl_rng_get(a), gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),           cmocka_unit_test(test_quantile_hand_values),
        cmocka_unit_test(test_truncation),      cmocka_unit_test(test_extreme_u_and_monotone),
        cmocka_unit_test(test_beta_shape_grid), cmocka_unit_test(test_check_messages),
        cmocka_unit_test(test_sample_moments),  cmocka_unit_test(test_one_uniform_per_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
