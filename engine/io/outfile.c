/*
 * Output sets committed as one unit. A set is written into a private temporary folder beside the
 * target (PARENT/.NAME.tmp.XXXXXX from mkdtemp, mode 0700, locked with flock while in use), every
 * file created there with O_CREAT|O_EXCL|O_NOFOLLOW, then fsynced and swapped in with one rename
 * (renameat2 RENAME_EXCHANGE when the target exists), and the old set removed. CSV writing with
 * RFC 4180 quoting and locale-free numbers.
 */
#define _GNU_SOURCE /* flock, syscall, SYS_renameat2 */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "reesim/reesim.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* A gzip-compressed CSV (ree_outset_csv_gz) writes its text into `buf` and deflates it into `f`
 * REE_GZ_CHUNK bytes at a time; the set's FILE still carries the bytes, so write errors stick to
 * it and commit reports them as for a plain file. */
#define REE_GZ_CHUNK 65536
/* Fixed gzip parameters: the compressed bytes depend only on the text (zlib's gzip header from
 * deflateInit2 carries no name and a zero time stamp). Level 1: on runs.csv of bench_chain it
 * keeps 1/6.8 of the text in half the time of level 6 (1/9). */
#define REE_GZ_LEVEL 1

struct ree_csv {
    FILE *f;
    int row_started; /* a field has been written on the current row */
    z_stream *z;     /* gzip stream, or NULL for plain text */
    unsigned char *buf, *zout;
    size_t len;   /* bytes of text waiting in buf */
    int zerr;     /* zlib failed: the file is incomplete (commit reports it) */
    int finished; /* the gzip trailer is written */
    int mem;      /* text kept in memory (ree_csv_mem_alloc): buf holds len of mcap bytes */
    size_t mcap;
    int merr;     /* out of memory: text was lost */
    int member;   /* memory: buf holds one gzip member of the text (ree_csv_mem_deflate) */
    int zin;      /* gzip: text went into the current stream since its start */
    int werr;     /* errno of the first failed write or flush, for commit's message */
    off_t hinted; /* file bytes already handed to the kernel's writeback (start_writeback) */

    struct syncer *sync; /* background fdatasync (sync_ask), NULL until first needed */
    off_t synced;        /* file bytes when the last sync was asked for */
    int nosync;          /* its thread could not be started: the file goes without */
};

/* A file written through ree_csv_mem_flush (runs.csv: whole blocks of rows) has its writeback
 * started every WRITEBACK_STEP bytes, so the disk works while the runs go on and the last hint,
 * ree_csv_writeback, has only the tail left: on the gate example at -j2 (40,000 runs, 138 MB) one
 * hint over the whole file blocked the main thread 55 ms after the last run (strace -T), with the
 * other thread idle (perf). */
#define WRITEBACK_STEP ((off_t)8 << 20)

/*
 * A large CSV file (runs.csv) gets a thread of its own that calls fdatasync on it each time
 * SYNC_STEP more bytes are written, and once more for the tail at ree_csv_writeback, so that
 * commit's fsync has little left to wait for. The writeback is started early (start_writeback) and
 * done by commit time, yet commit's fsync of runs.csv took 0.14-0.18 s (gate example, 100,000 runs,
 * --runs-csv csv, 346 MB, -j 1 and -j 2 alike; measured with strace -T on the development VM: 2
 * cores, ext4 on a virtual disk): the virtual disk's cache flush, whose cost grows with the bytes
 * written since the last one. A standalone test on that VM (/tmp/fs/fs.c, not kept: 346 MB written
 * over 1.1 s, writeback started every 8 MB as here) gave a final fsync of 0.19 s, and of 0.02 s
 * with an fdatasync every 64 MB in the writing thread (those took 0.21 s in all, spread out). That
 * time is serial: the main thread spends it alone at the end, the other threads idle. In a thread
 * of their own the flushes keep the writer waiting for none: it only asks (sync_ask); a
 * request made while a sync is in progress is remembered, one for any number. Files smaller than
 * SYNC_STEP never make a thread. Commit joins the thread before its own fsync, and abort and free
 * before the file is closed: a request not yet begun is dropped (the fsync covers it, or the file
 * is removed), so joining waits at most for the sync in progress. With it, the final fsync of that
 * runs.csv took under 4 ms in five runs (bench/README.md).
 *
 * What an fdatasync has put on disk the thread then drops from the page cache (POSIX_FADV_DONTNEED
 * up to the offset at the request): on the development VM, perf of the gate example at 100,000
 * runs, -j1, put 21% of all CPU time in the kernel's copy into the page cache
 * (copy_folio_from_iter_atomic, about 0.6 GB/s), which writing 346 MB alone (a standalone test)
 * showed to depend on whether the pages had been used before: 0.05 to 0.49 s for its write calls,
 * and 0.06 s every time when the file lets its synced pages go as it is written, so that they are
 * reused. After the change that copy left perf's top entries. The price: a reader right after the
 * run reads the file from disk.
 *
 * Linux reports a writeback error once per open file description: after a background fdatasync
 * failed, the fsync on the same descriptor may return 0. So the thread keeps the errno of the
 * first failure (not EINVAL or EROFS, which commit ignores too: a file that cannot be synced) for
 * commit to report as a failed fsync.
 */
#define SYNC_STEP ((off_t)64 << 20)

#if defined(_POSIX_SYNCHRONIZED_IO) && _POSIX_SYNCHRONIZED_IO > 0
#define HAVE_FDATASYNC 1
#else
#define HAVE_FDATASYNC 0 /* no syncer: commit's fsync does it all */
#endif

static off_t sync_step = SYNC_STEP; /* ree_csv_set_sync (tests) */
static int sync_fail; /* ree_csv_set_sync: errno each fdatasync is taken to fail with */

