/* Tests for engine/scenario/ytree.c: tree shape and marks, the rejections with their golden messages,
 * the expansion and depth bounds, and the strict scalar conversions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reesim/reesim.h"
#include "ytree.h"

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

/* Load `text` as "s.yaml"; expects success and no diagnostics. */
static ree_ytree *load_ok(const char *text)
{
    ree_diag *d = ree_diag_alloc(0);
    ree_status st = -1;
    ree_ytree *t = ree_ytree_load_buffer("s.yaml", text, strlen(text), d, &st);
    if (!t) {
        char *out = printed(d);
        fprintf(stderr, "unexpected failure:\n%s", out);
        free(out);
    }
    assert_non_null(t);
    assert_int_equal(st, REE_OK);
    assert_int_equal(ree_diag_count(d), 0);
    ree_diag_free(d);
    return t;
}

/* Load `len` bytes expecting failure with status REE_EINVALID and exactly the output `want`. */
static void load_fails_n(const char *text, size_t len, const char *want)
{
    ree_diag *d = ree_diag_alloc(0);
    ree_status st = -1;
    ree_ytree *t = ree_ytree_load_buffer("s.yaml", text, len, d, &st);
    assert_null(t);
    assert_int_equal(st, REE_EINVALID);
    char *out = printed(d);
    assert_string_equal(out, want);
    free(out);
    ree_diag_free(d);
}

static void load_fails(const char *text, const char *want)
{
    load_fails_n(text, strlen(text), want);
}

static void assert_scalar(const ree_ynode *n, const char *text, int quoted)
{
    assert_non_null(n);
    assert_int_equal(n->kind, REE_Y_SCALAR);
    assert_string_equal(n->str, text);
    assert_int_equal(n->len, strlen(text));
    assert_int_equal(n->quoted, quoted);
}

static void assert_at(const ree_ynode *n, int line, int col)
{
    assert_int_equal(n->mark.line, line);
    assert_int_equal(n->mark.col, col);
}

/* ---- shape and marks ---- */

static const char block_doc[] = "# licensing scenario\n"
                                "name: licensing-april-2025\n"
                                "horizon:\n"
                                "  start: 2025-01\n"
                                "  steps: 24\n"
                                "materials:\n"
                                "  - id: ndfeb\n"
                                "    unit: 't'\n"
                                "  - id: dytb_oxide\n"
                                "    unit: \"t\"\n"
                                "note: ~\n";

static void test_block_style(void **state)
{
    (void)state;
    ree_ytree *t = load_ok(block_doc);
    const ree_ynode *root = ree_ytree_root(t);
    assert_int_equal(root->kind, REE_Y_MAP);
    assert_int_equal(root->n, 4);
    assert_string_equal(root->pairs[0].key->str, "name");
    assert_string_equal(root->pairs[3].key->str, "note");
    assert_at(root->pairs[0].key, 2, 1);

    const ree_ynode *h = ree_ymap_get(root, "horizon");
    assert_int_equal(h->kind, REE_Y_MAP);
    assert_at(h, 4, 3);
    const ree_ynode *start = ree_ymap_get(h, "start");
    assert_scalar(start, "2025-01", 0);
    assert_at(start, 4, 10);
    assert_scalar(ree_ymap_get(h, "steps"), "24", 0);

    const ree_ynode *mats = ree_ymap_get(root, "materials");
    assert_int_equal(mats->kind, REE_Y_SEQ);
    assert_int_equal(mats->n, 2);
    assert_at(mats->items[1], 9, 5);
    assert_scalar(ree_ymap_get(mats->items[0], "unit"), "t", 1);
    assert_scalar(ree_ymap_get(mats->items[1], "unit"), "t", 1);
    assert_scalar(ree_ymap_get(mats->items[1], "id"), "dytb_oxide", 0);

    assert_true(ree_ynode_is_null(ree_ymap_get(root, "note")));
    assert_false(ree_ynode_is_null(ree_ymap_get(mats->items[0], "unit")));
    assert_null(ree_ymap_get(root, "missing"));
    assert_null(ree_ymap_get(mats, "id")); /* not a mapping */

    const ree_source *src = ree_ytree_source(t);
    assert_string_equal(src->name, "s.yaml");
    assert_int_equal(src->len, strlen(block_doc));
    assert_ptr_equal(start->mark.src, src);
    ree_ytree_free(t);
}

