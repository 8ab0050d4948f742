/* ct_mem.c -- the call stage's containers: per-call arena, open-addressing hash table, hash. */
#include <stdint.h>
#include <stdlib.h>

#include "base/huge.h"
#include "ct_int.h"

/* ---- Arena: one chunk list per call, freed at once when the call is emitted ---- */

/* Size class of a chunk's storage: cap rounded up to AR_CLASS; 0 if never cached. */
static size_t chunk_class(size_t n) {
    return n <= AR_FIRST_MAX ? (n + AR_CLASS - 1) / AR_CLASS : 0;
}

/* A cached chunk's links, in its data (every class holds at least AR_CLASS bytes). */
typedef struct ar_link { ct_chunk *older, *newer, *cls_older, *cls_newer; } ar_link;
_Static_assert(sizeof(ar_link) <= AR_CLASS, "a cached chunk holds its links");
static ar_link *link_of(ct_chunk *c) { return (ar_link *)(void *)c->data; }

static void cache_unlink(ct_chunk_cache *cc, ct_chunk *c) {
    ar_link *l = link_of(c);
    if (l->older) link_of(l->older)->newer = l->newer;
    else cc->oldest = l->newer;
    if (l->newer) link_of(l->newer)->older = l->older;
    else cc->newest = l->older;
    if (l->cls_older) link_of(l->cls_older)->cls_newer = l->cls_newer;
    if (l->cls_newer) link_of(l->cls_newer)->cls_older = l->cls_older;
    else cc->cls_new[c->cls] = l->cls_older;
    cc->n--;
}

static ct_chunk *chunk_get(ct_chunk_cache *cc, size_t n) {
    size_t k = chunk_class(n);
    if (!k) {
        ct_chunk *c = malloc(sizeof(ct_chunk) + n);
        if (c) c->cls = 0;
        return c;
    }
    size_t top = k + k / 8 < AR_NCLASS - 1 ? k + k / 8 : AR_NCLASS - 1;
    for (size_t j = k; cc && cc->n && j <= top; j++) {
        ct_chunk *c = cc->cls_new[j];
        if (!c) continue;
        cache_unlink(cc, c);
        return c;
    }
    ct_chunk *c = malloc(sizeof(ct_chunk) + k * AR_CLASS);
    if (c) c->cls = k;
    return c;
}

static void chunk_put(ct_chunk_cache *cc, ct_chunk *c) {
    if (!c->cls || !cc) {
        free(c);
        return;
    }
    if (cc->n == AR_CACHE_N) {
        ct_chunk *old = cc->oldest;
        cache_unlink(cc, old);
        free(old);
    }
    ar_link *l = link_of(c);
    l->older = cc->newest, l->newer = NULL;
    if (cc->newest) link_of(cc->newest)->newer = c;
    else cc->oldest = c;
    cc->newest = c;
    l->cls_older = cc->cls_new[c->cls], l->cls_newer = NULL;
    if (l->cls_older) link_of(l->cls_older)->cls_newer = c;
    cc->cls_new[c->cls] = c;
    cc->n++;
}

void ar_cache_free(ct_chunk_cache *cc) {
    while (cc->oldest) {
        ct_chunk *c = cc->oldest;
        cache_unlink(cc, c);
        free(c);
    }
}

/* First chunk: a->first; the first overflow: a quarter of it (most calls that overflow do so
 * by little); then doubling, so a long call still takes few chunks. */
static ct_chunk *ar_chunk(ct_arena *a, size_t need) {
    size_t first = a->first ? a->first : AR_FIRST_MIN;
    size_t ncap = !a->head ? first : !a->head->next ? first / 4 : a->cap * 2;
    if (ncap < need) ncap = need;
    if (a->total + ncap > a->max) ncap = a->max - a->total; /* last, smaller chunk */
    if (ncap < need || a->total >= a->max) return NULL;
    ct_chunk *c = chunk_get(a->cache, ncap);
    if (!c) return NULL;
    c->cap = ncap;
    if (a->head) a->behind += a->used;
    c->next = a->head;
    a->head = c;
    a->used = 0;
    a->cap = ncap;
    a->total += ncap;
    return c;
}

/* ar_take()'s slow path: the head chunk cannot hold n more bytes. */
void *ar_take_slow(ct_arena *a, size_t n, size_t align) {
    if (n > SIZE_MAX / 2) { a->full = 1; return NULL; }
    ct_chunk *c = a->head;
    size_t off = c ? (a->used + align - 1) / align * align : 0;
    if (!c || off > a->cap || a->cap - off < n) {
        /* a new chunk's data is AR_ALIGN-aligned; its size stays a multiple of AR_ALIGN */
        c = ar_chunk(a, (n + AR_ALIGN - 1) / AR_ALIGN * AR_ALIGN);
        if (!c) { a->full = 1; return NULL; }
        off = 0;
    }
    a->used = off + n;
    return c->data + off;
}

size_t ar_used(const ct_arena *a) { return a->head ? a->used + a->behind : 0; }

