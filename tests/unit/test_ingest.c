/*
 * Ingest into a real SQLite history in a temporary directory: what lands
 * for each kind of input, and that every error path leaves the store as
 * it was.
 */
#include "shard/store/ingest.h"

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

#include <sqlite3.h>

#include "shard/util/strbuf.h"
#include "tmpdir.h"

struct fixture {
	char dir[64];
	char db[128];
	struct store *st;
	struct shard_ctx ctx;
	struct strbuf warnings;
};

static void capture_warning(void *data, const char *msg)
{
	struct fixture *f = data;

	strbuf_addstr(&f->warnings, msg);
	strbuf_addch(&f->warnings, '\n');
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_options so = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;

	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-ingest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/h.db", f->dir);
	assert_int_equal(store_open(f->db, &so, &f->st, &err), 0);
	strbuf_init(&f->warnings, 0);
	f->ctx.warn = capture_warning;
	f->ctx.data = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	assert_int_equal(tmpdir_remove(f->dir), 0);
	strbuf_release(&f->warnings);
	free(f);
	return 0;
}

/* Write text to a file in the fixture's directory; returns an open fd. */
static int input(struct fixture *f, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return open(path, O_RDONLY);
}

static int run(struct fixture *f, const char *name, const char *text,
	       const char *run_key, struct ingest_stats *stats,
	       struct shard_error *err)
{
	struct ingest_options opt = { run_key, NULL, NULL, NULL, 0 };
	int fd = input(f, name, text);
	int r = ingest_fd(f->st, fd, name, NULL, &opt, &f->ctx, stats, err);

	close(fd);
	return r;
}

