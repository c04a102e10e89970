/* Instruction latency / throughput microbenchmark (zmm), in core cycles estimated from a
 * dependent scalar-add chain (1 cycle per add). Latency: 100 dependent instructions per
 * iteration; throughput: 12 independent accumulators, 8 rounds. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdint.h>
#include <time.h>
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
static double ghz;
#define N 2000000ull
#define LAT(name, insn)                                                                            \
    static void lat_##name(void)                                                                   \
    {                                                                                              \
        double best = 1e9;                                                                         \
        for (int r = 0; r < 5; r++) {                                                              \
            double t0 = now();                                                                     \
            for (uint64_t i = 0; i < N; i++)                                                       \
                __asm__ volatile(".rept 100\n\t" insn " %%zmm0, %%zmm1, %%zmm0\n\t.endr" ::        \
                                     : "xmm0", "xmm1");                                            \
            double t = now() - t0;                                                                 \
            if (t < best)                                                                          \
                best = t;                                                                          \
        }                                                                                          \
        printf("latency    %-14s %5.2f cycles\n", #name, best *ghz * 1e9 / (100.0 * N));           \
    }
#define TPUT(name, insn)                                                                           \
    static void tp_##name(void)                                                                    \
    {                                                                                              \
        double best = 1e9;                                                                         \
        for (int r = 0; r < 5; r++) {                                                              \
            double t0 = now();                                                                     \
            for (uint64_t i = 0; i < N; i++)                                                       \
                __asm__ volatile(                                                                  \
                    ".rept 8\n\t" insn " %%zmm20, %%zmm21, %%zmm0\n\t" insn                        \
                    " %%zmm20, %%zmm21, %%zmm1\n\t" insn " %%zmm20, %%zmm21, %%zmm2\n\t" insn      \
                    " %%zmm20, %%zmm21, %%zmm3\n\t" insn " %%zmm20, %%zmm21, %%zmm4\n\t" insn      \
                    " %%zmm20, %%zmm21, %%zmm5\n\t" insn " %%zmm20, %%zmm21, %%zmm6\n\t" insn      \
                    " %%zmm20, %%zmm21, %%zmm7\n\t" insn " %%zmm20, %%zmm21, %%zmm8\n\t" insn      \
                    " %%zmm20, %%zmm21, %%zmm9\n\t" insn " %%zmm20, %%zmm21, %%zmm10\n\t" insn     \
                    " %%zmm20, %%zmm21, %%zmm11\n\t"                                               \
                    ".endr" ::                                                                     \
                        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",  \
                          "xmm9", "xmm10", "xmm11");                                               \
            double t = now() - t0;                                                                 \
            if (t < best)                                                                          \
                best = t;                                                                          \
        }                                                                                          \
        printf("throughput %-14s %5.2f per cycle\n", #name, 96.0 * N / (best * ghz * 1e9));        \
    }
/* clang-format off */
LAT(vpaddq, "vpaddq")
LAT(vpmuludq, "vpmuludq")
LAT(vpmullq, "vpmullq")
LAT(vpmadd52luq, "vpmadd52luq")
LAT(vpxorq, "vpxorq")
LAT(vpandq, "vpandq")
TPUT(vpaddq, "vpaddq")
TPUT(vpmuludq, "vpmuludq")
TPUT(vpmullq, "vpmullq")
TPUT(vpmadd52luq, "vpmadd52luq")
TPUT(vpmadd52huq, "vpmadd52huq")
TPUT(vpxorq, "vpxorq")
TPUT(vpandq, "vpandq")
/* clang-format on */

