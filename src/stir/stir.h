/* stir.h -- STIR/SHAKEN: decode an Identity header (RFC 8224 §4) or a bare PASSporT
 * (RFC 8225, JWS compact serialisation), check it against the call's signalling, and verify
 * its ES256 signature offline (no network: certificates come from local files).
 *
 * Ownership: stir_decode() copies every decoded string into fixed-size buffers inside the
 * caller's stir_passport, so a passport outlives the packet buffer it came from and needs no
 * free. Every size is bounded (STIR_MAX_*); input that does not fit is malformed.
 *
 * Typical use (the call stage):
 *     stir_passport p;                 // ~24 KiB: keep it in a per-call arena, not per packet
 *     stir_decode(identity_value, &p); // malformed input is reported, never fatal
 *     stir_findings f;
 *     stir_check(&p, caller_e164, callee_e164, invite_time, &f);
 *     stir_vresult r;
 *     stir_verify(verifier, &p, invite_time, &r);   // optional, verifier may be NULL
 */
#ifndef SX_STIR_H
#define SX_STIR_H

#include <stdint.h>
#include <stdio.h>

#include "../base/sx.h"

/* ---- Limits ---- */
#define STIR_MAX_IDENTITY 8192 /* a larger Identity value is malformed (brief; real ones ~700 B) */
#define STIR_MAX_URL 512
#define STIR_MAX_TN 64
#define STIR_MAX_DEST 8        /* dest.tn / dest.uri entries kept; more is malformed */
#define STIR_MAX_SIG 128       /* decoded signature bytes kept (ES256 needs exactly 64) */
#define STIR_MAX_HEADER_JSON 2048
#define STIR_MAX_CLAIMS_JSON 6144
#define STIR_FRESHNESS_SEC 60  /* RFC 8224 §6.2 step 4: 60 s RECOMMENDED; ATIS-1000074 */
#define STIR_FUTURE_SKEW_SEC 5 /* iat later than the send time by more than this: iat_future */

/* ---- Decode errors (stir_decode's return value; 0 = decoded) ---- */
#define STIR_ERRORS(X)                                                                      \
    X(STIR_ETOOBIG, -1, "too_big", "Identity value longer than 8 KiB")                      \
    X(STIR_EEMPTY, -2, "empty", "Identity value is empty")                                  \
    X(STIR_ESEGMENTS, -3, "segments", "token is not three dot-separated JWS segments")      \
    X(STIR_EBASE64, -4, "base64", "a JWS segment is not base64/base64url")                  \
    X(STIR_EHEADER, -5, "header_json", "the JOSE header is not a JSON object")              \
    X(STIR_ECLAIMS, -6, "claims_json", "the claims are not a JSON object")                  \
    X(STIR_ETOOLONG, -7, "too_long", "a header field or claim exceeds its bounded size")    \
    X(STIR_ECLAIMTYPE, -8, "claim_type", "a claim has an impossible JSON type")

enum {
#define STIR_ERR_ENUM(sym, val, name, desc) sym = val,
    STIR_ERRORS(STIR_ERR_ENUM)
#undef STIR_ERR_ENUM
};
const char *stir_err_name(int code);
const char *stir_err_desc(int code);

/* ---- Findings ----
 * X(name, severity, sip, description). Names are stable snake_case (JSON output, reports).
 * severity: STIR_INFO (a fact), STIR_WARN (non-compliant but tolerated by most verifiers),
 * STIR_ERROR (a conformant verifier rejects the call or the Identity for it).
 * sip: the response a verifier sends for it (RFC 8224 §6.2.2), 0 if none. */
