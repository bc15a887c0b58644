/*
 * A worker is one loop: size, claim, run (batchrun.h), complete, write;
 * while a batch runs, the one before is completed and the next claimed
 * (see struct worker). Results are completed in the queue before they go
 * into the worker's file, so the files never hold a test twice (a
 * completion whose claim was lost is rejected, and the test is left to
 * the worker that holds it now).
 */
#include "shard/exec/queuerun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shard/exec/batchrun.h"
#include "shard/junit/junitout.h"
#include "shard/junit/reportlog.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

/* A batch whose runner has ended, its results not yet completed (b.n
 * is 0 when there is none). */
struct ended_batch {
	struct queue_batch b;
	struct batchrun run;
};

/*
 * The worker overlaps the queue's work with the command's: while a batch
 * runs, it completes the batch before (its results, its file) and, when
 * the next batch would still end well before the queue's work does
 * (look_ahead), claims that one too, so that between two invocations
 * there is only reading a report and starting a process. Near the end it
 * claims only when a batch has ended, so that it never holds work an idle
 * worker could run.
 */
struct worker {
	struct queue *q;
	const struct queuerun_options *o;
	const struct shard_ctx *ctx;
	struct queuerun_result *res;
	struct reportlog file;           /* -o: the completed batches */
	struct batchrun_options bo;      /* how a batch is run */
	const struct queue_batch *batch; /* being run */
	double batch_start;
	struct ended_batch done;     /* ran, to be completed */
	struct queue_batch next;     /* claimed ahead (n = 0: none) */
	int looked_ahead;            /* for the batch being run */
	struct shard_error tick_err; /* queue work in a tick that failed */
	double cold;                 /* the first invocation's overhead */
	double warm;                 /* least overhead after the first
					  invocation, -1 when none yet */
	size_t invocations;
	double next_beat;
	int beat_failed;
};

static void heartbeat(struct worker *w, double now)
{
	struct shard_error e = SHARD_ERROR_INIT;

	if (now < w->next_beat)
		return;
	w->next_beat = now + w->o->heartbeat;
	if ((queue_heartbeat(w->q, w->batch, &e) ||
	     (w->next.n && queue_heartbeat(w->q, &w->next, &e))) &&
	    !w->beat_failed) {
		shard_warn(w->ctx, "heartbeat: %s", e.msg);
		w->beat_failed = 1;
	}
}

/* One testsuite of the batch's accepted tests onto the worker's file. */
static int add_to_file(struct worker *w, const struct queue_batch *b,
		       const struct queue_result *const *res,
		       const int *accepted, struct shard_error *err)
{
	struct strbuf cases = STRBUF_INIT, suite = STRBUF_INIT;
	size_t n = 0, failures = 0, errors = 0, skipped = 0;
	int r = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct queue_result *x = res[i];

		if (!accepted[i])
			continue;
		n++;
		if (!x) {
			errors++;
			junitout_missing(&cases, b->ids[i], "not reported");
			continue;
		}
		failures += x->outcome == JUNIT_FAILED;
		errors += x->outcome == JUNIT_ERROR;
		skipped += x->outcome == JUNIT_SKIPPED;
		strbuf_addstr(&cases, x->xml);
		strbuf_addch(&cases, '\n');
	}
	if (n && w->o->output) {
		strbuf_addf(&suite,
			    "<testsuite name=\"shard batch %lld\" "
			    "tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
			    "skipped=\"%zu\">\n%s</testsuite>",
			    (long long)b->id, n, failures, errors, skipped,
			    cases.buf);
		r = reportlog_append(&w->file, suite.buf, suite.len, err);
	}
	strbuf_release(&cases);
	strbuf_release(&suite);
	return r;
}

