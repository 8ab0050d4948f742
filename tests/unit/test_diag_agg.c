/* test_diag_agg.c -- the diagnosis aggregates (src/diag/agg.c, onset.c, plan.c, out.c) on
 * synthetic diag_facts sequences whose truth is known: a number that goes from 40 to 300
 * calls/hour and gets 608 from a known call on (flagged, since = that call, not an isolated
 * earlier 608), a clean number, an at-risk one, a carrier that refuses every unsigned call,
 * one that enforces iat freshness, one that answers 503 above 10 concurrent calls, the plan
 * ranked by calls affected, the JSON keys and the CSV files, the memory caps, and what at
 * risk needs (a minimum sample per reason: the noise the demo and the scenario showed). */
#include <arpa/inet.h>
#include "th_json.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "diag/diag.h"
#include "harness.h"

#define T0 ((sx_time)1709294400 * SX_SEC) /* 2024-03-01 12:00:00 UTC */
#define MIN ((sx_time)60 * SX_SEC)

static uint64_t seq;

static sx_addr addr(const char *ip) {
    sx_addr a = {0};
    a.family = 4;
    inet_pton(AF_INET, ip, a.a);
    return a;
}

/* A call with nothing special: unsigned, no Reason, no signals. */
/* The summary's diagnosis keys as one JSON object ("{...}"), then, with text, the text
 * report after it: what `analyze --format json` and the text report print. Caller frees. */
static char *render(const diag *d, int text) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int first = 1;
    fputc('{', m);
    diag_json_keys(d, m, &first);
    fputc('}', m);
    if (text) diag_text(d, m);
    fclose(m);
    return buf;
}

static char *report_of(const diag *d) { return render(d, 1); }

/* The diagnosis keys parsed (NULL, and a failed check, when they are not valid JSON). */
static json_t *keys_doc(const diag *d) {
    char *buf = render(d, 0);
    json_error_t err;
    json_t *root = json_loads(buf, 0, &err);
    CHECK_MSG(root, "diagnosis JSON: %s at %d", err.text, err.position);
    free(buf);
    return root;
}

static diag_facts call(sx_time start, const char *caller, const char *callee, const char *hop, int code) {
    diag_facts f;
    memset(&f, 0, sizeof f);
    f.seq = seq++;
    f.start = start;
    snprintf(f.call_id, sizeof f.call_id, "call-%llu", (unsigned long long)f.seq);
    snprintf(f.caller, sizeof f.caller, "%s", caller);
    snprintf(f.caller_raw, sizeof f.caller_raw, "+%s", caller);
    snprintf(f.callee, sizeof f.callee, "%s", callee);
    f.next_hop = addr(hop);
    f.next_hop_port = 5060;
    f.final_addr = f.next_hop;
    f.final_code = (uint16_t)code;
    f.q850 = f.sip_cause = f.stir_cause = -1;
    f.final_ms = 300;
    f.first_18x_ms = f.answer_ms = f.talk_ms = -1;
    f.signature = -1;
    f.iat_age_s = INT64_MIN;
    f.implied_stir = -1;
    f.end = code >= 200 && code < 300 ? 2 : 0;
    if (code >= 200 && code < 300) {
        f.rang = 1;
        f.first_18x_ms = 1000;
        f.answer_ms = 5000;
        f.final_ms = 5000;
        f.talk_ms = 60000;
    }
    return f;
}

static void sign(diag_facts *f, char attest) {
    f->has_identity = 1;
    f->attest = attest;
    f->signature = 0;
    f->iat_age_s = 1;
}

static void analytics_608(diag_facts *f) {
    f->final_code = 608;
    f->jcard = 1;
    snprintf(f->blocked_by_party, sizeof f->blocked_by_party, "Hiya");
    snprintf(f->redress, sizeof f->redress, "https://hiya.example/redress");
}

static const char *callee_n(int i) {
    static char buf[4][16];
    char *b = buf[i & 3];
    snprintf(b, 16, "1646%03d%04d", 200 + i % 700, i % 10000);
    return b;
}

/* ---- the velocity number: 40/h answered, an isolated 608 at 12:30, 300/h from 14:05,
 * 608 on 9 calls in 10 from the first call at or after 14:20 ---- */

#define VEL "12127430100"
#define CLEAN "12127430111"
#define RISKY "12127430122"
#define CAR "192.0.2.10"

static sx_time vel_since;

static void feed_velocity(diag *d, diag_facts *out, size_t *n) {
    sx_time t = T0;
    int i = 0, k = 0, isolated = 0;
    while (t < T0 + 180 * MIN) {
        diag_facts f = call(t, VEL, callee_n(i++), CAR, 200);
        sign(&f, 'A');
        if (t >= T0 + 30 * MIN && !isolated) { /* one 608 at 12:30, then clean again */
            analytics_608(&f);
            isolated = 1;
        } else if (t >= T0 + 140 * MIN) { /* from 14:20: 9 in 10 refused */
            if (k++ % 10 != 9) analytics_608(&f);
            if (f.final_code == 608 && !vel_since) vel_since = t;
        }
        diag_learn(d, &f);
        out[(*n)++] = f;
        t += t < T0 + 125 * MIN ? 90 * SX_SEC : 12 * SX_SEC; /* 40/h, then 300/h from 14:05 */
    }
}

static void feed_clean(diag *d, diag_facts *out, size_t *n) {
    for (int i = 0; i < 60; i++) {
        diag_facts f = call(T0 + i * 3 * MIN, CLEAN, callee_n(i), CAR, i % 7 == 3 ? 486 : 200);
        sign(&f, 'A');
        diag_learn(d, &f);
        out[(*n)++] = f;
    }
}

static void feed_risky(diag *d, diag_facts *out, size_t *n) {
    for (int i = 0; i < 60; i++) {
        diag_facts f = call(T0 + i * 2 * MIN, RISKY, callee_n(i + 7), CAR, 200);
        sign(&f, 'A');
        if (i == 20 || i == 45) analytics_608(&f);
        diag_learn(d, &f);
        out[(*n)++] = f;
    }
}

/* ---- carriers with a policy ---- */

#define UNS "198.51.100.20"
#define STALE "198.51.100.30"
#define CAP "203.0.113.40"