struct syncer {
    pthread_mutex_t lock; /* guards asked, stop, err and calls while the thread runs */
    pthread_cond_t wake;
    pthread_t thread;
    int running; /* started and not yet joined (only the file's writer reads or sets it) */
    int fd;
    int fail;   /* sync_fail when started */
    int asked;  /* a sync is asked for and not yet begun */
    off_t upto; /* file bytes written when it was asked (guarded by lock) */
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
        off_t upto = y->upto;
        pthread_mutex_unlock(&y->lock); /* the writer may ask again meanwhile */
        int e = fdatasync(y->fd) != 0 ? errno : 0;
#if defined(POSIX_FADV_DONTNEED)
        /* The bytes before `upto` are on disk now: let their pages go (DROP_BEHIND). */
        if (!e && upto > 0)
            (void)posix_fadvise(y->fd, 0, upto, POSIX_FADV_DONTNEED);
#endif
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
static void sync_ask(ree_csv *c, off_t upto)
{
    if (!c->sync && !c->nosync && !(c->sync = sync_start(fileno(c->f))))
        c->nosync = 1;
    struct syncer *y = c->sync;
    if (!y || !y->running)
        return;
    pthread_mutex_lock(&y->lock);
    y->asked = 1;
    y->upto = upto;
    pthread_cond_signal(&y->wake);
    pthread_mutex_unlock(&y->lock);
}

/* Join c's syncer, if it runs: after the sync in progress, if any. Returns the errno of its first
 * failed fdatasync, or 0. The file may then be synced or closed. */
static int sync_stop(ree_csv *c)
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
static int sync_error(const ree_csv *c)
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
    sync_step = step > 0 ? (off_t)step : SYNC_STEP;
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

struct entry {
    char *name; /* plain file name inside the set */
    FILE *f;    /* NULL once closed */
    ree_csv *csv;
    FILE *mem;     /* a plain file's text (ree_outset_file), written into f by commit; NULL once
                      closed */
    char *membuf;  /* mem's buffer (open_memstream) */
    size_t memlen; /* its length once mem is closed */
    int werr;      /* errno of the first failed write of membuf, for commit's message */
};

struct ree_outset {
    char *dir;    /* target folder as given, without trailing slashes */
    char *parent; /* folder holding the target ("." when none given) */
    char *base;   /* last component of the target */
    char *tmp;    /* private temporary folder PARENT/.BASE.tmp.XXXXXX; NULL once gone */
    int tmpfd;    /* open on tmp, flock'ed; -1 when closed */
    int single;   /* one file replacing `dir` (ree_outset_open_file) rather than a folder */
    mode_t mode;  /* mode for a new committed folder: 0777 & ~umask (a replacing one: the old's) */
    const volatile sig_atomic_t *cancel;
    char *leftover; /* a stale temporary folder of an earlier run that could not be removed */
    struct entry *e;
    size_t n, cap;
    int done; /* committed or aborted: no more files */
};

static void set_err(char *err, size_t errlen, const char *what, const char *path, int errnum)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errnum));
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *join(const char *dir, const char *a, const char *b, const char *c)
{
    size_t n = strlen(dir) + 1 + strlen(a) + strlen(b) + strlen(c) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s%s", dir, a, b, c);
    return p;
}

/* mkdir -p: create each missing component. Returns 0, or -1 with errno and the failing prefix
 * left in `path`'s leading part (path is truncated at the failing component). */
static int make_dirs(char *path)
{
    size_t len = strlen(path);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0777) != 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST || stat(path, &st) != 0) {
                errno = e;
                return -1;
            }
            if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
            }
        }
        path[i] = saved;
    }
    return 0;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Files a reesim output folder may hold: what `run`, `compare`, `calibrate` and the exploration
 * commands write, and temporaries older
 * versions left (".NAME.tmp.PID"). */
static int known_file(const char *name)
{
    static const char *const names[] = {
        "meta.json",       "timeseries.csv",  "summary.csv",     "runs.csv",
        "runs.csv.gz",     "fit.csv",         "compare.csv",     "compare_timeseries.csv",
        "fit_summary.csv", "variance.csv",    "calibration.csv", "calibration_summary.csv",
        "sweep.csv",       "sensitivity.csv", "search.csv",      "search_summary.csv",
        "discover.csv",    "discover_box.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i]))
            return 1;
    if (has_suffix(name, ".resolved.yaml") && name[0] != '.')
        return 1;
    return name[0] == '.' && strstr(name, ".tmp.") != NULL;
}

static int chart_file(const char *name)
{
    return (name[0] != '.' && (has_suffix(name, ".svg") || has_suffix(name, ".png"))) ||
           (name[0] == '.' && strstr(name, ".tmp.") != NULL);
}

/* What classify() found in a folder. */
enum { F_FOREIGN = 1, F_ANCHOR = 2, F_KNOWN = 4, F_CHART = 8 };

/* Classify the folder open on `fd` (consumed): F_FOREIGN, with the offending entry in `why`, when
 * it holds anything reesim does not write (a symlink, another folder, an unknown file); F_ANCHOR
 * for meta.json (run) or compare.csv (compare); F_KNOWN for other result files, and a `plots`
 * folder of charts; F_CHART for .svg/.png files (`depth` 1 is inside `plots`). 0 when empty. */
static int classify(int fd, char *why, size_t whylen, int depth)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        snprintf(why, whylen, "it cannot be read");
        return F_FOREIGN;
    }
    int flags = 0;
    struct dirent *de;
    while (!(flags & F_FOREIGN) && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) /* removed since it was listed (a concurrent reesim's clean-up) */
                continue;
            flags |= F_FOREIGN;
        } else if (S_ISREG(st.st_mode) && chart_file(nm)) {
            flags |= F_CHART;
        } else if (S_ISREG(st.st_mode) && depth == 0 && known_file(nm)) {
            flags |= !strcmp(nm, "meta.json") || !strcmp(nm, "compare.csv") ? F_ANCHOR : F_KNOWN;
        } else if (S_ISDIR(st.st_mode) && depth == 0 && !strcmp(nm, "plots")) {
            int sub = openat(dirfd(d), nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            char subwhy[256];
            int k = sub < 0 ? F_FOREIGN : classify(sub, subwhy, sizeof subwhy, 1);
            flags |= (k & ~F_CHART) ? F_FOREIGN : F_KNOWN;
        } else {
            flags |= F_FOREIGN;
        }
        if (flags & F_FOREIGN)
            snprintf(why, whylen, "it holds '%s'", nm);
    }
    closedir(d);
    return flags;
}

/* Remove a folder that classify() accepted, open on `fd` (consumed), then `name` in `at`.
 * Removes only regular files and the `plots` folder; never follows a symlink. */
static int remove_set(int at, const char *name, int fd)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        struct stat st;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") ||
            fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                remove_set(dirfd(d), nm, sub);
        } else {
            unlinkat(dirfd(d), nm, 0);
        }
    }
    closedir(d);
    return unlinkat(at, name, AT_REMOVEDIR);
}

/* remove_set on the folder `path`, tried up to 20 times: a transient failure (EINTR, EIO while
 * listing) should not leave a hidden folder behind. */
static void remove_retry(const char *path)
{
    for (int i = 0; i < 20; i++) {
        struct stat st;
        if (lstat(path, &st) != 0 && errno == ENOENT)
            return;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && remove_set(AT_FDCWD, path, fd) == 0)
            return;
    }
}

/* Remove temporary folders ".BASE.tmp.XXXXXX" in the parent that no live reesim holds (their
 * flock is free); remember the first one that stays. */
