/* test_call.c -- the call tracker, fed with SIP text parsed by sip_parse and made-up capture
 * metadata (times, addresses). Each test checks the records a user would read. */
#define _GNU_SOURCE /* open_memstream */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "call/call.h"
#include "harness.h"

#define T0 1795773039123000LL /* 2026-11-27T09:50:39.123Z */
#define MS(x) ((sx_time)(x) * 1000)

/* ---- endpoints ---- */
enum { EP_A, EP_B, EP_P, EP_F1, EP_F2, EP_V6, EP__N };
static const struct { uint8_t fam, a[16]; uint16_t port; } eps[EP__N] = {
    {4, {192, 0, 2, 10}, 5060},         /* caller */
    {4, {198, 51, 100, 20}, 5060},      /* callee side */
    {4, {203, 0, 113, 5}, 5060},        /* a proxy */
    {4, {203, 0, 113, 1}, 5060},        /* fork 1 */
    {4, {203, 0, 113, 2}, 5070},        /* fork 2 */
    {6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 5061},
};

/* ---- what the emit callback keeps (records live only during the callback) ---- */
typedef struct got {
    char call_id[128], leg_group[128], leg_match[16], e164_caller[16], e164_callee[16];
    int final_code, status, end, ended_by, challenged, no_final, early_media;
    call_timings t;
    unsigned inv_rtx, resp_rtx, inv_tx, hops;
    size_t nbranches, nprov, nidentity, nmessages;
    uint16_t prov[8];
    call_branch br[4];
    uint32_t dropped;
    char json[8192];
} got;

typedef struct tc {
    call_tracker *ct;
    sx_tally tally;
    got recs[8];
    int n;
    uint64_t count; /* all records, for the big test */
    sip_msg m;
    char buf[8192];
} tc;

static void sv_copy(char *dst, size_t size, sx_sv v) {
    size_t n = v.n < size - 1 ? v.n : size - 1;
    if (n) memcpy(dst, v.p, n);
    dst[n] = 0;
}

static void on_emit(void *ud, const call_record *r) {
    tc *c = ud;
    c->count++;
    if (c->n >= 8) return;
    got *g = &c->recs[c->n++];
    memset(g, 0, sizeof *g);
    sv_copy(g->call_id, sizeof g->call_id, r->call_id);
    sv_copy(g->leg_group, sizeof g->leg_group, r->leg_group);
    snprintf(g->leg_match, sizeof g->leg_match, "%s", r->leg_match);
    snprintf(g->e164_caller, 16, "%s", r->caller.e164);
    snprintf(g->e164_callee, 16, "%s", r->callee.e164);
    g->final_code = r->final_code;
    g->status = r->status;
    g->end = r->end;
    g->ended_by = r->ended_by;
    g->challenged = r->challenged;
    g->no_final = r->no_final_response;
    g->early_media = r->early_media;
    g->t = r->timings;
    g->inv_rtx = r->invite_retransmissions;
    g->resp_rtx = r->response_retransmissions;
    g->inv_tx = r->invite_transactions;
    g->hops = r->hops;
    g->nbranches = r->nbranches;
    for (size_t i = 0; i < r->nbranches && i < 4; i++) g->br[i] = r->branches[i];
    g->nprov = r->nprovisional;
    for (size_t i = 0; i < r->nprovisional && i < 8; i++) g->prov[i] = r->provisional[i];
    g->nidentity = r->nidentity;
    g->nmessages = r->nmessages;
    g->dropped = r->messages_dropped;
    char *txt = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&txt, &len);
    call_record_json(r, f);
    fclose(f);
    snprintf(g->json, sizeof g->json, "%s", txt);
    free(txt);
}

/* Whether feed() parses with the call stage's prefetch hints, as `analyze` does (main runs
 * every scenario both ways: the hints must change nothing). */
static int use_hints;
static void hint_cid(void *ud, const sip_msg *m) { ct_prefetch(ud, m); }
static void hint_hdr(void *ud, const sip_msg *m) { ct_prefetch_call(ud, m); }

static void tc_init(tc *c, const ct_config *cfg) {
    memset(c, 0, sizeof *c);
    c->ct = ct_new(cfg, &c->tally, on_emit, c);
}

static void tc_done(tc *c) { ct_free(c->ct); }

/* Feeds one message written with "\n" line ends; the body (after the first blank line) gets
 * its Content-Length. */
static void feed(tc *c, sx_time t, int src, int dst, const char *text) {
    const char *body = strstr(text, "\n\n");
    size_t hl = body ? (size_t)(body - text) + 1 : strlen(text), n = 0;
    for (size_t i = 0; i < hl && n + 2 < sizeof c->buf; i++) {
        if (text[i] == '\n') c->buf[n++] = '\r';
        c->buf[n++] = text[i];
    }
    const char *b = body ? body + 2 : "";
    n += (size_t)snprintf(c->buf + n, sizeof c->buf - n, "Content-Length: %zu\r\n\r\n%s", strlen(b), b);
    sip_hint hint = {hint_cid, hint_hdr, c->ct};
    int rc = sip_parse_hinted(c->buf, n, 0, &c->m, use_hints ? &hint : NULL);
    if (rc <= 0) { /* counted only when it fails: the big test parses 2 million messages */
        CHECK_MSG(0, "sip_parse: %d (%s) on: %.60s", rc, sip_err_name(rc), text);
        return;
    }
    sx_msgmeta mt;
    memset(&mt, 0, sizeof mt);
    mt.ts = T0 + t;
    mt.src.family = eps[src].fam, memcpy(mt.src.a, eps[src].a, 16), mt.sport = eps[src].port;
    mt.dst.family = eps[dst].fam, memcpy(mt.dst.a, eps[dst].a, 16), mt.dport = eps[dst].port;
    mt.transport = SX_T_UDP;
    ct_message(c->ct, &mt, &c->m);
}

/* ---- message text ---- */
#define FROM "From: \"Alice\" <sip:+13125550111@192.0.2.10>;tag=ft1\n"
#define TO "To: <sip:+12125550100@example.net>"
#define VIA(br) "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=" br "\n"
#define INVITE(cid, cseq, br)                                                  \
    "INVITE sip:+12125550100@198.51.100.20 SIP/2.0\n" VIA(br) FROM TO "\n"   \
    "Call-ID: " cid "\nCSeq: " cseq " INVITE\nMax-Forwards: 70\n"
#define REQ(method, cid, cseq, br, totag)                                           \
    method " sip:+12125550100@198.51.100.20 SIP/2.0\n" VIA(br) FROM TO totag "\n" \
    "Call-ID: " cid "\nCSeq: " cseq " " method "\nMax-Forwards: 70\n"
#define RESP(status, cid, cseq, method, br, totag) \
    "SIP/2.0 " status "\n" VIA(br) FROM TO totag "\nCall-ID: " cid "\nCSeq: " cseq " " method "\n"
/* BYE from the callee: From and To swap. */
#define BYE_B(cid, cseq, totag)                                                                  \
    "BYE sip:alice@192.0.2.10 SIP/2.0\nVia: SIP/2.0/UDP 198.51.100.20;branch=z9hG4bKbye\n"     \
    "From: <sip:+12125550100@example.net>" totag "\nTo: \"Alice\" <sip:+13125550111@192.0.2.10>;tag=ft1\n" \
    "Call-ID: " cid "\nCSeq: " cseq " BYE\n"

/* ---- tests ---- */