static void feed_unsigned(diag *d, diag_facts *out, size_t *n) {
    for (int i = 0; i < 16; i++) {
        diag_facts f = call(T0 + i * MIN, "14155552000", callee_n(i), UNS, 200);
        snprintf(f.caller, sizeof f.caller, "1415555%04u", (unsigned)(2000 + i) % 10000u);
        if (i % 16 < 7) { /* 7 unsigned: 403 cause 21 */
            f.final_code = 403;
            f.rang = 0;
            f.final_ms = 120;
            f.talk_ms = f.answer_ms = -1;
            f.q850 = 21;
            snprintf(f.phrase, sizeof f.phrase, "Forbidden");
        } else sign(&f, 'A'); /* 9 signed: answered */
        diag_learn(d, &f);
        out[(*n)++] = f;
    }
}

static void feed_stale(diag *d, diag_facts *out, size_t *n) {
    for (int i = 0; i < 8; i++) {
        diag_facts f = call(T0 + i * MIN, "13125550199", callee_n(i), STALE, 200);
        sign(&f, 'A');
        f.iat_age_s = 5 + i;
        if (i < 3) {
            f.final_code = 403;
            f.rang = 0;
            f.talk_ms = f.answer_ms = -1;
            f.iat_age_s = 120 + i;
            f.implied_code = 403;
            snprintf(f.phrase, sizeof f.phrase, "Stale Date");
        }
        diag_learn(d, &f);
        out[(*n)++] = f;
    }
}

/* A trunk with 10 channels: a call every 10 s for 20 min (about 6 active), then every 3 s
 * for 20 min; a call that finds 10 active gets 503 at once. */
static int cap_503; /* calls the trunk refused */
static void feed_capacity(diag *d, diag_facts *out, size_t *n) {
    sx_time ends[64];
    int nact = 0;
    for (sx_time t = T0; t < T0 + 40 * MIN; t += t < T0 + 20 * MIN ? 10 * SX_SEC : 3 * SX_SEC) {
        int w = 0;
        for (int i = 0; i < nact; i++)
            if (ends[i] > t) ends[w++] = ends[i];
        nact = w;
        diag_facts f = call(t, "17185550142", callee_n((int)(t / SX_SEC)), CAP, 200);
        sign(&f, 'A');
        if (nact >= 10) {
            f.final_code = 503;
            f.rang = 0;
            f.final_ms = 40;
            f.talk_ms = f.answer_ms = -1;
            f.end = 0;
            cap_503++;
        } else {
            f.talk_ms = 55000;
            ends[nact++] = t + (sx_time)(f.answer_ms + f.talk_ms) * SX_MSEC;
        }
        diag_learn(d, &f);
        out[(*n)++] = f;
    }
}

/* ---- checks ---- */

static void check_onset(const diag *d, const diag_facts *all, size_t n) {
    diag_pair_info pi;
    CHECK_INT(diag_pair_get(d, VEL, CAR, &pi), 0);
    CHECK_STR(diag_status_name(pi.status), "flagged");
    char got[40], want[40];
    CHECK_MSG(pi.since == vel_since, "since %s, want %s (first call of the sustained 608 block)",
              sx_time_str(pi.since, 3, got), sx_time_str(vel_since, 3, want));
    CHECK_MSG(strstr(pi.reason, "608") && strstr(pi.reason, "from 14:20 on"), "reason: %s", pi.reason);
    CHECK_MSG(strstr(pi.reason, "went from 40 to 300 calls/hour at 14:0"), "velocity in reason: %s", pi.reason);
    CHECK_MSG(strstr(pi.reason, "Hiya"), "entity in reason: %s", pi.reason);
    CHECK_MSG(pi.peak_per_hour >= 290 && pi.peak_per_hour <= 310, "peak %.0f/h", pi.peak_per_hour);

    /* the context the rules read: flagged from since on, not before */
    diag_context ctx;
    int before = 0, after = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].caller, VEL)) continue;
        diag_context_of(d, &all[i], &ctx);
        if (all[i].start < vel_since) before += ctx.pair_flagged;
        else after += !ctx.pair_flagged;
        if (all[i].start >= vel_since) CHECK(ctx.pair_since == vel_since);
    }
    CHECK_INT(before, 0);
    CHECK_INT(after, 0);

    CHECK_INT(diag_pair_get(d, CLEAN, CAR, &pi), 0);
    CHECK_STR(diag_status_name(pi.status), "clean");
    CHECK_INT(pi.since, 0);
    CHECK_STR(pi.reason, "");

    CHECK_INT(diag_pair_get(d, RISKY, CAR, &pi), 0);
    CHECK_STR(diag_status_name(pi.status), "at_risk");
    CHECK_MSG(strstr(pi.reason, "2 608 (analytics) refusals without a sustained block"), "reason: %s", pi.reason);
    CHECK_INT(diag_pair_get(d, "19999999999", CAR, &pi), -1);
}

static void check_policies(const diag *d, const diag_facts *all, size_t n) {
    char s[DIAG_SENTENCE];
    CHECK(diag_carrier_policy(d, UNS, DIAG_P_REJECTS_UNSIGNED, s, sizeof s));
    CHECK_STR(s, "rejects unsigned calls with 403 cause 21 (7 of 7 unsigned, 0 of 9 signed)");
    CHECK(!diag_carrier_policy(d, CAR, DIAG_P_REJECTS_UNSIGNED, s, sizeof s));
    CHECK(diag_carrier_policy(d, CAR, DIAG_P_ANALYTICS_608, s, sizeof s));
    CHECK_MSG(strstr(s, "608 + jCard from Hiya, redress https://hiya.example/redress"), "%s", s);
    CHECK(diag_carrier_policy(d, STALE, DIAG_P_IAT_FRESHNESS, s, sizeof s));
    CHECK_MSG(strstr(s, "403 Stale Date on 3 calls whose PASSporT was >= 120 s old; 5 signed calls up to 12 s old"), "%s", s);
    CHECK(!diag_carrier_policy(d, UNS, DIAG_P_IAT_FRESHNESS, s, sizeof s));
    CHECK(diag_carrier_policy(d, CAP, DIAG_P_CONCURRENCY, s, sizeof s));
    int lim = -1;
    if (sscanf(s, "503 above ~%d concurrent calls", &lim) != 1) lim = -1;
    CHECK_MSG(lim >= 9 && lim <= 11, "limit %d from: %s", lim, s);
    CHECK(cap_503 >= 20);
    CHECK(!diag_carrier_policy(d, UNS, DIAG_P_CONCURRENCY, s, sizeof s));

    diag_context ctx;
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        diag_context_of(d, &all[i], &ctx);
        if (!strcmp(ctx.carrier ? ctx.carrier : "", UNS) && !all[i].has_identity) {
            CHECK(ctx.carrier_rejects_unsigned);
            CHECK_INT(ctx.unsigned_code, 403);
            CHECK_INT(ctx.unsigned_refused, 7);
            CHECK_INT(ctx.signed_calls, 9);
            seen++;
        }
        if (!strcmp(ctx.carrier ? ctx.carrier : "", CAR)) CHECK(!ctx.carrier_rejects_unsigned);
    }
    CHECK_INT(seen, 7);
}

