/* call_json.c -- the call record as one NDJSON line (docs/call-record.md, "schema": 1).
 * Keys are stable and always present; absent values are null. Strings go through json_str,
 * which escapes control characters and invalid UTF-8 bytes as \u00XX. Times are integer
 * milliseconds, rounded to nearest (captures carry microseconds). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>

#include "../base/json.h"
#include "call.h"

const char *call_status_name(int status) {
    switch (status) {
    case CALL_COMPLETED: return "completed";
    case CALL_INCOMPLETE: return "incomplete";
    case CALL_EVICTED: return "evicted";
    default: return "?";
    }
}

const char *call_end_name(int end) {
    static const char *const names[] = {
#define CALL_END_NAME(sym, name, desc) name,
        CALL_ENDS(CALL_END_NAME)
#undef CALL_END_NAME
    };
    return end >= 0 && end < CALL_END__COUNT ? names[end] : "?";
}

const char *call_via_name(int via) {
    switch (via) {
    case CALL_VIA_CONTACT: return "contact";
    case CALL_VIA_RECORD_ROUTE: return "record_route";
    case CALL_VIA_RURI: return "ruri";
    case CALL_VIA_SERVER: return "server";
    default: return NULL;
    }
}

/* ---- path: the next hop and the network behind it ---- */

/* An address literal ("192.0.2.1", "2001:db8::1", brackets already gone)? 0 and *a if so. */
static int host_addr(sx_sv h, sx_addr *a) {
    char buf[SX_ADDR_STRLEN];
    if (h.n == 0 || h.n >= sizeof buf) return -1;
    memcpy(buf, h.p, h.n);
    buf[h.n] = 0;
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, buf, a->a) == 1) a->family = 4;
    else if (inet_pton(AF_INET6, buf, a->a) == 1) a->family = 6;
    else return -1;
    return 0;
}

static const char *host_name(const carriers *names, sx_sv host) {
    sx_addr a;
    if (!names || !host.n) return NULL;
    return host_addr(host, &a) == 0 ? carriers_by_addr(names, &a) : carriers_by_host(names, host);
}

/* The operator may name a Server product ("CarrierB-SBC CarrierB"): try each word. */
static const char *server_name(const carriers *names, sx_sv server) {
    static const char seps[] = " \t/()[];,";
    size_t i = 0;
    while (names && i < server.n) {
        while (i < server.n && strchr(seps, server.p[i])) i++;
        size_t s = i;
        while (i < server.n && !strchr(seps, server.p[i])) i++;
        const char *n = i > s ? carriers_by_host(names, sx_sv_make(server.p + s, i - s)) : NULL;
        if (n) return n;
    }
    return NULL;
}

int call_path_terminating(const call_record *r, const carriers *names, sx_sv *host,
                          const char **name) {
    const call_path *p = &r->path;
    struct { sx_sv host; int via; } cand[3];
    int n = 0, pick = -1;
    sx_sv hosts[3] = {p->contact_host, p->rr_behind ? p->rr_first : SX_SV_NULL, p->ruri_host};
    static const int vias[3] = {CALL_VIA_CONTACT, CALL_VIA_RECORD_ROUTE, CALL_VIA_RURI};
    for (int i = 0; i < 3; i++) {
        sx_addr a;
        if (!hosts[i].n) continue;
        /* The next hop's own address reveals nothing behind it. */
        if (host_addr(hosts[i], &a) == 0 && sx_addr_eq(&a, &p->next_hop)) continue;
        cand[n].host = hosts[i], cand[n++].via = vias[i];
    }
    *host = SX_SV_NULL;
    *name = NULL;
    for (int i = 0; i < n && pick < 0; i++)
        if ((*name = host_name(names, cand[i].host))) pick = i;
    if (pick < 0 && (*name = server_name(names, r->server))) {
        *host = r->server;
        return CALL_VIA_SERVER;
    }
    if (pick < 0 && n) pick = 0;
    if (pick < 0) return CALL_VIA_NONE;
    *host = cand[pick].host;
    return cand[pick].via;
}

/* ---- tiny writers ---- */

static void j_bool(FILE *o, int b) { fputs(b ? "true" : "false", o); }

