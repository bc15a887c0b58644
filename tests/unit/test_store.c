/*
 * Tests for the SQLite history store, against real database files in a
 * temporary directory. What the store wrote is read back through its own
 * interface and, where the interface does not show it (schema version,
 * attempts, the sample window), with SQLite directly.
 */
#include "shard/store.h"

#include <errno.h>
#include <fcntl.h>
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
#include <sqlite3.h>

#include "shard/estimate.h"
#include "tmpdir.h"
#include "shard/banned.h"

struct fixture {
	char dir[64];
	char path[256];
	struct store *st;
	sqlite3 *db;            /* a direct connection, for checks */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/history.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r;

	store_close(f->st);
	sqlite3_close(f->db);
	r = tmpdir_remove(f->dir);
	free(f);
	return r;
}

static struct store *open_store(struct fixture *f, unsigned window)
{
	struct store_options opt = { 1, 0, window };
	struct shard_error err = SHARD_ERROR_INIT;

	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, &opt, &f->st, &err), 0);
	assert_non_null(f->st);
	return f->st;
}

static sqlite3 *direct(struct fixture *f)
{
	if (!f->db)
		assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	return f->db;
}

static int64_t query_int(struct fixture *f, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(direct(f), sql, -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void exec_direct(struct fixture *f, const char *sql)
{
	assert_int_equal(sqlite3_exec(direct(f), sql, NULL, NULL, NULL),
			 SQLITE_OK);
}

static struct store_result result(const char *key, enum junit_outcome o,
				  double seconds, int has_time)
{
	struct store_result r = { key, NULL, NULL, o, seconds, has_time, -1 };

	return r;
}

/* One transaction: a run, a source, its results. Returns the source id. */
static int64_t ingest(struct store *st, const char *run_key,
		      const char *digest, const struct store_result *rs,
		      size_t n)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_run run = { run_key, 1700000000.0, NULL, NULL, NULL };
	int64_t run_id = 0, source_id = 0;

	assert_int_equal(st->ops->begin(st, &err), 0);
	assert_int_equal(st->ops->add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(st->ops->add_source(st, run_id, digest, digest,
					     &source_id, &err),
			 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(st->ops->add_result(st, run_id, source_id,
						     &rs[i], &err),
				 0);
	assert_int_equal(st->ops->commit(st, &err), 0);
	return source_id;
}

/* Estimates read back through the store, one key at a time. */
struct found {
	const char *key;
	int hits;
	double seconds;
	unsigned samples;
	char file[64], parent[64];
	size_t rows;
};

static int find_estimate(void *data, const struct store_estimate *e)
{
	struct found *fd = data;

	fd->rows++;
	if (strcmp(e->key, fd->key))
		return 0;
	fd->hits++;
	fd->seconds = e->seconds;
	fd->samples = e->samples;
	snprintf(fd->file, sizeof(fd->file), "%s", e->file ? e->file : "-");
	snprintf(fd->parent, sizeof(fd->parent), "%s",
		 e->parent_key ? e->parent_key : "-");
	return 0;
}

static struct found estimate_of(struct store *st, const char *key)
{
	struct found fd = { key, 0, 0, 0, "", "", 0 };
	struct shard_error err = SHARD_ERROR_INIT;

	assert_int_equal(st->ops->each_estimate(st, find_estimate, &fd, &err),
			 0);
	return fd;
}

/* The sample window of a key, decoded from the tests table. */
static size_t samples_of(struct fixture *f, const char *key, double *out)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;

	assert_int_equal(sqlite3_prepare_v2(direct(f),
					    "SELECT samples FROM tests"
					    " WHERE key = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (sqlite3_column_type(st, 0) == SQLITE_BLOB)
		n = estimate_decode(sqlite3_column_blob(st, 0),
				    (size_t)sqlite3_column_bytes(st, 0), out,
				    ESTIMATE_WINDOW_MAX);
	sqlite3_finalize(st);
	return n;
}

static void store_creates_the_schema_at_its_user_version(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_summary sum;
	static const char *const tables[] = {
		"runs", "sources", "tests", "results", "shards", "files",
	};

	open_store(f, 0);
	assert_true(store_sqlite_schema_version() >= 1);
	assert_int_equal(query_int(f, "PRAGMA user_version"),
			 store_sqlite_schema_version());
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM sqlite_master WHERE type ="
			 " 'table' AND name = '%s'",
			 tables[i]);
		assert_int_equal(query_int(f, sql), 1);
	}
	assert_int_equal(f->st->ops->summary(f->st, &sum, &err), 0);
	assert_int_equal(sum.schema_version, store_sqlite_schema_version());
	assert_int_equal(sum.runs, 0);
	assert_int_equal(sum.tests, 0);
	assert_int_equal(sum.results, 0);
	assert_true(sum.bytes > 0);
	assert_int_equal(f->st->window, ESTIMATE_WINDOW_DEFAULT);
	assert_int_equal(f->st->method, ESTIMATE_METHOD_DEFAULT);

	/* opening it again keeps what is there */
	open_store(f, 0);
	assert_int_equal(query_int(f, "PRAGMA user_version"),
			 store_sqlite_schema_version());
}

static void store_creates_missing_parent_directories(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	snprintf(f->path, sizeof(f->path), "%s/a/.shard/history.db", f->dir);
	open_store(f, 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void store_refuses_a_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options opt = { 1, 0, 0 };
	struct store *st = (struct store *)&opt; /* must be reset to NULL */
	char sql[64];

	open_store(f, 0);
	store_close(f->st);
	f->st = NULL;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 store_sqlite_schema_version() + 1);
	exec_direct(f, sql);
	sqlite3_close(f->db);
	f->db = NULL;

	assert_int_equal(store_open(f->path, &opt, &st, &err), SHARD_EENV);
	assert_null(st);
	assert_int_equal(err.code, SHARD_EENV);
	assert_non_null(strstr(err.msg, "newer"));
	assert_non_null(strstr(err.msg, f->path));
	/* and leaves the file as it was */
	assert_int_equal(query_int(f, "PRAGMA user_version"),
			 store_sqlite_schema_version() + 1);
}

static void store_refuses_a_newer_schema_in_a_fresh_file(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options opt = { 0, 0, 0 };
	struct store *st = NULL;

	exec_direct(f, "PRAGMA user_version = 1000");
	exec_direct(f, "CREATE TABLE future(x)");
	assert_int_equal(store_open(f->path, &opt, &st, &err), SHARD_EENV);
	assert_null(st);
	assert_non_null(strstr(err.msg, "newer"));
	assert_int_equal(query_int(f, "SELECT count(*) FROM sqlite_master"
				      " WHERE name = 'runs'"),
			 0);
}

static void store_without_create_gives_null_for_a_missing_file(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options opt = { 0, 0, 0 };
	struct store *st = (struct store *)&opt;
	struct stat sb;

	assert_int_equal(store_open(f->path, &opt, &st, &err), 0);
	assert_null(st);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.msg[0], '\0');
	assert_true(stat(f->path, &sb) < 0 && errno == ENOENT);
}

static void store_refuses_a_file_that_is_not_a_database(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options opt = { 1, 0, 0 };
	struct store *st = (struct store *)&opt;
	static const char garbage[] =
		"this is not an SQLite database, just some text\n"
		"\x01\x02\x03\xff\xfe and some bytes, long enough to fill a "
		"header of one hundred bytes or so............................";
	int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, garbage, sizeof(garbage)),
			 (ssize_t)sizeof(garbage));
	close(fd);
	assert_int_equal(store_open(f->path, &opt, &st, &err), SHARD_EENV);
	assert_null(st);
	assert_int_equal(err.code, SHARD_EENV);
	assert_non_null(strstr(err.msg, f->path));
}

