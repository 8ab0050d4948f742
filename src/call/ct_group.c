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
    g->ring = calloc(ncap, sizeof *g->ring);
    g->cap = ncap;
    /* Grows with the keys calls carry (2 on most: Call-ID and caller/callee), up to every
     * entry holding CG_NKEYS at 3/4 load. */
    size_t max = 16;
    while (max / 4 * 3 < ncap * CG_NKEYS) max <<= 1;
    if (!g->ring || ht_init(&g->idx, 1024, max) != 0) {
        free(g->ring);
        g->ring = NULL;
        return -1;
    }
    return 0;
}

void cg_free(ct_group *g) {
    free(g->ring);
    ht_free(&g->idx);
    g->ring = NULL;
}

static uint64_t key_hash(int kind, sx_sv v) {
    /* uuids and icids are compared case-insensitively; Call-IDs byte for byte
     * (RFC 3261 §20.8). */
    return ct_hash(kind, v, kind != CG_CALLID);
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
    size_t it = ht_start(&g->idx, h);
    for (ct_hnode *nd; (nd = ht_scan(&g->idx, h, &it));) {
        cg_key *k = (cg_key *)nd;
        if (k->kind != kind) continue;
        /* A B2BUA starts the next leg while the first is still open; the same caller and
         * callee again after the first call ended is a retry, not a leg. */
        if (kind == CG_PAIR && !k->e->owner) continue;
        sx_time d = q->start - k->e->start;
        if (d > window || d < -window) continue;
        /* On equal starts the latest added wins (seq), whatever the slot order. */
        if (!best || k->e->start > best->start ||
            (k->e->start == best->start && k->e->seq > best->seq))
            best = k->e;
    }
    return best;
}

static cg_entry *find_sv(ct_group *g, int kind, sx_sv v, const cg_query *q, sx_time window) {
    if (v.n == 0) return NULL;
    return find(g, kind, key_hash(kind, v), q, window);
}

const char *cg_lookup(ct_group *g, const cg_query *q, sx_time id_window, sx_time heur_window,
                      cg_entry **match) {
    cg_entry *e;
    *match = NULL;
    /* Strongest first (call-blocking.md §1.5). Each uuid of the new leg may equal either
     * uuid of the older one: the remote uuid is null until the far end answers. */
    if ((e = find_sv(g, CG_SID, q->sid_local, q, id_window)) ||
        (e = find_sv(g, CG_SID, q->sid_remote, q, id_window))) {
        *match = e;
        return "session-id";
    }
    if ((e = find_sv(g, CG_CALLID, q->xcid, q, id_window))) {
        *match = e;
        return "x-cid";
    }
    if ((e = find_sv(g, CG_ICID, q->icid, q, id_window)) ||
        (e = find_sv(g, CG_ICID, q->related_icid, q, id_window))) {
        *match = e;
        return "icid";
    }
    if (q->caller[0] && q->callee[0] &&
        (e = find(g, CG_PAIR, pair_hash(q->caller, q->callee), q, heur_window))) {
        *match = e;
        return "heuristic";
    }
    return "none";
}

static void unlink_entry(ct_group *g, cg_entry *e) {
    for (int i = 0; i < CG_NKEYS; i++)
        if (e->keys[i].used) ht_remove(&g->idx, &e->keys[i].hn), e->keys[i].used = 0;
}

static void add_key(ct_group *g, cg_entry *e, int slot, int kind, uint64_t h) {
    cg_key *k = &e->keys[slot];
    k->hn.h = h;
    k->e = e;
    k->kind = (uint8_t)kind;
    k->used = ht_insert(&g->idx, &k->hn) == 0; /* cannot fail: sized for every key */
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
    add_key(g, e, 0, CG_CALLID, key_hash(CG_CALLID, q->call_id));
    if (q->sid_local.n) add_key(g, e, 1, CG_SID, key_hash(CG_SID, q->sid_local));
    if (q->sid_remote.n) add_key(g, e, 2, CG_SID, key_hash(CG_SID, q->sid_remote));
    if (q->icid.n) add_key(g, e, 3, CG_ICID, key_hash(CG_ICID, q->icid));
    if (q->caller[0] && q->callee[0])
        add_key(g, e, 4, CG_PAIR, pair_hash(q->caller, q->callee));
    return e;
}

void cg_release(cg_entry *e) {
    e->owner = NULL;
    e->owner_match = NULL;
}
