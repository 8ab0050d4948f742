/* tcp.c -- TCP stream reassembly and SIP framing (RFC 3261 §18.3: on a stream, a message
 * ends where its Content-Length says).
 *
 * One stream per DIRECTION, keyed by (src, sport, dst, dport). A stream holds:
 *   - seq: the sequence number of the first byte not yet framed;
 *   - buf[head .. head+len): the contiguous bytes from seq on (a partial message);
 *   - ooo[]: up to TP_OOO_MAX future segments, already copied to their place in buf
 *     (at head + their seq - seq), waiting for the hole before them to fill.
 * Each payload byte is copied at most once into buf; a segment that starts where the stream
 * expects and finds nothing buffered is framed in place (zero copies), only its incomplete
 * tail is kept. buf is allocated when a stream first has to keep bytes, grows by doubling
 * and never past tp_limits.stream_buf_max.
 *
 * A hole that does not fill (the out-of-order budget runs out, or the stream ends or idles
 * with data still waiting) is a gap: the partial message before it is dropped, the stream
 * jumps to the data after it and resynchronises at the next SIP start line. A stream picked
 * up mid-way (no SYN seen) starts at its first segment and resynchronises the same way.
 *
 * A message is delivered with the time and frame of the segment that COMPLETED it (for a
 * flush at FIN, expiry or end of input: the stream's last segment).
 */
#include "tp_int.h"

#include <stdlib.h>

#define TP_OOO_MAX 8                   /* future segments held while waiting for a hole */
#define TP_OOO_WINDOW (64 * 1024)      /* how far past the hole they may reach */
#define TP_EVICT_MIN_IDLE (1 * SX_SEC) /* a full table evicts only streams idle this long */
#define TP_LINE_MAX 4096               /* sip_looks_like_start looks at most this far */

typedef struct seg_range {
    uint32_t seq, len;
} seg_range;

struct tp_stream {
    tp_stream *hnext;          /* bucket chain */
    tp_stream *lprev, *lnext;  /* LRU list */
    uint32_t hash;
    sx_addr src, dst;
    uint16_t sport, dport;
    sx_time last_ts;
    uint64_t last_frame;
    uint32_t seq;              /* sequence number of buf[head] */
    size_t head, len, cap;
    uint8_t *buf;
    seg_range ooo[TP_OOO_MAX]; /* sorted, disjoint, not adjacent to the contiguous data */
    int nooo;
    size_t skip;               /* bytes still to drop of a message over max_msg */
    uint8_t resync;            /* skip to the next SIP start line before framing */
    uint8_t closed;            /* FIN/RST seen; kept so retransmissions are recognised */
};

/* ---- the table ---- */

static uint32_t key_hash(const sx_l4 *p) {
    uint32_t h = 2166136261u; /* FNV-1a */
    size_t alen = p->src.family == 6 ? 16 : 4;
    for (size_t i = 0; i < alen; i++) h = (h ^ p->src.a[i]) * 16777619u;
    for (size_t i = 0; i < alen; i++) h = (h ^ p->dst.a[i]) * 16777619u;
    h = (h ^ p->sport) * 16777619u;
    h = (h ^ p->dport) * 16777619u;
    return h ^ (h >> 15);
}

static int key_eq(const tp_stream *s, const sx_l4 *p) {
    return s->sport == p->sport && s->dport == p->dport && sx_addr_eq(&s->src, &p->src) &&
           sx_addr_eq(&s->dst, &p->dst);
}

int tcp_init(transport *t) {
    size_t nb = 16;
    while (nb < t->lim.max_streams && nb < (1u << 20)) nb <<= 1;
    t->tcp.bucket = calloc(nb, sizeof *t->tcp.bucket);
    t->tcp.nbucket = nb;
    return t->tcp.bucket ? 0 : -1;
}

static tp_stream *table_find(tcp_table *tb, const sx_l4 *p, uint32_t h) {
    for (tp_stream *s = tb->bucket[h & (tb->nbucket - 1)]; s; s = s->hnext)
        if (s->hash == h && key_eq(s, p)) return s;
    return NULL;
}

static void lru_unlink(tcp_table *tb, tp_stream *s) {
    if (s->lprev) s->lprev->lnext = s->lnext;
    else tb->lru_head = s->lnext;
    if (s->lnext) s->lnext->lprev = s->lprev;
    else tb->lru_tail = s->lprev;
    s->lprev = s->lnext = NULL;
}

