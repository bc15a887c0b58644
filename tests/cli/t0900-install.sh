#!/bin/sh
# make install, as a packager runs it (DESTDIR=$tmp PREFIX=/usr), in a
# build tree of its own (BUILD=, so the tests' build/ is left alone); then
# the installed tree alone, from elsewhere, with PATH its bin and the
# system's: shard --version names the libraries it runs with, each man
# page is found and renders without a warning, shard run --runner pytest
# finds its plugin, and bash and zsh complete 'shard pl' to plan. The
# plugin is found under DESTDIR through ../share/shard from the binary;
# an install elsewhere (PREFIX=, DATADIR= apart from it, no DESTDIR)
# checks that the data directory compiled in is found, and is rebuilt
# when DATADIR changes. make uninstall leaves no file behind.
. "$(dirname "$0")/lib.sh"
for tool in mandoc groff man bash zsh pkg-config; do
    command -v $tool >/dev/null || fail "$tool is missing (ci/deps)"
done
/usr/bin/python3 -m pytest --version >/dev/null 2>&1 ||
    fail "pytest is missing (ci/deps)"

# a plain build of its own, whatever the suite runs under (SANITIZE=...)
unset MAKEFLAGS MFLAGS MAKELEVEL SANITIZE SHARD_SHARE_DIR
ROOT=$SCRATCH/root
inst() { # LOG MAKE-ARGS...: make in the repository, into a build of ours
    log=$1
    shift
    make -C "$REPO" -j2 BUILD="$SCRATCH/build" "$@" >"$log" 2>&1 || {
        tail -n 30 "$log"; fail "make $*"
    }
}
inst install.log DESTDIR="$ROOT" PREFIX=/usr install
expect_grep '^#define SHARD_DATADIR "/usr/share/shard"$' \
    "$SCRATCH/build/gen/datadir.h"

# exactly these files
{
    echo ./usr/bin/shard
    echo ./usr/share/bash-completion/completions/shard
    for page in "$REPO"/man/*.1; do
        echo "./usr/share/man/man1/${page##*/}"
    done
    echo ./usr/share/shard/shard_pytest.py
    echo ./usr/share/zsh/site-functions/_shard
} | LC_ALL=C sort >want.txt
(cd "$ROOT" && find . ! -type d) | LC_ALL=C sort >got.txt
diff want.txt got.txt || fail "make install did not install these files"
[ "$(wc -l <want.txt)" -ge 13 ] || fail "too few man pages: $(cat want.txt)"

# the installed tree alone: no variable of ours, cwd away from the source
mkdir away
installed() {
    (cd "$SCRATCH/away" && env -i HOME="$SCRATCH/away" LC_ALL=C.UTF-8 \
        PATH="$ROOT/usr/bin:/usr/bin:/bin" MANPAGER=cat MANWIDTH=80 "$@")
}

# --version: the libraries it runs with (the system's, as pkg-config
# knows them)
installed shard --version >version.txt || fail "shard --version"
cat version.txt
expect_grep '^shard [0-9]+\.[0-9]+\.[0-9]+$' version.txt
expect_grep "^libxml2 $(pkg-config --modversion libxml-2.0)\$" version.txt
expect_grep "^SQLite $(pkg-config --modversion sqlite3)\$" version.txt
expect_grep "^libpq $(pkg-config --modversion libpq)\$" version.txt
expect_grep "^libcurl $(pkg-config --modversion libcurl)( \\(.*\\))?\$" \
    version.txt

