/*
 * Reports are read twice: once after each job (batchrun.c: to know which
 * tests failed or went unreported, for retries), once by the merge that
 * writes the shard's report. A job whose report is missing or malformed
 * is left out of the merge: its tests then count as unreported, and the
 * merge records them as errors (junitout.h), so a crashed runner cannot
 * hide tests.
 */
#include "shard/exec/shardrun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/exec/batchrun.h"
#include "shard/partition.h"
#include "shard/util/atomicfile.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

struct run_state {
	const struct shardrun_options *o;
	const struct shard_ctx *ctx;
	struct shardrun_result *res;
	struct batchrun_options bo;
	struct batchrun b;
};

static int run_attempt(struct run_state *s, unsigned attempt,
		       const char *const *ids, size_t n,
		       struct shard_error *err)
{
	char tag[32];
	int r;

	snprintf(tag, sizeof(tag), "a%u", attempt);
	s->bo.warn_split = attempt == 0;
	r = batchrun_run(&s->b, tag, ids, n, s->ctx, err);
	s->res->attempts = attempt + 1;
	return r;
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
	snprintf(num, sizeof(num), "%zu", o->run.index);
	partition_add_property(&sb, "index", num);
	snprintf(num, sizeof(num), "%zu", o->run.total);
	partition_add_property(&sb, "total", num);
	if (o->predicted >= 0) {
		snprintf(num, sizeof(num), "%.3f", o->predicted);
		partition_add_property(&sb, "predicted_seconds", num);
	}
	snprintf(num, sizeof(num), "%.3f", s->res->seconds);
	partition_add_property(&sb, "actual_seconds", num);
	partition_add_property(&sb, "run_id", o->run_id ? o->run_id : "");
	partition_add_property(&sb, "host", o->host ? o->host : "");
	snprintf(num, sizeof(num), "%ld", o->attempt);
	partition_add_property(&sb, "attempt", num);
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

/* The properties' report, then the runners' readable ones, merged. */
static int write_report(struct run_state *s, const char *props,
			struct shard_error *err)
{
	const struct shardrun_options *o = s->o;
	size_t n = 1 + s->b.reports.n;
	struct merge_input *in = xcalloc(n, sizeof(*in));
	struct merge_options mo = { 0 };
	struct atomicfile out;
	char msg[128];
	int r;

	in[0].path = props;
	in[0].fd = -1;
	for (size_t i = 1; i < n; i++) {
		in[i].path = s->b.reports.v[i - 1];
		in[i].fd = -1;
	}
	mo.plan_ids = o->ids;
	mo.plan_n = o->n;
	mo.missing_message =
		batchrun_missing_message(&s->b, o->timeout, msg, sizeof(msg));
	r = atomicfile_open(&out, o->output, o->std_out, err);
	if (!r)
		r = merge_run(in, n, out.f, &mo, s->ctx, &s->res->stats, err);
	if (!r)
		r = atomicfile_commit(&out, err);
	else if (out.f)
		atomicfile_abort(&out);
	free(in);
	return r;
}

static void batch_options(struct run_state *s, double start)
{
	const struct shardrun_options *o = s->o;
	struct batchrun_options *bo = &s->bo;

	memset(bo, 0, sizeof(*bo));
	bo->run = o->run;
	bo->deadline = o->timeout > 0 ? start + o->timeout : 0;
	/* the reports are merged at the end, a stopped job's too */
	bo->keep_reports = 1;
	bo->read_stopped = 1;
}

int shardrun_run(const struct shardrun_options *o, const struct shard_ctx *ctx,
		 struct shardrun_result *res, struct shard_error *err)
{
	struct run_state s = { .o = o, .ctx = ctx, .res = res };
	struct strvec again, prev;
	struct strbuf props = STRBUF_INIT;
	double start = shard_now(ctx);
	int r = 0;

	memset(res, 0, sizeof(*res));
	if (o->n && runner_check(o->run.runner, o->run.cmd, err))
		return err->code;
	batch_options(&s, start);
	batchrun_init(&s.b, &s.bo, o->ids, o->n);
	strvec_init(&again);
	strbuf_addf(&props, "%s/shard-properties.xml", o->run.dir);
	if (o->n)
		r = run_attempt(&s, 0, o->ids, o->n, err);
	strvec_init(&prev);
	strvec_pushv(&prev, o->ids);
	for (unsigned a = 1; !r && a <= (unsigned)o->retries; a++) {
		if (s.b.timed_out || s.b.stopped)
			break;
		batchrun_failed_ids(&s.b, (const char *const *)prev.v, prev.n,
				    &again);
		if (!again.n)
			break;
		r = run_attempt(&s, a, (const char *const *)again.v, again.n,
				err);
		strvec_clear(&prev);
		strvec_pushv(&prev, (const char *const *)again.v);
	}
	strvec_release(&prev);
	res->seconds = shard_now(ctx) - start;
	res->status = s.b.status;
	res->timed_out = s.b.timed_out;
	res->stopped = s.b.stopped;
	res->jobs = s.b.jobs;
	res->unreadable = s.b.unreadable;
	if (!r)
		r = write_props(&s, props.buf, err);
	if (!r)
		r = write_report(&s, props.buf, err);
	strvec_release(&again);
	strbuf_release(&props);
	batchrun_release(&s.b);
	return r;
}
