/* ct_group.c -- B2BUA leg grouping (call-blocking.md §1.5).
 *
 * A B2BUA ends one dialog and starts another with a new Call-ID (RFC 7092), so the legs of
 * one call must be tied by what survives: Session-ID (RFC 7989), a header naming the other
 * leg's Call-ID (X-CID by default), the P-Charging-Vector icid-value (RFC 7315 §4.6), else
 * the same canonical caller and callee starting within a short window (heuristic).
 *
 * Calls are emitted when they end, so the index is not the table of active calls: it is a
 * fixed ring of the most recent call starts (ct_config.group_index entries), each with up to
 * CG_NKEYS hashed keys. Memory is fixed at creation; the oldest start is overwritten.
 * Keys are compared by 64-bit hash only: a collision can at worst group two unrelated legs,
 * with probability ~n^2/2^64.
 */
#include <stdlib.h>

#include "ct_int.h"

int cg_init(ct_group *g, size_t ncap) {
    memset(g, 0, sizeof *g);
    if (ncap == 0) ncap = 1;
    /* Aligned, so an entry's first line is one cache line; calloc's, so the pages are
     * touched only as the ring fills. */
    char *mem = ncap < SIZE_MAX / sizeof *g->ring - 1 ? calloc(ncap + 1, sizeof *g->ring) : NULL;
    const size_t a = _Alignof(cg_entry);
    g->ring_mem = mem;
    g->ring = mem ? (cg_entry *)(void *)(mem + (a - (uintptr_t)mem % a) % a) : NULL;
    g->cap = ncap;
    /* Grows with the keys calls carry (2 on most: Call-ID and caller/callee), up to every
     * entry holding CG_NKEYS at 7/8 load. */
    g->smax = 1024;
    while (g->smax / 8 * 7 < ncap * CG_NKEYS) g->smax <<= 1;
    g->slot = calloc(1024, sizeof *g->slot);
    g->smask = 1023;
    if (!g->ring || !g->slot || ncap > UINT32_MAX / CG_NKEYS - 1) {
        free(g->slot);
        g->slot = NULL;
        free(g->ring_mem);
        g->ring_mem = NULL;
        g->ring = NULL;
        return -1;
    }
    return 0;
}

void cg_free(ct_group *g) {
    free(g->ring_mem);
    g->ring_mem = NULL;
    free(g->slot);
    g->ring = NULL;
    g->slot = NULL;
}

/* ---- The key index ---- */

static const uint8_t slot_kind[CG_NKEYS] = {CG_CALLID, CG_SID, CG_SID, CG_ICID, CG_PAIR, 0};

static void slot_put(struct cg_slot *s, size_t mask, struct cg_slot v) {
    size_t i = v.tag & mask;
    while (s[i].ref) i = (i + 1) & mask;
    s[i] = v;
}

/* Doubling up to smax; a failed allocation leaves a fuller table. */
static void index_grow(ct_group *g) {
    size_t n = (g->smask + 1) * 2;
    if (n > g->smax) return;
    struct cg_slot *s = calloc(n, sizeof *s);
    if (!s) return;
    for (size_t i = 0; i <= g->smask; i++)
        if (g->slot[i].ref) slot_put(s, n - 1, g->slot[i]);
    free(g->slot);
    g->slot = s;
    g->smask = n - 1;
}

static int index_add(ct_group *g, uint64_t h, uint32_t ref) {
    if ((g->nslot + 1) * 8 > (g->smask + 1) * 7) index_grow(g);
    if (g->nslot >= g->smask) return -1; /* one slot stays empty: scans end */
    slot_put(g->slot, g->smask, (struct cg_slot){(uint32_t)h, ref});
    g->nslot++;
    return 0;
}

/* Backward-shift removal (no tombstones): each following entry whose home is not in
 * (i, k] moves up. */
