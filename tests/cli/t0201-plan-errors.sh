#!/bin/sh
# Bad input to `shard plan`: each case exits 2 (3 for environment errors)
# with a message that says what is wrong, and -o is left untouched.
. "$(dirname "$0")/lib.sh"
printf 'a::x\nb::y\nc::z\n' >ids.txt

expect_status 2 "$SHARD" plan --tests ids.txt --shards 0
expect_grep "expected a whole number from 1" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards many
expect_status 2 "$SHARD" plan --tests ids.txt
expect_grep "how many shards" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards 2 --index 2 --format list
expect_grep "--index 2 is out of range: there are 2 shards" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards 2 --format list
expect_grep "give --index" err
expect_status 2 "$SHARD" plan --tests missing.txt --shards 2
expect_grep "missing.txt: No such file" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards 2 --bogus
expect_grep "unknown option '--bogus'" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards 2 --format yaml
expect_grep "--format 'yaml'" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards 2 --by module
expect_status 2 "$SHARD" plan --shards 2
expect_grep "give the tests" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards 2 --target-seconds 10
expect_grep "cannot be used together" err
expect_status 2 "$SHARD" plan --tests ids.txt --target-seconds 5 --shard-overhead 5
expect_grep "not above the per-shard overhead" err
expect_status 2 "$SHARD" plan --tests ids.txt --shards 2 extra
expect_status 2 "$SHARD" plan --collect --shards 2
expect_grep "needs a command" err
expect_status 3 "$SHARD" plan --shards 2 --collect -- ./no-such-command
expect_grep "cannot run './no-such-command'" err
expect_status 3 "$SHARD" plan --shards 2 --collect -- false
expect_grep "exited with status 1" err
printf 'a\0b\n' >nul.txt
expect_status 2 "$SHARD" plan --tests nul.txt --shards 2
expect_grep "nul.txt:1: NUL byte" err
GITLAB_CI=true CI_NODE_INDEX=0 CI_NODE_TOTAL=2 \
    expect_status 2 "$SHARD" plan --tests ids.txt --format list
expect_grep "CI_NODE_INDEX='0' is not a valid shard index" err

# a failed write leaves the previous output untouched
echo previous >plan.json
expect_status 3 "$SHARD" plan --tests ids.txt --shards 2 -o no-dir/plan.json
expect_status 2 "$SHARD" plan --tests ids.txt --shards 0 -o plan.json
[ "$(cat plan.json)" = previous ] || fail "plan.json was overwritten"
[ -z "$(ls | grep tmp)" ] || fail "temporary file left behind"

# a history newer than this binary is refused
mkdir -p .shard
$PY -c 'import sqlite3; db=sqlite3.connect(".shard/history.db"); db.execute("PRAGMA user_version=999"); db.commit()'
expect_status 3 "$SHARD" ingest "$DATA/durations/pgmpy__pgmpy__test_durations.json"
expect_grep "history schema version 999 is newer than this shard" err
