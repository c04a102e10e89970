/* remath_lanes_kern.c built for x86-64-v4 (tests/CMakeLists.txt sets -march=x86-64-v4 on this
 * file): the set kern_v4. */
#define REE_KERN_V4 1
#include "remath_lanes_kern.c"
