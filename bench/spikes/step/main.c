/*
 * The step spike's driver.
 *   step_bench verify SCENARIO RUNS        capture, then check every variant against the engine
 *   step_bench time SCENARIO RUNS REPS N   REPS interleaved repetitions, N passes each
 *   step_bench phases SCENARIO RUNS REPS N cycles per phase (rdtsc between phases)
 *   step_bench engine SCENARIO RUNS N      the library's whole step (hooks too), for scale
 *   step_bench perf SCENARIO RUNS V N      variant V only, N passes (for perf record)
 *   step_bench layout SCENARIO RUNS        how often a lane group's runs share the layout
 * Times are ns per run-step: one run's step, or one lane group's step divided by L.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>
#include "spike.h"

unsigned long long ph_cycles_s[NPH], ph_cycles_l[NPH];
long fb_dispatch, fb_dispatch_calls, fb_alloc, fb_alloc_calls;

typedef double (*replay_fn)(const trace *, int, long *);

static const struct variant {
    const char *name;
    replay_fn fn;
} variants[] = {
    {"scalar", replay_scalar},     {"lanes", replay_lanes},       {"s-feed", replay_scalar_feed},
    {"l-feed", replay_lanes_feed}, {"l-alloc1", replay_lanes_pl}, {"s-avx512", replay_scalar_avx},
};
#define NVAR (sizeof variants / sizeof variants[0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void load(trace *tr, const char *scen, int runs)
{
    double t0 = now();
    if (capture(scen, runs, tr) != 0)
        exit(1);
    const topo *T = &tr->T;
    printf("captured %s: %d runs x %d steps in %.2f s; %d nodes, %d materials, %d links, %d gate "
           "slots, %d series (%d direct), %d sectors, %d region groups, %d distinct layouts; hooks "
           "produce %d order %d offer %d consume %d account %d; %zu metrics; feed %d values, "
           "snapshot %zu values per run-step\n",
           scen, runs, T->nsteps, now() - t0, T->nnode, T->nmat, T->nlink, T->nslot, T->nseries,
           T->nsdirect, T->nsector, T->nregion, tr->nlay, T->ncall[1] - T->ncall[0],
           T->ncall[2] - T->ncall[1], T->ncall[3] - T->ncall[2], T->ncall[4] - T->ncall[3],
           T->ncall[5] - T->ncall[4], T->nmetrics, T->nfeed, T->nsnap);
}

static int verify(const trace *tr)
{
    const topo *T = &tr->T;
    long total = (long)T->nruns * T->nsteps * (long)T->nsnap;
    int bad = 0;
    for (size_t v = 0; v < NVAR; v++) {
        if (v == 2 || v == 3) /* the feed variants do no bookkeeping */
            continue;
        long nd = -1;
        fb_dispatch = fb_dispatch_calls = fb_alloc = fb_alloc_calls = 0;
        variants[v].fn(tr, 1, &nd);
        printf("verify %-7s: %ld of %ld values differ (%d runs x %d steps x %zu values, memcmp)\n",
               variants[v].name, nd, total, T->nruns, T->nsteps, T->nsnap);
        if (v == 1)
            printf("  lanes: dispatch() calls with a random delay in some lane or lanes' whole "
                   "months differing (lane-by-lane path): %ld of %ld\n",
                   fb_dispatch, fb_dispatch_calls);
        if (v == 1)
            printf("  lanes: allocate() calls whose lanes differ in the pair's links' order or "
                   "priority groups (lane-by-lane path): %ld of %ld\n",
                   fb_alloc, fb_alloc_calls);
        bad |= nd != 0;
    }
    return bad;
}

static void time_all(const trace *tr, int reps, int passes)
{
    const topo *T = &tr->T;
    double rs = (double)T->nruns * T->nsteps * passes;
    double *ns = calloc((size_t)reps * NVAR, sizeof(double));
    double *ratio = calloc((size_t)reps * 2, sizeof(double));
    double sink = 0;
    for (size_t v = 0; v < NVAR; v++) /* warm up */
        sink += variants[v].fn(tr, 0, NULL);
    for (int r = 0; r < reps; r++) {
        for (size_t k = 0; k < NVAR; k++) {
            size_t v = (k + (size_t)r) % NVAR; /* rotate the order */
            if (getenv("STEP_ONLY") && !strchr(getenv("STEP_ONLY"), (int)('0' + v)))
                continue; /* STEP_ONLY=01: those variants only (the others print 0) */
            double t0 = now();
            for (int i = 0; i < passes; i++)
                sink += variants[v].fn(tr, 0, NULL);
            ns[(size_t)r * NVAR + v] = (now() - t0) * 1e9 / rs;
        }
        double *x = ns + (size_t)r * NVAR;
        ratio[r] = x[0] / x[1];
        ratio[reps + r] = (x[0] - x[2]) / (x[1] - x[3]);
        printf("rep %2d:", r);
        for (size_t v = 0; v < NVAR; v++)
            printf(" %s %.2f", variants[v].name, x[v]);
        printf("  speedup %.3f net %.3f\n", ratio[r], ratio[reps + r]);
    }
    printf("\nns per run-step, %d repetitions x %d passes of %d runs x %d steps\n", reps, passes,
           T->nruns, T->nsteps);
    printf("%-8s %8s %8s\n", "variant", "min", "median");
    double *col = calloc((size_t)reps, sizeof(double));
    for (size_t v = 0; v < NVAR; v++) {
        for (int r = 0; r < reps; r++)
            col[r] = ns[(size_t)r * NVAR + v];
        qsort(col, (size_t)reps, sizeof(double), cmp_d);
        printf("%-8s %8.2f %8.2f\n", variants[v].name, col[0], col[reps / 2]);
    }
    qsort(ratio, (size_t)reps, sizeof(double), cmp_d);
    qsort(ratio + reps, (size_t)reps, sizeof(double), cmp_d);
    printf("speedup scalar/lanes (median of per-repetition ratios): %.3f (min %.3f max %.3f)\n",
           ratio[reps / 2], ratio[0], ratio[reps - 1]);
    printf("net of the feed (scalar - s-feed) / (lanes - l-feed): %.3f (min %.3f max %.3f)\n",
           ratio[reps + reps / 2], ratio[reps], ratio[2 * reps - 1]);
    printf("(sink %g)\n", sink);
    free(col), free(ns), free(ratio);
}