static void lru_append(tcp_table *tb, tp_stream *s) {
    s->lprev = tb->lru_tail;
    s->lnext = NULL;
    if (tb->lru_tail) tb->lru_tail->lnext = s;
    else tb->lru_head = s;
    tb->lru_tail = s;
}

static void table_remove(tcp_table *tb, tp_stream *s) {
    tp_stream **pp = &tb->bucket[s->hash & (tb->nbucket - 1)];
    while (*pp != s) pp = &(*pp)->hnext;
    *pp = s->hnext;
    lru_unlink(tb, s);
    tb->count--;
}

/* ---- framing ---- */

static void skipped(transport *t, size_t n) { t->tally->tcp_bytes_skipped += n; }

/* Looks for a SIP start line at p or after a LF in p[0..n). Returns its offset with *found
 * set; otherwise the number of bytes that can be discarded (an incomplete last line that
 * could still become a start line is kept, up to keep_max bytes). */
static size_t find_start(const char *p, size_t n, size_t keep_max, int *found) {
    size_t i = 0;
    *found = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl) return n - i <= keep_max ? i : n;
        if (sip_looks_like_start(p + i, n - i)) {
            *found = 1;
            return i;
        }
        i = (size_t)(nl - p) + 1;
    }
    return n;
}

/* Skips the line at p: used when the bytes at a message boundary are not a usable message,
 * so the resync scan does not land on the remains of the same line. */
static size_t line_len(const char *p, size_t n) {
    const char *nl = memchr(p, '\n', n);
    return nl ? (size_t)(nl - p) + 1 : n;
}

/* Total length of a message whose header block ends within p[0..n): headers, blank line and
 * Content-Length bytes of body (RFC 3261 §18.3; long or compact "l" form, absent = 0).
 * Returns 0 if the headers do not end within n. Used only to skip an oversized message
 * exactly, without reading its body. */
static uint64_t msg_total(const char *p, size_t n) {
    uint64_t clen = 0;
    int seen = 0; /* the first Content-Length counts, as in sip_frame_len() */
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl) return 0;
        size_t next = (size_t)(nl - p) + 1;
        sx_sv line = sx_sv_make(p + i, next - 1 - i);
        if (line.n && line.p[line.n - 1] == '\r') line.n--;
        if (line.n == 0) return i ? next + clen : 0;
        const char *colon = memchr(line.p, ':', line.n);
        if (colon && i && !seen) {
            sx_sv name = sx_sv_trim(sx_sv_make(line.p, (size_t)(colon - line.p)));
            sx_sv v = sx_sv_trim(sx_sv_make(colon + 1, (size_t)(line.p + line.n - colon - 1)));
            uint64_t x;
            if ((sx_sv_ieq(name, "content-length") || sx_sv_ieq(name, "l")) &&
                sx_sv_u64(v, UINT32_MAX, &x) == 0)
                clen = x, seen = 1;
        }
        i = next;
    }
    return 0;
}

/* Delivers every complete message at the start of p[0..n) and skips what is not SIP.
 * Returns the bytes consumed; the rest (shorter than max_msg) is an incomplete message or
 * an undecided line, to be kept until more bytes arrive. */
static size_t frame_run(transport *t, tp_stream *s, const char *p, size_t n,
                        const sx_msgmeta *m) {
    size_t max = t->lim.max_msg, keep_max = max - 1 < TP_LINE_MAX ? max - 1 : TP_LINE_MAX;
    size_t off = 0;
    while (off < n) {
        const char *q = p + off;
        size_t rem = n - off;
        if (s->skip) {
            size_t k = s->skip < rem ? s->skip : rem;
            skipped(t, k);
            off += k;
            s->skip -= k;
            continue;
        }
        if (s->resync) {
            int found;
            size_t k = find_start(q, rem, keep_max, &found);
            skipped(t, k);
            off += k;
            if (!found) break;
            s->resync = 0;
            continue;
        }
        if (*q == '\r' || *q == '\n') { /* keep-alive CRLFs between messages (RFC 5626) */
            off++;
            continue;
        }
        long len = sip_frame_len(q, rem, max);
        if (len > 0 && (size_t)len <= max) {
            tp_deliver(t, m, q, (size_t)len);
            off += (size_t)len;
        } else if (len > 0) { /* complete but over max_msg: its length is known, skip it */
            skipped(t, (size_t)len);
            off += (size_t)len;
        } else if (len == 0 && rem < max) {
            break; /* incomplete: wait for more */
        } else if (len == 0 && msg_total(q, rem) > rem && msg_total(q, rem) <= 64 * max) {
            /* over max_msg, length known from its headers: drop exactly that. A length
             * beyond 64 x max_msg is more likely garbage than a body: resync instead. */
            s->skip = (size_t)msg_total(q, rem);
        } else { /* not a start line, headers too long, or a message growing past max_msg */
            size_t k = line_len(q, rem);
            skipped(t, k);
            off += k;
            s->resync = 1;
        }
    }
    return off;
}

