/* The transposition of parameter structs into lane layout (model_lanes.h). */
#include <string.h>

#include "model_lanes.h"

void ree_lanes_transpose(void *dst, const void *const src[REE_LANES], size_t bytes)
{
    unsigned char *d = dst;
    for (size_t w = 0; w < bytes / 8; w++)
        for (int l = 0; l < REE_LANES; l++)
            memcpy(d + (w * REE_LANES + (size_t)l) * 8, (const unsigned char *)src[l] + w * 8, 8);
}