/* The same content in flow style gives the same tree. */
static void test_flow_style(void **state)
{
    (void)state;
    ree_ytree *t = load_ok("{name: licensing-april-2025, horizon: {start: 2025-01, steps: 24},\n"
                           " materials: [{id: ndfeb, unit: 't'}, {id: dytb_oxide, unit: \"t\"}],"
                           " note: ~}\n");
    const ree_ynode *root = ree_ytree_root(t);
    assert_int_equal(root->n, 4);
    assert_scalar(ree_ymap_get(ree_ymap_get(root, "horizon"), "steps"), "24", 0);
    const ree_ynode *mats = ree_ymap_get(root, "materials");
    assert_int_equal(mats->n, 2);
    assert_scalar(ree_ymap_get(mats->items[1], "unit"), "t", 1);
    /* " materials" on line 2: the key starts in column 2. */
    assert_at(root->pairs[2].key, 2, 2);
    ree_ytree_free(t);
}

/* Anchors and aliases share nodes; merge keys copy pairs, explicit keys win. */
static void test_anchors_and_merge(void **state)
{
    (void)state;
    ree_ytree *t = load_ok("defaults: &gate {review_days: 63, approval: 0.1, quota: ~}\n"
                           "strict: &strict {approval: 0.05, deny_end_use: [defense]}\n"
                           "gates:\n"
                           "  - id: cn_export\n"
                           "    <<: *gate\n"
                           "    approval: 0.25\n"
                           "  - id: cn_tech\n"
                           "    <<: [*strict, *gate]\n"
                           "  - *gate\n");
    const ree_ynode *root = ree_ytree_root(t);
    const ree_ynode *defaults = ree_ymap_get(root, "defaults");
    const ree_ynode *gates = ree_ymap_get(root, "gates");
    assert_int_equal(gates->n, 3);

    /* cn_export: id, then the merged review_days and quota (approval is set explicitly and
     * wins), then approval, in document order. */
    const ree_ynode *g0 = gates->items[0];
    assert_int_equal(g0->n, 4);
    assert_string_equal(g0->pairs[0].key->str, "id");
    assert_string_equal(g0->pairs[1].key->str, "review_days");
    assert_string_equal(g0->pairs[2].key->str, "quota");
    assert_string_equal(g0->pairs[3].key->str, "approval");
    assert_scalar(ree_ymap_get(g0, "approval"), "0.25", 0);
    /* A merged value is the node of the anchored mapping, with its mark on line 1. */
    assert_ptr_equal(ree_ymap_get(g0, "review_days"), ree_ymap_get(defaults, "review_days"));
    assert_int_equal(g0->pairs[1].key->mark.line, 1);

    /* cn_tech: *strict is merged before *gate, so its approval 0.05 wins over 0.1. */
    const ree_ynode *g1 = gates->items[1];
    assert_int_equal(g1->n, 5); /* id, approval, deny_end_use, review_days, quota */
    assert_scalar(ree_ymap_get(g1, "approval"), "0.05", 0);
    assert_scalar(ree_ymap_get(g1, "review_days"), "63", 0);
    assert_int_equal(ree_ymap_get(g1, "deny_end_use")->kind, REE_Y_SEQ);
    assert_null(ree_ymap_get(g1, "<<"));

    /* A plain alias is the anchored node itself. */
    assert_ptr_equal(gates->items[2], defaults);
    ree_ytree_free(t);
}