static void clean_leftovers(ree_outset *s)
{
    DIR *d = opendir(s->parent);
    if (!d)
        return;
    size_t bl = strlen(s->base);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (nm[0] != '.' || strncmp(nm + 1, s->base, bl) || strncmp(nm + 1 + bl, ".tmp.", 5) ||
            strlen(nm + 1 + bl + 5) != 6)
            continue;
        int fd = openat(dirfd(d), nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int removed = 0;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            int fd2 = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            char why[256];
            if (fd2 >= 0 && !(classify(fd2, why, sizeof why, 0) & F_FOREIGN)) {
                fd2 = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                removed = fd2 >= 0 && remove_set(dirfd(d), nm, fd2) == 0;
            }
        } else if (fd >= 0) {
            removed = 1; /* held by a live reesim: its own business */
        }
        if (fd >= 0)
            close(fd);
        /* A folder that vanished while it was looked at (another reesim writing the same
         * target removed it, or committed and removed its old set) is not left over. */
        struct stat st;
        if (!removed && fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
            removed = 1;
        if (!removed && !s->leftover)
            s->leftover = join(s->parent, nm, "", "");
    }
    closedir(d);
}

/* check_target once; *moved is set when a refusal was about a folder that is no longer the one
 * named s->dir (see check_target). */
static int check_target_once(const ree_outset *s, ree_status *status, char *err, size_t errlen,
                             int *moved)
{
    struct stat st;
    *moved = 0;
    *status = REE_ECANTCREATE;
    if (lstat(s->dir, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        set_err(err, errlen, "cannot create directory", s->dir, errno);
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        if (err && errlen > 0)
            snprintf(err, errlen,
                     "refusing to replace '%s': it is a symbolic link (give the folder it "
                     "points to)",
                     s->dir);
        return -1;
    }
    if (s->single) {
        if (!S_ISREG(st.st_mode)) {
            if (err && errlen > 0)
                snprintf(err, errlen, "refusing to replace '%s': it is not a regular file", s->dir);
            return -1;
        }
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "cannot create directory", s->dir, ENOTDIR);
        return -1;
    }
    int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "cannot read directory", s->dir, errno);
        return -1;
    }
    char why[300] = "";
    struct stat held, now;
    int known = fstat(fd, &held) == 0;
    int k = classify(fd, why, sizeof why, 0);
    if (k && !(k & F_FOREIGN) && !(k & F_ANCHOR))
        snprintf(why, sizeof why, "it has neither meta.json nor compare.csv");
    if (k && ((k & F_FOREIGN) || !(k & F_ANCHOR))) {
        /* The folder read may have been swapped out by a concurrent reesim's commit and emptied
         * while it was listed (its meta.json gone before the rest): not the target any more. */
        *moved = known && (lstat(s->dir, &now) != 0 || now.st_ino != held.st_ino ||
                           now.st_dev != held.st_dev);
        if (err && errlen > 0)
            snprintf(err, errlen,
                     "refusing to replace '%s': not a reesim output folder (%s); choose "
                     "another folder with -o or remove it",
                     s->dir, why);
        return -1;
    }
    return 0;
}

/* Check that the target may be replaced: absent, or a folder (file, for a single-file set)
 * reesim wrote. The target itself is never followed when it is a symlink. Several reesims may
 * write the same target at once (docs/reliability.md): a folder refused as not reesim's that is
 * no longer the one under the target's name (another run swapped its set in and is removing the
 * old one, file by file) is looked at again, a bounded number of times. */
static int check_target(const ree_outset *s, ree_status *status, char *err, size_t errlen)
{
    for (int try = 0;; try++) {
        int moved, r = check_target_once(s, status, err, errlen, &moved);
        if (r == 0 || !moved || try == 10)
            return r;
    }
}

/* Attempts make_temp gives a new folder that another process removed before it was locked. */
#define TEMP_TRIES 50

/* Create the set's private folder s->tmp (mkdtemp) and hold it (s->tmpfd, flock). mkdtemp and
 * flock are two steps: in between, another reesim writing the same target may list the parent,
 * find the new folder empty and unlocked, take it for the leftover of a crashed run and remove it
 * (clean_leftovers). Every process removes such a folder only while holding its flock, and holds
 * it only for that, so this one waits for the lock, then looks whether the folder was removed
 * meanwhile (no links left, or another folder under its name); if so it makes another, else the
 * folder is its own for good: nobody else removes it while it is locked. Each attempt loses only
 * to a clean-up that listed the parent in the microseconds after the mkdtemp, so one or two
 * suffice; TEMP_TRIES bounds it. (Creating the folder under a name clean-ups ignore and renaming
 * it after locking would close the window instead, but a crash between the two would leave a
 * folder that no later run removes.) Returns REE_OK, or why in err: REE_ENOMEM, or
 * REE_ECANTCREATE (then s->tmp, when set, is this process's and removed by ree_outset_free). */
static ree_status make_temp(ree_outset *s, char *err, size_t errlen)
{
    for (int try = 1;; try++) {
        s->tmp = join(s->parent, ".", s->base, ".tmp.XXXXXX");
        if (!s->tmp) {
            if (err && errlen > 0)
                snprintf(err, errlen, "out of memory");
            return REE_ENOMEM;
        }
        if (!mkdtemp(s->tmp)) {
            set_err(err, errlen, "cannot create directory", s->tmp, errno);
            free(s->tmp);
            s->tmp = NULL;
            return REE_ECANTCREATE;
        }
        struct stat held, named;
        int gone;
        s->tmpfd = open(s->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->tmpfd < 0) {
            int e = errno;
            gone = e == ENOENT && lstat(s->tmp, &named) != 0 && errno == ENOENT;
            if (!gone) {
                set_err(err, errlen, "cannot open directory", s->tmp, e);
                return REE_ECANTCREATE;
            }
        } else {
            if (flock(s->tmpfd, LOCK_EX) != 0 || fstat(s->tmpfd, &held) != 0) {
                set_err(err, errlen, "cannot open directory", s->tmp, errno);
                return REE_ECANTCREATE;
            }
            gone = held.st_nlink == 0 ||
                   (lstat(s->tmp, &named) == 0 &&
                    (named.st_ino != held.st_ino || named.st_dev != held.st_dev));
            if (!gone)
                return REE_OK;
            close(s->tmpfd);
            s->tmpfd = -1;
        }
        /* Removed by another process: not ours to remove (its name may be another's by now). */
        if (try == TEMP_TRIES)
            set_err(err, errlen, "cannot create directory", s->tmp, ENOENT);
        free(s->tmp);
        s->tmp = NULL;
        if (try == TEMP_TRIES)
            return REE_ECANTCREATE;
    }
}

