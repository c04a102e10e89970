/*
 * Models as type objects (after GSL's gsl_rng_type): a model is a `const ree_model` holding its
 * name, a parameter table, metric and indicator tables, sizes, and function pointers. The engine
 * owns parameters and per-run state; a model never parses YAML, allocates, prints, reads a clock
 * or touches globals. Its hooks are pure per step: they read their parameters, their state and
 * the io block, draw only from the generator in the io block, and write their outputs.
 *
 * Three kinds:
 *  - node models (sources, processors, inventories, stockpiles, sectors, recyclers): hooks
 *    produce / order / offer / consume, called in the fixed step order documented in
 *    docs/engine.md;
 *  - the gate kind (export licence gates), hooks gate_decide / gate_ship;
 *  - the link kind: parameters only (lead time, shares, ...), read by the engine.
 *
 * Stocks are the engine's: a node hook books what it produces, consumes and loses into the io
 * arrays, and the engine applies them, so the mass balance of every node is checked rather than
 * assumed. Only produce() and consume() book: order(), offer() and account() leave the io's
 * produced, consumed and lost untouched (the engine reads them after those two hooks only;
 * tests/unit/test_model_io.c checks every model).
 */
#ifndef REESIM_MODEL_H
#define REESIM_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#define REE_MAX_MATERIALS   64 /* material sets are 64-bit masks; more is a located error */
#define REE_MAX_TAGS        64 /* end-use tags likewise */
#define REE_WEEKS_PER_MONTH 4.348214285714286 /* 365.25 / 12 / 7 */
#define REE_DAYS_PER_MONTH  30.4375           /* 365.25 / 12 */

/* Upper bounds of parameters, chosen so that no single legal value can overflow a double in a
 * run; what compounds across a network is caught by the run's guard (docs/reliability.md,
 * "Non-finite values"; docs/models.md):
 *  - REE_MAX_TONNES bounds every tonnage and tonnage rate (t, t/month): world rare-earth mine
 *    production is about 390,000 t/yr (USGS 2025, shared/data), so 1e9 t leaves a headroom of
 *    more than 2,500 years of world output while sums over nodes and 1200 steps stay near 1e15;
 *  - REE_MAX_WEEKS bounds covers in weeks of demand (ten years of stock);
 *  - REE_MAX_MONTHS bounds durations and time constants in months (the longest horizon). */
#define REE_MAX_TONNES 1e9
#define REE_MAX_WEEKS  520.0
#define REE_MAX_MONTHS 1200.0

typedef enum ree_ptype {
    REE_PT_NUM,      /* double: constant or distribution, sampled once per run; timeline-settable */
    REE_PT_DATE,     /* "YYYY-MM", stored as a double: steps after the horizon start (may be < 0) */
    REE_PT_MATERIAL, /* a material id, stored as int index */
    REE_PT_MATMAP,   /* {material: number}, stored as const double * to nmat values (0 if absent) */
    REE_PT_MATSET,   /* [material, ...], stored as uint64_t bit mask over material indices */
    REE_PT_TAGSET    /* [end-use tag, ...], stored as uint64_t bit mask over the plan's tags */
} ree_ptype;

/* Flags of a parameter definition. */
#define REE_PF_INT      0x1u /* integral values only (still stored as double) */
#define REE_PF_NULL_INF 0x2u /* YAML null means +infinity ("no limit"); the default is +inf */
#define REE_PF_TIMELINE 0x4u /* may be changed by timeline events and policy regimes */
/* MATERIAL/MATMAP: materials the node needs; each must arrive by a link, and inbound links may
 * carry only IN materials. */
#define REE_PF_IN 0x8u
/* MATERIAL/MATMAP: materials the node makes or holds for others; outbound links may carry only
 * OUT materials. */
#define REE_PF_OUT 0x10u
/* NUM: absent or YAML null means "not set" (stored as NaN): the owner's value applies. Used by
 * gate rules, whose unset parameters are the gate's (docs/models.md, gate rules). */
#define REE_PF_INHERIT 0x20u

typedef struct ree_param_def {
    const char *key;
    ree_ptype type;
    size_t offset; /* offsetof the field in the model's parameter struct */
    int required;  /* 1: must be given; 0: `def` applies */
    double def;    /* default (NUM, DATE) */
    double min;    /* inclusive bounds (NUM); samples of distributions are truncated to them */
    double max;
    unsigned flags;
    const char *unit; /* e.g. "t/month", "months", "1" for a share */
    const char *doc;  /* one line */
} ree_param_def;

/* Which way a metric or indicator is worse, from the point of view of US supply (the question
 * reesim answers): more production upstream is better for it, more shortfall worse. Read by
 * `reesim compare` (prob_worse). 0 is no direction at all: the registry test rejects it, so a
 * model cannot forget to declare one. */
