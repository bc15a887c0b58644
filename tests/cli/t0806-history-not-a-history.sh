#!/bin/sh
# A --history that is not a shard history is invalid input (exit 2),
# named as such, and nothing is created beside it: `shard plan --history
# /dev/null` made /dev/null-journal. A damaged history says it is damaged.
# Device nodes are made in the scratch directory,
# never the system's /dev.
. "$(dirname "$0")/lib.sh"

printf 'a.T.x\na.T.y\n' >tests.txt
echo '{"a.T.x": 2, "a.T.y": 1}' >t.json
echo 'hello, not a database' >text.db
head -c 4096 /dev/urandom >random.db
mkfifo fifo.db
mkdir dir.db
nodes="text.db random.db fifo.db dir.db"
if [ "$(id -u)" = 0 ] && mknod null.db c 1 3 2>/dev/null; then
    nodes="$nodes null.db"
fi

for h in $nodes; do
    for cmd in "plan --tests tests.txt --shards 1 -o p.json" "history show" \
               "report --format text"; do
        expect_status 2 "$SHARD" $cmd --history "$h"
        expect_grep "^shard: $h: not a (shard )?history" err
    done
    # a write that would create it elsewhere refuses it too
    expect_status 2 "$SHARD" ingest --history "$h" t.json
done
for f in *-journal *-wal *-shm; do
    [ -e "$f" ] && fail "a file was made beside a history: $f"
done
[ -p fifo.db ] || fail "the FIFO is gone"
[ -d dir.db ] || fail "the directory is gone"
[ ! -e null.db ] || [ -c null.db ] || fail "the device node was replaced"

# a real history, then damaged: says so, exit 2
expect_status 0 "$SHARD" ingest --history good.db t.json
expect_status 0 "$SHARD" history show --history good.db
cp good.db bad.db
$PY -c 'f = open("bad.db", "r+b"); f.seek(4096); f.write(b"\xff" * 8192)'
expect_status 2 "$SHARD" history show --history bad.db
expect_grep 'bad.db: the history is damaged' err
