/* signal.h -- per-call STIR/SHAKEN findings and the blocking signals of what came back.
 *
 * One finished call record in, one sig_result out:
 *  - the request side: every distinct Identity value of the call's INVITEs decoded, checked
 *    against the call (RFC 8224 §6.2: canonical caller = PAI else From, callee, iat age at
 *    the moment the first INVITE was sent) and, with a verifier, its ES256 signature verified;
 *  - the response side: Reason headers (Q.850 cause and its meaning, SIP cause, RFC 8606
 *    location, RFC 9410 `STIR` reasons and the Identity their ppi names), the 603+ profile
 *    (ATIS-1000099: "Network Blocked" + a structured Reason text), the 608 jCard (RFC 8688
 *    §3.2: Call-Info purpose=jwscard, decoded and verified when reachable offline), the STIR
 *    failure a 428/436/437/438/403 "Stale Date" implies (RFC 8224 §6.2.2), and verstat
 *    (3GPP TS 24.229 §7.2A.20).
 *
 * Ownership: a sig_result is self-contained. Every string is copied into fixed-size buffers
 * inside it, so it outlives the call record (the record dies when the emit callback returns)
 * and needs no free. Allocate one (~80 KiB, it holds a decode scratch) per thread or per
 * pending call and reuse it: sig_analyze() clears only what it fills. Nothing here allocates
 * except what stir_decode()/cJSON do while decoding.
 *
 * Threads: sig_analyze_deferred() + sig_verify_pending() split the work so that the
 * signature checks (the only expensive step) can run on worker threads, each with its own
 * stir_verifier, after the record is gone. JSON keys: docs/signals.md.
 */
#ifndef SX_SIGNAL_H
#define SX_SIGNAL_H

#include <stdint.h>
#include <stdio.h>

#include "../base/sx.h"
#include "../call/call.h"
#include "../stir/stir.h"

/* ---- Limits ---- */
#define SIG_MAX_IDENTITIES 8  /* distinct Identity values analysed per call (the call stage
                                 keeps 8); more are counted in identities_dropped */
#define SIG_MAX_REASONS 8
#define SIG_RAW_ARENA 32768   /* signing material / jCard text kept for deferred verification */
#define SIG_TEXT 256          /* reason texts, names, contacts */
#define SIG_URL 512

/* ---- Request side: one distinct Identity value ---- */
typedef struct sig_identity {
    int decode_status;        /* 0 decoded, else a STIR_E* code */
    char alg[16], ppt[32], attest[8];
    char orig_tn[STIR_MAX_TN];
    char dest_tn[STIR_MAX_TN]; /* first dest.tn (or dest.uri) */
    int n_dest;               /* dest.tn + dest.uri entries */
    char x5u[SIG_URL], info[SIG_URL];
    int64_t iat;              /* 0 if absent */
    stir_findings findings;   /* stir_check() against this call */
    int sig;                  /* enum stir_sig */
    int sig_cached;           /* the verifier already knew this exact Identity */
    char sig_detail[160];
    int pending;              /* deferred: raw text kept, signature not yet checked */
    uint32_t raw_off, raw_len;/* pending: signing input + 64-byte r||s in sig_result.raw */
    uint32_t hash;            /* deferred: FNV-1a of the raw value, spreads work over threads */
    char sig_seg[96];         /* first bytes of the signature segment (RFC 9410 ppi match) */
} sig_identity;

/* ---- Response side ---- */
typedef struct sig_reason {
    char protocol[16];        /* "Q.850", "SIP", "STIR", ... */
    int cause;                /* -1 when absent */
    char text[SIG_TEXT];
    char location[16];        /* RFC 8606 (U, LN, ...) */
    const char *meaning;      /* static: Q.850 cause meaning, SIP status phrase, STIR error;
                                 NULL if unknown */
} sig_reason;

/* RFC 9410: `Reason: STIR;cause=43x;text=...;ppi=...` -- which Identity failed and why. */
typedef struct sig_stir_reason {
    int present;
    int cause;                /* 428/436/437/438/403, -1 if absent */
    char text[SIG_TEXT];
    char ppi[SIG_URL];        /* as received (unquoted), possibly cut at SIG_URL - 1 */
    int identity;             /* index in sig_result.ids of the Identity ppi names, or -1 */
} sig_stir_reason;

/* 603+ (ATIS-1000099 as profiled in the reference, §2): status phrase "Network Blocked" and
 * a Reason whose text is "key=value;..." with a version tag, the blocking party, redress
 * contacts (url / tel / email) and an identifier; location is the Reason's own param. */
