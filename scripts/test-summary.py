#!/usr/bin/env python3
"""Sums meson test logs into one line 'N passed, N failed, N skipped'.

Counts the TAP subtests of each test program; a program that failed
without reporting a failing subtest (a crash, a sanitizer report, a
timeout) counts as one more failure. A file ending in .tap holds plain
TAP lines (scripts/fuzz.sh --results: one per fuzz target); a .tap file
that is missing counts as one failure (its run did not finish)."""
import json
import re
import sys

passed = failed = skipped = 0


def count_tap(out):
    ok = len(re.findall(r"^ok \d*(?! .*# SKIP)", out, re.M))
    skip = len(re.findall(r"^ok \d* ?.*# SKIP", out, re.M))
    bad = len(re.findall(r"^not ok", out, re.M))
    return ok, skip, bad


for path in sys.argv[1:]:
    if path.endswith(".tap"):
        try:
            with open(path) as tap:
                ok, skip, bad = count_tap(tap.read())
        except OSError as e:
            ok, skip, bad = 0, 0, 1
            print(f"failed: {path} ({e.strerror})", file=sys.stderr)
        passed += ok
        failed += bad
        skipped += skip
        continue
    with open(path) as log:
        for line in log:
            test = json.loads(line)
            ok, skip, bad = count_tap(test.get("stdout") or "")
            if test["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and bad == 0:
                bad = 1
                print(f"failed: {test['name']} ({test['result']})", file=sys.stderr)
            passed += ok
            failed += bad
            skipped += skip
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
