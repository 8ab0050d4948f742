/* agg.c -- the aggregates of the diagnosis (diag.h, issue 5): every call learnt in phase 1
 * lands in its carrier (the --carriers name of the INVITE's next hop, else that address) and
 * in its caller ID x carrier pair, each with sparse time buckets; phase 2 adds the verdicts.
 * diag_finalize (onset.c) turns the counters into pair statuses and carrier policies, which
 * diag_context_of hands to the rules.
 *
 * Memory: carriers are capped (max_carriers; calls beyond go to the carrier "(other)"),
 * pairs are capped (max_pairs; calls beyond are counted in pair_overflow and still count
 * for their carrier), buckets per carrier/pair are capped (the width doubles when full).
 * Nothing is kept per call. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/huge.h"
#include "agg_int.h"

/* ---- names ---- */

const char *diag_status_name(int s) {
#define DIAG_NAME3(sym, name, desc) case sym: return name;
    switch (s) { DIAG_STATUSES(DIAG_NAME3) default: return "?"; }
#undef DIAG_NAME3
}

const char *diag_policy_name(int p) {
#define DIAG_NAME2(sym, name) case sym: return name;
    switch (p) { DIAG_POLICIES(DIAG_NAME2) default: return "?"; }
#undef DIAG_NAME2
}