static void index_remove(ct_group *g, uint64_t h, uint32_t ref) {
    size_t m = g->smask, i = (size_t)(uint32_t)h & m;
    while (g->slot[i].ref && g->slot[i].ref != ref) i = (i + 1) & m;
    if (!g->slot[i].ref) return;
    for (size_t k = (i + 1) & m; g->slot[k].ref; k = (k + 1) & m) {
        size_t home = g->slot[k].tag & m;
        if (((k - home) & m) >= ((k - i) & m)) {
            g->slot[i] = g->slot[k];
            i = k;
        }
    }
    g->slot[i].ref = 0;
    g->nslot--;
}

/* Call-ID keys use the call table's hash (kind 0), so a new call's own key costs no hash:
 * the index compares kinds anyway (find). */
static uint64_t key_hash(int kind, sx_sv v) {
    /* uuids and icids are compared case-insensitively; Call-IDs byte for byte
     * (RFC 3261 §20.8). */
    return kind == CG_CALLID ? ct_hash(0, v, 0) : ct_hash(kind, v, 1);
}

static uint64_t pair_hash(const char *caller, const char *callee) {
    uint64_t a = ct_hash(CG_PAIR, sx_sv_make(caller, strlen(caller)), 0);
    uint64_t b = ct_hash(CG_PAIR, sx_sv_make(callee, strlen(callee)), 0);
    return a ^ (b * 0x9e3779b97f4a7c15ull);
}

/* The most recent entry with key (kind, h) that started within window before q->start
 * (or at most window after: capture points are not perfectly ordered). */
static cg_entry *find(ct_group *g, int kind, uint64_t h, const cg_query *q, sx_time window) {
    cg_entry *best = NULL;
    for (size_t i = (size_t)(uint32_t)h & g->smask; g->slot[i].ref; i = (i + 1) & g->smask) {
        if (g->slot[i].tag != (uint32_t)h) continue;
        uint32_t ref = g->slot[i].ref - 1;
        cg_entry *e = &g->ring[ref / CG_NKEYS];
        if (e->kh[ref % CG_NKEYS] != h || slot_kind[ref % CG_NKEYS] != kind) continue;
        /* A B2BUA starts the next leg while the first is still open; the same caller and
         * callee again after the first call ended is a retry, not a leg. */
        if (kind == CG_PAIR && !e->owner) continue;
        sx_time d = q->start - e->start;
        if (d > window || d < -window) continue;
        /* On equal starts the latest added wins (seq), whatever the slot order. */
        if (!best || e->start > best->start || (e->start == best->start && e->seq > best->seq))
            best = e;
    }
    return best;
}

static cg_entry *find_sv(ct_group *g, int kind, sx_sv v, const cg_query *q, sx_time window) {
    if (v.n == 0) return NULL;
    return find(g, kind, key_hash(kind, v), q, window);
}

/* find() by a key hashed in cg_query_hash (h: 0 when absent). */
static cg_entry *find_h(ct_group *g, int kind, uint64_t h, const cg_query *q, sx_time window) {
    return h ? find(g, kind, h, q, window) : NULL;
}

/* 0 marks an absent key in cg_query, so a present key hashing to 0 goes by 1: add and
 * lookup both take the value from here. */
static uint64_t present(uint64_t h) { return h ? h : 1; }

static void slot_prefetch(const ct_group *g, uint64_t h) {
    __builtin_prefetch(&g->slot[(size_t)(uint32_t)h & g->smask], 1);
}

/* The slots of the keys the next cg_add removes: those of the entry it overwrites, whose
 * line 0 the previous cg_add fetched. */
static void prefetch_overwritten(const ct_group *g) {
    const cg_entry *old = &g->ring[g->next];
    for (int i = 0; i < CG_NKEYS; i++)
        if (old->used >> i & 1) slot_prefetch(g, old->kh[i]);
}

/* Also the overwritten entry's: it is known long before the new call's keys are. */
void cg_prefetch_callid(const ct_group *g, uint64_t call_id_h) {
    if (!g->slot) return;
    slot_prefetch(g, call_id_h);
    prefetch_overwritten(g);
}

/* The index is megabytes probed at random: each key a new call looks up (then adds) and
 * each key of the entry it overwrites (removed) was a cache miss, taken one after the other
 * as the probes ran. Fetched together here, before any probe (the overwritten entry's
 * again: without hints, this is their first fetch). */
