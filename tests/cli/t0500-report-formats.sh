#!/bin/sh
# shard report in every format on a three-run history of a sharded suite
# (tests/cli/t05-report-history.py): the JSON's figures equal what history
# holds, each format says what matters (the bounding test, the flaky
# test, the added and removed ones), -o writes a file.
. "$(dirname "$0")/lib.sh"
for r in 1 2 3; do
    $PY "$REPO/tests/cli/t05-report-history.py" $r run$r
    expect_status 0 "$SHARD" ingest -q --run-id r$r --commit c$r run$r/*.xml
done

expect_status 0 "$SHARD" report --format json -o report.json
[ -s out ] && fail "-o FILE also wrote to standard output"

# every figure of the JSON, recomputed from the history with SQL
$PY - report.json .shard/history.db <<'PY' || fail "JSON does not match history"
import json, sqlite3, sys
rep = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
q = lambda sql, *a: db.execute(sql, a).fetchall()
def close(a, b):
    assert abs(a - b) < 1e-6, (a, b)
assert rep["version"] == 1 and rep["last"] == 10
assert [r["run_key"] for r in rep["runs"]] == ["r1", "r2", "r3"], rep["runs"]
for r in rep["runs"]:
    (rid, commit), = q("SELECT id, commit_sha FROM runs WHERE run_key=?", r["run_key"])
    assert r["commit"] == commit
    close(r["suite_seconds"], q("SELECT sum(seconds) FROM results WHERE run_id=?", rid)[0][0])
    close(r["makespan_seconds"], q("SELECT max(actual) FROM shards WHERE run_id=?", rid)[0][0])
    assert r["tests"] == q("SELECT count(DISTINCT test_id) FROM results WHERE run_id=?", rid)[0][0]
    assert r["shards"] == 4
assert [r["failed"] for r in rep["runs"]] == [0, 1, 0]
rid = q("SELECT id FROM runs WHERE run_key='r3'")[0][0]
rows = q("SELECT shard_index, predicted, actual FROM shards WHERE run_id=? ORDER BY shard_index", rid)
assert len(rep["latest_shards"]) == len(rows) == 4
for s, (i, p, a) in zip(rep["latest_shards"], rows):
    assert s["index"] == i; close(s["predicted_seconds"], p); close(s["actual_seconds"], a)
est = dict(q("SELECT key, estimate FROM tests"))
slow = rep["slowest_tests"]
assert slow[0]["key"] == "tests.slow.test_big", slow[0]
for t in slow:
    close(t["estimate_seconds"], est[t["key"]])
assert [t["estimate_seconds"] for t in slow] == sorted((t["estimate_seconds"] for t in slow), reverse=True)
assert any(t["key"] == "tests.api.test_<odd> & \"quoted\" 'name'" for t in slow)
b = rep["makespan_bound"]
latest = [k for (k,) in q("SELECT DISTINCT t.key FROM results r JOIN tests t ON t.id=r.test_id WHERE r.run_id=?", rid)]
close(b["total_seconds"], sum(est[k] for k in latest if est[k] is not None))
close(b["share_seconds"], b["total_seconds"] / 4)
assert [t["key"] for t in b["tests"]] == [k for k in latest if (est[k] or 0) > b["share_seconds"]] == ["tests.slow.test_big"]
assert [f["key"] for f in rep["flaky_tests"]] == ["t.flaky"], rep["flaky_tests"]
assert rep["flaky_tests"][0]["same_commit"] and rep["flaky_tests"][0]["flips"] == 2
assert rep["added_tests"] == ["t.new"] and rep["removed_tests"] == ["t.old"]
f = {x["file"]: x for x in rep["slowest_files"]}
close(f["tests/api.py"]["estimate_seconds"], sum(v for k, v in est.items() if k.startswith("tests.api.")))
assert f["tests/api.py"]["tests"] == 3
PY

# --last limits the window: the trend and added/removed follow it
expect_status 0 "$SHARD" report -f json --last 1
$PY -c 'import json,sys; r=json.load(open("out"))
assert [x["run_key"] for x in r["runs"]] == ["r3"] and r["added_tests"] == [], r' ||
    fail "--last 1"

expect_status 0 "$SHARD" report
expect_grep '^shard report: 3 runs' out
expect_grep '1 test takes longer: no shard count can bring the makespan below 42\.0 s' out
expect_grep 'Split it into smaller tests' out
expect_grep 'both outcomes on one commit, 2 flips in 3 runs .*t\.flaky$' out
expect_grep '^  t\.new$' out
expect_grep '^  t\.old$' out
expect_grep '^      0     38\.0 s    43\.5 s       \+14%$' out

expect_status 0 "$SHARD" report --format markdown
expect_grep '^```mermaid$' out
expect_grep '^gantt$' out
expect_grep '^    dateFormat x$' out
expect_grep '^    section shard 3$' out
expect_grep '^    actual 43\.5 s :a0, 0, 43500$' out
expect_grep '^    predicted 38\.0 s :p0, 0, 38000$' out
expect_grep '^\| 42\.0 s \| tests\\\.slow\\\.test\\_big \|$' out
expect_grep 'test\\_&lt;odd&gt; &amp; &quot;quoted&quot; &#39;name&#39;' out
grep -q '<odd>' out && fail "markdown: a name's HTML was not escaped"

expect_status 0 "$SHARD" report --format html -o report.html
expect_grep '^<!DOCTYPE html>' report.html
expect_grep 'data-chart="gantt"' report.html
grep -q '<odd>' report.html && fail "html: a name's HTML was not escaped"
grep -Eq '<(script|link|img|iframe)|url\(|@import' report.html &&
    fail "html: not self-contained"
exit 0