static ree_outset *open_set(const char *dir, int single, ree_status *status, char *err,
                            size_t errlen)
{
    *status = REE_ECANTCREATE;
    if (!dir || !*dir) {
        if (err && errlen > 0)
            snprintf(err, errlen, "empty output %s name", single ? "file" : "directory");
        return NULL;
    }
    ree_outset *s = calloc(1, sizeof *s);
    if (s) {
        s->tmpfd = -1;
        s->single = single;
        s->dir = dup_str(dir);
    }
    if (s && s->dir) {
        /* Trailing slashes would give "dir//name"; drop them (keep a lone "/"). */
        for (size_t n = strlen(s->dir); n > 1 && s->dir[n - 1] == '/'; n--)
            s->dir[n - 1] = '\0';
        char *slash = strrchr(s->dir, '/');
        s->base = dup_str(slash ? slash + 1 : s->dir);
        s->parent = slash ? dup_str(s->dir) : dup_str(".");
        if (slash && s->parent)
            s->parent[slash == s->dir ? 1 : slash - s->dir] = '\0';
    }
    if (!s || !s->dir || !s->base || !s->parent) {
        ree_outset_free(s);
        *status = REE_ENOMEM;
        if (err && errlen > 0)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!*s->base || !strcmp(s->base, ".") || !strcmp(s->base, "..")) {
        if (err && errlen > 0)
            snprintf(err, errlen, "refusing to replace '%s': name a folder of its own", s->dir);
        ree_outset_free(s);
        return NULL;
    }
    char *work = dup_str(s->parent);
    if (!work || make_dirs(work) != 0) {
        if (work) {
            set_err(err, errlen, "cannot create directory", work, errno);
        } else {
            *status = REE_ENOMEM;
            snprintf(err, errlen, "out of memory");
        }
        free(work);
        ree_outset_free(s);
        return NULL;
    }
    free(work);
    if (check_target(s, status, err, errlen) != 0) {
        ree_outset_free(s);
        return NULL;
    }
    if (access(s->parent, W_OK | X_OK) != 0) {
        set_err(err, errlen, "cannot write to directory", s->parent, errno);
        ree_outset_free(s);
        return NULL;
    }
    clean_leftovers(s);
    *status = make_temp(s, err, errlen);
    if (*status != REE_OK) {
        ree_outset_free(s);
        return NULL;
    }
    mode_t um = umask(0);
    umask(um);
    s->mode = 0777 & ~um;
    *status = REE_OK;
    return s;
}

ree_outset *ree_outset_open(const char *dir, ree_status *status, char *err, size_t errlen)
{
    return open_set(dir, 0, status, err, errlen);
}

ree_outset *ree_outset_open_file(const char *path, ree_status *status, char *err, size_t errlen)
{
    return open_set(path, 1, status, err, errlen);
}

void ree_outset_set_cancel(ree_outset *s, const volatile sig_atomic_t *cancel)
{
    s->cancel = cancel;
}

const char *ree_outset_leftover(const ree_outset *s)
{
    return s->leftover;
}

static struct entry *new_entry(ree_outset *s, const char *name, ree_status *status)
{
    *status = REE_ECANTCREATE;
    if (s->done || !name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
        !strcmp(name, "..") || (s->single && s->n > 0))
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].name, name))
            return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct entry *e = realloc(s->e, cap * sizeof *e);
        if (!e) {
            *status = REE_ENOMEM;
            return NULL;
        }
        s->e = e;
        s->cap = cap;
    }
    struct entry *e = &s->e[s->n];
    memset(e, 0, sizeof *e);
    e->name = dup_str(name);
    if (!e->name) {
        *status = REE_ENOMEM;
        return NULL;
    }
    int fd = openat(s->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    e->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!e->f) {
        if (fd >= 0) {
            close(fd);
            unlinkat(s->tmpfd, name, 0);
        }
        free(e->name);
        return NULL;
    }
    s->n++;
    *status = REE_OK;
    return e;
}

/* A plain file's writer (meta.json, the resolved scenario) prints into memory, and commit
 * writes the text out with one fwrite whose errno it keeps, as a CSV file keeps the errno of its
 * first failed write (werr): the writers print with fprintf and only see ferror at the end, by
 * when errno may say something else, and glibc drops a failed write's buffer, so a later fflush
 * succeeds and the message could only say EIO, or name another file whose flush failed first. */
FILE *ree_outset_file(ree_outset *s, const char *name, ree_status *status)
{
    struct entry *e = new_entry(s, name, status);
    if (!e)
        return NULL;
    if (!(e->mem = open_memstream(&e->membuf, &e->memlen))) {
        *status = REE_ENOMEM;
        return NULL; /* the entry stays and is removed by abort/free */
    }
    return e->mem;
}

/* Close a plain file's memory stream and write its text into the file. Returns 0, or -1 with
 * e->werr the reason (ENOMEM when the text could not all be kept in memory). */
static int mem_out(struct entry *e)
{
    int lost = ferror(e->mem) || fclose(e->mem) != 0;
    e->mem = NULL;
    if (lost)
        e->werr = ENOMEM;
    else if (e->memlen && fwrite(e->membuf, 1, e->memlen, e->f) != e->memlen)
        e->werr = errno ? errno : EIO;
    free(e->membuf);
    e->membuf = NULL;
    return e->werr ? -1 : 0;
}

static void mem_discard(struct entry *e)
{
    if (e->mem)
        fclose(e->mem);
    e->mem = NULL;
    free(e->membuf);
    e->membuf = NULL;
}

int ree_outset_path(ree_outset *s, const char *name, char *path, size_t len, ree_status *status)
{
    struct entry *e = new_entry(s, name, status);
    if (!e)
        return -1;
    fclose(e->f); /* the other program truncates and writes the empty file */
    e->f = NULL;
    int n = snprintf(path, len, "%s/%s", s->tmp, name);
    if (n < 0 || (size_t)n >= len) {
        *status = REE_ECANTCREATE;
        return -1;
    }
    return 0;
}

ree_csv *ree_outset_csv(ree_outset *s, const char *name, const char *const *columns, size_t ncol,
                        ree_status *status)
{
    struct entry *e = new_entry(s, name, status);
    if (!e)
        return NULL;
    e->csv = calloc(1, sizeof *e->csv);
    if (!e->csv) {
        *status = REE_ENOMEM;
        return NULL; /* the entry stays and is removed by abort/free */
    }
    e->csv->f = e->f;
    for (size_t i = 0; i < ncol; i++)
        ree_csv_str(e->csv, columns[i]);
    ree_csv_end_row(e->csv);
    return e->csv;
}

/* Keep the reason of c's first failed write for commit's message: stdio keeps only the error
 * flag, and glibc drops the buffer of a failed write, so commit's fflush succeeds with errno
 * untouched and could only say EIO ("Input/output error") for a full disk. */
static void csv_write_failed(ree_csv *c)
{
    if (!c->werr)
        c->werr = errno ? errno : EIO;
}

/* Deflate `n` bytes of `c->buf` (all of it) into the file with `flush` (Z_NO_FLUSH or Z_FINISH).
 * Output goes through fwrite: a write error sticks to the FILE. */