/* A call stamped 1970 (a forged or broken capture clock) before the trunk's real traffic:
 * the concurrency grid used to fold every 500 ms slot of the 54-year gap (33 s of CPU on a
 * tiny capture); now it jumps, and the policy found is the same. */
static void check_grid_gap(void) {
    diag_config cfg;
    diag_config_default(&cfg);
    diag *d = diag_new(&cfg);
    diag_facts *scratch = calloc(1024, sizeof *scratch);
    size_t n = 0;
    clock_t c0 = clock();
    diag_facts old = call(SX_SEC, "17185550142", callee_n(1), CAP, 200);
    diag_learn(d, &old);
    feed_capacity(d, scratch, &n);
    diag_finalize(d);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK_MSG(secs < 1.0, "a 54-year gap took %.2f s of CPU", secs);
    char s[DIAG_SENTENCE];
    int lim = -1;
    CHECK(diag_carrier_policy(d, CAP, DIAG_P_CONCURRENCY, s, sizeof s));
    if (sscanf(s, "503 above ~%d concurrent calls", &lim) != 1) lim = -1;
    CHECK_MSG(lim >= 9 && lim <= 11, "limit %d from: %s", lim, s);
    diag_free(d);
    free(scratch);
}

/* The plan from hand-made verdicts: ranked by calls affected, naming carrier and numbers. */
static void check_plan_ranking(void) {
    diag_config cfg;
    diag_config_default(&cfg);
    diag *d = diag_new(&cfg);
    static const struct { int cause, n; const char *hop; } mix[] = {
        {DIAG_C_CAPACITY, 5, CAP}, {DIAG_C_UNSIGNED_CALL, 12, UNS}, {DIAG_C_CODEC_MISMATCH, 3, CAR},
        {DIAG_C_ANSWERED, 40, CAR}, {DIAG_C_BUSY, 30, CAR}};
    diag_facts fs[100];
    size_t n = 0;
    for (size_t m = 0; m < sizeof mix / sizeof *mix; m++)
        for (int i = 0; i < mix[m].n; i++) {
            fs[n] = call(T0 + (sx_time)n * MIN, "12027430123", callee_n((int)n), mix[m].hop, 403);
            diag_learn(d, &fs[n++]);
        }
    diag_finalize(d);
    n = 0;
    for (size_t m = 0; m < sizeof mix / sizeof *mix; m++)
        for (int i = 0; i < mix[m].n; i++) {
            diag_verdict v = {.cause = (uint8_t)mix[m].cause, .rule = "RX"};
            diag_tally(d, &fs[n++], &v);
        }
    json_t *root = keys_doc(d);
    json_t *plan = json_object_get(root, "plan");
    CHECK_INT(json_array_size(plan), 3); /* answered and busy are not actions */
    static const char *const want[3] = {"unsigned_call", "capacity", "codec_mismatch"};
    static const int calls[3] = {12, 5, 3};
    for (size_t i = 0; i < json_array_size(plan) && i < 3; i++) {
        json_t *it = json_array_get(plan, i);
        CHECK_STR(json_string_value(json_object_get(it, "cause")), want[i]);
        CHECK_INT(json_integer_value(json_object_get(it, "calls")), calls[i]);
        CHECK_INT(json_integer_value(json_object_get(it, "rank")), (long long)i + 1);
        CHECK(json_string_length(json_object_get(it, "action")) > 20);
        json_t *car = json_array_get(json_object_get(it, "carriers"), 0);
        CHECK_INT(json_integer_value(json_object_get(car, "calls")), calls[i]);
    }
    json_t *top = json_array_get(plan, 0);
    CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(top, "carriers"), 0), "carrier")), UNS);
    CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(top, "callers"), 0), "caller")), "12027430123");
    diag_counts c;
    diag_counts_get(d, &c);
    CHECK_INT(c.plan_items, 3);
    CHECK_INT(c.tallied, 90);
    json_decref(root);
    diag_free(d);
}

/* The JSON of the full scenario: keys, callers entries, timelines that add up. */
static void check_json(const diag *d) {
    json_t *root = keys_doc(d);
    if (!root) return;
    CHECK(json_is_array(json_object_get(root, "plan")));
    CHECK(json_is_array(json_object_get(root, "carriers")));
    json_t *callers = json_object_get(root, "callers");
    CHECK(json_is_array(callers));
    json_t *c0 = json_array_get(callers, 0); /* flagged first */
    CHECK_STR(json_string_value(json_object_get(c0, "caller")), VEL);
    CHECK_STR(json_string_value(json_object_get(c0, "carrier")), CAR);
    CHECK_STR(json_string_value(json_object_get(c0, "status")), "flagged");
    char want[40];
    CHECK_STR(json_string_value(json_object_get(c0, "since")), sx_time_str(vel_since, 3, want));
    CHECK(json_string_length(json_object_get(c0, "reason")) > 10);
    long long sum = 0, attempts = json_integer_value(json_object_get(c0, "attempts"));
    json_t *tl = json_object_get(c0, "timeline"), *b;
    size_t i;
    json_array_foreach(tl, i, b) sum += json_integer_value(json_object_get(b, "attempts"));
    CHECK_INT(sum, attempts);
    CHECK(json_array_size(tl) == 12); /* 3 hours of 15-minute buckets */
    json_array_foreach(callers, i, b) {
        CHECK(json_is_string(json_object_get(b, "caller")) && json_is_string(json_object_get(b, "carrier")));
        CHECK(json_is_string(json_object_get(b, "status")) && json_is_string(json_object_get(b, "reason")));
        const char *st = json_string_value(json_object_get(b, "status"));
        CHECK(json_is_null(json_object_get(b, "since")) == (strcmp(st ? st : "", "flagged") != 0));
    }
    json_t *car;
    int found = 0;
    json_array_foreach(json_object_get(root, "carriers"), i, car) {
        CHECK(json_is_array(json_object_get(car, "timeline")));
        CHECK(json_is_array(json_object_get(car, "policies")));
        if (strcmp(json_string_value(json_object_get(car, "carrier")), UNS)) continue;
        found = 1;
        json_t *p = json_array_get(json_object_get(car, "policies"), 0);
        CHECK_STR(json_string_value(json_object_get(p, "policy")), "rejects_unsigned");
        json_t *t0 = json_array_get(json_object_get(car, "timeline"), 0);
        CHECK(json_is_object(json_object_get(t0, "by_cause")));
        CHECK_INT(json_integer_value(json_object_get(json_object_get(t0, "by_code"), "403")), 7);
    }
    CHECK(found);
    json_decref(root);
}

