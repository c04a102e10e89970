/* The command line's progress bar, drawn through the executor's progress callback. */
#ifndef REESIM_PROGRESS_H
#define REESIM_PROGRESS_H

#include <stdio.h>

typedef struct ree_progress {
    FILE *to;         /* a terminal */
    const char *what; /* "runs", "paired runs" */
    double t0;        /* monotonic seconds at the start */
    double last;      /* when the bar was last drawn */
    int drawn;        /* something is on the line */
} ree_progress;

/* Start a bar on `to` (nothing is drawn until the first callback). */
void ree_progress_start(ree_progress *pr, FILE *to, const char *what);

/* ree_progress_fn: redraw at most ten times a second, and always at the end. */
void ree_progress_draw(void *arg, long long done, long long total);

/* End the line when a bar was drawn. */
void ree_progress_end(ree_progress *pr);

#endif
