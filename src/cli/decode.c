/* decode.c -- `sipdx decode`: the packet and SIP layers laid bare, so a person can check
 * them by eye (text) and a script can check them field by field (json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "cli.h"
#include "pipeline.h"

enum { FMT_TEXT, FMT_JSON, FMT_NONE };

typedef struct decode_ctx {
    int fmt;
    FILE *out;
} decode_ctx;

/* ---- one message as JSON ---- */

static void json_naddr(FILE *out, int *first, const char *key, sx_sv v) {
    sip_naddr na;
    if (v.p == NULL || sip_parse_naddr(v, &na) != 0) return;
    json_key(out, first, key);
    int f = 1;
    fputc('{', out);
    json_key(out, &f, "display"), json_str(out, na.display);
    json_key(out, &f, "uri"), json_str(out, na.uri);
    json_key(out, &f, "tag"), json_str(out, na.tag);
    sip_uri u;
    char e164[16];
    if (sip_parse_uri(na.uri, &u) == 0 && sip_e164(u.user, e164)) {
        json_key(out, &f, "e164");
        json_cstr(out, e164);
    }
    fputc('}', out);
}

/* Every value of one header id as an array of raw strings (omitted when absent). */
static void json_hdr_list(FILE *out, int *first, const char *key, const sip_msg *m, int id) {
    int idx = -1, n = 0;
    sx_sv v;
    while (sip_next_hdr(m, id, &idx, &v)) {
        if (n++ == 0) json_key(out, first, key), fputc('[', out);
        else fputc(',', out);
        json_str(out, v);
    }
    if (n) fputc(']', out);
}

static void json_vias(FILE *out, int *first, const sip_msg *m) {
    sip_vit it = {0};
    sx_sv v;
    int n = 0;
    while (sip_next_value(m, SIP_H_VIA, &it, &v)) {
        sip_via via;
        if (sip_parse_via(v, &via) != 0) continue;
        if (n++ == 0) json_key(out, first, "via"), fputc('[', out);
        else fputc(',', out);
        int f = 1;
        fputc('{', out);
        json_key(out, &f, "transport"), json_str(out, via.transport);
        json_key(out, &f, "host"), json_str(out, via.host);
        json_key(out, &f, "port"), fprintf(out, "%d", via.port);
        json_key(out, &f, "branch"), json_str(out, via.branch);
        if (via.received.n) json_key(out, &f, "received"), json_str(out, via.received);
        if (via.has_rport) json_key(out, &f, "rport"), json_str(out, via.rport);
        fputc('}', out);
    }
    if (n) fputc(']', out);
}

static void json_reasons(FILE *out, int *first, const sip_msg *m) {
    sip_vit it = {0};
    sx_sv v;
    int n = 0;
    while (sip_next_value(m, SIP_H_REASON, &it, &v)) {
        sip_reason r;
        if (sip_parse_reason(v, &r) != 0) continue;
        if (n++ == 0) json_key(out, first, "reasons"), fputc('[', out);
        else fputc(',', out);
        int f = 1;
        fputc('{', out);
        json_key(out, &f, "protocol"), json_str(out, r.protocol);
        json_key(out, &f, "cause");
        r.cause >= 0 ? fprintf(out, "%d", r.cause) : fputs("null", out);
        json_key(out, &f, "text"), json_str(out, r.text);
        if (r.location.n) json_key(out, &f, "location"), json_str(out, r.location);
        fputc('}', out);
    }
    if (n) fputc(']', out);
}

static void json_callinfo(FILE *out, int *first, const sip_msg *m) {
    sip_vit it = {0};
    sx_sv v;
    int n = 0;
    while (sip_next_value(m, SIP_H_CALL_INFO, &it, &v)) {
        sip_callinfo ci;
        if (sip_parse_callinfo(v, &ci) != 0) continue;
        if (n++ == 0) json_key(out, first, "call_info"), fputc('[', out);
        else fputc(',', out);
        int f = 1;
        fputc('{', out);
        json_key(out, &f, "uri"), json_str(out, ci.uri);
        json_key(out, &f, "purpose"), json_str(out, ci.purpose);
        fputc('}', out);
    }
    if (n) fputc(']', out);
}

