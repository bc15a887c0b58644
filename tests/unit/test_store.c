/*
 * Tests for the history store, run against both backends: SQLite files in
 * a temporary directory, and a fresh PostgreSQL database per test on the
 * server whose superuser URL is in SHARD_TEST_PG (tests/run-tests starts
 * one for `make check`). What the store wrote is read back through its
 * own interface and, where the interface does not show it (schema
 * version, attempts, the sample window), with a direct connection of the
 * backend's own. A few tests are for one backend only (files and
 * directories; URLs and databases).
 */
#include "shard/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "shard/estimate.h"
#include "shard/identity.h"
#include "shard/store/history.h"
#include "shard/util/pgconn.h"
#include "shard/util/strbuf.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

enum backend { SQLITE, PG };

struct fixture {
	enum backend be;
	char dir[64];
	char path[512];  /* the location: a file, or a database URL */
	char where[512]; /* what messages name: path or database */
	struct store *st;
	sqlite3 *db; /* direct connections, for checks */
	struct pgconn *pg;
	struct pg_target admin; /* PG: the server's superuser target */
};

/* Plain return codes: also used by forked children, where cmocka is not. */
static struct pgconn *admin_conn(struct fixture *f)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct pgconn *c = NULL;

	if (pgconn_open(&c, &f->admin, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return c;
}

/* "verb database": CREATE DATABASE, DROP DATABASE ... (quoted name) */
static int admin_exec(struct fixture *f, const char *verb, const char *name,
		      const char *tail)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct strbuf sql = STRBUF_INIT, ident = STRBUF_INIT;
	struct pgconn *c = admin_conn(f);
	int r = -1;

	if (c && !pgconn_quote_ident(c, name, &ident, &err)) {
		strbuf_addf(&sql, "%s %s%s", verb, ident.buf, tail);
		r = pgconn_exec(c, sql.buf, 0, NULL, NULL, NULL, &err);
	}
	if (r)
		fprintf(stderr, "%s\n", err.msg);
	pgconn_close(c);
	strbuf_release(&sql);
	strbuf_release(&ident);
	return r;
}

static int setup_sqlite(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->be = SQLITE;
	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/history.db", f->dir);
	snprintf(f->where, sizeof(f->where), "%s", f->path);
	*state = f;
	return 0;
}

