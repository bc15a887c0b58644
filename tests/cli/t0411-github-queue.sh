#!/bin/sh
# Queue mode in GitHub Actions, played by tests/cli/gha.py: the run action
# with queue and workers (strategy.job-total) in four matrix jobs, the
# merge action with queue (tests/cli/gha-queue-workflow.yml). The queue is
# a database on the test server, given as a secret. Every test is in the
# merge job's report once and recorded into the history; the four jobs
# were one run of the queue, each told the count (no warning). Then the
# inputs are validated: a workers that is not a count, and isolate-db in
# queue mode, fail the job before shard runs; a value in an input is not
# shell text.
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null || fail "git is missing"
pg_history q411
QUEUE=$PG_HISTORY
N=60

# the repository: shard's source as it is now, and a test list, one commit
mkdir repo
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$REPO" && git ls-files -z | xargs -0 cp --parents -t "$SCRATCH/repo") ||
        fail "cannot copy the source"
else
    (cd "$REPO" && tar --exclude=./build -cf - .) | (cd repo && tar xf -)
fi
cp "$REPO/tests/cli/gha-queue-workflow.yml" repo/queue.yml
$PY -c "
for i in range($N): print('app.Mod%d.test_%02d' % (i % 3, i))" >repo/tests.txt
(cd repo && git init -q && git add -A &&
    git -c user.name=t -c user.email=t@example.com commit -q -m source) ||
    fail "cannot make the repository"

play() { # RUN_ID WORKFLOW
    $PY "$REPO/tests/cli/gha.py" --repo repo --state state --run-id "$1" \
        --secret SHARD_QUEUE_URL="$QUEUE" "$2" >"play-$1.out" 2>&1
}

play 2001 repo/queue.yml || {
    cat play-2001.out; tail -n 30 state/runs/2001/*/log; fail "run 2001 failed"
}
cat play-2001.out
$PY - state/runs/2001/jobs.json repo/tests.txt <<'PY' || fail "run 2001's report"
import json, os, sys
import xml.etree.ElementTree as ET
jobs = json.load(open(sys.argv[1]))
want = open(sys.argv[2]).read().split()
assert len(jobs["test"]) == 4, jobs["test"]
assert all(j["result"] == "success" for j in jobs["test"] + jobs["merge"])
merge = jobs["merge"][0]["dir"]
got = [tc.get("classname") + "." + tc.get("name")
       for tc in ET.parse(os.path.join(merge, "workspace", "junit.xml")).iter("testcase")]
assert sorted(got) == sorted(want), (len(got), len(want))
for j in jobs["test"]:
    log = open(os.path.join(j["dir"], "log")).read()
    assert "learning it from the workers" not in log, j["dir"]
PY
# one run of the queue, four workers, every test done
expect_status 0 "$SHARD" queue status --queue "$QUEUE" --format json 2001
$PY - out $N <<'PY' || fail "the queue's status"
import json, sys
s = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert s["total"] == n and s["done"] == n and s["pending"] == 0, s
assert len(s["workers"]) == 4, s["workers"]
PY
# the merge job recorded the report into the history it saved
hist=state/runs/2001/merge/workspace/.shard/history.db
[ -f "$hist" ] || fail "no history in the merge job"
[ "$(HISTORY=$hist sql 'SELECT count(*) FROM results')" = $N ] ||
    fail "the history has $(HISTORY=$hist sql 'SELECT count(*) FROM results') results"
expect_grep 'cache: saved shard-history-2001-1' state/runs/2001/merge/log

# validation: the job fails before shard runs, and says why
sed 's/workers: .*/workers: "4; touch pwned"/' repo/queue.yml >bad-workers.yml
play 2002 bad-workers.yml && fail "a workers that is not a count passed"
expect_grep 'error title=shard run::workers must be a positive whole number' \
    state/runs/2002/test_0/log
sed 's|command: .*|command: tests/cli/fake-runner.py {}\n          isolate-db: postgres:///x|' \
    repo/queue.yml >bad-isolate.yml
play 2003 bad-isolate.yml && fail "isolate-db in queue mode passed"
expect_grep 'isolate-db, retries and timeout are not available in queue mode' \
    state/runs/2003/test_0/log
for run in 2002 2003; do
    expect_status 2 "$SHARD" queue status --queue "$QUEUE" "$run"
done
found=$(find state -name pwned | head -n 1)
[ -z "$found" ] || fail "an input ran as shell text: $found"
exit 0