const char *agg_hhmm(sx_time t, char *buf, size_t n) {
    time_t s = (time_t)(t / SX_SEC);
    struct tm tm;
    if (!gmtime_r(&s, &tm)) snprintf(buf, n, "?");
    else snprintf(buf, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
    return buf;
}

void diag_config_default(diag_config *c) {
    memset(c, 0, sizeof *c);
    c->bucket = 15 * 60 * (sx_time)SX_SEC;
    c->max_pairs = 100000;
    c->max_carriers = 1024;
}

/* ---- what kind of outcome (phase 1 has codes, not verdicts) ---- */

int agg_class_of(const diag_facts *f) {
    int c = f->final_code;
    if (c >= 200 && c < 300) return AGG_CL_ANSWERED;
    if (agg_rep_of(f) >= 0 || c == 608 || c == 607) return AGG_CL_REPUTATION;
    if (c == 403 || c == 428 || (c >= 436 && c <= 438)) return AGG_CL_STIR;
    if (c == 486 || c == 600 || c == 480 || c == 487 || c == 603) return AGG_CL_CALLEE;
    if (c == 404 || c == 484 || c == 410 || c == 604) return AGG_CL_DEST;
    if (c == 0 || c == 408 || f->no_final_response) return AGG_CL_NORESP;
    if (c >= 500 && c < 600) return AGG_CL_CAPACITY;
    return AGG_CL_OTHER;
}

/* A refusal that says "this caller ID" rather than "this call": analytics (608), a network
 * blocklist (603+), the callee's unwanted mark (607), a 603 in < 2 s without ringing (an
 * automated decline, reference §7 #3), or a 403 although the call carried A attestation and
 * no STIR complaint (so not the signature policy). */
int agg_rep_of(const diag_facts *f) {
    int c = f->final_code;
    if (f->network_blocked) return AGG_R_603PLUS;
    if (c == 608) return AGG_R_608;
    if (c == 607) return AGG_R_607;
    if (c == 603 && !f->rang && f->final_ms >= 0 && f->final_ms < 2000) return AGG_R_603FAST;
    if (c == 403 && f->attest == 'A' && f->implied_code != 403 && f->stir_cause < 0)
        return AGG_R_403A;
    return -1;
}

/* ---- hashing and interning ---- */

/* A key into its fixed buffer, cut at n - 1 bytes (as snprintf "%s" would, without its cost:
 * this runs for every new pair). */
static void copy_key(char *dst, size_t n, const char *src) {
    size_t l = strnlen(src, n - 1);
    memcpy(dst, src, l);
    dst[l] = '\0';
}

/* FNV-1a (the distinct-callee estimate depends on its values: they must not change),
 * four bytes a turn: it runs twice a call, over the caller and the callee. */
static uint64_t hash_str(const char *s, uint64_t h) {
    const uint64_t prime = 0x100000001b3ULL;
    for (const uint8_t *p = (const uint8_t *)s;; p += 4) {
        if (!p[0]) break;
        h = (h ^ p[0]) * prime;
        if (!p[1]) break;
        h = (h ^ p[1]) * prime;
        if (!p[2]) break;
        h = (h ^ p[2]) * prime;
        if (!p[3]) break;
        h = (h ^ p[3]) * prime;
    }
    return h;
}

/* MurmurHash3's finalizer: every input bit reaches the low bits the table uses. */
static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A slot of an index table: array index + 1 in the low half (0 = empty), the key's hash in
 * the high half, so a probe compares tags before it touches the (cold) entry. */
static uint64_t slot_of(uint64_t hash, size_t i) { return (hash & 0xffffffff00000000ULL) | (uint64_t)(i + 1); }
static int slot_tag(uint64_t slot, uint64_t hash) { return (slot >> 32) == (hash >> 32); }
#define SLOT_IDX(slot) ((long)((slot) & 0xffffffffu) - 1)

/* Grows an index table to at least twice want slots. */
static int rehash(uint64_t **idx, size_t *slots, size_t want, uint64_t (*hash_of)(const diag *, uint32_t),
                  const diag *d, size_t n) {
    size_t ns = *slots ? *slots : 256;
    while (ns < want * 2) ns *= 2;
    if (ns == *slots) return 0;
    uint64_t *t = calloc(ns, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t hv = hash_of(d, (uint32_t)i);
        size_t h = (size_t)hv & (ns - 1);
        while (t[h]) h = (h + 1) & (ns - 1);
        t[h] = slot_of(hv, i);
    }
    free(*idx);
    *idx = t;
    *slots = ns;
    return 0;
}

static uint64_t car_hash(const diag *d, uint32_t i) { return mix(hash_str(d->car[i].name, 0xcbf29ce484222325ULL)); }

static uint64_t pair_hash_key(const char *caller, uint32_t carrier) {
    return mix(hash_str(caller, 0xcbf29ce484222325ULL) ^ ((uint64_t)carrier * 0x9e3779b97f4a7c15ULL));
}
static uint64_t pair_hash(const diag *d, uint32_t i) {
    return pair_hash_key(d->pairs[i].caller, d->pairs[i].carrier);
}

/* The carrier's key for a call: --carriers name of the next hop, else its address. */
static const char *carrier_key(const diag *d, const diag_facts *f, char *buf) {
    const char *name = d->cfg.names ? carriers_by_addr(d->cfg.names, &f->next_hop) : NULL;
    if (name) return name;
    if (!f->next_hop.family) return "(unknown)";
    return sx_addr_str(&f->next_hop, buf);
}

static const char *caller_key(const diag_facts *f) {
    if (f->caller[0]) return f->caller;
    return f->caller_raw[0] ? f->caller_raw : "(none)";
}

static long find_carrier(const diag *d, const char *name) {
    if (!d->car_slots) return -1;
    uint64_t hv = mix(hash_str(name, 0xcbf29ce484222325ULL));
    for (size_t h = (size_t)hv & (d->car_slots - 1); d->car_idx[h]; h = (h + 1) & (d->car_slots - 1))
        if (slot_tag(d->car_idx[h], hv) && !strncmp(d->car[SLOT_IDX(d->car_idx[h])].name, name, AGG_KEY - 1))
            return SLOT_IDX(d->car_idx[h]);
    return -1;
}

static long add_carrier(diag *d, const char *name) {
    if (d->ncar == d->capcar) {
        size_t nc = d->capcar ? d->capcar * 2 : 16;
        agg_carrier *c = realloc(d->car, nc * sizeof *c);
        if (!c) return -1;
        d->car = c;
        d->capcar = nc;
    }
    if (rehash(&d->car_idx, &d->car_slots, d->ncar + 1, car_hash, d, d->ncar) != 0) return -1;
    agg_carrier *c = &d->car[d->ncar];
    memset(c, 0, sizeof *c);
    copy_key(c->name, sizeof c->name, name);
    c->stale_min_age = INT64_MAX;
    c->fresh_max_age = INT64_MIN;
    if (!(c->codes = calloc(700, sizeof *c->codes))) return -1;
    uint64_t hv = car_hash(d, (uint32_t)d->ncar);
    size_t h = (size_t)hv & (d->car_slots - 1);
    while (d->car_idx[h]) h = (h + 1) & (d->car_slots - 1);
    d->car_idx[h] = slot_of(hv, d->ncar++);
    d->cnt.carriers = d->ncar;
    return (long)d->ncar - 1;
}

/* The address cache: the carrier of a next hop, found without formatting the address. */
static size_t addr_home(const sx_addr *a) {
    uint64_t w0, w1; /* two words, not 16 bytes one by one: this runs for every call */
    memcpy(&w0, a->a, 8);
    memcpy(&w1, a->a + 8, 8);
    return (size_t)mix(w0 ^ mix(w1 ^ a->family)) & (AGG_ADDR_SLOTS - 1);
}

static long addr_cached(const diag *d, const sx_addr *a) {
    if (!d->addr) return -1;
    for (size_t h = addr_home(a), k = 0; d->addr[h].idx1 && k < AGG_ADDR_SLOTS; h = (h + 1) & (AGG_ADDR_SLOTS - 1), k++)
        if (d->addr[h].a.family == a->family && !memcmp(d->addr[h].a.a, a->a, 16)) return (long)d->addr[h].idx1 - 1;
    return -1;
}

static void addr_remember(diag *d, const sx_addr *a, long idx) {
    if (!d->addr && !(d->addr = calloc(AGG_ADDR_SLOTS, sizeof *d->addr))) return;
    if (idx < 0 || d->naddr >= AGG_ADDR_SLOTS / 2) return; /* full: the slow path still works */
    size_t h = addr_home(a);
    while (d->addr[h].idx1) h = (h + 1) & (AGG_ADDR_SLOTS - 1);
    d->addr[h].a = *a;
    d->addr[h].idx1 = (uint32_t)idx + 1;
    d->naddr++;
}

/* The carrier of a call (the cache, else by name), or -1 when it was never learnt. */
static long carrier_find(const diag *d, const diag_facts *f) {
    long i = addr_cached(d, &f->next_hop);
    if (i >= 0) return i;
    char buf[SX_ADDR_STRLEN];
    return find_carrier(d, carrier_key(d, f, buf));
}

static long carrier_intern(diag *d, const diag_facts *f);

/* The carrier's index, interning it; beyond max_carriers the call goes to "(other)". */
static long carrier_of(diag *d, const diag_facts *f) {
    long i = addr_cached(d, &f->next_hop);
    if (i >= 0) return i;
    i = carrier_intern(d, f);
    addr_remember(d, &f->next_hop, i);
    return i;
}

static long carrier_intern(diag *d, const diag_facts *f) {
    char buf[SX_ADDR_STRLEN];
    const char *name = carrier_key(d, f, buf);
    long i = find_carrier(d, name);
    if (i >= 0) return i;
    if (d->ncar + 1 >= d->cfg.max_carriers) { /* keep one slot for "(other)" */
        d->cnt.carrier_overflow++;
        i = find_carrier(d, AGG_OTHER);
        return i >= 0 ? i : add_carrier(d, AGG_OTHER);
    }
    return add_carrier(d, name);
}

static long find_pair_h(const diag *d, const char *caller, uint32_t carrier, uint64_t hv) {
    if (!d->pair_slots) return -1;
    for (size_t h = (size_t)hv & (d->pair_slots - 1); d->pair_idx[h]; h = (h + 1) & (d->pair_slots - 1)) {
        if (!slot_tag(d->pair_idx[h], hv)) continue;
        const agg_pair *p = &d->pairs[SLOT_IDX(d->pair_idx[h])];
        if (p->carrier == carrier && !strncmp(p->caller, caller, AGG_KEY - 1)) return SLOT_IDX(d->pair_idx[h]);
    }
    return -1;
}

static long find_pair(const diag *d, const char *caller, uint32_t carrier) {
    return find_pair_h(d, caller, carrier, pair_hash_key(caller, carrier));
}

/* hv: pair_hash_key(caller, carrier) */
static agg_pair *pair_of(diag *d, const char *caller, uint32_t carrier, uint64_t hv) {
    long i = find_pair_h(d, caller, carrier, hv);
    if (i >= 0) return &d->pairs[i];
    if (d->npairs >= d->cfg.max_pairs) return NULL;
    if (d->npairs == d->cappairs) {
        size_t nc = d->cappairs ? d->cappairs * 2 : 64;
        if (nc > d->cfg.max_pairs) nc = d->cfg.max_pairs;
        /* on huge pages: the pairs (~0.5 KB each, thousands) are touched at random, a
         * TLB miss each on 4 KiB pages */
        agg_pair *p = sx_huge_realloc(d->pairs, d->cappairs * sizeof *p, nc * sizeof *p);
        if (!p) return NULL;
        d->pairs = p;
        d->cappairs = nc;
    }
    if (rehash(&d->pair_idx, &d->pair_slots, d->npairs + 1, pair_hash, d, d->npairs) != 0) return NULL;
    agg_pair *p = &d->pairs[d->npairs];
    memset(p, 0, sizeof *p);
    copy_key(p->caller, sizeof p->caller, caller);
    p->carrier = carrier;
    uint64_t kv = pair_hash(d, (uint32_t)d->npairs); /* of the key as kept (cut) */
    size_t h = (size_t)kv & (d->pair_slots - 1);
    while (d->pair_idx[h]) h = (h + 1) & (d->pair_slots - 1);
    d->pair_idx[h] = slot_of(kv, d->npairs++);
    d->cnt.pairs = d->npairs;
    return p;
}

const agg_carrier *agg_find_carrier(const diag *d, const char *name) {
    long i = find_carrier(d, name);
    return i >= 0 ? &d->car[i] : NULL;
}

const agg_pair *agg_find_pair(const diag *d, const char *caller, const char *carrier) {
    long c = find_carrier(d, carrier);
    if (c < 0) return NULL;
    long i = find_pair(d, caller, (uint32_t)c);
    return i >= 0 ? &d->pairs[i] : NULL;
}

/* ---- sparse time buckets ---- */

static int64_t floordiv(int64_t a, int64_t b) { return a / b - ((a % b) != 0 && ((a < 0) != (b < 0))); }

typedef void (*merge_fn)(void *into, const void *from);

#define BK(s, esz, i) ((int64_t *)((char *)(s)->b + (size_t)(i) * (esz)))

/* Doubles the bucket width: neighbours with the same new key merge. */
static void series_coarsen(agg_series *s, size_t esz, merge_fn merge) {
    uint32_t w = 0;
    for (uint32_t r = 0; r < s->n; r++) {
        int64_t nk = floordiv(*BK(s, esz, r), 2);
        if (w > 0 && *BK(s, esz, w - 1) == nk) merge(BK(s, esz, w - 1), BK(s, esz, r));
        else {
            if (w != r) memcpy(BK(s, esz, w), BK(s, esz, r), esz);
            *BK(s, esz, w) = nk;
            w++;
        }
    }
    s->n = w;
    s->shift++;
}

/* The bucket holding time t (created when missing; NULL when out of memory, or when
 * create == 0 and there is none). */
static void *series_at(agg_series *s, size_t esz, uint32_t maxn, sx_time width, sx_time t,
                       merge_fn merge, int create) {
    for (;;) {
        int64_t k = floordiv(t, width << s->shift);
        uint32_t lo = 0, hi = s->n;
        if (s->n && *BK(s, esz, s->n - 1) < k) lo = s->n; /* the usual case: appending */
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (*BK(s, esz, mid) < k) lo = mid + 1;
            else hi = mid;
        }
        if (lo < s->n && *BK(s, esz, lo) == k) return BK(s, esz, lo);
        if (!create) return NULL;
        if (s->n == maxn && s->shift < 40) {
            series_coarsen(s, esz, merge);
            continue;
        }
        if (s->n == s->cap) {
            uint32_t nc = s->cap ? s->cap * 2 : 4;
            if (nc > maxn) nc = maxn;
            if (nc <= s->cap) return NULL;
            void *nb = realloc(s->b, (size_t)nc * esz);
            if (!nb) return NULL;
            s->b = nb;
            s->cap = nc;
        }
        memmove(BK(s, esz, lo + 1), BK(s, esz, lo), (size_t)(s->n - lo) * esz);
        memset(BK(s, esz, lo), 0, esz);
        *BK(s, esz, lo) = k;
        s->n++;
        return BK(s, esz, lo);
    }
}

