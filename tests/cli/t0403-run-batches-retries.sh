#!/bin/sh
# More ids than one command line can take: '{}' runs the command in
# batches, each with its own report, and says so; every test is in the
# merged report once. --retries reruns only the failed tests: a test that
# fails then passes is flaky, one that keeps failing keeps its reruns.
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_LOG=$SCRATCH/log.json FAKE_STATE=$SCRATCH
limit=$(getconf ARG_MAX)
# ids of 100 bytes, 1.5 times the limit in all
n=$((limit * 3 / 2 / 100))
$PY -c "import sys
for i in range(int(sys.argv[1])):
    print('app.Batch.test_%s' % str(i).rjust(82, '0'))" $n >many.txt
expect_status 0 "$SHARD" run --no-record --tests many.txt --shards 1 --index 0 \
    -o many.xml -- "$FAKE" {}
expect_grep 'exceed the argument limit: running them in [2-9] batches' err
expect_grep "$n tests, $n passed" err
[ "$(wc -l <"$FAKE_LOG")" -ge 2 ] || fail "one invocation only"
[ "$(grep -c '<testcase' many.xml)" = "$n" ] || fail "tests lost in batches"
$PY - "$FAKE_LOG" many.txt <<'PYEOF' || fail "batches overlap or miss ids"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
got = [a for r in runs for a in r["argv"]]
want = open(sys.argv[2]).read().split()
assert sorted(got) == sorted(want) and len(got) == len(set(got))
assert all(r["listed"] == r["argv"] for r in runs)
reports = {r["env"]["SHARD_JUNIT"] for r in runs}
assert len(reports) == len(runs), "batches share a report"
PYEOF

# retries: only the failed tests run again
printf 'app.R.test_ok\napp.R.test_flaky\napp.R.test_fail\n' >r.txt
: >"$FAKE_LOG"
expect_status 1 "$SHARD" run --no-record --tests r.txt --shards 1 --index 0 \
    --retries 2 -o r.xml -- "$FAKE" {}
expect_grep '3 tests, 2 passed, 1 failed, 0 errors, 0 skipped, 1 flaky' err
$PY - "$FAKE_LOG" <<'PYEOF' || fail "retries did not rerun only the failed"
import json, sys
runs = [sorted(json.loads(l)["argv"]) for l in open(sys.argv[1])]
assert runs == [["app.R.test_fail", "app.R.test_flaky", "app.R.test_ok"],
                ["app.R.test_fail", "app.R.test_flaky"],
                ["app.R.test_fail"]], runs
PYEOF
expect_grep '<flakyFailure' r.xml
[ "$(grep -o '<rerunFailure' r.xml | wc -l)" = 2 ] || fail "reruns of the failing test not kept"
[ "$(grep -o '<testcase' r.xml | wc -l)" = 3 ] || fail "retries were not folded"
