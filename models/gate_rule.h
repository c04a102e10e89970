/*
 * The parameters of a gate's destination rules (model gate_rule, models/gate_rule.c), shared by
 * the two files of the licence-gate model: the rule's table declares them, the gate reads them
 * for the links a rule applies to (docs/models.md, "Gate rules").
 */
#ifndef REESIM_GATE_RULE_H
#define REESIM_GATE_RULE_H

/* Bound on review times: 100 years of review (the longest horizon). */
#define REVIEW_DAYS_MAX 36525.0

/* A destination rule (`rules:` of a gate, model gate_rule): which links it applies to is resolved
 * by the loader (regions, end_uses, buyers of the link's destination); NaN fields are unset, and
 * the gate's value applies. */
typedef struct gate_rule_params {
    double approval, partial, review_days; /* as the gate's; NaN: the gate's */
    double quota;                          /* t/month, the rule's own pool (NaN: the gate's pool) */
    double deny;                           /* 1: every application of these buyers is denied */
    double licence_t;      /* t: a grant opens a standing licence of this size (0: per order) */
    double licence_months; /* months a standing licence lasts, decision step included */
} gate_rule_params;

#endif
