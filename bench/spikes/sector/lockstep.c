/*
 * The sector model's k = 1 (firm_classes 1) hooks in the lockstep layout: every state variable
 * and io array a vector over LANES = 8 runs, branches turned into selects (AVX-512 masks), the
 * same operations in the same order as models/sector.c (no FMA: -ffp-contract=off), so each
 * lane is bit for bit the scalar hook's run.
 *
 * Variants, by -D (each build exports one lock_hooks named LS_NAME):
 *   VAR_PINV_VEC 0: ree_ugaussian_pinv per lane, scalar (exactmath.h)            -> 2a
 *   VAR_PINV_VEC 1: its rational functions on vectors (Horner, same order), sqrt on vectors
 *                   (IEEE, correctly rounded), log per lane scalar (glibc)       -> 2b
 *   VAR_POW_SHARED 1: 2b + one pow per block when all lanes have the same base and exponent
 *                   (block-uniform growth; bit for bit)                          -> 2c
 *   VAR_MVEC 1:     2b with glibc's libmvec _ZGVeN8v_exp / _ZGVeN8vv_pow / _ZGVeN8v_log
 *                   (NOT the scalar functions' bits: the mismatches are counted) -> 2d
 *   VAR_VDRAW 1:    the draw itself on vectors: Philox4x64-10 for the 8 lanes' counters with
 *                   64x64->128 multiplies built from vpmuludq (integer: bit for bit), only for
 *                   the first draw of a just-selected stream (the sector's one draw per step);
 *                   with 2c -> 2e, with 2d -> 2f
 *   BD_DRAW, BD_LOG, BD_EXP, BD_POW: the call replaced by a vector load of the value it returns
 *                   (oracle tables), for the breakdown; the argument is still computed (an
 *                   empty asm takes it), so no work upstream of the call is dropped with it.
 * Except with VAR_VDRAW, the draw is per lane scalar: ree_rng_uniform_pos_gsl on the lane's
 * generator.
 */
#pragma GCC target("arch=x86-64-v4")

#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "exactmath.h"
#include "lock.h"
#include "model.h"
#include "resilience.h"
#include "rng.h"

#ifndef VAR_PINV_VEC
#define VAR_PINV_VEC 0
#endif
#ifndef VAR_POW_SHARED
#define VAR_POW_SHARED 0
#endif
#ifndef VAR_MVEC
#define VAR_MVEC 0
#endif

#ifndef VAR_VDRAW
#define VAR_VDRAW 0
#endif

#if VAR_MVEC
__m512d _ZGVeN8v_exp(__m512d x);
__m512d _ZGVeN8v_log(__m512d x);
__m512d _ZGVeN8vv_pow(__m512d x, __m512d y);
#endif

#define STOP_EPS 1e-9

typedef __mmask8 msk;

static inline v8d splat(double x)
{
    return (v8d){x, x, x, x, x, x, x, x};
}
/* C's comparisons on doubles: <, >, >=, == are ordered (false on NaN), != and !(<=) true on NaN */
static inline msk lt(v8d a, v8d b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ);
}
static inline msk gt(v8d a, v8d b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ);
}
static inline msk ge(v8d a, v8d b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ);
}
static inline msk eq(v8d a, v8d b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ);
}
static inline msk ne(v8d a, v8d b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_NEQ_UQ);
}
static inline msk nle(v8d a, v8d b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_NLE_UQ);
}
/* k ? a : b per lane */
static inline v8d sel(msk k, v8d a, v8d b)
{
    return _mm512_mask_blend_pd(k, b, a);
}

#define ORC_V(t) (t[io->blk * NSTEP + io->step])

#if VAR_VDRAW
/* hi:lo = a * b per 64-bit lane, from four 32x32->64 products (AVX-512 has no 64-bit mulhi) */
static inline void mulhilo_v(__m512i a, unsigned long long b, __m512i *hi, __m512i *lo)
{
    const __m512i m32 = _mm512_set1_epi64(0xffffffffll);
    const __m512i bl = _mm512_set1_epi64((long long)(b & 0xffffffffu));
    const __m512i bh = _mm512_set1_epi64((long long)(b >> 32));
    __m512i ah = _mm512_srli_epi64(a, 32);
    __m512i ll = _mm512_mul_epu32(a, bl), lh = _mm512_mul_epu32(a, bh);
    __m512i hl = _mm512_mul_epu32(ah, bl), hh = _mm512_mul_epu32(ah, bh);
    __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));
    __m512i w1 = _mm512_add_epi64(_mm512_and_si512(t, m32), lh);
    *hi =
        _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(w1, 32));
    *lo = _mm512_or_si512(_mm512_slli_epi64(w1, 32), _mm512_and_si512(ll, m32));
}

