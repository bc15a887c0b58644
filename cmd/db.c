/*
 * shard db gc: remove the databases and schemas that `shard run
 * --isolate-db/--isolate-schema` created and a killed run left behind.
 * A creator holds a PostgreSQL advisory lock for as long as it uses what
 * it made (shard/exec/isolate.h): gc removes only what no session holds,
 * which tells a live run from a dead one on any host, in any PID
 * namespace. A nested verb table, as docs/design.md lays out for
 * two-word commands.
 */
#include "cmd/cmd.h"

#include <string.h>

#include "shard/exec/isolate.h"
#include "shard/util/quote.h"
#include "shard/util/banned.h"

#define CMD "shard db gc"
#define DAY (24.0 * 3600)

static const struct cmd_usage gc_usage = {
	"shard db gc [OPTIONS] postgres://USER@HOST/DB",
	"Remove the databases (of the whole server) and schemas (of DB) that\n"
	"shard run created for its shards and did not drop because it was\n"
	"killed: those whose creator's session no longer holds their advisory\n"
	"lock, wherever it ran. A database or schema still in use is never\n"
	"removed, however old. Only objects carrying shard's comment are ever\n"
	"touched.",
	0,
	NULL,
};

struct gc_args {
	struct cmd_ctx *ctx;
	double older_than;
	int dry_run, quiet;
};

/* The options, each setting a field of a; cmd_parse's result. */
static int parse_options(int argc, char **argv, struct gc_args *a,
			 struct cmd_ctx *ctx)
{
	const struct cmd_option options[] = {
		OPT_SECONDS("older-than", &a->older_than,
			    "remove what an older shard, one that took no "
			    "lock, created once it is S seconds old "
			    "(default: 86400)"),
		OPT_FLAG("dry-run", 'n', &a->dry_run,
			 "list what would be removed; remove nothing"),
		OPT_QUIET(&a->quiet, OPT_QUIET_HELP),
		OPT_END(),
	};

	return cmd_parse(argc, argv, &gc_usage, options, ctx);
}

static void removed(void *data, const char *kind, const char *name,
		    const char *why)
{
	struct gc_args *a = data;
	struct strbuf line = STRBUF_INIT;

	if (a->quiet)
		return;
	/* the comment's host is anyone's text */
	strbuf_addf(&line, "%s %s ", a->dry_run ? "would remove" : "removed",
		    kind);
	quote_str(&line, name);
	strbuf_addstr(&line, " (");
	quote_str(&line, why);
	strbuf_addstr(&line, ")\n");
	fputs(line.buf, a->ctx->out);
	strbuf_release(&line);
}

static int db_gc(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct gc_args a = { ctx, DAY, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT;
	struct isolate_gc_options o = { 0 };
	size_t n = 0;
	int first = parse_options(argc, argv, &a, ctx);

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (argc - first != 1)
		return cmd_usage_error(ctx, CMD, "give one postgres:// URL");
	o.now = shard_now(&ctx->core);
	o.older_than = a.older_than;
	o.dry_run = a.dry_run;
	o.removed = removed;
	o.data = &a;
	if (isolate_gc(argv[first], &o, &n, &err))
		return cmd_fail(ctx, &err);
	if (!a.quiet)
		fprintf(ctx->err, "shard db gc: %s %zu\n",
			a.dry_run ? "would remove" : "removed", n);
	return EXIT_OK;
}

/* Sorted by name. */
static const struct cmd_verb verbs[] = {
	{ "gc", db_gc, "remove isolated databases and schemas left behind" },
};

int cmd_db(int argc, char **argv, struct cmd_ctx *ctx)
{
	return cmd_dispatch_verb(argc, argv, ctx, "db", verbs,
				 sizeof(verbs) / sizeof(*verbs));
}
