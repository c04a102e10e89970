#!/bin/sh
# glibc picks exp/log/pow by CPU (ifunc): __exp_fma etc. on this machine (AVX2+FMA), the non-FMA
# builds (__ieee754_exp_avx, __ieee754_pow_sse2, __ieee754_log_avx) with the tunable below.
# Compares their results on 3e6 arguments in the sector's ranges, and the scalar sector hooks'
# records (every parameter set of `verify`) under both.
set -e
cd "$(dirname "$0")"
T=$(mktemp -d)
./sector_bench libm $T/a && GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA ./sector_bench libm $T/b
./sector_bench dump $T/c && GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA ./sector_bench dump $T/d
python3 - "$T" <<'PY'
import array, sys
t = sys.argv[1]
a = array.array('d', open(t + '/a', 'rb').read()); b = array.array('d', open(t + '/b', 'rb').read())
for k, name in enumerate(['exp', 'log', 'pow']):
    n = sum(1 for i in range(k, len(a), 3) if a[i] != b[i])
    print(f'{name}: FMA and non-FMA glibc builds differ on {n} of {len(a)//3} arguments')
c = array.array('d', open(t + '/c', 'rb').read()); d = array.array('d', open(t + '/d', 'rb').read())
print('scalar sector hooks (library): records differ in', sum(1 for x, y in zip(c, d) if x != y), 'of', len(c), 'values')
PY
rm -rf $T
