/*
 * Replay driver shared by the fuzz targets when they are not built for libFuzzer: feeds every
 * file named on the command line through LLVMFuzzerTestOneInput, then every 97th prefix of its
 * first 4 KiB (truncated files are the commonest damage). ctest runs it over the corpus; a
 * failing input aborts the program, so the test fails and names nothing else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 20];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[i]);
            return 1;
        }
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        for (size_t k = 0; k < len && k < 4096; k += 97)
            LLVMFuzzerTestOneInput(buf, k);
        n++;
    }
    printf("%d passed, 0 failed\n", n);
    return 0;
}
