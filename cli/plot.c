/*
 * Charts of reesim results: the gnuplot back end (see plot.h).
 *
 * gnuplot reads each script on its stdin from an anonymous temporary file (tmpfile), so there is
 * no pipe to fill or break and no script file left behind, and writes the image on its stdout, a
 * pipe reesim copies into another anonymous temporary file (memory does not grow with a chart).
 * Data go inline as datablocks with tab separators, numbers printed with "%.10g" ('.' decimal
 * point: reesim never changes LC_NUMERIC), NaN as "NaN", declared missing. Every text is printed
 * by gp_text as a single-quoted gnuplot string (no command substitution, no macros, no escapes
 * inside) and marked noenhanced, and the terminals are noenhanced too, so an entity named
 * "us_cars" is not typeset with a subscript and a name holding `...` runs nothing.
 */
#include "plot.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "reesim/reesim.h"

/* ---- gnuplot scripts ---------------------------------------------------------------------- */

/* Chart sizes in pixels (SVG user units). */
enum { CHART_W = 960, CHART_H = 540, BAR_ROW_H = 24, BAR_EXTRA_H = 190 };

static const char *const case_colours[] = {"#d62728", "#1f77b4", "#2ca02c",
                                           "#9467bd", "#ff7f0e", "#8c564b"};
enum { NCOLOURS = sizeof case_colours / sizeof case_colours[0] };

const char *ree_plot_ext(ree_plot_format f)
{
    return f == REE_PLOT_PNG ? "png" : "svg";
}

/* Longest text put into a chart, in bytes: titles; axis and key labels; tic labels (bar names
 * share the width with the bars: longer ones leave gnuplot no room to draw). */
enum { GP_TITLE_MAX = 400, GP_LABEL_MAX = 100, GP_TIC_MAX = 48 };

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the bytes are not one. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    size_t k = s[0] < 0x80                    ? 1
               : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
               : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                              : 0;
    if (!k || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate or past U+10FFFF */
    return k;
}

/* The text s as a single-quoted gnuplot string, followed by " noenhanced" when `kw`.
 *
 * Texts come from CSV files that may come from anyone, so they must never act as gnuplot code.
 * Inside single quotes gnuplot expands neither backquotes (which run shell commands in
 * double-quoted strings) nor '@' macros nor backslash escapes; the only special character is
 * the quote itself, written twice. A string cannot span lines, so control bytes (CR, LF, tab,
 * ESC...) become spaces; bytes that are not valid UTF-8 become '?' (the SVG terminal copies
 * them into the XML, which would no longer parse); text past `max` bytes is cut at a character
 * boundary and ends with "...". "noenhanced" keeps {}^_@& as themselves even in a terminal
 * set to enhanced text. */
static void gp_text(FILE *out, const char *s, size_t max, int kw)
{
    fputc('\'', out);
    size_t n = s ? strlen(s) : 0, used = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_valid(p + i, n - i);
        if (used + (k ? k : 1) > max) {
            fputs("...", out);
            break;
        }
        if (!k) {
            fputc('?', out);
            k = 1;
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            fputc(' ', out);
        } else if (p[i] == '\'') {
            fputs("''", out);
        } else {
            fwrite(p + i, 1, k, out);
        }
        used += k;
        i += k;
    }
    fputc('\'', out);
    if (kw)
        fputs(" noenhanced", out);
}

static void gp_num(FILE *out, double x)
{
    if (isnan(x))
        fputs("NaN", out);
    else if (isinf(x))
        fputs(x > 0 ? "1e308" : "-1e308", out);
    else
        fprintf(out, "%.10g", x);
}

