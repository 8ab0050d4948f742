/* sip.h -- zero-copy SIP message parser (RFC 3261 §7, §20, §25).
 *
 * sip_parse() makes one bounded pass over a buffer and fills a caller-owned sip_msg with
 * views into that buffer: no allocation, no state, no I/O (the picohttpparser shape).
 * Every sx_sv in a sip_msg points into the buffer given to sip_parse() and lives as long
 * as that buffer does.
 *
 * Header values are kept raw (they may contain folded lines, "CRLF SP"); the typed
 * accessors below treat CR/LF followed by SP/HTAB as linear white space, so folding is
 * handled without copying (RFC 3261 §7.3.1).
 */
#ifndef SX_SIP_H
#define SX_SIP_H

#include "../base/sx.h"

/* Why a message is malformed. Codes are negative; the tally indexes sip_bad[] by -code. */
#define SIP_ERRORS(X)                                                                         \
    X(SIP_EINCOMPLETE, -1, "incomplete", "message ends before its headers or body do")       \
    X(SIP_ESTARTLINE, -2, "start_line", "start line is neither a request nor a status line") \
    X(SIP_EVERSION, -3, "version", "SIP version is not SIP/2.0")                              \
    X(SIP_ESTATUS, -4, "status", "status code is not three digits 100-699")                  \
    X(SIP_EHEADER, -5, "header", "a header line has no name or no colon")                    \
    X(SIP_ETOOMANY, -6, "too_many_headers", "more headers than the parser keeps")             \
    X(SIP_ECLEN, -7, "content_length", "Content-Length is missing, negative or too large")   \
    X(SIP_ECALLID, -8, "call_id", "Call-ID is missing or repeated")                           \
    X(SIP_ECSEQ, -9, "cseq", "CSeq is missing or not 'number method'")                      \
    X(SIP_EMETHOD, -10, "cseq_method", "CSeq method differs from the request method")        \
    X(SIP_EURI, -11, "request_uri", "Request-URI is malformed")                                \
    X(SIP_EBINARY, -12, "binary", "control characters where text is required")               \
    X(SIP_EFROMTO, -13, "from_to", "From or To is missing or malformed")                     \
    X(SIP_EVIA, -14, "via", "Via is missing or malformed")                                    \
    X(SIP_ECONTACT, -15, "contact", "a Contact value is not a name-addr, addr-spec or '*'")   \
    X(SIP_EMAXFWD, -16, "max_forwards", "Max-Forwards is not a number 0-255")                 \
    X(SIP_EDATE, -17, "date", "Date is not an RFC 1123 date in GMT (RFC 3261 §20.17)")

enum {
#define SIP_ERR_ENUM(sym, val, name, desc) sym = val,
    SIP_ERRORS(SIP_ERR_ENUM)
#undef SIP_ERR_ENUM
};
const char *sip_err_name(int code);
const char *sip_err_desc(int code);

/* Header ids: the headers call diagnosis reads. Everything else is SIP_H_OTHER and is still
 * kept (name and value) in the header list. Compact forms map onto these (RFC 3261 §7.3.3,
 * RFC 8224 `y`, RFC 4028 `x`...). */