static void gz_deflate(ree_csv *c, int flush)
{
    if (c->zerr || c->finished)
        return;
    c->zin |= c->len > 0;
    c->z->next_in = c->buf;
    c->z->avail_in = (uInt)c->len;
    int rc;
    do {
        c->z->next_out = c->zout;
        c->z->avail_out = REE_GZ_CHUNK;
        rc = deflate(c->z, flush);
        if (rc == Z_STREAM_ERROR) {
            c->zerr = 1;
            return;
        }
        size_t have = REE_GZ_CHUNK - c->z->avail_out;
        if (have && fwrite(c->zout, 1, have, c->f) != have) {
            csv_write_failed(c); /* the error stays on the FILE; its reason here */
            break;
        }
    } while (c->z->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    c->len = 0;
    if (flush == Z_FINISH) {
        c->finished = 1;
        c->zin = 0;
    }
}

/* A whole gzip member (ree_csv_mem_deflate) appended to gzip CSV c: the text before it ends as a
 * member of its own, then the member's bytes go to the file as they are. */
static void gz_append_member(ree_csv *c, const unsigned char *p, size_t n)
{
    if (c->zerr)
        return;
    if (c->len || c->zin) {
        gz_deflate(c, Z_FINISH);
        if (deflateReset(c->z) != Z_OK) {
            c->zerr = 1;
            return;
        }
        c->finished = 0;
    }
    if (n && fwrite(p, 1, n, c->f) != n)
        csv_write_failed(c); /* the error stays on the FILE; its reason here */
}

static void csv_free(ree_csv *c)
{
    if (!c)
        return;
    sync_stop(c);
    free(c->sync);
    if (c->z) {
        deflateEnd(c->z);
        free(c->z);
    }
    free(c->buf);
    free(c->zout);
    free(c);
}

ree_csv *ree_outset_csv_gz(ree_outset *s, const char *name, const char *const *columns, size_t ncol,
                           ree_status *status)
{
    struct entry *e = new_entry(s, name, status);
    if (!e)
        return NULL;
    ree_csv *c = calloc(1, sizeof *c);
    if (c) {
        c->z = calloc(1, sizeof *c->z);
        c->buf = malloc(REE_GZ_CHUNK);
        c->zout = malloc(REE_GZ_CHUNK);
    }
    /* windowBits 15 + 16: a gzip wrapper; memLevel 8, the default strategy, as gzip -1. */
    if (!c || !c->z || !c->buf || !c->zout ||
        deflateInit2(c->z, REE_GZ_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        if (c && c->z)
            free(c->z), c->z = NULL; /* not initialised: no deflateEnd */
        csv_free(c);
        *status = REE_ENOMEM;
        return NULL; /* the entry stays and is removed by abort/free */
    }
    c->f = e->f;
    e->csv = c;
    for (size_t i = 0; i < ncol; i++)
        ree_csv_str(c, columns[i]);
    ree_csv_end_row(c);
    return c;
}

static void remove_temps(ree_outset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->e[i];
        mem_discard(e);
        sync_stop(e->csv); /* before its file is closed */
        if (e->f) {
            fclose(e->f);
            e->f = NULL;
        }
        if (s->tmpfd >= 0)
            unlinkat(s->tmpfd, e->name, 0);
    }
    /* The temporary folder is private (0700): whatever else is in it is removed, never
     * followed. */
    if (s->tmp)
        remove_retry(s->tmp);
    if (s->tmp) {
        free(s->tmp);
        s->tmp = NULL;
    }
    if (s->tmpfd >= 0) {
        close(s->tmpfd);
        s->tmpfd = -1;
    }
}

/* Swap the folder at `from` with the existing `to`: after success `to` holds the new set and
 * `from` the old one. renameat2(RENAME_EXCHANGE) where the kernel and file system offer it;
 * otherwise the old set goes aside under a fresh hidden name (reported back in `from`). */
static int exchange(char *from, const char *to, const char *parent, const char *base)
{
#ifdef SYS_renameat2
    if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
#endif
    char *aside = join(parent, ".", base, ".tmp.XXXXXX");
    if (!aside) {
        errno = ENOMEM;
        return -1;
    }
    if (!mkdtemp(aside) || rename(to, aside) != 0) {
        int e = errno;
        rmdir(aside);
        free(aside);
        errno = e;
        return -1;
    }
    if (rename(from, to) != 0) {
        int e = errno;
        rename(aside, to);
        free(aside);
        errno = e;
        return -1;
    }
    /* `from` now names the old set's place: copy the aside name into it (same length). */
    memcpy(from, aside, strlen(aside) + 1);
    free(aside);
    return 0;
}

static void sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Renames ree_outset_commit tries again when a concurrent reesim swapped the target meanwhile. */
#define COMMIT_TRIES 10

ree_status ree_outset_commit(ree_outset *s, char *err, size_t errlen)
{
    if (s->done) {
        if (err && errlen > 0)
            snprintf(err, errlen, "output set already committed or aborted");
        return REE_EIO;
    }
    s->done = 1;
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->e[i];
        if (!e->f) { /* written by another program through ree_outset_path */
            int fd = openat(s->tmpfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            int bad = fd < 0 || (fsync(fd) != 0 && errno != EINVAL && errno != EROFS);
            int e1 = errno;
            if (fd >= 0)
                close(fd);
            if (bad) {
                set_err(err, errlen, "cannot write", s->single ? s->dir : e->name, e1);
                remove_temps(s);
                return REE_EIO;
            }
            continue;
        }
        errno = 0;
        if (e->mem)
            mem_out(e);
        if (e->csv && e->csv->z && (e->csv->len || e->csv->zin)) /* else: ends with a member */
            gz_deflate(e->csv, Z_FINISH);
        int bad = e->werr || fflush(e->f) != 0 || ferror(e->f);
        int e1 = errno;
        int werr = e->csv ? e->csv->werr : e->werr;
        if (bad && werr) /* the first failure's reason: the real one */
            e1 = werr;
        if (!bad && e->csv && e->csv->zerr) {
            bad = 1;
            e1 = EIO;
        }
        /* A background fdatasync's error, which the fsync below may no longer see. */
        int serr = sync_stop(e->csv);
        if (!bad && serr) {
            bad = 1;
            e1 = serr;
        }
        if (!bad && fsync(fileno(e->f)) != 0 && errno != EINVAL && errno != EROFS) {
            bad = 1;
            e1 = errno;
        }
        if (fclose(e->f) != 0 && !bad) {
            bad = 1;
            e1 = errno;
        }
        e->f = NULL;
        if (bad) {
            char *shown = s->single ? dup_str(s->dir) : join(s->dir, e->name, "", "");
            set_err(err, errlen, "cannot write", shown ? shown : e->name, e1 ? e1 : EIO);
            free(shown);
            remove_temps(s);
            return REE_EIO;
        }
    }
    if (s->cancel && *s->cancel) {
        if (err && errlen > 0)
            snprintf(err, errlen, "interrupted");
        remove_temps(s);
        return REE_EINTERRUPTED;
    }
    ree_status st = REE_OK;
    if (check_target(s, &st, err, errlen) != 0) {
        remove_temps(s);
        return st;
    }
    if (s->single) {
        char *from = s->n ? join(s->tmp, s->e[0].name, "", "") : NULL;
        if (!from || rename(from, s->dir) != 0) {
            set_err(err, errlen, "cannot rename to", s->dir, from ? errno : ENOMEM);
            free(from);
            remove_temps(s);
            return REE_EIO;
        }
        free(from);
        remove_temps(s);
        sync_dir(s->parent);
        return REE_OK;
    }
    /* A folder that replaces one of this user's takes over its permission bits (a private
     * folder stays private: `chmod 700` on results is not undone by the next run); a new one, or
     * one replacing a folder someone else owns (who may have made it 0777 in a shared place, to
     * make the new results writable to all), gets the usual 0777 & ~umask. Never set-user-ID. */
    struct stat sb;
    int exists = lstat(s->dir, &sb) == 0;
    mode_t mode =
        exists && S_ISDIR(sb.st_mode) && sb.st_uid == geteuid() ? sb.st_mode & 03777 : s->mode;
    if (fchmod(s->tmpfd, mode) != 0 || fsync(s->tmpfd) != 0) {
        set_err(err, errlen, "cannot write", s->tmp, errno);
        remove_temps(s);
        return REE_EIO;
    }
    int rc = exists ? exchange(s->tmp, s->dir, s->parent, s->base) : rename(s->tmp, s->dir);
    /* Another reesim writing the same target may swap its set in between the look and the
     * rename: a folder that appeared makes rename fail (ENOTEMPTY, EEXIST), one that vanished
     * makes the exchange fail (ENOENT). Look again, a bounded number of times; a folder that
     * appeared is checked like the first (it must be one reesim may replace). */
    for (int again = 0; rc != 0 && again < COMMIT_TRIES; again++) {
        if (exists ? errno != ENOENT : errno != ENOTEMPTY && errno != EEXIST)
            break;
        if (check_target(s, &st, err, errlen) != 0) {
            remove_temps(s);
            return st;
        }
        exists = lstat(s->dir, &sb) == 0;
        rc = exists ? exchange(s->tmp, s->dir, s->parent, s->base) : rename(s->tmp, s->dir);
    }
    if (rc != 0) {
        set_err(err, errlen, "cannot rename to", s->dir, errno);
        remove_temps(s);
        return REE_EIO;
    }
    /* s->tmp now holds the old set (or nothing): remove it; a failure only leaves a hidden
     * folder that the next run cleans. */
    close(s->tmpfd);
    s->tmpfd = -1;
    if (exists)
        remove_retry(s->tmp);
    free(s->tmp);
    s->tmp = NULL;
    sync_dir(s->parent);
    return REE_OK;
}

ree_status ree_outset_check(ree_outset *s, char *err, size_t errlen)
{
    int e0 = errno; /* the failed write's reason, when called right after it */
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->e[i];
        if (!e->f)
            continue;
        errno = 0;
        if (e->mem && ferror(e->mem))
            e->werr = ENOMEM; /* a plain file's text lost in memory; written only by commit */
        int serr = sync_error(e->csv); /* a background fdatasync's, which commit reports */
        if (e->werr || serr || fflush(e->f) != 0 || ferror(e->f)) {
            int e1 = e->csv && e->csv->werr ? e->csv->werr
                     : e->werr              ? e->werr
                     : serr                 ? serr
                     : errno                ? errno
                     : e0                   ? e0
                                            : EIO;
            char *shown = s->single ? dup_str(s->dir) : join(s->dir, e->name, "", "");
            set_err(err, errlen, "cannot write", shown ? shown : e->name, e1);
            free(shown);
            return REE_EIO;
        }
    }
    return REE_OK;
}

