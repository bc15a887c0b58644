#!/bin/sh
# Listed files (jest, RSpec, knapsack) weigh the sum of their tests plus
# their set-up time, also when the report names them by a backslashed
# path or by basename only; a real jest-junit report plans by its files.
. "$(dirname "$0")/lib.sh"

cat >j.xml <<'XML'
<testsuites>
<testsuite name="__tests__\main.test.js" time="3"><testcase classname="" name="a" time="1"/><testcase classname="" name="b" time="1.5"/></testsuite>
<testsuite name="util.test.js" time="1"><testcase classname="" name="c" time="0.5"/></testsuite>
<testsuite name="x/dup.test.js" time="1"><testcase classname="" name="d" time="1"/></testsuite>
<testsuite name="y/dup.test.js" time="1"><testcase classname="" name="e" time="1"/></testsuite>
</testsuites>
XML
expect_status 0 "$SHARD" ingest j.xml
printf 'src/__tests__/main.test.js\nsrc/lib/util.test.js\nz/dup.test.js\n' >ids.txt
expect_status 0 "$SHARD" plan --tests ids.txt --shards 3
$PY -c 'import json
p=json.load(open("out")); s={t:sh["predicted_seconds"] for sh in p["shards"] for t in sh["tests"]}
assert abs(s["src/__tests__/main.test.js"]-3.0)<1e-9, s
assert abs(s["src/lib/util.test.js"]-1.0)<1e-9, s
assert p["estimates"]["file"]==2, p["estimates"]
# dup.test.js names two files: not matched by basename
assert p["estimates"]["median"]==1, p["estimates"]' || fail "file weights"

f="$DATA/junit/dorny__test-reporter/external_jest_jest-test-results.xml"
rm -rf .shard
expect_status 0 "$SHARD" ingest "$f"
xmllint --xpath '//testsuite/@name' "$f" | sed 's/ name="\([^"]*\)"/\1\n/g' |
    grep '\.js$' | sort -u >files.txt
[ -s files.txt ] || fail "no jest files in $f"
expect_status 0 "$SHARD" plan --tests files.txt --shards 4
$PY -c 'import json,sys
p=json.load(open("out")); n=int(sys.argv[1])
assert p["estimates"]["file"]==n, (p["estimates"], n)' "$(wc -l <files.txt)" ||
    fail "jest files not weighed from history"
