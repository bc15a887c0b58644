/*
 * Tests for the report's model (report/model.c) and its writers, on
 * histories written through the SQLite store's own interface into a
 * temporary directory, with a fixed clock. The store's walks as the
 * report reads them (store_each_run of the newest runs, store_each_shard,
 * store_each_result of a run) are exercised here too, including their
 * error path.
 */
#include "report/model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "report/write.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

struct fixture {
	char dir[64];
	char path[256];
	struct store *st;
	struct report rep;
	struct shard_ctx ctx;
	int digests; /* sources made so far */
	int64_t run_id, source_id;
};

static double fixed_clock(void *data)
{
	(void)data;
	return 1700000500.0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_options opt = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-report-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/history.db", f->dir);
	if (store_open(f->path, &opt, &f->st, &err)) {
		free(f);
		return -1;
	}
	f->ctx.clock = fixed_clock;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r;

	report_release(&f->rep);
	store_close(f->st);
	r = tmpdir_remove(f->dir);
	free(f);
	return r;
}

/* Start (or continue) a run with a new source; later calls add to it. */
static void run(struct fixture *f, const char *key, const char *commit,
		double started_at)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_run r = { key, started_at, commit, "main", NULL };
	char digest[32];

	snprintf(digest, sizeof(digest), "d%d", f->digests++);
	assert_int_equal(store_add_run(f->st, &r, &f->run_id, &err), 0);
	assert_int_equal(store_add_source(f->st, f->run_id, digest, digest,
					  &f->source_id, &err),
			 0);
}

static void result(struct fixture *f, const char *key, const char *file,
		   enum junit_outcome o, double seconds)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_result r = { key, file, NULL, o, seconds, 1, 0 };

	assert_int_equal(store_add_result(f->st, f->run_id, f->source_id, &r,
					  &err),
			 0);
}

static void shard(struct fixture *f, int index, int total, double predicted,
		  double actual, unsigned attempt)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_shard sh = { index, total,  predicted, actual, 1,
				  1,     "host", attempt,   NULL,   NULL };

	assert_int_equal(store_add_shard(f->st, f->run_id, &sh, &err), 0);
}

static struct report *build(struct fixture *f, unsigned last)
{
	struct report_options opt = { last, REPORT_TOP_DEFAULT };
	struct shard_error err = SHARD_ERROR_INIT;

	report_release(&f->rep);
	assert_int_equal(report_build(f->st, &opt, &f->ctx, &f->rep, &err), 0);
	return &f->rep;
}

/* Three runs of four tests over 2 shards; "slow" is a third of it all. */
static void three_runs(struct fixture *f)
{
	static const char *const runs[] = { "r1", "r2", "r3" };

	for (int i = 0; i < 3; i++) {
		run(f, runs[i], runs[i], 1700000000.0 + i * 100);
		result(f, "a.slow", "a.py", JUNIT_PASSED, 30);
		result(f, "a.fast", "a.py", JUNIT_PASSED, 10);
		result(f, "b.one", "b.py", JUNIT_PASSED, 25);
		result(f, "b.two", "b.py", i == 1 ? JUNIT_FAILED : JUNIT_PASSED,
		       25);
		shard(f, 0, 2, 40, 41 + i, 1);
		shard(f, 1, 2, 50, 52 + i, 1);
	}
}

static void report_of_an_empty_history_has_no_runs(void **state)
{
	struct fixture *f = *state;
	struct report *r = build(f, 10);
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(r->nruns, 0);
	assert_int_equal(r->nslowest, 0);
	assert_true(r->generated_at == 1700000500.0);
	report_write(&out, REPORT_TEXT, r);
	assert_non_null(strstr(out.buf, "No runs recorded yet"));
	strbuf_reset(&out);
	report_write(&out, REPORT_JSON, r);
	assert_non_null(strstr(out.buf, "\"runs\":[]"));
	strbuf_release(&out);
}

