/* summary.c -- folds call records into the analyze report. */
#include "summary.h"

#include <stdlib.h>

#include "../base/json.h"

#define MAX_PEERS 4096  /* distinct peers tracked; the rest are folded into "other" */
#define PEER_CODES 12   /* distinct final codes kept per peer */
#define FAST_DECLINE (2 * SX_SEC) /* 603 faster than this without 18x: automated (H) */

typedef struct peer_code { uint16_t code; uint32_t n; } peer_code;

typedef struct peer {
    sx_addr addr;
    uint16_t port;
    int used;
    uint64_t sent;      /* INVITEs whose next hop this peer was */
    uint64_t answered, failed, blocked, final_from; /* final responses it sent */
    peer_code codes[PEER_CODES];
} peer;

struct summary {
    const carriers *names;
    uint64_t calls, answered, failed, redirected, no_final, blocks, isa, seer_ok;
    uint64_t by_status[3];
    uint64_t codes[700];
    char phrase[700][40]; /* first reason phrase seen per code */
    uint64_t challenged, with_identity, grouped_legs;
    peer *peers;          /* open addressing, MAX_PEERS slots */
    uint64_t peers_overflow;
};

summary *sum_new(const carriers *names) {
    summary *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->peers = calloc(MAX_PEERS, sizeof *s->peers);
    if (!s->peers) {
        free(s);
        return NULL;
    }
    s->names = names;
    return s;
}

void sum_free(summary *s) {
    if (!s) return;
    free(s->peers);
    free(s);
}

static uint32_t peer_hash(const sx_addr *a, uint16_t port) {
    uint32_t h = 2166136261u;
    for (int i = 0; i < (a->family == 4 ? 4 : 16); i++) h = (h ^ a->a[i]) * 16777619u;
    return (h ^ port) * 16777619u;
}

static peer *peer_get(summary *s, const sx_addr *a, uint16_t port) {
    if (!a->family) return NULL;
    uint32_t h = peer_hash(a, port);
    for (uint32_t i = 0; i < MAX_PEERS; i++) {
        peer *p = &s->peers[(h + i) % MAX_PEERS];
        if (!p->used) {
            p->used = 1, p->addr = *a, p->port = port;
            return p;
        }
        if (p->port == port && sx_addr_eq(&p->addr, a)) return p;
    }
    s->peers_overflow++;
    return NULL;
}

static void peer_code_add(peer *p, int code) {
    for (int i = 0; i < PEER_CODES; i++) {
        if (p->codes[i].code == code) { p->codes[i].n++; return; }
        if (p->codes[i].code == 0) { p->codes[i].code = (uint16_t)code, p->codes[i].n = 1; return; }
    }
}

int sum_is_block(const call_record *r) {
    int c = r->final_code;
    if (c == 607 || c == 608) return 1;
    if (c != 603) return 0;
    if (sx_sv_istarts(r->final_reason, "Network Blocked")) return 1; /* 603+ (ATIS-1000099) */
    int rang = r->timings.first_18x != CALL_T_NONE;
    return !rang && r->timings.final != CALL_T_NONE && r->timings.final < FAST_DECLINE;
}

/* RFC 6076 §4.7 SEER numerator codes, besides 200: the user was reached. */
static int seer_user_reached(int c) { return c == 480 || c == 486 || c == 600 || c == 603; }

void sum_call(summary *s, const call_record *r) {
    int c = r->final_code;
    s->calls++;
    if (r->status >= 0 && r->status < 3) s->by_status[r->status]++;
    if (r->challenged) s->challenged++;
    if (r->nidentity) s->with_identity++;
    if (r->leg_match && strcmp(r->leg_match, "none") != 0) s->grouped_legs++;
    int block = sum_is_block(r);
    if (c >= 100 && c < 700) {
        s->codes[c]++;
        if (!s->phrase[c][0])
            snprintf(s->phrase[c], sizeof s->phrase[c], "%.*s", SX_SV_FMT(r->final_reason));
    }
    if (c >= 200 && c < 300) s->answered++, s->seer_ok++;
    else if (c >= 300 && c < 400) s->redirected++;
    else if (c >= 400) {
        s->failed++;
        if (block) s->blocks++;
        else if (seer_user_reached(c)) s->seer_ok++;
        if (c == 408 || c == 500 || c == 503 || c == 504) s->isa++;
    } else s->no_final++;

    peer *next = peer_get(s, &r->dst, r->dport);
    if (next) next->sent++;
    peer *from = c ? peer_get(s, &r->final_addr, r->final_port) : NULL;
    if (from) {
        from->final_from++;
        if (c < 300) from->answered++;
        else from->failed++;
        if (block) from->blocked++;
        peer_code_add(from, c);
    }
}

/* ---- output ---- */

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

