/* Tests for ree_run_alloc_horizon (engine/sim/run.c): a run clipped to the first months of a
 * scenario's horizon stops there, and its months are those of the full run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "run.h"

#define CLIP 24

static void test_clipped_run(void **unused)
{
    (void)unused;
    ree_diag *d = ree_diag_alloc(20);
    ree_status st = REE_OK;
    ree_plan *p =
        ree_plan_load(REESIM_SOURCE_DIR "/scenarios/policy-uncertainty-2026-2028.yaml", d, &st);
    assert_non_null(p);
    assert_true(p->nsteps > CLIP);
    assert_null(ree_run_alloc_horizon(p, 0));
    assert_null(ree_run_alloc_horizon(p, p->nsteps + 1));
    ree_run *full = ree_run_alloc(p), *clip = ree_run_alloc_horizon(p, CLIP);
    assert_non_null(full);
    assert_non_null(clip);
    ree_run_set_check(full, 1);
    ree_run_set_check(clip, 1);
    for (long long run = 0; run < 2; run++) {
        ree_run_reset(full, p->seed, run);
        ree_run_reset(clip, p->seed, run);
        assert_int_equal(ree_run_finish(full), REE_OK);
        assert_int_equal(ree_run_finish(clip), REE_OK);
        assert_int_equal(ree_run_steps_done(clip), CLIP);
        assert_int_equal(ree_run_step(clip), REE_EINTERNAL); /* past its horizon */
        const double *a = ree_run_series(full), *b = ree_run_series(clip);
        int differ = 0;
        for (int s = 0; s < p->nseries; s++)
            for (int t = 0; t < CLIP; t++)
                differ +=
                    a[(size_t)s * (size_t)p->nsteps + (size_t)t] != b[(size_t)s * CLIP + (size_t)t];
        assert_int_equal(differ, 0);
        const double *ind = ree_run_indicators(clip);
        for (int i = 0; i < p->nindicator; i++)
            assert_true(isfinite(ind[i]));
    }
    ree_run_free(clip);
    ree_run_free(full);
    ree_plan_free(p);
    ree_diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clipped_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
