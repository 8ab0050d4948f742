/* plan.c -- the plan (issue 5): one remediation item per cause that cost calls, ranked by
 * the calls it affects, naming the carriers and caller IDs concerned, the evidence (the
 * carrier's evident policy, the rules that decided, an example call) and the concrete
 * action. Built from diag_tally's counts (cause x carrier x caller ID); the actions follow
 * the reference §5 and §7. Causes that are not refusals (answered, busy, no answer, a person
 * declining after ringing) are not in the plan. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"

typedef struct plan_row {
    int cause;
    int policy;          /* the carrier policy that is evidence for it, or -1 */
    const char *title;
    const char *action;
} plan_row;

static const plan_row rows[] = {
    {DIAG_C_UNSIGNED_CALL, DIAG_P_REJECTS_UNSIGNED, "Sign every call",
     "sign calls with SHAKEN (RFC 8588) through your own certificate/SPC token or your upstream's "
     "signing service, with A attestation for numbers you hold"},
    {DIAG_C_LOW_ATTESTATION, DIAG_P_REJECTS_LOW_ATTEST, "Get A attestation",
     "prove your right to the numbers to the signer (TN ownership/LOA) so it signs A, or sign "
     "yourself with your own SPC token"},
    {DIAG_C_STALE_IDENTITY, DIAG_P_IAT_FRESHNESS, "Re-sign at send time or fix NTP",
     "create the PASSporT when the INVITE leaves (iat within 60 s, RFC 8224 §6.2), never reuse one "
     "across queues, IVRs or transfers, and sync the signer's clock with NTP"},
    {DIAG_C_IDENTITY_BAD_SIGNATURE, -1, "Fix the signature",
     "check the signing key matches the x5u certificate and that nothing rewrites the signed "
     "Identity or claims in the path"},
    {DIAG_C_IDENTITY_TN_MISMATCH, -1, "Sign the number you present",
     "put the caller ID actually sent (PAI/From, canonical E.164) in orig.tn and stop the SBC "
     "rewriting it after signing"},
    {DIAG_C_IDENTITY_CERT_UNREACHABLE, -1, "Host the certificate",
     "publish the x5u certificate at a reachable https URL (DNS, TLS, 200 OK quickly)"},
    {DIAG_C_IDENTITY_CERT_UNTRUSTED, -1, "Renew the certificate",
     "renew it through an approved STI-CA and check the chain to the STI-PA trust list"},
    {DIAG_C_ANALYTICS_REJECTED, DIAG_P_ANALYTICS_608, "Register and dispute the numbers",
     "register the numbers with the Free Caller Registry (freecallerregistry.com) and the engine "
     "named in the jCard, use its redress contact, and pause them until cleared"},
    {DIAG_C_CALLER_ID_REPUTATION, -1, "Pause or throttle the flagged numbers",
     "pause these numbers at these carriers, then re-warm them below ~80 calls/hour each with "
     "short calls < 15 %; register them with the Free Caller Registry and dispute with the "
     "carrier's analytics engine"},
    {DIAG_C_NETWORK_BLOCKLIST, DIAG_P_BLOCKLIST_603PLUS, "Use the 603+ redress",
     "file the dispute at the url/tel/email the 603+ Reason names; do not retry or route-advance "
     "these calls"},
    {DIAG_C_INVALID_CALLER_ID, DIAG_P_INVALID_CALLER, "Present valid numbers you hold",
     "replace caller IDs impossible under NANP (NPA/NXX starting 0/1, N11, 555-01XX, wrong length) "
     "with numbers assigned to you"},
    {DIAG_C_ANONYMOUS_REJECTED, -1, "Present a caller ID",
     "send a valid caller ID with presentation allowed to callees who refuse anonymous calls"},
    {DIAG_C_CALLEE_UNWANTED, -1, "Stop calling people who mark you unwanted",
     "remove those callees and check consent: 607 feeds the analytics engines (RFC 8197)"},
    {DIAG_C_INVALID_DESTINATION, -1, "Clean the dialing list",
     "remove disconnected and unallocated numbers (LNP dip, scrub 404/604 results) and normalize "
     "dialed numbers to E.164"},
    {DIAG_C_CAPACITY, DIAG_P_CONCURRENCY, "Raise capacity or pace",
     "raise the trunk's channel/CPS limit with the carrier or pace the dialer below the "
     "concurrency where 503s start"},
    {DIAG_C_NO_RESPONSE, -1, "Fix the route to the silent hop",
     "check reachability of the next hop (firewall, DNS/SRV, UDP fragments: try TCP/TLS)"},
    {DIAG_C_ROUTE_FAILURE, -1, "Route around failing carriers",
     "send these calls over an alternate route and escalate the 5xx with the carrier"},
    {DIAG_C_AUTH_FAILURE, -1, "Fix trunk authentication",
     "correct the credentials/realm the 401/407 challenges ask for"},
    {DIAG_C_CODEC_MISMATCH, -1, "Align codecs",
     "offer a codec/SRTP profile the far end accepts (keep a G.711 fallback)"},
    {DIAG_C_OWN_POLICY, -1, "Fix your own SBC's policy",
     "check your SBC/dialer ACLs, caller ID and destination rules and limits"},
    {DIAG_C_OTHER, -1, "Review the other refusals",
     "look at the example call with `sipdx show CALL-ID FILE`"},
};

