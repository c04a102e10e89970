/*
 * The block executor across MPI ranks (see exec.h). This is the only file that knows MPI; built
 * without -DREESIM_MPI=ON it is one rank and nothing else (the stubs at the end).
 *
 * Protocol, on a communicator duplicated for each call (so nothing left over from one call can
 * reach the next):
 *   - block b belongs to rank b % ranks (a static cyclic assignment); every rank runs its blocks
 *     on its OpenMP threads with the ordinary executor (block_offset = rank, block_stride = ranks);
 *   - a rank other than 0, in its own block order (the executor's ordered merge), sends READY
 *     (block, status, count, message) to rank 0 and waits; rank 0 answers GO when it is that
 *     block's turn to merge, or STOP; after GO the rank sends DATA, the packed block result
 *     (ops->pack). So a rank holds at most `threads` finished blocks ahead of rank 0's merge;
 *   - rank 0 merges every block strictly in block order: its own from its worker, the others
 *     unpacked (ops->unpack) into a scratch worker; between two of its own blocks it waits for the
 *     others' READY (polling, so an interruption of rank 0 is seen while it waits);
 *   - a failed block travels in READY with its message; a rank that stops early (interrupted, out
 *     of memory) reports that status for its next block. Rank 0 stops at the first failure in
 *     block order, sends STOP to every rank, and broadcasts the final status and message.
 * The merge sequence is exactly that of one process: the result is byte-identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"

#ifdef REESIM_MPI
#include <fcntl.h>
#include <mpi.h>
#include <time.h>
#include <unistd.h>

static int joined, my_rank, nranks = 1;

int ree_ranks_init(int *argc, char ***argv, char *err, size_t errlen)
{
    /* Only under a launcher: a plain `reesim run` in an MPI build stays one process. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK") &&
        !getenv("PMI_RANK"))
        return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "cannot join the MPI job");
        return -1;
    }
    joined = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    if (provided < MPI_THREAD_SERIALIZED) {
        snprintf(err, errlen, "the MPI library does not allow calls from threads");
        return -1;
    }
    return 0;
}

void ree_ranks_finalize(void)
{
    if (joined)
        MPI_Finalize();
    joined = 0;
}

int ree_rank(void)
{
    return my_rank;
}

int ree_ranks(void)
{
    return nranks;
}

ree_status ree_ranks_share(ree_status st)
{
    if (nranks < 2)
        return st;
    int v = (int)st;
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return (ree_status)v;
}

enum { TAG_READY = 1, TAG_GO = 2, TAG_DATA = 3 };
#define MSG 480

typedef struct head {
    long long block;
    int status, count;
    char msg[MSG];
} head;

/* A worker of the wrapped executor: the caller's worker and its block's status. */
typedef struct wrap {
    void *inner;
    ree_status st;
    char msg[MSG];
} wrap;

typedef struct mjob {
    const ree_exec_ops *ops;
    const ree_exec_opts *o;
    MPI_Comm comm;
    int rank, n;
    long long nblocks;
    long long next;         /* rank 0: next block to merge; others: next own block to report */
    int reported;           /* others: a failure or a STOP ended this rank's reports */
    void *scratch;          /* rank 0: the caller's worker that receives other ranks' blocks */
    long long nrecv, bytes; /* rank 0: blocks received and their packed bytes */
} mjob;

static int block_count(const mjob *j, long long b)
{
    long long left = j->o->nruns - b * REE_EXEC_BLOCK;
    return (int)(left < REE_EXEC_BLOCK ? left : REE_EXEC_BLOCK);
}

static void *w_alloc(void *ctx)
{
    const mjob *j = ctx;
    wrap *w = calloc(1, sizeof *w);
    if (w && !(w->inner = j->ops->worker_alloc(j->ops->ctx))) {
        free(w);
        return NULL;
    }
    return w;
}

static void w_free(void *ctx, void *wp)
{
    const mjob *j = ctx;
    wrap *w = wp;
    if (!w)
        return;
    j->ops->worker_free(j->ops->ctx, w->inner);
    free(w);
}

/* The block's failure is kept for the ordered merge, where it is reported in block order. */
static ree_status w_block(void *ctx, void *wp, long long first, int count, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    const mjob *j = ctx;
    wrap *w = wp;
    w->msg[0] = 0;
    w->st = j->ops->block(j->ops->ctx, w->inner, first, count, w->msg, sizeof w->msg);
    if (w->st == REE_EINTERRUPTED && !w->msg[0])
        snprintf(w->msg, sizeof w->msg, "interrupted");
    return REE_OK;
}

static void merged(const mjob *j, long long b)
{
    if (j->o->progress)
        j->o->progress(j->o->progress_arg, b * REE_EXEC_BLOCK + block_count(j, b), j->o->nruns);
}

