/* A strict, bounded CSV reader (see csvread.h). */
#include "csvread.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "infile.h"
#include "reesim/reesim.h"
#include "ytree.h"

/* Bytes in the UTF-8 sequence that starts with `c` (1 for a stray or ASCII byte). */
static size_t seq_len(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

int ree_is_c1(const char *s, size_t n)
{
    return n >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] >= 0x80 &&
           (unsigned char)s[1] <= 0x9f;
}

const char *ree_snippet(const char *s, size_t n, char *buf, size_t len)
{
    size_t k = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t seq = seq_len(c);
        if (seq > n - i)
            seq = n - i;
        int ctl = c < 0x20 || c == 0x7f, c1 = ree_is_c1(s + i, n - i);
        size_t w = ctl ? 4 : c1 ? 6 : seq;
        /* Keep room for "..." unless this is the last character. */
        if (k + w + (i + seq < n ? 3 : 0) + 1 > len) {
            if (k + 4 <= len) {
                memcpy(buf + k, "...", 3);
                k += 3;
            }
            break;
        }
        if (ctl)
            snprintf(buf + k, 5, "\\x%02x", c);
        else if (c1)
            snprintf(buf + k, 7, "\\u%04x", (unsigned char)s[i + 1]);
        else
            memcpy(buf + k, s + i, seq);
        k += w;
        i += seq;
    }
    if (len)
        buf[k] = '\0';
    return buf;
}

struct ree_table {
    char *path;
    char *buf;     /* file contents, fields decoded in place and NUL-terminated */
    char **fields; /* header fields, then data fields row by row */
    long *lines;   /* line where each data row starts */
    size_t ncol, nrows, cap_fields, cap_rows;
    long header_line;
};

static int read_all(const char *path, char **out, size_t *len, ree_status *status, char *err,
                    size_t errlen)
{
    char why[128];
    FILE *f = ree_infile_open(path, status, why, sizeof why);
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, why);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(b, 2 * cap + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (!b) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        *status = REE_ENOMEM;
        return -1;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        fclose(f);
        free(b);
        *status = REE_EIO;
        return -1;
    }
    fclose(f);
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}

/* Parse the buffer into fields. Quoted fields are decoded in place: the write pointer never
 * passes the read pointer, since decoding only removes characters. */
