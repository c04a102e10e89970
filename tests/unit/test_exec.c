/* Tests for the block executor in one process (engine/sim/exec.c, contract in exec.h), with fake
 * ops that simulate nothing: block() stamps the worker with its block (first run, count and a value
 * computed from the first run) after a seeded random sleep of a few hundred microseconds, so blocks
 * finish in shuffled orders; merge_part(part) (or merge, without split) checks that the worker holds
 * the block it is asked to merge and appends the block's first run to the part's log, flagging two
 * merges of one part at once. Checked for 1 to 4 threads, with split returning min(want, K) for K
 * in 1, 2, 5 and without split: every part sees every block exactly once, in block order, and,
 * with at least a part per thread, always from the same thread (parts have owners, when OpenMP
 * grants the team asked for: OMP_DYNAMIC or OMP_THREAD_LIMIT may give fewer); progress
 * grows to the end of the last block; the first failure in block order (a block, or the merge of one
 * part of a block) decides the status and message whatever finishes first; the parts of one block
 * are merged by several threads at once; a cancel stops with REE_EINTERRUPTED; 0 runs, a partial
 * last block, a first-run offset, and block_offset/stride. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <omp.h>

#include "exec.h"

#define MAXB 96 /* blocks a test runs, at most */
#define MAXP 32 /* parts */

typedef struct fake {
    int k;                 /* split returns min(want, k); 0: no split (merge, pack, unpack) */
    int want, nparts;      /* split's argument and answer */
    long long first_run;   /* as in the options: block index = (first - first_run) / 64 */
    long long nruns;       /* to check each block's count */
    unsigned seed;         /* of the sleeps */
    long long fail_at[2];  /* block() fails at these blocks (-1: none) */
    ree_status fail_st[2]; /* with these statuses */
    long long fail_from;   /* block() fails at every block from this one (-1: none), quickly */
    long long slow_block;  /* block() sleeps slow_ms first at this block (-1: none) */
    int slow_ms;
    long long mfail_block; /* the merge of part mfail_part of this block fails (-1: none) */
    int mfail_part;
    long long mslow_block; /* the merges of parts 1 and up of this block sleep 20 ms (-1: none) */
    long long cancel_at;   /* block() sets *cancel at this block (-1: never) */
    volatile sig_atomic_t *cancel;
    long long log[MAXP][MAXB]; /* per part: first runs merged, in merge order */
    atomic_int nlog[MAXP];
    atomic_int busy[MAXP];
    atomic_int overlap; /* a part merged by two threads at once */
    pthread_mutex_t who_lock;
    pthread_t who[MAXP]; /* the thread that merged each part first */
    int who_set[MAXP];
    atomic_int moved;   /* merges of a part by another thread than its first */
    atomic_int in_slow; /* merges of block mslow_block under way, and their most at once */
    atomic_int most_slow;
    atomic_int bad_worker; /* merged a worker that does not hold the block named */
    atomic_int ran;        /* blocks run */
    atomic_int allocs, frees;
    pthread_t caller;            /* the thread that called ree_exec_run (fake_init's) */
    atomic_int allocs_elsewhere; /* workers allocated on another thread than the caller */
    atomic_int team; /* the largest team that allocated workers: what OpenMP granted, which
                      * OMP_THREAD_LIMIT or OMP_DYNAMIC may make smaller than asked */
    long long progress[MAXB + 1];
    atomic_int nprogress;
    atomic_int progress_bad; /* progress total other than nruns */
} fake;

typedef struct worker {
    long long first;
    int count;
    uint64_t value;
} worker;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static long long block_of(const fake *f, long long first)
{
    return (first - f->first_run) / REE_EXEC_BLOCK;
}

static void *w_alloc(void *ctx)
{
    fake *f = ctx;
    atomic_fetch_add(&f->allocs, 1);
    if (!pthread_equal(pthread_self(), f->caller))
        atomic_fetch_add(&f->allocs_elsewhere, 1);
    for (int n = omp_get_num_threads(), m = atomic_load(&f->team); n > m;)
        if (atomic_compare_exchange_weak(&f->team, &m, n))
            break;
    worker *w = calloc(1, sizeof *w);
    if (w)
        w->first = -1;
    return w;
}

