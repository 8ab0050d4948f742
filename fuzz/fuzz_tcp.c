/* fuzz_tcp.c -- TCP reassembly and framing under arbitrary segment orders and contents.
 *
 * Input: records of a 4-byte header { flags, seq offset lo, seq offset hi, length } and
 * `length` payload bytes. Flags bits 0-4 are TCP flags (FIN SYN RST PSH ACK), bits 5-6 pick
 * one of three source ports (so the 2-stream table fills and evicts), bit 7 advances capture
 * time by 4 s (idle expiry is 5 s). Sequence numbers are an ISN near 2^32 plus the offset, so
 * they wrap. Limits are tiny so every cap is reached.
 */
#include "transport/transport.h"
#include "sip/sip.h"

#include <stdlib.h>

typedef struct fz {
    size_t max_msg;
} fz;

static void on_msg(void *ud, const sx_msgmeta *m, const char *buf, size_t len) {
    const fz *f = ud;
    /* A delivered stream message is a framed SIP message within the limit. */
    if (len == 0 || len > f->max_msg || m->transport != SX_T_TCP ||
        !sip_looks_like_start(buf, len))
        abort();
    volatile char sum = 0;
    for (size_t i = 0; i < len; i++) sum ^= buf[i]; /* ASan: every byte readable */
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tp_limits lim;
    tp_limits_default(&lim);
    lim.max_streams = 2;
    lim.stream_buf_max = 512;
    lim.max_msg = 300;
    lim.stream_idle = 5 * SX_SEC;
    fz f = {lim.max_msg};
    sx_tally tally;
    memset(&tally, 0, sizeof tally);
    transport *t = tp_new(&lim, &tally, on_msg, &f);
    if (!t) return 0;
    sx_l4 p;
    memset(&p, 0, sizeof p);
    p.src.family = p.dst.family = 4;
    p.src.a[0] = 10, p.dst.a[0] = 10, p.dst.a[3] = 2;
    p.dport = 5060;
    p.proto = SX_PROTO_TCP;
    sx_time ts = 1000 * (sx_time)SX_SEC;
    uint64_t frames = 0;
    size_t off = 0;
    while (size - off >= 4) {
        uint8_t fl = data[off];
        uint32_t so = (uint32_t)data[off + 1] | (uint32_t)data[off + 2] << 8;
        size_t n = data[off + 3];
        off += 4;
        if (n > size - off) n = size - off;
        if (fl & 0x80) ts += 4 * SX_SEC;
        p.ts = ts;
        p.frame = ++frames;
        p.tcp_flags = fl & 0x1f;
        p.sport = (uint16_t)(40000 + ((fl >> 5) & 3));
        p.seq = 0xFFFFF000u + so;
        p.payload = data + off;
        p.len = n;
        tp_packet(t, &p);
        off += n;
    }
    tp_flush(t);
    tally.frames = frames;
    if (tally_check(&tally) != 0) abort();
    tp_free(t);
    return 0;
}
