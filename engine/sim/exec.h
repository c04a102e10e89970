/*
 * The block executor: the one loop over runs that `run`, `compare` (and later sweeps and MPI)
 * share.
 *
 * Runs first_run .. first_run + nruns - 1 are cut into fixed blocks of REE_EXEC_BLOCK
 * consecutive run indices (the last block may be shorter). Blocks are taken in order into a pool
 * of workers, one per thread (each one run workspace and one block's partial results); a thread
 * fills a free worker with `block`, and `merge` folds it into the totals strictly in block order,
 * whoever ran the block, so any result built by `merge` is byte-identical for every thread count.
 * With `split`, the merge is cut into parts (4 per thread) and each part is merged in block order
 * on its own, so the parts of one block are merged by several threads at once, and one block's
 * merges overlap the next block's run: no merge is a serial step for all threads. With at least
 * one part per thread, part p is merged only by thread p % threads, its owner, so that its share
 * of the totals stays in one core's cache, and the pool holds two workers per thread, so that a
 * block waiting for an owner busy running another block holds nobody up (on the gate example,
 * -j2 used 4% less CPU and ran 1.84x against 1.75x one thread, bench/HISTORY.md, stop 17); with
 * fewer parts, any thread merges any part. A thread with no part to merge takes the next block
 * when a worker is free (the block as many workers before it is merged in every part), else it
 * sleeps on a condition variable until another thread's change gives it work: no spinning, no
 * wave and no barrier between blocks. (Before, each thread merged the parts of its own block,
 * and behind a block whose merge was slow, when the sketches of every cell compact at once, the
 * other threads waited: 18% of two threads' time on historical-2025, bench/HISTORY.md.)
 *
 * Cancellation: `cancel` is polled before each block; once set, remaining blocks are skipped
 * and REE_EINTERRUPTED is returned. Errors: the first failing block *in block order* decides the
 * status and message, so even a failure is reported identically for every thread count.
 *
 * The executor allocates only its pool of workers and its schedule; it prints nothing (progress
 * goes through the caller's callback, called after each merge of part 0, from one thread at a
 * time, in block order).
 */
#ifndef REESIM_EXEC_H
#define REESIM_EXEC_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include "reesim/reesim.h"

#define REE_EXEC_BLOCK 64

/* What the caller plugs in. `ctx` is passed back to every hook. A hook returning a status other
 * than REE_OK writes a message into `err` (errlen bytes). */
typedef struct ree_exec_ops {
    void *ctx;
    /* The pool of workers (exec.h above), allocated before any block runs, by the threads
     * themselves and so concurrently (worker_alloc must be safe to call from several threads
     * at once); NULL when out of memory. A worker is used by one thread at a time, not always the same one; `merge_part`
     * may fold different parts of one worker on different threads at once (read-only). There
     * are one or two workers per thread (see above). */
    void *(*worker_alloc)(void *ctx);
    void (*worker_free)(void *ctx, void *worker);
    /* Simulate runs first .. first + count - 1 into the worker (runs concurrently with other
     * blocks, on other workers). */
    ree_status (*block)(void *ctx, void *worker, long long first, int count, char *err,
                        size_t errlen);
    /* Fold the worker's block into the caller's totals (one at a time, in block order). */
    ree_status (*merge)(void *ctx, void *worker, long long first, int count, char *err,
                        size_t errlen);
    /* Needed only on MPI ranks (exec_mpi.c), may be NULL otherwise: the worker's block result
     * (after `block`) as bytes, and back. `pack` returns malloc'd bytes and their length in *len,
     * or NULL when out of memory; `unpack` makes the worker hold that block result exactly as if
     * it had run the block (REE_OK, REE_ENOMEM, or REE_EINTERNAL when the bytes do not fit). */
    void *(*pack)(void *ctx, void *worker, int count, size_t *len);
    ree_status (*unpack)(void *ctx, void *worker, int count, const void *bytes, size_t len);
    /* Optional (NULL: the merge is one part, `merge`, `pack` and `unpack` above). The merge cut
     * into parts that touch disjoint state (ranges of statistics cells), so that several merges run
     * at once: part p of block b is merged after part p of block b-1 (so each part still sees every
     * block in block order, and the result is that of `merge`), at the same time as other parts of
     * other blocks, on other threads or ranks. `split` is called once, before any block, with the
     * number of parts the executor would like (>= 1); it returns the number it will use, 1 .. want,
     * or 0 when out of memory. Part 0 holds whatever is not cut (runs.csv rows, the variance
     * budget): progress is reported when it is merged.
     * merge_part folds part `part` of the worker's block into the totals; pack_part and unpack_part
     * are pack and unpack restricted to that part (MPI ranks send each part to the rank that merges
     * it). pack_total and unpack_total (MPI only) move part `part` of the totals, once every block
     * is merged into it, from the rank that merged it to rank 0, which then holds all the totals. */
    int (*split)(void *ctx, int want);
    ree_status (*merge_part)(void *ctx, void *worker, long long first, int count, int part,
                             char *err, size_t errlen);
    void *(*pack_part)(void *ctx, void *worker, int count, int part, size_t *len);
    ree_status (*unpack_part)(void *ctx, void *worker, int count, int part, const void *bytes,
                              size_t len);
    void *(*pack_total)(void *ctx, int part, size_t *len);
    ree_status (*unpack_total)(void *ctx, int part, const void *bytes, size_t len);
} ree_exec_ops;

