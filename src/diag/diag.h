/* diag.h -- the diagnosis stage (issue 5): for every call, who in the path refused it and
 * why (a verdict decided by a readable rule table, src/diag/rules.c), and across calls, per
 * caller ID x carrier and per carrier over time, since when a number is flagged, what policy
 * each carrier evidently applies, and the plan: remediations ranked by calls affected.
 *
 * Two phases, so that a call's verdict can use evidence from other calls (what a carrier
 * does to unsigned calls in general; when a number became flagged) with bounded memory and
 * independently of the order the input files were given in (they are merged by time):
 *
 *   phase 1, as calls end:  diag_facts_from(record, signals) -> diag_learn(d, facts)
 *                           and the caller spills the facts (diag_spill_put) to a temp file
 *                           (a context-free call without evidence readers is decided and
 *                           tallied here instead: diag_context_free);
 *   between:                diag_finalize(d): carrier policies, onsets, thresholds;
 *   phase 2, per spilled:   diag_decide(d, facts, &verdict) -> diag_tally(d, facts, &verdict)
 *                           (and the verdict is added to the call's NDJSON record);
 *   then:                   diag_text / diag_json_keys / diag_csv_* report it.
 *
 * Memory: aggregates are sized by carriers x caller IDs x time buckets (all capped; overflow
 * is counted and reported), never by calls. Facts are plain data (no pointers); on disk
 * they are encoded field by field (spill.c), ~70 bytes instead of 648; a context-free call
 * whose evidence nobody reads is tallied in phase 1 and not spilled (cli/diag_run.c).
 */
#ifndef SX_DIAG_H
#define SX_DIAG_H

#include <stdint.h>
#include <stdio.h>

#include "../base/sx.h"
#include "../call/call.h"
#include "../base/carriers.h"
#include "../signal/signal.h"

/* ---- Vocabulary (stable: scripts rely on these names; docs/diagnosis.md) ---- */

/* Who in the path refused the call. */
#define DIAG_BLOCKERS(X)                                                               \
    X(DIAG_BY_NONE, "none", "not refused (answered, or ended by the caller)")          \
    X(DIAG_BY_OWN, "own_side", "the caller's own SBC, dialer or signer")               \
    X(DIAG_BY_NETWORK, "network", "a carrier's policy (intermediate or terminating)")  \
    X(DIAG_BY_ANALYTICS, "analytics", "an analytics engine (spam filter) in the path") \
    X(DIAG_BY_CALLEE, "callee", "the called person or their device")                   \
    X(DIAG_BY_UNKNOWN, "unknown", "the evidence does not say")
enum diag_blocker {
#define DIAG_ENUM3(sym, name, desc) sym,
    DIAG_BLOCKERS(DIAG_ENUM3) DIAG_BY__COUNT
};

