/* parse.c -- sip_parse(): one bounded pass over a message, views into the caller's buffer.
 *
 * Shape (after picohttpparser): no state, no allocation, no I/O; the result is the number of
 * bytes consumed, SIP_EINCOMPLETE when a stream needs more bytes, or a negative SIP_E* code.
 * The pass is: start line, header lines (each name looked up once, folded continuation lines
 * kept inside the raw value), body by Content-Length, then the few checks every consumer
 * relies on (Call-ID, CSeq, From/To, Via, Contact, Max-Forwards, Date).
 */
#include "sip_int.h"

#include <limits.h>

/* A Content-Length beyond this is hostile whatever the transport (RFC 3261 §20.14 gives no
 * bound; a SIP message body is kilobytes). */
#define SIP_MAX_CLEN (64u * 1024 * 1024)

/* Control characters (all but HTAB, RFC 3261 §25.1 TEXT-UTF8char excludes them) in p[0..n)?
 * Eight bytes per step while no byte is below 0x20 or DEL; the byte loop decides the rest
 * (a word flagged only for an HTAB is fine). */
#if defined(SIP_SSE2)
/* Bits of the CTL bytes of x: below SP but HTAB, and DEL. */
static inline unsigned ctl16x(__m128i x) {
    __m128i lo = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    lo = _mm_andnot_si128(sip_eq16(x, '\t'), lo);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(lo, sip_eq16(x, 0x7f)));
}
static inline unsigned ctl16(const char *p) { return ctl16x(sip_load16(p)); }
#endif

static int has_ctl(const char *p, size_t n) {
    size_t i = 0;
#if defined(SIP_SSE2)
    if (n >= 16) { /* a start line is some 60 bytes: sixteen per step, the last overlapping */
        for (; i + 16 <= n; i += 16)
            if (ctl16(p + i)) return 1;
        return i < n && ctl16(p + n - 16) != 0;
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t x = sip_load8(p + i);
        if (sip_has_less(x, 0x20) | sip_has_byte(x, 0x7f)) break;
    }
    for (; i < n; i++)
        if (sip_is(p[i], SIP_CC_CTL)) return 1;
    return 0;
}

