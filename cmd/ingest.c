/*
 * shard ingest FILE...: each file one transaction; a bad file is reported
 * and skipped while the others land, and the exit status is 2 at the end.
 * Standard input ("-") and http(s):// URLs are spooled to a temporary
 * file first, because ingest reads a file twice (digest, then parse).
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/ci.h"
#include "shard/partition.h"
#include "shard/store/ingest.h"
#include "shard/store/store.h"
#include "shard/util/http.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

static const struct cmd_usage ingest_usage = {
	"shard ingest [OPTIONS] FILE...",
	"Record test results into the history store, from JUnit XML reports\n"
	"or timing JSON ({\"test id\": seconds}, as pytest-split's\n"
	".test_durations and knapsack reports hold), told apart by content.\n"
	"Each file is one transaction; a file already recorded for the same\n"
	"run is skipped. '-' reads standard input; an http(s):// URL is\n"
	"downloaded first. Reports of shard run's shards whose plans disagree\n"
	"(planned apart: their tests may be missing or doubled) are refused,\n"
	"and nothing of them is recorded.",
	0,
	NULL,
};

struct ingest_args {
	const char *history;
	struct ingest_options opt;
	int quiet;
};

/* The options, each setting a field of a; cmd_parse's result. */
static int parse_options(int argc, char **argv, struct ingest_args *a,
			 struct cmd_ctx *ctx)
{
	const struct cmd_option options[] = {
		OPT_HISTORY(&a->history),
		OPT_RUN_ID(&a->opt.run_key,
			   "the run these results belong to (default: "
			   "the CI's run, else the report's, else its digest)"),
		OPT_STRING("commit", 0, "SHA", &a->opt.commit,
			   "commit of the run (default: from the CI)"),
		OPT_STRING("branch", 0, "NAME", &a->opt.branch,
			   "branch of the run (default: from the CI)"),
		OPT_RECOVER(&a->opt.recover),
		OPT_QUIET(&a->quiet, OPT_QUIET_HELP),
		OPT_END(),
	};

	return cmd_parse(argc, argv, &ingest_usage, options, ctx);
}

static void report(struct cmd_ctx *ctx, const char *path,
		   const struct ingest_stats *s)
{
	if (s->already) {
		cmd_note(ctx, "%s: already recorded for run %s, skipped", path,
			 s->run_key);
		return;
	}
	cmd_note(ctx,
		 "%s: %llu tests (%llu failed, %llu errors, %llu skipped) "
		 "from %s into run %s",
		 path, (unsigned long long)s->tests,
		 (unsigned long long)s->failed, (unsigned long long)s->errors,
		 (unsigned long long)s->skipped,
		 s->kind == INGEST_JUNIT ? "JUnit XML" : "timing JSON",
		 s->run_key);
	if (s->by_shards)
		cmd_note(ctx,
			 "%s: %llu results of shards that shard run had "
			 "recorded for run %s left as they were",
			 path, (unsigned long long)s->by_shards, s->run_key);
}

/* A file to ingest, sniffed before any is recorded. */
struct input {
	const char *arg;    /* as given */
	struct strbuf name; /* in messages: "<stdin>", a redacted URL */
	int fd;             /* kept for stdin and URLs (spooled); else
				  -1 between the passes */
	struct ingest_sniff sn;
	int status; /* non-zero: failed already, with this */
};

static int open_input(struct input *in, struct shard_error *err)
{
	const char *path = in->arg;

	if (in->fd >= 0)
		return in->fd;
	in->fd = !strcmp(path, "-")  ? cmd_spool_stdin(err)
		 : http_is_url(path) ? http_fetch_temp(NULL, path, err)
				     : open(path, O_RDONLY);
	if (in->fd < 0 && !err->code)
		shard_error_set(err,
				errno == ENOENT ? SHARD_EINPUT : SHARD_EENV,
				"%s: %s", in->name.buf, strerror(errno));
	return in->fd;
}

/* Whether the input can be opened again by its path. */
static int reopens(const struct input *in)
{
	return strcmp(in->arg, "-") && !http_is_url(in->arg);
}

/*
 * The first pass: sniff every input, and gather the plans of the shards
 * that shard run's reports hold.
 */