/* The first column of a query's rows, joined by '|'. */
static void query(struct fixture *f, const char *sql, struct strbuf *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	strbuf_reset(out);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		if (out->len)
			strbuf_addch(out, '|');
		strbuf_addstr(out, v ? (const char *)v : "NULL");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void expect_rows(struct fixture *f, const char *sql, const char *want)
{
	struct strbuf got = STRBUF_INIT;

	query(f, sql, &got);
	assert_string_equal(got.buf, want);
	strbuf_release(&got);
}

static const char pytest_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<testsuites><testsuite name=\"pytest\" time=\"3.5\">\n"
	"<testcase classname=\"tests.test_x.TestC\" name=\"test_y[a/b::c]\""
	" file=\"tests/test_x.py\" time=\"1.25\"/>\n"
	"<testcase classname=\"tests.test_x\" name=\"test_z\" time=\"2\">"
	"<failure message=\"boom\">trace</failure></testcase>\n"
	"<testcase classname=\"tests.test_x\" name=\"test_s\" time=\"0\">"
	"<skipped/></testcase>\n"
	"</testsuite></testsuites>\n";

static void ingest_records_cases_under_their_canonical_keys(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(run(f, "a.xml", pytest_xml, "r1", &stats, &err), 0);
	assert_int_equal(stats.kind, INGEST_JUNIT);
	assert_int_equal(stats.tests, 3);
	assert_int_equal(stats.failed, 1);
	assert_int_equal(stats.skipped, 1);
	assert_string_equal(stats.run_key, "r1");
	expect_rows(f,
		    "SELECT key || ' ' || coalesce(file, '-') FROM tests"
		    " ORDER BY key",
		    "tests.test_x.TestC.test_y[a/b::c] tests/test_x.py|"
		    "tests.test_x.test_s -|tests.test_x.test_z -");
	/* a skipped result is recorded but gives no estimate */
	expect_rows(f,
		    "SELECT coalesce(estimate, 'none') FROM tests"
		    " ORDER BY key",
		    "1.25|none|2.0");
	expect_rows(f, "SELECT outcome FROM results ORDER BY rowid",
		    "passed|failed|skipped");
}

static void ingest_skips_a_file_already_recorded_for_the_run(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(run(f, "a.xml", pytest_xml, "r1", &stats, &err), 0);
	assert_int_equal(run(f, "b.xml", pytest_xml, "r1", &stats, &err), 0);
	assert_true(stats.already);
	expect_rows(f, "SELECT count(*) FROM results", "3");
	expect_rows(f,
		    "SELECT sample_count FROM tests WHERE key ="
		    " 'tests.test_x.test_z'",
		    "1");
	/* the same report for another run is another result */
	assert_int_equal(run(f, "c.xml", pytest_xml, "r2", &stats, &err), 0);
	assert_false(stats.already);
	expect_rows(f, "SELECT count(*) FROM results", "6");
}

static void ingest_numbers_repeats_of_a_key_as_attempts(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuite name=\"s\">"
		"<testcase classname=\"C\" name=\"t\" time=\"1\"><failure/></testcase>"
		"<testcase classname=\"C\" name=\"t\" time=\"2\"/>"
		"<testcase classname=\"C\" name=\"u\" time=\"1\"/>"
		"</testsuite>";

	assert_int_equal(run(f, "r.xml", xml, "r1", &stats, &err), 0);
	expect_rows(f, "SELECT attempt || outcome FROM results ORDER BY rowid",
		    "1failed|2passed|1passed");
}

static void ingest_records_shard_properties(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuites><testsuite name=\"s\" time=\"7.5\"><properties>"
		"<property name=\"shard.index\" value=\"2\"/>"
		"<property name=\"shard.total\" value=\"4\"/>"
		"<property name=\"shard.predicted_seconds\" value=\"6.25\"/>"
		"<property name=\"shard.run_id\" value=\"gh-42-1\"/>"
		"<property name=\"shard.host\" value=\"runner-3\"/>"
		"</properties><testcase classname=\"C\" name=\"t\" time=\"7\"/>"
		"</testsuite></testsuites>";

	assert_int_equal(run(f, "s.xml", xml, NULL, &stats, &err), 0);
	assert_string_equal(stats.run_key, "gh-42-1");
	expect_rows(f,
		    "SELECT shard_index || '/' || shard_total || ' ' ||"
		    " predicted || ' ' || actual || ' ' || host FROM shards",
		    "2/4 6.25 7.5 runner-3");
	expect_rows(f, "SELECT shard FROM results", "2");
}

static void ingest_gives_go_subtests_their_parent(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuites><testsuite name=\"example.com/m/pkg\">"
		"<testcase classname=\"example.com/m/pkg\" name=\"TestA/sub\" time=\"1\"/>"
		"<testcase classname=\"example.com/m/pkg\" name=\"TestA\" time=\"1.5\"/>"
		"</testsuite></testsuites>";

	assert_int_equal(run(f, "g.xml", xml, "r", &stats, &err), 0);
	expect_rows(f,
		    "SELECT coalesce(parent_key, '-') FROM tests ORDER BY key",
		    "-|example.com/m/pkg.TestA");
}

static void ingest_learns_a_files_set_up_time(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *xml =
		"<testsuites><testsuite name=\"src/a.test.js\" time=\"3\">"
		"<testcase classname=\"a works\" name=\"x\" time=\"0.5\"/>"
		"<testcase classname=\"a works\" name=\"y\" time=\"1\"/>"
		"</testsuite></testsuites>";

	assert_int_equal(run(f, "j.xml", xml, "r", &stats, &err), 0);
	expect_rows(f, "SELECT file || ' ' || overhead FROM files",
		    "src/a.test.js 1.5");
	expect_rows(f, "SELECT DISTINCT file FROM tests", "src/a.test.js");
}

static void ingest_reads_timing_json(void **state)
{
	struct fixture *f = *state;
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;
	const char *json = "{\"tests/a.py::t[\\\"q\\\"]\": 7.1e-05,"
			   " \"spec/x_spec.rb\": 2}";

	assert_int_equal(run(f, "d.json", json, "r", &stats, &err), 0);
	assert_int_equal(stats.kind, INGEST_TIMING_JSON);
	assert_int_equal(stats.tests, 2);
	expect_rows(f, "SELECT key || ' ' || file FROM tests ORDER BY key",
		    "spec/x_spec.rb spec/x_spec.rb|tests.a.t[\"q\"] tests/a.py");
}

/* Each bad input: the code, the message, and nothing written. */
static void expect_rejected(struct fixture *f, const char *name,
			    const char *text, int code, const char *msg)
{
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(run(f, name, text, "bad", &stats, &err), code);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
	expect_rows(f, "SELECT count(*) FROM results", "0");
	expect_rows(f, "SELECT count(*) FROM tests", "0");
	expect_rows(f, "SELECT count(*) FROM runs", "0");
}

static void ingest_error_paths_leave_the_store_untouched(void **state)
{
	struct fixture *f = *state;

	expect_rejected(f, "m.xml",
			"<testsuite name=\"s\">\n<testcase name=\"a\"/>\n<oops",
			SHARD_EINPUT,
			"m.xml:3:6: Couldn't find end of Start Tag oops");
	expect_rejected(f, "r.xml", "<suites><suite/></suites>", SHARD_EINPUT,
			"r.xml:1:8: not a JUnit report (root element <suites>)");
	expect_rejected(f, "p.xml",
			"<testsuite><properties><property name=\"shard.index\""
			" value=\"two\"/></properties><testcase name=\"a\"/>"
			"</testsuite>",
			SHARD_EINPUT,
			"p.xml: property shard.index='two' is not a number");
	expect_rejected(f, "v.json", "{\"a\": 1,\n\"b\": \"x\"}", SHARD_EINPUT,
			"v.json:2: the time of 'b' is not a number");
	expect_rejected(f, "o.json", "[1]", SHARD_EINPUT,
			"o.json: expected an object at $, found array");
	expect_rejected(f, "i.json", "{\"a\": }", SHARD_EINPUT,
			"i.json: not valid JSON");
	expect_rejected(
		f, "e.xml", "  \n", SHARD_EINPUT,
		"e.xml:1:1: empty file, neither JUnit XML nor timing JSON");
	expect_rejected(f, "t.txt", "PASS a\n", SHARD_EINPUT,
			"t.txt:1:1: neither JUnit XML nor timing JSON "
			"(starts with 'P')");
	expect_rejected(f, "x.xml",
			"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
			"<testsuite><testcase name=\"&x;\"/></testsuite>",
			SHARD_EINPUT,
			"x.xml:1:52: DOCTYPE declares entity 'x': entities are "
			"not allowed");
}

static void ingest_reports_unreadable_and_unseekable_input(void **state)
{
	struct fixture *f = *state;
	struct ingest_options opt = { "r", NULL, NULL, NULL, 0 };
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;
	int fd = open(f->dir, O_RDONLY);
	int p[2];

	assert_int_equal(ingest_fd(f->st, fd, "dir", NULL, &opt, &f->ctx,
				   &stats, &err),
			 SHARD_EENV);
	assert_string_equal(err.msg, "dir: read error: Is a directory");
	close(fd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "<testsuite/>", 12), 12);
	close(p[1]);
	shard_error_clear(&err);
	assert_int_equal(ingest_fd(f->st, p[0], "pipe", NULL, &opt, &f->ctx,
				   &stats, &err),
			 SHARD_EENV);
	assert_string_equal(err.msg, "pipe: cannot seek: Illegal seek");
	close(p[0]);
}

static void ingest_into_a_read_only_store_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct store_options so = { 0, 1, 0 };
	struct ingest_options opt = { "r", NULL, NULL, NULL, 0 };
	struct ingest_stats stats;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *ro = NULL;
	int fd = input(f, "a.xml", pytest_xml);

	assert_int_equal(store_open(f->db, &so, &ro, &err), 0);
	assert_non_null(ro);
	assert_int_equal(ingest_fd(ro, fd, "a.xml", NULL, &opt, &f->ctx, &stats,
				   &err),
			 SHARD_EENV);
	assert_non_null(strstr(err.msg, "readonly"));
	close(fd);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(ingest_records_cases_under_their_canonical_keys),
		T(ingest_skips_a_file_already_recorded_for_the_run),
		T(ingest_numbers_repeats_of_a_key_as_attempts),
		T(ingest_records_shard_properties),
		T(ingest_gives_go_subtests_their_parent),
		T(ingest_learns_a_files_set_up_time),
		T(ingest_reads_timing_json),
		T(ingest_error_paths_leave_the_store_untouched),
		T(ingest_reports_unreadable_and_unseekable_input),
		T(ingest_into_a_read_only_store_fails_cleanly),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
