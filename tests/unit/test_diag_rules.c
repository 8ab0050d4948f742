/* test_diag_rules.c -- the rule table (src/diag/rules.c), case by case: every rule has a
 * call that triggers it (rule id, cause, who, and a piece of the evidence a person would
 * look for) and a near miss -- the same call one fact away -- that another rule must decide.
 * Then the "a code alone is never the verdict" cases, the vocabulary (every cause
 * reachable, names stable), the facts built from a real call record, the verdict JSON, and
 * docs/diagnosis.md listing every rule id. */
#include "th_json.h"
#include <stdlib.h>

#include "diag/diag.h"
#include "harness.h"

/* ---- Building calls by hand ---- */

/* A signed (A, valid), fresh call from a valid geographic number, answered by nothing yet:
 * each case sets the final response and the fact it is about. */
static void base(diag_facts *f, diag_context *c) {
    memset(f, 0, sizeof *f);
    memset(c, 0, sizeof *c);
    strcpy(f->caller, "12125551234");
    strcpy(f->caller_raw, "+12125551234");
    strcpy(f->caller_src, "pai");
    strcpy(f->callee, "13105559876");
    f->q850 = f->sip_cause = f->stir_cause = -1;
    f->final_ms = f->first_18x_ms = f->answer_ms = f->talk_ms = -1;
    f->trying = 1;
    f->final_from_next_hop = 1;
    f->has_identity = 1;
    f->attest = 'A';
    f->signature = STIR_SIG_VALID;
    f->stir_findings = (uint64_t)1 << STIR_F_attest_a;
    f->iat_age_s = 1;
    f->implied_stir = -1;
    f->end = CALL_END_FAILURE;
}

static void fin(diag_facts *f, int code, const char *phrase, int32_t ms) {
    f->final_code = (uint16_t)code;
    snprintf(f->phrase, sizeof f->phrase, "%s", phrase);
    f->final_ms = ms;
    if (code >= 200 && code < 300) f->answer_ms = ms, f->end = CALL_END_BYE;
}

static void ring(diag_facts *f, int32_t ms) {
    f->rang = 1;
    f->first_18x_ms = ms;
}

static void unsigned_call(diag_facts *f) {
    f->has_identity = 0;
    f->attest = 0;
    f->signature = -1;
    f->stir_findings = (uint64_t)1 << STIR_F_identity_missing;
    f->iat_age_s = INT64_MIN;
}

static void finding(diag_facts *f, int id) { f->stir_findings |= (uint64_t)1 << id; }

#define CASE(name) static void name(diag_facts *f __attribute__((unused)), diag_context *c __attribute__((unused)))

/* ---- Triggers and near misses, in table order ---- */

static void few_unsigned(diag_context *c);

