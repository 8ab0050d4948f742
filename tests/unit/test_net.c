/* test_net.c -- the packet stage on hand-built frames: every link type, VLAN stacks, tunnels,
 * IPv6 extension headers, fragment reassembly in every order, overlaps, the memory cap and
 * expiry; each case checks what was delivered and that the tally balances. */
#include <stdlib.h>

#include "base/tally.h"
#include "harness.h"
#include "net/net.h"

/* ---- a recording callback that also plays the transport stage's part in the tally ---- */

typedef struct rec {
    sx_tally t;
    int udp, tcp;
    sx_l4 last;
    uint8_t pay[70000];
} rec;

static void on_l4(void *ud, const sx_l4 *p) {
    rec *r = ud;
    if (p->proto == SX_PROTO_UDP) {
        r->udp++;
        r->t.udp_not_sip++;
    } else {
        r->tcp++;
        r->t.tcp_segment++;
    }
    r->last = *p;
    memcpy(r->pay, p->payload, p->len < sizeof r->pay ? p->len : sizeof r->pay);
    r->last.payload = r->pay;
}

static net *mk(rec *r, const net_limits *lim) {
    memset(r, 0, sizeof *r);
    return net_new(lim, &r->t, on_l4, r);
}

static void feed_ts(net *n, int link, const uint8_t *b, size_t len, sx_time ts) {
    static uint64_t idx;
    sx_frame f = {.ts = ts, .linktype = link, .data = b, .caplen = (uint32_t)len,
                  .wirelen = (uint32_t)len, .index = ++idx};
    net_frame(n, &f);
}

static void feed(net *n, int link, const uint8_t *b, size_t len) { feed_ts(n, link, b, len, 0); }

/* ---- frame builders: each writes a header in front of a payload already at b + hl ---- */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

static const uint8_t SRC4[4] = {192, 0, 2, 1}, DST4[4] = {198, 51, 100, 7};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* UDP header + payload at b; returns length. */
static size_t mk_udp(uint8_t *b, unsigned sp, unsigned dp, const char *pay, size_t n) {
    put16(b, sp);
    put16(b + 2, dp);
    put16(b + 4, (unsigned)(8 + n));
    put16(b + 6, 0);
    memcpy(b + 8, pay, n);
    return 8 + n;
}

/* IPv4 header at b, payload (len bytes) already at b + 20. */
static size_t mk_ip4(uint8_t *b, uint8_t proto, size_t len, unsigned id, unsigned fragfield) {
    memset(b, 0, 20);
    b[0] = 0x45;
    put16(b + 2, (unsigned)(20 + len));
    put16(b + 4, id);
    put16(b + 6, fragfield);
    b[8] = 64;
    b[9] = proto;
    memcpy(b + 12, SRC4, 4);
    memcpy(b + 16, DST4, 4);
    return 20 + len;
}

static size_t mk_ip6(uint8_t *b, uint8_t nh, size_t len) {
    memset(b, 0, 40);
    b[0] = 0x60;
    put16(b + 4, (unsigned)len);
    b[6] = nh;
    b[7] = 64;
    memcpy(b + 8, SRC6, 16);
    memcpy(b + 24, DST6, 16);
    return 40 + len;
}

static size_t mk_eth(uint8_t *b, unsigned type, size_t len) {
    memset(b, 0xaa, 12);
    put16(b + 12, type);
    return 14 + len;
}

/* A whole Ethernet/IPv4/UDP frame with payload "INVITE sip:x SIP/2.0". */
static const char SIPMSG[] = "INVITE sip:x SIP/2.0\r\n\r\n";
static size_t eth_ip4_udp(uint8_t *b) {
    size_t u = mk_udp(b + 34, 5060, 5080, SIPMSG, sizeof SIPMSG - 1);
    size_t i = mk_ip4(b + 14, 17, u, 1, 0);
    return mk_eth(b, 0x0800, i);
}

static int delivered_sip(const rec *r) {
    return r->last.len == sizeof SIPMSG - 1 && memcmp(r->pay, SIPMSG, r->last.len) == 0;
}

/* ---- link layers ---- */

