/* hep.c -- HEP (Homer Encapsulation Protocol) decapsulation.
 *
 * Capture agents (heplify, captagent, Kamailio/OpenSIPS sipcapture, FreeSWITCH...) copy the
 * SIP they see into HEP datagrams sent to a collector, typically on UDP port 9060. The inner
 * message keeps its original addresses, ports and time; this file recovers them.
 *
 * HEP v3 (sipcapture HEP3 spec): "HEP3", u16 total length, then chunks
 *   { u16 vendor, u16 type, u16 length (including these 6 bytes), data }, big-endian.
 *   Generic (vendor 0) types used here: 1 IP family, 2 IP protocol, 3/4 IPv4 src/dst,
 *   5/6 IPv6 src/dst, 7/8 src/dst port, 9 seconds, 10 microseconds, 11 protocol type,
 *   12 capture agent id, 15 payload, 16 compressed payload (zlib or gzip).
 * HEP v1/v2 (the older sipcapture struct layout): u8 version, u8 header length (16 for
 *   IPv4, 40 for IPv6), u8 family (2 AF_INET, 10 AF_INET6), u8 protocol, u16 sport, u16
 *   dport, src, dst; v2 then adds { u32 sec, u32 usec, u16 capture id, 2 bytes padding }
 *   written in the SENDER's byte order (little-endian in practice; see v2_time()).
 */
#include "tp_int.h"

#include <stdlib.h>

enum { HEP_AF_INET = 2, HEP_AF_INET6 = 10 };
enum { HEP_V2_TIMEHDR = 12 };

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void set_addr(sx_addr *a, const uint8_t *p, int family) {
    memset(a, 0, sizeof *a);
    a->family = (uint8_t)family;
    memcpy(a->a, p, family == 4 ? 4 : 16);
}

int hep_probe(const uint8_t *d, size_t n) {
    if (n >= 6 && memcmp(d, "HEP3", 4) == 0) return 1;
    /* v1/v2: the first four bytes must agree with each other; a random datagram starting
     * with 0x01 or 0x02 rarely does. */
    if (n < 8 || (d[0] != 1 && d[0] != 2)) return 0;
    if (!((d[1] == 16 && d[2] == HEP_AF_INET) || (d[1] == 40 && d[2] == HEP_AF_INET6))) return 0;
    return d[3] == SX_PROTO_UDP || d[3] == SX_PROTO_TCP || d[3] == 132 /* SCTP */;
}

/* v2 time is in the sender's byte order. Little-endian senders are the norm; a microsecond
 * field that only makes sense big-endian gives the other order away. */
static sx_time v2_time(const uint8_t *p) {
    uint32_t sec = le32(p), usec = le32(p + 4);
    if (usec >= 1000000 && be32(p + 4) < 1000000) sec = be32(p), usec = be32(p + 4);
    return (sx_time)sec * SX_SEC + (sx_time)(usec % 1000000);
}

static int decode_v2(const uint8_t *d, size_t n, hep_pkt *h) {
    int v6 = d[2] == HEP_AF_INET6;
    size_t hl = d[1], alen = v6 ? 16 : 4;
    size_t pos = hl + (d[0] == 2 ? HEP_V2_TIMEHDR : 0);
    if (n < pos) return -1;
    h->version = d[0];
    h->proto = d[3];
    h->sport = be16(d + 4);
    h->dport = be16(d + 6);
    set_addr(&h->src, d + 8, v6 ? 6 : 4);
    set_addr(&h->dst, d + 8 + alen, v6 ? 6 : 4);
    if (d[0] == 2) {
        h->ts = v2_time(d + hl);
        h->id = (uint32_t)(d[hl + 8] | d[hl + 9] << 8); /* u16, sender's order */
    }
    h->payload = d + pos;
    h->len = n - pos;
    return 0;
}

/* Inflates a zlib or gzip payload (windowBits 15+32 detects either) into t->zbuf. */
static int inflate_payload(transport *t, const uint8_t *p, size_t n, hep_pkt *h) {
    if (!t->zbuf && !(t->zbuf = malloc(TP_HEP_ZBUF))) return -1;
    if (!t->z_ready) {
        memset(&t->z, 0, sizeof t->z);
        if (inflateInit2(&t->z, 15 + 32) != Z_OK) return -1;
        t->z_ready = 1;
    } else if (inflateReset(&t->z) != Z_OK) {
        return -1;
    }
    t->z.next_in = (Bytef *)(uintptr_t)p;
    t->z.avail_in = (uInt)n;
    t->z.next_out = t->zbuf;
    t->z.avail_out = TP_HEP_ZBUF;
    if (inflate(&t->z, Z_FINISH) != Z_STREAM_END) return -1; /* corrupt, or > TP_HEP_ZBUF */
    h->payload = t->zbuf;
    h->len = TP_HEP_ZBUF - t->z.avail_out;
    h->compressed = 1;
    return 0;
}

/* One generic chunk. Fixed-size chunks of the wrong size make the packet malformed: a
 * collector that guesses would report wrong addresses. */
static int v3_chunk(transport *t, unsigned type, const uint8_t *b, size_t n, hep_pkt *h,
                    int *family) {
    switch (type) {
    case 1: if (n != 1) return -1; *family = b[0]; return 0;
    case 2: if (n != 1) return -1; h->proto = b[0]; return 0;
    case 3: if (n != 4) return -1; set_addr(&h->src, b, 4); return 0;
    case 4: if (n != 4) return -1; set_addr(&h->dst, b, 4); return 0;
    case 5: if (n != 16) return -1; if (*family != HEP_AF_INET) set_addr(&h->src, b, 6); return 0;
    case 6: if (n != 16) return -1; if (*family != HEP_AF_INET) set_addr(&h->dst, b, 6); return 0;
    case 7: if (n != 2) return -1; h->sport = be16(b); return 0;
    case 8: if (n != 2) return -1; h->dport = be16(b); return 0;
    case 9: if (n != 4) return -1; h->ts += (sx_time)be32(b) * SX_SEC; return 0;
    case 10: if (n != 4) return -1; h->ts += be32(b) % 1000000; return 0;
    case 12: /* u32 by the spec; some agents send u16 */
        if (n == 4) h->id = be32(b);
        else if (n == 2) h->id = be16(b);
        else return -1;
        return 0;
    case 15: h->payload = b; h->len = n; return 0;
    case 16: return inflate_payload(t, b, n, h);
    default: return 0; /* auth key, correlation id, vlan, tags...: not needed */
    }
}

static int decode_v3(transport *t, const uint8_t *d, size_t n, hep_pkt *h) {
    size_t total = be16(d + 4);
    if (total < 6 || total > n) return -1;
    int family = 0;
    h->version = 3;
    for (size_t off = 6; off < total;) {
        if (total - off < 6) return -1;
        unsigned vendor = be16(d + off), type = be16(d + off + 2);
        size_t clen = be16(d + off + 4);
        if (clen < 6 || clen > total - off) return -1;
        if (vendor == 0 && v3_chunk(t, type, d + off + 6, clen - 6, h, &family) != 0) return -1;
        off += clen;
    }
    return 0;
}

int hep_decode(transport *t, const uint8_t *d, size_t n, hep_pkt *h) {
    memset(h, 0, sizeof *h);
    if (n >= 4 && memcmp(d, "HEP3", 4) == 0) return decode_v3(t, d, n, h);
    return decode_v2(d, n, h);
}

void hep_free(transport *t) {
    if (t->z_ready) inflateEnd(&t->z);
    t->z_ready = 0;
    free(t->zbuf);
    t->zbuf = NULL;
}