/* A fresh database on the test server, dropped at teardown. */
static int setup_pg(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *url = getenv("SHARD_TEST_PG");
	struct strbuf loc = STRBUF_INIT;
	unsigned char rnd[4];
	int fd = open("/dev/urandom", O_RDONLY);

	if (!f || fd < 0 || read(fd, rnd, 4) != 4 || !url ||
	    pg_target_parse(url, &f->admin, NULL)) {
		free(f);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	f->be = PG;
	snprintf(f->where, sizeof(f->where), "test_store_%02x%02x%02x%02x",
		 rnd[0], rnd[1], rnd[2], rnd[3]);
	if (admin_exec(f, "CREATE DATABASE", f->where, "")) {
		pg_target_release(&f->admin);
		free(f);
		return -1;
	}
	pg_target_url(&f->admin, f->where, &loc);
	snprintf(f->path, sizeof(f->path), "%s", loc.buf);
	strbuf_release(&loc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r = 0;

	store_close(f->st);
	sqlite3_close(f->db);
	pgconn_close(f->pg);
	if (f->be == SQLITE)
		r = tmpdir_remove(f->dir);
	else
		r = admin_exec(f, "DROP DATABASE IF EXISTS", f->where,
			       " WITH (FORCE)");
	pg_target_release(&f->admin);
	free(f);
	return r;
}

static struct store *open_store(struct fixture *f, unsigned window)
{
	struct store_options opt = { 1, 0, window };
	struct shard_error err = SHARD_ERROR_INIT;

	store_close(f->st);
	f->st = NULL;
	if (store_open(f->path, &opt, &f->st, &err))
		fail_msg("%s", err.msg);
	assert_non_null(f->st);
	return f->st;
}

static void close_store(struct fixture *f)
{
	store_close(f->st);
	f->st = NULL;
}

static int schema_version(struct fixture *f)
{
	return f->be == SQLITE ? store_sqlite_schema_version()
			       : store_pg_schema_version();
}

/* Direct connections: PostgreSQL's with the history's schema on its path. */
static sqlite3 *direct(struct fixture *f)
{
	if (!f->db)
		assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	return f->db;
}

static struct pgconn *direct_pg(struct fixture *f)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct pg_target t;

	if (f->pg)
		return f->pg;
	assert_int_equal(pg_target_parse(f->path, &t, &err), 0);
	if (pgconn_open(&f->pg, &t, NULL, &err) ||
	    pgconn_exec(f->pg, "SET search_path = shard_history", 0, NULL, NULL,
			NULL, &err))
		fail_msg("%s", err.msg);
	pg_target_release(&t);
	return f->pg;
}

static void exec_direct(struct fixture *f, const char *sql)
{
	struct shard_error err = SHARD_ERROR_INIT;
	char *msg = NULL;

	if (f->be == SQLITE &&
	    sqlite3_exec(direct(f), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	if (f->be == PG &&
	    pgconn_exec(direct_pg(f), sql, 0, NULL, NULL, NULL, &err))
		fail_msg("%s", err.msg);
}

/* Rows of a query, each as "v1 v2 ..." (NULL as "-"), one a line. */
static int add_row(void *data, int ncols, const char *const *v)
{
	struct strbuf *out = data;

	for (int i = 0; i < ncols; i++)
		strbuf_addf(out, "%s%s", i ? " " : "", v[i] ? v[i] : "-");
	strbuf_addch(out, '\n');
	return 0;
}

static int add_row_sqlite(void *data, int ncols, char **v, char **names)
{
	(void)names;
	return add_row(data, ncols, (const char *const *)v);
}

static void query_rows(struct fixture *f, const char *sql, struct strbuf *out)
{
	struct shard_error err = SHARD_ERROR_INIT;
	char *msg = NULL;

	if (f->be == SQLITE && sqlite3_exec(direct(f), sql, add_row_sqlite, out,
					    &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	if (f->be == PG &&
	    pgconn_exec(direct_pg(f), sql, 0, NULL, add_row, out, &err))
		fail_msg("%s", err.msg);
}

/* The first column of the first row as an integer (reals truncated). */
static int64_t query_int(struct fixture *f, const char *sql)
{
	struct strbuf out = STRBUF_INIT;
	double v;

	query_rows(f, sql, &out);
	assert_true(out.len > 0);
	v = strtod(out.buf, NULL);
	strbuf_release(&out);
	return (int64_t)v;
}

static const char *version_sql(struct fixture *f)
{
	return f->be == SQLITE ? "PRAGMA user_version"
			       : "SELECT version FROM schema_version";
}

static void set_version(struct fixture *f, int version)
{
	char sql[256];

	if (f->be == SQLITE)
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	else
		snprintf(sql, sizeof(sql),
			 "CREATE SCHEMA IF NOT EXISTS shard_history;"
			 "CREATE TABLE IF NOT EXISTS schema_version(version"
			 " integer NOT NULL);"
			 "DELETE FROM schema_version;"
			 "INSERT INTO schema_version VALUES(%d)",
			 version);
	if (f->be == SQLITE) {
		exec_direct(f, sql);
		return;
	}
	/* several statements: one at a time through pgconn_exec */
	for (char *p = sql, *semi; p && *p; p = semi ? semi + 1 : NULL) {
		semi = strchr(p, ';');
		if (semi)
			*semi = '\0';
		exec_direct(f, p);
	}
}

static int64_t table_count(struct fixture *f, const char *name)
{
	char sql[200];

	if (f->be == SQLITE)
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM sqlite_master WHERE type ="
			 " 'table' AND name = '%s'",
			 name);
	else
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM pg_tables WHERE schemaname ="
			 " 'shard_history' AND tablename = '%s'",
			 name);
	return query_int(f, sql);
}

static struct store_result result(const char *key, enum junit_outcome o,
				  double seconds, int has_time)
{
	struct store_result r = { key, NULL, NULL, o, seconds, has_time, -1 };

	return r;
}

/* One transaction: a run, a source, its results. Returns the source id. */
static int64_t ingest(struct store *st, const char *run_key, const char *digest,
		      const struct store_result *rs, size_t n)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_run run = { run_key, 1700000000.0, NULL, NULL, NULL };
	int64_t run_id = 0, source_id = 0;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(store_add_source(st, run_id, digest, digest,
					  &source_id, &err),
			 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(store_add_result(st, run_id, source_id, &rs[i],
						  &err),
				 0);
	if (store_commit(st, &err))
		fail_msg("%s", err.msg);
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

	if (store_each_estimate(st, STORE_ESTIMATE_ALL, find_estimate, &fd,
				&err))
		fail_msg("%s", err.msg);
	return fd;
}

/* The sample window of a key, read from the tests table. */
static size_t samples_of(struct fixture *f, const char *key, double *out)
{
	sqlite3_stmt *st = NULL;
	struct strbuf rows = STRBUF_INIT;
	struct strbuf sql = STRBUF_INIT;
	size_t n = 0;

	if (f->be == PG) {
		/* keys in these tests need no quoting beyond '' */
		strbuf_addf(&sql,
			    "SELECT unnest(samples) FROM tests"
			    " WHERE key = '%s'",
			    key);
		query_rows(f, sql.buf, &rows);
		for (char *p = rows.buf, *end; *p && n < ESTIMATE_WINDOW_MAX;
		     p = end + 1) {
			out[n++] = strtod(p, &end);
			assert_true(*end == '\n');
		}
		strbuf_release(&rows);
		strbuf_release(&sql);
		return n;
	}
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

static void store_creates_the_schema_at_its_version(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_summary sum;
	static const char *const tables[] = {
		"runs", "sources", "tests", "results", "shards", "files",
	};

	open_store(f, 0);
	assert_true(schema_version(f) >= 1);
	assert_int_equal(query_int(f, version_sql(f)), schema_version(f));
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		assert_int_equal(table_count(f, tables[i]), 1);
	assert_int_equal(store_summary(f->st, &sum, &err), 0);
	assert_int_equal(sum.schema_version, schema_version(f));
	assert_int_equal(sum.runs, 0);
	assert_int_equal(sum.tests, 0);
	assert_int_equal(sum.results, 0);
	assert_true(sum.bytes > 0);
	assert_int_equal(f->st->window, ESTIMATE_WINDOW_DEFAULT);
	assert_int_equal(f->st->method, ESTIMATE_METHOD_DEFAULT);

	/* opening it again keeps what is there */
	open_store(f, 0);
	assert_int_equal(query_int(f, version_sql(f)), schema_version(f));
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

	open_store(f, 0);
	close_store(f);
	set_version(f, schema_version(f) + 1);

	assert_int_equal(store_open(f->path, &opt, &st, &err), SHARD_EENV);
	assert_null(st);
	assert_int_equal(err.code, SHARD_EENV);
	assert_non_null(strstr(err.msg, "newer"));
	assert_non_null(strstr(err.msg, f->where));
	/* and leaves the history as it was */
	assert_int_equal(query_int(f, version_sql(f)), schema_version(f) + 1);
}

static void store_refuses_a_newer_schema_in_a_fresh_history(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options opt = { 0, 0, 0 };
	struct store *st = NULL;

	set_version(f, 1000);
	if (f->be == SQLITE)
		exec_direct(f, "CREATE TABLE future(x)");
	assert_int_equal(store_open(f->path, &opt, &st, &err), SHARD_EENV);
	assert_null(st);
	assert_non_null(strstr(err.msg, "newer"));
	assert_int_equal(table_count(f, "runs"), 0);
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

static void store_without_create_gives_null_without_a_schema(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options opt = { 0, 0, 0 };
	struct store_options ro = { 0, 1, 0 };
	struct store *st = (struct store *)&opt;

	assert_int_equal(store_open(f->path, &opt, &st, &err), 0);
	assert_null(st);
	st = (struct store *)&opt;
	assert_int_equal(store_open(f->path, &ro, &st, &err), 0);
	assert_null(st);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.msg[0], '\0');
	/* nothing was created */
	assert_int_equal(query_int(f, "SELECT count(*) FROM pg_namespace"
				      " WHERE nspname = 'shard_history'"),
			 0);
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
	/* the file's fault, not the machine's: invalid input, named */
	assert_int_equal(store_open(f->path, &opt, &st, &err), SHARD_EINPUT);
	assert_null(st);
	assert_int_equal(err.code, SHARD_EINPUT);
	assert_non_null(strstr(err.msg, f->path));
	assert_non_null(strstr(err.msg, "not a shard history"));
}

static void store_refuses_http_locations_as_input_errors(void **state)
{
	static const char *const urls[] = {
		"https://example.com/history.db",
		"http://example.com/history.db",
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

static void store_refuses_a_bad_postgres_url_without_its_password(void **state)
{
	struct store_options opt = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = (struct store *)&opt;

	(void)state;
	assert_int_equal(store_open("postgresql://u:hunter2@h:notaport/db"
				    "?bogus_option=1",
				    &opt, &st, &err),
			 SHARD_EINPUT);
	assert_null(st);
	assert_non_null(strstr(err.msg, "not a PostgreSQL URL"));
	assert_null(strstr(err.msg, "hunter2"));
}

static void store_names_a_missing_database_without_the_password(void **state)
{
	struct fixture *f = *state;
	struct store_options opt = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = (struct store *)&opt;
	struct strbuf url = STRBUF_INIT;
	struct pg_target t = f->admin;

	t.password = (char *)"hunter2";
	pg_target_url(&t, "no_such_history", &url);
	assert_int_equal(store_open(url.buf, &opt, &st, &err), SHARD_EENV);
	assert_null(st);
	assert_non_null(strstr(err.msg, "no_such_history"));
	assert_null(strstr(err.msg, "hunter2"));
	strbuf_release(&url);
}

static void add_run_finds_an_existing_run_by_key(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run a = { "run-a", 1.0, "abc", "main", "github" };
	struct store_run b = { "run-b", 2.0, NULL, NULL, NULL };
	int64_t ida = 0, ida2 = 0, idb = 0;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &a, &ida, &err), 0);
	assert_int_equal(store_add_run(st, &b, &idb, &err), 0);
	assert_int_equal(store_add_run(st, &a, &ida2, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_true(ida != idb);
	assert_true(ida == ida2);
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs"), 2);
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs WHERE"
				      " commit_sha = 'abc' AND branch = 'main'"
				      " AND ci = 'github' AND started_at = 1"),
			 1);
}

/* find_run finds a run by key, mid-ingest too, and never creates one. */
static void find_run_finds_without_creating(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run a = { "run-a", 1.0, NULL, NULL, NULL };
	struct store_result res = { "t::a", NULL, NULL, JUNIT_PASSED, 1, 1, 0 };
	int64_t ida = 0, found = -1, source = 0;

	assert_int_equal(store_find_run(st, "run-a", &found, &err), 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &a, &ida, &err), 0);
	assert_int_equal(store_add_source(st, ida, "d1", "a.xml", &source,
					  &err),
			 0);
	assert_int_equal(store_add_result(st, ida, source, &res, &err), 0);
	/* between results of an ingest, as ingest asks */
	assert_int_equal(store_find_run(st, "run-a", &found, &err), 1);
	assert_true(found == ida);
	assert_int_equal(store_find_run(st, "run-b", &found, &err), 0);
	res.key = "t::b";
	assert_int_equal(store_add_result(st, ida, source, &res, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(query_int(f, "SELECT count(*) FROM results"), 2);
}

static void add_source_returns_one_for_a_digest_seen_in_the_run(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run a = { "run-a", 1.0, NULL, NULL, NULL };
	struct store_run b = { "run-b", 1.0, NULL, NULL, NULL };
	int64_t ra = 0, rb = 0, s1 = 0, s1again = 0, s2 = 0, s3 = 0;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &a, &ra, &err), 0);
	assert_int_equal(store_add_run(st, &b, &rb, &err), 0);
	assert_int_equal(store_add_source(st, ra, "d1", "x.xml", &s1, &err), 0);
	assert_int_equal(store_add_source(st, ra, "d1", "y.xml", &s1again,
					  &err),
			 1);
	assert_true(s1 == s1again);
	assert_int_equal(store_add_source(st, ra, "d2", "z.xml", &s2, &err), 0);
	assert_true(s2 != s1);
	/* the same content in another run is new there */
	assert_int_equal(store_add_source(st, rb, "d1", "x.xml", &s3, &err), 0);
	assert_true(s3 != s1 && s3 != s2);
	assert_int_equal(store_commit(st, &err), 0);

	/* and still known after reopening */
	st = open_store(f, 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &a, &ra, &err), 0);
	assert_int_equal(store_add_source(st, ra, "d1", NULL, &s1again, &err),
			 1);
	assert_true(s1 == s1again);
	assert_int_equal(store_commit(st, &err), 0);
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
	/* every result is recorded all the same, untimed ones without time */
	assert_int_equal(query_int(f, "SELECT count(*) FROM results"), 7);
	assert_int_equal(query_int(f, "SELECT count(*) FROM results"
				      " WHERE seconds IS NULL"),
			 2);
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
	assert_int_equal(fd.samples, 5);
}

static void window_applies_within_one_transaction(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 3);
	const struct store_result rs[] = {
		result("w", JUNIT_PASSED, 1, 1),
		result("w", JUNIT_PASSED, 2, 1),
		result("w", JUNIT_FAILED, 50, 1),
		result("w", JUNIT_PASSED, 3, 1),
		result("w", JUNIT_PASSED, -4, 1),
	};
	double v[ESTIMATE_WINDOW_MAX];

	ingest(st, "r1", "d1", rs, 2);
	ingest(st, "r2", "d2", rs + 2, 3);
	/* a negative time is a sample of 0 */
	assert_int_equal(samples_of(f, "w", v), 3);
	assert_true(v[0] == 50 && v[1] == 3 && v[2] == 0);
	assert_true(estimate_of(st, "w").seconds == 3);
	assert_int_equal(estimate_of(st, "w").samples, 5);
}

/*
 * The estimate each method gives after each sample matches estimate.c's
 * estimate_value over the same window, bit for bit: both backends plan
 * with the same numbers.
 */
static void estimates_match_estimate_value_for_every_method(void **state)
{
	struct fixture *f = *state;
	double xs[14];
	unsigned seed = 12345;

	for (size_t i = 0; i < 14; i++) {
		seed = seed * 1103515245u + 12345u;
		xs[i] = (double)(seed >> 8) / 1048576.0 / 7.0;
	}
	xs[5] = xs[2]; /* ties */
	for (int m = ESTIMATE_MEDIAN; m <= ESTIMATE_EWMA_MEDIAN; m++) {
		struct store *st = open_store(f, 10);
		char key[16], run[32];

		st->method = (enum estimate_method)m;
		snprintf(key, sizeof(key), "m%d", m);
		for (size_t i = 0; i < 14; i++) {
			struct store_result r =
				result(key, JUNIT_PASSED, xs[i], 1);
			size_t from = i + 1 > 10 ? i + 1 - 10 : 0;
			double want = estimate_value((enum estimate_method)m,
						     xs + from, i + 1 - from);
			double got;

			snprintf(run, sizeof(run), "%s-%zu", key, i);
			ingest(st, run, run, &r, 1);
			got = estimate_of(st, key).seconds;
			if (got != want)
				fail_msg("%s after %zu samples: %.17g, "
					 "estimate.c %.17g",
					 estimate_method_name(
						 (enum estimate_method)m),
					 i + 1, got, want);
		}
	}
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
	struct store_shard sh = { 0, 2, 1.0, 2.0, 1, 1, "host", 1, "p", "l" };
	struct store_summary sum;
	int64_t run_id = 0, source_id = 0;
	struct found fd;

	ingest(st, "r1", "d1", &kept, 1);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(store_add_source(st, run_id, "d2", NULL, &source_id,
					  &err),
			 0);
	assert_int_equal(store_add_result(st, run_id, source_id, &gone, &err),
			 0);
	assert_int_equal(store_add_result(st, run_id, source_id, &more, &err),
			 0);
	assert_int_equal(store_add_shard(st, run_id, &sh, &err), 0);
	assert_int_equal(store_add_file_overhead(st, "a.py", 3, &err), 0);
	assert_int_equal(store_rollback(st, &err), 0);

	assert_int_equal(store_summary(st, &sum, &err), 0);
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
	assert_int_equal(store_rollback(st, &err), 0);
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
	struct strbuf rows = STRBUF_INIT;
	char sql[256];
	int64_t first;

	first = ingest(st, "r1", "d1", s1, 4);
	/* another file of the same run, and a later run */
	ingest(st, "r1", "d2", s2, 2);
	ingest(st, "r2", "d1", s2, 1);
	snprintf(sql, sizeof(sql),
		 "SELECT r.source_id - %" PRId64 " + 1, t.key, r.attempt,"
		 " r.outcome FROM results r JOIN tests t ON t.id = r.test_id"
		 " ORDER BY r.%s",
		 first, f->be == SQLITE ? "rowid" : "id");
	query_rows(f, sql, &rows);
	assert_string_equal(rows.buf, "1 A 1 failed\n1 B 1 passed\n"
				      "1 A 2 failed\n1 A 3 passed\n"
				      "2 A 1 passed\n2 B 1 passed\n"
				      "3 A 1 passed\n");
	strbuf_release(&rows);
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

struct sums {
	struct strbuf out;
	size_t n;
};

static int take_file_seconds(void *data, const char *file, double seconds)
{
	struct sums *o = data;

	strbuf_addf(&o->out, "%s=%g\n", file, seconds);
	o->n++;
	return 0;
}

/* "file=seconds" lines, sorted, from each_file_sum or each_file_overhead. */
static void file_lines(struct store *st, int sums, struct strbuf *out)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct sums o = { STRBUF_INIT, 0 };
	char *lines[16];
	size_t n = 0;

	if ((sums ? store_each_file_sum(st, take_file_seconds, &o, &err)
		  : store_each_file_overhead(st, take_file_seconds, &o, &err)))
		fail_msg("%s", err.msg);
	for (char *p = o.out.buf, *nl; *p && n < 16; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		lines[n++] = p;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0;
		     j--) {
			char *t = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		strbuf_addf(out, "%s\n", lines[i]);
	strbuf_release(&o.out);
}

static void file_sums_leave_out_subtests_of_known_parents(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	struct store_result rs[] = {
		result("p.TestA", JUNIT_PASSED, 4, 1),
		result("p.TestA/x", JUNIT_PASSED, 3, 1),
		result("p.TestB/y", JUNIT_PASSED, 2, 1),
		result("q.test_c", JUNIT_PASSED, 0.5, 1),
		result("nofile", JUNIT_PASSED, 7, 1),
	};
	struct strbuf out = STRBUF_INIT;

	rs[0].file = rs[1].file = rs[2].file = "p/a_test.go";
	rs[1].parent_key = "p.TestA";
	rs[2].parent_key = "p.TestB"; /* no such test: counted */
	rs[3].file = "q/test_c.py";
	ingest(st, "r1", "d1", rs, 5);
	file_lines(st, 1, &out);
	assert_string_equal(out.buf, "p/a_test.go=6\nq/test_c.py=0.5\n");
	strbuf_release(&out);
}

static void file_overhead_is_the_estimate_of_its_samples(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct strbuf out = STRBUF_INIT;
	const double xs[] = { 1, 8, 2, -5 };

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(store_begin(st, &err), 0);
		assert_int_equal(store_add_file_overhead(st, "t/test_a.py",
							 xs[i], &err),
				 0);
		assert_int_equal(store_commit(st, &err), 0);
	}
	/* two in one transaction, and one outside any */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_file_overhead(st, "u.py", 1, &err), 0);
	assert_int_equal(store_add_file_overhead(st, "u.py", 4, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_add_file_overhead(st, "v.py", 0.25, &err), 0);
	file_lines(st, 0, &out);
	/* samples 1, 8, 2, 0 (negative as 0): median 1.5 */
	assert_string_equal(out.buf, "t/test_a.py=1.5\nu.py=2.5\nv.py=0.25\n");
	strbuf_release(&out);
}

static void add_shard_merges_predicted_and_actual(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run run = { "r", 1.0, NULL, NULL, NULL };
	struct store_shard planned = {
		1, 4, 10.5, 0, 1, 0, NULL, 0, NULL, NULL
	};
	struct store_shard ran = { 1, 4, 0, 12.25, 0, 1, "ci-7", 1, NULL, NULL };
	struct store_shard again = { 1, 4, 0, 13, 0, 1, "ci-8", 2, NULL, NULL };
	int64_t run_id = 0;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(store_add_shard(st, run_id, &planned, &err), 0);
	assert_int_equal(store_add_shard(st, run_id, &again, &err), 0);
	assert_int_equal(store_add_shard(st, run_id, &ran, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM shards"), 2);
	assert_int_equal(query_int(f, "SELECT predicted * 4 FROM shards"
				      " WHERE attempt = 1"),
			 42);
	assert_int_equal(query_int(f, "SELECT actual * 4 FROM shards"
				      " WHERE attempt = 1"),
			 49);
	assert_int_equal(query_int(f, "SELECT count(*) FROM shards"
				      " WHERE host = 'ci-7' AND attempt = 1"
				      " AND shard_total = 4"),
			 1);
	assert_int_equal(query_int(f, "SELECT count(*) FROM shards"
				      " WHERE host = 'ci-8' AND attempt = 2"
				      " AND predicted IS NULL"),
			 1);
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
	close_store(f);
	assert_int_equal(store_open(f->path, &ro, &st, &err), 0);
	assert_non_null(st);
	f->st = st;
	fd = estimate_of(st, "k");
	assert_int_equal(fd.hits, 1);
	assert_true(fd.seconds == 4);
}

struct hashes {
	size_t n;
	double sum;
};

static int take_hash(void *data, const struct store_estimate *e)
{
	struct hashes *h = data;

	h->n++;
	h->sum += e->seconds;
	return e->key_hash ? 0 : -1;
}

static int stop_at_first(void *data, const struct store_estimate *e)
{
	(void)e;
	(*(size_t *)data)++;
	return 7;
}

static void readers_go_through_many_rows_and_stop_when_asked(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_result *rs = calloc(25000, sizeof(*rs));
	/* clang-format 14 would write char(*x) */
	/* clang-format off */
	char (*keys)[16] = calloc(25000, sizeof(*keys));
	/* clang-format on */
	struct hashes h = { 0, 0 };
	size_t calls = 0;

	assert_non_null(rs);
	assert_non_null(keys);
	for (size_t i = 0; i < 25000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "t%05zu", i);
		rs[i] = result(keys[i], JUNIT_PASSED, 0.5, 1);
	}
	ingest(st, "r1", "d1", rs, 25000);
	assert_int_equal(store_each_estimate(st, STORE_ESTIMATE_HASH, take_hash,
					     &h, &err),
			 0);
	assert_int_equal(h.n, 25000);
	assert_true(h.sum == 12500);
	assert_int_equal(store_each_estimate(st, STORE_ESTIMATE_ALL,
					     stop_at_first, &calls, &err),
			 7);
	assert_int_equal(calls, 1);
	assert_int_equal(err.code, 0);
	/* and the store is usable afterwards */
	assert_int_equal(estimate_of(st, "t24999").hits, 1);
	free(rs);
	free(keys);
}

/*
 * A child process: rounds transactions, each writing the keys k000..
 * k199 (forward in one child, backward in the other) plus its own. Plain
 * return codes, as cmocka must not run in a child.
 */
static int ingest_child(const char *location, int child, int rounds)
{
	struct store_options opt = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = NULL;
	int r = 0;

	if (store_open(location, &opt, &st, &err))
		goto out;
	for (int i = 0; i < rounds && !r; i++) {
		struct store_run run = { NULL, 1.0, NULL, NULL, NULL };
		int64_t run_id = 0, source_id = 0;
		char run_key[32], key[32];

		snprintf(run_key, sizeof(run_key), "c%d-r%d", child, i);
		run.run_key = run_key;
		r = store_begin(st, &err) ||
		    store_add_run(st, &run, &run_id, &err) ||
		    store_add_source(st, run_id, "d", NULL, &source_id, &err);
		for (int k = 0; k < 201 && !r; k++) {
			int n = child ? 199 - k : k;
			struct store_result res =
				result(key, JUNIT_PASSED, 1 + child, 1);

			if (k == 200)
				snprintf(key, sizeof(key), "own%d", child);
			else
				snprintf(key, sizeof(key), "k%03d", n);
			r = store_add_result(st, run_id, source_id, &res, &err);
		}
		if (!r)
			r = store_commit(st, &err);
	}
out:
	if (err.code)
		fprintf(stderr, "child %d: %s\n", child, err.msg);
	store_close(st);
	return err.code ? 1 : 0;
}

static void concurrent_ingests_of_the_same_tests_lose_nothing(void **state)
{
	struct fixture *f = *state;
	pid_t pids[2];

	/* the schema is created by the children themselves, at once */
	for (int c = 0; c < 2; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (!pids[c])
			_exit(ingest_child(f->path, c, 20));
	}
	for (int c = 0; c < 2; c++) {
		int status = 0;

		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs"), 40);
	assert_int_equal(query_int(f, "SELECT count(*) FROM results"),
			 2 * 20 * 201);
	assert_int_equal(query_int(f, "SELECT count(*) FROM tests"), 202);
	/* no lost update: every sample of both reached every shared test */
	assert_int_equal(query_int(f, "SELECT count(*) FROM tests WHERE"
				      " key LIKE 'k%' AND sample_count = 40"),
			 200);
	assert_int_equal(query_int(f, "SELECT sum(sample_count) FROM tests"),
			 2 * 20 * 201);
}

/*
 * The history lifecycle (export, import, prune): walks in their
 * documented orders, put_test/put_file, prune. A walk is written out as
 * export would nest it, one line per item, so that both backends must
 * give the same text.
 */

/* A plan hash (64 hex digits, as plan.h's) and a list digest. */
#define PLAN_A \
	"5e0d1a3c" \
	"9b7f2e64" \
	"a1c3e5f7" \
	"08192a3b" \
	"4c5d6e7f" \
	"8091a2b3" \
	"c4d5e6f7" \
	"0a1b2c3d"
#define LIST_A "list-digest-a"

static const char *const outcome_word[] = {
	[JUNIT_PASSED] = "passed",
	[JUNIT_FAILED] = "failed",
	[JUNIT_ERROR] = "error",
	[JUNIT_SKIPPED] = "skipped",
};

struct walk {
	struct store *st;
	struct strbuf out;
	size_t lines;
	size_t stop_at; /* stop with 5 after this line; 0: never */
	struct shard_error err;
};

static int walk_line(struct walk *w)
{
	w->lines++;
	return w->stop_at && w->lines == w->stop_at ? 5 : 0;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

static void add_window(struct strbuf *b, const double *v, size_t n)
{
	strbuf_addch(b, '[');
	for (size_t i = 0; i < n; i++)
		strbuf_addf(b, "%s%g", i ? " " : "", v[i]);
	strbuf_addch(b, ']');
}

static int walk_result(void *data, const struct store_result *r)
{
	struct walk *w = data;

	strbuf_addf(&w->out, "    %s %s %s %s ", r->key, or_dash(r->file),
		    or_dash(r->parent_key), outcome_word[r->outcome]);
	if (r->has_time)
		strbuf_addf(&w->out, "%g", r->seconds);
	else
		strbuf_addch(&w->out, '-');
	strbuf_addf(&w->out, " %d\n", r->shard);
	return walk_line(w);
}

static int walk_source(void *data, int64_t source_id, const char *digest,
		       const char *name)
{
	struct walk *w = data;
	int r;

	strbuf_addf(&w->out, "  source %s %s\n", digest, or_dash(name));
	if ((r = walk_line(w)))
		return r;
	return store_each_result(w->st, STORE_RESULTS_OF_SOURCE, source_id,
				 walk_result, w, &w->err);
}

static int walk_shard(void *data, const struct store_shard *sh)
{
	struct walk *w = data;

	strbuf_addf(&w->out, "  shard %d/%d ", sh->index, sh->total);
	if (sh->has_predicted)
		strbuf_addf(&w->out, "%g", sh->predicted);
	else
		strbuf_addch(&w->out, '-');
	if (sh->has_actual)
		strbuf_addf(&w->out, " %g", sh->actual);
	else
		strbuf_addstr(&w->out, " -");
	strbuf_addf(&w->out, " %s %u %s %s\n", or_dash(sh->host), sh->attempt,
		    or_dash(sh->plan_hash), or_dash(sh->list_digest));
	return walk_line(w);
}

static int walk_run(void *data, int64_t run_id, const struct store_run *run)
{
	struct walk *w = data;
	int r;

	strbuf_addf(&w->out, "run %s %g %s %s %s\n", run->run_key,
		    run->started_at, or_dash(run->commit), or_dash(run->branch),
		    or_dash(run->ci));
	if ((r = walk_line(w)) ||
	    (r = store_each_source(w->st, run_id, walk_source, w, &w->err)))
		return r;
	return store_each_shard(w->st, run_id, walk_shard, w, &w->err);
}

static int walk_test(void *data, const struct store_test *t)
{
	struct walk *w = data;

	strbuf_addf(&w->out, "test %s %s %s ", t->key, or_dash(t->file),
		    or_dash(t->parent_key));
	add_window(&w->out, t->samples, t->n);
	strbuf_addf(&w->out, " %" PRId64 "\n", t->sample_count);
	return walk_line(w);
}

static int walk_file(void *data, const struct store_file *fl)
{
	struct walk *w = data;

	strbuf_addf(&w->out, "file %s ", fl->file);
	add_window(&w->out, fl->samples, fl->n);
	strbuf_addch(&w->out, '\n');
	return walk_line(w);
}

/* The whole history as export walks it: tests, files, runs. */
static void walk_all(struct store *st, struct strbuf *out)
{
	struct walk w = { st, STRBUF_INIT, 0, 0, SHARD_ERROR_INIT };

	if (store_each_test(st, walk_test, &w, &w.err) ||
	    store_each_file(st, walk_file, &w, &w.err) ||
	    store_each_run(st, 0, walk_run, &w, &w.err))
		fail_msg("%s", w.err.msg);
	strbuf_addstr(out, w.out.buf);
	strbuf_release(&w.out);
}

struct source_in {
	const char *digest, *name;
	const struct store_result *rs;
	size_t n;
};

/* One transaction: a run started at `at`, its sources, its shards. */
static void record_run(struct store *st, const struct store_run *run,
		       const struct source_in *src, size_t nsrc,
		       const struct store_shard *sh, size_t nsh)
{
	struct shard_error err = SHARD_ERROR_INIT;
	int64_t run_id = 0, source_id = 0;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, run, &run_id, &err), 0);
	for (size_t i = 0; i < nsrc; i++) {
		assert_int_equal(store_add_source(st, run_id, src[i].digest,
						  src[i].name, &source_id,
						  &err),
				 0);
		for (size_t j = 0; j < src[i].n; j++)
			assert_int_equal(store_add_result(st, run_id, source_id,
							  &src[i].rs[j], &err),
					 0);
	}
	for (size_t i = 0; i < nsh; i++)
		assert_int_equal(store_add_shard(st, run_id, &sh[i], &err), 0);
	if (store_commit(st, &err))
		fail_msg("%s", err.msg);
}

static struct store_result in_file(struct store_result r, const char *file,
				   int shard)
{
	r.file = file;
	r.shard = shard;
	return r;
}

/* Three runs recorded out of start order, two at the same instant. */
static void record_three_runs(struct store *st)
{
	const struct store_run late = { "late", 300, "c1", "main", "github" };
	const struct store_run early = { "early", 100, NULL, NULL, NULL };
	const struct store_run tie = { "tie", 100, "c3", NULL, NULL };
	struct store_result a[] = {
		in_file(result("a.lower", JUNIT_PASSED, 1.5, 1), "t/a.py", 0),
		in_file(result("B", JUNIT_FAILED, 2, 1), NULL, 0),
		in_file(result("a.lower", JUNIT_PASSED, 1.75, 1), NULL, 1),
		result("C", JUNIT_SKIPPED, 0, 0),
	};
	struct store_result b[] = { result("B", JUNIT_PASSED, 1, 1) };
	struct store_result c[] = {
		in_file(result("a.lower/sub", JUNIT_PASSED, 0.5, 1), "t/a.py",
			-1),
		result("\xc3\xa9t\xc3\xa9", JUNIT_ERROR, 0.25, 1),
	};
	const struct source_in late_src[] = { { "d1", "a.xml", a, 4 } };
	const struct source_in early_src[] = {
		{ "d2", "b.xml", b, 1 },
		{ "d3", NULL, c, 2 },
	};
	const struct source_in tie_src[] = { { "d1", "again.xml", b, 1 } };
	const struct store_shard sh[] = {
		{ 1, 2, 3, 0, 1, 0, NULL, 1, PLAN_A, LIST_A },
		{ 0, 2, 3.5, 4, 1, 1, "h0", 2, NULL, NULL },
		{ 0, 2, 0, 3.75, 0, 1, "h0", 1, PLAN_A, NULL },
	};
	struct shard_error err = SHARD_ERROR_INIT;

	c[0].parent_key = "a.lower";
	record_run(st, &late, late_src, 1, sh, 3);
	record_run(st, &early, early_src, 2, NULL, 0);
	record_run(st, &tie, tie_src, 1, sh, 1);
	assert_int_equal(store_add_file_overhead(st, "t/z.py", 1, &err), 0);
	assert_int_equal(store_add_file_overhead(st, "t/a.py", 2, &err), 0);
	assert_int_equal(store_add_file_overhead(st, "t/a.py", -3, &err), 0);
}

static const char three_runs_walked[] =
	/* tests in byte order of their keys: B before a, é last */
	"test B - - [2 1 1] 3\n"
	"test C - - [] 0\n"
	"test a.lower t/a.py - [1.5 1.75] 2\n"
	"test a.lower/sub t/a.py a.lower [0.5] 1\n"
	"test \xc3\xa9t\xc3\xa9 - - [] 0\n"
	"file t/a.py [2 0]\n"
	"file t/z.py [1]\n"
	/* runs by start time, then as recorded */
	"run early 100 - - -\n"
	"  source d2 b.xml\n"
	"    B - - passed 1 -1\n"
	"  source d3 -\n"
	"    a.lower/sub t/a.py a.lower passed 0.5 -1\n"
	"    \xc3\xa9t\xc3\xa9 - - error 0.25 -1\n"
	"run tie 100 c3 - -\n"
	"  source d1 again.xml\n"
	"    B - - passed 1 -1\n"
	"  shard 1/2 3 - - 1 " PLAN_A " " LIST_A "\n"
	"run late 300 c1 main github\n"
	"  source d1 a.xml\n"
	"    a.lower t/a.py - passed 1.5 0\n"
	"    B - - failed 2 0\n"
	"    a.lower t/a.py - passed 1.75 1\n"
	"    C - - skipped - -1\n"
	/* shards by index, then attempt */
	"  shard 0/2 - 3.75 h0 1 " PLAN_A " -\n"
	"  shard 0/2 3.5 4 h0 2 - -\n"
	"  shard 1/2 3 - - 1 " PLAN_A " " LIST_A "\n";

static void lifecycle_walks_come_in_the_documented_orders(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	struct strbuf out = STRBUF_INIT;

	record_three_runs(st);
	walk_all(st, &out);
	assert_string_equal(out.buf, three_runs_walked);
	/* a read-only store walks alike */
	strbuf_reset(&out);
	close_store(f);
	{
		struct store_options ro = { 0, 1, 0 };
		struct shard_error err = SHARD_ERROR_INIT;

		assert_int_equal(store_open(f->path, &ro, &f->st, &err), 0);
	}
	walk_all(f->st, &out);
	assert_string_equal(out.buf, three_runs_walked);
	strbuf_release(&out);
}

static void
a_walk_stops_where_its_callback_says_and_can_start_again(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	const struct store_run more = { "more", 400, NULL, NULL, NULL };
	struct store_result r = result("B", JUNIT_PASSED, 1, 1);
	const struct source_in src[] = { { "d9", NULL, &r, 1 } };
	struct strbuf all = STRBUF_INIT;
	/* stop in the second source of the first run, at its first result */
	struct walk w = { st, STRBUF_INIT, 0, 5, SHARD_ERROR_INIT };

	record_three_runs(st);
	assert_int_equal(store_each_run(st, 0, walk_run, &w, &w.err), 5);
	assert_int_equal(w.err.code, 0);
	assert_string_equal(w.out.buf, "run early 100 - - -\n"
				       "  source d2 b.xml\n"
				       "    B - - passed 1 -1\n"
				       "  source d3 -\n"
				       "    a.lower/sub t/a.py a.lower passed"
				       " 0.5 -1\n");
	/* a walk of tests stops too */
	w.lines = 0;
	w.stop_at = 2;
	assert_int_equal(store_each_test(st, walk_test, &w, &w.err), 5);
	assert_int_equal(w.lines, 2);
	/* and the store writes and walks afterwards */
	record_run(st, &more, src, 1, NULL, 0);
	walk_all(st, &all);
	assert_non_null(strstr(all.buf, "run late 300 c1 main github\n"));
	assert_non_null(strstr(all.buf, "run more 400 - - -\n"
					"  source d9 -\n"
					"    B - - passed 1 -1\n"));
	strbuf_release(&w.out);
	strbuf_release(&all);
}

struct counted {
	size_t n;
	int ordered;
	char last[16];
};

static int count_result(void *data, const struct store_result *r)
{
	struct counted *c = data;

	c->ordered = c->ordered && strcmp(c->last, r->key) < 0;
	snprintf(c->last, sizeof(c->last), "%s", r->key);
	c->n++;
	return 0;
}

struct nested {
	struct store *st;
	struct counted c;
	size_t runs;
	struct shard_error err;
};

static int count_source(void *data, int64_t id, const char *d, const char *n)
{
	struct nested *x = data;

	(void)d, (void)n;
	return store_each_result(x->st, STORE_RESULTS_OF_SOURCE, id,
				 count_result, &x->c, &x->err);
}

static int count_run(void *data, int64_t id, const struct store_run *run)
{
	struct nested *x = data;

	(void)run;
	return store_each_source(x->st, id, count_source, x, &x->err);
}

static int count_one_run(void *data, int64_t id, const struct store_run *run)
{
	(void)id, (void)run;
	(*(size_t *)data)++;
	return 0;
}

/* Every 10000th test, a walk of the runs inside the walk of tests. */
static int count_test_and_runs(void *data, const struct store_test *t)
{
	struct nested *x = data;

	(void)t;
	if (x->c.n++ % 10000)
		return 0;
	return store_each_run(x->st, 0, count_one_run, &x->runs, &x->err);
}

static void a_nested_walk_reads_sources_of_many_results(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	struct store_result *rs = calloc(25001, sizeof(*rs));
	/* clang-format 14 would write char(*x) */
	/* clang-format off */
	char (*keys)[16] = calloc(25001, sizeof(*keys));
	/* clang-format on */
	struct nested x = { st, { 0, 1, "" }, 0, SHARD_ERROR_INIT };

	assert_non_null(rs);
	assert_non_null(keys);
	for (size_t i = 0; i < 25001; i++) {
		snprintf(keys[i], sizeof(keys[i]), "t%05zu", i);
		rs[i] = result(keys[i], JUNIT_PASSED, 0.5, 1);
	}
	ingest(st, "r1", "d1", rs, 25001);
	assert_int_equal(store_each_run(st, 0, count_run, &x, &x.err), 0);
	assert_int_equal(x.c.n, 25001);
	assert_true(x.c.ordered);
	assert_string_equal(x.c.last, "t25000");
	/* readings inside a long one leave it going, batch after batch */
	x.c.n = 0;
	assert_int_equal(store_each_test(st, count_test_and_runs, &x, &x.err),
			 0);
	assert_int_equal(x.c.n, 25001);
	assert_int_equal(x.runs, 3);
	free(rs);
	free(keys);
}

static struct store_test test_of(const char *key, const char *file,
				 const char *parent, const double *v, size_t n,
				 int64_t count)
{
	struct store_test t = { key, file, parent, v, n, count };

	return t;
}

static void put_test_creates_then_keeps_or_replaces(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 3);
	const double five[] = { 5, -1, 2, 8 }, one[] = { 1 };
	struct store_test t = test_of("k", "f.py", NULL, five, 4, 9);
	struct store_test again = test_of("k", "g.py", "P", one, 1, 1);
	struct store_test empty = test_of("empty", NULL, NULL, NULL, 0, 0);
	struct hashes h = { 0, 0 };
	struct strbuf out = STRBUF_INIT;
	struct found fd;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_put_test(st, &t, 0, &err), 1);
	assert_int_equal(store_put_test(st, &empty, 1, &err), 1);
	assert_int_equal(store_commit(st, &err), 0);
	/* the newest 3 samples, a negative one as 0, and their median */
	walk_all(st, &out);
	assert_string_equal(out.buf, "test empty - - [] 0\n"
				     "test k f.py - [0 2 8] 9\n");
	fd = estimate_of(st, "k");
	assert_true(fd.seconds == 2);
	assert_int_equal(fd.samples, 9);
	assert_int_equal(estimate_of(st, "empty").hits, 0);
	assert_int_equal(store_each_estimate(st, STORE_ESTIMATE_HASH, take_hash,
					     &h, &err),
			 0);
	assert_int_equal(h.n, 1);

	/* there already: left alone */
	assert_int_equal(store_put_test(st, &again, 0, &err), 0);
	strbuf_reset(&out);
	walk_all(st, &out);
	assert_string_equal(out.buf, "test empty - - [] 0\n"
				     "test k f.py - [0 2 8] 9\n");
	/* replaced: window, count and estimate; a file known stays */
	assert_int_equal(store_put_test(st, &again, 1, &err), 0);
	strbuf_reset(&out);
	walk_all(st, &out);
	assert_string_equal(out.buf, "test empty - - [] 0\n"
				     "test k f.py P [1] 1\n");
	fd = estimate_of(st, "k");
	assert_true(fd.seconds == 1);
	assert_int_equal(fd.samples, 1);
	assert_int_equal(err.code, 0);
	strbuf_release(&out);
}