static void test_ethernet(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t b[256];
    size_t len = eth_ip4_udp(b);
    feed(n, SX_LINK_EN10MB, b, len);
    CHECK_INT(r.udp, 1);
    CHECK(delivered_sip(&r));
    CHECK_INT(r.last.sport, 5060);
    CHECK_INT(r.last.dport, 5080);
    CHECK_INT(r.last.src.family, 4);
    CHECK(memcmp(r.last.src.a, SRC4, 4) == 0 && memcmp(r.last.dst.a, DST4, 4) == 0);
    /* Ethernet pads short frames to 60 bytes: the IP length wins over the frame length. */
    uint8_t pad[80] = {0};
    size_t u = mk_udp(pad + 34, 1, 2, "x", 1);
    mk_eth(pad, 0x0800, mk_ip4(pad + 14, 17, u, 2, 0));
    feed(n, SX_LINK_EN10MB, pad, 60);
    CHECK_INT(r.udp, 2);
    CHECK_INT(r.last.len, 1);
    /* ARP is not IP; a 10-byte frame is truncated; an unknown link type is unsupported. */
    uint8_t arp[42] = {0};
    mk_eth(arp, 0x0806, 28);
    feed(n, SX_LINK_EN10MB, arp, sizeof arp);
    feed(n, SX_LINK_EN10MB, b, 10);
    feed(n, 147, b, len);
    CHECK_INT(r.t.not_ip, 1);
    CHECK_INT(r.t.link_truncated, 1);
    CHECK_INT(r.t.link_unsupported, 1);
    CHECK_INT(r.t.frames, 5);
    CHECK_INT(r.t.bytes_read, len + 60 + 42 + 10 + len);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

static void test_vlan(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t in[256], b[300];
    size_t ilen = eth_ip4_udp(in);
    /* Stacks: 802.1Q; QinQ 802.1ad + 802.1Q; old 0x9100 + 0x9100 + 0x8100 (any depth). */
    static const unsigned stacks[][4] = {{0x8100}, {0x88a8, 0x8100}, {0x9100, 0x9100, 0x8100}};
    for (int s = 0; s < 3; s++) {
        size_t o = 12;
        memcpy(b, in, 12);
        for (int k = 0; k < 4 && stacks[s][k]; k++, o += 4) {
            put16(b + o, stacks[s][k]);
            put16(b + o + 2, 100 + (unsigned)k); /* TCI: VLAN id */
        }
        memcpy(b + o, in + 12, ilen - 12);
        feed(n, SX_LINK_EN10MB, b, o + ilen - 12);
        CHECK_INT(r.udp, s + 1);
        CHECK(delivered_sip(&r));
    }
    /* A VLAN tag cut short. */
    put16(b + 12, 0x8100);
    feed(n, SX_LINK_EN10MB, b, 16);
    CHECK_INT(r.t.link_truncated, 1);
    CHECK_INT(r.t.tunnel_decapsulated, 3);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

static void test_other_links(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t ip4[128], ip6[128], b[256];
    size_t l4 = mk_ip4(ip4, 17, mk_udp(ip4 + 20, 5060, 5060, SIPMSG, sizeof SIPMSG - 1), 3, 0);
    size_t l6 = mk_ip6(ip6, 17, mk_udp(ip6 + 40, 5060, 5060, SIPMSG, sizeof SIPMSG - 1));
    int want = 0;
#define LINK_CASE(link, hdr, hl, ip, il)                  \
    do {                                                  \
        memcpy(b, hdr, hl);                               \
        memcpy(b + (hl), ip, il);                         \
        feed(n, link, b, (hl) + (il));                    \
        CHECK_MSG(r.udp == ++want, "link %d", link);      \
        CHECK(delivered_sip(&r));                         \
    } while (0)
    /* SLL: pkttype, ARPHRD, addr len, addr[8], protocol */
    const uint8_t sll4[16] = {0, 0, 0, 1, 0, 6, [14] = 0x08, 0x00};
    const uint8_t sll6[16] = {0, 4, 0, 1, 0, 6, [14] = 0x86, 0xdd};
    LINK_CASE(SX_LINK_LINUX_SLL, sll4, 16, ip4, l4);
    LINK_CASE(SX_LINK_LINUX_SLL, sll6, 16, ip6, l6);
    CHECK_INT(r.last.src.family, 6);
    CHECK(memcmp(r.last.src.a, SRC6, 16) == 0 && memcmp(r.last.dst.a, DST6, 16) == 0);
    /* SLL2: protocol first */
    const uint8_t sll2[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6};
    LINK_CASE(SX_LINK_LINUX_SLL2, sll2, 20, ip4, l4);
    /* Raw IP in all its link types */
    LINK_CASE(SX_LINK_RAW, "", 0, ip4, l4);
    LINK_CASE(SX_LINK_RAW, "", 0, ip6, l6);
    LINK_CASE(12, "", 0, ip4, l4);
    LINK_CASE(14, "", 0, ip6, l6);
    LINK_CASE(SX_LINK_IPV4, "", 0, ip4, l4);
    LINK_CASE(SX_LINK_IPV6, "", 0, ip6, l6);
    /* BSD null (host order: little- or big-endian) and loop (network order); AF_INET6 is
     * 24, 28 or 30 depending on the BSD. */
    const uint8_t null_le4[4] = {2, 0, 0, 0}, null_be4[4] = {0, 0, 0, 2};
    const uint8_t null_le6[4] = {30, 0, 0, 0}, loop6a[4] = {0, 0, 0, 24}, loop6b[4] = {0, 0, 0, 28};
    LINK_CASE(SX_LINK_NULL, null_le4, 4, ip4, l4);
    LINK_CASE(SX_LINK_NULL, null_be4, 4, ip4, l4);
    LINK_CASE(SX_LINK_NULL, null_le6, 4, ip6, l6);
    LINK_CASE(SX_LINK_LOOP, loop6a, 4, ip6, l6);
    LINK_CASE(SX_LINK_LOOP, loop6b, 4, ip6, l6);
    LINK_CASE(SX_LINK_LOOP, null_be4, 4, ip4, l4);
    /* Raw link carrying something that is not IP at all. */
    feed(n, SX_LINK_RAW, (const uint8_t *)"\x21zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 24);
    CHECK_INT(r.t.ip_malformed, 1);
    const uint8_t null_other[8] = {7, 0, 0, 0};
    feed(n, SX_LINK_NULL, null_other, 8);
    CHECK_INT(r.t.not_ip, 1);
    feed(n, SX_LINK_LINUX_SLL2, sll2, 12);
    CHECK_INT(r.t.link_truncated, 1);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

/* ---- tunnels ---- */

static void test_tunnels(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t b[512];
    /* 4in4: eth / ip4(proto 4) / ip4 / udp */
    size_t u = mk_udp(b + 54, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    size_t in = mk_ip4(b + 34, 17, u, 9, 0);
    b[34 + 12] = 10; /* inner source 10.0.2.1: the inner addresses are reported */
    mk_eth(b, 0x0800, mk_ip4(b + 14, 4, in, 8, 0));
    feed(n, SX_LINK_EN10MB, b, 14 + 20 + in);
    CHECK_INT(r.udp, 1);
    CHECK_INT(r.last.src.a[0], 10);
    CHECK_INT(r.t.tunnel_decapsulated, 1);
    /* 6in4 (proto 41) and 4in6 (proto 4 in IPv6) */
    u = mk_udp(b + 60, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    in = mk_ip6(b + 20, 17, u);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 41, in, 1, 0));
    CHECK_INT(r.udp, 2);
    CHECK_INT(r.last.src.family, 6);
    u = mk_udp(b + 60, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    in = mk_ip4(b + 40, 17, u, 1, 0);
    feed(n, SX_LINK_RAW, b, mk_ip6(b, 4, in));
    CHECK_INT(r.udp, 3);
    CHECK_INT(r.last.src.family, 4);
    CHECK(delivered_sip(&r));
    /* GRE, plain: flags 0, protocol IPv4 */
    u = mk_udp(b + 44, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    in = mk_ip4(b + 24, 17, u, 1, 0);
    put16(b + 20, 0);
    put16(b + 22, 0x0800);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 47, 4 + in, 1, 0));
    CHECK_INT(r.udp, 4);
    /* GRE with checksum, key and sequence (RFC 2890): 16-byte header, IPv6 inside */
    u = mk_udp(b + 76, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    in = mk_ip6(b + 36, 17, u);
    memset(b + 20, 0x55, 16);
    put16(b + 20, 0xb000);
    put16(b + 22, 0x86dd);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 47, 16 + in, 1, 0));
    CHECK_INT(r.udp, 5);
    CHECK(delivered_sip(&r));
    /* GRE transparent Ethernet bridging (0x6558): Ethernet inside GRE, with a key */
    size_t e = eth_ip4_udp(b + 28);
    put16(b + 20, 0x2000);
    put16(b + 22, 0x6558);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 47, 8 + e, 1, 0));
    CHECK_INT(r.udp, 6);
    CHECK(delivered_sip(&r));
    CHECK_INT(r.t.tunnel_decapsulated, 3 + 2 + 2); /* IP-in-IP, GRE; TEB counts GRE + Ethernet */
    /* GRE version 1 (PPTP, RFC 2637): key, sequence and ack, then PPP (ff 03 0021) / IPv4 */
    u = mk_udp(b + 20 + 16 + 4 + 20, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    in = mk_ip4(b + 40, 17, u, 1, 0);
    put16(b + 20, 0x3081);
    put16(b + 22, 0x880b);
    memcpy(b + 36, "\xff\x03\x00\x21", 4);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 47, 20 + in, 1, 0));
    CHECK_INT(r.udp, 7);
    CHECK(delivered_sip(&r));
    /* ... PPP with compressed address/control and protocol (0x21 alone) */
    memmove(b + 36, b + 39, 1 + in);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 47, 17 + in, 1, 0));
    CHECK_INT(r.udp, 8);
    /* GRE with a routing field or version 2 is not decoded; a GRE header cut short is
     * truncated. */
    put16(b + 20, 0x4000);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 47, 8 + e, 1, 0));
    CHECK_INT(r.t.not_udp_tcp, 1);
    put16(b + 20, 0xb000);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 47, 8, 1, 0));
    CHECK_INT(r.t.link_truncated, 1);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

