/* spill.c -- the diagnosis's facts on disk (diag.h): phase 1 of `sipdx analyze` spills one
 * diag_facts per call to a temporary file and phase 2 reads them back in the same order.
 *
 * A diag_facts is 648 bytes, mostly NUL padding and default values; on the 1M-call benchmark
 * a word-level zero packing still left ~300 bytes a call, ~300 MB written and read back, which
 * cost more system time than the diagnosis's own work. So each fact is encoded field by
 * field (~50-70 bytes in the common case):
 *   - a presence mask (varint) names the fields that differ from their default (-1, 0, "");
 *   - numbers are varints; seq and start relative to the previous fact (calls end roughly
 *     in start order);
 *   - strings that repeat across calls (reason phrases, Server, Reason lines, caller ID
 *     source, blocking party, redress, Call-ID hosts, addresses) go through a dictionary:
 *     the first time as text, then as an index. The decoder rebuilds the same dictionary in
 *     the same order, so the facts must be read back in the order they were written;
 *   - telephone numbers are packed two digits a byte; a caller user part "+<caller>", and
 *     PASSporT orig/dest equal to the call's caller/callee, are one bit;
 *   - a Call-ID's runs of hex digits are packed two a byte.
 * Strings are C strings: what follows a NUL in a buffer is not kept (nothing reads it). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* Every field of diag_facts has its place below: a new field must get one (and a presence
 * bit), or it would silently come back as 0 in phase 2. */
_Static_assert(sizeof(diag_facts) == 648, "diag_facts changed: update the spill encoding");

#define SP_DICT 4096          /* strings remembered; beyond, strings are written as text */
#define SP_ARENA (192 * 1024) /* their bytes */
#define SP_SLOTS 8192         /* encoder's hash index (power of two, > 2 x SP_DICT) */
#define SP_KEYMAX 255         /* longest string the dictionary holds (DIAG_URL fits) */

struct diag_spill {
    uint64_t seq;             /* previous fact's seq + 1 (the usual next one) */
    sx_time start;            /* previous fact's start */
    uint32_t n, used;         /* dictionary entries, arena bytes */
    uint32_t off[SP_DICT];
    uint8_t len[SP_DICT];
    uint16_t slot[SP_SLOTS];  /* index + 1, 0 = empty (encoder only) */
    char pairs[2][512];       /* decoder: the two hex digits of each byte, lower and upper case */
    uint8_t nib[2][256];      /* encoder: a character's hex value, lower and upper case; 16: none */
    char arena[SP_ARENA];
};

diag_spill *diag_spill_new(void) {
    diag_spill *s = calloc(1, sizeof *s); /* untouched arena pages cost no memory */
    for (int u = 0; s && u < 2; u++) {
        const char *x = u ? "0123456789ABCDEF" : "0123456789abcdef";
        for (int b = 0; b < 256; b++) s->pairs[u][2 * b] = x[b >> 4], s->pairs[u][2 * b + 1] = x[b & 15];
        memset(s->nib[u], 16, 256);
        for (int v = 0; v < 16; v++) s->nib[u][(unsigned char)x[v]] = (uint8_t)v;
    }
    return s;
}

void diag_spill_rewind(diag_spill *s) {
    s->seq = 0, s->start = 0;
    s->n = 0, s->used = 0;
    memset(s->slot, 0, sizeof s->slot);
}

void diag_spill_free(diag_spill *s) { free(s); }

/* ---- presence mask: most frequent fields in the low bits (a shorter varint) ---- */

enum {
    P_CALL_ID, P_CALLER, P_RAW_PLUS, P_CALLEE, P_HOP, P_FINAL_SAME, P_CODE, P_PHRASE,
    P_FINAL_MS, P_18X_MS, P_ANSWER_SAME, P_TALK_MS, P_END, P_ENDED_BY, P_HOPS, P_SRC,
    P_SERVER, P_BOOLS, P_IDENT, P_FINDINGS, P_IAT, P_ORIG_SAME, P_DEST_SAME, P_SEQ,
    P_RAW, P_FINAL, P_Q850, P_SIP_CAUSE, P_STIR_CAUSE, P_ANSWER_MS, P_RETRANS, P_SIGNATURE,
    P_ATTEST, P_BLOCKED_BY, P_REDRESS, P_IMPLIED_STIR, P_VERSTAT, P_ORIG, P_DEST,
    P_REASON_LINE, P_IMPLIED_CODE, P_BYTES, P__COUNT
};
_Static_assert(P__COUNT <= 64, "the presence mask is one uint64");

