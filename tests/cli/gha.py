#!/usr/bin/python3
"""Play one run of a GitHub Actions workflow on this machine, as GitHub
would run it: jobs in the order their `needs` give, matrix jobs side by
side (each step a process), `${{ }}` expressions, composite actions
(`uses: ./path`), GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH /
GITHUB_STEP_SUMMARY as files, step and job outputs, `if:` with the status
functions, `strategy.job-index` and `strategy.job-total`. Each job gets a
fresh runner: its own HOME, workspace and temporary directory, a base
PATH without the caller's, and a `sudo` that runs its command as is
(GitHub's runners have password-less sudo).

    gha.py [options] WORKFLOW

    --repo DIR        the repository that actions/checkout copies
    --state DIR       what outlives a run: the actions cache, artifacts,
                      and each run's jobs (DIR/runs/RUN_ID)
    --run-id N        github.run_id (default 1); --run-attempt N too
    --var K=V         vars.K; --secret K=V secrets.K (secrets are not
                      masked in logs, so that a test can look for leaks)
    --sync-job JOB --sync-dir DIR --sync-count N
                      hold job JOB until N players have reached it (two
                      runs' JOB then start together)

Actions played: actions/checkout (a copy of --repo), actions/cache/restore
and actions/cache/save (entries in DIR/cache, matched by key, then by
restore-keys prefix, newest first; an existing key is not overwritten),
actions/upload-artifact and actions/download-artifact (v4: per run, by
name, the root of an upload is its files' deepest common directory), and
composite actions. A `postgres` service is a PostgreSQL cluster of the
job's own (ci/pg-start); its network here is a unix socket, so the job's
PGHOST (and PGUSER) point at it.

Prints one line a job and writes DIR/runs/RUN_ID/jobs.json (results,
outputs, step outputs, summaries); exits 1 when a job failed."""
import argparse
import fcntl
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SHARD_REPO = os.path.dirname(os.path.dirname(HERE))
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
print_lock = threading.Lock()


class Failed(Exception):
    pass


# --- expressions -----------------------------------------------------------

TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].,*])
  | (?P<id>[A-Za-z_][A-Za-z0-9_-]*)
)""", re.X)


def tokenize(text):
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = TOKEN.match(text, pos)
        if not m:
            raise Failed("bad expression %r at %d" % (text, pos))
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


def truthy(v):
    return v not in (None, False, 0, "") and not (
        isinstance(v, float) and v != v)


def to_str(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def to_num(v):
    if v is None or v is False:
        return 0
    if v is True:
        return 1
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return float(v) if v.strip() else 0
        except ValueError:
            return float("nan")
    return float("nan")


def compare(op, a, b):
    if isinstance(a, str) and isinstance(b, str):
        a, b = a.lower(), b.lower()
    elif type(a) is not type(b):
        a, b = to_num(a), to_num(b)
    return {"==": a == b, "!=": a != b, "<": a < b, ">": a > b,
            "<=": a <= b, ">=": a >= b}[op]


class Expr:
    """A recursive-descent evaluator of GitHub's expression language."""

    def __init__(self, text, ctx, funcs):
        self.t = tokenize(text)
        self.i = 0
        self.ctx = ctx
        self.funcs = funcs
        self.text = text

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, val=None):
        tok = self.peek()
        if tok[0] is None or (val is not None and tok[1] != val):
            raise Failed("expression %r: expected %s" % (self.text, val))
        self.i += 1
        return tok

    def run(self):
        v = self.or_()
        if self.i != len(self.t):
            raise Failed("expression %r: trailing %r" % (self.text, self.peek()[1]))
        return v

    def or_(self):
        v = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            r = self.and_()
            v = v if truthy(v) else r
        return v

    def and_(self):
        v = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            r = self.cmp()
            v = r if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        if self.peek()[0] == "op" and self.peek()[1] in ("==", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            v = compare(op, v, self.unary())
        return v

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self):
        v = self.primary()
        while True:
            if self.peek() == ("op", "."):
                self.take()
                key = self.take()[1]
                v = v.get(key) if isinstance(v, dict) else None
            elif self.peek() == ("op", "["):
                self.take()
                key = self.or_()
                self.take("]")
                if isinstance(v, dict):
                    v = v.get(to_str(key))
                elif isinstance(v, list) and isinstance(key, (int, float)):
                    v = v[int(key)] if 0 <= int(key) < len(v) else None
                else:
                    v = None
            else:
                return v

    def primary(self):
        kind, val = self.take()
        if kind == "str":
            return val[1:-1].replace("''", "'")
        if kind == "num":
            return float(val)
        if kind == "op" and val == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind == "id":
            if val in ("true", "false"):
                return val == "true"
            if val == "null":
                return None
            if self.peek() == ("op", "("):
                self.take()
                args = []
                while self.peek() != ("op", ")"):
                    args.append(self.or_())
                    if self.peek() == ("op", ","):
                        self.take()
                self.take(")")
                fn = self.funcs.get(val.lower())
                if not fn:
                    raise Failed("expression %r: no function %s" % (self.text, val))
                return fn(*args)
            return self.ctx.get(val)
        raise Failed("expression %r: unexpected %r" % (self.text, val))


