/* sig_resp.c -- what came back: Reason headers (RFC 3326, RFC 8606 location, RFC 9410 STIR
 * reasons), the 603+ profile (ATIS-1000099), the 608 jCard (RFC 8688 §3.2), the STIR failure
 * a response implies (RFC 8224 §6.2.2) and verstat (3GPP TS 24.229 §7.2A.20). */
#include <cjson/cJSON.h>
#include <string.h>
#include <strings.h>

#include "sig_int.h"
#include "sip/sip.h"

void sig_copy(char *dst, size_t bufcap, sx_sv v) {
    size_t n = v.n < bufcap - 1 ? v.n : bufcap - 1;
    if (n) memcpy(dst, v.p, n);
    dst[n] = '\0';
}

/* ---- 603+ Reason text ----
 * The reference (§2) profiles the text as an attribute list, e.g.
 * text="v=analytics1;url=https://example.com;id=12345". Key spellings vary by vendor, so a
 * few synonyms are accepted; unknown keys are skipped. */

static sx_sv sv_cut(sx_sv s, size_t from, size_t to) { return sx_sv_make(s.p + from, to - from); }

typedef struct blocked_key { const char *key; size_t off, cap; } blocked_key;
#define BK(k, f) {k, offsetof(sig_blocked, f), sizeof(((sig_blocked *)0)->f)}
static const blocked_key bkeys[] = {
    BK("v", version), BK("ver", version), BK("version", version),
    BK("bp", party), BK("party", party), BK("by", party), BK("blocked-by", party),
    BK("blocker", party), BK("org", party), BK("name", party),
    BK("url", url), BK("u", url), BK("redress", url),
    BK("tel", tel), BK("t", tel), BK("phone", tel),
    BK("email", email), BK("e", email), BK("mail", email),
    BK("id", id), BK("ref", id),
};

static void blocked_pair(sig_blocked *b, sx_sv key, sx_sv val) {
    for (size_t i = 0; i < sizeof bkeys / sizeof *bkeys; i++) {
        if (!sx_sv_ieq(key, bkeys[i].key)) continue;
        sig_copy((char *)b + bkeys[i].off, bkeys[i].cap, val);
        return;
    }
}

int sig_parse_blocked_text(sx_sv text, sig_blocked *b) {
    int pairs = 0;
    size_t i = 0;
    while (i < text.n) {
        size_t end = i;
        while (end < text.n && text.p[end] != ';' && text.p[end] != ',') end++;
        sx_sv item = sx_sv_trim(sv_cut(text, i, end));
        const char *eq = item.n ? memchr(item.p, '=', item.n) : NULL;
        if (eq) {
            sx_sv key = sx_sv_trim(sx_sv_make(item.p, (size_t)(eq - item.p)));
            sx_sv val = sx_sv_trim(sx_sv_make(eq + 1, item.n - (size_t)(eq + 1 - item.p)));
            if (key.n) blocked_pair(b, key, val), pairs++;
        }
        i = end + 1;
    }
    return pairs;
}

/* ---- 608 jCard ---- */

static int b64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* h.p.s with base64url segments, the header long enough to hold {"alg":...}. */
static int looks_like_jws(sx_sv s) {
    int dots = 0;
    size_t first = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '.') {
            if (!dots) first = i;
            dots++;
        } else if (!b64url_char(s.p[i]) && s.p[i] != '=') {
            return 0;
        }
    }
    return dots == 2 && first >= 16 && s.p[s.n - 1] != '.';
}

/* data:[<mediatype>][;base64],<data> (RFC 2397). */
static int data_uri(sx_sv uri, char *buf, size_t bufcap, sx_sv *jws) {
    const char *comma = memchr(uri.p, ',', uri.n);
    if (!comma) return -1;
    sx_sv meta = sx_sv_make(uri.p + 5, (size_t)(comma - uri.p - 5));
    sx_sv data = sx_sv_make(comma + 1, uri.n - (size_t)(comma + 1 - uri.p));
    int b64 = meta.n >= 7 && sx_sv_ieq(sx_sv_make(meta.p + meta.n - 7, 7), ";base64");
    if (!b64) {
        *jws = sx_sv_trim(data);
        return looks_like_jws(*jws) ? 0 : -1;
    }
    long n = stir_b64_decode(data.p, data.n, (uint8_t *)buf, bufcap, NULL);
    if (n < 0) return -1;
    *jws = sx_sv_trim(sx_sv_make(buf, (size_t)n));
    return looks_like_jws(*jws) ? 0 : -1;
}

