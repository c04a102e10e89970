/*
 * Internal to the executor across MPI ranks (exec_mpi.c says the protocol): the messages, the job's
 * state and the calls shared by exec_mpi.c (rank 0's assignment and decisions, each rank's loop),
 * exec_mpi_wire.c (messages between ranks) and exec_mpi_part.c (a block's pieces: packed and sent
 * to their owners, received and merged in block order). Only with -DREESIM_MPI=ON.
 */
#ifndef REESIM_EXEC_MPI_PRIV_H
#define REESIM_EXEC_MPI_PRIV_H

#include <mpi.h>
#include <stddef.h>
#include "exec.h"

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

static inline int block_count(const mjob *j, long long b)
{
    long long left = j->o->nruns - b * REE_EXEC_BLOCK;
    return (int)(left < REE_EXEC_BLOCK ? left : REE_EXEC_BLOCK);
}

static inline int block_tag(const mjob *j, long long b)
{
    return TAG_BLOCK0 + (int)(b % j->window);
}

/* Rank 0: the part whose failure comes first in block order (then part order), or -1. */
static inline int first_failure(const mjob *j)
{
    int best = 0;
    for (int p = 1; p < j->nparts; p++)
        if (j->fail_at[p] < j->fail_at[best])
            best = p;
    return j->fail_at[best] < j->nblocks ? best : -1;
}

/* exec_mpi_wire.c: messages between ranks. */
void ree_mpi_send_down(mjob *j, int r, long long kind, long long start, long long len);
void ree_mpi_drop_message(mjob *j, int src, int tag, int len);
void ree_mpi_send_up(mjob *j, int dest, int kind, ree_status st, long long block, const char *msg);
int ree_mpi_keep_send(mjob *j, void *buf, int len, int dest, int tag);
void ree_mpi_test_sends(mjob *j);

/* exec_mpi_part.c: the part merged here and the pieces of blocks. */
void ree_mpi_merge_ready(mjob *j);
void ree_mpi_send_total(mjob *j);
void ree_mpi_hand_on(mjob *j, void *worker, long long b, ree_status st0, const char *msg0);

/* exec_mpi.c: what the part merged here tells rank 0 (or, on rank 0, decides). */
void ree_mpi_part_failed(mjob *j, long long b, ree_status st, const char *msg);
void ree_mpi_merged_one(mjob *j, long long b);

#endif
