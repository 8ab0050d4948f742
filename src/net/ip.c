/* ip.c -- IPv4 (RFC 791), IPv6 (RFC 8200) with extension headers, IP-in-IP (RFC 2003,
 * RFC 4213, RFC 2473), GRE (RFC 2784, RFC 2890), and the UDP (RFC 768) / TCP (RFC 9293)
 * headers. Checksums are not verified: captures taken on the sending host carry offloaded,
 * not-yet-computed checksums.
 */
#include "net_int.h"

enum {
    P_HOPOPT = 0, P_IPIP = 4, P_TCP = 6, P_UDP = 17, P_IPV6 = 41, P_ROUTING = 43,
    P_FRAGMENT = 44, P_GRE = 47, P_AH = 51, P_DSTOPTS = 60,
};

/* The header says the packet is longer than what the frame holds. If the capture's snap
 * length cut the frame, the packet is kept with what was captured (c->cut says how much is
 * missing) and decoded as far as its headers go; otherwise the header lies. Returns the
 * outcome to give up with, or NO_DELIVERED to go on with the captured part. */
static net_outcome cut_short(net_ctx *c, size_t want, size_t have) {
    if (!c->snapped) return NO_IP_MALFORMED;
    c->cut = (uint32_t)(want - have);
    return NO_DELIVERED;
}

/* A header that runs past the captured bytes: short frame if the snap length cut it. */
static net_outcome past_end(const net_ctx *c, net_outcome otherwise) {
    return c->cut ? NO_LINK_TRUNCATED : otherwise;
}

net_outcome net_ipv4(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 1 || p[0] >> 4 != 4) return NO_IP_MALFORMED;
    if (len < 20) return c->snapped ? NO_LINK_TRUNCATED : NO_IP_MALFORMED;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    size_t tot = rd16(p + 2);
    if (tot == 0) tot = len; /* TCP segmentation offload: the NIC fills it in later */
    if (ihl < 20 || tot < ihl) return NO_IP_MALFORMED;
    if (tot > len) {
        net_outcome o = cut_short(c, tot, len);
        if (o != NO_DELIVERED) return o;
        tot = len;
        if (tot < ihl) return NO_LINK_TRUNCATED; /* options cut */
    } else {
        c->cut = 0;
    }
    /* tot < len: link-layer padding (Ethernet minimum frame size) follows; drop it. */
    /* Whole-struct stores: IPv4 leaves the tail of a[] zero, so addresses compare by bytes. */
    c->src = (sx_addr){.family = 4};
    c->dst = (sx_addr){.family = 4};
    memcpy(c->src.a, p + 12, 4);
    memcpy(c->dst.a, p + 16, 4);
    uint16_t fo = rd16(p + 6);
    uint32_t off = (uint32_t)(fo & 0x1fff) * 8;
    int more = (fo & 0x2000) != 0;
    if (off || more) {
        /* a fragment with missing bytes would leave a hole that nothing fills */
        if (c->cut) return NO_LINK_TRUNCATED;
        return frag_add(n, c, 0, rd16(p + 4), p[9], off, more, p + ihl, tot - ihl);
    }
    return net_payload(n, c, 0, p[9], p + ihl, tot - ihl);
}

net_outcome net_ipv6(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 1 || p[0] >> 4 != 6) return NO_IP_MALFORMED;
    if (len < 40) return c->snapped ? NO_LINK_TRUNCATED : NO_IP_MALFORMED;
    size_t plen = rd16(p + 4);
    /* 0 with a Jumbo Payload option (RFC 2675) or from segmentation offload: use what we have. */
    if (plen == 0) plen = len - 40;
    if (plen > len - 40) {
        net_outcome o = cut_short(c, plen, len - 40);
        if (o != NO_DELIVERED) return o;
        plen = len - 40;
    } else {
        c->cut = 0;
    }
    c->src.family = c->dst.family = 6;
    memcpy(c->src.a, p + 8, 16);
    memcpy(c->dst.a, p + 24, 16);
    return net_payload(n, c, 1, p[6], p + 40, plen);
}

