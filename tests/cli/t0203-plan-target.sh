#!/bin/sh
# --target-seconds picks the fewest shards that meet the target with the
# per-shard overhead; a test longer than the target is named as such.
. "$(dirname "$0")/lib.sh"
f="$DATA/durations/bram2w__baserow__backend_.test_durations.json"
expect_status 0 "$SHARD" ingest "$f"
json_ids "$f" >ids.txt

expect_status 0 "$SHARD" plan --tests ids.txt --target-seconds 120 --shard-overhead 10 -o plan.json
k=$($PY -c 'import json; p=json.load(open("plan.json")); print(len(p["shards"]))')
$PY -c 'import json; p=json.load(open("plan.json"))
assert p["predicted_makespan_seconds"] <= 120, p["predicted_makespan_seconds"]
assert p["shard_overhead_seconds"] == 10' || fail "target not met"
# one shard fewer cannot meet it
expect_status 0 "$SHARD" plan --tests ids.txt --shards $((k - 1)) --shard-overhead 10 -o fewer.json
$PY -c 'import json; p=json.load(open("fewer.json"))
assert p["predicted_makespan_seconds"] > 120' || fail "$k shards is not the fewest"
echo "target 120 s with 10 s overhead: $k shards"

# pgmpy has one 221 s test: no number of shards reaches 100 s
g="$DATA/durations/pgmpy__pgmpy__test_durations.json"
expect_status 0 "$SHARD" ingest "$g"
json_ids "$g" >pg.txt
expect_status 0 "$SHARD" plan --tests pg.txt --target-seconds 100 -o pg.json
expect_grep "a single test takes 221.1 s, longer than the target of 100.0 s" err
$PY -c 'import json; p=json.load(open("pg.json")); assert len(p["shards"]) < 256, len(p["shards"])'

# --by class keeps each class in one shard
expect_status 0 "$SHARD" plan --tests pg.txt --shards 8 --by class -o class.json
$PY -c 'import json
p=json.load(open("class.json")); where={}
for s in p["shards"]:
    for t in s["tests"]:
        c=t.rsplit("::",1)[0]
        assert where.setdefault(c, s["index"])==s["index"], c' || fail "class split"
