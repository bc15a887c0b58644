#!/bin/sh
# The include direction holds in the tree (tests/check-layers), and the
# check notices an include against it: a copy of the tree where the
# lowest layer includes the highest fails, naming the file and line.
. "$(dirname "$0")/lib.sh"

out=$("$REPO/tests/check-layers" "$REPO") ||
	fail "includes against the direction: $out"

mkdir -p "$SCRATCH/tree"
cp -R "$REPO/shard" "$REPO/report" "$REPO/cmd" "$SCRATCH/tree/"
f="$SCRATCH/tree/shard/util/strbuf.c"
sed '1a #include "cmd/cmd.h"' "$REPO/shard/util/strbuf.c" >"$f"
if out=$("$REPO/tests/check-layers" "$SCRATCH/tree"); then
	fail "an upward include passed the check"
fi
echo "$out" | grep -q '^shard/util/strbuf.c:2: includes cmd/cmd.h' ||
	fail "the upward include was not named: $out"

f="$SCRATCH/tree/shard/junit/merge.c"
cp "$REPO/shard/junit/merge.c" "$f"
cp "$REPO/shard/util/strbuf.c" "$SCRATCH/tree/shard/util/strbuf.c"
sed '1a #include "shard/exec/runner.h"' "$REPO/shard/junit/merge.c" >"$f"
if "$REPO/tests/check-layers" "$SCRATCH/tree" >/dev/null; then
	fail "junit/ including exec/ passed the check"
fi
