/*
 * Block staging for the Monte Carlo statistics: a block takes up to REE_BLOCK_MAX runs' values
 * (ree_block_add: each cell's moments in run order, the values staged by run and moved into one
 * column per cell), then sealing marks the constant columns and sorts the others, ready to merge
 * into an accumulator (ree_acc_merge_block_cells, stats.c). The layout is in stats_priv.h.
 */
#include "stats_priv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

ree_block *ree_block_alloc_moments(size_t ncell)
{
    size_t n = ncell ? ncell : 1;
    if (n > SIZE_MAX / (4 * sizeof(double)))
        return NULL;
    ree_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->ncell = ncell;
    b->light = 1;
    if (!(b->mean = malloc(4 * n * sizeof *b->mean))) {
        free(b);
        return NULL;
    }
    b->m2 = b->mean + n;
    b->min = b->m2 + n;
    b->max = b->min + n;
    return b;
}

ree_block *ree_block_alloc(size_t ncell)
{
    size_t n = ncell ? ncell : 1;
    if (n > SIZE_MAX / (REE_BLOCK_MAX * sizeof(double)))
        return NULL; /* the column buffer's size would overflow */
    ree_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->ncell = ncell;
    b->rows = malloc(REE_BLOCK_STAGE * n * sizeof *b->rows);
    /* Aligned to a cache line: a column's 8 runs staged together are one line (flush_rows). */
    b->cols = aligned_alloc(64, REE_BLOCK_MAX * n * sizeof *b->cols);
    b->mean = malloc(4 * n * sizeof *b->mean);
    b->konst = malloc(n);
    if (!b->rows || !b->cols || !b->mean || !b->konst) {
        ree_block_free(b);
        return NULL;
    }
    b->m2 = b->mean + n;
    b->min = b->m2 + n;
    b->max = b->min + n;
    return b;
}

void ree_block_free(ree_block *b)
{
    if (!b)
        return;
    free(b->rows);
    free(b->cols);
    free(b->mean);
    free(b->konst);
    free(b);
}

void ree_block_reset(ree_block *b)
{
    b->nruns = b->staged = 0;
    b->sealed = 0;
}

