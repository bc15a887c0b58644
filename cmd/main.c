/*
 * The shard binary: a sorted table of subcommands, exact-match lookup
 * (git's way). main() builds the context the core gets: the environment
 * snapshot, the clock, a warning sink and a progress line on terminals.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shard/junit/junit.h"
#include "shard/store/store.h"
#include "shard/util/http.h"
#include "shard/util/pgconn.h"
#include "shard/util/banned.h"

#define SHARD_VERSION "0.1.0"

extern char **environ;

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv, struct cmd_ctx *ctx);
	const char *summary;
};

static int cmd_help(int argc, char **argv, struct cmd_ctx *ctx);

/* Sorted by name. */
static const struct subcommand commands[] = {
	{ "db", cmd_db, "manage isolated databases (db gc)" },
	{ "help", cmd_help, "show help for shard or one of its commands" },
	{ "history", cmd_history,
	  "show, prune, export/import, pull/push history" },
	{ "ingest", cmd_ingest,
	  "record JUnit XML or timing JSON into history" },
	{ "merge", cmd_merge, "merge JUnit XML reports into one" },
	{ "plan", cmd_plan, "split a test list into balanced shards" },
	{ "queue", cmd_queue, "a queue run's progress or report" },
	{ "report", cmd_report, "report timings, shards and flaky tests" },
	{ "run", cmd_run, "run one shard's tests, or all shards locally" },
};

static const struct subcommand *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void overview(FILE *f)
{
	fputs("usage: shard <command> [options] [args]\n\n"
	      "Split a slow test suite into balanced shards from past "
	      "timings, and learn\nfrom every run.\n\ncommands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\nSee 'shard <command> --help' for a command's options.\n", f);
}

static int cmd_help(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct subcommand *c;
	char *help_argv[] = { NULL, (char *)"--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		overview(ctx->out);
		return EXIT_OK;
	}
	if (!(c = find(argv[1])) || c->fn == cmd_help) {
		cmd_note(ctx,
			 "shard: '%s' is not a shard command. See "
			 "'shard help'.",
			 argv[1]);
		return EXIT_USAGE;
	}
	help_argv[0] = argv[1];
	return c->fn(2, help_argv, ctx);
}

/*
 * The version, and those of the libraries this process runs with (which
 * may be newer than the headers it was built against): what a bug report
 * needs.
 */
static void version(FILE *f)
{
	char buf[128];

	fprintf(f, "shard %s\n", SHARD_VERSION);
	fprintf(f, "libxml2 %s\n", junit_libxml2_version(buf, sizeof(buf)));
	fprintf(f, "SQLite %s\n", store_sqlite_library_version());
	fprintf(f, "libpq %s\n", pgconn_libpq_version(buf, sizeof(buf)));
	fprintf(f, "libcurl %s\n", http_libcurl_version(buf, sizeof(buf)));
}

static double wall_clock(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void warn_line(void *data, const char *msg)
{
	struct cmd_ctx *ctx = data;

	if (ctx->err_is_tty)
		fputs("\r\033[K", ctx->err);
	cmd_note(ctx, "shard: warning: %s", msg);
}

static void progress_line(void *data, const char *what, uint64_t done,
			  uint64_t total)
{
	struct cmd_ctx *ctx = data;

	if (!ctx->err_is_tty || ctx->quiet)
		return;
	if (total)
		fprintf(ctx->err, "\r\033[K%s: %llu/%llu", what,
			(unsigned long long)done, (unsigned long long)total);
	else
		fprintf(ctx->err, "\r\033[K%s: %llu", what,
			(unsigned long long)done);
	fflush(ctx->err);
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	const struct subcommand *c;

	ctx.out = stdout;
	ctx.err = stderr;
	ctx.err_is_tty = isatty(2);
	ctx.core.envp = environ;
	ctx.core.clock = wall_clock;
	ctx.core.warn = warn_line;
	ctx.core.progress = progress_line;
	ctx.core.data = &ctx;
	ctx.started = wall_clock(NULL);
	store_sqlite_global_init();
	if (argc < 2) {
		overview(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		overview(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		version(stdout);
		return EXIT_OK;
	}
	if (!(c = find(argv[1]))) {
		cmd_note(&ctx,
			 "shard: '%s' is not a shard command. See "
			 "'shard help'.",
			 argv[1]);
		return EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1, &ctx);
}
