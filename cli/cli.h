/* Subcommands of the reesim command line. Each returns a status; main turns it into the exit
 * code with ree_cli_exit_code, the one mapping (sysexits, or 128 + a caught signal). */
#ifndef REESIM_CLI_H
#define REESIM_CLI_H

#include <signal.h>
#include "reesim/reesim.h"

ree_status ree_cmd_run(int argc, char **argv);         /* cli/cmd_run.c */
ree_status ree_cmd_validate(int argc, char **argv);    /* cli/cmd_validate.c */
ree_status ree_cmd_models(int argc, char **argv);      /* cli/cmd_models.c */
ree_status ree_cmd_plot(int argc, char **argv);        /* cli/cmd_plot.c */
ree_status ree_cmd_compare(int argc, char **argv);     /* cli/cmd_compare.c */
ree_status ree_cmd_calibrate(int argc, char **argv);   /* cli/cmd_calibrate.c */
ree_status ree_cmd_sweep(int argc, char **argv);       /* cli/cmd_sweep.c */
ree_status ree_cmd_sensitivity(int argc, char **argv); /* cli/cmd_sensitivity.c */
ree_status ree_cmd_search(int argc, char **argv);      /* cli/cmd_search.c */
ree_status ree_cmd_discover(int argc, char **argv);    /* cli/cmd_discover.c */

/* Options shared by `run` and `compare`. */
typedef struct ree_cli_common {
    long long runs, seed, threads; /* -1 for runs and seed: the scenario's */
    const char *out;
    int quiet, check;
} ree_cli_common;

/* Defaults: the scenario's runs and seed, all cores, no folder, not quiet, no balance check. */
void ree_cli_common_init(ree_cli_common *o);

/* Handle one of -n, -s, -j, -o, -q, --check-balance ('B') of command `cmd`. Returns 1 when
 * handled, 0 when `c` is not one of them, -1 (message printed) when its value is invalid. */
int ree_cli_common_opt(const char *cmd, int c, const char *arg, ree_cli_common *o);

/* 0 when `arg`, the value of -o, names something; else -1 after a usage error of `cmd`: an empty
 * -o is a usage error (64) for every command that takes it, before anything is read or written. */
int ree_cli_out_arg(const char *cmd, const char *arg);

/* How a command parses its options (ree_cli_parse). */
struct option;
typedef struct ree_cli_spec {
    const char *cmd;          /* for messages: "reesim CMD: ..." */
    const char *help;         /* printed on stdout for -h/--help */
    const struct option *own; /* the command's own long options, {0} terminated; may be NULL */
    int (*on_opt)(int code, const char *arg, void *ctx); /* 0, or -1 after a message */
    void *ctx;
    int no_check;           /* the command takes no --check-balance */
    const char *exclude;    /* codes of common options the command does not take (e.g. "nsjB");
                              its own options may reuse them (sensitivity's -n is samples) */
    const char *shortopts;  /* getopt's short options (NULL: ":n:s:j:o:qh") */
    const char *repeatable; /* codes of the options that taking a value may be given more than
                               once (e.g. "S": --set); NULL: none */
} ree_cli_spec;

/* Note that option `code` (its entry in opts, a {0} terminated getopt_long table; short form if
 * in shortopts) was given, in seen (256 flags, zeroed before the first option). Returns 0, or -1
 * after a usage error of `cmd` naming the option when it takes a value, is not in `repeatable`
 * and was given before: a second value would silently replace the first. A flag (no value) may
 * repeat. ree_cli_parse calls it for every option; a command with its own option loop calls it
 * too. */
int ree_cli_once(const char *cmd, const struct option *opts, const char *shortopts,
                 const char *repeatable, unsigned char seen[256], int code);

/* Parse argv: the common options into *co (initialised here), the command's own through
 * spec->on_opt, -h/--help (prints spec->help and sets *help_shown). Returns REE_OK with optind at
 * the first operand, or REE_EUSAGE after a message naming the option, including an option with a
 * value given twice that spec->repeatable does not name (ree_cli_once). The one option loop of
 * every command but plot (which calls ree_cli_once itself). */
ree_status ree_cli_parse(int argc, char **argv, const ree_cli_spec *spec, ree_cli_common *co,
                         int *help_shown);

/* REE_OK when exactly one operand (the scenario) follows the options, else a usage message. */
ree_status ree_cli_one_operand(int argc, char **argv, const char *cmd);

/* Load a scenario, printing its diagnostics on stderr; NULL with *status why. Collective on
 * several MPI ranks: every rank loads it, and all stop together, with the same status, when one
 * could not or loaded other contents than rank 0 (ree_plan_inputs_sha256). */
ree_plan *ree_cli_load(const char *path, ree_status *status);

/* Wall-clock time in seconds since the epoch (for meta.json). */
double ree_cli_wall(void);

/* Signal handler storing the first caught signal's number in ree_cli_interrupted, which the Monte
 * Carlo polls before each block and ree_outset_commit checks, so an interrupted run stops cleanly and
 * leaves no partial output. ree_cli_catch_signals installs it for SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT and SIGXFSZ (docs/reliability.md, "Signals and limits"). */
