/* test_sip.c -- the SIP parser on hand-written messages: framing, header names (compact,
 * any case, SP before ':'), folding, multi-values, every typed accessor with values seen in
 * real call-blocking traffic, and one malformed message per error code. */
#include "sip/sip.h"
#include "sip/sip_int.h"
#include "harness.h"

/* Parses a C string; the message must not be used after the next call. */
static sip_msg M;
static int parse(const char *s, unsigned flags) { return sip_parse(s, strlen(s), flags, &M); }

#define INVITE_HEAD                                                                        \
    "INVITE sip:+12025550123@sbc.example.net;user=phone SIP/2.0\r\n"                       \
    "Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bK776asdhds;rport\r\n"              \
    "Via: SIP/2.0/TCP 192.0.2.7:5070;received=198.51.100.9;branch=z9hG4bK1\r\n"           \
    "Max-Forwards: 69\r\n"                                                                   \
    "From: \"Alice \\\"A\\\" Smith\" <sip:+13035551111@carrier.example.com>;tag=9fxced76sl\r\n" \
    "To: <sip:+12025550123@sbc.example.net;user=phone>\r\n"                                \
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"                                 \
    "CSeq: 314159 INVITE\r\n"                                                                \
    "Contact: <sip:alice@192.0.2.7:5070;transport=tcp>\r\n"                                \
    "P-Asserted-Identity: \"Alice\" <sip:+13035551111@carrier.example.com>, <tel:+1-303-555-1111>\r\n" \
    "P-Charging-Vector: icid-value=1234bc9876e;icid-generated-at=192.0.2.7;orig-ioi=home1.net\r\n" \
    "Identity: eyJhbGciOiJFUzI1NiJ9.eyJvcmlnIjp7InRuIjoiMTMwMzU1NTExMTEifX0.c2lnbmF0dXJl;" \
    "info=<https://cert.example.org/passport.cer>;alg=ES256;ppt=shaken\r\n"              \
    "Content-Type: application/sdp\r\n"

static const char invite[] = INVITE_HEAD "Content-Length: 4\r\n\r\nv=0\n";

static void test_basic(void) {
    int n = parse(invite, 0);
    CHECK_INT(n, (int)strlen(invite));
    CHECK_INT(M.is_request, 1);
    CHECK_SV(M.method, "INVITE");
    CHECK_INT(M.method_id, SIP_M_INVITE);
    CHECK_SV(M.ruri, "sip:+12025550123@sbc.example.net;user=phone");
    CHECK_SV(M.call_id, "3848276298220188511@atlanta.example.com");
    CHECK_INT(M.cseq, 314159);
    CHECK_SV(M.cseq_method, "INVITE");
    CHECK_INT(M.cseq_method_id, SIP_M_INVITE);
    CHECK_INT(M.content_length, 4);
    CHECK_SV(M.body, "v=0\n");
    CHECK_INT(M.warn, 0);
    CHECK_INT(M.nhdrs, 13);
    CHECK_SV(M.hdrs[0].name, "Via");
    CHECK_INT(M.first[SIP_H_VIA], 0);
    CHECK_INT(M.first[SIP_H_REASON], -1);
    CHECK_SV(sip_hdr_first(&M, SIP_H_MAX_FORWARDS), "69");
    CHECK(sip_hdr_first(&M, SIP_H_REASON).p == NULL);
    CHECK_SV(M.start_line, "INVITE sip:+12025550123@sbc.example.net;user=phone SIP/2.0");
    /* same message on a stream: consumed exactly */
    CHECK_INT(parse(invite, SIP_P_STREAM), (int)strlen(invite));
}

static void test_status_line(void) {
    const char *r = "SIP/2.0 603 Decline\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                    "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
                    "CSeq: 1 INVITE\r\n"
                    "Reason: SIP;cause=608;text=\"Rejected\"\r\nContent-Length: 0\r\n\r\n";
    CHECK(parse(r, 0) > 0);
    CHECK_INT(M.is_request, 0);
    CHECK_INT(M.status, 603);
    CHECK_SV(M.reason, "Decline");
    CHECK_SV(M.cseq_method, "INVITE"); /* responses keep their request's method */
    CHECK_INT(M.method.n, 0);
    /* lower-case version is accepted (ABNF literals are case-insensitive, RFC 5234 §2.3) */
    const char *r2 = "sip/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>;tag=1\r\n"
                     "To: <sip:c@d>\r\ni: x\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
    CHECK(parse(r2, 0) > 0);
    CHECK_INT(M.status, 180);
}