CASE(r01) { fin(f, 200, "OK", 3000), f->talk_ms = 1200, f->ended_by = CALL_BY_CALLEE; }
CASE(r01_miss) { ring(f, 800), f->end = CALL_END_EOF, f->no_final_response = 1; }
CASE(r02) { ring(f, 1000), fin(f, 487, "Request Terminated", 25000), f->end = CALL_END_CANCEL, f->ended_by = CALL_BY_CALLER; }
CASE(r02_miss) { ring(f, 1000), fin(f, 487, "Request Terminated", 25000); } /* CANCEL from upstream */
CASE(r16) { fin(f, 503, "Service Unavailable", 12), c->final_from_own = 1, c->carrier = "own"; }
CASE(r16_miss) { fin(f, 503, "Service Unavailable", 800); }
CASE(r17) { fin(f, 403, "Forbidden", 12), c->final_from_own = 1, c->carrier = "own-sbc"; }
CASE(r17_miss) { fin(f, 407, "Proxy Authentication Required", 12), f->challenge_unresolved = 1, c->final_from_own = 1; }
CASE(r03) { fin(f, 407, "Proxy Authentication Required", 15), f->challenge_unresolved = 1, f->end = CALL_END_CHALLENGE; }
CASE(r03_miss) { fin(f, 200, "OK", 900), f->challenged = 1; }
CASE(r04) { strcpy(f->caller, "12125550142"), fin(f, 603, "Decline", 300); }
CASE(r04_miss) { strcpy(f->caller, "12125550242"), fin(f, 603, "Decline", 300); }
CASE(r05) { f->caller[0] = 0, strcpy(f->caller_raw, "anonymous"), fin(f, 433, "Anonymity Disallowed", 200); }
CASE(r05_miss) { f->caller[0] = 0, strcpy(f->caller_raw, "anonymous"), fin(f, 403, "Forbidden", 200); }
CASE(r06) {
    fin(f, 438, "Invalid Identity Header", 150), finding(f, STIR_F_orig_tn_mismatch);
    strcpy(f->orig_tn, "12125550111");
}
CASE(r06_miss) { fin(f, 438, "Invalid Identity Header", 150), strcpy(f->orig_tn, "12125551234"); }
CASE(r07) { fin(f, 438, "Invalid Identity Header", 150), f->signature = STIR_SIG_INVALID; }
CASE(r07_miss) { fin(f, 403, "Forbidden", 150), f->signature = STIR_SIG_INVALID; }
CASE(r09) { fin(f, 438, "Invalid Identity Header", 150); }
CASE(r09_miss) { fin(f, 200, "OK", 4000), f->stir_cause = 438; } /* RFC 9410: the call went on */
CASE(r10) { fin(f, 436, "Bad Identity Info", 150), finding(f, STIR_F_x5u_not_https); }
CASE(r10_miss) { fin(f, 437, "Unsupported Credential", 150); }
CASE(r11) { fin(f, 437, "Unsupported Credential", 150), f->signature = STIR_SIG_EXPIRED; }
CASE(r11_miss) { fin(f, 436, "Bad Identity Info", 150); }
CASE(r08) {
    fin(f, 403, "Stale Date", 150), f->implied_code = 403, f->iat_age_s = 95;
    finding(f, STIR_F_iat_stale);
}
CASE(r08_miss) { fin(f, 403, "Forbidden", 150); } /* fresh iat, no Stale Date */
CASE(r12) { unsigned_call(f), fin(f, 428, "Use Identity Header", 150); }
CASE(r12_miss) { unsigned_call(f), fin(f, 403, "Forbidden", 150), few_unsigned(c); }
static void policy_unsigned(diag_context *c) {
    c->carrier = "carrierA";
    c->carrier_rejects_unsigned = 1;
    c->unsigned_code = 403;
    c->unsigned_refused = 41, c->unsigned_calls = 41, c->signed_refused = 0, c->signed_calls = 120;
}
CASE(r13) { unsigned_call(f), fin(f, 403, "Forbidden", 150), policy_unsigned(c); }
CASE(r13_miss) { fin(f, 403, "Forbidden", 150), policy_unsigned(c); } /* this one was signed */
static void policy_low(diag_context *c) {
    c->carrier = "carrierC";
    c->carrier_rejects_low_attest = 1;
    c->low_attest_code = 403;
    c->low_refused = 30, c->low_calls = 31, c->a_refused = 1, c->a_calls = 200;
}
CASE(r14) { f->attest = 'C', fin(f, 403, "Forbidden", 150), policy_low(c); }
CASE(r14_miss) { fin(f, 403, "Forbidden", 150), policy_low(c); } /* attest A */
static void plus603(diag_facts *f) {
    fin(f, 603, "Network Blocked", 200), f->network_blocked = 1;
    strcpy(f->blocked_by_party, "analytics1");
    strcpy(f->redress, "https://redress.example.com");
    strcpy(f->reason_line, "SIP;cause=603;text=\"v=analytics1;url=https://redress.example.com\"");
}
CASE(r15) { plus603(f); }
CASE(r15_miss) { fin(f, 603, "Decline", 200); }
CASE(r18) { fin(f, 403, "Forbidden", 5), f->trying = 0; }
CASE(r18_miss) { fin(f, 403, "Forbidden", 5), f->trying = 0, c->carrier_named = 1; }
CASE(r19) { fin(f, 503, "Service Unavailable", 5), f->trying = 0; }
CASE(r19_miss) { fin(f, 503, "Service Unavailable", 5); } /* 100 Trying came first */
static void flagged(diag_context *c) {
    c->carrier = "carrierB";
    c->pair_flagged = 1;
    c->pair_since = (sx_time)1740838800 * SX_SEC; /* 2025-03-01 14:20 UTC */
    c->pair_reason = "velocity 40\u2192310 calls/h";
}
static void jcard608(diag_facts *f) {
    fin(f, 608, "Rejected", 250), f->jcard = 1;
    strcpy(f->blocked_by_party, "Hiya");
    strcpy(f->redress, "https://hiya.com/dispute");
}
CASE(r20) { jcard608(f), flagged(c); }
CASE(r20_miss) { jcard608(f); }
CASE(r21) { jcard608(f); }
CASE(r21_miss) { fin(f, 608, "Rejected", 250); }
CASE(r22) { fin(f, 608, "Rejected", 250); }
CASE(r22_miss) { fin(f, 607, "Unwanted", 250); }
CASE(r23) { ring(f, 900), fin(f, 607, "Unwanted", 6000); }
CASE(r23_miss) { fin(f, 606, "Not Acceptable", 250); }
CASE(r24) { fin(f, 603, "Decline", 310); }
CASE(r24_miss) { ring(f, 1000), fin(f, 603, "Decline", 1900); }
CASE(r25) { ring(f, 1000), fin(f, 603, "Decline", 9000); }
CASE(r25_miss) { fin(f, 603, "Decline", 2500); }
CASE(r26) { fin(f, 603, "Decline", 2500); }
CASE(r26_miss) { fin(f, 603, "Decline", 1999); }
CASE(r27) { fin(f, 486, "Busy Here", 700); }
CASE(r27_miss) { ring(f, 1000), fin(f, 480, "Temporarily Unavailable", 30000); }
CASE(r28) { ring(f, 1000), fin(f, 480, "Temporarily Unavailable", 30000); }
CASE(r28_miss) { fin(f, 480, "Temporarily Unavailable", 300); }
CASE(r29) { fin(f, 480, "Temporarily Unavailable", 300); }
CASE(r29_miss) { fin(f, 480, "Temporarily Unavailable", 300), f->q850 = 20; }
CASE(r30) { fin(f, 404, "Not Found", 300), f->q850 = 1, strcpy(f->reason_line, "Q.850;cause=1"); }
CASE(r30_miss) { fin(f, 484, "Address Incomplete", 300); }
CASE(r31) { fin(f, 484, "Address Incomplete", 300); }
CASE(r31_miss) { fin(f, 410, "Gone", 300); }
CASE(r32) { fin(f, 488, "Not Acceptable Here", 300); }
CASE(r32_miss) { fin(f, 487, "Request Terminated", 300); }
CASE(r33) { fin(f, 500, "Server Internal Error", 800), f->q850 = 34, strcpy(f->reason_line, "Q.850;cause=34"); }
CASE(r33_miss) { fin(f, 500, "Server Internal Error", 800); }
CASE(r34) { f->end = CALL_END_NO_RESPONSE, f->no_final_response = 1, f->trying = 0, f->invite_retransmissions = 6; }
CASE(r34_miss) { f->end = CALL_END_EOF, f->no_final_response = 1; }
CASE(r35) { fin(f, 502, "Bad Gateway", 800); }
CASE(r35_miss) { fin(f, 503, "Service Unavailable", 800); }
static void few_unsigned(diag_context *c) {
    c->carrier = "carrierD";
    c->unsigned_code = 403; /* carrier_rejects_unsigned stays 0: too few calls to say */
    c->unsigned_refused = 2, c->unsigned_calls = 2, c->signed_refused = 0, c->signed_calls = 20;
}
CASE(r36) { unsigned_call(f), fin(f, 403, "Forbidden", 300), few_unsigned(c); }
CASE(r36_miss) { unsigned_call(f), fin(f, 403, "Forbidden", 300), few_unsigned(c), c->signed_refused = 4; }
CASE(r37) { fin(f, 403, "Forbidden", 300); }
CASE(r37_miss) { fin(f, 403, "Forbidden", 3), f->trying = 0; }
CASE(r38) { f->end = CALL_END_EOF, f->no_final_response = 1; }
CASE(r38_miss) { f->end = CALL_END_NO_RESPONSE, f->no_final_response = 1; }
CASE(r39) { fin(f, 402, "Payment Required", 300); }
CASE(r39_miss) { fin(f, 403, "Forbidden", 300); }
CASE(r40) { f->end = CALL_END_BYE; }
CASE(r40_miss) { fin(f, 200, "OK", 300); }

