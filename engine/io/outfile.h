/*
 * Output sets committed as one unit (docs/reliability.md, "Output sets").
 *
 * A ree_outset is a group of files that replaces a target folder DIR as a whole. The files are
 * written into a private temporary folder beside it, PARENT/.NAME.tmp.XXXXXX (as mkdtemp: an
 * unpredictable name, mode 0700, flock'ed while this set lives), each created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, so nothing written follows a symlink. ree_outset_commit fsyncs them
 * and swaps the folder in with one rename (renameat2 RENAME_EXCHANGE when DIR exists; else the
 * old folder is renamed aside first), then removes the old set: DIR holds the complete old set
 * or the complete new one, and no file of an earlier run survives. If anything fails,
 * ree_outset_abort (or ree_outset_free without commit) removes the temporary folder.
 *
 * DIR is replaced only when it is absent, an empty folder, or a reesim output folder: it holds
 * meta.json or compare.csv and nothing but regular files reesim writes (meta.json,
 * timeseries.csv, summary.csv, runs.csv, runs.csv.gz, fit.csv, compare.csv, compare_timeseries.csv,
 * *.resolved.yaml, .svg/.png charts, hidden ".*.tmp.*" files of older versions) and a `plots`
 * folder of .svg/.png charts. Anything else (a symlink, another folder, an unknown file) is
 * refused with REE_ECANTCREATE, so `-o ~` never deletes a home folder. A DIR that is itself a
 * symlink is refused, never followed. The parent folder is looked up once, when the set opens,
 * and every later step reaches the target and the temporary folder through a descriptor on it
 * (*at calls). Temporary folders of earlier runs that no live process
 * holds are removed when the next set for the same DIR opens.
 *
 * CSV follows RFC 4180 quoting: fields separated by commas, quoted with '"' when they contain a
 * comma, quote, CR or LF, embedded quotes doubled. Rows end with LF rather than RFC 4180's CRLF:
 * pandas, R and spreadsheets read both, and LF keeps golden files and diffs clean. Numbers are
 * written with '.' as the decimal point whatever the process locale (formatted by hand from "%.*g"
 * output, never locale-dependent), shortest form that round-trips at 10 significant digits; NaN is
 * written as an empty field.
 */
#ifndef REESIM_OUTFILE_H
#define REESIM_OUTFILE_H

#include "reesim/reesim.h"
#include <stddef.h>
#include <stdio.h>

typedef struct ree_outset ree_outset;
typedef struct ree_csv ree_csv;

#include <signal.h>

/* Prepare a set replacing the folder `dir` (its parents are created when missing) and create its
 * temporary folder. Returns NULL and sets *status (REE_ECANTCREATE with a message in `err`, e.g.
 * "cannot create directory 'a/b': Not a directory", "refusing to replace 'x': not a reesim output
 * folder (it holds '.bashrc'); ..."; REE_ENOMEM when out of memory) when the target may not be
 * replaced or the parent cannot be written; REE_OK otherwise. */
ree_outset *ree_outset_open(const char *dir, ree_status *status, char *err, size_t errlen);

/* A set of exactly one file replacing the regular file `path` (absent, or a regular file; a
 * symlink or folder is refused), written in a private folder PARENT/.NAME.tmp.XXXXXX and renamed
 * over `path` on commit. Same errors as ree_outset_open. */
ree_outset *ree_outset_open_file(const char *path, ree_status *status, char *err, size_t errlen);

/* As ree_outset_open_file for the file `name` (a plain name, no '/') in the folder open on
 * `dirfd` (not consumed; the set keeps its own descriptor), whose path `dir` is used only in
 * messages. Nothing is looked up by path: the folder may not be swapped for a symlink between
 * the caller's check and the commit. Same errors as ree_outset_open_file. */
ree_outset *ree_outset_open_file_at(int dirfd, const char *dir, const char *name,
                                    ree_status *status, char *err, size_t errlen);

/* Create the folder `path` (and its parents) when missing and open it (O_DIRECTORY, close on
 * exec), for single-file sets in it (ree_outset_open_file_at). Symlinks among its parents are
 * followed as for any path, but `path` itself is never followed: a symlink there is refused
 * ("refusing to write into 'PATH': it is a symbolic link (give the folder it points to)").
 * Returns the descriptor (the caller closes it), or -1 with *status REE_ECANTCREATE (REE_ENOMEM
 * when out of memory) and a message in `err`. */
int ree_outset_open_dir(const char *path, ree_status *status, char *err, size_t errlen);

/* Let ree_outset_commit refuse (REE_EINTERRUPTED, temporaries removed) once *cancel is nonzero.
 * The caller owns the flag (set from a signal handler, say); NULL disables the check. */
void ree_outset_set_cancel(ree_outset *s, const volatile sig_atomic_t *cancel);

