/*
 * The block executor across MPI ranks (see exec.h). This is the only file that knows MPI; built
 * without -DREESIM_MPI=ON it is one rank and nothing else (the stubs at the end).
 *
 * Protocol, on a communicator duplicated for each call (so nothing left over from one call can
 * reach the next). Blocks are handed out dynamically, in ranges ("chunks") of `threads` blocks:
 *   - rank r starts with blocks [r chunk, (r + 1) chunk) without asking; as soon as it has
 *     started its last range it asks rank 0 for the next one (REQ), so it holds at most two;
 *     rank 0 answers with the lowest blocks not yet given (ASSIGN), or END when all are given.
 *     Rank 0 takes its own ranges the same way. A rank that finishes early asks again: cheap
 *     blocks (regime switching) make a rank take more of them, whoever it is;
 *   - rank 0 gives only blocks below next_merge + window (window = 4 x ranks x chunk blocks,
 *     <= 32,000), so at most `window` blocks are run and not yet merged: memory on every rank is
 *     bounded by the window, whatever the number of runs;
 *   - every rank runs its blocks on its OpenMP threads; a rank other than 0 packs each finished
 *     block (ops->pack) behind a header (block, status, message) and sends it to rank 0 without
 *     waiting, on the tag of its window slot (TAG_BLOCK0 + b % window: one block per tag at a
 *     time). Rank 0 merges every block strictly in block order: its own from its worker when it
 *     is next (else packed until it is), the others' received from their rank when they are next
 *     and unpacked (ops->unpack) into a scratch worker. So the merge sequence is exactly that of
 *     one process, whoever ran which block: the result is byte-identical;
 *   - MPI calls are made by one thread at a time (a critical section between blocks; threads
 *     with nothing to do poll with a short sleep), so MPI_THREAD_SERIALIZED is enough;
 *   - a failed block travels with its status and message and stops rank 0 when it is due (the
 *     first failure in block order, as one process); an interruption on any rank (ABORT) stops
 *     rank 0 at once. Rank 0 then sends STOP to every rank (or END after the last merge), keeps
 *     receiving (and dropping) blocks until every rank has said BYE, and broadcasts the final
 *     status and message.
 * REESIM_MPI_TRACE=1 makes rank 0 print blocks received, bytes and blocks run per rank;
 * REESIM_MPI_SLOW=R:MS makes rank R sleep MS ms after each block (tests of the assignment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"

#ifdef REESIM_MPI
#include <fcntl.h>
#include <mpi.h>
#include <omp.h>
#include <time.h>
#include <unistd.h>

static int joined, my_rank, nranks = 1;
static long slow_ms; /* ree_ranks_set_slow */

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

/* Messages to rank 0 on TAG_CTRL (a request for blocks, an interruption, the last word) and, for a
 * block, on the tag of its window slot (head, then the packed block when its status is REE_OK);
 * from rank 0 on TAG_DOWN (an assignment, or the end). */
enum { TAG_CTRL = 1, TAG_DOWN = 2, TAG_BLOCK0 = 16 };
enum { UP_REQ = 1, UP_DATA, UP_ABORT, UP_BYE };
enum { DOWN_ASSIGN = 1, DOWN_END, DOWN_STOP };
#define MSG        480
#define MAX_WINDOW 32000 /* the block tags TAG_BLOCK0 + b % window stay below MPI's 32767 */

typedef struct head {
    int kind, status, count, pad;
    long long block;
    char msg[MSG];
} head;

typedef struct down {
    long long kind, start, len;
} down;

/* Rank 0: one block of the window (block b is slot b % window). */
typedef struct slot {
    int owner, full, status;
    void *buf; /* rank 0's own block, packed; NULL when it failed */
    size_t len;
    char msg[MSG];
} slot;

typedef struct mjob {
    const ree_exec_ops *ops;
    const ree_exec_opts *o;
    MPI_Comm comm;
    int rank, n;
    long long nblocks, chunk, window;
    long long cur, cur_end, nxt, nxt_end; /* this rank's blocks to run: two ranges */
    int asked, ended, stop;               /* others: a request is out; no more blocks; stop */
    int aborted;                          /* others: an interruption was reported */
    MPI_Request *sreq;                    /* others: blocks being sent, and their buffers */
    void **sbuf;
    int nsend, capsend;
    /* rank 0 */
    long long next_merge, next_assign;
    slot *slots;
    void *scratch;           /* the caller's worker that receives other ranks' blocks */
    char *waiting, *ended_r; /* per rank: a request waits for the window; its last word sent */
    int done, byes;          /* merged every block or failed; ranks that said their last word */
    ree_status st;
    char msg[MSG];
    long long nrecv, bytes, *ran; /* blocks received and their bytes; blocks run per rank */
    long slow_ms;                 /* ree_ranks_set_slow: sleep this long per block (tests) */
} mjob;