int ree_block_runs(const ree_block *b)
{
    return b->nruns;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define REE_BLOCK_AVX512 1
#include <immintrin.h>
#include "transpose8.h"

/* One 8 x 8 tile transposed with AVX-512: dst[q * ds + k] = src[k * ss + q] for q, k < 8. The
 * tile's 8 rows in 8 registers, 24 shuffles, 8 stores of 8 values. Only moves bits. */
__attribute__((target("avx512f"), always_inline)) static inline void
tile8_avx512(const double *src, size_t ss, double *dst, size_t ds)
{
    __m512d r[8];
    for (int k = 0; k < 8; k++)
        r[k] = _mm512_loadu_pd(src + (size_t)k * ss);
    ree_transpose8_avx512(r);
    for (int q = 0; q < 8; q++)
        _mm512_storeu_pd(dst + (size_t)q * ds, r[q]);
}

/* The transpose of flush_rows for cells c, c + 1, ... as long as 8 remain: each cell's 8 staged
 * runs in one 64-byte store (a whole cache line of its column: `cols` is 64-byte aligned and
 * `first` a multiple of 8) instead of 64 loads and 64 stores of one value. Returns the first
 * cell not moved. */
__attribute__((target("avx512f"))) static size_t flush_rows_avx512(const double *rows, size_t nc,
                                                                   double *cols)
{
    size_t c = 0;
    for (; c + 8 <= nc; c += 8)
        tile8_avx512(rows + c, nc, cols + c * REE_BLOCK_MAX, REE_BLOCK_MAX);
    return c;
}

/* The lanes' transpose of ree_block_add_lanes for cells j, j + 1, ... of m as long as 8 remain:
 * rows[k * m + j] = lanes[j * REE_BLOCK_LANES + k]. Returns the first cell not moved. */
__attribute__((target("avx512f"))) static size_t lanes_rows_avx512(const double *lanes, size_t m,
                                                                   double *rows)
{
    size_t j = 0;
    for (; j + 8 <= m; j += 8)
        tile8_avx512(lanes + j * REE_BLOCK_LANES, REE_BLOCK_LANES, rows + j, m);
    return j;
}
#endif

/* Move the staged rows into the columns: one cache line of each column per 8 runs. */
static void flush_rows(ree_block *b)
{
    int first = b->nruns - b->staged;
    size_t c = 0;
#if defined(REE_BLOCK_AVX512)
    if (b->staged == REE_BLOCK_STAGE && ree_sort_avx512())
        c = flush_rows_avx512(b->rows, b->ncell, b->cols + first);
#endif
    for (; c < b->ncell; c++) {
        double *col = b->cols + c * REE_BLOCK_MAX + first;
        for (int r = 0; r < b->staged; r++)
            col[r] = b->rows[(size_t)r * b->ncell + c];
    }
    b->staged = 0;
}

/* One run's values into a block: moments in run order, the same Welford update as ree_acc_add
 * (n: the count with this run), and the values staged in `row` (NULL: a moments-only block). The
 * cells are independent and the arrays distinct, so the loops vectorise across cells. Inlined
 * into a plain and an AVX build of the same operations (block_add_cells, block_add_cells_avx):
 * no fused multiply-add (-ffp-contract=off) and IEEE results per operation, so either gives the
 * same bits, NaNs included (one_nan). */
static inline __attribute__((always_inline)) void
block_add_body(size_t nc, const double *restrict values, double *restrict row,
               double *restrict mean, double *restrict m2, double *restrict mn, double *restrict mx,
               double n)
{
    if (n == 1.0) {
        for (size_t c = 0; c < nc; c++) {
            if (row) /* loop-invariant: the compilers unswitch it */
                row[c] = values[c];
            mean[c] = mn[c] = mx[c] = values[c];
            m2[c] = 0.0;
        }
        return;
    }
    for (size_t c = 0; c < nc; c++) {
        double x = values[c], d = x - mean[c];
        if (row)
            row[c] = x;
        mean[c] = one_nan(mean[c] + d / n);
        m2[c] = one_nan(m2[c] + d * (x - mean[c]));
        mn[c] = x < mn[c] ? x : mn[c];
        mx[c] = x > mx[c] ? x : mx[c];
    }
}

/* GCC would make the staging stores a memcpy of its own, a second pass over the values. The
 * attribute restates -ffp-contract=off: GCC's optimize attribute may reset options given on the
 * command line, and a contracted (fused) Welford update would change results where FMA exists. */
#if defined(__GNUC__) && !defined(__clang__)
#define ONE_PASS __attribute__((optimize("no-tree-loop-distribute-patterns", "fp-contract=off")))
#else
#define ONE_PASS
#endif

ONE_PASS static void block_add_cells(size_t nc, const double *restrict values, double *restrict row,
                                     double *restrict mean, double *restrict m2,
                                     double *restrict mn, double *restrict mx, double n)
{
    block_add_body(nc, values, row, mean, m2, mn, mx, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define REE_BLOCK_AVX 1
/* The same loops on 4 cells an instruction where the processor has AVX (ree_sort_avx). */
ONE_PASS __attribute__((target("avx"))) static void
block_add_cells_avx(size_t nc, const double *restrict values, double *restrict row,
                    double *restrict mean, double *restrict m2, double *restrict mn,
                    double *restrict mx, double n)
{
    block_add_body(nc, values, row, mean, m2, mn, mx, n);
}
#endif

int ree_block_add(ree_block *b, const double *values)
{
    if (b->nruns >= REE_BLOCK_MAX || b->sealed)
        return -1;
    /* a moments-only block stages nothing */
    double *row = b->light ? NULL : b->rows + (size_t)b->staged * b->ncell;
    double n = (double)(b->nruns + 1);
#if defined(REE_BLOCK_AVX)
    if (ree_sort_avx())
        block_add_cells_avx(b->ncell, values, row, b->mean, b->m2, b->min, b->max, n);
    else
#endif
        block_add_cells(b->ncell, values, row, b->mean, b->m2, b->min, b->max, n);
    b->nruns++;
    if (!b->light && ++b->staged == REE_BLOCK_STAGE)
        flush_rows(b);
    return 0;
}

_Static_assert(REE_BLOCK_LANES == 8, "a lane group is one 8 x 8 tile a cell group");

/* Cells whose lane values ree_block_add_lanes transposes at a time: the chunk's run rows (16 KiB
 * on the stack) and its cells' moments (8 KiB) stay in the first-level cache over the runs'
 * passes. */
#define LANES_CHUNK 256

/* rows[k * m + j] = lanes[j * REE_BLOCK_LANES + k] for the m cells of lanes and k < count. */
static void lanes_rows(const double *lanes, size_t m, int count, double *rows)
{
    size_t j = 0;
#if defined(REE_BLOCK_AVX512)
    if (count == REE_BLOCK_LANES && ree_sort_avx512())
        j = lanes_rows_avx512(lanes, m, rows);
#endif
    for (; j < m; j++)
        for (int k = 0; k < count; k++)
            rows[(size_t)k * m + j] = lanes[j * REE_BLOCK_LANES + (size_t)k];
}

/* cols[j * REE_BLOCK_MAX + k] = lanes[j * REE_BLOCK_LANES + k] for the m cells and k < count. A
 * whole group is one copy of a constant size (vector moves; a variable size becomes a `rep movs`,
 * whose start-up cost is that of several such copies). */
static void lanes_cols(const double *lanes, size_t m, int count, double *cols)
{
    const size_t group = REE_BLOCK_LANES * sizeof(double);
    for (size_t j = 0; j < m; j++) {
        if (count == REE_BLOCK_LANES)
            memcpy(cols + j * REE_BLOCK_MAX, lanes + j * REE_BLOCK_LANES, group);
        else
            memcpy(cols + j * REE_BLOCK_MAX, lanes + j * REE_BLOCK_LANES,
                   (size_t)count * sizeof(double));
    }
}

int ree_block_add_lanes(ree_block *b, const double *values, int count)
{
    if (count < 1 || count > REE_BLOCK_LANES || b->nruns + count > REE_BLOCK_MAX || b->sealed)
        return -1;
    if (!b->light && b->staged)
        flush_rows(b); /* runs added one at a time before: their columns first */
    /* The moments are a run's pass over every cell, which vectorises across cells from a run's
     * own row: a chunk of cells at a time, the lanes transposed into run rows, each row then
     * added as ree_block_add adds one (the same operations per cell in the same run order). */
    _Alignas(64) double rows[REE_BLOCK_LANES * LANES_CHUNK];
    for (size_t c0 = 0; c0 < b->ncell; c0 += LANES_CHUNK) {
        size_t m = b->ncell - c0 < LANES_CHUNK ? b->ncell - c0 : LANES_CHUNK;
        const double *lanes = values + c0 * REE_BLOCK_LANES;
        lanes_rows(lanes, m, count, rows);
        for (int k = 0; k < count; k++) {
            double n = (double)(b->nruns + k + 1);
            const double *row = rows + (size_t)k * m;
#if defined(REE_BLOCK_AVX)
            if (ree_sort_avx())
                block_add_cells_avx(m, row, NULL, b->mean + c0, b->m2 + c0, b->min + c0,
                                    b->max + c0, n);
            else
#endif
                block_add_cells(m, row, NULL, b->mean + c0, b->m2 + c0, b->min + c0, b->max + c0,
                                n);
        }
        if (!b->light) /* each cell's runs are already side by side: a copy into its column */
            lanes_cols(lanes, m, count, b->cols + c0 * REE_BLOCK_MAX + b->nruns);
    }
    b->nruns += count;
    return 0;
}

void ree_block_seal(ree_block *b)
{
    if (b->sealed)
        return;
    if (b->light) {
        b->sealed = 1;
        return;
    }
    if (b->staged)
        flush_rows(b);
    int n = b->nruns;
    double tmp[REE_BLOCK_MAX];
    find_konst(b, 0, b->ncell); /* the same before and after sorting */
    for (size_t c = 0; c < b->ncell && n > 0; c++) {
        if (b->konst[c])
            continue; /* in order already (e.g. zeros) */
        double *x = b->cols + c * REE_BLOCK_MAX;
        int i = 1;
        while (i < n && !(x[i] < x[i - 1]))
            i++;
        /* No zero (all of one sign) and no NaN (a NaN makes the Welford mean NaN for good): the
         * column's equal values are copies, and the sort need not check it. */
        int copies = (b->min[c] > 0.0 || b->max[c] < 0.0) && b->mean[c] == b->mean[c];
        if (i < n) /* not already in order */
            ree_sort_column(x, (size_t)n, tmp, copies);
    }
    b->sealed = 1;
}
