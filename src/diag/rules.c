/* rules.c -- THE rule table: who refused a call and why, from the call's own facts and what
 * other calls taught (diag_context). Read the table at the bottom first; the match
 * functions above it are one small predicate each, and each writes the exact facts it used
 * as evidence. Rules are tried in order and the first that matches decides, so the most
 * specific evidence comes first (reference §7 lists the patterns; docs/diagnosis.md lists
 * this table for people and must be kept in step: a test checks every id is there).
 *
 * The principle (issue 5): a code alone is never the verdict. A 603 in 300 ms without
 * ringing is an automated block, not a person; a 403 is "unsigned_call" only when that
 * carrier evidently refuses unsigned calls; a refusal of an impossible caller ID is
 * explained by the number; a 438 whose orig.tn differs from the caller is a TN mismatch.
 *
 * Confidence is how often the evidence, when present, means that cause (our judgement from
 * the reference and the specs, not a measured rate): 0.95 when the response names the cause
 * itself (608 + jCard, 603+, 433, a STIR code backed by a local finding), ~0.85 when a code
 * plus timing or context point one way, 0.6 and below for heuristics and fall-backs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <time.h>

#include "diag.h"

/* ---- Evidence ---- */

__attribute__((format(printf, 2, 3))) static void ev(diag_verdict *v, const char *fmt, ...) {
    if (v->quiet || v->nevidence >= DIAG_MAX_EVIDENCE) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->evidence[v->nevidence++], DIAG_EVIDENCE, fmt, ap);
    va_end(ap);
}

static const char *phrase_of(const diag_facts *f) {
    if (f->phrase[0]) return f->phrase;
    const char *p = sig_sip_phrase(f->final_code);
    return p ? p : "";
}

/* "603 Decline after 0.31 s with no 18x" / "... after 14.20 s, ringing from 1.02 s" */
static void ev_final(const diag_facts *f, diag_verdict *v) {
    if (v->quiet) return;
    char when[48] = "";
    if (f->final_ms >= 0) snprintf(when, sizeof when, " after %.2f s", f->final_ms / 1000.0);
    if (f->rang && f->first_18x_ms >= 0)
        ev(v, "%u %s%s, ringing from %.2f s", f->final_code, phrase_of(f), when,
           f->first_18x_ms / 1000.0);
    else
        ev(v, "%u %s%s with no 18x", f->final_code, phrase_of(f), when);
}

static void ev_reason(const diag_facts *f, diag_verdict *v) {
    if (f->reason_line[0]) ev(v, "Reason: %s", f->reason_line);
}

static void ev_identity(const diag_facts *f, diag_verdict *v) {
    if (!f->has_identity) {
        ev(v, "no Identity header on INVITE");
        return;
    }
    ev(v, "Identity on INVITE: attest %c, signature %s", f->attest ? f->attest : '-',
       sig_signature_name(f->signature));
}

static const char *src_name(const diag_facts *f) {
    return !strcmp(f->caller_src, "pai") ? "PAI" : "From";
}

static const char *carrier_of(const diag_context *c) { return c->carrier ? c->carrier : "this carrier"; }

/* ---- Predicates shared by the rules ---- */

static int refused(const diag_facts *f) { return f->final_code >= 300; }
static int code_is(const diag_facts *f, int a, int b) { return f->final_code == a || f->final_code == b; }
static int finding(const diag_facts *f, int id) { return (int)((f->stir_findings >> id) & 1u); }
/* A STIR failure code, in the final response or a STIR Reason or implied by the response. */
static int stir_code(const diag_facts *f, int code) {
    return refused(f) && (f->final_code == code || f->stir_cause == code || f->implied_code == code);
}
/* Rang for a while before the final: a person had the chance to decide (reference §7 #4). */
static int rang_long(const diag_facts *f) {
    return f->rang && f->first_18x_ms >= 0 && f->final_ms >= 0 &&
           f->final_ms - f->first_18x_ms >= 3000;
}
/* Refused within ms without any ringing: a machine decided (§7 #3, #17, #24). */
static int fast_no_ring(const diag_facts *f, int32_t ms) {
    return !f->rang && f->final_ms >= 0 && f->final_ms < ms;
}

