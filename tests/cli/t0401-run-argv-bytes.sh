#!/bin/sh
# Test ids reach the command byte for byte, never through a shell: spaces,
# quotes, $(...), backticks, ';', unicode and a leading '-', through '{}'
# (arguments) and '{@}' (a file), and nothing the ids say gets executed.
# An id with a leading '-' goes through '{}' only after a '--' (see
# t0802-run-hostile-ids.sh for the refusals).
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_LOG=$SCRATCH/log.json
cat >ids.txt <<'IDS'
app.T.test with  two spaces
app.T.it's "quoted"
app.T.$(touch pwned-subst)
app.T.`touch pwned-tick`
app.T.a; touch pwned-semi
app.T.a && touch pwned-and | cat > pwned-pipe
app.T.ünïcødé ✓ 測試
-leading.dash
--long.option=value
app.T.back\slash and * glob ?
app.T.[a/b::c] {} {@} {junit}
IDS

check() { # WHAT
    $PY - ids.txt "$FAKE_LOG" "$1" <<'PYEOF' || fail "$1: ids changed on the way"
import json, sys
want = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
line = json.loads(open(sys.argv[2]).read().splitlines()[-1])
got = line["argv"] if sys.argv[3] == "{}" else line["listed"]
if sys.argv[3] == "{}":
    assert got[0] == "--", got
    got = got[1:]
got = [g.encode("utf-8", "surrogateescape") for g in got]
assert sorted(got) == sorted(want), (got, want)
PYEOF
}

expect_status 0 "$SHARD" run --no-record --tests ids.txt --shards 1 --index 0 \
    -o out.xml -- "$FAKE" -- {}
check '{}'
expect_grep '11 tests, 11 passed' err
: >"$FAKE_LOG"
expect_status 0 "$SHARD" run --no-record --tests ids.txt --shards 1 --index 0 \
    -- "$FAKE" --ids-file {@}
check '{@}'
for f in pwned-subst pwned-tick pwned-semi pwned-and pwned-pipe; do
    [ ! -e "$f" ] && [ ! -e "$REPO/$f" ] || fail "an id was run by a shell: $f"
done