static const char *peer_label(const summary *s, const peer *p, char *buf, size_t n) {
    char ep[SX_ENDPOINT_STRLEN];
    const char *name = carriers_by_addr(s->names, &p->addr);
    snprintf(buf, n, "%s%s%s%s", sx_endpoint_str(&p->addr, p->port, ep), name ? " (" : "",
             name ? name : "", name ? ")" : "");
    return buf;
}

/* Peers sorted by a key, most first; returns how many (pointers into s->peers). */
static size_t sorted_peers(const summary *s, const peer **out, int by_failed) {
    size_t n = 0;
    for (size_t i = 0; i < MAX_PEERS; i++)
        if (s->peers[i].used && (by_failed ? s->peers[i].sent : s->peers[i].final_from))
            out[n++] = &s->peers[i];
    for (size_t i = 1; i < n; i++) { /* insertion sort: a few peers in practice */
        const peer *p = out[i];
        uint64_t kp = by_failed ? p->sent : p->final_from;
        size_t j = i;
        while (j > 0 && (by_failed ? out[j - 1]->sent : out[j - 1]->final_from) < kp)
            out[j] = out[j - 1], j--;
        out[j] = p;
    }
    return n;
}

typedef struct ratios { uint64_t base; double asr, seer, block, isa; } ratios;

static ratios compute(const summary *s) {
    ratios r;
    r.base = s->calls - s->redirected; /* RFC 6076: INVITEs minus 3xx */
    r.asr = pct(s->answered, r.base);
    r.seer = pct(s->seer_ok, r.base);
    r.block = pct(s->blocks, r.base);
    r.isa = pct(s->isa, s->calls);
    return r;
}

static void text_peers(const summary *s, FILE *out) {
    const peer **list = malloc(MAX_PEERS * sizeof *list);
    if (!list) return;
    size_t n = sorted_peers(s, list, 0);
    if (n) fprintf(out, "\nFinal responses by responding peer\n  %-40s %7s %8s %7s  codes\n",
                   "peer", "finals", "answered", "blocks");
    char label[160];
    for (size_t i = 0; i < n && i < 20; i++) {
        const peer *p = list[i];
        fprintf(out, "  %-40s %7llu %8llu %7llu  ", peer_label(s, p, label, sizeof label),
                (unsigned long long)p->final_from, (unsigned long long)p->answered,
                (unsigned long long)p->blocked);
        for (int k = 0; k < PEER_CODES && p->codes[k].code; k++)
            fprintf(out, "%s%u×%u", k ? " " : "", p->codes[k].code, p->codes[k].n);
        fputc('\n', out);
    }
    n = sorted_peers(s, list, 1);
    if (n) fprintf(out, "\nDestinations (next hop of the INVITE)\n  %-40s %8s\n", "peer", "calls");
    for (size_t i = 0; i < n && i < 20; i++)
        fprintf(out, "  %-40s %8llu\n", peer_label(s, list[i], label, sizeof label),
                (unsigned long long)list[i]->sent);
    if (s->peers_overflow)
        fprintf(out, "  (%llu calls involved peers beyond the %d tracked)\n",
                (unsigned long long)s->peers_overflow, MAX_PEERS);
    free(list);
}

void sum_text(const summary *s, const sum_run *run, FILE *out) {
    char t0[32], t1[32];
    ratios r = compute(s);
    fprintf(out, "Capture: %s .. %s\n", run->first_ts ? sx_time_str(run->first_ts, 3, t0) : "-",
            run->last_ts ? sx_time_str(run->last_ts, 3, t1) : "-");
    fprintf(out, "Calls: %llu   answered %llu   failed %llu   redirected %llu   "
                 "no final response %llu\n",
            (unsigned long long)s->calls, (unsigned long long)s->answered,
            (unsigned long long)s->failed, (unsigned long long)s->redirected,
            (unsigned long long)s->no_final);
    fprintf(out, "  completed %llu, incomplete %llu, evicted %llu; challenged %llu; "
                 "with Identity %llu; B2BUA legs grouped %llu\n",
            (unsigned long long)s->by_status[0], (unsigned long long)s->by_status[1],
            (unsigned long long)s->by_status[2], (unsigned long long)s->challenged,
            (unsigned long long)s->with_identity, (unsigned long long)s->grouped_legs);
    fprintf(out, "\nRatios (RFC 6076; base = calls - 3xx = %llu)\n", (unsigned long long)r.base);
    fprintf(out, "  ASR / SER  answered                                %6.1f %%\n", r.asr);
    fprintf(out, "  NER / SEER answered or user reached, blocks apart  %6.1f %%\n", r.seer);
    fprintf(out, "  Block ratio 603+, 607, 608, 603 < 2 s unrung       %6.1f %%\n", r.block);
    fprintf(out, "  ISA        408, 500, 503, 504                      %6.1f %%\n", r.isa);
    fprintf(out, "\nFinal responses\n  %-4s %-36s %8s %7s\n", "code", "reason phrase", "calls",
            "share");
    for (int c = 100; c < 700; c++)
        if (s->codes[c])
            fprintf(out, "  %-4d %-36.36s %8llu %6.1f %%\n", c, s->phrase[c],
                    (unsigned long long)s->codes[c], pct(s->codes[c], s->calls));
    if (s->no_final)
        fprintf(out, "  %-4s %-36s %8llu %6.1f %%\n", "-", "(no final response)",
                (unsigned long long)s->no_final, pct(s->no_final, s->calls));
    text_peers(s, out);

    const ct_counters *ct = run->ct;
    if (ct) {
        static const char *const mnames[16] = {"other", "INVITE", "ACK", "BYE", "CANCEL",
            "OPTIONS", "REGISTER", "PRACK", "UPDATE", "INFO", "SUBSCRIBE", "NOTIFY", "REFER",
            "MESSAGE", "PUBLISH", "?"};
        int any = 0;
        for (int i = 0; i < 16; i++)
            if (ct->requests[i]) {
                fprintf(out, "%s%s %llu", any ? ", " : "\nOutside calls: ", mnames[i],
                        (unsigned long long)ct->requests[i]);
                any = 1;
            }
        if (ct->orphans) fprintf(out, "%sorphan in-dialog messages %llu", any ? ", " : "\nOutside calls: ",
                                 (unsigned long long)ct->orphans), any = 1;
        if (any) fputc('\n', out);
    }
    fputc('\n', out);
    tally_print(run->tally, out);
}

