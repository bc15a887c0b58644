/*
 * The SQLite history store: the embedded default. WAL mode and a busy
 * timeout let two `shard ingest` processes write one file at once (the
 * second waits for the first's transaction). Estimates are kept current
 * inside the upsert of each result by two SQL functions registered here
 * (shard_push, shard_estimate), so ingest costs two statements per
 * testcase and planning reads one row per test.
 */
#include "shard/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "shard/identity.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

/* The longest plan hash get_pin can give back: its char[65]. */
#define PIN_HASH_MAX 64

enum stmt_id {
	ST_FIND_RUN,
	ST_ADD_RUN,
	ST_FIND_SOURCE,
	ST_ADD_SOURCE,
	ST_UPSERT_TEST,
	ST_ADD_RESULT,
	ST_ADD_SHARD,
	ST_ADD_OVERHEAD,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_FIND_RUN] = "SELECT id FROM runs WHERE run_key = ?1",
	[ST_ADD_RUN] =
		"INSERT INTO runs(run_key, started_at, commit_sha, branch, ci,"
		" ingested_at) VALUES(?1, ?2, ?3, ?4, ?5, ?2)",
	[ST_FIND_SOURCE] =
		"SELECT id FROM sources WHERE run_id = ?1 AND digest = ?2",
	[ST_ADD_SOURCE] =
		"INSERT INTO sources(run_id, digest, name) VALUES(?1, ?2, ?3)",
	[ST_UPSERT_TEST] =
		"INSERT INTO tests(key, file, parent_key, samples, estimate,"
		" sample_count, first_run, last_run, last_source, last_attempt,"
		" key_hash)"
		" VALUES(?1, ?2, ?3, shard_push(NULL, ?4, ?5),"
		" shard_estimate(shard_push(NULL, ?4, ?5), ?6),"
		" ?4 IS NOT NULL, ?7, ?7, ?8, 1, ?9)"
		" ON CONFLICT(key) DO UPDATE SET"
		" file = coalesce(excluded.file, tests.file),"
		" parent_key = coalesce(excluded.parent_key, tests.parent_key),"
		" samples = shard_push(tests.samples, ?4, ?5),"
		" estimate = coalesce(shard_estimate("
		"shard_push(tests.samples, ?4, ?5), ?6), tests.estimate),"
		" sample_count = tests.sample_count + (?4 IS NOT NULL),"
		" last_run = ?7,"
		" last_attempt = CASE WHEN tests.last_source = ?8"
		" THEN tests.last_attempt + 1 ELSE 1 END,"
		" last_source = ?8"
		" RETURNING id, last_attempt",
	[ST_ADD_RESULT] =
		"INSERT INTO results(run_id, source_id, test_id, attempt,"
		" outcome, seconds, shard) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_ADD_SHARD] =
		"INSERT INTO shards(run_id, shard_index, shard_total, predicted,"
		" actual, host, attempt, plan_hash, list_digest)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT(run_id, shard_index, attempt) DO UPDATE SET"
		" shard_total = excluded.shard_total,"
		" predicted = coalesce(excluded.predicted, shards.predicted),"
		" actual = coalesce(excluded.actual, shards.actual),"
		" host = coalesce(excluded.host, shards.host),"
		" plan_hash = coalesce(excluded.plan_hash, shards.plan_hash),"
		" list_digest = coalesce(excluded.list_digest,"
		" shards.list_digest)",
	[ST_ADD_OVERHEAD] =
		"INSERT INTO files(file, samples, overhead)"
		" VALUES(?1, shard_push(NULL, ?2, ?3),"
		" shard_estimate(shard_push(NULL, ?2, ?3), ?4))"
		" ON CONFLICT(file) DO UPDATE SET"
		" samples = shard_push(files.samples, ?2, ?3),"
		" overhead = shard_estimate(shard_push(files.samples, ?2, ?3), ?4)",
};

/* Each entry upgrades the schema by one version (PRAGMA user_version). */
static const char *const migrations[] = {
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" run_key TEXT NOT NULL UNIQUE,"
	" started_at REAL, commit_sha TEXT, branch TEXT, ci TEXT,"
	" ingested_at REAL);"
	"CREATE TABLE sources("
	" id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" digest TEXT NOT NULL, name TEXT,"
	" UNIQUE(run_id, digest));"
	"CREATE TABLE tests("
	" id INTEGER PRIMARY KEY,"
	" key TEXT NOT NULL UNIQUE,"
	" key_hash INTEGER NOT NULL," /* identity_hash(key), for planning */
	" file TEXT, parent_key TEXT,"
	" samples BLOB, estimate REAL,"
	" sample_count INTEGER NOT NULL DEFAULT 0,"
	" first_run INTEGER, last_run INTEGER,"
	" last_source INTEGER, last_attempt INTEGER);"
	"CREATE TABLE results("
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" source_id INTEGER NOT NULL REFERENCES sources(id),"
	" test_id INTEGER NOT NULL REFERENCES tests(id),"
	" attempt INTEGER NOT NULL,"
	" outcome TEXT NOT NULL,"
	" seconds REAL, shard INTEGER);"
	"CREATE INDEX results_by_run ON results(run_id);"
	"CREATE TABLE shards("
	" run_id INTEGER NOT NULL REFERENCES runs(id),"
	" shard_index INTEGER NOT NULL, shard_total INTEGER,"
	" predicted REAL, actual REAL, host TEXT,"
	" attempt INTEGER NOT NULL DEFAULT 1,"
	" PRIMARY KEY(run_id, shard_index, attempt));"
	"CREATE TABLE files("
	" file TEXT PRIMARY KEY, samples BLOB, overhead REAL) WITHOUT ROWID;",
	/*
	 * 2: plan pins (pin.h), and each shard's plan and list. A pin's
	 * assignment can be megabytes: a rowid table, not WITHOUT ROWID,
	 * whose rows are best kept small.
	 */
	"CREATE TABLE pins("
	" id INTEGER PRIMARY KEY,"
	" run TEXT NOT NULL, list_digest TEXT NOT NULL, request TEXT NOT NULL,"
	" created_at REAL, plan_hash TEXT NOT NULL,"
	" assignment BLOB NOT NULL, meta TEXT,"
	" UNIQUE(run, list_digest, request));"
	"ALTER TABLE shards ADD COLUMN plan_hash TEXT;"
	"ALTER TABLE shards ADD COLUMN list_digest TEXT;",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(*migrations)))

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST__COUNT];
};

