/*
 * Tests for CI detection, a pure function of the envp snapshot in the
 * context: each test builds a fake environment and checks the provider,
 * run identity, commit, branch and 0-based shard index and total, the
 * precedence of SHARD_INDEX/SHARD_TOTAL and the messages for bad values.
 */
#include "shard/ci.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define MAX_VARS 32

struct fixture {
	char *vars[MAX_VARS + 1]; /* NULL-terminated "NAME=value" */
	size_t nr;
	struct shard_ctx ctx;
	struct ci_info ci;
	struct shard_error err;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->ctx.envp = fx->vars;
	*state = fx;
	return 0;
}

static void clear_env(struct fixture *fx)
{
	for (size_t i = 0; i < fx->nr; i++)
		free(fx->vars[i]);
	fx->nr = 0;
	fx->vars[0] = NULL;
	shard_error_clear(&fx->err);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	clear_env(fx);
	free(fx);
	return 0;
}

/* Replace the environment with the NULL-terminated "NAME=value" list. */
static void set_env(struct fixture *fx, ...)
{
	va_list ap;
	const char *kv;

	clear_env(fx);
	va_start(ap, fx);
	while ((kv = va_arg(ap, const char *))) {
		assert_true(fx->nr < MAX_VARS);
		fx->vars[fx->nr++] = xstrdup(kv);
	}
	va_end(ap);
	fx->vars[fx->nr] = NULL;
}

static int detect(struct fixture *fx)
{
	return ci_detect(&fx->ctx, &fx->ci, &fx->err);
}

static void expect_shard(struct fixture *fx, long index, long total)
{
	assert_int_equal(detect(fx), 0);
	assert_int_equal(fx->err.code, 0);
	assert_int_equal(fx->ci.index, index);
	assert_int_equal(fx->ci.total, total);
}

static void expect_einput(struct fixture *fx, const char *msg)
{
	assert_int_equal(detect(fx), SHARD_EINPUT);
	assert_int_equal(fx->err.code, SHARD_EINPUT);
	assert_string_equal(fx->err.msg, msg);
}

static void no_ci_variables_detect_nothing(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "HOME=/root", "PATH=/bin", NULL);
	expect_shard(fx, -1, -1);
	assert_null(fx->ci.provider);
	assert_string_equal(fx->ci.run_id, "");
	assert_string_equal(fx->ci.run_base, "");
	assert_null(fx->ci.commit);
	assert_null(fx->ci.branch);
	assert_null(fx->ci.index_var);
	assert_null(fx->ci.total_var);
	assert_null(fx->ci.status_file);
}

static void no_environment_at_all_detects_nothing(void **state)
{
	struct fixture *fx = *state;

	fx->ctx.envp = NULL;
	expect_shard(fx, -1, -1);
	assert_null(fx->ci.provider);
	assert_int_equal(ci_detect(NULL, &fx->ci, &fx->err), 0);
	assert_null(fx->ci.provider);
}

static void github_gives_run_id_attempt_commit_and_branch(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITHUB_ACTIONS=true", "GITHUB_RUN_ID=6428120375",
		"GITHUB_RUN_ATTEMPT=2", "GITHUB_SHA=0123abcd",
		"GITHUB_REF_NAME=main", "GITHUB_HEAD_REF=", NULL);
	expect_shard(fx, -1, -1);
	assert_string_equal(fx->ci.provider, "github");
	assert_string_equal(fx->ci.run_id, "6428120375-2");
	/* what the attempts of the run share: plans are pinned by it */
	assert_string_equal(fx->ci.run_base, "6428120375");
	assert_string_equal(fx->ci.commit, "0123abcd");
	/* an empty GITHUB_HEAD_REF (push events) counts as unset */
	assert_string_equal(fx->ci.branch, "main");
}

static void github_pull_request_branch_is_the_head_ref(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITHUB_ACTIONS=true", "GITHUB_RUN_ID=7",
		"GITHUB_REF_NAME=42/merge", "GITHUB_HEAD_REF=feature/x", NULL);
	expect_shard(fx, -1, -1);
	assert_string_equal(fx->ci.branch, "feature/x");
	/* no attempt: the run id alone */
	assert_string_equal(fx->ci.run_id, "7");
}

