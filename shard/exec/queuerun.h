/*
 * A queue worker (docs/design.md "run", queue mode): claim a batch, run the
 * command on it through a runner adapter with the lease kept alive,
 * complete the batch with each test's outcome and testcase XML, and add
 * it to this worker's JUnit file (reportlog.h: a valid report of the
 * batches completed so far at every instant, each batch appended, not
 * the file rewritten), until the queue is drained.
 *
 * Batch size: guided self-scheduling on the estimates: a batch aims at
 * the pending estimated seconds / (2 x workers), so batches are large
 * while much work remains and shrink toward single tests at the end.
 * The workers are those the queue has seen (each registers when it
 * joins), at least the count given; without a count, batches are also
 * held short while workers are still arriving. Never below the minimum
 * (default 10x the measured per-invocation overhead: wall time of an
 * invocation less the time its tests report, the least seen so far by
 * any worker of the run, as a busy machine only ever adds to it). A
 * worker's first invocation is not a measure: it is cold, and it starts
 * when every worker starts, so on a small machine it measures the crowd,
 * not the command. Until a warm invocation has been measured, batches
 * follow the estimates alone.
 *
 * While a batch runs, the worker completes the one before and, unless
 * the run is near its end, claims the next (see queuerun.c), so that the
 * command is started again as soon as it ends. A stopped worker gives
 * back what it claimed ahead.
 */
#ifndef SHARD_QUEUERUN_H
#define SHARD_QUEUERUN_H

#include <signal.h>

#include "shard/exec/queue.h"
#include "shard/exec/batchrun.h"
#include "shard/exec/runner.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"

struct queuerun_options {
	struct batchrun_command run; /* the command and where it runs */
	long workers;                /* expected workers; 0 when not
					  given: learnt from the queue */
	double arrival;              /* without a count: seconds after
					  the latest worker joined during
					  which another may still arrive,
					  and a batch's most seconds then */
	double heartbeat;            /* seconds between lease renewals */
	double poll;                 /* seconds between looks when only
					  others' claims are left */
	double min_batch;            /* seconds; < 0: 10x the overhead */
	const char *output;          /* this worker's JUnit file, or NULL */
	/* told after each batch: tests, failures among them, seconds */
	void (*on_batch)(void *data, size_t tests, size_t failed,
			 double seconds);
	void *data;
};

struct queuerun_result {
	size_t batches, tests, failed;
	size_t rejected; /* results whose claim was lost */
	double overhead; /* measured per invocation, seconds:
					  the least warm one, else the
					  first (cold) invocation's */
	int status;      /* the last non-zero command status */
	int stopped;
};

/*
 * Run batches of q until it is drained or *o->stop is set. Returns 0
 * whatever the tests' outcomes (in res), or the queue's, the runner's or
 * the file's error code.
 */
int queuerun_run(struct queue *q, const struct queuerun_options *o,
		 const struct shard_ctx *ctx, struct queuerun_result *res,
		 struct shard_error *err);

/*
 * The seconds of estimate to claim now, given what the queue has left
 * and warm, this worker's least warm overhead (-1 when none yet): the
 * pending estimate over twice the workers (those left has seen, at least
 * o->workers), held to o->arrival while workers may still arrive (no
 * count given, one joined less than o->arrival seconds ago), and never
 * below the minimum (o->min_batch, else 10x the least overhead of the
 * run's, else none).
 */
double queuerun_batch_seconds(const struct queuerun_options *o, double warm,
			      const struct queue_left *left);

/*
 * Whether to claim the next batch while one with remaining seconds of
 * estimate still runs: when it would end well before the queue's work,
 * spread over the workers, is done: the remaining estimate plus the next
 * batch's (at least the longest pending test), with a margin of 1.3 for
 * the estimates' error, within (pending + claimed estimates) / workers.
 * Otherwise (long tests at the start, the last batches at the end) the
 * claim waits for this batch's end, so that no worker holds work another
 * could start sooner, nor ends late because a batch took longer than its
 * estimate. Never when nothing is pending.
 */
int queuerun_claim_ahead(const struct queuerun_options *o, double warm,
			 const struct queue_left *left, double remaining);

#endif
