/* call.c -- the call tracker: every SIP message in, one record per finished call out.
 *
 * A call is one INVITE dialog set: everything with the same Call-ID from the first INVITE
 * without To-tag until the call ends (RFC 3261 §12; forked early dialogs are branches of the
 * same call, §13.2.2.4). Within it:
 *  - INVITE transactions are (CSeq, top Via branch) (§17.1.3). The first branch seen for a
 *    CSeq is the first hop's view ("main"); another branch with the same CSeq is the same
 *    request seen at a later hop (a proxy on the capture path); the same branch in the same
 *    direction again is a retransmission (§17.1.1.2).
 *  - Responses count for the outcome only when their top Via branch is a main branch, so a
 *    call seen at two hops keeps the first hop's view; other hops' finals are a fallback.
 *  - A 401/407 is a challenge, not an outcome: the INVITE re-sent with a new CSeq belongs to
 *    the same call and the outcome is taken from the last transaction (RFC 6076 §4.3).
 *  - A re-INVITE (To-tag present, or after the answer) never changes the outcome.
 * The call ends on a failure final (at once; late ACKs and retransmissions are absorbed by a
 * tombstone), a 2xx then BYE + 200 (or BYE alone after bye_grace), or a timer in capture time.
 */
#include <stdlib.h>

#include "base/huge.h"
#include "ct_int.h"

/* PH_FAILING: the first hop failed but another hop of the same INVITE (a fork seen
 * downstream of the proxy) has not answered yet; a 2xx there still wins (RFC 3261 §16.7). */
enum phase { PH_CALLING, PH_PROCEEDING, PH_CHALLENGED, PH_FAILING, PH_ANSWERED, PH_BYE };

enum {
    CT_MAX_TX = 32,       /* INVITEs (transactions x hops) remembered per call */
    CT_MAX_BRANCHES = 16, /* To-tags per call */
    CT_MAX_PROV = 16,     /* distinct provisional codes */
    CT_RSIG = 8,          /* recent response signatures, to spot retransmissions */
    CT_MAX_IDENTITY = 8,  /* distinct Identity values */
    CT_MAX_REASONS = 8,
    CT_MAX_CALLINFO = 8,
    CT_LINE_MAX = 256,    /* start line bytes kept per message */
};
/* The same packet again within this is a capture duplicate (mirrored port, two HEP agents),
 * not a retransmission: RFC 3261 retransmits after T1 = 500 ms at the earliest. */
#define CT_DUP_WINDOW (20 * (sx_time)SX_MSEC)

/* What matching a message to an INVITE transaction reads and writes (tx_key()). */
typedef struct ct_txk {
    uint32_t cseq;
    uint16_t final;   /* final status seen for it, 0 if none */
    uint8_t main;     /* first branch seen for this CSeq */
    uint8_t reinvite; /* in-dialog */
} ct_txk;

typedef struct ct_tx { /* one INVITE seen */
    struct ct_tx *next;
    ct_txk k;         /* unused for the call's first one: ct_call.tx0k holds it */
    sx_sv branch;
    sx_addr src, dst;
    uint16_t sport, dport;
    sx_time t_last;   /* last transmission seen */
} ct_tx;

typedef struct ct_bnode { struct ct_bnode *next; call_branch b; } ct_bnode;
/* One message of the list, compact (it is most of a call's memory): nearly every message goes
 * one way or the other between the first INVITE's endpoints, only the others carry theirs. */
enum { MSG_FWD, MSG_REV, MSG_OTHER };
typedef struct ct_mep { sx_addr src, dst; uint16_t sport, dport; } ct_mep;
typedef struct ct_mnode {
    struct ct_mnode *next;
    sx_time t;
    const char *line;
    const ct_mep *ep; /* MSG_OTHER only */
    uint16_t nline;   /* <= CT_LINE_MAX */
    uint8_t dir, transport;
} ct_mnode;
typedef struct ct_inode { struct ct_inode *next; sx_sv v; } ct_inode;

/* The Call-ID's first bytes are kept in the call's first cache line, next to the hash, so
 * finding a call touches that line and not also the arena copy (Call-IDs are typically
 * 32..40 bytes). */
enum { CT_CID_HEAD = 48 };
/* The same for the first INVITE's top Via branch ("z9hG4bK" and 10..32 more, typically). */
enum { CT_BR_HEAD = 44 };

/* Laid out by when fields are touched: with ~26k calls open a call is cold whenever its next
 * message comes, so each distinct cache line a message reads is a miss. Line 0 finds the
 * call, line 1 serves every message, lines 2-3 responses to INVITE (retransmission
 * signatures, the first transaction), lines 4-5 the first-hop responses; the rest
 * (creation, the record, the end) is read about once per call. Record fields a message
 * would read are shadowed here (verstat found, the provisional count, the Server/User-Agent
 * signatures) so that the record is written, not read. */
typedef struct ct_call {
    /* Aligned so the lookup fields below share one cache line, and each pair of lines one
     * 128-byte block (what the adjacent-line prefetcher fetches); the slab honours it. */
    _Alignas(128) ct_hnode hn;     /* call table, keyed by the Call-ID */
    uint32_t id;                   /* slot in the slab: names the call in the deadline heap */
    uint32_t cid_n;                /* == r.call_id.n */
    char cid[CT_CID_HEAD];         /* the first bytes of r.call_id */
    /* line 1: every message */
    ct_tx *tx;
    ct_bnode *br;
    sx_time deadline;
    sx_time t_invite;
    uint32_t cseq, first_cseq;     /* latest and first initial INVITE transactions */
    unsigned ntx, nbr;             /* together: no padding after either */
    uint32_t nmsg_seen;            /* messages counted when the list is not kept */
    uint8_t keep_msgs;             /* the list is kept (ct_config keep_messages, keep_call) */
    uint8_t phase;                 /* enum phase */
    uint8_t cancelled, final_main;
    uint8_t fallback_2xx;          /* the fallback final (another hop's) is a 2xx */
    uint8_t has_verstat;           /* r.verstat is set */
    unsigned nrsig;
    /* line 2: responses to INVITE (response_repeat) */
    uint32_t rsig[CT_RSIG];   /* hashes; a collision within one call is a 1 in 2^29 event */
    uint32_t rsig_t[CT_RSIG]; /* capture time in microseconds, modulo 2^32 (71 min): only
                                 differences below CT_DUP_WINDOW matter */
    /* line 3: the first INVITE transaction, which nearly every response answers: matching
     * it reads no arena line (tx_key, tx_branch_is) */
    ct_tx *tx0;                    /* its node: the path and time of a retransmission */
    ct_txk tx0k;
    uint32_t tx0_bn;               /* == tx0->branch.n */
    char tx0_branch[CT_BR_HEAD];   /* its first bytes */
    /* lines 4-5: first-hop responses */
    uint64_t sig_contact, sig_rr_first, sig_rr_last; /* keep_value_host() */
    uint64_t sig_server, sig_ua;   /* keep_sv() */
    sx_time t_prov, t_prov1, t_18x;
    uint16_t prov[CT_MAX_PROV];
    unsigned nprov;                /* r.nprovisional, set at the end */
    unsigned invite_rr;            /* Record-Route entries of the first INVITE */
    sx_time t_answer, t_final, t_bye;
    /* allocation */
    ct_arena ar;
    ct_mnode *msg;                 /* newest first: appending wrote the previous node, a
                                      cache line long cold by the next message */
    /* the rest: about once per call */
    ct_inode *ids;
    unsigned nids;
    sx_time t_hop_answer;          /* when another hop answered */
    sx_sv from_tag;
    struct ct_call *older, *newer; /* creation order, for eviction */
    cg_entry *gent;                /* grouping index entry while it lasts */
    call_record r;
} ct_call;
_Static_assert(offsetof(ct_call, rsig) == 2 * 64, "line 1 holds what every message reads");
_Static_assert(offsetof(ct_call, tx0) == 3 * 64 && offsetof(ct_call, sig_contact) == 4 * 64,
               "line 3 holds the first transaction");
_Static_assert(offsetof(ct_call, ar) == 6 * 64, "lines 4-5 hold the first-hop responses'");
_Static_assert(sizeof(ct_call) <= 20 * 64, "a call is 20 cache lines");

/* Arena allocations are AR_ALIGN-aligned (ct_int.h): enough for all of these. */
_Static_assert(_Alignof(ct_tx) <= AR_ALIGN && _Alignof(ct_bnode) <= AR_ALIGN &&
                   _Alignof(ct_mnode) <= AR_ALIGN && _Alignof(ct_inode) <= AR_ALIGN &&
                   _Alignof(ct_mep) <= AR_ALIGN &&
                   _Alignof(call_reason) <= AR_ALIGN && _Alignof(call_info_ref) <= AR_ALIGN,
               "arena alignment");

typedef struct ct_hent { sx_time deadline; uint32_t id; } ct_hent; /* deadline == its call's */

typedef struct ct_tomb { /* a finished call: absorbs its late messages (RFC 3261 Timer D/J) */
    ct_hnode hn;
    struct ct_tomb *fnext;
    uint32_t cseq;
    sx_time expiry;
} ct_tomb;

