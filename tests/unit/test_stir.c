/* test_stir.c -- STIR/SHAKEN decode, checks and verification.
 *
 * 1. building blocks: base64url decoder, r||s -> DER (cross-checked with OpenSSL);
 * 2. every vector of ../shared/corpus/STIR_EXPECTED.json (skipped when absent);
 * 3. our own PKI made at test time under build/test-stir/ (CA, leaves with TNAuthList, an
 *    expired leaf, a leaf from a rogue CA) and PASSporTs signed with it.
 * SIPDX_STIR_BENCH=1 also measures verifications per second with the cache disabled.
 */
#include "th_json.h"
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "pki.h"
#include "stir/stir.h"
#include "stir/stir_int.h"

#define DIR "build/test-stir"

static stir_passport P; /* ~24 KiB: static, not on the stack */

/* ---- 1. building blocks ---- */

static void test_b64(void) {
    uint8_t out[16];
    int ns = 0;
    CHECK_INT(stir_b64_decode("", 0, out, sizeof out, &ns), 0);
    CHECK_INT(stir_b64_decode("Zg", 2, out, sizeof out, &ns), 1);
    CHECK(out[0] == 'f');
    CHECK_INT(stir_b64_decode("Zm9vYg", 6, out, sizeof out, &ns), 4);
    CHECK(memcmp(out, "foob", 4) == 0);
    CHECK_INT(ns, 0);
    CHECK_INT(stir_b64_decode("Zm9vYg==", 8, out, sizeof out, &ns), 4);
    CHECK_INT(ns, 1); /* padding is nonstandard in JWS */
    ns = 0;
    CHECK_INT(stir_b64_decode("-_8", 3, out, sizeof out, &ns), 2);
    CHECK(out[0] == 0xfb && out[1] == 0xff);
    CHECK_INT(ns, 0);
    CHECK_INT(stir_b64_decode("+/8", 3, out, sizeof out, &ns), 2);
    CHECK(out[0] == 0xfb && out[1] == 0xff);
    CHECK_INT(ns, 1); /* standard alphabet */
    CHECK_INT(stir_b64_decode("Zm9vY", 5, out, sizeof out, NULL), -1); /* 1 mod 4 */
    CHECK_INT(stir_b64_decode("Zm9v!g", 6, out, sizeof out, NULL), -1);
    CHECK_INT(stir_b64_decode("Zg=", 3, out, sizeof out, NULL), -1);   /* padding to 3 */
    CHECK_INT(stir_b64_decode("Zm9vYmFy", 8, out, 5, NULL), -1);       /* cap too small */
    char enc[16];
    CHECK_INT(stir_b64url_encode((const uint8_t *)"\xfb\xff", 2, enc, sizeof enc), 3);
    CHECK_STR(enc, "-_8");
}

/* OpenSSL's own DER for the same (r, s). */
static int openssl_der(const uint8_t rs[64], uint8_t *der) {
    ECDSA_SIG *s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
    uint8_t *p = der;
    int n = i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    return n;
}

static void test_rs_to_der(void) {
    uint8_t rs[64], a[80], b[80];
    int same = 0;
    /* top bits set (needs 0x00), leading zero bytes (stripped), all zero, random */
    for (int t = 0; t < 40; t++) {
        for (int i = 0; i < 64; i++) rs[i] = (uint8_t)(rand() & 0xff);
        if (t == 0) memset(rs, 0xff, 64);
        if (t == 1) memset(rs, 0, 5), memset(rs + 32, 0, 9);
        if (t == 2) rs[0] = 0x80, rs[32] = 0x7f;
        if (t == 3) memset(rs, 0, 64), rs[31] = 1, rs[63] = 1;
        int n = stir_rs_to_der(rs, a, sizeof a);
        int m = openssl_der(rs, b);
        same += n == m && n > 0 && memcmp(a, b, (size_t)n) == 0;
    }
    CHECK_INT(same, 40);
    CHECK_INT(stir_rs_to_der(rs, a, 10), -1);
}

/* ---- 2. STIR_EXPECTED.json ---- */