typedef void (*setup_fn)(diag_facts *, diag_context *);
typedef struct rule_case {
    const char *rule;
    setup_fn trigger;
    int cause, by;
    const char *evidence; /* a substring of one evidence line */
    setup_fn miss;
    const char *miss_rule;
} rule_case;

static const rule_case cases[] = {
    {"R01", r01, DIAG_C_ANSWERED, DIAG_BY_NONE, "callee hung up after 1.20 s", r01_miss, "R38"},
    {"R02", r02, DIAG_C_NO_ANSWER, DIAG_BY_NONE, "caller sent CANCEL; 487 Request Terminated after 25.00 s", r02_miss, "R28"},
    {"R03", r03, DIAG_C_AUTH_FAILURE, DIAG_BY_OWN, "challenge never answered", r03_miss, "R01"},
    {"R04", r04, DIAG_C_INVALID_CALLER_ID, DIAG_BY_NETWORK, "caller ID 12125550142: fictitious 555-01XX", r04_miss, "R24"},
    {"R05", r05, DIAG_C_ANONYMOUS_REJECTED, DIAG_BY_CALLEE, "caller ID presented: anonymous", r05_miss, "R37"},
    {"R06", r06, DIAG_C_IDENTITY_TN_MISMATCH, DIAG_BY_NETWORK, "orig.tn 12125550111 \u2260 PAI 12125551234", r06_miss, "R09"},
    {"R07", r07, DIAG_C_IDENTITY_BAD_SIGNATURE, DIAG_BY_NETWORK, "signature invalid", r07_miss, "R37"},
    {"R08", r08, DIAG_C_STALE_IDENTITY, DIAG_BY_NETWORK, "iat 95 s old when the INVITE was sent", r08_miss, "R37"},
    {"R09", r09, DIAG_C_IDENTITY_BAD_SIGNATURE, DIAG_BY_NETWORK, "438 Invalid Identity Header after 0.15 s", r09_miss, "R01"},
    {"R10", r10, DIAG_C_IDENTITY_CERT_UNREACHABLE, DIAG_BY_NETWORK, "x5u is not an https: URL", r10_miss, "R11"},
    {"R11", r11, DIAG_C_IDENTITY_CERT_UNTRUSTED, DIAG_BY_NETWORK, "certificate expired", r11_miss, "R10"},
    {"R12", r12, DIAG_C_UNSIGNED_CALL, DIAG_BY_NETWORK, "no Identity header on INVITE", r12_miss, "R36"},
    {"R13", r13, DIAG_C_UNSIGNED_CALL, DIAG_BY_NETWORK, "carrierA refused 41 of 41 unsigned calls with 403, 0 of 120 signed", r13_miss, "R37"},
    {"R14", r14, DIAG_C_LOW_ATTESTATION, DIAG_BY_NETWORK, "carrierC refused 30 of 31 B/C-attested calls with 403", r14_miss, "R37"},
    {"R15", r15, DIAG_C_NETWORK_BLOCKLIST, DIAG_BY_ANALYTICS, "blocking party analytics1, redress https://redress.example.com", r15_miss, "R24"},
    {"R16", r16, DIAG_C_CAPACITY, DIAG_BY_OWN, "named own side in --carriers (own)", r16_miss, "R33"},
    {"R17", r17, DIAG_C_OWN_POLICY, DIAG_BY_OWN, "403 Forbidden after 0.01 s", r17_miss, "R03"},
    {"R18", r18, DIAG_C_OWN_POLICY, DIAG_BY_OWN, "no 100 Trying", r18_miss, "R37"},
    {"R19", r19, DIAG_C_CAPACITY, DIAG_BY_OWN, "503 Service Unavailable after 0.01 s with no 18x", r19_miss, "R33"},
    {"R20", r20, DIAG_C_CALLER_ID_REPUTATION, DIAG_BY_ANALYTICS, "caller 12125551234 flagged at carrierB since 2025-03-01 14:20 UTC (velocity 40\u2192310 calls/h)", r20_miss, "R21"},
    {"R21", r21, DIAG_C_ANALYTICS_REJECTED, DIAG_BY_ANALYTICS, "jwscard: Hiya, redress https://hiya.com/dispute", r21_miss, "R22"},
    {"R22", r22, DIAG_C_ANALYTICS_REJECTED, DIAG_BY_ANALYTICS, "no Call-Info jwscard", r22_miss, "R23"},
    {"R23", r23, DIAG_C_CALLEE_UNWANTED, DIAG_BY_CALLEE, "607 Unwanted after 6.00 s, ringing from 0.90 s", r23_miss, "R32"},
    {"R24", r24, DIAG_C_ANALYTICS_REJECTED, DIAG_BY_ANALYTICS, "603 Decline after 0.31 s with no 18x", r24_miss, "R25"},
    {"R25", r25, DIAG_C_CALLEE_DECLINED, DIAG_BY_CALLEE, "603 Decline after 9.00 s, ringing from 1.00 s", r25_miss, "R26"},
    {"R26", r26, DIAG_C_CALLEE_DECLINED, DIAG_BY_CALLEE, "not an instant decline", r26_miss, "R24"},
    {"R27", r27, DIAG_C_BUSY, DIAG_BY_CALLEE, "486 Busy Here after 0.70 s", r27_miss, "R28"},
    {"R28", r28, DIAG_C_NO_ANSWER, DIAG_BY_CALLEE, "480 Temporarily Unavailable after 30.00 s, ringing from 1.00 s", r28_miss, "R29"},
    {"R29", r29, DIAG_C_NO_ANSWER, DIAG_BY_UNKNOWN, "silent treatment", r29_miss, "R28"},
    {"R30", r30, DIAG_C_INVALID_DESTINATION, DIAG_BY_CALLEE, "Reason: Q.850;cause=1", r30_miss, "R31"},
    {"R31", r31, DIAG_C_INVALID_DESTINATION, DIAG_BY_OWN, "called number as sent: 13105559876", r31_miss, "R30"},
    {"R32", r32, DIAG_C_CODEC_MISMATCH, DIAG_BY_NETWORK, "488 Not Acceptable Here", r32_miss, "R29"},
    {"R33", r33, DIAG_C_CAPACITY, DIAG_BY_NETWORK, "Reason: Q.850;cause=34", r33_miss, "R35"},
    {"R34", r34, DIAG_C_NO_RESPONSE, DIAG_BY_UNKNOWN, "6 INVITE retransmissions, no 100 Trying", r34_miss, "R38"},
    {"R35", r35, DIAG_C_ROUTE_FAILURE, DIAG_BY_NETWORK, "502 Bad Gateway", r35_miss, "R33"},
    {"R36", r36, DIAG_C_UNSIGNED_CALL, DIAG_BY_NETWORK, "carrierD refused 2 of 2 unsigned calls with 403, none of its 20 signed calls", r36_miss, "R37"},
    {"R37", r37, DIAG_C_OTHER, DIAG_BY_NETWORK, "Identity on INVITE: attest A, signature valid", r37_miss, "R18"},
    {"R38", r38, DIAG_C_OTHER, DIAG_BY_UNKNOWN, "the capture ended before any final response", r38_miss, "R34"},
    {"R39", r39, DIAG_C_OTHER, DIAG_BY_UNKNOWN, "402 Payment Required", r39_miss, "R37"},
    {"R40", r40, DIAG_C_OTHER, DIAG_BY_UNKNOWN, "call ended by bye", r40_miss, "R01"},
};

