/* fuzz_sip.c -- libFuzzer target for the SIP parser: sip_parse() in datagram and stream
 * mode, then every typed accessor on every header kept and every list value. */
#include "sip/sip.h"

#include <stdint.h>

static void accessors(const sip_msg *m) {
    for (int i = 0; i < m->nhdrs; i++) {
        sx_sv v = m->hdrs[i].value;
        sip_uri u;
        sip_naddr na;
        sip_via via;
        sip_reason r;
        sip_callinfo ci;
        sip_warning w;
        uint32_t s;
        char e[16];
        sx_sv pv;
        sip_parse_uri(v, &u);
        sip_e164(u.user, e);
        if (sip_parse_naddr(v, &na) == 0 && sip_parse_uri(na.uri, &u) == 0) sip_e164(u.user, e);
        sip_parse_via(v, &via);
        sip_parse_reason(v, &r);
        sip_parse_callinfo(v, &ci);
        sip_parse_warning(v, &w);
        sip_parse_retry_after(v, &s);
        sip_param(v, "tag", &pv);
        sip_e164(v, e);
    }
    for (int id = 0; id < SIP_H__COUNT; id++) {
        sip_vit it = {0};
        sx_sv v;
        while (sip_next_value(m, id, &it, &v)) {
            sip_naddr na;
            sip_via via;
            sip_parse_naddr(v, &na);
            sip_parse_via(v, &via);
        }
        sip_hdr_first(m, id);
        sip_hdr_name(id);
    }
    sip_hdr_by_name(m, "X-Unknown");
    if (m->is_request) {
        sip_uri u;
        sip_parse_uri(m->ruri, &u);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sip_msg m;
    const char *buf = (const char *)data;
    int r = sip_parse(buf, size, 0, &m);
    if (r > 0 && (size_t)r > size) __builtin_trap();
    accessors(&m);
    r = sip_parse(buf, size, SIP_P_STREAM, &m);
    if (r > 0 && (size_t)r > size) __builtin_trap();
    accessors(&m);
    long fl = sip_frame_len(buf, size, 8192);
    if (fl > 0 && (size_t)fl > size) __builtin_trap();
    sip_looks_like_start(buf, size);
    sip_err_name(r);
    return 0;
}
