/*
 * The block executor across MPI ranks (see exec.h): the protocol, rank 0's assignment and
 * decisions, and each rank's loop. With exec_mpi_wire.c (messages between ranks), exec_mpi_part.c
 * (a block's pieces, and the merge of the part owned here), exec_mpi_ranks.c (the MPI job) and
 * exec_mpi_priv.h, the only files that know MPI; built without -DREESIM_MPI=ON it is one rank and
 * nothing else (the stubs at the end).
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

#include "exec_mpi_priv.h"

static long slow_ms; /* ree_ranks_set_slow */

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

/* Rank 0: blocks merged in every part (the window starts there). */
static long long min_merged(const mjob *j)
{
    long long m = j->next_merge;
    for (int p = 1; p < j->nparts; p++)
        m = j->merged[p] < m ? j->merged[p] : m;
    return m;
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

/* Rank 0: answer rank r's request, or keep it until the window moves. */
static void serve(mjob *j, int r)
{
    long long start = 0, len = j->done ? -1 : assign(j, &start);
    j->waiting[r] = len == 0;
    if (len > 0)
        ree_mpi_send_down(j, r, DOWN_ASSIGN, start, len);
    else if (len < 0 && !j->ended_r[r])
        ree_mpi_send_down(j, r, j->done && j->st != REE_OK ? DOWN_STOP : DOWN_END, 0, 0);
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
            ree_mpi_send_down(j, r, DOWN_STOP, 0, 0);
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
            ree_mpi_send_down(j, q, DOWN_WHERE, c, 0);
            j->where_sent[q] = c;
        }
    }
    if (settled)
        fail(j, j->fail_st[best], j->fail_msg[best]);
}

/* The part merged here failed at block b (the block failed, or its merge): rank 0 stops when
 * block b is due in part 0 (so the first failure in block order wins), another owner tells it. */
void ree_mpi_part_failed(mjob *j, long long b, ree_status st, const char *msg)
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
    ree_mpi_send_up(j, 0, UP_ABORT, st, b, msg);
}

/* Part merged here: block b merged. */
void ree_mpi_merged_one(mjob *j, long long b)
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
        ree_mpi_send_up(j, 0, UP_MERGED, REE_OK, j->next_merge, NULL);
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
        ree_mpi_drop_message(j, src, TAG_TOTAL, len);
        return;
    }
    void *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf) {
        fail(j, REE_ENOMEM, "out of memory receiving the statistics of another rank");
        ree_mpi_drop_message(j, src, TAG_TOTAL, len);
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
            ree_mpi_send_up(j, 0, UP_MERGED, REE_OK, j->next_merge, NULL);
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
            ree_mpi_drop_message(j, ms.MPI_SOURCE, ms.MPI_TAG, len);
        }
    }
}

/* Rank 0: read the other ranks' messages, merge what is due, answer requests. */
static void progress_root(mjob *j)
{
    ree_mpi_test_sends(j);
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
        ree_mpi_merge_ready(j);
        decide(j);
    }
    for (int r = 1; r < j->n; r++)
        if (j->waiting[r])
            serve(j, r);
}

/* Other ranks: ask for more as soon as the last range given is started (two ranges at most), so
 * that the answer comes while that range runs: asked only after it, a rank with one thread would
 * wait idle for rank 0's next look at its messages (up to a block's run). */
static void ask_more(mjob *j)
{
    if (!j->asked && !j->ended && !j->stop && j->nxt == j->nxt_end) {
        ree_mpi_send_up(j, 0, UP_REQ, REE_OK, 0, NULL);
        j->asked = 1;
    }
}

/* Other ranks: requests out, assignments in, their part merged, finished sends released. */
static void progress_other(mjob *j)
{
    ree_mpi_test_sends(j);
    if (j->o->cancel && *j->o->cancel && !j->aborted && !j->ended) {
        ree_mpi_send_up(j, 0, UP_ABORT, REE_EINTERRUPTED, -1, "interrupted");
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
        ree_mpi_merge_ready(j);
        if (j->mypart > 0 && !j->halted && !j->total_sent && j->next_merge == j->nblocks)
            ree_mpi_send_total(j);
    }
    ask_more(j);
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
            ree_mpi_hand_on(j, worker, b, st, msg);
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
    mjob j = {.ops = ops, .o = o, .rank = ree_rank(), .n = ree_ranks(), .st = REE_OK};
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
    /* Each thread allocates its own worker (as ree_exec_run's threads do: a worker costs
     * milliseconds, one thread allocating them all was a serial start growing with the threads);
     * a thread without one (out of memory, or not in the team) runs no block. */
    void **workers = calloc((size_t)nthreads, sizeof *workers);
    int nalloc = workers ? nthreads : 0, have = 0;
    if (workers) {
#pragma omp parallel num_threads(nthreads)
        {
            int t = omp_get_thread_num();
            if (t < nalloc)
                workers[t] = ops->worker_alloc(ops->ctx);
        }
    }
    for (int i = 0; i < nalloc; i++)
        have += workers[i] != NULL;
    if (have < 1) { /* no worker at all: this rank cannot run blocks */
        st = REE_ENOMEM;
        snprintf(msg, sizeof msg, "out of memory setting up the workspace of rank %d", j.rank);
        if (j.rank == 0) {
            fail(&j, st, msg);
        } else {
            ree_mpi_send_up(&j, 0, UP_ABORT, st, -1, msg);
            j.stop = j.halted = 1;
        }
    } else {
#pragma omp parallel num_threads(nthreads)
        {
            int t = omp_get_thread_num();
            if (t < nalloc && workers[t])
                work(&j, workers[t]);
        }
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
                ree_mpi_send_up(&j, 0, UP_BYE, REE_OK, 0, NULL);
            for (int p = 1; p < (j.rank == 0 ? j.n : j.nparts); p++)
                if (p != j.rank)
                    ree_mpi_send_up(&j, p, UP_BYE, REE_OK, 0, NULL);
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

ree_status ree_exec_mpi_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err,
                            size_t errlen)
{
    (void)ops, (void)o;
    snprintf(err, errlen, "this reesim was built without MPI");
    return REE_EINTERNAL;
}

#endif

/* Executor settings (exec.h). */
static const char *no_memory; /* ree_ranks_set_no_memory */

void ree_ranks_set_no_memory(const char *site)
{
    no_memory = site;
}

int ree_ranks_no_memory(const char *site)
{
    return no_memory && !strcmp(no_memory, site);
}

#ifdef REESIM_MPI
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

#else
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

#endif