struct call_tracker {
    ct_config cfg;
    sx_tally *tally;
    ct_emit_fn emit;
    void *ud;
    ct_htab calls, tombs;
    sx_sv hint_cid;  /* the Call-ID ct_prefetch() last hashed, and its hash */
    uint64_t hint_h;
    ct_call *oldest, *newest;
    ct_hent *heap;  /* min-heap on deadline (in heap_mem, see heap_grow) */
    void *heap_mem;
    size_t nheap, heap_cap;
    uint32_t *hpos; /* heap index of each call, by slab id (slab.nblk * CT_SLAB_N entries) */
    ct_tomb *tomb_head, *tomb_tail;
    size_t ntomb;
    ct_tomb *tomb_free; /* spare tombstones, linked by fnext */
    ct_group group;
    int group_hdr; /* sip header id of cfg.group_header (SIP_H_OTHER: looked up by name) */
    ct_chunk_cache chunks; /* arena chunks of ended calls, for the next ones */
    ct_call *done_head, *done_tail; /* ended, not yet emitted (emit_batch), by ->newer */
    unsigned ndone;
    size_t ar_avg;  /* arena bytes recent calls used (moving average): sizes the next
                       call's first chunk so most calls take one malloc and waste little */
    ct_counters st;
    /* Reused across calls instead of a malloc/free pair each: the emitted record's arrays. */
    char *blk;
    size_t blk_cap;
    /* ct_calls live in blocks of CT_SLAB_N, named by id; a finished one goes on a LIFO free
     * list, so the next call reuses the struct just written (still cached) and malloc never
     * sees them. Blocks are kept until ct_free: they number peak active calls / CT_SLAB_N.
     * A block is one 2 MiB transparent huge page where the kernel allows it (madvise mode):
     * with ~25k calls open, the calls span ~30 MB that every message touches at random,
     * and with 4 KiB pages nearly every touch was also a TLB miss. */
    struct {
        ct_call **blk;
        size_t nblk, cap;
        uint32_t nid;  /* ids handed out so far */
        ct_call *free; /* linked by ->newer */
    } slab;
};

#define CT_SLAB_BYTES ((size_t)2 << 20)
enum { CT_SLAB_N = (int)(CT_SLAB_BYTES / sizeof(ct_call)) };

void ct_config_default(ct_config *c) {
    c->max_calls = 200000;
    c->timer_b = 32 * (sx_time)SX_SEC;
    c->timer_c = 180 * (sx_time)SX_SEC;
    c->max_duration = 4 * 3600 * (sx_time)SX_SEC;
    c->bye_grace = 4 * (sx_time)SX_SEC;
    c->challenge_wait = 180 * (sx_time)SX_SEC;
    c->linger = 32 * (sx_time)SX_SEC;
    c->group_window = 2 * (sx_time)SX_SEC;
    c->group_id_window = 32 * (sx_time)SX_SEC;
    c->group_index = 16384;
    c->group_header = "X-CID";
    c->max_messages = 64;
    c->keep_messages = 1;
    c->keep_call = NULL;
    c->arena_max = 64 * 1024;
    c->names = NULL;
    c->emit_batch = 1;
}

/* ---- Small helpers over a message ---- */

static int sv_same(sx_sv a, sx_sv b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0); }

/* The first From or To parsed: sip_parse already did it (has_addr), else here. */
static int msg_naddr(const sip_msg *m, int id, sip_naddr *na) {
    if (m->has_addr && (id == SIP_H_FROM || id == SIP_H_TO)) {
        *na = id == SIP_H_FROM ? m->from : m->to;
        return 0;
    }
    sx_sv v = sip_hdr_first(m, id);
    return v.p ? sip_parse_naddr(v, na) : -1;
}

/* Several per message (ct_message, on_invite, responses, BYE): the tag sip_parse kept is
 * read in place, without copying the whole name-addr. */
static sx_sv hdr_tag(const sip_msg *m, int id) {
    if (m->has_addr && (id == SIP_H_FROM || id == SIP_H_TO))
        return id == SIP_H_FROM ? m->from.tag : m->to.tag;
    sip_naddr na;
    if (msg_naddr(m, id, &na) != 0) return SX_SV_NULL;
    return na.tag;
}

static sx_sv top_branch(const sip_msg *m) {
    if (m->has_addr) return m->via.branch;
    sip_vit it = {0};
    sx_sv v;
    sip_via via;
    if (!sip_next_value(m, SIP_H_VIA, &it, &v) || sip_parse_via(v, &via) != 0) return SX_SV_NULL;
    return via.branch;
}

/* sx_addr_eq(), inline: it runs up to four times per message (msg_dir). */
static int addr_eq(const sx_addr *x, const sx_addr *y) {
    if (x->family != y->family) return 0;
    uint32_t a, b;
    memcpy(&a, x->a, 4);
    memcpy(&b, y->a, 4);
    if (a != b) return 0;
    return x->family == 4 || memcmp(x->a + 4, y->a + 4, 12) == 0;
}

static int same_path(const ct_tx *t, const sx_msgmeta *mt) {
    return t->sport == mt->sport && t->dport == mt->dport && addr_eq(&t->src, &mt->src) &&
           addr_eq(&t->dst, &mt->dst);
}

static int is_challenge(int code) { return code == 401 || code == 407; }

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* The bytes that end a verstat value: the URI's delimiters (and NUL, as strchr matched it). */
static int verstat_end(char c) {
    return c == ';' || c == '@' || c == '>' || c == '&' || c == ',' || c == '?' || c == ' ' ||
           c == '\t' || c == '\0';
}

/* verstat (3GPP TS 24.229 §7.2A.20) is a tel-URI parameter, in a SIP URI it sits in the
 * user part ("sip:+1215...;verstat=TN-Validation-Passed@host"): search the URI text.
 * This runs on every INVITE and response until found, so it jumps from '=' to '=' (few in a
 * From or PAI) and looks back for "verstat": the first '=' that ends one is the first match. */
static sx_sv find_verstat(sx_sv uri) {
    static const char key[] = "verstat";
    const size_t kl = sizeof key - 1;
    if (uri.n <= kl) return SX_SV_NULL;
    const char *p = uri.p + kl, *end = uri.p + uri.n;
    while ((p = memchr(p, '=', (size_t)(end - p)))) {
        size_t k = 0;
        while (k < kl && ascii_lower(p[(ptrdiff_t)k - (ptrdiff_t)kl]) == key[k]) k++;
        p++;
        if (k < kl) continue;
        const char *e = p;
        while (e < end && !verstat_end(*e)) e++;
        return sx_sv_make(p, (size_t)(e - p));
    }
    return SX_SV_NULL;
}

static ct_call *call_by_id(const call_tracker *ct, uint32_t id) {
    return &ct->slab.blk[id / CT_SLAB_N][id % CT_SLAB_N];
}

/* ---- Deadlines: a binary min-heap of active calls ----
 * Each entry carries its deadline next to the call's id, so sifting compares within the
 * array (16 bytes an entry, 400 KB at 25k open calls), and an entry's position is written
 * to hpos (4 bytes per call) rather than into the ct_call: a re-scheduled deadline sinks
 * ~15 levels, and writing each moved call cost a cache miss per level with tens of
 * thousands of calls open. The order of operations is the plain binary heap's, so calls
 * with equal deadlines still time out in the same order. */

static void heap_set(call_tracker *ct, size_t i, ct_hent e) {
    ct->heap[i] = e;
    ct->hpos[e.id] = (uint32_t)i;
}

/* Returns 1 if the entry moved. */
static int heap_up(call_tracker *ct, size_t i) {
    ct_hent e = ct->heap[i];
    size_t i0 = i;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (ct->heap[p].deadline <= e.deadline) break;
        heap_set(ct, i, ct->heap[p]);
        i = p;
    }
    if (i == i0) return 0;
    heap_set(ct, i, e);
    return 1;
}

/* The lower levels of the heap are out of L1 and each level's children are known only
 * once the level above is decided: a chain of misses. The grandchildren (four entries, at
 * most two lines) are asked for a level ahead, whichever child is taken; past the end of
 * the array the prefetch touches the heap's own allocation or nothing (it never faults). */
static void heap_down(call_tracker *ct, size_t i) {
    ct_hent e = ct->heap[i];
    const ct_hent *h = ct->heap;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        size_t g = 2 * l + 1;
        if (g < ct->nheap) {
            __builtin_prefetch(&h[g]);
            __builtin_prefetch(&h[g + 3]);
        }
        sx_time best = e.deadline;
        if (l < ct->nheap && h[l].deadline < best) m = l, best = h[l].deadline;
        if (l + 1 < ct->nheap && h[l + 1].deadline < best) m = l + 1;
        if (m == i) break;
        heap_set(ct, i, h[m]);
        i = m;
    }
    heap_set(ct, i, e);
}

/* The array starts 16 bytes past a 32-byte boundary, so that the two children of every
 * entry (2i+1, 2i+2: 32 bytes) share one cache line: sinking reads one line per level,
 * where half the pairs straddled two. */
static int heap_grow(call_tracker *ct) {
    size_t ncap = ct->heap_cap ? ct->heap_cap * 2 : 1024;
    char *mem = aligned_alloc(64, ncap * sizeof(ct_hent) + 64);
    if (!mem) return -1;
    ct_hent *h = (ct_hent *)(void *)(mem + 48);
    if (ct->nheap) memcpy(h, ct->heap, ct->nheap * sizeof *h);
    free(ct->heap_mem);
    ct->heap_mem = mem;
    ct->heap = h;
    ct->heap_cap = ncap;
    return 0;
}

static int heap_push(call_tracker *ct, ct_call *c) {
    if (ct->nheap == ct->heap_cap && heap_grow(ct) != 0) return -1;
    heap_set(ct, ct->nheap++, (ct_hent){c->deadline, c->id});
    heap_up(ct, ct->hpos[c->id]);
    return 0;
}

