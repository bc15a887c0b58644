#!/bin/sh
# shard history pull/push against a real object store on 127.0.0.1
# (tests/cli/objstore.py): a first pull finds nothing (404) and is fine;
# the first push creates the object (If-None-Match: *), later pushes are
# conditional on the saved ETag (If-Match); a pull merges into the local
# history; the bearer token and a header file's lines are sent but never
# printed, and a presigned URL's query is redacted from messages.
. "$(dirname "$0")/lib.sh"
objstore_start
URL="http://127.0.0.1:$PORT/bucket/history.db?X-Amz-Signature=s1gn4ture"
TOKEN=tok-5ecret-1234
export SHARD_HISTORY_TOKEN=$TOKEN

# junit FILE NAME SECONDS
junit() {
    printf '<testsuite><testcase classname="t.C" name="%s" time="%s"/></testsuite>\n' \
        "$2" "$3" >"$1"
}
# no_secrets: the token and signature appear in no output of shard
no_secrets() {
    ! grep -q -e "$TOKEN" -e s1gn4ture -e "Custom-S3cret" "$SCRATCH/out" "$SCRATCH/err" ||
        fail "a secret was printed: $(cat "$SCRATCH/out" "$SCRATCH/err")"
}

# a first pull: nothing there yet; no local history is created
expect_status 0 "$SHARD" history pull "$URL"
expect_grep "history.db\?REDACTED: no history there yet" err
no_secrets
[ ! -e .shard/history.db ] || fail "a pull of nothing created a history"

# first push: If-None-Match: *, with the token
junit a.xml test_a 1.5
expect_status 0 "$SHARD" ingest --run-id run-a a.xml
expect_status 0 "$SHARD" history push "$URL"
expect_grep "history.db -> http://127.0.0.1:$PORT/bucket/history.db\?REDACTED" err
no_secrets
expect_grep "^PUT /bucket/history.db\?X-Amz-Signature=s1gn4ture 200 if-match=- if-none-match=\* auth=Bearer $TOKEN$" srv/log
etag=$(cat .shard/history.db.etag)
[ -n "$etag" ] || fail "push saved no ETag"
$OBJSTORE get "$URL" remote.db
[ "$(HISTORY=remote.db sql 'SELECT run_key FROM runs')" = run-a ] ||
    fail "the remote object is not the history"

# pull into another directory: the remote runs land, the ETag is saved
mkdir b && cd b || exit 1
junit b.xml test_b 0.5
expect_status 0 "$SHARD" ingest --run-id run-b b.xml
expect_status 0 "$SHARD" history pull "$URL"
expect_grep "1 new runs, 1 new reports \(1 results\), 1 new tests" "$SCRATCH/err"
[ "$(cat .shard/history.db.etag)" = "$etag" ] || fail "pull saved another ETag"
[ "$(sql 'SELECT run_key FROM runs ORDER BY 1' | tr '\n' ' ')" = "run-a run-b " ] ||
    fail "pull lost a local run"

# push from there: If-Match on the pulled ETag; the remote has both runs
: >"$SCRATCH/srv/log"
expect_status 0 "$SHARD" history push "$URL"
expect_grep "^PUT .* 200 if-match=$etag if-none-match=- " "$SCRATCH/srv/log"
[ "$(cat .shard/history.db.etag)" != "$etag" ] || fail "push did not save the new ETag"
[ ! -s .shard/history.db-wal ] || fail "push did not checkpoint the WAL"
$OBJSTORE get "$URL" remote.db
[ "$(HISTORY=remote.db sql 'SELECT run_key FROM runs ORDER BY 1' | tr '\n' ' ')" = "run-a run-b " ] ||
    fail "the pushed history lacks a run"
cd .. || exit 1

# pushing with a stale ETag after someone else pushed: 412, pull, merge, retry
junit c.xml test_c 2
expect_status 0 "$SHARD" ingest --run-id run-c c.xml
: >srv/log
expect_status 0 "$SHARD" history push --retry-delay 0.01 "$URL"
expect_grep "after 1 conflict \(merged 1 runs pushed by others\)" err
no_secrets
expect_grep "^PUT .* 412 if-match=$etag " srv/log
$OBJSTORE get "$URL" remote.db
[ "$(HISTORY=remote.db sql 'SELECT run_key FROM runs ORDER BY 1' | tr '\n' ' ')" = "run-a run-b run-c " ] ||
    fail "the 412 path lost a run"
[ "$(HISTORY=remote.db sql 'SELECT count(*) FROM results')" = 3 ] ||
    fail "the 412 path doubled results"

# a header file's lines are sent as headers, and never printed
printf '# for the proxy\nX-Custom: Custom-S3cret\n\n' >headers
unset SHARD_HISTORY_TOKEN
: >srv/log
expect_status 0 "$SHARD" history pull --header-file headers "$URL"
no_secrets
expect_grep "^GET .* 200 .* auth=-$" srv/log
printf 'Authorization Bearer Custom-S3cret\n' >bad-headers
expect_status 2 "$SHARD" history pull --header-file bad-headers "$URL"
expect_grep "bad-headers:1: expected a 'Name: value' header line" err
no_secrets
expect_status 2 "$SHARD" history pull --header-file no-such-file "$URL"
expect_grep "no-such-file: No such file" err

# a history location that is not a SQLite file cannot be pushed
expect_status 2 "$SHARD" history push --history postgres://u@h/db "$URL"
expect_grep "pull and push work on a SQLite history file" err
expect_status 2 "$SHARD" history push --history nothing.db "$URL"
expect_grep "nothing.db: no history to push" err
