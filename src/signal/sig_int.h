/* sig_int.h -- helpers shared by the signal module's files (not a public interface). */
#ifndef SX_SIG_INT_H
#define SX_SIG_INT_H

#include "signal.h"

/* Copies v into dst[cap] NUL-terminated, cut at bufcap - 1 bytes. */
void sig_copy(char *dst, size_t bufcap, sx_sv v);
/* The JWS text a jwscard URI carries: a view into uri, or the base64-decoded body of a
 * data: URI written into buf. Sets *source ("data", "path", "link"). Returns 0 when a JWS
 * was found, -1 otherwise (source "link"). */
int sig_jcard_jws(sx_sv uri, char *buf, size_t bufcap, sx_sv *jws, const char **source);
/* Decodes jws into j (header fields, iat, jCard fields) using scratch. */
void sig_jcard_decode(sx_sv jws, sig_jcard *j, stir_passport *scratch);
/* The response side of a record: reasons, stir_reason, blocked, jcard (decode only),
 * implied, verstat. jws receives the jCard JWS (view or into buf) for verification. */
void sig_response(const call_record *r, sig_result *o, char *buf, size_t bufcap, sx_sv *jws);

#endif
