/* decode.c -- Identity header value -> stir_passport (RFC 8224 §4, RFC 8225, RFC 8588).
 *
 *   Identity: <b64url(header)>.<b64url(claims)>.<b64url(signature)>;info=<URL>;alg=ES256;ppt=shaken
 *
 * Every string is copied into the passport's fixed buffers (bounded; too long = malformed).
 * Real-world deviations that verifiers commonly tolerate (padding, '+/', claims as JSON
 * strings, a string iat) are accepted and recorded as findings in p->decoded.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "stir_int.h"

/* Copies a view into a fixed buffer; -1 if it does not fit. */
static int copy_sv(char *dst, size_t cap, const char *src, size_t n) {
    if (n >= cap) return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* cJSON_IsString() and kin are calls into the shared library (through the PLT) for one
 * test of the type byte, as cJSON itself does it; a dozen per PASSporT. */
static int is_type(const cJSON *v, int type) { return v && (v->type & 0xFF) == type; }

static int is_lws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* ---- Identity parameters: ;info=<URL>;alg=ES256;ppt=shaken (RFC 8224 §4) ---- */

static sx_sv unquote(sx_sv v) {
    if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') return sx_sv_make(v.p + 1, v.n - 2);
    return v;
}

/* info=<absoluteURI>: keeps the URL between the brackets. Text after '>' that is not a new
 * parameter (Asterisk 2020 wrote "info=<...>alg=ES256") is a finding, not a failure. */
static int param_info(stir_passport *p, sx_sv v) {
    v = sx_sv_trim(v);
    if (v.n >= 1 && v.p[0] == '<') {
        const char *gt = memchr(v.p, '>', v.n);
        if (!gt) {
            stir_set(&p->decoded, STIR_F_info_malformed);
            return copy_sv(p->info, sizeof p->info, v.p + 1, v.n - 1);
        }
        if ((size_t)(gt - v.p) + 1 != v.n) stir_set(&p->decoded, STIR_F_info_malformed);
        return copy_sv(p->info, sizeof p->info, v.p + 1, (size_t)(gt - v.p) - 1);
    }
    stir_set(&p->decoded, STIR_F_info_malformed);
    return copy_sv(p->info, sizeof p->info, v.p, v.n);
}

/* The index of the first '"', '<', '>' or ';' at or after i, or n: most of an info URL is
 * none of them. */
static size_t next_special(const char *p, size_t i, size_t n) {
    static const uint8_t special[256] = {['"'] = 1, ['<'] = 1, ['>'] = 1, [';'] = 1};
#ifdef STIR_SSE2
    for (; n - i >= 16; i += 16) {
        __m128i w = stir_load16(p + i);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(stir_eq16(w, '"'), stir_eq16(w, '<')),
                         _mm_or_si128(stir_eq16(w, '>'), stir_eq16(w, ';'))));
        if (m) return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && !special[(uint8_t)p[i]]) i++;
    return i;
}

/* Length of the next parameter: up to a ';' outside <...> and "..." (an absoluteURI may
 * itself contain ';', RFC 3986 §3.3). */
static size_t param_len(sx_sv s) {
    int in_angle = 0, in_quote = 0;
    for (size_t i = next_special(s.p, 0, s.n); i < s.n; i = next_special(s.p, i + 1, s.n)) {
        char c = s.p[i];
        if (c == '"' && !in_angle) in_quote = !in_quote;
        else if (c == '<' && !in_quote) in_angle = 1;
        else if (c == '>' && !in_quote) in_angle = 0;
        else if (c == ';' && !in_angle && !in_quote) return i;
    }
    return s.n;
}

