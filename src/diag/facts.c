/* facts.c -- the per-call facts the rules read (diag.h): a fixed-size, pointer-free copy of
 * what the call record and its signals say, so phase 1 can spill it to disk and phase 2 can
 * decide on it after the record is gone. Every string is cut to its buffer (never past a
 * view's length); absent values are -1 / 0 / "" as diag.h documents. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

/* Copies a view into a fixed buffer, cut at bufsz - 1 bytes, NUL-terminated. */
static void copy_sv(char *dst, size_t bufsz, sx_sv v) {
    size_t n = v.p ? (v.n < bufsz - 1 ? v.n : bufsz - 1) : 0;
    if (n) memcpy(dst, v.p, n);
    dst[n] = '\0';
}

static void copy_c(char *dst, size_t bufsz, const char *s) {
    copy_sv(dst, bufsz, s ? sx_sv_make(s, strlen(s)) : SX_SV_NULL);
}

/* Microseconds to milliseconds; -1 when not applicable (CALL_T_NONE) or negative. */
static int32_t to_ms(sx_time t) {
    if (t == CALL_T_NONE || t < 0) return -1;
    sx_time ms = t / SX_MSEC;
    return ms > INT32_MAX ? INT32_MAX : (int32_t)ms;
}

static int has_provisional(const call_record *r, int lo, int hi) {
    for (size_t i = 0; i < r->nprovisional; i++)
        if (r->provisional[i] >= lo && r->provisional[i] <= hi) return 1;
    return 0;
}

/* First Reason with this protocol: its cause, or -1. */
static int16_t reason_cause(const call_record *r, const char *proto) {
    for (size_t i = 0; i < r->nreasons; i++)
        if (sx_sv_ieq(r->reasons[i].protocol, proto) && r->reasons[i].cause >= 0)
            return (int16_t)(r->reasons[i].cause > INT16_MAX ? INT16_MAX : r->reasons[i].cause);
    return -1;
}

/* Appends up to n bytes of p, as "%.*s" would (it stops at a NUL), cut to the buffer. */
static void put_str(char *out, size_t bufsz, size_t *at, const char *p, size_t n) {
    n = p ? strnlen(p, n) : 0;
    size_t room = bufsz - 1 - *at;
    if (n > room) n = room;
    if (n) memcpy(out + *at, p, n); /* p may be NULL when n is 0 */
    *at += n;
}

/* The first Reason as it would be written in the header: Q.850;cause=21;text="..."
 * (put together by hand: snprintf cost ~2000 instructions a call that had a Reason). */
static void reason_line(const call_record *r, char *out, size_t bufsz) {
    out[0] = '\0';
    if (!r->nreasons) return;
    const call_reason *x = &r->reasons[0];
    size_t at = 0;
    put_str(out, bufsz, &at, x->protocol.p, x->protocol.n);
    if (x->cause >= 0) {
        char d[16];
        size_t k = sizeof d;
        unsigned v = (unsigned)x->cause;
        do d[--k] = (char)('0' + v % 10), v /= 10; while (v);
        put_str(out, bufsz, &at, ";cause=", 7);
        put_str(out, bufsz, &at, d + k, sizeof d - k);
    }
    if (x->text.n) { /* keep the line short and bounded */
        put_str(out, bufsz, &at, ";text=\"", 7);
        put_str(out, bufsz, &at, x->text.p, x->text.n > 60 ? 60 : x->text.n);
        put_str(out, bufsz, &at, "\"", 1);
    }
    out[at] = '\0';
}

static uint8_t verstat_code(const char *cls) {
    if (!cls) return 0;
    if (!strcmp(cls, "passed")) return 1;
    if (!strcmp(cls, "failed")) return 2;
    if (!strcmp(cls, "no_validation")) return 3;
    return 4;
}

/* The finding a response implies, when the finding vocabulary has one (436/437/438 name no
 * single finding: implied_code keeps them). */
static int8_t implied_finding(int code) {
    switch (code) {
    case 428: return STIR_F_identity_missing;
    case 403: return STIR_F_iat_stale;
    default: return -1;
    }
}

