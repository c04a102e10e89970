/*
 * link: a shipping route of one material from one node to another. Parameters only: the engine
 * reads them to split orders, allocate shipments and run the pipeline (docs/engine.md steps 4
 * and 6). There are no hooks and no state.
 *
 * What the engine does with them, per step t:
 *  - Orders: a destination's order of a material is split over its inbound links of that
 *    material: first over the links of rank 0, in proportion to their `share`; what they leave
 *    unfilled at shipping cascades, in the same step, to the links of rank 1, and so on (rank 9
 *    is the last resort). Shares are normalised within each (destination, material, rank)
 *    group: share_l / sum of the group's shares (at load the constant shares of a group must
 *    sum to 1; after a change they need not).
 *  - Changes during a run: `rank` and `share` (with delay_prob) may be set by timeline events
 *    and regimes, e.g. buyers ranking a new plant first once it runs. From the step of the
 *    change the groups, their normalised shares and the rank-0 lead time L that the
 *    destination's ordering rule reads (share-weighted lead of its rank-0 links, a lead below 1
 *    read as 1) follow the new values; shipments already on the way are not touched, so mass
 *    balance is unaffected. A gated link whose rank changes starts its fallback applications
 *    afresh (nothing reached its new rank last step).
 *  - Shipping: a sender allocates among the requests on its links by `priority` (highest first),
 *    then in proportion within a priority. A link without its own `priority` takes the
 *    destination's `priority` parameter when the destination's model has one.
 *  - Pipeline: a shipment of q t with lead time d months arrives
 *        q (1 - frac(d))  at t + floor(d)
 *        q frac(d)        at t + floor(d) + 1
 *    With probability delay_prob (drawn by the engine per link and month) that month's whole
 *    shipment takes a further delay_months.
 *
 * Units: lead_time, delay_months [months]; delay_prob [1] per month; share [1]; rank and
 * priority are integers [1].
 *
 * Where the numbers come from:
 *  - lead_time 1: shared/data has no freight figure, so this rests on freight-forwarder guides
 *    (indicative): China to the US West Coast (Los Angeles/Long Beach) takes 12-18 days port to
 *    port and 20-25 days door to door; East Coast cargo via the West Coast and rail 35-40 days
 *    (en.56ok.com, "Global ocean freight transit times", 2025). So about 1-1.5 months door to
 *    door; congestion can double it (Shanghai to US customers through San Pedro Bay 62 days in
 *    2021, Flexport, quoted on rejectfreetrade.com). One month is also the shortest the engine
 *    allows: a lead time of at least one step breaks every cycle. Use
 *    {dist: uniform, min: 1, max: 1.5} for the spread.
 *  - delay_prob 0, delay_months 1: no delays unless a scenario says so (assumption).
 *  - share 1, rank 0: a single supplier per material by default. Timeline changes of rank and
 *    share are scenario assumptions (e.g. non-china-ramp-up.yaml, where buyers switch to US
 *    plants once they run).
 *  - priority 0: the lowest; the destination's own priority usually decides.
 *  - The upper bounds of lead_time and delay_months (120 months) only keep pipeline arithmetic
 *    finite; no real route comes near them.
 */
#include <math.h>
#include <stddef.h>

#include "model.h"

typedef struct link_params {
    double lead_time;    /* months */
    double delay_prob;   /* 1, per month */
    double delay_months; /* months */
    double share;        /* 1 */
    double rank;         /* 1, integral 0..9 */
    double priority;     /* 1, integral 0..10 */
} link_params;

#define LINK_MAX_MONTHS 120.0 /* keeps t + lead time finite and small */

static const ree_param_def link_param_defs[] = {
    {.key = "lead_time",
     .type = REE_PT_NUM,
     .offset = offsetof(link_params, lead_time),
     .def = 1,
     .min = 1,
     .max = LINK_MAX_MONTHS,
     .unit = "months",
     .doc = "shipping time; a fraction splits arrivals over two steps"},
    {.key = "delay_prob",
     .type = REE_PT_NUM,
     .offset = offsetof(link_params, delay_prob),
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "chance per month that this month's shipment is delayed"},
    {.key = "delay_months",
     .type = REE_PT_NUM,
     .offset = offsetof(link_params, delay_months),
     .def = 1,
     .max = LINK_MAX_MONTHS,
     .unit = "months",
     .doc = "extra transit time of a delayed shipment"},
    {.key = "share",
     .type = REE_PT_NUM,
     .offset = offsetof(link_params, share),
     .def = 1,
     .max = 1,
     .flags = REE_PF_TIMELINE,
     .unit = "1",
     .doc = "share of the destination's order placed here among links of the same rank"},
    {.key = "rank",
     .type = REE_PT_NUM,
     .offset = offsetof(link_params, rank),
     .max = 9,
     .flags = REE_PF_INT | REE_PF_TIMELINE,
     .unit = "1",
     .doc = "0 = first choice; unfilled orders cascade to the next rank in the same step"},
    {.key = "priority",
     .type = REE_PT_NUM,
     .offset = offsetof(link_params, priority),
     .max = 10,
     .flags = REE_PF_INT,
     .unit = "1",
     .doc = "allocation priority at the sender (default: the destination's priority)"},
};

static const ree_link_contract link_contract = {
    .lead_time = offsetof(link_params, lead_time),
    .delay_prob = offsetof(link_params, delay_prob),
    .delay_months = offsetof(link_params, delay_months),
    .share = offsetof(link_params, share),
    .rank = offsetof(link_params, rank),
    .priority = offsetof(link_params, priority),
};

const ree_model ree_model_link = {
    .name = "link",
    .summary = "shipping route: lead time, delays, order share, rank and priority",
    .kind = REE_MODEL_LINK,
    .flags = 0,
    .params = link_param_defs,
    .nparams = sizeof link_param_defs / sizeof link_param_defs[0],
    .params_size = sizeof(link_params),
    .metrics = NULL,
    .nmetrics = 0,
    .indicators = NULL,
    .nindicators = 0,
    .link = &link_contract,
    .state_bytes = 0,
    .state_size = NULL,
    .check = NULL,
    .reset = NULL,
    .gate_decide = NULL,
    .gate_ship = NULL,
    .finish = NULL,
};
