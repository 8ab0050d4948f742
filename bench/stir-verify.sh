#!/usr/bin/env bash
# stir-verify.sh -- STIR signature verification throughput of `sipdx analyze`.
#
#   bench/stir-verify.sh [CALLS]      (default 100000, ~1 min; run from anywhere; needs `make`)
#                                     (with 20000 calls the fixed costs of a run (start-up, the
#                                     ring filling and draining) weigh on -j 2: 1.6-1.76x where
#                                     100k and 1M calls give 1.8-1.9x)
#
# Builds a capture where every INVITE carries its own signed Identity (tests/unit/test_signal.c
# with SIPDX_SIGNAL_BENCH_CALLS: a P-256 key and certificate made with OpenSSL, calls 5 ms
# apart, each answered 603), then times `sipdx analyze` over it, best of 3 runs each:
#   --no-verify   decode and checks only (the baseline)
#   -j 1          every signature verified on the main thread (no other thread)
#   -j 2          two verifying threads in all: the main thread (which also parses, tracks,
#                 decodes and writes, and verifies whenever its ring of calls is full) and
#                 one worker -- two busy threads for two cores
# and prints, from the same run, `openssl speed -seconds 3 ecdsap256`.
#
# Figures: "per CPU second" = CALLS / (user+sys) -- comparable with openssl speed, which also
# counts CPU time, and robust on a busy machine; "added" = CALLS / (CPU(-j 1) - CPU(no-verify))
# isolates what verification costs; "scaling" = wall(-j 1) / wall(-j 2), meaningful only when
# two cores are idle (the load average is printed); "CPU-bound scaling" = 2 * CPU(-j 1) /
# CPU(-j 2) is what two free cores would give if both threads stay busy (the main thread
# verifies instead of waiting, so the work splits evenly), i.e. what the threading overhead
# -- and two cores running at once rather than one -- leaves.
set -eu
cd "$(dirname "$0")/.."
calls=${1:-100000}
make --no-print-directory -s build/rel/sipdx build/rel/tests/test_signal >/dev/null
SIPDX_SIGNAL_BENCH_CALLS=$calls build/rel/tests/test_signal >/dev/null
d=build/test-signal
bin=build/rel/sipdx

# best of 3: prints "wall cpu"
tf=$(mktemp)
trap 'rm -f "$tf"' EXIT
run() {
    local best_w=999999 best_c=999999 w c
    for _ in 1 2 3; do
        /usr/bin/time -o "$tf" -f '%e %U %S' "$bin" analyze --no-progress \
            --x5u-map "$d/x5u.map" --trust "$d/ca.pem" "$@" "$d/bench.pcap" >/dev/null 2>&1
        read -r w c < <(tail -n 1 "$tf" | awk '{print $1, $2 + $3}')
        best_w=$(awk -v a="$best_w" -v b="$w" 'BEGIN{print (b < a) ? b : a}')
        best_c=$(awk -v a="$best_c" -v b="$c" 'BEGIN{print (b < a) ? b : a}')
    done
    echo "$best_w $best_c"
}

# the capture must verify: every call valid
valid=$("$bin" analyze --no-progress --x5u-map "$d/x5u.map" --trust "$d/ca.pem" -j 2 "$d/bench.pcap" 2>&1 |
        sed -n 's/^  signature  *valid \([0-9]*\)$/\1/p')
[ "$valid" = "$calls" ] || { echo "expected $calls valid signatures, got '${valid:-none}'" >&2; exit 1; }

read -r w0 c0 < <(run --no-verify)
read -r w1 c1 < <(run -j 1)
read -r w2 c2 < <(run -j 2)
ossl=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $NF}')

echo "STIR verification: $calls calls, each INVITE with a distinct signed Identity ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
awk -v n="$calls" -v w0="$w0" -v c0="$c0" -v w1="$w1" -v c1="$c1" -v w2="$w2" -v c2="$c2" -v o="$ossl" 'BEGIN {
    printf "  --no-verify   wall %6.2f s  cpu %6.2f s\n", w0, c0
    printf "  -j 1          wall %6.2f s  cpu %6.2f s  %7.0f verified/s per CPU second (%.0f %% of openssl)\n", w1, c1, n / c1, 100 * n / c1 / o
    printf "                added by verification: %7.0f verifications/s per CPU second (%.0f %% of openssl)\n", n / (c1 - c0), 100 * n / (c1 - c0) / o
    printf "  -j 2          wall %6.2f s  cpu %6.2f s  scaling wall(-j 1)/wall(-j 2) = %.2fx\n", w2, c2, w1 / w2
    printf "                CPU-bound scaling 2*cpu(-j 1)/cpu(-j 2) = %.2fx\n", 2 * c1 / c2
    printf "  openssl speed -seconds 3 ecdsap256: %s verify/s\n", o
}'
