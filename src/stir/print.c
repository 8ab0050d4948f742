/* print.c -- a decoded PASSporT, its findings and its verification result, for people and
 * as JSON. Not on the hot path: JSON goes through jansson for correct escaping. */
#include <jansson.h>
#include <time.h>

#include "stir.h"

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

/* The decoded JSON text, re-parsed for embedding; a JSON null if absent. */
static json_t *embedded(const char *text, size_t n) {
    json_t *j = n ? json_loadb(text, n, 0, NULL) : NULL;
    return j ? j : json_null();
}

static json_t *findings_json(const stir_findings *f) {
    json_t *a = json_array();
    for (int i = 0; f && i < STIR_F__COUNT; i++) {
        if (!stir_has(f, i)) continue;
        json_t *o = json_pack("{s:s, s:s, s:i}", "name", stir_finding_name(i), "severity",
                              sev_names[stir_finding_severity(i)], "sip", stir_finding_sip(i));
        if ((i == STIR_F_iat_stale || i == STIR_F_iat_future) && o)
            json_object_set_new(o, "iat_age", json_integer(f->iat_age));
        json_array_append_new(a, o);
    }
    return a;
}

void stir_print_json(FILE *out, const stir_passport *p, const stir_findings *f,
                     const stir_vresult *r) {
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(stir_err_name(p->status)));
    if (p->present & STIR_P_PARAMS) {
        json_t *ip = json_object();
        if (p->present & STIR_P_INFO) json_object_set_new(ip, "info", json_string(p->info));
        if (p->present & STIR_P_ALG_PARAM)
            json_object_set_new(ip, "alg", json_string(p->alg_param));
        if (p->present & STIR_P_PPT_PARAM)
            json_object_set_new(ip, "ppt", json_string(p->ppt_param));
        json_object_set_new(o, "identity_params", ip);
    }
    json_object_set_new(o, "header", embedded(p->header_json, p->header_len));
    json_object_set_new(o, "claims", embedded(p->claims_json, p->claims_len));
    json_object_set_new(o, "findings", findings_json(f));
    if (r) {
        json_object_set_new(o, "signature", json_string(stir_sig_name(r->sig)));
        json_object_set_new(o, "signature_detail", json_string(r->detail));
        json_object_set_new(o, "chain_checked", json_boolean(r->chain_checked));
    }
    json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
}
