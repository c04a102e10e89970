/*
 * Output files that appear complete or not at all: temporary names in the target directory,
 * renamed together on commit. CSV writing with RFC 4180 quoting and locale-free numbers.
 */
#include "outfile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "reesim/reesim.h"

struct ree_csv {
    FILE *f;
    int row_started; /* a field has been written on the current row */
};

struct entry {
    char *name; /* final path */
    char *tmp;  /* temporary path */
    FILE *f;    /* NULL once closed */
    ree_csv *csv;
};

struct ree_outset {
    char *dir;
    struct entry *e;
    size_t n, cap;
    int done; /* committed or aborted: no more files */
};

static void set_err(char *err, size_t errlen, const char *what, const char *path, int errnum)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errnum));
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *join(const char *dir, const char *a, const char *b, const char *c)
{
    size_t n = strlen(dir) + 1 + strlen(a) + strlen(b) + strlen(c) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s%s", dir, a, b, c);
    return p;
}

/* mkdir -p: create each missing component. Returns 0, or -1 with errno and the failing prefix
 * left in `path`'s leading part (path is truncated at the failing component). */
static int make_dirs(char *path)
{
    size_t len = strlen(path);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0777) != 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST || stat(path, &st) != 0) {
                errno = e;
                return -1;
            }
            if (!S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                return -1;
            }
        }
        path[i] = saved;
    }
    return 0;
}

ree_outset *ree_outset_open(const char *dir, int *status, char *err, size_t errlen)
{
    *status = REE_ECANTCREATE;
    if (!dir || !*dir) {
        if (err && errlen > 0)
            snprintf(err, errlen, "empty output directory name");
        return NULL;
    }
    ree_outset *s = calloc(1, sizeof *s);
    char *work = dup_str(dir);
    if (s)
        s->dir = dup_str(dir);
    if (!s || !work || !s->dir) {
        free(work);
        ree_outset_free(s);
        *status = REE_ENOMEM;
        if (err && errlen > 0)
            snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* Trailing slashes would give "dir//name"; drop them (keep a lone "/"). */
    for (size_t n = strlen(s->dir); n > 1 && s->dir[n - 1] == '/'; n--)
        s->dir[n - 1] = '\0';
    if (make_dirs(work) != 0) {
        set_err(err, errlen, "cannot create directory", work, errno);
        free(work);
        ree_outset_free(s);
        return NULL;
    }
    free(work);
    if (access(s->dir, W_OK | X_OK) != 0) {
        set_err(err, errlen, "cannot write to directory", s->dir, errno);
        ree_outset_free(s);
        return NULL;
    }
    *status = REE_OK;
    return s;
}

static struct entry *new_entry(ree_outset *s, const char *name, int *status)
{
    *status = REE_ECANTCREATE;
    if (s->done || !name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
        !strcmp(name, ".."))
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(strrchr(s->e[i].name, '/') + 1, name))
            return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct entry *e = realloc(s->e, cap * sizeof *e);
        if (!e) {
            *status = REE_ENOMEM;
            return NULL;
        }
        s->e = e;
        s->cap = cap;
    }
    char pid[32];
    snprintf(pid, sizeof pid, ".tmp.%ld", (long)getpid());
    struct entry *e = &s->e[s->n];
    memset(e, 0, sizeof *e);
    e->name = join(s->dir, name, "", "");
    e->tmp = join(s->dir, ".", name, pid);
    if (!e->name || !e->tmp) {
        free(e->name);
        free(e->tmp);
        *status = REE_ENOMEM;
        return NULL;
    }
    e->f = fopen(e->tmp, "wb");
    if (!e->f) {
        free(e->name);
        free(e->tmp);
        return NULL;
    }
    s->n++;
    *status = REE_OK;
    return e;
}

FILE *ree_outset_file(ree_outset *s, const char *name, int *status)
{
    struct entry *e = new_entry(s, name, status);
    return e ? e->f : NULL;
}