static void test_header_names(void) {
    /* every compact form of RFC 3261 §7.3.3 and the IANA registry, both cases */
    static const struct { char c; int id; } cf[] = {
        {'a', SIP_H_ACCEPT_CONTACT}, {'b', SIP_H_REFERRED_BY}, {'c', SIP_H_CONTENT_TYPE},
        {'d', SIP_H_REQUEST_DISPOSITION}, {'e', SIP_H_CONTENT_ENCODING}, {'f', SIP_H_FROM},
        {'i', SIP_H_CALL_ID}, {'j', SIP_H_REJECT_CONTACT}, {'k', SIP_H_SUPPORTED},
        {'l', SIP_H_CONTENT_LENGTH}, {'m', SIP_H_CONTACT}, {'o', SIP_H_EVENT},
        {'r', SIP_H_REFER_TO}, {'s', SIP_H_SUBJECT}, {'t', SIP_H_TO},
        {'u', SIP_H_ALLOW_EVENTS}, {'v', SIP_H_VIA}, {'x', SIP_H_SESSION_EXPIRES},
        {'y', SIP_H_IDENTITY},
    };
    for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++) {
        char up = (char)(cf[i].c - 32);
        CHECK_INT(sip_hdr_lookup(&cf[i].c, 1), cf[i].id);
        CHECK_INT(sip_hdr_lookup(&up, 1), cf[i].id);
    }
    CHECK_INT(sip_hdr_lookup("n", 1), SIP_H_OTHER); /* Identity-Info: obsolete */
    CHECK_INT(sip_hdr_lookup("z", 1), SIP_H_OTHER);
    /* every long name round-trips through its canonical spelling, in any case */
    for (int id = 1; id < SIP_H__COUNT; id++) {
        const char *nm = sip_hdr_name(id);
        char low[32];
        size_t n = strlen(nm);
        for (size_t i = 0; i <= n; i++) low[i] = (char)((nm[i] >= 'A' && nm[i] <= 'Z') ? nm[i] + 32 : nm[i]);
        CHECK_MSG(sip_hdr_lookup(nm, n) == id, "lookup(%s)", nm);
        CHECK_MSG(sip_hdr_lookup(low, n) == id, "lookup(%s)", low);
    }
    CHECK_INT(sip_hdr_lookup("P-Asserted-Identit", 18), SIP_H_OTHER);
    CHECK_INT(sip_hdr_lookup("X-Cid", 5), SIP_H_X_CID);
    CHECK_INT(sip_hdr_lookup("WWW-Authenticate", 16), SIP_H_OTHER);
    CHECK_STR(sip_hdr_name(SIP_H_CALL_ID), "Call-ID");

    /* compact forms, odd case and SP/HTAB before ':' in a message */
    const char *s = "OPTIONS sip:x@example.com SIP/2.0\r\n"
                    "v : SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
                    "F\t: <sip:a@example.com>;tag=7\r\n"
                    "t: sip:x@example.com\r\n"
                    "I: abc@h\r\n"
                    "cSeQ: 2 OPTIONS\r\n"
                    "y: sig1;info=<https://a/1>\r\n"
                    "IDENTITY: sig2;info=<https://a/2>\r\n"
                    "X-Custom-Thing: hello\r\n"
                    "l: 0\r\n\r\n";
    CHECK(parse(s, SIP_P_STREAM) > 0);
    CHECK_SV(M.call_id, "abc@h");
    CHECK_SV(M.hdrs[1].name, "F");
    CHECK_INT(M.hdrs[1].id, SIP_H_FROM);
    CHECK_SV(sip_hdr_by_name(&M, "Call-ID"), "abc@h");
    CHECK_SV(sip_hdr_by_name(&M, "i"), "abc@h");
    CHECK_SV(sip_hdr_by_name(&M, "x-custom-thing"), "hello");
    CHECK(sip_hdr_by_name(&M, "X-Absent").p == NULL);
    /* Identity repeats (RFC 8224 §4): two headers, each one value, in order */
    int idx = -1, k = 0;
    sx_sv v;
    while (sip_next_hdr(&M, SIP_H_IDENTITY, &idx, &v)) {
        CHECK_SV(v, k == 0 ? "sig1;info=<https://a/1>" : "sig2;info=<https://a/2>");
        k++;
    }
    CHECK_INT(k, 2);
}

static int count_values(int id, const char *const *want, int nwant) {
    sip_vit it = {0};
    sx_sv v;
    int k = 0;
    while (sip_next_value(&M, id, &it, &v)) {
        if (k < nwant) CHECK_MSG(v.n == strlen(want[k]) && memcmp(v.p, want[k], v.n) == 0,
                                 "value %d = '%.*s', want '%s'", k, (int)v.n, v.p, want[k]);
        k++;
    }
    return k;
}

static void test_multi_values(void) {
    const char *s =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com\r\n"
        "From: \"Smith, Bob\" <sip:bob@example.com>;tag=1\r\n"
        "To: <sip:c@example.com>;tag=2\r\n"
        "Call-ID: cid\r\nCSeq: 7 INVITE\r\n"
        "Via: SIP/2.0/TCP c.example.com\r\n"
        "Contact: \"Q, \\\"x,y\\\"\" <sip:q@h;p=a,b>;expires=3, <sip:r@h>,,\r\n"
        "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
        "WWW-Authenticate: Digest realm=\"a\", nonce=\"b\"\r\n"
        "Reason: Q.850;cause=16;text=\"Normal, clearing\", SIP;cause=200;text=\"Call completed elsewhere\"\r\n"
        "Content-Length: 0\r\n\r\n";
    CHECK(parse(s, 0) > 0);
    static const char *const via[] = {"SIP/2.0/UDP a.example.com;branch=z9hG4bK1",
                                      "SIP/2.0/UDP b.example.com", "SIP/2.0/TCP c.example.com"};
    CHECK_INT(count_values(SIP_H_VIA, via, 3), 3);
    static const char *const ct[] = {"\"Q, \\\"x,y\\\"\" <sip:q@h;p=a,b>;expires=3", "<sip:r@h>"};
    CHECK_INT(count_values(SIP_H_CONTACT, ct, 2), 2);
    static const char *const date[] = {"Sat, 13 Nov 2010 23:29:00 GMT"};
    CHECK_INT(count_values(SIP_H_DATE, date, 1), 1); /* Date is never split */
    static const char *const from[] = {"\"Smith, Bob\" <sip:bob@example.com>;tag=1"};
    CHECK_INT(count_values(SIP_H_FROM, from, 1), 1);
    static const char *const www[] = {"Digest realm=\"a\", nonce=\"b\""};
    CHECK_INT(count_values(SIP_H_OTHER, www, 1), 1); /* credentials are never split */
    sip_vit it = {0};
    sx_sv v;
    sip_reason r;
    CHECK(sip_next_value(&M, SIP_H_REASON, &it, &v));
    CHECK_INT(sip_parse_reason(v, &r), 0);
    CHECK_INT(r.cause, 16);
    CHECK_SV(r.text, "Normal, clearing");
    CHECK(sip_next_value(&M, SIP_H_REASON, &it, &v));
    CHECK_INT(sip_parse_reason(v, &r), 0);
    CHECK_SV(r.protocol, "SIP");
    CHECK_INT(r.cause, 200);
    CHECK(!sip_next_value(&M, SIP_H_REASON, &it, &v));
    CHECK(!sip_next_value(&M, SIP_H_REASON, &it, &v)); /* stays done */
    sip_vit none = {0};
    CHECK(!sip_next_value(&M, SIP_H_PAI, &none, &v));
}

