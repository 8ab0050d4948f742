/* out.c -- the diagnosis for people (diag_text: the plan, then carriers, then caller IDs,
 * flagged first) and for scripts (diag_json_keys: "diagnosis", "plan", "carriers",
 * "callers" in the --format json summary; diag_csv_callers / diag_csv_carriers).
 * JSON keys are documented in docs/diagnosis.md and stable. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"
#include "base/json.h"

#define TEXT_CALLERS 40    /* flagged / at-risk lines in the text report */
#define JSON_CALLERS 5000  /* caller entries in JSON (flagged and at-risk first) */

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0; }

/* ---- caller IDs in report order: flagged (by since), at risk, clean (by attempts) ---- */

typedef struct pair_ord {
    int status;
    sx_time since;
    uint64_t attempts;
    uint32_t idx;
} pair_ord;

static int cmp_pair(const void *a, const void *b) {
    const pair_ord *x = a, *y = b;
    if (x->status != y->status) return y->status - x->status;
    if (x->status == DIAG_ST_FLAGGED && x->since != y->since) return x->since < y->since ? -1 : 1;
    if (x->attempts != y->attempts) return x->attempts > y->attempts ? -1 : 1;
    return x->idx < y->idx ? -1 : 1;
}

static pair_ord *sorted_pairs(const diag *d) {
    pair_ord *o = malloc((d->npairs ? d->npairs : 1) * sizeof *o);
    if (!o) return NULL;
    for (size_t i = 0; i < d->npairs; i++)
        o[i] = (pair_ord){d->pairs[i].status, d->pairs[i].since, d->pairs[i].attempts, (uint32_t)i};
    qsort(o, d->npairs, sizeof *o, cmp_pair);
    return o;
}

static const char *carrier_name(const diag *d, const agg_pair *p) { return d->car[p->carrier].name; }

/* ---- text ---- */

static void text_plan(const diag *d, FILE *out) {
    agg_plan_item *items = malloc(AGG_PLAN_MAX * sizeof *items);
    size_t n = items ? agg_plan(d, items, AGG_PLAN_MAX) : 0;
    fprintf(out, "Plan, by calls affected\n");
    if (!n) fprintf(out, "  nothing to fix: no refusal with an action\n");
    for (size_t i = 0; i < n; i++) {
        const agg_plan_item *it = &items[i];
        fprintf(out, "  %zu. %s -- %" PRIu64 " calls (%s)\n", i + 1, it->title, it->calls,
                diag_cause_name(it->cause));
        fprintf(out, "     do:        %s\n", it->action);
        if (it->ncar) {
            fprintf(out, "     carriers: ");
            for (size_t k = 0; k < it->ncar; k++)
                fprintf(out, "%s %s %" PRIu64, k ? "," : "", d->car[it->car[k].idx].name, it->car[k].n);
            fputc('\n', out);
        }
        if (it->npair) {
            fprintf(out, "     numbers:  ");
            for (size_t k = 0; k < it->npair; k++) {
                const agg_pair *p = &d->pairs[it->pair[k].idx];
                fprintf(out, "%s %s at %s %" PRIu64, k ? "," : "", p->caller, carrier_name(d, p), it->pair[k].n);
            }
            fputc('\n', out);
        }
        if (it->evidence[0]) fprintf(out, "     evidence:  %s\n", it->evidence);
    }
    free(items);
}

static void text_carriers(const diag *d, FILE *out) {
    fprintf(out, "\nCarriers (next hop of the INVITE)\n");
    if (!d->ncar) fprintf(out, "  none\n");
    for (size_t i = 0; i < d->ncar; i++) {
        const agg_carrier *c = &d->car[i];
        fprintf(out, "  %s: %" PRIu64 " calls, answered %" PRIu64 " (%.1f %%), blocked %" PRIu64 " (%.1f %%)\n",
                c->name, c->attempts, c->answered, pct(c->answered, c->attempts), c->blocked,
                pct(c->blocked, c->attempts));
        int any = 0;
        for (int k = 0; k < DIAG_C__COUNT; k++)
            if (c->cause[k] && k != DIAG_C_ANSWERED)
                fprintf(out, "%s%s %" PRIu64, any++ ? ", " : "     causes: ", diag_cause_name(k), c->cause[k]);
        if (any) fputc('\n', out);
        for (int p = 0; p < DIAG_P__COUNT; p++)
            if (c->pol[p].on) fprintf(out, "     policy: %s\n", c->pol[p].sentence);
    }
}