static void test_tunnel_depth(void) {
    rec r;
    net_limits lim;
    net_limits_default(&lim);
    lim.max_tunnel_depth = 3;
    net *n = mk(&r, &lim);
    uint8_t b[512];
    /* IPv4 in IPv4 nested k times: up to the cap it decodes, beyond it is refused. */
    for (int k = 3; k <= 4; k++) {
        size_t o = (size_t)k * 20, len = mk_udp(b + o + 20, 1, 2, "x", 1);
        len = mk_ip4(b + o, 17, len, 1, 0);
        for (int i = k - 1; i >= 0; i--) len = mk_ip4(b + (size_t)i * 20, 4, len, 1, 0);
        feed(n, SX_LINK_RAW, b, len);
    }
    CHECK_INT(r.udp, 1);
    CHECK_INT(r.t.ip_malformed, 1);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

/* ---- IPv6 extension headers, TCP, malformed headers ---- */

static void test_ipv6_ext(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t b[512];
    /* hop-by-hop (8) -> routing (24) -> destination options (16) -> UDP */
    uint8_t *x = b + 40;
    memset(x, 0, 48);
    x[0] = 43, x[1] = 0;           /* HBH: next routing, 8 bytes */
    x[8] = 60, x[9] = 2;           /* routing: next dstopts, 24 bytes */
    x[32] = 17, x[33] = 1;         /* dstopts: next UDP, 16 bytes */
    size_t u = mk_udp(b + 88, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    feed(n, SX_LINK_RAW, b, mk_ip6(b, 0, 48 + u));
    CHECK_INT(r.udp, 1);
    CHECK(delivered_sip(&r));
    /* an atomic fragment (offset 0, M 0, RFC 6946) is a whole packet */
    memset(x, 0, 8);
    x[0] = 17;
    u = mk_udp(b + 48, 5060, 5060, SIPMSG, sizeof SIPMSG - 1);
    feed(n, SX_LINK_RAW, b, mk_ip6(b, 44, 8 + u));
    CHECK_INT(r.udp, 2);
    /* an extension header longer than the packet; No Next Header (59); ICMPv6 */
    x[0] = 17, x[1] = 200;
    feed(n, SX_LINK_RAW, b, mk_ip6(b, 60, 16));
    CHECK_INT(r.t.ip_malformed, 1);
    feed(n, SX_LINK_RAW, b, mk_ip6(b, 59, 0));
    feed(n, SX_LINK_RAW, b, mk_ip6(b, 58, 8));
    CHECK_INT(r.t.not_udp_tcp, 2);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

static void test_tcp_and_malformed(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t b[512];
    /* TCP with 12 bytes of options (data offset 8) */
    uint8_t *t = b + 20;
    memset(t, 0, 32);
    put16(t, 40000);
    put16(t + 2, 5060);
    t[4] = 0x12, t[5] = 0x34, t[6] = 0x56, t[7] = 0x78;
    t[12] = 8 << 4;
    t[13] = SX_TCP_PSH | SX_TCP_ACK;
    memcpy(t + 32, SIPMSG, sizeof SIPMSG - 1);
    size_t tl = 32 + sizeof SIPMSG - 1;
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 6, tl, 1, 0));
    CHECK_INT(r.tcp, 1);
    CHECK_INT(r.last.seq, 0x12345678);
    CHECK_INT(r.last.tcp_flags, SX_TCP_PSH | SX_TCP_ACK);
    CHECK_INT(r.last.sport, 40000);
    CHECK(delivered_sip(&r));
    /* TCP data offset below 5, and beyond the segment */
    t[12] = 3 << 4;
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 6, tl, 1, 0));
    t[12] = 15 << 4;
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 6, 40, 1, 0));
    CHECK_INT(r.t.l4_malformed, 2);
    /* UDP length longer than the IP payload, and shorter than its header */
    size_t u = mk_udp(b + 20, 1, 2, "hello", 5);
    put16(b + 24, 100);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 17, u, 1, 0));
    put16(b + 24, 4);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 17, u, 1, 0));
    CHECK_INT(r.t.l4_malformed, 4);
    /* IPv4: header length 4 words; total length beyond the frame; ICMP */
    u = mk_udp(b + 20, 1, 2, "hello", 5);
    size_t il = mk_ip4(b, 17, u, 1, 0);
    b[0] = 0x44;
    feed(n, SX_LINK_RAW, b, il);
    b[0] = 0x45;
    feed(n, SX_LINK_RAW, b, il - 3);
    CHECK_INT(r.t.ip_malformed, 2);
    /* ... but a frame cut by the snap length is a truncated frame, not a lying header */
    sx_frame f = {.linktype = SX_LINK_RAW, .data = b, .caplen = 24, .wirelen = (uint32_t)il};
    net_frame(n, &f);
    CHECK_INT(r.t.link_truncated, 1);
    feed(n, SX_LINK_RAW, b, mk_ip4(b, 1, 8, 1, 0));
    CHECK_INT(r.t.not_udp_tcp, 1);
    CHECK_INT(r.udp, 0);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