/* Why: exactly one cause per call. */
#define DIAG_CAUSES(X)                                                                           \
    X(DIAG_C_ANSWERED, "answered", "the call was answered")                                      \
    X(DIAG_C_BUSY, "busy", "the callee was busy (486/600)")                                      \
    X(DIAG_C_NO_ANSWER, "no_answer", "rang, not answered (480/487 after ringing, caller CANCEL)") \
    X(DIAG_C_CALLEE_DECLINED, "callee_declined", "a person declined after ringing (603)")        \
    X(DIAG_C_CALLEE_UNWANTED, "callee_unwanted", "the callee marked the caller unwanted (607)")  \
    X(DIAG_C_UNSIGNED_CALL, "unsigned_call", "refused because the INVITE carried no Identity")   \
    X(DIAG_C_LOW_ATTESTATION, "low_attestation", "refused because attestation was B or C")       \
    X(DIAG_C_STALE_IDENTITY, "stale_identity", "PASSporT iat too old when sent (403 Stale Date)") \
    X(DIAG_C_IDENTITY_BAD_SIGNATURE, "identity_bad_signature", "the PASSporT does not verify")   \
    X(DIAG_C_IDENTITY_TN_MISMATCH, "identity_tn_mismatch", "orig/dest in PASSporT differ from the call") \
    X(DIAG_C_IDENTITY_CERT_UNREACHABLE, "identity_cert_unreachable", "x5u certificate could not be fetched (436)") \
    X(DIAG_C_IDENTITY_CERT_UNTRUSTED, "identity_cert_untrusted", "certificate untrusted or expired (437)") \
    X(DIAG_C_ANALYTICS_REJECTED, "analytics_rejected", "an analytics engine rejected it (608, fast automated decline)") \
    X(DIAG_C_CALLER_ID_REPUTATION, "caller_id_reputation", "the caller ID is flagged at that carrier") \
    X(DIAG_C_NETWORK_BLOCKLIST, "network_blocklist", "a network blocklist (603+ Network Blocked)") \
    X(DIAG_C_INVALID_CALLER_ID, "invalid_caller_id", "the caller ID is impossible under NANP/E.164") \
    X(DIAG_C_ANONYMOUS_REJECTED, "anonymous_rejected", "the callee refuses anonymous calls (433)") \
    X(DIAG_C_INVALID_DESTINATION, "invalid_destination", "the number dialed does not exist (404/484/410/604)") \
    X(DIAG_C_CAPACITY, "capacity", "no capacity (503 and kin)")                                   \
    X(DIAG_C_NO_RESPONSE, "no_response", "no final response (timeouts, 408)")                     \
    X(DIAG_C_ROUTE_FAILURE, "route_failure", "other server failure (5xx)")                        \
    X(DIAG_C_AUTH_FAILURE, "auth_failure", "401/407 challenge not resolved")                      \
    X(DIAG_C_CODEC_MISMATCH, "codec_mismatch", "no common media (488/606)")                       \
    X(DIAG_C_OWN_POLICY, "own_policy", "refused by the caller's own side")                        \
    X(DIAG_C_OTHER, "other", "none of the above")
enum diag_cause {
    DIAG_CAUSES(DIAG_ENUM3) DIAG_C__COUNT
};
#undef DIAG_ENUM3

const char *diag_blocker_name(int b);
const char *diag_cause_name(int c);
const char *diag_cause_desc(int c);

/* ---- Per-call facts: what the rules read. Fixed size, no pointers (spilled to disk;
 * spill.c must know every field: a new one needs its presence bit there). ---- */

#define DIAG_TN 16
#define DIAG_NAME 48
#define DIAG_PHRASE 40
#define DIAG_URL 96

typedef struct diag_facts {
    uint64_t seq;              /* order the call was emitted in phase 1 */
    /* set by diag_learn_keep / diag_learn_hinted: 1 + the call's carrier and pair index in its diag, 0 = look
     * them up (never learnt, or the carrier overflowed); pairs and carriers are never
     * removed, so phase 2 finds them without hashing */
    uint32_t car1, pair1;
    sx_time start;             /* first INVITE */
    char call_id[64];          /* for the report's example calls (cut if longer) */
    char caller[DIAG_TN];      /* canonical E.164 digits ("" if not a number) */
    char caller_raw[DIAG_NAME];/* the user part as written (anonymous, alphanumerics...) */
    char callee[DIAG_TN];
    sx_addr next_hop;          /* where the first INVITE went */
    uint16_t next_hop_port;
    sx_addr final_addr;        /* who sent the final response */
    uint16_t final_port;
    uint16_t final_code;       /* 0 = none */
    char phrase[DIAG_PHRASE];  /* reason phrase of the final response */
    int16_t q850;              /* Q.850 cause in a Reason, -1 */
    int16_t sip_cause;         /* SIP cause in a Reason, -1 */
    int16_t stir_cause;        /* RFC 9410 STIR Reason cause, -1 */
    int32_t final_ms, first_18x_ms, answer_ms, talk_ms; /* -1 when not applicable */
    uint8_t rang;              /* some 18x */
    uint8_t early_media;
    uint8_t challenged, challenge_unresolved;
    uint8_t no_final_response;
    uint8_t end;               /* enum call_end */
    uint8_t ended_by;          /* CALL_BY_* */
    uint16_t invite_retransmissions;
    uint8_t has_identity;      /* number of distinct Identity values */
    char attest;               /* 'A', 'B', 'C', 0 when none */
    int8_t signature;          /* best enum stir_sig, -1 when no Identity */
    uint64_t stir_findings;    /* stir_findings bits (union over identities) */
    int64_t iat_age_s;         /* age of iat when sent, INT64_MIN if unknown */
    uint8_t network_blocked;   /* 603+ */
    char blocked_by_party[DIAG_NAME]; /* 603+ blocking party, or jCard entity name */
    char redress[DIAG_URL];    /* 603+ url/tel/email or jCard contact or Call-Info URL */
    uint8_t jcard;             /* 608 with purpose=jwscard */
    int8_t implied_stir;       /* sig_implied finding (enum stir finding), -1 */
    uint8_t verstat;           /* 0 none, 1 passed, 2 failed, 3 no_validation, 4 other */
    /* added for the rules' evidence (rules.c): */
    uint8_t trying;            /* a 100 Trying came back: the next hop took the call on */
    uint8_t final_from_next_hop; /* final response sent by the first INVITE's destination */
    uint8_t hops;              /* capture points the first INVITE was seen at */
    char caller_src[8];        /* "pai" or "from": where the caller came from */
    char orig_tn[DIAG_TN];     /* orig.tn of the first decoded PASSporT ("" if none) */
    char dest_tn[DIAG_TN];     /* its first dest.tn */
    char server[DIAG_NAME];    /* Server (else User-Agent) of the final response */
    char reason_line[96];      /* first Reason of the final, as "Q.850;cause=21;text=\"...\"" */
    uint16_t implied_code;     /* sig_implied code: 428/436/437/438/403 (Stale Date), 0 */
} diag_facts;

