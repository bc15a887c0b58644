#!/bin/sh
# Isolation on a real PostgreSQL (started here, ci/pg-start): --local -j 4
# with --isolate-db passes the example suite, whose shards fail when they
# share one database; --isolate-schema too; the variables reach the
# command; nothing is left behind, also after a timeout; after SIGKILL,
# `shard db gc` removes what the killed run left and nothing else.
. "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || fail "psql missing: run ci/deps"
pg_start
EX=$REPO/tests/example
FAKE=$REPO/tests/cli/fake-runner.py
export SHARD_HISTORY=$SCRATCH/history.db
psql_admin "CREATE DATABASE app_template"
TEMPLATE=$(pg_url app_template)
psql -X -q -v ON_ERROR_STOP=1 "$TEMPLATE" -c "CREATE TABLE example_meta (suite text)"
"$EX/make-suite" | cut -d' ' -f1 >tests.txt
left() { psql_admin "SELECT count(*) FROM pg_database WHERE datname LIKE 'app_template_s%'"; }

# a database per shard: the suite passes
expect_status 0 "$SHARD" run --local -j 4 --shards 4 --isolate-db "$TEMPLATE" \
    --tests tests.txt -o isolated.xml -- "$EX/run-tests" {}
expect_grep '4 shards, 40 tests, 40 passed, 0 failed, 0 errors' err
[ "$(left)" = 0 ] || fail "shard databases left behind"

# one shared database: the collision is real, the run fails
psql_admin "CREATE DATABASE shared TEMPLATE app_template"
PGHOST=$PG_DIR PGDATABASE=shared PGUSER=$(psql_admin "SELECT current_user") \
    expect_status 1 "$SHARD" run --local -j 4 --shards 4 --no-record \
    --tests tests.txt -o shared.xml -- "$EX/run-tests" {}
expect_grep 'set-up failed' shared.xml

# a schema per shard in one database
psql_admin "CREATE DATABASE schemas TEMPLATE app_template"
expect_status 0 "$SHARD" run --local -j 4 --shards 4 --no-record \
    --isolate-schema "$(pg_url schemas)" --tests tests.txt -- "$EX/run-tests" {}
[ "$(psql -X -t -A "$(pg_url schemas)" -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'shard_s%'")" = 0 ] ||
    fail "shard schemas left behind"

# one shard in a CI job: the variables, then the drop
export FAKE_LOG=$SCRATCH/log.json
seq 1 8 | sed 's/^/app.T.test_/' >fake.txt
expect_status 0 "$SHARD" run --no-record --tests fake.txt --shards 2 --index 1 \
    --isolate-db "$TEMPLATE" -- "$FAKE" {}
$PY - "$FAKE_LOG" <<'PYEOF' || fail "the command did not get its database"
import json, re, sys
env = json.loads(open(sys.argv[1]).read().splitlines()[-1])["env"]
db = env["PGDATABASE"]
assert re.fullmatch(r"app_template_s1_[0-9a-f]{8}", db), db
assert "/" + db + "?" in env["DATABASE_URL"], env
assert env["PGHOST"] and env["PGUSER"], env
PYEOF
FAKE_MODE=hang expect_status 1 "$SHARD" run --no-record --tests fake.txt \
    --shards 2 --index 0 --timeout 1 --kill-grace 1 \
    --isolate-db "$TEMPLATE" -- "$FAKE" {}
[ "$(left)" = 0 ] || fail "a timed-out shard left its database"

# a template with a session on it cannot be copied: a clear error, exit 3
psql -X -q "$TEMPLATE" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
busy=$!
n=0
until [ "$(psql_admin "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app_template'")" = 1 ] ||
    [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
expect_status 3 "$SHARD" run --no-record --tests fake.txt --shards 2 --index 0 \
    --isolate-db "$TEMPLATE" -- "$FAKE" {}
expect_grep 'being accessed by other users' err
kill $busy 2>/dev/null
wait $busy 2>/dev/null
psql_admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'app_template'" >/dev/null

# SIGKILL: the databases stay until shard db gc; gc leaves others alone
psql_admin "CREATE DATABASE other_s0_deadbeef"
psql_admin "CREATE DATABASE noted_s1_deadbeef"
psql_admin "COMMENT ON DATABASE noted_s1_deadbeef IS 'not shard''s'"
: >"$FAKE_LOG"
FAKE_MODE=hang setsid "$SHARD" run --local -j 2 --shards 2 --no-record \
    --tests fake.txt --isolate-db "$TEMPLATE" -- "$FAKE" {} >/dev/null 2>&1 &
victim=$!
n=0
until [ "$(wc -l <"$FAKE_LOG")" -ge 2 ] || [ $n -ge 200 ]; do sleep 0.05; n=$((n + 1)); done
[ "$(left)" = 2 ] || fail "the run did not create its databases"
$PY -c "import os, signal, sys; os.killpg(int(sys.argv[1]), signal.SIGKILL)" $victim
pkill -f "$FAKE" 2>/dev/null
wait $victim 2>/dev/null
[ "$(left)" = 2 ] || fail "databases vanished without gc?"
expect_status 0 "$SHARD" db gc --dry-run "$PG_ADMIN"
expect_grep 'would remove database app_template_s0_' out
[ "$(left)" = 2 ] || fail "--dry-run removed something"
expect_status 0 "$SHARD" db gc "$PG_ADMIN"
expect_grep 'removed database app_template_s1_[0-9a-f]{8} \(no session holds its lock' out
[ "$(left)" = 0 ] || fail "gc left the killed run's databases"
[ "$(psql_admin "SELECT count(*) FROM pg_database WHERE datname IN ('other_s0_deadbeef', 'noted_s1_deadbeef', 'shared', 'schemas', 'app_template')")" = 5 ] ||
    fail "gc touched databases shard did not create"
# Ctrl-C on --local: every shard stops, every database is dropped, 130
: >"$FAKE_LOG"
FAKE_MODE=hang setsid "$SHARD" run --local -j 2 --shards 2 --no-record \
    --kill-grace 1 --tests fake.txt --isolate-db "$TEMPLATE" -- "$FAKE" {} \
    >/dev/null 2>&1 &
victim=$!
n=0
until [ "$(wc -l <"$FAKE_LOG")" -ge 2 ] || [ $n -ge 200 ]; do sleep 0.05; n=$((n + 1)); done
[ "$(left)" = 2 ] || fail "the run did not create its databases"
$PY -c "import os, signal, sys; os.killpg(int(sys.argv[1]), signal.SIGINT)" $victim
wait $victim
got=$?
[ $got -eq 130 ] || fail "Ctrl-C: exit $got, not 130"
[ "$(left)" = 0 ] || fail "Ctrl-C left databases behind"
# the runners' groups are killed by their shard processes (and, for one
# that died first, by its watcher, within its grace): wait for that, then
# nothing may be left
n=0
while pgrep -f "$FAKE" >/dev/null && [ $n -lt 300 ]; do sleep 0.05; n=$((n + 1)); done
pgrep -af "$FAKE" >&2 && fail "Ctrl-C left runners behind"

expect_status 2 "$SHARD" db gc "not a url at all"
expect_status 3 "$SHARD" db gc "postgresql://nobody@/postgres?host=$SCRATCH/nowhere"
exit 0
