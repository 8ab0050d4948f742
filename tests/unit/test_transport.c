/* test_transport.c -- the transport stage driven with hand-made packets: TCP reassembly and
 * framing (split, merged, reordered, repeated, lost, oversized), stream table limits, UDP
 * recognition and HEP v2/v3 decapsulation. */
#include "transport/transport.h"

#include <zlib.h>

#include "harness.h"

/* ---- a sink that records what the transport delivers ---- */

#define SINK_MAX 32
typedef struct sink {
    int n, total; /* kept, delivered */
    char msg[SINK_MAX][4096];
    size_t len[SINK_MAX];
    const char *ptr[SINK_MAX];
    sx_msgmeta meta[SINK_MAX];
} sink;

static void on_msg(void *ud, const sx_msgmeta *m, const char *buf, size_t len) {
    sink *k = ud;
    k->total++;
    if (k->n >= SINK_MAX) return;
    size_t c = len < sizeof k->msg[0] ? len : sizeof k->msg[0];
    memcpy(k->msg[k->n], buf, c);
    k->len[k->n] = len;
    k->ptr[k->n] = buf;
    k->meta[k->n] = *m;
    k->n++;
}

/* Checks message i of the sink equals want exactly. */
static int sink_is(const sink *k, int i, const char *want) {
    return i < k->n && k->len[i] == strlen(want) && memcmp(k->msg[i], want, k->len[i]) == 0;
}

/* ---- packets ---- */

typedef struct rig {
    sink k;
    sx_tally tally;
    transport *t;
    uint64_t frame;
} rig;

static void rig_open(rig *r, const tp_limits *lim) {
    memset(r, 0, sizeof *r);
    r->t = tp_new(lim, &r->tally, on_msg, &r->k);
}

/* Every packet is one frame, so frames == sum of frame outcomes must hold. */
static void rig_close(rig *r) {
    tp_flush(r->t);
    r->tally.frames = r->frame;
    CHECK_MSG(tally_check(&r->tally) == 0, "frames %llu != outcomes %llu",
              (unsigned long long)r->tally.frames,
              (unsigned long long)tally_frame_outcomes(&r->tally));
    tp_free(r->t);
}

static sx_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    sx_addr x = {.family = 4};
    x.a[0] = a, x.a[1] = b, x.a[2] = c, x.a[3] = d;
    return x;
}

/* A TCP segment 10.0.0.1:sport -> 10.0.0.2:5060 at time ts seconds. */
static void tcp_at(rig *r, uint16_t sport, uint32_t seq, uint8_t flags, const char *data,
                   size_t n, sx_time ts) {
    sx_l4 p = {.ts = ts * SX_SEC, .frame = ++r->frame, .src = v4(10, 0, 0, 1),
               .dst = v4(10, 0, 0, 2), .sport = sport, .dport = 5060, .proto = SX_PROTO_TCP,
               .tcp_flags = flags, .seq = seq, .payload = (const uint8_t *)data, .len = n};
    tp_packet(r->t, &p);
}

static void tcp(rig *r, uint32_t seq, uint8_t flags, const char *data, size_t n) {
    tcp_at(r, 40000, seq, flags, data, n, 1000);
}

static void udp(rig *r, const void *data, size_t n) {
    sx_l4 p = {.ts = 1000 * (sx_time)SX_SEC, .frame = ++r->frame, .src = v4(192, 0, 2, 1),
               .dst = v4(192, 0, 2, 2), .sport = 9060, .dport = 9060, .proto = SX_PROTO_UDP,
               .payload = data, .len = n};
    tp_packet(r->t, &p);
}

