#!/bin/sh
# TLS peers are verified: against an https object store whose certificate
# no system CA signed, pull fails (exit 3, saying why) until --cacert names
# the CA; then pull and push work over TLS.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "openssl is needed (ci/deps)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=shard-test-ca \
    -keyout ca.key -out ca.pem 2>/dev/null || fail "CA"
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout srv.key -out srv.csr 2>/dev/null || fail "CSR"
printf 'subjectAltName=IP:127.0.0.1\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 2 -extfile ext -out srv.pem 2>/dev/null || fail "certificate"
objstore_start --tls srv.pem srv.key
URL="https://127.0.0.1:$PORT/h.db"

printf '<testsuite><testcase classname="C" name="t" time="1"/></testsuite>\n' >r.xml
expect_status 0 "$SHARD" ingest --run-id r1 r.xml

expect_status 3 "$SHARD" history push --retries 0 "$URL"
expect_grep "PUT https://127.0.0.1:$PORT/h.db: .*certificate.*is --cacert needed\?" err
[ ! -e srv/log ] || ! grep -q '^PUT' srv/log || fail "a request passed an unverified peer"

expect_status 0 "$SHARD" history push --cacert ca.pem "$URL"
expect_status 0 "$SHARD" history pull --cacert ca.pem --history b.db "$URL"
expect_grep "1 new runs" err
[ "$(HISTORY=b.db sql 'SELECT run_key FROM runs')" = r1 ] || fail "pull over TLS"

# a CA file that is not there: exit 3 naming the URL
expect_status 3 "$SHARD" history pull --retries 0 --cacert no-such.pem "$URL"
expect_grep "GET https://127.0.0.1:$PORT/h.db: " err