static void gitlab_converts_its_1_based_node_index(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITLAB_CI=true", "CI_PIPELINE_ID=991", "CI_COMMIT_SHA=c0",
		"CI_COMMIT_REF_NAME=dev", "CI_NODE_INDEX=1", "CI_NODE_TOTAL=4",
		NULL);
	expect_shard(fx, 0, 4);
	assert_string_equal(fx->ci.provider, "gitlab");
	assert_string_equal(fx->ci.run_id, "991");
	assert_string_equal(fx->ci.run_base, "991");
	assert_string_equal(fx->ci.commit, "c0");
	assert_string_equal(fx->ci.branch, "dev");
	assert_string_equal(fx->ci.index_var, "CI_NODE_INDEX");
	assert_string_equal(fx->ci.total_var, "CI_NODE_TOTAL");

	set_env(fx, "GITLAB_CI=true", "CI_NODE_INDEX=4", "CI_NODE_TOTAL=4",
		NULL);
	expect_shard(fx, 3, 4);
}

static void gitlab_node_index_zero_is_rejected(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITLAB_CI=true", "CI_NODE_INDEX=0", "CI_NODE_TOTAL=4",
		NULL);
	expect_einput(fx, "CI_NODE_INDEX='0' is not a valid shard index");
}

static void gitlab_node_index_above_total_is_rejected(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITLAB_CI=true", "CI_NODE_INDEX=5", "CI_NODE_TOTAL=4",
		NULL);
	assert_int_equal(detect(fx), SHARD_EINPUT);
	assert_non_null(strstr(fx->err.msg, "CI_NODE_INDEX"));
	assert_non_null(strstr(fx->err.msg, "CI_NODE_TOTAL"));
}

static void circleci_gives_its_0_based_node_index(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "CIRCLECI=true", "CIRCLE_WORKFLOW_ID=wf-1",
		"CIRCLE_SHA1=abc", "CIRCLE_BRANCH=main", "CIRCLE_NODE_INDEX=0",
		"CIRCLE_NODE_TOTAL=3", NULL);
	expect_shard(fx, 0, 3);
	assert_string_equal(fx->ci.provider, "circleci");
	assert_string_equal(fx->ci.run_id, "wf-1");
	assert_string_equal(fx->ci.commit, "abc");
	assert_string_equal(fx->ci.branch, "main");
	assert_string_equal(fx->ci.index_var, "CIRCLE_NODE_INDEX");
}

static void buildkite_gives_its_parallel_job(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "BUILDKITE=true", "BUILDKITE_BUILD_ID=0189-aa",
		"BUILDKITE_COMMIT=def", "BUILDKITE_BRANCH=rel",
		"BUILDKITE_PARALLEL_JOB=2", "BUILDKITE_PARALLEL_JOB_COUNT=3",
		NULL);
	expect_shard(fx, 2, 3);
	assert_string_equal(fx->ci.provider, "buildkite");
	assert_string_equal(fx->ci.run_id, "0189-aa");
	assert_string_equal(fx->ci.commit, "def");
	assert_string_equal(fx->ci.branch, "rel");
	assert_string_equal(fx->ci.total_var, "BUILDKITE_PARALLEL_JOB_COUNT");
}

static void jenkins_falls_back_to_git_branch(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "JENKINS_URL=https://ci.example/",
		"BUILD_TAG=jenkins-app-12", "GIT_COMMIT=fff",
		"GIT_BRANCH=origin/main", NULL);
	expect_shard(fx, -1, -1);
	assert_string_equal(fx->ci.provider, "jenkins");
	assert_string_equal(fx->ci.run_id, "jenkins-app-12");
	assert_string_equal(fx->ci.commit, "fff");
	assert_string_equal(fx->ci.branch, "origin/main");

	set_env(fx, "JENKINS_URL=https://ci.example/", "BRANCH_NAME=PR-3",
		"GIT_BRANCH=origin/main", NULL);
	expect_shard(fx, -1, -1);
	assert_string_equal(fx->ci.branch, "PR-3");
}

