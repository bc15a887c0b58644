/*
 * shard run --queue: this matrix job is one worker of a queue in
 * PostgreSQL. The test list and history estimates seed the queue (the
 * first worker to arrive does it); then batches are claimed and run until
 * the queue is drained (shard/exec/queuerun.c).
 */
#include "cmd/run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/ci.h"
#include "shard/exec/queuerun.h"
#include "shard/store/store.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

/*
 * Without a worker count: a worker that joins less than this long after
 * the one before may not be the last, and batches stay this short until
 * none has joined for as long. GitHub starts a matrix's jobs 0-5 s apart.
 */
#define ARRIVAL_SECONDS 5.0

struct progress {
	struct run_args *a;
	size_t tests, failed;
};

static void on_batch(void *data, size_t tests, size_t failed, double secs)
{
	struct progress *p = data;

	p->tests += tests;
	p->failed += failed;
	if (!p->a->quiet)
		fprintf(p->a->ctx->err,
			"shard run: batch of %zu tests in %.1f s"
			" (%zu failed); %zu done by this worker\n",
			tests, secs, failed, p->tests);
}

/* What seeding reads, only when this worker seeds. */
struct seed_load {
	struct run_args *a;
	const char *dir;
	struct testlist list;
	struct weights w;
};

/* The list and its estimates (history, else relatives, else equal). */
static int load_list(void *data, struct queue_seed_list *out,
		     struct shard_error *err)
{
	struct seed_load *l = data;
	struct store_options so = { 0, 0, 0 };
	struct store *st = NULL;
	int r = run_read_list(l->a, l->dir, &l->list, err);

	if (!r)
		r = store_open(cmd_history_path(l->a->ctx, l->a->history), &so,
			       &st, err);
	if (!r)
		r = weigh_tests(st, l->list.ids, l->list.nr, &l->w, err);
	store_close(st);
	out->ids = (const char *const *)l->list.ids;
	out->seconds = l->w.seconds;
	out->n = l->list.nr;
	return r;
}

static int seed_queue(struct run_args *a, struct queue *q, const char *dir,
		      struct shard_error *err)
{
	struct seed_load l = { a, dir, { 0 }, { 0 } };
	size_t total = 0;
	int seeded = 0, r;

	testlist_init(&l.list);
	r = queue_seed(q, a->attempt, load_list, &l, &seeded, &total, err);
	if (!r && !a->quiet) {
		if (seeded)
			cmd_note(a->ctx,
				 "shard run: queue %s: seeded with %zu "
				 "tests",
				 a->run_id, total);
		else
			cmd_note(a->ctx, "shard run: queue %s: joined",
				 a->run_id);
	}
	weigh_release(&l.w);
	testlist_release(&l.list);
	return r;
}

static void worker_options(struct run_args *a, const char *dir,
			   struct progress *p, struct queuerun_options *o)
{
	struct ci_info ci;
	struct shard_error e = SHARD_ERROR_INIT;

	memset(o, 0, sizeof(*o));
	run_command(a, dir, &o->run);
	o->run.index = a->index >= 0 ? (size_t)a->index : 0;
	o->run.total = a->shards > 0 ? (size_t)a->shards : 1;
	o->workers = a->workers > 0  ? a->workers
		     : a->shards > 0 ? a->shards
				     : 0;
	if (!o->workers && !ci_detect(&a->ctx->core, &ci, &e) && ci.total > 0)
		o->workers = ci.total;
	/* GitHub Actions puts no matrix total in the environment */
	if (!o->workers)
		shard_warn(&a->ctx->core,
			   "--queue: how many workers share the "
			   "queue was not given; learning it from the workers "
			   "that join (give --workers N, in GitHub Actions the "
			   "run action's workers: ${{ strategy.job-total }})");
	o->arrival = ARRIVAL_SECONDS;
	o->heartbeat = a->heartbeat;
	/* an idle worker only waits for others to finish (or lose their
	 * lease): looking often keeps the end of the run prompt */
	o->poll = a->lease / 10 < 0.2 ? a->lease / 10 : 0.2;
	o->min_batch = a->min_batch;
	o->output = a->output;
	o->on_batch = on_batch;
	o->data = p;
}

int run_queue(struct run_args *a, const char *dir)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct queue *q = NULL;
	struct queuerun_options o;
	struct queuerun_result res;
	struct progress p = { a, 0, 0 };
	char worker[320];
	int status;

	if (a->run_id_generated)
		return cmd_usage_error(a->ctx, RUN_CMD,
				       "--queue needs the run "
				       "every worker shares: give --run-id ID "
				       "(in CI the run's id is used)");
	if (a->output && !strcmp(a->output, "-"))
		return cmd_usage_error(a->ctx, RUN_CMD,
				       "--queue: -o needs a "
				       "file, kept valid after every batch "
				       "(the run's whole report: shard queue "
				       "report)");
	snprintf(worker, sizeof(worker), "%.200s-%ld", a->host, (long)getpid());
	if (queue_open(&q, a->queue, a->run_id, worker, a->lease, &err) ||
	    seed_queue(a, q, dir, &err)) {
		queue_close(q);
		return cmd_fail_list(a->ctx, &err);
	}
	worker_options(a, dir, &p, &o);
	if (queuerun_run(q, &o, &a->ctx->core, &res, &err)) {
		queue_close(q);
		return cmd_fail(a->ctx, &err);
	}
	queue_close(q);
	cmd_note(a->ctx,
		 "shard run: worker %s: %zu batches, %zu tests, "
		 "%zu failed%s; overhead %.2f s an invocation%s",
		 worker, res.batches, res.tests, res.failed,
		 res.rejected ? " (some results came after the lease was "
				"lost: left to the new claim)"
			      : "",
		 res.overhead, res.stopped ? "; stopped" : "");
	if (res.stopped)
		return 128 + cmd_signal;
	status = res.failed ? EXIT_FAILED : EXIT_OK;
	if (a->output && res.tests) {
		int rr = run_record(a, a->output);

		status = rr > status ? rr : status;
	}
	return status;
}
