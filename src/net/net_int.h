/* net_int.h -- what the files of the net stage share (not part of the interface).
 *
 * Every decoder returns an outcome; net_frame() counts the frame's outcome in the tally in
 * exactly one place, so the "one frame, one outcome" rule of tally.h holds by construction.
 */
#ifndef SX_NET_INT_H
#define SX_NET_INT_H

#include "net.h"

typedef enum net_outcome {
    NO_DELIVERED = 0,    /* handed to the callback: the transport stage counts it */
    NO_LINK_UNSUPPORTED,
    NO_LINK_TRUNCATED,
    NO_NOT_IP,
    NO_IP_MALFORMED,
    NO_FRAG_HELD,
    NO_FRAG_DROPPED,
    NO_NOT_UDP_TCP,
    NO_L4_MALFORMED,
} net_outcome;

/* Per-frame decoding state: where we are in the stack of headers. */
typedef struct net_ctx {
    const sx_frame *f;
    sx_addr src, dst; /* innermost IP header seen so far */
    int depth;        /* encapsulations unwrapped (IP-in-IP, GRE, Ethernet-in-GRE, GTP-U) */
    int snapped;      /* the capture's snap length cut this frame (caplen < wirelen) */
    uint32_t cut;     /* bytes of the innermost IP packet beyond the captured ones */
} net_ctx;

typedef struct frag_table frag_table;

struct net {
    net_limits lim;
    sx_tally *t;
    net_l4_fn fn;
    void *ud;
    frag_table *frags;
    sx_time last_expire; /* capture time of the last internal expiry pass */
};

/* Big-endian reads; callers have checked the bounds. */
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* link.c */
net_outcome net_link(net *n, net_ctx *c, int linktype, const uint8_t *p, size_t len);
/* Dispatches on an EtherType (Ethernet, SLL, SLL2, GRE payload type), VLAN tags included. */
net_outcome net_ethertype(net *n, net_ctx *c, uint16_t type, const uint8_t *p, size_t len);
net_outcome net_ether(net *n, net_ctx *c, const uint8_t *p, size_t len);

/* ip.c */
net_outcome net_ipv4(net *n, net_ctx *c, const uint8_t *p, size_t len);
net_outcome net_ipv6(net *n, net_ctx *c, const uint8_t *p, size_t len);
/* The payload of an IP header (or of a reassembled datagram) carrying protocol proto. For
 * IPv6 (v6 != 0) proto may be an extension header, which is walked. */
net_outcome net_payload(net *n, net_ctx *c, int v6, uint8_t proto, const uint8_t *p, size_t len);

/* The common frame (Ethernet, IPv4 without options, UDP) decoded and delivered in one
 * step. Returns 1 if delivered (outcome NO_DELIVERED), 0 if the frame needs the general
 * path (nothing done then). */
int net_udp4_fast(net *n, const sx_frame *f);

/* gtp.c: a UDP payload to or from port 2152. Returns 1 and sets *o when it is a GTP-U
 * G-PDU (decoded like a tunnel), 0 when it is not one (deliver the datagram as UDP). */
int net_gtpu(net *n, net_ctx *c, const uint8_t *p, size_t len, net_outcome *o);

/* frag.c: the reassembly table. */
frag_table *frag_new(void);
void frag_free(frag_table *ft);
/* One fragment: key (version, src, dst, id, proto), byte offset in the datagram, more-
 * fragments flag, data. For IPv6, proto is the fragment header's Next Header (only the
 * offset-0 fragment's value is used, RFC 8200 §4.5). When this completes the datagram, it is
 * decoded with net_payload() and that outcome returned. */
net_outcome frag_add(net *n, net_ctx *c, int v6, uint32_t id, uint8_t proto, uint32_t off,
                     int more, const uint8_t *p, size_t len);
/* Frees incomplete datagrams first seen before cutoff (all of them if all != 0), counting
 * each as frag_expired. */
void frag_expire(net *n, sx_time cutoff, int all);
int frag_pending(const frag_table *ft);
size_t frag_allocs(const frag_table *ft);

#endif
