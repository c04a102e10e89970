/*
 * CSV files of an output set (outfile.c) and in memory: RFC 4180 quoting, locale-free numbers
 * (g10.c), plain or gzip-compressed text, the text of several threads merged in order through
 * memory CSVs, and the writeback of a large file started as it is written (with syncer.c).
 */
#define _GNU_SOURCE /* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "outfile.h"
#include "outfile_priv.h"
#include "syncer.h"

/* A file written through ree_csv_mem_flush (runs.csv: whole blocks of rows) has its writeback
 * started every WRITEBACK_STEP bytes, so the disk works while the runs go on and the last hint,
 * ree_csv_writeback, has only the tail left: on the gate example at -j2 (40,000 runs, 138 MB) one
 * hint over the whole file blocked the main thread 55 ms after the last run (strace -T), with the
 * other thread idle (perf). */
#define WRITEBACK_STEP ((off_t)8 << 20)

/* Keep the reason of c's first failed write for commit's message: stdio keeps only the error
 * flag, and glibc drops the buffer of a failed write, so commit's fflush succeeds with errno
 * untouched and could only say EIO ("Input/output error") for a full disk. */
static void csv_write_failed(ree_csv *c)
{
    if (!c->werr)
        c->werr = errno ? errno : EIO;
}

/* Deflate `n` bytes of `c->buf` (all of it) into the file with `flush` (Z_NO_FLUSH or Z_FINISH).
 * Output goes through fwrite: a write error sticks to the FILE. */
void ree_csv_gz_deflate(ree_csv *c, int flush)
{
    if (c->zerr || c->finished)
        return;
    c->zin |= c->len > 0;
    c->z->next_in = c->buf;
    c->z->avail_in = (uInt)c->len;
    int rc;
    do {
        c->z->next_out = c->zout;
        c->z->avail_out = REE_GZ_CHUNK;
        rc = deflate(c->z, flush);
        if (rc == Z_STREAM_ERROR) {
            c->zerr = 1;
            return;
        }
        size_t have = REE_GZ_CHUNK - c->z->avail_out;
        if (have && fwrite(c->zout, 1, have, c->f) != have) {
            csv_write_failed(c); /* the error stays on the FILE; its reason here */
            break;
        }
    } while (c->z->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    c->len = 0;
    if (flush == Z_FINISH) {
        c->finished = 1;
        c->zin = 0;
    }
}

/* A whole gzip member (ree_csv_mem_deflate) appended to gzip CSV c: the text before it ends as a
 * member of its own, then the member's bytes go to the file as they are. */
static void gz_append_member(ree_csv *c, const unsigned char *p, size_t n)
{
    if (c->zerr)
        return;
    if (c->len || c->zin) {
        ree_csv_gz_deflate(c, Z_FINISH);
        if (deflateReset(c->z) != Z_OK) {
            c->zerr = 1;
            return;
        }
        c->finished = 0;
    }
    if (n && fwrite(p, 1, n, c->f) != n)
        csv_write_failed(c); /* the error stays on the FILE; its reason here */
}

void ree_csv_free(ree_csv *c)
{
    if (!c)
        return;
    ree_csv_sync_stop(c);
    free(c->sync);
    if (c->z) {
        deflateEnd(c->z);
        free(c->z);
    }
    free(c->buf);
    free(c->zout);
    free(c);
}

/* Grow a memory CSV's buffer (doubling) to hold n more bytes. Returns 0, or -1 with merr set. */
static int mem_grow(ree_csv *c, size_t n)
{
    size_t cap = c->mcap ? c->mcap : 4096;
    while (cap - c->len < n)
        cap *= 2;
    unsigned char *b = realloc(c->buf, cap);
    if (!b) {
        c->merr = 1;
        return -1;
    }
    c->buf = b;
    c->mcap = cap;
    return 0;
}

/* Room for n more bytes at the end of a memory CSV's text, or NULL when it cannot grow (merr
 * set): the callers write there and add what they wrote to len, so that a short field is not
 * copied twice (runs.csv's rows are five fields of a few bytes each). */
static inline unsigned char *mem_room(ree_csv *c, size_t n)
{
    if (c->mcap - c->len < n && mem_grow(c, n) != 0)
        return NULL;
    return c->buf + c->len;
}

/* Text into a memory CSV; on failure the text is dropped and merr set. */
static void mem_put(ree_csv *c, const char *p, size_t n)
{
    if (n == 0)
        return; /* nothing to copy (and c->buf may still be NULL) */
    unsigned char *at = mem_room(c, n);
    if (!at)
        return;
    memcpy(at, p, n);
    c->len += n;
}

/* Text into the CSV: straight to the FILE, into the gzip buffer, or into memory. */
static void put_bytes(ree_csv *c, const char *p, size_t n)
{
    if (c->mem) {
        mem_put(c, p, n);
        return;
    }
    if (!c->z) {
        if (fwrite(p, 1, n, c->f) != n)
            csv_write_failed(c);
        return;
    }
    while (n > 0) {
        size_t k = REE_GZ_CHUNK - c->len < n ? REE_GZ_CHUNK - c->len : n;
        memcpy(c->buf + c->len, p, k);
        c->len += k;
        p += k;
        n -= k;
        if (c->len == REE_GZ_CHUNK)
            ree_csv_gz_deflate(c, Z_NO_FLUSH);
    }
}

static inline void put_ch(ree_csv *c, char ch)
{
    unsigned char *at;
    if (c->mem) {
        if ((at = mem_room(c, 1)) != NULL) {
            *at = (unsigned char)ch;
            c->len++;
        }
    } else if (!c->z)
        putc(ch, c->f);
    else if (c->len < REE_GZ_CHUNK - 1)
        c->buf[c->len++] = (unsigned char)ch;
    else
        put_bytes(c, &ch, 1);
}

static inline void put_str(ree_csv *c, const char *s)
{
    if (!c->z && !c->mem)
        fputs(s, c->f);
    else
        put_bytes(c, s, strlen(s));
}

static void field_sep(ree_csv *c)
{
    if (c->row_started)
        put_ch(c, ',');
    c->row_started = 1;
}

void ree_csv_str(ree_csv *c, const char *s)
{
    field_sep(c);
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        put_str(c, s);
        return;
    }
    put_ch(c, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            put_ch(c, '"');
        put_ch(c, *p);
    }
    put_ch(c, '"');
}

