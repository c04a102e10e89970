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
 *   - the merge is cut into parts (ops->split: ranges of statistics cells; one part when the
 *     caller has no split), one per rank as far as the cells allow: rank p < nparts owns part p
 *     and merges it, rank 0 part 0, which also carries the block's status, its runs.csv values
 *     and whatever else is not cut. So the merge work and the bytes received are spread over the
 *     owners instead of all going through rank 0;
 *   - every rank runs its blocks on its OpenMP threads and cuts each finished block into pieces
 *     (ops->pack_part), each behind a header (block, part, status, message), sent to the part's
 *     owner without waiting, on the tag of the block's window slot (TAG_BLOCK0 + b % window: one
 *     block per tag and owner at a time); a rank's own part stays here. Each owner merges its part
 *     of every block strictly in block order: from the worker when the block is next, else packed
 *     until it is, or received from whichever rank ran it (any source: the tag names the block).
 *     Each part thus sees exactly the merge sequence of one process, whoever ran which block, and
 *     parts never interact: the result is byte-identical;
 *   - rank 0 gives only blocks below the slowest owner's merge point + window (window = 4 x ranks
 *     x chunk blocks, <= 32,000; owners report their merge point with MERGED every chunk blocks),
 *     so at most `window` blocks are run and not yet merged: memory on every rank is bounded by
 *     the window, whatever the number of runs;
 *   - once an owner has merged every block it sends its part of the totals (ops->pack_total) to
 *     rank 0, which unpacks it (ops->unpack_total): rank 0 ends with all the totals;
 *   - no rank waits on a send while it could run a block: pieces, totals and the small control
 *     words alike are sent with MPI_Isend and released once complete (post, keep_send), and a
 *     rank asks for its next range as soon as it starts its last one;
 *   - MPI calls are made by one thread at a time (a critical section between blocks; threads
 *     with nothing to do poll with a short sleep), so MPI_THREAD_SERIALIZED is enough;
 *   - a failed block travels as headers with its status and message to every owner; an owner
 *     that reaches it, or whose own merge fails at block b, tells rank 0 (ABORT with b) and stops
 *     merging; a rank whose block failed runs no more blocks but keeps merging its part. Rank 0
 *     stops at the first failure in block order, then part order, as one process does, once every
 *     part has failed no later or merged past it (it asks the parts not yet there to say when
 *     they are, WHERE) and gives no more blocks meanwhile; an interruption on any rank (ABORT
 *     without a block) stops it at once. Rank 0 then sends STOP to every rank;
 *   - the end: every rank, once its blocks are run, its part merged (or stopped) and its sends
 *     complete, says BYE to rank 0 and to every owner (rank 0: to every rank), and waits for the
 *     BYEs it is owed (a rank that owns no part: rank 0's), taking and dropping anything that
 *     comes (messages from one rank arrive in order, so after its BYE nothing of it is left in
 *     flight). Rank 0 broadcasts the final status and message.
 * REESIM_MPI_TRACE=1 makes rank 0 print the parts, the pieces it received and their bytes, and
 * the blocks run per rank; REESIM_MPI_SLOW=R:MS makes rank R sleep MS ms after each block (tests
 * of the assignment).
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

/* Tags. To rank 0 on TAG_CTRL: a request for blocks (REQ), an interruption or a failed part
 * (ABORT), how far a part's owner has merged (MERGED); to rank 0 and every owner of a part on
 * TAG_CTRL: the last word (BYE). From rank 0 on TAG_DOWN: an assignment, the end, or stop. A piece
 * (one part of one block) to the part's owner on the tag of the block's window slot, TAG_BLOCK0 +
 * b % window; a part of the totals to rank 0 on TAG_TOTAL. */
enum { TAG_CTRL = 1, TAG_DOWN = 2, TAG_TOTAL = 3, TAG_BLOCK0 = 16 };
enum { UP_REQ = 1, UP_DATA, UP_ABORT, UP_BYE, UP_MERGED };
enum { DOWN_ASSIGN = 1, DOWN_END, DOWN_STOP, DOWN_WHERE };
#define MSG        480
#define MAX_WINDOW 32000 /* the block tags TAG_BLOCK0 + b % window stay below MPI's 32767 */

typedef struct head {
    int kind, status, count, part;
    long long block; /* UP_ABORT: the failed block, or -1 (an interruption: stop now) */
    char msg[MSG];
} head;

typedef struct down {
    long long kind, start, len;
} down;

/* A piece of the part merged here, from a block run here, kept until its turn (block b is slot
 * b % window). */
typedef struct slot {
    long long block; /* -1: empty */
    int status;
    void *buf; /* packed piece; NULL when the block failed */
    size_t len;
    char *msg; /* the failure's message, or NULL */
} slot;

typedef struct mjob {
    const ree_exec_ops *ops;
    const ree_exec_opts *o;
    MPI_Comm comm;
    int rank, n, nparts;
    int mypart; /* the part merged here: rank p < nparts merges part p; -1: none */
    long long nblocks, chunk, window;
    long long cur, cur_end, nxt, nxt_end; /* this rank's blocks to run: two ranges */
    int asked, ended, stop;               /* others: a request is out; no more blocks; stop */
    int stopped;                          /* others: STOP received (rank 0 wants no more) */
    int aborted;                          /* others: an interruption was reported */
    MPI_Request *sreq;                    /* pieces, totals being sent, and their buffers */
    void **sbuf;
    int nsend, capsend;
    /* the part merged here */
    long long next_merge, reported; /* next block to merge; progress last told rank 0 */
    int halted;                     /* no more merging here: STOP, an interruption, or (other
                                     * ranks) a failure in this part, reported */
    int part_stopped;               /* rank 0: part 0 failed (its merging stopped) */
    long long where;                /* owners: rank 0 waits to hear once this part is merged past
                                     * this block (a failure is pending there); -1: no */
    slot *slots;
    void *scratch; /* the caller's worker that receives other ranks' pieces */
    int byes, bye_sent, total_sent;
    /* rank 0 */
    long long next_assign, *merged;      /* per part: blocks its owner has merged */
    int ntotals;                         /* parts of the totals received */
    char *waiting, *ended_r, *stopped_r; /* per rank: request waits; END or STOP sent; STOP sent */
    int done;                            /* the status is decided */
    long long *fail_at, *where_sent; /* per part: earliest failed block (nblocks: none); WHERE */
    ree_status *fail_st, st;
    char (*fail_msg)[MSG], msg[MSG];
    long long nrecv, bytes, *ran; /* pieces received and their bytes; blocks run per rank */
    long slow_ms;                 /* ree_ranks_set_slow: sleep this long per block (tests) */
    double *times;                /* rank 0: the gather of every rank's t_run, t_merge, wall */
    double t_run, t_merge;        /* seconds in ops->block (summed over threads) and in merging
                                   * the part here (unpack included): REESIM_MPI_TRACE */
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

/* The caller's hooks for one part; a caller without `split` has one part, the whole merge. */
static void *pack_piece(const mjob *j, void *w, int count, int part, size_t *len)
{
    const ree_exec_ops *ops = j->ops;
    return ops->split ? ops->pack_part(ops->ctx, w, count, part, len)
                      : ops->pack(ops->ctx, w, count, len);
}

static ree_status unpack_piece(const mjob *j, void *w, int count, int part, const void *bytes,
                               size_t len)
{
    const ree_exec_ops *ops = j->ops;
    return ops->split ? ops->unpack_part(ops->ctx, w, count, part, bytes, len)
                      : ops->unpack(ops->ctx, w, count, bytes, len);
}

static ree_status merge_piece(const mjob *j, void *w, long long b, int part, char *err,
                              size_t errlen)
{
    const ree_exec_ops *ops = j->ops;
    long long first = b * REE_EXEC_BLOCK + j->o->first_run;
    int count = block_count(j, b);
    return ops->split ? ops->merge_part(ops->ctx, w, first, count, part, err, errlen)
                      : ops->merge(ops->ctx, w, first, count, err, errlen);
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

/* Rank 0: blocks merged in every part (the window starts there). */
static long long min_merged(const mjob *j)
{
    long long m = j->next_merge;
    for (int p = 1; p < j->nparts; p++)
        m = j->merged[p] < m ? j->merged[p] : m;
    return m;
}

/* Rank 0: the part whose failure comes first in block order (then part order), or -1. */
static int first_failure(const mjob *j)
{
    int best = 0;
    for (int p = 1; p < j->nparts; p++)
        if (j->fail_at[p] < j->fail_at[best])
            best = p;
    return j->fail_at[best] < j->nblocks ? best : -1;
}

/* Rank 0: the next blocks (up to a chunk) for a rank, within the window; 0 when none can be given
 * now (or a failure is pending: every block before it is given already), -1 when every block is
 * given. */
static long long assign(mjob *j, long long *start)
{
    if (j->next_assign >= j->nblocks)
        return -1;
    if (first_failure(j) >= 0)
        return 0;
    long long end = j->next_assign + j->chunk, lim = min_merged(j) + j->window;
    end = end < j->nblocks ? end : j->nblocks;
    end = end < lim ? end : lim;
    if (end <= j->next_assign)
        return 0;
    *start = j->next_assign;
    j->next_assign = end;
    return end - *start;
}

static int keep_send(mjob *j, void *buf, int len, int dest, int tag);

/* A small message (a control word, an assignment) sent without waiting. A blocking MPI_Send of
 * it can wait until the receiver next enters MPI when a large piece to the same rank is still in
 * flight (measured with Open MPI 4.1.4's shared-memory transport here: 30-60 ms, about a block's
 * run), and the rank would sit idle meanwhile: with one thread per rank, rank 1 of 2 ran 2 of 32
 * blocks. Sent blocking only when there is no memory to queue it. */
static void post(mjob *j, const void *msg, size_t len, int dest, int tag)
{
    void *buf = malloc(len);
    if (buf) {
        memcpy(buf, msg, len);
        if (keep_send(j, buf, (int)len, dest, tag) == 0)
            return;
        free(buf);
    }
    MPI_Send(msg, (int)len, MPI_BYTE, dest, tag, j->comm);
}

static void send_down(mjob *j, int r, long long kind, long long start, long long len)
{
    down d = {kind, start, len};
    post(j, &d, sizeof d, r, TAG_DOWN);
    if (kind == DOWN_END || kind == DOWN_STOP)
        j->ended_r[r] = 1;
    if (kind == DOWN_STOP)
        j->stopped_r[r] = 1;
}

/* Rank 0: answer rank r's request, or keep it until the window moves. */
static void serve(mjob *j, int r)
{
    long long start = 0, len = j->done ? -1 : assign(j, &start);
    j->waiting[r] = len == 0;
    if (len > 0)
        send_down(j, r, DOWN_ASSIGN, start, len);
    else if (len < 0 && !j->ended_r[r])
        send_down(j, r, j->done && j->st != REE_OK ? DOWN_STOP : DOWN_END, 0, 0);
}

/* Receive message (src, tag) of `len` bytes and drop it (pieces sent before a failure reached
 * their rank). Open MPI cannot take a message into a smaller buffer (its shared-memory single copy
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
    j->halted = 1;
    if (j->done)
        return;
    j->done = 1;
    j->st = st;
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    for (int r = 1; r < j->n; r++)
        if (!j->stopped_r[r])
            send_down(j, r, DOWN_STOP, 0, 0);
}

/* Rank 0: success once every block is merged in part 0 and every other part's totals are in. */
static void check_done(mjob *j)
{
    if (!j->done && j->next_merge == j->nblocks && j->ntotals == j->nparts - 1 &&
        first_failure(j) < 0)
        j->done = 1;
}

/* Rank 0: a failure in part p at block b (a failed block, or the part's merge), as its owner
 * reported it. */
static void record(mjob *j, int p, long long b, ree_status st, const char *msg)
{
    if (p < 0 || p >= j->nparts || b >= j->fail_at[p])
        return;
    j->fail_at[p] = b;
    j->fail_st[p] = st;
    snprintf(j->fail_msg[p], MSG, "%s", msg);
}

/* Rank 0: stop at the first failure in block order, then part order, as one process does: once
 * every part has either failed no later or merged past it. A part not yet there is asked to say
 * when it is (WHERE), since its progress reports are otherwise only every chunk of blocks. */
static void decide(mjob *j)
{
    int best = first_failure(j);
    if (j->done || best < 0)
        return;
    long long c = j->fail_at[best];
    int settled = 1;
    for (int q = 0; q < j->nparts; q++) {
        long long past = q == 0 ? j->next_merge : j->merged[q];
        if (j->fail_at[q] <= c || past > c)
            continue;
        settled = 0;
        if (q > 0 && j->where_sent[q] != c) {
            send_down(j, q, DOWN_WHERE, c, 0);
            j->where_sent[q] = c;
        }
    }
    if (settled)
        fail(j, j->fail_st[best], j->fail_msg[best]);
}

static void send_up(mjob *j, int dest, int kind, ree_status st, long long block, const char *msg)
{
    head h = {.kind = kind, .status = (int)st, .part = j->mypart, .block = block};
    snprintf(h.msg, sizeof h.msg, "%s", msg ? msg : "");
    post(j, &h, sizeof h, dest, TAG_CTRL);
}

/* Keep a finished send (piece, totals) until it completes. Returns 0, or -1 when out of memory. */
static int keep_send(mjob *j, void *buf, int len, int dest, int tag)
{
    if (j->nsend == j->capsend) {
        int cap = j->capsend ? 2 * j->capsend : 16;
        MPI_Request *q = realloc(j->sreq, (size_t)cap * sizeof *q);
        if (q)
            j->sreq = q;
        void **p = q ? realloc(j->sbuf, (size_t)cap * sizeof *p) : NULL;
        if (!p)
            return -1;
        j->sbuf = p;
        j->capsend = cap;
    }
    MPI_Isend(buf, len, MPI_BYTE, dest, tag, j->comm, &j->sreq[j->nsend]);
    j->sbuf[j->nsend++] = buf;
    return 0;
}

/* The part merged here failed at block b (the block failed, or its merge): rank 0 stops when
 * block b is due in part 0 (so the first failure in block order wins), another owner tells it. */
static void part_failed(mjob *j, long long b, ree_status st, const char *msg)
{
    if (j->rank == 0 && b < 0) {
        fail(j, st, msg);
        return;
    }
    if (j->rank == 0) {
        j->part_stopped = 1;
        record(j, 0, b, st, msg);
        decide(j);
        return;
    }
    j->halted = 1;
    send_up(j, 0, UP_ABORT, st, b, msg);
}

/* Part merged here: block b merged. */
static void merged_one(mjob *j, long long b)
{
    j->next_merge = b + 1;
    if (j->rank == 0) {
        if (j->o->progress)
            j->o->progress(j->o->progress_arg, b * REE_EXEC_BLOCK + block_count(j, b), j->o->nruns);
        check_done(j);
    } else if (j->next_merge - j->reported >= j->chunk || j->next_merge == j->nblocks ||
               (j->where >= 0 && j->next_merge > j->where)) {
        j->where = -1;
        j->reported = j->next_merge; /* rank 0's window moves with the slowest part */
        send_up(j, 0, UP_MERGED, REE_OK, j->next_merge, NULL);
    }
}

/* Part merged here: merge block b's piece, held by worker w (unpacked first when `bytes`). */
static void merge_here(mjob *j, long long b, void *w, const void *bytes, size_t len, int src)
{
    char err[MSG] = "";
    ree_status st = REE_OK;
    double t0 = MPI_Wtime();
    if (bytes && (st = unpack_piece(j, w, block_count(j, b), j->mypart, bytes, len)) != REE_OK)
        snprintf(err, sizeof err, "cannot read block %lld from rank %d (%zu bytes)", b, src, len);
    if (st == REE_OK)
        st = merge_piece(j, w, b, j->mypart, err, sizeof err);
    j->t_merge += MPI_Wtime() - t0;
    if (st != REE_OK)
        part_failed(j, b, st, err);
    else
        merged_one(j, b);
}

/* Part merged here: merge every piece that is next and here, in block order. */
static void merge_ready(mjob *j)
{
    while (j->mypart >= 0 && !j->halted && !j->part_stopped && j->next_merge < j->nblocks) {
        long long b = j->next_merge;
        int first = j->rank == 0 ? first_failure(j) : -1;
        if (first >= 0 && b > j->fail_at[first])
            return; /* past the first failure: nothing more to merge in part 0 */
        slot *s = &j->slots[b % j->window];
        if (s->block == b) { /* run here */
            if (s->status != REE_OK)
                part_failed(j, b, (ree_status)s->status, s->msg ? s->msg : "");
            else
                merge_here(j, b, j->scratch, s->buf, s->len, j->rank);
            free(s->buf);
            free(s->msg);
            memset(s, 0, sizeof *s);
            s->block = -1;
            continue;
        }
        int flag = 0, len = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, block_tag(j, b), j->comm, &flag, &ms);
        if (!flag)
            return;
        MPI_Get_count(&ms, MPI_BYTE, &len);
        unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf) { /* cannot take the piece now: a failure as at a failed block (the drain at
                     * the end takes the message, or ends the job if memory stays short) */
            char m[MSG];
            snprintf(m, sizeof m, "out of memory receiving block %lld from rank %d", b,
                     ms.MPI_SOURCE);
            part_failed(j, b, REE_ENOMEM, m);
            return;
        }
        MPI_Recv(buf, len, MPI_BYTE, ms.MPI_SOURCE, block_tag(j, b), j->comm, MPI_STATUS_IGNORE);
        head h;
        if ((size_t)len < sizeof h) {
            part_failed(j, b, REE_EINTERNAL, "a rank sent a truncated block");
        } else {
            memcpy(&h, buf, sizeof h);
            h.msg[MSG - 1] = 0;
            if (j->rank == 0) {
                j->nrecv++;
                j->bytes += len;
                j->ran[ms.MPI_SOURCE]++;
            }
            if (h.block != b || h.count != block_count(j, b) || h.part != j->mypart)
                part_failed(j, b, REE_EINTERNAL, "a rank sent another block than the one due");
            else if (h.status != REE_OK)
                part_failed(j, b, (ree_status)h.status, h.msg);
            else
                merge_here(j, b, j->scratch, buf + sizeof h, (size_t)len - sizeof h, ms.MPI_SOURCE);
        }
        free(buf);
    }
}

/* Rank 0: a control message from another rank. */
static void root_ctrl(mjob *j, const head *h, int src)
{
    if (h->kind == UP_REQ) {
        serve(j, src);
    } else if (h->kind == UP_ABORT && h->block < 0) {
        fail(j, (ree_status)h->status, h->msg);
    } else if (h->kind == UP_ABORT && h->part > 0 && h->part < j->nparts) {
        /* decided once every part is there (decide); the part merged every block before it */
        j->merged[h->part] = h->block > j->merged[h->part] ? h->block : j->merged[h->part];
        record(j, h->part, h->block, (ree_status)h->status, h->msg);
    } else if (h->kind == UP_BYE) {
        j->byes++;
    } else if (h->kind == UP_MERGED && h->part > 0 && h->part < j->nparts) {
        j->merged[h->part] = h->block > j->merged[h->part] ? h->block : j->merged[h->part];
    }
}

/* Rank 0: a part of the totals from its owner. */
static void root_total(mjob *j, int src, int len)
{
    if (j->done || src < 1 || src >= j->nparts) {
        drop_message(j, src, TAG_TOTAL, len);
        return;
    }
    void *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf) {
        fail(j, REE_ENOMEM, "out of memory receiving the statistics of another rank");
        drop_message(j, src, TAG_TOTAL, len);
        return;
    }
    MPI_Recv(buf, len, MPI_BYTE, src, TAG_TOTAL, j->comm, MPI_STATUS_IGNORE);
    if (j->ops->unpack_total(j->ops->ctx, src, buf, (size_t)len) != REE_OK)
        fail(j, REE_EINTERNAL, "cannot read the statistics of another rank");
    else
        j->ntotals++;
    free(buf);
    check_done(j);
}