static void
report_lists_the_last_runs_oldest_first_with_their_times(void **state)
{
	struct fixture *f = *state;
	struct report *r;

	three_runs(f);
	r = build(f, 2);
	assert_int_equal(r->nruns, 2);
	assert_string_equal(r->runs[0].run_key, "r2");
	assert_string_equal(r->runs[1].run_key, "r3");
	assert_string_equal(r->runs[1].commit, "r3");
	assert_true(r->runs[0].suite_seconds == 90);
	assert_int_equal(r->runs[0].tests, 4);
	assert_int_equal(r->runs[0].failed, 1);
	assert_int_equal(r->runs[1].failed, 0);
	assert_true(r->runs[0].has_makespan);
	assert_true(r->runs[0].makespan == 53);
	assert_true(r->runs[1].makespan == 54);
	assert_int_equal(r->runs[1].shards, 2);
}

static void
report_takes_each_shards_last_attempt_in_the_latest_run(void **state)
{
	struct fixture *f = *state;
	struct report *r;

	three_runs(f);
	shard(f, 1, 2, 50, 70, 2); /* r3's shard 1 ran again, slower */
	r = build(f, 10);
	assert_int_equal(r->nshards, 2);
	assert_int_equal(r->shards[0].index, 0);
	assert_true(r->shards[0].predicted == 40 && r->shards[0].actual == 43);
	assert_int_equal(r->shards[1].attempt, 2);
	assert_true(r->shards[1].actual == 70);
	assert_true(r->runs[2].makespan == 70);
	assert_string_equal(r->shards[1].host, "host");
}

static void report_ranks_slowest_tests_and_files_by_estimate(void **state)
{
	struct fixture *f = *state;
	struct report *r;

	three_runs(f);
	r = build(f, 10);
	assert_int_equal(r->nslowest, 4);
	assert_string_equal(r->slowest[0].key, "a.slow");
	assert_true(r->slowest[0].estimate == 30);
	assert_true(r->slowest[0].has_latest && r->slowest[0].latest == 30);
	/* equal estimates: by key */
	assert_string_equal(r->slowest[1].key, "b.one");
	assert_string_equal(r->slowest[2].key, "b.two");
	assert_int_equal(r->nfiles, 2);
	assert_string_equal(r->files[0].file, "b.py");
	assert_true(r->files[0].estimate == 50);
	assert_int_equal(r->files[0].tests, 2);
	assert_true(r->files[1].estimate == 40);
}

static void report_names_tests_longer_than_an_even_share(void **state)
{
	struct fixture *f = *state;
	struct report *r;

	three_runs(f);
	r = build(f, 10);
	/* 90 s over 2 shards: 45 s each; none takes longer */
	assert_int_equal(r->bound_shards, 2);
	assert_true(r->bound_total == 90 && r->bound_share == 45);
	assert_int_equal(r->nbounding, 0);
	run(f, "r4", "r4", 1700000400.0);
	result(f, "a.slow", "a.py", JUNIT_PASSED, 30);
	result(f, "a.fast", "a.py", JUNIT_PASSED, 10);
	shard(f, 0, 4, 10, 30, 1);
	r = build(f, 10);
	/* 40 s over 4 shards: 10 s each; a.slow takes 30, a.fast exactly 10 */
	assert_true(r->bound_share == 10);
	assert_int_equal(r->nbounding, 1);
	assert_string_equal(r->bounding[0].key, "a.slow");
}

static void report_without_shard_figures_has_no_bound(void **state)
{
	struct fixture *f = *state;
	struct report *r;
	struct strbuf out = STRBUF_INIT;

	run(f, "r1", NULL, 1.0);
	result(f, "x", NULL, JUNIT_PASSED, 5);
	r = build(f, 10);
	assert_int_equal(r->nshards, 0);
	assert_false(r->runs[0].has_makespan);
	assert_int_equal(r->bound_shards, 0);
	assert_int_equal(r->nbounding, 0);
	report_write(&out, REPORT_JSON, r);
	assert_non_null(strstr(out.buf, "\"makespan_seconds\":null"));
	assert_non_null(strstr(out.buf, "\"share_seconds\":null"));
	strbuf_release(&out);
}

