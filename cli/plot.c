/*
 * Charts of reesim results: the CSV reader and the gnuplot back end (see plot.h).
 *
 * gnuplot reads each script on its stdin from an anonymous temporary file (tmpfile), so there is
 * no pipe to fill or break and no script file left behind, and writes the image on its stdout.
 * Data go inline as datablocks with tab separators, numbers printed with "%.10g" ('.' decimal
 * point: reesim never changes LC_NUMERIC), NaN as "NaN", declared missing. Every text is printed
 * by gp_text as a single-quoted gnuplot string (no command substitution, no macros, no escapes
 * inside) and marked noenhanced, and the terminals are noenhanced too, so an entity named
 * "us_cars" is not typeset with a subscript and a name holding `...` runs nothing.
 */
#include "plot.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "infile.h"
#include "reesim/reesim.h"

/* ---- CSV tables --------------------------------------------------------------------------- */

/* Bytes in the UTF-8 sequence that starts with `c` (1 for a stray or ASCII byte). */
static size_t seq_len(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

const char *ree_plot_snippet(const char *s, size_t n, char *buf, size_t len)
{
    size_t k = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t seq = seq_len(c);
        if (seq > n - i)
            seq = n - i;
        int ctl = c < 0x20 || c == 0x7f;
        size_t w = ctl ? 4 : seq;
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

static int read_all(const char *path, char **out, size_t *len, int *status, char *err,
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
static int parse(ree_table *t, size_t len, int *status, char *err, size_t errlen)
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
                    ree_plot_snippet(p, n < (size_t)(end - p) ? n : (size_t)(end - p), what,
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
                        snprintf(err, errlen, "%s:%ld: column '%s' appears twice in the header",
                                 t->path, row_line,
                                 ree_plot_snippet(t->fields[i], strlen(t->fields[i]), name,
                                                  sizeof name));
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

ree_table *ree_table_load(const char *path, int *status, char *err, size_t errlen)
{
    ree_table *t = calloc(1, sizeof *t);
    if (!t || !(t->path = malloc(strlen(path) + 1))) {
        free(t);
        snprintf(err, errlen, "%s: out of memory", path);
        *status = REE_ENOMEM;
        return NULL;
    }
    strcpy(t->path, path);
    size_t len;
    if (read_all(path, &t->buf, &len, status, err, errlen) < 0 ||
        parse(t, len, status, err, errlen) < 0) {
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

const char *ree_table_cell(const ree_table *t, size_t row, int col)
{
    return t->fields[(row + 1) * t->ncol + (size_t)col];
}

long ree_table_line(const ree_table *t, size_t row)
{
    return t->lines[row];
}

int ree_table_num(const ree_table *t, size_t row, int col, double *out, char *err, size_t errlen)
{
    const char *s = ree_table_cell(t, row, col);
    if (!*s) {
        *out = NAN;
        return 0;
    }
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (*e || e == s || (errno == ERANGE && fabs(v) > 1)) {
        char name[REE_SNIPPET_LEN], found[REE_SNIPPET_LEN];
        snprintf(err, errlen, "%s:%ld: column '%s': expected a number, found '%s'", t->path,
                 t->lines[row],
                 ree_plot_snippet(t->fields[col], strlen(t->fields[col]), name, sizeof name),
                 ree_plot_snippet(s, strlen(s), found, sizeof found));
        return -1;
    }
    *out = v;
    return 0;
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

/* ---- gnuplot scripts ---------------------------------------------------------------------- */

/* Chart sizes in pixels (SVG user units). */
enum { CHART_W = 960, CHART_H = 540, BAR_ROW_H = 24, BAR_EXTRA_H = 190 };

static const char *const case_colours[] = {"#d62728", "#1f77b4", "#2ca02c",
                                           "#9467bd", "#ff7f0e", "#8c564b"};
enum { NCOLOURS = sizeof case_colours / sizeof case_colours[0] };

const char *ree_plot_ext(ree_plot_format f)
{
    return f == REE_PLOT_PNG ? "png" : "svg";
}

/* Longest text put into a chart, in bytes: titles; axis and key labels; tic labels (bar names
 * share the width with the bars: longer ones leave gnuplot no room to draw). */
enum { GP_TITLE_MAX = 400, GP_LABEL_MAX = 100, GP_TIC_MAX = 48 };

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the bytes are not one. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    size_t k = s[0] < 0x80                    ? 1
               : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
               : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                              : 0;
    if (!k || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate or past U+10FFFF */
    return k;
}

/* The text s as a single-quoted gnuplot string, followed by " noenhanced" when `kw`.
 *
 * Texts come from CSV files that may come from anyone, so they must never act as gnuplot code.
 * Inside single quotes gnuplot expands neither backquotes (which run shell commands in
 * double-quoted strings) nor '@' macros nor backslash escapes; the only special character is
 * the quote itself, written twice. A string cannot span lines, so control bytes (CR, LF, tab,
 * ESC...) become spaces; bytes that are not valid UTF-8 become '?' (the SVG terminal copies
 * them into the XML, which would no longer parse); text past `max` bytes is cut at a character
 * boundary and ends with "...". "noenhanced" keeps {}^_@& as themselves even in a terminal
 * set to enhanced text. */
static void gp_text(FILE *out, const char *s, size_t max, int kw)
{
    fputc('\'', out);
    size_t n = s ? strlen(s) : 0, used = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_valid(p + i, n - i);
        if (used + (k ? k : 1) > max) {
            fputs("...", out);
            break;
        }
        if (!k) {
            fputc('?', out);
            k = 1;
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            fputc(' ', out);
        } else if (p[i] == '\'') {
            fputs("''", out);
        } else {
            fwrite(p + i, 1, k, out);
        }
        used += k;
        i += k;
    }
    fputc('\'', out);
    if (kw)
        fputs(" noenhanced", out);
}

static void gp_num(FILE *out, double x)
{
    if (isnan(x))
        fputs("NaN", out);
    else if (isinf(x))
        fputs(x > 0 ? "1e308" : "-1e308", out);
    else
        fprintf(out, "%.10g", x);
}

static void gp_header(FILE *out, ree_plot_format fmt, int w, int h, const ree_chart_text *tx)
{
    if (fmt == REE_PLOT_PNG)
        fprintf(out,
                "set terminal pngcairo size %d,%d noenhanced font \"sans,11\" "
                "background \"#ffffff\"\n",
                w, h);
    else
        fprintf(out,
                "set terminal svg size %d,%d dynamic noenhanced font \"sans,13\" "
                "background \"#ffffff\"\n",
                w, h);
    /* No "set output": gnuplot writes the image on its stdout, which ree_plot_render points at a
     * file it created itself, so no path is ever part of the script. */
    fputs("set encoding utf8\nset datafile separator \"\\t\"\nset datafile missing \"NaN\"\n"
          "set grid lc rgb \"#dddddd\"\nset border lc rgb \"#555555\"\n",
          out);
    fputs("set title ", out);
    gp_text(out, tx->title, GP_TITLE_MAX, !tx->subtitle);
    if (tx->subtitle) {
        fputs(" . \"\\n\" . ", out);
        gp_text(out, tx->subtitle, GP_TITLE_MAX, 1);
    }
    fputs("\nset ylabel ", out);
    gp_text(out, tx->ylabel, GP_LABEL_MAX, 1);
    fputs("\n", out);
    if (tx->xlabel) {
        fputs("set xlabel ", out);
        gp_text(out, tx->xlabel, GP_LABEL_MAX, 1);
        fputs("\n", out);
    }
}

/* Month of a "YYYY-MM" date (1-12), 0 when it is not one. */
static int month_of(const char *date)
{
    if (strlen(date) < 7 || date[4] != '-')
        return 0;
    int m = (date[5] - '0') * 10 + (date[6] - '0');
    return m >= 1 && m <= 12 ? m : 0;
}

/* x axis: point i of n at x = i, labelled with its date; labels thinned to every 1, 2, 3, 6 or
 * 12 months so that about a dozen show, on calendar boundaries when the dates allow it. */
static void gp_month_axis(FILE *out, const char *const *dates, size_t stride, size_t n)
{
    static const int steps[] = {1, 2, 3, 6, 12, 24, 60};
    int k = 60;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if ((size_t)steps[i] * 13 >= n) {
            k = steps[i];
            break;
        }
    fputs("set xtics nomirror noenhanced (", out);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const char *d = *(const char *const *)((const char *)dates + i * stride);
        int m = month_of(d);
        int show =
            k == 1 || (m ? (k <= 12 ? (m - 1) % k == 0 : m == 1 && (i / 12) % (size_t)(k / 12) == 0)
                         : i % (size_t)k == 0);
        if (!show)
            continue;
        fputs(first ? "" : ", ", out);
        gp_text(out, d, GP_TIC_MAX, 0);
        fprintf(out, " %zu", i);
        first = 0;
    }
    fputs(")\n", out);
    if (n > 1)
        fprintf(out, "set xrange [0:%zu]\n", n - 1);
    else
        fputs("set xrange [-0.5:0.5]\n", out);
    if (k > 1 && k <= 12)
        fprintf(out, "set mxtics %d\n", k);
}

/* y range: from 0 when nothing is negative (stocks and flows read against zero), and a
 * non-empty range when every value is the same, which gnuplot would otherwise warn about. */
static void gp_yrange(FILE *out, const char *axis, const double *v, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    if (lo > hi)
        return;
    if (lo >= 0)
        lo = 0;
    if (hi <= lo) {
        double pad = fabs(lo) > 0 ? 0.1 * fabs(lo) : 1;
        fprintf(out, "set %srange [%.10g:%.10g]\n", axis, lo - (lo < 0 ? pad : 0), hi + pad);
    } else if (lo == 0) {
        fprintf(out, "set %srange [0:*]\n", axis);
    }
}

int ree_plot_fan_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                        const ree_fan_point *pts, size_t n)
{
    if (!n)
        return -1;
    gp_header(out, fmt, CHART_W, CHART_H, tx);
    gp_month_axis(out, &pts[0].date, sizeof *pts, n);
    double *all = malloc(6 * n * sizeof *all);
    if (all) {
        for (size_t i = 0; i < n; i++) {
            const ree_fan_point *q = &pts[i];
            double v[6] = {q->p05, q->p25, q->p50, q->p75, q->p95, q->mean};
            memcpy(all + 6 * i, v, sizeof v);
        }
        gp_yrange(out, "y", all, 6 * n);
        free(all);
    }
    fputs("set key below horizontal\nset ytics nomirror\nset offsets 0, 0, graph 0.05, 0\n"
          "$fan << EOD\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const ree_fan_point *q = &pts[i];
        double v[6] = {q->p05, q->p25, q->p50, q->p75, q->p95, q->mean};
        fprintf(out, "%zu", i);
        for (int j = 0; j < 6; j++) {
            fputc('\t', out);
            gp_num(out, v[j]);
        }
        fputc('\n', out);
    }
    fputs("EOD\n"
          "plot $fan using 1:2:6 with filledcurves fc rgb \"#c6dbef\" fs solid 1.0 "
          "title \"p05-p95 (90% of runs)\", \\\n"
          "     $fan using 1:3:5 with filledcurves fc rgb \"#6baed6\" fs solid 1.0 "
          "title \"p25-p75 (50% of runs)\", \\\n"
          "     $fan using 1:4 with lines lw 2.5 lc rgb \"#08306b\" title \"median\", \\\n"
          "     $fan using 1:7 with lines lw 1.5 dt 2 lc rgb \"#cb181d\" title \"mean\"\n",
          out);
    return 0;
}

int ree_plot_compare_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                            const char *base, const char *const *cases, size_t ncase,
                            const ree_cmp_point *pts, size_t n)
{
    if (!n || !ncase)
        return -1;
    gp_header(out, fmt, CHART_W, CHART_H + 140, tx);
    for (size_t c = 0; c < ncase; c++) {
        fprintf(out, "$case%zu << EOD\n", c);
        for (size_t i = 0; i < n; i++) {
            const ree_cmp_point *q = &pts[c * n + i];
            double v[5] = {q->base_mean, q->scenario_mean, q->diff_mean, q->diff_lo, q->diff_hi};
            fprintf(out, "%zu", i);
            for (int j = 0; j < 5; j++) {
                fputc('\t', out);
                gp_num(out, v[j]);
            }
            fputc('\n', out);
        }
        fputs("EOD\n", out);
    }
    /* Top panel: means; bottom panel: differences. Fixed margins keep the x axes aligned. */
    fputs("set multiplot\nset lmargin 12\nset rmargin 4\n"
          "set origin 0,0.40\nset size 1,0.60\nset key below horizontal\n"
          "set ytics nomirror\nset offsets 0, 0, graph 0.05, 0\n",
          out);
    gp_month_axis(out, &pts[0].date, sizeof *pts, n);
    double *all = malloc(3 * n * ncase * sizeof *all);
    if (all) {
        for (size_t i = 0; i < n * ncase; i++) {
            all[2 * i] = pts[i].base_mean;
            all[2 * i + 1] = pts[i].scenario_mean;
        }
        gp_yrange(out, "y", all, 2 * n * ncase);
    }
    fputs("unset xlabel\nplot $case0 using 1:2 with lines lw 2.5 lc rgb \"#000000\" title ", out);
    {
        char t[256];
        snprintf(t, sizeof t, "%s (base)", base);
        gp_text(out, t, GP_LABEL_MAX, 1);
    }
    for (size_t c = 0; c < ncase; c++) {
        fprintf(out, ", \\\n     $case%zu using 1:3 with lines lw 2 lc rgb \"%s\" title ", c,
                case_colours[c % NCOLOURS]);
        gp_text(out, cases[c], GP_LABEL_MAX, 1);
    }
    fputs("\nunset title\nset origin 0,0\nset size 1,0.40\nset autoscale y\n", out);
    if (all) {
        for (size_t i = 0; i < n * ncase; i++) {
            all[3 * i] = pts[i].diff_mean;
            all[3 * i + 1] = pts[i].diff_lo;
            all[3 * i + 2] = pts[i].diff_hi;
        }
        /* The difference axis always shows zero: no difference is the reference. */
        double lo = 0, hi = 0;
        for (size_t i = 0; i < 3 * n * ncase; i++)
            if (isfinite(all[i])) {
                lo = all[i] < lo ? all[i] : lo;
                hi = all[i] > hi ? all[i] : hi;
            }
        if (lo == hi)
            fputs("set yrange [-1:1]\n", out);
        else if (lo == 0)
            fputs("set yrange [0:*]\n", out);
        else if (hi == 0)
            fputs("set yrange [*:0]\n", out);
        free(all);
    }
    fputs("set ylabel ", out);
    {
        char t[256];
        snprintf(t, sizeof t, "difference in %s", tx->ylabel);
        gp_text(out, t, GP_LABEL_MAX, 1);
    }
    if (tx->xlabel) {
        fputs("\nset xlabel ", out);
        gp_text(out, tx->xlabel, GP_LABEL_MAX, 1);
    }
    fputs("\nplot 0 with lines lc rgb \"#888888\" notitle", out);
    for (size_t c = 0; c < ncase; c++) {
        const char *col = case_colours[c % NCOLOURS];
        char t[256];
        int band = 0; /* no CI at all (e.g. too few runs): the line alone, titled */
        for (size_t i = 0; i < n; i++)
            band |= isfinite(pts[c * n + i].diff_lo) && isfinite(pts[c * n + i].diff_hi);
        if (band)
            fprintf(out,
                    ", \\\n     $case%zu using 1:5:6 with filledcurves fc rgb \"%s\" "
                    "fs transparent solid 0.25 noborder title ",
                    c, col);
        else
            fprintf(out, ", \\\n     $case%zu using 1:4 with lines lw 2 lc rgb \"%s\" title ", c,
                    col);
        snprintf(t, sizeof t, band ? "%s - %s, 95%% CI" : "%s - %s", cases[c], base);
        gp_text(out, t, GP_LABEL_MAX, 1);
        if (band)
            fprintf(out, ", \\\n     $case%zu using 1:4 with lines lw 2 lc rgb \"%s\" notitle", c,
                    col);
    }
    fputs("\nunset multiplot\n", out);
    return 0;
}

/* Bars whose sizes span more than this ratio get an asinh x axis: linear near zero, logarithmic
 * beyond, so a 3 t sector shortfall stays visible next to an 80,000 t trade flow. */
#define BAR_SPAN_FOR_ASINH 300.0
/* ...and the linear zone is at least this fraction of the largest bar (four decades shown). */
#define BAR_ASINH_MIN_SCALE 1e-4

int ree_plot_bars_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                         const ree_bar *bars, size_t n)
{
    if (!n)
        return -1;
    int h = BAR_EXTRA_H + BAR_ROW_H * (int)(n > 200 ? 200 : n < 6 ? 6 : n);
    gp_header(out, fmt, CHART_W, h, tx);
    double lo = 0, hi = 0, minnz = INFINITY;
    fputs("$bars << EOD\n", out);
    for (size_t i = 0; i < n; i++) {
        const ree_bar *b = &bars[i];
        fprintf(out, "%zu\tlabel", i); /* the label goes on the y tics */
        double v[4] = {b->diff, b->lo, b->hi, isnan(b->prob_worse) ? 0.5 : b->prob_worse};
        for (int j = 0; j < 4; j++) {
            fputc('\t', out);
            gp_num(out, v[j]);
            if (j < 3 && isfinite(v[j])) {
                lo = v[j] < lo ? v[j] : lo;
                hi = v[j] > hi ? v[j] : hi;
            }
        }
        if (isfinite(b->diff) && b->diff != 0 && fabs(b->diff) < minnz)
            minnz = fabs(b->diff);
        fputc('\n', out);
    }
    fputs("EOD\n", out);
    double maxabs = fmax(-lo, hi);
    int nonlinear = maxabs > 0 && isfinite(minnz) && maxabs / minnz > BAR_SPAN_FOR_ASINH;
    /* The bar label is the y axis label; the unit goes on x. */
    fputs("set xlabel ", out);
    if (nonlinear) {
        char t[512];
        snprintf(t, sizeof t, "%s; asinh scale: linear near 0, logarithmic beyond", tx->ylabel);
        gp_text(out, t, GP_LABEL_MAX, 1);
        double sc = pow(10, floor(log10(fmax(minnz, maxabs * BAR_ASINH_MIN_SCALE))));
        fprintf(out, "\nsc = %.10g\nset nonlinear x via asinh(x/sc) inverse sc*sinh(x)\n", sc);
        /* Range padded by 5% in the transformed space; tics at 0 and +-sc*10^k. */
        double tlo = asinh(lo / sc), thi = asinh(hi / sc), pad = 0.03 * (thi - tlo);
        fprintf(out, "set xrange [%.10g:%.10g]\nset xtics (\"0\" 0", sc * sinh(tlo - pad),
                sc * sinh(thi + pad));
        for (double v = 10 * sc; v <= maxabs * 10; v *= 10) { /* +-sc would crowd 0 */
            char lab[32];
            if (v >= 1e4)
                snprintf(lab, sizeof lab, "1e%d", (int)lround(log10(v)));
            else
                snprintf(lab, sizeof lab, "%g", v);
            if (v <= -lo * 10)
                fprintf(out, ", \"-%s\" %.10g", lab, -v);
            if (v <= hi * 10)
                fprintf(out, ", \"%s\" %.10g", lab, v);
        }
        fputs(")\n", out);
    } else {
        gp_text(out, tx->ylabel, GP_LABEL_MAX, 1);
        fputs("\nset offsets graph 0.05, graph 0.05, 0, 0\n", out);
    }
    /* Labels as tics rather than a data column: gnuplot's data reader would take quotes in
     * an entity name as its own quoting. */
    fputs("set ytics noenhanced (", out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", out);
        gp_text(out, bars[i].label, GP_TIC_MAX, 0);
        fprintf(out, " %zu", i);
    }
    fprintf(out,
            ")\nunset ylabel\nset yrange [%zu.5:-0.5]\nset ytics nomirror scale 0\n"
            "set grid noytics xtics\nset key below horizontal\n"
            "set style fill solid 0.85 border lc rgb \"#444444\"\n"
            "set palette defined (0 \"#2166ac\", 0.5 \"#f7f7f7\", 1 \"#b2182b\")\n"
            "set cbrange [0:1]\nset cblabel \"P(scenario worse than base)\"\n"
            "set arrow 1 from 0, graph 0 to 0, graph 1 nohead lc rgb \"#333333\" lw 1.5\n"
            "plot $bars using ($3/2):1:(abs($3)/2):(0.35):6 with boxxyerror "
            "lc palette notitle, \\\n"
            "     $bars using 3:1:4:5 with xerrorbars pt 7 ps 0.6 lw 1.5 lc rgb \"#000000\" "
            "title \"mean difference with 95%% CI\"\n",
            n - 1);
    return 0;
}

/* ---- running gnuplot ---------------------------------------------------------------------- */

int ree_plot_run(const char *script, size_t len, int outfd, int *missing, char *err, size_t errlen)
{
    *missing = 0;
    FILE *tmp = tmpfile();
    if (!tmp || fwrite(script, 1, len, tmp) != len || fflush(tmp) || fseek(tmp, 0, SEEK_SET)) {
        snprintf(err, errlen, "cannot write a temporary gnuplot script: %s", strerror(errno));
        if (tmp)
            fclose(tmp);
        return REE_EIO;
    }
    /* The child reports a failed exec through a close-on-exec pipe: EOF means exec worked. */
    int fds[2];
    if (pipe(fds) < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        fclose(tmp);
        return REE_EIO;
    }
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        fclose(tmp);
        return REE_EIO;
    }
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fileno(tmp), STDIN_FILENO) >= 0 &&
            (outfd < 0 || dup2(outfd, STDOUT_FILENO) >= 0)) {
            char *const argv[] = {"gnuplot", NULL};
            execvp("gnuplot", argv);
        }
        int e = errno;
        ssize_t w = write(fds[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(fds[1]);
    int child_errno = 0;
    ssize_t r;
    do
        r = read(fds[0], &child_errno, sizeof child_errno);
    while (r < 0 && errno == EINTR);
    close(fds[0]);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    fclose(tmp);
    if (r == (ssize_t)sizeof child_errno) {
        *missing = child_errno == ENOENT || child_errno == EACCES || child_errno == ENOTDIR;
        snprintf(err, errlen, "cannot run gnuplot: %s", strerror(child_errno));
        return *missing ? REE_ENOINPUT : REE_EIO;
    }
    if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
        if (WIFSIGNALED(wst))
            snprintf(err, errlen, "gnuplot was killed by signal %d", WTERMSIG(wst));
        else
            snprintf(err, errlen, "gnuplot failed (exit status %d)", WEXITSTATUS(wst));
        return REE_EINTERNAL;
    }
    return REE_OK;
}
