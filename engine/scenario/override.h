/*
 * Overrides by path: set a numeric parameter of a loaded plan to a constant, the mechanism behind
 * `calibrate:` (and meant for `explore:` and command-line overrides).
 *
 * Path grammar (the timeline's, plus two prefixes):
 *   SECTION.ID.KEY | ID.KEY               a parameter of a node, link or gate (SECTION is nodes,
 *                                         links or gates), e.g. gates.cn_export.approval
 *   timeline[I].set.PARAM                 the value timeline event I (0-based, file order) sets
 *                                         for PARAM (SECTION.ID.KEY or ID.KEY, as written in its
 *                                         `set:`), e.g. timeline[3].set.gates.cn_export.approval
 *   regimes.ID.set.PARAM                  the value regime ID sets for PARAM
 *   nodes.ID.stock.MAT | ID.stock.MAT     node ID's initial stock of material MAT (t), for a
 *                                         material the node holds, e.g. nodes.us_nds.stock.ndfeb
 * Only number-valued parameters (not dates, materials or lists) can be overridden. The value
 * replaces the whole specification, a distribution included, by a constant; it must lie within
 * the parameter's bounds (its model table) and keep the model's cross-parameter check. Values
 * the loader derived from a parameter (a link's default priority copied from its destination)
 * keep their loaded value.
 *
 * The plan is immutable once runs start: overrides are applied between simulations by the
 * plan's owner only, never while a simulation reads the plan.
 */
#ifndef REESIM_OVERRIDE_H
#define REESIM_OVERRIDE_H

#include <stddef.h>
#include "plan.h"

/* A resolved path: the specification it sets. */
typedef struct ree_param_slot {
    ree_pspec *spec; /* NULL for an initial stock */
    const ree_param_def *def;
    int entity;
    double *stock; /* an initial stock (spec NULL): the plan's value */
} ree_param_slot;

/* Whether two slots set the same thing. */
int ree_slot_same(const ree_param_slot *a, const ree_param_slot *b);

/* Resolve SECTION.ID.KEY or ID.KEY to (entity, parameter). With `changeable`, only parameters a
 * model marks REE_PF_TIMELINE are accepted. Returns 0, or -1 with the reason in `why`. */
int ree_plan_param_path(const ree_plan *p, const char *path, int changeable, int *entity,
                        int *param, char *why, size_t whylen);

/* Resolve a full override path (grammar above). Returns 0, or -1 with the reason in `why`
 * (e.g. "timeline[7]: the timeline has 5 events", "parameter 'region' is not a number"). */
int ree_plan_slot(ree_plan *p, const char *path, ree_param_slot *out, char *why, size_t whylen);

/* Check `v` against the slot's bounds (integral parameters must be whole). Returns 0, or -1
 * with the reason in `why`. */
int ree_slot_check(const ree_param_slot *s, double v, char *why, size_t whylen);

/* Set the slot to the constant v after ree_slot_check and the entity's model check (a failed
 * check leaves the plan unchanged). Returns 0, or with the reason in `why` REE_EINVALID (a
 * check refused v) or REE_ENOMEM. */
int ree_slot_set(const ree_plan *p, const ree_param_slot *s, double v, char *why, size_t whylen);

/* The slot's current central value: its constant, or its distribution's mean clipped to its
 * support. */
double ree_slot_value(const ree_param_slot *s);

#endif