static int has_evidence(const diag_verdict *v, const char *needle) {
    for (int i = 0; i < v->nevidence; i++)
        if (strstr(v->evidence[i], needle)) return 1;
    return 0;
}

static void dump(const diag_verdict *v) {
    fprintf(stderr, "  verdict %s %s/%s:", v->rule, diag_blocker_name(v->blocked_by), diag_cause_name(v->cause));
    for (int i = 0; i < v->nevidence; i++) fprintf(stderr, " [%s]", v->evidence[i]);
    fputc('\n', stderr);
}

static void decide(setup_fn s, diag_verdict *v) {
    diag_facts f;
    diag_context c;
    base(&f, &c);
    s(&f, &c);
    diag_decide_ctx(&f, &c, v);
}

static void test_every_rule(void) {
    size_t nrules;
    const diag_rule *rules = diag_rules(&nrules);
    CHECK_INT(sizeof cases / sizeof *cases, nrules);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const rule_case *k = &cases[i];
        diag_verdict v;
        decide(k->trigger, &v);
        int ok = v.rule && !strcmp(v.rule, k->rule) && v.cause == k->cause && v.blocked_by == k->by &&
                 has_evidence(&v, k->evidence);
        CHECK_MSG(ok, "%s trigger: want %s/%s/%s with \"%s\"", k->rule, k->rule,
                  diag_blocker_name(k->by), diag_cause_name(k->cause), k->evidence);
        if (!ok) dump(&v);
        CHECK(v.nevidence >= 1 && v.remediation && v.remediation[0]);
        decide(k->miss, &v);
        ok = v.rule && !strcmp(v.rule, k->miss_rule);
        CHECK_MSG(ok, "%s near miss: want %s, got %s", k->rule, k->miss_rule, v.rule ? v.rule : "?");
        if (!ok) dump(&v);
        /* The table row behind the verdict is the one the case names. */
        CHECK(i < nrules && !strcmp(rules[i].id, k->rule));
    }
}