/* The one-byte flags: 0/1 in practice, packed as bits (P_BOOLS); any other value is written
 * as bytes (P_BYTES) so that every fact comes back as it was. */
#define SP_NBOOL 9
static unsigned bools_or(const diag_facts *f) {
    return f->rang | f->early_media | f->challenged | f->challenge_unresolved | f->no_final_response |
           f->network_blocked | f->jcard | f->trying | f->final_from_next_hop;
}
static unsigned bools_bits(const diag_facts *f) {
    return f->rang | f->early_media << 1 | f->challenged << 2 | f->challenge_unresolved << 3 |
           f->no_final_response << 4 | f->network_blocked << 5 | f->jcard << 6 | f->trying << 7 |
           (unsigned)f->final_from_next_hop << 8;
}
static uint8_t *bool_at(diag_facts *f, int i) {
    uint8_t *b[SP_NBOOL] = {&f->rang, &f->early_media, &f->challenged, &f->challenge_unresolved,
                            &f->no_final_response, &f->network_blocked, &f->jcard, &f->trying,
                            &f->final_from_next_hop};
    return b[i];
}

#define HAS(bit) (m >> (bit) & 1)

/* ---- writing ---- */

static unsigned char *put_uv(unsigned char *o, uint64_t v) {
    while (v >= 0x80) *o++ = (unsigned char)(v | 0x80), v >>= 7;
    *o++ = (unsigned char)v;
    return o;
}
static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static unsigned char *put_sv(unsigned char *o, int64_t v) { return put_uv(o, zz(v)); }

/* 8 bytes at a time: the keys are short, and this runs for several strings per call. */
static uint32_t key_hash(const void *k, size_t n) {
    const unsigned char *p = k;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return (uint32_t)(h >> 32);
}

/* Both sides remember a string the same way, when there is room. */
static int dict_room(const diag_spill *s, size_t n) {
    return s->n < SP_DICT && n <= SP_KEYMAX && s->used + n <= SP_ARENA;
}
static void dict_add(diag_spill *s, const void *k, size_t n) {
    memcpy(s->arena + s->used, k, n);
    s->off[s->n] = s->used, s->len[s->n] = (uint8_t)n;
    s->used += (uint32_t)n, s->n++;
}

/* Strings: a varint (x << 2 | kind), kind 0: dictionary index x; 1: x bytes of text, now in
 * the dictionary; 2: x digits, two a byte; 3: x bytes of text, not remembered. */
enum { T_INDEX, T_NEW, T_DIGITS, T_TEXT };
enum { AS_DICT, AS_DIGITS_OR_DICT, AS_DIGITS_OR_TEXT };

static unsigned char *put_dict(diag_spill *s, unsigned char *o, const void *k, size_t n) {
    uint32_t h = key_hash(k, n) & (SP_SLOTS - 1);
    for (; s->slot[h]; h = (h + 1) & (SP_SLOTS - 1)) {
        uint32_t i = s->slot[h] - 1u;
        if (s->len[i] == n && !memcmp(s->arena + s->off[i], k, n)) return put_uv(o, (uint64_t)i << 2 | T_INDEX);
    }
    if (!dict_room(s, n)) {
        o = put_uv(o, (uint64_t)n << 2 | T_TEXT);
        memcpy(o, k, n);
        return o + n;
    }
    s->slot[h] = (uint16_t)(s->n + 1);
    dict_add(s, k, n);
    o = put_uv(o, (uint64_t)n << 2 | T_NEW);
    memcpy(o, k, n);
    return o + n;
}

