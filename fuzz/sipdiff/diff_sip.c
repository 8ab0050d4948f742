/* diff_sip.c -- differential fuzzer: the SIP parser of a baseline commit (its symbols renamed
 * ref_*, built by run.sh) against the working tree's, on the same bytes. Any difference in a
 * return code, a warn bit or a view (pointer AND length) aborts: a speed-up of src/sip must
 * leave every observable result as it was. Not part of make check (it needs two builds). */
#include "sip/sip.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ref_sip_parse(const char *buf, size_t len, unsigned flags, sip_msg *m);
int ref_sip_parse_uri(sx_sv text, sip_uri *u);
int ref_sip_param(sx_sv params, const char *name, sx_sv *value);
int ref_sip_parse_naddr(sx_sv value, sip_naddr *na);
int ref_sip_parse_via(sx_sv value, sip_via *v);
int ref_sip_parse_reason(sx_sv value, sip_reason *r);
int ref_sip_parse_callinfo(sx_sv value, sip_callinfo *ci);
int ref_sip_parse_warning(sx_sv value, sip_warning *w);
int ref_sip_parse_retry_after(sx_sv value, uint32_t *seconds);
size_t ref_sip_e164(sx_sv user, char out[16]);
int ref_sip_next_value(const sip_msg *m, int id, sip_vit *it, sx_sv *value);
int ref_sip_hdr_lookup(const char *name, size_t n);
long ref_sip_frame_len(const char *buf, size_t len, size_t max_hdr);
int ref_sip_looks_like_start(const char *buf, size_t len);
int ref_sip_method_id(sx_sv method);
int ref_sip_next_hdr(const sip_msg *m, int id, int *idx, sx_sv *value);
sx_sv ref_sip_hdr_first(const sip_msg *m, int id);
sx_sv ref_sip_hdr_by_name(const sip_msg *m, const char *name);

static const char *what;
static void fail(const char *f, int line) {
    fprintf(stderr, "DIFF %s at %s line %d\n", what, f, line);
    abort();
}
#define CK(c) do { if (!(c)) fail(#c, __LINE__); } while (0)
#define SV(a, b) CK((a).p == (b).p && (a).n == (b).n)

static void cmp_uri(const sip_uri *a, const sip_uri *b) {
    SV(a->scheme, b->scheme); SV(a->user, b->user); SV(a->password, b->password);
    SV(a->host, b->host); CK(a->port == b->port); SV(a->params, b->params);
    SV(a->headers, b->headers); SV(a->rest, b->rest);
}
static void cmp_naddr(const sip_naddr *a, const sip_naddr *b) {
    SV(a->display, b->display); SV(a->uri, b->uri); SV(a->params, b->params); SV(a->tag, b->tag);
}
static void cmp_via(const sip_via *a, const sip_via *b) {
    SV(a->proto, b->proto); SV(a->transport, b->transport); SV(a->host, b->host);
    CK(a->port == b->port); SV(a->branch, b->branch); SV(a->received, b->received);
    SV(a->rport, b->rport); CK(a->has_rport == b->has_rport); SV(a->params, b->params);
    SV(a->version, b->version);
}

static void values(sx_sv v) {
    sip_uri u1, u2; sip_naddr n1, n2; sip_via v1, v2; sip_reason r1, r2;
    sip_callinfo c1, c2; sip_warning w1, w2; uint32_t s1 = 7, s2 = 7; sx_sv p1 = {0}, p2 = {0};
    char e1[16], e2[16];
    what = "uri"; CK(sip_parse_uri(v, &u1) == ref_sip_parse_uri(v, &u2)); cmp_uri(&u1, &u2);
    what = "naddr"; int rn = sip_parse_naddr(v, &n1); CK(rn == ref_sip_parse_naddr(v, &n2)); cmp_naddr(&n1, &n2);
    if (rn == 0) { what = "naddr-uri"; CK(sip_parse_uri(n1.uri, &u1) == ref_sip_parse_uri(n1.uri, &u2)); cmp_uri(&u1, &u2);
        what = "e164"; CK(sip_e164(u1.user, e1) == ref_sip_e164(u1.user, e2)); CK(strcmp(e1, e2) == 0);
        what = "naddr-param"; CK(sip_param(n1.params, "tag", &p1) == ref_sip_param(n1.params, "tag", &p2)); SV(p1, p2); }
    what = "via"; CK(sip_parse_via(v, &v1) == ref_sip_parse_via(v, &v2)); cmp_via(&v1, &v2);
    what = "reason"; CK(sip_parse_reason(v, &r1) == ref_sip_parse_reason(v, &r2));
    SV(r1.protocol, r2.protocol); CK(r1.cause == r2.cause); SV(r1.text, r2.text); SV(r1.location, r2.location); SV(r1.params, r2.params);
    what = "callinfo"; CK(sip_parse_callinfo(v, &c1) == ref_sip_parse_callinfo(v, &c2));
    SV(c1.uri, c2.uri); SV(c1.purpose, c2.purpose); SV(c1.params, c2.params);
    what = "warning"; CK(sip_parse_warning(v, &w1) == ref_sip_parse_warning(v, &w2));
    CK(w1.code == w2.code); SV(w1.agent, w2.agent); SV(w1.text, w2.text);
    what = "retry"; CK(sip_parse_retry_after(v, &s1) == ref_sip_parse_retry_after(v, &s2)); CK(s1 == s2);
    static const char *names[] = {"tag", "branch", "received", "rport", "user", "info", "TAG", "lr"};
    for (int i = 0; i < 8; i++) {
        what = "param"; p1 = p2 = (sx_sv){0};
        CK(sip_param(v, names[i], &p1) == ref_sip_param(v, names[i], &p2)); SV(p1, p2);
    }
    what = "e164v"; CK(sip_e164(v, e1) == ref_sip_e164(v, e2)); CK(strcmp(e1, e2) == 0);
    what = "lookup"; CK(sip_hdr_lookup(v.p, v.n < 24 ? v.n : 24) == ref_sip_hdr_lookup(v.p, v.n < 24 ? v.n : 24));
    what = "method"; CK(sip_method_id(v) == ref_sip_method_id(v));
}