/* The examples, one per sentence. */
static void test_code_alone_is_never_the_verdict(void) {
    diag_facts f;
    diag_context c;
    diag_verdict v;
    /* 603 in 300 ms with no ringing: not a person declining */
    base(&f, &c), fin(&f, 603, "Decline", 300), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_ANALYTICS_REJECTED);
    CHECK(v.blocked_by != DIAG_BY_CALLEE);
    /* a 608 for an invalid caller ID (N11 NPA) is invalid_caller_id, as is a 603+ */
    base(&f, &c), strcpy(f.caller, "14115551234"), jcard608(&f), diag_decide_ctx(&f, &c, &v);
    CHECK_STR(v.rule, "R04");
    CHECK(has_evidence(&v, "N11 service code as NPA"));
    base(&f, &c), strcpy(f.caller, "10005551234"), plus603(&f), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_INVALID_CALLER_ID);
    /* ... but a person who declined after 9 s of ringing did so whatever the number */
    base(&f, &c), strcpy(f.caller, "12125550142"), ring(&f, 1000), fin(&f, 603, "Decline", 9000);
    diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_CALLEE_DECLINED);
    /* a SIP user name as caller is not an impossible number (near miss)... */
    base(&f, &c), f.caller[0] = 0, strcpy(f.caller_raw, "ua1"), fin(&f, 403, "Forbidden", 90);
    diag_decide_ctx(&f, &c, &v);
    CHECK_STR(v.rule, "R37");
    /* ...but 17 digits are */
    base(&f, &c), f.caller[0] = 0, strcpy(f.caller_raw, "+1212555012345678"), fin(&f, 608, "Rejected", 90);
    diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_INVALID_CALLER_ID);
    CHECK(has_evidence(&v, "more than 15 digits"));
    /* a 403 to the INVITE that answered a 401 refuses the credentials */
    base(&f, &c), f.challenged = 1, fin(&f, 403, "Wrong password or domain", 34000);
    diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_AUTH_FAILURE);
    CHECK(has_evidence(&v, "credentials refused"));
    /* 438 via an RFC 9410 STIR Reason in a 403, with dest.tn mismatch */
    base(&f, &c), fin(&f, 403, "Forbidden", 120), f.stir_cause = 438;
    finding(&f, STIR_F_dest_tn_mismatch), strcpy(f.dest_tn, "13105550000");
    diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_IDENTITY_TN_MISMATCH);
    CHECK(has_evidence(&v, "dest.tn 13105550000 \u2260 called number 13105559876"));
    /* a 438 for a PASSporT our own check finds 390 s old is the stale iat, not the signature */
    base(&f, &c), fin(&f, 438, "Invalid Identity Header", 100), f.iat_age_s = 390;
    finding(&f, STIR_F_iat_stale), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_STALE_IDENTITY);
    CHECK(has_evidence(&v, "iat 390 s old"));
    /* our own SBC relaying a carrier's 608 + jCard did not decide it: the engine did */
    base(&f, &c), jcard608(&f), c.final_from_own = 1, diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_ANALYTICS_REJECTED);
    CHECK_INT(v.blocked_by, DIAG_BY_ANALYTICS);
    /* a NULL context means nothing known: a 403 to an unsigned call says nothing about
     * signing by itself (a capture without any STIR is full of them) */
    base(&f, &c), unsigned_call(&f), fin(&f, 403, "Forbidden", 300), diag_decide_ctx(&f, NULL, &v);
    CHECK_STR(v.rule, "R37");
    CHECK_INT(v.cause, DIAG_C_OTHER);
}

