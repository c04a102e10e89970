/*
 * Messages between the executor's ranks (exec_mpi.c says the protocol): small control words sent
 * without waiting, sends kept until they complete, and messages received only to be dropped.
 * Only with -DREESIM_MPI=ON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"

#ifdef REESIM_MPI
#include "exec_mpi_priv.h"

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
        if (ree_mpi_keep_send(j, buf, (int)len, dest, tag) == 0)
            return;
        free(buf);
    }
    MPI_Send(msg, (int)len, MPI_BYTE, dest, tag, j->comm);
}

void ree_mpi_send_down(mjob *j, int r, long long kind, long long start, long long len)
{
    down d = {kind, start, len};
    post(j, &d, sizeof d, r, TAG_DOWN);
    if (kind == DOWN_END || kind == DOWN_STOP)
        j->ended_r[r] = 1;
    if (kind == DOWN_STOP)
        j->stopped_r[r] = 1;
}

/* Receive message (src, tag) of `len` bytes and drop it (pieces sent before a failure reached
 * their rank). Open MPI cannot take a message into a smaller buffer (its shared-memory single copy
 * writes the whole message), so this needs a buffer of its size; with no memory for one there is
 * no way left to end the job cleanly but MPI_Abort (exit 71, mpirun names the rank). */
void ree_mpi_drop_message(mjob *j, int src, int tag, int len)
{
    void *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf)
        MPI_Abort(MPI_COMM_WORLD, 71);
    MPI_Recv(buf, len, MPI_BYTE, src, tag, j->comm, MPI_STATUS_IGNORE);
    free(buf);
}

void ree_mpi_send_up(mjob *j, int dest, int kind, ree_status st, long long block, const char *msg)
{
    head h = {.kind = kind, .status = (int)st, .part = j->mypart, .block = block};
    snprintf(h.msg, sizeof h.msg, "%s", msg ? msg : "");
    post(j, &h, sizeof h, dest, TAG_CTRL);
}

/* Keep a finished send (piece, totals) until it completes. Returns 0, or -1 when out of memory. */
int ree_mpi_keep_send(mjob *j, void *buf, int len, int dest, int tag)
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

/* Finished sends released. */
void ree_mpi_test_sends(mjob *j)
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

#endif
