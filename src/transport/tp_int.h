/* tp_int.h -- what the files of the transport stage share; not for other stages.
 *
 * transport.c  owns the object, dispatches UDP datagrams and delivers messages;
 * tcp.c        keeps the stream table and reassembles and frames TCP streams;
 * hep.c        decodes HEP v1/v2/v3 capture packets (sipcapture's Homer Encapsulation).
 */
#ifndef SX_TP_INT_H
#define SX_TP_INT_H

#include "transport.h"
#include "../sip/sip.h"

#include <zlib.h>

typedef struct tp_stream tp_stream;

/* The TCP stream table: chained hash buckets plus one LRU list over all streams (head =
 * least recently used), so eviction and idle expiry never scan the table. */
typedef struct tcp_table {
    tp_stream **bucket;
    size_t nbucket;           /* power of two */
    size_t count;
    size_t mem;               /* bytes allocated to stream buffers, <= tp_limits.mem_max */
    tp_stream *lru_head, *lru_tail;
} tcp_table;

/* Inflated HEP payloads land here; a compressed payload that inflates to more is malformed. */
#define TP_HEP_ZBUF (64 * 1024)

struct transport {
    tp_limits lim;
    sx_tally *tally;
    tp_msg_fn fn;
    void *ud;
    tcp_table tcp;
    sx_time next_expire;      /* capture time of the next automatic tp_expire() */
    uint8_t *zbuf;            /* TP_HEP_ZBUF bytes, allocated at the first compressed HEP */
    z_stream z;               /* reused for every compressed HEP payload (no per-packet init) */
    int z_ready;
};

/* tcp.c */
int tcp_init(transport *t);
void tcp_segment(transport *t, const sx_l4 *p);
void tcp_expire(transport *t, sx_time now);
void tcp_flush(transport *t);
void tcp_free(transport *t);

/* hep.c: one decoded HEP packet. payload points into the datagram or into t->zbuf. */
typedef struct hep_pkt {
    int version;              /* 1, 2 or 3 */
    sx_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;            /* IP protocol number (17 UDP, 6 TCP), 0 if absent */
    sx_time ts;               /* 0 if the packet carries no time */
    uint32_t id;              /* capture agent id */
    int compressed;
    const uint8_t *payload;   /* NULL if no payload chunk */
    size_t len;
} hep_pkt;

/* Cheap test: could this datagram be HEP at all? (magic "HEP3", or a v1/v2 header whose
 * first four bytes are consistent). */
int hep_probe(const uint8_t *d, size_t n);
/* Decodes a datagram that hep_probe() accepted. Returns 0, or -1 if it is malformed. */
int hep_decode(transport *t, const uint8_t *d, size_t n, hep_pkt *h);
void hep_free(transport *t);

/* transport.c: hands one message to the user's callback. */
void tp_deliver(transport *t, const sx_msgmeta *m, const char *buf, size_t len);

#endif