static void test_folding(void) {
    const char *s = "BYE sip:x@example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP\r\n  h.example.com\r\n\t;branch=z9hG4bK9\r\n"
                    "From:\r\n <sip:a@example.com>\r\n ;tag=5\r\n"
                    "To: <sip:x@example.com>;tag=6\r\n"
                    "Call-ID: c1\r\n"
                    "CSeq: 4\r\n BYE\r\n"
                    "Reason: Q.850\r\n ;cause=21\r\n ;text=\"Call rejected\"\r\n"
                    "Content-Length: 0\r\n\r\n";
    CHECK(parse(s, SIP_P_STREAM) > 0);
    CHECK(M.warn & SIP_W_FOLDED);
    CHECK_INT(M.cseq, 4);
    CHECK_SV(M.cseq_method, "BYE");
    CHECK_SV(sip_hdr_first(&M, SIP_H_VIA), "SIP/2.0/UDP\r\n  h.example.com\r\n\t;branch=z9hG4bK9");
    sip_via via;
    CHECK_INT(sip_parse_via(sip_hdr_first(&M, SIP_H_VIA), &via), 0);
    CHECK_SV(via.host, "h.example.com");
    CHECK_SV(via.branch, "z9hG4bK9");
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_FROM), &na), 0);
    CHECK_SV(na.uri, "sip:a@example.com");
    CHECK_SV(na.tag, "5");
    sip_reason r;
    CHECK_INT(sip_parse_reason(sip_hdr_first(&M, SIP_H_REASON), &r), 0);
    CHECK_SV(r.protocol, "Q.850");
    CHECK_INT(r.cause, 21);
    CHECK_SV(r.text, "Call rejected");
}

static void test_line_endings(void) {
    const char *s = "\r\n\r\nOPTIONS sip:x@h SIP/2.0\nVia: SIP/2.0/UDP h\nFrom: <sip:a@h>;tag=1\n"
                    "To: <sip:x@h>\nCall-ID: lf\nCSeq: 1 OPTIONS\nContent-Length: 2\n\nok";
    int n = parse(s, 0);
    CHECK_INT(n, (int)strlen(s)); /* leading CRLFs (RFC 3261 §7.5) are consumed */
    CHECK(M.warn & SIP_W_BARE_LF);
    CHECK_SV(M.body, "ok");
    CHECK_INT(M.len, strlen(s) - 4);
    /* only keep-alive CRLFs: nothing to parse yet */
    CHECK_INT(parse("\r\n\r\n", SIP_P_STREAM), SIP_EINCOMPLETE);
}

static void test_stream(void) {
    char two[2 * sizeof invite];
    size_t n = strlen(invite);
    memcpy(two, invite, n);
    memcpy(two + n, invite, n);
    CHECK_INT(sip_parse(two, 2 * n, SIP_P_STREAM, &M), (int)n);
    CHECK_INT(sip_parse(two + n, n, SIP_P_STREAM, &M), (int)n);
    /* datagram mode: the second message is trailing octets (RFC 4475 §3.1.1.8) */
    CHECK_INT(sip_parse(two, 2 * n, 0, &M), (int)n);
    CHECK(M.warn & SIP_W_TRAILING);
    /* every prefix of a stream message is incomplete, never an error or a success */
    int bad = 0;
    for (size_t k = 0; k < n; k++)
        if (sip_parse(invite, k, SIP_P_STREAM, &M) != SIP_EINCOMPLETE)
            fprintf(stderr, "prefix %zu: %d\n", k, bad++);
    CHECK_INT(bad, 0);
}

static void test_content_length(void) {
    const char *base = "MESSAGE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\n"
                       "To: <sip:x@h>\r\nCall-ID: cl\r\nCSeq: 1 MESSAGE\r\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%sContent-Length: 10\r\n\r\nabc", base);
    CHECK_INT(parse(buf, 0), SIP_ECLEN);            /* RFC 4475 §3.1.2.2 */
    CHECK_INT(parse(buf, SIP_P_STREAM), SIP_EINCOMPLETE);
    snprintf(buf, sizeof buf, "%sContent-Length: -3\r\n\r\nabc", base);
    CHECK_INT(parse(buf, 0), SIP_ECLEN);
    snprintf(buf, sizeof buf, "%sContent-Length: 18446744073709551617\r\n\r\nabc", base);
    CHECK_INT(parse(buf, SIP_P_STREAM), SIP_ECLEN);
    snprintf(buf, sizeof buf, "%sContent-Length: 3\r\nl: 2\r\n\r\nabc", base);
    CHECK(parse(buf, 0) > 0);
    CHECK(M.warn & SIP_W_MULTI_CLEN);
    CHECK_INT(M.content_length, 3);
    snprintf(buf, sizeof buf, "%s\r\nabc", base);
    CHECK(parse(buf, 0) > 0);
    CHECK(M.warn & SIP_W_NO_CLEN);
    CHECK_INT(M.content_length, -1);
    CHECK_SV(M.body, "abc");
    CHECK_INT(parse(buf, SIP_P_STREAM), SIP_ECLEN); /* mandatory on streams, RFC 3261 §18.3 */
    /* a datagram that ends after a header line without the blank line */
    snprintf(buf, sizeof buf, "%sl: 0\r\n", base);
    CHECK(parse(buf, 0) > 0);
    CHECK(M.warn & SIP_W_NO_EOH);
    CHECK_INT(parse(buf, SIP_P_STREAM), SIP_EINCOMPLETE);
}

