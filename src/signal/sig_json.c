/* sig_json.c -- the "stir" and "signals" keys of a call record (docs/signals.md). Keys are
 * stable and always present; absent values are null. */
#include <inttypes.h>
#include <string.h>

#include "base/json.h"
#include "sig_int.h"

static void j_int(FILE *o, int v, int present) {
    if (present) fprintf(o, "%d", v);
    else fputs("null", o);
}

static void j_findings(FILE *o, const stir_findings *f) {
    putc('[', o);
    int first = 1;
    for (int id = 0; id < STIR_F__COUNT; id++) {
        if (!stir_has(f, id)) continue;
        if (!first) putc(',', o);
        first = 0;
        json_cstr(o, stir_finding_name(id));
    }
    putc(']', o);
}

static const char *severity_name(int s) {
    return s == STIR_ERROR ? "error" : s == STIR_WARN ? "warn" : s == STIR_INFO ? "info" : NULL;
}

static void j_identity(FILE *o, const sig_identity *id, sx_time sent_at) {
    int f = 1;
    putc('{', o);
    json_key(o, &f, "status");
    json_cstr(o, id->decode_status ? stir_err_name(id->decode_status) : "ok");
    json_key(o, &f, "alg"), json_cstr_or_null(o, id->alg);
    json_key(o, &f, "ppt"), json_cstr_or_null(o, id->ppt);
    json_key(o, &f, "attest"), json_cstr_or_null(o, id->attest);
    json_key(o, &f, "orig"), json_cstr_or_null(o, id->orig_tn);
    json_key(o, &f, "dest"), json_cstr_or_null(o, id->dest_tn);
    json_key(o, &f, "dest_count"), fprintf(o, "%d", id->n_dest);
    json_key(o, &f, "iat");
    if (id->iat) fprintf(o, "%" PRId64, id->iat);
    else fputs("null", o);
    json_key(o, &f, "iat_age");
    if (id->iat && sent_at) fprintf(o, "%" PRId64, id->findings.iat_age);
    else fputs("null", o);
    json_key(o, &f, "x5u"), json_cstr_or_null(o, id->x5u);
    json_key(o, &f, "info"), json_cstr_or_null(o, id->info);
    json_key(o, &f, "findings"), j_findings(o, &id->findings);
    json_key(o, &f, "worst"), json_cstr_or_null(o, severity_name(stir_findings_worst(&id->findings)));
    json_key(o, &f, "signature"), json_cstr(o, stir_sig_name(id->sig));
    json_key(o, &f, "signature_detail"), json_cstr_or_null(o, id->sig_detail);
    json_key(o, &f, "cached"), fputs(id->sig_cached ? "true" : "false", o);
    putc('}', o);
}

static void j_stir(FILE *o, const sig_result *s) {
    int f = 1, n = s->nidentity < SIG_MAX_IDENTITIES ? s->nidentity : SIG_MAX_IDENTITIES;
    putc('{', o);
    json_key(o, &f, "identity_count"), fprintf(o, "%d", s->nidentity);
    json_key(o, &f, "identities");
    putc('[', o);
    for (int i = 0; i < n; i++) {
        if (i) putc(',', o);
        j_identity(o, &s->ids[i], s->sent_at);
    }
    putc(']', o);
    json_key(o, &f, "findings"), j_findings(o, &s->findings);
    json_key(o, &f, "worst"), json_cstr_or_null(o, severity_name(stir_findings_worst(&s->findings)));
    json_key(o, &f, "signature"), json_cstr(o, sig_signature_name(s->signature));
    json_key(o, &f, "attest"), json_cstr_or_null(o, s->attest);
    putc('}', o);
}

static void j_reason(FILE *o, const sig_reason *r) {
    int f = 1;
    putc('{', o);
    json_key(o, &f, "protocol"), json_cstr_or_null(o, r->protocol);
    json_key(o, &f, "cause"), j_int(o, r->cause, r->cause >= 0);
    json_key(o, &f, "text"), json_cstr_or_null(o, r->text);
    json_key(o, &f, "location"), json_cstr_or_null(o, r->location);
    json_key(o, &f, "meaning"), json_cstr_or_null(o, r->meaning);
    putc('}', o);
}

static void j_stir_reason(FILE *o, const sig_result *s) {
    const sig_stir_reason *st = &s->stir_reason;
    if (!st->present) {
        fputs("null", o);
        return;
    }
    sig_implied im;
    int f = 1;
    putc('{', o);
    json_key(o, &f, "cause"), j_int(o, st->cause, st->cause >= 0);
    json_key(o, &f, "text"), json_cstr_or_null(o, st->text);
    json_key(o, &f, "ppi"), json_cstr_or_null(o, st->ppi);
    json_key(o, &f, "identity"), j_int(o, st->identity, st->identity >= 0);
    json_key(o, &f, "implies");
    json_cstr_or_null(o, sig_implied_of(st->cause, sx_sv_make(st->text, strlen(st->text)), &im) ? im.name : NULL);
    putc('}', o);
}