static void merge_pb(void *into, const void *from) {
    agg_pbucket *a = into;
    const agg_pbucket *b = from;
    if (b->first && (!a->first || b->first < a->first)) a->first = b->first;
    a->attempts += b->attempts, a->answered += b->answered, a->short_calls += b->short_calls;
    a->blocked += b->blocked;
}

static void merge_cb(void *into, const void *from) {
    agg_cbucket *a = into;
    const agg_cbucket *b = from;
    a->attempts += b->attempts, a->answered += b->answered, a->blocked += b->blocked;
    for (int i = 0; i < AGG_NCODES; i++) a->codes[i] += b->codes[i];
    for (int i = 0; i < DIAG_C__COUNT; i++) a->cause[i] += b->cause[i];
}

/* ---- distinct callees: a 64-register HyperLogLog (Flajolet et al. 2007) ---- */

static void hll_add(uint8_t *reg, const char *s) {
    uint64_t h = mix(hash_str(s, 0xcbf29ce484222325ULL) * 0x9e3779b97f4a7c15ULL);
    unsigned r = (unsigned)(h >> 58);          /* 6 bits: the register */
    uint64_t w = h << 6;
    uint8_t rank = 1;
    while (rank < 59 && !(w & (1ULL << 63))) rank++, w <<= 1;
    if (rank > reg[r]) reg[r] = rank;
}

