/* Tests for engine/io/outfile.c and its parts (outset_target.c, csvwrite.c, syncer.c, g10.c):
 * atomic output sets, CSV quoting, gzip CSV, number format. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "outfile.h"
#include "output.h"
#include "reesim/reesim.h"

static char base[64];

static int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof base, "/tmp/ree_outfile_test.%ld", (long)getpid());
    return mkdir(base, 0777);
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rm_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(base);
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Names in `dir`, sorted and joined by spaces ("" when empty). */
static void listing(const char *dir, char *out, size_t len)
{
    char names[16][256];
    size_t n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 16)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            snprintf(names[n++], sizeof names[0], "%s", de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_name);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(out, " ", len - strlen(out) - 1);
        strncat(out, names[i], len - strlen(out) - 1);
    }
}

static void slurp(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* The one temporary folder ".NAME.tmp.XXXXXX" in `parent` into `out`; fails unless exactly one. */
static void temp_folder(const char *parent, const char *name, char *out, size_t len)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, ".%s.tmp.", name);
    int found = 0;
    DIR *d = opendir(parent);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (!strncmp(de->d_name, prefix, strlen(prefix)) &&
            strlen(de->d_name) == strlen(prefix) + 6) {
            snprintf(out, len, "%s/%s", parent, de->d_name);
            found++;
        }
    closedir(d);
    assert_int_equal(found, 1);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Files may grow to `bytes` only, with SIGXFSZ ignored, so that a write past it fails with EFBIG;
 * restore_file_size undoes both. */
struct file_limit {
    struct rlimit old;
    void (*prev)(int);
};

static struct file_limit limit_file_size(rlim_t bytes)
{
    struct file_limit fl;
    getrlimit(RLIMIT_FSIZE, &fl.old);
    struct rlimit lim = fl.old;
    lim.rlim_cur = bytes;
    fl.prev = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    return fl;
}

static void restore_file_size(const struct file_limit *fl)
{
    setrlimit(RLIMIT_FSIZE, &fl->old);
    signal(SIGXFSZ, fl->prev);
}

/* A complete small set: summary.csv and meta.json holding `tag`. */
static int write_set(const char *dir, const char *tag, char *err, size_t errlen)
{
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, errlen);
    if (!s)
        return st;
    static const char *const cols[] = {"scenario", "step", "mean"};
    ree_csv *c = ree_outset_csv(s, "summary.csv", cols, 3, &st);
    assert_non_null(c);
    ree_csv_str(c, tag);
    ree_csv_end_row(c);
    FILE *f = ree_outset_file(s, "meta.json", &st);
    assert_non_null(f);
    fprintf(f, "{\"tag\": \"%s\"}\n", tag);
    st = ree_outset_commit(s, err, errlen);
    ree_outset_free(s);
    return st;
}

static void test_commit_renames_all(void **state)
{
    (void)state;
    char dir[192], parent[128], tmp[256], got[512], path[256], err[256];
    snprintf(parent, sizeof parent, "%s/a/b", base);
    snprintf(dir, sizeof dir, "%s/run1", parent); /* two missing parents */
    ree_status st = -1;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(st, REE_OK);
    assert_string_equal(ree_outset_dir(s), dir);

    static const char *const cols[] = {"scenario", "step", "mean"};
    ree_csv *c = ree_outset_csv(s, "summary.csv", cols, 3, &st);
    assert_non_null(c);
    ree_csv_str(c, "london-2025");
    ree_csv_int(c, 7);
    ree_csv_num(c, 2.385);
    ree_csv_end_row(c);
    FILE *f = ree_outset_file(s, "meta.json", &st);
    assert_non_null(f);
    fputs("{\"runs\": 10000}\n", f);
    /* A second file of the same name, or a path, is refused. */
    assert_null(ree_outset_file(s, "meta.json", &st));
    assert_int_equal(st, REE_ECANTCREATE);
    assert_null(ree_outset_file(s, "../escape", &st));

    /* Before commit the target does not exist; the files are in a private hidden folder. */
    listing(parent, got, sizeof got);
    assert_int_equal(strncmp(got, ".run1.tmp.", 10), 0);
    temp_folder(parent, "run1", tmp, sizeof tmp);
    struct stat sb;
    assert_int_equal(lstat(tmp, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    listing(tmp, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");

    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    listing(parent, got, sizeof got);
    assert_string_equal(got, "run1");
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "scenario,step,mean\nlondon-2025,7,2.385\n");
    /* Committing twice is an error and changes nothing. */
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_EIO);
    ree_outset_free(s);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");

    /* Reopening an existing output folder works too. */
    s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    ree_outset_free(s);
    listing(parent, got, sizeof got);
    assert_string_equal(got, "run1");
}

static void test_abort_leaves_nothing(void **state)
{
    (void)state;
    char dir[128], got[512], err[256];
    snprintf(dir, sizeof dir, "%s/aborted", base);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    FILE *f = ree_outset_file(s, "timeseries.csv", &st);
    assert_non_null(f);
    fputs("half a row,", f);
    assert_non_null(ree_outset_file(s, "runs.csv", &st));
    ree_outset_abort(s);
    assert_int_equal(access(dir, F_OK), -1);
    listing(base, got, sizeof got);
    assert_null(strstr(got, "aborted"));
    assert_null(ree_outset_file(s, "late.csv", &st));
    ree_outset_free(s);

    /* Free without commit aborts as well, and an existing set is left as it was. */
    assert_int_equal(write_set(dir, "old", err, sizeof err), REE_OK);
    s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    assert_non_null(ree_outset_file(s, "summary.csv", &st));
    ree_outset_free(s);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");
    listing(base, got, sizeof got);
    assert_null(strstr(got, ".aborted.tmp."));
    ree_outset_free(NULL);
    ree_outset_abort(NULL);
}

static void test_cannot_create_directory(void **state)
{
    (void)state;
    char file[128], dir[160], err[256];
    snprintf(file, sizeof file, "%s/plain", base);
    write_file(file, "");
    ree_status st = -1;

    /* The path is a file. */
    assert_null(ree_outset_open(file, &st, err, sizeof err));
    assert_int_equal(st, REE_ECANTCREATE);
    assert_non_null(strstr(err, "cannot create directory"));
    assert_non_null(strstr(err, file));

    /* A parent is a file. */
    snprintf(dir, sizeof dir, "%s/sub/out", file);
    assert_null(ree_outset_open(dir, &st, err, sizeof err));
    assert_int_equal(st, REE_ECANTCREATE);
    assert_non_null(strstr(err, "Not a directory"));

    /* No permission (meaningless as root, who may write anywhere). */
    if (geteuid() != 0) {
        snprintf(dir, sizeof dir, "%s/locked", base);
        assert_int_equal(mkdir(dir, 0555), 0);
        snprintf(file, sizeof file, "%s/locked/out", base);
        assert_null(ree_outset_open(file, &st, err, sizeof err));
        assert_int_equal(st, REE_ECANTCREATE);
        assert_non_null(strstr(err, "ermission"));
    }
    assert_null(ree_outset_open("", &st, err, sizeof err));
    assert_null(ree_outset_open("/", &st, err, sizeof err));
    assert_null(ree_outset_open("..", &st, err, sizeof err));
}

/* A write failing (here: over the file size limit, EFBIG) names the final file and the reason,
 * and leaves the old set and no temporary folder. */
static void test_write_error_on_commit(void **state)
{
    (void)state;
    char dir[128], got[512], err[256], want[256];
    snprintf(dir, sizeof dir, "%s/full", base);
    assert_int_equal(write_set(dir, "old", err, sizeof err), REE_OK);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"step", "p50"};
    ree_csv *c = ree_outset_csv(s, "timeseries.csv", cols, 2, &st);
    assert_non_null(c);
    struct file_limit fl = limit_file_size(1024);
    for (int i = 0; i < 1000; i++) {
        ree_csv_int(c, i);
        ree_csv_num(c, 17.5 * i);
        ree_csv_end_row(c);
    }
    assert_non_null(ree_outset_file(s, "meta.json", &st));
    int rc = ree_outset_commit(s, err, sizeof err);
    restore_file_size(&fl);
    assert_int_equal(rc, REE_EIO);
    snprintf(want, sizeof want, "cannot write '%s/timeseries.csv': %s", dir, strerror(EFBIG));
    assert_string_equal(err, want);
    ree_outset_free(s);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");
    listing(base, got, sizeof got);
    assert_null(strstr(got, ".full.tmp."));
}

