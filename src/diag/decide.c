/* decide.c -- phase 2 of diag.h: the verdict of one call is the rule table (rules.c) applied
 * to its facts and to what the aggregates learnt from the other calls (agg.c). Kept apart
 * from rules.c so the rule tests link without the aggregates. */
#include "diag.h"

void diag_decide(const diag *d, const diag_facts *f, diag_verdict *v) {
    diag_context ctx;
    diag_context_of(d, f, &ctx);
    diag_decide_ctx(f, &ctx, v);
}
