/* The progress bar: runs merged, rate and time left, on a terminal. */
#include <time.h>
#include "progress.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ree_progress_start(ree_progress *pr, FILE *to, const char *what)
{
    *pr = (ree_progress){.to = to, .what = what, .t0 = now(), .last = -1};
}

void ree_progress_draw(void *arg, long long done, long long total)
{
    ree_progress *pr = arg;
    double t = now();
    if (done < total && t - pr->last < 0.1)
        return;
    pr->last = t;
    double el = t - pr->t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int w = 30, fill = total > 0 ? (int)(w * done / total) : w;
    fprintf(pr->to, "\r[%.*s%*s] %3d%%  %lld/%lld %s  %.0f runs/s  ETA %.0fs ", fill,
            "##############################", w - fill, "", (int)(100 * done / (total ? total : 1)),
            done, total, pr->what, rate, eta);
    fflush(pr->to);
    pr->drawn = 1;
}

void ree_progress_end(ree_progress *pr)
{
    if (pr->drawn)
        fputc('\n', pr->to);
}