/* v equals "SIP/2.0" in any case (ABNF literals are case-insensitive, RFC 5234 §2.3). */
static int is_sip20(const char *p, size_t n) {
    return n == 7 && sip_ieq_word(sip_load4(p), sip_load4("sip/")) &&
           sip_ieq_word(sip_load4(p + 3), sip_load4("/2.0"));
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SIP_LE 1 /* the word-at-a-time reads below put a text's first byte in a word's low byte */
/* sip_method_id()'s methods of up to eight bytes, in a 32-slot perfect hash of the first byte
 * and the length (a second name in a slot would be an -Woverride-init error), zero-padded. */
#define METHOD_SLOT(c, n) (((unsigned)(unsigned char)(c) + 12u * (unsigned)(n)) & 31u)
typedef struct { char name[8]; uint8_t len, id; } method_word;
#define METHOD(c, s, id) [METHOD_SLOT(c, sizeof s - 1)] = {s, sizeof s - 1, id}
static const method_word method_words[32] = {
    METHOD('I', "INVITE", SIP_M_INVITE), METHOD('A', "ACK", SIP_M_ACK),
    METHOD('B', "BYE", SIP_M_BYE), METHOD('C', "CANCEL", SIP_M_CANCEL),
    METHOD('O', "OPTIONS", SIP_M_OPTIONS), METHOD('R', "REGISTER", SIP_M_REGISTER),
    METHOD('P', "PRACK", SIP_M_PRACK), METHOD('U', "UPDATE", SIP_M_UPDATE),
    METHOD('I', "INFO", SIP_M_INFO), METHOD('N', "NOTIFY", SIP_M_NOTIFY),
    METHOD('R', "REFER", SIP_M_REFER), METHOD('M', "MESSAGE", SIP_M_MESSAGE),
    METHOD('P', "PUBLISH", SIP_M_PUBLISH),
};
#undef METHOD

/* sip_method_id() of the n bytes (1 <= n <= 8) held in the low bytes of w, the rest zero:
 * methods compare case-sensitively (RFC 3261 §7.1), so one slot and one word compare. */
static inline int method_id_word(uint64_t w, size_t n) {
    const method_word *h = &method_words[METHOD_SLOT(w, n)];
    return h->len == n && sip_load8(h->name) == w ? h->id : SIP_M_OTHER;
}
#endif

/* Request-URI checks beyond the single-SP rule (RFC 4475 §3.1.2.7, §3.1.2.11). */
static int check_ruri(sx_sv ruri, const char *lo) {
    /* RFC 3261 §19.1.5: headers are not allowed in a sip/sips Request-URI (check = 1). */
    if (ruri.p[0] == '<' || sip_uri_check(ruri, lo) != 0) return SIP_EURI;
    return 0;
}

/* Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly one SP
 * between the three parts and none at the end (RFC 4475 §3.1.2.8-10). */
static int parse_request_line(sx_sv line, sip_msg *m) {
    const char *p = line.p, *e = line.p + line.n;
    const char *sp1 = p;
    while (sp1 < e && sip_is(*sp1, SIP_CC_TOKEN)) sp1++;
    if (sp1 == p || sp1 == e || *sp1 != ' ') return SIP_ESTARTLINE;
    if (e[-1] == ' ' || e[-1] == '\t') return SIP_ESTARTLINE;
    const char *sp2 = e - 1;
    if (e - sp1 > 8 && e[-8] == ' ' && is_sip20(e - 7, 7))
        sp2 = e - 8; /* the usual " SIP/2.0" end: no SP after it, so it is the last */
    else
        while (sp2 > sp1 && *sp2 != ' ') sp2--;
    if (sp2 == sp1) return SIP_ESTARTLINE;
    if (!is_sip20(sp2 + 1, (size_t)(e - sp2 - 1)))
        return (e - sp2 > 4 && sip_ieq_word(sip_load4(sp2 + 1), sip_load4("sip/"))) ? SIP_EVERSION
                                                                                  : SIP_ESTARTLINE;
    sx_sv ruri = sx_sv_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    if (ruri.n == 0 || ruri.p[0] == ' ' || ruri.p[ruri.n - 1] == ' ') return SIP_ESTARTLINE;
    /* No SP or HTAB inside: sip_parse_uri refuses LWS within the URI but would trim it at the
     * ends, so only the ends are looked at here (the line holds no CR/LF: has_ctl). */
    if (ruri.p[0] == '\t' || ruri.p[ruri.n - 1] == '\t') return SIP_EURI;
    int rc = check_ruri(ruri, line.p);
    if (rc) return rc;
    m->is_request = 1;
    m->method = sx_sv_make(p, (size_t)(sp1 - p));
#if defined(SIP_LE)
    /* The line holds the method, two SPs, the URI and "SIP/2.0": eight bytes from p. */
    if (m->method.n <= 8)
        m->method_id = (uint8_t)method_id_word(sip_load8(p) & (~0ull >> (64 - 8 * m->method.n)),
                                               m->method.n);
    else
#endif
        m->method_id = (uint8_t)sip_method_id(m->method);
    m->ruri = ruri;
    return 0;
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2). The reason
 * may be empty (RFC 4475 §3.1.1.13) and UTF-8 (§3.1.1.12); a missing last SP is tolerated. */
static int parse_status_line(sx_sv line, sip_msg *m) {
    const char *p = line.p, *e = line.p + line.n;
    /* "SIP/2.0 " nearly always: taking that SP for the first one gives the same verdict, as
     * SIP/2.0 holds no SP (a line with one before is refused either way). */
    const char *sp = line.n >= 8 && p[7] == ' ' ? p + 7 : memchr(p, ' ', line.n);
    if (!is_sip20(p, sp ? (size_t)(sp - p) : line.n)) return SIP_EVERSION;
    if (!sp) return SIP_ESTATUS;
    const char *c = sp + 1;
    if (e - c < 3 || !sip_is(c[0], SIP_CC_DIGIT) || !sip_is(c[1], SIP_CC_DIGIT) ||
        !sip_is(c[2], SIP_CC_DIGIT))
        return SIP_ESTATUS;
    if (e - c > 3 && c[3] != ' ') return SIP_ESTATUS; /* 4+ digits: RFC 4475 §3.1.2.19 */
    int code = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
    if (code < 100 || code > 699) return SIP_ESTATUS;
    m->is_request = 0;
    m->status = code;
    m->reason = e - c > 3 ? sx_sv_make(c + 4, (size_t)(e - c - 4)) : sx_sv_make(e, 0);
    return 0;
}

/* ctl: whether the line holds a CTL, or -1 if not known yet. */
static int parse_start_line(sx_sv line, int ctl, sip_msg *m) {
    if (ctl < 0 ? has_ctl(line.p, line.n) : ctl) return SIP_EBINARY;
    m->start_line = line;
    if (line.n >= 4 && sip_ieq_word(sip_load4(line.p), sip_load4("sip/")))
        return parse_status_line(line, m);
    return parse_request_line(line, m);
}

/* ---- per-header hooks during the scan ---- */

static int note_clen(sx_sv v, sip_msg *m) {
    uint64_t x;
    if (sip_dec(v.p, v.n, SIP_MAX_CLEN, &x) != 0) return SIP_ECLEN; /* "-999", "1e3", overflow */
    if (m->content_length >= 0) {
        m->warn |= SIP_W_MULTI_CLEN; /* RFC 4475 §3.3.9: keep the first */
        return 0;
    }
    m->content_length = (int64_t)x;
    return 0;
}

static int note_header(int id, sx_sv v, sip_msg *m) {
    switch (id) {
    case SIP_H_CONTENT_LENGTH: return note_clen(v, m);
    case SIP_H_CALL_ID:
        if (m->call_id.p) {
            m->warn |= SIP_W_MULTI_CALLID; /* RFC 4475 §3.3.8: keep the first */
            return 0;
        }
        m->call_id = v;
        if (m->hint && m->hint->call_id) m->hint->call_id(m->hint->ud, m);
        return 0;
    default: return 0;
    }
}

/* The error for a header line that the buffer cuts before its LF: the same walk as a whole
 * line gets, so a bad name is refused at once and a good one waits for more bytes. */
static int cut_header(const char *p, const char *e) {
    const char *n0 = p;
    while (p < e && sip_is(*p, SIP_CC_TOKEN)) p++;
    const char *n1 = p;
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    if (p < e && (n1 == n0 || *p != ':')) return SIP_EHEADER;
    return SIP_EINCOMPLETE;
}

/* The LF ending a header value that starts on the line ending at nl: continuation lines
 * (starting with SP/HTAB) are part of it (RFC 3261 §7.3.1). NULL with *rc set when the
 * buffer ends first (or, on a stream, before the next line shows whether this one is
 * folded). */
static const char *value_end(const char *nl, const char *e, unsigned flags, sip_msg *m,
                             int *rc) {
    for (;;) {
        if (nl[-1] != '\r') m->warn |= SIP_W_BARE_LF; /* nl[-1] is the ':' at worst */
        const char *next = nl + 1;
        if (next == e && (flags & SIP_P_STREAM)) return *rc = SIP_EINCOMPLETE, NULL;
        if (next == e || (unsigned char)*next > ' ' || (*next != ' ' && *next != '\t'))
            return nl; /* the next line is a header (above SP) or the blank line */
        m->warn |= SIP_W_FOLDED;
        if (!(nl = memchr(next, '\n', (size_t)(e - next)))) return *rc = SIP_EINCOMPLETE, NULL;
    }
}

/* The end of the run of token characters at p, which must be followed by a non-token byte
 * before e (the parser knows an LF is there). Letters, digits and '-' go sixteen at a time. */
static const char *skip_name(const char *p, const char *e) {
#if defined(SIP_SSE2)
    for (; e - p >= 16; p += 16) {
        unsigned m = sip_nonalnum16(p);
        if (m) {
            p += __builtin_ctz(m);
            break;
        }
    }
#else
    (void)e;
#endif
    while (sip_is(*p, SIP_CC_TOKEN)) p++;
    return p;
}

/* Header id of the token name p[0..n) (n >= 1), where the parser may read up to e: a long
 * name is one hash slot and, when sixteen bytes can be read, one sixteen-byte compare (on
 * token characters |0x20 folds only upper-case letters onto a name's letters: '_' becomes
 * DEL, the others stay). */
static int hdr_id(const char *p, size_t n, const char *e) {
#if defined(SIP_SSE2)
    if (n >= 2 && n <= 20 && (n >= 16 || e - p >= 16)) {
        unsigned first = (unsigned char)p[0] | 0x20, last = (unsigned char)p[n - 1] | 0x20;
        const sip_hname *h = &sip_hname_by_hash[(8 * n + first + 3 * last) & 127];
        if (h->len != n) return SIP_H_OTHER;
        __m128i f = _mm_set1_epi8(0x20);
        __m128i a = _mm_cmpeq_epi8(_mm_or_si128(sip_load16(p), f), sip_load16(h->name));
        if (n <= 16) {
            unsigned want = (1u << n) - 1;
            return ((unsigned)_mm_movemask_epi8(a) & want) == want ? h->id : SIP_H_OTHER;
        }
        __m128i b = _mm_cmpeq_epi8(_mm_or_si128(sip_load16(p + n - 16), f),
                                   sip_load16(h->name + n - 16));
        return _mm_movemask_epi8(_mm_and_si128(a, b)) == 0xffff ? h->id : SIP_H_OTHER;
    }
#else
    (void)e;
#endif
    return sip_hdr_lookup_token(p, n);
}

#if defined(SIP_SSE2)
/* The id of the name p[0..n) when it is one of hdr.c's long names and the colon at p[n]
 * (n < 16) ends it; -1 otherwise, and the general scan reads the name. Those names are
 * letters and '-', token characters all: the scan would stop at this colon and find the
 * same id. x holds the sixteen bytes at p. */
static inline int known_name16(__m128i x, const char *p, size_t n) {
    unsigned first = (unsigned char)p[0] | 0x20, last = (unsigned char)p[n - 1] | 0x20;
    const sip_hname *h = &sip_hname_by_hash[(8 * n + first + 3 * last) & 127];
    if (h->len != n) return -1; /* a compact form (n = 1) too: no long name is that short */
    /* |0x20 folds only letters onto a name's letters, but CR onto its '-' ("Call\rID" is
     * no token): a CR fails the compare. The LF (onto '*') and the rest never match. */
    __m128i a = _mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), sip_load16(h->name));
    a = _mm_andnot_si128(sip_eq16(x, '\r'), a);
    return (size_t)__builtin_ctz(~(unsigned)_mm_movemask_epi8(a)) == n ? h->id : -1;
}