static const char M1[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
                         "Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1\r\n"
                         "Call-ID: a1@host\r\n"
                         "CSeq: 1 INVITE\r\n"
                         "Content-Length: 10\r\n"
                         "\r\n"
                         "v=0\r\no=x\r\n";
static const char M2[] = "SIP/2.0 200 OK\r\n"
                         "Call-ID: a1@host\r\n"
                         "l: 0\r\n"
                         "\r\n";
#define ISN 1000u

/* M1 then M2 as one byte string. */
static char both[sizeof M1 + sizeof M2];
static size_t both_len;

static void init_both(void) {
    both_len = strlen(M1) + strlen(M2);
    memcpy(both, M1, strlen(M1));
    memcpy(both + strlen(M1), M2, strlen(M2));
}

/* ---- TCP ---- */

static void test_two_in_one(void) {
    rig r;
    rig_open(&r, NULL);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, SX_TCP_ACK | SX_TCP_PSH, both, both_len);
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 1, M2));
    /* Nothing was buffered: both are framed in place, straight from the segment. */
    CHECK(r.k.ptr[0] == both && r.k.ptr[1] == both + strlen(M1));
    CHECK_INT(r.k.meta[1].transport, SX_T_TCP);
    CHECK_INT(r.k.meta[1].sport, 40000);
    CHECK_INT(r.k.meta[1].frame, 2);
    CHECK_INT(r.tally.tcp_segment, 2);
    CHECK_INT(r.tally.tcp_streams, 1);
    CHECK_INT(r.tally.tcp_bytes, both_len);
    CHECK_INT(r.tally.tcp_bytes_skipped, 0);
    rig_close(&r);
}

static void test_one_in_five(void) {
    rig r;
    rig_open(&r, NULL);
    size_t n = strlen(M1), step = n / 5 + 1;
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    for (size_t off = 0; off < n; off += step) {
        CHECK_INT(r.k.n, 0);
        size_t c = n - off < step ? n - off : step;
        tcp(&r, ISN + 1 + (uint32_t)off, SX_TCP_ACK, M1 + off, c);
    }
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK_INT(r.k.meta[0].frame, 6); /* the segment that completed it */
    CHECK_INT(r.tally.tcp_segment, 6);
    rig_close(&r);
}

static void test_out_of_order(void) {
    rig r;
    rig_open(&r, NULL);
    size_t a = 30, b = 150;
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, 0, both, a);
    tcp(&r, ISN + 1 + (uint32_t)b, 0, both + b, both_len - b);
    CHECK_INT(r.k.n, 0);
    tcp(&r, ISN + 1 + (uint32_t)a, 0, both + a, b - a); /* fills the hole */
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 1, M2));
    CHECK_INT(r.k.meta[1].frame, 4);
    CHECK_INT(r.tally.tcp_gaps, 0);
    CHECK_INT(r.tally.tcp_bytes_skipped, 0);
    rig_close(&r);
}

/* Every segment of a message shuffled (reverse order), no SYN seen, sequence wrapping. */
static void test_reverse_wrap(void) {
    rig r;
    rig_open(&r, NULL);
    uint32_t isn = 0xFFFFFF80u;
    size_t step = 40, nseg = (both_len + step - 1) / step;
    CHECK(nseg <= 8);
    tcp(&r, isn, 0, both, step); /* first seen: starts the stream */
    for (size_t i = nseg - 1; i >= 1; i--) {
        size_t off = i * step, c = both_len - off < step ? both_len - off : step;
        tcp(&r, isn + (uint32_t)off, 0, both + off, c);
    }
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 1, M2));
    rig_close(&r);
}

static void test_retransmission(void) {
    rig r;
    rig_open(&r, NULL);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, 0, both, 50);
    tcp(&r, ISN + 1, 0, both, 50);                      /* the same again */
    tcp(&r, ISN + 1 + 50, 0, both + 50, both_len - 50);
    tcp(&r, ISN + 1, 0, both, both_len);                /* everything again */
    tcp(&r, ISN + 1 + 100, 0, both + 100, both_len - 100); /* a tail, again */
    CHECK_INT(r.k.n, 2);
    CHECK_INT(r.tally.tcp_retransmits, 3);
    CHECK_INT(r.tally.tcp_segment, 6);
    rig_close(&r);
}