static void frame_buffer(transport *t, tp_stream *s, const sx_msgmeta *m) {
    size_t k = frame_run(t, s, (const char *)s->buf + s->head, s->len, m);
    s->head += k;
    s->len -= k;
    s->seq += (uint32_t)k;
    if (s->len == 0 && s->nooo == 0) s->head = 0;
}

/* ---- the buffer and the out-of-order ranges ---- */

static uint32_t r_start(const tp_stream *s, int i) { return s->ooo[i].seq - s->seq; }
static uint32_t r_end(const tp_stream *s, int i) { return r_start(s, i) + s->ooo[i].len; }

/* Makes buf hold `end` bytes from head: compacts to the front, then grows (doubling, capped).
 * Returns -1 if that would pass stream_buf_max, or mem_max for all streams together. */
static int ensure_room(transport *t, tp_stream *s, size_t end) {
    if (s->head + end <= s->cap) return 0;
    if (end > t->lim.stream_buf_max) return -1;
    if (s->head) {
        size_t used = s->nooo ? r_end(s, s->nooo - 1) : s->len;
        memmove(s->buf, s->buf + s->head, used);
        s->head = 0;
    }
    if (end <= s->cap) return 0;
    size_t ncap = s->cap ? s->cap : 4096;
    while (ncap < end) ncap *= 2;
    if (ncap > t->lim.stream_buf_max) ncap = t->lim.stream_buf_max;
    if (t->tcp.mem - s->cap + ncap > t->lim.mem_max) return -1;
    uint8_t *nb = realloc(s->buf, ncap);
    if (!nb) return -1;
    s->buf = nb;
    t->tcp.mem = t->tcp.mem - s->cap + ncap;
    s->cap = ncap;
    return 0;
}

/* Joins the ranges that now touch the contiguous data. */
static void absorb(tp_stream *s) {
    while (s->nooo && r_start(s, 0) <= s->len) {
        uint32_t end = r_end(s, 0);
        if (end > s->len) s->len = end;
        s->nooo--;
        memmove(s->ooo, s->ooo + 1, (size_t)s->nooo * sizeof s->ooo[0]);
    }
}

/* Gives up on the hole before the first range: drops the partial message before it and
 * restarts at the range, resynchronising at the next start line. */
static void gap_skip(transport *t, tp_stream *s) {
    t->tally->tcp_gaps++;
    skipped(t, s->len);
    uint32_t rel = r_start(s, 0);
    s->head += rel;
    s->seq += rel;
    s->len = 0;
    s->skip = 0;
    s->resync = 1;
    absorb(s);
}

/* Bytes that start exactly where the stream expects them. */
static void in_order(transport *t, tp_stream *s, const uint8_t *d, size_t n,
                     const sx_msgmeta *m) {
    if (s->len == 0 && s->nooo == 0) { /* nothing buffered: frame from the segment itself */
        size_t k = frame_run(t, s, (const char *)d, n, m);
        s->seq += (uint32_t)k;
        s->head = 0;
        d += k;
        n -= k;
    }
    while (n > 0) {
        size_t room = t->lim.stream_buf_max - s->len; /* > 0: frame_run leaves < max_msg */
        size_t put = n < room ? n : room;
        if (put == 0 || ensure_room(t, s, s->len + put) != 0) { /* over the memory cap */
            /* Give up everything buffered, the held future ranges too: their offsets are
             * relative to seq, which jumps here, so keeping them would point past the
             * buffer. Resynchronise at the next start line. */
            size_t held = 0;
            for (int i = 0; i < s->nooo; i++) held += s->ooo[i].len;
            skipped(t, s->len + n + held);
            s->seq += (uint32_t)(s->len + n);
            s->nooo = 0;
            s->head = 0;
            s->len = 0;
            s->skip = 0;
            s->resync = 1;
            return;
        }
        memcpy(s->buf + s->head + s->len, d, put);
        s->len += put;
        d += put;
        n -= put;
        absorb(s);
        frame_buffer(t, s, m);
    }
}

