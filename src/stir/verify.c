/* verify.c -- offline ES256 verification of PASSporTs (RFC 8224 §6.2 steps 3 and 5,
 * RFC 7515 §5.2, RFC 7518 §3.4) with OpenSSL 3.
 *
 * Nothing is fetched: the x5u certificate comes from a local map file or directory, or one
 * key is given for everything (direct mode). Two caches keep a capture with thousands of
 * calls cheap: certificates by URL (read and chain-validated once), and results by the
 * exact signed bytes + signature (one ECDSA verification per distinct Identity).
 *
 * Certificate dates are not part of the cached result: each call compares its reference
 * time with the validity window common to the whole chain, computed once per certificate.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "stir.h"

#define CERT_CACHE_MAX 256       /* distinct x5u URLs kept; cleared when full */
#define MAP_MAX_BYTES (1 << 20)  /* an x5u map larger than this is refused */
#define DEFAULT_RESULT_CACHE 4096

typedef struct cert_entry {
    char url[STIR_MAX_URL];
    int status;              /* STIR_SIG_VALID when usable, else why not */
    int chain_checked;
    EVP_PKEY *key;
    EVP_PKEY_CTX *vctx;      /* initialised once for EVP_PKEY_verify */
    int has_dates;
    time_t not_before, not_after; /* intersection of the chain's validity periods */
    char detail[128];
} cert_entry;

typedef struct result_entry {
    uint8_t hash[32];        /* SHA-256(signing input "." signature): the cache key */
    uint8_t used;
    int16_t cert;            /* index in v->certs, -1 for direct mode or none */
    int sig;
} result_entry;

typedef struct map_entry { const char *url, *path; } map_entry;

struct stir_verifier {
    EVP_MD *sha256;
    EVP_MD_CTX *md;          /* reused for every digest: no allocation per verification */
    ASN1_OBJECT *tnauth_oid; /* 1.3.6.1.5.5.7.1.26, RFC 8226 §9 */
    X509_STORE *anchors;     /* NULL: chains not assessed */
    cert_entry *direct;      /* direct mode key, or NULL */
    char *map_text;          /* the map file, split in place */
    map_entry *map;
    size_t nmap;
    char *cert_dir;
    cert_entry *certs;       /* CERT_CACHE_MAX */
    size_t ncerts;
    result_entry *results;   /* open addressing, cap = power of two >= 2 * limit */
    size_t rcap, rcount, rlimit;
    stir_verifier_stats stats;
};

static const char *const sig_names[] = {
#define STIR_SIG_NAME(sym, name, desc) name,
    STIR_SIGS(STIR_SIG_NAME)
#undef STIR_SIG_NAME
};
static const char *const sig_descs[] = {
#define STIR_SIG_DESC(sym, name, desc) desc,
    STIR_SIGS(STIR_SIG_DESC)
#undef STIR_SIG_DESC
};
const char *stir_sig_name(int s) { return s >= 0 && s < STIR_SIG__COUNT ? sig_names[s] : "unknown"; }
const char *stir_sig_desc(int s) { return s >= 0 && s < STIR_SIG__COUNT ? sig_descs[s] : "?"; }

/* Details are for people and may be cut short; a wrapper keeps GCC's truncation warning
 * for the places where truncation would be a bug. */
__attribute__((format(printf, 3, 4))) static void detailf(char *dst, size_t cap,
                                                           const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

/* ---- Certificates ---- */

static time_t asn1_time_t(const ASN1_TIME *t) {
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm)) return 0;
    return timegm(&tm);
}

/* Narrows [nb, na] to the validity period of every certificate in chain. */
static void chain_dates(cert_entry *e, STACK_OF(X509) *chain) {
    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *c = sk_X509_value(chain, i);
        time_t nb = asn1_time_t(X509_get0_notBefore(c)), na = asn1_time_t(X509_get0_notAfter(c));
        if (!e->has_dates || nb > e->not_before) e->not_before = nb;
        if (!e->has_dates || na < e->not_after) e->not_after = na;
        e->has_dates = 1;
    }
}

/* Chain to the trust anchors (dates excluded: they are checked per call) and require the
 * TNAuthList extension on the leaf (RFC 8226 §9; ATIS-1000080 STI certificates). */
