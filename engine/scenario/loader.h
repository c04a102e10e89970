/*
 * Private to the scenario loader (plan_*.c): the loader's working state and the strict schema
 * helpers shared by its files.
 */
#ifndef REESIM_LOADER_H
#define REESIM_LOADER_H

#include <stddef.h>
#include "override.h"
#include "plan.h"
#include "ytree.h"

#define REE_PATH_MAX 256

typedef struct loader {
    ree_plan *p;
    ree_diag *d;
    int oom;
} loader;

/* Record an error at node `n` (may be NULL) about key path `path`. */
void ld_err(loader *L, const ree_ynode *n, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

void *ld_calloc(loader *L, size_t n, size_t size);
char *ld_strdup(loader *L, const char *s);

/* Join a path and a key: "nodes.cn_magnets" + "params" -> "nodes.cn_magnets.params". */
void ld_path(char *out, const char *base, const char *key);

/* 0 when `n` is of kind `k`, else an error "expected a K, found a J" and -1. */
int ld_expect(loader *L, const ree_ynode *n, ree_ykind k, const char *path);

/* Errors for every key of `map` not in the NULL-terminated `allowed` list. Returns their count. */
int ld_check_keys(loader *L, const ree_ynode *map, const char *path, const char *const *allowed);

/* A string scalar (quoted or plain, not null). Returns NULL (and an error when `required`). */
const char *ld_str(loader *L, const ree_ynode *map, const char *key, const char *path,
                   int required);

/* An identifier: letters, digits, '_', '-', '.'; 1-64 characters, starting with a letter. */
int ld_ident(loader *L, const ree_ynode *n, const char *path);

/* Parse the value of parameter `def` from node `n` (NULL: default) into `spec`. Returns 0, or -1
 * after recording an error. */
int ld_param_value(loader *L, const ree_param_def *def, const ree_ynode *n, const char *path,
                   ree_pspec *spec);

/* Whether the override path at scalar `pn` (key path `kp`), resolved to `slot`, sets the same
 * parameter as one of the n earlier entries of the list `list` ("explore", "calibrate.free"),
 * however either is spelled (`nodes.ID.KEY` and `ID.KEY`): `earlier(p, j)` gives entry j's path
 * (NULL for an entry in error). 1 after an error naming the first such entry ("'PATH' is
 * already VERB (LIST[J], 'ITS PATH')"), else 0. */
int ld_slot_repeated(loader *L, const ree_ynode *pn, const char *kp, const ree_param_slot *slot,
                     const char *list, const char *verb, int n,
                     const char *(*earlier)(const ree_plan *p, int j));

/* The loader's passes, each in its own file: every one records its errors in L->d and returns
 * 0, or -1 when it found errors (or ran out of memory: L->oom). */
int ld_network(loader *L);                         /* plan_network.c */
int ld_timeline(loader *L, const ree_ynode *root); /* plan_policy.c */
int ld_regimes(loader *L, const ree_ynode *root);  /* plan_policy.c */
int ld_series(loader *L, const ree_ynode *root);   /* plan_series.c */
int ld_observations(loader *L, const ree_ynode *root, const char *scenario_path);
int ld_calibrate(loader *L, const ree_ynode *root); /* plan_calibrate.c */
int ld_explore(loader *L, const ree_ynode *root);   /* plan_explore.c */

/* Material or tag index by name, -1 when unknown (no error recorded). */
int ld_material(const ree_plan *p, const char *id);
int ld_tag(const ree_plan *p, const char *id);

#endif
