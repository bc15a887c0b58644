#!/bin/sh
# Retries (a repeat after a failure or error) fold into one testcase:
# flaky when the last attempt passed, with the earlier failures kept as
# flakyFailure/rerunFailure; repeats of passing tests are kept; merging is
# associative in tests, counts and outcomes.
. "$(dirname "$0")/lib.sh"

cat >a.xml <<'XML'
<testsuites><testsuite name="s" tests="4">
<testcase classname="m.C" name="flaky" time="1"><failure message="first" type="AssertionError">trace one</failure></testcase>
<testcase classname="m.C" name="broken" time="1"><error message="boom">stack</error></testcase>
<testcase classname="m.C" name="same" time="0.5"/>
<testcase classname="m.C" name="same" time="0.6"/>
</testsuite></testsuites>
XML
cat >b.xml <<'XML'
<testsuite name="s"><testcase classname="m.C" name="flaky" time="2"/>
<testcase classname="m.C" name="broken" time="3"><failure message="still">again</failure></testcase></testsuite>
XML
cat >c.xml <<'XML'
<testsuite name="s"><testcase classname="m.C" name="broken" time="4"/>
<testcase classname="m.C" name="flaky" time="5"/></testsuite>
XML

expect_status 0 "$SHARD" merge -o ab.xml a.xml b.xml
expect_grep "4 tests, 1 failed, 0 skipped, 1 flaky \(2 retries folded\)" err
$PY - <<'PY' || fail "folded testcases are wrong"
import xml.etree.ElementTree as ET
r = ET.parse("ab.xml").getroot()
cases = {}
for tc in r.iter("testcase"):
    cases.setdefault(tc.get("name"), []).append(tc)
assert len(cases["flaky"]) == 1 and len(cases["broken"]) == 1, cases
f = cases["flaky"][0]
assert f.get("time") == "2" and f.find("failure") is None, ET.tostring(f)
ff = f.find("flakyFailure")
assert ff.get("message") == "first" and ff.find("stackTrace").text == "trace one", ET.tostring(f)
b = cases["broken"][0]
assert b.find("failure").get("message") == "still" and b.find("rerunError").get("message") == "boom", ET.tostring(b)
assert len(cases["same"]) == 2, "a repeat of a passing test was dropped"
assert r.get("tests") == "4" and r.get("failures") == "1" and r.get("errors") == "0", r.attrib
PY

# merge(a, b, c) equals merge(merge(a, b), c)
expect_status 0 "$SHARD" merge -o abc.xml a.xml b.xml c.xml
expect_status 0 "$SHARD" merge -o ab_c.xml ab.xml c.xml
$PY - <<'PY' || fail "merge is not associative"
import xml.etree.ElementTree as ET
def outcomes(path):
    r = ET.parse(path).getroot()
    out = []
    for tc in r.iter("testcase"):
        kids = {c.tag for c in tc}
        o = "failed" if "failure" in kids else "error" if "error" in kids else "passed"
        out.append((tc.get("classname"), tc.get("name"), o))
    return sorted(out), {k: r.get(k) for k in ("tests", "failures", "errors", "skipped")}
assert outcomes("abc.xml") == outcomes("ab_c.xml"), (outcomes("abc.xml"), outcomes("ab_c.xml"))
tcs = outcomes("abc.xml")[0]
assert tcs.count(("m.C", "broken", "passed")) == 1 and tcs.count(("m.C", "flaky", "passed")) == 2, tcs
PY

# --keep-duplicates: nothing folded
expect_status 0 "$SHARD" merge --keep-duplicates -o keep.xml a.xml b.xml
expect_grep "6 tests, 2 failed, 1 errors" err
[ "$(xmllint --xpath 'count(//testcase)' keep.xml)" = 6 ] || fail "duplicates folded"

# retries within one file, as Gradle's test-retry writes them
cat >g.xml <<'XML'
<testsuite name="g"><testcase classname="G" name="t" time="1"><failure message="x"/></testcase>
<testcase classname="G" name="t" time="1.5"/></testsuite>
XML
expect_status 0 "$SHARD" merge -o g-out.xml g.xml
expect_grep "1 tests, 0 failed, 0 skipped, 1 flaky" err
[ "$(xmllint --xpath 'count(//testcase/flakyFailure)' g-out.xml)" = 1 ] || fail "no flakyFailure"
expect_status 1 "$SHARD" merge --fail-on-failure -o f.xml a.xml

# a retry more than a write buffer (1 MiB) after its failed attempt: the
# attempt, already in the file, is blanked there; counts patched in place
$PY - <<'PY'
with open("big1.xml", "w") as f:
    f.write('<testsuite name="big"><testcase classname="B" name="t"><failure message="early">x</failure></testcase>\n')
    for i in range(12000):
        f.write('<testcase classname="B" name="p%d" time="0.1"><system-out>%s</system-out></testcase>\n' % (i, "o" * 80))
    f.write('</testsuite>\n')
with open("big2.xml", "w") as f:
    f.write('<testsuite name="big2"><testcase classname="B" name="t" time="2"/></testsuite>\n')
PY
expect_status 0 "$SHARD" merge -o big.xml big1.xml big2.xml
expect_grep "12,001 tests, 0 failed, 0 skipped, 1 flaky \(1 retries folded\)" err
xmllint --noout big.xml || fail "big merge not well-formed"
[ "$(xmllint --xpath 'count(//failure)' big.xml)" = 0 ] || fail "folded attempt left in place"
[ "$(xmllint --xpath 'string(/testsuites/testsuite[@name="big"]/@tests)' big.xml)" = 12000 ] ||
    fail "first suite's count not patched"
$PY "$REPO/tests/cli/junit_check.py" big.xml 1 big1.xml big2.xml >/dev/null ||
    fail "big merge counts"
