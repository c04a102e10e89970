/* The block executor across MPI ranks (engine/sim/exec_mpi.c), with fake ops that simulate
 * nothing; run by tests/mpi/exec_mpi.sh under `mpirun -np N` (N = 1 .. 4), or alone (one rank).
 *
 * Every part's totals are a running hash of the blocks merged into it, in merge order
 * (h = h * 31 + value(first run, part)) and a count; pack_part/unpack_part move a block's piece of
 * one part to the part's owner, pack_total/unpack_total an owner's totals to rank 0. After each
 * case rank 0 compares every part's hash and count with the sequential expectation, so a block
 * merged out of order, missed or twice, a piece merged from the wrong block, or a part's totals
 * that never reach rank 0 (rank 0 starts those parts from a sentinel when there are several ranks)
 * fail the case. Cases: success for several block counts (0 runs, 1 block, fewer blocks than
 * ranks, many blocks and a partial last block, 1 and 2 threads per rank), with split returning
 * min(want, K) for K = 1, 2, 5 and without split (merge, pack, unpack); a block that fails in the
 * middle while every later block fails at once (the first failure in block order decides: every
 * rank returns its status and message); the merge of the last part failing at a block, alone and
 * with later blocks failing; a cancel seen on whichever rank runs block 3. block() sleeps a seeded
 * random few hundred microseconds to shake the order in which blocks finish.
 *
 * Every case also checks that no message is left behind: the test wraps MPI_Comm_free (the MPI
 * profiling interface; the executor frees its communicator once every rank is done) and counts
 * the messages still waiting there.
 *
 * Prints one line per case on rank 0; exits 1 (on every rank) when any case fails. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "exec.h"

#define MAXP     8
#define SENTINEL 0x5eed5eed5eed5eedULL

typedef struct fake {
    int k;             /* split returns min(want, k); 0: no split */
    int nparts;        /* split's answer (1 without split) */
    long long nruns;   /* of the case */
    long long fail_at; /* block() fails here (slowly), and from fail_from on (at once); -1: none */
    long long fail_from;
    long long mfail_block; /* the merge of the last part of this block fails; -1: none */
    long long cancel_at;   /* block() sets *cancel at this block; -1: never */
    volatile sig_atomic_t *cancel;
    unsigned seed;
    uint64_t h[MAXP]; /* the totals: per part a running hash and a count */
    long long n[MAXP];
    int totals_in[MAXP]; /* unpack_total calls per part (rank 0) */
    int bad;             /* a hook saw something wrong */
    long long last_progress;
    int progress_bad;
} fake;

typedef struct worker {
    long long first[MAXP];
    int count[MAXP];
    uint64_t val[MAXP];
} worker;

typedef struct piece {
    long long first;
    int count, part;
    uint64_t val;
} piece;

typedef struct total {
    uint64_t h;
    long long n;
    int part;
} total;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t value(long long first, int part)
{
    return mix((uint64_t)first) + (uint64_t)part;
}

/* Messages found on the executor's communicator when it is freed (each a protocol message that
 * no one received). MPI_Comm_free is collective: after the barrier every rank has made all its
 * sends on it, so whatever arrives within a few milliseconds was left behind. */
static long long leftovers;

int MPI_Comm_free(MPI_Comm *comm)
{
    PMPI_Barrier(*comm);
    for (int i = 0; i < 20; i++) {
        int flag = 0;
        MPI_Status ms;
        PMPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, *comm, &flag, &ms);
        if (flag) {
            int len = 0;
            PMPI_Get_count(&ms, MPI_BYTE, &len);
            char *buf = malloc(len > 0 ? (size_t)len : 1);
            if (!buf)
                abort();
            PMPI_Recv(buf, len, MPI_BYTE, ms.MPI_SOURCE, ms.MPI_TAG, *comm, MPI_STATUS_IGNORE);
            free(buf);
            leftovers++;
            i = 0;
            continue;
        }
        struct timespec ts = {0, 250000};
        nanosleep(&ts, NULL);
    }
    return PMPI_Comm_free(comm);
}

