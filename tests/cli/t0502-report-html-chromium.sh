#!/bin/sh
# The HTML report in headless Chromium (Debian's chromium): it renders
# without a console message (no script error, nothing refused by its
# Content-Security-Policy, so no external asset), its screenshot is not
# blank, and the figures its charts carry in the browser's DOM equal
# those of --format json. The checks are first shown to fail: on a copy
# with a script error, on a copy that loads an external image, and on a
# blank page.
. "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
    fail "chromium is not installed (ci/deps installs it)"
$PY -c 'import PIL' 2>/dev/null || fail "python3-pil is not installed (ci/deps)"

for r in 1 2 3; do
    $PY "$REPO/tests/cli/t05-report-history.py" $r run$r
    expect_status 0 "$SHARD" ingest -q --run-id r$r --commit c$r run$r/*.xml
done
expect_status 0 "$SHARD" report --format html -o report.html
expect_status 0 "$SHARD" report --format json -o report.json

# chrome PAGE.html SHOT.png: screenshot at a laptop's size; the browser's
# log (console messages included) goes to PAGE.log
chrome() {
    base=${1%.html}
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$SCRATCH/profile" --enable-logging=stderr --v=0 \
        --window-size=1280,900 --screenshot="$SCRATCH/$2" \
        "file://$SCRATCH/$1" >/dev/null 2>"$base.log" ||
        { cat "$base.log" >&2; fail "chromium failed on $1"; }
    [ -s "$2" ] || fail "no screenshot of $1"
}
# console_clean PAGE: no console message in the browser's log
console_clean() {
    ! grep -E ':CONSOLE[:(]' "${1%.html}.log"
}
# not_blank SHOT.png: many colours, and the bars' own blue (#4e79a7)
# covering a good area, as the shard Gantt chart and trend draw it
not_blank() {
    $PY - "$1" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
colours = im.getcolors(maxcolors=1 << 24)
blue = sum(n for n, c in colours if c == (0x4e, 0x79, 0xa7))
print(f"{sys.argv[1]}: {im.size[0]}x{im.size[1]}, {len(colours)} colours, {blue} px of bar blue")
sys.exit(0 if len(colours) > 50 and blue > 5000 else 1)
PY
}

# the checks can fail
sed 's#<meta http-equiv="Content-Security-Policy"[^>]*>##; s#</main>#<script>noSuchFunction()</script></main>#' \
    report.html >script-error.html
chrome script-error.html script-error.png
console_clean script-error.html >/dev/null && fail "a script error went unseen"
grep -q 'Uncaught ReferenceError: noSuchFunction' script-error.log ||
    fail "the script error is not in chromium's log"
sed 's#</main>#<img src="https://example.invalid/x.png"></main>#' \
    report.html >external.html
chrome external.html external.png
console_clean external.html >/dev/null && fail "an external asset went unseen"
printf '<!DOCTYPE html><html><body></body></html>\n' >blank.html
chrome blank.html blank.png
not_blank blank.png && fail "a blank page passed the blank check"

# the report itself
chrome report.html report.png
console_clean report.html || fail "console messages while rendering the report"
not_blank report.png || fail "the report's screenshot looks blank"
"$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$SCRATCH/profile" --dump-dom \
    "file://$SCRATCH/report.html" >report.dom 2>/dev/null ||
    fail "chromium --dump-dom failed"

# the figures in the charts, as the browser parsed them, equal the JSON's
$PY - report.dom report.json <<'PY' || fail "chart figures differ from --format json"
import json, sys
from html.parser import HTMLParser
rep = json.load(open(sys.argv[2]))
marks = []        # (chart, attrs, title) of every mark with a figure
class P(HTMLParser):
    chart = None
    cur = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "svg":
            self.chart = a.get("data-chart")
        if "data-value" in a:
            self.cur = [self.chart, a, ""]
            marks.append(self.cur)
    def handle_data(self, d):
        if self.cur is not None:
            self.cur[2] += d
    def handle_endtag(self, tag):
        if tag in ("rect", "circle"):
            self.cur = None
P().feed(open(sys.argv[1]).read())
def of(chart):
    return [(a, t) for c, a, t in marks if c == chart]
want = []
for s in rep["latest_shards"]:
    for series in ("predicted", "actual"):
        if s[series + "_seconds"] is not None:
            want.append((str(s["index"]), series, s[series + "_seconds"]))
got = [(a["data-shard"], a["data-series"], float(a["data-value"])) for a, _ in of("gantt")]
assert got == want and len(got) == 8, (got, want)
want = [("suite", str(i), r["suite_seconds"]) for i, r in enumerate(rep["runs"])]
want += [("makespan", str(i), r["makespan_seconds"]) for i, r in enumerate(rep["runs"])]
got = [(a["data-series"], a["data-run"], float(a["data-value"])) for a, _ in of("trend")]
assert got == want and len(got) == 6, (got, want)
got = [(t.rsplit(": ", 1)[0], float(a["data-value"])) for a, t in of("slowest")]
want = [(t["key"], t["estimate_seconds"]) for t in rep["slowest_tests"]]
assert got == want and len(got) == 9, (got, want)
print(f"{len(marks)} chart figures equal the JSON's")
PY
exit 0