static void put_test_key_hash_is_what_planning_reads(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	const double one[] = { 1 };
	struct store_test t = test_of("pkg.T.a", NULL, NULL, one, 1, 1);
	char sql[200];

	assert_int_equal(store_put_test(st, &t, 0, &err), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM tests WHERE"
		 " key_hash = %" PRId64,
		 (int64_t)identity_hash("pkg.T.a", strlen("pkg.T.a")));
	assert_int_equal(query_int(f, sql), 1);
}

static void put_test_after_results_replaces_their_window(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	const struct store_run run = { "r", 1, NULL, NULL, NULL };
	const struct store_result k = result("K", JUNIT_PASSED, 5, 1);
	const struct store_result k2 = result("K2", JUNIT_PASSED, 3, 1);
	const double window[] = { 1, 2 };
	struct store_test t = test_of("K", NULL, NULL, window, 2, 2);
	struct strbuf out = STRBUF_INIT;
	int64_t run_id = 0, source_id = 0;

	/* import's third phase: results replayed, then the window put back */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(store_add_source(st, run_id, "d", NULL, &source_id,
					  &err),
			 0);
	assert_int_equal(store_add_result(st, run_id, source_id, &k, &err), 0);
	assert_int_equal(store_add_result(st, run_id, source_id, &k2, &err), 0);
	assert_int_equal(store_put_test(st, &t, 1, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	walk_all(st, &out);
	assert_string_equal(out.buf, "test K - - [1 2] 2\n"
				     "test K2 - - [3] 1\n"
				     "run r 1 - - -\n"
				     "  source d -\n"
				     "    K - - passed 5 -1\n"
				     "    K2 - - passed 3 -1\n");
	assert_true(estimate_of(st, "K").seconds == 1.5);
	strbuf_release(&out);
}

static void put_file_creates_then_keeps_or_replaces(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 3);
	const double four[] = { 4, 1, 2, 3 }, seven[] = { 7 };
	const struct store_file a = { "a.py", four, 4 };
	const struct store_file a2 = { "a.py", seven, 1 };
	const struct store_file none = { "b.py", NULL, 0 };
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(store_put_file(st, &a, 0, &err), 1);
	assert_int_equal(store_put_file(st, &none, 0, &err), 1);
	assert_int_equal(store_put_file(st, &a2, 0, &err), 0);
	walk_all(st, &out);
	assert_string_equal(out.buf, "file a.py [1 2 3]\nfile b.py []\n");
	strbuf_reset(&out);
	file_lines(st, 0, &out);
	assert_string_equal(out.buf, "a.py=2\n");
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_put_file(st, &a2, 1, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	strbuf_reset(&out);
	file_lines(st, 0, &out);
	assert_string_equal(out.buf, "a.py=7\n");
	strbuf_release(&out);
}

/*
 * Five runs: r2 and r5 start last, at the same instant; each has the
 * shared test and one of its own, r1 also a test seen twice only there.
 */
static void record_five_runs(struct store *st)
{
	static const double at[] = { 10, 40, 30, 20, 40 };
	struct shard_error err = SHARD_ERROR_INIT;

	for (int i = 0; i < 5; i++) {
		char key[16], own[16], file[16], digest[16];
		struct store_run run = { key, at[i], NULL, NULL, NULL };
		struct store_result rs[] = {
			in_file(result("shared", JUNIT_PASSED, i + 1, 1),
				"shared.py", 0),
			in_file(result(own, JUNIT_PASSED, 1, 1), file, 0),
			result("old.only", JUNIT_FAILED, 1, 1),
			result("old.only", JUNIT_PASSED, 1, 1),
		};
		const struct source_in src[] = { { digest, NULL, rs,
						   i ? 2u : 4u } };
		const struct store_shard sh = { 0, 1,    1, 2,    1,
						1, NULL, 1, NULL, NULL };

		snprintf(key, sizeof(key), "r%d", i + 1);
		snprintf(own, sizeof(own), "own.r%d", i + 1);
		snprintf(file, sizeof(file), "r%d.py", i + 1);
		snprintf(digest, sizeof(digest), "d%d", i + 1);
		record_run(st, &run, src, 1, &sh, 1);
	}
	assert_int_equal(store_add_file_overhead(st, "r1.py", 1, &err), 0);
	assert_int_equal(store_add_file_overhead(st, "shared.py", 2, &err), 0);
}

static void assert_pruned(const struct store_prune_stats *ps, int64_t runs,
			  int64_t results, int64_t tests)
{
	assert_int_equal(ps->runs, runs);
	assert_int_equal(ps->results, results);
	assert_int_equal(ps->tests, tests);
	assert_true(ps->bytes_before > 0);
	assert_true(ps->bytes_after > 0);
}

static void prune_keeps_the_most_recent_runs_and_what_they_saw(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_prune_stats ps;
	struct store_summary sum;
	struct strbuf out = STRBUF_INIT;
	double shared_before;

	record_five_runs(st);
	shared_before = estimate_of(st, "shared").seconds;
	assert_true(shared_before == 3);
	memset(&ps, 0x55, sizeof(ps));
	assert_int_equal(store_prune(st, 2, &ps, &err), 0);
	assert_pruned(&ps, 3, 8, 4);

	walk_all(st, &out);
	assert_string_equal(out.buf,
			    /* the shared test keeps its window */
			    "test own.r2 r2.py - [1] 1\n"
			    "test own.r5 r5.py - [1] 1\n"
			    "test shared shared.py - [1 2 3 4 5] 5\n"
			    "file shared.py [2]\n"
			    "run r2 40 - - -\n"
			    "  source d2 -\n"
			    "    shared shared.py - passed 2 0\n"
			    "    own.r2 r2.py - passed 1 0\n"
			    "  shard 0/1 1 2 - 1 - -\n"
			    "run r5 40 - - -\n"
			    "  source d5 -\n"
			    "    shared shared.py - passed 5 0\n"
			    "    own.r5 r5.py - passed 1 0\n"
			    "  shard 0/1 1 2 - 1 - -\n");
	assert_true(estimate_of(st, "shared").seconds == shared_before);
	assert_int_equal(store_summary(st, &sum, &err), 0);
	assert_int_equal(sum.runs, 2);
	assert_int_equal(sum.results, 4);
	assert_int_equal(sum.tests, 3);
	assert_int_equal(query_int(f, "SELECT count(*) FROM sources"), 2);
	assert_int_equal(query_int(f, "SELECT count(*) FROM shards"), 2);

	/* nothing more to prune */
	assert_int_equal(store_prune(st, 2, &ps, &err), 0);
	assert_pruned(&ps, 0, 0, 0);
	assert_int_equal(store_prune(st, 100, &ps, &err), 0);
	assert_pruned(&ps, 0, 0, 0);
	/* of two runs started at once, the one recorded later is newer */
	assert_int_equal(store_prune(st, 1, &ps, &err), 0);
	assert_pruned(&ps, 1, 2, 1);
	strbuf_reset(&out);
	walk_all(st, &out);
	assert_null(strstr(out.buf, "run r2"));
	assert_non_null(strstr(out.buf, "run r5 40"));
	strbuf_release(&out);
}

static void prune_refuses_to_run_inside_a_transaction(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_prune_stats ps;

	record_five_runs(st);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_prune(st, 1, &ps, &err), SHARD_EENV);
	assert_non_null(strstr(err.msg, "transaction"));
	assert_non_null(strstr(err.msg, f->where));
	assert_int_equal(store_rollback(st, &err), 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs"), 5);
}

/* In a child process: open location and run fn on it; 0 when it went
 * well, else 1, with the error on stderr. */
static int child_on_store(const char *location,
			  int (*fn)(struct store *, struct shard_error *))
{
	struct store_options opt = { 0, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = NULL;

	if (!store_open(location, &opt, &st, &err) && st)
		fn(st, &err);
	if (err.code)
		fprintf(stderr, "child: %s\n", err.msg);
	store_close(st);
	return err.code ? 1 : 0;
}

/* Start fn on the store in a child; half a second later it must still
 * be waiting (for the transaction under way in the test). */
static pid_t start_waiting_child(struct fixture *f,
				 int (*fn)(struct store *,
					   struct shard_error *))
{
	const struct timespec pause = { 0, 500 * 1000 * 1000 };
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(child_on_store(f->path, fn));
	nanosleep(&pause, NULL);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	return pid;
}

static void child_succeeds(pid_t pid)
{
	int status = 0;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int prune_to_one(struct store *st, struct shard_error *err)
{
	struct store_prune_stats ps;

	return store_prune(st, 1, &ps, err);
}

/*
 * An ingest that has written, uncommitted, a result of a test only an old
 * run had into the run prune keeps: prune waits for it, then keeps the
 * test (without the wait it would delete the test under the result).
 */
static void prune_waits_for_a_write_under_way(void **state)
{
	struct fixture *f = *state;
	const struct store_run old = { "old", 1, NULL, NULL, NULL };
	const struct store_run kept = { "kept", 2, NULL, NULL, NULL };
	struct store_result x = result("X", JUNIT_PASSED, 1, 1);
	struct store_result y = result("Y", JUNIT_PASSED, 1, 1);
	const struct source_in xs[] = { { "d1", NULL, &x, 1 } };
	const struct source_in ys[] = { { "d2", NULL, &y, 1 } };
	pid_t pid;

	record_run(open_store(f, 0), &old, xs, 1, NULL, 0);
	record_run(f->st, &kept, ys, 1, NULL, 0);
	close_store(f);
	exec_direct(f, "BEGIN");
	exec_direct(f, "INSERT INTO results(run_id, source_id, test_id,"
		       " attempt, outcome) SELECT s.run_id, s.id, t.id, 1,"
		       " 'passed' FROM sources s, tests t"
		       " WHERE s.digest = 'd2' AND t.key = 'X'");
	pid = start_waiting_child(f, prune_to_one);
	exec_direct(f, "COMMIT");
	child_succeeds(pid);
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(query_int(f, "SELECT count(*) FROM tests"
				      " WHERE key IN ('X', 'Y')"),
			 2);
	assert_int_equal(query_int(f, "SELECT count(*) FROM results r"
				      " WHERE NOT EXISTS (SELECT 1 FROM tests t"
				      " WHERE t.id = r.test_id)"),
			 0);
}

/* An import's tests, Y then X (the order an ingest does not take). */
static int import_y_then_x(struct store *st, struct shard_error *err)
{
	const double one[] = { 1 };
	struct store_test y = test_of("Y", NULL, NULL, one, 1, 1);
	struct store_test x = test_of("X", NULL, NULL, one, 1, 1);

	if (store_begin(st, err))
		return err->code;
	store_put_test(st, &y, 1, err);
	if (!err->code)
		store_put_test(st, &x, 1, err);
	if (!err->code)
		store_commit(st, err);
	return err->code;
}

/*
 * An ingest under way holds test X and is about to take Y (its commit
 * folds tests in key order); an import that took Y first and then waited
 * for X would deadlock with it, and PostgreSQL would abort one. The
 * import waits for the ingest before it writes anything, and both land.
 */
static void import_waits_for_an_ingest_under_way(void **state)
{
	struct fixture *f = *state;
	const struct store_run r1 = { "r1", 1, NULL, NULL, NULL };
	struct store_result res[] = { result("X", JUNIT_PASSED, 1, 1),
				      result("Y", JUNIT_PASSED, 1, 1) };
	const struct source_in src[] = { { "d1", NULL, res, 2 } };
	pid_t pid;

	record_run(open_store(f, 0), &r1, src, 1, NULL, 0);
	close_store(f);
	exec_direct(f, "BEGIN");
	exec_direct(f, "INSERT INTO runs(run_key) VALUES ('under way')");
	exec_direct(f, "UPDATE tests SET sample_count = 7 WHERE key = 'X'");
	pid = start_waiting_child(f, import_y_then_x);
	/* without the import's lock, this is where the deadlock was */
	exec_direct(f, "UPDATE tests SET sample_count = 7 WHERE key = 'Y'");
	exec_direct(f, "COMMIT");
	child_succeeds(pid);
	assert_int_equal(query_int(f, "SELECT count(*) FROM runs"), 2);
	/* the import came second: its windows replaced the ingest's */
	assert_int_equal(query_int(f, "SELECT count(*) FROM tests WHERE"
				      " key IN ('X', 'Y') AND sample_count"
				      " = 1"),
			 2);
}

/*
 * Each shard's plan and list (plan_hash, list_digest): stored by
 * add_shard, kept like host when a later call lacks them, and read back
 * by both readers of shard rows.
 */

struct shard_lines {
	struct strbuf out;
};

static int shard_line(void *data, const struct store_shard *sh)
{
	struct shard_lines *l = data;

	strbuf_addf(&l->out, "%d/%d %u %s %s %s\n", sh->index, sh->total,
		    sh->attempt, or_dash(sh->host), or_dash(sh->plan_hash),
		    or_dash(sh->list_digest));
	return 0;
}

/* A run's shard rows through store_each_shard, read twice. */
static void run_shard_lines(struct store *st, int64_t run_id,
			    struct strbuf *by_run, struct strbuf *by_walk)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct shard_lines a = { STRBUF_INIT }, b = { STRBUF_INIT };

	if (store_each_shard(st, run_id, shard_line, &a, &err) ||
	    store_each_shard(st, run_id, shard_line, &b, &err))
		fail_msg("%s", err.msg);
	strbuf_addstr(by_run, a.out.buf);
	strbuf_addstr(by_walk, b.out.buf);
	strbuf_release(&a.out);
	strbuf_release(&b.out);
}

static void add_shard_keeps_a_plan_hash_and_list_digest(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_run run = { "r", 1.0, NULL, NULL, NULL };
	struct store_shard planned = {
		0, 2, 5, 0, 1, 0, NULL, 1, PLAN_A, LIST_A
	};
	struct store_shard ran = { 0, 2, 0, 6, 0, 1, "ci-1", 1, NULL, NULL };
	struct store_shard other = { 1, 2, 5, 0, 1, 0, NULL, 1, NULL, NULL };
	struct store_shard replanned = { 1, 2,    5, 0,       1,
					 0, NULL, 2, "p-old", "l-old" };
	struct store_shard newer = { 1, 2, 5, 0, 1, 0, NULL, 2, "p-new", NULL };
	struct strbuf by_run = STRBUF_INIT, by_walk = STRBUF_INIT;
	int64_t run_id = 0;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_add_run(st, &run, &run_id, &err), 0);
	assert_int_equal(store_add_shard(st, run_id, &planned, &err), 0);
	/* within the transaction, and in one of its own */
	assert_int_equal(store_add_shard(st, run_id, &ran, &err), 0);
	assert_int_equal(store_add_shard(st, run_id, &other, &err), 0);
	assert_int_equal(store_add_shard(st, run_id, &replanned, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_add_shard(st, run_id, &ran, &err), 0);
	/* a value given replaces; one not given keeps the old */
	assert_int_equal(store_add_shard(st, run_id, &newer, &err), 0);

	run_shard_lines(st, run_id, &by_run, &by_walk);
	assert_string_equal(by_run.buf, "0/2 1 ci-1 " PLAN_A " " LIST_A "\n"
					"1/2 1 - - -\n"
					"1/2 2 - p-new l-old\n");
	assert_string_equal(by_walk.buf, by_run.buf);
	/* unknown is NULL in the table, not an empty string */
	assert_int_equal(query_int(f, "SELECT count(*) FROM shards WHERE"
				      " plan_hash IS NULL AND list_digest IS"
				      " NULL"),
			 1);
	/* and after reopening, read-only */
	close_store(f);
	{
		struct store_options ro = { 0, 1, 0 };

		assert_int_equal(store_open(f->path, &ro, &f->st, &err), 0);
	}
	strbuf_reset(&by_walk);
	strbuf_reset(&by_run);
	run_shard_lines(f->st, run_id, &by_run, &by_walk);
	assert_string_equal(by_walk.buf, "0/2 1 ci-1 " PLAN_A " " LIST_A "\n"
					 "1/2 1 - - -\n"
					 "1/2 2 - p-new l-old\n");
	strbuf_release(&by_run);
	strbuf_release(&by_walk);
}

/*
 * Plan pins: put_pin inserts once per key, get_pin finds by key, bytes
 * come back exactly, prune keeps the newest runs' pins.
 */

static struct store_pin pin_of(const char *run, const char *request, double at,
			       const char *hash, const void *a, size_t n,
			       const char *meta)
{
	struct store_pin p = { run, LIST_A, request, at, hash, a, n, meta };

	return p;
}

/* put_pin that must not fail; returns *inserted. */
static int put_pin(struct store *st, const struct store_pin *p)
{
	struct shard_error err = SHARD_ERROR_INIT;
	int inserted = -1;

	if (store_put_pin(st, p, &inserted, &err))
		fail_msg("%s", err.msg);
	assert_true(inserted == 0 || inserted == 1);
	return inserted;
}

/* get_pin that must not fail; returns *found. */
static int get_pin(struct store *st, const struct store_pin *key, char hash[65],
		   struct strbuf *a, struct strbuf *meta)
{
	struct shard_error err = SHARD_ERROR_INIT;
	int found = -1;

	if (store_get_pin(st, key, hash, a, meta, &found, &err))
		fail_msg("%s", err.msg);
	assert_true(found == 0 || found == 1);
	return found;
}

static void pin_is_inserted_once_and_found_by_its_key(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	struct store_pin first =
		pin_of("run-1", "k=2", 10, PLAN_A, "\1\2", 2, "{\"a\":1}");
	struct store_pin second =
		pin_of("run-1", "k=2", 20, "b-hash", "xyz", 3, "{\"b\":2}");
	struct store_pin other_list = first, other_req = first,
			 other_run = first;
	struct strbuf a = STRBUF_INIT, meta = STRBUF_INIT;
	char hash[65];

	assert_int_equal(put_pin(st, &first), 1);
	/* the same key again: left alone, not inserted */
	assert_int_equal(put_pin(st, &second), 0);
	assert_int_equal(put_pin(st, &first), 0);
	other_list.list_digest = "list-digest-b";
	other_req.request = "k=3";
	other_run.run = "run-2";
	assert_int_equal(put_pin(st, &other_list), 1);
	assert_int_equal(put_pin(st, &other_req), 1);
	assert_int_equal(put_pin(st, &other_run), 1);
	assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 4);

	strbuf_addstr(&a, "old bytes");
	strbuf_addstr(&meta, "old meta");
	assert_int_equal(get_pin(st, &second, hash, &a, &meta), 1);
	assert_string_equal(hash, PLAN_A);
	assert_int_equal(a.len, 2);
	assert_memory_equal(a.buf, "\1\2", 2);
	assert_string_equal(meta.buf, "{\"a\":1}");
	assert_int_equal(query_int(f, "SELECT created_at FROM pins WHERE"
				      " run = 'run-1' AND request = 'k=2'"),
			 10);

	/* not found: everything left alone */
	memcpy(hash, "untouched", 10);
	strbuf_reset(&a);
	strbuf_addstr(&a, "kept");
	other_req.request = "k=4";
	assert_int_equal(get_pin(st, &other_req, hash, &a, &meta), 0);
	assert_string_equal(hash, "untouched");
	assert_string_equal(a.buf, "kept");
	assert_string_equal(meta.buf, "{\"a\":1}");
	other_run.run = "run-3";
	assert_int_equal(get_pin(st, &other_run, hash, &a, &meta), 0);
	assert_string_equal(a.buf, "kept");

	/* a read-only store finds pins too */
	close_store(f);
	{
		struct store_options ro = { 0, 1, 0 };
		struct shard_error err = SHARD_ERROR_INIT;

		assert_int_equal(store_open(f->path, &ro, &f->st, &err), 0);
	}
	assert_int_equal(get_pin(f->st, &first, hash, &a, &meta), 1);
	assert_string_equal(hash, PLAN_A);
	assert_int_equal(a.len, 2);
	strbuf_release(&a);
	strbuf_release(&meta);
}

static void pin_assignment_keeps_every_byte(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	unsigned char bytes[515];
	struct store_pin p, empty, nometa;
	struct strbuf a = STRBUF_INIT, meta = STRBUF_INIT;
	char hash[65];

	/* NUL first and last, every byte value, 0x0a and 0x0d, \ and ' */
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)((i * 7) & 0xff);
	bytes[sizeof(bytes) - 1] = 0;
	p = pin_of("r", "q", 1, PLAN_A, bytes, sizeof(bytes),
		   "{\"s\":\"\xc3\xa9\\n'\\\\\"}");
	empty = pin_of("r", "empty", 1, PLAN_A, NULL, 0, "{}");
	nometa = pin_of("r", "nometa", 1, "", "\0", 1, NULL);
	assert_int_equal(put_pin(st, &p), 1);
	assert_int_equal(put_pin(st, &empty), 1);
	assert_int_equal(put_pin(st, &nometa), 1);
	/* stored as bytes, not as their text */
	assert_int_equal(query_int(f, "SELECT length(assignment) FROM pins"
				      " WHERE request = 'q'"),
			 sizeof(bytes));

	assert_int_equal(get_pin(st, &p, hash, &a, &meta), 1);
	assert_int_equal(a.len, sizeof(bytes));
	assert_memory_equal(a.buf, bytes, sizeof(bytes));
	assert_int_equal(a.buf[a.len], '\0');
	assert_string_equal(meta.buf, "{\"s\":\"\xc3\xa9\\n'\\\\\"}");
	assert_int_equal(get_pin(st, &empty, hash, &a, &meta), 1);
	assert_int_equal(a.len, 0);
	assert_string_equal(meta.buf, "{}");
	assert_int_equal(get_pin(st, &nometa, hash, &a, &meta), 1);
	assert_string_equal(hash, "");
	assert_int_equal(a.len, 1);
	assert_int_equal(a.buf[0], '\0');
	assert_int_equal(meta.len, 0);
	strbuf_release(&a);
	strbuf_release(&meta);
}

static void pin_of_megabytes_comes_back_whole(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(f, 0);
	size_t n = 3 * 1024 * 1024 + 1;
	unsigned char *bytes = malloc(n);
	struct strbuf a = STRBUF_INIT, meta = STRBUF_INIT;
	unsigned seed = 99;
	struct store_pin p;
	char hash[65];

	assert_non_null(bytes);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		bytes[i] = (unsigned char)(seed >> 16);
	}
	p = pin_of("big", "q", 1, PLAN_A, bytes, n, "{}");
	assert_int_equal(put_pin(st, &p), 1);
	assert_int_equal(get_pin(st, &p, hash, &a, &meta), 1);
	assert_int_equal(a.len, n);
	assert_true(memcmp(a.buf, bytes, n) == 0);
	assert_string_equal(hash, PLAN_A);
	free(bytes);
	strbuf_release(&a);
	strbuf_release(&meta);
}