static void bazel_gives_shard_variables_and_status_file(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "TEST_TOTAL_SHARDS=4", "TEST_SHARD_INDEX=3",
		"TEST_SHARD_STATUS_FILE=/tmp/bazel/status", NULL);
	expect_shard(fx, 3, 4);
	assert_string_equal(fx->ci.provider, "bazel");
	assert_string_equal(fx->ci.run_id, "");
	assert_null(fx->ci.commit);
	assert_string_equal(fx->ci.status_file, "/tmp/bazel/status");
	assert_string_equal(fx->ci.index_var, "TEST_SHARD_INDEX");
	assert_string_equal(fx->ci.total_var, "TEST_TOTAL_SHARDS");
}

static void bazel_variables_hold_inside_another_ci(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITHUB_ACTIONS=true", "GITHUB_RUN_ID=5",
		"TEST_SHARD_INDEX=1", "TEST_TOTAL_SHARDS=2", NULL);
	expect_shard(fx, 1, 2);
	assert_string_equal(fx->ci.provider, "github");
	assert_string_equal(fx->ci.run_id, "5");
	assert_string_equal(fx->ci.index_var, "TEST_SHARD_INDEX");
}

static void shard_variables_take_precedence_over_the_provider(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITLAB_CI=true", "CI_NODE_INDEX=1", "CI_NODE_TOTAL=2",
		"SHARD_INDEX=3", "SHARD_TOTAL=5", "TEST_SHARD_INDEX=0",
		"TEST_TOTAL_SHARDS=9", NULL);
	expect_shard(fx, 3, 5);
	assert_string_equal(fx->ci.provider, "gitlab");
	assert_string_equal(fx->ci.index_var, "SHARD_INDEX");
	assert_string_equal(fx->ci.total_var, "SHARD_TOTAL");
}

static void shard_index_is_0_based_under_gitlab_too(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "GITLAB_CI=true", "SHARD_INDEX=0", "SHARD_TOTAL=2", NULL);
	expect_shard(fx, 0, 2);
}

static void shard_variables_work_without_a_provider(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "SHARD_INDEX=7", "SHARD_TOTAL=8", NULL);
	expect_shard(fx, 7, 8);
	assert_null(fx->ci.provider);
}

static void each_variable_falls_back_on_its_own(void **state)
{
	struct fixture *fx = *state;

	/* SHARD_TOTAL alone: the index still comes from the provider */
	set_env(fx, "CIRCLECI=true", "CIRCLE_NODE_INDEX=1",
		"CIRCLE_NODE_TOTAL=2", "SHARD_TOTAL=6", NULL);
	expect_shard(fx, 1, 6);
	assert_string_equal(fx->ci.index_var, "CIRCLE_NODE_INDEX");
	assert_string_equal(fx->ci.total_var, "SHARD_TOTAL");
}

static void empty_and_similar_names_are_not_the_variable(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "SHARD_INDEX=", "SHARD_TOTALS=4", "XSHARD_INDEX=1",
		"SHARD_INDEX_X=2", "GITHUB_ACTIONS=", NULL);
	expect_shard(fx, -1, -1);
	assert_null(fx->ci.provider);
}

static void index_equal_to_total_is_rejected(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "SHARD_INDEX=4", "SHARD_TOTAL=4", NULL);
	expect_einput(fx, "shard index 4 (from SHARD_INDEX) is not below the "
			  "total 4 (from SHARD_TOTAL)");
	set_env(fx, "SHARD_INDEX=5", "CIRCLECI=1", "CIRCLE_NODE_TOTAL=3", NULL);
	expect_einput(fx, "shard index 5 (from SHARD_INDEX) is not below the "
			  "total 3 (from CIRCLE_NODE_TOTAL)");
	set_env(fx, "SHARD_INDEX=3", "SHARD_TOTAL=4", NULL);
	expect_shard(fx, 3, 4);
}

static void index_without_total_is_accepted(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "SHARD_INDEX=12", NULL);
	expect_shard(fx, 12, -1);
	assert_null(fx->ci.total_var);
}

