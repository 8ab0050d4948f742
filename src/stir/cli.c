/* cli.c -- `sipdx identity`: decode, check and verify one Identity header value given on the
 * command line (or stdin with "-"). The lead's dispatcher calls stir_cli_identity(). */
#include <stdlib.h>

#include "../sip/sip.h"
#include "stir.h"

#define CLI_MAX_INPUT 65536 /* stdin is read up to this; longer than 8 KiB is malformed anyway */

const stir_cli_opt stir_cli_opts[] = {
    {"--key", "PEM", "verify with this public key (direct mode; x5u ignored)"},
    {"--cert", "PEM", "verify with this certificate (direct mode; dates and chain checked)"},
    {"--x5u-map", "FILE", "lines \"URL PATH-TO-PEM\": the local copy of each x5u certificate"},
    {"--cert-dir", "DIR", "certificates named by the x5u URL's last segment or its SHA-256"},
    {"--trust", "PEM", "trust anchors (STI-PA list): chains and TNAuthList are checked"},
    {"--caller", "TN", "calling number from signalling, compared with orig.tn"},
    {"--callee", "TN", "called number from signalling, compared with dest.tn"},
    {"--at", "SECONDS", "time the INVITE was sent (Unix seconds): iat freshness, cert dates"},
    {"--json", NULL, "one JSON object instead of text"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
    fprintf(out, "usage: sipdx identity [options] VALUE|-\n"
                 "Decodes an Identity header value (RFC 8224) or a bare PASSporT, checks it and\n"
                 "verifies its ES256 signature offline. Exit: 0 decoded and signature valid or\n"
                 "unverified, 1 malformed or signature not valid, 2 usage, 3 unreadable file.\n");
    for (const stir_cli_opt *o = stir_cli_opts; o->name; o++)
        fprintf(out, "  %s %-8s %s\n", o->name, o->arg ? o->arg : "", o->help);
}

typedef struct cli_args {
    stir_verifier_opts vo;
    const char *caller, *callee, *at, *value;
    int json;
} cli_args;

static int parse_args(int argc, char **argv, cli_args *a) {
    memset(a, 0, sizeof *a);
    a->vo.cache_size = -1;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "--json") == 0) a->json = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
        else if ((v = sx_optval(argc, argv, &i, "--key", &missing))) a->vo.key_pem = v;
        else if ((v = sx_optval(argc, argv, &i, "--cert", &missing))) a->vo.key_pem = v;
        else if ((v = sx_optval(argc, argv, &i, "--x5u-map", &missing))) a->vo.x5u_map = v;
        else if ((v = sx_optval(argc, argv, &i, "--cert-dir", &missing))) a->vo.cert_dir = v;
        else if ((v = sx_optval(argc, argv, &i, "--trust", &missing))) a->vo.trust_anchors = v;
        else if ((v = sx_optval(argc, argv, &i, "--caller", &missing))) a->caller = v;
        else if ((v = sx_optval(argc, argv, &i, "--callee", &missing))) a->callee = v;
        else if ((v = sx_optval(argc, argv, &i, "--at", &missing))) a->at = v;
        else if (missing || (argv[i][0] == '-' && argv[i][1] != '\0') || a->value) {
            fprintf(stderr, "sipdx identity: bad argument '%s'\n", argv[i]);
            return -1;
        } else a->value = argv[i];
        if (missing) {
            fprintf(stderr, "sipdx identity: %s needs a value\n", argv[i]);
            return -1;
        }
    }
    if (!a->value) {
        fprintf(stderr, "sipdx identity: no Identity value given\n");
        return -1;
    }
    return 0;
}

/* Reads the value from stdin for "-"; returns a malloc'd buffer or NULL. */
static char *read_stdin(size_t *n) {
    char *buf = malloc(CLI_MAX_INPUT);
    *n = buf ? fread(buf, 1, CLI_MAX_INPUT, stdin) : 0;
    return buf;
}

/* People paste whole header lines: drop a leading "Identity:" or compact "y:". */
static sx_sv strip_header_name(sx_sv v) {
    v = sx_sv_trim(v);
    const char *colon = memchr(v.p, ':', v.n < 16 ? v.n : 16);
    if (colon) {
        sx_sv name = sx_sv_trim(sx_sv_make(v.p, (size_t)(colon - v.p)));
        if (sx_sv_ieq(name, "identity") || sx_sv_ieq(name, "y"))
            v = sx_sv_trim(sx_sv_make(colon + 1, v.n - (size_t)(colon + 1 - v.p)));
    }
    return v;
}

/* Canonical E.164 digits of a number given by a person ("+1 215-555-1212"). */
static const char *canon(const char *tn, char out[16]) {
    if (!tn) return NULL;
    return sip_e164(sx_sv_make(tn, strlen(tn)), out) ? out : tn;
}

static int run(const cli_args *a, sx_sv value) {
    char err[256];
    stir_verifier *v = NULL;
    if (a->vo.key_pem || a->vo.x5u_map || a->vo.cert_dir || a->vo.trust_anchors) {
        v = stir_verifier_new(&a->vo, err, sizeof err);
        if (!v) {
            fprintf(stderr, "sipdx identity: %s\n", err);
            return 3;
        }
    }
    uint64_t at_s = 0;
    if (a->at && sx_sv_u64(sx_sv_make(a->at, strlen(a->at)), (uint64_t)1 << 40, &at_s) != 0) {
        fprintf(stderr, "sipdx identity: --at wants Unix seconds\n");
        stir_verifier_free(v);
        return 2;
    }
    stir_passport *p = malloc(sizeof *p);
    if (!p) {
        stir_verifier_free(v);
        return 4;
    }
    char c1[16], c2[16];
    stir_findings f;
    stir_vresult r;
    stir_decode(strip_header_name(value), p);
    stir_check(p, canon(a->caller, c1), canon(a->callee, c2), (sx_time)at_s * SX_SEC, &f);
    stir_verify(v, p, (sx_time)at_s * SX_SEC, &r);
    if (a->json) {
        stir_print_json(stdout, p, &f, &r);
        fputc('\n', stdout);
    } else {
        stir_print(stdout, p, &f, &r);
    }
    int rc = p->status != 0 || (r.sig != STIR_SIG_VALID && r.sig != STIR_SIG_UNVERIFIED);
    free(p);
    stir_verifier_free(v);
    return rc;
}

int stir_cli_identity(int argc, char **argv) {
    cli_args a;
    int pr = parse_args(argc, argv, &a);
    if (pr != 0) {
        usage(pr > 0 ? stdout : stderr);
        return pr > 0 ? 0 : 2;
    }
    if (strcmp(a.value, "-") != 0) return run(&a, sx_sv_make(a.value, strlen(a.value)));
    size_t n;
    char *buf = read_stdin(&n);
    if (!buf) return 4;
    int rc = run(&a, sx_sv_make(buf, n));
    free(buf);
    return rc;
}
