/* decide.c -- phase 2 of diag.h: the verdict of one call is the rule table (rules.c) applied
 * to its facts and to what the aggregates learnt from the other calls (agg.c). Kept apart
 * from rules.c so the rule tests link without the aggregates. */
#include "agg_int.h"
#include "diag.h"

/* --carriers names the peer that refused (or the next hop) as a carrier: then the own-side
 * timing heuristic must not call it ours (rules.c R18/R19). */
static int named_carrier(const diag *d, const diag_facts *f) {
    const carriers *names = d ? d->cfg.names : NULL;
    if (!names) return 0;
    const char *n = f->final_addr.family ? carriers_by_addr(names, &f->final_addr) : NULL;
    if (!n && f->next_hop.family) n = carriers_by_addr(names, &f->next_hop);
    return n && !diag_peer_is_own(n);
}

void diag_decide(const diag *d, const diag_facts *f, diag_verdict *v) {
    diag_decide_opt(d, f, 0, v);
}

void diag_decide_opt(const diag *d, const diag_facts *f, int quiet, diag_verdict *v) {
    /* Nobody reads the evidence and the deciding rule reads no context (an answered call):
     * the verdict is the same without the context, which would cost a cache miss on the
     * call's carrier and pair for most calls of a run (test_diag_agg checks the verdicts). */
    if (quiet && diag_context_free(f)) {
        diag_decide_ctx_opt(f, NULL, 1, v);
        return;
    }
    diag_context ctx;
    diag_context_of(d, f, &ctx);
    if (!ctx.carrier_named) ctx.carrier_named = (uint8_t)named_carrier(d, f);
    diag_decide_ctx_opt(f, &ctx, quiet, v);
}