static void w_free(void *ctx, void *w)
{
    fake *f = ctx;
    atomic_fetch_add(&f->frees, 1);
    free(w);
}

static ree_status block(void *ctx, void *wp, long long first, int count, char *err, size_t errlen)
{
    fake *f = ctx;
    worker *w = wp;
    long long b = block_of(f, first);
    atomic_fetch_add(&f->ran, 1);
    if (f->fail_from >= 0 && b >= f->fail_from) {
        snprintf(err, errlen, "block %lld failed (fast)", b);
        return REE_EINVALID;
    }
    if (b == f->slow_block)
        sleep_us(1000L * f->slow_ms);
    sleep_us((long)(mix(f->seed * 1000003ULL + (uint64_t)b) % 400));
    if (b == f->cancel_at)
        *f->cancel = 1;
    for (int i = 0; i < 2; i++)
        if (b == f->fail_at[i]) {
            snprintf(err, errlen, "block %lld failed", b);
            return f->fail_st[i];
        }
    w->first = first;
    w->count = count;
    w->value = mix((uint64_t)first);
    return REE_OK;
}

static int parts_of(const fake *f)
{
    return f->k ? f->nparts : 1;
}

static int expected_count(const fake *f, long long first)
{
    long long left = f->nruns - (first - f->first_run);
    return (int)(left < REE_EXEC_BLOCK ? left : REE_EXEC_BLOCK);
}

static ree_status merge_part(void *ctx, void *wp, long long first, int count, int part, char *err,
                             size_t errlen)
{
    fake *f = ctx;
    worker *w = wp;
    if (part < 0 || part >= parts_of(f)) {
        atomic_fetch_add(&f->bad_worker, 1);
        return REE_OK;
    }
    if (atomic_exchange(&f->busy[part], 1))
        atomic_fetch_add(&f->overlap, 1);
    pthread_mutex_lock(&f->who_lock);
    if (!f->who_set[part]) {
        f->who[part] = pthread_self();
        f->who_set[part] = 1;
    } else if (!pthread_equal(f->who[part], pthread_self())) {
        atomic_fetch_add(&f->moved, 1);
    }
    pthread_mutex_unlock(&f->who_lock);
    if (w->first != first || w->count != count || w->value != mix((uint64_t)first) ||
        count != expected_count(f, first))
        atomic_fetch_add(&f->bad_worker, 1);
    long long b = block_of(f, first);
    ree_status st = REE_OK;
    if (b == f->mslow_block && part > 0) {
        int now = atomic_fetch_add(&f->in_slow, 1) + 1;
        for (int m = atomic_load(&f->most_slow); now > m;)
            if (atomic_compare_exchange_weak(&f->most_slow, &m, now))
                break;
        sleep_us(20000);
        atomic_fetch_sub(&f->in_slow, 1);
    }
    int mpart = f->mfail_part == -2 ? parts_of(f) - 1 : f->mfail_part; /* -2: the last part */
    if (b == f->mfail_block && part == mpart) {
        snprintf(err, errlen, "merge of part %d of block %lld failed", part, b);
        st = REE_EIO;
    } else {
        int i = atomic_fetch_add(&f->nlog[part], 1);
        if (i < MAXB)
            f->log[part][i] = first;
        if (mix((uint64_t)first ^ f->seed) % 4 == 0) /* widen the window for an overlap */
            sleep_us(50);
    }
    atomic_store(&f->busy[part], 0);
    return st;
}

static ree_status merge(void *ctx, void *w, long long first, int count, char *err, size_t errlen)
{
    return merge_part(ctx, w, first, count, 0, err, errlen);
}

static int split(void *ctx, int want)
{
    fake *f = ctx;
    f->want = want;
    f->nparts = want < f->k ? want : f->k;
    return f->nparts;
}