/* hdr_id() of a name of 2-15 token characters from x, the sixteen bytes at p already loaded:
 * a name that is no long one of hdr.c is an other header. */
static inline int hdr_id16(__m128i x, const char *p, size_t n) {
    int id = known_name16(x, p, n);
    return id >= 0 ? id : SIP_H_OTHER;
}

/* The end of the name at p (a token character) from x, the sixteen bytes at p; *id set when
 * hdr_id16() can tell it. */
static inline const char *name_end16(__m128i x, const char *p, const char *e, int *id) {
    unsigned na = sip_nonalnum16x(x);
    if (!na) return skip_name(p + 16, e);
    const char *n1 = p + __builtin_ctz(na);
    if (*n1 == ':' || !sip_is(*n1, SIP_CC_TOKEN)) { /* ':' (no token) nearly always */
        if (n1 - p >= 2) *id = hdr_id16(x, p, (size_t)(n1 - p));
    } else {
        while (sip_is(*n1, SIP_CC_TOKEN)) n1++; /* rarer token characters */
    }
    return n1;
}
#endif

/* The value of the line whose LF is at nl, starting after the colon at v0, when it is the
 * usual ": value\r\n" with a next line that is no continuation (a name's byte above SP, or
 * the CR of the blank line): value_end() would return nl without a warning and
 * sip_trim() take off one SP and the CR. Empty view otherwise (p NULL). The tests imply
 * nl - v0 >= 3 before nl[-2] is read: v0[0] == ' ' puts v0 before the LF, nl[-1] == '\r'
 * before nl - 1, and v0[1] > ' ' (not the CR) before nl - 2. */