/* Any rank: a message from rank 0 on TAG_DOWN. */
static void take_down(mjob *j)
{
    down d;
    MPI_Recv(&d, (int)sizeof d, MPI_BYTE, 0, TAG_DOWN, j->comm, MPI_STATUS_IGNORE);
    if (d.kind == DOWN_WHERE) { /* tell rank 0 once this part is merged past block d.start */
        j->where = d.start;
        if (j->mypart > 0 && !j->halted && j->next_merge > j->where &&
            j->reported < j->next_merge) { /* else told already (maybe before its BYE) */
            j->reported = j->next_merge;
            j->where = -1;
            send_up(j, 0, UP_MERGED, REE_OK, j->next_merge, NULL);
        }
        return;
    }
    j->asked = 0;
    if (d.kind == DOWN_ASSIGN) {
        j->nxt = d.start;
        j->nxt_end = d.start + d.len;
    } else {
        j->ended = 1;
        j->stop |= d.kind == DOWN_STOP;
        j->halted |= d.kind == DOWN_STOP;
        j->stopped |= d.kind == DOWN_STOP;
    }
}

/* Every message there is, taken in arrival order per sender; pieces and totals no one will merge
 * (after a failure) are dropped. */
static void drain(mjob *j)
{
    for (;;) {
        int flag = 0, len = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, j->comm, &flag, &ms);
        if (!flag)
            return;
        if (ms.MPI_TAG == TAG_DOWN) {
            take_down(j);
        } else if (ms.MPI_TAG == TAG_CTRL) {
            head h;
            MPI_Recv(&h, (int)sizeof h, MPI_BYTE, ms.MPI_SOURCE, TAG_CTRL, j->comm,
                     MPI_STATUS_IGNORE);
            h.msg[MSG - 1] = 0;
            if (j->rank == 0)
                root_ctrl(j, &h, ms.MPI_SOURCE);
            else if (h.kind == UP_BYE)
                j->byes++;
        } else {
            MPI_Get_count(&ms, MPI_BYTE, &len);
            drop_message(j, ms.MPI_SOURCE, ms.MPI_TAG, len);
        }
    }
}

