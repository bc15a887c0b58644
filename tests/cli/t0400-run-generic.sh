#!/bin/sh
# shard run with the generic runner: '{}', '{@}' and '{junit}' templating,
# the SHARD_* variables, the kept report's shard properties, history,
# plan files, empty shards, and each usage and environment error.
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_LOG=$SCRATCH/log.json FAKE_STATE=$SCRATCH
printf 'app.A.test_one\napp.A.test_two\napp.B.test_three\napp.B.test_four\n' >tests.txt

# {}: ids as arguments; the variables; the checked report; history
expect_status 0 "$SHARD" run --tests tests.txt --shards 2 --index 1 \
    --run-id r1 -o kept.xml -- "$FAKE" {}
expect_grep '^shard run: shard 1 of 2: 2 tests, 2 passed, 0 failed' err
$PY - "$FAKE_LOG" <<'PYEOF' || fail "the command did not get its ids and variables"
import json, sys
line = json.loads(open(sys.argv[1]).read().splitlines()[-1])
env = line["env"]
assert len(line["argv"]) == 2, line
assert env["SHARD_INDEX"] == "1" and env["SHARD_TOTAL"] == "2", env
assert line["listed"] == line["argv"], line
assert env["SHARD_JUNIT"].endswith(".xml"), env
PYEOF
for p in index total predicted_seconds actual_seconds run_id host attempt; do
    expect_grep "<property name=\"shard\\.$p\" value=\"[^\"]+\"/>" kept.xml
done
expect_grep '<property name="shard.run_id" value="r1"/>' kept.xml
xmllint --noout kept.xml || fail "kept report is not XML"
[ "$(sql "SELECT count(*) FROM results")" = 2 ] || fail "results not recorded"
[ "$(sql "SELECT shard_index || '/' || shard_total FROM shards")" = "1/2" ] ||
    fail "the shard's figures were not recorded"

# {@}: a file of ids; {junit} inside an argument; --no-record
: >"$FAKE_LOG"
expect_status 0 "$SHARD" run --no-record --tests tests.txt --shards 1 \
    --index 0 -o kept2.xml -- "$FAKE" --ids-file {@} --junit={junit}
$PY - "$FAKE_LOG" <<'PYEOF' || fail "{@} or {junit} not expanded"
import json, sys
line = json.loads(open(sys.argv[1]).read().splitlines()[-1])
argv = line["argv"]
assert argv[0] == "--ids-file" and argv[1] == line["env"]["SHARD_TESTS_FILE"]
assert argv[2] == "--junit=" + line["env"]["SHARD_JUNIT"], argv
assert len(line["listed"]) == 4, line
PYEOF
[ "$(sql "SELECT count(*) FROM results")" = 2 ] || fail "--no-record recorded"

# an empty shard runs nothing and passes with an empty report
: >"$FAKE_LOG"
expect_status 0 "$SHARD" run --no-record --tests tests.txt --shards 5 \
    --index 4 -o empty.xml -- "$FAKE" {}
[ ! -s "$FAKE_LOG" ] || fail "the command ran for an empty shard"
expect_grep '<testsuites tests="0"' empty.xml

# a plan file: exactly its shard; a tampered plan is refused
"$SHARD" plan --tests tests.txt --shards 2 -o plan.json
: >"$FAKE_LOG"
expect_status 0 "$SHARD" run --no-record --plan plan.json --index 0 -- "$FAKE" {}
$PY - plan.json "$FAKE_LOG" <<'PYEOF' || fail "--plan did not run its shard"
import json, sys
plan = json.load(open(sys.argv[1]))
line = json.loads(open(sys.argv[2]).read().splitlines()[-1])
assert line["argv"] == plan["shards"][0]["tests"], line
PYEOF
sed 's/test_one/test_1ne/' plan.json >bad.json
expect_status 2 "$SHARD" run --plan bad.json --index 0 -- "$FAKE" {}
expect_grep 'hash' err

# failures: exit 1; a runner that fails with a green report: exit 1
printf 'app.A.test_ok\napp.A.test_fail\n' >red.txt
expect_status 1 "$SHARD" run --no-record --tests red.txt --shards 1 --index 0 -- "$FAKE" {}
expect_grep '1 passed, 1 failed' err
FAKE_MODE=red expect_status 1 "$SHARD" run --no-record --tests tests.txt \
    --shards 1 --index 0 -- "$FAKE" {}
expect_grep 'the runner failed although its report is green' err

# usage errors exit 2, a command that cannot start exits 3
expect_status 2 "$SHARD" run --tests tests.txt --shards 2 --index 0 -- "$FAKE"
expect_grep "no '\{\}'" err
expect_status 2 "$SHARD" run --tests tests.txt --shards 2 --index 2 -- "$FAKE" {}
expect_grep 'out of range' err
expect_status 2 "$SHARD" run --tests tests.txt --shards 0 --index 0 -- "$FAKE" {}
expect_status 2 "$SHARD" run --tests tests.txt --shards 2 -- "$FAKE" {}
expect_grep 'which shard' err
expect_status 2 "$SHARD" run --tests missing.txt --shards 2 --index 0 -- "$FAKE" {}
expect_grep 'missing.txt' err
expect_status 2 "$SHARD" run --runner nose --tests tests.txt --shards 2 --index 0 -- "$FAKE" {}
expect_status 2 "$SHARD" run --bogus
expect_status 3 "$SHARD" run --no-record --tests tests.txt --shards 1 --index 0 -- ./no-such-runner {}
expect_grep "cannot run './no-such-runner'" err
expect_status 0 "$SHARD" run --help
expect_grep '^usage: shard run' out

# --collect: the list from a command before a second '--'
: >"$FAKE_LOG"
expect_status 0 "$SHARD" run --no-record --collect --shards 1 --index 0 \
    -- cat tests.txt -- "$FAKE" {}
[ "$($PY -c "import json,sys; print(len(json.loads(open(sys.argv[1]).read().splitlines()[-1])['argv']))" "$FAKE_LOG")" = 4 ] ||
    fail "--collect did not feed the command"
expect_status 2 "$SHARD" run --collect --shards 1 --index 0 -- "$FAKE" {}
expect_grep "give the collect command" err