static inline sx_sv plain_value(const char *v0, const char *nl, const char *e) {
    if (nl + 1 < e && ((unsigned char)nl[1] > ' ' || nl[1] == '\r') && nl[-1] == '\r' &&
        v0[0] == ' ' && (unsigned char)v0[1] > ' ' && (unsigned char)nl[-2] > ' ')
        return sx_sv_make(v0 + 1, (size_t)(nl - v0 - 2));
    return SX_SV_NULL;
}

/* Scans one header line starting at p (a token character). On success stores the header and
 * returns the start of the next line; sets the id's bit in *again if it is no first. The line's
 * LF is found first so that the name scan needs no bounds check: the LF is no token character. */
static inline __attribute__((always_inline)) const char *
parse_header(const char *p, const char *e, unsigned flags, sip_msg *m, unsigned *count,
             uint64_t *again, int *rc) {
    const char *nl, *n1 = NULL, *v0 = NULL; /* v0 NULL: the colon is yet to be checked */
    int id = -1; /* -1: hdr_id() decides once the colon is checked */
    if (!(nl = sip_find_lf(p, e, p))) return *rc = cut_header(p, e), NULL;
#if defined(SIP_SSE2)
    if (e - p >= 16) { /* nearly every name ends in these sixteen bytes */
        __m128i x = sip_load16(p);
        unsigned colon = (unsigned)_mm_movemask_epi8(sip_eq16(x, ':'));
        if (colon && (id = known_name16(x, p, (size_t)__builtin_ctz(colon))) >= 0) {
            n1 = p + __builtin_ctz(colon); /* the usual case: a known name and its colon */
            v0 = n1 + 1;
        } else {
            n1 = name_end16(x, p, e, &id);
        }
    }
#endif
    if (!n1) n1 = skip_name(p, e);
    if (!v0) {
        const char *c = n1; /* n1 > p: the line starts with a token character */
        if (*c != ':') { /* HCOLON = *(SP/HTAB) ":" SWS; the colon nearly always ends the name */
            while (*c == ' ' || *c == '\t') c++;
            if (*c != ':') return *rc = SIP_EHEADER, NULL;
        }
        v0 = c + 1;
        if (id < 0) id = hdr_id(p, (size_t)(n1 - p), e);
    }
    sx_sv v = plain_value(v0, nl, e);
    if (!v.p) {
        if (!(nl = value_end(nl, e, flags, m, rc))) return NULL;
        v = sip_trim(sx_sv_make(v0, (size_t)(nl - v0)));
    }
    unsigned n = *count;
    if (n >= SIP_MAX_HDRS) return *rc = SIP_ETOOMANY, NULL;
    size_t nlen = (size_t)(n1 - p);
    sip_hdr *h = &m->hdrs[n];
    h->name = sx_sv_make(p, nlen);
    h->value = v;
    h->id = (uint8_t)id;
    if (m->first[id] < 0) m->first[id] = (int16_t)n;
    else *again |= 1ull << id;
    *count = n + 1;
    if ((*rc = note_header(id, v, m)) != 0) return NULL;
    return nl + 1;
}

