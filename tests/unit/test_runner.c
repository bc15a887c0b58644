/*
 * Tests for the runner adapters: argv templating ('{}', '{@}', '{junit}'),
 * batches under the argument limit, the pytest, go and jest adapters'
 * arguments and variables, the id files, and the errors; and that no id,
 * file or package that begins with '-' reaches a runner as an option.
 */
#include "shard/exec/runner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shard/util/strbuf.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

struct fixture {
	char dir[64];
	struct runner_job *jobs;
	size_t n;
	struct shard_error err;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_runner.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	runner_jobs_free(fx->jobs, fx->n);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static int make(struct fixture *fx, enum runner_kind kind,
		const char *const *cmd, const char *const *ids, size_t n,
		size_t room)
{
	struct runner_request rq = {
		kind, cmd, ids,          n,           fx->dir, "a0",
		2,    5,   "/opt/share", "/old/path", room,
	};

	runner_jobs_free(fx->jobs, fx->n);
	fx->jobs = NULL;
	fx->n = 0;
	shard_error_clear(&fx->err);
	return runner_jobs(&rq, &fx->jobs, &fx->n, &fx->err);
}

static char *argv_line(const struct runner_job *j)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < j->argv.n; i++)
		strbuf_addf(&sb, "%s%s", i ? "|" : "", j->argv.v[i]);
	return strbuf_detach(&sb, NULL);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	return strbuf_detach(&sb, NULL);
}

static void generic_needs_a_placeholder(void **state)
{
	struct fixture *fx = *state;
	const char *bare[] = { "run", "--fast", NULL };
	const char *ok[] = { "run", "{@}", NULL };

	(void)fx;
	assert_int_equal(runner_check(RUNNER_GENERIC, bare, &fx->err),
			 SHARD_EINPUT);
	assert_non_null(strstr(fx->err.msg, "no '{}'"));
	assert_int_equal(runner_check(RUNNER_GENERIC, ok, NULL), 0);
	assert_int_equal(runner_check(RUNNER_PYTEST, bare, NULL), 0);
	assert_int_equal(runner_check(RUNNER_PYTEST, NULL, NULL), SHARD_EINPUT);
}

static void braces_expand_to_ids_and_junit_path(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "run", "-x", "--", "{}", "--out={junit}.d", NULL };
	const char *ids[] = { "a b", "-c", "$(d)", NULL };
	char *line, *want, *listed;

	assert_int_equal(make(fx, RUNNER_GENERIC, cmd, ids, 3, 1 << 20), 0);
	assert_int_equal(fx->n, 1);
	line = argv_line(&fx->jobs[0]);
	want = malloc(strlen(fx->dir) + 64);
	snprintf(want, strlen(fx->dir) + 64,
		 "run|-x|--|a b|-c|$(d)|--out=%s/"
		 "a0-0.xml.d",
		 fx->dir);
	assert_string_equal(line, want);
	listed = slurp(fx->jobs[0].tests_file);
	assert_string_equal(listed, "a b\n-c\n$(d)\n");
	assert_int_equal(fx->jobs[0].n, 3);
	assert_string_equal(strvec_getenv(&fx->jobs[0].env, "SHARD_INDEX"),
			    "2");
	assert_string_equal(strvec_getenv(&fx->jobs[0].env, "SHARD_TOTAL"),
			    "5");
	assert_string_equal(strvec_getenv(&fx->jobs[0].env, "SHARD_JUNIT"),
			    fx->jobs[0].junit);
	free(line);
	free(want);
	free(listed);
}

static void ids_file_placeholder_makes_one_job(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "run", "{@}", NULL };
	const char *ids[] = { "t1", "t2", NULL };

	assert_int_equal(make(fx, RUNNER_GENERIC, cmd, ids, 2, 100), 0);
	assert_int_equal(fx->n, 1);
	assert_string_equal(fx->jobs[0].argv.v[1], fx->jobs[0].tests_file);
}

