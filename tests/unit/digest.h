/* What the digest tests share (test_remath.c, test_respecial.c): arguments from SplitMix64 (Steele,
 * Lea, Flood 2014), independent of GSL, and FNV-1a 64 over the bits of results. A digest of many
 * results changes when any bit of any of them does (an FMA contraction, a reordered sum, a changed
 * constant), which a few known answers would miss. */
#ifndef REESIM_TEST_DIGEST_H
#define REESIM_TEST_DIGEST_H

#include <stdint.h>
#include <string.h>

#define DIGEST_START 0xcbf29ce484222325u /* FNV-1a 64's offset basis */

static inline uint64_t mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A double in [0, 1) with all 53 bits from the state. */
static inline double unit(uint64_t *state)
{
    return (double)(mix(state) >> 11) * 0x1p-53;
}

/* The 8 bytes of v into the digest h, low byte first. */
static inline void digest_add(uint64_t *h, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    for (int k = 0; k < 8; k++) {
        *h ^= (bits >> (8 * k)) & 0xff;
        *h *= 0x100000001b3u;
    }
}

#endif
