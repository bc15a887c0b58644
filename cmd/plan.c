/*
 * shard plan: read the test list, weigh it against history, partition it
 * and write the plan (or one shard's ids) whole or not at all.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/ci.h"
#include "shard/exec/runner.h"
#include "shard/identity.h"
#include "shard/partition.h"
#include "shard/plan/pin.h"
#include "shard/plan/plan.h"
#include "shard/plan/planfile.h"
#include "shard/plan/weigh.h"
#include "shard/testlist.h"
#include "shard/util/atomicfile.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define MAX_SHARDS 256 /* GitHub's matrix limit */
#define CMD "shard plan"

static const struct cmd_usage plan_usage = {
	"shard plan [OPTIONS] (--tests FILE | --collect -- CMD [ARG...])",
	"Split a test list into shards of nearly equal predicted time, using\n"
	"per-test timings from history. Tests history does not know borrow\n"
	"the median of their class, file or directory, then the suite's.\n"
	"The same history, list and options give byte-identical output. With\n"
	"a run id (in CI, the CI's), the run's first plan is kept in the\n"
	"history and every later plan of that run and list reuses it.",
	1, /* the operands are CMD [ARG...] */
	cmd_runners_help,
};

struct plan_args {
	struct cmd_ctx *ctx;
	const char *tests, *output, *history, *run_id;
	int collect, improve, verbose;
	int runner;  /* enum runner_kind */
	double last; /* --verbose: when the last step ended */
	long shards, index;
	double target, overhead;
	int has_target;
	int by; /* enum plan_by */
	int format;
};

/* --by's words: plan_by_parse's, as an int for OPT_CHOICE. */
static int parse_by(const char *word)
{
	enum plan_by by;

	return plan_by_parse(word, &by) ? -1 : (int)by;
}

/* --target-seconds: the number of shards follows from it. */
static int take_target(struct cmd_ctx *ctx, const char *cmd, void *value,
		       const char *arg)
{
	struct plan_args *a = value;

	a->has_target = 1;
	return cmd_parse_seconds(ctx, cmd, "--target-seconds", arg, &a->target);
}

/* The options, each setting a field of a; cmd_parse's result. */
static int parse_options(int argc, char **argv, struct plan_args *a,
			 struct cmd_ctx *ctx)
{
	const struct cmd_option options[] = {
		OPT_TESTS(&a->tests),
		OPT_FLAG("collect", 0, &a->collect,
			 "run the command after '--' and read its "
			 "output as the test list"),
		OPT_SHARDS(&a->shards,
			   "number of shards (default: $SHARD_TOTAL "
			   "or the CI's)"),
		OPT_CALLBACK("target-seconds", 0, "S", a, take_target,
			     "use the fewest shards (at most 256) "
			     "that finish within S seconds"),
		OPT_SECONDS("shard-overhead", &a->overhead,
			    "seconds each shard spends before its "
			    "tests (start-up, collection)"),
		OPT_CHOICE("by", 0, "UNIT", &a->by, parse_by,
			   "expected test, class or file",
			   "keep together: test (default), class or file"),
		OPT_INDEX(&a->index, "the shard that list and null print "
				     "(0-based; default: $SHARD_INDEX or the "
				     "CI's)"),
		OPT_FORMAT(&a->format, planfile_format_parse,
			   "expected json, list, null or github-matrix",
			   "json (default), list, null, github-matrix"),
		OPT_OUTPUT(&a->output,
			   "write to FILE instead of standard output"),
		OPT_HISTORY(&a->history),
		OPT_SET_INT("no-improve", 0, &a->improve, 0,
			    "plain LPT, without the improvement pass"),
		OPT_FLAG("verbose", 'v', &a->verbose,
			 "say how long each step took"),
		OPT_RUNNER(&a->runner,
			   "with --collect: the runner lists the exact "
			   "ids itself (generic: the command's output is "
			   "the list); see runners below"),
		OPT_RUN_ID(&a->run_id, "the run this plan is for (default: "
				       "$SHARD_RUN_ID or the CI's): its first "
				       "plan is pinned in the history and "
				       "reused"),
		OPT_END(),
	};

	return cmd_parse(argc, argv, &plan_usage, options, ctx);
}

static int read_list(struct cmd_ctx *ctx, const struct plan_args *a,
		     char **rest, struct testlist *list,
		     struct shard_error *err)
{
	char share[4096];

	if (a->collect && runner_lists(a->runner))
		return cmd_collect_tests(ctx, a->runner, rest,
					 cmd_share_dir(ctx, share,
						       sizeof(share)),
					 list, err);
	return cmd_read_tests(ctx, a->tests, a->collect ? rest : NULL, list,
			      err);
}

