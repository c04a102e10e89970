/*
 * Locale-free numbers for CSV files (ree_format_num, ree_csv_num): the bytes of glibc's "%.10g"
 * with '.' for the decimal point, made in exact integer arithmetic where that decides them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "outfile_priv.h"

/* %.10g's layout of m 10^(X - 9) (10^9 <= m < 10^10, the digits rounded), negative when `neg`:
 * style e when X < -4 or X >= 10, else style f; trailing zeros and a bare point removed; the
 * exponent with a sign and at least two digits. Returns the length written into buf (at least 24
 * bytes), NUL-terminated. */
static size_t layout_g10(char *buf, int neg, uint64_t m, int X)
{
    static const char two[201] = "00010203040506070809101112131415161718192021222324"
                                 "25262728293031323334353637383940414243444546474849"
                                 "50515253545556575859606162636465666768697071727374"
                                 "75767778798081828384858687888990919293949596979899";
    char d[10];
    uint32_t hi = (uint32_t)(m / 100000), lo = (uint32_t)(m % 100000); /* five digits each */
    d[0] = (char)('0' + hi / 10000);
    memcpy(d + 1, two + 2 * (hi / 100 % 100), 2);
    memcpy(d + 3, two + 2 * (hi % 100), 2);
    d[5] = (char)('0' + lo / 10000);
    memcpy(d + 6, two + 2 * (lo / 100 % 100), 2);
    memcpy(d + 8, two + 2 * (lo % 100), 2);
    int nd = 10;
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    if (X < -4 || X >= 10) {
        buf[o++] = d[0];
        if (nd > 1) {
            buf[o++] = '.';
            for (int i = 1; i < nd; i++)
                buf[o++] = d[i];
        }
        buf[o++] = 'e';
        buf[o++] = X < 0 ? '-' : '+';
        int ex = X < 0 ? -X : X;
        if (ex >= 100)
            buf[o++] = (char)('0' + ex / 100);
        buf[o++] = (char)('0' + ex / 10 % 10);
        buf[o++] = (char)('0' + ex % 10);
    } else if (X >= 0) {
        for (int i = 0; i <= X; i++)
            buf[o++] = d[i];
        if (nd > X + 1) {
            buf[o++] = '.';
            for (int i = X + 1; i < nd; i++)
                buf[o++] = d[i];
        }
    } else {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int i = 0; i < -X - 1; i++)
            buf[o++] = '0';
        for (int i = 0; i < nd; i++)
            buf[o++] = d[i];
    }
    buf[o] = '\0';
    return o;
}

/* %.10g of a finite non-zero x without printf, or 0 when this path does not decide the result
 * (the caller then asks snprintf): the length written into buf (at least 24 bytes), the bytes
 * those of glibc's "%.10g" with '.' for the point.
 *
 * Why: formatting numbers with snprintf (glibc's exact multi-precision %g) took about a quarter of
 * `reesim run`'s time on the gate example at 40,000 runs (runs.csv, one thread), and the rows are
 * the same bytes whichever way they are made.
 *
 * How: x = m 10^(X - 9) with 10^9 <= m < 10^10 rounded to nearest, as glibc does on the exact
 * value. With x = f 2^e (f the 53-bit significand, an integer), y = |x| 10^(9 - X) is f 10^s 2^e
 * (s = 9 - X >= 0) or f 2^e / 10^-s (s < 0): both an integer quotient and remainder in exact
 * 128-bit arithmetic (10^27 < 2^90, f < 2^53), so m = floor(y) and the comparison of the
 * remainder with one half are exact. X starts at about floor(log10 2^(E-1)), E the binary
 * exponent of |x| (floor(log10 |x|) give or take one), and moves by one while m is out of
 * [10^9, 10^10).
 * This is round-to-nearest, the default rounding mode, which reesim never changes; glibc's %g
 * follows the current mode (fesetround), so a program that embeds the library and rounds
 * otherwise gets round-to-nearest text here (as with the x87 path before).
 * snprintf decides only an exact tie (glibc's rounding mode then matters) and a |x| whose
 * products would pass 128 bits (outside about 1e-13 to 1e37). Before (until stop 16) y was formed
 * in x87 long double, within 2^-30 of exact, with snprintf for everything within 1e-5 of a tie;
 * its conversions switch the x87 rounding mode and floor() is a call on x86-64's baseline: 80 ns
 * a number against 38 ns now on this VM (a loop over 2 million log-uniform, integer and negative
 * values, best of 5), and 14% of all CPU time of the gate example at 100,000 runs (perf). Checked
 * against snprintf: tests/unit/test_outfile.c (edges and 400,000 random values) and 10^8 values
 * of seven kinds (bench/HISTORY.md, stop 16), no difference. */
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;

