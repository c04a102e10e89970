/* Tests for engine/sim/remath.c (ree_exp, ree_log, ree_log1p, ree_pow):
 * - accuracy against long double references (x87 expl, logl: about 2^-63 relative, far below a
 *   double's unit), measured in units in the last place (ulp) of the double result: exp and log
 *   within 1 ulp on a million arguments spread over their whole ranges and at the edges of the
 *   range reduction; pow within 1 + |y ln x| / 3 ulp (remath.h says why), on the models' arguments
 *   (growth paths, price elasticities) and on a spread;
 * - special values (C11 Annex F), overflow and underflow through the subnormals;
 * - known answers and digests: the bits of a few results, and a digest of the bits of 100,000
 *   results per function, so that a change of algorithm or of compiler flags that moves a bit
 *   anywhere (an FMA contraction, say) fails here, not in the goldens. They are the point of
 *   the functions: the same bits on every CPU. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "digest.h"
#include "remath.h"

/* |got - want| in ulps of the double nearest want (the ulp of a subnormal is 2^-1074). */
static double ulps(double got, long double want)
{
    double w = (double)want;
    if (w == 0 || !isfinite(w))
        return got == w ? 0 : INFINITY;
    int e;
    frexp(w, &e);
    long double u = e - 53 < -1074 ? ldexpl(1, -1074) : ldexpl(1, e - 53);
    return (double)(fabsl((long double)got - want) / u);
}

/* A uniform double in [0, 1) with all 53 bits random (gsl_rng_uniform on MT19937 has 32). */
static double u53(gsl_rng *r)
{
    double hi = (double)(gsl_rng_get(r) >> 5), lo = (double)(gsl_rng_get(r) >> 6);
    return (hi * 67108864.0 + lo) * 0x1p-53;
}

static double worst_exp, worst_log, worst_log1p, worst_pow;

/* One function of one argument against its long double reference: within 1 ulp; the worst
 * distance seen is kept in *worst. */
typedef struct unary {
    const char *name;
    double (*f)(double);
    long double (*ref)(long double);
    double *worst;
} unary;

static const unary EXP = {"exp", ree_exp, expl, &worst_exp};
static const unary LOG = {"log", ree_log, logl, &worst_log};
static const unary LOG1P = {"log1p", ree_log1p, log1pl, &worst_log1p};

static void check(const unary *u, double x)
{
    long double want = u->ref((long double)x);
    double got = u->f(x), d = ulps(got, want);
    if (d > *u->worst)
        *u->worst = d;
    if (!(d <= 1.0))
        fail_msg("ree_%s(%a) = %a, %.3f ulp from the reference %La", u->name, x, got, d, want);
}

static void check_exp(double x)
{
    check(&EXP, x);
}

static void check_log(double x)
{
    check(&LOG, x);
}

static void check_log1p(double x)
{
    check(&LOG1P, x);
}

static void check_pow(double x, double y)
{
    long double want = powl((long double)x, (long double)y);
    double a = fabs(y * log(fabs(x))), d = ulps(ree_pow(x, y), want), bound = 1.0 + a / 3;
    if (a > 0 && (d - 1) / a > worst_pow)
        worst_pow = (d - 1) / a;
    if (!(d <= bound))
        fail_msg("ree_pow(%a, %a) = %a, %.3f ulp from powl's %La (bound %.3f)", x, y, ree_pow(x, y),
                 d, want, bound);
}

static void same_bits(double got, double want, const char *what)
{
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("%s: %a, expected %a", what, got, want);
}

static void test_exp(void **unused)
{
    (void)unused;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 21);
    for (int i = 0; i < 1000000; i++) {
        check_exp(-745.0 + 1454.0 * u53(r)); /* the whole range */
        check_exp((u53(r) - 0.5) * 2.0);     /* the models' noise */
        check_exp(ldexp(u53(r) - 0.5, -(int)gsl_rng_uniform_int(r, 60)));
    }
    /* The edges of the range reduction: (k + 1/2) ln 2 and their neighbours. */
    for (int k = -1075; k <= 1024; k++)
        for (int s = -1; s <= 1; s += 2) {
            double x = (k + 0.5 * s) * 0.6931471805599453;
            for (int j = 0; j < 8 && x > -745 && x < 709.7; j++) {
                check_exp(x);
                x = nextafter(x, x * 2);
            }
        }
    gsl_rng_free(r);
    print_message("exp: worst %.3f ulp\n", worst_exp);
}

