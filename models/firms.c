/* Firm populations as quantile classes of a cover distribution (firms.h). */
#include "firms.h"

#include <math.h>

#include "exactmath.h"
#include "model.h"

void ree_firms_reset(ree_firms *f, double classes, double cover, double cover_sd)
{
    *f = (ree_firms){0};
    f->k = classes < 1 ? 1 : classes > REE_FIRMS_MAX ? REE_FIRMS_MAX : (int)classes;
    double c = cover, sl2 = c > 0 ? ree_log1p(cover_sd * cover_sd / (c * c)) : 0;
    if (!(sl2 > 0)) {
        for (int i = 0; i < f->k; i++)
            f->cover[i] = c;
        return;
    }
    /* exp(ln c - sl2 / 2 + sqrt(sl2) z_i): the first two terms and the root once per call */
    double mu = ree_log(c) - sl2 / 2, sd = sqrt(sl2);
    for (int i = 0; i < f->k; i++)
        f->cover[i] = ree_exp(mu + sd * ree_ugaussian_pinv((i + 0.5) / f->k));
}

/* v[0..k) scaled to sum to total, given their sum (added in index order from +0). A ratio of
 * exactly 1 (the classes already sum to the total, as they do at most calls) leaves every
 * v[i] * 1 = v[i] as it is, so they are not visited. */
static void scale_to(double *v, int k, double total, double sum)
{
    if (sum > 0) {
        double r = total / sum;
        if (r == 1)
            return;
        for (int i = 0; i < k; i++)
            v[i] = v[i] * r;
    } else {
        double e = total / k;
        for (int i = 0; i < k; i++)
            v[i] = e;
    }
}

void ree_firms_rescale(double *v, int k, double total)
{
    double sum = 0;
    for (int i = 0; i < k; i++)
        sum += v[i];
    scale_to(v, k, total, sum);
}

/* The sums that ree_firms_rescale() would take of cstock and cpipe are added as the values are
 * set, in the same order, so each class is visited once per pass. */
void ree_firms_split(ree_firms *f, double stock, double position, double received)
{
    int k = f->k;
    double st = stock > 0 ? stock : 0;
    double q = position - stock;
    if (q < 0)
        q = 0;
    double ssum = 0, psum = 0;
    if (!f->started) {
        for (int i = 0; i < k; i++) {
            f->cstock[i] = 1 + f->cover[i] / REE_WEEKS_PER_MONTH;
            f->cpipe[i] = 1;
            ssum += f->cstock[i];
            psum += f->cpipe[i];
        }
        f->started = 1;
    } else {
        double x = q - f->qprev + received, ord = 0;
        if (x < 0)
            x = 0;
        for (int i = 0; i < k; i++)
            ord += f->corder[i];
        double pipe = 0;
        if (ord > 0) {
            for (int i = 0; i < k; i++) {
                f->cpipe[i] += x * (f->corder[i] / ord);
                pipe += f->cpipe[i];
            }
        } else {
            double e = 1.0 / k;
            for (int i = 0; i < k; i++) {
                f->cpipe[i] += x * e;
                pipe += f->cpipe[i];
            }
        }
        for (int i = 0; i < k; i++) {
            double r = pipe > 0 ? received * (f->cpipe[i] / pipe) : received / k;
            f->cpipe[i] -= r;
            if (f->cpipe[i] < 0)
                f->cpipe[i] = 0;
            f->cstock[i] += r;
            ssum += f->cstock[i];
            psum += f->cpipe[i];
        }
    }
    scale_to(f->cstock, k, st, ssum);
    scale_to(f->cpipe, k, q, psum);
    f->qprev = q;
}

/* The lane versions: the same operations per lane. The covers take library functions once per
 * run, so each lane's are the scalar reset's. */
void ree_firms_reset_lanes(ree_firms_lanes *f, const ree_vd *classes, const ree_vd *cover,
                           const ree_vd *cover_sd)
{
    *f = (ree_firms_lanes){0};
    ree_firms one;
    for (int l = 0; l < REE_LANES; l++) {
        ree_firms_reset(&one, (*classes)[l], (*cover)[l], (*cover_sd)[l]);
        f->kd[l] = one.k;
        if (one.k > f->kmax)
            f->kmax = one.k;
        for (int i = 0; i < one.k; i++)
            f->cover[i][l] = one.cover[i];
    }
}