/* "Calls of a flagged pair get caller_id_reputation unless a more specific cause applies." */
static void test_flagged_pair_precedence(void) {
    diag_facts f;
    diag_context c;
    diag_verdict v;
    base(&f, &c), fin(&f, 603, "Decline", 300), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_CALLER_ID_REPUTATION);
    base(&f, &c), fin(&f, 403, "Forbidden", 300), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_CALLER_ID_REPUTATION);
    /* more specific: the STIR failure, the invalid number, the 603+, busy, a person */
    base(&f, &c), r06(&f, &c), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_IDENTITY_TN_MISMATCH);
    base(&f, &c), r04(&f, &c), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_INVALID_CALLER_ID);
    base(&f, &c), plus603(&f), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_NETWORK_BLOCKLIST);
    base(&f, &c), r27(&f, &c), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_BUSY);
    base(&f, &c), r25(&f, &c), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_CALLEE_DECLINED);
    base(&f, &c), r13(&f, &c), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_UNSIGNED_CALL);
    /* an answered call of a flagged pair is answered */
    base(&f, &c), r01(&f, &c), flagged(&c), diag_decide_ctx(&f, &c, &v);
    CHECK_INT(v.cause, DIAG_C_ANSWERED);
}

static void test_vocabulary(void) {
    size_t n;
    const diag_rule *rules = diag_rules(&n);
    int reached[DIAG_C__COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        CHECK(rules[i].cause < DIAG_C__COUNT && rules[i].blocked_by < DIAG_BY__COUNT);
        reached[rules[i].cause] = 1;
        char want[24];
        snprintf(want, sizeof want, "R%02zu", i + 1);
        CHECK_STR(rules[i].id, want); /* ids in order, none missing, none repeated */
        CHECK(rules[i].confidence > 0.0f && rules[i].confidence <= 1.0f);
        CHECK(rules[i].needs[0] && rules[i].explanation[0] && rules[i].remediation[0]);
    }
    /* every cause is some rule's verdict, and each was produced by a test case above */
    for (int c = 0; c < DIAG_C__COUNT; c++) {
        int by_case = 0;
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) by_case |= cases[i].cause == c;
        CHECK_MSG(reached[c] && by_case, "cause %s reached by no rule/test", diag_cause_name(c));
    }
    CHECK_STR(diag_cause_name(DIAG_C_IDENTITY_CERT_UNREACHABLE), "identity_cert_unreachable");
    CHECK_STR(diag_cause_name(DIAG_C_OWN_POLICY), "own_policy");
    CHECK_STR(diag_cause_name(99), "other");
    CHECK_STR(diag_blocker_name(DIAG_BY_OWN), "own_side");
    CHECK_STR(diag_blocker_name(-1), "unknown");
    CHECK(strstr(diag_cause_desc(DIAG_C_CALLEE_UNWANTED), "607") != NULL);
    CHECK(diag_peer_is_own("own") && diag_peer_is_own("self-sbc2") && !diag_peer_is_own("owner"));
    CHECK(!diag_peer_is_own(NULL));
}

