/* The transposition of parameter structs into lane layout, and the choice of the lane code's
 * build (model_lanes.h). */
#include <stdlib.h>
#include <string.h>

#include "model_lanes.h"

void ree_lanes_transpose(void *dst, const void *const src[REE_LANES], size_t bytes)
{
    unsigned char *d = dst;
    for (size_t w = 0; w < bytes / 8; w++)
        for (int l = 0; l < REE_LANES; l++)
            memcpy(d + (w * REE_LANES + (size_t)l) * 8, (const unsigned char *)src[l] + w * 8, 8);
}

#ifdef REESIM_LANES_V4
/* The registry of the x86-64-v4 build (models/registry.c with its names suffixed). */
const ree_model *const *ree_models_v4(size_t *count);
#endif

int ree_lanes_v4(void)
{
#ifdef REESIM_LANES_V4
    const char *isa = getenv("REESIM_LANES_ISA");
    if (isa && !strcmp(isa, "base"))
        return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

const ree_model_lanes *ree_lanes_of(const ree_model *m)
{
#ifdef REESIM_LANES_V4
    if (m->lanes && ree_lanes_v4()) {
        size_t n, n4;
        const ree_model *const *a = ree_models(&n), *const *b = ree_models_v4(&n4);
        for (size_t i = 0; i < n && i < n4; i++) /* the same registry.c: the same order */
            if (a[i] == m && !strcmp(b[i]->name, m->name))
                return b[i]->lanes;
    }
#endif
    return m->lanes;
}