static void test_overlap(void) {
    rig r;
    rig_open(&r, NULL);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, 0, both, 60);
    tcp(&r, ISN + 1 + 40, 0, both + 40, both_len - 40); /* repeats bytes 40..60 */
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 1, M2));
    CHECK_INT(r.tally.tcp_retransmits, 1);
    /* Overlap between two held future segments. */
    rig_close(&r);
    rig_open(&r, NULL);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1 + 100, 0, both + 100, 60);
    tcp(&r, ISN + 1 + 80, 0, both + 80, both_len - 80);
    tcp(&r, ISN + 1 + 110, 0, both + 110, 10); /* inside what is held */
    tcp(&r, ISN + 1, 0, both, 90);
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 1, M2));
    CHECK_INT(r.tally.tcp_retransmits, 1);
    rig_close(&r);
}

/* A lost segment inside M1: M1 is lost, M2 (after the hole) is found by resync once the
 * out-of-order budget (8 held segments) runs out. */
static void test_gap_resync(void) {
    rig r;
    rig_open(&r, NULL);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, 0, both, 20);
    /* bytes 20..40 never arrive; the rest comes in 10-byte pieces with a 1-byte hole each,
     * so every piece is a separate held range */
    size_t off = 40;
    int sent = 0;
    while (off + 10 <= strlen(M1) && sent < 9) {
        tcp(&r, ISN + 1 + (uint32_t)off, 0, both + off, 10);
        off += 11;
        sent++;
    }
    CHECK_INT(sent, 9);
    CHECK_INT(r.tally.tcp_gaps, 1); /* the 9th piece forced the first jump */
    CHECK_INT(r.k.n, 0);
    /* Then M2 whole, far ahead (exceeds the budget again, more jumps). */
    tcp(&r, ISN + 1 + (uint32_t)strlen(M1), 0, M2, strlen(M2));
    tcp(&r, ISN + 1 + (uint32_t)both_len, SX_TCP_FIN, NULL, 0);
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M2));
    CHECK(r.tally.tcp_gaps >= 2);
    CHECK(r.tally.tcp_bytes_skipped >= 20 + 9 * 10 - 10);
    rig_close(&r);
}

/* The hole before M2 never fills and the stream ends: FIN flushes what is after it. */
static void test_fin_flush(void) {
    rig r;
    rig_open(&r, NULL);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, 0, both, 30);
    tcp(&r, ISN + 1 + (uint32_t)strlen(M1), SX_TCP_FIN, M2, strlen(M2));
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M2));
    CHECK_INT(r.k.meta[0].frame, 3);
    CHECK_INT(r.tally.tcp_gaps, 1);
    CHECK_INT(r.tally.tcp_bytes_skipped, 30);
    /* A retransmission after the close is recognised, not delivered twice. */
    tcp(&r, ISN + 1 + (uint32_t)strlen(M1), SX_TCP_FIN, M2, strlen(M2));
    CHECK_INT(r.k.n, 1);
    CHECK_INT(r.tally.tcp_retransmits, 1);
    /* A new connection on the same ports starts over. */
    tcp(&r, 7777, SX_TCP_SYN, NULL, 0);
    tcp(&r, 7778, 0, M1, strlen(M1));
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 1, M1));
    CHECK_INT(r.tally.tcp_streams, 2);
    rig_close(&r);
}

static void test_garbage_prefix(void) {
    rig r;
    rig_open(&r, NULL);
    static const char junk[] = "HELLO THERE\r\n\x01\x02\x03 binary\nmore junk";
    char buf[1024];
    size_t jn = sizeof junk - 1;
    memcpy(buf, junk, jn);
    buf[jn++] = '\n';
    memcpy(buf + jn, both, both_len);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, 0, buf, 10);            /* junk split across segments */
    tcp(&r, ISN + 11, 0, buf + 10, jn + both_len - 10);
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 1, M2));
    CHECK_INT(r.tally.tcp_bytes_skipped, jn);
    rig_close(&r);
}