static int block_count(const mjob *j, long long b)
{
    long long left = j->o->nruns - b * REE_EXEC_BLOCK;
    return (int)(left < REE_EXEC_BLOCK ? left : REE_EXEC_BLOCK);
}

static int block_tag(const mjob *j, long long b)
{
    return TAG_BLOCK0 + (int)(b % j->window);
}

static void pause_for(long *ns)
{
    struct timespec ts = {0, *ns};
    nanosleep(&ts, NULL);
    if (*ns < 1000000)
        *ns *= 2;
}

/* The next block this rank runs, or -1 when it has none now. */
static long long take(mjob *j)
{
    if (j->cur == j->cur_end) {
        j->cur = j->nxt;
        j->cur_end = j->nxt_end;
        j->nxt = j->nxt_end = 0;
    }
    return j->cur < j->cur_end ? j->cur++ : -1;
}

/* Rank 0: the next blocks (up to a chunk) for rank r, within the window; 0 when none can be given
 * now, -1 when every block is given. */
static long long assign(mjob *j, int r, long long *start)
{
    if (j->next_assign >= j->nblocks)
        return -1;
    long long end = j->next_assign + j->chunk, lim = j->next_merge + j->window;
    end = end < j->nblocks ? end : j->nblocks;
    end = end < lim ? end : lim;
    if (end <= j->next_assign)
        return 0;
    *start = j->next_assign;
    for (long long b = *start; b < end; b++) {
        slot *s = &j->slots[b % j->window];
        memset(s, 0, sizeof *s);
        s->owner = r;
    }
    j->next_assign = end;
    return end - *start;
}

static void send_down(mjob *j, int r, long long kind, long long start, long long len)
{
    down d = {kind, start, len};
    MPI_Send(&d, 3, MPI_LONG_LONG, r, TAG_DOWN, j->comm);
    if (kind != DOWN_ASSIGN)
        j->ended_r[r] = 1;
}

/* Rank 0: answer rank r's request, or keep it until the window moves. */
static void serve(mjob *j, int r)
{
    long long start = 0, len = j->done ? -1 : assign(j, r, &start);
    j->waiting[r] = len == 0;
    if (len > 0)
        send_down(j, r, DOWN_ASSIGN, start, len);
    else if (len < 0 && !j->ended_r[r])
        send_down(j, r, j->st == REE_OK ? DOWN_END : DOWN_STOP, 0, 0);
}

/* Rank 0: receive message (src, tag) and drop it (blocks sent before a failure reached their
 * rank). Open MPI cannot take a message into a smaller buffer (its shared-memory single copy
 * writes the whole message), so this needs a buffer of its size; with no memory for one there is
 * no way left to end the job cleanly but MPI_Abort (exit 71, mpirun names the rank). */
static void drop_message(mjob *j, int src, int tag, int len)
{
    void *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf)
        MPI_Abort(MPI_COMM_WORLD, 71);
    MPI_Recv(buf, len, MPI_BYTE, src, tag, j->comm, MPI_STATUS_IGNORE);
    free(buf);
}

/* Rank 0: stop at the first failure (in block order, or an interruption): every rank is told. */
static void fail(mjob *j, ree_status st, const char *msg)
{
    if (j->done)
        return;
    j->done = 1;
    j->st = st;
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    for (int r = 1; r < j->n; r++)
        if (!j->ended_r[r])
            send_down(j, r, DOWN_STOP, 0, 0);
}

static void merged(mjob *j, long long b)
{
    if (j->o->progress)
        j->o->progress(j->o->progress_arg, b * REE_EXEC_BLOCK + block_count(j, b), j->o->nruns);
    j->next_merge = b + 1;
    if (j->next_merge == j->nblocks)
        j->done = 1; /* success: every request now gets END */
}

