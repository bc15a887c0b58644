#!/bin/sh
# shard merge refuses the reports of one run whose shards were planned
# from different histories (two SQLite copies restored from different
# caches, say): exit 2, nothing written, the disagreeing shards named
# with the tests then missing and doubled. Shards of one plan merge, a
# later attempt of a shard stays acceptable, and a shard with no report
# is named (exit 1). The merged report keeps the shards' properties but
# not the data the check consumed.
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
export FAKE_STATE=$SCRATCH

# 40 tests; two histories that disagree about which tests are long
$PY - <<'PYEOF'
import json
ids = ["pkg.T%d.test_%d" % (i % 5, i) for i in range(40)]
open("tests.txt", "w").write("".join(t + "\n" for t in ids))
json.dump({t: 30.0 if i % 8 == 0 else 1.0 for i, t in enumerate(ids)},
          open("a.json", "w"))
json.dump({t: 30.0 if i % 8 == 3 else 1.0 + i for i, t in enumerate(ids)},
          open("b.json", "w"))
PYEOF
expect_status 0 "$SHARD" ingest --history h1.db --run-id old a.json
expect_status 0 "$SHARD" ingest --history h2.db --run-id old b.json

# shard ARGS...: one shard of run X, not recorded
shard() {
    "$SHARD" run --tests tests.txt --shards 2 --run-id X --no-record "$@" \
        -- "$FAKE" {} >/dev/null 2>>run.err || { cat run.err; fail "shard $*"; }
}
shard --index 0 --history h1.db -o a0.xml
shard --index 1 --history h1.db -o a1.xml
shard --index 1 --history h2.db -o b1.xml
[ "$(plan_of a1.xml)" != "$(plan_of b1.xml)" ] || fail "the histories planned alike"

# one plan: merged, every test once; the data stays out of the output
expect_status 0 "$SHARD" merge -o ab.xml a0.xml a1.xml
exact_partition tests.txt ab.xml
expect_grep 'name="shard.plan_hash"' ab.xml
expect_grep 'name="shard.list_digest"' ab.xml
if grep -q 'name="shard.list"\|name="shard.planned"' ab.xml; then
    fail "the merged report carries the partition data"
fi

# planned apart: refused, nothing written, to a file or to stdout
expect_status 2 "$SHARD" merge -o bad.xml a0.xml b1.xml
[ ! -e bad.xml ] || fail "merge wrote bad.xml"
cp err refused.err
expect_status 2 "$SHARD" merge a0.xml b1.xml
[ ! -s out ] || fail "merge wrote to standard output"
expect_grep "^run X: its shards' reports do not split one test list" refused.err
expect_grep "^  plan $(plan_of a0.xml | cut -c1-12) of list [0-9a-f]{12} \(40 tests, 2 shards\): shard 0 \(a0.xml\)$" refused.err
expect_grep "^  plan $(plan_of b1.xml | cut -c1-12) of list [0-9a-f]{12} \(40 tests, 2 shards\): shard 1 \(b1.xml\)$" refused.err
expect_grep 'planned differently \(from different histories' refused.err
expect_grep '1 run refused' refused.err
# exactly the tests no report holds, and those two hold
$PY - refused.err a0.xml b1.xml <<'PYEOF' || fail "merge named the wrong tests"
import collections, re, sys
import xml.etree.ElementTree as ET
got = collections.Counter()
for p in sys.argv[2:]:
    for tc in ET.parse(p).iter("testcase"):
        got[tc.get("classname") + "." + tc.get("name")] += 1
ids = [l.strip() for l in open("tests.txt")]
missing = sorted(t for t in ids if not got[t])
doubled = sorted(t for t in ids if got[t] > 1)
text = open(sys.argv[1]).read()
assert missing and doubled, "the plans differ in no test"
m = re.search(r"^  (\d+) tests? in no shard:\n((?:    \S+\n)*)", text, re.M)
d = re.search(r"^  (\d+) tests? in two shards or more:\n((?:    .*\n)*)",
              text, re.M)
assert m and d, text
assert int(m.group(1)) == len(missing), (m.group(1), missing)
assert int(d.group(1)) == len(doubled), (d.group(1), doubled)
named_m = sorted(l.strip() for l in m.group(2).splitlines())
named_d = sorted(l.split()[0] for l in d.group(2).splitlines())
assert named_m == missing[:20] or len(missing) > 20, (named_m, missing)
assert set(named_m) <= set(missing) and set(named_d) <= set(doubled)
assert all("(shards 0 and 1)" in l for l in d.group(2).splitlines())
PYEOF

# a later attempt of shard 1 (a re-run of the failed job) is no stranger
GITHUB_RUN_ATTEMPT=2 shard --index 1 --history h1.db -o a1-2.xml
expect_status 0 "$SHARD" merge -o again.xml a0.xml a1.xml a1-2.xml
# the same report twice is not
expect_status 2 "$SHARD" merge -o twice.xml a0.xml a1.xml a1.xml
expect_grep 'shard 1 \(attempt 1\) is in two inputs: a1.xml and a1.xml' err

# a shard with no report: named, exit 1, the rest merged
expect_status 1 "$SHARD" merge -o half.xml a0.xml
expect_grep '^run X: no report from shard 1 of 2 \(plan [0-9a-f]{12}\): its tests were not reported$' err
[ -s half.xml ] || fail "merge of one shard wrote nothing"

# ingest refuses them as merge does, and records nothing of the run
expect_status 2 "$SHARD" ingest --history h3.db a0.xml b1.xml
expect_grep 'a0.xml: not recorded' err
expect_grep 'b1.xml: not recorded' err
HISTORY=h3.db
[ "$(sql 'SELECT count(*) FROM results')" -eq 0 ] || fail "ingest recorded a refused run"
# ... and a shard planned otherwise than one recorded before it
expect_status 0 "$SHARD" ingest --history h3.db --run-id Y a0.xml
expect_status 2 "$SHARD" ingest --history h3.db --run-id Y b1.xml
expect_grep 'b1.xml: shard 1 of run Y was planned as plan [0-9a-f]{12}, but shard 0 of the same list, recorded before, as plan [0-9a-f]{12}' err
[ "$(sql 'SELECT count(*) FROM results')" -eq "$(grep -c '<testcase' a0.xml)" ] ||
    fail "ingest kept part of b1.xml"
expect_status 0 "$SHARD" ingest --history h3.db --run-id Y a1.xml