/* ---- The rules' predicates, in table order ---- */

static int m_answered(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code < 200 || f->final_code >= 300) return 0;
    ev(v, "%u %s after %.2f s", f->final_code, phrase_of(f), f->answer_ms / 1000.0);
    if (f->talk_ms >= 0 && f->talk_ms < 3000 && f->ended_by == CALL_BY_CALLEE)
        ev(v, "callee hung up after %.2f s (screening app or instant hang-up)", f->talk_ms / 1000.0);
    if (f->verstat == 2) ev(v, "verstat=TN-Validation-Failed at the callee");
    return 1;
}

static int m_caller_cancel(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->ended_by != CALL_BY_CALLER || (f->end != CALL_END_CANCEL && f->final_code != 487))
        return 0;
    if (f->final_ms >= 0) ev(v, "caller sent CANCEL; %u %s after %.2f s", f->final_code,
                             phrase_of(f), f->final_ms / 1000.0);
    else ev(v, "caller sent CANCEL");
    if (f->rang && f->first_18x_ms >= 0) ev(v, "it rang from %.2f s", f->first_18x_ms / 1000.0);
    else ev(v, "no 18x before the CANCEL");
    return 1;
}

static int m_own_peer_capacity(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    if (!c->final_from_own || f->final_code < 500 || f->final_code >= 600) return 0;
    ev_final(f, v);
    ev(v, "sent by a peer named own side in --carriers (%s)", c->carrier ? c->carrier : "own");
    ev_reason(f, v);
    return 1;
}

/* Codes that carry the far end's or an engine's decision: an own SBC that sends them is
 * relaying them (a B2BUA passes the B-leg's final upstream), not deciding. */
static int far_end_code(int code) {
    static const int codes[] = {404, 410, 433, 480, 486, 487, 600, 603, 604, 607, 608};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (codes[i] == code) return 1;
    return 0;
}

static int m_own_peer(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    if (!c->final_from_own || !refused(f) || f->challenge_unresolved || far_end_code(f->final_code))
        return 0;
    ev_final(f, v);
    ev(v, "sent by a peer named own side in --carriers (%s)", c->carrier ? c->carrier : "own");
    ev_reason(f, v);
    return 1;
}

/* Unresolved 401/407, or a 403 to the INVITE that answered a challenge: the credentials
 * themselves were refused (reference §7 #21). */
static int m_auth(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    int refused_creds = f->challenged && f->final_code == 403;
    if (!f->challenge_unresolved && !refused_creds) return 0;
    if (f->final_code == 401 || f->final_code == 407 || refused_creds) ev_final(f, v);
    if (refused_creds) ev(v, "403 to the INVITE that answered a 401/407 challenge: credentials refused");
    else ev(v, f->challenged ? "challenged again after answering the challenge"
                             : "401/407 challenge never answered with a new INVITE");
    return 1;
}

static int m_invalid_caller(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!refused(f) || rang_long(f)) return 0;
    if (f->final_code != 403 && f->final_code != 603 && f->final_code != 608 && f->final_code != 404)
        return 0;
    diag_tn_check t;
    diag_tn_check_caller(f->caller, f->caller_raw, f->callee, &t);
    if (!t.invalid) return 0;
    ev_final(f, v);
    ev(v, "caller ID %s: %s", f->caller[0] ? f->caller : f->caller_raw, t.reason);
    ev_reason(f, v);
    return 1;
}

static int m_anonymous(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 433) return 0;
    ev_final(f, v);
    ev(v, "caller ID presented: %s", f->caller_raw[0] ? f->caller_raw : "(none)");
    return 1;
}

static int m_tn_mismatch(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    int orig = finding(f, STIR_F_orig_tn_mismatch), dest = finding(f, STIR_F_dest_tn_mismatch);
    if (!stir_code(f, 438) || (!orig && !dest)) return 0;
    ev_final(f, v);
    if (orig) ev(v, "orig.tn %s \u2260 %s %s", f->orig_tn, src_name(f), f->caller);
    if (dest) ev(v, "dest.tn %s \u2260 called number %s", f->dest_tn, f->callee);
    ev_reason(f, v);
    return 1;
}