# every page, by path and by name, renders without a warning
for page in "$ROOT"/usr/share/man/man1/*.1; do
    name=$(basename "$page" .1)
    installed man --warnings -l "$page" >man.out 2>man.err ||
        fail "man -l $page"
    [ ! -s man.err ] || { cat man.err; fail "man -l $page warns"; }
    expect_grep '^NAME' man.out
    installed man -M "$ROOT/usr/share/man" "$name" >byname.out 2>&1 ||
        fail "man $name is not found in the installed MANDIR"
    cmp -s man.out byname.out || fail "man $name is not $page"
    mandoc -T lint -W warning "$page" || fail "mandoc -T lint $page"
    groff -ww -mandoc -z "$page" >groff.out 2>&1
    [ ! -s groff.out ] || { cat groff.out; fail "groff -ww $page"; }
done

# shard run --runner pytest: the plugin of the installed tree
mkdir away/proj
printf 'def test_a():\n    pass\n\n\ndef test_b():\n    pass\n' \
    >away/proj/test_x.py
installed sh -c 'cd proj && shard run --runner pytest --collect \
    --shards 1 --index 0 --no-record -o junit.xml -- \
    /usr/bin/python3 -m pytest -p no:cacheprovider' >run.out 2>&1 || {
    cat run.out; fail "the installed shard run --runner pytest failed"
}
expect_grep 'name="test_a"' away/proj/junit.xml
expect_grep 'name="test_b"' away/proj/junit.xml
if grep -q '<failure\|<error' away/proj/junit.xml; then
    fail "the tests did not pass"
fi
if [ ! -e /usr/share/shard ]; then
    # without the installed plugin the same run fails: it was that one
    mv "$ROOT/usr/share/shard" "$ROOT/usr/share/shard.off"
    installed sh -c 'cd proj && shard run --runner pytest --collect \
        --shards 1 --index 0 --no-record -o junit.xml -- \
        /usr/bin/python3 -m pytest -p no:cacheprovider' >off.out 2>&1 &&
        fail "shard run --runner pytest passed without its plugin"
    mv "$ROOT/usr/share/shard.off" "$ROOT/usr/share/shard"
else
    echo "/usr/share/shard exists: not checking the run without it" >&2
fi

# bash: complete -p names the function; 'shard pl' completes to plan,
# and verbs and their options complete too
BASHCOMP=$ROOT/usr/share/bash-completion/completions/shard
installed bash --norc --noprofile -c '. "$1" || exit 1
complete -p shard
t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _shard
    echo "$*: ${COMPREPLY[*]}"; }
t shard pl
t shard history s
t shard history show --f
t shard plan --sh' sh "$BASHCOMP" >bash.out 2>&1 || {
    cat bash.out; fail "bash completion"
}
cat bash.out
expect_grep '^complete .*-F _shard shard$' bash.out
expect_grep '^shard pl: plan$' bash.out
expect_grep '^shard history s: show$' bash.out
expect_grep '^shard history show --f: --format$' bash.out
expect_grep '^shard plan --sh: --shards --shard-overhead$' bash.out

# zsh: the completion function (autoloaded from the installed
# site-functions) offers plan for 'shard pl'; _describe and _files are
# stood in for, so the candidates it hands them are seen
installed zsh -f -c 'fpath=("$1" $fpath)
autoload -Uz _shard
_describe() { local a=${@[-1]}; print -rl -- ${(P)a} }
_files() { print FILES }
words=(shard pl); CURRENT=2; PREFIX=pl; _shard
words=(shard history show --f); CURRENT=4; PREFIX=--f; _shard' \
    zsh "$ROOT/usr/share/zsh/site-functions" >zsh.out 2>&1 || {
    cat zsh.out; fail "zsh completion"
}
expect_grep '^plan:split a test list' zsh.out
expect_grep '^history:' zsh.out
expect_grep '^--format:' zsh.out

# an install with its data directory apart: the one compiled in is found
# (rebuilt for the new DATADIR), and SHARD_SHARE_DIR still overrides it
inst install2.log PREFIX="$SCRATCH/p" DATADIR="$SCRATCH/data" install
expect_grep 'CC +cmd/testlist_input.c' install2.log
[ -f "$SCRATCH/data/shard/shard_pytest.py" ] || fail "no plugin in DATADIR"
[ ! -e "$SCRATCH/p/share" ] || fail "DATADIR is not where the data went"
(cd away/proj && rm -f junit.xml && env -u SHARD_SHARE_DIR \
    "$SCRATCH/p/bin/shard" run --runner pytest --collect --shards 1 \
    --index 0 --no-record -o junit.xml -- \
    /usr/bin/python3 -m pytest -p no:cacheprovider) >data.out 2>&1 || {
    cat data.out; fail "the compiled-in DATADIR was not found"
}
expect_grep 'name="test_b"' away/proj/junit.xml
(cd away/proj && SHARD_SHARE_DIR="$SCRATCH/nowhere" \
    "$SCRATCH/p/bin/shard" run --runner pytest --collect --shards 1 \
    --index 0 --no-record -o junit.xml -- \
    /usr/bin/python3 -m pytest -p no:cacheprovider) >env.out 2>&1 &&
    fail "SHARD_SHARE_DIR did not override the compiled-in DATADIR"

# make uninstall takes back every file
inst uninstall.log DESTDIR="$ROOT" PREFIX=/usr uninstall
left=$(cd "$ROOT" && find . ! -type d)
[ -z "$left" ] || fail "left after make uninstall: $left"
inst uninstall2.log PREFIX="$SCRATCH/p" DATADIR="$SCRATCH/data" uninstall
left=$(find "$SCRATCH/p" "$SCRATCH/data" ! -type d)
[ -z "$left" ] || fail "left after make uninstall: $left"