static void progress(void *arg, long long done, long long total)
{
    fake *f = arg;
    if (total != f->nruns)
        atomic_fetch_add(&f->progress_bad, 1);
    int i = atomic_fetch_add(&f->nprogress, 1);
    if (i <= MAXB)
        f->progress[i] = done;
}

static void fake_init(fake *f, int k, long long first_run, long long nruns, unsigned seed)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->who_lock, NULL);
    f->caller = pthread_self();
    f->k = k;
    f->first_run = first_run;
    f->nruns = nruns;
    f->seed = seed;
    f->fail_at[0] = f->fail_at[1] = f->fail_from = f->slow_block = f->mfail_block = -1;
    f->mslow_block = -1;
    f->cancel_at = -1;
}

static ree_status run(fake *f, int threads, long long offset, long long stride, char *err,
                      size_t errlen)
{
    ree_exec_ops ops = {.ctx = f, .worker_alloc = w_alloc, .worker_free = w_free, .block = block};
    if (f->k) {
        ops.split = split;
        ops.merge_part = merge_part;
    } else {
        ops.merge = merge;
    }
    ree_exec_opts o = {.first_run = f->first_run,
                       .nruns = f->nruns,
                       .threads = threads,
                       .cancel = f->cancel,
                       .progress = progress,
                       .progress_arg = f,
                       .block_offset = offset,
                       .block_stride = stride};
    err[0] = 0;
    ree_status st = ree_exec_run(&ops, &o, err, errlen);
    assert_int_equal(atomic_load(&f->allocs), atomic_load(&f->frees));
    assert_int_equal(atomic_load(&f->overlap), 0);
    assert_int_equal(atomic_load(&f->bad_worker), 0);
    assert_int_equal(atomic_load(&f->progress_bad), 0);
    return st;
}

/* Every part merged exactly blocks offset, offset + stride, ... (below `upto`, in that order). */
static void assert_logs(const fake *f, long long nblocks, long long offset, long long stride,
                        long long upto)
{
    for (int p = 0; p < parts_of(f); p++) {
        int n = 0;
        for (long long b = offset; b < nblocks && b < upto; b += stride, n++) {
            assert_true(n < atomic_load(&f->nlog[p]));
            assert_int_equal(f->log[p][n], f->first_run + b * REE_EXEC_BLOCK);
        }
        assert_int_equal(atomic_load(&f->nlog[p]), n);
    }
}

static const int ks[] = {0, 1, 2, 5};

/* Whether OpenMP must grant a team of `threads`: not with OMP_DYNAMIC, nor above
 * OMP_THREAD_LIMIT. */
static int granted_all(int threads)
{
    return !omp_get_dynamic() && omp_get_thread_limit() >= threads;
}

/* Success: every part sees every block once, in block order; progress grows to the end. */
static void check_success(long long first_run, long long nruns, long long offset, long long stride)
{
    long long nblocks = (nruns + REE_EXEC_BLOCK - 1) / REE_EXEC_BLOCK;
    long long s = stride > 0 ? stride : 1;
    long long nlocal = nblocks > offset ? (nblocks - offset + s - 1) / s : 0;
    for (int threads = 1; threads <= 4; threads++)
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
            for (unsigned seed = 1; seed <= 2; seed++) {
                fake *f = malloc(sizeof *f);
                assert_non_null(f);
                fake_init(f, ks[ki], first_run, nruns, seed * 7919u + (unsigned)threads);
                char err[256];
                assert_int_equal(run(f, threads, offset, stride, err, sizeof err), REE_OK);
                if (ks[ki]) {
                    assert_true(f->want >= 1);
                    assert_int_equal(f->nparts, f->want < ks[ki] ? f->want : ks[ki]);
                }
                assert_int_equal(atomic_load(&f->ran), nlocal);
                assert_logs(f, nblocks, offset, s, nblocks);
                /* With a part per thread or more, each part is merged by one thread, its owner
                 * (exec.c: its share of the totals stays in one core's cache), when OpenMP
                 * granted every thread asked for (without, exec.c gives parts no owners). */
                int team = threads < nlocal ? threads : (int)nlocal;
                /* the team asked for, unless the environment may shrink it: so an executor
                 * that asks for the wrong number of threads still fails here */
                if (granted_all(team))
                    assert_int_equal(atomic_load(&f->team), team > 1 ? team : 1);
                if (ks[ki] && team > 1 && f->nparts >= team && atomic_load(&f->team) == team)
                    assert_int_equal(atomic_load(&f->moved), 0);
                /* progress: once per block, increasing, ending at the last local block's end */
                assert_int_equal(atomic_load(&f->nprogress), nlocal);
                for (int i = 1; i < nlocal; i++)
                    assert_true(f->progress[i] > f->progress[i - 1]);
                if (nlocal > 0) {
                    long long last = offset + (nlocal - 1) * s;
                    long long end = (last + 1) * REE_EXEC_BLOCK;
                    assert_int_equal(f->progress[nlocal - 1], end < nruns ? end : nruns);
                }
                free(f);
            }
}

