#!/bin/sh
# The 4 matrix jobs of one CI run plan on the fly against a PostgreSQL
# history, started 0-3 s apart, while another run ingests its results and
# this run's finished shards record theirs: the run's first
# plan is pinned in the history, the others reuse it, and the 4 reports
# split the list exactly. 4 jobs of another run starting at the same
# instant agree too (one pin wins; the others read it).
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_STATE=$SCRATCH FAKE_TIMES=$SCRATCH/times.tsv FAKE_SLEEP=0.04
pg_history t0408
export SHARD_HISTORY=$PG_HISTORY

# 80 tests: history says every eighth is long; they now run otherwise,
# and another run's report says something else again
$PY - <<'PYEOF'
import json
ids = ["svc.Api%d.test_%d" % (i % 8, i) for i in range(80)]
open("tests.txt", "w").write("".join(t + "\n" for t in ids))
json.dump({t: 25.0 if i % 8 == 0 else 1.0 for i, t in enumerate(ids)},
          open("seed.json", "w"))
open("times.tsv", "w").write("".join(
    "%s\t%.3f\n" % (t, 0.2 if i % 8 == 0 else 2.0 + i % 9)
    for i, t in enumerate(ids)))
json.dump({t: 40.0 if i % 8 == 5 else 0.5 for i, t in enumerate(ids)},
          open("other.json", "w"))
PYEOF
expect_status 0 "$SHARD" ingest --run-id seed seed.json

# job RUN I: matrix job I of 4 of GitHub run RUN, in the background
job() {
    GITHUB_ACTIONS=true GITHUB_RUN_ID=$1 GITHUB_RUN_ATTEMPT=1 \
        "$SHARD" run --tests tests.txt --shards 4 --index "$2" \
        -o "$1-$2.xml" -- "$FAKE" {} >/dev/null 2>"$1-$2.err" &
    echo $! >"$1-$2.pid"
}
wait_job() {
    wait "$(cat "$1-$2.pid")" || { cat "$1-$2.err"; fail "job $1 $2 failed"; }
}

job 700 0
sleep 0.5
expect_status 0 "$SHARD" ingest --run-id other other.json
sleep 0.5
job 700 1
sleep 1
job 700 2
sleep 1
job 700 3
for i in 0 1 2 3; do wait_job 700 $i; done
exact_partition tests.txt 700-0.xml 700-1.xml 700-2.xml 700-3.xml
for i in 1 2 3; do
    [ "$(plan_of 700-$i.xml)" = "$(plan_of 700-0.xml)" ] ||
        fail "job $i of run 700 planned otherwise"
done
# the shards recorded as they went (the history changed under the run),
# attempt 1's results under GitHub's run-attempt id
got=$(psql_history "SELECT count(*) FROM shard_history.results r JOIN
    shard_history.runs u ON u.id = r.run_id WHERE u.run_key = '700-1'")
[ "$got" = 80 ] || fail "run 700 recorded $got results, not 80"
expect_status 0 "$SHARD" plan --tests tests.txt --shards 4 --run-id later -o later.json
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["plan_hash"])' later.json)" != "$(plan_of 700-0.xml)" ] ||
    fail "the history did not change under the run: the test shows nothing"
expect_status 0 "$SHARD" merge -o 700.xml 700-0.xml 700-1.xml 700-2.xml 700-3.xml

# four jobs at the same instant
for i in 0 1 2 3; do job 701 $i; done
for i in 0 1 2 3; do wait_job 701 $i; done
exact_partition tests.txt 701-0.xml 701-1.xml 701-2.xml 701-3.xml
got=$(psql_history "SELECT count(*) FROM shard_history.pins WHERE run = '701'")
[ "$got" = 1 ] || fail "run 701 has $got pins"
expect_status 0 "$SHARD" merge -o 701.xml 701-0.xml 701-1.xml 701-2.xml 701-3.xml

# a role that may only read the history: the plan is made, not pinned,
# and it says so once
psql_history "CREATE ROLE t0408_ro_$$ LOGIN;
    GRANT USAGE ON SCHEMA shard_history TO t0408_ro_$$;
    GRANT SELECT ON ALL TABLES IN SCHEMA shard_history TO t0408_ro_$$" ||
    fail "cannot create a read-only role"
at_exit 'psql_history "DROP OWNED BY t0408_ro_$$; DROP ROLE t0408_ro_$$" 2>/dev/null'
RO=$(echo "$PG_HISTORY" | sed "s|//[^@/]*@|//t0408_ro_$$@|")
expect_status 0 "$SHARD" plan --tests tests.txt --shards 4 --history "$RO" \
    --run-id 702 -o ro.json
expect_grep 'cannot pin the plan of run 702 in the history' err
[ "$(grep -c 'cannot pin' err)" = 1 ] || fail "the warning came more than once"
[ "$(psql_history "SELECT count(*) FROM shard_history.pins WHERE run = '702'")" = 0 ] ||
    fail "a read-only role pinned a plan"
# ... while the run's pinned plan is read like any other
expect_status 0 "$SHARD" plan --tests tests.txt --shards 4 --history "$RO" \
    --run-id 700 -o ro700.json
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["plan_hash"])' ro700.json)" = "$(plan_of 700-0.xml)" ] ||
    fail "a read-only role did not get run 700's pinned plan"
