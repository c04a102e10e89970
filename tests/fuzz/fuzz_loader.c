/*
 * Fuzz target for the scenario loader: any bytes must give a plan or located diagnostics, never a
 * crash, a leak or undefined behaviour. Built two ways:
 *  - with clang and -fsanitize=fuzzer,address,undefined (cmake -DREESIM_FUZZ=ON -DCMAKE_C_COMPILER
 *    =clang), it is a libFuzzer target: build/fuzz_loader tests/bad tests/golden scenarios;
 *  - otherwise it is a plain program that feeds every file named on its command line through the
 *    same entry point (ctest runs it over the broken-scenario corpus and the shipped scenarios).
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

#ifndef REESIM_LIBFUZZER
int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "fuzz_loader: cannot open %s\n", argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        /* Also every prefix of the first 4 KiB: truncated files are the commonest damage. */
        for (size_t k = 0; k < len && k < 4096; k += 97)
            LLVMFuzzerTestOneInput(buf, k);
        n++;
    }
    printf("%d passed, 0 failed\n", n);
    return 0;
}
#endif