static int parse(ree_table *t, size_t len, ree_status *status, char *err, size_t errlen)
{
    char *p = t->buf, *end = t->buf + len;
    long line = 1;
    size_t nf = 0, rowf = 0; /* fields stored in all, fields in the current row */
    int header = 1;
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3;
    if (memchr(p, '\0', (size_t)(end - p))) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        long l = 1;
        for (const char *q = t->buf; q < z; q++)
            l += *q == '\n';
        snprintf(err, errlen, "%s:%ld: NUL byte in a CSV file", t->path, l);
        *status = REE_EINVALID;
        return -1;
    }
    while (p < end) {
        long row_line = line;
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            /* empty line */
            p += *p == '\r' ? 2 : 1;
            line++;
            continue;
        }
        rowf = 0;
        for (;;) {
            /* one field starting at p */
            char *start = p, *w = p;
            if (p < end && *p == '"') {
                long open_line = line;
                p++;
                for (;;) {
                    if (p >= end) {
                        snprintf(err, errlen,
                                 "%s:%ld: quoted field is never closed (the file ends inside "
                                 "it)",
                                 t->path, open_line);
                        *status = REE_EINVALID;
                        return -1;
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            *w++ = '"';
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    if (*p == '\n')
                        line++;
                    *w++ = *p++;
                }
                if (p < end && *p != ',' && *p != '\n' &&
                    !(*p == '\r' && p + 1 < end && p[1] == '\n') && !(*p == '\r' && p + 1 == end)) {
                    char what[16];
                    size_t n = seq_len((unsigned char)*p);
                    ree_snippet(p, n < (size_t)(end - p) ? n : (size_t)(end - p), what,
                                sizeof what);
                    snprintf(err, errlen,
                             "%s:%ld: expected ',' or end of line after a closing quote, found "
                             "'%s'",
                             t->path, line, what);
                    *status = REE_EINVALID;
                    return -1;
                }
            } else {
                while (p < end && *p != ',' && *p != '\n' &&
                       !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
                    if (*p == '"') {
                        snprintf(err, errlen,
                                 "%s:%ld: quote inside an unquoted field (quote the whole field "
                                 "and double the quote)",
                                 t->path, line);
                        *status = REE_EINVALID;
                        return -1;
                    }
                    w++;
                    p++;
                }
            }
            char sep = p < end ? *p : '\n';
            size_t adv = p >= end ? 0 : sep == '\r' && p + 1 < end ? 2 : 1;
            *w = '\0'; /* w <= p: overwrites the separator or decoded slack */
            if (nf >= t->cap_fields) {
                size_t cap = t->cap_fields ? 2 * t->cap_fields : 256;
                char **nfp = realloc(t->fields, cap * sizeof *nfp);
                if (!nfp)
                    goto nomem;
                t->fields = nfp;
                t->cap_fields = cap;
            }
            t->fields[nf++] = start;
            rowf++;
            if (sep == ',') {
                p++;
                continue;
            }
            p += adv;
            line++;
            break;
        }
        if (header) {
            if (rowf > REE_TABLE_MAX_COLUMNS) {
                snprintf(err, errlen, "%s:%ld: %zu columns in the header, at most %d expected",
                         t->path, row_line, rowf, REE_TABLE_MAX_COLUMNS);
                *status = REE_EINVALID;
                return -1;
            }
            t->ncol = rowf;
            t->header_line = row_line;
            header = 0;
            for (size_t i = 0; i < rowf; i++)
                for (size_t j = 0; j < i; j++)
                    if (!strcmp(t->fields[i], t->fields[j])) {
                        char name[REE_SNIPPET_LEN];
                        snprintf(
                            err, errlen, "%s:%ld: column '%s' appears twice in the header", t->path,
                            row_line,
                            ree_snippet(t->fields[i], strlen(t->fields[i]), name, sizeof name));
                        *status = REE_EINVALID;
                        return -1;
                    }
            continue;
        }
        if (rowf != t->ncol) {
            snprintf(err, errlen, "%s:%ld: expected %zu fields as in the header, found %zu",
                     t->path, row_line, t->ncol, rowf);
            *status = REE_EINVALID;
            return -1;
        }
        if (t->nrows >= t->cap_rows) {
            size_t cap = t->cap_rows ? 2 * t->cap_rows : 256;
            long *nl = realloc(t->lines, cap * sizeof *nl);
            if (!nl)
                goto nomem;
            t->lines = nl;
            t->cap_rows = cap;
        }
        t->lines[t->nrows++] = row_line;
    }
    if (header) {
        snprintf(err, errlen, "%s:1: empty file, expected a header row", t->path);
        *status = REE_EINVALID;
        return -1;
    }
    return 0;
nomem:
    snprintf(err, errlen, "%s: out of memory", t->path);
    *status = REE_ENOMEM;
    return -1;
}

/* An empty table named `path`, or NULL (out of memory: the message in err). */
static ree_table *table_new(const char *path, ree_status *status, char *err, size_t errlen)
{
    ree_table *t = calloc(1, sizeof *t);
    if (!t || !(t->path = malloc(strlen(path) + 1))) {
        free(t);
        snprintf(err, errlen, "%s: out of memory", path);
        *status = REE_ENOMEM;
        return NULL;
    }
    strcpy(t->path, path);
    return t;
}

ree_table *ree_table_load(const char *path, ree_status *status, char *err, size_t errlen)
{
    ree_table *t = table_new(path, status, err, errlen);
    size_t len;
    if (!t)
        return NULL;
    if (read_all(path, &t->buf, &len, status, err, errlen) < 0 ||
        parse(t, len, status, err, errlen) < 0) {
        ree_table_free(t);
        return NULL;
    }
    *status = REE_OK;
    return t;
}

ree_table *ree_table_parse(const char *name, const char *data, size_t len, ree_status *status,
                           char *err, size_t errlen)
{
    ree_table *t = table_new(name, status, err, errlen);
    if (!t)
        return NULL;
    if (len == SIZE_MAX || !(t->buf = malloc(len + 1))) {
        snprintf(err, errlen, "%s: out of memory", name);
        *status = REE_ENOMEM;
        ree_table_free(t);
        return NULL;
    }
    if (len)
        memcpy(t->buf, data, len);
    t->buf[len] = '\0';
    if (parse(t, len, status, err, errlen) < 0) {
        ree_table_free(t);
        return NULL;
    }
    *status = REE_OK;
    return t;
}