static void test_success_full_blocks(void **state)
{
    (void)state;
    check_success(0, 40 * REE_EXEC_BLOCK, 0, 0);
}

static void test_success_partial_last_block(void **state)
{
    (void)state;
    check_success(0, 21 * REE_EXEC_BLOCK + 17, 0, 0);
}

static void test_success_first_run_offset(void **state)
{
    (void)state;
    check_success(1000003, 13 * REE_EXEC_BLOCK + 1, 0, 0);
}

static void test_success_few_blocks(void **state)
{
    (void)state;
    check_success(0, 1, 0, 0);                  /* one run */
    check_success(5, 2 * REE_EXEC_BLOCK, 0, 0); /* fewer blocks than threads */
    check_success(0, 3 * REE_EXEC_BLOCK - 1, 0, 0);
}

static void test_zero_runs(void **state)
{
    (void)state;
    check_success(0, 0, 0, 0);
    check_success(64, 0, 0, 0);
}

/* Sweeps run blocks offset, offset + stride, ... of each case in a process. */
static void test_block_offset_stride(void **state)
{
    (void)state;
    check_success(0, 30 * REE_EXEC_BLOCK + 3, 1, 3);
    check_success(128, 30 * REE_EXEC_BLOCK, 0, 4);
    check_success(0, 30 * REE_EXEC_BLOCK, 2, 2);
    check_success(0, 3 * REE_EXEC_BLOCK, 5, 2); /* offset past the last block: nothing */
    check_success(0, 2 * REE_EXEC_BLOCK, 1, 7); /* one block, the last */
}

/* The failure that decides: status `st`, message `msg`; no part merged block `k` or later. */
static void check_failure(fake *f, int threads, long long nblocks, long long k, ree_status st,
                          const char *msg)
{
    char err[256];
    assert_int_equal(run(f, threads, 0, 0, err, sizeof err), st);
    assert_string_equal(err, msg);
    for (int p = 0; p < parts_of(f); p++) {
        int n = atomic_load(&f->nlog[p]);
        for (int i = 0; i < n; i++) {
            assert_int_equal(f->log[p][i], f->first_run + (long long)i * REE_EXEC_BLOCK);
            assert_true(i < k);
        }
    }
    (void)nblocks;
}

/* block() fails at block 7, and later at block 9, which finishes long before (block 7 sleeps):
 * block 7's status and message, for every thread count. */
static void test_first_failing_block_decides(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 4; threads++)
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
            fake *f = malloc(sizeof *f);
            assert_non_null(f);
            fake_init(f, ks[ki], 640, 20 * REE_EXEC_BLOCK, 11u * (unsigned)threads);
            f->fail_at[0] = 7, f->fail_st[0] = REE_EBALANCE;
            f->fail_at[1] = 9, f->fail_st[1] = REE_ENONFINITE;
            f->slow_block = 7, f->slow_ms = 30;
            check_failure(f, threads, 20, 7, REE_EBALANCE, "block 7 failed");
            free(f);
        }
}