/* PPP inside enhanced GRE: address/control (ff 03) may be omitted (RFC 1661 ACFC), and the
 * protocol field may be compressed to one byte (PFC: an odd first byte). */
static net_outcome ppp(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len >= 2 && p[0] == 0xff && p[1] == 0x03) p += 2, len -= 2;
    if (len < 1) return NO_LINK_TRUNCATED;
    uint16_t proto = p[0];
    size_t hl = 1;
    if (!(p[0] & 1)) {
        if (len < 2) return NO_LINK_TRUNCATED;
        proto = rd16(p);
        hl = 2;
    }
    if (proto == 0x21) return net_ipv4(n, c, p + hl, len - hl);
    if (proto == 0x57) return net_ipv6(n, c, p + hl, len - hl);
    return NO_NOT_IP;
}

/* GRE version 0 (RFC 2784 + RFC 2890 key and sequence; RFC 1701's routing field is not
 * decoded): the protocol type is an EtherType (IPv4, IPv6, Ethernet 0x6558).
 * Version 1 is PPTP's enhanced GRE (RFC 2637 §4.1): key always present, optional sequence
 * and acknowledgment (flag 0x0080), PPP payload (0x880b). */
static net_outcome gre(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 4) return NO_LINK_TRUNCATED;
    uint16_t flags = rd16(p), proto = rd16(p + 2);
    int ver = flags & 7;
    if ((flags & 0x4000) || ver > 1) return NO_NOT_UDP_TCP;
    size_t hl = 4 + ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) +
                ((flags & 0x1000) ? 4 : 0) + (ver == 1 && (flags & 0x0080) ? 4 : 0);
    if (len < hl) return NO_LINK_TRUNCATED;
    n->t->tunnel_decapsulated++;
    if (ver == 1) return proto == 0x880b ? ppp(n, c, p + hl, len - hl) : NO_NOT_UDP_TCP;
    return net_ethertype(n, c, proto, p + hl, len - hl);
}

enum { GTPU_PORT = 2152 }; /* 3GPP TS 29.281 §4.4.2 */

int net_udp4_fast(net *n, const sx_frame *f) {
    const uint8_t *p = f->data;
    size_t len = f->caplen;
    /* Ethernet II + IPv4 without options + UDP: what nearly every frame of a SIP capture
     * is. The general path walks five functions for it; this is the same decision in one,
     * taken only when none of the cases it would treat specially can arise (VLAN tags,
     * options, fragments, a length that needs the snap-length rules, GTP-U, malformed
     * lengths): anything else returns 0 and takes the general path from the start. */
    if (len < 14 + 20 + 8 || rd16(p + 12) != 0x0800) return 0;
    const uint8_t *ip = p + 14;
    size_t tot = rd16(ip + 2);
    if (ip[0] != 0x45 || ip[9] != P_UDP || (rd16(ip + 6) & 0x3fff) || tot < 20 + 8 ||
        tot > len - 14)
        return 0;
    const uint8_t *u = ip + 20;
    size_t ulen = rd16(u + 4);
    uint16_t sport = rd16(u), dport = rd16(u + 2);
    if (ulen < 8 || ulen > tot - 20 || sport == GTPU_PORT || dport == GTPU_PORT) return 0;
    sx_l4 l = {
        .ts = f->ts, .frame = f->index, .src = {.family = 4}, .dst = {.family = 4},
        .sport = sport, .dport = dport, .proto = SX_PROTO_UDP,
        .payload = u + 8, .len = ulen - 8,
    };
    memcpy(l.src.a, ip + 12, 4);
    memcpy(l.dst.a, ip + 16, 4);
    n->fn(n->ud, &l);
    return 1;
}