/* ---- fragments ---- */

#define BIG 3000
static uint8_t bigpay[BIG];

/* Builds the UDP datagram (8 + BIG bytes) once. */
static size_t big_udp(uint8_t *u) {
    for (int i = 0; i < BIG; i++) bigpay[i] = (uint8_t)(i * 7 + i / 256);
    put16(u, 5060);
    put16(u + 2, 5060);
    put16(u + 4, 8 + BIG);
    put16(u + 6, 0);
    memcpy(u + 8, bigpay, BIG);
    return 8 + BIG;
}

/* Emits fragment [off, off+len) of datagram u (v4 or v6) as a raw-IP frame. */
static void send_frag(net *n, int v6, const uint8_t *u, size_t ulen, size_t off, size_t len,
                      unsigned id, sx_time ts) {
    uint8_t b[2000];
    int more = off + len < ulen;
    if (!v6) {
        memcpy(b + 20, u + off, len);
        mk_ip4(b, 17, len, id, (unsigned)(off / 8) | (more ? 0x2000u : 0));
        feed_ts(n, SX_LINK_RAW, b, 20 + len, ts);
    } else {
        uint8_t *fh = b + 40;
        fh[0] = 17, fh[1] = 0;
        put16(fh + 2, (unsigned)off | (more ? 1u : 0));
        fh[4] = 0, fh[5] = 0, fh[6] = (uint8_t)(id >> 8), fh[7] = (uint8_t)id;
        memcpy(b + 48, u + off, len);
        mk_ip6(b, 44, 8 + len);
        feed_ts(n, SX_LINK_RAW, b, 48 + len, ts);
    }
}

static int big_delivered(const rec *r) {
    return r->last.len == BIG && memcmp(r->pay, bigpay, BIG) == 0;
}

/* 3008 bytes in fragments of 1200: [0,1200) [1200,2400) [2400,3008) */
static const size_t FOFF[3] = {0, 1200, 2400}, FLEN[3] = {1200, 1200, 608};

