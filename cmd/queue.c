/*
 * shard queue status|report: look at a queue run (shard run --queue) from
 * anywhere: its progress per state and per worker, or its JUnit report
 * with every test once.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/exec/queue.h"
#include "shard/junit/merge.h"
#include "shard/plan/planfile.h"
#include "shard/util/atomicfile.h"
#include "shard/util/json.h"
#include "shard/util/banned.h"

struct queue_args {
	struct cmd_ctx *ctx;
	const char *queue, *queue_env, *output;
	int json;
};

/* What both verbs take first: where the queue is. */
#define OPT_QUEUE(a) \
	OPT_URL("queue", &(a)->queue, "the queue's PostgreSQL database"), \
		OPT_URL_ENV("queue-env", &(a)->queue_env, \
			    "as --queue, with the URL in the " \
			    "environment variable VAR (a password " \
			    "stays out of argv)")

static const struct cmd_usage status_usage = {
	"shard queue status --queue URL | --queue-env VAR [--format json] "
	"RUN_ID",
	"Show a queue run's progress: tests pending, claimed, done, failed\n"
	"and requeued (claims whose worker was lost), and each worker's\n"
	"batches, tests and failures.",
	0,
	NULL,
};

static const struct cmd_usage report_usage = {
	"shard queue report --queue URL | --queue-env VAR [-o FILE] RUN_ID",
	"Write a queue run's JUnit report from the queue itself: every test\n"
	"once, with its last complete result (a test rerun because its worker\n"
	"died is not counted twice); tests never completed are errors.",
	0,
	NULL,
};

static int open_queue(struct queue_args *a, const char *cmd, int argc,
		      char **argv, int first, struct queue **q)
{
	struct shard_error err = SHARD_ERROR_INIT;
	char worker[300], host[256] = "";

	if (!a->queue)
		return cmd_usage_error(a->ctx, cmd,
				       "give the queue with "
				       "--queue URL or --queue-env VAR");
	if (argc - first != 1)
		return cmd_usage_error(a->ctx, cmd, "give one run id");
	gethostname(host, sizeof(host) - 1);
	snprintf(worker, sizeof(worker), "%.200s-%ld-observer", host,
		 (long)getpid());
	if (queue_open(q, a->queue, argv[first], worker, 30, &err))
		return cmd_fail(a->ctx, &err);
	return 0;
}

static void print_json(FILE *f, const char *run, const struct queue_status *s)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "{\"run_id\":");
	json_add_string(&sb, run, strlen(run));
	strbuf_addf(&sb,
		    ",\"attempt\":%ld,\"total\":%lld,\"pending\":%lld,"
		    "\"claimed\":%lld,\"done\":%lld,\"failed\":%lld,"
		    "\"requeued\":%lld,\"workers\":[",
		    s->attempt, (long long)s->total, (long long)s->pending,
		    (long long)s->claimed, (long long)s->done,
		    (long long)s->failed, (long long)s->requeued);
	for (size_t i = 0; i < s->nworkers; i++) {
		const struct queue_worker_status *w = &s->workers[i];

		strbuf_addstr(&sb, i ? ",{\"name\":" : "{\"name\":");
		json_add_string(&sb, w->name, strlen(w->name));
		strbuf_addf(&sb,
			    ",\"batches\":%lld,\"tests\":%lld,\"failed\":"
			    "%lld,\"last_seen_seconds_ago\":%.1f}",
			    (long long)w->batches, (long long)w->tests,
			    (long long)w->failed, w->last_seen_ago);
	}
	strbuf_addstr(&sb, "]}\n");
	fputs(sb.buf, f);
	strbuf_release(&sb);
}

