# Shared set-up for end-to-end scripts: sourced by tests/cli/t*.sh.
# Gives $SHARD (the binary under test), $DATA (tests/data: real timing and
# JUnit files, their sources in tests/data/MANIFEST.tsv), $TOOLS
# (tests/tools: the generator and plan scorer),
# a scratch directory as the working directory, and small assertions.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SHARD=${SHARD_BIN:-$REPO/build/shard}
DATA=$REPO/tests/data
TOOLS=$REPO/tests/tools
FIXTURES=$REPO/tests/fixtures
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SCRATCH=$(mktemp -d)
# at_exit CMD: run CMD when the script exits, before what was added
# earlier; the scratch directory goes last (KEEP=1 keeps it).
AT_EXIT=""
at_exit() {
    AT_EXIT="$1
$AT_EXIT"
    trap "$AT_EXIT"'[ -n "${KEEP:-}" ] || rm -rf "$SCRATCH"' EXIT
}
trap '[ -n "${KEEP:-}" ] || rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || exit 1
unset SHARD_HISTORY SHARD_INDEX SHARD_TOTAL SHARD_RUN_ID GITHUB_ACTIONS \
    GITLAB_CI CIRCLECI BUILDKITE JENKINS_URL TEST_TOTAL_SHARDS \
    TEST_SHARD_INDEX TEST_SHARD_STATUS_FILE CI_NODE_INDEX CI_NODE_TOTAL

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# expect_status CODE CMD...: run CMD, fail unless it exits with CODE.
# Its stdout and stderr are kept in $SCRATCH/out and $SCRATCH/err.
expect_status() {
    want=$1
    shift
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "--- stdout" >&2; head -c 2000 "$SCRATCH/out" >&2
        echo "--- stderr" >&2; head -c 2000 "$SCRATCH/err" >&2
        fail "expected exit $want, got $got: $*"
    fi
}

# expect_grep PATTERN FILE: fail unless FILE has a line matching PATTERN.
expect_grep() {
    grep -q -E -- "$1" "$2" || {
        echo "--- $2" >&2; head -c 2000 "$2" >&2
        fail "no line matching '$1' in $2"
    }
}

# manifest_count DIR KIND: how many files under tests/data/DIR/ the
# manifest lists with that kind (junit, malformed, other-root, durations,
# durations-history, timing-other), so that counts follow the corpus.
manifest_count() {
    awk -F'\t' -v dir="$1/" -v kind="$2" \
        'NR > 1 && index($1, dir) == 1 && $6 == kind { n++ } END { print n + 0 }' \
        "$DATA/MANIFEST.tsv"
}

# sql QUERY: run a query on the history database (via python's sqlite3).
sql() {
    $PY -c 'import sqlite3,sys
db=sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2]): print("|".join(str(c) for c in row))' \
        "${HISTORY:-.shard/history.db}" "$1"
}

# json_ids FILE: the keys of a timing JSON object, one a line.
json_ids() {
    $PY -c 'import json,sys
print("\n".join(json.load(open(sys.argv[1]))))' "$1"
}

# pg_start: start a throwaway PostgreSQL server in $SCRATCH/pg (ci/pg-start),
# stopped when the script exits. Sets $PG_ADMIN (the superuser's URL of
# the `postgres` database) and $PG_DIR; pg_url DB gives a database's URL.
pg_start() {
    PG_DIR=$SCRATCH/pg
    mkdir -p "$PG_DIR"
    at_exit '"$REPO/ci/pg-stop" "$PG_DIR"'
    PG_ADMIN=$("$REPO/ci/pg-start" "$PG_DIR") || fail "cannot start PostgreSQL"
}
pg_url() {
    echo "$PG_ADMIN" | sed "s|/postgres?|/$1?|"
}
# psql_admin SQL: run SQL as the superuser, print rows unaligned.
psql_admin() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_ADMIN" -c "$1"
}

# pg_history NAME: a fresh database for a PostgreSQL history, on the run's
# server (SHARD_TEST_PG, which tests/run-tests exports) or else on one that
# pg_start starts for this script; dropped when the script exits. Sets
# $PG_ADMIN and $PG_HISTORY (the database's URL, for --history).
pg_history() {
    if [ -n "${SHARD_TEST_PG:-}" ]; then
        PG_ADMIN=$SHARD_TEST_PG
        PG_HISTORY_DB="$1_$$"
        at_exit 'psql_admin "DROP DATABASE IF EXISTS $PG_HISTORY_DB WITH (FORCE)"'
    else
        pg_start
        PG_HISTORY_DB=$1
    fi
    psql_admin "CREATE DATABASE $PG_HISTORY_DB" ||
        fail "cannot create database $PG_HISTORY_DB"
    PG_HISTORY=$(pg_url "$PG_HISTORY_DB")
}
# psql_history SQL: run SQL on the history database, print rows unaligned.
psql_history() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_HISTORY" -c "$1"
}

# objstore_start [--tls CERT KEY]: serve $SCRATCH/srv with the local object
# store (tests/cli/objstore.py) on a free loopback port, $PORT, until the
# script exits. $OBJSTORE runs its client side (get, put, fault).
objstore_start() {
    OBJSTORE="$PY $REPO/tests/cli/objstore.py"
    PORT=$($OBJSTORE serve srv $$ "$@") || fail "cannot start the object store"
    at_exit 'kill "$(cat "$SCRATCH/srv/pid")" 2>/dev/null'
}

# exact_partition LIST REPORT...: the REPORTs' testcases (classname.name,
# as tests/cli/fake-runner.py reports an id) are LIST's ids, each exactly
# once over all of them: nothing lost, nothing doubled.
exact_partition() {
    $PY - "$@" <<'PYEOF' || fail "the reports do not split $1 exactly"
import collections, sys
import xml.etree.ElementTree as ET
want = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
got = collections.Counter()
for path in sys.argv[2:]:
    for tc in ET.parse(path).iter("testcase"):
        got[tc.get("classname") + "." + tc.get("name")] += 1
missing = [t for t in want if t not in got]
doubled = [t for t, n in got.items() if n > 1]
extra = [t for t in got if t not in set(want)]
assert not missing and not doubled and not extra, (
    "%d missing %s, %d doubled %s, %d not listed %s" % (
        len(missing), missing[:5], len(doubled), doubled[:5], len(extra),
        extra[:5]))
print("%d tests, each once" % sum(got.values()))
PYEOF
}

# plan_of REPORT: the plan hash a shard's report carries.
plan_of() {
    sed -n 's/.*name="shard.plan_hash" value="\([0-9a-f]*\)".*/\1/p' "$1" | head -1
}

# same_results A B: the two JUnit reports hold the same multiset of
# (classname, name, outcome), and at least one test (the runner adapters'
# end-to-end tests: a sharded run, merged, equals an unsharded one).
same_results() {
    $PY - "$1" "$2" <<'PYEOF' || fail "$1 and $2 differ"
import collections, sys
import xml.etree.ElementTree as ET
def results(path):
    out = collections.Counter()
    for tc in ET.parse(path).iter("testcase"):
        kids = {c.tag for c in tc}
        o = ("failed" if "failure" in kids else "error" if "error" in kids
             else "skipped" if "skipped" in kids else "passed")
        out[(tc.get("classname"), tc.get("name"), o)] += 1
    return out
a, b = results(sys.argv[1]), results(sys.argv[2])
assert a == b, ("only in first:", a - b, "only in second:", b - a)
assert sum(a.values()) > 0
PYEOF
}
