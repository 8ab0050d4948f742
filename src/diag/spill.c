/* spill.c -- the diagnosis's facts on disk (diag.h): phase 1 of `sipdx analyze` spills one
 * diag_facts per call to a temporary file and phase 2 reads them back. A fact is ~640 bytes
 * of which most is NUL padding, so it is packed by 8-byte words: ~300 bytes per call. */
#include <string.h>

#include "diag.h"

/* Tokens [L][L literal words][Z]: L 8-byte words copied, then Z zero words, L and Z <= 255.
 * Working on words keeps it at memcpy speed; a string's tail inside a word is kept, which
 * costs little. Never grows the input by more than 2 bytes per 255 words. n must be a
 * multiple of 8 (diag_facts is: see the assertion). */
_Static_assert(sizeof(diag_facts) % 8 == 0, "diag_pack works on 8-byte words");

static int zero_word(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w == 0;
}

size_t diag_pack(const void *in, size_t n, unsigned char *out) {
    const unsigned char *p = in;
    size_t i = 0, o = 0, words = n / 8;
    while (i < words) {
        size_t l = 0, z = 0;
        while (i + l < words && l < 255 && !zero_word(p + 8 * (i + l))) l++;
        out[o++] = (unsigned char)l;
        memcpy(out + o, p + 8 * i, 8 * l);
        o += 8 * l, i += l;
        while (i < words && z < 255 && zero_word(p + 8 * i)) z++, i++;
        out[o++] = (unsigned char)z;
    }
    return o;
}

int diag_unpack(const unsigned char *in, size_t len, void *out, size_t n) {
    unsigned char *q = out;
    size_t ip = 0, op = 0;
    while (ip < len) {
        size_t l = 8 * (size_t)in[ip++];
        if (ip + l + 1 > len || op + l > n) return -1;
        memcpy(q + op, in + ip, l);
        ip += l, op += l;
        size_t z = 8 * (size_t)in[ip++];
        if (op + z > n) return -1;
        memset(q + op, 0, z);
        op += z;
    }
    return op == n ? 0 : -1;
}

