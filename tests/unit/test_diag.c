/* Tests for engine/scenario/diag.c: message layout, caret placement, bounds, byte offset -> mark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csvread.h"
#include "diag.h"

/* Everything ree_diag_print writes, as a malloc'd string. */
static char *printed(const ree_diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    ree_diag_print(d, f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void assert_printed(const ree_diag *d, const char *want)
{
    char *got = printed(d);
    assert_string_equal(got, want);
    free(got);
}

static ree_source src_of(const char *name, const char *text)
{
    ree_source s = {name, text, strlen(text)};
    return s;
}

/* The house layout: file:line:col: error: path: message, the line, a caret under column 10. */
static void test_error_with_path_and_caret(void **state)
{
    (void)state;
    ree_source src = src_of("scen.yaml", "horizon:\n  steps: 12kt\nruns: 10000\n");
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    /* "  steps: " is 9 characters, so the value starts in column 10. */
    ree_mark m = {&src, 2, 10};
    ree_diag_error(d, m, "horizon.steps", "expected a number, found '%s'", "12kt");
    assert_int_equal(ree_diag_count(d), 1);
    assert_printed(d, "scen.yaml:2:10: error: horizon.steps: expected a number, found '12kt'\n"
                      "  steps: 12kt\n"
                      "         ^\n");
    ree_diag_free(d);
}

/* Control bytes (C0, DEL) from user text never reach the output raw: in the message, the key
 * path and the file name they are written \xHH; the source line keeps its tabs and escapes the
 * rest, and the caret moves right by 3 for each escape before it. */
static void test_control_bytes_escaped(void **state)
{
    (void)state;
    ree_source src = src_of("s\x1b.yaml", "a\x1b[31m:\t\x7f x\n");
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_mark m = {&src, 1, 10};
    ree_diag_error(d, m, "nodes.s\nrc", "invalid id '%s'", "ba\x1b[31mse\r\n\x01\x7f\t");
    assert_printed(d, "s\\x1b.yaml:1:10: error: nodes.s\\x0arc: invalid id "
                      "'ba\\x1b[31mse\\x0d\\x0a\\x01\\x7f\\x09'\n"
                      "a\\x1b[31m:\t\\x7f x\n"
                      "          \t    ^\n");
    ree_diag_free(d);
}

/* C1 controls written as UTF-8 (U+0080 to U+009F, bytes C2 80 to C2 9F) are escaped "\u00HH"
 * too: a terminal may take U+009B as CSI, an ESC [ of one character. In the message, the path,
 * the file name and the source line, where the caret moves right by 5 for each before it (one
 * column shown as six). The rest of UTF-8, U+00A0 (C2 A0) and U+00E9 (C3 A9) included, is kept.
 * (Not U+0085 in the source line: YAML takes it for a line break, so the line ends there.) */
static void test_c1_controls_escaped(void **state)
{
    (void)state;
    ree_source src = src_of("s\xc2\x9b.yaml", "id: \xc2\x9b"
                                              "31mx\xc2\x90\xc3\xa9 y\n");
    ree_diag *d = ree_diag_alloc(0);
    assert_non_null(d);
    ree_mark m = {&src, 1, 12}; /* "id: " 4, CSI, "31mx" 4, DCS, e-acute, space: y is column 12 */
    ree_diag_error(d, m, "nodes.\xc2\x80", "invalid id '%s'",
                   "a\xc2\x9b"
                   "2J\xc2\x9f\xc2\xa0\xc3\xa9");
    assert_printed(d, "s\\u009b.yaml:1:12: error: nodes.\\u0080: invalid id "
                      "'a\\u009b2J\\u009f\xc2\xa0\xc3\xa9'\n"
                      "id: \\u009b31mx\\u0090\xc3\xa9 y\n"
                      "                     ^\n");
    ree_diag_free(d);
}

/* ree_snippet, the one escaping of user text in messages: C0, DEL and C1 escaped, other UTF-8
 * kept, a C2 lead byte cut off from its continuation not taken for a C1 control, and a C1
 * control never split by the "..." cut. */
static void test_snippet_c1(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(ree_snippet("a\xc2\x9b[1m\x1b\xc2\xa0", 9, buf, sizeof buf),
                        "a\\u009b[1m\\x1b\xc2\xa0");
    assert_string_equal(ree_snippet("x\xc2\x80", 2, buf, sizeof buf), "x\xc2");
    assert_int_equal(ree_is_c1("\xc2\x9f", 2), 1);
    assert_int_equal(ree_is_c1("\xc2\xa0", 2), 0);
    assert_int_equal(ree_is_c1("\xc2\x80", 1), 0);
    assert_int_equal(ree_is_c1("\xc3\x80", 2), 0);
    /* "ab" and then U+009B: 2 + 6 bytes do not fit in 8 with the "..." and the NUL */
    assert_string_equal(ree_snippet("ab\xc2\x9b"
                                    "cd",
                                    6, buf, 8),
                        "ab...");
    /* every byte a C1 control's: never more than 4 bytes out for each byte in */
    char many[4 * 8 + 1];
    assert_string_equal(ree_snippet("\xc2\x9b\xc2\x9b\xc2\x9b\xc2\x9b", 8, many, sizeof many),
                        "\\u009b\\u009b\\u009b\\u009b");
}

/* NULL and "" paths print no path; warnings say "warning:" and are not counted as errors. */
static void test_no_path_and_warning(void **state)
{
    (void)state;
    ree_source src = src_of("a.yaml", "runs: 10000\nseed: 20250404\n");
    ree_diag *d = ree_diag_alloc(0);
    ree_mark m1 = {&src, 1, 7};
    ree_mark m2 = {&src, 2, 1};
    ree_diag_error(d, m1, NULL, "runs must be at most %d", 5000);
    ree_diag_warning(d, m2, "", "seed given twice");
    ree_diag_error(d, m2, "seed", "bad");
    assert_int_equal(ree_diag_count(d), 2);
    assert_printed(d, "a.yaml:1:7: error: runs must be at most 5000\n"
                      "runs: 10000\n"
                      "      ^\n"
                      "a.yaml:2:1: warning: seed given twice\n"
                      "seed: 20250404\n"
                      "^\n"
                      "a.yaml:2:1: error: seed: bad\n"
                      "seed: 20250404\n"
                      "^\n");
    ree_diag_free(d);
}

/* ree_diag_first_error: the first error's head line (a warning before it skipped), cut to the
 * buffer and always terminated; "" without an error. */
static void test_first_error(void **state)
{
    (void)state;
    ree_source src = src_of("a.yaml", "runs: 10000\nseed: 20250404\n");
    ree_diag *d = ree_diag_alloc(0);
    char buf[64];
    ree_diag_first_error(d, buf, sizeof buf);
    assert_string_equal(buf, "");
    ree_mark m1 = {&src, 1, 7};
    ree_mark m2 = {&src, 2, 1};
    ree_diag_warning(d, m2, "", "seed given twice");
    ree_diag_first_error(d, buf, sizeof buf);
    assert_string_equal(buf, "");
    ree_diag_error(d, m1, "runs", "at most %d", 5000);
    ree_diag_error(d, m2, "seed", "bad");
    memset(buf, 'x', sizeof buf);
    ree_diag_first_error(d, buf, sizeof buf);
    assert_string_equal(buf, "a.yaml:1:7: error: runs: at most 5000");
    char small[12];
    memset(small, 'x', sizeof small);
    ree_diag_first_error(d, small, sizeof small);
    assert_string_equal(small, "a.yaml:1...");
    char one[1] = {'x'};
    ree_diag_first_error(d, one, sizeof one);
    assert_int_equal(one[0], '\0');
    ree_diag_first_error(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");
    ree_diag_free(d);
    /* a cut never splits a UTF-8 character: "a.yaml:1:7: error: " is 19 bytes, then 2-byte
     * characters (6 bytes): 25 bytes hold the text whole but not with its NUL; 19 + 2 + 3 ("...") +
     * 1 leaves one character, where a plain cut at 24 bytes would split the third */
    d = ree_diag_alloc(0);
    ree_diag_error(d, m1, NULL, "\xc3\xa9\xc3\xa9\xc3\xa9");
    char cut[25];
    ree_diag_first_error(d, cut, sizeof cut);
    assert_string_equal(cut, "a.yaml:1:7: error: \xc3\xa9...");
    ree_diag_free(d);
}

/* Marks without a source, without a line, without a column. */
static void test_partial_marks(void **state)
{
    (void)state;
    ree_source src = src_of("b.yaml", "x: 1\n");
    ree_diag *d = ree_diag_alloc(0);
    ree_mark none = {NULL, 0, 0};
    ree_mark file_only = {&src, 0, 0};
    ree_mark line_only = {&src, 1, 0};
    ree_diag_error(d, none, NULL, "cannot open %s: %s", "x.yaml", "No such file or directory");
    ree_diag_error(d, none, "runs", "missing");
    ree_diag_error(d, file_only, NULL, "empty document");
    ree_diag_error(d, line_only, NULL, "odd line");
    assert_printed(d, "error: cannot open x.yaml: No such file or directory\n"
                      "error: runs: missing\n"
                      "b.yaml: error: empty document\n"
                      "b.yaml:1: error: odd line\n"
                      "x: 1\n");
    ree_diag_free(d);
}

/* A tab before the column is echoed in the caret line, so the caret lines up in a terminal. */
static void test_caret_under_tabs(void **state)
{
    (void)state;
    /* Characters: tab (1), "capacity:" (2..10), tab (11), '1' (12). */
    ree_source src = src_of("t.yaml", "\tcapacity:\t12kt\n");
    ree_diag *d = ree_diag_alloc(0);
    ree_mark m = {&src, 1, 12};
    ree_diag_error(d, m, NULL, "bad");
    assert_printed(d, "t.yaml:1:12: error: bad\n"
                      "\tcapacity:\t12kt\n"
                      "\t         \t^\n");
    ree_diag_free(d);
}

/* Columns count code points: "é" is two bytes but one column. CRLF is not echoed. */
static void test_caret_utf8_and_crlf(void **state)
{
    (void)state;
    ree_source src = src_of("u.yaml", "a: 1\r\nname: Défense x\r\nb: 2\r\n");
    ree_diag *d = ree_diag_alloc(0);
    /* "name: Défense " is 14 characters; 'x' is column 15. */
    ree_mark m = {&src, 2, 15};
    ree_diag_error(d, m, NULL, "bad");
    assert_printed(d, "u.yaml:2:15: error: bad\n"
                      "name: Défense x\n"
                      "              ^\n");
    ree_diag_free(d);
}

/* A column past the end of the line (libyaml points there for "unexpected end") pads. */
static void test_caret_past_end(void **state)
{
    (void)state;
    ree_source src = src_of("p.yaml", "a: [1, 2");
    ree_diag *d = ree_diag_alloc(0);
    ree_mark m = {&src, 1, 9};
    ree_diag_error(d, m, NULL, "unterminated");
    assert_printed(d, "p.yaml:1:9: error: unterminated\n"
                      "a: [1, 2\n"
                      "        ^\n");
    ree_diag_free(d);
}

/* A BOM is not part of the first line as printed. */
static void test_bom_not_printed(void **state)
{
    (void)state;
    ree_source src = src_of("bom.yaml", "\xEF\xBB\xBF"
                                        "runs: x\n");
    ree_diag *d = ree_diag_alloc(0);
    ree_mark m = {&src, 1, 7};
    ree_diag_error(d, m, NULL, "bad");
    assert_printed(d, "bom.yaml:1:7: error: bad\n"
                      "runs: x\n"
                      "      ^\n");
    ree_diag_free(d);
}

/* Past the bound nothing more is stored; the count keeps going and the tail says how many. */
static void test_bound(void **state)
{
    (void)state;
    ree_diag *d = ree_diag_alloc(2);
    ree_mark none = {NULL, 0, 0};
    for (int i = 1; i <= 5; i++)
        ree_diag_error(d, none, NULL, "error %d", i);
    assert_int_equal(ree_diag_count(d), 5);
    assert_printed(d, "error: error 1\n"
                      "error: error 2\n"
                      "3 more errors not shown\n");
    ree_diag_free(d);

    d = ree_diag_alloc(1);
    ree_diag_error(d, none, NULL, "first");
    ree_diag_error(d, none, NULL, "second");
    ree_diag_warning(d, none, NULL, "w1");
    ree_diag_warning(d, none, NULL, "w2");
    ree_diag_warning(d, none, NULL, "w3");
    assert_int_equal(ree_diag_count(d), 2);
    assert_printed(d, "error: first\n"
                      "warning: w1\n"
                      "1 more error not shown\n"
                      "2 more warnings not shown\n");
    ree_diag_free(d);
}

/* The default bound is 50. */
static void test_default_bound(void **state)
{
    (void)state;
    ree_diag *d = ree_diag_alloc(0);
    ree_mark none = {NULL, 0, 0};
    for (int i = 0; i < 51; i++)
        ree_diag_error(d, none, NULL, "e");
    char *out = printed(d);
    assert_non_null(strstr(out, "\n1 more error not shown\n"));
    free(out);
    ree_diag_free(d);
}

/* The collector copies what it needs: the source may be gone before printing. */
static void test_source_freed_before_print(void **state)
{
    (void)state;
    char *name = malloc(16);
    char *text = malloc(32);
    strcpy(name, "gone.yaml");
    strcpy(text, "k: v\nseed: -1\n");
    ree_source src = {name, text, strlen(text)};
    ree_diag *d = ree_diag_alloc(0);
    ree_mark m = {&src, 2, 7};
    ree_diag_error(d, m, "seed", "expected a non-negative integer, found '%s'", "-1");
    free(name);
    free(text);
    assert_printed(d, "gone.yaml:2:7: error: seed: expected a non-negative integer, found '-1'\n"
                      "seed: -1\n"
                      "      ^\n");
    ree_diag_free(d);
}

/* A line number beyond the text prints the header only. */
static void test_line_beyond_text(void **state)
{
    (void)state;
    ree_source src = src_of("s.yaml", "a: 1\n");
    ree_diag *d = ree_diag_alloc(0);
    ree_mark m = {&src, 7, 3};
    ree_diag_error(d, m, NULL, "far");
    assert_printed(d, "s.yaml:7:3: error: far\n");
    ree_diag_free(d);
}

static void assert_mark(ree_mark m, int line, int col)
{
    assert_int_equal(m.line, line);
    assert_int_equal(m.col, col);
}

/* Byte offsets -> 1-based marks, counting as libyaml counts. */
static void test_locate(void **state)
{
    (void)state;
    /* Bytes: "a: 1\n" (0-4), "b: é\xff\n" (5: 'b', 8-9: 'é', 10: 0xFF, 11: '\n'). */
    ree_source s1 = src_of("l", "a: 1\nb: \xC3\xA9\xFF\n");
    assert_mark(ree_source_locate(&s1, 0), 1, 1);
    assert_mark(ree_source_locate(&s1, 3), 1, 4);
    assert_mark(ree_source_locate(&s1, 5), 2, 1);
    assert_mark(ree_source_locate(&s1, 8), 2, 4);
    assert_mark(ree_source_locate(&s1, 9), 2, 4); /* inside 'é': its own column */
    assert_mark(ree_source_locate(&s1, 10), 2, 5);
    assert_mark(ree_source_locate(&s1, 1000), 3, 1); /* clamped to the end */

    /* BOM + CRLF: the BOM takes no column; CRLF is one break. */
    ree_source s2 = src_of("l", "\xEF\xBB\xBFx: 1\r\ny: 2\r\n");
    assert_mark(ree_source_locate(&s2, 3), 1, 1);
    assert_mark(ree_source_locate(&s2, 4), 1, 2);
    assert_mark(ree_source_locate(&s2, 9), 2, 1);
    assert_mark(ree_source_locate(&s2, 12), 2, 4);

    /* A lone CR and NEL (U+0085) are breaks too. */
    ree_source s3 = src_of("l", "a\rb\xC2\x85"
                                "c");
    assert_mark(ree_source_locate(&s3, 2), 2, 1);
    assert_mark(ree_source_locate(&s3, 5), 3, 1);
}

static void test_free_null(void **state)
{
    (void)state;
    ree_diag_free(NULL);
    assert_int_equal(ree_diag_count(NULL), 0);
}

/* ---- long lines: a window of 120 characters around the caret --------------------------------- */

/* A line of n characters: a repeating "0123456789" pattern, so any window is recognisable. */
static char *digits(size_t n)
{
    char *s = malloc(n + 2);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('0' + i % 10);
    s[n] = '\n';
    s[n + 1] = '\0';
    return s;
}

/* What ree_diag_print should give for an error at column `col` of one long line whose window
 * is bytes [from, to) of `line`, cut on the left and/or right, with `pad` characters before
 * the caret in the caret line (tabs given as they are in `caret_prefix`, or NULL for spaces). */
static char *expected(const char *file, int col, const char *line, size_t from, size_t to, int left,
                      int right, const char *caret_prefix, size_t pad)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fprintf(f, "%s:1:%d: error: bad\n%s%.*s%s\n", file, col, left ? "..." : "", (int)(to - from),
            line + from, right ? "..." : "");
    fputs(left ? "   " : "", f);
    if (caret_prefix)
        fputs(caret_prefix, f);
    else
        for (size_t i = 0; i < pad; i++)
            fputc(' ', f);
    fputs("^\n", f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void check_window(const char *text, int col, const char *want)
{
    ree_source src = src_of("long.yaml", text);
    ree_diag *d = ree_diag_alloc(0);
    ree_mark m = {&src, 1, col};
    ree_diag_error(d, m, NULL, "bad");
    char *got = printed(d);
    assert_string_equal(got, want);
    assert_true(strlen(got) < 400);
    free(got);
    ree_diag_free(d);
}

/* An error near the start of a 1 MB line: the first 120 characters, "..." on the right. */
static void test_long_line_error_near_start(void **state)
{
    (void)state;
    char *line = digits(1000000);
    char *want = expected("long.yaml", 5, line, 0, 120, 0, 1, NULL, 4);
    check_window(line, 5, want);
    free(want);
    free(line);
}

/* In the middle: 40 characters before the caret, 80 from it, "..." on both sides. */
static void test_long_line_error_in_middle(void **state)
{
    (void)state;
    char *line = digits(1000000);
    char *want = expected("long.yaml", 500001, line, 499960, 500080, 1, 1, NULL, 40);
    check_window(line, 500001, want);
    free(want);
    free(line);
}

/* At the last character, and just past the end: the last 120 characters, "..." on the left. */
static void test_long_line_error_at_end(void **state)
{
    (void)state;
    char *line = digits(1000000);
    char *want = expected("long.yaml", 1000000, line, 999880, 1000000, 1, 0, NULL, 119);
    check_window(line, 1000000, want);
    free(want);
    want = expected("long.yaml", 1000001, line, 999880, 1000000, 1, 0, NULL, 120);
    check_window(line, 1000001, want);
    free(want);
    free(line);
}

/* Exactly 120 characters is not cut; 121 is. */
static void test_window_edge(void **state)
{
    (void)state;
    char *line = digits(120);
    char *want = expected("long.yaml", 120, line, 0, 120, 0, 0, NULL, 119);
    check_window(line, 120, want);
    free(want);
    free(line);
    line = digits(121);
    want = expected("long.yaml", 1, line, 0, 120, 0, 1, NULL, 0);
    check_window(line, 1, want);
    free(want);
    free(line);
}

/* Columns and the window count characters: a line of 300 "é" (2 bytes each) cut around column
 * 200 shows 120 whole "é" (240 bytes, never half a sequence) and the caret 40 columns in. */
static void test_long_line_utf8(void **state)
{
    (void)state;
    char line[604];
    for (int i = 0; i < 300; i++)
        memcpy(line + 2 * i, "\xc3\xa9", 2);
    line[600] = '\0';
    char *want = expected("long.yaml", 200, line, 2 * 159, 2 * 279, 1, 1, NULL, 40);
    check_window(line, 200, want);
    free(want);
}

/* Tabs inside the window stay tabs in the caret line, so the caret still lines up. */
static void test_long_line_tabs(void **state)
{
    (void)state;
    char line[402], prefix[41];
    for (int i = 0; i < 200; i++)
        memcpy(line + 2 * i, "a\t", 2);
    line[400] = '\0';
    /* Column 301: window from character 260 ('a'), caret after 40 characters "a\t" x 20. */
    for (int i = 0; i < 20; i++)
        memcpy(prefix + 2 * i, " \t", 2);
    prefix[40] = '\0';
    char *want = expected("long.yaml", 301, line, 260, 380, 1, 1, prefix, 0);
    check_window(line, 301, want);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_with_path_and_caret),
        cmocka_unit_test(test_no_path_and_warning),
        cmocka_unit_test(test_first_error),
        cmocka_unit_test(test_control_bytes_escaped),
        cmocka_unit_test(test_c1_controls_escaped),
        cmocka_unit_test(test_snippet_c1),
        cmocka_unit_test(test_partial_marks),
        cmocka_unit_test(test_caret_under_tabs),
        cmocka_unit_test(test_caret_utf8_and_crlf),
        cmocka_unit_test(test_caret_past_end),
        cmocka_unit_test(test_bom_not_printed),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_default_bound),
        cmocka_unit_test(test_source_freed_before_print),
        cmocka_unit_test(test_line_beyond_text),
        cmocka_unit_test(test_locate),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_long_line_error_near_start),
        cmocka_unit_test(test_long_line_error_in_middle),
        cmocka_unit_test(test_long_line_error_at_end),
        cmocka_unit_test(test_window_edge),
        cmocka_unit_test(test_long_line_utf8),
        cmocka_unit_test(test_long_line_tabs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