/* Splits one CSV line (RFC 4180) and returns the number of fields. */
static int csv_fields(const char *line) {
    int n = 1, q = 0;
    for (const char *p = line; *p && *p != '\n'; p++) {
        if (*p == '"') q = !q;
        else if (*p == ',' && !q) n++;
    }
    return n;
}

/* A caller ID from the wire that looks like a spreadsheet formula is written as text. */
static void check_csv_formula(const char *path) {
    diag_config cfg;
    diag_config_default(&cfg);
    diag *d = diag_new(&cfg);
    diag_facts f = call(T0, "=HYPERLINK(\"http://x.example\")", callee_n(1), CAR, 200);
    diag_learn(d, &f);
    f = call(T0 + MIN, "@SUM(1+1)", callee_n(2), CAR, 200);
    diag_learn(d, &f);
    diag_finalize(d);
    CHECK_INT(diag_csv_callers(d, path), 0);
    FILE *in = fopen(path, "r");
    char line[4096];
    int quoted = 0, bare = 0;
    while (in && fgets(line, sizeof line, in)) {
        quoted += !strncmp(line, "\"'=HYPERLINK(", 13) || !strncmp(line, "'@SUM(1+1),", 11);
        bare += line[0] == '=' || line[0] == '@' || !strncmp(line, "\"=", 2);
    }
    if (in) fclose(in);
    CHECK_INT(quoted, 2);
    CHECK_INT(bare, 0);
    diag_free(d);
}

static void check_csv(const diag *d) {
    char path[] = "/tmp/test_diag_agg_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    diag_counts c;
    diag_counts_get(d, &c);
    for (int which = 0; which < 2; which++) {
        CHECK_INT(which ? diag_csv_carriers(d, path) : diag_csv_callers(d, path), 0);
        FILE *in = fopen(path, "r");
        char line[4096];
        int lines = 0, header = 0, bad = 0, flagged = 0;
        while (in && fgets(line, sizeof line, in)) {
            if (!lines++) header = csv_fields(line);
            else bad += csv_fields(line) != header;
            if (!which && strstr(line, VEL ",192.0.2.10,flagged,2024-03-01T14:2")) flagged++;
        }
        if (in) fclose(in);
        CHECK_INT(lines - 1, which ? (long long)c.carriers : (long long)c.pairs);
        CHECK_INT(bad, 0);
        CHECK(header >= 20);
        if (!which) CHECK_INT(flagged, 1);
    }
    CHECK_INT(diag_csv_callers(d, "/nonexistent-dir/x.csv"), -1);
    unlink(path);
    check_csv_formula(path);
    unlink(path);
}

static void check_text(const diag *d) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    diag_text(d, m);
    fclose(m);
    const char *plan = strstr(buf, "Plan, by calls affected"), *car = strstr(buf, "\nCarriers");
    const char *cid = strstr(buf, "\nCaller IDs");
    CHECK(plan && car && cid && plan < car && car < cid);
    const char *fl = strstr(buf, "FLAGGED  " VEL), *ar = strstr(buf, "AT RISK  " RISKY);
    CHECK(fl && ar && fl < ar);
    CHECK(strstr(buf, "policy: rejects unsigned calls with 403 cause 21"));
    free(buf);
}

static void check_caps(void) {
    diag_config cfg;
    diag_config_default(&cfg);
    cfg.max_pairs = 10;
    cfg.max_carriers = 3;
    diag *d = diag_new(&cfg);
    static const char *const hops[5] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"};
    for (int i = 0; i < 200; i++) {
        char caller[16];
        snprintf(caller, sizeof caller, "1212555%04d", i % 50);
        diag_facts f = call(T0 + i * MIN, caller, callee_n(i), hops[i % 5], i % 3 ? 200 : 608);
        diag_learn(d, &f);
    }
    /* one pair over 500 hours: its buckets merge instead of growing */
    for (int i = 0; i < 2000; i++) {
        diag_facts f = call(T0 + i * 15 * MIN, "12125550001", callee_n(i), hops[0], 200);
        diag_learn(d, &f);
    }
    diag_finalize(d);
    diag_counts c;
    diag_counts_get(d, &c);
    CHECK_INT(c.learnt, 2200);
    CHECK(c.pairs <= 10);
    CHECK(c.pair_overflow > 0);
    CHECK(c.carriers <= 3);
    CHECK(c.carrier_overflow > 0);
    diag_pair_info pi;
    CHECK_INT(diag_pair_get(d, "12125550001", "10.0.0.1", &pi), -1); /* beyond max_pairs */
    char *buf = report_of(d);
    json_error_t err;
    json_t *root = json_loadb(buf, strlen(buf) - strlen(strstr(buf, "Diagnosis of")), 0, &err);
    CHECK_MSG(root, "%s", err.text);
    CHECK(strstr(buf, "(other)"));
    json_decref(root);
    free(buf);
    diag_free(d);

    /* the bucket cap, on a pair that is tracked */
    diag_config_default(&cfg);
    d = diag_new(&cfg);
    for (int i = 0; i < 2000; i++) {
        diag_facts f = call(T0 + i * 15 * MIN, "12125550001", callee_n(i), hops[0], 200);
        diag_learn(d, &f);
    }
    diag_finalize(d);
    root = keys_doc(d);
    json_t *c0 = json_array_get(json_object_get(root, "callers"), 0), *b;
    size_t i;
    long long sum = 0;
    json_array_foreach(json_object_get(c0, "timeline"), i, b) sum += json_integer_value(json_object_get(b, "attempts"));
    CHECK_INT(sum, 2000);
    CHECK(json_array_size(json_object_get(c0, "timeline")) <= 256);
    CHECK(json_integer_value(json_object_get(c0, "bucket_s")) >= 1800);
    json_decref(root);
    diag_free(d);
}

