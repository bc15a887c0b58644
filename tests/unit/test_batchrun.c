/*
 * Tests for running a set of tests (shard/exec/batchrun.h): reading a
 * job's report back into each test's state (reported, failed, the
 * testcase's bytes), a missing or malformed report warned about, the
 * ids to rerun, the message of the tests left unreported, and real jobs
 * through the generic runner (a report written, none written, a
 * non-zero exit).
 */
#include "shard/exec/batchrun.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "shard/util/strbuf.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

static const char *const ids[] = {
	"t.py::test_a",
	"t.py::test_b",
	"t.py::test_c",
	NULL,
};

struct fixture {
	char dir[64];
	struct strbuf warnings;
	struct shard_ctx ctx;
	struct batchrun_options o;
	struct batchrun b;
	struct shard_error err;
};

static void on_warn(void *data, const char *msg)
{
	struct fixture *fx = data;

	strbuf_addf(&fx->warnings, "%s\n", msg);
}

static double now(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_batchrun.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	strbuf_init(&fx->warnings, 0);
	fx->ctx.warn = on_warn;
	fx->ctx.clock = now;
	fx->ctx.data = fx;
	fx->o.run.dir = fx->dir;
	fx->o.run.arg_room = 1 << 20;
	fx->o.run.grace = 1;
	fx->o.run.total = 1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	batchrun_release(&fx->b);
	strbuf_release(&fx->warnings);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static const char *write_file(struct fixture *fx, const char *name,
			      const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#define CASE_B \
	"<testcase classname=\"t\" name=\"test_b\" time=\"2\">" \
	"<failure message=\"no\"/></testcase>"

static const char report[] =
	"<?xml version=\"1.0\"?>\n"
	"<testsuite name=\"pytest\">\n"
	"<testcase classname=\"t\" name=\"test_a\" time=\"1.5\"/>\n" CASE_B
	"\n<testcase classname=\"other.py\" name=\"test_x\" time=\"0.25\"/>\n"
	"</testsuite>\n";

static void report_read_into_each_tests_state(void **state)
{
	struct fixture *fx = *state;
	const char *path = write_file(fx, "r.xml", report);

	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_read_report(&fx->b, path, &fx->ctx), 0);
	assert_int_equal(fx->b.state[0], BATCHRUN_REPORTED);
	assert_int_equal(fx->b.state[1], BATCHRUN_REPORTED | BATCHRUN_FAILED);
	assert_int_equal(fx->b.state[2], 0);
	/* every testcase's time counts, matched or not */
	assert_true(fx->b.reported > 3.74 && fx->b.reported < 3.76);
	assert_null(fx->b.cases); /* not asked for */
	assert_string_equal(fx->warnings.buf, "");
}

static void kept_cases_are_the_runners_bytes_and_suite(void **state)
{
	struct fixture *fx = *state;
	const char *path = write_file(fx, "r.xml", report);

	fx->o.keep_cases = 1;
	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_read_report(&fx->b, path, &fx->ctx), 0);
	assert_string_equal(fx->b.cases[1].xml, CASE_B);
	assert_string_equal(fx->b.cases[1].suite, "pytest");
	assert_int_equal(fx->b.cases[1].outcome, JUNIT_FAILED);
	assert_true(fx->b.cases[1].seconds == 2.0);
	assert_int_equal(fx->b.cases[0].outcome, JUNIT_PASSED);
	assert_null(fx->b.cases[2].xml);
}

static void a_later_testcase_of_a_test_replaces_its_case(void **state)
{
	struct fixture *fx = *state;
	const char *path =
		write_file(fx, "r.xml",
			   "<testsuite name=\"s\">" CASE_B
			   "<testcase classname=\"t\" name=\"test_b\" time=\"3\"/>"
			   "</testsuite>");

	fx->o.keep_cases = 1;
	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_read_report(&fx->b, path, &fx->ctx), 0);
	/* the last testcase is kept; that one failed is remembered */
	assert_int_equal(fx->b.cases[1].outcome, JUNIT_PASSED);
	assert_true(fx->b.cases[1].seconds == 3.0);
	assert_int_equal(fx->b.state[1], BATCHRUN_REPORTED | BATCHRUN_FAILED);
}

