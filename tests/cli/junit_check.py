"""Check a merged JUnit report against its inputs (used by t03xx tests).

usage: junit_check.py MERGED FOLDED INPUT...
Checks: every <testsuite>'s (but one inside a testcase, copied with it
as it was) and the root's counts equal a recount of the
testcases below them; the merged testcases are the inputs' testcases less
FOLDED folded retries, each (classname, name, outcome, time) found among
the inputs' (time compared as a number, negatives as 0).
Exits 1 with a message on the first difference.
"""
import sys
import xml.etree.ElementTree as ET

SKIP_ATTRS = {("status", "disabled"), ("status", "notrun"),
              ("result", "skipped"), ("result", "suppressed")}


def local(tag):
    return tag.rsplit("}", 1)[-1]


def outcome(tc):
    kids = {local(c.tag) for c in tc}
    if "failure" in kids:
        return "failed"
    if "error" in kids:
        return "error"
    if "skipped" in kids or any((k, tc.get(k)) in SKIP_ATTRS for k in ("status", "result")):
        return "skipped"
    return "passed"


def seconds(v):
    try:
        t = float((v or "").replace(",", ""))
    except ValueError:
        return None
    return max(t, 0.0)


def cases(root):
    return [e for e in root.iter() if local(e.tag) == "testcase"]


def recount(el):
    n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for tc in cases(el):
        n["tests"] += 1
        o = outcome(tc)
        n[{"failed": "failures", "error": "errors", "skipped": "skipped"}.get(o, "tests")] += o != "passed"
    return n


def main():
    merged, folded, inputs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    root = ET.parse(merged).getroot()
    if local(root.tag) != "testsuites":
        sys.exit("merged root is <%s>" % local(root.tag))
    inner = {id(s) for tc in cases(root) for s in tc.iter() if local(s.tag) == "testsuite"}
    for el in [root] + [e for e in root.iter() if local(e.tag) == "testsuite" and id(e) not in inner]:
        want = recount(el)
        got = {k: int(el.get(k, "-1")) for k in want}
        if got != want:
            sys.exit("%s name=%r: counts %s, recount %s" % (local(el.tag), el.get("name"), got, want))
    pool = {}
    total = 0
    for path in inputs:
        for tc in cases(ET.parse(path).getroot()):
            key = (tc.get("classname"), tc.get("name"), outcome(tc), seconds(tc.get("time")))
            pool[key] = pool.get(key, 0) + 1
            total += 1
    out = cases(root)
    if len(out) != total - folded:
        sys.exit("%d testcases merged, inputs have %d less %d folded" % (len(out), total, folded))
    for tc in out:
        key = (tc.get("classname"), tc.get("name"), outcome(tc), seconds(tc.get("time")))
        if key[1] is None and key[0] == "shard":
            continue
        if not pool.get(key):
            sys.exit("merged testcase %r is not among the inputs'" % (key,))
        pool[key] -= 1
    print("ok: %d testcases, %d folded" % (len(out), folded))


if __name__ == "__main__":
    main()