/* Clean pairs whose caller ID is invalid: not a risk by itself (no refusal said so), but the
 * dialing list or the caller-ID configuration is wrong, so the validity is still reported. */
static void text_invalid(const diag *d, const pair_ord *o, FILE *out) {
    size_t n = 0;
    for (size_t i = 0; i < d->npairs; i++) {
        const agg_pair *p = &d->pairs[o[i].idx];
        if (p->status != DIAG_ST_CLEAN || !p->invalid) continue;
        if (n++ < 5)
            fprintf(out, "%s %s at %s (%s, %" PRIu64 " calls)", n == 1 ? "  invalid caller IDs, not a risk alone:" : ",",
                    p->caller, carrier_name(d, p), p->invalid_reason ? p->invalid_reason : "invalid", p->invalid);
    }
    if (n > 5) fprintf(out, " and %zu more", n - 5);
    if (n) fputc('\n', out);
}

static void text_callers(const diag *d, FILE *out) {
    fprintf(out, "\nCaller IDs by carrier: %" PRIu64 " flagged, %" PRIu64 " at risk, %" PRIu64 " clean\n",
            d->cnt.flagged, d->cnt.at_risk, d->npairs - d->cnt.flagged - d->cnt.at_risk);
    pair_ord *o = sorted_pairs(d);
    if (!o) return;
    size_t shown = 0;
    for (size_t i = 0; i < d->npairs && shown < TEXT_CALLERS; i++) {
        const agg_pair *p = &d->pairs[o[i].idx];
        if (p->status == DIAG_ST_CLEAN) break;
        char since[40] = "";
        if (p->status == DIAG_ST_FLAGGED) {
            char t[40];
            snprintf(since, sizeof since, " since %s", sx_time_str(p->since, 0, t));
        }
        fprintf(out, "  %-8s %s at %s%s: %" PRIu64 " calls, answered %" PRIu64 ", blocked %" PRIu64 "\n",
                p->status == DIAG_ST_FLAGGED ? "FLAGGED" : "AT RISK", p->caller, carrier_name(d, p), since,
                p->attempts, p->answered, p->blocked);
        if (p->has_reason) fprintf(out, "           why: %s\n", agg_pair_reason(d, p));
        shown++;
    }
    size_t risky = (size_t)(d->cnt.flagged + d->cnt.at_risk);
    if (risky > shown) fprintf(out, "  ... %zu more (--format json or --csv-callers lists them all)\n", risky - shown);
    text_invalid(d, o, out);
    free(o);
    if (d->cnt.pair_overflow || d->cnt.carrier_overflow)
        fprintf(out, "  limits: %" PRIu64 " calls beyond max pairs, %" PRIu64 " beyond max carriers (counted as %s)\n",
                d->cnt.pair_overflow, d->cnt.carrier_overflow, AGG_OTHER);
}

void diag_text(const diag *d, FILE *out) {
    if (!d) return;
    fprintf(out, "Diagnosis of %" PRIu64 " calls (docs/diagnosis.md)\n\n", d->cnt.learnt);
    text_plan(d, out);
    text_carriers(d, out);
    text_callers(d, out);
    fputc('\n', out);
}

/* ---- JSON ---- */

static void json_u(FILE *out, int *first, const char *k, uint64_t v) {
    json_key(out, first, k);
    fprintf(out, "%" PRIu64, v);
}

static void json_f(FILE *out, int *first, const char *k, double v) {
    json_key(out, first, k);
    fprintf(out, "%.4g", v);
}

static void json_s(FILE *out, int *first, const char *k, const char *v) {
    json_key(out, first, k);
    json_cstr(out, v);
}

static void json_causes(FILE *out, int *first, const char *k, const uint64_t *v) {
    int f = 1;
    json_key(out, first, k);
    fputc('{', out);
    for (int c = 0; c < DIAG_C__COUNT; c++)
        if (v[c]) json_u(out, &f, diag_cause_name(c), v[c]);
    fputc('}', out);
}

static void json_causes32(FILE *out, int *first, const char *k, const uint32_t *v) {
    uint64_t w[DIAG_C__COUNT];
    for (int c = 0; c < DIAG_C__COUNT; c++) w[c] = v[c];
    json_causes(out, first, k, w);
}