/* Parses the header block starting at p; returns the first byte of the body or NULL. */
static const char *parse_headers_n(const char *p, const char *e, unsigned flags, sip_msg *m,
                                   unsigned *count, uint64_t *again, int *rc) {
    for (;;) {
        /* A header name skips these tests, unless the buffer ends within 32 bytes: then
         * parse_header() knows that sixteen bytes can be loaded, and sip_find_lf() that its
         * first step can. */
        if (e - p < 32 || !sip_is(*p, SIP_CC_TOKEN)) {
            if (p == e) {
                /* A datagram that stops right after a complete header line lacks only the
                 * blank line: read it as an empty body rather than lose the message. */
                if ((flags & SIP_P_STREAM) || *count == 0) return *rc = SIP_EINCOMPLETE, NULL;
                m->warn |= SIP_W_NO_EOH;
                return p;
            }
            if (*p == '\n') {
                m->warn |= SIP_W_BARE_LF;
                return p + 1;
            }
            if (*p == '\r') {
                if (p + 1 == e) return *rc = SIP_EINCOMPLETE, NULL;
                if (p[1] == '\n') return p + 2;
                return *rc = SIP_EHEADER, NULL;
            }
            /* A fold with no header before it, or no name: parse_header() would refuse the
             * line the same way, LF or not. */
            if (!sip_is(*p, SIP_CC_TOKEN)) return *rc = SIP_EHEADER, NULL;
        }
        if (!(p = parse_header(p, e, flags, m, count, again, rc))) return NULL;
    }
}

/* The count of headers stays in a local while the block is scanned: m->first[] is int16_t
 * like m->nhdrs, so each store to it would force a reload of a count kept in *m. *again gets
 * the bits (1 << id) of the ids seen more than once. */
static const char *parse_headers(const char *p, const char *e, unsigned flags, sip_msg *m,
                                 uint64_t *again, int *rc) {
    unsigned count = 0; /* msg_reset() emptied the list */
    const char *r = parse_headers_n(p, e, flags, m, &count, again, rc);
    m->nhdrs = (uint16_t)count;
    return r;
}

/* ---- checks after the scan ---- */

/* sip_hdr_first() for an id known to be in range, inline: five look-ups per message. */
static inline sx_sv first_value(const sip_msg *m, int id) {
    return m->first[id] < 0 ? SX_SV_NULL : m->hdrs[m->first[id]].value;
}

#if defined(SIP_LE)
/* Bit 7 of each byte of x that is no decimal digit (no carry crosses a byte: each sum stays
 * below 0x100 on the low seven bits). */
static inline uint64_t nondigit8(uint64_t x) {
    uint64_t lo7 = x & ~SIP_HIGHS;
    return (x | (lo7 + SIP_ONES * 0x46) | ~(lo7 + SIP_ONES * 0x50)) & SIP_HIGHS;
}

/* The value of the k decimal digits (1 <= k <= 7) in the low bytes of x: the digits are
 * shifted to the top (the bytes below become zeros, leading zeros of the number), then pairs,
 * quads and the two halves are joined ("SWAR atoi"). The bytes after the digits may borrow in
 * the subtraction, but only upwards, and the shift drops them. */
