/* verdict.c -- names of the vocabulary (diag.h, docs/diagnosis.md) and the verdict's JSON
 * form in the call record: ,"verdict":{"blocked_by":..,"cause":..,"confidence":..,"rule":..,
 * "evidence":[..],"remediation":..}. */
#include <stdio.h>

#include "../base/json.h"
#include "diag.h"

#define DIAG_NAME3(sym, name, desc) [sym] = name,
#define DIAG_DESC3(sym, name, desc) [sym] = desc,
static const char *const blocker_names[] = {DIAG_BLOCKERS(DIAG_NAME3)};
static const char *const cause_names[] = {DIAG_CAUSES(DIAG_NAME3)};
static const char *const cause_descs[] = {DIAG_CAUSES(DIAG_DESC3)};
#undef DIAG_NAME3
#undef DIAG_DESC3

const char *diag_blocker_name(int b) {
    return b >= 0 && b < DIAG_BY__COUNT ? blocker_names[b] : "unknown";
}

const char *diag_cause_name(int c) { return c >= 0 && c < DIAG_C__COUNT ? cause_names[c] : "other"; }

const char *diag_cause_desc(int c) {
    return c >= 0 && c < DIAG_C__COUNT ? cause_descs[c] : cause_descs[DIAG_C_OTHER];
}

void diag_verdict_json(const diag_verdict *v, FILE *out, int *first) {
    json_key(out, first, "verdict");
    fputs("{\"blocked_by\":", out);
    json_cstr(out, diag_blocker_name(v->blocked_by));
    fputs(",\"cause\":", out);
    json_cstr(out, diag_cause_name(v->cause));
    /* Two decimals: the confidences are judgements, more digits would be noise. */
    fprintf(out, ",\"confidence\":%.2f,\"rule\":", (double)v->confidence);
    json_cstr(out, v->rule ? v->rule : "");
    fputs(",\"evidence\":[", out);
    for (int i = 0; i < v->nevidence && i < DIAG_MAX_EVIDENCE; i++) {
        if (i) putc(',', out);
        json_cstr(out, v->evidence[i]);
    }
    fputs("],\"remediation\":", out);
    json_cstr(out, v->remediation ? v->remediation : "");
    putc('}', out);
}
