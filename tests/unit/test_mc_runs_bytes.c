/*
 * ree_mc_runs_csv_bytes (engine/sim/mc.c), the estimate `reesim run` uses to choose runs.csv.gz
 * by default: checked against the bytes ree_mc_write_runs really writes. With every value a
 * %.10g number of REE_MC_VALUE_BYTES characters (12345.6789) the estimate is exact, for ranges of
 * runs across the digit boundaries of the run number (9 -> 10, 99 -> 100, ..., 99,999,999 ->
 * 100,000,000), for a scenario of the longest name (on every row), and for historical-2025's
 * 210 indicators; with every value 0 (one character) it is over by exactly 9 bytes a row. Also: an
 * empty range is 0, ranges add up, and the 1e8 runs of the loader's bound give a finite figure.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "mc.h"
#include "outfile.h"
#include "plan.h"

static ree_plan *load_file(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", REESIM_SOURCE_DIR, rel);
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load(path, d, &st);
    if (!p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    return p;
}

/* The example-source scenario with its name replaced by `name` (a YAML double-quoted scalar). */
static ree_plan *load_renamed(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/examples/source.yaml", REESIM_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char in[1 << 16], out[(1 << 16) + 256];
    size_t n = fread(in, 1, sizeof in - 1, f);
    fclose(f);
    in[n] = 0;
    const char *at = strstr(in, "\nname: example-source\n");
    assert_non_null(at);
    int head = (int)(at - in) + 1;
    int len = snprintf(out, sizeof out, "%.*sname: \"%s\"\n%s", head, in, name,
                       at + strlen("\nname: example-source\n"));
    assert_true(len > 0 && (size_t)len < sizeof out);
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load_buffer("renamed.yaml", out, (size_t)len, d, &st);
    if (!p)
        ree_diag_print(d, stderr);
    ree_diag_free(d);
    assert_non_null(p);
    return p;
}

/* Bytes ree_mc_write_runs writes for runs first .. first + count - 1, every value `v`. */
static size_t written(const ree_plan *p, long long first, int count, double v)
{
    size_t nv = (size_t)count * (size_t)p->nindicator;
    double *values = malloc((nv ? nv : 1) * sizeof *values);
    assert_non_null(values);
    for (size_t i = 0; i < nv; i++)
        values[i] = v;
    ree_csv *c = ree_csv_mem_alloc();
    assert_non_null(c);
    ree_mc_write_runs(p, c, values, first, count);
    assert_false(ree_csv_mem_lost(c));
    size_t len = 0;
    (void)ree_csv_mem_bytes(c, &len);
    ree_csv_mem_free(c);
    free(values);
    return len;
}

static const long long firsts[] = {0, 1, 5, 95, 990, 9990, 99990, 999990, 9999990, 99999990};

static void exact_for(const ree_plan *p)
{
    assert_true(p->nindicator > 0);
    for (size_t i = 0; i < sizeof firsts / sizeof *firsts; i++)
        for (int count = 1; count <= 64; count += 21) {
            double est = ree_mc_runs_csv_bytes(p, firsts[i], count);
            assert_true(est == (double)written(p, firsts[i], count, 12345.6789));
            double rows = (double)count * p->nindicator;
            assert_true(est - (double)written(p, firsts[i], count, 0.0) == 9 * rows);
        }
}

static void test_exact_example(void **state)
{
    (void)state;
    ree_plan *p = load_file("scenarios/examples/source.yaml");
    exact_for(p);
    ree_plan_free(p);
}

static void test_long_name(void **state)
{
    (void)state;
    const char *name = "a123456789b123456789c123456789d123456789e123456789f123456789g123";
    ree_plan *p = load_renamed(name);
    assert_string_equal(p->name, name);
    exact_for(p);
    /* the name is on every row */
    ree_plan *q = load_file("scenarios/examples/source.yaml");
    assert_true(ree_mc_runs_csv_bytes(p, 0, 3) - ree_mc_runs_csv_bytes(q, 0, 3) ==
                3.0 * q->nindicator * (double)(strlen(name) - strlen(q->name)));
    ree_plan_free(q);
    ree_plan_free(p);
}

static void test_exact_historical(void **state)
{
    (void)state;
    ree_plan *p = load_file("scenarios/historical-2025.yaml");
    assert_true(p->nindicator > 100);
    for (size_t i = 0; i < 4; i++) {
        double est = ree_mc_runs_csv_bytes(p, firsts[i], 64);
        assert_true(est == (double)written(p, firsts[i], 64, 12345.6789));
    }
    /* its 100,000 runs pass the 1 GB that makes `reesim run` choose gzip; 20,000 do not */
    assert_true(ree_mc_runs_csv_bytes(p, 0, 100000) > 1e9);
    assert_true(ree_mc_runs_csv_bytes(p, 0, 20000) < 1e9);
    ree_plan_free(p);
}

static void test_ranges(void **state)
{
    (void)state;
    ree_plan *p = load_file("scenarios/examples/source.yaml");
    assert_true(ree_mc_runs_csv_bytes(p, 0, 0) == 0);
    assert_true(ree_mc_runs_csv_bytes(p, 7, -3) == 0);
    /* ranges add up, across every digit boundary up to the loader's bound */
    double whole = ree_mc_runs_csv_bytes(p, 0, 100000000);
    double parts = 0;
    for (long long lo = 0; lo < 100000000; lo += 12500000)
        parts += ree_mc_runs_csv_bytes(p, lo, 12500000);
    assert_true(isfinite(whole) && whole > 0);
    assert_true(fabs(whole - parts) <= 1e-12 * whole);
    /* outside the runs that exist: a negative first counts from 0, a range past LLONG_MAX stops
     * there (no signed overflow: this test runs under UBSan in make check-asan) */
    assert_true(ree_mc_runs_csv_bytes(p, -5, 10) == ree_mc_runs_csv_bytes(p, 0, 10));
    double top = ree_mc_runs_csv_bytes(p, LLONG_MAX - 2, 100);
    assert_true(top == ree_mc_runs_csv_bytes(p, LLONG_MAX - 2, 2));
    assert_true(top == 2 * (ree_mc_runs_csv_bytes(p, 10, 1) + 17.0 * p->nindicator));
    assert_true(ree_mc_runs_csv_bytes(p, LLONG_MAX, 5) == 0);
    /* one more run: one more row per indicator, each with the run number's 9 digits */
    double one = ree_mc_runs_csv_bytes(p, 100000000, 1);
    assert_true(one == ree_mc_runs_csv_bytes(p, 10, 1) + 7.0 * p->nindicator);
    ree_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_example),
        cmocka_unit_test(test_long_name),
        cmocka_unit_test(test_exact_historical),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
