/*
 * Reports are read twice: once after each job (to know which tests
 * failed or went unreported, for retries), once by the merge that writes
 * the shard's report. A job whose report is missing or malformed is
 * warned about and left out: its tests then count as unreported, and the
 * merge records them as errors, so a crashed runner cannot hide tests.
 */
#include "shard/exec/shardrun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/exec/runcmd.h"
#include "shard/junit/idmatch.h"
#include "shard/junit/junit.h"
#include "shard/util/atomicfile.h"
#include "shard/util/quote.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

/* What one attempt learnt about each planned id. */
enum { SEEN = 1, FAILED = 2 };

struct tracker {
	struct idmatch m;
	unsigned char *state; /* per id, this attempt */
};

static void tracker_init(struct tracker *t, const struct shardrun_options *o)
{
	idmatch_init(&t->m, o->ids, o->n);
	t->state = xcalloc(o->n ? o->n : 1, 1);
}

static void tracker_release(struct tracker *t)
{
	idmatch_release(&t->m);
	free(t->state);
}

static int track_case(void *data, const struct junit_case *c,
		      struct shard_error *err)
{
	struct tracker *t = data;
	size_t ix = idmatch_case(&t->m, c);

	(void)err;
	if (ix == IDMATCH_NONE)
		return 0;
	t->state[ix] |= SEEN;
	if (c->outcome == JUNIT_FAILED || c->outcome == JUNIT_ERROR)
		t->state[ix] |= FAILED;
	return 0;
}

/* Read a job's report into t; a bad or missing one is warned about. */
static int read_report(struct tracker *t, const char *path,
		       const struct shard_ctx *ctx)
{
	struct junit_handler h = { .testcase = track_case, .data = t };
	struct junit_options jo = { .recover = 0 };
	struct shard_error e = SHARD_ERROR_INIT;
	int fd = open(path, O_RDONLY);
	int r;

	if (fd < 0) {
		shard_warn(ctx, "%s: the runner wrote no report", path);
		return -1;
	}
	r = junit_read_fd(fd, path, &jo, &h, ctx, &e);
	close(fd);
	if (r) {
		shard_warn(ctx, "the runner's report is unreadable: %s", e.msg);
		return -1;
	}
	return 0;
}

struct run_state {
	const struct shardrun_options *o;
	const struct shard_ctx *ctx;
	struct shardrun_result *res;
	struct tracker t;
	struct strvec inputs; /* reports to merge, in order */
	double deadline;
};

static int run_job(struct run_state *s, const struct runner_job *j,
		   struct shard_error *err)
{
	const struct shardrun_options *o = s->o;
	struct runcmd_wait w = {
		.deadline = s->deadline,
		.grace = o->grace,
		.stop = o->stop,
		.clock = s->ctx->clock,
		.data = s->ctx->data,
	};
	enum runcmd_end end;
	int status = 0, r;

	if ((r = runner_job_run(j, o->envp, &w, &status, &end, err)))
		return r;
	s->res->jobs++;
	if (status)
		s->res->status = status;
	s->res->timed_out |= end == RUNCMD_TIMED_OUT;
	s->res->stopped |= end == RUNCMD_STOPPED;
	if (read_report(&s->t, j->junit, s->ctx))
		s->res->unreadable++;
	else
		strvec_push(&s->inputs, j->junit);
	if (o->on_job)
		o->on_job(o->data, j->n, status);
	return 0;
}

/* The ids of this attempt that failed or went unreported. */
static void failed_ids(struct run_state *s, const char *const *ids, size_t n,
		       struct strvec *out)
{
	strvec_clear(out);
	for (size_t i = 0; i < n; i++) {
		size_t ix = idmatch_id(&s->t.m, ids[i]);

		if (ix == IDMATCH_NONE || s->t.state[ix] != SEEN)
			strvec_push(out, ids[i]);
	}
}

static int run_attempt(struct run_state *s, unsigned attempt,
		       const char *const *ids, size_t n,
		       struct shard_error *err)
{
	const struct shardrun_options *o = s->o;
	char tag[32];
	struct runner_request rq = {
		o->runner,    o->cmd,
		ids,          n,
		o->dir,       tag,
		o->index,     o->total,
		o->share_dir, runner_pythonpath(o->envp),
		o->arg_room,
	};
	struct runner_job *jobs = NULL;
	size_t njobs = 0;
	int r;

	snprintf(tag, sizeof(tag), "a%u", attempt);
	memset(s->t.state, 0, o->n ? o->n : 1);
	if ((r = runner_jobs(&rq, &jobs, &njobs, err)))
		return r;
	if (njobs > 1 && attempt == 0 && o->runner != RUNNER_GO)
		shard_warn(s->ctx,
			   "%zu test ids exceed the argument limit: "
			   "running them in %zu batches, each with its own "
			   "report",
			   n, njobs);
	for (size_t i = 0; !r && i < njobs; i++) {
		if (s->res->timed_out || s->res->stopped)
			break;
		r = run_job(s, &jobs[i], err);
	}
	runner_jobs_free(jobs, njobs);
	s->res->attempts = attempt + 1;
	return r;
}