/* 2^-k, exact, for the registers (<= 59): no division per register and pair. */
#define I2(k) (1.0 / (double)(1ULL << (k)))
static const double inv_pow2[64] = {
    I2(0), I2(1), I2(2), I2(3), I2(4), I2(5), I2(6), I2(7), I2(8), I2(9), I2(10), I2(11), I2(12),
    I2(13), I2(14), I2(15), I2(16), I2(17), I2(18), I2(19), I2(20), I2(21), I2(22), I2(23), I2(24),
    I2(25), I2(26), I2(27), I2(28), I2(29), I2(30), I2(31), I2(32), I2(33), I2(34), I2(35), I2(36),
    I2(37), I2(38), I2(39), I2(40), I2(41), I2(42), I2(43), I2(44), I2(45), I2(46), I2(47), I2(48),
    I2(49), I2(50), I2(51), I2(52), I2(53), I2(54), I2(55), I2(56), I2(57), I2(58), I2(59), I2(60),
    I2(61), I2(62), I2(63)};
#undef I2

double agg_hll_estimate(const uint8_t *reg) {
    double sum = 0;
    int zeros = 0;
    for (int i = 0; i < AGG_HLL; i++) {
        sum += inv_pow2[reg[i] & 63]; /* reg <= 59 (hll_add) */
        zeros += reg[i] == 0;
    }
    double m = AGG_HLL, e = 0.709 * m * m / sum;
    if (e <= 2.5 * m && zeros) e = m * log(m / zeros); /* linear counting for small sets */
    return e;
}

/* ---- phase 1 ---- */

diag *diag_new(const diag_config *cfg) {
    diag *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    if (cfg) d->cfg = *cfg;
    else diag_config_default(&d->cfg);
    if (d->cfg.bucket <= 0) d->cfg.bucket = 15 * 60 * (sx_time)SX_SEC;
    if (d->cfg.max_carriers < 2) d->cfg.max_carriers = 2;
    if (d->cfg.max_pairs > UINT32_MAX / 4) d->cfg.max_pairs = UINT32_MAX / 4;
    return d;
}

