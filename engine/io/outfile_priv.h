/*
 * Internal to engine/io: the layout of output sets and CSV writers, shared by outfile.c (the set),
 * outset_target.c (its target and leftovers), csvwrite.c (CSV text), syncer.c (a large CSV's
 * background fdatasync) and g10.c (numbers). Not for callers: they use outfile.h.
 */
#ifndef REESIM_OUTFILE_PRIV_H
#define REESIM_OUTFILE_PRIV_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <zlib.h>

#include "outfile.h"
#include "reesim/reesim.h"

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

    struct syncer *sync; /* background fdatasync (ree_csv_sync_ask), NULL until first needed */
    off_t synced;        /* file bytes when the last sync was asked for */
    int nosync;          /* its thread could not be started: the file goes without */
};

/* One file of a set. Each is allocated on its own and never moves (ree_outset.e is a list of
 * pointers): open_memstream keeps the addresses of membuf and memlen and stores into them at each
 * flush and at fclose, which commit may reach only after many more files were added. */
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
    int parentfd; /* open on `parent`, looked up once: every name beside the target (the target,
                     the temporary folders) is reached through it with *at calls, so a parent
                     swapped for a symlink meanwhile is never followed; -1 when closed */
    char *tmp;    /* private temporary folder PARENT/.BASE.tmp.XXXXXX; NULL once gone */
    int tmpfd;    /* open on tmp, flock'ed; -1 when closed */
    int single;   /* one file replacing `dir` (ree_outset_open_file) rather than a folder */
    mode_t mode;  /* mode for a new committed folder: 0777 & ~umask (a replacing one: the old's) */
    const volatile sig_atomic_t *cancel;
    char *leftover;   /* a stale temporary folder of an earlier run that could not be removed */
    struct entry **e; /* n files, each its own allocation (struct entry); room for cap */
    size_t n, cap;
    int done; /* committed or aborted: no more files */
};

/* outfile.c */
void ree_outset_err(char *err, size_t errlen, const char *what, const char *path, int errnum);
char *ree_outset_join(const char *dir, const char *a, const char *b, const char *c);
/* Split `path` into *dir (without trailing slashes; a lone "/" kept), *parent (the folder
 * holding it, "." when none is given) and *base (its last component). Returns 0, or -1 when out
 * of memory (then nothing is left allocated). */
int ree_outset_split_path(const char *path, char **dir, char **parent, char **base);
/* Create the folder `parent` with its parents (following symlinks, as a path does) and open
 * it. Returns the descriptor, or -1 with the message in err (errno ENOMEM: none). */
int ree_outset_open_parent(const char *parent, char *err, size_t errlen);

/* Open the folder `name` (relative to `at`, or AT_FDCWD) for *at calls: read-only, or O_PATH
 * when it may be written and searched but not listed (a drop box, 1733); `flags` adds e.g.
 * O_NOFOLLOW. Returns the descriptor (close-on-exec), or -1 with errno. */
int ree_outset_open_dirfd(int at, const char *name, int flags);

/* The last component of a temporary folder's path s->tmp (its name in the parent). */
const char *ree_outset_tmp_name(const ree_outset *s);
/* "refusing to WHAT 'PATH': it is a symbolic link (give the folder it points to)" in err. */
void ree_outset_err_link(char *err, size_t errlen, const char *what, const char *path);

/* outset_target.c */
/* Remove the folder `name` in the folder open on `at` (AT_FDCWD: a path), as remove_set. */
void ree_outset_remove_retry(int at, const char *name);
void ree_outset_clean_leftovers(ree_outset *s);
int ree_outset_check_target(const ree_outset *s, ree_status *status, char *err, size_t errlen);

/* csvwrite.c */
void ree_csv_gz_deflate(ree_csv *c, int flush);
void ree_csv_free(ree_csv *c);

/* g10.c: ree_format_num, returning the length of the text in buf. */
size_t ree_format_num_len(char *buf, size_t len, double x);
/* g10.c: ree_format_num_exact, returning the length of the text in buf (at least 40 bytes). */
size_t ree_format_num_exact_len(char *buf, size_t len, double x);

#endif