/* Fills f from a finished call and its signals (s may be NULL when STIR is off). */
void diag_facts_from(const call_record *r, const sig_result *s, uint64_t seq, diag_facts *f);
/* The signal half alone (facts.c): fills f's STIR and response-signal fields from s, so that
 * diag_facts_from(r, NULL, ...) then diag_facts_add_signals(s, f) == diag_facts_from(r, s).
 * analyze -j N needs the split: the record is gone when the signatures are verified
 * (sig_stage_opts.on_result). */
void diag_facts_add_signals(const sig_result *s, diag_facts *f);
/* The same, quiet (nonzero: nobody reads the evidence, no --calls, no --report): the text
 * only the evidence shows and the aggregates never read (the Reason line, the caller ID's
 * source, the Server, the PASSporT's TNs) is left "" rather than copied, as
 * diag_facts_quiet would leave it; learning, verdicts and tallies are the same. */
void diag_facts_from_opt(const call_record *r, const sig_result *s, uint64_t seq, int quiet, diag_facts *f);
void diag_facts_add_signals_opt(const sig_result *s, int quiet, diag_facts *f);

/* A call whose verdict cannot depend on other calls (rules.c: the rule that decides it reads no
 * context; an answered call): diag_decide_ctx_opt with no context gives its verdict, so
 * without evidence readers it is tallied as it is learnt (cli/diag_run.c). */
int diag_context_free(const diag_facts *f);
/* Blanks what only the evidence text reads (the reason phrase, the Reason line, where the
 * caller came from, the PASSporT's TNs, the blocking party and its redress; the Server,
 * which nothing reads): once learnt, a call whose evidence nobody reads is spilled without
 * them (quiet verdicts and the tallies are the same). */
void diag_facts_quiet(diag_facts *f);

/* ---- Verdict ---- */

#define DIAG_MAX_EVIDENCE 4
#define DIAG_EVIDENCE 200

typedef struct diag_verdict {
    uint8_t blocked_by;        /* enum diag_blocker */
    uint8_t cause;             /* enum diag_cause */
    float confidence;          /* 0..1 */
    const char *rule;          /* id of the rule that decided ("R06"), static */
    const char *remediation;   /* one sentence, static */
    char evidence[DIAG_MAX_EVIDENCE][DIAG_EVIDENCE]; /* exact header lines and facts used */
    uint8_t nevidence;
    uint8_t quiet;             /* set by diag_decide_opt(): nobody reads the evidence, so it
                                  is not written (the cause and the rule are the same) */
} diag_verdict;

/* Writes ,"verdict":{...} (a call_json_extra_fn-style helper). */
void diag_verdict_json(const diag_verdict *v, FILE *out, int *first);

typedef struct diag diag;

/* ---- Caller-ID validity (NANP and E.164; reference §4), nanp.c ---- */