/* Rank 0: wait for a message while watching for an interruption. */
static ree_status wait_for(const mjob *j, int src, int tag)
{
    long ns = 1000;
    for (;;) {
        int flag = 0;
        MPI_Iprobe(src, tag, j->comm, &flag, MPI_STATUS_IGNORE);
        if (flag)
            return REE_OK;
        if (j->o->cancel && *j->o->cancel)
            return REE_EINTERRUPTED;
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
        if (ns < 1000000)
            ns *= 2;
    }
}

/* Rank 0: merge the other ranks' blocks before block `upto`, in block order. */
static ree_status drain(mjob *j, long long upto, char *err, size_t errlen)
{
    const ree_exec_ops *ops = j->ops;
    while (j->next < upto) {
        long long b = j->next;
        int src = (int)(b % j->n), count = block_count(j, b);
        if (wait_for(j, src, TAG_READY) != REE_OK) {
            snprintf(err, errlen, "interrupted");
            return REE_EINTERRUPTED;
        }
        head h;
        MPI_Recv(&h, (int)sizeof h, MPI_BYTE, src, TAG_READY, j->comm, MPI_STATUS_IGNORE);
        if (h.status != REE_OK) {
            snprintf(err, errlen, "%.*s", MSG - 1, h.msg);
            return (ree_status)h.status;
        }
        if (h.block != b || h.count != count) {
            snprintf(err, errlen, "rank %d sent block %lld when block %lld was due", src, h.block,
                     b);
            return REE_EINTERNAL;
        }
        MPI_Send(&b, 1, MPI_LONG_LONG, src, TAG_GO, j->comm);
        MPI_Status ms;
        int len = 0;
        MPI_Probe(src, TAG_DATA, j->comm, &ms);
        MPI_Get_count(&ms, MPI_BYTE, &len);
        unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf) { /* cannot take the message: nothing sensible is left but to end the job */
            fprintf(stderr, "reesim: out of memory receiving block %lld from rank %d\n", b, src);
            MPI_Abort(MPI_COMM_WORLD, 71);
        }
        MPI_Recv(buf, len, MPI_BYTE, src, TAG_DATA, j->comm, MPI_STATUS_IGNORE);
        ree_status st;
        if (len == 0) {
            st = REE_ENOMEM;
            snprintf(err, errlen, "rank %d ran out of memory packing block %lld", src, b);
        } else {
            st = ops->unpack(ops->ctx, j->scratch, count, buf, (size_t)len);
            if (st != REE_OK)
                snprintf(err, errlen, "cannot read block %lld from rank %d (%d bytes)", b, src,
                         len);
        }
        free(buf);
        j->nrecv++;
        j->bytes += len;
        if (st == REE_OK)
            st = ops->merge(ops->ctx, j->scratch, b * REE_EXEC_BLOCK + j->o->first_run, count, err,
                            errlen);
        if (st != REE_OK)
            return st;
        merged(j, b);
        j->next = b + 1;
    }
    return REE_OK;
}

static ree_status merge_root(void *ctx, void *wp, long long first, int count, char *err,
                             size_t errlen)
{
    mjob *j = ctx;
    wrap *w = wp;
    long long b = (first - j->o->first_run) / REE_EXEC_BLOCK;
    ree_status st = drain(j, b, err, errlen);
    if (st != REE_OK)
        return st;
    if (w->st != REE_OK) {
        snprintf(err, errlen, "%s", w->msg);
        return w->st;
    }
    st = j->ops->merge(j->ops->ctx, w->inner, first, count, err, errlen);
    if (st == REE_OK) {
        merged(j, b);
        j->next = b + 1;
    }
    return st;
}

static void report(mjob *j, long long b, ree_status st, int count, const char *msg)
{
    head h;
    memset(&h, 0, sizeof h);
    h.block = b;
    h.status = (int)st;
    h.count = count;
    snprintf(h.msg, sizeof h.msg, "%s", msg);
    MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_READY, j->comm);
}

/* Other ranks: report the block, and ship it when rank 0 asks (GO), or stop (STOP). */
static ree_status merge_other(void *ctx, void *wp, long long first, int count, char *err,
                              size_t errlen)
{
    mjob *j = ctx;
    wrap *w = wp;
    long long b = (first - j->o->first_run) / REE_EXEC_BLOCK;
    report(j, b, w->st, count, w->msg);
    j->next = b + j->n;
    if (w->st != REE_OK) {
        j->reported = 1;
        snprintf(err, errlen, "%s", w->msg);
        return w->st;
    }
    long long go = -1;
    MPI_Recv(&go, 1, MPI_LONG_LONG, 0, TAG_GO, j->comm, MPI_STATUS_IGNORE);
    if (go != b) {
        j->reported = 1;
        snprintf(err, errlen, "stopped by rank 0");
        return REE_EINTERRUPTED;
    }
    size_t len = 0;
    void *buf = j->ops->pack(j->ops->ctx, w->inner, count, &len);
    if (buf && len > (size_t)0x7fffffff) {
        free(buf);
        buf = NULL;
    }
    MPI_Send(buf, buf ? (int)len : 0, MPI_BYTE, 0, TAG_DATA, j->comm); /* 0 bytes: no memory */
    free(buf);
    return REE_OK;
}

