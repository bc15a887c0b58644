#!/bin/sh
# Two pipelines ingesting into one PostgreSQL history at once, many files
# each, every test key in both (the same reports under two run ids, taken
# in opposite orders so that the two meet on the same tests): every row of
# both lands, and no update of a shared test is lost. The history then
# holds what SQLite holds after the same ingests one after the other (the
# same estimates, bit for bit), and `shard plan` gives the same plan from
# either.
. "$(dirname "$0")/lib.sh"

pg_history t0104
$PY "$TOOLS/gen_junit.py" gen 12 1500 >/dev/null
ls gen/*.xml >forward
sort -r forward >backward

# both URL spellings, by flag and by environment
"$SHARD" ingest -q --run-id a --history "$PG_HISTORY" $(cat forward) &
pa=$!
SHARD_HISTORY=$(echo "$PG_HISTORY" | sed 's|^postgresql://|postgres://|') \
    "$SHARD" ingest -q --run-id b $(cat backward) &
pb=$!
wait $pa || fail "first ingest failed"
wait $pb || fail "second ingest failed"

cases=$(cat gen/*.xml | grep -c '<testcase ')
[ "$cases" -eq 18000 ] || fail "generated $cases testcases, expected 18000"
got=$(psql_history "SELECT count(*) FROM shard_history.results")
[ "$got" = $((2 * cases)) ] || fail "rows lost: $got of $((2 * cases))"
for run in a b; do
    got=$(psql_history "SELECT count(*) FROM shard_history.results r
        JOIN shard_history.runs u ON u.id = r.run_id WHERE u.run_key = '$run'")
    [ "$got" = "$cases" ] || fail "run $run: $got results of $cases"
done
[ "$(psql_history 'SELECT count(*) FROM shard_history.runs')" = 2 ] ||
    fail "runs lost"
[ "$(psql_history 'SELECT count(*) FROM shard_history.sources')" = 24 ] ||
    fail "sources lost"
[ "$(psql_history 'SELECT count(*) FROM shard_history.tests')" = "$cases" ] ||
    fail "tests lost"

# a reference: the same ingests into SQLite, one after the other
"$SHARD" ingest -q --run-id a $(cat forward) || fail "SQLite ingest a"
"$SHARD" ingest -q --run-id b $(cat backward) || fail "SQLite ingest b"
sql "SELECT key, sample_count, estimate FROM tests ORDER BY key" >sqlite.txt
psql_history "SELECT key, sample_count, estimate FROM shard_history.tests
    ORDER BY key COLLATE \"C\"" >pg.txt
$PY - sqlite.txt pg.txt <<'PYEOF' || fail "the histories differ"
import sys
def rows(path):
    out = []
    for line in open(path, encoding="utf-8"):
        key, n, est = line.rstrip("\n").rsplit("|", 2)
        out.append((key, int(n), None if est in ("", "None") else float(est)))
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert len(a) == len(b) == 18000, (len(a), len(b))
bad = [(x, y) for x, y in zip(a, b) if x != y]
for x, y in bad[:5]:
    print("sqlite", x, "postgres", y)
assert not bad, f"{len(bad)} tests differ"
# a shared test has the samples of both runs
assert sum(1 for k, n, e in a if n == 2) > 16000
PYEOF

# plans from either history are the same, byte for byte
sed -n 's/.*classname="\([^"]*\)" name="\([^"]*\)".*/\1.\2/p' gen/*.xml |
    sed 's/&amp;/\&/g' >ids.txt
[ "$(wc -l <ids.txt)" -eq "$cases" ] || fail "ids.txt"
expect_status 0 "$SHARD" plan --tests ids.txt --shards 8 -o sqlite.json
expect_status 0 "$SHARD" plan --history "$PG_HISTORY" --tests ids.txt \
    --shards 8 -o pg.json
cmp sqlite.json pg.json || fail "plans differ"
expect_grep '"predicted_makespan_seconds"' pg.json
# not by weighing every test alike: the history knew them; a database
# without a history knows nothing, and planning does not create one there
expect_status 0 "$SHARD" plan --history "$PG_HISTORY" --tests ids.txt \
    --shards 8 -o pg2.json
if grep -q 'knows none' err; then fail "plan weighed tests equally"; fi
expect_status 0 "$SHARD" plan --history "$PG_ADMIN" --tests ids.txt \
    --shards 8 -o none.json
expect_grep 'history knows none of these 18000 tests' err
[ "$(psql_admin "SELECT count(*) FROM pg_namespace
    WHERE nspname = 'shard_history'")" = 0 ] || fail "plan created a history"
echo "$cases testcases x 2 pipelines, all landed"
