/* The sketch state after block merges, point for point and bit for bit, against a reference model
 * written from the documented rules (stats.h, stats.c): level 0 merged eagerly at every block,
 * existing points first on ties; compaction of the fullest level (ties: the lowest), pairs (0,1),
 * (2,3), ... keeping the first or the second alternately per level, kept points merged into the
 * next level after its own points on ties, an odd last point staying. stats.c keeps level 0 as
 * appended blocks and sorts it only when it compacts it or is queried; the sort is stable, so the
 * points of every level, in order, -0.0 and 0.0 included, must be the model's. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sort.h"
#include "stats.h"

enum { NLEV = 64 };

typedef struct model {
    double *lv[NLEV]; /* each level's points, in order */
    size_t cnt[NLEV];
    unsigned nlev;
    uint64_t parity;
    size_t npts, limit;
} model;

static void model_init(model *m, size_t k)
{
    memset(m, 0, sizeof *m);
    m->limit = 2 * k;
    for (int l = 0; l < NLEV; l++) {
        m->lv[l] = malloc((2 * k + REE_BLOCK_MAX) * sizeof(double));
        assert_non_null(m->lv[l]);
    }
}

static void model_free(model *m)
{
    for (int l = 0; l < NLEV; l++)
        free(m->lv[l]);
}

/* out = merge of a[0..na) and b[0..nb), a's points first on ties (`<` only moves b forward). */
static void merge(const double *a, size_t na, const double *b, size_t nb, double *out)
{
    size_t i = 0, j = 0, o = 0;
    while (i < na && j < nb)
        out[o++] = b[j] < a[i] ? b[j++] : a[i++];
    while (i < na)
        out[o++] = a[i++];
    while (j < nb)
        out[o++] = b[j++];
}

static void model_compact(model *m)
{
    unsigned level = 0;
    for (unsigned l = 1; l < m->nlev; l++)
        if (m->cnt[l] > m->cnt[level])
            level = l;
    size_t n = m->cnt[level], pairs = n / 2, pick = (size_t)(m->parity >> level & 1u);
    double kept[2 * 1024 + REE_BLOCK_MAX], out[4 * 1024 + REE_BLOCK_MAX];
    for (size_t i = 0; i < pairs; i++)
        kept[i] = m->lv[level][2 * i + pick];
    merge(m->lv[level + 1], m->cnt[level + 1], kept, pairs, out);
    m->cnt[level + 1] += pairs;
    memcpy(m->lv[level + 1], out, m->cnt[level + 1] * sizeof *out);
    if (n % 2)
        m->lv[level][0] = m->lv[level][n - 1];
    m->cnt[level] = n % 2;
    m->parity ^= (uint64_t)1 << level;
    if (level + 2 > m->nlev)
        m->nlev = level + 2;
    m->npts -= pairs;
}

/* Merge a block's sorted column x[0..n) eagerly into level 0, then compact down to the limit. */
static void model_merge_block(model *m, const double *x, size_t n)
{
    double out[2 * 1024 + REE_BLOCK_MAX];
    merge(m->lv[0], m->cnt[0], x, n, out);
    m->cnt[0] += n;
    memcpy(m->lv[0], out, m->cnt[0] * sizeof *out);
    m->npts += n;
    if (m->nlev == 0)
        m->nlev = 1;
    while (m->npts > m->limit)
        model_compact(m);
}