/* ---- at risk needs evidence (onset.c RISK_*, docs/diagnosis.md "At risk") ---- */

/* n calls of a caller at CAR, one every `gap`, the first `answered` answered (the first
 * `shortn` of those with a 3 s talk), the rest 480 after ringing; attest 0 = unsigned. */
static void feed_pair(diag *d, const char *caller, sx_time t0, sx_time gap, int n, int answered,
                      int shortn, char attest) {
    for (int i = 0; i < n; i++) {
        diag_facts f = call(t0 + i * gap, caller, callee_n(i + 100), CAR, i < answered ? 200 : 480);
        if (i >= answered) f.rang = 1, f.first_18x_ms = 1000, f.final_ms = 20000;
        if (i < shortn) f.talk_ms = 3000;
        if (attest) sign(&f, attest);
        diag_learn(d, &f);
    }
}

static void want_status(const diag *d, const char *caller, const char *status, const char *in_reason) {
    diag_pair_info pi;
    CHECK_INT(diag_pair_get(d, caller, CAR, &pi), 0);
    CHECK_MSG(!strcmp(diag_status_name(pi.status), status), "%s: %s (%s), want %s", caller,
              diag_status_name(pi.status), pi.reason, status);
    if (in_reason) CHECK_MSG(strstr(pi.reason, in_reason), "%s reason: %s, want \"%s\"", caller, pi.reason, in_reason);
    else CHECK_MSG(!pi.reason[0], "%s: a clean pair has no reason: %s", caller, pi.reason);
}

static void check_at_risk(void) {
    diag_config cfg;
    diag_config_default(&cfg);
    diag *d = diag_new(&cfg);
    /* the demo's noise: 4 unsigned calls (3 answered, all short) is no evidence of anything */
    feed_pair(d, "12127431001", T0, 2 * MIN, 4, 3, 3, 0);
    /* short calls: 10 of 25 answered is at risk, with the numbers */
    feed_pair(d, "12127431002", T0, 3 * MIN, 25, 25, 10, 'A');
    /* 4 of 8 answered: 50 %, but on 8 calls */
    feed_pair(d, "12127431003", T0, 3 * MIN, 8, 8, 4, 'A');
    /* 20 answered: 4 short (20 %) is within chance of the 15 % limit, 6 short (30 %) is not */
    feed_pair(d, "12127431004", T0, 3 * MIN, 20, 20, 4, 'A');
    feed_pair(d, "12127431005", T0, 3 * MIN, 20, 20, 6, 'A');
    /* low attestation on 30 calls: named only as a secondary reason, so clean */
    feed_pair(d, "12127431006", T0, 3 * MIN, 30, 20, 0, 'C');
    /* ... but named when the pair is at risk for another reason */
    feed_pair(d, "12127431007", T0, 3 * MIN, 30, 30, 15, 'C');
    /* an invalid number (N11 as NXX) with no refusals: clean, still reported as invalid */
    feed_pair(d, "12124111234", T0, 3 * MIN, 12, 12, 0, 'A');
    /* 1 automated 603 is an anecdote; 2 count; 1 608 (an engine named the number) counts */
    static const char *const rep_callers[3] = {"12127431008", "12127431009", "12127431010"};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 12; i++) {
            diag_facts f = call(T0 + i * 5 * MIN, rep_callers[k], callee_n(i + 200), CAR, 200);
            sign(&f, 'A');
            if (k < 2 && (i == 3 || (k == 1 && i == 7))) {
                f.final_code = 603, f.final_ms = 300, f.rang = 0, f.first_18x_ms = f.answer_ms = f.talk_ms = -1;
                f.end = 0;
            }
            if (k == 2 && i == 5) analytics_608(&f);
            diag_learn(d, &f);
        }
    /* at risk for a 608, on 5 unsigned calls: too few to name the attestation mix */
    for (int i = 0; i < 5; i++) {
        diag_facts f = call(T0 + i * 5 * MIN, "12127431015", callee_n(i + 300), CAR, 200);
        if (i == 2) analytics_608(&f);
        diag_learn(d, &f);
    }
    /* velocity: 8/h for 15 min then 60/h (no 30 min of history: no jump), and 8/h for an
     * hour then 60/h (a jump) */
    feed_pair(d, "12127431011", T0, 450 * SX_SEC, 2, 2, 0, 'A');
    feed_pair(d, "12127431011", T0 + 15 * MIN, 60 * SX_SEC, 30, 30, 0, 'A');
    feed_pair(d, "12127431012", T0, 450 * SX_SEC, 8, 8, 0, 'A');
    feed_pair(d, "12127431012", T0 + 60 * MIN, 60 * SX_SEC, 30, 30, 0, 'A');
    /* a 15-minute burst of 30 calls (120/h for a quarter) vs 110 calls in one hour */
    feed_pair(d, "12127431013", T0, 30 * SX_SEC, 30, 30, 0, 'A');
    feed_pair(d, "12127431014", T0, 32 * SX_SEC, 110, 110, 0, 'A');
    diag_finalize(d);

    want_status(d, "12127431001", "clean", NULL);
    want_status(d, "12127431002", "at_risk", "short calls 10 of 25 answered (40 %");
    want_status(d, "12127431003", "clean", NULL);
    want_status(d, "12127431004", "clean", NULL);
    want_status(d, "12127431005", "at_risk", "short calls 6 of 20 answered (30 %");
    want_status(d, "12127431006", "clean", NULL);
    want_status(d, "12127431007", "at_risk", "low attestation: 30 of 30 calls B, C or unsigned");
    want_status(d, "12124111234", "clean", NULL);
    want_status(d, "12127431008", "clean", NULL);
    want_status(d, "12127431009", "at_risk", "2 603 in < 2 s without ringing refusals without a sustained block");
    want_status(d, "12127431010", "at_risk", "1 608 (analytics) refusal without a sustained block");
    want_status(d, "12127431015", "at_risk", "1 608 (analytics) refusal");
    diag_pair_info pi;
    CHECK(diag_pair_get(d, "12127431015", CAR, &pi) == 0 && !strstr(pi.reason, "attestation"));
    want_status(d, "12127431011", "clean", NULL);
    want_status(d, "12127431012", "at_risk", "went from 8 to 60 calls/hour at 13:00");
    want_status(d, "12127431013", "clean", NULL);
    want_status(d, "12127431014", "at_risk", "calls in its busiest hour (published limits 80-100)");

    /* the invalid number stays in the per-number validity report */
    json_t *root = keys_doc(d), *c;
    size_t i;
    int seen = 0;
    json_array_foreach(json_object_get(root, "callers"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "caller")), "12124111234")) continue;
        seen++;
        CHECK(json_is_true(json_object_get(c, "invalid_caller_id")));
        CHECK_STR(json_string_value(json_object_get(c, "invalid_reason")), "N11 service code as NXX");
    }
    CHECK_INT(seen, 1);
    json_decref(root);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    diag_text(d, m);
    fclose(m);
    CHECK_MSG(strstr(buf, "invalid caller IDs, not a risk alone: 12124111234 at " CAR " (N11 service code as NXX, 12 calls)"),
              "%s", strstr(buf, "Caller IDs") ? strstr(buf, "Caller IDs") : buf);
    free(buf);
    diag_free(d);
}