enum { STIR_INFO = 0, STIR_WARN = 1, STIR_ERROR = 2 };
#define STIR_FINDINGS(X)                                                                          \
    /* set by the call stage, not by stir_check */                                                \
    X(identity_missing, STIR_WARN, 428, "INVITE carries no Identity header")                     \
    X(multiple_identity, STIR_INFO, 0, "several Identity headers; one valid one suffices (RFC 8224 §6.2.1)") \
    /* syntax */                                                                                  \
    X(malformed_identity, STIR_ERROR, 438, "Identity cannot be decoded (see the decode error)")  \
    X(identity_folded, STIR_INFO, 0, "white space inside the token (header folded or re-wrapped)") \
    X(compact_form, STIR_WARN, 438, "compact form (empty claims segment); SHAKEN never uses it (RFC 8588 §3)") \
    X(nonstandard_base64, STIR_WARN, 438, "padding '=' or '+/' in a segment; base64url without padding required (RFC 7515 §2)") \
    X(info_missing, STIR_ERROR, 436, "no ;info=<URL> parameter (RFC 8224 §4)")                   \
    X(info_malformed, STIR_WARN, 436, "info parameter not of the form <URL> followed by ';' or end") \
    X(alg_param_not_es256, STIR_ERROR, 438, "Identity ;alg= parameter is not ES256 (RFC 8224 §4.1)") \
    X(ppt_param_mismatch, STIR_ERROR, 438, "Identity ;ppt= absent or different from the PASSporT header ppt (RFC 8224 §4)") \
    /* JOSE header */                                                                             \
    X(alg_not_es256, STIR_ERROR, 437, "header alg is not ES256 (RFC 8588 §3)")                   \
    X(typ_not_passport, STIR_ERROR, 438, "header typ is not \"passport\" (RFC 8225 §4.1)")       \
    X(ppt_missing, STIR_WARN, 438, "header has no ppt; SHAKEN requires ppt \"shaken\" (RFC 8588 §3)") \
    X(ppt_unsupported, STIR_ERROR, 428, "header ppt is not shaken, div or rcd (RFC 8225 §8.1)")  \
    X(x5u_missing, STIR_ERROR, 436, "header has no x5u certificate URL (RFC 8588 §3)")           \
    X(x5u_not_https, STIR_WARN, 436, "x5u is not an https: URL (ATIS-1000080)")                  \
    X(info_x5u_mismatch, STIR_ERROR, 438, "x5u differs from the Identity info URL (RFC 8224 §4.1)") \
    /* claims */                                                                                  \
    X(claims_as_string, STIR_WARN, 438, "orig/dest/div carried as a JSON string holding JSON, not an object") \
    X(dest_tn_not_array, STIR_WARN, 438, "dest.tn is a string, not an array (RFC 8225 §5.2.1)")  \
    X(iat_missing, STIR_ERROR, 438, "no iat claim (RFC 8225 §5.1.1)")                           \
    X(iat_as_string, STIR_WARN, 438, "iat is a JSON string, not a NumericDate number")          \
    X(iat_invalid, STIR_ERROR, 438, "iat is zero, negative or not a number")                    \
    X(iat_stale, STIR_ERROR, 403, "iat older than 60 s when the INVITE was sent (RFC 8224 §6.2 step 4)") \
    X(iat_future, STIR_ERROR, 403, "iat later than the INVITE send time")                       \
    X(orig_tn_missing, STIR_ERROR, 438, "no orig.tn claim")                                      \
    X(orig_tn_mismatch, STIR_ERROR, 438, "orig.tn differs from the canonical calling number (RFC 8224 §6.2 step 2)") \
    X(dest_tn_missing, STIR_ERROR, 438, "no dest.tn claim")                                      \
    X(dest_tn_mismatch, STIR_ERROR, 438, "dest.tn does not contain the canonical called number") \
    X(tn_not_canonical, STIR_WARN, 0, "a tn is not canonical E.164 digits (RFC 8224 §8.3): '+', separators, 10-digit NANP or letters") \
    X(attest_a, STIR_INFO, 0, "attestation A: signer knows the customer and its right to the TN") \
    X(attest_b, STIR_INFO, 0, "attestation B: signer knows the customer, not its right to the TN") \
    X(attest_c, STIR_INFO, 0, "attestation C: gateway attestation, source not vouched for")     \
    X(attest_missing, STIR_ERROR, 438, "no attest claim (RFC 8588 §4)")                          \
    X(attest_invalid, STIR_ERROR, 438, "attest is not \"A\", \"B\" or \"C\" (RFC 8588 §4)")     \
    X(origid_missing, STIR_WARN, 0, "no origid claim (RFC 8588 §5)")                            \
    X(div_present, STIR_INFO, 0, "diverted call: div claim (RFC 8946)")                         \
    X(rcd_present, STIR_INFO, 0, "rich call data claims (RFC 9795)")                            \
    X(signature_length, STIR_ERROR, 438, "signature is not 64 bytes r||s (RFC 7518 §3.4); DER or truncated")