/* Finished sends released. */
static void test_sends(mjob *j)
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
}

/* Rank 0: read the other ranks' messages, merge what is due, answer requests. */
static void progress_root(mjob *j)
{
    test_sends(j);
    if (j->o->cancel && *j->o->cancel)
        fail(j, REE_EINTERRUPTED, "interrupted");
    if (j->halted) {
        drain(j);
    } else {
        for (;;) {
            int flag = 0, len = 0;
            MPI_Status ms;
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_CTRL, j->comm, &flag, &ms);
            if (flag) {
                head h;
                MPI_Recv(&h, (int)sizeof h, MPI_BYTE, ms.MPI_SOURCE, TAG_CTRL, j->comm,
                         MPI_STATUS_IGNORE);
                h.msg[MSG - 1] = 0;
                root_ctrl(j, &h, ms.MPI_SOURCE);
                continue;
            }
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_TOTAL, j->comm, &flag, &ms);
            if (!flag)
                break;
            MPI_Get_count(&ms, MPI_BYTE, &len);
            root_total(j, ms.MPI_SOURCE, len);
        }
        merge_ready(j);
        decide(j);
    }
    for (int r = 1; r < j->n; r++)
        if (j->waiting[r])
            serve(j, r);
}

/* An owner of a part: its totals to rank 0 once every block is merged. */
static void send_total(mjob *j)
{
    size_t len = 0;
    void *buf = j->ops->pack_total(j->ops->ctx, j->mypart, &len);
    j->total_sent = 1;
    if (!buf || len > 0x7fffffff || keep_send(j, buf, (int)len, 0, TAG_TOTAL) != 0) {
        free(buf);
        char m[MSG];
        snprintf(m, sizeof m, "out of memory sending the statistics of rank %d", j->rank);
        part_failed(j, -1, REE_ENOMEM, m);
    }
}

