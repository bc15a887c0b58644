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
#include "shard/http.h"
#include "shard/ingest.h"
#include "shard/store.h"
#include "shard/strbuf.h"
#include "shard/banned.h"

static const struct cmd_option ingest_options[] = {
	{ "history", 0, "PATH", "history store (default: $SHARD_HISTORY or "
				".shard/history.db)" },
	{ "run-id", 0, "ID", "the run these results belong to (default: "
			     "the CI's run, else the report's, else its digest)" },
	{ "commit", 0, "SHA", "commit of the run (default: from the CI)" },
	{ "branch", 0, "NAME", "branch of the run (default: from the CI)" },
	{ "recover", 0, NULL, "read malformed XML in libxml2's recovery mode, "
			      "with warnings" },
	{ "quiet", 'q', NULL, "print nothing but errors" },
	{ NULL, 0, NULL, NULL },
};

static const struct cmd_usage ingest_usage = {
	"shard ingest [OPTIONS] FILE...",
	"Record test results into the history store, from JUnit XML reports\n"
	"or timing JSON ({\"test id\": seconds}, as pytest-split's\n"
	".test_durations and knapsack reports hold), told apart by content.\n"
	"Each file is one transaction; a file already recorded for the same\n"
	"run is skipped. '-' reads standard input; an http(s):// URL is\n"
	"downloaded first.",
	ingest_options,
};

enum { O_HISTORY, O_RUN_ID, O_COMMIT, O_BRANCH, O_RECOVER, O_QUIET };

struct ingest_args {
	const char *history;
	struct ingest_options opt;
	int quiet;
};

static int take_option(void *data, int opt, const char *arg)
{
	struct ingest_args *a = data;

	switch (opt) {
	case O_HISTORY:
		a->history = arg;
		break;
	case O_RUN_ID:
		a->opt.run_key = arg;
		break;
	case O_COMMIT:
		a->opt.commit = arg;
		break;
	case O_BRANCH:
		a->opt.branch = arg;
		break;
	case O_RECOVER:
		a->opt.recover = 1;
		break;
	case O_QUIET:
		a->quiet = 1;
		break;
	}
	return 0;
}

static void report(struct cmd_ctx *ctx, const char *path,
		   const struct ingest_stats *s)
{
	if (s->already) {
		fprintf(ctx->err, "%s: already recorded for run %s, skipped\n",
			path, s->run_key);
		return;
	}
	fprintf(ctx->err,
		"%s: %llu tests (%llu failed, %llu errors, %llu skipped) "
		"from %s into run %s\n",
		path, (unsigned long long)s->tests,
		(unsigned long long)s->failed, (unsigned long long)s->errors,
		(unsigned long long)s->skipped,
		s->kind == INGEST_JUNIT ? "JUnit XML" : "timing JSON",
		s->run_key);
}

static int ingest_one(struct cmd_ctx *ctx, struct store *st,
		      const struct ingest_args *a, const char *path)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct ingest_stats stats;
	struct strbuf url = STRBUF_INIT;
	int fd = !strcmp(path, "-") ? cmd_spool_stdin(&err)
		 : http_is_url(path) ? http_fetch_temp(NULL, path, &err)
				     : open(path, O_RDONLY);
	int r;

	if (fd < 0) {
		if (!err.code)
			shard_error_set(&err, errno == ENOENT ? SHARD_EINPUT
							      : SHARD_EENV,
					"%s: %s", path, strerror(errno));
		return cmd_fail(ctx, &err);
	}
	if (http_is_url(path)) {
		http_redact(path, &url);
		path = url.buf;
	}
	r = ingest_fd(st, fd, strcmp(path, "-") ? path : "<stdin>", &a->opt,
		      &ctx->core, &stats, &err);
	close(fd);
	if (!r && !a->quiet)
		report(ctx, path, &stats);
	strbuf_release(&url);
	return r ? cmd_fail(ctx, &err) : EXIT_OK;
}

static void fill_from_ci(struct cmd_ctx *ctx, struct ingest_args *a,
			 struct ci_info *ci)
{
	struct shard_error err = SHARD_ERROR_INIT;
	const char *run = shard_getenv(&ctx->core, "SHARD_RUN_ID");

	ci_detect(&ctx->core, ci, &err); /* index errors do not matter here */
	if (!a->opt.run_key)
		a->opt.run_key = run && *run ? run
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
	struct ci_info ci;
	int first = cmd_parse(argc, argv, &ingest_usage, take_option, &a, ctx);
	int status = EXIT_OK;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first >= argc)
		return cmd_usage_error(ctx, "shard ingest",
				       "no files given");
	fill_from_ci(ctx, &a, &ci);
	if (store_open(cmd_history_path(ctx, a.history), &so, &st, &err))
		return cmd_fail(ctx, &err);
	for (int i = first; i < argc; i++) {
		int r = ingest_one(ctx, st, &a, argv[i]);

		if (r > status)
			status = r;
	}
	store_close(st);
	return status;
}