/* 10^k, k = 0..27, exactly. */
static u128 pow10_u128(int k)
{
    static const uint64_t p[20] = {1ULL,
                                   10ULL,
                                   100ULL,
                                   1000ULL,
                                   10000ULL,
                                   100000ULL,
                                   1000000ULL,
                                   10000000ULL,
                                   100000000ULL,
                                   1000000000ULL,
                                   10000000000ULL,
                                   100000000000ULL,
                                   1000000000000ULL,
                                   10000000000000ULL,
                                   100000000000000ULL,
                                   1000000000000000ULL,
                                   10000000000000000ULL,
                                   100000000000000000ULL,
                                   1000000000000000000ULL,
                                   10000000000000000000ULL};
    return k < 20 ? (u128)p[k] : (u128)p[19] * p[k - 19];
}

/* floor(f 2^e 10^s) into *q and the remainder's comparison with one half into *half (-1 below,
 * 0 a tie, 1 above; -1 also when there is no remainder). Returns 0 when a product would pass 128
 * bits. f < 2^53, |s| <= 27. */
static int scaled_floor(uint64_t f, int e, int s, uint64_t *q, int *half)
{
    u128 num, den, r, qq;
    if (s >= 0) {
        if (s > 22) /* f 10^s < 2^126 up to 22 */
            return 0;
        num = (u128)f * pow10_u128(s);
        if (e >= 0) /* only |x| >= 2^52 has e >= 0, and then s < 0 */
            return 0;
        int sh = -e;
        if (sh >= 127)
            return 0;
        qq = num >> sh;
        r = num - (qq << sh);
        u128 h = (u128)1 << (sh - 1);
        *q = (qq >> 64) ? UINT64_MAX : (uint64_t)qq;
        *half = r > h ? 1 : r == h ? 0 : -1;
        return 1;
    }
    den = pow10_u128(-s);
    if (e >= 0) {
        if (e > 127 - 53)
            return 0;
        num = (u128)f << e;
    } else {
        if (-e > 127 - 90)
            return 0;
        num = f;
        den <<= -e;
    }
    qq = num / den;
    r = num - qq * den;
    *q = (qq >> 64) ? UINT64_MAX : (uint64_t)qq;
    *half = 2 * r > den ? 1 : 2 * r == den ? 0 : -1; /* r < den < 2^127 */
    return 1;
}

static size_t fast_g10(char *buf, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int be = (int)(bits >> 52 & 0x7ff);
    uint64_t f = bits & ((UINT64_C(1) << 52) - 1);
    int e;
    if (be == 0) {
        e = -1074; /* subnormal */
    } else {
        f |= UINT64_C(1) << 52;
        e = be - 1075;
    }
    if (f == 0 || be == 0x7ff)
        return 0;
    int E = e + 64 - __builtin_clzll(f); /* 2^(E-1) <= |x| < 2^E */
    /* floor((E - 1) log10 2) give or take one (78913 / 2^18 is just below log10 2), without
     * floor(): x86-64's baseline has no rounding instruction, so that is a call */
    int k = E - 1;
    int X = k >= 0 ? (int)(((long)k * 78913) >> 18) : -(int)((-(long)k * 78913 + 262143) >> 18);
    uint64_t m = 0;
    int half = -1;
    for (int tries = 0;; tries++) {
        int s = 9 - X;
        if (s > 27 || s < -27 || tries > 2 || !scaled_floor(f, e, s, &m, &half))
            return 0;
        if (m >= UINT64_C(10000000000))
            X++;
        else if (m < UINT64_C(1000000000))
            X--;
        else
            break;
    }
    if (half == 0)
        return 0;
    if (half > 0 && ++m == UINT64_C(10000000000)) {
        m = UINT64_C(1000000000);
        X++;
    }
    return layout_g10(buf, x < 0, m, X);
}
#else
static size_t fast_g10(char *buf, double x)
{
    (void)buf, (void)x;
    return 0;
}
#endif

