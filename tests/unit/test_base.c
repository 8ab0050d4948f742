/* test_base.c -- string views, addresses, the tally identity, huge-page tables. */
#include <stdint.h>

#include "base/huge.h"
#include "base/sx.h"
#include "base/tally.h"
#include "harness.h"

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* A table grown by sx_huge_realloc keeps its bytes and reads zero beyond them, whether it
 * lives in malloc (small) or on 2 MiB-aligned pages (from 1 MiB), and across the two. */
static void test_huge(void) {
    size_t small = 4096, big = (size_t)3 << 20, bigger = (size_t)5 << 20;
    unsigned char *p = sx_huge_calloc(small);
    CHECK(p && all_zero(p, small));
    if (!p) return;
    memset(p, 0xab, small);
    p = sx_huge_realloc(p, small, big);
    CHECK(p != NULL);
    if (!p) return;
    CHECK((uintptr_t)p % ((size_t)2 << 20) == 0);
    CHECK(p[0] == 0xab && p[small - 1] == 0xab && all_zero(p + small, big - small));
    p[big - 1] = 7;
    p = sx_huge_realloc(p, big, bigger);
    CHECK(p && p[0] == 0xab && p[big - 1] == 7 && all_zero(p + big, bigger - big));
    if (!p) return;
    /* shrinking within the same mapping, then growing again: the dropped byte reads zero */
    p[bigger - 1] = 9;
    unsigned char *q = sx_huge_realloc(p, bigger, bigger - 1);
    CHECK(q == p);
    p = sx_huge_realloc(q, bigger - 1, bigger);
    CHECK(p == q && p[bigger - 1] == 0 && p[bigger - 2] == 0 && p[0] == 0xab);
    p = sx_huge_realloc(p, bigger, small); /* back to malloc */
    CHECK(p && p[0] == 0xab && p[small - 1] == 0xab);
    sx_huge_free(p, small);
    sx_huge_free(NULL, big);
}

int main(void) {
    CHECK(sx_sv_ieq(SX_SV_LIT("Call-ID"), "call-id"));
    CHECK(!sx_sv_ieq(SX_SV_LIT("Call-ID"), "call-i"));
    CHECK_SV(sx_sv_trim(SX_SV_LIT(" \t a b\r\n")), "a b");
    uint64_t x = 0;
    CHECK_INT(sx_sv_u64(SX_SV_LIT("65535"), 65535, &x), 0);
    CHECK_INT(x, 65535);
    CHECK_INT(sx_sv_u64(SX_SV_LIT("65536"), 65535, &x), -1);
    CHECK_INT(sx_sv_u64(SX_SV_LIT("99999999999999999999999"), UINT64_MAX, &x), -1);
    CHECK_INT(sx_sv_u64(SX_SV_LIT("-1"), 100, &x), -1);

    sx_addr a = {.family = 6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    char buf[SX_ADDR_STRLEN];
    CHECK_STR(sx_addr_str(&a, buf), "2001:db8::1");

    sx_tally t = {0};
    t.frames = 3;
    t.udp_sip = 2;
    CHECK_INT(tally_check(&t), -1);
    t.not_ip = 1;
    CHECK_INT(tally_check(&t), 0);
    test_huge();
    TH_END();
}