void ar_free(ct_arena *a) {
    ct_chunk *c = a->head;
    while (c) {
        ct_chunk *n = c->next;
        chunk_put(a->cache, c);
        c = n;
    }
    a->head = NULL;
    a->total = 0;
    a->used = a->cap = a->behind = 0;
}

/* ---- Hash table (ct_int.h) ---- */

/* On huge pages from 1 MiB (64k slots): every message probes the call and tombstone tables
 * at random, a TLB miss each on 4 KiB pages. */
static ct_hslot *slots_new(size_t n) {
    return n <= SIZE_MAX / sizeof(ct_hslot) ? sx_huge_calloc(n * sizeof(ct_hslot)) : NULL;
}
static void slots_free(ct_hslot *s, size_t n) { sx_huge_free(s, n * sizeof(ct_hslot)); }

int ht_init(ct_htab *t, size_t buckets, size_t max_slots) {
    size_t n = 16;
    while (n < buckets) n <<= 1;
    t->s = slots_new(n);
    t->mask = n - 1;
    t->n = 0;
    t->max = max_slots;
    return t->s ? 0 : -1;
}

void ht_free(ct_htab *t) {
    slots_free(t->s, t->mask + 1);
    t->s = NULL;
}

static void put(ct_hslot *s, size_t mask, uint64_t h, ct_hnode *nd) {
    size_t i = (size_t)h & mask;
    while (s[i].nd) i = (i + 1) & mask;
    s[i].h = h;
    s[i].nd = nd;
}

/* Doubling keeps probe runs short; a failed allocation just leaves a fuller table. */
static void ht_resize(ct_htab *t) {
    size_t n = (t->mask + 1) * 2;
    if (t->max && n > t->max) return;
    ct_hslot *s = slots_new(n);
    if (!s) return;
    for (size_t i = 0; i <= t->mask; i++)
        if (t->s[i].nd) put(s, n - 1, t->s[i].h, t->s[i].nd);
    slots_free(t->s, t->mask + 1);
    t->s = s;
    t->mask = n - 1;
}

int ht_insert(ct_htab *t, ct_hnode *nd) {
    if ((t->n + 1) * 2 > t->mask + 1) ht_resize(t);
    if (t->n >= t->mask) return -1; /* keep one slot empty: scans end */
    put(t->s, t->mask, nd->h, nd);
    t->n++;
    return 0;
}

void ht_remove(ct_htab *t, ct_hnode *nd) {
    size_t i = (size_t)nd->h & t->mask;
    while (t->s[i].nd && t->s[i].nd != nd) i = (i + 1) & t->mask;
    if (!t->s[i].nd) return;
    /* Backward shift: move up each following entry whose home is not in (i, k]. */
    for (size_t k = (i + 1) & t->mask; t->s[k].nd; k = (k + 1) & t->mask) {
        size_t home = (size_t)t->s[k].h & t->mask;
        if (((k - home) & t->mask) >= ((k - i) & t->mask)) {
            t->s[i] = t->s[k];
            i = k;
        }
    }
    t->s[i].nd = NULL;
    t->n--;
}

/* Case-folded keys (uuids, icids) are rare: byte by byte. Byte-exact ones (Call-IDs, tags,
 * branches, addresses: several per message) go 8 bytes a step. */
static uint64_t hash_fold(uint64_t h, sx_sv v) {
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

static uint64_t rd64(const char *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static uint64_t rd32(const char *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* wyhash's construction (public domain): 16 bytes per 64x64->128 multiply, and short keys
 * read with at most four fixed-size loads, never a variable-length copy. A byte-exact key
 * hashed here 3 times per message (Call-ID, tags, branches) cost ~100 instructions. */
static uint64_t hash_words(uint64_t seed, sx_sv v) {
    const uint64_t s0 = 0xa0761d6478bd642full, s1 = 0xe7037ed1a0b428dbull;
    const char *p = v.p;
    size_t n = v.n;
    uint64_t a = 0, b = 0;
    seed ^= s0;
    if (n <= 16) {
        if (n >= 4) {
            size_t q = (n >> 3) << 2;
            a = rd32(p) << 32 | rd32(p + q);
            b = rd32(p + n - 4) << 32 | rd32(p + n - 4 - q);
        } else if (n) {
            a = (uint64_t)(unsigned char)p[0] << 16 | (uint64_t)(unsigned char)p[n >> 1] << 8 |
                (unsigned char)p[n - 1];
        }
    } else {
        size_t i = n;
        for (; i > 16; p += 16, i -= 16) seed = ct_mum(rd64(p) ^ s1, rd64(p + 8) ^ seed);
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    return ct_mum(s1 ^ n, ct_mum(a ^ s1, b ^ seed));
}

uint64_t ct_hash(int kind, sx_sv v, int fold) {
    uint64_t h = 1469598103934665603ull;
    h = (h ^ (uint8_t)kind) * 1099511628211ull;
    if (!fold) return hash_words(h, v); /* already mixed in every bit */
    h = hash_fold(h, v);
    /* Mix the low bits: slots are chosen by h & mask. */
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}