static void j_ep(FILE *o, const sx_addr *a, uint16_t port) {
    char buf[SX_ENDPOINT_STRLEN];
    if (!a->family) fputs("null", o);
    else json_cstr(o, sx_endpoint_str(a, port, buf));
}

/* Integer milliseconds, rounded half away from zero. */
static long long ms(sx_time us) {
    return us >= 0 ? (long long)((us + 500) / 1000) : -(long long)((-us + 500) / 1000);
}

static void j_ms(FILE *o, sx_time us) {
    if (us == CALL_T_NONE) fputs("null", o);
    else fprintf(o, "%lld", ms(us));
}

static void k(FILE *o, int *first, const char *key) { json_key(o, first, key); }

/* ---- sections ---- */

static void j_caller(FILE *o, const call_party *p) {
    int f = 1;
    putc('{', o);
    k(o, &f, "e164"), json_cstr_or_null(o, p->e164);
    k(o, &f, "user"), json_str_or_null(o, p->user);
    k(o, &f, "uri"), json_str_or_null(o, p->uri);
    k(o, &f, "display"), json_str_or_null(o, p->display);
    k(o, &f, "source"), json_cstr_or_null(o, p->source);
    k(o, &f, "from_uri"), json_str_or_null(o, p->from_uri);
    putc('}', o);
}

static void j_callee(FILE *o, const call_party *p) {
    int f = 1;
    putc('{', o);
    k(o, &f, "e164"), json_cstr_or_null(o, p->e164);
    k(o, &f, "user"), json_str_or_null(o, p->user);
    k(o, &f, "uri"), json_str_or_null(o, p->uri);
    k(o, &f, "to_uri"), json_str_or_null(o, p->to_uri);
    k(o, &f, "source"), json_cstr_or_null(o, p->source);
    putc('}', o);
}

static void j_reasons(FILE *o, const call_record *r) {
    putc('[', o);
    for (size_t i = 0; i < r->nreasons; i++) {
        const call_reason *x = &r->reasons[i];
        int f = 1;
        if (i) putc(',', o);
        putc('{', o);
        k(o, &f, "protocol"), json_str_or_null(o, x->protocol);
        k(o, &f, "cause");
        if (x->cause >= 0) fprintf(o, "%d", x->cause);
        else fputs("null", o);
        k(o, &f, "text"), json_str_or_null(o, x->text);
        k(o, &f, "location"), json_str_or_null(o, x->location);
        putc('}', o);
    }
    putc(']', o);
}

static void j_call_info(FILE *o, const call_record *r) {
    putc('[', o);
    for (size_t i = 0; i < r->ncall_info; i++) {
        int f = 1;
        if (i) putc(',', o);
        putc('{', o);
        k(o, &f, "uri"), json_str_or_null(o, r->call_info[i].uri);
        k(o, &f, "purpose"), json_str_or_null(o, r->call_info[i].purpose);
        putc('}', o);
    }
    putc(']', o);
}

static void j_timings(FILE *o, const call_timings *t) {
    int f = 1;
    putc('{', o);
    k(o, &f, "pdd_ms"), j_ms(o, t->pdd);
    k(o, &f, "first_18x_ms"), j_ms(o, t->first_18x);
    k(o, &f, "final_ms"), j_ms(o, t->final);
    k(o, &f, "answer_ms"), j_ms(o, t->answer);
    k(o, &f, "ring_ms"), j_ms(o, t->ring);
    k(o, &f, "talk_ms"), j_ms(o, t->talk);
    k(o, &f, "last_invite_ms"), j_ms(o, t->last_invite);
    putc('}', o);
}

static void j_branches(FILE *o, const call_record *r) {
    putc('[', o);
    for (size_t i = 0; i < r->nbranches; i++) {
        const call_branch *b = &r->branches[i];
        int f = 1;
        if (i) putc(',', o);
        putc('{', o);
        k(o, &f, "to_tag"), json_str_or_null(o, b->to_tag);
        k(o, &f, "from"), j_ep(o, &b->addr, b->port);
        k(o, &f, "codes");
        putc('[', o);
        for (unsigned c = 0; c < b->ncodes; c++) fprintf(o, c ? ",%u" : "%u", (unsigned)b->codes[c]);
        putc(']', o);
        k(o, &f, "final_code"), fprintf(o, "%u", (unsigned)b->final_code);
        putc('}', o);
    }
    putc(']', o);
}