static double uniform(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

enum { NCELL = 8 };

/* Run r's values: continuous, ties, signed zeros (alone and mixed with other values), a point
 * mass for ever, one that breaks while exact and one that breaks after compactions, a mostly-zero
 * cell, values arriving in descending order. */
static void values(int r, uint64_t *seed, double *v)
{
    double u = uniform(seed), w = uniform(seed);
    v[0] = u * 100.0 - 30.0;
    v[1] = (double)(int)(u * 5.0);
    v[2] = u < 0.5 ? -0.0 : 0.0;
    v[3] = u < 0.3 ? -0.0 : u < 0.6 ? 0.0 : (double)(int)(w * 3.0) - 1.0;
    v[4] = 0.0;
    v[5] = r < 500 ? 2.5 : w;
    v[6] = r < 3000 ? -0.0 : (u < 0.9 ? 0.0 : w);
    v[7] = -(double)r + (u < 0.1 ? 0.5 : 0.0);
}

/* The cell's points, highest level first, as ree_acc_weighted_points gives them once level 0 is
 * in order, against the model's; bits compared, so -0.0 and 0.0 are told apart. */
static void assert_cell(const ree_acc *a, size_t cell, const model *m)
{
    size_t n = ree_acc_points(a, cell);
    assert_int_equal(n, m->npts);
    double *x = malloc((n ? n : 1) * sizeof *x), *w = malloc((n ? n : 1) * sizeof *w);
    assert_true(x && w);
    assert_int_equal(ree_acc_weighted_points(a, cell, x, w), n);
    size_t off = 0;
    for (unsigned l = m->nlev; l-- > 0;) {
        for (size_t i = 0; i < m->cnt[l]; i++, off++) {
            assert_true(w[off] == (double)((uint64_t)1 << l));
            assert_memory_equal(&x[off], &m->lv[l][i], sizeof x[off]);
        }
    }
    assert_int_equal(off, n);
    free(x);
    free(w);
}

/* by_cells: merged through ree_acc_merge_block_cells with the caller's buffer, as mc.c merges
 * the series, so that the total has no buffer of its own when it is queried. */
static void check_against_model(size_t k, int nrun, int query_every, int by_cells)
{
    double *tmp = malloc(4 * k * sizeof(double) + REE_BLOCK_MAX * sizeof(double));
    assert_non_null(tmp);
    ree_acc *a = ree_acc_alloc(NCELL, k);
    ree_block *b = ree_block_alloc(NCELL);
    assert_true(a && b);
    model m[NCELL];
    for (int c = 0; c < NCELL; c++)
        model_init(&m[c], k);
    uint64_t seed = 20261130;
    int blocks = 0;
    for (int r = 0; r < nrun; r++) {
        double v[NCELL];
        values(r, &seed, v);
        assert_int_equal(ree_block_add(b, v), 0);
        if ((r + 1) % REE_BLOCK_MAX != 0 && r + 1 != nrun)
            continue;
        /* The block's sorted columns, from its bytes: 3 words, 4 moments per cell, columns. */
        size_t need = ree_block_pack(b, NULL, 0), nb = (size_t)ree_block_runs(b);
        unsigned char *buf = malloc(need);
        assert_non_null(buf);
        assert_int_equal(ree_block_pack(b, buf, need), need);
        const unsigned char *col = buf + 3 * sizeof(uint64_t) + 4 * NCELL * sizeof(double);
        for (int c = 0; c < NCELL; c++) {
            double x[REE_BLOCK_MAX];
            memcpy(x, col + (size_t)c * nb * sizeof(double), nb * sizeof(double));
            model_merge_block(&m[c], x, nb);
        }
        free(buf);
        if (by_cells) {
            ree_block_seal(b);
            assert_int_equal(ree_acc_merge_block_cells(a, b, 0, NCELL, tmp), 0);
        } else {
            assert_int_equal(ree_acc_merge_block(a, b), 0);
        }
        ree_block_reset(b);
        /* Queries sort level 0 in place between merges: the state must not depend on them. */
        if (query_every && ++blocks % query_every == 0)
            (void)ree_acc_quantile(a, (size_t)blocks % NCELL, 0.5);
    }
    /* Otherwise (by_cells) ree_acc_weighted_points sorts level 0 as queries do. Sorted whole,
     * or in two ranges as the output's threads do, with the caller's buffer: the same points. */
    if (!by_cells && query_every == 0) {
        assert_int_equal(ree_acc_sort_points(a), 0);
    } else if (!by_cells) {
        for (size_t i = 0; i < 4 * k + REE_BLOCK_MAX; i++)
            tmp[i] = NAN; /* what the scratch held before does not matter */
        assert_int_equal(ree_acc_sort_points_range(a, 2, 1, tmp), -1); /* not a range */
        assert_int_equal(ree_acc_sort_points_range(a, 0, NCELL + 1, tmp), -1);
        assert_int_equal(ree_acc_sort_points_range(a, NCELL / 2, NCELL, tmp), 0);
        assert_int_equal(ree_acc_sort_points_range(a, 0, NCELL / 2, tmp), 0);
    }
    if (!by_cells) { /* every cell sorted: a query changes no byte (it would sort in place) */
        size_t need = ree_acc_pack_cells(a, 0, NCELL, NULL, 0);
        unsigned char *before = malloc(need), *after = malloc(need);
        assert_true(before && after);
        assert_int_equal(ree_acc_pack_cells(a, 0, NCELL, before, need), need);
        for (int c = 0; c < NCELL; c++)
            (void)ree_acc_quantile(a, (size_t)c, 0.5);
        assert_int_equal(ree_acc_pack_cells(a, 0, NCELL, after, need), need);
        assert_memory_equal(before, after, need);
        free(before);
        free(after);
    }
    for (int c = 0; c < NCELL; c++) {
        assert_cell(a, (size_t)c, &m[c]);
        model_free(&m[c]);
    }
    ree_acc_free(a);
    ree_block_free(b);
    free(tmp);
}

/* k = 32: many compactions of every level; k = 512 (the default): exact for 16 blocks, then
 * compacting; a last partial block; queries between merges or none. */
static void test_blocks_match_eager_model(void **state)
{
    (void)state;
    for (int by_cells = 0; by_cells < 2; by_cells++) {
        ree_sort_set_avx(by_cells ? -1 : 0); /* the plain and the AVX code (where it runs) */
        check_against_model(32, 64 * 40 + 17, 0, by_cells);
        check_against_model(32, 64 * 40 + 17, 3, by_cells);
        check_against_model(512, 64 * 120 + 5, 0, by_cells);
        check_against_model(512, 64 * 120 + 5, 7, by_cells);
        check_against_model(512, 64 * 10, 0, by_cells); /* exact throughout: level 0 only */
    }
    ree_sort_set_avx(-1);
}

/* The stable order: by value, equal values (-0.0 and 0.0 among them) in input order. */
static void stable_sort(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && x[j] < x[j - 1]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
        }
}

