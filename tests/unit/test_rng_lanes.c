/*
 * Tests for engine/sim/rng_lanes.c. The lane binomial ree_ran_binomial_lanes against
 * gsl_ran_binomial lane by lane (both of GSL's methods, its retry, the same stream positions), and
 * the lane draws ree_rng_uniform_pos_gsl_lanes and ree_rng_uniform_pos_lanes against
 * ree_rng_uniform_pos_gsl and ree_rng_uniform_pos lane by lane (the same bits, the same stream
 * positions afterwards, the lanes whose mask is clear untouched) over random keys, masks, block
 * numbers, positions in the block and (for the first) mixed generator types, in the baseline
 * build and, on a CPU with AVX-512, in the x86-64-v4 one (whose blocks come from the 8-lane
 * AVX-512 Philox).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <gsl/gsl_randist.h>

#include "rng_lanes.h"
#include "rng_priv.h"

typedef void lanes_fn(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u);

typedef void binom_fn(gsl_rng *const r[REE_LANES], const ree_vl *mask, const ree_vd *p,
                      const unsigned int n[REE_LANES], unsigned int k[REE_LANES]);

#ifdef REESIM_LANES_V4
void ree_rng_uniform_pos_gsl_lanes_v4(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u);
void ree_rng_uniform_pos_lanes_v4(gsl_rng *const r[REE_LANES], const ree_vl *mask, ree_vd *u);
void ree_ran_binomial_lanes_v4(gsl_rng *const r[REE_LANES], const ree_vl *mask, const ree_vd *p,
                               const unsigned int n[REE_LANES], unsigned int k[REE_LANES]);
#endif

/* Whether the x86-64-v4 build is built and the CPU runs it (engine/sim/lanes.c; REESIM_LANES_ISA
 * is not set by the test suite for this test). */
static int have_v4(void)
{
    return ree_lanes_v4();
}

static uint64_t mix_state;

/* SplitMix64 (Steele, Lea, Flood 2014): the test's own choices, independent of the code under
 * test. */
