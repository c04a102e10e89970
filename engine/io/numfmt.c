/* Numbers for people: grouping and rounding without the C locale (see numfmt.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "numfmt.h"

#define FIXED_MAX 1e18 /* below 2^63: the scaled value fits a uint64_t */
#define FIXED_MIN 1e-6

/* Decimals shown for a magnitude a > 0 in the fixed range. */
static int decimals(double a)
{
    if (a >= 100)
        return 0;
    if (a >= 10)
        return 1;
    if (a >= 1)
        return 2;
    return 1 - (int)floor(log10(a)); /* two significant digits */
}

static double pow10i(int d)
{
    double p = 1;
    while (d-- > 0)
        p *= 10;
    return p;
}

/* Appends the decimal digits of u to s (at most 20). */
static char *put_uint(char *s, uint64_t u, int group)
{
    char tmp[32];
    int n = 0, digits = 0;
    do {
        if (group && digits > 0 && digits % 3 == 0)
            tmp[n++] = ',';
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
        digits++;
    } while (u);
    while (n)
        *s++ = tmp[--n];
    return s;
}

/* a > 0 rounded to d decimals as an integer count of 10^-d, with d chosen for the rounded value
 * (99.96 becomes 100, shown without decimals). */
static uint64_t scaled(double a, int *d)
{
    *d = decimals(a);
    uint64_t q = (uint64_t)llround(a * pow10i(*d));
    int d2 = decimals((double)q / pow10i(*d));
    if (d2 < *d) {
        q = (uint64_t)llround((double)q / pow10i(*d - d2));
        *d = d2;
    }
    return q;
}

/* Fixed notation of a > 0 at s; returns the end. */
static char *put_fixed(char *s, double a)
{
    int d;
    uint64_t q = scaled(a, &d);
    uint64_t p = (uint64_t)pow10i(d);
    s = put_uint(s, q / p, 1);
    uint64_t frac = q % p;
    if (d > 0 && frac) {
        *s++ = '.';
        char digs[24];
        for (int i = d - 1; i >= 0; i--, frac /= 10)
            digs[i] = (char)('0' + frac % 10);
        int n = d;
        while (n > 0 && digs[n - 1] == '0')
            n--;
        memcpy(s, digs, (size_t)n);
        s += n;
    }
    return s;
}

/* Three significant digits and an exponent, e.g. 2.5e+20, 1.2e-07. */
static char *put_sci(char *s, double a)
{
    int e = (int)floor(log10(a));
    /* Subnormals: 10^e itself would underflow, so scale into range first. */
    double m = e < -300 ? a * 1e300 / pow(10, e + 300) : a / pow(10, e);
    if (m >= 10) { /* log10 rounded up across a power of ten */
        m /= 10;
        e++;
    } else if (m < 1) {
        m *= 10;
        e--;
    }
    uint64_t q = (uint64_t)llround(m * 100);
    if (q >= 1000) { /* 9.995 rounds to 10.0 */
        q = (uint64_t)llround((double)q / 10);
        e++;
    }
    s = put_uint(s, q / 100, 0);
    if (q % 100) {
        *s++ = '.';
        *s++ = (char)('0' + q / 10 % 10);
        if (q % 10)
            *s++ = (char)('0' + q % 10);
    }
    *s++ = 'e';
    *s++ = e < 0 ? '-' : '+';
    unsigned ue = (unsigned)(e < 0 ? -e : e);
    if (ue < 10)
        *s++ = '0';
    return put_uint(s, ue, 0);
}

char *ree_fmt_number(char *buf, size_t len, double v, unsigned flags)
{
    char tmp[REE_FMT_MAX], *s = tmp;
    if (isnan(v)) {
        *s++ = '-';
    } else if (v == 0) {
        *s++ = '0';
    } else {
        double a = fabs(v);
        if (v < 0)
            *s++ = '-';
        else if (flags & REE_FMT_SIGN)
            *s++ = '+';
        if (isinf(v)) {
            memcpy(s, "inf", 3);
            s += 3;
        } else if (a >= FIXED_MIN && a < FIXED_MAX) {
            s = put_fixed(s, a);
        } else {
            s = put_sci(s, a);
        }
    }
    *s = '\0';
    if (len > 0) {
        size_t n = (size_t)(s - tmp);
        if (n >= len)
            n = len - 1;
        memcpy(buf, tmp, n);
        buf[n] = '\0';
    }
    return buf;
}