/* With the real rules: every call gets a verdict and the tallies add up. */
static void check_decide(diag *d, const diag_facts *all, size_t n) {
    int flagged_rep = 0;
    for (size_t i = 0; i < n; i++) {
        diag_verdict v;
        memset(&v, 0, sizeof v);
        diag_decide(d, &all[i], &v);
        diag_tally(d, &all[i], &v);
        if (!strcmp(all[i].caller, VEL) && all[i].start >= vel_since && all[i].final_code == 608 &&
            (v.cause == DIAG_C_CALLER_ID_REPUTATION || v.cause == DIAG_C_ANALYTICS_REJECTED))
            flagged_rep++;
    }
    diag_counts c;
    diag_counts_get(d, &c);
    CHECK_INT(c.tallied, n);
    CHECK(flagged_rep > 100);
    CHECK(c.plan_items >= 2);
}

/* The spill format: every fact comes back byte for byte, in order, through a fresh codec
 * state (as phase 2 reads them); past the dictionary's capacity too; damaged input is
 * refused. */
static void fill_str(char *dst, size_t n, int seed) {
    for (size_t i = 0; i + 1 < n; i++) dst[i] = (char)('!' + (int)((i * 7 + (size_t)seed) % 90));
    dst[n - 1] = '\0';
}

static diag_facts full_fact(int seed) {
    diag_facts f;
    memset(&f, 0, sizeof f);
    f.seq = 1000 + (uint64_t)seed * 977, f.car1 = 0xffffffffu, f.pair1 = 123456;
    f.start = INT64_MIN + seed;
    fill_str(f.call_id, sizeof f.call_id, seed), fill_str(f.caller, sizeof f.caller, seed + 1);
    fill_str(f.caller_raw, sizeof f.caller_raw, seed + 2), fill_str(f.callee, sizeof f.callee, seed + 3);
    fill_str(f.phrase, sizeof f.phrase, seed + 4), fill_str(f.blocked_by_party, sizeof f.blocked_by_party, seed + 5);
    fill_str(f.redress, sizeof f.redress, seed + 6), fill_str(f.caller_src, sizeof f.caller_src, seed + 7);
    fill_str(f.orig_tn, sizeof f.orig_tn, seed + 8), fill_str(f.dest_tn, sizeof f.dest_tn, seed + 9);
    fill_str(f.server, sizeof f.server, seed + 10), fill_str(f.reason_line, sizeof f.reason_line, seed + 11);
    memset(&f.next_hop, 0xfe, sizeof f.next_hop), memset(&f.final_addr, 0xfd, sizeof f.final_addr);
    f.next_hop_port = 65535, f.final_port = 65534, f.final_code = 65535;
    f.q850 = INT16_MIN, f.sip_cause = INT16_MAX, f.stir_cause = -2;
    f.final_ms = INT32_MIN, f.first_18x_ms = INT32_MAX, f.answer_ms = -2, f.talk_ms = INT32_MAX - 1;
    f.rang = 255, f.early_media = 2, f.challenged = 3, f.challenge_unresolved = 4, f.no_final_response = 5;
    f.end = 255, f.ended_by = 254, f.invite_retransmissions = 65535, f.has_identity = 255;
    f.attest = (char)0x80, f.signature = -128, f.stir_findings = UINT64_MAX, f.iat_age_s = INT64_MAX;
    f.network_blocked = 6, f.jcard = 7, f.implied_stir = 127, f.verstat = 255, f.trying = 8;
    f.final_from_next_hop = 9, f.hops = 255, f.implied_code = 65535;
    return f;
}

static int round_trip(const diag_facts *all, size_t n, size_t *total, size_t *biggest) {
    diag_spill *w = diag_spill_new(), *r = diag_spill_new();
    unsigned char *buf = malloc(n * DIAG_SPILL_MAX);
    size_t *len = malloc(n * sizeof *len), off = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        len[i] = diag_spill_put(w, &all[i], buf + off);
        *biggest = len[i] > *biggest ? len[i] : *biggest;
        off += len[i];
    }
    *total = off;
    off = 0;
    for (size_t i = 0; i < n; i++) {
        diag_facts back;
        memset(&back, 0xa5, sizeof back);
        bad += diag_spill_get(r, buf + off, len[i], &back) != 0 || memcmp(&back, &all[i], sizeof back) != 0;
        off += len[i];
    }
    free(buf), free(len);
    diag_spill_free(w), diag_spill_free(r);
    return bad;
}

