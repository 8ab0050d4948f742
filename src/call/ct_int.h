/* ct_int.h -- internals of the call stage, shared by its .c files only.
 *
 * Three small containers, each bounded:
 *  - ct_arena: per-call bump allocator in chunks, capped (ct_config.arena_max);
 *  - ct_htab: intrusive chained hash table keyed by a 64-bit hash, the caller compares keys;
 *  - ct_group: ring of recent call starts with keys for B2BUA leg grouping (RFC 7989...).
 */
#ifndef SX_CT_INT_H
#define SX_CT_INT_H

#include "call.h"

/* ---- Arena ----
 * Memory follows the number of active calls (~26k at once in a 1 M-call capture), so the
 * per-call footprint matters: the first chunk is sized by the tracker from what recent calls
 * used (ar_first), an overflow chunk is a quarter of that, then chunks double; strings are
 * packed without alignment padding. */
#define AR_ALIGN 8 /* enough for everything the call stage stores: pointers, int64 */
typedef struct ct_chunk {
    struct ct_chunk *next;
    size_t cap;
    size_t cls;       /* storage: cls * AR_CLASS bytes, >= cap; 0: exactly cap, not cached */
    _Alignas(AR_ALIGN) unsigned char data[];
} ct_chunk;

enum { AR_FIRST_MIN = 512, AR_FIRST_MAX = 16384 };

/* Chunks of ended calls kept for the next calls, most recently freed first: a new call's
 * arena then lands on memory just written (still cached) instead of what glibc hands back
 * (its unsorted bin is first-in first-out, and coalescing reads the neighbours' headers:
 * malloc and free were ~5 % of CPU time on calls-100k). A chunk's storage is its cap
 * rounded up to AR_CLASS (its class); a request takes the newest chunk of the smallest class
 * that holds it, at most an eighth larger: the first chunk follows ar_avg, which moves by a
 * class or two from call to call, so exact classes matched one request in five. The chunk's
 * cap stays what was asked for, so reuse changes no arena's accounting. The oldest is freed
 * when a newer one needs its place, so sizes no longer asked for do not stay. Cached chunks
 * are linked through their (unused) data: by age, and per class. */
enum { AR_CLASS = 64, AR_CACHE_N = 64, AR_NCLASS = AR_FIRST_MAX / AR_CLASS + 1 };
typedef struct ct_chunk_cache {
    ct_chunk *cls_new[AR_NCLASS]; /* newest chunk of each class */
    ct_chunk *oldest, *newest;
    unsigned n;
} ct_chunk_cache;
void ar_cache_free(ct_chunk_cache *cc);

typedef struct ct_arena {
    ct_chunk *head;
    /* The head chunk's fill and size, here rather than in its header, so that taking bytes
     * reads only the call: the header is a cache line of its own, and was a dependent miss
     * on every message once the call was found. */
    size_t used, cap;
    size_t behind; /* bytes taken from the chunks behind the head: with used, ar_used()
                      without walking chunk headers, each a cache miss when the call ends */
    size_t total; /* bytes of chunk storage allocated */
    size_t max;
    uint32_t first; /* size of the first chunk (0: AR_FIRST_MIN; at most AR_FIRST_MAX) */
    int full;       /* an allocation was refused by the cap */
    ct_chunk_cache *cache; /* where chunks come from and go back to; NULL: malloc only */
} ct_arena;

void *ar_take_slow(ct_arena *a, size_t n, size_t align);
/* n bytes at an offset rounded up to align (a power of two: 1 for strings, AR_ALIGN for
 * structs). Inline: several per message, and the head chunk nearly always has room. */
static inline void *ar_take(ct_arena *a, size_t n, size_t align) {
    size_t off = (a->used + align - 1) & ~(align - 1);
    if (a->head && off <= a->cap && a->cap - off >= n) {
        a->used = off + n;
        return a->head->data + off;
    }
    return ar_take_slow(a, n, align);
}
/* Returns n bytes aligned to AR_ALIGN, or NULL (and sets full) past the cap. */
static inline void *ar_alloc(ct_arena *a, size_t n) { return ar_take(a, n ? n : 1, AR_ALIGN); }
/* Bytes handed out so far (what the next call's first chunk is sized from). */
size_t ar_used(const ct_arena *a);
/* Copies v into the arena, keeping at most max bytes; SX_SV_NULL (p == NULL) if v.p is
 * NULL or the arena is full. An empty but present value keeps a non-NULL pointer. */
static inline sx_sv ar_sv_max(ct_arena *a, sx_sv v, size_t max) {
    if (!v.p) return SX_SV_NULL;
    size_t n = v.n < max ? v.n : max;
    char *p = ar_take(a, n ? n : 1, 1);
    if (!p) return SX_SV_NULL;
    if (n) memcpy(p, v.p, n);
    return sx_sv_make(p, n);
}
/* The same, whole. */
static inline sx_sv ar_sv(ct_arena *a, sx_sv v) { return ar_sv_max(a, v, SIZE_MAX); }
void ar_free(ct_arena *a);

/* ---- Hash table ----
 * Open addressing with linear probing; each slot holds the node's 64-bit hash next to its
 * pointer, so a lookup compares hashes inside one or two cache lines of the slot array and
 * touches a node only when its hash matches (with ~25k calls open, a chained table cost a
 * cache miss per node walked, on every message). Removal shifts the following run back (no
 * tombstones), so probe runs stay short. The table grows at 1/2 load: at 7/8 (~25k open
 * calls in 32k slots) a lookup that misses (every new call, then its tombstone probe)
 * walked ~13 slots, four cache lines, and a hit often two; at 1/2 nearly every lookup
 * reads one line, for 1 MiB instead of 512 KiB (calls-100k: 1 M fewer L1 misses). */
