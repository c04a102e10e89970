/* What every command shares: signals, exit codes, the guarded output set, option parsing, paths,
 * loading a scenario. The commands are in cmd_*.c. */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <omp.h>
#include "cli.h"
#include "reesim/reesim.h"
#include "csvread.h"
#include "diag.h"
#include "exec.h"
#include "outfile.h"
#include "plan.h"

volatile sig_atomic_t ree_cli_interrupted;

void ree_cli_on_signal(int sig)
{
    if (!ree_cli_interrupted)
        ree_cli_interrupted = sig;
}

void ree_cli_catch_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXFSZ};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ree_cli_on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

int ree_cli_exit_code(ree_status status)
{
    if (status != REE_OK && ree_cli_interrupted)
        return 128 + ree_cli_interrupted;
    return ree_status_exit_code(status);
}

ree_status ree_cli_worse(ree_status a, ree_status b)
{
    return ree_status_exit_code(b) > ree_status_exit_code(a) ? b : a;
}

void ree_cli_report_oom(const char *what)
{
    /* write(2) and static text: works when malloc (and so stdio) cannot. */
    static const char head[] = "reesim: out of memory ";
    size_t skip = strncmp(what, head + 8, sizeof head - 9) ? 0 : sizeof head - 9;
    ssize_t w = write(STDERR_FILENO, head, sizeof head - 1);
    what += skip;
    w = write(STDERR_FILENO, what, strlen(what));
    w = write(STDERR_FILENO, "\n", 1);
    (void)w;
}

void ree_cli_report_stopped(const char *cmd, const char *err)
{
    int sig = (int)ree_cli_interrupted, named = *err && strcmp(err, "interrupted") != 0;
    fprintf(stderr, "reesim %s: %s (signal %d)%s%s; no output written\n", cmd,
            sig == SIGXFSZ ? "stopped at the file size limit" : "interrupted", sig,
            named ? ": " : "", named ? err : "");
}

/* The output set being written, removed if the program exits from elsewhere (libgomp calls
 * exit(1) when it cannot create a thread). */
static ree_outset *pending_set;
static void exit_cleanup(void)
{
    if (!pending_set)
        return;
    ree_outset_abort(pending_set);
    pending_set = NULL;
    static const char msg[] = "reesim: stopped by a fatal error of the OpenMP runtime or a "
                              "library (message above); no output written\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(71);
}

/*
 * Under MPI ranks (docs/cluster.md) an interrupted rank may never get back from MPI: when a rank
 * dies, mpirun sends SIGTERM to the others and SIGKILL one second later (Open MPI's
 * odls_base_sigkill_timeout), while rank 0 waits for the dead rank's block. So rank 0 runs a
 * watcher thread: RANKS_DISCARD_MS after a caught signal it removes the output set's temporary
 * folder itself (ree_outset_discard_temp: safe against a commit in progress, and against
 * the command, not yet stopped, still creating files in it), and if the command has still not
 * ended RANKS_EXIT_MS later, it ends the process with 128 + the signal, as the command would
 * have.
 */
#define RANKS_DISCARD_MS 500 /* time for the command to see the signal and clean up itself */
#define RANKS_EXIT_MS    200 /* then, before mpirun's SIGKILL at 1 s: end as the command would */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static char *watch_temp; /* a copy of the last guarded set's temporary folder */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *ranks_watch(void *arg)
{
    (void)arg;
    while (!ree_cli_interrupted)
        sleep_ms(20);
    int sig = (int)ree_cli_interrupted;
    sleep_ms(RANKS_DISCARD_MS);
    pthread_mutex_lock(&watch_lock);
    int removed = watch_temp ? ree_outset_discard_temp(watch_temp) == 1 : 0;
    pthread_mutex_unlock(&watch_lock);
    sleep_ms(RANKS_EXIT_MS);
    if (removed) { /* the command did not get as far as saying so */
        char msg[96];
        int len =
            snprintf(msg, sizeof msg, "reesim: interrupted (signal %d); no output written\n", sig);
        ssize_t w = write(STDERR_FILENO, msg, (size_t)len);
        (void)w;
    }
    _exit(128 + sig);
    return NULL;
}