static void check_pack(const diag_facts *all, size_t n) {
    size_t total = 0, biggest = 0;
    CHECK_INT(round_trip(all, n, &total, &biggest), 0);
    CHECK_MSG(total < n * 96, "encoded %zu bytes for %zu facts", total, n);
    CHECK(biggest <= DIAG_SPILL_MAX);
    /* worst case: every field away from its default, every string full and new (5000 of
     * them: the dictionary fills up and later strings are written as text) */
    enum { W = 500 };
    diag_facts *full = malloc(W * sizeof *full);
    for (int i = 0; i < W; i++) full[i] = full_fact(i);
    biggest = 0;
    CHECK_INT(round_trip(full, W, &total, &biggest), 0);
    CHECK_MSG(biggest <= DIAG_SPILL_MAX, "worst case %zu bytes", biggest);
    /* Call-IDs with hex runs of both cases, short runs and digits only */
    const char *ids[] = {"cf5e12ff221e703a-0000091e@198.51.100.20", "ABCDEF0123-abc@h", "12345678",
                         "a1B2c3D4e5F6", "0123ABCDEF456789abcdef@x@y", "@", "-", "deadbeef-DEADBEEF-1234"};
    diag_facts idf[8];
    for (int i = 0; i < 8; i++) {
        idf[i] = all[i];
        memset(idf[i].call_id, 0, sizeof idf[i].call_id);
        snprintf(idf[i].call_id, sizeof idf[i].call_id, "%s", ids[i]);
    }
    CHECK_INT(round_trip(idf, 8, &total, &biggest), 0);
    /* damaged input */
    diag_spill *w = diag_spill_new(), *r = diag_spill_new();
    unsigned char buf[DIAG_SPILL_MAX];
    size_t len = diag_spill_put(w, &full[0], buf);
    diag_facts back;
    CHECK_INT(diag_spill_get(r, buf, len - 1, &back), -1);           /* cut short */
    diag_spill_rewind(r);
    CHECK_INT(diag_spill_get(r, buf, len, &back), 0);
    CHECK(!memcmp(&back, &full[0], sizeof back));
    diag_spill_rewind(r);
    memset(buf, 0xff, 12);                                           /* a mask beyond the fields */
    CHECK_INT(diag_spill_get(r, buf, len, &back), -1);
    diag_spill_rewind(r);
    buf[0] = 0x01, buf[1] = 0, buf[2] = 0, buf[3] = 0, buf[4] = 0x7c; /* a Call-ID longer than the input */
    CHECK_INT(diag_spill_get(r, buf, 6, &back), -1);
    free(full);
    diag_spill_free(w), diag_spill_free(r);
}



/* A cause's example call is its earliest call (by seq), whatever order the tallies come in:
 * analyze tallies answered calls in phase 1 and the others in phase 2. */
static void test_example_earliest(void) {
    diag *d = diag_new(NULL);
    diag_facts f[3];
    for (int i = 0; i < 3; i++) {
        f[i] = call(T0 + (sx_time)i * SX_SEC, "12125550111", "13125550100", "192.0.2.9", 608);
        analytics_608(&f[i]);
        diag_learn(d, &f[i]);
    }
    diag_finalize(d);
    int order[3] = {2, 0, 1};
    for (int k = 0; k < 3; k++) {
        diag_verdict v;
        diag_decide_opt(d, &f[order[k]], 1, &v);
        diag_tally(d, &f[order[k]], &v);
    }
    char *r = report_of(d), want[96];
    snprintf(want, sizeof want, "example call %s", f[0].call_id);
    CHECK_MSG(strstr(r, want) != NULL, "no '%s' in the report", want);
    free(r);
    diag_free(d);
}

/* What `analyze` does without evidence readers (diag_run.c) gives the same verdicts and the
 * same reports as deciding every call in phase 2 with all its facts: a context-free call
 * (diag_context_free) is decided with no context at all and tallied in phase 1, in call order
 * between the learning of the others; every other call loses what diag_facts_quiet drops and
 * goes through the spill, then is decided and tallied in phase 2. */
static int same_verdict(const diag_verdict *a, const diag_verdict *b) {
    return a->cause == b->cause && a->blocked_by == b->blocked_by && a->confidence == b->confidence &&
           a->rule == b->rule && a->remediation == b->remediation;
}

static void check_reduce(const diag_facts *all, size_t n) {
    diag *full = diag_new(NULL), *red = diag_new(NULL);
    diag_facts *a = malloc(n * sizeof *a);
    memcpy(a, all, n * sizeof *a);
    for (size_t i = 0; i < n; i++) { /* evidence-only text, which diag_facts_quiet drops */
        if (!a[i].phrase[0]) snprintf(a[i].phrase, sizeof a[i].phrase, "Phrase %zu", i % 7);
        if (i % 3) snprintf(a[i].reason_line, sizeof a[i].reason_line, "Q.850;cause=%zu", i % 5);
        snprintf(a[i].caller_src, sizeof a[i].caller_src, "%s", i % 2 ? "pai" : "from");
        if (i % 4 == 1) snprintf(a[i].orig_tn, sizeof a[i].orig_tn, "1999555%04zu", i % 10000);
        if (i % 4 == 2) snprintf(a[i].dest_tn, sizeof a[i].dest_tn, "%s", a[i].callee);
        if (i % 5 == 3 && !a[i].blocked_by_party[0]) snprintf(a[i].blocked_by_party, sizeof a[i].blocked_by_party, "Engine %zu", i % 3);
        if (i % 5 == 4 && !a[i].redress[0]) snprintf(a[i].redress, sizeof a[i].redress, "https://r%zu.example", i % 3);
    }
    for (size_t i = 0; i < n; i++) diag_learn_keep(full, &a[i]);
    /* phase 1 as diag_run does it: learn, then tally now or spill (encoded, decoded back) */
    diag_spill *w = diag_spill_new(), *rd = diag_spill_new();
    diag_facts *late = malloc(n * sizeof *late);
    diag_verdict *early = malloc(n * sizeof *early);
    unsigned char *is_early = calloc(n, 1), buf[DIAG_SPILL_MAX];
    size_t free_calls = 0, nlate = 0, bad_spill = 0, quieted = 0;
    for (size_t i = 0; i < n; i++) {
        diag_facts f = a[i];
        diag_learn(red, &f);
        if (diag_context_free(&f) && f.car1 && f.pair1) {
            diag_decide_ctx_opt(&f, NULL, 1, &early[i]);
            diag_tally(red, &f, &early[i]);
            is_early[i] = 1, free_calls++;
            continue;
        }
        quieted += f.phrase[0] || f.reason_line[0] || f.caller_src[0];
        diag_facts_quiet(&f);
        size_t len = diag_spill_put(w, &f, buf);
        bad_spill += diag_spill_get(rd, buf, len, &late[nlate++]) != 0;
    }
    diag_finalize(full), diag_finalize(red);
    size_t bad = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        diag_verdict v1, v2;
        diag_decide_opt(full, &a[i], 1, &v1);
        diag_tally(full, &a[i], &v1);
        if (is_early[i]) {
            bad += !same_verdict(&v1, &early[i]);
            continue;
        }
        diag_decide_opt(red, &late[k], 1, &v2);
        diag_tally(red, &late[k++], &v2);
        bad += !same_verdict(&v1, &v2);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(bad_spill, 0);
    CHECK(quieted > 50);
    CHECK(free_calls > 50);
    char *r1 = report_of(full), *r2 = report_of(red);
    CHECK(!strcmp(r1, r2));
    free(r1), free(r2), free(a), free(late), free(early), free(is_early);
    diag_spill_free(w), diag_spill_free(rd);
    diag_free(full), diag_free(red);
}