/* ree_rng_uniform_pos_gsl for the first draw of each lane's stream {seed, run, entity, kind}:
 * block 0 of Philox4x64-10 (Random123's rounds and key schedule), word 0, k -> k / 2^53. */
static inline v8d draw_v(const ree_node_io_v *io, msk act)
{
    const unsigned long long M0 = 0xD2E7470EE14C6C93ull, M1 = 0xCA5A826395121157ull;
    const unsigned long long W0 = 0x9E3779B97F4A7C15ull, W1 = 0xBB67AE8584CAA73Bull;
    unsigned long long run0 = (unsigned long long)io->blk * LANES;
    __m512i c0 = _mm512_add_epi64(_mm512_set1_epi64((long long)run0),
                                  _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
    __m512i c1 = _mm512_set1_epi64((long long)(REE_STREAM_MODEL | (unsigned)(io->step + 1) << 8));
    __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
    unsigned long long k0 = io->seed, k1 = io->entity;
    for (int rd = 0; rd < 10; rd++) {
        if (rd > 0) {
            k0 += W0;
            k1 += W1;
        }
        __m512i hi0, lo0, hi1, lo1;
        mulhilo_v(c0, M0, &hi0, &lo0);
        mulhilo_v(c2, M1, &hi1, &lo1);
        __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi64((long long)k0));
        __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi64((long long)k1));
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    /* k = x0 * 2^21 + floor(x1 / 2^11), x0 the low half of word 0, x1 its high half */
    __m512i k = _mm512_or_si512(
        _mm512_slli_epi64(_mm512_and_si512(c0, _mm512_set1_epi64(0xffffffffll)), 21),
        _mm512_srli_epi64(c0, 43));
    v8d u = (v8d)_mm512_mul_pd(_mm512_cvtepi64_pd(k), _mm512_set1_pd(0x1p-53));
    msk kz = act & _mm512_cmpeq_epi64_mask(k, _mm512_setzero_si512());
    if (kz) /* k = 0: GSL draws again; the lane's generator does it (same stream, just selected) */
        for (int l = 0; l < LANES; l++)
            if (kz >> l & 1)
                u[l] = ree_rng_uniform_pos_gsl(io->rng[l]);
    return u;
}
#endif

/* rate() of sector.c */
static inline v8d rate_v(v8d months)
{
    return sel(gt(months, splat(1)), splat(1) / months, splat(1));
}

#if VAR_PINV_VEC
/* exactmath.h's coefficients (AS 241), copied: the function keeps them static inside. */
static const double central[16] = {
    3.387132872796366608,  133.14166789178437745, 1971.5909503065514427,
    13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
    33430.575583588128105, 2509.0809287301226727, 1.0,
    42.313330701600911252, 687.1870074920579083,  5394.1960214247511077,
    21213.794301586595867, 39307.89580009271061,  28729.085735721942674,
    5226.495278852854561};
static const double middle[16] = {
    1.42343711074968357734,   4.6303378461565452959,    5.7694972214606914055,
    3.64784832476320460504,   1.27045825245236838258,   0.24178072517745061177,
    0.0227238449892691845833, 7.7454501427834140764e-4, 1.0,
    2.05319162663775882187,   1.6763848301838038494,    0.68976733498510000455,
    0.14810397642748007459,   0.0151986665636164571966, 5.475938084995344946e-4,
    1.05075007164441684324e-9};
static const double tail[16] = {
    6.6579046435011037772,     5.4637849111641143699,     1.7848265399172913358,
    0.29656057182850489123,    0.026532189526576123093,   0.0012426609473880784386,
    2.71155556874348757815e-5, 2.01033439929228813265e-7, 1.0,
    0.59983220655588793769,    0.13692988092273580531,    0.0148753612908506148525,
    7.868691311456132591e-4,   1.8463183175100546818e-5,  1.4215117583164458887e-7,
    2.04426310338993978564e-15};

/* ree_rat77 on vectors: the same Horner steps in the same order. */
static inline v8d rat77_v(const double c[16], v8d x)
{
    v8d u = splat(c[7]), v = splat(c[15]);
    for (int i = 6; i >= 0; i--) {
        u = x * u + c[i];
        v = x * v + c[8 + i];
    }
    return u / v;
}

