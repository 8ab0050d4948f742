/* sx.h -- the few types every stage shares.
 *
 * Ownership rule, written once: an sx_sv never owns its bytes. It points into a buffer that
 * belongs to whoever handed it to you (the capture's packet buffer, a reassembly buffer, a
 * TCP stream buffer) and is valid only until your callback returns. Copy what must outlive it.
 */
#ifndef SX_H
#define SX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A string view: pointer + length into someone else's buffer. Never NUL-terminated. */
typedef struct sx_sv {
    const char *p;
    size_t n;
} sx_sv;

#define SX_SV_NULL ((sx_sv){NULL, 0})
#define SX_SV_LIT(s) ((sx_sv){(s), sizeof(s) - 1})
/* printf("%.*s", SX_SV_FMT(v)) */
#define SX_SV_FMT(v) (int)(v).n, (v).p

static inline sx_sv sx_sv_make(const char *p, size_t n) { return (sx_sv){p, n}; }
static inline int sx_sv_empty(sx_sv v) { return v.n == 0; }
int sx_sv_eq(sx_sv a, const char *lit);          /* exact, case-sensitive */
int sx_sv_ieq(sx_sv a, const char *lit);         /* ASCII case-insensitive */
int sx_sv_ieq_sv(sx_sv a, sx_sv b);
int sx_sv_istarts(sx_sv a, const char *lit);
sx_sv sx_sv_trim(sx_sv v);                       /* strips SP, HTAB, CR, LF at both ends */
/* Parses an unsigned decimal; returns 0 on success, -1 if empty, non-digit or > max. */
int sx_sv_u64(sx_sv v, uint64_t max, uint64_t *out);

/* A network address in binary; formatted only when reporting. */
typedef struct sx_addr {
    uint8_t family; /* 4 or 6; 0 = unset */
    uint8_t a[16];  /* IPv4 uses the first 4 bytes */
} sx_addr;

#define SX_ADDR_STRLEN 46
/* Writes the textual form ("192.0.2.1", "2001:db8::1") into out (>= SX_ADDR_STRLEN). */
const char *sx_addr_str(const sx_addr *a, char *out);
int sx_addr_eq(const sx_addr *x, const sx_addr *y);
#define SX_ENDPOINT_STRLEN 56
/* "192.0.2.1:5060" or "[2001:db8::1]:5060" into out (>= SX_ENDPOINT_STRLEN). */
const char *sx_endpoint_str(const sx_addr *a, uint16_t port, char *out);

/* Capture time in microseconds since the Unix epoch. */
typedef int64_t sx_time;
#define SX_USEC 1
#define SX_MSEC 1000
#define SX_SEC 1000000

/* Transport a SIP message travelled on. */
enum sx_transport { SX_T_UNKNOWN = 0, SX_T_UDP, SX_T_TCP, SX_T_SCTP, SX_T_TLS };
const char *sx_transport_name(int t);

/* Command-line helper shared by every command: the value of "--name VALUE" or
 * "--name=VALUE" at argv[*i] (advancing *i past it), or NULL if argv[*i] is not that option;
 * sets *missing when the value is absent. */
const char *sx_optval(int argc, char **argv, int *i, const char *name, int *missing);

#endif