/* Splits the ";name=value" list (RFC 8224 §4 ident-info-params). */
static int parse_params(stir_passport *p, sx_sv s) {
    while (s.n > 0) {
        size_t len = param_len(s);
        const char *semi = len < s.n ? s.p + len : NULL;
        sx_sv item = sx_sv_trim(sx_sv_make(s.p, len));
        s = semi ? sx_sv_make(semi + 1, s.n - len - 1) : SX_SV_NULL;
        const char *eq = memchr(item.p, '=', item.n);
        if (!eq) continue; /* a bare flag: no meaning in RFC 8224 */
        sx_sv name = sx_sv_trim(sx_sv_make(item.p, (size_t)(eq - item.p)));
        sx_sv val = sx_sv_trim(sx_sv_make(eq + 1, item.n - (size_t)(eq - item.p) - 1));
        int rc = 0;
        if (sx_sv_ieq(name, "info")) {
            p->present |= STIR_P_INFO;
            rc = param_info(p, val);
        } else if (sx_sv_ieq(name, "alg")) {
            p->present |= STIR_P_ALG_PARAM;
            val = unquote(val);
            rc = copy_sv(p->alg_param, sizeof p->alg_param, val.p, val.n);
        } else if (sx_sv_ieq(name, "ppt")) {
            p->present |= STIR_P_PPT_PARAM;
            val = unquote(val); /* RFC 8224 §4: ppt may be quoted */
            rc = copy_sv(p->ppt_param, sizeof p->ppt_param, val.p, val.n);
        }
        if (rc) return STIR_ETOOLONG;
    }
    return 0;
}

/* ---- JSON helpers ---- */

static size_t str_len(const cJSON *v) { return strlen(v->valuestring); }

/* Copies a string member. Returns 1 present, 0 absent, STIR_ETOOLONG. A non-string value is
 * kept as present and empty, so the checks report it (e.g. attest_invalid) rather than
 * the decoder rejecting the whole PASSporT. */
static int str_member(const cJSON *v, char *dst, size_t cap) {
    dst[0] = '\0';
    if (!v) return 0;
    if (!is_type(v, cJSON_String)) return 1;
    return copy_sv(dst, cap, v->valuestring, str_len(v)) ? STIR_ETOOLONG : 1;
}

static int get_str(const cJSON *obj, const char *key, char *dst, size_t cap) {
    return str_member(stir_json_get(obj, key), dst, cap);
}

/* orig/dest/div should be objects; old libstirshaken wrote them as JSON strings holding the
 * object text. Returns the object (*owned set when it was parsed here and must be freed), or
 * NULL (absent or not an object). */
static const cJSON *get_obj(stir_passport *p, const cJSON *v, int *bad, cJSON **owned) {
    *owned = NULL;
    if (!v) return NULL;
    if (is_type(v, cJSON_Object)) return v;
    if (is_type(v, cJSON_String)) {
        cJSON *o = stir_json_parse(v->valuestring, str_len(v));
        if (is_type(o, cJSON_Object)) {
            stir_set(&p->decoded, STIR_F_claims_as_string);
            *owned = o;
            return o;
        }
        stir_json_free(o);
    }
    *bad = 1;
    return NULL;
}

/* ---- Header and claims ---- */

static int decode_header(stir_passport *p, const cJSON *h) {
    static const struct { const char *key; size_t off, cap; unsigned bit; } f[] = {
        {"alg", offsetof(stir_passport, alg), sizeof ((stir_passport *)0)->alg, STIR_P_ALG},
        {"typ", offsetof(stir_passport, typ), sizeof ((stir_passport *)0)->typ, STIR_P_TYP},
        {"ppt", offsetof(stir_passport, ppt), sizeof ((stir_passport *)0)->ppt, STIR_P_PPT},
        {"x5u", offsetof(stir_passport, x5u), sizeof ((stir_passport *)0)->x5u, STIR_P_X5U},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        int rc = get_str(h, f[i].key, (char *)p + f[i].off, f[i].cap);
        if (rc < 0) return rc;
        if (rc) p->present |= f[i].bit;
    }
    return 0;
}

/* iat: NumericDate (RFC 7519 §2), possibly non-integer; the pre-RFC draft and RFC 8588 §6's
 * example print it as a string. An integer is taken exactly; a real within +-1e15 is
 * truncated, a larger real is invalid. Below 1e15 both readings agree on the double, so
 * only larger values look at the token text. */
