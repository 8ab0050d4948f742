/* frame.c -- cheap recognition and stream framing of SIP messages, without a full parse.
 * The transport stage calls these on every UDP payload and at every TCP message boundary,
 * so they look at as few bytes as they can. */
#include "sip.h"

#include <ctype.h>

/* RFC 3261 §25.1 token characters. */
static int is_token(unsigned char c) {
    return isalnum(c) || c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' ||
           c == '+' || c == '`' || c == '\'' || c == '~';
}

int sip_looks_like_start(const char *buf, size_t len) {
    /* Status line: "SIP/2.0 NNN" */
    if (len >= 12 && memcmp(buf, "SIP/2.0 ", 8) == 0)
        return isdigit((unsigned char)buf[8]) && isdigit((unsigned char)buf[9]) &&
               isdigit((unsigned char)buf[10]);
    /* Request line: "TOKEN SP ... SP SIP/2.0\r\n", all within the first line. */
    size_t i = 0, lim = len < 4096 ? len : 4096;
    while (i < lim && is_token((unsigned char)buf[i])) i++;
    if (i == 0 || i >= lim || buf[i] != ' ') return 0;
    size_t eol = i;
    while (eol < lim && buf[eol] != '\n') eol++;
    if (eol >= lim) return 0;
    size_t end = eol;
    if (end > 0 && buf[end - 1] == '\r') end--;
    return end >= i + 9 && memcmp(buf + end - 8, " SIP/2.0", 8) == 0;
}

/* Finds the blank line ending the headers; returns the offset just past it, or 0. */
static size_t headers_end(const char *buf, size_t len) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n') continue;
        if (buf[i + 1] == '\n') return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') return i + 3;
    }
    return 0;
}

/* Content-Length of a header block (long or compact "l" form); -1 if absent or bad. */
static long header_clen(const char *buf, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t eol = i;
        while (eol < n && buf[eol] != '\n') eol++;
        sx_sv line = sx_sv_make(buf + i, eol - i);
        const char *colon = memchr(line.p, ':', line.n);
        if (colon && line.n && line.p[0] != ' ' && line.p[0] != '\t') {
            sx_sv name = sx_sv_trim(sx_sv_make(line.p, (size_t)(colon - line.p)));
            if (sx_sv_ieq(name, "content-length") || sx_sv_ieq(name, "l")) {
                sx_sv v = sx_sv_trim(sx_sv_make(colon + 1, (size_t)(line.p + line.n - colon - 1)));
                uint64_t x;
                if (sx_sv_u64(v, 1u << 30, &x) != 0) return -1;
                return (long)x;
            }
        }
        i = eol + 1;
    }
    return -1;
}

long sip_frame_len(const char *buf, size_t len, size_t max_hdr) {
    if (!sip_looks_like_start(buf, len)) {
        /* Not enough bytes to decide yet? A partial first line could still be SIP. */
        if (len < 4096 && !memchr(buf, '\n', len)) return 0;
        return -1;
    }
    size_t lim = len < max_hdr ? len : max_hdr;
    size_t hend = headers_end(buf, lim);
    if (hend == 0) return len >= max_hdr ? -1 : 0;
    long clen = header_clen(buf, hend);
    if (clen < 0) clen = 0; /* RFC 3261 §18.3 makes it mandatory; absent is read as 0 */
    if ((size_t)clen > len - hend) return 0;
    return (long)(hend + (size_t)clen);
}