static void put_pin_refuses_a_transaction_and_a_long_hash(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_pin p = pin_of("r", "q", 1, PLAN_A, "a", 1, "{}");
	struct store_pin bad = pin_of("r", "q2", 1, PLAN_A "0", "a", 1, "{}");
	int inserted = 7;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_put_pin(st, &p, &inserted, &err), SHARD_EENV);
	assert_int_equal(inserted, 0);
	assert_non_null(strstr(err.msg, "transaction"));
	assert_non_null(strstr(err.msg, f->where));
	assert_int_equal(store_rollback(st, &err), 0);
	shard_error_clear(&err);
	inserted = 7;
	assert_int_equal(store_put_pin(st, &bad, &inserted, &err),
			 SHARD_EINPUT);
	assert_int_equal(inserted, 0);
	assert_non_null(strstr(err.msg, "plan hash"));
	assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 0);
	/* the store goes on */
	assert_int_equal(put_pin(st, &p), 1);
}

static void put_pin_fails_on_a_read_only_store(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options ro = { 0, 1, 0 };
	struct store_pin p = pin_of("r", "q", 1, PLAN_A, "a", 1, "{}");
	int inserted = 7;

	open_store(f, 0);
	close_store(f);
	assert_int_equal(store_open(f->path, &ro, &f->st, &err), 0);
	assert_int_equal(store_put_pin(f->st, &p, &inserted, &err), SHARD_EENV);
	assert_int_equal(inserted, 0);
	assert_non_null(strstr(err.msg, f->where));
	assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 0);
}

