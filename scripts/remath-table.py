#!/usr/bin/python3
# Print the table of engine/sim/remath.c: 2^(j/128) for j = 0..127 as pairs {hi, lo}, hi the
# double nearest 2^(j/128) and lo the double nearest the rest, computed with 120-digit decimals
# (Python's decimal module), so both are correctly rounded. Run it to check or regenerate the
# table: scripts/remath-table.py > table.txt, and compare with ree_exp2_table in remath.c.
import decimal
from fractions import Fraction

decimal.getcontext().prec = 120
ln2 = decimal.Decimal(2).ln()
for j in range(128):
    v = Fraction((decimal.Decimal(j) / 128 * ln2).exp())
    hi = float(v)  # float(Fraction) rounds to nearest
    lo = float(v - Fraction(hi))
    print(f"    {{{hi.hex()}, {lo.hex()}}},")
