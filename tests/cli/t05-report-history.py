#!/usr/bin/env python3
"""Write the JUnit reports of one sharded CI run, for shard report's tests.

usage: report-history.py RUN OUTDIR

RUN (1, 2 or 3) picks a run of a small suite whose figures the tests
check against the report: 4 shards; tests/slow.py::test_big takes 40 s,
far longer than an even share; 't.flaky' fails in run 2 only and is
retried within run 3 (failed, then passed); 't.old' is removed in run 3
and 't.new' added; one test's name holds < > & " ' to test escaping.
Each shard's report carries shard.* properties as `shard run` writes them.
"""
import os
import sys
from xml.sax.saxutils import quoteattr

run = int(sys.argv[1])
out = sys.argv[2]
os.makedirs(out, exist_ok=True)

# (shard, classname, name, seconds, outcome) for every run
cases = [
    (0, "tests.slow", "test_big", 40.0 + run, "passed"),
    (1, "tests.api", "test_get", 6.0, "passed"),
    (1, "tests.api", "test_post", 5.5, "passed"),
    (1, "tests.api", "test_<odd> & \"quoted\" 'name'", 2.25, "passed"),
    (2, "tests.db", "test_migrate", 9.0, "passed"),
    (2, "t", "flaky", 1.0, "failed" if run == 2 else "passed"),
    (3, "tests.ui", "test_page", 7.0, "passed"),
    (3, "tests.ui", "test_skip", 0.0, "skipped"),
]
if run < 3:
    cases.append((3, "t", "old", 3.0, "passed"))
else:
    cases.append((3, "t", "new", 4.0, "passed"))
    cases.append((2, "t", "flaky", 1.5, "failed"))  # a retry that failed
predicted = [38.0, 14.0, 11.0, 12.0]

for shard in range(4):
    mine = [c for c in cases if c[0] == shard]
    # the retry's failure comes before its pass, as a re-runner writes it
    mine.sort(key=lambda c: c[4] != "failed")
    actual = sum(c[3] for c in mine) + 0.5
    with open(os.path.join(out, f"shard{shard}.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
        f.write(f'<testsuite name="shard{shard}" tests="{len(mine)}">\n')
        f.write("<properties>\n")
        props = {"shard.index": shard, "shard.total": 4,
                 "shard.predicted_seconds": predicted[shard],
                 "shard.actual_seconds": actual, "shard.run_id": f"r{run}",
                 "shard.host": f"host-{shard}"}
        for k, v in props.items():
            f.write(f'<property name="{k}" value="{v}"/>\n')
        f.write("</properties>\n")
        for _, cls, name, secs, outcome in mine:
            path = cls.replace(".", "/") + ".py"
            f.write(f'<testcase classname={quoteattr(cls)} '
                    f'name={quoteattr(name)} time="{secs}" '
                    f'file={quoteattr(path)}')
            if outcome == "passed":
                f.write("/>\n")
            else:
                tag = "failure" if outcome == "failed" else "skipped"
                f.write(f'><{tag} message="x"/></testcase>\n')
        f.write("</testsuite>\n</testsuites>\n")
