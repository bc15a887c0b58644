/*
 * jest: --runTestsByPath <files> (or the files in place of "{}", where
 * jest reads them as patterns), with jest-junit pointed at the report
 * (JEST_JUNIT_OUTPUT_FILE) and told to write file attributes
 * (JEST_JUNIT_ADD_FILE_ATTRIBUTE=true), by which its testcases meet the
 * listed files.
 */
#include "shard/exec/runner_impl.h"

#include "shard/util/banned.h"

/* A file as a path or a pattern: "./" in front is the same, and still
 * matches it as a pattern. */
static int guard(const struct runner_request *rq, struct runner_unit *u,
		 struct shard_error *err)
{
	(void)rq;
	(void)err;
	if (u->arg[0] == '-')
		runner_unit_dot_slash(u);
	return 0;
}

static void adapt(const struct runner_request *rq, struct runner_job *j,
		  const struct runner_unit *u, size_t n, int *placed)
{
	(void)rq;
	(void)u;
	(void)n;
	if (!*placed)
		strvec_push(&j->argv, "--runTestsByPath");
	strvec_setenv(&j->env, "JEST_JUNIT_OUTPUT_FILE", j->junit);
	strvec_setenv(&j->env, "JEST_JUNIT_ADD_FILE_ATTRIBUTE", "true");
}

const struct runner_adapter runner_jest = {
	.name = "jest",
	.passes = "--runTestsByPath FILES; jest-junit's report at "
		  "JEST_JUNIT_OUTPUT_FILE, with file attributes",
	.units = RUNNER_UNIT_FILE,
	.guard = guard,
	.adapt = adapt,
};
