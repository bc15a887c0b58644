#!/bin/sh
# Timing JSON (pytest-split, knapsack) ingests and plans by its ids; bad
# JSON is rejected naming the file, with nothing written.
. "$(dirname "$0")/lib.sh"

f="$DATA/durations/bram2w__baserow__backend_.test_durations.json"
expect_status 0 "$SHARD" ingest "$f"
expect_grep "5753 tests .* from timing JSON" err
[ "$(sql 'SELECT count(*) FROM tests')" = 5753 ] || fail "tests not stored"
# the 35,179-character id survives byte for byte
json_ids "$f" >ids.txt
expect_status 0 "$SHARD" plan --tests ids.txt --shards 4
$PY -c 'import json,sys
p=json.load(open("out")); ids=[t for s in p["shards"] for t in s["tests"]]
want=json.load(open(sys.argv[1]))
assert sorted(ids)==sorted(want), "ids differ"
assert p["estimates"]["history"]==len(want), p["estimates"]
assert max(map(len,ids))==35179' "$f" || fail "plan lost or changed ids"

before=$(sql 'SELECT count(*) FROM results')
printf '{"a::b": 1.0, "c::d": "slow"}\n' >bad-value.json
expect_status 2 "$SHARD" ingest bad-value.json
expect_grep "bad-value.json:1: the time of 'c::d' is not a number" err
printf '[1, 2]\n' >array.json
expect_status 2 "$SHARD" ingest array.json
expect_grep "array.json: expected an object" err
printf '{"a": 1,\n "b": }\n' >broken.json
expect_status 2 "$SHARD" ingest broken.json
expect_grep "broken.json: not valid JSON" err
printf 'hello\n' >text.txt
expect_status 2 "$SHARD" ingest text.txt
expect_grep "text.txt:1:1: neither JUnit XML nor timing JSON" err
: >empty.json
expect_status 2 "$SHARD" ingest empty.json
expect_grep "empty.json:1:1: empty file" err
[ "$(sql 'SELECT count(*) FROM results')" = "$before" ] || fail "bad JSON wrote"