static void decode_iat(stir_passport *p, const cJSON *c, const cJSON *v) {
    if (!v) return;
    p->present |= STIR_P_IAT;
    int64_t i;
    if (is_type(v, cJSON_Number)) {
        double d = v->valuedouble;
        if (d > -1e15 && d < 1e15) p->iat = (int64_t)d;
        else if (stir_json_int(c, p->claims_json, p->claims_len, v, &i)) p->iat = i;
        else stir_set(&p->decoded, STIR_F_iat_invalid);
    } else if (is_type(v, cJSON_String)) {
        stir_set(&p->decoded, STIR_F_iat_as_string);
        uint64_t n;
        if (sx_sv_u64(sx_sv_make(v->valuestring, str_len(v)), (uint64_t)1 << 40, &n) == 0)
            p->iat = (int64_t)n;
        else
            stir_set(&p->decoded, STIR_F_iat_invalid);
    } else {
        stir_set(&p->decoded, STIR_F_iat_invalid);
    }
}

/* orig {"tn":..} or {"uri":..}; div likewise (RFC 8946 §3). */
static int decode_party(stir_passport *p, const cJSON *member, char *tn, char *uri,
                        unsigned tn_bit, unsigned uri_bit) {
    int bad = 0;
    cJSON *owned;
    const cJSON *o = get_obj(p, member, &bad, &owned);
    if (bad) return STIR_ECLAIMTYPE;
    if (!o) return 0;
    int rc = get_str(o, "tn", tn, STIR_MAX_TN);
    if (rc > 0) p->present |= tn_bit;
    int rc2 = rc < 0 ? 0 : get_str(o, "uri", uri, STIR_MAX_URL);
    if (rc2 > 0) p->present |= uri_bit;
    stir_json_free(owned);
    return rc < 0 ? rc : rc2 < 0 ? rc2 : 0;
}

/* Copies a tn/uri list: an array of strings, or (dest_tn_not_array) a lone string. */
static int copy_list(stir_passport *p, const cJSON *v, char *dst, size_t cap, int *count) {
    if (!v) return 0;
    if (is_type(v, cJSON_String)) {
        stir_set(&p->decoded, STIR_F_dest_tn_not_array);
        return 1; /* the caller copies the single string */
    }
    if (!is_type(v, cJSON_Array)) return STIR_ECLAIMTYPE;
    int size = 0; /* cJSON_GetArraySize, without the library call */
    for (const cJSON *e = v->child; e && size <= STIR_MAX_DEST; e = e->next) size++;
    if (size > STIR_MAX_DEST) return STIR_ETOOLONG;
    for (const cJSON *e = v->child; e; e = e->next) {
        char *slot = dst + (size_t)*count * cap;
        slot[0] = '\0';
        if (is_type(e, cJSON_String) && copy_sv(slot, cap, e->valuestring, str_len(e)))
            return STIR_ETOOLONG;
        (*count)++;
    }
    return 0;
}

static int decode_dest(stir_passport *p, const cJSON *member) {
    int bad = 0;
    cJSON *owned;
    const cJSON *o = get_obj(p, member, &bad, &owned);
    if (bad) return STIR_ECLAIMTYPE;
    if (!o) return 0;
    p->present |= STIR_P_DEST;
    const cJSON *tn = stir_json_get(o, "tn");
    int rc = copy_list(p, tn, &p->dest_tn[0][0], STIR_MAX_TN, &p->n_dest_tn);
    if (rc == 1) {
        rc = copy_sv(p->dest_tn[0], STIR_MAX_TN, tn->valuestring, str_len(tn)) ? STIR_ETOOLONG
                                                                                : 0;
        p->n_dest_tn = rc ? 0 : 1;
    }
    if (rc == 0) {
        const cJSON *uri = stir_json_get(o, "uri");
        rc = copy_list(p, uri, &p->dest_uri[0][0], STIR_MAX_URL, &p->n_dest_uri);
        if (rc == 1) {
            rc = copy_sv(p->dest_uri[0], STIR_MAX_URL, uri->valuestring, str_len(uri))
                     ? STIR_ETOOLONG : 0;
            p->n_dest_uri = rc ? 0 : 1;
        }
    }
    stir_json_free(owned);
    return rc;
}

