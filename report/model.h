/*
 * What `shard report` shows, computed once from history and then written
 * in any format (report/write.h): every writer reads the same figures, so
 * the charts of the HTML page and the JSON agree by construction.
 */
#ifndef REPORT_MODEL_H
#define REPORT_MODEL_H

#include <stddef.h>

#include "shard/store/store.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/pool.h"

#define REPORT_LAST_DEFAULT 10 /* runs looked at */
#define REPORT_LAST_MAX 1000
#define REPORT_TOP_DEFAULT 10 /* slowest tests and files listed */
/* A test flips when its outcome changes between consecutive runs. */
#define REPORT_FLAKY_MIN_FLIPS 3
#define REPORT_FLAKY_MIN_RATE 0.25

struct report_options {
	unsigned last; /* runs, 1..REPORT_LAST_MAX */
	unsigned top;  /* slowest tests and files, >= 1 */
};

/* One run of the window, oldest first. Strings belong to the report. */
struct report_run {
	const char *run_key;
	const char *commit, *branch; /* NULL when unknown */
	double started_at;
	size_t tests;         /* distinct tests with a result */
	size_t failed;        /* last attempt failed or errored */
	double suite_seconds; /* sum of every result's time */
	double makespan;      /* longest shard's actual time */
	int has_makespan;     /* 0: no shard figures for the run */
	int shards;           /* shard count, 0 when unknown */
};

/* One shard of the latest run (its last attempt). */
struct report_shard {
	int index, total;
	double predicted, actual;
	int has_predicted, has_actual;
	const char *host; /* NULL when unknown */
	unsigned attempt;
};

struct report_test {
	const char *key;
	const char *file; /* NULL when unknown */
	double estimate;  /* history's estimate */
	double latest;    /* time in the latest run */
	int has_latest;
};

struct report_file {
	const char *file;
	double estimate; /* sum of its tests' estimates */
	size_t tests;
};

struct report_flaky {
	const char *key;
	int same_commit;   /* passed and failed on one commit */
	unsigned flips;    /* outcome changes between runs */
	unsigned observed; /* runs where it passed or failed */
	double flip_rate;  /* flips / (observed - 1), or 0 */
};

struct report {
	struct pool strings;
	double generated_at;     /* the context's clock */
	unsigned last;           /* runs asked for */
	struct report_run *runs; /* oldest first */
	size_t nruns;
	struct report_shard *shards; /* latest run, by index */
	size_t nshards;
	struct report_test *slowest; /* by estimate, descending */
	size_t nslowest;
	struct report_file *files; /* by estimate, descending */
	size_t nfiles;
	/*
	 * The tests that bound the makespan at the latest run's shard count:
	 * each one's estimate exceeds an even share (bound_total /
	 * bound_shards), so no shard count brings the makespan below the
	 * longest of them. Empty when the latest run has no shard count.
	 */
	int bound_shards;
	double bound_total; /* latest run's tests' estimates */
	double bound_share; /* bound_total / bound_shards */
	struct report_test *bounding;
	size_t nbounding;
	struct report_flaky *flaky; /* same commit first, then rate */
	size_t nflaky;
	const char **added;   /* in the latest run, not the one */
	size_t nadded;        /* before it (by key) */
	const char **removed; /* the other way round */
	size_t nremoved;
};

/*
 * Read the last opt->last runs of st and compute the report into *out
 * (initialised here; report_release() frees it, also after an error). A
 * history without runs gives an empty report. Errors: the store's.
 */
int report_build(struct store *st, const struct report_options *opt,
		 const struct shard_ctx *ctx, struct report *out,
		 struct shard_error *err);
void report_release(struct report *r);

#endif