static void prune_keeps_the_pins_of_the_runs_pinned_last(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	/* c and d pinned at the same instant: d, stored later, is newer */
	struct store_pin pins[] = {
		pin_of("a", "q1", 100, PLAN_A, "1", 1, "{}"),
		pin_of("b", "q1", 200, PLAN_A, "2", 1, "{}"),
		pin_of("c", "q1", 300, PLAN_A, "3", 1, "{}"),
		pin_of("a", "q2", 400, PLAN_A, "4", 1, "{}"),
		pin_of("d", "q1", 300, PLAN_A, "5", 1, "{}"),
		pin_of("e", "q1", 50, PLAN_A, "6", 1, "{}"),
	};
	struct strbuf rows = STRBUF_INIT, a = STRBUF_INIT, meta = STRBUF_INIT;
	struct store_prune_stats ps;
	char hash[65];

	record_five_runs(st);
	for (size_t i = 0; i < sizeof(pins) / sizeof(*pins); i++)
		assert_int_equal(put_pin(st, &pins[i]), 1);
	assert_int_equal(store_prune(st, 5, &ps, &err), 0);
	assert_pruned(&ps, 0, 0, 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 6);

	assert_int_equal(store_prune(st, 2, &ps, &err), 0);
	/* pins are not counted among the runs, results or tests */
	assert_pruned(&ps, 3, 8, 4);
	query_rows(f, "SELECT run, request FROM pins ORDER BY run, request",
		   &rows);
	assert_string_equal(rows.buf, "a q1\na q2\nd q1\n");
	assert_int_equal(get_pin(st, &pins[0], hash, &a, &meta), 1);
	assert_string_equal(a.buf, "1");
	assert_int_equal(get_pin(st, &pins[2], hash, &a, &meta), 0);

	assert_int_equal(store_prune(st, 1, &ps, &err), 0);
	strbuf_reset(&rows);
	query_rows(f, "SELECT run, request FROM pins ORDER BY run, request",
		   &rows);
	assert_string_equal(rows.buf, "a q1\na q2\n");
	strbuf_release(&rows);
	strbuf_release(&a);
	strbuf_release(&meta);
}