static long long file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long long)sb.st_size;
}

/* Blocks of rows through ree_csv_mem_flush, as runs.csv gets them: stdio's buffer keeps a tail
 * until 8 MiB are waiting, then the flush writes it out (and starts the writeback); the committed
 * file has every byte in order. */
static void test_mem_flush_writeback(void **state)
{
    (void)state;
    char dir[128], path[512], err[256];
    static char field[1000];
    memset(field, 'x', sizeof field);
    snprintf(dir, sizeof dir, "%s/wbstep", base);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"v"};
    ree_csv *c = ree_outset_csv(s, "runs.csv", cols, 1, &st), *m = ree_csv_mem_alloc();
    assert_true(c && m);
    snprintf(path, sizeof path, "%s/runs.csv", ree_outset_temp(s));
    long long total = 2; /* "v\n" */
    for (int b = 0; b < 9; b++) {
        for (int i = 0; i < 1000; i++) { /* 1,001,000 bytes a block: not whole stdio buffers */
            field[0] = (char)('a' + b);
            ree_csv_text(m, field, sizeof field);
            ree_csv_end_row(m);
        }
        assert_int_equal(ree_csv_mem_flush(m, c), 0);
        total += 1001000;
#ifdef __GLIBC__ /* glibc's fwrite keeps a tail that is not a whole buffer (musl's writes all) */
        if (b == 3)
            assert_true(file_size(path) < total); /* 4 MB waiting: a tail stays buffered */
#endif
    }
    assert_int_equal(file_size(path), total); /* past 8 MiB: all written out */
    FILE *f = ree_outset_file(s, "meta.json", &st);
    assert_non_null(f);
    fputs("{}\n", f);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    assert_int_equal(file_size(path), total);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char line[1100];
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "v\n");
    for (int r = 0; r < 9000; r++) { /* each block's rows, in block order */
        assert_non_null(fgets(line, sizeof line, in));
        assert_int_equal(strlen(line), 1001);
        assert_int_equal(line[0], 'a' + r / 1000);
    }
    assert_null(fgets(line, sizeof line, in));
    fclose(in);
    ree_csv_mem_free(m);
    ree_outset_free(s);
}

/* ree_csv_writeback puts the whole text in the file before commit (stdio's buffer flushed), and
 * a write error it meets still fails the commit, naming the file. */
static void test_csv_writeback(void **state)
{
    (void)state;
    char dir[128], path[512], err[256], want[256];
    static char got[65536], expect[65536];
    snprintf(dir, sizeof dir, "%s/wb", base);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"run", "value"};
    ree_csv *c = ree_outset_csv(s, "runs.csv", cols, 2, &st);
    assert_non_null(c);
    size_t n = (size_t)snprintf(expect, sizeof expect, "run,value\n");
    for (int i = 0; i < 300; i++) { /* 300 short rows: within stdio's buffer until flushed */
        ree_csv_int(c, i);
        ree_csv_num(c, 0.5 * i);
        ree_csv_end_row(c);
        n += (size_t)snprintf(expect + n, sizeof expect - n, "%d,%.10g\n", i, 0.5 * i);
    }
    snprintf(path, sizeof path, "%s/runs.csv", ree_outset_temp(s));
    slurp(path, got, sizeof got);
    assert_true(strlen(got) < n); /* not yet written out */
    ree_csv_writeback(c);
    slurp(path, got, sizeof got);
    assert_string_equal(got, expect);
    ree_csv_writeback(NULL);                        /* no-op */
    FILE *f = ree_outset_file(s, "meta.json", &st); /* marks the folder as reesim's */
    assert_non_null(f);
    fputs("{}\n", f);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    slurp(path, got, sizeof got);
    assert_string_equal(got, expect);
    ree_outset_free(s);

    /* The flush fails (file size limit): the commit reports it and keeps the old set. */
    s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    c = ree_outset_csv(s, "runs.csv", cols, 2, &st);
    assert_non_null(c);
    for (int i = 0; i < 300; i++) {
        ree_csv_int(c, i);
        ree_csv_num(c, 0.5 * i);
        ree_csv_end_row(c);
    }
    struct file_limit fl = limit_file_size(256);
    ree_csv_writeback(c);
    restore_file_size(&fl);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_EIO);
    snprintf(want, sizeof want, "cannot write '%s/runs.csv': %s", dir, strerror(EFBIG));
    assert_string_equal(err, want);
    ree_outset_free(s);
    slurp(path, got, sizeof got);
    assert_string_equal(got, expect);
}

/* A new set replaces the old one whole: files this set does not write are gone. */
static void test_replaces_whole_set(void **state)
{
    (void)state;
    char dir[128], path[256], got[512], err[256];
    snprintf(dir, sizeof dir, "%s/whole", base);
    assert_int_equal(write_set(dir, "old", err, sizeof err), REE_OK);
    snprintf(path, sizeof path, "%s/fit.csv", dir);
    write_file(path, "stale\n");
    snprintf(path, sizeof path, "%s/plots", dir);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/plots/fan-us_cars-shortfall.svg", dir);
    write_file(path, "<svg/>\n");
    assert_int_equal(write_set(dir, "new", err, sizeof err), REE_OK);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");
    snprintf(path, sizeof path, "%s/meta.json", dir);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "{\"tag\": \"new\"}\n");
    listing(base, got, sizeof got);
    assert_null(strstr(got, ".whole.tmp."));
}