static void invalid_values_are_rejected_naming_the_variable(void **state)
{
	static const struct {
		const char *env[3];
		const char *msg;
	} cases[] = {
		{ { "SHARD_INDEX=abc" },
		  "SHARD_INDEX='abc' is not a valid shard index" },
		{ { "SHARD_INDEX=-1" },
		  "SHARD_INDEX='-1' is not a valid shard index" },
		{ { "SHARD_INDEX=1.5" },
		  "SHARD_INDEX='1.5' is not a valid shard index" },
		{ { "SHARD_INDEX=2x" },
		  "SHARD_INDEX='2x' is not a valid shard index" },
		{ { "SHARD_INDEX=1 " },
		  "SHARD_INDEX='1 ' is not a valid shard index" },
		{ { "SHARD_INDEX=0x1" },
		  "SHARD_INDEX='0x1' is not a valid shard index" },
		{ { "SHARD_TOTAL=0" },
		  "SHARD_TOTAL='0' is not a valid shard total" },
		{ { "SHARD_TOTAL=-3" },
		  "SHARD_TOTAL='-3' is not a valid shard total" },
		{ { "SHARD_TOTAL=99999999999999999999" },
		  "SHARD_TOTAL='99999999999999999999' is not a valid shard total" },
		{ { "CIRCLECI=true", "CIRCLE_NODE_INDEX=one" },
		  "CIRCLE_NODE_INDEX='one' is not a valid shard index" },
		{ { "BUILDKITE=true", "BUILDKITE_PARALLEL_JOB_COUNT=0" },
		  "BUILDKITE_PARALLEL_JOB_COUNT='0' is not a valid shard total" },
		{ { "TEST_TOTAL_SHARDS=2", "TEST_SHARD_INDEX=-" },
		  "TEST_SHARD_INDEX='-' is not a valid shard index" },
		{ { "GITLAB_CI=true", "CI_NODE_TOTAL=many" },
		  "CI_NODE_TOTAL='many' is not a valid shard total" },
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		set_env(fx, cases[i].env[0], cases[i].env[1], NULL);
		expect_einput(fx, cases[i].msg);
	}
}

static void
bad_shard_variable_is_reported_even_when_the_provider_is_fine(void **state)
{
	struct fixture *fx = *state;

	set_env(fx, "CIRCLECI=true", "CIRCLE_NODE_INDEX=0",
		"CIRCLE_NODE_TOTAL=2", "SHARD_INDEX=x", NULL);
	expect_einput(fx, "SHARD_INDEX='x' is not a valid shard index");
}

static void long_run_ids_are_truncated_not_overflowed(void **state)
{
	struct fixture *fx = *state;
	struct strbuf var = STRBUF_INIT;

	strbuf_addstr(&var, "GITHUB_RUN_ID=");
	for (int i = 0; i < 400; i++)
		strbuf_addch(&var, '9');
	set_env(fx, "GITHUB_ACTIONS=true", var.buf, "GITHUB_RUN_ATTEMPT=1",
		NULL);
	expect_shard(fx, -1, -1);
	assert_int_equal(strlen(fx->ci.run_id), sizeof(fx->ci.run_id) - 1);
	strbuf_release(&var);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(no_ci_variables_detect_nothing),
		T(no_environment_at_all_detects_nothing),
		T(github_gives_run_id_attempt_commit_and_branch),
		T(github_pull_request_branch_is_the_head_ref),
		T(gitlab_converts_its_1_based_node_index),
		T(gitlab_node_index_zero_is_rejected),
		T(gitlab_node_index_above_total_is_rejected),
		T(circleci_gives_its_0_based_node_index),
		T(buildkite_gives_its_parallel_job),
		T(jenkins_falls_back_to_git_branch),
		T(bazel_gives_shard_variables_and_status_file),
		T(bazel_variables_hold_inside_another_ci),
		T(shard_variables_take_precedence_over_the_provider),
		T(shard_index_is_0_based_under_gitlab_too),
		T(shard_variables_work_without_a_provider),
		T(each_variable_falls_back_on_its_own),
		T(empty_and_similar_names_are_not_the_variable),
		T(index_equal_to_total_is_rejected),
		T(index_without_total_is_accepted),
		T(invalid_values_are_rejected_naming_the_variable),
		T(bad_shard_variable_is_reported_even_when_the_provider_is_fine),
		T(long_run_ids_are_truncated_not_overflowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
