/*
 * Queue mode on PostgreSQL: the matrix jobs of one CI run pull
 * batches of tests from a table instead of following a static plan, so
 * that no job idles while another still has a long tail.
 *
 * One row per test of a run (keyed by the run id and the test's position,
 * longest estimate first). The first worker to arrive seeds the run under
 * a transaction-level advisory lock, so seeding happens exactly once even
 * when every worker arrives at the same instant. A worker claims a batch
 * with SELECT ... FOR UPDATE SKIP LOCKED; a claim is a lease that the
 * worker's heartbeat extends; the tests of a claim whose lease ran out
 * go back to the queue (counted as requeued) at the next look.
 * Completing a batch is conditional on still holding the claim, and
 * stores each test's outcome and its testcase XML, so the run's report
 * is written from the table with every test exactly once (the last complete result). A new attempt of the CI
 * run (a re-run of failed jobs) puts failed and unfinished tests back.
 *
 * Workers register when they join, so that the queue knows how many
 * share it even when no one said (queuerun.c sizes batches by it). The
 * run keeps running totals, so that claims, completions and looks cost
 * the same whatever the suite's size (see queue.c).
 */
#ifndef SHARD_QUEUE_H
#define SHARD_QUEUE_H

#include <stdint.h>
#include <stdio.h>

#include "shard/junit/junit.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"

struct queue;

/*
 * Connect to url and make sure the queue's tables exist (concurrent
 * first uses are serialised by an advisory lock). worker names this
 * process in claims. SHARD_EINPUT for a bad URL, SHARD_EENV otherwise.
 */
int queue_open(struct queue **out, const char *url, const char *run_id,
	       const char *worker, double lease_seconds,
	       struct shard_error *err);
void queue_close(struct queue *q);

/* The tests that seed a run: ids and their estimated seconds. */
struct queue_seed_list {
	const char *const *ids;
	const double *seconds;
	size_t n;
};

/*
 * Seed the run, unless it exists, with the tests load gives (any order:
 * the queue orders them longest first). load is called only when this
 * worker seeds, inside the seeding transaction under its lock, so that
 * workers arriving together do not each read the list and the history:
 * they wait for the seeder instead. For an existing run whose attempt is
 * lower than attempt, failed and unfinished tests go back to pending
 * once. The worker is registered in the run first. *seeded is 1 when
 * this call seeded the run, with *total its number of tests.
 */
int queue_seed(struct queue *q, long attempt,
	       int (*load)(void *data, struct queue_seed_list *out,
			   struct shard_error *err),
	       void *data, int *seeded, size_t *total, struct shard_error *err);

/*
 * What is left (claims whose lease ran out are put back first): pending
 * tests and their estimated sum, tests claimed and their estimated sum,
 * the estimate of the longest pending test (the next claim's first),
 * workers seen within a lease, the seconds since the latest of the run's
 * workers joined, and the least per-invocation overhead any worker of
 * the run has measured (-1 when none has). my_overhead (>= 0) is this
 * worker's least, shared with the others first; -1 shares nothing.
 * Its cost does not depend on the number of tests.
 */
struct queue_left {
	int64_t pending, claimed, workers;
	double pending_seconds, claimed_seconds, head_seconds;
	double joined_ago;
	double overhead;
};
int queue_left(struct queue *q, double my_overhead, struct queue_left *out,
	       struct shard_error *err);

struct queue_batch {
	int64_t id;
	size_t n;
	int32_t *pos;   /* each test's position in the run */
	char **ids;     /* owned */
	double seconds; /* estimated */
};

/*
 * Claim tests in order, longest first, up to target seconds of estimate
 * (at least one test). b->n is 0 when nothing is claimable now.
 */
int queue_claim(struct queue *q, double target, struct queue_batch *b,
		struct shard_error *err);
void queue_batch_release(struct queue_batch *b);
/* Extend the lease of b and mark the worker alive. */
int queue_heartbeat(struct queue *q, const struct queue_batch *b,
		    struct shard_error *err);

/* One test's result, as completed. */
struct queue_result {
	enum junit_outcome outcome;
	double seconds;
	const char *suite; /* the suite it was reported in, or NULL */
	const char *xml;   /* its <testcase> element */
};

/*
 * Complete b: results[i] for b->pos[i], NULL for a test the runner did
 * not report (recorded failed: it runs again on a re-run). Only tests
 * still claimed by this batch are completed; accepted[i] says which.
 */
int queue_complete(struct queue *q, const struct queue_batch *b,
		   const struct queue_result *const *results, int *accepted,
		   struct shard_error *err);
/* Give b's tests back (a stopped worker), without counting an attempt. */
int queue_unclaim(struct queue *q, const struct queue_batch *b,
		  struct shard_error *err);

struct queue_worker_status {
	char name[128];
	int64_t batches, tests, failed;
	double last_seen_ago;
};

struct queue_status {
	int exists;
	int64_t total, pending, claimed, done, failed, requeued;
	long attempt;
	struct queue_worker_status *workers; /* owned */
	size_t nworkers;
};
int queue_status(struct queue *q, struct queue_status *out,
		 struct shard_error *err);
void queue_status_release(struct queue_status *s);

/*
 * Write the run's JUnit report from the table: one testsuite per
 * reported suite name, every completed test once; tests never completed
 * are written as errors "not run". Counts are recounted by the caller's
 * merge if it needs them; here they are computed from the rows.
 */
int queue_report(struct queue *q, FILE *out, struct shard_error *err);

#endif
