#!/bin/sh
# The man pages (man/) and --help cannot drift apart: every command shard
# --help lists has a page shard-CMD.1 and an entry in shard(1), and the
# other way round; every verb a command lists ("history show") has a
# section (.Ss) in its page; and every option a --help lists is an .It
# entry of its page (or of the verb's section), with the same short name
# and argument, and every option entry of a page is in its --help. Then
# every page renders without a warning from mandoc -T lint and groff -ww.
. "$(dirname "$0")/lib.sh"
command -v mandoc >/dev/null || fail "mandoc is missing (ci/deps)"
command -v groff >/dev/null || fail "groff is missing (ci/deps)"

$PY - "$SHARD" "$REPO/man" <<'PY' || fail "the man pages and --help disagree"
import glob, os, re, subprocess, sys
shard, mandir = sys.argv[1], sys.argv[2]
bad = []

def help_of(*words):
    p = subprocess.run([shard, *words, "--help"], capture_output=True,
                       text=True)
    assert p.returncode == 0, (words, p.returncode, p.stderr)
    return p.stdout

def commands(text):
    """The names under 'commands:' of a --help, or None."""
    if "\ncommands:\n" not in text:
        return None
    body = text.split("\ncommands:\n", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  (\S+) ", body, re.M)]

def help_options(text):
    out = set()
    for line in text.split("\n"):
        # "  -x, --name ARG" padded to 30 columns, then the help; a spec
        # longer than that is followed by one space. Arguments are
        # upper-case placeholders (FILE, URL, VAR, N...).
        m = re.match(r"^  (?:-(\w), |    )--([\w-]+)(?: ([A-Z][A-Z_]*))?(?: |$)",
                     line)
        if m and m.group(2) != "help":
            out.add(("-" + m.group(1) + ", " if m.group(1) else "") +
                    "--" + m.group(2) + (" ARG" if m.group(3) else ""))
    return out

def item_option(line):
    """'.It Fl t , Fl -tests Ar file' -> '-t, --tests ARG'; else None."""
    words = line.split()[1:]
    if not words or words[0] != "Fl":
        return None
    short = long = None
    for i, w in enumerate(words[:-1]):
        if w == "Fl":
            name = words[i + 1]
            if name.startswith("-"):
                long = name[1:]
            else:
                short = name
    if long is None or long == "help":
        return None
    return ("-" + short + ", " if short else "") + "--" + long + \
        (" ARG" if "Ar" in words else "")

def sections(path):
    """{(section, subsection): set of option entries} of a page."""
    out, sh, ss = {}, None, None
    for line in open(path, encoding="utf-8"):
        if line.startswith(".Sh "):
            sh, ss = line[4:].strip(), None
        elif line.startswith(".Ss "):
            ss = line[4:].strip()
            out.setdefault((sh, ss), set())
        elif line.startswith(".It "):
            o = item_option(line)
            if o:
                out.setdefault((sh, ss), set()).add(o)
    return out

def compare(what, want, got):
    for o in sorted(want - got):
        bad.append("%s: --help lists '%s', the page does not" % (what, o))
    for o in sorted(got - want):
        bad.append("%s: the page lists '%s', --help does not" % (what, o))

cmds = [c for c in commands(help_of()) if c != "help"]
pages = sorted(os.path.basename(p)[len("shard-"):-2]
               for p in glob.glob(os.path.join(mandir, "shard-*.1")))
compare("pages", {"shard-%s.1" % c for c in cmds},
        {"shard-%s.1" % c for c in pages})
listed = set(re.findall(r"^\.It Cm (\S+)", open(os.path.join(
    mandir, "shard.1"), encoding="utf-8").read(), re.M))
compare("shard.1's commands", set(cmds) | {"help"}, listed)

for c in cmds:
    path = os.path.join(mandir, "shard-%s.1" % c)
    if not os.path.exists(path):
        continue
    secs = sections(path)
    text = help_of(c)
    verbs = commands(text)
    if verbs is None:
        compare(c, help_options(text), secs.get(("OPTIONS", None), set()))
        stray = {k: v for k, v in secs.items()
                 if k != ("OPTIONS", None) and v}
    else:
        compare(c + "'s verbs", set(verbs),
                {ss for sh, ss in secs if sh == "COMMANDS" and ss})
        for v in verbs:
            compare(c + " " + v, help_options(help_of(c, v)),
                    secs.get(("COMMANDS", v), set()))
        stray = {k: v for k, v in secs.items()
                 if not (k[0] == "COMMANDS" and k[1] in verbs) and v}
    for k, v in stray.items():
        bad.append("%s: options outside of %s: %s in %s" % (
            path, "OPTIONS" if verbs is None else "a verb's section",
            sorted(v), k))
n = sum(len(help_options(help_of(c))) for c in cmds)
assert n > 30, "too few options found in --help: %d" % n
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY

for page in "$REPO"/man/*.1; do
    mandoc -T lint -W warning "$page" >lint.out 2>&1 ||
        { cat lint.out; fail "mandoc -T lint: $page"; }
    groff -ww -mandoc -z "$page" >groff.out 2>&1
    [ ! -s groff.out ] || { cat groff.out; fail "groff -ww: $page"; }
done