/* Picked up mid-way (no SYN): the tail of a body, then a message. */
static void test_midstream(void) {
    rig r;
    rig_open(&r, NULL);
    char buf[1024];
    static const char tail[] = "a=rtpmap:0 PCMU/8000\r\n";
    memcpy(buf, tail, sizeof tail - 1);
    memcpy(buf + sizeof tail - 1, M2, strlen(M2));
    tcp(&r, 5000000, SX_TCP_ACK, buf, sizeof tail - 1 + strlen(M2));
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M2));
    CHECK_INT(r.tally.tcp_bytes_skipped, sizeof tail - 1);
    rig_close(&r);
}

static void test_too_large(void) {
    tp_limits lim;
    tp_limits_default(&lim);
    lim.max_msg = 300;
    rig r;
    rig_open(&r, &lim);
    char big[2048];
    int h = snprintf(big, sizeof big,
                     "MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 1000\r\n\r\n");
    memset(big + h, 'x', 1000);
    size_t bn = (size_t)h + 1000;
    memcpy(big + bn, M2, strlen(M2));
    /* Whole in one segment: its length is known, it is skipped exactly. */
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    tcp(&r, ISN + 1, 0, big, bn + strlen(M2));
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M2));
    CHECK_INT(r.tally.tcp_bytes_skipped, bn);
    /* In 100-byte pieces: once past max_msg its headers give its length; it is dropped
     * exactly (its body does not end in CRLF, so a line-based resync would miss M2). */
    tcp_at(&r, 40001, ISN, SX_TCP_SYN, NULL, 0, 1000);
    for (size_t off = 0; off < bn + strlen(M2); off += 100) {
        size_t c = bn + strlen(M2) - off < 100 ? bn + strlen(M2) - off : 100;
        tcp_at(&r, 40001, ISN + 1 + (uint32_t)off, 0, big + off, c, 1000);
    }
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 1, M2));
    CHECK_INT(r.tally.tcp_bytes_skipped, 2 * bn);
    rig_close(&r);
}

static void test_table_full(void) {
    tp_limits lim;
    tp_limits_default(&lim);
    lim.max_streams = 2;
    rig r;
    rig_open(&r, &lim);
    tcp_at(&r, 1, ISN, SX_TCP_SYN, NULL, 0, 100);
    tcp_at(&r, 2, ISN, SX_TCP_SYN, NULL, 0, 100);
    tcp_at(&r, 3, ISN, SX_TCP_SYN, NULL, 0, 100); /* both busy: dropped */
    CHECK_INT(r.tally.tcp_dropped_limit, 1);
    tcp_at(&r, 2, ISN + 1, 0, M1, 40, 101);        /* stream 2 busy, stream 1 idle 2 s */
    tcp_at(&r, 3, ISN, SX_TCP_SYN, NULL, 0, 102);
    CHECK_INT(r.tally.tcp_streams_evicted, 1);
    CHECK_INT(r.tally.tcp_dropped_limit, 1);
    tcp_at(&r, 3, ISN + 1, 0, M2, strlen(M2), 102);
    CHECK_INT(r.k.n, 1);
    tcp_at(&r, 2, ISN + 41, 0, M1 + 40, strlen(M1) - 40, 102); /* 2 survived */
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 1, M1));
    CHECK_INT(r.tally.tcp_segment, 6);
    rig_close(&r);
}

/* All stream buffers together stay under mem_max: a third stream that would pass it has its
 * bytes skipped (counted), the others go on. */
static void test_mem_cap(void) {
    tp_limits lim;
    tp_limits_default(&lim);
    lim.mem_max = 8192; /* two 4 KiB stream buffers */
    rig r;
    rig_open(&r, &lim);
    for (uint16_t port = 1; port <= 3; port++) {
        tcp_at(&r, port, ISN, SX_TCP_SYN, NULL, 0, 1);
        tcp_at(&r, port, ISN + 1, 0, M1, 50, 1);
    }
    CHECK_INT(r.tally.tcp_bytes_skipped, 50);
    for (uint16_t port = 1; port <= 3; port++)
        tcp_at(&r, port, ISN + 51, 0, M1 + 50, strlen(M1) - 50, 1);
    CHECK_INT(r.k.total, 2);
    CHECK(sink_is(&r.k, 1, M1));
    rig_close(&r);
}