static inline uint64_t dec_word(uint64_t x, unsigned k) {
    x = (x - SIP_ONES * '0') << (64 - 8 * k);
    x = ((x * (10 * 256 + 1)) >> 8) & 0x00ff00ff00ff00ffull;
    x = ((x * (100 * 65536 + 1)) >> 16) & 0x0000ffff0000ffffull;
    return (x * (10000ull * 4294967296ull + 1)) >> 32;
}

/* The usual CSeq, "1-7 digits SP method" (e.g. "101 INVITE"), read a word at a time; 1 once
 * m's CSeq fields are set, 0 when the general way must decide. A request's method must be its
 * own, a response's one that sip_method_id() knows (then all token characters). Reads stay
 * within [lo, hi), the message buffer. */
static int cseq_word(sx_sv v, sip_msg *m, const char *lo, const char *hi) {
    const char *e = v.p + v.n;
    if (hi - v.p < 8 || e - lo < 8) return 0;
    uint64_t x = sip_load8(v.p), nd = nondigit8(x);
    unsigned k = (unsigned)__builtin_ctzll(nd | SIP_HIGHS << 56) >> 3; /* k = 7 when nd = 0 */
    if (k == 0 || v.p[k] != ' ' || (size_t)(k + 1) >= v.n || (unsigned char)v.p[k + 1] <= ' ')
        return 0; /* LWS or a CTL after the SP, 8+ digits, a missing method: the general way */
    const char *t = v.p + k + 1;
    size_t n = (size_t)(e - t);
    if (n > 8) return 0;
    uint64_t w = sip_load8(e - 8) >> (64 - 8 * n); /* the method, zero-extended */
    int id;
    if (m->is_request) {
        if (n != m->method.n || w != (sip_load8(m->method.p) & (~0ull >> (64 - 8 * n))))
            return 0; /* RFC 3261 §8.1.1.5: the general way refuses it */
        id = m->method_id;
    } else if ((id = method_id_word(w, n)) == SIP_M_OTHER) {
        return 0;
    }
    m->cseq = (uint32_t)dec_word(x, k); /* below 10**7 */
    m->cseq_method = sx_sv_make(t, n);
    m->cseq_method_id = (uint8_t)id;
    return 1;
}
#endif

/* CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); the number is below 2**31 (§8.1.1.5). */
static int check_cseq(sip_msg *m, const char *lo, const char *hi) {
    sx_sv v = first_value(m, SIP_H_CSEQ);
    if (!v.p) return SIP_ECSEQ; /* before any arithmetic on the pointer: NULL + 0 is UB */
#if defined(SIP_LE)
    if (cseq_word(v, m, lo, hi)) return 0;
#else
    (void)lo, (void)hi;
#endif
    const char *p = v.p, *e = v.p + v.n, *d = p;
    uint64_t num = 0; /* sip_dec() of the digits, read as they are found */
    for (unsigned k; d < e && (k = (unsigned char)*d - '0') <= 9; d++) num = num * 10 + k;
    if (d == p || d - p > 19) { /* empty, or so long that num wrapped: the general way */
        if (sip_dec(p, (size_t)(d - p), 0x7fffffffu, &num) != 0) return SIP_ECSEQ;
    } else if (num > 0x7fffffffu) {
        return SIP_ECSEQ;
    }
    const char *t = sip_skip_lws(d, e);
    if (t == d) return SIP_ECSEQ;
    /* A request's CSeq method is nearly always its method: equal bytes are tokens up to e. */
    if (m->is_request && (size_t)(e - t) == m->method.n &&
        memcmp(t, m->method.p, m->method.n) == 0) {
        m->cseq = (uint32_t)num;
        m->cseq_method = sx_sv_make(t, m->method.n);
        m->cseq_method_id = m->method_id;
        return 0;
    }
    const char *t1 = t;
    while (t1 < e && sip_is(*t1, SIP_CC_TOKEN)) t1++;
    if (t1 == t || t1 != e) return SIP_ECSEQ;
    m->cseq = (uint32_t)num;
    m->cseq_method = sx_sv_make(t, (size_t)(t1 - t));
    /* RFC 3261 §8.1.1.5 and §8.2.2.3: the CSeq method matches the request's, ACK and CANCEL
     * included (RFC 4475 §3.1.2.17-18). Methods compare case-sensitively, so a request's
     * CSeq method has the id of its method. */
    if (!m->is_request) {
        m->cseq_method_id = (uint8_t)sip_method_id(m->cseq_method);
        return 0;
    }
    if (m->method.n != m->cseq_method.n || memcmp(m->method.p, m->cseq_method.p, m->method.n) != 0)
        return SIP_EMETHOD;
    m->cseq_method_id = m->method_id;
    return 0;
}

