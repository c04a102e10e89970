/*
 * Numbers for people: the tables `reesim run` and `reesim compare` print (CSV files keep their
 * own full-precision format, engine/io/g10.c). Locale-independent: digits are produced by
 * integer arithmetic, the decimal point is always '.', and thousands are grouped with ','.
 *
 * Rounding, by magnitude of the rounded value:
 *   |v| >= 100          integer, grouped: 2,727,120   999   -1,000
 *   10 <= |v| < 100     one decimal:      12.3
 *   1 <= |v| < 10       two decimals:     5.25
 *   1e-6 <= |v| < 1     two significant digits: 0.35   0.0042
 * trailing zeros (and a bare '.') are dropped: 4, 0.5. Outside 1e-6 <= |v| < 1e18, three
 * significant digits with an exponent: 1.2e-07, 2.5e+20. 0 (and -0) prints "0"; NaN prints
 * "-", infinities "inf" and "-inf".
 */
#ifndef REESIM_NUMFMT_H
#define REESIM_NUMFMT_H

#include <stddef.h>

#define REE_FMT_SIGN 0x1u /* a '+' before positive numbers (differences) */

/* Bytes that always suffice for ree_fmt_number's result, terminator included. */
#define REE_FMT_MAX 40

/* Writes v into buf (of len bytes, truncated to fit, always terminated when len > 0) and
 * returns buf. */
char *ree_fmt_number(char *buf, size_t len, double v, unsigned flags);

#endif
