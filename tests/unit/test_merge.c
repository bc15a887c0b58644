/*
 * The merge engine on inputs written to a temporary directory, into an
 * in-memory output: counts, folding, the plan check, and that errors
 * come back with their file and position.
 */
#include "shard/junit/merge.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/strbuf.h"
#include "tmpdir.h"

struct fixture {
	char dir[64];
	char paths[4][128];
	struct merge_input in[4];
	size_t n;
	char *out;
	size_t out_len;
	struct strbuf seen; /* callbacks, one line each */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-merge-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	strbuf_init(&f->seen, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(tmpdir_remove(f->dir), 0);
	free(f->out);
	strbuf_release(&f->seen);
	free(f);
	return 0;
}

static void input(struct fixture *f, const char *name, const char *xml)
{
	char dir[64];
	FILE *fp;

	memcpy(dir, f->dir, sizeof(dir));
	snprintf(f->paths[f->n], sizeof(f->paths[f->n]), "%s/%s", dir, name);
	fp = fopen(f->paths[f->n], "w");
	assert_non_null(fp);
	fputs(xml, fp);
	fclose(fp);
	f->in[f->n].path = f->paths[f->n];
	f->in[f->n].fd = -1;
	f->n++;
}

static int on_case(void *data, const struct merge_case *c)
{
	struct fixture *f = data;

	strbuf_addf(&f->seen, "case %s %d%s\n", c->name, (int)c->outcome,
		    c->flaky ? " flaky" : "");
	return 0;
}

static int on_missing(void *data, const char *id)
{
	strbuf_addf(&((struct fixture *)data)->seen, "missing %s\n", id);
	return 0;
}

static int on_unplanned(void *data, const char *key)
{
	strbuf_addf(&((struct fixture *)data)->seen, "unplanned %s\n", key);
	return 0;
}

static int run(struct fixture *f, struct merge_options *opt,
	       struct merge_stats *st, struct shard_error *err)
{
	FILE *out;
	int r;

	free(f->out);
	f->out = NULL;
	out = open_memstream(&f->out, &f->out_len);
	assert_non_null(out);
	opt->on_case = on_case;
	opt->on_missing = on_missing;
	opt->on_unplanned = on_unplanned;
	opt->data = f;
	r = merge_run(f->in, f->n, out, opt, NULL, st, err);
	fclose(out);
	return r;
}

static void merge_recounts_suites_and_root(void **state)
{
	struct fixture *f = *state;
	struct merge_options opt = { 0 };
	struct merge_stats st;
	struct shard_error err = SHARD_ERROR_INIT;

	input(f, "a.xml",
	      "<testsuites tests=\"99\"><testsuite name=\"s\" tests=\"7\""
	      " failures=\"0\" time=\"4\"><testcase classname=\"C\" name=\"a\""
	      " time=\"1\"/><testcase classname=\"C\" name=\"b\" time=\"2\">"
	      "<failure message=\"m\"/></testcase><testcase classname=\"C\""
	      " name=\"c\"><skipped/></testcase></testsuite></testsuites>");
	assert_int_equal(run(f, &opt, &st, &err), 0);
	assert_int_equal(st.tests, 3);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.skipped, 1);
	assert_non_null(strstr(f->out,
			       "<testsuites tests=\"3\" failures=\"1\""
			       " errors=\"0\" skipped=\"1\" time=\"4\">"));
	assert_non_null(strstr(f->out, "<testsuite name=\"s\" tests=\"3\""
				       " failures=\"1\" errors=\"0\""
				       " skipped=\"1\" time=\"4\">"));
	assert_non_null(strstr(f->out, "<testcase classname=\"C\" name=\"b\""
				       " time=\"2\"><failure message=\"m\"/>"
				       "</testcase>"));
}

static void merge_folds_a_retry_across_inputs(void **state)
{
	struct fixture *f = *state;
	struct merge_options opt = { 0 };
	struct merge_stats st;
	struct shard_error err = SHARD_ERROR_INIT;

	input(f, "1.xml",
	      "<testsuite name=\"s\"><testcase classname=\"C\""
	      " name=\"t\"><error message=\"e1\">x</error>"
	      "</testcase></testsuite>");
	input(f, "2.xml",
	      "<testsuite name=\"s\"><testcase classname=\"C\""
	      " name=\"t\"/></testsuite>");
	assert_int_equal(run(f, &opt, &st, &err), 0);
	assert_int_equal(st.tests, 1);
	assert_int_equal(st.flaky, 1);
	assert_int_equal(st.folded, 1);
	assert_string_equal(f->seen.buf, "case t 0 flaky\n");
	assert_non_null(strstr(f->out, "<testcase classname=\"C\" name=\"t\">"
				       "<flakyError message=\"e1\">"
				       "<stackTrace>x</stackTrace></flakyError>"
				       "</testcase>"));
	/* the first input's suite lost its only testcase */
	assert_non_null(strstr(f->out, "<testsuite name=\"s\" tests=\"0\""));
}

