/* hdr.c -- header names (long and compact forms), method names, and header iteration.
 *
 * Name lookup runs once per header line on the hot path, so it reads one slot of a perfect
 * hash and compares one candidate a word at a time, instead of a strcasecmp loop over every
 * known name.
 */
#include "sip_int.h"

const uint8_t sip_cc[256] = {
    0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xc2, 0xe2, 0xe0, 0xe0, 0xe2, 0xe0, 0xe0,
    0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0, 0xe0,
    0xc2, 0x01, 0xc0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x01, 0x80, 0x11, 0x11, 0x00,
    0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x00, 0x80, 0xc0, 0x00, 0xc0, 0x00,
    0x00, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19,
    0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x00, 0x00, 0x00, 0x00, 0x11,
    0x01, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19,
    0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x00, 0x00, 0x00, 0x01, 0xe0,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* ---- header names ---- */

static const char *const canon[SIP_H__COUNT] = {
    [SIP_H_OTHER] = "",
    [SIP_H_VIA] = "Via",
    [SIP_H_FROM] = "From",
    [SIP_H_TO] = "To",
    [SIP_H_CALL_ID] = "Call-ID",
    [SIP_H_CSEQ] = "CSeq",
    [SIP_H_CONTACT] = "Contact",
    [SIP_H_CONTENT_LENGTH] = "Content-Length",
    [SIP_H_CONTENT_TYPE] = "Content-Type",
    [SIP_H_MAX_FORWARDS] = "Max-Forwards",
    [SIP_H_PAI] = "P-Asserted-Identity",
    [SIP_H_PPI] = "P-Preferred-Identity",
    [SIP_H_REASON] = "Reason",
    [SIP_H_WARNING] = "Warning",
    [SIP_H_RETRY_AFTER] = "Retry-After",
    [SIP_H_CALL_INFO] = "Call-Info",
    [SIP_H_IDENTITY] = "Identity",
    [SIP_H_SERVER] = "Server",
    [SIP_H_USER_AGENT] = "User-Agent",
    [SIP_H_RECORD_ROUTE] = "Record-Route",
    [SIP_H_ROUTE] = "Route",
    [SIP_H_SESSION_ID] = "Session-ID",
    [SIP_H_X_CID] = "X-CID",
    [SIP_H_P_CHARGING_VECTOR] = "P-Charging-Vector",
    [SIP_H_DATE] = "Date",
    [SIP_H_SESSION_EXPIRES] = "Session-Expires",
    [SIP_H_SUPPORTED] = "Supported",
    [SIP_H_REQUIRE] = "Require",
    [SIP_H_FEATURE_CAPS] = "Feature-Caps",
    [SIP_H_PRIVACY] = "Privacy",
    [SIP_H_DIVERSION] = "Diversion",
    [SIP_H_HISTORY_INFO] = "History-Info",
    [SIP_H_CONTENT_ENCODING] = "Content-Encoding",
    [SIP_H_ACCEPT_CONTACT] = "Accept-Contact",
    [SIP_H_REFERRED_BY] = "Referred-By",
    [SIP_H_REQUEST_DISPOSITION] = "Request-Disposition",
    [SIP_H_REJECT_CONTACT] = "Reject-Contact",
    [SIP_H_EVENT] = "Event",
    [SIP_H_REFER_TO] = "Refer-To",
    [SIP_H_SUBJECT] = "Subject",
    [SIP_H_ALLOW_EVENTS] = "Allow-Events",
};

const char *sip_hdr_name(int id) {
    return (id > 0 && id < SIP_H__COUNT) ? canon[id] : "other";
}

/* Compact forms: RFC 3261 §7.3.3 (c e f i k l m s t v) and the IANA "Header Fields"
 * registry (a b d j o r u x y). 'n' (Identity-Info, RFC 4474) is obsolete (RFC 8224 §4). */
static const uint8_t compact[26] = {
    ['a' - 'a'] = SIP_H_ACCEPT_CONTACT,  ['b' - 'a'] = SIP_H_REFERRED_BY,
    ['c' - 'a'] = SIP_H_CONTENT_TYPE,    ['d' - 'a'] = SIP_H_REQUEST_DISPOSITION,
    ['e' - 'a'] = SIP_H_CONTENT_ENCODING, ['f' - 'a'] = SIP_H_FROM,
    ['i' - 'a'] = SIP_H_CALL_ID,         ['j' - 'a'] = SIP_H_REJECT_CONTACT,
    ['k' - 'a'] = SIP_H_SUPPORTED,       ['l' - 'a'] = SIP_H_CONTENT_LENGTH,
    ['m' - 'a'] = SIP_H_CONTACT,         ['o' - 'a'] = SIP_H_EVENT,
    ['r' - 'a'] = SIP_H_REFER_TO,        ['s' - 'a'] = SIP_H_SUBJECT,
    ['t' - 'a'] = SIP_H_TO,              ['u' - 'a'] = SIP_H_ALLOW_EVENTS,
    ['v' - 'a'] = SIP_H_VIA,             ['x' - 'a'] = SIP_H_SESSION_EXPIRES,
    ['y' - 'a'] = SIP_H_IDENTITY,
};

/* Long names (layout in sip_int.h): one slot read and one word-wise compare replace a walk
 * over the candidates of a length. */
const sip_hname sip_hname_by_hash[128] = {
    [1] = {12, SIP_H_RECORD_ROUTE, "record-route"},
    [7] = {7, SIP_H_SUBJECT, "subject"},
    [11] = {14, SIP_H_CONTENT_LENGTH, "content-length"},
    [19] = {7, SIP_H_PRIVACY, "privacy"},
    [20] = {8, SIP_H_IDENTITY, "identity"},
    [21] = {12, SIP_H_HISTORY_INFO, "history-info"},
    [24] = {16, SIP_H_CONTENT_ENCODING, "content-encoding"},
    [26] = {12, SIP_H_ALLOW_EVENTS, "allow-events"},
    [31] = {12, SIP_H_FEATURE_CAPS, "feature-caps"},
    [32] = {11, SIP_H_RETRY_AFTER, "retry-after"},
    [33] = {10, SIP_H_USER_AGENT, "user-agent"},
    [38] = {12, SIP_H_MAX_FORWARDS, "max-forwards"},
    [45] = {14, SIP_H_ACCEPT_CONTACT, "accept-contact"},
    [49] = {3, SIP_H_VIA, "via"},
    [51] = {4, SIP_H_DATE, "date"},
    [53] = {11, SIP_H_REFERRED_BY, "referred-by"},
    [62] = {14, SIP_H_REJECT_CONTACT, "reject-contact"},
    [68] = {15, SIP_H_SESSION_EXPIRES, "session-expires"},
    [71] = {7, SIP_H_CALL_ID, "call-id"},
    [73] = {5, SIP_H_ROUTE, "route"},
    [76] = {5, SIP_H_X_CID, "x-cid"},
    [77] = {4, SIP_H_FROM, "from"},
    [78] = {17, SIP_H_P_CHARGING_VECTOR, "p-charging-vector"},
    [81] = {2, SIP_H_TO, "to"},
    [84] = {19, SIP_H_REQUEST_DISPOSITION, "request-disposition"},
    [86] = {4, SIP_H_CSEQ, "cseq"},
    [89] = {7, SIP_H_REQUIRE, "require"},
    [100] = {7, SIP_H_WARNING, "warning"},
    [103] = {9, SIP_H_SUPPORTED, "supported"},
    [105] = {5, SIP_H_EVENT, "event"},
    [108] = {6, SIP_H_REASON, "reason"},
    [111] = {10, SIP_H_SESSION_ID, "session-id"},
    [114] = {12, SIP_H_CONTENT_TYPE, "content-type"},
    [115] = {19, SIP_H_PAI, "p-asserted-identity"},
    [118] = {9, SIP_H_DIVERSION, "diversion"},
    [119] = {7, SIP_H_CONTACT, "contact"},
    [120] = {9, SIP_H_CALL_INFO, "call-info"},
    [121] = {6, SIP_H_SERVER, "server"},
    [123] = {20, SIP_H_PPI, "p-preferred-identity"},
    [127] = {8, SIP_H_REFER_TO, "refer-to"},
};

/* s[0..n) equals the padded lower-case name lit, ignoring case (n >= 2). Overlapping loads
 * cover the tail, so no read leaves s[0..n) or lit[0..24). */
static int hname_eq(const char *s, size_t n, const char *lit) {
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (!sip_ieq_word(sip_load8(s + i), sip_load8(lit + i))) return 0;
        return sip_ieq_word(sip_load8(s + n - 8), sip_load8(lit + n - 8));
    }
    if (n >= 4)
        return sip_ieq_word(sip_load4(s), sip_load4(lit)) &&
               sip_ieq_word(sip_load4(s + n - 4), sip_load4(lit + n - 4));
    return sip_ieq_word(sip_load2(s), sip_load2(lit)) &&
           sip_ieq_word(sip_load2(s + n - 2), sip_load2(lit + n - 2));
}

