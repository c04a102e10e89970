/*
 * Spike (issue 12, stop 27): is a log-linear histogram a cheaper quantile estimator than the
 * sketch for series cells? A measurement, not product code: see README.md here.
 *
 * 9,750 cells (historical-2025's series cells), blocks of 64 runs staged as `reesim run` stages
 * runs in lockstep (ree_block_add_lanes, 8 runs' values interleaved): 30% of cells always 0, 20%
 * small integers 0..5, 50% lognormal (log-sd about 1, a scale per cell spread over 20 e-folds).
 * Each block is generated first (not timed), then:
 *   mode 0: the sketch as `reesim run` feeds it on one thread (seal, ree_acc_merge_block; k 512)
 *   mode 1: each staged value into its cell's histogram
 *   mode 2: staging only (the moments and the columns: the part every mode shares)
 *   mode 3: as 1, but the block sealed first (sorted columns), equal keys counted as one run
 * WARM blocks run first untimed: the sketch's first 2k values only append, and the histograms'
 * tables are allocated and first touched there, so the timed blocks are the steady state.
 * Histogram: key = |x|'s bits >> (52 - M) (M = 7: 128 bins an octave, a bin's half-width 0.39%
 * of its value), u32 counts with the top bit set when a value was not the bin's lower edge, a
 * window of W keys per cell placed at its first value (clamped, as a spike may).
 */
#include "stats_priv.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef W
#define W 4096
#endif
#define M  7
#define NC 9750

typedef struct {
    int32_t lo;
    uint32_t *c;
} hcell;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t s = 88172645463325252ull;
static uint64_t xr(void)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}
static double u01(void)
{
    return (double)(xr() >> 11) * 0x1.0p-53;
}

static int kind[NC];
static double scale[NC];

#define WARM 32

/* One group of REE_BLOCK_LANES runs, interleaved: run k's value of cell i at g[i * LANES + k]. */
static void gen(double *g)
{
    for (int i = 0; i < NC; i++)
        for (int k = 0; k < REE_BLOCK_LANES; k++)
            g[i * REE_BLOCK_LANES + k] = kind[i] == 0 ? 0
                                         : kind[i] == 1
                                             ? floor(u01() * 6)
                                             : scale[i] * exp((u01() + u01() + u01() - 1.5) * 2);
}

static uint64_t mag_of(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits & ~(1ull << 63);
}

static uint32_t *slot(hcell *c, uint64_t mag)
{
    if (!c->c) {
        c->lo = (int32_t)(mag >> (52 - M)) - W / 2;
        c->c = calloc(W, sizeof *c->c);
    }
    int32_t o = (int32_t)(mag >> (52 - M)) - c->lo;
    return c->c + (o < 0 ? 0 : o >= W ? W - 1 : o);
}

static const uint64_t inexact = (1ull << (52 - M)) - 1;

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 20000, mode = argc > 2 ? atoi(argv[2]) : 0;
    for (int i = 0; i < NC; i++) {
        uint64_t r = xr() % 10;
        kind[i] = r < 3 ? 0 : r < 5 ? 1 : 2;
        scale[i] = exp(u01() * 20 - 5);
    }
    double *rows = malloc(sizeof(double) * NC * REE_BLOCK_MAX);
    ree_block *b = ree_block_alloc(NC);
    ree_acc *a = ree_acc_alloc(NC, 512);
    hcell *h = calloc(NC, sizeof *h);
    if (!rows || !b || !a || !h)
        return 1;
    double tgen = 0, t0 = 0;
    int nblk = runs / REE_BLOCK_MAX;
    for (int blk = -WARM; blk < nblk; blk++) {
        if (blk == 0) {
            tgen = 0;
            t0 = now();
        }
        double g0 = now();
        for (int r = 0; r < REE_BLOCK_MAX; r += REE_BLOCK_LANES)
            gen(rows + (size_t)r * NC);
        tgen += now() - g0;
        ree_block_reset(b);
        for (int r = 0; r < REE_BLOCK_MAX; r += REE_BLOCK_LANES)
            ree_block_add_lanes(b, rows + (size_t)r * NC, REE_BLOCK_LANES);
        if (mode == 0)
            ree_acc_merge_block(a, b);
        else if (mode == 1)
            for (int i = 0; i < NC; i++)
                for (int j = 0; j < REE_BLOCK_MAX; j++) {
                    uint64_t mag = mag_of(b->cols[(size_t)i * REE_BLOCK_MAX + (size_t)j]);
                    uint32_t *p = slot(&h[i], mag);
                    *p = (*p + 1) | ((mag & inexact) ? 0x80000000u : 0);
                }
        else if (mode == 3) {
            ree_block_seal(b);
            for (int i = 0; i < NC; i++) {
                const double *x = b->cols + (size_t)i * REE_BLOCK_MAX;
                for (int j = 0; j < REE_BLOCK_MAX;) {
                    uint64_t mag = mag_of(x[j]), key = mag >> (52 - M), inex = 0;
                    int j0 = j;
                    while (j < REE_BLOCK_MAX && (mag_of(x[j]) >> (52 - M)) == key)
                        inex |= mag_of(x[j++]) & inexact;
                    uint32_t *p = slot(&h[i], mag);
                    *p = (*p + (uint32_t)(j - j0)) | (inex ? 0x80000000u : 0);
                }
            }
        }
    }
    double t = now() - t0 - tgen;
    printf("mode=%d W=%d runs=%d (after %d warm-up) stats_s=%.3f ns_per_value=%.2f\n", mode, W,
           nblk * REE_BLOCK_MAX, WARM * REE_BLOCK_MAX, t,
           t * 1e9 / ((double)nblk * REE_BLOCK_MAX * NC));
    return 0;
}
