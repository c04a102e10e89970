/*
 * Serialisation of accumulators and sealed blocks, whole or a range of cells (MPI ranks ship
 * block accumulators to rank 0; see stats.h): the bytes are the machine's own (the ranks of one
 * job run one binary), and unpacking gives cells that merge bit for bit as the originals would.
 */
#include "stats_priv.h"

#include <stdint.h>
#include <string.h>

/* Layout: ncell and k, then per cell its fields in a fixed order and its npts points, as the
 * machine stores them (the ranks of one job run one binary). */
#define PACK_FIELDS(X)                                                                             \
    X(n) X(mean) X(m2) X(min) X(max) X(npts) X(unsorted0) X(pm) X(parity) X(nlev) X(cnt)

/* The head every packed range starts with (lo, hi and a third word: 0, k or the block's runs):
 * read into head[3]; returns the bytes after it, or NULL when `len` is too short for it. */
static const unsigned char *read_head(const void *buf, size_t len, uint64_t head[3])
{
    if (len < 3 * sizeof(uint64_t))
        return NULL;
    memcpy(head, buf, 3 * sizeof(uint64_t));
    return (const unsigned char *)buf + 3 * sizeof(uint64_t);
}

/* A moments-only accumulator: k = 0 in the head, then per cell n, mean, m2, min and max. */
static size_t pack_mom(const ree_acc *a, size_t lo, size_t hi, void *buf, size_t cap)
{
    size_t need = 3 * sizeof(uint64_t) + (hi - lo) * sizeof *a->mom;
    if (!buf || cap < need)
        return need;
    unsigned char *p = buf;
    uint64_t head[3] = {lo, hi, 0};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    if (hi > lo)
        memcpy(p, a->mom + lo, (hi - lo) * sizeof *a->mom);
    return need;
}

static size_t unpack_mom(ree_acc *a, size_t lo, size_t hi, const void *buf, size_t len)
{
    uint64_t head[3];
    const unsigned char *p = read_head(buf, len, head);
    if (!p)
        return 0;
    if (lo > hi || hi > a->ncell || head[0] != lo || head[1] != hi || head[2] != 0 ||
        (len - sizeof head) / sizeof *a->mom < hi - lo)
        return 0;
    if (hi > lo)
        memcpy(a->mom + lo, p, (hi - lo) * sizeof *a->mom);
    return sizeof head + (hi - lo) * sizeof *a->mom;
}

size_t ree_acc_pack_cells(const ree_acc *a, size_t lo, size_t hi, void *buf, size_t cap)
{
    size_t need = 3 * sizeof(uint64_t);
    hi = hi < a->ncell ? hi : a->ncell;
    lo = lo < hi ? lo : hi;
    if (!a->cells)
        return pack_mom(a, lo, hi, buf, cap);
    for (size_t i = lo; i < hi; i++) {
        const struct cell *c = &a->cells[i];
#define SIZE_OF(f) need += sizeof c->f;
        PACK_FIELDS(SIZE_OF)
#undef SIZE_OF
        need += c->pm ? 0 : c->npts * sizeof(double);
    }
    if (!buf || cap < need)
        return need;
    unsigned char *p = buf;
    uint64_t head[3] = {lo, hi, a->k};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    for (size_t i = lo; i < hi; i++) {
        const struct cell *c = &a->cells[i];
#define PUT(f)                                                                                     \
    memcpy(p, &c->f, sizeof c->f);                                                                 \
    p += sizeof c->f;
        PACK_FIELDS(PUT)
#undef PUT
        size_t np = c->pm ? 0 : c->npts; /* a point mass has no points to ship */
        if (np)
            memcpy(p, c->v, np * sizeof(double));
        p += np * sizeof(double);
    }
    return need;
}

size_t ree_acc_pack(const ree_acc *a, void *buf, size_t cap)
{
    return ree_acc_pack_cells(a, 0, a->ncell, buf, cap);
}