/* A folder reesim did not write, or a symlink, is never replaced. */
static void test_refuses_foreign_target(void **state)
{
    (void)state;
    char dir[128], path[256], got[512], err[512], link[160];
    ree_status st;
    snprintf(dir, sizeof dir, "%s/home", base);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/.bashrc", dir);
    write_file(path, "alias ll='ls -l'\n");
    assert_null(ree_outset_open(dir, &st, err, sizeof err));
    assert_int_equal(st, REE_ECANTCREATE);
    assert_non_null(strstr(err, "not a reesim output folder (it holds '.bashrc')"));
    /* Result files without meta.json or compare.csv: not known to be ours. */
    unlink(path);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    write_file(path, "mine\n");
    assert_null(ree_outset_open(dir, &st, err, sizeof err));
    assert_non_null(strstr(err, "neither meta.json nor compare.csv"));
    /* A symlink inside an output folder makes it foreign too. */
    snprintf(path, sizeof path, "%s/meta.json", dir);
    write_file(path, "{}\n");
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_null(ree_outset_open(dir, &st, err, sizeof err));
    assert_non_null(strstr(err, "it holds 'runs.csv'"));
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json runs.csv summary.csv");
    /* The target a symlink to an output folder: refused, neither followed nor replaced. */
    snprintf(dir, sizeof dir, "%s/real", base);
    assert_int_equal(write_set(dir, "old", err, sizeof err), REE_OK);
    snprintf(link, sizeof link, "%s/link", base);
    assert_int_equal(symlink("real", link), 0);
    assert_int_equal(write_set(link, "new", err, sizeof err), REE_ECANTCREATE);
    assert_non_null(strstr(err, "is a symbolic link"));
    struct stat sb;
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    snprintf(path, sizeof path, "%s/meta.json", dir);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "{\"tag\": \"old\"}\n");
}

/* A symlink planted in the temporary folder is not written through; a stale temporary folder of
 * a dead run is removed by the next one. */
static void test_symlink_not_followed(void **state)
{
    (void)state;
    char dir[128], tmp[256], path[320], victim[160], got[512], err[256];
    snprintf(dir, sizeof dir, "%s/planted", base);
    snprintf(victim, sizeof victim, "%s/victim", base);
    write_file(victim, "precious\n");
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    temp_folder(base, "planted", tmp, sizeof tmp);
    snprintf(path, sizeof path, "%s/summary.csv", tmp);
    assert_int_equal(symlink(victim, path), 0);
    static const char *const cols[] = {"a"};
    assert_null(ree_outset_csv(s, "summary.csv", cols, 1, &st));
    assert_int_equal(st, REE_ECANTCREATE);
    ree_outset_free(s);
    slurp(victim, got, sizeof got);
    assert_string_equal(got, "precious\n");

    /* A leftover of a killed run (nobody holds its lock) is cleaned by the next open. */
    snprintf(tmp, sizeof tmp, "%s/.planted.tmp.AbC123", base);
    assert_int_equal(mkdir(tmp, 0700), 0);
    snprintf(path, sizeof path, "%s/runs.csv", tmp);
    write_file(path, "run,entity\n");
    s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    assert_null(ree_outset_leftover(s));
    assert_int_equal(access(tmp, F_OK), -1);
    ree_outset_free(s);
}

/* A single file replaced whole (reesim plot -o FILE). */
static void test_single_file(void **state)
{
    (void)state;
    char file[128], path[256], got[512], err[256];
    snprintf(file, sizeof file, "%s/charts/one.svg", base);
    ree_status st;
    ree_outset *s = ree_outset_open_file(file, &st, err, sizeof err);
    assert_non_null(s);
    FILE *f = ree_outset_file_direct(s, "one.svg", &st);
    assert_non_null(f);
    assert_null(ree_outset_file(s, "two.svg", &st)); /* one file only */
    assert_true(fputs("<svg/>\n", f) >= 0);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    snprintf(path, sizeof path, "%s/charts", base);
    listing(path, got, sizeof got);
    assert_string_equal(got, "one.svg");
    slurp(file, got, sizeof got);
    assert_string_equal(got, "<svg/>\n");
}

static void test_csv_quoting(void **state)
{
    (void)state;
    char dir[128], path[192], got[512], err[256];
    snprintf(dir, sizeof dir, "%s/quote", base);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"entity", "note"};
    ree_csv *c = ree_outset_csv(s, "q.csv", cols, 2, &st);
    assert_non_null(c);
    ree_csv_str(c, "us_cars");
    ree_csv_str(c, "plain text; no specials");
    ree_csv_end_row(c);
    ree_csv_str(c, "Dy, Tb oxides");
    ree_csv_str(c, "the \"London\" framework");
    ree_csv_end_row(c);
    ree_csv_str(c, "two\nlines");
    ree_csv_str(c, "cr\r");
    ree_csv_end_row(c);
    ree_csv_str(c, "");
    ree_csv_str(c, NULL);
    ree_csv_end_row(c);
    ree_csv_str(c, "\"");
    ree_csv_num(c, NAN);
    ree_csv_end_row(c);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    snprintf(path, sizeof path, "%s/q.csv", dir);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "entity,note\n"
                             "us_cars,plain text; no specials\n"
                             "\"Dy, Tb oxides\",\"the \"\"London\"\" framework\"\n"
                             "\"two\nlines\",\"cr\r\"\n"
                             ",\n"
                             "\"\"\"\",\n");
}

/* Integers as "%lld" writes them, at the extremes too. */
static void test_csv_int(void **state)
{
    (void)state;
    char dir[128], path[192], got[512], err[256], want[512];
    snprintf(dir, sizeof dir, "%s/ints", base);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"n"};
    ree_csv *c = ree_outset_csv(s, "i.csv", cols, 1, &st);
    assert_non_null(c);
    static const long long v[] = {0, 7, -7, 10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    snprintf(want, sizeof want, "n\n");
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ree_csv_int(c, v[i]);
        ree_csv_end_row(c);
        snprintf(want + strlen(want), sizeof want - strlen(want), "%lld\n", v[i]);
    }
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    snprintf(path, sizeof path, "%s/i.csv", dir);
    slurp(path, got, sizeof got);
    assert_string_equal(got, want);
}

/* Rows of a runs.csv-like file: quoting, numbers and integers, well over one 64 KiB chunk. */
static void gz_rows(ree_csv *c, int n)
{
    for (int i = 0; i < n; i++) {
        ree_csv_str(c, i % 7 ? "chain" : "a \"quoted\", name");
        ree_csv_int(c, i);
        ree_csv_num(c, sin(i) * 1e6);
        ree_csv_end_row(c);
    }
}