/* A value for the sort tests: few distinct values, signed zeros, so that ties are everywhere. */
static double tie_value(uint64_t *seed)
{
    double u = uniform(seed);
    return u < 0.2 ? -0.0 : u < 0.4 ? 0.0 : (double)(int)(u * 8.0) - 3.0 + (u < 0.7 ? 0.0 : u);
}

static void assert_bits(const double *x, const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_memory_equal(&x[i], &y[i], sizeof x[i]);
}

/* x[0..n) as sorted runs of `len` points (0: runs of one point, i.e. random order) of
 * tie_value()s; with `old_top`, x[0] is then 1e9, an old point above the blocks. */
static void fill_runs(double *x, size_t n, size_t len, int old_top, uint64_t *seed)
{
    for (size_t i = 0; i < n;) {
        size_t m = len && n - i > len ? len : n - i;
        if (!len)
            m = 1;
        for (size_t j = 0; j < m; j++)
            x[i + j] = tie_value(seed);
        stable_sort(x + i, m);
        i += m;
    }
    if (old_top && n > 1)
        x[0] = 1e9;
}

/* ree_sort_points (level 0 at compaction and query time) is stable: on input made of sorted runs
 * (blocks appended), of short runs, of more runs than it records (its general path), or random,
 * it gives the stable order bit for bit. */
static void test_sort_points_stable(void **state)
{
    (void)state;
    enum { NMAX = 4 * 512 + REE_BLOCK_MAX };
    static double x[NMAX], want[NMAX], tmp[NMAX];
    static const size_t runlen[] = {64, 1, 5, 17, 300, 0};
    uint64_t seed = 99;
    for (int shape = 0; shape < 6; shape++)
        for (size_t n = 1; n <= NMAX; n = n == 1093 ? NMAX : n * 3 + 1) {
            fill_runs(x, n, runlen[shape], shape == 0, &seed);
            memcpy(want, x, n * sizeof *x);
            stable_sort(want, n);
            ree_sort_points(x, n, tmp, 0);
            assert_bits(x, want, n);
        }
}

/* ree_sort_points_pick (a level 0 that compacts): when it says it picked, kept[i] is the stable
 * order's point 2i + pick for i < n/2 and, n odd, kept[n/2] its last, bit for bit; when it says
 * it did not, x is in the stable order. Sorted runs of blocks, short runs, one run, random. */
static void test_sort_points_pick(void **state)
{
    (void)state;
    enum { NMAX = 4 * 512 + REE_BLOCK_MAX };
    static double x[NMAX], want[NMAX], tmp[NMAX + NMAX / 2 + 1];
    static const size_t runlen[] = {64, 1, 5, 17, 300, NMAX, 0};
    uint64_t seed = 123;
    int picked = 0;
    for (int shape = 0; shape < 7; shape++)
        for (size_t n = 1; n <= NMAX; n = n == 1093 ? NMAX : n * 3 + 1)
            for (size_t pick = 0; pick < 2; pick++) {
                fill_runs(x, n, runlen[shape], shape == 0, &seed);
                memcpy(want, x, n * sizeof *x);
                stable_sort(want, n);
                double *kept = tmp + n;
                if (ree_sort_points_pick(x, n, tmp, pick, kept, 0)) {
                    picked++;
                    for (size_t i = 0; i < n / 2; i++)
                        assert_memory_equal(&kept[i], &want[2 * i + pick], sizeof *kept);
                    if (n % 2)
                        assert_memory_equal(&kept[n / 2], &want[n - 1], sizeof *kept);
                } else {
                    assert_bits(x, want, n);
                }
            }
    assert_true(picked > 40); /* the fused path ran */
}

