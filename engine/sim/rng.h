/*
 * Keyed random streams: Random123's Philox4x64-10 as a GSL generator.
 *
 * Every draw in a simulation is a function of what is simulated, never of the thread that
 * simulates it: a stream is named by the key (seed, run, entity, kind), where `entity` is a
 * 64-bit hash of the entity's id (so adding a node does not reshuffle the draws of the others)
 * and `kind` says what the draws are for (parameter sampling, outages, demand noise, ...).
 *
 * Mapping onto Philox4x64-10 (Salmon et al., SC'11): key = {seed, entity}; counter =
 * {run, kind, block, 0}, where `block` counts 256-bit output blocks within the stream. Each
 * block yields eight 32-bit outputs, handed out in order: word 0 low half, word 0 high half,
 * word 1 low half, ..., word 3 high half. Streams with different keys never overlap; a stream
 * has 2^64 blocks (the block number wraps after that, which no simulation reaches).
 *
 * Doubles: gsl_rng_uniform (the type's get_double) takes the next two 32-bit outputs x0, x1,
 * forms the 53-bit integer k = x0 * 2^21 + floor(x1 / 2^11) and returns k / 2^53, in [0,1);
 * ree_rng_uniform_pos uses the top 52 bits of the same k. gsl_rng_get returns one 32-bit
 * output.
 *
 * The generator is exposed as a `gsl_rng_type` (ree_rng_philox) so every gsl_ran_* sampler
 * works on it. `gsl_rng_set` (a 32-bit seed) is deliberately not the way to select a stream:
 * use ree_rng_select, which takes the whole key. For the record, gsl_rng_set(r, s) positions r
 * at the first draw of the stream {seed = s, run = 0, entity = 0, kind = 0}.
 *
 * The state is plain data: gsl_rng_memcpy and gsl_rng_clone copy a position exactly.
 */
#ifndef REESIM_RNG_H
#define REESIM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

/* What a stream's draws are for. Values are part of the key: never renumber them, and never
 * reuse 2 and 3 (once outages and demand noise; both now draw from REE_STREAM_MODEL). */
typedef enum ree_stream_kind {
    REE_STREAM_PARAMS = 1, /* per-run sampling of uncertain parameters */
    REE_STREAM_LEAD = 4,   /* per-shipment lead-time delays */
    REE_STREAM_GATE = 5,   /* licence decisions and review times */
    REE_STREAM_REGIME = 6, /* stochastic policy regime transitions */
    REE_STREAM_MODEL = 7   /* any other per-step draw a model makes */
} ree_stream_kind;

/* A per-step stream adds (step + 1) << 8 to its kind (engine/sim/run_priv.h, ree_run_streams). */
typedef struct ree_stream_key {
    uint64_t seed;
    uint64_t run;
    uint64_t entity; /* ree_hash_id of the entity id */
    uint32_t kind;   /* ree_stream_kind */
} ree_stream_key;

/* The Philox4x64-10 generator type, named "philox4x64-10": min 0, max 2^32-1, 32-bit outputs.
 * gsl_rng_alloc seeds with gsl_rng_default_seed, so a freshly allocated generator is positioned
 * on the key {gsl_rng_default_seed, 0, 0, 0}, i.e. {0, 0, 0, 0} unless gsl_rng_env_setup has
 * been called (reesim never calls it). */
extern const gsl_rng_type *ree_rng_philox;

/* Position `r` (allocated with ree_rng_philox; any other type is undefined behaviour) at the
 * first draw of stream `k`. Cheap: no allocation; meant to be called once per (run, entity,
 * kind) inside the simulation loop. Selecting the same key again replays the same draws. */
void ree_rng_select(gsl_rng *r, const ree_stream_key *k);

/* Position `r` (a ree_rng_philox generator) at the first draw of the stream whose seed, run and
 * entity are those of the stream `r` is on, and whose kind is `kind`: the same as
 * ree_rng_select with that whole key, without rebuilding it (the per-step streams of a run
 * change only their kind from step to step). */
void ree_rng_select_kind(gsl_rng *r, uint32_t kind);

/* ree_rng_select_kind(r[i], kind[i] | add) for i = 0 .. n-1, in one call. */
void ree_rng_select_kinds(gsl_rng *const *r, const uint32_t *kind, uint32_t add, int n);

/* 64-bit hash of an entity id (FNV-1a 64 over the bytes up to the terminating NUL, then the
 * SplitMix64 output finaliser, without its additive step, so that similar ids give unrelated
 * keys). Stable across platforms and versions: it is part of the reproducibility contract.
 * NULL hashes like "". */
uint64_t ree_hash_id(const char *id);

/* A uniform double in the open interval (0,1), built from the next two 32-bit outputs: with k
 * as above and j = floor(k / 2), the top 52 bits, returns (j + 0.5) / 2^52. Exact in double
 * (j + 0.5 needs 53 bits), never 0 or 1, so inverse transforms stay finite, and symmetric:
 * 1 - u is exact and is itself a possible value. (53 bits would not do: (k + 0.5) / 2^53
 * rounds to 1.0 for k = 2^53 - 1.) `r` must be a ree_rng_philox generator. The lockstep step
 * draws eight at once with ree_rng_uniform_pos_lanes (rng_lanes.h): the same bits. */
double ree_rng_uniform_pos(gsl_rng *r);

/* gsl_rng_uniform_pos(r), bit for bit and leaving `r` at the same position, for any generator
 * `r`. For a ree_rng_philox one it is one direct call instead of GSL's three (the get_double
 * through the type's function pointer, then the block's refill); other types (the models' unit
 * tests drive them with mt19937) are passed to GSL: k / 2^53 in (0,1), where GSL's loop skipping
 * k = 0 is kept. NOT the same values as ree_rng_uniform_pos, which rounds differently and
 * never needs a second draw: models draw through this one, and their streams are frozen. Lane
 * hooks draw eight at once with ree_rng_uniform_pos_gsl_lanes (rng_lanes.h): the same bits. */
double ree_rng_uniform_pos_gsl(gsl_rng *r);

#endif
