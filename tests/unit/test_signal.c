/* test_signal.c -- per-call STIR findings and blocking signals (src/signal).
 *
 * A PKI made at test time with OpenSSL's library under build/test-signal/ (a CA, a leaf with
 * TNAuthList, the same key under an expired certificate), PASSporTs and a jCard signed with
 * it, call records built here, and each one through sig_analyze() and its JSON:
 *   valid A/B/C, tampered orig, wrong dest, stale (INVITE sent 90 s after iat), unknown and
 *   expired certificates, several Identity headers, none, --no-verify, deferred verification;
 *   608 with a signed jCard (data: URI and JWS path segment), 603+ with Reason fields, 438
 *   and 403 "Stale Date" implied findings, Reason: STIR (RFC 9410), Q.850 meaning, verstat.
 * Then end to end: a pcap written here through `sipdx analyze --calls -` (SIPDX_BIN).
 */
#define _GNU_SOURCE /* RTLD_NEXT: the open_memstream hook below */
#include <dlfcn.h>
#include "th_json.h"
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "pki.h"
#include "signal/signal.h"

#define DIR "build/test-signal"
#define CALLER "12155550121"
#define CALLEE "12155550131"
#define GOOD "https://cr.example/good.pem"
#define EXPIRED "https://cr.example/expired.pem"
#define UNKNOWN "https://cr.example/unknown.pem"

static sig_result RES, RES2; /* ~80 KiB each: static, not on the stack */
static time_t NOW;
static EVP_PKEY *CA_KEY, *LEAF_KEY;

/* ---- PKI (tests/unit/pki.h) ---- */

/* Writes the certificate and frees it. */
static void write_pem(const char *path, X509 *x) {
    pki_write_pem(path, x);
    X509_free(x);
}

static void make_pki(void) {
    CA_KEY = EVP_EC_gen("P-256");
    LEAF_KEY = EVP_EC_gen("P-256");
    X509 *ca = pki_cert(CA_KEY, CA_KEY, NULL, "Test STI-CA", -10, 3650, 1, 0, &NOW);
    write_pem(DIR "/good.pem", pki_cert(LEAF_KEY, CA_KEY, ca, "Test SP", -1, 365, 0, 1, &NOW));
    write_pem(DIR "/expired.pem",
              pki_cert(LEAF_KEY, CA_KEY, ca, "Test SP old", -30, -1, 0, 1, &NOW));
    write_pem(DIR "/ca.pem", ca);
    FILE *f = fopen(DIR "/x5u.map", "w");
    fprintf(f, GOOD " " DIR "/good.pem\n" EXPIRED " " DIR "/expired.pem\n");
    fclose(f);
}

/* ---- signing ---- */

/* b64url(hdr) "." b64url(claims) "." b64url(r||s), signed with the leaf key. */
static void sign_jws(const char *hdr, const char *claims, char *out, size_t outcap) {
    char h[1024], c[4096], in[6000], sig[128];
    stir_b64url_encode((const uint8_t *)hdr, strlen(hdr), h, sizeof h);
    stir_b64url_encode((const uint8_t *)claims, strlen(claims), c, sizeof c);
    snprintf(in, sizeof in, "%s.%s", h, c);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[80], rs[64];
    size_t dlen = sizeof der;
    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, LEAF_KEY);
    EVP_DigestSign(md, der, &dlen, (const uint8_t *)in, strlen(in));
    EVP_MD_CTX_free(md);
    const uint8_t *dp = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &dp, (long)dlen);
    BN_bn2binpad(ECDSA_SIG_get0_r(s), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(s), rs + 32, 32);
    ECDSA_SIG_free(s);
    stir_b64url_encode(rs, 64, sig, sizeof sig);
    snprintf(out, outcap, "%s.%s", in, sig);
}

static void claims_of(char *out, size_t outcap, const char *attest, const char *orig,
                      const char *dest, int64_t iat) {
    snprintf(out, outcap,
             "{\"attest\":\"%s\",\"dest\":{\"tn\":[\"%s\"]},\"iat\":%lld,\"orig\":{\"tn\":\"%s\"},"
             "\"origid\":\"123e4567-e89b-12d3-a456-426655440000\"}",
             attest, dest, (long long)iat, orig);
}

/* An Identity header value: SHAKEN PASSporT + ;info=<url>;alg=ES256;ppt=shaken. */
static void identity(const char *url, const char *attest, const char *orig, const char *dest,
                     int64_t iat, char *out, size_t outcap) {
    char hdr[512], claims[1024], jws[3000];
    snprintf(hdr, sizeof hdr, "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"%s\"}", url);
    claims_of(claims, sizeof claims, attest, orig, dest, iat);
    sign_jws(hdr, claims, jws, sizeof jws);
    snprintf(out, outcap, "%s;info=<%s>;alg=ES256;ppt=shaken", jws, url);
}

/* The same Identity with its claims segment replaced after signing (orig rewritten). */
static void tamper_orig(const char *value, const char *new_orig, char *out, size_t outcap) {
    char claims[1024], c[2048];
    claims_of(claims, sizeof claims, "A", new_orig, CALLEE, (int64_t)NOW);
    stir_b64url_encode((const uint8_t *)claims, strlen(claims), c, sizeof c);
    const char *d1 = strchr(value, '.'), *d2 = strchr(d1 + 1, '.');
    snprintf(out, outcap, "%.*s.%s%s", (int)(d1 - value), value, c, d2);
}

/* A jCard JWS (RFC 8688 §3.2): typ vcard+json, payload iat + jcard. */
static void jcard_jws(char *out, size_t outcap) {
    char claims[1024];
    snprintf(claims, sizeof claims,
             "{\"iat\":%lld,\"jcard\":[\"vcard\",[[\"version\",{},\"text\",\"4.0\"],"
             "[\"fn\",{},\"text\",\"Example Analytics\"],[\"org\",{},\"text\",[\"Example Inc\"]],"
             "[\"url\",{},\"uri\",\"https://redress.example/dispute\"],"
             "[\"email\",{},\"text\",\"redress@example.com\"],"
             "[\"tel\",{\"type\":\"work\"},\"uri\",\"tel:+18005550100\"]]]}",
             (long long)NOW);
    sign_jws("{\"alg\":\"ES256\",\"typ\":\"vcard+json\",\"x5u\":\"" GOOD "\"}", claims, out, outcap);
}