/* n decimal digits, two a byte (a varint header first); NULL when t is not all digits. */
static unsigned char *put_digits(const diag_spill *s, unsigned char *o, const char *t, size_t n) {
    const uint8_t *nib = s->nib[0];
    o = put_uv(o, (uint64_t)n << 2 | T_DIGITS);
    for (size_t i = 0; i < n; i += 2) {
        unsigned hi = nib[(unsigned char)t[i]], lo = i + 1 < n ? nib[(unsigned char)t[i + 1]] : 0;
        if ((hi | lo) > 9) return NULL;
        *o++ = (unsigned char)(hi << 4 | lo);
    }
    return o;
}

static unsigned char *put_text(diag_spill *s, unsigned char *o, const char *t, int as) {
    size_t n = strlen(t);
    unsigned char *d;
    if (as != AS_DICT && (d = put_digits(s, o, t, n))) return d;
    if (as != AS_DIGITS_OR_TEXT) return put_dict(s, o, t, n);
    o = put_uv(o, (uint64_t)n << 2 | T_TEXT);
    memcpy(o, t, n);
    return o + n;
}

/* Call-ID: length, then tokens until that many characters: 0x80 | n: n lowercase hex digits,
 * 0xc0 | n: n uppercase ones (two a byte, n <= 63); 1..127: that many bytes of text. Then,
 * when it has an '@', the host part as a string (it repeats). */
static size_t hex_run(const diag_spill *s, const char *t, size_t n, int *upper) {
    size_t lo = 0, up = 0;
    if (n > 63) n = 63;
    while (lo < n && s->nib[0][(unsigned char)t[lo]] < 16) lo++;
    if (lo >= 4 || lo == n) { /* long enough (an upper-case one is rarely longer) */
        *upper = 0;
        return lo;
    }
    while (up < n && s->nib[1][(unsigned char)t[up]] < 16) up++;
    *upper = up > lo;
    return up > lo ? up : lo;
}

static unsigned char *put_callid(diag_spill *s, unsigned char *o, const char *id) {
    const char *at = strchr(id, '@');
    size_t n = at ? (size_t)(at - id) : strlen(id);
    o = put_uv(o, (uint64_t)n << 1 | (at != NULL));
    int upper;
    for (size_t i = 0; i < n;) {
        size_t run = hex_run(s, id + i, n - i, &upper);
        if (run >= 4) {
            const uint8_t *nib = s->nib[upper];
            *o++ = (unsigned char)((upper ? 0xc0 : 0x80) | run);
            for (size_t k = 0; k + 1 < run; k += 2)
                *o++ = (unsigned char)(nib[(unsigned char)id[i + k]] << 4 | nib[(unsigned char)id[i + k + 1]]);
            if (run & 1) *o++ = (unsigned char)(nib[(unsigned char)id[i + run - 1]] << 4);
            i += run;
            continue;
        }
        size_t j = i + 1; /* text up to the next run worth packing */
        while (j < n && j - i < 127 && hex_run(s, id + j, n - j, &upper) < 4) j++;
        *o++ = (unsigned char)(j - i);
        memcpy(o, id + i, j - i);
        o += j - i, i = j;
    }
    return at ? put_text(s, o, at + 1, AS_DICT) : o;
}

/* An address and port as a dictionary key: family, 16 bytes, port. */
static unsigned char *put_addr(diag_spill *s, unsigned char *o, const sx_addr *a, uint16_t port) {
    unsigned char k[19];
    k[0] = a->family;
    memcpy(k + 1, a->a, 16);
    k[17] = (unsigned char)(port >> 8), k[18] = (unsigned char)port;
    return put_dict(s, o, k, sizeof k);
}

static int addr_zero(const sx_addr *a, uint16_t port) {
    static const sx_addr z;
    return !port && !memcmp(a, &z, sizeof z);
}

static int is_plus(const diag_facts *f) {
    return f->caller_raw[0] == '+' && f->caller[0] && !strcmp(f->caller_raw + 1, f->caller);
}

