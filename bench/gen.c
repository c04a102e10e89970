/*
 * reesim-gen: a synthetic supply network of any size, as a scenario YAML on stdout (or -o FILE),
 * for measuring how the cost grows with nodes and months (bench/README.md, "Scaling").
 *
 * The network is a forest of supply cells of five nodes each, cell c being
 *
 *     cC_mine (source, concentrate) -> cC_sep (processor, oxide) -> cC_mag (processor, magnet)
 *         == export gate ==> cC_imp (inventory) -> cC_use (sector)
 *
 * with 4 links per cell, the magnet link of every cell passing the one export-licence gate
 * `export`. Nodes beyond a multiple of five are extra sectors xK_use fed by the importer of cell
 * K mod cells (a tree). Capacities, demands, outage probability and the gate's review time and
 * approval are distributions, sampled per run; a timeline event tightens the gate after a year
 * and a two-state regime switches a quota on and off, so every run pays for the features a real
 * scenario has. Entities (nodes + links + gates) = nodes + 4 * cells + (nodes - 5 * cells) + 1.
 *
 * Needs nothing but a C library. Exit 0; 64 on a usage error; 73 when FILE cannot be written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: reesim-gen [-n NODES] [-m MONTHS] [--report few|all] [-o FILE]\n"
    "Write a synthetic scenario of NODES nodes (at least 5; default 100) over MONTHS months\n"
    "(default 60). --report few (default) keeps the first cell's series and the gate's;\n"
    "--report all keeps every series (no report section).\n";

static int parse(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    long nodes = 100, months = 60;
    int all = 0;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--nodes")) && v &&
                   !parse(v, 5, 1000000, &nodes)) {
            i++;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--months")) && v &&
                   !parse(v, 1, 100000, &months)) {
            i++;
        } else if (!strcmp(a, "--report") && v && (!strcmp(v, "few") || !strcmp(v, "all"))) {
            all = !strcmp(v, "all");
            i++;
        } else if (!strcmp(a, "-o") && v) {
            out = v;
            i++;
        } else {
            fprintf(stderr, "reesim-gen: bad argument '%s'\n%s", a, usage);
            return 64;
        }
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "reesim-gen: cannot write '%s': %s\n", out, strerror(errno));
        return 73;
    }
    long cells = nodes / 5, extra = nodes - 5 * cells;
    fprintf(f,
            "reesim: 1\n"
            "name: gen_n%ld_m%ld\n"
            "description: >\n"
            "  Synthetic network from bench/gen.c: %ld supply cells (mine, separation, magnet\n"
            "  making, importer behind an export-licence gate, a demand sector) and %ld extra\n"
            "  sectors; %ld nodes, %ld months.\n"
            "horizon: {start: 2025-01, steps: %ld}\n"
            "runs: 1000\n"
            "seed: 12345\n"
            "materials:\n"
            "  - {id: concentrate, name: \"rare-earth concentrate\"}\n"
            "  - {id: oxide, name: \"NdPr oxide\"}\n"
            "  - {id: magnet, name: \"NdFeB magnet\"}\n"
            "nodes:\n",
            nodes, months, cells, extra, nodes, months, months);
    for (long c = 0; c < cells; c++) {
        fprintf(f,
                "  - id: c%ld_mine\n"
                "    model: source\n"
                "    region: CN\n"
                "    stock: {concentrate: 2500}\n"
                "    params:\n"
                "      output: {concentrate: 1}\n"
                "      capacity: {dist: triangular, min: 2400, mode: 2700, max: 3000}\n"
                "      outage_prob: {dist: uniform, min: 0.005, max: 0.02}\n"
                "      outage_months: 2\n"
                "      max_stock: 9000\n"
                "  - id: c%ld_sep\n"
                "    model: processor\n"
                "    region: CN\n"
                "    stock: {oxide: 300}\n"
                "    params: {inputs: {concentrate: 8.0}, output: oxide, capacity: 340,\n"
                "             max_stock: 1000, delay: 1}\n"
                "  - id: c%ld_mag\n"
                "    model: processor\n"
                "    region: CN\n"
                "    stock: {magnet: 900}\n"
                "    params: {inputs: {oxide: 0.37}, output: magnet, capacity: 900,\n"
                "             max_stock: 4000}\n"
                "  - id: c%ld_imp\n"
                "    model: inventory\n"
                "    region: US\n"
                "    stock: {magnet: 1500}\n"
                "    params: {material: magnet, cover_weeks: 26, demand0: 800}\n"
                "  - id: c%ld_use\n"
                "    model: sector\n"
                "    region: US\n"
                "    end_use: automotive\n"
                "    stock: {magnet: 300}\n"
                "    params:\n"
                "      material: magnet\n"
                "      demand: {dist: triangular, min: 650, mode: 750, max: 850}\n"
                "      growth: 0.05\n"
                "      noise: 0.08\n"
                "      kg_per_unit: 1.8\n",
                c, c, c, c, c);
    }
    for (long k = 0; k < extra; k++)
        fprintf(f,
                "  - id: x%ld_use\n"
                "    model: sector\n"
                "    region: US\n"
                "    end_use: electronics\n"
                "    stock: {magnet: 20}\n"
                "    params: {material: magnet, demand: {dist: uniform, min: 20, max: 40}, "
                "noise: 0.1, kg_per_unit: 0.05}\n",
                k);
    fputs("links:\n", f);
    for (long c = 0; c < cells; c++)
        fprintf(f,
                "  - {from: c%ld_mine, to: c%ld_sep, material: concentrate, lead_time: 1}\n"
                "  - {from: c%ld_sep, to: c%ld_mag, material: oxide, lead_time: 1}\n"
                "  - {from: c%ld_mag, to: c%ld_imp, material: magnet, gate: export, "
                "lead_time: 2.5, delay_prob: 0.05, delay_months: 1}\n"
                "  - {from: c%ld_imp, to: c%ld_use, material: magnet, lead_time: 1}\n",
                c, c, c, c, c, c, c, c);
    for (long k = 0; k < extra; k++)
        fprintf(f, "  - {from: c%ld_imp, to: x%ld_use, material: magnet, lead_time: 1}\n",
                k % cells, k);
    fputs("gates:\n"
          "  - id: export\n"
          "    covers: [magnet]\n"
          "    review_days: {dist: triangular, min: 45, mode: 63, max: 90}\n"
          "    review_cv: 0.3\n"
          "    approval: {dist: beta, alpha: 18, beta: 2}\n"
          "    application_t: 20\n"
          "    validity_months: 6\n",
          f);
    if (months > 12)
        fputs("timeline:\n"
              "  - date: 2026-01\n"
              "    set: {export.review_days: 80}\n"
              "    note: \"review slows after a year\"\n",
              f);
    fputs("regimes:\n"
          "  start: 2025-01\n"
          "  initial: normal\n"
          "  states:\n"
          "    - id: normal\n"
          "      to: {tight: 0.03}\n"
          "    - id: tight\n"
          "      set: {export.approval: 0.6}\n"
          "      to: {normal: 0.15}\n",
          f);
    if (!all)
        fputs("report:\n"
              "  series:\n"
              "    - \"c0_*/*\"\n"
              "    - \"export/*\"\n",
              f);
    if (ferror(f) || (out && fclose(f) != 0)) {
        fprintf(stderr, "reesim-gen: cannot write '%s': %s\n", out ? out : "stdout",
                strerror(errno));
        return 73;
    }
    return 0;
}