enum stir_finding {
#define STIR_F_ENUM(name, sev, sip, desc) STIR_F_##name,
    STIR_FINDINGS(STIR_F_ENUM)
#undef STIR_F_ENUM
    STIR_F__COUNT
};
_Static_assert(STIR_F__COUNT <= 64, "stir_findings.bits holds 64 findings");

typedef struct stir_findings {
    uint64_t bits;   /* bit (1 << STIR_F_x) per finding; STIR_F__COUNT <= 64 */
    int64_t iat_age; /* seconds from iat to the send time (negative: iat in the future);
                        valid when the PASSporT had an iat and a send time was given */
    int decode_err;  /* the STIR_E* code when malformed_identity is set, else 0 */
} stir_findings;

static inline int stir_has(const stir_findings *f, int id) { return (int)((f->bits >> id) & 1u); }
static inline void stir_set(stir_findings *f, int id) { f->bits |= (uint64_t)1 << id; }
const char *stir_finding_name(int id);
const char *stir_finding_desc(int id);
int stir_finding_severity(int id);  /* STIR_INFO / STIR_WARN / STIR_ERROR */
int stir_finding_sip(int id);       /* RFC 8224 §6.2.2 response, 0 if none */
/* Highest severity set in f, or -1 if no finding. */
int stir_findings_worst(const stir_findings *f);

/* ---- Decoded PASSporT ---- */

/* Which fields were present (a present field may be an empty string). */
enum {
    STIR_P_INFO = 1u << 0, STIR_P_ALG_PARAM = 1u << 1, STIR_P_PPT_PARAM = 1u << 2,
    STIR_P_ALG = 1u << 3, STIR_P_TYP = 1u << 4, STIR_P_PPT = 1u << 5, STIR_P_X5U = 1u << 6,
    STIR_P_ATTEST = 1u << 7, STIR_P_ORIG_TN = 1u << 8, STIR_P_ORIG_URI = 1u << 9,
    STIR_P_DEST = 1u << 10, STIR_P_IAT = 1u << 11, STIR_P_ORIGID = 1u << 12,
    STIR_P_DIV = 1u << 13, STIR_P_RCD = 1u << 14, STIR_P_CRN = 1u << 15,
    STIR_P_PARAMS = 1u << 16, /* the value had ;parameters: an Identity header, not a bare token */
};

typedef struct stir_passport {
    int status;        /* 0 decoded; a STIR_E* code if malformed (fields may be partial) */
    unsigned present;  /* STIR_P_* */
    /* Identity header parameters (RFC 8224 §4); empty for a bare PASSporT */
    char info[STIR_MAX_URL];    /* without the <> */
    char alg_param[16];
    char ppt_param[32];          /* unquoted */
    /* JOSE header (RFC 8225 §4) */
    char alg[16], typ[32], ppt[32];
    char x5u[STIR_MAX_URL];
    /* Claims (RFC 8225 §5, RFC 8588) */
    char attest[8];
    char orig_tn[STIR_MAX_TN];
    char orig_uri[STIR_MAX_URL];
    char dest_tn[STIR_MAX_DEST][STIR_MAX_TN];
    int n_dest_tn;
    char dest_uri[STIR_MAX_DEST][STIR_MAX_URL];
    int n_dest_uri;
    int64_t iat;
    char origid[128];
    char div_tn[STIR_MAX_TN];    /* RFC 8946 div claim (tn or uri) */
    char div_uri[STIR_MAX_URL];
    char rcd_nam[256];           /* RFC 9795 rcd.nam */
    char crn[256];               /* RFC 9795 call reason */
    /* JWS (RFC 7515 §7.1) */
    uint8_t sig[STIR_MAX_SIG];
    size_t sig_len;
    char signing_input[STIR_MAX_IDENTITY]; /* b64(header) "." b64(payload) as received */
    size_t signing_len;
    char header_json[STIR_MAX_HEADER_JSON]; /* decoded JSON text, for display */
    size_t header_len;
    char claims_json[STIR_MAX_CLAIMS_JSON];
    size_t claims_len;
    stir_findings decoded; /* findings known from the bytes alone (base64 variants, types) */
} stir_passport;

