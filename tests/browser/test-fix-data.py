#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Cockpit page's one-click fix from a finding's fix as data
(cockpit/virt-realize.js: fixLabel, applyDataFix), run in headless Chromium
on a planned XML: it changes what `virt-realize edit --set/--remove` would
and refuses an XPath that selects nothing. TAP; exit 77 without Chromium."""
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE_JS = os.path.join(HERE, "..", "..", "cockpit", "virt-realize.js")

XML = ("<domain type='kvm'><name>g</name><vcpu placement='static'>300</vcpu>"
       "<cpu mode='host-passthrough'/><devices><video><model type='qxl'/>"
       "</video><video><model type='vga'/></video></devices></domain>")

# fix -> what the XML must hold after it (a substring), or the error.
CASES = [
    ({"xpath": "/domain/vcpu", "value": "1"},
     '<vcpu placement="static">1</vcpu>'),
    ({"xpath": "/domain/cpu/@mode", "value": "custom"},
     '<cpu mode="custom"/>'),
    ({"xpath": "/domain/cpu/@check", "value": "none"},
     '<cpu mode="host-passthrough" check="none"/>'),
    ({"xpath": "/domain/devices/video[1]", "remove": True},
     '<devices><video><model type="vga"/></video></devices>'),
    ({"xpath": "/domain/vcpu/@placement", "remove": True},
     '<vcpu>300</vcpu>'),
    ({"xpath": "/domain/nothing/@x", "value": "1"},
     'InvalidParameter (32773): /domain/nothing/@x selects nothing'),
    ({"xpath": "/domain/nothing", "remove": True},
     'InvalidParameter (32773): /domain/nothing selects nothing'),
]


def functions():
    text = open(PAGE_JS).read()
    start = text.index("function fixLabel")
    return text[start:text.index("function fixCell")]


def page(js):
    cases = ",".join("[%s]" % repr(c[0]).replace("True", "true")
                     for c in CASES)
    return """<html><body><pre id="out"></pre><script>
%s
const out = [];
for (const [fix] of [%s]) {
  const doc = new DOMParser().parseFromString(%r, "application/xml");
  try {
    applyDataFix(doc, fix);
    out.push(fixLabel(fix) + " => " + new XMLSerializer().serializeToString(doc));
  } catch (e) {
    out.push(fixLabel(fix) + " => " + e.message);
  }
}
document.getElementById("out").textContent = out.join("\\n");
</script></body></html>""" % (js, cases, XML)


def main():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("1..0 # SKIP chromium is not installed")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fix.html")
        with open(path, "w") as f:
            f.write(page(functions()))
        dom = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--user-data-dir=" + os.path.join(tmp, "profile"),
             "--dump-dom", "file://" + path],
            capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    lines = html.unescape(found.group(1)).split("\n") if found else []
    print("1..%d" % len(CASES))
    failed = 0
    for i, (fix, want) in enumerate(CASES):
        got = lines[i] if i < len(lines) else "(no result)"
        ok = want in got
        failed += 0 if ok else 1
        print("%s %d %s" % ("ok" if ok else "not ok", i + 1, fix["xpath"]))
        if not ok:
            print("# want %s\n# got  %s" % (want, got))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
