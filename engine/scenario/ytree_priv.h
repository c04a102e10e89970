/*
 * Internal to the YAML tree: the builder's state and nodes as built, shared by ytree.c (the tree
 * built from libyaml's events, its arena, anchors and aliases, loading) and ytree_map.c (a mapping
 * closed: merge keys, duplicate keys, pairs in document order). Not for other callers: they use
 * ytree.h.
 */
#ifndef REESIM_YTREE_PRIV_H
#define REESIM_YTREE_PRIV_H

#include <stddef.h>
#include "ytree.h"

#define LIMIT_SIZE ((size_t)REE_YTREE_MAX_NODES + 1) /* saturation value for node sizes */

/* A node as built here: the public part first, so a `const ree_ynode *` we handed out can be
 * turned back into its `ynode`. */
typedef struct ynode {
    ree_ynode pub;
    size_t size; /* nodes in the expanded subtree, saturated at LIMIT_SIZE */
    int height;  /* 1 for a scalar */
} ynode;

/* A child being collected for an open sequence or mapping, with the mark of where it was
 * written (the alias's mark for an alias). */
typedef struct kid {
    ynode *node;
    ree_mark mark;
} kid;

typedef struct frame {
    ynode *node;
    const char *anchor; /* anchor of this open node, for "recursive alias" */
    kid *kids;
    size_t n, cap;
} frame;

typedef struct anchor_slot {
    const char *name;
    ynode *node;
} anchor_slot;

/* Everything one parse needs; lives on the stack of load_owned (no file-static state). */
typedef struct builder {
    ree_ytree *t;
    ree_diag *d;
    frame *frames;
    size_t depth, frames_cap;
    anchor_slot *anchors;
    size_t n_anchors, anchors_cap; /* cap is a power of two or 0 */
    size_t expanded;               /* nodes so far, aliases counted per use */
    int errors;
    int oom;
    int fatal;
    ynode *root;
    ree_mark root_mark;
} builder;

static inline size_t sat_add(size_t a, size_t b)
{
    return (a >= LIMIT_SIZE || b >= LIMIT_SIZE || a + b >= LIMIT_SIZE) ? LIMIT_SIZE : a + b;
}

/* ytree.c: n bytes from the tree's arena (aligned for any type), or NULL when out of memory. */
void *ree_ytree_arena_alloc(ree_ytree *t, size_t n);
/* ytree_map.c: the pairs of the mapping of frame f, once its last child is in. */
void ree_ytree_finish_map(builder *b, frame *f);

#endif
