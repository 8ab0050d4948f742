/* sig_tables.c -- the fixed meanings: Q.850 causes, SIP reason phrases, the STIR failures a
 * response implies, verstat values. Tables, no logic worth a comment beyond their sources. */
#include <string.h>

#include "signal.h"

typedef struct code_text { int code; const char *text; } code_text;

static const char *lookup(const code_text *t, size_t n, int code) {
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code) return t[i].text;
    return NULL;
}

/* ITU-T Q.850 (05/1998) Table 1, short forms; the SIP mapping is RFC 3398 §7.2.4.1. */
static const code_text q850[] = {
    {1, "unallocated (unassigned) number"},
    {2, "no route to specified transit network"},
    {3, "no route to destination"},
    {6, "channel unacceptable"},
    {16, "normal call clearing"},
    {17, "user busy"},
    {18, "no user responding"},
    {19, "no answer from user (user alerted)"},
    {20, "subscriber absent"},
    {21, "call rejected"},
    {22, "number changed"},
    {23, "redirection to new destination"},
    {26, "non-selected user clearing"},
    {27, "destination out of order"},
    {28, "invalid number format (address incomplete)"},
    {29, "facility rejected"},
    {31, "normal, unspecified"},
    {34, "no circuit/channel available"},
    {38, "network out of order"},
    {41, "temporary failure"},
    {42, "switching equipment congestion"},
    {43, "access information discarded"},
    {44, "requested circuit/channel not available"},
    {47, "resource unavailable, unspecified"},
    {50, "requested facility not subscribed"},
    {55, "incoming calls barred within CUG"},
    {57, "bearer capability not authorized"},
    {58, "bearer capability not presently available"},
    {63, "service or option not available, unspecified"},
    {65, "bearer capability not implemented"},
    {69, "requested facility not implemented"},
    {70, "only restricted digital information bearer capability available"},
    {79, "service or option not implemented, unspecified"},
    {87, "user not member of CUG"},
    {88, "incompatible destination"},
    {95, "invalid message, unspecified"},
    {102, "recovery on timer expiry"},
    {111, "protocol error, unspecified"},
    {127, "interworking, unspecified"},
};

const char *sig_q850_meaning(int cause) {
    return lookup(q850, sizeof q850 / sizeof *q850, cause);
}

/* RFC 3261 §21, RFC 8224 §6.2.2 (428/436/437/438), RFC 8197 (607), RFC 8688 (608), and the
 * other codes the reference lists. */
static const code_text phrases[] = {
    {200, "OK"},
    {300, "Multiple Choices"}, {301, "Moved Permanently"}, {302, "Moved Temporarily"},
    {400, "Bad Request"}, {401, "Unauthorized"}, {402, "Payment Required"},
    {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
    {406, "Not Acceptable"}, {407, "Proxy Authentication Required"},
    {408, "Request Timeout"}, {410, "Gone"}, {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"}, {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"}, {420, "Bad Extension"}, {421, "Extension Required"},
    {423, "Interval Too Brief"}, {428, "Use Identity Header"}, {433, "Anonymity Disallowed"},
    {436, "Bad Identity Info"}, {437, "Unsupported Credential"},
    {438, "Invalid Identity Header"}, {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"}, {482, "Loop Detected"},
    {483, "Too Many Hops"}, {484, "Address Incomplete"}, {485, "Ambiguous"},
    {486, "Busy Here"}, {487, "Request Terminated"}, {488, "Not Acceptable Here"},
    {491, "Request Pending"}, {493, "Undecipherable"}, {500, "Server Internal Error"},
    {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
    {504, "Server Time-out"}, {505, "Version Not Supported"}, {513, "Message Too Large"},
    {580, "Precondition Failure"}, {600, "Busy Everywhere"}, {603, "Decline"},
    {604, "Does Not Exist Anywhere"}, {606, "Not Acceptable"}, {607, "Unwanted"},
    {608, "Rejected"},
};

const char *sig_sip_phrase(int code) {
    return lookup(phrases, sizeof phrases / sizeof *phrases, code);
}

/* Reference §3.5: what a verifier's response says about the Identity it received. */
static const struct implied_row {
    int code;
    const char *name, *desc;
} implied[] = {
    {428, "identity_missing", "the verifier wants an Identity header (none, or only an "
                              "unsupported ppt: \"Use Supported PASSporT Format\")"},
    {436, "bad_identity_info", "the verifier could not dereference the info/x5u URL "
                               "(certificate hosting, DNS, TLS)"},
    {437, "unsupported_credential", "the certificate was fetched but its CA or algorithm "
                                    "is not trusted (approved STI-CA, chain, expiry)"},
    {438, "invalid_identity", "no valid PASSporT: claims differ from the signalling, the "
                              "header was altered, or the key does not match the certificate"},
    {403, "iat_stale", "\"Stale Date\": iat or Date older than the verifier's freshness "
                       "window (60 s RECOMMENDED, RFC 8224 §6.2 step 4)"},
};

static int has_stale_date(sx_sv s) {
    static const char key[] = "stale date";
    for (size_t i = 0; s.n >= sizeof key - 1 && i + sizeof key - 1 <= s.n; i++)
        if (sx_sv_istarts(sx_sv_make(s.p + i, s.n - i), key)) return 1;
    return 0;
}

int sig_implied_of(int code, sx_sv phrase, sig_implied *out) {
    memset(out, 0, sizeof *out);
    if (code == 403 && !has_stale_date(phrase)) return 0; /* an ordinary policy refusal */
    for (size_t i = 0; i < sizeof implied / sizeof *implied; i++) {
        if (implied[i].code != code) continue;
        out->code = code;
        out->name = implied[i].name;
        out->desc = implied[i].desc;
        return 1;
    }
    return 0;
}

/* 3GPP TS 24.229 §7.2A.20; "-A/-B/-C" suffixes are vendor extensions (reference §3.6). */
const char *sig_verstat_class(sx_sv v) {
    if (sx_sv_istarts(v, "TN-Validation-Passed")) return "passed";
    if (sx_sv_istarts(v, "TN-Validation-Failed")) return "failed";
    if (sx_sv_istarts(v, "No-TN-Validation")) return "no_validation";
    return "other";
}

const char *sig_signature_name(int sig) { return sig < 0 ? "none" : stir_sig_name(sig); }