enum sip_hdr_id {
    SIP_H_OTHER = 0,
    SIP_H_VIA,
    SIP_H_FROM,
    SIP_H_TO,
    SIP_H_CALL_ID,
    SIP_H_CSEQ,
    SIP_H_CONTACT,
    SIP_H_CONTENT_LENGTH,
    SIP_H_CONTENT_TYPE,
    SIP_H_MAX_FORWARDS,
    SIP_H_PAI,            /* P-Asserted-Identity */
    SIP_H_PPI,            /* P-Preferred-Identity */
    SIP_H_REASON,
    SIP_H_WARNING,
    SIP_H_RETRY_AFTER,
    SIP_H_CALL_INFO,
    SIP_H_IDENTITY,
    SIP_H_SERVER,
    SIP_H_USER_AGENT,
    SIP_H_RECORD_ROUTE,
    SIP_H_ROUTE,
    SIP_H_SESSION_ID,
    SIP_H_X_CID,
    SIP_H_P_CHARGING_VECTOR,
    SIP_H_DATE,
    SIP_H_SESSION_EXPIRES,
    SIP_H_SUPPORTED,
    SIP_H_REQUIRE,
    SIP_H_FEATURE_CAPS,
    SIP_H_PRIVACY,
    SIP_H_DIVERSION,
    SIP_H_HISTORY_INFO,
    SIP_H_CONTENT_ENCODING,
    SIP_H_ACCEPT_CONTACT,
    SIP_H_REFERRED_BY,
    SIP_H_REQUEST_DISPOSITION,
    SIP_H_REJECT_CONTACT,
    SIP_H_EVENT,
    SIP_H_REFER_TO,
    SIP_H_SUBJECT,
    SIP_H_ALLOW_EVENTS,
    SIP_H__COUNT
};
/* Canonical long name of a header id ("Call-ID"), for output. */
const char *sip_hdr_name(int id);

typedef struct sip_hdr {
    uint8_t id;   /* enum sip_hdr_id */
    sx_sv name;   /* as written (may be compact, any case) */
    sx_sv value;  /* raw value after the colon, trimmed; may span folded lines */
} sip_hdr;

#define SIP_MAX_HDRS 96

/* Methods the call tracker switches on; anything else is SIP_M_OTHER (see method text). */
enum sip_method {
    SIP_M_OTHER = 0, SIP_M_INVITE, SIP_M_ACK, SIP_M_BYE, SIP_M_CANCEL, SIP_M_OPTIONS,
    SIP_M_REGISTER, SIP_M_PRACK, SIP_M_UPDATE, SIP_M_INFO, SIP_M_SUBSCRIBE, SIP_M_NOTIFY,
    SIP_M_REFER, SIP_M_MESSAGE, SIP_M_PUBLISH
};
int sip_method_id(sx_sv method);
/* Header id of a header name, long or compact form, any case (SIP_H_OTHER if unknown). */
int sip_hdr_lookup(const char *name, size_t n);

/* name-addr / addr-spec with header params: From, To, Contact, PAI, Record-Route... */
typedef struct sip_naddr {
    sx_sv display;  /* without quotes; may contain escaped quotes */
    sx_sv uri;      /* the URI text (inside <> if present) */
    sx_sv params;   /* header parameters after the URI, without leading ';' */
    sx_sv tag;      /* tag parameter (From/To) */
} sip_naddr;

typedef struct sip_via {
    sx_sv proto;      /* "SIP/2.0" as written (spans any LWS around the '/') */
    sx_sv transport;  /* "UDP", "TCP", ... */
    sx_sv host;       /* sent-by host (no brackets) */
    int port;         /* 0 when absent */
    sx_sv branch, received, rport; /* rport may be present and empty */
    int has_rport;
    sx_sv params;
    sx_sv version;    /* "2.0" */
} sip_via;

/* Hints sip_parse_hinted() gives while it works, so that a consumer can start fetching its
 * own state for the message from memory early: the call stage's state for a message is two
 * dependent cache misses (a table slot, then the call), and the rest of the parse is long
 * enough to hide them (ct_prefetch, ct_prefetch_call). Each callback sees the message as
 * parsed so far and must not assume it will turn out well-formed. Either may be NULL. */
struct sip_msg;
typedef struct sip_hint {
    /* The first Call-ID header was read: start line and call_id are set. */
    void (*call_id)(void *ud, const struct sip_msg *m);
    /* The header block was read, before the checks of From, To, Via, Contact... */
    void (*headers)(void *ud, const struct sip_msg *m);
    void *ud;
} sip_hint;

