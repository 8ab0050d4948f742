/* agg_int.h -- inside the aggregates (agg.c, onset.c, plan.c, out.c): per carrier and per
 * caller ID x carrier counters over sparse time buckets, the streaming onset state, and the
 * carrier policy evidence. Memory: carriers x buckets + pairs x buckets, every table capped;
 * nothing here grows with the number of calls. */
#ifndef SX_DIAG_AGG_INT_H
#define SX_DIAG_AGG_INT_H

#include <stdint.h>

#include "diag.h"

#define AGG_KEY 48              /* caller ID or carrier name as a key (SX_ADDR_STRLEN fits) */
#define AGG_PAIR_BUCKETS 256    /* per pair; beyond, adjacent buckets merge (width doubles) */
#define AGG_CARRIER_BUCKETS 512 /* per carrier, likewise */
#define AGG_HLL 64              /* HyperLogLog registers for distinct callees (~13 % error) */
#define AGG_EPISODES 4          /* past blocks of a pair that lifted again */
#define AGG_MIN_REFUSED 5       /* refusals a sustained block needs */
#define AGG_SHORT_MS 6000       /* a short call: answered, talk < 6 s (reference §6 SCR) */
#define AGG_OTHER "(other)"     /* carrier that collects calls beyond max_carriers */
#define AGG_ADDR_SLOTS 8192     /* next-hop address -> carrier cache (formatting and prefix
                                   matching once per address, not per call) */

/* What kind of outcome a call had, from its codes alone (phase 1: verdicts come later). */
enum agg_class {
    AGG_CL_ANSWERED,   /* 2xx */
    AGG_CL_CALLEE,     /* busy, no answer, declined after ringing, 487 */
    AGG_CL_REPUTATION, /* 608, 603+, 607, 603 fast without ringing: an analytics verdict */
    AGG_CL_STIR,       /* 403/428/436/437/438: policy on the signature */
    AGG_CL_DEST,       /* 404/484/410/604 */
    AGG_CL_CAPACITY,   /* 5xx */
    AGG_CL_NORESP,     /* 408, no final response */
    AGG_CL_OTHER,
    AGG_CL__COUNT
};

/* Codes the carrier timeline keeps apart; the rest go to "other". */
#define AGG_CODES(X) X(403) X(404) X(408) X(480) X(486) X(487) X(488) X(503) X(603) X(607) X(608)
enum { AGG_NCODES = 12 };       /* 11 watched codes + other failures */

/* agg_pair.tn: the caller ID's validity (diag_tn_check_caller, less the neighbor test that
 * reads the callee) depends only on the pair's key, given whether the key came from the
 * canonical caller or from the user part as written. */
enum { AGG_TN_KNOWN = 1, AGG_TN_E164 = 2, AGG_TN_INVALID = 4 };

/* Kinds of reputation refusal, for the "why". */
enum agg_rep { AGG_R_608, AGG_R_603PLUS, AGG_R_603FAST, AGG_R_607, AGG_R_403A, AGG_R__COUNT };

typedef struct agg_pbucket {
    int64_t k;                  /* start / (bucket << shift) */
    sx_time first;              /* first call start in it */
    uint32_t attempts, answered, short_calls, blocked; /* what the timeline and onset read */
} agg_pbucket;

typedef struct agg_cbucket {
    int64_t k;
    uint32_t attempts, answered, blocked;
    uint32_t codes[AGG_NCODES];
    uint32_t cause[DIAG_C__COUNT]; /* diag_tally (phase 2; phase 1 for answered calls) */
} agg_cbucket;

/* Sparse buckets: sorted by k; when full, the width doubles and neighbours merge. */
typedef struct agg_series {
    void *b;
    uint32_t n, cap;
    uint8_t shift;
} agg_series;

typedef struct agg_episode {
    sx_time since, until;
    uint32_t refused, calls;
} agg_episode;