static void watch_set(const ree_outset *set)
{
    static int started;
    const char *t = ree_outset_temp(set);
    if (!t || ree_ranks() < 2)
        return;
    char *copy = strdup(t);
    pthread_mutex_lock(&watch_lock);
    if (copy) {
        free(watch_temp);
        watch_temp = copy;
    }
    pthread_mutex_unlock(&watch_lock);
    if (!started) {
        pthread_t th;
        pthread_attr_t at;
        if (pthread_attr_init(&at) == 0) {
            pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
            started = pthread_create(&th, &at, ranks_watch, NULL) == 0;
            pthread_attr_destroy(&at);
        }
    }
}

void ree_cli_guard(ree_outset *set)
{
    static int registered;
    if (!registered)
        registered = atexit(exit_cleanup) == 0;
    pending_set = set;
    if (set)
        watch_set(set);
}

ree_outset *ree_cli_open_shared(const char *cmd, const char *out, const char *name,
                                const char *suffix, ree_status *st, char *err, size_t errlen)
{
    char dir[REE_CLI_PATH_MAX];
    /* Every rank sees the same arguments, and ree_cli_out_free shares rank 0's verdict, so every
     * rank stops here alike. */
    if ((out ? ree_cli_path(dir, sizeof dir, cmd, "-o", "%s", out)
             : ree_cli_path(dir, sizeof dir, cmd, "the default output folder", "out/%s-%s", name,
                            suffix)) ||
        ree_cli_out_free(cmd, dir)) {
        *st = REE_EUSAGE;
        return NULL;
    }
    ree_cli_catch_signals();
    int root = ree_rank() == 0;
    ree_status mine = REE_OK;
    ree_outset *set = root ? ree_outset_open(dir, &mine, err, errlen) : NULL;
    *st = ree_ranks_share(root ? (set ? REE_OK : mine) : REE_OK); /* rank 0's output folder */
    if (set) {
        ree_outset_set_cancel(set, &ree_cli_interrupted);
        ree_cli_guard(set);
    }
    return set;
}

ree_status ree_cli_finish_set(ree_outset *set, ree_status st, char *err, size_t errlen)
{
    if (st == REE_OK)
        st = ree_outset_commit(set, err, errlen);
    else if ((st == REE_EIO || st == REE_EINTERRUPTED) && (!*err || !strcmp(err, "interrupted")))
        ree_outset_check(set, err, errlen); /* a write error, named, if there is one */
    ree_cli_guard(NULL);
    return st;
}

void ree_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *raw = n >= 0 ? malloc((size_t)n + 1) : NULL;
    char *shown = raw ? malloc(4 * (size_t)n + 1) : NULL;
    if (shown) {
        vsnprintf(raw, (size_t)n + 1, fmt, again);
        ree_snippet(raw, (size_t)n, shown, 4 * (size_t)n + 1);
    }
    va_end(again);
    fprintf(stderr, "reesim %s: %s\nTry 'reesim %s --help'.\n", cmd,
            shown ? shown : "(out of memory: the message is not shown)", cmd);
    free(shown);
    free(raw);
}

int ree_cli_path(char *buf, size_t len, const char *cmd, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < len)
        return 0;
    ree_cli_usage_error(cmd, "%s is too long: a path may have at most %zu bytes", what, len - 1);
    return -1;
}

/* Whether the folder open as `fd` (closed here) is `so`'s folder or lies under it: walk up by
 * "..", by file descriptors, so no path is built and none can be too long. 1, 0 (the root
 * reached), or -1 when a step cannot be taken. */
static int under(int fd, const struct stat *so)
{
    int held = -1;
    struct stat st, sp;
    while (fd >= 0 && fstat(fd, &st) == 0) {
        if (st.st_dev == so->st_dev && st.st_ino == so->st_ino) {
            held = 1;
            break;
        }
        int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (up < 0 || fstat(up, &sp) != 0) {
            if (up >= 0)
                close(up);
            break;
        }
        if (sp.st_dev == st.st_dev && sp.st_ino == st.st_ino) { /* ".." of the root */
            close(up);
            held = 0;
            break;
        }
        close(fd);
        fd = up;
    }
    if (fd >= 0)
        close(fd);
    return held;
}

