#!/usr/bin/python3
"""A test runner for shard run's end-to-end tests.

usage: fake-runner.py [--ids-file FILE] [--] [ID...]

Runs the ids given as arguments (or listed in FILE) and writes a JUnit
report to $SHARD_JUNIT. An id "C.name" is reported as classname "C" and
name "name". The outcome comes from the id:
  ...fail...   fails every time
  ...flaky...  fails the first time ($FAKE_STATE remembers), then passes
  ...skip...   skipped
  else         passes
$FAKE_MODE changes the runner itself:
  crash   writes results for the first half, then kills itself (SIGKILL)
  hang    writes nothing and sleeps forever
  red     writes a green report, then exits 3
  silent  writes no report at all, exits 0
$FAKE_LOG: each invocation appends one JSON line with its argv and its
SHARD_* and PG* variables, the ids SHARD_TESTS_FILE lists, its pid
and its parent's. $FAKE_SLEEP: seconds each test takes. $FAKE_TIMES: a
file of "id<TAB>seconds" lines, the time reported for those ids (not
slept: histories with skewed durations, at no cost).
"""
import hashlib
import json
import os
import signal
import sys
import time
from xml.sax.saxutils import quoteattr


def outcome(tid):
    if "fail" in tid:
        return "failed"
    if "skip" in tid:
        return "skipped"
    if "flaky" in tid:
        state = os.environ.get("FAKE_STATE", ".")
        mark = os.path.join(state, "flaky-" + hashlib.md5(
            tid.encode("utf-8", "surrogateescape")).hexdigest())
        if not os.path.exists(mark):
            open(mark, "w").close()
            return "failed"
    return "passed"


def case(tid, result, seconds):
    cls, _, name = tid.rpartition(".")
    body = {
        "failed": "<failure message=\"boom\">assert 0</failure>",
        "skipped": "<skipped/>",
        "passed": "",
    }[result]
    return "<testcase classname=%s name=%s time=\"%.3f\">%s</testcase>\n" % (
        quoteattr(cls), quoteattr(name), seconds, body)


def write(path, cases):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write('<testsuite name="fake" tests="%d">\n' % len(cases))
        f.writelines(cases)
        f.write("</testsuite>\n")
    os.replace(tmp, path)


def main(argv):
    if argv[:1] == ["--ids-file"]:
        with open(argv[1], encoding="utf-8", newline="") as f:
            ids = [line.rstrip("\n") for line in f]
    else:
        ids = argv[1:] if argv[:1] == ["--"] else argv
    log = os.environ.get("FAKE_LOG")
    if log:
        env = {k: v for k, v in os.environ.items()
               if k.startswith(("SHARD_", "PG", "DATABASE_URL"))}
        listed = None
        if os.path.exists(env.get("SHARD_TESTS_FILE", "")):
            with open(env["SHARD_TESTS_FILE"], encoding="utf-8",
                      newline="") as f:
                listed = f.read().split("\n")[:-1]
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"argv": argv, "env": env, "listed": listed,
                                "pid": os.getpid(),
                                "ppid": os.getppid()}) + "\n")
    mode = os.environ.get("FAKE_MODE", "")
    report = os.environ["SHARD_JUNIT"]
    if mode == "hang":
        while True:
            time.sleep(60)
    if mode == "silent":
        return 0
    pause = float(os.environ.get("FAKE_SLEEP", "0"))
    times = {}
    if os.environ.get("FAKE_TIMES"):
        with open(os.environ["FAKE_TIMES"], encoding="utf-8") as f:
            for line in f:
                tid, _, sec = line.rstrip("\n").rpartition("\t")
                times[tid] = float(sec)
    cases, failed = [], False
    for i, tid in enumerate(ids):
        if mode == "crash" and i == len(ids) // 2:
            write(report, cases)
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(pause)
        result = outcome(tid)
        failed |= result == "failed"
        cases.append(case(tid, result, times.get(tid, pause)))
    write(report, cases)
    if mode == "red":
        return 3
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