static void validate_chain(stir_verifier *v, cert_entry *e, X509 *leaf, STACK_OF(X509) *rest) {
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx || !X509_STORE_CTX_init(ctx, v->anchors, leaf, rest)) {
        e->status = STIR_SIG_MALFORMED;
        detailf(e->detail, sizeof e->detail, "cannot set up chain validation");
        X509_STORE_CTX_free(ctx);
        return;
    }
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
    e->chain_checked = 1;
    if (X509_verify_cert(ctx) != 1) {
        e->status = STIR_SIG_UNTRUSTED;
        detailf(e->detail, sizeof e->detail, "chain: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    } else {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        e->has_dates = 0;
        chain_dates(e, chain);
        if (X509_get_ext_by_OBJ(leaf, v->tnauth_oid, -1) < 0) {
            e->status = STIR_SIG_UNTRUSTED;
            detailf(e->detail, sizeof e->detail,
                     "certificate has no TNAuthList extension (RFC 8226)");
        }
    }
    X509_STORE_CTX_free(ctx);
}

static int key_ready(stir_verifier *v, cert_entry *e) {
    char group[32] = "";
    if (EVP_PKEY_get_group_name(e->key, group, sizeof group, NULL) != 1 ||
        strcmp(group, "prime256v1") != 0) {
        e->status = STIR_SIG_MALFORMED;
        detailf(e->detail, sizeof e->detail, "key is not an EC P-256 key (ES256)");
        return -1;
    }
    e->vctx = EVP_PKEY_CTX_new(e->key, NULL);
    if (!e->vctx || EVP_PKEY_verify_init(e->vctx) != 1 ||
        EVP_PKEY_CTX_set_signature_md(e->vctx, v->sha256) != 1) {
        e->status = STIR_SIG_MALFORMED;
        detailf(e->detail, sizeof e->detail, "cannot initialise the verifier for this key");
        return -1;
    }
    return 0;
}