static void nap(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/*
 * The per-invocation overhead: the least warm measure of this worker
 * (warm) or of any other of the run (-1 when none yet).
 */
static double least_overhead(double warm, const struct queue_left *left)
{
	if (left->overhead >= 0 && (warm < 0 || left->overhead < warm))
		return left->overhead;
	return warm;
}

/*
 * Workers to share the queue with: those seen within a lease, at least
 * those expected when the count was given.
 */
static double workers_of(const struct queuerun_options *o,
			 const struct queue_left *left)
{
	long n = left->workers > o->workers ? (long)left->workers : o->workers;

	return (double)(n > 0 ? n : 1);
}

/*
 * Guided self-scheduling, the pending estimate over twice the workers.
 * Without a given count, the workers seen so far may be the first few of
 * many: while another may still arrive (one joined less than o->arrival
 * seconds ago), a batch is also held to o->arrival seconds, so that a
 * claim made before the others arrive ends about when they have (without
 * it, the first of 8 workers started together claimed half the suite).
 * Then the count is known from the queue, and batches follow it.
 */
double queuerun_batch_seconds(const struct queuerun_options *o, double warm,
			      const struct queue_left *left)
{
	double t = left->pending_seconds / (2.0 * workers_of(o, left));
	double over = least_overhead(warm, left);
	double min = o->min_batch >= 0 ? o->min_batch
		     : over > 0        ? 10 * over
				       : 0;

	if (o->workers <= 0 && left->joined_ago < o->arrival && t > o->arrival)
		t = o->arrival;
	return t > min ? t : min;
}

#define LOOK_AHEAD_MARGIN 1.3
int queuerun_claim_ahead(const struct queuerun_options *o, double warm,
			 const struct queue_left *left, double remaining)
{
	double target = queuerun_batch_seconds(o, warm, left);
	double next = target > left->head_seconds ? target : left->head_seconds;
	double spread = (left->pending_seconds + left->claimed_seconds) /
			workers_of(o, left);

	remaining = remaining > 0 ? remaining : 0;
	return left->pending &&
	       !(LOOK_AHEAD_MARGIN * (remaining + next) > spread);
}

/* The batch's results as the queue takes them: NULL for an unreported
 * test. */
static const struct queue_result **results_of(const struct ended_batch *d,
					      struct queue_result *res)
{
	size_t n = d->b.n;
	const struct queue_result **ptr = xcalloc(n ? n : 1, sizeof(*ptr));

	for (size_t i = 0; i < n; i++) {
		const struct batchrun_case *c = &d->run.cases[i];

		if (!(d->run.state[i] & BATCHRUN_REPORTED))
			continue;
		res[i].outcome = c->outcome;
		res[i].seconds = c->seconds;
		res[i].xml = c->xml;
		res[i].suite = c->suite;
		ptr[i] = &res[i];
	}
	return ptr;
}

/* The per-invocation overhead the batch measured, into the worker's. */
static void measure_overhead(struct worker *w, const struct batchrun *run)
{
	/* wall less what the tests report; the least warm one seen, as a
	 * busy machine only adds to it */
	double o = (run->wall - run->reported) / (double)run->jobs;

	o = o > 0 ? o : 0;
	if (!w->invocations)
		w->cold = o;
	else if (w->warm < 0 || o < w->warm)
		w->warm = o;
	w->invocations += run->jobs;
}

/* Complete the batch that ran, record it in the file and the counts. */
static int complete_ended(struct worker *w, struct shard_error *err)
{
	struct ended_batch *d = &w->done;
	const struct queue_batch *b = &d->b;
	struct queue_result *res;
	const struct queue_result **ptr;
	int *accepted;
	size_t failed = 0;
	int r;

	if (!b->n)
		return 0;
	res = xcalloc(b->n, sizeof(*res));
	ptr = results_of(d, res);
	accepted = xcalloc(b->n, sizeof(*accepted));
	r = queue_complete(w->q, b, ptr, accepted, err);
	for (size_t i = 0; !r && i < b->n; i++) {
		int bad = !ptr[i] || ptr[i]->outcome == JUNIT_FAILED ||
			  ptr[i]->outcome == JUNIT_ERROR;

		w->res->rejected += !accepted[i];
		w->res->tests += (size_t)accepted[i];
		failed += (size_t)(accepted[i] && bad);
	}
	if (!r) {
		w->res->failed += failed;
		w->res->batches++;
		r = add_to_file(w, b, ptr, accepted, err);
	}
	if (!r && d->run.jobs)
		measure_overhead(w, &d->run);
	if (!r && w->o->on_batch)
		w->o->on_batch(w->o->data, b->n, failed, d->run.wall);
	batchrun_release(&d->run);
	queue_batch_release(&d->b);
	free(accepted);
	free(ptr);
	free(res);
	return r;
}

/* Claim the next batch while this one runs, when queuerun_claim_ahead
 * says so. */
static int look_ahead(struct worker *w, double now, struct shard_error *err)
{
	struct queue_left left;

	w->looked_ahead = 1;
	if (queue_left(w->q, w->warm, &left, err))
		return err->code;
	if (!queuerun_claim_ahead(w->o, w->warm, &left,
				  w->batch->seconds - (now - w->batch_start)))
		return 0;
	return queue_claim(w->q, queuerun_batch_seconds(w->o, w->warm, &left),
			   &w->next, err);
}

/* While a batch runs: its lease, and the queue's work (see struct
 * worker); a failure stops the work and is reported when the batch
 * ends. */
static void tick(void *data, double now)
{
	struct worker *w = data;

	if (!w->batch)
		return;
	heartbeat(w, now);
	if (w->tick_err.code)
		return;
	if (complete_ended(w, &w->tick_err))
		return;
	if (!w->looked_ahead && !w->next.n && !w->res->stopped &&
	    !(w->o->run.stop && *w->o->run.stop))
		look_ahead(w, now, &w->tick_err);
}

/* Run b (taken over); on its end it waits in w->done to be completed,
 * or goes back to the queue if the worker was stopped. */
static int run_one(struct worker *w, struct queue_batch *b,
		   struct shard_error *err)
{
	struct batchrun run;
	char tag[48];
	int r;

	snprintf(tag, sizeof(tag), "b%lld", (long long)b->id);
	batchrun_init(&run, &w->bo, (const char *const *)b->ids, b->n);
	w->batch = b;
	w->batch_start = shard_now(w->ctx);
	w->next_beat = w->batch_start + w->o->heartbeat;
	w->looked_ahead = 0;
	r = batchrun_run(&run, tag, (const char *const *)b->ids, b->n, w->ctx,
			 err);
	w->batch = NULL;
	if (run.status)
		w->res->status = run.status;
	if (run.stopped)
		w->res->stopped = 1;
	if (!r && w->tick_err.code) {
		*err = w->tick_err;
		r = err->code;
	}
	/* a batch that ended within its first tick: the one before */
	if (!r && !w->res->stopped)
		r = complete_ended(w, err);
	if (!r && w->res->stopped)
		r = queue_unclaim(w->q, b, err);
	if (r || w->res->stopped) {
		batchrun_release(&run);
		queue_batch_release(b);
		return r;
	}
	w->done.b = *b;
	w->done.run = run;
	memset(b, 0, sizeof(*b));
	return 0;
}

static void batch_options(struct worker *w)
{
	const struct queuerun_options *o = w->o;
	struct batchrun_options *bo = &w->bo;

	memset(bo, 0, sizeof(*bo));
	bo->run = o->run;
	bo->tick = tick;
	bo->tick_data = w;
	/* the testcases go to the queue, and a stopped batch back to it */
	bo->keep_cases = 1;
}

int queuerun_run(struct queue *q, const struct queuerun_options *o,
		 const struct shard_ctx *ctx, struct queuerun_result *res,
		 struct shard_error *err)
{
	struct worker w = {
		.q = q, .o = o, .ctx = ctx, .res = res, .cold = 0, .warm = -1
	};
	struct shard_error e2 = SHARD_ERROR_INIT;
	int r = 0;

	memset(res, 0, sizeof(*res));
	w.file.fd = -1;
	batch_options(&w);
	if (runner_check(o->run.runner, o->run.cmd, err))
		return err->code;
	if (o->output && reportlog_create(&w.file, o->output, err)) {
		reportlog_release(&w.file);
		return err->code;
	}
	while (!r && !(o->run.stop && *o->run.stop)) {
		struct queue_left left;
		struct queue_batch b;

		if (w.next.n) {
			b = w.next;
			memset(&w.next, 0, sizeof(w.next));
		} else {
			/* what ran is done before the look at what is left */
			if ((r = complete_ended(&w, err)) ||
			    (r = queue_left(q, w.warm, &left, err)))
				break;
			if (!left.pending && !left.claimed)
				break; /* drained */
			if (!left.pending) {
				/* only others' claims: they may be lost */
				nap(o->poll);
				continue;
			}
			if ((r = queue_claim(q,
					     queuerun_batch_seconds(o, w.warm,
								    &left),
					     &b, err)))
				break;
			if (!b.n)
				continue;
		}
		r = run_one(&w, &b, err);
		if (res->stopped)
			break;
	}
	/* what ran is completed and what was claimed ahead given back,
	 * also after a failure (its first error is the one reported) */
	if (complete_ended(&w, &e2) && !r)
		r = shard_error_set(err, e2.code, "%s", e2.msg);
	if (w.next.n) {
		if (queue_unclaim(q, &w.next, &e2) && !r)
			r = shard_error_set(err, e2.code, "%s", e2.msg);
		queue_batch_release(&w.next);
	}
	/* the file, valid all along, loses its room for more */
	if (o->output && reportlog_finish(&w.file, &e2) && !r)
		r = shard_error_set(err, e2.code, "%s", e2.msg);
	reportlog_release(&w.file);
	if (o->run.stop && *o->run.stop)
		res->stopped = 1;
	res->overhead = w.warm >= 0 ? w.warm : w.cold;
	return r;
}
