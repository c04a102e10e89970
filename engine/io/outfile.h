/*
 * Output files that appear complete or not at all.
 *
 * A ree_outset is a group of files written into one directory under temporary names
 * (".NAME.tmp.PID") and renamed to their real names together by ree_outset_commit; if anything
 * fails, ree_outset_abort (or ree_outset_free without commit) removes every temporary file,
 * so a failed or interrupted run leaves no partial output. The directory is created (with
 * parents) when missing.
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

/* Prepare the directory `dir` (created with its parents when missing). Returns NULL and sets
 * *status (REE_ECANTCREATE with a message in `err`, e.g. "cannot create directory 'a/b': Not a
 * directory"; REE_ENOMEM when out of memory) when it cannot be created or written; REE_OK
 * otherwise. */
ree_outset *ree_outset_open(const char *dir, int *status, char *err, size_t errlen);

/* Open a plain file `name` in the set for writing (binary mode). `name` is a plain file name
 * (no '/'), not already in the set. NULL on failure, with *status REE_ECANTCREATE (REE_ENOMEM
 * when out of memory); also after commit or abort. The FILE belongs to the set: do not fclose
 * it. */
FILE *ree_outset_file(ree_outset *s, const char *name, int *status);

/* Open a CSV file `name` in the set and write its header row from `columns` (ncol names).
 * NULL on failure. The ree_csv belongs to the set. */
ree_csv *ree_outset_csv(ree_outset *s, const char *name, const char *const *columns, size_t ncol,
                        int *status);

/* Close every file, check for write errors, rename all to their final names. Returns REE_OK, or
 * REE_EIO with a message in `err` (and removes every temporary file) on error; REE_EIO also when
 * called twice or after abort. A rename failing midway leaves the files renamed before it. */
int ree_outset_commit(ree_outset *s, char *err, size_t errlen);

/* Remove every temporary file; the set accepts no more files. NULL is a no-op. */
void ree_outset_abort(ree_outset *s);

/* Free the set; aborts first if not committed. NULL is a no-op. */
void ree_outset_free(ree_outset *s);

/* Full path of the directory. */
const char *ree_outset_dir(const ree_outset *s);

/* CSV writing: fields in order, then ree_csv_end_row. A NULL string is an empty field. Write
 * errors are not reported here: they stick to the FILE and make ree_outset_commit fail. */
void ree_csv_str(ree_csv *c, const char *s);
void ree_csv_num(ree_csv *c, double x);
void ree_csv_int(ree_csv *c, long long x);
void ree_csv_end_row(ree_csv *c);

/* Format a double the way CSV output does ('.' decimal point, %.10g shortest, "" for NaN, "0" for
 * -0, "inf"/"-inf" for infinities) into buf (at least 32 bytes; truncated if shorter). Returns
 * buf. */
char *ree_format_num(char *buf, size_t len, double x);

/* SHA-256 of a byte buffer, as 64 lowercase hex characters plus NUL in `hex` (65 bytes), via
 * OpenSSL's EVP interface. Returns 0, or -1 on failure. */
int ree_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