static void test_frag_orders(void) {
    static const int orders[6][3] = {{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}};
    uint8_t u[BIG + 8];
    size_t ulen = big_udp(u);
    for (int v6 = 0; v6 <= 1; v6++) {
        rec *r = malloc(sizeof *r);
        net *n = mk(r, NULL);
        for (int o = 0; o < 6; o++) {
            for (int k = 0; k < 3; k++) {
                int i = orders[o][k];
                send_frag(n, v6, u, ulen, FOFF[i], FLEN[i], 100 + (unsigned)o, 0);
            }
            CHECK_MSG(r->udp == o + 1, "v6=%d order %d: %d datagrams", v6, o, r->udp);
            CHECK_MSG(big_delivered(r), "v6=%d order %d: payload", v6, o);
        }
        CHECK_INT(r->t.frag_reassembled, 6);
        CHECK_INT(r->t.ip_fragment_held, 12);
        CHECK_INT(net_frag_pending(n), 0);
        CHECK(tally_check(&r->t) == 0);
        net_free(n);
        free(r);
    }
}

static void test_frag_overlap(void) {
    uint8_t u[BIG + 8], evil[BIG + 8];
    size_t ulen = big_udp(u);
    memset(evil, 0xee, sizeof evil);
    for (int v6 = 0; v6 <= 1; v6++) {
        rec *r = malloc(sizeof *r);
        net *n = mk(r, NULL);
        /* first, an exact duplicate: dropped and counted */
        send_frag(n, v6, u, ulen, 0, 1200, 7, 0);
        send_frag(n, v6, u, ulen, 0, 1200, 7, 0);
        CHECK_INT(r->t.frag_dropped, 1);
        /* an overlapping fragment [800, 2000) with different bytes in the overlap: the bytes
         * that arrived first are kept, only the hole [1200, 2000) is filled from it */
        uint8_t mix[BIG + 8];
        memcpy(mix, evil, sizeof mix);
        memcpy(mix + 1200, u + 1200, 800);
        send_frag(n, v6, mix, ulen, 800, 1200, 7, 0);
        send_frag(n, v6, u, ulen, 2000, ulen - 2000, 7, 0);
        CHECK_INT(r->udp, 1);
        CHECK(big_delivered(r));
        /* a second "last" fragment disagreeing on the size is dropped */
        send_frag(n, v6, u, ulen, 0, 1200, 8, 0);
        send_frag(n, v6, u, ulen, 1200, ulen - 1200, 8, 0);
        CHECK_INT(r->udp, 2);
        send_frag(n, v6, u, ulen, 0, 1200, 9, 0);
        send_frag(n, v6, u, 2800, 2400, 400, 9, 0); /* last: the datagram ends at 2800 */
        send_frag(n, v6, u, ulen, 2400, 608, 9, 0); /* says 3008: contradicts, dropped */
        CHECK_INT(r->t.frag_dropped, 2);
        /* completes at 2800 bytes, which the UDP length (3008) contradicts */
        send_frag(n, v6, u, ulen, 1200, 1200, 9, 0);
        CHECK_INT(r->udp, 2);
        CHECK_INT(r->t.l4_malformed, 1);
        /* a non-last fragment whose length is not a multiple of 8 is malformed */
        send_frag(n, v6, u, ulen, 0, 1001, 10, 0);
        CHECK_INT(r->t.ip_malformed, 1);
        CHECK_INT(r->t.frag_reassembled, 3);
        CHECK(tally_check(&r->t) == 0);
        net_free(n);
        free(r);
    }
}

static void test_frag_memcap(void) {
    uint8_t u[BIG + 8];
    size_t ulen = big_udp(u);
    rec *r = malloc(sizeof *r);
    net_limits lim;
    net_limits_default(&lim);
    /* room for one whole datagram of 3008 bytes plus its bookkeeping (~1.1 KiB), or one
     * incomplete datagram of 1200 bytes, but not two */
    lim.frag_mem_max = 4500;
    net *n = mk(r, &lim);
    send_frag(n, 0, u, ulen, 0, 1200, 1, 0); /* A starts */
    send_frag(n, 0, u, ulen, 0, 1200, 2, 0); /* B starts: A is given up */
    CHECK_INT(r->t.frag_expired, 1);
    CHECK_INT(net_frag_pending(n), 1);
    /* B can still grow to its full size */
    send_frag(n, 0, u, ulen, 1200, 1200, 2, 0);
    send_frag(n, 0, u, ulen, 2400, 608, 2, 0);
    CHECK_INT(r->udp, 1);
    CHECK(big_delivered(r));
    net_free(n);
    /* a datagram that alone exceeds the cap: its fragments are dropped, nothing is kept */
    lim.frag_mem_max = 2000;
    n = mk(r, &lim);
    send_frag(n, 0, u, ulen, 1200, 1200, 3, 0);
    send_frag(n, 1, u, ulen, 1200, 1200, 3, 0);
    CHECK_INT(r->t.frag_dropped, 2);
    CHECK_INT(net_frag_pending(n), 0);
    CHECK(tally_check(&r->t) == 0);
    net_free(n);
    /* a cap too small for any datagram: every fragment is dropped, whole packets still pass */
    lim.frag_mem_max = 10;
    n = mk(r, &lim);
    send_frag(n, 0, u, ulen, 0, 1200, 4, 0);
    send_frag(n, 1, u, ulen, 0, 1200, 4, 0);
    uint8_t b[256];
    feed(n, SX_LINK_EN10MB, b, eth_ip4_udp(b));
    CHECK_INT(r->t.frag_dropped, 2);
    CHECK_INT(r->udp, 1);
    CHECK(tally_check(&r->t) == 0);
    net_free(n);
    free(r);
}