void store_sqlite_global_init(void)
{
	/*
	 * Keep statement journals in memory with small chunks: by default
	 * each upsert inside a transaction allocates a 64 KiB chunk that is
	 * freed at reset, and glibc trims and regrows its heap for every
	 * testcase ingested (37 s instead of 8 s for a million).
	 */
	sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, -1);
	sqlite3_initialize();
}

int store_sqlite_schema_version(void)
{
	return SCHEMA_VERSION;
}

const char *store_sqlite_library_version(void)
{
	return sqlite3_libversion();
}

/*
 * A damaged or foreign file is the input's fault (exit 2) and says so;
 * anything else (locks, I/O, a full disk) is the environment's.
 */
static int db_error(struct sqlite_store *s, struct shard_error *err,
		    const char *what)
{
	int rc = sqlite3_errcode(s->db);

	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: the history is "
				       "damaged or not a shard history (%s: "
				       "%s): restore it from a copy, or move "
				       "it away to start anew",
				       s->path, what, sqlite3_errmsg(s->db));
	return shard_error_set(err, SHARD_EENV, "%s: %s: %s", s->path, what,
			       sqlite3_errmsg(s->db));
}

static int exec(struct sqlite_store *s, const char *sql,
		struct shard_error *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, sql);
	return 0;
}

/* shard_push(samples BLOB, seconds REAL, window INT) -> BLOB */
static void fn_push(sqlite3_context *c, int argc, sqlite3_value **v)
{
	unsigned char out[ESTIMATE_SAMPLE_BYTES * ESTIMATE_WINDOW_MAX];
	const void *blob = sqlite3_value_blob(v[0]);
	size_t len = blob ? (size_t)sqlite3_value_bytes(v[0]) : 0;

	(void)argc;
	if (sqlite3_value_type(v[1]) == SQLITE_NULL) {
		if (blob)
			sqlite3_result_blob(c, blob, (int)len,
					    SQLITE_TRANSIENT);
		else
			sqlite3_result_null(c);
		return;
	}
	len = estimate_push(blob, len, sqlite3_value_double(v[1]),
			    (size_t)sqlite3_value_int(v[2]), out);
	sqlite3_result_blob(c, out, (int)len, SQLITE_TRANSIENT);
}

/* shard_estimate(samples BLOB, method INT) -> REAL or NULL */
static void fn_estimate(sqlite3_context *c, int argc, sqlite3_value **v)
{
	double samples[ESTIMATE_WINDOW_MAX];
	const void *blob = sqlite3_value_blob(v[0]);
	size_t n;

	(void)argc;
	if (!blob) {
		sqlite3_result_null(c);
		return;
	}
	n = estimate_decode(blob, (size_t)sqlite3_value_bytes(v[0]), samples,
			    ESTIMATE_WINDOW_MAX);
	if (!n)
		sqlite3_result_null(c);
	else
		sqlite3_result_double(c,
				      estimate_value((enum estimate_method)
							     sqlite3_value_int(
								     v[1]),
						     samples, n));
}

static int user_version(struct sqlite_store *s, int *out,
			struct shard_error *err)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW)
		r = db_error(s, err, "reading the schema version");
	else
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return r;
}

static int migrate(struct sqlite_store *s, struct shard_error *err)
{
	int version = 0;
	char sql[64];

	if (user_version(s, &version, err))
		return err->code;
	if (version == SCHEMA_VERSION)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE", err))
		return err->code;
	if (user_version(s, &version, err))
		goto fail;
	if (version > SCHEMA_VERSION) {
		shard_error_set(err, SHARD_EENV,
				"%s: history schema version %d is newer than "
				"this shard understands (%d): upgrade shard",
				s->path, version, SCHEMA_VERSION);
		goto fail;
	}
	for (; version < SCHEMA_VERSION; version++)
		if (exec(s, migrations[version], err))
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (exec(s, sql, err) || exec(s, "COMMIT", err))
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err->code;
}

/* Read-only: the schema must be this binary's, for it cannot migrate. */
static int check_version(struct sqlite_store *s, struct shard_error *err)
{
	int version = 0;

	if (user_version(s, &version, err))
		return err->code;
	if (version > SCHEMA_VERSION)
		return shard_error_set(err, SHARD_EENV,
				       "%s: history schema version %d is newer "
				       "than this shard understands (%d): "
				       "upgrade shard",
				       s->path, version, SCHEMA_VERSION);
	if (version < SCHEMA_VERSION)
		return shard_error_set(err, SHARD_EENV,
				       "%s: history schema version %d is older "
				       "than this shard's (%d); write to it "
				       "once (shard ingest) to upgrade it",
				       s->path, version, SCHEMA_VERSION);
	return 0;
}

static int prepare_all(struct sqlite_store *s, struct shard_error *err)
{
	for (int i = 0; i < ST__COUNT; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
				       NULL) != SQLITE_OK)
			return db_error(s, err, "preparing statements");
	return 0;
}