/* ---- call records ---- */

static call_record R;
static sx_sv IDS[4];
static call_reason REASONS[4];
static call_info_ref INFO[2];

static sx_sv sv(const char *s) { return sx_sv_make(s, strlen(s)); }

static void record(int64_t sent_after_iat, int final, const char *phrase) {
    memset(&R, 0, sizeof R);
    strcpy(R.caller.e164, CALLER);
    strcpy(R.callee.e164, CALLEE);
    R.call_id = sv("call-1@test");
    R.start = ((sx_time)NOW + sent_after_iat) * SX_SEC;
    R.final_code = final;
    R.final_reason = phrase ? sv(phrase) : SX_SV_NULL;
    R.identity = IDS;
    R.reasons = REASONS;
    R.call_info = INFO;
    R.retry_after = -1;
}

static void add_identity(const char *v) { IDS[R.nidentity++] = sv(v); }

static void add_reason_p(const char *proto, int cause, const char *text, const char *loc,
                         const char *params) {
    REASONS[R.nreasons++] = (call_reason){sv(proto), cause, text ? sv(text) : SX_SV_NULL,
                                          loc ? sv(loc) : SX_SV_NULL,
                                          params ? sv(params) : SX_SV_NULL};
}

static void add_reason(const char *proto, int cause, const char *text, const char *loc) {
    add_reason_p(proto, cause, text, loc, NULL);
}

/* The record's JSON with the signal keys, parsed back. */
static json_t *record_json(const sig_result *res) {
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    call_record_json_ex(&R, m, sig_json_extra, (void *)res);
    fclose(m);
    json_error_t e;
    json_t *j = json_loadb(buf, n, 0, &e);
    CHECK_MSG(j != NULL, "record JSON does not parse: %s\n%s", e.text, buf);
    free(buf);
    return j;
}

