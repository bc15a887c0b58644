#!/bin/sh
# shard history export/import: export then import into an empty history
# gives the same export and the same plan (same estimates); importing
# twice changes nothing; importing into a history with other runs keeps
# them all, and a run both sides have is not counted twice; bad input is
# exit 2. A PostgreSQL history (the run's server, or one of its own):
# SQLite -> JSON -> PostgreSQL -> JSON -> SQLite loses nothing (the same
# JSON, shard plan hashes and list digests included, the same plans), and
# prune and show work on it as on SQLite.
. "$(dirname "$0")/lib.sh"

# junit FILE SCALE: a suite with files, a failure, a skip and a report
# carrying shard properties
junit() {
    cat >"$1" <<XML
<testsuites><testsuite name="s">
<properties><property name="shard.index" value="0"/><property name="shard.total" value="2"/>
<property name="shard.predicted_seconds" value="3.5"/></properties>
<testcase classname="tests.a" name="slow" file="tests/a.py" time="$(awk "BEGIN { print 3 * $2 }")"/>
<testcase classname="tests.a" name="mid" file="tests/a.py" time="$(awk "BEGIN { print 1.25 * $2 }")"/>
<testcase classname="tests.b" name="quick[x/y::z]" file="tests/b.py" time="0.1"/>
<testcase classname="tests.b" name="bad" file="tests/b.py" time="0.2"><failure message="no"/></testcase>
<testcase classname="tests.b" name="skipped" file="tests/b.py"><skipped/></testcase>
</testsuite></testsuites>
XML
}
junit r1.xml 1
junit r2.xml 1.5
junit r3.xml 0.75
printf '{"tests/c.py::test_json": 2.5}\n' >t.json
for r in 1 2 3; do
    expect_status 0 "$SHARD" ingest --run-id r$r --commit c$r r$r.xml
done
expect_status 0 "$SHARD" ingest --run-id r3 t.json
printf '%s\n' tests/a.py::slow tests/a.py::mid 'tests/b.py::quick[x/y::z]' \
    tests/b.py::bad tests/c.py::test_json tests/d.py::new >list.txt

# each shard's plan and list, as a planned run records them (r1: both,
# r2: the plan only, r3: neither); every round trip below carries them
h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
$PY -c 'import sqlite3, sys
db = sqlite3.connect(".shard/history.db")
db.execute("UPDATE shards SET plan_hash = ?, list_digest = ? WHERE run_id ="
           " (SELECT id FROM runs WHERE run_key = ?)", (sys.argv[1], "L1", "r1"))
db.execute("UPDATE shards SET plan_hash = ? WHERE run_id ="
           " (SELECT id FROM runs WHERE run_key = ?)", (sys.argv[1], "r2"))
db.commit()' "$h" || fail "cannot set shard plans"

expect_status 0 "$SHARD" history export -o a.json
$PY -c 'import json, sys; d = json.load(open("a.json"))
assert d["shard_history"] == 1 and len(d["runs"]) == 3, d.keys()
sh = {r["run_key"]: r["shards"][0] for r in d["runs"]}
assert sh["r1"]["plan_hash"] == sys.argv[1] and sh["r1"]["list_digest"] == "L1", sh
assert sh["r2"]["plan_hash"] == sys.argv[1] and "list_digest" not in sh["r2"], sh
assert "plan_hash" not in sh["r3"] and "list_digest" not in sh["r3"], sh' "$h" ||
    fail "export is not the documented JSON"

# into an empty history: the same export, estimates and plan
expect_status 0 "$SHARD" history import --history b.db a.json
expect_grep "3 new runs, 4 new reports \(16 results\), 6 new tests" err
expect_status 0 "$SHARD" history export --history b.db -o b.json
cmp a.json b.json || fail "export -> import -> export differs"
q='SELECT key, file, estimate, sample_count, hex(samples) FROM tests ORDER BY key'
[ "$(sql "$q")" = "$(HISTORY=b.db sql "$q")" ] || fail "estimates differ"
q='SELECT s.shard_index, s.shard_total, s.predicted, s.actual, s.plan_hash, s.list_digest, r.run_key FROM shards s JOIN runs r ON r.id = s.run_id ORDER BY 7, 1'
[ "$(sql "$q")" = "$(HISTORY=b.db sql "$q")" ] || fail "shard figures differ"
[ "$(HISTORY=b.db sql "SELECT count(*) FROM shards WHERE plan_hash = '$h'")" = 2 ] ||
    fail "shard plans not imported"
