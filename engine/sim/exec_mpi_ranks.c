/*
 * The MPI job (exec.h): joining it under a launcher, this rank and the number of ranks, and the
 * collectives outside the block executor (a status, bytes, a maximum shared from rank 0 or across
 * ranks). Built without -DREESIM_MPI=ON it is one rank (the stubs at the end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "exec.h"

/* Whether this rank has seen a failure every rank saw (a failing status from ree_ranks_share, a
 * failing rank from ree_ranks_failed): at the end (ree_ranks_end) it then waits for the others
 * without limit, since they saw it too and come. */
static int agreed;

#ifdef REESIM_MPI
#include <mpi.h>

static int joined, my_rank, nranks = 1;
static MPI_Comm end_comm = MPI_COMM_NULL; /* ree_ranks_end's own */

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
    if (nranks > 1 && MPI_Comm_dup(MPI_COMM_WORLD, &end_comm) != MPI_SUCCESS) {
        snprintf(err, errlen, "cannot set up the MPI job's communicators");
        return -1;
    }
    return 0;
}

void ree_ranks_finalize(void)
{
    if (end_comm != MPI_COMM_NULL)
        MPI_Comm_free(&end_comm);
    if (joined)
        MPI_Finalize();
    joined = 0;
}

int ree_ranks_end(int failed, double wait_s)
{
    if (end_comm == MPI_COMM_NULL)
        return 0;
    MPI_Request rq;
    MPI_Ibarrier(end_comm, &rq);
    if (!failed || agreed) { /* the others come: they saw the failure too */
        MPI_Wait(&rq, MPI_STATUS_IGNORE);
        return 0;
    }
    double until = MPI_Wtime() + wait_s;
    for (;;) {
        int done = 0;
        MPI_Test(&rq, &done, MPI_STATUS_IGNORE);
        if (done)
            return 0;
        if (MPI_Wtime() > until)
            return -1; /* the request stays pending: the caller aborts */
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
}

void ree_ranks_abort(int code)
{
    if (joined && nranks > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
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
    agreed |= v != REE_OK;
    return (ree_status)v;
}

void ree_ranks_bcast_from(int root, void *buf, size_t len)
{
    for (size_t done = 0; nranks > 1 && done < len;) { /* MPI counts are int */
        size_t part = len - done < (size_t)1 << 30 ? len - done : (size_t)1 << 30;
        MPI_Bcast((char *)buf + done, (int)part, MPI_BYTE, root, MPI_COMM_WORLD);
        done += part;
    }
}

int ree_ranks_max(int v)
{
    int m = v;
    if (nranks > 1)
        MPI_Allreduce(&v, &m, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return m;
}

int ree_ranks_sum(int v)
{
    int m = v;
    if (nranks > 1)
        MPI_Allreduce(&v, &m, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    return m;
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

int ree_ranks_end(int failed, double wait_s)
{
    (void)failed, (void)wait_s;
    return 0;
}

void ree_ranks_abort(int code)
{
    exit(code);
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

void ree_ranks_bcast_from(int root, void *buf, size_t len)
{
    (void)root, (void)buf, (void)len;
}

int ree_ranks_max(int v)
{
    return v;
}

int ree_ranks_sum(int v)
{
    return v;
}

#endif

int ree_ranks_who(int mine)
{
    return ree_ranks_max(mine ? ree_rank() + 1 : 0);
}

int ree_ranks_failed(int mine)
{
    int who = ree_ranks_who(mine);
    agreed |= ree_ranks() > 1 && who != 0;
    return who;
}

int ree_ranks_lack_memory(int mine, const char *site, const char *what, char *err, size_t errlen)
{
    mine |= ree_ranks_no_memory(site);
    int who = ree_ranks_failed(mine);
    if (who && mine)
        snprintf(err, errlen, "out of memory %s", what);
    else if (who)
        snprintf(err, errlen, "out of memory on MPI rank %d, %s", who - 1, what);
    return who;
}

void ree_ranks_bcast(void *buf, size_t len)
{
    ree_ranks_bcast_from(0, buf, len);
}

int ree_ranks_differ(const void *buf, size_t len)
{
    if (ree_ranks() < 2)
        return 0;
    unsigned char part[256]; /* rank 0's bytes, a part at a time */
    int differs = 0;
    for (size_t done = 0; done < len; done += sizeof part) {
        size_t n = len - done < sizeof part ? len - done : sizeof part;
        memcpy(part, (const unsigned char *)buf + done, n);
        ree_ranks_bcast(part, n);
        differs |= memcmp(part, (const unsigned char *)buf + done, n) != 0;
    }
    return ree_ranks_failed(differs);
}