/* Write runs.csv (plain) or runs.csv.gz and an empty meta.json into the folder `dir`; commit. */
static void gz_set(const char *dir, int gz, int n)
{
    char err[256];
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"scenario", "run", "value"};
    ree_csv *c = gz ? ree_outset_csv_gz(s, "runs.csv.gz", cols, 3, &st)
                    : ree_outset_csv(s, "runs.csv", cols, 3, &st);
    assert_non_null(c);
    gz_rows(c, n);
    assert_non_null(ree_outset_file(s, "meta.json", &st));
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t k;
    while ((k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap)
            b = realloc(b, cap *= 2);
        assert_non_null(b);
    }
    fclose(f);
    *len = n;
    return b;
}

/* runs.csv.gz holds exactly the text runs.csv would, in a gzip stream whose bytes depend on
 * nothing but the text: no name, zero time stamp, the same bytes when written again. */
static void test_csv_gz(void **state)
{
    (void)state;
    char d1[128], d2[128], d3[128], path[192];
    snprintf(d1, sizeof d1, "%s/gzplain", base);
    snprintf(d2, sizeof d2, "%s/gz1", base);
    snprintf(d3, sizeof d3, "%s/gz2", base);
    gz_set(d1, 0, 20000);
    gz_set(d2, 1, 20000);
    sleep(1); /* a time stamp, if one were written, would now differ */
    gz_set(d3, 1, 20000);
    size_t np, n1, n2;
    snprintf(path, sizeof path, "%s/runs.csv", d1);
    char *plain = read_all(path, &np);
    snprintf(path, sizeof path, "%s/runs.csv.gz", d2);
    char *z1 = read_all(path, &n1);
    snprintf(path, sizeof path, "%s/runs.csv.gz", d3);
    char *z2 = read_all(path, &n2);
    assert_true(np > 3 * 65536);
    assert_true(n1 > 10 && n1 < np / 2);
    unsigned char *h = (unsigned char *)z1;
    assert_int_equal(h[0], 0x1f); /* gzip magic */
    assert_int_equal(h[1], 0x8b);
    assert_int_equal(h[2], 8);                      /* deflate */
    assert_int_equal(h[3], 0);                      /* no name, comment or extra field */
    assert_int_equal(h[4] | h[5] | h[6] | h[7], 0); /* time stamp 0 */
    assert_int_equal(n1, n2);
    assert_memory_equal(z1, z2, n1);
    gzFile g = gzopen(path, "rb");
    assert_non_null(g);
    char *text = malloc(np + 16);
    assert_non_null(text);
    int got = gzread(g, text, (unsigned)(np + 16));
    gzclose(g);
    assert_int_equal(got, (int)np);
    assert_memory_equal(text, plain, np);
    free(text);
    free(plain);
    free(z1);
    free(z2);
    gz_set(d2, 1, 10); /* a folder holding runs.csv.gz is a reesim output folder */
}

/* A write error of the compressed file is reported at commit, naming runs.csv.gz and the reason;
 * the old set stays. */
static void test_csv_gz_write_error(void **state)
{
    (void)state;
    char dir[128], got[512], err[256], want[256];
    snprintf(dir, sizeof dir, "%s/gzfull", base);
    assert_int_equal(write_set(dir, "old", err, sizeof err), REE_OK);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"scenario", "run", "value"};
    ree_csv *c = ree_outset_csv_gz(s, "runs.csv.gz", cols, 3, &st);
    assert_non_null(c);
    struct file_limit fl = limit_file_size(1024);
    gz_rows(c, 5000);
    int rc = ree_outset_commit(s, err, sizeof err);
    restore_file_size(&fl);
    assert_int_equal(rc, REE_EIO);
    snprintf(want, sizeof want, "cannot write '%s/runs.csv.gz': %s", dir, strerror(EFBIG));
    assert_string_equal(err, want);
    ree_outset_free(s);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");
}

/* meta.json and the resolved scenario are printed with fprintf by writers that see only ferror
 * at the end: a failed write of one must name it with the errno of that write, whatever errno
 * holds by the time the set is checked (as ree_cli_finish_set does after a writer's REE_EIO) or
 * committed. (This passes on the code before the text went through memory too, where the check's
 * flush of the file happened to fail again with EFBIG; tests/cli/disk_full.sh's resolved case is
 * the one that failed there.) */
static void plain_file_error(const char *name, int resolved)
{
    char dir[128], got[512], err[256], want[256];
    snprintf(dir, sizeof dir, "%s/plainfull-%d", base, resolved);
    assert_int_equal(write_set(dir, "old", err, sizeof err), REE_OK);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const cols[] = {"scenario", "step", "mean"};
    ree_csv *c = ree_outset_csv(s, "summary.csv", cols, 3, &st);
    assert_non_null(c);
    ree_csv_str(c, "new");
    ree_csv_end_row(c);
    FILE *f = ree_outset_file(s, name, &st);
    assert_non_null(f);
    ree_plan *p = NULL;
    if (resolved) {
        ree_diag *d = ree_diag_alloc(0);
        p = ree_plan_load(REESIM_SOURCE_DIR "/tests/golden/golden.yaml", d, &st);
        ree_diag_free(d);
        assert_non_null(p);
    }
    struct file_limit fl = limit_file_size(2048); /* the text is larger, summary.csv smaller */
    if (resolved) {
        ree_run_info info = {.command = "run", .seed = 7, .nruns = 64, .threads = 1};
        st = ree_output_resolved(p, &info, f);
    } else {
        char note[20000];
        memset(note, 'x', sizeof note - 1);
        note[sizeof note - 1] = 0;
        const char *keys[] = {"note"}, *vals[] = {note};
        st = ree_output_meta_plain("discover", keys, vals, 1, 0.0, 1.0, f);
    }
    errno = ENOENT; /* what a call since, a failed stat say, left behind */
    int rc =
        st == REE_OK ? ree_outset_commit(s, err, sizeof err) : ree_outset_check(s, err, sizeof err);
    restore_file_size(&fl);
    assert_int_equal(rc, REE_EIO);
    snprintf(want, sizeof want, "cannot write '%s/%s': %s", dir, name, strerror(EFBIG));
    assert_string_equal(err, want);
    ree_outset_free(s);
    ree_plan_free(p);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");
}

static void test_meta_write_error(void **state)
{
    (void)state;
    plain_file_error("meta.json", 0);
}

static void test_resolved_write_error(void **state)
{
    (void)state;
    plain_file_error("scenario.resolved.yaml", 1);
}

