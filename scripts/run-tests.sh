#!/usr/bin/env bash
# Runs every test binary and golden test for each build directory given (build/rel,
# build/san), then prints the sum as the last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
count() { # parses "N passed, N failed[, N skipped]" from the last such line of $1
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
    if [ -z "$line" ]; then failed=$((failed + 1)); echo "  (no result line: counted as 1 failure)"; return; fi
    set -- $line
    passed=$((passed + $1)); failed=$((failed + $3))
    [ -n "${5:-}" ] && skipped=$((skipped + $5))
}
for build in "$@"; do
    echo "== $build"
    for t in "$build"/tests/test_*; do
        [ -x "$t" ] || continue
        out=$(mktemp)
        SIPDX_BIN="$build/sipdx" "$t" >"$out" 2>&1
        rc=$?
        printf '  %-28s %s\n' "$(basename "$t")" "$(grep -E '^[0-9]+ passed' "$out" | tail -n 1)"
        grep -E '^(FAIL|SKIP)|ERROR|runtime error' "$out" | head -n 20 | sed 's/^/    /'
        count "$out"
        [ $rc -ne 0 ] && ! grep -q '^FAIL' "$out" && { echo "    exit code $rc"; tail -n 20 "$out" | sed 's/^/    /'; failed=$((failed + 1)); }
        rm -f "$out"
    done
    # Shell tests: CLI contract, corpus-wide runs (tests/shell/test_*.sh).
    for t in tests/shell/test_*.sh; do
        [ -f "$t" ] || continue
        out=$(mktemp)
        SIPDX_BIN="$build/sipdx" bash "$t" >"$out" 2>&1
        printf '  %-28s %s\n' "$(basename "$t")" "$(grep -E '^[0-9]+ passed' "$out" | tail -n 1)"
        grep -E '^(FAIL|SKIP)|ERROR|runtime error' "$out" | head -n 20 | sed 's/^/    /'
        count "$out"
        rm -f "$out"
    done
    # Golden tests: tests/golden/NAME.cmd holds sipdx's arguments, NAME.out what it must print.
    out=$(mktemp)
    tests/golden/run.sh "$build/sipdx" >"$out" 2>&1
    printf '  %-28s %s\n' "golden" "$(grep -E '^[0-9]+ passed' "$out" | tail -n 1)"
    grep -E '^(FAIL|SKIP)' "$out" | head -n 20 | sed 's/^/    /'
    count "$out"
    rm -f "$out"
    # Stored fuzz inputs replayed through every fuzz target (regressions stay fixed).
    for f in "$build"/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        n=$(basename "$f")
        out=$(mktemp)
        "$f" fuzz/corpus/"$n" >"$out" 2>&1
        printf '  %-28s %s\n' "$n (replay)" "$(grep -E '^[0-9]+ passed' "$out" | tail -n 1)"
        grep -E 'ERROR|runtime error' "$out" | head -n 5 | sed 's/^/    /'
        count "$out"
        rm -f "$out"
    done
done
echo
[ "$skipped" -gt 0 ] && echo "($skipped skipped: see SKIP lines above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
