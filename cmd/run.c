/*
 * shard run: select a shard's tests (from a plan file, or by planning the
 * list here exactly as `shard plan` does: shard/plan/selection.h), give
 * the command an isolated database or schema, run it through a runner
 * adapter, and keep the shard's checked report. --local runs every shard
 * (cmd/run_local.c), --queue is a queue worker (cmd/run_queue.c).
 */
#include "cmd/run.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/ci.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

static const struct cmd_usage run_usage = {
	"shard run [OPTIONS] [--tests FILE | --collect] "
	"[--index I --shards K | --plan FILE --index I] -- CMD [ARG...]",
	"Run one shard's tests through CMD (never a shell): an argument '{}'\n"
	"becomes the test ids, '{@}' a file listing them, '{junit}' (inside\n"
	"any argument) the path where the runner must write its JUnit report,\n"
	"also given as $SHARD_JUNIT. Then check the report against the plan\n"
	"(unreported tests become errors), keep it (-o), and record it into\n"
	"history. Exit 0 when every test passed, 1 when any failed.",
	1, /* the operands are CMD [ARG...] */
	cmd_runners_help,
};

/* The options, each setting a field of a; cmd_parse's result. */
static int parse_options(int argc, char **argv, struct run_args *a,
			 struct cmd_ctx *ctx)
{
	const struct cmd_option options[] = {
		OPT_TESTS(&a->tests),
		OPT_FLAG("collect", 0, &a->collect,
			 "collect the test list: from the command "
			 "itself with a runner that lists (pytest, ...); "
			 "else from the command before a second '--'"),
		OPT_STRING("plan", 'p', "FILE", &a->plan,
			   "take the shards from a plan file (shard plan)"),
		OPT_INDEX(&a->index, "the shard to run (0-based; default: "
				     "$SHARD_INDEX or the CI's)"),
		OPT_SHARDS(&a->shards,
			   "number of shards (default: $SHARD_TOTAL "
			   "or the CI's; with --local, -j)"),
		OPT_STRING("by", 0, "UNIT", &a->by,
			   "keep together when planning: test, class, file"),
		OPT_RUNNER(&a->runner, "how the tests reach CMD (default: "
				       "generic, '{}' or '{@}' in it): "
				       "see runners below"),
		OPT_OUTPUT(&a->output,
			   "keep the shard's checked JUnit report in "
			   "FILE (with --local: the merged report)"),
		OPT_URL("isolate-db", &a->isolate_db,
			"a database per shard copied from the "
			"template postgres://USER@HOST/TEMPLATE"),
		OPT_URL_ENV("isolate-db-env", &a->isolate_db_env,
			    "as --isolate-db, with the URL in the "
			    "environment variable VAR (a password "
			    "stays out of argv)"),
		OPT_URL("isolate-schema", &a->isolate_schema,
			"a schema per shard in the database "
			"postgres://USER@HOST/DB"),
		OPT_URL_ENV("isolate-schema-env", &a->isolate_schema_env,
			    "as --isolate-schema, with the URL "
			    "in the variable VAR"),
		OPT_FLAG("local", 0, &a->local,
			 "run every shard on this machine, -j at a time, "
			 "and merge their reports"),
		OPT_COUNT("jobs", 'j', "N", &a->jobs, 1, 1024,
			  "with --local: shards at a time (default 2)"),
		OPT_COUNT("retries", 0, "N", &a->retries, 0, 100,
			  "rerun failed tests up to N times (default 0)"),
		OPT_SECONDS("timeout", &a->timeout,
			    "stop a shard after S seconds; its unreported "
			    "tests become errors"),
		OPT_SECONDS("kill-grace", &a->grace,
			    "seconds between TERM and KILL (default 10)"),
		OPT_HISTORY(&a->history),
		OPT_SET_INT("no-record", 0, &a->record, 0,
			    "do not record the results into history"),
		OPT_SET_INT("record", 0, &a->record, 1,
			    "record the results into history even when "
			    "shards plan from it with no run id"),
		OPT_RUN_ID(&a->run_id, "the run's identity (default: "
				       "$SHARD_RUN_ID or the CI's); its first "
				       "plan is pinned in the history and "
				       "reused by its other shards"),
		OPT_QUIET(&a->quiet, "print only the summary line and errors"),
		OPT_URL("queue", &a->queue,
			"pull batches of tests from a queue in "
			"PostgreSQL (every matrix job the same URL)"),
		OPT_URL_ENV("queue-env", &a->queue_env,
			    "as --queue, with the URL in the variable "
			    "VAR"),
		OPT_SECONDS("lease-seconds", &a->lease,
			    "--queue: a claim's lease (default 30)"),
		OPT_SECONDS("heartbeat-seconds", &a->heartbeat,
			    "--queue: lease renewal (default 10)"),
		OPT_SECONDS("min-batch-seconds", &a->min_batch,
			    "--queue: smallest batch (default 10x "
			    "the command's measured overhead)"),
		OPT_COUNT("workers", 0, "N", &a->workers, 1, 100000,
			  "--queue: workers sharing the queue (default: "
			  "--shards, the CI's total, else learnt from "
			  "the queue, with a warning)"),
		OPT_END(),
	};

