#!/usr/bin/env bash
# Corpus agreement: sipdx's decode against the expected results the public corpus ships
# (zeek SIP logs, suricata-verify rule counts, arkime sessions, tshark's PCAP_INDEX.tsv).
# The comparisons live in tests/corpus/check.py (Python 3, standard library only); every
# known, reviewed difference from tshark is a line of tests/corpus/expected-deviations.tsv.
# Run from the repo root with SIPDX_BIN=path/to/sipdx; the last line is "N passed, N failed".
set -u
bin=${SIPDX_BIN:-./sipdx}
corpus=${SIPDX_CORPUS:-../shared/corpus}

if [ ! -f "$corpus/PCAP_INDEX.tsv" ]; then
    echo "SKIP: corpus not found at $corpus (set SIPDX_CORPUS)"
    echo "0 passed, 0 failed"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL python3 is needed by tests/corpus/check.py (scripts/install-deps.sh installs it)"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -x "$bin" ]; then
    echo "FAIL no sipdx binary at $bin"
    echo "0 passed, 1 failed"
    exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 120 python3 tests/corpus/check.py "$bin" "$corpus" tests/corpus/expected-deviations.tsv >"$out" 2>&1
rc=$?
if grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$out"; then
    cat "$out"
    exit $rc
fi
# check.py died before its summary (traceback, timeout): show why and count it as a failure.
sed 's/^/  /' "$out" | tail -n 20
echo "FAIL tests/corpus/check.py stopped without a result (exit $rc)"
echo "0 passed, 1 failed"
exit 1