/* under() from the folder of the file at `path`: the prefix before its last slash. */
static int folder_under(const char *path, const struct stat *so)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return under(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), so);
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir)
        return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int held = under(open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), so);
    free(dir);
    return held;
}

int ree_cli_out_holds(const char *out, const char *in)
{
    struct stat so, si, sl;
    if (stat(out, &so) != 0 || !S_ISDIR(so.st_mode))
        return 0; /* no folder there to replace */
    if (stat(in, &si) != 0)
        return -1;
    if (S_ISDIR(si.st_mode))
        return under(open(in, O_PATH | O_DIRECTORY | O_CLOEXEC), &so);
    /* A file: its folder; and when it is a symlink, the folder of the file it leads to too (the
     * replacement would delete that file, read through a link that lies elsewhere). */
    int held = folder_under(in, &so);
    if (held == 0 && lstat(in, &sl) == 0 && S_ISLNK(sl.st_mode)) {
        char *real = realpath(in, NULL);
        held = real ? folder_under(real, &so) : -1;
        free(real);
    }
    return held;
}

/* The files and folders this command reads (scenarios, a sweep): an output folder that holds one
 * would delete it when replaced (ree_cli_out_free). Pointers to argv strings, which live as long
 * as the program. */
static const char **reads;
static size_t nreads, capreads;
static int reads_lost; /* out of memory noting one: no output folder can be vouched for */

void ree_cli_reads(const char *path)
{
    if (nreads == capreads) {
        size_t cap = capreads ? 2 * capreads : 8;
        const char **r = realloc(reads, cap * sizeof *r);
        if (!r) {
            reads_lost = 1;
            return;
        }
        reads = r;
        capreads = cap;
    }
    reads[nreads++] = path;
}

static int out_free(const char *cmd, const char *dir)
{
    if (reads_lost) {
        ree_cli_usage_error(cmd,
                            "out of memory noting the files read: cannot tell whether the "
                            "output folder %s holds one",
                            dir);
        return -1;
    }
    for (size_t i = 0; i < nreads; i++) {
        int held = ree_cli_out_holds(dir, reads[i]);
        if (held > 0)
            ree_cli_usage_error(cmd,
                                "the output folder %s holds %s, which this command reads: "
                                "replacing the folder would delete it; choose another folder",
                                dir, reads[i]);
        else if (held < 0)
            ree_cli_usage_error(cmd,
                                "cannot tell whether the output folder %s holds %s, which this "
                                "command reads (%s); choose another folder",
                                dir, reads[i], strerror(errno));
        if (held)
            return -1;
    }
    return 0;
}

int ree_cli_out_free(const char *cmd, const char *dir)
{
    /* The other ranks' files may differ (another host): rank 0's verdict, or a rank that checked
     * alone would return alone, and the others wait for it. */
    int held = ree_rank() == 0 ? out_free(cmd, dir) : 0;
    return ree_ranks_share(held ? REE_EUSAGE : REE_OK) == REE_OK ? 0 : -1;
}

/* strtoll and strtod skip leading white space but stop at trailing: an option's number is its
 * whole text, neither. */
static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int ree_cli_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || blank(*s) || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int ree_cli_long(const char *opt, const char *arg, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (!*arg || blank(*arg) || *end || errno || v < min || v > max) {
        char shown[REE_SNIPPET_LEN];
        fprintf(stderr, "reesim: %s expects a whole number from %lld to %lld, found '%s'\n", opt,
                min, max, ree_snippet(arg, strlen(arg), shown, sizeof shown));
        return -1;
    }
    *out = v;
    return 0;
}

void ree_cli_common_init(ree_cli_common *o)
{
    o->runs = -1;
    o->seed = -1;
    o->threads = omp_get_num_procs();
    o->out = NULL;
    o->quiet = 0;
    o->check = 0;
}

int ree_cli_out_arg(const char *cmd, const char *arg)
{
    if (*arg)
        return 0;
    ree_cli_usage_error(cmd, "option --out (-o) needs a non-empty value");
    return -1;
}

