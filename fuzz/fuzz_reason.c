/* fuzz_reason.c -- what came back, on arbitrary bytes: sip_parse_reason and
 * sip_parse_callinfo on every line, the 603+ text parser, the jwscard URI and jCard parsers,
 * then a call record made of what parsed through sig_analyze() and its JSON. The first byte
 * picks the final response (403/428/436/437/438/603/608) so every branch is reached; the
 * first line is also the verstat and the Identity value. No verifier: that would only fuzz
 * OpenSSL. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "signal/signal.h"
#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static sig_result res; /* large; fuzzers run one input at a time */
    static const int codes[] = {403, 428, 436, 437, 438, 603, 608, 480};
    call_record r;
    call_reason reasons[LINES];
    call_info_ref info[LINES];
    sx_sv lines[LINES];
    size_t nl = 0;
    const char *p = (const char *)data, *end = p + size;
    memset(&r, 0, sizeof r);
    r.final_code = size ? codes[data[0] % 8] : 0;
    r.final_reason = size && (data[0] & 8) ? SX_SV_LIT("Network Blocked") : SX_SV_LIT("Stale Date");
    r.start = (sx_time)1600000000 * SX_SEC;
    strcpy(r.caller.e164, "12155550121");
    strcpy(r.callee.e164, "12155550131");
    while (p < end && nl < LINES) {
        const char *nlp = memchr(p, '\n', (size_t)(end - p));
        const char *e = nlp ? nlp : end;
        lines[nl++] = sx_sv_make(p, (size_t)(e - p));
        p = e + 1;
    }
    r.reasons = reasons;
    r.call_info = info;
    stir_passport *scratch = &res.scratch;
    for (size_t i = 0; i < nl; i++) {
        sip_reason sr;
        sip_callinfo ci;
        sig_blocked b;
        sig_jcard j;
        memset(&b, 0, sizeof b);
        memset(&j, 0, sizeof j);
        if (sip_parse_reason(lines[i], &sr) == 0)
            reasons[r.nreasons++] = (call_reason){sr.protocol, sr.cause, sr.text, sr.location, sr.params};
        if (sip_parse_callinfo(lines[i], &ci) == 0)
            info[r.ncall_info++] = (call_info_ref){ci.uri, ci.purpose.n ? ci.purpose : SX_SV_LIT("jwscard")};
        sig_parse_blocked_text(lines[i], &b);
        sig_parse_jcard_uri(lines[i], &j, scratch);
        sig_jcard_fields(lines[i].p, lines[i].n, &j);
    }
    if (nl) {
        r.verstat = lines[0];
        r.identity = lines;
        r.nidentity = 1;
    }
    sig_analyze(&r, NULL, 1, &res);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        int first = 1;
        sig_json_keys(&res, null, &first);
        fclose(null);
    }
    return 0;
}
