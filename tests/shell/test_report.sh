#!/usr/bin/env bash
# analyze --report: the HTML page loads in a real headless browser (Debian chromium) with no
# console message and no script error, its tables sort both ways, and its charts hold the
# data marks the embedded summary asks for (tests/report/check_report.py). Pages: the demo
# capture, the scenario capture (tests/scenario/scengen.py, five carriers with known
# policies), and the scenario's page with a summary carrying the diagnosis keys built from
# the scenario's ground truth (tests/report/fixture_summary.py). Screenshots are left in
# build/report/*.png for people to look at.
set -u
bin=${SIPDX_BIN:-./sipdx}
out=build/report
mkdir -p "$out"
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
tally() { # counts the ok/FAIL lines of check_report.py output in $1
    passed=$((passed + $(grep -c '^ok ' "$1")))
    failed=$((failed + $(grep -c '^FAIL' "$1")))
    grep '^FAIL' "$1"
    grep -q -E '^(ok|FAIL) ' "$1" || bad "check_report.py printed nothing: $(tail -n 3 "$1")"
}
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

if ! command -v chromium >/dev/null; then
    echo "FAIL chromium missing (scripts/install-deps.sh)"
    failed=1
    finish
fi
command -v python3 >/dev/null || { bad "python3 missing"; finish; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The page's source and its generated C agree.
python3 tests/report/gen_page.py --check && ok || bad "src/report/html_page.c is stale"

# The command line: errors are reported, not a half-written page.
"$bin" analyze --no-progress --report samples/demo.pcap >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "--report without a value: exit 2"
"$bin" analyze --no-progress --report /nonexistent-dir/r.html samples/demo.pcap >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 3 ] && grep -q "cannot write /nonexistent-dir/r.html" "$tmp/err" && ok ||
    bad "unwritable --report path: exit $rc, $(cat "$tmp/err")"

# The demo capture: no diagnosis keys needed; peers, codes and one ladder per final code.
"$bin" analyze --no-progress --report "$out/demo.html" samples/demo.pcap >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ -s "$out/demo.html" ] && ok || bad "analyze --report demo: exit $rc $(cat "$tmp/err")"
python3 tests/report/check_report.py "$out/demo.html" --screenshot "$out/demo.png" >"$tmp/c1" 2>&1
tally "$tmp/c1"

# The scenario capture, as analyze reports it today.
if [ -f tests/scenario/scengen.py ] && python3 tests/scenario/scengen.py --out "$tmp/scen" >/dev/null 2>&1; then
    "$bin" analyze --no-progress --carriers "$tmp/scen/carriers.txt" --report "$out/scenario.html" \
        --format json "$tmp/scen/scenario.pcap" >"$tmp/scen.json" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] && ok || bad "analyze --report scenario: exit $rc $(cat "$tmp/err")"
    # Without --calls, examples come from phase-1 candidates (a few per final code x carrier x
    # signed x rang): most causes must still get one; with --calls (records kept), every one.
    python3 tests/report/check_report.py "$out/scenario.html" --screenshot "$out/scenario.png" \
        --min-coverage 0.9 >"$tmp/c2" 2>&1
    tally "$tmp/c2"
    "$bin" analyze --no-progress --carriers "$tmp/scen/carriers.txt" --report "$tmp/exact.html" \
        --calls "$tmp/calls.ndjson" "$tmp/scen/scenario.pcap" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] && ok || bad "analyze --report --calls scenario: exit $rc $(cat "$tmp/err")"
    python3 tests/report/check_report.py "$tmp/exact.html" --no-browser >"$tmp/c4" 2>&1
    tally "$tmp/c4"
    # The same page with the diagnosis keys built from the scenario's truth: carriers' block
    # rate over time, caller charts with onsets, the plan (and markup in a reason string).
    if python3 tests/report/fixture_summary.py "$tmp/scen.json" "$tmp/scen" "$tmp/fixture.json"; then
        ok
        python3 tests/report/check_report.py "$out/scenario.html" --fixture "$tmp/fixture.json" \
            "$out/fixture.html" --screenshot "$out/fixture.png" >"$tmp/c3" 2>&1
        tally "$tmp/c3"
    else
        bad "fixture_summary.py failed"
    fi
else
    bad "tests/scenario/scengen.py did not run"
fi
finish
