/* onset.c -- since when is a caller ID flagged at a carrier, why, and what each carrier
 * evidently does (issue 5; reference §5, §7 #1-#3, #6, #11-#12, #17-#19, #25-#28).
 *
 * Onset. A pair's calls are read in the order they end (close to the order they start for
 * refusals, which are short). A run starts at a reputation refusal (agg_rep_of) and scores
 * +2 per refusal and -3 per call that got through (answered, rang, busy), so it holds while
 * at least 60 % of the calls that reach a verdict are refused; it ends when the score falls
 * below -6 -- a lone refusal followed by three good calls is no block. Calls that say
 * nothing about the caller ID (503, 404, timeouts, signature policy) do not move it. A pair
 * is flagged when the run is still alive at the end of the capture with >= 5 refusals and
 * >= 50 % of its calls refused; `since` is the start of its earliest refused call, i.e. the
 * first call of the sustained block, not an isolated earlier refusal. Runs that held and
 * then ended are kept as episodes (at_risk, and their calls still count as flagged).
 *
 * At risk means "act soon", so each reason needs its own minimum evidence (the RISK_*
 * table below; docs/diagnosis.md explains the figures): a ratio read on a handful of calls
 * is noise. Attestation mix, neighbor spoofing, distinct callees and an invalid number are
 * secondary: they explain a pair that is flagged or at risk for another reason and are
 * reported per number, but never make a pair at risk alone.
 *
 * Policies are sentences with the numbers behind them, inferred only when the evidence
 * separates the groups (e.g. unsigned calls refused, signed ones not). */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"

#define RUN_UP 2
#define RUN_DOWN 3
#define RUN_FLOOR (-6)

