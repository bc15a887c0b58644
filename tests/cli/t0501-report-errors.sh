#!/bin/sh
# shard report refuses bad input with exit 2 and a message that says
# what was wrong, and writes no partial output file; an empty history
# gives an empty report.
. "$(dirname "$0")/lib.sh"

expect_status 2 "$SHARD" report
expect_grep "^shard: \.shard/history\.db: no history here; record some with 'shard ingest'" err
expect_status 2 "$SHARD" report --history nowhere.db -o r.json
expect_grep "nowhere\.db: no history here" err
[ -e r.json ] && fail "an output file was written on error"

$PY "$REPO/tests/cli/t05-report-history.py" 1 run1
expect_status 0 "$SHARD" ingest -q --run-id r1 run1/*.xml

expect_status 2 "$SHARD" report --last 0
expect_grep "last" err
expect_status 2 "$SHARD" report --last 1001
expect_status 2 "$SHARD" report --last ten
expect_status 2 "$SHARD" report --top 0
expect_status 2 "$SHARD" report --format xml
expect_grep "^shard report: --format 'xml': expected text, markdown, html or json" err
expect_status 2 "$SHARD" report extra
expect_grep "unexpected argument 'extra'" err
expect_status 3 "$SHARD" report -o no-such-dir/r.txt
expect_grep "no-such-dir/r.txt" err

expect_status 0 "$SHARD" report --help
expect_grep '^usage: shard report \[OPTIONS\]' out
expect_grep '--last N' out

# a history file that is not SQLite: invalid input, named
echo "not a database" >bad.db
expect_status 2 "$SHARD" report --history bad.db
expect_grep 'bad.db: not a shard history' err

# a history with no runs yet: an empty report, not an error
cp .shard/history.db empty.db
$PY -c 'import sqlite3; d=sqlite3.connect("empty.db")
for t in ("results","shards","sources","tests","runs"): d.execute("DELETE FROM "+t)
d.commit()'
expect_status 0 "$SHARD" report --history empty.db -f json
$PY -c 'import json; r=json.load(open("out")); assert r["runs"] == [] and r["latest_shards"] == []' ||
    fail "empty history"
expect_status 0 "$SHARD" report --history empty.db
expect_grep 'No runs recorded yet' out
exit 0