/* The text g of "%g" with '.' for the locale's decimal point, into tmp (at least as long).
 * Returns the length, without a terminating NUL. */
static size_t plain_g(char *tmp, const char *g)
{
    size_t n = 0;
    /* %g writes digits, sign, exponent and the locale's decimal point (possibly several bytes);
     * whatever else appears is that decimal point, written as '.'. */
    int in_point = 0;
    for (const char *p = g; *p; p++) {
        int plain = (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e';
        if (plain) {
            tmp[n++] = *p;
            in_point = 0;
        } else if (!in_point) {
            tmp[n++] = '.';
            in_point = 1;
        }
    }
    return n;
}

/* ree_format_num, returning the length of the text in buf. */
size_t ree_format_num_len(char *buf, size_t len, double x)
{
    if (len == 0)
        return 0;
    size_t fast;
    /* A whole number of at most ten digits is its digits in %.10g (0 and -0 as "0"): counts and
     * months, many of runs.csv's values, without the scaling. NaN fails the range test. */
    if (len >= 24 && x > -1e10 && x < 1e10 && x == (double)(long long)x) {
        long long v = (long long)x;
        uint64_t u = v < 0 ? (uint64_t)-v : (uint64_t)v;
        char d[10], *p = d + sizeof d;
        do
            *--p = (char)('0' + u % 10);
        while (u /= 10);
        size_t o = 0, nd = (size_t)(d + sizeof d - p);
        if (v < 0)
            buf[o++] = '-';
        memcpy(buf + o, p, nd);
        buf[o + nd] = '\0';
        return o + nd;
    }
    if (len >= 24 && x != 0.0 && isfinite(x) && (fast = fast_g10(buf, x)) != 0)
        return fast; /* straight into buf: no copy */
    if (isnan(x)) {
        buf[0] = '\0';
        return 0;
    }
    char tmp[64];
    size_t n = 0;
    if (isinf(x)) {
        n = (size_t)snprintf(tmp, sizeof tmp, "%s", x < 0 ? "-inf" : "inf");
    } else if (x == 0.0) {
        tmp[n++] = '0'; /* also -0 */
    } else if (!(n = fast_g10(tmp, x))) {
        char g[64];
        snprintf(g, sizeof g, "%.10g", x);
        n = plain_g(tmp, g);
    }
    n = n < len - 1 ? n : len - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

char *ree_format_num(char *buf, size_t len, double x)
{
    (void)ree_format_num_len(buf, len, x);
    return buf;
}

size_t ree_format_num_exact_len(char *buf, size_t len, double x)
{
    /* The fewest digits from 10 that read back as x; 17 always do (IEEE 754 binary64). Written
     * and read in the same locale, whatever its decimal point. */
    char g[64];
    int digits = 10;
    if (isfinite(x) && x != 0.0 && len >= 40)
        for (; digits < 17; digits++) {
            snprintf(g, sizeof g, "%.*g", digits, x);
            if (strtod(g, NULL) == x)
                break;
        }
    if (digits == 10) /* what ree_csv_num writes */
        return ree_format_num_len(buf, len, x);
    snprintf(g, sizeof g, "%.*g", digits, x);
    size_t n = plain_g(buf, g);
    buf[n] = '\0';
    return n;
}

char *ree_format_num_exact(char *buf, size_t len, double x)
{
    char tmp[40];
    size_t n = ree_format_num_exact_len(tmp, sizeof tmp, x);
    if (len == 0)
        return buf;
    n = n < len - 1 ? n : len - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return buf;
}
