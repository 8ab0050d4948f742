#!/usr/bin/env python3
"""Writes a summary document with the diagnosis keys (plan, carriers, callers) as issue 5
describes them, built from the scenario generator's ground truth (tests/scenario), so the
report's diagnosis views can be rendered and checked before (and independently of) the
engine that computes them.

    fixture_summary.py BASE.json TRUTH-DIR OUT.json

BASE.json: `sipdx analyze --format json` of the scenario capture (codes, peers, ratios).
One item's reason carries "</script>" to prove the page survives markup in the data.
"""
import collections
import csv
import datetime
import json
import sys

BUCKET = 15 * 60  # seconds
NOT_BLOCKED = {"answered", "busy", "no_answer", "callee_declined", "invalid_destination"}


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(path):
    with open(path) as f:
        head = f.readline().lstrip("#").rstrip("\n").split("\t")
        return [dict(zip(head, l.rstrip("\n").split("\t"))) for l in f if l.strip()]


def main():
    base, truth, out = sys.argv[1:4]
    s = json.load(open(base))
    calls = rows(truth + "/truth-calls.tsv")
    pairs = rows(truth + "/truth-pairs.tsv")
    t0 = min(ts(c["start"]) for c in calls)
    bucket = lambda c: int((ts(c["start"]) - t0) // BUCKET)
    car = collections.defaultdict(lambda: collections.defaultdict(lambda: {"attempts": 0, "blocked": 0, "by_cause": collections.Counter()}))
    who = collections.defaultdict(lambda: collections.defaultdict(lambda: {"attempts": 0, "answered": 0, "blocked": 0}))
    by_cause = collections.Counter()
    for c in calls:
        b, blocked = bucket(c), c["cause"] not in NOT_BLOCKED
        p = car[c["carrier"]][b]
        p["attempts"] += 1
        q = who[(c["caller"], c["carrier"])][b]
        q["attempts"] += 1
        q["answered"] += c["cause"] == "answered"
        p["by_cause"][c["cause"]] += 1
        if blocked:
            p["blocked"] += 1
            q["blocked"] += 1
            by_cause[(c["cause"], c["carrier"])] += 1
    tl = lambda d: [dict(v, t=iso(t0 + b * BUCKET), **({"by_cause": dict(v["by_cause"])} if "by_cause" in v else {}))
                    for b, v in sorted(d.items())]
    s["carriers"] = [{"carrier": k, "timeline": tl(v),
                      "policies": [{"policy": "rejects_unsigned", "sentence": "rejects unsigned calls with 403 cause 21"}]
                      if k == "carrier-a" else ["analytics with 608 + jCard", "fast 603 declines"] if k == "carrier-b" else []}
                     for k, v in sorted(car.items())]
    s["callers"] = []
    for p in pairs:
        status = p["status"] if p["status"] in ("flagged", "at_risk", "clean") else "at_risk"
        s["callers"].append({"caller": p["caller"], "carrier": p["carrier"], "status": status,
                             "since": p["since"] if status == "flagged" and p["since"] not in ("", "-") else None,
                             "reason": p["reason"], "timeline": tl(who[(p["caller"], p["carrier"])])})
    s["callers"][0]["reason"] += " </script><script>document.body.dataset.render='pwned'</script>"
    plan = collections.defaultdict(lambda: {"calls": 0, "carriers": set()})
    for (cause, carrier), n in by_cause.items():
        plan[cause]["calls"] += n
        plan[cause]["carriers"].add(carrier)
    s["plan"] = [{"rank": i + 1, "calls": v["calls"], "cause": k,
                  "carriers": [{"carrier": c, "calls": 1} for c in sorted(v["carriers"])],
                  "action": "fix " + k.replace("_", " ")}
                 for i, (k, v) in enumerate(sorted(plan.items(), key=lambda kv: -kv[1]["calls"]))]
    json.dump(s, open(out, "w"))


if __name__ == "__main__":
    main()