/* Runs r0..r(n-1), one test with the given outcomes ('P', 'F', 'S'). */
static void outcomes(struct fixture *f, const char *key, const char *seq,
		     const char *const *commits)
{
	for (int i = 0; seq[i]; i++) {
		char name[16];

		snprintf(name, sizeof(name), "r%d", i);
		run(f, name, commits ? commits[i] : name, 1000.0 + i);
		result(f, key, NULL,
		       seq[i] == 'P'   ? JUNIT_PASSED
		       : seq[i] == 'F' ? JUNIT_FAILED
				       : JUNIT_SKIPPED,
		       1);
	}
}

static void report_flags_both_outcomes_on_one_commit(void **state)
{
	struct fixture *f = *state;
	static const char *const commits[] = { "c1", "c2", "c1" };
	struct report *r;

	outcomes(f, "t", "PPF", commits);
	r = build(f, 10);
	assert_int_equal(r->nflaky, 1);
	assert_true(r->flaky[0].same_commit);
	assert_int_equal(r->flaky[0].flips, 1);
	assert_int_equal(r->flaky[0].observed, 3);
}

static void report_flags_a_retry_that_passed_within_a_run(void **state)
{
	struct fixture *f = *state;
	struct report *r;

	run(f, "r1", NULL, 1.0);
	result(f, "t", NULL, JUNIT_FAILED, 1);
	result(f, "t", NULL, JUNIT_PASSED, 1); /* attempt 2 */
	result(f, "u", NULL, JUNIT_FAILED, 1);
	r = build(f, 10);
	assert_int_equal(r->nflaky, 1);
	assert_string_equal(r->flaky[0].key, "t");
	assert_true(r->flaky[0].same_commit);
	assert_int_equal(r->runs[0].failed, 1); /* u: t's last attempt passed */
}

static void report_flags_a_high_flip_rate_not_a_break_and_fix(void **state)
{
	struct fixture *f = *state;
	struct report *r;

	/* flips over distinct commits; skips are not outcomes */
	outcomes(f, "flaky", "PFPSFP", NULL);
	outcomes(f, "fixed", "PPFFPP", NULL);
	outcomes(f, "fixed.soon", "PFP", NULL);
	r = build(f, 10);
	assert_int_equal(r->nflaky, 1);
	assert_string_equal(r->flaky[0].key, "flaky");
	assert_false(r->flaky[0].same_commit);
	assert_int_equal(r->flaky[0].flips, 4);
	assert_int_equal(r->flaky[0].observed, 5);
	assert_true(r->flaky[0].flip_rate == 1.0);
}

static void
report_lists_tests_added_and_removed_since_the_run_before(void **state)
{
	struct fixture *f = *state;
	struct report *r;

	run(f, "r1", NULL, 1.0);
	result(f, "kept", NULL, JUNIT_PASSED, 1);
	result(f, "gone", NULL, JUNIT_PASSED, 1);
	run(f, "r2", NULL, 2.0);
	result(f, "kept", NULL, JUNIT_PASSED, 1);
	result(f, "new.b", NULL, JUNIT_PASSED, 1);
	result(f, "new.a", NULL, JUNIT_SKIPPED, 0);
	r = build(f, 10);
	assert_int_equal(r->nadded, 2);
	assert_string_equal(r->added[0], "new.a");
	assert_string_equal(r->added[1], "new.b");
	assert_int_equal(r->nremoved, 1);
	assert_string_equal(r->removed[0], "gone");
	r = build(f, 1);
	assert_int_equal(r->nadded, 0);
	assert_int_equal(r->nremoved, 0);
}

static void report_passes_up_the_stores_error(void **state)
{
	struct fixture *f = *state;
	struct report_options opt = { 10, 10 };
	struct shard_error err = SHARD_ERROR_INIT;
	sqlite3 *db = NULL;

	three_runs(f);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE results", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(report_build(f->st, &opt, &f->ctx, &f->rep, &err),
			 SHARD_EENV);
	assert_non_null(strstr(err.msg, "history.db: reading results: "));
	assert_non_null(strstr(err.msg, "no such table: results"));
}

static const char odd[] = "t.<b>&\"q\"'|*_\x1b[31m";

