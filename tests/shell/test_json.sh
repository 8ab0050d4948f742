#!/usr/bin/env bash
# JSON that scripts rely on: every call record carries the documented top-level keys with
# the documented types, "schema": 1; decode's last object is the tally; every line parses.
set -u
bin=${SIPDX_BIN:-./sipdx}
command -v python3 >/dev/null || { echo "FAIL python3 is missing"; echo "0 passed, 1 failed"; exit 1; }
python3 - "$bin" <<'PY'
import json, subprocess, sys
b = sys.argv[1]
passed = failed = 0
def check(ok, what):
    global passed, failed
    if ok: passed += 1
    else: failed += 1; print("FAIL", what)
# Call records (issue 3: these names at least, so scripts can rely on them).
need = {"schema": int, "call_id": str, "leg_group": str, "start": str, "caller": dict,
        "callee": dict, "src": str, "dst": str, "transport": str, "final_code": int,
        "final_reason": (str, type(None)), "final_from": (str, type(None)), "reasons": list,
        "timings": dict, "status": str, "messages": list}
for pcap in ["tests/fixtures/udp-basic.pcap", "tests/fixtures/tcp.pcap", "tests/fixtures/ipv6.pcap",
             "samples/demo.pcap"]:
    out = subprocess.run([b, "analyze", "--calls", "-", pcap], capture_output=True, text=True)
    lines = out.stdout.splitlines()
    check(out.returncode == 0 and len(lines) > 0, "%s: analyze --calls - exit %d, %d records" % (pcap, out.returncode, len(lines)))
    for l in lines:
        r = json.loads(l)
        check(r.get("schema") == 1, "%s: schema 1" % pcap)
        for k, t in need.items():
            check(k in r and isinstance(r[k], t), "%s: record key %s of type %s: %r" % (pcap, k, t, r.get(k)))
        check(r["status"] in ("completed", "incomplete", "evicted"), "status vocabulary: %s" % r["status"])
        check(r["start"].endswith("Z") and len(r["start"]) == 24, "start is RFC 3339 with ms: %s" % r["start"])
        for m in r["messages"]:
            check(set(m) >= {"t_ms", "src", "dst", "line"}, "message entry keys %s" % sorted(m))
# decode --format json: one object per line, the tally last and balanced.
out = subprocess.run([b, "decode", "--format", "json", "samples/demo.pcap"], capture_output=True, text=True)
objs = [json.loads(l) for l in out.stdout.splitlines()]
check("tally" in objs[-1] and objs[-1]["tally"]["balanced"] is True, "decode json ends with a balanced tally")
check(all("t" in o and "valid" in o for o in objs[:-1]), "every message object has t and valid")
# analyze --format json: one document.
out = subprocess.run([b, "analyze", "--format", "json", "samples/demo.pcap"], capture_output=True, text=True)
doc = json.loads(out.stdout)
for k in ("schema", "calls", "answered", "failed", "ratios", "codes", "peers", "tally"):
    check(k in doc, "summary key %s" % k)
check(doc["calls"] == sum(c["calls"] for c in doc["codes"]) + doc["no_final_response"],
      "summary: calls = sum of final codes + no final response")
# --no-diagnosis: the same records, without "verdict" (the diagnosis only adds to them).
full = subprocess.run([b, "analyze", "--calls", "-", "samples/demo.pcap"], capture_output=True, text=True).stdout.splitlines()
bare = subprocess.run([b, "analyze", "--no-diagnosis", "--calls", "-", "samples/demo.pcap"], capture_output=True, text=True).stdout.splitlines()
check(len(full) == len(bare) == 48, "--no-diagnosis keeps every record (%d vs %d)" % (len(bare), len(full)))
for f, n in zip(full, bare):
    fr, nr = json.loads(f), json.loads(n)
    check("verdict" in fr and "verdict" not in nr, "verdict only with the diagnosis")
    fr.pop("verdict", None)
    check(fr == nr, "record %s identical apart from the verdict" % nr.get("call_id"))
# The diagnosis skips formatting evidence nobody reads (no --calls): same summary either way.
quiet = subprocess.run([b, "analyze", "--format", "json", "samples/demo.pcap"], capture_output=True, text=True).stdout
loud = subprocess.run([b, "analyze", "--format", "json", "--calls", "/dev/null", "samples/demo.pcap"], capture_output=True, text=True).stdout
qd, ld = json.loads(quiet), json.loads(loud)
for k in ("seconds",):
    qd.pop(k, None), ld.pop(k, None)
check(qd == ld, "summary identical with and without --calls (evidence formatting skipped)")
print("%d passed, %d failed" % (passed, failed))
PY