/* A quoted "<<" is an ordinary key. */
static void test_quoted_merge_key_is_plain_key(void **state)
{
    (void)state;
    ree_ytree *t = load_ok("a: &a {x: 1}\nb: {'<<': *a}\n");
    const ree_ynode *b = ree_ymap_get(ree_ytree_root(t), "b");
    assert_int_equal(b->n, 1);
    assert_int_equal(ree_ymap_get(b, "<<")->kind, REE_Y_MAP);
    ree_ytree_free(t);
}

/* A UTF-8 BOM and CRLF line endings, read from a file: marks as if neither were there. */
static void test_crlf_bom_file(void **state)
{
    (void)state;
    char path[] = "/tmp/reesim_test_ytree_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "\xEF\xBB\xBF"
                        "runs: 10000\r\n"
                        "seed: 20250404\r\n"
                        "horizon:\r\n"
                        "  start: 2025-01\r\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);

    ree_diag *d = ree_diag_alloc(0);
    ree_status st = -1;
    ree_ytree *t = ree_ytree_load(path, d, &st);
    assert_non_null(t);
    assert_int_equal(st, REE_OK);
    const ree_ynode *root = ree_ytree_root(t);
    assert_at(root->pairs[0].key, 1, 1); /* the BOM takes no column */
    assert_scalar(ree_ymap_get(root, "seed"), "20250404", 0);
    const ree_ynode *start = ree_ymap_get(ree_ymap_get(root, "horizon"), "start");
    assert_scalar(start, "2025-01", 0); /* no stray CR */
    assert_at(start, 4, 10);
    assert_string_equal(ree_ytree_source(t)->name, path);
    ree_ytree_free(t);
    ree_diag_free(d);
    unlink(path);
}

/* A duplicate key in a BOM + CRLF text: the mark and the echoed line are clean. */
static void test_crlf_bom_duplicate(void **state)
{
    (void)state;
    load_fails("\xEF\xBB\xBF"
               "runs: 10000\r\n"
               "runs: 500\r\n",
               "s.yaml:2:1: error: duplicate key 'runs' (first at line 1)\n"
               "runs: 500\n"
               "^\n");
}

static void test_missing_file(void **state)
{
    (void)state;
    ree_diag *d = ree_diag_alloc(0);
    ree_status st = -1;
    assert_null(ree_ytree_load("/nonexistent/reesim/x.yaml", d, &st));
    assert_int_equal(st, REE_ENOINPUT);
    char *out = printed(d);
    assert_string_equal(
        out, "error: cannot open /nonexistent/reesim/x.yaml: No such file or directory\n");
    free(out);
    ree_diag_free(d);
}

/* ---- rejections ---- */

/* Duplicate keys, reported at the second key, all of them, in document order. */
static void test_duplicate_keys(void **state)
{
    (void)state;
    load_fails("nodes:\n"
               "  - id: cn_magnets\n"
               "    model: processor\n"
               "    model: source\n"
               "runs: 100\n"
               "seed: 1\n"
               "runs: 200\n",
               "s.yaml:4:5: error: duplicate key 'model' (first at line 3)\n"
               "    model: source\n"
               "    ^\n"
               "s.yaml:7:1: error: duplicate key 'runs' (first at line 5)\n"
               "runs: 200\n"
               "^\n");
    /* In flow style too. */
    load_fails("{a: 1, b: 2, a: 3}\n", "s.yaml:1:14: error: duplicate key 'a' (first at line 1)\n"
                                       "{a: 1, b: 2, a: 3}\n"
                                       "             ^\n");
}

static void test_non_scalar_key(void **state)
{
    (void)state;
    load_fails("? [ndfeb, smco]\n: 12\n",
               "s.yaml:1:3: error: mapping keys must be scalars, found a "
               "sequence\n"
               "? [ndfeb, smco]\n"
               "  ^\n");
}

static void test_two_documents(void **state)
{
    (void)state;
    load_fails("runs: 100\n---\nruns: 200\n",
               "s.yaml:2:1: error: more than one document (a scenario file holds exactly one)\n"
               "---\n"
               "^\n");
}

