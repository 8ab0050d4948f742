/* transport.c -- the transport stage's object and its UDP path.
 *
 * A UDP datagram is one SIP message (RFC 3261 §18.1.1: a message fits one datagram), so the
 * UDP path is a content check and a callback: no copy, no state. HEP datagrams are unwrapped
 * and their inner message delivered with the ORIGINAL addresses and time (hep.c). TCP goes to
 * tcp.c. Every packet counts its frame outcome here exactly once.
 */
#include "tp_int.h"

#include <stdlib.h>

void tp_limits_default(tp_limits *l) {
    l->max_streams = 65536;
    l->stream_buf_max = 256 * 1024;
    l->max_msg = 128 * 1024; /* real INVITEs with multipart bodies pass 64 KiB (corpus) */
    l->stream_idle = 300 * (sx_time)SX_SEC;
    l->mem_max = 256u << 20;
}

/* Limits a stream can live with: a message must fit the stream buffer. */
static void sanitize(tp_limits *l) {
    if (l->max_streams < 1) l->max_streams = 1;
    if (l->stream_buf_max < 64) l->stream_buf_max = 64;
    if (l->max_msg < 32) l->max_msg = 32;
    if (l->max_msg > l->stream_buf_max) l->max_msg = l->stream_buf_max;
    if (l->stream_idle <= 0) l->stream_idle = 300 * (sx_time)SX_SEC;
    if (l->mem_max == 0) l->mem_max = 256u << 20;
}

transport *tp_new(const tp_limits *lim, sx_tally *tally, tp_msg_fn fn, void *ud) {
    transport *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (lim) t->lim = *lim;
    else tp_limits_default(&t->lim);
    sanitize(&t->lim);
    t->tally = tally;
    t->fn = fn;
    t->ud = ud;
    if (tcp_init(t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void tp_free(transport *t) {
    if (!t) return;
    tcp_free(t);
    hep_free(t);
    free(t);
}

void tp_deliver(transport *t, const sx_msgmeta *m, const char *buf, size_t len) {
    if (t->fn) t->fn(t->ud, m, buf, len);
}

/* RFC 5626 §3.5.1 keep-alives ("\r\n\r\n" ping, "\r\n" pong) may precede a message or be
 * the whole datagram. Returns how many CR/LF bytes lead the buffer. */
static size_t crlf_prefix(const uint8_t *d, size_t n) {
    size_t i = 0;
    while (i < n && (d[i] == '\r' || d[i] == '\n')) i++;
    return i;
}

static void meta_from_l4(sx_msgmeta *m, const sx_l4 *p, uint8_t transport_) {
    memset(m, 0, sizeof *m);
    m->ts = p->ts;
    m->frame = p->frame;
    m->src = p->src;
    m->dst = p->dst;
    m->sport = p->sport;
    m->dport = p->dport;
    m->transport = transport_;
}

/* A HEP datagram counts as `hep` when it decodes, whatever it carries; only a SIP payload
 * is delivered (agents also ship RTCP reports, logs and JSON over HEP). */
static void udp_hep(transport *t, const sx_l4 *p) {
    hep_pkt h;
    if (hep_decode(t, p->payload, p->len, &h) != 0) {
        t->tally->hep_malformed++;
        return;
    }
    t->tally->hep++;
    if (h.compressed) t->tally->hep_compressed++;
    if (!h.payload) return;
    size_t k = crlf_prefix(h.payload, h.len);
    const char *s = (const char *)h.payload + k;
    if (!sip_looks_like_start(s, h.len - k)) return;
    sx_msgmeta m = {
        .ts = h.ts ? h.ts : p->ts, .frame = p->frame, .src = h.src, .dst = h.dst,
        .sport = h.sport, .dport = h.dport, .hep = (uint8_t)h.version, .hep_id = h.id,
        .transport = h.proto == SX_PROTO_TCP ? SX_T_TCP
                     : h.proto == SX_PROTO_UDP ? SX_T_UDP
                     : h.proto == 132 ? SX_T_SCTP : SX_T_UNKNOWN,
    };
    tp_deliver(t, &m, s, h.len - k);
}

static void udp_datagram(transport *t, const sx_l4 *p) {
    size_t k = crlf_prefix(p->payload, p->len);
    const char *s = (const char *)p->payload + k;
    if (k < p->len && sip_looks_like_start(s, p->len - k)) {
        t->tally->udp_sip++;
        sx_msgmeta m;
        meta_from_l4(&m, p, SX_T_UDP);
        tp_deliver(t, &m, s, p->len - k);
    } else if (k == 0 && hep_probe(p->payload, p->len)) {
        udp_hep(t, p);
    } else {
        t->tally->udp_not_sip++; /* includes CRLF-only keep-alives */
    }
}

void tp_packet(transport *t, const sx_l4 *p) {
    /* Idle streams are expired as capture time passes, once a second, so a caller that
     * never calls tp_expire() still has bounded memory. */
    if (p->ts >= t->next_expire) {
        tp_expire(t, p->ts);
        t->next_expire = p->ts + SX_SEC;
    }
    if (p->proto == SX_PROTO_UDP) udp_datagram(t, p);
    else if (p->proto == SX_PROTO_TCP) tcp_segment(t, p);
    else t->tally->not_udp_tcp++; /* net should not send these; still counted once */
}

void tp_packet_cb(void *ud, const sx_l4 *p) { tp_packet((transport *)ud, p); }

void tp_expire(transport *t, sx_time now) { tcp_expire(t, now); }

void tp_flush(transport *t) { tcp_flush(t); }
