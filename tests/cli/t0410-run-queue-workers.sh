#!/bin/sh
# Queue mode without a worker count: the workers learn how many
# they are from the queue. No worker's first claim exceeds a fair share of
# the suite (its tests / the workers that come), neither when four start
# together nor when one starts alone and claims before the other three
# arrive; every test is in the queue's report once, and each worker's
# file holds exactly the tests the queue recorded for that worker. Each
# worker warns once, and says how to give the count; with --workers, no
# warning.
. "$(dirname "$0")/lib.sh"
pg_history q410
Q=$PG_HISTORY
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_LOG=$SCRATCH/log.json FAKE_SLEEP=0.01
N=200
K=4
$PY -c "
for i in range($N): print('app.Mod%d.test_%03d' % (i % 5, i))" >tests.txt

worker() { # RUN INDEX [OPTION...]
    run=$1 i=$2
    shift 2
    exec "$SHARD" run --queue "$Q" --run-id "$run" --tests tests.txt \
        --no-record -o "w-$run-$i.xml" "$@" -- "$FAKE" {} 2>"w-$run-$i.err"
}

# check RUN: first claims, the report, the files, the warnings
check() {
    expect_status 0 "$SHARD" queue report --queue "$Q" -o "report-$1.xml" "$1"
    psql -X -q -t -A -F ' ' -v ON_ERROR_STOP=1 "$Q" -c "SELECT worker,
        test_id FROM shard_queue WHERE run_id = '$1'" >"rows-$1" ||
        fail "cannot read the queue"
    $PY - "$1" "$FAKE_LOG" $N $K <<'PYEOF' || fail "run $1"
import glob, json, re, sys
import xml.etree.ElementTree as ET
run, log, n, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
want = [l.strip() for l in open("tests.txt")]
# the first invocation of each worker (the runner's parent): its batch
first = {}
for line in open(log):
    e = json.loads(line)
    first.setdefault(e["ppid"], e["argv"])
assert len(first) == k, "%d workers ran tests" % len(first)
for ppid, argv in first.items():
    assert len(argv) <= n // k, "worker %d's first claim: %d tests of %d" % (
        ppid, len(argv), n)
def ids(path):
    return [tc.get("classname") + "." + tc.get("name")
            for tc in ET.parse(path).iter("testcase")]
got = ids("report-%s.xml" % run)
assert sorted(got) == sorted(want), (len(got), len(want))
# each file: the tests the queue holds for its worker, once
by_worker = {}
for line in open("rows-" + run):
    w, t = line.split()
    by_worker.setdefault(w, []).append(t)
files = glob.glob("w-%s-*.xml" % run)
assert len(files) == k, files
for f in files:
    err = open(f[:-4] + ".err").read()
    name = re.search(r"worker (\S+): \d+ batches", err).group(1)
    assert sorted(ids(f)) == sorted(by_worker[name]), f
    warned = err.count("learning it from the workers that join")
    assert warned == (0 if run.endswith("-given") else 1), (f, warned)
    if warned:
        assert "--workers N" in err and "strategy.job-total" in err, err
PYEOF
}

# four workers started together
: >"$FAKE_LOG"
pids=""
for i in $(seq 1 $K); do worker A "$i" & pids="$pids $!"; done
for p in $pids; do wait "$p" || fail "a worker failed"; done
check A

# one worker alone first: it claims before the others exist; they start
# once its runner runs
: >"$FAKE_LOG"
worker B 1 &
pids=$!
$PY - "$FAKE_LOG" <<'PYEOF' || fail "the first worker never ran a batch"
import os, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    if os.path.getsize(sys.argv[1]) > 0:
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
PYEOF
for i in $(seq 2 $K); do worker B "$i" & pids="$pids $!"; done
for p in $pids; do wait "$p" || fail "a worker failed"; done
check B

# told the count: no warning
: >"$FAKE_LOG"
pids=""
for i in $(seq 1 $K); do worker C-given "$i" --workers $K & pids="$pids $!"; done
for p in $pids; do wait "$p" || fail "a worker failed"; done
check C-given
exit 0
