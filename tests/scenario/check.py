#!/usr/bin/env python3
"""check.py -- the diagnosis accuracy test (issue 5, "Proof"): generates the scenario
(scengen.py), runs `sipdx analyze` on it and compares per-call verdicts, per-pair onsets,
statuses, carrier policies and the plan with the ground truth.

    [SIPDX_SCEN_SEED=N] python3 tests/scenario/check.py SIPDX WORKDIR

Prints FAIL lines, a confusion summary when causes disagree, the accuracy figures, and as
last line "N passed, N failed". Python 3 standard library only.
"""
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ACCURACY_MIN = 0.99     # overall per-call cause accuracy (the must-hold groups are 100 %)
ONSET_TOLERANCE_S = 1.0 # "since" must name the first call of the sustained block (calls of
                        # one number are >= 2 s apart in the scenario)

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s%s" % (what, (": " + detail) if detail else ""))
    return ok


def vocabulary():
    """Cause and blocker names from src/diag/diag.h (the stable vocabulary)."""
    text = open(os.path.join(HERE, "..", "..", "src", "diag", "diag.h")).read()
    causes = re.findall(r'X\(DIAG_C_[A-Z_]+, "([a-z_]+)"', text)
    blockers = re.findall(r'X\(DIAG_BY_[A-Z_]+, "([a-z_]+)"', text)
    return set(causes), set(blockers)