/* Request side: what the INVITE's Identity headers said (signal stage). The PASSporT's TNs
 * are evidence text only (diag_facts_quiet): a quiet run does not copy them. */
static void facts_identity(const sig_result *s, int quiet, diag_facts *f) {
    f->has_identity = (uint8_t)(s->nidentity > 255 ? 255 : s->nidentity);
    f->signature = (int8_t)(s->nidentity ? s->signature : -1);
    f->attest = (s->attest[0] == 'A' || s->attest[0] == 'B' || s->attest[0] == 'C') ? s->attest[0] : 0;
    f->stir_findings = s->findings.bits;
    int n = s->nidentity < SIG_MAX_IDENTITIES ? s->nidentity : SIG_MAX_IDENTITIES;
    for (int i = 0; i < n; i++) { /* the first decoded one names the TNs and the iat age */
        const sig_identity *id = &s->ids[i];
        if (id->decode_status != 0) continue;
        if (!quiet) {
            copy_c(f->orig_tn, sizeof f->orig_tn, id->orig_tn);
            copy_c(f->dest_tn, sizeof f->dest_tn, id->dest_tn);
        }
        if (id->iat > 0) f->iat_age_s = id->findings.iat_age;
        break;
    }
}

/* Response side: 603+, jCard, STIR Reason, implied finding, verstat. The blocking party and
 * the redress stay even when quiet: the carrier aggregates keep the first ones (agg.c). */
static void facts_signals(const sig_result *s, diag_facts *f) {
    f->network_blocked = (uint8_t)(s->blocked.present != 0);
    f->jcard = (uint8_t)(s->jcard.present != 0);
    if (s->stir_reason.present && s->stir_reason.cause >= 0)
        f->stir_cause = (int16_t)(s->stir_reason.cause > INT16_MAX ? INT16_MAX : s->stir_reason.cause);
    const char *party = s->blocked.present && s->blocked.party[0] ? s->blocked.party
                        : s->jcard.name[0]                       ? s->jcard.name
                                                                 : s->jcard.org;
    copy_c(f->blocked_by_party, sizeof f->blocked_by_party, party);
    /* Redress: the 603+ contacts first, then the jCard's, then the jwscard link itself. */
    const char *cands[] = {s->blocked.url, s->blocked.tel, s->blocked.email, s->jcard.url,
                           s->jcard.email, s->jcard.tel, s->jcard.link};
    f->redress[0] = '\0';
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
        if (cands[i][0]) {
            copy_c(f->redress, sizeof f->redress, cands[i]);
            break;
        }
    f->implied_code = (uint16_t)(s->implied.code > 0 ? s->implied.code : 0);
    f->implied_stir = implied_finding(s->implied.code);
    f->verstat = verstat_code(s->verstat_class);
}

static void facts_timing(const call_record *r, diag_facts *f) {
    f->final_ms = to_ms(r->timings.final);
    f->first_18x_ms = to_ms(r->timings.first_18x);
    f->answer_ms = to_ms(r->timings.answer);
    f->talk_ms = to_ms(r->timings.talk);
    f->rang = (uint8_t)(f->first_18x_ms >= 0 || has_provisional(r, 180, 189));
    f->early_media = (uint8_t)(r->early_media != 0);
    f->trying = (uint8_t)has_provisional(r, 100, 100);
}

void diag_facts_add_signals(const sig_result *s, diag_facts *f) { diag_facts_add_signals_opt(s, 0, f); }

void diag_facts_add_signals_opt(const sig_result *s, int quiet, diag_facts *f) {
    facts_identity(s, quiet, f);
    facts_signals(s, f);
}

void diag_facts_quiet(diag_facts *f) {
    f->phrase[0] = f->reason_line[0] = f->caller_src[0] = f->server[0] = '\0';
    f->orig_tn[0] = f->dest_tn[0] = f->blocked_by_party[0] = f->redress[0] = '\0';
}