ree_status ree_exec_mpi_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err,
                            size_t errlen)
{
    if (!ops->pack || !ops->unpack) {
        snprintf(err, errlen, "this computation cannot run on several MPI ranks");
        return REE_EINTERNAL;
    }
    mjob j = {.ops = ops, .o = o, .rank = my_rank, .n = nranks};
    j.nblocks = (o->nruns + REE_EXEC_BLOCK - 1) / REE_EXEC_BLOCK;
    j.next = j.rank == 0 ? 0 : j.rank;
    MPI_Comm_dup(MPI_COMM_WORLD, &j.comm);
    ree_exec_ops w = {.ctx = &j,
                      .worker_alloc = w_alloc,
                      .worker_free = w_free,
                      .block = w_block,
                      .merge = j.rank == 0 ? merge_root : merge_other};
    ree_exec_opts lo = *o;
    lo.progress = NULL;
    lo.block_offset = j.rank;
    lo.block_stride = j.n;
    ree_status st = REE_OK;
    char msg[MSG] = "";
    if (j.rank == 0) {
        if (!(j.scratch = ops->worker_alloc(ops->ctx))) {
            st = REE_ENOMEM;
            snprintf(msg, sizeof msg, "out of memory setting up the workspace for other ranks");
        }
        if (st == REE_OK)
            st = ree_exec_run(&w, &lo, msg, sizeof msg);
        if (st == REE_OK)
            st = drain(&j, j.nblocks, msg, sizeof msg);
        if (j.scratch)
            ops->worker_free(ops->ctx, j.scratch);
        if (ree_ranks_trace()) /* docs/cluster.md: the figures of the estimate */
            fprintf(
                ree_ranks_trace(),
                "reesim: mpi: %d ranks, %lld blocks, %lld received, %lld bytes (%.0f per block)\n",
                j.n, j.nblocks, j.nrecv, j.bytes,
                j.nrecv ? (double)j.bytes / (double)j.nrecv : 0.0);
        long long stop = -1;
        for (int r = 1; r < j.n; r++)
            MPI_Send(&stop, 1, MPI_LONG_LONG, r, TAG_GO, j.comm);
    } else {
        st = ree_exec_run(&w, &lo, msg, sizeof msg);
        if (st != REE_OK && !j.reported && j.next < j.nblocks) /* stopped before a block */
            report(&j, j.next, st, block_count(&j, j.next), msg);
    }
    head fin;
    memset(&fin, 0, sizeof fin);
    fin.status = (int)st;
    snprintf(fin.msg, sizeof fin.msg, "%s", msg);
    MPI_Bcast(&fin, (int)sizeof fin, MPI_BYTE, 0, j.comm);
    MPI_Comm_free(&j.comm);
    if (fin.status != REE_OK)
        snprintf(err, errlen, "%s", fin.msg);
    return (ree_status)fin.status;
}

#else /* one process: no MPI */

int ree_ranks_init(int *argc, char ***argv, char *err, size_t errlen)
{
    (void)argc, (void)argv, (void)err, (void)errlen;
    return 0;
}

void ree_ranks_finalize(void)
{
}

int ree_rank(void)
{
    return 0;
}

int ree_ranks(void)
{
    return 1;
}

ree_status ree_ranks_share(ree_status st)
{
    return st;
}

ree_status ree_exec_mpi_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err,
                            size_t errlen)
{
    (void)ops, (void)o;
    snprintf(err, errlen, "this reesim was built without MPI");
    return REE_EINTERNAL;
}

#endif

/* Broadcasts (exec.h), apart from the block protocol above. */
#ifdef REESIM_MPI
void ree_ranks_bcast(void *buf, size_t len)
{
    for (size_t done = 0; nranks > 1 && done < len;) { /* MPI counts are int */
        size_t part = len - done < (size_t)1 << 30 ? len - done : (size_t)1 << 30;
        MPI_Bcast((char *)buf + done, (int)part, MPI_BYTE, 0, MPI_COMM_WORLD);
        done += part;
    }
}

static FILE *trace_to;

void ree_ranks_set_trace(FILE *f)
{
    trace_to = f;
}

FILE *ree_ranks_trace(void)
{
    return trace_to;
}

int ree_ranks_max(int v)
{
    int m = v;
    if (nranks > 1)
        MPI_Allreduce(&v, &m, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return m;
}
#else
void ree_ranks_bcast(void *buf, size_t len)
{
    (void)buf, (void)len;
}

void ree_ranks_set_trace(FILE *f)
{
    (void)f;
}

FILE *ree_ranks_trace(void)
{
    return NULL;
}

int ree_ranks_max(int v)
{
    return v;
}
#endif
