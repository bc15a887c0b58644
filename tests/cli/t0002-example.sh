#!/bin/sh
# The README's first command runs the bundled example end to end: it
# must succeed, and the second plan (from measured timings) must predict
# the longest test as the makespan, where the first (no history) could
# only weigh all tests equally.
. "$(dirname "$0")/lib.sh"

EXAMPLE_DIR=$SCRATCH/example SHARD_BIN=$SHARD "$REPO/tests/example/run" >out 2>err ||
    { cat out err; fail "the example failed"; }
expect_grep '^round 1: predicted makespan 10\.0+ s' out
expect_grep '^round 2: predicted makespan 2\.0+ s' out
expect_grep 'all weighted equally' err
HISTORY=$SCRATCH/example/history.db
[ "$(HISTORY=$HISTORY sql 'SELECT count(*) FROM results')" = 80 ] ||
    fail "the example's two runs did not land in history"