ree_csv *ree_outset_csv(ree_outset *s, const char *name, const char *const *columns, size_t ncol,
                        int *status)
{
    struct entry *e = new_entry(s, name, status);
    if (!e)
        return NULL;
    e->csv = calloc(1, sizeof *e->csv);
    if (!e->csv) {
        *status = REE_ENOMEM;
        return NULL; /* the entry stays and is removed by abort/free */
    }
    e->csv->f = e->f;
    for (size_t i = 0; i < ncol; i++)
        ree_csv_str(e->csv, columns[i]);
    ree_csv_end_row(e->csv);
    return e->csv;
}

static void remove_temps(ree_outset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->e[i];
        if (e->f) {
            fclose(e->f);
            e->f = NULL;
        }
        if (e->tmp) {
            unlink(e->tmp);
            free(e->tmp);
            e->tmp = NULL;
        }
    }
}

int ree_outset_commit(ree_outset *s, char *err, size_t errlen)
{
    if (s->done) {
        if (err && errlen > 0)
            snprintf(err, errlen, "output set already committed or aborted");
        return REE_EIO;
    }
    s->done = 1;
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->e[i];
        errno = 0;
        int bad = fflush(e->f) != 0 || ferror(e->f);
        int e1 = errno;
        if (fclose(e->f) != 0 && !bad) {
            bad = 1;
            e1 = errno;
        }
        e->f = NULL;
        if (bad) {
            set_err(err, errlen, "cannot write", e->tmp, e1 ? e1 : EIO);
            remove_temps(s);
            return REE_EIO;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        struct entry *e = &s->e[i];
        if (rename(e->tmp, e->name) != 0) {
            set_err(err, errlen, "cannot rename to", e->name, errno);
            remove_temps(s);
            return REE_EIO;
        }
        free(e->tmp);
        e->tmp = NULL;
    }
    return REE_OK;
}

void ree_outset_abort(ree_outset *s)
{
    if (!s)
        return;
    s->done = 1;
    remove_temps(s);
}

void ree_outset_free(ree_outset *s)
{
    if (!s)
        return;
    remove_temps(s);
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].name);
        free(s->e[i].csv);
    }
    free(s->e);
    free(s->dir);
    free(s);
}

const char *ree_outset_dir(const ree_outset *s)
{
    return s->dir;
}

static void field_sep(ree_csv *c)
{
    if (c->row_started)
        putc(',', c->f);
    c->row_started = 1;
}

void ree_csv_str(ree_csv *c, const char *s)
{
    field_sep(c);
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, c->f);
        return;
    }
    putc('"', c->f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            putc('"', c->f);
        putc(*p, c->f);
    }
    putc('"', c->f);
}

void ree_csv_num(ree_csv *c, double x)
{
    char buf[40];
    field_sep(c);
    fputs(ree_format_num(buf, sizeof buf, x), c->f);
}

void ree_csv_int(ree_csv *c, long long x)
{
    field_sep(c);
    fprintf(c->f, "%lld", x);
}

void ree_csv_end_row(ree_csv *c)
{
    putc('\n', c->f);
    c->row_started = 0;
}

char *ree_format_num(char *buf, size_t len, double x)
{
    if (len == 0)
        return buf;
    if (isnan(x)) {
        buf[0] = '\0';
    } else if (isinf(x)) {
        snprintf(buf, len, "%s", x < 0 ? "-inf" : "inf");
    } else if (x == 0.0) {
        snprintf(buf, len, "0"); /* also -0 */
    } else {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.10g", x);
        /* %g writes digits, sign, exponent and the locale's decimal point (possibly several
         * bytes); whatever else appears is that decimal point, written as '.'. */
        size_t o = 0;
        int in_point = 0;
        for (const char *p = tmp; *p && o + 1 < len; p++) {
            int plain = (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e';
            if (plain) {
                buf[o++] = *p;
                in_point = 0;
            } else if (!in_point) {
                buf[o++] = '.';
                in_point = 1;
            }
        }
        buf[o] = '\0';
    }
    return buf;
}

int ree_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -1;
    int ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, data, len) == 1 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
             mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}