expect_status 0 "$SHARD" plan --shards 2 --tests list.txt -o plan-a.json
expect_status 0 "$SHARD" plan --history b.db --shards 2 --tests list.txt -o plan-b.json
cmp plan-a.json plan-b.json || fail "plans from the two histories differ"

# importing again changes nothing
expect_status 0 "$SHARD" history import --history b.db - <a.json
expect_grep "0 new runs, 0 new reports \(0 results\), 0 new tests" err
[ "$(HISTORY=b.db sql 'SELECT count(*) FROM results')" = 16 ] || fail "re-import doubled results"

# into a history with its own runs (r2 again, the same report, and r4)
junit r4.xml 2
expect_status 0 "$SHARD" ingest --history c.db --run-id r2 --commit c2 r2.xml
expect_status 0 "$SHARD" ingest --history c.db --run-id r4 r4.xml
expect_status 0 "$SHARD" history import --history c.db a.json
expect_grep "2 new runs, 3 new reports \(11 results\), 1 new tests" err
[ "$(HISTORY=c.db sql 'SELECT run_key FROM runs ORDER BY run_key' | tr '\n' ' ')" = "r1 r2 r3 r4 " ] ||
    fail "a run was lost in the merge"
[ "$(HISTORY=c.db sql "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.run_key = 'r2'")" = 5 ] ||
    fail "the run both sides had was counted twice"
# a test both had keeps its own samples and gains the imported ones
[ "$(HISTORY=c.db sql "SELECT sample_count FROM tests WHERE key = 'tests.a.slow'")" = 4 ] ||
    fail "samples of a known test not merged"

# errors: exit 2 naming the file
printf '{"shard_history":1,"tests":[' >broken.json
expect_status 2 "$SHARD" history import --history d.db broken.json
expect_grep "^shard: broken.json: not valid JSON" err
printf '{"shard_history":7,"tests":[],"files":[],"runs":[]}' >v7.json
expect_status 2 "$SHARD" history import --history d.db v7.json
expect_grep "broken.json|v7.json: history export version 7" err
printf '{"a":1}' >other.json
expect_status 2 "$SHARD" history import --history d.db other.json
expect_grep "other.json: not a shard history export" err
printf '{"shard_history":1,"tests":[],"files":[],"runs":[{"run_key":"x"}]}' >norun.json
expect_status 2 "$SHARD" history import --history d.db norun.json
expect_grep "norun.json: run 1: expected run_key, started_at" err
[ "$(HISTORY=d.db sql 'SELECT count(*) FROM runs')" = 0 ] || fail "a failed import left runs"
expect_status 2 "$SHARD" history import --history d.db missing.json
expect_grep "missing.json: No such file" err
expect_status 2 "$SHARD" history import
expect_grep "give one FILE" err
expect_status 2 "$SHARD" history export --history nothing-here.db
expect_grep "nothing-here.db: no history to export" err
expect_status 3 "$SHARD" history export -o no/such/dir/x.json
[ ! -e no/such/dir/x.json ] || fail "partial export"

# ---- PostgreSQL ----
pg_history t0601
expect_status 0 "$SHARD" history import --history "$PG_HISTORY" a.json
expect_grep "3 new runs, 4 new reports \(16 results\), 6 new tests" err
expect_status 0 "$SHARD" history export --history "$PG_HISTORY" -o pg.json
cmp a.json pg.json || fail "SQLite -> JSON -> PostgreSQL -> JSON differs"
[ "$(psql_history "SELECT count(*) FROM shard_history.shards WHERE plan_hash = '$h' AND list_digest = 'L1'")" = 1 ] ||
    fail "PostgreSQL shard plans"
[ "$(psql_history 'SELECT count(*) FROM shard_history.results')" = 16 ] ||
    fail "PostgreSQL results"