/* ree_sort_merge_into (kept points into level 1, from the back) is ree_sort_merge_adjacent's
 * merge, tie for tie (-0.0 and 0.0: x's first), for runs of every relative length. */
static void test_sort_merge_into(void **state)
{
    (void)state;
    enum { NMAX = 700 };
    static double x[2 * NMAX], b[NMAX], want[2 * NMAX], tmp[2 * NMAX];
    uint64_t seed = 321;
    for (int rep = 0; rep < 400; rep++) {
        size_t na = (size_t)(uniform(&seed) * (rep % 4 == 0 ? 4 : NMAX));
        size_t nb = (size_t)(uniform(&seed) * (rep % 4 == 1 ? 4 : NMAX));
        for (size_t i = 0; i < na; i++)
            x[i] = tie_value(&seed);
        for (size_t i = 0; i < nb; i++)
            b[i] = tie_value(&seed) + (rep % 4 == 2 ? 20.0 : 0.0); /* rep % 4 == 2: in order */
        stable_sort(x, na);
        stable_sort(b, nb);
        memcpy(want, x, na * sizeof *x);
        memcpy(want + na, b, nb * sizeof *b);
        ree_sort_merge_adjacent(want, na, nb, tmp, 0);
        ree_sort_merge_into(x, na, b, nb);
        assert_bits(x, want, na + nb);
    }
}

/* A value whose ties are copies (no NaN, not both -0.0 and 0.0), of one of 8 kinds: continuous,
 * few distinct, mostly 0.0, mostly -0.0, infinities of both signs, one value only, mostly +inf
 * (ties with the vector merge's padding), huge and tiny magnitudes. */
static double copies_value(int kind, uint64_t *seed)
{
    double u = uniform(seed);
    switch (kind) {
    case 0:
        return u * 200.0 - 100.0;
    case 1:
        return (double)(int)(u * 4.0);
    case 2:
        return u < 0.7 ? 0.0 : u;
    case 3:
        return u < 0.7 ? -0.0 : -u;
    case 4:
        return u < 0.1 ? -INFINITY : u < 0.2 ? INFINITY : u - 0.5;
    case 5:
        return 3.25;
    case 6:
        return u < 0.5 ? INFINITY : u;
    default:
        return u < 0.5 ? 1e-300 * u : 1e300 * (u - 0.75);
    }
}

/* x[0..n) as sorted runs of copies_value()s: runs of 64 after a first run of 0..63 (level 0 of a
 * cell: blocks after an old remainder), runs of random lengths 1..200, or two runs of random
 * lengths (one merge: unequal, short, not multiples of 8). */
static void fill_copies(double *x, size_t n, int kind, int shape, uint64_t *seed)
{
    size_t first = (size_t)(uniform(seed) * (double)n);
    for (size_t i = 0; i < n;) {
        size_t m = shape == 0   ? (i == 0 ? (size_t)(uniform(seed) * 64.0) : 64)
                   : shape == 1 ? 1 + (size_t)(uniform(seed) * 200.0)
                                : (i == 0 ? first : n);
        m = m == 0 ? 1 : m > n - i ? n - i : m;
        for (size_t j = 0; j < m; j++)
            x[i + j] = copies_value(kind, seed);
        stable_sort(x + i, m);
        i += m;
    }
}

/* With `copies` the runs of ree_sort_points and ree_sort_points_pick may be merged by the AVX-512
 * merge (not stable): on values whose ties are copies it must give the bits of the stable scalar
 * merges (copies 0, AVX off), sorted whole and picked, for every kind of value, run shape and
 * length. Where the processor has no AVX-512 both sides are the scalar code. */