static net_outcome udp(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 8) return past_end(c, NO_L4_MALFORMED);
    size_t ulen = rd16(p + 4), missing = 0;
    /* ulen < len happens when trailing bytes follow inside the IP packet: the UDP length
     * is authoritative. ulen 0 (jumbograms, RFC 2675) is not supported. A datagram cut by
     * the snap length is delivered with what was captured. */
    if (ulen < 8 || ulen > len + c->cut) return NO_L4_MALFORMED;
    if (ulen > len) missing = ulen - len, ulen = len;
    uint16_t sport = rd16(p), dport = rd16(p + 2);
    if (sport == GTPU_PORT || dport == GTPU_PORT) {
        net_outcome o;
        if (net_gtpu(n, c, p + 8, ulen - 8, &o)) return o;
    }
    sx_l4 l = {
        .ts = c->f->ts, .frame = c->f->index, .src = c->src, .dst = c->dst,
        .sport = sport, .dport = dport, .proto = SX_PROTO_UDP,
        .payload = p + 8, .len = ulen - 8, .missing = (uint32_t)missing,
    };
    n->fn(n->ud, &l);
    return NO_DELIVERED;
}

static net_outcome tcp(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 20) return past_end(c, NO_L4_MALFORMED);
    size_t doff = (size_t)(p[12] >> 4) * 4;
    if (doff < 20) return NO_L4_MALFORMED;
    if (doff > len) return past_end(c, NO_L4_MALFORMED);
    sx_l4 l = {
        .ts = c->f->ts, .frame = c->f->index, .src = c->src, .dst = c->dst,
        .sport = rd16(p), .dport = rd16(p + 2), .proto = SX_PROTO_TCP,
        .tcp_flags = p[13], .seq = rd32(p + 4),
        .payload = p + doff, .len = len - doff, .missing = c->cut,
    };
    n->fn(n->ud, &l);
    return NO_DELIVERED;
}

/* An IP-in-IP or GRE layer: bounded so a crafted packet cannot recurse without end. */
static net_outcome tunnel(net *n, net_ctx *c, uint8_t proto, const uint8_t *p, size_t len) {
    if (++c->depth > n->lim.max_tunnel_depth) return NO_IP_MALFORMED;
    if (proto == P_GRE) return gre(n, c, p, len);
    n->t->tunnel_decapsulated++;
    return proto == P_IPIP ? net_ipv4(n, c, p, len) : net_ipv6(n, c, p, len);
}

/* IPv6 fragment header (RFC 8200 §4.5): next header, reserved, offset|res|M, identification.
 * An atomic fragment (offset 0, M 0; RFC 6946) is processed in place. */
static net_outcome ipv6_fragment(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 8) return past_end(c, NO_IP_MALFORMED);
    uint16_t om = rd16(p + 2);
    uint32_t off = (uint32_t)(om & 0xfff8);
    int more = om & 1;
    if (!off && !more) return net_payload(n, c, 1, p[0], p + 8, len - 8);
    if (c->cut) return NO_LINK_TRUNCATED; /* see net_ipv4 */
    return frag_add(n, c, 1, rd32(p + 4), p[0], off, more, p + 8, len - 8);
}

net_outcome net_payload(net *n, net_ctx *c, int v6, uint8_t proto, const uint8_t *p, size_t len) {
    /* IPv6 extension headers chain until an upper-layer protocol; each is at least 8 bytes
     * so the walk ends with the packet. */
    while (v6) {
        size_t hl;
        switch (proto) {
        case P_HOPOPT:
        case P_ROUTING:
        case P_DSTOPTS:
            if (len < 2) return past_end(c, NO_IP_MALFORMED);
            hl = ((size_t)p[1] + 1) * 8;
            break;
        case P_AH: /* RFC 4302: length in 4-byte units, minus 2 */
            if (len < 2) return past_end(c, NO_IP_MALFORMED);
            hl = ((size_t)p[1] + 2) * 4;
            break;
        case P_FRAGMENT: return ipv6_fragment(n, c, p, len);
        default: hl = 0; break;
        }
        if (!hl) break;
        if (hl > len) return past_end(c, NO_IP_MALFORMED);
        proto = p[0];
        p += hl;
        len -= hl;
    }
    switch (proto) {
    case P_UDP: return udp(n, c, p, len);
    case P_TCP: return tcp(n, c, p, len);
    case P_IPIP:
    case P_IPV6:
    case P_GRE: return tunnel(n, c, proto, p, len);
    default: return NO_NOT_UDP_TCP;
    }
}