typedef struct sig_blocked {
    int present;              /* 603 + "Network Blocked" (profile_complete says the rest) */
    int profile_complete;     /* a Reason text with a version and >= 1 contact */
    char version[64], party[128], url[SIG_URL], tel[64], email[128], id[128];
    char location[16];
    char text[SIG_TEXT];      /* the raw Reason text */
} sig_blocked;

/* 608 (RFC 8688 §3.2): the jCard behind Call-Info ;purpose=jwscard. */
typedef struct sig_jcard {
    int present;              /* a jwscard Call-Info was seen */
    char link[SIG_URL];       /* the URI as received (kept as the redress link) */
    const char *source;       /* "data" (data: URI), "path" (JWS-looking last path segment),
                                 "link" (not reachable offline: only the URL) */
    int decode_status;        /* 0 decoded, a STIR_E* code, or 1 = JWS without a jcard */
    char alg[16], typ[32], x5u[SIG_URL];
    int64_t iat;
    char name[128], org[128], url[SIG_URL], email[128], tel[64];
    int sig;                  /* enum stir_sig */
    char sig_detail[160];
    int pending;
    uint32_t raw_off, raw_len;
} sig_jcard;

/* The STIR failure a response implies (RFC 8224 §6.2.2; reference §3.5). */
typedef struct sig_implied {
    int code;                 /* 428, 436, 437, 438, 403; 0 = none */
    const char *name;         /* identity_missing, bad_identity_info, unsupported_credential,
                                 invalid_identity, iat_stale */
    const char *desc;
    const char *from;         /* "final" (the final response) or "reason" (a STIR Reason) */
} sig_implied;

typedef struct sig_result {
    /* request side */
    int nidentity;            /* distinct Identity values on the call */
    int identities_dropped;   /* beyond SIG_MAX_IDENTITIES */
    sig_identity ids[SIG_MAX_IDENTITIES];
    stir_findings findings;   /* union over identities + identity_missing/multiple_identity */
    int signature;            /* best enum stir_sig over identities, -1 = no Identity */
    char attest[8];           /* attestation of the best identity ("" if none) */
    /* response side */
    int final_code;
    sig_reason reasons[SIG_MAX_REASONS];
    int nreasons;
    sig_stir_reason stir_reason;
    sig_blocked blocked;
    sig_jcard jcard;
    sig_implied implied;
    char verstat[64];         /* as received ("" if none) */
    const char *verstat_class;/* "passed", "failed", "no_validation", "other", NULL if none */
    /* deferred verification */
    sx_time sent_at;          /* the call's first INVITE: reference time for certificates */
    char raw[SIG_RAW_ARENA];
    uint32_t raw_used;
    stir_passport scratch;    /* decode scratch (~24 KiB) */
} sig_result;

/* Analyses one finished call. v may be NULL (signatures "unverified"); verify = 0 keeps
 * decoding and checks but skips signatures (--no-verify). Returns 0. */
int sig_analyze(const call_record *r, stir_verifier *v, int verify, sig_result *out);

/* The same without verifying, but keeping what each signature check needs (the signing input
 * and r||s of each Identity, the jCard's JWS) inside out, so the signatures can be checked
 * after the record is gone, by sig_verify_pending(). Results that need no key (malformed,
 * not ES256, not 64 bytes) are final at once. */
void sig_analyze_deferred(const call_record *r, sig_result *out);
/* Verifies the pending Identity i (or the jCard when i == -1) of res with v, using scratch
 * to decode (scratch may be &res->scratch when single-threaded). Safe to call from several
 * threads on different items as long as each thread has its own v and scratch. */
void sig_verify_pending(sig_result *res, int i, stir_verifier *v, stir_passport *scratch);
/* After every pending item is verified: recomputes signature/attest. */
void sig_finish(sig_result *res);

/* ---- JSON (docs/signals.md) ----
 * Usable as the call_json_extra_fn of call_record_json_ex(): ud is the sig_result. Adds the
 * top-level keys "stir" and "signals". */
void sig_json_extra(void *ud, const call_record *r, FILE *out, int *first);
/* The same two keys from the result alone (no record needed). */
void sig_json_keys(const sig_result *res, FILE *out, int *first);

/* ---- Building blocks (exposed for tests, the fuzz target and reports) ---- */