/* Regression (review finding): hitting the memory cap while future segments are held used to
 * keep their ranges relative to a sequence number that had jumped, and the resync then read
 * gigabytes past the buffer. Everything buffered is now given up and counted. */
static void test_mem_cap_with_held_ranges(void) {
    tp_limits lim;
    tp_limits_default(&lim);
    lim.mem_max = 4096;
    rig r;
    rig_open(&r, &lim);
    static char big[5000];
    memset(big, 'x', sizeof big);
    tcp_at(&r, 1, ISN, SX_TCP_SYN, NULL, 0, 1);
    tcp_at(&r, 1, ISN + 1, 0, M1, 20, 1);                 /* a partial message, buffered */
    tcp_at(&r, 1, ISN + 1 + 20 + 100, 0, M1, 30, 1);      /* a future range, held */
    tcp_at(&r, 1, ISN + 1 + 20, 0, big, sizeof big, 1);   /* over the cap */
    CHECK_INT(r.tally.tcp_bytes_skipped, 20 + sizeof big + 30);
    uint32_t next = ISN + 1 + 20 + (uint32_t)sizeof big;
    tcp_at(&r, 1, next, 0, M1, strlen(M1), 2);            /* resync at a start line */
    tcp_at(&r, 1, next + (uint32_t)strlen(M1), SX_TCP_FIN, NULL, 0, 2);
    CHECK_INT(r.k.total, 1);
    CHECK(sink_is(&r.k, 0, M1));
    rig_close(&r);
}

static void test_idle_expiry(void) {
    tp_limits lim;
    tp_limits_default(&lim);
    lim.stream_idle = 60 * SX_SEC;
    rig r;
    rig_open(&r, &lim);
    tcp_at(&r, 1, ISN, SX_TCP_SYN, NULL, 0, 100);
    tcp_at(&r, 1, ISN + 1, 0, M1, 50, 100);
    tp_expire(r.t, 130 * SX_SEC);
    CHECK_INT(r.tally.tcp_streams_evicted, 0);
    tp_expire(r.t, 161 * SX_SEC);
    CHECK_INT(r.tally.tcp_streams_evicted, 1);
    CHECK_INT(r.tally.tcp_bytes_skipped, 50);
    /* The rest arrives later: a new mid-way stream that cannot start in the middle. */
    tcp_at(&r, 1, ISN + 51, 0, M1 + 50, strlen(M1) - 50, 170);
    CHECK_INT(r.k.n, 0);
    CHECK_INT(r.tally.tcp_streams, 2);
    /* Expiry also happens by itself as capture time passes. */
    tcp_at(&r, 2, ISN, SX_TCP_SYN, NULL, 0, 300);
    CHECK_INT(r.tally.tcp_streams_evicted, 2);
    rig_close(&r);
}

/* Thousands of interleaved streams: each message arrives in two halves, all first halves
 * before any second half, so every stream holds a partial message at once. */
static void test_many_streams(void) {
    rig r;
    rig_open(&r, NULL);
    size_t half = strlen(M1) / 2;
    for (uint16_t i = 0; i < 5000; i++) tcp_at(&r, (uint16_t)(10000 + i), ISN, SX_TCP_SYN, NULL, 0, 1);
    for (uint16_t i = 0; i < 5000; i++) tcp_at(&r, (uint16_t)(10000 + i), ISN + 1, 0, M1, half, 1);
    CHECK_INT(r.k.n, 0);
    for (uint16_t i = 0; i < 5000; i++)
        tcp_at(&r, (uint16_t)(10000 + i), ISN + 1 + (uint32_t)half, 0, M1 + half,
               strlen(M1) - half, 1);
    CHECK_INT(r.k.total, 5000);
    CHECK_INT(r.tally.tcp_streams, 5000);
    CHECK_INT(r.tally.tcp_bytes_skipped, 0);
    CHECK_INT(r.tally.tcp_segment, 15000);
    CHECK(sink_is(&r.k, SINK_MAX - 1, M1));
    rig_close(&r);
}

