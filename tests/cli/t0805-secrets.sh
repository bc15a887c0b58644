#!/bin/sh
# Secrets stay with shard.
# (a) The test and collect commands never see SHARD_HISTORY_TOKEN or
#     SHARD_HISTORY: static (--tests and --plan), --local, --queue, with
#     --collect, and shard plan --collect; what shard sets on purpose
#     (SHARD_INDEX) and the user's own variables still reach them.
# (b) --isolate-db-env, --isolate-schema-env and --queue-env take the URL
#     from a variable: the password is in no process's argv (the runner
#     reads its own and its parent's /proc/PID/cmdline) and in no output,
#     and the named variable is kept from the commands; an unset, empty or
#     doubled one is a usage error naming it; a variable alone switches
#     nothing on.
# (c) A token, header file or user info goes over plain http:// only to a
#     loopback address: to this machine's own non-loopback address it is
#     refused (exit 2) before a connection is made (the server there sees
#     nothing), unless --allow-insecure-token; to 127.0.0.1 it is sent. A
#     redirect is not followed.
. "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || fail "psql missing: run ci/deps"
pg_start
FAKE=$REPO/tests/cli/fake-runner.py
TOKEN=tok-S3CRET-4242
PW=pw-S3CRET-9191
export SHARD_HISTORY_TOKEN=$TOKEN
export SHARD_HISTORY=$SCRATCH/history-S3CRET.db
export KEEP_ME=user-variable DUMPS=$SCRATCH/dumps
mkdir -p "$DUMPS"
$PY -c "
for i in range(12): print('app.M%d.test_%02d' % (i % 3, i))" >tests.txt

# dump.py list FILE | run ID...: record the environment and the argv of
# this process and of its parent, then print FILE (a collect command) or
# run the fake runner on the ids.
cat >dump.py <<EOF
#!$PY
import os, sys
d = os.environ["DUMPS"]
tag = "%s-%d" % (sys.argv[1], os.getpid())
with open(os.path.join(d, "env-" + tag), "w") as f:
    f.write("".join("%s=%s\n" % kv for kv in os.environ.items()))
for who, pid in (("self", os.getpid()), ("parent", os.getppid())):
    with open("/proc/%d/cmdline" % pid, "rb") as src:
        data = src.read().replace(b"\0", b" ")
    with open(os.path.join(d, "cmdline-%s-%s" % (who, tag)), "wb") as f:
        f.write(data)
if sys.argv[1] == "list":
    sys.stdout.write(open(sys.argv[2]).read())
else:
    os.execv("$FAKE", ["$FAKE"] + sys.argv[2:])
EOF
chmod +x dump.py
DUMP=$SCRATCH/dump.py