static void msgs(const char *buf, size_t size, unsigned flags) {
    static sip_msg a, b;
    memset(&a, 0x5a, sizeof a); memset(&b, 0x5a, sizeof b);
    int ra = sip_parse(buf, size, flags, &a), rb = ref_sip_parse(buf, size, flags, &b);
    what = "rc"; if (ra != rb) { fprintf(stderr, "rc %d vs ref %d\n", ra, rb); fail("rc", __LINE__); }
    if (ra <= 0) return;
    what = "msg";
    CK(a.is_request == b.is_request); SV(a.method, b.method); CK(a.method_id == b.method_id);
    SV(a.ruri, b.ruri); CK(a.status == b.status); SV(a.reason, b.reason); SV(a.start_line, b.start_line);
    CK(a.nhdrs == b.nhdrs);
    for (int i = 0; i < a.nhdrs; i++) { CK(a.hdrs[i].id == b.hdrs[i].id); SV(a.hdrs[i].name, b.hdrs[i].name); SV(a.hdrs[i].value, b.hdrs[i].value); }
    CK(memcmp(a.first, b.first, sizeof a.first) == 0);
    SV(a.call_id, b.call_id); CK(a.cseq == b.cseq); SV(a.cseq_method, b.cseq_method);
    CK(a.cseq_method_id == b.cseq_method_id); CK(a.content_length == b.content_length);
    SV(a.body, b.body); CK(a.len == b.len); CK(a.warn == b.warn); CK(a.has_addr == b.has_addr);
    cmp_naddr(&a.from, &b.from); cmp_naddr(&a.to, &b.to); cmp_via(&a.via, &b.via);
    for (int i = 0; i < a.nhdrs; i++) values(a.hdrs[i].value);
    values(a.ruri);
    static const char *hnames[] = {"Via", "v", "FROM", "t", "Call-ID", "X-Unknown", "Identity"};
    for (int i = 0; i < 7; i++) {
        what = "by_name"; SV(sip_hdr_by_name(&a, hnames[i]), ref_sip_hdr_by_name(&a, hnames[i]));
    }
    for (int id = 0; id < SIP_H__COUNT; id++) {
        what = "hdr_first"; SV(sip_hdr_first(&a, id), ref_sip_hdr_first(&a, id));
        int x1 = -1, x2 = -1, q1, q2; sx_sv w1, w2;
        do { what = "next_hdr"; q1 = sip_next_hdr(&a, id, &x1, &w1); q2 = ref_sip_next_hdr(&a, id, &x2, &w2);
             CK(q1 == q2); CK(x1 == x2); if (q1) SV(w1, w2); } while (q1);
    }
    for (int id = 0; id < SIP_H__COUNT; id++) {
        sip_vit i1 = {0}, i2 = {0}; sx_sv v1, v2; int r1, r2;
        do { what = "next_value"; r1 = sip_next_value(&a, id, &i1, &v1); r2 = ref_sip_next_value(&a, id, &i2, &v2);
             CK(r1 == r2); if (r1) { SV(v1, v2); values(v1); } } while (r1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *buf = (const char *)data;
    msgs(buf, size, 0);
    msgs(buf, size, SIP_P_STREAM);
    what = "frame"; CK(sip_frame_len(buf, size, 8192) == ref_sip_frame_len(buf, size, 8192));
    what = "looks"; CK(sip_looks_like_start(buf, size) == ref_sip_looks_like_start(buf, size));
    values((sx_sv){buf, size});
    return 0;
}