static void j_messages(FILE *o, const call_record *r) {
    putc('[', o);
    for (size_t i = 0; i < r->nmessages; i++) {
        const call_msg *m = &r->messages[i];
        int f = 1;
        if (i) putc(',', o);
        putc('{', o);
        k(o, &f, "t_ms"), j_ms(o, m->t - r->start);
        k(o, &f, "src"), j_ep(o, &m->src, m->sport);
        k(o, &f, "dst"), j_ep(o, &m->dst, m->dport);
        k(o, &f, "line"), json_str_or_null(o, m->line);
        putc('}', o);
    }
    putc(']', o);
}

static void j_svs(FILE *o, const sx_sv *v, size_t n) {
    putc('[', o);
    for (size_t i = 0; i < n; i++) {
        if (i) putc(',', o);
        json_str_or_null(o, v[i]);
    }
    putc(']', o);
}

/* One hop: every key always present. */
static void j_hop(FILE *o, int *first_hop, const char *role, const sx_addr *peer, uint16_t port,
                  sx_sv host, const char *via, const char *name) {
    int f = 1;
    if (!*first_hop) putc(',', o);
    *first_hop = 0;
    putc('{', o);
    k(o, &f, "role"), json_cstr_or_null(o, role);
    k(o, &f, "peer");
    if (peer) j_ep(o, peer, port);
    else fputs("null", o);
    k(o, &f, "host"), json_str_or_null(o, host);
    k(o, &f, "via"), json_cstr_or_null(o, via);
    k(o, &f, "name"), json_cstr_or_null(o, name);
    putc('}', o);
}

/* [next_hop, responder (only when the final came from elsewhere), terminating (if any)] */
static void j_path(FILE *o, const call_record *r) {
    const call_path *p = &r->path;
    const carriers *names = r->names;
    int first = 1;
    putc('[', o);
    if (p->next_hop.family)
        j_hop(o, &first, "next_hop", &p->next_hop, p->next_port, SX_SV_NULL, "invite",
              carriers_by_addr(names, &p->next_hop));
    if (r->final_code && r->final_addr.family &&
        (!sx_addr_eq(&r->final_addr, &p->next_hop) || r->final_port != p->next_port))
        j_hop(o, &first, "responder", &r->final_addr, r->final_port, SX_SV_NULL, "final",
              carriers_by_addr(names, &r->final_addr));
    sx_sv host;
    const char *name;
    int via = call_path_terminating(r, names, &host, &name);
    if (via != CALL_VIA_NONE)
        j_hop(o, &first, "terminating", NULL, 0, host, call_via_name(via), name);
    putc(']', o);
}

static const char *by_name(int by) {
    return by == CALL_BY_CALLER ? "caller" : by == CALL_BY_CALLEE ? "callee" : NULL;
}

