/* link.c -- link layers down to IP: Ethernet (+802.1Q/802.1ad stacks, PPPoE, MPLS), Linux
 * cooked SLL/SLL2, raw IP, BSD null/loopback. Reference: https://www.tcpdump.org/linktypes.html
 */
#include "net_int.h"

enum {
    ET_IPV4 = 0x0800,
    ET_IPV6 = 0x86dd,
    ET_VLAN = 0x8100,   /* IEEE 802.1Q */
    ET_QINQ = 0x88a8,   /* IEEE 802.1ad */
    ET_QINQ_OLD = 0x9100,
    ET_TEB = 0x6558,    /* transparent Ethernet bridging (RFC 1701), Ethernet inside GRE */
    ET_PPPOE = 0x8864,  /* PPPoE session stage, RFC 2516 */
    ET_MPLS = 0x8847,
    ET_MPLS_MC = 0x8848,
};

/* Raw IP: the version nibble says which (LINKTYPE_RAW, DLT_RAW 12/14). */
static net_outcome raw_ip(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 1) return NO_LINK_TRUNCATED;
    switch (p[0] >> 4) {
    case 4: return net_ipv4(n, c, p, len);
    case 6: return net_ipv6(n, c, p, len);
    default: return NO_IP_MALFORMED;
    }
}

/* MPLS label stack (RFC 3032): 4 bytes per label up to the bottom-of-stack bit; the payload
 * type is not signalled, so guess from the IP version nibble. */
static net_outcome mpls(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    for (;;) {
        if (len < 4) return NO_LINK_TRUNCATED;
        int bottom = p[2] & 1;
        p += 4;
        len -= 4;
        if (bottom) break;
    }
    if (len < 1) return NO_LINK_TRUNCATED;
    int v = p[0] >> 4;
    return v == 4 || v == 6 ? raw_ip(n, c, p, len) : NO_NOT_IP;
}

/* PPPoE session header (6 bytes) then the PPP protocol (2 bytes): 0x0021 IPv4, 0x0057 IPv6. */
static net_outcome pppoe(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 8) return NO_LINK_TRUNCATED;
    uint16_t proto = rd16(p + 6);
    if (proto == 0x0021) return net_ipv4(n, c, p + 8, len - 8);
    if (proto == 0x0057) return net_ipv6(n, c, p + 8, len - 8);
    return NO_NOT_IP;
}

net_outcome net_ethertype(net *n, net_ctx *c, uint16_t type, const uint8_t *p, size_t len) {
    int tagged = 0;
    /* Any depth of VLAN tags: each is TCI (2) + the next EtherType (2). The loop is bounded
     * by the frame length. */
    while (type == ET_VLAN || type == ET_QINQ || type == ET_QINQ_OLD) {
        if (len < 4) return NO_LINK_TRUNCATED;
        type = rd16(p + 2);
        p += 4;
        len -= 4;
        tagged = 1;
    }
    if (tagged) n->t->tunnel_decapsulated++;
    switch (type) {
    case ET_IPV4: return net_ipv4(n, c, p, len);
    case ET_IPV6: return net_ipv6(n, c, p, len);
    case ET_TEB:
        if (++c->depth > n->lim.max_tunnel_depth) return NO_IP_MALFORMED;
        n->t->tunnel_decapsulated++;
        return net_ether(n, c, p, len);
    case ET_PPPOE: return pppoe(n, c, p, len);
    case ET_MPLS:
    case ET_MPLS_MC: return mpls(n, c, p, len);
    default: return NO_NOT_IP; /* ARP, LLDP, 802.3 length field (< 0x0600)... */
    }
}

/* Ethernet II: destination (6), source (6), EtherType (2). */
net_outcome net_ether(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 14) return NO_LINK_TRUNCATED;
    return net_ethertype(n, c, rd16(p + 12), p + 14, len - 14);
}

/* BSD loopback: a 4-byte address family, in the capturing host's byte order for DLT_NULL
 * and in network order for DLT_LOOP; accept either. AF_INET6 differs by OS: 24 (NetBSD,
 * OpenBSD), 28 (FreeBSD), 30 (macOS). */
static net_outcome null_loop(net *n, net_ctx *c, const uint8_t *p, size_t len) {
    if (len < 4) return NO_LINK_TRUNCATED;
    uint32_t be = rd32(p);
    uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    uint32_t af = be < 256 ? be : le;
    switch (af) {
    case 2: return net_ipv4(n, c, p + 4, len - 4);
    case 24:
    case 28:
    case 30: return net_ipv6(n, c, p + 4, len - 4);
    default: return NO_NOT_IP;
    }
}

net_outcome net_link(net *n, net_ctx *c, int linktype, const uint8_t *p, size_t len) {
    switch (linktype) {
    case SX_LINK_EN10MB: return net_ether(n, c, p, len);
    case SX_LINK_LINUX_SLL:
        /* packet type, ARPHRD type, address length, address (8), protocol (2) */
        if (len < 16) return NO_LINK_TRUNCATED;
        return net_ethertype(n, c, rd16(p + 14), p + 16, len - 16);
    case SX_LINK_LINUX_SLL2:
        /* protocol (2), reserved (2), ifindex (4), ARPHRD (2), pkttype, addr len, addr (8) */
        if (len < 20) return NO_LINK_TRUNCATED;
        return net_ethertype(n, c, rd16(p), p + 20, len - 20);
    case SX_LINK_RAW:
    case 12: /* DLT_RAW on most systems, if a caller did not map it */
    case 14: /* DLT_RAW on BSD/OS */
        return raw_ip(n, c, p, len);
    case SX_LINK_IPV4: return net_ipv4(n, c, p, len);
    case SX_LINK_IPV6: return net_ipv6(n, c, p, len);
    case SX_LINK_NULL:
    case SX_LINK_LOOP: return null_loop(n, c, p, len);
    default: return NO_LINK_UNSUPPORTED;
    }
}
