/* reesim validate: check scenarios and say where each error is. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "plan.h"

ree_status ree_cmd_validate(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fputs("Usage: reesim validate SCENARIO.yaml...\n"
              "Check each scenario; print 'FILE: ok' or every error with its location.\n"
              "Exit status 65 when any scenario is invalid, 66 when one cannot be read.\n",
              f);
        return argc < 2 ? REE_EUSAGE : REE_OK;
    }
    ree_status worst = REE_OK;
    for (int i = 1; i < argc; i++) {
        ree_status lst;
        ree_plan *p = ree_cli_load(argv[i], &lst);
        if (!p) {
            worst = ree_cli_worse(worst, lst);
            continue;
        }
        printf("%s: ok (%s: %d materials, %d nodes, %d links, %d gates, %d events, %d months)\n",
               argv[i], p->name, p->nmat, p->nnode, p->nlink, p->ngate, p->nevent, p->nsteps);
        ree_plan_free(p);
    }
    return worst;
}