static const char *jstr(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* orig/dest may be objects or (libstirshaken) strings holding JSON. */
static json_t *jobj(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    if (json_is_string(v)) return json_loads(json_string_value(v), 0, NULL);
    return json_incref(v);
}

static void expect_claims(int i, json_t *c) {
    const char *s;
    if ((s = jstr(c, "attest"))) CHECK_MSG(strcmp(P.attest, s) == 0, "vector %d attest", i);
    if ((s = jstr(c, "origid"))) CHECK_MSG(strcmp(P.origid, s) == 0, "vector %d origid", i);
    json_t *iat = json_object_get(c, "iat");
    long long want = json_is_string(iat) ? atoll(json_string_value(iat)) : json_integer_value(iat);
    CHECK_MSG(P.iat == want, "vector %d iat %lld want %lld", i, (long long)P.iat, want);
    CHECK_MSG(stir_has(&P.decoded, STIR_F_iat_as_string) == json_is_string(iat),
              "vector %d iat_as_string", i);
    json_t *orig = jobj(c, "orig"), *dest = jobj(c, "dest");
    if (orig && (s = jstr(orig, "tn"))) CHECK_MSG(strcmp(P.orig_tn, s) == 0, "vector %d orig", i);
    json_t *tn = dest ? json_object_get(dest, "tn") : NULL, *uri = dest ? json_object_get(dest, "uri") : NULL;
    if (json_is_string(tn)) CHECK_MSG(strcmp(P.dest_tn[0], json_string_value(tn)) == 0, "v%d dest", i);
    if (json_is_array(tn)) {
        CHECK_MSG(P.n_dest_tn == (int)json_array_size(tn), "vector %d dest.tn count", i);
        CHECK_MSG(strcmp(P.dest_tn[0], json_string_value(json_array_get(tn, 0))) == 0, "v%d dest", i);
    }
    if (json_is_array(uri))
        CHECK_MSG(strcmp(P.dest_uri[0], json_string_value(json_array_get(uri, 0))) == 0, "v%d uri", i);
    CHECK_MSG(stir_has(&P.decoded, STIR_F_claims_as_string) ==
                  json_is_string(json_object_get(c, "orig")), "vector %d claims_as_string", i);
    json_decref(orig);
    json_decref(dest);
}

static void expect_vector(const char *shared, int i, json_t *e) {
    const char *value = jstr(e, "value"), *kind = jstr(e, "kind");
    json_t *hdr = json_object_get(e, "header"), *claims = json_object_get(e, "payload");
    int rc = stir_decode(sx_sv_make(value, strlen(value)), &P);
    if (json_is_null(hdr) || !hdr) {
        CHECK_MSG(rc != 0, "vector %d must not decode", i);
        stir_findings f;
        stir_check(&P, NULL, NULL, 0, &f);
        CHECK(stir_has(&f, STIR_F_malformed_identity));
        return;
    }
    CHECK_MSG(rc == 0, "vector %d decode: %s", i, stir_err_name(rc));
    CHECK_MSG(strcmp(P.alg, jstr(hdr, "alg")) == 0, "vector %d alg", i);
    CHECK_MSG(strcmp(P.typ, jstr(hdr, "typ")) == 0, "vector %d typ", i);
    CHECK_MSG(strcmp(P.x5u, jstr(hdr, "x5u")) == 0, "vector %d x5u", i);
    const char *ppt = jstr(hdr, "ppt");
    CHECK_MSG(ppt ? strcmp(P.ppt, ppt) == 0 : !(P.present & STIR_P_PPT), "vector %d ppt", i);
    const char *info = jstr(json_object_get(e, "identity_params"), "info");
    if (info && info[strlen(info) - 1] == '>')
        CHECK_MSG(strncmp(P.info, info + 1, strlen(info) - 2) == 0, "vector %d info", i);
    if (strcmp(kind, "SPC token") == 0) {
        stir_findings f;
        stir_check(&P, NULL, NULL, 0, &f);
        CHECK_MSG(stir_has(&f, STIR_F_typ_not_passport), "vector %d: SPC token is no PASSporT", i);
    } else {
        expect_claims(i, claims);
    }
    CHECK_MSG(P.sig_len == (size_t)json_integer_value(json_object_get(e, "signature_bytes")),
              "vector %d signature length %zu", i, P.sig_len);
    /* Verification with the key the corpus names. */
    const char *key = jstr(e, "verify_key");
    int verifies = json_is_true(json_object_get(e, "jws_es256_verifies"));
    stir_verifier *v = NULL;
    char path[512], err[256];
    if (key) {
        snprintf(path, sizeof path, "%s/corpus/%s", shared, key);
        stir_verifier_opts o = {.key_pem = path};
        v = stir_verifier_new(&o, err, sizeof err);
        CHECK_MSG(v != NULL, "vector %d key: %s", i, err);
    }
    stir_vresult r;
    stir_verify(v, &P, 0, &r);
    CHECK_MSG((r.sig == STIR_SIG_VALID) == verifies, "vector %d signature %s (%s), corpus says %s",
              i, stir_sig_name(r.sig), r.detail, verifies ? "verifies" : "fails");
    stir_verifier_free(v);
}

static void test_expected(void) {
    const char *shared = th_shared();
    if (!shared) {
        TH_SKIP("../shared absent: STIR_EXPECTED.json vectors not run");
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/corpus/STIR_EXPECTED.json", shared);
    json_t *all = json_load_file(path, 0, NULL);
    CHECK_MSG(json_is_array(all) && json_array_size(all) >= 15, "read %s", path);
    for (size_t i = 0; i < json_array_size(all); i++)
        expect_vector(shared, (int)i, json_array_get(all, i));
    /* Spot checks a user would look at. */
    json_t *e0 = json_array_get(all, 0);
    stir_decode(sx_sv_make(jstr(e0, "value"), strlen(jstr(e0, "value"))), &P);
    stir_findings f;
    stir_check(&P, "01256789999", "01256500600", 0, &f);
    CHECK(stir_has(&f, STIR_F_claims_as_string) && stir_has(&f, STIR_F_dest_tn_not_array));
    CHECK(!stir_has(&f, STIR_F_orig_tn_mismatch) && !stir_has(&f, STIR_F_dest_tn_mismatch));
    CHECK(stir_has(&f, STIR_F_attest_a));
    json_t *e12 = json_array_get(all, 12); /* Asterisk 2020: padded standard base64, DER sig */
    stir_decode(sx_sv_make(jstr(e12, "value"), strlen(jstr(e12, "value"))), &P);
    stir_check(&P, NULL, NULL, 0, &f);
    CHECK(stir_has(&f, STIR_F_nonstandard_base64) && stir_has(&f, STIR_F_signature_length));
    CHECK(stir_has(&f, STIR_F_info_malformed) && stir_has(&f, STIR_F_dest_tn_missing));
    json_t *e11 = json_array_get(all, 11); /* cgrates tampered orig */
    stir_decode(sx_sv_make(jstr(e11, "value"), strlen(jstr(e11, "value"))), &P);
    stir_check(&P, "1001", "1002", 0, &f);
    CHECK(stir_has(&f, STIR_F_orig_tn_mismatch) && !stir_has(&f, STIR_F_dest_tn_mismatch));

    /* Vector 1 through an x5u map and the libstirshaken CA: a checked chain. */
    FILE *m = fopen(DIR "/ls.map", "w");
    fprintf(m, "# libstirshaken\nhttp://shaken.signalwire.cloud/sp.pem %s/corpus/libstirshaken/sp/sp.pem\n",
            shared);
    fclose(m);
    char ca[512], pa[512], err[256];
    snprintf(ca, sizeof ca, "%s/corpus/libstirshaken/ca/ca.pem", shared);
    snprintf(pa, sizeof pa, "%s/corpus/libstirshaken/pa/pa.pem", shared);
    json_t *e1 = json_array_get(all, 1);
    stir_decode(sx_sv_make(jstr(e1, "value"), strlen(jstr(e1, "value"))), &P);
    stir_verifier_opts o = {.x5u_map = DIR "/ls.map", .trust_anchors = ca};
    stir_verifier *v = stir_verifier_new(&o, err, sizeof err);
    stir_vresult r;
    CHECK_MSG(v && stir_verify(v, &P, 0, &r) == STIR_SIG_VALID, "libstirshaken chain: %s",
              v ? r.detail : err);
    CHECK(v && r.chain_checked);
    stir_verifier_free(v);
    o.trust_anchors = pa; /* the STI-PA cert did not issue sp.pem */
    v = stir_verifier_new(&o, err, sizeof err);
    CHECK(v && stir_verify(v, &P, 0, &r) == STIR_SIG_UNTRUSTED);
    stir_verifier_free(v);
    json_decref(all);
}

/* ---- 3. our own PKI and PASSporTs ---- */

typedef struct pki {
    EVP_PKEY *ca_key, *rogue_key, *leaf_key;
    X509 *ca, *rogue;
} pki;
static pki K;
static time_t NOW;

static void make_pki(void) {
    K.ca_key = EVP_EC_gen("P-256");
    K.rogue_key = EVP_EC_gen("P-256");
    K.leaf_key = EVP_EC_gen("P-256");
    K.ca = pki_cert(K.ca_key, K.ca_key, NULL, "Test STI-CA", -10, 3650, 1, 0, &NOW);
    K.rogue = pki_cert(K.rogue_key, K.rogue_key, NULL, "Rogue CA", -10, 3650, 1, 0, &NOW);
    X509 *good = pki_cert(K.leaf_key, K.ca_key, K.ca, "Test SP", -1, 365, 0, 1, &NOW);
    X509 *expired = pki_cert(K.leaf_key, K.ca_key, K.ca, "Test SP old", -30, -1, 0, 1, &NOW);
    X509 *rogue = pki_cert(K.leaf_key, K.rogue_key, K.rogue, "Rogue SP", -1, 365, 0, 1, &NOW);
    X509 *notn = pki_cert(K.leaf_key, K.ca_key, K.ca, "Test SP no TN", -1, 365, 0, 0, &NOW);
    pki_write_pem(DIR "/ca.pem", K.ca);
    pki_write_pem(DIR "/good.pem", good);
    pki_write_pem(DIR "/expired.pem", expired);
    pki_write_pem(DIR "/rogue.pem", rogue);
    pki_write_pem(DIR "/notn.pem", notn);
    FILE *f = fopen(DIR "/leaf.pub", "w");
    PEM_write_PUBKEY(f, K.leaf_key);
    fclose(f);
    f = fopen(DIR "/x5u.map", "w");
    fprintf(f, "https://cr.example/good.pem " DIR "/good.pem\n"
               "https://cr.example/expired.pem\t" DIR "/expired.pem\n"
               "https://cr.example/rogue.pem " DIR "/rogue.pem\n"
               "https://cr.example/notn.pem " DIR "/notn.pem\n");
    fclose(f);
    X509_free(good);
    X509_free(expired);
    X509_free(rogue);
    X509_free(notn);
}

static void free_pki(void) {
    EVP_PKEY_free(K.ca_key);
    EVP_PKEY_free(K.rogue_key);
    EVP_PKEY_free(K.leaf_key);
    X509_free(K.ca);
    X509_free(K.rogue);
}

/* b64url(hdr) "." b64url(claims) "." b64url(r||s) [;params]; padded adds '=' like a
 * nonconforming signer (which then signs the padded text). */
static void sign_identity(const char *hdr, const char *claims, int padded, const char *params,
                          char *out, size_t cap) {
    char h[1024], c[2048], in[4096];
    stir_b64url_encode((const uint8_t *)hdr, strlen(hdr), h, sizeof h);
    stir_b64url_encode((const uint8_t *)claims, strlen(claims), c, sizeof c);
    if (padded) {
        while (strlen(h) % 4) strcat(h, "=");
        while (strlen(c) % 4) strcat(c, "=");
    }
    snprintf(in, sizeof in, "%s.%s", h, c);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[80], rs[64];
    size_t dlen = sizeof der;
    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, K.leaf_key);
    EVP_DigestSign(md, der, &dlen, (const uint8_t *)in, strlen(in));
    EVP_MD_CTX_free(md);
    const uint8_t *dp = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &dp, (long)dlen);
    BN_bn2binpad(ECDSA_SIG_get0_r(s), rs, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(s), rs + 32, 32);
    ECDSA_SIG_free(s);
    char sig[128];
    stir_b64url_encode(rs, 64, sig, sizeof sig);
    snprintf(out, cap, "%s.%s%s", in, sig, params ? params : "");
}

