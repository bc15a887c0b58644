/*
 * pytest: the shard's files are appended (or replace "{}"), and the
 * plugin shipped in share/ (-p shard_pytest, on PYTHONPATH) deselects
 * every collected item not in SHARD_TESTS_FILE, so that a parametrized
 * or generated test runs as the node id that was listed. Listing runs
 * the command with --collect-only and the plugin, which writes the exact
 * node ids to SHARD_COLLECT_FILE whatever verbosity the project's addopts
 * force on the terminal.
 */
#include "shard/exec/runner_impl.h"

#include <string.h>

#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

/* PYTHONPATH with the share directory first. */
static void set_pythonpath(struct strvec *env, const char *share_dir,
			   const char *inherited)
{
	struct strbuf pp = STRBUF_INIT;

	strbuf_addstr(&pp, share_dir ? share_dir : ".");
	if (inherited && *inherited)
		strbuf_addf(&pp, ":%s", inherited);
	strvec_setenv(env, "PYTHONPATH", pp.buf);
	strbuf_release(&pp);
}

/*
 * Files are relative to the working directory: "./" in front keeps the
 * same file. "--" would not do: the plugin's options are added after the
 * files, and pytest 8.2 and later expand an "@file" argument into
 * arguments even after "--" (argparse reads such files before it tells
 * options from operands), so "@" gets "./" too.
 */
static int guard(const struct runner_request *rq, struct runner_unit *u,
		 struct shard_error *err)
{
	(void)rq;
	(void)err;
	if (u->arg[0] == '-' || u->arg[0] == '@')
		runner_unit_dot_slash(u);
	return 0;
}

static int has_junitxml(const char *const *cmd)
{
	for (; *cmd; cmd++)
		if (!strncmp(*cmd, "--junitxml", 10) ||
		    !strncmp(*cmd, "--junit-xml", 11))
			return 1;
	return 0;
}

static void adapt(const struct runner_request *rq, struct runner_job *j,
		  const struct runner_unit *u, size_t n, int *placed)
{
	(void)u;
	(void)n;
	(void)placed;
	strvec_push(&j->argv, "-p");
	strvec_push(&j->argv, "shard_pytest");
	if (!has_junitxml(rq->cmd))
		strvec_pushf(&j->argv, "--junitxml=%s", j->junit);
	set_pythonpath(&j->env, rq->share_dir, rq->pythonpath);
}

static int list_command(const struct runner_list *rl,
			struct runner_listing *out, struct shard_error *err)
{
	struct strbuf file = STRBUF_INIT;

	(void)err;
	strvec_pushv(&out->argv, rl->cmd);
	strvec_push(&out->argv, "--collect-only");
	strvec_push(&out->argv, "-q");
	strvec_push(&out->argv, "-p");
	strvec_push(&out->argv, "shard_pytest");
	strbuf_addf(&file, "%s/collected.txt", rl->dir);
	strvec_setenv(&out->env, "SHARD_COLLECT_FILE", file.buf);
	set_pythonpath(&out->env, rl->share_dir, rl->pythonpath);
	out->file = strbuf_detach(&file, NULL);
	return 0;
}

const struct runner_adapter runner_pytest = {
	.name = "pytest",
	.passes = "the shard's files, '-p shard_pytest' (deselects the "
		  "tests not in the shard) and --junitxml=REPORT",
	.units = RUNNER_UNIT_FILE,
	.guard = guard,
	.adapt = adapt,
	.list_command = list_command,
};
