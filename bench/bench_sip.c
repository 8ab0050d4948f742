/* bench_sip.c -- how long sip_parse() takes on a typical STIR-signed INVITE (~900 bytes, an
 * Identity header, SDP body). Not a test: prints ns/message. It also checks the parse result
 * once, so a fast-but-wrong parser cannot report a good figure.
 *   cc -O2 -Isrc bench/bench_sip.c build/rel/lib/libsx_sip.a build/rel/lib/libsx_base.a
 *   ./a.out [iterations]            (default 10 000 000) */
#include "sip/sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char msg[] =
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

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 10000000L;
    size_t n = sizeof msg - 1;
    static sip_msg m;
    int r = sip_parse(msg, n, 0, &m);
    if (r != (int)n || m.nhdrs != 12 || m.cseq != 1 || m.body.n != 88 ||
        sip_hdr_first(&m, SIP_H_IDENTITY).n < 300) {
        fprintf(stderr, "bench_sip: parse result is wrong (%d, %s)\n", r, sip_err_name(r));
        return 1;
    }
    long sum = 0;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        sum += sip_parse(msg, n, 0, &m);
        __asm__ volatile("" ::: "memory"); /* keep every iteration */
    }
    double t1 = now();
    printf("sip_parse: %zu-byte INVITE with Identity, %ld iterations: %.1f ns/message "
           "(%.2f GB/s)\n", n, iters, (t1 - t0) / (double)iters,
           (double)n * (double)iters / (t1 - t0));
    return sum == (long)n * iters ? 0 : 1;
}
