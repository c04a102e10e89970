/*
 * YAML document -> immutable tree with source marks.
 *
 * Parses one YAML 1.1 document with libyaml and turns it into a tree of transparent nodes. It
 * accepts what users write: comments, block and flow style, quoted scalars, anchors and aliases,
 * CRLF line endings and a UTF-8 byte-order mark. It rejects, with a located diagnostic:
 * libyaml reader/scanner/parser errors (reader errors carry only a byte offset, which is turned
 * into line and column here), duplicate keys in a mapping, non-scalar mapping keys, more than one
 * document, alias expansion past REE_YTREE_MAX_NODES nodes (the "billion laughs" guard),
 * nesting deeper than REE_YTREE_MAX_DEPTH levels (a scalar counts as a level), undefined or
 * self-containing aliases, explicit tags (`!!str`, `!x`), and UTF-16 input. Non-fatal errors
 * (duplicate keys, non-scalar keys, ...) are all reported in one pass; libyaml errors and the
 * bounds stop the parse.
 *
 * Aliases are expanded by sharing: an alias node points at the anchored node, and the expanded
 * count (every visit through an alias counted again) is bounded. YAML 1.1 merge keys are
 * resolved: `<<: *base` or `<<: [*a, *b]` (plain `<<` only) copies in the pairs whose keys the
 * mapping does not set itself (earlier merged mappings win over later ones); the merged pairs
 * take the place of the `<<` pair, and keep the marks of where they were written.
 */
#ifndef REESIM_YTREE_H
#define REESIM_YTREE_H

#include <stddef.h>
#include "diag.h"

#define REE_YTREE_MAX_NODES 1000000 /* expanded nodes, aliases counted per use */
#define REE_YTREE_MAX_DEPTH 64

typedef enum ree_ykind { REE_Y_SCALAR, REE_Y_SEQ, REE_Y_MAP } ree_ykind;

typedef struct ree_ynode ree_ynode;
typedef struct ree_ypair {
    const ree_ynode *key; /* always a scalar */
    const ree_ynode *value;
} ree_ypair;

struct ree_ynode {
    ree_ykind kind;
    ree_mark mark;   /* where the node starts */
    int quoted;      /* scalar written in single or double quotes (so never a number or null) */
    const char *str; /* scalar text, NUL-terminated (may contain NUL only if len says so) */
    size_t len;      /* scalar length in bytes */
    size_t n;        /* number of items (seq) or pairs (map) */
    const ree_ynode *const *items; /* seq items */
    const ree_ypair *pairs;        /* map pairs in document order */
};

typedef struct ree_ytree ree_ytree;

/* Load the file at `path`. On success returns the tree and sets *status to REE_OK. On failure
 * returns NULL and sets *status: REE_ENOINPUT when the file cannot be opened or read (message
 * recorded in `d` without a mark: "cannot open FILE: strerror"), REE_EINVALID for YAML errors
 * (each recorded in `d`; an empty file or one holding only comments is the error
 * "empty document"), REE_ENOMEM. */
ree_ytree *ree_ytree_load(const char *path, ree_diag *d, ree_status *status);

/* Same, from bytes in memory; `name` is used in diagnostics. The bytes are copied. */
ree_ytree *ree_ytree_load_buffer(const char *name, const char *bytes, size_t len, ree_diag *d,
                                 ree_status *status);

void ree_ytree_free(ree_ytree *t);

/* The root node (never NULL for a loaded tree). */
const ree_ynode *ree_ytree_root(const ree_ytree *t);

/* The source (file name and bytes) the tree was read from. */
const ree_source *ree_ytree_source(const ree_ytree *t);

/* Look up `key` in a mapping; NULL when absent or `map` is not a mapping. */
const ree_ynode *ree_ymap_get(const ree_ynode *map, const char *key);

/* True when `n` is a plain (unquoted) scalar spelling null: "", "~", "null", "Null", "NULL". */
int ree_ynode_is_null(const ree_ynode *n);

/*
 * Strict scalar conversions. Each returns 0 on success, or -1 with a short reason in `why`
 * (e.g. "expected a number, found '12kt'"). Numbers: strtod with end pointer and ERANGE, no
 * trailing junk, no nan/inf/hex floats, no empty string, no quoted scalars. Integers: decimal,
 * within [INT64_MIN, INT64_MAX] (and with a fractional part an error). Booleans: true/false
 * (also yes/no/on/off per YAML 1.1, any of the usual capitalisations). Months: "YYYY-MM" with
 * 1 <= MM <= 12 and 1900 <= YYYY <= 9999, returned as months since year 0 (year*12 + month-1);
 * a month may be quoted ("2025-04"), being text either way. `why` is always NUL-terminated
 * (truncated to whylen) and `*out` is left unchanged on error.
 */
int ree_yscalar_double(const ree_ynode *n, double *out, char *why, size_t whylen);
int ree_yscalar_int(const ree_ynode *n, long long *out, char *why, size_t whylen);
int ree_yscalar_bool(const ree_ynode *n, int *out, char *why, size_t whylen);
int ree_yscalar_month(const ree_ynode *n, int *out, char *why, size_t whylen);

/*
 * The grammars of those numbers on plain text, for files that are not YAML (the CSV files
 * engine/io/csvread.c reads back), whose callers quote the text their own way. A number:
 * [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, so no spaces, hex, nan or inf;
 * REE_YNUM_RANGE when it overflows a double; REE_YNUM_TINY when it is not zero but rounds to
 * zero, or (without REE_YNUM_SUBNORMAL) to a subnormal. An integer: [+-]? digits within
 * [INT64_MIN, INT64_MAX]. Each returns REE_YNUM_OK with *out set, or another code with *out
 * unchanged.
 */
enum { REE_YNUM_OK = 0, REE_YNUM_SYNTAX = -1, REE_YNUM_RANGE = -2, REE_YNUM_TINY = -3 };
#define REE_YNUM_SUBNORMAL 1u /* accept subnormals, as "%.10g" writes them */
int ree_ynum_double(const char *s, unsigned flags, double *out);
int ree_ynum_int(const char *s, long long *out);
/* A month "YYYY-MM" as ree_yscalar_month reads one: REE_YNUM_SYNTAX when not four digits, '-',
 * two digits; REE_YNUM_RANGE when the month is not 01 to 12 or the year is before 1900. */
int ree_ynum_month(const char *s, int *out);

/* Name of a kind with its article, for messages: "a scalar", "a sequence", "a mapping". */
const char *ree_ykind_article(ree_ykind k);

/* Name of a kind for messages: "scalar", "sequence", "mapping". */
const char *ree_ykind_name(ree_ykind k);

#endif
