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

# Fresh histories created by two processes at the same instant, four
# pairs at a time: none may fail. (Switching a new file to WAL raced:
# the loser got "database is locked" without waiting, about one pair in
# eighty on this machine.)
fails=0
for round in $(seq 20); do
    pids=""
    for j in 1 2 3 4; do
        rm -rf "fresh$j"
        SHARD_HISTORY=fresh$j/history.db "$SHARD" ingest -q --run-id a \
            gen/junit-0000.xml 2>>fresh.err & pids="$pids $!"
        SHARD_HISTORY=fresh$j/history.db "$SHARD" ingest -q --run-id b \
            gen/junit-0001.xml 2>>fresh.err & pids="$pids $!"
    done
    for p in $pids; do wait "$p" || fails=$((fails + 1)); done
done
[ "$fails" = 0 ] || fail "$fails ingests into a fresh history failed: $(sort -u fresh.err)"
for j in 1 2 3 4; do
    [ "$(HISTORY=fresh$j/history.db sql 'SELECT count(*) FROM runs')" = 2 ] ||
        fail "fresh$j: a run lost"
done
ls fresh1 | grep -q 'new-' && fail "a temporary history was left: $(ls fresh1)"
exit 0