/* Loads a PEM file holding a certificate chain (leaf first) or a bare public key. */
static void load_pem(stir_verifier *v, cert_entry *e, const char *path) {
    e->status = STIR_SIG_MALFORMED;
    BIO *b = BIO_new_file(path, "r");
    if (!b) {
        e->status = STIR_SIG_CERT_UNKNOWN;
        detailf(e->detail, sizeof e->detail, "cannot open %.100s", path);
        return;
    }
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *c;
    while (certs && (c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
        if (!sk_X509_push(certs, c)) X509_free(c);
    ERR_clear_error();
    if (sk_X509_num(certs) > 0) {
        chain_dates(e, certs); /* the file's certificates; replaced by the verified chain */
        X509 *leaf = sk_X509_shift(certs);
        e->key = X509_get_pubkey(leaf);
        if (!e->key) {
            detailf(e->detail, sizeof e->detail, "certificate in %.90s has no usable key", path);
        } else if (key_ready(v, e) == 0) {
            e->status = STIR_SIG_VALID;
            detailf(e->detail, sizeof e->detail, "key from certificate %.90s", path);
            if (v->anchors) validate_chain(v, e, leaf, certs);
        }
        X509_free(leaf);
    } else {
        (void)BIO_reset(b);
        e->key = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
        ERR_clear_error();
        if (!e->key) {
            detailf(e->detail, sizeof e->detail, "%.100s holds no PEM certificate or key", path);
        } else if (key_ready(v, e) == 0) {
            e->status = STIR_SIG_VALID;
            detailf(e->detail, sizeof e->detail, "bare public key %.100s", path);
            if (v->anchors) { /* a bare key cannot chain to anything */
                e->status = STIR_SIG_UNTRUSTED;
                e->chain_checked = 1;
                detailf(e->detail, sizeof e->detail, "%.90s is a bare key, not a certificate",
                         path);
            }
        }
    }
    sk_X509_pop_free(certs, X509_free);
    BIO_free(b);
}

static void cert_entry_free(cert_entry *e) {
    EVP_PKEY_CTX_free(e->vctx);
    EVP_PKEY_free(e->key);
    memset(e, 0, sizeof *e);
}

/* ---- x5u -> file ---- */

static const char *map_lookup(const stir_verifier *v, const char *url) {
    for (size_t i = 0; i < v->nmap; i++)
        if (strcmp(v->map[i].url, url) == 0) return v->map[i].path;
    return NULL;
}

static int file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* cert_dir/<last path segment> (query dropped), else cert_dir/<sha256-hex(url)>.pem. */
static int dir_lookup(const stir_verifier *v, const char *url, char *path, size_t cap) {
    if (!v->cert_dir) return 0;
    const char *end = url + strcspn(url, "?#");
    const char *seg = end;
    while (seg > url && seg[-1] != '/') seg--;
    size_t n = (size_t)(end - seg);
    if (n > 0 && !(n <= 2 && seg[0] == '.') &&
        (size_t)snprintf(path, cap, "%s/%.*s", v->cert_dir, (int)n, seg) < cap &&
        file_exists(path))
        return 1;
    uint8_t h[32];
    char hex[65];
    if (!EVP_Digest(url, strlen(url), h, NULL, v->sha256, NULL)) return 0;
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
    return (size_t)snprintf(path, cap, "%s/%s.pem", v->cert_dir, hex) < cap && file_exists(path);
}

static void clear_results(stir_verifier *v) {
    if (v->results) memset(v->results, 0, v->rcap * sizeof *v->results);
    v->rcount = 0;
}

/* Returns the cache index of url's entry, loading it on first use. */
static int cert_for(stir_verifier *v, const char *url) {
    for (size_t i = 0; i < v->ncerts; i++)
        if (strcmp(v->certs[i].url, url) == 0) return (int)i;
    if (v->ncerts == CERT_CACHE_MAX) { /* results point at entries: drop both */
        for (size_t i = 0; i < v->ncerts; i++) cert_entry_free(&v->certs[i]);
        v->ncerts = 0;
        clear_results(v);
    }
    cert_entry *e = &v->certs[v->ncerts];
    detailf(e->url, sizeof e->url, "%s", url);
    char path[1024];
    const char *mapped = map_lookup(v, url);
    if (mapped) {
        load_pem(v, e, mapped);
    } else if (dir_lookup(v, url, path, sizeof path)) {
        load_pem(v, e, path);
    } else {
        e->status = STIR_SIG_CERT_UNKNOWN;
        detailf(e->detail, sizeof e->detail, "no local certificate for x5u %.100s", url);
    }
    v->stats.certs_loaded++;
    return (int)v->ncerts++;
}

/* ---- Construction ---- */

static int load_map(stir_verifier *v, const char *file, char *err, size_t errlen) {
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open x5u map %s: %s", file, strerror(errno));
        return -1;
    }
    v->map_text = malloc(MAP_MAX_BYTES + 1);
    size_t n = v->map_text ? fread(v->map_text, 1, MAP_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!v->map_text || n > MAP_MAX_BYTES) {
        snprintf(err, errlen, "x5u map %s is larger than 1 MiB", file);
        return -1;
    }
    v->map_text[n] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < n; i++) lines += v->map_text[i] == '\n';
    v->map = calloc(lines, sizeof *v->map);
    if (!v->map) return -1;
    for (char *save = NULL, *line = strtok_r(v->map_text, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *s2 = NULL, *url = strtok_r(line, " \t", &s2), *path = strtok_r(NULL, " \t", &s2);
        if (!url || url[0] == '#') continue;
        if (!path) {
            snprintf(err, errlen, "x5u map %s: line for %.100s has no path", file, url);
            return -1;
        }
        v->map[v->nmap++] = (map_entry){url, path};
    }
    return 0;
}

static int load_anchors(stir_verifier *v, const char *file, char *err, size_t errlen) {
    v->anchors = X509_STORE_new();
    if (!v->anchors || X509_STORE_load_file(v->anchors, file) != 1) {
        snprintf(err, errlen, "cannot load trust anchors from %s", file);
        ERR_clear_error();
        return -1;
    }
    return 0;
}

static int setup_cache(stir_verifier *v, int size) {
    if (size < 0) return 0;
    v->rlimit = size == 0 ? DEFAULT_RESULT_CACHE : (size_t)size;
    v->rcap = 16;
    while (v->rcap < 2 * v->rlimit) v->rcap *= 2;
    v->results = calloc(v->rcap, sizeof *v->results);
    return v->results ? 0 : -1;
}

stir_verifier *stir_verifier_new(const stir_verifier_opts *o, char *err, size_t errlen) {
    stir_verifier *v = calloc(1, sizeof *v);
    if (errlen) err[0] = '\0';
    if (!v) return NULL;
    v->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    v->md = EVP_MD_CTX_new();
    v->tnauth_oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
    v->certs = calloc(CERT_CACHE_MAX, sizeof *v->certs);
    int bad = !v->sha256 || !v->md || !v->tnauth_oid || !v->certs || setup_cache(v, o->cache_size);
    if (bad) snprintf(err, errlen, "out of memory");
    if (!bad && o->trust_anchors) bad = load_anchors(v, o->trust_anchors, err, errlen);
    if (!bad && o->x5u_map) bad = load_map(v, o->x5u_map, err, errlen);
    if (!bad && o->cert_dir) bad = !(v->cert_dir = strdup(o->cert_dir));
    if (!bad && o->key_pem) {
        v->direct = calloc(1, sizeof *v->direct);
        bad = !v->direct;
        if (!bad) {
            load_pem(v, v->direct, o->key_pem);
            bad = v->direct->status == STIR_SIG_CERT_UNKNOWN ||
                  v->direct->status == STIR_SIG_MALFORMED;
            if (bad) snprintf(err, errlen, "%s", v->direct->detail);
        }
    }
    if (bad) {
        if (errlen && !err[0]) snprintf(err, errlen, "cannot set up the verifier");
        stir_verifier_free(v);
        return NULL;
    }
    return v;
}

void stir_verifier_free(stir_verifier *v) {
    if (!v) return;
    for (size_t i = 0; i < v->ncerts; i++) cert_entry_free(&v->certs[i]);
    if (v->direct) cert_entry_free(v->direct);
    free(v->direct);
    free(v->certs);
    free(v->results);
    free(v->map);
    free(v->map_text);
    free(v->cert_dir);
    X509_STORE_free(v->anchors);
    ASN1_OBJECT_free(v->tnauth_oid);
    EVP_MD_CTX_free(v->md);
    EVP_MD_free(v->sha256);
    free(v);
}

void stir_verifier_get_stats(const stir_verifier *v, stir_verifier_stats *out) {
    if (v) *out = v->stats;
    else memset(out, 0, sizeof *out);
}

/* ---- Verification ---- */

/* ES256 = ECDSA P-256 over SHA-256 of the signing input (RFC 7518 §3.4). The digest is taken
 * here and the per-key EVP_PKEY_CTX is reused, which is what EVP_DigestVerify does inside
 * minus a provider fetch and context set-up per call. */
static int es256_verify(stir_verifier *v, cert_entry *e, const stir_passport *p) {
    uint8_t md[32], der[80];
    unsigned mdlen = 0;
    int dlen = stir_rs_to_der(p->sig, der, sizeof der);
    v->stats.verifications++;
    if (dlen < 0 || !EVP_DigestInit_ex(v->md, v->sha256, NULL) ||
        !EVP_DigestUpdate(v->md, p->signing_input, p->signing_len) ||
        !EVP_DigestFinal_ex(v->md, md, &mdlen))
        return STIR_SIG_INVALID;
    int ok = EVP_PKEY_verify(e->vctx, der, (size_t)dlen, md, mdlen);
    ERR_clear_error();
    return ok == 1 ? STIR_SIG_VALID : STIR_SIG_INVALID;
}

static result_entry *cache_slot(stir_verifier *v, const stir_passport *p, uint8_t hash[32],
                                int *hit) {
    *hit = 0;
    if (!v->results) return NULL;
    if (!EVP_DigestInit_ex(v->md, v->sha256, NULL) ||
        !EVP_DigestUpdate(v->md, p->signing_input, p->signing_len) ||
        !EVP_DigestUpdate(v->md, p->sig, p->sig_len) || !EVP_DigestFinal_ex(v->md, hash, NULL))
        return NULL;
    size_t i;
    memcpy(&i, hash, sizeof i);
    for (i &= v->rcap - 1;; i = (i + 1) & (v->rcap - 1)) {
        result_entry *r = &v->results[i];
        if (!r->used) return r;
        if (memcmp(r->hash, hash, 32) == 0) {
            *hit = 1;
            return r;
        }
    }
}

/* The time-independent part: which key, and does the signature verify with it. */
static int verify_uncached(stir_verifier *v, const stir_passport *p, int *cert) {
    cert_entry *e = v->direct;
    *cert = -1;
    if (!e) {
        const char *url = p->x5u[0] ? p->x5u : p->info;
        if (!url[0]) return STIR_SIG_CERT_UNKNOWN;
        *cert = cert_for(v, url);
        e = &v->certs[*cert];
    }
    if (e->status != STIR_SIG_VALID && e->status != STIR_SIG_UNTRUSTED) return e->status;
    int s = es256_verify(v, e, p);
    /* A bad signature is the more useful answer; an untrusted but good one stays untrusted. */
    return s == STIR_SIG_VALID ? e->status : s;
}

static void finish(stir_verifier *v, const stir_passport *p, sx_time at, int cert, int sig,
                   stir_vresult *out) {
    cert_entry *e = cert >= 0 ? &v->certs[cert] : v->direct;
    out->sig = sig;
    if (!e) {
        detailf(out->detail, sizeof out->detail, "no x5u or info URL to find a certificate");
        return;
    }
    out->chain_checked = e->chain_checked;
    if (sig == STIR_SIG_INVALID)
        detailf(out->detail, sizeof out->detail, "ES256 signature does not verify (%.100s)",
                 e->detail);
    else
        detailf(out->detail, sizeof out->detail, "%s", e->detail);
    time_t ref = at ? (time_t)(at / SX_SEC) : (time_t)p->iat;
    if (sig == STIR_SIG_VALID && e->has_dates && ref > 0 &&
        (ref < e->not_before || ref > e->not_after)) {
        out->sig = STIR_SIG_EXPIRED;
        struct tm tm;
        char when[32];
        time_t edge = ref > e->not_after ? e->not_after : e->not_before;
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&edge, &tm));
        detailf(out->detail, sizeof out->detail, "certificate %s %s",
                 ref > e->not_after ? "expired at" : "not valid before", when);
    }
}