static void test_sort_points_vector_merge(void **state)
{
    (void)state;
    enum { NMAX = 4 * 512 + REE_BLOCK_MAX };
    static double x[NMAX], y[NMAX], want[NMAX], tmp[NMAX + NMAX / 2 + 1];
    static double kept[NMAX / 2 + 1], wkept[NMAX / 2 + 1];
    uint64_t seed = 2026;
    int picked = 0;
    for (int rep = 0; rep < 3000; rep++) {
        int kind = rep % 8, shape = rep / 8 % 3;
        size_t n = rep % 5 == 0 ? 17 + (size_t)(uniform(&seed) * 64.0)
                                : 17 + (size_t)(uniform(&seed) * (NMAX - 17));
        fill_copies(x, n, kind, shape, &seed);
        memcpy(y, x, n * sizeof *x);
        memcpy(want, x, n * sizeof *x);
        ree_sort_set_avx(0);
        ree_sort_points(want, n, tmp, 0);
        if (rep < 100) { /* the reference itself, against the plain stable sort */
            double *ref = malloc(n * sizeof *ref);
            assert_non_null(ref);
            memcpy(ref, x, n * sizeof *x);
            stable_sort(ref, n);
            assert_bits(want, ref, n);
            free(ref);
        }
        ree_sort_set_avx(-1);
        ree_sort_points(x, n, tmp, 1);
        assert_bits(x, want, n);
        size_t pick = (size_t)rep / 24 % 2;
        memcpy(x, y, n * sizeof *x);
        ree_sort_set_avx(0);
        int p0 = ree_sort_points_pick(x, n, tmp, pick, wkept, 0);
        if (!p0) /* not picked: the caller picks from the sorted points */
            for (size_t i = 0; i < n / 2; i++)
                wkept[i] = x[2 * i + pick];
        ree_sort_set_avx(-1);
        int p1 = ree_sort_points_pick(y, n, tmp, pick, kept, 1);
        assert_int_equal(p1, p0);
        if (!p1)
            for (size_t i = 0; i < n / 2; i++)
                kept[i] = y[2 * i + pick];
        picked += p1;
        assert_bits(kept, wkept, n / 2);
        if (p1 && n % 2)
            assert_memory_equal(&kept[n / 2], &wkept[n / 2], sizeof *kept);
    }
    assert_true(picked > 1000); /* the fused path ran */
}

/* The AVX-512 merge of two runs (ree_sort_merge_copies; ree_sort_merge_adjacent with copies)
 * against the stable scalar merge, bit for bit: runs of every relative length (short, not
 * multiples of 8), every kind of copies_value(), into a distinct buffer, in place (the second run
 * at the output's na points: merge_adjacent), and with the second run k >= na points into the
 * output as a level-0 compaction lays them out, the point just past it untouched. */
static void test_merge_copies(void **state)
{
    (void)state;
    enum { NMAX = 700 };
    static double a[NMAX], b[NMAX], want[2 * NMAX], x[2 * NMAX], out[3 * NMAX + 1], tmp[NMAX];
    uint64_t seed = 4242;
    int merged = 0;
    for (int rep = 0; rep < 4000; rep++) {
        int kind = rep % 8;
        size_t na = 1 + (size_t)(uniform(&seed) * (rep % 3 == 0 ? 20 : NMAX - 1));
        size_t nb = 1 + (size_t)(uniform(&seed) * (rep % 3 == 1 ? 20 : NMAX - 1));
        for (size_t i = 0; i < na; i++)
            a[i] = copies_value(kind, &seed);
        for (size_t i = 0; i < nb; i++)
            b[i] = copies_value(kind, &seed);
        stable_sort(a, na);
        stable_sort(b, nb);
        memcpy(want, a, na * sizeof *a);
        memcpy(want + na, b, nb * sizeof *b);
        memcpy(x, want, (na + nb) * sizeof *x);
        ree_sort_set_avx(0);
        ree_sort_merge_adjacent(want, na, nb, tmp, 1); /* AVX off: the stable merge */
        ree_sort_set_avx(-1);
        ree_sort_merge_adjacent(x, na, nb, tmp, 1);
        assert_bits(x, want, na + nb);
        if (!ree_sort_avx512())
            continue;
        assert_int_equal(ree_sort_merge_copies(a, na, b, nb, out), 1);
        assert_bits(out, want, na + nb);
        size_t k = na + (size_t)(uniform(&seed) * 4.0);
        memcpy(out + k, b, nb * sizeof *b);
        out[k + nb] = 12345.0;
        assert_int_equal(ree_sort_merge_copies(a, na, out + k, nb, out), 1);
        assert_bits(out, want, na + nb);
        assert_true(out[k + nb] == 12345.0);
        merged++;
    }
    assert_int_equal(ree_sort_merge_copies(a, 0, b, 5, out), 0); /* an empty run: not merged */
    assert_true(merged == 0 || merged == 4000);
}

/* The values of the cells of test_cells_vector_or_scalar, run r: both zeros mixed with other
 * values (scalar merges only), +0.0 and positive values (vector merges), a NaN now and then
 * (scalar only), -0.0 and negative values, and, from run `late` on, a cell that had both zeros
 * that now takes only 0.0 and positive values (still scalar: its points hold -0.0 too), and one
 * of -0.0 and negative values (neg) or of 0.0 and positive values, whose merge has both. */
