/* hdr.c -- header names (long and compact forms), method names, and header iteration.
 *
 * Name lookup runs once per header line on the hot path, so it switches on the length and
 * compares only the few names of that length (at most six), first character first, instead
 * of a strcasecmp loop over every known name.
 */
#include "sip_int.h"

const uint8_t sip_cc[256] = {
    0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x42, 0x62, 0x60, 0x60, 0x62, 0x60, 0x60,
    0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,
    0x42, 0x01, 0x40, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x01, 0x00, 0x11, 0x11, 0x00,
    0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x00, 0x00, 0x40, 0x00, 0x40, 0x00,
    0x00, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19,
    0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x00, 0x00, 0x00, 0x00, 0x11,
    0x01, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19,
    0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x19, 0x00, 0x00, 0x00, 0x01, 0x60,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Compares n bytes of token characters s with a lower-case literal, 8 bytes at a time. */
static int ieq_lower(const char *s, const char *lit, size_t n) {
    const uint64_t lower = 0x2020202020202020ull;
    for (; n >= 8; s += 8, lit += 8, n -= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, lit, 8);
        if ((a | lower) != b) return 0;
    }
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != lit[i]) return 0;
    return 1;
}

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

/* Long names grouped by length; lower case for ieq_lower(). */
typedef struct { const char *name; uint8_t id; } name_id;
#define NI(s, id) {s, id}
static const name_id len2[] = {NI("to", SIP_H_TO)};
static const name_id len3[] = {NI("via", SIP_H_VIA)};
static const name_id len4[] = {NI("from", SIP_H_FROM), NI("cseq", SIP_H_CSEQ), NI("date", SIP_H_DATE)};
static const name_id len5[] = {NI("route", SIP_H_ROUTE), NI("event", SIP_H_EVENT),
                               NI("x-cid", SIP_H_X_CID)};
static const name_id len6[] = {NI("reason", SIP_H_REASON), NI("server", SIP_H_SERVER)};
static const name_id len7[] = {NI("call-id", SIP_H_CALL_ID), NI("contact", SIP_H_CONTACT),
                               NI("warning", SIP_H_WARNING), NI("require", SIP_H_REQUIRE),
                               NI("privacy", SIP_H_PRIVACY), NI("subject", SIP_H_SUBJECT)};
static const name_id len8[] = {NI("identity", SIP_H_IDENTITY), NI("refer-to", SIP_H_REFER_TO)};
static const name_id len9[] = {NI("call-info", SIP_H_CALL_INFO), NI("supported", SIP_H_SUPPORTED),
                               NI("diversion", SIP_H_DIVERSION)};
static const name_id len10[] = {NI("user-agent", SIP_H_USER_AGENT),
                                NI("session-id", SIP_H_SESSION_ID)};
static const name_id len11[] = {NI("retry-after", SIP_H_RETRY_AFTER),
                                NI("referred-by", SIP_H_REFERRED_BY)};
static const name_id len12[] = {NI("content-type", SIP_H_CONTENT_TYPE),
                                NI("max-forwards", SIP_H_MAX_FORWARDS),
                                NI("record-route", SIP_H_RECORD_ROUTE),
                                NI("feature-caps", SIP_H_FEATURE_CAPS),
                                NI("history-info", SIP_H_HISTORY_INFO),
                                NI("allow-events", SIP_H_ALLOW_EVENTS)};
static const name_id len14[] = {NI("content-length", SIP_H_CONTENT_LENGTH),
                                NI("accept-contact", SIP_H_ACCEPT_CONTACT),
                                NI("reject-contact", SIP_H_REJECT_CONTACT)};
static const name_id len15[] = {NI("session-expires", SIP_H_SESSION_EXPIRES)};
static const name_id len16[] = {NI("content-encoding", SIP_H_CONTENT_ENCODING)};
static const name_id len17[] = {NI("p-charging-vector", SIP_H_P_CHARGING_VECTOR)};
static const name_id len19[] = {NI("p-asserted-identity", SIP_H_PAI),
                                NI("request-disposition", SIP_H_REQUEST_DISPOSITION)};
static const name_id len20[] = {NI("p-preferred-identity", SIP_H_PPI)};
#undef NI

int sip_hdr_lookup(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!sip_is(s[i], SIP_CC_TOKEN)) return SIP_H_OTHER;
    return sip_hdr_lookup_token(s, n);
}

int sip_hdr_lookup_token(const char *s, size_t n) {
    const name_id *t;
    size_t cnt;
#define LEN(k) case k: t = len##k; cnt = sizeof len##k / sizeof len##k[0]; break;
    switch (n) {
    case 1: {
        int c = s[0] | 0x20;
        return (c >= 'a' && c <= 'z') ? compact[c - 'a'] : SIP_H_OTHER;
    }
    LEN(2) LEN(3) LEN(4) LEN(5) LEN(6) LEN(7) LEN(8) LEN(9) LEN(10) LEN(11) LEN(12)
    LEN(14) LEN(15) LEN(16) LEN(17) LEN(19) LEN(20)
    default: return SIP_H_OTHER;
    }
#undef LEN
    int c0 = s[0] | 0x20;
    for (size_t i = 0; i < cnt; i++)
        if (t[i].name[0] == c0 && ieq_lower(s + 1, t[i].name + 1, n - 1)) return t[i].id;
    return SIP_H_OTHER;
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

int sip_method_id(sx_sv m) {
    static const struct { const char *s; uint8_t n, id; } tab[] = {
        {"INVITE", 6, SIP_M_INVITE},   {"ACK", 3, SIP_M_ACK},
        {"BYE", 3, SIP_M_BYE},         {"CANCEL", 6, SIP_M_CANCEL},
        {"OPTIONS", 7, SIP_M_OPTIONS}, {"REGISTER", 8, SIP_M_REGISTER},
        {"PRACK", 5, SIP_M_PRACK},     {"UPDATE", 6, SIP_M_UPDATE},
        {"INFO", 4, SIP_M_INFO},       {"SUBSCRIBE", 9, SIP_M_SUBSCRIBE},
        {"NOTIFY", 6, SIP_M_NOTIFY},   {"REFER", 5, SIP_M_REFER},
        {"MESSAGE", 7, SIP_M_MESSAGE}, {"PUBLISH", 7, SIP_M_PUBLISH},
    };
    if (m.n < 3 || m.n > 9) return SIP_M_OTHER;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (tab[i].n == m.n && tab[i].s[0] == m.p[0] && memcmp(tab[i].s, m.p, m.n) == 0)
            return tab[i].id;
    return SIP_M_OTHER;
}

/* ---- iteration ---- */

size_t sip_list_elem_len(const char *p, size_t n) {
    if (!n || !memchr(p, ',', n)) return n; /* the common case, at memchr speed */
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
