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

#include "ctx.h"
#include "error.h"
#include "store.h"

struct ingest_options {
	const char *run_key;  /* --run-id or the CI's; NULL: from the report
				 (shard.run_id property), else the content */
	const char *commit, *branch, *ci;
	int recover;          /* libxml2 recovery mode */
};

enum ingest_kind { INGEST_JUNIT, INGEST_TIMING_JSON };

struct ingest_stats {
	enum ingest_kind kind;
	uint64_t tests, passed, failed, errors, skipped;
	int already;          /* the run already had this file: skipped */
	char run_key[256];
};

/*
 * Ingest the file at path ("-" is not accepted here: cmd/ spools stdin to
 * a file). fd must be open on it and seekable. Returns 0 or a negative
 * code; on error nothing of this file is stored.
 */
int ingest_fd(struct store *st, int fd, const char *path,
	      const struct ingest_options *opt, const struct shard_ctx *ctx,
	      struct ingest_stats *stats, struct shard_error *err);

#endif
