/* fuzz_hep.c -- the UDP path (SIP recognition, HEP v1/v2/v3 decapsulation including zlib
 * inflation) with the input as one datagram payload. */
#include "transport/transport.h"
#include "sip/sip.h"

#include <stdlib.h>

static void on_msg(void *ud, const sx_msgmeta *m, const char *buf, size_t len) {
    (void)ud;
    if (len == 0 || !sip_looks_like_start(buf, len)) abort();
    if (m->hep && m->hep != 1 && m->hep != 2 && m->hep != 3) abort();
    volatile char sum = 0;
    for (size_t i = 0; i < len; i++) sum ^= buf[i]; /* ASan: every byte readable */
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sx_tally tally;
    memset(&tally, 0, sizeof tally);
    transport *t = tp_new(NULL, &tally, on_msg, NULL);
    if (!t) return 0;
    sx_l4 p;
    memset(&p, 0, sizeof p);
    p.src.family = p.dst.family = 4;
    p.sport = p.dport = 9060;
    p.proto = SX_PROTO_UDP;
    p.ts = 1000 * (sx_time)SX_SEC;
    p.frame = 1;
    p.payload = data;
    p.len = size;
    tp_packet(t, &p);
    tp_packet(t, &p); /* twice: the reused inflate state must reset cleanly */
    tally.frames = 2;
    if (tally_check(&tally) != 0) abort();
    tp_free(t);
    return 0;
}
