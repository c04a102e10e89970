/* The block executor (see exec.h). */
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "exec.h"

/* Wait until *turn == i: the part's previous block is merged. A few yields, then sleeps growing to
 * 0.1 ms, so that a thread waiting for a slower block's run does not hold a core. */
static void wait_turn(atomic_llong *turn, long long i)
{
    long ns = 1000;
    for (int spins = 0; atomic_load_explicit(turn, memory_order_acquire) != i; spins++) {
        if (spins < 64) {
            sched_yield();
            continue;
        }
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
        ns = ns < 100000 ? 2 * ns : ns;
    }
}

/* The first failure in block order (then part order) wins, whichever thread saw it first.
 * `stop_at` mirrors `block` for the threads: blocks after it are neither run nor merged; blocks
 * before it still are (their later parts may fail first in block order). */
typedef struct failure {
    long long block;
    int part;
    ree_status status;
    atomic_llong stop_at;
} failure;

static void record(failure *f, long long i, int part, ree_status st, const char *msg, char *err,
                   size_t errlen)
{
#pragma omp critical(ree_exec_fail)
    if (i < f->block || (i == f->block && part < f->part)) {
        f->block = i;
        f->part = part;
        f->status = st;
        atomic_store(&f->stop_at, i);
        snprintf(err, errlen, "%s", msg);
    }
}

static ree_status merge_one(const ree_exec_ops *ops, void *w, long long first, int count, int part,
                            char *err, size_t errlen)
{
    if (ops->split)
        return ops->merge_part(ops->ctx, w, first, count, part, err, errlen);
    return ops->merge(ops->ctx, w, first, count, err, errlen);
}

ree_status ree_exec_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err, size_t errlen)
{
    if (o->block_stride < 1 && ree_ranks() > 1) /* the one hook: MPI ranks share the blocks */
        return ree_exec_mpi_run(ops, o, err, errlen);
    int nthreads = o->threads > 0 ? o->threads : 1;
    long long nblocks = (o->nruns + REE_EXEC_BLOCK - 1) / REE_EXEC_BLOCK;
    long long stride = o->block_stride > 0 ? o->block_stride : 1, b0 = o->block_offset;
    long long nlocal = nblocks > b0 ? (nblocks - b0 + stride - 1) / stride : 0;
    if (nlocal < (long long)nthreads)
        nthreads = nlocal > 0 ? (int)nlocal : 1;
    /* Parts of the merge: with several threads, four per thread, so that one thread's merge of a
     * part overlaps the others' merges of other parts (exec.h). */
    int nparts = 1;
    if (ops->split && !(nparts = ops->split(ops->ctx, nthreads > 1 ? 4 * nthreads : 1))) {
        snprintf(err, errlen, "out of memory setting up the merge");
        return REE_ENOMEM;
    }
    void **workers = calloc((size_t)nthreads, sizeof *workers);
    atomic_llong *turn = malloc((size_t)nparts * sizeof *turn);
    if (!workers || !turn) {
        free(workers);
        free(turn);
        snprintf(err, errlen, "out of memory setting up %d threads", nthreads);
        return REE_ENOMEM;
    }
    for (int p = 0; p < nparts; p++)
        atomic_init(&turn[p], 0);
    failure f = {.block = nlocal, .part = 0, .status = REE_OK};
    atomic_init(&f.stop_at, nlocal);
    for (int i = 0; i < nthreads && f.status == REE_OK; i++)
        if (!(workers[i] = ops->worker_alloc(ops->ctx))) {
            snprintf(err, errlen, "out of memory setting up the workspace of thread %d of %d",
                     i + 1, nthreads);
            f.status = REE_ENOMEM;
        }
    if (f.status == REE_OK) {
        atomic_llong next = 0;
#pragma omp parallel num_threads(nthreads)
        for (long long i; (i = atomic_fetch_add(&next, 1)) < nlocal;) {
            long long b = b0 + i * stride;
            void *w = workers[omp_get_thread_num()];
            long long off = b * REE_EXEC_BLOCK, first = o->first_run + off;
            int count = (int)(o->nruns - off < REE_EXEC_BLOCK ? o->nruns - off : REE_EXEC_BLOCK);
            char berr[512] = "";
            int skip = i > atomic_load(&f.stop_at); /* after the first failure so far */
            ree_status bs = REE_OK;
            if (!skip && o->cancel && *o->cancel)
                bs = REE_EINTERRUPTED;
            else if (!skip)
                bs = ops->block(ops->ctx, w, first, count, berr, sizeof berr);
            if (bs == REE_EINTERRUPTED && !*berr)
                snprintf(berr, sizeof berr, "interrupted");
            /* Part p of block i after part p of block i - 1: every part sees the blocks in
             * order. Blocks are taken in order (`next`), so the block before is always held by
             * a running thread and the wait ends. */
            for (int p = 0; p < nparts; p++) {
                wait_turn(&turn[p], i);
                skip = skip || i > atomic_load(&f.stop_at);
                if (!skip && bs == REE_OK)
                    bs = merge_one(ops, w, first, count, p, berr, sizeof berr);
                if (!skip && bs != REE_OK) {
                    record(&f, i, p, bs, berr, err, errlen);
                    skip = 1;
                }
                if (p == 0 && !skip && o->progress)
                    o->progress(o->progress_arg, off + count, o->nruns);
                atomic_store_explicit(&turn[p], i + 1, memory_order_release);
            }
        }
    }
    for (int i = 0; i < nthreads; i++)
        if (workers[i])
            ops->worker_free(ops->ctx, workers[i]);
    free(workers);
    free(turn);
    return f.status;
}