static void test_too_many(void) {
    static char buf[8192];
    size_t n = (size_t)snprintf(buf, sizeof buf, "OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n"
                                "From: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\nCall-ID: m\r\n"
                                "CSeq: 1 OPTIONS\r\n");
    for (int i = 0; i < SIP_MAX_HDRS; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, "X-%d: y\r\n", i);
    snprintf(buf + n, sizeof buf - n, "\r\n");
    CHECK_INT(parse(buf, 0), SIP_ETOOMANY);
}

/* One malformed message per error code. */
static void test_errors(void) {
    static const struct { const char *msg; int want; } cases[] = {
        {"OPTIONS sip:x@h SIP/2.0\r\n", SIP_EINCOMPLETE},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h", SIP_EINCOMPLETE},
        {"HELLO\r\n\r\n", SIP_ESTARTLINE},
        {"OPTIONS sip:x@h\r\n\r\n", SIP_ESTARTLINE},
        {"OPTIONS\tsip:x@h SIP/2.0\r\n\r\n", SIP_ESTARTLINE},
        {"OPTIONS sip:x@h SIP/2.0 \r\n\r\n", SIP_ESTARTLINE},
        {"OPTIONS sip:x@h SIP/3.0\r\n\r\n", SIP_EVERSION},
        {"SIP/1.0 200 OK\r\n\r\n", SIP_EVERSION},
        {"SIP/2.0 099 Too low\r\n\r\n", SIP_ESTATUS},
        {"SIP/2.0 700 Too high\r\n\r\n", SIP_ESTATUS},
        {"SIP/2.0 2000 Four digits\r\n\r\n", SIP_ESTATUS},
        {"SIP/2.0 2x0 OK\r\n\r\n", SIP_ESTATUS},
        {"OPTIONS sip:x@h SIP/2.0\r\nNo colon here\r\n\r\n", SIP_EHEADER},
        {"OPTIONS sip:x@h SIP/2.0\r\n: empty name\r\n\r\n", SIP_EHEADER},
        {"OPTIONS sip:x@h SIP/2.0\r\n folded-first: x\r\n\r\n", SIP_EHEADER},
        {"OPTIONS sip:x@h SIP/2.0\r\nBad@Name: x\r\n\r\n", SIP_EHEADER},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "CSeq: 1 OPTIONS\r\n\r\n", SIP_ECALLID},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\n\r\n", SIP_ECSEQ},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 2147483648 OPTIONS\r\n\r\n", SIP_ECSEQ},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: OPTIONS\r\n\r\n", SIP_ECSEQ},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 OPTIONS extra\r\n\r\n", SIP_ECSEQ},
        {"ACK sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", SIP_EMETHOD},
        {"INVITE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 invite\r\n\r\n", SIP_EMETHOD},
        {"INVITE <sip:x@h> SIP/2.0\r\n\r\n", SIP_EURI},
        {"INVITE sip:x@h?Subject=hi SIP/2.0\r\n\r\n", SIP_EURI},
        {"INVITE sip:x@h; lr SIP/2.0\r\n\r\n", SIP_EURI},
        {"INVITE nocolon SIP/2.0\r\n\r\n", SIP_EURI},
        {"INVITE sip:x@h:99999 SIP/2.0\r\n\r\n", SIP_EURI},
        {"INVITE sip:x@h SIP/2.0\x01\r\n\r\n", SIP_EBINARY},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", SIP_EBINARY}, /* TLS ClientHello */
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", SIP_EFROMTO},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: \"open <sip:a@h>;tag=1\r\n"
         "To: <sip:x@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", SIP_EFROMTO},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\n"
         "To: Watson, T <sip:x@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", SIP_EFROMTO},
        {"OPTIONS sip:x@h SIP/2.0\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", SIP_EVIA},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0 h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", SIP_EVIA},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContact: sip:a@h?Route=x\r\n\r\n", SIP_ECONTACT},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 256\r\n\r\n", SIP_EMAXFWD},
        {"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:x@h>\r\n"
         "Call-ID: c\r\nCSeq: 1 OPTIONS\r\nDate: Fri, 01 Jan 2010 16:00:00 EST\r\n\r\n", SIP_EDATE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = sip_parse(cases[i].msg, strlen(cases[i].msg), 0, &M);
        CHECK_MSG(got == cases[i].want, "case %zu: got %d (%s), want %d (%s)", i, got,
                  sip_err_name(got), cases[i].want, sip_err_name(cases[i].want));
    }
    CHECK_STR(sip_err_name(SIP_ECSEQ), "cseq");
    CHECK_STR(sip_err_desc(SIP_EVIA), "Via is missing or malformed");
    CHECK_STR(sip_err_name(-99), "unknown");
}