/* Every block from 6 on fails at once, while block 4 sleeps and then fails: block 4 decides. */
static void test_earlier_slow_failure_beats_many_fast_ones(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 4; threads++)
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
            fake *f = malloc(sizeof *f);
            assert_non_null(f);
            fake_init(f, ks[ki], 0, 30 * REE_EXEC_BLOCK, 3u + (unsigned)threads);
            f->fail_at[0] = 4, f->fail_st[0] = REE_EIO;
            f->fail_from = 6;
            f->slow_block = 4, f->slow_ms = 30;
            check_failure(f, threads, 30, 4, REE_EIO, "block 4 failed");
            free(f);
        }
}

/* The merge of part p (part 0, and the last part) of block 5 fails: reported, for every thread
 * count; then the same with every block from 7 on failing in block() long before block 5 is
 * merged (block 5 is slow to run, and to merge its parts after part 0, so block 7's failure
 * reaches part 0 first). The first failure in block order is the merge's. */
static void test_merge_failure(void **state)
{
    (void)state;
    for (int later = 0; later <= 1; later++)
        for (int threads = 1; threads <= 4; threads++)
            for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
                for (int which = 0; which <= 1; which++) {
                    fake *f = malloc(sizeof *f);
                    assert_non_null(f);
                    fake_init(f, ks[ki], 0, 16 * REE_EXEC_BLOCK, 5u * (unsigned)threads);
                    f->mfail_block = 5;
                    f->mfail_part = which ? -2 : 0;
                    if (later) {
                        f->fail_from = 7;
                        f->slow_block = 5, f->slow_ms = 30;
                        f->mslow_block = 5; /* blocks 6 and 7 reach part 0 meanwhile */
                    }
                    char err[256];
                    ree_status st = run(f, threads, 0, 0, err, sizeof err);
                    int mpart = which ? parts_of(f) - 1 : 0;
                    char msg[128];
                    snprintf(msg, sizeof msg, "merge of part %d of block 5 failed", mpart);
                    assert_int_equal(st, REE_EIO);
                    assert_string_equal(err, msg);
                    /* in block order; the failing part stops before block 5, and no part
                     * merges a block whose run failed (7 and up). Other parts may have merged
                     * block 5 and later ones before the failure was seen: any thread merges any
                     * ready part of any block. */
                    for (int p = 0; p < parts_of(f); p++) {
                        int n = atomic_load(&f->nlog[p]);
                        if (p == mpart)
                            assert_true(n <= 5);
                        if (later)
                            assert_true(n <= 7);
                        for (int i = 0; i < n; i++)
                            assert_int_equal(f->log[p][i], (long long)i * REE_EXEC_BLOCK);
                    }
                    free(f);
                }
}

/* The parts of one block are merged by several threads at once: block 3's merges of parts 1 to 4
 * each take 20 ms, blocks run in under 0.4 ms, so another thread is free to take a part of block 3
 * while one sleeps in another (before, the thread that ran a block merged all its parts). */
static void test_parts_of_a_block_merge_at_once(void **state)
{
    (void)state;
    for (int threads = 2; threads <= 4; threads++) {
        fake *f = malloc(sizeof *f);
        assert_non_null(f);
        fake_init(f, 5, 0, 12 * REE_EXEC_BLOCK, 23u);
        f->mslow_block = 3;
        char err[256];
        assert_int_equal(run(f, threads, 0, 0, err, sizeof err), REE_OK);
        assert_int_equal(f->nparts, 5);
        assert_logs(f, 12, 0, 1, 12);
        if (granted_all(threads))
            assert_int_equal(atomic_load(&f->team), threads);
        if (atomic_load(&f->team) >= 2) /* not when OMP_THREAD_LIMIT=1 keeps one thread */
            assert_true(atomic_load(&f->most_slow) >= 2);
        free(f);
    }
}

/* The team's threads allocate the workers, not the caller alone one after another (a worker
 * costs milliseconds, so that was a serial start of the run growing with the threads): with T
 * threads and owners, 2T workers, of which T - 1 pairs on the threads other than the caller; at
 * least one is asked for. */