extern volatile sig_atomic_t ree_cli_interrupted;
void ree_cli_on_signal(int sig);
void ree_cli_catch_signals(void);

/* Exit code for a status: 128 + the signal number when a caught signal stopped the command,
 * else the status's sysexits code. */
int ree_cli_exit_code(ree_status status);

/* Of two statuses, the one with the higher exit code (validate and compare report the worst of
 * several scenarios). */
ree_status ree_cli_worse(ree_status a, ree_status b);

/* "reesim: out of memory WHAT" on stderr through write(2): works with no memory left. */
void ree_cli_report_oom(const char *what);

/* A command stopped by the signal in ree_cli_interrupted, on stderr as `reesim run` says it:
 * "reesim CMD: interrupted (signal N); no output written", "stopped at the file size limit"
 * for SIGXFSZ, with the write error in `err` (naming the file, from ree_cli_finish_set) before
 * the ';' when there is one. */
void ree_cli_report_stopped(const char *cmd, const char *err);

/* Remember the output set being written (NULL: none) so that an exit from inside a library
 * (libgomp's exit(1) when it cannot create a thread) removes it, says so and exits 71. */
struct ree_outset;
void ree_cli_guard(struct ree_outset *set);

/* Open the output folder `out` (NULL: out/NAME-SUFFIX) of a command that every MPI rank runs
 * (docs/cluster.md): signals are caught, and rank 0 opens the set, guards it (ree_cli_guard) and
 * lets an interruption cancel its writes. Every rank gets rank 0's outcome in *st (REE_OK, or why
 * the folder cannot be had, then with err on rank 0). Returns the set on rank 0, else NULL. A
 * path too long for REE_CLI_PATH_MAX is a usage error of `cmd` on every rank, printed here:
 * *st REE_EUSAGE, err left empty. */
struct ree_outset *ree_cli_open_shared(const char *cmd, const char *out, const char *name,
                                       const char *suffix, ree_status *st, char *err,
                                       size_t errlen);

/* End the output set `set` whose writing ended with `st`: on REE_OK commit it (the folder then
 * holds the new set whole); after a write error or an interruption with nothing more precise in
 * err, find and name what failed (ree_outset_check). Then forget it (ree_cli_guard(NULL)).
 * Returns the final status; err holds the message of a failure. */
ree_status ree_cli_finish_set(struct ree_outset *set, ree_status st, char *err, size_t errlen);

/* Size of the buffers that hold a path built from the command line or a scenario: Linux's
 * PATH_MAX, the longest path a system call accepts, so no path that could work is refused. */
#define REE_CLI_PATH_MAX 4096

/* Format a path built from user input (`what` names where it comes from, e.g. "-o") into buf
 * (len bytes). Returns 0, or -1 after a usage error for `cmd` naming `what` and the limit when
 * it does not fit: a path is never silently cut short, as a shortened -o names, and would
 * replace, another folder. */
int ree_cli_path(char *buf, size_t len, const char *cmd, const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Whether replacing the folder `out` by a result set would delete `in`, a file or folder a
 * command reads: `out` is `in`, or holds it at any depth. Compared by device and inode, walking
 * up from `in` by "..", so another spelling of the same folder (a symlink, "a/./b", "a/../a") is
 * caught and no path is too long. 1 held, 0 not (an `out` that does not exist holds nothing), -1
 * when it cannot be told (errno says why). */
int ree_cli_out_holds(const char *out, const char *in);

/* Note that the command reads `path` (ree_cli_load notes every scenario it loads). The string
 * must outlive the command (argv). */
void ree_cli_reads(const char *path);

/* 0 when the output folder `dir` holds nothing the command reads (ree_cli_reads); else -1 after
 * a usage error of `cmd` naming what it would delete, or saying it cannot tell. Every command
 * calls it before opening its output set. Collective on several MPI ranks: rank 0, which alone
 * writes the folder, checks its own files, and every rank returns its verdict. */
int ree_cli_out_free(const char *cmd, const char *dir);

/* An option's real number: the whole of s (strtod's syntax; no white space before or after, as
 * ree_cli_long), finite, no overflow or underflow. Returns 0 with *out, or -1 (*out unchanged,
 * nothing printed). */
int ree_cli_double(const char *s, double *out);

/* Shared option parsing helpers. ree_cli_long: the whole of arg a decimal whole number in
 * [min, max], no white space before or after it (' 64' and '64 ' alike); returns 0 with *out,
 * or -1 after a message naming opt. Both escape the controls of what they print (ree_snippet:
 * C0 and DEL as \xHH, C1 as \u00HH): their messages quote the command line, and ree_cli_usage_error's
 * also scenario text (a reason from ree_plan_slot naming an id), which must not reach the
 * terminal raw. */
int ree_cli_long(const char *opt, const char *arg, long long min, long long max, long long *out);
void ree_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
