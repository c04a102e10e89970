/*
 * The plan: a scenario validated and resolved into flat arrays with integer indices in a fixed
 * order (the order of the scenario file). Immutable after ree_plan_load; every phase after it
 * takes `const ree_plan *`. Nothing after the plan sees YAML.
 *
 * Entities are everything that has an id and parameters: nodes, links and gates, in that order
 * (entity e < nnode is node e; then links; then gates). Each entity's random streams are keyed
 * by a hash of its id, so adding an entity does not reshuffle the draws of the others.
 */
#ifndef REESIM_PLAN_H
#define REESIM_PLAN_H

#include "reesim/reesim.h"
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "dist.h"
#include "model.h"

typedef struct ree_plan ree_plan;

/* A parameter as the scenario gives it (or its default). */
typedef struct ree_pspec {
    ree_ptype type;
    int given;         /* 1 when the scenario gave it; 0 for a default */
    ree_dist dist;     /* NUM and DATE: REE_DIST_CONST or a distribution (truncated to bounds) */
    int ival;          /* MATERIAL: index */
    const double *vec; /* MATMAP: nmat values, owned by the plan */
    uint64_t mask;     /* MATSET, TAGSET */
    ree_mark mark;     /* where it was given (src NULL for defaults) */
} ree_pspec;

typedef struct ree_entity {
    char *id;
    const char *section; /* "nodes", "links" or "gates" */
    uint64_t hash;       /* ree_hash_id(id) */
    const ree_model *model;
    ree_pspec *pspecs; /* model->nparams */
    uint64_t *phash;   /* per parameter: hash of "id.key", keys its sampling stream */
    ree_mark mark;
} ree_entity;

typedef struct ree_node {
    int entity;
    char *region;
    int end_use;    /* tag index, -1 for none */
    double *stock0; /* nmat, t: initial stock */
    int *in_links;  /* links arriving here, in file order */
    int nin;
    int *out_links; /* links leaving here, in file order */
    int nout;
    uint64_t materials; /* mask of materials this node holds (links, stock, params) */
} ree_node;

typedef struct ree_link {
    int entity;
    int from, to; /* node indices */
    int material;
    int gate;      /* gate index, -1 when ungated */
    int gate_slot; /* index among the gate's links */
} ree_link;

typedef struct ree_gate {
    int entity;
    int *links;
    int nlink;
    int *rule; /* per slot: the index into plan->rules of the first rule the link's destination
                  matches, -1 when none (or no rules) */
} ree_gate;

/* A gate's destination rule (`rules:` in a gate): an entity of the gate's `rules` model, id
 * "GATE/RULE". It applies to the gate's links whose destination node matches every criterion it
 * gives: region in `regions`, end-use tag in `end_uses`, node in `buyers`; the first rule in file
 * order that matches wins. */
typedef struct ree_rule {
    int entity;
    int gate;
    char **regions; /* nregion region names */
    int nregion;
    uint64_t end_uses; /* tag mask, 0: any */
    int has_end_uses;
    int *buyers; /* nbuyer node indices */
    int nbuyer;
} ree_rule;

/* One parameter change: used by timeline events and regime overrides. */
typedef struct ree_change {
    int entity;
    int param;
    ree_pspec value;
    uint64_t hash; /* keys the stream that samples `value` when it is a distribution */
} ree_change;

typedef struct ree_event {
    int step; /* steps after the horizon start; events before it apply at step 0 */
    ree_change *changes;
    int nchange;
    char *note;
    ree_mark mark;
} ree_event;

typedef struct ree_regime {
    char *id;
    ree_change *changes;
    int nchange;
    double *to; /* nregime: monthly transition probabilities; to[self] = 1 - sum(others) */
} ree_regime;

/* What a series reports. */
typedef enum ree_series_kind {
    REE_S_MODEL,               /* metric `index` of the entity's model */
    REE_S_STOCK,               /* stock of material `index` at node `entity` */
    REE_S_SHIPPED,             /* t shipped on link */
    REE_S_TRANSIT,             /* t in transit on link */
    REE_S_REGIME,              /* 1 when in regime `index` */
    REE_S_SCARCITY,            /* shortage ratio of material `index` across sectors */
    REE_S_GATE_SHIPPED,        /* t shipped across all links of gate `index` */
    REE_S_GATE_REGION_SHIPPED, /* t shipped across gate `index`'s links to region `region` */
    REE_S_GATE_REGION_GRANTED, /* t granted this step on gate `index`'s links to `region` */
    REE_S_SUM /* sum of the series `sum[0..nsum)` (an observation of several entities) */
} ree_series_kind;

