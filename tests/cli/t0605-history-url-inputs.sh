#!/bin/sh
# shard ingest and shard merge take http(s):// inputs: downloaded to a
# temporary file first, then read like a file; messages name the URL
# without its query; a missing object or an unreachable server is exit 3.
. "$(dirname "$0")/lib.sh"
objstore_start
BASE="http://127.0.0.1:$PORT/reports"

printf '<testsuite name="a"><testcase classname="m.A" name="t1" time="1.5"/><testcase classname="m.A" name="t2" time="0.5"><failure/></testcase></testsuite>\n' >a.xml
printf '<testsuite name="b"><testcase classname="m.B" name="t3" time="2"/></testsuite>\n' >b.xml
$OBJSTORE put "$BASE/a.xml" a.xml
$OBJSTORE put "$BASE/b.xml" b.xml

expect_status 0 "$SHARD" ingest --run-id r1 "$BASE/a.xml?sig=s1gn4ture" b.xml
expect_grep "^http://127.0.0.1:$PORT/reports/a.xml\?REDACTED: 2 tests \(1 failed" err
! grep -q s1gn4ture err || fail "the query was printed"
[ "$(sql 'SELECT count(*) FROM results')" = 3 ] || fail "URL input not ingested"
# the same content from a file is the same source: not counted twice
expect_status 0 "$SHARD" ingest --run-id r1 a.xml
expect_grep "already recorded for run r1" err

expect_status 0 "$SHARD" merge -o merged.xml "$BASE/a.xml" "$BASE/b.xml?sig=s1gn4ture"
expect_grep "merged 2 files: 3 tests, 1 failed" err
expect_status 0 "$SHARD" merge -o local.xml a.xml b.xml
cmp merged.xml local.xml || fail "merging URLs differs from merging files"

# a missing object and a dead server: exit 3, nothing written
expect_status 3 "$SHARD" merge -o out.xml "$BASE/missing.xml?sig=s1gn4ture" a.xml
expect_grep "^shard: GET http://127.0.0.1:$PORT/reports/missing.xml\?REDACTED: HTTP 404" err
[ ! -e out.xml ] || fail "merge wrote a partial output"
expect_status 3 "$SHARD" ingest --run-id r2 "$BASE/missing.xml"
expect_grep "HTTP 404" err
! grep -q s1gn4ture err || fail "the query was printed"