int ree_cli_common_opt(const char *cmd, int c, const char *arg, ree_cli_common *o)
{
    switch (c) {
    case 'n':
        return ree_cli_long("--runs", arg, 1, 100000000, &o->runs) ? -1 : 1;
    case 's':
        return ree_cli_long("--seed", arg, 0, 9223372036854775807LL, &o->seed) ? -1 : 1;
    case 'j':
        return ree_cli_long("--threads", arg, 1, 1024, &o->threads) ? -1 : 1;
    case 'o':
        if (ree_cli_out_arg(cmd, arg))
            return -1;
        o->out = arg;
        return 1;
    case 'q':
        o->quiet = 1;
        return 1;
    case 'B':
        o->check = 1;
        return 1;
    default:
        return 0;
    }
}

/* The common options as getopt_long sees them. */
static const struct option common_opts[] = {
    {"runs", required_argument, 0, 'n'},    {"seed", required_argument, 0, 's'},
    {"threads", required_argument, 0, 'j'}, {"out", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'},         {"check-balance", no_argument, 0, 'B'},
    {"help", no_argument, 0, 'h'}};

enum { MAX_OPTS = 32 };

int ree_cli_once(const char *cmd, const struct option *opts, const char *shortopts,
                 const char *repeatable, unsigned char seen[256], int code)
{
    const struct option *o = opts;
    while (o->name && o->val != code)
        o++;
    unsigned char *s = &seen[(unsigned char)code];
    if (!o->name || o->has_arg == no_argument || (repeatable && strchr(repeatable, code)) || !*s) {
        *s = 1;
        return 0;
    }
    const char *sc = code != ':' ? strchr(shortopts, code) : NULL;
    char shortname[8] = "";
    if (sc)
        snprintf(shortname, sizeof shortname, " (-%c)", code);
    ree_cli_usage_error(cmd, "option --%s%s given more than once: it takes one value", o->name,
                        shortname);
    return -1;
}

ree_status ree_cli_parse(int argc, char **argv, const ree_cli_spec *spec, ree_cli_common *co,
                         int *help_shown)
{
    struct option opts[MAX_OPTS];
    size_t n = 0;
    const char *ex = spec->exclude ? spec->exclude : "";
    for (size_t i = 0; i < sizeof common_opts / sizeof common_opts[0]; i++)
        if (!(spec->no_check && common_opts[i].val == 'B') && !strchr(ex, common_opts[i].val))
            opts[n++] = common_opts[i];
    for (const struct option *o = spec->own; o && o->name && n < MAX_OPTS - 1; o++)
        opts[n++] = *o;
    opts[n] = (struct option){0, 0, 0, 0};
    ree_cli_common_init(co);
    *help_shown = 0;
    int c;
    optind = 1;
    opterr = 0;
    const char *shortopts = spec->shortopts ? spec->shortopts : ":n:s:j:o:qh";
    unsigned char seen[256] = {0};
    while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (c > 0 && c < 256 &&
            ree_cli_once(spec->cmd, opts, shortopts, spec->repeatable, seen, c) != 0)
            return REE_EUSAGE;
        int handled = strchr(ex, c) || (spec->no_check && c == 'B')
                          ? 0
                          : ree_cli_common_opt(spec->cmd, c, optarg, co);
        if (handled < 0)
            return REE_EUSAGE;
        if (handled)
            continue;
        if (c == 'h') {
            fputs(spec->help, stdout);
            *help_shown = 1;
            return REE_OK;
        }
        if (c == ':') {
            ree_cli_usage_error(spec->cmd, "option '%s' needs a value", argv[optind - 1]);
            return REE_EUSAGE;
        }
        if (c == '?' || !spec->on_opt) {
            ree_cli_usage_error(spec->cmd, "unknown option '%s'", argv[optind - 1]);
            return REE_EUSAGE;
        }
        if (spec->on_opt(c, optarg, spec->ctx))
            return REE_EUSAGE;
    }
    return REE_OK;
}

ree_status ree_cli_one_operand(int argc, char **argv, const char *cmd)
{
    (void)argv;
    if (optind == argc - 1)
        return REE_OK;
    ree_cli_usage_error(
        cmd, optind >= argc ? "missing SCENARIO.yaml" : "expected one scenario file, found %d",
        argc - optind);
    return REE_EUSAGE;
}

double ree_cli_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* What a rank that could not load the scenario tells rank 0. */
typedef struct load_failure {
    int status;
    char why[400];
} load_failure;