static void json_warnings(FILE *out, int *first, unsigned w) {
    static const struct { unsigned bit; const char *name; } names[] = {
        {SIP_W_NO_CLEN, "no_content_length"}, {SIP_W_TRAILING, "trailing_bytes"},
        {SIP_W_FOLDED, "folded_header"},       {SIP_W_MULTI_CLEN, "multiple_content_length"},
        {SIP_W_MULTI_CALLID, "multiple_call_id"}, {SIP_W_BARE_LF, "bare_lf"},
    };
    json_key(out, first, "oddities");
    fputc('[', out);
    int n = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (w & names[i].bit) fprintf(out, "%s\"%s\"", n++ ? "," : "", names[i].name);
    fputc(']', out);
}

/* The parsed fields of a valid message, without the surrounding braces. */
static void json_fields(FILE *out, int *first, const sip_msg *m) {
    json_key(out, first, "request"), fputs(m->is_request ? "true" : "false", out);
    if (m->is_request) {
        json_key(out, first, "method"), json_str(out, m->method);
        json_key(out, first, "ruri"), json_str(out, m->ruri);
    } else {
        json_key(out, first, "status"), fprintf(out, "%d", m->status);
        json_key(out, first, "reason_phrase"), json_str(out, m->reason);
    }
    json_key(out, first, "call_id"), json_str(out, m->call_id);
    json_key(out, first, "cseq"), fprintf(out, "%u", m->cseq);
    json_key(out, first, "cseq_method"), json_str(out, m->cseq_method);
    json_naddr(out, first, "from", sip_hdr_first(m, SIP_H_FROM));
    json_naddr(out, first, "to", sip_hdr_first(m, SIP_H_TO));
    json_naddr(out, first, "pai", sip_hdr_first(m, SIP_H_PAI));
    json_vias(out, first, m);
    json_hdr_list(out, first, "contact", m, SIP_H_CONTACT);
    json_reasons(out, first, m);
    json_hdr_list(out, first, "warning", m, SIP_H_WARNING);
    uint32_t ra;
    sx_sv rav = sip_hdr_first(m, SIP_H_RETRY_AFTER);
    if (rav.p && sip_parse_retry_after(rav, &ra) == 0)
        json_key(out, first, "retry_after"), fprintf(out, "%u", ra);
    json_callinfo(out, first, m);
    json_hdr_list(out, first, "identity", m, SIP_H_IDENTITY);
    static const struct { int id; const char *key; } singles[] = {
        {SIP_H_SERVER, "server"},         {SIP_H_USER_AGENT, "user_agent"},
        {SIP_H_SESSION_ID, "session_id"}, {SIP_H_X_CID, "x_cid"},
        {SIP_H_P_CHARGING_VECTOR, "p_charging_vector"}, {SIP_H_DATE, "date"},
        {SIP_H_MAX_FORWARDS, "max_forwards"}, {SIP_H_CONTENT_TYPE, "content_type"},
    };
    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
        sx_sv v = sip_hdr_first(m, singles[i].id);
        if (v.p) json_key(out, first, singles[i].key), json_str(out, v);
    }
    json_hdr_list(out, first, "record_route", m, SIP_H_RECORD_ROUTE);
    json_key(out, first, "content_length");
    m->content_length >= 0 ? fprintf(out, "%lld", (long long)m->content_length)
                           : fputs("null", out);
    json_key(out, first, "body_len"), fprintf(out, "%zu", m->body.n);
    json_key(out, first, "headers"), fprintf(out, "%u", m->nhdrs);
    json_warnings(out, first, m->warn);
}

