/* signal.c -- the request side of a call: every distinct Identity decoded, checked against
 * the call (RFC 8224 §6.2) and verified; then the best result over them (one valid Identity
 * suffices, RFC 8224 §6.2.1). The response side lives in sig_resp.c. */
#include <stddef.h>
#include <string.h>

#include "sig_int.h"

/* The response side holds ~4.4 KiB of text buffers that nearly every call leaves empty.
 * Readers take them as C strings (and set_field() keeps the first value by testing [0]), so
 * making each empty is enough; scalars and pointers are zeroed. Every field is listed: the
 * size checks turn a new field into a build error until it is listed here too. */
_Static_assert(sizeof(sig_stir_reason) == 780 && sizeof(sig_blocked) == 1304 &&
                   sizeof(sig_jcard) == 2240 && sizeof(sig_implied) == 32 &&
                   offsetof(sig_result, raw) - offsetof(sig_result, nreasons) == 4440,
               "reset_response() lists every field of the response side");
static void reset_response(sig_result *o) {
    sig_stir_reason *st = &o->stir_reason;
    st->present = 0;
    st->text[0] = st->ppi[0] = '\0';
    sig_blocked *b = &o->blocked;
    b->present = b->profile_complete = 0;
    b->version[0] = b->party[0] = b->url[0] = b->tel[0] = b->email[0] = b->id[0] = '\0';
    b->location[0] = b->text[0] = '\0';
    sig_jcard *j = &o->jcard;
    j->present = j->decode_status = j->sig = j->pending = 0;
    j->link[0] = j->alg[0] = j->typ[0] = j->x5u[0] = '\0';
    j->name[0] = j->org[0] = j->url[0] = j->email[0] = j->tel[0] = j->sig_detail[0] = '\0';
    j->source = NULL;
    j->iat = 0;
    j->raw_off = j->raw_len = 0;
    memset(&o->implied, 0, sizeof o->implied);
    o->verstat[0] = '\0';
    o->verstat_class = NULL;
}

/* Clears what sig_analyze fills; the raw arena and the decode scratch are written before
 * they are read, so the ~56 KiB they take is not touched. Of the Identity and Reason slots
 * (~14 KiB) only those this call fills are cleared: readers stop at nidentity / nreasons. */
_Static_assert(offsetof(sig_result, ids) < offsetof(sig_result, findings) &&
                   offsetof(sig_result, findings) < offsetof(sig_result, reasons) &&
                   offsetof(sig_result, reasons) < offsetof(sig_result, nreasons) &&
                   offsetof(sig_result, nreasons) < offsetof(sig_result, raw),
               "reset() clears sig_result in this field order");
static void reset(sig_result *o, const call_record *r) {
    size_t nid = r->nidentity < SIG_MAX_IDENTITIES ? r->nidentity : SIG_MAX_IDENTITIES;
    size_t nrs = r->nreasons < SIG_MAX_REASONS ? r->nreasons : SIG_MAX_REASONS;
    memset(o, 0, offsetof(sig_result, ids));
    memset(o->ids, 0, nid * sizeof o->ids[0]);
    memset(&o->findings, 0, offsetof(sig_result, reasons) - offsetof(sig_result, findings));
    memset(o->reasons, 0, nrs * sizeof o->reasons[0]);
    o->nreasons = 0;
    reset_response(o);
    o->sent_at = 0;
    o->raw_used = 0;
    o->signature = -1;
    o->stir_reason.identity = -1;
    o->stir_reason.cause = -1;
}

static uint32_t fnv1a(sx_sv s) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s.n; i++) h = (h ^ (uint8_t)s.p[i]) * 16777619u;
    return h;
}

static void copy_c(char *dst, size_t bufcap, const char *src) {
    sig_copy(dst, bufcap, sx_sv_make(src, strlen(src)));
}

/* The signature segment of an Identity value: after the second '.', up to ';' (RFC 9410
 * names a failed Identity by it in the ppi parameter). */
static void sig_segment(sx_sv raw, char *dst, size_t bufcap) {
    dst[0] = '\0';
    if (!raw.n) return;
    const char *semi = memchr(raw.p, ';', raw.n);
    size_t end = semi ? (size_t)(semi - raw.p) : raw.n;
    size_t start = 0; /* after the last '.' (or all): a token has two, memchr skips ahead */
    for (const char *d; (d = memchr(raw.p + start, '.', end - start)) != NULL;)
        start = (size_t)(d - raw.p) + 1;
    sx_sv s = sx_sv_trim(sx_sv_make(raw.p + start, end - start));
    sig_copy(dst, bufcap, s);
}