enum diag_tn_class {
    DIAG_TN_GEOGRAPHIC = 0, /* a NANP geographic number, or a plausible non-NANP E.164 */
    DIAG_TN_TOLL_FREE,      /* 800/833/844/855/866/877/888 */
    DIAG_TN_PREMIUM,        /* 900 */
    DIAG_TN_NON_GEOGRAPHIC, /* 5XX, 600, 700, 710, 456 */
    DIAG_TN_SPECIAL_NXX,    /* 950, 958, 959, 976 (reference marks them unverified) */
    DIAG_TN_ANONYMOUS,      /* anonymous, restricted, private, unavailable, empty */
    DIAG_TN_NOT_NUMBER,     /* alphanumeric user part (a SIP user name: not "invalid") */
    DIAG_TN_INVALID         /* impossible under NANP / E.164: see reason */
};

typedef struct diag_tn_check {
    int tn_class;           /* enum diag_tn_class */
    int invalid;            /* 1: impossible (a carrier may block it, FCC 2017 R&O) */
    const char *reason;     /* static: "NPA starts with 0/1", "N11 service code as NXX"...;
                               "" when nothing to say */
    int neighbor;           /* NANP caller and callee share NPA-NXX (neighbor spoofing) */
} diag_tn_check;

/* Checks a caller ID: e164 as in diag_facts.caller (canonical digits or ""), raw the user
 * part as written (for anonymous vs alphanumeric), callee_e164 for neighbor spoofing (may
 * be NULL or ""). Never fails. */
void diag_tn_check_caller(const char *e164, const char *raw, const char *callee_e164,
                          diag_tn_check *out);
const char *diag_tn_class_name(int c);
/* diag_tn_check_caller's neighbor alone: a NANP caller (canonical digits) and callee share
 * their NPA-NXX. */
int diag_tn_neighbor(const char *e164, const char *callee_e164);

/* ---- Context from other calls (implemented by agg.c, read by the rules) ----
 * What the aggregates learnt in phase 1 that a single call cannot show. All zero/NULL means
 * "nothing known": the rules then decide on the call's own evidence. Strings point into d
 * (or are static) and stay valid while d lives. */
typedef struct diag_context {
    const char *carrier;          /* name of the carrier the call was sent to, NULL if unnamed */
    uint8_t final_from_own;       /* the final response's sender is a peer named "own" or
                                     "self" in --carriers (diag_peer_is_own) */
    /* this carrier's evident STIR policy (reference §7 #6, #28) */
    uint8_t carrier_rejects_unsigned; /* its refusals with unsigned_code go (nearly) only to
                                         unsigned calls, while signed calls get through */
    uint16_t unsigned_code;       /* that code (e.g. 403) */
    uint32_t unsigned_refused, unsigned_calls; /* its unsigned calls refused with it / all */
    uint32_t signed_refused, signed_calls;     /* its signed calls refused with it / all */
    uint8_t carrier_rejects_low_attest; /* likewise for B/C attestation vs A */
    uint16_t low_attest_code;
    uint32_t low_refused, low_calls, a_refused, a_calls;
    /* caller ID x carrier onset (issue 5: "calls of a flagged pair get caller_id_reputation") */
    uint8_t pair_flagged;         /* the pair is flagged AND this call started at or after since */
    uint8_t pair_at_risk;
    sx_time pair_since;           /* first call of the sustained block */
    const char *pair_reason;      /* "velocity 40->310 calls/h", NULL if none */
    uint8_t carrier_named;        /* --carriers names the peer that sent the final response
                                     (or the next hop) as a carrier (not own/self): it turns
                                     off the own-side timing heuristic (R18/R19) */
} diag_context;

/* Fills ctx for the call f from the aggregates (agg.c, after diag_finalize). */
void diag_context_of(const diag *d, const diag_facts *f, diag_context *ctx);
/* 1 when a --carriers name marks a peer as the caller's own side ("own", "self", or a name
 * starting with "own-" / "self-"). */
int diag_peer_is_own(const char *name);

/* ---- The rule table (rules.c; docs/diagnosis.md lists it for people) ---- */