static void test_answered(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c1", "1", "z9hG4bK1"));
    feed(&c, MS(20), EP_B, EP_A, RESP("100 Trying", "c1", "1", "INVITE", "z9hG4bK1", ""));
    feed(&c, MS(1000), EP_B, EP_A, RESP("180 Ringing", "c1", "1", "INVITE", "z9hG4bK1", ";tag=b1"));
    feed(&c, MS(5000), EP_B, EP_A, RESP("200 OK", "c1", "1", "INVITE", "z9hG4bK1", ";tag=b1"));
    feed(&c, MS(5010), EP_A, EP_B, REQ("ACK", "c1", "1", "z9hG4bK2", ";tag=b1"));
    feed(&c, MS(65000), EP_A, EP_B, REQ("BYE", "c1", "2", "z9hG4bK3", ";tag=b1"));
    CHECK_INT(c.n, 0); /* not before the BYE's 200 */
    feed(&c, 65020123, EP_B, EP_A, RESP("200 OK", "c1", "2", "BYE", "z9hG4bK3", ";tag=b1"));
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->final_code, 200);
    CHECK_INT(g->status, CALL_COMPLETED);
    CHECK_INT(g->end, CALL_END_BYE);
    CHECK_INT(g->ended_by, CALL_BY_CALLER);
    CHECK_INT(g->t.pdd, MS(1000));
    CHECK_INT(g->t.first_18x, MS(1000));
    CHECK_INT(g->t.answer, MS(5000));
    CHECK_INT(g->t.final, MS(5000));
    CHECK_INT(g->t.ring, MS(4000));
    CHECK_INT(g->t.talk, MS(60000));
    CHECK_INT(g->nprov, 2);
    CHECK_INT(g->prov[0], 100);
    CHECK_INT(g->prov[1], 180);
    CHECK_INT(g->nbranches, 1);
    CHECK_INT(g->nmessages, 7);
    CHECK_INT(g->inv_rtx, 0);
    CHECK_STR(g->e164_caller, "13125550111");
    CHECK_STR(g->e164_callee, "12125550100");
    CHECK(strstr(g->json, "\"timings\":{\"pdd_ms\":1000,\"first_18x_ms\":1000,\"final_ms\":5000,"
                          "\"answer_ms\":5000,\"ring_ms\":4000,\"talk_ms\":60000,\"last_invite_ms\":0}") != NULL);
    /* the BYE's 200 came 65020.123 ms after t0: rounded to the nearest ms */
    CHECK(strstr(g->json, "{\"t_ms\":65020,\"src\":\"198.51.100.20:5060\"") != NULL);
    /* Late 200 retransmission and ACK: absorbed, never a new call. */
    feed(&c, MS(65500), EP_B, EP_A, RESP("200 OK", "c1", "2", "BYE", "z9hG4bK3", ";tag=b1"));
    ct_flush(c.ct);
    CHECK_INT(c.n, 1);
    CHECK_INT(ct_stats(c.ct)->late, 1);
    CHECK_INT(ct_stats(c.ct)->calls, 1);
    tc_done(&c);
}

static void test_retransmissions(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c2", "1", "z9hG4bKr"));
    feed(&c, MS(500), EP_A, EP_B, INVITE("c2", "1", "z9hG4bKr"));
    feed(&c, MS(1500), EP_A, EP_B, INVITE("c2", "1", "z9hG4bKr"));
    feed(&c, MS(1600), EP_B, EP_A, RESP("100 Trying", "c2", "1", "INVITE", "z9hG4bKr", ""));
    feed(&c, MS(2000), EP_B, EP_A,
         RESP("486 Busy Here", "c2", "1", "INVITE", "z9hG4bKr", ";tag=b2") "Reason: Q.850;cause=17\n");
    CHECK_INT(c.n, 1); /* a failure ends the call at once */
    got *g = &c.recs[0];
    CHECK_INT(g->inv_rtx, 2);
    CHECK_INT(g->inv_tx, 1);
    CHECK_INT(g->final_code, 486);
    CHECK_INT(g->end, CALL_END_FAILURE);
    CHECK_INT(g->t.pdd, MS(2000)); /* 100 is hop-by-hop: the failure ends the PDD */
    CHECK_INT(g->t.first_18x, CALL_T_NONE);
    CHECK(strstr(g->json, "\"reasons\":[{\"protocol\":\"Q.850\",\"cause\":17,\"text\":null,\"location\":null}]"));
    feed(&c, MS(2010), EP_A, EP_B, REQ("ACK", "c2", "1", "z9hG4bKr", ";tag=b2"));
    feed(&c, MS(2300), EP_A, EP_B, INVITE("c2", "1", "z9hG4bKr")); /* very late retransmission */
    ct_flush(c.ct);
    CHECK_INT(c.n, 1);
    CHECK_INT(ct_stats(c.ct)->late, 2);
    CHECK_INT(ct_stats(c.ct)->invite_retransmissions, 2);
    tc_done(&c);
}

/* A mirrored capture shows every packet twice within microseconds: not retransmissions.
 * An INVITE retransmitted after its 200 (the 200 was lost) is not a re-INVITE. */
static void test_duplicates(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c2d", "1", "z9hG4bKd"));
    feed(&c, 40, EP_A, EP_B, INVITE("c2d", "1", "z9hG4bKd"));
    feed(&c, MS(100), EP_B, EP_A, RESP("200 OK", "c2d", "1", "INVITE", "z9hG4bKd", ";tag=x"));
    feed(&c, MS(100) + 40, EP_B, EP_A, RESP("200 OK", "c2d", "1", "INVITE", "z9hG4bKd", ";tag=x"));
    feed(&c, MS(500), EP_A, EP_B, INVITE("c2d", "1", "z9hG4bKd"));
    feed(&c, MS(600), EP_B, EP_A, RESP("200 OK", "c2d", "1", "INVITE", "z9hG4bKd", ";tag=x"));
    ct_flush(c.ct);
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->inv_rtx, 1);
    CHECK_INT(g->resp_rtx, 1);
    CHECK_INT(g->inv_tx, 1);
    CHECK_INT(g->t.answer, MS(100));
    CHECK_INT(ct_stats(c.ct)->duplicates, 2);
    tc_done(&c);
}

static void test_180_retransmission(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c3", "1", "z9hG4bK3"));
    feed(&c, MS(100), EP_B, EP_A, RESP("180 Ringing", "c3", "1", "INVITE", "z9hG4bK3", ";tag=b3"));
    feed(&c, MS(600), EP_B, EP_A, RESP("180 Ringing", "c3", "1", "INVITE", "z9hG4bK3", ";tag=b3"));
    feed(&c, MS(900), EP_B, EP_A, RESP("200 OK", "c3", "1", "INVITE", "z9hG4bK3", ";tag=b3"));
    feed(&c, MS(1400), EP_B, EP_A, RESP("200 OK", "c3", "1", "INVITE", "z9hG4bK3", ";tag=b3"));
    feed(&c, MS(3000), EP_B, EP_A, BYE_B("c3", "7", ";tag=b3"));
    feed(&c, MS(3001), EP_A, EP_B, RESP("200 OK", "c3", "7", "BYE", "z9hG4bKbye", ";tag=b3"));
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->resp_rtx, 2);
    CHECK_INT(g->nprov, 1);
    CHECK_INT(g->t.pdd, MS(100));
    CHECK_INT(g->t.ring, MS(800));
    CHECK_INT(g->t.talk, MS(2100));
    CHECK_INT(g->ended_by, CALL_BY_CALLEE);
    CHECK_INT(g->nbranches, 1);
    CHECK_INT(g->br[0].ncodes, 2);
    tc_done(&c);
}

static void test_cancel(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c4", "1", "z9hG4bK4"));
    feed(&c, MS(100), EP_B, EP_A, RESP("180 Ringing", "c4", "1", "INVITE", "z9hG4bK4", ";tag=b4"));
    feed(&c, MS(3000), EP_A, EP_B, REQ("CANCEL", "c4", "1", "z9hG4bK4", ""));
    feed(&c, MS(3010), EP_B, EP_A, RESP("200 OK", "c4", "1", "CANCEL", "z9hG4bK4", ";tag=b4"));
    CHECK_INT(c.n, 0);
    feed(&c, MS(3020), EP_B, EP_A, RESP("487 Request Terminated", "c4", "1", "INVITE", "z9hG4bK4", ";tag=b4"));
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->final_code, 487);
    CHECK_INT(g->end, CALL_END_CANCEL);
    CHECK_INT(g->ended_by, CALL_BY_CALLER);
    CHECK_INT(g->t.pdd, MS(100));
    CHECK_INT(g->t.final, MS(3020));
    CHECK_INT(g->t.answer, CALL_T_NONE);
    CHECK(strstr(g->json, "\"end\":\"cancel\",\"ended_by\":\"caller\""));
    tc_done(&c);
}

