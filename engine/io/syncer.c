/*
 * A large CSV file (runs.csv) gets a thread of its own that calls fdatasync on it each time
 * SYNC_STEP more bytes are written, and once more for the tail at ree_csv_writeback, so that
 * commit's fsync has little left to wait for. The writeback is started early (start_writeback) and
 * done by commit time, yet commit's fsync of runs.csv took up to 0.18 s (gate example, 100,000
 * runs, --runs-csv csv, 346 MB, -j 1 and -j 2 alike; measured with strace -T on the development
 * VM: 2 cores, ext4 on a virtual disk; 0.14-0.18 s in four runs one day, 0.002-0.146 s in five
 * another, when ext4's own journal commit every 5 s may have flushed just before): the virtual
 * disk's cache flush, whose cost grows with the bytes written since the last one. A standalone test on that VM (/tmp/fs/fs.c, not kept: 346 MB written
 * over 1.1 s, writeback started every 8 MB as here) gave a final fsync of 0.19 s, and of 0.02 s
 * with an fdatasync every 64 MB in the writing thread (those took 0.21 s in all, spread out). That
 * time is serial: the main thread spends it alone at the end, the other threads idle. In a thread
 * of their own the flushes keep the writer waiting for none: it only asks (ree_csv_sync_ask); a
 * request made while a sync is in progress is remembered, one for any number. Files smaller than
 * SYNC_STEP never make a thread. Commit joins the thread before its own fsync, and abort and free
 * before the file is closed: a request not yet begun is dropped (the fsync covers it, or the file
 * is removed), so joining waits at most for the sync in progress. With it, the final fsync of that
 * runs.csv took under 4 ms in five runs (bench/HISTORY.md).
 *
 * Linux reports a writeback error once per open file description: after a background fdatasync
 * failed, the fsync on the same descriptor may return 0. So the thread keeps the errno of the
 * first failure (not EINVAL or EROFS, which commit ignores too: a file that cannot be synced) for
 * commit to report as a failed fsync.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "outfile.h"
#include "outfile_priv.h"
#include "syncer.h"

#define SYNC_STEP ((off_t)64 << 20)

#if defined(_POSIX_SYNCHRONIZED_IO) && _POSIX_SYNCHRONIZED_IO > 0
#define HAVE_FDATASYNC 1
#else
#define HAVE_FDATASYNC 0 /* no syncer: commit's fsync does it all */
#endif

off_t ree_csv_sync_step = SYNC_STEP; /* ree_csv_set_sync (tests) */
static int sync_fail; /* ree_csv_set_sync: errno each fdatasync is taken to fail with */

struct syncer {
    pthread_mutex_t lock; /* guards asked, stop, err and calls while the thread runs */
    pthread_cond_t wake;
    pthread_t thread;
    int running; /* started and not yet joined (only the file's writer reads or sets it) */
    int fd;
    int fail;   /* sync_fail when started */
    int asked;  /* a sync is asked for and not yet begun */
    int stop;   /* end: a request not yet begun is dropped */
    int err;    /* errno of the first failed fdatasync */
    long calls; /* fdatasync calls made */
};

#if HAVE_FDATASYNC
static void *sync_main(void *arg)
{
    struct syncer *y = arg;
    pthread_mutex_lock(&y->lock);
    for (;;) {
        while (!y->asked && !y->stop)
            pthread_cond_wait(&y->wake, &y->lock);
        if (y->stop)
            break;
        y->asked = 0;
        pthread_mutex_unlock(&y->lock); /* the writer may ask again meanwhile */
        int e = fdatasync(y->fd) != 0 ? errno : 0;
        if (y->fail)
            e = y->fail;
        pthread_mutex_lock(&y->lock);
        y->calls++;
        if (e && e != EINVAL && e != EROFS && !y->err)
            y->err = e;
    }
    pthread_mutex_unlock(&y->lock);
    return NULL;
}
#endif

/* A syncer on `fd`, its thread started; NULL where there is no fdatasync or the thread cannot be
 * made (the file then goes without). The thread blocks every signal, so that signals reach the
 * threads they reached before. */
static struct syncer *sync_start(int fd)
{
#if HAVE_FDATASYNC
    struct syncer *y = calloc(1, sizeof *y);
    if (!y)
        return NULL;
    if (pthread_mutex_init(&y->lock, NULL) != 0) {
        free(y);
        return NULL;
    }
    if (pthread_cond_init(&y->wake, NULL) != 0) {
        pthread_mutex_destroy(&y->lock);
        free(y);
        return NULL;
    }
    y->fd = fd;
    y->fail = sync_fail;
    sigset_t all, old;
    sigfillset(&all);
    int masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    int rc = pthread_create(&y->thread, NULL, sync_main, y);
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&y->wake);
        pthread_mutex_destroy(&y->lock);
        free(y);
        return NULL;
    }
    y->running = 1;
    return y;
#else
    (void)fd;
    return NULL;
#endif
}

/* Ask for a background fdatasync of c's file, starting its thread on first need. Never waits
 * for a sync: the thread holds the lock only between syncs. */
void ree_csv_sync_ask(ree_csv *c)
{
    if (!c->sync && !c->nosync && !(c->sync = sync_start(fileno(c->f))))
        c->nosync = 1;
    struct syncer *y = c->sync;
    if (!y || !y->running)
        return;
    pthread_mutex_lock(&y->lock);
    y->asked = 1;
    pthread_cond_signal(&y->wake);
    pthread_mutex_unlock(&y->lock);
}

/* Join c's syncer, if it runs: after the sync in progress, if any. Returns the errno of its first
 * failed fdatasync, or 0. The file may then be synced or closed. */
int ree_csv_sync_stop(ree_csv *c)
{
    struct syncer *y = c ? c->sync : NULL;
    if (!y)
        return 0;
    if (y->running) {
        pthread_mutex_lock(&y->lock);
        y->stop = 1;
        pthread_cond_signal(&y->wake);
        pthread_mutex_unlock(&y->lock);
        pthread_join(y->thread, NULL);
        pthread_cond_destroy(&y->wake);
        pthread_mutex_destroy(&y->lock);
        y->running = 0;
    }
    return y->err;
}

/* The errno of the first failed fdatasync of c's syncer so far, or 0 (its thread goes on). */
int ree_csv_sync_error(const ree_csv *c)
{
    struct syncer *y = c ? c->sync : NULL;
    if (!y || !y->running)
        return y ? y->err : 0;
    pthread_mutex_lock(&y->lock);
    int e = y->err;
    pthread_mutex_unlock(&y->lock);
    return e;
}

int ree_csv_set_sync(long long step, int fail)
{
    ree_csv_sync_step = step > 0 ? (off_t)step : SYNC_STEP;
    sync_fail = fail;
    return HAVE_FDATASYNC ? 0 : -1;
}

long ree_csv_syncs(const ree_csv *c)
{
    struct syncer *y = c ? c->sync : NULL;
    if (!y || !y->running)
        return y ? y->calls : 0;
    pthread_mutex_lock(&y->lock);
    long n = y->calls;
    pthread_mutex_unlock(&y->lock);
    return n;
}
