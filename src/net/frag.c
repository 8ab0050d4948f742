/* frag.c -- IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5) fragment reassembly.
 *
 * One buffer per incomplete datagram, grown as fragments arrive and freed when the datagram
 * completes or expires. Coverage is a bitmap of 8-byte blocks (fragment offsets are in 8-byte
 * units), so fragments may arrive in any order. Overlaps keep the bytes that arrived first
 * and only fill holes: a later fragment can never rewrite data already accepted (the
 * overlapping-fragment evasion of RFC 1858 / RFC 5722 cannot change what is decoded). A
 * fragment that brings no new byte is a duplicate and is dropped.
 *
 * Memory: the sum of (buffer + bookkeeping) stays under net_limits.frag_mem_max. When a
 * fragment needs more, the oldest other datagrams are given up first (counted as expired);
 * a datagram that alone exceeds the cap has its fragment dropped.
 *
 * Reuse: a finished datagram (completed, expired or evicted) goes to a small free list
 * (NET_FRAG_CACHE entries) with its buffer, so a capture with many fragmented INVITEs
 * allocates a few structs and buffers, not two allocations per datagram. The cache sits
 * outside frag_mem_max, which keeps counting live datagrams exactly as before (g->cap is the
 * accounted size, g->bufcap what the reused buffer really holds); it is bounded by
 * NET_FRAG_CACHE * (sizeof(dgram) + FRAG_KEEP_BUF), see net.h.
 */
#include <stddef.h>
#include <stdlib.h>

#include "net_int.h"

#define FRAG_MAX 65535u                  /* largest datagram payload (16-bit length fields) */
#define FRAG_BLOCKS ((FRAG_MAX + 7) / 8) /* 8-byte blocks */
#define FRAG_WORDS ((FRAG_BLOCKS + 63) / 64)
#define FRAG_BUCKETS 1024u
#define FRAG_KEEP_BUF 65536u             /* a cached buffer larger than this is freed */

typedef struct dgram {
    struct dgram *hnext;        /* hash chain */
    struct dgram *older, *newer; /* age list, oldest first */
    sx_time first;              /* capture time of its first fragment (RFC 791 timer) */
    sx_addr src, dst;
    uint32_t id;
    uint8_t v6;
    uint8_t proto;              /* IPv4: part of the key; IPv6: offset-0 fragment's next header */
    uint32_t total;             /* datagram length, known once the last fragment arrived */
    uint32_t maxend;            /* furthest byte any fragment reached */
    uint32_t nblocks;           /* blocks filled */
    uint32_t cap;               /* bytes of buf charged to frag_mem_max */
    uint32_t bufcap;            /* bytes allocated in buf (>= cap when reused) */
    uint8_t *buf;
    uint64_t map[FRAG_WORDS];   /* coverage: bit b set = block b (bytes 8b..8b+7) filled */
} dgram;

struct frag_table {
    dgram *bucket[FRAG_BUCKETS];
    dgram *oldest, *newest;
    size_t mem;
    int count;
    dgram *spare;  /* free list, linked through hnext */
    int nspare;    /* at most NET_FRAG_CACHE */
    size_t allocs; /* calloc/realloc calls made, for tests and measurements */
};

frag_table *frag_new(void) { return calloc(1, sizeof(frag_table)); }

int frag_pending(const frag_table *ft) { return ft->count; }

size_t frag_allocs(const frag_table *ft) { return ft->allocs; }

/* Word-wise multiply-xorshift over the two addresses (IPv4 leaves the tail of a[] zero):
 * a byte loop here cost ~100 instructions per fragment. */
static uint32_t key_hash(int v6, uint32_t id, const sx_addr *s, const sx_addr *d) {
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t w[4];
    memcpy(&w[0], s->a, 8);
    memcpy(&w[1], s->a + 8, 8);
    memcpy(&w[2], d->a, 8);
    memcpy(&w[3], d->a + 8, 8);
    uint64_t h = ((uint64_t)id << 1 | (uint64_t)v6) * k;
    for (int i = 0; i < 4; i++) {
        h = (h ^ w[i]) * k;
        h ^= h >> 29;
    }
    return (uint32_t)(h >> 32) & (FRAG_BUCKETS - 1);
}

static dgram *find(frag_table *ft, uint32_t h, int v6, uint32_t id, uint8_t proto,
                   const sx_addr *s, const sx_addr *d) {
    for (dgram *g = ft->bucket[h]; g; g = g->hnext)
        if (g->id == id && g->v6 == v6 && (v6 || g->proto == proto) &&
            memcmp(&g->src, s, sizeof *s) == 0 && memcmp(&g->dst, d, sizeof *d) == 0)
            return g;
    return NULL;
}