/* Feeding a SIP stream one byte at a time, with keep-alive CRLFs in between. */
static void test_bytewise(void) {
    rig r;
    rig_open(&r, NULL);
    char buf[1024];
    size_t n = 0;
    memcpy(buf, "\r\n\r\n", 4), n += 4;
    memcpy(buf + n, both, both_len), n += both_len;
    memcpy(buf + n, "\r\n", 2), n += 2;
    memcpy(buf + n, M2, strlen(M2)), n += strlen(M2);
    tcp(&r, ISN, SX_TCP_SYN, NULL, 0);
    for (size_t i = 0; i < n; i++) tcp(&r, ISN + 1 + (uint32_t)i, 0, buf + i, 1);
    CHECK_INT(r.k.n, 3);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 2, M2));
    CHECK_INT(r.tally.tcp_bytes_skipped, 0);
    rig_close(&r);
}

/* ---- UDP ---- */

static void test_udp(void) {
    rig r;
    rig_open(&r, NULL);
    udp(&r, M1, strlen(M1));
    char buf[512] = "\r\n\r\n";
    memcpy(buf + 4, M2, strlen(M2));
    udp(&r, buf, 4 + strlen(M2));
    udp(&r, "\r\n\r\n", 4);                       /* keep-alive only */
    static const uint8_t rtp[] = {0x80, 0x00, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8};
    udp(&r, rtp, sizeof rtp);
    udp(&r, "", 0);
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 0, M1));
    CHECK(sink_is(&r.k, 1, M2));
    CHECK(r.k.ptr[0] == M1); /* zero copy */
    CHECK_INT(r.k.meta[0].transport, SX_T_UDP);
    CHECK_INT(r.k.meta[0].hep, 0);
    CHECK_INT(r.tally.udp_sip, 2);
    CHECK_INT(r.tally.udp_not_sip, 3);
    rig_close(&r);
}

/* ---- HEP ---- */

static size_t put16(uint8_t *b, size_t o, unsigned v) {
    b[o] = (uint8_t)(v >> 8), b[o + 1] = (uint8_t)v;
    return o + 2;
}
static size_t put32(uint8_t *b, size_t o, uint32_t v) {
    o = put16(b, o, v >> 16);
    return put16(b, o, v & 0xffff);
}
static size_t chunk(uint8_t *b, size_t o, unsigned type, const void *data, size_t n) {
    o = put16(b, o, 0);
    o = put16(b, o, type);
    o = put16(b, o, (unsigned)(6 + n));
    memcpy(b + o, data, n);
    return o + n;
}
static size_t chunk8(uint8_t *b, size_t o, unsigned type, uint8_t v) { return chunk(b, o, type, &v, 1); }
static size_t chunk16(uint8_t *b, size_t o, unsigned type, unsigned v) {
    uint8_t x[2];
    put16(x, 0, v);
    return chunk(b, o, type, x, 2);
}
static size_t chunk32(uint8_t *b, size_t o, unsigned type, uint32_t v) {
    uint8_t x[4];
    put32(x, 0, v);
    return chunk(b, o, type, x, 4);
}

/* A HEP3 packet for 198.51.100.7:5080 -> 203.0.113.9:5060 with the given payload chunk. */
static size_t hep3(uint8_t *b, uint8_t proto, unsigned ptype, const void *pl, size_t pn) {
    static const uint8_t s[4] = {198, 51, 100, 7}, d[4] = {203, 0, 113, 9};
    size_t o = 6;
    memcpy(b, "HEP3", 4);
    o = chunk8(b, o, 1, 2);
    o = chunk8(b, o, 2, proto);
    o = chunk(b, o, 3, s, 4);
    o = chunk(b, o, 4, d, 4);
    o = chunk16(b, o, 7, 5080);
    o = chunk16(b, o, 8, 5060);
    o = chunk32(b, o, 9, 1700000000);
    o = chunk32(b, o, 10, 123456);
    o = chunk8(b, o, 11, 1);
    o = chunk32(b, o, 12, 2001);
    o = chunk(b, o, 14, "myHep", 5);
    o = chunk(b, o, ptype, pl, pn);
    put16(b, 4, (unsigned)o);
    return o;
}