/* Other ranks: ask for more as soon as the last range given is started (two ranges at most), so
 * that the answer comes while that range runs: asked only after it, a rank with one thread would
 * wait idle for rank 0's next look at its messages (up to a block's run). */
static void ask_more(mjob *j)
{
    if (!j->asked && !j->ended && !j->stop && j->nxt == j->nxt_end) {
        send_up(j, 0, UP_REQ, REE_OK, 0, NULL);
        j->asked = 1;
    }
}

/* Other ranks: requests out, assignments in, their part merged, finished sends released. */
static void progress_other(mjob *j)
{
    test_sends(j);
    if (j->o->cancel && *j->o->cancel && !j->aborted && !j->ended) {
        send_up(j, 0, UP_ABORT, REE_EINTERRUPTED, -1, "interrupted");
        j->aborted = j->stop = 1;
    }
    /* A block that failed here stops this rank's runs, not the merge of its part: an earlier block
     * may still fail there first (rank 0 decides; STOP ends the merge). */
    j->halted |= j->aborted;
    if (j->halted) {
        drain(j);
    } else {
        for (;;) {
            int flag = 0;
            MPI_Iprobe(0, TAG_DOWN, j->comm, &flag, MPI_STATUS_IGNORE);
            if (!flag)
                break;
            take_down(j);
        }
        for (;;) { /* owners: the other ranks' last words (their pieces are already sent) */
            int flag = 0;
            MPI_Status ms;
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_CTRL, j->comm, &flag, &ms);
            if (!flag)
                break;
            head h;
            MPI_Recv(&h, (int)sizeof h, MPI_BYTE, ms.MPI_SOURCE, TAG_CTRL, j->comm,
                     MPI_STATUS_IGNORE);
            j->byes += h.kind == UP_BYE;
        }
        merge_ready(j);
        if (j->mypart > 0 && !j->halted && !j->total_sent && j->next_merge == j->nblocks)
            send_total(j);
    }
    ask_more(j);
}