/* Rank 0: merge the block bytes `bytes` of block b (packed by its rank). */
static void merge_bytes(mjob *j, long long b, const void *bytes, size_t len, int src)
{
    char err[MSG];
    const ree_exec_ops *ops = j->ops;
    int count = block_count(j, b);
    ree_status st = ops->unpack(ops->ctx, j->scratch, count, bytes, len);
    if (st != REE_OK)
        snprintf(err, sizeof err, "cannot read block %lld from rank %d (%zu bytes)", b, src, len);
    else
        st = ops->merge(ops->ctx, j->scratch, b * REE_EXEC_BLOCK + j->o->first_run, count, err,
                        sizeof err);
    if (st != REE_OK)
        fail(j, st, err);
    else
        merged(j, b);
}

/* Rank 0: merge every block that is next and here, in block order. */
static void merge_ready(mjob *j)
{
    while (!j->done && j->next_merge < j->next_assign) {
        long long b = j->next_merge;
        slot *s = &j->slots[b % j->window];
        if (s->owner == 0) {
            if (!s->full)
                return;
            if (s->status != REE_OK) {
                fail(j, (ree_status)s->status, s->msg);
                return;
            }
            merge_bytes(j, b, s->buf, s->len, 0);
            free(s->buf);
            s->buf = NULL;
            s->full = 0;
            continue;
        }
        int flag = 0, len = 0;
        MPI_Status ms;
        MPI_Iprobe(s->owner, block_tag(j, b), j->comm, &flag, &ms);
        if (!flag)
            return;
        MPI_Get_count(&ms, MPI_BYTE, &len);
        unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf) { /* cannot take the block now: stop the job as at a failed block (the drain
                     * at the end takes the message, or ends the job if memory stays short) */
            char m[MSG];
            snprintf(m, sizeof m, "out of memory receiving block %lld from rank %d", b, s->owner);
            fail(j, REE_ENOMEM, m);
            return;
        }
        MPI_Recv(buf, len, MPI_BYTE, s->owner, block_tag(j, b), j->comm, MPI_STATUS_IGNORE);
        head h;
        if ((size_t)len < sizeof h) {
            fail(j, REE_EINTERNAL, "a rank sent a truncated block");
        } else {
            memcpy(&h, buf, sizeof h);
            h.msg[MSG - 1] = 0;
            j->nrecv++;
            j->bytes += len;
            j->ran[s->owner]++;
            if (h.block != b || h.count != block_count(j, b))
                fail(j, REE_EINTERNAL, "a rank sent another block than the one due");
            else if (h.status != REE_OK)
                fail(j, (ree_status)h.status, h.msg);
            else
                merge_bytes(j, b, buf + sizeof h, (size_t)len - sizeof h, s->owner);
        }
        free(buf);
    }
}

/* Rank 0: read the other ranks' requests and last words, merge what is due, answer requests. */
static void progress_root(mjob *j)
{
    if (j->o->cancel && *j->o->cancel)
        fail(j, REE_EINTERRUPTED, "interrupted");
    for (;;) {
        int flag = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_CTRL, j->comm, &flag, &ms);
        if (!flag)
            break;
        head h;
        MPI_Recv(&h, (int)sizeof h, MPI_BYTE, ms.MPI_SOURCE, TAG_CTRL, j->comm, MPI_STATUS_IGNORE);
        h.msg[MSG - 1] = 0;
        if (h.kind == UP_REQ)
            serve(j, ms.MPI_SOURCE);
        else if (h.kind == UP_ABORT)
            fail(j, (ree_status)h.status, h.msg);
        else if (h.kind == UP_BYE)
            j->byes++;
    }
    merge_ready(j);
    for (int r = 1; r < j->n; r++)
        if (j->waiting[r])
            serve(j, r);
}