static int attest_idx(char a) { return a == 'A' ? 0 : a == 'B' ? 1 : a == 'C' ? 2 : 3; }

static void mode_add(agg_mode *m, int v) {
    if (v < 0) return;
    int k = 0;
    for (; k < 4 && m->n[k]; k++)
        if (m->v[k] == v) break;
    if (k == 4) k = 3; /* a fifth value overwrites the rarest slot: a mode, not a histogram */
    if (m->v[k] != v) m->v[k] = (int16_t)v, m->n[k] = 0;
    m->n[k]++;
}

static void keep_first(char *dst, size_t n, const char *src) {
    if (!dst[0] && src[0]) copy_key(dst, n, src);
}

/* The evidence for a carrier's STIR and analytics policies (onset.c reads it). */
static void learn_policy(agg_carrier *c, const diag_facts *f, const diag_tn_check *tn) {
    int code = f->final_code;
    int by = code == 403 && f->implied_code != 403 ? 0 : code == 428 ? 1 : code == 608 ? 2 : -1;
    if (!f->has_identity) {
        c->unsigned_calls++;
        if (by >= 0) c->unsigned_by[by]++;
        if (by == 0) mode_add(&c->unsigned_q850, f->q850), keep_first(c->unsigned_phrase, sizeof c->unsigned_phrase, f->phrase);
    } else {
        c->signed_calls++;
        if (by >= 0) c->signed_by[by]++;
        if (f->attest == 'A') {
            c->a_calls++;
            if (by >= 0) c->a_by[by]++;
        } else {
            c->low_calls++;
            if (by >= 0) c->low_by[by]++;
            if (by == 0) mode_add(&c->low_q850, f->q850);
        }
        if (f->implied_code == 403 || f->stir_cause == 403) {
            c->stale_refused++;
            if (f->iat_age_s != INT64_MIN && f->iat_age_s < c->stale_min_age) c->stale_min_age = f->iat_age_s;
        } else if (f->iat_age_s != INT64_MIN && ((code >= 200 && code < 300) || f->rang)) {
            /* went through: answered or rang (a 438 or a 403 is not "through") */
            c->fresh_ok++;
            if (f->iat_age_s > c->fresh_max_age) c->fresh_max_age = f->iat_age_s;
        }
    }
    if (code == 608) {
        c->n608++;
        c->n608_jcard += f->jcard;
        keep_first(c->entity608, sizeof c->entity608, f->blocked_by_party);
        keep_first(c->redress608, sizeof c->redress608, f->redress);
    }
    if (f->network_blocked) {
        c->n603plus++;
        keep_first(c->party603, sizeof c->party603, f->blocked_by_party);
        keep_first(c->redress603, sizeof c->redress603, f->redress);
    }
    int rep = agg_rep_of(f);
    c->n603fast += rep == AGG_R_603FAST;
    c->n607 += rep == AGG_R_607;
    c->n503 += code == 503;
    int refused = !f->rang && (code == 403 || code == 404 || code == 603 || code == 608);
    if (tn->invalid) c->invalid_calls++, c->invalid_refused += refused;
    else c->valid_calls++, c->valid_refused += refused;
}

static int code_slot(int code) {
    int i = 0;
#define AGG_CODE_SLOT(c) if (code == (c)) return i; i++;
    AGG_CODES(AGG_CODE_SLOT)
#undef AGG_CODE_SLOT
    return AGG_NCODES - 1;
}

static void learn_carrier(diag *d, agg_carrier *c, const diag_facts *f, int cls, const diag_tn_check *tn) {
    int blocked = cls == AGG_CL_REPUTATION || cls == AGG_CL_STIR;
    c->attempts++;
    c->answered += cls == AGG_CL_ANSWERED;
    c->blocked += blocked;
    c->cls[cls]++;
    if (f->talk_ms > 0) c->talk_ms += (uint64_t)f->talk_ms;
    if (f->final_code >= 100 && f->final_code < 700) c->codes[f->final_code]++;
    agg_cbucket *b = series_at(&c->s, sizeof(agg_cbucket), AGG_CARRIER_BUCKETS, d->cfg.bucket,
                               f->start, merge_cb, 1);
    if (b) {
        b->attempts++;
        b->answered += cls == AGG_CL_ANSWERED;
        b->blocked += (uint32_t)blocked;
        if (f->final_code >= 300) b->codes[code_slot(f->final_code)]++;
    }
    agg_grid_add(c, f);
    learn_policy(c, f, tn);
}