/* diag_learn_keep remembers each call's carrier and pair for phase 2: the verdicts and every
 * report must be the same as when phase 2 looks them up, also past the caps and with the
 * next-hop cache full (4200 next hops: calls sent to "(other)" are then found by name). */

static void check_keep(void) {
    enum { N = 8800 };
    diag_config cfg;
    diag_config_default(&cfg);
    cfg.max_pairs = 300;
    cfg.max_carriers = 3;
    diag *plain = diag_new(&cfg), *kept = diag_new(&cfg), *hinted = diag_new(&cfg);
    diag_facts *a = calloc(N, sizeof *a), *b = calloc(N, sizeof *b), *c = calloc(N, sizeof *c);
    int remembered = 0, looked_up = 0, hint_differ = 0, hints = 0;
    diag_hint prev_hint = {0, 0};
    for (int i = 0; i < N; i++) {
        char caller[16], hop[16];
        snprintf(caller, sizeof caller, "1212555%04d", i % 400);
        int h = i / 2 % 4200;
        snprintf(hop, sizeof hop, "10.1.%d.%d", h / 250, h % 250 + 1);
        a[i] = call(T0 + i * MIN, caller, callee_n(i), i % 2 ? hop : "10.0.0.1", i % 3 ? 200 : 608);
        b[i] = a[i];
        diag_learn(plain, &a[i]);
        diag_learn_keep(kept, &b[i]);
        /* as in analyze: a call's hint is taken before the call ahead of it is learnt */
        c[i] = a[i];
        diag_hint hn = diag_prefetch_index(hinted, &c[i]);
        if (i) diag_learn_hinted(hinted, &c[i - 1], prev_hint);
        prev_hint = hn;
        hints += hn.car1 != 0;
        remembered += b[i].car1 != 0;
        looked_up += b[i].car1 == 0;
    }
    diag_learn_hinted(hinted, &c[N - 1], prev_hint);
    for (int i = 0; i < N; i++) hint_differ += c[i].car1 != b[i].car1 || c[i].pair1 != b[i].pair1;
    CHECK_INT(hint_differ, 0);
    CHECK(hints > N / 2);
    CHECK(remembered > 0 && looked_up > 0);
    diag_finalize(plain);
    diag_finalize(kept);
    diag_finalize(hinted);
    int differ = 0;
    for (int i = 0; i < N; i++) {
        diag_verdict va, vb;
        diag_decide(plain, &a[i], &va);
        diag_decide(kept, &b[i], &vb);
        char *ja = NULL, *jb = NULL;
        size_t la = 0, lb = 0;
        FILE *ma = open_memstream(&ja, &la), *mb = open_memstream(&jb, &lb);
        int fa = 1, fb = 1;
        diag_verdict_json(&va, ma, &fa);
        diag_verdict_json(&vb, mb, &fb);
        fclose(ma);
        fclose(mb);
        differ += strcmp(ja, jb) != 0;
        free(ja);
        free(jb);
        diag_tally(plain, &a[i], &va);
        diag_tally(kept, &b[i], &vb);
    }
    CHECK_INT(differ, 0);
    char *ra = report_of(plain), *rb = report_of(kept);
    CHECK(strstr(ra, "(other)"));
    CHECK_MSG(!strcmp(ra, rb), "reports differ (%zu vs %zu bytes)", strlen(ra), strlen(rb));
    for (int i = 0; i < N; i++) { /* phase 2 as in kept */
        diag_verdict v;
        diag_decide(hinted, &c[i], &v);
        diag_tally(hinted, &c[i], &v);
    }
    char *rc = report_of(hinted);
    CHECK_MSG(!strcmp(rc, rb), "hinted report differs (%zu vs %zu bytes)", strlen(rc), strlen(rb));
    free(ra);
    free(rb);
    free(rc);
    free(a);
    free(b);
    free(c);
    diag_free(plain);
    diag_free(kept);
    diag_free(hinted);
}
int main(void) {
    test_example_earliest();
    diag_config cfg;
    diag_config_default(&cfg);
    CHECK_INT(cfg.bucket, 15 * MIN);
    diag *d = diag_new(&cfg);
    size_t room = 4096, n = 0;
    diag_facts *all = calloc(room, sizeof *all);
    feed_velocity(d, all, &n);
    feed_clean(d, all, &n);
    feed_risky(d, all, &n);
    feed_unsigned(d, all, &n);
    feed_stale(d, all, &n);
    feed_capacity(d, all, &n);
    CHECK(n < room);
    diag_finalize(d);
    check_onset(d, all, n);
    check_policies(d, all, n);
    check_decide(d, all, n);
    check_json(d);
    check_csv(d);
    check_text(d);
    check_plan_ranking();
    check_at_risk();
    check_grid_gap();
    check_caps();
    check_keep();
    check_pack(all, n);
    check_reduce(all, n);
    diag_free(d);
    free(all);
    TH_END();
}
