#!/bin/sh
# Measure the duration estimators of shard/estimate.c: builds
# bench/estimators.c against it, converts the timing files to plain lists
# with python3, and prints Markdown tables and a recommendation.
#   bench/estimators.sh [DATA_DIR]   (default tests/data/durations)
set -eu
cd "$(dirname "$0")/.."
data=${1:-${SHARD_DURATIONS:-tests/data/durations}}
work=bench/.work
mkdir -p "$work/in"
rm -f "$work"/in/*

${CC:-cc} -std=c11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wvla \
	-Wstrict-prototypes -Wmissing-prototypes -Werror \
	-D_POSIX_C_SOURCE=200809L -I. \
	bench/estimators.c shard/estimate.c -lm -o "$work/estimators"

python3 - "$data" "$work/in" <<'PY'
import glob, json, math, os, re, sys
data, out = sys.argv[1], sys.argv[2]
files = sorted(glob.glob(os.path.join(data, "*.json")))
for i, f in enumerate(files):
    d = json.load(open(f))
    name = os.path.basename(f)[:-5]
    with open(os.path.join(out, "%02d.txt" % i), "w") as o:
        o.write("# %s\n" % name)
        for v in d.values():
            o.write("%r\n" % float(v))
# baserow: the dated snapshots, oldest first, then the current file
base = "bram2w__baserow__backend_.test_durations"
hist = sorted(glob.glob(os.path.join(data, "history", base + "@*.json")))
cur = os.path.join(data, base + ".json")
snaps = hist + ([cur] if os.path.exists(cur) else [])
if len(snaps) >= 2:
    maps = [json.load(open(f)) for f in snaps]
    labels = [re.search(r"@(\d{4}-\d{2})", f).group(1) if "@" in f else "current"
              for f in snaps]
    ids = []
    seen = set()
    for m in maps:
        for k in m:
            if k not in seen:
                seen.add(k)
                ids.append(k)
    with open(os.path.join(out, "snapshots.txt"), "w") as o:
        o.write("# %s\n" % " ".join(labels))
        for k in ids:
            o.write(" ".join("%r" % float(m[k]) if k in m else "nan"
                             for m in maps) + "\n")
PY

set -- "$work"/in/[0-9]*.txt
if [ -f "$work/in/snapshots.txt" ]; then
	set -- -s "$work/in/snapshots.txt" "$@"
fi
exec "$work/estimators" "$@"
