/* sip_int.h -- helpers shared by the files of the SIP module only (not an interface).
 * Character classes follow RFC 3261 §25.1. */
#ifndef SX_SIP_INT_H
#define SX_SIP_INT_H

#include "sip.h"

enum {
    SIP_CC_TOKEN = 0x01, /* token: alphanum - . ! % * _ + ` ' ~ */
    SIP_CC_LWS = 0x02,   /* SP HTAB CR LF: folded values keep their CRLF, so LWS includes it */
    SIP_CC_DIGIT = 0x04,
    SIP_CC_ALPHA = 0x08,
    SIP_CC_HOST = 0x10,  /* hostname characters: alphanum - . _ (RFC 3261 §25.1 hostname) */
    SIP_CC_CTL = 0x20,   /* control characters except HTAB */
    SIP_CC_URIX = 0x40,  /* never inside a URI as written: LWS, CTL, < > " (RFC 3986 §2) */
    SIP_CC_PEND = 0x80,  /* ends an unquoted parameter value: LWS, CTL, ; , " < > */
};
/* One byte of flags per character; read-only (defined in hdr.c). */
extern const uint8_t sip_cc[256];

static inline int sip_is(char c, unsigned cls) { return (sip_cc[(unsigned char)c] & cls) != 0; }

/* Advances p over linear white space (SP, HTAB and the CRLF of folded lines) up to e. */
static inline const char *sip_skip_lws(const char *p, const char *e) {
    while (p < e && sip_is(*p, SIP_CC_LWS)) p++;
    return p;
}

/* Strips LWS at both ends (an inlined sx_sv_trim for the hot path). */
static inline sx_sv sip_trim(sx_sv v) {
    while (v.n && sip_is(v.p[0], SIP_CC_LWS)) v.p++, v.n--;
    while (v.n && sip_is(v.p[v.n - 1], SIP_CC_LWS)) v.n--;
    return v;
}

/* ---- word-at-a-time helpers (SWAR): 8 bytes per step where a byte loop would take 8 ---- */

#define SIP_ONES 0x0101010101010101ull
#define SIP_HIGHS 0x8080808080808080ull

/* Unaligned loads; memcpy compiles to one instruction. The caller keeps them in bounds. */
static inline uint64_t sip_load8(const char *p) { uint64_t x; memcpy(&x, p, 8); return x; }
static inline uint64_t sip_load4(const char *p) { uint32_t x; memcpy(&x, p, 4); return x; }
static inline uint64_t sip_load2(const char *p) { uint16_t x; memcpy(&x, p, 2); return x; }

/* Case-insensitive equality of a word of text with the same bytes of a lower-case literal.
 * Bit 5 is forced only where the literal holds a lower-case letter (0x61-0x7a; literals use
 * no '`' '{' '|' '}' '~'), so 'A' matches 'a' but CR (0x0d) never matches '-' (0x2d), as a
 * plain |0x20 would let it. */
static inline int sip_ieq_word(uint64_t text, uint64_t lit) {
    return (text | ((lit >> 1) & lit & 0x2020202020202020ull)) == lit;
}

/* Non-zero if some byte of x is below n (n <= 128). Exact as a yes/no answer: a borrow can
 * only flag a byte above one that is truly below n ("hasless", Bit Twiddling Hacks). */
static inline uint64_t sip_has_less(uint64_t x, unsigned n) {
    return (x - SIP_ONES * n) & ~x & SIP_HIGHS;
}
/* Non-zero if some byte of x equals c. */
static inline uint64_t sip_has_byte(uint64_t x, unsigned c) {
    uint64_t y = x ^ (SIP_ONES * c);
    return (y - SIP_ONES) & ~y & SIP_HIGHS;
}

/* Decimal value of p[0..n), as sx_sv_u64(): 0 and *out set, or -1 if empty, not all digits
 * or above max. Up to 19 digits cannot overflow 64 bits, so max is checked once at the end
 * (a number only grows digit by digit: above max at the end iff above it at some digit). */
static inline int sip_dec(const char *p, size_t n, uint64_t max, uint64_t *out) {
    if (n == 0 || n > 19) return sx_sv_u64(sx_sv_make(p, n), max, out);
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9) return -1;
        x = x * 10 + d;
    }
    if (x > max) return -1;
    *out = x;
    return 0;
}

/* ---- sixteen bytes per step (SSE2: every x86-64 CPU; byte loops elsewhere) ---- */

