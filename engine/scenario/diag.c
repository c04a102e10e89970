/*
 * Located diagnostics: a bounded, ordered store of messages, printed with the source line and a
 * caret. Each message owns copies of its file name and source line, so a diagnostic outlives
 * the source it points into (a failed load frees its text before main prints).
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "csvread.h"

#define DEFAULT_MAX_ERRORS 50

/* A source line longer than this many characters is shown as a window of this many around the
 * caret, with "..." on the cut side(s): one error in a 1 MB line prints a few hundred bytes. */
#define SOURCE_WINDOW 120

enum severity { SEV_ERROR, SEV_WARNING };

typedef struct message {
    enum severity sev;
    char *file; /* NULL: no location */
    int line;
    int col;
    char *path; /* NULL: no key path */
    char *text;
    char *source_line; /* NULL when the line is unknown; at most a window of it (see below) */
    int caret;         /* column of the caret within source_line, 1-based; 0: no caret */
    int cut_left;      /* source_line starts after the start of the line */
    int cut_right;     /* source_line ends before the end of the line */
} message;

struct ree_diag {
    size_t max;           /* bound on stored errors, and separately on stored warnings */
    size_t errors;        /* every error recorded, stored or not */
    size_t stored_errors; /* errors in msgs */
    size_t stored_warnings;
    size_t dropped_warnings;
    message *msgs;
    size_t n, cap;
};

ree_diag *ree_diag_alloc(size_t max_errors)
{
    ree_diag *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->max = max_errors ? max_errors : DEFAULT_MAX_ERRORS;
    return d;
}

static void message_clear(message *m)
{
    free(m->file);
    free(m->path);
    free(m->text);
    free(m->source_line);
}

void ree_diag_free(ree_diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        message_clear(&d->msgs[i]);
    free(d->msgs);
    free(d);
}

size_t ree_diag_count(const ree_diag *d)
{
    return d ? d->errors : 0;
}

/* Byte length of the line break starting at text[i], or 0 (libyaml's set of breaks). */
static size_t break_len(const char *text, size_t len, size_t i)
{
    const unsigned char *t = (const unsigned char *)text;
    if (t[i] == '\r')
        return (i + 1 < len && t[i + 1] == '\n') ? 2 : 1;
    if (t[i] == '\n')
        return 1;
    if (t[i] == 0xC2 && i + 1 < len && t[i + 1] == 0x85)
        return 2;
    if (t[i] == 0xE2 && i + 2 < len && t[i + 1] == 0x80 && (t[i + 2] == 0xA8 || t[i + 2] == 0xA9))
        return 3;
    return 0;
}

static size_t bom_len(const ree_source *src)
{
    if (src->len >= 3 && memcmp(src->text, "\xEF\xBB\xBF", 3) == 0)
        return 3;
    return 0;
}

static int is_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

ree_mark ree_source_locate(const ree_source *src, size_t offset)
{
    ree_mark m = {src, 1, 1};
    if (!src || !src->text)
        return m;
    if (offset > src->len)
        offset = src->len;
    size_t i = bom_len(src);
    while (i < offset) {
        size_t b = break_len(src->text, src->len, i);
        if (b && i + b <= offset) {
            m.line++;
            m.col = 1;
            i += b;
            continue;
        }
        if (!is_continuation(src->text[i]))
            m.col++;
        i++;
    }
    /* Inside a multi-byte character: the column is the character's own. */
    if (offset < src->len && is_continuation(src->text[offset]) && m.col > 1)
        m.col--;
    return m;
}

/* Copy of line `line` (1-based) of `src` without its break, or NULL when absent or OOM. */
static char *copy_line(const ree_source *src, int line)
{
    if (!src->text || line < 1)
        return NULL;
    size_t i = bom_len(src);
    int cur = 1;
    while (cur < line && i < src->len) {
        size_t b = break_len(src->text, src->len, i);
        if (b) {
            cur++;
            i += b;
        } else {
            i++;
        }
    }
    if (cur < line)
        return NULL;
    size_t end = i;
    while (end < src->len && !break_len(src->text, src->len, end))
        end++;
    char *s = malloc(end - i + 1);
    if (!s)
        return NULL;
    memcpy(s, src->text + i, end - i);
    s[end - i] = '\0';
    return s;
}

/* Cut `m->source_line` down to at most SOURCE_WINDOW characters (UTF-8 code points, a tab
 * counting as one, as columns do) around column `col` (0: the start), and set the caret column
 * within the window and the cut flags. The window starts and ends on character boundaries, so
 * no UTF-8 sequence is split. The copy is shrunk in place. */
