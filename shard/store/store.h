/*
 * The history store: runs, tests, per-run results and shard figures, and
 * per-test estimates kept current at ingest. One interface, a vtable
 * because the backend truly varies (SQLite embedded by default, PostgreSQL
 * for teams whose pipelines write concurrently).
 *
 * Writes happen inside store_begin()/store_commit(); store_rollback()
 * undoes everything since store_begin(). Every function returns 0 or a
 * negative shard_code and fills err.
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

/* What planning reads: one row per test with an estimate. */
struct store_estimate {
	const char *key;        /* borrowed for the callback */
	const char *file;       /* NULL when unknown */
	const char *parent_key; /* NULL unless a subtest */
	double seconds;
	unsigned samples;
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

/* A file's set-up time samples (add_file_overhead), oldest first. */
struct store_file {
	const char *file;
	const double *samples;
	size_t n;
};

struct store_prune_stats {
	int64_t runs, results, tests; /* deleted */
	int64_t bytes_before, bytes_after;
};

struct store;

struct store_ops {
	int (*begin)(struct store *s, struct shard_error *err);
	int (*commit)(struct store *s, struct shard_error *err);
	int (*rollback)(struct store *s, struct shard_error *err);
	/* Find or create the run; *run_id is the store's id for it. */
	int (*add_run)(struct store *s, const struct store_run *run,
		       int64_t *run_id, struct shard_error *err);
	/*
	 * Register a source (one ingested file) of a run by content digest.
	 * Returns 1 when this run already has it (nothing to do), 0 when new.
	 */
	int (*add_source)(struct store *s, int64_t run_id, const char *digest,
			  const char *name, int64_t *source_id,
			  struct shard_error *err);
	/*
	 * Record a result and fold its time into the test's estimate. The
	 * store numbers repeats of a key within one source as attempts.
	 */
	int (*add_result)(struct store *s, int64_t run_id, int64_t source_id,
			  const struct store_result *r,
			  struct shard_error *err);
	/*
	 * A shard's figures and plan; a second call for the same index and
	 * attempt keeps what the first gave that this one does not.
	 */
	int (*add_shard)(struct store *s, int64_t run_id,
			 const struct store_shard *sh, struct shard_error *err);
	/* A file's set-up time outside its testcases, one sample per run. */
	int (*add_file_overhead)(struct store *s, const char *file,
				 double seconds, struct shard_error *err);
	int (*each_estimate)(struct store *s,
			     int (*fn)(void *data,
				       const struct store_estimate *e),
			     void *data, struct shard_error *err);
	/*
	 * Planning's fast path: the key hash (identity_hash) and estimate of
	 * every test with one.
	 */
	int (*each_key_estimate)(struct store *s,
				 int (*fn)(void *data, uint64_t key_hash,
					   double seconds),
				 void *data, struct shard_error *err);
	/*
	 * Per file: the sum of its tests' estimates, leaving out Go subtests
	 * whose parent (whose time includes them) is known.
	 */
	int (*each_file_sum)(struct store *s,
			     int (*fn)(void *data, const char *file,
				       double seconds),
			     void *data, struct shard_error *err);
	int (*each_file_overhead)(struct store *s,
				  int (*fn)(void *data, const char *file,
					    double seconds),
				  void *data, struct shard_error *err);
	int (*summary)(struct store *s, struct store_summary *out,
		       struct shard_error *err);
	void (*close)(struct store *s);

	/*
	 * Reads for `shard report` (report/model.c). Each is one plain
	 * SELECT, so that every backend serves them alike.
	 */
	/*
	 * The last `limit` runs, newest first (by started_at, then the
	 * store's id): SELECT ... FROM runs ORDER BY started_at DESC, id DESC
	 * LIMIT limit. Strings are borrowed for the callback.
	 */
	int (*each_recent_run)(struct store *s, unsigned limit,
			       int (*fn)(void *data, int64_t run_id,
					 const struct store_run *run),
			       void *data, struct shard_error *err);
	/*
	 * Every shard row of a run, every attempt, ordered by shard index
	 * then attempt.
	 */
	int (*each_run_shard)(struct store *s, int64_t run_id,
			      int (*fn)(void *data,
					const struct store_shard *sh),
			      void *data, struct shard_error *err);
	/*
	 * Every result of a run joined with its test (key, file, parent_key),
	 * ordered by source then attempt, so that a key's last row is its
	 * last attempt. has_time is 0 when the result had no time.
	 */
	int (*each_run_result)(struct store *s, int64_t run_id,
			       int (*fn)(void *data,
					 const struct store_result *r),
			       void *data, struct shard_error *err);

