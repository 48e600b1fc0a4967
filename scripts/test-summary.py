#!/usr/bin/env python3
"""Sums meson test logs into one line 'N passed, N failed, N skipped'.

Counts the TAP subtests of each test program; a program that failed
without reporting a failing subtest (a crash, a sanitizer report, a
timeout) counts as one more failure."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as log:
        for line in log:
            test = json.loads(line)
            out = test.get("stdout") or ""
            ok = len(re.findall(r"^ok \d+(?! .*# SKIP)", out, re.M))
            skip = len(re.findall(r"^ok \d+ .*# SKIP", out, re.M))
            bad = len(re.findall(r"^not ok \d+", out, re.M))
            if test["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and bad == 0:
                bad = 1
                print(f"failed: {test['name']} ({test['result']})", file=sys.stderr)
            passed += ok
            failed += bad
            skipped += skip
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
