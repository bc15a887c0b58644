#!/bin/sh
# A PostgreSQL URL's parameters reach libpq, for every user of it: against
# a TLS server started here (ci/pg-start --tls, a CA and certificate made
# here), sslmode=verify-full with the right CA connects (history, queue,
# isolation, db gc); with a wrong CA, a CA file that is not there, or
# against a server without TLS, each fails with exit 3 saying why. An
# isolated shard's command gets the same TLS settings (PGSSLMODE,
# PGSSLROOTCERT, DATABASE_URL) and connects with them. No message shows
# the password, also when the URL is malformed.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || fail "openssl is needed (ci/deps)"
command -v psql >/dev/null || fail "psql missing: run ci/deps"
FAKE=$REPO/tests/cli/fake-runner.py

ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$1.key" -out "$1.pem" 2>/dev/null || fail "CA $1"
}
ca shard-test-ca
ca other-ca
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout srv.key -out srv.csr 2>/dev/null || fail "CSR"
printf 'subjectAltName=IP:127.0.0.1\n' >ext
openssl x509 -req -in srv.csr -CA shard-test-ca.pem -CAkey shard-test-ca.key \
    -CAcreateserial -days 2 -extfile ext -out srv.pem 2>/dev/null ||
    fail "certificate"
CA=$SCRATCH/shard-test-ca.pem
OTHER=$SCRATCH/other-ca.pem

PG_DIR=$SCRATCH/pg
mkdir -p "$PG_DIR"
at_exit '"$REPO/ci/pg-stop" "$PG_DIR"'
PG_ADMIN=$("$REPO/ci/pg-start" --tls srv.pem srv.key "$PG_DIR") ||
    fail "cannot start PostgreSQL with TLS"
PORT=$(echo "$PG_ADMIN" | sed -n 's/.*[?&]port=\([0-9][0-9]*\).*/\1/p')
[ -n "$PORT" ] || fail "no port in $PG_ADMIN"
SU=$(psql_admin "SELECT current_user")
psql_admin "CREATE DATABASE hist"
psql_admin "CREATE DATABASE tpl"
# trust authentication: the password is never checked, only never shown
PW=s3cretpw
BASE="postgresql://$SU:$PW@127.0.0.1:$PORT"
VERIFY="sslmode=verify-full&sslrootcert=$CA"
no_password() {
    ! grep -q "$PW" out err || fail "the password was shown: $*"
}

# the history: ingest and plan over verified TLS
printf '<testsuite><testcase classname="C" name="t" time="2"/></testsuite>\n' >r.xml
expect_status 0 "$SHARD" ingest --history "$BASE/hist?$VERIFY" --run-id r1 r.xml
[ "$(psql -X -t -A "$(echo "$PG_ADMIN" | sed 's|/postgres?|/hist?|')" \
    -c "SELECT count(*) FROM shard_history.runs")" = 1 ] || fail "ingest over TLS"
echo C.t >tests.txt
expect_status 0 "$SHARD" plan --history "$BASE/hist?$VERIFY" -k 2 -t tests.txt
expect_grep '"history":1' out

# a CA that did not sign the server's certificate: refused, exit 3
expect_status 3 "$SHARD" plan --history "$BASE/hist?sslmode=verify-full&sslrootcert=$OTHER" \
    -k 2 -t tests.txt
expect_grep "PostgreSQL $SU@127.0.0.1:$PORT/hist: cannot connect: .*certificate verify failed" err
no_password "wrong CA"
expect_status 3 "$SHARD" ingest --history "$BASE/hist?sslmode=verify-full&sslrootcert=$OTHER" \
    --run-id r2 r.xml
expect_grep 'certificate verify failed' err
no_password "ingest, wrong CA"
# the finding as reported: a CA file that is not there
expect_status 3 "$SHARD" plan --history "$BASE/hist?sslmode=verify-full&sslrootcert=/nonexistent" \
    -k 2 -t tests.txt
expect_grep 'root certificate file "/nonexistent" does not exist' err
no_password "missing CA file"

# the queue
expect_status 3 "$SHARD" queue status --queue "$BASE/hist?sslmode=verify-full&sslrootcert=$OTHER" run-1
expect_grep 'certificate verify failed' err
no_password "queue, wrong CA"
# (connected, and found no such run)
expect_status 2 "$SHARD" queue status --queue "$BASE/hist?$VERIFY" run-1
expect_grep "no queue run 'run-1'" err

# db gc
expect_status 3 "$SHARD" db gc "$BASE/postgres?sslmode=verify-full&sslrootcert=$OTHER"
expect_grep 'certificate verify failed' err
no_password "db gc, wrong CA"
expect_status 0 "$SHARD" db gc "$BASE/postgres?$VERIFY"

# isolation: the maintenance connection verifies too...
seq 1 4 | sed 's/^/app.T.test_/' >fake.txt
expect_status 3 "$SHARD" run --no-record --tests fake.txt --shards 2 --index 1 \
    --isolate-db "$BASE/tpl?sslmode=verify-full&sslrootcert=$OTHER" -- "$FAKE" {}