#define CALLER "12155550121"
#define CALLEE "12155550131"

/* A SHAKEN PASSporT from our leaf key; claims are the fixed ones unless overridden. */
static void shaken(const char *url, const char *attest, const char *orig, int64_t iat,
                   char *out, size_t cap) {
    char hdr[512], claims[1024], params[600];
    snprintf(hdr, sizeof hdr, "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"%s\"}", url);
    snprintf(claims, sizeof claims,
             "{\"attest\":\"%s\",\"dest\":{\"tn\":[\"" CALLEE "\"]},\"iat\":%lld,\"orig\":{\"tn\":\"%s\"},"
             "\"origid\":\"123e4567-e89b-12d3-a456-426655440000\"}", attest, (long long)iat, orig);
    snprintf(params, sizeof params, ";info=<%s>;alg=ES256;ppt=shaken", url);
    sign_identity(hdr, claims, 0, params, out, cap);
}

typedef struct outcome { stir_findings f; stir_vresult r; } outcome;

static void run(stir_verifier *v, const char *value, sx_time sent, outcome *o) {
    stir_decode(sx_sv_make(value, strlen(value)), &P);
    stir_check(&P, CALLER, CALLEE, sent, &o->f);
    stir_verify(v, &P, sent, &o->r);
}

/* A typical PASSporT decodes inside the arena: not one of its cJSON blocks reaches malloc
 * (a 64-byte cJSON node once did, through an off-by-one in the size check). */
static void test_arena(void) {
    char id[4096];
    shaken("https://cr.example/good.pem", "A", CALLER, NOW, id, sizeof id);
    for (int i = 0; i < 2; i++) { /* the second one meets the JOSE header cache */
        uint64_t before = stir_jarena_fallbacks();
        CHECK_INT(stir_decode(sx_sv_make(id, strlen(id)), &P), 0);
        CHECK_MSG(stir_jarena_fallbacks() == before, "decode %d: %llu blocks from malloc", i,
                  (unsigned long long)(stir_jarena_fallbacks() - before));
    }
}

static void test_own(void) {
    char err[256], id[4096];
    stir_verifier_opts vo = {.x5u_map = DIR "/x5u.map", .trust_anchors = DIR "/ca.pem"};
    stir_verifier *v = stir_verifier_new(&vo, err, sizeof err);
    CHECK_MSG(v != NULL, "verifier: %s", err);
    if (!v) return;
    sx_time sent = (sx_time)NOW * SX_SEC + 2 * SX_SEC;
    outcome o;
    static const char *const lv[] = {"A", "B", "C"};
    static const int fid[] = {STIR_F_attest_a, STIR_F_attest_b, STIR_F_attest_c};
    for (int i = 0; i < 3; i++) {
        shaken("https://cr.example/good.pem", lv[i], CALLER, NOW, id, sizeof id);
        run(v, id, sent, &o);
        CHECK_MSG(o.r.sig == STIR_SIG_VALID, "attest %s: %s (%s)", lv[i], stir_sig_name(o.r.sig), o.r.detail);
        CHECK(o.r.chain_checked);
        CHECK(stir_has(&o.f, fid[i]));
        CHECK_MSG(stir_findings_worst(&o.f) == STIR_INFO, "clean PASSporT has only info findings");
    }
    /* tampered orig: same signature over other claims */
    shaken("https://cr.example/good.pem", "A", CALLER, NOW, id, sizeof id);
    char tampered[4096];
    {
        const char *d1 = strchr(id, '.'), *d2 = strchr(d1 + 1, '.');
        char claims[1024], c64[2048];
        snprintf(claims, sizeof claims,
                 "{\"attest\":\"A\",\"dest\":{\"tn\":[\"" CALLEE "\"]},\"iat\":%lld,\"orig\":{\"tn\":\"12155559999\"},"
                 "\"origid\":\"123e4567-e89b-12d3-a456-426655440000\"}", (long long)NOW);
        stir_b64url_encode((const uint8_t *)claims, strlen(claims), c64, sizeof c64);
        snprintf(tampered, sizeof tampered, "%.*s.%s%s", (int)(d1 - id), id, c64, d2);
    }
    run(v, tampered, sent, &o);
    CHECK_INT(o.r.sig, STIR_SIG_INVALID);
    CHECK(stir_has(&o.f, STIR_F_orig_tn_mismatch));
    /* wrong dest: the signalling's callee is not in dest.tn */
    stir_decode(sx_sv_make(id, strlen(id)), &P);
    stir_check(&P, CALLER, "12155550999", sent, &o.f);
    CHECK(stir_has(&o.f, STIR_F_dest_tn_mismatch) && !stir_has(&o.f, STIR_F_orig_tn_mismatch));
    /* lenient TN comparison: signalling "+1 215..." canonicalises elsewhere; a 10-digit tn */
    shaken("https://cr.example/good.pem", "A", "2155550121", NOW, id, sizeof id);
    run(v, id, sent, &o);
    CHECK(!stir_has(&o.f, STIR_F_orig_tn_mismatch) && stir_has(&o.f, STIR_F_tn_not_canonical));
    /* stale: the INVITE left 90 s after iat; future: iat 30 s after the send time */
    shaken("https://cr.example/good.pem", "A", CALLER, NOW - 90, id, sizeof id);
    run(v, id, (sx_time)NOW * SX_SEC, &o);
    CHECK(stir_has(&o.f, STIR_F_iat_stale) && o.f.iat_age == 90);
    CHECK(!stir_has(&o.f, STIR_F_iat_future));
    CHECK_INT(o.r.sig, STIR_SIG_VALID);
    shaken("https://cr.example/good.pem", "A", CALLER, NOW + 30, id, sizeof id);
    run(v, id, (sx_time)NOW * SX_SEC, &o);
    CHECK(stir_has(&o.f, STIR_F_iat_future) && !stir_has(&o.f, STIR_F_iat_stale));
    shaken("https://cr.example/good.pem", "A", CALLER, NOW - 59, id, sizeof id);
    run(v, id, (sx_time)NOW * SX_SEC, &o);
    CHECK(!stir_has(&o.f, STIR_F_iat_stale) && !stir_has(&o.f, STIR_F_iat_future));
    /* certificates: unknown, untrusted chain, expired, no TNAuthList */
    shaken("https://cr.example/missing.pem", "A", CALLER, NOW, id, sizeof id);
    run(v, id, sent, &o);
    CHECK_INT(o.r.sig, STIR_SIG_CERT_UNKNOWN);
    shaken("https://cr.example/rogue.pem", "A", CALLER, NOW, id, sizeof id);
    run(v, id, sent, &o);
    CHECK_INT(o.r.sig, STIR_SIG_UNTRUSTED);
    shaken("https://cr.example/expired.pem", "A", CALLER, NOW, id, sizeof id);
    run(v, id, sent, &o);
    CHECK_INT(o.r.sig, STIR_SIG_EXPIRED);
    shaken("https://cr.example/notn.pem", "A", CALLER, NOW, id, sizeof id);
    run(v, id, sent, &o);
    CHECK_INT(o.r.sig, STIR_SIG_UNTRUSTED);
    CHECK(strstr(o.r.detail, "TNAuthList") != NULL);
    /* x5u != info */
    shaken("https://cr.example/good.pem", "A", CALLER, NOW, id, sizeof id);
    char *semi = strchr(id, ';');
    snprintf(semi, sizeof id - (size_t)(semi - id), ";info=<https://other.example/x.pem>;alg=ES256;ppt=shaken");
    run(v, id, sent, &o);
    CHECK(stir_has(&o.f, STIR_F_info_x5u_mismatch));
    CHECK_INT(o.r.sig, STIR_SIG_VALID); /* the key comes from x5u (RFC 8588 §3) */
    snprintf(semi, sizeof id - (size_t)(semi - id), ";info=<https://cr.example/good.pem;v=1>;ppt=shaken");
    run(v, id, sent, &o);
    CHECK_STR(P.info, "https://cr.example/good.pem;v=1"); /* ';' inside <> is the URL's */
    CHECK(!stir_has(&o.f, STIR_F_info_malformed) && !stir_has(&o.f, STIR_F_ppt_param_mismatch));
    /* padded base64 signed as sent: verifies, but is reported */
    char claims[512];
    snprintf(claims, sizeof claims, "{\"attest\":\"B\",\"dest\":{\"tn\":[\"" CALLEE "\"]},\"iat\":%lld,"
             "\"orig\":{\"tn\":\"" CALLER "\"},\"origid\":\"x\"}", (long long)NOW);
    sign_identity("{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://cr.example/good.pem\"}",
                  claims, 1, ";info=<https://cr.example/good.pem>;ppt=\"shaken\"", id, sizeof id);
    run(v, id, 0, &o); /* reference time 0: the certificate is checked at iat */
    CHECK(stir_has(&o.f, STIR_F_nonstandard_base64) && !stir_has(&o.f, STIR_F_ppt_param_mismatch));
    CHECK_INT(o.r.sig, STIR_SIG_VALID);
    stir_verifier_stats st;
    stir_verifier_get_stats(v, &st);
    CHECK_INT(st.certs_loaded, 5); /* good, missing, rogue, expired, notn: each once */
    stir_verifier_free(v);
}

