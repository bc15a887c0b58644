#!/bin/sh
# Every command has --help; unknown commands and options are usage errors.
. "$(dirname "$0")/lib.sh"

expect_status 0 "$SHARD" --help
expect_grep '^  plan ' out
expect_grep '^  ingest ' out
expect_status 0 "$SHARD" --version
expect_grep '^shard [0-9]' out
for cmd in plan ingest; do
    expect_status 0 "$SHARD" "$cmd" --help
    expect_grep "^usage: shard $cmd" out
    expect_status 0 "$SHARD" help "$cmd"
    expect_grep "^usage: shard $cmd" out
    expect_status 2 "$SHARD" "$cmd" --no-such-option
    expect_grep "unknown option '--no-such-option'" err
done
expect_status 2 "$SHARD" frobnicate
expect_grep "'frobnicate' is not a shard command. See 'shard help'." err
expect_status 2 "$SHARD"