static void json_peers(const summary *s, FILE *out) {
    const peer **list = malloc(MAX_PEERS * sizeof *list);
    fputc('[', out);
    size_t n = list ? sorted_peers(s, list, 0) : 0;
    char ep[SX_ENDPOINT_STRLEN];
    for (size_t i = 0; i < n; i++) {
        const peer *p = list[i];
        const char *name = carriers_by_addr(s->names, &p->addr);
        int f = 1;
        fputs(i ? ",{" : "{", out);
        json_key(out, &f, "peer"), json_cstr(out, sx_endpoint_str(&p->addr, p->port, ep));
        json_key(out, &f, "name"), name ? json_cstr(out, name) : (void)fputs("null", out);
        json_key(out, &f, "finals"), fprintf(out, "%llu", (unsigned long long)p->final_from);
        json_key(out, &f, "answered"), fprintf(out, "%llu", (unsigned long long)p->answered);
        json_key(out, &f, "blocked"), fprintf(out, "%llu", (unsigned long long)p->blocked);
        json_key(out, &f, "codes"), fputc('{', out);
        for (int k = 0; k < PEER_CODES && p->codes[k].code; k++)
            fprintf(out, "%s\"%u\":%u", k ? "," : "", p->codes[k].code, p->codes[k].n);
        fputs("}}", out);
    }
    fputc(']', out);
    free(list);
}

void sum_json(const summary *s, const sum_run *run, FILE *out) {
    ratios r = compute(s);
    int f = 1;
    fputc('{', out);
    json_key(out, &f, "schema"), fputs("1", out);
    json_key(out, &f, "calls"), fprintf(out, "%llu", (unsigned long long)s->calls);
    json_key(out, &f, "answered"), fprintf(out, "%llu", (unsigned long long)s->answered);
    json_key(out, &f, "failed"), fprintf(out, "%llu", (unsigned long long)s->failed);
    json_key(out, &f, "redirected"), fprintf(out, "%llu", (unsigned long long)s->redirected);
    json_key(out, &f, "no_final_response"), fprintf(out, "%llu", (unsigned long long)s->no_final);
    json_key(out, &f, "blocks"), fprintf(out, "%llu", (unsigned long long)s->blocks);
    json_key(out, &f, "ratios");
    fprintf(out, "{\"base\":%llu,\"asr\":%.4f,\"ner\":%.4f,\"block\":%.4f,\"isa\":%.4f}",
            (unsigned long long)r.base, r.asr / 100, r.seer / 100, r.block / 100, r.isa / 100);
    json_key(out, &f, "codes"), fputc('[', out);
    int n = 0;
    for (int c = 100; c < 700; c++)
        if (s->codes[c]) {
            fprintf(out, "%s{\"code\":%d,\"reason\":", n++ ? "," : "", c);
            json_cstr(out, s->phrase[c]);
            fprintf(out, ",\"calls\":%llu}", (unsigned long long)s->codes[c]);
        }
    fputc(']', out);
    json_key(out, &f, "peers"), json_peers(s, out);
    if (run->ct) json_key(out, &f, "tracker"), ct_stats_json(run->ct, out);
    json_key(out, &f, "tally"), tally_json(run->tally, out);
    json_key(out, &f, "seconds"), fprintf(out, "%.3f", run->seconds);
    fputs("}\n", out);
}
