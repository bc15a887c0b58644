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
