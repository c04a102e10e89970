/* reesim models: the model catalogue with each parameter's type, default and bounds. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "plan.h"

static void bound(char *buf, size_t len, double x)
{
    if (x == DBL_MIN) /* the models' way of saying "above zero" */
        snprintf(buf, len, "(0");
    else if (isinf(x))
        snprintf(buf, len, "%s", x > 0 ? "inf" : "-inf");
    else
        snprintf(buf, len, "%g", x);
}

static void print_model(const ree_model *m)
{
    static const char *const kinds[] = {"node", "gate", "link", "gate rule"};
    static const char *const types[] = {
        "number", "month", "material", "{material: number}", "[material...]", "[end use...]"};
    printf("%s (%s): %s\n", m->name, kinds[m->kind], m->summary);
    printf("  parameters:\n");
    for (size_t i = 0; i < m->nparams; i++) {
        const ree_param_def *d = &m->params[i];
        char def[48], lo[24], hi[24];
        if (d->required)
            snprintf(def, sizeof def, "required");
        else if (d->type == REE_PT_NUM && (d->flags & REE_PF_INHERIT))
            snprintf(def, sizeof def, "default the gate's");
        else if (d->type == REE_PT_NUM && isinf(d->def))
            snprintf(def, sizeof def, "default none (no limit)");
        else if (d->type == REE_PT_NUM || d->type == REE_PT_DATE)
            snprintf(def, sizeof def, "default %g", d->def);
        else
            snprintf(def, sizeof def, "default empty");
        bound(lo, sizeof lo, d->min);
        bound(hi, sizeof hi, d->max);
        printf("    %-16s %-18s [%s]  %s", d->key, types[d->type], d->unit, def);
        if (d->type == REE_PT_NUM)
            printf(", range %s..%s%s", lo, hi, d->flags & REE_PF_INT ? " (whole)" : "");
        if (d->flags & REE_PF_TIMELINE)
            printf(", changeable in timeline");
        printf("\n%22s%s\n", "", d->doc);
    }
    if (m->nmetrics) {
        printf("  metrics (per step):\n");
        for (size_t i = 0; i < m->nmetrics; i++)
            printf("    %-24s [%s]  %s\n", m->metrics[i].name, m->metrics[i].unit,
                   m->metrics[i].doc);
    }
    if (m->nindicators) {
        printf("  indicators (per run):\n");
        for (size_t i = 0; i < m->nindicators; i++)
            printf("    %-24s [%s]  %s\n", m->indicators[i].name, m->indicators[i].unit,
                   m->indicators[i].doc);
    }
}

ree_status ree_cmd_models(int argc, char **argv)
{
    if (argc > 2) {
        ree_cli_usage_error("models", "expected at most one model name");
        return REE_EUSAGE;
    }
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs("Usage: reesim models [NAME]\nList every model (or one) with its parameters, "
              "units, defaults, bounds, metrics and indicators.\n",
              stdout);
        return REE_OK;
    }
    size_t n;
    const ree_model *const *all = ree_models(&n);
    if (argc == 2) {
        const ree_model *m = ree_model_find(argv[1]);
        if (!m) {
            ree_cli_usage_error("models", "unknown model '%s'", argv[1]);
            return REE_EUSAGE;
        }
        print_model(m);
        return REE_OK;
    }
    for (size_t i = 0; i < n; i++) {
        print_model(all[i]);
        if (i + 1 < n)
            putchar('\n');
    }
    return REE_OK;
}