static void test_frag_expiry(void) {
    uint8_t u[BIG + 8], b[256];
    size_t ulen = big_udp(u);
    rec *r = malloc(sizeof *r);
    net *n = mk(r, NULL); /* timeout 30 s */
    const sx_time t0 = 1700000000 * (sx_time)SX_SEC;
    send_frag(n, 0, u, ulen, 0, 1200, 1, t0);
    send_frag(n, 0, u, ulen, 1200, 1200, 1, t0 + 1 * SX_SEC);
    net_expire(n, t0 + 29 * SX_SEC); /* not yet */
    CHECK_INT(net_frag_pending(n), 1);
    net_expire(n, t0 + 31 * SX_SEC);
    CHECK_INT(r->t.frag_expired, 1);
    CHECK_INT(net_frag_pending(n), 0);
    /* the last fragment arriving after expiry starts a new incomplete datagram */
    send_frag(n, 0, u, ulen, 2400, 608, 1, t0 + 32 * SX_SEC);
    CHECK_INT(r->udp, 0);
    CHECK_INT(r->t.ip_fragment_held, 3);
    /* net expires on its own as frames advance capture time */
    size_t len = eth_ip4_udp(b);
    feed_ts(n, SX_LINK_EN10MB, b, len, t0 + 70 * SX_SEC);
    CHECK_INT(r->t.frag_expired, 2);
    CHECK_INT(net_frag_pending(n), 0);
    /* end of input: what is pending counts as expired */
    send_frag(n, 1, u, ulen, 0, 1200, 5, t0 + 71 * SX_SEC);
    net_flush(n);
    CHECK_INT(r->t.frag_expired, 3);
    CHECK_INT(net_frag_pending(n), 0);
    CHECK(tally_check(&r->t) == 0);
    net_free(n);
    free(r);
}

/* Reassembly reuses finished datagrams: 1000 fragmented datagrams in a row (v4 and v6, in
 * every arrival order) cost a handful of allocations, not two per datagram, and each comes
 * out whole (a reused struct starts with an empty coverage map). Then 100 held at once: the
 * ones beyond the free list are freed when they finish (SAN=1 checks nothing leaks). */