static void learn_pair(diag *d, agg_pair *p, const diag_facts *f, int cls, const diag_tn_check *tn) {
    int rep = agg_rep_of(f), answered = cls == AGG_CL_ANSWERED;
    int is_short = answered && f->talk_ms >= 0 && f->talk_ms < AGG_SHORT_MS;
    int blocked = cls == AGG_CL_REPUTATION || cls == AGG_CL_STIR;
    if (!p->first || f->start < p->first) p->first = f->start;
    if (f->start > p->last) p->last = f->start;
    p->attempts++, p->answered += answered, p->short_calls += is_short, p->blocked += blocked;
    if (f->talk_ms > 0) p->talk_ms += (uint64_t)f->talk_ms;
    p->neighbor += tn->neighbor != 0;
    if (tn->invalid) {
        p->invalid++;
        if (!p->invalid_reason && tn->reason && tn->reason[0]) p->invalid_reason = tn->reason;
    }
    p->attest[attest_idx(f->has_identity ? f->attest : 0)]++;
    if (rep >= 0) p->rep[rep]++;
    if (f->callee[0]) hll_add(p->hll, f->callee);
    agg_pbucket *b = series_at(&p->s, sizeof(agg_pbucket), AGG_PAIR_BUCKETS, d->cfg.bucket,
                               f->start, merge_pb, 1);
    if (b) {
        if (!b->first || f->start < b->first) b->first = f->start;
        b->attempts++, b->answered += (uint32_t)answered, b->short_calls += (uint32_t)is_short;
        b->blocked += (uint32_t)blocked;
    }
    agg_run_step(p, f, rep, answered || cls == AGG_CL_CALLEE);
}

/* What learning reads of the caller ID check (invalid, its reason, neighbor), the validity
 * once per pair (agg_pair.tn; p may be NULL): the check cost ~200 instructions a call. */
static void tn_check(agg_pair *p, const diag_facts *f, diag_tn_check *tn) {
    uint8_t kind = (uint8_t)(AGG_TN_KNOWN | (f->caller[0] ? AGG_TN_E164 : 0));
    if (p && (p->tn & (AGG_TN_KNOWN | AGG_TN_E164)) == kind) {
        tn->tn_class = -1; /* learning does not read it */
        tn->invalid = (p->tn & AGG_TN_INVALID) != 0;
        tn->reason = tn->invalid ? p->invalid_reason : ""; /* the first call's, the same */
        tn->neighbor = f->caller[0] ? diag_tn_neighbor(f->caller, f->callee) : 0;
        return;
    }
    diag_tn_check_caller(f->caller, f->caller_raw, f->callee, tn);
    if (p && !p->tn) p->tn = (uint8_t)(kind | (tn->invalid ? AGG_TN_INVALID : 0));
}

/* Learns f; *car1 and *pair1 get 1 + the indices phase 2 would find again for f, or 0 when
 * phase 2 must look them up itself: a call sent to "(other)" by the carrier overflow is
 * found again only through the address cache, which may have been full. */
static void learn(diag *d, const diag_facts *f, const diag_hint *hint, uint32_t *car1, uint32_t *pair1) {
    *car1 = *pair1 = 0;
    if (!d || d->finalized) return;
    d->cnt.learnt++;
    if (!d->t0 || f->start < d->t0) d->t0 = f->start;
    if (f->start > d->t1) d->t1 = f->start;
    uint64_t overflow = d->cnt.carrier_overflow;
    /* the hint's carrier came from the address cache, as carrier_of's would */
    long ci = hint && hint->car1 && hint->car1 <= d->ncar ? (long)hint->car1 - 1 : carrier_of(d, f);
    if (ci < 0) return; /* out of memory: counted as learnt, nothing else */
    int exact = d->cnt.carrier_overflow == overflow;
    const char *key = caller_key(f);
    uint64_t hv = hint && hint->hash && (long)hint->car1 - 1 == ci ? hint->hash : pair_hash_key(key, (uint32_t)ci);
    agg_pair *p = pair_of(d, key, (uint32_t)ci, hv);
    diag_tn_check tn;
    tn_check(p, f, &tn);
    int cls = agg_class_of(f);
    learn_carrier(d, &d->car[ci], f, cls, &tn);
    if (!p) {
        d->cnt.pair_overflow++;
        return;
    }
    if (exact) *car1 = (uint32_t)ci + 1, *pair1 = (uint32_t)(p - d->pairs) + 1;
    learn_pair(d, p, f, cls, &tn);
}

void diag_learn(diag *d, const diag_facts *f) {
    uint32_t c, p;
    learn(d, f, NULL, &c, &p);
}

void diag_learn_keep(diag *d, diag_facts *f) { learn(d, f, NULL, &f->car1, &f->pair1); }

void diag_learn_hinted(diag *d, diag_facts *f, diag_hint hint) { learn(d, f, &hint, &f->car1, &f->pair1); }

diag_hint diag_prefetch_index(const diag *d, const diag_facts *f) {
    diag_hint h = {0, 0};
    if (!d || d->finalized) return h;
    long ci = addr_cached(d, &f->next_hop); /* a carrier seen before: no formatting here */
    if (ci < 0) return h;
    h.car1 = (uint32_t)ci + 1;
    h.hash = pair_hash_key(caller_key(f), (uint32_t)ci);
    if (d->pair_slots) __builtin_prefetch(&d->pair_idx[(size_t)h.hash & (d->pair_slots - 1)], 0, 3);
    return h;
}

