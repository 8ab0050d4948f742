/* main.c -- sipdx: why SIP calls are refused, who refused them, and what to do about it.
 * Dispatches to one command; each command documents its options in one table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "stir/stir.h"

#define SIPDX_VERSION "0.1.0"

static const cli_opt decode_opts[] = {
    {"--format", "FMT", "text (default), json (one object per message, tally last), none "
                        "(only the tally)"},
    {"--raw", NULL, "read one raw SIP message from each FILE (a text file, as logs and RFC "
                    "4475 hold them) and print its parsed fields"},
    {"--live", "IFACE", "capture live from a network interface instead of files"},
    {"--filter", "BPF", "capture filter for --live (e.g. 'udp port 5060 or tcp')"},
    {"--max-frames", "N", "stop after N frames"},
    {"--progress", NULL, "draw the progress bar on stderr even when it is not a terminal (it "
                         "is drawn by default when stderr is a terminal)"},
    {"--quiet", NULL, "text output: do not print the tally (JSON always ends with it)"},
    {NULL, NULL, NULL},
};

static const cli_opt analyze_opts[] = {
    {"--format", "FMT", "text (default) or json (the summary as one JSON document)"},
    {"--calls", "FILE", "write every call record as NDJSON to FILE ('-' = stdout)"},
    {"--carriers", "FILE", "name peers: one 'CIDR-or-hostname NAME' pair per line"},
    {"--report", "FILE", "write a self-contained HTML report to FILE (charts, plan, sortable "
                         "tables, one ladder per cause)"},
    {"--csv-callers", "FILE", "write the caller ID x carrier table (status, since, why, counts) "
                              "as CSV to FILE"},
    {"--csv-carriers", "FILE", "write the carrier table (causes, evident policies) as CSV to FILE"},
    {"--bucket", "MIN", "time bucket of the diagnosis's timelines in minutes (default 15)"},
    {"--max-calls", "N", "active calls kept at once (default 200000); beyond it the oldest "
                        "is ended early, emitted as evicted and counted in the tally"},
    {"--max-duration", "SEC", "an answered call with no BYE after SEC seconds is emitted as "
                              "incomplete (default 14400)"},
    {"--group-header", "NAME", "header naming another leg's Call-ID, for B2BUA leg groups "
                               "(default X-CID)"},
    {"--live", "IFACE", "capture live from a network interface instead of files"},
    {"--filter", "BPF", "capture filter for --live"},
    {"--no-diagnosis", NULL, "skip the diagnosis (verdicts, plan, carriers, caller IDs): "
                            "outcomes, ratios and STIR only, a little faster"},
    {"--no-progress", NULL, "never draw the progress bar"},
    {"--x5u-map", "FILE", "STIR certificates: lines 'x5u-URL PEM-FILE' (nothing is fetched)"},
    {"--cert-dir", "DIR", "STIR certificates: DIR/<last path segment of x5u> or "
                          "DIR/<sha256-hex of x5u>.pem"},
    {"--trust", "FILE", "PEM trust anchors (STI-PA list): certificates must chain to them"},
    {"--no-verify", NULL, "decode and check Identity headers but skip signatures"},
    {"-j", "N", "verify signatures on N threads in all, the main one included (default 1)"},
    {NULL, NULL, NULL},
};

static const cli_opt show_opts[] = {
    {"--width", "N", "width of the ladder in columns (default 100)"},
    {"--carriers", "FILE", "name peers: one 'CIDR-or-hostname NAME' pair per line"},
    {NULL, NULL, NULL},
};


const cli_cmd cli_commands[] = {
    {"decode", "sipdx decode [OPTIONS] FILE...",
     "Print every SIP message found in captures (pcap, pcapng, '-' for stdin): time, "
     "addresses, transport and start line, then the tally of every frame read.",
     decode_opts, cmd_decode},
    {"analyze", "sipdx analyze [OPTIONS] FILE...",
     "Correlate messages into calls and diagnose them: the plan of remediations ranked by "
     "calls affected, what each carrier evidently does, which caller IDs are flagged where "
     "and since when; then answered, failed, codes by peer, ASR/NER, the packet tally.",
     analyze_opts, cmd_analyze},
    {"show", "sipdx show [OPTIONS] CALL-ID FILE...",
     "Print one call as a ladder diagram, with the headers that explain a failure.",
     show_opts, cmd_show},
    {"identity", "sipdx identity [OPTIONS] VALUE|-",
     "Decode an Identity header or PASSporT, check it, and verify its signature.",
     NULL /* the STIR module's own table, stir_cli_opts */, cmd_identity},
    {NULL, NULL, NULL, NULL, NULL},
};

static const char exit_codes[] =
    "Exit codes:\n"
    "  0  done, every input read\n"
    "  1  done, but some input was bad (truncated capture, malformed --raw message,\n"
    "     invalid Identity signature), or show found no such call\n"
    "  2  bad command line\n"
    "  3  a file could not be opened: an input (not a capture, unreadable --carriers,\n"
    "     key or map) or an output (--calls, --report, CSV)\n"
    "  4  internal error (out of memory)\n";

static void print_opt(FILE *out, const char *name, const char *arg, const char *help) {
    char left[40];
    snprintf(left, sizeof left, "%s%s%s", name, arg ? " " : "", arg ? arg : "");
    fprintf(out, "  %-22s %s\n", left, help);
}

void cli_usage(FILE *out, const cli_cmd *c) {
    fprintf(out, "Usage: %s\n\n%s\n\nOptions:\n", c->synopsis, c->summary);
    if (c->opts)
        for (const cli_opt *o = c->opts; o->name; o++) print_opt(out, o->name, o->arg, o->help);
    else {
        print_opt(out, "--format", "FMT", "text (default) or json (same as --json)");
        for (const stir_cli_opt *o = stir_cli_opts; o->name; o++)
            print_opt(out, o->name, o->arg, o->help);
    }
    fprintf(out, "  %-22s %s\n\n%s", "-h, --help", "this help", exit_codes);
}

static void usage_main(FILE *out) {
    fprintf(out,
            "sipdx %s -- why SIP calls are refused, who refused them, what to do about it.\n\n"
            "Usage: sipdx COMMAND [OPTIONS] ARGS...\n\nCommands:\n",
            SIPDX_VERSION);
    for (const cli_cmd *c = cli_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->synopsis);
    fprintf(out, "\n'sipdx COMMAND --help' explains each command. See also man sipdx "
                 "(docs/sipdx.1).\n\n%s", exit_codes);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage_main(stdout);
        return argc < 2 ? SX_EXIT_USAGE : SX_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("sipdx %s\n", SIPDX_VERSION);
        return SX_EXIT_OK;
    }
    for (const cli_cmd *c = cli_commands; c->name; c++) {
        if (strcmp(argv[1], c->name) != 0) continue;
        for (int i = 2; i < argc; i++)
            if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
                cli_usage(stdout, c);
                return SX_EXIT_OK;
            }
        return c->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "sipdx: unknown command '%s'\n\n", argv[1]);
    usage_main(stderr);
    return SX_EXIT_USAGE;
}
