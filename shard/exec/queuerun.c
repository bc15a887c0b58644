/*
 * A worker is one loop: size, claim, run, read, complete, write; while a
 * batch runs, the one before is completed and the next claimed (see
 * struct worker). Results are completed in the queue before they go into the worker's file, so
 * the files never hold a test twice (a completion whose claim was lost
 * is rejected, and the test is left to the worker that holds it now).
 */
#include "shard/exec/queuerun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shard/exec/runcmd.h"
#include "shard/junit/idmatch.h"
#include "shard/junit/junitout.h"
#include "shard/junit/reportlog.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

/* What a batch's reports said about each of its tests. */
struct batch_read {
	struct idmatch m;
	struct queue_result *res;  /* per batch test */
	struct queue_result **ptr; /* &res[i] when reported, else NULL */
	char **xml, **suite;       /* owned, per batch test */
	int fd, raw;
	unsigned long long start, end;
	double reported; /* seconds the testcases report */
	size_t failed;
	struct strbuf tmp;
};

static void batch_read_init(struct batch_read *br, const struct queue_batch *b)
{
	size_t n = b->n ? b->n : 1;

	memset(br, 0, sizeof(*br));
	idmatch_init(&br->m, (const char *const *)b->ids, b->n);
	br->res = xcalloc(n, sizeof(*br->res));
	br->ptr = xcalloc(n, sizeof(*br->ptr));
	br->xml = xcalloc(n, sizeof(*br->xml));
	br->suite = xcalloc(n, sizeof(*br->suite));
	strbuf_init(&br->tmp, 0);
}

static void batch_read_release(struct batch_read *br, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(br->xml[i]);
		free(br->suite[i]);
	}
	free(br->xml);
	free(br->suite);
	free(br->res);
	free(br->ptr);
	idmatch_release(&br->m);
	strbuf_release(&br->tmp);
}

static int on_element_end(void *data, const struct junit_element *e,
			  struct shard_error *err)
{
	struct batch_read *br = data;

	(void)err;
	if (e->kind == JUNIT_EL_CASE) {
		br->start = e->start;
		br->end = e->end_end;
		br->raw = e->raw;
	}
	return 0;
}

/* The testcase's bytes as the runner wrote them (UTF-8 input). */
static char *case_bytes(struct batch_read *br, const struct junit_case *c)
{
	size_t len = (size_t)(br->end - br->start);
	char *buf;

	if (!br->raw || br->end <= br->start) {
		strbuf_reset(&br->tmp);
		strbuf_addf(&br->tmp, "<testcase name=\"%s\" time=\"%.3f\"/>",
			    "unreadable", c->time);
		return xstrdup(br->tmp.buf);
	}
	buf = xmalloc(len + 1);
	if (pread(br->fd, buf, len, (off_t)br->start) != (ssize_t)len)
		len = 0;
	buf[len] = '\0';
	return buf;
}

static int on_case(void *data, const struct junit_case *c,
		   struct shard_error *err)
{
	struct batch_read *br = data;
	size_t ix = idmatch_case(&br->m, c);

	(void)err;
	br->reported += c->has_time ? c->time : 0;
	if (ix == IDMATCH_NONE)
		return 0;
	free(br->xml[ix]);
	free(br->suite[ix]);
	br->xml[ix] = case_bytes(br, c);
	br->suite[ix] = c->suite && c->suite->name ? xstrdup(c->suite->name)
						   : NULL;
	br->res[ix].outcome = c->outcome;
	br->res[ix].seconds = c->time;
	br->res[ix].xml = br->xml[ix];
	br->res[ix].suite = br->suite[ix];
	br->ptr[ix] = &br->res[ix];
	return 0;
}

static void read_job_report(struct batch_read *br, const char *path,
			    const struct shard_ctx *ctx)
{
	struct junit_handler h = {
		.testcase = on_case,
		.element_end = on_element_end,
		.data = br,
	};
	struct junit_options jo = { .recover = 0 };
	struct shard_error e = SHARD_ERROR_INIT;

	br->fd = open(path, O_RDONLY);
	if (br->fd < 0) {
		shard_warn(ctx, "%s: the runner wrote no report", path);
		return;
	}
	if (junit_read_fd(br->fd, path, &jo, &h, ctx, &e))
		shard_warn(ctx, "the runner's report is unreadable: %s", e.msg);
	close(br->fd);
	br->fd = -1;
}

/* A batch whose runner has ended, its results not yet completed (b.n
 * is 0 when there is none). */
