#!/bin/sh
# shard history show counts runs, tests and results (text and JSON);
# prune keeps the N most recent runs, deletes the tests no kept run saw,
# and the file shrinks; estimates of kept tests survive; usage errors
# exit 2.
. "$(dirname "$0")/lib.sh"

# junit FILE RUN: 3 tests every run shares, 300 only this run has
junit() {
    $PY - "$1" "$2" <<'PY'
import sys
out, run = sys.argv[1], sys.argv[2]
cases = ['<testcase classname="keep.K" name="t%d" time="%d.5"/>' % (i, i)
         for i in range(3)]
cases += ['<testcase classname="only.R%s" name="case_%03d_%s" time="0.01"/>'
          % (run, i, "x" * 40) for i in range(300)]
open(out, "w").write("<testsuite>%s</testsuite>\n" % "".join(cases))
PY
}

# no history yet: zero counts, exit 0
expect_status 0 "$SHARD" history show
expect_grep "^runs +0" out
expect_grep "none yet" out
expect_status 0 "$SHARD" history show --format json
expect_grep '"runs":0' out

for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    junit r$i.xml $i
    expect_status 0 "$SHARD" ingest --run-id run$i r$i.xml
done
expect_status 0 "$SHARD" history show
expect_grep "^runs +12 \(oldest run1, newest run12\)" out
expect_grep "^tests +3603$" out
expect_grep "^results +3636$" out
expect_status 0 "$SHARD" history show -f json
$PY -c 'import json,sys
d = json.load(open("out"))
assert (d["runs"], d["tests"], d["results"]) == (12, 3603, 3636), d
assert d["oldest_run"] == "run1" and d["newest_run"] == "run12", d
assert d["bytes"] > 0 and d["history"] == ".shard/history.db", d' ||
    fail "show --format json"
est_before=$(sql "SELECT key, estimate FROM tests WHERE key LIKE 'keep.%' ORDER BY key")

size_before=$(wc -c <.shard/history.db)
expect_status 0 "$SHARD" history prune --keep-runs 2
expect_grep "deleted 10 runs, 3030 results, 3000 tests" err
size_after=$(wc -c <.shard/history.db)
[ "$size_after" -lt "$size_before" ] ||
    fail "prune did not shrink the file: $size_before -> $size_after"
[ "$(sql 'SELECT run_key FROM runs ORDER BY run_key')" = "$(printf 'run11\nrun12')" ] ||
    fail "prune kept the wrong runs"
[ "$(sql 'SELECT count(*) FROM tests')" = 603 ] || fail "tests no kept run saw remain"
[ "$(sql 'SELECT count(*) FROM sources')" = 2 ] || fail "sources of old runs remain"
[ "$(sql 'SELECT count(*) FROM results')" = 606 ] || fail "results of old runs remain"
[ "$(sql "SELECT key, estimate FROM tests WHERE key LIKE 'keep.%' ORDER BY key")" = "$est_before" ] ||
    fail "prune changed the estimates of kept tests"
[ ! -s .shard/history.db-wal ] || fail "prune left a WAL behind"

# pruning to more runs than there are changes nothing
expect_status 0 "$SHARD" history prune
expect_grep "deleted 0 runs" err
[ "$(sql 'SELECT count(*) FROM runs')" = 2 ] || fail "default prune"

# the default retention is documented
expect_status 0 "$SHARD" history prune --help
expect_grep "keep the N most recent runs \(default: 50\)" out

# usage errors
expect_status 2 "$SHARD" history prune --keep-runs 0
expect_grep "keep-runs '0'" err
expect_status 2 "$SHARD" history prune --keep-runs ten
expect_status 2 "$SHARD" history show extra
expect_status 2 "$SHARD" history show --format xml
expect_status 2 "$SHARD" history frobnicate
expect_grep "'history frobnicate' is not a shard command" err
expect_status 2 "$SHARD" history
expect_status 0 "$SHARD" history --help
expect_grep "^  prune " out
expect_status 0 "$SHARD" help history