/* The k largest entries of v (n of them), as indexes into order; returns how many. */
static size_t top_k(const uint64_t *v, size_t n, size_t *order, size_t k) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i]) continue;
        size_t at = m < k ? m++ : k;
        if (at == k && v[i] <= v[order[k - 1]]) continue;
        if (at == k) at = k - 1;
        while (at > 0 && v[order[at - 1]] < v[i]) order[at] = order[at - 1], at--;
        order[at] = i;
    }
    return m;
}

static void list_carriers(const diag *d, int cause, agg_plan_item *it) {
    uint64_t *v = calloc(d->ncar ? d->ncar : 1, sizeof *v);
    size_t order[3];
    if (!v) return;
    for (size_t i = 0; i < d->ncar; i++) v[i] = d->car[i].cause[cause];
    it->ncar = top_k(v, d->ncar, order, 3);
    for (size_t i = 0; i < it->ncar; i++) it->car[i] = (agg_ref){(uint32_t)order[i], v[order[i]]};
    free(v);
}

static void list_callers(const diag *d, int cause, agg_plan_item *it) {
    uint64_t *v = calloc(d->npairs ? d->npairs : 1, sizeof *v);
    size_t order[5];
    if (!v) return;
    for (size_t i = 0; i < d->npairs; i++) v[i] = d->pairs[i].cause[cause];
    it->npair = top_k(v, d->npairs, order, 5);
    for (size_t i = 0; i < it->npair; i++) it->pair[i] = (agg_ref){(uint32_t)order[i], v[order[i]]};
    free(v);
}

/* Evidence: the policy sentence of the carrier most concerned, a flagged pair's reason,
 * the rules that decided, an example call. */
static void evidence(const diag *d, const plan_row *row, agg_plan_item *it) {
    size_t at = 0, n = sizeof it->evidence;
    const agg_carrier *best = NULL;
    for (size_t i = 0; i < d->ncar; i++)
        if (d->car[i].cause[row->cause] && (!best || d->car[i].cause[row->cause] > best->cause[row->cause]))
            best = &d->car[i];
    if (best && row->policy >= 0 && best->pol[row->policy].on)
        at += (size_t)snprintf(it->evidence + at, n - at, "%s %s; ", best->name, best->pol[row->policy].sentence);
    if (best && row->cause == DIAG_C_ANALYTICS_REJECTED && !best->pol[DIAG_P_ANALYTICS_608].on &&
        best->pol[DIAG_P_FAST_DECLINE].on && at < n)
        at += (size_t)snprintf(it->evidence + at, n - at, "%s %s; ", best->name, best->pol[DIAG_P_FAST_DECLINE].sentence);
    if (row->cause == DIAG_C_CALLER_ID_REPUTATION)
        for (size_t i = 0; i < d->npairs && at < n; i++)
            if (d->pairs[i].status == DIAG_ST_FLAGGED && d->pairs[i].cause[row->cause]) {
                at += (size_t)snprintf(it->evidence + at, n - at, "%s at %s: %s; ", d->pairs[i].caller,
                                       d->car[d->pairs[i].carrier].name, agg_pair_reason(d, &d->pairs[i]));
                break;
            }
    const agg_rulecount *rc = d->rules[row->cause];
    for (int k = 0; k < 4 && rc[k].rule && at < n; k++)
        at += (size_t)snprintf(it->evidence + at, n - at, "rule %s %" PRIu64 " calls; ", rc[k].rule, rc[k].n);
    if (d->example[row->cause][0] && at < n)
        snprintf(it->evidence + at, n - at, "example call %s", d->example[row->cause]);
}

static void action(const diag *d, const plan_row *row, agg_plan_item *it) {
    const char *entity = NULL;
    if (row->cause == DIAG_C_ANALYTICS_REJECTED || row->cause == DIAG_C_CALLER_ID_REPUTATION)
        for (size_t i = 0; i < d->ncar && !entity; i++)
            if (d->car[i].cause[row->cause] && d->car[i].entity608[0]) entity = d->car[i].entity608;
    if (entity)
        snprintf(it->action, sizeof it->action, "%s (the jCard names %s)", row->action, entity);
    else snprintf(it->action, sizeof it->action, "%s", row->action);
}

size_t agg_plan(const diag *d, agg_plan_item *items, size_t max) {
    size_t n = 0;
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        int c = rows[r].cause;
        if (!d->cause[c]) continue;
        /* insertion by calls affected, most first; ties keep the table's order */
        size_t at = n < max ? n++ : max;
        if (at == max && d->cause[c] <= items[max - 1].calls) continue;
        if (at == max) at = max - 1;
        while (at > 0 && items[at - 1].calls < d->cause[c]) items[at] = items[at - 1], at--;
        agg_plan_item *it = &items[at];
        memset(it, 0, sizeof *it);
        it->cause = c;
        it->calls = d->cause[c];
        snprintf(it->title, sizeof it->title, "%s", rows[r].title);
        action(d, &rows[r], it);
        evidence(d, &rows[r], it);
        list_carriers(d, c, it);
        list_callers(d, c, it);
    }
    return n;
}
