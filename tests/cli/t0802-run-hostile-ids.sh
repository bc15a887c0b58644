#!/bin/sh
# Test ids never reach a runner as options, and ids that are not printable
# UTF-8 are refused wherever they enter (exit 2, the line named, the id
# shown escaped):
# - generic: '-pevil' through '{}' is refused unless '--' comes before
#   '{}' (then it arrives after the '--'); through '{@}' it is no argument;
# - pytest: the file '-pevil.py' is passed as './-pevil.py', so pytest
#   runs its test and never loads evil.py as a plugin (-p evil.py), and
#   'pytest {}' (generic) refuses the id -pevil;
# - go: a package '-exec=...' is refused before go runs (a fake 'go' on
#   PATH records its argv);
# - control characters and bytes that are not UTF-8 in --tests, a collect
#   command's output, a plan file and a queue's list; a CRLF list is fine.
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_LOG=$SCRATCH/log.json

# no_raw_controls FILE: FILE holds no control byte but LF (no ESC, CR...)
no_raw_controls() {
    if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$1"; then
        fail "$1 shows a control byte raw"
    fi
}

# ---- generic: '{}' ----
printf 'app.T.ok\n-pevil.T.x\n' >dash.txt
: >"$FAKE_LOG"
expect_status 2 "$SHARD" run --no-record --tests dash.txt --shards 1 \
    --index 0 -o out.xml -- "$FAKE" {}
expect_grep "test id '-pevil.T.x' begins with '-'" err
expect_grep "'--' before '\{\}'" err
[ ! -s "$FAKE_LOG" ] || fail "the runner was started with an option id"

expect_status 0 "$SHARD" run --no-record --tests dash.txt --shards 1 \
    --index 0 -o out.xml -- "$FAKE" -- {}
$PY - "$FAKE_LOG" <<'PYEOF' || fail "'-pevil' did not arrive after '--'"
import json, sys
argv = json.loads(open(sys.argv[1]).read().splitlines()[-1])["argv"]
assert argv[0] == "--" and sorted(argv[1:]) == ["-pevil.T.x", "app.T.ok"], argv
PYEOF
expect_status 0 "$SHARD" run --no-record --tests dash.txt --shards 1 \
    --index 0 -o out.xml -- "$FAKE" --ids-file {@}

# ---- pytest: the file '-pevil.py' is a file, evil.py no plugin ----
if /usr/bin/python3 -m pytest --version >/dev/null 2>&1; then
    mkdir py
    cd py
    cat >evil.py <<'EOF'
open("PWNED", "w").close()
EOF
    printf 'def test_a():\n    pass\n' >-pevil.py
    printf -- '-pevil.py::test_a\n' >../pyids.txt
    # the generic runner, as the issue has it: pytest {} with an id -pevil
    printf -- '-pevil\n' >../pyplug.txt
    expect_status 2 "$SHARD" run --no-record --tests ../pyplug.txt \
        --shards 1 --index 0 -o ../g.xml -- /usr/bin/python3 -m pytest \
        -p no:cacheprovider {}
    [ ! -e PWNED ] || fail "pytest {} loaded evil.py as a plugin"
    expect_status 0 "$SHARD" run --no-record --runner pytest \
        --tests ../pyids.txt --shards 1 --index 0 -o ../p.xml -- \
        /usr/bin/python3 -m pytest -p no:cacheprovider
    [ ! -e PWNED ] || fail "--runner pytest loaded evil.py as a plugin"
    cd ..
    expect_grep 'name="test_a"' p.xml
    if grep -q '<failure\|<error' p.xml; then
        fail "test_a did not pass"
    fi
else
    echo "pytest not available: pytest cases skipped" >&2
fi

