#!/bin/sh
# Shards planned on the fly, one after another, against one SQLite
# history that each shard records into: `shard run --tests
# --shards 3 --index I` for I = 0, 1, 2. With a run id the run's first
# plan is pinned in the history and the other shards reuse it; without
# one, shard run does not record by default, so the shards plan from the
# same history. Either way the three reports split the list exactly.
# Forcing --record without a run id makes the shards plan apart: merge
# and ingest then refuse their reports, naming what is missing and
# doubled.
. "$(dirname "$0")/lib.sh"
FAKE=$REPO/tests/cli/fake-runner.py
HISTORY=$SCRATCH/h.db
export FAKE_STATE=$SCRATCH FAKE_TIMES=$SCRATCH/times.tsv

# 60 tests; history says every tenth takes 20 s and the rest 1 s, but
# they now run the other way round: each shard's results change the
# estimates the next shard would plan from.
$PY - <<'PYEOF'
import json
ids = ["app.Mod%d.test_%d" % (i % 6, i) for i in range(60)]
open("tests.txt", "w").write("".join(t + "\n" for t in ids))
json.dump({t: 20.0 if i % 10 == 0 else 1.0 for i, t in enumerate(ids)},
          open("durations.json", "w"))
open("times.tsv", "w").write("".join(
    "%s\t%.3f\n" % (t, 0.1 if i % 10 == 0 else 3.0 + i % 7)
    for i, t in enumerate(ids)))
PYEOF
expect_status 0 "$SHARD" ingest --history "$HISTORY" --run-id seed durations.json
results() { sql "SELECT count(*) FROM results"; }

# run_shards PREFIX ARGS...: the three shards, one after another
run_shards() {
    prefix=$1
    shift
    for i in 0 1 2; do
        "$SHARD" run --tests tests.txt --shards 3 --index $i \
            --history "$HISTORY" -o "$prefix-$i.xml" "$@" -- "$FAKE" {} \
            >/dev/null 2>"$prefix-$i.err" ||
            { cat "$prefix-$i.err"; fail "$prefix shard $i failed"; }
    done
}

# with a run id: recorded, and planned once
before=$(results)
run_shards id --run-id R1
exact_partition tests.txt id-0.xml id-1.xml id-2.xml
[ "$(results)" -eq $((before + 60)) ] || fail "run R1 was not recorded"
[ "$(plan_of id-0.xml)" = "$(plan_of id-2.xml)" ] || fail "R1's plans differ"
expect_grep 'run R1: the plan made earlier for this run and list' id-1.err
expect_grep 'run R1: the plan made earlier for this run and list' id-2.err
expect_status 0 "$SHARD" merge -o id.xml id-0.xml id-1.xml id-2.xml
# the run's own results changed the history: another run plans anew
expect_status 0 "$SHARD" plan --tests tests.txt --shards 3 \
    --history "$HISTORY" --run-id R2 -o r2.json
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["plan_hash"])' r2.json)" != "$(plan_of id-0.xml)" ] ||
    fail "the history did not change the next run's plan"
# a re-run attempt of R1 (GitHub's run id without its attempt) reuses it
GITHUB_ACTIONS=true GITHUB_RUN_ID=R1 GITHUB_RUN_ATTEMPT=2 expect_status 0 \
    "$SHARD" plan --tests tests.txt --shards 3 --history "$HISTORY" -o again.json
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["plan_hash"])' again.json)" = "$(plan_of id-0.xml)" ] ||
    fail "attempt 2 of run R1 planned anew"

# without a run id: not recorded by default, so planned alike
before=$(results)
run_shards anon
exact_partition tests.txt anon-0.xml anon-1.xml anon-2.xml
[ "$(results)" -eq "$before" ] || fail "shards without a run id recorded"
expect_grep 'not recording into the history: with no run id' anon-0.err
expect_grep 'or --record to record anyway' anon-0.err
expect_status 0 "$SHARD" merge -o anon.xml anon-0.xml anon-1.xml anon-2.xml

# --record without a run id: each shard plans from what the one before
# recorded; the reports are refused, and nothing is written
run_shards forced --record
[ "$(plan_of forced-0.xml)" != "$(plan_of forced-1.xml)" ] ||
    fail "the test did not make the shards plan apart"
expect_status 2 "$SHARD" merge -o forced.xml forced-0.xml forced-1.xml forced-2.xml
[ ! -e forced.xml ] || fail "merge wrote a report of shards planned apart"
expect_grep "its shards' reports do not split one test list" err
expect_grep 'plan [0-9a-f]{12} of list [0-9a-f]{12} \(60 tests, 3 shards\): shard 0 \(forced-0.xml\)' err
expect_grep 'planned differently' err
expect_grep '^  [0-9]+ tests? in no shard:$' err
expect_grep '^  [0-9]+ tests? in two shards or more:$' err
expect_grep '^    app\.Mod[0-9]\.test_[0-9]+ \(shards [0-9] and [0-9]\)$' err
# the tests named are the ones lost and doubled: check against the reports
$PY - err forced-0.xml forced-1.xml forced-2.xml <<'PYEOF' || fail "merge named the wrong tests"
import collections, re, sys
import xml.etree.ElementTree as ET
got = collections.Counter()
for p in sys.argv[2:]:
    for tc in ET.parse(p).iter("testcase"):
        got[tc.get("classname") + "." + tc.get("name")] += 1
ids = [l.strip() for l in open("tests.txt")]
missing = {t for t in ids if not got[t]}
doubled = {t for t in ids if got[t] > 1}
text = open(sys.argv[1]).read()
named_missing = set(re.findall(r"^    (\S+)$", text, re.M))
named_doubled = set(re.findall(r"^    (\S+) \(shards", text, re.M))
assert missing and doubled, (missing, doubled)
assert named_missing <= missing and named_doubled <= doubled
assert len(named_missing) == min(20, len(missing)), (named_missing, missing)
assert len(named_doubled) == min(20, len(doubled)), (named_doubled, doubled)
PYEOF
before=$(results)
expect_status 2 "$SHARD" ingest --history "$HISTORY" --run-id R3 \
    forced-0.xml forced-1.xml forced-2.xml
expect_grep 'forced-1.xml: not recorded' err
[ "$(results)" -eq "$before" ] || fail "ingest recorded shards planned apart"
