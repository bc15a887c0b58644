#!/bin/sh
# Three consecutive runs of the example workflow (ci/github/example-workflow.yml)
# played as GitHub would run them (tests/cli/gha.py): GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY as files, the 4 matrix jobs side by side as
# processes, each with a PostgreSQL service of its own, artifacts and the
# actions cache as directories, and the history pulled from and pushed to
# a local object store (tests/cli/objstore.py) that honours If-Match and
# ETags, with a bearer token from a secret.
#
# Run 1 has no history; scored on the per-test times run 3 recorded, run
# 3's plan must be closer to the lower bound than run 1's (the example
# suite is strongly skewed, so this holds whatever the machine's noise).
# Then two runs at once, their merge jobs started together: both runs'
# data must be in the remote history. The workflow builds shard from the
# checked-out source once; every other job takes the binary from the cache.
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null || fail "git is missing"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
    fail "PostgreSQL is missing: run ci/deps"
objstore_start
URL="http://127.0.0.1:$PORT/ci/history.db"
TOKEN=tok-$$-e2e-secret
WORKFLOW=repo/ci/github/example-workflow.yml

# the repository: shard's source as it is now, one commit
mkdir repo
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$REPO" && git ls-files -z | xargs -0 cp --parents -t "$SCRATCH/repo") ||
        fail "cannot copy the source"
else
    (cd "$REPO" && tar --exclude=./build -cf - .) | (cd repo && tar xf -)
fi
(cd repo && git init -q && git add -A &&
    git -c user.name=t -c user.email=t@example.com commit -q -m source) ||
    fail "cannot make the repository"

# play RUN_ID [OPTIONS]: one workflow run
play() {
    id=$1
    shift
    $PY "$REPO/tests/cli/gha.py" --repo repo --state state --run-id "$id" \
        --var SHARD_HISTORY_URL="$URL" --secret SHARD_HISTORY_TOKEN="$TOKEN" \
        "$@" "$WORKFLOW" >"play-$id.out" 2>&1
}

for run in 1001 1002 1003; do
    play $run || { cat "play-$run.out"; tail -n 40 state/runs/$run/*/log; fail "run $run failed"; }
    cat "play-$run.out"
done

# the matrix came out of the plan job's GITHUB_OUTPUT
$PY - state/runs/1001/jobs.json <<'PY' || fail "plan job outputs"
import json, sys
jobs = json.load(open(sys.argv[1]))
m = json.loads(jobs["plan"][0]["outputs"]["matrix"])
assert [x["index"] for x in m["include"]] == [0, 1, 2, 3], jobs["plan"]
assert len(jobs["test"]) == 4 and all(j["result"] == "success" for j in jobs["test"])
PY
# run 1 planned without history: the object store had none (404)
expect_grep 'all weighted equally' state/runs/1001/plan/log
grep -q '^GET /ci/history.db 404 ' srv/log || fail "run 1 found a history"

# shard was built once, from the commit, and cached for every other job
[ "$(cat state/runs/*/*/log | grep -c 'cache: saved shard-bin-')" = 1 ] ||
    fail "shard was not built exactly once"
jobs=$(ls -d state/runs/*/*/ | wc -l)
[ "$(cat state/runs/*/*/log | grep -c 'cache: restored shard-bin-')" = $((jobs - 1)) ] ||
    fail "not every other job took shard from the cache"

# the summary: the markdown report with the shards' Gantt chart
$PY - state/runs/1003/jobs.json <<'PY' || fail "run 3's step summary"
import json, sys
s = json.load(open(sys.argv[1]))["merge"][0]["summary"]
assert "```mermaid" in s and "gantt" in s, s[:500]
assert "40 tests" in s or "40" in s, s[:500]
PY

# the remote history: three runs, pushed conditionally, with the token
grep -v "auth=Bearer $TOKEN\$" srv/log >unauth && [ -s unauth ] &&
    fail "requests without the token: $(cat unauth)"
$OBJSTORE get "$URL" remote.db || fail "no remote history"
[ "$(HISTORY=remote.db sql 'SELECT count(*) FROM runs')" = 3 ] ||
    fail "the remote history has $(HISTORY=remote.db sql 'SELECT count(*) FROM runs') runs"
[ "$(HISTORY=remote.db sql 'SELECT count(*) FROM results')" = 120 ] ||
    fail "results lost: $(HISTORY=remote.db sql 'SELECT count(*) FROM results')"
expect_grep '^PUT /ci/history.db 20[01] if-match=- if-none-match=\*' srv/log
expect_grep '^PUT /ci/history.db 20[01] if-match="[0-9a-f]+"' srv/log
grep -rl -- "$TOKEN" state play-*.out >leaks && fail "the token leaked into $(cat leaks)"

# score both plans on the times run 3 recorded
$PY - state/runs/1003 <<'PY' >durations.json || fail "cannot read run 3's times"
import json, os, sys, xml.etree.ElementTree as ET
merge = json.load(open(os.path.join(sys.argv[1], "jobs.json")))["merge"][0]["dir"]
d = {}
for tc in ET.parse(os.path.join(merge, "workspace", "junit.xml")).iter("testcase"):
    d[tc.get("file") + "::" + tc.get("name")] = float(tc.get("time"))
assert len(d) == 40, len(d)
json.dump(d, sys.stdout)
PY
score() { # RUN: the plan's makespan / lower bound on run 3's times
    $PY "$TOOLS/plan_eval.py" durations.json 4 \
        --plan state/artifacts/$1/shard-plan/shard-plan.json >score-$1 ||
        { cat score-$1; fail "plan_eval on run $1's plan"; }
    sed -n 's/^plan  *makespan=.*ratio=\([0-9.]*\).*/\1/p' score-$1
}
r1=$(score 1001)
r3=$(score 1003)
[ -n "$r1" ] && [ -n "$r3" ] || { cat score-1001; fail "no ratio in plan_eval's output"; }
echo "makespan / lower bound on run 3's times: run 1's plan $r1, run 3's plan $r3"
[ "$(echo "$r3 < $r1" | bc)" = 1 ] || fail "run 3's plan ($r3) is not closer than run 1's ($r1)"

# two runs at once, their merge jobs started together: both land
: >srv/log
play 1004 --sync-job merge --sync-dir sync --sync-count 2 &
p4=$!
play 1005 --sync-job merge --sync-dir sync --sync-count 2 &
p5=$!
wait $p4 || { cat play-1004.out; fail "run 1004 failed"; }
wait $p5 || { cat play-1005.out; fail "run 1005 failed"; }
$OBJSTORE get "$URL" remote.db || fail "no remote history"
runs=$(HISTORY=remote.db sql 'SELECT count(*) FROM runs')
[ "$runs" = 5 ] || fail "after two concurrent pushes the remote history has $runs runs, not 5"
[ "$(HISTORY=remote.db sql 'SELECT count(*) FROM results')" = 200 ] ||
    fail "results lost: $(HISTORY=remote.db sql 'SELECT count(*) FROM results')"
echo "concurrent runs: $(grep -c '^PUT .* 412 ' srv/log) push(es) met 412 and merged"
