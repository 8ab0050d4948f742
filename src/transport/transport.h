/* transport.h -- the transport stage: UDP datagrams, TCP stream reassembly with SIP framing
 * by Content-Length, and HEP v2/v3 decapsulation. Delivers candidate SIP messages (bytes +
 * where and when they travelled) to the SIP stage.
 *
 * SIP is recognised by content (sip_looks_like_start), on any port.
 * Memory: one bounded buffer per active TCP stream, a cap on streams; an idle stream is
 * evicted after a timeout in capture time.
 *
 * UDP: leading CRLF keep-alives (RFC 5626 §3.5.1) are skipped; the rest of a SIP datagram
 *   is delivered in place (zero copy). A datagram of only CRLFs counts as udp_not_sip.
 * HEP (UDP only; HEP carried over TCP is not decoded): v1/v2 and v3 (HEP3, chunk 16 inflated
 *   with zlib into a 64 KiB buffer owned by the transport). Counted `hep` when it decodes
 *   (`hep_malformed` otherwise); the inner payload is delivered only if it looks like SIP.
 * TCP: one stream per direction; a message is delivered with the ts and frame of the
 *   segment that COMPLETED it (for a flush at FIN/RST, expiry or end of input: the stream's
 *   last segment). Up to 8 out-of-order segments reaching at most 64 KiB past a hole are
 *   held; past that, or when the stream ends, the hole is a gap (tcp_gaps) and the stream
 *   resynchronises at the next SIP start line at a line start. A message over max_msg is
 *   skipped (tcp_bytes_skipped). tcp_streams counts stream directions. When the table is
 *   full, the least recently used stream is evicted if it is closed or idle >= 1 s,
 *   otherwise the new stream's segment is dropped (tcp_dropped_limit).
 *   tp_packet() itself runs tp_expire() once per second of capture time.
 */
#ifndef SX_TRANSPORT_H
#define SX_TRANSPORT_H

#include "../base/sx.h"
#include "../base/tally.h"
#include "../net/net.h"

/* Where a SIP message was seen. For HEP, the addresses, ports, transport and time are the
 * original ones carried inside HEP, and hep is set. */
typedef struct sx_msgmeta {
    sx_time ts;
    uint64_t frame;
    sx_addr src, dst;
    uint16_t sport, dport;
    uint8_t transport;  /* SX_T_UDP, SX_T_TCP ... */
    uint8_t hep;        /* 0, or 1, 2, 3: HEP version it arrived in */
    uint32_t hep_id;    /* HEP capture agent id (0 if none) */
} sx_msgmeta;

/* One complete candidate SIP message (datagram: the whole payload; stream: exactly one
 * framed message). buf is valid only during the callback. */
typedef void (*tp_msg_fn)(void *ud, const sx_msgmeta *meta, const char *buf, size_t len);

typedef struct tp_limits {
    size_t max_streams;        /* active TCP streams (default 65536) */
    size_t stream_buf_max;     /* bytes buffered per stream direction (default 256 KiB) */
    size_t max_msg;            /* largest SIP message accepted on a stream (default 128 KiB) */
    sx_time stream_idle;       /* capture time before an idle stream is dropped (300 s) */
    size_t mem_max;            /* all stream buffers together (default 256 MiB; 0 = default) */
} tp_limits;
void tp_limits_default(tp_limits *l);

typedef struct transport transport;
transport *tp_new(const tp_limits *lim, sx_tally *tally, tp_msg_fn fn, void *ud);
/* Feeds one packet from the net stage; counts its frame outcome (udp_sip, udp_not_sip,
 * tcp_segment, tcp_dropped_limit, hep, hep_malformed). */
void tp_packet(transport *t, const sx_l4 *p);
void tp_expire(transport *t, sx_time now);
/* End of input: frames whatever complete messages remain, counts the rest as skipped. */
void tp_flush(transport *t);
void tp_free(transport *t);

/* net_l4_fn adapter: pass tp_packet_cb and the transport as (fn, ud) to net_new(). */
void tp_packet_cb(void *ud, const sx_l4 *p);

#endif