static void heap_remove(call_tracker *ct, ct_call *c) {
    size_t i = ct->hpos[c->id];
    ct_hent last = ct->heap[--ct->nheap];
    if (last.id == c->id) return;
    heap_set(ct, i, last);
    /* Moved up, it is below everything under it already (its children were below the
     * entries it passed): only one of the two sifts can move it. */
    if (!heap_up(ct, i)) heap_down(ct, i);
}

/* A later deadline can only sink and an earlier one only rise, so one sift runs: the other
 * read the parent's (or children's) cache line to move nothing. Same moves, same order. */
static void set_deadline(call_tracker *ct, ct_call *c, sx_time t) {
    sx_time old = c->deadline;
    if (t == old) return;
    c->deadline = t;
    size_t i = ct->hpos[c->id];
    ct->heap[i].deadline = t;
    if (t < old) heap_up(ct, i);
    else heap_down(ct, i);
}

/* Timer B runs from the last transmission; once a provisional came, the transaction waits
 * for a final response as long as a proxy would (Timer C, RFC 3261 §16.6 item 11). */
static sx_time invite_deadline(const call_tracker *ct, const ct_call *c) {
    sx_time t = c->t_invite + ct->cfg.timer_b;
    if (c->phase == PH_PROCEEDING && c->t_prov + ct->cfg.timer_c > t) t = c->t_prov + ct->cfg.timer_c;
    return t;
}

/* ---- Tombstones ---- */

static void tomb_remove_head(call_tracker *ct) {
    ct_tomb *t = ct->tomb_head;
    ct->tomb_head = t->fnext;
    if (!ct->tomb_head) ct->tomb_tail = NULL;
    ht_remove(&ct->tombs, &t->hn);
    ct->ntomb--;
    t->fnext = ct->tomb_free;
    ct->tomb_free = t;
}

/* Every ended call leaves a tombstone for linger (32 s): reused last-freed first rather than
 * a malloc and a free per call. The spare ones number at most the peak of live ones. */
static ct_tomb *tomb_alloc(call_tracker *ct) {
    ct_tomb *t = ct->tomb_free;
    if (!t) return malloc(sizeof *t);
    ct->tomb_free = t->fnext;
    return t;
}

static void tomb_add(call_tracker *ct, uint64_t h, uint32_t cseq, sx_time expiry) {
    if (ct->ntomb >= ct->cfg.max_calls) tomb_remove_head(ct);
    ct_tomb *t = tomb_alloc(ct);
    if (!t) return;
    t->hn.h = h;
    t->cseq = cseq;
    t->expiry = expiry;
    t->fnext = NULL;
    if (ht_insert(&ct->tombs, &t->hn) != 0) {
        t->fnext = ct->tomb_free;
        ct->tomb_free = t;
        return;
    }
    if (ct->tomb_tail) ct->tomb_tail->fnext = t;
    else ct->tomb_head = t;
    ct->tomb_tail = t;
    ct->ntomb++;
}

/* A tombstone is removed from the middle only when its Call-ID starts a new call; the FIFO
 * keeps it until it expires, marked dead by expiry = INT64_MIN. */
static ct_tomb *tomb_find(call_tracker *ct, uint64_t h) {
    size_t it = ht_start(&ct->tombs, h);
    for (ct_hnode *nd; (nd = ht_scan(&ct->tombs, h, &it));) {
        ct_tomb *t = (ct_tomb *)nd;
        if (t->expiry != INT64_MIN) return t;
    }
    return NULL;
}

static void tomb_expire(call_tracker *ct, sx_time now) {
    while (ct->tomb_head && ct->tomb_head->expiry <= now) tomb_remove_head(ct);
}

/* ---- Record building ---- */

static int msg_dir(const call_record *r, const sx_msgmeta *mt) {
    if (mt->sport == r->sport && mt->dport == r->dport && addr_eq(&mt->src, &r->src) &&
        addr_eq(&mt->dst, &r->dst))
        return MSG_FWD;
    if (mt->sport == r->dport && mt->dport == r->sport && addr_eq(&mt->src, &r->dst) &&
        addr_eq(&mt->dst, &r->src))
        return MSG_REV;
    return MSG_OTHER;
}

static void add_msg(call_tracker *ct, ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    if (!c->keep_msgs) {
        /* The list is ~40 % of a call's arena and a cache line written per message: without
         * a reader, only the count the summary gives (messages_dropped) is kept. */
        if (c->nmsg_seen < ct->cfg.max_messages) c->nmsg_seen++;
        else c->r.messages_dropped++, ct->st.messages_dropped++;
        return;
    }
    ct_mnode *n = NULL;
    int dir = msg_dir(&c->r, mt);
    ct_mep *ep = NULL;
    if (c->r.nmessages < ct->cfg.max_messages && (n = ar_alloc(&c->ar, sizeof *n)) &&
        dir == MSG_OTHER && (ep = ar_alloc(&c->ar, sizeof *ep))) {
        ep->src = mt->src, ep->dst = mt->dst;
        ep->sport = mt->sport, ep->dport = mt->dport;
    }
    sx_sv line = n ? ar_sv_max(&c->ar, m->start_line, CT_LINE_MAX) : SX_SV_NULL;
    if (!n || (dir == MSG_OTHER && !ep)) {
        c->r.messages_dropped++;
        ct->st.messages_dropped++;
        return;
    }
    n->next = c->msg;
    n->t = mt->ts;
    n->line = line.p;
    n->nline = (uint16_t)line.n;
    n->ep = ep;
    n->dir = (uint8_t)dir;
    n->transport = mt->transport;
    c->msg = n;
    c->r.nmessages++;
}

/* The record's form of a list entry. */
static call_msg msg_of(const call_record *r, const ct_mnode *n) {
    call_msg o;
    memset(&o, 0, sizeof o);
    o.t = n->t;
    o.transport = n->transport;
    o.line = sx_sv_make(n->line, n->nline);
    if (n->dir == MSG_OTHER) {
        o.src = n->ep->src, o.dst = n->ep->dst;
        o.sport = n->ep->sport, o.dport = n->ep->dport;
    } else if (n->dir == MSG_FWD) {
        o.src = r->src, o.dst = r->dst;
        o.sport = r->sport, o.dport = r->dport;
    } else {
        o.src = r->dst, o.dst = r->src;
        o.sport = r->dport, o.dport = r->sport;
    }
    return o;
}

static void note_identity(ct_call *c, const sip_msg *m) {
    int idx = -1;
    sx_sv v;
    while (sip_next_hdr(m, SIP_H_IDENTITY, &idx, &v)) {
        v = sx_sv_trim(v);
        int dup = 0;
        ct_inode **tail = &c->ids; /* the walk finds the end: no tail pointer to read */
        for (ct_inode *n = c->ids; n && !dup; n = n->next) dup = sv_same(n->v, v), tail = &n->next;
        if (dup || c->nids >= CT_MAX_IDENTITY) continue;
        ct_inode *n = ar_alloc(&c->ar, sizeof *n);
        if (!n) return;
        n->v = ar_sv(&c->ar, v);
        if (!n->v.p) return;
        n->next = NULL;
        *tail = n;
        c->nids++;
    }
}

static void keep_verstat(ct_call *c, sx_sv vs) {
    c->r.verstat = ar_sv(&c->ar, vs);
    c->has_verstat = c->r.verstat.p != NULL;
}

static void note_verstat(ct_call *c, const sip_msg *m) {
    if (c->has_verstat) return;
    sip_naddr na;
    sx_sv v;
    /* The URI is a view into the value: a value without "verstat=" needs no parsing. An
     * element is a part of its header line, so a line without a match has no element with
     * one: splitting the list into elements (a scan for commas and quotes) is done only for
     * a line that has one. */
    int idx = -1;
    sx_sv line;
    while (sip_next_hdr(m, SIP_H_PAI, &idx, &line)) {
        if (!find_verstat(line).p) continue;
        sip_vit it = {0};
        while (sip_next_value(m, SIP_H_PAI, &it, &v)) {
            if (!find_verstat(v).p || sip_parse_naddr(v, &na) != 0) continue;
            sx_sv vs = find_verstat(na.uri);
            if (vs.p) { keep_verstat(c, vs); return; }
        }
        break; /* every element of every line was tried */
    }
    /* Only the URI counts, and sip_parse kept the From's parsed (has_addr): its URI alone is
     * scanned, a few bytes without '=' in the usual case. Without it, the value is scanned
     * before it is parsed. */
    if (!m->has_addr) {
        v = sip_hdr_first(m, SIP_H_FROM);
        if (!v.p || !find_verstat(v).p) return;
    }
    if (msg_naddr(m, SIP_H_FROM, &na) == 0) {
        sx_sv vs = find_verstat(na.uri);
        if (vs.p) keep_verstat(c, vs);
    }
}

/* Keeps a copy of v in *dst unless it already holds the same bytes. *sig is the hash of what
 * *dst holds (0: nothing), so a response repeating the value (the 200 after the 180) reads
 * neither the record nor the arena copy, two cold cache lines. */
static void keep_sv(ct_call *c, sx_sv *dst, uint64_t *sig, sx_sv v) {
    if (!v.p) return;
    uint64_t h = ct_hash(0, v, 0) | 1;
    if (h == *sig) return;
    *dst = ar_sv(&c->ar, v);
    *sig = dst->p ? h : 0;
}

