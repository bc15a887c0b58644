#!/bin/sh
# Every well-formed JUnit file in tests/data/junit ingests with all its
# testcases; the malformed ones and the two with other roots are rejected
# with file:line:column, exit 2, and nothing written.
. "$(dirname "$0")/lib.sh"

# every data file has its manifest row (source, licence, kind), and back
(cd "$DATA" && find . -type f ! -name MANIFEST.tsv ! -name README.md |
    sed 's|^\./||' | sort) >files.txt
awk -F'\t' 'NR > 1 { print $1 }' "$DATA/MANIFEST.tsv" | sort >listed.txt
cmp -s files.txt listed.txt || {
    diff files.txt listed.txt >&2
    fail "tests/data and its MANIFEST.tsv disagree"
}

good=0
bad=0
other=0
for f in "$DATA"/junit/*/*.xml; do
    before=$(sql "SELECT count(*) FROM results" 2>/dev/null || echo 0)
    if ! xmllint --noout --nonet "$f" 2>/dev/null; then
        expect_status 2 "$SHARD" ingest "$f"
        expect_grep "^shard: $f:[0-9]+:[0-9]+: " err
        bad=$((bad + 1))
    else
        root=$(xmllint --xpath 'local-name(/*)' "$f")
        case $root in
        testsuite | testsuites)
            expect_status 0 "$SHARD" ingest --run-id "run-$good" "$f"
            want=$(xmllint --xpath 'count(//*[local-name()="testcase"])' "$f")
            got=$(sql "SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id WHERE u.run_key = 'run-$good'")
            [ "$got" = "$want" ] || fail "$f: $got results, expected $want"
            good=$((good + 1))
            continue
            ;;
        *)
            expect_status 2 "$SHARD" ingest "$f"
            expect_grep "not a JUnit report" err
            other=$((other + 1))
            ;;
        esac
    fi
    after=$(sql "SELECT count(*) FROM results" 2>/dev/null || echo 0)
    [ "$before" = "$after" ] || fail "$f was rejected but wrote results"
done
echo "accepted $good, rejected $bad malformed and $other with other roots"
# the manifest's kind column says what each file is
want_good=$(manifest_count junit junit)
want_bad=$(manifest_count junit malformed)
want_other=$(manifest_count junit other-root)
[ "$want_good" -gt 0 ] || fail "the manifest lists no JUnit files"
[ "$bad" -eq "$want_bad" ] ||
    fail "expected $want_bad malformed files, saw $bad"
[ "$other" -eq "$want_other" ] ||
    fail "expected $want_other files with other roots, saw $other"
[ "$good" -eq "$want_good" ] ||
    fail "expected $want_good JUnit files, saw $good"
