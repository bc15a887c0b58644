#!/bin/sh
# Option values are checked by the table-driven parser (cmd/options.c),
# one message per kind of value, whichever command takes the option:
# whole numbers in a range, seconds, words, and URLs given in argv or
# through a variable (--NAME-env). A bad value is a usage error (exit 2)
# naming the command (both words of a two-word one), the option and the
# value, and nothing runs.
. "$(dirname "$0")/lib.sh"

# expect_usage CMD_NAME MESSAGE ARGS...: shard ARGS exits 2 saying exactly
# "CMD_NAME: MESSAGE" and "See 'CMD_NAME --help'." on stderr.
expect_usage() {
    name=$1 msg=$2
    shift 2
    expect_status 2 "$SHARD" "$@"
    grep -qxF -- "$name: $msg" err ||
        { cat err >&2; fail "no line '$name: $msg' for: $*"; }
    grep -qxF -- "See '$name --help'." err ||
        { cat err >&2; fail "no hint for '$name' for: $*"; }
    [ ! -s out ] || fail "a refused command wrote to stdout: $*"
}

# whole numbers: out of range, not a number, the ends of the range
num() { echo "--$1 '$2': expected a whole number from $3 to $4"; }
expect_usage "shard plan" "$(num shards 0 1 256000)" plan --shards 0 -t x
expect_usage "shard plan" "$(num shards 256001 1 256000)" plan -k 256001
expect_usage "shard plan" "$(num index -1 0 256000)" plan --index=-1
expect_usage "shard run" "$(num shards x 1 256000)" run -kx -- true
expect_usage "shard run" "$(num jobs 1025 1 1024)" run --jobs 1025 -- true
expect_usage "shard run" "$(num retries 101 0 100)" run --retries 101 -- a
expect_usage "shard run" "$(num workers 0 1 100000)" run --workers 0 -- a
expect_usage "shard report" "$(num last 1001 1 1000)" report --last 1001
expect_usage "shard report" "$(num top 1.5 1 100000)" report --top 1.5
expect_usage "shard history prune" "$(num keep-runs 0 1 1000000)" \
    history prune --keep-runs 0
expect_usage "shard history pull" "$(num retries 21 0 20)" \
    history pull --retries 21 http://127.0.0.1:1/h
expect_usage "shard history push" "$(num max-conflicts -1 0 100)" \
    history push --max-conflicts -1 http://127.0.0.1:1/h
# the ends of a range are taken: the command goes on to fail otherwise
expect_status 2 "$SHARD" report --last 1000 --top 1 --history none.db
expect_grep "^shard: none.db: no history here" err
expect_status 2 "$SHARD" plan -k 256000 -i 0 -t missing.txt
expect_grep "^shard: missing.txt: No such file" err

# seconds: negative, not a number, not finite
sec() { echo "--$1 '$2': expected seconds (a number, 0 or more)"; }
expect_usage "shard plan" "$(sec target-seconds -1)" plan --target-seconds -1
expect_usage "shard plan" "$(sec shard-overhead 1s)" plan --shard-overhead 1s
expect_usage "shard run" "$(sec timeout inf)" run --timeout inf -- a
expect_usage "shard run" "$(sec kill-grace x)" run --kill-grace x -- a
expect_usage "shard run" "$(sec lease-seconds -0.5)" \
    run --lease-seconds -0.5 -- a
expect_usage "shard db gc" "$(sec older-than 1e999)" db gc --older-than 1e999
expect_usage "shard history pull" "$(sec timeout nan)" \
    history pull --timeout nan http://127.0.0.1:1/h
# a valid --target-seconds is taken (with --shards it is then refused)
expect_usage "shard plan" \
    "--shards and --target-seconds cannot be used together" \
    plan --target-seconds 0.5 -k 2 -t x

# words
expect_usage "shard plan" "--format 'xml': expected json, list, null or github-matrix" \
    plan -f xml
expect_usage "shard plan" "--by 'module': expected test, class or file" \
    plan --by module
expect_usage "shard plan" "--runner 'ruby': expected generic, pytest, go or jest" \
    plan -r ruby
expect_usage "shard run" "--runner 'ruby': expected generic, pytest, go or jest" \
    run --runner=ruby -- a
expect_usage "shard report" "--format 'pdf': expected text, markdown, html or json" \
    report --format pdf
expect_usage "shard merge" "--annotate 'gitlab': the format is github" \
    merge --annotate gitlab x.xml
expect_usage "shard history show" "--format 'xml': text or json" \
    history show -f xml
expect_usage "shard queue status" "--format 'xml': expected text or json" \
    queue status --format xml r
expect_status 0 "$SHARD" history show -f json --history none.db
expect_grep '^\{"history":"none.db",' out

# URLs given in argv or through a variable
expect_usage "shard run" "--queue and --queue-env cannot be used together" \
    run --queue postgres://h/d --queue-env Q -- a
expect_usage "shard run" \
    "--isolate-db-env takes the name of an environment variable that holds the URL (letters, digits and '_'), not the URL" \
    run --isolate-db-env postgres://u:secret@h/d -- a
grep -q secret err && fail "a URL given as a variable's name was echoed"
unset NOPE
expect_usage "shard run" "--isolate-schema-env: the variable NOPE is not set" \
    run --isolate-schema-env NOPE -- a
Q='' expect_usage "shard queue report" "--queue-env: the variable Q is empty" \
    queue report --queue-env Q r
# the variable's URL is the one used (this host does not resolve)
expect_status 3 env Q=postgres://shard-test.invalid/db \
    "$SHARD" queue status --queue-env Q r
expect_grep "shard-test.invalid" err
# a variable alone switches nothing on: neither given, no queue
Q=postgres://h/d expect_usage "shard queue status" \
    "give the queue with --queue URL or --queue-env VAR" queue status r

# options the parser does not know, or without their value, name the
# command's words, not its synopsis
expect_usage "shard queue status" "unknown option '--bogus'" \
    queue status --bogus r
expect_usage "shard queue report" "option '-o' needs a value" queue report -o
expect_usage "shard history pull" "unknown option '-x'" history pull -x
expect_usage "shard db gc" "option '--older-than' needs a value" \
    db gc --older-than

# --help, from the same table, on every command and verb
for words in plan ingest merge report run "db gc" "queue status" \
    "queue report" "history show" "history prune" "history export" \
    "history import" "history pull" "history push"; do
    # shellcheck disable=SC2086
    expect_status 0 "$SHARD" $words --help
    expect_grep "^usage: shard $words" out
    expect_grep "^  -h, --help +show this help and exit\$" out
done
expect_status 0 "$SHARD" run -h
expect_grep "^      --isolate-db-env VAR +as --isolate-db, with the URL" out
expect_grep "^  -k, --shards K +number of shards" out
expect_grep "^      --lease-seconds S +--queue: a claim's lease" out
