/*
 * One shard, end to end (docs/design.md "run"): run its tests (batchrun.h),
 * rerun the failed ones up to a number of retries, then write
 * the shard's checked report: its runners' reports merged (retries folded
 * as `shard merge` folds them), planned-but-unreported tests added as
 * errors, and the shard's properties (index, total, predicted and actual
 * seconds, run id, host, attempt) in a suite of their own, ahead of the
 * results, so that `shard ingest` knows the run before the first result.
 */
#ifndef SHARD_SHARDRUN_H
#define SHARD_SHARDRUN_H

#include <signal.h>
#include <stdio.h>

#include "shard/exec/batchrun.h"
#include "shard/exec/runner.h"
#include "shard/junit/merge.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"

struct shardrun_options {
	struct batchrun_command run; /* the command and where it runs */
	const char *const *ids;      /* the shard's planned tests */
	size_t n;
	double predicted; /* seconds; < 0 when unknown */
	const char *run_id, *host;
	long attempt;       /* the CI's attempt (re-runs), >= 1 */
	const char *props;  /* more <property/> lines for the
					shard's suite (partition.h), or NULL */
	double timeout;     /* seconds for the whole shard; 0: none */
	long retries;       /* reruns of failed tests */
	const char *output; /* the report ("-": std_out) */
	FILE *std_out;
};

struct shardrun_result {
	struct merge_stats stats; /* of the written report */
	int status;               /* the last non-zero job status, or 0 */
	int timed_out, stopped;
	size_t jobs;       /* commands run */
	size_t unreadable; /* jobs that left no readable report */
	unsigned attempts; /* 1 + retries made */
	double seconds;    /* wall time of the commands */
};

/*
 * Run the shard. An empty shard runs nothing and writes an empty report.
 * Returns 0 whatever the tests' outcomes (they are in res), or a negative
 * code: SHARD_EINPUT (a bad command or id), SHARD_EENV (a command that
 * cannot be started, I/O). The report is written whole or not at all.
 */
int shardrun_run(const struct shardrun_options *o, const struct shard_ctx *ctx,
		 struct shardrun_result *res, struct shard_error *err);

#endif