static uint64_t mask_of(const diag_facts *f, const diag_spill *s) {
    uint64_t m = 0;
#define SP_IF(cond, bit) m |= (uint64_t)((cond) != 0) << (bit)
    SP_IF(f->seq != s->seq, P_SEQ);
    SP_IF(f->call_id[0], P_CALL_ID);
    SP_IF(f->caller[0], P_CALLER);
    if (is_plus(f)) m |= 1ull << P_RAW_PLUS;
    else SP_IF(f->caller_raw[0], P_RAW);
    SP_IF(f->callee[0], P_CALLEE);
    SP_IF(!addr_zero(&f->next_hop, f->next_hop_port), P_HOP);
    if (!memcmp(&f->final_addr, &f->next_hop, sizeof f->next_hop) &&
        f->final_port == f->next_hop_port && !addr_zero(&f->final_addr, f->final_port))
        m |= 1ull << P_FINAL_SAME;
    else SP_IF(!addr_zero(&f->final_addr, f->final_port), P_FINAL);
    SP_IF(f->final_code, P_CODE);
    SP_IF(f->phrase[0], P_PHRASE);
    SP_IF(f->q850 != -1, P_Q850);
    SP_IF(f->sip_cause != -1, P_SIP_CAUSE);
    SP_IF(f->stir_cause != -1, P_STIR_CAUSE);
    SP_IF(f->final_ms != -1, P_FINAL_MS);
    SP_IF(f->first_18x_ms != -1, P_18X_MS);
    if (f->answer_ms != -1 && f->answer_ms == f->final_ms) m |= 1ull << P_ANSWER_SAME;
    else SP_IF(f->answer_ms != -1, P_ANSWER_MS);
    SP_IF(f->talk_ms != -1, P_TALK_MS);
    unsigned bools = bools_or(f);
    if (bools > 1) m |= 1ull << P_BYTES;
    else SP_IF(bools, P_BOOLS);
    SP_IF(f->end, P_END);
    SP_IF(f->ended_by, P_ENDED_BY);
    SP_IF(f->invite_retransmissions, P_RETRANS);
    SP_IF(f->has_identity, P_IDENT);
    SP_IF(f->attest, P_ATTEST);
    SP_IF(f->signature != -1, P_SIGNATURE);
    SP_IF(f->stir_findings, P_FINDINGS);
    SP_IF(f->iat_age_s != INT64_MIN, P_IAT);
    SP_IF(f->blocked_by_party[0], P_BLOCKED_BY);
    SP_IF(f->redress[0], P_REDRESS);
    SP_IF(f->implied_stir != -1, P_IMPLIED_STIR);
    SP_IF(f->verstat, P_VERSTAT);
    SP_IF(f->hops, P_HOPS);
    SP_IF(f->caller_src[0], P_SRC);
    if (f->orig_tn[0] && !strcmp(f->orig_tn, f->caller)) m |= 1ull << P_ORIG_SAME;
    else SP_IF(f->orig_tn[0], P_ORIG);
    if (f->dest_tn[0] && !strcmp(f->dest_tn, f->callee)) m |= 1ull << P_DEST_SAME;
    else SP_IF(f->dest_tn[0], P_DEST);
    SP_IF(f->server[0], P_SERVER);
    SP_IF(f->reason_line[0], P_REASON_LINE);
    SP_IF(f->implied_code, P_IMPLIED_CODE);
#undef SP_IF
    return m;
}

