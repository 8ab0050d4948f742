/* harness.h -- a small test helper (after redis's testhelp.h).
 *
 * Each test binary calls CHECK* as often as it likes and ends with TH_END(), which prints
 * "N passed, N failed" (scripts/run-tests.sh sums those lines) and returns non-zero on any
 * failure. A test that needs ../shared and does not find it calls TH_SKIP() with a reason:
 * skipping is said, never silent.
 */
#ifndef SX_HARNESS_H
#define SX_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int th_passed, th_failed, th_skipped;

#define CHECK(cond) CHECK_MSG(cond, "%s", #cond)
#define CHECK_MSG(cond, ...)                                              \
    do {                                                                  \
        if (cond) th_passed++;                                            \
        else {                                                            \
            th_failed++;                                                  \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)
#define CHECK_INT(got, want)                                                         \
    do {                                                                             \
        long long th_g = (long long)(got), th_w = (long long)(want);                 \
        CHECK_MSG(th_g == th_w, "%s == %lld, want %lld", #got, th_g, th_w);          \
    } while (0)
/* Compares a string view with a C string. */
#define CHECK_SV(sv, want)                                                                  \
    do {                                                                                    \
        sx_sv th_v = (sv);                                                                  \
        const char *th_s = (want);                                                          \
        CHECK_MSG(th_v.n == strlen(th_s) && (th_v.n == 0 || memcmp(th_v.p, th_s, th_v.n) == 0), \
                  "%s == \"%.*s\", want \"%s\"", #sv, (int)th_v.n, th_v.p ? th_v.p : "", th_s); \
    } while (0)
#define CHECK_STR(got, want)                                                           \
    do {                                                                               \
        const char *th_g = (got), *th_w = (want);                                      \
        CHECK_MSG(th_g && strcmp(th_g, th_w) == 0, "%s == \"%s\", want \"%s\"", #got,  \
                  th_g ? th_g : "(null)", th_w);                                       \
    } while (0)

#define TH_SKIP(...)                                  \
    do {                                              \
        th_skipped++;                                 \
        printf("SKIP: ");                             \
        printf(__VA_ARGS__);                          \
        putchar('\n');                                \
    } while (0)

/* The shared corpus lives beside the checkout; people who clone elsewhere do not have it. */
static inline const char *th_shared(void) {
    const char *env = getenv("SIPDX_SHARED");
    const char *dir = env ? env : "../shared";
    struct stat st;
    return stat(dir, &st) == 0 ? dir : NULL;
}

#define TH_END()                                                                             \
    do {                                                                                     \
        printf("%d passed, %d failed, %d skipped\n", th_passed, th_failed, th_skipped);     \
        return th_failed ? 1 : 0;                                                            \
    } while (0)

#endif