typedef enum ree_direction {
    REE_DIR_HIGHER_WORSE = 1,  /* e.g. shortfall, lost_units, months_short, mean_wait */
    REE_DIR_HIGHER_BETTER = 2, /* e.g. production, min_level, onset_lag, approved */
    REE_DIR_NEUTRAL = 3        /* neither (e.g. applications, demand): no prob_worse */
} ree_direction;

/* Flags of a metric or indicator definition. */
#define REE_MD_HEADLINE                                                                            \
    0x1u /* says most about US supply: printed by `reesim run`, ranked first
                                by `reesim compare`, plotted by default by `reesim plot` */

typedef struct ree_metric_def {
    const char *name;
    const char *unit; /* e.g. "t", "months", "1" for a share */
    const char *doc;  /* one line */
    ree_direction dir;
    unsigned flags; /* REE_MD_* */
} ree_metric_def;

/* What the engine relies on in a demand sector (a node model with REE_MF_SECTOR): typed, so a
 * misspelt name cannot compile. Metric indices into the model's metric table; parameters by
 * offsetof in its parameter struct. The registry test checks every field against the tables. */
typedef struct ree_sector_contract {
    size_t need;          /* metric [t]: material needed this step */
    size_t consumed;      /* metric [t]: material used */
    size_t shortfall;     /* metric [t]: need not met */
    size_t lost_units;    /* metric [units]: output lost to the shortfall */
    size_t material;      /* REE_PT_MATERIAL parameter: the material used (int) */
    size_t service_level; /* REE_PT_NUM parameter [1]: share of need below which a month is short */
    size_t kg_per_unit;   /* REE_PT_NUM parameter [kg/unit]: what one unit of lost output is */
    size_t priority;      /* REE_PT_NUM parameter [1]: allocation priority, links' default */
} ree_sector_contract;

/* What the engine reads of a price model (REE_MF_PRICE): the offsetof of its REE_PT_MATERIAL
 * parameter, the material it prices (at most one price index per material is allowed). */
typedef struct ree_price_contract {
    size_t material;
} ree_price_contract;

/* What the engine reads of the link model's parameters (docs/engine.md steps 4 and 6), by
 * offsetof in its parameter struct; all REE_PT_NUM. */
typedef struct ree_link_contract {
    size_t lead_time, delay_prob, delay_months, share, rank, priority;
} ree_link_contract;

/* REE_MODEL_RULE: a gate's destination rule (`rules:` of a gate): parameters only, read by the
 * gate's hooks through ree_gate_io.rule. */
typedef enum ree_model_kind {
    REE_MODEL_NODE,
    REE_MODEL_GATE,
    REE_MODEL_LINK,
    REE_MODEL_RULE
} ree_model_kind;

/* Node flags. */
/* a demand sector: its consumption is final use (shortage, recycling) */
#define REE_MF_SECTOR 0x1u
/* a price index: writes io->price in account(); at most one per material */
#define REE_MF_PRICE 0x2u

/* Dimensions a model may need to size its state and to check itself. */
typedef struct ree_model_ctx {
    int nsteps;                      /* horizon length */
    int nmat;                        /* number of materials */
    int nlink;                       /* gates: number of links through the gate; nodes: 0 */
    const char *const *material_ids; /* nmat ids, for messages */
} ree_model_ctx;

/* What a node hook sees and writes in one step. Arrays have nmat entries.
 * A hook gets the block as `const ree_node_io *`: it writes through the out pointers (produced,
 * consumed, lost, order, offer, metrics, price; offer in offer() only) and never changes the
 * block's own fields (step, nmat, the pointers themselves). The engine relies on it: each node's block is built once per
 * workspace and handed to every hook of the node by pointer, not copied per call (run_step.c,
 * call_nodes), so a field changed by one hook would be seen by the next. Casting the const
 * away to change a field breaks that. */
typedef struct ree_node_io {
    int step;
    int nmat;
    const double *stock;     /* t on hand now (after arrivals; after production in order()) */
    const double *position;  /* t on hand + in transit + on order (licences pending or granted) */
    const double *requested; /* t asked of this node by its customers last step */
    const double *received;  /* t that arrived this step */
    const double *history;   /* t consumed by all sectors, per step and material: entry
                                [s * nmat + m] for steps s < step (recyclers read end of life) */
    const double *scarcity;  /* shortage ratio of each material last step, 0..1 (all sectors) */
    const double *lead;      /* months: share-weighted lead time of the node's rank-0 supply
                                links of each material (0 when none); ordering policies cover
                                demand over it. May be NULL (hand-built io in tests): read 0. */
    const double *asked;     /* t asked of this node this step on its rank-0 outbound links
                                (ungated: the destination's order x the link's share; gated:
                                the licensed tonnage), set for offer() only (NULL elsewhere and
                                in hand-built io: read as no limit) */
    double *produced;        /* out (produce, consume), t: created from inputs or from nothing */
    double *consumed;        /* out (produce, consume), t: used up (recipe inputs, final use) */
    double *lost;            /* out (produce, consume), t: destroyed or written off */
    double *order;           /* out, t: wanted from suppliers this step (0 = nothing) */
    double *offer;           /* out (offer only), t: the most this node will ship this step
                                (preset to its stock, at least 0, before offer(); the other
                                hooks leave it alone: a node without offer() has +inf there) */
    double *metrics;         /* out: one value per metric of the model, in table order */
    double *price;           /* scarcity price index of each material (1 when none is modelled):
                                read by any hook, written only by price models in account() */
    gsl_rng *rng;            /* this entity's per-step stream (REE_STREAM_MODEL) */
} ree_node_io;