static void add_prop(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_addf(sb, "<property name=\"shard.%s\" value=\"", name);
	quote_xml(sb, value);
	strbuf_addstr(sb, "\"/>\n");
}

/* The shard's properties, as a report of its own merged first. */
static int write_props(const struct run_state *s, const char *path,
		       struct shard_error *err)
{
	const struct shardrun_options *o = s->o;
	struct strbuf sb = STRBUF_INIT;
	char num[64];
	int fd, r = 0;

	strbuf_addstr(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<testsuite name=\"shard\" tests=\"0\" "
			   "failures=\"0\" errors=\"0\" skipped=\"0\" "
			   "time=\"0\">\n<properties>\n");
	snprintf(num, sizeof(num), "%zu", o->index);
	add_prop(&sb, "index", num);
	snprintf(num, sizeof(num), "%zu", o->total);
	add_prop(&sb, "total", num);
	if (o->predicted >= 0) {
		snprintf(num, sizeof(num), "%.3f", o->predicted);
		add_prop(&sb, "predicted_seconds", num);
	}
	snprintf(num, sizeof(num), "%.3f", s->res->seconds);
	add_prop(&sb, "actual_seconds", num);
	add_prop(&sb, "run_id", o->run_id ? o->run_id : "");
	add_prop(&sb, "host", o->host ? o->host : "");
	snprintf(num, sizeof(num), "%ld", o->attempt);
	add_prop(&sb, "attempt", num);
	if (o->props)
		strbuf_addstr(&sb, o->props);
	strbuf_addstr(&sb, "</properties>\n</testsuite>\n");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, sb.buf, sb.len) != (ssize_t)sb.len)
		r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
				    strerror(errno));
	if (fd >= 0)
		close(fd);
	strbuf_release(&sb);
	return r;
}

static const char *missing_message(const struct run_state *s, char *buf,
				   size_t size)
{
	if (s->res->timed_out)
		snprintf(buf, size, "timed out after %.0f s", s->o->timeout);
	else if (s->res->stopped)
		snprintf(buf, size, "not run: shard run was stopped");
	else if (s->res->status)
		snprintf(buf, size,
			 "planned but not reported (the runner "
			 "exited with status %d)",
			 s->res->status);
	else
		return NULL;
	return buf;
}

static int write_report(struct run_state *s, struct shard_error *err)
{
	const struct shardrun_options *o = s->o;
	struct merge_input *in = xcalloc(s->inputs.n, sizeof(*in));
	struct merge_options mo = { 0 };
	struct atomicfile out;
	char msg[128];
	int r;

	for (size_t i = 0; i < s->inputs.n; i++) {
		in[i].path = s->inputs.v[i];
		in[i].fd = -1;
	}
	mo.plan_ids = o->ids;
	mo.plan_n = o->n;
	mo.missing_message = missing_message(s, msg, sizeof(msg));
	r = atomicfile_open(&out, o->output, o->std_out, err);
	if (!r)
		r = merge_run(in, s->inputs.n, out.f, &mo, s->ctx,
			      &s->res->stats, err);
	if (!r)
		r = atomicfile_commit(&out, err);
	else if (out.f)
		atomicfile_abort(&out);
	free(in);
	return r;
}

int shardrun_run(const struct shardrun_options *o, const struct shard_ctx *ctx,
		 struct shardrun_result *res, struct shard_error *err)
{
	struct run_state s = { .o = o, .ctx = ctx, .res = res };
	struct strvec again, prev, props;
	double start = shard_now(ctx);
	int r = 0;

	memset(res, 0, sizeof(*res));
	if (o->n && runner_check(o->runner, o->cmd, err))
		return err->code;
	tracker_init(&s.t, o);
	strvec_init(&s.inputs);
	strvec_init(&again);
	strvec_init(&props);
	strvec_pushf(&props, "%s/shard-properties.xml", o->dir);
	strvec_push(&s.inputs, props.v[0]);
	s.deadline = o->timeout > 0 ? start + o->timeout : 0;
	if (o->n)
		r = run_attempt(&s, 0, o->ids, o->n, err);
	strvec_init(&prev);
	strvec_pushv(&prev, o->ids);
	for (unsigned a = 1; !r && a <= (unsigned)o->retries; a++) {
		if (res->timed_out || res->stopped)
			break;
		failed_ids(&s, (const char *const *)prev.v, prev.n, &again);
		if (!again.n)
			break;
		r = run_attempt(&s, a, (const char *const *)again.v, again.n,
				err);
		strvec_clear(&prev);
		strvec_pushv(&prev, (const char *const *)again.v);
	}
	strvec_release(&prev);
	res->seconds = shard_now(ctx) - start;
	if (!r)
		r = write_props(&s, props.v[0], err);
	if (!r)
		r = write_report(&s, err);
	strvec_release(&again);
	strvec_release(&props);
	strvec_release(&s.inputs);
	tracker_release(&s.t);
	return r;
}