static void store_refuses_url_locations_as_input_errors(void **state)
{
	static const char *const urls[] = {
		"https://example.com/history.db",
		"http://example.com/history.db",
		"postgres://localhost/shard",
		"postgresql://user@localhost:5432/shard",
	};
	struct fixture *f = *state;
	struct store_options opt = { 1, 0, 0 };

	for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
		struct shard_error err = SHARD_ERROR_INIT;
		struct store *st = (struct store *)&opt;

		assert_int_equal(store_open(urls[i], &opt, &st, &err),
				 SHARD_EINPUT);
		assert_null(st);
		assert_int_equal(err.code, SHARD_EINPUT);
		assert_non_null(strstr(err.msg, urls[i]));
	}
	/* nothing was created under a name that looks like a path */
	assert_int_equal(access("https:", F_OK), -1);
	(void)f;
}

static void add_run_finds_an_existing_run_by_key(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run a = { "run-a", 1.0, "abc", "main", "github" };
	struct store_run b = { "run-b", 2.0, NULL, NULL, NULL };
	int64_t ida = 0, ida2 = 0, idb = 0;

	assert_int_equal(st->ops->begin(st, &err), 0);
	assert_int_equal(st->ops->add_run(st, &a, &ida, &err), 0);
	assert_int_equal(st->ops->add_run(st, &b, &idb, &err), 0);
	assert_int_equal(st->ops->add_run(st, &a, &ida2, &err), 0);
	assert_int_equal(st->ops->commit(st, &err), 0);
	assert_true(ida != idb);
	assert_true(ida == ida2);
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs"), 2);
}