/* The streaming run of refusals (onset.c): +2 per refusal, -3 per call that got through
 * (so a run holds while >= 60 % are refused); it ends below -6 (three good calls right
 * after a lone refusal end it). */
typedef struct agg_run {
    uint8_t active;
    int32_t score;
    sx_time since, last;
    uint32_t refused, good;
    uint64_t rep[AGG_R__COUNT];
} agg_run;

typedef struct agg_pair {
    /* Ordered by who reads it (8000 pairs touched at random: every call misses the cache on
     * its pair): what a lookup and phase 2's context read, in the first cache line; what
     * phase 1 updates per call, contiguous after it; phase 2's tally; then what only
     * diag_finalize and the reports read. Only counters something reads are kept, and the
     * texts live outside (a 320-byte reason per pair made the table ~1 KB a pair, ~8 MB for
     * 8000 pairs, when most pairs are clean and have none). */
    char caller[AGG_KEY];
    uint32_t carrier;
    uint8_t status;             /* diag_finalize: enum diag_status */
    uint8_t nep;
    uint8_t has_reason;         /* diag_finalize: a reason at reason_at (agg_pair_reason) */
    uint8_t tn;                 /* the caller ID check, once per pair: AGG_TN_* bits, 0 = not yet */
    sx_time since;
    /* phase 1 */
    sx_time first, last;
    uint64_t attempts, answered, short_calls, blocked, talk_ms, neighbor, invalid;
    uint64_t attest[4], rep[AGG_R__COUNT];
    uint8_t hll[AGG_HLL];
    agg_series s;               /* of agg_pbucket */
    agg_run run;
    /* diag_tally */
    uint32_t cause[DIAG_C__COUNT];
    /* cold */
    uint32_t reason_at;         /* diag_finalize: offset of the reason in d->rtext */
    const char *invalid_reason; /* the first diag_tn_check reason (static), NULL if none */
    agg_episode *ep;            /* AGG_EPISODES, allocated with the first episode (rare) */
    /* diag_finalize */
    double peak_h, mean_h;
} agg_pair;

/* Concurrency estimate: a ring of 500 ms slots over a 68-minute window, +1 at a call's start
 * slot and -1 at its end slot, with the calls started in each slot. As the calls' ends move
 * past the window, the oldest slots are folded into a histogram by level (active calls):
 * calls started and 503s at each level. A call learnt after its slots were folded counts from
 * the oldest open slot (only calls longer than the window, or emitted very late). */
#define AGG_GRID 8192
#define AGG_GRID_US (500 * (sx_time)SX_MSEC)
#define AGG_LEVELS 256
typedef struct agg_grid {
    sx_time base;               /* time of absolute slot 0 */
    int64_t done, top;          /* slots < done are folded; highest slot touched */
    int32_t level;              /* active calls after the last folded slot */
    int32_t diff[AGG_GRID];
    uint32_t starts[AGG_GRID], refused[AGG_GRID];
    uint64_t lv_starts[AGG_LEVELS], lv_refused[AGG_LEVELS];
} agg_grid;

/* A policy found for a carrier (diag_finalize). */
typedef struct agg_policy {
    uint8_t on;
    uint64_t calls;             /* calls it explains */
    char sentence[DIAG_SENTENCE];
} agg_policy;

typedef struct agg_mode {       /* the most frequent small value (Q.850 cause, code) */
    int16_t v[4];
    uint32_t n[4];
} agg_mode;

