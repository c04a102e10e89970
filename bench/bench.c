/*
 * reesim-bench: throughput and memory of the Monte Carlo driver. Never pass/fail: it prints one
 * machine-readable line per measurement on stdout and notes on stderr (see bench/README.md).
 *
 *   bench scenario=NAME threads=T runs=N seconds=S runs_per_s=R ns_per_node_step=X peak_rss_kb=M
 *   bench-memory scenario=NAME threads=T runs=N rss_kb=A runs=4N rss_kb=B
 *   bench-control scenario=NAME processes=T runs=N alone_s=S slowest_s=S2 scaling=X
 *
 * Every measurement runs in a child process of its own (fork), so its peak resident set size
 * (getrusage ru_maxrss) is its own and not the high-water mark of earlier measurements, and a
 * scenario that fails does not stop the others. The parent never loads a plan and never enters
 * an OpenMP region, so each child starts from the same small process. Children report back
 * through a pipe; only the parent prints the result lines.
 *
 * Every child first runs one untimed wave (the process's one-off costs). Run counts are
 * calibrated per (scenario, threads): a short run of one wave of blocks, grown until it takes
 * CALIB_MIN_S, then scaled to the target time and rounded up to whole waves (2 * threads blocks
 * of REE_MC_BLOCK runs, the unit ree_mc_run schedules), so the timed run has no ragged last wave.
 * A timed run shorter than half the target is scaled from itself and timed again, once.
 */
#include <errno.h>
#include <glob.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "mc.h"
#include "plan.h"

#define CALIB_MIN_S      0.2         /* s: least duration of the calibration run used for scaling */
#define DEFAULT_TARGET_S 1.5         /* s: wanted duration of each timed run */
#define DEFAULT_REPEATS  3           /* rounds of every timed measurement */
#define MAX_RUNS         100000000LL /* the loader's bound on runs */

/* What a child sends back. Fixed size, written with one write(2) (below PIPE_BUF is not
 * needed: the parent reads until EOF). */
typedef struct report {
    int status; /* REE_OK, or the failure */
    char name[128];
    char err[512];
    int nsteps;
    int nentity; /* nodes + links + gates */
    long long calib_runs;
    double calib_s;
    long long retried_runs; /* a timed run too short for the target, timed again (else 0) */
    double retried_s;
    long long runs;
    double seconds;
    double cpu_s; /* user + system CPU time of the timed run, all threads */
    long rss_kb;
} report;

typedef struct options {
    double target_s;
    int threads; /* "all cores" */
    int memory;  /* 1: also the N / 4N memory measurement */
    int check;   /* mass-balance check on every step */
    int control; /* 1: also the machine's own scaling (measure_together) */
    int repeats; /* rounds of every timed measurement (min and median reported) */
} options;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* Linux: kilobytes */
}

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static long long wave_runs(int threads)
{
    return 2LL * threads * REE_MC_BLOCK;
}