static void add_source_returns_one_for_a_digest_seen_in_the_run(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run a = { "run-a", 1.0, NULL, NULL, NULL };
	struct store_run b = { "run-b", 1.0, NULL, NULL, NULL };
	int64_t ra = 0, rb = 0, s1 = 0, s1again = 0, s2 = 0, s3 = 0;

	assert_int_equal(st->ops->begin(st, &err), 0);
	assert_int_equal(st->ops->add_run(st, &a, &ra, &err), 0);
	assert_int_equal(st->ops->add_run(st, &b, &rb, &err), 0);
	assert_int_equal(st->ops->add_source(st, ra, "d1", "x.xml", &s1, &err),
			 0);
	assert_int_equal(st->ops->add_source(st, ra, "d1", "y.xml", &s1again,
					     &err),
			 1);
	assert_true(s1 == s1again);
	assert_int_equal(st->ops->add_source(st, ra, "d2", "z.xml", &s2, &err),
			 0);
	assert_true(s2 != s1);
	/* the same content in another run is new there */
	assert_int_equal(st->ops->add_source(st, rb, "d1", "x.xml", &s3, &err),
			 0);
	assert_true(s3 != s1 && s3 != s2);
	assert_int_equal(st->ops->commit(st, &err), 0);

	/* and still known after reopening */
	st = open_store(f, 0);
	assert_int_equal(st->ops->begin(st, &err), 0);
	assert_int_equal(st->ops->add_run(st, &a, &ra, &err), 0);
	assert_int_equal(st->ops->add_source(st, ra, "d1", NULL, &s1again,
					     &err),
			 1);
	assert_true(s1 == s1again);
	assert_int_equal(st->ops->commit(st, &err), 0);
	assert_int_equal(err.code, 0);
}

static void add_result_keeps_the_median_estimate_current(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	const struct store_result r1 = result("pkg.T.a", JUNIT_PASSED, 1.0, 1);
	const struct store_result r2 = result("pkg.T.a", JUNIT_PASSED, 2.0, 1);
	const struct store_result r3 = result("pkg.T.a", JUNIT_PASSED, 9.0, 1);
	struct found fd;

	ingest(st, "r1", "d1", &r1, 1);
	fd = estimate_of(st, "pkg.T.a");
	assert_int_equal(fd.hits, 1);
	assert_true(fd.seconds == 1.0);
	ingest(st, "r2", "d2", &r2, 1);
	ingest(st, "r3", "d3", &r3, 1);
	fd = estimate_of(st, "pkg.T.a");
	assert_int_equal(fd.hits, 1);
	assert_true(fd.seconds == 2.0);
	assert_int_equal(fd.samples, 3);
	assert_int_equal(fd.rows, 1);
}

static void only_timed_passes_and_failures_are_samples(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	const struct store_result rs[] = {
		result("k", JUNIT_PASSED, 1.0, 1),
		result("k", JUNIT_SKIPPED, 100.0, 1),
		result("k", JUNIT_FAILED, 3.0, 1),
		result("k", JUNIT_ERROR, 50.0, 1),
		result("k", JUNIT_PASSED, 77.0, 0),
		result("only_skipped", JUNIT_SKIPPED, 5.0, 1),
		result("untimed", JUNIT_PASSED, 5.0, 0),
	};
	double v[ESTIMATE_WINDOW_MAX];
	struct found fd;

	ingest(st, "r1", "d1", rs, sizeof(rs) / sizeof(*rs));
	fd = estimate_of(st, "k");
	assert_int_equal(fd.hits, 1);
	assert_true(fd.seconds == 2.0);
	assert_int_equal(fd.samples, 2);
	assert_int_equal(samples_of(f, "k", v), 2);
	assert_true(v[0] == 1.0 && v[1] == 3.0);
	assert_int_equal(estimate_of(st, "only_skipped").hits, 0);
	assert_int_equal(estimate_of(st, "untimed").hits, 0);
	/* every result is recorded all the same */
	assert_int_equal(query_int(f, "SELECT count(*) FROM results"), 7);
	assert_int_equal(query_int(f, "SELECT count(*) FROM tests"), 3);
}