static void test_empty_document(void **state)
{
    (void)state;
    load_fails("", "s.yaml:1:1: error: empty document: a scenario starts with 'reesim: 1'\n\n^\n");
    load_fails("# nothing but a comment\n\n",
               "s.yaml:1:1: error: empty document: a scenario starts with 'reesim: 1'\n"
               "# nothing but a comment\n^\n");
    load_fails("---\n...\n",
               "s.yaml:1:1: error: empty document: a scenario starts with 'reesim: 1'\n---\n^\n");
}

/* A reader error (bad UTF-8) carries only a byte offset; the mark is computed from the bytes.
 * Line 3 is "name: Dé" + 0xFF + "fense": 'n'=1 ... 'D'=7, 'é'=8, 0xFF=9. */
static void test_reader_error_position(void **state)
{
    (void)state;
    load_fails("runs: 100\n"
               "seed: 7\n"
               "name: D\xC3\xA9\xFF"
               "fense\n",
               "s.yaml:3:9: error: invalid leading UTF-8 octet (byte 0xFF)\n"
               "name: D\xC3\xA9\xFF"
               "fense\n"
               "        ^\n");
}

/* A scanner error: libyaml's problem mark, with its context. */
static void test_scanner_error(void **state)
{
    (void)state;
    load_fails("a: 1\n\tb: 2\n",
               "s.yaml:2:1: error: found a tab character that violates indentation (while "
               "scanning a plain scalar at line 1, column 4)\n"
               "\tb: 2\n"
               "^\n");
    load_fails("a: [1, 2\nb: 3\n",
               "s.yaml:2:2: error: did not find expected ',' or ']' (while parsing a flow "
               "sequence at line 1, column 4)\n"
               "b: 3\n"
               " ^\n");
}

/* The billion laughs: 9 levels of 9 aliases would be 10^9 nodes. The expansion is stopped at
 * the first alias that takes the count past the bound. Expanded sizes: a = 10 (the list and 9
 * scalars), b = 1 + 9*10 = 91, c = 820, d = 7,381, e = 66,430, f = 597,871; with the keys and
 * lists about 672,600 nodes are counted before line 7, so the first *f (column 8) passes
 * 1,000,000. */
static void test_billion_laughs(void **state)
{
    (void)state;
    load_fails("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
               "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
               "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
               "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
               "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
               "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
               "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n",
               "s.yaml:7:8: error: alias expansion exceeds 1000000 nodes\n"
               "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
               "       ^\n");
}

/* Moderate sharing is fine: 3 levels of 9 aliases is about 1,000 expanded nodes. */
static void test_moderate_aliasing(void **state)
{
    (void)state;
    ree_ytree *t = load_ok("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                           "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                           "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n");
    const ree_ynode *c = ree_ymap_get(ree_ytree_root(t), "c");
    assert_int_equal(c->n, 9);
    assert_ptr_equal(c->items[8]->items[8], ree_ymap_get(ree_ytree_root(t), "a"));
    ree_ytree_free(t);
}

/* Depth: 64 levels are fine (63 sequences and a scalar), 65 are not. */
static void test_depth_bound(void **state)
{
    (void)state;
    char buf[256];
    memset(buf, '[', 63);
    buf[63] = 'x';
    memset(buf + 64, ']', 63);
    buf[127] = '\0';
    ree_ytree *t = load_ok(buf);
    ree_ytree_free(t);

    memset(buf, '[', 64);
    buf[64] = 'x';
    memset(buf + 65, ']', 64);
    buf[129] = '\0';
    ree_diag *d = ree_diag_alloc(0);
    ree_status st = -1;
    assert_null(ree_ytree_load_buffer("s.yaml", buf, strlen(buf), d, &st));
    assert_int_equal(st, REE_EINVALID);
    char *out = printed(d);
    assert_non_null(strstr(out, "s.yaml:1:65: error: nesting deeper than 64 levels\n"));
    free(out);
    ree_diag_free(d);

    /* Through an alias: a 40-deep anchored list placed 30 deep. */
    char doc[512];
    size_t n = 0;
    n += (size_t)sprintf(doc + n, "a: &deep ");
    for (int i = 0; i < 40; i++)
        doc[n++] = '[';
    doc[n++] = '1';
    for (int i = 0; i < 40; i++)
        doc[n++] = ']';
    n += (size_t)sprintf(doc + n, "\nb: ");
    for (int i = 0; i < 30; i++)
        doc[n++] = '[';
    n += (size_t)sprintf(doc + n, "*deep");
    for (int i = 0; i < 30; i++)
        doc[n++] = ']';
    doc[n++] = '\n';
    doc[n] = '\0';
    d = ree_diag_alloc(0);
    assert_null(ree_ytree_load_buffer("s.yaml", doc, n, d, &st));
    out = printed(d);
    assert_non_null(strstr(out, "s.yaml:2:34: error: nesting deeper than 64 levels\n"));
    free(out);
    ree_diag_free(d);
}

