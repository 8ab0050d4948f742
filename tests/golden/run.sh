#!/usr/bin/env bash
# Golden tests: for each tests/golden/NAME.cmd (one line: sipdx's arguments, relative to
# the repository root), runs sipdx and compares its stdout with NAME.out byte for byte.
# Regenerate one after reviewing the change by eye: tests/golden/run.sh ./sipdx --update NAME
set -u
bin=$1; shift
cd "$(dirname "$0")/../.."
update=""; [ "${1:-}" = "--update" ] && { update=$2; }
passed=0 failed=0
for cmd in tests/golden/*.cmd; do
    [ -f "$cmd" ] || continue
    name=$(basename "$cmd" .cmd)
    exp="tests/golden/$name.out"
    got=$(mktemp)
    # shellcheck disable=SC2046
    eval "\"$bin\" $(cat "$cmd")" >"$got" 2>/dev/null
    if [ "$update" = "$name" ]; then cp "$got" "$exp"; echo "updated $exp"; fi
    if [ -f "$exp" ] && cmp -s "$got" "$exp"; then passed=$((passed + 1))
    else failed=$((failed + 1)); echo "FAIL golden $name"; diff -u "$exp" "$got" | head -n 30; fi
    rm -f "$got"
done
echo "$passed passed, $failed failed"