struct ran {
	struct queue_batch b;
	struct batch_read br;
	size_t jobs;
	double wall;
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
	const struct queue_batch *batch; /* being run */
	double batch_start;
	struct ran done;             /* ran, to be completed */
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
		       const struct batch_read *br, const int *accepted,
		       struct shard_error *err)
{
	struct strbuf cases = STRBUF_INIT, suite = STRBUF_INIT;
	size_t n = 0, failures = 0, errors = 0, skipped = 0;
	int r = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct queue_result *x = br->ptr[i];

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
 * The per-invocation overhead: the least warm measure of this worker or
 * of any other of the run (-1 when none yet).
 */
static double least_overhead(const struct worker *w,
			     const struct queue_left *left)
{
	if (left->overhead >= 0 && (w->warm < 0 || left->overhead < w->warm))
		return left->overhead;
	return w->warm;
}

/*
 * Workers to share the queue with: those seen within a lease, at least
 * those expected when the count was given.
 */
static double workers_of(const struct worker *w, const struct queue_left *left)
{
	long n = left->workers > w->o->workers ? (long)left->workers
					       : w->o->workers;

	return (double)(n > 0 ? n : 1);
}

/*
 * The batch to aim at now: guided self-scheduling, the pending estimate
 * over twice the workers. Without a given count, the workers seen so far
 * may be the first few of many: while another may still arrive (one
 * joined less than o->arrival seconds ago), a batch is also held to
 * o->arrival seconds, so that a claim made before the others arrive
 * ends about when they have (without it, the first of 8 workers started
 * together claimed half the suite). Then the count is known from the
 * queue, and batches follow it.
 */
static double target_seconds(const struct worker *w,
			     const struct queue_left *left)
{
	double t = left->pending_seconds / (2.0 * workers_of(w, left));
	double over = least_overhead(w, left);
	double min = w->o->min_batch >= 0 ? w->o->min_batch
		     : over > 0           ? 10 * over
					  : 0;

	if (w->o->workers <= 0 && left->joined_ago < w->o->arrival &&
	    t > w->o->arrival)
		t = w->o->arrival;
	return t > min ? t : min;
}

/* Complete the batch that ran, record it in the file and the counts. */
static int finish(struct worker *w, struct shard_error *err)
{
	struct ran *d = &w->done;
	const struct queue_batch *b = &d->b;
	int *accepted;
	size_t failed = 0;
	int r;

	if (!b->n)
		return 0;
	accepted = xcalloc(b->n ? b->n : 1, sizeof(*accepted));
	r = queue_complete(w->q, b,
			   (const struct queue_result *const *)d->br.ptr,
			   accepted, err);
	for (size_t i = 0; !r && i < b->n; i++) {
		int bad = !d->br.ptr[i] ||
			  d->br.ptr[i]->outcome == JUNIT_FAILED ||
			  d->br.ptr[i]->outcome == JUNIT_ERROR;

		w->res->rejected += !accepted[i];
		w->res->tests += (size_t)accepted[i];
		failed += (size_t)(accepted[i] && bad);
	}
	if (!r) {
		w->res->failed += failed;
		w->res->batches++;
		r = add_to_file(w, b, &d->br, accepted, err);
	}
	if (!r && d->jobs) {
		/* per invocation: wall less what the tests report; the
		 * least warm one seen, as a busy machine only adds to it */
		double o = (d->wall - d->br.reported) / (double)d->jobs;

		o = o > 0 ? o : 0;
		if (!w->invocations)
			w->cold = o;
		else if (w->warm < 0 || o < w->warm)
			w->warm = o;
		w->invocations += d->jobs;
	}
	if (!r && w->o->on_batch)
		w->o->on_batch(w->o->data, b->n, failed, d->wall);
	batch_read_release(&d->br, b->n);
	queue_batch_release(&d->b);
	free(accepted);
	return r;
}

/*
 * Claim the next batch while this one runs, when it would end well before
 * the queue's work, spread over the workers, is done: this batch's
 * remaining estimate plus the next one's (at least the longest pending
 * test), with a margin for the estimates' error, within (pending +
 * claimed estimates) / workers. Otherwise (long tests at the start, the
 * last batches at the end) the claim waits for this batch's end, so that
 * no worker holds work another could start sooner, nor ends late because
 * a batch took longer than its estimate.
 */
#define LOOK_AHEAD_MARGIN 1.3
static int look_ahead(struct worker *w, double now, struct shard_error *err)
{
	struct queue_left left;
	double target, next, remaining, spread;

	w->looked_ahead = 1;
	if (queue_left(w->q, w->warm, &left, err))
		return err->code;
	target = target_seconds(w, &left);
	next = target > left.head_seconds ? target : left.head_seconds;
	remaining = w->batch->seconds - (now - w->batch_start);
	remaining = remaining > 0 ? remaining : 0;
	spread = (left.pending_seconds + left.claimed_seconds) /
		 workers_of(w, &left);
	if (!left.pending || LOOK_AHEAD_MARGIN * (remaining + next) > spread)
		return 0;
	return queue_claim(w->q, target, &w->next, err);
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
	if (finish(w, &w->tick_err))
		return;
	if (!w->looked_ahead && !w->next.n && !w->res->stopped &&
	    !(w->o->stop && *w->o->stop))
		look_ahead(w, now, &w->tick_err);
}

/* Run the batch's jobs; returns their wall seconds in *wall. */
static int run_batch(struct worker *w, const struct queue_batch *b,
		     struct batch_read *br, size_t *jobs_run, double *wall,
		     struct shard_error *err)
{
	const struct queuerun_options *o = w->o;
	char tag[48];
	struct runner_request rq = {
		o->runner,
		o->cmd,
		(const char *const *)b->ids,
		b->n,
		o->dir,
		tag,
		o->index,
		o->total,
		o->share_dir,
		runner_pythonpath(o->envp),
		o->arg_room,
	};
	struct runner_job *jobs = NULL;
	size_t njobs = 0;
	double start = shard_now(w->ctx);
	int r;