void ree_outset_abort(ree_outset *s)
{
    if (!s)
        return;
    s->done = 1;
    remove_temps(s);
}

void ree_outset_free(ree_outset *s)
{
    if (!s)
        return;
    remove_temps(s);
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].name);
        csv_free(s->e[i].csv);
    }
    free(s->e);
    free(s->dir);
    free(s->parent);
    free(s->base);
    free(s->leftover);
    free(s);
}

const char *ree_outset_temp(const ree_outset *s)
{
    return s ? s->tmp : NULL;
}

int ree_outset_discard_temp(const char *tmp)
{
    size_t n = tmp ? strlen(tmp) : 0;
    if (n < 11 || strncmp(tmp + n - 11, ".tmp.", 5) != 0)
        return -1;
    char *aside = dup_str(tmp);
    if (!aside)
        return -1;
    memcpy(aside + n - 6, "XXXXXX", 6);
    int rc = -1;
    if (mkdtemp(aside)) {
        struct stat st;
        if (rename(tmp, aside) != 0) { /* gone: committed or removed meanwhile */
            rmdir(aside);
            rc = lstat(tmp, &st) != 0 && errno == ENOENT ? 0 : -1;
        } else {
            /* The command may still be writing (runs.csv rows of blocks merged before it saw a
             * signal) through its handle on the folder: a file created after the removal keeps
             * the folder, so try again for up to ~200 ms. */
            for (int i = 0; i < 10 && rc != 1; i++) {
                if (i > 0) {
                    struct timespec ts = {0, 20 * 1000000L};
                    nanosleep(&ts, NULL);
                }
                remove_retry(aside);
                rc = lstat(aside, &st) != 0 && errno == ENOENT ? 1 : -1;
            }
        }
    }
    free(aside);
    return rc;
}

const char *ree_outset_dir(const ree_outset *s)
{
    return s->dir;
}

/* Text into a memory CSV, growing its buffer (doubling); on failure the text is dropped and
 * merr set. */
static void mem_put(ree_csv *c, const char *p, size_t n)
{
    if (n == 0)
        return; /* nothing to copy (and c->buf may still be NULL) */
    if (c->mcap - c->len < n) {
        size_t cap = c->mcap ? c->mcap : 4096;
        while (cap - c->len < n)
            cap *= 2;
        unsigned char *b = realloc(c->buf, cap);
        if (!b) {
            c->merr = 1;
            return;
        }
        c->buf = b;
        c->mcap = cap;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
}

/* Text into the CSV: straight to the FILE, into the gzip buffer, or into memory. */
static void put_bytes(ree_csv *c, const char *p, size_t n)
{
    if (c->mem) {
        mem_put(c, p, n);
        return;
    }
    if (!c->z) {
        if (fwrite(p, 1, n, c->f) != n)
            csv_write_failed(c);
        return;
    }
    while (n > 0) {
        size_t k = REE_GZ_CHUNK - c->len < n ? REE_GZ_CHUNK - c->len : n;
        memcpy(c->buf + c->len, p, k);
        c->len += k;
        p += k;
        n -= k;
        if (c->len == REE_GZ_CHUNK)
            gz_deflate(c, Z_NO_FLUSH);
    }
}

static inline void put_ch(ree_csv *c, char ch)
{
    if (c->mem)
        mem_put(c, &ch, 1);
    else if (!c->z)
        putc(ch, c->f);
    else if (c->len < REE_GZ_CHUNK - 1)
        c->buf[c->len++] = (unsigned char)ch;
    else
        put_bytes(c, &ch, 1);
}

static inline void put_str(ree_csv *c, const char *s)
{
    if (!c->z && !c->mem)
        fputs(s, c->f);
    else
        put_bytes(c, s, strlen(s));
}

static void field_sep(ree_csv *c)
{
    if (c->row_started)
        put_ch(c, ',');
    c->row_started = 1;
}

void ree_csv_str(ree_csv *c, const char *s)
{
    field_sep(c);
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        put_str(c, s);
        return;
    }
    put_ch(c, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            put_ch(c, '"');
        put_ch(c, *p);
    }
    put_ch(c, '"');
}

