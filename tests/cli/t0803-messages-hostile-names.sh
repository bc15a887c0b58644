#!/bin/sh
# Names from input reach messages shown, never obeyed: a
# testcase named "x&#10;::add-mask::shard" must not make shard print
# a line that GitHub's runner takes as a workflow command, in the job that
# holds SHARD_HISTORY_TOKEN; nor may an escape sequence or a
# bidirectional override reach a terminal raw, in any message or in the
# text report.
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_STATE=$SCRATCH

# no_command FILE: no line of FILE is a workflow command, and no escape
# byte, C1 control or bidirectional override is in it
no_command() {
    if grep -n '^::' "$1"; then fail "$1 holds a workflow command"; fi
    $PY - "$1" <<'PYEOF' || fail "$1 holds raw control characters"
import sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
bad = [c for c in text if (ord(c) < 0x20 and c not in "\n") or
       0x7f <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e or
       0x2066 <= ord(c) <= 0x2069]
assert not bad, [hex(ord(c)) for c in bad][:10]
PYEOF
}

cat >hostile.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="s&#10;::add-mask::suite">
<properties>
<property name="shard.run_id" value="r&#10;::add-mask::run"/>
</properties>
<testcase classname="c" name="x&#10;::add-mask::shard" time="-1"/>
<testcase classname="c" name="csi&#x9B;2J&#x202E;gnp.exe" time="2"/>
<testcase classname="c" name="y" time="1"><failure message="m&#10;::error::x">boom</failure></testcase>
</testsuite>
EOF
printf 'c.y\nc.gone\n' >tests.txt
expect_status 0 "$SHARD" plan --tests tests.txt --shards 1 -o plan.json

# merge --plan names the unplanned and the missing tests
expect_status 1 "$SHARD" merge --plan plan.json -o merged.xml hostile.xml
no_command err
expect_grep 'reported but not planned: c\.x\\n::add-mask::shard' err
expect_grep 'reported but not planned: c\.csi\\u\{009b\}2J\\u\{202e\}gnp\.exe' err

# ingest: the run id from the report, warnings about the negative time
expect_status 0 "$SHARD" ingest --history h.db hostile.xml
no_command err
expect_grep 'into run r\\n::add-mask::run' err

# the text report of that history
expect_status 0 "$SHARD" report --history h.db --format text
no_command out
expect_grep 'csi\\u\{009b\}2J\\u\{202e\}gnp\.exe' out

# a usage error quoting an argument
expect_status 2 "$SHARD" "$(printf 'nope\n::add-mask::arg')"
no_command err
expect_status 2 "$SHARD" plan --by "$(printf 'x\n::warning::y')" --tests tests.txt --shards 1
no_command err

# the partition check names its inputs: one whose name holds a newline
printf 'p.T.a\np.T.b\np.T.c\np.T.d\n' >l.txt
echo '{"p.T.a": 9}' >a.json
echo '{"p.T.d": 9, "p.T.c": 4}' >b.json
"$SHARD" ingest -q --history ha.db a.json && "$SHARD" ingest -q --history hb.db b.json ||
    fail "cannot make the histories"
nl_name=$(printf 'r1\n::add-mask::file.xml')
"$SHARD" run --tests l.txt --shards 2 --index 0 --history ha.db --run-id Q \
    --no-record -q -o r0.xml -- "$FAKE" {} 2>/dev/null
"$SHARD" run --tests l.txt --shards 2 --index 1 --history hb.db --run-id Q \
    --no-record -q -o "$nl_name" -- "$FAKE" {} 2>/dev/null
[ "$(plan_of r0.xml)" != "$(plan_of "$nl_name")" ] || fail "the histories planned alike"
expect_status 2 "$SHARD" merge -o m.xml r0.xml "$nl_name"
no_command err
expect_grep 'shard 1 \(r1\\n::add-mask::file\.xml\)' err