static void gp_header(FILE *out, ree_plot_format fmt, int w, int h, const ree_chart_text *tx)
{
    if (fmt == REE_PLOT_PNG)
        fprintf(out,
                "set terminal pngcairo size %d,%d noenhanced font \"sans,11\" "
                "background \"#ffffff\"\n",
                w, h);
    else
        fprintf(out,
                "set terminal svg size %d,%d dynamic noenhanced font \"sans,13\" "
                "background \"#ffffff\"\n",
                w, h);
    /* No "set output": gnuplot writes the image on its stdout, a pipe ree_plot_run reads, so no
     * path is ever part of the script. */
    fputs("set encoding utf8\nset datafile separator \"\\t\"\nset datafile missing \"NaN\"\n"
          "set grid lc rgb \"#dddddd\"\nset border lc rgb \"#555555\"\n",
          out);
    fputs("set title ", out);
    gp_text(out, tx->title, GP_TITLE_MAX, !tx->subtitle);
    if (tx->subtitle) {
        fputs(" . \"\\n\" . ", out);
        gp_text(out, tx->subtitle, GP_TITLE_MAX, 1);
    }
    fputs("\nset ylabel ", out);
    gp_text(out, tx->ylabel, GP_LABEL_MAX, 1);
    fputs("\n", out);
    if (tx->xlabel) {
        fputs("set xlabel ", out);
        gp_text(out, tx->xlabel, GP_LABEL_MAX, 1);
        fputs("\n", out);
    }
}

/* Month of a "YYYY-MM" date (1-12), 0 when it is not one. */
static int month_of(const char *date)
{
    if (strlen(date) < 7 || date[4] != '-')
        return 0;
    int m = (date[5] - '0') * 10 + (date[6] - '0');
    return m >= 1 && m <= 12 ? m : 0;
}

/* x axis: point i of n at x = i, labelled with its date; labels thinned to every 1, 2, 3, 6 or
 * 12 months so that about a dozen show, on calendar boundaries when the dates allow it. */
static void gp_month_axis(FILE *out, const char *const *dates, size_t stride, size_t n)
{
    static const int steps[] = {1, 2, 3, 6, 12, 24, 60};
    int k = 60;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if ((size_t)steps[i] * 13 >= n) {
            k = steps[i];
            break;
        }
    fputs("set xtics nomirror noenhanced (", out);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const char *d = *(const char *const *)((const char *)dates + i * stride);
        int m = month_of(d);
        int show =
            k == 1 || (m ? (k <= 12 ? (m - 1) % k == 0 : m == 1 && (i / 12) % (size_t)(k / 12) == 0)
                         : i % (size_t)k == 0);
        if (!show)
            continue;
        fputs(first ? "" : ", ", out);
        gp_text(out, d, GP_TIC_MAX, 0);
        fprintf(out, " %zu", i);
        first = 0;
    }
    fputs(")\n", out);
    if (n > 1)
        fprintf(out, "set xrange [0:%zu]\n", n - 1);
    else
        fputs("set xrange [-0.5:0.5]\n", out);
    if (k > 1 && k <= 12)
        fprintf(out, "set mxtics %d\n", k);
}

/* y range: from 0 when nothing is negative (stocks and flows read against zero), and a
 * non-empty range when every value is the same, which gnuplot would otherwise warn about. */
static void gp_yrange(FILE *out, const char *axis, const double *v, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    if (lo > hi)
        return;
    if (lo >= 0)
        lo = 0;
    if (hi <= lo) {
        double pad = fabs(lo) > 0 ? 0.1 * fabs(lo) : 1;
        fprintf(out, "set %srange [%.10g:%.10g]\n", axis, lo - (lo < 0 ? pad : 0), hi + pad);
    } else if (lo == 0) {
        fprintf(out, "set %srange [0:*]\n", axis);
    }
}

