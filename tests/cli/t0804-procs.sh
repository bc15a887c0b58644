#!/bin/sh
# Processes and descriptors around shard's children, on a real PostgreSQL
# (started here, ci/pg-start):
# (a) kill -9 of `shard run`: its runner and the runner's grandchild end
#     (the watcher kills the whole group);
# (b) --isolate-db: while the run is live, `shard db gc` leaves its database
#     alone even when the recorded pid looks dead and the age is past
#     --older-than; after kill -9, gc drops it even when the recorded pid
#     looks alive (the advisory lock decides, not host and pid);
# (c) SIGTERM during a slow --collect command (shard plan and shard run):
#     the collect command's group ends, shard exits 143, no temporary
#     files are left;
# (d) the runner inherits descriptors 0, 1 and 2 only, also while shard
#     holds a database session and was itself given another descriptor.
. "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || fail "psql missing: run ci/deps"
pg_start
export SHARD_HISTORY=$SCRATCH/history.db
psql_admin "CREATE DATABASE procs_tpl"
TEMPLATE=$(pg_url procs_tpl)
printf 't.a\n' >list.txt
left() { psql_admin "SELECT count(*) FROM pg_database WHERE datname LIKE 'procs_tpl_s%'"; }

# alive PID: the process exists and is not a zombie
alive() {
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ]
}
# gone PID...: wait (up to 20 s) until none of them is alive
gone() {
    n=0
    while :; do
        any=0
        for p in "$@"; do alive "$p" && any=1; done
        [ $any = 0 ] && return 0
        [ $n -ge 200 ] && return 1
        sleep 0.1
        n=$((n + 1))
    done
}
# wait_file FILE: until FILE is not empty (up to 20 s)
wait_file() {
    n=0
    until [ -s "$1" ] || [ $n -ge 400 ]; do sleep 0.05; n=$((n + 1)); done
    [ -s "$1" ] || fail "$1 never appeared"
}
# what an old binary under test may leave running: the groups our runner
# and collect scripts record
at_exit 'for f in "$SCRATCH"/*/*.pid; do [ -s "$f" ] && kill -9 -- -"$(cat "$f")" "$(cat "$f")" 2>/dev/null; done'

# a runner that starts a grandchild and waits for it
cat >runner.sh <<'EOF'
#!/bin/sh
sleep 300 &
echo $! >"$1/grandchild.pid"
echo $$ >"$1/runner.pid"
wait
EOF

# (a) kill -9 of shard run: the runner's whole group goes
mkdir a
"$SHARD" run --no-record --tests list.txt --shards 1 --index 0 \
    -- sh "$SCRATCH/runner.sh" "$SCRATCH/a" {} >a/out 2>&1 &
victim=$!
wait_file a/runner.pid
wait_file a/grandchild.pid
alive "$(cat a/grandchild.pid)" || fail "(a) the grandchild did not start"
kill -9 $victim
wait $victim 2>/dev/null
gone "$(cat a/runner.pid)" "$(cat a/grandchild.pid)" ||
    fail "(a) after kill -9 of shard, its runner or the runner's child runs on"

# (b) --isolate-db: the lock, not host and pid, tells gc what is in use
mkdir b
"$SHARD" run --no-record --tests list.txt --shards 1 --index 0 \
    --isolate-db "$TEMPLATE" \
    -- sh "$SCRATCH/runner.sh" "$SCRATCH/b" {} >b/out 2>&1 &