void ree_table_free(ree_table *t)
{
    if (!t)
        return;
    free(t->path);
    free(t->buf);
    free(t->fields);
    free(t->lines);
    free(t);
}

const char *ree_table_path(const ree_table *t)
{
    return t->path;
}

size_t ree_table_nrows(const ree_table *t)
{
    return t->nrows;
}

int ree_table_col(const ree_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncol; i++)
        if (!strcmp(t->fields[i], name))
            return (int)i;
    return -1;
}

const char *ree_table_colname(const ree_table *t, int col)
{
    return col >= 0 && (size_t)col < t->ncol ? t->fields[col] : NULL;
}

const char *ree_table_cell(const ree_table *t, size_t row, int col)
{
    return t->fields[(row + 1) * t->ncol + (size_t)col];
}

long ree_table_header_line(const ree_table *t)
{
    return t->header_line;
}

long ree_table_line(const ree_table *t, size_t row)
{
    return t->lines[row];
}

/* "PATH:LINE: column 'COL': BEFORE'TEXT'AFTER" into err (no quotes when text is NULL). */
static int cell_error(const ree_table *t, size_t row, int col, char *err, size_t errlen,
                      const char *before, const char *text, const char *after)
{
    char name[REE_SNIPPET_LEN], shown[REE_SNIPPET_LEN] = "";
    if (text)
        ree_snippet(text, strlen(text), shown, sizeof shown);
    snprintf(err, errlen, "%s:%ld: column '%s': %s%s%s%s%s", t->path, t->lines[row],
             ree_snippet(t->fields[col], strlen(t->fields[col]), name, sizeof name), before,
             text ? "'" : "", shown, text ? "'" : "", after);
    return -1;
}

int ree_table_num(const ree_table *t, size_t row, int col, unsigned flags, double *out, char *err,
                  size_t errlen)
{
    const char *s = ree_table_cell(t, row, col);
    if (!*s) {
        if (!(flags & REE_TABLE_EMPTY))
            return cell_error(t, row, col, err, errlen, "expected a number, found an empty field",
                              NULL, "");
        *out = NAN;
        return 0;
    }
    switch (ree_ynum_double(s, REE_YNUM_SUBNORMAL, out)) {
    case REE_YNUM_OK:
        return 0;
    case REE_YNUM_RANGE:
        return cell_error(t, row, col, err, errlen, "number ", s, " is out of range");
    case REE_YNUM_TINY:
        return cell_error(t, row, col, err, errlen, "number ", s,
                          " is too close to zero to be represented");
    default:
        return cell_error(t, row, col, err, errlen, "expected a number, found ", s, "");
    }
}

int ree_table_int(const ree_table *t, size_t row, int col, long long *out, char *err, size_t errlen)
{
    const char *s = ree_table_cell(t, row, col);
    switch (ree_ynum_int(s, out)) {
    case REE_YNUM_OK:
        return 0;
    case REE_YNUM_RANGE:
        return cell_error(t, row, col, err, errlen, "whole number ", s, " is out of range");
    default:
        return cell_error(t, row, col, err, errlen,
                          *s ? "expected a whole number, found "
                             : "expected a whole number, found an empty field",
                          *s ? s : NULL, "");
    }
}

int ree_table_month(const ree_table *t, size_t row, int col, int *out, char *err, size_t errlen)
{
    const char *s = ree_table_cell(t, row, col);
    if (ree_ynum_month(s, out) == REE_YNUM_OK)
        return 0;
    return cell_error(t, row, col, err, errlen,
                      *s ? "expected a month YYYY-MM (01 to 12, from 1900), found "
                         : "expected a month YYYY-MM, found an empty field",
                      *s ? s : NULL, "");
}

int ree_table_require(const ree_table *t, const char *const *names, size_t n, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (ree_table_col(t, names[i]) < 0) {
            snprintf(err, errlen, "%s:%ld: missing column '%s'", t->path, t->header_line, names[i]);
            return -1;
        }
    return 0;
}