def fmt(pattern, *args):
    return re.sub(r"\{(\d+)\}", lambda m: to_str(args[int(m.group(1))]),
                  pattern.replace("{{", "\0").replace("}}", "\1")
                  ).replace("\0", "{").replace("\1", "}")


# --- the player -----------------------------------------------------------

class Scope:
    """What expressions see, and the status that success() reads."""

    def __init__(self, ctx, status):
        self.ctx = ctx
        self.status = status        # a one-element list shared by a level

    def funcs(self):
        return {
            "always": lambda: True,
            "success": lambda: self.status[0] == "success",
            "failure": lambda: self.status[0] == "failure",
            "cancelled": lambda: False,
            "fromjson": lambda s: json.loads(s),
            "tojson": lambda v: json.dumps(v, indent=2),
            "contains": lambda a, b: (to_str(b).lower() in to_str(a).lower()
                                      if not isinstance(a, list) else
                                      any(compare("==", x, b) for x in a)),
            "startswith": lambda a, b: to_str(a).lower().startswith(to_str(b).lower()),
            "endswith": lambda a, b: to_str(a).lower().endswith(to_str(b).lower()),
            "format": fmt,
            "join": lambda a, sep=",": sep.join(map(to_str, a)) if isinstance(a, list) else to_str(a),
        }

    def eval(self, text):
        return Expr(text, self.ctx, self.funcs()).run()

    def subst(self, value):
        """A string with ${{ }} inside: one whole expression keeps its
        value (a matrix's fromJson), otherwise each becomes text."""
        if isinstance(value, dict):
            return {k: self.subst(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.subst(v) for v in value]
        if not isinstance(value, str):
            return value
        # one expression, not "${{ a }}-${{ b }}"
        whole = re.fullmatch(r"\s*\$\{\{((?:(?!\}\}).)*)\}\}\s*", value, re.S)
        if whole:
            return self.eval(whole.group(1))
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: to_str(self.eval(m.group(1))),
                      value, flags=re.S)

    def condition(self, cond):
        """A step's or job's if: success() unless a status function is named."""
        if cond is None:
            return self.status[0] == "success"
        if isinstance(cond, bool):
            return cond and self.status[0] == "success"
        text = str(cond).strip()
        m = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
        if m:
            text = m.group(1)
        if not re.search(r"\b(always|success|failure|cancelled)\s*\(", text):
            text = "success() && (%s)" % text
        return truthy(self.eval(text))