/* JSON reading for the stir and signal modules (sjson.c): cJSON held to the strict RFC 8259
 * grammar (invalid UTF-8, raw controls, \u0000, bad numbers, trailing text are errors).
 * parse: an object or array, or NULL. get: a member, the last one if a key repeats; NULL if
 * absent or obj is not an object. Free with stir_json_free. */
struct cJSON;
struct cJSON *stir_json_parse(const char *text, size_t n);
const struct cJSON *stir_json_get(const struct cJSON *obj, const char *key);
size_t stir_json_strlen(const struct cJSON *string_value); /* 0 if not a string */
void stir_json_free(struct cJSON *j);
/* 1 if s is valid UTF-8 (RFC 3629: no overlongs, surrogates or code points > U+10FFFF). */
int stir_utf8_valid(const char *s, size_t n);

/* Decodes an Identity header value ("h.p.s;info=<URL>;alg=ES256;ppt=shaken") or a bare
 * PASSporT ("h.p.s"). Tolerates padding, the standard base64 alphabet, claims carried as JSON
 * strings and a string iat, each recorded as a finding in out->decoded. Returns 0 or a
 * STIR_E* code (also stored in out->status). Never reads past value.p + value.n. */
int stir_decode(sx_sv identity_value, stir_passport *out);

/* Checks a decoded PASSporT against the call. caller_e164 / callee_e164 are canonical digits
 * (sip_e164()); NULL or "" skips that comparison. sent_at is the capture time of the INVITE
 * (0: skip iat_stale / iat_future). Fills out (cleared first) with the decode findings plus
 * the checks' findings. A malformed passport gives malformed_identity only. */
void stir_check(const stir_passport *p, const char *caller_e164, const char *callee_e164,
                sx_time sent_at, stir_findings *out);

/* ---- Signature verification ---- */

#define STIR_SIGS(X)                                                                         \
    X(STIR_SIG_UNVERIFIED, "unverified", "no key source configured for this PASSporT")      \
    X(STIR_SIG_VALID, "valid", "ES256 signature verifies with the signer's key")            \
    X(STIR_SIG_INVALID, "invalid", "signature does not verify (tampered, wrong key or not r||s)") \
    X(STIR_SIG_CERT_UNKNOWN, "cert_unknown", "no local certificate for the x5u URL (436)")  \
    X(STIR_SIG_UNTRUSTED, "untrusted", "certificate does not chain to a trust anchor, or lacks TNAuthList (437)") \
    X(STIR_SIG_EXPIRED, "expired", "certificate (or its chain) not valid at the reference time") \
    X(STIR_SIG_MALFORMED, "malformed", "PASSporT undecodable, or certificate/key file unreadable")

enum stir_sig {
#define STIR_SIG_ENUM(sym, name, desc) sym,
    STIR_SIGS(STIR_SIG_ENUM)
#undef STIR_SIG_ENUM
    STIR_SIG__COUNT
};
const char *stir_sig_name(int sig);
const char *stir_sig_desc(int sig);

typedef struct stir_vresult {
    int sig;            /* enum stir_sig */
    int chain_checked;  /* 1 if the certificate was validated against trust anchors */
    int cached;         /* 1 if the result came from the per-Identity cache */
    char detail[160];   /* why, for people ("x5u https://... not in map", OpenSSL's reason) */
} stir_vresult;