static void test_alias_errors(void **state)
{
    (void)state;
    load_fails("a: *nowhere\n", "s.yaml:1:4: error: undefined alias 'nowhere'\n"
                                "a: *nowhere\n"
                                "   ^\n");
    load_fails("a: &loop [1, *loop]\n",
               "s.yaml:1:14: error: alias 'loop' refers to a node that contains it\n"
               "a: &loop [1, *loop]\n"
               "             ^\n");
    load_fails("a: 1\nb: {<<: 5}\n",
               "s.yaml:2:9: error: merge key '<<' expects a mapping or a list of mappings, found "
               "a scalar\n"
               "b: {<<: 5}\n"
               "        ^\n");
}

static void test_tags_rejected(void **state)
{
    (void)state;
    load_fails("runs: !!str 100\n", "s.yaml:1:7: error: tags are not allowed (found '!!str')\n"
                                    "runs: !!str 100\n"
                                    "      ^\n");
}

/* ---- scalar conversions ---- */

/* One scalar from a one-key document `v: TEXT`. */
typedef struct one {
    ree_ytree *t;
    const ree_ynode *v;
} one;

static one value_of(const char *yaml_value)
{
    char doc[256];
    snprintf(doc, sizeof doc, "v: %s\n", yaml_value);
    one o;
    o.t = load_ok(doc);
    o.v = ree_ymap_get(ree_ytree_root(o.t), "v");
    return o;
}

static void double_ok(const char *text, double want)
{
    one o = value_of(text);
    double x = -12345.0;
    char why[128] = "";
    assert_int_equal(ree_yscalar_double(o.v, &x, why, sizeof why), 0);
    assert_true(x == want);
    ree_ytree_free(o.t);
}

static void double_bad(const char *text, const char *want_why)
{
    one o = value_of(text);
    double x = 2.385;
    char why[128] = "";
    assert_int_equal(ree_yscalar_double(o.v, &x, why, sizeof why), -1);
    assert_string_equal(why, want_why);
    assert_true(x == 2.385); /* unchanged */
    ree_ytree_free(o.t);
}

static void test_double(void **state)
{
    (void)state;
    double_ok("17500", 17500.0);
    double_ok("2.385", 2.385);
    double_ok("-0.25", -0.25);
    double_ok("+1.5e3", 1500.0);
    double_ok(".5", 0.5);
    double_ok("5.", 5.0);
    double_ok("1E-3", 1e-3);
    double_ok("0", 0.0);
    double_ok("0.000e-400", 0.0); /* an exact zero, not an underflow */
    double_ok("1e-300", 1e-300);

    double_bad("12kt", "expected a number, found '12kt'");
    double_bad("nan", "expected a number, found 'nan'");
    double_bad("inf", "expected a number, found 'inf'");
    double_bad("-inf", "expected a number, found '-inf'");
    double_bad(".inf", "expected a number, found '.inf'");
    double_bad(".nan", "expected a number, found '.nan'");
    double_bad("0x10", "expected a number, found '0x10'");
    double_bad("1e", "expected a number, found '1e'");
    double_bad("1_000", "expected a number, found '1_000'");
    double_bad("~", "expected a number, found '~'");
    double_bad("'17500'", "expected a number, found a quoted string");
    double_bad("\"2.5\"", "expected a number, found a quoted string");
    double_bad("\" 2.5\"", "expected a number, found a quoted string");
    double_bad("{a: 1}", "expected a number, found a mapping");
    double_bad("[1, 2]", "expected a number, found a sequence");
    double_bad("", "expected a number, found an empty value");
    double_bad("1e400", "number '1e400' is out of range");
    double_bad("-1e400", "number '-1e400' is out of range");
    double_bad("1e-400", "number '1e-400' is too close to zero to be represented");
    double_bad("1e-310", "number '1e-310' is too close to zero to be represented");
}