static int m_bad_signature(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    int bad = f->signature == STIR_SIG_INVALID || f->signature == STIR_SIG_MALFORMED ||
              finding(f, STIR_F_malformed_identity) || finding(f, STIR_F_signature_length);
    if (!stir_code(f, 438) || !bad) return 0;
    ev_final(f, v);
    ev_identity(f, v);
    if (finding(f, STIR_F_malformed_identity)) ev(v, "the Identity header cannot be decoded");
    if (finding(f, STIR_F_signature_length)) ev(v, "signature is not 64 bytes r||s");
    return 1;
}

static int m_invalid_identity(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!stir_code(f, 438)) return 0;
    ev_final(f, v);
    ev_identity(f, v);
    ev_reason(f, v);
    return 1;
}

static int m_cert_unreachable(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!stir_code(f, 436)) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    if (finding(f, STIR_F_x5u_not_https)) ev(v, "x5u is not an https: URL");
    else if (f->signature == STIR_SIG_CERT_UNKNOWN) ev(v, "no local certificate for the x5u URL either");
    return 1;
}

static int m_cert_untrusted(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!stir_code(f, 437)) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    if (f->signature == STIR_SIG_UNTRUSTED || f->signature == STIR_SIG_EXPIRED)
        ev(v, "local verification: certificate %s", sig_signature_name(f->signature));
    return 1;
}

/* 403 Stale Date names it (RFC 8224 §6.2.2); a plain 403 or a 438 names it when our own
 * check finds the iat more than 60 s old (or in the future) at the moment it was sent. */
static int m_stale(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    int stale_finding = finding(f, STIR_F_iat_stale) || finding(f, STIR_F_iat_future);
    int said = stir_code(f, 403) && (f->implied_code == 403 || f->stir_cause == 403);
    if (!said && !((stir_code(f, 403) || stir_code(f, 438)) && stale_finding)) return 0;
    ev_final(f, v);
    if (f->iat_age_s != INT64_MIN)
        ev(v, "iat %lld s %s when the INVITE was sent (limit 60 s)",
           (long long)(f->iat_age_s < 0 ? -f->iat_age_s : f->iat_age_s),
           f->iat_age_s < 0 ? "in the future" : "old");
    ev_reason(f, v);
    return 1;
}

static int m_use_identity(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!stir_code(f, 428)) return 0;
    ev_final(f, v);
    ev_identity(f, v);
    return 1;
}

static int m_carrier_unsigned(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    if (!refused(f) || f->has_identity || !c->carrier_rejects_unsigned ||
        f->final_code != c->unsigned_code)
        return 0;
    ev_final(f, v);
    ev(v, "no Identity header on INVITE");
    ev(v, "%s refused %u of %u unsigned calls with %u, %u of %u signed", carrier_of(c),
       c->unsigned_refused, c->unsigned_calls, c->unsigned_code, c->signed_refused, c->signed_calls);
    ev_reason(f, v);
    return 1;
}

static int m_carrier_low_attest(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    if (!refused(f) || (f->attest != 'B' && f->attest != 'C') || !c->carrier_rejects_low_attest ||
        f->final_code != c->low_attest_code)
        return 0;
    ev_final(f, v);
    ev(v, "Identity attest %c", f->attest);
    ev(v, "%s refused %u of %u B/C-attested calls with %u, %u of %u A-attested", carrier_of(c),
       c->low_refused, c->low_calls, c->low_attest_code, c->a_refused, c->a_calls);
    return 1;
}

static int m_network_blocked(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!f->network_blocked || !refused(f)) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    if (f->blocked_by_party[0] || f->redress[0])
        ev(v, "blocking party %s, redress %s", f->blocked_by_party[0] ? f->blocked_by_party : "?",
           f->redress[0] ? f->redress : "none given");
    return 1;
}

/* The caller's own SBC refusing at once: nothing upstream took the call on. A carrier across
 * a WAN answers a refusal after >= one round trip, and a B2BUA SBC relaying it has sent 100
 * Trying first (RFC 3261 §17.2.1); a local policy/capacity refusal comes in < 50 ms with
 * neither (reference §7 #18, #20). Peers named in --carriers are carriers, not own side. */
