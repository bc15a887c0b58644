/*
 * Ingest: JUnit XML or timing JSON ({"id": seconds}, pytest-split's
 * .test_durations and knapsack reports) into the history store, told apart
 * by content. Each file is one transaction: a bad file leaves the store as
 * it was. A file already ingested for the same run (same content digest)
 * is skipped, so re-ingesting never double-counts.
 */
#ifndef SHARD_INGEST_H
#define SHARD_INGEST_H

#include <stdint.h>

#include "shard/partition.h"
#include "shard/store/store.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"

struct ingest_options {
	const char *run_key; /* --run-id or the CI's; NULL: from the report
				 (shard.run_id property), else the content */
	const char *commit, *branch, *ci;
	int recover; /* libxml2 recovery mode */
};

enum ingest_kind { INGEST_JUNIT, INGEST_TIMING_JSON };

struct ingest_stats {
	enum ingest_kind kind;
	uint64_t tests, passed, failed, errors, skipped;
	int already; /* the run already had this file: skipped */
	/* results of shards `shard run` had recorded already: skipped */
	uint64_t by_shards;
	char run_key[256];
};

/*
 * What one read of a file tells: its digest (its identity), whether it is
 * XML or JSON, and whether it holds the plans of shard run's shards.
 */
struct ingest_sniff {
	char digest[65];
	int first;       /* its first significant byte: '<', '{', '[' */
	int shard_plans; /* it names shard.plan_hash */
};

/*
 * Sniff the file at path (fd open on it, seekable, left at its start).
 * SHARD_EINPUT for a file that is neither XML nor JSON, SHARD_EENV for
 * read errors.
 */
int ingest_sniff(int fd, const char *path, struct ingest_sniff *out,
		 struct shard_error *err);

/*
 * Feed the shard property sets of the JUnit file at path (fd at its
 * start, left there) to pc, named as path, so that reports of shards
 * planned apart are refused before any of them is recorded (partition.h).
 */
int ingest_partition(int fd, const char *path, const struct ingest_options *opt,
		     struct partition_check *pc, const struct shard_ctx *ctx,
		     struct shard_error *err);

/*
 * Ingest the file at path ("-" is not accepted here: cmd/ spools stdin to
 * a file). fd must be open on it and seekable; sn is its sniff, or NULL
 * to sniff it here. Returns 0 or a negative code; on error nothing of
 * this file is stored. A shard whose plan disagrees with the plan of a
 * shard of the same list already recorded for the run is SHARD_EINPUT.
 */
int ingest_fd(struct store *st, int fd, const char *path,
	      const struct ingest_sniff *sn, const struct ingest_options *opt,
	      const struct shard_ctx *ctx, struct ingest_stats *stats,
	      struct shard_error *err);

#endif