size_t diag_spill_put(diag_spill *s, const diag_facts *f, unsigned char *out) {
    uint64_t m = mask_of(f, s);
    unsigned char *o = put_uv(out, m);
    if (HAS(P_SEQ)) o = put_sv(o, (int64_t)(f->seq - s->seq));
    o = put_uv(o, f->car1);
    o = put_uv(o, f->pair1);
    o = put_sv(o, (int64_t)((uint64_t)f->start - (uint64_t)s->start));
    if (HAS(P_CALL_ID)) o = put_callid(s, o, f->call_id);
    if (HAS(P_CALLER)) o = put_text(s, o, f->caller, AS_DIGITS_OR_TEXT);
    if (HAS(P_RAW)) o = put_text(s, o, f->caller_raw, AS_DIGITS_OR_DICT);
    if (HAS(P_CALLEE)) o = put_text(s, o, f->callee, AS_DIGITS_OR_TEXT);
    if (HAS(P_HOP)) o = put_addr(s, o, &f->next_hop, f->next_hop_port);
    if (HAS(P_FINAL)) o = put_addr(s, o, &f->final_addr, f->final_port);
    if (HAS(P_CODE)) o = put_uv(o, f->final_code);
    if (HAS(P_PHRASE)) o = put_text(s, o, f->phrase, AS_DICT);
    if (HAS(P_Q850)) o = put_sv(o, f->q850);
    if (HAS(P_SIP_CAUSE)) o = put_sv(o, f->sip_cause);
    if (HAS(P_STIR_CAUSE)) o = put_sv(o, f->stir_cause);
    if (HAS(P_FINAL_MS)) o = put_sv(o, f->final_ms);
    if (HAS(P_18X_MS)) o = put_sv(o, f->first_18x_ms);
    if (HAS(P_ANSWER_MS)) o = put_sv(o, f->answer_ms);
    if (HAS(P_TALK_MS)) o = put_sv(o, f->talk_ms);
    if (HAS(P_BOOLS)) o = put_uv(o, bools_bits(f));
    if (HAS(P_BYTES)) {
        const uint8_t v[SP_NBOOL] = {f->rang, f->early_media, f->challenged, f->challenge_unresolved,
                                     f->no_final_response, f->network_blocked, f->jcard, f->trying,
                                     f->final_from_next_hop}; /* bool_at's order */
        memcpy(o, v, SP_NBOOL);
        o += SP_NBOOL;
    }
    if (HAS(P_END)) *o++ = f->end;
    if (HAS(P_ENDED_BY)) *o++ = f->ended_by;
    if (HAS(P_RETRANS)) o = put_uv(o, f->invite_retransmissions);
    if (HAS(P_IDENT)) *o++ = f->has_identity;
    if (HAS(P_ATTEST)) *o++ = (unsigned char)f->attest;
    if (HAS(P_SIGNATURE)) *o++ = (unsigned char)f->signature;
    if (HAS(P_FINDINGS)) o = put_uv(o, f->stir_findings);
    if (HAS(P_IAT)) o = put_sv(o, f->iat_age_s);
    if (HAS(P_BLOCKED_BY)) o = put_text(s, o, f->blocked_by_party, AS_DICT);
    if (HAS(P_REDRESS)) o = put_text(s, o, f->redress, AS_DICT);
    if (HAS(P_IMPLIED_STIR)) *o++ = (unsigned char)f->implied_stir;
    if (HAS(P_VERSTAT)) *o++ = f->verstat;
    if (HAS(P_HOPS)) *o++ = f->hops;
    if (HAS(P_SRC)) o = put_text(s, o, f->caller_src, AS_DICT);
    if (HAS(P_ORIG)) o = put_text(s, o, f->orig_tn, AS_DIGITS_OR_TEXT);
    if (HAS(P_DEST)) o = put_text(s, o, f->dest_tn, AS_DIGITS_OR_TEXT);
    if (HAS(P_SERVER)) o = put_text(s, o, f->server, AS_DICT);
    if (HAS(P_REASON_LINE)) o = put_text(s, o, f->reason_line, AS_DICT);
    if (HAS(P_IMPLIED_CODE)) o = put_uv(o, f->implied_code);
    s->seq = f->seq + 1;
    s->start = f->start;
    return (size_t)(o - out);
}

/* ---- reading: every length is checked against the input and the field's buffer ---- */

typedef struct rd {
    const unsigned char *p, *end;
    int bad;
} rd;