static void test_cache_and_modes(void) {
    char err[256], id[4096], id2[4096];
    shaken("https://cr.example/sub/good.pem?x=1", "A", CALLER, NOW, id, sizeof id);
    shaken("https://cr.example/sub/good.pem?x=1", "B", CALLER, NOW, id2, sizeof id2);
    /* cert dir, named by the URL's last segment */
    stir_verifier_opts vo = {.cert_dir = DIR};
    stir_verifier *v = stir_verifier_new(&vo, err, sizeof err);
    outcome o;
    run(v, id, 0, &o);
    CHECK_INT(o.r.sig, STIR_SIG_VALID);
    CHECK_INT(o.r.chain_checked, 0);
    run(v, id, 0, &o);
    CHECK(o.r.cached && o.r.sig == STIR_SIG_VALID);
    run(v, id2, 0, &o);
    CHECK(!o.r.cached && o.r.sig == STIR_SIG_VALID);
    stir_verifier_stats st;
    stir_verifier_get_stats(v, &st);
    CHECK_INT(st.verifications, 2);
    CHECK_INT(st.cache_hits, 1);
    CHECK_INT(st.certs_loaded, 1);
    stir_verifier_free(v);
    /* cache disabled: every call verifies */
    vo.cache_size = -1;
    v = stir_verifier_new(&vo, err, sizeof err);
    run(v, id, 0, &o);
    run(v, id, 0, &o);
    stir_verifier_get_stats(v, &st);
    CHECK_INT(st.verifications, 2);
    stir_verifier_free(v);
    /* tiny cache: clear-when-full stays correct */
    vo.cache_size = 1;
    v = stir_verifier_new(&vo, err, sizeof err);
    for (int i = 0; i < 3; i++) {
        run(v, id, 0, &o);
        CHECK_INT(o.r.sig, STIR_SIG_VALID);
        run(v, id2, 0, &o);
        CHECK_INT(o.r.sig, STIR_SIG_VALID);
    }
    stir_verifier_free(v);
    /* direct modes: bare public key and certificate */
    stir_verifier_opts k = {.key_pem = DIR "/leaf.pub"};
    v = stir_verifier_new(&k, err, sizeof err);
    run(v, id, 0, &o);
    CHECK_INT(o.r.sig, STIR_SIG_VALID);
    stir_verifier_free(v);
    k.key_pem = DIR "/expired.pem";
    v = stir_verifier_new(&k, err, sizeof err);
    run(v, id, (sx_time)NOW * SX_SEC, &o);
    CHECK_INT(o.r.sig, STIR_SIG_EXPIRED);
    stir_verifier_free(v);
    k.key_pem = DIR "/nonexistent.pem";
    CHECK(stir_verifier_new(&k, err, sizeof err) == NULL && err[0]);
    /* no verifier: unverified, but a bad signature length is known without a key */
    run(NULL, id, 0, &o);
    CHECK_INT(o.r.sig, STIR_SIG_UNVERIFIED);
}

