/*
 * The history store: runs, tests, per-run results and shard figures, and
 * per-test estimates kept current at ingest. One interface, a vtable
 * because the backend truly varies (SQLite embedded by default, PostgreSQL
 * for teams whose pipelines write concurrently).
 *
 * Callers use the store_* functions declared here; each calls the
 * backend's operation of its name. Writes happen inside
 * store_begin()/store_commit(); store_rollback() undoes everything since
 * store_begin(). Every function returns 0 or a negative shard_code and
 * fills err, unless it says otherwise.
 */
#ifndef SHARD_STORE_H
#define SHARD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "shard/estimate.h"
#include "shard/junit/junit.h"
#include "shard/util/error.h"
#include "shard/util/strbuf.h"

#define STORE_DEFAULT_PATH ".shard/history.db"

struct store_run {
	const char *run_key; /* docs/design.md run identity */
	double started_at;   /* seconds since the epoch */
	const char *commit;  /* may be NULL */
	const char *branch;  /* may be NULL */
	const char *ci;      /* provider name, may be NULL */
};

struct store_result {
	const char *key;        /* canonical key */
	const char *file;       /* normalised path, NULL when unknown */
	const char *parent_key; /* a Go subtest's parent, else NULL */
	enum junit_outcome outcome;
	double seconds;
	int has_time; /* 0: no sample for the estimate */
	int shard;    /* -1 when unknown */
};

struct store_shard {
	int index, total;
	double predicted, actual;
	int has_predicted, has_actual;
	const char *host; /* may be NULL */
	unsigned attempt;
	/* the shard's plan and list (partition.h); NULL when unknown */
	const char *plan_hash, *list_digest;
};

/*
 * A run's pinned plan (pin.h), keyed by the run without its attempt, the
 * list's digest and the request (the options that shaped the plan).
 */
struct store_pin {
	const char *run;
	const char *list_digest;
	const char *request;
	double created_at; /* seconds since the epoch */
	const char *plan_hash;
	const void *assignment; /* pin.c's encoding, assignment_len bytes */
	size_t assignment_len;
	const char *meta; /* pin.c's JSON of the plan's figures */
};

/*
 * A test's estimate, as planning and the report read it. key_hash
 * (identity_hash of key) and seconds are always there; key, file,
 * parent_key and samples only when all fields were asked for.
 */
struct store_estimate {
	const char *key;        /* borrowed for the callback */
	const char *file;       /* NULL when unknown */
	const char *parent_key; /* NULL unless a subtest */
	uint64_t key_hash;
	double seconds;
	unsigned samples;
};

/* What store_each_estimate reads of each test. */
enum store_estimate_fields {
	STORE_ESTIMATE_ALL,  /* every member of struct store_estimate */
	STORE_ESTIMATE_HASH, /* key_hash and seconds: no text is read */
};

/* Whose results store_each_result walks. */
enum store_results_of {
	STORE_RESULTS_OF_RUN,
	STORE_RESULTS_OF_SOURCE,
};

struct store_summary {
	int64_t runs, tests, results;
	int64_t bytes; /* size on disk, -1 when unknown */
	int schema_version;
};

/* A test as export and import see it: identity and sample window. */
struct store_test {
	const char *key;
	const char *file;       /* NULL when unknown */
	const char *parent_key; /* NULL unless a subtest */
	const double *samples;  /* oldest first */
	size_t n;
	int64_t sample_count; /* samples ever taken, beyond the window */
};

/* A file's set-up time samples (store_add_file_overhead), oldest first. */
struct store_file {
	const char *file;
	const double *samples;
	size_t n;
};

/* What store_prune deleted, row counts by table, and the size around it. */
struct store_prune_stats {
	int64_t runs, sources, results, shards, tests, files, pins;
	int64_t bytes_before, bytes_after; /* -1 when unknown */
};

struct store;

typedef int (*store_run_fn)(void *data, int64_t run_id,
			    const struct store_run *run);
typedef int (*store_source_fn)(void *data, int64_t source_id,
			       const char *digest, const char *name);