static const char *jpath_str(json_t *j, const char *a, const char *b) {
    json_t *v = json_object_get(json_object_get(j, a), b);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jarr_has(json_t *arr, const char *s) {
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (json_is_string(json_array_get(arr, i)) && !strcmp(json_string_value(json_array_get(arr, i)), s))
            return 1;
    return 0;
}

static stir_verifier *verifier(void) {
    char err[256];
    stir_verifier_opts o = {.x5u_map = DIR "/x5u.map", .trust_anchors = DIR "/ca.pem"};
    stir_verifier *v = stir_verifier_new(&o, err, sizeof err);
    CHECK_MSG(v != NULL, "verifier: %s", err);
    return v;
}

/* ---- request side ---- */

static void test_levels(stir_verifier *v) {
    static const char *const lv[] = {"A", "B", "C"};
    static const int fid[] = {STIR_F_attest_a, STIR_F_attest_b, STIR_F_attest_c};
    char id[4096];
    for (int i = 0; i < 3; i++) {
        identity(GOOD, lv[i], CALLER, CALLEE, NOW, id, sizeof id);
        record(2, 200, "OK");
        add_identity(id);
        sig_analyze(&R, v, 1, &RES);
        CHECK_MSG(RES.signature == STIR_SIG_VALID, "%s: %s (%s)", lv[i],
                  sig_signature_name(RES.signature), RES.ids[0].sig_detail);
        CHECK_STR(RES.attest, lv[i]);
        CHECK(stir_has(&RES.findings, fid[i]));
        CHECK(stir_findings_worst(&RES.findings) == STIR_INFO);
        json_t *j = record_json(&RES);
        CHECK_STR(jpath_str(j, "stir", "signature"), "valid");
        CHECK_STR(jpath_str(j, "stir", "attest"), lv[i]);
        json_t *ids = json_object_get(json_object_get(j, "stir"), "identities");
        CHECK_INT(json_array_size(ids), 1);
        json_t *id0 = json_array_get(ids, 0);
        CHECK_STR(json_string_value(json_object_get(id0, "orig")), CALLER);
        CHECK_STR(json_string_value(json_object_get(id0, "dest")), CALLEE);
        CHECK_INT(json_integer_value(json_object_get(id0, "iat_age")), 2);
        CHECK_STR(json_string_value(json_object_get(id0, "x5u")), GOOD);
        CHECK(json_is_null(json_object_get(json_object_get(j, "signals"), "network_blocked")));
        json_decref(j);
    }
}

static void test_failures(stir_verifier *v) {
    char id[4096], bad[4096];
    /* tampered orig: the claims no longer match the signature, nor the caller */
    identity(GOOD, "A", CALLER, CALLEE, NOW, id, sizeof id);
    tamper_orig(id, "12025550199", bad, sizeof bad);
    record(2, 438, "Invalid Identity Header");
    add_identity(bad);
    sig_analyze(&R, v, 1, &RES);
    CHECK_INT(RES.signature, STIR_SIG_INVALID);
    CHECK(stir_has(&RES.findings, STIR_F_orig_tn_mismatch));
    CHECK_INT(RES.implied.code, 438);
    CHECK_STR(RES.implied.name, "invalid_identity");
    json_t *j = record_json(&RES);
    json_t *im = json_object_get(json_object_get(j, "signals"), "implied_stir_finding");
    CHECK_STR(json_string_value(json_object_get(im, "name")), "invalid_identity");
    CHECK_STR(json_string_value(json_object_get(im, "from")), "final");
    CHECK(jarr_has(json_object_get(im, "explained_by"), "orig_tn_mismatch"));
    CHECK(jarr_has(json_object_get(im, "explained_by"), "signature_invalid"));
    CHECK(jarr_has(json_object_get(json_object_get(j, "stir"), "findings"), "orig_tn_mismatch"));
    CHECK_STR(jpath_str(j, "stir", "worst"), "error");
    json_decref(j);

    /* wrong dest: signed correctly, but for another callee */
    identity(GOOD, "A", CALLER, "12125550100", NOW, id, sizeof id);
    record(2, 0, NULL);
    add_identity(id);
    sig_analyze(&R, v, 1, &RES);
    CHECK_INT(RES.signature, STIR_SIG_VALID);
    CHECK(stir_has(&RES.findings, STIR_F_dest_tn_mismatch));
    CHECK(!stir_has(&RES.findings, STIR_F_orig_tn_mismatch));

    /* stale: the INVITE left 90 s after iat (capture time, not the wall clock) */
    identity(GOOD, "A", CALLER, CALLEE, NOW, id, sizeof id);
    record(90, 403, "Stale Date");
    add_identity(id);
    sig_analyze(&R, v, 1, &RES);
    CHECK(stir_has(&RES.findings, STIR_F_iat_stale));
    CHECK_INT(RES.ids[0].findings.iat_age, 90);
    CHECK_STR(RES.implied.name, "iat_stale");
    j = record_json(&RES);
    json_t *id0 = json_array_get(json_object_get(json_object_get(j, "stir"), "identities"), 0);
    CHECK_INT(json_integer_value(json_object_get(id0, "iat_age")), 90);
    CHECK(jarr_has(json_object_get(id0, "findings"), "iat_stale"));
    json_decref(j);
    /* iat in the future */
    record(-30, 403, "Forbidden");
    add_identity(id);
    sig_analyze(&R, v, 1, &RES);
    CHECK(stir_has(&RES.findings, STIR_F_iat_future));
    CHECK_INT(RES.implied.code, 0); /* a plain 403 is a policy refusal, not Stale Date */

    /* unknown and expired certificates */
    identity(UNKNOWN, "A", CALLER, CALLEE, NOW, id, sizeof id);
    record(2, 436, "Bad Identity Info");
    add_identity(id);
    sig_analyze(&R, v, 1, &RES);
    CHECK_INT(RES.signature, STIR_SIG_CERT_UNKNOWN);
    CHECK_STR(RES.implied.name, "bad_identity_info");
    j = record_json(&RES);
    CHECK_STR(jpath_str(j, "stir", "signature"), "cert_unknown");
    im = json_object_get(json_object_get(j, "signals"), "implied_stir_finding");
    CHECK(jarr_has(json_object_get(im, "explained_by"), "signature_cert_unknown"));
    json_decref(j);
    identity(EXPIRED, "A", CALLER, CALLEE, NOW, id, sizeof id);
    record(2, 437, "Unsupported Credential");
    add_identity(id);
    sig_analyze(&R, v, 1, &RES);
    CHECK_INT(RES.signature, STIR_SIG_EXPIRED);
    CHECK_STR(RES.implied.name, "unsupported_credential");
}

static void test_counts(stir_verifier *v) {
    char a[4096], b[4096];
    /* no Identity */
    record(2, 428, "Use Identity Header");
    sig_analyze(&R, v, 1, &RES);
    CHECK(stir_has(&RES.findings, STIR_F_identity_missing));
    CHECK_INT(RES.signature, -1);
    CHECK_STR(RES.implied.name, "identity_missing");
    json_t *j = record_json(&RES);
    CHECK_STR(jpath_str(j, "stir", "signature"), "none");
    CHECK(json_is_null(json_object_get(json_object_get(j, "stir"), "attest")));
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "stir"), "identity_count")), 0);
    json_decref(j);
    /* two Identity headers, one from an unknown certificate: the valid one wins */
    identity(UNKNOWN, "C", CALLER, CALLEE, NOW, a, sizeof a);
    identity(GOOD, "B", CALLER, CALLEE, NOW, b, sizeof b);
    record(2, 200, "OK");
    add_identity(a);
    add_identity(b);
    sig_analyze(&R, v, 1, &RES);
    CHECK(stir_has(&RES.findings, STIR_F_multiple_identity));
    CHECK_INT(RES.signature, STIR_SIG_VALID);
    CHECK_STR(RES.attest, "B");
    CHECK_INT(RES.ids[0].sig, STIR_SIG_CERT_UNKNOWN);
    /* the same Identity on another call (a B2BUA leg) is not verified again */
    stir_verifier_stats st0, st1;
    stir_verifier_get_stats(v, &st0);
    sig_analyze(&R, v, 1, &RES);
    stir_verifier_get_stats(v, &st1);
    CHECK(st1.verifications == st0.verifications);
    CHECK(RES.ids[1].sig_cached);
    /* --no-verify: decoding and checks, no signature */
    sig_analyze(&R, v, 0, &RES);
    CHECK_INT(RES.signature, STIR_SIG_UNVERIFIED);
    CHECK(stir_has(&RES.findings, STIR_F_attest_b) && stir_has(&RES.findings, STIR_F_attest_c));
    /* no verifier at all */
    sig_analyze(&R, NULL, 1, &RES);
    CHECK_INT(RES.signature, STIR_SIG_UNVERIFIED);
    /* malformed Identity */
    record(2, 0, NULL);
    add_identity("not-a-jws;info=<https://x/>");
    sig_analyze(&R, v, 1, &RES);
    CHECK_INT(RES.signature, STIR_SIG_MALFORMED);
    CHECK(stir_has(&RES.findings, STIR_F_malformed_identity));
    j = record_json(&RES);
    json_t *id0 = json_array_get(json_object_get(json_object_get(j, "stir"), "identities"), 0);
    CHECK_STR(json_string_value(json_object_get(id0, "status")), "segments");
    json_decref(j);
}