static void test_syntax(void) {
    char id[4096], big[STIR_MAX_IDENTITY + 16];
    stir_findings f;
    CHECK_INT(stir_decode(SX_SV_LIT(""), &P), STIR_EEMPTY);
    CHECK_INT(stir_decode(SX_SV_LIT(";info=<https://a/b>"), &P), STIR_EEMPTY);
    CHECK_INT(stir_decode(SX_SV_LIT("abc.def"), &P), STIR_ESEGMENTS);
    CHECK_INT(stir_decode(SX_SV_LIT("a.b.c.d"), &P), STIR_ESEGMENTS);
    CHECK_INT(stir_decode(SX_SV_LIT("e30.e30.!!!!"), &P), STIR_EBASE64);
    CHECK_INT(stir_decode(SX_SV_LIT("WzFd.e30.AAAA"), &P), STIR_EHEADER); /* [1] */
    CHECK_INT(stir_decode(SX_SV_LIT("e30.bm9wZQ.AAAA"), &P), STIR_ECLAIMS); /* "nope" */
    memset(big, 'A', sizeof big);
    CHECK_INT(stir_decode(sx_sv_make(big, sizeof big), &P), STIR_ETOOBIG);
    stir_check(&P, NULL, NULL, 0, &f);
    CHECK(stir_has(&f, STIR_F_malformed_identity) && f.decode_err == STIR_ETOOBIG);
    /* compact form: header..signature */
    CHECK_INT(stir_decode(SX_SV_LIT("eyJhbGciOiJFUzI1NiJ9..AAAA"), &P), 0);
    stir_check(&P, NULL, NULL, 0, &f);
    CHECK(stir_has(&f, STIR_F_compact_form) && stir_has(&f, STIR_F_typ_not_passport));
    /* folded header and unsupported ppt, missing info/iat/attest */
    sign_identity("{\"alg\":\"ES256\",\"ppt\":\"foo\",\"typ\":\"passport\",\"x5u\":\"http://x/y\"}",
                  "{\"dest\":{\"tn\":[\"1\"]},\"orig\":{\"tn\":\"2\"}}", 0, ";alg=ES384", id, sizeof id);
    char folded[4200];
    size_t cut = 20;
    snprintf(folded, sizeof folded, "%.*s\r\n %s", (int)cut, id, id + cut);
    CHECK_INT(stir_decode(sx_sv_make(folded, strlen(folded)), &P), 0);
    stir_check(&P, NULL, NULL, 0, &f);
    CHECK(stir_has(&f, STIR_F_identity_folded) && stir_has(&f, STIR_F_ppt_unsupported));
    CHECK(stir_has(&f, STIR_F_info_missing) && stir_has(&f, STIR_F_alg_param_not_es256));
    CHECK(stir_has(&f, STIR_F_ppt_param_mismatch) && stir_has(&f, STIR_F_x5u_not_https));
    CHECK(stir_has(&f, STIR_F_iat_missing) && !stir_has(&f, STIR_F_attest_missing)); /* ppt foo */
    /* White space anywhere in the token (the copy takes 16 or 8 bytes at a time between
     * them) and a ';' inside the quoted or bracketed parameters decode alike. */
    stir_passport plain;
    char params[200];
    snprintf(params, sizeof params, "%s", strchr(id, ';'));
    snprintf(folded, sizeof folded, "%.*s;info=\"<https://a/x;y=1>\";ppt=\"f;oo\"%s",
             (int)(strchr(id, ';') - id), id, params);
    CHECK_INT(stir_decode(sx_sv_make(folded, strlen(folded)), &plain), 0);
    CHECK_STR(plain.ppt_param, "f;oo");
    size_t tok = (size_t)(strchr(folded, ';') - folded);
    for (size_t at = 1; at < tok; at++) {
        char ws[4300];
        snprintf(ws, sizeof ws, "%.*s%s%s", (int)at, folded, at % 3 ? " " : "\r\n\t", folded + at);
        int rc = stir_decode(sx_sv_make(ws, strlen(ws)), &P);
        CHECK_MSG(rc == 0 && stir_has(&P.decoded, STIR_F_identity_folded) &&
                      P.signing_len == plain.signing_len &&
                      memcmp(P.signing_input, plain.signing_input, plain.signing_len) == 0 &&
                      strcmp(P.info, plain.info) == 0 && strcmp(P.orig_tn, plain.orig_tn) == 0,
                  "white space at %zu", at);
    }
    stir_verifier_opts k = {.key_pem = DIR "/leaf.pub"};
    char err[256];
    stir_verifier *v = stir_verifier_new(&k, err, sizeof err);
    stir_vresult r;
    CHECK_INT(stir_verify(v, &P, 0, &r), STIR_SIG_VALID); /* folding removed before verifying */
    stir_verifier_free(v);
    /* attest garbage, div and rcd claims */
    sign_identity("{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://x/y\"}",
                  "{\"attest\":\"D\",\"dest\":{\"tn\":[\"1\"]},\"div\":{\"tn\":\"12155550100\"},\"iat\":\"x\","
                  "\"orig\":{\"tn\":\"+1-215-555-0121\"},\"rcd\":{\"nam\":\"Acme\"}}", 0, NULL, id, sizeof id);
    CHECK_INT(stir_decode(sx_sv_make(id, strlen(id)), &P), 0);
    stir_check(&P, CALLER, NULL, 0, &f);
    CHECK(stir_has(&f, STIR_F_attest_invalid) && stir_has(&f, STIR_F_iat_invalid));
    CHECK(stir_has(&f, STIR_F_iat_as_string) && stir_has(&f, STIR_F_div_present));
    CHECK(stir_has(&f, STIR_F_rcd_present) && stir_has(&f, STIR_F_origid_missing));
    CHECK(!stir_has(&f, STIR_F_orig_tn_mismatch) && stir_has(&f, STIR_F_tn_not_canonical));
    CHECK_STR(P.div_tn, "12155550100");
    CHECK_STR(P.rcd_nam, "Acme");
    CHECK(!(P.present & STIR_P_PARAMS) && !stir_has(&f, STIR_F_info_missing)); /* bare */
    /* names are stable and unique */
    CHECK_STR(stir_finding_name(STIR_F_iat_stale), "iat_stale");
    CHECK_STR(stir_finding_name(STIR_F_identity_missing), "identity_missing");
    CHECK_STR(stir_sig_name(STIR_SIG_CERT_UNKNOWN), "cert_unknown");
    int dups = 0;
    for (int i = 0; i < STIR_F__COUNT; i++)
        for (int j = i + 1; j < STIR_F__COUNT; j++)
            dups += strcmp(stir_finding_name(i), stir_finding_name(j)) == 0;
    CHECK_INT(dups, 0);
}

static void test_output(void) {
    char id[4096], *buf = NULL;
    size_t n = 0;
    shaken("https://cr.example/good.pem", "A", CALLER, NOW, id, sizeof id);
    outcome o;
    char err[256];
    stir_verifier_opts vo = {.key_pem = DIR "/good.pem"};
    stir_verifier *v = stir_verifier_new(&vo, err, sizeof err);
    run(v, id, (sx_time)(NOW + 90) * SX_SEC, &o);
    stir_verifier_free(v);
    FILE *f = open_memstream(&buf, &n);
    stir_print_json(f, &P, &o.f, &o.r);
    fclose(f);
    json_t *j = json_loadb(buf, n, 0, NULL);
    CHECK_MSG(j != NULL, "JSON output parses: %s", buf);
    CHECK_STR(jstr(j, "signature"), "valid");
    CHECK_STR(jstr(json_object_get(j, "header"), "x5u"), "https://cr.example/good.pem");
    CHECK_STR(jstr(json_object_get(j, "claims"), "attest"), "A");
    CHECK_STR(jstr(json_object_get(j, "identity_params"), "info"), "https://cr.example/good.pem");
    json_t *fs = json_object_get(j, "findings");
    int stale = 0;
    for (size_t i = 0; i < json_array_size(fs); i++)
        stale |= strcmp(jstr(json_array_get(fs, i), "name"), "iat_stale") == 0;
    CHECK(stale);
    json_decref(j);
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &n);
    stir_print(f, &P, &o.f, &o.r);
    fclose(f);
    CHECK(strstr(buf, "iat_stale") && strstr(buf, "Signature: valid") && strstr(buf, "orig.tn  " CALLER));
    free(buf);
}