static void check_hep_meta(const sx_msgmeta *m, int version) {
    char a[SX_ADDR_STRLEN];
    CHECK_STR(sx_addr_str(&m->src, a), "198.51.100.7");
    CHECK_STR(sx_addr_str(&m->dst, a), "203.0.113.9");
    CHECK_INT(m->sport, 5080);
    CHECK_INT(m->dport, 5060);
    CHECK_INT(m->ts, 1700000000LL * SX_SEC + 123456);
    CHECK_INT(m->hep, version);
    CHECK_INT(m->hep_id, 2001);
}

static void test_hep3(void) {
    rig r;
    rig_open(&r, NULL);
    uint8_t b[4096];
    size_t n = hep3(b, SX_PROTO_UDP, 15, M1, strlen(M1));
    udp(&r, b, n);
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M1));
    check_hep_meta(&r.k.meta[0], 3);
    CHECK_INT(r.k.meta[0].transport, SX_T_UDP);
    CHECK_INT(r.k.meta[0].frame, 1);

    /* compressed (zlib), over TCP */
    uint8_t z[2048];
    uLongf zn = sizeof z;
    CHECK(compress2(z, &zn, (const Bytef *)M2, strlen(M2), 9) == Z_OK);
    n = hep3(b, SX_PROTO_TCP, 16, z, zn);
    udp(&r, b, n);
    CHECK_INT(r.k.n, 2);
    CHECK(sink_is(&r.k, 1, M2));
    check_hep_meta(&r.k.meta[1], 3);
    CHECK_INT(r.k.meta[1].transport, SX_T_TCP);
    CHECK_INT(r.tally.hep_compressed, 1);

    /* a HEP3 log line: decapsulated, not SIP, not delivered */
    n = hep3(b, SX_PROTO_UDP, 15, "SYSLOG: hello", 13);
    udp(&r, b, n);
    CHECK_INT(r.k.n, 2);
    CHECK_INT(r.tally.hep, 3);
    CHECK_INT(r.tally.hep_malformed, 0);
    rig_close(&r);
}

static void test_hep3_v6(void) {
    rig r;
    rig_open(&r, NULL);
    uint8_t b[4096], s6[16] = {0x20, 0x01, 0x0d, 0xb8}, d6[16] = {0x20, 0x01, 0x0d, 0xb8};
    s6[15] = 1, d6[15] = 2;
    size_t o = 6;
    memcpy(b, "HEP3", 4);
    o = chunk8(b, o, 1, 10);
    o = chunk8(b, o, 2, SX_PROTO_TCP);
    o = chunk(b, o, 5, s6, 16);
    o = chunk(b, o, 6, d6, 16);
    o = chunk16(b, o, 7, 5061);
    o = chunk16(b, o, 8, 5060);
    o = chunk16(b, o, 12, 7); /* a 16-bit agent id, as some agents send */
    o = chunk(b, o, 15, M2, strlen(M2));
    put16(b, 4, (unsigned)o);
    udp(&r, b, o);
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M2));
    char a[SX_ADDR_STRLEN];
    CHECK_STR(sx_addr_str(&r.k.meta[0].src, a), "2001:db8::1");
    CHECK_STR(sx_addr_str(&r.k.meta[0].dst, a), "2001:db8::2");
    CHECK_INT(r.k.meta[0].transport, SX_T_TCP);
    CHECK_INT(r.k.meta[0].hep_id, 7);
    CHECK_INT(r.k.meta[0].ts, 1000LL * SX_SEC); /* no time chunk: the outer packet's */
    rig_close(&r);
}

