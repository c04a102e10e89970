/*
 * Fuzz target for the scenario loader: any bytes must give a plan or located diagnostics, never a
 * crash, a leak or undefined behaviour. Built two ways:
 *  - with clang and -DREESIM_FUZZ=ON (`make fuzz`), a libFuzzer target over an instrumented
 *    library (see tests/CMakeLists.txt);
 *  - otherwise linked with tests/fuzz/replay.c, a plain program that feeds every file named on
 *    its command line through the same entry point (ctest: fuzz_loader_replay).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ree_diag *d = ree_diag_alloc(0);
    if (!d)
        return 0;
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load_buffer("fuzz.yaml", (const char *)data, size, d, &st);
    FILE *sink = fopen("/dev/null", "w");
    if (sink) {
        ree_diag_print(d, sink);
        fclose(sink);
    }
    ree_plan_free(p);
    ree_diag_free(d);
    return 0;
}