/* Shards and index from flags, else SHARD_*, else the CI's variables. */
static int resolve_shards(struct plan_args *a, struct shard_error *err)
{
	struct ci_info ci;

	if (ci_detect(&a->ctx->core, &ci, err))
		return err->code;
	if (a->index < 0 && ci.index >= 0)
		a->index = ci.index;
	if (a->shards < 0 && !a->has_target && ci.total > 0)
		a->shards = ci.total;
	if (ci.status_file) {
		/* Bazel: say that this runner understands sharding */
		int fd = open(ci.status_file, O_WRONLY | O_CREAT, 0644);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int check_args(struct plan_args *a, int has_rest)
{
	if (!a->tests && !a->collect)
		return cmd_usage_error(a->ctx, CMD,
				       "give the tests with "
				       "--tests FILE or --collect -- CMD");
	if (a->tests && a->collect)
		return cmd_usage_error(a->ctx, CMD,
				       "--tests and --collect "
				       "cannot be used together");
	if (a->collect && !has_rest)
		return cmd_usage_error(a->ctx, CMD,
				       "--collect needs a command "
				       "after '--'");
	if (!a->collect && has_rest)
		return cmd_usage_error(a->ctx, CMD,
				       "unexpected argument; "
				       "a command needs --collect");
	if (a->has_target && a->shards >= 0)
		return cmd_usage_error(a->ctx, CMD,
				       "--shards and "
				       "--target-seconds cannot be used "
				       "together");
	if (!a->has_target && a->shards < 0)
		return cmd_usage_error(a->ctx, CMD,
				       "how many shards? Give "
				       "--shards K or --target-seconds S");
	return 0;
}

static int check_index(struct plan_args *a, size_t k)
{
	int needs = a->format == PLANFILE_LIST || a->format == PLANFILE_NULL;

	if (needs && a->index < 0)
		return cmd_usage_error(a->ctx, CMD,
				       "--format %s prints one "
				       "shard: give --index I",
				       a->format == PLANFILE_LIST ? "list"
								  : "null");
	if (a->index >= 0 && (size_t)a->index >= k)
		return cmd_usage_error(a->ctx, CMD,
				       "--index %ld is out of "
				       "range: there are %zu shards (0 to %zu)",
				       a->index, k, k - 1);
	return 0;
}

static void say_estimates(struct cmd_ctx *ctx, const struct weights *w,
			  size_t n)
{
	size_t borrowed = n - w->count[WEIGH_HISTORY] - w->count[WEIGH_FILE];

	if (w->equal && n)
		shard_warn(&ctx->core,
			   "history knows none of these %zu "
			   "tests: all weighted equally",
			   n);
	else if (borrowed)
		shard_warn(&ctx->core,
			   "%zu of %zu tests have no history; "
			   "estimated from their relatives",
			   borrowed, n);
}

static int write_plan(struct plan_args *a, const struct plan *p,
		      const struct testlist *list, const struct weights *w,
		      struct shard_error *err)
{
	struct planfile_meta meta = { plan_by_name(a->by), w };
	struct atomicfile out;

	if (atomicfile_open(&out, a->output ? a->output : "-", a->ctx->out,
			    err))
		return err->code;
	if (planfile_write(out.f, (enum planfile_format)a->format, p, list->ids,
			   a->index < 0 ? 0 : (size_t)a->index, &meta) < 0) {
		shard_error_set(err, SHARD_EENV, "%s: write error: %s",
				a->output ? a->output : "standard output",
				strerror(errno));
		atomicfile_abort(&out);
		return err->code;
	}
	return atomicfile_commit(&out, err);
}

static void say_target(struct plan_args *a, const struct pin_plan *pp)
{
	const struct plan *p = &pp->plan;

	if (!a->has_target)
		return;
	if (pp->too_long)
		shard_warn(&a->ctx->core,
			   "a single %s takes %.1f s, longer "
			   "than the target of %.1f s: split it",
			   plan_by_name(a->by), p->longest, a->target);
	else if (p->makespan > a->target)
		shard_warn(&a->ctx->core,
			   "even %zu shards take %.1f s, more "
			   "than the target of %.1f s",
			   p->nshards, p->makespan, a->target);
}

/* Weigh and plan the list, or take the run's pinned plan. */
static int make_plan(struct plan_args *a, struct partition_list *l,
		     const char *run, struct pin_plan *out,
		     struct shard_error *err)
{
	struct pin_request rq = {
		l,
		a->by,
		a->has_target ? 0 : (size_t)a->shards,
		a->has_target ? a->target : 0,
		MAX_SHARDS,
		a->overhead,
		a->improve,
		run,
	};
	int r = cmd_plan_list(a->ctx, CMD, cmd_history_path(a->ctx, a->history),
			      &rq, 0, out, err);

	if (!r && !out->pinned)
		say_target(a, out);
	return r;
}

static int step(struct plan_args *a, const char *what)
{
	double now = shard_now(&a->ctx->core);

	if (a->verbose)
		fprintf(a->ctx->err, "shard plan: %s in %.3f s\n", what,
			now - a->last);
	a->last = now;
	return 0;
}

int cmd_plan(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct plan_args a = {
		.ctx = ctx,
		.improve = 1,
		.shards = -1,
		.index = -1,
		.by = PLAN_BY_TEST,
		.format = PLANFILE_JSON,
	};
	struct shard_error err = SHARD_ERROR_INIT;
	struct cmd_run_identity run;
	struct testlist list;
	struct partition_list order = { 0 };
	struct pin_plan pp = { 0 };
	int first = parse_options(argc, argv, &a, ctx);
	int r;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (resolve_shards(&a, &err) ||
	    cmd_run_identity(ctx, a.run_id, &run, &err))
		return cmd_fail(ctx, &err);
	if ((r = check_args(&a, first < argc)))
		return r;
	testlist_init(&list);
	a.last = ctx->started;
	if (read_list(ctx, &a, argv + first, &list, &err) ||
	    step(&a, "read the test list")) {
		r = cmd_fail_list(ctx, &err);
		goto out;
	}
	partition_list_init(&order, list.ids, list.lens, list.nr);
	if (make_plan(&a, &order, run.base[0] ? run.base : NULL, &pp, &err) ||
	    step(&a, "planned")) {
		r = cmd_fail(ctx, &err);
		goto out;
	}
	say_estimates(ctx, &pp.w, list.nr);
	if ((r = check_index(&a, pp.plan.nshards)))
		goto out;
	if (write_plan(&a, &pp.plan, &list, &pp.w, &err))
		r = cmd_fail(ctx, &err);
	step(&a, "wrote the plan");
out:
	pin_plan_release(&pp);
	partition_list_release(&order);
	testlist_release(&list);
	return r;
}