/* Keeps a future segment [rel, rel+n) (relative to seq, past the contiguous data) if the
 * budget allows. Returns 0 if kept (or already held), -1 if over budget. */
static int hold(transport *t, tp_stream *s, uint32_t rel, const uint8_t *d, size_t n) {
    uint32_t a = rel, b = rel + (uint32_t)n;
    int i = 0, j;
    while (i < s->nooo && r_end(s, i) < a) i++;
    if (i < s->nooo && r_start(s, i) <= a && r_end(s, i) >= b) {
        t->tally->tcp_retransmits++; /* already held */
        return 0;
    }
    for (j = i; j < s->nooo && r_start(s, j) <= b; j++) {
        if (r_start(s, j) < a) a = r_start(s, j);
        if (r_end(s, j) > b) b = r_end(s, j);
    }
    if (s->nooo - (j - i) + 1 > TP_OOO_MAX || b > s->len + TP_OOO_WINDOW) return -1;
    if (ensure_room(t, s, b) != 0) return -1;
    memcpy(s->buf + s->head + rel, d, n);
    memmove(s->ooo + i + 1, s->ooo + j, (size_t)(s->nooo - j) * sizeof s->ooo[0]);
    s->ooo[i] = (seg_range){s->seq + a, b - a};
    s->nooo = s->nooo - (j - i) + 1;
    return 0;
}

/* Bytes that start past where the stream expects them (a segment was lost or reordered). */
static void future(transport *t, tp_stream *s, uint32_t seq, const uint8_t *d, size_t n,
                   const sx_msgmeta *m) {
    for (;;) {
        if (hold(t, s, seq - s->seq, d, n) == 0) return;
        if (s->nooo == 0) { /* nothing held to jump to: restart at this segment */
            t->tally->tcp_gaps++;
            skipped(t, s->len);
            s->len = 0;
            s->head = 0;
            s->seq = seq;
            s->skip = 0;
            s->resync = 1;
            in_order(t, s, d, n, m);
            return;
        }
        gap_skip(t, s);
        frame_buffer(t, s, m);
        int32_t rel = (int32_t)(seq - (s->seq + (uint32_t)s->len));
        if (rel > 0) continue;
        if ((size_t)-(int64_t)rel >= n) return; /* the jump covered it */
        d += -rel;
        n -= (size_t)-rel;
        in_order(t, s, d, n, m);
        return;
    }
}

/* ---- streams ---- */

static void meta_of(sx_msgmeta *m, const tp_stream *s, sx_time ts, uint64_t frame) {
    memset(m, 0, sizeof *m);
    m->ts = ts;
    m->frame = frame;
    m->src = s->src;
    m->dst = s->dst;
    m->sport = s->sport;
    m->dport = s->dport;
    m->transport = SX_T_TCP;
}

/* The stream ends (FIN, RST, expiry, eviction, end of input): holes will not fill any more,
 * so frame what lies after them, then drop what remains. Frees the buffer. */
static void stream_finish(transport *t, tp_stream *s) {
    sx_msgmeta m;
    meta_of(&m, s, s->last_ts, s->last_frame);
    while (s->nooo) {
        gap_skip(t, s);
        frame_buffer(t, s, &m);
    }
    skipped(t, s->len);
    s->seq += (uint32_t)s->len;
    t->tcp.mem -= s->cap;
    s->len = s->head = s->cap = 0;
    free(s->buf);
    s->buf = NULL;
}

static void stream_drop(transport *t, tp_stream *s, int evicted) {
    if (!s->closed) {
        stream_finish(t, s);
        if (evicted) t->tally->tcp_streams_evicted++;
    }
    table_remove(&t->tcp, s);
    free(s);
}

/* (Re)starts a stream at segment p: at SYN + 1 with a SYN, else mid-way (resync needed). */
static void stream_start(transport *t, tp_stream *s, const sx_l4 *p) {
    t->tally->tcp_streams++;
    s->closed = 0;
    s->nooo = 0;
    s->skip = 0;
    s->len = s->head = 0;
    int syn = (p->tcp_flags & SX_TCP_SYN) != 0;
    s->seq = syn ? p->seq + 1 : p->seq;
    s->resync = !syn;
}

