/* Tests for engine/io/numfmt.c: the numbers printed in `reesim run` and `reesim compare` tables,
 * thousands grouped, rounded by magnitude, independent of the locale. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "numfmt.h"

static void expect(double v, unsigned flags, const char *want)
{
    char buf[REE_FMT_MAX];
    const char *got = ree_fmt_number(buf, sizeof buf, v, flags);
    if (strcmp(got, want)) {
        print_error("%.17g: got \"%s\", want \"%s\"\n", v, got, want);
        fail();
    }
}

static void test_grouping(void **unused)
{
    (void)unused;
    expect(2727120.4, 0, "2,727,120");
    expect(999, 0, "999");
    expect(999.4, 0, "999");
    expect(999.6, 0, "1,000");
    expect(1000, 0, "1,000");
    expect(-1000, 0, "-1,000");
    expect(123456.5, 0, "123,457");
    expect(1e15, 0, "1,000,000,000,000,000");
    expect(-98258.91284, 0, "-98,259");
    expect(150, 0, "150");
}

static void test_rounding(void **unused)
{
    (void)unused;
    expect(0, 0, "0");
    expect(-0.0, 0, "0");
    expect(0.35, 0, "0.35");
    expect(0.3512, 0, "0.35");
    expect(0.5, 0, "0.5");
    expect(0.0042, 0, "0.0042");
    expect(0.000012345, 0, "0.000012");
    expect(0.99996, 0, "1");
    expect(0.0999, 0, "0.1");
    expect(5.25, 0, "5.25");
    expect(4.0, 0, "4");
    expect(12.34, 0, "12.3");
    expect(99.96, 0, "100");
    expect(-12.34, 0, "-12.3");
    expect(3, 0, "3");
}

static void test_extremes(void **unused)
{
    (void)unused;
    expect(NAN, 0, "-");
    expect(INFINITY, 0, "inf");
    expect(-INFINITY, 0, "-inf");
    expect(1.2e-7, 0, "1.2e-07");
    expect(-3.456e-9, 0, "-3.46e-09");
    expect(2.5e20, 0, "2.5e+20");
    expect(1e18, 0, "1e+18");
    expect(9.9999e-7, 0, "1e-06");
    expect(1.7976931348623157e308, 0, "1.8e+308");
    expect(4.9e-324, 0, "4.94e-324"); /* the smallest subnormal, 4.94e-324 */
}

static void test_sign_and_truncation(void **unused)
{
    (void)unused;
    expect(1234.5, REE_FMT_SIGN, "+1,235");
    expect(-1234.5, REE_FMT_SIGN, "-1,235");
    expect(0, REE_FMT_SIGN, "0");
    expect(0.25, REE_FMT_SIGN, "+0.25");
    expect(NAN, REE_FMT_SIGN, "-");
    char small[6];
    assert_string_equal(ree_fmt_number(small, sizeof small, 2727120, 0), "2,727");
    char one[1] = {'x'};
    assert_string_equal(ree_fmt_number(one, sizeof one, 5, 0), "");
}

/* A locale with ',' as decimal point changes nothing (when the system has one). */
static void test_locale(void **unused)
{
    (void)unused;
    const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (setlocale(LC_ALL, names[i]))
            break;
    expect(2727120.4, 0, "2,727,120");
    expect(0.35, 0, "0.35");
    expect(1.2e-7, 0, "1.2e-07");
    setlocale(LC_ALL, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping), cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_extremes), cmocka_unit_test(test_sign_and_truncation),
        cmocka_unit_test(test_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