/* Leading and trailing spaces can only reach a scalar through a block scalar. */
static void test_double_spaces(void **state)
{
    (void)state;
    double_bad("|\n   2.5\n", "expected a number, found '2.5\n'");
    double_bad("|-\n   2.5  \n", "expected a number, found '2.5  '");
    double_bad("|2-\n     2.5\n", "expected a number, found '   2.5'");
    char why[64];
    double x;
    assert_int_equal(ree_yscalar_double(NULL, &x, why, sizeof why), -1);
    assert_string_equal(why, "expected a number, found nothing");
    /* A short buffer truncates the reason but keeps it a string. */
    one o = value_of("12kt");
    assert_int_equal(ree_yscalar_double(o.v, &x, why, 9), -1);
    assert_string_equal(why, "expected");
    ree_ytree_free(o.t);
}

static void int_ok(const char *text, long long want)
{
    one o = value_of(text);
    long long x = -1;
    char why[128] = "";
    assert_int_equal(ree_yscalar_int(o.v, &x, why, sizeof why), 0);
    assert_true(x == want);
    ree_ytree_free(o.t);
}

static void int_bad(const char *text, const char *want_why)
{
    one o = value_of(text);
    long long x = 42;
    char why[128] = "";
    assert_int_equal(ree_yscalar_int(o.v, &x, why, sizeof why), -1);
    assert_string_equal(why, want_why);
    assert_true(x == 42);
    ree_ytree_free(o.t);
}

static void test_int(void **state)
{
    (void)state;
    int_ok("10000", 10000);
    int_ok("20250404", 20250404);
    int_ok("-3", -3);
    int_ok("+7", 7);
    int_ok("007", 7);
    int_ok("9223372036854775807", INT64_MAX);
    int_ok("-9223372036854775808", INT64_MIN);
    int_bad("9223372036854775808", "integer '9223372036854775808' is out of range");
    int_bad("1.5", "expected an integer, found '1.5'");
    int_bad("1e3", "expected an integer, found '1e3'");
    int_bad("0x10", "expected an integer, found '0x10'");
    int_bad("10k", "expected an integer, found '10k'");
    int_bad("+", "expected an integer, found '+'");
    int_bad("-x", "expected an integer, found '-x'");
    int_bad("'10'", "expected an integer, found a quoted string");
    int_bad("[10]", "expected an integer, found a sequence");
    int_bad("", "expected an integer, found an empty value");
}

