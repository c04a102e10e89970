/*
 * Keyed random streams: Random123's Philox4x64-10 as a gsl_rng_type.
 *
 * The state (rng_priv.h) is plain data (key, counter, the current output block and a position in
 * it), so gsl_rng_memcpy and gsl_rng_clone work byte for byte. Stream layout, output order and
 * the double conversions are documented in rng.h and frozen by known-answer tests.
 */
#include "rng.h"

#include <stddef.h>
#include <Random123/philox.h>

#include "rng_priv.h"

static void position(philox_state *s, const ree_stream_key *k)
{
    s->key.v[0] = k->seed;
    s->key.v[1] = k->entity;
    s->ctr.v[0] = k->run;
    s->ctr.v[1] = k->kind;
    s->ctr.v[CTR_BLOCK] = 0;
    s->ctr.v[3] = 0;
    for (int i = 0; i < 4; i++)
        s->out.v[i] = 0;
    s->idx = HALVES_PER_BLOCK;
}

/* Compute the next output block and hand out from its start. */
static inline __attribute__((always_inline)) void compute_block(philox_state *s)
{
    s->out = philox4x64(s->ctr, s->key);
    s->ctr.v[CTR_BLOCK]++;
    s->idx = 0;
}

/* compute_block out of line for next32 (gsl_rng_get) and the odd positions of next53: once
 * per eight outputs, so their fast paths stay small. */
static __attribute__((noinline)) void refill(philox_state *s)
{
    compute_block(s);
}

static inline uint32_t next32(philox_state *s)
{
    if (s->idx >= HALVES_PER_BLOCK)
        refill(s);
    uint64_t w = s->out.v[s->idx / 2];
    uint32_t x = (s->idx % 2 == 0) ? (uint32_t)(w & 0xffffffffu) : (uint32_t)(w >> 32);
    s->idx++;
    return x;
}

/* 53 random bits from the next two outputs: the first gives the top 32, the second the rest.
 * When both are the two halves of one word (the position is even, as after a select), the word
 * is read once. */
static inline uint64_t next53(philox_state *s)
{
    if (s->idx >= HALVES_PER_BLOCK)
        refill(s);
    if (s->idx % 2 == 0) {
        uint64_t w = s->out.v[s->idx / 2];
        s->idx += 2;
        return ((w & 0xffffffffu) << 21) | ((w >> 32) >> 11);
    }
    uint64_t hi = next32(s);
    uint64_t lo = next32(s);
    return (hi << 21) | (lo >> 11);
}

/* next53, for the draws of a simulation. Most of them are the first of a stream just selected
 * (per-step streams are re-keyed every step and most entities draw once per step), so that case
 * computes the block here instead of in a second call to refill(). The same bits as next53. */
static inline __attribute__((always_inline)) uint64_t next53_direct(philox_state *s)
{
    if (s->idx >= HALVES_PER_BLOCK) {
        compute_block(s);
        uint64_t w = s->out.v[0];
        s->idx = 2;
        return ((w & 0xffffffffu) << 21) | ((w >> 32) >> 11);
    }
    return next53(s);
}

static void philox_set(void *vstate, unsigned long int seed)
{
    ree_stream_key k = {.seed = (uint64_t)seed, .run = 0, .entity = 0, .kind = 0};
    position(vstate, &k);
}

static unsigned long int philox_get(void *vstate)
{
    return next32(vstate);
}

static double philox_get_double(void *vstate)
{
    return (double)(int64_t)next53(vstate) * 0x1p-53; /* k < 2^53: exact, one instruction */
}

static const gsl_rng_type philox_type = {
    "philox4x64-10",      /* name */
    0xffffffffUL,         /* RAND_MAX */
    0,                    /* RAND_MIN */
    sizeof(philox_state), /* size of state */
    &philox_set,          /* seeding */
    &philox_get,          /* next 32-bit output */
    &philox_get_double    /* next double in [0,1) */
};

const gsl_rng_type *ree_rng_philox = &philox_type;

void ree_rng_select(gsl_rng *r, const ree_stream_key *k)
{
    position(r->state, k);
}

/* As position() with the key and run kept: the output block is left as it was (used up, so
 * never read: the next draw computes block 0 of the new stream). */
static inline void rekind(philox_state *s, uint32_t kind)
{
    s->ctr.v[1] = kind;
    s->ctr.v[CTR_BLOCK] = 0;
    s->ctr.v[3] = 0;
    s->idx = HALVES_PER_BLOCK;
}

void ree_rng_select_kind(gsl_rng *r, uint32_t kind)
{
    rekind(r->state, kind);
}

void ree_rng_select_kinds(gsl_rng *const *r, const uint32_t *kind, uint32_t add, int n)
{
    for (int i = 0; i < n; i++)
        rekind(r[i]->state, kind[i] | add);
}

double ree_rng_uniform_pos(gsl_rng *r)
{
    return ((double)(int64_t)(next53_direct(r->state) >> 1) + 0.5) * 0x1p-52;
}

/* GSL's gsl_rng_uniform_pos: get_double until it is not 0.0, i.e. until k != 0. */
double ree_rng_uniform_pos_gsl(gsl_rng *r)
{
    if (r->type != &philox_type)
        return gsl_rng_uniform_pos(r);
    uint64_t k;
    do
        k = next53_direct(r->state);
    while (k == 0);
    return (double)(int64_t)k * 0x1p-53;
}

/* FNV-1a 64 (Fowler, Noll, Vo): offset basis and prime from the reference. */
#define FNV64_OFFSET 0xcbf29ce484222325u
#define FNV64_PRIME  0x100000001b3u

/* SplitMix64's output finaliser (Steele, Lea, Flood 2014; Stafford's Mix13 constants). */
static uint64_t splitmix64_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t ree_hash_id(const char *id)
{
    uint64_t h = FNV64_OFFSET;
    if (id != NULL) {
        for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++) {
            h ^= *p;
            h *= FNV64_PRIME;
        }
    }
    return splitmix64_mix(h);
}