static int own_fast(const diag_facts *f, const diag_context *c, int code, diag_verdict *v) {
    if (f->final_code != code || f->trying || f->rang || !f->final_from_next_hop || c->carrier_named ||
        f->final_ms < 0 || f->final_ms >= 50)
        return 0;
    ev_final(f, v);
    ev(v, "from the first hop with no 100 Trying: nothing upstream took the call on");
    ev_reason(f, v);
    return 1;
}

static int m_own_fast(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    return own_fast(f, c, 403, v);
}

static int m_own_fast_capacity(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    return own_fast(f, c, 503, v);
}

static int m_flagged(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    if (!c->pair_flagged || !refused(f) || rang_long(f)) return 0;
    if (f->final_code != 403 && f->final_code != 480 && f->final_code != 603 && f->final_code != 608)
        return 0;
    ev_final(f, v);
    char since[32] = "?";
    time_t t = (time_t)(c->pair_since / SX_SEC);
    struct tm tm;
    if (c->pair_since && gmtime_r(&t, &tm)) strftime(since, sizeof since, "%Y-%m-%d %H:%M UTC", &tm);
    ev(v, "caller %s flagged at %s since %s%s%s%s", f->caller[0] ? f->caller : f->caller_raw,
       carrier_of(c), since, c->pair_reason ? " (" : "", c->pair_reason ? c->pair_reason : "",
       c->pair_reason ? ")" : "");
    if (f->jcard || f->blocked_by_party[0])
        ev(v, "analytics %s, redress %s", f->blocked_by_party[0] ? f->blocked_by_party : "?",
           f->redress[0] ? f->redress : "none given");
    return 1;
}

static int m_608_jcard(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 608 || !f->jcard) return 0;
    ev_final(f, v);
    ev(v, "Call-Info purpose=jwscard: %s, redress %s",
       f->blocked_by_party[0] ? f->blocked_by_party : "engine not named",
       f->redress[0] ? f->redress : "none given");
    return 1;
}

static int m_608(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 608) return 0;
    ev_final(f, v);
    ev(v, "no Call-Info jwscard (RFC 8688 §3.1: omitted only when abuse is suspected)");
    return 1;
}

static int m_607(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 607 && !(refused(f) && f->sip_cause == 607)) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

static int m_fast_603(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 603 || !fast_no_ring(f, 2000)) return 0;
    ev_final(f, v);
    ev(v, "declined in under 2 s without ringing: no person saw this call");
    ev_reason(f, v);
    return 1;
}

static int m_603_rang(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 603 || !f->rang) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

static int m_603_slow(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 603) return 0;
    ev_final(f, v);
    ev(v, "no ringing, but not an instant decline either");
    return 1;
}

static int m_busy(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!code_is(f, 486, 600)) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

/* Q.850 18 no user responding, 19 no answer, 20 subscriber absent (RFC 3398 §7.2.4.1). */
static int m_no_answer(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!code_is(f, 480, 487)) return 0;
    if (!f->rang && (f->q850 < 18 || f->q850 > 20)) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

static int m_no_answer_fast(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!code_is(f, 480, 487)) return 0;
    ev_final(f, v);
    ev(v, "no ringing and no Q.850 cause: silent treatment by analytics looks the same");
    return 1;
}

static int m_dest_unknown(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!code_is(f, 404, 410) && f->final_code != 604) return 0;
    ev_final(f, v);
    ev(v, "called number %s", f->callee[0] ? f->callee : "(not a number)");
    ev_reason(f, v);
    return 1;
}

static int m_dest_incomplete(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 484) return 0;
    ev_final(f, v);
    ev(v, "called number as sent: %s", f->callee[0] ? f->callee : "(not a number)");
    return 1;
}

static int m_codec(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!code_is(f, 488, 606) && f->final_code != 415) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

/* Q.850 34/38/41/42/47/58/88 map to 503 (RFC 3398 §7.2.4.1): no circuit, congestion. */
static int q850_capacity(int q) {
    return q == 34 || q == 38 || q == 41 || q == 42 || q == 47 || q == 58 || q == 88;
}

static int m_capacity(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 503 && !(f->final_code >= 500 && f->final_code < 600 && q850_capacity(f->q850)))
        return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