static void note_responder(ct_call *c, const sip_msg *m) {
    keep_sv(c, &c->r.server, &c->sig_server, sip_hdr_first(m, SIP_H_SERVER));
    keep_sv(c, &c->r.user_agent, &c->sig_ua, sip_hdr_first(m, SIP_H_USER_AGENT));
}

/* The part of orig (a view into it) at the same place in copy, its arena copy; SX_SV_NULL if
 * the copy failed. Saves a second copy of user parts and hosts. */
static sx_sv sub_view(sx_sv copy, sx_sv orig, sx_sv part) {
    if (!copy.p || !part.p || part.p < orig.p || part.p + part.n > orig.p + orig.n) return SX_SV_NULL;
    return sx_sv_make(copy.p + (part.p - orig.p), part.n);
}

/* ---- Path: what reveals the network behind the next hop ---- */

/* Host of a name-addr or bare URI value (Contact, Record-Route), or SX_SV_NULL. */
static sx_sv value_host(sx_sv v) {
    sip_naddr na;
    sip_uri u;
    if (!v.p || sip_parse_naddr(v, &na) != 0 || sip_parse_uri(na.uri, &u) != 0) return SX_SV_NULL;
    return u.host.n ? u.host : SX_SV_NULL;
}

static void keep_host(ct_call *c, sx_sv *dst, sx_sv host) {
    if (!host.p || (dst->p && sv_same(*dst, host))) return;
    *dst = ar_sv_max(&c->ar, host, CALL_HOST_MAX);
}

static unsigned count_values(const sip_msg *m, int id, sx_sv *first, sx_sv *last) {
    sip_vit it = {0};
    sx_sv v;
    unsigned n = 0;
    *first = *last = SX_SV_NULL;
    while (sip_next_value(m, id, &it, &v)) {
        if (!n++) *first = v;
        *last = v;
    }
    return n;
}

/* ruri: the Request-URI as fill_callee() parsed it, NULL if it did not parse. */
static void path_start(ct_call *c, const sx_msgmeta *mt, const sip_msg *m, const sip_uri *ruri) {
    call_path *p = &c->r.path;
    sx_sv first, last;
    p->next_hop = mt->dst;
    p->next_port = mt->dport;
    if (ruri && ruri->host.n) { /* a view into callee.uri's copy */
        sx_sv h = sub_view(c->r.callee.uri, m->ruri, ruri->host);
        p->ruri_host = sx_sv_make(h.p, h.n < CALL_HOST_MAX ? h.n : CALL_HOST_MAX);
    }
    c->invite_rr = count_values(m, SIP_H_RECORD_ROUTE, &first, &last);
}

/* keep_host(value_host(v)) for one of the path's hosts. Doing it twice with the same bytes
 * changes nothing the second time, so a response that repeats the value seen last for that
 * host (the 200 after the 180, retransmissions) costs a hash instead of a URI parse; *sig is
 * the hash of that last value (0: none yet). */
static void keep_value_host(ct_call *c, sx_sv *dst, uint64_t *sig, sx_sv v) {
    uint64_t h = ct_hash(0, v, 0) | 1;
    if (h == *sig) return;
    keep_host(c, dst, value_host(v));
    *sig = h;
}

/* A first-hop response other than 100 (hop-by-hop, §21.1.1): its Contact and Record-Route. */
static void note_path(ct_call *c, const sip_msg *m) {
    call_path *p = &c->r.path;
    sx_sv first, last;
    if (m->status == 100) return;
    sip_vit it = {0};
    sx_sv v;
    if (sip_next_value(m, SIP_H_CONTACT, &it, &v))
        keep_value_host(c, &p->contact_host, &c->sig_contact, v);
    unsigned n = count_values(m, SIP_H_RECORD_ROUTE, &first, &last);
    if (!n) return;
    keep_value_host(c, &p->rr_first, &c->sig_rr_first, first);
    keep_value_host(c, &p->rr_last, &c->sig_rr_last, last);
    p->rr_behind = n > c->invite_rr;
}

/* Caller identity: the first P-Asserted-Identity giving a phone number (RFC 3325; what
 * SHAKEN signs, call-blocking.md §3.4 step 3), else From. Raw forms are kept. */
static void fill_caller(ct_call *c, const sip_msg *m) {
    call_party *p = &c->r.caller;
    sip_naddr na;
    sip_uri u;
    sip_vit it = {0};
    sx_sv v;
    int have_from = msg_naddr(m, SIP_H_FROM, &na) == 0;
    if (have_from) p->from_uri = ar_sv(&c->ar, na.uri);
    while (sip_next_value(m, SIP_H_PAI, &it, &v)) {
        sip_naddr pa;
        if (sip_parse_naddr(v, &pa) != 0 || sip_parse_uri(pa.uri, &u) != 0) continue;
        if (!sip_e164(u.user, p->e164)) continue;
        p->source = "pai";
        p->uri = ar_sv(&c->ar, pa.uri);
        p->user = sub_view(p->uri, pa.uri, u.user);
        p->display = pa.display.n ? ar_sv(&c->ar, pa.display) : SX_SV_NULL;
        return;
    }
    p->source = "from";
    p->e164[0] = 0;
    if (!have_from) return;
    p->uri = p->from_uri;
    p->display = na.display.n ? ar_sv(&c->ar, na.display) : SX_SV_NULL;
    if (sip_parse_uri(na.uri, &u) == 0) {
        p->user = sub_view(p->from_uri, na.uri, u.user);
        if (!sip_e164(u.user, p->e164)) p->e164[0] = 0;
    }
}

/* Callee: the Request-URI (where the call is routed), else the To URI. Leaves the parsed
 * Request-URI in *ruri for path_start(); returns 0 if it parsed. */
static int fill_callee(ct_call *c, const sip_msg *m, sip_uri *ruri) {
    call_party *p = &c->r.callee;
    sip_uri u;
    sip_naddr na;
    int have_to = msg_naddr(m, SIP_H_TO, &na) == 0;
    if (have_to) p->to_uri = ar_sv(&c->ar, na.uri);
    p->uri = ar_sv(&c->ar, m->ruri);
    p->source = "ruri";
    int rc = sip_parse_uri(m->ruri, ruri);
    if (rc == 0) {
        p->user = sub_view(p->uri, m->ruri, ruri->user);
        if (sip_e164(ruri->user, p->e164)) return rc;
    }
    p->e164[0] = 0;
    if (have_to && sip_parse_uri(na.uri, &u) == 0 && sip_e164(u.user, p->e164)) p->source = "to";
    else p->e164[0] = 0;
    return rc;
}

/* Values in a header list, at most max. */
static size_t count_list(const sip_msg *m, int id, size_t max) {
    sip_vit it = {0};
    sx_sv v;
    size_t n = 0;
    while (n < max && sip_next_value(m, id, &it, &v)) n++;
    return n;
}

static void set_final(ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    call_record *r = &c->r;
    sip_vit it = {0};
    sx_sv v;
    r->final_code = m->status;
    r->final_reason = ar_sv(&c->ar, m->reason);
    r->final_addr = mt->src;
    r->final_port = mt->sport;
    size_t nrs = count_list(m, SIP_H_REASON, CT_MAX_REASONS);
    call_reason *rs = nrs ? ar_alloc(&c->ar, nrs * sizeof *rs) : NULL; /* exactly: memory
                                                                      follows active calls */
    r->reasons = rs;
    r->nreasons = 0;
    while (rs && r->nreasons < nrs && sip_next_value(m, SIP_H_REASON, &it, &v)) {
        sip_reason pr;
        if (sip_parse_reason(v, &pr) != 0) continue;
        call_reason *o = &rs[r->nreasons++];
        o->protocol = ar_sv(&c->ar, pr.protocol);
        o->cause = pr.cause;
        o->text = ar_sv(&c->ar, pr.text);
        o->location = ar_sv(&c->ar, pr.location);
        o->params = ar_sv(&c->ar, pr.params);
    }
    r->warning = ar_sv(&c->ar, sip_hdr_first(m, SIP_H_WARNING));
    uint32_t secs;
    sx_sv ra = sip_hdr_first(m, SIP_H_RETRY_AFTER);
    r->retry_after = ra.p && sip_parse_retry_after(ra, &secs) == 0 ? (int64_t)secs : -1;
    size_t nci = count_list(m, SIP_H_CALL_INFO, CT_MAX_CALLINFO);
    call_info_ref *ci = nci ? ar_alloc(&c->ar, nci * sizeof *ci) : NULL;
    r->call_info = ci;
    r->ncall_info = 0;
    memset(&it, 0, sizeof it);
    while (ci && r->ncall_info < nci && sip_next_value(m, SIP_H_CALL_INFO, &it, &v)) {
        sip_callinfo pc;
        if (sip_parse_callinfo(v, &pc) != 0) continue;
        call_info_ref *o = &ci[r->ncall_info++];
        o->uri = ar_sv(&c->ar, pc.uri);
        o->purpose = ar_sv(&c->ar, pc.purpose);
    }
}

/* A new INVITE after a challenge starts a new transaction: its outcome replaces the 401's. */
static void clear_final(ct_call *c) {
    call_record *r = &c->r;
    r->final_code = 0;
    r->final_reason = SX_SV_NULL;
    memset(&r->final_addr, 0, sizeof r->final_addr);
    r->final_port = 0;
    r->reasons = NULL;
    r->nreasons = 0;
    r->warning = SX_SV_NULL;
    r->retry_after = -1;
    r->call_info = NULL;
    r->ncall_info = 0;
    c->final_main = 0;
}

