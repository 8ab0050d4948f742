/* err.c -- names and descriptions of the SIP_E* codes, from the one table in sip.h. */
#include "sip.h"

const char *sip_err_name(int code) {
    switch (code) {
#define SIP_EN(sym, val, name, desc) case val: return name;
        SIP_ERRORS(SIP_EN)
#undef SIP_EN
    default: return code >= 0 ? "ok" : "unknown";
    }
}

const char *sip_err_desc(int code) {
    switch (code) {
#define SIP_ED(sym, val, name, desc) case val: return desc;
        SIP_ERRORS(SIP_ED)
#undef SIP_ED
    default: return code >= 0 ? "no error" : "unknown error";
    }
}
