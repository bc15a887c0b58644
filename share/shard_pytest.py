"""pytest plugin shipped with shard (enabled by `shard run --runner pytest`
with `-p shard_pytest`, found on PYTHONPATH).

- SHARD_TESTS_FILE: keep only the collected items whose node id is listed
  in it (one a line); every other item is deselected. Selecting by
  deselection, rather than by passing node ids as arguments, works on
  suites that generate tests at collection time (pytest cannot find such
  node ids when given them back).
- SHARD_COLLECT_FILE: write the node id of every collected item to it, one
  a line, whatever verbosity the project's addopts force on the terminal.
  shard reads it as a test list and refuses, naming the line, a node id
  that is not printable UTF-8 (a control character, or bytes of a file
  name that are not UTF-8, written back as the bytes they were). A CR or
  LF would split the line instead, so such a node id stops the
  collection here.
"""
import os

import pytest


def _listed(path):
    with open(path, encoding="utf-8", newline="") as f:
        return {line.rstrip("\r\n") for line in f if line.strip()}


def pytest_collection_modifyitems(session, config, items):
    path = os.environ.get("SHARD_TESTS_FILE")
    if not path:
        return
    wanted = _listed(path)
    keep, drop = [], []
    for item in items:
        (keep if item.nodeid in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_finish(session):
    path = os.environ.get("SHARD_COLLECT_FILE")
    if not path:
        return
    for item in session.items:
        if "\n" in item.nodeid or "\r" in item.nodeid:
            raise pytest.UsageError(
                "shard: node id %r cannot be a line of a test list"
                % item.nodeid)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape",
              newline="\n") as f:
        for item in session.items:
            f.write(item.nodeid + "\n")
    os.replace(tmp, path)