int ree_plot_fan_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                        const ree_fan_point *pts, size_t n)
{
    if (!n)
        return -1;
    gp_header(out, fmt, CHART_W, CHART_H, tx);
    gp_month_axis(out, &pts[0].date, sizeof *pts, n);
    double *all = malloc(6 * n * sizeof *all);
    if (all) {
        for (size_t i = 0; i < n; i++) {
            const ree_fan_point *q = &pts[i];
            double v[6] = {q->p05, q->p25, q->p50, q->p75, q->p95, q->mean};
            memcpy(all + 6 * i, v, sizeof v);
        }
        gp_yrange(out, "y", all, 6 * n);
        free(all);
    }
    fputs("set key below horizontal\nset ytics nomirror\nset offsets 0, 0, graph 0.05, 0\n"
          "$fan << EOD\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const ree_fan_point *q = &pts[i];
        double v[6] = {q->p05, q->p25, q->p50, q->p75, q->p95, q->mean};
        fprintf(out, "%zu", i);
        for (int j = 0; j < 6; j++) {
            fputc('\t', out);
            gp_num(out, v[j]);
        }
        fputc('\n', out);
    }
    int bands = 0; /* quantiles in some month: a run with --series-quantiles off has none */
    for (size_t i = 0; i < n && !bands; i++)
        bands = !isnan(pts[i].p05) || !isnan(pts[i].p25) || !isnan(pts[i].p50) ||
                !isnan(pts[i].p75) || !isnan(pts[i].p95);
    if (!bands) {
        fputs("EOD\n"
              "plot $fan using 1:7 with lines lw 2.5 lc rgb \"#cb181d\" title \"mean\"\n",
              out);
        return 0;
    }
    fputs("EOD\n"
          "plot $fan using 1:2:6 with filledcurves fc rgb \"#c6dbef\" fs solid 1.0 "
          "title \"p05-p95 (90% of runs)\", \\\n"
          "     $fan using 1:3:5 with filledcurves fc rgb \"#6baed6\" fs solid 1.0 "
          "title \"p25-p75 (50% of runs)\", \\\n"
          "     $fan using 1:4 with lines lw 2.5 lc rgb \"#08306b\" title \"median\", \\\n"
          "     $fan using 1:7 with lines lw 1.5 dt 2 lc rgb \"#cb181d\" title \"mean\"\n",
          out);
    return 0;
}

int ree_plot_compare_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                            const char *base, const char *const *cases, size_t ncase,
                            const ree_cmp_point *pts, size_t n)
{
    if (!n || !ncase)
        return -1;
    gp_header(out, fmt, CHART_W, CHART_H + 140, tx);
    for (size_t c = 0; c < ncase; c++) {
        fprintf(out, "$case%zu << EOD\n", c);
        for (size_t i = 0; i < n; i++) {
            const ree_cmp_point *q = &pts[c * n + i];
            double v[5] = {q->base_mean, q->scenario_mean, q->diff_mean, q->diff_lo, q->diff_hi};
            fprintf(out, "%zu", i);
            for (int j = 0; j < 5; j++) {
                fputc('\t', out);
                gp_num(out, v[j]);
            }
            fputc('\n', out);
        }
        fputs("EOD\n", out);
    }
    /* Top panel: means; bottom panel: differences. Fixed margins keep the x axes aligned. */
    fputs("set multiplot\nset lmargin 12\nset rmargin 4\n"
          "set origin 0,0.40\nset size 1,0.60\nset key below horizontal\n"
          "set ytics nomirror\nset offsets 0, 0, graph 0.05, 0\n",
          out);
    gp_month_axis(out, &pts[0].date, sizeof *pts, n);
    double *all = malloc(3 * n * ncase * sizeof *all);
    if (all) {
        for (size_t i = 0; i < n * ncase; i++) {
            all[2 * i] = pts[i].base_mean;
            all[2 * i + 1] = pts[i].scenario_mean;
        }
        gp_yrange(out, "y", all, 2 * n * ncase);
    }
    fputs("unset xlabel\nplot $case0 using 1:2 with lines lw 2.5 lc rgb \"#000000\" title ", out);
    {
        char t[256];
        snprintf(t, sizeof t, "%s (base)", base);
        gp_text(out, t, GP_LABEL_MAX, 1);
    }
    for (size_t c = 0; c < ncase; c++) {
        fprintf(out, ", \\\n     $case%zu using 1:3 with lines lw 2 lc rgb \"%s\" title ", c,
                case_colours[c % NCOLOURS]);
        gp_text(out, cases[c], GP_LABEL_MAX, 1);
    }
    fputs("\nunset title\nset origin 0,0\nset size 1,0.40\nset autoscale y\n", out);
    if (all) {
        for (size_t i = 0; i < n * ncase; i++) {
            all[3 * i] = pts[i].diff_mean;
            all[3 * i + 1] = pts[i].diff_lo;
            all[3 * i + 2] = pts[i].diff_hi;
        }
        /* The difference axis always shows zero: no difference is the reference. */
        double lo = 0, hi = 0;
        for (size_t i = 0; i < 3 * n * ncase; i++)
            if (isfinite(all[i])) {
                lo = all[i] < lo ? all[i] : lo;
                hi = all[i] > hi ? all[i] : hi;
            }
        if (lo == hi)
            fputs("set yrange [-1:1]\n", out);
        else if (lo == 0)
            fputs("set yrange [0:*]\n", out);
        else if (hi == 0)
            fputs("set yrange [*:0]\n", out);
        free(all);
    }
    fputs("set ylabel ", out);
    {
        char t[256];
        snprintf(t, sizeof t, "difference in %s", tx->ylabel);
        gp_text(out, t, GP_LABEL_MAX, 1);
    }
    if (tx->xlabel) {
        fputs("\nset xlabel ", out);
        gp_text(out, tx->xlabel, GP_LABEL_MAX, 1);
    }
    fputs("\nplot 0 with lines lc rgb \"#888888\" notitle", out);
    for (size_t c = 0; c < ncase; c++) {
        const char *col = case_colours[c % NCOLOURS];
        char t[256];
        int band = 0; /* no CI at all (e.g. too few runs): the line alone, titled */
        for (size_t i = 0; i < n; i++)
            band |= isfinite(pts[c * n + i].diff_lo) && isfinite(pts[c * n + i].diff_hi);
        if (band)
            fprintf(out,
                    ", \\\n     $case%zu using 1:5:6 with filledcurves fc rgb \"%s\" "
                    "fs transparent solid 0.25 noborder title ",
                    c, col);
        else
            fprintf(out, ", \\\n     $case%zu using 1:4 with lines lw 2 lc rgb \"%s\" title ", c,
                    col);
        snprintf(t, sizeof t, band ? "%s - %s, 95%% CI" : "%s - %s", cases[c], base);
        gp_text(out, t, GP_LABEL_MAX, 1);
        if (band)
            fprintf(out, ", \\\n     $case%zu using 1:4 with lines lw 2 lc rgb \"%s\" notitle", c,
                    col);
    }
    fputs("\nunset multiplot\n", out);
    return 0;
}