/* ree_ugaussian_pinv on the lanes of `act` (others: don't care). */
static inline v8d pinv_v(v8d p, msk act, const ree_node_io_v *io)
{
    (void)io;
    v8d q = p - 0.5;
    v8d res = q * rat77_v(central, 0.180625 - q * q);
    v8d aq = (v8d)_mm512_abs_pd(q);
    msk kt = act & nle(aq, splat(0.425)); /* !(fabs(q) <= 0.425) */
    if (kt) {
        msk klo = lt(p, splat(0.5));
        v8d pp = sel(klo, p, 1.0 - p);
        v8d lg = splat(0);
#if BD_LOG
        __asm__ volatile("" : : "v"(pp));
        lg = sel(kt, ORC_V(orc_lg_v), lg);
#elif VAR_MVEC
        lg = sel(kt, _ZGVeN8v_log(pp), lg);
#else
        double lgs[LANES] __attribute__((aligned(64)));
        memcpy(lgs, &lg, sizeof lgs);
        for (int l = 0; l < LANES; l++)
            if (kt >> l & 1)
                lgs[l] = log(pp[l]);
        memcpy(&lg, lgs, sizeof lgs);
#endif
        v8d r = (v8d)_mm512_sqrt_pd(-lg);
        v8d x = rat77_v(middle, r - 1.6);
        msk kf = kt & nle(r, splat(5.0));
        if (kf)
            x = sel(kf, rat77_v(tail, r - 5.0), x);
        x = sel(klo, -x, x);
        res = sel(kt, x, res);
    }
    res = sel(eq(p, splat(1.0)), splat(INFINITY), res);
    res = sel(eq(p, splat(0.0)), splat(-INFINITY), res);
    return res;
}
#endif

/* growth_path of sector.c, one lane */
static double growth_path(double g0, double growth, int months)
{
    double base = 1 + growth;
    return g0 * (base == 1 ? 1 : pow(base, months / 12.0));
}

static void write_metrics_v(const sector_state_v *s, v8d *metrics)
{
    metrics[0] = s->demand_t;
    metrics[1] = s->need;
    metrics[2] = s->used;
    metrics[3] = s->shortfall;
    metrics[4] = s->share;
    metrics[5] = s->sub;
    metrics[6] = s->destroyed;
    metrics[7] = s->lost_units;
    metrics[8] = s->stopped;
}

