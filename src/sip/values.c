/* values.c -- typed accessors over raw header values (RFC 3261 §19, §20, §25.1).
 *
 * Every function takes a raw value as sip_parse() stored it (possibly folded: CRLF SP counts
 * as LWS), reads only inside it, and returns views into it. A value holding a comma list is
 * read up to its first top-level comma: iterate with sip_next_value() to get the others.
 */
#include "sip_int.h"

/* ---- small lexical helpers ---- */

static sx_sv span(const char *a, const char *b) { return sx_sv_make(a, (size_t)(b - a)); }

/* memset(d, 0, n) of a result struct (n >= 16, a constant) as sixteen-byte stores, the last
 * one overlapping: gcc makes a memset (or a struct assignment) of 120 bytes and more a
 * rep stos, whose start-up costs more than the stores. */
static inline __attribute__((always_inline)) void clear_struct(void *d, size_t n) {
#if defined(SIP_SSE2)
    char *c = d;
    __m128i z = _mm_setzero_si128();
#pragma GCC unroll 16 /* unrolled stores: else gcc sees the memset again */
    for (size_t i = 0; i + 16 < n; i += 16) _mm_storeu_si128((__m128i *)(void *)(c + i), z);
    _mm_storeu_si128((__m128i *)(void *)(c + n - 16), z);
#else
    memset(d, 0, n);
#endif
}

/* The first list element of a value, trimmed. */
static sx_sv first_elem(sx_sv v) {
    if (!v.p) return sx_sv_make("", 0);
    v.n = sip_list_elem_len(v.p, v.n);
    return sip_trim(v);
}

/* ---- sixteen bytes per step (SSE2, every x86-64 CPU; byte loops elsewhere) ---- */

#if defined(SIP_SSE2)
#define load16 sip_load16
#define eq16 sip_eq16
/* Bytes up to SP: LWS and every CTL but DEL. */
static inline __m128i le_sp16(__m128i x) { return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x); }
/* The bytes that are never inside a URI as written (SIP_CC_URIX: up to SP, DEL, " < >). With
 * bit 1 set, '"' and SP become 0x22, '<' and '>' become 0x3e, and no other byte does: two
 * compares find the four (the scans of URIs and values run this for every sixteen bytes). */
static inline __m128i urix16v(__m128i x) {
    __m128i y = _mm_or_si128(x, _mm_set1_epi8(2));
    __m128i b = _mm_or_si128(le_sp16(x), eq16(x, 0x7f));
    return _mm_or_si128(b, _mm_or_si128(eq16(y, 0x22), eq16(y, 0x3e)));
}
/* Bits of the bytes that end an unquoted parameter value (SIP_CC_PEND: LWS, CTL, ; , " < >). */
static inline unsigned pend16(const char *p) {
    __m128i x = load16(p);
    __m128i b = _mm_or_si128(urix16v(x), _mm_or_si128(eq16(x, ';'), eq16(x, ',')));
    return (unsigned)_mm_movemask_epi8(b);
}
/* Bits of the bytes that are no hostname character (alphanumeric - . _). */
static inline unsigned nonhost16(const char *p) {
    __m128i x = load16(p);
    __m128i alpha = sip_range16(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 25);
    /* - . / 0-9 are one range: drop the '/' from it */
    __m128i dd = _mm_andnot_si128(eq16(x, '/'), sip_range16(x, '-', '9' - '-'));
    __m128i ok = _mm_or_si128(_mm_or_si128(alpha, dd), eq16(x, '_'));
    return (unsigned)_mm_movemask_epi8(ok) ^ 0xffffu;
}
/* Bits of the quotes and backslashes: what a quoted-string scan stops at. */
static inline unsigned quote16(const char *p) {
    __m128i x = load16(p);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(eq16(x, '"'), eq16(x, '\\')));
}
#endif

/* Scans of a class of bytes inside a value [lo, e). Sixteen bytes at a time while they last;
 * then, if the value holds sixteen bytes, the sixteen ending at e (the bytes before the
 * position are dropped from the mask): values end in short runs (";tag=8da1658eec67", a
 * host) that a byte loop would walk one by one. Reads stay within [lo, e). */
#if defined(SIP_SSE2)
typedef unsigned (*cls16_fn)(const char *);
/* Advances q to the first byte whose bit stop16 sets, or to e; or leaves q where the byte
 * loop of the caller must go on (fewer than sixteen bytes in the value). */
static inline __attribute__((always_inline)) const char *scan16(const char *q, const char *e,
                                                                const char *lo,
                                                                cls16_fn stop16) {
    for (; e - q >= 16; q += 16) {
        unsigned m = stop16(q);
        if (m) return q + __builtin_ctz(m);
    }
    if (q < e && e - lo >= 16) {
        unsigned m = stop16(e - 16) >> (16 - (e - q));
        return m ? q + __builtin_ctz(m) : e;
    }
    return q;
}
#define SIP_SCAN16(q, e, lo, stop16) ((q) = scan16((q), (e), (lo), (stop16)))
#else
#define SIP_SCAN16(q, e, lo, stop16) ((void)(lo))
#endif

/* The end of the run of token characters at p: letters, digits and '-' sixteen at a time,
 * the other token characters (. ! % * _ + ` ' ~) by the byte loop after. */
static const char *skip_token_in(const char *p, const char *e, const char *lo) {
    SIP_SCAN16(p, e, lo, sip_nonalnum16);
    while (p < e && sip_is(*p, SIP_CC_TOKEN)) p++;
    return p;
}
static const char *skip_token(const char *p, const char *e) { return skip_token_in(p, e, p); }

#if defined(SIP_SSE2)
static inline unsigned gt16(const char *p) { return (unsigned)_mm_movemask_epi8(eq16(load16(p), '>')); }
#endif

/* The first byte c in [q, e), or NULL (memchr without the call, for short distances). */
#define SIP_FIND16(name, c, cls16)                                                         \
    static const char *name(const char *q, const char *e, const char *lo) {                \
        SIP_SCAN16(q, e, lo, cls16);                                                       \
        while (q < e && *q != (c)) q++;                                                    \
        return q < e ? q : NULL;                                                           \
    }
SIP_FIND16(find_gt, '>', gt16)