static int m_no_response(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!code_is(f, 408, 504) && f->end != CALL_END_NO_RESPONSE) return 0;
    if (f->final_code) ev_final(f, v);
    else ev(v, "no final response (timer B/C expired)");
    ev(v, "%u INVITE retransmissions%s", f->invite_retransmissions,
       f->trying ? ", 100 Trying received" : ", no 100 Trying");
    return 1;
}

static int m_route_failure(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code < 500 || f->final_code >= 600) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

/* A 403 to an unsigned call at a carrier whose signed calls never got that code, when there
 * are too few calls for R13 to call it the carrier's policy: a hint, not a finding. With no
 * signed calls at all (a capture without STIR) a 403 says nothing about signing. */
static int m_unsigned_403(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    if (f->final_code != 403 || f->has_identity || c->unsigned_code != 403 || !c->signed_calls ||
        c->signed_refused)
        return 0;
    ev_final(f, v);
    ev(v, "no Identity header on INVITE");
    ev(v, "%s refused %u of %u unsigned calls with 403, none of its %u signed calls", carrier_of(c),
       c->unsigned_refused, c->unsigned_calls, c->signed_calls);
    return 1;
}

static int m_403(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code != 403) return 0;
    ev_final(f, v);
    ev_identity(f, v);
    ev_reason(f, v);
    return 1;
}

static int m_unfinished(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (f->final_code || (f->end != CALL_END_EOF && f->end != CALL_END_EVICTED)) return 0;
    ev(v, f->end == CALL_END_EOF ? "the capture ended before any final response"
                                 : "evicted by the call limit before any final response");
    return 1;
}

static int m_refused_other(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    if (!refused(f)) return 0;
    ev_final(f, v);
    ev_reason(f, v);
    return 1;
}

static int m_fallback(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    (void)c;
    ev(v, "final %u, call ended by %s", f->final_code, call_end_name(f->end));
    return 1;
}

/* ---- The table ----
 * {id, title, who, cause, confidence, evidence it needs, explanation, remediation, match} */