/* First line of raw bytes, for showing a malformed message. */
static sx_sv first_line(const char *buf, size_t len) {
    size_t n = 0;
    while (n < len && n < 200 && buf[n] != '\r' && buf[n] != '\n') n++;
    return sx_sv_make(buf, n);
}

static void json_error(FILE *out, int *first, int rc, const char *buf, size_t len) {
    json_key(out, first, "error"), json_cstr(out, sip_err_name(rc));
    json_key(out, first, "error_text"), json_cstr(out, sip_err_desc(rc));
    json_key(out, first, "first_line"), json_str(out, first_line(buf, len));
}

static void print_json(FILE *out, const sx_msgmeta *meta, const char *buf, size_t len, int rc,
                       const sip_msg *m) {
    char ep[SX_ENDPOINT_STRLEN];
    int first = 1;
    fputc('{', out);
    json_key(out, &first, "t"), json_time(out, meta->ts, 6);
    json_key(out, &first, "frame"), fprintf(out, "%llu", (unsigned long long)meta->frame);
    json_key(out, &first, "src"), json_cstr(out, sx_endpoint_str(&meta->src, meta->sport, ep));
    json_key(out, &first, "dst"), json_cstr(out, sx_endpoint_str(&meta->dst, meta->dport, ep));
    json_key(out, &first, "transport"), json_cstr(out, sx_transport_name(meta->transport));
    if (meta->hep) json_key(out, &first, "hep"), fprintf(out, "%u", meta->hep);
    json_key(out, &first, "valid"), fputs(rc > 0 ? "true" : "false", out);
    if (rc > 0) json_fields(out, &first, m);
    else json_error(out, &first, rc, buf, len);
    fputs("}\n", out);
}

static void print_text(FILE *out, const sx_msgmeta *meta, const char *buf, size_t len, int rc,
                       const sip_msg *m) {
    char t[32], s[SX_ENDPOINT_STRLEN], d[SX_ENDPOINT_STRLEN];
    fprintf(out, "%s  %s -> %s  %s%s  ", sx_time_str(meta->ts, 6, t),
            sx_endpoint_str(&meta->src, meta->sport, s),
            sx_endpoint_str(&meta->dst, meta->dport, d), sx_transport_name(meta->transport),
            meta->hep ? "/HEP" : "");
    if (rc > 0) fprintf(out, "%.*s\n", SX_SV_FMT(m->start_line));
    else fprintf(out, "MALFORMED(%s) %.*s\n", sip_err_name(rc), SX_SV_FMT(first_line(buf, len)));
}

static void decode_sink(void *ud, const sx_msgmeta *meta, const char *buf, size_t len, int rc,
                        const sip_msg *m) {
    decode_ctx *c = ud;
    if (c->fmt == FMT_JSON) print_json(c->out, meta, buf, len, rc, m);
    else if (c->fmt == FMT_TEXT) print_text(c->out, meta, buf, len, rc, m);
}

/* ---- --raw: one message from a text file ---- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return NULL;
    size_t bufcap = 1 << 16, n = 0;
    char *buf = malloc(bufcap);
    while (buf) {
        size_t got = fread(buf + n, 1, bufcap - n, f);
        n += got;
        if (got == 0) break;
        if (n == bufcap) {
            if (bufcap >= (16u << 20)) break; /* 16 MiB: more is not one SIP message */
            char *nb = realloc(buf, bufcap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            buf = nb;
        }
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

/* Prints a header value with each folded line break (CRLF + white space) as one space,
 * RFC 3261 §7.3.1, so each header stays on one output line. */
static void print_unfolded(FILE *out, sx_sv v) {
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '\r' || v.p[i] == '\n') {
            while (i + 1 < v.n && (v.p[i + 1] == '\r' || v.p[i + 1] == '\n' ||
                                   v.p[i + 1] == ' ' || v.p[i + 1] == '\t'))
                i++;
            fputc(' ', out);
        } else {
            fputc(v.p[i], out);
        }
    }
}