def read_kv_file(path):
    """GITHUB_OUTPUT / GITHUB_ENV: name=value lines and name<<EOF blocks."""
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        m = re.match(r"^([^=<]+)<<(.+)$", line)
        if m:
            name, delim, body = m.group(1), m.group(2), []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise Failed("%s: no closing %s for %s" % (path, delim, name))
            i += 1
            out[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        else:
            raise Failed("%s: bad line %r" % (path, line))
    return out


def copy_into(src, dst):
    if os.path.isdir(src):
        shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        shutil.copy2(src, dst)


class Job:
    def __init__(self, player, name, spec, matrix, needs, strategy=None):
        self.p = player
        self.strategy = strategy or {}
        self.name = name
        self.spec = spec
        self.matrix = matrix
        self.needs = needs
        label = name
        if matrix:
            label += " (%s)" % ", ".join(to_str(v) for v in matrix.values())
        self.label = label
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_")
        self.dir = os.path.join(player.run_dir, slug)
        self.home = os.path.join(self.dir, "home")
        self.workspace = os.path.join(self.dir, "workspace")
        self.temp = os.path.join(self.dir, "tmp")
        for d in (self.home, self.workspace, self.temp, os.path.join(self.dir, "bin")):
            os.makedirs(d)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.status = ["success"]
        self.env = {}             # GITHUB_ENV additions
        self.paths = []           # GITHUB_PATH additions, newest first
        self.summary = []
        self.step_outputs = {}    # job-level steps' outputs, by id
        self.services = []
        sudo = os.path.join(self.dir, "bin", "sudo")
        with open(sudo, "w") as f:
            f.write('#!/bin/sh\n# password-less sudo of a runner: run as is\n'
                    'while [ $# -gt 0 ]; do case $1 in -E|-H|-n) shift ;; *) break ;; esac; done\n'
                    'exec "$@"\n')
        os.chmod(sudo, 0o755)

    def say(self, text):
        self.log.write(text + "\n")
        self.log.flush()

    def github(self, action_path=None):
        g = dict(self.p.github)
        g.update(job=self.name, workspace=self.workspace)
        if action_path:
            g["action_path"] = action_path
        return g

    def base_ctx(self):
        return {
            "github": self.github(),
            "env": {},
            "vars": self.p.vars,
            "secrets": self.p.secrets,
            "matrix": self.matrix or {},
            "needs": self.needs,
            "runner": {"os": "Linux", "arch": "X64", "temp": self.temp,
                       "name": "gha.py"},
            "job": {"status": self.status[0]},
            "strategy": self.strategy,
        }

    # the process environment of a run step
    def process_env(self, env):
        e = {
            "HOME": self.home, "PATH": ":".join(self.paths + [
                os.path.join(self.dir, "bin"), BASE_PATH]),
            "LANG": "C.UTF-8", "CI": "true", "GITHUB_ACTIONS": "true",
            "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
            "RUNNER_TEMP": self.temp, "GITHUB_WORKSPACE": self.workspace,
        }
        for k, v in self.p.github.items():
            if isinstance(v, str):
                e["GITHUB_" + k.upper()] = v
        e["GITHUB_JOB"] = self.name
        e.update({k: to_str(v) for k, v in env.items()})
        e.update(self.env)
        for s in self.services:
            e.update(s["env"])
        return e

    def run_script(self, step, scope, env, shell, action_path=None):
        script = scope.subst(step["run"])
        files = {}
        n = len(os.listdir(self.temp))
        for k in ("output", "env", "path", "step_summary"):
            files[k] = os.path.join(self.temp, "%s_%d" % (k, n))
            open(files[k], "w").close()
        path = os.path.join(self.temp, "step_%d.sh" % n)
        with open(path, "w") as f:
            f.write(script)
        penv = self.process_env(env)
        for k, f in files.items():
            penv["GITHUB_" + k.upper()] = f
        if action_path:
            penv["GITHUB_ACTION_PATH"] = action_path
        shells = {
            None: ["bash", "-e", path],
            "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", path],
            "sh": ["sh", "-e", path],
            "python": ["python3", path],
        }
        if shell not in shells:
            raise Failed("shell %r is not played" % shell)
        cwd = self.workspace
        if step.get("working-directory"):
            cwd = os.path.join(self.workspace, scope.subst(step["working-directory"]))
        self.say("$ " + script.rstrip().replace("\n", "\n$ "))
        rc = subprocess.call(shells[shell], cwd=cwd, env=penv, stdin=subprocess.DEVNULL,
                             stdout=self.log, stderr=subprocess.STDOUT)
        self.env.update(read_kv_file(files["env"]))
        for line in open(files["path"]).read().splitlines():
            if line.strip():
                self.paths.insert(0, line.strip())
        summary = open(files["step_summary"], encoding="utf-8").read()
        if summary:
            self.summary.append(summary)
        outputs = read_kv_file(files["output"])
        if rc != 0:
            self.say("(exit %d)" % rc)
            raise Failed("exit %d" % rc)
        return outputs

    def expand(self, path):
        if path == "~" or path.startswith("~/"):
            path = self.home + path[1:]
        return path if os.path.isabs(path) else os.path.join(self.workspace, path)

    # actions played by the player itself
    def builtin(self, uses, w):
        name, _, _ = uses.partition("@")
        if name == "actions/checkout":
            copy_into(self.p.repo, os.path.join(self.workspace, w.get("path", "") or ""))
            return {}
        if name == "actions/cache/restore":
            return self.p.cache_restore(self, w)
        if name == "actions/cache/save":
            self.p.cache_save(self, w)
            return {}
        if name == "actions/upload-artifact":
            self.p.upload(self, w)
            return {}
        if name == "actions/download-artifact":
            self.p.download(self, w)
            return {}
        raise Failed("action %s is not played" % uses)

    def steps(self, steps, scope, env, steps_ctx, action_path=None):
        """Run a list of steps (a job's or a composite action's)."""
        for i, step in enumerate(steps):
            ctx = dict(scope.ctx)
            ctx["steps"] = steps_ctx
            ctx["job"] = {"status": self.status[0]}
            s = Scope(ctx, scope.status)
            ctx["env"] = dict(env)  # what the step's env: values see
            step_env = dict(env)
            step_env.update({k: to_str(v) for k, v in s.subst(step.get("env", {}) or {}).items()})
            ctx["env"] = step_env
            title = step.get("name") or step.get("uses") or step.get("run", "").split("\n")[0]
            sid = step.get("id", "__step%d" % i)
            if not s.condition(step.get("if")):
                self.say("-- skipped: %s" % title)
                steps_ctx[sid] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                continue
            self.say("-- %s" % title)
            try:
                if "run" in step:
                    if action_path and not step.get("shell"):
                        raise Failed("composite run steps need a shell")
                    outputs = self.run_script(step, s, step_env, step.get("shell"), action_path)
                else:
                    outputs = self.uses(step, s, step_env, action_path)
                steps_ctx[sid] = {"outputs": outputs, "outcome": "success",
                                  "conclusion": "success"}
            except Failed as e:
                self.say("!! %s: %s" % (title, e))
                steps_ctx[sid] = {"outputs": {}, "outcome": "failure",
                                  "conclusion": "failure"}
                if not step.get("continue-on-error"):
                    scope.status[0] = "failure"
                    self.status[0] = "failure"

    def uses(self, step, s, env, parent_action_path):
        uses = step["uses"]
        w = {k: to_str(v) for k, v in s.subst(step.get("with", {}) or {}).items()}
        if not uses.startswith("./"):
            return self.builtin(uses, w)
        path = os.path.join(self.workspace, uses[2:])
        meta_path = next((os.path.join(path, n) for n in ("action.yml", "action.yaml")
                          if os.path.exists(os.path.join(path, n))), None)
        if not meta_path:
            raise Failed("%s: no action.yml (was the repository checked out?)" % uses)
        meta = yaml.safe_load(open(meta_path))
        runs = meta.get("runs", {})
        if runs.get("using") != "composite":
            raise Failed("%s: only composite actions are played" % uses)
        action_path = os.path.abspath(path)
        actx = dict(s.ctx)
        actx["github"] = self.github(action_path)
        inputs = {}
        dscope = Scope(actx, s.status)
        for k, spec in (meta.get("inputs") or {}).items():
            if k in w:
                inputs[k] = w[k]
            elif spec and "default" in spec:
                inputs[k] = to_str(dscope.subst(spec["default"]))
            elif spec and spec.get("required"):
                raise Failed("%s: input %s is required" % (uses, k))
            else:
                inputs[k] = ""
        for k in w:
            if k not in (meta.get("inputs") or {}):
                self.say("warning: %s has no input %s" % (uses, k))
        actx["inputs"] = inputs
        status = ["success"]
        steps_ctx = {}
        ascope = Scope(actx, status)
        self.steps(runs.get("steps", []), ascope, env, steps_ctx, action_path)
        actx["steps"] = steps_ctx
        outputs = {k: to_str(Scope(actx, status).subst(v.get("value", "")))
                   for k, v in (meta.get("outputs") or {}).items()}
        if status[0] != "success":
            raise Failed("composite action %s failed" % uses)
        return outputs

    def start_services(self):
        for name, svc in (self.spec.get("services") or {}).items():
            image = str(svc.get("image", ""))
            if not image.startswith("postgres"):
                raise Failed("service %s (%s) is not played" % (name, image))
            d = os.path.join(self.dir, "svc-" + name)
            os.makedirs(d)
            url = subprocess.check_output([os.path.join(SHARD_REPO, "ci/pg-start"), d],
                                          text=True, stderr=self.log).strip()
            m = re.match(r"postgresql://([^@]*)@/postgres\?host=(.*)$", url)
            self.services.append({"dir": d, "env": {"PGHOST": m.group(2),
                                                    "PGUSER": m.group(1)}})
            self.say("-- service %s: PostgreSQL at %s" % (name, m.group(2)))

    def stop_services(self):
        for s in self.services:
            subprocess.call([os.path.join(SHARD_REPO, "ci/pg-stop"), s["dir"]],
                            stdout=self.log, stderr=subprocess.STDOUT)

    def play(self, scope):
        env = {k: to_str(v) for k, v in scope.subst(self.spec.get("env", {}) or {}).items()}
        try:
            self.start_services()
            self.steps(self.spec.get("steps", []), scope, env, self.step_outputs)
        except Failed as e:
            self.say("!! %s" % e)
            self.status[0] = "failure"
        except subprocess.CalledProcessError as e:
            self.say("!! service: %s" % e)
            self.status[0] = "failure"
        finally:
            self.stop_services()
        ctx = dict(scope.ctx)
        ctx["steps"] = self.step_outputs
        self.outputs = {k: to_str(Scope(ctx, self.status).subst(v))
                        for k, v in (self.spec.get("outputs") or {}).items()}
        self.log.close()
        return self.status[0]


