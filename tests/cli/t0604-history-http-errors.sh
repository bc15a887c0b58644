#!/bin/sh
# Failures of pull and push: a 5xx is retried (and gives up after
# --retries with exit 3), a server that does not answer times out, an
# unreachable or unresolvable server and a 403 are exit 3, an object that
# is not a history is exit 3; usage errors are exit 2. Every message names
# the URL without its query, and the token appears nowhere.
. "$(dirname "$0")/lib.sh"
objstore_start
URL="http://127.0.0.1:$PORT/h.db?sig=s1gn4ture"
TOKEN=tok-5ecret-1234
export SHARD_HISTORY_TOKEN=$TOKEN

no_secrets() {
    ! grep -q -e "$TOKEN" -e s1gn4ture out err ||
        fail "a secret was printed: $(cat out err)"
}
printf '<testsuite><testcase classname="C" name="t" time="1"/></testsuite>\n' >r.xml
expect_status 0 "$SHARD" ingest --run-id r1 r.xml

# two 5xx answers, then success: the push is retried and lands
$OBJSTORE fault "$URL" status=500
$OBJSTORE fault "$URL" status=503
expect_status 0 "$SHARD" history push --retry-delay 0.01 "$URL"
[ "$(grep -c '^PUT ' srv/log)" = 3 ] || fail "not three attempts: $(cat srv/log)"
expect_grep '^PUT .* 500 ' srv/log
expect_grep '^PUT .* 503 ' srv/log
expect_grep '^PUT .* 200 ' srv/log

# 5xx past the retries: exit 3 naming the redacted URL and the status
for i in 1 2 3; do $OBJSTORE fault "$URL" status=502; done
expect_status 3 "$SHARD" history pull --retries 2 --retry-delay 0.01 "$URL"
expect_grep "^shard: GET http://127.0.0.1:$PORT/h.db\?REDACTED: HTTP 502$" err
no_secrets

# a 403 is not retried
: >srv/log
$OBJSTORE fault "$URL" status=403
expect_status 3 "$SHARD" history pull --retry-delay 0.01 "$URL"
expect_grep "GET http://127.0.0.1:$PORT/h.db\?REDACTED: HTTP 403" err
[ "$(grep -c '^GET ' srv/log)" = 1 ] || fail "a 403 was retried"
no_secrets

# a server that accepts but never answers: the attempt times out
$OBJSTORE fault "$URL" hang=30
expect_status 3 "$SHARD" history pull --timeout 1 --retries 0 "$URL"
expect_grep "GET http://127.0.0.1:$PORT/h.db\?REDACTED: .*[Tt]imeout was reached|timed out" err
no_secrets

# nothing listens: connection refused, retried, then exit 3
free=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_status 3 "$SHARD" history push --retries 1 --retry-delay 0.01 \
    "http://127.0.0.1:$free/h.db?sig=s1gn4ture"
expect_grep "PUT http://127.0.0.1:$free/h.db\?REDACTED: .*(2 attempts)" err
no_secrets
# (user info is a credential: sent in clear text only when allowed)
expect_status 3 "$SHARD" history pull --retries 0 --allow-insecure-token \
    "http://user:pw-s1gn4ture@no-such-host.invalid/h.db"
expect_grep "GET http://REDACTED@no-such-host.invalid/h.db: " err
no_secrets

# an object that is not a history
printf 'not a database, just some bytes that are long enough to be read\n%.0s' \
    $(seq 100) >junk
$OBJSTORE put "http://127.0.0.1:$PORT/junk.db" junk
expect_status 3 "$SHARD" history pull "http://127.0.0.1:$PORT/junk.db?sig=s1gn4ture"
expect_grep "GET http://127.0.0.1:$PORT/junk.db\?REDACTED: not a shard history" err
no_secrets
[ "$(sql 'SELECT count(*) FROM runs')" = 1 ] || fail "a bad pull touched the history"

# usage errors
expect_status 2 "$SHARD" history pull
expect_grep "give one URL" err
expect_status 2 "$SHARD" history push ftp://127.0.0.1/h.db
expect_grep "'ftp://127.0.0.1/h.db' is not an http:// or https:// URL" err
expect_status 2 "$SHARD" history push "$URL" extra
expect_status 2 "$SHARD" history push --retries many "$URL"
expect_status 2 "$SHARD" history push --timeout -1 "$URL"
expect_status 2 "$SHARD" history push --no-such-option "$URL"
expect_status 2 "$SHARD" history pull "http://[::1"
no_secrets
