#!/bin/sh
# shard history export/import: export then import into an empty history
# gives the same export and the same plan (same estimates); importing
# twice changes nothing; importing into a history with other runs keeps
# them all, and a run both sides have is not counted twice; bad input is
# exit 2.
. "$(dirname "$0")/lib.sh"

# junit FILE SCALE: a suite with files, a failure, a skip and a report
# carrying shard properties
junit() {
    cat >"$1" <<XML
<testsuites><testsuite name="s">
<properties><property name="shard.index" value="0"/><property name="shard.total" value="2"/>
<property name="shard.predicted_seconds" value="3.5"/></properties>
<testcase classname="tests.a" name="slow" file="tests/a.py" time="$(awk "BEGIN { print 3 * $2 }")"/>
<testcase classname="tests.a" name="mid" file="tests/a.py" time="$(awk "BEGIN { print 1.25 * $2 }")"/>
<testcase classname="tests.b" name="quick[x/y::z]" file="tests/b.py" time="0.1"/>
<testcase classname="tests.b" name="bad" file="tests/b.py" time="0.2"><failure message="no"/></testcase>
<testcase classname="tests.b" name="skipped" file="tests/b.py"><skipped/></testcase>
</testsuite></testsuites>
XML
}
junit r1.xml 1
junit r2.xml 1.5
junit r3.xml 0.75
printf '{"tests/c.py::test_json": 2.5}\n' >t.json
for r in 1 2 3; do
    expect_status 0 "$SHARD" ingest --run-id r$r --commit c$r r$r.xml
done
expect_status 0 "$SHARD" ingest --run-id r3 t.json
printf '%s\n' tests/a.py::slow tests/a.py::mid 'tests/b.py::quick[x/y::z]' \
    tests/b.py::bad tests/c.py::test_json tests/d.py::new >list.txt

expect_status 0 "$SHARD" history export -o a.json
$PY -c 'import json; d = json.load(open("a.json"))
assert d["shard_history"] == 1 and len(d["runs"]) == 3, d.keys()' ||
    fail "export is not the documented JSON"

# into an empty history: the same export, estimates and plan
expect_status 0 "$SHARD" history import --history b.db a.json
expect_grep "3 new runs, 4 new reports \(16 results\), 6 new tests" err
expect_status 0 "$SHARD" history export --history b.db -o b.json
cmp a.json b.json || fail "export -> import -> export differs"
q='SELECT key, file, estimate, sample_count, hex(samples) FROM tests ORDER BY key'
[ "$(sql "$q")" = "$(HISTORY=b.db sql "$q")" ] || fail "estimates differ"
q='SELECT s.shard_index, s.shard_total, s.predicted, s.actual, r.run_key FROM shards s JOIN runs r ON r.id = s.run_id ORDER BY 5, 1'
[ "$(sql "$q")" = "$(HISTORY=b.db sql "$q")" ] || fail "shard figures differ"
expect_status 0 "$SHARD" plan --shards 2 --tests list.txt -o plan-a.json
expect_status 0 "$SHARD" plan --history b.db --shards 2 --tests list.txt -o plan-b.json
cmp plan-a.json plan-b.json || fail "plans from the two histories differ"

# importing again changes nothing
expect_status 0 "$SHARD" history import --history b.db - <a.json
expect_grep "0 new runs, 0 new reports \(0 results\), 0 new tests" err
[ "$(HISTORY=b.db sql 'SELECT count(*) FROM results')" = 16 ] || fail "re-import doubled results"

# into a history with its own runs (r2 again, the same report, and r4)
junit r4.xml 2
expect_status 0 "$SHARD" ingest --history c.db --run-id r2 --commit c2 r2.xml
expect_status 0 "$SHARD" ingest --history c.db --run-id r4 r4.xml
expect_status 0 "$SHARD" history import --history c.db a.json
expect_grep "2 new runs, 3 new reports \(11 results\), 1 new tests" err
[ "$(HISTORY=c.db sql 'SELECT run_key FROM runs ORDER BY run_key' | tr '\n' ' ')" = "r1 r2 r3 r4 " ] ||
    fail "a run was lost in the merge"
[ "$(HISTORY=c.db sql "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.run_key = 'r2'")" = 5 ] ||
    fail "the run both sides had was counted twice"
# a test both had keeps its own samples and gains the imported ones
[ "$(HISTORY=c.db sql "SELECT sample_count FROM tests WHERE key = 'tests.a.slow'")" = 4 ] ||
    fail "samples of a known test not merged"

# errors: exit 2 naming the file
printf '{"shard_history":1,"tests":[' >broken.json
expect_status 2 "$SHARD" history import --history d.db broken.json
expect_grep "^shard: broken.json: not valid JSON" err
printf '{"shard_history":7,"tests":[],"files":[],"runs":[]}' >v7.json
expect_status 2 "$SHARD" history import --history d.db v7.json
expect_grep "broken.json|v7.json: history export version 7" err
printf '{"a":1}' >other.json
expect_status 2 "$SHARD" history import --history d.db other.json
expect_grep "other.json: not a shard history export" err
printf '{"shard_history":1,"tests":[],"files":[],"runs":[{"run_key":"x"}]}' >norun.json
expect_status 2 "$SHARD" history import --history d.db norun.json
expect_grep "norun.json: run 1: expected run_key, started_at" err
[ "$(HISTORY=d.db sql 'SELECT count(*) FROM runs')" = 0 ] || fail "a failed import left runs"
expect_status 2 "$SHARD" history import --history d.db missing.json
expect_grep "missing.json: No such file" err
expect_status 2 "$SHARD" history import
expect_grep "give one FILE" err
expect_status 2 "$SHARD" history export --history nothing-here.db
expect_grep "nothing-here.db: no history to export" err
expect_status 3 "$SHARD" history export -o no/such/dir/x.json
[ ! -e no/such/dir/x.json ] || fail "partial export"