	return cmd_parse(argc, argv, &run_usage, options, ctx);
}

static int named(const struct run_args *a, const char *entry)
{
	const char *const vars[] = {
		a->isolate_db_env,
		a->isolate_schema_env,
		a->queue_env,
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
		size_t n = vars[i] ? strlen(vars[i]) : 0;

		if (n && !strncmp(entry, vars[i], n) && entry[n] == '=')
			return 1;
	}
	return 0;
}

/*
 * The variables the -env forms named (cmd_parse took their URLs as if
 * given in argv) hold shard's credentials: like SHARD_HISTORY_TOKEN
 * (shard/exec/childenv.h), they are kept from the commands shard starts,
 * which all take their environment from ctx's; env then holds ctx's new
 * one.
 */
static int take_urls(struct run_args *a, struct strvec *env)
{
	struct cmd_ctx *c = a->ctx;

	if (!a->isolate_db_env && !a->isolate_schema_env && !a->queue_env)
		return 0;
	for (char *const *e = c->core.envp; e && *e; e++)
		if (!named(a, *e))
			strvec_push(env, *e);
	c->core.envp = env->v;
	return 0;
}

static void on_signal(int sig)
{
	cmd_signal = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Index, total and run identity: flags, then SHARD_*, then the CI's. */
static int resolve(struct run_args *a, struct shard_error *err)
{
	struct cmd_run_identity run;
	struct ci_info ci;
	const char *v;

	if (ci_detect(&a->ctx->core, &ci, err) ||
	    cmd_run_identity(a->ctx, a->run_id, &run, err))
		return err->code;
	if (a->index < 0 && ci.index >= 0)
		a->index = ci.index;
	if (a->shards < 0 && ci.total > 0 && !a->plan)
		a->shards = ci.total;
	/* a queue is shared by the attempts of a CI run: the run without
	 * its attempt (a re-run of failed jobs resumes it) */
	v = shard_getenv(&a->ctx->core, "GITHUB_RUN_ID");
	if (a->queue && !run.base[0] && v && *v)
		snprintf(run.base, sizeof(run.base), "%s", v);
	snprintf(a->base_buf, sizeof(a->base_buf), "%s", run.base);
	snprintf(a->run_buf, sizeof(a->run_buf), "%s",
		 a->queue ? run.base : run.id);
	if (a->run_buf[0]) {
		a->run_id = a->run_buf;
		a->pin_run = a->run_base = a->base_buf;
	}
	gethostname(a->host, sizeof(a->host) - 1);
	if (!a->run_id) {
		a->run_id_generated = 1;
		snprintf(a->run_buf, sizeof(a->run_buf), "local-%.64s-%ld-%.0f",
			 a->host, (long)getpid(), shard_now(&a->ctx->core));
		a->run_id = a->run_buf;
		/* --local is the whole run: its reports name it */
		if (a->local)
			a->run_base = a->run_buf;
	}
	v = shard_getenv(&a->ctx->core, "GITHUB_RUN_ATTEMPT");
	if (!v || shard_parse_long(v, 1, 1000000, &a->attempt))
		a->attempt = 1;
	return 0;
}

/*
 * Whether to record: by default yes, except for a shard planned here
 * without a run id, whose results would change the history the next
 * shard of the same run plans from (nothing tells that shard from the
 * next run's): then only with --record.
 */
static void default_record(struct run_args *a)
{
	if (a->record >= 0)
		return;
	a->record =
		!(a->run_id_generated && !a->plan && !a->local && !a->queue);
	if (!a->record && !a->quiet)
		fprintf(a->ctx->err,
			"shard run: not recording into the history: "
			"with no run id, the next shard of this run would plan "
			"from what this one recorded; give every shard of the "
			"run one --run-id (or plan once with shard plan and "
			"pass --plan), or --record to record anyway\n");
}

/* Split the operands: [COLLECT_CMD... "--"] CMD... */
static int split_operands(struct run_args *a, char **rest, int n)
{
	int sep = -1;

	for (int i = 0; i < n; i++)
		if (!strcmp(rest[i], "--")) {
			sep = i;
			break;
		}
	if (a->collect && !runner_lists(a->runner)) {
		if (sep <= 0)
			return cmd_usage_error(a->ctx, RUN_CMD,
					       "--collect: give "
					       "the collect command, then '--' "
					       "and the command to run");
		rest[sep] = NULL;
		a->collect_cmd = rest;
		a->cmd = rest + sep + 1;
		return 0;
	}
	a->cmd = rest;
	return 0;
}

static int check_args(struct run_args *a)
{
	struct shard_error err = SHARD_ERROR_INIT;
	int sources = !!a->tests + !!a->collect + !!a->plan;

	if (sources != 1)
		return cmd_usage_error(
			a->ctx, RUN_CMD,
			sources ? "--tests, "
				  "--collect and --plan cannot be used "
				  "together"
				: "give the tests with "
				  "--tests FILE, --collect or --plan "
				  "FILE");
	if (a->isolate_db && a->isolate_schema)
		return cmd_usage_error(a->ctx, RUN_CMD,
				       "--isolate-db and "
				       "--isolate-schema cannot be used "
				       "together");
	if (a->jobs > 0 && !a->local)
		return cmd_usage_error(a->ctx, RUN_CMD, "--jobs needs --local");
	if (runner_check(a->runner, (const char *const *)a->cmd, &err))
		return cmd_usage_error(a->ctx, RUN_CMD, "%s", err.msg);
	if (a->queue) {
		if (a->plan || a->local)
			return cmd_usage_error(a->ctx, RUN_CMD,
					       "--queue takes "
					       "--tests or --collect, not "
					       "--plan or --local");
		/* not silently ignored: not there yet in queue mode */
		if (a->retries > 0 || a->timeout > 0 || a->isolate_db ||
		    a->isolate_schema)
			return cmd_usage_error(a->ctx, RUN_CMD,
					       "--retries, "
					       "--timeout, --isolate-db and "
					       "--isolate-schema are not "
					       "available with --queue");
		if (a->heartbeat >= a->lease)
			return cmd_usage_error(a->ctx, RUN_CMD,
					       "the heartbeat "
					       "must come more often than the "
					       "lease runs out");
		return 0;
	}
	if (a->local) {
		a->jobs = a->jobs > 0 ? a->jobs : 2;
		if (a->shards < 0 && !a->plan)
			a->shards = a->jobs;
		return 0;
	}
	if (!a->plan && a->shards < 0)
		return cmd_usage_error(a->ctx, RUN_CMD,
				       "how many shards? Give "
				       "--shards K (or --plan FILE, or "
				       "--local)");
	if (a->index < 0)
		return cmd_usage_error(a->ctx, RUN_CMD,
				       "which shard? Give "
				       "--index I (or set SHARD_INDEX)");
	return 0;
}

/* Every shard's tests: from the plan file, or the list planned here
 * exactly as shard plan plans it. */
static int select_tests(struct run_args *a, struct selection *sel,
			const char *dir, struct shard_error *err)
{
	struct pin_request rq = { 0 };
	enum plan_by by = PLAN_BY_TEST;
	int r;

	if (a->plan)
		return selection_from_planfile(sel, a->plan, a->shards, err);
	if (a->by && plan_by_parse(a->by, &by))
		return shard_error_set(err, SHARD_EINPUT,
				       "--by '%s': expected "
				       "test, class or file",
				       a->by);
	if ((r = run_read_list(a, dir, &sel->list, err)))
		return r;
	rq.list = selection_list(sel);
	rq.by = by;
	rq.shards = (size_t)a->shards;
	rq.improve = 1;
	rq.run = a->pin_run;
	r = cmd_plan_list(a->ctx, RUN_CMD, cmd_history_path(a->ctx, a->history),
			  &rq, a->quiet, &sel->pp, err);
	if (r)
		return r;
	selection_from_plan(sel);
	return 0;
}

static void summary(const struct run_args *a, const struct selection *sel,
		    size_t i, const struct shardrun_result *res)
{
	const struct merge_stats *s = &res->stats;

	/* as the report counts them: unreported tests are errors */
	fprintf(a->ctx->err,
		"shard run: shard %zu of %zu: %llu tests, %llu "
		"passed, %llu failed, %llu errors, %llu skipped, %llu flaky, "
		"%llu missing in %.1f s (predicted %.1f s)%s\n",
		i, sel->nshards, (unsigned long long)(s->tests + s->missing),
		(unsigned long long)s->passed, (unsigned long long)s->failed,
		(unsigned long long)(s->errors + s->missing),
		(unsigned long long)s->skipped, (unsigned long long)s->flaky,
		(unsigned long long)s->missing, res->seconds,
		sel->shards[i].predicted,
		res->timed_out ? "; timed out"
		: res->stopped ? "; stopped"
		: res->status && !s->failed && !s->errors && !s->missing
			? "; the runner failed although its report is green"
			: "");
}

static int run_single(struct run_args *a, struct selection *sel,
		      const char *dir)
{
	struct shard_error err = SHARD_ERROR_INIT, derr = SHARD_ERROR_INIT;
	struct shardrun_options o;
	struct shardrun_result res;
	struct isolate iso = { 0 };
	struct strvec env;
	struct strbuf report = STRBUF_INIT, props = STRBUF_INIT;
	size_t i = (size_t)a->index;
	int r, status;

	if (i >= sel->nshards)
		return cmd_usage_error(a->ctx, RUN_CMD,
				       "--index %ld is out of "
				       "range: there are %zu shards (0 to "
				       "%zu)",
				       a->index, sel->nshards,
				       sel->nshards - 1);
	strvec_init(&env);
	strvec_pushv(&env, (const char *const *)a->ctx->core.envp);
	if (sel->shards[i].n &&
	    run_isolate(a, &iso, sel->nshards, &i, 1, &err)) {
		isolate_drop(&iso, &derr);
		isolate_release(&iso);
		strvec_release(&env);
		return cmd_fail(a->ctx, &err);
	}
	if (iso.names)
		isolate_env(&iso, i, &env);
	strbuf_addf(&report, "%s/report.xml", dir);
	run_shard_options(a, sel, i, dir, &props, &o);
	o.run.envp = env.v;
	o.output = a->output ? a->output : report.buf;
	r = shardrun_run(&o, &a->ctx->core, &res, &err);
	strbuf_release(&props);
	if (iso.names && isolate_drop(&iso, &derr))
		cmd_fail(a->ctx, &derr);
	isolate_release(&iso);
	strvec_release(&env);
	if (r) {
		strbuf_release(&report);
		return cmd_fail(a->ctx, &err);
	}
	status = run_status(&res);
	if (!res.stopped && strcmp(o.output, "-")) {
		int rr = run_record(a, o.output);

		status = rr > status ? rr : status;
	}
	summary(a, sel, i, &res);
	strbuf_release(&report);
	if (derr.code)
		status = status > EXIT_ENV ? status : EXIT_ENV;
	return res.stopped ? 128 + cmd_signal : status;
}

static int run_main(int argc, char **argv, struct cmd_ctx *ctx,
		    struct strvec *env)
{
	struct run_args a = {
		.ctx = ctx,
		.record = -1,
		.runner = RUNNER_GENERIC,
		.index = -1,
		.shards = -1,
		.jobs = -1,
		.grace = 10,
		.lease = 30,
		.heartbeat = 10,
		.min_batch = -1,
		.workers = -1,
	};
	struct shard_error err = SHARD_ERROR_INIT;
	struct selection sel;
	char share[4096], dir[4096];
	const char *tmp = shard_getenv(&ctx->core, "TMPDIR");
	int first = parse_options(argc, argv, &a, ctx);
	int r;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if ((r = take_urls(&a, env)) ||
	    (r = split_operands(&a, argv + first, argc - first)))
		return r;
	if (resolve(&a, &err))
		return cmd_fail(ctx, &err);
	if ((r = check_args(&a)))
		return r;
	default_record(&a);
	a.share_dir = cmd_share_dir(ctx, share, sizeof(share));
	snprintf(dir, sizeof(dir), "%s/shard-run.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		shard_error_set(&err, SHARD_EENV, "mkdtemp %s: %s", dir,
				strerror(errno));
		return cmd_fail(ctx, &err);
	}
	catch_signals();
	if (a.queue) {
		r = run_queue(&a, dir);
		run_rmdir(dir);
		return r;
	}
	selection_init(&sel);
	if (select_tests(&a, &sel, dir, &err))
		r = cmd_fail_list(ctx, &err);
	else
		r = a.local ? run_local(&a, &sel, dir)
			    : run_single(&a, &sel, dir);
	selection_release(&sel);
	run_rmdir(dir);
	return r;
}

int cmd_run(int argc, char **argv, struct cmd_ctx *ctx)
{
	char *const *envp = ctx->core.envp;
	struct strvec env;
	int r;

	strvec_init(&env);
	r = run_main(argc, argv, ctx, &env);
	ctx->core.envp = envp;
	strvec_release(&env);
	return r;
}
