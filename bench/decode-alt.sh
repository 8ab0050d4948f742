#!/usr/bin/env bash
# bench/decode-alt.sh -- `sipdx decode` against tcpdump merely copying the same capture
# (issue 2: >= 1.5 GB/s of capture on one core). A benchmark, not a test.
#
#   bench/decode-alt.sh [CAPTURE] [ROUNDS]     default bench/data/calls-1M.pcap, 6 rounds
#
# Each round runs `tcpdump -r F -w /dev/null` and `sipdx decode --format none F` back to
# back (the order alternates between rounds), so that this VM's drifts in speed (+-20 %
# between neighbouring runs) hit both alike. It prints every run's CPU seconds (user +
# system), then the fastest and the median of each and the GB/s (10^9 bytes of capture per
# CPU second) they give. Run bench/run.sh first (it builds the captures), on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

CAP=${1:-bench/data/calls-1M.pcap}
ROUNDS=${2:-6}
[ -s "$CAP" ] || { echo "no capture $CAP: run bench/run.sh first" >&2; exit 2; }
command -v tcpdump >/dev/null || { echo "tcpdump is not installed (bench/run.sh installs it)" >&2; exit 2; }
[ -x ./sipdx ] || make -s
OUT=bench/out
mkdir -p "$OUT"
BYTES=$(stat -c %s "$CAP")

run() { # run LABEL COMMAND... : appends "LABEL cpu_s" to $OUT/decode-alt.runs
    local label=$1; shift
    /usr/bin/time -f "%U %S" -o "$OUT/decode-alt.time" "$@" >/dev/null 2>"$OUT/decode-alt.err"
    read -r u s <"$OUT/decode-alt.time"
    awk -v l="$label" -v u="$u" -v s="$s" 'BEGIN { printf "%s %.2f\n", l, u + s }' |
        tee -a "$OUT/decode-alt.runs"
}

: >"$OUT/decode-alt.runs"
echo "capture $CAP ($BYTES bytes), $ROUNDS rounds, $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$ROUNDS"); do
    if [ $((i % 2)) = 1 ]; then
        run tcpdump tcpdump -r "$CAP" -w /dev/null; run sipdx ./sipdx decode --format none "$CAP"
    else
        run sipdx ./sipdx decode --format none "$CAP"; run tcpdump tcpdump -r "$CAP" -w /dev/null
    fi
done
awk -v bytes="$BYTES" '
    { t[$1] = t[$1] " " $2; n[$1]++; if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2 }
    function median(list,   a, k, i, j, x) {
        k = split(list, a, " ")
        for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END {
        for (c in n) {
            m = median(t[c])
            printf "%-8s fastest %6.2f s (%.2f GB/s)  median %6.2f s (%.2f GB/s)  (CPU s:%s)\n",
                c, lo[c], bytes / lo[c] / 1e9, m, bytes / m / 1e9, t[c]
        }
    }' "$OUT/decode-alt.runs"
