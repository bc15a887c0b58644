#!/bin/sh
# Two pipelines push their own histories (different runs) to one object
# store at the same time, twice: every run of both ends up in the remote
# history, none twice. Whoever loses the race gets 412, pulls, merges and
# pushes again.
. "$(dirname "$0")/lib.sh"
objstore_start
URL="http://127.0.0.1:$PORT/ci/history.db"

# ingest_run DIR RUN: a report of 20 tests into DIR's history
ingest_run() {
    $PY - "$1/$2.xml" "$2" <<'PY'
import sys
cases = "".join('<testcase classname="suite.%s" name="t%d" time="0.%d"/>'
                % (sys.argv[2], i, i) for i in range(20))
open(sys.argv[1], "w").write("<testsuite>%s</testsuite>\n" % cases)
PY
    (cd "$1" && "$SHARD" ingest -q --run-id "$2" "$2.xml") ||
        fail "ingest $2"
}

push_both() {
    (cd a && exec "$SHARD" history push --retry-delay 0.05 "$URL" 2>push.err) &
    pa=$!
    (cd b && exec "$SHARD" history push --retry-delay 0.05 "$URL" 2>push.err) &
    pb=$!
    wait $pa || fail "push from a failed: $(cat a/push.err)"
    wait $pb || fail "push from b failed: $(cat b/push.err)"
}

remote_runs() {
    $OBJSTORE get "$URL" remote.db
    HISTORY=remote.db sql 'SELECT run_key FROM runs ORDER BY run_key' | tr '\n' ' '
}

mkdir a b
ingest_run a a1
ingest_run b b1
push_both
[ "$(remote_runs)" = "a1 b1 " ] || fail "round 1: remote runs are $(remote_runs)"
# neither had an ETag: exactly one create won, the other met 412 and merged
[ "$(grep -c '^PUT .* 200 if-match=- if-none-match=\*' srv/log)" = 1 ] ||
    fail "not exactly one unconditional create: $(cat srv/log)"
expect_grep '^PUT .* 412 ' srv/log
cat a/push.err b/push.err >errs
expect_grep "after [0-9]+ conflicts? \(merged 1 runs pushed by others\)" errs

# round 2: both hold ETags now, both add a run and push at once
ingest_run a a2
ingest_run b b2
push_both
[ "$(remote_runs)" = "a1 a2 b1 b2 " ] || fail "round 2: remote runs are $(remote_runs)"
[ "$(HISTORY=remote.db sql 'SELECT count(*) FROM results')" = 80 ] ||
    fail "results lost or doubled: $(HISTORY=remote.db sql 'SELECT count(*) FROM results')"