/* A rank could not load: every rank returns NULL (freeing `p`) with *status rank 0's when it
 * failed too (it has printed its diagnostics), else the status of `who` - 1, the highest rank
 * that failed, whose first error rank 0 quotes. Collective. */
static ree_plan *failed_load(int who, const char *path, ree_plan *p, const ree_diag *d,
                             ree_status *status)
{
    int nfailed = ree_ranks_sum(p == NULL);
    ree_status root = ree_ranks_share(p ? REE_OK : *status);
    load_failure msg = {0};
    if (ree_rank() == who - 1) {
        msg.status = (int)*status;
        ree_diag_first_error(d, msg.why, sizeof msg.why);
        if (!*msg.why)
            snprintf(msg.why, sizeof msg.why, "%s", ree_status_message(*status));
    }
    ree_ranks_bcast_from(who - 1, &msg, sizeof msg);
    if (root == REE_OK) {
        char more[64] = "";
        if (nfailed > 1)
            snprintf(more, sizeof more, " (nor could %d other rank%s)", nfailed - 1,
                     nfailed > 2 ? "s" : "");
        fprintf(stderr, "reesim: MPI rank %d could not load %s%s: %s; no rank runs%s\n", who - 1,
                path, more, msg.why,
                msg.status == REE_ENOMEM ? "" : " (give every host the same files)");
    }
    *status = root != REE_OK ? root : (ree_status)msg.status;
    ree_plan_free(p);
    return NULL;
}

/* Whether any rank's `hex`, the SHA-256 of the `what` it read from `path`, differs from rank
 * 0's; if so rank 0 names the highest such rank and both digests' first 16 characters.
 * Collective: every rank calls it with its own `hex`. */
static int name_differing(const char *hex, const char *path, const char *what)
{
    int who = ree_ranks_differ(hex, 65);
    if (!who)
        return 0;
    char theirs[65];
    memcpy(theirs, hex, sizeof theirs);
    ree_ranks_bcast_from(who - 1, theirs, sizeof theirs);
    fprintf(stderr,
            "reesim: MPI rank %d read other %s than rank 0 from %s (SHA-256 %.16s..., rank 0's "
            "%.16s...); no rank runs (give every host the same files)\n",
            who - 1, what, path, theirs, hex);
    return 1;
}

/* Under several MPI ranks every rank loads the scenario itself, so a host whose files differ
 * must stop every rank: a rank that could not load would leave the others waiting at their first
 * collective step, and one that loaded other bytes would mix its runs into the results. Collective;
 * returns `p`, or NULL (freeing it) with *status the same on every rank. Rank 0 says which rank
 * failed and why, or which file differs. */
static ree_plan *agree_loaded(const char *path, ree_plan *p, const ree_diag *d, ree_status *status)
{
    int who = ree_ranks_failed(p == NULL);
    if (who)
        return failed_load(who, path, p, d, status);
    char all[65];
    ree_plan_inputs_sha256(p, all);
    if (!ree_ranks_differ(all, sizeof all))
        return p;
    /* Which input: the scenario's text (its SHA-256 is sha256sum's of the file), else the first
     * observations file whose points differ (the same text names the same files, in order). */
    int named = name_differing(p->sha256_hex, path, "text");
    for (int i = 0; i < p->nobs && !named; i++) {
        char oh[65];
        ree_plan_obs_sha256(p, i, oh);
        named = name_differing(oh, p->observations[i].file, "observations");
    }
    if (!named) /* not reached: the digest covers only these */
        fprintf(stderr, "reesim: an MPI rank loaded %s with other contents than rank 0\n", path);
    *status = REE_EINVALID;
    ree_plan_free(p);
    return NULL;
}

ree_plan *ree_cli_load(const char *path, ree_status *status)
{
    ree_diag *d = ree_diag_alloc(0);
    ree_status st = REE_ENOMEM;
    ree_plan *p = NULL;
    if (d) {
        ree_cli_reads(path);
        p = ree_plan_load(path, d, &st);
        ree_diag_print(d, stderr);
    }
    if (!p && st == REE_ENOMEM)
        ree_cli_report_oom("loading the scenario");
    *status = p ? REE_OK : st;
    if (ree_ranks() > 1)
        p = agree_loaded(path, p, d, status);
    ree_diag_free(d);
    return p;
}