/* The threaded path (deferred, then verified) writes the same JSON as the direct one. */
static void test_deferred(stir_verifier *v) {
    char a[4096], b[4096], jws[4096], uri[8192];
    identity(GOOD, "A", CALLER, CALLEE, NOW, a, sizeof a);
    identity(EXPIRED, "A", CALLER, CALLEE, NOW, b, sizeof b);
    jcard_jws(jws, sizeof jws);
    snprintf(uri, sizeof uri, "https://analytics.example/jc/%s", jws);
    char shortsig[4096]; /* r||s cut to 48 bytes: invalid before any key is looked up */
    snprintf(shortsig, sizeof shortsig, "%s", a);
    char *semi = strchr(shortsig, ';');
    *semi = '\0';
    char *sig = strrchr(shortsig, '.') + 1;
    *semi = ';';
    memmove(sig + 64, semi, strlen(semi) + 1); /* 64 base64url chars = 48 bytes */
    record(2, 608, "Rejected");
    add_identity(a);
    add_identity(b);
    add_identity(shortsig);
    INFO[R.ncall_info++] = (call_info_ref){sv(uri), sv("jwscard")};
    sig_analyze(&R, v, 1, &RES);
    for (int round = 0; round < 40; round++) /* a reused result starts empty each time */
        sig_analyze_deferred(&R, &RES2);
    CHECK(RES2.ids[0].pending && RES2.ids[1].pending && RES2.jcard.pending);
    CHECK(!RES2.ids[2].pending && RES2.ids[2].sig == STIR_SIG_INVALID);
    CHECK_INT(RES.ids[2].sig, STIR_SIG_INVALID);
    CHECK_INT(RES2.signature, STIR_SIG_UNVERIFIED);
    for (int k = -1; k < RES2.nidentity; k++) sig_verify_pending(&RES2, k, v, &RES2.scratch);
    sig_finish(&RES2);
    CHECK_INT(RES2.signature, STIR_SIG_VALID);
    CHECK_INT(RES2.ids[1].sig, STIR_SIG_EXPIRED);
    CHECK_INT(RES2.jcard.sig, STIR_SIG_VALID);
    CHECK_STR(RES2.jcard.source, "path");
    CHECK_STR(RES2.jcard.name, "Example Analytics");
    RES.ids[0].sig_cached = RES2.ids[0].sig_cached = 0; /* the only allowed difference */
    RES.ids[1].sig_cached = RES2.ids[1].sig_cached = 0;
    char *x = NULL, *y = NULL;
    size_t xn = 0, yn = 0;
    FILE *m = open_memstream(&x, &xn);
    call_record_json_ex(&R, m, sig_json_extra, &RES);
    fclose(m);
    m = open_memstream(&y, &yn);
    call_record_json_ex(&R, m, sig_json_extra, &RES2);
    fclose(m);
    CHECK_MSG(xn == yn && memcmp(x, y, xn) == 0, "deferred JSON differs:\n%s\n%s", x, y);
    free(x);
    free(y);
}

/* The analyze stage: -j 1 and -j 3 write the same records in the same order, count the
 * same, and the summary JSON parses. 300 calls overflow the -j 3 ring (192) once. */
static char STAGE_IDS[3][4096]; /* signed once: ECDSA signatures are randomised */

static void run_stage(int jobs, char **buf, size_t *n, sig_stats *st) {
    char err[256];
    sig_stage_opts o = {.x5u_map = DIR "/x5u.map", .trust = DIR "/ca.pem", .verify = 1,
                        .jobs = jobs};
    sig_stage *s = sig_stage_new(&o, err, sizeof err);
    CHECK_MSG(s != NULL, "stage: %s", err);
    if (!s) return;
    FILE *m = open_memstream(buf, n);
    for (int c = 0; c < 300; c++) {
        record(2, c % 5 ? 603 : 438, c % 5 ? "Network Blocked" : "Invalid Identity Header");
        if (c % 7) add_identity(STAGE_IDS[c % 3]);
        sig_stage_call(s, &R, m);
    }
    sig_stage_flush(s);
    fclose(m);
    *st = *sig_stage_stats(s);
    stir_verifier_stats vs;
    sig_stage_vstats(s, &vs);
    CHECK_MSG(vs.verifications <= 3 * (uint64_t)jobs, "-j %d: %llu verifications for 3 distinct "
              "Identity values", jobs, (unsigned long long)vs.verifications);
    sig_stage_free(s);
}

/* render() failing (out of memory) is injected by failing open_memstream: the test binary's
 * definition wins over libc's for the stage linked into it. */
static int MEMSTREAM_FAIL;

FILE *open_memstream(char **p, size_t *n) {
    if (MEMSTREAM_FAIL) return NULL;
    FILE *(*real)(char **, size_t *);
    *(void **)&real = dlsym(RTLD_NEXT, "open_memstream");
    return real(p, n);
}

/* A record the stage cannot hold is written unverified but still in call order: the
 * diagnosis pairs records with results by position, so an early line would give each later
 * verdict to the wrong call. */
static void test_stage_render_fails(void) {
    char err[256];
    sig_stage_opts o = {.x5u_map = DIR "/x5u.map", .trust = DIR "/ca.pem", .verify = 1, .jobs = 3};
    sig_stage *s = sig_stage_new(&o, err, sizeof err);
    CHECK_MSG(s != NULL, "stage: %s", err);
    if (!s) return;
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    char cid[40][32];
    for (int c = 0; c < 40; c++) {
        record(2, 603, "Network Blocked");
        snprintf(cid[c], sizeof cid[c], "call-%02d@test", c);
        R.call_id = sv(cid[c]);
        add_identity(STAGE_IDS[c % 3]);
        MEMSTREAM_FAIL = c % 4 == 3;
        sig_stage_call(s, &R, m);
        MEMSTREAM_FAIL = 0;
    }
    sig_stage_flush(s);
    fclose(m);
    int lines = 0, in_order = 1;
    for (char *x = buf; x && *x; lines++) {
        char *e = strchr(x, '\n'), want[48];
        snprintf(want, sizeof want, "\"call-%02d@test\"", lines);
        char *at = strstr(x, want);
        if (!at || at > e) in_order = 0;
        x = e + 1;
    }
    CHECK_INT(lines, 40);
    CHECK_MSG(in_order, "records out of call order:\n%s", buf);
    CHECK_INT(sig_stage_stats(s)->calls, 40);
    free(buf);
    sig_stage_free(s);
}

