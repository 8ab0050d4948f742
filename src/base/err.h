/* err.h -- error codes for sipdx's own operations (files, options, limits). One table gives
 * each a name and a description, libuv-style. Codes are negative; 0 is success.
 * Malformed *traffic* is never an error here: it is counted in the tally.
 */
#ifndef SX_ERR_H
#define SX_ERR_H

#define SX_ERRORS(X)                                                    \
    X(SX_EIO, -1, "io", "input/output error")                          \
    X(SX_ENOTCAP, -2, "not_capture", "not a pcap or pcapng capture")   \
    X(SX_ETRUNC, -3, "truncated", "capture file is truncated or corrupt") \
    X(SX_ENOMEM, -4, "nomem", "out of memory")                          \
    X(SX_EUSAGE, -5, "usage", "invalid command line")                   \
    X(SX_ELIMIT, -6, "limit", "a configured limit was reached")

enum {
#define SX_ERR_ENUM(sym, val, name, desc) sym = val,
    SX_ERRORS(SX_ERR_ENUM)
#undef SX_ERR_ENUM
};

const char *sx_err_name(int code);
const char *sx_err_desc(int code);

#endif