	/*
	 * History lifecycle (shard history: export, import, merge, prune,
	 * push). Appended: members above keep their places.
	 *
	 * Iteration, for export and for merging one history into another.
	 * Runs come oldest first (started_at, then id); a run's sources and
	 * shards, and a source's results, in the order they were recorded.
	 * Pointers are borrowed for the callback; a non-zero return from fn
	 * stops the walk and is returned.
	 */
	int (*each_run)(struct store *s,
			int (*fn)(void *data, int64_t run_id,
				  const struct store_run *run),
			void *data, struct shard_error *err);
	int (*each_source)(struct store *s, int64_t run_id,
			   int (*fn)(void *data, int64_t source_id,
				     const char *digest, const char *name),
			   void *data, struct shard_error *err);
	/* r->file and r->parent_key are the test's; r->shard -1 if unknown. */
	int (*each_result)(struct store *s, int64_t source_id,
			   int (*fn)(void *data, const struct store_result *r),
			   void *data, struct shard_error *err);
	int (*each_shard)(struct store *s, int64_t run_id,
			  int (*fn)(void *data, const struct store_shard *sh),
			  void *data, struct shard_error *err);
	/* Every test with its sample window, in key order. */
	int (*each_test)(struct store *s,
			 int (*fn)(void *data, const struct store_test *t),
			 void *data, struct shard_error *err);
	/* Every file's set-up time samples, in file order. */
	int (*each_file)(struct store *s,
			 int (*fn)(void *data, const struct store_file *f),
			 void *data, struct shard_error *err);
	/*
	 * Create test t with its window (at most the store's window, newest
	 * kept) and the estimate from it. Returns 1 when created; 0 when the
	 * key was there, left alone, or with replace its window, sample count
	 * and estimate set from t. Inside begin/commit.
	 */
	int (*put_test)(struct store *s, const struct store_test *t,
			int replace, struct shard_error *err);
	/* The same for a file's set-up time samples. */
	int (*put_file)(struct store *s, const struct store_file *f,
			int replace, struct shard_error *err);
	/*
	 * Keep the keep_runs most recent runs (by started_at): delete older
	 * runs with their sources, results and shards, and the tests no kept
	 * run has a result for; then give the space back (SQLite: the file
	 * shrinks; PostgreSQL: VACUUM, for the tables to reuse). Outside a
	 * transaction. Fills out with what was deleted; bytes are -1 when
	 * unknown.
	 */
	int (*prune)(struct store *s, unsigned keep_runs,
		     struct store_prune_stats *out, struct shard_error *err);
	/*
	 * Make the store's file complete on its own before it is copied
	 * (SQLite: PRAGMA wal_checkpoint(TRUNCATE)). A server store has
	 * nothing to do and returns 0.
	 */
	int (*checkpoint)(struct store *s, struct shard_error *err);

	/*
	 * Plan pins (pin.h). Appended: members above keep their places.
	 *
	 * put_pin inserts p unless a pin with its key (run, list_digest,
	 * request) is there: *inserted is 1 when this call inserted it, 0
	 * when another was there first (it is left alone). A statement of
	 * its own, outside begin/commit; concurrent callers with one key
	 * get exactly one *inserted = 1.
	 *
	 * get_pin looks up the pin with key's run, list_digest and request:
	 * *found 1 fills plan_hash, assignment (reset, then the bytes) and
	 * meta (reset, then the text); *found 0 leaves them alone.
	 *
	 * Errors: put_pin gives SHARD_EINPUT for a plan_hash longer than 64
	 * characters (get_pin could not hand it back), SHARD_EENV inside
	 * begin/commit or on a store opened read-only (get_pin works
	 * there). A NULL meta is stored as none and read back as "".
	 *
	 * prune (above) also keeps only the pins of the keep_runs runs whose
	 * pins are newest (by created_at).
	 */
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
void store_close(struct store *s);

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
