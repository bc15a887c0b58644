/*
 * shard report: read history, compute the report once (report/model.h)
 * and write it in the format asked for, whole or not at all.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/model.h"
#include "report/write.h"
#include "shard/store/store.h"
#include "shard/util/atomicfile.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

#define CMD "shard report"

static const struct cmd_usage report_usage = {
	"shard report [OPTIONS]",
	"Report from history: suite time and makespan per run, each shard's\n"
	"predicted and actual time in the latest run, the slowest tests and\n"
	"files, the tests that bound the makespan (split them), flaky tests\n"
	"and the tests added and removed since the run before. Markdown suits\n"
	"$GITHUB_STEP_SUMMARY; html is one self-contained page with charts.",
	0,
	NULL,
};

struct report_args {
	struct cmd_ctx *ctx;
	const char *output, *history;
	long last, top;
	int format;
};

/* The options, each setting a field of a; cmd_parse's result. */
static int parse_options(int argc, char **argv, struct report_args *a,
			 struct cmd_ctx *ctx)
{
	const struct cmd_option options[] = {
		OPT_FORMAT(&a->format, report_format_parse,
			   "expected text, markdown, html or json",
			   "text (default), markdown, html or json"),
		OPT_OUTPUT(&a->output,
			   "write to FILE instead of standard output"),
		OPT_COUNT("last", 'n', "N", &a->last, 1, REPORT_LAST_MAX,
			  "look at the last N runs (default 10, at most 1000)"),
		OPT_COUNT("top", 0, "N", &a->top, 1, 100000,
			  "list the N slowest tests and files (default 10)"),
		OPT_HISTORY(&a->history),
		OPT_END(),
	};

	return cmd_parse(argc, argv, &report_usage, options, ctx);
}

static int open_history(const char *path, struct store **st,
			struct shard_error *err)
{
	struct store_options so = { 0, 1, 0 };

	if (store_open(path, &so, st, err))
		return err->code;
	if (!*st)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: no history here; record some with "
				       "'shard ingest' (or give --history)",
				       path);
	return 0;
}

static int write_out(struct report_args *a, const struct strbuf *text,
		     struct shard_error *err)
{
	struct atomicfile out;

	if (atomicfile_open(&out, a->output ? a->output : "-", a->ctx->out,
			    err))
		return err->code;
	if (fwrite(text->buf, 1, text->len, out.f) != text->len) {
		shard_error_set(err, SHARD_EENV, "%s: write error: %s",
				a->output ? a->output : "standard output",
				strerror(errno));
		atomicfile_abort(&out);
		return err->code;
	}
	return atomicfile_commit(&out, err);
}

int cmd_report(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct report_args a = {
		ctx,        NULL, NULL, REPORT_LAST_DEFAULT, REPORT_TOP_DEFAULT,
		REPORT_TEXT
	};
	struct shard_error err = SHARD_ERROR_INIT;
	struct strbuf text = STRBUF_INIT;
	struct report rep = { 0 };
	struct report_options ro;
	struct store *st = NULL;
	int first = parse_options(argc, argv, &a, ctx);
	int r = EXIT_OK;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first < argc)
		return cmd_usage_error(ctx, CMD, "unexpected argument '%s'",
				       argv[first]);
	ro.last = (unsigned)a.last;
	ro.top = (unsigned)a.top;
	if (open_history(cmd_history_path(ctx, a.history), &st, &err) ||
	    report_build(st, &ro, &ctx->core, &rep, &err)) {
		r = cmd_fail(ctx, &err);
		goto out;
	}
	report_write(&text, (enum report_format)a.format, &rep);
	if (write_out(&a, &text, &err))
		r = cmd_fail(ctx, &err);
out:
	strbuf_release(&text);
	report_release(&rep);
	store_close(st);
	return r;
}