static void test_workers_allocated_by_the_team(void **state)
{
    (void)state;
    for (int threads = 2; threads <= 4; threads++) {
        fake *f = malloc(sizeof *f);
        assert_non_null(f);
        fake_init(f, 8, 0, 12 * REE_EXEC_BLOCK, 5u);
        char err[256];
        assert_int_equal(run(f, threads, 0, 0, err, sizeof err), REE_OK);
        assert_int_equal(atomic_load(&f->allocs), 2 * threads);
        /* unless the environment keeps the team to one thread (OMP_THREAD_LIMIT, OMP_DYNAMIC) */
        if (omp_get_thread_limit() >= 2 && !omp_get_dynamic())
            assert_true(atomic_load(&f->allocs_elsewhere) >= 1);
        assert_logs(f, 12, 0, 1, 12);
        free(f);
    }
}

/* A cancel seen before a block stops the run with REE_EINTERRUPTED: set from block 3, and set
 * before the start (no block runs). */
static void test_cancel(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 4; threads++)
        for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
            volatile sig_atomic_t cancel = 0;
            fake *f = malloc(sizeof *f);
            assert_non_null(f);
            fake_init(f, ks[ki], 0, 40 * REE_EXEC_BLOCK, 17u);
            f->cancel = &cancel;
            f->cancel_at = 3;
            char err[256];
            assert_int_equal(run(f, threads, 0, 0, err, sizeof err), REE_EINTERRUPTED);
            assert_string_equal(err, "interrupted");
            /* blocks are polled before they start: at most those already started ran */
            assert_true(atomic_load(&f->ran) < 40);
            fake_init(f, ks[ki], 0, 40 * REE_EXEC_BLOCK, 17u);
            f->cancel = &cancel; /* still set */
            assert_int_equal(run(f, threads, 0, 0, err, sizeof err), REE_EINTERRUPTED);
            assert_int_equal(atomic_load(&f->ran), 0);
            for (int p = 0; p < parts_of(f); p++)
                assert_int_equal(atomic_load(&f->nlog[p]), 0);
            free(f);
        }
}

/* A worker that cannot be allocated: REE_ENOMEM, and the ones allocated are freed (run()). */
static void *w_alloc_second_fails(void *ctx)
{
    fake *f = ctx;
    if (atomic_load(&f->allocs) >= 1)
        return NULL;
    return w_alloc(ctx);
}

static void test_worker_alloc_fails(void **state)
{
    (void)state;
    fake *f = malloc(sizeof *f);
    assert_non_null(f);
    fake_init(f, 2, 0, 10 * REE_EXEC_BLOCK, 1);
    ree_exec_ops ops = {.ctx = f,
                        .worker_alloc = w_alloc_second_fails,
                        .worker_free = w_free,
                        .block = block,
                        .split = split,
                        .merge_part = merge_part};
    ree_exec_opts o = {.nruns = f->nruns, .threads = 3};
    char err[256] = "";
    assert_int_equal(ree_exec_run(&ops, &o, err, sizeof err), REE_ENOMEM);
    assert_true(err[0] != 0);
    assert_int_equal(atomic_load(&f->allocs), atomic_load(&f->frees));
    assert_int_equal(atomic_load(&f->ran), 0);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_full_blocks),
        cmocka_unit_test(test_success_partial_last_block),
        cmocka_unit_test(test_success_first_run_offset),
        cmocka_unit_test(test_success_few_blocks),
        cmocka_unit_test(test_zero_runs),
        cmocka_unit_test(test_block_offset_stride),
        cmocka_unit_test(test_first_failing_block_decides),
        cmocka_unit_test(test_earlier_slow_failure_beats_many_fast_ones),
        cmocka_unit_test(test_merge_failure),
        cmocka_unit_test(test_parts_of_a_block_merge_at_once),
        cmocka_unit_test(test_workers_allocated_by_the_team),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_worker_alloc_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
