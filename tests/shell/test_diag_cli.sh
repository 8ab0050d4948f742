#!/usr/bin/env bash
# The diagnosis inside `sipdx analyze` (issue 5), end to end on the bundled demo capture:
# the text report opens with the diagnosis, every NDJSON record carries a verdict and the
# same one with -j 1 and -j 3 (records stay in call order), --format json has the
# diagnosis/plan/carriers/callers keys, the CSV files parse, and bad paths fail cleanly.
set -u
bin=${SIPDX_BIN:-./sipdx}
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cap=samples/demo.pcap

"$bin" analyze --no-progress "$cap" >"$tmp/text" 2>/dev/null && ok || bad "analyze demo exits 0"
head -n 1 "$tmp/text" | grep -q '^Diagnosis of 48 calls' && ok || bad "text starts with the diagnosis"
plan=$(grep -n '^Plan, by calls affected' "$tmp/text" | cut -d: -f1)
cars=$(grep -n '^Carriers' "$tmp/text" | head -n 1 | cut -d: -f1)
cids=$(grep -n '^Caller IDs' "$tmp/text" | head -n 1 | cut -d: -f1)
codes=$(grep -n '^Final responses' "$tmp/text" | head -n 1 | cut -d: -f1)
[ -n "$plan" ] && [ -n "$cars" ] && [ -n "$cids" ] && [ -n "$codes" ] &&
    [ "$plan" -lt "$cars" ] && [ "$cars" -lt "$cids" ] && [ "$cids" -lt "$codes" ] &&
    ok || bad "order: plan, carriers, caller IDs, then the code tables"

"$bin" analyze --no-progress --calls "$tmp/j1.ndjson" "$cap" >/dev/null 2>&1 && ok || bad "--calls -j 1"
"$bin" analyze --no-progress -j 3 --calls "$tmp/j3.ndjson" "$cap" >/dev/null 2>&1 && ok || bad "--calls -j 3"
"$bin" analyze --no-progress --format json --csv-callers "$tmp/callers.csv" \
    --csv-carriers "$tmp/carriers.csv" --bucket 5 "$cap" >"$tmp/sum.json" 2>/dev/null &&
    ok || bad "--format json with the CSV files"

python3 - "$tmp" <<'EOF' && ok || bad "records, JSON keys and CSV files (see above)"
import csv, json, sys
d = sys.argv[1]
errors = []
j1 = [json.loads(l) for l in open(d + "/j1.ndjson")]
j3 = [json.loads(l) for l in open(d + "/j3.ndjson")]
if len(j1) != 48: errors.append("%d records, want 48" % len(j1))
if not all("verdict" in r and r["verdict"].get("cause") for r in j1): errors.append("a record lacks its verdict")
if [(r["call_id"], r["verdict"]) for r in j1] != [(r["call_id"], r["verdict"]) for r in j3]:
    errors.append("-j 3 changed the records' order or verdicts")
s = json.load(open(d + "/sum.json"))
for k in ("diagnosis", "plan", "carriers", "callers"):
    if k not in s: errors.append("no %s key" % k)
if s["diagnosis"]["calls"] != 48 or s["diagnosis"]["bucket_s"] != 300: errors.append("diagnosis counts")
for c in s["callers"]:
    for k in ("caller", "carrier", "status", "since", "reason", "timeline"):
        if k not in c: errors.append("callers entry without %s" % k)
    if c["status"] not in ("flagged", "at_risk", "clean"): errors.append("status " + c["status"])
    if (c["status"] == "flagged") != (c["since"] is not None): errors.append("since vs status")
calls = [p["calls"] for p in s["plan"]]
if calls != sorted(calls, reverse=True): errors.append("plan not ranked by calls")
by_cause = sum(v for k, v in s["diagnosis"]["by_cause"].items())
if by_cause != 48: errors.append("verdicts tallied %d, want 48" % by_cause)
rows = list(csv.reader(open(d + "/callers.csv")))
if len(rows) - 1 != s["diagnosis"]["pairs"] or any(len(r) != len(rows[0]) for r in rows):
    errors.append("callers.csv: %d rows for %d pairs" % (len(rows) - 1, s["diagnosis"]["pairs"]))
rows = list(csv.reader(open(d + "/carriers.csv")))
if len(rows) - 1 != len(s["carriers"]) or any(len(r) != len(rows[0]) for r in rows):
    errors.append("carriers.csv rows")
for e in errors: print("  " + e)
sys.exit(1 if errors else 0)
EOF

"$bin" analyze --no-progress --csv-callers /nonexistent-dir/x.csv "$cap" >/dev/null 2>&1
[ $? -ne 0 ] && ok || bad "an unwritable --csv-callers fails"
"$bin" analyze --no-progress --bucket 0 "$cap" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--bucket 0 is a usage error"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
