/* bench_sip.c -- how long sip_parse() and sip_frame_len() take on the messages of a typical
 * call ladder: a STIR-signed INVITE (1046 bytes, Identity header, SDP body), a 180 Ringing,
 * a 100 Trying and a 403 with a Reason header (the last three as bench/gen.c writes them).
 * Not a test: prints ns/message. Each message's parse result is checked first, so a
 * fast-but-wrong parser cannot report a good figure.
 *   cc -O2 -Isrc bench/bench_sip.c build/rel/lib/libsx_sip.a build/rel/lib/libsx_base.a
 *   ./a.out [iterations [message]]     (default 10 000 000; message: invite 180 100 403)
 * Wall-clock time is noisy on a shared machine; instruction counts are not:
 *   valgrind --tool=callgrind --toggle-collect=sip_parse ./a.out 1000 invite
 * then divide the Ir total by the iterations (+1 for the checking parse). */
#include "sip/sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char invite[] =
    "INVITE sip:+12025550123@sbc.example.net:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-524287-1---a8c1f3e5d7b9;rport\r\n"
    "Max-Forwards: 69\r\n"
    "From: \"ALICE SMITH\" <sip:+13035551111@carrier.example.com;user=phone>;tag=9fxced76sl\r\n"
    "To: <sip:+12025550123@sbc.example.net;user=phone>\r\n"
    "Call-ID: 3848276298220188511@192.0.2.7\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:+13035551111@192.0.2.7:5060;transport=udp>\r\n"
    "P-Asserted-Identity: <sip:+13035551111@carrier.example.com;user=phone>\r\n"
    "Identity: eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1Ijoi"
    "aHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3NoYWtlbi5wZW0ifQ.eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0"
    "biI6WyIxMjAyNTU1MDEyMyJdfSwiaWF0IjoxNzAwMDAwMDAwLCJvcmlnIjp7InRuIjoiMTMwMzU1NTExMTEi"
    "fX0.MEUCIQDx7vJ5dTf1m2mZ0R3d6b7Wc0u0oYgq0bP7J9k3YhZl4gIgUq2QdO8s4VbA0rX1mKf9YwZ0;"
    "info=<https://cert.example.org/shaken.pem>;alg=ES256;ppt=shaken\r\n"
    "Supported: 100rel, timer\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 88\r\n"
    "\r\n"
    "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
    "m=audio 20000 RTP/AVP 0\r\n";

static const char ringing[] =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bK9a8c505971939232;rport\r\n"
    "From: \"Dr. Lee Office\" <sip:+18482125233@192.0.2.40;user=phone>;tag=68759688c202\r\n"
    "To: <sip:+15058318036@198.51.100.20;user=phone>;tag=759a91ae81\r\n"
    "Call-ID: 98129755f89e39e4-00000002@192.0.2.40\r\n"
    "CSeq: 101 INVITE\r\n"
    "Contact: <sip:+15058318036@198.51.100.20:5060>\r\n"
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO\r\n"
    "Server: CarrierSBC/7.2.1\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char trying[] =
    "SIP/2.0 100 Trying\r\n"
    "Via: SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bK9a8c505971939232;rport\r\n"
    "From: \"Dr. Lee Office\" <sip:+18482125233@192.0.2.40;user=phone>;tag=68759688c202\r\n"
    "To: <sip:+15058318036@198.51.100.20;user=phone>\r\n"
    "Call-ID: 98129755f89e39e4-00000002@192.0.2.40\r\n"
    "CSeq: 101 INVITE\r\n"
    "Server: CarrierSBC/7.2.1\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char forbidden[] =
    "SIP/2.0 403 Forbidden\r\n"
    "Via: SIP/2.0/UDP 203.0.113.30:5060;branch=z9hG4bK0728757a87e82504;rport\r\n"
    "From: \"ACME Corp\" <sip:+19635071450@203.0.113.30;user=phone>;tag=9277ff48ea2a\r\n"
    "To: <sip:+13485693737@192.0.2.10;user=phone>;tag=aad6ddea57\r\n"
    "Call-ID: a5fdedae1059fa70-0000002b@203.0.113.30\r\n"
    "CSeq: 101 INVITE\r\n"
    "Reason: Q.850;cause=21;text=\"Call Rejected\"\r\n"
    "Server: CarrierSBC/7.2.1\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

/* A message and what a correct parse of it finds. */
typedef struct bmsg {
    const char *name, *text;
    size_t len;
    int status;       /* 0 for a request */
    int nhdrs;
    size_t body;
    int first_id;     /* a header that must be found... */
    size_t first_min; /* ...with at least this many bytes */
} bmsg;

#define BMSG(name, s, st, nh, body, id, min) {name, s, sizeof s - 1, st, nh, body, id, min}
static const bmsg msgs[] = {
    BMSG("invite", invite, 0, 12, 88, SIP_H_IDENTITY, 300),
    BMSG("180", ringing, 180, 9, 0, SIP_H_CONTACT, 30),
    BMSG("100", trying, 100, 7, 0, SIP_H_VIA, 60),
    BMSG("403", forbidden, 403, 8, 0, SIP_H_REASON, 30),
};
#define NMSGS (sizeof msgs / sizeof msgs[0])

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The parse result a consumer relies on; also framing and a stream parse agree. */
static int check(const bmsg *b, sip_msg *m) {
    int r = sip_parse(b->text, b->len, 0, m);
    int ok = r == (int)b->len && m->nhdrs == b->nhdrs && m->status == b->status &&
             m->is_request == (b->status == 0) && m->body.n == b->body &&
             sip_hdr_first(m, b->first_id).n >= b->first_min && m->call_id.n > 0 &&
             m->cseq > 0 && m->cseq_method_id == SIP_M_INVITE;
    ok = ok && sip_parse(b->text, b->len, SIP_P_STREAM, m) == (int)b->len &&
         sip_frame_len(b->text, b->len, 8192) == (long)b->len;
    if (!ok) fprintf(stderr, "bench_sip: %s: parse result is wrong (%d, %s)\n", b->name, r,
                     sip_err_name(r));
    return ok;
}

static int run(const bmsg *b, long iters, sip_msg *m) {
    long sum = 0;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        sum += sip_parse(b->text, b->len, 0, m);
        __asm__ volatile("" ::: "memory"); /* keep every iteration */
    }
    double t1 = now();
    for (long i = 0; i < iters; i++) {
        sum += sip_frame_len(b->text, b->len, 8192);
        __asm__ volatile("" ::: "memory");
    }
    double t2 = now();
    printf("%-7s %5zu bytes: sip_parse %7.1f ns (%.2f GB/s), sip_frame_len %6.1f ns\n", b->name,
           b->len, (t1 - t0) / (double)iters, (double)b->len * (double)iters / (t1 - t0),
           (t2 - t1) / (double)iters);
    return sum == 2 * (long)b->len * iters;
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 10000000L;
    const char *only = argc > 2 ? argv[2] : NULL;
    static sip_msg m;
    int ok = 1, found = 0;
    for (size_t i = 0; i < NMSGS; i++) {
        if (only && strcmp(only, msgs[i].name) != 0) continue;
        found = 1;
        if (!check(&msgs[i], &m)) return 1;
        ok &= run(&msgs[i], iters, &m);
    }
    if (!found) fprintf(stderr, "bench_sip: no message '%s' (invite 180 100 403)\n", only);
    return ok && found ? 0 : 1;
}