static void window_keeps_the_newest_samples(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 3);
	const double xs[] = { 1, 2, 3, 4, 100 };
	double v[ESTIMATE_WINDOW_MAX];
	struct found fd;

	assert_int_equal(st->window, 3);
	for (size_t i = 0; i < 5; i++) {
		struct store_result r = result("w", JUNIT_PASSED, xs[i], 1);
		char run[16];

		snprintf(run, sizeof(run), "run%zu", i);
		ingest(st, run, run, &r, 1);
	}
	assert_int_equal(samples_of(f, "w", v), 3);
	assert_true(v[0] == 3 && v[1] == 4 && v[2] == 100);
	fd = estimate_of(st, "w");
	/* median of 3, 4, 100; all five would give 3 */
	assert_true(fd.seconds == 4);
}

static void rollback_discards_everything_since_begin(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	const struct store_result kept = result("kept", JUNIT_PASSED, 1.0, 1);
	struct store_result gone = result("gone", JUNIT_PASSED, 2.0, 1);
	struct store_result more = result("kept", JUNIT_PASSED, 50.0, 1);
	struct store_run run = { "r2", 1.0, NULL, NULL, NULL };
	struct store_shard sh = { 0, 2, 1.0, 2.0, 1, 1, "host", 1 };
	struct store_summary sum;
	int64_t run_id = 0, source_id = 0;
	struct found fd;

	ingest(st, "r1", "d1", &kept, 1);
	assert_int_equal(st->ops->begin(st, &err), 0);
	assert_int_equal(st->ops->add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(st->ops->add_source(st, run_id, "d2", NULL,
					     &source_id, &err),
			 0);
	assert_int_equal(st->ops->add_result(st, run_id, source_id, &gone,
					     &err),
			 0);
	assert_int_equal(st->ops->add_result(st, run_id, source_id, &more,
					     &err),
			 0);
	assert_int_equal(st->ops->add_shard(st, run_id, &sh, &err), 0);
	assert_int_equal(st->ops->add_file_overhead(st, "a.py", 3, &err), 0);
	assert_int_equal(st->ops->rollback(st, &err), 0);

	assert_int_equal(st->ops->summary(st, &sum, &err), 0);
	assert_int_equal(sum.runs, 1);
	assert_int_equal(sum.tests, 1);
	assert_int_equal(sum.results, 1);
	assert_int_equal(estimate_of(st, "gone").hits, 0);
	fd = estimate_of(st, "kept");
	assert_true(fd.seconds == 1.0);
	assert_int_equal(fd.samples, 1);
	assert_int_equal(query_int(f, "SELECT count(*) FROM shards"), 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM files"), 0);
	/* rolling back outside a transaction does nothing */
	assert_int_equal(st->ops->rollback(st, &err), 0);
	/* and the store takes the next transaction */
	ingest(st, "r2", "d2", &gone, 1);
	assert_int_equal(estimate_of(st, "gone").hits, 1);
}

static void attempts_are_numbered_per_key_within_a_source(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	const struct store_result s1[] = {
		result("A", JUNIT_FAILED, 1, 1),
		result("B", JUNIT_PASSED, 1, 1),
		result("A", JUNIT_FAILED, 1, 1),
		result("A", JUNIT_PASSED, 1, 1),
	};
	const struct store_result s2[] = {
		result("A", JUNIT_PASSED, 1, 1),
		result("B", JUNIT_PASSED, 1, 1),
	};
	static const char *const want[] = {
		"1 A 1 failed", "1 B 1 passed", "1 A 2 failed", "1 A 3 passed",
		"2 A 1 passed", "2 B 1 passed", "3 A 1 passed",
	};
	sqlite3_stmt *q = NULL;
	size_t row = 0;
	int64_t first;

	first = ingest(st, "r1", "d1", s1, 4);
	/* another file of the same run, and a later run */
	ingest(st, "r1", "d2", s2, 2);
	ingest(st, "r2", "d1", s2, 1);
	assert_int_equal(sqlite3_prepare_v2(direct(f),
					    "SELECT r.source_id, t.key,"
					    " r.attempt, r.outcome"
					    " FROM results r JOIN tests t"
					    " ON t.id = r.test_id"
					    " ORDER BY r.rowid",
					    -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		char got[64];

		assert_true(row < sizeof(want) / sizeof(*want));
		snprintf(got, sizeof(got), "%lld %s %d %s",
			 (long long)(sqlite3_column_int64(q, 0) - first + 1),
			 (const char *)sqlite3_column_text(q, 1),
			 sqlite3_column_int(q, 2),
			 (const char *)sqlite3_column_text(q, 3));
		assert_string_equal(got, want[row]);
		row++;
	}
	sqlite3_finalize(q);
	assert_int_equal(row, sizeof(want) / sizeof(*want));
}

static void results_keep_a_tests_file_and_parent(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	struct store_result rs[] = {
		result("ex.com/m/pkg.TestA/sub", JUNIT_PASSED, 1, 1),
		result("ex.com/m/pkg.TestA/sub", JUNIT_PASSED, 3, 1),
	};
	struct found fd;

	rs[0].file = "pkg/a_test.go";
	rs[0].parent_key = "ex.com/m/pkg.TestA";
	/* a later report without them keeps what was known */
	ingest(st, "r1", "d1", &rs[0], 1);
	ingest(st, "r2", "d2", &rs[1], 1);
	fd = estimate_of(st, "ex.com/m/pkg.TestA/sub");
	assert_int_equal(fd.hits, 1);
	assert_string_equal(fd.file, "pkg/a_test.go");
	assert_string_equal(fd.parent, "ex.com/m/pkg.TestA");
	assert_true(fd.seconds == 2);
}

struct overheads {
	char file[64];
	double seconds;
	size_t n;
};

static int take_overhead(void *data, const char *file, double seconds)
{
	struct overheads *o = data;

	snprintf(o->file, sizeof(o->file), "%s", file);
	o->seconds = seconds;
	o->n++;
	return 0;
}

static void file_overhead_is_the_estimate_of_its_samples(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct overheads o = { "", 0, 0 };
	const double xs[] = { 1, 8, 2, -5 };

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(st->ops->begin(st, &err), 0);
		assert_int_equal(st->ops->add_file_overhead(st, "t/test_a.py",
							    xs[i], &err),
				 0);
		assert_int_equal(st->ops->commit(st, &err), 0);
	}
	assert_int_equal(st->ops->each_file_overhead(st, take_overhead, &o,
						     &err),
			 0);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.file, "t/test_a.py");
	/* samples 1, 8, 2, 0 (negative as 0): median 1.5 */
	assert_true(o.seconds == 1.5);
}

static void add_shard_merges_predicted_and_actual(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run run = { "r", 1.0, NULL, NULL, NULL };
	struct store_shard planned = { 1, 4, 10.5, 0, 1, 0, NULL, 0 };
	struct store_shard ran = { 1, 4, 0, 12.25, 0, 1, "ci-7", 1 };
	int64_t run_id = 0;

	assert_int_equal(st->ops->begin(st, &err), 0);
	assert_int_equal(st->ops->add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(st->ops->add_shard(st, run_id, &planned, &err), 0);
	assert_int_equal(st->ops->add_shard(st, run_id, &ran, &err), 0);
	assert_int_equal(st->ops->commit(st, &err), 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM shards"), 1);
	assert_int_equal(query_int(f, "SELECT predicted * 4 FROM shards"), 42);
	assert_int_equal(query_int(f, "SELECT actual * 4 FROM shards"), 49);
	assert_int_equal(query_int(f, "SELECT host = 'ci-7' FROM shards"), 1);
}

static void readonly_store_reads_estimates(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	const struct store_result r = result("k", JUNIT_PASSED, 4, 1);
	struct store_options ro = { 0, 1, 0 };
	struct store *st = NULL;
	struct found fd;

	ingest(open_store(f, 0), "r1", "d1", &r, 1);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->path, &ro, &st, &err), 0);
	assert_non_null(st);
	f->st = st;
	fd = estimate_of(st, "k");
	assert_int_equal(fd.hits, 1);
	assert_true(fd.seconds == 4);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(store_creates_the_schema_at_its_user_version),
		T(store_creates_missing_parent_directories),
		T(store_refuses_a_newer_schema),
		T(store_refuses_a_newer_schema_in_a_fresh_file),
		T(store_without_create_gives_null_for_a_missing_file),
		T(store_refuses_a_file_that_is_not_a_database),
		T(store_refuses_url_locations_as_input_errors),
		T(add_run_finds_an_existing_run_by_key),
		T(add_source_returns_one_for_a_digest_seen_in_the_run),
		T(add_result_keeps_the_median_estimate_current),
		T(only_timed_passes_and_failures_are_samples),
		T(window_keeps_the_newest_samples),
		T(rollback_discards_everything_since_begin),
		T(attempts_are_numbered_per_key_within_a_source),
		T(results_keep_a_tests_file_and_parent),
		T(file_overhead_is_the_estimate_of_its_samples),
		T(add_shard_merges_predicted_and_actual),
		T(readonly_store_reads_estimates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
