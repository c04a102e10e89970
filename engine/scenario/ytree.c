/*
 * YAML -> tree with marks, built from libyaml's event API.
 *
 * The event API (rather than yaml_parser_load) is used because it gives the mark of every alias
 * and key, so the alias-expansion and duplicate-key errors can point at the offending text, and
 * because the loader would silently accept duplicate keys. Nodes live in an arena owned by the
 * tree. An alias becomes a second pointer to the anchored node; every node carries its expanded
 * size and height, so the expansion and depth bounds are checked without ever walking an
 * expansion. YAML 1.1 merge keys (`<<: *base`, `<<: [*a, *b]`) are resolved when a mapping is
 * closed (ytree_map.c): explicit keys win over merged ones, earlier merged maps over later ones,
 * and merged pairs take the place of the `<<` key in document order.
 */
#include "ytree.h"
#include "infile.h"
#include "ytree_priv.h"

#include "reesim/reesim.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define ARENA_BLOCK 65536

typedef struct block {
    struct block *next;
    size_t used, cap;
    max_align_t data[];
} block;

struct ree_ytree {
    ree_source src;
    block *arena;
    const ree_ynode *root;
};

/* ---- arena ---- */

void *ree_ytree_arena_alloc(ree_ytree *t, size_t n)
{
    size_t unit = sizeof(max_align_t);
    n = (n + unit - 1) / unit * unit;
    if (n == 0)
        n = unit;
    block *b = t->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = t->arena;
        t->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

static char *arena_strdup(ree_ytree *t, const char *s, size_t len)
{
    char *c = ree_ytree_arena_alloc(t, len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

void ree_ytree_free(ree_ytree *t)
{
    if (!t)
        return;
    for (block *b = t->arena; b;) {
        block *next = b->next;
        free(b);
        b = next;
    }
    free((char *)t->src.name);
    free((char *)t->src.text);
    free(t);
}

/* ---- helpers ---- */

static ree_mark mark_of(const builder *b, yaml_mark_t m)
{
    ree_mark r = {&b->t->src, (int)m.line + 1, (int)m.column + 1};
    return r;
}

const char *ree_ykind_name(ree_ykind k)
{
    switch (k) {
    case REE_Y_SCALAR:
        return "scalar";
    case REE_Y_SEQ:
        return "sequence";
    case REE_Y_MAP:
        return "mapping";
    }
    return "node";
}

static ynode *new_node(builder *b, ree_ykind kind, ree_mark mark)
{
    ynode *n = ree_ytree_arena_alloc(b->t, sizeof *n);
    if (!n) {
        b->oom = b->fatal = 1;
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->pub.kind = kind;
    n->pub.mark = mark;
    n->pub.str = "";
    n->size = 1;
    n->height = 1;
    return n;
}

/* Count `size` more expanded nodes; an error at `m` once past the bound. */
static void count_expanded(builder *b, size_t size, ree_mark m)
{
    b->expanded = sat_add(b->expanded, size);
    if (b->expanded > REE_YTREE_MAX_NODES && !b->fatal) {
        ree_diag_error(b->d, m, NULL, "alias expansion exceeds %d nodes", REE_YTREE_MAX_NODES);
        b->errors++;
        b->fatal = 1;
    }
}

/* ---- anchors: open addressing on the name, later definitions replace earlier ones ---- */

static size_t hash_str(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static anchor_slot *anchor_find(builder *b, const char *name)
{
    if (!b->anchors_cap)
        return NULL;
    size_t mask = b->anchors_cap - 1;
    for (size_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
        if (!b->anchors[i].name || strcmp(b->anchors[i].name, name) == 0)
            return &b->anchors[i];
    }
}

static void anchor_set(builder *b, const char *name, ynode *node)
{
    if (2 * (b->n_anchors + 1) > b->anchors_cap) {
        size_t cap = b->anchors_cap ? 2 * b->anchors_cap : 16;
        anchor_slot *old = b->anchors;
        size_t old_cap = b->anchors_cap;
        b->anchors = calloc(cap, sizeof *b->anchors);
        if (!b->anchors) {
            b->anchors = old;
            b->oom = b->fatal = 1;
            return;
        }
        b->anchors_cap = cap;
        b->n_anchors = 0;
        for (size_t i = 0; i < old_cap; i++) {
            if (old[i].name) {
                *anchor_find(b, old[i].name) = old[i];
                b->n_anchors++;
            }
        }
        free(old);
    }
    anchor_slot *s = anchor_find(b, name);
    if (!s->name)
        b->n_anchors++;
    s->name = name;
    s->node = node;
}

/* ---- building ---- */

/* Attach a finished node to the open container (or make it the root). */
static void attach(builder *b, ynode *n, ree_mark m)
{
    if (b->depth == 0) {
        b->root = n;
        b->root_mark = m;
        return;
    }
    frame *f = &b->frames[b->depth - 1];
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        kid *k = realloc(f->kids, cap * sizeof *k);
        if (!k) {
            b->oom = b->fatal = 1;
            return;
        }
        f->kids = k;
        f->cap = cap;
    }
    f->kids[f->n].node = n;
    f->kids[f->n].mark = m;
    f->n++;
}

static int check_depth(builder *b, int height, ree_mark m)
{
    if (b->depth + (size_t)height > REE_YTREE_MAX_DEPTH) {
        ree_diag_error(b->d, m, NULL, "nesting deeper than %d levels", REE_YTREE_MAX_DEPTH);
        b->errors++;
        b->fatal = 1;
        return -1;
    }
    return 0;
}

static int reject_tag(builder *b, const yaml_char_t *tag, ree_mark m)
{
    if (!tag)
        return 0;
    /* libyaml hands over the resolved tag; show the `!!` shorthand the user wrote. */
    static const char yaml_prefix[] = "tag:yaml.org,2002:";
    const char *t = (const char *)tag;
    if (strncmp(t, yaml_prefix, sizeof yaml_prefix - 1) == 0)
        ree_diag_error(b->d, m, NULL, "tags are not allowed (found '!!%s')",
                       t + sizeof yaml_prefix - 1);
    else
        ree_diag_error(b->d, m, NULL, "tags are not allowed (found '%s')", t);
    b->errors++;
    return -1;
}

static const char *anchor_copy(builder *b, const yaml_char_t *anchor)
{
    if (!anchor)
        return NULL;
    const char *a = arena_strdup(b->t, (const char *)anchor, strlen((const char *)anchor));
    if (!a)
        b->oom = b->fatal = 1;
    return a;
}

static void on_scalar(builder *b, const yaml_event_t *ev)
{
    ree_mark m = mark_of(b, ev->start_mark);
    reject_tag(b, ev->data.scalar.tag, m);
    if (check_depth(b, 1, m))
        return;
    ynode *n = new_node(b, REE_Y_SCALAR, m);
    if (!n)
        return;
    const char *s = arena_strdup(b->t, (const char *)ev->data.scalar.value, ev->data.scalar.length);
    if (!s) {
        b->oom = b->fatal = 1;
        return;
    }
    /* libyaml rejects a raw NUL byte but decodes the escapes \0, \x00 and \u0000 into one; the
     * loader reads values as C strings, so "src\0junk" would silently become "src". */
    if (memchr(s, '\0', ev->data.scalar.length) != NULL) {
        ree_diag_error(b->d, m, NULL,
                       "a NUL character (escape \\0, \\x00 or \\u0000) is not allowed in a "
                       "string: it would cut the value short");
        b->errors++;
    }
    n->pub.str = s;
    n->pub.len = ev->data.scalar.length;
    n->pub.quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    count_expanded(b, 1, m);
    if (ev->data.scalar.anchor) {
        const char *a = anchor_copy(b, ev->data.scalar.anchor);
        if (a)
            anchor_set(b, a, n);
    }
    attach(b, n, m);
}

static void on_start(builder *b, const yaml_event_t *ev, ree_ykind kind)
{
    ree_mark m = mark_of(b, ev->start_mark);
    const yaml_char_t *tag =
        kind == REE_Y_MAP ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    const yaml_char_t *anchor =
        kind == REE_Y_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    reject_tag(b, tag, m);
    if (check_depth(b, 1, m))
        return;
    ynode *n = new_node(b, kind, m);
    if (!n)
        return;
    count_expanded(b, 1, m);
    if (b->depth == b->frames_cap) {
        size_t cap = b->frames_cap ? 2 * b->frames_cap : 16;
        frame *f = realloc(b->frames, cap * sizeof *f);
        if (!f) {
            b->oom = b->fatal = 1;
            return;
        }
        b->frames = f;
        b->frames_cap = cap;
    }
    frame *f = &b->frames[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = n;
    f->anchor = anchor_copy(b, anchor);
}

static void on_alias(builder *b, const yaml_event_t *ev)
{
    ree_mark m = mark_of(b, ev->start_mark);
    const char *name = (const char *)ev->data.alias.anchor;
    anchor_slot *s = anchor_find(b, name);
    ynode *target = s && s->name ? s->node : NULL;
    if (!target) {
        int recursive = 0;
        for (size_t i = 0; i < b->depth; i++)
            if (b->frames[i].anchor && strcmp(b->frames[i].anchor, name) == 0)
                recursive = 1;
        if (recursive)
            ree_diag_error(b->d, m, NULL, "alias '%s' refers to a node that contains it", name);
        else
            ree_diag_error(b->d, m, NULL, "undefined alias '%s'", name);
        b->errors++;
        /* Keep the shape of the document with an empty scalar, so later errors still make
         * sense. */
        target = new_node(b, REE_Y_SCALAR, m);
        if (!target)
            return;
    }
    if (check_depth(b, target->height, m))
        return;
    count_expanded(b, target->size, m);
    attach(b, target, m);
}

static void finish_seq(builder *b, frame *f)
{
    ynode *node = f->node;
    const ree_ynode **items = ree_ytree_arena_alloc(b->t, (f->n ? f->n : 1) * sizeof *items);
    if (!items) {
        b->oom = b->fatal = 1;
        return;
    }
    size_t size = 1;
    int height = 1;
    for (size_t i = 0; i < f->n; i++) {
        items[i] = &f->kids[i].node->pub;
        size = sat_add(size, f->kids[i].node->size);
        if (f->kids[i].node->height + 1 > height)
            height = f->kids[i].node->height + 1;
    }
    node->pub.items = items;
    node->pub.n = f->n;
    node->size = size;
    node->height = height;
}

static void on_end(builder *b)
{
    if (b->depth == 0)
        return;
    frame *f = &b->frames[--b->depth];
    if (f->node->pub.kind == REE_Y_MAP)
        ree_ytree_finish_map(b, f);
    else
        finish_seq(b, f);
    free(f->kids);
    f->kids = NULL;
    if (b->fatal)
        return;
    if (f->anchor)
        anchor_set(b, f->anchor, f->node);
    attach(b, f->node, f->node->pub.mark);
}

/* Report a libyaml failure as a located diagnostic. */
static void parser_error(builder *b, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "unknown error";
    b->fatal = 1;
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        b->oom = 1;
        return;
    case YAML_READER_ERROR: {
        ree_mark m = ree_source_locate(&b->t->src, p->problem_offset);
        if (p->problem_value != -1)
            ree_diag_error(b->d, m, NULL, "%s (byte 0x%02X)", problem, (unsigned)p->problem_value);
        else
            ree_diag_error(b->d, m, NULL, "%s", problem);
        break;
    }
    default: {
        ree_mark m = mark_of(b, p->problem_mark);
        size_t at = p->problem_mark.index;
        if (at < b->t->src.len && b->t->src.text[at] == '\t' && !strstr(problem, "tab")) {
            ree_diag_error(b->d, m, NULL, "tab character: YAML indents with spaces only (%s)",
                           problem);
        } else if (p->context && (p->context_mark.line != p->problem_mark.line ||
                                  p->context_mark.column != p->problem_mark.column))
            ree_diag_error(b->d, m, NULL, "%s (%s at line %zu, column %zu)", problem, p->context,
                           p->context_mark.line + 1, p->context_mark.column + 1);
        else if (p->context)
            ree_diag_error(b->d, m, NULL, "%s (%s)", problem, p->context);
        else
            ree_diag_error(b->d, m, NULL, "%s", problem);
        break;
    }
    }
    b->errors++;
}

static void run_parser(builder *b)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        b->oom = b->fatal = 1;
        return;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)b->t->src.text, b->t->src.len);
    int docs = 0, done = 0;
    while (!done && !b->fatal) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            parser_error(b, &p);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (docs++) {
                ree_mark m = mark_of(b, ev.start_mark);
                ree_diag_error(b->d, m, NULL,
                               "more than one document (a scenario file holds exactly one)");
                b->errors++;
                b->fatal = 1;
            }
            break;
        case YAML_SCALAR_EVENT:
            on_scalar(b, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            on_start(b, &ev, REE_Y_SEQ);
            break;
        case YAML_MAPPING_START_EVENT:
            on_start(b, &ev, REE_Y_MAP);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            on_end(b);
            break;
        case YAML_ALIAS_EVENT:
            on_alias(b, &ev);
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
}

/* Parse the bytes `text` (malloc'd, len + 1 with a NUL; taken over, freed on failure). */
static ree_ytree *load_owned(const char *name, char *text, size_t len, ree_diag *d,
                             ree_status *status)
{
    ree_ytree *t = calloc(1, sizeof *t);
    char *name_copy = malloc(strlen(name) + 1);
    if (!t || !name_copy) {
        free(t);
        free(name_copy);
        free(text);
        *status = REE_ENOMEM;
        return NULL;
    }
    strcpy(name_copy, name);
    t->src.name = name_copy;
    t->src.text = text;
    t->src.len = len;

    builder b;
    memset(&b, 0, sizeof b);
    b.t = t;
    b.d = d;
    const unsigned char *u = (const unsigned char *)text;
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        ree_mark m = {&t->src, 1, 1};
        ree_diag_error(d, m, NULL, "UTF-16 input is not supported; save the file as UTF-8");
        b.errors++;
    } else {
        run_parser(&b);
    }
    for (size_t i = 0; i < b.depth; i++)
        free(b.frames[i].kids);
    free(b.frames);
    free(b.anchors);

    if (!b.oom && !b.errors) {
        const ree_ynode *r = b.root ? &b.root->pub : NULL;
        if (!r || (r->kind == REE_Y_SCALAR && !r->quoted && r->len == 0)) {
            ree_mark m = {&t->src, 1, 1};
            ree_diag_error(d, m, NULL, "empty document: a scenario starts with 'reesim: 1'");
            b.errors++;
        }
    }
    if (b.oom || b.errors) {
        *status = b.oom ? REE_ENOMEM : REE_EINVALID;
        ree_ytree_free(t);
        return NULL;
    }
    t->root = &b.root->pub;
    *status = REE_OK;
    return t;
}

ree_ytree *ree_ytree_load_buffer(const char *name, const char *bytes, size_t len, ree_diag *d,
                                 ree_status *status)
{
    char *text = malloc(len + 1);
    if (!text) {
        *status = REE_ENOMEM;
        return NULL;
    }
    if (len)
        memcpy(text, bytes, len);
    text[len] = '\0';
    return load_owned(name ? name : "<input>", text, len, d, status);
}

ree_ytree *ree_ytree_load(const char *path, ree_diag *d, ree_status *status)
{
    ree_mark nowhere = {NULL, 0, 0};
    char why[128];
    FILE *f = ree_infile_open(path, status, why, sizeof why);
    if (!f) {
        ree_diag_error(d, nowhere, NULL, "cannot open %s: %s", path, why);
        return NULL;
    }
    size_t len = 0, cap = 65536;
    char *text = malloc(cap + 1);
    while (text) {
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        cap *= 2;
        char *grown = realloc(text, cap + 1);
        if (!grown) {
            free(text);
            text = NULL;
        } else {
            text = grown;
        }
    }
    if (!text) {
        fclose(f);
        *status = REE_ENOMEM;
        return NULL;
    }
    if (ferror(f)) {
        int err = errno;
        fclose(f);
        free(text);
        ree_diag_error(d, nowhere, NULL, "cannot read %s: %s", path, strerror(err));
        *status = REE_ENOINPUT;
        return NULL;
    }
    fclose(f);
    text[len] = '\0';
    return load_owned(path, text, len, d, status);
}

const ree_ynode *ree_ytree_root(const ree_ytree *t)
{
    return t ? t->root : NULL;
}

const ree_source *ree_ytree_source(const ree_ytree *t)
{
    return t ? &t->src : NULL;
}
