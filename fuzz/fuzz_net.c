/* fuzz_net.c -- the packet stage on arbitrary frames.
 *
 * Input: byte 0 chooses the link type (low 4 bits, from the table below) and the reassembly
 * memory cap (bits 4-5: 6000, 2500, 10 bytes, 1 MiB); bit 6 says the frames were cut by a
 * snap length (wirelen = caplen + 100), which lets cut packets through. If its top bit is
 * clear, the rest is one frame. If set, the rest is a sequence of frames, each preceded by a
 * 2-byte big-endian length, so that fragment reassembly sees several fragments. Limits are
 * tiny so the memory cap, eviction and the tunnel depth cap are reached. Every run checks
 * that the tally balances.
 */
#include <stdlib.h>

#include "base/tally.h"
#include "net/net.h"

static void on_l4(void *ud, const sx_l4 *p) {
    sx_tally *t = ud;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < p->len; i++) sink ^= p->payload[i]; /* touch every byte (ASan) */
    (void)sink;
    if (p->proto == SX_PROTO_UDP) t->udp_not_sip++;
    else t->tcp_segment++;
}

static const int links[16] = {
    SX_LINK_EN10MB, SX_LINK_NULL, SX_LINK_LOOP, SX_LINK_RAW, SX_LINK_LINUX_SLL,
    SX_LINK_LINUX_SLL2, SX_LINK_IPV4, SX_LINK_IPV6, 12, 14, SX_LINK_EN10MB, SX_LINK_RAW,
    SX_LINK_EN10MB, SX_LINK_RAW, SX_LINK_LINUX_SLL, 147 /* unsupported */,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    sx_tally t;
    memset(&t, 0, sizeof t);
    static const size_t caps[4] = {6000, 2500, 10, 1u << 20};
    net_limits lim = {.frag_mem_max = caps[data[0] >> 4 & 3], .frag_timeout = 2 * SX_SEC,
                      .max_tunnel_depth = 3};
    net *n = net_new(&lim, &t, on_l4, &t);
    if (!n) return 0;
    sx_frame f = {.linktype = links[data[0] & 15], .ts = 1000 * (sx_time)SX_SEC};
    uint32_t snapped = data[0] & 0x40 ? 100 : 0;
    const uint8_t *p = data + 1;
    size_t left = size - 1;
    if (!(data[0] & 0x80)) {
        /* exact-size copy so any over-read is caught */
        uint8_t *b = malloc(left ? left : 1);
        memcpy(b, p, left);
        f.data = b, f.caplen = (uint32_t)left, f.wirelen = f.caplen + snapped, f.index = 1;
        net_frame(n, &f);
        free(b);
    } else {
        while (left >= 2) {
            size_t len = (size_t)(p[0] << 8 | p[1]);
            p += 2, left -= 2;
            if (len > left) len = left;
            uint8_t *b = malloc(len ? len : 1);
            memcpy(b, p, len);
            f.data = b, f.caplen = (uint32_t)len, f.wirelen = f.caplen + snapped;
            f.index++;
            f.ts += 700 * SX_MSEC; /* time moves: expiry runs inside net_frame */
            net_frame(n, &f);
            free(b);
            p += len, left -= len;
        }
    }
    net_flush(n);
    net_free(n);
    if (tally_check(&t) != 0) abort();
    return 0;
}
