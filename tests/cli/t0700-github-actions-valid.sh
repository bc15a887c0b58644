#!/bin/sh
# The composite actions under ci/github/, the example workflow and the
# queue-mode workflow t0411 plays are valid against GitHub's schemas
# (@action-validator/cli, installed from npm into build/npm once; it runs
# offline), a broken copy is refused (the check can fail), and every use of
# an action in the workflows passes only inputs the action declares, all
# its required ones, and reads only outputs it has.
. "$(dirname "$0")/lib.sh"
NPM_DIR=${SHARD_NPM_DIR:-$REPO/build/npm}
AV=$NPM_DIR/node_modules/.bin/action-validator
if [ ! -x "$AV" ]; then
    command -v npm >/dev/null || fail "npm missing: run ci/deps (nodejs, npm)"
    mkdir -p "$NPM_DIR"
    npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" \
        @action-validator/cli@0.6.0 >npm.log 2>&1 || { cat npm.log; fail "npm install failed"; }
fi
for f in "$REPO"/ci/github/*/action.yml "$REPO"/ci/github/example-workflow.yml \
    "$REPO"/tests/cli/gha-queue-workflow.yml; do
    "$AV" "$f" >av.out 2>&1 || { cat av.out; fail "$f is not valid"; }
done
mkdir broken
sed 's/^runs:/rnus:/' "$REPO/ci/github/run/action.yml" >broken/action.yml
"$AV" broken/action.yml >/dev/null 2>&1 && fail "a broken action passed validation"
sed 's/^jobs:/jbos:/' "$REPO/ci/github/example-workflow.yml" >broken/workflow.yml
"$AV" broken/workflow.yml >/dev/null 2>&1 && fail "a broken workflow passed validation"

$PY - "$REPO" <<'PYEOF' || fail "the workflow's uses do not match the actions"
import os, re, sys
import yaml
repo = sys.argv[1]
used = 0
jobs = []
for path in ("ci/github/example-workflow.yml", "tests/cli/gha-queue-workflow.yml"):
    wf = yaml.safe_load(open(os.path.join(repo, path)))
    jobs += list(wf["jobs"].items())
for name, job in jobs:
    ids = {}
    for step in job.get("steps", []):
        uses = step.get("uses", "")
        if not uses.startswith("./"):
            continue
        action = yaml.safe_load(open(os.path.join(repo, uses[2:], "action.yml")))
        inputs = action.get("inputs", {}) or {}
        given = step.get("with", {}) or {}
        for k in given:
            assert k in inputs, "%s: %s has no input %s" % (name, uses, k)
        for k, spec in inputs.items():
            if spec.get("required") and "default" not in spec:
                assert k in given, "%s: %s needs input %s" % (name, uses, k)
        if "id" in step:
            ids[step["id"]] = set((action.get("outputs") or {}).keys())
        used += 1
    text = yaml.safe_dump(job)
    for sid, out in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
        assert out in ids.get(sid, set()), "%s: no output %s of step %s" % (name, out, sid)
    for out in job.get("outputs", {}).values():
        for sid, o in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", out):
            assert o in ids.get(sid, set()), (name, sid, o)
assert used >= 10, used
PYEOF

# the README shows the example workflow as it is
$PY - "$REPO" <<'PYEOF' || fail "README's example workflow differs from ci/github/example-workflow.yml"
import os, sys
repo = sys.argv[1]
wf = open(os.path.join(repo, "ci/github/example-workflow.yml")).read()
indented = "".join(("    " + l if l.strip() else l) for l in wf.splitlines(True))
assert indented in open(os.path.join(repo, "README.md")).read()
PYEOF
