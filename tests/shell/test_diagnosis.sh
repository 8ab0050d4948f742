#!/usr/bin/env bash
# Diagnosis accuracy (issue 5, "Proof"): a generated three-hour scenario with five carriers
# of known policy (tests/scenario/README.md); sipdx's per-call verdicts, per-number onsets,
# pair statuses, carrier policies and plan must match the ground truth
# (tests/scenario/check.py). Last line: "N passed, N failed".
set -u
bin=${SIPDX_BIN:-./sipdx}
if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL python3 is needed (scripts/install-deps.sh installs it)"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -x "$bin" ]; then
    echo "FAIL no sipdx binary at $bin"
    echo "0 passed, 1 failed"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timeout 120 python3 tests/scenario/check.py "$bin" "$work" >"$work/out" 2>&1
rc=$?
if grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$work/out"; then
    cat "$work/out"
    exit $rc
fi
tail -n 20 "$work/out" | sed 's/^/  /'
echo "FAIL tests/scenario/check.py stopped without a result (exit $rc)"
echo "0 passed, 1 failed"
exit 1