static void test_challenge(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c5", "1", "z9hG4bK5a"));
    feed(&c, MS(10), EP_B, EP_A,
         RESP("407 Proxy Authentication Required", "c5", "1", "INVITE", "z9hG4bK5a", ";tag=p5"));
    feed(&c, MS(20), EP_A, EP_B, REQ("ACK", "c5", "1", "z9hG4bK5a", ";tag=p5"));
    CHECK_INT(c.n, 0); /* a challenge is not an outcome */
    feed(&c, MS(30), EP_A, EP_B, INVITE("c5", "2", "z9hG4bK5b") "Proxy-Authorization: Digest x\n");
    feed(&c, MS(40), EP_B, EP_A, RESP("100 Trying", "c5", "2", "INVITE", "z9hG4bK5b", ""));
    feed(&c, MS(500), EP_B, EP_A, RESP("180 Ringing", "c5", "2", "INVITE", "z9hG4bK5b", ";tag=b5"));
    feed(&c, MS(2000), EP_B, EP_A, RESP("200 OK", "c5", "2", "INVITE", "z9hG4bK5b", ";tag=b5"));
    feed(&c, MS(9000), EP_A, EP_B, REQ("BYE", "c5", "3", "z9hG4bK5c", ";tag=b5"));
    feed(&c, MS(9001), EP_B, EP_A, RESP("200 OK", "c5", "3", "BYE", "z9hG4bK5c", ";tag=b5"));
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->final_code, 200);
    CHECK_INT(g->challenged, 1);
    CHECK_INT(g->inv_tx, 2);
    CHECK_INT(g->t.pdd, MS(500));
    CHECK_INT(g->t.last_invite, MS(30)); /* so 470 ms after the authenticated INVITE */
    CHECK_INT(g->t.answer, MS(2000));
    CHECK_INT(ct_stats(c.ct)->calls, 1);
    /* A 407 never answered: the call ends after challenge_wait with the 407 as outcome. */
    feed(&c, MS(10000), EP_A, EP_B, INVITE("c5b", "1", "z9hG4bK5d"));
    feed(&c, MS(10010), EP_B, EP_A,
         RESP("407 Proxy Authentication Required", "c5b", "1", "INVITE", "z9hG4bK5d", ";tag=p5"));
    ct_expire(c.ct, T0 + MS(10010) + 180 * (sx_time)SX_SEC - 1);
    CHECK_INT(c.n, 1);
    ct_expire(c.ct, T0 + MS(10010) + 180 * (sx_time)SX_SEC);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.recs[1].final_code, 407);
    CHECK_INT(c.recs[1].end, CALL_END_CHALLENGE);
    CHECK_INT(c.recs[1].t.pdd, CALL_T_NONE); /* 401/407 excluded (RFC 6076 §4.3) */
    tc_done(&c);
}

static void test_forking(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_P, INVITE("c6", "1", "z9hG4bK6"));
    feed(&c, MS(300), EP_F1, EP_A, RESP("180 Ringing", "c6", "1", "INVITE", "z9hG4bK6", ";tag=fa"));
    feed(&c, MS(400), EP_F2, EP_A, RESP("180 Ringing", "c6", "1", "INVITE", "z9hG4bK6", ";tag=fb"));
    feed(&c, MS(4000), EP_F2, EP_A, RESP("200 OK", "c6", "1", "INVITE", "z9hG4bK6", ";tag=fb"));
    feed(&c, MS(9000), EP_A, EP_F2, REQ("BYE", "c6", "2", "z9hG4bK6b", ";tag=fb"));
    feed(&c, MS(9001), EP_F2, EP_A, RESP("200 OK", "c6", "2", "BYE", "z9hG4bK6b", ";tag=fb"));
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->final_code, 200);
    CHECK_INT(g->nbranches, 2);
    CHECK_INT(g->br[0].final_code, 0);
    CHECK_INT(g->br[0].ncodes, 1);
    CHECK_INT(g->br[1].final_code, 200);
    CHECK_INT(g->br[1].ncodes, 2);
    CHECK_INT(g->t.pdd, MS(300));
    CHECK(strstr(g->json, "\"branch_count\":2,\"branches\":[{\"to_tag\":\"fa\",\"from\":\"203.0.113.1:5060\","
                          "\"codes\":[180],\"final_code\":0},{\"to_tag\":\"fb\",\"from\":\"203.0.113.2:5070\","
                          "\"codes\":[180,200],\"final_code\":200}]"));
    CHECK(strstr(g->json, "\"final_from\":\"203.0.113.2:5070\""));
    tc_done(&c);
}

static void test_reinvite(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c7", "1", "z9hG4bK7"));
    feed(&c, MS(50), EP_B, EP_A, RESP("200 OK", "c7", "1", "INVITE", "z9hG4bK7", ";tag=b7"));
    feed(&c, MS(60), EP_A, EP_B, REQ("ACK", "c7", "1", "z9hG4bK7a", ";tag=b7"));
    feed(&c, MS(1000), EP_A, EP_B, REQ("INVITE", "c7", "2", "z9hG4bK7r", ";tag=b7"));
    feed(&c, MS(1010), EP_B, EP_A, RESP("488 Not Acceptable Here", "c7", "2", "INVITE", "z9hG4bK7r", ";tag=b7"));
    CHECK_INT(c.n, 0); /* a failed re-INVITE does not end the call */
    feed(&c, MS(2000), EP_A, EP_B, REQ("BYE", "c7", "3", "z9hG4bK7b", ";tag=b7"));
    feed(&c, MS(2001), EP_B, EP_A, RESP("200 OK", "c7", "3", "BYE", "z9hG4bK7b", ";tag=b7"));
    CHECK_INT(c.n, 1);
    CHECK_INT(c.recs[0].final_code, 200);
    CHECK_INT(c.recs[0].inv_tx, 2);
    CHECK_INT(c.recs[0].t.talk, MS(1950));
    CHECK_INT(ct_stats(c.ct)->calls, 1);
    tc_done(&c);
}

static void test_timer_b(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c8", "1", "z9hG4bK8"));
    ct_expire(c.ct, T0 + 32 * (sx_time)SX_SEC - 1);
    CHECK_INT(c.n, 0);
    ct_expire(c.ct, T0 + 32 * (sx_time)SX_SEC);
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->final_code, 0);
    CHECK_INT(g->no_final, 1);
    CHECK_INT(g->status, CALL_COMPLETED);
    CHECK_INT(g->end, CALL_END_NO_RESPONSE);
    CHECK(strstr(g->json, "\"final_code\":0,\"final_reason\":null,\"final_from\":null,"
                          "\"path\":[{\"role\":\"next_hop\",\"peer\":\"198.51.100.20:5060\",\"host\":null,"
                          "\"via\":\"invite\",\"name\":null}],\"no_final_response\":true"));
    /* Answered, no BYE within max_duration: incomplete. */
    ct_config cfg;
    ct_config_default(&cfg);
    cfg.max_duration = 60 * (sx_time)SX_SEC;
    tc d;
    tc_init(&d, &cfg);
    feed(&d, 0, EP_A, EP_B, INVITE("c8b", "1", "z9hG4bK8"));
    feed(&d, MS(100), EP_B, EP_A, RESP("200 OK", "c8b", "1", "INVITE", "z9hG4bK8", ";tag=x"));
    ct_expire(d.ct, T0 + MS(60100));
    CHECK_INT(d.n, 1);
    CHECK_INT(d.recs[0].status, CALL_INCOMPLETE);
    CHECK_INT(d.recs[0].end, CALL_END_MAX_DURATION);
    CHECK_INT(d.recs[0].final_code, 200);
    tc_done(&d);
    tc_done(&c);
}

static void test_flush(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B, INVITE("c9", "1", "z9hG4bK9"));
    feed(&c, MS(100), EP_B, EP_A, RESP("180 Ringing", "c9", "1", "INVITE", "z9hG4bK9", ";tag=b9"));
    feed(&c, MS(200), EP_A, EP_B, INVITE("c9b", "1", "z9hG4bK9b"));
    feed(&c, MS(300), EP_B, EP_A, RESP("200 OK", "c9b", "1", "INVITE", "z9hG4bK9b", ";tag=b9"));
    CHECK_INT(c.n, 0);
    ct_flush(c.ct);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.recs[0].status, CALL_INCOMPLETE);
    CHECK_INT(c.recs[0].end, CALL_END_EOF);
    CHECK_INT(c.recs[0].final_code, 0);
    CHECK_INT(c.recs[0].t.first_18x, MS(100));
    CHECK_INT(c.recs[0].t.pdd, CALL_T_NONE); /* no final response: no PDD */
    CHECK_INT(c.recs[1].status, CALL_INCOMPLETE);
    CHECK_INT(c.recs[1].final_code, 200);
    CHECK_INT(ct_stats(c.ct)->incomplete, 2);
    CHECK_INT(ct_stats(c.ct)->active, 0);
    tc_done(&c);
}