static int parts_of(const fake *f)
{
    return f->k ? f->nparts : 1;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void *w_alloc(void *ctx)
{
    (void)ctx;
    worker *w = calloc(1, sizeof *w);
    if (w)
        for (int p = 0; p < MAXP; p++)
            w->first[p] = -1;
    return w;
}

static void w_free(void *ctx, void *w)
{
    (void)ctx;
    free(w);
}

static ree_status block(void *ctx, void *wp, long long first, int count, char *err, size_t errlen)
{
    fake *f = ctx;
    worker *w = wp;
    long long b = first / REE_EXEC_BLOCK;
    if (f->fail_from >= 0 && b >= f->fail_from) {
        snprintf(err, errlen, "block %lld failed (fast)", b);
        return REE_EINVALID;
    }
    if (b == f->fail_at || b == f->mfail_block)
        sleep_us(50000); /* later blocks finish (and fail) first */
    sleep_us((long)(mix(f->seed * 1000003ULL + (uint64_t)b * 7 + (uint64_t)ree_rank()) % 500));
    if (b == f->cancel_at)
        *f->cancel = 1;
    if (b == f->fail_at) {
        snprintf(err, errlen, "block %lld failed", b);
        return REE_EBALANCE;
    }
    for (int p = 0; p < MAXP; p++) {
        w->first[p] = first;
        w->count[p] = count;
        w->val[p] = value(first, p);
    }
    return REE_OK;
}

static ree_status merge_part(void *ctx, void *wp, long long first, int count, int part, char *err,
                             size_t errlen)
{
    fake *f = ctx;
    worker *w = wp;
    long long left = f->nruns - first;
    if (part < 0 || part >= parts_of(f) || w->first[part] != first || w->count[part] != count ||
        count != (left < REE_EXEC_BLOCK ? left : REE_EXEC_BLOCK) ||
        w->val[part] != value(first, part)) {
        f->bad = 1;
        snprintf(err, errlen, "merge: the worker does not hold block %lld part %d",
                 first / REE_EXEC_BLOCK, part);
        return REE_EINTERNAL;
    }
    if (first / REE_EXEC_BLOCK == f->mfail_block && part == parts_of(f) - 1) {
        snprintf(err, errlen, "merge of part %d of block %lld failed", part,
                 first / REE_EXEC_BLOCK);
        return REE_EIO;
    }
    f->h[part] = f->h[part] * 31 + w->val[part];
    f->n[part]++;
    w->first[part] = -1; /* merged once: a second merge of this piece is caught */
    return REE_OK;
}

static ree_status merge(void *ctx, void *w, long long first, int count, char *err, size_t errlen)
{
    return merge_part(ctx, w, first, count, 0, err, errlen);
}

static void *pack_part(void *ctx, void *wp, int count, int part, size_t *len)
{
    (void)ctx;
    worker *w = wp;
    piece *pc = malloc(sizeof *pc);
    if (!pc)
        return NULL;
    *pc = (piece){w->first[part], w->count[part], part, w->val[part]};
    (void)count;
    *len = sizeof *pc;
    return pc;
}

static ree_status unpack_part(void *ctx, void *wp, int count, int part, const void *bytes,
                              size_t len)
{
    fake *f = ctx;
    worker *w = wp;
    piece pc;
    if (len != sizeof pc)
        return REE_EINTERNAL;
    memcpy(&pc, bytes, sizeof pc);
    if (pc.part != part || pc.count != count) {
        f->bad = 1;
        return REE_EINTERNAL;
    }
    w->first[part] = pc.first;
    w->count[part] = pc.count;
    w->val[part] = pc.val;
    return REE_OK;
}

static void *pack(void *ctx, void *w, int count, size_t *len)
{
    return pack_part(ctx, w, count, 0, len);
}

static ree_status unpack(void *ctx, void *w, int count, const void *bytes, size_t len)
{
    return unpack_part(ctx, w, count, 0, bytes, len);
}

static int split(void *ctx, int want)
{
    fake *f = ctx;
    if (want < 1)
        f->bad = 1;
    f->nparts = want < f->k ? want : f->k;
    f->nparts = f->nparts < MAXP ? f->nparts : MAXP;
    return f->nparts;
}

static void *pack_total(void *ctx, int part, size_t *len)
{
    fake *f = ctx;
    total *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (total){f->h[part], f->n[part], part};
    *len = sizeof *t;
    return t;
}

static ree_status unpack_total(void *ctx, int part, const void *bytes, size_t len)
{
    fake *f = ctx;
    total t;
    if (len != sizeof t || part < 1 || part >= parts_of(f))
        return REE_EINTERNAL;
    memcpy(&t, bytes, sizeof t);
    if (t.part != part)
        f->bad = 1;
    f->h[part] = t.h;
    f->n[part] = t.n;
    f->totals_in[part]++;
    return REE_OK;
}

static void progress(void *arg, long long done, long long total_runs)
{
    fake *f = arg;
    if (done <= f->last_progress || done > total_runs || total_runs != f->nruns)
        f->progress_bad = 1;
    f->last_progress = done;
}

typedef struct kase {
    const char *name;
    int k, threads;
    long long nruns, fail_at, fail_from, mfail_block, cancel_at;
} kase;

static int failures;

static void report(int ok, const kase *c, const char *why)
{
    int mine = ok;
    ok = ree_ranks_max(!ok) == 0; /* every rank's verdict */
    char parts[32] = "no split";
    if (c->k)
        snprintf(parts, sizeof parts, "split <= %d", c->k);
    if (ree_rank() == 0 || !mine) /* a failing rank says why (mpirun shows every rank's stdout) */
        printf("%s: %d ranks, %s, %s, %d thread(s), %lld runs%s%s\n", ok ? "ok" : "FAIL",
               ree_ranks(), c->name, parts, c->threads, c->nruns, mine ? "" : ": ",
               mine ? "" : why);
    fflush(stdout);
    failures += !ok;
}

static void run_case(const kase *c, unsigned seed)
{
    static fake f;
    memset(&f, 0, sizeof f);
    volatile sig_atomic_t cancel = 0;
    f.k = c->k;
    f.nparts = 1;
    f.nruns = c->nruns;
    f.fail_at = c->fail_at;
    f.fail_from = c->fail_from;
    f.mfail_block = c->mfail_block;
    f.cancel_at = c->cancel_at;
    f.cancel = &cancel;
    f.seed = seed;
    int several = ree_ranks() > 1;
    if (several && ree_rank() == 0) /* parts 1.. reach rank 0 only through unpack_total */
        for (int p = 1; p < MAXP; p++)
            f.h[p] = SENTINEL;
    ree_exec_ops ops = {.ctx = &f,
                        .worker_alloc = w_alloc,
                        .worker_free = w_free,
                        .block = block,
                        .merge = merge,
                        .pack = pack,
                        .unpack = unpack};
    if (c->k) {
        ops.split = split;
        ops.merge_part = merge_part;
        ops.pack_part = pack_part;
        ops.unpack_part = unpack_part;
        ops.pack_total = pack_total;
        ops.unpack_total = unpack_total;
    }
    ree_exec_opts o = {.nruns = c->nruns,
                       .threads = c->threads,
                       .cancel = &cancel,
                       .progress = progress,
                       .progress_arg = &f};
    char err[512] = "", why[640] = "";
    long long left0 = leftovers;
    ree_status st = ree_exec_run(&ops, &o, err, sizeof err);
    long long left = leftovers - left0;
    long long nblocks = (c->nruns + REE_EXEC_BLOCK - 1) / REE_EXEC_BLOCK;

    /* What one process returns. */
    ree_status want = REE_OK;
    char want_msg[128] = "";
    long long first_fail = -1;
    if (c->cancel_at >= 0) {
        want = REE_EINTERRUPTED;
        snprintf(want_msg, sizeof want_msg, "interrupted");
    } else if (c->fail_at >= 0 && (c->mfail_block < 0 || c->fail_at < c->mfail_block)) {
        want = REE_EBALANCE, first_fail = c->fail_at;
        snprintf(want_msg, sizeof want_msg, "block %lld failed", c->fail_at);
    } else if (c->mfail_block >= 0) {
        want = REE_EIO, first_fail = c->mfail_block;
        snprintf(want_msg, sizeof want_msg, "merge of part %d of block %lld failed",
                 parts_of(&f) - 1, c->mfail_block);
    } else if (c->fail_from >= 0) {
        want = REE_EINVALID, first_fail = c->fail_from;
        snprintf(want_msg, sizeof want_msg, "block %lld failed (fast)", c->fail_from);
    }
    (void)first_fail;
    int ok = 1;
    if (st != want || (want != REE_OK && strcmp(err, want_msg) != 0)) {
        ok = 0;
        snprintf(why, sizeof why, "rank %d returned %d \"%s\", expected %d \"%s\"", ree_rank(),
                 (int)st, err, (int)want, want_msg);
    } else if (left) {
        ok = 0;
        snprintf(why, sizeof why, "rank %d: %lld message(s) left unreceived", ree_rank(), left);
    } else if (f.bad) {
        ok = 0;
        snprintf(why, sizeof why, "rank %d: a hook saw a wrong piece or part", ree_rank());
    } else if (want == REE_OK && ree_rank() == 0) {
        for (int p = 0; p < parts_of(&f) && ok; p++) {
            uint64_t h = 0;
            for (long long b = 0; b < nblocks; b++)
                h = h * 31 + value(b * REE_EXEC_BLOCK, p);
            if (f.h[p] != h || f.n[p] != nblocks) {
                ok = 0;
                snprintf(why, sizeof why,
                         "part %d of %d: %lld blocks merged, hash %s the sequential one", p,
                         parts_of(&f), f.n[p], f.h[p] == h ? "equal to" : "not");
            } else if (several && p > 0 && f.totals_in[p] != 1) {
                ok = 0;
                snprintf(why, sizeof why, "part %d: its totals reached rank 0 %d times", p,
                         f.totals_in[p]);
            }
        }
        if (ok && (f.progress_bad || f.last_progress != c->nruns)) {
            ok = 0;
            snprintf(why, sizeof why, "progress not increasing to %lld (last %lld)", c->nruns,
                     f.last_progress);
        }
    }
    report(ok, c, why);
}

int main(int argc, char **argv)
{
    char err[512];
    if (ree_ranks_init(&argc, &argv, err, sizeof err) != 0) {
        fprintf(stderr, "exec_mpi_test: %s\n", err);
        ree_ranks_finalize();
        return 1;
    }
    const int ks[] = {0, 1, 2, 5};
    const long long B = REE_EXEC_BLOCK;
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
        int k = ks[ki];
        const kase cases[] = {
            {"0 runs", k, 1, 0, -1, -1, -1, -1},
            {"1 block", k, 1, 30, -1, -1, -1, -1},
            {"2 blocks", k, 1, 2 * B, -1, -1, -1, -1},
            {"3 blocks, partial", k, 2, 2 * B + 5, -1, -1, -1, -1},
            {"many blocks", k, 1, 50 * B + 17, -1, -1, -1, -1},
            {"many blocks", k, 2, 61 * B, -1, -1, -1, -1},
            {"block 9 fails, 12.. fail first", k, 1, 40 * B, 9, 12, -1, -1},
            {"block 9 fails, 12.. fail first", k, 2, 40 * B + 3, 9, 12, -1, -1},
            {"block 1 fails, 2.. fail first", k, 1, 6 * B, 1, 2, -1, -1},
            {"merge of the last part fails at block 6", k, 1, 30 * B, -1, -1, 6, -1},
            /* rank 0 must not decide at block 8 (part 0) before the last part's owner has
             * reached block 6, nor may an owner whose own block failed stop merging its part */
            {"merge of the last part fails at block 6, 8.. fail first", k, 1, 30 * B, -1, 8, 6, -1},
            {"merge of the last part fails at block 6, 8.. fail first", k, 2, 30 * B, -1, 8, 6, -1},
            /* the rank that runs blocks 2 and 3 (2 ranks: its first and last range, so it has
             * END by the time slow block 2 is done) must still send block 2 after 3 failed */
            {"merge of the last part fails at block 2, 3.. fail first", k, 2, 4 * B, -1, 3, 2, -1},
            {"cancel at block 3", k, 1, 40 * B, -1, -1, -1, 3},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
            for (unsigned seed = 1; seed <= 2; seed++)
                run_case(&cases[i], seed * 101u + (unsigned)(ki * 13 + i));
    }
    if (ree_rank() == 0)
        printf("%s: %d case(s) failed on %d rank(s)\n", failures ? "FAIL" : "ok", failures,
               ree_ranks());
    ree_ranks_finalize();
    return failures ? 1 : 0;
}