int stir_verify(stir_verifier *v, const stir_passport *p, sx_time at, stir_vresult *out) {
    memset(out, 0, sizeof *out);
    out->sig = STIR_SIG_UNVERIFIED;
    if (p->status != 0) {
        out->sig = STIR_SIG_MALFORMED;
        detailf(out->detail, sizeof out->detail, "%s", stir_err_desc(p->status));
        return out->sig;
    }
    if (stir_has(&p->decoded, STIR_F_compact_form)) {
        out->sig = STIR_SIG_MALFORMED;
        detailf(out->detail, sizeof out->detail,
                 "compact form: claims must be rebuilt from SIP (RFC 8225 §7), not supported");
        return out->sig;
    }
    if (p->sig_len != 64) {
        out->sig = STIR_SIG_INVALID;
        detailf(out->detail, sizeof out->detail,
                 "signature is %zu bytes; ES256 needs 64 (r||s, RFC 7518 §3.4)", p->sig_len);
        return out->sig;
    }
    if (strcmp(p->alg, "ES256") != 0) {
        out->sig = STIR_SIG_INVALID;
        detailf(out->detail, sizeof out->detail, "alg \"%.20s\" is not ES256", p->alg);
        return out->sig;
    }
    if (!v) { /* every PASSporT of a run without keys: a copy, not a vsnprintf */
        static const char none[] = "no key, certificate or x5u map given";
        _Static_assert(sizeof none <= sizeof out->detail, "detail holds the reason");
        memcpy(out->detail, none, sizeof none);
        return out->sig;
    }
    uint8_t hash[32];
    int hit, cert, sig;
    result_entry *slot = cache_slot(v, p, hash, &hit);
    if (hit) {
        v->stats.cache_hits++;
        out->cached = 1;
        cert = slot->cert;
        sig = slot->sig;
    } else {
        sig = verify_uncached(v, p, &cert);
        if (slot && v->rcount >= v->rlimit) { /* clear-when-full keeps the bound simple */
            clear_results(v);
            slot = cache_slot(v, p, hash, &hit);
        }
        if (slot) {
            memcpy(slot->hash, hash, 32);
            slot->used = 1;
            slot->cert = (int16_t)cert;
            slot->sig = sig;
            v->rcount++;
        }
    }
    finish(v, p, at, cert, sig, out);
    return out->sig;
}