static void ids_beyond_the_limit_run_in_batches(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "run", "{}", NULL };
	const char *ids[600];
	char names[600][16];
	size_t total = 0, room = 12000;

	for (int i = 0; i < 600; i++) {
		snprintf(names[i], sizeof(names[i]), "test_%03d", i);
		ids[i] = names[i];
	}
	assert_int_equal(make(fx, RUNNER_GENERIC, cmd, ids, 600, room), 0);
	assert_true(fx->n > 1);
	for (size_t j = 0; j < fx->n; j++) {
		size_t cost = 0;

		for (size_t a = 0; a < fx->jobs[j].argv.n; a++)
			cost += runner_arg_cost(fx->jobs[j].argv.v[a]);
		assert_true(cost <= room);
		assert_int_equal(fx->jobs[j].argv.n - 1, fx->jobs[j].n);
		assert_string_not_equal(fx->jobs[j].junit,
					fx->jobs[j ? j - 1 : 1].junit);
		total += fx->jobs[j].n;
	}
	assert_int_equal(total, 600);
	assert_string_equal(fx->jobs[0].argv.v[1], "test_000");
	assert_string_equal(fx->jobs[fx->n - 1].argv.v[fx->jobs[fx->n - 1].n],
			    "test_599");
}

static void an_id_longer_than_an_argument_is_refused(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "run", "{}", NULL };
	size_t len = 200 * 1024;
	char *big = malloc(len + 1);
	const char *ids[] = { big, NULL };

	memset(big, 'x', len);
	big[len] = '\0';
	assert_int_equal(make(fx, RUNNER_GENERIC, cmd, ids, 1, 1 << 22),
			 SHARD_EINPUT);
	assert_non_null(strstr(fx->err.msg, "longer than one argument"));
	assert_int_equal(fx->n, 0);
	free(big);
}

static void pytest_passes_files_and_enables_the_plugin(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "pytest", "-x", NULL };
	const char *ids[] = { "t/a.py::T::x[1::2]", "t/a.py::T::y", "t/b.py::z",
			      NULL };
	const char *with_xml[] = { "pytest", "--junitxml=r.xml", NULL };
	char *line, *want;
	size_t size;

	assert_int_equal(make(fx, RUNNER_PYTEST, cmd, ids, 3, 1 << 20), 0);
	assert_int_equal(fx->n, 1);
	line = argv_line(&fx->jobs[0]);
	size = strlen(fx->dir) + 128;
	want = malloc(size);
	snprintf(want, size,
		 "pytest|-x|-p|shard_pytest|--junitxml=%s/a0-0.xml"
		 "|t/a.py|t/b.py",
		 fx->dir);
	assert_string_equal(line, want);
	assert_string_equal(strvec_getenv(&fx->jobs[0].env, "PYTHONPATH"),
			    "/opt/share:/old/path");
	free(line);
	assert_int_equal(make(fx, RUNNER_PYTEST, with_xml, ids, 3, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	assert_null(strstr(line, "--junitxml=/"));
	free(line);
	free(want);
}

static void go_runs_each_package_with_an_anchored_regexp(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "gotestsum", "--junitfile", "{junit}", "--",
			      NULL };
	const char *ids[] = { "example.com/m/a.TestA",
			      "example.com/m/a.TestA/sub",
			      "example.com/m/a.TestB.x",
			      "example.com/m/b.TestC", NULL };
	char *line;

	assert_int_equal(make(fx, RUNNER_GO, cmd, ids, 4, 1 << 20), 0);
	assert_int_equal(fx->n, 2);
	line = argv_line(&fx->jobs[0]);
	assert_non_null(strstr(line, "|--|-run|^(TestA|TestB\\.x)$|"
				     "example.com/m/a"));
	free(line);
	line = argv_line(&fx->jobs[1]);
	assert_non_null(strstr(line, "|-run|^(TestC)$|example.com/m/b"));
	assert_non_null(strstr(line, "gotestsum|--junitfile|/"));
	free(line);
	assert_int_equal(fx->jobs[0].n, 3);
}