static void test_log(void **unused)
{
    (void)unused;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 22);
    for (int i = 0; i < 1000000; i++) {
        int e = (int)gsl_rng_uniform_int(r, 2098) - 1074; /* every binade, subnormals too */
        check_log(ldexp(0.5 + 0.5 * u53(r), e));
        check_log(1.0 + (u53(r) - 0.5) * 0.1); /* near 1 */
        check_log(1.0 - u53(r));               /* uniforms, as the tails take */
    }
    const double xs[] = {0x1p-1074,
                         0x1p-1022,
                         DBL_MAX,
                         0.7071067811865475,
                         0.7071067811865476,
                         1.4142135623730951,
                         1.4142135623730950,
                         1.0 + 0x1p-52,
                         1.0 - 0x1p-53,
                         2,
                         0.5,
                         10,
                         1e-300,
                         1e300};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        check_log(xs[i]);
        check_log(nextafter(xs[i], 0));
        check_log(nextafter(xs[i], INFINITY));
    }
    gsl_rng_free(r);
    print_message("log: worst %.3f ulp\n", worst_log);
}

static void test_log1p(void **unused)
{
    (void)unused;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 24);
    for (int i = 0; i < 1000000; i++) {
        int e = (int)gsl_rng_uniform_int(r, 1100) - 1074; /* 2^-1074 .. 2^25 */
        check_log1p(ldexp(0.5 + 0.5 * u53(r), e));
        check_log1p(-u53(r)); /* (-1, 0] */
        double cv = 2 * u53(r);
        check_log1p(cv * cv); /* the lognormal shapes: log1p(cv^2) */
    }
    const double xs[] = {0x1p-53, -0x1p-54, 0x1p-52, -0x1p-53, 1e-300, 1, -0.5, 1e300, DBL_MAX};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        check_log1p(xs[i]);
        check_log1p(nextafter(xs[i], 0));
        check_log1p(nextafter(xs[i], INFINITY));
    }
    gsl_rng_free(r);
    print_message("log1p: worst %.3f ulp\n", worst_log1p);
}

static void test_pow(void **unused)
{
    (void)unused;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 23);
    /* The sector's growth path: (1 + growth)^(months / 12). */
    for (int g = -99; g <= 300; g++)
        for (int t = 1; t <= 1200; t += 7)
            check_pow(1 + g / 100.0, t / 12.0);
    /* Large |y ln x| with x near sqrt(2)^-1 and sqrt(2), where log's pair is least accurate (a
     * review found 200 ulp there before s's rounding error was carried): results near the
     * underflow and overflow thresholds. */
    check_pow(0x1.6821b0c083f67p-1, 0x1.e80ffad8ace2p+10);
    check_pow(0x1.6821b0c083f67p-1, 0x1.de36657922f46p+10);
    for (int i = 0; i < 200000; i++) {
        double x = (i & 1 ? 0.70710678118654752 : 1.4142135623730951) * (1 + (u53(r) - 0.5) * 0.01);
        double a = 1 + 700 * u53(r);
        check_pow(x, (i & 2 ? a : -a) / fabs(log(x)));
    }
    for (int i = 0; i < 1000000; i++) {
        /* the processor's price response: lagged index ^ elasticity */
        check_pow(0.2 + 10 * u53(r), (u53(r) - 0.5) * 4);
        /* a spread: results over most of the range */
        double x = ldexp(0.5 + 0.5 * u53(r), (int)gsl_rng_uniform_int(r, 200) - 100);
        check_pow(x, (u53(r) - 0.5) * 20);
    }
    gsl_rng_free(r);
    print_message("pow: worst %.3f ulp per unit of |y ln x| above 1 ulp\n", worst_pow);
}

