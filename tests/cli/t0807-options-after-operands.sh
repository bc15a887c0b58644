#!/bin/sh
# Options after operands are honoured, as GNU tools do, whatever
# POSIXLY_CORRECT says: `shard ingest f.xml --run-id z` ingested f.xml
# under another run id and then took "--run-id" and "z" for files.
# "--" ends the options; the operands of
# shard run and shard plan --collect are a command and stay its own.
. "$(dirname "$0")/lib.sh"

cat >r.xml <<'XML'
<testsuite name="s"><testcase classname="c" name="a" time="1"/></testsuite>
XML
cat >r2.xml <<'XML'
<testsuite name="s"><testcase classname="c" name="b" time="2"/></testsuite>
XML

expect_status 0 "$SHARD" ingest r.xml --run-id z --history h.db
expect_grep "into run z\$" err
expect_status 0 "$SHARD" history show --history h.db
expect_grep "^runs +1 \(oldest z, newest z\)" out

POSIXLY_CORRECT=1 expect_status 0 "$SHARD" ingest r2.xml --history h.db \
    --run-id y
expect_grep "into run y\$" err
[ "$(HISTORY=h.db sql 'select count(*) from runs')" = 2 ] ||
    fail "two runs expected in h.db"

# operands keep their order around options
expect_status 0 "$SHARD" merge r.xml -o m.xml r2.xml
$PY - <<'PY' || fail "merge lost or reordered an operand"
import xml.etree.ElementTree as ET
names = [c.get("name") for c in ET.parse("m.xml").iter("testcase")]
assert names == ["a", "b"], names
PY

# an unknown option anywhere is refused before anything is stored
expect_status 2 "$SHARD" ingest r.xml --run-id x --history h2.db --bogus
expect_grep "unknown option '--bogus'" err
[ ! -e h2.db ] || fail "a refused command made a history"

# after "--" an operand that looks like an option is a file
expect_status 2 "$SHARD" ingest --history h.db -- --run-id
expect_grep "run-id: No such file" err
[ "$(HISTORY=h.db sql 'select count(*) from runs')" = 2 ] ||
    fail "a refused ingest stored a run"

# shard run: what follows the command is the command's own
printf 'c.a\n' >tests.txt
cat >runner.sh <<'SH'
#!/bin/sh
printf '%s\n' "$@" >args.txt
SH
chmod +x runner.sh
"$SHARD" run --tests tests.txt --shards 1 --index 0 --no-record -- \
    ./runner.sh {} --index 7 >/dev/null 2>&1
grep -qx -- "--index" args.txt && grep -qx 7 args.txt ||
    fail "shard run took the command's own arguments: $(cat args.txt)"