#define A DIAG_BY_ANALYTICS
#define N DIAG_BY_NETWORK
#define C DIAG_BY_CALLEE
#define O DIAG_BY_OWN
#define U DIAG_BY_UNKNOWN
#define NONE DIAG_BY_NONE
static const diag_rule rules[] = {
    {"R01", "answered", NONE, DIAG_C_ANSWERED, 0.99f,
     "a 2xx final response",
     "the call was answered (a hang-up within 3 s is noted: screening app or instant hang-up)",
     "None; watch the short-call ratio of the number.", m_answered},
    {"R02", "caller cancelled", NONE, DIAG_C_NO_ANSWER, 0.9f,
     "CANCEL from the caller (then 487)",
     "the caller gave up (dialer no-answer timer); not a block",
     "None; tune the dialer's no-answer timer if it cuts ringing short.", m_caller_cancel},
    {"R03", "authentication failed", O, DIAG_C_AUTH_FAILURE, 0.9f,
     "a 401/407 not followed by a new INVITE, challenged again, or a 403 after the challenge",
     "the trunk's credentials or realm are wrong",
     "Fix the trunk credentials and realm.", m_auth},
    {"R04", "invalid caller ID", N, DIAG_C_INVALID_CALLER_ID, 0.85f,
     "403/404/603/608 without long ringing, a numeric caller ID impossible under NANP/E.164",
     "providers may block impossible caller IDs outright (FCC 2017 Call Blocking R&O)",
     "Present a valid E.164 number that you hold; clean the caller-ID list.", m_invalid_caller},
    {"R05", "anonymous refused", C, DIAG_C_ANONYMOUS_REJECTED, 0.95f,
     "433 Anonymity Disallowed",
     "the callee refuses calls with a withheld caller ID (RFC 5079)",
     "Present a caller ID.", m_anonymous},
    {"R06", "PASSporT TN mismatch", N, DIAG_C_IDENTITY_TN_MISMATCH, 0.95f,
     "438 (final or STIR Reason) and orig.tn or dest.tn differ from the call's numbers",
     "the numbers were changed after signing (or signed with the wrong TN)",
     "Sign with the caller ID actually sent (PAI/From) and do not rewrite numbers after signing.",
     m_tn_mismatch},
    {"R07", "PASSporT does not verify", N, DIAG_C_IDENTITY_BAD_SIGNATURE, 0.9f,
     "438 and the local check shows an invalid signature or undecodable Identity",
     "the Identity header was altered in transit or signed with a key that is not the certificate's",
     "Check that no SBC re-folds or truncates Identity, and that the signing key matches the x5u certificate.",
     m_bad_signature},
    {"R08", "stale PASSporT", N, DIAG_C_STALE_IDENTITY, 0.95f,
     "403 Stale Date (or STIR Reason 403), or a 403/438 with iat older than 60 s when sent",
     "the PASSporT was too old when the INVITE left (reused after queue/transfer, or clock skew)",
     "Sign at send time (re-sign after queues, IVRs and transfers) and keep the signer on NTP.",
     m_stale},
    {"R09", "438 Invalid Identity", N, DIAG_C_IDENTITY_BAD_SIGNATURE, 0.6f,
     "438 (final or STIR Reason) with no local explanation",
     "the verifier rejected the PASSporT; locally it looks fine (verify with the x5u certificate)",
     "Diff the full-form PASSporT claims against the SIP headers and verify it with the x5u certificate.",
     m_invalid_identity},
    {"R10", "certificate unreachable", N, DIAG_C_IDENTITY_CERT_UNREACHABLE, 0.9f,
     "436 Bad Identity Info (final or STIR Reason)",
     "the verifier could not fetch the x5u certificate (DNS, TLS, 404, timeout)",
     "Fix the certificate repository hosting behind x5u (https, DNS, reachability).",
     m_cert_unreachable},
    {"R11", "certificate untrusted", N, DIAG_C_IDENTITY_CERT_UNTRUSTED, 0.9f,
     "437 Unsupported Credential (final or STIR Reason)",
     "the signing certificate is expired, revoked or not from an approved STI-CA",
     "Renew the certificate through an approved STI-CA and serve its full chain.", m_cert_untrusted},
    {"R12", "Identity required", N, DIAG_C_UNSIGNED_CALL, 0.95f,
     "428 Use Identity Header (final or STIR Reason)",
     "the verifier requires a (supported) PASSporT and the call had none",
     "Sign the calls (SHAKEN, ppt shaken) before they leave.", m_use_identity},
    {"R13", "carrier refuses unsigned calls", N, DIAG_C_UNSIGNED_CALL, 0.9f,
     "no Identity, and the carrier refuses unsigned calls with this code while signed ones pass",
     "this carrier's policy: unsigned calls are refused",
     "Sign the calls (get your own SPC token and certificate, or have the upstream sign them).",
     m_carrier_unsigned},
    {"R14", "carrier refuses B/C attestation", N, DIAG_C_LOW_ATTESTATION, 0.85f,
     "attest B or C, and the carrier refuses B/C calls with this code while A calls pass",
     "this carrier's policy (or engine) penalises partial and gateway attestation",
     "Get A attestation: have the signer verify your right to these numbers.", m_carrier_low_attest},
    {"R15", "603+ network blocked", A, DIAG_C_NETWORK_BLOCKLIST, 0.95f,
     "603 Network Blocked with the ATIS-1000099 Reason (blocking party, redress contact)",
     "a network blocklist or analytics block notified per FCC 25-15",
     "Contact the redress address in the 603+; do not retry or route-advance these calls.",
     m_network_blocked},
    {"R16", "own side out of capacity", O, DIAG_C_CAPACITY, 0.9f,
     "a 5xx sent by a peer named own/self in --carriers",
     "the caller's own SBC or trunk ran out of channels, CPS or licences",
     "Raise the own SBC's channel/CPS limits or pace the dialer.", m_own_peer_capacity},
    {"R17", "own side refused", O, DIAG_C_OWN_POLICY, 0.9f,
     "a refusal sent by a peer named own/self in --carriers",
     "the caller's own SBC or dialer refused the call (ACL, caller-ID or route policy)",
     "Fix the own SBC's trunk configuration (ACL, allowed caller IDs, routes).", m_own_peer},
    {"R18", "own SBC refused at once", O, DIAG_C_OWN_POLICY, 0.6f,
     "403 from the first hop in < 50 ms, no 100 Trying, no 18x, peer not named a carrier",
     "nothing upstream took the call on: the caller's own SBC refused it (ACL, caller ID, route)",
     "Check the own SBC's ACL, allowed caller IDs and routes.", m_own_fast},
    {"R19", "own SBC at capacity", O, DIAG_C_CAPACITY, 0.6f,
     "503 from the first hop in < 50 ms, no 100 Trying, no 18x, peer not named a carrier",
     "nothing upstream took the call on: the caller's own SBC hit a channel, CPS or licence limit",
     "Raise the own SBC's limits or pace the dialer.", m_own_fast_capacity},
    {"R20", "caller ID flagged at carrier", A, DIAG_C_CALLER_ID_REPUTATION, 0.85f,
     "403/480/603/608 without long ringing while the caller ID x carrier pair is flagged",
     "the number's reputation at this carrier (velocity, short calls, reports) drives the refusals",
     "Pause or throttle the number, register it with the Free Caller Registry and the engine, then dispute.",
     m_flagged},
    {"R21", "608 with jCard", A, DIAG_C_ANALYTICS_REJECTED, 0.95f,
     "608 Rejected with Call-Info purpose=jwscard",
     "an analytics engine rejected the call and says who it is (RFC 8688)",
     "Register the number with the engine named in the jCard (and the Free Caller Registry) and use its redress contact.",
     m_608_jcard},
    {"R22", "608 without jCard", A, DIAG_C_ANALYTICS_REJECTED, 0.85f,
     "608 Rejected, no jwscard",
     "an intermediary's analytics rejected the call (RFC 8688)",
     "Register the number with the Free Caller Registry and dispute with the terminating carrier's engine.",
     m_608},
    {"R23", "607 unwanted", C, DIAG_C_CALLEE_UNWANTED, 0.9f,
     "607 Unwanted, or Reason SIP;cause=607",
     "the called person marked the caller as unwanted (RFC 8197); it feeds analytics",
     "Stop calling this callee from the number and check consent for the list.", m_607},
    {"R24", "instant 603", A, DIAG_C_ANALYTICS_REJECTED, 0.75f,
     "603 within 2 s and no 18x",
     "a decline too fast for a person: an automated (pre-603+) analytics or policy block",
     "Group these by carrier and dispute with its analytics engine; register the number.", m_fast_603},
    {"R25", "declined after ringing", C, DIAG_C_CALLEE_DECLINED, 0.85f,
     "603 after 18x",
     "a person saw the call and declined it",
     "None per call; a rising trend means the number is labelled as spam.", m_603_rang},
    {"R26", "603 without ringing", C, DIAG_C_CALLEE_DECLINED, 0.5f,
     "603 after 2 s or more, no 18x",
     "declined without ringing: a device rule (do-not-disturb) or a slow automated block",
     "Compare with the carrier's other 603s; register the number if the pattern repeats.", m_603_slow},
    {"R27", "busy", C, DIAG_C_BUSY, 0.9f,
     "486 Busy Here or 600 Busy Everywhere",
     "the callee was busy",
     "None; retry later.", m_busy},
    {"R28", "not answered", C, DIAG_C_NO_ANSWER, 0.8f,
     "480/487 after 18x, or with Q.850 cause 18/19/20",
     "it rang (or the callee is absent) and nobody answered",
     "None; retry at another time.", m_no_answer},
    {"R29", "480 without ringing", U, DIAG_C_NO_ANSWER, 0.4f,
     "480/487 with no 18x and no Q.850 cause",
     "unavailable at once: callee absent, or silent treatment by analytics",
     "Check the Reason and compare the carrier's 480 rate with other carriers.", m_no_answer_fast},
    {"R30", "number does not exist", C, DIAG_C_INVALID_DESTINATION, 0.9f,
     "404, 410 or 604",
     "the dialed number is unallocated, disconnected or changed",
     "Remove the number from the list (list hygiene, LNP dip).", m_dest_unknown},
    {"R31", "number incomplete", O, DIAG_C_INVALID_DESTINATION, 0.85f,
     "484 Address Incomplete",
     "the dialed digits are malformed",
     "Normalise dialed numbers to E.164.", m_dest_incomplete},
    {"R32", "no common media", N, DIAG_C_CODEC_MISMATCH, 0.9f,
     "488, 606 or 415",
     "the offer's codecs, SRTP or SDP were not acceptable",
     "Align codecs and SRTP settings with the carrier.", m_codec},
    {"R33", "no capacity", N, DIAG_C_CAPACITY, 0.85f,
     "503, or a 5xx with Q.850 34/38/41/42/47/58/88",
     "the carrier had no circuit or was congested",
     "Route to an alternate carrier and pace the calls.", m_capacity},
    {"R34", "no response", U, DIAG_C_NO_RESPONSE, 0.85f,
     "no final response before timer B/C, or 408/504",
     "the next hop never answered: dead hop, firewall, DNS/SRV or lost UDP fragments",
     "Check routing and firewalls; use TCP/TLS for large INVITEs.", m_no_response},
    {"R35", "server failure", N, DIAG_C_ROUTE_FAILURE, 0.7f,
     "another 5xx",
     "a server or route failed downstream",
     "Route to an alternate carrier and report the failure.", m_route_failure},
    {"R36", "403 to an unsigned call", N, DIAG_C_UNSIGNED_CALL, 0.45f,
     "403 and no Identity; the carrier's signed calls never got 403, but too few calls to call it policy",
     "unsigned calls are a common reason for a 403; more calls would confirm it",
     "Sign the calls, then see whether the 403s stop.", m_unsigned_403},
    {"R37", "403 Forbidden", N, DIAG_C_OTHER, 0.4f,
     "403 that no STIR, caller-ID or own-side evidence explains",
     "a policy refusal by whoever sent it",
     "Ask the carrier which policy sends 403 to these calls (quote the Reason).", m_403},
    {"R38", "capture ended", U, DIAG_C_OTHER, 0.2f,
     "no final response and the call was still open at the end of the input (or evicted)",
     "the capture does not show how the call ended",
     "Capture longer so that calls finish inside the capture.", m_unfinished},
    {"R39", "other refusal", U, DIAG_C_OTHER, 0.3f,
     "any other final response >= 300",
     "a refusal this table does not explain",
     "Look at the code and Reason with the carrier.", m_refused_other},
    {"R40", "nothing to go on", U, DIAG_C_OTHER, 0.1f,
     "anything else",
     "the evidence does not say",
     "Capture both legs of the call.", m_fallback},
};
#undef A
#undef N
#undef C
#undef O
#undef U
#undef NONE

