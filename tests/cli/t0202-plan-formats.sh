#!/bin/sh
# Plan formats (json, list, null, github-matrix), determinism under a
# shuffled list, CRLF and duplicate ids, stdin, --collect and CI variables.
. "$(dirname "$0")/lib.sh"
f="$DATA/durations/City-of-Helsinki__tilavarauspalvelu-core__test_durations.json"
expect_status 0 "$SHARD" ingest "$f"
json_ids "$f" >ids.txt
n=$(wc -l <ids.txt)

expect_status 0 "$SHARD" plan --tests ids.txt --shards 5 -o plan.json
$PY -c 'import json,hashlib
p=json.load(open("plan.json"))
assert p["version"]==1 and len(p["shards"])==5
h=hashlib.sha256()
for s in p["shards"]:
    h.update(b"shard %d\n" % s["index"])
    for t in s["tests"]: h.update(t.encode()+b"\n")
assert h.hexdigest()==p["plan_hash"], "plan_hash mismatch"
assert p["predicted_makespan_seconds"] >= p["lower_bound_seconds"] - 1e-6
assert abs(max(s["predicted_seconds"] for s in p["shards"]) - p["predicted_makespan_seconds"]) < 1e-5
' || fail "bad plan json"

# the same list shuffled, with CRLF, blank lines and a duplicate: same bytes
$PY -c 'import random
ids=open("ids.txt").read().split("\n")[:-1]
random.Random(7).shuffle(ids)
open("shuffled.txt","w",newline="").write("\r\n".join(ids+[ids[0],"",""])+"\r\n")'
expect_status 0 "$SHARD" plan --tests shuffled.txt --shards 5 -o plan2.json
expect_grep "1 duplicate test id collapsed" err
cmp plan.json plan2.json || fail "plan differs for a shuffled list"
expect_status 0 "$SHARD" plan --tests - --shards 5 -o plan3.json <ids.txt
cmp plan.json plan3.json || fail "plan from stdin differs"
expect_status 0 "$SHARD" plan --shards 5 -o plan4.json --collect -- cat ids.txt
cmp plan.json plan4.json || fail "collected plan differs"

# list and null hold exactly one shard's ids; all shards cover the list
: >all.txt
for i in 0 1 2 3 4; do
    expect_status 0 "$SHARD" plan --tests ids.txt --shards 5 --index $i --format list
    cat out >>all.txt
    expect_status 0 "$SHARD" plan --tests ids.txt --shards 5 --index $i --format null
    tr '\0' '\n' <out >null$i.txt
done
[ "$(wc -l <all.txt)" -eq "$n" ] || fail "list shards do not cover the list"
[ "$(sort all.txt | uniq | wc -l)" -eq "$n" ] || fail "an id is in two shards"
expect_status 0 "$SHARD" plan --tests ids.txt --shards 5 --index 3 --format list
cmp out null3.txt || fail "null and list differ"

# github-matrix: indexes only
expect_status 0 "$SHARD" plan --tests ids.txt --shards 3 --format github-matrix
expect_grep '^matrix=\{"include":\[\{"index":0,"predicted_seconds":[0-9.]+\},\{"index":1,' out
grep -q '::' out && fail "test ids in the matrix"

# CI variables: GitLab is 1-based; SHARD_* wins over it; flags win over all
expect_status 0 "$SHARD" plan --tests ids.txt --shards 5 --index 1 --format list
cp out want1.txt
GITLAB_CI=true CI_NODE_INDEX=2 CI_NODE_TOTAL=5 \
    expect_status 0 "$SHARD" plan --tests ids.txt --format list
cmp out want1.txt || fail "GitLab's CI_NODE_INDEX=2 is not shard 1"
GITLAB_CI=true CI_NODE_INDEX=4 CI_NODE_TOTAL=5 SHARD_INDEX=1 \
    expect_status 0 "$SHARD" plan --tests ids.txt --format list
cmp out want1.txt || fail "SHARD_INDEX does not win over CI_NODE_INDEX"
CIRCLECI=true CIRCLE_NODE_INDEX=1 CIRCLE_NODE_TOTAL=5 \
    expect_status 0 "$SHARD" plan --tests ids.txt --format list
cmp out want1.txt || fail "CircleCI index"
TEST_SHARD_INDEX=1 TEST_TOTAL_SHARDS=5 TEST_SHARD_STATUS_FILE=$SCRATCH/status \
    expect_status 0 "$SHARD" plan --tests ids.txt --format list
cmp out want1.txt || fail "Bazel index"
[ -f status ] || fail "Bazel status file not touched"

# no history: equal weights, and the plan says so
expect_status 0 "$SHARD" plan --history none.db --tests ids.txt --shards 2
expect_grep "all weighted equally" err
expect_grep '"warning":"no history for these tests: all weighted equally"' out