/* The compare is exact (case folds only where the name has a letter), so a name that is not
 * all token characters can match nothing: no separate token check is needed. */
int sip_hdr_lookup(const char *s, size_t n) { return sip_hdr_lookup_token(s, n); }

int sip_hdr_lookup_token(const char *s, size_t n) {
    if (n == 1) {
        int c = (unsigned char)s[0] | 0x20;
        return (c >= 'a' && c <= 'z') ? compact[c - 'a'] : SIP_H_OTHER;
    }
    if (n < 2 || n > 20) return SIP_H_OTHER;
    unsigned first = (unsigned char)s[0] | 0x20, last = (unsigned char)s[n - 1] | 0x20;
    const sip_hname *h = &sip_hname_by_hash[(8 * n + first + 3 * last) & 127];
    return (h->len == n && hname_eq(s, n, h->name)) ? h->id : SIP_H_OTHER;
}

/* Which headers are comma-separated lists (RFC 3261 §7.3.1 "#" rules). Single-valued ones
 * (From, To, Call-ID, CSeq, Date -- whose value has a comma --, Retry-After, Subject,
 * Server, User-Agent, Identity...) and every unknown header (the credentials headers
 * WWW-Authenticate, Authorization, Proxy-Authenticate, Proxy-Authorization are among them)
 * are never split. */