static int cli(const char *a1, const char *a2, const char *a3, const char *a4) {
    char *argv[] = {(char *)"identity", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    int argc = 1;
    while (argv[argc]) argc++;
    fflush(stdout);
    return stir_cli_identity(argc, argv);
}

static void test_cli(void) {
    char id[4096], bad[4096];
    shaken("https://cr.example/good.pem", "A", CALLER, NOW, id, sizeof id);
    snprintf(bad, sizeof bad, "%s", id);
    char *s = strchr(strchr(strchr(bad, '.') + 1, '.') + 1, ';');
    s[-2] = s[-2] == 'A' ? 'B' : 'A'; /* flip the signature */
    CHECK_INT(cli("--key", DIR "/leaf.pub", "--json", id), 0);
    CHECK_INT(cli("--x5u-map", DIR "/x5u.map", "--trust=" DIR "/ca.pem", id), 0);
    CHECK_INT(cli("--key", DIR "/leaf.pub", bad, NULL), 1);
    CHECK_INT(cli(id, NULL, NULL, NULL), 0); /* unverified */
    CHECK_INT(cli("not-a-passport", NULL, NULL, NULL), 1);
    CHECK_INT(cli("--bogus", id, NULL, NULL), 2);
    CHECK_INT(cli("--key", NULL, NULL, NULL), 2);
    CHECK_INT(cli("--key", DIR "/absent.pem", id, NULL), 3);
}

/* Seconds of CPU time used by this process: `openssl speed` also counts user CPU time by
 * default, so the two figures compare on a loaded machine. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per second on one core, cache disabled, vs `openssl speed ecdsap256`. */
static void bench(void) {
    char id[4096], err[256];
    shaken("https://cr.example/good.pem", "A", CALLER, NOW, id, sizeof id);
    stir_verifier_opts vo = {.key_pem = DIR "/leaf.pub", .cache_size = -1};
    stir_verifier *v = stir_verifier_new(&vo, err, sizeof err);
    stir_decode(sx_sv_make(id, strlen(id)), &P);
    long n = 0, ok = 0;
    double t0 = cpu_now(), el = 0;
    while (el < 3.0) {
        stir_vresult r;
        for (int i = 0; i < 256; i++, n++) ok += stir_verify(v, &P, 0, &r) == STIR_SIG_VALID;
        el = cpu_now() - t0;
    }
    printf("bench: %.0f verifications/s per CPU second (cache disabled, %ld/%ld valid, "
           "%zu-byte signing input)\n", (double)n / el, ok, n, P.signing_len);
    CHECK(ok == n);
    vo.cache_size = 0;
    stir_verifier *vc = stir_verifier_new(&vo, err, sizeof err);
    n = 0;
    t0 = cpu_now();
    el = 0;
    while (el < 1.0) {
        stir_vresult r;
        for (int i = 0; i < 256; i++, n++) stir_verify(vc, &P, 0, &r);
        el = cpu_now() - t0;
    }
    printf("bench: %.0f cached verifications/s\n", (double)n / el);
    n = 0;
    t0 = cpu_now();
    el = 0;
    while (el < 1.0) {
        for (int i = 0; i < 256; i++, n++) stir_decode(sx_sv_make(id, strlen(id)), &P);
        el = cpu_now() - t0;
    }
    printf("bench: %.0f decodes/s\n", (double)n / el);
    stir_verifier_free(vc);
    stir_verifier_free(v);
}

/* ---- per-thread decode state: the JOSE header cache and the JSON arena ----
 * A decode on a fresh thread (nothing cached, arena unused) must give exactly what a decode
 * on a thread that has seen the same header gives, for headers that decode and for those
 * that do not (never cached). */

static char *decode_dump(const char *value) {
    static _Thread_local stir_passport q; /* ~24 KiB: not on a thread's stack */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = stir_decode(sx_sv_make(value, strlen(value)), &q);
    stir_findings fi;
    stir_check(&q, CALLER, CALLEE, 0, &fi);
    fprintf(f, "rc=%d present=%x bits=%llx alg=%s typ=%s ppt=%s x5u=%s hdr=%zu:%.*s claims=%zu:%.*s "
            "sig=%zu signing=%zu:%.*s attest=%s orig=%s dest=%d iat=%lld | ", rc, q.present,
            (unsigned long long)q.decoded.bits, q.alg, q.typ, q.ppt, q.x5u, q.header_len,
            (int)q.header_len, q.header_json, q.claims_len, (int)q.claims_len, q.claims_json,
            q.sig_len, q.signing_len, (int)q.signing_len, q.signing_input, q.attest, q.orig_tn,
            q.n_dest_tn, (long long)q.iat);
    stir_print_json(f, &q, &fi, NULL);
    fclose(f);
    return buf;
}

typedef struct cold_job { const char *value; char *dump; } cold_job;
static void *cold_decode(void *arg) {
    cold_job *j = arg;
    j->dump = decode_dump(j->value);
    return NULL;
}

/* Rewrites the base64url digits of the first n bytes of s to the standard alphabet. */
static void to_std_alphabet(char *s, size_t n) {
    for (size_t i = 0; i < n && s[i]; i++) s[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
}

static void test_thread_state(void) {
    enum { NV = 10 };
    static char v[NV][4096];
    const char *claims = "{\"attest\":\"A\",\"dest\":{\"tn\":[\"" CALLEE "\"]},\"iat\":1700000000,"
                         "\"orig\":{\"tn\":\"" CALLER "\"},\"origid\":\"x\"}";
    const char *hdr_std = "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\","
                          "\"x5u\":\"https://cr.example/?>?>~~.pem\"}";
    char longx5u[700], hdr_long[800];
    memset(longx5u, 'a', 600);
    longx5u[600] = '\0';
    snprintf(hdr_long, sizeof hdr_long, "{\"alg\":\"ES256\",\"x5u\":\"https://%s\"}", longx5u);
    shaken("https://cr.example/good.pem", "A", CALLER, NOW, v[0], sizeof v[0]);
    shaken("https://cr.example/good.pem", "B", CALLEE, NOW + 1, v[1], sizeof v[1]);
    sign_identity(hdr_std, claims, 1, ";info=<https://cr.example/good.pem>", v[2], sizeof v[2]);
    sign_identity(hdr_std, claims, 0, NULL, v[3], sizeof v[3]);
    to_std_alphabet(v[3], (size_t)(strchr(v[3], '.') - v[3]));
    sign_identity(hdr_long, claims, 0, NULL, v[4], sizeof v[4]);          /* too_long */
    sign_identity("[\"alg\",\"ES256\"]", claims, 0, NULL, v[5], sizeof v[5]); /* not an object */
    sign_identity("{\"alg\":\"ES256\"", claims, 0, NULL, v[6], sizeof v[6]);  /* not JSON */
    size_t h0 = (size_t)(strchr(v[0], '.') - v[0]); /* compact form: claims left out */
    memcpy(v[7], v[0], h0 + 1);
    v[7][h0 + 1] = '\0';
    strcat(v[7], strrchr(v[0], '.'));
    memcpy(v[8], v[0], 40); /* folded: CRLF SP inside the header segment */
    memcpy(v[8] + 40, "\r\n ", 3);
    memcpy(v[8] + 43, v[0] + 40, strlen(v[0] + 40) + 1);
    sign_identity(hdr_std, "{\"attest\":\"C\",\"iat\":\"1700000000\"}", 1, NULL, v[9], sizeof v[9]);
    char *d3 = decode_dump(v[3]);
    CHECK(strstr(d3, "nonstandard_base64") != NULL);
    free(d3);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < NV; i++) {
            char *warm = decode_dump(v[i]);
            char *warm2 = decode_dump(v[i]);
            cold_job j = {v[i], NULL};
            pthread_t t;
            CHECK(pthread_create(&t, NULL, cold_decode, &j) == 0 && pthread_join(t, NULL) == 0);
            CHECK_MSG(j.dump && strcmp(warm, j.dump) == 0, "value %d: warm %s\ncold %s", i, warm,
                      j.dump ? j.dump : "(none)");
            CHECK_MSG(strcmp(warm, warm2) == 0, "value %d decodes twice differently", i);
            free(warm);
            free(warm2);
            free(j.dump);
        }
    }
}

/* ---- JSON reading: cJSON under the strict grammar (sjson.c) ---- */

static void b64url(const char *s, char *out) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)s[i] << 16;
        if (i + 1 < n) v |= (uint32_t)(uint8_t)s[i + 1] << 8;
        if (i + 2 < n) v |= (uint8_t)s[i + 2];
        for (size_t k = 0; k < 4 && k <= n - i; k++) out[o++] = a[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
}

static int parses(const char *s) {
    struct cJSON *j = stir_json_parse(s, strlen(s));
    stir_json_free(j);
    return j != NULL;
}