enum { VCELL = 6 };
static void vector_values(int r, int late, int neg, uint64_t *seed, double *v)
{
    double u = uniform(seed), w = uniform(seed);
    v[0] = u < 0.3 ? -0.0 : u < 0.6 ? 0.0 : (double)(int)(w * 4.0) - 2.0;
    v[1] = u < 0.5 ? 0.0 : (double)(int)(w * 6.0);
    v[2] = r % 97 == 5 ? NAN : (double)(int)(w * 5.0);
    v[3] = u < 0.4 ? -0.0 : -w;
    v[4] = r < late ? (u < 0.5 ? -0.0 : 0.0) : (u < 0.5 ? 0.0 : w);
    v[5] = neg ? (u < 0.5 ? -0.0 : -w) : (u < 0.5 ? 0.0 : w);
}

/* The state of accumulators built by adds, block merges, merges of accumulators and unpacking
 * must be the same bytes whether the vector merges may run (AVX on) or not: a cell whose values
 * include both zeros or a NaN must take the stable merges, and one whose values do not gives the
 * same bits either way. */
static void build_accs(int avx, unsigned char **out, size_t *len)
{
    ree_sort_set_avx(avx);
    uint64_t seed = 77;
    ree_acc *a = ree_acc_alloc(VCELL, 512), *b = ree_acc_alloc(VCELL, 512);
    ree_acc *c = ree_acc_alloc(VCELL, 512);
    ree_block *blk = ree_block_alloc(VCELL);
    assert_true(a && b && c && blk);
    for (int r = 0; r < 3000; r++) { /* a: one value at a time, compacting */
        double v[VCELL];
        vector_values(r, 1500, 1, &seed, v);
        assert_int_equal(ree_acc_add(a, v), 0);
    }
    /* b: 10 blocks, level 0 a row of unsorted runs; through its bytes into c, whose cell 4 then
     * takes only 0.0 and positive values: its first compaction sorts the -0.0 and 0.0 of b's
     * blocks with the new ones, so its flags must have been rebuilt from the points. */
    for (int r = 0; r < 64 * 40; r++) {
        double v[VCELL];
        vector_values(r, 64 * 10, 0, &seed, v);
        assert_int_equal(ree_block_add(blk, v), 0);
        if ((r + 1) % REE_BLOCK_MAX == 0) {
            assert_int_equal(ree_acc_merge_block(r < 64 * 10 ? b : c, blk), 0);
            ree_block_reset(blk);
        }
        if (r + 1 == 64 * 10) {
            size_t need = ree_acc_pack(b, NULL, 0);
            unsigned char *buf = malloc(need);
            assert_non_null(buf);
            assert_int_equal(ree_acc_pack(b, buf, need), need);
            assert_int_equal(ree_acc_unpack(c, buf, need), need);
            free(buf);
        }
    }
    assert_int_equal(ree_acc_merge(c, a), 0); /* general merges of compacted cells */
    for (int r = 0; r < 2000; r++) {
        double v[VCELL];
        vector_values(r, 1000, 0, &seed, v);
        assert_int_equal(ree_acc_add(c, v), 0);
    }
    assert_int_equal(ree_acc_sort_points(c), 0);
    *len = ree_acc_pack(c, NULL, 0);
    *out = malloc(*len);
    assert_non_null(*out);
    assert_int_equal(ree_acc_pack(c, *out, *len), *len);
    ree_acc_free(a);
    ree_acc_free(b);
    ree_acc_free(c);
    ree_block_free(blk);
    ree_sort_set_avx(-1);
}

static void test_cells_vector_or_scalar(void **state)
{
    (void)state;
    unsigned char *plain, *vec;
    size_t nplain, nvec;
    build_accs(0, &plain, &nplain);
    build_accs(-1, &vec, &nvec);
    assert_int_equal(nplain, nvec);
    assert_memory_equal(plain, vec, nplain);
    free(plain);
    free(vec);
}

/* ree_sort_column (a block's values at seal time) orders equal values as its 4-point networks
 * followed by stable merges of widths 4, 8, 16, 32 do -- the order every sketch so far was built
 * with -- for every column length. */