/* Many plain files in one set, as `compare` writes one resolved scenario for each of up to 64
 * cases: each file's memory stream keeps the addresses of its buffer and length until commit
 * closes it, so opening more files must not move them. Before, the set's files were one array
 * grown by realloc past 8, and glibc stored into the freed array at the next flush or close: the
 * first files came out empty (ASan: heap-use-after-free). Text goes into each file both before
 * and after the later files are opened, with CSV files among them, and every file's bytes are
 * checked after commit. */
static void test_many_plain_files(void **state)
{
    (void)state;
    enum { NFILES = 40 };
    char dir[128], name[64], path[256], want[128], got[256], err[256];
    snprintf(dir, sizeof dir, "%s/many", base);
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    FILE *f[NFILES];
    static const char *const cols[] = {"scenario"};
    for (int i = 0; i < NFILES; i++) {
        snprintf(name, sizeof name, "s%02d.resolved.yaml", i);
        f[i] = ree_outset_file(s, name, &st);
        assert_non_null(f[i]);
        assert_int_equal(st, REE_OK);
        fprintf(f[i], "name: s%02d\n", i);
        assert_int_equal(fflush(f[i]), 0); /* the stream stores its buffer's address now */
        if (i % 7 == 3) {
            snprintf(name, sizeof name, "c%02d.csv", i);
            ree_csv *c = ree_outset_csv(s, name, cols, 1, &st);
            assert_non_null(c);
            ree_csv_int(c, i);
            ree_csv_end_row(c);
        }
    }
    for (int i = 0; i < NFILES; i++)
        fprintf(f[i], "runs: %d\n", 100 + i);
    assert_int_equal(ree_outset_check(s, err, sizeof err), REE_OK);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "%s/s%02d.resolved.yaml", dir, i);
        slurp(path, got, sizeof got);
        snprintf(want, sizeof want, "name: s%02d\nruns: %d\n", i, 100 + i);
        assert_string_equal(got, want);
        if (i % 7 == 3) {
            snprintf(path, sizeof path, "%s/c%02d.csv", dir, i);
            slurp(path, got, sizeof got);
            snprintf(want, sizeof want, "scenario\n%d\n", i);
            assert_string_equal(got, want);
        }
    }
}

static void check_numbers(void)
{
    char b[32];
    assert_string_equal(ree_format_num(b, sizeof b, 2.385), "2.385");
    assert_string_equal(ree_format_num(b, sizeof b, 0.1), "0.1");
    assert_string_equal(ree_format_num(b, sizeof b, -17500.25), "-17500.25");
    assert_string_equal(ree_format_num(b, sizeof b, 1.0 / 3.0), "0.3333333333");
    assert_string_equal(ree_format_num(b, sizeof b, 2.0 / 3.0), "0.6666666667");
    assert_string_equal(ree_format_num(b, sizeof b, 310.0), "310");
    assert_string_equal(ree_format_num(b, sizeof b, 1e21), "1e+21");
    assert_string_equal(ree_format_num(b, sizeof b, 1.5e-7), "1.5e-07");
    assert_string_equal(ree_format_num(b, sizeof b, 12345678901.0), "1.23456789e+10");
    assert_string_equal(ree_format_num(b, sizeof b, 0.0), "0");
    assert_string_equal(ree_format_num(b, sizeof b, -0.0), "0");
    assert_string_equal(ree_format_num(b, sizeof b, NAN), "");
    assert_string_equal(ree_format_num(b, sizeof b, INFINITY), "inf");
    assert_string_equal(ree_format_num(b, sizeof b, -INFINITY), "-inf");
    /* The exact form: ree_format_num's text when it reads back as the value, else the fewest
     * digits up to 17 that do (a sweep's inputs). */
    assert_string_equal(ree_format_num_exact(b, sizeof b, 0.5), "0.5");
    assert_string_equal(ree_format_num_exact(b, sizeof b, 0.1 + 0.4 * 1 / 3),
                        "0.23333333333333334");
    assert_string_equal(ree_format_num_exact(b, sizeof b, 0.1 + 0.4 * 3 / 3), "0.5000000000000001");
    assert_string_equal(ree_format_num_exact(b, sizeof b, 1.0 / 3.0), "0.3333333333333333");
    assert_string_equal(ree_format_num_exact(b, sizeof b, 1e21), "1e+21");
    assert_string_equal(ree_format_num_exact(b, sizeof b, -0.0), "0");
    assert_string_equal(ree_format_num_exact(b, sizeof b, NAN), "");
}

/* ree_format_num_exact reads back as the very value (strtod, C locale). */
static void test_number_exact_reads_back(void **state)
{
    (void)state;
    char b[32];
    for (int t = 1; t < 4000; t++) {
        double x = (t % 2 ? 1 : -1) * t * 0.0123456789 / 7 * pow(10, t % 41 - 20);
        assert_true(strtod(ree_format_num_exact(b, sizeof b, x), NULL) == x);
    }
}

static void test_number_format(void **state)
{
    (void)state;
    check_numbers();
}

/* ree_format_num has its own %.10g (fast_g10 in g10.c, exact 128-bit arithmetic) and asks
 * snprintf only at an exact rounding tie or where its products would pass 128 bits (|x| outside
 * about 1e-13 to 1e37): its bytes must be snprintf's "%.10g" (C locale) for every finite non-zero
 * double. Checked
 * on edge values (powers of ten and their neighbours, exact ties, the style e/f boundaries at
 * 1e-4 and 1e10, rounding up to the next power, subnormals, the extremes) and 400,000 values of
 * random bits, decimals, near ties, integers and log-uniform magnitudes (10^8 such values agreed,
 * bench/HISTORY.md). */
static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void same_as_printf(double x)
{
    char got[32], want[64];
    ree_format_num(got, sizeof got, x);
    snprintf(want, sizeof want, "%.10g", x);
    if (strcmp(got, want)) {
        print_error("%.17g: got \"%s\", snprintf \"%s\"\n", x, got, want);
        fail();
    }
}

