#!/bin/sh
# Queue mode on a real PostgreSQL: 16 workers arriving at once seed the
# queue once; 3 of them killed with SIGKILL mid-batch lose their leases
# and their tests are rerun by the others; every test is in the queue's
# report exactly once and in at most one worker's file. The same with
# workers started 0-10 s apart. A new attempt of the CI run reruns only
# the failed tests. shard queue status in text and JSON. -o - is refused.
. "$(dirname "$0")/lib.sh"
pg_start
FAKE=$REPO/tests/cli/fake-runner.py
psql_admin "CREATE DATABASE q"
Q=$(pg_url q)
export FAKE_LOG=$SCRATCH/log.json FAKE_SLEEP=0.02
$PY -c "
for i in range(300): print('app.Mod%d.test_%03d' % (i % 7, i))" >tests.txt

worker() { # RUN INDEX [DELAY]
    sleep "${3:-0}"
    exec "$SHARD" run --queue "$Q" --run-id "$1" --tests tests.txt \
        --shards 16 --index "$2" --no-record --lease-seconds 2 \
        --heartbeat-seconds 0.5 -o "w-$1-$2.xml" -- "$FAKE" {} \
        2>"w-$1-$2.err"
}

# check RUN: the report has every test once; files never share a test
check() {
    expect_status 0 "$SHARD" queue report --queue "$Q" -o "report-$1.xml" "$1"
    $PY - "$1" tests.txt <<'PYEOF' || fail "run $1: tests lost or doubled"
import glob, sys
import xml.etree.ElementTree as ET
run, want = sys.argv[1], open(sys.argv[2]).read().split()
def ids(path):
    return [tc.get("classname") + "." + tc.get("name")
            for tc in ET.parse(path).iter("testcase")]
got = ids("report-%s.xml" % run)
assert sorted(got) == sorted(want), (len(got), len(want))
seen = []
for f in glob.glob("w-%s-*.xml" % run):
    seen += ids(f)
assert len(seen) == len(set(seen)), "a test in two workers' files"
assert set(seen) <= set(want)
PYEOF
}

# 16 workers at the same instant; kill 3 of them while their runner runs
pids=""
for i in $(seq 0 15); do worker A $i & pids="$pids $!"; done
victims=$($PY - "$FAKE_LOG" "$pids" <<'PYEOF'
import json, os, sys, time
workers = set(int(p) for p in sys.argv[2].split())
chosen = []
deadline = time.time() + 30
while len(chosen) < 3 and time.time() < deadline:
    try:
        lines = open(sys.argv[1]).read().splitlines()
    except OSError:
        lines = []
    for l in lines:
        try:
            e = json.loads(l)
        except ValueError:
            continue
        w = e["ppid"]
        if w in workers and w not in [c[0] for c in chosen]:
            try:
                os.kill(w, 9)
                os.killpg(e["pid"], 9)
            except ProcessLookupError:
                continue
            chosen.append((w, e["pid"]))
            if len(chosen) == 3:
                break
    time.sleep(0.05)
print(" ".join(str(w) for w, _ in chosen))
PYEOF
)
[ "$(echo $victims | wc -w)" = 3 ] || fail "could not kill 3 busy workers"
for p in $pids; do wait $p; done
expect_status 0 "$SHARD" queue status --queue "$Q" --format json A
$PY - out <<'PYEOF' || fail "status after kills"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["total"] == 300, s          # seeded once by 16 workers
assert s["done"] == 300 and s["pending"] == 0 and s["claimed"] == 0, s
assert s["requeued"] >= 3, s         # the victims' claims went back
assert len(s["workers"]) == 16, s
PYEOF
check A
expect_status 0 "$SHARD" queue status --queue "$Q" A
expect_grep '^run A \(attempt 1\): 300 tests: 0 pending, 0 claimed, 300 done' out

# workers started 0-10 s apart
: >"$FAKE_LOG"
pids=""
for i in $(seq 0 15); do
    worker B $i "$($PY -c "import random; print(round(random.uniform(0, 10), 2))")" &
    pids="$pids $!"
done
for p in $pids; do wait $p || fail "a late worker failed"; done
check B

# a worker claims its next batch while one runs (one worker: half the
# queue, then a quarter ahead); stopped with SIGTERM, it gives both back
# at once, without waiting for the lease, and another worker drains it
$PY -c "
for i in range(40): print('app.T.test_%02d' % i)" >tests.txt
FAKE_SLEEP=0.25 "$SHARD" run --queue "$Q" --run-id C --tests tests.txt \
    --shards 1 --no-record --min-batch-seconds 0 -- "$FAKE" {} 2>c.err &
cpid=$!
$PY - "$SHARD" "$Q" <<'PYEOF' || fail "no batch claimed ahead"
import json, subprocess, sys, time
deadline = time.time() + 20
while time.time() < deadline:
    p = subprocess.run([sys.argv[1], "queue", "status", "--queue", sys.argv[2],
                        "--format", "json", "C"], capture_output=True)
    if p.returncode == 0 and json.loads(p.stdout)["claimed"] == 30:
        sys.exit(0)
    time.sleep(0.05)
sys.exit(1)
PYEOF
kill -TERM $cpid
wait $cpid
[ $? -eq 143 ] || { cat c.err >&2; fail "a stopped worker's status"; }
expect_status 0 "$SHARD" queue status --queue "$Q" C
expect_grep '^run C \(attempt 1\): 40 tests: 40 pending, 0 claimed, 0 done' out
expect_status 0 "$SHARD" run --queue "$Q" --run-id C --tests tests.txt \
    --no-record -- "$FAKE" {}
check C

# a new attempt of the CI run reruns only what failed
printf 'app.X.test_ok\napp.X.test_fail\napp.X.test_ok2\n' >tests.txt
GITHUB_RUN_ID=77 GITHUB_RUN_ATTEMPT=1 expect_status 1 "$SHARD" run --queue "$Q" \
    --tests tests.txt --no-record -- "$FAKE" {}
: >"$FAKE_LOG"
GITHUB_RUN_ID=77 GITHUB_RUN_ATTEMPT=2 expect_status 1 "$SHARD" run --queue "$Q" \
    --tests tests.txt --no-record -- "$FAKE" {}
$PY - "$FAKE_LOG" <<'PYEOF' || fail "the re-run did not run only the failed test"
import json, sys
runs = [json.loads(l)["argv"] for l in open(sys.argv[1])]
assert runs == [["app.X.test_fail"]], runs
PYEOF
expect_status 0 "$SHARD" queue status --queue "$Q" 77
expect_grep 'attempt 2\): 3 tests: 0 pending, 0 claimed, 2 done, 1 failed' out

expect_status 2 "$SHARD" run --queue "$Q" --tests tests.txt -- "$FAKE" {}
expect_grep 'give --run-id' err
# a worker's file is kept valid batch by batch: not standard output
expect_status 2 "$SHARD" run --queue "$Q" --run-id D --tests tests.txt -o - \
    -- "$FAKE" {}
expect_grep '-o needs a file' err
# options a worker does not honour are refused, not ignored
for opt in "--retries 1" "--timeout 5" "--isolate-db postgres:///x"; do
    expect_status 2 "$SHARD" run --queue "$Q" --run-id D --tests tests.txt \
        $opt -- "$FAKE" {}
    expect_grep 'not available with --queue' err
done
expect_status 2 "$SHARD" queue status --queue "$Q" no-such-run
exit 0