void ree_csv_num(ree_csv *c, double x)
{
    char buf[40];
    unsigned char *at;
    field_sep(c);
    if (c->mem) { /* straight into the text */
        if ((at = mem_room(c, sizeof buf)) != NULL)
            c->len += ree_format_num_len((char *)at, sizeof buf, x);
        return;
    }
    put_bytes(c, buf, ree_format_num_len(buf, sizeof buf, x));
}

void ree_csv_num_exact(ree_csv *c, double x)
{
    char buf[40];
    field_sep(c);
    put_bytes(c, buf, ree_format_num_exact_len(buf, sizeof buf, x));
}

void ree_csv_text(ree_csv *c, const char *text, size_t n)
{
    field_sep(c);
    put_bytes(c, text, n);
}

size_t ree_format_int(char *buf, long long x)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (x < 0)
        *--p = '-';
    memcpy(buf, p, (size_t)(e - p));
    return (size_t)(e - p);
}

void ree_csv_int(ree_csv *c, long long x)
{
    char buf[24];
    field_sep(c);
    put_bytes(c, buf, ree_format_int(buf, x));
}

void ree_csv_end_row(ree_csv *c)
{
    put_ch(c, '\n');
    c->row_started = 0;
}

/* Write out stdio's buffer and start the writeback of the file's bytes from c->hinted to its end
 * (all of them when `last`, else only once WRITEBACK_STEP of them are waiting). */
static void start_writeback(ree_csv *c, int last)
{
    off_t at = ftello(c->f);
    if (c->werr || (!last && (at < 0 || at - c->hinted < WRITEBACK_STEP)))
        return;
    errno = 0;
    if (fflush(c->f) != 0) {
        csv_write_failed(c); /* the reason, which commit's flush would not see */
        return;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    /* a hint: errors come at fsync; 0 bytes: to the end of the file */
    sync_file_range(fileno(c->f), c->hinted, 0, SYNC_FILE_RANGE_WRITE);
#endif
    if (at >= 0)
        c->hinted = at;
    /* The disk's cache flush in the background (SYNC_STEP); the last hint of a file that has a
     * syncer asks for one more, for the tail, while the remaining outputs are made. */
    if (at >= 0 && (at - c->synced >= ree_csv_sync_step || (last && c->sync && at > c->synced))) {
        c->synced = at;
        ree_csv_sync_ask(c);
    }
}

void ree_csv_writeback(ree_csv *c)
{
    if (c && !c->mem && c->f)
        start_writeback(c, 1);
}

ree_csv *ree_csv_mem_alloc(void)
{
    ree_csv *c = calloc(1, sizeof *c);
    if (c)
        c->mem = 1;
    return c;
}

void ree_csv_mem_free(ree_csv *c)
{
    if (c && c->mem)
        ree_csv_free(c);
}

void ree_csv_mem_clear(ree_csv *c)
{
    c->len = 0;
    c->merr = 0;
    c->row_started = 0;
    c->member = 0;
}

int ree_csv_mem_flush(ree_csv *mem, ree_csv *dst)
{
    int bad = mem->merr || (mem->member && !dst->z);
    if (!bad && mem->member)
        gz_append_member(dst, mem->buf, mem->len);
    else if (!bad && mem->len)
        put_bytes(dst, (const char *)mem->buf, mem->len);
    ree_csv_mem_clear(mem);
    if (!bad && !dst->mem && dst->f)
        start_writeback(dst, 0);
    return bad ? -1 : 0;
}

int ree_csv_mem_deflate(ree_csv *c)
{
    if (!c->mem || c->merr || c->member)
        return -1;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, REE_GZ_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)c->len);
    unsigned char *out = malloc(bound ? bound : 1);
    int rc = Z_STREAM_ERROR;
    if (out) {
        z.next_in = c->buf;
        z.avail_in = (uInt)c->len;
        z.next_out = out;
        z.avail_out = (uInt)bound;
        rc = deflate(&z, Z_FINISH);
    }
    size_t n = (size_t)z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return -1;
    }
    free(c->buf);
    c->buf = out;
    c->mcap = bound ? bound : 1;
    c->len = n;
    c->member = 1;
    return 0;
}

const void *ree_csv_mem_bytes(const ree_csv *c, size_t *len)
{
    *len = c->len;
    return c->buf;
}

int ree_csv_mem_lost(const ree_csv *c)
{
    return c->merr;
}

int ree_csv_mem_set(ree_csv *c, const void *bytes, size_t len, int member)
{
    ree_csv_mem_clear(c);
    if (len)
        mem_put(c, bytes, len);
    if (c->merr)
        return -1;
    c->member = member != 0;
    return 0;
}