/* Decodes and checks one Identity; the signature is left to the caller. */
static void check_identity(const call_record *r, sx_sv raw, sig_identity *id, stir_passport *p) {
    id->decode_status = stir_decode(raw, p);
    copy_c(id->alg, sizeof id->alg, p->alg);
    copy_c(id->ppt, sizeof id->ppt, p->ppt);
    copy_c(id->attest, sizeof id->attest, p->attest);
    copy_c(id->orig_tn, sizeof id->orig_tn, p->orig_tn[0] ? p->orig_tn : p->orig_uri);
    id->n_dest = p->n_dest_tn + p->n_dest_uri;
    if (p->n_dest_tn) copy_c(id->dest_tn, sizeof id->dest_tn, p->dest_tn[0]);
    else if (p->n_dest_uri) copy_c(id->dest_tn, sizeof id->dest_tn, p->dest_uri[0]);
    copy_c(id->x5u, sizeof id->x5u, p->x5u);
    copy_c(id->info, sizeof id->info, p->info);
    id->iat = p->iat;
    /* RFC 8224 §6.2 step 4: freshness at the moment the INVITE was sent (capture time). */
    stir_check(p, r->caller.e164, r->callee.e164, r->start, &id->findings);
    id->sig = id->decode_status ? STIR_SIG_MALFORMED : STIR_SIG_UNVERIFIED;
    sig_segment(raw, id->sig_seg, sizeof id->sig_seg);
}

static void set_vresult(sig_identity *id, const stir_vresult *vr) {
    id->sig = vr->sig;
    id->sig_cached = vr->cached;
    copy_c(id->sig_detail, sizeof id->sig_detail, vr->detail);
}

static void verify_jcard_now(sig_result *o, sx_sv jws, stir_verifier *v) {
    sig_jcard *j = &o->jcard;
    if (!j->present || j->decode_status != 0 || !jws.n) return;
    stir_decode(jws, &o->scratch);
    stir_vresult vr;
    stir_verify(v, &o->scratch, o->sent_at, &vr);
    j->sig = vr.sig;
    copy_c(j->sig_detail, sizeof j->sig_detail, vr.detail);
}

/* Keeps raw in the arena for deferred verification; 0 if it does not fit. */
static int keep_raw(sig_result *o, sx_sv raw, uint32_t *off, uint32_t *len) {
    if (raw.n > sizeof o->raw - o->raw_used) return 0;
    memcpy(o->raw + o->raw_used, raw.p, raw.n);
    *off = o->raw_used;
    *len = (uint32_t)raw.n;
    o->raw_used += (uint32_t)raw.n;
    return 1;
}

/* Links the RFC 9410 STIR reason to the Identity its ppi names, by signature segment. */
static void match_ppi(sig_result *o) {
    sig_stir_reason *st = &o->stir_reason;
    if (!st->present || !st->ppi[0]) return;
    char seg[sizeof o->ids[0].sig_seg];
    sx_sv ppi = sx_sv_make(st->ppi, strlen(st->ppi));
    sig_segment(ppi, seg, sizeof seg);
    for (int i = 0; i < o->nidentity && i < SIG_MAX_IDENTITIES; i++)
        if (seg[0] && strcmp(seg, o->ids[i].sig_seg) == 0) st->identity = i;
}

enum { MODE_CHECK = 0, MODE_VERIFY, MODE_DEFER };

/* Deferred: what the signature check needs, kept while the scratch still holds the decode:
 * the received signing input then the 64-byte r||s. Identities that fail the checks
 * stir_verify makes before any key is involved (undecodable, compact form, not ES256, not
 * 64 bytes) get that result now, exactly as the inline path would. */
static void defer_identity(sig_result *o, sig_identity *id, sx_time at) {
    stir_vresult vr;
    stir_passport *p = &o->scratch;
    if (stir_verify(NULL, p, at, &vr) != STIR_SIG_UNVERIFIED) {
        set_vresult(id, &vr);
        return;
    }
    uint32_t mark = o->raw_used, sig_off, sig_len;
    if (keep_raw(o, sx_sv_make(p->signing_input, p->signing_len), &id->raw_off, &id->raw_len) &&
        keep_raw(o, sx_sv_make((const char *)p->sig, 64), &sig_off, &sig_len)) {
        id->raw_len += sig_len; /* contiguous: signing input, then r||s */
        id->pending = 1;
        return;
    }
    o->raw_used = mark;
    copy_c(id->sig_detail, sizeof id->sig_detail, "not verified: over the per-call text cap");
}

/* Decodes and checks every Identity, verifying (or keeping what verification needs) right
 * after its decode, while the scratch still holds it; then the response side. jws receives
 * the jCard JWS (a view into r or into buf). */