/* The signal half's defaults (no Identity, no response signals). */
static void facts_no_signals(diag_facts *f) {
    f->attest = 0;
    f->signature = -1;
    f->stir_findings = 0;
    f->iat_age_s = INT64_MIN;
    f->network_blocked = 0;
    f->jcard = 0;
    f->blocked_by_party[0] = f->redress[0] = '\0';
    f->orig_tn[0] = f->dest_tn[0] = '\0';
    f->implied_stir = -1;
    f->verstat = 0;
    f->implied_code = 0;
}

/* The record half. Every field is set one by one rather than the whole struct cleared
 * first: the facts are 648 bytes, mostly string buffers that nothing reads past their NUL
 * (the spill keeps C strings), and the clearing (a `rep stos` per call) cost more than the
 * fields. A quiet run (no --calls, no --report) skips the text only the evidence shows
 * (diag_facts_quiet: the Reason line, the caller ID's source, the Server); the reason phrase
 * stays, the carrier aggregates keep the first one. */
_Static_assert(sizeof ((call_record *)0)->caller.e164 == DIAG_TN &&
               sizeof ((call_record *)0)->callee.e164 == DIAG_TN,
               "the record's E.164 forms are copied whole into the facts'");
static void facts_record(const call_record *r, uint64_t seq, int quiet, diag_facts *f) {
    f->seq = seq;
    f->car1 = f->pair1 = 0;
    f->start = r->start;
    copy_sv(f->call_id, sizeof f->call_id, r->call_id);
    memcpy(f->caller, r->caller.e164, sizeof f->caller); /* same size: asserted above */
    f->caller[sizeof f->caller - 1] = '\0';
    copy_sv(f->caller_raw, sizeof f->caller_raw, r->caller.user);
    memcpy(f->callee, r->callee.e164, sizeof f->callee);
    f->callee[sizeof f->callee - 1] = '\0';
    f->next_hop = r->dst;
    f->next_hop_port = r->dport;
    f->final_addr = r->final_addr;
    f->final_port = r->final_port;
    f->final_code = (uint16_t)(r->final_code > 0 && r->final_code < 1000 ? r->final_code : 0);
    copy_sv(f->phrase, sizeof f->phrase, r->final_reason);
    f->final_from_next_hop = (uint8_t)(r->final_addr.family && sx_addr_eq(&r->final_addr, &r->dst));
    f->hops = (uint8_t)(r->hops > 255 ? 255 : r->hops);
    if (quiet) {
        f->caller_src[0] = f->server[0] = f->reason_line[0] = '\0';
    } else {
        copy_c(f->caller_src, sizeof f->caller_src, r->caller.source);
        copy_sv(f->server, sizeof f->server, r->server.n ? r->server : r->user_agent);
        reason_line(r, f->reason_line, sizeof f->reason_line);
    }
    f->q850 = reason_cause(r, "Q.850");
    f->sip_cause = reason_cause(r, "SIP");
    f->stir_cause = reason_cause(r, "STIR");
    facts_timing(r, f);
    f->challenged = (uint8_t)(r->challenged != 0);
    f->challenge_unresolved = (uint8_t)(r->end == CALL_END_CHALLENGE || r->final_code == 401 ||
                                        r->final_code == 407);
    f->no_final_response = (uint8_t)(r->no_final_response != 0);
    f->end = (uint8_t)(r->end >= 0 && r->end < CALL_END__COUNT ? r->end : CALL_END_EOF);
    f->ended_by = (uint8_t)r->ended_by;
    f->invite_retransmissions =
        (uint16_t)(r->invite_retransmissions > UINT16_MAX ? UINT16_MAX : r->invite_retransmissions);
    f->has_identity = (uint8_t)(r->nidentity > 255 ? 255 : r->nidentity);
    facts_no_signals(f);
}

void diag_facts_from(const call_record *r, const sig_result *s, uint64_t seq, diag_facts *f) {
    diag_facts_from_opt(r, s, seq, 0, f);
}

void diag_facts_from_opt(const call_record *r, const sig_result *s, uint64_t seq, int quiet, diag_facts *f) {
    facts_record(r, seq, quiet, f);
    if (s) diag_facts_add_signals_opt(s, quiet, f);
}