static void j_blocked(FILE *o, const sig_blocked *b) {
    if (!b->present) {
        fputs("null", o);
        return;
    }
    int f = 1;
    putc('{', o);
    json_key(o, &f, "profile_complete"), fputs(b->profile_complete ? "true" : "false", o);
    json_key(o, &f, "version"), json_cstr_or_null(o, b->version);
    json_key(o, &f, "party"), json_cstr_or_null(o, b->party);
    json_key(o, &f, "url"), json_cstr_or_null(o, b->url);
    json_key(o, &f, "tel"), json_cstr_or_null(o, b->tel);
    json_key(o, &f, "email"), json_cstr_or_null(o, b->email);
    json_key(o, &f, "id"), json_cstr_or_null(o, b->id);
    json_key(o, &f, "location"), json_cstr_or_null(o, b->location);
    json_key(o, &f, "text"), json_cstr_or_null(o, b->text);
    putc('}', o);
}

static void j_jcard(FILE *o, const sig_jcard *j) {
    if (!j->present) {
        fputs("null", o);
        return;
    }
    int f = 1, decoded = j->source && strcmp(j->source, "link") != 0;
    putc('{', o);
    json_key(o, &f, "link"), json_cstr_or_null(o, j->link);
    json_key(o, &f, "source"), json_cstr_or_null(o, j->source);
    json_key(o, &f, "status");
    if (!decoded) fputs("null", o);
    else json_cstr(o, j->decode_status == 0 ? "ok" : j->decode_status == 1 ? "no_jcard"
                                                                         : stir_err_name(j->decode_status));
    json_key(o, &f, "name"), json_cstr_or_null(o, j->name);
    json_key(o, &f, "org"), json_cstr_or_null(o, j->org);
    json_key(o, &f, "url"), json_cstr_or_null(o, j->url);
    json_key(o, &f, "email"), json_cstr_or_null(o, j->email);
    json_key(o, &f, "tel"), json_cstr_or_null(o, j->tel);
    json_key(o, &f, "typ"), json_cstr_or_null(o, decoded ? j->typ : NULL);
    json_key(o, &f, "x5u"), json_cstr_or_null(o, decoded ? j->x5u : NULL);
    json_key(o, &f, "iat");
    if (decoded && j->iat) fprintf(o, "%" PRId64, j->iat);
    else fputs("null", o);
    json_key(o, &f, "signature"), json_cstr_or_null(o, decoded ? stir_sig_name(j->sig) : NULL);
    json_key(o, &f, "signature_detail"), json_cstr_or_null(o, decoded ? j->sig_detail : NULL);
    putc('}', o);
}

/* Our own findings that explain the verifier's response: those whose RFC 8224 §6.2.2
 * response is that code, plus the signature result that maps onto 436/437/438. */
static void j_explained(FILE *o, const sig_result *s, int code) {
    int first = 1;
    putc('[', o);
    for (int id = 0; id < STIR_F__COUNT; id++) {
        if (!stir_has(&s->findings, id) || stir_finding_sip(id) != code ||
            stir_finding_severity(id) == STIR_INFO)
            continue;
        if (!first) putc(',', o);
        first = 0;
        json_cstr(o, stir_finding_name(id));
    }
    int sig = s->signature;
    int maps = (code == 436 && sig == STIR_SIG_CERT_UNKNOWN) ||
               (code == 437 && (sig == STIR_SIG_UNTRUSTED || sig == STIR_SIG_EXPIRED)) ||
               (code == 438 && sig == STIR_SIG_INVALID);
    if (maps) {
        if (!first) putc(',', o);
        fprintf(o, "\"signature_%s\"", stir_sig_name(sig));
    }
    putc(']', o);
}

static void j_implied(FILE *o, const sig_result *s) {
    const sig_implied *im = &s->implied;
    if (!im->code) {
        fputs("null", o);
        return;
    }
    int f = 1;
    putc('{', o);
    json_key(o, &f, "code"), fprintf(o, "%d", im->code);
    json_key(o, &f, "name"), json_cstr_or_null(o, im->name);
    json_key(o, &f, "description"), json_cstr_or_null(o, im->desc);
    json_key(o, &f, "from"), json_cstr_or_null(o, im->from);
    json_key(o, &f, "explained_by"), j_explained(o, s, im->code);
    putc('}', o);
}

static void j_signals(FILE *o, const sig_result *s) {
    int f = 1;
    putc('{', o);
    json_key(o, &f, "reasons");
    putc('[', o);
    for (int i = 0; i < s->nreasons; i++) {
        if (i) putc(',', o);
        j_reason(o, &s->reasons[i]);
    }
    putc(']', o);
    json_key(o, &f, "stir_reason"), j_stir_reason(o, s);
    json_key(o, &f, "network_blocked"), j_blocked(o, &s->blocked);
    json_key(o, &f, "jcard"), j_jcard(o, &s->jcard);
    json_key(o, &f, "implied_stir_finding"), j_implied(o, s);
    json_key(o, &f, "verstat");
    if (s->verstat[0]) {
        int g = 1;
        putc('{', o);
        json_key(o, &g, "value"), json_cstr_or_null(o, s->verstat);
        json_key(o, &g, "class"), json_cstr_or_null(o, s->verstat_class);
        putc('}', o);
    } else {
        fputs("null", o);
    }
    putc('}', o);
}

void sig_json_keys(const sig_result *res, FILE *out, int *first) {
    json_key(out, first, "stir"), j_stir(out, res);
    json_key(out, first, "signals"), j_signals(out, res);
}

void sig_json_extra(void *ud, const call_record *r, FILE *out, int *first) {
    (void)r;
    sig_json_keys(ud, out, first);
}