/* Block b, run here: each part's piece to its owner, without waiting; this rank's own part kept
 * here (merged at once when it is next). A failed block travels as headers with its status. */
static void hand_on(mjob *j, void *worker, long long b, ree_status st0, const char *msg0)
{
    /* Rank 0 wants no more blocks. Not after END and this rank's own failure (`stop`): a block
     * before the failed one, run on another thread, is still due everywhere. */
    if (j->rank == 0 ? j->done : j->stopped)
        return;
    int count = block_count(j, b);
    for (int p = 0; p < j->nparts; p++) {
        ree_status st = st0;
        const char *msg = msg0;
        char m[MSG];
        if (p == j->mypart) {
            slot *s = &j->slots[b % j->window];
            if (j->halted)
                continue;
            if (st == REE_OK && b == j->next_merge && s->block != b) {
                merge_here(j, b, worker, NULL, 0, j->rank);
                merge_ready(j);
                continue;
            }
            s->block = b;
            if (st == REE_OK && !(s->buf = pack_piece(j, worker, count, p, &s->len))) {
                st = REE_ENOMEM;
                msg = "out of memory keeping a block for its turn to merge";
            }
            s->status = (int)st;
            if (st != REE_OK && !(s->msg = malloc(strlen(msg) + 1)))
                s->status = REE_ENOMEM; /* reported without its message */
            if (s->msg)
                memcpy(s->msg, msg, strlen(msg) + 1);
            continue;
        }
        size_t len = 0;
        void *packed = st == REE_OK ? pack_piece(j, worker, count, p, &len) : NULL;
        if (st == REE_OK && (!packed || len > (size_t)0x7fffffff - sizeof(head))) {
            st = REE_ENOMEM;
            snprintf(m, sizeof m, "out of memory packing a block for rank %d", p);
            msg = m;
        }
        if (st != REE_OK) {
            free(packed);
            packed = NULL;
            len = 0;
            if (j->rank != 0)
                j->stop = 1; /* this rank's first failure: rank 0 stops when it is due */
        }
        head h = {.kind = UP_DATA, .status = (int)st, .count = count, .part = p, .block = b};
        snprintf(h.msg, sizeof h.msg, "%s", msg);
        unsigned char *buf = malloc(sizeof h + len);
        if (buf) {
            memcpy(buf, &h, sizeof h);
            if (len)
                memcpy(buf + sizeof h, packed, len);
        }
        free(packed);
        if (!buf || keep_send(j, buf, (int)(sizeof h + len), p, block_tag(j, b)) != 0) {
            /* No memory to queue the piece: send, and wait for, its header alone, with the
             * failure that rank 0 reports when the block is due (it needs no allocation). */
            free(buf);
            h.status = (int)REE_ENOMEM;
            snprintf(h.msg, sizeof h.msg, "out of memory sending block %lld from rank %d", b,
                     j->rank);
            if (j->rank != 0)
                j->stop = 1;
            MPI_Send(&h, (int)sizeof h, MPI_BYTE, p, block_tag(j, b), j->comm);
        }
    }
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
                if (!j->done && (b = take(j)) < 0 && assign(j, &start) > 0) {
                    j->cur = start;
                    j->cur_end = j->next_assign;
                    b = take(j);
                }
                fin = j->done || (j->next_assign >= j->nblocks && b < 0);
            } else {
                progress_other(j);
                if (!j->stop && (b = take(j)) >= 0)
                    ask_more(j);
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
        double t0 = MPI_Wtime();
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
        double dt = MPI_Wtime() - t0;
#pragma omp critical(ree_mpi)
        {
            j->t_run += dt;
            if (j->rank == 0)
                j->ran[0]++;
            hand_on(j, worker, b, st, msg);
        }
    }
}