typedef struct ct_hnode {
    uint64_t h;
} ct_hnode;

typedef struct ct_hslot {
    uint64_t h;
    ct_hnode *nd; /* NULL: empty */
} ct_hslot;

typedef struct ct_htab {
    ct_hslot *s;
    size_t mask; /* slots - 1 (power of two) */
    size_t n;
    size_t max;  /* slots never grow beyond this (0: no limit) */
} ct_htab;

/* buckets: initial slots (rounded up to a power of two); max_slots: growth limit, 0 = none.
 * Past the limit (or when growing fails) inserts go on at a higher load until the table is
 * full, then are refused (ht_insert returns -1). */
int ht_init(ct_htab *t, size_t buckets, size_t max_slots);
void ht_free(ct_htab *t);
int ht_insert(ct_htab *t, ct_hnode *nd);
void ht_remove(ct_htab *t, ct_hnode *nd);
/* Nodes with hash h: size_t it = ht_start(t, h); while ((nd = ht_scan(t, h, &it))) ...
 * Order among equal hashes is not insertion order. */
static inline size_t ht_start(const ct_htab *t, uint64_t h) { return (size_t)h & t->mask; }
static inline ct_hnode *ht_scan(const ct_htab *t, uint64_t h, size_t *it) {
    for (size_t i = *it;; i = (i + 1) & t->mask) {
        const ct_hslot *sl = &t->s[i];
        if (!sl->nd) {
            *it = i;
            return NULL;
        }
        if (sl->h == h) {
            *it = (i + 1) & t->mask;
            return sl->nd;
        }
    }
}

/* 64x64 -> 128-bit multiply folded to 64 bits: the mixing step of ct_hash. */
static inline uint64_t ct_mum(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* 64-bit hash of a kind byte then the bytes (lowercased when fold); not stable across
 * versions or byte orders: only compared within one run. */
uint64_t ct_hash(int kind, sx_sv v, int fold);

/* ---- B2BUA grouping index ---- */
enum { CG_CALLID = 1, CG_SID, CG_ICID, CG_PAIR };
enum { CG_NKEYS = 6 }; /* callid, sid local, sid remote, icid, pair, related-icid unused */
#define CG_GROUP_MAX 127

typedef struct cg_entry cg_entry;
/* Each key slot has a fixed kind (cg_add): 0 Call-ID, 1-2 Session-ID uuids, 3 icid, 4 the
 * caller/callee pair; 5 unused. The index refers to a key by entry and slot. */
struct cg_entry {
    /* Line 0: what reusing the entry (unlink) and a lookup (find) read: a new call's
     * grouping touched three lines of the oldest entry, cold in a ring of megabytes. */
    _Alignas(64) uint64_t kh[CG_NKEYS]; /* hash of each key */
    sx_time start;
    uint8_t used;   /* bit i: key i is in the index */
    uint8_t glen;
    uint64_t seq;   /* order of cg_add: breaks ties between equal starts */
    /* While the call is active: its pointer to this entry (cleared when the entry is
     * reused) and its leg_match, so a later leg can mark the first one as grouped. */
    cg_entry **owner;
    const char **owner_match;
    char group[CG_GROUP_MAX + 1];
};
_Static_assert(offsetof(cg_entry, seq) == 64, "cg_entry: line 0 holds keys and start");

typedef struct ct_group {
    cg_entry *ring; /* in ring_mem, aligned */
    void *ring_mem;
    size_t cap, next, used;
    uint64_t seq;
    /* Index of the keys: open addressing, 8-byte slots (the low 32 bits of the key's hash,
     * which give its home slot, and 1 + its place in the ring); grows at 7/8 load up to
     * every entry holding CG_NKEYS keys. */
    struct cg_slot { uint32_t tag, ref; } *slot;
    size_t smask, nslot, smax;
} ct_group;

/* What a new call offers for grouping (views into the message). */
typedef struct cg_query {
    sx_sv sid_local, sid_remote; /* RFC 7989 uuids, null uuid already removed */
    sx_sv xcid;                  /* value of the configured header */
    sx_sv icid, related_icid;    /* RFC 7315 §4.6 */
    const char *caller, *callee; /* canonical E.164, "" if none */
    sx_time start;
    uint64_t call_id_h;          /* ct_hash(0, Call-ID, 0): the call table's hash, reused */
    /* Filled by cg_query_hash(): the keys both cg_lookup and cg_add use, hashed once (0 when
     * the key is absent). */
    uint64_t h_sid_local, h_sid_remote, h_icid, h_pair;
} cg_query;

/* Hashes q's keys that cg_lookup and cg_add share, and prefetches the index slots both
 * (and the removal of the entry cg_add overwrites) will probe; call before either. */
void cg_query_hash(const ct_group *g, cg_query *q);

/* Fetches the index slot a new call's Call-ID key (its call-table hash) will probe, and those
 * of the keys its cg_add will remove. */
void cg_prefetch_callid(const ct_group *g, uint64_t call_id_h);

int cg_init(ct_group *g, size_t cap);
void cg_free(ct_group *g);
/* Finds the leg a new call belongs to. Returns the method name ("session-id", "x-cid",
 * "icid", "heuristic") and sets *match, or returns "none". */
const char *cg_lookup(ct_group *g, const cg_query *q, sx_time id_window, sx_time heur_window,
                      cg_entry **match);
/* Records a new call's keys; group is the leg group name it carries. Returns its entry. */
cg_entry *cg_add(ct_group *g, const cg_query *q, sx_sv group, cg_entry **owner,
                 const char **owner_match);
/* The call behind an entry ended: forget its back-pointers. */
void cg_release(cg_entry *e);

#endif