static void test_uri(void) {
    sip_uri u;
    CHECK_INT(sip_parse_uri(SX_SV_LIT("sip:+1-202-555-0123;npdi@[2001:db8::1]:5061;user=phone?X=1"), &u), 0);
    CHECK_SV(u.scheme, "sip");
    CHECK_SV(u.user, "+1-202-555-0123;npdi");
    CHECK_SV(u.host, "2001:db8::1");
    CHECK_INT(u.port, 5061);
    CHECK_SV(u.params, "user=phone");
    CHECK_SV(u.headers, "X=1");
    CHECK_INT(sip_parse_uri(SX_SV_LIT("SIPS:alice:secret@example.com"), &u), 0);
    CHECK_SV(u.user, "alice");
    CHECK_SV(u.password, "secret");
    CHECK_SV(u.host, "example.com");
    CHECK_INT(u.port, 0);
    CHECK(u.headers.p == NULL);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("sip:example.com"), &u), 0);
    CHECK_INT(u.user.n, 0);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("tel:+1-303-555-1111;cpc=ordinary"), &u), 0);
    CHECK_SV(u.user, "+1-303-555-1111");
    CHECK_SV(u.params, "cpc=ordinary");
    CHECK_INT(u.host.n, 0);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("urn:service:sos"), &u), 0);
    CHECK_SV(u.scheme, "urn");
    CHECK_SV(u.rest, "service:sos");
    CHECK_INT(sip_parse_uri(SX_SV_LIT("sip:"), &u), -1);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("sip:@h"), &u), -1);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("sip:a@[2001:db8::1"), &u), -1);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("sip:a@h:"), &u), -1);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("sip:a@h x"), &u), -1);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("1sip:a@h"), &u), -1);
    CHECK_INT(sip_parse_uri(SX_SV_LIT("<sip:a@h>"), &u), -1);
}

/* sip_uri_check() (validation without views) gives sip_parse_uri()'s verdict, with the URI
 * at the start of its value (byte loop) or after forty bytes of it (sixteen-byte loads that
 * reach back before the URI). */
static void test_uri_check(void) {
    static const char *const uris[] = {
        "sip:+15377339114@192.0.2.10:5060;user=phone", "sip:example.com", "sip:a@h", "sip:",
        "sip:@h", "sip::x@h", "sip:a:@h", "sip:a@[2001:db8::1]:5061", "sip:a@[2001:db8::1",
        "sip:a@h:", "sip:a@h:65535", "sip:a@h:65536", "sip:a@h:0005060", "sip:a@h x",
        "sip:a@h;x?y", "sip:a@h?y", "sip:a@h;lr", "SIP:A@H;LR?X=1", "sip:a@b@c", "sip:a@h\"",
        "sip:a@h>", "sip:a\x7f@h", "sip:user;p=1?q@host.example.com;transport=tcp",
        "sip:a@h_o-s.t.", "sip:a@h/x", "sips:a@h?x", "tel:+1-303-555-1111;cpc=ordinary",
        "tel:;x", "urn:service:sos", "1sip:a@h", "sip:a@verylonghostname.example.com:5060;"
        "transport=udp;user=phone;lr;maddr=192.0.2.1;x=yyyyyyyyyyyyyyyyyyyyyyyyyyy?h=v",
        "sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@h",
        "sip:a@hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh?",
        "sip:0123456789abcde@h", "sip:0123456789abc@h", "sip:a@0123456789abcdefghijk",
    };
    char buf[256];
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        size_t n = strlen(uris[i]);
        for (size_t pad = 0; pad <= 40; pad += 40) {
            memset(buf, 'x', pad);
            memcpy(buf + pad, uris[i], n);
            sx_sv t = sx_sv_make(buf + pad, n);
            sip_uri u;
            int want = sip_parse_uri(t, &u) != 0 ? -1
                       : (u.headers.p && (sx_sv_ieq(u.scheme, "sip") || sx_sv_ieq(u.scheme, "sips")));
            CHECK_MSG(sip_uri_check(t, buf) == want, "%s (pad %zu)", uris[i], pad);
        }
    }
}

/* A name-addr's <URI> decided in one pass (sip: URIs) gives the verdict and the uri view of
 * the search for '>' followed by sip_parse_uri(), also when it fails; short values take the
 * byte loop, long ones the sixteen-byte one. */
static void test_naddr_angle(void) {
    static const char *const uris[] = {
        "sip:+13259286250@192.0.2.40;user=phone", "sip:a@h", "sip:", "sip:@h", "sip:a@h x",
        "sip:a@h\"x", "sip:a@h<", "sip:a@h?x", "sip:a@h;p?x=1", "sip:a@[::1]:5060", "sip:a@h:99999",
        "sip:a>b@h", "sip:a@h ", " sip:a@h", "sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@h;lr;transport=tcp",
        "SIP:A@H", "sips:a@h", "tel:+1", "sip:a@b@c", "sip:a@h;x=\"y\"",
    };
    static const char *const tails[] = {"", ";tag=abc", " ;tag=1"};
    char buf[256];
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++)
        for (size_t j = 0; j < 3; j++)
            for (int gt = 0; gt < 2; gt++) {
                int n = snprintf(buf, sizeof buf, "\"N\" <%s%s%s", uris[i], gt ? ">" : "", tails[j]);
                sx_sv v = sx_sv_make(buf, (size_t)n);
                sip_naddr na;
                int got = sip_naddr_elem(v, &na);
                const char *lt = buf + 4, *g = memchr(lt + 1, '>', (size_t)(buf + n - lt - 1));
                sx_sv uri = g ? sx_sv_make(lt + 1, (size_t)(g - lt - 1)) : SX_SV_NULL;
                sip_uri u;
                int want = (!g || uri.n == 0 || uri.p[0] == ' ' || uri.p[uri.n - 1] == ' ' ||
                            sip_parse_uri(uri, &u) != 0) ? -1 : 0;
                if (want == 0) want = sip_param(sx_sv_make(g + 1, (size_t)(buf + n - g - 1)), "tag", NULL) ||
                                      g + 1 == buf + n ? 0 : -1;
                CHECK_MSG(got == want, "%s (rc %d, want %d)", buf, got, want);
                CHECK_MSG(na.uri.p == uri.p && na.uri.n == uri.n, "%s (uri view)", buf);
            }
}

