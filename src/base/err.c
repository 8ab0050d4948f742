#include "err.h"

const char *sx_err_name(int code) {
    switch (code) {
#define SX_ERR_NAME(sym, val, name, desc) case val: return name;
        SX_ERRORS(SX_ERR_NAME)
#undef SX_ERR_NAME
    default: return code == 0 ? "ok" : "unknown";
    }
}

const char *sx_err_desc(int code) {
    switch (code) {
#define SX_ERR_DESC(sym, val, name, desc) case val: return desc;
        SX_ERRORS(SX_ERR_DESC)
#undef SX_ERR_DESC
    default: return code == 0 ? "success" : "unknown error";
    }
}