static void test_eviction(void) {
    ct_config cfg;
    ct_config_default(&cfg);
    cfg.max_calls = 2;
    tc c;
    tc_init(&c, &cfg);
    feed(&c, 0, EP_A, EP_B, INVITE("e1", "1", "z9hG4bKe1"));
    feed(&c, MS(1), EP_A, EP_B, INVITE("e2", "1", "z9hG4bKe2"));
    CHECK_INT(c.n, 0);
    feed(&c, MS(2), EP_A, EP_B, INVITE("e3", "1", "z9hG4bKe3"));
    CHECK_INT(c.n, 1);
    CHECK_STR(c.recs[0].call_id, "e1");
    CHECK_INT(c.recs[0].status, CALL_EVICTED);
    CHECK(strstr(c.recs[0].json, "\"status\":\"evicted\",\"end\":\"evicted\""));
    const ct_counters *s = ct_stats(c.ct);
    CHECK_INT(s->evicted, 1);
    CHECK_INT(c.tally.calls_evicted, 1); /* the limit's effect is in the final account */
    CHECK_INT(s->active_max, 2);
    /* The evicted call's late response is absorbed, not a crash nor a new call. */
    feed(&c, MS(3), EP_B, EP_A, RESP("180 Ringing", "e1", "1", "INVITE", "z9hG4bKe1", ";tag=x"));
    CHECK_INT(s->late, 1);
    ct_flush(c.ct);
    CHECK_INT(c.n, 3);
    tc_done(&c);
}

static void test_two_hops(void) {
    tc c;
    tc_init(&c, NULL);
    /* A -> P (branch h1), P -> B (branch h2 on top of h1): one call, seen at two hops. */
    feed(&c, 0, EP_A, EP_P, INVITE("c10", "1", "z9hG4bKh1"));
#define VIA2 "Via: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKh2\n"
    feed(&c, MS(5), EP_P, EP_B,
         "INVITE sip:+12125550100@198.51.100.20 SIP/2.0\n" VIA2 VIA("z9hG4bKh1") FROM TO "\n"
         "Call-ID: c10\nCSeq: 1 INVITE\nIdentity: aaa.bbb.ccc;info=<https://x/c.pem>\n");
    feed(&c, MS(100), EP_B, EP_P,
         "SIP/2.0 486 Busy Here\n" VIA2 VIA("z9hG4bKh1") FROM TO ";tag=bb\nCall-ID: c10\nCSeq: 1 INVITE\n");
    CHECK_INT(c.n, 0); /* the far hop's final is not the first hop's view */
    feed(&c, MS(106), EP_P, EP_A, RESP("486 Busy Here", "c10", "1", "INVITE", "z9hG4bKh1", ";tag=bb"));
    CHECK_INT(c.n, 1);
    got *g = &c.recs[0];
    CHECK_INT(g->hops, 2);
    CHECK_INT(g->nidentity, 1); /* signed by the proxy: kept */
    CHECK_INT(g->inv_rtx, 0);
    CHECK_INT(g->final_code, 486);
    CHECK_INT(g->t.final, MS(106));
    CHECK(strstr(g->json, "\"final_from\":\"203.0.113.5:5060\""));
    CHECK(strstr(g->json, "\"src\":\"192.0.2.10:5060\",\"dst\":\"203.0.113.5:5060\",\"transport\":\"UDP\""));
    tc_done(&c);
}

/* The same with branches longer than the call keeps inline for its first transaction
 * (CT_BR_HEAD, 44 bytes) and equal up to there: the bytes past it still decide. */
static void test_two_hops_long_branch(void) {
    tc c;
    tc_init(&c, NULL);
#define LB "z9hG4bK-524287-1---0123456789abcdef0123456789abcdef-"
#define VIA2L "Via: SIP/2.0/UDP 203.0.113.5;branch=" LB "h2\n"
    feed(&c, 0, EP_A, EP_P, INVITE("c10l", "1", LB "h1"));
    feed(&c, MS(5), EP_P, EP_B,
         "INVITE sip:+12125550100@198.51.100.20 SIP/2.0\n" VIA2L VIA(LB "h1") FROM TO "\n"
         "Call-ID: c10l\nCSeq: 1 INVITE\n");
    feed(&c, MS(100), EP_B, EP_P,
         "SIP/2.0 486 Busy Here\n" VIA2L VIA(LB "h1") FROM TO ";tag=bb\nCall-ID: c10l\nCSeq: 1 INVITE\n");
    CHECK_INT(c.n, 0); /* the far hop's final is not the first hop's view */
    feed(&c, MS(106), EP_P, EP_A, RESP("486 Busy Here", "c10l", "1", "INVITE", LB "h1", ";tag=bb"));
    CHECK_INT(c.n, 1);
    CHECK_INT(c.recs[0].hops, 2);
    CHECK_INT(c.recs[0].final_code, 486);
    CHECK_INT(c.recs[0].t.final, MS(106));
#undef LB
#undef VIA2L
    tc_done(&c);
}

/* Captured downstream of a forking proxy: the first fork seen is the "first hop", the other
 * fork is another hop of the same INVITE. Its 2xx beats the first fork's failure, in either
 * order (RFC 3261 §16.7: the best final response). */
static void test_fork_downstream(void) {
#define FORK_INV(br)                                                                          \
    "INVITE sip:+12125550100@198.51.100.20 SIP/2.0\nVia: SIP/2.0/UDP 203.0.113.5;branch=" br \
    "\n" VIA("z9hG4bKup") FROM TO "\nCall-ID: %s\nCSeq: 1 INVITE\n"
#define FORK_RESP(st, br, tag)                                                               \
    "SIP/2.0 " st "\nVia: SIP/2.0/UDP 203.0.113.5;branch=" br "\n" VIA("z9hG4bKup") FROM TO \
    ";tag=" tag "\nCall-ID: %s\nCSeq: 1 INVITE\n"
    for (int order = 0; order < 2; order++) {
        tc c;
        char txt[1024];
        const char *cid = order ? "fd2" : "fd1";
        tc_init(&c, NULL);
        snprintf(txt, sizeof txt, FORK_INV("z9hG4bKf1"), cid);
        feed(&c, 0, EP_P, EP_F1, txt);
        snprintf(txt, sizeof txt, FORK_INV("z9hG4bKf2"), cid);
        feed(&c, MS(1), EP_P, EP_F2, txt);
        char busy[1024], ok[1024];
        snprintf(busy, sizeof busy, FORK_RESP("486 Busy Here", "z9hG4bKf1", "t1"), cid);
        snprintf(ok, sizeof ok, FORK_RESP("200 OK", "z9hG4bKf2", "t2"), cid);
        if (order == 0) { /* the busy fork first: the call waits for the other one */
            feed(&c, MS(200), EP_F1, EP_P, busy);
            CHECK_INT(c.n, 0);
            feed(&c, MS(300), EP_F2, EP_P, ok);
        } else {
            feed(&c, MS(200), EP_F2, EP_P, ok);
            feed(&c, MS(300), EP_F1, EP_P, busy);
        }
        CHECK_INT(c.n, 0);
        ct_flush(c.ct);
        CHECK_INT(c.n, 1);
        CHECK_INT(c.recs[0].final_code, 200);
        CHECK_INT(c.recs[0].t.answer, MS(order ? 200 : 300));
        CHECK_INT(c.recs[0].status, CALL_INCOMPLETE); /* answered, no BYE before the end */
        CHECK_INT(c.recs[0].hops, 2);
        tc_done(&c);
    }
    /* Both forks fail: the first fork's failure, once the other one has answered too. */
    tc c;
    char txt[1024];
    tc_init(&c, NULL);
    snprintf(txt, sizeof txt, FORK_INV("z9hG4bKf1"), "fd3");
    feed(&c, 0, EP_P, EP_F1, txt);
    snprintf(txt, sizeof txt, FORK_INV("z9hG4bKf2"), "fd3");
    feed(&c, MS(1), EP_P, EP_F2, txt);
    snprintf(txt, sizeof txt, FORK_RESP("486 Busy Here", "z9hG4bKf1", "t1"), "fd3");
    feed(&c, MS(200), EP_F1, EP_P, txt);
    CHECK_INT(c.n, 0);
    snprintf(txt, sizeof txt, FORK_RESP("480 Temporarily Unavailable", "z9hG4bKf2", "t2"), "fd3");
    feed(&c, MS(300), EP_F2, EP_P, txt);
    CHECK_INT(c.n, 1);
    CHECK_INT(c.recs[0].final_code, 486);
    CHECK_INT(c.recs[0].t.final, MS(200));
    tc_done(&c);
}

/* ---- B2BUA grouping ---- */