static void test_sort_column_ties(void **state)
{
    (void)state;
    uint64_t seed = 7;
    for (int rep = 0; rep < 200; rep++)
        for (size_t n = 1; n <= REE_BLOCK_MAX; n++) {
            double x[REE_BLOCK_MAX], want[REE_BLOCK_MAX], tmp[REE_BLOCK_MAX], out[REE_BLOCK_MAX];
            for (size_t i = 0; i < n; i++)
                x[i] = want[i] = tie_value(&seed);
            size_t i = 0;
            for (; i + 4 <= n; i += 4) {
                static const int net[5][2] = {{0, 1}, {2, 3}, {0, 2}, {1, 3}, {1, 2}};
                for (int c = 0; c < 5; c++) {
                    double *g = want + i, a = g[net[c][0]], b = g[net[c][1]];
                    if (b < a) {
                        g[net[c][0]] = b;
                        g[net[c][1]] = a;
                    }
                }
            }
            stable_sort(want + i, n - i);
            for (size_t w = 4; w < n; w *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * w) {
                    size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
                    size_t a = lo, b = mid, o = lo;
                    while (a < mid && b < hi)
                        out[o++] = want[b] < want[a] ? want[b++] : want[a++];
                    while (a < mid)
                        out[o++] = want[a++];
                    while (b < hi)
                        out[o++] = want[b++];
                }
                memcpy(want, out, n * sizeof *out);
            }
            ree_sort_column(x, n, tmp, 0);
            assert_bits(x, want, n);
        }
}

/* Full columns whose equal values are copies (no NaN, not both -0.0 and 0.0) take ree_sort_column's
 * network path: the result must still be the stable sort's, bit for bit, whatever the values --
 * continuous, few distinct, one kind of zero, infinities, already in order or reversed. */
static void test_sort_column_networks(void **state)
{
    (void)state;
    uint64_t seed = 11;
    for (int rep = 0; rep < 8000; rep++) {
        ree_sort_set_avx(rep % 3 - 1); /* automatic, SSE2, AVX networks, where they run */
        double x[REE_BLOCK_MAX], want[REE_BLOCK_MAX], tmp[REE_BLOCK_MAX];
        int kind = rep % 8;
        for (size_t i = 0; i < REE_BLOCK_MAX; i++) {
            double u = uniform(&seed);
            x[i] = kind == 0   ? u * 200.0 - 100.0
                   : kind == 1 ? (double)(int)(u * 4.0)
                   : kind == 2 ? (u < 0.7 ? 0.0 : u)
                   : kind == 3 ? (u < 0.7 ? -0.0 : -u)
                   : kind == 4 ? (u < 0.1   ? -INFINITY
                                  : u < 0.2 ? INFINITY
                                            : u - 0.5)
                   : kind == 5 ? (double)i * 0.25
                   : kind == 6 ? -(double)i + (u < 0.5 ? 1e-300 : 0.0)
                               : (u < 0.5 ? 0.0 : 1e300 * (u - 0.75));
            want[i] = x[i];
        }
        stable_sort(want, REE_BLOCK_MAX);
        double y[REE_BLOCK_MAX]; /* the same column, the caller vouching that ties are copies */
        memcpy(y, x, sizeof y);
        ree_sort_column(x, REE_BLOCK_MAX, tmp, 0);
        assert_bits(x, want, REE_BLOCK_MAX);
        ree_sort_column(y, REE_BLOCK_MAX, tmp, 1);
        assert_bits(y, want, REE_BLOCK_MAX);
    }
    ree_sort_set_avx(-1);
}

/* A sealed block sorts a column by the networks unchecked only when its moments show no zero and
 * no NaN; a column of one sign with a zero, or both zeros, keeps the order of its -0.0 and 0.0
 * that the checked sort gives (seen through the merged total's points, bit for bit). */
static void test_seal_copies_hint(void **state)
{
    (void)state;
    enum { NC = 4 };
    uint64_t seed = 5;
    for (int rep = 0; rep < 400; rep++) {
        ree_sort_set_avx(rep % 2 ? -1 : 0);
        ree_block *b = ree_block_alloc(NC);
        ree_acc *a = ree_acc_alloc(NC, 512);
        assert_true(b && a);
        double col[NC][REE_BLOCK_MAX];
        for (int r = 0; r < REE_BLOCK_MAX; r++) {
            double v[NC], u = uniform(&seed);
            v[0] = u < 0.3 ? -0.0 : u < 0.6 ? 0.0 : u;        /* min -0.0 or 0.0: checked */
            v[1] = u < 0.3 ? 0.0 : u < 0.6 ? -0.0 : -u;       /* max 0.0 or -0.0: checked */
            v[2] = 1.0 + u;                                   /* positive: unchecked */
            v[3] = u < 0.5 ? -1.0 - u : (double)(int)(u * 3); /* zeros among both signs */
            for (int c = 0; c < NC; c++)
                col[c][r] = v[c];
            assert_int_equal(ree_block_add(b, v), 0);
        }
        assert_int_equal(ree_acc_merge_block(a, b), 0);
        for (int c = 0; c < NC; c++) {
            double x[REE_BLOCK_MAX], w[REE_BLOCK_MAX];
            double tmp[REE_BLOCK_MAX];
            ree_sort_column(col[c], REE_BLOCK_MAX, tmp, 0);
            assert_int_equal(ree_acc_weighted_points(a, (size_t)c, x, w), REE_BLOCK_MAX);
            assert_bits(x, col[c], REE_BLOCK_MAX);
        }
        ree_acc_free(a);
        ree_block_free(b);
    }
    ree_sort_set_avx(-1);
}