static void window(message *m, int col)
{
    char *s = m->source_line;
    size_t nbytes = strlen(s), nchars = 0;
    for (size_t i = 0; i < nbytes; i++)
        nchars += !is_continuation(s[i]);
    m->caret = col;
    if (nchars <= SOURCE_WINDOW)
        return;
    /* The caret sits about a third of the way in, so more of what follows it shows. */
    size_t at = col > 0 ? (size_t)col - 1 : 0, first = 0;
    if (at > SOURCE_WINDOW / 3)
        first = at - SOURCE_WINDOW / 3;
    if (first > nchars - SOURCE_WINDOW)
        first = nchars - SOURCE_WINDOW;
    size_t last = first + SOURCE_WINDOW; /* one past the last character shown */
    size_t from = nbytes, to = nbytes, k = 0;
    for (size_t i = 0; i < nbytes; i++) {
        if (is_continuation(s[i]))
            continue;
        if (k == first)
            from = i;
        if (k == last) {
            to = i;
            break;
        }
        k++;
    }
    memmove(s, s + from, to - from);
    s[to - from] = '\0';
    m->cut_left = first > 0;
    m->cut_right = last < nchars;
    if (col > 0)
        m->caret = col - (int)first;
    char *shrunk = realloc(s, to - from + 1);
    if (shrunk)
        m->source_line = shrunk;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

static int is_control(char c)
{
    return (unsigned char)c < 0x20 || c == 0x7f;
}

/* Whether a control starts at s (n bytes left): a C0 byte, DEL, or a C1 control in UTF-8. */
static int control_at(const char *s, size_t n)
{
    return is_control(s[0]) || ree_is_c1(s, n);
}

/* `n` bytes of `s` with every control byte (C0 and DEL) written "\xHH" and every C1 control
 * "\u00HH" into `out` (room for 4 n + 1 bytes), through ree_snippet, the escaping of CSV text in
 * messages; with that room it never cuts. Returns the bytes written. */
static size_t escape_into(const char *s, size_t n, char *out)
{
    ree_snippet(s, n, out, 4 * n + 1);
    return strlen(out);
}

/* A copy of `s` with its control bytes escaped: ids, names, values, keys and CSV fields quoted
 * in a message come from the user, and a raw ESC or line break must not reach the terminal.
 * NULL when out of memory. */
static char *escaped_dup(const char *s)
{
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n && !control_at(s + i, n - i))
        i++;
    if (i == n)
        return dup_str(s);
    char *c = malloc(4 * n + 1);
    if (c)
        escape_into(s, n, c);
    return c;
}

/* Escape the controls of the stored source line but its tabs (echoed as tabs, so that the
 * caret line can put a tab under each), and move the caret right by 3 for each escaped byte
 * ("\xHH") and by 5 for each C1 control ("\u00HH") before it. Only a line libyaml rejects can
 * hold a C0 control (a raw ESC, say); on OOM the line is dropped rather than printed raw. */
static void escape_source(message *m)
{
    char *s = m->source_line;
    size_t n = strlen(s), i = 0;
    while (i < n && (!control_at(s + i, n - i) || s[i] == '\t'))
        i++;
    if (i == n)
        return;
    char *e = malloc(4 * n + 1);
    if (!e) {
        free(s);
        m->source_line = NULL;
        return;
    }
    size_t k = 0;
    int col = 1, caret = m->caret;
    for (i = 0; i < n;) {
        size_t seg = strcspn(s + i, "\t");
        if (seg == 0) {
            e[k++] = s[i++];
            col++;
            continue;
        }
        for (size_t j = i; j < i + seg; j++) {
            if (is_continuation(s[j]))
                continue;
            if (col < caret)
                m->caret += is_control(s[j]) ? 3 : ree_is_c1(s + j, i + seg - j) ? 5 : 0;
            col++;
        }
        k += escape_into(s + i, seg, e + k);
        i += seg;
    }
    e[k] = '\0';
    free(s);
    m->source_line = e;
}