typedef struct sip_msg {
    int is_request;
    /* request line */
    sx_sv method;       /* "INVITE" */
    uint8_t method_id;  /* enum sip_method */
    sx_sv ruri;         /* Request-URI text */
    /* status line */
    int status;         /* 100..699, 0 for requests */
    sx_sv reason;       /* reason phrase, may be empty */
    sx_sv start_line;   /* the whole first line without CRLF */

    sip_hdr hdrs[SIP_MAX_HDRS];
    uint16_t nhdrs;
    int16_t first[SIP_H__COUNT]; /* index in hdrs of the first header of each id, or -1 */

    /* Pre-extracted because every consumer needs them. */
    sx_sv call_id;
    uint32_t cseq;
    sx_sv cseq_method;
    uint8_t cseq_method_id;
    int64_t content_length; /* -1 when absent */

    sx_sv body;          /* exactly Content-Length bytes (or the rest of the datagram) */
    size_t len;          /* bytes from the start line to the end of the body */
    unsigned warn;       /* SIP_W_* bits: tolerated oddities, not errors */

    /* What validation parsed anyway (sip_parse succeeded: has_addr = 1), kept so that
     * consumers need not parse it again: sip_parse_naddr() of the first From and To, and
     * sip_parse_via() of the first Via value. */
    int has_addr;
    sip_naddr from, to;
    sip_via via;

    const sip_hint *hint; /* sip_parse_hinted()'s, for the duration of the call */
} sip_msg;

/* Tolerated oddities worth reporting but not rejecting. */
enum {
    SIP_W_NO_CLEN = 1u << 0,      /* no Content-Length (legal on UDP) */
    SIP_W_TRAILING = 1u << 1,     /* bytes after the body in a datagram (RFC 4475 §3.1.1.8) */
    SIP_W_FOLDED = 1u << 2,       /* some header was folded */
    SIP_W_MULTI_CLEN = 1u << 3,   /* several Content-Length values (RFC 4475 §3.3.9) */
    SIP_W_MULTI_CALLID = 1u << 4, /* several Call-ID values (RFC 4475 §3.3.8) */
    SIP_W_BARE_LF = 1u << 5,      /* lines end in LF without CR */
    SIP_W_NO_EOH = 1u << 6,       /* datagram ended after a header line, without the blank
                                     line that ends the headers (read as an empty body) */
};

/* Flags for sip_parse(). */
enum {
    SIP_P_STREAM = 1u << 0, /* from a stream transport: Content-Length is mandatory and the
                               message ends exactly at its body (RFC 3261 §18.3) */
};

/* Parses one message at buf. Returns the bytes consumed (> 0) on success; SIP_EINCOMPLETE
 * if the buffer ends before the message does (stream transports: read more); another
 * negative SIP_E* code if the message is malformed. On a datagram (no SIP_P_STREAM) the body
 * runs to Content-Length, or to the end of the datagram if there is no Content-Length. */
/* After a success, consumers may rely on: a start line with single SPs and SIP/2.0 (a status
 * 100-699; a Request-URI with a scheme, no LWS, no '<', no ?headers in sip/sips); a non-empty
 * Call-ID (the first one if repeated); a CSeq "number method" with number < 2**31 whose
 * method equals the request's (byte for byte, ACK/CANCEL included); From and To present and
 * parseable by sip_parse_naddr(); a first Via value parseable by sip_parse_via(); every
 * Contact value parseable (or '*'); Max-Forwards 0-255 if present; Date ending in "GMT" if
 * present. CRLFs before the start line are skipped (RFC 3261 §7.5) and counted as consumed.
 * Header values are not otherwise checked (NUL inside a quoted-pair is legal). */
int sip_parse(const char *buf, size_t len, unsigned flags, sip_msg *m);
/* sip_parse() that also gives the Call-ID to hint (which may be NULL) as soon as it is read. */
int sip_parse_hinted(const char *buf, size_t len, unsigned flags, sip_msg *m,
                     const sip_hint *hint);

/* Framing for stream transports, without a full parse: returns the total length of the
 * message starting at buf (headers + Content-Length body), 0 if more bytes are needed, or -1
 * if buf does not start with a plausible SIP start line. CRLF keep-alives before the start
 * line (RFC 5626 §3.5.1) are skipped and counted in the length, as sip_parse() does; only
 * CRLFs so far: 0. Bounded: looks at most max_hdr bytes past them for the end of the
 * headers. */
long sip_frame_len(const char *buf, size_t len, size_t max_hdr);