/* Each Identity value has one lane (verifier), whose items are verified in order by whichever
 * thread holds it, so even "cached" does not depend on scheduling: with no cache eviction,
 * -j 2 (main + 1 worker, the main thread verifying whenever the 128-slot ring is full) and
 * -j 3 write exactly what -j 1 writes, run after run. ref: the -j 1 records. */
static void test_stage_deterministic(const char *ref, size_t refn, const sig_stats *refst) {
    for (int run = 0; run < 6; run++) {
        int jobs = run % 2 ? 3 : 2;
        char *b = NULL;
        size_t bn = 0;
        sig_stats sb;
        run_stage(jobs, &b, &bn, &sb);
        CHECK_MSG(b && bn == refn && memcmp(b, ref, refn) == 0, "-j %d run %d: records differ "
                  "from -j 1", jobs, run);
        CHECK(memcmp(&sb, refst, sizeof sb) == 0);
        free(b);
    }
}

static void test_stage(void) {
    static const char *const lv[] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++)
        identity(i == 2 ? EXPIRED : GOOD, lv[i], CALLER, i == 1 ? "19995550000" : CALLEE, NOW,
                 STAGE_IDS[i], sizeof STAGE_IDS[i]);
    char *a = NULL, *b = NULL;
    size_t an = 0, bn = 0;
    sig_stats sa, sb;
    run_stage(1, &a, &an, &sa);
    run_stage(3, &b, &bn, &sb);
    if (!a || !b) return;
    /* the same records in the same order; only "cached" may differ */
    CHECK_INT(an, bn);
    int same = 1, lines = 0;
    for (char *x = a, *y = b; same && *x && *y; lines++) {
        char *xe = strchr(x, '\n'), *ye = strchr(y, '\n');
        json_t *jx = json_loadb(x, (size_t)(xe - x), 0, NULL), *jy = json_loadb(y, (size_t)(ye - y), 0, NULL);
        json_t *ix = json_object_get(json_object_get(jx, "stir"), "identities");
        json_t *iy = json_object_get(json_object_get(jy, "stir"), "identities");
        for (size_t k = 0; k < json_array_size(ix); k++)
            json_object_set_new(json_array_get(ix, k), "cached", json_false());
        for (size_t k = 0; k < json_array_size(iy); k++)
            json_object_set_new(json_array_get(iy, k), "cached", json_false());
        same = jx && json_equal(jx, jy);
        json_decref(jx);
        json_decref(jy);
        x = xe + 1, y = ye + 1;
    }
    CHECK_MSG(same && lines == 300, "-j 1 and -j 3 records differ at line %d", lines);
    CHECK_INT(sa.calls, 300);
    CHECK(memcmp(&sa, &sb, sizeof sa) == 0);
    test_stage_deterministic(a, an, &sa);
    CHECK_INT(sa.with_identity, 300 - 43);
    CHECK(sa.signature[STIR_SIG_VALID] > 0 && sa.signature[STIR_SIG_EXPIRED] > 0);
    CHECK(sa.findings[STIR_F_dest_tn_mismatch] > 0 && sa.findings[STIR_F_identity_missing] == 43);
    CHECK_INT(sa.implied[3], 60);
    CHECK_INT(sa.network_blocked, 240);
    char *js = NULL;
    size_t jn = 0;
    FILE *m = open_memstream(&js, &jn);
    sig_stats_json(&sa, m);
    fclose(m);
    json_t *j = json_loadb(js, jn, 0, NULL);
    CHECK_MSG(j != NULL, "stats JSON: %s", js);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "attest"), "B")), sa.attest[1]);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "implied"), "438")), 60);
    json_decref(j);
    free(js);
    m = open_memstream(&js, &jn);
    sig_stats_text(&sa, m);
    fclose(m);
    CHECK(strstr(js, "calls with Identity") && strstr(js, "438 60") && strstr(js, "603+ 240"));
    free(js);
    free(a);
    free(b);
}

/* ---- response side ---- */