/* scale_to() on each lane: the sums given, v[i] * (total / sum) or the equal split. A ratio of
 * exactly 1 in every lane that scales changes nothing, as there. */
static void scale_to_lanes(const ree_firms_lanes *f, ree_vd *v, const ree_vd *total,
                           const ree_vd *sum)
{
    ree_vl scale = REE_VCMP(*sum, >, REE_VSPLAT(0.0));
    ree_vd r = *total / *sum, e = *total / f->kd;
    if (REE_VALL(scale & REE_VCMP(r, ==, REE_VSPLAT(1.0))))
        return;
    for (int i = 0; i < f->kmax; i++)
        v[i] = REE_VSEL(scale, v[i] * r, e);
}

void ree_firms_rescale_lanes(const ree_firms_lanes *f, ree_vd *v, const ree_vd *total)
{
    ree_vd sum = REE_VSPLAT(0.0);
    for (int i = 0; i < f->kmax; i++)
        sum = REE_VSEL(REE_FIRMS_LIVE(f, i), sum + v[i], sum);
    scale_to_lanes(f, v, total, &sum);
}

void ree_firms_split_lanes(ree_firms_lanes *f, const ree_vd *stock, const ree_vd *position,
                           const ree_vd *received)
{
    const ree_vd zero = REE_VSPLAT(0.0), one = REE_VSPLAT(1.0);
    int kmax = f->kmax;
    ree_vd st = REE_VSEL(REE_VCMP(*stock, >, zero), *stock, zero);
    ree_vd q = *position - *stock;
    q = REE_VSEL(REE_VCMP(q, <, zero), zero, q);
    ree_vd ssum = zero, psum = zero, rec = *received;
    if (!f->started) {
        for (int i = 0; i < kmax; i++) {
            ree_vl live = REE_FIRMS_LIVE(f, i);
            f->cstock[i] = one + f->cover[i] / REE_WEEKS_PER_MONTH;
            f->cpipe[i] = one;
            ssum = REE_VSEL(live, ssum + f->cstock[i], ssum);
            psum = REE_VSEL(live, psum + f->cpipe[i], psum);
        }
        f->started = 1;
    } else {
        ree_vd x = q - f->qprev + rec, ord = zero, pipe = zero;
        x = REE_VSEL(REE_VCMP(x, <, zero), zero, x);
        for (int i = 0; i < kmax; i++)
            ord = REE_VSEL(REE_FIRMS_LIVE(f, i), ord + f->corder[i], ord);
        ree_vl byorder = REE_VCMP(ord, >, zero);
        ree_vd e = one / f->kd;
        for (int i = 0; i < kmax; i++) {
            f->cpipe[i] += REE_VSEL(byorder, x * (f->corder[i] / ord), x * e);
            pipe = REE_VSEL(REE_FIRMS_LIVE(f, i), pipe + f->cpipe[i], pipe);
        }
        ree_vl bypipe = REE_VCMP(pipe, >, zero);
        ree_vd even = rec / f->kd;
        for (int i = 0; i < kmax; i++) {
            ree_vl live = REE_FIRMS_LIVE(f, i);
            ree_vd r = REE_VSEL(bypipe, rec * (f->cpipe[i] / pipe), even);
            f->cpipe[i] -= r;
            f->cpipe[i] = REE_VSEL(REE_VCMP(f->cpipe[i], <, zero), zero, f->cpipe[i]);
            f->cstock[i] += r;
            ssum = REE_VSEL(live, ssum + f->cstock[i], ssum);
            psum = REE_VSEL(live, psum + f->cpipe[i], psum);
        }
    }
    scale_to_lanes(f, f->cstock, &st, &ssum);
    scale_to_lanes(f, f->cpipe, &q, &psum);
    f->qprev = q;
}