static void test_bool(void **state)
{
    (void)state;
    const char *yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    const char *no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    char why[128];
    for (size_t i = 0; i < 9; i++) {
        int b = -1;
        one o = value_of(yes[i]);
        assert_int_equal(ree_yscalar_bool(o.v, &b, why, sizeof why), 0);
        assert_int_equal(b, 1);
        ree_ytree_free(o.t);
        o = value_of(no[i]);
        assert_int_equal(ree_yscalar_bool(o.v, &b, why, sizeof why), 0);
        assert_int_equal(b, 0);
        ree_ytree_free(o.t);
    }
    const char *bad[][2] = {
        {"tRUE", "expected true or false, found 'tRUE'"},
        {"1", "expected true or false, found '1'"},
        {"y", "expected true or false, found 'y'"},
        {"'true'", "expected true or false, found a quoted string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int b = 7;
        one o = value_of(bad[i][0]);
        assert_int_equal(ree_yscalar_bool(o.v, &b, why, sizeof why), -1);
        assert_string_equal(why, bad[i][1]);
        assert_int_equal(b, 7);
        ree_ytree_free(o.t);
    }
}

static void test_month(void **state)
{
    (void)state;
    char why[128];
    int m = -1;
    /* 2025-04 is April 2025: 2025 * 12 + 3 = 24303. */
    one o = value_of("2025-04");
    assert_int_equal(ree_yscalar_month(o.v, &m, why, sizeof why), 0);
    assert_int_equal(m, 24303);
    ree_ytree_free(o.t);
    o = value_of("'2025-10'"); /* quoted months are text either way */
    assert_int_equal(ree_yscalar_month(o.v, &m, why, sizeof why), 0);
    assert_int_equal(m, 2025 * 12 + 9);
    ree_ytree_free(o.t);
    o = value_of("1900-01");
    assert_int_equal(ree_yscalar_month(o.v, &m, why, sizeof why), 0);
    assert_int_equal(m, 22800);
    ree_ytree_free(o.t);

    const char *bad[][2] = {
        {"2025-4", "expected a month YYYY-MM, found '2025-4'"},
        {"2025-04-01", "expected a month YYYY-MM, found '2025-04-01'"},
        {"25-04", "expected a month YYYY-MM, found '25-04'"},
        {"2025/04", "expected a month YYYY-MM, found '2025/04'"},
        {"2025-13", "month '2025-13' has no month 13 (months are 01 to 12)"},
        {"2025-00", "month '2025-00' has no month 0 (months are 01 to 12)"},
        {"1899-12", "month '1899-12' is before 1900"},
        {"202504", "expected a month YYYY-MM, found '202504'"},
        {"{y: 2025}", "expected a month YYYY-MM, found a mapping"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = 5;
        o = value_of(bad[i][0]);
        assert_int_equal(ree_yscalar_month(o.v, &m, why, sizeof why), -1);
        assert_string_equal(why, bad[i][1]);
        assert_int_equal(m, 5);
        ree_ytree_free(o.t);
    }
}

static void test_is_null_and_names(void **state)
{
    (void)state;
    ree_ytree *t = load_ok("- ~\n- null\n- Null\n- NULL\n-\n- 'null'\n- nul\n- \"\"\n");
    const ree_ynode *s = ree_ytree_root(t);
    assert_int_equal(s->n, 8);
    for (size_t i = 0; i < 5; i++)
        assert_true(ree_ynode_is_null(s->items[i]));
    for (size_t i = 5; i < 8; i++)
        assert_false(ree_ynode_is_null(s->items[i]));
    assert_false(ree_ynode_is_null(s));
    assert_false(ree_ynode_is_null(NULL));
    assert_string_equal(ree_ykind_name(REE_Y_SCALAR), "scalar");
    assert_string_equal(ree_ykind_name(REE_Y_SEQ), "sequence");
    assert_string_equal(ree_ykind_name(REE_Y_MAP), "mapping");
    ree_ytree_free(t);
    ree_ytree_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_style),
        cmocka_unit_test(test_flow_style),
        cmocka_unit_test(test_anchors_and_merge),
        cmocka_unit_test(test_quoted_merge_key_is_plain_key),
        cmocka_unit_test(test_crlf_bom_file),
        cmocka_unit_test(test_crlf_bom_duplicate),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_non_scalar_key),
        cmocka_unit_test(test_two_documents),
        cmocka_unit_test(test_empty_document),
        cmocka_unit_test(test_reader_error_position),
        cmocka_unit_test(test_scanner_error),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_moderate_aliasing),
        cmocka_unit_test(test_depth_bound),
        cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_tags_rejected),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_double_spaces),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_month),
        cmocka_unit_test(test_is_null_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