static void test_jcard(stir_verifier *v) {
    char jws[4096], b64[8192], uri[8300];
    jcard_jws(jws, sizeof jws);
    /* data:...;base64 holding the JWS (standard base64 of the compact text) */
    stir_b64url_encode((const uint8_t *)jws, strlen(jws), b64, sizeof b64);
    snprintf(uri, sizeof uri, "data:application/jose;base64,%s", b64);
    record(2, 608, "Rejected");
    INFO[R.ncall_info++] = (call_info_ref){sv("https://other.example/"), sv("info")};
    INFO[R.ncall_info++] = (call_info_ref){sv(uri), sv("jwscard")};
    sig_analyze(&R, v, 1, &RES);
    CHECK(RES.jcard.present);
    CHECK_STR(RES.jcard.source, "data");
    CHECK_INT(RES.jcard.decode_status, 0);
    CHECK_INT(RES.jcard.sig, STIR_SIG_VALID);
    CHECK_STR(RES.jcard.name, "Example Analytics");
    CHECK_STR(RES.jcard.org, "Example Inc");
    CHECK_STR(RES.jcard.url, "https://redress.example/dispute");
    CHECK_STR(RES.jcard.email, "redress@example.com");
    CHECK_STR(RES.jcard.tel, "tel:+18005550100");
    json_t *j = record_json(&RES);
    json_t *jc = json_object_get(json_object_get(j, "signals"), "jcard");
    CHECK_STR(json_string_value(json_object_get(jc, "signature")), "valid");
    CHECK_STR(json_string_value(json_object_get(jc, "typ")), "vcard+json");
    CHECK_STR(json_string_value(json_object_get(jc, "email")), "redress@example.com");
    CHECK_STR(json_string_value(json_object_get(jc, "status")), "ok");
    json_decref(j);
    /* a plain URL is kept as the redress link, nothing decoded */
    record(2, 608, "Rejected");
    INFO[R.ncall_info++] = (call_info_ref){sv("https://analytics.example/jcard/123"), sv("jwscard")};
    sig_analyze(&R, v, 1, &RES);
    CHECK_STR(RES.jcard.source, "link");
    CHECK_STR(RES.jcard.link, "https://analytics.example/jcard/123");
    j = record_json(&RES);
    jc = json_object_get(json_object_get(j, "signals"), "jcard");
    CHECK(json_is_null(json_object_get(jc, "signature")) && json_is_null(json_object_get(jc, "name")));
    json_decref(j);
    /* a tampered jCard does not verify */
    char *dot = strchr(jws, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    snprintf(uri, sizeof uri, "https://analytics.example/jc/%s", jws);
    record(2, 608, "Rejected");
    INFO[R.ncall_info++] = (call_info_ref){sv(uri), sv("jwscard")};
    sig_analyze(&R, v, 1, &RES);
    CHECK(RES.jcard.sig != STIR_SIG_VALID);
}

static void test_blocked(void) {
    record(2, 603, "Network Blocked");
    add_reason("SIP", 603, "v=analytics1;url=https://example.com/redress;tel=+18005551212;"
                           "email=help@example.com;id=12345", "LN");
    sig_analyze(&R, NULL, 1, &RES);
    CHECK(RES.blocked.present && RES.blocked.profile_complete);
    CHECK_STR(RES.blocked.version, "analytics1");
    CHECK_STR(RES.blocked.url, "https://example.com/redress");
    CHECK_STR(RES.blocked.tel, "+18005551212");
    CHECK_STR(RES.blocked.email, "help@example.com");
    CHECK_STR(RES.blocked.id, "12345");
    CHECK_STR(RES.blocked.location, "LN");
    json_t *j = record_json(&RES);
    json_t *nb = json_object_get(json_object_get(j, "signals"), "network_blocked");
    CHECK_STR(json_string_value(json_object_get(nb, "url")), "https://example.com/redress");
    CHECK_STR(json_string_value(json_object_get(nb, "location")), "LN");
    CHECK(json_is_true(json_object_get(nb, "profile_complete")));
    json_decref(j);
    /* an ordinary decline is not 603+ */
    record(2, 603, "Decline");
    sig_analyze(&R, NULL, 1, &RES);
    CHECK(!RES.blocked.present);
    /* the phrase alone makes it 603+, without the profile */
    record(2, 603, "Network Blocked");
    sig_analyze(&R, NULL, 1, &RES);
    CHECK(RES.blocked.present && !RES.blocked.profile_complete);
    sig_blocked b;
    memset(&b, 0, sizeof b);
    CHECK_INT(sig_parse_blocked_text(sv(" bp = Example Analytics , e=x@y.z;junk;=v"), &b), 2);
    CHECK_STR(b.party, "Example Analytics");
    CHECK_STR(b.email, "x@y.z");
}

static void test_reasons(void) {
    record(2, 480, "Temporarily Unavailable");
    add_reason("Q.850", 21, "Call Rejected", "U");
    add_reason("SIP", 608, NULL, NULL);
    add_reason("STIR", 438, "Invalid Identity Header", NULL);
    add_reason("preemption", 1, NULL, NULL);
    R.verstat = sv("TN-Validation-Failed");
    sig_analyze(&R, NULL, 1, &RES);
    CHECK_INT(RES.nreasons, 4);
    CHECK_STR(RES.reasons[0].meaning, "call rejected");
    CHECK_STR(RES.reasons[0].location, "U");
    CHECK_STR(RES.reasons[1].meaning, "Rejected");
    CHECK(RES.reasons[3].meaning == NULL);
    CHECK(RES.stir_reason.present);
    CHECK_INT(RES.stir_reason.cause, 438);
    CHECK_STR(RES.implied.name, "invalid_identity"); /* the call went on; the Reason says why */
    CHECK_STR(RES.implied.from, "reason");
    CHECK_STR(RES.verstat_class, "failed");
    json_t *j = record_json(&RES);
    json_t *s = json_object_get(j, "signals");
    json_t *r0 = json_array_get(json_object_get(s, "reasons"), 0);
    CHECK_STR(json_string_value(json_object_get(r0, "meaning")), "call rejected");
    CHECK_INT(json_integer_value(json_object_get(r0, "cause")), 21);
    CHECK_STR(jpath_str(s, "stir_reason", "implies"), "invalid_identity");
    CHECK_STR(jpath_str(s, "verstat", "value"), "TN-Validation-Failed");
    CHECK_STR(jpath_str(s, "verstat", "class"), "failed");
    json_decref(j);
    sx_sv p = sv("TN-Validation-Passed-A");
    CHECK_STR(sig_verstat_class(p), "passed");
    CHECK_STR(sig_verstat_class(sv("No-TN-Validation")), "no_validation");
    CHECK_STR(sig_q850_meaning(16), "normal call clearing");
    CHECK(sig_q850_meaning(1) && sig_q850_meaning(127) && !sig_q850_meaning(200));
    static const int causes[] = {1, 3, 16, 17, 18, 19, 20, 21, 22, 27, 28, 31, 34, 38, 41,
                                 42, 44, 47, 50, 55, 57, 58, 63, 65, 79, 88, 102, 111, 127};
    for (size_t i = 0; i < sizeof causes / sizeof *causes; i++)
        CHECK_MSG(sig_q850_meaning(causes[i]) != NULL, "Q.850 cause %d has no meaning", causes[i]);
    sig_implied im;
    CHECK(sig_implied_of(403, sv("Stale Date"), &im) && !strcmp(im.name, "iat_stale"));
    CHECK(!sig_implied_of(403, sv("Forbidden"), &im));
    CHECK(sig_implied_of(428, SX_SV_NULL, &im) && !strcmp(im.name, "identity_missing"));
}

/* RFC 9410: the call went on; Reason: STIR names the failed Identity by its ppi. */
static void test_stir_reason_ppi(stir_verifier *v) {
    char good[4096], bad[4096], tmp[4096], params[600];
    identity(GOOD, "A", CALLER, CALLEE, NOW, good, sizeof good);
    identity(GOOD, "A", CALLER, CALLEE, NOW, tmp, sizeof tmp);
    tamper_orig(tmp, "12025550199", bad, sizeof bad);
    const char *d1 = strchr(bad, '.'), *d2 = strchr(d1 + 1, '.'), *semi = strchr(d2, ';');
    /* ppi = compact form "header..signature" of the failed PASSporT */
    snprintf(params, sizeof params, "cause=438;text=\"Invalid Identity Header\";ppi=\"%.*s..%.*s\"",
             (int)(d1 - bad), bad, (int)(semi - d2 - 1), d2 + 1);
    record(2, 200, "OK");
    add_identity(good);
    add_identity(bad);
    add_reason_p("STIR", 438, "Invalid Identity Header", NULL, params);
    sig_analyze(&R, v, 1, &RES);
    CHECK(RES.stir_reason.present);
    CHECK_INT(RES.stir_reason.identity, 1);
    CHECK_INT(RES.ids[1].sig, STIR_SIG_INVALID);
    CHECK_INT(RES.signature, STIR_SIG_VALID);
    CHECK_STR(RES.implied.name, "invalid_identity");
    json_t *j = record_json(&RES);
    json_t *st = json_object_get(json_object_get(j, "signals"), "stir_reason");
    CHECK_INT(json_integer_value(json_object_get(st, "identity")), 1);
    CHECK(strstr(json_string_value(json_object_get(st, "ppi")), "..") != NULL);
    json_decref(j);
    /* a ppi naming no Identity of the call */
    record(2, 200, "OK");
    add_identity(good);
    add_reason_p("STIR", 436, NULL, NULL, "cause=436;ppi=\"..AAAA\"");
    sig_analyze(&R, v, 1, &RES);
    CHECK_INT(RES.stir_reason.identity, -1);
    CHECK_STR(RES.implied.name, "bad_identity_info");
}

static void test_jcard_parsers(void) {
    sig_jcard j;
    memset(&j, 0, sizeof j);
    const char *bare = "[\"vcard\",[[\"fn\",{},\"text\",\"A\"]]]";
    CHECK_INT(sig_jcard_fields(bare, strlen(bare), &j), 1);
    CHECK_STR(j.name, "A");
    CHECK_INT(sig_jcard_fields("{\"jcard\":3}", 11, &j), -1);
    CHECK_INT(sig_jcard_fields("nope", 4, &j), -1);
    memset(&j, 0, sizeof j);
    sig_parse_jcard_uri(sv("data:,not.a.jws"), &j, &RES.scratch);
    CHECK_STR(j.source, "link");
    sig_parse_jcard_uri(sv("data:application/jose;base64,!!!"), &j, &RES.scratch);
    CHECK_STR(j.source, "link");
}

/* ---- end to end: a pcap through `sipdx analyze --calls -` ---- */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

/* One Ethernet/IPv4/UDP frame carrying msg, as a classic pcap record. */
static void pcap_frame(FILE *f, sx_time t, const uint8_t src[4], const uint8_t dst[4],
                       const char *msg) {
    size_t n = strlen(msg), len = 14 + 20 + 8 + n;
    uint8_t h[42] = {0};
    memcpy(h, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
    uint8_t *ip = h + 14;
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(20 + 8 + n));
    ip[8] = 64, ip[9] = 17;
    memcpy(ip + 12, src, 4), memcpy(ip + 16, dst, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, ~sum & 0xffff);
    put16(h + 34, 5060), put16(h + 36, 5060), put16(h + 38, (unsigned)(8 + n));
    uint32_t rec[4] = {(uint32_t)(t / SX_SEC), (uint32_t)(t % SX_SEC), (uint32_t)len, (uint32_t)len};
    fwrite(rec, 4, 4, f);
    fwrite(h, 1, 42, f);
    fwrite(msg, 1, n, f);
}

/* INVITE from caller to callee at t, its final response dt later. */
static void sip_pair_at(FILE *f, sx_time t, sx_time dt, const char *caller, const char *callee,
                        const char *cid, const char *ident, const char *resp) {
    static const uint8_t a[4] = {192, 0, 2, 1}, b[4] = {198, 51, 100, 2};
    char m[8192];
    snprintf(m, sizeof m,
             "INVITE sip:+%s@198.51.100.2 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-%s\r\n"
             "From: <sip:+%s@192.0.2.1>;tag=a-%s\r\nTo: <sip:+%s@198.51.100.2>\r\n"
             "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:%s@192.0.2.1>\r\n"
             "Max-Forwards: 70\r\nIdentity: %s\r\nContent-Length: 0\r\n\r\n",
             callee, cid, caller, cid, callee, cid, caller, ident);
    pcap_frame(f, t, a, b, m);
    snprintf(m, sizeof m,
             "%s\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-%s\r\n"
             "From: <sip:+%s@192.0.2.1>;tag=a-%s\r\nTo: <sip:+%s@198.51.100.2>;tag=b\r\n"
             "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
             resp, cid, caller, cid, callee, cid);
    pcap_frame(f, t + dt, b, a, m);
}

static void sip_pair(FILE *f, const char *cid, const char *ident, const char *resp) {
    sip_pair_at(f, (sx_time)(NOW + 2) * SX_SEC, SX_SEC, CALLER, CALLEE, cid, ident, resp);
}

static json_t *find_call(json_t **calls, int n, const char *cid) {
    for (int i = 0; i < n; i++)
        if (!strcmp(json_string_value(json_object_get(calls[i], "call_id")), cid)) return calls[i];
    return NULL;
}

static void test_end_to_end(void) {
    const char *bin = getenv("SIPDX_BIN");
    struct stat st;
    if (!bin) bin = "build/rel/sipdx";
    if (stat(bin, &st) != 0) {
        TH_SKIP("%s not built: end-to-end analyze test not run", bin);
        return;
    }
    char good[4096], bad[4096], tmp[4096];
    identity(GOOD, "A", CALLER, CALLEE, NOW, good, sizeof good);
    identity(GOOD, "A", CALLER, CALLEE, NOW, tmp, sizeof tmp);
    tamper_orig(tmp, "12025550199", bad, sizeof bad);
    FILE *f = fopen(DIR "/e2e.pcap", "wb");
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    fwrite(gh, 4, 6, f);
    sip_pair(f, "e2e-valid", good,
             "SIP/2.0 603 Network Blocked\r\nReason: SIP;cause=603;"
             "text=\"v=analytics1;url=https://example.com/r;id=9\";location=LN");
    char resp[1024];
    const char *d2 = strrchr(bad, '.'), *semi = strchr(d2, ';');
    snprintf(resp, sizeof resp,
             "SIP/2.0 438 Invalid Identity Header\r\nReason: Q.850;cause=21;text=\"Call Rejected\"\r\n"
             "Reason: STIR;cause=438;text=\"Invalid Identity Header\";ppi=\"..%.*s\"",
             (int)(semi - d2 - 1), d2 + 1);
    sip_pair(f, "e2e-tampered", bad, resp);
    fclose(f);
    for (int jobs = 1; jobs <= 2; jobs++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "%s analyze --no-progress --calls - --x5u-map " DIR "/x5u.map --trust " DIR
                 "/ca.pem -j %d " DIR "/e2e.pcap 2>" DIR "/e2e.err",
                 bin, jobs);
        FILE *p = popen(cmd, "r");
        json_t *calls[4] = {0};
        int n = 0;
        char line[65536];
        while (p && n < 4 && fgets(line, sizeof line, p)) calls[n++] = json_loads(line, 0, NULL);
        int rc = p ? pclose(p) : -1;
        CHECK_MSG(rc == 0, "-j %d: %s exited %d", jobs, cmd, rc);
        CHECK_INT(n, 2);
        json_t *v = find_call(calls, n, "e2e-valid"), *t = find_call(calls, n, "e2e-tampered");
        CHECK(v && t);
        if (v && t) {
            CHECK_STR(jpath_str(v, "stir", "signature"), "valid");
            CHECK_STR(jpath_str(v, "stir", "attest"), "A");
            json_t *nb = json_object_get(json_object_get(v, "signals"), "network_blocked");
            CHECK_STR(json_string_value(json_object_get(nb, "url")), "https://example.com/r");
            CHECK_STR(jpath_str(t, "stir", "signature"), "invalid");
            CHECK(jarr_has(json_object_get(json_object_get(t, "stir"), "findings"), "orig_tn_mismatch"));
            json_t *im = json_object_get(json_object_get(t, "signals"), "implied_stir_finding");
            CHECK_STR(json_string_value(json_object_get(im, "name")), "invalid_identity");
            json_t *r0 = json_array_get(json_object_get(json_object_get(t, "signals"), "reasons"), 0);
            CHECK_STR(json_string_value(json_object_get(r0, "meaning")), "call rejected");
            json_t *sr = json_object_get(json_object_get(t, "signals"), "stir_reason");
            CHECK_INT(json_integer_value(json_object_get(sr, "identity")), 0);
            CHECK_INT(json_integer_value(json_object_get(sr, "cause")), 438);
        }
        for (int i = 0; i < n; i++) json_decref(calls[i]);
    }
}