#define LEG(cid, br, from_user, ruri_user, extra)                                        \
    "INVITE sip:" ruri_user "@198.51.100.20 SIP/2.0\n" VIA(br)                          \
    "From: <sip:" from_user "@192.0.2.10>;tag=f" br "\nTo: <sip:" ruri_user "@x>\n"     \
    "Call-ID: " cid "\nCSeq: 1 INVITE\n" extra

static void test_group_session_id(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_P,
         LEG("legA", "z9hG4bKa", "+13125550111", "+12125550100",
             "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000\n"));
    /* The B-leg: other Call-ID, other numbers even (rewritten), same local uuid. */
    feed(&c, MS(40), EP_P, EP_B,
         LEG("legB", "z9hG4bKb", "anonymous", "12125550199",
             "Session-ID: AB30317F1A784DC48FF824D0D3715D86;remote=00000000000000000000000000000000\n"));
    ct_flush(c.ct);
    CHECK_INT(c.n, 2);
    CHECK_STR(c.recs[0].leg_group, "legA");
    CHECK_STR(c.recs[0].leg_match, "session-id"); /* the first leg learns of the second */
    CHECK_STR(c.recs[1].leg_group, "legA");
    CHECK_STR(c.recs[1].leg_match, "session-id");
    CHECK_INT(ct_stats(c.ct)->grouped, 1);
    tc_done(&c);
}

static void test_group_xcid_icid(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_P, LEG("legC", "z9hG4bKc", "+13125550111", "+12125550100", ""));
    feed(&c, MS(30), EP_P, EP_B, LEG("legD", "z9hG4bKd", "3125550111", "2125550777", "X-CID: legC\n"));
    feed(&c, MS(60), EP_A, EP_P,
         LEG("legE", "z9hG4bKe", "+13125550112", "+12125550101",
             "P-Charging-Vector: icid-value=1234bc9876e;icid-generated-at=192.0.6.8\n"));
    feed(&c, MS(90), EP_P, EP_B,
         LEG("legF", "z9hG4bKf", "+13125550113", "+12125550102",
             "P-Charging-Vector: icid-value=\"1234BC9876E\";orig-ioi=home1.net\n"));
    ct_flush(c.ct);
    CHECK_INT(c.n, 4);
    CHECK_STR(c.recs[1].leg_group, "legC");
    CHECK_STR(c.recs[1].leg_match, "x-cid");
    CHECK_STR(c.recs[3].leg_group, "legE");
    CHECK_STR(c.recs[3].leg_match, "icid");
    CHECK_STR(c.recs[2].leg_group, "legE");
    tc_done(&c);
}

static void test_group_heuristic(void) {
    tc c;
    tc_init(&c, NULL);
    /* Same canonical caller and callee in other spellings, 800 ms apart: one call. */
    feed(&c, 0, EP_A, EP_P, LEG("legG", "z9hG4bKg", "+1-312-555-0111", "+12125550100", ""));
    feed(&c, MS(800), EP_P, EP_B, LEG("legH", "z9hG4bKh", "3125550111", "(212)555-0100", ""));
    /* Near misses: another callee at once; the same pair 5 s after legG. */
    feed(&c, MS(900), EP_P, EP_B, LEG("legI", "z9hG4bKi", "3125550111", "2125550101", ""));
    feed(&c, MS(5000), EP_P, EP_B, LEG("legJ", "z9hG4bKj", "3125550111", "2125550100", ""));
    ct_flush(c.ct);
    CHECK_INT(c.n, 4);
    CHECK_STR(c.recs[1].leg_group, "legG");
    CHECK_STR(c.recs[1].leg_match, "heuristic");
    CHECK_STR(c.recs[2].leg_match, "none");
    CHECK_STR(c.recs[2].leg_group, "legI");
    /* legJ is 4.2 s after legH too: no group. */
    CHECK_STR(c.recs[3].leg_match, "none");
    CHECK_STR(c.recs[3].leg_group, "legJ");
    /* A retry after a failure (the first call already ended) is not a B2BUA leg. */
    feed(&c, MS(20000), EP_A, EP_P, LEG("legK", "z9hG4bKk", "3125550111", "2125550100", ""));
    feed(&c, MS(20100), EP_P, EP_A,
         "SIP/2.0 503 Service Unavailable\n" VIA("z9hG4bKk") "From: <sip:3125550111@192.0.2.10>;tag=fz9hG4bKk\n"
         "To: <sip:2125550100@x>;tag=s\nCall-ID: legK\nCSeq: 1 INVITE\n");
    feed(&c, MS(20500), EP_A, EP_P, LEG("legL", "z9hG4bKl", "3125550111", "2125550100", ""));
    ct_flush(c.ct);
    CHECK_INT(c.n, 6);
    CHECK_INT(c.recs[4].final_code, 503);
    CHECK_STR(c.recs[5].call_id, "legL");
    CHECK_STR(c.recs[5].leg_match, "none");
    tc_done(&c);
}

static void test_not_calls(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B,
         "REGISTER sip:example.net SIP/2.0\n" VIA("z9hG4bKreg") FROM "To: <sip:+13125550111@example.net>\n"
         "Call-ID: reg1\nCSeq: 1 REGISTER\nContact: <sip:alice@192.0.2.10>\n");
    feed(&c, MS(10), EP_B, EP_A,
         "SIP/2.0 200 OK\n" VIA("z9hG4bKreg") FROM "To: <sip:+13125550111@example.net>;tag=r\n"
         "Call-ID: reg1\nCSeq: 1 REGISTER\n");
    feed(&c, MS(20), EP_A, EP_B,
         "OPTIONS sip:example.net SIP/2.0\n" VIA("z9hG4bKopt") FROM TO "\nCall-ID: opt1\nCSeq: 1 OPTIONS\n");
    feed(&c, MS(30), EP_A, EP_B, REQ("BYE", "unknown", "2", "z9hG4bKu", ";tag=q"));
    feed(&c, MS(40), EP_A, EP_B, REQ("INVITE", "midcall", "5", "z9hG4bKm", ";tag=q"));
    ct_flush(c.ct);
    CHECK_INT(c.n, 0);
    const ct_counters *s = ct_stats(c.ct);
    CHECK_INT(s->calls, 0);
    CHECK_INT(s->requests[SIP_M_REGISTER], 1);
    CHECK_INT(s->requests[SIP_M_OPTIONS], 1);
    CHECK_INT(s->noncall_responses, 1);
    CHECK_INT(s->orphans, 2);
    CHECK_INT(s->messages, 5);
    tc_done(&c);
}

/* ---- path: the next hop and the network behind it ---- */

/* An INVITE from A to the next hop P (203.0.113.5) with the given Request-URI host and
 * optional extra header lines. */
#define INVITE_TO(cid, host, extra)                                                     \
    "INVITE sip:+12125550100@" host " SIP/2.0\n" VIA("z9hG4bKp") FROM TO "\n"          \
    "Call-ID: " cid "\nCSeq: 1 INVITE\nMax-Forwards: 70\n" extra
#define NEXT_HOP "{\"role\":\"next_hop\",\"peer\":\"203.0.113.5:5060\",\"host\":null,\"via\":\"invite\""

static const char *path_of(const got *g) { return strstr(g->json, "\"path\":"); }

/* The far network's edge answers with its own Contact (RFC 3261 §12.1.1): the 200's Contact
 * host is the terminating network; a 100 (hop-by-hop) never counts. */
static void test_path_contact(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_P, INVITE_TO("p1", "203.0.113.5", ""));
    feed(&c, MS(10), EP_P, EP_A,
         RESP("100 Trying", "p1", "1", "INVITE", "z9hG4bKp", "") "Contact: <sip:p@trying.example>\n");
    feed(&c, MS(300), EP_P, EP_A,
         RESP("180 Ringing", "p1", "1", "INVITE", "z9hG4bKp", ";tag=t") "Contact: <sip:b@10.1.1.1>\n");
    feed(&c, MS(900), EP_P, EP_A,
         RESP("200 OK", "p1", "1", "INVITE", "z9hG4bKp", ";tag=t")
         "Contact: \"B\" <sip:+12125550100@sbc1.carrier-b.example:5060;transport=udp>;expires=60\n");
    feed(&c, MS(2000), EP_A, EP_P, REQ("BYE", "p1", "2", "z9hG4bKq", ";tag=t"));
    feed(&c, MS(2010), EP_P, EP_A, RESP("200 OK", "p1", "2", "BYE", "z9hG4bKq", ";tag=t"));
    CHECK_INT(c.n, 1);
    const char *want = "\"path\":[" NEXT_HOP ",\"name\":null},{\"role\":\"terminating\",\"peer\":null,"
                       "\"host\":\"sbc1.carrier-b.example\",\"via\":\"contact\",\"name\":null}],";
    CHECK(c.n == 1 && strncmp(path_of(&c.recs[0]), want, strlen(want)) == 0);
    tc_done(&c);
}