static void note_branch(ct_call *c, const sx_msgmeta *mt, const sip_msg *m, sx_sv tag) {
    if (!tag.n) return;
    ct_bnode **tail = &c->br, *n; /* the walk finds the end: no tail pointer to read */
    while ((n = *tail) && !sv_same(n->b.to_tag, tag)) tail = &n->next;
    if (!n) {
        if (c->nbr >= CT_MAX_BRANCHES || !(n = ar_alloc(&c->ar, sizeof *n))) return;
        memset(n, 0, sizeof *n);
        n->b.to_tag = ar_sv(&c->ar, tag);
        n->b.addr = mt->src;
        n->b.port = mt->sport;
        *tail = n;
        c->nbr++;
    }
    call_branch *b = &n->b;
    int seen = 0;
    for (unsigned i = 0; i < b->ncodes; i++) seen |= b->codes[i] == m->status;
    if (!seen && b->ncodes < CALL_BRANCH_CODES) b->codes[b->ncodes++] = (uint16_t)m->status;
    if (m->status >= 200 && !b->final_code) b->final_code = (uint16_t)m->status;
}

/* ---- Grouping of B2BUA legs ---- */

static int null_uuid(sx_sv v) {
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] != '0' && v.p[i] != '-') return 0;
    return 1;
}

static sx_sv unquote(sx_sv v) {
    v = sx_sv_trim(v);
    if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') v = sx_sv_make(v.p + 1, v.n - 2);
    return v;
}

/* Session-ID: local-uuid *(SEMI sess-id-param), remote=uuid (RFC 7989 §5). */
static void query_session_id(const sip_msg *m, cg_query *q) {
    sx_sv v = sip_hdr_first(m, SIP_H_SESSION_ID);
    if (!v.p) return;
    const char *semi = memchr(v.p, ';', v.n);
    sx_sv local = sx_sv_trim(sx_sv_make(v.p, semi ? (size_t)(semi - v.p) : v.n));
    if (!null_uuid(local)) q->sid_local = local;
    sx_sv remote;
    if (semi && sip_param(sx_sv_make(semi + 1, v.n - (size_t)(semi + 1 - v.p)), "remote", &remote)) {
        remote = unquote(remote);
        if (!null_uuid(remote)) q->sid_remote = remote;
    }
}

/* What a new call offers for grouping, hashed, its index slots being fetched: called as soon
 * as the caller and callee are known, so path_start() runs while they arrive. */
static void group_query(call_tracker *ct, ct_call *c, const sip_msg *m, cg_query *q) {
    memset(q, 0, sizeof *q);
    q->start = c->r.start;
    q->caller = c->r.caller.e164;
    q->callee = c->r.callee.e164;
    q->call_id_h = c->hn.h; /* ct_hash(0, m->call_id, 0), as key_hash(CG_CALLID) */
    query_session_id(m, q);
    /* X-CID maps to SIP_H_X_CID (resolved once, in ct_new), any other by name. */
    sx_sv x = ct->group_hdr != SIP_H_OTHER ? sip_hdr_first(m, ct->group_hdr)
                                           : sip_hdr_by_name(m, ct->cfg.group_header);
    if (x.p) q->xcid = sx_sv_trim(x);
    sx_sv pcv = sip_hdr_first(m, SIP_H_P_CHARGING_VECTOR), iv;
    if (pcv.p && sip_param(pcv, "icid-value", &iv)) q->icid = unquote(iv);
    if (pcv.p && sip_param(pcv, "related-icid", &iv)) q->related_icid = unquote(iv);
    cg_query_hash(&ct->group, q);
}

static void group_call(call_tracker *ct, ct_call *c, const sip_msg *m, const cg_query *q) {
    cg_entry *e;
    c->r.leg_match = cg_lookup(&ct->group, q, ct->cfg.group_id_window, ct->cfg.group_window, &e);
    if (e) {
        c->r.leg_group = ar_sv(&c->ar, sx_sv_make(e->group, e->glen));
        /* The first leg learns it has company, if it is still active. */
        if (e->owner_match && strcmp(*e->owner_match, "none") == 0) *e->owner_match = c->r.leg_match;
        ct->st.grouped++;
    } else {
        c->r.leg_group = ar_sv_max(&c->ar, m->call_id, CG_GROUP_MAX);
    }
    c->r.session_id = ar_sv(&c->ar, sip_hdr_first(m, SIP_H_SESSION_ID));
    c->r.icid = ar_sv(&c->ar, q->icid.n ? q->icid : SX_SV_NULL);
    c->gent = cg_add(&ct->group, q, c->r.leg_group, &c->gent, &c->r.leg_match);
}

/* ---- Life cycle ---- */

static void unlink_call(call_tracker *ct, ct_call *c) {
    ht_remove(&ct->calls, &c->hn);
    heap_remove(ct, c);
    if (c->older) c->older->newer = c->newer;
    else ct->oldest = c->newer;
    if (c->newer) c->newer->older = c->older;
    else ct->newest = c->older;
    if (c->gent) cg_release(c->gent);
    ct->st.active--;
}

static sx_time since(sx_time t, sx_time t0) { return t == CALL_T_NONE ? CALL_T_NONE : t - t0; }

/* RFC 6076 §4.3 session request delay, and the other intervals of call-blocking.md §1.4. */
static void compute_timings(ct_call *c) {
    call_timings *t = &c->r.timings;
    sx_time t0 = c->r.start;
    t->first_18x = since(c->t_18x, t0);
    t->answer = since(c->t_answer, t0);
    t->final = since(c->t_final, t0);
    t->ring = c->t_answer != CALL_T_NONE && c->t_18x != CALL_T_NONE ? c->t_answer - c->t_18x
                                                                     : CALL_T_NONE;
    t->talk = c->t_bye != CALL_T_NONE && c->t_answer != CALL_T_NONE ? c->t_bye - c->t_answer
                                                                     : CALL_T_NONE;
    sx_time end = c->t_final;
    if (c->t_prov1 != CALL_T_NONE && (end == CALL_T_NONE || c->t_prov1 < end)) end = c->t_prov1;
    t->pdd = c->t_final != CALL_T_NONE ? end - t0 : CALL_T_NONE;
    t->last_invite = since(c->t_invite, t0);
}

/* The block the record's arrays are gathered in: grown, never shrunk (bounded by the
 * per-call caps: CT_MAX_BRANCHES, max_messages, CT_MAX_IDENTITY). NULL if out of memory. */
static char *record_block(call_tracker *ct, size_t need) {
    if (need > ct->blk_cap) {
        char *b = realloc(ct->blk, need);
        if (!b) return NULL;
        ct->blk = b;
        ct->blk_cap = need;
    }
    return ct->blk;
}

/* One huge page of calls (base/huge.h: 2 MiB-aligned, advised; zeroed, and counted in RSS
 * only as calls use it); NULL if out of memory. */
static ct_call *slab_block(void) { return sx_huge_calloc(CT_SLAB_BYTES); }

/* One more block of CT_SLAB_N calls, and room for their heap positions. */
static int slab_grow(call_tracker *ct) {
    if (ct->slab.nblk == ct->slab.cap) {
        size_t ncap = ct->slab.cap ? ct->slab.cap * 2 : 16;
        ct_call **b = realloc(ct->slab.blk, ncap * sizeof *b);
        if (!b) return -1;
        ct->slab.blk = b;
        ct->slab.cap = ncap;
    }
    if (((uint64_t)ct->slab.nblk + 1) * CT_SLAB_N > UINT32_MAX) return -1;
    uint32_t *hp = realloc(ct->hpos, (ct->slab.nblk + 1) * CT_SLAB_N * sizeof *hp);
    if (!hp) return -1;
    ct->hpos = hp;
    ct_call *blk = slab_block();
    if (!blk) return -1;
    ct->slab.blk[ct->slab.nblk++] = blk;
    return 0;
}

/* A zeroed ct_call with its id: the last one released, else a slot never used. */
static ct_call *call_alloc(call_tracker *ct) {
    ct_call *c = ct->slab.free;
    uint32_t id;
    if (c) {
        ct->slab.free = c->newer;
        id = c->id;
    } else {
        if (ct->slab.nid == ct->slab.nblk * CT_SLAB_N && slab_grow(ct) != 0) return NULL;
        id = ct->slab.nid++;
        c = call_by_id(ct, id);
    }
    memset(c, 0, sizeof *c);
    c->id = id;
    return c;
}

static void call_release(call_tracker *ct, ct_call *c) {
    c->newer = ct->slab.free;
    ct->slab.free = c;
}

/* Emits the record of an ended call (arrays gathered in one block) and frees the call. */
static void emit_call(call_tracker *ct, ct_call *c) {
    call_record *r = &c->r;
    compute_timings(c);
    r->nprovisional = c->nprov;
    r->provisional = c->nprov ? c->prov : NULL;
    size_t nb = c->nbr, nm = r->nmessages, ni = c->nids;
    char *blk = record_block(ct, nb * sizeof(call_branch) + nm * sizeof(call_msg) + ni * sizeof(sx_sv) + 1);
    if (blk) {
        call_branch *b = (call_branch *)blk;
        call_msg *msgs = (call_msg *)(b + nb);
        sx_sv *ids = (sx_sv *)(msgs + nm);
        size_t i = 0;
        for (ct_bnode *n = c->br; n; n = n->next) b[i++] = n->b;
        i = 0;
        for (ct_mnode *n = c->msg; n; n = n->next) msgs[nm - ++i] = msg_of(r, n);
        i = 0;
        for (ct_inode *n = c->ids; n; n = n->next) ids[i++] = n->v;
        r->branches = b, r->nbranches = nb;
        r->messages = msgs;
        r->identity = ids, r->nidentity = ni;
    } else {
        r->nbranches = r->nmessages = r->nidentity = 0;
    }
    if (ct->emit) ct->emit(ct->ud, r);
    ar_free(&c->ar);
    call_release(ct, c);
}