/* What makes a pair at risk (reference §5 published limits, §6 SCR). Primary reasons: */
#define RISK_SCR_ANSWERED 20   /* short-call ratio read only on >= 20 answered calls ... */
#define RISK_SCR_LIMIT 0.15    /* ... and at risk when it is above 15 % (healthy < 15 %) */
#define RISK_SCR_Z 1.645       /*     with 95 % one-sided confidence (Wilson lower bound) */
#define RISK_INFERRED 2        /* refusals without a block: one 608/603+ (an engine or list
                                  named the number), else >= 2 (one fast 603 or 607 can be a
                                  single callee's own blocking setting) */
#define RISK_PEAK_H 100        /* busiest hour >= 100 calls (published 80-100/TN/hour) */
#define RISK_VEL_BASE_S 1800   /* velocity: the rate before is measured over >= 30 min ... */
#define RISK_VEL_FACTOR 2      /* ... and a bucket runs at >= 2x it ... */
#define RISK_VEL_DELTA_H 20    /* ... and >= 20 calls/hour above it */
/* Secondary reasons (named in a reason, never alone): */
#define RISK_MIX_CALLS 10      /* attestation mix and neighbor spoofing: >= 10 calls */
#define RISK_CALLEES 50        /* distinct callees worth naming */

/* ---- onset ---- */

static void run_close(agg_pair *p) {
    agg_run *r = &p->run;
    /* few pairs ever have an episode: their room is allocated with the first (none when
     * out of memory) */
    if (r->active && r->refused >= AGG_MIN_REFUSED && r->refused * 2 >= r->refused + r->good &&
        (p->ep || (p->ep = calloc(AGG_EPISODES, sizeof *p->ep)))) {
        if (p->nep == AGG_EPISODES) { /* keep the latest ones */
            memmove(&p->ep[0], &p->ep[1], (AGG_EPISODES - 1) * sizeof p->ep[0]);
            p->nep--;
        }
        p->ep[p->nep++] = (agg_episode){r->since, r->last, r->refused, r->refused + r->good};
    }
    memset(r, 0, sizeof *r);
}

void agg_run_step(agg_pair *p, const diag_facts *f, int rep, int good) {
    agg_run *r = &p->run;
    if (rep >= 0) {
        if (!r->active) {
            memset(r, 0, sizeof *r);
            r->active = 1;
            r->since = f->start;
        }
        r->score += RUN_UP;
        r->refused++;
        r->rep[rep]++;
        if (f->start < r->since) r->since = f->start;
        if (f->start > r->last) r->last = f->start;
    } else if (good && r->active) {
        r->score -= RUN_DOWN;
        r->good++;
        if (r->score < RUN_FLOOR) run_close(p);
    }
}

/* "went from 40 to 310 calls/hour at 14:05": the first bucket, up to `until`, whose rate is
 * at least RISK_VEL_FACTOR times the pair's rate before it and RISK_VEL_DELTA_H above it.
 * The rate before runs from the pair's first call (a partial first bucket is no baseline)
 * and needs RISK_VEL_BASE_S of history: engines watch rolling-hour velocity (reference §5). */
static int velocity(const diag *d, agg_pair *p, sx_time until, char *out, size_t n) {
    const agg_pbucket *b = p->s.b;
    sx_time w = d->cfg.bucket << p->s.shift;
    double per_h = 3600.0 * SX_SEC / (double)w, peak = 0;
    for (uint32_t i = 0; i < p->s.n; i++) peak = b[i].attempts * per_h > peak ? b[i].attempts * per_h : peak;
    p->peak_h = peak;
    double span_h = (double)(p->last - p->first + w) / (3600.0 * SX_SEC);
    p->mean_h = span_h > 0 ? (double)p->attempts / span_h : 0;
    uint64_t before = 0;
    for (uint32_t j = 0; j < p->s.n && b[j].first <= until; before += b[j++].attempts) {
        sx_time span = b[j].k * w - p->first;
        if (span < RISK_VEL_BASE_S * (sx_time)SX_SEC) continue;
        double base = (double)before * 3600.0 * SX_SEC / (double)span, rate = b[j].attempts * per_h;
        if (rate < RISK_VEL_FACTOR * base || rate - base < RISK_VEL_DELTA_H) continue;
        for (uint32_t k = j + 1; k < p->s.n && b[k].first <= until; k++)
            rate = b[k].attempts * per_h > rate ? b[k].attempts * per_h : rate;
        char hm[8];
        snprintf(out, n, "went from %.0f to %.0f calls/hour at %s", base, rate, agg_hhmm(b[j].first, hm, sizeof hm));
        return 1;
    }
    return 0;
}

/* Calls in the busiest hour: the most in any run of buckets spanning an hour (one bucket,
 * as a rate, when buckets are an hour or longer). A 15-minute burst is not an hour's rate. */
static double busiest_hour(const diag *d, const agg_pair *p) {
    const agg_pbucket *b = p->s.b;
    sx_time w = d->cfg.bucket << p->s.shift;
    int64_t m = 3600 * (sx_time)SX_SEC / w;
    if (m < 1) m = 1;
    uint64_t sum = 0;
    double best = 0;
    for (uint32_t i = 0, lo = 0; i < p->s.n; i++) {
        sum += b[i].attempts;
        while (b[lo].k <= b[i].k - m) sum -= b[lo++].attempts;
        double r = (double)sum * 3600.0 * SX_SEC / ((double)m * (double)w);
        best = r > best ? r : best;
    }
    return best;
}

/* Calls per hour in the whole buckets before the one holding t (0 when there are none). */
static double rate_before(const diag *d, const agg_pair *p, sx_time t) {
    const agg_pbucket *b = p->s.b;
    sx_time w = d->cfg.bucket << p->s.shift;
    if (!p->s.n) return 0;
    int64_t kt = t / w;
    uint64_t calls = 0;
    for (uint32_t i = 0; i < p->s.n && b[i].k < kt; i++) calls += b[i].attempts;
    int64_t span = kt - b[0].k;
    return span > 0 && calls ? (double)calls * 3600.0 * SX_SEC / ((double)span * (double)w) : 0;
}

static const char *const rep_what[AGG_R__COUNT] = {
    "608 (analytics)", "603+ Network Blocked", "603 in < 2 s without ringing",
    "607 (callees marked it unwanted)", "403 on A-attested calls"};

static int top_rep(const uint64_t *rep) {
    int best = 0;
    for (int i = 1; i < AGG_R__COUNT; i++) best = rep[i] > rep[best] ? i : best;
    return best;
}

/* Appends "; " and a formatted clause to out (length at); returns the new length. */
static size_t cat(char *out, size_t n, size_t at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static size_t cat(char *out, size_t n, size_t at, const char *fmt, ...) {
    if (at >= n - 1) return at;
    if (at) at += (size_t)snprintf(out + at, n - at, "; ");
    if (at >= n - 1) return n - 1;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + at, n - at, fmt, ap);
    va_end(ap);
    at += k > 0 ? (size_t)k : 0;
    return at < n ? at : n - 1;
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0; }

/* Short calls above the healthy 15 % with 95 % confidence, on >= 20 answered calls: the
 * Wilson score lower bound of short/answered must exceed the limit (at 20 answered it takes
 * 6 short, at 100 it takes 21), so a number at the limit is not at risk by chance. */
static int short_evident(const agg_pair *p) {
    if (p->answered < RISK_SCR_ANSWERED) return 0;
    double nn = (double)p->answered, r = (double)p->short_calls / nn, z2 = RISK_SCR_Z * RISK_SCR_Z;
    double low = (r + z2 / (2 * nn) - RISK_SCR_Z * sqrt(r * (1 - r) / nn + z2 / (4 * nn * nn))) / (1 + z2 / nn);
    return low > RISK_SCR_LIMIT;
}

/* The pattern traffic showed, as clauses of the reason, each with its numbers and only with
 * its minimum sample. Only the short-call ratio is a primary reason (short_evident). */
static size_t pattern(const agg_pair *p, char *out, size_t n, size_t at) {
    if (short_evident(p))
        at = cat(out, n, at, "short calls %" PRIu64 " of %" PRIu64 " answered (%.0f %%, < 6 s; healthy < 15 %%)",
                 p->short_calls, p->answered, pct(p->short_calls, p->answered));
    if (p->attempts >= RISK_MIX_CALLS && p->neighbor * 10 >= p->attempts * 3)
        at = cat(out, n, at, "neighbor spoofing: %" PRIu64 " of %" PRIu64 " calls share the callee's NPA-NXX",
                 p->neighbor, p->attempts);
    uint64_t low = p->attest[1] + p->attest[2] + p->attest[3];
    if (p->attempts >= RISK_MIX_CALLS && low * 2 > p->attempts)
        at = cat(out, n, at, "low attestation: %" PRIu64 " of %" PRIu64 " calls B, C or unsigned", low, p->attempts);
    if (p->invalid)
        at = cat(out, n, at, "invalid number%s%s", p->invalid_reason ? ": " : "", agg_invalid_reason(p));
    double callees = agg_hll_estimate(p->hll);
    if (callees >= RISK_CALLEES) at = cat(out, n, at, "~%.0f distinct callees", callees);
    return at;
}

static const char *first_party(const diag *d, const agg_pair *p, int rep) {
    const agg_carrier *c = &d->car[p->carrier];
    if (rep == AGG_R_608 && c->entity608[0]) return c->entity608;
    if (rep == AGG_R_603PLUS && c->party603[0]) return c->party603;
    return NULL;
}

void agg_onset_finalize(diag *d, agg_pair *p, char *reason) {
    char hm[8], vel[128];
    agg_run *r = &p->run;
    size_t at = 0, n = DIAG_REASON;
    reason[0] = '\0';
    if (r->active && r->refused >= AGG_MIN_REFUSED && r->refused * 2 >= r->refused + r->good) {
        p->status = DIAG_ST_FLAGGED;
        p->since = r->since;
        int top = top_rep(r->rep);
        const char *party = first_party(d, p, top);
        at = cat(reason, n, at, "%s from %s on (%" PRIu32 " of %" PRIu32 " calls refused%s%s)",
                 rep_what[top], agg_hhmm(r->since, hm, sizeof hm), r->refused, r->refused + r->good,
                 party ? ", by " : "", party ? party : "");
        double before = rate_before(d, p, r->since);
        if (velocity(d, p, r->since, vel, sizeof vel)) at = cat(reason, n, at, "%s", vel);
        else if (before > 0) at = cat(reason, n, at, "ran at ~%.0f calls/hour before the block", before);
        pattern(p, reason, n, at);
        return;
    }
    run_close(p);
    uint64_t reps = 0;
    for (int i = 0; i < AGG_R__COUNT; i++) reps += p->rep[i];
    int vel_up = velocity(d, p, INT64_MAX, vel, sizeof vel);
    double hour = busiest_hour(d, p);
    if (p->nep) {
        const agg_episode *e = &p->ep[p->nep - 1];
        char hm2[8];
        at = cat(reason, n, at, "was blocked from %s to %s (%" PRIu32 " of %" PRIu32 " refused), then got through",
                 agg_hhmm(e->since, hm, sizeof hm), agg_hhmm(e->until, hm2, sizeof hm2), e->refused, e->calls);
    } else if (reps) {
        at = cat(reason, n, at, "%" PRIu64 " %s refusal%s without a sustained block", reps,
                 rep_what[top_rep(p->rep)],
                 reps > 1 ? "s" : "");
    }
    int hot = hour >= RISK_PEAK_H;
    if (vel_up) at = cat(reason, n, at, "%s", vel);
    else if (hot) at = cat(reason, n, at, "%.0f calls in its busiest hour (published limits 80-100)", hour);
    pattern(p, reason, n, at);
    int named = p->rep[AGG_R_608] || p->rep[AGG_R_603PLUS];
    int risky = p->nep || named || reps >= RISK_INFERRED || vel_up || hot || short_evident(p);
    p->status = risky ? DIAG_ST_AT_RISK : DIAG_ST_CLEAN;
    if (!risky) reason[0] = '\0';
}

/* Turns a policy on with its sentence (vsnprintf: a long entity name is cut, never spills). */
static void policy_set(agg_policy *p, uint64_t calls, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void policy_set(agg_policy *p, uint64_t calls, const char *fmt, ...) {
    va_list ap;
    p->on = 1;
    p->calls = calls;
    va_start(ap, fmt);
    vsnprintf(p->sentence, sizeof p->sentence, fmt, ap);
    va_end(ap);
}

/* ---- concurrency: a grid of starts and ends per carrier ---- */

/* Folds the oldest open slot into the histogram by level. */
static void grid_fold(agg_grid *g) {
    size_t i = (size_t)(g->done % AGG_GRID);
    g->level += g->diff[i];
    int lv = g->level < 0 ? 0 : g->level >= AGG_LEVELS ? AGG_LEVELS - 1 : g->level;
    g->lv_starts[lv] += g->starts[i];
    g->lv_refused[lv] += g->refused[i];
    g->diff[i] = 0, g->starts[i] = g->refused[i] = 0;
    g->done++;
}

/* Folds until slot e fits in the window. A gap in capture time (a clock jump, a forged
 * 1970 timestamp) can span billions of slots: once the whole ring is folded the rest are
 * empty and add nothing to the histogram, so done jumps instead of folding one by one. */
static void grid_advance(agg_grid *g, int64_t e) {
    int64_t want = e - AGG_GRID + 1;
    for (int k = 0; k < AGG_GRID && g->done < want; k++) grid_fold(g);
    if (g->done < want) g->done = want;
}

static int64_t grid_slot(const agg_grid *g, sx_time t) {
    int64_t k = t < g->base ? 0 : (t - g->base) / AGG_GRID_US;
    return k < g->done ? g->done : k;
}

/* A call holds a channel from its start to its end (final response, or answer + talk). */
void agg_grid_add(agg_carrier *c, const diag_facts *f) {
    if (!c->grid) {
        if (!(c->grid = calloc(1, sizeof *c->grid))) return;
        c->grid->base = f->start - 600 * (sx_time)SX_SEC; /* calls learnt later started earlier */
    }
    agg_grid *g = c->grid;
    sx_time end = f->start;
    if (f->answer_ms >= 0 && f->talk_ms >= 0) end += ((sx_time)f->answer_ms + f->talk_ms) * SX_MSEC;
    else if (f->final_ms >= 0) end += (sx_time)f->final_ms * SX_MSEC;
    int64_t e = grid_slot(g, end);
    grid_advance(g, e);
    int64_t s = grid_slot(g, f->start);
    if (e > g->top) g->top = e;
    g->starts[s % AGG_GRID]++;
    g->refused[s % AGG_GRID] += f->final_code == 503;
    if (e > s) g->diff[s % AGG_GRID]++, g->diff[e % AGG_GRID]--;
}

/* "503 above ~N concurrent calls": N is the highest level of active calls at or above which
 * 90 % of the 503s came; kept only when 503s are common there (>= 20 % of the calls started)
 * and rare below (<= 5 % of >= 5 calls started). */
static void concurrency_policy(agg_carrier *c) {
    agg_grid *g = c->grid;
    if (!g) return;
    while (g->done <= g->top) grid_fold(g);
    if (c->n503 < 3) return;
    uint64_t total = 0;
    int maxc = 0;
    for (int lv = 0; lv < AGG_LEVELS; lv++) {
        total += g->lv_refused[lv];
        if (g->lv_starts[lv]) maxc = lv;
    }
    for (int N = maxc; N >= 1 && total; N--) {
        uint64_t below_ref = 0, below = 0, above_ref = 0, above = 0;
        for (int lv = 0; lv < AGG_LEVELS; lv++) {
            if (lv >= N) above += g->lv_starts[lv], above_ref += g->lv_refused[lv];
            else below += g->lv_starts[lv], below_ref += g->lv_refused[lv];
        }
        if (above_ref * 10 < total * 9) continue;
        if (above_ref * 5 >= above && below >= 5 && below_ref * 20 <= below) {
            c->concurrency_limit = (uint32_t)N;
            policy_set(&c->pol[DIAG_P_CONCURRENCY], c->n503,
                       "503 above ~%d concurrent calls (%" PRIu64 " of %" PRIu64 " calls started with >= %d "
                       "active got 503, %" PRIu64 " of %" PRIu64 " below)",
                       N, above_ref, above, N, below_ref, below);
        }
        break;
    }
}

/* ---- policies ---- */


static int mode_of(const agg_mode *m) {
    int best = -1;
    uint32_t bn = 0;
    for (int k = 0; k < 4; k++)
        if (m->n[k] > bn) bn = m->n[k], best = m->v[k];
    return best;
}

static void how(char *buf, size_t n, int code, int q850, const char *phrase) {
    if (q850 >= 0) snprintf(buf, n, "%d cause %d", code, q850);
    else if (phrase && phrase[0]) snprintf(buf, n, "%d \"%s\"", code, phrase);
    else snprintf(buf, n, "%d", code);
}

static const int by_code[3] = {403, 428, 608};

/* Refused with by_code[k] (nearly) only when unsigned: >= 3 and >= 80 % of the unsigned
 * calls, <= 20 % of the signed ones (reference §7 #6, #7). */
static void unsigned_policy(agg_carrier *c) {
    for (int k = 0; k < 3; k++) {
        uint64_t u = c->unsigned_by[k], s = c->signed_by[k];
        if (u < 3 || u * 5 < c->unsigned_calls * 4 || !c->signed_calls || s * 5 > c->signed_calls) continue;
        char h[80];
        how(h, sizeof h, by_code[k], k == 0 ? mode_of(&c->unsigned_q850) : -1, k == 0 ? c->unsigned_phrase : NULL);
        c->unsigned_code = (uint16_t)by_code[k];
        policy_set(&c->pol[DIAG_P_REJECTS_UNSIGNED], u,
                 "rejects unsigned calls with %s (%" PRIu64 " of %" PRIu64 " unsigned, %" PRIu64 " of %" PRIu64 " signed)",
                 h, u, c->unsigned_calls, s, c->signed_calls);
        return;
    }
}

/* B/C refused, A through (reference §7 #28). */
static void low_attest_policy(agg_carrier *c) {
    for (int k = 0; k < 3; k += 2) {
        uint64_t l = c->low_by[k], a = c->a_by[k];
        if (l < 3 || l * 5 < c->low_calls * 4 || !c->a_calls || a * 5 > c->a_calls) continue;
        char h[80];
        how(h, sizeof h, by_code[k], k == 0 ? mode_of(&c->low_q850) : -1, NULL);
        c->low_code = (uint16_t)by_code[k];
        policy_set(&c->pol[DIAG_P_REJECTS_LOW_ATTEST], l,
                 "rejects B/C-attested calls with %s (%" PRIu64 " of %" PRIu64 " B/C, %" PRIu64 " of %" PRIu64 " A)",
                 h, l, c->low_calls, a, c->a_calls);
        return;
    }
}

static void iat_policy(agg_carrier *c) {
    if (!c->stale_refused) return;
    char older[64] = "", fresh[96] = "";
    if (c->stale_min_age != INT64_MAX) snprintf(older, sizeof older, " whose PASSporT was >= %" PRId64 " s old", c->stale_min_age);
    if (c->fresh_ok && c->fresh_max_age != INT64_MIN)
        snprintf(fresh, sizeof fresh, "; %" PRIu64 " signed calls up to %" PRId64 " s old went through", c->fresh_ok, c->fresh_max_age);
    policy_set(&c->pol[DIAG_P_IAT_FRESHNESS], c->stale_refused,
             "enforces iat freshness (403 Stale Date on %" PRIu64 " calls%s%s)", c->stale_refused, older, fresh);
}

static void analytics_policy(agg_carrier *c) {
    if (c->n608) {
        char from[96] = "", contact[128] = "";
        if (c->entity608[0]) snprintf(from, sizeof from, " from %s", c->entity608);
        if (c->redress608[0]) snprintf(contact, sizeof contact, ", redress %s", c->redress608);
        policy_set(&c->pol[DIAG_P_ANALYTICS_608], c->n608,
                 "analytics with 608%s%s%s (%" PRIu64 " calls, %" PRIu64 " with a jCard)",
                 c->n608_jcard ? " + jCard" : "", from, contact, c->n608, c->n608_jcard);
    }
    if (c->n603plus) {
        char by[96] = "", url[128] = "";
        if (c->party603[0]) snprintf(by, sizeof by, " by %s", c->party603);
        if (c->redress603[0]) snprintf(url, sizeof url, " with redress %s", c->redress603);
        policy_set(&c->pol[DIAG_P_BLOCKLIST_603PLUS], c->n603plus,
                 "603+ Network Blocked%s%s (%" PRIu64 " calls)", by, url, c->n603plus);
    }
    if (c->n603fast >= 3) {
        policy_set(&c->pol[DIAG_P_FAST_DECLINE], c->n603fast,
                 "declines with 603 in < 2 s without ringing (%" PRIu64 " calls): an automated block, "
                 "not people", c->n603fast);
    }
    if (c->invalid_calls >= 1 && c->invalid_refused * 5 >= c->invalid_calls * 4 &&
        c->valid_refused * 2 < c->valid_calls) {
        policy_set(&c->pol[DIAG_P_INVALID_CALLER], c->invalid_refused,
                 "blocks invalid caller IDs (%" PRIu64 " of %" PRIu64 " invalid refused at once, %" PRIu64
                 " of %" PRIu64 " valid)", c->invalid_refused, c->invalid_calls, c->valid_refused, c->valid_calls);
    }
}

void agg_policy_finalize(agg_carrier *c) {
    unsigned_policy(c);
    low_attest_policy(c);
    iat_policy(c);
    analytics_policy(c);
    concurrency_policy(c);
}
