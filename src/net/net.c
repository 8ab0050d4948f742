/* net.c -- the packet stage's entry points: one frame in, its outcome counted. */
#include <stdlib.h>

#include "net_int.h"

void net_limits_default(net_limits *l) {
    l->frag_mem_max = 16u << 20;
    l->frag_timeout = 30 * (sx_time)SX_SEC; /* Linux ipfrag_time and RFC 8200 §4.5: 60 s max */
    l->max_tunnel_depth = 8;
}

net *net_new(const net_limits *lim, sx_tally *tally, net_l4_fn fn, void *ud) {
    net *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    if (lim) n->lim = *lim;
    else net_limits_default(&n->lim);
    n->t = tally;
    n->fn = fn;
    n->ud = ud;
    n->frags = frag_new();
    if (!n->frags) {
        free(n);
        return NULL;
    }
    return n;
}

/* The only place frame outcomes are counted (NO_DELIVERED: the transport stage counts). */
static void count(sx_tally *t, net_outcome o) {
    switch (o) {
    case NO_DELIVERED: break;
    case NO_LINK_UNSUPPORTED: t->link_unsupported++; break;
    case NO_LINK_TRUNCATED: t->link_truncated++; break;
    case NO_NOT_IP: t->not_ip++; break;
    case NO_IP_MALFORMED: t->ip_malformed++; break;
    case NO_FRAG_HELD: t->ip_fragment_held++; break;
    case NO_FRAG_DROPPED: t->frag_dropped++; break;
    case NO_NOT_UDP_TCP: t->not_udp_tcp++; break;
    case NO_L4_MALFORMED: t->l4_malformed++; break;
    }
}

void net_frame(net *n, const sx_frame *f) {
    n->t->frames++;
    n->t->bytes_read += f->caplen;
    /* Expire incomplete datagrams as capture time moves, at most once per second of it, and
     * not at all while nothing is pending (the common case costs one test). */
    if ((f->ts - n->last_expire > SX_SEC || f->ts < n->last_expire) && frag_pending(n->frags))
        net_expire(n, f->ts);
    if (f->linktype == SX_LINK_EN10MB && net_udp4_fast(n, f)) return;
    /* src, dst and cut are written by the IP decoders before anything reads them: not
     * zeroing the two addresses here saves a few stores per frame. */
    net_ctx c;
    c.f = f;
    c.depth = 0;
    c.snapped = f->caplen < f->wirelen;
    c.cut = 0;
    net_outcome o = net_link(n, &c, f->linktype, f->data, f->caplen);
    if (o != NO_DELIVERED) count(n->t, o);
}

void net_expire(net *n, sx_time now) {
    n->last_expire = now;
    frag_expire(n, now - n->lim.frag_timeout, 0);
}

void net_flush(net *n) { frag_expire(n, 0, 1); }

void net_free(net *n) {
    if (!n) return;
    frag_free(n->frags);
    free(n);
}

int net_frag_pending(const net *n) { return frag_pending(n->frags); }

size_t net_frag_allocs(const net *n) { return frag_allocs(n->frags); }
