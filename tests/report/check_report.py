#!/usr/bin/env python3
"""Loads `sipdx analyze --report` pages in headless Chromium and checks what a user would:
the page renders with no console message and no script error (the page's own marker
<body data-render="ok"> and an empty #errors), every sortable table sorts both ways (the
page's ?selftest writes <body data-selftest="ok ...">), and the charts hold as many data
marks as the embedded data asks for (bars, rate lines, onset lines, ladder arrows).
Expectations are computed from the JSON embedded in the page itself.

    check_report.py PAGE.html [--screenshot OUT.png] [--fixture SUMMARY.json OUT.html]

--fixture first writes OUT.html = PAGE.html with its summary replaced by SUMMARY.json (to
render the diagnosis views from a known document), then checks OUT.html instead.
Prints "ok ..." / "FAIL ..." lines; exit status 1 on any failure.
"""
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile

CHROMIUM = os.environ.get("CHROMIUM", "chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]
failed = 0
MIN_COVERAGE = 1.0  # share of the causes found that must have an example (--min-coverage)
PEOPLE = {"answered", "busy", "no_answer", "callee_declined"}  # not drawn as refusals


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failed += 1


def chromium(args):
    with tempfile.TemporaryDirectory() as prof:
        p = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + prof] + args,
                           capture_output=True, text=True, timeout=60)
    return p.stdout, p.stderr


def embedded(page, ident):
    m = re.search(r'<script type="application/json" id="%s">(.*?)</script>' % ident, page, re.S)
    return json.loads(m.group(1)) if m else None


class Dom(html.parser.HTMLParser):
    """Counts elements per enclosing <section id> and per class; keeps body attributes."""

    def __init__(self):
        super().__init__()
        self.section, self.body, self.count, self.text = None, {}, {}, {}
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id")
        if tag == "body":
            self.body = a
        if a.get("id") == "errors":
            self._in = "errors"
        for key in [(self.section, tag)] + [(self.section, "." + c) for c in a.get("class", "").split()]:
            self.count[key] = self.count.get(key, 0) + 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None
        if tag == "div" and self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.text[self._in] = self.text.get(self._in, "") + data

    def n(self, section, what):
        return self.count.get((section, what), 0)


def load(path, name, shot):
    """One browser run: the DOM after the scripts ran (and the self-test), and a screenshot."""
    url = "file://" + os.path.abspath(path) + "?selftest"
    extra = ["--screenshot=" + os.path.abspath(shot), "--window-size=1400,2600"] if shot else []
    out, err = chromium(["--dump-dom"] + extra + [url])
    console = [l for l in err.splitlines() if ":CONSOLE" in l]
    check(not console, "%s: no console message%s" % (name, (": " + console[0]) if console else ""))
    d = Dom()
    d.feed(out)
    check(d.body.get("data-render") == "ok", "%s: rendered (data-render=%r, errors %r)"
          % (name, d.body.get("data-render"), d.text.get("errors", "").strip()[:300]))
    st = d.body.get("data-selftest", "")
    check(st.startswith("ok") and int(st.split()[1]) >= 1, "%s: tables sort both ways (%s)" % (name, st))
    return d


