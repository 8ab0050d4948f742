/* nanp.c -- is a caller ID possible at all? NANP rules for country code 1 (reference §4:
 * +1 NPA NXX XXXX, NPA and NXX start with 2-9, N11 codes, reserved and non-geographic NPAs,
 * 555-01XX) and, for other country codes, only the E.164 length (ITU-T E.164 §6: at most 15
 * digits; 8 is the floor the brief sets for a plausible international number).
 *
 * Why it matters: the FCC 2017 Call Blocking R&O lets any provider block calls whose caller
 * ID is "invalid" (impossible under the NANP), so a 603/608 for such a caller ID is explained
 * by the number, not by the call. Codes marked ⚠ in the reference are classed, not called
 * invalid, so a doubtful rule never turns a valid number into a verdict. */
#include <string.h>
#include <strings.h>

#include "diag.h"

static const char *const class_names[] = {
    [DIAG_TN_GEOGRAPHIC] = "geographic",       [DIAG_TN_TOLL_FREE] = "toll_free",
    [DIAG_TN_PREMIUM] = "premium",             [DIAG_TN_NON_GEOGRAPHIC] = "non_geographic",
    [DIAG_TN_SPECIAL_NXX] = "special_nxx",     [DIAG_TN_ANONYMOUS] = "anonymous",
    [DIAG_TN_NOT_NUMBER] = "not_a_number",     [DIAG_TN_INVALID] = "invalid",
};