/* Cheap content check: does buf begin like a SIP request or status line? Used to recognise
 * SIP on any port and to resynchronise a TCP stream after a gap. */
int sip_looks_like_start(const char *buf, size_t len);

/* ---- Header access ---- */

/* Iterates headers of one id, in order: start with *idx = -1; returns 0 when done. */
int sip_next_hdr(const sip_msg *m, int id, int *idx, sx_sv *value);
/* Iterates the comma-separated values of all headers of one id (repeated headers are one
 * list, RFC 3261 §7.3.1); commas inside quotes or <> do not split. Start with it = {0}. */
typedef struct sip_vit { int hdr; size_t off; int started; } sip_vit;
int sip_next_value(const sip_msg *m, int id, sip_vit *it, sx_sv *value);
/* First header of a given id (SX_SV_NULL if none), and by arbitrary name. */
sx_sv sip_hdr_first(const sip_msg *m, int id);
sx_sv sip_hdr_by_name(const sip_msg *m, const char *name);

/* ---- Typed values (all zero-copy; they return 0 on success, -1 if malformed) ---- */

typedef struct sip_uri {
    sx_sv scheme;   /* "sip", "sips", "tel", or other */
    sx_sv user;     /* user part, or the tel number */
    sx_sv password;
    sx_sv host;     /* without brackets for IPv6 */
    int port;       /* 0 when absent */
    sx_sv params;   /* ";a=b;c" as written, without the leading ';' */
    sx_sv headers;  /* after '?' (p is NULL when there is no '?') */
    sx_sv rest;     /* everything after "scheme:" (the opaque part of other schemes) */
} sip_uri;
int sip_parse_uri(sx_sv text, sip_uri *u);
/* Finds a ;name[=value] parameter in a params list (case-insensitive name). Returns 1 if
 * present (value may be empty), 0 if absent. Also used for header parameters. LWS around
 * ';' and '=' is allowed; a leading ';' is tolerated. A quoted value is returned without its
 * quotes (escapes kept raw), a <URI> value (Identity info=) without its brackets. The walk
 * stops at the first malformed parameter: later ones are then absent. */
int sip_param(sx_sv params, const char *name, sx_sv *value);

int sip_parse_naddr(sx_sv value, sip_naddr *na);

int sip_parse_via(sx_sv value, sip_via *v);

typedef struct sip_reason {
    sx_sv protocol;   /* "Q.850", "SIP", "STIR" ... */
    int cause;        /* -1 when absent */
    sx_sv text;       /* without quotes */
    sx_sv location;   /* RFC 8606 location param, if any */
    sx_sv params;
} sip_reason;
int sip_parse_reason(sx_sv value, sip_reason *r);

typedef struct sip_callinfo { sx_sv uri; sx_sv purpose; sx_sv params; } sip_callinfo;
int sip_parse_callinfo(sx_sv value, sip_callinfo *ci);

typedef struct sip_warning { int code; sx_sv agent; sx_sv text; } sip_warning;
int sip_parse_warning(sx_sv value, sip_warning *w);

/* Retry-After: seconds (and optional duration param). */
int sip_parse_retry_after(sx_sv value, uint32_t *seconds);

/* Canonical E.164 digits of a phone number found in a URI user part or tel: number.
 * Exact rules, in order:
 *  1. ";params" are dropped (everything from the first ';').
 *  2. One leading '+' is dropped and remembered.
 *  3. Visual separators '-', '.', '(', ')' are dropped (RFC 3966 §5.1.1).
 *  4. Any other non-digit (letters, '*', '#', '%', a second '+') => not a phone number: 0.
 *  5. No digits, or more than 15 digits (ITU-T E.164 maximum) => 0.
 *  6. Without '+', exactly 10 digits whose first is 2-9 (a NANP national number) gets the
 *     country code 1 prepended. Nothing else is added or stripped (no trunk-prefix guessing).
 * Writes the digits + NUL into out[16]; returns the number of digits, or 0. */
size_t sip_e164(sx_sv user, char out[16]);

#endif