/* p is at '"'; returns the byte after the closing quote, NULL if unterminated. */
static const char *skip_quoted(const char *p, const char *e) {
    for (p++; p < e; p++) {
#if defined(SIP_SSE2)
        for (unsigned m; e - p >= 16; p += 16) /* to the next '"' or '\\' */
            if ((m = quote16(p)) != 0) {
                p += __builtin_ctz(m);
                break;
            }
        if (p == e) break;
#endif
        if (*p == '\\') {
            if (++p == e) return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* ASCII case-insensitive a == b, as sx_sv_ieq(). Runs for every parameter name against every
 * name wanted, so the lengths are compared first. */
static unsigned lower(unsigned char c) { return c | ((unsigned)((unsigned)c - 0x41u < 26u) << 5); }
static int name_ieq(sx_sv a, sx_sv b) {
    if (a.n != b.n || ((a.p[0] ^ b.p[0]) & ~0x20)) return 0; /* a necessary condition first */
    for (size_t i = 0; i < a.n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i])) return 0;
    return 1;
}

static int has_lws(sx_sv v) {
    for (size_t i = 0; i < v.n; i++)
        if (sip_is(v.p[i], SIP_CC_LWS)) return 1;
    return 0;
}

/* ---- generic-param lists: *( SEMI name [ EQUAL value ] ), RFC 3261 §25.1 ---- */

/* The end of an unquoted parameter value at q: LWS, CTL, ; , " < > end it. A branch= value
 * is some 30 bytes. */
static inline __attribute__((always_inline)) const char *skip_pvalue(const char *q, const char *e,
                                                                     const char *lo) {
#if defined(SIP_SSE2)
    /* pend16() is SIP_CC_PEND exactly, so where a value of sixteen bytes stops is final:
     * the byte loop would only test the stop again. */
    if (e - lo >= 16) return scan16(q, e, lo, pend16);
#else
    (void)lo;
#endif
    while (q < e && !sip_is(*q, SIP_CC_PEND)) q++;
    return q;
}

/* One parameter at p. The value is a quoted-string (returned without its quotes), a <URI>
 * (returned without its brackets) or a run of characters up to ';', ',', LWS or a
 * delimiter. Returns the end of the parameter or NULL. */
static const char *param_at(const char *p, const char *e, const char *lo, sx_sv *name,
                                   sx_sv *val) {
    const char *n1 = skip_token_in(p, e, lo);
    if (n1 == p) return NULL; /* empty name: ";;" (RFC 4475 §3.1.2.1) */
    *name = span(p, n1);
    *val = sx_sv_make(n1, 0);
    const char *q = sip_skip_lws(n1, e);
    if (q == e || *q != '=') return n1;
    q = sip_skip_lws(q + 1, e);
    if (q < e && *q == '"') {
        const char *z = skip_quoted(q, e);
        if (!z) return NULL;
        *val = span(q + 1, z - 1);
        return z;
    }
    if (q < e && *q == '<') { /* info=<absoluteURI> (RFC 8224 §4) */
        const char *z = memchr(q, '>', (size_t)(e - q));
        if (!z) return NULL;
        *val = span(q + 1, z);
        return z + 1;
    }
    *val = span(q, skip_pvalue(q, e, lo));
    return val->p + val->n;
}

/* A parameter name the accessors look for: lower-case letters only, at most 8, kept as the
 * word a load of the same bytes gives, so one compare decides (sip_ieq_word). */
typedef struct {
    uint8_t n;
    union { char c[8]; uint64_t w; } u;
} pname;

/* The n (1..8) bytes at p as a word, zero above them; reads stay within [lo, e). */
static uint64_t load_upto8(const char *p, size_t n, const char *lo, const char *e) {
    if (e - p >= 8) return sip_load8(p) & (~0ull >> (8 * (8 - n)));
    if (p + n - lo >= 8) return sip_load8(p + n - 8) >> (8 * (8 - n));
    uint64_t x = 0;
    memcpy(&x, p, n);
    return x;
}

/* Index of the first wanted name equal to name (case-insensitive) not seen yet, or -1. Either
 * pn (fixed names) or names (any name, sip_param) is given. */
static int which_name(sx_sv name, int k, const pname pn[], const sx_sv names[], const int seen[],
                      const char *lo, const char *e) {
    if (!pn) {
        for (int i = 0; i < k; i++)
            if (!seen[i] && name_ieq(name, names[i])) return i;
        return -1;
    }
    if (name.n > 8) return -1;
    uint64_t x = 0;
    for (int i = 0; i < k; i++) {
        if (seen[i] || pn[i].n != name.n) continue;
        if (!x) x = load_upto8(name.p, name.n, lo, e);
        if (sip_ieq_word(x, pn[i].u.w)) return i;
    }
    return -1;
}

/* Walks a params list (without its leading ';') once. For each of the k wanted names, the
 * first value is stored in vals[i] and seen[i] set. With stop, returns 1 as soon as all k
 * are seen. Returns 0 at the end of a well-formed list, -1 at a malformed parameter. */
static int params_scan(sx_sv params, int k, const pname pn[], const sx_sv names[], sx_sv vals[],
                       int seen[], int stop) {
    if (!params.p) return 0;
    const char *p = sip_skip_lws(params.p, params.p + params.n), *e = params.p + params.n;
    int left = k;
    if (p == e) return 0;
    for (;;) {
        sx_sv name, val;
        p = param_at(sip_skip_lws(p, e), e, params.p, &name, &val);
        if (!p) return -1;
        if (left) {
            int i = which_name(name, k, pn, names, seen, params.p, e);
            if (i >= 0) {
                seen[i] = 1, vals[i] = val, left--;
                if (stop && left == 0) return 1;
            }
        }
        p = sip_skip_lws(p, e);
        if (p == e) return 0;
        if (*p != ';') return -1;
        p++;
    }
}

int sip_param(sx_sv params, const char *name, sx_sv *value) {
    sx_sv v = SX_SV_NULL;
    int seen = 0;
    params = sip_trim(params);
    if (params.n && params.p[0] == ';') params.p++, params.n--; /* tolerated */
    sx_sv want = sx_sv_make(name, strlen(name));
    if (params_scan(params, 1, NULL, &want, &v, &seen, 1) != 1) return 0;
    if (value) *value = v;
    return 1;
}

/* Reads "[;params]" at p up to e (*params excludes the ';'), checks the whole list and picks
 * the k wanted parameters in the same pass. Returns 0 or -1. */
/* trailing_params() of the common shape, ";name[=value]" repeated with no LWS anywhere and
 * no quoted or <> value: the same views, from one lean walk. Returns 0 (not that shape: the
 * caller walks the general way) or 1 with *params, vals[] and seen[] set. The parameters are
 * at [p, e), and reads may start at lo. */
/* Whether [p, e) can be walked the plain way at all: ';' first, no LWS at either end. */
static int plain_shape(const char *p, const char *e) {
    return e - p >= 2 && *p == ';' && !sip_is(p[1], SIP_CC_LWS) && !sip_is(e[-1], SIP_CC_LWS);
}

/* One plain ";name[=value]" step from the ';' at *q: sets *name and *val, moves *q to the
 * next ';' or to e. Returns 0 where the shape is not plain (the caller walks the general
 * way). */
static inline __attribute__((always_inline)) int
plain_param_at(const char **q, const char *n1, const char *e, const char *lo, sx_sv *name,
               sx_sv *val) {
    const char *n0 = *q + 1, *v1 = n1;
    if (n1 == n0) return 0;
    *val = sx_sv_make(n1, 0);
    if (n1 < e && *n1 == '=') {
        v1 = skip_pvalue(n1 + 1, e, lo);
        if (v1 == n1 + 1 && v1 < e && *v1 != ';') return 0; /* LWS, quote, <, ... */
        *val = span(n1 + 1, v1);
    }
    if (v1 < e && *v1 != ';') return 0;
    *name = span(n0, n1);
    *q = v1;
    return 1;
}
static inline int plain_param_next(const char **q, const char *e, const char *lo, sx_sv *name,
                                   sx_sv *val) {
    return plain_param_at(q, skip_token_in(*q + 1, e, lo), e, lo, name, val);
}

static int plain_params(const char *p, const char *e, const char *lo, sx_sv *params, int k,
                        const pname names[], sx_sv vals[], int seen[]) {
    if (!plain_shape(p, e) || k > 3) return 0;
    sx_sv v[3], name, val;
    int sn[3] = {0, 0, 0};
    for (const char *q = p; q < e;) { /* q at a ';' */
        if (!plain_param_next(&q, e, lo, &name, &val)) return 0;
        int i = which_name(name, k, names, NULL, sn, lo, e);
        if (i >= 0) sn[i] = 1, v[i] = val;
    }
    *params = span(p + 1, e);
    for (int i = 0; i < k; i++)
        if (sn[i]) seen[i] = 1, vals[i] = v[i];
    return 1;
}

/* trailing_params() past its plain attempt: LWS, quoted or <> values, odd shapes. */
static int general_params(const char *p, const char *e, sx_sv *params, int k,
                          const pname names[], sx_sv vals[], int seen[]) {
    p = sip_skip_lws(p, e);
    *params = sx_sv_make(e, 0);
    if (p == e) return 0;
    if (*p != ';') return -1;
    *params = sip_trim(span(p + 1, e));
    return params_scan(*params, k, names, NULL, vals, seen, 0) == 0 ? 0 : -1;
}

static int trailing_params(const char *p, const char *e, const char *lo, sx_sv *params, int k,
                           const pname names[], sx_sv vals[], int seen[]) {
    if (plain_params(p, e, lo, params, k, names, vals, seen)) return 0;
    return general_params(p, e, params, k, names, vals, seen);
}

/* ---- URIs (RFC 3261 §19.1, RFC 3966) ---- */

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" -- returns the ':' or NULL. */
static const char *scheme_end(const char *p, const char *e) {
    if (e - p >= 4 && sip_ieq_word(sip_load4(p), sip_load4("sip:"))) return p + 3; /* most */
    if (p == e || !sip_is(*p, SIP_CC_ALPHA)) return NULL;
    for (p++; p < e && (sip_is(*p, SIP_CC_ALPHA | SIP_CC_DIGIT) || *p == '+' || *p == '-' ||
                        *p == '.');
         p++) {
    }
    return (p < e && *p == ':') ? p : NULL;
}

/* port = 1*DIGIT, at most 65535 (leading zeros allowed); one pass over the digits. */
static inline __attribute__((always_inline)) int parse_port(const char **pp, const char *e,
                                                            int *port) {
    const char *p = *pp, *d = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (e - p >= 4) { /* four digits and no fifth ("5060", "5061"): one word, no loop */
        uint32_t w = (uint32_t)sip_load4(p);
        if (((w & 0xf0f0f0f0u) | (((w + 0x06060606u) & 0xf0f0f0f0u) >> 4)) == 0x33333333u &&
            (e - p == 4 || !sip_is(p[4], SIP_CC_DIGIT))) {
            w -= 0x30303030u; /* the digits' values, the first in the low byte */
            *port = (int)((w & 0xff) * 1000 + ((w >> 8) & 0xff) * 100 + ((w >> 16) & 0xff) * 10 +
                          (w >> 24));
            *pp = p + 4;
            return 0;
        }
    }
#endif
    unsigned x = 0;
    for (; d < e && sip_is(*d, SIP_CC_DIGIT); d++) {
        x = x * 10 + (unsigned)(*d - '0');
        if (x > 65535) return -1;
    }
    if (d == p) return -1;
    *port = (int)x;
    *pp = d;
    return 0;
}

static int is_hex(char c) {
    return sip_is(c, SIP_CC_DIGIT) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline __attribute__((always_inline)) const char *skip_hostname(const char *q,
                                                                       const char *e,
                                                                       const char *lo) {
#if defined(SIP_SSE2)
    if (e - lo >= 16) return scan16(q, e, lo, nonhost16); /* final, as in skip_pvalue() */
#else
    (void)lo;
#endif
    while (q < e && sip_is(*q, SIP_CC_HOST)) q++;
    return q;
}

/* host = hostname / IPv4address / "[" IPv6 "]"; brackets are not part of the view. */
static inline const char *parse_host(const char *h, const char *e, const char *lo, sx_sv *host) {
    if (h < e && *h == '[') {
        const char *q = h + 1;
        while (q < e && (is_hex(*q) || *q == ':' || *q == '.'))
            q++;
        if (q == e || *q != ']' || q == h + 1) return NULL;
        *host = span(h + 1, q);
        return q + 1;
    }
    const char *q = skip_hostname(h, e, lo);
    if (q == h) return NULL;
    *host = span(h, q);
    return q;
}

/* sip:/sips: hier part: [ userinfo "@" ] hostport [ ;params ] [ ?headers ]. userinfo may hold
 * ';', '?', ':' (RFC 4475 §3.1.1.2, §3.1.1.9) but never a bare '@', so the first '@' ends
 * it. */
static int parse_sip_hier(const char *p, const char *e, sip_uri *u) {
    const char *at = memchr(p, '@', (size_t)(e - p)), *h = p;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        u->user = span(p, colon ? colon : at);
        if (colon) u->password = span(colon + 1, at);
        if (u->user.n == 0) return -1;
        h = at + 1;
    }
    if (!(h = parse_host(h, e, p, &u->host))) return -1;
    if (h < e && *h == ':') {
        h++;
        if (parse_port(&h, e, &u->port) != 0) return -1;
    }
    if (h < e && *h == ';') {
        const char *q = memchr(h, '?', (size_t)(e - h));
        u->params = span(h + 1, q ? q : e);
        h = q ? q : e;
    }
    if (h < e && *h == '?') {
        u->headers = span(h + 1, e);
        h = e;
    }
    return h == e ? 0 : -1;
}

/* Case-insensitive compare with a lower-case scheme name of length n. */
static int is_scheme(sx_sv s, const char *lit, size_t n) {
    if (s.n != n) return 0;
    for (size_t i = 0; i < n; i++)
        if ((s.p[i] | 0x20) != lit[i]) return 0; /* scheme chars: letters, digits, + - . */
    return 1;
}

/* Does p[0..n) hold a byte that is never inside a URI as written (SIP_CC_URIX: bytes up to
 * SP, DEL, < > ")? With SSE2 (every x86-64) sixteen bytes per step, the last step overlapping
 * the one before: the URIs of the Request-URI, From, To and Contact are most of the bytes
 * sip_parse() validates. */
#if defined(SIP_SSE2)
static inline int block_has_urix(const char *p) { return _mm_movemask_epi8(urix16v(load16(p))) != 0; }
#endif

static int has_urix(const char *p, size_t n) {
    size_t i = 0;
#if defined(SIP_SSE2)
    if (n >= 16) {
        for (; i + 16 <= n; i += 16)
            if (block_has_urix(p + i)) return 1;
        return i < n && block_has_urix(p + n - 16);
    }
#endif
    for (; i < n; i++)
        if (sip_is(p[i], SIP_CC_URIX)) return 1;
    return 0;
}

int sip_parse_uri(sx_sv text, sip_uri *u) {
    clear_struct(u, sizeof *u);
    sx_sv t = sip_trim(text);
    if (!t.p) return -1;
    const char *p = t.p, *e = t.p + t.n, *c = scheme_end(p, e);
    if (!c || c + 1 == e) return -1;
    if (has_urix(c + 1, (size_t)(e - c - 1))) return -1;
    u->scheme = span(p, c);
    u->rest = span(c + 1, e);
    if (is_scheme(u->scheme, "sip", 3) || is_scheme(u->scheme, "sips", 4))
        return parse_sip_hier(c + 1, e, u);
    if (is_scheme(u->scheme, "tel", 3)) { /* RFC 3966: number [;params] */
        const char *semi = memchr(c + 1, ';', (size_t)(e - c - 1));
        u->user = span(c + 1, semi ? semi : e);
        if (semi) u->params = span(semi + 1, e);
        return u->user.n ? 0 : -1;
    }
    return 0; /* other schemes stay opaque in rest (RFC 4475 §3.3.2-4) */
}

/* Bits of the bytes of x that are never inside a URI as written (SIP_CC_URIX). */
#if defined(SIP_SSE2)
static inline unsigned urix16(__m128i x) { return (unsigned)_mm_movemask_epi8(urix16v(x)); }
#endif

/* has_urix() of [r, e) and memchr(r, '@') in one pass: -1 if a URIX byte is there, else 0
 * with *at the first '@' or NULL, and *quest 0 if surely no '?' is there (so the ?headers
 * search can be skipped). Reads stay within [lo, e). */
static int urix_and_at(const char *r, const char *e, const char *lo, const char **at,
                       int *quest) {
    *at = NULL;
    *quest = 1; /* "maybe": the byte loop leaves it to memchr */
#if defined(SIP_SSE2)
    if (e - lo >= 16) {
        const char *q = r;
        __m128i qm = _mm_setzero_si128();
        for (; e - q >= 16; q += 16) {
            __m128i x = load16(q);
            if (urix16(x)) return -1;
            unsigned m = (unsigned)_mm_movemask_epi8(eq16(x, '@'));
            if (m && !*at) *at = q + __builtin_ctz(m);
            qm = _mm_or_si128(qm, eq16(x, '?'));
        }
        *quest = _mm_movemask_epi8(qm) != 0;
        if (q < e) { /* the sixteen bytes ending at e, those before q dropped */
            unsigned keep = (0xffffu << (16 - (e - q))) & 0xffffu;
            __m128i x = load16(e - 16);
            if (urix16(x) & keep) return -1;
            unsigned m = (unsigned)_mm_movemask_epi8(eq16(x, '@')) & keep;
            if (m && !*at) *at = e - 16 + __builtin_ctz(m);
            *quest |= ((unsigned)_mm_movemask_epi8(eq16(x, '?')) & keep) != 0;
        }
        return 0;
    }
#else
    (void)lo;
#endif
    for (const char *q = r; q < e; q++) {
        if (sip_is(*q, SIP_CC_URIX)) return -1;
        if (*q == '@' && !*at) *at = q;
    }
    return 0;
}

static inline __attribute__((always_inline)) int hier_check(const char *r, const char *e,
                                                        const char *lo, const char *at,
                                                        int quest);

int sip_uri_check(sx_sv text, const char *lo) {
    sx_sv t = sip_trim(text);
    if (!t.p) return -1;
    const char *p = t.p, *e = t.p + t.n;
    if (t.n < 5 || !sip_ieq_word(sip_load4(p), sip_load4("sip:"))) {
        /* sips:, tel:, other schemes, odd shapes: the full parse decides */
        sip_uri u;
        if (sip_parse_uri(t, &u) != 0) return -1;
        return (u.headers.p && (is_scheme(u.scheme, "sip", 3) || is_scheme(u.scheme, "sips", 4)));
    }
    if (lo > p) lo = p;
    const char *r = p + 4, *at;
    int quest;
    if (urix_and_at(r, e, lo, &at, &quest) != 0) return -1;
    return hier_check(r, e, lo, at, quest);
}

/* The steps of parse_sip_hier() on [r, e), the text after "sip:" (no URIX byte in it), keeping
 * no views: at is its first '@' or NULL, quest 0 if it surely holds no '?'. Returns
 * sip_uri_check()'s verdict. Reads stay within [lo, e). */
static inline __attribute__((always_inline)) int hier_check(const char *r, const char *e,
                                                        const char *lo, const char *at,
                                                        int quest) {
    const char *h = r;
    if (at) {
        if (at == r || *r == ':') return -1; /* empty user */
        h = at + 1;
    }
    sx_sv host;
    int port;
    if (!(h = parse_host(h, e, lo, &host))) return -1;
    if (h < e && *h == ':') {
        h++;
        if (parse_port(&h, e, &port) != 0) return -1;
    }
    if (h == e) return 0;
    if (*h == ';') {
        const char *q = quest ? memchr(h, '?', (size_t)(e - h)) : NULL;
        if (!q) return 0;
        h = q;
    }
    return *h == '?' ? 1 : -1;
}

/* The URI of a name-addr at u (just after its '<'), in one pass: the first byte that cannot
 * be in a URI must be its '>' (*gt), and the text before it is checked as sip_uri_check()
 * would, with the '@' and '?' seen on the way. Returns sip_uri_check()'s verdict on [u, *gt),
 * -1 also when no URI ends at a '>' (then *gt is the first '>' or NULL, as a search for it
 * would give), or -2 for a URI not of the sip: scheme (the caller takes the general way).
 * Reads stay within [lo, e). */
static int angle_uri(const char *u, const char *e, const char *lo, const char **gt) {
    if (e - u < 5 || !sip_ieq_word(sip_load4(u), sip_load4("sip:"))) return -2;
    const char *r = u + 4, *stop = NULL, *at = NULL;
    int quest = 1;
#if defined(SIP_SSE2)
    if (e - lo >= 16) {
        /* The first '@' and any '?' are noted in every block read, even past the stop: an
         * '@' after it is told by its place (at > stop), and a '?' there only sends
         * hier_check() to look for one before the stop ("maybe"). */
        unsigned qbits = 0, m = 0;
        const char *q = r;
        for (; e - q >= 16; q += 16) {
            __m128i x = load16(q);
            m = urix16(x);
            unsigned a = (unsigned)_mm_movemask_epi8(eq16(x, '@'));
            if (a && !at) at = q + __builtin_ctz(a);
            qbits |= (unsigned)_mm_movemask_epi8(eq16(x, '?'));
            if (m) break;
        }
        if (m) {
            stop = q + __builtin_ctz(m);
        } else if (q < e) { /* the sixteen bytes ending at e, those before q dropped */
            unsigned shift = 16 - (unsigned)(e - q);
            __m128i x = load16(e - 16);
            m = urix16(x) >> shift;
            unsigned a = (unsigned)_mm_movemask_epi8(eq16(x, '@')) >> shift;
            if (a && !at) at = q + __builtin_ctz(a);
            qbits |= (unsigned)_mm_movemask_epi8(eq16(x, '?')) >> shift;
            if (m) stop = q + __builtin_ctz(m);
        }
        if (at && stop && at > stop) at = NULL;
        quest = qbits != 0;
    } else
#endif
    {
        for (const char *q = r; q < e; q++) {
            if (sip_is(*q, SIP_CC_URIX)) {
                stop = q;
                break;
            }
            if (*q == '@' && !at) at = q;
        }
    }
    if (!stop || *stop != '>') {
        *gt = find_gt(u, e, lo);
        return -1;
    }
    *gt = stop;
    return stop == r ? -1 : hier_check(r, stop, lo, at, quest); /* "sip:" alone: -1 */
}

/* ---- name-addr / addr-spec (RFC 3261 §20.10, §25.1) ---- */

/* Finds the '<' of a name-addr and sets the display name; NULL for a bare addr-spec. */
static const char *find_laquot(const char *p, const char *e, sip_naddr *na, int *bad) {
    if (*p == '"') {
        const char *z = skip_quoted(p, e);
        if (!z) return *bad = 1, NULL; /* RFC 4475 §3.1.2.6 */
        na->display = span(p + 1, z - 1);
        z = sip_skip_lws(z, e);
        if (z == e || *z != '<') return *bad = 1, NULL;
        return z;
    }
    if (*p == '<') { /* no display name: To, Contact */
        na->display = sx_sv_make(p, 0);
        return p;
    }
    /* display-name = *(token LWS): a ',' or other non-token ends it (RFC 4475 §3.1.2.15). */
    const char *q = p;
    while (q < e && sip_is(*q, SIP_CC_TOKEN | SIP_CC_LWS)) q++;
    if (q == e || *q != '<') return NULL;
    na->display = sip_trim(span(p, q));
    return q;
}

/* The <URI> of a name-addr at lt (its '<'): sets na->uri and returns the byte after the '>',
 * or NULL if malformed (na->uri is then set as far as a '>' was found). */
static const char *angle_addr(const char *lt, const char *e, const char *p, sip_naddr *na) {
    const char *gt = NULL;
    int k = angle_uri(lt + 1, e, p, &gt);
    if (k != -2) { /* a sip: URI, decided in one pass */
        if (gt) na->uri = span(lt + 1, gt);
        return k < 0 ? NULL : gt + 1;
    }
    if (!(gt = find_gt(lt + 1, e, p))) return NULL;
    na->uri = span(lt + 1, gt);
    /* LAQUOT/RAQUOT allow no LWS inside the brackets (RFC 4475 §3.1.2.14). */
    if (na->uri.n == 0 || sip_is(na->uri.p[0], SIP_CC_LWS) ||
        sip_is(na->uri.p[na->uri.n - 1], SIP_CC_LWS) || sip_uri_check(na->uri, p) < 0)
        return NULL; /* inner LWS is refused by sip_parse_uri */
    return gt + 1;
}

int sip_parse_naddr(sx_sv value, sip_naddr *na) { return sip_naddr_elem(first_elem(value), na); }

/* sip_naddr_elem(), but 1 (not 0) when the element was read as <URI>, or as an addr-spec
 * without ',' (RFC 3261 §20.10 allows none there), with nothing after it or plain
 * ";name[=value]" parameters: then no comma outside a quoted string or <> can be in it
 * (display names are tokens or quoted, URIs hold no quote or angle bracket, plain values stop
 * at ','), so it is all one list element (sip_naddr_whole). '*' is one too. A result, not
 * a flag stored through a pointer: two calls per message. */
static int naddr_elem(sx_sv v, sip_naddr *na) {
    memset(na, 0, sizeof *na);
    const char *p = v.p, *e = v.p + v.n, *rest;
    if (v.n == 0) return -1;
    if (v.n == 1 && *p == '*') { /* Contact: * (RFC 3261 §20.10) */
        na->uri = v;
        return 1;
    }
    int bad = 0, one = 1; /* one: no ',' can split the element */
    const char *lt = find_laquot(p, e, na, &bad);
    if (bad) return -1;
    if (lt) {
        if (!(rest = angle_addr(lt, e, p, na))) return -1;
    } else {
        /* addr-spec: its ;params belong to the header, so it cannot hold ',', '?' or ';'
         * (RFC 3261 §20.10, RFC 4475 §3.1.2.13). */
        const char *q = p;
        while (q < e && *q != ';' && !sip_is(*q, SIP_CC_LWS)) q++;
        na->uri = span(p, q);
        if (memchr(na->uri.p, '?', na->uri.n) || sip_uri_check(na->uri, p) < 0) return -1;
        one = memchr(na->uri.p, ',', na->uri.n) == NULL;
        rest = q;
    }
    /* The usual endings, decided as trailing_params() would: nothing, or one ";tag=" whose
     * value runs to the end without LWS, CTL, quote or delimiter (RFC 3261 §19.3 tags). */
    if (rest == e) {
        na->params = sx_sv_make(e, 0);
        return one;
    }
    if (e - rest >= 5 && *rest == ';' && sip_ieq_word(sip_load4(rest + 1), sip_load4("tag=")) &&
        skip_pvalue(rest + 5, e, p) == e) {
        na->params = span(rest + 1, e);
        na->tag = span(rest + 5, e);
        return one;
    }
    static const pname names[] = {{3, {"tag"}}};
    int seen[1] = {0};
    if (plain_params(rest, e, p, &na->params, 1, names, &na->tag, seen)) {
        return one;
    }
    return general_params(rest, e, &na->params, 1, names, &na->tag, seen);
}

int sip_naddr_elem(sx_sv v, sip_naddr *na) { return naddr_elem(v, na) < 0 ? -1 : 0; }

int sip_naddr_whole(sx_sv v, sip_naddr *na) { return naddr_elem(v, na) == 1 ? 0 : -1; }

/* ---- Via (RFC 3261 §20.42) ---- */

/* sent-protocol = name SLASH version SLASH transport, SLASH = SWS "/" SWS. */
static const char *sent_protocol(const char *p, const char *e, sip_via *v) {
    const char *n1 = skip_token(p, e);
    if (n1 == p) return NULL;
    const char *q = sip_skip_lws(n1, e);
    if (q == e || *q != '/') return NULL;
    q = sip_skip_lws(q + 1, e);
    const char *v1 = skip_token(q, e);
    if (v1 == q) return NULL;
    v->version = span(q, v1);
    v->proto = span(p, v1);
    q = sip_skip_lws(v1, e);
    if (q == e || *q != '/') return NULL;
    q = sip_skip_lws(q + 1, e);
    const char *t1 = skip_token(q, e);
    if (t1 == q) return NULL;
    v->transport = span(q, t1);
    return t1;
}

/* skip_token_in() for a Via parameter name at n0: "branch=" and a last or ';'-ended "rport"
 * (nearly every Via's names) are told by their bytes; a token character cannot follow
 * either there, so the run of token characters ends where the walk would end it. *known is
 * set to the length of the name so told (6 or 5), else to 0. */
static inline const char *via_name_end(const char *n0, const char *e, const char *lo,
                                       int *known) {
    if (e - n0 >= 7 && sip_ieq_word(sip_load4(n0), sip_load4("bran")) &&
        sip_ieq_word(sip_load4(n0 + 3), sip_load4("nch=")))
        return *known = 6, n0 + 6;
    if (e - n0 >= 5 && sip_ieq_word(sip_load4(n0), sip_load4("rpor")) &&
        sip_ieq_word(sip_load4(n0 + 1), sip_load4("port")) && (e - n0 == 5 || n0[5] == ';'))
        return *known = 5, n0 + 5;
    *known = 0;
    return skip_token_in(n0, e, lo);
}

/* What via_plain_params() finds: the first branch, received and rport (as params_scan()). */
typedef struct {
    sx_sv branch, received, rport;
    int has_rport;
} via_found;

/* The walk of via_plain_params() from the ';' at q on, with the names compared by length and
 * two overlapping words instead of the generic which_name(): adds to f (which may hold what
 * earlier parameters gave) and returns 1, or 0 where the shape is not plain. */
static int via_plain_walk(const char *q, const char *e, const char *lo, via_found *f) {
    sx_sv name, val;
    while (q < e) { /* q at a ';' */
        int known;
        if (!plain_param_at(&q, via_name_end(q + 1, e, lo, &known), e, lo, &name, &val))
            return 0;
        const char *n0 = name.p;
        /* the first of each name counts, as in params_scan() */
        if (known == 6) { /* branch, told by via_name_end() */
            if (!f->branch.p) f->branch = val;
            continue;
        }
        if (known == 5) { /* rport */
            if (!f->has_rport) f->rport = val, f->has_rport = 1;
            continue;
        }
        switch (name.n) {
        case 6:
            if (!f->branch.p && sip_ieq_word(sip_load4(n0), sip_load4("bran")) &&
                sip_ieq_word(sip_load4(n0 + 2), sip_load4("anch")))
                f->branch = val;
            break;
        case 8:
            if (!f->received.p && sip_ieq_word(sip_load4(n0), sip_load4("rece")) &&
                sip_ieq_word(sip_load4(n0 + 4), sip_load4("ived")))
                f->received = val;
            break;
        case 5:
            if (!f->has_rport && sip_ieq_word(sip_load4(n0), sip_load4("rpor")) &&
                sip_ieq_word(sip_load4(n0 + 1), sip_load4("port")))
                f->rport = val, f->has_rport = 1;
            break;
        default: break;
        }
    }
    return 1;
}

/* The parameter views of a plain list at p (its ';') up to e. */
static void via_set_params(sip_via *v, const char *p, const char *e, const via_found *f) {
    v->params = span(p + 1, e);
    v->branch = f->branch;
    v->received = f->received;
    v->rport = f->rport;
    v->has_rport = f->has_rport;
}

/* plain_params() for Via's three names (branch, received, rport): every message has a Via.
 * Returns 1 with the views set, or 0 (not the plain shape: the caller walks the general way). */
static int via_plain_params(const char *p, const char *e, const char *lo, sip_via *v) {
    via_found f = {SX_SV_NULL, SX_SV_NULL, SX_SV_NULL, 0};
    if (!plain_shape(p, e) || !via_plain_walk(p, e, lo, &f)) return 0;
    via_set_params(v, p, e, &f);
    return 1;
}

/* via_plain_params() of a list that starts ";branch=" with a value (RFC 3261 §8.1.1.7), as
 * nearly every one does, and ends there or with a last bare ";rport" (RFC 3581): those are
 * read without the walk's name dispatch, and the walk takes whatever else follows the branch.
 * The same tests and views as the walk from q; 0 with v untouched where it would not find
 * the plain shape, or where the branch is not so (then the walk decides). */
static int via_usual_params(const char *q, const char *e, const char *lo, sip_via *v) {
    /* ";branch=" (the case of its letters free) and a value up to the end or a ';' */
    if (e - q < 9 || !sip_ieq_word(sip_load8(q), sip_load8(";branch="))) return 0;
    const char *b = q + 8, *b1 = skip_pvalue(b, e, lo);
    if (b1 == b || (b1 < e && *b1 != ';')) return 0;
    if (b1 == e || (e - b1 == 6 && sip_ieq_word(sip_load4(b1 + 1), sip_load4("rpor")) &&
                    sip_ieq_word(sip_load4(b1 + 2), sip_load4("port")))) {
        /* no LWS can end the list here: plain_shape() holds */
        if (b1 != e) v->rport = sx_sv_make(e, 0), v->has_rport = 1;
        v->branch = span(b, b1);
        v->params = span(q + 1, e);
        return 1;
    }
    via_found f = {span(b, b1), SX_SV_NULL, SX_SV_NULL, 0};
    if (!plain_shape(q, e) || !via_plain_walk(b1, e, lo, &f)) return 0;
    via_set_params(v, q, e, &f);
    return 1;
}

int sip_parse_via(sx_sv value, sip_via *v) { return sip_via_elem(first_elem(value), v); }

/* The usual sent-protocol and sent-by, "SIP/2.0/UDP 192.0.2.40:5060" (RFC 3261 §18.2.1): a
 * three-character transport, one SP, a hostname and an optional port, no other LWS. Read in
 * one straight walk; each test below is one that via_head() makes on that shape, so the
 * views are those it would set. Returns where the parameters start, with the views set, or
 * NULL with v untouched: any other shape, valid or not, is left to via_head(). */
static const char *via_usual_head(const char *p, const char *e, sip_via *v) {
    if (e - p < 13 || !sip_ieq_word(sip_load8(p), sip_load8("sip/2.0/")) || p[11] != ' ' ||
        !sip_is(p[8], SIP_CC_TOKEN) || !sip_is(p[9], SIP_CC_TOKEN) ||
        !sip_is(p[10], SIP_CC_TOKEN) || sip_is(p[12], SIP_CC_LWS) || p[12] == '[')
        return NULL;
    const char *h = p + 12, *h1 = skip_hostname(h, e, p), *q = h1;
    int port = 0;
    if (h1 == h || (h1 < e && sip_is(*h1, SIP_CC_LWS))) return NULL;
    if (q < e && *q == ':' &&
        (++q == e || sip_is(*q, SIP_CC_LWS) || parse_port(&q, e, &port) != 0))
        return NULL;
    v->proto = span(p, p + 7);
    v->version = span(p + 4, p + 7);
    v->transport = span(p + 8, p + 11);
    v->host = span(h, h1);
    v->port = port;
    return q;
}

/* sent-protocol LWS sent-by, the general way: returns where the parameters start, or NULL. */
static const char *via_head(const char *p, const char *e, sip_via *v) {
    const char *lo = p;
    if (!(p = sent_protocol(p, e, v))) return NULL;
    const char *h = sip_skip_lws(p, e);
    if (h == p) return NULL; /* LWS between sent-protocol and sent-by */
    if (!(h = parse_host(h, e, lo, &v->host))) return NULL;
    const char *q = sip_skip_lws(h, e);
    if (q < e && *q == ':') {
        q = sip_skip_lws(q + 1, e);
        if (parse_port(&q, e, &v->port) != 0) return NULL;
    }
    return q;
}

/* sip_via_elem(), but 1 (not 0) when the parameters were plain: then no ',' is anywhere in
 * the element (sent-protocol and sent-by are tokens, a host and digits; plain values stop at
 * ','), so it is all one list element (sip_via_whole). */
static int via_elem(sx_sv t, sip_via *v) {
    clear_struct(v, sizeof *v);
    const char *e = t.p + t.n, *q = via_usual_head(t.p, e, v);
    if (!q && !(q = via_head(t.p, e, v))) return -1;
    if (via_usual_params(q, e, t.p, v) || via_plain_params(q, e, t.p, v)) return 1;
    static const pname names[] = {{6, {"branch"}}, {8, {"received"}}, {5, {"rport"}}};
    sx_sv vals[3] = {SX_SV_NULL, SX_SV_NULL, SX_SV_NULL};
    int seen[3] = {0, 0, 0};
    if (trailing_params(q, e, t.p, &v->params, 3, names, vals, seen) != 0) return -1;
    v->branch = vals[0];
    v->received = vals[1];
    v->rport = vals[2];
    v->has_rport = seen[2];
    return 0;
}

int sip_via_elem(sx_sv t, sip_via *v) { return via_elem(t, v) < 0 ? -1 : 0; }

int sip_via_whole(sx_sv t, sip_via *v) { return via_elem(t, v) == 1 ? 0 : -1; }

/* ---- Reason (RFC 3326 §2, RFC 8606 location) ---- */

int sip_parse_reason(sx_sv value, sip_reason *r) {
    memset(r, 0, sizeof *r);
    r->cause = -1;
    sx_sv t = first_elem(value);
    const char *e = t.p + t.n, *p1 = skip_token(t.p, e);
    if (p1 == t.p) return -1;
    r->protocol = span(t.p, p1);
    static const pname names[] = {{5, {"cause"}}, {4, {"text"}}, {8, {"location"}}};
    sx_sv vals[3] = {SX_SV_NULL, SX_SV_NULL, SX_SV_NULL};
    int seen[3] = {0, 0, 0};
    if (trailing_params(p1, e, t.p, &r->params, 3, names, vals, seen) != 0) return -1;
    if (seen[0]) {
        uint64_t x;
        if (sip_dec(vals[0].p, vals[0].n, 65535, &x) != 0) return -1;
        r->cause = (int)x;
    }
    r->text = vals[1];
    r->location = vals[2];
    return 0;
}

/* ---- Call-Info (RFC 3261 §20.9) ---- */

int sip_parse_callinfo(sx_sv value, sip_callinfo *ci) {
    memset(ci, 0, sizeof *ci);
    sx_sv t = first_elem(value);
    const char *e = t.p + t.n;
    if (t.n < 2 || t.p[0] != '<') return -1;
    const char *gt = memchr(t.p, '>', t.n);
    if (!gt || gt == t.p + 1) return -1;
    ci->uri = span(t.p + 1, gt);
    if (has_lws(ci->uri)) return -1;
    static const pname names[] = {{7, {"purpose"}}};
    int seen[1] = {0};
    return trailing_params(gt + 1, e, t.p, &ci->params, 1, names, &ci->purpose, seen);
}

/* ---- Warning (RFC 3261 §20.43): warn-code SP warn-agent SP warn-text ---- */

int sip_parse_warning(sx_sv value, sip_warning *w) {
    memset(w, 0, sizeof *w);
    sx_sv t = first_elem(value);
    const char *p = t.p, *e = t.p + t.n;
    if (t.n < 4 || !sip_is(p[0], SIP_CC_DIGIT) || !sip_is(p[1], SIP_CC_DIGIT) ||
        !sip_is(p[2], SIP_CC_DIGIT) || !sip_is(p[3], SIP_CC_LWS))
        return -1; /* also refuses "1812" (RFC 4475 §3.1.2.5) */
    w->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    const char *a = sip_skip_lws(p + 3, e), *a1 = a;
    while (a1 < e && !sip_is(*a1, SIP_CC_LWS | SIP_CC_CTL) && *a1 != '"') a1++;
    if (a1 == a) return -1;
    w->agent = span(a, a1);
    const char *q = sip_skip_lws(a1, e);
    if (q == a1 || q == e || *q != '"') return -1;
    const char *z = skip_quoted(q, e);
    if (!z || z != e) return -1;
    w->text = span(q + 1, z - 1);
    return 0;
}

/* ---- Retry-After (RFC 3261 §20.33): delta-seconds [comment] *(;param) ---- */

static const char *skip_comment(const char *p, const char *e) {
    int depth = 0;
    for (; p < e; p++) {
        if (*p == '\\') {
            if (++p == e) return NULL;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && --depth == 0) {
            return p + 1;
        }
    }
    return NULL;
}

int sip_parse_retry_after(sx_sv value, uint32_t *seconds) {
    sx_sv t = sip_trim(value);
    if (!t.p) return -1; /* before any arithmetic on the pointer: NULL + 0 is UB */
    const char *p = t.p, *e = t.p + t.n, *d = p;
    while (d < e && sip_is(*d, SIP_CC_DIGIT)) d++;
    uint64_t x;
    if (sip_dec(p, (size_t)(d - p), UINT32_MAX, &x) != 0) return -1; /* RFC 4475 §3.1.2.5 */
    const char *q = sip_skip_lws(d, e);
    if (q < e && *q == '(' && !(q = skip_comment(q, e))) return -1;
    sx_sv params;
    if (trailing_params(q, e, t.p, &params, 0, NULL, NULL, NULL) != 0) return -1;
    *seconds = (uint32_t)x;
    return 0;
}

/* ---- E.164 (rules in sip.h) ---- */

size_t sip_e164(sx_sv user, char out[16]) {
    size_t n = 0, i = 0;
    int plus = 0;
    out[0] = '\0';
    if (!user.p) return 0;
    if (user.n && user.p[0] == '+') plus = 1, i = 1;
    for (; i < user.n; i++) { /* digits first: nearly every byte is one */
        char c = user.p[i];
        if ((unsigned)((unsigned char)c - '0') <= 9) {
            if (n == 15) return out[0] = '\0', 0;
            out[n++] = c;
        } else if (c == ';') {
            break; /* the number ends at the first parameter */
        } else if (c != '-' && c != '.' && c != '(' && c != ')') {
            return out[0] = '\0', 0;
        }
    }
    if (n == 0) return 0;
    if (!plus && n == 10 && out[0] >= '2') {
        memmove(out + 1, out, n);
        out[0] = '1';
        n++;
    }
    out[n] = '\0';
    return n;
}