static void jest_passes_paths_and_points_jest_junit(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "npx", "jest", "--ci", NULL };
	const char *ids[] = { "src/a.test.js", "./src/b.test.ts", NULL };
	char *line;

	assert_int_equal(make(fx, RUNNER_JEST, cmd, ids, 2, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	assert_string_equal(line, "npx|jest|--ci|--runTestsByPath|"
				  "src/a.test.js|./src/b.test.ts");
	assert_string_equal(strvec_getenv(&fx->jobs[0].env,
					  "JEST_JUNIT_OUTPUT_FILE"),
			    fx->jobs[0].junit);
	assert_string_equal(strvec_getenv(&fx->jobs[0].env,
					  "JEST_JUNIT_ADD_FILE_ATTRIBUTE"),
			    "true");
	free(line);
}

static void
generic_refuses_an_option_id_unless_dashdash_comes_first(void **state)
{
	struct fixture *fx = *state;
	const char *bare[] = { "python", "-m", "pytest", "{}", NULL };
	const char *after[] = { "run", "{}", "--", NULL };
	const char *ended[] = { "python", "-m", "pytest", "--", "{}", NULL };
	const char *file[] = { "python", "-m", "pytest", "{@}", NULL };
	const char *ids[] = { "t/a.py::x", "-pevil", NULL };
	const char *rlo[] = { "-x\xe2\x80\xae", NULL };
	char *line;

	assert_int_equal(make(fx, RUNNER_GENERIC, bare, ids, 2, 1 << 20),
			 SHARD_EINPUT);
	assert_string_equal(fx->err.msg,
			    "test id '-pevil' begins with '-': through '{}', "
			    "'python' would take it as an option; put an "
			    "argument '--' before '{}' if the command takes "
			    "'--' to end its options, or pass the ids in a "
			    "file with '{@}'");
	assert_int_equal(fx->n, 0);
	/* a "--" after "{}" ends nothing for the ids */
	assert_int_equal(make(fx, RUNNER_GENERIC, after, ids, 2, 1 << 20),
			 SHARD_EINPUT);
	/* the message shows a bidirectional override escaped, never raw */
	assert_int_equal(make(fx, RUNNER_GENERIC, bare, rlo, 1, 1 << 20),
			 SHARD_EINPUT);
	assert_non_null(strstr(fx->err.msg, "'-x\\u{202e}'"));
	assert_null(strstr(fx->err.msg, "\xe2\x80\xae"));

	assert_int_equal(make(fx, RUNNER_GENERIC, ended, ids, 2, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	assert_string_equal(line, "python|-m|pytest|--|t/a.py::x|-pevil");
	free(line);
	/* in a file the id is no argument at all */
	assert_int_equal(make(fx, RUNNER_GENERIC, file, ids, 2, 1 << 20), 0);
	assert_int_equal(fx->jobs[0].argv.n, 4);
	assert_string_equal(fx->jobs[0].argv.v[3], fx->jobs[0].tests_file);
}

static void ids_that_are_not_printable_utf8_are_refused(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "run", "{@}", NULL };
	const char *ids[] = { "ok", "a\x1b]0;pwned\x07", NULL };
	const char *latin1[] = { "caf\xe9", NULL };

	/* ids claimed from a queue reach the runner without a list */
	assert_int_equal(make(fx, RUNNER_GENERIC, cmd, ids, 2, 1 << 20),
			 SHARD_EINPUT);
	assert_string_equal(fx->err.msg,
			    "the tests to run: control character "
			    "\\x1b in test id 'a\\x1b]0;pwned\\x07'");
	assert_int_equal(fx->n, 0);
	assert_int_equal(make(fx, RUNNER_PYTEST, cmd, latin1, 1, 1 << 20),
			 SHARD_EINPUT);
	assert_string_equal(fx->err.msg, "the tests to run: invalid UTF-8 "
					 "(byte \\xe9) in test id 'caf\\xe9'");
}

static void pytest_gives_files_that_look_like_options_a_dot_slash(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "pytest", NULL };
	const char *braces[] = { "pytest", "{}", "-x", NULL };
	const char *ids[] = { "-pevil.py::test_a", "@args.py::t", "t/-x.py::t",
			      "-k", NULL };
	char *line, *want, *listed;
	size_t size = strlen(fx->dir) + 128;

	assert_int_equal(make(fx, RUNNER_PYTEST, cmd, ids, 4, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	want = malloc(size);
	snprintf(want, size,
		 "pytest|-p|shard_pytest|--junitxml=%s/a0-0.xml|"
		 "./-pevil.py|./@args.py|t/-x.py|./-k",
		 fx->dir);
	assert_string_equal(line, want);
	free(line);
	/* the plugin selects by the ids as listed */
	listed = slurp(fx->jobs[0].tests_file);
	assert_string_equal(listed, "-pevil.py::test_a\n@args.py::t\n"
				    "t/-x.py::t\n-k\n");
	free(listed);
	/* in place of "{}" alike */
	assert_int_equal(make(fx, RUNNER_PYTEST, braces, ids, 4, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	assert_true(!strncmp(line,
			     "pytest|./-pevil.py|./@args.py|t/-x.py|"
			     "./-k|-x|-p|shard_pytest|",
			     40));
	free(line);
	free(want);
}

static void go_refuses_a_package_that_looks_like_a_flag(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "go", "test", NULL };
	const char *ids[] = { "example.com/m/a.TestA", "-exec=/tmp/evil.TestA",
			      NULL };
	const char *dotted[] = { "./-x.TestA", NULL };
	char *line;

	assert_int_equal(make(fx, RUNNER_GO, cmd, ids, 2, 1 << 20),
			 SHARD_EINPUT);
	assert_string_equal(fx->err.msg,
			    "test id '-exec=/tmp/evil.TestA': its package "
			    "'-exec=/tmp/evil' begins with '-', which go test "
			    "would take as a flag (no Go import path begins "
			    "with '-')");
	assert_int_equal(fx->n, 0);
	/* a directory path is an operand as it is */
	assert_int_equal(make(fx, RUNNER_GO, cmd, dotted, 1, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	assert_string_equal(line, "go|test|-run|^(TestA)$|./-x");
	free(line);
}

static void jest_gives_paths_that_look_like_options_a_dot_slash(void **state)
{
	struct fixture *fx = *state;
	const char *cmd[] = { "npx", "jest", NULL };
	const char *braces[] = { "npx", "jest", "{}", NULL };
	const char *ids[] = { "-c=evil.js", "src/a.test.js", "@scope/b.test.js",
			      NULL };
	char *line;

	assert_int_equal(make(fx, RUNNER_JEST, cmd, ids, 3, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	assert_string_equal(line, "npx|jest|--runTestsByPath|./-c=evil.js|"
				  "src/a.test.js|@scope/b.test.js");
	free(line);
	assert_int_equal(make(fx, RUNNER_JEST, braces, ids, 3, 1 << 20), 0);
	line = argv_line(&fx->jobs[0]);
	assert_string_equal(line, "npx|jest|./-c=evil.js|src/a.test.js|"
				  "@scope/b.test.js");
	free(line);
}

static void runner_names_round_trip(void **state)
{
	(void)state;
	for (int k = RUNNER_GENERIC; k <= RUNNER_JEST; k++)
		assert_int_equal(runner_parse(runner_name(k)), k);
	assert_int_equal(runner_parse("nose"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(generic_needs_a_placeholder,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			braces_expand_to_ids_and_junit_path, setup, teardown),
		cmocka_unit_test_setup_teardown(
			ids_file_placeholder_makes_one_job, setup, teardown),
		cmocka_unit_test_setup_teardown(
			ids_beyond_the_limit_run_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(
			an_id_longer_than_an_argument_is_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			pytest_passes_files_and_enables_the_plugin, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			go_runs_each_package_with_an_anchored_regexp, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			jest_passes_paths_and_points_jest_junit, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			generic_refuses_an_option_id_unless_dashdash_comes_first,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			ids_that_are_not_printable_utf8_are_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			pytest_gives_files_that_look_like_options_a_dot_slash,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			go_refuses_a_package_that_looks_like_a_flag, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			jest_gives_paths_that_look_like_options_a_dot_slash,
			setup, teardown),
		cmocka_unit_test_setup_teardown(runner_names_round_trip, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