static uint64_t get_uv(rd *r) {
    if (r->p < r->end && *r->p < 0x80) return *r->p++; /* most values: one byte */
    uint64_t v = 0;
    for (int sh = 0; sh < 64; sh += 7) {
        if (r->p >= r->end) break;
        unsigned b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}
static int64_t get_sv(rd *r) {
    uint64_t v = get_uv(r);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}
static unsigned get_u8(rd *r) {
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}
static const unsigned char *take(rd *r, size_t n) {
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += n;
    return p;
}

/* Two characters per packed byte (decimal digits are the same in both cases). */
static void unpack_hex(const diag_spill *s, char *dst, const unsigned char *p, size_t n, int upper) {
    const char *t = s->pairs[upper];
    for (size_t i = 0; i < n / 2; i++) memcpy(dst + 2 * i, t + 2 * p[i], 2);
    if (n & 1) dst[n - 1] = t[2 * p[n / 2]];
}

/* A string into dst (room bytes with its NUL); returns its length, or -1 (r->bad). */
static long get_bytes(diag_spill *s, rd *r, char *dst, size_t room) {
    uint64_t h = get_uv(r), x = h >> 2;
    const unsigned char *p;
    switch (h & 3) {
    case T_INDEX:
        if (x >= s->n || s->len[x] >= room) break;
        memcpy(dst, s->arena + s->off[x], s->len[x]);
        return s->len[x];
    case T_NEW:
    case T_TEXT:
        if (x >= room || !(p = take(r, (size_t)x))) break;
        memcpy(dst, p, (size_t)x);
        if ((h & 3) == T_NEW) {
            if (!dict_room(s, (size_t)x)) break; /* the writer would not have remembered it */
            dict_add(s, p, (size_t)x);
        }
        return (long)x;
    case T_DIGITS:
        if (x >= room || !(p = take(r, (size_t)(x + 1) / 2))) break;
        unpack_hex(s, dst, p, (size_t)x, 0);
        for (size_t i = 0; i < x; i++) /* written as decimal digits: must come back as such */
            if (dst[i] > '9') goto bad;
        return (long)x;
    }
bad:
    r->bad = 1;
    return -1;
}

static void get_text(diag_spill *s, rd *r, char *dst, size_t room) {
    long n = get_bytes(s, r, dst, room);
    if (n >= 0) dst[n] = '\0';
    else dst[0] = '\0';
}

static void get_callid(diag_spill *s, rd *r, char *dst, size_t room) {
    uint64_t h = get_uv(r), n = h >> 1;
    if (n >= room) {
        r->bad = 1;
        return;
    }
    size_t i = 0;
    while (i < n && !r->bad) {
        unsigned t = get_u8(r);
        size_t run = t & (t & 0x80 ? 0x3f : 0x7f);
        const unsigned char *p = take(r, t & 0x80 ? (run + 1) / 2 : run);
        if (!p || !run || i + run > n) {
            r->bad = 1;
            return;
        }
        if (!(t & 0x80)) memcpy(dst + i, p, run);
        else unpack_hex(s, dst + i, p, run, (t & 0x40) != 0);
        i += run;
    }
    dst[i] = '\0';
    if (!(h & 1) || r->bad) return;
    dst[i] = '@';
    get_text(s, r, dst + i + 1, room - i - 1);
}

static void get_addr(diag_spill *s, rd *r, sx_addr *a, uint16_t *port) {
    char k[20];
    if (get_bytes(s, r, k, sizeof k) != 19) {
        r->bad = 1;
        return;
    }
    a->family = (uint8_t)k[0];
    memcpy(a->a, k + 1, 16);
    *port = (uint16_t)((uint8_t)k[17] << 8 | (uint8_t)k[18]);
}

#define GET_STR(field) get_text(s, &r, f->field, sizeof f->field)

int diag_spill_get(diag_spill *s, const unsigned char *in, size_t len, diag_facts *f) {
    rd r = {in, in + len, 0};
    memset(f, 0, sizeof *f);
    uint64_t m = get_uv(&r);
    f->seq = s->seq + (HAS(P_SEQ) ? (uint64_t)get_sv(&r) : 0);
    f->car1 = (uint32_t)get_uv(&r);
    f->pair1 = (uint32_t)get_uv(&r);
    f->start = (sx_time)((uint64_t)s->start + (uint64_t)get_sv(&r));
    if (HAS(P_CALL_ID)) get_callid(s, &r, f->call_id, sizeof f->call_id);
    if (HAS(P_CALLER)) GET_STR(caller);
    if (HAS(P_RAW)) GET_STR(caller_raw);
    if (HAS(P_RAW_PLUS)) f->caller_raw[0] = '+', memcpy(f->caller_raw + 1, f->caller, sizeof f->caller);
    if (HAS(P_CALLEE)) GET_STR(callee);
    if (HAS(P_HOP)) get_addr(s, &r, &f->next_hop, &f->next_hop_port);
    if (HAS(P_FINAL)) get_addr(s, &r, &f->final_addr, &f->final_port);
    if (HAS(P_FINAL_SAME)) f->final_addr = f->next_hop, f->final_port = f->next_hop_port;
    if (HAS(P_CODE)) f->final_code = (uint16_t)get_uv(&r);
    if (HAS(P_PHRASE)) GET_STR(phrase);
    f->q850 = (int16_t)(HAS(P_Q850) ? get_sv(&r) : -1);
    f->sip_cause = (int16_t)(HAS(P_SIP_CAUSE) ? get_sv(&r) : -1);
    f->stir_cause = (int16_t)(HAS(P_STIR_CAUSE) ? get_sv(&r) : -1);
    f->final_ms = (int32_t)(HAS(P_FINAL_MS) ? get_sv(&r) : -1);
    f->first_18x_ms = (int32_t)(HAS(P_18X_MS) ? get_sv(&r) : -1);
    f->answer_ms = (int32_t)(HAS(P_ANSWER_MS) ? get_sv(&r) : HAS(P_ANSWER_SAME) ? f->final_ms : -1);
    f->talk_ms = (int32_t)(HAS(P_TALK_MS) ? get_sv(&r) : -1);
    if (HAS(P_BOOLS)) {
        uint64_t b = get_uv(&r);
        if (b >> SP_NBOOL) r.bad = 1;
        for (int i = 0; b && i < SP_NBOOL; i++, b >>= 1) *bool_at(f, i) = (uint8_t)(b & 1);
    }
    if (HAS(P_BYTES))
        for (int i = 0; i < SP_NBOOL; i++) *bool_at(f, i) = (uint8_t)get_u8(&r);
    if (HAS(P_END)) f->end = (uint8_t)get_u8(&r);
    if (HAS(P_ENDED_BY)) f->ended_by = (uint8_t)get_u8(&r);
    if (HAS(P_RETRANS)) f->invite_retransmissions = (uint16_t)get_uv(&r);
    if (HAS(P_IDENT)) f->has_identity = (uint8_t)get_u8(&r);
    if (HAS(P_ATTEST)) f->attest = (char)get_u8(&r);
    f->signature = (int8_t)(HAS(P_SIGNATURE) ? (int8_t)get_u8(&r) : -1);
    if (HAS(P_FINDINGS)) f->stir_findings = get_uv(&r);
    f->iat_age_s = HAS(P_IAT) ? get_sv(&r) : INT64_MIN;
    if (HAS(P_BLOCKED_BY)) GET_STR(blocked_by_party);
    if (HAS(P_REDRESS)) GET_STR(redress);
    f->implied_stir = (int8_t)(HAS(P_IMPLIED_STIR) ? (int8_t)get_u8(&r) : -1);
    if (HAS(P_VERSTAT)) f->verstat = (uint8_t)get_u8(&r);
    if (HAS(P_HOPS)) f->hops = (uint8_t)get_u8(&r);
    if (HAS(P_SRC)) GET_STR(caller_src);
    if (HAS(P_ORIG)) GET_STR(orig_tn);
    if (HAS(P_ORIG_SAME)) memcpy(f->orig_tn, f->caller, sizeof f->orig_tn);
    if (HAS(P_DEST)) GET_STR(dest_tn);
    if (HAS(P_DEST_SAME)) memcpy(f->dest_tn, f->callee, sizeof f->dest_tn);
    if (HAS(P_SERVER)) GET_STR(server);
    if (HAS(P_REASON_LINE)) GET_STR(reason_line);
    if (HAS(P_IMPLIED_CODE)) f->implied_code = (uint16_t)get_uv(&r);
    if (r.bad || r.p != r.end || (m >> P__COUNT)) return -1;
    s->seq = f->seq + 1;
    s->start = f->start;
    return 0;
}