/* A temporary folder of an earlier run beside the target that could not be removed (it holds
 * something reesim does not write), for the caller to mention; NULL when none. Borrowed. */
const char *ree_outset_leftover(const ree_outset *s);

/* Open a plain file `name` in the set for writing (binary mode). `name` is a plain file name
 * (no '/'), not already in the set. NULL on failure, with *status REE_ECANTCREATE (REE_ENOMEM
 * when out of memory); also after commit or abort. The FILE belongs to the set: do not fclose
 * it. It writes into memory (only ENOMEM can fail it); commit writes the text into the file and
 * names the file with the errno of a failed write, as for a CSV file. */
FILE *ree_outset_file(ree_outset *s, const char *name, ree_status *status);

/* As ree_outset_file, but the FILE writes straight into the file in the set's private folder
 * (nothing kept in memory), for bytes too many to hold (a chart gnuplot drew). A failed write
 * sets the stream's error: the caller, which sees the errno, reports it and frees the set
 * (commit would refuse it too, with a less precise reason). */
FILE *ree_outset_file_direct(ree_outset *s, const char *name, ree_status *status);

/* Open a CSV file `name` in the set and write its header row from `columns` (ncol names).
 * NULL on failure. The ree_csv belongs to the set. */
ree_csv *ree_outset_csv(ree_outset *s, const char *name, const char *const *columns, size_t ncol,
                        ree_status *status);

/* As ree_outset_csv, but the file is gzip-compressed (RFC 1952, deflate level 1, no file name,
 * time stamp 0): the same bytes of CSV text give the same compressed bytes, whatever the thread
 * count or machine (same zlib). pandas, R and zcat read it directly. `name` should end in
 * ".gz". The stream is finished on commit; write errors (of the file or of zlib) are reported by
 * ree_outset_commit naming the file. NULL on failure (REE_ENOMEM when zlib cannot start). */
ree_csv *ree_outset_csv_gz(ree_outset *s, const char *name, const char *const *columns, size_t ncol,
                           ree_status *status);

/* Close and fsync every file, check for write errors (including those of a large CSV file's
 * background fdatasync), swap the set in. Returns REE_OK; REE_EIO
 * with "cannot write 'DIR/NAME': REASON" (the final name and strerror, e.g. "No space left on
 * device") or "cannot rename to 'DIR': REASON" in `err`; REE_ECANTCREATE when the target changed
 * into something that may not be replaced; REE_EINTERRUPTED when the cancel flag is set; on any
 * error the target is unchanged and the temporaries are removed. REE_EIO also when called twice
 * or after abort. */
ree_status ree_outset_commit(ree_outset *s, char *err, size_t errlen);

/* Flush every open file of the set and report the first write error as ree_outset_commit does
 * ("cannot write 'DIR/NAME': REASON"): REE_EIO, or REE_OK when none. Commits nothing. When the
 * stream holds an error but flushing gives no reason, errno on entry is used: call it right
 * after the failed write. */
ree_status ree_outset_check(ree_outset *s, char *err, size_t errlen);

/* Remove every temporary file; the set accepts no more files. NULL is a no-op. */
void ree_outset_abort(ree_outset *s);

/* Free the set; aborts first if not committed. NULL is a no-op. */
void ree_outset_free(ree_outset *s);

/* Full path of the directory. */
const char *ree_outset_dir(const ree_outset *s);

/* The set's temporary folder (PARENT/.NAME.tmp.XXXXXX), or NULL once committed or removed. The
 * string belongs to the set: copy it to use it from another thread. */
const char *ree_outset_temp(const ree_outset *s);

/* Remove the temporary folder `tmp` (a copy of ree_outset_temp) of a set that another thread may
 * still be writing or committing, e.g. blocked where it cannot see an interruption. The folder is
 * first renamed to a fresh temporary name in one step, so either the commit's rename came first
 * (then `tmp` is gone, or holds the replaced old set, which is removed as commit would) or the
 * commit will fail: the target never receives a partial set. Then the folder is removed. Returns
 * 1 when it removed the folder, 0 when there was none left to remove, -1 when some of it stays
 * (a hidden folder that the next set for the same target removes). */
int ree_outset_discard_temp(const char *tmp);

/* CSV writing: fields in order, then ree_csv_end_row. A NULL string is an empty field. Write
 * errors are not reported here: they stick to the FILE and make ree_outset_commit fail. */
void ree_csv_str(ree_csv *c, const char *s);
void ree_csv_num(ree_csv *c, double x);
/* x as ree_csv_num writes it when that text reads back as x; else with more significant digits,
 * the fewest up to 17 that read back as x: for a value that must reproduce a
 * result when read back and used again (an input of a sweep's case). */