static void report_escapes_names_in_every_format(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct report *r;

	run(f, odd, NULL, 1.0);
	result(f, odd, NULL, JUNIT_PASSED, 1);
	shard(f, 0, 1, 1, 1, 1);
	r = build(f, 10);
	report_write(&out, REPORT_HTML, r);
	assert_null(strstr(out.buf, "<b>"));
	assert_null(strstr(out.buf, "\x1b"));
	assert_non_null(strstr(out.buf, "t.&lt;b&gt;&amp;&quot;q&quot;&#39;|"));
	strbuf_reset(&out);
	report_write(&out, REPORT_JSON, r);
	assert_non_null(strstr(out.buf, "\"t.<b>&\\\"q\\\"'|*_\\u001b[31m\""));
	strbuf_reset(&out);
	report_write(&out, REPORT_MARKDOWN, r);
	/* ESC as quote.h shows it, its backslash escaped for Markdown */
	assert_null(strstr(out.buf, "\x1b"));
	assert_non_null(strstr(out.buf, "t\\.&lt;b&gt;&amp;&quot;q&quot;&#39;"
					"\\|\\*\\_\\\\x1b\\[31m"));
	strbuf_reset(&out);
	report_write(&out, REPORT_TEXT, r);
	assert_null(strstr(out.buf, "\x1b"));
	assert_non_null(strstr(out.buf, "t.<b>&\"q\"'|*_\\x1b[31m"));
	strbuf_release(&out);
}

static void report_charts_carry_the_json_figures(void **state)
{
	struct fixture *f = *state;
	struct strbuf html = STRBUF_INIT;
	struct report *r;

	three_runs(f);
	r = build(f, 10);
	report_write(&html, REPORT_HTML, r);
	assert_non_null(strstr(html.buf, "data-shard=\"1\" "
					 "data-series=\"actual\" "
					 "data-value=\"54.000000\""));
	assert_non_null(strstr(html.buf, "data-series=\"suite\" "
					 "data-run=\"1\" "
					 "data-value=\"90.000000\""));
	assert_non_null(strstr(html.buf, "data-test=\"0\" "
					 "data-value=\"30.000000\""));
	assert_null(strstr(html.buf, "<script"));
	assert_null(strstr(html.buf, "src="));
	strbuf_release(&html);
}

static void report_format_names_parse(void **state)
{
	(void)state;
	assert_int_equal(report_format_parse("text"), REPORT_TEXT);
	assert_int_equal(report_format_parse("markdown"), REPORT_MARKDOWN);
	assert_int_equal(report_format_parse("html"), REPORT_HTML);
	assert_int_equal(report_format_parse("json"), REPORT_JSON);
	assert_int_equal(report_format_parse("xml"), -1);
	assert_int_equal(report_format_parse(""), -1);
}

static void report_human_seconds_reads_well(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	report_human_seconds(&out, 0);
	strbuf_addch(&out, '|');
	report_human_seconds(&out, 0.421);
	strbuf_addch(&out, '|');
	report_human_seconds(&out, 12.54);
	strbuf_addch(&out, '|');
	report_human_seconds(&out, 185);
	strbuf_addch(&out, '|');
	report_human_seconds(&out, 3720);
	assert_string_equal(out.buf, "0 s|0.42 s|12.5 s|3m 05s|1h 02m");
	strbuf_release(&out);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(report_of_an_empty_history_has_no_runs),
		T(report_lists_the_last_runs_oldest_first_with_their_times),
		T(report_takes_each_shards_last_attempt_in_the_latest_run),
		T(report_ranks_slowest_tests_and_files_by_estimate),
		T(report_names_tests_longer_than_an_even_share),
		T(report_without_shard_figures_has_no_bound),
		T(report_flags_both_outcomes_on_one_commit),
		T(report_flags_a_retry_that_passed_within_a_run),
		T(report_flags_a_high_flip_rate_not_a_break_and_fix),
		T(report_lists_tests_added_and_removed_since_the_run_before),
		T(report_passes_up_the_stores_error),
		T(report_escapes_names_in_every_format),
		T(report_charts_carry_the_json_figures),
		cmocka_unit_test(report_format_names_parse),
		cmocka_unit_test(report_human_seconds_reads_well),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