/* Removes g from the hash and the age list; the caller frees it. */
static void unlink_dgram(frag_table *ft, dgram *g) {
    uint32_t h = key_hash(g->v6, g->id, &g->src, &g->dst);
    dgram **pp = &ft->bucket[h];
    while (*pp != g) pp = &(*pp)->hnext;
    *pp = g->hnext;
    if (g->older) g->older->newer = g->newer;
    else ft->oldest = g->newer;
    if (g->newer) g->newer->older = g->older;
    else ft->newest = g->older;
    ft->mem -= sizeof *g + g->cap;
    ft->count--;
}

/* Puts an unlinked datagram on the free list, or frees it when the list is full. */
static void recycle(frag_table *ft, dgram *g) {
    if (ft->nspare >= NET_FRAG_CACHE) {
        free(g->buf);
        free(g);
        return;
    }
    if (g->bufcap > FRAG_KEEP_BUF) {
        free(g->buf);
        g->buf = NULL;
        g->bufcap = 0;
    }
    g->hnext = ft->spare;
    ft->spare = g;
    ft->nspare++;
}

static void drop_dgram(frag_table *ft, dgram *g) {
    unlink_dgram(ft, g);
    recycle(ft, g);
}

/* A zeroed datagram, from the free list (keeping its buffer) or freshly allocated. */
static dgram *take(frag_table *ft) {
    dgram *g = ft->spare;
    if (!g) {
        ft->allocs++;
        return calloc(1, sizeof *g);
    }
    ft->spare = g->hnext;
    ft->nspare--;
    /* Only the map words a fragment reached can be non-zero (every fill stays below
     * maxend): clearing those instead of the whole 1 KiB map. */
    size_t used = (g->maxend + 8 * 64 - 1) / (8 * 64);
    memset(g->map, 0, used * sizeof g->map[0]);
    uint8_t *buf = g->buf;
    uint32_t bufcap = g->bufcap;
    memset(g, 0, offsetof(dgram, map));
    g->buf = buf;
    g->bufcap = bufcap;
    return g;
}

/* Makes room for `need` more bytes, giving up the oldest datagrams other than keep.
 * Returns 0 when they fit. */
static int make_room(net *n, size_t need, const dgram *keep) {
    frag_table *ft = n->frags;
    while (ft->mem + need > n->lim.frag_mem_max) {
        dgram *g = ft->oldest;
        if (g && g == keep) g = g->newer;
        if (!g) return -1;
        drop_dgram(ft, g);
        n->t->frag_expired++;
    }
    return 0;
}

static dgram *create(net *n, net_ctx *c, uint32_t h, int v6, uint32_t id, uint8_t proto) {
    frag_table *ft = n->frags;
    if (make_room(n, sizeof(dgram), NULL) != 0) return NULL;
    dgram *g = take(ft);
    if (!g) return NULL;
    g->first = c->f->ts;
    g->src = c->src;
    g->dst = c->dst;
    g->id = id;
    g->v6 = (uint8_t)v6;
    g->proto = proto;
    g->hnext = ft->bucket[h];
    ft->bucket[h] = g;
    g->older = ft->newest;
    if (ft->newest) ft->newest->newer = g;
    else ft->oldest = g;
    ft->newest = g;
    ft->mem += sizeof *g;
    ft->count++;
    return g;
}

/* Grows g's buffer to hold `end` bytes. The last fragment gives the exact size; before it,
 * double so that in-order arrival does not reallocate per fragment. */
static int reserve(net *n, dgram *g, uint32_t end, int more) {
    if (end <= g->cap) return 0;
    uint32_t want = g->total ? g->total : !more ? end : end > g->cap * 2 ? end : g->cap * 2;
    if (want > FRAG_MAX) want = FRAG_MAX;
    if (make_room(n, want - g->cap, g) != 0) return -1;
    if (want > g->bufcap) {
        n->frags->allocs++;
        uint8_t *b = realloc(g->buf, want);
        if (!b) return -1;
        g->buf = b;
        g->bufcap = want;
    }
    n->frags->mem += want - g->cap;
    g->cap = want;
    return 0;
}

static int bit(const dgram *g, uint32_t b) { return (int)(g->map[b >> 6] >> (b & 63) & 1); }
static void set_bit(dgram *g, uint32_t b) { g->map[b >> 6] |= 1ull << (b & 63); }

/* Mask of bits [lo, hi) within one 64-bit word (0 <= lo < hi <= 64). */
static uint64_t word_mask(uint32_t lo, uint32_t hi) {
    uint64_t m = hi == 64 ? ~0ull : (1ull << hi) - 1;
    return m & ~((1ull << lo) - 1);
}

