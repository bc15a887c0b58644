#!/bin/sh
# merge --plan: planned tests missing from the reports become errors in a
# "shard" suite (exit 1), tests not in the plan are named on stderr, and a
# plan whose hash does not match its shards is refused.
. "$(dirname "$0")/lib.sh"

printf 'tests/test_a.py::test_one\ntests/test_a.py::TestK::test_two[x::y]\ntests/test_b.py::test_gone\n' >ids.txt
expect_status 0 "$SHARD" plan --history none.db --tests ids.txt --shards 2 -o plan.json
cat >r.xml <<'XML'
<testsuite name="pytest">
<testcase classname="tests.test_a" name="test_one" file="tests/test_a.py" time="1"/>
<testcase classname="tests.test_a.TestK" name="test_two[x::y]" time="1"/>
<testcase classname="tests.test_c" name="test_extra" time="1"/>
</testsuite>
XML
expect_status 1 "$SHARD" merge --plan plan.json -o m.xml r.xml
expect_grep "planned but not reported: tests/test_b.py::test_gone" err
expect_grep "reported but not planned: tests.test_c.test_extra" err
expect_grep "1 planned but missing, 1 not in the plan" err
[ "$(xmllint --xpath 'count(//testsuite[@name="shard"]/testcase/error)' m.xml)" = 1 ] ||
    fail "missing test not reported as an error"
[ "$(xmllint --xpath 'string(/testsuites/@errors)' m.xml)" = 1 ] || fail "root errors"

# nothing missing: exit 0
head -n 2 ids.txt >ids2.txt
expect_status 0 "$SHARD" plan --history none.db --tests ids2.txt --shards 1 -o plan2.json
expect_status 0 "$SHARD" merge --plan plan2.json -o m2.xml r.xml

# a plan edited after it was made
sed 's/test_one/test_uno/' plan.json >edited.json
expect_status 2 "$SHARD" merge --plan edited.json -o m3.xml r.xml
expect_grep "edited.json: plan_hash does not match" err
[ ! -e m3.xml ] || fail "output written for a bad plan"
expect_status 2 "$SHARD" merge --plan missing.json -o m3.xml r.xml