/* The typed values call diagnosis reads, so a person sees what sipdx understood. */
static void print_typed(FILE *out, const sip_msg *m) {
    static const struct { int id; const char *label; } parties[] = {
        {SIP_H_FROM, "from"}, {SIP_H_TO, "to"}, {SIP_H_PAI, "pai"}};
    for (size_t i = 0; i < sizeof parties / sizeof parties[0]; i++) {
        sip_naddr na;
        sip_uri u;
        char e164[16] = "";
        sx_sv v = sip_hdr_first(m, parties[i].id);
        if (!v.p || sip_parse_naddr(v, &na) != 0) continue;
        if (sip_parse_uri(na.uri, &u) == 0) sip_e164(u.user, e164);
        fprintf(out, "%s: uri=%.*s display=\"%.*s\" tag=%.*s e164=%s\n", parties[i].label,
                SX_SV_FMT(na.uri), SX_SV_FMT(na.display), SX_SV_FMT(na.tag), e164[0] ? e164 : "-");
    }
    sip_vit it = {0};
    sx_sv v;
    while (sip_next_value(m, SIP_H_VIA, &it, &v)) {
        sip_via via;
        if (sip_parse_via(v, &via) == 0)
            fprintf(out, "via: %.*s %.*s:%d branch=%.*s\n", SX_SV_FMT(via.transport),
                    SX_SV_FMT(via.host), via.port, SX_SV_FMT(via.branch));
    }
    sip_vit rit = {0};
    while (sip_next_value(m, SIP_H_REASON, &rit, &v)) {
        sip_reason r;
        if (sip_parse_reason(v, &r) == 0)
            fprintf(out, "reason: protocol=%.*s cause=%d text=\"%.*s\"\n", SX_SV_FMT(r.protocol),
                    r.cause, SX_SV_FMT(r.text));
    }
}

static void print_raw_text(FILE *out, const sip_msg *m) {
    fprintf(out, "start-line: %.*s\n", SX_SV_FMT(m->start_line));
    if (m->is_request)
        fprintf(out, "method: %.*s\nrequest-uri: %.*s\n", SX_SV_FMT(m->method), SX_SV_FMT(m->ruri));
    else
        fprintf(out, "status: %d\nreason: %.*s\n", m->status, SX_SV_FMT(m->reason));
    fprintf(out, "call-id: %.*s\ncseq: %u %.*s\n", SX_SV_FMT(m->call_id), m->cseq,
            SX_SV_FMT(m->cseq_method));
    for (unsigned i = 0; i < m->nhdrs; i++) {
        const sip_hdr *h = &m->hdrs[i];
        /* Canonical name, and the name as written when it differs (compact form, case). */
        const char *canon = h->id ? sip_hdr_name(h->id) : NULL;
        if (canon && !sx_sv_eq(h->name, canon))
            fprintf(out, "header: %s (%.*s): ", canon, SX_SV_FMT(h->name));
        else
            fprintf(out, "header: %.*s: ", SX_SV_FMT(h->name));
        print_unfolded(out, h->value);
        fputc('\n', out);
    }
    print_typed(out, m);
    fprintf(out, "body: %zu bytes\n", m->body.n);
}

static int decode_raw(char **files, int n, int fmt) {
    int bad = 0;
    sip_msg m;
    for (int i = 0; i < n; i++) {
        size_t len;
        char *buf = read_file(files[i], &len);
        if (!buf) {
            fprintf(stderr, "sipdx: cannot read %s\n", files[i]);
            return SX_EXIT_NOINPUT;
        }
        int rc = sip_parse(buf, len, 0, &m);
        if (fmt == FMT_JSON) {
            int first = 1;
            fputc('{', stdout);
            json_key(stdout, &first, "file"), json_cstr(stdout, files[i]);
            json_key(stdout, &first, "valid"), fputs(rc > 0 ? "true" : "false", stdout);
            if (rc > 0) json_fields(stdout, &first, &m);
            else json_error(stdout, &first, rc, buf, len);
            fputs("}\n", stdout);
        } else if (rc > 0) {
            if (n > 1) printf("== %s\n", files[i]);
            print_raw_text(stdout, &m);
        } else {
            printf("%s: malformed: %s: %s\n", files[i], sip_err_name(rc), sip_err_desc(rc));
        }
        bad |= rc <= 0;
        free(buf);
    }
    return bad ? SX_EXIT_DATA : SX_EXIT_OK;
}