static void reset_v(const sector_params_v *p, sector_state_v *s)
{
    memset(s, 0, sizeof *s);
    v8d m1 = splat(-1);
    s->service_level = p->service_level;
    s->shock = (v8d)_mm512_roundscale_pd(p->shock_start, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
    s->recover_months = p->recover_months;
    s->first_short = s->onset = s->ok_from = s->recovered = m1;
    s->plag = splat(1);
    s->g0 = splat(1);
    s->g_rate = p->growth;
    s->t0 = splat(0);
    s->first_stop = s->first_stop_after = m1;
}

static void order_v(const sector_params_v *p, sector_state_v *s, const ree_node_io_v *io)
{
    const v8d one = splat(1), zero = splat(0);
    int m = p->material;

    v8d factor = one;
    msk kn = ne(p->noise, zero);
    if (kn) {
        v8d u;
#if BD_DRAW
        u = sel(kn, ORC_V(orc_u_v), splat(0.5));
#elif VAR_VDRAW
        u = sel(kn, draw_v(io, kn), splat(0.5));
#else
        double us[LANES] __attribute__((aligned(64))) = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
        for (int l = 0; l < LANES; l++)
            if (kn >> l & 1)
                us[l] = ree_rng_uniform_pos_gsl(io->rng[l]);
        memcpy(&u, us, sizeof u);
#endif
        v8d z;
#if VAR_PINV_VEC
        z = pinv_v(u, kn, io);
#else
        double zs[LANES] __attribute__((aligned(64))) = {0};
        for (int l = 0; l < LANES; l++)
            if (kn >> l & 1)
                zs[l] = ree_ugaussian_pinv(u[l]);
        memcpy(&z, zs, sizeof z);
#endif
        v8d arg = p->noise * z - p->noise * p->noise / 2;
        v8d ex;
#if BD_EXP
        __asm__ volatile("" : : "v"(arg));
        ex = ORC_V(orc_ex_v);
#elif VAR_MVEC
        ex = _ZGVeN8v_exp(arg);
#else
        double es[LANES] __attribute__((aligned(64))) = {1, 1, 1, 1, 1, 1, 1, 1};
        for (int l = 0; l < LANES; l++)
            if (kn >> l & 1)
                es[l] = exp(arg[l]);
        memcpy(&ex, es, sizeof ex);
#endif
        factor = sel(kn, ex, one);
    }

    /* A changed growth starts a new path (rare: timeline events, regimes): per lane. */
    msk kg = ne(p->growth, s->g_rate);
    if (kg) {
        for (int l = 0; l < LANES; l++)
            if (kg >> l & 1) {
                s->g0[l] = growth_path(s->g0[l], s->g_rate[l], io->step - (int)s->t0[l]);
                s->g_rate[l] = p->growth[l];
                s->t0[l] = io->step;
            }
    }
    v8d base = one + s->g_rate;
    v8d y = (splat(io->step) - s->t0) / 12.0;
    msk kb = ne(base, one); /* base == 1 ? 1 : pow(...) */
    v8d pw = one;
    if (kb) {
#if BD_POW
        __asm__ volatile("" : : "v"(base), "v"(y));
        pw = sel(kb, ORC_V(orc_pw_v), one);
#elif VAR_MVEC
        pw = sel(kb, _ZGVeN8vv_pow(base, y), one);
#else
#if VAR_POW_SHARED
        if (kb == 0xff && eq(base, splat(base[0])) == 0xff && eq(y, splat(y[0])) == 0xff) {
            pw = splat(pow(base[0], y[0]));
        } else
#endif
        {
            double ps[LANES] __attribute__((aligned(64))) = {1, 1, 1, 1, 1, 1, 1, 1};
            for (int l = 0; l < LANES; l++)
                if (kb >> l & 1)
                    ps[l] = pow(base[l], y[l]);
            memcpy(&pw, ps, sizeof pw);
        }
#endif
    }
    v8d grown = s->g0 * pw;
    s->demand_t = p->demand * grown * factor;

    v8d price = io->price ? io->price[m] : one;
    s->plag += (price - s->plag) * rate_v(p->price_lag_months);
    v8d lnp = zero;
    msk kp = gt(s->plag, one);
    if (kp) {
        double ls[LANES] __attribute__((aligned(64))) = {0};
        for (int l = 0; l < LANES; l++)
            if (kp >> l & 1)
                ls[l] = log(s->plag[l]);
        memcpy(&lnp, ls, sizeof lnp);
    }
    v8d sub_p = p->price_sub_elasticity * lnp;
    sub_p = sel(gt(sub_p, p->sub_max), p->sub_max, sub_p);
    msk k1 = gt(s->share, p->sub_trigger);
    msk k2 = (msk)~k1 & lt(s->sub, sub_p);
    v8d a1 = s->sub + (p->sub_max - s->sub) * rate_v(p->sub_months);
    v8d a2 = s->sub + (sub_p - s->sub) * rate_v(p->sub_months);
    v8d a3 = s->sub - (s->sub - sub_p) * rate_v(p->sub_revert_months);
    s->sub = sel(k1, a1, sel(k2, a2, a3));

    v8d sc = io->scarcity[m];
    v8d dd = p->dd_elasticity * sel(gt(sc, zero), sc, zero) + p->price_dd_elasticity * lnp;
    dd = sel(gt(dd, p->dd_max), p->dd_max, dd);
    v8d kept = s->demand_t * (1 - s->sub);
    s->destroyed = kept * dd;
    s->need = kept * (1 - dd);

    v8d lead = io->lead ? io->lead[m] : zero;
    /* k = 1 only (checked by the harness) */
    v8d q = s->need * (1 + lead + p->cover_weeks / REE_WEEKS_PER_MONTH) - io->position[m];
    io->order[m] = sel(gt(q, zero), q, zero);

    s->used = zero;
    s->shortfall = zero;
    s->lost_units = zero;
    s->stopped = zero;
    write_metrics_v(s, io->metrics);
}

/* ree_resil_step on lanes */
static inline void resil_step_v(sector_state_v *a, v8d step, v8d need, v8d used, v8d shortfall,
                                v8d lost)
{
    const v8d zero = splat(0);
    v8d share = sel(gt(need, zero), shortfall / need, zero);
    a->total_short += shortfall;
    a->total_need += need;
    a->total_lost += lost;
    a->max_share = sel(gt(share, a->max_share), share, a->max_share);
    a->max_short = sel(gt(shortfall, a->max_short), shortfall, a->max_short);
    a->sum_share += share;
    msk ks = lt(used, a->service_level * need);
    a->months_short = sel(ks, a->months_short + 1, a->months_short);
    a->first_short = sel(ks & lt(a->first_short, zero), step, a->first_short);
    msk kno = lt(a->onset, zero);
    msk krec = (msk)~kno & lt(a->recovered, zero);
    a->onset = sel(kno & ks & ge(step, a->shock), step, a->onset);
    a->ok_from = sel(krec & ks, splat(-1), a->ok_from);
    msk kok = krec & (msk)~ks;
    a->ok_from = sel(kok & lt(a->ok_from, zero), step, a->ok_from);
    a->recovered =
        sel(kok & ge(step - a->ok_from + 1, a->recover_months), a->ok_from, a->recovered);
}

static void consume_v(const sector_params_v *p, sector_state_v *s, const ree_node_io_v *io)
{
    const v8d zero = splat(0);
    int m = p->material;
    v8d stepv = splat(io->step);

    v8d stock = io->stock[m];
    stock = sel(gt(stock, zero), stock, zero);
    v8d months = zero;
    s->stopped = zero;
    s->used = sel(lt(stock, s->need), stock, s->need);
    s->shortfall = s->need - s->used;
    s->lost_units = s->shortfall * 1000 / p->kg_per_unit;
    v8d stop = sel(gt(s->need, zero), s->shortfall / s->need, zero);
    /* class_stop with k = 1 (1.0 / k, stop / k as in sector.c) */
    v8d kf = splat(1);
    msk kst = gt(stop, splat(STOP_EPS)) & ge(stop * REE_DAYS_PER_MONTH, p->stop_days);
    s->stopped = sel(kst, s->stopped + 1.0 / kf, s->stopped);
    months = sel(kst, months + stop / kf, months);

    io->consumed[m] = s->used;
    s->share = sel(gt(s->need, zero), s->shortfall / s->need, zero);

    msk kstop = gt(s->stopped, zero);
    if (kstop) {
        s->first_stop = sel(kstop & lt(s->first_stop, zero), stepv, s->first_stop);
        /* ceil(p->shock_start) == s->shock, set at reset from the same parameter */
        s->first_stop_after = sel(kstop & lt(s->first_stop_after, zero) & ge(stepv, s->shock),
                                  stepv, s->first_stop_after);
    }
    s->firm_months += months;
    s->max_stopped = sel(gt(s->stopped, s->max_stopped), s->stopped, s->max_stopped);

    resil_step_v(s, stepv, s->need, s->used, s->shortfall, s->lost_units);
    write_metrics_v(s, io->metrics);
}

static void finish_v(const sector_params_v *p, const sector_state_v *s, int nsteps, double *ind)
{
    for (int l = 0; l < LANES; l++) {
        ree_resil a = {.service_level = s->service_level[l],
                       .shock = s->shock[l],
                       .recover_months = s->recover_months[l],
                       .total_short = s->total_short[l],
                       .total_need = s->total_need[l],
                       .months_short = s->months_short[l],
                       .max_share = s->max_share[l],
                       .total_lost = s->total_lost[l],
                       .max_short = s->max_short[l],
                       .sum_share = s->sum_share[l],
                       .first_short = (int)s->first_short[l],
                       .onset = (int)s->onset[l],
                       .ok_from = (int)s->ok_from[l],
                       .recovered = (int)s->recovered[l]};
        ree_resil_result res;
        ree_resil_finish(&a, nsteps, &res);
        double *o = ind + l * 14;
        o[0] = res.shortfall;
        o[1] = res.shortfall_share;
        o[2] = res.months_short;
        o[3] = res.max_shortfall_share;
        o[4] = res.lost_units;
        o[5] = res.first_short_month;
        o[6] = res.max_shortfall;
        o[7] = res.depth_duration;
        o[8] = res.onset_lag;
        o[9] = res.time_to_recover;
        o[10] = s->first_stop[l] >= 0 ? s->first_stop[l] : nsteps;
        o[11] =
            s->first_stop_after[l] >= 0 ? s->first_stop_after[l] - ceil(p->shock_start[l]) : nsteps;
        o[12] = s->firm_months[l];
        o[13] = s->max_stopped[l];
    }
}

#if VAR_PINV_VEC && !BD_LOG
/* pinv_v on n values (n a multiple of LANES), for the harness's edge test */
#define CAT_(a, b) a##b
#define CAT(a, b)  CAT_(a, b)
void CAT(LS_NAME, _pinv)(const double *p, double *z, int n);
void CAT(LS_NAME, _pinv)(const double *p, double *z, int n)
{
    for (int i = 0; i < n; i += LANES) {
        v8d x;
        memcpy(&x, p + i, sizeof x);
        x = pinv_v(x, 0xff, NULL);
        memcpy(z + i, &x, sizeof x);
    }
}
#endif

const lock_hooks LS_NAME = {
    .name = LS_LABEL,
    .reset = reset_v,
    .order = order_v,
    .consume = consume_v,
    .finish = finish_v,
};
