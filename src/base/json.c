/* json.c -- JSON string escaping and RFC 3339 times. */
#include "json.h"

#include <time.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n) {
    unsigned c = p[0];
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (c >= 0xF5 || len == 0 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return len;
}

void json_str(FILE *out, sx_sv v) {
    const unsigned char *p = (const unsigned char *)v.p;
    putc('"', out);
    for (size_t i = 0; i < v.n;) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') {
            putc('\\', out), putc((int)c, out), i++;
        } else if (c >= 0x20 && c < 0x7F) {
            putc((int)c, out), i++;
        } else if (c == '\n') {
            fputs("\\n", out), i++;
        } else if (c == '\r') {
            fputs("\\r", out), i++;
        } else if (c == '\t') {
            fputs("\\t", out), i++;
        } else if (c >= 0x80) {
            size_t l = utf8_len(p + i, v.n - i);
            if (l) fwrite(p + i, 1, l, out), i += l;
            else fprintf(out, "\\u00%02x", c), i++;
        } else {
            fprintf(out, "\\u00%02x", c), i++;
        }
    }
    putc('"', out);
}

void json_cstr(FILE *out, const char *s) { json_str(out, sx_sv_make(s, strlen(s))); }

void json_str_or_null(FILE *out, sx_sv v) {
    if (v.p) json_str(out, v);
    else fputs("null", out);
}

void json_cstr_or_null(FILE *out, const char *s) {
    if (s && *s) json_cstr(out, s);
    else fputs("null", out);
}

void json_key(FILE *out, int *first, const char *key) {
    if (!*first) putc(',', out);
    *first = 0;
    putc('"', out);
    fputs(key, out);
    fputs("\":", out);
}

const char *sx_time_str(sx_time t, int decimals, char *buf) {
    time_t secs = (time_t)(t / SX_SEC);
    long usec = (long)(t % SX_SEC);
    if (usec < 0) usec += SX_SEC, secs--;
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    if (decimals == 3) snprintf(buf + n, 32 - n, ".%03ldZ", usec / 1000);
    else if (decimals == 6) snprintf(buf + n, 32 - n, ".%06ldZ", usec);
    else snprintf(buf + n, 32 - n, "Z");
    return buf;
}

void json_time(FILE *out, sx_time t, int decimals) {
    char buf[32];
    putc('"', out);
    fputs(sx_time_str(t, decimals, buf), out);
    putc('"', out);
}