/* Bars whose sizes span more than this ratio get an asinh x axis: linear near zero, logarithmic
 * beyond, so a 3 t sector shortfall stays visible next to an 80,000 t trade flow. */
#define BAR_SPAN_FOR_ASINH 300.0
/* ...and the linear zone is at least this fraction of the largest bar (four decades shown). */
#define BAR_ASINH_MIN_SCALE 1e-4

int ree_plot_bars_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                         const ree_bar *bars, size_t n)
{
    if (!n)
        return -1;
    int h = BAR_EXTRA_H + BAR_ROW_H * (int)(n > 200 ? 200 : n < 6 ? 6 : n);
    gp_header(out, fmt, CHART_W, h, tx);
    double lo = 0, hi = 0, minnz = INFINITY;
    fputs("$bars << EOD\n", out);
    for (size_t i = 0; i < n; i++) {
        const ree_bar *b = &bars[i];
        fprintf(out, "%zu\tlabel", i); /* the label goes on the y tics */
        double v[4] = {b->diff, b->lo, b->hi, isnan(b->prob_worse) ? 0.5 : b->prob_worse};
        for (int j = 0; j < 4; j++) {
            fputc('\t', out);
            gp_num(out, v[j]);
            if (j < 3 && isfinite(v[j])) {
                lo = v[j] < lo ? v[j] : lo;
                hi = v[j] > hi ? v[j] : hi;
            }
        }
        if (isfinite(b->diff) && b->diff != 0 && fabs(b->diff) < minnz)
            minnz = fabs(b->diff);
        fputc('\n', out);
    }
    fputs("EOD\n", out);
    double maxabs = fmax(-lo, hi);
    int nonlinear = maxabs > 0 && isfinite(minnz) && maxabs / minnz > BAR_SPAN_FOR_ASINH;
    /* The bar label is the y axis label; the unit goes on x. */
    fputs("set xlabel ", out);
    if (nonlinear) {
        char t[512];
        snprintf(t, sizeof t, "%s; asinh scale: linear near 0, logarithmic beyond", tx->ylabel);
        gp_text(out, t, GP_LABEL_MAX, 1);
        double sc = pow(10, floor(log10(fmax(minnz, maxabs * BAR_ASINH_MIN_SCALE))));
        fprintf(out, "\nsc = %.10g\nset nonlinear x via asinh(x/sc) inverse sc*sinh(x)\n", sc);
        /* Range padded by 5% in the transformed space; tics at 0 and +-sc*10^k. */
        double tlo = asinh(lo / sc), thi = asinh(hi / sc), pad = 0.03 * (thi - tlo);
        fprintf(out, "set xrange [%.10g:%.10g]\nset xtics (\"0\" 0", sc * sinh(tlo - pad),
                sc * sinh(thi + pad));
        for (double v = 10 * sc; v <= maxabs * 10; v *= 10) { /* +-sc would crowd 0 */
            char lab[32];
            if (v >= 1e4)
                snprintf(lab, sizeof lab, "1e%d", (int)lround(log10(v)));
            else
                snprintf(lab, sizeof lab, "%g", v);
            if (v <= -lo * 10)
                fprintf(out, ", \"-%s\" %.10g", lab, -v);
            if (v <= hi * 10)
                fprintf(out, ", \"%s\" %.10g", lab, v);
        }
        fputs(")\n", out);
    } else {
        gp_text(out, tx->ylabel, GP_LABEL_MAX, 1);
        fputs("\nset offsets graph 0.05, graph 0.05, 0, 0\n", out);
    }
    /* Labels as tics rather than a data column: gnuplot's data reader would take quotes in
     * an entity name as its own quoting. */
    fputs("set ytics noenhanced (", out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", out);
        gp_text(out, bars[i].label, GP_TIC_MAX, 0);
        fprintf(out, " %zu", i);
    }
    fprintf(out,
            ")\nunset ylabel\nset yrange [%zu.5:-0.5]\nset ytics nomirror scale 0\n"
            "set grid noytics xtics\nset key below horizontal\n"
            "set style fill solid 0.85 border lc rgb \"#444444\"\n"
            "set palette defined (0 \"#2166ac\", 0.5 \"#f7f7f7\", 1 \"#b2182b\")\n"
            "set cbrange [0:1]\nset cblabel \"P(scenario worse than base)\"\n"
            "set arrow 1 from 0, graph 0 to 0, graph 1 nohead lc rgb \"#333333\" lw 1.5\n"
            "plot $bars using ($3/2):1:(abs($3)/2):(0.35):6 with boxxyerror "
            "lc palette notitle, \\\n",
            n - 1);
    /* Without a CI anywhere (a one-run comparison writes none) the points go without error
     * bars: a column gnuplot finds no valid point in makes it warn on stderr. */
    int ci = 0;
    for (size_t i = 0; i < n && !ci; i++)
        ci = isfinite(bars[i].lo) && isfinite(bars[i].hi);
    if (ci)
        fputs("     $bars using 3:1:4:5 with xerrorbars pt 7 ps 0.6 lw 1.5 lc rgb \"#000000\" "
              "title \"mean difference with 95% CI\"\n",
              out);
    else
        fputs("     $bars using 3:1 with points pt 7 ps 0.6 lc rgb \"#000000\" "
              "title \"mean difference (no CI)\"\n",
              out);
    return 0;
}

