/* cli.h -- the commands and what they share: options, exit codes, output format. */
#ifndef SX_CLI_H
#define SX_CLI_H

#include <stdio.h>

/* Exit codes, documented in --help and docs/sipdx.1. Scripts rely on them. */
enum {
    SX_EXIT_OK = 0,        /* done; everything read */
    SX_EXIT_DATA = 1,      /* done, but some input was bad: a truncated capture, a malformed
                              --raw message, an invalid signature (identity); or show found
                              no call with that Call-ID */
    SX_EXIT_USAGE = 2,     /* bad command line */
    SX_EXIT_NOINPUT = 3,   /* a file could not be opened: an input (capture, --carriers,
                              keys, maps) or an output to write (--calls, --report, CSV) */
    SX_EXIT_INTERNAL = 4,  /* out of memory or a bug */
};

/* An option as documented: one table per command feeds both --help and the man page test. */
typedef struct cli_opt {
    const char *name;  /* "--format" */
    const char *arg;   /* "FMT" or NULL for a flag */
    const char *help;
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *synopsis;
    const char *summary;
    const cli_opt *opts;
    int (*run)(int argc, char **argv);
} cli_cmd;

extern const cli_cmd cli_commands[];
void cli_usage(FILE *out, const cli_cmd *c);

int cmd_decode(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_identity(int argc, char **argv);

#endif
