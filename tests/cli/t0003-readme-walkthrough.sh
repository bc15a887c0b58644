#!/bin/sh
# The README's "Five minutes with a pytest suite" works as written: its
# command block runs, in a small pytest project, with shard on PATH, and
# ends with one run of every test in history and a balanced plan.
. "$(dirname "$0")/lib.sh"

# the block: the indented lines after the heading, up to the prose
$PY - "$REPO/README.md" >walk.sh <<'PY' || fail "no walk-through in README"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
i = lines.index("## Five minutes with a pytest suite")
block, started = [], False
for line in lines[i + 1:]:
    if line.startswith("    "):
        started = True
        block.append(line[4:])
    elif started and line.strip():
        break
assert block, "empty block"
print("set -e")
print("\n".join(block))
PY
grep -q '^shard plan' walk.sh || fail "the block has no shard plan"

mkdir -p proj/tests bin
ln -s "$SHARD" bin/shard
for i in 1 2 3 4 5 6; do
    cat >"proj/tests/test_m$i.py" <<PYT
import time
def test_slow():
    time.sleep(0.0$i * 3)
def test_quick():
    assert $i > 0
PYT
done
cd proj
# Debian's python3 has pytest
PATH=$SCRATCH/bin:/usr/bin:$PATH sh ../walk.sh >../out 2>../err ||
    { cat ../err >&2; fail "the walk-through failed"; }
cd ..
expect_grep "all weighted equally" err
expect_grep "left as they were" err
[ "$(wc -l <proj/tests.txt)" = 12 ] || fail "tests.txt: $(cat proj/tests.txt)"
HISTORY=proj/.shard/history.db
[ "$(sql 'SELECT count(*) FROM runs')" = 1 ] || fail "not one run"
[ "$(sql 'SELECT count(*) FROM results')" = 12 ] ||
    fail "$(sql 'SELECT count(*) FROM results') results for 12 tests"
# the second plan is planned from the timings: every shard holds tests
$PY - proj/plan.json <<'PY' || fail "the second plan is not from history"
import json, sys
p = json.load(open(sys.argv[1]))
assert len(p["shards"]) == 3 and all(s["tests"] for s in p["shards"]), p
assert p["predicted_makespan_seconds"] < 1, p["predicted_makespan_seconds"]
PY
expect_grep "Slowest tests" out
