/* fuzz_call.c -- the call tracker on arbitrary message sequences.
 *
 * Input: messages separated by NUL bytes. Each message's first byte is a control byte:
 * bits 0-1 source endpoint, bits 2-3 destination endpoint (of four), bits 4-7 the capture
 * time step before it (0 ms, then powers of two up to ~2^14 s, so every timer fires). The
 * rest is SIP text; what sip_parse rejects is skipped. Small limits (3 active calls, 6
 * messages and 2 KiB per call, 4-entry grouping ring) so eviction and every cap are reached.
 * Every record is written as JSON and checked to be one line. */
#define _GNU_SOURCE /* open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "call/call.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_call(void *ud, const call_record *r) {
    (void)ud;
    char *txt = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&txt, &len);
    if (!f) return;
    call_record_json(r, f);
    fclose(f);
    if (len == 0 || txt[len - 1] != '\n' || memchr(txt, '\n', len - 1)) abort();
    if (r->nmessages > 6 || r->nbranches > 16) abort();
    free(txt);
}

/* The prefetch hints `analyze` gives the parser, so the fuzzer runs its path. */
static void hint_cid(void *ud, const sip_msg *m) { ct_prefetch(ud, m); }
static void hint_hdr(void *ud, const sip_msg *m) { ct_prefetch_call(ud, m); }

static void feed(call_tracker *ct, const uint8_t *p, size_t n, sx_time *now) {
    static sip_msg m; /* large; fuzzers run one input at a time */
    sip_hint hint = {hint_cid, hint_hdr, ct};
    if (n < 2) return;
    uint8_t ctl = p[0];
    int step = ctl >> 4;
    *now += step ? ((sx_time)SX_MSEC << (2 * step)) : 0;
    if (sip_parse_hinted((const char *)p + 1, n - 1, 0, &m, &hint) <= 0) return;
    sx_msgmeta mt;
    memset(&mt, 0, sizeof mt);
    mt.ts = *now;
    mt.src.family = mt.dst.family = 4;
    mt.src.a[0] = mt.dst.a[0] = 10;
    mt.src.a[3] = (uint8_t)(1 + (ctl & 3));
    mt.dst.a[3] = (uint8_t)(1 + ((ctl >> 2) & 3));
    mt.sport = mt.dport = 5060;
    mt.transport = SX_T_UDP;
    ct_message(ct, &mt, &m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ct_config cfg;
    ct_config_default(&cfg);
    cfg.max_calls = 3;
    cfg.max_messages = 6;
    cfg.arena_max = 2048;
    cfg.group_index = 4;
    call_tracker *ct = ct_new(&cfg, NULL, on_call, NULL);
    if (!ct) return 0;
    sx_time now = 1700000000 * (sx_time)SX_SEC;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != 0) continue;
        feed(ct, data + start, i - start, &now);
        start = i + 1;
    }
    ct_expire(ct, now + 10 * (sx_time)SX_SEC);
    ct_flush(ct);
    const ct_counters *s = ct_stats(ct);
    if (s->active != 0 || s->completed + s->incomplete + s->evicted != s->calls) abort();
    ct_free(ct);
    return 0;
}