/* RFC 9795: "rcd" object (nam = display name) and "crn" call reason. */
static int decode_rcd(stir_passport *p, const cJSON *rcd, const cJSON *crn) {
    if (rcd) {
        p->present |= STIR_P_RCD;
        if (is_type(rcd, cJSON_Object) && get_str(rcd, "nam", p->rcd_nam, sizeof p->rcd_nam) < 0)
            return STIR_ETOOLONG;
    }
    int rc = str_member(crn, p->crn, sizeof p->crn);
    if (rc > 0) p->present |= STIR_P_CRN;
    return rc < 0 ? rc : 0;
}

/* The claims this decoder reads, found in one walk over the members (the last of a repeated
 * key wins, as with stir_json_get) instead of one walk per claim. */
typedef struct claim_refs {
    const cJSON *attest, *origid, *iat, *orig, *div, *dest, *rcd, *crn;
} claim_refs;

static void find_claims(const cJSON *c, claim_refs *k) {
    memset(k, 0, sizeof *k);
    for (const cJSON *m = c->child; m; m = m->next) {
        const char *s = m->string;
        if (!s) continue;
        switch (s[0]) {
        case 'a': if (!strcmp(s, "attest")) k->attest = m; break;
        case 'c': if (!strcmp(s, "crn")) k->crn = m; break;
        case 'd':
            if (!strcmp(s, "dest")) k->dest = m;
            else if (!strcmp(s, "div")) k->div = m;
            break;
        case 'i': if (!strcmp(s, "iat")) k->iat = m; break;
        case 'o':
            if (!strcmp(s, "orig")) k->orig = m;
            else if (!strcmp(s, "origid")) k->origid = m;
            break;
        case 'r': if (!strcmp(s, "rcd")) k->rcd = m; break;
        default: break;
        }
    }
}

static int decode_claims(stir_passport *p, const cJSON *c) {
    claim_refs k;
    find_claims(c, &k);
    int rc = str_member(k.attest, p->attest, sizeof p->attest);
    if (rc < 0) return rc;
    if (rc) p->present |= STIR_P_ATTEST;
    rc = str_member(k.origid, p->origid, sizeof p->origid);
    if (rc < 0) return rc;
    if (rc) p->present |= STIR_P_ORIGID;
    decode_iat(p, c, k.iat);
    rc = decode_party(p, k.orig, p->orig_tn, p->orig_uri, STIR_P_ORIG_TN, STIR_P_ORIG_URI);
    if (rc) return rc;
    if (k.div) {
        p->present |= STIR_P_DIV;
        rc = decode_party(p, k.div, p->div_tn, p->div_uri, 0, 0);
        if (rc) return rc;
    }
    rc = decode_dest(p, k.dest);
    if (rc) return rc;
    return decode_rcd(p, k.rcd, k.crn);
}

/* Decodes one base64 segment into dst (NUL-terminated for JSON text); 0, or -1. */
static int segment_text(stir_passport *p, sx_sv seg, char *dst, size_t cap, size_t *len) {
    int nonstd = 0;
    long n = stir_b64_decode(seg.p, seg.n, (uint8_t *)dst, cap - 1, &nonstd);
    if (n < 0) return -1;
    if (nonstd) stir_set(&p->decoded, STIR_F_nonstandard_base64);
    dst[n] = '\0';
    *len = (size_t)n;
    return 0;
}

/* A JSON object text's tree, or NULL (not JSON, or not an object). */
static cJSON *parse_object(const char *text, size_t n) {
    cJSON *o = stir_json_parse(text, n);
    if (o && !is_type(o, cJSON_Object)) {
        stir_json_free(o);
        o = NULL;
    }
    return o;
}

