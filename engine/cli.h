/* Subcommands of the reesim command line; each returns a sysexits(3) exit code. */
#ifndef REESIM_CLI_H
#define REESIM_CLI_H

int ree_cmd_run(int argc, char **argv);
int ree_cmd_validate(int argc, char **argv);
int ree_cmd_models(int argc, char **argv);
int ree_cmd_plot(int argc, char **argv);
int ree_cmd_compare(int argc, char **argv); /* engine/cmd_compare.c */

/* Shared option parsing helpers. */
int ree_cli_long(const char *opt, const char *arg, long long min, long long max, long long *out);
void ree_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