def expect(d, page, name):
    s, ex = embedded(page, "sipdx-summary"), embedded(page, "sipdx-examples")
    check(s is not None and ex is not None, name + ": summary and examples embedded as JSON")
    codes = len(s.get("codes", []))
    check(d.n("codes", "tr") == codes + 1, "%s: codes table has %d rows" % (name, codes))
    # Ladders: one per example, one arrow per message.
    msgs = sum(len(e["record"].get("messages", [])) for e in ex)
    check(len(ex) >= 1 and d.n("examples", ".ladder-svg") == len(ex),
          "%s: %d ladders for %d examples" % (name, d.n("examples", ".ladder-svg"), len(ex)))
    check(d.n("examples", ".arrow") == msgs, "%s: %d ladder arrows for %d messages" % (name, d.n("examples", ".arrow"), msgs))
    coverage(s, ex, name)
    peers = s.get("peers", [])
    pc = sum(len(p.get("codes", {})) for p in peers)
    cs = s.get("carriers")
    bars = d.n("carriers", ".bar")
    if cs is None:
        check(bars == pc and pc > 0, "%s: %d peer bars for %d peer x code counts" % (name, bars, pc))
    else:
        segs = sum(1 for c in cs for p in c.get("timeline", []) if p.get("attempts", 0) > 0
                   for k, v in (p.get("by_cause") or {}).items() if v and k not in PEOPLE)
        check(d.n("carriers", ".carrier-chart") == len(cs), "%s: one chart per carrier (%d)" % (name, len(cs)))
        with_data = sum(1 for c in cs if any(p.get("attempts", 0) > 0 for p in c.get("timeline", [])))
        check(d.n("carriers", ".rate-line") == with_data, "%s: %d block-rate lines" % (name, with_data))
        check(bars == segs + pc and segs > 0, "%s: %d cause bars (+%d peer bars), drawn %d" % (name, segs, pc, bars))
        pol = sum(len(c.get("policies") or c.get("policy") or []) for c in cs)
        check(d.n("carriers", ".policy") > 0 or pol == 0, "%s: %d policy sentences listed" % (name, pol))
    cl = s.get("callers")
    if cl is not None:
        shown = [c for c in cl if c.get("status") != "clean"][:24] or cl[:6]
        onsets = sum(1 for c in shown if c.get("since") and c.get("timeline"))
        check(d.n("callers", ".caller-chart") == len(shown), "%s: %d caller charts" % (name, len(shown)))
        check(d.n("callers", ".onset") == onsets and (onsets > 0 or not any(c.get("status") == "flagged" for c in cl)),
              "%s: %d onset lines drawn (%d)" % (name, onsets, d.n("callers", ".onset")))
        check(d.n("callers", ".bar") > 0, "%s: caller timelines have bars (%d)" % (name, d.n("callers", ".bar")))
        check(d.n("callers", "tr") == len(cl) + 1, "%s: callers table has %d rows" % (name, len(cl)))
    if s.get("plan"):
        check(d.n("plan", "tr") == len(s["plan"]) + 1, "%s: plan table has %d items" % (name, len(s["plan"])))


def coverage(s, ex, name):
    """One example per cause, under its cause's name; and (min_coverage) for most causes."""
    if not ex or "verdict" not in ex[0]["record"]:
        return
    keys = [e["key"] for e in ex]
    check(len(set(keys)) == len(keys) and all(e["record"]["verdict"]["cause"] == e["key"] for e in ex),
          "%s: one example per cause, keyed by its verdict's cause (%d)" % (name, len(ex)))
    want = {k for k, v in ((s.get("diagnosis") or {}).get("by_cause") or {}).items() if v}
    if want:
        got = want & set(keys)
        check(len(got) >= MIN_COVERAGE * len(want), "%s: examples for %d of %d causes (missing %s)"
              % (name, len(got), len(want), sorted(want - got)))


def splice(page, summary):
    doc = json.dumps(summary).replace("<", "\\u003c")
    return re.sub(r'(<script type="application/json" id="sipdx-summary">).*?(</script>)',
                  lambda m: m.group(1) + doc + m.group(2), page, count=1, flags=re.S)


def main():
    global MIN_COVERAGE
    args = sys.argv[1:]
    path, shot = args[0], None
    if "--min-coverage" in args:
        MIN_COVERAGE = float(args[args.index("--min-coverage") + 1])
    if "--no-browser" in args:  # only what the data says: examples and their coverage
        page = open(path, encoding="utf-8").read()
        coverage(embedded(page, "sipdx-summary"), embedded(page, "sipdx-examples"), os.path.basename(path))
        sys.exit(1 if failed else 0)
    if "--screenshot" in args:
        shot = args[args.index("--screenshot") + 1]
    if "--fixture" in args:
        i = args.index("--fixture")
        summary = json.load(open(args[i + 1]))
        page = splice(open(path, encoding="utf-8").read(), summary)
        path = args[i + 2]
        open(path, "w", encoding="utf-8").write(page)
    name = os.path.basename(path)
    page = open(path, encoding="utf-8").read()
    check(not re.search(r"<(link|img|iframe)\b|\bsrc=\"https?:|@import|url\(https?:", page),
          name + ": self-contained (no external resource)")
    if shot and os.path.exists(shot):
        os.remove(shot)
    d = load(path, name, shot)
    expect(d, page, name)
    if shot:
        check(os.path.exists(shot) and os.path.getsize(shot) > 20000, "%s: screenshot %s" % (name, shot))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