static void phases(const trace *tr, int reps, int passes)
{
    const topo *T = &tr->T;
    static const char *names[NPH] = {"clears + arrivals", "produce books + positions",
                                     "orders + applications + gate feed",
                                     "shipping (asked, offers, ranks, allocate, unmet, gate copy)",
                                     "consume books + sums + scarcity + record"};
    /* cycles per ns, from the TSC against the monotonic clock */
    double t0 = now();
    unsigned long long c0 = __rdtsc();
    while (now() - t0 < 0.2)
        ;
    double ghz = (double)(__rdtsc() - c0) / ((now() - t0) * 1e9);
    double sink = replay_scalar_ph(tr, 0, NULL) + replay_lanes_ph(tr, 0, NULL);
    double rs = (double)T->nruns * T->nsteps * passes;
    /* per repetition and phase: ns per run-step, scalar then lanes */
    double *x = calloc((size_t)reps * 2 * (NPH + 1), sizeof(double));
    for (int r = 0; r < reps; r++) {
        memset(ph_cycles_s, 0, sizeof ph_cycles_s);
        memset(ph_cycles_l, 0, sizeof ph_cycles_l);
        for (int i = 0; i < passes; i++) { /* interleaved pass by pass */
            sink += replay_scalar_ph(tr, 0, NULL);
            sink += replay_lanes_ph(tr, 0, NULL);
        }
        double *xs = x + (size_t)r * 2 * (NPH + 1), *xl = xs + NPH + 1;
        for (int k = 0; k < NPH; k++) {
            xs[k] = (double)ph_cycles_s[k] / ghz / rs, xl[k] = (double)ph_cycles_l[k] / ghz / rs;
            xs[NPH] += xs[k], xl[NPH] += xl[k];
        }
    }
    printf("TSC %.3f GHz; ns per run-step by phase (rdtsc at each phase's end), %d repetitions x "
           "%d passes, scalar and lanes alternating pass by pass\n",
           ghz, reps, passes);
    printf("%-62s %8s %8s %8s %8s %8s\n", "phase", "s min", "s med", "l min", "l med", "ratio");
    double *col = calloc((size_t)reps, sizeof(double)), *rat = calloc((size_t)reps, sizeof(double));
    for (int k = 0; k <= NPH; k++) {
        double v[4];
        for (int side = 0; side < 2; side++) {
            for (int r = 0; r < reps; r++)
                col[r] = x[(size_t)r * 2 * (NPH + 1) + (size_t)side * (NPH + 1) + (size_t)k];
            qsort(col, (size_t)reps, sizeof(double), cmp_d);
            v[2 * side] = col[0], v[2 * side + 1] = col[reps / 2];
        }
        for (int r = 0; r < reps; r++) {
            const double *xs = x + (size_t)r * 2 * (NPH + 1);
            rat[r] = xs[k] / xs[NPH + 1 + k];
        }
        qsort(rat, (size_t)reps, sizeof(double), cmp_d);
        printf("%-62s %8.2f %8.2f %8.2f %8.2f %8.2f\n",
               k < NPH ? names[k] : "total (with the feed)", v[0], v[1], v[2], v[3], rat[reps / 2]);
    }
    printf("(ratio: median of the per-repetition ratios; sink %g)\n", sink);
    free(x), free(col), free(rat);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s verify|time|phases SCENARIO RUNS [REPS PASSES | PASSES]\n",
                argv[0]);
        return 2;
    }
    trace tr;
    int runs = atoi(argv[3]);
    if (!strcmp(argv[1], "layout")) /* any scenario: how often lanes share the layout */
        return layout_stats(argv[2], runs) != 0;
    if (runs % L) {
        fprintf(stderr, "RUNS must be a multiple of %d\n", L);
        return 2;
    }
    load(&tr, argv[2], runs);
    if (!strcmp(argv[1], "verify"))
        return verify(&tr);
    if (!strcmp(argv[1], "time")) {
        if (verify(&tr))
            return 1;
        time_all(&tr, argc > 4 ? atoi(argv[4]) : 9, argc > 5 ? atoi(argv[5]) : 20);
        return 0;
    }
    if (!strcmp(argv[1], "engine")) { /* the library's whole step, hooks and all */
        printf("engine: the library's ree_run_reset + ree_run_step, min of %d passes: %.1f ns per "
               "run-step\n",
               argc > 4 ? atoi(argv[4]) : 20,
               engine_ns(argv[2], runs, argc > 4 ? atoi(argv[4]) : 20));
        return 0;
    }
    if (!strcmp(argv[1], "perf")) { /* one variant only, for perf record */
        int v = argc > 4 ? atoi(argv[4]) : 0, n = argc > 5 ? atoi(argv[5]) : 100;
        double sink = 0;
        for (int i = 0; i < n; i++)
            sink += variants[v].fn(&tr, 0, NULL);
        printf("%s x %d (sink %g)\n", variants[v].name, n, sink);
        return 0;
    }
    if (!strcmp(argv[1], "phases")) {
        phases(&tr, argc > 4 ? atoi(argv[4]) : 9, argc > 5 ? atoi(argv[5]) : 20);
        return 0;
    }
    return 2;
}