static void test_number_format_matches_printf(void **state)
{
    (void)state;
    assert_non_null(setlocale(LC_NUMERIC, "C"));
    static const double edge[] = {1234567890.5,
                                  1234567891.5,
                                  9999999999.5,
                                  9999999999.4,
                                  9999999999.6,
                                  99999999995.0,
                                  99999999994.0,
                                  0.0001,
                                  0.00009999999999,
                                  0.000099999999995,
                                  0.00099999999995,
                                  1e-5,
                                  1e10,
                                  1e9,
                                  999999999.95,
                                  0.5,
                                  0.05,
                                  2.5e-300,
                                  1e300,
                                  5e-324,
                                  2.2250738585072014e-308,
                                  1.7976931348623157e308,
                                  123456789012345678.0,
                                  1e-17,
                                  1e-18,
                                  1e26,
                                  1e27,
                                  1e28,
                                  0.1 + 0.2,
                                  1.0 / 3.0,
                                  100.0 / 7.0,
                                  4503599627370496.5,
                                  9999999999.0, /* whole numbers: their own path below 1e10 */
                                  42.0,
                                  1.0,
                                  1.2345678905e-13, /* about where 10^22 f stops fitting */
                                  9.99999999949e-14,
                                  1.00000000005e-13,
                                  1.2345678915e37, /* about where f 2^e stops fitting */
                                  1.7e38,
                                  0.12345678905, /* decimal near-ties both ways */
                                  1234567.8905,
                                  0.30000000005};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        same_as_printf(edge[i]);
        same_as_printf(-edge[i]);
        same_as_printf(nextafter(edge[i], 0));
        same_as_printf(nextafter(edge[i], INFINITY));
    }
    for (int e = -40; e <= 40; e++) {
        double p = pow(10, e);
        same_as_printf(p);
        same_as_printf(nextafter(p, 0));
        same_as_printf(nextafter(p, INFINITY));
        same_as_printf(p * 9.9999999995);
        same_as_printf(p * 1.0000000005);
    }
    uint64_t st = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 400000; i++) {
        uint64_t r = xorshift(&st), r2 = xorshift(&st);
        double x;
        switch (i % 6) {
        case 0: /* any finite double */
            memcpy(&x, &r, sizeof x);
            if (!isfinite(x) || x == 0)
                continue;
            break;
        case 1: /* decimals: an integer of up to 11 digits over a power of ten */
            x = (double)(r % 100000000000ULL) / pow(10, (int)(r2 % 22));
            break;
        case 2: /* near a tie at the 10th digit */
            x = ((double)(r % 20000000001ULL) + 0.5) * pow(10, (int)(r2 % 30) - 15);
            break;
        case 3: /* integers */
            x = (double)(int64_t)(r % 200000000001ULL) - 100000000000.0;
            break;
        case 4: /* log-uniform over 10^-17 .. 10^17 */
            x = exp(((double)(r >> 11) / 9007199254740992.0 - 0.5) * 78.3);
            break;
        default: /* eighths, as model outputs often are */
            x = (double)(r % 100000) / 8.0 - 5000.0;
        }
        if (x != 0)
            same_as_printf(x);
    }
}

/* Under a locale whose decimal point is ',' the output is unchanged. */
static void test_number_format_locale(void **state)
{
    (void)state;
    static const char *const locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                                          "nl_NL.UTF-8"};
    const char *used = NULL;
    for (size_t i = 0; i < sizeof locales / sizeof locales[0] && !used; i++)
        if (setlocale(LC_NUMERIC, locales[i]))
            used = locales[i];
    if (!used) {
        skip(); /* no locale with a ',' decimal point is installed */
        return;
    }
    char b[32];
    snprintf(b, sizeof b, "%.1f", 2.5);
    assert_string_equal(b, "2,5"); /* the locale is really in effect */
    check_numbers();
    setlocale(LC_NUMERIC, "C");
}

/* Rows formatted into memory CSVs (as threads do) and flushed in order give the same bytes as
 * rows written straight into the file, for a plain and a gzip CSV; a flush empties the memory
 * CSV, and quoting, NaN, -0 and integers go through unchanged. */
static void write_rows_direct(ree_csv *c, int from, int to)
{
    for (int r = from; r < to; r++) {
        ree_csv_str(c, r % 3 ? "plain" : "needs, \"quotes\"");
        ree_csv_int(c, -r);
        ree_csv_num(c, r % 5 ? r * 0.1 : (r % 2 ? NAN : -0.0));
        ree_csv_end_row(c);
    }
}

/* ree_csv_text: fields quoted once (in a memory CSV) and repeated give the bytes of writing them
 * field by field, as runs.csv's rows do (engine/sim/mc.c). */
