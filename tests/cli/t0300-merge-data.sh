#!/bin/sh
# Every well-formed JUnit file in tests/data merges, alone and all
# together, into output xmllint accepts, whose counts equal a recount of
# its testcases and whose testcases are the inputs' less folded retries
# (junit_check.py). Malformed files and foreign roots: exit 2, a message
# naming file:line:column, and the output left as it was.
. "$(dirname "$0")/lib.sh"

folded_of() { f=$(sed -n "s/.*(\([0-9,]*\) retries folded).*/\1/p" err | tr -d ,); echo "${f:-0}"; }

: >good.txt
n=0
for f in "$DATA"/junit/*/*.xml; do
    echo previous >m.xml
    if ! xmllint --noout --nonet "$f" 2>/dev/null; then
        expect_status 2 "$SHARD" merge -o m.xml "$f"
        expect_grep "^shard: $f:[0-9]+:[0-9]+: " err
        [ "$(cat m.xml)" = previous ] || fail "$f: output changed on error"
        continue
    fi
    case $(xmllint --xpath 'local-name(/*)' "$f") in
    testsuite | testsuites) ;;
    *)
        expect_status 2 "$SHARD" merge -o m.xml "$f"
        expect_grep "not a JUnit report" err
        continue
        ;;
    esac
    echo "$f" >>good.txt
    expect_status 0 "$SHARD" merge -o m.xml "$f"
    xmllint --noout m.xml || fail "$f: merged output is not well-formed"
    $PY "$REPO/tests/cli/junit_check.py" m.xml "$(folded_of)" "$f" >/dev/null ||
        fail "$f: merged output does not match its input"
    n=$((n + 1))
done
n_junit=$(manifest_count junit junit)
[ "$n" -eq "$n_junit" ] || fail "merged $n files alone, expected $n_junit"

# all together, in one run and with suites joined and flattened
set -- $(cat good.txt)
for opts in "" "--join-suites" "--flatten" "--join-suites --flatten"; do
    expect_status 0 "$SHARD" merge $opts -o all.xml "$@"
    xmllint --noout all.xml || fail "merge $opts: not well-formed"
    $PY "$REPO/tests/cli/junit_check.py" all.xml "$(folded_of)" "$@" ||
        fail "merge $opts of all files does not match its inputs"
done
expect_grep "^merged $n_junit files: " err