def parse_time(s):
    if not s or s == "-":
        return None
    s = s.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(s).timestamp()


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def load_truth(d):
    calls = {}
    with open(os.path.join(d, "truth-calls.tsv")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            r = line.rstrip("\n").split("\t")
            calls[r[0]] = {"start": r[1], "caller": r[2], "carrier": r[3], "cause": r[4],
                           "blocked_by": r[5], "code": int(r[6]), "identity": r[7],
                           "note": r[8]}
    pairs = {}
    with open(os.path.join(d, "truth-pairs.tsv")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            r = line.rstrip("\n").split("\t")
            pairs[(r[0], r[1])] = {"status": r[2], "since": r[3], "reason": r[4],
                                   "calls": int(r[5])}
    head = json.load(open(os.path.join(d, "truth.json")))
    return calls, pairs, head


def load_carrier_names(d):
    names = {}
    for line in open(os.path.join(d, "carriers.txt")):
        if line.strip() and not line.startswith("#"):
            cidr, name = line.split()
            names[cidr.split("/")[0]] = name
    return names


def records(text):
    out = {}
    for line in text.splitlines():
        if line.strip():
            r = json.loads(line)
            out[r["call_id"]] = r
    return out


def verdict_of(r):
    v = r.get("verdict") if r else None
    return v if isinstance(v, dict) else {}


def group_check(name, ids, truth, recs, want_by=None, cause=None, not_cause=None):
    """Every call of the group gets the expected cause (or not the forbidden one), and the
    expected blocked_by when want_by is given."""
    bad = []
    for cid in ids:
        v = verdict_of(recs.get(cid))
        want = cause or truth[cid]["cause"]
        got = v.get("cause")
        if not_cause is not None:
            ok = got is not None and got != not_cause
        else:
            ok = got == want and (want_by is None or v.get("blocked_by") == want_by)
        if not ok:
            bad.append("%s (%s %s at %s, code %d: want %s%s, got %s/%s rule %s)" % (
                cid[:12], truth[cid]["caller"], truth[cid]["note"] or truth[cid]["identity"],
                truth[cid]["carrier"], truth[cid]["code"],
                ("not " + not_cause) if not_cause else want, ("/" + want_by) if want_by else "",
                got, v.get("blocked_by"), v.get("rule")))
    check(ids and not bad, "%s: %d/%d calls right" % (name, len(ids) - len(bad), len(ids)),
          "; ".join(bad[:4]) + (" ..." if len(bad) > 4 else "") if bad else
          ("empty group: the scenario lost it" if not ids else ""))
    return bad


def confusion(truth, recs):
    m = {}
    for cid, t in truth.items():
        got = verdict_of(recs.get(cid)).get("cause", "(no verdict)")
        if got != t["cause"]:
            m[(t["cause"], got)] = m.get((t["cause"], got), 0) + 1
    if m:
        print("confusion (expected -> got: calls), mismatches only:")
        for (e, g), n in sorted(m.items(), key=lambda kv: -kv[1]):
            print("  %-22s -> %-26s %5d" % (e, g, n))


def digits(s):
    return re.sub(r"[^0-9]", "", s or "")


def main():
    sipdx, work = sys.argv[1], sys.argv[2]
    scen = os.path.join(work, "scen")
    seed = os.environ.get("SIPDX_SCEN_SEED", "5")  # other seeds: same policies, other draws
    gen = [sys.executable, os.path.join(HERE, "scengen.py"), "--seed", seed, "--split"]
    rc, out, err = run(gen + ["--out", scen])
    if not check(rc == 0, "scengen.py runs", err[-400:]):
        return
    # Same seed, same bytes (the truth would be meaningless otherwise): a second run, in the
    # background while sipdx works.
    again = subprocess.Popen([sys.executable, os.path.join(HERE, "scengen.py"), "--seed", seed,
                              "--out", os.path.join(work, "again")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)

    truth, pairs, head = load_truth(scen)
    names = load_carrier_names(scen)
    causes, blockers = vocabulary()
    carriers = ["--carriers", os.path.join(scen, "carriers.txt"), "--no-progress"]
    ndjson = os.path.join(work, "calls.ndjson")
    rc, summary_text, err = run([sipdx, "analyze"] + carriers + ["--format", "json", "--calls",
                                ndjson, os.path.join(scen, "scenario.pcap")])
    check(rc == 0, "sipdx analyze exits 0", "exit %d: %s" % (rc, err[-300:]))
    recs = records(open(ndjson).read()) if os.path.exists(ndjson) else {}
    try:
        summary = json.loads(summary_text)
    except ValueError:
        summary = {}
        check(False, "analyze --format json prints one JSON document", summary_text[:200])

    # ---- per call ----
    check(len(recs) == len(truth) and all(c in recs for c in truth),
          "every call of the truth has a record (%d records, %d calls)" % (len(recs), len(truth)))
    with_v = [c for c in truth if verdict_of(recs.get(c))]
    check(len(with_v) == len(truth), "every call record carries a verdict",
          "%d of %d have none" % (len(truth) - len(with_v), len(truth)))
    badvoc = [c for c in with_v if verdict_of(recs[c]).get("cause") not in causes
              or verdict_of(recs[c]).get("blocked_by") not in blockers]
    check(with_v and not badvoc, "verdict cause/blocked_by are from the vocabulary of diag.h",
          ", ".join("%s=%s/%s" % (c[:12], verdict_of(recs[c]).get("cause"),
                                  verdict_of(recs[c]).get("blocked_by")) for c in badvoc[:5]))
    shape = [c for c in with_v if not all(k in verdict_of(recs[c]) for k in
             ("blocked_by", "cause", "confidence", "rule", "evidence", "remediation"))]
    check(with_v and not shape, "verdicts have blocked_by, cause, confidence, rule, evidence, remediation",
          ", ".join(c[:12] for c in shape[:5]))
    noevid = [c for c in with_v if verdict_of(recs[c]).get("cause") not in ("answered",)
              and not verdict_of(recs[c]).get("evidence")]
    check(with_v and not noevid, "every refusal verdict cites evidence", "%d without" % len(noevid))

    right = sum(1 for c, t in truth.items() if verdict_of(recs.get(c)).get("cause") == t["cause"])
    by_right = sum(1 for c, t in truth.items()
                   if verdict_of(recs.get(c)).get("blocked_by") == t["blocked_by"])
    acc = right / float(len(truth))
    check(acc >= ACCURACY_MIN, "per-call cause accuracy >= %.0f %%" % (ACCURACY_MIN * 100),
          "%d/%d (%.1f %%)" % (right, len(truth), 100 * acc))

    def ids(pred):
        return sorted(c for c, t in truth.items() if pred(t))

    # Must-hold groups: the carrier policies and outcomes the scenario was built from.
    group_check("unsigned at carrier-a -> unsigned_call/network",
                ids(lambda t: t["carrier"] == "carrier-a" and t["identity"] == "unsigned"
                    and t["code"] == 403), truth, recs, "network")
    group_check("608 at carrier-b after the onset -> caller_id_reputation/analytics",
                ids(lambda t: t["cause"] == "caller_id_reputation"), truth, recs, "analytics")
    group_check("603+ Network Blocked -> network_blocklist",
                ids(lambda t: t["cause"] == "network_blocklist"), truth, recs)
    group_check("stale PASSporT (403 Stale Date or 438) -> stale_identity",
                ids(lambda t: t["cause"] == "stale_identity"), truth, recs)
    group_check("438 with orig.tn != caller -> identity_tn_mismatch",
                ids(lambda t: t["cause"] == "identity_tn_mismatch"), truth, recs)
    group_check("503 above 3 concurrent at carrier-e -> capacity/network",
                ids(lambda t: t["cause"] == "capacity"), truth, recs, "network")
    group_check("invalid caller IDs (fast 603 at C, 608 at B) -> invalid_caller_id",
                ids(lambda t: t["cause"] == "invalid_caller_id"), truth, recs)
    group_check("603 after ringing > 5 s -> callee_declined/callee",
                ids(lambda t: t["cause"] == "callee_declined"), truth, recs, "callee")
    group_check("486 -> busy/callee", ids(lambda t: t["cause"] == "busy"), truth, recs, "callee")
    group_check("CANCEL after 30 s of ringing, 487 -> no_answer/none",
                ids(lambda t: t["cause"] == "no_answer"), truth, recs, "none")
    group_check("200 -> answered/none", ids(lambda t: t["cause"] == "answered"), truth, recs,
                "none")
    group_check("404 -> invalid_destination", ids(lambda t: t["cause"] == "invalid_destination"),
                truth, recs)
    # Near-misses: evidence that looks like a rule's but must not trigger it.
    group_check("near-miss: fast plain 603 without 18x is not callee_declined",
                ids(lambda t: t["code"] == 603 and t["cause"] == "analytics_rejected"),
                truth, recs, not_cause="callee_declined")
    group_check("near-miss: signed calls at carrier-a are not unsigned_call",
                ids(lambda t: t["carrier"] == "carrier-a" and t["identity"] != "unsigned"),
                truth, recs, not_cause="unsigned_call")
    group_check("near-miss: PASSporT re-used within 60 s is not stale_identity",
                ids(lambda t: "fresh enough" in t["note"]), truth, recs,
                not_cause="stale_identity")
    group_check("near-miss: old PASSporT at carriers that accept it is not stale_identity",
                ids(lambda t: "s old" in t["note"] and "fresh" not in t["note"]
                    and t["carrier"] != "carrier-d"), truth, recs, not_cause="stale_identity")
    group_check("near-miss: orig.tn mismatch at carriers that accept it is not identity_tn_mismatch",
                ids(lambda t: t["note"].startswith("orig.tn") and t["carrier"] != "carrier-d"),
                truth, recs, not_cause="identity_tn_mismatch")
    v1 = [p[0] for p in head["flagged"] if p[3] == "velocity"]
    group_check("near-miss: a velocity number's calls before its onset are not caller_id_reputation",
                ids(lambda t: t["caller"] in v1 and t["carrier"] == "carrier-b"
                    and t["cause"] != "caller_id_reputation"), truth, recs,
                not_cause="caller_id_reputation")

    # ---- per caller ID x carrier ----
    got_pairs = {}
    for e in summary.get("callers") or []:
        car = e.get("carrier") or ""
        car = names.get(car.split(":")[0], car)
        got_pairs[(digits(e.get("caller")), car)] = e
    exact = bucket = 0
    flagged = [(k, p) for k, p in sorted(pairs.items()) if p["status"] == "flagged"]
    for (tn, car), p in flagged:
        e = got_pairs.get((tn, car), {})
        want, got = parse_time(p["since"]), parse_time(e.get("since"))
        ok = e.get("status") == "flagged" and got is not None and abs(got - want) <= ONSET_TOLERANCE_S
        exact += ok
        bucket += got is not None and abs(got - want) <= 15 * 60
        check(ok, "onset of %s at %s (%s): flagged since %s" % (tn, car, p["reason"], p["since"]),
              "got status %s since %s (%s)" % (e.get("status"), e.get("since"),
                                                ("%+.0f s" % (got - want)) if got else "-"))
    # Why: the reason names the kind of evidence the truth was built from (issue 5: "why
    # (velocity, ..., blocklist, invalid number) and the traffic pattern that preceded it").
    why = {"velocity": "calls/hour", "blocklist": "603+", "invalid number": "invalid"}
    for (tn, car), p in flagged:
        r = got_pairs.get((tn, car), {}).get("reason") or ""
        check(why[p["reason"]] in r, "why %s at %s is flagged names its %s (%r)"
              % (tn, car, p["reason"], why[p["reason"]]), "reason: %s" % (r or "(none)"))
    bad_clean = ["%s@%s=%s (%s)" % (tn, car, got_pairs[(tn, car)].get("status"),
                                     got_pairs[(tn, car)].get("reason"))
                 for (tn, car), p in sorted(pairs.items())
                 if p["status"] == "clean" and got_pairs.get((tn, car), {}).get("status") == "flagged"]
    n_clean = sum(1 for p in pairs.values() if p["status"] == "clean")
    check(not bad_clean, "pairs without reputation refusals are not flagged (%d pairs)" % n_clean,
          "; ".join(bad_clean[:5]))
    st = {}
    for (tn, car), p in pairs.items():
        if p["status"] == "clean":
            s = got_pairs.get((tn, car), {}).get("status", "(absent)")
            st[s] = st.get(s, 0) + 1

    # ---- per carrier: the policy it evidently applies ----
    want_pol = {"carrier-a": "rejects_unsigned", "carrier-b": "analytics_608",
                "carrier-c": "blocklist_603plus", "carrier-d": "enforces_iat_freshness",
                "carrier-e": "concurrency_limit"}
    got_car = {}
    for e in summary.get("carriers") or []:
        nm = e.get("carrier") or e.get("name") or ""
        got_car[names.get(nm.split(":")[0], nm)] = e
    for car, pol in sorted(want_pol.items()):
        e = got_car.get(car, {})
        have = [p.get("policy") for p in e.get("policies") or [] if isinstance(p, dict)]
        check(pol in have, "carrier %s: policy %s" % (car, pol),
              "policies %s; 503s %s" % (have or "none", (e.get("by_code") or {}).get("503", 0))
              if e else "(no carriers entry)")

    # ---- the plan names the biggest problem first ----
    plan = summary.get("plan") or []
    first = plan[0] if plan and isinstance(plan[0], dict) else {}
    top = head["plan_first"]
    nums = [p[0] for p in head["flagged"] if p[3] == "velocity"]
    text = digits(json.dumps(first))
    check(first.get("cause") == top and "carrier-b" in json.dumps(first)
          and all(n in text for n in nums),
          "the plan's first item is the biggest problem (%s at carrier-b, %d calls, numbers %s)"
          % (top, head["refusals_by_cause"][top], " ".join(nums)),
          json.dumps(first)[:300] or "(empty plan)")

    # ---- the verdicts do not depend on how the input is cut or ordered ----
    base = {c: (verdict_of(r).get("cause"), verdict_of(r).get("blocked_by"))
            for c, r in recs.items()}
    for order in (["part1.pcap", "part2.pcap"], ["part2.pcap", "part1.pcap"]):
        nd = os.path.join(work, "calls-" + order[0] + ".ndjson")
        rc, _, err = run([sipdx, "analyze"] + carriers + ["--calls", nd] +
                         [os.path.join(scen, f) for f in order])
        other = records(open(nd).read()) if rc == 0 and os.path.exists(nd) else {}
        diff = [c for c in base if (verdict_of(other.get(c)).get("cause"),
                                    verdict_of(other.get(c)).get("blocked_by")) != base[c]]
        check(rc == 0 and len(other) == len(base) and with_v and not diff, "same verdicts from the capture cut in two, given as %s"
              % " ".join(order), "exit %d, %d records, %d calls differ, e.g. %s" % (rc, len(other), len(diff), diff[:3]))

    rc2 = again.wait(timeout=120)
    h = [hashlib.sha256(open(os.path.join(x, "scenario.pcap"), "rb").read()).hexdigest()
         if os.path.exists(os.path.join(x, "scenario.pcap")) else x
         for x in (scen, os.path.join(work, "again"))]
    check(rc2 == 0 and h[0] == h[1], "scengen.py is deterministic for a seed")

    if right != len(truth):
        confusion(truth, recs)
    print("accuracy: %d/%d calls (%.2f %%) cause, %d/%d (%.2f %%) blocked_by; onsets %d/%d "
          "exact to the call, %d/%d within a 15-min bucket; clean pairs reported as %s" % (
              right, len(truth), 100.0 * right / len(truth), by_right, len(truth),
              100.0 * by_right / len(truth), exact, len(flagged), bucket, len(flagged),
              ", ".join("%s %d" % kv for kv in sorted(st.items()))))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash is a failure with its reason, never a silent pass
        import traceback
        traceback.print_exc()
        check(False, "check.py raised %s" % type(e).__name__)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