static void test_csv_text(void **state)
{
    (void)state;
    static const char *const names[] = {"plain", "with, comma", "with \"quote\"", "line\nbreak",
                                        ""};
    enum { N = sizeof names / sizeof *names };
    ree_csv *direct = ree_csv_mem_alloc(), *viatext = ree_csv_mem_alloc(), *t = ree_csv_mem_alloc();
    assert_true(direct && viatext && t);
    size_t at[N + 1] = {0};
    for (int k = 0; k < N; k++) {
        ree_csv_str(t, names[k]);
        ree_csv_str(t, names[(k + 1) % N]);
        ree_csv_end_row(t);
        (void)ree_csv_mem_bytes(t, &at[k + 1]);
    }
    assert_false(ree_csv_mem_lost(t));
    size_t len;
    const char *text = ree_csv_mem_bytes(t, &len);
    for (int run = 0; run < 3; run++)
        for (int k = 0; k < N; k++) {
            ree_csv_int(direct, run);
            ree_csv_str(direct, names[k]);
            ree_csv_str(direct, names[(k + 1) % N]);
            ree_csv_num(direct, run + 0.25 * k);
            ree_csv_end_row(direct);
            ree_csv_int(viatext, run);
            ree_csv_text(viatext, text + at[k], at[k + 1] - at[k] - 1);
            ree_csv_num(viatext, run + 0.25 * k);
            ree_csv_end_row(viatext);
        }
    size_t n1, n2;
    const char *b1 = ree_csv_mem_bytes(direct, &n1), *b2 = ree_csv_mem_bytes(viatext, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    assert_non_null(strstr(b1, "0,\"with, comma\",\"with \"\"quote\"\"\",0.25\n"));
    ree_csv_mem_free(direct);
    ree_csv_mem_free(viatext);
    ree_csv_mem_free(t);
    /* An empty first field into a fresh memory CSV copies nothing (no memcpy from or to NULL:
     * UBSan in `make check-asan`). */
    ree_csv *e = ree_csv_mem_alloc();
    assert_non_null(e);
    ree_csv_str(e, "");
    ree_csv_text(e, "", 0);
    ree_csv_end_row(e);
    const char *eb = ree_csv_mem_bytes(e, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(eb, ",\n", 2);
    ree_csv_mem_free(e);
}

static void test_csv_memory_rows(void **state)
{
    (void)state;
    char dir[128], err[256], path[192];
    static char direct[65536], viamem[65536];
    static const char *const cols[] = {"name", "run", "value"};
    for (int gz = 0; gz < 2; gz++) {
        const char *name = gz ? "rows.csv.gz" : "rows.csv";
        for (int mode = 0; mode < 2; mode++) {
            snprintf(dir, sizeof dir, "%s/mem%d%d", base, gz, mode);
            ree_status st = REE_OK;
            ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
            assert_non_null(s);
            ree_csv *c = gz ? ree_outset_csv_gz(s, name, cols, 3, &st)
                            : ree_outset_csv(s, name, cols, 3, &st);
            assert_non_null(c);
            if (mode == 0) {
                write_rows_direct(c, 0, 900);
            } else { /* two "threads": chunks 0..299 and 300..599 formatted before either is
                        written, then 600..899, flushed in chunk order */
                ree_csv *m1 = ree_csv_mem_alloc(), *m2 = ree_csv_mem_alloc();
                assert_true(m1 && m2);
                write_rows_direct(m2, 300, 600);
                write_rows_direct(m1, 0, 300);
                assert_int_equal(ree_csv_mem_flush(m1, c), 0);
                assert_int_equal(ree_csv_mem_flush(m2, c), 0);
                assert_int_equal(ree_csv_mem_flush(m2, c), 0); /* empty now: writes nothing */
                write_rows_direct(m1, 600, 900);
                assert_int_equal(ree_csv_mem_flush(m1, c), 0);
                ree_csv_mem_free(m1);
                ree_csv_mem_free(m2);
                ree_csv_mem_free(NULL);
            }
            assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
            ree_outset_free(s);
            snprintf(path, sizeof path, "%s/%s", dir, name);
            FILE *f = fopen(path, "rb");
            assert_non_null(f);
            char *out = mode ? viamem : direct;
            size_t n = fread(out, 1, sizeof direct - 1, f);
            fclose(f);
            assert_true(n > 0 && n < sizeof direct - 1);
            out[n] = '\0';
            if (mode == 1)
                assert_memory_equal(direct, viamem, n + 1);
        }
    }
}

/* Gzip members (as threads and MPI ranks compress runs.csv rows): a gzip CSV made of the header,
 * members and text between them reads back (zlib, which reads every member) as the text written
 * straight; members travel as bytes (ree_csv_mem_bytes, ree_csv_mem_set); a member cannot go into
 * a plain CSV nor be deflated twice; the file does not end with an empty member. */
static void test_csv_gz_members(void **state)
{
    (void)state;
    char dir[128], err[256], path[192];
    static char direct[65536];
    static const char *const cols[] = {"name", "run", "value"};
    /* The text, written straight into a plain CSV. */
    snprintf(dir, sizeof dir, "%s/members-plain", base);
    ree_status st = REE_OK;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    ree_csv *c = ree_outset_csv(s, "rows.csv", cols, 3, &st);
    assert_non_null(c);
    write_rows_direct(c, 0, 900);
    ree_csv *m = ree_csv_mem_alloc();
    assert_non_null(m);
    write_rows_direct(m, 0, 10);
    assert_int_equal(ree_csv_mem_deflate(m), 0);
    assert_int_equal(ree_csv_mem_deflate(m), -1);  /* a member already */
    assert_int_equal(ree_csv_mem_flush(m, c), -1); /* not into a plain CSV */
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    size_t np;
    char *plain = read_all(path, &np);
    assert_true(np < sizeof direct);
    memcpy(direct, plain, np);
    free(plain);
    /* The same text as header, member (0..299), text (300..599), member (600..899, shipped). */
    snprintf(dir, sizeof dir, "%s/members-gz", base);
    s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    c = ree_outset_csv_gz(s, "rows.csv.gz", cols, 3, &st);
    assert_non_null(c);
    ree_csv *m2 = ree_csv_mem_alloc();
    assert_non_null(m2);
    write_rows_direct(m, 0, 300);
    assert_int_equal(ree_csv_mem_deflate(m), 0);
    assert_int_equal(ree_csv_mem_flush(m, c), 0);
    write_rows_direct(c, 300, 600);
    write_rows_direct(m, 600, 900);
    assert_int_equal(ree_csv_mem_deflate(m), 0);
    size_t len;
    const void *bytes = ree_csv_mem_bytes(m, &len);
    assert_true(len > 18);
    assert_int_equal(ree_csv_mem_set(m2, bytes, len, 1), 0);
    ree_csv_mem_clear(m);
    assert_int_equal(ree_csv_mem_flush(m2, c), 0);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    ree_csv_mem_free(m);
    ree_csv_mem_free(m2);
    snprintf(path, sizeof path, "%s/rows.csv.gz", dir);
    size_t nz;
    char *z = read_all(path, &nz);
    /* Four members (header, 0..299, 300..599, 600..899): four gzip headers, none empty at the end
     * (an empty member is 20 bytes: it would end with 8 zero bytes of CRC and length). */
    int members = 0;
    for (size_t i = 0; i + 3 < nz; i++)
        members += (unsigned char)z[i] == 0x1f && (unsigned char)z[i + 1] == 0x8b &&
                   z[i + 2] == 8 && z[i + 3] == 0;
    assert_true(members >= 4);
    static const char zero8[8] = {0};
    assert_true(nz > 8 && memcmp(z + nz - 8, zero8, 8) != 0);
    free(z);
    gzFile g = gzopen(path, "rb");
    assert_non_null(g);
    char *text = malloc(np + 16);
    assert_non_null(text);
    int got = gzread(g, text, (unsigned)(np + 16));
    gzclose(g);
    assert_int_equal(got, (int)np);
    assert_memory_equal(text, direct, np);
    free(text);
}

/* Wait (up to 10 s) until c's background thread has made `n` fdatasync calls. */
static void wait_syncs(const ree_csv *c, long n)
{
    for (int i = 0; i < 10000 && ree_csv_syncs(c) < n; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_true(ree_csv_syncs(c) >= n);
}

static int reset_sync(void **state)
{
    (void)state;
    ree_csv_set_sync(0, 0);
    return 0;
}

/* A large file gets a thread that fdatasyncs it while it is written (here every 4 KiB instead of
 * 64 MiB): asked at a writeback hint of ree_csv_mem_flush and at ree_csv_writeback, for a plain
 * and a gzip CSV alike; the committed files are complete and the same bytes as without. A small
 * file makes no thread. */
/* A set at `dir` with one CSV of `rows` rows (runs.csv, or runs.csv.gz when `gz`) whose syncer
 * has made at least one fdatasync, and a meta.json: ready to be checked or committed. */
static ree_outset *synced_set(const char *dir, int gz, int rows)
{
    static const char *const cols[] = {"scenario", "run", "value"};
    char err[256];
    ree_status st;
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    ree_csv *c = gz ? ree_outset_csv_gz(s, "runs.csv.gz", cols, 3, &st)
                    : ree_outset_csv(s, "runs.csv", cols, 3, &st);
    assert_non_null(c);
    gz_rows(c, rows);
    ree_csv_writeback(c);
    wait_syncs(c, 1);
    assert_non_null(ree_outset_file(s, "meta.json", &st));
    return s;
}

static void test_background_sync(void **state)
{
    (void)state;
    char dir[128], path[512], err[256];
    static char field[1000];
    memset(field, 'x', sizeof field);
    ree_status st;
    static const char *const cols[] = {"scenario", "run", "value"};

    /* Without the hook, below 64 MiB: no thread. */
    snprintf(dir, sizeof dir, "%s/nosync", base);
    ree_outset *s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    ree_csv *c = ree_outset_csv_gz(s, "runs.csv.gz", cols, 3, &st);
    assert_non_null(c);
    gz_rows(c, 20000);
    ree_csv_writeback(c);
    assert_non_null(ree_outset_file(s, "meta.json", &st));
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    assert_int_equal(ree_csv_syncs(c), 0);
    ree_outset_free(s);

    if (ree_csv_set_sync(4096, 0) != 0)
        skip(); /* no fdatasync here */

    /* Blocks of rows as runs.csv gets them: the first hint (past 8 MiB) starts the thread. */
    snprintf(dir, sizeof dir, "%s/bgsync", base);
    s = ree_outset_open(dir, &st, err, sizeof err);
    assert_non_null(s);
    static const char *const v[] = {"v"};
    ree_csv *m = ree_csv_mem_alloc();
    c = ree_outset_csv(s, "runs.csv", v, 1, &st);
    assert_true(c && m);
    for (int b = 0; b < 9; b++) {
        for (int i = 0; i < 1000; i++) {
            field[0] = (char)('a' + b);
            ree_csv_text(m, field, sizeof field);
            ree_csv_end_row(m);
        }
        assert_int_equal(ree_csv_mem_flush(m, c), 0);
    }
    wait_syncs(c, 1);
    ree_csv_writeback(c); /* nothing since that hint: no more */
    ree_csv_str(c, "tail");
    ree_csv_end_row(c);
    ree_csv_writeback(c); /* one more, for the tail */
    wait_syncs(c, 2);
    assert_non_null(ree_outset_file(s, "meta.json", &st));
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_csv_mem_free(m);
    ree_outset_free(s);
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    assert_int_equal(file_size(path), 2 + 9 * 1001000 + 5);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char line[1100];
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "v\n");
    for (int r = 0; r < 9000; r++) {
        assert_non_null(fgets(line, sizeof line, in));
        assert_int_equal(strlen(line), 1001);
        assert_int_equal(line[0], 'a' + r / 1000);
    }
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "tail\n");
    assert_null(fgets(line, sizeof line, in));
    fclose(in);

    /* A gzip CSV written row by row: ree_csv_writeback starts the thread; the same bytes as the
     * set written without it. */
    snprintf(dir, sizeof dir, "%s/bgsyncgz", base);
    s = synced_set(dir, 1, 20000);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    size_t n1, n2;
    snprintf(path, sizeof path, "%s/nosync/runs.csv.gz", base);
    char *z1 = read_all(path, &n1);
    snprintf(path, sizeof path, "%s/runs.csv.gz", dir);
    char *z2 = read_all(path, &n2);
    assert_true(n1 > 4096);
    assert_int_equal(n1, n2);
    assert_memory_equal(z1, z2, n1);
    free(z1);
    free(z2);
    ree_csv_set_sync(0, 0);
}

/* The background fdatasync fails (injected EIO: the fsync at commit would no longer see a real
 * one): ree_outset_check and commit report it, naming the file; the old set stays. EINVAL (a
 * file that cannot be synced) is no error, as for commit's fsync. A set freed or aborted with its
 * thread running joins it (no thread outlives its file; ASan/LSan would see a leak). */
static void test_background_sync_error(void **state)
{
    (void)state;
    char dir[128], got[512], err[256], want[256], path[256];
    snprintf(dir, sizeof dir, "%s/syncfail", base);
    assert_int_equal(write_set(dir, "old", err, sizeof err), REE_OK);
    if (ree_csv_set_sync(4096, EIO) != 0)
        skip();
    ree_outset *s = synced_set(dir, 0, 2000);
    snprintf(want, sizeof want, "cannot write '%s/runs.csv': %s", dir, strerror(EIO));
    assert_int_equal(ree_outset_check(s, err, sizeof err), REE_EIO);
    assert_string_equal(err, want);
    err[0] = '\0';
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_EIO);
    assert_string_equal(err, want);
    ree_outset_free(s);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "scenario,step,mean\nold\n");
    listing(base, got, sizeof got);
    assert_null(strstr(got, ".syncfail.tmp."));

    /* A gzip CSV alike. */
    s = synced_set(dir, 1, 20000);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_EIO);
    snprintf(want, sizeof want, "cannot write '%s/runs.csv.gz': %s", dir, strerror(EIO));
    assert_string_equal(err, want);
    ree_outset_free(s);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json summary.csv");

    /* Freed, and aborted, while the thread may be syncing or waiting. */
    for (int abort_first = 0; abort_first < 2; abort_first++) {
        static const char *const cols[] = {"scenario", "run", "value"};
        ree_status st;
        s = ree_outset_open(dir, &st, err, sizeof err);
        assert_non_null(s);
        ree_csv *c = ree_outset_csv(s, "runs.csv", cols, 3, &st);
        assert_non_null(c);
        gz_rows(c, 2000);
        ree_csv_writeback(c);
        if (abort_first)
            ree_outset_abort(s);
        ree_outset_free(s);
        listing(dir, got, sizeof got);
        assert_string_equal(got, "meta.json summary.csv");
    }
    listing(base, got, sizeof got);
    assert_null(strstr(got, ".syncfail.tmp."));

    /* EINVAL: no sync on this file, no error. */
    assert_int_equal(ree_csv_set_sync(4096, EINVAL), 0);
    s = synced_set(dir, 0, 2000);
    assert_int_equal(ree_outset_commit(s, err, sizeof err), REE_OK);
    ree_outset_free(s);
    listing(dir, got, sizeof got);
    assert_string_equal(got, "meta.json runs.csv");
    ree_csv_set_sync(0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_renames_all),
        cmocka_unit_test(test_number_exact_reads_back),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_cannot_create_directory),
        cmocka_unit_test(test_write_error_on_commit),
        cmocka_unit_test(test_replaces_whole_set),
        cmocka_unit_test(test_refuses_foreign_target),
        cmocka_unit_test(test_symlink_not_followed),
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_int),
        cmocka_unit_test(test_csv_gz),
        cmocka_unit_test(test_csv_gz_write_error),
        cmocka_unit_test(test_meta_write_error),
        cmocka_unit_test(test_resolved_write_error),
        cmocka_unit_test(test_many_plain_files),
        cmocka_unit_test(test_number_format),
        cmocka_unit_test(test_number_format_matches_printf),
        cmocka_unit_test(test_csv_memory_rows),
        cmocka_unit_test(test_csv_text),
        cmocka_unit_test(test_csv_gz_members),
        cmocka_unit_test(test_csv_writeback),
        cmocka_unit_test(test_mem_flush_writeback),
        cmocka_unit_test(test_number_format_locale),
        cmocka_unit_test_teardown(test_background_sync, reset_sync),
        cmocka_unit_test_teardown(test_background_sync_error, reset_sync),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