static int count_case(void *data, const struct junit_case *c,
		      struct shard_error *err)
{
	(void)c, (void)err;
	(*(int *)data)++;
	return 0;
}

static void merge_blanks_a_folded_attempt_in_a_file_it_patches(void **state)
{
	struct fixture *f = *state;
	struct merge_options opt = { 0 };
	struct merge_stats st;
	struct shard_error err = SHARD_ERROR_INIT;
	struct junit_handler h = { .testcase = count_case };
	FILE *out = tmpfile();
	int cases = 0;
	long len;

	h.data = &cases;
	input(f, "g.xml",
	      "<testsuite name=\"g\"><testcase classname=\"G\""
	      " name=\"t\"><failure message=\"x\">one</failure>"
	      "</testcase><testcase classname=\"G\" name=\"t\"/>"
	      "</testsuite>");
	opt.out_discardable = 1;
	assert_non_null(out);
	assert_int_equal(merge_run(f->in, f->n, out, &opt, NULL, &st, &err), 0);
	assert_int_equal(st.flaky, 1);
	len = ftell(out);
	assert_true(len > 0);
	f->out = calloc(1, (size_t)len + 1);
	rewind(out);
	assert_int_equal(fread(f->out, 1, (size_t)len, out), (size_t)len);
	fclose(out);
	/* written where it was read: the first attempt is blanks now */
	assert_null(strstr(f->out, "<failure"));
	assert_non_null(strstr(f->out, "<testsuite name=\"g\" tests=\"1\""
				       " failures=\"0\" errors=\"0\""
				       " skipped=\"0\" time=\"0\">"));
	assert_non_null(strstr(f->out, "<testcase classname=\"G\" name=\"t\">"
				       "<flakyFailure message=\"x\">"
				       "<stackTrace>one</stackTrace>"
				       "</flakyFailure></testcase>"));
	assert_int_equal(junit_read_mem(f->out, (size_t)len, "out", NULL, &h,
					NULL, &err),
			 0);
	assert_int_equal(cases, 1);
}

static void merge_checks_the_plan(void **state)
{
	struct fixture *f = *state;
	static const char *const plan[] = {
		"tests/test_a.py::test_x",
		"tests/test_a.py::test_gone",
		"spec/b_spec.rb",
	};
	struct merge_options opt = { 0 };
	struct merge_stats st;
	struct shard_error err = SHARD_ERROR_INIT;

	opt.plan_ids = plan;
	opt.plan_n = 3;
	input(f, "p.xml",
	      "<testsuite name=\"pytest\"><testcase"
	      " classname=\"tests.test_a\" name=\"test_x\"/>"
	      "<testcase classname=\"b works\" name=\"y\""
	      " file=\"./spec/b_spec.rb\"/><testcase classname=\"z\""
	      " name=\"extra\"/></testsuite>");
	assert_int_equal(run(f, &opt, &st, &err), 0);
	assert_int_equal(st.missing, 1);
	assert_int_equal(st.unplanned, 1);
	assert_non_null(
		strstr(f->seen.buf, "missing tests/test_a.py::test_gone\n"));
	assert_non_null(strstr(f->seen.buf, "unplanned z.extra\n"));
	assert_non_null(strstr(f->out, "<testcase classname=\"shard\""
				       " name=\"tests/test_a.py::test_gone\""));
}

static void merge_reports_malformed_input_with_its_position(void **state)
{
	struct fixture *f = *state;
	struct merge_options opt = { 0 };
	struct merge_stats st;
	struct shard_error err = SHARD_ERROR_INIT;
	char want[256];

	input(f, "ok.xml", "<testsuite><testcase name=\"a\"/></testsuite>");
	input(f, "bad.xml", "<testsuite>\n<testcase name=\"a\">\n</testsuite>");
	assert_int_equal(run(f, &opt, &st, &err), SHARD_EINPUT);
	snprintf(want, sizeof(want), "%s:3:13: ", f->paths[1]);
	assert_memory_equal(err.msg, want, strlen(want));
}

static void merge_reports_a_missing_input(void **state)
{
	struct fixture *f = *state;
	struct merge_options opt = { 0 };
	struct merge_stats st;
	struct shard_error err = SHARD_ERROR_INIT;

	f->in[0].path = "/nonexistent/x.xml";
	f->in[0].fd = -1;
	f->n = 1;
	assert_int_equal(run(f, &opt, &st, &err), SHARD_EINPUT);
	assert_string_equal(err.msg,
			    "/nonexistent/x.xml: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(merge_recounts_suites_and_root),
		T(merge_folds_a_retry_across_inputs),
		T(merge_blanks_a_folded_attempt_in_a_file_it_patches),
		T(merge_checks_the_plan),
		T(merge_reports_malformed_input_with_its_position),
		T(merge_reports_a_missing_input),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