static void test_param(void) {
    sx_sv v;
    sx_sv ps = SX_SV_LIT("user=phone; Tag = \"a;b\" ;lr;maddr=[2001:db8::1]");
    CHECK_INT(sip_param(ps, "tag", &v), 1);
    CHECK_SV(v, "a;b");
    CHECK_INT(sip_param(ps, "LR", &v), 1);
    CHECK_INT(v.n, 0);
    CHECK_INT(sip_param(ps, "maddr", &v), 1);
    CHECK_SV(v, "[2001:db8::1]");
    CHECK_INT(sip_param(ps, "user", &v), 1);
    CHECK_SV(v, "phone");
    CHECK_INT(sip_param(ps, "use", &v), 0);
    CHECK_INT(sip_param(SX_SV_LIT(";rport;branch=z9hG4bK1"), "branch", &v), 1);
    CHECK_SV(v, "z9hG4bK1");
    CHECK_INT(sip_param(SX_SV_NULL, "x", &v), 0);
    CHECK_INT(sip_param(SX_SV_LIT("text=\"unterminated"), "text", &v), 0);
}

static void test_naddr(void) {
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("\"Alice \\\"A\\\" Smith\" <sip:+13035551111@carrier.example.com>;tag=9fx"), &na), 0);
    CHECK_SV(na.display, "Alice \\\"A\\\" Smith");
    CHECK_SV(na.uri, "sip:+13035551111@carrier.example.com");
    CHECK_SV(na.tag, "9fx");
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("Bob Jones<sip:bob@example.com>"), &na), 0);
    CHECK_SV(na.display, "Bob Jones");
    /* bare addr-spec: the ;params belong to the header (RFC 3261 §20.10) */
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("sip:+16505552222@ss1.example.net;user=phone;tag=3"), &na), 0);
    CHECK_SV(na.uri, "sip:+16505552222@ss1.example.net");
    CHECK_SV(na.params, "user=phone;tag=3");
    CHECK_SV(na.tag, "3");
    CHECK_INT(na.display.n, 0);
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("<tel:+13035551111>"), &na), 0);
    CHECK_SV(na.uri, "tel:+13035551111");
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("*"), &na), 0);
    CHECK_SV(na.uri, "*");
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("<sip:a@h>, <sip:b@h>"), &na), 0); /* first value */
    CHECK_SV(na.uri, "sip:a@h");
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("< sip:a@h >"), &na), -1);
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("\"x\" sip:a@h"), &na), -1);
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("<sip:a@h"), &na), -1);
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("<sip:a@h>junk"), &na), -1);
    CHECK_INT(sip_parse_naddr(SX_SV_LIT("<sip:a@h>;;"), &na), -1);
    CHECK_INT(sip_parse_naddr(SX_SV_LIT(""), &na), -1);
    CHECK_INT(sip_parse_naddr(SX_SV_NULL, &na), -1);
}

static void test_via(void) {
    sip_via v;
    CHECK_INT(sip_parse_via(SX_SV_LIT("SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bK776;rport"), &v), 0);
    CHECK_SV(v.proto, "SIP/2.0");
    CHECK_SV(v.version, "2.0");
    CHECK_SV(v.transport, "UDP");
    CHECK_SV(v.host, "2001:db8::10");
    CHECK_INT(v.port, 5060);
    CHECK_SV(v.branch, "z9hG4bK776");
    CHECK_INT(v.has_rport, 1);
    CHECK_INT(v.rport.n, 0);
    CHECK_INT(v.received.n, 0);
    CHECK_INT(sip_parse_via(SX_SV_LIT("SIP / 2.0 / TLS pbx.example.com ; received=198.51.100.9;rport=40112;branch=z9hG4bKx"), &v), 0);
    CHECK_SV(v.transport, "TLS");
    CHECK_SV(v.host, "pbx.example.com");
    CHECK_SV(v.received, "198.51.100.9");
    CHECK_SV(v.rport, "40112");
    CHECK_SV(v.params, "received=198.51.100.9;rport=40112;branch=z9hG4bKx");
    CHECK_INT(sip_parse_via(SX_SV_LIT("SIP/2.0/UDP 192.0.2.1 : 5080"), &v), 0);
    CHECK_INT(v.port, 5080);
    CHECK_INT(v.has_rport, 0);
    CHECK_INT(sip_parse_via(SX_SV_LIT("SIP/2.0/UDP"), &v), -1);
    CHECK_INT(sip_parse_via(SX_SV_LIT("SIP/2.0/UDPhost"), &v), -1);
    CHECK_INT(sip_parse_via(SX_SV_LIT("SIP/2.0/UDP h;;"), &v), -1);
    CHECK_INT(sip_parse_via(SX_SV_LIT("SIP/2.0/UDP h:70000"), &v), -1);
}