static void test_json_strict(void) {
    static const char *const ok[] = {
        "{}", "[]", " {\"a\":[1,-0,0.5,1e5,1E+2,-1.5e-7]}\r\n", "{\"a\":\"\\u00e9\\ud83d\\ude00\\/\"}",
        "{\"a\":\"\xc3\xa9\"}", "[9223372036854775807,-9223372036854775808,1e-400]", "[\"\\\\u0000\"]",
    };
    static const char *const bad[] = {
        "", "1", "\"s\"", "{} x", "{\"a\":1}}", "[01]", "[1.]", "[-.5]", "[+1]", "[1e400]",
        "[9223372036854775808]", "[-9223372036854775809]", "[\"\\u0000\"]", "[\"\\u00zz\"]",
        "[\"\t\"]", "[\"\x01\"]", "[\"\xc3\"]", "[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]",
        "\xef\xbb\xbf[]", "[1,\f2]", "[\"\\ud83d\"]",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) CHECK_MSG(parses(ok[i]), "accepts %s", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_MSG(!parses(bad[i]), "rejects %s", bad[i]);
    const char *dup = "{\"k\":1,\"k\":\"last\"}";
    struct cJSON *j = stir_json_parse(dup, strlen(dup));
    CHECK_STR(((const cJSON *)stir_json_get(j, "k"))->valuestring, "last");
    CHECK(stir_json_get(j, "K") == NULL);
    stir_json_free(j);
    /* One NUL right after a number or literal was always skipped; anywhere else it is bad. */
    j = stir_json_parse("[1\0,true\0]", 10);
    CHECK(j != NULL);
    stir_json_free(j);
    CHECK(stir_json_parse("[1,\0 2]", 7) == NULL);
    /* iat beyond 1e15: an integer is kept exactly, a real is invalid (RFC 7519 §2). */
    static const char big_int[] = "{\"iat\":2000000000000001}", big_real[] = "{\"iat\":2e15}";
    char id[1024], h[128], c[512];
    const char *hdr = "{\"alg\":\"ES256\",\"typ\":\"passport\",\"x5u\":\"https://a/b.pem\"}";
    for (int k = 0; k < 2; k++) {
        const char *claims = k ? big_real : big_int;
        b64url(hdr, h);
        b64url(claims, c);
        snprintf(id, sizeof id, "%s.%s.c2ln", h, c);
        CHECK_INT(stir_decode(sx_sv_make(id, strlen(id)), &P), 0);
        CHECK(stir_has(&P.decoded, STIR_F_iat_invalid) == k);
        if (!k) CHECK(P.iat == 2000000000000001LL);
    }
    /* A repeated claim: the last one counts, as for every key (one walk finds them all). */
    static const char dup_claims[] =
        "{\"attest\":\"A\",\"orig\":{\"tn\":\"1\"},\"iat\":5,\"crn\":\"x\",\"attest\":\"C\","
        "\"dest\":{\"tn\":[\"3\"]},\"orig\":{\"tn\":\"2\"},\"iat\":7,\"crn\":\"y\",\"div\":{\"tn\":\"4\"}}";
    b64url(hdr, h);
    b64url(dup_claims, c);
    snprintf(id, sizeof id, "%s.%s.c2ln", h, c);
    CHECK_INT(stir_decode(sx_sv_make(id, strlen(id)), &P), 0);
    CHECK_STR(P.attest, "C");
    CHECK_STR(P.orig_tn, "2");
    CHECK_STR(P.crn, "y");
    CHECK_STR(P.div_tn, "4");
    CHECK(P.iat == 7 && P.n_dest_tn == 1 && (P.present & STIR_P_DIV));
}

/* The fast path (inside a decode's arena scope) builds the tree cJSON builds, and accepts
 * nothing the general path (no scope) rejects: compared on hand-picked texts and on random
 * mutations of PASSporT claims. */
static int same_tree(const cJSON *a, const cJSON *b, int root) {
    for (; a && b; a = a->next, b = b->next) {
        int bt = root ? b->type & ~cJSON_IsReference : b->type; /* the fast root's mark */
        if (a->type != bt || a->valueint != b->valueint ||
            memcmp(&a->valuedouble, &b->valuedouble, sizeof a->valuedouble) != 0)
            return 0;
        if (!a->valuestring != !b->valuestring ||
            (a->valuestring && strcmp(a->valuestring, b->valuestring) != 0))
            return 0;
        if (!a->string != !b->string || (a->string && strcmp(a->string, b->string) != 0))
            return 0;
        if (!a->child != !b->child || (a->child && !a->child->prev != !b->child->prev))
            return 0;
        if (!same_tree(a->child, b->child, 0)) return 0;
    }
    return !a && !b;
}

static int fast_matches(const char *s, size_t n) {
    struct cJSON *slow = stir_json_parse(s, n); /* no scope: cJSON's parse */
    stir_jarena_begin();
    struct cJSON *fast = stir_json_parse(s, n);
    int ok = !slow == !fast && (!slow || same_tree(slow, fast, 1));
    stir_json_free(fast);
    stir_jarena_end();
    stir_json_free(slow);
    return ok;
}

/* Applies k random edits to buf[from..n) (a byte replaced by one of alpha, or deleted; a
 * linear congruential generator in *seed, so every run tests the same texts); returns the new
 * length. */
static size_t mutate(char *buf, size_t n, size_t from, int k, const char *alpha, unsigned *seed) {
    size_t na = strlen(alpha);
    for (int m = 0; m < k && n > from + 1; m++) {
        *seed = *seed * 1103515245u + 12345u;
        size_t at = from + (*seed >> 8) % (n - from);
        *seed = *seed * 1103515245u + 12345u;
        if ((*seed >> 8) % 4 == 3) {
            memmove(buf + at, buf + at + 1, n - at - 1);
            n--;
        } else {
            buf[at] = alpha[(*seed >> 12) % na];
        }
    }
    return n;
}

static void test_json_fast(void) {
    static const char *const texts[] = {
        "{}", "[]", " { } ", "[[]]", "{\"a\":{}}", "{\"\":\"\"}", "[-0]", "[0]", "[-1,2,34]",
        "[999999999999999,-999999999999999]", "[1000000000000000]", "[2147483647,2147483648,-2147483648,-2147483649]",
        "[true,false,null]", "[tru]", "[truex]", "[nul]", "[nullnull]", "[true null]", "{\"a\":true}x",
        "{\"a\":1,\"a\":2}", "{\"a\" : [ 1 , \"x\" ] , \"b\":{\"c\":\"d\"}}\r\n\t ", "[1,]", "{,}",
        "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "[01]", "[-01]", "[1.5]", "[1e5]", "[1E5]", "[-]", "[1-2]",
        "[\"\\n\"]", "[\"\\u00e9\"]", "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", "[\"\xc3\"]",
        "[\"\xed\xa0\x80\"]", "[\"\x7f\"]", "[\"\x01\"]", "[1\0]", "[1]\0", "\xef\xbb\xbf[]", "{\"a\":1}}",
        "\"s\"", "1", "null", "[\"unterminated", "{\"k\":", "{\"k\"", "[", "{", "\x0c[]",
        "{\"attest\":\"A\",\"dest\":{\"tn\":[\"12155550131\"]},\"iat\":1709251200,"
        "\"orig\":{\"tn\":\"12155550121\"},\"origid\":\"123e4567-e89b-12d3-a456-426655440000\"}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = strlen(texts[i]);
        if (strcmp(texts[i], "[1\0]") == 0 || strcmp(texts[i], "[1]\0") == 0) n = 4;
        CHECK_MSG(fast_matches(texts[i], n), "text %zu %s", i, texts[i]);
    }
    char deep[200];
    for (int d = 30; d <= 40; d += 10) {
        memset(deep, '[', (size_t)d);
        memset(deep + d, ']', (size_t)d);
        CHECK_MSG(fast_matches(deep, 2 * (size_t)d), "depth %d", d);
    }
    static const char base[] =
        "{\"attest\":\"B\",\"dest\":{\"tn\":[\"12155550131\",\"1\"],\"uri\":[]},\"iat\":1709251200,"
        "\"orig\":{\"tn\":\"12155550121\"},\"origid\":\"123e4567-e89b-12d3-a456-426655440000\","
        "\"rcd\":{\"nam\":\"\xc3\xa9 a name long enough for two blocks\"},\"n\":null}";
    static const char alpha[] = "{}[]\",:. \t-+0123456789eEtrufalsn\\u\x01\x80\xc3\xa9\xff";
    char buf[sizeof base];
    unsigned seed = 12345, bad = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, base, sizeof base);
        size_t n = sizeof base - 1;
        n = mutate(buf, n, 0, 1 + it % 3, alpha, &seed);
        bad += !fast_matches(buf, n);
    }
    CHECK_MSG(bad == 0, "%u mutated texts differ between the fast and general paths", bad);
}