static long long round_up(long long n, long long unit)
{
    if (n < unit)
        return unit;
    n = (n + unit - 1) / unit * unit;
    return n < MAX_RUNS ? n : MAX_RUNS / unit * unit;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* One timed Monte Carlo of `runs` runs; returns the status and the wall time in *secs. */
static int time_mc(const ree_plan *p, long long runs, int threads, int check, double *secs,
                   char *err, size_t errlen)
{
    ree_mc_opts o;
    memset(&o, 0, sizeof o);
    o.first_run = 0;
    o.nruns = runs;
    o.seed = p->seed;
    o.threads = threads;
    o.check = check;
    ree_mc_result res;
    memset(&res, 0, sizeof res);
    double t0 = now();
    int st = ree_mc_run(p, &o, NULL, &res, err, errlen);
    *secs = now() - t0;
    ree_mc_result_free(&res);
    return st;
}

/* The child's work. `runs` > 0: exactly that many runs; 0: calibrate, then the timed run. */
static void child(const char *path, int threads, long long runs, const options *opt, report *r)
{
    gsl_set_error_handler_off();
    snprintf(r->name, sizeof r->name, "%s", base_name(path));
    ree_diag *d = ree_diag_alloc(0);
    if (!d) {
        r->status = REE_ENOMEM;
        snprintf(r->err, sizeof r->err, "out of memory");
        return;
    }
    ree_status st = REE_OK;
    ree_plan *p = ree_plan_load(path, d, &st);
    if (!p) {
        r->status = st ? st : REE_EINVALID;
        snprintf(r->err, sizeof r->err, "cannot load: %s (errors: %zu; see reesim validate)",
                 ree_status_message((ree_status)r->status), ree_diag_count(d));
        ree_diag_free(d);
        return;
    }
    ree_diag_free(d);
    snprintf(r->name, sizeof r->name, "%s", p->name);
    r->nsteps = p->nsteps;
    r->nentity = p->nentity;
    long long unit = wave_runs(threads), most = MAX_RUNS / unit * unit; /* round_up's cap */
    /* A first Monte Carlo in a process pays one-off costs that later ones do not (on
     * historical-2025 one wave of 128 runs took 0.25 s, as long as 1,000 runs after it: the sketch
     * pool's first touch, the allocator's arenas growing): one wave, not timed, before anything is
     * timed, in every child (calibrated, the control's and the memory pair's), so that every
     * figure is of a process past them. */
    double t = 0;
    st = time_mc(p, unit, threads, opt->check, &t, r->err, sizeof r->err);
    int calibrate = runs <= 0;
    if (calibrate && st == REE_OK) {
        long long n = unit;
        for (;;) {
            st = time_mc(p, n, threads, opt->check, &t, r->err, sizeof r->err);
            if (st != REE_OK || t >= CALIB_MIN_S || n >= most)
                break;
            /* Aim a little past the threshold; at most x16 per try in case the first was noise. */
            double f = t > 0 ? 1.5 * CALIB_MIN_S / t : 16;
            n = round_up((long long)ceil((double)n * (f < 16 ? f : 16)), unit);
        }
        r->calib_runs = n;
        r->calib_s = t;
        if (st == REE_OK)
            runs = round_up((long long)ceil(opt->target_s * (double)n / (t > 0 ? t : 1e-9)), unit);
    }
    /* A calibrated run that took under half the target (the calibration point was slowed by
     * the machine) is scaled from itself, a longer and so surer point, and timed again, once. */
    for (int again = calibrate; st == REE_OK; again = 0) {
        r->runs = runs;
        double c0 = cpu_seconds();
        st = time_mc(p, runs, threads, opt->check, &r->seconds, r->err, sizeof r->err);
        r->cpu_s = cpu_seconds() - c0;
        if (!again || st != REE_OK || r->seconds >= opt->target_s / 2 || runs >= most)
            break;
        r->retried_runs = runs;
        r->retried_s = r->seconds;
        runs = round_up(
            (long long)ceil(opt->target_s * (double)runs / (r->seconds > 0 ? r->seconds : 1e-9)),
            unit);
    }
    r->status = st;
    r->rss_kb = peak_rss_kb();
    ree_plan_free(p);
}

/* Fork a child for one measurement: its pid in *pid and the read end of its report pipe in *rfd.
 * The child first closes the `nopen` descriptors of `open` (the read ends of siblings started
 * before it). Returns 0, or -1 with the reason in r->err. */
static int spawn(const char *path, int threads, long long runs, const options *opt, report *r,
                 const int *open, int nopen, pid_t *pid, int *rfd)
{
    memset(r, 0, sizeof *r);
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(r->err, sizeof r->err, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    *pid = fork();
    if (*pid < 0) {
        snprintf(r->err, sizeof r->err, "fork: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (*pid == 0) {
        close(fd[0]);
        for (int i = 0; i < nopen; i++)
            close(open[i]);
        report mine;
        memset(&mine, 0, sizeof mine);
        child(path, threads, runs, opt, &mine);
        const char *b = (const char *)&mine;
        size_t left = sizeof mine;
        while (left > 0) {
            ssize_t w = write(fd[1], b, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(1);
            b += w;
            left -= (size_t)w;
        }
        _exit(0);
    }
    close(fd[1]);
    *rfd = fd[0];
    return 0;
}

/* Read the report of the child `pid` from `rfd` and reap it. Returns 0 when the report arrived. */
static int collect(pid_t pid, int rfd, report *r)
{
    char *b = (char *)r;
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(rfd, b + got, sizeof *r - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(rfd);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (got != sizeof *r) {
        memset(r, 0, sizeof *r);
        if (WIFSIGNALED(ws))
            snprintf(r->err, sizeof r->err, "child killed by signal %d", WTERMSIG(ws));
        else
            snprintf(r->err, sizeof r->err, "child exited without a report");
        return -1;
    }
    return 0;
}

/* Fork a child for one measurement and collect its report. Returns 0 when the report arrived. */
static int measure(const char *path, int threads, long long runs, const options *opt, report *r)
{
    pid_t pid;
    int rfd;
    if (spawn(path, threads, runs, opt, r, NULL, 0, &pid, &rfd) != 0)
        return -1;
    return collect(pid, rfd, r);
}

/* At most this many processes for the control (bench-control's `processes`). */
#define CONTROL_MAX 64

/* The machine's own scaling, for the thread speed-up to be read against: `n` (at most
 * CONTROL_MAX) one-thread children started together, each timing `runs` runs (the one-thread
 * measurement's count). Independent processes share nothing of reesim's (no merge, no ordered
 * output), so n x alone / the slowest of them is what the machine gives n copies of this work:
 * about n on an idle machine of n cores, less where the cores share caches or execution units,
 * or other work runs. Returns 0 with the slowest child's report in *out when every child
 * reported success; else -1 with the first failure's (with a status that is not REE_OK). */
static int measure_together(const char *path, int n, long long runs, const options *opt,
                            report *out)
{
    pid_t pid[CONTROL_MAX];
    int rfd[CONTROL_MAX], started = 0;
    report r, fail;
    memset(out, 0, sizeof *out);
    memset(&fail, 0, sizeof fail);
    for (; started < n && started < CONTROL_MAX; started++)
        if (spawn(path, 1, runs, opt, &r, rfd, started, &pid[started], &rfd[started]) != 0) {
            fail = r;
            fail.status = REE_EINTERNAL;
            break;
        }
    for (int i = 0; i < started; i++) {
        if (collect(pid[i], rfd[i], &r) == 0 && r.status == REE_OK) {
            if (r.seconds > out->seconds)
                *out = r;
        } else if (fail.status == REE_OK) { /* the first failure is the one reported */
            fail = r;
            if (fail.status == REE_OK)
                fail.status = REE_EINTERNAL;
        }
    }
    if (fail.status != REE_OK) {
        *out = fail;
        return -1;
    }
    return 0;
}

static void print_error(const char *path, const report *r)
{
    printf("bench-error scenario=%s file=%s status=%d message=\"%s\"\n",
           r->name[0] ? r->name : base_name(path), path, r->status, r->err);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define REPEAT_MAX 100

/* The minimum and the median of v[0 .. n-1] (1 <= n <= REPEAT_MAX). */
static void min_median(const double *v, int n, double *mn, double *med)
{
    double w[REPEAT_MAX];
    memcpy(w, v, (size_t)n * sizeof *w);
    qsort(w, (size_t)n, sizeof *w, by_value);
    *mn = w[0];
    *med = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
}

/* The samples of one thread count over the rounds, and the first report (name, size, runs). */
typedef struct series_of {
    report first;
    double s[REPEAT_MAX], cpu[REPEAT_MAX];
    long rss_kb; /* the largest */
    int n;
} series_of;

static void add_sample(series_of *z, const report *r)
{
    if (z->n == 0)
        z->first = *r;
    z->s[z->n] = r->seconds;
    z->cpu[z->n] = r->cpu_s;
    if (r->rss_kb > z->rss_kb)
        z->rss_kb = r->rss_kb;
    z->n++;
}

static void print_series(const series_of *z, int threads)
{
    double mn, med, cmn, cmed;
    min_median(z->s, z->n, &mn, &med);
    min_median(z->cpu, z->n, &cmn, &cmed);
    const report *r = &z->first;
    double steps = (double)r->runs * r->nsteps * r->nentity;
    printf("bench scenario=%s threads=%d runs=%lld seconds=%.3f runs_per_s=%.1f "
           "ns_per_node_step=%.2f peak_rss_kb=%ld cpu_s=%.3f repeats=%d seconds_median=%.3f "
           "cpu_s_median=%.3f\n",
           r->name, threads, r->runs, mn, (double)r->runs / mn, steps > 0 ? mn * 1e9 / steps : 0.0,
           z->rss_kb, cmn, z->n, med, cmed);
}

/* All measurements of one scenario. Returns the number of result lines printed. With R
 * repeats, R rounds, each of: one thread, T threads, and the control (one thread alone, then T
 * together); the first round calibrates the run counts, the others reuse them. Interleaved so
 * that the drift of a shared machine's speed falls on every figure alike. */
static int bench_scenario(const char *path, const options *opt)
{
    int counts[2] = {1, opt->threads};
    int ncount = opt->threads > 1 ? 2 : 1;
    int control = opt->control && ncount == 2;
    int n = opt->threads < CONTROL_MAX ? opt->threads : CONTROL_MAX;
    long long runs[2] = {0, 0};
    series_of z[2] = {{.n = 0}}, alone = {.n = 0}, slowest = {.n = 0};
    int printed = 0, control_failed = 0;
    for (int round = 0; round < opt->repeats; round++) {
        for (int i = 0; i < ncount; i++) {
            report r;
            if (measure(path, counts[i], runs[i], opt, &r) != 0 || r.status != REE_OK) {
                print_error(path, &r);
                return printed;
            }
            if (round == 0) {
                fprintf(stderr,
                        "# %s (%s): %d steps x %d entities; calibrated on %lld runs in %.3f s\n",
                        r.name, path, r.nsteps, r.nentity, r.calib_runs, r.calib_s);
                if (r.retried_runs > 0)
                    fprintf(stderr,
                            "# %s: %lld runs took %.3f s, under half the target: timed again\n",
                            r.name, r.retried_runs, r.retried_s);
                runs[i] = r.runs;
            }
            add_sample(&z[i], &r);
        }
        if (control && !control_failed) {
            /* alone again, just before: the speed of a shared VM drifts between measurements. A
             * failure is reported and the other measurements go on. */
            report one, slow;
            if (measure(path, 1, runs[0], opt, &one) != 0 || one.status != REE_OK) {
                print_error(path, &one);
                control_failed = 1;
            } else if (measure_together(path, n, runs[0], opt, &slow) != 0) {
                print_error(path, &slow);
                control_failed = 1;
            } else {
                add_sample(&alone, &one);
                add_sample(&slowest, &slow);
            }
        }
    }
    for (int i = 0; i < ncount; i++) {
        print_series(&z[i], counts[i]);
        printed++;
    }
    if (ncount == 2) {
        double amn, amed, bmn, bmed;
        min_median(z[0].s, z[0].n, &amn, &amed);
        min_median(z[1].s, z[1].n, &bmn, &bmed);
        /* per second of one-thread work: the two counts differ (each calibrated to the target) */
        double r1 = (double)runs[0], rt = (double)runs[1];
        printf("bench-speedup scenario=%s threads=%d by_min=%.2f by_median=%.2f repeats=%d\n",
               z[0].first.name, counts[1], (rt / bmn) / (r1 / amn), (rt / bmed) / (r1 / amed),
               z[0].n);
        printed++;
    }
    if (control && !control_failed) {
        double amn, amed, bmn, bmed;
        min_median(alone.s, alone.n, &amn, &amed);
        min_median(slowest.s, slowest.n, &bmn, &bmed);
        printf("bench-control scenario=%s processes=%d runs=%lld alone_s=%.3f slowest_s=%.3f "
               "scaling=%.2f repeats=%d alone_s_median=%.3f slowest_s_median=%.3f "
               "scaling_median=%.2f\n",
               alone.first.name, n, runs[0], amn, bmn, bmn > 0 ? n * amn / bmn : 0.0, alone.n, amed,
               bmed, bmed > 0 ? n * amed / bmed : 0.0);
        printed++;
    }
    fflush(stdout);
    if (!opt->memory)
        return printed;
    /* The memory pair: 4N runs take about the target time at the largest thread count. */
    int t = counts[ncount - 1];
    long long mem_runs = round_up(runs[ncount - 1] / 4, wave_runs(t));
    report a, b;
    if (measure(path, t, mem_runs, opt, &a) != 0 || a.status != REE_OK) {
        print_error(path, &a);
        return printed;
    }
    if (measure(path, t, 4 * mem_runs, opt, &b) != 0 || b.status != REE_OK) {
        print_error(path, &b);
        return printed;
    }
    printf("bench-memory scenario=%s threads=%d runs=%lld rss_kb=%ld runs=%lld rss_kb=%ld\n",
           a.name, t, a.runs, a.rss_kb, b.runs, b.rss_kb);
    fflush(stdout);
    return printed + 1;
}

static const char usage[] =
    "Usage: reesim-bench [OPTIONS] [SCENARIO.yaml...]\n"
    "Time the Monte Carlo at 1 thread and at all cores, and its memory at N and 4N runs.\n"
    "Without scenarios: scenarios/*.yaml, scenarios/examples/*.yaml and bench/scenarios/*.yaml\n"
    "under the root folder.\n"
    "\n"
    "  -t, --target S     seconds each timed run should take (default 1.5)\n"
    "  -j, --threads T    thread count for the parallel measurement (default: all cores)\n"
    "  -r, --root DIR     folder the default scenario list is relative to (default .)\n"
    "  -n, --repeat R     rounds of every timed measurement, interleaved; min and median\n"
    "                     reported (default 3, at most 100)\n"
    "      --no-memory    skip the N / 4N memory measurement\n"
    "      --no-control   skip the machine's own scaling (T one-thread processes at once,\n"
    "                     at most 64; only when T > 1)\n"
    "      --check        check the mass balance on every step (as the tests do)\n"
    "  -h, --help         this help\n";

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 3600)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    options opt = {DEFAULT_TARGET_S, omp_get_num_procs(), 1, 0, 1, DEFAULT_REPEATS};
    const char *root = ".";
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0;
    if (!files)
        return 71;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            free(files);
            return 0;
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--target")) && val) {
            if (parse_double(val, &d)) {
                fprintf(stderr,
                        "reesim-bench: --target: expected seconds in (0, 3600], found '%s'\n", val);
                free(files);
                return 64;
            }
            opt.target_s = d;
            i++;
        } else if ((!strcmp(a, "-j") || !strcmp(a, "--threads")) && val) {
            if (parse_double(val, &d) || d != floor(d) || d > 1024) {
                fprintf(stderr, "reesim-bench: --threads: expected 1 to 1024, found '%s'\n", val);
                free(files);
                return 64;
            }
            opt.threads = (int)d;
            i++;
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--repeat")) && val) {
            if (parse_double(val, &d) || d != floor(d) || d > REPEAT_MAX) {
                fprintf(stderr, "reesim-bench: --repeat: expected 1 to %d, found '%s'\n",
                        REPEAT_MAX, val);
                free(files);
                return 64;
            }
            opt.repeats = (int)d;
            i++;
        } else if ((!strcmp(a, "-r") || !strcmp(a, "--root")) && val) {
            root = val;
            i++;
        } else if (!strcmp(a, "--no-memory")) {
            opt.memory = 0;
        } else if (!strcmp(a, "--no-control")) {
            opt.control = 0;
        } else if (!strcmp(a, "--check")) {
            opt.check = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "reesim-bench: unknown or incomplete option '%s'\n%s", a, usage);
            free(files);
            return 64;
        } else {
            files[nfiles++] = argv[i];
        }
    }

    glob_t g;
    memset(&g, 0, sizeof g);
    if (nfiles == 0) {
        static const char *const patterns[] = {"scenarios/*.yaml", "scenarios/examples/*.yaml",
                                               "bench/scenarios/*.yaml"};
        for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
            char pat[4096];
            snprintf(pat, sizeof pat, "%s/%s", root, patterns[i]);
            glob(pat, i ? GLOB_APPEND : 0, NULL, &g);
        }
        if (g.gl_pathc == 0) {
            fprintf(stderr, "reesim-bench: no scenarios under '%s' (give files, or --root)\n",
                    root);
            free(files);
            globfree(&g);
            return 66;
        }
    }
    int n = nfiles ? nfiles : (int)g.gl_pathc;
    char **list = nfiles ? files : g.gl_pathv;

    printf("bench-info cores=%d threads=%d target_s=%.2f block=%d check=%d scenarios=%d "
           "repeats=%d\n",
           omp_get_num_procs(), opt.threads, opt.target_s, REE_MC_BLOCK, opt.check, n, opt.repeats);
    fflush(stdout);
    int printed = 0;
    for (int i = 0; i < n; i++)
        printed += bench_scenario(list[i], &opt);
    globfree(&g);
    free(files);
    return printed > 0 ? 0 : 1;
}
