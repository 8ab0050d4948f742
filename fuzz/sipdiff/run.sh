#!/bin/sh
# Differential fuzz of src/sip against a baseline commit (see diff_sip.c).
# usage: fuzz/sipdiff/run.sh [BASE_REV [SECONDS [EXTRA_SEED_DIR...]]]   (from the repo root)
# Builds in build/sipdiff/: the baseline's src/sip with every global symbol renamed ref_*,
# and the working tree's src/sip, linked in one libFuzzer binary (clang-14).
# sip.h must be the same in both (the harness hands one sip_msg layout to both parsers).
set -e
base=${1:-HEAD}; secs=${2:-600}; [ $# -ge 2 ] && shift 2 || shift $#
out=build/sipdiff; CC=${FUZZ_CC:-clang-14}
FL="-std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=address,undefined"
rm -rf "$out/ref" && mkdir -p "$out/ref/src/sip" "$out/ref/src/base" "$out/corpus"
for f in $(git ls-tree --name-only "$base" src/sip/); do git show "$base:$f" > "$out/ref/$f"; done
cp src/base/*.h "$out/ref/src/base/"
if ! cmp -s "$out/ref/src/sip/sip.h" src/sip/sip.h; then
    echo "run.sh: src/sip/sip.h differs from $base's: the harness cannot share sip_msg" >&2; exit 1
fi
for f in "$out"/ref/src/sip/*.c; do
    $CC $FL -fsanitize=fuzzer-no-link -I"$out/ref/src" -c -o "${f%.c}.o" "$f"
done
ld -r -o "$out/ref/all.o" "$out"/ref/src/sip/*.o
nm -g --defined-only "$out/ref/all.o" | awk '{print $3" ref_"$3}' > "$out/ref/syms"
objcopy --redefine-syms="$out/ref/syms" "$out/ref/all.o" "$out/ref/allr.o"
$CC $FL -fsanitize=fuzzer -Isrc -o "$out/diff_sip" fuzz/sipdiff/diff_sip.c src/sip/*.c \
    src/base/*.c "$out/ref/allr.o" $(pkg-config --libs libcjson libcrypto zlib) -lm -pthread
seeds="fuzz/corpus/fuzz_sip"
[ -d ../shared/corpus/rfc4475 ] && seeds="$seeds ../shared/corpus/rfc4475"
"$out/diff_sip" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
    "$out/corpus" $seeds "$@"