/* Decodes one base64 segment into dst and parses it as a JSON object; the object or NULL. */
static cJSON *segment_json(stir_passport *p, sx_sv seg, char *dst, size_t cap, size_t *len) {
    return segment_text(p, seg, dst, cap, len) == 0 ? parse_object(dst, *len) : NULL;
}

/* ---- JOSE header cache ----
 * A signer puts the same header ({"alg","ppt","typ","x5u"}) on every PASSporT it signs, so
 * a capture holds few distinct headers, one per certificate, and parsing them again costs
 * as much as the claims. What the header yields is a function of the segment's bytes alone,
 * so a successful decode is kept per thread (decoding runs on several threads with -j N),
 * keyed by those exact bytes; failures are not kept and take the full path each time. */
#define HDR_CACHE_N 4
#define HDR_KEY_MAX 512 /* longer segments are not cached */

typedef struct hdr_entry {
    size_t key_len; /* 0: empty slot */
    char key[HDR_KEY_MAX];
    size_t json_len;
    char json[HDR_KEY_MAX / 4 * 3 + 1]; /* the decoded text of a key of at most HDR_KEY_MAX */
    unsigned present;                   /* the STIR_P_{ALG,TYP,PPT,X5U} bits */
    int nonstd;
    char alg[sizeof ((stir_passport *)0)->alg], typ[sizeof ((stir_passport *)0)->typ];
    char ppt[sizeof ((stir_passport *)0)->ppt], x5u[STIR_MAX_URL];
    size_t x5u_len;                     /* strlen(x5u): applied without measuring it again */
} hdr_entry;

static _Thread_local struct {
    hdr_entry e[HDR_CACHE_N];
    unsigned next; /* round-robin victim */
} hdr_cache;

enum { HDR_BITS = STIR_P_ALG | STIR_P_TYP | STIR_P_PPT | STIR_P_X5U };

static void hdr_apply(stir_passport *p, const hdr_entry *e) {
    memcpy(p->header_json, e->json, e->json_len + 1);
    p->header_len = e->json_len;
    p->present |= e->present;
    if (e->nonstd) stir_set(&p->decoded, STIR_F_nonstandard_base64);
    memcpy(p->alg, e->alg, sizeof p->alg);
    memcpy(p->typ, e->typ, sizeof p->typ);
    memcpy(p->ppt, e->ppt, sizeof p->ppt);
    memcpy(p->x5u, e->x5u, e->x5u_len + 1);
}

static void hdr_store(const stir_passport *p, sx_sv seg, int nonstd) {
    hdr_entry *e = &hdr_cache.e[hdr_cache.next++ % HDR_CACHE_N];
    memcpy(e->key, seg.p, seg.n);
    e->key_len = seg.n;
    memcpy(e->json, p->header_json, p->header_len + 1);
    e->json_len = p->header_len;
    e->present = p->present & HDR_BITS;
    e->nonstd = nonstd;
    memcpy(e->alg, p->alg, sizeof e->alg);
    memcpy(e->typ, p->typ, sizeof e->typ);
    memcpy(e->ppt, p->ppt, sizeof e->ppt);
    e->x5u_len = strlen(p->x5u);
    memcpy(e->x5u, p->x5u, e->x5u_len + 1);
}

/* The JOSE header segment -> header_json, alg/typ/ppt/x5u, from the cache when seen. */
static int header_cached(stir_passport *p, sx_sv seg) {
    int cacheable = seg.n > 0 && seg.n <= HDR_KEY_MAX;
    for (int i = 0; cacheable && i < HDR_CACHE_N; i++) {
        const hdr_entry *e = &hdr_cache.e[i];
        if (e->key_len == seg.n && memcmp(e->key, seg.p, seg.n) == 0) {
            hdr_apply(p, e);
            return 0;
        }
    }
    int had_nonstd = stir_has(&p->decoded, STIR_F_nonstandard_base64);
    p->decoded.bits &= ~((uint64_t)1 << STIR_F_nonstandard_base64);
    cJSON *h = segment_json(p, seg, p->header_json, sizeof p->header_json, &p->header_len);
    int rc = h ? decode_header(p, h) : STIR_EHEADER;
    stir_json_free(h);
    int nonstd = stir_has(&p->decoded, STIR_F_nonstandard_base64);
    if (had_nonstd) stir_set(&p->decoded, STIR_F_nonstandard_base64);
    if (rc == 0 && cacheable) hdr_store(p, seg, nonstd);
    return rc;
}

