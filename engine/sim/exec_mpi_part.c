/*
 * The part of the merge on this rank (exec_mpi.c says the protocol): a block run here cut into
 * pieces (the caller's pack hooks) and each sent to its part's owner, this rank's own piece kept
 * until its turn; pieces received from other ranks, checked and merged strictly in block order;
 * the part's totals sent to rank 0 at the end. Only with -DREESIM_MPI=ON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"

#ifdef REESIM_MPI
#include "exec_mpi_priv.h"

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
        ree_mpi_part_failed(j, b, st, err);
    else
        ree_mpi_merged_one(j, b);
}

/* Part merged here: merge every piece that is next and here, in block order. */
void ree_mpi_merge_ready(mjob *j)
{
    while (j->mypart >= 0 && !j->halted && !j->part_stopped && j->next_merge < j->nblocks) {
        long long b = j->next_merge;
        int first = j->rank == 0 ? first_failure(j) : -1;
        if (first >= 0 && b > j->fail_at[first])
            return; /* past the first failure: nothing more to merge in part 0 */
        slot *s = &j->slots[b % j->window];
        if (s->block == b) { /* run here */
            if (s->status != REE_OK)
                ree_mpi_part_failed(j, b, (ree_status)s->status, s->msg ? s->msg : "");
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
            ree_mpi_part_failed(j, b, REE_ENOMEM, m);
            return;
        }
        MPI_Recv(buf, len, MPI_BYTE, ms.MPI_SOURCE, block_tag(j, b), j->comm, MPI_STATUS_IGNORE);
        head h;
        if ((size_t)len < sizeof h) {
            ree_mpi_part_failed(j, b, REE_EINTERNAL, "a rank sent a truncated block");
        } else {
            memcpy(&h, buf, sizeof h);
            h.msg[MSG - 1] = 0;
            if (j->rank == 0) {
                j->nrecv++;
                j->bytes += len;
                j->ran[ms.MPI_SOURCE]++;
            }
            if (h.block != b || h.count != block_count(j, b) || h.part != j->mypart)
                ree_mpi_part_failed(j, b, REE_EINTERNAL,
                                    "a rank sent another block than the one due");
            else if (h.status != REE_OK)
                ree_mpi_part_failed(j, b, (ree_status)h.status, h.msg);
            else
                merge_here(j, b, j->scratch, buf + sizeof h, (size_t)len - sizeof h, ms.MPI_SOURCE);
        }
        free(buf);
    }
}

/* An owner of a part: its totals to rank 0 once every block is merged. */
void ree_mpi_send_total(mjob *j)
{
    size_t len = 0;
    void *buf = j->ops->pack_total(j->ops->ctx, j->mypart, &len);
    j->total_sent = 1;
    if (!buf || len > 0x7fffffff || ree_mpi_keep_send(j, buf, (int)len, 0, TAG_TOTAL) != 0) {
        free(buf);
        char m[MSG];
        snprintf(m, sizeof m, "out of memory sending the statistics of rank %d", j->rank);
        ree_mpi_part_failed(j, -1, REE_ENOMEM, m);
    }
}

/* Block b, run here: each part's piece to its owner, without waiting; this rank's own part kept
 * here (merged at once when it is next). A failed block travels as headers with its status. */
void ree_mpi_hand_on(mjob *j, void *worker, long long b, ree_status st0, const char *msg0)
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
                ree_mpi_merge_ready(j);
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
        if (!buf || ree_mpi_keep_send(j, buf, (int)(sizeof h + len), p, block_tag(j, b)) != 0) {
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

#endif