static int register_functions(struct sqlite_store *s, struct shard_error *err)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;

	if (sqlite3_create_function(s->db, "shard_push", 3, flags, NULL,
				    fn_push, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(s->db, "shard_estimate", 2, flags, NULL,
				    fn_estimate, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "registering functions");
	return 0;
}

static struct sqlite_store *to_sqlite(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* Run a prepared statement to completion; SQLITE_ROW is not expected. */
static int step_done(struct sqlite_store *s, sqlite3_stmt *st,
		     struct shard_error *err, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(s, err, what);
	return 0;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int s_begin(struct store *base, struct shard_error *err)
{
	return exec(to_sqlite(base), "BEGIN IMMEDIATE", err);
}

static int s_commit(struct store *base, struct shard_error *err)
{
	return exec(to_sqlite(base), "COMMIT", err);
}

static int s_rollback(struct store *base, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);

	if (sqlite3_get_autocommit(s->db))
		return 0;
	return exec(s, "ROLLBACK", err);
}

/* Look up one id by a statement with text/int params already bound. */
static int find_id(struct sqlite_store *s, sqlite3_stmt *st, int64_t *id,
		   struct shard_error *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, err, "lookup");
	return rc == SQLITE_ROW;
}

static int s_find_run(struct store *base, const char *run_key, int64_t *run_id,
		      struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *find = s->stmt[ST_FIND_RUN];

	sqlite3_bind_text(find, 1, run_key, -1, SQLITE_STATIC);
	return find_id(s, find, run_id, err);
}

static int s_add_run(struct store *base, const struct store_run *run,
		     int64_t *run_id, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *find = s->stmt[ST_FIND_RUN], *add = s->stmt[ST_ADD_RUN];
	int r;

	sqlite3_bind_text(find, 1, run->run_key, -1, SQLITE_STATIC);
	r = find_id(s, find, run_id, err);
	if (r)
		return r < 0 ? r : 0;
	sqlite3_bind_text(add, 1, run->run_key, -1, SQLITE_STATIC);
	sqlite3_bind_double(add, 2, run->started_at);
	bind_text_or_null(add, 3, run->commit);
	bind_text_or_null(add, 4, run->branch);
	bind_text_or_null(add, 5, run->ci);
	if (step_done(s, add, err, "adding a run"))
		return err->code;
	*run_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int s_add_source(struct store *base, int64_t run_id, const char *digest,
			const char *name, int64_t *source_id,
			struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *find = s->stmt[ST_FIND_SOURCE];
	sqlite3_stmt *add = s->stmt[ST_ADD_SOURCE];
	int r;

	sqlite3_bind_int64(find, 1, run_id);
	sqlite3_bind_text(find, 2, digest, -1, SQLITE_STATIC);
	r = find_id(s, find, source_id, err);
	if (r)
		return r;
	sqlite3_bind_int64(add, 1, run_id);
	sqlite3_bind_text(add, 2, digest, -1, SQLITE_STATIC);
	bind_text_or_null(add, 3, name);
	if (step_done(s, add, err, "adding a source"))
		return err->code;
	*source_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Returns the test's id and the attempt: its count within the source. */
static int upsert_test(struct sqlite_store *s, int64_t run_id,
		       int64_t source_id, const struct store_result *r,
		       int64_t *test_id, int *attempt, struct shard_error *err)
{
	sqlite3_stmt *st = s->stmt[ST_UPSERT_TEST];
	int sample = r->has_time &&
		     (r->outcome == JUNIT_PASSED || r->outcome == JUNIT_FAILED);
	int rc;

	sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
	bind_text_or_null(st, 2, r->file);
	bind_text_or_null(st, 3, r->parent_key);
	if (sample)
		sqlite3_bind_double(st, 4, r->seconds);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int(st, 5, (int)s->base.window);
	sqlite3_bind_int(st, 6, (int)s->base.method);
	sqlite3_bind_int64(st, 7, run_id);
	sqlite3_bind_int64(st, 8, source_id);
	sqlite3_bind_int64(st, 9,
			   (sqlite3_int64)identity_hash(r->key,
							strlen(r->key)));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*test_id = sqlite3_column_int64(st, 0);
		*attempt = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return db_error(s, err, "recording a test");
	return 0;
}

static int s_add_result(struct store *base, int64_t run_id, int64_t source_id,
			const struct store_result *r, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = s->stmt[ST_ADD_RESULT];
	int64_t test_id = 0;
	int attempt = 1;

	if (upsert_test(s, run_id, source_id, r, &test_id, &attempt, err))
		return err->code;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, source_id);
	sqlite3_bind_int64(st, 3, test_id);
	sqlite3_bind_int(st, 4, attempt);
	sqlite3_bind_text(st, 5, junit_outcome_name(r->outcome), -1,
			  SQLITE_STATIC);
	if (r->has_time)
		sqlite3_bind_double(st, 6, r->seconds);
	else
		sqlite3_bind_null(st, 6);
	if (r->shard >= 0)
		sqlite3_bind_int(st, 7, r->shard);
	else
		sqlite3_bind_null(st, 7);
	return step_done(s, st, err, "recording a result");
}

static int s_add_shard(struct store *base, int64_t run_id,
		       const struct store_shard *sh, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = s->stmt[ST_ADD_SHARD];

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, sh->index);
	sqlite3_bind_int(st, 3, sh->total);
	if (sh->has_predicted)
		sqlite3_bind_double(st, 4, sh->predicted);
	else
		sqlite3_bind_null(st, 4);
	if (sh->has_actual)
		sqlite3_bind_double(st, 5, sh->actual);
	else
		sqlite3_bind_null(st, 5);
	bind_text_or_null(st, 6, sh->host);
	sqlite3_bind_int(st, 7, (int)(sh->attempt ? sh->attempt : 1));
	bind_text_or_null(st, 8, sh->plan_hash);
	bind_text_or_null(st, 9, sh->list_digest);
	return step_done(s, st, err, "recording a shard");
}

static int s_add_file_overhead(struct store *base, const char *file,
			       double seconds, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = s->stmt[ST_ADD_OVERHEAD];

	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, seconds < 0 ? 0 : seconds);
	sqlite3_bind_int(st, 3, (int)s->base.window);
	sqlite3_bind_int(st, 4, (int)s->base.method);
	return step_done(s, st, err, "recording a file's overhead");
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int s_each_estimate(struct store *base,
			   enum store_estimate_fields fields,
			   store_estimate_fn fn, void *data,
			   struct shard_error *err)
{
	static const char *const sql[] = {
		[STORE_ESTIMATE_ALL] = "SELECT key_hash, estimate, key, file,"
				       " parent_key, sample_count FROM tests"
				       " WHERE estimate IS NOT NULL",
		[STORE_ESTIMATE_HASH] = "SELECT key_hash, estimate FROM tests"
					" WHERE estimate IS NOT NULL",
	};
	struct sqlite_store *s = to_sqlite(base);
	int all = fields == STORE_ESTIMATE_ALL;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, r = 0;

	if (sqlite3_prepare_v2(s->db, sql[fields], -1, &st, NULL) != SQLITE_OK)
		return db_error(s, err, "reading estimates");
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_estimate e = {
			.key_hash = (uint64_t)sqlite3_column_int64(st, 0),
			.seconds = sqlite3_column_double(st, 1),
		};

		if (all) {
			e.key = col_text(st, 2);
			e.file = col_text(st, 3);
			e.parent_key = col_text(st, 4);
			e.samples = (unsigned)sqlite3_column_int(st, 5);
		}
		r = fn(data, &e);
	}
	if (!r && rc != SQLITE_DONE)
		r = db_error(s, err, "reading estimates");
	sqlite3_finalize(st);
	return r;
}

