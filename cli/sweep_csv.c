/*
 * sweep.csv read back as `reesim sweep` writes it (docs/exploration.md), by every command that
 * reads one: `reesim discover` and `reesim plot`'s response charts. One reader, so the two accept
 * and refuse the same files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csvread.h"
#include "explore_cli.h"

int ree_sweep_check_header(const ree_table *t, int cent, char *err, size_t errlen)
{
    int ok = cent >= 2 && !strcmp(ree_table_colname(t, 0), "case");
    for (int i = 0; i < REE_SWEEP_TAIL && ok; i++)
        ok = ree_table_colname(t, cent + i) &&
             !strcmp(ree_table_colname(t, cent + i), ree_sweep_tail[i]);
    if (ok && !ree_table_colname(t, cent + REE_SWEEP_TAIL))
        return 0;
    snprintf(err, errlen,
             "%s:%ld: expected the header of a sweep: 'case', the inputs, then "
             "'entity,indicator,unit,mean,sd,p05,p50,p95'",
             ree_table_path(t), ree_table_header_line(t));
    return -1;
}

/* A row's key for finding a case given twice. */
typedef struct row_key {
    long long cs;
    const char *entity, *indicator;
    size_t row;
} row_key;

static int by_key(const void *a, const void *b)
{
    const row_key *p = a, *q = b;
    if (p->cs != q->cs)
        return p->cs < q->cs ? -1 : 1;
    int c = strcmp(p->entity, q->entity);
    if (!c)
        c = strcmp(p->indicator, q->indicator);
    return c ? c : (p->row > q->row) - (p->row < q->row);
}

ree_status ree_sweep_check_rows(const ree_table *t, int k, int cstat, double *xall, double *stat,
                                char *err, size_t errlen)
{
    size_t nrow = ree_table_nrows(t);
    int cent = k + 1;
    row_key *keys = malloc((nrow ? nrow : 1) * sizeof *keys);
    if (!keys)
        return REE_ENOMEM;
    for (size_t row = 0; row < nrow; row++) {
        row_key *rk = &keys[row];
        if (ree_table_int(t, row, 0, &rk->cs, err, errlen))
            goto bad;
        if (rk->cs < 0) {
            snprintf(err, errlen,
                     "%s:%ld: column 'case': expected a whole number from 0, found %lld",
                     ree_table_path(t), ree_table_line(t, row), rk->cs);
            goto bad;
        }
        for (int i = 0; i < k; i++)
            if (ree_table_num(t, row, 1 + i, 0, &xall[row * (size_t)k + (size_t)i], err, errlen))
                goto bad;
        for (int c = cent + 3; c < cent + REE_SWEEP_TAIL; c++) {
            double v;
            if (ree_table_num(t, row, c, 0, &v, err, errlen))
                goto bad;
            if (c == cstat)
                stat[row] = v;
        }
        rk->entity = ree_table_cell(t, row, cent);
        rk->indicator = ree_table_cell(t, row, cent + 1);
        rk->row = row;
    }
    qsort(keys, nrow, sizeof *keys, by_key);
    /* The rows of a case are adjacent now, and a row given twice follows its first; each row is
     * compared with the case's first row in this order. Of all the conflicts, the one on the
     * earliest line is reported, as a reader going down the file meets it. */
    size_t worst = nrow, first = 0;
    for (size_t i = 1; i < nrow; i++) {
        if (keys[i].cs != keys[first].cs) {
            first = i;
            continue;
        }
        size_t r = keys[i].row, r0 = keys[first].row;
        if (worst < nrow && r >= keys[worst].row)
            continue;
        char e[REE_SNIPPET_LEN], ind[REE_SNIPPET_LEN];
        if (!strcmp(keys[i].entity, keys[i - 1].entity) &&
            !strcmp(keys[i].indicator, keys[i - 1].indicator)) {
            snprintf(err, errlen,
                     "%s:%ld: case %lld has a second row for %s/%s (the first at line %ld)",
                     ree_table_path(t), ree_table_line(t, r), keys[i].cs,
                     ree_snippet(keys[i].entity, strlen(keys[i].entity), e, sizeof e),
                     ree_snippet(keys[i].indicator, strlen(keys[i].indicator), ind, sizeof ind),
                     ree_table_line(t, keys[i - 1].row));
            worst = i;
            continue;
        }
        for (int j = 0; j < k; j++)
            if (xall[r * (size_t)k + (size_t)j] != xall[r0 * (size_t)k + (size_t)j]) {
                const char *here = ree_table_cell(t, r, 1 + j),
                           *there = ree_table_cell(t, r0, 1 + j);
                char h[REE_SNIPPET_LEN], th[REE_SNIPPET_LEN];
                snprintf(err, errlen,
                         "%s:%ld: column '%s': case %lld has '%s' here but '%s' at line %ld "
                         "(every row of a case has the same inputs)",
                         ree_table_path(t), ree_table_line(t, r),
                         ree_snippet(ree_table_colname(t, 1 + j),
                                     strlen(ree_table_colname(t, 1 + j)), e, sizeof e),
                         keys[i].cs, ree_snippet(here, strlen(here), h, sizeof h),
                         ree_snippet(there, strlen(there), th, sizeof th), ree_table_line(t, r0));
                worst = i;
                break;
            }
    }
    free(keys);
    return worst < nrow ? REE_EINVALID : REE_OK;
bad:
    free(keys);
    return REE_EINVALID;
}