/* ---- running gnuplot ---------------------------------------------------------------------- */

void ree_plot_image_free(ree_plot_image *im)
{
    if (im->f)
        fclose(im->f);
    im->f = NULL;
}

static int is_white(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r';
}

/* buf (*len of REE_PLOT_TAIL bytes) keeps the last bytes of what it held, then `white` spaces,
 * then src[0..n). */
static void keep_last(unsigned char *buf, size_t *len, size_t white, const unsigned char *src,
                      size_t n)
{
    unsigned char add[REE_PLOT_TAIL];
    size_t w = white < REE_PLOT_TAIL ? white : REE_PLOT_TAIL;
    size_t s = n < REE_PLOT_TAIL ? n : REE_PLOT_TAIL; /* the last s of src */
    size_t a = w + s > REE_PLOT_TAIL ? REE_PLOT_TAIL : w + s;
    /* add = the last a bytes of (w spaces, then src's last s) */
    size_t sp = a > s ? a - s : 0;
    memset(add, ' ', sp);
    memcpy(add + sp, src + n - (a - sp), a - sp);
    size_t keep = *len + a > REE_PLOT_TAIL ? REE_PLOT_TAIL - a : *len;
    memmove(buf, buf + *len - keep, keep);
    memcpy(buf + keep, add, a);
    *len = keep + a;
}

