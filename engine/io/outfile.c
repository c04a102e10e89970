/*
 * Output sets committed as one unit. A set is written into a private temporary folder beside the
 * target (PARENT/.NAME.tmp.XXXXXX from mkdtemp, mode 0700, locked with flock while in use), every
 * file created there with O_CREAT|O_EXCL|O_NOFOLLOW, then fsynced and swapped in with one rename
 * (renameat2 RENAME_EXCHANGE when the target exists), and the old set removed. Which targets may be
 * replaced, and the clean-up of earlier runs' leftovers: outset_target.c; the CSV files of a set:
 * csvwrite.c.
 */
#define _GNU_SOURCE /* flock, syscall, SYS_renameat2 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fault.h"
#include "outfile_priv.h"
#include "reesim/reesim.h"
#include "syncer.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

void ree_outset_err(char *err, size_t errlen, const char *what, const char *path, int errnum)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errnum));
}

void ree_outset_err_link(char *err, size_t errlen, const char *what, const char *path)
{
    if (err && errlen > 0)
        snprintf(err, errlen,
                 "refusing to %s '%s': it is a symbolic link (give the folder it points to)", what,
                 path);
}

const char *ree_outset_tmp_name(const ree_outset *s)
{
    return strrchr(s->tmp, '/') + 1; /* ree_outset_join always puts one there */
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *ree_outset_join(const char *dir, const char *a, const char *b, const char *c)
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

/* mkdtemp in the folder open on `at`: the last six characters of `path` (ending "XXXXXX", its
 * last component a name in `at`) become random letters and digits until mkdirat makes a new
 * folder, mode 0700. Returns 0, or -1 with errno. */
static int mkdtemp_at(int at, char *path)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t n = strlen(path);
    const char *name = strrchr(path, '/') + 1;
    if (n < 6 || strcmp(path + n - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return -1;
    }
    for (int try = 0; try < 1000; try++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) { /* fall back on the clock */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            unsigned long long x = (unsigned long long)ts.tv_nsec * 6364136223846793005ULL ^
                                   (unsigned long long)getpid() << 20 ^ (unsigned)try;
            for (int i = 0; i < 6; i++, x >>= 8)
                r[i] = (unsigned char)x;
        }
        for (int i = 0; i < 6; i++)
            path[n - 6 + (size_t)i] = abc[r[i] % (sizeof abc - 1)];
        if (!REE_FAULT("reesim/outset/mkdtemp") && mkdirat(at, name, 0700) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* Attempts make_temp gives a new folder that another process removed before it was locked. */
#define TEMP_TRIES 50

/* Create the set's private folder s->tmp (mkdtemp) and hold it (s->tmpfd, flock). mkdtemp and flock
 * are two steps: in between, another reesim writing the same target may list the parent, find the
 * new folder empty and unlocked, take it for the leftover of a crashed run and remove it
 * (ree_outset_clean_leftovers). Every process removes such a folder only while holding its flock,
 * and holds it only for that, so this one waits for the lock, then looks whether the folder was
 * removed meanwhile (no links left, or another folder under its name); if so it makes another, else
 * the folder is its own for good: nobody else removes it while it is locked. Each attempt loses
 * only to a clean-up that listed the parent in the microseconds after the mkdtemp, so one or two
 * suffice; TEMP_TRIES bounds it. (Creating the folder under a name clean-ups ignore and renaming it
 * after locking would close the window instead, but a crash between the two would leave a folder
 * that no later run removes.) Returns REE_OK, or why in err: REE_ENOMEM, or REE_ECANTCREATE (then
 * s->tmp, when set, is this process's and removed by ree_outset_free). */
static ree_status make_temp(ree_outset *s, char *err, size_t errlen)
{
    for (int try = 1;; try++) {
        s->tmp = ree_outset_join(s->parent, ".", s->base, ".tmp.XXXXXX");
        if (!s->tmp) {
            if (err && errlen > 0)
                snprintf(err, errlen, "out of memory");
            return REE_ENOMEM;
        }
        if (mkdtemp_at(s->parentfd, s->tmp) != 0) {
            ree_outset_err(err, errlen, "cannot create directory", s->tmp, errno);
            free(s->tmp);
            s->tmp = NULL;
            return REE_ECANTCREATE;
        }
        struct stat held, named;
        int gone;
        const char *nm = ree_outset_tmp_name(s);
        s->tmpfd = openat(s->parentfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->tmpfd < 0) {
            int e = errno;
            gone = e == ENOENT && fstatat(s->parentfd, nm, &named, AT_SYMLINK_NOFOLLOW) != 0 &&
                   errno == ENOENT;
            if (!gone) {
                ree_outset_err(err, errlen, "cannot open directory", s->tmp, e);
                return REE_ECANTCREATE;
            }
        } else {
            if (flock(s->tmpfd, LOCK_EX) != 0 || fstat(s->tmpfd, &held) != 0) {
                ree_outset_err(err, errlen, "cannot open directory", s->tmp, errno);
                return REE_ECANTCREATE;
            }
            gone = held.st_nlink == 0 ||
                   (fstatat(s->parentfd, nm, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
                    (named.st_ino != held.st_ino || named.st_dev != held.st_dev));
            if (!gone)
                return REE_OK;
            close(s->tmpfd);
            s->tmpfd = -1;
        }
        /* Removed by another process: not ours to remove (its name may be another's by now). */
        if (try == TEMP_TRIES)
            ree_outset_err(err, errlen, "cannot create directory", s->tmp, ENOENT);
        free(s->tmp);
        s->tmp = NULL;
        if (try == TEMP_TRIES)
            return REE_ECANTCREATE;
    }
}

int ree_outset_split_path(const char *path, char **dir, char **parent, char **base)
{
    *dir = dup_str(path);
    *parent = *base = NULL;
    if (*dir) {
        /* Trailing slashes would give "dir//name"; drop them (keep a lone "/"). */
        for (size_t n = strlen(*dir); n > 1 && (*dir)[n - 1] == '/'; n--)
            (*dir)[n - 1] = '\0';
        char *slash = strrchr(*dir, '/');
        *base = dup_str(slash ? slash + 1 : *dir);
        *parent = slash ? dup_str(*dir) : dup_str(".");
        if (slash && *parent)
            (*parent)[slash == *dir ? 1 : slash - *dir] = '\0';
    }
    if (*dir && *parent && *base)
        return 0;
    free(*dir);
    free(*parent);
    free(*base);
    *dir = *parent = *base = NULL;
    return -1;
}

int ree_outset_open_dirfd(int at, const char *name, int flags)
{
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
    /* A folder one may write and search but not list (a drop box, mode 1733): everything done
     * through it is an *at call or faccessat, which O_PATH allows; fsync of it fails (EBADF)
     * and is not checked, as on file systems without directory fsync. */
    if (fd < 0 && errno == EACCES)
        fd = openat(at, name, O_PATH | O_DIRECTORY | O_CLOEXEC | flags);
    return fd;
}

int ree_outset_open_parent(const char *parent, char *err, size_t errlen)
{
    char *work = dup_str(parent);
    if (!work) {
        errno = ENOMEM;
        return -1;
    }
    int fd = -1;
    if (make_dirs(work) != 0) {
        ree_outset_err(err, errlen, "cannot create directory", work, errno);
    } else {
        fd = ree_outset_open_dirfd(AT_FDCWD, parent, 0);
        if (fd < 0)
            ree_outset_err(err, errlen, "cannot open directory", parent, errno);
    }
    free(work);
    return fd;
}

/* A set replacing `dir`; its parent is created and opened, or, when `at` is not -1, is the
 * folder open on `at` (then `dir` is the name to show, PARENT/NAME). */
static ree_outset *open_set(const char *dir, int single, int at, ree_status *status, char *err,
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
        s->parentfd = -1;
        s->single = single;
    }
    if (!s || ree_outset_split_path(dir, &s->dir, &s->parent, &s->base) != 0) {
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
    s->parentfd =
        at >= 0 ? fcntl(at, F_DUPFD_CLOEXEC, 0) : ree_outset_open_parent(s->parent, err, errlen);
    if (s->parentfd < 0) {
        if (errno == ENOMEM) {
            *status = REE_ENOMEM;
            snprintf(err, errlen, "out of memory");
        } else if (at >= 0) {
            ree_outset_err(err, errlen, "cannot open directory", s->parent, errno);
        }
        ree_outset_free(s);
        return NULL;
    }
    if (ree_outset_check_target(s, status, err, errlen) != 0) {
        ree_outset_free(s);
        return NULL;
    }
    if (faccessat(s->parentfd, ".", W_OK | X_OK, 0) != 0) {
        ree_outset_err(err, errlen, "cannot write to directory", s->parent, errno);
        *status = REE_ECANTCREATE;
        ree_outset_free(s);
        return NULL;
    }
    ree_outset_clean_leftovers(s);
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
    return open_set(dir, 0, -1, status, err, errlen);
}

ree_outset *ree_outset_open_file(const char *path, ree_status *status, char *err, size_t errlen)
{
    return open_set(path, 1, -1, status, err, errlen);
}

ree_outset *ree_outset_open_file_at(int dirfd, const char *dir, const char *name,
                                    ree_status *status, char *err, size_t errlen)
{
    *status = REE_ECANTCREATE;
    if (!name || !*name || strchr(name, '/')) {
        if (err && errlen > 0)
            snprintf(err, errlen, "'%s' is not a file name", name ? name : "");
        return NULL;
    }
    char *path = ree_outset_join(dir, name, "", "");
    if (!path) {
        *status = REE_ENOMEM;
        if (err && errlen > 0)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ree_outset *s = open_set(path, 1, dirfd, status, err, errlen);
    free(path);
    return s;
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
        if (!strcmp(s->e[i]->name, name))
            return NULL;
    /* Only the list of pointers moves when it grows; the entries stay (see struct entry). */
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct entry **list = realloc(s->e, cap * sizeof *list);
        if (!list) {
            *status = REE_ENOMEM;
            return NULL;
        }
        s->e = list;
        s->cap = cap;
    }
    struct entry *e = calloc(1, sizeof *e);
    if (e)
        e->name = dup_str(name);
    if (!e || !e->name) {
        free(e);
        *status = REE_ENOMEM;
        return NULL;
    }
    int fd =
        REE_FAULT("reesim/outset/create")
            ? -1
            : openat(s->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    e->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!e->f) {
        if (fd >= 0) {
            close(fd);
            unlinkat(s->tmpfd, name, 0);
        }
        free(e->name);
        free(e);
        return NULL;
    }
    s->e[s->n++] = e;
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

FILE *ree_outset_file_direct(ree_outset *s, const char *name, ree_status *status)
{
    struct entry *e = new_entry(s, name, status);
    return e ? e->f : NULL;
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
        ree_csv_free(c);
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
        struct entry *e = s->e[i];
        mem_discard(e);
        ree_csv_sync_stop(e->csv); /* before its file is closed */
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
        ree_outset_remove_retry(s->parentfd, ree_outset_tmp_name(s));
    if (s->tmp) {
        free(s->tmp);
        s->tmp = NULL;
    }
    if (s->tmpfd >= 0) {
        close(s->tmpfd);
        s->tmpfd = -1;
    }
}

/* Swap the set's temporary folder with the existing target, both in the parent: after success
 * the target holds the new set and s->tmp names the old one. renameat2(RENAME_EXCHANGE) where
 * the kernel and file system offer it; otherwise the old set goes aside under a fresh hidden
 * name (then written into s->tmp, which has the same length). */
static int exchange(ree_outset *s)
{
    int at = s->parentfd;
    const char *from = ree_outset_tmp_name(s);
#ifdef SYS_renameat2
    if (syscall(SYS_renameat2, at, from, at, s->base, RENAME_EXCHANGE) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
#endif
    char *aside = ree_outset_join(s->parent, ".", s->base, ".tmp.XXXXXX");
    if (!aside) {
        errno = ENOMEM;
        return -1;
    }
    const char *an = strrchr(aside, '/') + 1;
    if (mkdtemp_at(at, aside) != 0 || renameat(at, s->base, at, an) != 0) {
        int e = errno;
        unlinkat(at, an, AT_REMOVEDIR);
        free(aside);
        errno = e;
        return -1;
    }
    if (renameat(at, from, at, s->base) != 0) {
        int e = errno;
        renameat(at, an, at, s->base);
        free(aside);
        errno = e;
        return -1;
    }
    memcpy(s->tmp, aside, strlen(aside) + 1);
    free(aside);
    return 0;
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
        struct entry *e = s->e[i];
        errno = 0;
        if (e->mem)
            mem_out(e);
        if (e->csv && e->csv->z && (e->csv->len || e->csv->zin)) /* else: ends with a member */
            ree_csv_gz_deflate(e->csv, Z_FINISH);
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
        int serr = ree_csv_sync_stop(e->csv);
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
            char *shown = s->single ? dup_str(s->dir) : ree_outset_join(s->dir, e->name, "", "");
            ree_outset_err(err, errlen, "cannot write", shown ? shown : e->name, e1 ? e1 : EIO);
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
    if (ree_outset_check_target(s, &st, err, errlen) != 0) {
        remove_temps(s);
        return st;
    }
    if (s->single) {
        if (!s->n || REE_FAULT("reesim/outset/rename") ||
            renameat(s->tmpfd, s->e[0]->name, s->parentfd, s->base) != 0) {
            ree_outset_err(err, errlen, "cannot rename to", s->dir, s->n ? errno : ENOENT);
            remove_temps(s);
            return REE_EIO;
        }
        remove_temps(s);
        fsync(s->parentfd);
        return REE_OK;
    }
    /* A folder that replaces one of this user's takes over its permission bits (a private
     * folder stays private: `chmod 700` on results is not undone by the next run); a new one, or
     * one replacing a folder someone else owns (who may have made it 0777 in a shared place, to
     * make the new results writable to all), gets the usual 0777 & ~umask. Never set-user-ID. */
    struct stat sb;
    int exists = fstatat(s->parentfd, s->base, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    mode_t mode =
        exists && S_ISDIR(sb.st_mode) && sb.st_uid == geteuid() ? sb.st_mode & 03777 : s->mode;
    if (fchmod(s->tmpfd, mode) != 0 || fsync(s->tmpfd) != 0) {
        ree_outset_err(err, errlen, "cannot write", s->tmp, errno);
        remove_temps(s);
        return REE_EIO;
    }
    int rc = REE_FAULT("reesim/outset/rename") ? -1
             : exists                          ? exchange(s)
                      : renameat(s->parentfd, ree_outset_tmp_name(s), s->parentfd, s->base);
    /* Another reesim writing the same target may swap its set in between the look and the
     * rename: a folder that appeared makes rename fail (ENOTEMPTY, EEXIST), one that vanished
     * makes the exchange fail (ENOENT). Look again, a bounded number of times; a folder that
     * appeared is checked like the first (it must be one reesim may replace). */
    for (int again = 0; rc != 0 && again < COMMIT_TRIES; again++) {
        if (exists ? errno != ENOENT : errno != ENOTEMPTY && errno != EEXIST)
            break;
        if (ree_outset_check_target(s, &st, err, errlen) != 0) {
            remove_temps(s);
            return st;
        }
        exists = fstatat(s->parentfd, s->base, &sb, AT_SYMLINK_NOFOLLOW) == 0;
        rc = exists ? exchange(s)
                    : renameat(s->parentfd, ree_outset_tmp_name(s), s->parentfd, s->base);
    }
    if (rc != 0) {
        ree_outset_err(err, errlen, "cannot rename to", s->dir, errno);
        remove_temps(s);
        return REE_EIO;
    }
    /* s->tmp now holds the old set (or nothing): remove it; a failure only leaves a hidden
     * folder that the next run cleans. */
    close(s->tmpfd);
    s->tmpfd = -1;
    if (exists)
        ree_outset_remove_retry(s->parentfd, ree_outset_tmp_name(s));
    free(s->tmp);
    s->tmp = NULL;
    fsync(s->parentfd);
    return REE_OK;
}

ree_status ree_outset_check(ree_outset *s, char *err, size_t errlen)
{
    int e0 = errno; /* the failed write's reason, when called right after it */
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = s->e[i];
        if (!e->f)
            continue;
        errno = 0;
        if (e->mem && ferror(e->mem))
            e->werr = ENOMEM; /* a plain file's text lost in memory; written only by commit */
        int serr = ree_csv_sync_error(e->csv); /* a background fdatasync's, which commit reports */
        if (e->werr || serr || fflush(e->f) != 0 || ferror(e->f)) {
            int e1 = e->csv && e->csv->werr ? e->csv->werr
                     : e->werr              ? e->werr
                     : serr                 ? serr
                     : errno                ? errno
                     : e0                   ? e0
                                            : EIO;
            char *shown = s->single ? dup_str(s->dir) : ree_outset_join(s->dir, e->name, "", "");
            ree_outset_err(err, errlen, "cannot write", shown ? shown : e->name, e1);
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
        free(s->e[i]->name);
        ree_csv_free(s->e[i]->csv);
        free(s->e[i]);
    }
    free(s->e);
    if (s->parentfd >= 0)
        close(s->parentfd);
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
                ree_outset_remove_retry(AT_FDCWD, aside);
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
