/*
 * Located diagnostics for scenario files.
 *
 * A diagnostic reads `file:line:col: error: path.to.key: message`, followed by the source line
 * and a caret under the column. The collector keeps every message in order, up to a bound;
 * past the bound it counts but stores nothing more, and printing ends with one line saying how
 * many were left out. Nothing is printed until ree_diag_print.
 */
#ifndef REESIM_DIAG_H
#define REESIM_DIAG_H

#include <stddef.h>
#include <stdio.h>
#include "reesim/reesim.h"

/* A loaded source text: the file name as the user gave it and its bytes (not NUL-terminated
 * necessarily; `len` counts them). Owned by whoever loaded it (the YAML tree). */
typedef struct ree_source {
    const char *name;
    const char *text;
    size_t len;
} ree_source;

/* A position in a source: 1-based line and column; columns count characters (UTF-8 code
 * points), as libyaml does. `src` NULL means "no location". */
typedef struct ree_mark {
    const ree_source *src;
    int line; /* 1-based; 0 when unknown */
    int col;  /* 1-based; 0 when unknown */
} ree_mark;

/* ree_diag, ree_diag_alloc and ree_diag_free are public (reesim/reesim.h). */

/* Record an error at `m` about the key path `path` (may be NULL or "" for none); printf-style.
 * Never fails visibly: when out of memory the message is counted but not stored. */
void ree_diag_error(ree_diag *d, ree_mark m, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Same as ree_diag_error with severity "warning" (does not count as an error). */
void ree_diag_warning(ree_diag *d, ree_mark m, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* The first error recorded, as the first line ree_diag_print gives it (`file:line:col: error:
 * path: message`, no source line), into `buf` (len bytes; cut to fit between characters, ending
 * "...", as ree_snippet cuts); "" when there is none or no memory to format it. */
void ree_diag_first_error(const ree_diag *d, char *buf, size_t len);

/* ree_diag_count (declared in reesim/reesim.h) counts errors recorded, including those past the
 * bound; warnings do not count.
 *
 * ree_diag_print (reesim/reesim.h) prints every stored message in the order recorded, each followed
 * by its source line and a caret line when the mark has a source and a line, then "N more errors
 * not shown" (for N == 1, "1 more error not shown") if any were dropped; likewise for dropped
 * warnings.
 *
 * Layout: `file:line:col: error: path: message`; `file:line: ...` when the column is 0,
 * `file: ...` when the line is 0, and `error: path: message` when the mark has no source. The
 * source line is printed as it is (tabs kept, line break removed, a leading UTF-8 byte-order
 * mark removed); the caret line puts a tab under every tab of the source and a space under
 * every other character (UTF-8 code point) before the column, so the caret lines up. A line of
 * more than 120 characters (code points; a tab is one) shows only a window of 120 around the
 * column, with "..." on each side where it was cut (never inside a UTF-8 sequence) and the
 * caret still under the column; only the window is stored.
 *
 * The collector copies the file name and the source line when a message is recorded, so the
 * source may be freed before printing. */

/* The mark of byte `offset` in `src` (clamped to src->len), counted as libyaml counts: line
 * breaks are LF, CR, CRLF, U+0085, U+2028 and U+2029; columns count UTF-8 code points (a byte
 * that is not a continuation byte starts one, so invalid UTF-8 still counts); a UTF-8
 * byte-order mark at the start of the text takes no column. Used for libyaml reader errors,
 * which carry only a byte offset. */
ree_mark ree_source_locate(const ree_source *src, size_t offset);

#endif