static void analyze_common(const call_record *r, stir_verifier *v, int mode, sig_result *o,
                           char *buf, size_t bufcap, sx_sv *jws) {
    reset(o, r);
    o->sent_at = r->start;
    o->nidentity = (int)r->nidentity;
    for (size_t i = 0; i < r->nidentity; i++) {
        if (i >= SIG_MAX_IDENTITIES) {
            o->identities_dropped++;
            continue;
        }
        sig_identity *id = &o->ids[i];
        check_identity(r, r->identity[i], id, &o->scratch);
        if (mode == MODE_VERIFY) {
            stir_vresult vr;
            stir_verify(v, &o->scratch, r->start, &vr);
            set_vresult(id, &vr);
        } else if (mode == MODE_DEFER) {
            id->hash = fnv1a(r->identity[i]); /* only the worker dispatch reads it */
            defer_identity(o, id, r->start);
        } else if (id->decode_status == 0) {
            copy_c(id->sig_detail, sizeof id->sig_detail, "signature not checked");
        }
    }
    sig_response(r, o, buf, bufcap, jws);
    match_ppi(o);
}

int sig_analyze(const call_record *r, stir_verifier *v, int verify, sig_result *out) {
    char buf[STIR_MAX_IDENTITY];
    sx_sv jws;
    analyze_common(r, v, verify ? MODE_VERIFY : MODE_CHECK, out, buf, sizeof buf, &jws);
    if (verify) verify_jcard_now(out, jws, v);
    sig_finish(out);
    return 0;
}

void sig_analyze_deferred(const call_record *r, sig_result *out) {
    char buf[STIR_MAX_IDENTITY];
    sx_sv jws;
    analyze_common(r, NULL, MODE_DEFER, out, buf, sizeof buf, &jws);
    sig_jcard *j = &out->jcard;
    if (j->present && j->decode_status == 0 && jws.n)
        j->pending = keep_raw(out, jws, &j->raw_off, &j->raw_len);
    sig_finish(out);
}

/* A passport holding just what stir_verify() reads, from the kept signing material. */
static void passport_for_verify(stir_passport *p, const sig_identity *id, const char *raw,
                                uint32_t len) {
    size_t n = len - 64;
    p->status = 0;
    p->present = 0;
    memset(&p->decoded, 0, sizeof p->decoded);
    memcpy(p->signing_input, raw, n);
    p->signing_input[n] = '\0';
    p->signing_len = n;
    memcpy(p->sig, raw + n, 64);
    p->sig_len = 64;
    copy_c(p->alg, sizeof p->alg, id->alg);
    copy_c(p->x5u, sizeof p->x5u, id->x5u);
    copy_c(p->info, sizeof p->info, id->info);
    p->iat = id->iat;
}

void sig_verify_pending(sig_result *res, int i, stir_verifier *v, stir_passport *scratch) {
    stir_vresult vr;
    if (i < 0) {
        sig_jcard *j = &res->jcard;
        if (!j->pending) return;
        stir_decode(sx_sv_make(res->raw + j->raw_off, j->raw_len), scratch);
        stir_verify(v, scratch, res->sent_at, &vr);
        j->sig = vr.sig;
        copy_c(j->sig_detail, sizeof j->sig_detail, vr.detail);
        j->pending = 0;
        return;
    }
    if (i >= SIG_MAX_IDENTITIES || !res->ids[i].pending) return;
    sig_identity *id = &res->ids[i];
    passport_for_verify(scratch, id, res->raw + id->raw_off, id->raw_len);
    stir_verify(v, scratch, res->sent_at, &vr);
    set_vresult(id, &vr);
    id->pending = 0;
}

/* Most favourable first: one valid Identity suffices (RFC 8224 §6.2.1); "unverified" ranks
 * above definite failures because the signature might still be good. */
static int sig_rank(int sig) {
    static const int rank[STIR_SIG__COUNT] = {
        [STIR_SIG_VALID] = 0, [STIR_SIG_UNTRUSTED] = 1, [STIR_SIG_EXPIRED] = 2,
        [STIR_SIG_UNVERIFIED] = 3, [STIR_SIG_CERT_UNKNOWN] = 4, [STIR_SIG_INVALID] = 5,
        [STIR_SIG_MALFORMED] = 6,
    };
    return sig >= 0 && sig < STIR_SIG__COUNT ? rank[sig] : 7;
}

void sig_finish(sig_result *o) {
    int n = o->nidentity < SIG_MAX_IDENTITIES ? o->nidentity : SIG_MAX_IDENTITIES, best = -1;
    memset(&o->findings, 0, sizeof o->findings);
    for (int i = 0; i < n; i++) {
        o->findings.bits |= o->ids[i].findings.bits;
        if (best < 0 || sig_rank(o->ids[i].sig) < sig_rank(o->ids[best].sig)) best = i;
    }
    if (o->nidentity == 0) stir_set(&o->findings, STIR_F_identity_missing);
    if (o->nidentity > 1) stir_set(&o->findings, STIR_F_multiple_identity);
    o->signature = best < 0 ? -1 : o->ids[best].sig;
    o->attest[0] = '\0';
    if (best >= 0) copy_c(o->attest, sizeof o->attest, o->ids[best].attest);
}
