/* The block executor (see exec.h). */
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "exec.h"

/* A workspace of the pool and the block it holds. The ring of `nslot` slots holds the blocks
 * taken and not yet merged in every part: local block i is in slot i % nslot, so a block is taken
 * only when the block nslot before it is merged in every part (the window). */
enum { SLOT_FREE, SLOT_RUNNING, SLOT_READY };
typedef struct slot {
    void *w;
    int state;
    int left; /* parts of its block not yet merged (or skipped) */
    long long first;
    int count;
} slot;

/* Everything below `m` is read and written with `m` held. */
typedef struct sched {
    pthread_mutex_t m;
    pthread_cond_t cv; /* broadcast on every change a waiting thread could use */
    slot *ring;
    int nslot, nparts;
    int owners;      /* > 0: part p is merged only by thread p % owners (see ree_exec_run) */
    long long next;  /* next local block to take */
    long long *turn; /* per part: the local block it merges next */
    char *busy;      /* per part: a thread is merging it */
    /* The first failure in block order (then part order) wins, whichever thread saw it first:
     * blocks after it are neither taken nor merged; blocks before it still are (their parts may
     * fail first in block order). (nlocal, 0): none yet. */
    long long fblock;
    int fpart;
    ree_status fstatus;
} sched;

static void record(sched *s, long long i, int part, ree_status st, const char *msg, char *err,
                   size_t errlen)
{
    if (i < s->fblock || (i == s->fblock && part < s->fpart)) {
        s->fblock = i;
        s->fpart = part;
        s->fstatus = st;
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

/* The part whose next block is run and waiting, the oldest such block first (to free its slot
 * soonest), or -1; only the parts thread `tid` owns, when parts have owners. */
static int ready_part(const sched *s, int tid)
{
    int best = -1;
    for (int p = 0; p < s->nparts; p++) {
        long long t = s->turn[p];
        if ((s->owners > 0 && p % s->owners != tid) || s->busy[p] || t >= s->next ||
            s->ring[t % s->nslot].state != SLOT_READY)
            continue;
        if (best < 0 || t < s->turn[best])
            best = p;
    }
    return best;
}

/* One thread's loop: merge a part whose block is ready, else run the next block if its slot is
 * free, else wait; until every block taken is merged and no more is to be taken. */
static void work(sched *s, const ree_exec_ops *ops, const ree_exec_opts *o, long long nlocal,
                 long long b0, long long stride, char *err, size_t errlen)
{
    char berr[512];
    int tid = omp_get_thread_num();
    pthread_mutex_lock(&s->m);
    for (;;) {
        int p = ready_part(s, tid);
        if (p >= 0) {
            long long t = s->turn[p];
            slot *sl = &s->ring[t % s->nslot];
            int skip = t > s->fblock || (t == s->fblock && p >= s->fpart);
            s->busy[p] = 1;
            pthread_mutex_unlock(&s->m);
            ree_status st = REE_OK;
            berr[0] = 0;
            if (!skip)
                st = merge_one(ops, sl->w, sl->first, sl->count, p, berr, sizeof berr);
            /* part 0's merges are one at a time and in block order, so is progress */
            if (!skip && st == REE_OK && p == 0 && o->progress)
                o->progress(o->progress_arg, sl->first - o->first_run + sl->count, o->nruns);
            pthread_mutex_lock(&s->m);
            if (st != REE_OK)
                record(s, t, p, st, berr, err, errlen);
            s->turn[p] = t + 1;
            s->busy[p] = 0;
            if (--sl->left == 0)
                sl->state = SLOT_FREE;
            pthread_cond_broadcast(&s->cv);
            continue;
        }
        long long end = s->fblock < nlocal ? s->fblock + 1 : nlocal;
        if (s->next < end && s->ring[s->next % s->nslot].state == SLOT_FREE) {
            long long i = s->next++;
            slot *sl = &s->ring[i % s->nslot];
            long long off = (b0 + i * stride) * REE_EXEC_BLOCK;
            sl->state = SLOT_RUNNING;
            sl->first = o->first_run + off;
            sl->count = (int)(o->nruns - off < REE_EXEC_BLOCK ? o->nruns - off : REE_EXEC_BLOCK);
            pthread_mutex_unlock(&s->m);
            ree_status bs = REE_OK;
            berr[0] = 0;
            if (o->cancel && *o->cancel)
                bs = REE_EINTERRUPTED;
            else
                bs = ops->block(ops->ctx, sl->w, sl->first, sl->count, berr, sizeof berr);
            if (bs == REE_EINTERRUPTED && !*berr)
                snprintf(berr, sizeof berr, "interrupted");
            pthread_mutex_lock(&s->m);
            if (bs != REE_OK)
                record(s, i, 0, bs, berr, err, errlen); /* its parts are skipped */
            sl->state = SLOT_READY;
            sl->left = s->nparts;
            pthread_cond_broadcast(&s->cv);
            continue;
        }
        int merged = 1; /* every part has merged every block taken */
        for (int q = 0; q < s->nparts && merged; q++)
            merged = s->turn[q] == s->next;
        if (merged && s->next >= end)
            break;
        pthread_cond_wait(&s->cv, &s->m);
    }
    pthread_mutex_unlock(&s->m);
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
    /* Parts of the merge: with several threads, four per thread, so that the parts of one block
     * are merged by several threads at once, and one part of a block while another block runs. */
    int nparts = 1;
    if (ops->split && !(nparts = ops->split(ops->ctx, nthreads > 1 ? 4 * nthreads : 1))) {
        snprintf(err, errlen, "out of memory setting up the merge");
        return REE_ENOMEM;
    }
    /* Parts with owners: with at least one part per thread, part p is merged only by thread
     * p % nthreads, so that its share of the totals stays in one core's cache (unowned, the
     * totals' cache lines moved between the cores: the gate example's statistics took twice the
     * CPU at -j2 as at -j1, bench/HISTORY.md, stop 17). A thread then merges its parts of a block
     * only when it is not running one, so a block waits longer to be merged in every part: two
     * workspaces (slots) per thread keep the threads running meanwhile. Without owners, one per
     * thread: a second one was measured to gain nothing then (historical-2025, chain, gate; -j2,
     * 5 to 8 repeats), since a thread with a block to merge helped merge it. */
    int owners = nthreads > 1 && nparts >= nthreads ? nthreads : 0;
    int nslot = owners ? 2 * nthreads : nthreads;
    sched s = {
        .nslot = nslot, .nparts = nparts, .owners = owners, .fblock = nlocal, .fstatus = REE_OK};
    s.ring = calloc((size_t)nslot, sizeof *s.ring);
    s.turn = calloc((size_t)nparts, sizeof *s.turn);
    s.busy = calloc((size_t)nparts, 1);
    if (!s.ring || !s.turn || !s.busy) {
        snprintf(err, errlen, "out of memory setting up %d threads", nthreads);
        s.fstatus = REE_ENOMEM;
    }
    int ready = 0; /* every worker allocated: written once, in the single below */
    if (s.fstatus == REE_OK) {
        pthread_mutex_init(&s.m, NULL);
        pthread_cond_init(&s.cv, NULL);
#pragma omp parallel num_threads(nthreads)
        {
            /* Each thread allocates the workers of the slots i with i % (its team's size) == its
             * number. A worker (an 8-run lockstep workspace, a block's staging) took 4-5 ms to
             * allocate and first touch on the chain and 9-13 ms on historical-2025, so one
             * thread allocating all 2T was a serial start growing with T: the chain's main
             * thread ran alone for its first 31 ms at -j2, 11 ms since (perf sched;
             * bench/HISTORY.md, stop 26). A worker's pages are then first touched, and on a NUMA
             * machine placed, by one of the threads that use the workers. */
            int tid = omp_get_thread_num(), nt = omp_get_num_threads();
            for (int i = tid; i < nslot; i += nt)
                s.ring[i].w = ops->worker_alloc(ops->ctx);
#pragma omp barrier
#pragma omp single
            {
                /* Owners need every thread asked for: a part whose owner is missing would wait. */
                if (s.owners && nt != s.owners)
                    s.owners = 0;
                ready = 1;
                for (int i = 0; i < nslot && ready; i++)
                    if (!s.ring[i].w) {
                        snprintf(err, errlen,
                                 "out of memory setting up the workspace of thread %d of %d",
                                 i % nt + 1, nt);
                        s.fstatus = REE_ENOMEM;
                        ready = 0;
                    }
            } /* the single's barrier: every thread sees owners and ready. Not fstatus: a thread
               * in work() may already have changed it (record) when another reads it. */
            if (ready)
                work(&s, ops, o, nlocal, b0, stride, err, errlen);
        }
        pthread_cond_destroy(&s.cv);
        pthread_mutex_destroy(&s.m);
    }
    for (int i = 0; s.ring && i < nslot; i++)
        if (s.ring[i].w)
            ops->worker_free(ops->ctx, s.ring[i].w);
    free(s.ring);
    free(s.turn);
    free(s.busy);
    return s.fstatus;
}