/* Copies s without white space (a folded or re-wrapped header), 16 or 8 bytes at a time
 * while no byte is below '!' (every LWS byte is). Returns the length; *folded set if any was
 * removed. */
static size_t strip_lws(const char *s, size_t n, char *out, int *folded) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0, o = 0;
    while (i < n) {
        uint64_t w;
#ifdef STIR_SSE2
        /* the usual token has no white space at all: 32 bytes per step while none shows */
        if (n - i >= 32) {
            __m128i x = stir_load16(s + i), y = stir_load16(s + i + 16);
            const __m128i bang = _mm_set1_epi8('!');
            if (!_mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(x, bang), _mm_cmplt_epi8(y, bang)))) {
                _mm_storeu_si128((__m128i *)(void *)(out + o), x);
                _mm_storeu_si128((__m128i *)(void *)(out + o + 16), y);
                i += 32, o += 32;
                continue;
            }
        }
        if (n - i >= 16) {
            __m128i x = stir_load16(s + i);
            if (!stir_below16(x, '!')) {
                _mm_storeu_si128((__m128i *)(void *)(out + o), x);
                i += 16, o += 16;
                continue;
            }
        }
#endif
        if (n - i >= 8 && (memcpy(&w, s + i, 8), ((w - ones * '!') & ~w & highs) == 0)) {
            memcpy(out + o, &w, 8);
            i += 8, o += 8;
            continue;
        }
        char c = s[i++];
        if (is_lws(c)) *folded = 1;
        else out[o++] = c;
    }
    return o;
}

/* Splits the token (white space removed) into its three segments. */
static int split_token(sx_sv tok, char *clean, size_t *clen, sx_sv seg[3], stir_passport *p) {
    int folded = 0;
    size_t n = strip_lws(tok.p, tok.n, clean, &folded);
    if (folded) stir_set(&p->decoded, STIR_F_identity_folded);
    *clen = n;
    const char *d1 = memchr(clean, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - clean)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - clean))) return STIR_ESEGMENTS;
    seg[0] = sx_sv_make(clean, (size_t)(d1 - clean));
    seg[1] = sx_sv_make(d1 + 1, (size_t)(d2 - d1 - 1));
    seg[2] = sx_sv_make(d2 + 1, n - (size_t)(d2 + 1 - clean));
    if (seg[0].n == 0 || seg[2].n == 0) return STIR_ESEGMENTS;
    return 0;
}

/* The signature segment -> p->sig (its first STIR_MAX_SIG bytes) and p->sig_len. An ES256
 * signature (86 digits) decodes straight into p->sig; only an outsized one needs the large
 * scratch, kept out of decode_jws's frame so the usual path touches no extra stack. */
static __attribute__((noinline)) long decode_big_sig(stir_passport *p, sx_sv seg, int *nonstd) {
    uint8_t sig[STIR_MAX_IDENTITY];
    long sn = stir_b64_decode(seg.p, seg.n, sig, sizeof sig, nonstd);
    if (sn > 0) memcpy(p->sig, sig, sn > STIR_MAX_SIG ? STIR_MAX_SIG : (size_t)sn);
    return sn;
}