static void test_verdict_json(void) {
    diag_verdict v;
    decide(r06, &v);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int first = 1;
    fputc('{', m);
    diag_verdict_json(&v, m, &first);
    fputc('}', m);
    fclose(m);
    json_error_t err;
    json_t *j = json_loads(buf, 0, &err);
    CHECK_MSG(j != NULL, "verdict JSON does not parse: %s in %s", err.text, buf);
    json_t *o = json_object_get(j, "verdict");
    CHECK_STR(json_string_value(json_object_get(o, "blocked_by")), "network");
    CHECK_STR(json_string_value(json_object_get(o, "cause")), "identity_tn_mismatch");
    CHECK_STR(json_string_value(json_object_get(o, "rule")), "R06");
    CHECK(json_real_value(json_object_get(o, "confidence")) > 0.94);
    json_t *e = json_object_get(o, "evidence");
    CHECK_INT(json_array_size(e), v.nevidence);
    CHECK_STR(json_string_value(json_array_get(e, 1)), "orig.tn 12125550111 \u2260 PAI 12125551234");
    CHECK(json_string_length(json_object_get(o, "remediation")) > 10);
    json_decref(j);
    free(buf);
    CHECK_INT(first, 0);
}

/* Evidence is bounded: long phrases and Reason lines are cut, never overflow. */
static void test_bounded(void) {
    diag_facts f;
    diag_context c;
    diag_verdict v;
    base(&f, &c);
    memset(f.phrase, 'x', sizeof f.phrase - 1);
    memset(f.reason_line, 'y', sizeof f.reason_line - 1);
    memset(f.blocked_by_party, 'p', sizeof f.blocked_by_party - 1);
    memset(f.redress, 'r', sizeof f.redress - 1);
    f.final_code = 603, f.network_blocked = 1, f.final_ms = 100;
    diag_decide_ctx(&f, &c, &v);
    CHECK_STR(v.rule, "R15");
    for (int i = 0; i < v.nevidence; i++) CHECK(strlen(v.evidence[i]) < DIAG_EVIDENCE);
}

/* diag_facts_from on a hand-built record and signals. */
static void test_facts_from(void) {
    static const uint16_t prov[] = {100, 180};
    call_reason reasons[2] = {
        {.protocol = SX_SV_LIT("Q.850"), .cause = 21, .text = SX_SV_LIT("Call rejected")},
        {.protocol = SX_SV_LIT("SIP"), .cause = 603},
    };
    call_record r;
    memset(&r, 0, sizeof r);
    r.call_id = SX_SV_LIT("a84b4c76e66710-very-long-call-id-that-goes-on-and-on-beyond-sixty-four-bytes@host");
    r.start = (sx_time)1700000000 * SX_SEC;
    strcpy(r.caller.e164, "12125551234");
    r.caller.user = SX_SV_LIT("+1-212-555-1234");
    r.caller.source = "pai";
    strcpy(r.callee.e164, "13105559876");
    r.dst.family = 4, r.dst.a[0] = 192, r.dst.a[3] = 7, r.dport = 5060;
    r.final_addr = r.dst, r.final_port = 5060;
    r.final_code = 603;
    r.final_reason = SX_SV_LIT("Decline");
    r.reasons = reasons, r.nreasons = 2;
    r.server = SX_SV_LIT("carrier-sbc/1.0");
    r.provisional = prov, r.nprovisional = 2;
    r.timings = (call_timings){.pdd = CALL_T_NONE, .first_18x = 1200000, .final = 9500000,
                               .answer = CALL_T_NONE, .ring = CALL_T_NONE, .talk = CALL_T_NONE};
    r.end = CALL_END_FAILURE;
    r.invite_retransmissions = 2;
    sig_result *s = calloc(1, sizeof *s);
    s->nidentity = 1;
    s->signature = STIR_SIG_VALID;
    strcpy(s->attest, "B");
    s->findings.bits = (uint64_t)1 << STIR_F_attest_b;
    strcpy(s->ids[0].orig_tn, "12125551234");
    strcpy(s->ids[0].dest_tn, "13105559876");
    s->ids[0].iat = 1700000000 - 3;
    s->ids[0].findings.iat_age = 3;
    s->blocked.present = 1;
    strcpy(s->blocked.party, "analytics1");
    strcpy(s->blocked.url, "https://example.com/redress");
    s->verstat_class = "failed";
    diag_facts f;
    diag_facts_from(&r, s, 42, &f);
    CHECK_INT(f.seq, 42);
    CHECK_INT(strlen(f.call_id), sizeof f.call_id - 1);
    CHECK_STR(f.caller, "12125551234");
    CHECK_STR(f.caller_raw, "+1-212-555-1234");
    CHECK_STR(f.caller_src, "pai");
    CHECK_INT(f.final_code, 603);
    CHECK_STR(f.phrase, "Decline");
    CHECK_INT(f.q850, 21);
    CHECK_INT(f.sip_cause, 603);
    CHECK_INT(f.stir_cause, -1);
    CHECK_STR(f.reason_line, "Q.850;cause=21;text=\"Call rejected\"");
    CHECK_INT(f.first_18x_ms, 1200);
    CHECK_INT(f.final_ms, 9500);
    CHECK_INT(f.answer_ms, -1);
    CHECK_INT(f.rang, 1);
    CHECK_INT(f.trying, 1);
    CHECK_INT(f.final_from_next_hop, 1);
    CHECK_INT(f.attest, 'B');
    CHECK_INT(f.has_identity, 1);
    CHECK_INT(f.iat_age_s, 3);
    CHECK_INT(f.network_blocked, 1);
    CHECK_STR(f.blocked_by_party, "analytics1");
    CHECK_STR(f.redress, "https://example.com/redress");
    CHECK_INT(f.verstat, 2);
    CHECK_STR(f.server, "carrier-sbc/1.0");
    CHECK_INT(f.invite_retransmissions, 2);
    CHECK_INT(f.challenge_unresolved, 0);
    /* without signals: no Identity known, -1 / INT64_MIN markers */
    r.final_code = 407, r.end = CALL_END_CHALLENGE;
    diag_facts_from(&r, NULL, 1, &f);
    CHECK_INT(f.signature, -1);
    CHECK_INT(f.iat_age_s, INT64_MIN);
    CHECK_INT(f.implied_stir, -1);
    CHECK_INT(f.challenge_unresolved, 1);
    free(s);
}