/* Copy the descriptor `fd` to its end into im->f, keeping its first and last bytes. Returns 0;
 * -1 with errno when a read failed, or when a write failed (*werr its errno; the rest is read and
 * dropped, so the writer never blocks). */
static int copy_all(int fd, ree_plot_image *im, int *werr)
{
    *werr = 0;
    for (;;) {
        unsigned char chunk[65536];
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        size_t n = (size_t)r;
        for (size_t i = 0; i < n && im->len + i < sizeof im->head; i++)
            im->head[im->len + i] = chunk[i];
        keep_last(im->tail, &im->ntail, 0, chunk, n);
        /* The bytes before the trailing white space: the white space seen so far joins them
         * when this chunk has more than white space (only its count matters: "</svg>" holds
         * none, so any white byte stands for it). */
        size_t k = n;
        while (k && is_white(chunk[k - 1]))
            k--;
        if (k) {
            keep_last(im->last, &im->nlast, im->white, chunk, k);
            im->white = n - k;
        } else {
            im->white += n;
        }
        im->len += n;
        if (!*werr && fwrite(chunk, 1, n, im->f) != n)
            *werr = errno ? errno : EIO;
    }
    if (!*werr && fflush(im->f) != 0)
        *werr = errno ? errno : EIO;
    if (*werr)
        errno = *werr;
    return *werr ? -1 : 0;
}

static ree_status run_gnuplot(const char *script, size_t len, ree_plot_image *im, int *missing,
                              char *err, size_t errlen);

int ree_plot_run(const char *script, size_t len, ree_plot_image *im, int *missing, char *err,
                 size_t errlen)
{
    *missing = 0;
    memset(im, 0, sizeof *im);
    /* Close-on-exec: gnuplot gets only its stdin and stdout (below), not this file. */
    if (!(im->f = tmpfile()) || fcntl(fileno(im->f), F_SETFD, FD_CLOEXEC) != 0) {
        int e = errno;
        ree_plot_image_free(im);
        snprintf(err, errlen, "cannot keep gnuplot's image in a temporary file: %s", strerror(e));
        return REE_EIO;
    }
    ree_status st = run_gnuplot(script, len, im, missing, err, errlen);
    if (st != REE_OK)
        ree_plot_image_free(im);
    return st;
}

static ree_status run_gnuplot(const char *script, size_t len, ree_plot_image *im, int *missing,
                              char *err, size_t errlen)
{
    FILE *tmp = tmpfile();
    if (!tmp || fwrite(script, 1, len, tmp) != len || fflush(tmp) || fseek(tmp, 0, SEEK_SET)) {
        snprintf(err, errlen, "cannot write a temporary gnuplot script: %s", strerror(errno));
        if (tmp)
            fclose(tmp);
        return REE_EIO;
    }
    /* The child reports a failed exec through a close-on-exec pipe: EOF means exec worked. Its
     * stdout is another pipe, which reesim copies whole into im->f: the chart file is written
     * only once reesim has the whole image and has checked it. */
    int fds[2], out[2];
    if (pipe(fds) < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        fclose(tmp);
        return REE_EIO;
    }
    if (pipe(out) < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        fclose(tmp);
        return REE_EIO;
    }
    /* Close-on-exec everywhere: the child's stdin and stdout are dup2'ed copies (dup2 clears the
     * flag on them), so gnuplot holds no other descriptor of reesim's. */
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    fcntl(out[1], F_SETFD, FD_CLOEXEC);
    fcntl(fileno(tmp), F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        close(out[0]);
        close(out[1]);
        fclose(tmp);
        return REE_EIO;
    }
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fileno(tmp), STDIN_FILENO) >= 0 && dup2(out[1], STDOUT_FILENO) >= 0) {
            char *const argv[] = {"gnuplot", NULL};
            execvp("gnuplot", argv);
        }
        int e = errno;
        ssize_t w = write(fds[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(fds[1]);
    close(out[1]);
    int child_errno = 0;
    ssize_t r;
    do
        r = read(fds[0], &child_errno, sizeof child_errno);
    while (r < 0 && errno == EINTR);
    close(fds[0]);
    int werr = 0;
    int rerr = copy_all(out[0], im, &werr) ? errno : 0;
    close(out[0]);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    fclose(tmp);
    if (r == (ssize_t)sizeof child_errno) {
        *missing = child_errno == ENOENT || child_errno == EACCES || child_errno == ENOTDIR;
        snprintf(err, errlen, "cannot run gnuplot: %s", strerror(child_errno));
        return *missing ? REE_ENOINPUT : REE_EIO;
    }
    if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
        if (WIFSIGNALED(wst))
            snprintf(err, errlen, "gnuplot was killed by signal %d", WTERMSIG(wst));
        else
            snprintf(err, errlen, "gnuplot failed (exit status %d)", WEXITSTATUS(wst));
        return REE_EINTERNAL;
    }
    if (werr) {
        snprintf(err, errlen, "cannot keep gnuplot's image in a temporary file: %s",
                 strerror(werr));
        return REE_EIO;
    }
    if (rerr) {
        snprintf(err, errlen, "cannot read gnuplot's image: %s", strerror(rerr));
        return REE_EIO;
    }
    return REE_OK;
}

