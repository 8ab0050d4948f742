/* fuzz_identity.c -- stir_decode + stir_check + the printers on arbitrary bytes (no
 * verification: that needs keys and would only fuzz OpenSSL). The input's first byte picks
 * the send time offset so iat checks run both ways. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stir/stir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static stir_passport p; /* large; fuzzers run one input at a time */
    stir_findings f;
    stir_vresult r;
    sx_time sent = size ? (sx_time)(1600000000 + data[0] * 7) * SX_SEC : 0;
    stir_decode(sx_sv_make((const char *)data, size), &p);
    stir_check(&p, "12155550121", "12155550131", sent, &f);
    stir_verify(NULL, &p, sent, &r);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        stir_print(null, &p, &f, &r);
        stir_print_json(null, &p, &f, &r);
        fclose(null);
    }
    return 0;
}