static void a_missing_report_is_warned_about(void **state)
{
	struct fixture *fx = *state;
	char path[128];

	snprintf(path, sizeof(path), "%s/none.xml", fx->dir);
	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_read_report(&fx->b, path, &fx->ctx), -1);
	assert_non_null(strstr(fx->warnings.buf, "none.xml: the runner wrote "
						 "no report"));
	assert_int_equal(fx->b.state[0], 0);
}

static void a_malformed_report_keeps_what_came_before_the_fault(void **state)
{
	struct fixture *fx = *state;
	const char *path =
		write_file(fx, "r.xml",
			   "<testsuite name=\"s\">"
			   "<testcase classname=\"t\" name=\"test_a\" time=\"1\"/>"
			   "<testcase classname=\"t\" name=\"test_c\"");

	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_read_report(&fx->b, path, &fx->ctx), -1);
	assert_non_null(
		strstr(fx->warnings.buf, "the runner's report is unreadable"));
	assert_int_equal(fx->b.state[0], BATCHRUN_REPORTED);
	assert_int_equal(fx->b.state[2], 0);
}

static void the_failed_and_unreported_are_rerun_in_order(void **state)
{
	struct fixture *fx = *state;
	const char *path = write_file(fx, "r.xml", report);
	const char *const some[] = { "t.py::test_c", "t.py::test_a",
				     "t.py::test_b", "t.py::test_zz" };
	struct strvec out;

	strvec_init(&out);
	strvec_push(&out, "stale");
	batchrun_init(&fx->b, &fx->o, ids, 3);
	batchrun_read_report(&fx->b, path, &fx->ctx);
	batchrun_failed_ids(&fx->b, some, 4, &out);
	assert_int_equal(out.n, 3);
	assert_string_equal(out.v[0], "t.py::test_c");
	assert_string_equal(out.v[1], "t.py::test_b");
	assert_string_equal(out.v[2], "t.py::test_zz"); /* not the batch's */
	strvec_release(&out);
}

static void the_missing_message_says_why(void **state)
{
	struct fixture *fx = *state;
	char buf[128];

	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_null(batchrun_missing_message(&fx->b, 5, buf, sizeof(buf)));
	fx->b.status = 3;
	assert_string_equal(batchrun_missing_message(&fx->b, 5, buf,
						     sizeof(buf)),
			    "planned but not reported (the runner exited "
			    "with status 3)");
	fx->b.stopped = 1;
	assert_string_equal(batchrun_missing_message(&fx->b, 5, buf,
						     sizeof(buf)),
			    "not run: shard run was stopped");
	fx->b.timed_out = 1;
	assert_string_equal(batchrun_missing_message(&fx->b, 5, buf,
						     sizeof(buf)),
			    "timed out after 5 s");
}

/* A job that writes a report for its ids: test_b fails. */
static const char *const writer[] = {
	"/bin/sh",
	"-c",
	"{ echo '<testsuite name=\"w\">';"
	" for id; do n=${id#t.py::}; r=''; [ $n = test_b ] &&"
	" r='<failure/>'; echo \"<testcase classname=\\\"t\\\""
	" name=\\\"$n\\\" time=\\\"0\\\">$r</testcase>\"; done;"
	" echo '</testsuite>'; } >\"$SHARD_JUNIT\"",
	"sh",
	"{}",
	NULL,
};