int cmd_decode(int argc, char **argv) {
    int fmt = FMT_TEXT, raw = 0, quiet = 0, progress = 1, missing = 0, nfiles = 0;
    pipe_opts po = {0};
    char **files = calloc((size_t)argc, sizeof *files);
    const char *v;
    for (int i = 1; i < argc; i++) {
        if ((v = sx_optval(argc, argv, &i, "--format", &missing))) {
            fmt = !strcmp(v, "json") ? FMT_JSON : !strcmp(v, "none") ? FMT_NONE
                  : !strcmp(v, "text") ? FMT_TEXT : -1;
            if (fmt < 0) {
                fprintf(stderr, "sipdx decode: unknown format '%s' (text, json, none)\n", v);
                free(files);
                return SX_EXIT_USAGE;
            }
        } else if ((v = sx_optval(argc, argv, &i, "--live", &missing))) po.live_if = v;
        else if ((v = sx_optval(argc, argv, &i, "--filter", &missing))) po.filter = v;
        else if ((v = sx_optval(argc, argv, &i, "--max-frames", &missing)))
            po.max_frames = strtoull(v, NULL, 10);
        else if (!strcmp(argv[i], "--raw")) raw = 1;
        else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) quiet = 1;
        else if (!strcmp(argv[i], "--progress")) progress = 2;
        else if (argv[i][0] == '-' && argv[i][1] != '\0' && !missing) {
            fprintf(stderr, "sipdx decode: unknown option '%s' (see sipdx decode --help)\n", argv[i]);
            free(files);
            return SX_EXIT_USAGE;
        } else if (!missing) files[nfiles++] = argv[i];
        if (missing) {
            fprintf(stderr, "sipdx decode: %s needs a value\n", argv[i]);
            free(files);
            return SX_EXIT_USAGE;
        }
    }
    if (nfiles == 0 && !po.live_if) {
        fprintf(stderr, "sipdx decode: no input (see sipdx decode --help)\n");
        free(files);
        return SX_EXIT_USAGE;
    }
    if (raw) {
        int rc = decode_raw(files, nfiles, fmt);
        free(files);
        return rc;
    }
    po.paths = (const char *const *)files;
    po.npaths = nfiles;
    po.progress = progress;
    decode_ctx ctx = {.fmt = fmt, .out = stdout};
    pipe_result res;
    char err[512];
    int rc = pipe_run(&po, decode_sink, NULL, &ctx, &res, err, sizeof err);
    free(files);
    if (rc != 0) {
        fprintf(stderr, "sipdx: %s\n", err);
        return rc == SX_ENOMEM ? SX_EXIT_INTERNAL : SX_EXIT_NOINPUT;
    }
    if (fmt == FMT_JSON) {
        fputs("{\"tally\":", stdout);
        tally_json(&res.tally, stdout);
        fputs("}\n", stdout);
    } else if (!quiet) {
        tally_print(&res.tally, stdout);
        double mb = (double)res.tally.bytes_read / 1e6;
        fprintf(stderr, "read %.1f MB in %.2f s (%.0f MB/s)\n", mb, res.seconds,
                res.seconds > 0 ? mb / res.seconds : 0.0);
    }
    return res.failed_sources ? SX_EXIT_DATA : SX_EXIT_OK;
}