typedef int (*store_result_fn)(void *data, const struct store_result *r);
typedef int (*store_shard_fn)(void *data, const struct store_shard *sh);
typedef int (*store_estimate_fn)(void *data, const struct store_estimate *e);
typedef int (*store_file_seconds_fn)(void *data, const char *file,
				     double seconds);
typedef int (*store_test_fn)(void *data, const struct store_test *t);
typedef int (*store_file_fn)(void *data, const struct store_file *f);

/*
 * A backend's operations, one for each store_* function below (which
 * says what it does); callers use those functions, never the table.
 * Backends fill it with designated initializers, each member set.
 */
struct store_ops {
	int (*begin)(struct store *s, struct shard_error *err);
	int (*commit)(struct store *s, struct shard_error *err);
	int (*rollback)(struct store *s, struct shard_error *err);
	int (*find_run)(struct store *s, const char *run_key, int64_t *run_id,
			struct shard_error *err);
	int (*add_run)(struct store *s, const struct store_run *run,
		       int64_t *run_id, struct shard_error *err);
	int (*add_source)(struct store *s, int64_t run_id, const char *digest,
			  const char *name, int64_t *source_id,
			  struct shard_error *err);
	int (*add_result)(struct store *s, int64_t run_id, int64_t source_id,
			  const struct store_result *r,
			  struct shard_error *err);
	int (*add_shard)(struct store *s, int64_t run_id,
			 const struct store_shard *sh, struct shard_error *err);
	int (*add_file_overhead)(struct store *s, const char *file,
				 double seconds, struct shard_error *err);
	int (*each_estimate)(struct store *s, enum store_estimate_fields fields,
			     store_estimate_fn fn, void *data,
			     struct shard_error *err);
	int (*each_file_sum)(struct store *s, store_file_seconds_fn fn,
			     void *data, struct shard_error *err);
	int (*each_file_overhead)(struct store *s, store_file_seconds_fn fn,
				  void *data, struct shard_error *err);
	int (*summary)(struct store *s, struct store_summary *out,
		       struct shard_error *err);
	void (*close)(struct store *s);
	int (*each_run)(struct store *s, unsigned newest, store_run_fn fn,
			void *data, struct shard_error *err);
	int (*each_source)(struct store *s, int64_t run_id, store_source_fn fn,
			   void *data, struct shard_error *err);
	int (*each_result)(struct store *s, enum store_results_of of,
			   int64_t id, store_result_fn fn, void *data,
			   struct shard_error *err);
	int (*each_shard)(struct store *s, int64_t run_id, store_shard_fn fn,
			  void *data, struct shard_error *err);
	int (*each_test)(struct store *s, store_test_fn fn, void *data,
			 struct shard_error *err);
	int (*each_file)(struct store *s, store_file_fn fn, void *data,
			 struct shard_error *err);
	int (*put_test)(struct store *s, const struct store_test *t,
			int replace, struct shard_error *err);
	int (*put_file)(struct store *s, const struct store_file *f,
			int replace, struct shard_error *err);
	int (*prune)(struct store *s, unsigned keep_runs,
		     struct store_prune_stats *out, struct shard_error *err);
	int (*checkpoint)(struct store *s, struct shard_error *err);
	int (*put_pin)(struct store *s, const struct store_pin *p,
		       int *inserted, struct shard_error *err);
	int (*get_pin)(struct store *s, const struct store_pin *key,
		       char plan_hash[65], struct strbuf *assignment,
		       struct strbuf *meta, int *found,
		       struct shard_error *err);
};

struct store {
	const struct store_ops *ops;
	unsigned window;             /* samples kept per test */
	enum estimate_method method; /* estimator applied at ingest */
};

struct store_options {
	int create; /* create the store (and its directory) if missing */
	int readonly;
	unsigned window; /* 0: ESTIMATE_WINDOW_DEFAULT */
};

