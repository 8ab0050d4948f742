/* print.c -- a decoded PASSporT, its findings and its verification result, for people and
 * as JSON. Not on the hot path. The JSON object's layout is fixed (keys in this order,
 * compact); strings are written by sjson.c's writer, and a string that is not valid UTF-8
 * is left out with its key rather than written as invalid JSON. */
#include <time.h>

#include "stir_int.h"

static const char *const sev_names[] = {"info", "warn", "error"};

static void print_time(FILE *out, int64_t t) {
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];
    if (t > 0 && gmtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        fprintf(out, " (%s)", buf);
}

static void print_claims(FILE *out, const stir_passport *p) {
    if (p->present & STIR_P_ATTEST) fprintf(out, "  attest   %s\n", p->attest);
    if (p->present & STIR_P_ORIG_TN) fprintf(out, "  orig.tn  %s\n", p->orig_tn);
    if (p->present & STIR_P_ORIG_URI) fprintf(out, "  orig.uri %s\n", p->orig_uri);
    for (int i = 0; i < p->n_dest_tn; i++) fprintf(out, "  dest.tn  %s\n", p->dest_tn[i]);
    for (int i = 0; i < p->n_dest_uri; i++) fprintf(out, "  dest.uri %s\n", p->dest_uri[i]);
    if (p->present & STIR_P_IAT) {
        fprintf(out, "  iat      %lld", (long long)p->iat);
        print_time(out, p->iat);
        fputc('\n', out);
    }
    if (p->present & STIR_P_ORIGID) fprintf(out, "  origid   %s\n", p->origid);
    if (p->div_tn[0]) fprintf(out, "  div.tn   %s\n", p->div_tn);
    if (p->div_uri[0]) fprintf(out, "  div.uri  %s\n", p->div_uri);
    if (p->rcd_nam[0]) fprintf(out, "  rcd.nam  %s\n", p->rcd_nam);
    if (p->crn[0]) fprintf(out, "  crn      %s\n", p->crn);
}

void stir_print(FILE *out, const stir_passport *p, const stir_findings *f,
                const stir_vresult *r) {
    if (p->status != 0)
        fprintf(out, "Identity: malformed: %s (%s)\n", stir_err_desc(p->status),
                stir_err_name(p->status));
    else
        fprintf(out, "Identity: %s\n",
                p->present & STIR_P_PARAMS ? "SIP Identity header" : "bare PASSporT");
    if (p->present & STIR_P_PARAMS)
        fprintf(out, "  info=<%s> alg=%s ppt=%s\n", p->info,
                p->present & STIR_P_ALG_PARAM ? p->alg_param : "(absent: ES256)",
                p->present & STIR_P_PPT_PARAM ? p->ppt_param : "(absent)");
    if (p->header_len) {
        fprintf(out, "Header\n  alg %s  typ %s  ppt %s\n  x5u %s\n", p->alg, p->typ,
                p->present & STIR_P_PPT ? p->ppt : "(absent)", p->x5u);
    }
    if (p->claims_len) {
        fprintf(out, "Claims\n");
        print_claims(out, p);
    }
    if (f && f->bits) {
        fprintf(out, "Findings\n");
        for (int i = 0; i < STIR_F__COUNT; i++) {
            if (!stir_has(f, i)) continue;
            int s = stir_finding_severity(i);
            fprintf(out, "  %-5s %-20s %s", sev_names[s], stir_finding_name(i),
                    stir_finding_desc(i));
            if (i == STIR_F_iat_stale || i == STIR_F_iat_future)
                fprintf(out, " [age %lld s]", (long long)f->iat_age);
            if (stir_finding_sip(i)) fprintf(out, " [%d]", stir_finding_sip(i));
            fputc('\n', out);
        }
    }
    if (r)
        fprintf(out, "Signature: %s%s%s%s\n", stir_sig_name(r->sig), r->detail[0] ? " -- " : "",
                r->detail, r->chain_checked ? " (chain checked)" : "");
}

/* Writes ,"key":"value" -- or nothing if value is not valid UTF-8. */
static void put_member(FILE *out, const char *key, const char *value, int *first) {
    size_t n = strlen(value);
    if (!stir_utf8_valid(value, n)) return;
    fprintf(out, "%s\"%s\":", *first ? "" : ",", key);
    stir_json_put_str(out, value, n);
    *first = 0;
}

static void print_findings_json(FILE *out, const stir_findings *f) {
    int first = 1;
    fputc('[', out);
    for (int i = 0; f && i < STIR_F__COUNT; i++) {
        if (!stir_has(f, i)) continue;
        fprintf(out, "%s{\"name\":\"%s\",\"severity\":\"%s\",\"sip\":%d", first ? "" : ",",
                stir_finding_name(i), sev_names[stir_finding_severity(i)], stir_finding_sip(i));
        if (i == STIR_F_iat_stale || i == STIR_F_iat_future)
            fprintf(out, ",\"iat_age\":%lld", (long long)f->iat_age);
        fputc('}', out);
        first = 0;
    }
    fputc(']', out);
}

void stir_print_json(FILE *out, const stir_passport *p, const stir_findings *f,
                     const stir_vresult *r) {
    int first = 1;
    fputc('{', out);
    put_member(out, "status", stir_err_name(p->status), &first);
    if (p->present & STIR_P_PARAMS) {
        int pf = 1;
        fputs(",\"identity_params\":{", out);
        if (p->present & STIR_P_INFO) put_member(out, "info", p->info, &pf);
        if (p->present & STIR_P_ALG_PARAM) put_member(out, "alg", p->alg_param, &pf);
        if (p->present & STIR_P_PPT_PARAM) put_member(out, "ppt", p->ppt_param, &pf);
        fputc('}', out);
    }
    /* The decoded texts, re-parsed so they embed compact; null if absent or not JSON. */
    fputs(",\"header\":", out);
    stir_json_dump_text(out, p->header_json, p->header_len);
    fputs(",\"claims\":", out);
    stir_json_dump_text(out, p->claims_json, p->claims_len);
    fputs(",\"findings\":", out);
    print_findings_json(out, f);
    if (r) {
        put_member(out, "signature", stir_sig_name(r->sig), &first);
        put_member(out, "signature_detail", r->detail, &first);
        fprintf(out, ",\"chain_checked\":%s", r->chain_checked ? "true" : "false");
    }
    fputc('}', out);
}