static size_t format_num(char *buf, size_t len, double x);

void ree_csv_num(ree_csv *c, double x)
{
    char buf[40];
    field_sep(c);
    put_bytes(c, buf, format_num(buf, sizeof buf, x));
}

void ree_csv_text(ree_csv *c, const char *text, size_t n)
{
    field_sep(c);
    put_bytes(c, text, n);
}

void ree_csv_int(ree_csv *c, long long x)
{
    char buf[24], *e = buf + sizeof buf, *p = e;
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    field_sep(c);
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (x < 0)
        *--p = '-';
    put_bytes(c, p, (size_t)(e - p));
}

void ree_csv_end_row(ree_csv *c)
{
    put_ch(c, '\n');
    c->row_started = 0;
}

/* Write out stdio's buffer and start the writeback of the file's bytes from c->hinted to its end
 * (all of them when `last`, else only once WRITEBACK_STEP of them are waiting). */
static void start_writeback(ree_csv *c, int last)
{
    off_t at = ftello(c->f);
    if (c->werr || (!last && (at < 0 || at - c->hinted < WRITEBACK_STEP)))
        return;
    errno = 0;
    if (fflush(c->f) != 0) {
        csv_write_failed(c); /* the reason, which commit's flush would not see */
        return;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    /* a hint: errors come at fsync; 0 bytes: to the end of the file */
    sync_file_range(fileno(c->f), c->hinted, 0, SYNC_FILE_RANGE_WRITE);
#endif
    if (at >= 0)
        c->hinted = at;
    /* The disk's cache flush in the background (SYNC_STEP); the last hint of a file that has a
     * syncer asks for one more, for the tail, while the remaining outputs are made. */
    if (at >= 0 && (at - c->synced >= sync_step || (last && c->sync && at > c->synced))) {
        c->synced = at;
        sync_ask(c, at);
    }
}

void ree_csv_writeback(ree_csv *c)
{
    if (c && !c->mem && c->f)
        start_writeback(c, 1);
}

ree_csv *ree_csv_mem_alloc(void)
{
    ree_csv *c = calloc(1, sizeof *c);
    if (c)
        c->mem = 1;
    return c;
}

void ree_csv_mem_free(ree_csv *c)
{
    if (c && c->mem)
        csv_free(c);
}

void ree_csv_mem_clear(ree_csv *c)
{
    c->len = 0;
    c->merr = 0;
    c->row_started = 0;
    c->member = 0;
}

int ree_csv_mem_flush(ree_csv *mem, ree_csv *dst)
{
    int bad = mem->merr || (mem->member && !dst->z);
    if (!bad && mem->member)
        gz_append_member(dst, mem->buf, mem->len);
    else if (!bad && mem->len)
        put_bytes(dst, (const char *)mem->buf, mem->len);
    ree_csv_mem_clear(mem);
    if (!bad && !dst->mem && dst->f)
        start_writeback(dst, 0);
    return bad ? -1 : 0;
}

int ree_csv_mem_deflate(ree_csv *c)
{
    if (!c->mem || c->merr || c->member)
        return -1;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, REE_GZ_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)c->len);
    unsigned char *out = malloc(bound ? bound : 1);
    int rc = Z_STREAM_ERROR;
    if (out) {
        z.next_in = c->buf;
        z.avail_in = (uInt)c->len;
        z.next_out = out;
        z.avail_out = (uInt)bound;
        rc = deflate(&z, Z_FINISH);
    }
    size_t n = (size_t)z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return -1;
    }
    free(c->buf);
    c->buf = out;
    c->mcap = bound ? bound : 1;
    c->len = n;
    c->member = 1;
    return 0;
}

const void *ree_csv_mem_bytes(const ree_csv *c, size_t *len)
{
    *len = c->len;
    return c->buf;
}

int ree_csv_mem_lost(const ree_csv *c)
{
    return c->merr;
}

int ree_csv_mem_set(ree_csv *c, const void *bytes, size_t len, int member)
{
    ree_csv_mem_clear(c);
    if (len)
        mem_put(c, bytes, len);
    if (c->merr)
        return -1;
    c->member = member != 0;
    return 0;
}

/* %.10g's layout of m 10^(X - 9) (10^9 <= m < 10^10, the digits rounded), negative when `neg`:
 * style e when X < -4 or X >= 10, else style f; trailing zeros and a bare point removed; the
 * exponent with a sign and at least two digits. Returns the length written into buf (at least 24
 * bytes), NUL-terminated. */
static size_t layout_g10(char *buf, int neg, uint64_t m, int X)
{
    static const char two[201] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";
    char d[10];
    uint32_t hi = (uint32_t)(m / 100000), lo = (uint32_t)(m % 100000); /* five digits each */
    d[0] = (char)('0' + hi / 10000);
    memcpy(d + 1, two + 2 * (hi / 100 % 100), 2);
    memcpy(d + 3, two + 2 * (hi % 100), 2);
    d[5] = (char)('0' + lo / 10000);
    memcpy(d + 6, two + 2 * (lo / 100 % 100), 2);
    memcpy(d + 8, two + 2 * (lo % 100), 2);
    int nd = 10;
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    if (X < -4 || X >= 10) {
        buf[o++] = d[0];
        if (nd > 1) {
            buf[o++] = '.';
            for (int i = 1; i < nd; i++)
                buf[o++] = d[i];
        }
        buf[o++] = 'e';
        buf[o++] = X < 0 ? '-' : '+';
        int ex = X < 0 ? -X : X;
        if (ex >= 100)
            buf[o++] = (char)('0' + ex / 100);
        buf[o++] = (char)('0' + ex / 10 % 10);
        buf[o++] = (char)('0' + ex % 10);
    } else if (X >= 0) {
        for (int i = 0; i <= X; i++)
            buf[o++] = d[i];
        if (nd > X + 1) {
            buf[o++] = '.';
            for (int i = X + 1; i < nd; i++)
                buf[o++] = d[i];
        }
    } else {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int i = 0; i < -X - 1; i++)
            buf[o++] = '0';
        for (int i = 0; i < nd; i++)
            buf[o++] = d[i];
    }
    buf[o] = '\0';
    return o;
}