typedef struct stir_verifier_opts {
    /* Direct mode: one key for every PASSporT (x5u ignored). PEM public key or certificate. */
    const char *key_pem;
    /* x5u sources, tried in order: the map file (lines "URL PATH-TO-PEM", '#' comments),
     * then cert_dir/<last path segment of the URL>, then cert_dir/<sha256-hex of URL>.pem.
     * A file may hold a certificate chain (leaf first) or a bare public key. */
    const char *x5u_map;
    const char *cert_dir;
    /* PEM bundle of trust anchors (STI-PA trust list). When given, every certificate must
     * chain to it (X509_verify_cert) and carry TNAuthList (RFC 8226, OID 1.3.6.1.5.5.7.1.26),
     * else the result is untrusted. Without it the chain is not assessed (chain_checked 0). */
    const char *trust_anchors;
    /* Result cache entries keyed by the exact Identity string; 0 = 4096, -1 = no cache. */
    int cache_size;
} stir_verifier_opts;

/* A verifier holds caches and OpenSSL contexts: use one per thread. */
typedef struct stir_verifier stir_verifier;

/* Loads the key / map / anchors. Returns NULL with a reason in err on an unreadable file. */
stir_verifier *stir_verifier_new(const stir_verifier_opts *o, char *err, size_t errlen);
void stir_verifier_free(stir_verifier *v);

/* Verifies p's signature. at = reference time for certificate validity (the INVITE capture
 * time); 0 uses the PASSporT's iat. Certificates are loaded and chain-validated once per URL;
 * results are cached by the exact signing input + signature (one verification per distinct
 * Identity). Returns out->sig. v may be NULL (unverified). */
int stir_verify(stir_verifier *v, const stir_passport *p, sx_time at, stir_vresult *out);

/* Counters for reports and the benchmark. */
typedef struct stir_verifier_stats {
    uint64_t verifications; /* ECDSA verifications actually run */
    uint64_t cache_hits;
    uint64_t certs_loaded;
} stir_verifier_stats;
void stir_verifier_get_stats(const stir_verifier *v, stir_verifier_stats *out);

/* ---- Building blocks (exposed for tests and tools) ---- */

/* Decodes base64url, also accepting '+' '/' and trailing '=' (sets *nonstd when seen).
 * Returns the decoded length, or -1 if the text is not base64 or out is too small. Bytes of
 * out past the decoded length (within cap) may be overwritten. */
long stir_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, int *nonstd);
/* Encodes base64url without padding; returns the length written (NUL-terminated). */
size_t stir_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Converts a JWS ES256 signature (32-byte r || 32-byte s, RFC 7518 §3.4) to a DER
 * ECDSA-Sig-Value. Returns the DER length (<= 72), or -1 if cap is too small. */
int stir_rs_to_der(const uint8_t rs[64], uint8_t *der, size_t cap);

/* ---- Output ---- */

/* For people: decoded header and claims, findings (severity, name, description), result.
 * f and r may be NULL. */
void stir_print(FILE *out, const stir_passport *p, const stir_findings *f, const stir_vresult *r);
/* One JSON object, no trailing newline:
 * {"status":"ok"|"<decode error>","identity_params":{...},"header":{...},"claims":{...},
 *  "findings":[{"name":..,"severity":..,"sip":..}],"signature":"valid|invalid|...",
 *  "signature_detail":"..."} */
void stir_print_json(FILE *out, const stir_passport *p, const stir_findings *f,
                     const stir_vresult *r);

/* ---- Command ----
 * sipdx identity [--key PEM | --cert PEM | --x5u-map FILE] [--cert-dir DIR] [--trust PEM]
 *                [--caller TN] [--callee TN] [--at UNIX-SECONDS] [--json] VALUE|-
 * Exit: 0 decoded and signature valid or unverified; 1 malformed, or signature not valid;
 * 2 usage; 3 a key/map/anchor file cannot be read. Findings alone do not change the code. */
int stir_cli_identity(int argc, char **argv);

typedef struct stir_cli_opt { const char *name, *arg, *help; } stir_cli_opt;
extern const stir_cli_opt stir_cli_opts[]; /* terminated by {NULL, NULL, NULL} */

#endif