/*
 * Open the store at location (a path, or a postgres:// or postgresql://
 * URL). With !opt->create a missing SQLite file, or a PostgreSQL database
 * without the history's schema, gives *out = NULL and returns 0: the
 * history knows nothing yet. An https:// URL is refused (docs/design.md).
 */
int store_open(const char *location, const struct store_options *opt,
	       struct store **out, struct shard_error *err);
/* Close s and free it; NULL is allowed. */
void store_close(struct store *s);

/*
 * Writes. store_begin() opens a transaction, store_commit() makes what
 * was written since durable, store_rollback() undoes it.
 */
int store_begin(struct store *s, struct shard_error *err);
int store_commit(struct store *s, struct shard_error *err);
int store_rollback(struct store *s, struct shard_error *err);

/*
 * Find the run of that key without creating it: 1 and *run_id when the
 * store holds it, 0 when not, or a negative code.
 */
int store_find_run(struct store *s, const char *run_key, int64_t *run_id,
		   struct shard_error *err);
/* Find or create the run; *run_id is the store's id for it. */
int store_add_run(struct store *s, const struct store_run *run, int64_t *run_id,
		  struct shard_error *err);
/*
 * Register a source (one ingested file) of a run by content digest.
 * Returns 1 when this run already has it (nothing to do), 0 when new.
 */
int store_add_source(struct store *s, int64_t run_id, const char *digest,
		     const char *name, int64_t *source_id,
		     struct shard_error *err);
/*
 * Record a result and fold its time into the test's estimate. The store
 * numbers repeats of a key within one source as attempts.
 */
int store_add_result(struct store *s, int64_t run_id, int64_t source_id,
		     const struct store_result *r, struct shard_error *err);
/*
 * A shard's figures and plan; a second call for the same index and
 * attempt keeps what the first gave that this one does not.
 */
int store_add_shard(struct store *s, int64_t run_id,
		    const struct store_shard *sh, struct shard_error *err);
/* A file's set-up time outside its testcases, one sample per run. */
int store_add_file_overhead(struct store *s, const char *file, double seconds,
			    struct shard_error *err);

/*
 * Reads. Each walk hands rows to fn, whose pointers are borrowed for the
 * call; a non-zero return from fn stops the walk and is returned.
 */

/*
 * Every test with an estimate, in no particular order. With
 * STORE_ESTIMATE_HASH only key_hash and seconds are read: planning's
 * fast path over a million tests.
 */
int store_each_estimate(struct store *s, enum store_estimate_fields fields,
			store_estimate_fn fn, void *data,
			struct shard_error *err);
/*
 * Per file: the sum of its tests' estimates, leaving out Go subtests
 * whose parent (whose time includes them) is known.
 */
int store_each_file_sum(struct store *s, store_file_seconds_fn fn, void *data,
			struct shard_error *err);
/* Per file: its set-up time estimate, for files with one. */
int store_each_file_overhead(struct store *s, store_file_seconds_fn fn,
			     void *data, struct shard_error *err);
int store_summary(struct store *s, struct store_summary *out,
		  struct shard_error *err);

/*
 * Runs. newest 0: every run, oldest first (by started_at, then the
 * store's id), as export and merge walk them. newest N: the N most
 * recent runs, newest first (started_at DESC, id DESC), as the report
 * reads them.
 */
int store_each_run(struct store *s, unsigned newest, store_run_fn fn,
		   void *data, struct shard_error *err);
/* A run's sources, in the order they were recorded. */
int store_each_source(struct store *s, int64_t run_id, store_source_fn fn,
		      void *data, struct shard_error *err);
/*
 * Results joined with their test (r->file and r->parent_key are the
 * test's; r->shard is -1 when unknown, has_time 0 when the result had no
 * time). STORE_RESULTS_OF_SOURCE, id a source: its results in the order
 * they were recorded. STORE_RESULTS_OF_RUN, id a run: every result of
 * the run ordered by source then attempt, so that a key's last row is
 * its last attempt.
 */
int store_each_result(struct store *s, enum store_results_of of, int64_t id,
		      store_result_fn fn, void *data, struct shard_error *err);