/* The pair a hint names, found by the index slot's tag alone (no pair is read to find it),
 * or NULL. */
static const agg_pair *hinted_pair(const diag *d, diag_hint hint) {
    uint64_t hv = hint.hash;
    if (!hv || !d || d->finalized || !d->pair_slots) return NULL;
    for (size_t h = (size_t)hv & (d->pair_slots - 1); d->pair_idx[h]; h = (h + 1) & (d->pair_slots - 1))
        if (slot_tag(d->pair_idx[h], hv)) return &d->pairs[SLOT_IDX(d->pair_idx[h])];
    return NULL;
}

void diag_prefetch(const diag *d, diag_hint hint) {
    const char *p = (const char *)hinted_pair(d, hint);
    if (!p) return;
    for (size_t o = 0; o < offsetof(agg_pair, cause); o += 64) __builtin_prefetch(p + o, 1, 3);
}

void diag_prefetch_bucket(const diag *d, diag_hint hint) {
    const agg_pair *p = hinted_pair(d, hint);
    if (p && p->s.n) __builtin_prefetch(BK(&p->s, sizeof(agg_pbucket), p->s.n - 1), 1, 3);
}

void diag_prefetch_known(const diag *d, const diag_facts *f) {
    if (!d || !f->pair1 || f->pair1 > d->npairs) return;
    const agg_pair *p = &d->pairs[f->pair1 - 1];
    __builtin_prefetch(p, 0, 3);
    __builtin_prefetch(&p->cause[0], 1, 3);
    __builtin_prefetch(&p->cause[DIAG_C__COUNT - 1], 1, 3);
}

/* Phase 2: the call's carrier (as carrier_find) and pair (as find_pair under that carrier)
 * from what diag_learn_keep remembered, else looked up. */
static long known_carrier(const diag *d, const diag_facts *f) {
    if (f->car1 && f->car1 <= d->ncar && f->pair1 && f->pair1 <= d->npairs) return (long)f->car1 - 1;
    return carrier_find(d, f);
}

static long known_pair(const diag *d, const diag_facts *f, long ci) {
    if (f->car1 && f->car1 <= d->ncar && f->pair1 && f->pair1 <= d->npairs && (long)f->car1 - 1 == ci)
        return (long)f->pair1 - 1;
    return find_pair(d, caller_key(f), (uint32_t)ci);
}

/* Appends a pair's reason to d->rtext (most pairs are clean and have none); 0, or -1 when
 * out of memory (the pair then shows no reason). */
static int keep_reason(diag *d, agg_pair *p, const char *reason) {
    size_t n = strlen(reason) + 1;
    if (d->rlen + n > UINT32_MAX) return -1;
    if (d->rlen + n > d->rcap) {
        size_t nc = d->rcap ? d->rcap * 2 : 4096;
        while (nc < d->rlen + n) nc *= 2;
        char *t = realloc(d->rtext, nc);
        if (!t) return -1;
        d->rtext = t, d->rcap = nc;
    }
    memcpy(d->rtext + d->rlen, reason, n);
    p->reason_at = (uint32_t)d->rlen;
    d->rlen += n;
    return 0;
}

void diag_finalize(diag *d) {
    if (!d || d->finalized) return;
    d->finalized = 1;
    d->cnt.flagged = d->cnt.at_risk = 0;
    char reason[DIAG_REASON];
    for (size_t i = 0; i < d->npairs; i++) {
        agg_onset_finalize(d, &d->pairs[i], reason);
        d->pairs[i].has_reason = reason[0] && keep_reason(d, &d->pairs[i], reason) == 0;
        d->cnt.flagged += d->pairs[i].status == DIAG_ST_FLAGGED;
        d->cnt.at_risk += d->pairs[i].status == DIAG_ST_AT_RISK;
    }
    for (size_t i = 0; i < d->ncar; i++) agg_policy_finalize(&d->car[i]);
}

/* ---- between the phases: what the rules may know from other calls ---- */