/* %.10g of a finite non-zero x without printf, or 0 when this path does not decide the result
 * (the caller then asks snprintf): the length written into buf (at least 24 bytes), the bytes
 * those of glibc's "%.10g" with '.' for the point.
 *
 * Why: formatting numbers with snprintf (glibc's exact multi-precision %g) took about a quarter of
 * `reesim run`'s time on the gate example at 40,000 runs (runs.csv, one thread), and the rows are
 * the same bytes whichever way they are made.
 *
 * How: x = m 10^(X - 9) with 10^9 <= m < 10^10 rounded to nearest, as glibc does on the exact
 * value. With x = f 2^e (f the 53-bit significand, an integer), y = |x| 10^(9 - X) is f 10^s 2^e
 * (s = 9 - X >= 0) or f 2^e / 10^-s (s < 0): both an integer quotient and remainder in exact
 * 128-bit arithmetic (10^27 < 2^90, f < 2^53), so m = floor(y) and the comparison of the
 * remainder with one half are exact. X starts at about floor(log10 2^(E-1)), E the binary
 * exponent of |x| (floor(log10 |x|) or up to two less), and moves by one while m is out of
 * [10^9, 10^10).
 * snprintf decides only an exact tie (glibc's rounding mode then matters) and a |x| whose
 * products would pass 128 bits (outside about 1e-13 to 1e37). Before (until stop 16) y was formed
 * in x87 long double, within 2^-30 of exact, with snprintf for everything within 1e-5 of a tie;
 * its conversions switch the x87 rounding mode and floor() is a call on x86-64's baseline: 80 ns
 * a number against 38 ns now on this VM (a loop over 2 million log-uniform, integer and negative
 * values, best of 5), and 14% of all CPU time of the gate example at 100,000 runs (perf). Checked
 * against snprintf: tests/unit/test_outfile.c (edges and 400,000 random values) and 10^8 values
 * of seven kinds (bench/README.md, stop 16), no difference. */
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;

/* 10^k, k = 0..27, exactly. */
static u128 pow10_u128(int k)
{
    static const uint64_t p[20] = {1ULL,
                                   10ULL,
                                   100ULL,
                                   1000ULL,
                                   10000ULL,
                                   100000ULL,
                                   1000000ULL,
                                   10000000ULL,
                                   100000000ULL,
                                   1000000000ULL,
                                   10000000000ULL,
                                   100000000000ULL,
                                   1000000000000ULL,
                                   10000000000000ULL,
                                   100000000000000ULL,
                                   1000000000000000ULL,
                                   10000000000000000ULL,
                                   100000000000000000ULL,
                                   1000000000000000000ULL,
                                   10000000000000000000ULL};
    return k < 20 ? (u128)p[k] : (u128)p[19] * p[k - 19];
}

/* floor(f 2^e 10^s) into *q and the remainder's comparison with one half into *half (-1 below,
 * 0 a tie, 1 above; -1 also when there is no remainder). Returns 0 when a product would pass 128
 * bits. f < 2^53, |s| <= 27. */
static int scaled_floor(uint64_t f, int e, int s, uint64_t *q, int *half)
{
    u128 num, den, r, qq;
    if (s >= 0) {
        if (s > 22) /* f 10^s < 2^126 up to 22 */
            return 0;
        num = (u128)f * pow10_u128(s);
        if (e >= 0) /* only |x| >= 2^52 has e >= 0, and then s < 0 */
            return 0;
        int sh = -e;
        if (sh >= 127)
            return 0;
        qq = num >> sh;
        r = num - (qq << sh);
        u128 h = (u128)1 << (sh - 1);
        *q = (qq >> 64) ? UINT64_MAX : (uint64_t)qq;
        *half = r > h ? 1 : r == h ? 0 : -1;
        return 1;
    }
    den = pow10_u128(-s);
    if (e >= 0) {
        if (e > 127 - 53)
            return 0;
        num = (u128)f << e;
    } else {
        if (-e > 127 - 90)
            return 0;
        num = f;
        den <<= -e;
    }
    qq = num / den;
    r = num - qq * den;
    *q = (qq >> 64) ? UINT64_MAX : (uint64_t)qq;
    *half = 2 * r > den ? 1 : 2 * r == den ? 0 : -1; /* r < den < 2^127 */
    return 1;
}

static size_t fast_g10(char *buf, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int be = (int)(bits >> 52 & 0x7ff);
    uint64_t f = bits & ((UINT64_C(1) << 52) - 1);
    int e;
    if (be == 0) {
        e = -1074; /* subnormal */
    } else {
        f |= UINT64_C(1) << 52;
        e = be - 1075;
    }
    if (f == 0 || be == 0x7ff)
        return 0;
    int E = e + 64 - __builtin_clzll(f); /* 2^(E-1) <= |x| < 2^E */
    /* floor((E - 1) log10 2), or one less (78913 / 2^18 is just below log10 2), without floor():
     * x86-64's baseline has no rounding instruction, so that is a call */
    int k = E - 1;
    int X = k >= 0 ? (int)(((long)k * 78913) >> 18) : -(int)((-(long)k * 78913 + 262143) >> 18) - 1;
    uint64_t m = 0;
    int half = -1;
    for (int tries = 0;; tries++) {
        int s = 9 - X;
        if (s > 27 || s < -27 || tries > 2 || !scaled_floor(f, e, s, &m, &half))
            return 0;
        if (m >= UINT64_C(10000000000))
            X++;
        else if (m < UINT64_C(1000000000))
            X--;
        else
            break;
    }
    if (half == 0)
        return 0;
    if (half > 0 && ++m == UINT64_C(10000000000)) {
        m = UINT64_C(1000000000);
        X++;
    }
    return layout_g10(buf, x < 0, m, X);
}
#else
static size_t fast_g10(char *buf, double x)
{
    (void)buf, (void)x;
    return 0;
}
#endif

/* ree_format_num, returning the length of the text in buf. */
static size_t format_num(char *buf, size_t len, double x)
{
    if (len == 0)
        return 0;
    size_t fast;
    if (len >= 24 && x != 0.0 && isfinite(x) && (fast = fast_g10(buf, x)) != 0)
        return fast; /* straight into buf: no copy */
    if (isnan(x)) {
        buf[0] = '\0';
        return 0;
    }
    char tmp[64];
    size_t n = 0;
    if (isinf(x)) {
        n = (size_t)snprintf(tmp, sizeof tmp, "%s", x < 0 ? "-inf" : "inf");
    } else if (x == 0.0) {
        tmp[n++] = '0'; /* also -0 */
    } else if (!(n = fast_g10(tmp, x))) {
        char g[64];
        snprintf(g, sizeof g, "%.10g", x);
        /* %g writes digits, sign, exponent and the locale's decimal point (possibly several
         * bytes); whatever else appears is that decimal point, written as '.'. */
        int in_point = 0;
        for (const char *p = g; *p; p++) {
            int plain = (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e';
            if (plain) {
                tmp[n++] = *p;
                in_point = 0;
            } else if (!in_point) {
                tmp[n++] = '.';
                in_point = 1;
            }
        }
    }
    n = n < len - 1 ? n : len - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

char *ree_format_num(char *buf, size_t len, double x)
{
    (void)format_num(buf, len, x);
    return buf;
}
