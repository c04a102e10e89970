/* The block executor (see exec.h). */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include "exec.h"

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
    void **workers = calloc((size_t)nthreads, sizeof *workers);
    if (!workers) {
        snprintf(err, errlen, "out of memory setting up %d threads", nthreads);
        return REE_ENOMEM;
    }
    ree_status status = REE_OK;
    for (int i = 0; i < nthreads && status == REE_OK; i++)
        if (!(workers[i] = ops->worker_alloc(ops->ctx))) {
            snprintf(err, errlen, "out of memory setting up the workspace of thread %d of %d",
                     i + 1, nthreads);
            status = REE_ENOMEM;
        }
    int stop = status != REE_OK; /* set once a merge fails or a cancel is seen */
    if (!stop) {
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(nthreads)
        for (long long i = 0; i < nlocal; i++) {
            long long b = b0 + i * stride;
            void *w = workers[omp_get_thread_num()];
            long long off = b * REE_EXEC_BLOCK, first = o->first_run + off;
            int count = (int)(o->nruns - off < REE_EXEC_BLOCK ? o->nruns - off : REE_EXEC_BLOCK);
            char berr[512] = "";
            int skip;
#pragma omp atomic read
            skip = stop;
            ree_status bs = REE_OK;
            if (!skip && o->cancel && *o->cancel)
                bs = REE_EINTERRUPTED;
            else if (!skip)
                bs = ops->block(ops->ctx, w, first, count, berr, sizeof berr);
#pragma omp ordered
            {
                if (!skip && status == REE_OK) {
                    if (bs == REE_EINTERRUPTED && !*berr)
                        snprintf(berr, sizeof berr, "interrupted");
                    if (bs == REE_OK)
                        bs = ops->merge(ops->ctx, w, first, count, berr, sizeof berr);
                    if (bs != REE_OK) {
                        status = bs;
                        snprintf(err, errlen, "%s", berr);
#pragma omp atomic write
                        stop = 1;
                    } else if (o->progress) {
                        o->progress(o->progress_arg, off + count, o->nruns);
                    }
                }
            }
        }
    }
    for (int i = 0; i < nthreads; i++)
        if (workers[i])
            ops->worker_free(ops->ctx, workers[i]);
    free(workers);
    return status;
}