typedef struct ree_exec_opts {
    long long first_run;           /* index of the first run */
    long long nruns;               /* number of runs, >= 0 */
    int threads;                   /* >= 1 (values below 1 mean 1) */
    volatile sig_atomic_t *cancel; /* when set and non-zero: stop before the next block */
    ree_progress_fn progress;      /* reesim.h; called after each merge; may be NULL */
    void *progress_arg;
    /* Which blocks this process runs: those b with b % block_stride == block_offset. Leave both
     * 0 (every block; under MPI ranks the executor hands blocks to ranks itself, exec_mpi.c). */
    long long block_offset, block_stride;
} ree_exec_opts;

/* Run every block. Returns REE_OK; REE_ENOMEM when a worker cannot be allocated; the status of
 * the first failing block (in block order) with its message in `err`; or REE_EINTERRUPTED.
 * Workers are freed before return. */
ree_status ree_exec_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err, size_t errlen);

/*
 * MPI ranks (exec_mpi_ranks.c, exec_mpi.c; built with -DREESIM_MPI=ON, otherwise one rank and these do nothing).
 *
 * Under mpirun every rank runs the same program; ree_exec_run hands out blocks dynamically:
 * each rank starts with one range of `threads` blocks and asks rank 0 for the next range as soon
 * as it starts its last one, so a rank whose blocks are cheap takes more of them. Ranks run their
 * blocks on their OpenMP threads. The merge is cut into parts (ops->split, one per rank as far as
 * the caller can cut): rank p merges part p of every block strictly in block order, whoever ran
 * it, and finally sends its part of the totals to rank 0; so each part is byte-identical to one
 * process, and the merge work is spread over the ranks instead of passing through rank 0. Rank 0
 * hands out only blocks within a window of 4 x ranks x threads blocks ahead of the slowest part's
 * merge, so memory stays bounded whatever the runs. All ranks return the status rank 0 decided
 * (the first failing block in block order, or an interruption seen by any rank), with its message.
 * Only rank 0 writes files and prints (the program sends the other ranks' stdout and stderr to
 * /dev/null).
 */

/* Join the MPI job when started by an MPI launcher (mpirun, srun); else do nothing. Returns 0, or
 * -1 with a message in `err` (errlen bytes). Call once at the start of main. */
int ree_ranks_init(int *argc, char ***argv, char *err, size_t errlen);
/* Leave the MPI job (when joined). */
void ree_ranks_finalize(void);
/* At the end of a command, on every rank: 0 once every rank has reached it (a barrier on a
 * communicator of its own, so it cannot match a collective step another rank is still waiting
 * in). A rank whose command failed (`failed`) where no collective step told every rank of a
 * failure waits at most `wait_s` seconds, then returns -1: it failed alone, another rank waits
 * for it at a collective step it left, and the caller ends the job (ree_ranks_abort). A rank
 * that succeeded, or saw a failure every rank saw, waits without limit. 0 on one rank. */