/* docs/diagnosis.md lists every rule of the table (people review the table there). */
/* reason_line is put together by hand: it must read as the snprintf it replaced, with long
 * protocols and texts cut, a NUL inside a view, no cause, no text. */
static void test_reason_line(void) {
    static const char nul_text[] = "abc\0def";
    char longp[200], longt[200];
    memset(longp, 'P', sizeof longp), memset(longt, 'T', sizeof longt);
    const call_reason rc[] = {
        {.protocol = SX_SV_LIT("Q.850"), .cause = 21, .text = SX_SV_LIT("Call rejected")},
        {.protocol = SX_SV_LIT("SIP"), .cause = -1},
        {.protocol = SX_SV_LIT("SIP"), .cause = 2147483647, .text = SX_SV_LIT("x")},
        {.protocol = SX_SV_LIT("STIR"), .cause = 0, .text = {nul_text, sizeof nul_text - 1}},
        {.protocol = {longp, 50}, .cause = 603, .text = {longt, 70}},
        {.protocol = {longp, 90}, .cause = 12345, .text = {longt, 10}},
        {.protocol = {longp, 200}, .cause = -1, .text = {longt, 200}},
        {.protocol = SX_SV_NULL, .cause = 5, .text = SX_SV_NULL},
    };
    for (size_t i = 0; i < sizeof rc / sizeof *rc; i++) {
        call_record r;
        memset(&r, 0, sizeof r);
        r.reasons = &rc[i], r.nreasons = 1;
        diag_facts f;
        diag_facts_from(&r, NULL, 1, &f);
        const call_reason *x = &rc[i];
        char want[sizeof f.reason_line], cause[24] = "";
        if (x->cause >= 0) snprintf(cause, sizeof cause, ";cause=%d", x->cause);
        int tn = x->text.n > 60 ? 60 : (int)x->text.n;
        if (x->text.n)
            snprintf(want, sizeof want, "%.*s%s;text=\"%.*s\"", SX_SV_FMT(x->protocol), cause, tn, x->text.p);
        else
            snprintf(want, sizeof want, "%.*s%s", SX_SV_FMT(x->protocol), cause);
        CHECK_STR(f.reason_line, want);
    }
}

static void test_doc_lists_rules(void) {
    FILE *fp = fopen("docs/diagnosis.md", "r");
    CHECK_MSG(fp != NULL, "docs/diagnosis.md missing (run from the repo root)");
    if (!fp) return;
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, fp);
    doc[n] = '\0';
    fclose(fp);
    size_t nr;
    const diag_rule *rules = diag_rules(&nr);
    for (size_t i = 0; i < nr; i++) {
        char row[16];
        snprintf(row, sizeof row, "| %s |", rules[i].id);
        CHECK_MSG(strstr(doc, row) != NULL, "docs/diagnosis.md has no row for %s", rules[i].id);
    }
    for (int c = 0; c < DIAG_C__COUNT; c++) {
        char name[48];
        snprintf(name, sizeof name, "`%s`", diag_cause_name(c));
        CHECK_MSG(strstr(doc, name) != NULL, "docs/diagnosis.md does not explain %s", name);
    }
}

int main(void) {
    test_every_rule();
    test_code_alone_is_never_the_verdict();
    test_flagged_pair_precedence();
    test_vocabulary();
    test_verdict_json();
    test_bounded();
    test_facts_from();
    test_reason_line();
    test_doc_lists_rules();
    TH_END();
}