static void lat_srl(void)
{
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (uint64_t i = 0; i < N; i++)
            __asm__ volatile(".rept 100\n\tvpsrlq $1, %%zmm0, %%zmm0\n\t.endr" ::: "xmm0");
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("latency    %-14s %5.2f cycles\n", "vpsrlq imm", best * ghz * 1e9 / (100.0 * N));
}
static void tp_srl(void)
{
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (uint64_t i = 0; i < N; i++)
            __asm__ volatile(".rept 8\n\t"
                             "vpsrlq $1,%%zmm20,%%zmm0\n\tvpsrlq $1,%%zmm20,%%zmm1\n\tvpsrlq "
                             "$1,%%zmm20,%%zmm2\n\tvpsrlq $1,%%zmm20,%%zmm3\n\t"
                             "vpsrlq $1,%%zmm20,%%zmm4\n\tvpsrlq $1,%%zmm20,%%zmm5\n\tvpsrlq "
                             "$1,%%zmm20,%%zmm6\n\tvpsrlq $1,%%zmm20,%%zmm7\n\t"
                             "vpsrlq $1,%%zmm20,%%zmm8\n\tvpsrlq $1,%%zmm20,%%zmm9\n\tvpsrlq "
                             "$1,%%zmm20,%%zmm10\n\tvpsrlq $1,%%zmm20,%%zmm11\n\t"
                             ".endr" ::
                                 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                                   "xmm8", "xmm9", "xmm10", "xmm11");
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("throughput %-14s %5.2f per cycle\n", "vpsrlq imm", 96.0 * N / (best * ghz * 1e9));
}
static void lat_tern(void)
{
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (uint64_t i = 0; i < N; i++)
            __asm__ volatile(".rept 100\n\tvpternlogq $0x96, %%zmm1, %%zmm2, %%zmm0\n\t.endr" ::
                                 : "xmm0");
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("latency    %-14s %5.2f cycles\n", "vpternlogq", best * ghz * 1e9 / (100.0 * N));
}
static void lat_shuf(void)
{
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (uint64_t i = 0; i < N; i++)
            __asm__ volatile(".rept 100\n\tvpshufd $0xa0, %%zmm0, %%zmm0\n\t.endr" ::: "xmm0");
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("latency    %-14s %5.2f cycles\n", "vpshufd", best * ghz * 1e9 / (100.0 * N));
}