/* Every shard row of a run, every attempt, by shard index then attempt. */
int store_each_shard(struct store *s, int64_t run_id, store_shard_fn fn,
		     void *data, struct shard_error *err);
/* Every test with its sample window, in key order. */
int store_each_test(struct store *s, store_test_fn fn, void *data,
		    struct shard_error *err);
/* Every file's set-up time samples, in file order. */
int store_each_file(struct store *s, store_file_fn fn, void *data,
		    struct shard_error *err);

/*
 * Create test t with its window (at most the store's window, newest
 * kept) and the estimate from it. Returns 1 when created; 0 when the key
 * was there, left alone, or with replace its window, sample count and
 * estimate set from t. Inside store_begin()/store_commit().
 */
int store_put_test(struct store *s, const struct store_test *t, int replace,
		   struct shard_error *err);
/* The same for a file's set-up time samples. */
int store_put_file(struct store *s, const struct store_file *f, int replace,
		   struct shard_error *err);
/*
 * Keep the keep_runs most recent runs (by started_at): delete older runs
 * with their sources, results and shards, the tests no kept run has a
 * result for and the files no kept test names, and keep only the pins of
 * the keep_runs runs whose pins are newest (by created_at); then give
 * the space back (SQLite: the file shrinks; PostgreSQL: VACUUM, for the
 * tables to reuse). Outside a transaction (SHARD_EENV inside one).
 */
int store_prune(struct store *s, unsigned keep_runs,
		struct store_prune_stats *out, struct shard_error *err);
/*
 * Make the store's file complete on its own before it is copied (SQLite:
 * PRAGMA wal_checkpoint(TRUNCATE)). A server store has nothing to do and
 * returns 0.
 */
int store_checkpoint(struct store *s, struct shard_error *err);

/*
 * Plan pins (pin.h).
 *
 * store_put_pin inserts p unless a pin with its key (run, list_digest,
 * request) is there: *inserted is 1 when this call inserted it, 0 when
 * another was there first (it is left alone). A statement of its own,
 * outside store_begin()/store_commit(); concurrent callers with one key
 * get exactly one *inserted = 1.
 *
 * store_get_pin looks up the pin with key's run, list_digest and
 * request: *found 1 fills plan_hash, assignment (reset, then the bytes)
 * and meta (reset, then the text); *found 0 leaves them alone.
 *
 * Errors: store_put_pin gives SHARD_EINPUT for a plan_hash longer than
 * 64 characters (store_get_pin could not hand it back), SHARD_EENV
 * inside store_begin()/store_commit() or on a store opened read-only
 * (store_get_pin works there). A NULL meta is stored as none and read
 * back as "".
 */
int store_put_pin(struct store *s, const struct store_pin *p, int *inserted,
		  struct shard_error *err);
int store_get_pin(struct store *s, const struct store_pin *key,
		  char plan_hash[65], struct strbuf *assignment,
		  struct strbuf *meta, int *found, struct shard_error *err);

/* SQLite backend (store_sqlite.c). */
int store_sqlite_open(const char *path, const struct store_options *opt,
		      struct store **out, struct shard_error *err);
/*
 * Process-wide SQLite set-up, before any other use of SQLite (main() calls
 * it first): statement journals kept in memory.
 */
void store_sqlite_global_init(void);
/* Remove a SQLite history file and its -wal and -shm companions. */
void store_sqlite_remove(const char *path);
/* The schema version this binary writes. */
int store_sqlite_schema_version(void);
/* The SQLite library this process runs with: "3.40.1" (static). */
const char *store_sqlite_library_version(void);

/*
 * PostgreSQL backend (store_pg.c): the tables live in the schema
 * shard_history of the URL's database, created (with opt->create, or
 * when older) under an advisory lock. Messages name the database as
 * user@host:port/db, never with a password.
 */
int store_pg_open(const char *url, const struct store_options *opt,
		  struct store **out, struct shard_error *err);
/* The PostgreSQL schema version this binary writes. */
int store_pg_schema_version(void);

#endif
