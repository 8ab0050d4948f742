/* test_base.c -- string views, addresses, the tally identity. */
#include "base/sx.h"
#include "base/tally.h"
#include "harness.h"

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
    TH_END();
}