int ree_ranks_end(int failed, double wait_s);
/* End every rank of the job now (MPI_Abort) with exit `code`; on one rank, exit(code). */
_Noreturn void ree_ranks_abort(int code);
int ree_rank(void);  /* this rank, 0 .. ree_ranks() - 1; 0 without MPI */
int ree_ranks(void); /* number of ranks; 1 without MPI */
/* Collective (every rank calls it at the same point): rank 0's status, returned on every rank. */
ree_status ree_ranks_share(ree_status st);
/* Collective: the `len` bytes at `buf` on rank 0 copied into `buf` on every rank (rank 0's
 * decision: the next lever value, a minimiser's score or point). Does nothing on one rank. */
void ree_ranks_bcast(void *buf, size_t len);
/* Collective: the same from rank `root` (0 .. ree_ranks() - 1), e.g. the rank that failed. */
void ree_ranks_bcast_from(int root, void *buf, size_t len);
/* Collective: the largest of every rank's `v` (e.g. the number of the signal that stopped any
 * rank), returned on every rank. Returns `v` on one rank. */
int ree_ranks_max(int v);
/* Collective: the sum of every rank's `v` (e.g. how many ranks failed). Returns `v` on one rank. */
int ree_ranks_sum(int v);
/* Collective: whether any rank failed (`mine` nonzero on it) before a collective step, so that
 * every rank stops there together: 0 when none did, else 1 + the highest rank that did. On one
 * rank: 1 when `mine`, else 0. */
int ree_ranks_failed(int mine);
/* Collective: the same answer for a condition every rank recovers from (a calibration point
 * scored badly): ree_ranks_failed also marks the failure as seen by every rank, so that the
 * command's end (ree_ranks_end) waits for the others without limit. */
int ree_ranks_who(int mine);
/* Collective: as ree_ranks_failed, for memory one rank may lack before a collective step (`mine`,
 * or the test aid at `site`): 0 when every rank has it, else 1 + the highest rank that does not,
 * with a message in err: "out of memory WHAT" on that rank, "out of memory on MPI rank R, WHAT"
 * on the others. */
int ree_ranks_lack_memory(int mine, const char *site, const char *what, char *err, size_t errlen);
/* Collective: whether every rank holds the same `len` bytes at `buf` as rank 0 (a digest of what
 * it loaded, its build): 0 when all do, else 1 + the highest rank whose bytes differ. 0 on one
 * rank. */
int ree_ranks_differ(const void *buf, size_t len);
/* Where rank 0 reports, after each executor call on several ranks, the figures of the cluster
 * estimate (docs/cluster.md: ranks, blocks, blocks received and their bytes); NULL (the default):
 * nowhere. The stream stays the caller's. */
void ree_ranks_set_trace(FILE *f);
FILE *ree_ranks_trace(void);
/* A test aid (tests/cli/mpi.sh): this rank sleeps `ms` milliseconds after each block it runs, to
 * show that blocks go to the ranks that ask for them. 0 (the default): no sleep. */
void ree_ranks_set_slow(long ms);
/* A test aid (tests/cli/mpi.sh): this rank fails as if out of memory at `site`, to show that no
 * rank is then left waiting for it: "stats", its Monte Carlo's statistics (ree_mc_run); "inputs",
 * the inputs of sweep, sensitivity and search, compare's list of scenarios; "setup", a command's
 * set-up (sweep's design, sensitivity's and calibrate's arrays); "method", a method's work arrays
 * (Morris, Sobol, the calibration's minimiser). NULL (the default): nowhere.
 * ree_ranks_no_memory(site): whether this rank is to fail at `site`. */
void ree_ranks_set_no_memory(const char *site);
int ree_ranks_no_memory(const char *site);

/* The executor across ranks (exec_mpi.c); ree_exec_run calls it when ree_ranks() > 1. */
ree_status ree_exec_mpi_run(const ree_exec_ops *ops, const ree_exec_opts *o, char *err,
                            size_t errlen);

#endif