size_t ree_acc_unpack_cells(ree_acc *a, size_t lo, size_t hi, const void *buf, size_t len)
{
    if (!a->cells)
        return unpack_mom(a, lo, hi, buf, len);
    const unsigned char *end = (const unsigned char *)buf + len;
    uint64_t head[3];
    const unsigned char *p = read_head(buf, len, head);
    if (!p)
        return 0;
    if (lo > hi || hi > a->ncell || head[0] != lo || head[1] != hi || head[2] != a->k)
        return 0;
    for (size_t i = lo; i < hi; i++) {
        struct cell *c = &a->cells[i], t;
        memset(&t, 0, sizeof t);
#define GET(f)                                                                                     \
    if ((size_t)(end - p) < sizeof t.f)                                                            \
        return 0;                                                                                  \
    memcpy(&t.f, p, sizeof t.f);                                                                   \
    p += sizeof t.f;
        PACK_FIELDS(GET)
#undef GET
        size_t np = t.pm ? 0 : t.npts;
        if (t.npts > 2 * a->k || t.nlev > NLEVEL || (t.pm && (t.pm != 1 || t.npts == 0)) ||
            (size_t)(end - p) / sizeof(double) < np)
            return 0;
        if (np && grow(a, c, np, 2 * a->k) != 0)
            return 0;
        t.v = c->v;
        t.cap = c->cap;
        if (np)
            memcpy(t.v, p, np * sizeof(double));
        t.seen = t.pm ? seen_value(t.min) : seen_values(t.v, np);
        p += np * sizeof(double);
        *c = t;
    }
    return (size_t)(p - (const unsigned char *)buf);
}

size_t ree_acc_unpack(ree_acc *a, const void *buf, size_t len)
{
    return ree_acc_unpack_cells(a, 0, a->ncell, buf, len);
}

/* A sealed block's cells lo .. hi-1 as bytes: lo, hi and the run count, the moments (mean, m2,
 * min, max of each cell), then each cell's sorted values. Unpacking gives cells that merge bit for
 * bit as the original's would. */
size_t ree_block_pack_cells(ree_block *b, size_t lo, size_t hi, void *buf, size_t cap)
{
    ree_block_seal(b);
    hi = hi < b->ncell ? hi : b->ncell;
    lo = lo < hi ? lo : hi;
    size_t n = (size_t)b->nruns, nc = hi - lo;
    size_t ncol = b->light ? 0 : n; /* values per cell: none when moments only */
    size_t need = 3 * sizeof(uint64_t) + (4 + ncol) * nc * sizeof(double);
    if (!buf || cap < need)
        return need;
    unsigned char *p = buf;
    uint64_t head[3] = {lo, hi, n};
    memcpy(p, head, sizeof head);
    p += sizeof head;
    const double *mom[4] = {b->mean, b->m2, b->min, b->max};
    for (int f = 0; f < 4; f++, p += nc * sizeof(double))
        memcpy(p, mom[f] + lo, nc * sizeof(double));
    for (size_t c = lo; c < hi && ncol; c++, p += n * sizeof(double))
        memcpy(p, b->cols + c * REE_BLOCK_MAX, n * sizeof(double));
    return need;
}

size_t ree_block_pack(ree_block *b, void *buf, size_t cap)
{
    return ree_block_pack_cells(b, 0, b->ncell, buf, cap);
}

size_t ree_block_unpack_cells(ree_block *b, size_t lo, size_t hi, const void *buf, size_t len)
{
    uint64_t head[3];
    const unsigned char *p = read_head(buf, len, head);
    if (!p)
        return 0;
    size_t n = (size_t)head[2], nc = hi - lo;
    size_t ncol = b->light ? 0 : n;
    if (lo > hi || hi > b->ncell || head[0] != lo || head[1] != hi || n > REE_BLOCK_MAX ||
        len != sizeof head + (4 + ncol) * nc * sizeof(double))
        return 0;
    double *mom[4] = {b->mean, b->m2, b->min, b->max};
    for (int f = 0; f < 4; f++, p += nc * sizeof(double))
        memcpy(mom[f] + lo, p, nc * sizeof(double));
    for (size_t c = lo; c < hi && ncol; c++, p += n * sizeof(double))
        memcpy(b->cols + c * REE_BLOCK_MAX, p, n * sizeof(double));
    b->nruns = (int)n;
    b->staged = 0;
    if (!b->light)
        find_konst(b, lo, hi);
    b->sealed = 1;
    return len;
}

size_t ree_block_unpack(ree_block *b, const void *buf, size_t len)
{
    return ree_block_unpack_cells(b, 0, b->ncell, buf, len);
}