expect_grep 'certificate verify failed' err
no_password "--isolate-db, wrong CA"
# ...and the command gets the same settings, in its variables and its URL
export FAKE_LOG=$SCRATCH/log.json
expect_status 0 "$SHARD" run --no-record --tests fake.txt --shards 2 --index 1 \
    --isolate-db "$BASE/tpl?$VERIFY&application_name=tls-test" -- "$FAKE" {}
$PY - "$FAKE_LOG" "$CA" "$PW" <<'PYEOF' || fail "the command's TLS settings (database)"
import json, re, sys
env = json.loads(open(sys.argv[1]).read().splitlines()[-1])["env"]
assert re.fullmatch(r"tpl_s1_[0-9a-f]{8}", env["PGDATABASE"]), env
assert env["PGSSLMODE"] == "verify-full", env
assert env["PGSSLROOTCERT"] == sys.argv[2], env
assert env["PGAPPNAME"] == "tls-test", env
assert env["PGHOST"] == "127.0.0.1" and env["PGPASSWORD"] == sys.argv[3], env
url = env["DATABASE_URL"]
assert "/" + env["PGDATABASE"] + "?" in url, url
assert "sslmode=verify-full" in url and "sslrootcert=" in url, url
PYEOF
: >"$FAKE_LOG"
expect_status 0 "$SHARD" run --no-record --tests fake.txt --shards 2 --index 0 \
    --isolate-schema "$BASE/hist?$VERIFY&options=-c%20work_mem%3D7MB" -- "$FAKE" {}
$PY - "$FAKE_LOG" >child.env <<'PYEOF' || fail "the command's TLS settings (schema)"
import json, re, shlex, sys
env = json.loads(open(sys.argv[1]).read().splitlines()[-1])["env"]
assert env["PGSSLMODE"] == "verify-full", env
opts = env["PGOPTIONS"]
assert re.fullmatch(r"-c work_mem=7MB -c search_path=shard_s0_[0-9a-f]{8},public",
                    opts), opts
assert "work_mem%3D7MB" in env["DATABASE_URL"], env
for k, v in sorted(env.items()):
    if k.startswith("PG") or k == "DATABASE_URL":
        print("%s=%s" % (k, shlex.quote(v)))
PYEOF
# with those variables alone, and with DATABASE_URL alone, a client
# connects over verified TLS (the schema is gone, the database is not)
got=$(env -i PATH="$PATH" sh -c '. ./child.env; export $(sed "s/=.*//" child.env)
    unset DATABASE_URL; psql -X -t -A -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"') ||
    fail "the variables do not connect"
[ "$got" = t ] || fail "the variables connect without TLS: $got"
got=$(env -i PATH="$PATH" sh -c '. ./child.env; psql -X -t -A "$DATABASE_URL" -c "SHOW work_mem"') ||
    fail "DATABASE_URL does not connect"
[ "$got" = 7MB ] || fail "DATABASE_URL lost options: $got"
unset FAKE_LOG

# malformed URLs: exit 2, the URL shown without its password
expect_status 2 "$SHARD" plan --history "postgres://$SU:$PW@127.0.0.1:$PORT/hist%zz" -k 2 -t tests.txt
expect_grep "not a PostgreSQL URL: postgres://$SU@127.0.0.1:$PORT/hist%zz: invalid percent-encoded" err
no_password "bad escape"
expect_status 2 "$SHARD" plan --history "postgres://$SU:$PW@[::1/hist" -k 2 -t tests.txt
expect_grep "not a PostgreSQL URL: postgres://$SU@\[::1/hist: .*\"\]\"" err
no_password "bracket"
expect_status 2 "$SHARD" plan --history "postgres://$SU:s3cret%zzpw@127.0.0.1/hist" -k 2 -t tests.txt
expect_grep "a password in it \(not shown\)" err
no_password "bad escape in the password"
grep -q s3cret err && fail "a malformed password was shown"
expect_status 2 "$SHARD" plan --history "postgres://$SU@127.0.0.1/hist?password=$PW&%zz" -k 2 -t tests.txt
no_password "password= parameter"

# sslmode=require against a server without TLS: refused, exit 3
psql_admin "ALTER SYSTEM SET ssl = off" && psql_admin "SELECT pg_reload_conf()" >/dev/null
n=0
until [ "$(psql_admin "SHOW ssl")" = off ] || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
[ "$(psql_admin "SHOW ssl")" = off ] || fail "the server kept TLS on"
expect_status 3 "$SHARD" plan --history "$BASE/hist?sslmode=require" -k 2 -t tests.txt
expect_grep "PostgreSQL $SU@127.0.0.1:$PORT/hist: cannot connect: .*server does not support SSL" err
no_password "require without TLS"
expect_status 0 "$SHARD" plan --history "$BASE/hist?sslmode=disable" -k 2 -t tests.txt
exit 0