const diag_rule *diag_rules(size_t *n) {
    *n = sizeof rules / sizeof *rules;
    return rules;
}

void diag_decide_ctx(const diag_facts *f, const diag_context *c, diag_verdict *v) {
    diag_decide_ctx_opt(f, c, 0, v);
}

void diag_decide_ctx_opt(const diag_facts *f, const diag_context *c, int quiet, diag_verdict *v) {
    static const diag_context none;
    if (!c) c = &none;
    memset(v, 0, offsetof(diag_verdict, evidence)); /* the strings need no clearing */
    v->nevidence = 0;
    v->quiet = (uint8_t)(quiet != 0);
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        /* A rule that does not match may have written evidence: forget it. The strings
         * themselves need no clearing (only the first nevidence are read), and clearing
         * ~800 bytes for each of up to 40 rules was a measurable part of the diagnosis. */
        v->nevidence = 0;
        if (!rules[i].match(f, c, v)) continue;
        v->blocked_by = rules[i].blocked_by;
        v->cause = rules[i].cause;
        v->confidence = rules[i].confidence;
        v->rule = rules[i].id;
        v->remediation = rules[i].remediation;
        return;
    }
}

/* R01 is first in the table and reads no context: an answered call's verdict is R01 whatever
 * other calls did (test_diag_agg checks this against the table on every scenario call). */
int diag_context_free(const diag_facts *f) {
    return rules[0].match == m_answered && f->final_code >= 200 && f->final_code < 300;
}

int diag_peer_is_own(const char *name) {
    if (!name) return 0;
    return !strcmp(name, "own") || !strcmp(name, "self") || !strncmp(name, "own-", 4) ||
           !strncmp(name, "self-", 5);
}
