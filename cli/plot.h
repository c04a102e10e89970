/*
 * Charts of reesim results: the gnuplot back end that draws fan charts, comparison overlays and
 * bar charts of indicator differences from tables read by engine/io/csvread.h.
 *
 * gnuplot is an external program found at run time on PATH (Debian package gnuplot-nox); each
 * chart is one gnuplot process reading its script, data inlined as a datablock, on stdin, and
 * writing the image on its stdout, a pipe reesim reads whole; reesim checks the image is
 * complete and writes it itself as a single-file output set (engine/io/outfile.h), so a chart
 * file is complete or absent. Text from the CSV files reaches gnuplot only as data-like
 * single-quoted strings, never as code, and no path is written into a script.
 */
#ifndef REESIM_PLOT_H
#define REESIM_PLOT_H

#include <stddef.h>
#include <stdio.h>
#include "csvread.h"

/* ---- Charts ------------------------------------------------------------------------------- */

typedef enum ree_plot_format { REE_PLOT_SVG, REE_PLOT_PNG } ree_plot_format;

/* Image file extension for a format, without the dot: "svg" or "png". */
const char *ree_plot_ext(ree_plot_format f);

/* One month of a fan chart: quantiles of a metric across runs. */
typedef struct ree_fan_point {
    const char *date; /* YYYY-MM, borrowed */
    double mean, p05, p25, p50, p75, p95;
} ree_fan_point;

/* One month of a comparison overlay for one scenario against the base case. */
typedef struct ree_cmp_point {
    const char *date; /* YYYY-MM, borrowed */
    double base_mean, scenario_mean, diff_mean, diff_lo, diff_hi;
} ree_cmp_point;

/* One bar of a difference chart: an indicator's mean paired difference with its 95% CI and the
 * probability that the scenario is worse than the base (NaN when unknown). */
typedef struct ree_bar {
    const char *label; /* "entity indicator", borrowed */
    double diff, lo, hi, prob_worse;
} ree_bar;

/* One case of a response chart (sweep.csv): an input's value and an indicator's statistics
 * across the case's runs. */
typedef struct ree_resp_point {
    double x, mean, p05, p95;
} ree_resp_point;

/* Texts common to every chart; strings are borrowed and may hold any bytes: they reach gnuplot
 * only as single-quoted strings, never as code (see docs/reliability.md). */
typedef struct ree_chart_text {
    const char *title;    /* first title line, names the scenario(s) */
    const char *subtitle; /* second title line (may be NULL) */
    const char *ylabel;   /* y axis, with the unit */
    const char *xlabel;   /* x axis (may be NULL) */
} ree_chart_text;

/* Each writer below prints a complete gnuplot script for one chart to `out`: terminal for
 * `fmt`, no output file (the image goes to gnuplot's stdout), data inlined as a datablock.
 * Nothing else is done: run the script with ree_plot_render. Returns 0, or -1 when there is
 * nothing to draw (n == 0). */

/* Fan chart over months: p05-p95 band, p25-p75 band, median line, mean dashed. */
int ree_plot_fan_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                        const ree_fan_point *pts, size_t n);

/* Comparison of cases over months: the top panel overlays the base mean and each scenario's
 * mean; the bottom panel shows each scenario's mean difference with its 95% CI band. `pts` holds
 * `ncase` consecutive blocks of `n` points (same months in each), `cases` their names; the base
 * mean is taken from the first block. `base` names the base case. */
int ree_plot_compare_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                            const char *base, const char *const *cases, size_t ncase,
                            const ree_cmp_point *pts, size_t n);

/* Horizontal bar chart of differences with 95% CI error bars, bars coloured by the probability
 * that the scenario is worse. */
int ree_plot_bars_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                         const ree_bar *bars, size_t n);

/* Response of an indicator to an input (sweep.csv): for each of `ngroup` groups (the values
 * of a second input, labelled groups[g]; one group with a NULL label when there is none) a line
 * of count[g] points through the means with p05-p95 error bars; `pts` holds the groups one after
 * another, each sorted by x. tx->xlabel names the input. With `scatter` the points are not
 * joined (other inputs vary between them). */
int ree_plot_response_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                             const char *const *groups, const size_t *count, size_t ngroup,
                             const ree_resp_point *pts, int scatter);

/* gnuplot's image, kept in an anonymous temporary file rather than in memory (a chart's size is
 * gnuplot's to choose): `f` positioned anywhere, `len` bytes, for ree_plot_complete its first 8
 * bytes, its last `ntail` (at most REE_PLOT_TAIL) and the last `nlast` before its trailing white
 * space (' ', '\n', '\r'; `white` bytes of it, however many). ree_plot_image_free closes it. */
#define REE_PLOT_TAIL 64
typedef struct ree_plot_image {
    FILE *f;
    size_t len, ntail, nlast, white;
    unsigned char head[8], tail[REE_PLOT_TAIL], last[REE_PLOT_TAIL];
} ree_plot_image;
void ree_plot_image_free(ree_plot_image *im);

/* Run gnuplot (found on PATH) on the script held in `script` (len bytes, read from its stdin),
 * its stdout a pipe copied whole into *im (the scripts hold no "set output"). Returns REE_OK;
 * REE_ENOINPUT with *missing = 1 when gnuplot cannot be executed (not installed); REE_EINTERNAL
 * when gnuplot failed (its own messages went to stderr); REE_EIO when the script could not be
 * handed over or the image not kept (the temporary file's errno in `err`); REE_ENOMEM. `err` gets
 * a message. On failure *im holds no file. */
int ree_plot_run(const char *script, size_t len, ree_plot_image *im, int *missing, char *err,
                 size_t errlen);

/* Whether *im is a whole image of format `fmt`: a PNG signature and the IEND chunk at its end, or
 * an SVG ending in </svg> and white space (gnuplot exits 0 even when its output was cut short). */
int ree_plot_complete(ree_plot_format fmt, const ree_plot_image *im);

#endif
