/* tally.c -- printing and checking the frame account. */
#include "tally.h"

#include "../sip/sip.h" /* only the SIP_ERRORS table (a macro): no link dependency */

static const char *bad_name(int i) {
    switch (-i) {
#define SX_BN(sym, val, name, desc) case val: return name;
        SIP_ERRORS(SX_BN)
#undef SX_BN
    default: return "other";
    }
}

static const char *bad_desc(int i) {
    switch (-i) {
#define SX_BD(sym, val, name, desc) case val: return desc;
        SIP_ERRORS(SX_BD)
#undef SX_BD
    default: return "other reason";
    }
}

uint64_t tally_frame_outcomes(const sx_tally *t) {
    uint64_t s = 0;
#define SX_SUM(name, desc) s += t->name;
    SX_TALLY_FRAMES(SX_SUM)
#undef SX_SUM
    return s;
}

int tally_check(const sx_tally *t) { return tally_frame_outcomes(t) == t->frames ? 0 : -1; }

void tally_add(sx_tally *a, const sx_tally *b) {
#define SX_ADD(name, desc) a->name += b->name;
    SX_TALLY_FRAMES(SX_ADD)
    SX_TALLY_EVENTS(SX_ADD)
#undef SX_ADD
    a->frames += b->frames;
    for (int i = 0; i < 32; i++) a->sip_bad[i] += b->sip_bad[i];
}

void tally_print(const sx_tally *t, FILE *out) {
    fprintf(out, "tally: %llu frames%s\n", (unsigned long long)t->frames,
            tally_check(t) == 0 ? "" : " (ACCOUNTING MISMATCH: please report)");
#define SX_PRN(name, desc) \
    if (t->name) fprintf(out, "  %-20s %12llu  %s\n", #name, (unsigned long long)t->name, desc);
    SX_TALLY_FRAMES(SX_PRN)
    SX_TALLY_EVENTS(SX_PRN)
#undef SX_PRN
    for (int i = 1; i < 32; i++)
        if (t->sip_bad[i])
            fprintf(out, "    malformed:%-12s %8llu  %s\n", bad_name(i),
                    (unsigned long long)t->sip_bad[i], bad_desc(i));
}

void tally_json(const sx_tally *t, FILE *out) {
    fprintf(out, "{\"frames\":%llu,\"balanced\":%s", (unsigned long long)t->frames,
            tally_check(t) == 0 ? "true" : "false");
#define SX_JS(name, desc) fprintf(out, ",\"%s\":%llu", #name, (unsigned long long)t->name);
    SX_TALLY_FRAMES(SX_JS)
    SX_TALLY_EVENTS(SX_JS)
#undef SX_JS
    fprintf(out, ",\"sip_malformed_by_reason\":{");
    int first = 1;
    for (int i = 1; i < 32; i++)
        if (t->sip_bad[i]) {
            fprintf(out, "%s\"%s\":%llu", first ? "" : ",", bad_name(i),
                    (unsigned long long)t->sip_bad[i]);
            first = 0;
        }
    fprintf(out, "}}");
}
