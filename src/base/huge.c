/* huge.c -- 2 MiB-aligned blocks advised as transparent huge pages (huge.h). */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "huge.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_MIN ((size_t)1 << 20) /* below it, a huge page would mostly hold nothing */

static int is_huge(size_t n) { return n >= HUGE_MIN; }
static size_t round_up(size_t n) { return (n + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE; }

void *sx_huge_calloc(size_t n) {
    if (!is_huge(n)) return calloc(1, n ? n : 1);
    size_t len = round_up(n);
    if (len < n || len > SIZE_MAX - HUGE_PAGE) return NULL;
    /* map one huge page more and cut the ends, so the block starts on a 2 MiB boundary */
    char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    size_t lead = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
    if (lead) munmap(p, lead);
    munmap(p + lead + len, HUGE_PAGE - lead);
    p += lead;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, len, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
    return p;
}

void sx_huge_free(void *p, size_t n) {
    if (!p) return;
    if (is_huge(n)) munmap(p, round_up(n));
    else free(p);
}

void *sx_huge_realloc(void *p, size_t old, size_t n) {
    if (!p) old = 0;
    if (!is_huge(old) && !is_huge(n)) {
        char *q = realloc(p, n ? n : 1);
        if (q && n > old) memset(q + old, 0, n - old);
        return q;
    }
    if (is_huge(old) && is_huge(n) && round_up(old) == round_up(n)) {
        if (n < old) memset((char *)p + n, 0, old - n); /* what grows again reads zero */
        return p;
    }
    char *q = sx_huge_calloc(n);
    if (!q) return NULL;
    if (p) memcpy(q, p, old < n ? old : n);
    sx_huge_free(p, old);
    return q;
}

#define HEAP_PAD ((size_t)32 << 20)

void sx_huge_heap(void) {
#ifdef MADV_HUGEPAGE
    static char *advised; /* the heap's end when last seen (process-wide, like the heap) */
    char *end = sbrk(0);
    if (end == (char *)-1) return;
    if (!advised) { /* the heap so far is small and already touched: only growth counts */
        (void)mallopt(M_TOP_PAD, (int)HEAP_PAD);
        advised = end;
        return;
    }
    if (end > advised) {
        char *start = (char *)((uintptr_t)advised & ~(uintptr_t)4095);
        (void)madvise(start, (size_t)(end - start), MADV_HUGEPAGE);
    }
    advised = end; /* lower when glibc trimmed the heap */
#endif
}