# dumped KIND: fail unless commands of KIND (list, run) left dumps
dumped() {
    ls "$DUMPS" | grep -q "^env-$1-" || fail "no $1 command ran"
}
# clean_envs WHAT: no dump holds shard's secrets; the rest got through
clean_envs() {
    ! grep -l -e '^SHARD_HISTORY' -e "$TOKEN" -e S3CRET "$DUMPS"/env-* ||
        fail "$1: a command got shard's secrets: $(grep -h -e '^SHARD_HISTORY' -e S3CRET "$DUMPS"/env-*)"
    for f in "$DUMPS"/env-*; do
        grep -q '^KEEP_ME=user-variable$' "$f" || fail "$1: the user's variable is lost in $f"
    done
}
# no_output_secret: neither the token nor the password in shard's output
no_output_secret() {
    ! grep -q -e "$TOKEN" -e "$PW" "$SCRATCH/out" "$SCRATCH/err" ||
        fail "a secret was printed: $(cat "$SCRATCH/out" "$SCRATCH/err")"
}
# clean_argv WHAT: the password is in no runner's or parent's argv
clean_argv() {
    ! grep -l -e "$PW" "$DUMPS"/cmdline-* ||
        fail "$1: the password is in a process's argv"
}
reset() { rm -f "$DUMPS"/*; }

# ---- (a) shard's own variables reach no command, in every mode ----

# static, the list from a collect command
expect_status 0 "$SHARD" run --collect --shards 2 --index 1 --run-id a1 \
    -- "$DUMP" list tests.txt -- "$DUMP" run {}
dumped list; dumped run; clean_envs "static --collect"
grep -q '^SHARD_INDEX=1$' "$DUMPS"/env-run-* || fail "SHARD_INDEX did not reach the runner"
reset

# static, from a plan file; the plan's collect command too
expect_status 0 "$SHARD" plan --shards 2 -o plan.json --collect -- "$DUMP" list tests.txt
dumped list; clean_envs "plan --collect"
reset
expect_status 0 "$SHARD" run --plan plan.json --index 0 -- "$DUMP" run {}
dumped run; clean_envs "static --plan"
reset

# every shard on this machine
expect_status 0 "$SHARD" run --local -j 2 --shards 3 --tests tests.txt -- "$DUMP" run {}
[ "$(ls "$DUMPS" | grep -c '^env-run-')" -ge 3 ] || fail "--local: not every shard ran"
clean_envs "--local"
reset

# a queue worker, its list collected
psql_admin "CREATE DATABASE q"
export QUEUE_URL="$(pg_url q)&password=$PW"
expect_status 0 "$SHARD" run --queue-env QUEUE_URL --run-id qa --shards 1 \
    --index 0 --no-record --collect -- "$DUMP" list tests.txt -- "$DUMP" run {}
dumped list; dumped run; clean_envs "--queue"
no_output_secret; clean_argv "--queue-env"
# the named variable stays with shard too
! grep -q '^QUEUE_URL=' "$DUMPS"/env-* || fail "--queue-env: the command got QUEUE_URL"
reset

# ---- (b) URLs from named variables ----

# the queue's observers read it from a variable too
expect_status 0 "$SHARD" queue status --queue-env QUEUE_URL qa
expect_grep '^run qa .*12 tests: 0 pending, 0 claimed, 12 done' out
no_output_secret
expect_status 0 "$SHARD" queue report --queue-env QUEUE_URL -o qa.xml qa
expect_grep 'tests="12"' qa.xml
no_output_secret

# a database per shard from a template named by variable
psql_admin "CREATE DATABASE app_template"
export TEMPLATE_URL="$(pg_url app_template)&password=$PW"
expect_status 0 "$SHARD" run --local -j 2 --shards 2 --no-record \
    --isolate-db-env TEMPLATE_URL --tests tests.txt -- "$DUMP" run {}
[ "$(grep -l '^DATABASE_URL=.*/app_template_s[01]_' "$DUMPS"/env-run-* | wc -l)" -ge 2 ] ||
    fail "--isolate-db-env: the shards got no database of their own"
no_output_secret; clean_argv "--isolate-db-env"
! grep -q '^TEMPLATE_URL=' "$DUMPS"/env-* || fail "--isolate-db-env: the command got TEMPLATE_URL"
[ "$(psql_admin "SELECT count(*) FROM pg_database WHERE datname LIKE 'app_template_s%'")" = 0 ] ||
    fail "shard databases left behind"
reset

# a schema per shard, one shard in a CI job
psql_admin "CREATE DATABASE schemas"
export SCHEMA_URL="$(pg_url schemas)&password=$PW"
expect_status 0 "$SHARD" run --shards 2 --index 0 --run-id b1 --no-record \
    --isolate-schema-env SCHEMA_URL --tests tests.txt -- "$DUMP" run {}
grep -q '^SHARD_SCHEMA=shard_s0_' "$DUMPS"/env-run-* ||
    fail "--isolate-schema-env: the shard got no schema"
no_output_secret; clean_argv "--isolate-schema-env"
reset

# a variable alone switches nothing on: the command gets no database
export SHARD_QUEUE_URL=$QUEUE_URL SHARD_ISOLATE_DB_URL=$TEMPLATE_URL
expect_status 0 "$SHARD" run --shards 2 --index 0 --run-id b2 --no-record \
    --tests tests.txt -- "$DUMP" run {}
! grep -q -e '^DATABASE_URL=' -e '^SHARD_SCHEMA=' "$DUMPS"/env-run-* ||
    fail "a variable alone switched isolation on"
unset SHARD_QUEUE_URL SHARD_ISOLATE_DB_URL
reset

# unset, empty, doubled, or a URL in place of a name: usage errors
unset NOPE
export EMPTY=
for opt in --isolate-db-env --isolate-schema-env --queue-env; do
    expect_status 2 "$SHARD" run "$opt" NOPE --shards 1 --index 0 \
        --tests tests.txt -- "$DUMP" run {}
    expect_grep "^shard run: $opt: the variable NOPE is not set$" err
    expect_status 2 "$SHARD" run "$opt" EMPTY --shards 1 --index 0 \
        --tests tests.txt -- "$DUMP" run {}
    expect_grep "^shard run: $opt: the variable EMPTY is empty$" err
    expect_status 2 "$SHARD" run "$opt" "postgres://u:$PW@h/db" --shards 1 \
        --index 0 --tests tests.txt -- "$DUMP" run {}
    expect_grep "^shard run: $opt takes the name of an environment variable" err
    no_output_secret
done
expect_status 2 "$SHARD" run --queue "$(pg_url q)" --queue-env QUEUE_URL \
    --run-id x --tests tests.txt -- "$DUMP" run {}
expect_grep "^shard run: --queue and --queue-env cannot be used together$" err
for verb in status report; do
    expect_status 2 "$SHARD" queue "$verb" --queue-env NOPE qa
    expect_grep "^shard queue $verb: --queue-env: the variable NOPE is not set$" err
done
[ -z "$(ls "$DUMPS")" ] || fail "a command ran after a usage error"

# ---- (c) credentials over plain http:// ----

objstore_start
expect_status 0 "$SHARD" history pull --history h.db "http://127.0.0.1:$PORT/b/h.db"
expect_grep "no history there yet" err
expect_grep "^GET /b/h.db 404 .*auth=Bearer $TOKEN$" srv/log
no_output_secret

# TEST-NET-1: refused at once, whatever the network (the bound makes an
# attempt to connect end quickly with another status)
expect_status 2 "$SHARD" history pull --history h.db --retries 0 --timeout 2 \
    http://192.0.2.1:9/h.db
expect_grep "^shard: http://192.0.2.1:9/h.db: not sending credentials .* in clear text" err
expect_grep "^hint: --allow-insecure-token" err
expect_status 3 "$SHARD" history pull --history h.db --retries 0 --timeout 2 \
    --allow-insecure-token http://192.0.2.1:9/h.db
! grep -q "not sending" err || fail "--allow-insecure-token did not allow"
[ ! -e h.db ] || fail "a refused pull created the history"

# peek ADDR NAME [LOCATION]: an HTTP server on ADDR that logs each
# request's method, path and Authorization to NAME.log and answers 404,
# or a redirect to LOCATION; its port in $P
cat >peek.py <<'EOF'
import http.server, os, sys
addr, name = sys.argv[1], sys.argv[2]
where = sys.argv[3] if len(sys.argv) > 3 else None
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(name + ".log", "a") as f:
            f.write("%s %s auth=%s\n" % (self.command, self.path,
                                        self.headers.get("Authorization")))
        self.send_response(302 if where else 404)
        if where:
            self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_PUT = do_GET
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer((addr, 0), H)
with open(name + ".port.tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(name + ".port.tmp", name + ".port")
srv.serve_forever()
EOF
peek() {
    : >"$2.log"
    $PY peek.py "$@" &
    at_exit "kill $! 2>/dev/null"
    i=0
    while [ ! -s "$2.port" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
    P=$(cat "$2.port") || fail "the server $2 did not start"
}

# a redirect is not followed: the token never reaches where it points
peek 127.0.0.1 elsewhere
peek 127.0.0.1 redirector "http://127.0.0.1:$P/stolen"
expect_status 3 "$SHARD" history pull --history h.db --retries 0 \
    "http://127.0.0.1:$P/h.db"
expect_grep "^GET /h.db auth=Bearer $TOKEN$" redirector.log
[ ! -s elsewhere.log ] || fail "a redirect was followed: $(cat elsewhere.log)"
no_output_secret
[ ! -e h.db ] || fail "a failed pull created the history"

# this machine's own address that is not loopback: a server there sees
# no request until the user opts in
ADDR=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -1)
if [ -z "$ADDR" ]; then
    echo "# no non-loopback IPv4 address: its cases skipped" >&2
else
    peek "$ADDR" remote
    URL="http://$ADDR:$P/h.db"
    printf 'X-Api-Key: hdr-S3CRET\n' >headers
    for verb in pull push; do
        expect_status 2 "$SHARD" history "$verb" --history h.db --retries 0 "$URL"
        expect_grep "not sending credentials" err
        no_output_secret
    done
    env -u SHARD_HISTORY_TOKEN "$SHARD" history pull --history h.db \
        --retries 0 --header-file headers "$URL" >out 2>err
    [ $? = 2 ] || fail "a header file went to $URL in clear text"
    env -u SHARD_HISTORY_TOKEN "$SHARD" history pull --history h.db \
        --retries 0 "http://u:$PW@$ADDR:$P/h.db" >out 2>err
    [ $? = 2 ] || fail "user info went to $ADDR in clear text"
    no_output_secret
    env -u SHARD_HISTORY_TOKEN "$SHARD" ingest --history ingest.db \
        "http://u:$PW@$ADDR:$P/r.xml" >out 2>err
    [ $? = 2 ] || fail "ingest sent user info to $ADDR in clear text"
    [ ! -s remote.log ] || fail "a refused request reached the server: $(cat remote.log)"
    [ ! -e h.db ] || fail "a refused pull created the history"
    expect_status 0 "$SHARD" history pull --history h.db --retries 0 \
        --allow-insecure-token "$URL"
    expect_grep "^GET /h.db auth=Bearer $TOKEN$" remote.log
    no_output_secret
fi
exit 0