typedef struct ree_series {
    ree_series_kind kind;
    int entity; /* -1 for regime and scarcity series */
    int index;
    char *entity_name;
    char *metric;
    const char *unit;
    int *slots; /* REE_S_GATE_REGION_*: the gate's link slots whose destination is in the region,
                   resolved at load so that no step compares region names; else NULL */
    int nslot;
    int *sum; /* REE_S_SUM: indices of the series summed, all before this one; else NULL */
    int nsum;
} ree_series;

/* Where an indicator comes from. */
typedef enum ree_indicator_kind {
    REE_IND_MODEL, /* the finish() of entity `entity`'s model */
    REE_IND_REGION /* the engine's total over the sector nodes of region `entity_name` */
} ree_indicator_kind;

typedef struct ree_indicator {
    ree_indicator_kind kind;
    int entity; /* MODEL: the entity; REGION: the region's first sector node's entity, so its
                   model (a sector) still says what kind of indicator this is */
    int index;  /* MODEL: in the model's indicator table; REGION: in ree_resil_region_defs */
    char *entity_name;
    const char *name;
    const char *unit;
    const ree_metric_def *def; /* its table entry: unit, direction, headline flag */
} ree_indicator;

typedef struct ree_observation {
    char *label;
    int series;
    char *file; /* path as resolved against the scenario's folder */
    int npoint;
    int *step; /* steps of the observed points inside the horizon */
    double *value;
    ree_mark mark;
} ree_observation;

/* A parameter `calibrate:` declares free, with its box (plan_calibrate.c). */
typedef struct ree_free_param {
    char *path; /* override path (override.h) */
    double min, max;
} ree_free_param;

/* An uncertain input `explore:` declares (plan_explore.c): a range, or a list of values. */
/* Most values an explore: list or a --set list may hold. */
#define REE_EXPLORE_MAX_VALUES 1000

typedef struct ree_explore_input {
    char *path;      /* override path (override.h) */
    double min, max; /* the range; for a list, its smallest and largest value */
    double *values;  /* the list in file order; NULL for a range */
    int nvalues;
} ree_explore_input;

typedef enum ree_score_kind { REE_SCORE_CRPS, REE_SCORE_INTERVAL } ree_score_kind;

struct ree_plan {
    char *file; /* scenario path as given */
    char *name;
    char *description;
    char **sources;
    int nsources;
    char **report; /* the `report.series` patterns as given (for scenario.resolved.yaml) */
    int nreport;   /* -1: no `report.series` (every series is reported) */
    char sha256_hex[65];

    int start; /* months since year 0 of step 0 (year*12 + month-1) */
    int nsteps;
    long long runs;
    unsigned long long seed;

    int nmat;
    char **mat_id, **mat_name, **mat_unit;
    int ntag;
    char **tags; /* end-use tags */

    int nnode, nlink, ngate, nrule, nentity; /* entities: nodes, links, gates, then rules */
    ree_entity *entities;
    ree_node *nodes;
    ree_link *links;
    ree_gate *gates;
    ree_rule *rules;

    ree_event *events;
    int nevent;

    ree_regime *regimes;
    int nregime;
    int regime_start;   /* step the chain starts at */
    int regime_initial; /* index */
    uint64_t regime_hash;

    ree_series *series;
    int nseries;
    ree_indicator *indicators; /* model indicators of every entity in order, then region totals
                                  (REE_IND_REGION): a region's in a row, from its shortfall;
                                  lost_units may be left out */
    int nindicator;

    ree_observation *observations;
    int nobs;

    double balance_tol; /* relative tolerance of the mass-balance check */

    /* calibrate: (optional) */
    ree_free_param *calib;
    int ncalib;
    int calib_until;            /* last step fitted (nsteps - 1 when not given) */
    ree_score_kind calib_score; /* what is minimised */
    int calib_line, calib_col;  /* the `calibrate:` key (0 when the scenario has none) */

    /* explore: (optional) */
    ree_explore_input *explore;
    int nexplore;
};

/* ree_plan_load, ree_plan_load_buffer, ree_plan_free, ree_plan_date and the accessors are
 * public: reesim/reesim.h. */

/* Model context of an entity (sizes for state and checks). */
ree_model_ctx ree_plan_ctx(const ree_plan *p, int entity);

/* Index of an entity by id; -1 when absent. */
int ree_plan_entity(const ree_plan *p, const char *id);

/* SHA-256 of the points read from observations file `i` (their steps and values), as 64 hex
 * characters plus NUL. */
void ree_plan_obs_sha256(const ree_plan *p, int i, char hex[65]);
/* SHA-256 of what the plan was loaded from: the scenario's text (sha256_hex) and each
 * observations file's ree_plan_obs_sha256, in order. MPI ranks, each of which loads the scenario
 * itself, agree on it (cli/cli.c, ree_cli_load). */
void ree_plan_inputs_sha256(const ree_plan *p, char hex[65]);

#endif
