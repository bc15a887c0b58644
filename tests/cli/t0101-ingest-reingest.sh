#!/bin/sh
# Re-ingesting one report for the same run never double-counts; a bad file
# among good ones is reported and skipped while the others land (exit 2);
# a missing file is invalid input (exit 2).
. "$(dirname "$0")/lib.sh"
pytest_xml="$DATA/junit/EnricoMi__publish-unit-test-result-action/pytest_junit.fail.xml"
n=$(xmllint --xpath 'count(//testcase)' "$pytest_xml")

expect_status 0 "$SHARD" ingest --run-id r1 "$pytest_xml"
expect_status 0 "$SHARD" ingest --run-id r1 "$pytest_xml"
expect_grep "already recorded for run r1, skipped" err
[ "$(sql 'SELECT count(*) FROM results')" = "$n" ] || fail "double-counted"
[ "$(sql 'SELECT count(*) FROM runs')" = 1 ] || fail "two runs"

# without a run id the content names the run: still counted once
expect_status 0 "$SHARD" ingest "$pytest_xml"
expect_status 0 "$SHARD" ingest "$pytest_xml"
expect_grep "already recorded for run sha256:" err
[ "$(sql 'SELECT count(*) FROM results')" = "$((n * 2))" ] || fail "content run"

# the same report through stdin is the same content
expect_status 0 "$SHARD" ingest - <"$pytest_xml"
expect_grep "already recorded" err

# good, malformed, good: both good files land, exit 2 at the end
cp "$pytest_xml" a.xml
printf '<testsuite><testcase name="x">' >bad.xml
sed 's/test_spark/test_other/g' "$pytest_xml" >b.xml
expect_status 2 "$SHARD" ingest --run-id r2 a.xml bad.xml b.xml
expect_grep "^shard: bad.xml:[0-9]+:[0-9]+: " err
[ "$(sql "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.run_key = 'r2'")" = "$((n * 2))" ] ||
    fail "good files around a bad one did not land"

expect_status 2 "$SHARD" ingest no-such-file.xml
expect_grep "no-such-file.xml: No such file" err
expect_status 2 "$SHARD" ingest
expect_grep "no files given" err

# shards that shard run recorded, then their merged report ingested under
# the same run id: each result once (it was recorded twice)
FAKE=$REPO/tests/cli/fake-runner.py
printf 'c.a\nc.b\nc.fail_c\nc.d\nc.e\nc.f\n' >six.txt
HISTORY=merged.db
for i in 0 1 2; do
    "$SHARD" run --history merged.db --run-id m1 --tests six.txt --shards 3 \
        --index "$i" -o "m-$i.xml" -- "$FAKE" {} >/dev/null 2>&1
done
[ "$(sql 'SELECT count(*) FROM results')" = 6 ] ||
    fail "the shards recorded $(sql 'SELECT count(*) FROM results') results"
expect_status 0 "$SHARD" merge -o m.xml m-0.xml m-1.xml m-2.xml
expect_status 0 "$SHARD" ingest --history merged.db m.xml
expect_grep "6 results of shards that shard run had recorded for run m1" err
[ "$(sql 'SELECT count(*) FROM results')" = 6 ] ||
    fail "results doubled: $(sql 'SELECT count(*) FROM results')"
[ "$(sql 'SELECT count(*) FROM shards')" = 3 ] || fail "shards doubled"
# a report no shard recorded is still taken whole
expect_status 0 "$SHARD" ingest --history merged.db --run-id m2 m.xml
[ "$(sql "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id
          WHERE u.run_key = 'm2'")" = 6 ] || fail "run m2 lost results"

# shards run from one plan file with no run id in common: each records
# as a run of its own, and their merged report, ingested with no run id,
# goes into the first shard's run; every result is still there once
HISTORY=apart.db
"$SHARD" plan --tests six.txt --shards 3 -o six.json 2>/dev/null ||
    fail "plan six.json"
for i in 0 1 2; do
    "$SHARD" run --history apart.db --plan six.json --index "$i" \
        -o "a-$i.xml" -- "$FAKE" {} >/dev/null 2>&1
done
[ "$(sql 'SELECT count(DISTINCT run_id) FROM results')" = 3 ] ||
    fail "the shards did not record as three runs"
expect_status 0 "$SHARD" merge -o a.xml a-0.xml a-1.xml a-2.xml
expect_status 0 "$SHARD" ingest --history apart.db a.xml
[ "$(sql 'SELECT count(*) FROM results')" = 6 ] ||
    fail "results doubled across runs: $(sql 'SELECT count(*) FROM results')"
[ "$(sql 'SELECT count(*) FROM shards')" = 3 ] ||
    fail "shards doubled across runs: $(sql 'SELECT count(*) FROM shards')"