typedef struct diag_rule {
    const char *id;           /* "R06": stable, cited in verdicts and docs */
    const char *title;        /* short name */
    uint8_t blocked_by;       /* enum diag_blocker */
    uint8_t cause;            /* enum diag_cause */
    float confidence;
    const char *needs;        /* the evidence it needs, for people */
    const char *explanation;  /* one line */
    const char *remediation;  /* one sentence */
    /* 1 if the rule applies; then it appends the evidence it used to v */
    int (*match)(const diag_facts *f, const diag_context *c, diag_verdict *v);
} diag_rule;

/* The table, in evaluation order (first match wins). */
const diag_rule *diag_rules(size_t *n);
/* Decides on the call's facts and a context (diag_decide = diag_context_of + this). */
void diag_decide_ctx(const diag_facts *f, const diag_context *c, diag_verdict *v);
/* The same, with quiet != 0 when nobody will read the evidence (no --calls, no report
 * examples): the verdict is identical but no evidence text is formatted. */
void diag_decide_ctx_opt(const diag_facts *f, const diag_context *c, int quiet, diag_verdict *v);

/* ---- The engine ---- */

typedef struct diag_config {
    const carriers *names;     /* --carriers: names peers; may be NULL */
    sx_time bucket;            /* time bucket of the aggregates (default 15 min) */
    size_t max_pairs;          /* caller ID x carrier pairs tracked (default 100000) */
    size_t max_carriers;       /* carriers tracked (default 1024) */
} diag_config;
void diag_config_default(diag_config *c);

diag *diag_new(const diag_config *cfg);
void diag_learn(diag *d, const diag_facts *f);          /* phase 1 */
/* diag_learn, and remembers in f where the call went (car1, pair1) for phase 2 on the same d. */
void diag_learn_keep(diag *d, diag_facts *f);
/* Hints that change nothing: 8000 caller x carrier pairs are ~8 MB, and learning a call
 * waited on cache misses for its pair. As soon as f's record half is known (next hop,
 * caller), diag_prefetch_index starts loading the pair's index slot; some work later,
 * diag_prefetch, with the hint it returned, finds the pair there and starts loading its
 * counters; some work later, diag_prefetch_bucket its latest time bucket; some work later
 * again, diag_learn finds them in the cache. */
typedef struct diag_hint {
    uint64_t hash;  /* the pair's hash, 0 = none */
    uint32_t car1;  /* 1 + the carrier's index, 0 = none */
} diag_hint;
diag_hint diag_prefetch_index(const diag *d, const diag_facts *f);
void diag_prefetch(const diag *d, diag_hint hint);
/* Once diag_prefetch's lines came: starts loading the pair's latest time bucket, which
 * lives outside the pair (its array grows), so learning would miss the cache on it. */
void diag_prefetch_bucket(const diag *d, diag_hint hint);
/* diag_learn_keep, given what diag_prefetch_index returned for f on the same d: the carrier
 * and the pair's hash it found are not looked up again (carriers are never removed). */
void diag_learn_hinted(diag *d, diag_facts *f, diag_hint hint);
void diag_finalize(diag *d);                            /* between the phases */
/* Phase 2's hint, as harmless: starts loading what deciding and tallying f will read of its
 * pair (the lookup line and the cause counters), found through f->pair1 without hashing. */
void diag_prefetch_known(const diag *d, const diag_facts *f);
void diag_decide(const diag *d, const diag_facts *f, diag_verdict *v); /* phase 2 */
void diag_decide_opt(const diag *d, const diag_facts *f, int quiet, diag_verdict *v);
void diag_tally(diag *d, const diag_facts *f, const diag_verdict *v);  /* phase 2, or phase 1 for a
                                                                          context-free call */
void diag_free(diag *d);

/* ---- Reports ---- */
void diag_text(const diag *d, FILE *out);                /* plan, carriers, caller IDs */
void diag_json_keys(const diag *d, FILE *out, int *first); /* "plan", "carriers", "callers" */
int diag_csv_callers(const diag *d, const char *path);   /* 0, or -1 (errno) */
int diag_csv_carriers(const diag *d, const char *path);

/* ---- Aggregates: queries (agg.c; for tests and the HTML report) ---- */

