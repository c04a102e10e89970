/* Tests for the numbers of engine/io/csvread.c: a field reads as a number exactly when it is one
 * that ree_csv_num or ree_csv_int could have written (the CSV files `reesim plot` and
 * `reesim discover` read may come from someone else); and ree_table_parse, the fuzz target's
 * entry, reads bytes as ree_table_load reads them from a file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "csvread.h"
#include "outfile.h"

/* A table of one column "v" whose rows are `cells` (each written as one CSV line, quoted). */
static ree_table *table_of(const char *const *cells, size_t n)
{
    char path[] = "/tmp/test_csvread.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("v\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "\"%s\"\n", cells[i]);
    assert_int_equal(fclose(f), 0);
    ree_status st;
    char err[256];
    ree_table *t = ree_table_load(path, &st, err, sizeof err);
    unlink(path);
    if (!t)
        print_error("%s\n", err);
    assert_non_null(t);
    assert_int_equal(ree_table_nrows(t), n);
    return t;
}

/* What reesim writes reads back as the same double (to the 10 digits written). */
static void test_what_reesim_writes(void **unused)
{
    (void)unused;
    const double vals[] = {0.0,
                           -0.0,
                           2.385,
                           -2.385,
                           1056.937692,
                           1e100,
                           -1e100,
                           1e-100,
                           4.9406564584124654e-324,
                           2.2250738585072014e-308,
                           1e-310,
                           123456789012.0,
                           0.8120564945};
    size_t n = sizeof vals / sizeof vals[0];
    char buf[sizeof vals / sizeof vals[0]][40];
    const char *cells[sizeof vals / sizeof vals[0]];
    for (size_t i = 0; i < n; i++)
        cells[i] = ree_format_num(buf[i], sizeof buf[i], vals[i]);
    ree_table *t = table_of(cells, n);
    char err[256];
    for (size_t i = 0; i < n; i++) {
        double v = NAN;
        if (ree_table_num(t, i, 0, 0, &v, err, sizeof err)) {
            print_error("'%s': %s\n", cells[i], err);
            fail();
        }
        char again[40];
        assert_string_equal(ree_format_num(again, sizeof again, v), cells[i]);
    }
    ree_table_free(t);
}

/* What it never writes is an error located at the row and named by its column, whatever the
 * flags; an empty field is NaN only when the caller allows it. */
static void test_refused(void **unused)
{
    (void)unused;
    const char *const bad[] = {"nan", "NaN", "inf",   "-inf",   "infinity", "0x10", "0x1p3",
                               " 5",  "5 ",  "1e400", "-1e400", "1e-400",   "1,5",  "12kt",
                               "1e",  ".",   "+",     "\t5",    "5\r",      "1.5.2"};
    size_t n = sizeof bad / sizeof bad[0];
    ree_table *t = table_of(bad, n);
    char err[256];
    for (size_t i = 0; i < n; i++) {
        double v = 2.385;
        if (ree_table_num(t, i, 0, REE_TABLE_EMPTY, &v, err, sizeof err) == 0) {
            print_error("'%s' read as %g\n", bad[i], v);
            fail();
        }
        assert_true(v == 2.385); /* unchanged */
        char where[64];
        snprintf(where, sizeof where, ":%zu: column 'v': ", i + 2);
        if (!strstr(err, where)) {
            print_error("'%s': %s\n", bad[i], err);
            fail();
        }
    }
    ree_table_free(t);

    const char *const empty[] = {""};
    t = table_of(empty, 1);
    double v = 2.385;
    assert_int_equal(ree_table_num(t, 0, 0, 0, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: column 'v': expected a number, found an empty field"));
    assert_true(v == 2.385);
    assert_int_equal(ree_table_num(t, 0, 0, REE_TABLE_EMPTY, &v, err, sizeof err), 0);
    assert_true(isnan(v));
    ree_table_free(t);
}

static void test_whole_numbers(void **unused)
{
    (void)unused;
    const char *const cells[] = {"0",  "17", "-3",  "9223372036854775807", "1.5", "0x3", " 2",
                                 "2 ", "",   "3e2", "9223372036854775808", "nan"};
    ree_table *t = table_of(cells, sizeof cells / sizeof cells[0]);
    char err[256];
    long long want[] = {0, 17, -3, INT64_MAX};
    for (size_t i = 0; i < 4; i++) {
        long long x = -1;
        assert_int_equal(ree_table_int(t, i, 0, &x, err, sizeof err), 0);
        assert_true(x == want[i]);
    }
    for (size_t i = 4; i < sizeof cells / sizeof cells[0]; i++) {
        long long x = 42;
        if (ree_table_int(t, i, 0, &x, err, sizeof err) == 0) {
            print_error("'%s' read as %lld\n", cells[i], x);
            fail();
        }
        assert_true(x == 42);
        assert_non_null(strstr(err, "column 'v': "));
    }
    ree_table_free(t);
}

/* ree_table_parse reads bytes as ree_table_load reads the same bytes from a file: the same
 * cells and lines, or the same error with the name given in place of the path; the bytes need
 * no NUL after them, and one inside them is refused. */
static void test_parse_as_load(void **unused)
{
    (void)unused;
    static const char *const inputs[] = {
        "a,b\n1,2\n",      "\xef\xbb\xbfscenario,mean\r\n\r\n\"x,\"\"y\"\"\",-0\r\nz,1e-310\n",
        "a,b\n\"open,1\n", "a,a\n1,2\n",
        "a,b\n1,2,3\n",    "",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        size_t len = strlen(inputs[i]);
        char path[] = "/tmp/test_csvread.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_true(write(fd, inputs[i], len) == (ssize_t)len);
        close(fd);
        ree_status sl = REE_OK, sp = REE_OK;
        char el[256] = "", ep[256] = "";
        ree_table *tl = ree_table_load(path, &sl, el, sizeof el);
        /* a copy without its terminating NUL, as a fuzzer hands it over */
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, inputs[i], len);
        ree_table *tp = ree_table_parse(path, copy, len, &sp, ep, sizeof ep);
        free(copy);
        unlink(path);
        assert_int_equal(sl, sp);
        assert_string_equal(el, ep);
        assert_int_equal(tl == NULL, tp == NULL);
        if (tl) {
            assert_int_equal(ree_table_nrows(tl), ree_table_nrows(tp));
            assert_int_equal(ree_table_header_line(tl), ree_table_header_line(tp));
            for (int c = 0; ree_table_colname(tl, c); c++) {
                assert_string_equal(ree_table_colname(tl, c), ree_table_colname(tp, c));
                for (size_t r = 0; r < ree_table_nrows(tl); r++) {
                    assert_string_equal(ree_table_cell(tl, r, c), ree_table_cell(tp, r, c));
                    assert_int_equal(ree_table_line(tl, r), ree_table_line(tp, r));
                }
            }
        }
        ree_table_free(tl);
        ree_table_free(tp);
    }
    ree_status st = REE_OK;
    char err[256] = "";
    assert_null(ree_table_parse("nul.csv", "a,b\n1,\0002\n", 9, &st, err, sizeof err));
    assert_int_equal(st, REE_EINVALID);
    assert_true(strncmp(err, "nul.csv:2:", 10) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_reesim_writes),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_whole_numbers),
        cmocka_unit_test(test_parse_as_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
