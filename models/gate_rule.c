/*
 * gate_rule: a licence gate's destination rule (`rules:` inside a gate). Its parameters override
 * the gate's for the links whose destination the rule names (regions, end_uses, buyers, resolved
 * by the loader); an unset (null) parameter leaves the gate's value. It has no hooks of its own:
 * models/gate.c applies it (equations, units and sources there and in docs/models.md, "Gate
 * rules").
 */
#include <math.h>
#include <stddef.h>
#include "gate_rule.h"
#include "models.h"

static const ree_param_def rule_param_defs[] = {
    {.key = "approval",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_rule_params, approval),
     .def = NAN,
     .max = 1,
     .flags = REE_PF_INHERIT | REE_PF_TIMELINE,
     .unit = "1",
     .doc = "approval for these buyers (unset: the gate's)"},
    {.key = "partial",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_rule_params, partial),
     .def = NAN,
     .max = 1,
     .flags = REE_PF_INHERIT | REE_PF_TIMELINE,
     .unit = "1",
     .doc = "share granted of an approval (unset: the gate's)"},
    {.key = "review_days",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_rule_params, review_days),
     .def = NAN,
     .max = REVIEW_DAYS_MAX,
     .flags = REE_PF_INHERIT | REE_PF_TIMELINE,
     .unit = "days",
     .doc = "mean review time for these buyers (unset: the gate's)"},
    {.key = "quota",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_rule_params, quota),
     .def = NAN,
     .max = REE_MAX_TONNES,
     .flags = REE_PF_INHERIT | REE_PF_TIMELINE,
     .unit = "t/month",
     .doc = "own monthly quota of these buyers (unset: they share the gate's)"},
    {.key = "deny",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_rule_params, deny),
     .max = 1,
     .flags = REE_PF_INT | REE_PF_TIMELINE,
     .unit = "1",
     .doc = "1: every application of these buyers is denied"},
    {.key = "licence_t",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_rule_params, licence_t),
     .max = REE_MAX_TONNES,
     .flags = REE_PF_TIMELINE,
     .unit = "t",
     .doc = "a grant opens a standing licence of this many t (0: per order)"},
    {.key = "licence_months",
     .type = REE_PT_NUM,
     .offset = offsetof(gate_rule_params, licence_months),
     .def = 6,
     .min = 1,
     .max = REE_MAX_MONTHS,
     .flags = REE_PF_INT | REE_PF_TIMELINE,
     .unit = "months",
     .doc = "a standing licence's life, decision step included"},
};

const ree_model ree_model_gate_rule = {
    .name = "gate_rule",
    .summary = "a gate's destination rule: approval, review, quota, denial and standing licences "
               "for the buyers it names (regions, end_uses, buyers)",
    .kind = REE_MODEL_RULE,
    .flags = 0,
    .params = rule_param_defs,
    .nparams = sizeof rule_param_defs / sizeof rule_param_defs[0],
    .params_size = sizeof(gate_rule_params),
};
