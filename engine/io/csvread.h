/*
 * Reading CSV files that someone else may have written (result folders handed to `reesim plot`,
 * later sweep results): strict RFC 4180, bounded, every error located as FILE:LINE.
 */
#ifndef REESIM_CSVREAD_H
#define REESIM_CSVREAD_H

#include <stddef.h>
#include "reesim/reesim.h"

/* A CSV file read whole: a header row of distinct column names, then rows of exactly as many
 * fields. Quoting follows RFC 4180 (fields quoted with '"', embedded quotes doubled, quoted
 * fields may hold commas, CR and LF); rows end with LF or CRLF; a UTF-8 byte-order mark is
 * skipped; empty lines are skipped. A NUL byte, a quote inside an unquoted field, text after a
 * closing quote, an unterminated quote or a row of the wrong length is an error. */
typedef struct ree_table ree_table;

/* A header of more columns than this is an error (reesim writes at most a few dozen; the bound
 * keeps the duplicate-name check and column lookups cheap on a hostile file). */
#define REE_TABLE_MAX_COLUMNS 1024

/* Room for a quoted snippet of CSV text in a message (see ree_snippet). */
#define REE_SNIPPET_LEN 64

/* A printable copy of the `n` bytes at `s` for a message, into buf (len >= 8 bytes): control
 * bytes (CR, LF, tab, ESC...) written as "\xHH", C1 controls written as UTF-8 (U+0080 to U+009F,
 * bytes C2 80 to C2 9F; a terminal may take U+009B as CSI) as "\u00HH", cut with "..." so that
 * it fits, never inside a UTF-8 sequence. Never more than 4 bytes for each byte of `s`. Text from
 * a CSV file reaches the terminal only through this. Returns buf. */
const char *ree_snippet(const char *s, size_t n, char *buf, size_t len);

/* Whether the `n` bytes at `s` begin with a C1 control in UTF-8 (C2 80 to C2 9F), which
 * ree_snippet escapes. */
int ree_is_c1(const char *s, size_t n);

/* Read and parse `path`. Returns NULL on failure with *status REE_ENOINPUT (cannot open),
 * REE_EIO (read error), REE_EINVALID (malformed CSV) or REE_ENOMEM, and a message in `err`
 * located as "PATH:LINE: what was expected, what was found" (PATH alone for open/read errors). */
ree_table *ree_table_load(const char *path, ree_status *status, char *err, size_t errlen);

/* The same for the `len` bytes at `data` (copied; they need no terminating NUL), named `name` in
 * messages: REE_EINVALID or REE_ENOMEM. For the fuzz target (tests/fuzz/fuzz_csv.c) and callers
 * holding a file's text already. */
ree_table *ree_table_parse(const char *name, const char *data, size_t len, ree_status *status,
                           char *err, size_t errlen);

void ree_table_free(ree_table *t);

const char *ree_table_path(const ree_table *t);
size_t ree_table_nrows(const ree_table *t);

/* Index of the column named `name`, or -1. */
int ree_table_col(const ree_table *t, const char *name);

/* Name of column `col`, borrowed from the table; NULL when there is no such column. */
const char *ree_table_colname(const ree_table *t, int col);

/* Field of data row `row` (0-based, header excluded) in column `col`, NUL-terminated with quotes
 * removed; borrowed from the table. */
const char *ree_table_cell(const ree_table *t, size_t row, int col);

/* Line of the file where the header row starts (1, or later after empty lines). */
long ree_table_header_line(const ree_table *t);

/* Line of the file where data row `row` starts (the header is line 1 or later). */
long ree_table_line(const ree_table *t, size_t row);

/* Parse the field as a number as reesim writes one (ree_csv_num): a plain decimal number in the
 * grammar of the scenario's numbers (ree_ynum_double: no spaces, hex, `nan` or `inf`, no
 * overflow; subnormals accepted), or, only with REE_TABLE_EMPTY in `flags`, an empty field, read
 * as NaN (how every reesim CSV writes a value that does not exist). Returns 0, or -1 with
 * "PATH:LINE: column 'COL': expected a number, found 'X'" (or "... found an empty field", "...
 * number out of range ...") in `err`, *out unchanged. */
#define REE_TABLE_EMPTY 1u
int ree_table_num(const ree_table *t, size_t row, int col, unsigned flags, double *out, char *err,
                  size_t errlen);

/* Parse the field as a whole number as ree_csv_int writes one (ree_ynum_int: [+-]?digits, no
 * spaces, hex, fraction or empty field). Returns 0, or -1 with "PATH:LINE: column 'COL':
 * expected a whole number, found 'X'" in `err`, *out unchanged. */
int ree_table_int(const ree_table *t, size_t row, int col, long long *out, char *err,
                  size_t errlen);

/* Parse the field as a month as reesim writes one ("YYYY-MM", ree_ynum_month: the grammar of a
 * scenario's months). Returns 0 with *out months since year 0, or -1 with "PATH:LINE: column
 * 'COL': expected a month YYYY-MM (01 to 12, from 1900), found 'X'" in `err`, *out unchanged. */
int ree_table_month(const ree_table *t, size_t row, int col, int *out, char *err, size_t errlen);

/* Check that every one of the `n` names is a column. Returns 0, or -1 with
 * "PATH:LINE: missing column 'NAME'" (LINE of the header) in `err`. */
int ree_table_require(const ree_table *t, const char *const *names, size_t n, char *err,
                      size_t errlen);

#endif
