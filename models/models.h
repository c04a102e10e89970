/*
 * The model type objects, for the registry and for tests that drive one model directly. The
 * engine itself reaches models only through the registry (ree_models, ree_model_find in
 * model.h). Adding a model: its file, one line here, one line in registry.c.
 */
#ifndef REESIM_MODELS_H
#define REESIM_MODELS_H

#include "model.h"

extern const ree_model ree_model_source;
extern const ree_model ree_model_processor;
extern const ree_model ree_model_inventory;
extern const ree_model ree_model_stockpile;
extern const ree_model ree_model_sector;
extern const ree_model ree_model_recycler;
extern const ree_model ree_model_price;
extern const ree_model ree_model_gate;
extern const ree_model ree_model_gate_rule;
extern const ree_model ree_model_link;

#endif