/* Record-Route entries added downstream sit on top (RFC 3261 §16.6 item 4): the top one is
 * the terminating network only when the response carries more than the INVITE did. */
static void test_path_record_route(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_P, INVITE_TO("p2", "203.0.113.5", "Record-Route: <sip:192.0.2.10;lr>\n"));
    feed(&c, MS(200), EP_P, EP_A,
         RESP("486 Busy Here", "p2", "1", "INVITE", "z9hG4bKp", ";tag=t")
         "Record-Route: <sip:core.carrier-c.example;lr>, <sip:203.0.113.5;lr>\n"
         "Record-Route: <sip:192.0.2.10;lr>\n");
    /* Near miss: the response only echoes the INVITE's own Record-Route: nothing behind. */
    feed(&c, MS(300), EP_A, EP_P, INVITE_TO("p3", "203.0.113.5", "Record-Route: <sip:192.0.2.10;lr>\n"));
    feed(&c, MS(500), EP_P, EP_A,
         RESP("486 Busy Here", "p3", "1", "INVITE", "z9hG4bKp", ";tag=u") "Record-Route: <sip:192.0.2.10;lr>\n");
    CHECK_INT(c.n, 2);
    const char *want = "\"path\":[" NEXT_HOP ",\"name\":null},{\"role\":\"terminating\",\"peer\":null,"
                       "\"host\":\"core.carrier-c.example\",\"via\":\"record_route\",\"name\":null}],";
    CHECK(c.n == 2 && strncmp(path_of(&c.recs[0]), want, strlen(want)) == 0);
    const char *alone = "\"path\":[" NEXT_HOP ",\"name\":null}],";
    CHECK(c.n == 2 && strncmp(path_of(&c.recs[1]), alone, strlen(alone)) == 0);
    tc_done(&c);
}

/* Nothing in the responses: the Request-URI domain is where the call was routed. A
 * Request-URI naming the next hop's own address reveals nothing (previous test). */
static void test_path_ruri(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_P, INVITE_TO("p4", "Carrier-D.example", ""));
    feed(&c, MS(150), EP_P, EP_A, RESP("404 Not Found", "p4", "1", "INVITE", "z9hG4bKp", ";tag=t"));
    CHECK_INT(c.n, 1);
    const char *want = "\"path\":[" NEXT_HOP ",\"name\":null},{\"role\":\"terminating\",\"peer\":null,"
                       "\"host\":\"Carrier-D.example\",\"via\":\"ruri\",\"name\":null}],";
    CHECK(c.n == 1 && strncmp(path_of(&c.recs[0]), want, strlen(want)) == 0);
    tc_done(&c);
}

/* --carriers names every hop: the next hop by address, the network behind by host (a named
 * candidate beats an earlier unnamed one), a Server product when the file names it, and the
 * peer that sent the final when it is not the next hop. */
static void test_path_names(void) {
    char path[] = "/tmp/sipdx-carriers-XXXXXX", err[256];
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL);
    if (!f) return;
    fputs("# test\n203.0.113.0/24 TransitA\n203.0.113.1 TransitA-edge\ncarrier-b.example CarrierB\n"
          "CarrierSBC CarrierB-by-server\n", f);
    fclose(f);
    carriers *names = carriers_load(path, err, sizeof err);
    remove(path);
    CHECK(names != NULL);
    if (!names) return;
    ct_config cfg;
    ct_config_default(&cfg);
    cfg.names = names;
    tc c;
    tc_init(&c, &cfg);
    feed(&c, 0, EP_A, EP_P, INVITE_TO("n1", "203.0.113.5", ""));
    feed(&c, MS(100), EP_P, EP_A,
         RESP("486 Busy Here", "n1", "1", "INVITE", "z9hG4bKp", ";tag=t") "Contact: <sip:sbc1.carrier-b.example>\n");
    feed(&c, MS(200), EP_A, EP_P, INVITE_TO("n2", "gw.carrier-b.example", ""));
    feed(&c, MS(300), EP_P, EP_A,
         RESP("486 Busy Here", "n2", "1", "INVITE", "z9hG4bKp", ";tag=t") "Contact: <sip:10.20.30.40>\n");
    feed(&c, MS(400), EP_A, EP_P, INVITE_TO("n3", "203.0.113.5", ""));
    feed(&c, MS(500), EP_F1, EP_A,
         RESP("503 Service Unavailable", "n3", "1", "INVITE", "z9hG4bKp", ";tag=t") "Server: CarrierSBC/2.1 (x)\n");
    CHECK_INT(c.n, 3);
    const char *w1 = "\"path\":[" NEXT_HOP ",\"name\":\"TransitA\"},{\"role\":\"terminating\",\"peer\":null,"
                     "\"host\":\"sbc1.carrier-b.example\",\"via\":\"contact\",\"name\":\"CarrierB\"}],";
    const char *w2 = "\"path\":[" NEXT_HOP ",\"name\":\"TransitA\"},{\"role\":\"terminating\",\"peer\":null,"
                     "\"host\":\"gw.carrier-b.example\",\"via\":\"ruri\",\"name\":\"CarrierB\"}],";
    const char *w3 = "\"path\":[" NEXT_HOP ",\"name\":\"TransitA\"},{\"role\":\"responder\","
                     "\"peer\":\"203.0.113.1:5060\",\"host\":null,\"via\":\"final\",\"name\":\"TransitA-edge\"},"
                     "{\"role\":\"terminating\",\"peer\":null,\"host\":\"CarrierSBC/2.1 (x)\",\"via\":\"server\","
                     "\"name\":\"CarrierB-by-server\"}],";
    CHECK(c.n == 3 && strncmp(path_of(&c.recs[0]), w1, strlen(w1)) == 0);
    CHECK(c.n == 3 && strncmp(path_of(&c.recs[1]), w2, strlen(w2)) == 0);
    CHECK(c.n == 3 && strncmp(path_of(&c.recs[2]), w3, strlen(w3)) == 0);
    tc_done(&c);
    /* Without the table the unnamed Contact comes first and the Server is not a network. */
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_P, INVITE_TO("n2", "gw.carrier-b.example", ""));
    feed(&c, MS(100), EP_P, EP_A,
         RESP("486 Busy Here", "n2", "1", "INVITE", "z9hG4bKp", ";tag=t") "Contact: <sip:10.20.30.40>\n"
         "Server: CarrierSBC/2.1\n");
    const char *w4 = "\"path\":[" NEXT_HOP ",\"name\":null},{\"role\":\"terminating\",\"peer\":null,"
                     "\"host\":\"10.20.30.40\",\"via\":\"contact\",\"name\":null}],";
    CHECK(c.n == 1 && strncmp(path_of(&c.recs[0]), w4, strlen(w4)) == 0);
    tc_done(&c);
    carriers_free(names);
}

/* verstat of the first P-Asserted-Identity element whose URI carries one, across list
 * elements and header lines; one in a display name or a header parameter does not count. */
static void test_verstat_pai_list(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_A, EP_B,
         INVITE("vs1", "1", "z9hG4bKv1")
         "P-Asserted-Identity: \"verstat=Fake\" <sip:+13125550111@example.com>;verstat=No\n"
         "P-Asserted-Identity: <sip:alice@example.com>, <tel:+13125550111;verstat=TN-Validation-Failed>\n"
         "P-Asserted-Identity: <tel:+13125550111;verstat=TN-Validation-Passed>\n");
    feed(&c, MS(100), EP_B, EP_A, RESP("486 Busy Here", "vs1", "1", "INVITE", "z9hG4bKv1", ";tag=t"));
    feed(&c, MS(200), EP_A, EP_B,
         INVITE("vs2", "1", "z9hG4bKv2")
         "P-Asserted-Identity: \"verstat=Fake\" <sip:+13125550111@example.com>\n");
    feed(&c, MS(300), EP_B, EP_A, RESP("486 Busy Here", "vs2", "1", "INVITE", "z9hG4bKv2", ";tag=t"));
    CHECK_INT(c.n, 2);
    CHECK(c.n == 2 && strstr(c.recs[0].json, "\"verstat\":\"TN-Validation-Failed\","));
    CHECK(c.n == 2 && strstr(c.recs[1].json, "\"verstat\":null,"));
    tc_done(&c);
}