#define DIAG_STATUSES(X)                                                                  \
    X(DIAG_ST_CLEAN, "clean", "no sign of a reputation problem at this carrier")         \
    X(DIAG_ST_AT_RISK, "at_risk", "rising volume, short calls or a few analytics refusals") \
    X(DIAG_ST_FLAGGED, "flagged", "a sustained block of reputation refusals until the end")
enum diag_status {
#define DIAG_ENUM3S(sym, name, desc) sym,
    DIAG_STATUSES(DIAG_ENUM3S) DIAG_ST__COUNT
#undef DIAG_ENUM3S
};
const char *diag_status_name(int s);

#define DIAG_REASON 320
/* One caller ID x carrier after diag_finalize. */
typedef struct diag_pair_info {
    int status;                /* enum diag_status */
    sx_time since;             /* flagged: start of the first call of the sustained block; else 0 */
    sx_time first, last;       /* first and last call start seen */
    uint64_t attempts, answered, blocked, short_calls;
    double peak_per_hour, mean_per_hour;
    char reason[DIAG_REASON];  /* why, with numbers ("" when clean) */
} diag_pair_info;
/* 0 and *out filled, or -1 when the pair is not tracked. carrier: the --carriers name or
 * the next hop's address as text. */
int diag_pair_get(const diag *d, const char *caller, const char *carrier, diag_pair_info *out);

/* A carrier's evident policies (filled by diag_finalize), one sentence each with numbers. */
#define DIAG_POLICIES(X)                                                                  \
    X(DIAG_P_REJECTS_UNSIGNED, "rejects_unsigned")                                        \
    X(DIAG_P_REJECTS_LOW_ATTEST, "rejects_low_attestation")                               \
    X(DIAG_P_IAT_FRESHNESS, "enforces_iat_freshness")                                     \
    X(DIAG_P_ANALYTICS_608, "analytics_608")                                              \
    X(DIAG_P_BLOCKLIST_603PLUS, "blocklist_603plus")                                     \
    X(DIAG_P_FAST_DECLINE, "fast_603_decline")                                            \
    X(DIAG_P_CONCURRENCY, "concurrency_limit")                                            \
    X(DIAG_P_INVALID_CALLER, "blocks_invalid_caller_ids")
enum diag_policy {
#define DIAG_ENUM2P(sym, name) sym,
    DIAG_POLICIES(DIAG_ENUM2P) DIAG_P__COUNT
#undef DIAG_ENUM2P
};
const char *diag_policy_name(int p);
#define DIAG_SENTENCE 256
/* Writes the carrier's policy sentence for p into buf and returns 1, or 0 when the carrier
 * does not evidently apply p (or is unknown). */
int diag_carrier_policy(const diag *d, const char *carrier, int p, char *buf, size_t n);

typedef struct diag_counts {
    uint64_t learnt, tallied;        /* calls through diag_learn / diag_tally */
    uint64_t carriers, pairs;        /* tracked */
    uint64_t carrier_overflow;       /* calls whose carrier was beyond max_carriers
                                        (counted under the carrier "(other)") */
    uint64_t pair_overflow;          /* calls whose caller x carrier was beyond max_pairs */
    uint64_t flagged, at_risk;       /* pairs */
    uint64_t plan_items;
} diag_counts;
void diag_counts_get(const diag *d, diag_counts *out);

/* ---- Spilling facts (spill.c) ----
 * A fact is encoded field by field (~50-70 bytes instead of 648) with strings that repeat
 * across calls kept in a dictionary both sides build as they go: the facts must be decoded
 * in the order they were encoded, with a codec state of their own (diag_spill_new, or
 * diag_spill_rewind between writing and reading). Each state holds < 300 KB. */
typedef struct diag_spill diag_spill;
#define DIAG_SPILL_MAX 1024   /* bytes one encoded fact may take */
diag_spill *diag_spill_new(void);            /* NULL when out of memory */
void diag_spill_rewind(diag_spill *s);       /* forget what was seen: read from the start */
void diag_spill_free(diag_spill *s);
/* Encodes f into out (>= DIAG_SPILL_MAX bytes); returns the length. */
size_t diag_spill_put(diag_spill *s, const diag_facts *f, unsigned char *out);
/* Decodes exactly len bytes into f: 0, or -1 when they are not one encoded fact. */
int diag_spill_get(diag_spill *s, const unsigned char *in, size_t len, diag_facts *f);

#endif