static void json_plan(const diag *d, FILE *out, int *first) {
    agg_plan_item *items = malloc(AGG_PLAN_MAX * sizeof *items);
    size_t n = items ? agg_plan(d, items, AGG_PLAN_MAX) : 0;
    json_key(out, first, "plan");
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        const agg_plan_item *it = &items[i];
        int f = 1;
        fputs(i ? ",{" : "{", out);
        json_u(out, &f, "rank", i + 1);
        json_s(out, &f, "cause", diag_cause_name(it->cause));
        json_s(out, &f, "title", it->title);
        json_u(out, &f, "calls", it->calls);
        json_s(out, &f, "action", it->action);
        json_s(out, &f, "evidence", it->evidence);
        json_key(out, &f, "carriers");
        fputc('[', out);
        for (size_t k = 0; k < it->ncar; k++) {
            int g = 1;
            fputs(k ? ",{" : "{", out);
            json_s(out, &g, "carrier", d->car[it->car[k].idx].name);
            json_u(out, &g, "calls", it->car[k].n);
            fputc('}', out);
        }
        fputc(']', out);
        json_key(out, &f, "callers");
        fputc('[', out);
        for (size_t k = 0; k < it->npair; k++) {
            const agg_pair *p = &d->pairs[it->pair[k].idx];
            int g = 1;
            fputs(k ? ",{" : "{", out);
            json_s(out, &g, "caller", p->caller);
            json_s(out, &g, "carrier", carrier_name(d, p));
            json_u(out, &g, "calls", it->pair[k].n);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fputc(']', out);
    free(items);
}

static sx_time bucket_time(const diag *d, const agg_series *s, int64_t k) {
    return k * (d->cfg.bucket << s->shift);
}

static const int watched[] = {
#define AGG_CODE_LIST(c) c,
    AGG_CODES(AGG_CODE_LIST)
#undef AGG_CODE_LIST
};

/* "bucket_s": the series' bucket width, then "timeline": [ -- its buckets follow. */
static void json_timeline_open(const diag *d, const agg_series *s, FILE *out, int *first) {
    json_key(out, first, "bucket_s");
    fprintf(out, "%" PRId64, (d->cfg.bucket << s->shift) / SX_SEC);
    json_key(out, first, "timeline");
    fputc('[', out);
}

/* Bucket i of a timeline, opened with what carrier and caller buckets share. */
static void json_bucket_open(const diag *d, const agg_series *s, uint32_t i, int64_t k,
                             uint32_t attempts, uint32_t answered, uint32_t blocked, FILE *out,
                             int *f) {
    fputs(i ? ",{" : "{", out);
    json_key(out, f, "t");
    json_time(out, bucket_time(d, s, k), 0);
    json_u(out, f, "attempts", attempts);
    json_u(out, f, "answered", answered);
    json_u(out, f, "blocked", blocked);
}

static void json_carrier_timeline(const diag *d, const agg_carrier *c, FILE *out, int *first) {
    json_timeline_open(d, &c->s, out, first);
    const agg_cbucket *b = c->s.b;
    for (uint32_t i = 0; i < c->s.n; i++) {
        int f = 1;
        json_bucket_open(d, &c->s, i, b[i].k, b[i].attempts, b[i].answered, b[i].blocked, out, &f);
        json_key(out, &f, "by_code");
        fputc('{', out);
        int g = 1;
        for (int k = 0; k < AGG_NCODES; k++) {
            if (!b[i].codes[k]) continue;
            char code[12];
            snprintf(code, sizeof code, "%d", k < AGG_NCODES - 1 ? watched[k] : 0);
            json_u(out, &g, k < AGG_NCODES - 1 ? code : "other", b[i].codes[k]);
        }
        fputc('}', out);
        json_causes32(out, &f, "by_cause", b[i].cause);
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_carrier(const diag *d, const agg_carrier *c, FILE *out) {
    int f = 1;
    fputc('{', out);
    json_s(out, &f, "carrier", c->name);
    json_u(out, &f, "attempts", c->attempts);
    json_u(out, &f, "answered", c->answered);
    json_u(out, &f, "blocked", c->blocked);
    json_f(out, &f, "block_rate", c->attempts ? (double)c->blocked / (double)c->attempts : 0);
    json_key(out, &f, "by_code");
    fputc('{', out);
    int g = 1;
    for (int k = 100; k < 700; k++)
        if (c->codes[k]) {
            char code[12];
            snprintf(code, sizeof code, "%d", k);
            json_u(out, &g, code, c->codes[k]);
        }
    fputc('}', out);
    json_causes(out, &f, "by_cause", c->cause);
    json_key(out, &f, "policies");
    fputc('[', out);
    g = 1;
    for (int p = 0; p < DIAG_P__COUNT; p++) {
        if (!c->pol[p].on) continue;
        int h = 1;
        fputs(g ? "{" : ",{", out);
        g = 0;
        json_s(out, &h, "policy", diag_policy_name(p));
        json_s(out, &h, "sentence", c->pol[p].sentence);
        json_u(out, &h, "calls", c->pol[p].calls);
        fputc('}', out);
    }
    fputc(']', out);
    json_key(out, &f, "concurrency_limit");
    if (c->concurrency_limit) fprintf(out, "%" PRIu32, c->concurrency_limit);
    else fputs("null", out);
    json_carrier_timeline(d, c, out, &f);
    fputc('}', out);
}

static void json_caller_timeline(const diag *d, const agg_pair *p, FILE *out, int *first) {
    json_timeline_open(d, &p->s, out, first);
    const agg_pbucket *b = p->s.b;
    for (uint32_t i = 0; i < p->s.n; i++) {
        int f = 1;
        json_bucket_open(d, &p->s, i, b[i].k, b[i].attempts, b[i].answered, b[i].blocked, out, &f);
        json_u(out, &f, "short", b[i].short_calls);
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_caller(const diag *d, const agg_pair *p, FILE *out) {
    int f = 1;
    fputc('{', out);
    json_s(out, &f, "caller", p->caller);
    json_s(out, &f, "carrier", carrier_name(d, p));
    json_s(out, &f, "status", diag_status_name(p->status));
    json_key(out, &f, "since");
    if (p->status == DIAG_ST_FLAGGED) json_time(out, p->since, 3);
    else fputs("null", out);
    json_s(out, &f, "reason", agg_pair_reason(d, p));
    json_key(out, &f, "first");
    json_time(out, p->first, 3);
    json_key(out, &f, "last");
    json_time(out, p->last, 3);
    json_u(out, &f, "attempts", p->attempts);
    json_u(out, &f, "answered", p->answered);
    json_f(out, &f, "asr", p->attempts ? (double)p->answered / (double)p->attempts : 0);
    json_f(out, &f, "acd_s", p->answered ? (double)p->talk_ms / 1000.0 / (double)p->answered : 0);
    json_u(out, &f, "short_calls", p->short_calls);
    json_f(out, &f, "short_ratio", p->answered ? (double)p->short_calls / (double)p->answered : 0);
    json_u(out, &f, "blocked", p->blocked);
    json_causes32(out, &f, "by_cause", p->cause);
    json_key(out, &f, "attestation");
    int g = 1;
    fputc('{', out);
    static const char *const an[4] = {"A", "B", "C", "none"};
    for (int k = 0; k < 4; k++) json_u(out, &g, an[k], p->attest[k]);
    fputc('}', out);
    json_f(out, &f, "calls_per_hour_peak", p->peak_h);
    json_f(out, &f, "calls_per_hour_mean", p->mean_h);
    json_u(out, &f, "distinct_callees", (uint64_t)(agg_hll_estimate(p->hll) + 0.5));
    json_u(out, &f, "neighbor_calls", p->neighbor);
    json_key(out, &f, "invalid_caller_id");
    fputs(p->invalid ? "true" : "false", out);
    if (p->invalid) json_s(out, &f, "invalid_reason", agg_invalid_reason(p));
    json_caller_timeline(d, p, out, &f);
    fputc('}', out);
}

void diag_json_keys(const diag *d, FILE *out, int *first) {
    if (!d) return;
    json_key(out, first, "diagnosis");
    int f = 1;
    fputc('{', out);
    json_u(out, &f, "calls", d->cnt.learnt);
    json_u(out, &f, "carriers", d->cnt.carriers);
    json_u(out, &f, "pairs", d->cnt.pairs);
    json_u(out, &f, "flagged", d->cnt.flagged);
    json_u(out, &f, "at_risk", d->cnt.at_risk);
    json_u(out, &f, "carrier_overflow", d->cnt.carrier_overflow);
    json_u(out, &f, "pair_overflow", d->cnt.pair_overflow);
    json_u(out, &f, "bucket_s", (uint64_t)(d->cfg.bucket / SX_SEC));
    json_causes(out, &f, "by_cause", d->cause);
    size_t listed = d->npairs < JSON_CALLERS ? d->npairs : JSON_CALLERS;
    json_u(out, &f, "callers_omitted", d->npairs - listed);
    fputc('}', out);
    json_plan(d, out, first);
    json_key(out, first, "carriers");
    fputc('[', out);
    for (size_t i = 0; i < d->ncar; i++) {
        if (i) fputc(',', out);
        json_carrier(d, &d->car[i], out);
    }
    fputc(']', out);
    json_key(out, first, "callers");
    fputc('[', out);
    pair_ord *o = sorted_pairs(d);
    for (size_t i = 0; o && i < listed; i++) {
        if (i) fputc(',', out);
        json_caller(d, &d->pairs[o[i].idx], out);
    }
    free(o);
    fputc(']', out);
}

/* ---- CSV (RFC 4180: fields with a comma, quote or newline are quoted) ---- */

/* A field from the wire that starts like a formula (= + - @, tab, CR) gets a leading single
 * quote, so a spreadsheet shows it as text instead of running it (OWASP CSV injection). */
static void csv_str(FILE *out, const char *s) {
    int formula = s[0] && strchr("=+-@\t\r", s[0]) != NULL;
    if (!strpbrk(s, ",\"\r\n")) {
        if (formula) fputc('\'', out);
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (formula) fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static int csv_close(FILE *out) {
    int bad = ferror(out);
    if (fclose(out) != 0 || bad) return -1;
    return 0;
}

int diag_csv_callers(const diag *d, const char *path) {
    FILE *out = fopen(path, "w");
    if (!out) return -1;
    fputs("caller,carrier,status,since,first,last,attempts,answered,asr,acd_s,short_calls,short_ratio,"
          "blocked,attest_a,attest_b,attest_c,attest_none,calls_per_hour_peak,calls_per_hour_mean,"
          "distinct_callees,neighbor_calls,invalid_caller_id,top_cause,reason\n", out);
    pair_ord *o = sorted_pairs(d);
    for (size_t i = 0; o && i < d->npairs; i++) {
        const agg_pair *p = &d->pairs[o[i].idx];
        char since[40] = "", first[40], last[40];
        if (p->status == DIAG_ST_FLAGGED) sx_time_str(p->since, 3, since);
        int top = -1;
        for (int c = 0; c < DIAG_C__COUNT; c++)
            if (c != DIAG_C_ANSWERED && p->cause[c] && (top < 0 || p->cause[c] > p->cause[top])) top = c;
        csv_str(out, p->caller);
        fputc(',', out);
        csv_str(out, carrier_name(d, p));
        fprintf(out, ",%s,%s,%s,%s,%" PRIu64 ",%" PRIu64 ",%.3f,%.1f,%" PRIu64 ",%.3f,%" PRIu64
                     ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f,%.1f,%.0f,%" PRIu64 ",%d,%s,",
                diag_status_name(p->status), since, sx_time_str(p->first, 3, first),
                sx_time_str(p->last, 3, last), p->attempts, p->answered,
                p->attempts ? (double)p->answered / (double)p->attempts : 0,
                p->answered ? (double)p->talk_ms / 1000.0 / (double)p->answered : 0, p->short_calls,
                p->answered ? (double)p->short_calls / (double)p->answered : 0, p->blocked,
                p->attest[0], p->attest[1], p->attest[2], p->attest[3], p->peak_h, p->mean_h,
                agg_hll_estimate(p->hll), p->neighbor, p->invalid ? 1 : 0,
                top >= 0 ? diag_cause_name(top) : "");
        csv_str(out, agg_pair_reason(d, p));
        fputc('\n', out);
    }
    free(o);
    return csv_close(out);
}

int diag_csv_carriers(const diag *d, const char *path) {
    FILE *out = fopen(path, "w");
    if (!out) return -1;
    fputs("carrier,attempts,answered,blocked,block_rate,concurrency_limit", out);
    for (int c = 0; c < DIAG_C__COUNT; c++) fprintf(out, ",%s", diag_cause_name(c));
    fputs(",policies\n", out);
    for (size_t i = 0; i < d->ncar; i++) {
        const agg_carrier *c = &d->car[i];
        csv_str(out, c->name);
        fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.4f,%" PRIu32, c->attempts, c->answered,
                c->blocked, c->attempts ? (double)c->blocked / (double)c->attempts : 0, c->concurrency_limit);
        for (int k = 0; k < DIAG_C__COUNT; k++) fprintf(out, ",%" PRIu64, c->cause[k]);
        char pol[DIAG_P__COUNT * (DIAG_SENTENCE + 3)];
        size_t at = 0;
        pol[0] = '\0';
        for (int p = 0; p < DIAG_P__COUNT; p++)
            if (c->pol[p].on)
                at += (size_t)snprintf(pol + at, sizeof pol - at, "%s%s", at ? " | " : "", c->pol[p].sentence);
        fputc(',', out);
        csv_str(out, pol);
        fputc('\n', out);
    }
    int rc = csv_close(out);
    if (rc) errno = errno ? errno : EIO;
    return rc;
}
