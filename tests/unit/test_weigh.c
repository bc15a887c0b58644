/*
 * Tests for weighing listed tests against a real SQLite history in a
 * temporary directory: estimates are written through the store interface
 * (as ingest does), then listed ids are weighed. Expected seconds are
 * worked out by hand in each test from the numbers it stores. One test
 * goes on into plan_make by file, as cmd/plan.c does, to check that a
 * file's overhead is counted once between the two.
 */
#include "shard/plan/weigh.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "shard/identity.h"
#include "shard/plan/plan.h"
#include "shard/store/store.h"
#include "shard/util/strbuf.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

struct fixture {
	char dir[64];
	char path[256];
	struct store *st;
	struct weights w;
};

/* One test's history: its estimate will be seconds (a single sample). */
struct entry {
	const char *key;
	const char *file;
	const char *parent;
	double seconds;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_options opt = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-weigh-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/history.db", f->dir);
	if (store_open(f->path, &opt, &f->st, &err) || !f->st) {
		print_error("store_open: %s\n", err.msg);
		tmpdir_remove(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r;

	weigh_release(&f->w);
	store_close(f->st);
	r = tmpdir_remove(f->dir);
	free(f);
	return r;
}

/* Store the entries as one ingested file of one run. */
static void put(struct store *st, const char *run_key, const struct entry *es,
		size_t n)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_run run = { run_key, 1700000000.0, NULL, NULL, NULL };
	int64_t run_id = 0, source_id = 0;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(store_add_source(st, run_id, run_key, NULL, &source_id,
					  &err),
			 0);
	for (size_t i = 0; i < n; i++) {
		struct store_result r = {
			es[i].key,     es[i].file, es[i].parent, JUNIT_PASSED,
			es[i].seconds, 1,          -1,
		};

		assert_int_equal(store_add_result(st, run_id, source_id, &r,
						  &err),
				 0);
	}
	assert_int_equal(store_commit(st, &err), 0);
}

static void weigh(struct fixture *f, struct store *st, const char *const *ids,
		  size_t n)
{
	struct shard_error err = SHARD_ERROR_INIT;

	weigh_release(&f->w);
	assert_int_equal(weigh_tests(st, ids, n, &f->w, &err), 0);
	assert_int_equal(err.code, 0);
}

/* id i weighs seconds, from source; messages name the id. */
static void expect(const struct fixture *f, const char *const *ids, size_t i,
		   double seconds, enum weigh_source source)
{
	enum weigh_source got = (enum weigh_source)f->w.source[i];

	if (f->w.seconds[i] != seconds || got != source)
		print_error("%s: got %.17g from %s, want %.17g from %s\n",
			    ids[i], f->w.seconds[i], weigh_source_name(got),
			    seconds, weigh_source_name(source));
	assert_true(f->w.seconds[i] == seconds);
	assert_int_equal(f->w.source[i], source);
}

#define N(a) (sizeof(a) / sizeof(*(a)))

static void weigh_finds_history_by_canonical_key(void **state)
{
	static const struct entry hist[] = {
		{ "tests.test_x.TestC.test_y[p]", NULL, NULL, 3.5 },
		{ "tests.api.test_x.TestC.test_y[a/b::c]", NULL, NULL, 7.25 },
		{ "example.com/m/pkg.TestA/sub", NULL, NULL, 0.5 },
		{ "org.x.FooTest.bar", NULL, NULL, 2 },
		{ "spec/x_spec.rb", NULL, NULL, 4 },
	};
	static const char *const ids[] = {
		"tests/test_x.py::TestC::test_y[p]",
		"tests/api/test_x.py::TestC::test_y[a/b::c]",
		"example.com/m/pkg.TestA/sub",
		"org.x.FooTest.bar",
		"./spec/x_spec.rb",
	};
	struct fixture *f = *state;

	put(f->st, "r1", hist, N(hist));
	weigh(f, f->st, ids, N(ids));
	expect(f, ids, 0, 3.5, WEIGH_HISTORY);
	expect(f, ids, 1, 7.25, WEIGH_HISTORY);
	expect(f, ids, 2, 0.5, WEIGH_HISTORY);
	expect(f, ids, 3, 2, WEIGH_HISTORY);
	expect(f, ids, 4, 4, WEIGH_HISTORY);
	assert_int_equal(f->w.count[WEIGH_HISTORY], 5);
	assert_int_equal(f->w.equal, 0);
}

static void weigh_uses_the_estimate_not_the_last_sample(void **state)
{
	static const struct entry r1[] = { { "a.b.C.t", NULL, NULL, 1 } };
	static const struct entry r2[] = { { "a.b.C.t", NULL, NULL, 2 } };
	static const struct entry r3[] = { { "a.b.C.t", NULL, NULL, 90 } };
	static const char *const ids[] = { "a/b.py::C::t" };
	struct fixture *f = *state;

	put(f->st, "r1", r1, 1);
	put(f->st, "r2", r2, 1);
	put(f->st, "r3", r3, 1);
	weigh(f, f->st, ids, 1);
	expect(f, ids, 0, 2, WEIGH_HISTORY);
}

static void weigh_sums_a_listed_files_tests_and_its_overhead(void **state)
{
	static const struct entry hist[] = {
		{ "a renders", "src/a.test.js", NULL, 1.5 },
		{ "a clicks", "src/a.test.js", NULL, 2.5 },
		{ "b works", "src/b.test.js", NULL, 10 },
		{ "c other", "src/c.test.js", NULL, 99 },
	};
	static const char *const ids[] = { "src/a.test.js", "./src/b.test.js" };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	put(f->st, "r1", hist, N(hist));
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_add_file_overhead(f->st, "src/a.test.js", 0.75,
						 &err),
			 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	weigh(f, f->st, ids, N(ids));
	expect(f, ids, 0, 1.5 + 2.5 + 0.75, WEIGH_FILE);
	expect(f, ids, 1, 10, WEIGH_FILE);
	assert_int_equal(f->w.count[WEIGH_FILE], 2);
	assert_true(weigh_file_overhead(&f->w, "src/a.test.js", 13) == 0.75);
	assert_true(weigh_file_overhead(&f->w, "src/b.test.js", 13) == 0);
	/* a prefix of a known file is not that file */
	assert_true(weigh_file_overhead(&f->w, "src/a.test.js", 12) == 0);
}

static void weigh_does_not_count_go_subtests_twice_in_a_file(void **state)
{
	static const struct entry hist[] = {
		{ "example.com/m/pkg.TestA", "pkg/a_test.go", NULL, 5 },
		{ "example.com/m/pkg.TestA/one", "pkg/a_test.go",
		  "example.com/m/pkg.TestA", 2 },
		{ "example.com/m/pkg.TestA/two", "pkg/a_test.go",
		  "example.com/m/pkg.TestA", 3 },
		{ "example.com/m/pkg.TestA/two/deep", "pkg/a_test.go",
		  "example.com/m/pkg.TestA/two", 1 },
		{ "example.com/m/pkg.TestB", "pkg/a_test.go", NULL, 1 },
		/* a subtest whose parent history does not know counts */
		{ "example.com/m/pkg.TestC/x", "pkg/a_test.go",
		  "example.com/m/pkg.TestC", 4 },
	};
	static const char *const ids[] = { "pkg/a_test.go" };
	struct fixture *f = *state;

	put(f->st, "r1", hist, N(hist));
	weigh(f, f->st, ids, 1);
	expect(f, ids, 0, 5 + 1 + 4, WEIGH_FILE);
}

/*
 * Reports may name a file relative to another root (jest-junit's suite
 * is a basename, or a path under the package): a listed path meets it
 * when one is the other's tail and no other file has that basename.
 */
static void weigh_finds_a_file_named_by_its_tail(void **state)
{
	static const struct entry hist[] = {
		{ "a renders", "src/a.test.js", NULL, 1.5 },
		{ "b works", "b.test.js", NULL, 2 },
	};
	static const char *const ids[] = {
		"packages/web/src/a.test.js",
		"web/b.test.js",
	};
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;

	put(f->st, "r1", hist, N(hist));
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_add_file_overhead(f->st, "src/a.test.js", 0.25,
						 &err),
			 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	weigh(f, f->st, ids, N(ids));
	expect(f, ids, 0, 1.75, WEIGH_FILE);
	expect(f, ids, 1, 2, WEIGH_FILE);
}

static void weigh_ignores_an_ambiguous_or_different_basename(void **state)
{
	static const struct entry hist[] = {
		{ "x a", "x/a.test.js", NULL, 1 },
		{ "y a", "y/a.test.js", NULL, 2 },
		{ "c works", "lib/c.test.js", NULL, 8 },
		{ "d works", "src/d.test.js", NULL, 16 },
	};
	static const char *const ids[] = {
		"a.test.js",     /* two files end so */
		"src/c.test.js", /* lib/c.test.js is not its tail */
		"src/d.test.js", /* known: keeps the medians apart */
	};
	struct fixture *f = *state;

	put(f->st, "r1", hist, N(hist));
	weigh(f, f->st, ids, N(ids));
	expect(f, ids, 2, 16, WEIGH_FILE);
	assert_true(f->w.source[0] != WEIGH_FILE);
	assert_true(f->w.source[1] != WEIGH_FILE);
	expect(f, ids, 0, 16, WEIGH_MEDIAN);
	expect(f, ids, 1, 16, WEIGH_DIR);
}

/*
 * rspec lists examples as "file:line" or "file[1:2]": each is one example
 * of its file, so together they may not weigh more than the whole file.
 */
static void weigh_does_not_give_each_example_the_whole_file(void **state)
{
	static const struct entry hist[] = {
		{ "spec.x_spec.x does a", "spec/x_spec.rb", NULL, 1 },
		{ "spec.x_spec.x does b", "spec/x_spec.rb", NULL, 2 },
	};
	static const char *const ids[] = {
		"spec/x_spec.rb:12",
		"spec/x_spec.rb:40",
		"spec/x_spec.rb[1:2]",
	};
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	double sum = 0;

	put(f->st, "r1", hist, N(hist));
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_add_file_overhead(f->st, "spec/x_spec.rb", 0.5,
						 &err),
			 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	weigh(f, f->st, ids, N(ids));
	for (size_t i = 0; i < N(ids); i++)
		sum += f->w.seconds[i];
	if (sum > 1 + 2 + 0.5)
		print_error("examples of spec/x_spec.rb (1 s + 2 s + 0.5 s "
			    "overhead) weigh %g, %g, %g (%s)\n",
			    f->w.seconds[0], f->w.seconds[1], f->w.seconds[2],
			    weigh_source_name(
				    (enum weigh_source)f->w.source[0]));
	assert_true(sum <= 1 + 2 + 0.5);
}

/*
 * docs/design.md: a file's estimate is the sum of its tests' estimates plus
 * its overhead, once. A listed jest file already carries its overhead
 * from weigh (WEIGH_FILE); planning it by file must not add it again.
 */
static void listed_file_overhead_counts_once_when_planned_by_file(void **state)
{
	static const struct entry hist[] = {
		{ "a renders", "src/a.test.js", NULL, 1.5 },
		{ "a clicks", "src/a.test.js", NULL, 2.5 },
	};
	static const char *const ids[] = { "src/a.test.js" };
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct plan p;
	struct plan_request req = {
		ids,  NULL, 1, PLAN_BY_FILE, 1, 0, 1, weigh_group_overhead,
		NULL, NULL,
	};
	double got;

	put(f->st, "r1", hist, N(hist));
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_add_file_overhead(f->st, "src/a.test.js", 0.75,
						 &err),
			 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	weigh(f, f->st, ids, 1);
	expect(f, ids, 0, 4.75, WEIGH_FILE);
	req.seconds = f->w.seconds;
	req.data = &f->w;
	assert_int_equal(plan_make(&req, &p, &err), 0);
	got = p.shards[0].seconds;
	plan_release(&p);
	if (got != 4.75)
		print_error("src/a.test.js by file: %g, want 4.75 "
			    "(1.5 + 2.5 + 0.75 overhead)\n",
			    got);
	assert_true(got == 4.75);
}

/*
 * Each unknown id below has a nearest level with known listed relatives:
 * its class, else its file, else its directory, else the suite. Medians
 * come only from listed tests history knows (t9 is known but not listed).
 */
static void weigh_falls_back_class_file_directory_then_suite(void **state)
{
	static const struct entry hist[] = {
		{ "tests.d1.test_a.TestC.t1", NULL, NULL, 2 },
		{ "tests.d1.test_a.TestC.t2", NULL, NULL, 4 },
		{ "tests.d1.test_a.TestC.t9", NULL, NULL, 1000 },
		{ "tests.d1.test_a.test_top", NULL, NULL, 10 },
		{ "tests.d1.test_c.test_z", NULL, NULL, 7 },
		{ "tests.d2.test_e.test_e", NULL, NULL, 100 },
	};
	static const char *const ids[] = {
		"tests/d1/test_a.py::TestC::t1",
		"tests/d1/test_a.py::TestC::t2",
		"tests/d1/test_a.py::test_top",
		"tests/d1/test_c.py::test_z",
		"tests/d2/test_e.py::test_e",
		"tests/d1/test_a.py::TestC::t3", /* class: 2, 4 */
		"tests/d1/test_a.py::TestD::t",  /* file: 2, 4, 10 */
		"tests/d1/test_b.py::test_q",    /* dir: 2, 4, 10, 7 */
		"tests/d3/test_f.py::test_f",    /* suite: all five */
		"test_root.py::test_r",          /* suite: no directory */
	};
	struct fixture *f = *state;

	put(f->st, "r1", hist, N(hist));
	weigh(f, f->st, ids, N(ids));
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(f->w.source[i], WEIGH_HISTORY);
	expect(f, ids, 5, 3, WEIGH_CLASS);
	expect(f, ids, 6, 4, WEIGH_SAMEFILE);
	expect(f, ids, 7, 5.5, WEIGH_DIR);
	expect(f, ids, 8, 7, WEIGH_MEDIAN);
	expect(f, ids, 9, 7, WEIGH_MEDIAN);
	assert_int_equal(f->w.count[WEIGH_HISTORY], 5);
	assert_int_equal(f->w.count[WEIGH_CLASS], 1);
	assert_int_equal(f->w.count[WEIGH_SAMEFILE], 1);
	assert_int_equal(f->w.count[WEIGH_DIR], 1);
	assert_int_equal(f->w.count[WEIGH_MEDIAN], 2);
	assert_int_equal(f->w.count[WEIGH_EQUAL], 0);
	assert_int_equal(f->w.equal, 0);
}

static void weigh_falls_back_within_dotted_classes_and_packages(void **state)
{
	static const struct entry hist[] = {
		{ "org.x.FooTest.a", NULL, NULL, 2 },
		{ "org.x.FooTest.b", NULL, NULL, 6 },
		{ "org.x.ZedTest.a", NULL, NULL, 20 },
		{ "com.y.OtherTest.a", NULL, NULL, 500 },
	};
	static const char *const ids[] = {
		"org.x.FooTest.a",   "org.x.FooTest.b",     "org.x.ZedTest.a",
		"com.y.OtherTest.a", "org.x.FooTest.third", /* class: 2, 6 */
		"org.x.BarTest.a", /* package org.x: 2, 6, 20 */
	};
	struct fixture *f = *state;

	put(f->st, "r1", hist, N(hist));
	weigh(f, f->st, ids, N(ids));
	expect(f, ids, 4, 4, WEIGH_CLASS);
	expect(f, ids, 5, 6, WEIGH_DIR);
}

static void weigh_is_equal_only_when_history_knows_no_listed_test(void **state)
{
	static const struct entry hist[] = {
		{ "other.suite.Test.a", NULL, NULL, 30 },
		{ "z renders", "src/z.test.js", NULL, 30 },
	};
	static const char *const ids[] = {
		"t/test_a.py::test_1",
		"t/test_a.py::test_2",
		"src/a.test.js",
	};
	static const char *const one_known[] = {
		"t/test_a.py::test_1",
		"other.suite.Test.a",
		"src/a.test.js",
	};
	struct fixture *f = *state;

	put(f->st, "r1", hist, N(hist));
	weigh(f, f->st, ids, N(ids));
	assert_int_equal(f->w.equal, 1);
	for (size_t i = 0; i < N(ids); i++)
		expect(f, ids, i, 1.0, WEIGH_EQUAL);
	assert_int_equal(f->w.count[WEIGH_EQUAL], 3);

	/* one listed test known: the others borrow its time */
	weigh(f, f->st, one_known, N(one_known));
	assert_int_equal(f->w.equal, 0);
	expect(f, one_known, 1, 30, WEIGH_HISTORY);
	expect(f, one_known, 0, 30, WEIGH_MEDIAN);
	expect(f, one_known, 2, 30, WEIGH_MEDIAN);
	assert_int_equal(f->w.count[WEIGH_EQUAL], 0);
}

static void weigh_treats_tests_without_timed_results_as_unknown(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_run run = { "r1", 1.0, NULL, NULL, NULL };
	struct store_result skipped = {
		"t.test_a.test_1", NULL, NULL, JUNIT_SKIPPED, 8, 1, -1,
	};
	static const char *const ids[] = { "t/test_a.py::test_1" };
	int64_t run_id = 0, source_id = 0;
	struct store *st = f->st;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(store_add_source(st, run_id, "d", NULL, &source_id,
					  &err),
			 0);
	assert_int_equal(store_add_result(st, run_id, source_id, &skipped,
					  &err),
			 0);
	assert_int_equal(store_commit(st, &err), 0);
	weigh(f, st, ids, 1);
	assert_int_equal(f->w.equal, 1);
	expect(f, ids, 0, 1.0, WEIGH_EQUAL);
}

static void weigh_without_a_store_is_empty_history(void **state)
{
	static const char *const ids[] = {
		"tests/test_x.py::TestC::test_y[p]",
		"src/a.test.js",
		"example.com/m/pkg.TestA",
		"org.x.FooTest.bar",
	};
	struct fixture *f = *state;

	weigh(f, NULL, ids, N(ids));
	assert_int_equal(f->w.equal, 1);
	for (size_t i = 0; i < N(ids); i++)
		expect(f, ids, i, 1.0, WEIGH_EQUAL);
	assert_int_equal(f->w.count[WEIGH_EQUAL], N(ids));
	assert_true(weigh_file_overhead(&f->w, "src/a.test.js", 13) == 0);

	/* the same as a store that holds nothing */
	weigh(f, f->st, ids, N(ids));
	assert_int_equal(f->w.equal, 1);
	for (size_t i = 0; i < N(ids); i++)
		expect(f, ids, i, 1.0, WEIGH_EQUAL);

	/* and an empty list is fine */
	weigh(f, NULL, ids, 0);
	assert_int_equal(f->w.count[WEIGH_EQUAL], 0);
}

static void weigh_source_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(weigh_source_name(WEIGH_HISTORY), "history");
	assert_string_equal(weigh_source_name(WEIGH_FILE), "file");
	assert_string_equal(weigh_source_name(WEIGH_CLASS), "class");
	assert_string_equal(weigh_source_name(WEIGH_SAMEFILE), "same_file");
	assert_string_equal(weigh_source_name(WEIGH_DIR), "directory");
	assert_string_equal(weigh_source_name(WEIGH_MEDIAN), "median");
	assert_string_equal(weigh_source_name(WEIGH_EQUAL), "equal");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(weigh_finds_history_by_canonical_key),
		T(weigh_uses_the_estimate_not_the_last_sample),
		T(weigh_sums_a_listed_files_tests_and_its_overhead),
		T(weigh_does_not_count_go_subtests_twice_in_a_file),
		T(weigh_finds_a_file_named_by_its_tail),
		T(weigh_ignores_an_ambiguous_or_different_basename),
		T(weigh_does_not_give_each_example_the_whole_file),
		T(listed_file_overhead_counts_once_when_planned_by_file),
		T(weigh_falls_back_class_file_directory_then_suite),
		T(weigh_falls_back_within_dotted_classes_and_packages),
		T(weigh_is_equal_only_when_history_knows_no_listed_test),
		T(weigh_treats_tests_without_timed_results_as_unknown),
		T(weigh_without_a_store_is_empty_history),
		T(weigh_source_names_are_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