/* What a gate hook sees and writes in one step. Arrays have nlink entries (links through it). */
typedef struct ree_gate_io {
    int step;
    int nlink;
    const int *material;     /* material index carried by each link */
    const uint64_t *end_use; /* end-use tag mask of each link's destination */
    const double *applied;   /* t ordered across each link this step (gate_decide) */
    const double *shipped;   /* t shipped across each link this step (gate_ship) */
    double *licensed;        /* out (gate_decide): t that may ship now across each link */
    double *on_order;        /* out (both): t still pending or licensed, not shipped, per link */
    double *metrics;         /* out: the gate model's metrics */
    gsl_rng *rng;            /* this gate's per-step stream (REE_STREAM_GATE) */
    /* The effective parameters of the rule each link's destination matches (the gate model's
     * `rules` model; NULL entries: no rule applies). The array may be NULL: no rules. */
    const void *const *rule;
    double *granted; /* out (gate_decide), may be NULL: t granted this step per link */
} ree_gate_io;

typedef struct ree_model {
    const char *name;
    const char *summary; /* one line for `reesim models` */
    ree_model_kind kind;
    unsigned flags; /* REE_MF_* */

    const ree_param_def *params;
    size_t nparams;
    size_t params_size;

    const ree_metric_def *metrics; /* per step, written by hooks into io->metrics */
    size_t nmetrics;
    const ree_metric_def *indicators; /* per run, written by finish() */
    size_t nindicators;

    const ree_sector_contract *sector; /* set exactly when flags has REE_MF_SECTOR */
    const ree_link_contract *link;     /* set exactly when kind is REE_MODEL_LINK */
    const ree_price_contract *price;   /* set exactly when flags has REE_MF_PRICE */
    const struct ree_model *rules;     /* gate kind: the model of its `rules:` entries (a
                                          REE_MODEL_RULE), NULL when it takes none */

    /* Bytes of per-run state; state_size(ctx) when set, else `state_bytes`. A state stays where
     * it is from reset() to the run's last hook (the engine never copies or moves it within a
     * run), so a model may keep pointers into its own state, set at reset (the gate does). */
    size_t state_bytes;
    size_t (*state_size)(const ree_model_ctx *ctx);

    /* Plan-time check of a parameter struct filled with each parameter's central value (constant,
     * or distribution mean): cross-parameter rules bounds cannot express. Returns 0, or -1 with
     * `why` set and `*key` naming the offending parameter. May be NULL. */
    int (*check)(const void *params, const ree_model_ctx *ctx, const char **key, char *why,
                 size_t whylen);

    /* Start of a run: state from parameters. The state memory is zeroed before the call. */
    void (*reset)(const void *params, void *state, const ree_model_ctx *ctx);

    /* Node hooks, any may be NULL. */
    void (*produce)(const void *params, void *state, const ree_node_io *io);
    void (*order)(const void *params, void *state, const ree_node_io *io);
    void (*offer)(const void *params, void *state, const ree_node_io *io);
    void (*consume)(const void *params, void *state, const ree_node_io *io);
    /* Accounting phase, after consumption and the shortage ratios (io->scarcity is this step's). */
    void (*account)(const void *params, void *state, const ree_node_io *io);

    /* Gate hooks. */
    void (*gate_decide)(const void *params, void *state, ree_gate_io *io);
    void (*gate_ship)(const void *params, void *state, ree_gate_io *io);

    /* End of a run: indicators (in table order) from the state. May be NULL. */
    void (*finish)(const void *params, const void *state, const ree_model_ctx *ctx,
                   double *indicators);

    /* The same hooks on REE_LANES runs at once (model_lanes.h), bit for bit the scalar ones per
     * lane; NULL: a lockstep engine runs the scalar hooks lane by lane. */
    const struct ree_model_lanes *lanes;
} ree_model;

/* The registry: every model, in a fixed order. */
const ree_model *const *ree_models(size_t *count);

/* A model by name; NULL when unknown. */
const ree_model *ree_model_find(const char *name);

/* Index of a parameter by key; -1 when the model has none. */
int ree_model_param_index(const ree_model *m, const char *key);

/* Index of the parameter stored at `offset` of the model's parameter struct (a contract field);
 * -1 when none is. */
int ree_model_param_at(const ree_model *m, size_t offset);

#endif