static void a_run_reads_each_jobs_report(void **state)
{
	struct fixture *fx = *state;

	fx->o.run.cmd = writer;
	fx->o.keep_reports = 1;
	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_run(&fx->b, "a0", ids, 3, &fx->ctx, &fx->err),
			 0);
	assert_int_equal(fx->b.jobs, 1);
	assert_int_equal(fx->b.unreadable, 0);
	assert_int_equal(fx->b.status, 0);
	assert_int_equal(fx->b.state[0], BATCHRUN_REPORTED);
	assert_int_equal(fx->b.state[1], BATCHRUN_REPORTED | BATCHRUN_FAILED);
	assert_int_equal(fx->b.state[2], BATCHRUN_REPORTED);
	assert_int_equal(fx->b.reports.n, 1);
	assert_int_equal(access(fx->b.reports.v[0], R_OK), 0);
	/* a rerun of some forgets what the run before said */
	assert_int_equal(batchrun_run(&fx->b, "a1", ids + 1, 1, &fx->ctx,
				      &fx->err),
			 0);
	assert_int_equal(fx->b.jobs, 2);
	assert_int_equal(fx->b.state[0], 0);
	assert_int_equal(fx->b.state[1], BATCHRUN_REPORTED | BATCHRUN_FAILED);
	assert_int_equal(fx->b.reports.n, 2);
}

static void a_job_without_report_leaves_its_tests_unreported(void **state)
{
	struct fixture *fx = *state;
	const char *const cmd[] = {
		"/bin/sh", "-c", "exit 3", "sh", "{}", NULL
	};
	char buf[128];

	fx->o.run.cmd = cmd;
	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_run(&fx->b, "b7", ids, 3, &fx->ctx, &fx->err),
			 0);
	assert_int_equal(fx->b.jobs, 1);
	assert_int_equal(fx->b.unreadable, 1);
	assert_int_equal(fx->b.status, 3);
	assert_int_equal(fx->b.state[0] | fx->b.state[1] | fx->b.state[2], 0);
	assert_non_null(strstr(fx->warnings.buf, "the runner wrote no report"));
	assert_string_equal(batchrun_missing_message(&fx->b, 0, buf,
						     sizeof(buf)),
			    "planned but not reported (the runner exited "
			    "with status 3)");
	assert_int_equal(fx->b.reports.n, 0);
}

static void without_keep_reports_a_jobs_files_are_removed(void **state)
{
	struct fixture *fx = *state;
	DIR *d;
	struct dirent *e;
	size_t left = 0;

	fx->o.run.cmd = writer;
	batchrun_init(&fx->b, &fx->o, ids, 3);
	assert_int_equal(batchrun_run(&fx->b, "b1", ids, 3, &fx->ctx, &fx->err),
			 0);
	assert_int_equal(fx->b.state[2], BATCHRUN_REPORTED);
	assert_int_equal(fx->b.reports.n, 0);
	d = opendir(fx->dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		left += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	assert_int_equal(left, 0);
}

static void an_id_the_runner_cannot_take_is_refused(void **state)
{
	struct fixture *fx = *state;
	const char *const dash[] = { "-rf", NULL };

	fx->o.run.cmd = writer;
	batchrun_init(&fx->b, &fx->o, dash, 1);
	assert_int_equal(batchrun_run(&fx->b, "a0", dash, 1, &fx->ctx,
				      &fx->err),
			 SHARD_EINPUT);
	assert_int_equal(fx->b.jobs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(report_read_into_each_tests_state,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			kept_cases_are_the_runners_bytes_and_suite, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_later_testcase_of_a_test_replaces_its_case, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_missing_report_is_warned_about,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_malformed_report_keeps_what_came_before_the_fault,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			the_failed_and_unreported_are_rerun_in_order, setup,
			teardown),
		cmocka_unit_test_setup_teardown(the_missing_message_says_why,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_run_reads_each_jobs_report,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_job_without_report_leaves_its_tests_unreported, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			without_keep_reports_a_jobs_files_are_removed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			an_id_the_runner_cannot_take_is_refused, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
