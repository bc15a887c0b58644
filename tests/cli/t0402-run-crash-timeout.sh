#!/bin/sh
# A runner that crashes halfway, writes no report, or hangs: the tests it
# did not report become errors in the kept report (exit 1); a hang is
# stopped by --timeout, its whole process group killed. SIGTERM and SIGINT
# stop the runner and exit 143 and 130.
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_LOG=$SCRATCH/log.json
seq 1 6 | sed 's/^/app.T.test_/' >six.txt

FAKE_MODE=crash expect_status 1 "$SHARD" run --no-record --tests six.txt \
    --shards 1 --index 0 -o crash.xml -- "$FAKE" {}
expect_grep '6 tests, 3 passed, 0 failed, 3 errors.*3 missing' err
[ "$(grep -c 'runner exited with status 137' crash.xml)" = 3 ] ||
    fail "the crashed runner's unreported tests are not errors"
xmllint --noout crash.xml || fail "crash.xml is not XML"

FAKE_MODE=silent expect_status 1 "$SHARD" run --no-record --tests six.txt \
    --shards 1 --index 0 -o silent.xml -- "$FAKE" {}
expect_grep 'wrote no report' err
[ "$(grep -c 'type="shard.missing"' silent.xml)" = 6 ] ||
    fail "a runner without a report hid its tests"

# a hang: killed after --timeout, with everything in its group
FAKE_MODE=hang expect_status 1 "$SHARD" run --no-record --tests six.txt \
    --shards 1 --index 0 --timeout 1 --kill-grace 1 -o hang.xml -- "$FAKE" {}
expect_grep 'timed out' err
[ "$(grep -c 'message="timed out after 1 s"' hang.xml)" = 6 ] ||
    fail "timed-out tests are not errors 'timed out'"
pgrep -f "fake-runner.py app.T.test_1" >/dev/null && fail "the hung runner survived"

# signals: the runner is stopped, shard run exits 128 + signal
for sig in TERM INT; do
    : >"$FAKE_LOG"
    FAKE_MODE=hang "$SHARD" run --no-record --tests six.txt --shards 1 \
        --index 0 --kill-grace 1 -- "$FAKE" {} 2>sig.err &
    pid=$!
    n=0
    while [ ! -s "$FAKE_LOG" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
    [ -s "$FAKE_LOG" ] || fail "the runner did not start"
    kill -s $sig $pid
    wait $pid
    got=$?
    want=$([ $sig = TERM ] && echo 143 || echo 130)
    [ $got -eq $want ] || { cat sig.err; fail "SIG$sig: exit $got, not $want"; }
    sleep 0.2
    pgrep -f "fake-runner.py app.T.test_1" >/dev/null &&
        fail "SIG$sig left the runner running"
done
exit 0