void call_record_json_ex(const call_record *r, FILE *o, call_json_extra_fn extra, void *ud) {
    int f = 1;
    putc('{', o);
    k(o, &f, "schema"), fputs("1", o);
    k(o, &f, "call_id"), json_str_or_null(o, r->call_id);
    k(o, &f, "leg_group"), json_str_or_null(o, r->leg_group);
    k(o, &f, "leg_match"), json_cstr_or_null(o, r->leg_match);
    k(o, &f, "start"), json_time(o, r->start, 3);
    k(o, &f, "status"), json_cstr_or_null(o, call_status_name(r->status));
    k(o, &f, "end"), json_cstr_or_null(o, call_end_name(r->end));
    k(o, &f, "ended_by"), json_cstr_or_null(o, by_name(r->ended_by));
    k(o, &f, "caller"), j_caller(o, &r->caller);
    k(o, &f, "callee"), j_callee(o, &r->callee);
    k(o, &f, "src"), j_ep(o, &r->src, r->sport);
    k(o, &f, "dst"), j_ep(o, &r->dst, r->dport);
    k(o, &f, "transport"), json_cstr_or_null(o, r->transport ? sx_transport_name(r->transport) : NULL);
    k(o, &f, "final_code"), fprintf(o, "%d", r->final_code);
    k(o, &f, "final_reason"), json_str_or_null(o, r->final_code ? r->final_reason : SX_SV_NULL);
    k(o, &f, "final_from");
    if (r->final_code) j_ep(o, &r->final_addr, r->final_port);
    else fputs("null", o);
    k(o, &f, "path"), j_path(o, r);
    k(o, &f, "no_final_response"), j_bool(o, r->no_final_response);
    k(o, &f, "reasons"), j_reasons(o, r);
    k(o, &f, "warning"), json_str_or_null(o, r->warning);
    k(o, &f, "retry_after");
    if (r->retry_after >= 0) fprintf(o, "%" PRId64, r->retry_after);
    else fputs("null", o);
    k(o, &f, "call_info"), j_call_info(o, r);
    k(o, &f, "responder");
    {
        int g = 1;
        putc('{', o);
        k(o, &g, "server"), json_str_or_null(o, r->server);
        k(o, &g, "user_agent"), json_str_or_null(o, r->user_agent);
        putc('}', o);
    }
    k(o, &f, "provisional");
    putc('[', o);
    for (size_t i = 0; i < r->nprovisional; i++) fprintf(o, i ? ",%u" : "%u", (unsigned)r->provisional[i]);
    putc(']', o);
    k(o, &f, "early_media"), j_bool(o, r->early_media);
    k(o, &f, "timings"), j_timings(o, &r->timings);
    k(o, &f, "invite_retransmissions"), fprintf(o, "%u", (unsigned)r->invite_retransmissions);
    k(o, &f, "response_retransmissions"), fprintf(o, "%u", (unsigned)r->response_retransmissions);
    k(o, &f, "invite_transactions"), fprintf(o, "%u", (unsigned)r->invite_transactions);
    k(o, &f, "hops"), fprintf(o, "%u", (unsigned)r->hops);
    k(o, &f, "branch_count"), fprintf(o, "%zu", r->nbranches);
    k(o, &f, "branches"), j_branches(o, r);
    k(o, &f, "challenged"), j_bool(o, r->challenged);
    k(o, &f, "identity"), j_svs(o, r->identity, r->nidentity);
    k(o, &f, "verstat"), json_str_or_null(o, r->verstat);
    k(o, &f, "session_id"), json_str_or_null(o, r->session_id);
    k(o, &f, "icid"), json_str_or_null(o, r->icid);
    k(o, &f, "truncated"), j_bool(o, r->truncated);
    k(o, &f, "messages"), j_messages(o, r);
    k(o, &f, "messages_dropped"), fprintf(o, "%u", (unsigned)r->messages_dropped);
    if (extra) extra(ud, r, o, &f);
    fputs("}\n", o);
}

void call_record_json(const call_record *r, FILE *o) { call_record_json_ex(r, o, NULL, NULL); }

void ct_stats_json(const ct_counters *s, FILE *o) {
    static const char *const methods[16] = {
        "OTHER", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK",
        "UPDATE", "INFO", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH", "?"};
    int f = 1;
    putc('{', o);
#define CT_U(name) k(o, &f, #name), fprintf(o, "%" PRIu64, s->name)
    CT_U(messages);
    CT_U(calls);
    CT_U(completed);
    CT_U(incomplete);
    CT_U(evicted);
    CT_U(orphans);
    CT_U(late);
    CT_U(noncall_responses);
    CT_U(invite_retransmissions);
    CT_U(response_retransmissions);
    CT_U(duplicates);
    CT_U(truncated);
    CT_U(messages_dropped);
    CT_U(grouped);
    CT_U(active);
    CT_U(active_max);
#undef CT_U
    k(o, &f, "requests");
    int g = 1;
    putc('{', o);
    for (int i = 0; i < 16; i++)
        if (s->requests[i]) k(o, &g, methods[i]), fprintf(o, "%" PRIu64, s->requests[i]);
    putc('}', o);
    putc('}', o);
}
