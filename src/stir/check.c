/* check.c -- what a verification service checks besides the signature (RFC 8224 §6.2,
 * RFC 8225, RFC 8588), turned into named findings; and the name tables. */
#include <strings.h>

#include "../sip/sip.h"
#include "stir.h"

/* ---- Tables ---- */

static const struct {
    const char *name, *desc;
    int sev, sip;
} finding_tab[] = {
#define STIR_F_ROW(name, sev, sip, desc) {#name, desc, sev, sip},
    STIR_FINDINGS(STIR_F_ROW)
#undef STIR_F_ROW
};

const char *stir_finding_name(int id) {
    return id >= 0 && id < STIR_F__COUNT ? finding_tab[id].name : "unknown";
}
const char *stir_finding_desc(int id) {
    return id >= 0 && id < STIR_F__COUNT ? finding_tab[id].desc : "unknown finding";
}
int stir_finding_severity(int id) {
    return id >= 0 && id < STIR_F__COUNT ? finding_tab[id].sev : STIR_ERROR;
}
int stir_finding_sip(int id) { return id >= 0 && id < STIR_F__COUNT ? finding_tab[id].sip : 0; }

int stir_findings_worst(const stir_findings *f) {
    int worst = -1;
    for (int i = 0; i < STIR_F__COUNT; i++)
        if (stir_has(f, i) && finding_tab[i].sev > worst) worst = finding_tab[i].sev;
    return worst;
}

const char *stir_err_name(int code) {
    switch (code) {
    case 0: return "ok";
#define STIR_ERR_NAME(sym, val, name, desc) case sym: return name;
        STIR_ERRORS(STIR_ERR_NAME)
#undef STIR_ERR_NAME
    }
    return "unknown";
}

const char *stir_err_desc(int code) {
    switch (code) {
    case 0: return "decoded";
#define STIR_ERR_DESC(sym, val, name, desc) case sym: return desc;
        STIR_ERRORS(STIR_ERR_DESC)
#undef STIR_ERR_DESC
    }
    return "unknown error";
}

/* ---- Telephone numbers (RFC 8224 §8.3) ---- */

/* A canonical tn is 1*("#" / "*" / DIGIT). */
static int tn_is_canonical(const char *tn) {
    if (!*tn) return 0;
    for (; *tn; tn++)
        if (!((*tn >= '0' && *tn <= '9') || *tn == '#' || *tn == '*')) return 0;
    return 1;
}

/* Does a PASSporT tn name the same number as the canonical E.164 digits from signalling?
 * Exact match first; then sip_e164()'s normalisation, so "+1 (215) 555-1212" and the
 * frequent 10-digit NANP form still match (and tn_not_canonical says they are wrong).
 * Sets *noncanon when only the lenient comparison matched or the tn has bad characters. */
static int tn_matches(const char *tn, const char *e164, int *noncanon) {
    if (!tn_is_canonical(tn)) *noncanon = 1;
    if (strcmp(tn, e164) == 0) return 1;
    char norm[16];
    if (sip_e164(sx_sv_make(tn, strlen(tn)), norm) && strcmp(norm, e164) == 0) {
        *noncanon = 1;
        return 1;
    }
    return 0;
}

/* ---- Checks ---- */

/* A fixed-size field (an array, NUL-terminated, at least as long as lit) holds exactly lit:
 * a memcmp of constant size is compiled inline, where strcmp with a literal is a call. */
#define FIELD_IS(field, lit) (sizeof(field) >= sizeof(lit) && memcmp((field), (lit), sizeof(lit)) == 0)

static void check_params(const stir_passport *p, stir_findings *f) {
    if (!(p->present & STIR_P_PARAMS)) return; /* bare PASSporT: no header parameters */
    if (!(p->present & STIR_P_INFO)) stir_set(f, STIR_F_info_missing);
    /* alg absent means ES256 (RFC 8224 §4.1) */
    if ((p->present & STIR_P_ALG_PARAM) && !FIELD_IS(p->alg_param, "ES256"))
        stir_set(f, STIR_F_alg_param_not_es256);
    if ((p->present & (STIR_P_PPT | STIR_P_PPT_PARAM)) &&
        (!(p->present & STIR_P_PPT) || !(p->present & STIR_P_PPT_PARAM) ||
         strcmp(p->ppt, p->ppt_param) != 0))
        stir_set(f, STIR_F_ppt_param_mismatch);
    if ((p->present & STIR_P_INFO) && (p->present & STIR_P_X5U) && strcmp(p->info, p->x5u) != 0)
        stir_set(f, STIR_F_info_x5u_mismatch);
}

