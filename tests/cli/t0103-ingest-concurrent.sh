#!/bin/sh
# Two `shard ingest` processes writing one SQLite history at once: every
# row of both lands (WAL mode and a busy timeout).
. "$(dirname "$0")/lib.sh"

$PY "$TOOLS/gen_junit.py" gen 4 3000 >/dev/null
"$SHARD" ingest -q --run-id a gen/junit-0000.xml gen/junit-0001.xml &
pa=$!
"$SHARD" ingest -q --run-id b gen/junit-0002.xml gen/junit-0003.xml &
pb=$!
wait $pa || fail "first ingest failed"
wait $pb || fail "second ingest failed"
[ "$(sql 'SELECT count(*) FROM results')" = 12000 ] ||
    fail "rows lost: $(sql 'SELECT count(*) FROM results') of 12000"
[ "$(sql 'SELECT count(*) FROM runs')" = 2 ] || fail "runs lost"