static void tp_mix(const char *name, int which)
{
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        if (which == 0)
            for (uint64_t i = 0; i < N; i++)
                __asm__ volatile(
                    ".rept 8\n\t"
                    "vpsrlq $1,%%zmm20,%%zmm0\n\tvpmuludq %%zmm20,%%zmm21,%%zmm1\n\tvpsrlq "
                    "$1,%%zmm20,%%zmm2\n\tvpmuludq %%zmm20,%%zmm21,%%zmm3\n\t"
                    "vpsrlq $1,%%zmm20,%%zmm4\n\tvpmuludq %%zmm20,%%zmm21,%%zmm5\n\tvpsrlq "
                    "$1,%%zmm20,%%zmm6\n\tvpmuludq %%zmm20,%%zmm21,%%zmm7\n\t"
                    "vpsrlq $1,%%zmm20,%%zmm8\n\tvpmuludq %%zmm20,%%zmm21,%%zmm9\n\tvpsrlq "
                    "$1,%%zmm20,%%zmm10\n\tvpmuludq %%zmm20,%%zmm21,%%zmm11\n\t"
                    ".endr" ::
                        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                          "xmm9", "xmm10", "xmm11");
        else if (which == 1)
            for (uint64_t i = 0; i < N; i++)
                __asm__ volatile(
                    ".rept 8\n\t"
                    "vpaddq %%zmm21,%%zmm20,%%zmm0\n\tvpmuludq %%zmm20,%%zmm21,%%zmm1\n\tvpaddq "
                    "%%zmm21,%%zmm20,%%zmm2\n\tvpmuludq %%zmm20,%%zmm21,%%zmm3\n\t"
                    "vpaddq %%zmm21,%%zmm20,%%zmm4\n\tvpmuludq %%zmm20,%%zmm21,%%zmm5\n\tvpaddq "
                    "%%zmm21,%%zmm20,%%zmm6\n\tvpmuludq %%zmm20,%%zmm21,%%zmm7\n\t"
                    "vpaddq %%zmm21,%%zmm20,%%zmm8\n\tvpmuludq %%zmm20,%%zmm21,%%zmm9\n\tvpaddq "
                    "%%zmm21,%%zmm20,%%zmm10\n\tvpmuludq %%zmm20,%%zmm21,%%zmm11\n\t"
                    ".endr" ::
                        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                          "xmm9", "xmm10", "xmm11");
        else if (which == 2)
            for (uint64_t i = 0; i < N; i++)
                __asm__ volatile(
                    ".rept 8\n\t"
                    "vpshufd $0xa0,%%zmm20,%%zmm0\n\tvpmuludq %%zmm20,%%zmm21,%%zmm1\n\tvpshufd "
                    "$0xa0,%%zmm20,%%zmm2\n\tvpmuludq %%zmm20,%%zmm21,%%zmm3\n\t"
                    "vpshufd $0xa0,%%zmm20,%%zmm4\n\tvpmuludq %%zmm20,%%zmm21,%%zmm5\n\tvpshufd "
                    "$0xa0,%%zmm20,%%zmm6\n\tvpmuludq %%zmm20,%%zmm21,%%zmm7\n\t"
                    "vpshufd $0xa0,%%zmm20,%%zmm8\n\tvpmuludq %%zmm20,%%zmm21,%%zmm9\n\tvpshufd "
                    "$0xa0,%%zmm20,%%zmm10\n\tvpmuludq %%zmm20,%%zmm21,%%zmm11\n\t"
                    ".endr" ::
                        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                          "xmm9", "xmm10", "xmm11");
        else if (which == 3)
            for (uint64_t i = 0; i < N; i++)
                __asm__ volatile(
                    ".rept 8\n\t"
                    "vpshufd $0xa0,%%zmm20,%%zmm0\n\tvpshufd $0xa0,%%zmm20,%%zmm1\n\tvpshufd "
                    "$0xa0,%%zmm20,%%zmm2\n\tvpshufd $0xa0,%%zmm20,%%zmm3\n\t"
                    "vpshufd $0xa0,%%zmm20,%%zmm4\n\tvpshufd $0xa0,%%zmm20,%%zmm5\n\tvpshufd "
                    "$0xa0,%%zmm20,%%zmm6\n\tvpshufd $0xa0,%%zmm20,%%zmm7\n\t"
                    "vpshufd $0xa0,%%zmm20,%%zmm8\n\tvpshufd $0xa0,%%zmm20,%%zmm9\n\tvpshufd "
                    "$0xa0,%%zmm20,%%zmm10\n\tvpshufd $0xa0,%%zmm20,%%zmm11\n\t"
                    ".endr" ::
                        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                          "xmm9", "xmm10", "xmm11");
        else
            for (uint64_t i = 0; i < N; i++)
                __asm__ volatile(
                    ".rept 8\n\t"
                    "vpternlogq $0x96,%%zmm20,%%zmm21,%%zmm0\n\tvpternlogq "
                    "$0x96,%%zmm20,%%zmm21,%%zmm1\n\tvpternlogq "
                    "$0x96,%%zmm20,%%zmm21,%%zmm2\n\tvpternlogq $0x96,%%zmm20,%%zmm21,%%zmm3\n\t"
                    "vpternlogq $0x96,%%zmm20,%%zmm21,%%zmm4\n\tvpternlogq "
                    "$0x96,%%zmm20,%%zmm21,%%zmm5\n\tvpternlogq "
                    "$0x96,%%zmm20,%%zmm21,%%zmm6\n\tvpternlogq $0x96,%%zmm20,%%zmm21,%%zmm7\n\t"
                    "vpternlogq $0x96,%%zmm20,%%zmm21,%%zmm8\n\tvpternlogq "
                    "$0x96,%%zmm20,%%zmm21,%%zmm9\n\tvpternlogq "
                    "$0x96,%%zmm20,%%zmm21,%%zmm10\n\tvpternlogq $0x96,%%zmm20,%%zmm21,%%zmm11\n\t"
                    ".endr" ::
                        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                          "xmm9", "xmm10", "xmm11");
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("throughput %-14s %5.2f per cycle\n", name, 96.0 * N / (best * ghz * 1e9));
}
int main(void)
{
    uint64_t x = 0;
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (uint64_t i = 0; i < N; i++)
            __asm__ volatile(".rept 100\n\tadd $1, %0\n\t.endr" : "+r"(x));
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    ghz = 100.0 * N / best / 1e9;
    printf("clock estimate %.3f GHz\n", ghz);
    lat_vpaddq();
    lat_vpmuludq();
    lat_vpmullq();
    lat_vpmadd52luq();
    lat_vpxorq();
    lat_vpandq();
    lat_srl();
    lat_tern();
    lat_shuf();
    tp_vpaddq();
    tp_vpmuludq();
    tp_vpmullq();
    tp_vpmadd52luq();
    tp_vpmadd52huq();
    tp_vpxorq();
    tp_vpandq();
    tp_srl();
    tp_mix("srl+muludq", 0);
    tp_mix("add+muludq", 1);
    tp_mix("shufd+muludq", 2);
    tp_mix("vpshufd", 3);
    tp_mix("vpternlogq", 4);
    return 0;
}