/* A batch is emitted as a pipeline, each call's reads fetched while earlier ones run through
 * the later stages (thousands of instructions each): two calls ahead, all of its lines (the
 * record is read field by field by every later stage); one call ahead, the first arena nodes
 * its lines point to (branches and Identity headers, gathered by emit_call). */
static void emit_prefetch_lines(const ct_call *c) {
    for (size_t off = 0; off < sizeof *c; off += 64) __builtin_prefetch((const char *)c + off);
}
static void emit_prefetch_nodes(const ct_call *c) {
    if (c->br) __builtin_prefetch(c->br);
    if (c->ids) __builtin_prefetch(c->ids);
}

/* Emits the ended calls waiting in the batch, oldest first. */
static void emit_done(call_tracker *ct) {
    ct_call *c = ct->done_head;
    if (c) emit_prefetch_lines(c);
    if (c && c->newer) emit_prefetch_lines(c->newer);
    for (ct_call *next; c; c = next) {
        next = c->newer;
        if (next) {
            emit_prefetch_nodes(next);
            if (next->newer) emit_prefetch_lines(next->newer);
        }
        emit_call(ct, c);
    }
    ct->done_head = ct->done_tail = NULL;
    ct->ndone = 0;
}

/* Ends a call: out of the tables at once (a later message with its Call-ID meets the
 * tombstone), emitted now or with the next batch. */
static void end_call(call_tracker *ct, ct_call *c, int status, int end, sx_time now) {
    call_record *r = &c->r;
    r->status = status;
    r->end = end;
    r->no_final_response = r->final_code == 0;
    r->truncated = c->ar.full;
    if (r->truncated) ct->st.truncated++;
    if (status == CALL_COMPLETED) ct->st.completed++;
    else if (status == CALL_INCOMPLETE) ct->st.incomplete++;
    else ct->st.evicted++;
    unlink_call(ct, c);
    if (now != CALL_T_NONE) tomb_add(ct, c->hn.h, c->cseq, now + ct->cfg.linger);
    size_t used = ar_used(&c->ar); /* moving average over ~16 calls */
    ct->ar_avg = used >= ct->ar_avg ? ct->ar_avg + (used - ct->ar_avg) / 16
                                    : ct->ar_avg - (ct->ar_avg - used) / 16;
    if (ct->cfg.emit_batch <= 1) {
        emit_call(ct, c);
        return;
    }
    c->newer = NULL;
    if (ct->done_tail) ct->done_tail->newer = c;
    else ct->done_head = c;
    ct->done_tail = c;
    if (++ct->ndone >= ct->cfg.emit_batch) emit_done(ct);
}

/* The active-call cap is a limit like any other: what it drops is counted in the tally, so
 * the final account says how many calls were cut short (they are still emitted, "evicted"). */
static void evict_oldest(call_tracker *ct, sx_time now) {
    if (ct->tally) ct->tally->calls_evicted++;
    end_call(ct, ct->oldest, CALL_EVICTED, CALL_END_EVICTED, now);
}

/* The mean plus an eighth, in 64-byte steps: a typical call fits, the few above take a
 * quarter-size overflow chunk (ar_chunk). */
static size_t ct_first_chunk(const call_tracker *ct) {
    size_t f = (ct->ar_avg + ct->ar_avg / 8 + 63) / 64 * 64;
    return f < AR_FIRST_MIN ? AR_FIRST_MIN : f > AR_FIRST_MAX ? AR_FIRST_MAX : f;
}

static ct_call *call_new(call_tracker *ct, const sx_msgmeta *mt, const sip_msg *m, uint64_t h) {
    while (ct->st.active >= ct->cfg.max_calls && ct->oldest) evict_oldest(ct, mt->ts);
    ct_call *c = call_alloc(ct);
    if (!c) return NULL;
    c->ar.max = ct->cfg.arena_max;
    c->ar.first = (uint32_t)ct_first_chunk(ct);
    c->ar.cache = &ct->chunks;
    c->t_invite = c->t_prov = c->t_prov1 = c->t_18x = CALL_T_NONE;
    c->t_answer = c->t_final = c->t_bye = CALL_T_NONE;
    c->deadline = mt->ts + ct->cfg.timer_b;
    if (heap_push(ct, c) != 0) {
        call_release(ct, c);
        return NULL;
    }
    c->hn.h = h;
    if (ht_insert(&ct->calls, &c->hn) != 0) {
        heap_remove(ct, c);
        call_release(ct, c);
        return NULL;
    }
    c->older = ct->newest;
    if (ct->newest) ct->newest->newer = c;
    else ct->oldest = c;
    ct->newest = c;
    if (++ct->st.active > ct->st.active_max) ct->st.active_max = ct->st.active;
    ct->st.calls++;

    call_record *r = &c->r;
    r->call_id = ar_sv(&c->ar, m->call_id);
    c->cid_n = (uint32_t)r->call_id.n;
    if (r->call_id.n) memcpy(c->cid, r->call_id.p, r->call_id.n < CT_CID_HEAD ? r->call_id.n : CT_CID_HEAD);
    r->start = mt->ts;
    r->src = mt->src, r->sport = mt->sport;
    r->dst = mt->dst, r->dport = mt->dport;
    r->transport = mt->transport;
    r->retry_after = -1;
    r->leg_match = "none";
    r->hops = 1;
    c->from_tag = ar_sv(&c->ar, hdr_tag(m, SIP_H_FROM));
    c->first_cseq = m->cseq;
    r->names = ct->cfg.names;
    fill_caller(c, m);
    sip_uri ruri;
    int ruri_ok = fill_callee(c, m, &ruri) == 0;
    cg_query q;
    group_query(ct, c, m, &q);
    path_start(c, mt, m, ruri_ok ? &ruri : NULL);
    group_call(ct, c, m, &q);
    c->keep_msgs = ct->cfg.keep_messages && (!ct->cfg.keep_call || ct->cfg.keep_call(ct->ud, r));
    return c;
}

/* sv_same(c->r.call_id, id), reading the arena copy only past CT_CID_HEAD bytes. */
static int cid_same(const ct_call *c, sx_sv id) {
    if (c->cid_n != id.n) return 0;
    size_t k = id.n < CT_CID_HEAD ? id.n : CT_CID_HEAD;
    if (k && memcmp(c->cid, id.p, k) != 0) return 0;
    return id.n == k || memcmp(c->r.call_id.p + k, id.p + k, id.n - k) == 0;
}

static ct_call *find_call(call_tracker *ct, uint64_t h, sx_sv call_id) {
    size_t it = ht_start(&ct->calls, h);
    for (ct_hnode *nd; (nd = ht_scan(&ct->calls, h, &it));) {
        ct_call *c = (ct_call *)nd;
        if (cid_same(c, call_id)) return c;
    }
    return NULL;
}

/* The matching fields of t: the call's copy for its first transaction. */
static ct_txk *tx_key(ct_call *c, ct_tx *t) { return t == c->tx0 ? &c->tx0k : &t->k; }

/* sv_same(t->branch, b), reading the arena copy of the first one's only past CT_BR_HEAD. */
static int tx_branch_is(const ct_call *c, const ct_tx *t, sx_sv b) {
    if (t != c->tx0) return sv_same(t->branch, b);
    if (c->tx0_bn != b.n) return 0;
    size_t k = b.n < CT_BR_HEAD ? b.n : CT_BR_HEAD;
    if (k && memcmp(c->tx0_branch, b.p, k) != 0) return 0;
    return b.n == k || memcmp(t->branch.p + k, b.p + k, b.n - k) == 0;
}

/* Newest first; the first transaction is the last, and its node's next is not read. */
static ct_tx *tx_next(const ct_call *c, const ct_tx *t) { return t == c->tx0 ? NULL : t->next; }

static ct_tx *tx_add(ct_call *c, const sx_msgmeta *mt, const sip_msg *m, sx_sv branch, int main,
                     int reinvite) {
    ct_tx *t;
    if (c->ntx >= CT_MAX_TX || !(t = ar_alloc(&c->ar, sizeof *t))) return NULL;
    memset(t, 0, sizeof *t);
    t->branch = ar_sv(&c->ar, branch);
    t->src = mt->src, t->sport = mt->sport;
    t->dst = mt->dst, t->dport = mt->dport;
    t->t_last = mt->ts;
    if (!c->tx0) {
        c->tx0 = t;
        c->tx0_bn = (uint32_t)t->branch.n;
        if (t->branch.n) memcpy(c->tx0_branch, t->branch.p, t->branch.n < CT_BR_HEAD ? t->branch.n : CT_BR_HEAD);
    }
    ct_txk *k = tx_key(c, t);
    k->cseq = m->cseq;
    k->main = (uint8_t)main;
    k->reinvite = (uint8_t)reinvite;
    t->next = c->tx;
    c->tx = t;
    c->ntx++;
    return t;
}

