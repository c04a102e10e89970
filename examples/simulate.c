/*
 * A C program using only the public interface of libreesim (reesim/reesim.h): load a scenario,
 * run it, print the median and 90% band of one indicator of every US sector.
 *
 *     cc simulate.c $(pkg-config --cflags --libs reesim) -o simulate
 *     ./simulate scenarios/licensing-april-2025.yaml 500
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <reesim/reesim.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCENARIO.yaml [RUNS]\n", argv[0]);
        return 64;
    }
    ree_diag *d = ree_diag_alloc(0);
    if (!d)
        return 71;
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load(argv[1], d, &st);
    ree_diag_print(d, stderr);
    ree_diag_free(d);
    if (!p)
        return ree_status_exit_code(st);

    ree_sim_opts o = ree_sim_opts_default(p);
    if (argc > 2)
        o.nruns = atoll(argv[2]);
    char err[256] = "";
    ree_results *r = ree_simulate(p, &o, &st, err, sizeof err);
    if (!r) {
        fprintf(stderr, "%s: %s: %s\n", argv[1], ree_status_message(st), err);
        ree_plan_free(p);
        return ree_status_exit_code(st);
    }
    printf("%s: %lld runs, %d months from ", ree_plan_name(p), o.nruns, ree_plan_steps(p));
    char date[16];
    ree_plan_date(p, 0, date, sizeof date);
    printf("%s\n", date);
    for (int i = 0; i < ree_plan_indicator_count(p); i++) {
        const char *entity, *name, *unit;
        ree_plan_indicator_name(p, i, &entity, &name, &unit);
        if (strcmp(name, "shortfall") != 0)
            continue;
        ree_summary s;
        if (ree_results_indicator(r, i, &s) == REE_OK)
            printf("%-16s %-10s median %12.1f %s  (p05 %.1f, p95 %.1f)\n", entity, name, s.p50,
                   unit, s.p05, s.p95);
    }
    ree_results_free(r);
    ree_plan_free(p);
    return 0;
}