static void test_frag_reuse(void) {
    uint8_t u[BIG + 8];
    size_t ulen = big_udp(u);
    rec *r = malloc(sizeof *r);
    net *n = mk(r, NULL);
    int whole = 0;
    for (int i = 0; i < 1000; i++) {
        static const int ORD[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                      {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (int k = 0; k < 3; k++) {
            int j = ORD[i % 6][k];
            send_frag(n, i & 1, u, ulen, FOFF[j], FLEN[j], 1000u + (unsigned)i, 0);
        }
        whole += big_delivered(r);
        r->pay[0] ^= 0xff; /* the next datagram must write it again */
    }
    CHECK_INT(whole, 1000);
    CHECK_INT(r->t.frag_reassembled, 1000);
    CHECK_INT(net_frag_pending(n), 0);
    CHECK((int)net_frag_allocs(n) <= NET_FRAG_CACHE);
    CHECK((int)net_frag_allocs(n) <= 4); /* in fact: one struct, its buffer grown 3 times */
    for (unsigned i = 0; i < 100; i++) send_frag(n, 0, u, ulen, 0, 1200, 5000u + i, 0);
    CHECK_INT(net_frag_pending(n), 100);
    for (unsigned i = 0; i < 100; i++) {
        send_frag(n, 0, u, ulen, 1200, 1200, 5000u + i, 0);
        send_frag(n, 0, u, ulen, 2400, 608, 5000u + i, 0);
    }
    CHECK_INT(r->t.frag_reassembled, 1100);
    CHECK_INT(net_frag_pending(n), 0);
    CHECK(tally_check(&r->t) == 0);
    net_free(n);
    free(r);
}

/* A fragmented datagram carried in a tunnel, whose fragments travel in the outer IP. */
static void test_frag_tunnel(void) {
    uint8_t u[BIG + 8], in[BIG + 100], b[2000];
    big_udp(u);
    size_t il = mk_ip6(in, 17, 8 + BIG);
    memcpy(in + 40, u, 8 + BIG);
    il = 40 + 8 + BIG;
    rec *r = malloc(sizeof *r);
    net *n = mk(r, NULL);
    /* outer IPv4 proto 41, fragmented in reverse order */
    for (int i = 2; i >= 0; i--) {
        size_t off = (size_t)i * 1200, len = off + 1200 < il ? 1200 : il - off;
        memcpy(b + 20, in + off, len);
        mk_ip4(b, 41, len, 77, (unsigned)(off / 8) | (off + len < il ? 0x2000u : 0));
        feed(n, SX_LINK_RAW, b, 20 + len);
    }
    CHECK_INT(r->udp, 1);
    CHECK(big_delivered(r));
    CHECK_INT(r->last.src.family, 6);
    CHECK_INT(r->t.tunnel_decapsulated, 1);
    CHECK(tally_check(&r->t) == 0);
    net_free(n);
    free(r);
}

/* ---- GTP-U (3GPP TS 29.281) ---- */

/* GTP-U header at b (flags, type, 8 + opt + plen as length); returns its size. opt is 0 or
 * the bytes of the optional part (seq, N-PDU, next type) plus extension headers. */
static size_t mk_gtp(uint8_t *b, uint8_t flags, uint8_t type, const uint8_t *opt, size_t optlen,
                     size_t plen) {
    b[0] = flags;
    b[1] = type;
    put16(b + 2, (unsigned)(optlen + plen));
    memcpy(b + 4, "\x00\x00\x04\xd2", 4); /* TEID 1234 */
    if (optlen) memcpy(b + 8, opt, optlen);
    return 8 + optlen;
}

/* raw IPv4 / UDP 2152 -> 2152 / GTP-U (hdr bytes at g) / inner packet (ilen bytes at in) */
static size_t gtp_frame(uint8_t *b, unsigned sport, unsigned dport, const uint8_t *g, size_t gl,
                        const uint8_t *in, size_t ilen) {
    memcpy(b + 28, g, gl);
    memcpy(b + 28 + gl, in, ilen);
    put16(b + 20, sport);
    put16(b + 22, dport);
    put16(b + 24, (unsigned)(8 + gl + ilen));
    put16(b + 26, 0);
    return mk_ip4(b, 17, 8 + gl + ilen, 5, 0);
}

static void test_gtpu(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t in6[256], in4[256], g[64], b[512];
    size_t l6 = mk_ip6(in6, 17, mk_udp(in6 + 40, 5060, 5060, SIPMSG, sizeof SIPMSG - 1));
    size_t l4 = mk_ip4(in4, 17, mk_udp(in4 + 20, 5060, 5060, SIPMSG, sizeof SIPMSG - 1), 3, 0);
    /* plain G-PDU (flags 0x30: version 1, PT 1), IPv6 inside: the inner datagram comes out */
    size_t gl = mk_gtp(g, 0x30, 0xff, NULL, 0, l6);
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 2152, 2152, g, gl, in6, l6));
    CHECK_INT(r.udp, 1);
    CHECK(delivered_sip(&r));
    CHECK_INT(r.last.src.family, 6);
    CHECK(memcmp(r.last.src.a, SRC6, 16) == 0);
    /* sequence number flag and two extension headers (PDU session container 0x85, 4 bytes;
     * then one of 8 bytes), IPv4 inside, from a dynamic source port */
    static const uint8_t opt[16] = {0x12, 0x34, 0, 0x85,  1, 0x10, 0x01, 0x40,
                                    2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0};
    gl = mk_gtp(g, 0x36, 0xff, opt, 16, l4);
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 40000, 2152, g, gl, in4, l4));
    CHECK_INT(r.udp, 2);
    CHECK(delivered_sip(&r));
    CHECK_INT(r.last.src.family, 4);
    CHECK_INT(r.t.tunnel_decapsulated, 2);
    /* S set but E clear: the next-type byte is not looked at (0x85 there is ignored) */
    gl = mk_gtp(g, 0x32, 0xff, opt, 4, l4);
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 2152, 2152, g, gl, in4, l4));
    CHECK_INT(r.udp, 3);
    CHECK(delivered_sip(&r));
    /* not G-PDUs: echo request (type 1), GTP' (PT 0), GTPv2; GTP-C port 2123: all stay
     * plain UDP datagrams, delivered with their outer ports */
    static const struct { uint8_t flags, type; unsigned port; } plain[4] = {
        {0x32, 1, 2152}, {0x20, 0xff, 2152}, {0x48, 0xff, 2152}, {0x30, 0xff, 2123}};
    for (int i = 0; i < 4; i++) {
        gl = mk_gtp(g, plain[i].flags, plain[i].type, NULL, 0, l4);
        feed(n, SX_LINK_RAW, b, gtp_frame(b, plain[i].port, plain[i].port, g, gl, in4, l4));
        CHECK_INT(r.udp, 4 + i);
        CHECK_INT(r.last.dport, plain[i].port);
        CHECK_INT(r.last.len, gl + l4);
    }
    CHECK_INT(r.t.tunnel_decapsulated, 3);
    /* a G-PDU whose payload is not IP; whose length claims more than the datagram; whose
     * extension header has length 0; whose extension chain runs past the end */
    gl = mk_gtp(g, 0x30, 0xff, NULL, 0, 4);
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 2152, 2152, g, gl, (const uint8_t *)"\x11\x22\x33\x44", 4));
    CHECK_INT(r.t.not_ip, 1);
    gl = mk_gtp(g, 0x30, 0xff, NULL, 0, l4 + 1);
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 2152, 2152, g, gl, in4, l4));
    CHECK_INT(r.t.link_truncated, 1);
    static const uint8_t zero_ext[8] = {0, 0, 0, 0x85, 0, 0, 0, 0};
    gl = mk_gtp(g, 0x34, 0xff, zero_ext, 8, l4);
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 2152, 2152, g, gl, in4, l4));
    CHECK_INT(r.t.ip_malformed, 1);
    gl = mk_gtp(g, 0x34, 0xff, opt, 8, 0); /* second extension header announced, missing */
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 2152, 2152, g, gl, in4, 0));
    CHECK_INT(r.t.link_truncated, 2);
    CHECK_INT(r.udp, 7);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);

    /* nesting: GTP-U inside GTP-U counts against the tunnel depth cap */
    net_limits lim;
    net_limits_default(&lim);
    lim.max_tunnel_depth = 1;
    n = mk(&r, &lim);
    uint8_t once[512];
    gl = mk_gtp(g, 0x30, 0xff, NULL, 0, l4);
    size_t ol = gtp_frame(once, 2152, 2152, g, gl, in4, l4);
    feed(n, SX_LINK_RAW, once, ol);
    CHECK_INT(r.udp, 1);
    gl = mk_gtp(g, 0x30, 0xff, NULL, 0, ol);
    feed(n, SX_LINK_RAW, b, gtp_frame(b, 2152, 2152, g, gl, once, ol));
    CHECK_INT(r.udp, 1);
    CHECK_INT(r.t.ip_malformed, 1);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