/* Setup of this rank's part and, on rank 0, its bookkeeping of the others. Returns 0, or -1 when
 * out of memory. */
static int setup(mjob *j)
{
    if (j->mypart >= 0) {
        j->slots = calloc((size_t)j->window, sizeof *j->slots);
        j->scratch = j->ops->worker_alloc(j->ops->ctx);
        if (!j->slots || !j->scratch)
            return -1;
        for (long long b = 0; b < j->window; b++)
            j->slots[b].block = -1;
    }
    if (j->rank == 0) {
        j->waiting = calloc((size_t)j->n, 1);
        j->ended_r = calloc((size_t)j->n, 1);
        j->stopped_r = calloc((size_t)j->n, 1);
        j->ran = calloc((size_t)j->n, sizeof *j->ran);
        j->merged = calloc((size_t)j->nparts, sizeof *j->merged);
        j->fail_at = malloc((size_t)j->nparts * sizeof *j->fail_at);
        j->where_sent = malloc((size_t)j->nparts * sizeof *j->where_sent);
        j->fail_st = calloc((size_t)j->nparts, sizeof *j->fail_st);
        j->fail_msg = calloc((size_t)j->nparts, sizeof *j->fail_msg);
        j->times = calloc((size_t)j->n * 3, sizeof *j->times);
        if (!j->waiting || !j->ended_r || !j->stopped_r || !j->ran || !j->merged || !j->fail_at ||
            !j->where_sent || !j->fail_st || !j->fail_msg || !j->times)
            return -1;
        for (int p = 0; p < j->nparts; p++) {
            j->fail_at[p] = j->nblocks;
            j->where_sent[p] = -1;
        }
    }
    return 0;
}

