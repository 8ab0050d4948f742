/* jarena.c -- a per-thread bump arena for cJSON while a PASSporT is decoded.
 *
 * Parsing one PASSporT makes a few dozen small cJSON allocations (nodes, keys, strings) that
 * all die before stir_decode() returns; through malloc/free they would cost a good part of
 * the parse. Inside stir_jarena_begin/end the allocations come from this thread's arena and
 * free() of them does nothing; end() drops them all. Outside a scope (the printers, the
 * jCard reader) cJSON uses malloc as before.
 *
 * cJSON's allocator hooks are process-wide, so they are installed once (pthread_once, before
 * any parse: one of cJSON's thread-safety conditions) and decide per call: arena when this
 * thread is inside a scope and the block fits, malloc otherwise; free() tells the two apart
 * by address. Each thread has its own arena (decoding runs on the main thread, jCard
 * decoding on verification workers with -j N), so no lock.
 * Rule for callers: every tree made inside a scope is deleted inside it.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "stir_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define JA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JA_ASAN 1
#endif
#endif
#ifdef JA_ASAN
/* Freed and not-yet-allocated arena bytes are poisoned, so ASan still sees use-after-free
 * and overflows inside the arena. */
#include <sanitizer/asan_interface.h>
#define JA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define JA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define JA_POISON(p, n) ((void)(p), (void)(n))
#define JA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A 6 KiB claims text needs at most ~20 KiB of cJSON blocks; a typical PASSporT ~2 KiB.
 * Larger requests, or more than fits, fall back to malloc. */
#define JA_SIZE (32 * 1024)
#define JA_ALIGN 16 /* what malloc guarantees on x86-64; cJSON stores doubles and pointers */

typedef struct jarena {
    alignas(JA_ALIGN) unsigned char buf[JA_SIZE];
    size_t used;
    int depth; /* nested scopes share one arena; only the outermost end() resets it */
} jarena;

static _Thread_local jarena ja;
static _Thread_local uint64_t ja_fallbacks; /* blocks that went to malloc inside a scope */
static pthread_once_t ja_once = PTHREAD_ONCE_INIT;

static int in_arena(const void *p) {
    const unsigned char *c = p;
    return c >= ja.buf && c < ja.buf + JA_SIZE;
}

/* Under ASan each block carries its size in front, so free() can poison exactly it. */
#ifdef JA_ASAN
#define JA_HDR JA_ALIGN
#else
#define JA_HDR 0
#endif

/* A block of the open scope, or NULL (no scope, or no room left). */
static void *ja_take(size_t n) {
    size_t need = (n + JA_HDR + JA_ALIGN - 1) & ~(size_t)(JA_ALIGN - 1);
    if (ja.depth > 0 && need >= n && need <= JA_SIZE - ja.used) { /* >= n: no wrap-around */
        unsigned char *p = ja.buf + ja.used + JA_HDR;
        ja.used += need;
#ifdef JA_ASAN
        JA_UNPOISON(p - JA_HDR, sizeof n);
        memcpy(p - JA_HDR, &n, sizeof n);
        JA_POISON(p - JA_HDR, sizeof n);
#endif
        JA_UNPOISON(p, n);
        return p;
    }
    return NULL;
}

static void *ja_malloc(size_t n) {
    void *p = ja_take(n);
    if (p) return p;
    ja_fallbacks += ja.depth > 0;
    return malloc(n);
}

void *stir_jarena_alloc(size_t n) { return ja_take(n); }

size_t stir_jarena_mark(void) { return ja.used; }

void stir_jarena_release(size_t mark) {
    if (ja.depth > 0 && mark <= ja.used) {
        JA_POISON(ja.buf + mark, ja.used - mark);
        ja.used = mark;
    }
}

uint64_t stir_jarena_fallbacks(void) { return ja_fallbacks; }

static void ja_free(void *p) {
    if (!in_arena(p)) {
        free(p); /* NULL included */
        return;
    }
#ifdef JA_ASAN
    size_t n;
    unsigned char *c = p;
    JA_UNPOISON(c - JA_HDR, sizeof n);
    memcpy(&n, c - JA_HDR, sizeof n);
    JA_POISON(c - JA_HDR, sizeof n);
    JA_POISON(c, n);
#endif
    /* otherwise nothing: the block is reclaimed when the scope ends */
}

static void install(void) {
    cJSON_Hooks h = {ja_malloc, ja_free};
    cJSON_InitHooks(&h);
}

void stir_jarena_install(void) { pthread_once(&ja_once, install); }

void stir_jarena_begin(void) {
    stir_jarena_install();
    if (ja.depth++ == 0) {
        ja.used = 0;
        JA_POISON(ja.buf, JA_SIZE);
    }
}

void stir_jarena_end(void) {
    if (ja.depth > 0 && --ja.depth == 0) {
        JA_POISON(ja.buf, ja.used);
        ja.used = 0;
    }
}