/* Other ranks: requests out, assignments in, finished sends released. */
static void progress_other(mjob *j)
{
    for (int i = 0; i < j->nsend;) {
        int flag = 0;
        MPI_Test(&j->sreq[i], &flag, MPI_STATUS_IGNORE);
        if (flag) {
            free(j->sbuf[i]);
            j->sreq[i] = j->sreq[--j->nsend];
            j->sbuf[i] = j->sbuf[j->nsend];
        } else {
            i++;
        }
    }
    if (j->o->cancel && *j->o->cancel && !j->aborted && !j->ended) {
        head h = {.kind = UP_ABORT, .status = REE_EINTERRUPTED};
        snprintf(h.msg, sizeof h.msg, "interrupted");
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_CTRL, j->comm);
        j->aborted = j->stop = 1;
    }
    for (;;) {
        int flag = 0;
        MPI_Iprobe(0, TAG_DOWN, j->comm, &flag, MPI_STATUS_IGNORE);
        if (!flag)
            break;
        down d;
        MPI_Recv(&d, 3, MPI_LONG_LONG, 0, TAG_DOWN, j->comm, MPI_STATUS_IGNORE);
        j->asked = 0;
        if (d.kind == DOWN_ASSIGN) {
            j->nxt = d.start;
            j->nxt_end = d.start + d.len;
        } else {
            j->ended = 1;
            j->stop |= d.kind == DOWN_STOP;
        }
    }
    /* Ask for more as soon as the last range given is started: two ranges at most. */
    if (!j->asked && !j->ended && !j->stop && j->nxt == j->nxt_end) {
        head h = {.kind = UP_REQ};
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_CTRL, j->comm);
        j->asked = 1;
    }
}

/* Other ranks: send block b (its status, then its packed result) to rank 0 without waiting. */
static void ship(mjob *j, void *worker, long long b, ree_status st, const char *msg)
{
    if (j->ended && j->stop) /* rank 0 said STOP: it wants no more blocks */
        return;
    int count = block_count(j, b);
    size_t len = 0;
    void *packed = st == REE_OK ? j->ops->pack(j->ops->ctx, worker, count, &len) : NULL;
    if (st == REE_OK && (!packed || len > (size_t)0x7fffffff - sizeof(head))) {
        st = REE_ENOMEM;
        msg = "out of memory packing a block for rank 0";
    }
    if (st != REE_OK) {
        free(packed);
        packed = NULL;
        len = 0;
        j->stop = 1; /* the first failure of this rank: rank 0 stops when it is due */
    }
    unsigned char *buf = malloc(sizeof(head) + len);
    if (j->nsend == j->capsend) {
        int cap = j->capsend ? 2 * j->capsend : 16;
        MPI_Request *q = realloc(j->sreq, (size_t)cap * sizeof *q);
        void **p = realloc(j->sbuf, (size_t)cap * sizeof *p);
        j->sreq = q ? q : j->sreq;
        j->sbuf = p ? p : j->sbuf;
        if (q && p)
            j->capsend = cap;
    }
    if (!buf || j->nsend == j->capsend) {
        /* No memory to queue the block: send, and wait for, its header alone, with the failure
         * that rank 0 reports when the block is due (the header needs no allocation). */
        free(buf);
        free(packed);
        head h = {.kind = UP_DATA, .status = (int)REE_ENOMEM, .count = count, .block = b};
        snprintf(h.msg, sizeof h.msg, "out of memory sending block %lld from rank %d", b, j->rank);
        j->stop = 1;
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, block_tag(j, b), j->comm);
        return;
    }
    head h = {.kind = UP_DATA, .status = (int)st, .count = count, .block = b};
    snprintf(h.msg, sizeof h.msg, "%s", msg);
    memcpy(buf, &h, sizeof h);
    if (len)
        memcpy(buf + sizeof h, packed, len);
    free(packed);
    MPI_Isend(buf, (int)(sizeof h + len), MPI_BYTE, 0, block_tag(j, b), j->comm,
              &j->sreq[j->nsend]);
    j->sbuf[j->nsend++] = buf;
}

/* Rank 0: its own block b, run: merged now when it is next, else kept packed until it is. */
static void deposit(mjob *j, void *worker, long long b, ree_status st, const char *msg)
{
    slot *s = &j->slots[b % j->window];
    j->ran[0]++;
    if (j->done)
        return;
    if (st == REE_OK && b == j->next_merge) {
        char err[MSG];
        st = j->ops->merge(j->ops->ctx, worker, b * REE_EXEC_BLOCK + j->o->first_run,
                           block_count(j, b), err, sizeof err);
        if (st != REE_OK)
            fail(j, st, err);
        else
            merged(j, b);
        return;
    }
    if (st == REE_OK && !(s->buf = j->ops->pack(j->ops->ctx, worker, block_count(j, b), &s->len))) {
        st = REE_ENOMEM;
        msg = "out of memory keeping a block for its turn to merge";
    }
    s->status = (int)st;
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    s->full = 1;
}