static int s_each_file_sum(struct store *base,
			   int (*fn)(void *, const char *, double), void *data,
			   struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT t.file, sum(t.estimate) FROM tests t"
			       " WHERE t.file IS NOT NULL"
			       " AND t.estimate IS NOT NULL"
			       " AND (t.parent_key IS NULL OR NOT EXISTS"
			       " (SELECT 1 FROM tests p"
			       " WHERE p.key = t.parent_key))"
			       " GROUP BY t.file",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(s, err, "reading file sums");
	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = fn(data, col_text(st, 0), sqlite3_column_double(st, 1));
	if (!r && rc != SQLITE_DONE)
		r = db_error(s, err, "reading file sums");
	sqlite3_finalize(st);
	return r;
}

static int s_each_file_overhead(struct store *base,
				int (*fn)(void *, const char *, double),
				void *data, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT file, overhead FROM files"
			       " WHERE overhead IS NOT NULL",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(s, err, "reading file overheads");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !r)
		r = fn(data, col_text(st, 0), sqlite3_column_double(st, 1));
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_error(s, err, "reading file overheads");
	sqlite3_finalize(st);
	return r;
}

static int64_t count(struct sqlite_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int s_summary(struct store *base, struct store_summary *out,
		     struct shard_error *err)
{
	static const char *const sql[] = {
		"SELECT count(*) FROM runs",
		"SELECT count(*) FROM tests",
		"SELECT count(*) FROM results",
	};
	struct sqlite_store *s = to_sqlite(base);
	int64_t *n[] = { &out->runs, &out->tests, &out->results };

	for (size_t i = 0; i < sizeof(sql) / sizeof(*sql); i++) {
		sqlite3_stmt *st = NULL;

		*n[i] = -1;
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) ==
			    SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			*n[i] = sqlite3_column_int64(st, 0);
		else /* the error, while the statement still holds it */
			db_error(s, err, "summary");
		sqlite3_finalize(st);
		if (*n[i] < 0)
			return err->code;
	}
	out->bytes = count(s, "SELECT page_count * page_size"
			      " FROM pragma_page_count, pragma_page_size");
	out->schema_version = SCHEMA_VERSION;
	return 0;
}

static void s_close(struct store *base)
{
	struct sqlite_store *s = to_sqlite(base);

	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/* History lifecycle operations and plan pins, defined at the end. */
static int s_each_run(struct store *, unsigned, store_run_fn, void *,
		      struct shard_error *);
static int s_each_source(struct store *, int64_t, store_source_fn, void *,
			 struct shard_error *);
static int s_each_result(struct store *, enum store_results_of, int64_t,
			 store_result_fn, void *, struct shard_error *);
static int s_each_shard(struct store *, int64_t, store_shard_fn, void *,
			struct shard_error *);
static int s_each_test(struct store *, store_test_fn, void *,
		       struct shard_error *);
static int s_each_file(struct store *, store_file_fn, void *,
		       struct shard_error *);
static int s_put_test(struct store *, const struct store_test *, int,
		      struct shard_error *);
static int s_put_file(struct store *, const struct store_file *, int,
		      struct shard_error *);
static int s_prune(struct store *, unsigned, struct store_prune_stats *,
		   struct shard_error *);
static int s_checkpoint(struct store *, struct shard_error *);
static int s_put_pin(struct store *, const struct store_pin *, int *,
		     struct shard_error *);
static int s_get_pin(struct store *, const struct store_pin *,
		     char[PIN_HASH_MAX + 1], struct strbuf *, struct strbuf *,
		     int *, struct shard_error *);

static const struct store_ops sqlite_ops = {
	.begin = s_begin,
	.commit = s_commit,
	.rollback = s_rollback,
	.find_run = s_find_run,
	.add_run = s_add_run,
	.add_source = s_add_source,
	.add_result = s_add_result,
	.add_shard = s_add_shard,
	.add_file_overhead = s_add_file_overhead,
	.each_estimate = s_each_estimate,
	.each_file_sum = s_each_file_sum,
	.each_file_overhead = s_each_file_overhead,
	.summary = s_summary,
	.close = s_close,
	.each_run = s_each_run,
	.each_source = s_each_source,
	.each_result = s_each_result,
	.each_shard = s_each_shard,
	.each_test = s_each_test,
	.each_file = s_each_file,
	.put_test = s_put_test,
	.put_file = s_put_file,
	.prune = s_prune,
	.checkpoint = s_checkpoint,
	.put_pin = s_put_pin,
	.get_pin = s_get_pin,
};

/* mkdir -p for the directory part of path (".shard/" by default). */
static int make_parent(const char *path, struct shard_error *err)
{
	char *dir = xstrdup(path);
	int r = 0;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			r = shard_error_set(err, SHARD_EENV, "%s: mkdir: %s",
					    dir, strerror(errno));
		*p = '/';
		if (r)
			break;
	}
	free(dir);
	return r;
}