void cg_query_hash(const ct_group *g, cg_query *q) {
    q->h_sid_local = q->sid_local.n ? present(key_hash(CG_SID, q->sid_local)) : 0;
    q->h_sid_remote = q->sid_remote.n ? present(key_hash(CG_SID, q->sid_remote)) : 0;
    q->h_icid = q->icid.n ? present(key_hash(CG_ICID, q->icid)) : 0;
    q->h_pair = q->caller[0] && q->callee[0] ? present(pair_hash(q->caller, q->callee)) : 0;
    prefetch_overwritten(g);
    slot_prefetch(g, q->call_id_h);
    if (q->h_sid_local) slot_prefetch(g, q->h_sid_local);
    if (q->h_sid_remote) slot_prefetch(g, q->h_sid_remote);
    if (q->h_icid) slot_prefetch(g, q->h_icid);
    if (q->h_pair) slot_prefetch(g, q->h_pair);
}

const char *cg_lookup(ct_group *g, const cg_query *q, sx_time id_window, sx_time heur_window,
                      cg_entry **match) {
    cg_entry *e;
    *match = NULL;
    /* Strongest first (call-blocking.md §1.5). Each uuid of the new leg may equal either
     * uuid of the older one: the remote uuid is null until the far end answers. */
    if ((e = find_h(g, CG_SID, q->h_sid_local, q, id_window)) ||
        (e = find_h(g, CG_SID, q->h_sid_remote, q, id_window))) {
        *match = e;
        return "session-id";
    }
    if ((e = find_sv(g, CG_CALLID, q->xcid, q, id_window))) {
        *match = e;
        return "x-cid";
    }
    if ((e = find_h(g, CG_ICID, q->h_icid, q, id_window)) ||
        (e = find_sv(g, CG_ICID, q->related_icid, q, id_window))) {
        *match = e;
        return "icid";
    }
    if ((e = find_h(g, CG_PAIR, q->h_pair, q, heur_window))) {
        *match = e;
        return "heuristic";
    }
    return "none";
}

static uint32_t key_ref(const ct_group *g, const cg_entry *e, int slot) {
    return (uint32_t)((size_t)(e - g->ring) * CG_NKEYS + (size_t)slot + 1);
}

static void unlink_entry(ct_group *g, cg_entry *e) {
    for (int i = 0; i < CG_NKEYS; i++)
        if (e->used >> i & 1) index_remove(g, e->kh[i], key_ref(g, e, i));
    e->used = 0;
}

static void add_key(ct_group *g, cg_entry *e, int slot, uint64_t h) {
    e->kh[slot] = h;
    if (index_add(g, h, key_ref(g, e, slot)) == 0) e->used |= (uint8_t)(1u << slot); /* sized for every key */
}

cg_entry *cg_add(ct_group *g, const cg_query *q, sx_sv group, cg_entry **owner,
                 const char **owner_match) {
    cg_entry *e = &g->ring[g->next];
    g->next = (g->next + 1) % g->cap;
    if (g->used < g->cap) g->used++;
    unlink_entry(g, e);
    if (e->owner) *e->owner = NULL; /* that call is still active: it loses its entry */
    e->owner = owner;
    e->owner_match = owner_match;
    e->seq = ++g->seq;
    e->start = q->start;
    e->glen = (uint8_t)(group.n < CG_GROUP_MAX ? group.n : CG_GROUP_MAX);
    if (e->glen) memcpy(e->group, group.p, e->glen);
    e->group[e->glen] = 0;
    add_key(g, e, 0, q->call_id_h); /* the slots of slot_kind */
    if (q->h_sid_local) add_key(g, e, 1, q->h_sid_local);
    if (q->h_sid_remote) add_key(g, e, 2, q->h_sid_remote);
    if (q->h_icid) add_key(g, e, 3, q->h_icid);
    if (q->h_pair) add_key(g, e, 4, q->h_pair);
    /* The next call overwrites the next entry: its keys, read then, are cold by now. */
    __builtin_prefetch(&g->ring[g->next], 1);
    return e;
}

void cg_release(cg_entry *e) {
    e->owner = NULL;
    e->owner_match = NULL;
}
