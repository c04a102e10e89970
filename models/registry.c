/* The model registry: a static array in a fixed order. Adding a model is one file plus one line
 * here and one in models.h. */
#include <string.h>
#include "models.h"

static const ree_model *const registry[] = {
    &ree_model_source,    &ree_model_processor, &ree_model_inventory, &ree_model_stockpile,
    &ree_model_sector,    &ree_model_recycler,  &ree_model_price,     &ree_model_gate,
    &ree_model_gate_rule, &ree_model_link,
};

const ree_model *const *ree_models(size_t *count)
{
    *count = sizeof registry / sizeof registry[0];
    return registry;
}

const ree_model *ree_model_find(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

int ree_model_param_index(const ree_model *m, const char *key)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i].key, key) == 0)
            return (int)i;
    return -1;
}

int ree_model_param_at(const ree_model *m, size_t offset)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (m->params[i].offset == offset)
            return (int)i;
    return -1;
}