/* A full record with every section filled, compared as text (reviewed by eye). */
static void test_json_full(void) {
    tc c;
    tc_init(&c, NULL);
    feed(&c, 0, EP_V6, EP_B,
         "INVITE sip:+12125550100@198.51.100.20;user=phone SIP/2.0\n" VIA("z9hG4bKj")
         "From: \"Alice \\\"A\\\"\" <sip:alice@example.com>;tag=ft1\n"
         "To: <sip:+12125550100@example.net>\n"
         "P-Asserted-Identity: <sip:+13125550111;verstat=TN-Validation-Passed@example.com>\n"
         "Call-ID: full@host\nCSeq: 10 INVITE\n"
         "Identity: eyJhbGciOiJFUzI1NiJ9.e30.c2ln;info=<https://cert.example.org/c.pem>;alg=ES256;ppt=shaken\n"
         "Session-ID: 0123456789abcdef0123456789abcdef\n");
    feed(&c, MS(250), EP_B, EP_V6,
         RESP("183 Session Progress", "full@host", "10", "INVITE", "z9hG4bKj", ";tag=t1")
         "Content-Type: application/sdp\n\nv=0\r\n");
    feed(&c, MS(1250), EP_B, EP_V6,
         RESP("603 Network Blocked", "full@host", "10", "INVITE", "z9hG4bKj", ";tag=t1")
         "Reason: SIP;cause=603;text=\"v=analytics1;url=https://example.com\";location=LN\n"
         "Warning: 399 sbc.example.net \"blocked\"\n"
         "Retry-After: 3600\n"
         "Call-Info: <https://example.com/jcard>;purpose=jwscard\n"
         "Server: CarrierSBC/1.0\n");
    CHECK_INT(c.n, 1);
    const char *want =
        "{\"schema\":1,\"call_id\":\"full@host\",\"leg_group\":\"full@host\",\"leg_match\":\"none\","
        "\"start\":\"2026-11-27T09:50:39.123Z\",\"status\":\"completed\",\"end\":\"failure\",\"ended_by\":null,"
        "\"caller\":{\"e164\":\"13125550111\",\"user\":\"+13125550111;verstat=TN-Validation-Passed\","
        "\"uri\":\"sip:+13125550111;verstat=TN-Validation-Passed@example.com\",\"display\":null,\"source\":\"pai\","
        "\"from_uri\":\"sip:alice@example.com\"},"
        "\"callee\":{\"e164\":\"12125550100\",\"user\":\"+12125550100\","
        "\"uri\":\"sip:+12125550100@198.51.100.20;user=phone\",\"to_uri\":\"sip:+12125550100@example.net\",\"source\":\"ruri\"},"
        "\"src\":\"[2001:db8::1]:5061\",\"dst\":\"198.51.100.20:5060\",\"transport\":\"UDP\","
        "\"final_code\":603,\"final_reason\":\"Network Blocked\",\"final_from\":\"198.51.100.20:5060\","
        "\"path\":[{\"role\":\"next_hop\",\"peer\":\"198.51.100.20:5060\",\"host\":null,\"via\":\"invite\","
        "\"name\":null}],"
        "\"no_final_response\":false,"
        "\"reasons\":[{\"protocol\":\"SIP\",\"cause\":603,\"text\":\"v=analytics1;url=https://example.com\","
        "\"location\":\"LN\"}],"
        "\"warning\":\"399 sbc.example.net \\\"blocked\\\"\",\"retry_after\":3600,"
        "\"call_info\":[{\"uri\":\"https://example.com/jcard\",\"purpose\":\"jwscard\"}],"
        "\"responder\":{\"server\":\"CarrierSBC/1.0\",\"user_agent\":null},"
        "\"provisional\":[183],\"early_media\":true,"
        "\"timings\":{\"pdd_ms\":250,\"first_18x_ms\":250,\"final_ms\":1250,\"answer_ms\":null,"
        "\"ring_ms\":null,\"talk_ms\":null,\"last_invite_ms\":0},"
        "\"invite_retransmissions\":0,\"response_retransmissions\":0,\"invite_transactions\":1,\"hops\":1,"
        "\"branch_count\":1,\"branches\":[{\"to_tag\":\"t1\",\"from\":\"198.51.100.20:5060\","
        "\"codes\":[183,603],\"final_code\":603}],"
        "\"challenged\":false,"
        "\"identity\":[\"eyJhbGciOiJFUzI1NiJ9.e30.c2ln;info=<https://cert.example.org/c.pem>;alg=ES256;ppt=shaken\"],"
        "\"verstat\":\"TN-Validation-Passed\",\"session_id\":\"0123456789abcdef0123456789abcdef\",\"icid\":null,"
        "\"truncated\":false,"
        "\"messages\":[{\"t_ms\":0,\"src\":\"[2001:db8::1]:5061\",\"dst\":\"198.51.100.20:5060\","
        "\"line\":\"INVITE sip:+12125550100@198.51.100.20;user=phone SIP/2.0\"},"
        "{\"t_ms\":250,\"src\":\"198.51.100.20:5060\",\"dst\":\"[2001:db8::1]:5061\","
        "\"line\":\"SIP/2.0 183 Session Progress\"},"
        "{\"t_ms\":1250,\"src\":\"198.51.100.20:5060\",\"dst\":\"[2001:db8::1]:5061\","
        "\"line\":\"SIP/2.0 603 Network Blocked\"}],\"messages_dropped\":0}\n";
    CHECK_STR(c.recs[0].json, want);
    if (strcmp(c.recs[0].json, want) != 0) fprintf(stderr, "got:  %s", c.recs[0].json);
    tc_done(&c);
}

static void test_json_escaping(void) {
    call_record r;
    memset(&r, 0, sizeof r);
    static const char cid[] = "a\"b\\c\x01\x1f\t\x7f\xc3\xa9\xff";
    r.call_id = sx_sv_make(cid, sizeof cid - 1);
    r.leg_match = "none";
    r.retry_after = -1;
    r.timings.pdd = r.timings.first_18x = r.timings.final = CALL_T_NONE;
    r.timings.answer = r.timings.ring = r.timings.talk = r.timings.last_invite = CALL_T_NONE;
    char *txt = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&txt, &len);
    call_record_json(&r, f);
    fclose(f);
    /* quotes and backslashes escaped, controls as \u00XX, valid UTF-8 kept, bad bytes \u00XX */
    CHECK(strstr(txt, "\"call_id\":\"a\\\"b\\\\c\\u0001\\u001f\\t\\u007f\xc3\xa9\\u00ff\","));
    CHECK(strstr(txt, "\"leg_group\":null,") != NULL);
    CHECK(strstr(txt, "\"src\":null,\"dst\":null,\"transport\":null,") != NULL);
    CHECK(len > 0 && txt[len - 1] == '\n' && !memchr(txt, '\n', len - 1)); /* one NDJSON line */
    free(txt);
}

/* One call of six messages through a tracker keeping at most three of them (keep: the
 * list is kept at all, ct_config.keep_messages). */
static void capped_call(tc *c, int keep) {
    ct_config cfg;
    ct_config_default(&cfg);
    cfg.max_messages = 3;
    cfg.keep_messages = keep;
    tc_init(c, &cfg);
    feed(c, 0, EP_A, EP_B, INVITE("cap", "1", "z9hG4bKc"));
    for (int i = 1; i <= 5; i++)
        feed(c, MS(600 * i), EP_B, EP_A, RESP("180 Ringing", "cap", "1", "INVITE", "z9hG4bKc", ";tag=x"));
    ct_flush(c->ct);
    CHECK_INT(c->n, 1);
    CHECK_INT(c->recs[0].dropped, 3);
    CHECK_INT(c->recs[0].resp_rtx, 4);
    CHECK(ct_stats(c->ct)->messages_dropped == 3);
}

/* Messages beyond max_messages are counted, not kept. */
static void test_message_cap(void) {
    tc c;
    capped_call(&c, 1);
    CHECK_INT(c.recs[0].nmessages, 3);
    CHECK(strstr(c.recs[0].json, "\"messages_dropped\":3}"));
    tc_done(&c);
}

/* Without a reader (analyze with neither --calls nor --report) the list is not kept, but what
 * the summary counts is the same: the same messages beyond max_messages are dropped. */