void ree_csv_num_exact(ree_csv *c, double x);
void ree_csv_int(ree_csv *c, long long x);
/* x in decimal into buf (at least 20 bytes; no terminating NUL), as ree_csv_int writes it.
 * Returns the number of bytes written. */
size_t ree_format_int(char *buf, long long x);
/* `n` bytes of text that are already one or more fields as the calls above write them (quoted
 * where needed, commas between), e.g. made once and repeated on many rows. */
void ree_csv_text(ree_csv *c, const char *text, size_t n);
void ree_csv_end_row(ree_csv *c);

/* The file of `c` is complete (no more rows until commit): write out the text buffered in the
 * process (stdio's buffer; a gzip CSV's text not yet deflated stays for commit to finish) and
 * ask the kernel to start writing the file to disk, so that the fsync of ree_outset_commit,
 * after the remaining outputs are formatted, has less left to wait for. Only a hint: errors stick
 * to the FILE for commit to report, and where the system has no way to start writeback early
 * (sync_file_range is Linux's) only the flush is done. No-op for a memory CSV. */
void ree_csv_writeback(ree_csv *c);

/* Tests: the background fdatasync of a large CSV file (syncer.c, SYNC_STEP). From now on a CSV
 * file asks for one each time `step` more bytes of it have been written (looked at where its
 * writeback is started: every 8 MiB of ree_csv_mem_flush, and ree_csv_writeback) instead of every
 * 64 MiB; 0 restores the default. A nonzero `fail` makes the thread take each fdatasync as failed
 * with errno `fail`, for commit to report. Call it while no set is being written. Returns 0, or
 * -1 where the system has no fdatasync (then no file gets a thread). */
int ree_csv_set_sync(long long step, int fail);
/* Tests: the number of fdatasync calls c's background thread has made (0 when it has none). */
long ree_csv_syncs(const ree_csv *c);

/* A CSV kept in memory, so that several threads can format rows at once and the text be written
 * in order: each thread fills its own memory CSV with the ree_csv_* calls above, then
 * ree_csv_mem_flush appends the text to the real CSV (the same bytes the calls would have
 * written there) and empties it. ree_csv_mem_alloc returns NULL when out of memory;
 * ree_csv_mem_flush returns 0, or -1 (writing nothing) when the memory CSV could not grow and
 * lost text; ree_csv_mem_clear empties it; ree_csv_mem_free(NULL) is a no-op. A memory CSV is
 * not in any set. Each time 8 MiB more of the real CSV's file have been written, ree_csv_mem_flush
 * also starts their writeback, as ree_csv_writeback does (a hint, errors as there), so a large
 * file is written to disk while the rows keep coming and not all at the end; every 64 MiB a
 * thread of the file's own also has the disk flush its cache (fdatasync; an error is reported by
 * commit), so that commit's fsync has little left. */
ree_csv *ree_csv_mem_alloc(void);
void ree_csv_mem_free(ree_csv *c);
void ree_csv_mem_clear(ree_csv *c);
int ree_csv_mem_flush(ree_csv *mem, ree_csv *dst);

/* Gzip members, so that threads (and MPI ranks) compress as well as format: ree_csv_mem_deflate
 * replaces the memory CSV's text by one standalone gzip member of it (the parameters of
 * runs.csv.gz; returns 0, or -1 when out of memory, the text was lost or it is a member already).
 * Flushing a member into a gzip CSV (ree_outset_csv_gz) ends the text before it as a member of its
 * own and appends the member's bytes as they are (into any other CSV: -1, nothing written). The
 * file is then a series of gzip members, which gzip, zlib and pandas read as one text; its bytes
 * depend only on the text and on where members begin, which the caller fixes (runs.csv.gz: the
 * header, then one member per block of runs, for any number of threads or ranks).
 * ree_csv_mem_bytes gives the memory CSV's bytes (text, or its member); ree_csv_mem_lost is
 * non-zero when some of its text was lost (out of memory since the last clear); ree_csv_mem_set
 * replaces them by `len` bytes (a member when `member`), as shipped by another MPI rank; -1 when
 * out of memory. */
int ree_csv_mem_deflate(ree_csv *c);
const void *ree_csv_mem_bytes(const ree_csv *c, size_t *len);
int ree_csv_mem_lost(const ree_csv *c);
int ree_csv_mem_set(ree_csv *c, const void *bytes, size_t len, int member);

/* Format a double the way CSV output does ('.' decimal point, %.10g shortest, "" for NaN, "0" for
 * -0, "inf"/"-inf" for infinities) into buf (at least 32 bytes; truncated if shorter). Returns
 * buf. */
char *ree_format_num(char *buf, size_t len, double x);
/* Format x as ree_csv_num_exact writes it into buf (at least 32 bytes; truncated if shorter).
 * Returns buf. */
char *ree_format_num_exact(char *buf, size_t len, double x);

#endif