/* A child's pin: request "q" of run "r", its meta naming the child. */
static struct store_pin child_pin(char meta[32], int child)
{
	snprintf(meta, 32, "child-%d", child);
	return pin_of("r", "q", 2, "child-hash", meta, strlen(meta), meta);
}

/* In a child: put a pin; exit 10 + inserted, 1 on error. */
static int child_put_pin(const char *location, int child, int start_fd)
{
	struct store_options opt = { 0, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = NULL;
	char meta[32], go;
	struct store_pin p = child_pin(meta, child);
	int inserted = 0;

	if (!store_open(location, &opt, &st, &err) && st &&
	    (start_fd < 0 || read(start_fd, &go, 1) >= 0))
		store_put_pin(st, &p, &inserted, &err);
	if (err.code || !st)
		fprintf(stderr, "child %d: %s\n", child, err.msg);
	store_close(st);
	return err.code || !st ? 1 : 10 + inserted;
}

static int exit_code(pid_t pid)
{
	int status = 0;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * A pin of the same key under way in another connection (inserted, not
 * yet committed): put_pin waits for it, then leaves it and says so; when
 * that one rolls back instead, put_pin's pin is the one. The child is
 * forked before the parent opens SQLite (no connection may cross a fork:
 * the child would inherit its locks) and starts when the pin is under
 * way.
 */
static void put_pin_waits_for_the_same_pin_under_way(void **state)
{
	struct fixture *f = *state;
	const struct timespec pause = { 0, 500 * 1000 * 1000 };
	const char *insert =
		f->be == SQLITE ? "INSERT INTO pins(run, list_digest, request,"
				  " created_at, plan_hash, assignment, meta)"
				  " VALUES('r', '" LIST_A "', 'q', 1, 'other',"
				  " X'00ff', 'other')"
				: "INSERT INTO pins(run, list_digest, request,"
				  " created_at, plan_hash, assignment, meta)"
				  " VALUES('r', '" LIST_A "', 'q', 1, 'other',"
				  " decode('00ff', 'hex'), 'other')";
	struct strbuf a = STRBUF_INIT, meta = STRBUF_INIT;
	char hash[65], m[32];
	struct store_pin key;
	int fds[2], status = 0;
	pid_t pid;

	open_store(f, 0);
	for (int round = 0; round < 2; round++) {
		close_store(f);
		sqlite3_close(f->db);
		f->db = NULL;
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			close(fds[1]);
			_exit(child_put_pin(f->path, round, fds[0]));
		}
		close(fds[0]);
		exec_direct(f, "BEGIN");
		exec_direct(f, insert);
		assert_int_equal(write(fds[1], "g", 1), 1);
		close(fds[1]);
		nanosleep(&pause, NULL);
		/* still waiting for the other connection */
		assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
		exec_direct(f, round ? "ROLLBACK" : "COMMIT");
		/* 10: not inserted, after the commit; 11: inserted */
		assert_int_equal(exit_code(pid), 10 + round);
		key = child_pin(m, round);
		assert_int_equal(get_pin(open_store(f, 0), &key, hash, &a,
					 &meta),
				 1);
		assert_string_equal(meta.buf, round ? "child-1" : "other");
		assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 1);
		exec_direct(f, "DELETE FROM pins");
	}
	strbuf_release(&a);
	strbuf_release(&meta);
}

