/*
 * A YAML mapping closed (ytree.c builds the tree; its opening comment says why the event API):
 * keys must be scalars; YAML 1.1 merge keys (`<<: *base`, `<<: [*a, *b]`) are resolved, explicit
 * keys winning over merged ones and earlier merged maps over later ones, merged pairs taking the
 * place of the `<<` key in document order; a duplicate explicit key is an error at its mark.
 */
#include <stdlib.h>
#include <string.h>

#include "ytree_priv.h"

static int kid_is_merge_key(const kid *k)
{
    const ree_ynode *n = &k->node->pub;
    return n->kind == REE_Y_SCALAR && !n->quoted && n->len == 2 && memcmp(n->str, "<<", 2) == 0;
}

/* A candidate pair of a mapping being closed: explicit (prio 0) or merged (prio 1 + index of
 * the merged map); `ord` is its place in document order. */
typedef struct cand {
    const ynode *key;
    const ynode *value;
    ree_mark mark;
    size_t prio;
    size_t ord;
    int first_line; /* for a duplicate: line of the first occurrence */
} cand;

static int cand_by_key(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    const ree_ynode *ka = &a->key->pub, *kb = &b->key->pub;
    if (ka->len != kb->len)
        return ka->len < kb->len ? -1 : 1;
    int c = memcmp(ka->str, kb->str, ka->len);
    if (c)
        return c;
    if (a->prio != b->prio)
        return a->prio < b->prio ? -1 : 1;
    return a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int cand_by_ord(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    return a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int push_cand(builder *b, cand **c, size_t *n, size_t *cap, cand x)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        cand *p = realloc(*c, nc * sizeof *p);
        if (!p) {
            b->oom = b->fatal = 1;
            return -1;
        }
        *c = p;
        *cap = nc;
    }
    (*c)[(*n)++] = x;
    return 0;
}

/* Candidates from the value of a `<<` key: its pairs, or the pairs of each mapping in it. */
static int merge_cands(builder *b, const kid *val, cand **c, size_t *n, size_t *cap)
{
    const ree_ynode *v = &val->node->pub;
    const ree_ynode *const *maps = NULL;
    size_t n_maps = 0;
    const ree_ynode *single = v;
    if (v->kind == REE_Y_MAP) {
        maps = &single;
        n_maps = 1;
    } else if (v->kind == REE_Y_SEQ) {
        for (size_t i = 0; i < v->n; i++) {
            if (v->items[i]->kind != REE_Y_MAP) {
                ree_diag_error(b->d, v->items[i]->mark, NULL,
                               "merge key '<<' expects mappings, found %s in its list",
                               ree_ykind_article(v->items[i]->kind));
                b->errors++;
                return 0;
            }
        }
        maps = v->items;
        n_maps = v->n;
    } else {
        ree_diag_error(b->d, val->mark, NULL,
                       "merge key '<<' expects a mapping or a list of mappings, found a scalar");
        b->errors++;
        return 0;
    }
    for (size_t j = 0; j < n_maps; j++) {
        for (size_t p = 0; p < maps[j]->n; p++) {
            const ree_ypair *pr = &maps[j]->pairs[p];
            cand x = {
                (const ynode *)pr->key, (const ynode *)pr->value, pr->key->mark, 1 + j, *n, 0};
            if (push_cand(b, c, n, cap, x))
                return -1;
        }
    }
    return 0;
}

void ree_ytree_finish_map(builder *b, frame *f)
{
    ynode *node = f->node;
    cand *c = NULL;
    size_t n = 0, cap = 0;
    size_t n_merge = 0;
    for (size_t i = 0; i + 1 < f->n; i += 2) {
        const kid *k = &f->kids[i], *v = &f->kids[i + 1];
        if (k->node->pub.kind != REE_Y_SCALAR) {
            ree_diag_error(b->d, k->mark, NULL, "mapping keys must be scalars, found %s",
                           ree_ykind_article(k->node->pub.kind));
            b->errors++;
            continue;
        }
        if (kid_is_merge_key(k)) {
            if (n_merge++) {
                ree_diag_error(b->d, k->mark, NULL, "duplicate merge key '<<'");
                b->errors++;
                continue;
            }
            if (merge_cands(b, v, &c, &n, &cap))
                goto out;
            continue;
        }
        cand x = {k->node, v->node, k->mark, 0, n, 0};
        if (push_cand(b, &c, &n, &cap, x))
            goto out;
    }

    if (n > 1)
        qsort(c, n, sizeof *c, cand_by_key);
    /* Keep the first of each run of equal keys; a second explicit key is an error. Errors are
     * gathered and reported in document order. */
    size_t kept = 0, n_dup = 0;
    cand *dups = NULL;
    size_t dups_cap = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && c[j].key->pub.len == c[i].key->pub.len &&
               memcmp(c[j].key->pub.str, c[i].key->pub.str, c[i].key->pub.len) == 0) {
            if (c[j].prio == 0) {
                cand dup = c[j];
                dup.first_line = c[i].mark.line;
                if (push_cand(b, &dups, &n_dup, &dups_cap, dup)) {
                    free(dups);
                    goto out;
                }
            }
            j++;
        }
        c[kept++] = c[i];
        i = j;
    }
    if (n_dup > 1)
        qsort(dups, n_dup, sizeof *dups, cand_by_ord);
    for (size_t i = 0; i < n_dup; i++) {
        ree_diag_error(b->d, dups[i].mark, NULL, "duplicate key '%s' (first at line %d)",
                       dups[i].key->pub.str, dups[i].first_line);
        b->errors++;
    }
    free(dups);
    if (kept > 1)
        qsort(c, kept, sizeof *c, cand_by_ord);

    ree_ypair *pairs = ree_ytree_arena_alloc(b->t, (kept ? kept : 1) * sizeof *pairs);
    if (!pairs) {
        b->oom = b->fatal = 1;
        goto out;
    }
    size_t size = 1;
    int height = 1;
    for (size_t i = 0; i < kept; i++) {
        pairs[i].key = &c[i].key->pub;
        pairs[i].value = &c[i].value->pub;
        size = sat_add(size, sat_add(c[i].key->size, c[i].value->size));
        if (c[i].value->height + 1 > height)
            height = c[i].value->height + 1;
        if (c[i].key->height + 1 > height)
            height = c[i].key->height + 1;
    }
    node->pub.pairs = pairs;
    node->pub.n = kept;
    node->size = size;
    node->height = height;
out:
    free(c);
}