static int configure(struct sqlite_store *s, const struct store_options *opt,
		     struct shard_error *err)
{
	sqlite3_busy_timeout(s->db, 60000);
	if (!opt->readonly && (exec(s, "PRAGMA journal_mode = WAL", err) ||
			       exec(s, "PRAGMA synchronous = NORMAL", err)))
		return err->code;
	if (register_functions(s, err))
		return err->code;
	if (opt->readonly ? check_version(s, err) : migrate(s, err))
		return err->code;
	return prepare_all(s, err);
}

/* Open path; messages name the history as name. */
static int open_at(const char *path, const char *name, int flags,
		   const struct store_options *opt, struct sqlite_store **out,
		   struct shard_error *err)
{
	struct sqlite_store *s = xcalloc(1, sizeof(*s));

	s->base.ops = &sqlite_ops;
	s->base.window = opt->window ? opt->window : ESTIMATE_WINDOW_DEFAULT;
	s->base.method = ESTIMATE_METHOD_DEFAULT;
	s->path = xstrdup(name);
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    configure(s, opt, err)) {
		if (!err->code)
			db_error(s, err, "open");
		s_close(&s->base);
		return err->code;
	}
	*out = s;
	return 0;
}

void store_sqlite_remove(const char *path)
{
	struct strbuf p = STRBUF_INIT;

	unlink(path);
	strbuf_addf(&p, "%s-wal", path);
	unlink(p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s-shm", path);
	unlink(p.buf);
	strbuf_release(&p);
}

/*
 * A history that does not exist yet is made whole under a name of its
 * own (in WAL mode, with its schema) and then linked into place.
 * Processes creating one at once would otherwise race to switch the new
 * file to WAL, and SQLite answers the loser at once, without its busy
 * timeout, with "database is locked" or a disk I/O error. The process
 * whose link finds the file there (EEXIST) uses that one.
 */
static int create_whole(const char *path, const struct store_options *opt,
			struct shard_error *err)
{
	struct strbuf tmp = STRBUF_INIT;
	struct sqlite_store *s;
	int r;

	strbuf_addf(&tmp, "%s.new-%ld", path, (long)getpid());
	/* what a process of the same pid may have left: a stale WAL would
	 * be replayed into the new file */
	store_sqlite_remove(tmp.buf);
	r = open_at(tmp.buf, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		    opt, &s, err);
	if (!r) {
		s_close(&s->base);
		if (link(tmp.buf, path) < 0 && errno != EEXIST)
			r = shard_error_set(err, SHARD_EENV,
					    "%s: cannot create"
					    " it: %s",
					    path, strerror(errno));
	}
	store_sqlite_remove(tmp.buf);
	strbuf_release(&tmp);
	return r;
}

/*
 * A history is a regular file that starts as every SQLite database does,
 * or is empty. Anything else is refused before SQLite opens it, which
 * would make a -journal or -wal file beside it (beside /dev/null, say).
 */
static int foreign(const char *path, const struct stat *st,
		   struct shard_error *err)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	ssize_t n = 0;
	int fd;

	if (!S_ISREG(st->st_mode))
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: not a history: "
				       "not a regular file",
				       path);
	if (st->st_size == 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		n = read(fd, head, sizeof(head));
	if (fd >= 0)
		close(fd);
	if (fd < 0 || n < 0)
		return shard_error_set(err, SHARD_EENV, "%s: %s", path,
				       strerror(errno));
	if (n < (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)))
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: not a shard "
				       "history (not an SQLite database)",
				       path);
	return 0;
}

int store_sqlite_open(const char *path, const struct store_options *opt,
		      struct store **out, struct shard_error *err)
{
	struct sqlite_store *s;
	struct stat st;

	*out = NULL;
	if (stat(path, &st) < 0) {
		if (!opt->create)
			return 0;
		if (make_parent(path, err) || create_whole(path, opt, err))
			return err->code;
	} else if (foreign(path, &st, err)) {
		return err->code;
	}
	if (open_at(path, path,
		    opt->readonly ? SQLITE_OPEN_READONLY
				  : SQLITE_OPEN_READWRITE,
		    opt, &s, err))
		return err->code;
	*out = &s->base;
	return 0;
}

/*
 * History lifecycle and the report's reads: the walks, put_test/put_file
 * for import, prune and checkpoint (shard history, shard report).
 * Statements here run rarely, so they are prepared per call rather than
 * kept.
 */

static int prepare(struct sqlite_store *s, const char *sql, sqlite3_stmt **st,
		   struct shard_error *err, const char *what)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(s, err, what);
	return 0;
}