static uint64_t next_u64(void)
{
    uint64_t z = (mix_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A 64-bit word, often an edge value. */
static uint64_t word(void)
{
    static const uint64_t edge[] = {0,
                                    1,
                                    UINT64_C(0xffffffff),
                                    UINT64_C(0x100000000),
                                    UINT64_C(0x7fffffffffffffff),
                                    UINT64_C(0x8000000000000000),
                                    UINT64_MAX - 1,
                                    UINT64_MAX};
    uint64_t x = next_u64();
    return x % 4 == 0 ? edge[(x >> 8) % 8] : next_u64();
}

static void assert_same_bits(double a, double b)
{
    uint64_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    assert_int_equal(x, y);
}

/* Put Philox generator `r` somewhere: a random key, sometimes a random block number (white box:
 * every counter word then varies), then 0 to 19 32-bit outputs in (so mid-block at odd and even
 * positions, or at the end of a block again). */
static void place_philox(gsl_rng *r)
{
    ree_stream_key key = {.seed = word(), .run = word(), .entity = word(), .kind = 0};
    key.kind = (uint32_t)word();
    ree_rng_select(r, &key);
    uint64_t x = next_u64();
    if (x % 4 == 0) {
        philox_state *s = r->state;
        s->ctr.v[CTR_BLOCK] = word();
        if (x % 16 == 0)
            s->ctr.v[3] = word();
    }
    int skip = (x >> 8) % 2 ? 0 : (int)((x >> 16) % 20);
    for (int i = 0; i < skip; i++)
        gsl_rng_get(r);
}

/* `rounds` random groups of lanes through `fn`, each checked against the scalar draws: `pos` 0,
 * ree_rng_uniform_pos_gsl's (on Philox and mt19937 generators), 1, ree_rng_uniform_pos's (on
 * Philox ones only, as it needs). */
static void check_lanes(lanes_fn *fn, int rounds, int pos)
{
    gsl_rng *philox[REE_LANES], *mt[REE_LANES], *ref_philox[REE_LANES], *ref_mt[REE_LANES];
    for (int l = 0; l < REE_LANES; l++) {
        philox[l] = gsl_rng_alloc(ree_rng_philox);
        ref_philox[l] = gsl_rng_alloc(ree_rng_philox);
        mt[l] = gsl_rng_alloc(gsl_rng_mt19937);
        ref_mt[l] = gsl_rng_alloc(gsl_rng_mt19937);
        assert_non_null(philox[l]);
        assert_non_null(ref_philox[l]);
        assert_non_null(mt[l]);
        assert_non_null(ref_mt[l]);
    }
    long fresh_lanes = 0;
    for (int round = 0; round < rounds; round++) {
        gsl_rng *r[REE_LANES], *ref[REE_LANES];
        ree_vl mask;
        uint64_t pick = next_u64();
        /* a third of the groups draw in every lane (the usual case, past the vector threshold) */
        uint64_t bits = pick % 3 == 0 ? 0xff : (pick >> 8) & 0xff;
        for (int l = 0; l < REE_LANES; l++) {
            mask[l] = (bits >> l) & 1 ? -1 : 0;
            if (l == 3 && mask[l])
                mask[l] = 1; /* any nonzero word counts as set */
            int is_mt = !pos && (pick >> (16 + 4 * l)) % 16 == 0;
            r[l] = is_mt ? mt[l] : philox[l];
            ref[l] = is_mt ? ref_mt[l] : ref_philox[l];
            if (is_mt)
                gsl_rng_set(r[l], (unsigned long)next_u64());
            else
                place_philox(r[l]);
            if (!is_mt && ((philox_state *)r[l]->state)->idx >= HALVES_PER_BLOCK && mask[l])
                fresh_lanes++;
            gsl_rng_memcpy(ref[l], r[l]);
        }
        /* clear lanes may have no generator at all */
        gsl_rng *arg[REE_LANES];
        for (int l = 0; l < REE_LANES; l++)
            arg[l] = mask[l] == 0 && (pick >> (48 + l)) % 2 ? NULL : r[l];

        /* twice: the second call finds the lanes in the middle of their block */
        for (int call = 0; call < 2; call++) {
            ree_vd u, want;
            for (int l = 0; l < REE_LANES; l++)
                u[l] = want[l] = -1.0 - l;
            fn(arg, &mask, &u);
            for (int l = 0; l < REE_LANES; l++)
                if (mask[l])
                    want[l] = pos ? ree_rng_uniform_pos(ref[l]) : ree_rng_uniform_pos_gsl(ref[l]);
            for (int l = 0; l < REE_LANES; l++) {
                assert_same_bits(u[l], want[l]);
                if (mask[l])
                    assert_true(u[l] > 0.0 && u[l] < 1.0);
                /* the same position: the same state bytes and the same draws from here on */
                assert_memory_equal(r[l]->state, ref[l]->state, r[l]->type->size);
            }
        }
        for (int l = 0; l < REE_LANES; l++)
            for (int i = 0; i < 3; i++)
                assert_int_equal(gsl_rng_get(r[l]), gsl_rng_get(ref[l]));
    }
    assert_true(fresh_lanes > rounds); /* the fresh-block path was taken, often */
    for (int l = 0; l < REE_LANES; l++) {
        gsl_rng_free(philox[l]);
        gsl_rng_free(ref_philox[l]);
        gsl_rng_free(mt[l]);
        gsl_rng_free(ref_mt[l]);
    }
}

static void test_lanes_base(void **state)
{
    (void)state;
    mix_state = 1;
    check_lanes(ree_rng_uniform_pos_gsl_lanes, 20000, 0);
    mix_state = 5;
    check_lanes(ree_rng_uniform_pos_lanes, 20000, 1);
}

/* The x86-64-v4 build, where it is built and the CPU runs it. */
static void test_lanes_v4(void **state)
{
    (void)state;
#ifdef REESIM_LANES_V4
    if (have_v4()) {
        mix_state = 2;
        check_lanes(ree_rng_uniform_pos_gsl_lanes_v4, 20000, 0);
        mix_state = 6;
        check_lanes(ree_rng_uniform_pos_lanes_v4, 20000, 1);
        return;
    }
#endif
    skip();
}

/* Every lane fresh, on the streams of a lockstep step (keys as the runs' per-step streams):
 * the common case, many times; both draws (fn[f] draws as ree_rng_uniform_pos for odd f). */
static void test_lanes_steps(void **state)
{
    (void)state;
    lanes_fn *fn[4] = {ree_rng_uniform_pos_gsl_lanes, ree_rng_uniform_pos_lanes, NULL, NULL};
#ifdef REESIM_LANES_V4
    if (have_v4()) {
        fn[2] = ree_rng_uniform_pos_gsl_lanes_v4;
        fn[3] = ree_rng_uniform_pos_lanes_v4;
    }
#endif
    gsl_rng *r[REE_LANES], *ref[REE_LANES];
    for (int l = 0; l < REE_LANES; l++) {
        r[l] = gsl_rng_alloc(ree_rng_philox);
        ref[l] = gsl_rng_alloc(ree_rng_philox);
        assert_non_null(r[l]);
        assert_non_null(ref[l]);
    }
    const ree_vl all = {-1, -1, -1, -1, -1, -1, -1, -1};
    for (int f = 0; f < 4 && fn[f]; f++)
        for (uint64_t entity = 0; entity < 50; entity++)
            for (uint32_t step = 0; step < 240; step++) {
                uint32_t kind[REE_LANES];
                for (int l = 0; l < REE_LANES; l++) {
                    ree_stream_key key = {.seed = 42,
                                          .run = (uint64_t)l + 8 * entity,
                                          .entity = ree_hash_id("entity") + entity,
                                          .kind = REE_STREAM_MODEL};
                    ree_rng_select(r[l], &key);
                    ree_rng_select(ref[l], &key);
                    kind[l] = REE_STREAM_MODEL;
                }
                ree_rng_select_kinds(r, kind, (step + 1) << 8, REE_LANES);
                ree_rng_select_kinds(ref, kind, (step + 1) << 8, REE_LANES);
                ree_vd u;
                fn[f](r, &all, &u);
                for (int l = 0; l < REE_LANES; l++) {
                    assert_same_bits(u[l], f % 2 ? ree_rng_uniform_pos(ref[l])
                                                 : ree_rng_uniform_pos_gsl(ref[l]));
                    assert_memory_equal(r[l]->state, ref[l]->state, sizeof(philox_state));
                }
            }
    for (int l = 0; l < REE_LANES; l++) {
        gsl_rng_free(r[l]);
        gsl_rng_free(ref[l]);
    }
}

/* A binomial's (p, n): both of GSL's methods and the edges between them (n p' = 14, p = 1/2),
 * p' tiny or 0 and 1, n = 0, 1 and large (up to the gate's MAX_APPLICATIONS, 1e9). */
static void binom_case(double *p, unsigned int *n)
{
    static const unsigned int ns[] = {0,  1,   2,   3,   13,   14,     27,         28,
                                      29, 100, 139, 140, 1000, 100000, 1000000000u};
    static const double ps[] = {
        0.5, 0x1.0000000000001p-1, 0x1.fffffffffffffp-2, 0.0, 1.0, 1e-300, 0.9, 0.1, 0.75, 0.25};
    uint64_t x = next_u64();
    *n = x % 3 == 0 ? ns[(x >> 8) % 15] : (unsigned int)((x >> 8) % 200);
    double u = (double)(next_u64() >> 11) * 0x1p-53;
    switch ((x >> 40) % 4) {
    case 0:
        *p = ps[(x >> 48) % 10];
        break;
    case 1: /* n p' near 14, either side, p below or above 1/2 */
        *p = *n ? (13.0 + 2.0 * u) / *n : u;
        if (*p > 0.5)
            *p = u;
        if ((x >> 50) % 2)
            *p = 1.0 - *p;
        break;
    default:
        *p = u;
    }
}

/* `rounds` groups of binomial draws through `fn` against gsl_ran_binomial lane by lane: the same
 * k, the same stream positions, clear lanes untouched. */
static void check_binomial(binom_fn *fn, int rounds)
{
    gsl_rng *r[REE_LANES], *ref[REE_LANES], *mt[REE_LANES], *ref_mt[REE_LANES];
    for (int l = 0; l < REE_LANES; l++) {
        r[l] = gsl_rng_alloc(ree_rng_philox);
        ref[l] = gsl_rng_alloc(ree_rng_philox);
        mt[l] = gsl_rng_alloc(gsl_rng_mt19937);
        ref_mt[l] = gsl_rng_alloc(gsl_rng_mt19937);
        assert_true(r[l] && ref[l] && mt[l] && ref_mt[l]);
    }
    long binv = 0, btpe = 0;
    for (int round = 0; round < rounds; round++) {
        uint64_t pick = next_u64();
        uint64_t bits = pick % 2 == 0 ? 0xff : (pick >> 8) & 0xff;
        ree_vl mask;
        ree_vd p;
        unsigned int n[REE_LANES], k[REE_LANES];
        gsl_rng *g[REE_LANES], *gref[REE_LANES];
        for (int l = 0; l < REE_LANES; l++) {
            mask[l] = (bits >> l) & 1 ? -1 : 0;
            binom_case(&p[l], &n[l]);
            k[l] = 12345u + (unsigned int)l;
            int is_mt = (pick >> (16 + 4 * l)) % 16 == 0;
            g[l] = is_mt ? mt[l] : r[l];
            gref[l] = is_mt ? ref_mt[l] : ref[l];
            if (is_mt)
                gsl_rng_set(g[l], (unsigned long)next_u64());
            else
                place_philox(g[l]);
            gsl_rng_memcpy(gref[l], g[l]);
            double pp = p[l] > 0.5 ? 1.0 - p[l] : p[l];
            if (mask[l] && n[l])
                *(n[l] * pp < 14 ? &binv : &btpe) += 1;
        }
        fn(g, &mask, &p, n, k);
        for (int l = 0; l < REE_LANES; l++) {
            if (!mask[l]) {
                assert_int_equal(k[l], 12345u + (unsigned int)l);
                assert_memory_equal(g[l]->state, gref[l]->state, g[l]->type->size);
                continue;
            }
            assert_int_equal(k[l], gsl_ran_binomial(gref[l], p[l], n[l]));
            assert_memory_equal(g[l]->state, gref[l]->state, g[l]->type->size);
        }
    }
    assert_true(binv > 10 * rounds / 4 && btpe > rounds / 4); /* both methods, often */
    for (int l = 0; l < REE_LANES; l++) {
        gsl_rng_free(r[l]);
        gsl_rng_free(ref[l]);
        gsl_rng_free(mt[l]);
        gsl_rng_free(ref_mt[l]);
    }
}

/* A generator of scripted doubles (gsl_rng_uniform's get_double): the uniforms that make BINV's
 * loop run past its cutoff by roundoff (u = 1 - 2^-53) and start again, which no real stream
 * reaches in a test's time. */
typedef struct script {
    double u[4];
    int pos, calls;
} script;

static void script_set(void *s, unsigned long int seed)
{
    (void)seed;
    memset(s, 0, sizeof(script));
}

static unsigned long int script_get(void *s)
{
    (void)s;
    return 0;
}

static double script_get_double(void *vs)
{
    script *s = vs;
    s->calls++;
    return s->u[s->pos++ % 4];
}

static const gsl_rng_type script_type = {
    "script", 0xffffffffUL, 0, sizeof(script), script_set, script_get, script_get_double};

static void check_binomial_retry(binom_fn *fn)
{
    gsl_rng *g[REE_LANES], *gref[REE_LANES];
    for (int l = 0; l < REE_LANES; l++) {
        g[l] = gsl_rng_alloc(&script_type);
        gref[l] = gsl_rng_alloc(&script_type);
        assert_true(g[l] && gref[l]);
    }
    const ree_vl all = {-1, -1, -1, -1, -1, -1, -1, -1};
    long retries = 0;
    for (int round = 0; round < 2000; round++) {
        ree_vd p;
        unsigned int n[REE_LANES], k[REE_LANES];
        for (int l = 0; l < REE_LANES; l++) {
            n[l] = 1u + (unsigned int)((round * REE_LANES + l) % 7);
            p[l] = 0.5 * (double)(next_u64() >> 11) * 0x1p-53;
            if (l % 2)
                p[l] = 1.0 - p[l];
            script *s = g[l]->state;
            s->pos = s->calls = 0;
            s->u[0] = l % 4 ? 1.0 - 0x1p-53 : 0.5; /* some lanes end at once */
            s->u[1] = s->u[2] = s->u[3] = (double)(next_u64() >> 11) * 0x1p-53;
            gsl_rng_memcpy(gref[l], g[l]);
        }
        fn(g, &all, &p, n, k);
        for (int l = 0; l < REE_LANES; l++) {
            assert_int_equal(k[l], gsl_ran_binomial(gref[l], p[l], n[l]));
            assert_memory_equal(g[l]->state, gref[l]->state, sizeof(script));
            retries += ((script *)g[l]->state)->calls > 1;
        }
    }
    assert_true(retries > 100); /* the retry was taken */
    for (int l = 0; l < REE_LANES; l++) {
        gsl_rng_free(g[l]);
        gsl_rng_free(gref[l]);
    }
}

static void test_binomial_base(void **state)
{
    (void)state;
    mix_state = 3;
    check_binomial(ree_ran_binomial_lanes, 40000);
    check_binomial_retry(ree_ran_binomial_lanes);
}

static void test_binomial_v4(void **state)
{
    (void)state;
#ifdef REESIM_LANES_V4
    if (have_v4()) {
        mix_state = 4;
        check_binomial(ree_ran_binomial_lanes_v4, 40000);
        check_binomial_retry(ree_ran_binomial_lanes_v4);
        return;
    }
#endif
    skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lanes_base),  cmocka_unit_test(test_lanes_v4),
        cmocka_unit_test(test_lanes_steps), cmocka_unit_test(test_binomial_base),
        cmocka_unit_test(test_binomial_v4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