static tp_stream *stream_new(transport *t, const sx_l4 *p, uint32_t h) {
    tcp_table *tb = &t->tcp;
    if (tb->count >= t->lim.max_streams) {
        tp_stream *old = tb->lru_head;
        if (!old || (!old->closed && p->ts - old->last_ts < TP_EVICT_MIN_IDLE)) return NULL;
        stream_drop(t, old, 1);
    }
    tp_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->hash = h;
    s->src = p->src;
    s->dst = p->dst;
    s->sport = p->sport;
    s->dport = p->dport;
    size_t b = h & (tb->nbucket - 1);
    s->hnext = tb->bucket[b];
    tb->bucket[b] = s;
    lru_append(tb, s);
    tb->count++;
    stream_start(t, s, p);
    return s;
}

/* A segment for a stream that already closed: a retransmission, a late ACK, or a new
 * connection reusing the ports. Returns 1 if the segment is done with. */
static int closed_segment(transport *t, tp_stream *s, const sx_l4 *p) {
    if (p->tcp_flags & SX_TCP_SYN) {
        stream_start(t, s, p);
        return 0;
    }
    if (p->len == 0 || (p->tcp_flags & SX_TCP_RST)) return 1;
    if ((int32_t)(p->seq + (uint32_t)p->len - s->seq) <= 1) {
        t->tally->tcp_retransmits++;
        return 1;
    }
    stream_start(t, s, p); /* data after the close: pick it up mid-way */
    return 0;
}

static void stream_data(transport *t, tp_stream *s, const sx_l4 *p) {
    sx_msgmeta m;
    meta_of(&m, s, p->ts, p->frame);
    const uint8_t *d = p->payload;
    size_t n = p->len;
    int32_t rel = (int32_t)(p->seq + (p->tcp_flags & SX_TCP_SYN ? 1u : 0u) -
                            (s->seq + (uint32_t)s->len));
    if (rel < 0) { /* starts before what we have: retransmission or overlap, trim it */
        t->tally->tcp_retransmits++;
        if ((uint64_t)-(int64_t)rel >= n) return;
        d += -(int64_t)rel;
        n -= (size_t)-(int64_t)rel;
        rel = 0;
    }
    if (rel == 0) in_order(t, s, d, n, &m);
    else future(t, s, s->seq + (uint32_t)s->len + (uint32_t)rel, d, n, &m);
}

void tcp_segment(transport *t, const sx_l4 *p) {
    uint8_t f = p->tcp_flags;
    uint32_t h = key_hash(p);
    tp_stream *s = table_find(&t->tcp, p, h);
    t->tally->tcp_bytes += p->len;
    if (!s) {
        if ((p->len == 0 && !(f & SX_TCP_SYN)) || (f & SX_TCP_RST)) { /* nothing to keep */
            t->tally->tcp_segment++;
            return;
        }
        if (!(s = stream_new(t, p, h))) {
            t->tally->tcp_dropped_limit++;
            skipped(t, p->len);
            return;
        }
    } else if (s->closed) {
        if (closed_segment(t, s, p)) {
            t->tally->tcp_segment++;
            return;
        }
    } else if ((f & SX_TCP_SYN) && s->seq != p->seq + 1) { /* new connection, same ports */
        stream_finish(t, s);
        stream_start(t, s, p);
    }
    t->tally->tcp_segment++;
    lru_unlink(&t->tcp, s);
    lru_append(&t->tcp, s);
    s->last_ts = p->ts;
    s->last_frame = p->frame;
    if (p->len) stream_data(t, s, p);
    if (f & (SX_TCP_FIN | SX_TCP_RST)) {
        stream_finish(t, s);
        s->closed = 1;
    }
}

void tcp_expire(transport *t, sx_time now) {
    tp_stream *s;
    while ((s = t->tcp.lru_head) && now - s->last_ts >= t->lim.stream_idle) stream_drop(t, s, 1);
}

void tcp_flush(transport *t) {
    while (t->tcp.lru_head) stream_drop(t, t->tcp.lru_head, 0);
}

void tcp_free(transport *t) {
    tp_stream *s;
    while ((s = t->tcp.lru_head)) {
        table_remove(&t->tcp, s);
        free(s->buf);
        free(s);
    }
    free(t->tcp.bucket);
    t->tcp.bucket = NULL;
}
