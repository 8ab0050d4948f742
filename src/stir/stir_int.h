/* stir_int.h -- helpers shared by the stir module's files (not a public interface). */
#ifndef SX_STIR_INT_H
#define SX_STIR_INT_H

#include "stir.h"

/* A scope in which cJSON allocates from this thread's bump arena (jarena.c). Every cJSON
 * tree made inside must be deleted before the matching end(); scopes nest. */
void stir_jarena_begin(void);
/* Installs the hooks (once per process); every parse calls it first. */
void stir_jarena_install(void);
void stir_jarena_end(void);
/* Blocks this thread's scopes had to take from malloc (too big for what was left): a
 * typical PASSporT takes none (test_stir checks it). */
uint64_t stir_jarena_fallbacks(void);
/* A block of the open scope for a tree built without cJSON's parser (sjson.c), or NULL when
 * no scope is open or the arena is full: never malloc, so such a tree lives in the arena
 * alone. mark/release give back what a builder took before it gave up. */
void *stir_jarena_alloc(size_t n);
size_t stir_jarena_mark(void);
void stir_jarena_release(size_t mark);

/* ---- sixteen bytes per step (SSE2: every x86-64 CPU; byte loops elsewhere) ---- */
#if defined(__SSE2__)
#include <emmintrin.h>
#define STIR_SSE2 1
static inline __m128i stir_load16(const char *p) {
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}
static inline __m128i stir_eq16(__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); }
/* Bit i set when byte i is below c (0 < c < 0x80) or at least 0x80 (signed compare). */
static inline unsigned stir_below16(__m128i x, char c) {
    return (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x, _mm_set1_epi8(c)));
}
#endif

/* sjson.c internals. A number token of a JSON text: where, and whether it is an integer
 * (no fraction, no exponent: RFC 8259 §6). */
typedef struct sj_num {
    size_t off, len;
    int is_int;
} sj_num;

/* Checks text against the strict grammar rules cJSON does not enforce (see sjson.c); 0 or
 * -1. Records up to cap number tokens in text order; *count gets how many there are. */
int stir_json_scan(const char *text, size_t n, sj_num *nums, size_t cap, size_t *count);
/* 1 and *out set if number node `node` of root (parsed from text) was an integer token. */
int stir_json_int(const struct cJSON *root, const char *text, size_t n, const struct cJSON *node,
                  int64_t *out);
/* The fast parse's lexing, shared with the claims shortcut (claims.c): white space; a string
 * without escapes at its opening quote (*out its bytes, returns the byte after the closing
 * quote; NULL for an escape, a control byte, invalid UTF-8 or no end); an integer token of at
 * most 15 digits, exact in a double (NULL otherwise, e.g. a real or a leading zero). */
const uint8_t *stir_json_ws(const uint8_t *p, const uint8_t *e);
const uint8_t *stir_json_plain_str(const uint8_t *p, const uint8_t *e, sx_sv *out);
const uint8_t *stir_json_small_int(const uint8_t *p, const uint8_t *e, uint64_t *mag, int *neg);

/* claims.c: decodes the usual claims object (attest, dest, iat, orig, origid) of text[0..n)
 * into p, as decode.c's general path would; 0 without touching p when the text is anything
 * else (the general path then decides). */
int stir_claims_fast(stir_passport *p, const char *text, size_t n);

/* Writes text re-parsed, compact (see sjson.c), or null if it does not parse. */
void stir_json_dump_text(FILE *out, const char *text, size_t n);
/* Writes s (valid UTF-8) as a JSON string. */
void stir_json_put_str(FILE *out, const char *s, size_t n);

#endif