void diag_context_of(const diag *d, const diag_facts *f, diag_context *ctx) {
    memset(ctx, 0, sizeof *ctx);
    if (!d) return;
    const char *own = d->cfg.names && f->final_addr.family
                          ? carriers_by_addr(d->cfg.names, &f->final_addr) : NULL;
    ctx->final_from_own = (uint8_t)(own && diag_peer_is_own(own));
    long ci = known_carrier(d, f);
    if (ci < 0) return;
    const agg_carrier *c = &d->car[ci];
    ctx->carrier = c->name;
    if (c->pol[DIAG_P_REJECTS_UNSIGNED].on) {
        int k = c->unsigned_code == 428 ? 1 : 0;
        ctx->carrier_rejects_unsigned = 1;
        ctx->unsigned_code = c->unsigned_code;
        ctx->unsigned_refused = (uint32_t)c->unsigned_by[k], ctx->unsigned_calls = (uint32_t)c->unsigned_calls;
        ctx->signed_refused = (uint32_t)c->signed_by[k], ctx->signed_calls = (uint32_t)c->signed_calls;
    }
    if (c->pol[DIAG_P_REJECTS_LOW_ATTEST].on) {
        int k = c->low_code == 608 ? 2 : 0;
        ctx->carrier_rejects_low_attest = 1;
        ctx->low_attest_code = c->low_code;
        ctx->low_refused = (uint32_t)c->low_by[k], ctx->low_calls = (uint32_t)c->low_calls;
        ctx->a_refused = (uint32_t)c->a_by[k], ctx->a_calls = (uint32_t)c->a_calls;
    }
    long pi = known_pair(d, f, ci);
    if (pi < 0) return;
    const agg_pair *p = &d->pairs[pi];
    ctx->pair_at_risk = p->status == DIAG_ST_AT_RISK;
    ctx->pair_reason = p->has_reason ? agg_pair_reason(d, p) : NULL;
    if (p->status == DIAG_ST_FLAGGED && f->start >= p->since) {
        ctx->pair_flagged = 1;
        ctx->pair_since = p->since;
        return;
    }
    for (int e = 0; e < p->nep; e++) /* a block that lifted again still covers its calls */
        if (f->start >= p->ep[e].since && f->start <= p->ep[e].until) {
            ctx->pair_flagged = 1;
            ctx->pair_since = p->ep[e].since;
        }
}

/* ---- phase 2 ---- */

static void count_rule(agg_rulecount *rc, const char *rule) {
    if (!rule) return;
    int k = 0;
    for (; k < 4 && rc[k].rule; k++)
        if (rc[k].rule == rule || !strcmp(rc[k].rule, rule)) break;
    if (k == 4) return; /* the top rules are enough for the plan's evidence */
    rc[k].rule = rule;
    rc[k].n++;
}

void diag_tally(diag *d, const diag_facts *f, const diag_verdict *v) {
    if (!d || v->cause >= DIAG_C__COUNT) return;
    d->cnt.tallied++;
    d->cause[v->cause]++;
    count_rule(d->rules[v->cause], v->rule);
    /* The example of a cause is its earliest call (by seq): answered calls are tallied in
     * phase 1, the others in phase 2, each in call order. */
    if (f->call_id[0] && (!d->example[v->cause][0] || f->seq < d->example_seq[v->cause])) {
        snprintf(d->example[v->cause], sizeof d->example[0], "%s", f->call_id);
        d->example_seq[v->cause] = f->seq;
    }
    long ci = known_carrier(d, f);
    if (ci < 0) ci = find_carrier(d, AGG_OTHER);
    if (ci < 0) return;
    agg_carrier *c = &d->car[ci];
    c->cause[v->cause]++;
    agg_cbucket *b = series_at(&c->s, sizeof(agg_cbucket), AGG_CARRIER_BUCKETS, d->cfg.bucket,
                               f->start, merge_cb, 0);
    if (b) b->cause[v->cause]++;
    long pi = known_pair(d, f, ci);
    if (pi >= 0) d->pairs[pi].cause[v->cause]++;
}

void diag_free(diag *d) {
    if (!d) return;
    for (size_t i = 0; i < d->ncar; i++) {
        free(d->car[i].codes);
        free(d->car[i].s.b);
        free(d->car[i].grid);
    }
    for (size_t i = 0; i < d->npairs; i++) free(d->pairs[i].s.b), free(d->pairs[i].ep);
    free(d->car);
    free(d->car_idx);
    free(d->addr);
    sx_huge_free(d->pairs, d->cappairs * sizeof *d->pairs);
    free(d->pair_idx);
    free(d->rtext);
    free(d);
}

/* ---- queries ---- */

int diag_pair_get(const diag *d, const char *caller, const char *carrier, diag_pair_info *out) {
    const agg_pair *p = d ? agg_find_pair(d, caller, carrier) : NULL;
    if (!p) return -1;
    memset(out, 0, sizeof *out);
    out->status = p->status;
    out->since = p->status == DIAG_ST_FLAGGED ? p->since : 0;
    out->first = p->first, out->last = p->last;
    out->attempts = p->attempts, out->answered = p->answered;
    out->blocked = p->blocked, out->short_calls = p->short_calls;
    out->peak_per_hour = p->peak_h, out->mean_per_hour = p->mean_h;
    snprintf(out->reason, sizeof out->reason, "%s", agg_pair_reason(d, p));
    return 0;
}

int diag_carrier_policy(const diag *d, const char *carrier, int p, char *buf, size_t n) {
    const agg_carrier *c = d ? agg_find_carrier(d, carrier) : NULL;
    if (!c || p < 0 || p >= DIAG_P__COUNT || !c->pol[p].on) return 0;
    snprintf(buf, n, "%s", c->pol[p].sentence);
    return 1;
}

void diag_counts_get(const diag *d, diag_counts *out) {
    *out = d->cnt;
    agg_plan_item *items = malloc(AGG_PLAN_MAX * sizeof *items);
    out->plan_items = items ? agg_plan(d, items, AGG_PLAN_MAX) : 0;
    free(items);
}