typedef struct agg_carrier {
    char name[AGG_KEY];
    uint64_t attempts, answered, blocked, talk_ms;
    uint64_t cls[AGG_CL__COUNT];
    uint32_t *codes;            /* [700] by final code */
    uint64_t cause[DIAG_C__COUNT];
    agg_series s;               /* of agg_cbucket */
    agg_grid *grid;
    /* STIR policy evidence (reference §7 #6, #11, #12, #28) */
    uint64_t unsigned_calls, signed_calls, a_calls, low_calls;
    uint64_t unsigned_by[3], signed_by[3], a_by[3], low_by[3]; /* refused with 403, 428, 608 */
    agg_mode unsigned_q850, low_q850;
    char unsigned_phrase[DIAG_PHRASE];
    uint64_t stale_refused, fresh_ok;
    int64_t stale_min_age, fresh_max_age;
    /* analytics and blocklists (#1, #2, #3) */
    uint64_t n608, n608_jcard, n603plus, n603fast, n607;
    char entity608[DIAG_NAME], redress608[DIAG_URL];
    char party603[DIAG_NAME], redress603[DIAG_URL];
    uint64_t invalid_calls, invalid_refused, valid_calls, valid_refused;
    uint64_t n503;
    /* diag_finalize */
    agg_policy pol[DIAG_P__COUNT];
    uint32_t concurrency_limit;
    uint16_t unsigned_code, low_code;
} agg_carrier;

typedef struct agg_rulecount {
    const char *rule;
    uint64_t n;
} agg_rulecount;

struct diag {
    diag_config cfg;
    agg_carrier *car;
    size_t ncar, capcar;
    uint64_t *car_idx;          /* open addressing: hash tag | index + 1, 0 = empty */
    size_t car_slots;
    struct agg_addr_slot { sx_addr a; uint32_t idx1; } *addr; /* AGG_ADDR_SLOTS, idx1 0 = empty */
    size_t naddr;
    agg_pair *pairs;
    size_t npairs, cappairs;
    uint64_t *pair_idx;
    size_t pair_slots;
    diag_counts cnt;
    sx_time t0, t1;             /* first and last call start */
    int finalized;
    /* diag_tally: per cause, the rules that decided and an example call */
    uint64_t cause[DIAG_C__COUNT];
    agg_rulecount rules[DIAG_C__COUNT][4];
    char example[DIAG_C__COUNT][64];
    uint64_t example_seq[DIAG_C__COUNT]; /* the example's seq: the earliest wins */
    /* diag_finalize: the pairs' reasons, NUL-terminated one after the other */
    char *rtext;
    size_t rlen, rcap;
};

/* A pair's reason after diag_finalize ("" when it has none). */
static inline const char *agg_pair_reason(const diag *d, const agg_pair *p) {
    return p->has_reason ? d->rtext + p->reason_at : "";
}
static inline const char *agg_invalid_reason(const agg_pair *p) {
    return p->invalid_reason ? p->invalid_reason : "";
}

/* agg.c */
int agg_class_of(const diag_facts *f);
int agg_rep_of(const diag_facts *f);  /* enum agg_rep, or -1: not a reputation refusal */
const agg_pair *agg_find_pair(const diag *d, const char *caller, const char *carrier);
const agg_carrier *agg_find_carrier(const diag *d, const char *name);
double agg_hll_estimate(const uint8_t *reg);
/* "14:05" (UTC) */
const char *agg_hhmm(sx_time t, char *buf, size_t n);

/* onset.c */
void agg_run_step(agg_pair *p, const diag_facts *f, int rep, int good);
/* reason: DIAG_REASON bytes, gets the pair's reason ("" when none) */
void agg_onset_finalize(diag *d, agg_pair *p, char *reason);
void agg_grid_add(agg_carrier *c, const diag_facts *f);
void agg_policy_finalize(agg_carrier *c);

/* plan.c */
#define AGG_PLAN_MAX 24
typedef struct agg_ref {
    uint32_t idx;               /* into d->car or d->pairs */
    uint64_t n;                 /* calls with the item's cause */
} agg_ref;
typedef struct agg_plan_item {
    int cause;
    uint64_t calls;
    char title[96];
    char action[320];
    char evidence[480];
    agg_ref car[3], pair[5];    /* the carriers and caller IDs most concerned */
    size_t ncar, npair;
} agg_plan_item;
size_t agg_plan(const diag *d, agg_plan_item *items, size_t max);

#endif
