/* b64.c -- base64url (RFC 4648 §5) and the JWS ES256 signature's r||s -> DER conversion.
 *
 * PASSporT segments are base64url without padding (RFC 7515 §2, RFC 8225 §6). Real signers
 * also emit padding and the standard alphabet (Asterisk 2020); the decoder accepts both and
 * tells the caller, so the deviation becomes a finding instead of a rejection.
 */
#include "stir.h"

/* 0..63 for a base64 or base64url digit, 64 + value for the standard-only '+' '/', -1 else. */
static int b64_digit(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    if (c == '+') return 64 + 62;
    if (c == '/') return 64 + 63;
    return -1;
}

/* The digit value of a byte, 0x40 added for the standard-only '+' '/', 0x80 for a non-digit;
 * tables are built from it at compile time so the hot loop has no per-character branch. */
#define B64_ROW(c) \
    ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 \
     : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : (c) == '-' ? 62 : (c) == '_' ? 63   \
     : (c) == '+' ? 0x40 + 62 : (c) == '/' ? 0x40 + 63 : 0x80)
/* Per position in a group of 4 digits: the digit's 6 bits already shifted into place, and
 * its flags in the top byte, so a group decodes with 4 lookups and 3 ORs. */
#define B64_SH(c, sh) ((uint32_t)(B64_ROW(c) & 63) << (sh) | (uint32_t)(B64_ROW(c) & 0xC0) << 24)
#define B64_R4(c, sh) B64_SH(c, sh), B64_SH((c) + 1, sh), B64_SH((c) + 2, sh), B64_SH((c) + 3, sh)
#define B64_R16(c, sh) B64_R4(c, sh), B64_R4((c) + 4, sh), B64_R4((c) + 8, sh), B64_R4((c) + 12, sh)
#define B64_R64(c, sh) \
    B64_R16(c, sh), B64_R16((c) + 16, sh), B64_R16((c) + 32, sh), B64_R16((c) + 48, sh)
#define B64_TAB(sh) {B64_R64(0, sh), B64_R64(64, sh), B64_R64(128, sh), B64_R64(192, sh)}
static const uint32_t b64_t18[256] = B64_TAB(18), b64_t12[256] = B64_TAB(12),
                      b64_t6[256] = B64_TAB(6), b64_t0[256] = B64_TAB(0);
#define B64_PLUS (0x40u << 24)  /* '+' or '/' seen */
#define B64_BAD (0x80u << 24)   /* not a digit */

/* Digit by digit; also the reference for what the table-driven loop must reproduce
 * (including the partial output and *nonstd when an invalid digit stops it). */
static long b64_slow(const char *in, size_t n, uint8_t *out, int *nonstd) {
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64_digit((unsigned char)in[i]);
        if (d < 0) return -1;
        if (d >= 64) {
            d -= 64;
            if (nonstd) *nonstd = 1;
        }
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return (long)o;
}

long stir_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, int *nonstd) {
    size_t pad = 0;
    while (n > 0 && in[n - 1] == '=' && pad < 2) { n--; pad++; }
    if (pad && nonstd) *nonstd = 1;
    if (n % 4 == 1) return -1; /* 6 bits cannot end a byte */
    if (pad && (n + pad) % 4 != 0) return -1; /* padding that pads nothing */
    size_t outlen = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (outlen > cap) return -1;
    /* 4 digits -> 3 bytes per step; flags collects B64_PLUS and B64_BAD. */
    const unsigned char *u = (const unsigned char *)in;
    uint32_t flags = 0;
    size_t i = 0, o = 0;
    /* 8 digits -> 6 bytes, written as one 8-byte big-endian store whose last 2 bytes the
     * next step overwrites: while 4 more digits follow, those 2 bytes are inside outlen */
    for (; i + 12 <= n; i += 8, o += 6) {
        uint32_t a = b64_t18[u[i]] | b64_t12[u[i + 1]] | b64_t6[u[i + 2]] | b64_t0[u[i + 3]];
        uint32_t b = b64_t18[u[i + 4]] | b64_t12[u[i + 5]] | b64_t6[u[i + 6]] | b64_t0[u[i + 7]];
        flags |= a | b;
        uint64_t w = (uint64_t)(a & 0xffffff) << 40 | (uint64_t)(b & 0xffffff) << 16;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        memcpy(out + o, &w, 8);
    }
    for (; i + 4 <= n; i += 4, o += 3) {
        uint32_t v = b64_t18[u[i]] | b64_t12[u[i + 1]] | b64_t6[u[i + 2]] | b64_t0[u[i + 3]];
        flags |= v;
        out[o] = (uint8_t)(v >> 16);
        out[o + 1] = (uint8_t)(v >> 8);
        out[o + 2] = (uint8_t)v;
    }
    if (n - i >= 2) { /* 2 or 3 digits left: 1 or 2 bytes; spare low bits are ignored */
        uint32_t v = b64_t18[u[i]] | b64_t12[u[i + 1]] | (n - i == 3 ? b64_t6[u[i + 2]] : 0);
        flags |= v;
        out[o++] = (uint8_t)(v >> 16);
        if (n - i == 3) out[o++] = (uint8_t)(v >> 8);
    }
    if (flags & B64_BAD) return b64_slow(in, n, out, nonstd); /* rare: reproduce its effects */
    if ((flags & B64_PLUS) && nonstd) *nonstd = 1;
    return (long)o;
}

size_t stir_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    if (cap == 0) return 0;
    if (need + 1 > cap) { out[0] = '\0'; return 0; }
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        out[o++] = tab[in[i] >> 2];
        out[o++] = tab[(in[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[o++] = tab[v >> 10];
        out[o++] = tab[(v >> 4) & 63];
        out[o++] = tab[(v & 15) << 2];
    }
    out[o] = '\0';
    return o;
}

/* Writes one DER INTEGER for a 32-byte big-endian unsigned value: leading zero bytes go,
 * and a 0x00 is prepended when the top bit is set so the value stays positive (X.690 §8.3). */
static size_t der_uint(const uint8_t v[32], uint8_t *out) {
    size_t skip = 0;
    while (skip < 31 && v[skip] == 0) skip++;
    size_t len = 32 - skip;
    int pad = (v[skip] & 0x80) != 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(len + (size_t)pad);
    size_t o = 2;
    if (pad) out[o++] = 0;
    memcpy(out + o, v + skip, len);
    return o + len;
}

/* RFC 7518 §3.4: the JWS carries r and s as fixed 32-byte halves; OpenSSL verifies the DER
 * ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }). Done by hand because it is on the
 * verification path and needs no allocation; the tests cross-check it with i2d_ECDSA_SIG. */
int stir_rs_to_der(const uint8_t rs[64], uint8_t *der, size_t cap) {
    uint8_t body[70];
    size_t n = der_uint(rs, body);
    n += der_uint(rs + 32, body + n);
    if (n + 2 > cap) return -1;
    der[0] = 0x30;
    der[1] = (uint8_t)n; /* <= 70: short-form length */
    memcpy(der + 2, body, n);
    return (int)(n + 2);
}