static void sniff_input(struct cmd_ctx *ctx, const struct ingest_args *a,
			struct input *in, struct partition_check *pc)
{
	struct shard_error err = SHARD_ERROR_INIT;

	if (!strcmp(in->arg, "-"))
		strbuf_addstr(&in->name, "<stdin>");
	else if (http_is_url(in->arg))
		http_redact(in->arg, &in->name);
	else
		strbuf_addstr(&in->name, in->arg);
	if (open_input(in, &err) < 0 ||
	    ingest_sniff(in->fd, in->name.buf, &in->sn, &err) ||
	    (in->sn.first == '<' && in->sn.shard_plans &&
	     ingest_partition(in->fd, in->name.buf, &a->opt, pc, &ctx->core,
			      &err)))
		in->status = cmd_fail(ctx, &err);
	if (in->fd >= 0 && reopens(in)) {
		close(in->fd);
		in->fd = -1;
	}
}

static int ingest_input(struct cmd_ctx *ctx, struct store *st,
			const struct ingest_args *a, struct input *in)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct ingest_stats stats;
	int r;

	if (in->status)
		return in->status;
	if (open_input(in, &err) < 0)
		return cmd_fail(ctx, &err);
	r = ingest_fd(st, in->fd, in->name.buf, &in->sn, &a->opt, &ctx->core,
		      &stats, &err);
	if (!r && !a->quiet)
		report(ctx, in->name.buf, &stats);
	return r ? cmd_fail(ctx, &err) : EXIT_OK;
}

/* Inputs whose runs' shards were planned apart are not recorded. */
static void refuse_inputs(struct cmd_ctx *ctx, struct input *in, size_t n,
			  struct partition_check *pc)
{
	struct shard_error err = SHARD_ERROR_INIT;

	if (!partition_check_verdict(pc, &err))
		return;
	fputs(pc->report.buf, ctx->err);
	for (size_t i = 0; i < n; i++)
		if (!in[i].status &&
		    partition_check_refuses(pc, in[i].name.buf)) {
			cmd_note(ctx,
				 "shard: %s: not recorded: its shards' "
				 "plans disagree (above)",
				 in[i].name.buf);
			in[i].status = EXIT_USAGE;
		}
}

static void fill_from_ci(struct cmd_ctx *ctx, struct ingest_args *a,
			 struct ci_info *ci)
{
	struct shard_error err = SHARD_ERROR_INIT;
	const char *run = shard_getenv(&ctx->core, "SHARD_RUN_ID");

	ci_detect(&ctx->core, ci, &err); /* index errors do not matter here */
	if (!a->opt.run_key)
		a->opt.run_key = run && *run     ? run
				 : ci->run_id[0] ? ci->run_id
						 : NULL;
	if (!a->opt.commit)
		a->opt.commit = ci->commit;
	if (!a->opt.branch)
		a->opt.branch = ci->branch;
	a->opt.ci = ci->provider;
}

int cmd_ingest(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct ingest_args a = { 0 };
	struct store_options so = { 1, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct store *st = NULL;
	struct partition_check pc;
	struct input *in;
	struct ci_info ci;
	int first = parse_options(argc, argv, &a, ctx);
	int status = EXIT_OK;
	size_t n;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first >= argc)
		return cmd_usage_error(ctx, "shard ingest", "no files given");
	fill_from_ci(ctx, &a, &ci);
	if (store_open(cmd_history_path(ctx, a.history), &so, &st, &err))
		return cmd_fail(ctx, &err);
	n = (size_t)(argc - first);
	in = xcalloc(n, sizeof(*in));
	partition_check_init(&pc);
	for (size_t i = 0; i < n; i++) {
		in[i].arg = argv[first + (int)i];
		in[i].fd = -1;
		strbuf_init(&in[i].name, 0);
		sniff_input(ctx, &a, &in[i], &pc);
	}
	refuse_inputs(ctx, in, n, &pc);
	for (size_t i = 0; i < n; i++) {
		int r = ingest_input(ctx, st, &a, &in[i]);

		if (r > status)
			status = r;
		if (in[i].fd >= 0)
			close(in[i].fd);
		strbuf_release(&in[i].name);
	}
	partition_check_release(&pc);
	free(in);
	store_close(st);
	return status;
}