static void print_text(FILE *f, const char *run, const struct queue_status *s)
{
	fprintf(f,
		"run %s (attempt %ld): %lld tests: %lld pending, %lld "
		"claimed, %lld done, %lld failed; %lld requeued\n",
		run, s->attempt, (long long)s->total, (long long)s->pending,
		(long long)s->claimed, (long long)s->done, (long long)s->failed,
		(long long)s->requeued);
	for (size_t i = 0; i < s->nworkers; i++)
		fprintf(f,
			"  %-40s %5lld batches %7lld tests %5lld failed "
			"(seen %.0f s ago)\n",
			s->workers[i].name, (long long)s->workers[i].batches,
			(long long)s->workers[i].tests,
			(long long)s->workers[i].failed,
			s->workers[i].last_seen_ago);
}

static int queue_status_cmd(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct queue_args a = { ctx, NULL, NULL, NULL, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct queue_status s;
	struct queue *q = NULL;
	const struct cmd_option options[] = {
		OPT_QUEUE(&a),
		OPT_FORMAT(&a.json, cmd_parse_text_json,
			   "expected text or json", "text (default) or json"),
		OPT_END(),
	};
	int first = cmd_parse(argc, argv, &status_usage, options, ctx);
	int r;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if ((r = open_queue(&a, "shard queue status", argc, argv, first, &q)))
		return r;
	r = queue_status(q, &s, &err);
	queue_close(q);
	if (r)
		return cmd_fail(ctx, &err);
	if (!s.exists) {
		shard_error_set(&err, SHARD_EINPUT, "no queue run '%s'",
				argv[first]);
		return cmd_fail(ctx, &err);
	}
	(a.json ? print_json : print_text)(ctx->out, argv[first], &s);
	queue_status_release(&s);
	return EXIT_OK;
}

/* The rows as JUnit into a temporary file, then merged: counts recounted,
 * written whole or not at all. */
static int write_report(struct queue_args *a, struct queue *q,
			struct merge_stats *st, struct shard_error *err)
{
	FILE *tmp = tmpfile();
	struct merge_input in = { "queue report", -1 };
	struct merge_options mo = { 0 };
	struct atomicfile out;
	int r;

	if (!tmp)
		return shard_error_set(err, SHARD_EENV,
				       "tmpfile: cannot "
				       "create a temporary file");
	r = queue_report(q, tmp, err);
	if (!r && fflush(tmp))
		r = shard_error_set(err, SHARD_EENV,
				    "temporary file: write "
				    "error");
	in.fd = fileno(tmp);
	mo.keep_duplicates = 1;
	if (!r)
		r = atomicfile_open(&out, a->output ? a->output : "-",
				    a->ctx->out, err);
	if (!r) {
		r = merge_run(&in, 1, out.f, &mo, &a->ctx->core, st, err);
		if (!r)
			r = atomicfile_commit(&out, err);
		else
			atomicfile_abort(&out);
	}
	fclose(tmp);
	return r;
}

static int queue_report_cmd(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct queue_args a = { ctx, NULL, NULL, NULL, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct merge_stats st;
	struct queue *q = NULL;
	const struct cmd_option options[] = {
		OPT_QUEUE(&a),
		OPT_OUTPUT(&a.output,
			   "write to FILE (default: standard output)"),
		OPT_END(),
	};
	int first = cmd_parse(argc, argv, &report_usage, options, ctx);
	int r;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if ((r = open_queue(&a, "shard queue report", argc, argv, first, &q)))
		return r;
	r = write_report(&a, q, &st, &err);
	queue_close(q);
	if (r)
		return cmd_fail(ctx, &err);
	fprintf(ctx->err,
		"shard queue report: %llu tests, %llu failed, %llu "
		"errors, %llu skipped\n",
		(unsigned long long)st.tests, (unsigned long long)st.failed,
		(unsigned long long)st.errors, (unsigned long long)st.skipped);
	return EXIT_OK;
}

/* Sorted by name. */
static const struct cmd_verb verbs[] = {
	{ "report", queue_report_cmd, "a queue run's JUnit, every test once" },
	{ "status", queue_status_cmd, "a queue run's progress" },
};

int cmd_queue(int argc, char **argv, struct cmd_ctx *ctx)
{
	return cmd_dispatch_verb(argc, argv, ctx, "queue", verbs,
				 sizeof(verbs) / sizeof(*verbs));
}
