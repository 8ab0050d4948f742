/* net.h -- the packet stage: link layers, tunnels, IPv4/IPv6 and fragment reassembly.
 * Turns each frame into zero or more transport-layer packets (sx_l4) for the transport
 * stage, and counts every frame's outcome in the tally.
 *
 * Decodes: Ethernet, 802.1Q/802.1ad (any depth), PPPoE session, MPLS, Linux SLL and SLL2,
 * raw IP (101, 228, 229, DLT_RAW 12/14), BSD null/loop; IP-in-IP (4in4, 6in4, 4in6, 6in6) and
 * GRE (incl. checksum/key/seq, Ethernet bridging 0x6558, PPTP's enhanced GRE with PPP; ERSPAN
 * is not decoded); GTP-U; IPv6 extension headers; IPv4 and IPv6 fragments reassembled in any
 * arrival order, bounded by a byte cap and a timeout in capture time.
 *
 * GTP-U (3GPP TS 29.281): a UDP datagram to or from port 2152 that is a G-PDU (version 1,
 * PT 1, type 255; sequence/N-PDU/extension headers skipped) carrying IPv4 or IPv6 is
 * unwrapped like IP-in-IP; any other GTP-U message (echo, error indication, end marker) and
 * GTP-C (port 2123) stay plain UDP datagrams.
 *
 * Snap length: an IP packet longer than what the frame holds is ip_malformed, unless the
 * capture's snap length cut the frame (caplen < wirelen). Then, decision: if every header
 * down to UDP/TCP was captured, the datagram or segment is delivered with the bytes that
 * were captured and sx_l4.missing says how many are not there (a SIP message in it comes
 * out truncated, and is counted malformed by the SIP stage rather than hidden here; a TCP
 * stream sees a gap after it). If a header is cut, or the packet is a fragment (the hole
 * could never be filled), the frame is link_truncated.
 *
 * Other outcomes worth knowing: nesting beyond max_tunnel_depth is ip_malformed; overlapping fragments keep the bytes that came
 * first; when the memory cap is reached the oldest incomplete datagrams are given up
 * (frag_expired) and a fragment that still does not fit is frag_dropped.
 * Cost: no allocation or copy per frame; fragments are copied into one buffer per datagram.
 * Finished datagrams are kept for reuse, at most NET_FRAG_CACHE of them with their buffers
 * (each at most 64 KiB + ~1.1 KB bookkeeping: ~4.2 MiB worst case, on top of frag_mem_max,
 * which counts live datagrams only), so steady fragmented traffic allocates nothing.
 */
#ifndef SX_NET_H
#define SX_NET_H

#include "../base/sx.h"
#include "../base/tally.h"
#include "../capture/cap.h"

enum { SX_PROTO_TCP = 6, SX_PROTO_UDP = 17 };

enum { /* TCP flags */
    SX_TCP_FIN = 0x01, SX_TCP_SYN = 0x02, SX_TCP_RST = 0x04, SX_TCP_PSH = 0x08,
    SX_TCP_ACK = 0x10
};

/* One UDP datagram or TCP segment. payload is valid only during the callback (it may point
 * into a reassembly buffer that is reused afterwards). */
typedef struct sx_l4 {
    sx_time ts;
    uint64_t frame;         /* frame index that completed this packet */
    sx_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;          /* SX_PROTO_UDP or SX_PROTO_TCP */
    uint8_t tcp_flags;
    uint32_t seq;           /* TCP sequence number */
    const uint8_t *payload;
    size_t len;
    uint32_t missing;       /* bytes after payload[len) the snap length cut off (0: whole) */
} sx_l4;

/* Called at most once per frame, for the UDP datagram or TCP segment it carries (or, for the
 * fragment that completes a datagram, for the reassembled datagram). The callee counts that
 * frame's outcome (udp_sip, udp_not_sip, tcp_segment...; see transport.h). */
typedef void (*net_l4_fn)(void *ud, const sx_l4 *p);

typedef struct net_limits {
    size_t frag_mem_max;     /* bytes held in incomplete datagrams (default 16 MiB) */
    sx_time frag_timeout;    /* capture time before an incomplete datagram expires (30 s) */
    int max_tunnel_depth;    /* nested encapsulations (default 8) */
} net_limits;
void net_limits_default(net_limits *l);

typedef struct net net;
net *net_new(const net_limits *lim, sx_tally *tally, net_l4_fn fn, void *ud);
/* Decodes one frame; counts it in exactly one frame outcome, except UDP/TCP packets whose
 * outcome is counted by the transport stage (udp_sip, udp_not_sip, tcp_segment...). */
void net_frame(net *n, const sx_frame *f);
/* Expires fragments older than now - timeout (called as capture time advances). */
void net_expire(net *n, sx_time now);
/* End of input: counts what is still pending as expired. */
void net_flush(net *n);
void net_free(net *n);
/* Incomplete datagrams currently held for reassembly (for tests and statistics). */
int net_frag_pending(const net *n);
/* Finished datagrams (struct + buffer) kept for reuse instead of freed. */
#define NET_FRAG_CACHE 64
/* Heap allocations (struct or buffer growth) made by reassembly so far (for tests and
 * measurements: with reuse it stays small however many datagrams are reassembled). */
size_t net_frag_allocs(const net *n);

#endif
