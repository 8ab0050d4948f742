/* frame.c -- cheap recognition and stream framing of SIP messages, without a full parse.
 * The transport stage calls these on every UDP payload and at every TCP message boundary
 * (and again on a partial message each time a segment arrives), so they look at as few bytes
 * as they can: lines are found sixteen bytes at a time (sip_find_lf), and only a line that
 * can be Content-Length is looked into. */
#include "sip_int.h"

int sip_looks_like_start(const char *buf, size_t len) {
    /* Status line: "SIP/2.0 NNN" */
    if (len >= 12 && memcmp(buf, "SIP/2.0 ", 8) == 0)
        return sip_is(buf[8], SIP_CC_DIGIT) && sip_is(buf[9], SIP_CC_DIGIT) &&
               sip_is(buf[10], SIP_CC_DIGIT);
    /* Request line: "TOKEN SP ... SP SIP/2.0\r\n", all within the first line. */
    size_t i = 0, lim = len < 4096 ? len : 4096;
    while (i < lim && sip_is(buf[i], SIP_CC_TOKEN)) i++;
    if (i == 0 || i >= lim || buf[i] != ' ') return 0;
    const char *nl = memchr(buf + i, '\n', lim - i);
    if (!nl) return 0;
    size_t end = (size_t)(nl - buf);
    if (buf[end - 1] == '\r') end--; /* end > i: buf[i] is the SP */
    return end >= i + 9 && memcmp(buf + end - 8, " SIP/2.0", 8) == 0;
}

/* The first Content-Length of a header line (long or compact "l" form, any case, SP/HTAB
 * before the colon), or -2 if the line is another header. -1 if its value is not a number
 * up to 2**30. */
static long line_clen(const char *p, size_t n) {
    /* Cheap filter first: the name starts the line (a CR is trimmed, as sx_sv_trim does). */
    int c = (unsigned char)p[0] | 0x20;
    if (c != 'c' && c != 'l' && p[0] != '\r') return -2;
    const char *colon = memchr(p, ':', n);
    if (!colon) return -2;
    sx_sv name = sx_sv_trim(sx_sv_make(p, (size_t)(colon - p)));
    if (!sx_sv_ieq(name, "content-length") && !sx_sv_ieq(name, "l")) return -2;
    sx_sv v = sx_sv_trim(sx_sv_make(colon + 1, (size_t)(p + n - colon - 1)));
    uint64_t x;
    return sip_dec(v.p, v.n, 1u << 30, &x) == 0 ? (long)x : -1;
}

/* One pass over the lines of buf[0..len): returns the offset just past the blank line that
 * ends the headers (LF LF or LF CR LF), or 0 if it is not there yet; *clen gets the first
 * Content-Length (-1 if absent or bad). */
static size_t scan_headers(const char *buf, size_t len, long *clen) {
    const char *p = buf, *e = buf + len;
    *clen = -2;
    for (;;) {
        const char *nl = sip_find_lf(p, e, buf);
        if (!nl) return 0;
        /* Folded lines start with SP/HTAB and are never a header name (RFC 3261 §7.3.1). */
        if (*clen == -2 && nl > p && *p != ' ' && *p != '\t')
            *clen = line_clen(p, (size_t)(nl - p));
        p = nl + 1;
        if (p < e && *p == '\n') return (size_t)(p + 1 - buf);
        if (e - p >= 2 && p[0] == '\r' && p[1] == '\n') return (size_t)(p + 2 - buf);
    }
}

long sip_frame_len(const char *buf, size_t len, size_t max_hdr) {
    /* CRLFs before a message are keep-alives (RFC 5626 §3.5.1) or the end of the previous
     * one (RFC 3261 §7.5): skipped and counted in the length, as sip_parse() does. */
    size_t k = 0;
    while (k < len && (buf[k] == '\r' || buf[k] == '\n')) k++;
    if (k == len) return 0;
    const char *msg = buf + k;
    size_t n = len - k;
    if (!sip_looks_like_start(msg, n)) {
        /* Not enough bytes to decide yet? A partial first line could still be SIP. */
        if (n < 4096 && !memchr(msg, '\n', n)) return 0;
        return -1;
    }
    long clen;
    size_t hend = scan_headers(msg, n < max_hdr ? n : max_hdr, &clen);
    if (hend == 0) return n >= max_hdr ? -1 : 0;
    if (clen < 0) clen = 0; /* RFC 3261 §18.3 makes it mandatory; absent is read as 0 */
    if ((size_t)clen > n - hend) return 0;
    return (long)(k + hend + (size_t)clen);
}
