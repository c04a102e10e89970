#!/usr/bin/python3
"""Reference values of the regularised incomplete beta function for tests/unit/test_respecial.c.

P = I_t(a, b) and Q = 1 - P by mpmath (Debian's python3-mpmath) at 50 significant digits, printed
as a C table of {a, b, t, P, Q} rows rounded to the nearest double. Run it and paste its output
over the table in the test when the points change; the values do not depend on reesim.
The points: for each pair of shapes, the mean m = a / (a + b), m / 2, m / 1000, half-way from m
to 1, and a thousandth of the way (tails, where the prefactor's exponent is large).
"""
import mpmath as mp

mp.mp.dps = 50
SHAPES = [0.001, 0.01, 0.5, 2, 18, 1000, 1e4]
OTHER = [0.1, 3.7, 100, 1e4]

print("/* scripts/respecial-ref.py: {a, b, t, P, Q} */")
print("static const double beta_ref[][5] = {")
for a in SHAPES:
    for b in OTHER:
        m = a / (a + b)
        for t in (m * 1e-3, m * 0.5, m, m + (1 - m) * 0.5, 1 - (1 - m) * 1e-3):
            try:
                # each side from 0, so that neither is a difference (mpmath's betainc(a, b, t, 1)
                # is one, and loses a tiny Q's digits); 1 - t is exact in mpmath
                p = mp.betainc(a, b, 0, t, regularized=True)
                q = mp.betainc(b, a, 0, 1 - mp.mpf(t), regularized=True)
            except ValueError:  # mpmath's series does not converge: left out
                continue
            if not (0 < t < 1) or float(p) < 1e-300 or float(q) < 1e-300:
                continue
            print("    {%r, %r, %r, %r, %r}," % (float(a), float(b), float(t), float(p), float(q)))
print("};")