int sig_jcard_jws(sx_sv uri, char *buf, size_t bufcap, sx_sv *jws, const char **source) {
    *jws = SX_SV_NULL;
    *source = "link";
    if (uri.n > 5 && sx_sv_istarts(uri, "data:")) {
        if (data_uri(uri, buf, bufcap, jws) != 0) return -1;
        *source = "data";
        return 0;
    }
    size_t end = uri.n, slash = 0;
    for (size_t i = 0; i < uri.n; i++) {
        if (uri.p[i] == '?' || uri.p[i] == '#') {
            end = i;
            break;
        }
        if (uri.p[i] == '/') slash = i + 1;
    }
    if (slash == 0 || slash >= end) return -1;
    sx_sv seg = sx_sv_make(uri.p + slash, end - slash);
    if (!looks_like_jws(seg)) return -1;
    *jws = seg;
    *source = "path";
    return 0;
}

/* Element i of a JSON array, or NULL. */
static const cJSON *item(const cJSON *a, int i) {
    return cJSON_IsArray(a) ? cJSON_GetArrayItem(a, i) : NULL;
}

static const char *prop_text(const cJSON *prop) {
    /* [name, params, type, value...]; org's value may be an array of components. */
    const cJSON *v = item(prop, 3);
    if (cJSON_IsArray(v)) v = item(v, 0);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void set_field(char *dst, size_t bufcap, const char *s, int *found) {
    if (!s || dst[0]) return; /* the first value of each kind wins */
    sig_copy(dst, bufcap, sx_sv_make(s, strlen(s)));
    (*found)++;
}

/* ["vcard", [[name, params, type, value], ...]] (RFC 7095 §3.2). */
static int jcard_props(const cJSON *card, sig_jcard *j) {
    const cJSON *tag = item(card, 0);
    if (!cJSON_IsString(tag) || strcmp(tag->valuestring, "vcard") != 0) return -1;
    const cJSON *props = item(card, 1);
    if (!cJSON_IsArray(props)) return -1;
    int found = 0;
    for (const cJSON *p = props->child; p; p = p->next) {
        const cJSON *name = item(p, 0);
        if (!cJSON_IsString(name)) continue;
        const char *n = name->valuestring, *t = prop_text(p);
        if (!strcmp(n, "fn")) set_field(j->name, sizeof j->name, t, &found);
        else if (!strcmp(n, "org")) set_field(j->org, sizeof j->org, t, &found);
        else if (!strcmp(n, "url")) set_field(j->url, sizeof j->url, t, &found);
        else if (!strcmp(n, "email")) set_field(j->email, sizeof j->email, t, &found);
        else if (!strcmp(n, "tel")) set_field(j->tel, sizeof j->tel, t, &found);
    }
    return found;
}

int sig_jcard_fields(const char *json, size_t n, sig_jcard *j) {
    struct cJSON *root = stir_json_parse(json, n);
    if (!root) return -1;
    /* RFC 8688 §3.2.2: the payload is {"iat":..., "jcard":[...]}; a bare jCard also works. */
    const cJSON *card = cJSON_IsObject(root) ? stir_json_get(root, "jcard") : root;
    int found = jcard_props(card, j);
    stir_json_free(root);
    return found;
}

void sig_jcard_decode(sx_sv jws, sig_jcard *j, stir_passport *p) {
    j->decode_status = stir_decode(jws, p);
    sig_copy(j->alg, sizeof j->alg, sx_sv_make(p->alg, strlen(p->alg)));
    sig_copy(j->typ, sizeof j->typ, sx_sv_make(p->typ, strlen(p->typ)));
    sig_copy(j->x5u, sizeof j->x5u, sx_sv_make(p->x5u, strlen(p->x5u)));
    j->iat = p->iat;
    if (j->decode_status == 0 && sig_jcard_fields(p->claims_json, p->claims_len, j) < 0)
        j->decode_status = 1; /* a JWS, but no jCard in it */
    j->sig = j->decode_status == 0 ? STIR_SIG_UNVERIFIED : STIR_SIG_MALFORMED;
}

void sig_parse_jcard_uri(sx_sv uri, sig_jcard *j, stir_passport *scratch) {
    char buf[STIR_MAX_IDENTITY];
    sx_sv jws;
    j->present = 1;
    sig_copy(j->link, sizeof j->link, uri);
    j->sig = STIR_SIG_UNVERIFIED;
    if (sig_jcard_jws(uri, buf, sizeof buf, &jws, &j->source) == 0)
        sig_jcard_decode(jws, j, scratch);
}

/* ---- Reasons ---- */

static const char *reason_meaning(const sig_reason *s) {
    if (s->cause < 0) return NULL;
    if (!strcmp(s->protocol, "Q.850")) return sig_q850_meaning(s->cause);
    if (!strcasecmp(s->protocol, "SIP") || !strcasecmp(s->protocol, "STIR"))
        return sig_sip_phrase(s->cause);
    return NULL;
}

/* RFC 9410 §5: ppi names the failed PASSporT (its compact form, or at least its signature). */
static sx_sv reason_ppi(const call_reason *cr) {
    sx_sv v;
    return cr->params.n && sip_param(cr->params, "ppi", &v) ? v : SX_SV_NULL;
}

static void note_reasons(const call_record *r, sig_result *o) {
    for (size_t i = 0; i < r->nreasons && o->nreasons < SIG_MAX_REASONS; i++) {
        const call_reason *cr = &r->reasons[i];
        sig_reason *s = &o->reasons[o->nreasons++];
        sig_copy(s->protocol, sizeof s->protocol, cr->protocol);
        s->cause = cr->cause;
        sig_copy(s->text, sizeof s->text, cr->text);
        sig_copy(s->location, sizeof s->location, cr->location);
        s->meaning = reason_meaning(s);
        if (!sx_sv_ieq(cr->protocol, "STIR") || o->stir_reason.present) continue;
        sig_stir_reason *st = &o->stir_reason; /* RFC 9410 §4: the first STIR reason */
        st->present = 1;
        st->cause = cr->cause;
        st->identity = -1;
        sig_copy(st->text, sizeof st->text, cr->text);
        sig_copy(st->ppi, sizeof st->ppi, reason_ppi(cr));
    }
}

/* ATIS-1000099: "603 Network Blocked" + a Reason with the attribute-list text. A 603 with the
 * full Reason profile but another phrase was rewritten on the way: still reported. */
static void note_blocked(const call_record *r, sig_result *o) {
    if (r->final_code != 603) return;
    sig_blocked *b = &o->blocked;
    for (int i = 0; i < o->nreasons; i++) {
        sig_reason *s = &o->reasons[i];
        if (!strchr(s->text, '=')) continue;
        sig_parse_blocked_text(sx_sv_make(s->text, strlen(s->text)), b);
        sig_copy(b->text, sizeof b->text, sx_sv_make(s->text, strlen(s->text)));
        sig_copy(b->location, sizeof b->location, sx_sv_make(s->location, strlen(s->location)));
        break;
    }
    b->profile_complete = b->version[0] && (b->url[0] || b->tel[0] || b->email[0]);
    b->present = sx_sv_ieq(sx_sv_trim(r->final_reason), "Network Blocked") || b->profile_complete;
    if (!b->present) memset(b, 0, sizeof *b);
}

static void note_implied(const call_record *r, sig_result *o) {
    sx_sv phrase = r->final_reason;
    for (int i = 0; r->final_code == 403 && i < o->nreasons; i++)
        if (strstr(o->reasons[i].text, "Stale") || strstr(o->reasons[i].text, "stale"))
            phrase = sx_sv_make(o->reasons[i].text, strlen(o->reasons[i].text));
    if (sig_implied_of(r->final_code, phrase, &o->implied)) {
        o->implied.from = "final";
        return;
    }
    sig_stir_reason *st = &o->stir_reason;
    if (st->present && sig_implied_of(st->cause, sx_sv_make(st->text, strlen(st->text)),
                                      &o->implied))
        o->implied.from = "reason";
}

void sig_response(const call_record *r, sig_result *o, char *buf, size_t bufcap, sx_sv *jws) {
    o->final_code = r->final_code;
    note_reasons(r, o);
    note_blocked(r, o);
    note_implied(r, o);
    *jws = SX_SV_NULL;
    for (size_t i = 0; i < r->ncall_info; i++) {
        if (!sx_sv_ieq(r->call_info[i].purpose, "jwscard")) continue;
        sig_jcard *j = &o->jcard;
        j->present = 1;
        j->sig = STIR_SIG_UNVERIFIED;
        sig_copy(j->link, sizeof j->link, r->call_info[i].uri);
        if (sig_jcard_jws(r->call_info[i].uri, buf, bufcap, jws, &j->source) == 0)
            sig_jcard_decode(*jws, j, &o->scratch);
        break;
    }
    if (r->verstat.n) {
        sig_copy(o->verstat, sizeof o->verstat, r->verstat);
        o->verstat_class = sig_verstat_class(r->verstat);
    }
}