static void test_reason_callinfo_warning(void) {
    sip_reason r;
    CHECK_INT(sip_parse_reason(SX_SV_LIT("Q.850;cause=21;text=\"Call rejected\""), &r), 0);
    CHECK_SV(r.protocol, "Q.850");
    CHECK_INT(r.cause, 21);
    CHECK_SV(r.text, "Call rejected");
    CHECK_INT(r.location.n, 0);
    CHECK_INT(sip_parse_reason(SX_SV_LIT("SIP;cause=608;text=\"Rejected\""), &r), 0);
    CHECK_INT(r.cause, 608);
    CHECK_INT(sip_parse_reason(SX_SV_LIT("Q.850;cause=16;location=LN"), &r), 0);
    CHECK_SV(r.location, "LN");
    CHECK_INT(sip_parse_reason(SX_SV_LIT("STIR;cause=438;text=\"Invalid Identity Header\";ppi=\"...\""), &r), 0);
    CHECK_SV(r.protocol, "STIR");
    CHECK_INT(r.cause, 438);
    CHECK_INT(sip_parse_reason(SX_SV_LIT("SIP"), &r), 0);
    CHECK_INT(r.cause, -1);
    CHECK_INT(sip_parse_reason(SX_SV_LIT("Q.850;cause=abc"), &r), -1);
    CHECK_INT(sip_parse_reason(SX_SV_LIT(";cause=1"), &r), -1);

    sip_callinfo ci;
    CHECK_INT(sip_parse_callinfo(SX_SV_LIT("<https://example.com/jcard.jws>;purpose=jwscard"), &ci), 0);
    CHECK_SV(ci.uri, "https://example.com/jcard.jws");
    CHECK_SV(ci.purpose, "jwscard");
    CHECK_INT(sip_parse_callinfo(SX_SV_LIT("<https://rcd.example/logo.png> ; purpose=icon"), &ci), 0);
    CHECK_SV(ci.purpose, "icon");
    CHECK_INT(sip_parse_callinfo(SX_SV_LIT("https://no-brackets"), &ci), -1);

    sip_warning w;
    CHECK_INT(sip_parse_warning(SX_SV_LIT("399 sbc.example.net \"Call blocked: robocall score 98\""), &w), 0);
    CHECK_INT(w.code, 399);
    CHECK_SV(w.agent, "sbc.example.net");
    CHECK_SV(w.text, "Call blocked: robocall score 98");
    CHECK_INT(sip_parse_warning(SX_SV_LIT("1812 overture \"In Progress\""), &w), -1);
    CHECK_INT(sip_parse_warning(SX_SV_LIT("399 agent unquoted"), &w), -1);

    uint32_t s = 0;
    CHECK_INT(sip_parse_retry_after(SX_SV_LIT("120"), &s), 0);
    CHECK_INT(s, 120);
    CHECK_INT(sip_parse_retry_after(SX_SV_LIT("18000;duration=3600"), &s), 0);
    CHECK_INT(s, 18000);
    CHECK_INT(sip_parse_retry_after(SX_SV_LIT("300 (I'm in a meeting) ;duration=60"), &s), 0);
    CHECK_INT(s, 300);
    CHECK_INT(sip_parse_retry_after(SX_SV_LIT("4294967296"), &s), -1);
    CHECK_INT(sip_parse_retry_after(SX_SV_LIT("949302838503028349304023988"), &s), -1);
    CHECK_INT(sip_parse_retry_after(SX_SV_LIT("soon"), &s), -1);
}

static void check_e164(const char *in, const char *want) {
    char out[16];
    size_t n = sip_e164(sx_sv_make(in, strlen(in)), out);
    CHECK_MSG(n == strlen(want) && strcmp(out, want) == 0, "e164(%s) = %zu '%s', want '%s'", in,
              n, out, want);
}

static void test_e164(void) {
    check_e164("+13035551111", "13035551111");
    check_e164("+1-303-555-1111", "13035551111");
    check_e164("(303) 555.1111", ""); /* SP is not a visual separator of RFC 3966 */
    check_e164("(303)555.1111", "13035551111");
    check_e164("3035551111", "13035551111");
    check_e164("13035551111", "13035551111");
    check_e164("0305551111", "0305551111"); /* 10 digits starting with 0: not NANP */
    check_e164("+3035551111", "3035551111");
    check_e164("+442071234567;npdi;rn=+442070000000", "442071234567");
    check_e164("alice", "");
    check_e164("1234*", "");
    check_e164("+1234567890123456", "");
    check_e164("123456789012345", "123456789012345");
    check_e164("+", "");
    check_e164("", "");
    check_e164("1+2", "");
    /* from a parsed PAI tel: URI */
    CHECK(parse(invite, 0) > 0);
    sip_vit it = {0};
    sx_sv v;
    int k = 0;
    while (sip_next_value(&M, SIP_H_PAI, &it, &v)) {
        sip_naddr na;
        sip_uri u;
        char out[16];
        CHECK_INT(sip_parse_naddr(v, &na), 0);
        CHECK_INT(sip_parse_uri(na.uri, &u), 0);
        CHECK_INT(sip_e164(u.user, out), 11);
        CHECK_STR(out, "13035551111");
        CHECK_SV(u.scheme, k == 0 ? "sip" : "tel");
        k++;
    }
    CHECK_INT(k, 2);
}

static void test_message_accessors(void) {
    CHECK(parse(invite, 0) > 0);
    sip_via v;
    CHECK_INT(sip_parse_via(sip_hdr_first(&M, SIP_H_VIA), &v), 0);
    CHECK_SV(v.host, "2001:db8::10");
    CHECK_INT(v.has_rport, 1);
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_TO), &na), 0);
    CHECK_INT(na.tag.n, 0);
    CHECK_SV(na.uri, "sip:+12025550123@sbc.example.net;user=phone");
    sx_sv pcv = sip_hdr_first(&M, SIP_H_P_CHARGING_VECTOR), icid;
    CHECK_INT(sip_param(pcv, "icid-value", &icid), 1);
    CHECK_SV(icid, "1234bc9876e");
    CHECK_INT(sip_param(pcv, "orig-ioi", &icid), 1);
    CHECK_SV(icid, "home1.net");
    sx_sv id = sip_hdr_first(&M, SIP_H_IDENTITY);
    const char *semi = memchr(id.p, ';', id.n);
    sx_sv info, ppt;
    CHECK(semi != NULL);
    sx_sv idp = sx_sv_make(semi + 1, (size_t)(id.p + id.n - semi - 1));
    CHECK_INT(sip_param(idp, "info", &info), 1);
    CHECK_SV(info, "https://cert.example.org/passport.cer");
    CHECK_INT(sip_param(idp, "ppt", &ppt), 1);
    CHECK_SV(ppt, "shaken");
    sip_uri ru;
    CHECK_INT(sip_parse_uri(M.ruri, &ru), 0);
    CHECK_SV(ru.user, "+12025550123");
    CHECK_SV(ru.params, "user=phone");
}