/* One thread of a rank: take a block, run it, hand it on; until no block is left for this rank. */
static void work(mjob *j, void *worker)
{
    long ns = 20000;
    for (;;) {
        long long b = -1, start = 0;
        int fin = 0;
#pragma omp critical(ree_mpi)
        {
            if (j->rank == 0) {
                progress_root(j);
                if (!j->done && (b = take(j)) < 0 && assign(j, 0, &start) > 0) {
                    j->cur = start;
                    j->cur_end = j->next_assign;
                    b = take(j);
                }
                fin = j->done;
            } else {
                progress_other(j);
                if (!j->stop)
                    b = take(j);
                fin = j->stop || (j->ended && b < 0);
            }
        }
        if (b < 0) {
            if (fin)
                return;
            pause_for(&ns);
            continue;
        }
        ns = 20000;
        char msg[MSG] = "";
        ree_status st = REE_OK;
        if (j->o->cancel && *j->o->cancel)
            st = REE_EINTERRUPTED;
        else
            st = j->ops->block(j->ops->ctx, worker, b * REE_EXEC_BLOCK + j->o->first_run,
                               block_count(j, b), msg, sizeof msg);
        if (st == REE_EINTERRUPTED && !msg[0])
            snprintf(msg, sizeof msg, "interrupted");
        if (j->slow_ms > 0) {
            struct timespec ts = {j->slow_ms / 1000, (j->slow_ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
#pragma omp critical(ree_mpi)
        {
            if (j->rank == 0)
                deposit(j, worker, b, st, msg);
            else
                ship(j, worker, b, st, msg);
        }
    }
}

ree_status ree_exec_mpi_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err,
                            size_t errlen)
{
    if (!ops->pack || !ops->unpack) {
        snprintf(err, errlen, "this computation cannot run on several MPI ranks");
        return REE_EINTERNAL;
    }
    int nthreads = o->threads > 0 ? o->threads : 1;
    mjob j = {.ops = ops, .o = o, .rank = my_rank, .n = nranks, .st = REE_OK};
    j.nblocks = (o->nruns + REE_EXEC_BLOCK - 1) / REE_EXEC_BLOCK;
    MPI_Comm_dup(MPI_COMM_WORLD, &j.comm);
    /* Rank 0's chunk (its thread count) and window for every rank: a rank's default thread count
     * may differ on another host. */
    long long cw[3] = {nthreads, 4 * (long long)j.n * nthreads, 1};
    cw[1] = cw[1] < 8 ? 8 : cw[1] > MAX_WINDOW ? MAX_WINDOW : cw[1];
    if (j.rank == 0) { /* rank 0's bookkeeping first: if it cannot have it, no rank starts */
        j.window = cw[1];
        j.slots = calloc((size_t)j.window, sizeof *j.slots);
        j.waiting = calloc((size_t)j.n, 1);
        j.ended_r = calloc((size_t)j.n, 1);
        j.ran = calloc((size_t)j.n, sizeof *j.ran);
        j.scratch = ops->worker_alloc(ops->ctx);
        cw[2] = j.slots && j.waiting && j.ended_r && j.ran && j.scratch;
    }
    MPI_Bcast(cw, 3, MPI_LONG_LONG, 0, j.comm);
    if (!cw[2]) {
        if (j.rank == 0) {
            free(j.slots);
            free(j.waiting);
            free(j.ended_r);
            free(j.ran);
            if (j.scratch)
                ops->worker_free(ops->ctx, j.scratch);
        }
        MPI_Comm_free(&j.comm);
        snprintf(err, errlen, "out of memory setting up rank 0's workspace for the other ranks");
        return REE_ENOMEM;
    }
    j.chunk = cw[0];
    j.window = cw[1];
    if (j.chunk * j.n > j.window)
        j.chunk = j.window / j.n > 0 ? j.window / j.n : 1;
    j.slow_ms = slow_ms; /* tests/cli/mpi.sh: a slow rank (ree_ranks_set_slow) */
    /* First ranges without asking: rank r runs blocks [r chunk, (r + 1) chunk). */
    j.cur = j.rank * j.chunk;
    j.cur_end = j.cur + j.chunk < j.nblocks ? j.cur + j.chunk : j.nblocks;
    j.cur_end = j.cur_end < j.window ? j.cur_end : j.window; /* as assign() gives them */
    if (j.cur > j.cur_end)
        j.cur = j.cur_end;
    ree_status st = REE_OK;
    char msg[MSG] = "";
    if (j.rank == 0) {
        for (int r = 0; r < j.n; r++) { /* the first ranges, in rank order, as above */
            long long start = 0;
            (void)assign(&j, r, &start);
        }
        if (j.nblocks == 0)
            j.done = 1;
    }
    void **workers = calloc((size_t)nthreads, sizeof *workers);
    int nalloc = workers ? nthreads : 0;
    if (!workers)
        nthreads = 0;
    for (int i = 0; workers && i < nalloc; i++)
        if (!(workers[i] = ops->worker_alloc(ops->ctx)))
            nthreads = i;
    if (nthreads < 1) { /* no worker at all: this rank cannot run blocks */
        st = REE_ENOMEM;
        snprintf(msg, sizeof msg, "out of memory setting up the workspace of rank %d", j.rank);
        if (j.rank == 0) {
            fail(&j, st, msg);
        } else {
            head h = {.kind = UP_ABORT, .status = st};
            snprintf(h.msg, sizeof h.msg, "%s", msg);
            MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_CTRL, j.comm);
            j.stop = 1;
        }
    } else {
#pragma omp parallel num_threads(nthreads)
        work(&j, workers[omp_get_thread_num()]);
    }
    for (int i = 0; i < nalloc; i++)
        if (workers[i])
            ops->worker_free(ops->ctx, workers[i]);
    free(workers);
    long ns = 20000;
    if (j.rank == 0) {
        /* Every rank gets its last word (END or STOP) and says its own (BYE); blocks sent after a
         * failure are received and dropped, so no message is left behind. */
        while (!j.done) {
            progress_root(&j);
            if (!j.done)
                pause_for(&ns);
        }
        for (int r = 1; r < j.n; r++)
            if (!j.ended_r[r] && j.st != REE_OK)
                send_down(&j, r, DOWN_STOP, 0, 0);
        while (j.byes < j.n - 1) {
            progress_root(&j);
            for (long long b = j.next_merge; b < j.next_assign; b++) {
                slot *s = &j.slots[b % j.window];
                int flag = 0, len = 0;
                MPI_Status ms;
                if (s->owner == 0 || s->full)
                    continue;
                MPI_Iprobe(s->owner, block_tag(&j, b), j.comm, &flag, &ms);
                if (!flag)
                    continue;
                MPI_Get_count(&ms, MPI_BYTE, &len);
                drop_message(&j, s->owner, block_tag(&j, b), len);
                s->full = 1;
            }
            if (j.byes < j.n - 1)
                pause_for(&ns);
        }
        st = j.st;
        snprintf(msg, sizeof msg, "%s", j.msg);
        FILE *trace = ree_ranks_trace();
        if (trace) { /* docs/cluster.md: the figures of the estimate */
            fprintf(trace,
                    "reesim: mpi: %d ranks, %lld blocks, %lld received, %lld bytes (%.0f per "
                    "block); blocks run per rank:",
                    j.n, j.nblocks, j.nrecv, j.bytes,
                    j.nrecv ? (double)j.bytes / (double)j.nrecv : 0.0);
            for (int r = 0; r < j.n; r++)
                fprintf(trace, " %lld", j.ran[r]);
            fprintf(trace, "\n");
        }
        for (long long b = 0; b < j.window; b++)
            free(j.slots[b].buf);
        if (j.scratch)
            ops->worker_free(ops->ctx, j.scratch);
        free(j.slots);
        free(j.waiting);
        free(j.ended_r);
        free(j.ran);
    } else {
        while (!j.ended) { /* rank 0 always ends with END or STOP */
            progress_other(&j);
            if (!j.ended)
                pause_for(&ns);
        }
        MPI_Waitall(j.nsend, j.sreq, MPI_STATUSES_IGNORE);
        for (int i = 0; i < j.nsend; i++)
            free(j.sbuf[i]);
        free(j.sreq);
        free(j.sbuf);
        head h = {.kind = UP_BYE};
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_CTRL, j.comm);
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

void ree_ranks_set_slow(long ms)
{
    slow_ms = ms > 0 ? ms : 0;
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

void ree_ranks_set_slow(long ms)
{
    (void)ms;
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