/* Short meaning of a Q.850 cause value (ITU-T Q.850 Table 1), NULL if not in the table. */
const char *sig_q850_meaning(int cause);
/* Standard reason phrase of a SIP status code (RFC 3261 §21 and extensions), or NULL. */
const char *sig_sip_phrase(int code);
/* Implied STIR finding of a response code (403 only with a "Stale Date" phrase/text). */
int sig_implied_of(int code, sx_sv phrase, sig_implied *out);
/* Parses a 603+ Reason text ("v=...;url=...;tel=...;email=...;id=...") into b (fields it
 * does not fill are left as they are). Returns the number of key=value pairs read. */
int sig_parse_blocked_text(sx_sv text, sig_blocked *b);
/* Decodes a jwscard Call-Info URI into j (j->link, source, fields); the JWS, if reachable,
 * is decoded with scratch. Does not verify. */
void sig_parse_jcard_uri(sx_sv uri, sig_jcard *j, stir_passport *scratch);
/* Extracts name/org/url/email/tel from a jCard (RFC 7095) JSON text; returns the number of
 * fields found, -1 if it is not a jCard. */
int sig_jcard_fields(const char *json, size_t n, sig_jcard *j);
/* verstat class: "passed", "failed", "no_validation" or "other". */
const char *sig_verstat_class(sx_sv verstat);
/* Name of the best signature result for JSON ("none" when sig < 0). */
const char *sig_signature_name(int sig);

/* ---- The analyze stage: every finished call through sig_analyze, its record written with
 * the "stir" and "signals" keys, and counters for the summary ----
 * jobs > 1: calls are analysed at once (decode and checks) but their signatures are checked
 * by `jobs` threads in all: jobs - 1 workers and the calling thread, which verifies instead
 * of waiting when the ring is full. Each Identity goes to the lane (verifier) chosen by its
 * hash, verified in order by whichever thread holds the lane, so a repeated Identity
 * (retransmission, B2BUA leg) meets the same verifier's cache and is verified once. Records are written in call order. Memory: a ring of 64 * jobs calls
 * (~85 KiB each), whatever the input. */
typedef struct sig_stage_opts {
    const char *x5u_map, *cert_dir, *trust; /* certificate sources (stir_verifier_opts) */
    int verify;                             /* 0: --no-verify */
    int jobs;                               /* verifying threads, the caller included
                                               (1 = inline, no thread) */
    /* Optional: called once per call, in call order, when its result is final (signatures
     * checked), right after its record is written. The diagnosis stage (src/diag) reads it;
     * the record itself may be gone by then (jobs > 1). */
    void (*on_result)(void *ud, const sig_result *res);
    void *ud;
} sig_stage_opts;

typedef struct sig_stats {
    uint64_t calls, with_identity, multiple_identity;
    uint64_t attest[4];                 /* A, B, C, other/absent (calls with Identity) */
    uint64_t signature[STIR_SIG__COUNT];/* best result per call with Identity */
    uint64_t findings[STIR_F__COUNT];   /* calls with each finding */
    uint64_t implied[5];                /* 428, 436, 437, 438, 403 Stale Date */
    uint64_t network_blocked, jcard, jcard_valid, stir_reason;
    uint64_t verstat[4];                /* passed, failed, no_validation, other */
} sig_stats;

typedef struct sig_stage sig_stage;
/* Returns NULL with a reason in err when a certificate source cannot be read. */
sig_stage *sig_stage_new(const sig_stage_opts *o, char *err, size_t errlen);
/* From the call tracker's emit callback: analyses r and writes its record to out (NULL: only
 * counts), now or -- with jobs > 1 -- once its batch is verified. */
void sig_stage_call(sig_stage *s, const call_record *r, FILE *out);
/* End of input: verifies and writes what is pending. */
void sig_stage_flush(sig_stage *s);
void sig_stage_free(sig_stage *s);
const sig_stats *sig_stage_stats(const sig_stage *s);
/* Verifier counters summed over the workers. */
void sig_stage_vstats(const sig_stage *s, stir_verifier_stats *out);
/* The STIR section of the analyze text summary. */
void sig_stats_text(const sig_stats *st, FILE *out);
/* The same as one JSON object (no trailing newline): {"calls":N,"with_identity":N,
 * "multiple_identity":N,"attest":{"A":N,"B":N,"C":N,"none":N},"signature":{"valid":N,...},
 * "findings":{"name":N,...},"implied":{"428":N,...},"network_blocked":N,"jcard":N,
 * "jcard_valid":N,"stir_reason":N,"verstat":{"passed":N,...}}; zero counts are left out of
 * signature, findings and implied. */
void sig_stats_json(const sig_stats *st, FILE *out);

#endif