/* The claims shortcut (claims.c) against the general path: each claims text is decoded as
 * it is and with its first key's first letter escaped (\u00XX: the same JSON, which only
 * cJSON reads), and both passports must agree on everything the claims set. The texts the
 * shortcut refuses (another claim, a repeat, a wrong type, too long) go the general way both
 * times, so they agree trivially but must still decode as before. */
static stir_passport Q;

static void decode_claims_text(const char *claims, stir_passport *out) {
    static const char hdr[] = "{\"alg\":\"ES256\",\"ppt\":\"shaken\",\"typ\":\"passport\",\"x5u\":\"https://x/c.pem\"}";
    char h[256], c[2048], sig[128], tok[2600];
    uint8_t rs[64] = {0};
    stir_b64url_encode((const uint8_t *)hdr, strlen(hdr), h, sizeof h);
    stir_b64url_encode((const uint8_t *)claims, strlen(claims), c, sizeof c);
    stir_b64url_encode(rs, sizeof rs, sig, sizeof sig);
    snprintf(tok, sizeof tok, "%s.%s.%s", h, c, sig);
    stir_decode(sx_sv_make(tok, strlen(tok)), out);
}

static int same_claims(const stir_passport *a, const stir_passport *b) {
    if (a->status != b->status || a->present != b->present || a->iat != b->iat ||
        a->n_dest_tn != b->n_dest_tn || a->n_dest_uri != b->n_dest_uri ||
        memcmp(&a->decoded, &b->decoded, sizeof a->decoded) != 0 || strcmp(a->attest, b->attest) ||
        strcmp(a->origid, b->origid) || strcmp(a->orig_tn, b->orig_tn) ||
        strcmp(a->orig_uri, b->orig_uri) || strcmp(a->div_tn, b->div_tn) || strcmp(a->crn, b->crn))
        return 0;
    for (int i = 0; i < a->n_dest_tn && i < STIR_MAX_DEST; i++)
        if (strcmp(a->dest_tn[i], b->dest_tn[i])) return 0;
    for (int i = 0; i < a->n_dest_uri && i < STIR_MAX_DEST; i++)
        if (strcmp(a->dest_uri[i], b->dest_uri[i])) return 0;
    return 1;
}

static void test_claims_fast(void) {
    static const char *texts[] = {
        "{\"attest\":\"A\",\"dest\":{\"tn\":[\"12155551213\"]},\"iat\":1700000000,\"orig\":{\"tn\":\"12155551212\"},\"origid\":\"123e4567-e89b-12d3-a456-426655440000\"}",
        " { \"attest\" : \"B\" ,\n\t\"iat\":0 , \"orig\":{\"uri\":\"sip:a@b\",\"tn\":\"1\"},\"dest\":{\"uri\":[\"sip:x@y\"],\"tn\":[]}}\r\n",
        "{\"orig\":{},\"dest\":{},\"iat\":-5}",
        "{\"iat\":-0,\"attest\":\"\",\"origid\":\"\"}",
        "{\"dest\":{\"tn\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\"]}}",
        "{\"dest\":{\"tn\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}}",   /* too many */
        "{\"attest\":\"ABCDEFGH\"}",                                                  /* too long */
        "{\"attest\":\"A\",\"attest\":\"C\"}",                                        /* repeated */
        "{\"orig\":{\"tn\":\"1\",\"tn\":\"2\"}}",
        "{\"attest\":1,\"iat\":\"1700000000\",\"orig\":\"{\\\"tn\\\":\\\"1\\\"}\"}",  /* types */
        "{\"iat\":1700000000.5,\"dest\":{\"tn\":\"1\"}}",
        "{\"iat\":01}",
        "{\"iat\":1234567890123456}",
        "{\"div\":{\"tn\":\"1\"},\"rcd\":{\"nam\":\"x\"},\"crn\":\"why\",\"x\":[1,{\"y\":null}]}",
        "{\"orig\":{\"tn\":\"1\",\"uri\":5}}",
        "{\"dest\":{\"tn\":[\"1\",2]}}",
        "{\"attest\":\"A\"} x",
        "{\"attest\":\"A\",}",
        "{\"origid\":\"caf\xc3\xa9\"}",
        "{\"origid\":\"caf\xc3\"}",
        "[\"attest\"]",
        "{}",
    };
    static stir_passport fast; /* ~24 KiB each: static */
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char esc[1200];
        const char *q = strchr(texts[i], '"');
        if (!q || texts[i][0] == '[') { /* no key to escape: decoded alike by construction */
            decode_claims_text(texts[i], &fast);
            continue;
        }
        snprintf(esc, sizeof esc, "%.*s\\u%04x%s", (int)(q + 1 - texts[i]), texts[i],
                 (unsigned)(unsigned char)q[1], q + 2);
        decode_claims_text(texts[i], &fast);
        decode_claims_text(esc, &Q);
        CHECK_MSG(same_claims(&fast, &Q), "claims %zu: shortcut and general path differ", i);
    }
    /* Mutated usual claims (bytes replaced or deleted), each decoded as it is and with its
     * first key escaped: the shortcut must agree with the general path on every one. */
    static const char base[] =
        "{\"attest\":\"A\",\"dest\":{\"tn\":[\"12155551213\",\"1\"],\"uri\":[\"sip:x@y\"]},"
        "\"iat\":1700000000,\"orig\":{\"tn\":\"12155551212\"},\"origid\":\"123e4567-e89b\"}";
    static const char alpha[] = "{}[]\",:. -0123456789tnuriatst\\\x01\xc3\xa9";
    char buf[sizeof base], esc[sizeof base + 8];
    unsigned seed = 4242, bad = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, base, sizeof base);
        size_t n = sizeof base - 1;
        n = mutate(buf, n, 3, 1 + it % 3, alpha, &seed); /* keeps '{', '"' and the 'a' escaped */
        buf[n] = '\0';
        snprintf(esc, sizeof esc, "{\"\\u%04x%s", (unsigned)(unsigned char)buf[2], buf + 3);
        decode_claims_text(buf, &fast);
        decode_claims_text(esc, &Q);
        bad += !same_claims(&fast, &Q);
    }
    CHECK_MSG(bad == 0, "%u mutated claims differ between the shortcut and the general path", bad);
    decode_claims_text(texts[0], &fast); /* the usual shape */
    CHECK(fast.status == 0 && !strcmp(fast.attest, "A") && fast.iat == 1700000000 &&
          fast.n_dest_tn == 1 && !strcmp(fast.dest_tn[0], "12155551213") &&
          !strcmp(fast.orig_tn, "12155551212") && (fast.present & STIR_P_ORIGID));
}

int main(void) {
    mkdir("build", 0755);
    mkdir(DIR, 0755);
    NOW = time(NULL);
    srand(1);
    test_b64();
    test_json_fast();
    test_claims_fast();
    test_rs_to_der();
    make_pki();
    test_expected();
    test_own();
    test_arena();
    test_thread_state();
    test_cache_and_modes();
    test_syntax();
    test_json_strict();
    test_output();
    test_cli();
    if (getenv("SIPDX_STIR_BENCH")) bench();
    free_pki();
    TH_END();
}