/* SIPDX_SIGNAL_BENCH_CALLS=N: writes DIR/bench.pcap, N calls 5 ms apart whose INVITEs each
 * carry a distinct signed Identity (origid differs, iat = the INVITE's second), each answered
 * 603 a millisecond later; bench/stir-verify.sh times `sipdx analyze` over it. */
static void write_bench_capture(long n) {
    FILE *f = fopen(DIR "/bench.pcap", "wb");
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    fwrite(gh, 4, 6, f);
    char hdr[256], claims[512], jws[2048], id[2600], cid[64], callee[16];
    snprintf(hdr, sizeof hdr, "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"" GOOD "\"}");
    for (long i = 0; i < n; i++) {
        sx_time t = (sx_time)NOW * SX_SEC + i * 5 * SX_MSEC;
        snprintf(callee, sizeof callee, "1215%07ld", i % 10000000); /* a dialer's list */
        snprintf(claims, sizeof claims,
                 "{\"attest\":\"A\",\"dest\":{\"tn\":[\"%s\"]},\"iat\":%lld,"
                 "\"orig\":{\"tn\":\"" CALLER "\"},\"origid\":\"bench-%010ld\"}",
                 callee, (long long)(t / SX_SEC), i);
        sign_jws(hdr, claims, jws, sizeof jws);
        snprintf(id, sizeof id, "%s;info=<" GOOD ">;alg=ES256;ppt=shaken", jws);
        snprintf(cid, sizeof cid, "bench-%ld", i);
        sip_pair_at(f, t, SX_MSEC, CALLER, callee, cid, id, "SIP/2.0 603 Decline");
    }
    fclose(f);
    printf("wrote %s/bench.pcap: %ld calls, each with its own signed Identity\n", DIR, n);
}

int main(void) {
    mkdir("build", 0755);
    mkdir(DIR, 0755);
    NOW = time(NULL);
    make_pki();
    if (getenv("SIPDX_SIGNAL_BENCH_CALLS")) {
        write_bench_capture(atol(getenv("SIPDX_SIGNAL_BENCH_CALLS")));
        EVP_PKEY_free(CA_KEY);
        EVP_PKEY_free(LEAF_KEY);
        return 0;
    }
    stir_verifier *v = verifier();
    if (v) {
        test_levels(v);
        test_failures(v);
        test_counts(v);
        test_deferred(v);
        test_jcard(v);
        test_stir_reason_ppi(v);
        test_stage();
        test_stage_render_fails();
    }
    test_blocked();
    test_reasons();
    test_jcard_parsers();
    test_end_to_end();
    stir_verifier_free(v);
    EVP_PKEY_free(CA_KEY);
    EVP_PKEY_free(LEAF_KEY);
    TH_END();
}
