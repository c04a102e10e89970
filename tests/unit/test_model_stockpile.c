/* Tests for models/stockpile.c: release rule and offer, refill orders, exhaustion bookkeeping. */
#include "model_fixture.h"
#include "models.h"

#define M (&ree_model_stockpile)

/* A strategic NdPr oxide stockpile (material 0). No public tonnages exist (facts-detailed.md
 * s.2d), so sizes are illustrative: 400 t held, 100 t floor, 50 t/month release cap. */
static void *pile(void)
{
    void *p = params_new(M);
    set_mat(M, p, "material", 0);
    set_num(M, p, "floor", 100);
    set_num(M, p, "max_release", 50);
    set_num(M, p, "trigger", 0.1);
    return p;
}

static void step_both(void *p, void *s, fixture *f, int t)
{
    fx_step(f, t, NULL);
    M->order(p, s, &f->io);
    M->offer(p, s, &f->io);
    assert_metrics_finite(M, f);
    for (int m = 0; m < NMAT; m++)
        assert_true(f->offer[m] >= 0 && f->offer[m] <= f->stock[m]);
}

static void test_release(void **unused)
{
    (void)unused;
    void *p = pile();
    void *s = state_new(M, p);
    fixture f = {0};
    f.stock[0] = 400;
    f.stock[1] = 30;
    f.position[0] = 400;
    f.scarcity[0] = 0.2; /* >= trigger 0.1: release min(400 - 100, 50) = 50 t */
    step_both(p, s, &f, 0);
    assert_near(f.offer[0], 50, 0);
    assert_near(f.offer[1], 0, 0); /* never other materials */
    assert_near(f.metrics[1], 1, 0);
    assert_near(f.order[0], 0, 0);
    set_num(M, p, "max_release", INFINITY); /* no cap: all above the floor, 300 t */
    step_both(p, s, &f, 1);
    assert_near(f.offer[0], 300, 0);
    f.stock[0] = 80; /* below the floor: nothing */
    step_both(p, s, &f, 2);
    assert_near(f.offer[0], 0, 0);
    f.stock[0] = 400;
    set_num(M, p, "release", 0); /* policy off */
    step_both(p, s, &f, 3);
    assert_near(f.offer[0], 0, 0);
    assert_near(f.metrics[1], 0, 0);
    set_num(M, p, "release", 1);
    f.scarcity[0] = 0.05; /* below trigger */
    step_both(p, s, &f, 4);
    assert_near(f.offer[0], 0, 0);
    set_num(M, p, "trigger", 0);
    f.scarcity[0] = 0; /* trigger 0 still needs some scarcity */
    step_both(p, s, &f, 5);
    assert_near(f.offer[0], 0, 0);
    free(s);
    free(p);
}

/* A release goes on while customers keep asking, even once it has hidden the shortage. */
static void test_release_persists_while_asked(void **unused)
{
    (void)unused;
    void *p = pile(); /* floor 100, max_release 50, trigger 0.1 */
    void *s = state_new(M, p);
    fixture f = {0};
    f.stock[0] = 400;
    f.position[0] = 400;
    f.scarcity[0] = 0.3; /* month 0: triggered */
    step_both(p, s, &f, 0);
    assert_near(f.offer[0], 50, 0);
    f.scarcity[0] = 0; /* month 1: the release covered the gap, but 40 t were asked */
    f.requested[0] = 40;
    f.stock[0] = 360;
    step_both(p, s, &f, 1);
    assert_near(f.offer[0], 50, 0);
    assert_near(f.order[0], 0, 0); /* no refill while releasing */
    f.requested[0] = 0;            /* month 2: nobody asked: the release ends */
    step_both(p, s, &f, 2);
    assert_near(f.offer[0], 0, 0);
    assert_near(f.metrics[1], 0, 0);
    free(s);
    free(p);
}

static void test_refill(void **unused)
{
    (void)unused;
    void *p = pile();
    set_num(M, p, "target", 1000);
    set_num(M, p, "refill_rate", 80);
    void *s = state_new(M, p);
    fixture f = {0};
    f.stock[0] = 400;
    f.position[0] = 950; /* gap 50 < rate 80 */
    step_both(p, s, &f, 0);
    assert_near(f.order[0], 50, 1e-12);
    f.position[0] = 500; /* gap 500: the rate binds */
    step_both(p, s, &f, 1);
    assert_near(f.order[0], 80, 0);
    f.position[0] = 1200; /* above target */
    step_both(p, s, &f, 2);
    assert_near(f.order[0], 0, 0);
    f.position[0] = 500;
    f.scarcity[0] = 0.3; /* releasing: no refill */
    step_both(p, s, &f, 3);
    assert_near(f.order[0], 0, 0);
    assert_near(f.offer[0], 50, 0);
    free(s);
    free(p);
}

static void test_exhaustion(void **unused)
{
    (void)unused;
    void *p = pile();
    void *s = state_new(M, p);
    fixture f = {0};
    double ind[3];
    /* Starts empty (below its floor): not exhausted, it never held anything to release. */
    step_both(p, s, &f, 0);
    assert_near(f.metrics[2], 0, 0);
    f.stock[0] = 400; /* filled */
    step_both(p, s, &f, 1);
    assert_near(f.metrics[0], 400, 0);
    assert_near(f.metrics[2], 0, 0);
    f.stock[0] = 100; /* down to the floor at step 2 */
    step_both(p, s, &f, 2);
    assert_near(f.metrics[2], 1, 0);
    f.stock[0] = 150; /* refilled */
    step_both(p, s, &f, 3);
    assert_near(f.metrics[2], 0, 0);
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 0, 0);
    assert_near(ind[1], 1, 0);
    assert_near(ind[2], 2, 0);
    /* A run that never exhausts reports the horizon length. */
    M->reset(p, s, &test_ctx);
    f.stock[0] = 400;
    step_both(p, s, &f, 0);
    M->finish(p, s, &test_ctx, ind);
    assert_near(ind[0], 400, 0);
    assert_near(ind[1], 0, 0);
    assert_near(ind[2], 36, 0);
    free(s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_release_persists_while_asked),
        cmocka_unit_test(test_refill),
        cmocka_unit_test(test_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