static void test_message_list_off(void) {
    tc c;
    capped_call(&c, 0);
    CHECK_INT(c.recs[0].nmessages, 0);
    CHECK(strstr(c.recs[0].json, "\"messages\":[],\"messages_dropped\":3}"));
    tc_done(&c);
}

/* Memory stays proportional to active calls: 1,000,000 short calls (200,000 under ASan), at
 * most 4 open at once, every call freed (LeakSanitizer checks at exit). */
static void test_many_calls(void) {
#if defined(__SANITIZE_ADDRESS__)
    long n = 200000;
#else
    long n = 1000000;
#endif
    const char *env = getenv("SIPDX_TEST_CALLS"); /* e.g. a quick run under valgrind */
    if (env && atol(env) > 3) n = atol(env);
    tc *c = malloc(sizeof *c);
    tc_init(c, NULL);
    c->n = 8; /* keep nothing, count only */
    static const char inv[] =
        "INVITE sip:+1212555%04ld@198.51.100.20 SIP/2.0\n" VIA("z9hG4bK%ld") FROM
        "To: <sip:+1212555%04ld@example.net>\nCall-ID: m%ld@host\nCSeq: 1 INVITE\n";
    static const char fail[] =
        "SIP/2.0 486 Busy Here\n" VIA("z9hG4bK%ld") FROM
        "To: <sip:+1212555%04ld@example.net>;tag=b\nCall-ID: m%ld@host\nCSeq: 1 INVITE\n";
    char text[1024];
    uint64_t max_active = 0;
    for (long i = 0; i < n; i++) {
        snprintf(text, sizeof text, inv, i % 10000, i, i % 10000, i);
        feed(c, MS(i), EP_A, EP_B, text);
        if (i >= 3) {
            long j = i - 3;
            snprintf(text, sizeof text, fail, j, j % 10000, j);
            feed(c, MS(i) + 500, EP_B, EP_A, text);
        }
        if (ct_stats(c->ct)->active > max_active) max_active = ct_stats(c->ct)->active;
    }
    ct_flush(c->ct);
    const ct_counters *s = ct_stats(c->ct);
    CHECK_INT(c->count, n);
    CHECK_INT(s->completed, n - 3);
    CHECK_INT(s->incomplete, 3);
    CHECK_INT(s->active, 0);
    CHECK_MSG(max_active <= 4, "active calls peaked at %llu", (unsigned long long)max_active);
    CHECK_INT(s->active_max, 4);
    tc_done(c);
    free(c);
}

/* ---- batched emission (ct_config.emit_batch, as `analyze` runs) ---- */

typedef struct tc_json {
    tc c; /* first: feed() takes it */
    FILE *f;
    char *txt;
    size_t len;
} tc_json;

static void on_emit_json(void *ud, const call_record *r) {
    tc_json *j = ud;
    j->c.count++;
    call_record_json(r, j->f);
}

/* Feeds n calls of every ending (failure, CANCEL, BYE, Timer B, still open), three at a time
 * overlapping, with late retransmissions that meet tombstones, into a tracker emitting
 * batch calls at a time. Returns every record written, in emission order (caller frees). */
static char *run_batched(unsigned batch, int n, uint64_t *emitted_before_flush) {
    tc_json *j = calloc(1, sizeof *j);
    ct_config cfg;
    ct_config_default(&cfg);
    cfg.emit_batch = batch;
    j->f = open_memstream(&j->txt, &j->len);
    j->c.ct = ct_new(&cfg, &j->c.tally, on_emit_json, j);
    char cid[32], br[32], text[1024];
    for (int i = 0; i < n; i++) {
        sx_time t = MS(i * 100);
        snprintf(cid, sizeof cid, "b%d", i);
        snprintf(br, sizeof br, "z9hG4bKb%d", i);
#define BINV "INVITE sip:+12125550100@198.51.100.20 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=%s\n" FROM TO "\nCall-ID: %s\nCSeq: 1 INVITE\n"
#define BRESP "SIP/2.0 %s\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=%s\n" FROM TO ";tag=t%d\nCall-ID: %s\nCSeq: 1 %s\n"
        snprintf(text, sizeof text, BINV, br, cid);
        feed(&j->c, t, EP_A, EP_B, text);
        snprintf(text, sizeof text, BRESP, "180 Ringing", br, i, cid, "INVITE");
        feed(&j->c, t + MS(50), EP_B, EP_A, text);
        switch (i % 5) {
        case 0: /* refused, then its response again after the call ended */
            snprintf(text, sizeof text, BRESP, "603 Decline", br, i, cid, "INVITE");
            feed(&j->c, t + MS(250), EP_B, EP_A, text);
            feed(&j->c, t + MS(260), EP_B, EP_A, text);
            break;
        case 1: /* answered and hung up by the callee */
            snprintf(text, sizeof text, BRESP, "200 OK", br, i, cid, "INVITE");
            feed(&j->c, t + MS(250), EP_B, EP_A, text);
            snprintf(text, sizeof text,
                     "BYE sip:alice@192.0.2.10 SIP/2.0\nVia: SIP/2.0/UDP 198.51.100.20;branch=z9hG4bKbye%d\n"
                     "From: <sip:+12125550100@example.net>;tag=t%d\nTo: \"Alice\" <sip:+13125550111@192.0.2.10>;tag=ft1\n"
                     "Call-ID: %s\nCSeq: 1 BYE\n", i, i, cid);
            feed(&j->c, t + MS(280), EP_B, EP_A, text);
            snprintf(text, sizeof text, "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 198.51.100.20;branch=z9hG4bKbye%d\n"
                     "From: <sip:+12125550100@example.net>;tag=t%d\nTo: \"Alice\" <sip:+13125550111@192.0.2.10>;tag=ft1\n"
                     "Call-ID: %s\nCSeq: 1 BYE\n", i, i, cid);
            feed(&j->c, t + MS(290), EP_A, EP_B, text);
            break;
        case 2: /* cancelled */
            snprintf(text, sizeof text, "CANCEL sip:+12125550100@198.51.100.20 SIP/2.0\n"
                     "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=%s\n" FROM TO "\nCall-ID: %s\nCSeq: 1 CANCEL\n", br, cid);
            feed(&j->c, t + MS(200), EP_A, EP_B, text);
            snprintf(text, sizeof text, BRESP, "487 Request Terminated", br, i, cid, "INVITE");
            feed(&j->c, t + MS(230), EP_B, EP_A, text);
            break;
        default: break; /* Timer C ends it in capture time */
        }
#undef BINV
#undef BRESP
    }
    ct_expire(j->c.ct, T0 + MS(n * 100) + 200 * (sx_time)SX_SEC); /* past Timer C */
    *emitted_before_flush = j->c.count;
    ct_flush(j->c.ct);
    CHECK_INT(j->c.count, n);
    CHECK_INT(ct_stats(j->c.ct)->late, (n + 4) / 5); /* the repeated 603s */
    ct_free(j->c.ct);
    fclose(j->f);
    char *txt = j->txt;
    free(j);
    return txt;
}

/* Batching changes when records come out, never what they say or their order. */
static void test_emit_batch(void) {
    uint64_t e1, e7;
    char *one = run_batched(1, 200, &e1), *seven = run_batched(7, 200, &e7);
    CHECK_INT(e1, 200);         /* every call had ended by the expiry */
    CHECK_INT(e7, 200 / 7 * 7); /* whole batches; the flush emits the last 200 % 7 */
    CHECK(one && seven && strlen(one) > 200 * 200);
    CHECK_MSG(one && seven && strcmp(one, seven) == 0, "batched records differ");
    free(one);
    free(seven);
}

static void scenarios(void) {
    test_answered();
    test_retransmissions();
    test_duplicates();
    test_180_retransmission();
    test_cancel();
    test_challenge();
    test_forking();
    test_reinvite();
    test_timer_b();
    test_flush();
    test_eviction();
    test_two_hops();
    test_two_hops_long_branch();
    test_fork_downstream();
    test_group_session_id();
    test_group_xcid_icid();
    test_group_heuristic();
    test_not_calls();
    test_path_contact();
    test_path_record_route();
    test_path_ruri();
    test_path_names();
    test_verstat_pai_list();
    test_json_full();
    test_json_escaping();
    test_message_cap();
    test_message_list_off();
}

int main(void) {
    scenarios();
    use_hints = 1;
    scenarios();
    test_emit_batch();
    test_many_calls(); /* with hints, as in production */
    TH_END();
}
