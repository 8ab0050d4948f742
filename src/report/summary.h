/* summary.h -- what `sipdx analyze` reports about a capture: outcomes by final code and by
 * responding peer, RFC 6076 ratios with blocks kept apart, failing destinations.
 * Memory is bounded: per-code counters (100..699) and a capped table of peers; calls are
 * folded in one at a time and never kept. */
#ifndef SX_SUMMARY_H
#define SX_SUMMARY_H

#include <stdio.h>

#include "../base/tally.h"
#include "../call/call.h"
#include "../base/carriers.h"

typedef struct summary summary;

/* How the run went, for the header and the speed line. */
typedef struct sum_run {
    const sx_tally *tally;
    const ct_counters *ct;
    double seconds;
    sx_time first_ts, last_ts;
    int nfiles;
} sum_run;

summary *sum_new(const carriers *names);
void sum_call(summary *s, const call_record *r);
void sum_text(const summary *s, const sum_run *run, FILE *out);
void sum_json(const summary *s, const sum_run *run, FILE *out);
void sum_free(summary *s);

/* Is this outcome a block (call-blocking.md §6: 603+, 607, 608, and a 603 within 2 s with
 * no ringing)? Blocks stay out of the NER/SEER numerator and have their own ratio. */
int sum_is_block(const call_record *r);

#endif