static void test_hep2(void) {
    rig r;
    rig_open(&r, NULL);
    uint8_t b[2048] = {2, 16, 2, 17};
    put16(b, 4, 5080);
    put16(b, 6, 5060);
    memcpy(b + 8, (uint8_t[]){198, 51, 100, 7, 203, 0, 113, 9}, 8);
    /* time header in the sender's (little-endian) order: sec, usec, capture id, pad */
    uint32_t sec = 1700000000, usec = 123456;
    for (int i = 0; i < 4; i++) b[16 + i] = (uint8_t)(sec >> (8 * i));
    for (int i = 0; i < 4; i++) b[20 + i] = (uint8_t)(usec >> (8 * i));
    b[24] = 2001 & 0xff, b[25] = 2001 >> 8;
    memcpy(b + 28, M1, strlen(M1));
    udp(&r, b, 28 + strlen(M1));
    CHECK_INT(r.k.n, 1);
    CHECK(sink_is(&r.k, 0, M1));
    check_hep_meta(&r.k.meta[0], 2);
    CHECK_INT(r.k.meta[0].transport, SX_T_UDP);
    CHECK_INT(r.tally.hep, 1);
    /* truncated inside the time header */
    udp(&r, b, 20);
    CHECK_INT(r.tally.hep_malformed, 1);
    /* first byte 2 but nothing else agrees: just not SIP */
    b[1] = 99;
    udp(&r, b, 28 + strlen(M1));
    CHECK_INT(r.tally.udp_not_sip, 1);
    rig_close(&r);
}

static void test_hep_malformed(void) {
    rig r;
    rig_open(&r, NULL);
    uint8_t b[4096], c[4096];
    size_t n = hep3(b, SX_PROTO_UDP, 15, M1, strlen(M1));
    memcpy(c, b, n);
    put16(c, 4, (unsigned)n + 1);        /* total length past the datagram */
    udp(&r, c, n);
    memcpy(c, b, n);
    put16(c, 4, 3);                      /* total length shorter than the header */
    udp(&r, c, n);
    memcpy(c, b, n);
    put16(c, 10, 3);                     /* first chunk shorter than its header */
    udp(&r, c, n);
    memcpy(c, b, n);
    put16(c, 10, 60000);                 /* first chunk past the end */
    udp(&r, c, n);
    memcpy(c, b, n);
    put16(c, 6 + 7 + 7 + 4, 5);          /* IPv4 chunk (type 3) of the wrong length */
    udp(&r, c, n);
    udp(&r, b, 9);                       /* cut short */
    uint8_t junk[40] = {0x78, 0x9c, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    n = hep3(b, SX_PROTO_UDP, 16, junk, sizeof junk); /* compressed garbage */
    udp(&r, b, n);
    /* inflates past the 64 KiB buffer */
    static char huge[100000];
    memset(huge, 'A', sizeof huge);
    memcpy(huge, "INVITE sip:a@b SIP/2.0\r\n", 24);
    static uint8_t zb[4096], pk[8192];
    uLongf zn = sizeof zb;
    CHECK(compress2(zb, &zn, (const Bytef *)huge, sizeof huge, 9) == Z_OK);
    n = hep3(pk, SX_PROTO_UDP, 16, zb, zn);
    udp(&r, pk, n);
    CHECK_INT(r.tally.hep_malformed, 8);
    CHECK_INT(r.tally.hep, 0);
    CHECK_INT(r.k.n, 0);
    rig_close(&r);
}

int main(void) {
    init_both();
    test_two_in_one();
    test_one_in_five();
    test_out_of_order();
    test_reverse_wrap();
    test_retransmission();
    test_overlap();
    test_gap_resync();
    test_fin_flush();
    test_garbage_prefix();
    test_midstream();
    test_too_large();
    test_table_full();
    test_idle_expiry();
    test_mem_cap();
    test_mem_cap_with_held_ranges();
    test_bytewise();
    test_many_streams();
    test_udp();
    test_hep3();
    test_hep3_v6();
    test_hep2();
    test_hep_malformed();
    TH_END();
}