static int decode_sig(stir_passport *p, sx_sv seg) {
    int nonstd = 0;
    /* n digits decode to at most n / 4 * 3 + 2 bytes */
    long sn = seg.n / 4 * 3 + 2 <= STIR_MAX_SIG ? stir_b64_decode(seg.p, seg.n, p->sig, STIR_MAX_SIG, &nonstd)
                                                : decode_big_sig(p, seg, &nonstd);
    if (sn < 0) return STIR_EBASE64;
    if (nonstd) stir_set(&p->decoded, STIR_F_nonstandard_base64);
    p->sig_len = (size_t)sn;
    if (sn != 64) stir_set(&p->decoded, STIR_F_signature_length);
    return 0;
}

static int decode_jws(stir_passport *p, sx_sv tok) {
    /* The token is cleaned straight into signing_input: the signature covers the received
     * ASCII "header.payload" (RFC 7515 §5.2 step 8), i.e. the clean token up to its second
     * dot, which is cut there once the signature segment after it has been decoded. */
    size_t clen;
    sx_sv seg[3];
    int rc = split_token(tok, p->signing_input, &clen, seg, p);
    if (rc) {
        p->signing_input[0] = '\0'; /* as passport_reset left it */
        return rc;
    }
    rc = decode_sig(p, seg[2]);
    p->signing_len = seg[0].n + 1 + seg[1].n;
    p->signing_input[p->signing_len] = '\0';
    if (rc) return rc;

    rc = header_cached(p, seg[0]);
    if (rc) return rc;
    if (seg[1].n == 0) { /* compact form: claims rebuilt from SIP (RFC 8224 §4.1.1) */
        stir_set(&p->decoded, STIR_F_compact_form);
        return 0;
    }
    if (segment_text(p, seg[1], p->claims_json, sizeof p->claims_json, &p->claims_len) != 0)
        return STIR_ECLAIMS;
    /* the usual claims straight from the text (claims.c), anything else through cJSON */
    if (stir_claims_fast(p, p->claims_json, p->claims_len)) return 0;
    cJSON *c = parse_object(p->claims_json, p->claims_len);
    if (!c) return STIR_ECLAIMS;
    rc = decode_claims(p, c);
    stir_json_free(c);
    return rc;
}

/* Clears only what the decoder relies on being empty; the big buffers are written before
 * they are read (lengths stay 0 until then). */
static void passport_reset(stir_passport *p) {
    p->status = 0;
    p->present = 0;
    p->info[0] = p->alg_param[0] = p->ppt_param[0] = '\0';
    p->alg[0] = p->typ[0] = p->ppt[0] = p->x5u[0] = '\0';
    p->attest[0] = p->orig_tn[0] = p->orig_uri[0] = p->origid[0] = '\0';
    p->div_tn[0] = p->div_uri[0] = p->rcd_nam[0] = p->crn[0] = '\0';
    p->n_dest_tn = p->n_dest_uri = 0;
    p->iat = 0;
    p->sig_len = p->signing_len = p->header_len = p->claims_len = 0;
    p->signing_input[0] = p->header_json[0] = p->claims_json[0] = '\0';
    memset(&p->decoded, 0, sizeof p->decoded);
}

int stir_decode(sx_sv value, stir_passport *p) {
    passport_reset(p);
    stir_jarena_begin(); /* every cJSON tree below is deleted before stir_jarena_end() */
    int rc;
    if (value.n > STIR_MAX_IDENTITY) {
        rc = STIR_ETOOBIG;
    } else {
        value = sx_sv_trim(value);
        const char *semi = value.n ? memchr(value.p, ';', value.n) : NULL;
        sx_sv tok = semi ? sx_sv_make(value.p, (size_t)(semi - value.p)) : value;
        rc = tok.n == 0 ? STIR_EEMPTY : 0;
        if (rc == 0 && semi) {
            p->present |= STIR_P_PARAMS;
            rc = parse_params(p, sx_sv_make(semi + 1, value.n - tok.n - 1));
        }
        if (rc == 0) rc = decode_jws(p, tok);
    }
    stir_jarena_end();
    p->status = rc;
    if (rc) {
        stir_set(&p->decoded, STIR_F_malformed_identity);
        p->decoded.decode_err = rc;
    }
    return rc;
}