int sip_hdr_is_list(int id) {
    switch (id) {
    case SIP_H_VIA: case SIP_H_CONTACT: case SIP_H_PAI: case SIP_H_PPI: case SIP_H_REASON:
    case SIP_H_WARNING: case SIP_H_CALL_INFO: case SIP_H_RECORD_ROUTE: case SIP_H_ROUTE:
    case SIP_H_SUPPORTED: case SIP_H_REQUIRE: case SIP_H_FEATURE_CAPS:
    case SIP_H_DIVERSION: case SIP_H_HISTORY_INFO: case SIP_H_CONTENT_ENCODING:
    case SIP_H_ACCEPT_CONTACT: case SIP_H_REJECT_CONTACT: case SIP_H_REQUEST_DISPOSITION:
    case SIP_H_ALLOW_EVENTS:
        return 1;
    default:
        return 0;
    }
}

/* ---- methods (case-sensitive, RFC 3261 §7.1) ---- */

static int method_is(sx_sv m, const char *lit, size_t n, int id) {
    return (m.n == n && memcmp(m.p, lit, n) == 0) ? id : SIP_M_OTHER;
}

int sip_method_id(sx_sv m) {
    if (m.n < 3 || m.n > 9) return SIP_M_OTHER;
    switch (m.p[0]) { /* one candidate per first letter and length */
    case 'A': return method_is(m, "ACK", 3, SIP_M_ACK);
    case 'B': return method_is(m, "BYE", 3, SIP_M_BYE);
    case 'C': return method_is(m, "CANCEL", 6, SIP_M_CANCEL);
    case 'I': return m.n == 6 ? method_is(m, "INVITE", 6, SIP_M_INVITE)
                              : method_is(m, "INFO", 4, SIP_M_INFO);
    case 'M': return method_is(m, "MESSAGE", 7, SIP_M_MESSAGE);
    case 'N': return method_is(m, "NOTIFY", 6, SIP_M_NOTIFY);
    case 'O': return method_is(m, "OPTIONS", 7, SIP_M_OPTIONS);
    case 'P': return m.n == 5 ? method_is(m, "PRACK", 5, SIP_M_PRACK)
                              : method_is(m, "PUBLISH", 7, SIP_M_PUBLISH);
    case 'R': return m.n == 5 ? method_is(m, "REFER", 5, SIP_M_REFER)
                              : method_is(m, "REGISTER", 8, SIP_M_REGISTER);
    case 'S': return method_is(m, "SUBSCRIBE", 9, SIP_M_SUBSCRIBE);
    case 'U': return method_is(m, "UPDATE", 6, SIP_M_UPDATE);
    default: return SIP_M_OTHER;
    }
}