class Player:
    def __init__(self, args):
        self.repo = os.path.abspath(args.repo)
        self.state = os.path.abspath(args.state)
        self.run_id = str(args.run_id)
        self.run_dir = os.path.join(self.state, "runs", self.run_id)
        if os.path.exists(self.run_dir):
            raise Failed("%s exists: one player a run id" % self.run_dir)
        os.makedirs(self.run_dir)
        self.artifacts = os.path.join(self.state, "artifacts", self.run_id)
        os.makedirs(self.artifacts, exist_ok=True)
        self.cache_dir = os.path.join(self.state, "cache")
        os.makedirs(self.cache_dir, exist_ok=True)
        self.vars = dict(kv.split("=", 1) for kv in args.var)
        self.secrets = dict(kv.split("=", 1) for kv in args.secret)
        sha = ""
        if os.path.isdir(os.path.join(self.repo, ".git")):
            sha = subprocess.check_output(["git", "-C", self.repo, "rev-parse", "HEAD"],
                                          text=True).strip()
        self.github = {
            "run_id": self.run_id, "run_attempt": str(args.run_attempt),
            "run_number": self.run_id, "sha": sha or "0" * 40,
            "ref": "refs/heads/main", "ref_name": "main",
            "repository": "example/shard", "event_name": "push",
            "workflow": "tests", "server_url": "https://github.com",
            "actor": "gha.py",
        }
        self.args = args
        self.lock = threading.Lock()

    # actions/cache: entries in DIR/cache/index.json, newest last
    def _cache_index(self, fn):
        with open(os.path.join(self.cache_dir, "lock"), "a") as lk:
            fcntl.flock(lk, fcntl.LOCK_EX)
            p = os.path.join(self.cache_dir, "index.json")
            index = json.load(open(p)) if os.path.exists(p) else []
            r = fn(index)
            with open(p + ".tmp", "w") as f:
                json.dump(index, f)
            os.replace(p + ".tmp", p)
            return r

    def cache_restore(self, job, w):
        paths = [x.strip() for x in w.get("path", "").splitlines() if x.strip()]
        key = w["key"]
        prefixes = [x.strip() for x in w.get("restore-keys", "").splitlines() if x.strip()]

        def find(index):
            same = [e for e in index if e["paths"] == paths]
            for e in reversed(same):
                if e["key"] == key:
                    return e
            for pre in prefixes:
                for e in reversed(same):
                    if e["key"].startswith(pre):
                        return e
            return None
        e = self._cache_index(find)
        if not e:
            job.say("cache: no entry for %s" % key)
            return {"cache-hit": "false", "cache-primary-key": key, "cache-matched-key": ""}
        for i, p in enumerate(paths):
            src = os.path.join(self.cache_dir, e["dir"], str(i))
            if os.path.exists(src):
                copy_into(src, job.expand(p))
        job.say("cache: restored %s" % e["key"])
        return {"cache-hit": "true" if e["key"] == key else "false",
                "cache-primary-key": key, "cache-matched-key": e["key"]}

    def cache_save(self, job, w):
        paths = [x.strip() for x in w.get("path", "").splitlines() if x.strip()]
        key = w["key"]
        if not any(os.path.exists(job.expand(p)) for p in paths):
            job.say("warning: cache paths do not exist, nothing saved")
            return

        def add(index):
            if any(e["key"] == key and e["paths"] == paths for e in index):
                return None
            d = "e%d" % len(index)
            index.append({"key": key, "paths": paths, "dir": d})
            for i, p in enumerate(paths):
                if os.path.exists(job.expand(p)):
                    copy_into(job.expand(p), os.path.join(self.cache_dir, d, str(i)))
            return d
        if self._cache_index(add) is None:
            job.say("warning: cache entry %s exists, not saved" % key)
        else:
            job.say("cache: saved %s" % key)

    def upload(self, job, w):
        name = w.get("name") or "artifact"
        files = []
        for pat in [x.strip() for x in w.get("path", "").splitlines() if x.strip()]:
            for m in sorted(glob.glob(job.expand(pat), recursive=True)):
                if os.path.isdir(m):
                    for root, _, fs in os.walk(m):
                        files += [os.path.join(root, f) for f in fs]
                else:
                    files.append(m)
        if not files:
            how = w.get("if-no-files-found") or "warn"
            if how == "error":
                raise Failed("upload-artifact %s: no files found" % name)
            job.say("warning: upload-artifact %s: no files found" % name)
            return
        root = os.path.commonpath([os.path.dirname(f) for f in files])
        dest = os.path.join(self.artifacts, name)
        with self.lock:
            if os.path.exists(dest):
                raise Failed("upload-artifact: an artifact named %s exists in this run" % name)
            os.makedirs(dest)
        for f in files:
            copy_into(f, os.path.join(dest, os.path.relpath(f, root)))
        job.say("artifact: uploaded %s (%d files)" % (name, len(files)))

    def download(self, job, w):
        dest = job.expand(w.get("path") or ".")
        if w.get("name"):
            src = os.path.join(self.artifacts, w["name"])
            if not os.path.isdir(src):
                raise Failed("download-artifact: no artifact %s" % w["name"])
            copy_into(src, dest)
            return
        pattern = w.get("pattern") or "*"
        for name in sorted(os.listdir(self.artifacts)):
            if fnmatch.fnmatch(name, pattern):
                sub = dest if w.get("merge-multiple") == "true" else os.path.join(dest, name)
                copy_into(os.path.join(self.artifacts, name), sub)

    def sync(self, job_name):
        a = self.args
        if job_name != a.sync_job:
            return
        os.makedirs(a.sync_dir, exist_ok=True)
        open(os.path.join(a.sync_dir, self.run_id), "w").close()
        for _ in range(2400):
            if len(os.listdir(a.sync_dir)) >= a.sync_count:
                return
            time.sleep(0.05)
        raise Failed("job %s: the other players never reached it" % job_name)

    def play(self, wf):
        jobs = wf["jobs"]
        results, outputs = {}, {}
        report = {}
        pending = dict(jobs)
        while pending:
            ready = [n for n, j in pending.items()
                     if all(d in results for d in self.needs_of(j))]
            if not ready:
                raise Failed("jobs %s: needs form a cycle" % ", ".join(pending))
            threads = []
            instances = []
            for name in ready:
                spec = pending.pop(name)
                needs = {d: {"result": results[d], "outputs": outputs[d]}
                         for d in self.needs_of(spec)}
                scope = Scope(self.job_ctx(needs), [
                    "success" if all(r == "success" for r in
                                     (n["result"] for n in needs.values())) else "failure"])
                if not scope.condition(spec.get("if")):
                    results[name], outputs[name] = "skipped", {}
                    report[name] = [{"job": name, "result": "skipped"}]
                    continue
                self.sync(name)
                matrices = self.matrix_of(spec, scope)
                for i, matrix in enumerate(matrices):
                    job = Job(self, name, spec, matrix, needs,
                              {"job-index": i, "job-total": len(matrices)})
                    instances.append((name, job))
                    # in a job, success() is about its own steps
                    t = threading.Thread(target=self.run_job,
                                         args=(job, Scope(job.base_ctx(), job.status)))
                    threads.append(t)
                    t.start()
            for t in threads:
                t.join()
            for name in ready:
                mine = [j for n, j in instances if n == name]
                if not mine:
                    continue
                results[name] = ("success" if all(j.result == "success" for j in mine)
                                 else "failure")
                outputs[name] = {}
                for j in mine:
                    outputs[name].update({k: v for k, v in j.outputs.items() if v != ""})
                report[name] = [{
                    "job": j.label, "result": j.result, "outputs": j.outputs,
                    "steps": {k: v for k, v in j.step_outputs.items()
                              if not k.startswith("__")},
                    "summary": "".join(j.summary), "dir": j.dir,
                } for j in mine]
        with open(os.path.join(self.run_dir, "jobs.json"), "w") as f:
            json.dump(report, f, indent=1)
        return all(r != "failure" for r in results.values())

    def run_job(self, job, scope):
        t0 = time.time()
        job.result = job.play(scope)
        with print_lock:
            print("run %s: job %s: %s (%.1f s)" % (self.run_id, job.label, job.result,
                                                  time.time() - t0), flush=True)

    @staticmethod
    def needs_of(spec):
        n = spec.get("needs", [])
        return [n] if isinstance(n, str) else list(n)

    def job_ctx(self, needs):
        return {"github": self.github, "vars": self.vars, "secrets": self.secrets,
                "needs": needs, "env": {}, "matrix": {}, "runner": {"os": "Linux"}}

    @staticmethod
    def matrix_of(spec, scope):
        strategy = spec.get("strategy") or {}
        m = scope.subst(strategy.get("matrix")) if strategy.get("matrix") else None
        if not m:
            return [None]
        if not isinstance(m, dict):
            raise Failed("matrix is not a mapping: %r" % (m,))
        include = m.get("include") or []
        exclude = m.get("exclude") or []
        keys = [k for k in m if k not in ("include", "exclude")]
        combos = [{}] if keys else []
        for k in keys:
            combos = [dict(c, **{k: v}) for c in combos for v in m[k]]
        combos = [c for c in combos if not any(
            all(c.get(k) == v for k, v in x.items()) for x in exclude)]
        # include: added to every combination whose original values it
        # does not overwrite, or a combination of its own when none
        originals = [dict(c) for c in combos]
        for x in include:
            fits = [i for i, o in enumerate(originals)
                    if all(o.get(k, v) == v for k, v in x.items() if k in keys)]
            for i in fits:
                combos[i].update(x)
            if not fits:
                combos.append(dict(x))
        return combos


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workflow")
    ap.add_argument("--repo", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--run-id", default="1")
    ap.add_argument("--run-attempt", default="1")
    ap.add_argument("--var", action="append", default=[])
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--sync-job")
    ap.add_argument("--sync-dir")
    ap.add_argument("--sync-count", type=int, default=2)
    args = ap.parse_args()
    try:
        wf = yaml.safe_load(open(args.workflow))
        ok = Player(args).play(wf)
    except Failed as e:
        print("gha.py: %s" % e, file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