static int is_shaken(const stir_passport *p) {
    return !(p->present & STIR_P_PPT) || FIELD_IS(p->ppt, "shaken");
}

static void check_header(const stir_passport *p, stir_findings *f) {
    if (!FIELD_IS(p->alg, "ES256")) stir_set(f, STIR_F_alg_not_es256);
    if (strcasecmp(p->typ, "passport") != 0) stir_set(f, STIR_F_typ_not_passport);
    if (!(p->present & STIR_P_PPT))
        stir_set(f, STIR_F_ppt_missing);
    else if (!FIELD_IS(p->ppt, "shaken") && !FIELD_IS(p->ppt, "div") &&
             !FIELD_IS(p->ppt, "rcd"))
        stir_set(f, STIR_F_ppt_unsupported);
    if (!p->x5u[0])
        stir_set(f, STIR_F_x5u_missing);
    else if (strncasecmp(p->x5u, "https://", 8) != 0)
        stir_set(f, STIR_F_x5u_not_https);
}

static void check_iat(const stir_passport *p, sx_time sent_at, stir_findings *f) {
    if (!(p->present & STIR_P_IAT)) {
        stir_set(f, STIR_F_iat_missing);
        return;
    }
    if (p->iat <= 0) stir_set(f, STIR_F_iat_invalid);
    if (stir_has(f, STIR_F_iat_invalid) || sent_at == 0) return;
    /* Whole seconds, rounded down: iat is a NumericDate in seconds. */
    int64_t sent = sent_at >= 0 ? sent_at / SX_SEC : -((-sent_at + SX_SEC - 1) / SX_SEC);
    f->iat_age = sent - p->iat;
    if (f->iat_age > STIR_FRESHNESS_SEC) stir_set(f, STIR_F_iat_stale);
    if (f->iat_age < -STIR_FUTURE_SKEW_SEC) stir_set(f, STIR_F_iat_future);
}

static void check_parties(const stir_passport *p, const char *caller, const char *callee,
                          stir_findings *f) {
    int noncanon = 0;
    if (!(p->present & STIR_P_ORIG_TN)) {
        if (!(p->present & STIR_P_ORIG_URI)) stir_set(f, STIR_F_orig_tn_missing);
    } else if (caller && *caller) {
        if (!tn_matches(p->orig_tn, caller, &noncanon)) stir_set(f, STIR_F_orig_tn_mismatch);
    } else if (!tn_is_canonical(p->orig_tn)) {
        noncanon = 1;
    }
    if (p->n_dest_tn == 0) {
        if (p->n_dest_uri == 0) stir_set(f, STIR_F_dest_tn_missing);
    } else {
        int hit = 0;
        for (int i = 0; i < p->n_dest_tn; i++) {
            if (callee && *callee)
                hit |= tn_matches(p->dest_tn[i], callee, &noncanon);
            else if (!tn_is_canonical(p->dest_tn[i]))
                noncanon = 1;
        }
        if (callee && *callee && !hit) stir_set(f, STIR_F_dest_tn_mismatch);
    }
    if (noncanon) stir_set(f, STIR_F_tn_not_canonical);
}

static void check_shaken(const stir_passport *p, stir_findings *f) {
    if (!is_shaken(p)) return; /* div/rcd PASSporTs carry no attest (RFC 8946 §3) */
    if (!(p->present & STIR_P_ATTEST))
        stir_set(f, STIR_F_attest_missing);
    else if (strcmp(p->attest, "A") == 0)
        stir_set(f, STIR_F_attest_a);
    else if (strcmp(p->attest, "B") == 0)
        stir_set(f, STIR_F_attest_b);
    else if (strcmp(p->attest, "C") == 0)
        stir_set(f, STIR_F_attest_c);
    else
        stir_set(f, STIR_F_attest_invalid);
    if (!(p->present & STIR_P_ORIGID) || !p->origid[0]) stir_set(f, STIR_F_origid_missing);
}

void stir_check(const stir_passport *p, const char *caller_e164, const char *callee_e164,
                sx_time sent_at, stir_findings *out) {
    *out = p->decoded;
    out->iat_age = 0;
    if (p->status != 0) {
        stir_set(out, STIR_F_malformed_identity);
        out->decode_err = p->status;
        return;
    }
    check_params(p, out);
    check_header(p, out);
    if (stir_has(out, STIR_F_compact_form)) return; /* no claims to check */
    check_iat(p, sent_at, out);
    check_parties(p, caller_e164, callee_e164, out);
    check_shaken(p, out);
    if (p->present & STIR_P_DIV) stir_set(out, STIR_F_div_present);
    if (p->present & (STIR_P_RCD | STIR_P_CRN)) stir_set(out, STIR_F_rcd_present);
}