/* Step st to the end, calling row(st) for each row until it returns non-0. */
static int each_row(struct sqlite_store *s, sqlite3_stmt *st,
		    int (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
		    struct shard_error *err, const char *what)
{
	int rc = SQLITE_DONE, r = 0;

	while (!r && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = row(st, ctx);
	if (!r && rc != SQLITE_DONE)
		r = db_error(s, err, what);
	sqlite3_finalize(st);
	return r;
}

/* A callback and its data, for each_row's adapters. */
struct walk {
	union {
		store_run_fn run;
		store_source_fn source;
		store_result_fn result;
		store_shard_fn shard;
		store_test_fn test;
		store_file_fn file;
	} fn;
	void *data;
};

static int run_row(sqlite3_stmt *st, void *ctx)
{
	struct walk *w = ctx;
	struct store_run run = {
		col_text(st, 1), sqlite3_column_double(st, 2),
		col_text(st, 3), col_text(st, 4),
		col_text(st, 5),
	};

	return w->fn.run(w->data, sqlite3_column_int64(st, 0), &run);
}

static int s_each_run(struct store *base, unsigned newest, store_run_fn fn,
		      void *data, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	struct walk w = { .fn.run = fn, .data = data };
	sqlite3_stmt *st = NULL;

	if (prepare(s,
		    newest ? "SELECT id, run_key, started_at, commit_sha,"
			     " branch, ci FROM runs"
			     " ORDER BY started_at DESC, id DESC LIMIT ?1"
			   : "SELECT id, run_key, started_at, commit_sha,"
			     " branch, ci FROM runs ORDER BY started_at, id",
		    &st, err, "reading runs"))
		return err->code;
	if (newest)
		sqlite3_bind_int64(st, 1, newest);
	return each_row(s, st, run_row, &w, err, "reading runs");
}

static int source_row(sqlite3_stmt *st, void *ctx)
{
	struct walk *w = ctx;

	return w->fn.source(w->data, sqlite3_column_int64(st, 0),
			    col_text(st, 1), col_text(st, 2));
}

static int s_each_source(struct store *base, int64_t run_id, store_source_fn fn,
			 void *data, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	struct walk w = { .fn.source = fn, .data = data };
	sqlite3_stmt *st = NULL;

	if (prepare(s,
		    "SELECT id, digest, name FROM sources"
		    " WHERE run_id = ?1 ORDER BY id",
		    &st, err, "reading sources"))
		return err->code;
	sqlite3_bind_int64(st, 1, run_id);
	return each_row(s, st, source_row, &w, err, "reading sources");
}

/* An outcome as stored; a name this binary does not know reads as error. */
static enum junit_outcome outcome_of(const char *name)
{
	int o = junit_outcome_parse(name);

	return o < 0 ? JUNIT_ERROR : (enum junit_outcome)o;
}

static int result_row(sqlite3_stmt *st, void *ctx)
{
	struct walk *w = ctx;
	struct store_result r = {
		col_text(st, 0),
		col_text(st, 1),
		col_text(st, 2),
		outcome_of(col_text(st, 3)),
		sqlite3_column_double(st, 4),
		sqlite3_column_type(st, 4) != SQLITE_NULL,
		sqlite3_column_type(st, 5) == SQLITE_NULL
			? -1
			: sqlite3_column_int(st, 5),
	};

	return w->fn.result(w->data, &r);
}

static int s_each_result(struct store *base, enum store_results_of of,
			 int64_t id, store_result_fn fn, void *data,
			 struct shard_error *err)
{
	static const char *const sql[] = {
		[STORE_RESULTS_OF_RUN] =
			"SELECT t.key, t.file, t.parent_key, r.outcome,"
			" r.seconds, r.shard FROM results r"
			" JOIN tests t ON t.id = r.test_id"
			" WHERE r.run_id = ?1 ORDER BY r.source_id, r.attempt",
		/* run_id first: results are indexed by run, not by source */
		[STORE_RESULTS_OF_SOURCE] =
			"SELECT t.key, t.file, t.parent_key, r.outcome,"
			" r.seconds, r.shard FROM results r"
			" JOIN tests t ON t.id = r.test_id"
			" WHERE r.run_id = (SELECT run_id FROM sources"
			" WHERE id = ?1) AND r.source_id = ?1 ORDER BY r.rowid",
	};
	struct sqlite_store *s = to_sqlite(base);
	struct walk w = { .fn.result = fn, .data = data };
	sqlite3_stmt *st = NULL;

	if (prepare(s, sql[of], &st, err, "reading results"))
		return err->code;
	sqlite3_bind_int64(st, 1, id);
	return each_row(s, st, result_row, &w, err, "reading results");
}

static int shard_row(sqlite3_stmt *st, void *ctx)
{
	struct walk *w = ctx;
	struct store_shard sh = {
		sqlite3_column_int(st, 0),
		sqlite3_column_int(st, 1),
		sqlite3_column_double(st, 2),
		sqlite3_column_double(st, 3),
		sqlite3_column_type(st, 2) != SQLITE_NULL,
		sqlite3_column_type(st, 3) != SQLITE_NULL,
		col_text(st, 4),
		(unsigned)sqlite3_column_int(st, 5),
		col_text(st, 6),
		col_text(st, 7),
	};

	return w->fn.shard(w->data, &sh);
}

static int s_each_shard(struct store *base, int64_t run_id, store_shard_fn fn,
			void *data, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	struct walk w = { .fn.shard = fn, .data = data };
	sqlite3_stmt *st = NULL;

	if (prepare(s,
		    "SELECT shard_index, shard_total, predicted, actual,"
		    " host, attempt, plan_hash, list_digest FROM shards"
		    " WHERE run_id = ?1 ORDER BY shard_index, attempt",
		    &st, err, "reading shards"))
		return err->code;
	sqlite3_bind_int64(st, 1, run_id);
	return each_row(s, st, shard_row, &w, err, "reading shards");
}

static size_t decode_col(sqlite3_stmt *st, int i, double *out)
{
	const void *blob = sqlite3_column_blob(st, i);

	if (!blob)
		return 0;
	return estimate_decode(blob, (size_t)sqlite3_column_bytes(st, i), out,
			       ESTIMATE_WINDOW_MAX);
}

static int test_row(sqlite3_stmt *st, void *ctx)
{
	struct walk *w = ctx;
	double samples[ESTIMATE_WINDOW_MAX];
	struct store_test t = {
		col_text(st, 0),
		col_text(st, 1),
		col_text(st, 2),
		samples,
		decode_col(st, 3, samples),
		sqlite3_column_int64(st, 4),
	};

	return w->fn.test(w->data, &t);
}

static int s_each_test(struct store *base, store_test_fn fn, void *data,
		       struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	struct walk w = { .fn.test = fn, .data = data };
	sqlite3_stmt *st = NULL;

	if (prepare(s,
		    "SELECT key, file, parent_key, samples, sample_count"
		    " FROM tests ORDER BY key",
		    &st, err, "reading tests"))
		return err->code;
	return each_row(s, st, test_row, &w, err, "reading tests");
}

static int file_row(sqlite3_stmt *st, void *ctx)
{
	struct walk *w = ctx;
	double samples[ESTIMATE_WINDOW_MAX];
	struct store_file f = {
		col_text(st, 0),
		samples,
		decode_col(st, 1, samples),
	};

	return w->fn.file(w->data, &f);
}

static int s_each_file(struct store *base, store_file_fn fn, void *data,
		       struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	struct walk w = { .fn.file = fn, .data = data };
	sqlite3_stmt *st = NULL;

	if (prepare(s, "SELECT file, samples FROM files ORDER BY file", &st,
		    err, "reading files"))
		return err->code;
	return each_row(s, st, file_row, &w, err, "reading files");
}

/* The newest window of samples as the store keeps them; returns bytes. */
static size_t encode_window(struct sqlite_store *s, const double *samples,
			    size_t n, unsigned char *out)
{
	unsigned char tmp[ESTIMATE_SAMPLE_BYTES * ESTIMATE_WINDOW_MAX];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		len = estimate_push(out, len, samples[i], s->base.window, tmp);
		memcpy(out, tmp, len);
	}
	return len;
}

static void bind_blob_or_null(sqlite3_stmt *st, int i, const void *b,
			      size_t len)
{
	if (len)
		sqlite3_bind_blob(st, i, b, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Run one statement (parameters bound by bind); returns changes or < 0. */
static int put_step(struct sqlite_store *s, sqlite3_stmt *st,
		    struct shard_error *err, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s, err, what);
	return sqlite3_changes(s->db);
}

/*
 * What put_test and put_file write: ?1 key (or file), ?2 the window,
 * ?3 the estimator; tests also ?4 file, ?5 parent_key, ?6 sample_count,
 * ?7 key_hash.
 */
struct put_row {
	const char *name, *file, *parent_key;
	const double *samples;
	size_t n;
	int64_t sample_count;
};

/* sql[0] inserts unless present, sql[1] replaces; returns 1 if inserted. */
static int put_row(struct sqlite_store *s, const char *const sql[2],
		   const struct put_row *row, int replace,
		   struct shard_error *err)
{
	unsigned char blob[ESTIMATE_SAMPLE_BYTES * ESTIMATE_WINDOW_MAX];
	size_t len = encode_window(s, row->samples, row->n, blob);
	int created = 0;

	for (int i = 0; i < 2 && !created && (i == 0 || replace); i++) {
		sqlite3_stmt *st = NULL;
		int r;

		if (prepare(s, sql[i], &st, err, "importing"))
			return err->code;
		sqlite3_bind_text(st, 1, row->name, -1, SQLITE_STATIC);
		bind_blob_or_null(st, 2, blob, len);
		sqlite3_bind_int(st, 3, (int)s->base.method);
		if (sqlite3_bind_parameter_count(st) > 3) { /* a test */
			bind_text_or_null(st, 4, row->file);
			bind_text_or_null(st, 5, row->parent_key);
			sqlite3_bind_int64(st, 6, row->sample_count);
			sqlite3_bind_int64(st, 7,
					   (sqlite3_int64)identity_hash(
						   row->name,
						   strlen(row->name)));
		}
		if ((r = put_step(s, st, err, "importing")) < 0)
			return r;
		created = i == 0 && r > 0;
	}
	return created;
}

static int s_put_test(struct store *base, const struct store_test *t,
		      int replace, struct shard_error *err)
{
	static const char *const sql[2] = {
		"INSERT INTO tests(key, samples, estimate, file, parent_key,"
		" sample_count, key_hash) VALUES(?1, ?2,"
		" shard_estimate(?2, ?3), ?4, ?5, ?6, ?7)"
		" ON CONFLICT(key) DO NOTHING",
		"UPDATE tests SET samples = ?2,"
		" estimate = shard_estimate(?2, ?3), sample_count = ?6,"
		" file = coalesce(file, ?4), parent_key = coalesce(parent_key, ?5)"
		" WHERE key = ?1",
	};
	struct put_row row = { t->key,     t->file, t->parent_key,
			       t->samples, t->n,    t->sample_count };

	return put_row(to_sqlite(base), sql, &row, replace, err);
}

static int s_put_file(struct store *base, const struct store_file *f,
		      int replace, struct shard_error *err)
{
	static const char *const sql[2] = {
		"INSERT INTO files(file, samples, overhead)"
		" VALUES(?1, ?2, shard_estimate(?2, ?3))"
		" ON CONFLICT(file) DO NOTHING",
		"UPDATE files SET samples = ?2,"
		" overhead = shard_estimate(?2, ?3) WHERE file = ?1",
	};
	struct put_row row = { f->file, NULL, NULL, f->samples, f->n, 0 };

	return put_row(to_sqlite(base), sql, &row, replace, err);
}

/* The runs prune deletes: all but the ?1 most recent. */
#define OLD_RUNS \
	" IN (SELECT id FROM runs ORDER BY started_at DESC, id DESC" \
	" LIMIT -1 OFFSET ?1)"

/* One delete of prune's and where its count of rows goes. */
struct prune_step {
	const char *sql; /* ?1, if any, is the number of runs kept */
	int64_t *deleted;
};

static int prune_deletes(struct sqlite_store *s, unsigned keep,
			 struct store_prune_stats *out, struct shard_error *err)
{
	const struct prune_step steps[] = {
		{ "DELETE FROM results WHERE run_id" OLD_RUNS, &out->results },
		{ "DELETE FROM shards WHERE run_id" OLD_RUNS, &out->shards },
		{ "DELETE FROM sources WHERE run_id" OLD_RUNS, &out->sources },
		{ "DELETE FROM runs WHERE id" OLD_RUNS, &out->runs },
		{ "DELETE FROM tests WHERE id NOT IN"
		  " (SELECT test_id FROM results)",
		  &out->tests },
		{ "DELETE FROM files WHERE file NOT IN"
		  " (SELECT file FROM tests WHERE file IS NOT NULL)",
		  &out->files },
		/*
		 * Pins by their own runs (keys without the attempt, not
		 * runs' rows): the ?1 runs whose newest pin is newest stay;
		 * of two pinned at the same instant, the one stored later
		 * is newer.
		 */
		{ "DELETE FROM pins WHERE run NOT IN (SELECT run FROM pins"
		  " GROUP BY run ORDER BY max(created_at) DESC, max(id) DESC"
		  " LIMIT ?1)",
		  &out->pins },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
		sqlite3_stmt *st = NULL;
		int r;

		if (prepare(s, steps[i].sql, &st, err, "pruning"))
			return err->code;
		if (sqlite3_bind_parameter_count(st))
			sqlite3_bind_int64(st, 1, keep);
		if ((r = put_step(s, st, err, "pruning")) < 0)
			return r;
		*steps[i].deleted = r;
	}
	return 0;
}

static int s_prune(struct store *base, unsigned keep_runs,
		   struct store_prune_stats *out, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	const char *size = "SELECT page_count * page_size"
			   " FROM pragma_page_count, pragma_page_size";

	memset(out, 0, sizeof(*out));
	out->bytes_before = count(s, size);
	if (exec(s, "BEGIN IMMEDIATE", err))
		return err->code;
	if (prune_deletes(s, keep_runs, out, err) || exec(s, "COMMIT", err)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return err->code;
	}
	if (exec(s, "VACUUM", err) || s_checkpoint(base, err))
		return err->code;
	out->bytes_after = count(s, size);
	return 0;
}

static int s_checkpoint(struct store *base, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int busy = 0;

	if (prepare(s, "PRAGMA wal_checkpoint(TRUNCATE)", &st, err,
		    "checkpoint"))
		return err->code;
	if (sqlite3_step(st) == SQLITE_ROW)
		busy = sqlite3_column_int(st, 0);
	else
		busy = -1;
	sqlite3_finalize(st);
	if (busy < 0)
		return db_error(s, err, "checkpoint");
	if (busy)
		return shard_error_set(err, SHARD_EENV,
				       "%s: checkpoint: the history is busy "
				       "(another process is using it)",
				       s->path);
	return 0;
}

/*
 * Plan pins (pin.h): a statement each, prepared per call (a plan makes
 * one or two). put_pin's INSERT runs in a transaction of its own begun
 * IMMEDIATE, as ingest's are: it takes the write lock before it reads,
 * waiting out another writer up to the busy timeout, so that of processes
 * pinning one key at once exactly one inserts, and the others' DO NOTHING
 * leaves changes() at 0.
 */

/* The plan hash a pin can hand back in get_pin's char[65]. */
static int pin_hash_fits(const char *hash)
{
	return hash && strlen(hash) <= PIN_HASH_MAX;
}

static int s_put_pin(struct store *base, const struct store_pin *p,
		     int *inserted, struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int r;

	*inserted = 0;
	if (!pin_hash_fits(p->plan_hash))
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: storing a pin:"
				       " a plan hash of more than %d"
				       " characters",
				       s->path, PIN_HASH_MAX);
	if (!sqlite3_get_autocommit(s->db))
		return shard_error_set(err, SHARD_EENV,
				       "%s: storing a pin"
				       " inside a transaction",
				       s->path);
	if (prepare(s,
		    "INSERT INTO pins(run, list_digest, request,"
		    " created_at, plan_hash, assignment, meta)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		    " ON CONFLICT(run, list_digest, request) DO NOTHING",
		    &st, err, "storing a pin"))
		return err->code;
	bind_text_or_null(st, 1, p->run);
	bind_text_or_null(st, 2, p->list_digest);
	bind_text_or_null(st, 3, p->request);
	sqlite3_bind_double(st, 4, p->created_at);
	sqlite3_bind_text(st, 5, p->plan_hash, -1, SQLITE_STATIC);
	/* a NULL pointer would bind NULL, not an empty blob */
	if (sqlite3_bind_blob64(st, 6, p->assignment_len ? p->assignment : "",
				p->assignment_len,
				SQLITE_STATIC) != SQLITE_OK) {
		r = db_error(s, err, "storing a pin");
		sqlite3_finalize(st);
		return r;
	}
	bind_text_or_null(st, 7, p->meta);
	if (exec(s, "BEGIN IMMEDIATE", err)) {
		sqlite3_finalize(st);
		return err->code;
	}
	if ((r = put_step(s, st, err, "storing a pin")) < 0 ||
	    exec(s, "COMMIT", err)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return err->code;
	}
	*inserted = r > 0;
	return 0;
}

/* Copy a found pin's row out; the plan hash must fit its char[65]. */
static int take_pin(struct sqlite_store *s, sqlite3_stmt *st,
		    char plan_hash[PIN_HASH_MAX + 1], struct strbuf *assignment,
		    struct strbuf *meta, struct shard_error *err)
{
	const char *hash = col_text(st, 0), *text = col_text(st, 2);
	const void *blob = sqlite3_column_blob(st, 1);
	size_t len = (size_t)sqlite3_column_bytes(st, 1);

	if (!pin_hash_fits(hash))
		return shard_error_set(err, SHARD_EENV,
				       "%s: a pin whose plan"
				       " hash is not a plan hash",
				       s->path);
	strbuf_reset(assignment);
	strbuf_reset(meta);
	if ((len && strbuf_add(assignment, blob, len)) ||
	    (text && strbuf_addstr(meta, text)))
		return shard_error_set(err, SHARD_EENV,
				       "%s: a pin larger than"
				       " its buffer takes (%zu bytes)",
				       s->path, len);
	memcpy(plan_hash, hash, strlen(hash) + 1);
	return 0;
}

static int s_get_pin(struct store *base, const struct store_pin *key,
		     char plan_hash[PIN_HASH_MAX + 1],
		     struct strbuf *assignment, struct strbuf *meta, int *found,
		     struct shard_error *err)
{
	struct sqlite_store *s = to_sqlite(base);
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	*found = 0;
	if (prepare(s,
		    "SELECT plan_hash, assignment, meta FROM pins"
		    " WHERE run = ?1 AND list_digest = ?2 AND request = ?3",
		    &st, err, "reading a pin"))
		return err->code;
	bind_text_or_null(st, 1, key->run);
	bind_text_or_null(st, 2, key->list_digest);
	bind_text_or_null(st, 3, key->request);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = take_pin(s, st, plan_hash, assignment, meta, err);
	else if (rc != SQLITE_DONE)
		r = db_error(s, err, "reading a pin");
	*found = rc == SQLITE_ROW && !r;
	sqlite3_finalize(st);
	return r;
}