# ---- go: a package that would be a flag is refused ----
mkdir bin
cat >bin/go <<'EOF'
#!/usr/bin/python3
import json, os, sys
with open(os.environ["GO_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
with open(os.environ["SHARD_JUNIT"], "w") as f:
    f.write('<testsuite name="go"><testcase classname="example.com/m/a"'
            ' name="TestA"/></testsuite>\n')
EOF
chmod +x bin/go
export GO_LOG=$SCRATCH/go.log
printf 'example.com/m/a.TestA\n' >go-ok.txt
printf 'example.com/m/a.TestA\n-exec=/tmp/evil.TestA\n' >go-evil.txt
PATH=$SCRATCH/bin:$PATH expect_status 0 "$SHARD" run --no-record \
    --runner go --tests go-ok.txt --shards 1 --index 0 -o go.xml -- go test
expect_grep '"-run", "\^\(TestA\)\$", "example.com/m/a"' go.log
: >go.log
PATH=$SCRATCH/bin:$PATH expect_status 2 "$SHARD" run --no-record \
    --runner go --tests go-evil.txt --shards 1 --index 0 -o go.xml -- go test
expect_grep "test id '-exec=/tmp/evil.TestA': its package '-exec=/tmp/evil' begins with '-'" err
[ ! -s go.log ] || fail "go test was run with -exec: $(cat go.log)"

# ---- control characters and bytes that are not UTF-8 ----
printf 'a.T.one\r\na.T.two\r\n' >crlf.txt
expect_status 0 "$SHARD" run --no-record --tests crlf.txt --shards 1 \
    --index 0 -o out.xml -- "$FAKE" {}
printf 'a.T.one\na.T.\033]0;pwned\007two\n' >esc.txt
expect_status 2 "$SHARD" run --no-record --tests esc.txt --shards 1 \
    --index 0 -o out.xml -- "$FAKE" {}
expect_grep "^shard: esc.txt:2: control character .x1b in test id 'a.T..x1b\]0;pwned.x07two'" err
no_raw_controls err
printf 'a.T.one\na.T.t\two\n' >tab.txt
expect_status 2 "$SHARD" plan --tests tab.txt --shards 2
expect_grep "tab.txt:2: control character .t in test id" err
printf 'a.T.one\r\na.T.t\rwo\r\n' >cr.txt
expect_status 2 "$SHARD" plan --tests - --shards 2 <cr.txt
expect_grep "<stdin>:2: control character .r in test id 'a.T.t.rwo'" err
printf 'a.T.caf\351\n' >latin1.txt
expect_status 2 "$SHARD" plan --tests latin1.txt --shards 2
expect_grep "latin1.txt:1: invalid UTF-8 \(byte .xe9\) in test id 'a.T.caf.xe9'" err
no_raw_controls err
expect_status 2 "$SHARD" plan --collect --shards 2 -- \
    printf 'a.T.one\na.T.two\na.T.\033[2Jthree\n'
expect_grep "collected list:3: control character .x1b in test id" err
no_raw_controls err

# a plan file: as shard plan writes one, with an id edited in
expect_status 0 "$SHARD" plan --tests crlf.txt --shards 2 -o plan.json
sed 's/a\.T\.two/a.T.t\\u001bwo/' plan.json >evil-plan.json
cmp -s plan.json evil-plan.json && fail "the plan was not edited"
expect_status 2 "$SHARD" run --no-record --plan evil-plan.json --index 0 \
    -o out.xml -- "$FAKE" {}
expect_grep "evil-plan.json:[23]: shard [01], test 0: control character .x1b in test id 'a.T.t.x1bwo'" err
no_raw_controls err

# a queue: the list is read when the queue is seeded, and refused there
pg_history hostileq
: >"$FAKE_LOG"
expect_status 2 "$SHARD" run --queue "$PG_HISTORY" --run-id hostile \
    --tests esc.txt --no-record -o q.xml -- "$FAKE" {}
expect_grep "esc.txt:2: control character .x1b in test id" err
[ ! -s "$FAKE_LOG" ] || fail "a queue worker ran tests from a refused list"
n=$(psql_history "SELECT count(*) FROM shard_queue WHERE run_id = 'hostile'")
[ "$n" = 0 ] || fail "the queue was seeded with $n tests from a refused list"