static int check_naddr(const sip_msg *m, int id, sip_naddr *na) {
    sx_sv v = first_value(m, id);
    return v.p && (sip_naddr_whole(v, na) == 0 || sip_parse_naddr(v, na) == 0);
}

/* The non-empty elements of one list-header value, in order, as sip_next_value() gives them
 * (without its bookkeeping across headers): calls fn on each until it fails. */
static int each_elem(sx_sv v, int (*fn)(sx_sv elem, void *out), void *out) {
    for (size_t off = 0; off <= v.n;) {
        size_t k = sip_list_elem_len(v.p + off, v.n - off);
        sx_sv el = sip_trim(sx_sv_make(v.p + off, k));
        off += k + 1;
        if (el.n && fn(el, out) != 0) return -1;
    }
    return 0;
}

static int naddr_ok(sx_sv elem, void *out) { return sip_naddr_elem(elem, out); }

_Static_assert(SIP_H__COUNT <= 64, "the ids seen again are bits of a uint64_t");

static int contact_ok(sx_sv v) {
    sip_naddr na;
    return sip_naddr_whole(v, &na) == 0 || each_elem(v, naddr_ok, &na) == 0;
}

/* Every Contact value: a name-addr, an addr-spec without ',', '?' or ';' (RFC 3261 §20.10,
 * RFC 4475 §3.1.2.13) or '*'. A message has one Contact header or none (again: the ids seen
 * more than once): the others are looked for only when there are some. */
static int check_contacts(const sip_msg *m, uint64_t again) {
    int i = m->first[SIP_H_CONTACT];
    if (i < 0) return 0;
    if (!(again & 1ull << SIP_H_CONTACT)) return contact_ok(m->hdrs[i].value) ? 0 : SIP_ECONTACT;
    for (; i < m->nhdrs; i++)
        if (m->hdrs[i].id == SIP_H_CONTACT && !contact_ok(m->hdrs[i].value)) return SIP_ECONTACT;
    return 0;
}

/* The first Via value (the first non-empty element of the Via headers) into m->via. */
static int check_via(sip_msg *m) {
    for (int i = m->first[SIP_H_VIA]; i >= 0 && i < m->nhdrs; i++) {
        if (m->hdrs[i].id != SIP_H_VIA) continue;
        sx_sv v = m->hdrs[i].value;
        if (sip_via_whole(v, &m->via) == 0) return 0;
        for (size_t off = 0; off <= v.n;) {
            size_t k = sip_list_elem_len(v.p + off, v.n - off);
            sx_sv el = sip_trim(sx_sv_make(v.p + off, k));
            off += k + 1;
            if (el.n) return sip_via_elem(el, &m->via) == 0 ? 0 : SIP_EVIA;
        }
    }
    return SIP_EVIA;
}

static int check_max_forwards(const sip_msg *m) {
    sx_sv v = first_value(m, SIP_H_MAX_FORWARDS);
    uint64_t x;
    return (!v.p || sip_dec(v.p, v.n, 255, &x) == 0) ? 0 : SIP_EMAXFWD;
}

/* A light Date check: RFC 3261 §20.17 allows only "GMT" (RFC 4475 §3.1.2.12 sends "EST").
 * The date itself is not interpreted here. */
static int check_date(const sip_msg *m) {
    sx_sv v = first_value(m, SIP_H_DATE);
    if (!v.p) return 0;
    return (v.n >= 4 && memcmp(v.p + v.n - 4, " GMT", 4) == 0) ? 0 : SIP_EDATE;
}

static int check_message(sip_msg *m, uint64_t again, const char *lo, const char *hi) {
    if (!m->call_id.p || m->call_id.n == 0) return SIP_ECALLID;
    int rc = check_cseq(m, lo, hi);
    if (rc) return rc;
    if (!check_naddr(m, SIP_H_FROM, &m->from) || !check_naddr(m, SIP_H_TO, &m->to))
        return SIP_EFROMTO;
    if ((rc = check_via(m)) != 0) return rc;
    if ((rc = check_contacts(m, again)) != 0) return rc;
    if ((rc = check_max_forwards(m)) != 0) return rc;
    if ((rc = check_date(m)) != 0) return rc;
    m->has_addr = 1;
    return 0;
}

/* ---- the entry point ---- */

