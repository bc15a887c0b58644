/*
 * A report is read as it is parsed: each testcase is matched to its id
 * and its state updated; with keep_cases its bytes are copied from the
 * file by the offsets the reader gives (the element's end comes before
 * the testcase callback), so that a queue worker can store the testcase
 * as the runner wrote it.
 */
#include "shard/exec/batchrun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/exec/runcmd.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

void batchrun_init(struct batchrun *b, const struct batchrun_options *o,
		   const char *const *ids, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->o = o;
	b->n = n;
	b->fd = -1;
	idmatch_init(&b->m, ids, n);
	b->state = xcalloc(n ? n : 1, 1);
	if (o->keep_cases)
		b->cases = xcalloc(n ? n : 1, sizeof(*b->cases));
	strvec_init(&b->reports);
	strbuf_init(&b->tmp, 0);
}

static void forget_cases(struct batchrun *b)
{
	for (size_t i = 0; b->cases && i < b->n; i++) {
		free(b->cases[i].xml);
		free(b->cases[i].suite);
		memset(&b->cases[i], 0, sizeof(b->cases[i]));
	}
}

void batchrun_release(struct batchrun *b)
{
	forget_cases(b);
	free(b->cases);
	free(b->state);
	idmatch_release(&b->m);
	strvec_release(&b->reports);
	strbuf_release(&b->tmp);
	b->cases = NULL;
	b->state = NULL;
}

static int on_element_end(void *data, const struct junit_element *e,
			  struct shard_error *err)
{
	struct batchrun *b = data;

	(void)err;
	if (e->kind == JUNIT_EL_CASE) {
		b->start = e->start;
		b->end = e->end_end;
		b->raw = e->raw;
	}
	return 0;
}

/* The testcase's bytes as the runner wrote them (UTF-8 input). */
static char *case_bytes(struct batchrun *b, const struct junit_case *c)
{
	size_t len = (size_t)(b->end - b->start);
	char *buf;

	if (!b->raw || b->end <= b->start) {
		strbuf_reset(&b->tmp);
		strbuf_addf(&b->tmp, "<testcase name=\"%s\" time=\"%.3f\"/>",
			    "unreadable", c->time);
		return xstrdup(b->tmp.buf);
	}
	buf = xmalloc(len + 1);
	if (pread(b->fd, buf, len, (off_t)b->start) != (ssize_t)len)
		len = 0;
	buf[len] = '\0';
	return buf;
}

static void keep_case(struct batchrun *b, size_t ix, const struct junit_case *c)
{
	struct batchrun_case *k = &b->cases[ix];

	free(k->xml);
	free(k->suite);
	k->xml = case_bytes(b, c);
	k->suite = c->suite && c->suite->name ? xstrdup(c->suite->name) : NULL;
	k->outcome = c->outcome;
	k->seconds = c->time;
}

static int on_case(void *data, const struct junit_case *c,
		   struct shard_error *err)
{
	struct batchrun *b = data;
	size_t ix = idmatch_case(&b->m, c);

	(void)err;
	b->reported += c->has_time ? c->time : 0;
	if (ix == IDMATCH_NONE)
		return 0;
	b->state[ix] |= BATCHRUN_REPORTED;
	if (c->outcome == JUNIT_FAILED || c->outcome == JUNIT_ERROR)
		b->state[ix] |= BATCHRUN_FAILED;
	if (b->cases)
		keep_case(b, ix, c);
	return 0;
}

int batchrun_read_report(struct batchrun *b, const char *path,
			 const struct shard_ctx *ctx)
{
	struct junit_handler h = {
		.testcase = on_case,
		.element_end = b->cases ? on_element_end : NULL,
		.data = b,
	};
	struct junit_options jo = { .recover = 0 };
	struct shard_error e = SHARD_ERROR_INIT;
	int r;

	b->fd = open(path, O_RDONLY);
	if (b->fd < 0) {
		shard_warn(ctx, "%s: the runner wrote no report", path);
		return -1;
	}
	r = junit_read_fd(b->fd, path, &jo, &h, ctx, &e);
	close(b->fd);
	b->fd = -1;
	if (r) {
		shard_warn(ctx, "the runner's report is unreadable: %s", e.msg);
		return -1;
	}
	return 0;
}

static int run_job(struct batchrun *b, const struct runner_job *j,
		   const struct shard_ctx *ctx, struct shard_error *err)
{
	const struct batchrun_options *o = b->o;
	struct runcmd_wait w = {
		.deadline = o->deadline,
		.grace = o->run.grace,
		.stop = o->run.stop,
		.clock = ctx->clock,
		.data = ctx->data,
		.tick = o->tick,
		.tick_data = o->tick_data,
	};
	enum runcmd_end end;
	int status = 0, r;

	if ((r = runner_job_run(j, o->run.envp, &w, &status, &end, err)))
		return r;
	b->jobs++;
	if (status)
		b->status = status;
	b->timed_out |= end == RUNCMD_TIMED_OUT;
	b->stopped |= end == RUNCMD_STOPPED;
	if (end != RUNCMD_STOPPED || o->read_stopped) {
		if (batchrun_read_report(b, j->junit, ctx))
			b->unreadable++;
		else if (o->keep_reports)
			strvec_push(&b->reports, j->junit);
	}
	if (!o->keep_reports) {
		unlink(j->junit);
		unlink(j->tests_file);
	}
	return 0;
}

int batchrun_run(struct batchrun *b, const char *tag, const char *const *ids,
		 size_t n, const struct shard_ctx *ctx, struct shard_error *err)
{
	const struct batchrun_options *o = b->o;
	struct runner_request rq = {
		o->run.runner,
		o->run.cmd,
		ids,
		n,
		o->run.dir,
		tag,
		o->run.index,
		o->run.total,
		o->run.share_dir,
		runner_pythonpath(o->run.envp),
		o->run.arg_room,
	};
	struct runner_job *jobs = NULL;
	size_t njobs = 0;
	double start = shard_now(ctx);
	int r;

	memset(b->state, 0, b->n ? b->n : 1);
	forget_cases(b);
	b->reported = 0;
	b->wall = 0;
	if ((r = runner_jobs(&rq, &jobs, &njobs, err)))
		return r;
	if (njobs > 1 && o->warn_split && o->run.runner != RUNNER_GO)
		shard_warn(ctx,
			   "%zu test ids exceed the argument limit: "
			   "running them in %zu batches, each with its own "
			   "report",
			   n, njobs);
	for (size_t i = 0; !r && i < njobs; i++) {
		if (b->timed_out || b->stopped)
			break;
		r = run_job(b, &jobs[i], ctx, err);
	}
	runner_jobs_free(jobs, njobs);
	b->wall = shard_now(ctx) - start;
	return r;
}

void batchrun_failed_ids(struct batchrun *b, const char *const *ids, size_t n,
			 struct strvec *out)
{
	strvec_clear(out);
	for (size_t i = 0; i < n; i++) {
		size_t ix = idmatch_id(&b->m, ids[i]);

		if (ix == IDMATCH_NONE || b->state[ix] != BATCHRUN_REPORTED)
			strvec_push(out, ids[i]);
	}
}

const char *batchrun_missing_message(const struct batchrun *b, double timeout,
				     char *buf, size_t size)
{
	if (b->timed_out)
		snprintf(buf, size, "timed out after %.0f s", timeout);
	else if (b->stopped)
		snprintf(buf, size, "not run: shard run was stopped");
	else if (b->status)
		snprintf(buf, size,
			 "planned but not reported (the runner "
			 "exited with status %d)",
			 b->status);
	else
		return NULL;
	return buf;
}
