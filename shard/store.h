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

#include "error.h"
#include "estimate.h"
#include "junit.h"

#define STORE_DEFAULT_PATH ".shard/history.db"

struct store_run {
	const char *run_key;    /* DESIGN.md run identity */
	double started_at;      /* seconds since the epoch */
	const char *commit;     /* may be NULL */
	const char *branch;     /* may be NULL */
	const char *ci;         /* provider name, may be NULL */
};

struct store_result {
	const char *key;        /* canonical key */
	const char *file;       /* normalised path, NULL when unknown */
	const char *parent_key; /* a Go subtest's parent, else NULL */
	enum junit_outcome outcome;
	double seconds;
	int has_time;           /* 0: no sample for the estimate */
	int shard;              /* -1 when unknown */
};

struct store_shard {
	int index, total;
	double predicted, actual;
	int has_predicted, has_actual;
	const char *host;       /* may be NULL */
	unsigned attempt;
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
	int64_t bytes;          /* size on disk, -1 when unknown */
	int schema_version;
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
			  const struct store_result *r, struct shard_error *err);
	int (*add_shard)(struct store *s, int64_t run_id,
			 const struct store_shard *sh, struct shard_error *err);
	/* A file's set-up time outside its testcases, one sample per run. */
	int (*add_file_overhead)(struct store *s, const char *file,
				 double seconds, struct shard_error *err);
	int (*each_estimate)(struct store *s,
			     int (*fn)(void *data, const struct store_estimate *e),
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
};

struct store {
	const struct store_ops *ops;
	unsigned window;               /* samples kept per test */
	enum estimate_method method;   /* estimator applied at ingest */
};

struct store_options {
	int create;          /* create the store (and its directory) if missing */
	int readonly;
	unsigned window;     /* 0: ESTIMATE_WINDOW_DEFAULT */
};

/*
 * Open the store at location (a path, or a postgres:// or postgresql://
 * URL). With !opt->create a missing SQLite file, or a PostgreSQL database
 * without the history's schema, gives *out = NULL and returns 0: the
 * history knows nothing yet. An https:// URL is refused (DESIGN.md).
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
/* The schema version this binary writes. */
int store_sqlite_schema_version(void);

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