/* Sets blocks [b0, b1) if none of them is set yet; returns 0 (and changes nothing) if one
 * is. The common case (fragments that do not overlap) costs a few word operations. */
static int claim_blocks(dgram *g, uint32_t b0, uint32_t b1) {
    for (uint32_t b = b0; b < b1;) {
        uint32_t lo = b & 63, hi = b1 - (b - lo) < 64 ? b1 - (b - lo) : 64;
        if (g->map[b >> 6] & word_mask(lo, hi)) return 0;
        b += hi - lo;
    }
    for (uint32_t b = b0; b < b1;) {
        uint32_t lo = b & 63, hi = b1 - (b - lo) < 64 ? b1 - (b - lo) : 64;
        g->map[b >> 6] |= word_mask(lo, hi);
        b += hi - lo;
    }
    return 1;
}

/* Copies the blocks of [off, end) not yet filled; returns how many were new. off is a
 * multiple of 8 (fragment offsets are in 8-byte units). */
static uint32_t fill(dgram *g, uint32_t off, uint32_t end, const uint8_t *p) {
    uint32_t b0 = off / 8, b1 = (end + 7) / 8;
    if (claim_blocks(g, b0, b1)) { /* no overlap: one copy */
        memcpy(g->buf + off, p, end - off);
        return b1 - b0;
    }
    uint32_t added = 0;
    for (uint32_t b = b0; b * 8 < end; b++) {
        if (bit(g, b)) continue;
        uint32_t from = b * 8, to = from + 8 < end ? from + 8 : end;
        /* extend over the following empty blocks to copy runs, not 8-byte pieces */
        while (to < end && !bit(g, to / 8)) {
            set_bit(g, b);
            added++;
            b++;
            to = to + 8 < end ? to + 8 : end;
        }
        set_bit(g, b);
        added++;
        memcpy(g->buf + from, p + (from - off), to - from);
    }
    return added;
}

/* A fragment that contradicts what the datagram already knows about its size. */
static int inconsistent(const dgram *g, uint32_t end, int more) {
    if (!more) return (g->total && g->total != end) || g->maxend > end;
    return g->total && end > g->total;
}

/* Hands a complete datagram to the next layer, then recycles it. It leaves the table first, so
 * that decoding it (an inner tunnel may be fragmented too) cannot evict it meanwhile. */
static net_outcome complete(net *n, net_ctx *c, dgram *g) {
    unlink_dgram(n->frags, g);
    n->t->frag_reassembled++;
    net_outcome o = net_payload(n, c, g->v6, g->proto, g->buf, g->total);
    recycle(n->frags, g);
    return o;
}

net_outcome frag_add(net *n, net_ctx *c, int v6, uint32_t id, uint8_t proto, uint32_t off,
                     int more, const uint8_t *p, size_t len) {
    /* Every fragment but the last carries a multiple of 8 bytes (RFC 791, RFC 8200). */
    if (len == 0 || (more && len % 8) || off + len > FRAG_MAX) return NO_IP_MALFORMED;
    uint32_t end = off + (uint32_t)len;
    frag_table *ft = n->frags;
    uint32_t h = key_hash(v6, id, &c->src, &c->dst);
    dgram *g = find(ft, h, v6, id, proto, &c->src, &c->dst);
    if (!g && !(g = create(n, c, h, v6, id, proto))) return NO_FRAG_DROPPED;
    if (inconsistent(g, end, more) || reserve(n, g, end, more) != 0) {
        if (g->nblocks == 0) drop_dgram(ft, g); /* created for nothing */
        return NO_FRAG_DROPPED;
    }
    uint32_t added = fill(g, off, end, p);
    if (added == 0) return NO_FRAG_DROPPED; /* duplicate */
    g->nblocks += added;
    if (!more) g->total = end;
    if (end > g->maxend) g->maxend = end;
    if (off == 0) g->proto = proto;
    if (g->total && g->nblocks == (g->total + 7) / 8) return complete(n, c, g);
    return NO_FRAG_HELD;
}

void frag_expire(net *n, sx_time cutoff, int all) {
    frag_table *ft = n->frags;
    /* The age list is in arrival order; merged sources can make it slightly unsorted, which
     * only delays an expiry until the next pass. */
    while (ft->oldest && (all || ft->oldest->first < cutoff)) {
        drop_dgram(ft, ft->oldest);
        n->t->frag_expired++;
    }
}

void frag_free(frag_table *ft) {
    if (!ft) return;
    while (ft->oldest) drop_dgram(ft, ft->oldest);
    while (ft->spare) {
        dgram *g = ft->spare;
        ft->spare = g->hnext;
        free(g->buf);
        free(g);
    }
    free(ft);
}