static void record(ree_diag *d, enum severity sev, ree_mark m, const char *path, const char *fmt,
                   va_list ap)
{
    if (!d)
        return;
    if (sev == SEV_ERROR)
        d->errors++;
    if (sev == SEV_ERROR ? d->stored_errors >= d->max : d->stored_warnings >= d->max) {
        if (sev == SEV_WARNING)
            d->dropped_warnings++;
        return;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        message *msgs = realloc(d->msgs, cap * sizeof *msgs);
        if (!msgs)
            goto oom;
        d->msgs = msgs;
        d->cap = cap;
    }

    message msg = {sev, NULL, m.line, m.col, NULL, NULL, NULL, 0, 0, 0};
    va_list ap2;
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (len < 0)
        len = 0;
    msg.text = malloc((size_t)len + 1);
    if (!msg.text)
        goto oom;
    if (len > 0)
        vsnprintf(msg.text, (size_t)len + 1, fmt, ap);
    else
        msg.text[0] = '\0';
    char *text = escaped_dup(msg.text);
    free(msg.text);
    if (!(msg.text = text))
        goto oom_msg;
    if (path && path[0] && !(msg.path = escaped_dup(path)))
        goto oom_msg;
    if (m.src) {
        if (!(msg.file = escaped_dup(m.src->name ? m.src->name : "<input>")))
            goto oom_msg;
        if (m.line > 0)
            msg.source_line = copy_line(m.src, m.line); /* NULL on OOM: printed without it */
        if (msg.source_line) {
            window(&msg, m.col);
            escape_source(&msg);
        }
    }
    d->msgs[d->n++] = msg;
    if (sev == SEV_ERROR)
        d->stored_errors++;
    else
        d->stored_warnings++;
    return;

oom_msg:
    message_clear(&msg);
oom:
    /* Counted but not stored: it shows up in the "more ... not shown" line. */
    if (sev == SEV_WARNING)
        d->dropped_warnings++;
}

void ree_diag_error(ree_diag *d, ree_mark m, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(d, SEV_ERROR, m, path, fmt, ap);
    va_end(ap);
}

void ree_diag_warning(ree_diag *d, ree_mark m, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(d, SEV_WARNING, m, path, fmt, ap);
    va_end(ap);
}

/* The caret line: under each of the first col-1 characters a tab (for a tab) or a space, after
 * `indent` spaces (under the "..." of a line cut on the left). */
static void print_caret(const char *line, int col, int indent, FILE *out)
{
    int c = 1;
    fprintf(out, "%*s", indent, "");
    for (const char *p = line; *p && c < col; p++) {
        if (is_continuation(*p))
            continue;
        fputc(*p == '\t' ? '\t' : ' ', out);
        c++;
    }
    for (; c < col; c++)
        fputc(' ', out);
    fputs("^\n", out);
}

/* A message's first line, `file:line:col: error: path: text`, without its line break. */
static void print_head(const message *m, FILE *out)
{
    if (m->file) {
        fputs(m->file, out);
        if (m->line > 0) {
            fprintf(out, ":%d", m->line);
            if (m->col > 0)
                fprintf(out, ":%d", m->col);
        }
        fputs(": ", out);
    }
    fputs(m->sev == SEV_ERROR ? "error: " : "warning: ", out);
    if (m->path)
        fprintf(out, "%s: ", m->path);
    fputs(m->text, out);
}

void ree_diag_first_error(const ree_diag *d, char *buf, size_t len)
{
    if (!len)
        return;
    *buf = '\0';
    for (size_t i = 0; d && i < d->n; i++)
        if (d->msgs[i].sev == SEV_ERROR) {
            char *text = NULL;
            size_t n = 0;
            FILE *f = open_memstream(&text, &n);
            if (f) {
                print_head(&d->msgs[i], f);
                if (fclose(f) == 0 && text)
                    ree_snippet(text, n, buf, len);
            }
            free(text);
            return;
        }
}

void ree_diag_print(const ree_diag *d, FILE *out)
{
    if (!d || !out)
        return;
    for (size_t i = 0; i < d->n; i++) {
        const message *m = &d->msgs[i];
        print_head(m, out);
        fputc('\n', out);
        if (m->source_line) {
            fprintf(out, "%s%s%s\n", m->cut_left ? "..." : "", m->source_line,
                    m->cut_right ? "..." : "");
            if (m->caret > 0)
                print_caret(m->source_line, m->caret, m->cut_left ? 3 : 0, out);
        }
    }
    size_t dropped = d->errors - d->stored_errors;
    if (dropped)
        fprintf(out, "%zu more error%s not shown\n", dropped, dropped == 1 ? "" : "s");
    if (d->dropped_warnings)
        fprintf(out, "%zu more warning%s not shown\n", d->dropped_warnings,
                d->dropped_warnings == 1 ? "" : "s");
}