/* ree_pow_logx(l, y) after ree_logx_set(l, x) is ree_pow(x, y) bit for bit (remath.h). */
static void test_pow_logx(void **unused)
{
    (void)unused;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 25);
    const double xs[] = {1.1, 1.0,  0.5,  2.0,  1e-300,   0x1p-1074, 1e300,
                         0.0, -0.0, -2.0, -0.5, INFINITY, -INFINITY, NAN};
    const double ys[] = {0.0,    1.0,    -1.0,     0.5,       2.0, 3.0,      1e300,
                         -1e300, 0x1p60, INFINITY, -INFINITY, NAN, 1.0 / 12, 700.0};
    for (int i = 0; i < 1000000 + 14 * 14; i++) {
        double x, y;
        if (i < 14 * 14) {
            x = xs[i / 14];
            y = ys[i % 14];
        } else {
            x = ldexp(0.5 + 0.5 * u53(r), (int)gsl_rng_uniform_int(r, 200) - 100);
            y = (u53(r) - 0.5) * 40;
        }
        ree_logx l;
        ree_logx_set(&l, x);
        double a = ree_pow_logx(&l, y), b = ree_pow(x, y);
        if (memcmp(&a, &b, sizeof a) != 0)
            fail_msg("ree_pow_logx(%a, %a) = %a, ree_pow %a", x, y, a, b);
    }
    gsl_rng_free(r);
}

static void test_special(void **unused)
{
    (void)unused;
    assert_true(isnan(ree_exp(NAN)));
    assert_true(ree_exp(INFINITY) == INFINITY);
    same_bits(ree_exp(-INFINITY), 0.0, "exp(-inf)");
    same_bits(ree_exp(0.0), 1.0, "exp(0)");
    same_bits(ree_exp(-0.0), 1.0, "exp(-0)");
    assert_true(ree_exp(709.79) == INFINITY);
    assert_true(ree_exp(1000) == INFINITY);
    assert_true(isfinite(ree_exp(709.78)));
    same_bits(ree_exp(-746), 0.0, "exp(-746)");
    assert_true(ree_exp(-745.0) > 0 && ree_exp(-745.0) < DBL_MIN); /* subnormal */
    same_bits(ree_exp(-745.0), (double)expl(-745.0L), "exp(-745), a subnormal");
    assert_true(isnan(ree_log(NAN)));
    assert_true(isnan(ree_log(-1)));
    assert_true(isnan(ree_log(-INFINITY)));
    assert_true(ree_log(0.0) == -INFINITY);
    assert_true(ree_log(-0.0) == -INFINITY);
    assert_true(ree_log(INFINITY) == INFINITY);
    same_bits(ree_log(1.0), 0.0, "log(1)");
    assert_true(isnan(ree_log1p(NAN)));
    assert_true(isnan(ree_log1p(-1.5)));
    assert_true(ree_log1p(-1.0) == -INFINITY);
    assert_true(ree_log1p(INFINITY) == INFINITY);
    same_bits(ree_log1p(0.0), 0.0, "log1p(0)");
    same_bits(ree_log1p(-0.0), -0.0, "log1p(-0)");
    same_bits(ree_log1p(0x1p-1074), 0x1p-1074, "log1p(2^-1074)");
    same_bits(ree_pow(2.5, 0.0), 1.0, "pow(x, 0)");
    same_bits(ree_pow(1.0, 1e300), 1.0, "pow(1, y)");
    same_bits(ree_pow(1.0, NAN), 1.0, "pow(1, NaN)");
    same_bits(ree_pow(NAN, 0.0), 1.0, "pow(NaN, 0)");
    same_bits(ree_pow(3.7, 1.0), 3.7, "pow(x, 1)");
    same_bits(ree_pow(0.0, 2.0), 0.0, "pow(0, 2)");
    assert_true(ree_pow(0.0, -1.0) == INFINITY);
    assert_true(isnan(ree_pow(-2.0, 0.5)));
    assert_true(isnan(ree_pow(NAN, 2.0)));
    assert_true(ree_pow(INFINITY, 2.0) == INFINITY);
    same_bits(ree_pow(INFINITY, -2.0), 0.0, "pow(inf, -2)");
    assert_true(ree_pow(-2.0, 3.0) < 0 && fabs(ree_pow(-2.0, 3.0) + 8) <= 8 * 0x1p-50);
    assert_true(ree_pow(-2.0, 4.0) > 0 && fabs(ree_pow(-2.0, 4.0) - 16) <= 16 * 0x1p-50);
    assert_true(ree_pow(-2.0, 0x1p60) == INFINITY); /* even */
    assert_true(ree_pow(10.0, 400) == INFINITY);
    same_bits(ree_pow(10.0, -400), 0.0, "pow(10, -400)");
}

