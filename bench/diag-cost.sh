#!/usr/bin/env bash
# bench/diag-cost.sh -- what the diagnosis adds to `sipdx analyze` (issue 5: < 15 %).
# A benchmark, not a test: `make check` never runs it.
#
#   bench/diag-cost.sh [CAPTURE] [ROUNDS]     default bench/data/calls-1M.pcap, 5 rounds
#
# Each round runs `analyze` and `analyze --no-diagnosis` on the capture back to back (the
# order alternates between rounds), so a drift of the machine's speed hits both alike; this
# VM's identical runs differ by up to a third, which one pair of runs cannot tell from the
# diagnosis's cost. It prints every run's CPU seconds (user + system) and peak RSS, then the
# fastest and the median of each command and the overhead they give.
# Run bench/run.sh first (it builds the captures), on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

CAP=${1:-bench/data/calls-1M.pcap}
ROUNDS=${2:-5}
[ -s "$CAP" ] || { echo "no capture $CAP: run bench/run.sh first" >&2; exit 2; }
[ -x ./sipdx ] || make -s
OUT=bench/out
mkdir -p "$OUT"

run() { # run LABEL ARGS... : appends "LABEL cpu_s rss_mb" to $OUT/diag-cost.runs
    local label=$1; shift
    /usr/bin/time -f "%U %S %M" -o "$OUT/diag-cost.time" ./sipdx analyze --no-progress "$@" "$CAP" \
        >/dev/null 2>"$OUT/diag-cost.err"
    read -r u s m <"$OUT/diag-cost.time"
    awk -v l="$label" -v u="$u" -v s="$s" -v m="$m" \
        'BEGIN { printf "%s %.2f %.1f\n", l, u + s, m / 1024 }' | tee -a "$OUT/diag-cost.runs"
}

: >"$OUT/diag-cost.runs"
echo "capture $CAP, $ROUNDS rounds, $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$ROUNDS"); do
    if [ $((i % 2)) = 1 ]; then
        run diagnosis; run no-diagnosis --no-diagnosis
    else
        run no-diagnosis --no-diagnosis; run diagnosis
    fi
done
awk '
    { t[$1] = t[$1] " " $2; n[$1]++; if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if ($3 > rss[$1]) rss[$1] = $3 }
    function median(list,   a, k, i, j, x) {
        k = split(list, a, " ")
        for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END {
        for (c in n) { med[c] = median(t[c]); printf "%-13s fastest %6.2f s  median %6.2f s  peak RSS %5.1f MB  (CPU s:%s)\n", c, lo[c], med[c], rss[c], t[c] }
        printf "diagnosis adds: %+.1f %% (fastest runs), %+.1f %% (medians)\n",
            100 * (lo["diagnosis"] / lo["no-diagnosis"] - 1), 100 * (med["diagnosis"] / med["no-diagnosis"] - 1)
    }' "$OUT/diag-cost.runs"
