/* claims.c -- the usual SHAKEN claims object read straight from its text.
 *
 * Nearly every PASSporT carries the same five claims (RFC 8588 §4, RFC 8225 §5): attest,
 * dest {"tn":[..]}, iat, orig {"tn":..} and origid, as compact JSON without escapes. Building
 * the cJSON tree for them and walking it cost ~2,500 instructions a PASSporT; this reads
 * them in one pass. It takes only that shape: attest and origid strings, an integer iat of
 * at most 15 digits, orig with a tn and/or uri string, dest with tn and/or uri arrays of at
 * most STIR_MAX_DEST strings, each member at most once, no other member, no escape, every
 * value fitting its field. Anything else returns 0 before p is touched, and decode.c's
 * general path decides: this is a shortcut, not a second set of rules (test_stir checks
 * that both give the same passport). A claim decode.c learns to read stays "anything else"
 * here until it is added to both. */
#include <stddef.h>
#include <string.h>

#include "stir_int.h"

typedef struct cur { const uint8_t *p, *e; } cur;

/* The next token (after white space) is ch: consumed, 1. */
static int take(cur *c, uint8_t ch) {
    c->p = stir_json_ws(c->p, c->e);
    if (c->p >= c->e || *c->p != ch) return 0;
    c->p++;
    return 1;
}

/* A string without escapes that fits a field of cap bytes (NUL included). */
static int str(cur *c, sx_sv *out, size_t cap) {
    c->p = stir_json_ws(c->p, c->e);
    if (c->p >= c->e || *c->p != '"') return 0;
    return (c->p = stir_json_plain_str(c->p, c->e, out)) != NULL && out->n < cap;
}

/* After a value: 1 at ',' (more follow), 0 at the closing bracket, -1 otherwise. */
static int next(cur *c, uint8_t close) {
    if (take(c, ',')) return 1;
    return take(c, close) ? 0 : -1;
}

static int is(sx_sv k, const char *lit) { return k.n == strlen(lit) && memcmp(k.p, lit, k.n) == 0; }

typedef struct list { sx_sv v[STIR_MAX_DEST]; int n; } list;

typedef struct claims {
    int has_attest, has_origid, has_iat, has_orig, has_dest;
    sx_sv attest, origid;
    int64_t iat;
    int has_orig_tn, has_orig_uri, has_dest_tn, has_dest_uri;
    sx_sv orig_tn, orig_uri;
    list dest_tn, dest_uri;
} claims;

/* ["...", ...]: at most STIR_MAX_DEST strings (decode.c: more is too long). */
static int str_list(cur *c, list *l, size_t cap) {
    l->n = 0;
    if (!take(c, '[')) return 0;
    if (take(c, ']')) return 1;
    for (int more = 1; more;) {
        if (l->n == STIR_MAX_DEST || !str(c, &l->v[l->n], cap)) return 0;
        l->n++;
        if ((more = next(c, ']')) < 0) return 0;
    }
    return 1;
}

/* Once: *seen is set, 0 if it already was (a repeated member is the general path's). */
static int once(int *seen) { return !*seen && (*seen = 1); }

/* orig: {"tn":"..."} and/or {"uri":"..."}. */
static int orig_member(cur *c, sx_sv name, claims *k) {
    if (is(name, "tn")) return once(&k->has_orig_tn) && str(c, &k->orig_tn, STIR_MAX_TN);
    if (is(name, "uri")) return once(&k->has_orig_uri) && str(c, &k->orig_uri, STIR_MAX_URL);
    return 0;
}

/* dest: {"tn":[...]} and/or {"uri":[...]}. */
static int dest_member(cur *c, sx_sv name, claims *k) {
    if (is(name, "tn")) return once(&k->has_dest_tn) && str_list(c, &k->dest_tn, STIR_MAX_TN);
    if (is(name, "uri")) return once(&k->has_dest_uri) && str_list(c, &k->dest_uri, STIR_MAX_URL);
    return 0;
}

/* {"name":value, ...} with each member read by fn. */
static int object(cur *c, claims *k, int (*fn)(cur *, sx_sv, claims *)) {
    if (!take(c, '{')) return 0;
    if (take(c, '}')) return 1;
    for (int more = 1; more;) {
        sx_sv name;
        if (!str(c, &name, (size_t)-1) || !take(c, ':') || !fn(c, name, k)) return 0;
        if ((more = next(c, '}')) < 0) return 0;
    }
    return 1;
}

static int member(cur *c, sx_sv name, claims *k) {
    if (is(name, "attest"))
        return once(&k->has_attest) && str(c, &k->attest, sizeof ((stir_passport *)0)->attest);
    if (is(name, "origid"))
        return once(&k->has_origid) && str(c, &k->origid, sizeof ((stir_passport *)0)->origid);
    if (is(name, "orig")) return once(&k->has_orig) && object(c, k, orig_member);
    if (is(name, "dest")) return once(&k->has_dest) && object(c, k, dest_member);
    if (is(name, "iat") && once(&k->has_iat)) {
        uint64_t mag;
        int neg;
        c->p = stir_json_ws(c->p, c->e);
        if (!(c->p = stir_json_small_int(c->p, c->e, &mag, &neg))) return 0;
        k->iat = neg ? -(int64_t)mag : (int64_t)mag; /* exact: at most 15 digits */
        return 1;
    }
    return 0;
}

static void put(char *dst, sx_sv v) {
    memcpy(dst, v.p, v.n); /* fits: str() checked */
    dst[v.n] = '\0';
}

/* What decode_claims() sets for the same claims (passport_reset cleared the rest). */
static void commit(stir_passport *p, const claims *k) {
    if (k->has_attest) put(p->attest, k->attest), p->present |= STIR_P_ATTEST;
    if (k->has_origid) put(p->origid, k->origid), p->present |= STIR_P_ORIGID;
    if (k->has_iat) p->iat = k->iat, p->present |= STIR_P_IAT;
    if (k->has_orig_tn) put(p->orig_tn, k->orig_tn), p->present |= STIR_P_ORIG_TN;
    if (k->has_orig_uri) put(p->orig_uri, k->orig_uri), p->present |= STIR_P_ORIG_URI;
    if (!k->has_dest) return;
    p->present |= STIR_P_DEST;
    for (int i = 0; i < k->dest_tn.n; i++) put(p->dest_tn[i], k->dest_tn.v[i]);
    for (int i = 0; i < k->dest_uri.n; i++) put(p->dest_uri[i], k->dest_uri.v[i]);
    p->n_dest_tn = k->dest_tn.n;
    p->n_dest_uri = k->dest_uri.n;
}

int stir_claims_fast(stir_passport *p, const char *text, size_t n) {
    cur c = {(const uint8_t *)text, (const uint8_t *)text + n};
    claims k;
    memset(&k, 0, offsetof(claims, orig_tn)); /* the flags; the views are set before use */
    k.dest_tn.n = k.dest_uri.n = 0;
    if (!object(&c, &k, member) || stir_json_ws(c.p, c.e) != c.e) return 0;
    commit(p, &k);
    return 1;
}