const char *diag_tn_class_name(int c) {
    return c >= 0 && c <= DIAG_TN_INVALID ? class_names[c] : "invalid";
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Three digits as a number (p points at three digits). */
static int num3(const char *p) { return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'); }

/* Returns 0 so that checks read "return set(...)". */
static int set(diag_tn_check *o, int cls, int invalid, const char *reason) {
    o->tn_class = cls;
    o->invalid = invalid;
    o->reason = reason;
    return 0;
}

/* RFC 3323 / common PBX spellings of a withheld identity. */
static int anonymous_word(const char *raw) {
    static const char *const words[] = {"anonymous", "restricted", "private", "unavailable",
                                        "unknown", "withheld", "anonymous.invalid"};
    if (!raw || !raw[0]) return 1;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strcasecmp(raw, words[i])) return 1;
    return 0;
}

/* The user part is digits and separators only (so an empty e164 means "too long"). */
static size_t dialable_digits(const char *raw) {
    size_t n = 0;
    for (const char *p = raw; *p && *p != ';'; p++) {
        if (is_digit(*p)) n++;
        else if (!strchr("+-.() ", *p)) return 0;
    }
    return n;
}

static int check_npa(const char *npa, diag_tn_check *o) {
    int v = num3(npa);
    if (npa[0] < '2') return set(o, DIAG_TN_INVALID, 1, "NPA starts with 0/1");
    if (npa[1] == '1' && npa[2] == '1') return set(o, DIAG_TN_INVALID, 1, "N11 service code as NPA");
    switch (v) {
    case 800: case 833: case 844: case 855: case 866: case 877: case 888:
        return set(o, DIAG_TN_TOLL_FREE, 0, "toll-free NPA");
    case 822: case 880: case 881: case 882: case 883: case 884: case 885: case 886: case 887:
    case 889:
        return set(o, DIAG_TN_INVALID, 1, "reserved toll-free NPA");
    case 900: return set(o, DIAG_TN_PREMIUM, 0, "premium-rate NPA 900");
    case 600: case 700: case 710: case 456:
        return set(o, DIAG_TN_NON_GEOGRAPHIC, 0, "non-geographic NPA");
    default: break;
    }
    if (npa[0] == '5') return set(o, DIAG_TN_NON_GEOGRAPHIC, 0, "non-geographic NPA 5XX");
    if (npa[1] == '9') return set(o, DIAG_TN_INVALID, 1, "N9X NPA reserved for expansion");
    if (v / 10 == 37 || v / 10 == 96) return set(o, DIAG_TN_INVALID, 1, "37X/96X NPA reserved");
    if (npa[1] == npa[2])
        return set(o, DIAG_TN_INVALID, 1, "ERC NPA (easily recognisable code) is not geographic");
    return 0;
}

static int check_nxx(const char *nxx, const char *line, diag_tn_check *o) {
    if (nxx[0] < '2') return set(o, DIAG_TN_INVALID, 1, "NXX starts with 0/1");
    if (nxx[1] == '1' && nxx[2] == '1') return set(o, DIAG_TN_INVALID, 1, "N11 service code as NXX");
    int v = num3(nxx);
    if (v == 555 && line[0] == '0' && line[1] == '1')
        return set(o, DIAG_TN_INVALID, 1, "fictitious 555-01XX");
    if (v == 555 && !strncmp(line, "1212", 4))
        return set(o, DIAG_TN_INVALID, 1, "directory assistance 555-1212");
    if ((v == 950 || v == 958 || v == 959 || v == 976) && o->tn_class == DIAG_TN_GEOGRAPHIC)
        set(o, DIAG_TN_SPECIAL_NXX, 0, "special-use NXX (950/958/959/976)");
    return 0;
}

static int check_nanp(const char *e, size_t n, diag_tn_check *o) {
    if (n != 11) return set(o, DIAG_TN_INVALID, 1, "NANP number without 10 digits after the 1");
    check_npa(e + 1, o);
    if (o->invalid) return 0;
    return check_nxx(e + 4, e + 7, o);
}

/* Neighbor spoofing: same NPA-NXX as the callee (reference §4; TNS flags it). */
int diag_tn_neighbor(const char *e164, const char *callee) {
    if (!e164 || !callee || e164[0] != '1') return 0;
    for (int i = 0; i < 7; i++) /* the NPA-NXX first: most calls differ there */
        if (e164[i] != callee[i] || !is_digit(e164[i])) return 0;
    for (int i = 7; i < 11; i++) /* 11 digits, and a callee of 11 characters */
        if (!is_digit(e164[i]) || !callee[i]) return 0;
    return !e164[11] && !callee[11];
}

static int check(const char *e164, const char *raw, const char *callee, diag_tn_check *o) {
    set(o, DIAG_TN_GEOGRAPHIC, 0, "");
    o->neighbor = 0;
    size_t n = e164 ? strlen(e164) : 0;
    if (n == 0) {
        if (anonymous_word(raw)) return set(o, DIAG_TN_ANONYMOUS, 0, "anonymous caller ID");
        if (dialable_digits(raw) > 15) return set(o, DIAG_TN_INVALID, 1, "more than 15 digits (E.164)");
        /* A SIP user name ("alice", "ua1"): lawful inside SIP networks, so classed, not
         * called impossible (captures are full of them; a 403 to one is not about NANP). */
        return set(o, DIAG_TN_NOT_NUMBER, 0, "caller ID is not a number");
    }
    for (size_t i = 0; i < n; i++)
        if (!is_digit(e164[i])) return set(o, DIAG_TN_NOT_NUMBER, 0, "caller ID is not a number");
    if (e164[0] == '0') return set(o, DIAG_TN_INVALID, 1, "no country code starts with 0");
    if (e164[0] == '1') {
        check_nanp(e164, n, o);
        o->neighbor = diag_tn_neighbor(e164, callee);
        return 0;
    }
    if (n < 8) return set(o, DIAG_TN_INVALID, 1, "fewer than 8 digits for an international number");
    if (n > 15) return set(o, DIAG_TN_INVALID, 1, "more than 15 digits (E.164)");
    return 0;
}

void diag_tn_check_caller(const char *e164, const char *raw, const char *callee,
                          diag_tn_check *o) {
    (void)check(e164, raw, callee, o);
}