static void on_invite(call_tracker *ct, ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    sx_sv branch = top_branch(m);
    int reinvite = hdr_tag(m, SIP_H_TO).n > 0 || c->phase >= PH_ANSWERED;
    int cseq_known = 0;
    for (ct_tx *t = c->tx; t; t = tx_next(c, t)) {
        const ct_txk *k = tx_key(c, t);
        if (k->cseq != m->cseq) continue;
        if (tx_branch_is(c, t, branch)) {
            /* Same transaction again: a retransmission if on the same path (§17.1.1.2),
             * else the same request seen at another capture point. Timer B keeps running
             * from the first transmission (§17.1.1.2). */
            if (!same_path(t, mt)) return;
            if (mt->ts - t->t_last < CT_DUP_WINDOW) {
                ct->st.duplicates++;
                return;
            }
            t->t_last = mt->ts;
            c->r.invite_retransmissions++;
            ct->st.invite_retransmissions++;
            return;
        }
        if (k->reinvite == reinvite) cseq_known = 1;
    }
    if (reinvite) {
        if (tx_add(c, mt, m, branch, !cseq_known, 1) && !cseq_known) c->r.invite_transactions++;
        return;
    }
    if (cseq_known) { /* the same INVITE forwarded by a proxy on the capture path */
        if (tx_add(c, mt, m, branch, 0, 0) && m->cseq == c->first_cseq) c->r.hops++;
        note_identity(c, m); /* an SBC on the path may sign, or verify and add verstat */
        note_verstat(c, m);
        return;
    }
    if (c->ntx && m->cseq < c->cseq) return; /* out of order: older than the current one */
    if (!tx_add(c, mt, m, branch, 1, 0)) return;
    c->r.invite_transactions++;
    if (c->phase == PH_CHALLENGED || c->phase == PH_FAILING) {
        clear_final(c); /* a new attempt (after 401/407, or 422...): its outcome counts */
        c->fallback_2xx = 0;
        c->phase = PH_CALLING;
    }
    c->cseq = m->cseq;
    c->t_invite = mt->ts;
    note_identity(c, m);
    note_verstat(c, m);
    set_deadline(ct, c, invite_deadline(ct, c));
}

enum { R_MAIN, R_HOP, R_REINVITE };

/* Which INVITE a response answers (RFC 3261 §17.1.3: top Via branch + CSeq). */
static int classify(ct_call *c, const sip_msg *m, sx_sv branch, ct_tx **tx) {
    int known = 0;
    *tx = NULL;
    for (ct_tx *t = c->tx; t; t = tx_next(c, t)) {
        const ct_txk *k = tx_key(c, t);
        if (k->cseq != m->cseq) continue;
        if (tx_branch_is(c, t, branch)) {
            *tx = t;
            return k->reinvite ? R_REINVITE : k->main ? R_MAIN : R_HOP;
        }
        known = 1;
    }
    if (known) return R_HOP; /* a hop whose INVITE the capture did not see */
    /* An INVITE we missed entirely: still the current attempt if it is not older. */
    return m->cseq >= c->cseq && c->phase < PH_ANSWERED ? R_MAIN : R_REINVITE;
}

/* 0: new; 1: retransmission (identical response again); 2: capture duplicate. */
static int response_repeat(ct_call *c, const sx_msgmeta *mt, const sip_msg *m, sx_sv tag,
                           sx_sv branch) {
    uint64_t h = ct_hash(m->status, tag, 0) ^ ct_hash(1, branch, 0) * 31;
    h ^= ((uint64_t)m->cseq << 20) ^ ((uint64_t)mt->sport << 4) ^ ((uint64_t)mt->dport << 36);
    /* the addresses are fixed-size: two multiplies, not two more string hashes */
    uint64_t w[4];
    memcpy(&w[0], mt->src.a, 8);
    memcpy(&w[1], mt->src.a + 8, 8);
    memcpy(&w[2], mt->dst.a, 8);
    memcpy(&w[3], mt->dst.a + 8, 8);
    h ^= ct_mum(w[0] ^ 0x9e3779b97f4a7c15ull, w[1] ^ 0xbf58476d1ce4e5b9ull) * 7;
    h ^= ct_mum(w[2] ^ 0x94d049bb133111ebull, w[3] ^ 0xa0761d6478bd642full) * 13;
    uint32_t sig = (uint32_t)(h ^ h >> 32), now = (uint32_t)mt->ts;
    for (unsigned i = 0; i < c->nrsig && i < CT_RSIG; i++) {
        if (c->rsig[i] != sig) continue;
        int dup = (uint32_t)(now - c->rsig_t[i]) < (uint32_t)CT_DUP_WINDOW;
        c->rsig_t[i] = now;
        return dup ? 2 : 1;
    }
    c->rsig_t[c->nrsig % CT_RSIG] = now;
    c->rsig[c->nrsig++ % CT_RSIG] = sig;
    return 0;
}

static void on_provisional(call_tracker *ct, ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    if (c->phase >= PH_ANSWERED) return;
    int seen = 0;
    for (unsigned i = 0; i < c->nprov; i++) seen |= c->prov[i] == m->status;
    if (!seen && c->nprov < CT_MAX_PROV) c->prov[c->nprov++] = (uint16_t)m->status;
    /* 100 is hop-by-hop (§21.1.1): it says nothing about the far end, so PDD ignores it. */
    if (m->status != 100 && c->t_prov1 == CALL_T_NONE) c->t_prov1 = mt->ts;
    if (m->status >= 180 && m->status <= 189) {
        if (c->t_18x == CALL_T_NONE) c->t_18x = mt->ts;
        if (m->body.n) c->r.early_media = 1;
    }
    if (c->phase == PH_CALLING) c->phase = PH_PROCEEDING;
    c->t_prov = mt->ts;
    if (c->phase == PH_PROCEEDING) set_deadline(ct, c, invite_deadline(ct, c));
}

/* Another hop of the current INVITE still waiting for its final response? */
static int hops_pending(ct_call *c) {
    for (ct_tx *t = c->tx; t; t = tx_next(c, t)) {
        const ct_txk *k = tx_key(c, t);
        if (k->cseq == c->cseq && !k->reinvite && !k->main && !k->final) return 1;
    }
    return 0;
}

static void answered(call_tracker *ct, ct_call *c, sx_time t) {
    c->t_answer = c->t_final = t;
    c->phase = PH_ANSWERED;
    set_deadline(ct, c, t + ct->cfg.max_duration);
}

static void end_failed(call_tracker *ct, ct_call *c, sx_time now) {
    end_call(ct, c, CALL_COMPLETED, c->cancelled ? CALL_END_CANCEL : CALL_END_FAILURE, now);
}

/* Returns 1 if the call ended (and was freed). */
static int on_final(call_tracker *ct, ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    if (c->phase >= PH_ANSWERED) return 0; /* another fork's 2xx, or a stray failure */
    if (m->status >= 300 && !is_challenge(m->status) && c->fallback_2xx) {
        answered(ct, c, c->t_hop_answer); /* a fork answered downstream: the best final */
        return 0;
    }
    set_final(c, mt, m);
    c->final_main = 1;
    if (m->status < 300) {
        answered(ct, c, mt->ts);
        return 0;
    }
    if (is_challenge(m->status)) {
        c->r.challenged = 1;
        c->phase = PH_CHALLENGED;
        set_deadline(ct, c, mt->ts + ct->cfg.challenge_wait);
        return 0;
    }
    c->t_final = mt->ts;
    if (hops_pending(c)) {
        c->phase = PH_FAILING;
        set_deadline(ct, c, mt->ts + ct->cfg.timer_b);
        return 0;
    }
    end_failed(ct, c, mt->ts);
    return 1;
}

/* A final response on another hop: a fallback outcome if the first hop's never shows up,
 * and a 2xx there beats a failure of the first hop (a fork answered). */
static void on_hop_final(call_tracker *ct, ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    if (m->status < 200 || is_challenge(m->status) || c->phase >= PH_ANSWERED) return;
    int ok = m->status < 300;
    if (c->phase == PH_FAILING) {
        if (ok) {
            set_final(c, mt, m);
            answered(ct, c, mt->ts);
        } else if (!hops_pending(c)) {
            end_failed(ct, c, mt->ts);
        }
        return;
    }
    if (c->final_main || (c->r.final_code && (c->fallback_2xx || !ok))) return;
    set_final(c, mt, m);
    c->t_final = mt->ts;
    if (ok) {
        c->fallback_2xx = 1;
        c->t_hop_answer = mt->ts;
    }
}

static void on_invite_response(call_tracker *ct, ct_call *c, const sx_msgmeta *mt,
                               const sip_msg *m) {
    sx_sv branch = top_branch(m), tag = hdr_tag(m, SIP_H_TO);
    int rep = response_repeat(c, mt, m, tag, branch);
    if (rep == 2) ct->st.duplicates++;
    if (rep == 1) {
        c->r.response_retransmissions++;
        ct->st.response_retransmissions++;
    }
    if (rep) return;
    ct_tx *tx;
    int cls = classify(c, m, branch, &tx);
    ct_txk *k = tx ? tx_key(c, tx) : NULL;
    if (k && m->status >= 200 && !k->final) k->final = (uint16_t)m->status;
    if (cls == R_REINVITE) return;
    if (cls == R_HOP) {
        on_hop_final(ct, c, mt, m);
        return;
    }
    note_branch(c, mt, m, tag);
    note_responder(c, m);
    note_path(c, m);
    note_verstat(c, m);
    if (m->status < 200) on_provisional(ct, c, mt, m);
    else on_final(ct, c, mt, m);
}