victim=$!
wait_file b/runner.pid
[ "$(left)" = 1 ] || fail "(b) the run did not create its database"
db=$(psql_admin "SELECT datname FROM pg_database WHERE datname LIKE 'procs_tpl_s%'")
# note_as PID CREATED: the comment's creator pid and creation time
# replaced, as a creator in another PID namespace or on a host with the
# same name would leave them; the format is the binary's own
note_as() {
    psql_admin "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$db'" >note
    sed -e "s/pid=[0-9]*/pid=$1/" -e "s/created=[0-9]*/created=$2/" note >note2
    psql -X -q -v ON_ERROR_STOP=1 -v note="$(cat note2)" "$PG_ADMIN" <<EOF || fail "comment"
COMMENT ON DATABASE "$db" IS :'note';
EOF
}
# no such pid here, created two days ago: a live run all the same
note_as 999999 "$(($(date +%s) - 172800))"
expect_status 0 "$SHARD" db gc --older-than 0 "$PG_ADMIN"
[ "$(left)" = 1 ] || fail "(b) gc dropped the database of a live run"
alive "$(cat b/grandchild.pid)" || fail "(b) the run did not survive gc"
kill -9 $victim
wait $victim 2>/dev/null
gone "$(cat b/runner.pid)" "$(cat b/grandchild.pid)" ||
    fail "(b) after kill -9 of shard, its runner runs on"
# pid 1 (alive everywhere), created now: the killed run's all the same
note_as 1 "$(date +%s)"
n=0
until [ "$(left)" = 0 ] || [ $n -ge 100 ]; do
    # the server may take a moment to end the killed session
    expect_status 0 "$SHARD" db gc "$PG_ADMIN"
    [ "$(left)" = 0 ] || sleep 0.1
    n=$((n + 1))
done
[ "$(left)" = 0 ] || fail "(b) gc kept the database of a killed run"
expect_grep "removed database $db" out

# (c) SIGTERM during a slow collect command: its group ends, exit 143
cat >collect.sh <<'EOF'
#!/bin/sh
sleep 300 &
echo $! >"$1/grandchild.pid"
echo $$ >"$1/collect.pid"
wait
EOF
for cmd in plan run; do
    mkdir "c$cmd" "c$cmd/tmp"
    export TMPDIR=$SCRATCH/c$cmd/tmp
    if [ $cmd = plan ]; then
        "$SHARD" plan --collect --shards 2 \
            -- sh "$SCRATCH/collect.sh" "$SCRATCH/c$cmd" >"c$cmd/out" 2>&1 &
    else
        "$SHARD" run --no-record --collect --shards 2 --index 0 \
            sh "$SCRATCH/collect.sh" "$SCRATCH/c$cmd" -- true {} \
            >"c$cmd/out" 2>&1 &
    fi
    victim=$!
    wait_file "c$cmd/grandchild.pid"
    wait_file "c$cmd/collect.pid"
    kill -TERM $victim
    gone $victim || fail "(c) shard $cmd did not stop on SIGTERM"
    wait $victim
    got=$?
    [ $got = 143 ] || fail "(c) shard $cmd: exit $got after SIGTERM, not 143"
    gone "$(cat "c$cmd/collect.pid")" "$(cat "c$cmd/grandchild.pid")" ||
        fail "(c) shard $cmd: the collect command runs on after SIGTERM"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "(c) shard $cmd left $(ls -A "$TMPDIR")"
    unset TMPDIR
done

# (d) the runner sees descriptors 0, 1 and 2 only: none of shard's (its
# database session for the lock, the history, pipes), none it inherited
# (the runner probes with fstat: listing /proc/self/fd would open one)
mkdir d
cat >fds.py <<'EOF'
import os, sys
fds = []
for fd in range(4096):
    try:
        os.fstat(fd)
        fds.append(str(fd))
    except OSError:
        pass
with open(sys.argv[1], "w") as f:
    f.write(" ".join(fds) + "\n")
EOF
expect_status 1 "$SHARD" run --no-record --tests list.txt --shards 1 --index 0 \
    --isolate-db "$TEMPLATE" \
    -- "$PY" "$SCRATCH/fds.py" "$SCRATCH/d/fds" {} 7>d/seven
[ "$(cat d/fds)" = "0 1 2" ] ||
    fail "(d) the runner inherited descriptors: $(cat d/fds)"
[ "$(left)" = 0 ] || fail "(d) the database was not dropped"
exit 0
