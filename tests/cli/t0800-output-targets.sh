#!/bin/sh
# -o by what it names (shard/util/atomicfile.h), through shard plan and shard
# merge: a FIFO and a device node are written, never replaced by a file;
# a symlink is written through and stays a link; /dev/fd/N and
# /proc/self/fd/1 are the descriptor itself; a 255-byte name works; an
# existing file keeps its mode (and its owner, as root), a new one gets
# the umask; a failure leaves the target and no temporary. The device
# node is made in the scratch directory, never the system's /dev; nor is
# /dev/stdout tried here: as root, the code before this test replaced
# such nodes and links.
. "$(dirname "$0")/lib.sh"

printf 'a.py::t1\na.py::t2\nb.py::t3\n' >ids.txt
printf '<testsuite name="s"><testcase classname="C" name="a"/></testsuite>' >in.xml
plan() { "$SHARD" plan --tests ids.txt --shards 2 "$@"; }
merge() { "$SHARD" merge "$@" in.xml; }
is_plan() {
    $PY -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["shards"]) == 2' "$1" ||
        fail "$1 does not hold the plan"
}
is_report() {
    [ "$(xmllint --xpath 'count(//testcase)' "$1")" = 1 ] || fail "$1 does not hold the report"
}
mode_of() { $PY -c 'import os,sys; print("%o" % (os.stat(sys.argv[1]).st_mode & 0o7777))' "$1"; }

# a FIFO: its reader gets the output, and it stays a FIFO
mkfifo fifo
for cmd in plan merge; do
    cat fifo >from-fifo &
    at_exit "kill $! 2>/dev/null"
    reader=$!
    expect_status 0 $cmd -o fifo
    [ -p fifo ] || fail "$cmd -o fifo replaced the FIFO"
    wait $reader
done
is_report from-fifo

# a device node (root only): written to, not replaced
if mknod null c 1 3 2>/dev/null; then
    expect_status 0 plan -o null
    [ -c null ] || fail "plan -o replaced the device node"
    expect_status 0 merge -o null
    [ -c null ] || fail "merge -o replaced the device node"
    [ "$(ls -l null | cut -c1)" = c ] || fail "not a character device"
else
    echo "skip: mknod needs root"
fi

# a symlink: written through to its target, beside which the temporary
# goes; a dangling one creates its target
mkdir real
printf old >real/plan.json
chmod 600 real/plan.json
ln -s real/plan.json plan-link.json
expect_status 0 plan -o plan-link.json
[ -L plan-link.json ] && [ "$(readlink plan-link.json)" = real/plan.json ] ||
    fail "the link was replaced"
is_plan real/plan.json
[ "$(mode_of real/plan.json)" = 600 ] || fail "the link's target lost its mode"
ln -s real/made.xml dangling.xml
expect_status 0 merge -o dangling.xml
[ -L dangling.xml ] || fail "the dangling link was replaced"
is_report real/made.xml

# /dev/fd/N: the descriptor, as the shell opened it (>> appends)
expect_status 0 plan -o /dev/fd/3 3>fd3.json
is_plan fd3.json
echo first >log
expect_status 0 merge -o /dev/fd/3 3>>log
[ "$(head -n 1 log)" = first ] || fail "-o /dev/fd/3 3>>log did not append"
tail -n +2 log >appended.xml
is_report appended.xml

# /proc/self/fd/1: a file, then a pipe
expect_status 0 plan -o /proc/self/fd/1
is_plan out
plan -o /proc/self/fd/1 2>/dev/null | cat >piped.json
is_plan piped.json

# "-" stays standard output
expect_status 0 merge -o -
is_report out

# a name of 255 bytes (NAME_MAX): its temporary must fit too
long=$(printf '%0255d' 0 | tr 0 n)
expect_status 0 plan -o "$long"
is_plan "$long"
expect_status 0 merge -o "$long"
is_report "$long"

# an existing file keeps its mode, and as root its owner
printf old >kept.xml
chmod 640 kept.xml
expect_status 0 merge -o kept.xml
is_report kept.xml
[ "$(mode_of kept.xml)" = 640 ] || fail "mode $(mode_of kept.xml), not 640"
if [ "$(id -u)" = 0 ]; then
    chown 65534:65534 kept.xml
    expect_status 0 merge -o kept.xml
    [ "$(ls -n kept.xml | awk '{print $3 ":" $4}')" = 65534:65534 ] ||
        fail "owner not kept: $(ls -n kept.xml)"
fi

# a new file gets 0666 less the umask
(umask 077 && plan -o private.json 2>/dev/null) || fail "plan -o private.json"
[ "$(mode_of private.json)" = 600 ] || fail "umask 077 gave $(mode_of private.json)"
(umask 002 && merge -o shared.xml 2>/dev/null) || fail "merge -o shared.xml"
[ "$(mode_of shared.xml)" = 664 ] || fail "umask 002 gave $(mode_of shared.xml)"

# whole or not at all: invalid input leaves the target as it was
printf 'not xml' >bad.xml
expect_status 2 "$SHARD" merge -o kept.xml bad.xml
is_report kept.xml
expect_status 2 "$SHARD" merge -o plan-link.json bad.xml
is_plan real/plan.json

left=$(find . -name '*.tmp-*')
[ -z "$left" ] || fail "temporary files left: $left"
