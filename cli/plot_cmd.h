/* Private to `reesim plot` (cmd_plot.c, plot_charts.c): the charts it collects and the helpers
 * the chart builders share. */
#ifndef REESIM_PLOT_CMD_H
#define REESIM_PLOT_CMD_H

#include <stddef.h>
#include "csvread.h"
#include "plot.h"
#include "reesim/reesim.h"

enum { MAX_PATTERNS = 64, MAX_CASES = 32 };

enum chart_kind { CHART_FAN, CHART_COMPARE, CHART_BARS, CHART_RESPONSE };
enum { MAX_GROUPS = 6, GROUP_LABEL = 96 };

typedef struct job {
    enum chart_kind kind;
    char name[192];
    char title[320], subtitle[320], ylabel[160];
    ree_fan_point *fan; /* CHART_FAN: n points */
    ree_cmp_point *cmp; /* CHART_COMPARE: ncase blocks of n points */
    ree_bar *bars;      /* CHART_BARS: n bars */
    const char *cases[MAX_CASES], *base;
    char *labels;         /* CHART_BARS: label storage; CHART_RESPONSE: group labels */
    ree_resp_point *resp; /* CHART_RESPONSE: n points, ncase groups */
    size_t gcount[MAX_GROUPS];
    int scatter; /* CHART_RESPONSE: other inputs vary between the points */
    char xlabel[160];
    size_t n, ncase;
} job;

typedef struct plotter {
    const char *dir;
    const char *patterns[MAX_PATTERNS];
    int matched[MAX_PATTERNS];
    int npat;
    job *jobs;
    size_t njob, capjob;
    char *full; /* "ENTITY/METRIC" being matched, fullcap bytes */
    size_t fullcap;
    char err[1024];
} plotter;

/* A series (rows of one entity and metric) found in a table. */
typedef struct series {
    size_t *rows;
    size_t n, cap;
} series;

/* A new chart in pl (NULL when out of memory, with pl->err set). */
job *pc_new_job(plotter *pl);

/* Whether ENTITY/METRIC is drawn: by the --series patterns, else `dflt`; -1 when out of
 * memory (pl->err set). */
int pc_selected(plotter *pl, const char *entity, const char *metric, int dflt);

/* An axis label for a unit ("1" reads as "fraction"). */
const char *pc_unit_text(const char *unit);

/* The chart's file name from a prefix and up to two parts, made safe for a file system. */
void pc_set_name(plotter *pl, job *j, const char *prefix, const char *a, const char *b,
                 const char *c);

/* Rows of t grouped by the values of columns keys[0..nkey); *out gets the groups (free with
 * pc_free_groups). Returns the number of groups, (size_t)-1 when out of memory. */
size_t pc_group_rows(const ree_table *t, const int *keys, int nkey, series **out);
void pc_free_groups(series *g, size_t n);

/* Whether column col takes more than one value over the rows of the groups. */
int pc_varies(const ree_table *t, const series *g, size_t ng, int col);

/* Chart builders: differences of compare.csv as bars, sweep.csv as responses. */
ree_status pc_add_bars(plotter *pl, const ree_table *t);
ree_status pc_add_sweep(plotter *pl, const ree_table *t);

#endif