/* Type 7 on the weighted points, written plainly: the points ordered by value (equal values: the
 * lower level first, as the sketch's walk takes them), x_pos the point whose cumulative weight
 * first reaches pos, then R's interpolation. */
static double ref_quantile(const double *x, const double *w, size_t n, double q)
{
    double *xs = malloc(n * sizeof *xs), *ws = malloc(n * sizeof *ws), W = 0.0;
    assert_true(xs && ws);
    memcpy(xs, x, n * sizeof *x);
    memcpy(ws, w, n * sizeof *w);
    for (size_t i = 1; i < n; i++) /* insertion sort by (value, weight) */
        for (size_t j = i;
             j > 0 && (xs[j] < xs[j - 1] || (xs[j] == xs[j - 1] && ws[j] < ws[j - 1])); j--) {
            double t = xs[j], u = ws[j];
            xs[j] = xs[j - 1];
            ws[j] = ws[j - 1];
            xs[j - 1] = t;
            ws[j - 1] = u;
        }
    for (size_t i = 0; i < n; i++)
        W += ws[i];
    double index = 1.0 + (W - 1.0) * q, lo = floor(index), h = index - lo, val[2];
    for (int side = 0; side < 2; side++) {
        double cum = 0.0;
        size_t i = 0;
        while (i + 1 < n && cum + ws[i] < lo + side)
            cum += ws[i++];
        val[side] = xs[i];
    }
    double r = h > 0.0 && val[1] != val[0] ? (1.0 - h) * val[0] + h * val[1] : val[0];
    free(xs);
    free(ws);
    return r;
}

/* Quantiles, exact (weights 1: read by position) and after compactions (a walk over the levels),
 * bit for bit those of ref_quantile on the cell's weighted points. */
static void test_quantiles_match_weighted_points(void **state)
{
    (void)state;
    static const int runs[] = {1, 2, 63, 64 * 10, 64 * 16, 64 * 16 + 1, 64 * 47 + 9};
    static const double qs[] = {0.0, 0.01, 0.05, 0.25, 0.3333, 0.5, 0.75, 0.95, 0.999, 1.0};
    for (size_t t = 0; t < sizeof runs / sizeof runs[0]; t++) {
        ree_acc *a = ree_acc_alloc(NCELL, 512);
        ree_block *b = ree_block_alloc(NCELL);
        assert_true(a && b);
        uint64_t seed = 5 + t;
        for (int r = 0; r < runs[t]; r++) {
            double v[NCELL];
            values(r, &seed, v);
            assert_int_equal(ree_block_add(b, v), 0);
            if ((r + 1) % REE_BLOCK_MAX == 0 || r + 1 == runs[t]) {
                assert_int_equal(ree_acc_merge_block(a, b), 0);
                ree_block_reset(b);
            }
        }
        for (size_t c = 0; c < NCELL; c++) {
            size_t n = ree_acc_points(a, c);
            double *x = malloc(n * sizeof *x), *w = malloc(n * sizeof *w);
            assert_true(x && w);
            assert_int_equal(ree_acc_weighted_points(a, c, x, w), n);
            for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
                double got = ree_acc_quantile(a, c, qs[j]), want = ref_quantile(x, w, n, qs[j]);
                if (qs[j] > 0.0 && qs[j] < 1.0) /* the ends are the exact extremes */
                    assert_memory_equal(&got, &want, sizeof got);
            }
            free(x);
            free(w);
        }
        ree_acc_free(a);
        ree_block_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_match_eager_model),
        cmocka_unit_test(test_sort_points_stable),
        cmocka_unit_test(test_sort_points_pick),
        cmocka_unit_test(test_sort_merge_into),
        cmocka_unit_test(test_sort_points_vector_merge),
        cmocka_unit_test(test_merge_copies),
        cmocka_unit_test(test_cells_vector_or_scalar),
        cmocka_unit_test(test_sort_column_ties),
        cmocka_unit_test(test_sort_column_networks),
        cmocka_unit_test(test_seal_copies_hint),
        cmocka_unit_test(test_quantiles_match_weighted_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