	snprintf(tag, sizeof(tag), "b%lld", (long long)b->id);
	if ((r = runner_jobs(&rq, &jobs, &njobs, err)))
		return r;
	for (size_t i = 0; !r && i < njobs && !w->res->stopped; i++) {
		struct runcmd_wait wt = {
			.grace = o->grace,
			.stop = o->stop,
			.clock = w->ctx->clock,
			.data = w->ctx->data,
			.tick = tick,
			.tick_data = w,
		};
		enum runcmd_end end;
		int status = 0;

		if ((r = runner_job_run(&jobs[i], o->envp, &wt, &status, &end,
					err)))
			break;
		(*jobs_run)++;
		if (status)
			w->res->status = status;
		if (end == RUNCMD_STOPPED)
			w->res->stopped = 1;
		else
			read_job_report(br, jobs[i].junit, w->ctx);
		unlink(jobs[i].junit);
		unlink(jobs[i].tests_file);
	}
	runner_jobs_free(jobs, njobs);
	*wall = shard_now(w->ctx) - start;
	return r;
}

/* Run b (taken over); on its end it waits in w->done to be completed,
 * or goes back to the queue if the worker was stopped. */
static int run_one(struct worker *w, struct queue_batch *b,
		   struct shard_error *err)
{
	struct ran *d = &w->done;
	struct batch_read br;
	size_t jobs = 0;
	double wall = 0;
	int r;

	batch_read_init(&br, b);
	w->batch = b;
	w->batch_start = shard_now(w->ctx);
	w->next_beat = w->batch_start + w->o->heartbeat;
	w->looked_ahead = 0;
	r = run_batch(w, b, &br, &jobs, &wall, err);
	w->batch = NULL;
	if (!r && w->tick_err.code) {
		*err = w->tick_err;
		r = err->code;
	}
	/* a batch that ended within its first tick: the one before */
	if (!r && !w->res->stopped)
		r = finish(w, err);
	if (!r && w->res->stopped)
		r = queue_unclaim(w->q, b, err);
	if (r || w->res->stopped) {
		batch_read_release(&br, b->n);
		queue_batch_release(b);
		return r;
	}
	d->b = *b;
	d->br = br;
	d->jobs = jobs;
	d->wall = wall;
	memset(b, 0, sizeof(*b));
	return 0;
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
	if (runner_check(o->runner, o->cmd, err))
		return err->code;
	if (o->output && reportlog_create(&w.file, o->output, err)) {
		reportlog_release(&w.file);
		return err->code;
	}
	while (!r && !(o->stop && *o->stop)) {
		struct queue_left left;
		struct queue_batch b;

		if (w.next.n) {
			b = w.next;
			memset(&w.next, 0, sizeof(w.next));
		} else {
			/* what ran is done before the look at what is left */
			if ((r = finish(&w, err)) ||
			    (r = queue_left(q, w.warm, &left, err)))
				break;
			if (!left.pending && !left.claimed)
				break; /* drained */
			if (!left.pending) {
				/* only others' claims: they may be lost */
				nap(o->poll);
				continue;
			}
			if ((r = queue_claim(q, target_seconds(&w, &left), &b,
					     err)))
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
	if (finish(&w, &e2) && !r)
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
	if (o->stop && *o->stop)
		res->stopped = 1;
	res->overhead = w.warm >= 0 ? w.warm : w.cold;
	return r;
}