static void test_frame(void) {
    size_t n = strlen(invite);
    CHECK(sip_looks_like_start(invite, n));
    CHECK(sip_looks_like_start("SIP/2.0 200 OK\r\n", 16));
    CHECK(!sip_looks_like_start("\x80\x00\x12\x34", 4));
    CHECK_INT(sip_frame_len(invite, n, 8192), (long)n);
    CHECK_INT(sip_frame_len(invite, n - 1, 8192), 0);
    CHECK_INT(sip_frame_len(invite, 10, 8192), 0);
    CHECK_INT(sip_frame_len("GET / HTTP/1.1\r\n\r\n", 18, 8192), -1);
    /* CRLF keep-alives (RFC 5626 §3.5.1) before a message: skipped and counted, as by
     * sip_parse(); keep-alives alone wait for more */
    static char ka[4 + sizeof invite];
    memcpy(ka, "\r\n\r\n", 4);
    memcpy(ka + 4, invite, n);
    CHECK_INT(sip_frame_len(ka, n + 4, 8192), (long)n + 4);
    CHECK_INT(sip_parse(ka, n + 4, SIP_P_STREAM, &M), (int)n + 4);
    CHECK_INT(sip_frame_len(ka, n + 3, 8192), 0);
    CHECK_INT(sip_frame_len(ka, 4, 8192), 0);
    CHECK_INT(sip_frame_len(ka, 2, 8192), 0);
    /* the first Content-Length counts, in either form, on any header line but a folded one */
    const char *two = "MESSAGE sip:x@h SIP/2.0\r\nl: 2\r\nContent-Length: 5\r\n\r\nabcde";
    CHECK_INT(sip_frame_len(two, strlen(two), 8192), (long)strlen(two) - 3);
    const char *fold = "MESSAGE sip:x@h SIP/2.0\r\nX: a\r\n l: 9\r\ncontent-length : 1\r\n\r\nz";
    CHECK_INT(sip_frame_len(fold, strlen(fold), 8192), (long)strlen(fold));
    /* the blank line must be within max_hdr bytes */
    CHECK_INT(sip_frame_len(invite, n, 64), -1);
}


/* The hints (sip_parse_hinted): the Call-ID one fires once, with the first Call-ID's view and
 * the start line already read, before the checks; the headers one after the block, even for
 * a message the checks then refuse; and the parse itself is sip_parse()'s. */
typedef struct {
    int ncid, nhdr;
    sx_sv cid;
    int method_id, checked_at_cid, checked_at_hdr;
} hint_log;
static void hint_cid(void *ud, const sip_msg *m) {
    hint_log *l = ud;
    l->ncid++;
    l->cid = m->call_id;
    l->method_id = m->method_id;
    l->checked_at_cid = m->has_addr;
}
static void hint_hdr(void *ud, const sip_msg *m) {
    hint_log *l = ud;
    l->nhdr++;
    l->checked_at_hdr = m->has_addr;
}
static void test_hints(void) {
    hint_log l = {0};
    sip_hint h = {hint_cid, hint_hdr, &l};
    int n = sip_parse_hinted(invite, strlen(invite), 0, &M, &h);
    CHECK_INT(n, (int)strlen(invite));
    CHECK_INT(l.ncid, 1);
    CHECK_INT(l.nhdr, 1);
    CHECK_SV(l.cid, "3848276298220188511@atlanta.example.com");
    CHECK(l.cid.p == M.call_id.p);
    CHECK_INT(l.method_id, SIP_M_INVITE);
    CHECK_INT(l.checked_at_cid, 0); /* before the From/To/Via checks */
    CHECK_INT(l.checked_at_hdr, 0);
    CHECK_INT(M.has_addr, 1);

    /* two Call-IDs: the hint sees the first, which the message keeps */
    static const char two[] = "BYE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                              "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
                              "Call-ID: first\r\ni: second\r\nCSeq: 2 BYE\r\n\r\n";
    memset(&l, 0, sizeof l);
    CHECK(sip_parse_hinted(two, strlen(two), 0, &M, &h) > 0);
    CHECK_INT(l.ncid, 1);
    CHECK_SV(l.cid, "first");
    CHECK_SV(M.call_id, "first");

    /* refused by the checks after the header block (no From): both hints came first */
    static const char nofrom[] = "BYE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                                 "To: <sip:b@example.com>;tag=2\r\nCall-ID: x\r\nCSeq: 2 BYE\r\n\r\n";
    memset(&l, 0, sizeof l);
    CHECK_INT(sip_parse_hinted(nofrom, strlen(nofrom), 0, &M, &h), SIP_EFROMTO);
    CHECK_INT(l.ncid, 1);
    CHECK_INT(l.nhdr, 1);

    /* no Call-ID: no Call-ID hint; a NULL callback is skipped; sip_parse() gives none */
    static const char nocid[] = "OPTIONS sip:b@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n";
    memset(&l, 0, sizeof l);
    sip_hint only_hdr = {NULL, hint_hdr, &l};
    CHECK_INT(sip_parse_hinted(nocid, strlen(nocid), 0, &M, &only_hdr), SIP_ECALLID);
    CHECK_INT(l.ncid, 0);
    CHECK_INT(l.nhdr, 1);
    CHECK(M.hint == &only_hdr);
    CHECK(parse(invite, 0) > 0);
    CHECK(M.hint == NULL);
}

int main(void) {
    test_basic();
    test_status_line();
    test_header_names();
    test_multi_values();
    test_folding();
    test_line_endings();
    test_stream();
    test_content_length();
    test_too_many();
    test_errors();
    test_uri();
    test_uri_check();
    test_naddr_angle();
    test_param();
    test_naddr();
    test_via();
    test_reason_callinfo_warning();
    test_e164();
    test_message_accessors();
    test_frame();
    test_hints();
    TH_END();
}
