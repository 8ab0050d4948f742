/* json.h -- the smallest JSON writer that is correct for arbitrary bytes from the wire.
 * Output is for scripts: keys are stable, strings always valid JSON (control characters as
 * \u00XX, invalid UTF-8 bytes as \u00XX of the byte so nothing is lost silently). */
#ifndef SX_JSON_H
#define SX_JSON_H

#include <stdio.h>

#include "sx.h"

/* Writes v as a quoted JSON string. */
void json_str(FILE *out, sx_sv v);
void json_cstr(FILE *out, const char *s);
/* Optional values: v.p == NULL, or s NULL or "", is written as null. */
void json_str_or_null(FILE *out, sx_sv v);
void json_cstr_or_null(FILE *out, const char *s);
/* Writes ,"key": (comma unless *first; clears *first). */
void json_key(FILE *out, int *first, const char *key);
/* Writes the capture time as RFC 3339 UTC with the given decimals (3 or 6). */
void json_time(FILE *out, sx_time t, int decimals);
/* Formats the capture time into buf (>= 32 bytes): 2026-11-27T09:50:39.123Z */
const char *sx_time_str(sx_time t, int decimals, char *buf);

#endif