#if defined(SIP_SSE2)
/* The LF ending the start line at p, found in whole sixteen-byte blocks, with *ctl set to
 * has_ctl() of the line before it (without its CR): the blocks are loaded once for both.
 * NULL when no LF is in the blocks before the last sixteen bytes (the caller then looks the
 * plain way). */
static const char *start_lf(const char *p, const char *e, int *ctl) {
    unsigned any = 0, prev = 0; /* CTLs of the blocks before the last one; of the last one */
    for (const char *q = p; e - q >= 16; q += 16) {
        __m128i x = sip_load16(q);
        unsigned lf = (unsigned)_mm_movemask_epi8(sip_eq16(x, '\n')), c = ctl16x(x);
        if (lf) {
            unsigned k = (unsigned)__builtin_ctz(lf);
            c &= (1u << k) - 1; /* the bytes before the LF */
            if (k > 0 && q[k - 1] == '\r') c &= ~(1u << (k - 1)); /* the line's CR is no CTL */
            else if (k == 0 && q > p && q[-1] == '\r') prev &= 0x7fffu;
            *ctl = (any | prev | c) != 0;
            return q + k;
        }
        any |= prev;
        prev = c;
    }
    return NULL;
}
#endif

static void msg_reset(sip_msg *m) {
    m->is_request = 0;
    m->method = m->ruri = m->reason = m->start_line = SX_SV_NULL;
    m->method_id = SIP_M_OTHER;
    m->status = 0;
    m->nhdrs = 0;
    memset(m->first, 0xff, sizeof m->first); /* all -1 */
    m->call_id = m->cseq_method = m->body = SX_SV_NULL;
    m->cseq = 0;
    m->cseq_method_id = SIP_M_OTHER;
    m->content_length = -1;
    m->len = 0;
    m->warn = 0;
    m->has_addr = 0;
}

/* Sets the body from Content-Length; returns the end of the message or NULL. */
static const char *take_body(const char *b, const char *e, unsigned flags, sip_msg *m,
                             int *rc) {
    size_t avail = (size_t)(e - b);
    if (m->content_length < 0) {
        if (flags & SIP_P_STREAM) return *rc = SIP_ECLEN, NULL; /* RFC 3261 §18.3 */
        m->warn |= SIP_W_NO_CLEN;
        m->body = sx_sv_make(b, avail);
        return e;
    }
    size_t cl = (size_t)m->content_length;
    if (cl > avail) /* RFC 4475 §3.1.2.2: on a datagram it can only be malformed */
        return *rc = (flags & SIP_P_STREAM) ? SIP_EINCOMPLETE : SIP_ECLEN, NULL;
    if (cl < avail && !(flags & SIP_P_STREAM)) m->warn |= SIP_W_TRAILING; /* §3.1.1.8 */
    m->body = sx_sv_make(b, cl);
    return b + cl;
}

int sip_parse_hinted(const char *buf, size_t len, unsigned flags, sip_msg *m,
                     const sip_hint *hint) {
    msg_reset(m);
    m->hint = hint;
    if (len > INT_MAX) len = INT_MAX; /* the result is an int */
    const char *p = buf, *e = buf + len;
    /* RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives on streams). */
    while (p < e && (*p == '\r' || *p == '\n')) p++;
    int ctl = -1;
    const char *nl = NULL;
#if defined(SIP_SSE2)
    if (p < e) nl = start_lf(p, e, &ctl);
#endif
    if (!nl && p < e) nl = sip_find_lf(p, e, buf);
    if (!nl) { /* binary junk is refused at once; a partial line (maybe up to its CR) waits */
        size_t k = (size_t)(e - p);
        if (k && p[k - 1] == '\r') k--;
        return has_ctl(p, k) ? SIP_EBINARY : SIP_EINCOMPLETE;
    }
    const char *le = nl;
    if (le > p && le[-1] == '\r') le--;
    else m->warn |= SIP_W_BARE_LF;
    if (le == p) return SIP_ESTARTLINE;
    int rc = parse_start_line(sx_sv_make(p, (size_t)(le - p)), ctl, m);
    if (rc) return rc;
    uint64_t again = 0;
    const char *body = parse_headers(nl + 1, e, flags, m, &again, &rc);
    if (!body) return rc;
    if (hint && hint->headers) hint->headers(hint->ud, m);
    const char *end = take_body(body, e, flags, m, &rc);
    if (!end) return rc;
    m->len = (size_t)(end - p);
    if ((rc = check_message(m, again, buf, e)) != 0) return rc;
    return (int)(end - buf);
}

int sip_parse(const char *buf, size_t len, unsigned flags, sip_msg *m) {
    return sip_parse_hinted(buf, len, flags, m, NULL);
}