static void teardown(mjob *j)
{
    for (long long b = 0; j->slots && b < j->window; b++) {
        free(j->slots[b].buf);
        free(j->slots[b].msg);
    }
    free(j->slots);
    if (j->scratch)
        j->ops->worker_free(j->ops->ctx, j->scratch);
    for (int i = 0; i < j->nsend; i++)
        free(j->sbuf[i]);
    free(j->sreq);
    free(j->sbuf);
    free(j->waiting);
    free(j->ended_r);
    free(j->stopped_r);
    free(j->ran);
    free(j->merged);
    free(j->fail_at);
    free(j->where_sent);
    free(j->fail_st);
    free(j->fail_msg);
    free(j->times);
}

ree_status ree_exec_mpi_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err,
                            size_t errlen)
{
    if (ops->split ? !ops->pack_part || !ops->unpack_part || !ops->pack_total ||
                         !ops->unpack_total || !ops->merge_part
                   : !ops->pack || !ops->unpack) {
        snprintf(err, errlen, "this computation cannot run on several MPI ranks");
        return REE_EINTERNAL;
    }
    int nthreads = o->threads > 0 ? o->threads : 1;
    mjob j = {.ops = ops, .o = o, .rank = my_rank, .n = nranks, .st = REE_OK};
    double t_start = MPI_Wtime();
    j.nblocks = (o->nruns + REE_EXEC_BLOCK - 1) / REE_EXEC_BLOCK;
    j.where = -1;
    MPI_Comm_dup(MPI_COMM_WORLD, &j.comm);
    /* Rank 0's chunk (its thread count), window and parts for every rank: a rank's default thread
     * count may differ on another host. One part per rank, as the caller can cut them. */
    long long cw[4] = {nthreads, 4 * (long long)j.n * nthreads, 1, 1};
    cw[1] = cw[1] < 8 ? 8 : cw[1] > MAX_WINDOW ? MAX_WINDOW : cw[1];
    if (j.rank == 0 && ops->split)
        cw[3] = ops->split(ops->ctx, j.n);
    MPI_Bcast(cw, 4, MPI_LONG_LONG, 0, j.comm);
    j.chunk = cw[0];
    j.window = cw[1];
    j.nparts = cw[3] > 0 ? (int)cw[3] : 1;
    j.mypart = j.rank < j.nparts ? j.rank : -1;
    int ok = cw[3] > 0;
    if (ok && j.rank != 0 && ops->split && ops->split(ops->ctx, j.nparts) != j.nparts)
        ok = 0; /* the same cut as rank 0's, or no memory for it */
    ok = ok && setup(&j) == 0;
    /* Every rank's setup first: if one cannot have it, no rank starts. */
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, j.comm);
    if (!ok) {
        teardown(&j);
        MPI_Comm_free(&j.comm);
        snprintf(err, errlen, "out of memory setting up the ranks' workspace for the merge");
        return REE_ENOMEM;
    }
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
            (void)assign(&j, &start);
        }
        check_done(&j); /* no block at all */
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
            send_up(&j, 0, UP_ABORT, st, -1, msg);
            j.stop = j.halted = 1;
        }
    } else {
#pragma omp parallel num_threads(nthreads)
        work(&j, workers[omp_get_thread_num()]);
    }
    for (int i = 0; i < nalloc; i++)
        if (workers[i])
            ops->worker_free(ops->ctx, workers[i]);
    free(workers);
    /* The end: rank 0 decides the status (every block merged in every part and the totals in, or
     * the first failure); every rank merges what is left of its part, sends its totals, and once
     * all its sends are through says its last word (BYE) to rank 0 and to every owner of a part,
     * then waits for the others' (owners and rank 0), taking and dropping what comes: no message
     * is left behind. */
    long ns = 20000;
    /* Rank 0 says BYE to every rank, not only to owners: it may still send STOP to a rank that
     * has its END (a failure decided later), which must not leave before it is received. */
    int expect = j.rank == 0 || j.mypart > 0 ? j.n - 1 : 1;
    for (;;) {
        if (j.rank == 0)
            progress_root(&j);
        else
            progress_other(&j);
        int finished = j.rank == 0 ? j.done : j.ended;
        int part_over = j.mypart <= 0 || j.halted || j.total_sent;
        if (!j.bye_sent && finished && part_over && j.nsend == 0) {
            if (j.rank != 0)
                send_up(&j, 0, UP_BYE, REE_OK, 0, NULL);
            for (int p = 1; p < (j.rank == 0 ? j.n : j.nparts); p++)
                if (p != j.rank)
                    send_up(&j, p, UP_BYE, REE_OK, 0, NULL);
            j.bye_sent = 1;
        }
        if (j.bye_sent && j.byes >= expect && j.nsend == 0) /* our BYEs through too */
            break;
        pause_for(&ns);
    }
    j.halted = 1;
    drain(&j);
    /* Where each rank's time went, for the trace (a collective: every rank gets here). */
    double mine[3] = {j.t_run, j.t_merge, MPI_Wtime() - t_start}, *times = j.times;
    MPI_Gather(mine, 3, MPI_DOUBLE, times, 3, MPI_DOUBLE, 0, j.comm); /* set up on rank 0 */
    if (j.rank == 0) {
        st = j.st;
        snprintf(msg, sizeof msg, "%s", j.msg);
        FILE *trace = ree_ranks_trace();
        if (trace) { /* docs/cluster.md: the figures of the estimate */
            fprintf(trace,
                    "reesim: mpi: %d ranks, %lld blocks, %d parts merged on ranks 0-%d; rank 0 "
                    "received %lld pieces, %lld bytes (%.0f per piece); blocks run per rank:",
                    j.n, j.nblocks, j.nparts, j.nparts - 1, j.nrecv, j.bytes,
                    j.nrecv ? (double)j.bytes / (double)j.nrecv : 0.0);
            for (int r = 0; r < j.n; r++)
                fprintf(trace, " %lld", j.ran[r]);
            fprintf(trace, "; seconds per rank running blocks (all threads) / merging its part / "
                           "in the executor:");
            for (int r = 0; r < j.n; r++)
                fprintf(trace, " %.3f/%.3f/%.3f", times[3 * r], times[3 * r + 1], times[3 * r + 2]);
            fprintf(trace, "\n");
        }
    }
    teardown(&j);
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
