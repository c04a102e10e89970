/*
 * Resilience indicators of a need / use trajectory (resilience.h; docs/indicators.md has the
 * formulas and their sources: Sprecher et al. 2017 for onset, depth and duration, Bruneau et
 * al. 2003 for the depth-duration area).
 */
#include "resilience.h"

void ree_resil_reset(ree_resil *a, double service_level, double shock, double recover_months)
{
    *a = (ree_resil){0};
    a->service_level = service_level;
    a->shock = shock;
    a->recover_months = recover_months;
    a->first_short = -1;
    a->onset = -1;
    a->ok_from = -1;
    a->recovered = -1;
}

int ree_resil_step(ree_resil *a, int step, double need, double used, double shortfall, double lost)
{
    double share = need > 0 ? shortfall / need : 0;
    a->total_short += shortfall;
    a->total_need += need;
    a->total_lost += lost;
    if (share > a->max_share)
        a->max_share = share;
    if (shortfall > a->max_short)
        a->max_short = shortfall;
    a->sum_share += share;
    int is_short = used < a->service_level * need;
    if (is_short) {
        a->months_short += 1;
        if (a->first_short < 0)
            a->first_short = step;
    }
    /* Recovery of the first episode after the shock: a run of recover_months months not short. */
    if (a->onset < 0) {
        if (is_short && step >= a->shock)
            a->onset = step;
    } else if (a->recovered < 0) {
        if (is_short)
            a->ok_from = -1;
        else {
            if (a->ok_from < 0)
                a->ok_from = step;
            if (step - a->ok_from + 1 >= a->recover_months)
                a->recovered = a->ok_from;
        }
    }
    return is_short;
}

void ree_resil_finish(const ree_resil *a, int nsteps, ree_resil_result *out)
{
    int n = nsteps;
    out->shortfall = a->total_short;
    out->shortfall_share = a->total_need > 0 ? a->total_short / a->total_need : 0;
    out->months_short = a->months_short;
    out->max_shortfall_share = a->max_share;
    out->lost_units = a->total_lost;
    out->first_short_month = a->first_short >= 0 ? a->first_short : n;
    out->max_shortfall = a->max_short;
    out->depth_duration = a->sum_share;
    out->onset_lag = a->onset >= 0 ? a->onset - a->shock : n;
    out->time_to_recover = a->onset < 0        ? 0
                           : a->recovered >= 0 ? a->recovered - a->onset
                                               : n - a->onset;
}

/* The lane versions: the same operations per lane, branches as selects. */
void ree_resil_reset_lanes(ree_resil_lanes *a, const ree_vd *service_level, const ree_vd *shock,
                           const ree_vd *recover_months)
{
    const ree_vd none = REE_VSPLAT(-1.0);
    *a = (ree_resil_lanes){0};
    a->service_level = *service_level;
    a->shock = *shock;
    a->recover_months = *recover_months;
    a->first_short = a->onset = a->ok_from = a->recovered = none;
}

void ree_resil_step_lanes(ree_resil_lanes *a, int step, const ree_vd *need, const ree_vd *used,
                          const ree_vd *shortfall, const ree_vd *lost)
{
    const ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0), t = REE_VSPLAT((double)step);
    ree_vd n = *need, sf = *shortfall;
    ree_vd share = REE_VSEL(REE_VCMP(n, >, zero), sf / n, zero);
    a->total_short += sf;
    a->total_need += n;
    a->total_lost += *lost;
    a->max_share = REE_VSEL(REE_VCMP(share, >, a->max_share), share, a->max_share);
    a->max_short = REE_VSEL(REE_VCMP(sf, >, a->max_short), sf, a->max_short);
    a->sum_share += share;
    ree_vl sh = REE_VCMP(*used, <, a->service_level * n);
    a->months_short = REE_VSEL(sh, a->months_short + one, a->months_short);
    a->first_short = REE_VSEL(sh & REE_VCMP(a->first_short, <, zero), t, a->first_short);
    /* The branches of the scalar step on the onset as it was before this step. */
    ree_vl before = REE_VCMP(a->onset, <, zero);
    a->onset = REE_VSEL(before & sh & REE_VCMP(t, >=, a->shock), t, a->onset);
    ree_vl open = ~before & REE_VCMP(a->recovered, <, zero);
    a->ok_from = REE_VSEL(open & sh, REE_VSPLAT(-1.0), a->ok_from);
    ree_vl ok = open & ~sh;
    a->ok_from = REE_VSEL(ok & REE_VCMP(a->ok_from, <, zero), t, a->ok_from);
    a->recovered = REE_VSEL(ok & REE_VCMP(t - a->ok_from + one, >=, a->recover_months), a->ok_from,
                            a->recovered);
}

void ree_resil_finish_lanes(const ree_resil_lanes *a, int nsteps, ree_resil_result out[REE_LANES])
{
    for (int l = 0; l < REE_LANES; l++) {
        ree_resil s = {.service_level = a->service_level[l],
                       .shock = a->shock[l],
                       .recover_months = a->recover_months[l],
                       .total_short = a->total_short[l],
                       .total_need = a->total_need[l],
                       .months_short = a->months_short[l],
                       .max_share = a->max_share[l],
                       .total_lost = a->total_lost[l],
                       .max_short = a->max_short[l],
                       .sum_share = a->sum_share[l],
                       .first_short = (int)a->first_short[l],
                       .onset = (int)a->onset[l],
                       .ok_from = (int)a->ok_from[l],
                       .recovered = (int)a->recovered[l]};
        ree_resil_finish(&s, nsteps, &out[l]);
    }
}

const ree_metric_def ree_resil_region_defs[] = {
    {"shortfall", "t", "total shortfall of the region's sectors", REE_DIR_HIGHER_WORSE,
     REE_MD_HEADLINE},
    {"shortfall_share", "1", "total shortfall / total need of the region (0 if no need)",
     REE_DIR_HIGHER_WORSE, 0},
    {"months_short", "months", "months the region's summed use is below the service level",
     REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE},
    {"max_shortfall_share", "1", "largest monthly shortfall share of the summed need",
     REE_DIR_HIGHER_WORSE, 0},
    [REE_RESIL_REGION_LOST_UNITS] = {"lost_units", "units",
                                     "units of output lost, summed over the region's sectors "
                                     "(only when they share kg_per_unit)",
                                     REE_DIR_HIGHER_WORSE, REE_MD_HEADLINE},
    {"max_shortfall", "t", "largest monthly shortfall of the summed need", REE_DIR_HIGHER_WORSE, 0},
    {"depth_duration", "months", "sum of the region's monthly shortfall shares",
     REE_DIR_HIGHER_WORSE, 0},
    {"onset_lag", "months", "first short month of the region (horizon if none)",
     REE_DIR_HIGHER_BETTER, 0},
    {"time_to_recover", "months",
     "months from the onset to 3 in a row at service level (0 if no onset)", REE_DIR_HIGHER_WORSE,
     0},
};

const size_t ree_resil_region_count =
    sizeof ree_resil_region_defs / sizeof ree_resil_region_defs[0];

double ree_resil_region_value(const ree_resil_result *res, size_t k)
{
    const double v[] = {res->shortfall,           res->shortfall_share, res->months_short,
                        res->max_shortfall_share, res->lost_units,      res->max_shortfall,
                        res->depth_duration,      res->onset_lag,       res->time_to_recover};
    return k < sizeof v / sizeof v[0] ? v[k] : 0;
}
