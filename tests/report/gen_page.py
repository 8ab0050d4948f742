#!/usr/bin/env python3
"""Turns src/report/html_page.html (the report page, edited as HTML) into html_page.c (two C
strings: the page before and after its @@DATA@@ line). Run from the repo root:
    python3 tests/report/gen_page.py            # rewrite src/report/html_page.c
    python3 tests/report/gen_page.py --check    # exit 1 if html_page.c is out of date
"""
import sys

SRC, DST = "src/report/html_page.html", "src/report/html_page.c"


def c_string(text):
    out = []
    for line in text.splitlines(keepends=True):
        s = line.replace("\\", "\\\\").replace('"', '\\"').replace("??", "?\\?")
        s = s.replace("\t", "\\t").replace("\n", "\\n")
        out.append('    "%s"' % s)
    return "\n".join(out) if out else '    ""'


def render():
    page = open(SRC, encoding="utf-8").read()
    head, sep, tail = page.partition("\n@@DATA@@\n")
    if not sep:
        sys.exit("gen_page: no @@DATA@@ line in " + SRC)
    return ("/* html_page.c -- GENERATED from html_page.html by tests/report/gen_page.py; edit the\n"
            " * .html and regenerate. The report page around its data (html.c writes head, the\n"
            " * JSON data elements, then tail). */\n"
            '#include "html.h"\n\n'
            "const char html_page_head[] =\n%s;\n\n"
            "const char html_page_tail[] =\n%s;\n" % (c_string(head + "\n"), c_string(tail)))


if __name__ == "__main__":
    want = render()
    if "--check" in sys.argv:
        have = open(DST, encoding="utf-8").read() if __import__("os").path.exists(DST) else ""
        if have != want:
            print("gen_page: %s is out of date (python3 tests/report/gen_page.py)" % DST)
            sys.exit(1)
        sys.exit(0)
    open(DST, "w", encoding="utf-8").write(want)
