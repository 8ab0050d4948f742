/* gtp.c -- GTP-U, the user-plane tunnel of mobile networks (3GPP TS 29.281): IMS phones'
 * SIP, captured on the S1-U/S5/N3 interfaces, travels as IP inside UDP port 2152.
 *
 * Header (§5.1): flags (version 3 bits = 1, PT = 1, spare, E, S, PN), message type,
 * length (bytes after the first 8), TEID (4). If any of E, S, PN is set, 4 more bytes
 * follow: sequence number (2), N-PDU number (1), next extension header type (1), the last
 * meaningful only when E is set. Extension headers (§5.2) chain: length in 4-byte units
 * (the length byte and the next-type byte included), content, next type; 0 ends the chain.
 * A G-PDU (type 255, §6.1) carries one user packet (T-PDU), here IPv4 or IPv6.
 */
#include "net_int.h"

enum { GTP_GPDU = 0xff, GTP_F_E = 0x04, GTP_F_S = 0x02, GTP_F_PN = 0x01 };

int net_gtpu(net *n, net_ctx *c, const uint8_t *p, size_t len, net_outcome *o) {
    /* version 1 and PT 1 (GTP, not GTP'), a G-PDU: anything else is signalling or another
     * protocol on the port, left to the transport stage as a plain datagram */
    if (len < 8 || (p[0] & 0xf0) != 0x30 || p[1] != GTP_GPDU) return 0;
    size_t glen = 8 + (size_t)rd16(p + 2);
    if (glen > len) {
        if (!c->cut) { /* the length claims more than the datagram carries */
            *o = NO_LINK_TRUNCATED;
            return 1;
        }
        glen = len; /* the snap length cut it: decode what was captured */
    }
    size_t hl = 8;
    uint8_t next = 0;
    if (p[0] & (GTP_F_E | GTP_F_S | GTP_F_PN)) {
        hl = 12;
        if (glen < hl) goto truncated;
        if (p[0] & GTP_F_E) next = p[11];
    }
    /* each extension header is at least 4 bytes, so the walk ends with the datagram */
    while (next) {
        if (glen < hl + 1) goto truncated;
        size_t elen = (size_t)p[hl] * 4;
        if (elen == 0) {
            *o = NO_IP_MALFORMED;
            return 1;
        }
        if (glen < hl + elen) goto truncated;
        next = p[hl + elen - 1];
        hl += elen;
    }
    if (++c->depth > n->lim.max_tunnel_depth) {
        *o = NO_IP_MALFORMED;
        return 1;
    }
    const uint8_t *in = p + hl;
    size_t inlen = glen - hl;
    n->t->tunnel_decapsulated++;
    int v = inlen ? in[0] >> 4 : 0;
    *o = v == 4 ? net_ipv4(n, c, in, inlen) : v == 6 ? net_ipv6(n, c, in, inlen) : NO_NOT_IP;
    return 1;
truncated:
    *o = NO_LINK_TRUNCATED;
    return 1;
}