#if defined(__SSE2__)
#include <emmintrin.h>
#define SIP_SSE2 1
static inline __m128i sip_load16(const char *p) {
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}
static inline __m128i sip_eq16(__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); }
/* Bytes of x in [lo, lo + span] (unsigned): one subtract and one saturating compare. */
static inline __m128i sip_range16(__m128i x, char lo, char span) {
    __m128i t = _mm_sub_epi8(x, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(span)), t);
}
/* Bits of the bytes that are no letter, digit or '-': what ends nearly every header name
 * (and hostname label) at full speed; rarer token characters are left to a byte loop. */
static inline unsigned sip_nonalnum16x(__m128i x) {
    __m128i ok = _mm_or_si128(sip_range16(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 25),
                              _mm_or_si128(sip_range16(x, '0', 9), sip_eq16(x, '-')));
    return (unsigned)_mm_movemask_epi8(ok) ^ 0xffffu;
}
static inline unsigned sip_nonalnum16(const char *p) { return sip_nonalnum16x(sip_load16(p)); }
#endif

/* The first LF in [p, e), or NULL; reads stay within [lo, e) (lo <= p). Header lines are some
 * 40 bytes: an inline scan (32 bytes a step while they last, then 16, then the sixteen bytes
 * ending at e when lo leaves room for them) beats a call to memchr. The last step matters on
 * the last lines of a message without a body (ACK, BYE, 100 Trying). */
static inline __attribute__((always_inline)) const char *sip_find_lf(const char *p,
                                                                     const char *e,
                                                                     const char *lo) {
#if defined(SIP_SSE2)
    /* Thirty-two bytes per step while they last: a header line is 16-80 bytes, so this is
     * one or two steps for most, and a long one (Identity, some 700) takes half the steps. */
    for (; e - p >= 32; p += 32) { /* one 32-bit mask: the hit needs no second look */
        unsigned m = (unsigned)_mm_movemask_epi8(sip_eq16(sip_load16(p), '\n')) |
                     (unsigned)_mm_movemask_epi8(sip_eq16(sip_load16(p + 16), '\n')) << 16;
        if (m) return p + __builtin_ctz(m);
    }
    for (; e - p >= 16; p += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(sip_eq16(sip_load16(p), '\n'));
        if (m) return p + __builtin_ctz(m);
    }
    if (p < e && e - lo >= 16) { /* the bytes before p are dropped from the mask */
        unsigned m = (unsigned)_mm_movemask_epi8(sip_eq16(sip_load16(e - 16), '\n'));
        m >>= 16 - (e - p);
        return m ? p + __builtin_ctz(m) : NULL;
    }
#else
    (void)lo;
#endif
    return memchr(p, '\n', (size_t)(e - p));
}

/* The verdict of sip_parse_uri() on text without filling a sip_uri (validation throws the
 * views away): -1 malformed, 1 well-formed sip/sips URI with ?headers, 0 other well-formed.
 * Reads stay within [lo, end of text) (lo <= text.p; the start of the enclosing value). */
int sip_uri_check(sx_sv text, const char *lo);

/* sip_parse_naddr() and sip_parse_via() of one list element already split off by
 * sip_next_value() (so the split is not done twice). */
int sip_naddr_elem(sx_sv elem, sip_naddr *na);
int sip_via_elem(sx_sv elem, sip_via *v);
/* The same on a whole trimmed value, 0 only when the value is surely one list element read
 * by the common shapes (then the views equal those of its first element); -1 otherwise, and
 * the caller splits the list the general way. Saves the comma scan of the split. */
int sip_naddr_whole(sx_sv value, sip_naddr *na);
int sip_via_whole(sx_sv value, sip_via *v);

/* sip_hdr_lookup() for a name already known to be all token characters (the parser's case):
 * token characters fold to lower case with |0x20 without colliding with a name's letters or
 * '-'. */
int sip_hdr_lookup_token(const char *name, size_t n);
/* Long header names in a 128-slot perfect hash of (length, first and last character folded
 * to lower case): slot = (8 * len + first + 3 * last) & 127, which no two names share
 * (checked by test_sip's round trip of every name). Names are lower case, zero-padded to 22
 * bytes so that a compare may read whole words of them. Defined in hdr.c. */
typedef struct { uint8_t len, id; char name[22]; } sip_hname;
extern const sip_hname sip_hname_by_hash[128];

/* Length of the first element of a comma-separated list in [p, p+n): stops at the first
 * comma that is outside a quoted string (with backslash escapes) and outside <...>. */
size_t sip_list_elem_len(const char *p, size_t n);

/* Does the header id hold a comma-separated list (RFC 3261 §7.3.1)? */
int sip_hdr_is_list(int id);

#endif
