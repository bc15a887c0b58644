#!/bin/sh
# For every real timing file and K in 2..64: after `shard ingest`, the plan
# is valid and its makespan is no worse than LPT's (pytest-split's
# least_duration), as scored by tests/tools/plan_eval.py; by file too
# where the ids are pytest node ids.
. "$(dirname "$0")/lib.sh"

check() { # FILE K BY
    expect_status 0 "$SHARD" plan --tests ids.txt --shards "$2" --by "$3" \
        --format json -o plan.json
    $PY "$TOOLS/plan_eval.py" "$1" "$2" --by "$3" --plan plan.json >score ||
        { cat score; fail "invalid plan for $1 k=$2 by $3"; }
    lpt=$(sed -n 's/^lpt  *makespan= *\([0-9.]*\)s.*/\1/p' score)
    ours=$(sed -n 's/^plan  *makespan= *\([0-9.]*\)s.*/\1/p' score)
    [ -n "$lpt" ] && [ -n "$ours" ] || fail "no score for $1 k=$2"
    awk -v a="$ours" -v b="$lpt" 'BEGIN { exit !(a <= b) }' ||
        fail "$(basename "$1") k=$2 by $3: makespan $ours > LPT $lpt"
    echo "$(basename "$1") k=$2 by=$3 lpt=$lpt shard=$ours"
}

n=0
for f in "$DATA"/durations/*.json; do
    rm -rf .shard
    expect_status 0 "$SHARD" ingest "$f"
    json_ids "$f" >ids.txt
    for k in 2 4 8 16 32 64; do
        check "$f" "$k" test
        if grep -q '::' ids.txt; then
            check "$f" "$k" file
        fi
        n=$((n + 1))
    done
done
[ "$n" -ge 48 ] || fail "only $n plans checked"