static void on_request(call_tracker *ct, ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    switch (m->method_id) {
    case SIP_M_INVITE:
        on_invite(ct, c, mt, m);
        break;
    case SIP_M_CANCEL: /* RFC 3261 §9.1: only the caller cancels */
        if (c->phase < PH_ANSWERED && !c->cancelled) {
            c->cancelled = 1;
            c->r.ended_by = CALL_BY_CALLER;
        }
        break;
    case SIP_M_BYE:
        if (c->t_bye != CALL_T_NONE) break; /* retransmission, or the other side's BYE */
        c->t_bye = mt->ts;
        c->r.ended_by = sv_same(hdr_tag(m, SIP_H_FROM), c->from_tag) ? CALL_BY_CALLER : CALL_BY_CALLEE;
        c->phase = PH_BYE;
        set_deadline(ct, c, mt->ts + ct->cfg.bye_grace);
        break;
    default: /* ACK, PRACK, UPDATE, INFO...: listed in the messages only */
        break;
    }
}

static void on_response(call_tracker *ct, ct_call *c, const sx_msgmeta *mt, const sip_msg *m) {
    if (m->cseq_method_id == SIP_M_INVITE) on_invite_response(ct, c, mt, m);
    else if (m->cseq_method_id == SIP_M_BYE && c->phase == PH_BYE && m->status >= 200)
        end_call(ct, c, CALL_COMPLETED, CALL_END_BYE, mt->ts);
}

/* Messages of no active call: counted for the summary, never a call. */
static void count_other(call_tracker *ct, const sip_msg *m) {
    int id = m->is_request ? m->method_id : m->cseq_method_id;
    int dialog = id == SIP_M_INVITE || id == SIP_M_ACK || id == SIP_M_BYE || id == SIP_M_CANCEL ||
                 id == SIP_M_PRACK || id == SIP_M_UPDATE;
    if (dialog) ct->st.orphans++;
    else if (!m->is_request) ct->st.noncall_responses++;
    else if (id >= 0 && id < 16) ct->st.requests[id]++;
}

/* A response to INVITE reads lines 2-5 of its call, each a miss with ~26k calls open, but
 * hundreds of instructions apart (hashing, header lookups): asked for at once, the misses
 * overlap instead of following one another. */
static void prefetch_response_lines(const ct_call *c) {
    const char *p = (const char *)c;
    __builtin_prefetch(p + 2 * 64);
    __builtin_prefetch(p + 3 * 64);
    __builtin_prefetch(p + 4 * 64);
    __builtin_prefetch(p + 5 * 64);
}

/* The Call-ID's home slot in the call table, probed for every message; also its slot in
 * the tombstone table for an INVITE (tomb_find) or a final response (which may end the call:
 * tomb_add), and in the grouping index for an INVITE. Each table is megabytes probed at
 * random, so each probe is a cache miss unless fetched this early. */
void ct_prefetch(call_tracker *ct, const sip_msg *m) {
    uint64_t h = ct_hash(0, m->call_id, 0);
    ct->hint_cid = m->call_id, ct->hint_h = h;
    __builtin_prefetch(&ct->calls.s[ht_start(&ct->calls, h)]);
    int invite = m->is_request && m->method_id == SIP_M_INVITE;
    if (invite || m->status >= 200)
        __builtin_prefetch(&ct->tombs.s[ht_start(&ct->tombs, h)]);
    if (invite) cg_prefetch_callid(&ct->group, h);
}

/* The lines of the call every message reads (lookup, line 1) and, for a response, those a
 * response to INVITE reads (prefetch_response_lines). The slot is in cache by now, or this
 * waits for it where ct_message() would have. The hash is ct_prefetch()'s for this parse:
 * the parser gives both hints the same call_id view. */
void ct_prefetch_call(call_tracker *ct, const sip_msg *m) {
    if (!m->call_id.p || m->call_id.p != ct->hint_cid.p || m->call_id.n != ct->hint_cid.n)
        return;
    size_t it = ht_start(&ct->calls, ct->hint_h);
    const char *c = (const char *)ht_scan(&ct->calls, ct->hint_h, &it);
    if (!c) return;
    __builtin_prefetch(c);
    __builtin_prefetch(c + 64);
    if (!m->is_request) prefetch_response_lines((const ct_call *)c);
}

void ct_message(call_tracker *ct, const sx_msgmeta *mt, const sip_msg *m) {
    ct->st.messages++;
    ct_expire(ct, mt->ts);
    uint64_t h = ct_hash(0, m->call_id, 0);
    ct_call *c = find_call(ct, h, m->call_id);
    if (c) {
        if (!m->is_request && m->cseq_method_id == SIP_M_INVITE) {
            prefetch_response_lines(c);
            if (c->br) __builtin_prefetch(c->br); /* note_branch() walks from it */
        }
        add_msg(ct, c, mt, m);
        if (m->is_request) on_request(ct, c, mt, m);
        else on_response(ct, c, mt, m);
        return;
    }
    int initial = m->is_request && m->method_id == SIP_M_INVITE && hdr_tag(m, SIP_H_TO).n == 0;
    ct_tomb *t = tomb_find(ct, h);
    if (t && !(initial && m->cseq > t->cseq)) { /* late ACK, retransmission, BYE 200... */
        ct->st.late++;
        return;
    }
    if (!initial) {
        count_other(ct, m);
        return;
    }
    if (t) t->expiry = INT64_MIN; /* a new attempt with the same Call-ID (after 3xx, 422...) */
    c = call_new(ct, mt, m, h);
    if (!c) return;
    add_msg(ct, c, mt, m);
    on_invite(ct, c, mt, m);
}

/* Ends a call whose timer ran out (capture time). */
static void time_out(call_tracker *ct, ct_call *c) {
    sx_time now = c->deadline;
    switch (c->phase) {
    case PH_CALLING:
    case PH_PROCEEDING: {
        if (c->fallback_2xx) { /* answered on another hop; the first hop's 2xx was missed */
            answered(ct, c, c->t_hop_answer);
            break;
        }
        int end = c->cancelled ? CALL_END_CANCEL
                  : c->r.final_code ? CALL_END_FAILURE
                                    : CALL_END_NO_RESPONSE;
        end_call(ct, c, CALL_COMPLETED, end, now);
        break;
    }
    case PH_CHALLENGED:
        end_call(ct, c, CALL_COMPLETED, CALL_END_CHALLENGE, now);
        break;
    case PH_FAILING:
        end_failed(ct, c, now);
        break;
    case PH_ANSWERED:
        end_call(ct, c, CALL_INCOMPLETE, CALL_END_MAX_DURATION, now);
        break;
    default: /* PH_BYE: the 200 was not captured */
        end_call(ct, c, CALL_COMPLETED, CALL_END_BYE, now);
        break;
    }
}

void ct_expire(call_tracker *ct, sx_time now) {
    tomb_expire(ct, now);
    while (ct->nheap && ct->heap[0].deadline <= now) time_out(ct, call_by_id(ct, ct->heap[0].id));
}

void ct_flush(call_tracker *ct) {
    while (ct->oldest) {
        ct_call *c = ct->oldest;
        if (c->phase == PH_BYE) end_call(ct, c, CALL_COMPLETED, CALL_END_BYE, CALL_T_NONE);
        else if (c->phase == PH_FAILING) end_failed(ct, c, CALL_T_NONE);
        else end_call(ct, c, CALL_INCOMPLETE, CALL_END_EOF, CALL_T_NONE);
    }
    emit_done(ct);
    while (ct->tomb_head) tomb_remove_head(ct);
}

call_tracker *ct_new(const ct_config *cfg, sx_tally *tally, ct_emit_fn emit, void *ud) {
    call_tracker *ct = calloc(1, sizeof *ct);
    if (!ct) return NULL;
    ct_config_default(&ct->cfg);
    if (cfg) ct->cfg = *cfg;
    ct_config *c = &ct->cfg;
    if (c->max_calls == 0) c->max_calls = 1;
    if (c->arena_max < 1024) c->arena_max = 1024;
    if (c->group_index == 0) c->group_index = 1;
    if (!c->group_header || !*c->group_header) c->group_header = "X-CID";
    ct->group_hdr = sip_hdr_lookup(c->group_header, strlen(c->group_header));
    ct->tally = tally;
    ct->emit = emit;
    ct->ud = ud;
    ct->ar_avg = 1536; /* a typical call with an Identity header, until calls end */
    if (ht_init(&ct->calls, 1024, 0) != 0 || ht_init(&ct->tombs, 1024, 0) != 0 ||
        cg_init(&ct->group, c->group_index) != 0) {
        ct_free(ct);
        return NULL;
    }
    return ct;
}

void ct_free(call_tracker *ct) {
    if (!ct) return;
    while (ct->oldest) { /* not emitted: ct_flush() first to get them */
        ct_call *c = ct->oldest;
        unlink_call(ct, c);
        ar_free(&c->ar);
    }
    for (ct_call *c = ct->done_head; c; c = c->newer) ar_free(&c->ar); /* ended, not emitted */
    while (ct->tomb_head) tomb_remove_head(ct);
    for (ct_tomb *t; (t = ct->tomb_free);) ct->tomb_free = t->fnext, free(t);
    ar_cache_free(&ct->chunks);
    for (size_t i = 0; i < ct->slab.nblk; i++) sx_huge_free(ct->slab.blk[i], CT_SLAB_BYTES);
    free(ct->slab.blk);
    free(ct->hpos);
    free(ct->blk);
    ht_free(&ct->calls);
    ht_free(&ct->tombs);
    cg_free(&ct->group);
    free(ct->heap_mem);
    free(ct);
}

const ct_counters *ct_stats(const call_tracker *ct) { return &ct->st; }