/* Processes pinning one key at once: exactly one inserts, its pin stays. */
static void concurrent_put_pin_inserts_exactly_once(void **state)
{
	struct fixture *f = *state;
	struct strbuf a = STRBUF_INIT, meta = STRBUF_INIT;
	enum { N = 6 };
	pid_t pids[N];
	int fds[2], winner = -1, inserted = 0;
	char hash[65], m[32];
	struct store_pin key;

	open_store(f, 0);
	assert_int_equal(pipe(fds), 0);
	for (int c = 0; c < N; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (!pids[c]) {
			close(fds[1]);
			_exit(child_put_pin(f->path, c, fds[0]));
		}
	}
	/* closing the pipe starts them all at once (read gives 0) */
	close(fds[0]);
	close(fds[1]);
	for (int c = 0; c < N; c++) {
		int code = exit_code(pids[c]);

		assert_true(code == 10 || code == 11);
		if (code == 11) {
			inserted++;
			winner = c;
		}
	}
	assert_int_equal(inserted, 1);
	key = child_pin(m, 0);
	assert_int_equal(get_pin(f->st, &key, hash, &a, &meta), 1);
	snprintf(m, sizeof(m), "child-%d", winner);
	assert_string_equal(meta.buf, m);
	assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 1);
	strbuf_release(&a);
	strbuf_release(&meta);
}

/*
 * A history of schema version 1 (before pins): made from the current
 * schema by taking away what version 2 added, and setting its version.
 */
static void make_version_1(struct fixture *f)
{
	exec_direct(f, "DROP TABLE pins");
	exec_direct(f, "ALTER TABLE shards DROP COLUMN plan_hash");
	exec_direct(f, "ALTER TABLE shards DROP COLUMN list_digest");
	set_version(f, 1);
	if (f->be == SQLITE) { /* let the store see the file as it is now */
		sqlite3_close(f->db);
		f->db = NULL;
	}
}

static void a_version_1_history_upgrades_in_place(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options ro = { 0, 1, 0 };
	struct store *st = open_store(f, 0);
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	struct strbuf by_run = STRBUF_INIT, by_walk = STRBUF_INIT;
	struct store_shard planned = {
		0, 1, 1, 2, 1, 1, NULL, 1, PLAN_A, LIST_A
	};
	struct store_pin p = pin_of("r1", "q", 1, PLAN_A, "\0x", 2, "{}");
	double shared = 0;
	int64_t run_id = 0;

	assert_true(schema_version(f) >= 2);
	record_five_runs(st);
	walk_all(st, &before);
	shared = estimate_of(st, "shared").seconds;
	close_store(f);
	make_version_1(f);
	assert_int_equal(table_count(f, "pins"), 0);
	assert_int_equal(query_int(f, version_sql(f)), 1);

	/* read-only, it cannot upgrade: refused, and left as it was */
	assert_int_equal(store_open(f->path, &ro, &f->st, &err), SHARD_EENV);
	assert_null(f->st);
	assert_non_null(strstr(err.msg, "version 1 is older"));
	assert_non_null(strstr(err.msg, f->where));
	assert_int_equal(query_int(f, version_sql(f)), 1);

	/* written to, it upgrades with nothing lost */
	st = open_store(f, 0);
	assert_int_equal(query_int(f, version_sql(f)), schema_version(f));
	assert_int_equal(table_count(f, "pins"), 1);
	walk_all(st, &after);
	assert_string_equal(after.buf, before.buf);
	assert_true(estimate_of(st, "shared").seconds == shared);
	assert_int_equal(query_int(f, "SELECT count(*) FROM results"), 12);

	/* and takes what version 2 keeps */
	assert_int_equal(put_pin(st, &p), 1);
	run_id = query_int(f, "SELECT id FROM runs WHERE run_key = 'r1'");
	assert_int_equal(store_add_shard(st, run_id, &planned, &err), 0);
	run_shard_lines(st, run_id, &by_run, &by_walk);
	assert_string_equal(by_walk.buf, "0/1 1 - " PLAN_A " " LIST_A "\n");
	strbuf_release(&before);
	strbuf_release(&after);
	strbuf_release(&by_run);
	strbuf_release(&by_walk);
}

/*
 * A shard row's plan_hash and list_digest travel through export and
 * import, across backends: SQLite -> JSON -> PostgreSQL -> JSON -> SQLite
 * gives the same JSON each time. Pins stay behind.
 */

static void export_to(struct store *st, struct strbuf *out)
{
	struct shard_error err = SHARD_ERROR_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	if (history_export(st, fp, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(fclose(fp), 0);
	strbuf_add(out, buf, len);
	free(buf);
}

static void import_into(struct store *st, const struct strbuf *json)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct history_counts added;

	if (history_import(st, json->buf, json->len, "test.json", &added, &err))
		fail_msg("%s", err.msg);
}

static struct store *open_sqlite_at(const char *path)
{
	struct store_options opt = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = NULL;

	if (store_open(path, &opt, &st, &err))
		fail_msg("%s", err.msg);
	assert_non_null(st);
	return st;
}

static void export_import_carries_shard_plans_across_backends(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/shard-store-XXXXXX", a_db[64], e_db[64], hash[65];
	struct strbuf ja = STRBUF_INIT, jp = STRBUF_INIT, je = STRBUF_INIT;
	struct strbuf walked = STRBUF_INIT, x = STRBUF_INIT, y = STRBUF_INIT;
	struct store_pin p = pin_of("late", "q", 1, PLAN_A, "pin", 3, "{}");
	struct store *a, *e;

	assert_non_null(mkdtemp(dir));
	snprintf(a_db, sizeof(a_db), "%s/a.db", dir);
	snprintf(e_db, sizeof(e_db), "%s/e.db", dir);
	a = open_sqlite_at(a_db);
	record_three_runs(a);
	assert_int_equal(put_pin(a, &p), 1);
	export_to(a, &ja);
	store_close(a);
	assert_non_null(strstr(ja.buf, "\"attempt\":1,\"plan_hash\":\"" PLAN_A
				       "\",\"list_digest\":\"" LIST_A "\"}"));
	/* unknown ones are left out, not written as null */
	assert_non_null(strstr(ja.buf, "\"host\":\"h0\",\"attempt\":2}"));
	assert_null(strstr(ja.buf, "\"plan_hash\":null"));
	assert_null(strstr(ja.buf, "pin"));

	import_into(open_store(f, 0), &ja);
	export_to(f->st, &jp);
	assert_string_equal(jp.buf, ja.buf);

	e = open_sqlite_at(e_db);
	import_into(e, &jp);
	export_to(e, &je);
	assert_string_equal(je.buf, ja.buf);
	walk_all(e, &walked);
	assert_string_equal(walked.buf, three_runs_walked);
	{
		int found = 1;
		struct shard_error err = SHARD_ERROR_INIT;

		assert_int_equal(store_get_pin(e, &p, hash, &x, &y, &found,
					       &err),
				 0);
		assert_int_equal(found, 0);
	}
	store_close(e);
	assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 0);
	assert_int_equal(tmpdir_remove(dir), 0);
	strbuf_release(&ja);
	strbuf_release(&jp);
	strbuf_release(&je);
	strbuf_release(&walked);
	strbuf_release(&x);
	strbuf_release(&y);
}