/* ---- iteration ---- */

/* Is there a ',' in p[0..n)? Values are some 20-60 bytes: an inline sixteen-byte scan (the
 * last step overlapping the one before) beats a call to memchr. */
static int has_comma(const char *p, size_t n) {
#if defined(SIP_SSE2)
    if (n >= 16) { /* a yes/no: the compares are OR-ed and tested once */
        __m128i acc = sip_eq16(sip_load16(p + n - 16), ',');
        for (size_t i = 0; i + 16 < n; i += 16) acc = _mm_or_si128(acc, sip_eq16(sip_load16(p + i), ','));
        return _mm_movemask_epi8(acc) != 0;
    }
#endif
    for (size_t i = 0; i < n; i++)
        if (p[i] == ',') return 1;
    return 0;
}

size_t sip_list_elem_len(const char *p, size_t n) {
    if (!has_comma(p, n)) return n; /* the common case */
    int angle = 0;
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '"': /* quoted-string: skip to the closing quote, honouring quoted-pair */
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\') i++;
            break;
        case '<': angle = 1; break;
        case '>': angle = 0; break;
        case ',':
            if (!angle) return i;
            break;
        default: break;
        }
    }
    return n;
}

int sip_next_hdr(const sip_msg *m, int id, int *idx, sx_sv *value) {
    if (id < 0 || id >= SIP_H__COUNT) return 0;
    int i = *idx < 0 ? m->first[id] : *idx + 1;
    if (i < 0) return 0;
    for (; i < m->nhdrs; i++)
        if (m->hdrs[i].id == id) {
            *idx = i;
            *value = m->hdrs[i].value;
            return 1;
        }
    *idx = m->nhdrs;
    return 0;
}

int sip_next_value(const sip_msg *m, int id, sip_vit *it, sx_sv *value) {
    if (id < 0 || id >= SIP_H__COUNT) return 0;
    if (!it->started) {
        it->started = 1;
        it->hdr = m->first[id];
        it->off = 0;
    }
    int list = sip_hdr_is_list(id);
    while (it->hdr >= 0 && it->hdr < m->nhdrs) {
        sx_sv v = m->hdrs[it->hdr].value;
        if (m->hdrs[it->hdr].id == id) {
            if (!list && it->off == 0) {
                it->off = v.n + 1;
                *value = v;
                return 1;
            }
            /* Empty elements ("a,,b", a trailing comma) are skipped, as in RFC 7230 §7. */
            while (list && it->off <= v.n) {
                size_t k = sip_list_elem_len(v.p + it->off, v.n - it->off);
                sx_sv e = sip_trim(sx_sv_make(v.p + it->off, k));
                it->off += k + 1;
                if (e.n) {
                    *value = e;
                    return 1;
                }
            }
        }
        it->hdr++;
        it->off = 0;
    }
    return 0;
}

sx_sv sip_hdr_first(const sip_msg *m, int id) {
    if (id < 0 || id >= SIP_H__COUNT || m->first[id] < 0) return SX_SV_NULL;
    return m->hdrs[m->first[id]].value;
}

sx_sv sip_hdr_by_name(const sip_msg *m, const char *name) {
    size_t n = strlen(name);
    int id = sip_hdr_lookup(name, n);
    if (id != SIP_H_OTHER) return sip_hdr_first(m, id);
    for (int i = 0; i < m->nhdrs; i++)
        if (m->hdrs[i].id == SIP_H_OTHER && sx_sv_ieq(m->hdrs[i].name, name))
            return m->hdrs[i].value;
    return SX_SV_NULL;
}