# again, through SHARD_HISTORY and the other URL spelling: nothing new
PG_HISTORY2=$(echo "$PG_HISTORY" | sed 's|^postgresql://|postgres://|')
expect_status 0 env SHARD_HISTORY="$PG_HISTORY2" "$SHARD" history import - <a.json
expect_grep "0 new runs, 0 new reports \(0 results\), 0 new tests" err
# and back into SQLite: the same JSON again, the same plans from all three
expect_status 0 "$SHARD" history import --history e.db pg.json
expect_status 0 "$SHARD" history export --history e.db -o e.json
cmp a.json e.json || fail "PostgreSQL -> JSON -> SQLite -> JSON differs"
expect_status 0 "$SHARD" plan --history "$PG_HISTORY" --shards 2 --tests list.txt -o plan-pg.json
expect_status 0 "$SHARD" plan --history e.db --shards 2 --tests list.txt -o plan-e.json
cmp plan-a.json plan-pg.json || fail "plans from SQLite and PostgreSQL differ"
cmp plan-pg.json plan-e.json || fail "plans from PostgreSQL and its SQLite copy differ"

# show on PostgreSQL: the same counts, no password or query in the name
expect_status 0 "$SHARD" history show --history "$PG_HISTORY" -f json
$PY -c 'import json
d = json.load(open("out"))
assert (d["runs"], d["tests"], d["results"]) == (3, 6, 16), d
assert d["oldest_run"] == "r1" and d["newest_run"] == "r3", d
assert d["bytes"] > 0 and "host=" not in d["history"], d' ||
    fail "show on PostgreSQL"

# prune: a run older than all (imported with its start time) and the test
# only it saw go; what is left exports as before
printf '%s' '{"shard_history":1,"tests":[],"files":[],"runs":[{"run_key":"ancient","started_at":1000,"commit":null,"branch":null,"ci":null,"sources":[{"digest":"x","name":"old.xml","results":[{"key":"gone.test","outcome":"passed","seconds":1,"shard":null}]}],"shards":[{"index":0,"total":1,"predicted":null,"actual":1,"host":null,"attempt":1}]}]}' >ancient.json
expect_status 0 "$SHARD" history import --history "$PG_HISTORY" ancient.json
expect_status 0 "$SHARD" history show --history "$PG_HISTORY"
expect_grep "^runs +4 \(oldest ancient, newest r3\)" out
expect_status 0 "$SHARD" history prune --history "$PG_HISTORY" --keep-runs 3
expect_grep "deleted 1 runs, 1 results, 1 tests; [0-9]+ -> [0-9]+ bytes" err
expect_status 0 "$SHARD" history export --history "$PG_HISTORY" -o pruned.json
cmp a.json pruned.json || fail "prune changed the runs it kept"
[ "$(psql_history 'SELECT count(*) FROM shard_history.shards')" = 3 ] ||
    fail "shard figures of the pruned run remain"
# down to one run, as SQLite prunes it
expect_status 0 env SHARD_HISTORY="$PG_HISTORY" "$SHARD" history prune --keep-runs 1
expect_grep "deleted 2 runs, 10 results, 0 tests" err
expect_status 0 "$SHARD" history prune --history e.db --keep-runs 1
expect_grep "deleted 2 runs, 10 results, 0 tests" err
expect_status 0 "$SHARD" history show --history "$PG_HISTORY"
expect_grep "^runs +1 \(oldest r3, newest r3\)" out
expect_grep "^tests +6$" out
expect_grep "^results +6$" out
[ "$(psql_history 'SELECT count(*) FROM shard_history.sources')" = 2 ] ||
    fail "sources of pruned runs remain"
expect_status 0 "$SHARD" history export --history "$PG_HISTORY" -o pg1.json
expect_status 0 "$SHARD" history export --history e.db -o e1.json
cmp pg1.json e1.json || fail "the two backends pruned differently"
# a database without a history (the maintenance one): nothing to export
# or prune, and no password shown
NONE=$(echo "$PG_ADMIN" | sed 's|://\([^@/]*\)@|://\1:hunter2@|')
expect_status 2 "$SHARD" history export --history "$NONE"
expect_grep "no history to export" err
if grep -q hunter2 err; then fail "a password was printed"; fi
expect_status 0 "$SHARD" history prune --history "$NONE"
expect_grep "no history yet" err
[ "$(psql_admin "SELECT count(*) FROM pg_namespace
    WHERE nspname = 'shard_history'")" = 0 ] || fail "export created a history"