/* The bits of a few results, as this code computes them on any CPU (taken from it when it was
 * written; each is within 1 ulp of the long double reference, and exp(-0.111...) is not the
 * nearest double: these functions are faithful, not correctly rounded). */
static void test_known_answers(void **unused)
{
    (void)unused;
    same_bits(ree_exp(1.0), 0x1.5bf0a8b145769p+1, "exp(1)");
    same_bits(ree_exp(-0.11117026293579216), 0x1.ca2170fa27888p-1, "exp(-0.111...)");
    same_bits(ree_exp(0.0096021856980211609), 0x1.027851df0ac34p+0, "exp(0.0096...)");
    same_bits(ree_exp(700.0), 0x1.d945df4f8ec8ep+1009, "exp(700)");
    same_bits(ree_exp(-740.0), 0x0.0000000000055p-1022, "exp(-740)");
    same_bits(ree_log(2.0), 0x1.62e42fefa39efp-1, "log(2)");
    same_bits(ree_log(10.0), 0x1.26bb1bbb55516p+1, "log(10)");
    same_bits(ree_log(0x1p-1074), -0x1.74385446d71c3p+9, "log(2^-1074)");
    same_bits(ree_log(1.0 + 0x1p-30), 0x1.fffffffcp-31, "log(1 + 2^-30)");
    same_bits(ree_log1p(0.25), 0x1.c8ff7c79a9a22p-3, "log1p(0.25)");
    same_bits(ree_log1p(1e-10), 0x1.b7cdfd9d1d693p-34, "log1p(1e-10)");
    same_bits(ree_log1p(-0.5), -0x1.62e42fefa39efp-1, "log1p(-0.5)");
    same_bits(ree_pow(1.1, 5.0 / 12.0), 0x1.0a5ef8e7a661bp+0, "pow(1.1, 5/12)");
    same_bits(ree_pow(1.174, 30.0 / 12.0), 0x1.7e4e21b99b855p+0, "pow(1.174, 2.5)");
}

/* FNV-1a 64 over the bits of the results of 100,000 arguments per function, spread over their
 * ranges: any change of a bit anywhere (an FMA contraction by another compiler or flag, a
 * reordered sum, a changed constant) changes a digest. The known answers above catch only the
 * changes that reach their few arguments. The digests were taken from this code when it was
 * written. */
static void test_digest(void **unused)
{
    (void)unused;
    uint64_t h[4] = {DIGEST_START, DIGEST_START, DIGEST_START, DIGEST_START};
    uint64_t st = 2026;
    for (int i = 0; i < 100000; i++) {
        /* one draw a statement: the order of a call's arguments is unspecified in C */
        double x = -745.5 + 1455.5 * unit(&st);
        double lm = 0.5 + 0.5 * unit(&st);
        int le = (int)(mix(&st) % 2098) - 1074;
        double mm = unit(&st);
        int me = (int)(mix(&st) % 60);
        double ms = mix(&st) & 1 ? 1 : -1;
        double bm = 0.5 + 0.5 * unit(&st);
        int be = (int)(mix(&st) % 40) - 20;
        double y = (unit(&st) - 0.5) * 60;
        double l = ldexp(lm, le), m = ms * ldexp(mm, -me), b = ldexp(bm, be);
        double v[4] = {ree_exp(x), ree_log(l), ree_log1p(m), ree_pow(b, y)};
        for (int f = 0; f < 4; f++)
            digest_add(&h[f], v[f]);
    }
    static const char *const name[4] = {"exp", "log", "log1p", "pow"};
    static const uint64_t want[4] = {0xa5b6af8b613cb90bu, 0xc40289b54e91c26fu, 0x78751dd87b2e3537u,
                                     0x3acb595510555369u};
    for (int f = 0; f < 4; f++)
        print_message("%s digest %#018llx\n", name[f], (unsigned long long)h[f]);
    for (int f = 0; f < 4; f++) {
        if (h[f] != want[f])
            fail_msg("%s: digest %#018llx, expected %#018llx", name[f], (unsigned long long)h[f],
                     (unsigned long long)want[f]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp),           cmocka_unit_test(test_log),
        cmocka_unit_test(test_log1p),         cmocka_unit_test(test_pow),
        cmocka_unit_test(test_pow_logx),      cmocka_unit_test(test_special),
        cmocka_unit_test(test_known_answers), cmocka_unit_test(test_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