int ree_plot_complete(ree_plot_format fmt, const ree_plot_image *im)
{
    const unsigned char *tail = im->tail;
    size_t n = im->ntail;
    if (fmt == REE_PLOT_PNG) { /* the IEND chunk: length 0, type, CRC */
        static const unsigned char iend[12] = {0,   0,   0,    0,   'I', 'E',
                                               'N', 'D', 0xae, 'B', '`', 0x82};
        return im->len >= 8 + sizeof iend && !memcmp(im->head, "\x89PNG\r\n\x1a\n", 8) &&
               n >= sizeof iend && !memcmp(tail + n - sizeof iend, iend, sizeof iend);
    }
    return im->nlast >= 6 && !memcmp(im->last + im->nlast - 6, "</svg>", 6);
}

int ree_plot_response_script(FILE *out, ree_plot_format fmt, const ree_chart_text *tx,
                             const char *const *groups, const size_t *count, size_t ngroup,
                             const ree_resp_point *pts, int scatter)
{
    size_t n = 0;
    for (size_t g = 0; g < ngroup; g++)
        n += count[g];
    if (!n)
        return -1;
    gp_header(out, fmt, CHART_W, CHART_H, tx);
    double *all = malloc(3 * n * sizeof *all);
    if (all) {
        for (size_t i = 0; i < n; i++) {
            all[3 * i] = pts[i].mean;
            all[3 * i + 1] = pts[i].p05;
            all[3 * i + 2] = pts[i].p95;
        }
        gp_yrange(out, "y", all, 3 * n);
        free(all);
    }
    fputs("set key below horizontal\nset ytics nomirror\nset offsets graph 0.03, graph 0.03, "
          "graph 0.05, 0\n",
          out);
    size_t at = 0;
    for (size_t g = 0; g < ngroup; g++) {
        fprintf(out, "$g%zu << EOD\n", g);
        for (size_t i = 0; i < count[g]; i++, at++) {
            const ree_resp_point *q = &pts[at];
            double v[4] = {q->x, q->mean, q->p05, q->p95};
            for (int k = 0; k < 4; k++) {
                if (k)
                    fputc('\t', out);
                gp_num(out, v[k]);
            }
            fputc('\n', out);
        }
        fputs("EOD\n", out);
    }
    for (size_t g = 0; g < ngroup; g++) {
        fprintf(out, "%s$g%zu using 1:2:3:4 with %s lw %s pt 7 ps 0.6 lc rgb \"%s\" title ",
                g ? ", \\\n     " : "plot ", g, scatter ? "yerrorbars" : "yerrorlines",
                scatter ? "1" : "2", case_colours[g % NCOLOURS]);
        gp_text(out, groups[g] ? groups[g] : "mean across runs, bars p05-p95", GP_LABEL_MAX, 1);
    }
    fputc('\n', out);
    return 0;
}
