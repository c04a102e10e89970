/*
 * The target of an output set (outfile.c): whether it may be replaced (absent, or a folder, or for
 * a single-file set a file, that reesim wrote: never a symlink, never a folder holding anything
 * else), the folder single-file sets go into (ree_outset_open_dir), and the removal of a set's
 * folders: an old set, a set's own temporary folder, and the temporary folders that earlier runs
 * left beside the target.
 */
#define _GNU_SOURCE /* flock */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile_priv.h"

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

/* remove_set on the folder `name` in `at`, tried up to 20 times: a transient failure (EINTR,
 * EIO while listing) should not leave a hidden folder behind. */
void ree_outset_remove_retry(int at, const char *name)
{
    for (int i = 0; i < 20; i++) {
        struct stat st;
        if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
            return;
        int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && remove_set(at, name, fd) == 0)
            return;
    }
}

/* Remove temporary folders ".BASE.tmp.XXXXXX" in the parent that no live reesim holds (their
 * flock is free); remember the first one that stays. */
void ree_outset_clean_leftovers(ree_outset *s)
{
    int pfd = openat(s->parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = pfd >= 0 ? fdopendir(pfd) : NULL;
    if (!d) {
        if (pfd >= 0)
            close(pfd);
        return;
    }
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
            s->leftover = ree_outset_join(s->parent, nm, "", "");
    }
    closedir(d);
}

/* ree_outset_check_target once; *moved is set when a refusal was about a folder that is no
 * longer the one named s->dir (see ree_outset_check_target). */
static int check_target_once(const ree_outset *s, ree_status *status, char *err, size_t errlen,
                             int *moved)
{
    struct stat st;
    *moved = 0;
    *status = REE_ECANTCREATE;
    if (fstatat(s->parentfd, s->base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0;
        ree_outset_err(err, errlen, "cannot create directory", s->dir, errno);
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        ree_outset_err_link(err, errlen, "replace", s->dir);
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
        ree_outset_err(err, errlen, "cannot create directory", s->dir, ENOTDIR);
        return -1;
    }
    int fd = openat(s->parentfd, s->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        ree_outset_err(err, errlen, "cannot read directory", s->dir, errno);
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
        *moved = known && (fstatat(s->parentfd, s->base, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
                           now.st_ino != held.st_ino || now.st_dev != held.st_dev);
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
int ree_outset_check_target(const ree_outset *s, ree_status *status, char *err, size_t errlen)
{
    for (int try = 0;; try++) {
        int moved, r = check_target_once(s, status, err, errlen, &moved);
        if (r == 0 || !moved || try == 10)
            return r;
    }
}

int ree_outset_open_dir(const char *path, ree_status *status, char *err, size_t errlen)
{
    *status = REE_ECANTCREATE;
    if (!path || !*path) {
        if (err && errlen > 0)
            snprintf(err, errlen, "empty output directory name");
        return -1;
    }
    char *dir, *parent, *base;
    if (ree_outset_split_path(path, &dir, &parent, &base) != 0) {
        *status = REE_ENOMEM;
        if (err && errlen > 0)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    int fd = -1;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        /* "/", "x/." or "x/..": never a symlink itself */
        if ((fd = ree_outset_open_dirfd(AT_FDCWD, dir, 0)) < 0)
            ree_outset_err(err, errlen, "cannot open directory", dir, errno);
    } else {
        int pfd = ree_outset_open_parent(parent, err, errlen);
        struct stat st;
        if (pfd < 0 && errno == ENOMEM) {
            *status = REE_ENOMEM;
            if (err && errlen > 0)
                snprintf(err, errlen, "out of memory");
        } else if (pfd >= 0 && mkdirat(pfd, base, 0777) != 0 && errno != EEXIST) {
            ree_outset_err(err, errlen, "cannot create directory", dir, errno);
        } else if (pfd >= 0 && (fd = ree_outset_open_dirfd(pfd, base, O_NOFOLLOW)) < 0) {
            int e = errno;
            if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                ree_outset_err_link(err, errlen, "write into", dir);
            else
                ree_outset_err(err, errlen, "cannot create directory", dir, e);
        }
        if (pfd >= 0)
            close(pfd);
    }
    free(dir);
    free(parent);
    free(base);
    if (fd >= 0)
        *status = REE_OK;
    return fd;
}
