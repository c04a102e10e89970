/* The node-hook contract of engine/model.h: a hook never changes the io block's own fields (step,
 * nmat, its pointers), because the engine hands every hook of a node the same block by pointer
 * (engine/sim/run_step.c, call_nodes); only produce() and consume() book (write produced,
 * consumed, lost), because the engine books after those two only; and only offer() writes the
 * offer, because the engine presets it before offer() only (a node without one keeps +inf). Every node model of the
 * registry is run through all its hooks for a few steps, with some stock, orders, scarcity and
 * prices, and the block must be byte for byte what it was before each call. The const in the
 * hooks' signature makes a change a compile error; this catches one made through a cast. */
#include "model_fixture.h"
#include "models.h"

#define NSTEP 24

typedef struct io_bed {
    double stock[NMAT], position[NMAT], requested[NMAT], received[NMAT], scarcity[NMAT];
    double lead[NMAT], asked[NMAT], price[NMAT], history[NSTEP * NMAT];
    double produced[NMAT], consumed[NMAT], lost[NMAT], order[NMAT], offer[NMAT];
    double metrics[64];
} io_bed;

/* Every parameter at its default, then the typed ones a default cannot give: materials (the
 * last, magnets), material maps (half of each of the first two: a recipe, an output mix),
 * material and tag sets (the first). */
static void *params_any(const ree_model *m)
{
    static const double map[NMAT] = {0.5, 0.5, 0};
    unsigned char *p = params_new(m);
    for (size_t i = 0; i < m->nparams; i++) {
        const ree_param_def *d = &m->params[i];
        unsigned char *at = p + d->offset;
        int mat = NMAT - 1;
        const double *mp = map;
        uint64_t set = 1;
        if (d->type == REE_PT_MATERIAL)
            memcpy(at, &mat, sizeof mat);
        else if (d->type == REE_PT_MATMAP)
            memcpy(at, &mp, sizeof mp);
        else if (d->type == REE_PT_MATSET || d->type == REE_PT_TAGSET)
            memcpy(at, &set, sizeof set);
        else if (d->type == REE_PT_NUM && d->required && d->def == 0 && d->max >= 100)
            memcpy(at, &(double){100}, sizeof(double)); /* e.g. capacity, demand */
    }
    return p;
}

/* Call one hook; `books` 0 for the hooks that may not book (order, offer, account): the block's
 * produced, consumed and lost must then be as they were (the engine books after produce() and
 * consume() only, run_step.c). Every hook but offer() must leave the offer as it was. */
static void call_checked(const ree_model *m, const char *hook, int books,
                         void (*fn)(const void *, void *, const ree_node_io *), const void *p,
                         void *s, const ree_node_io *io)
{
    if (!fn)
        return;
    ree_node_io before = *io;
    double io0[3][NMAT], offer0[NMAT];
    memcpy(io0[0], io->produced, sizeof io0[0]);
    memcpy(io0[1], io->consumed, sizeof io0[1]);
    memcpy(io0[2], io->lost, sizeof io0[2]);
    memcpy(offer0, io->offer, sizeof offer0);
    fn(p, s, io);
    if (strcmp(hook, "offer") != 0 && memcmp(offer0, io->offer, sizeof offer0) != 0)
        fail_msg("model %s: %s() wrote the offer", m->name, hook);
    if (memcmp(&before, io, sizeof before) != 0)
        fail_msg("model %s: %s() changed its io block's fields", m->name, hook);
    if (!books && (memcmp(io0[0], io->produced, sizeof io0[0]) != 0 ||
                   memcmp(io0[1], io->consumed, sizeof io0[1]) != 0 ||
                   memcmp(io0[2], io->lost, sizeof io0[2]) != 0))
        fail_msg("model %s: %s() booked (produced, consumed or lost)", m->name, hook);
}

static void test_hooks_keep_io_fields(void **unused)
{
    (void)unused;
    size_t n;
    const ree_model *const *all = ree_models(&n);
    int nodes = 0;
    for (size_t k = 0; k < n; k++) {
        const ree_model *m = all[k];
        if (m->kind != REE_MODEL_NODE)
            continue;
        assert_true(m->nmetrics <= 64);
        nodes++;
        void *p = params_any(m);
        void *s = state_new(m, p);
        gsl_rng *r = rng_new(12 + k);
        io_bed b = {0};
        for (int i = 0; i < NMAT; i++) {
            b.stock[i] = b.position[i] = 50;
            b.price[i] = 1.5;
            b.lead[i] = 2;
        }
        ree_node_io io = {.nmat = NMAT,
                          .stock = b.stock,
                          .position = b.position,
                          .requested = b.requested,
                          .received = b.received,
                          .history = b.history,
                          .scarcity = b.scarcity,
                          .lead = b.lead,
                          .produced = b.produced,
                          .consumed = b.consumed,
                          .lost = b.lost,
                          .order = b.order,
                          .offer = b.offer,
                          .metrics = b.metrics,
                          .price = b.price,
                          .rng = r};
        for (int t = 0; t < NSTEP; t++) {
            io.step = t;
            for (int i = 0; i < NMAT; i++) {
                b.requested[i] = 10 + t;
                b.scarcity[i] = t % 3 ? 0.25 : 0;
                b.offer[i] = b.stock[i];
                b.asked[i] = 5;
            }
            call_checked(m, "produce", 1, m->produce, p, s, &io);
            call_checked(m, "order", 0, m->order, p, s, &io);
            io.asked = b.asked;
            call_checked(m, "offer", 0, m->offer, p, s, &io);
            io.asked = NULL;
            call_checked(m, "consume", 1, m->consume, p, s, &io);
            call_checked(m, "account", 0, m->account, p, s, &io);
            for (int i = 0; i < NMAT; i++) {
                b.stock[i] += b.produced[i] - b.consumed[i] - b.lost[i];
                b.history[t * NMAT + i] = b.consumed[i];
                b.produced[i] = b.consumed[i] = b.lost[i] = 0;
            }
        }
        free(s);
        free(p);
        gsl_rng_free(r);
    }
    assert_true(nodes >= 7); /* sources, processors, inventories, stockpiles, sectors, ... */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hooks_keep_io_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