/* history_merge (pull, push) carries them too, into either backend. */
static void merge_carries_shard_plans_but_not_pins(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	char dir[] = "/tmp/shard-store-XXXXXX", from_db[64], hash[65];
	struct store_pin p = pin_of("late", "q", 1, PLAN_A, "pin", 3, "{}");
	struct strbuf walked = STRBUF_INIT, x = STRBUF_INIT, y = STRBUF_INIT;
	struct history_counts added;
	struct store *from;

	assert_non_null(mkdtemp(dir));
	snprintf(from_db, sizeof(from_db), "%s/from.db", dir);
	from = open_sqlite_at(from_db);
	record_three_runs(from);
	assert_int_equal(put_pin(from, &p), 1);
	if (history_merge(from, open_store(f, 0), &added, &err))
		fail_msg("%s", err.msg);
	store_close(from);
	walk_all(f->st, &walked);
	assert_string_equal(walked.buf, three_runs_walked);
	assert_int_equal(get_pin(f->st, &p, hash, &x, &y), 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM pins"), 0);
	assert_int_equal(tmpdir_remove(dir), 0);
	strbuf_release(&walked);
	strbuf_release(&x);
	strbuf_release(&y);
}

/* An export from before plan_hash and list_digest imports as before. */
static void an_export_without_shard_plans_imports(void **state)
{
	struct fixture *f = *state;
	struct strbuf json = STRBUF_INIT, out = STRBUF_INIT;

	strbuf_addstr(&json, "{\"shard_history\":1,\"tests\":[],\"files\":[],"
			     "\"runs\":[{\"run_key\":\"old\",\"started_at\":5,"
			     "\"commit\":null,\"branch\":null,\"ci\":null,"
			     "\"sources\":[],\"shards\":["
			     "{\"index\":0,\"total\":2,\"predicted\":1,"
			     "\"actual\":null,\"host\":\"h\",\"attempt\":1},"
			     "{\"index\":1,\"total\":2,\"predicted\":null,"
			     "\"actual\":2,\"host\":null,\"attempt\":1,"
			     "\"plan_hash\":null,\"list_digest\":\"L\"}]}]}");
	import_into(open_store(f, 0), &json);
	walk_all(f->st, &out);
	assert_string_equal(out.buf, "run old 5 - - -\n"
				     "  shard 0/2 1 - h 1 - -\n"
				     "  shard 1/2 - 2 - 1 - L\n");
	strbuf_release(&json);
	strbuf_release(&out);
}

/* Run keys, results and estimates as the filtered walks hand them over. */
struct filtered {
	struct strbuf out;
	size_t n;
	double sum;
	int bad_hash; /* a key whose key_hash is not identity_hash(key) */
	int text;     /* STORE_ESTIMATE_HASH handed over a key or file */
};

static int filtered_run(void *data, int64_t run_id, const struct store_run *run)
{
	struct filtered *x = data;

	(void)run_id;
	strbuf_addf(&x->out, "%s ", run->run_key);
	return 0;
}

static int filtered_result(void *data, const struct store_result *r)
{
	struct filtered *x = data;

	strbuf_addf(&x->out, "%s:%s ", r->key, junit_outcome_name(r->outcome));
	return 0;
}

static int filtered_estimate(void *data, const struct store_estimate *e)
{
	struct filtered *x = data;

	x->n++;
	x->sum += e->seconds;
	if (e->key && e->key_hash != identity_hash(e->key, strlen(e->key)))
		x->bad_hash = 1;
	if (e->key || e->file || e->parent_key || e->samples)
		x->text = 1;
	return 0;
}

static int first_run(void *data, int64_t run_id, const struct store_run *run)
{
	(void)run;
	*(int64_t *)data = run_id;
	return 1;
}

static int first_source(void *data, int64_t source_id, const char *digest,
			const char *name)
{
	(void)digest, (void)name;
	*(int64_t *)data = source_id;
	return 1;
}

static void walks_take_their_filter(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct filtered all = { .out = STRBUF_INIT },
			hash = { .out = STRBUF_INIT };
	struct filtered by_run = { .out = STRBUF_INIT };
	struct filtered by_source = { .out = STRBUF_INIT };
	int64_t run_id = 0, source_id = 0;

	record_five_runs(st);
	/* started_at 10, 40, 30, 20, 40: newest first, later id first */
	assert_int_equal(store_each_run(st, 2, filtered_run, &all, &err), 0);
	assert_string_equal(all.out.buf, "r5 r2 ");
	strbuf_reset(&all.out);
	assert_int_equal(store_each_run(st, 0, filtered_run, &all, &err), 0);
	assert_string_equal(all.out.buf, "r1 r4 r3 r2 r5 ");
	assert_int_equal(store_each_run(st, 9, filtered_run, &hash, &err), 0);
	assert_string_equal(hash.out.buf, "r5 r2 r3 r4 r1 ");

	/* the oldest run, r1: one source of four results */
	assert_int_equal(store_each_run(st, 0, first_run, &run_id, &err), 1);
	assert_int_equal(store_each_source(st, run_id, first_source, &source_id,
					   &err),
			 1);
	assert_int_equal(store_each_result(st, STORE_RESULTS_OF_RUN, run_id,
					   filtered_result, &by_run, &err),
			 0);
	assert_int_equal(store_each_result(st, STORE_RESULTS_OF_SOURCE,
					   source_id, filtered_result,
					   &by_source, &err),
			 0);
	/* a source's in recording order; a run's by source then attempt */
	assert_string_equal(by_source.out.buf,
			    "shared:passed own.r1:passed old.only:failed "
			    "old.only:passed ");
	assert_int_equal(by_run.out.len, by_source.out.len);
	assert_non_null(strstr(by_run.out.buf, "shared:passed "));
	assert_non_null(strstr(by_run.out.buf, "own.r1:passed "));
	assert_non_null(strstr(by_run.out.buf, "old.only:failed "));
	assert_true(strstr(by_run.out.buf, "old.only:failed ") <
		    strstr(by_run.out.buf, "old.only:passed "));
	/* a source id is no run id: r1's source is not run 2 */
	strbuf_reset(&by_run.out);
	assert_int_equal(store_each_result(st, STORE_RESULTS_OF_RUN, run_id + 1,
					   filtered_result, &by_run, &err),
			 0);
	assert_string_not_equal(by_run.out.buf, by_source.out.buf);

	all.n = 0;
	assert_int_equal(store_each_estimate(st, STORE_ESTIMATE_ALL,
					     filtered_estimate, &all, &err),
			 0);
	assert_int_equal(store_each_estimate(st, STORE_ESTIMATE_HASH,
					     filtered_estimate, &hash, &err),
			 0);
	assert_int_equal(all.n, 7); /* shared, old.only, own.r1..r5 */
	assert_int_equal(hash.n, all.n);
	assert_true(hash.sum == all.sum);
	assert_false(all.bad_hash);
	assert_true(all.text);
	assert_false(hash.text);
	strbuf_release(&all.out);
	strbuf_release(&hash.out);
	strbuf_release(&by_run.out);
	strbuf_release(&by_source.out);
}

/* Prune counts every table it deletes from, each under its own name. */
static void prune_counts_each_table_by_name(void **state)
{
	struct fixture *f = *state;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = open_store(f, 0);
	struct store_prune_stats ps;

	record_five_runs(st);
	memset(&ps, 0x55, sizeof(ps));
	assert_int_equal(store_prune(st, 2, &ps, &err), 0);
	assert_int_equal(ps.runs, 3);
	assert_int_equal(ps.sources, 3);
	assert_int_equal(ps.results, 8);
	assert_int_equal(ps.shards, 3);
	assert_int_equal(ps.tests, 4);
	assert_int_equal(ps.files, 1); /* r1.py: no kept test names it */
	assert_int_equal(ps.pins, 0);
	memset(&ps, 0x55, sizeof(ps));
	assert_int_equal(store_prune(st, 2, &ps, &err), 0);
	assert_int_equal(ps.runs + ps.sources + ps.results + ps.shards +
				 ps.tests + ps.files + ps.pins,
			 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_sqlite, teardown)
#define P(name) cmocka_unit_test_setup_teardown(name, setup_pg, teardown)
/* The behaviour both backends share. */
#define BOTH(X) \
	X(store_creates_the_schema_at_its_version), \
		X(store_refuses_a_newer_schema), \
		X(store_refuses_a_newer_schema_in_a_fresh_history), \
		X(add_run_finds_an_existing_run_by_key), \
		X(find_run_finds_without_creating), \
		X(add_source_returns_one_for_a_digest_seen_in_the_run), \
		X(add_result_keeps_the_median_estimate_current), \
		X(only_timed_passes_and_failures_are_samples), \
		X(window_keeps_the_newest_samples), \
		X(window_applies_within_one_transaction), \
		X(estimates_match_estimate_value_for_every_method), \
		X(rollback_discards_everything_since_begin), \
		X(attempts_are_numbered_per_key_within_a_source), \
		X(results_keep_a_tests_file_and_parent), \
		X(file_sums_leave_out_subtests_of_known_parents), \
		X(file_overhead_is_the_estimate_of_its_samples), \
		X(add_shard_merges_predicted_and_actual), \
		X(readonly_store_reads_estimates), \
		X(readers_go_through_many_rows_and_stop_when_asked), \
		X(concurrent_ingests_of_the_same_tests_lose_nothing), \
		X(lifecycle_walks_come_in_the_documented_orders), \
		X(a_walk_stops_where_its_callback_says_and_can_start_again), \
		X(a_nested_walk_reads_sources_of_many_results), \
		X(put_test_creates_then_keeps_or_replaces), \
		X(put_test_key_hash_is_what_planning_reads), \
		X(put_test_after_results_replaces_their_window), \
		X(put_file_creates_then_keeps_or_replaces), \
		X(prune_keeps_the_most_recent_runs_and_what_they_saw), \
		X(prune_refuses_to_run_inside_a_transaction), \
		X(prune_counts_each_table_by_name), \
		X(walks_take_their_filter), \
		X(add_shard_keeps_a_plan_hash_and_list_digest), \
		X(pin_is_inserted_once_and_found_by_its_key), \
		X(pin_assignment_keeps_every_byte), \
		X(pin_of_megabytes_comes_back_whole), \
		X(put_pin_refuses_a_transaction_and_a_long_hash), \
		X(put_pin_fails_on_a_read_only_store), \
		X(prune_keeps_the_pins_of_the_runs_pinned_last), \
		X(put_pin_waits_for_the_same_pin_under_way), \
		X(concurrent_put_pin_inserts_exactly_once), \
		X(a_version_1_history_upgrades_in_place), \
		X(merge_carries_shard_plans_but_not_pins), \
		X(an_export_without_shard_plans_imports)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		BOTH(T),
		T(store_creates_missing_parent_directories),
		T(store_without_create_gives_null_for_a_missing_file),
		T(store_refuses_a_file_that_is_not_a_database),
		T(store_refuses_http_locations_as_input_errors),
		T(store_refuses_a_bad_postgres_url_without_its_password),
	};
	const struct CMUnitTest pg_tests[] = {
		BOTH(P),
		P(store_without_create_gives_null_without_a_schema),
		P(store_names_a_missing_database_without_the_password),
		P(prune_waits_for_a_write_under_way),
		P(import_waits_for_an_ingest_under_way),
		P(export_import_carries_shard_plans_across_backends),
	};
	int failed;

	/*
	 * A child that dies early must fail a test, not kill this process
	 * with SIGPIPE and the buffered report with it.
	 */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	failed =
		cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);

	if (!getenv("SHARD_TEST_PG")) {
		fprintf(stderr,
			"\n*** SHARD_TEST_PG is not set: the PostgreSQL"
			" store tests did NOT run. `make check` starts a"
			" server for them (tests/run-tests), or set it to a"
			" superuser URL (ci/pg-start DIR prints one). ***\n\n");
		return failed;
	}
	return failed +
	       cmocka_run_group_tests_name("postgres", pg_tests, NULL, NULL);
}
