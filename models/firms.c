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