/* ---- the snap length cut the frame ---- */

static void feed_cut(net *n, int link, const uint8_t *b, size_t caplen, size_t wirelen) {
    sx_frame f = {.linktype = link, .data = b, .caplen = (uint32_t)caplen,
                  .wirelen = (uint32_t)wirelen, .index = 1};
    net_frame(n, &f);
}

static void test_snapped(void) {
    rec r;
    net *n = mk(&r, NULL);
    uint8_t b[512];
    /* Ethernet / IPv4 / UDP with SIP, 20 bytes of the payload captured: delivered with
     * what was captured, the rest said missing */
    size_t len = eth_ip4_udp(b);
    size_t hdrs = 14 + 20 + 8;
    feed_cut(n, SX_LINK_EN10MB, b, hdrs + 20, len);
    CHECK_INT(r.udp, 1);
    CHECK_INT(r.last.len, 20);
    CHECK_INT(r.last.missing, sizeof SIPMSG - 1 - 20);
    CHECK(memcmp(r.pay, SIPMSG, 20) == 0);
    /* only the UDP header: an empty payload, all of it missing */
    feed_cut(n, SX_LINK_EN10MB, b, hdrs, len);
    CHECK_INT(r.udp, 2);
    CHECK_INT(r.last.len, 0);
    CHECK_INT(r.last.missing, sizeof SIPMSG - 1);
    /* the UDP header cut, or the IP header cut: a short frame */
    feed_cut(n, SX_LINK_EN10MB, b, hdrs - 1, len);
    feed_cut(n, SX_LINK_EN10MB, b, 14 + 19, len);
    CHECK_INT(r.t.link_truncated, 2);
    /* a whole frame says nothing is missing */
    feed(n, SX_LINK_EN10MB, b, len);
    CHECK_INT(r.udp, 3);
    CHECK_INT(r.last.missing, 0);
    /* IPv6 / TCP cut in its payload (SLL, like pcapplusplus/SllPacket.pcap) */
    uint8_t *t = b + 40;
    memset(t, 0, 20);
    put16(t, 5060), put16(t + 2, 40000);
    t[12] = 5 << 4;
    t[13] = SX_TCP_ACK;
    memcpy(t + 20, SIPMSG, sizeof SIPMSG - 1);
    size_t il = mk_ip6(b, 6, 20 + sizeof SIPMSG - 1);
    feed_cut(n, SX_LINK_RAW, b, 40 + 20 + 6, il);
    CHECK_INT(r.tcp, 1);
    CHECK_INT(r.last.len, 6);
    CHECK_INT(r.last.missing, sizeof SIPMSG - 1 - 6);
    feed_cut(n, SX_LINK_RAW, b, 40 + 12, il); /* TCP header cut */
    CHECK_INT(r.t.link_truncated, 3);
    /* a UDP length beyond even the uncut IP packet is still a lie */
    size_t u = mk_udp(b + 20, 1, 2, "hello world", 11);
    size_t l = mk_ip4(b, 17, u, 1, 0);
    put16(b + 24, 100);
    feed_cut(n, SX_LINK_RAW, b, l - 4, l);
    CHECK_INT(r.t.l4_malformed, 1);
    /* a cut fragment would leave a hole: short frame, nothing held */
    u = mk_udp(b + 20, 1, 2, "hello world", 11);
    l = mk_ip4(b, 17, u, 1, 0x2000);
    feed_cut(n, SX_LINK_RAW, b, l - 4, l);
    CHECK_INT(r.t.link_truncated, 4);
    CHECK_INT(net_frag_pending(n), 0);
    /* GTP-U cut inside the inner packet: the inner datagram, with what was captured */
    uint8_t in4[128], g[16], o[512];
    size_t l4 = mk_ip4(in4, 17, mk_udp(in4 + 20, 5060, 5060, SIPMSG, sizeof SIPMSG - 1), 3, 0);
    size_t gl = mk_gtp(g, 0x30, 0xff, NULL, 0, l4);
    size_t ol = gtp_frame(o, 2152, 2152, g, gl, in4, l4);
    feed_cut(n, SX_LINK_RAW, o, ol - 5, ol);
    CHECK_INT(r.udp, 4);
    CHECK_INT(r.last.dport, 5060);
    CHECK_INT(r.last.len, sizeof SIPMSG - 1 - 5);
    CHECK_INT(r.last.missing, 5);
    CHECK(tally_check(&r.t) == 0);
    net_free(n);
}

int main(void) {
    test_ethernet();
    test_vlan();
    test_other_links();
    test_tunnels();
    test_tunnel_depth();
    test_ipv6_ext();
    test_tcp_and_malformed();
    test_frag_orders();
    test_frag_overlap();
    test_frag_memcap();
    test_frag_expiry();
    test_frag_reuse();
    test_frag_tunnel();
    test_gtpu();
    test_snapped();
    TH_END();
}
