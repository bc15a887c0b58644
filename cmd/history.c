/*
 * shard history show|prune|export|import|pull|push: the history's
 * lifecycle. A nested verb table (docs/design.md's layout); the local verbs
 * share one options struct, pull and push share the HTTP options. This
 * file reads the environment (SHARD_HISTORY_TOKEN, TMPDIR) and hands the
 * core plain values; the token is never printed.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "shard/plan/planfile.h"
#include "shard/store/history.h"
#include "shard/store/store.h"
#include "shard/util/atomicfile.h"
#include "shard/util/http.h"
#include "shard/util/json.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

struct history_args {
	struct cmd_ctx *ctx;
	const char *cmd; /* "shard history show", for errors */
	const char *history, *output, *header_file, *cacert;
	long keep_runs, retries, conflicts;
	double timeout, retry_delay;
	int json, quiet, allow_insecure;
};

/*
 * Parse a verb's argv against options (pointing into a); returns the
 * first operand's index or -1/-2.
 */
static int parse(int argc, char **argv, const char *name,
		 const struct cmd_usage *u, const struct cmd_option *options,
		 struct history_args *a, struct cmd_ctx *ctx)
{
	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	a->cmd = name;
	a->keep_runs = HISTORY_KEEP_RUNS_DEFAULT;
	a->retries = HTTP_RETRIES_DEFAULT;
	a->conflicts = HISTORY_CONFLICTS_DEFAULT;
	a->timeout = HTTP_TIMEOUT_DEFAULT;
	a->retry_delay = HTTP_BACKOFF_DEFAULT;
	return cmd_parse(argc, argv, u, options, ctx);
}

static int open_history(struct history_args *a, int create, struct store **st,
			struct shard_error *err)
{
	struct store_options so = { create, 0, 0 };

	return store_open(cmd_history_path(a->ctx, a->history), &so, st, err);
}

/* A location for messages: user info and query redacted from URLs. */
static void say_location(struct strbuf *sb, const char *location)
{
	if (strstr(location, "://"))
		http_redact(location, sb);
	else
		strbuf_addstr(sb, location);
}

/* ---- show ---- */

static const struct cmd_usage show_usage = {
	"shard history show [OPTIONS]",
	"Print what the history holds: runs (the oldest and newest kept),\n"
	"tests, results and its size on disk.",
	0,
	NULL,
};

struct run_span {
	char *oldest, *newest;
};

static int note_run(void *data, int64_t run_id, const struct store_run *run)
{
	struct run_span *s = data;

	(void)run_id;
	if (!s->oldest)
		s->oldest = xstrdup(run->run_key);
	free(s->newest);
	s->newest = xstrdup(run->run_key);
	return 0;
}

static void show_json(struct history_args *a, const char *where,
		      const struct store_summary *sum,
		      const struct run_span *span)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "{\"history\":");
	json_add_string(&sb, where, strlen(where));
	strbuf_addf(&sb,
		    ",\"runs\":%lld,\"tests\":%lld,\"results\":%lld,"
		    "\"bytes\":%lld,\"schema_version\":%d,\"oldest_run\":",
		    (long long)sum->runs, (long long)sum->tests,
		    (long long)sum->results, (long long)sum->bytes,
		    sum->schema_version);
	if (span->oldest)
		json_add_string(&sb, span->oldest, strlen(span->oldest));
	else
		strbuf_addstr(&sb, "null");
	strbuf_addstr(&sb, ",\"newest_run\":");
	if (span->newest)
		json_add_string(&sb, span->newest, strlen(span->newest));
	else
		strbuf_addstr(&sb, "null");
	fprintf(a->ctx->out, "%s}\n", sb.buf);
	strbuf_release(&sb);
}

static void show_text(struct history_args *a, const char *where,
		      const struct store_summary *sum,
		      const struct run_span *span)
{
	FILE *f = a->ctx->out;

	fprintf(f, "history  %s%s\n", where,
		sum->schema_version ? "" : " (none yet)");
	fprintf(f, "runs     %lld", (long long)sum->runs);
	if (span->oldest)
		fprintf(f, " (oldest %s, newest %s)", span->oldest,
			span->newest);
	fprintf(f,
		"\ntests    %lld\nresults  %lld\nsize     %lld bytes "
		"(%.1f MiB)\n",
		(long long)sum->tests, (long long)sum->results,
		(long long)sum->bytes, (double)sum->bytes / (1024.0 * 1024.0));
}

static int history_show(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct history_args a;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_summary sum = { 0 };
	struct run_span span = { NULL, NULL };
	struct strbuf where = STRBUF_INIT;
	struct store *st = NULL;
	const struct cmd_option options[] = {
		OPT_HISTORY(&a.history),
		OPT_FORMAT(&a.json, cmd_parse_text_json, "text or json",
			   "text (default) or json"),
		OPT_END(),
	};
	int first = parse(argc, argv, "shard history show", &show_usage,
			  options, &a, ctx),
	    r = EXIT_OK;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first < argc)
		return cmd_usage_error(ctx, a.cmd, "no operands expected");
	say_location(&where, cmd_history_path(ctx, a.history));
	if (open_history(&a, 0, &st, &err) ||
	    (st && (store_summary(st, &sum, &err) ||
		    store_each_run(st, 0, note_run, &span, &err)))) {
		r = cmd_fail(ctx, &err);
	} else if (a.json) {
		show_json(&a, where.buf, &sum, &span);
	} else {
		show_text(&a, where.buf, &sum, &span);
	}
	store_close(st);
	strbuf_release(&where);
	free(span.oldest);
	free(span.newest);
	return r;
}

/* ---- prune ---- */

static const struct cmd_usage prune_usage = {
	"shard history prune [OPTIONS]",
	"Keep the most recent runs (by start time) and delete older ones with\n"
	"their results and shard figures, and the tests no kept run has\n"
	"seen; then compact the file, so that a history kept in a CI cache\n"
	"stays bounded. Estimates of the kept tests are left as they are.\n"
	"On PostgreSQL, VACUUM leaves the space to the server for later\n"
	"ingests, so the size shown may not drop.",
	0,
	NULL,
};

static int history_prune(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct history_args a;
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_prune_stats ps;
	struct store *st = NULL;
	const struct cmd_option options[] = {
		OPT_HISTORY(&a.history),
		OPT_COUNT("keep-runs", 0, "N", &a.keep_runs, 1, 1000000,
			  "keep the N most recent runs (default: 50)"),
		OPT_QUIET(&a.quiet, OPT_QUIET_HELP),
		OPT_END(),
	};
	int first = parse(argc, argv, "shard history prune", &prune_usage,
			  options, &a, ctx),
	    r = EXIT_OK;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first < argc)
		return cmd_usage_error(ctx, a.cmd, "no operands expected");
	if (open_history(&a, 0, &st, &err))
		return cmd_fail(ctx, &err);
	if (!st) {
		if (!a.quiet)
			fprintf(ctx->err, "shard history prune: no history "
					  "yet, nothing to prune\n");
		return EXIT_OK;
	}
	if (store_prune(st, (unsigned)a.keep_runs, &ps, &err))
		r = cmd_fail(ctx, &err);
	else if (!a.quiet)
		fprintf(ctx->err,
			"shard history prune: deleted %lld runs, "
			"%lld results, %lld tests; %lld -> %lld bytes\n",
			(long long)ps.runs, (long long)ps.results,
			(long long)ps.tests, (long long)ps.bytes_before,
			(long long)ps.bytes_after);
	store_close(st);
	return r;
}

/* ---- export and import ---- */

static const struct cmd_usage export_usage = {
	"shard history export [OPTIONS]",
	"Write the whole history as JSON (README: shard history), for another\n"
	"backend or machine: shard history import reads it back.",
	0,
	NULL,
};

static int history_export_cmd(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct history_args a;
	struct shard_error err = SHARD_ERROR_INIT;
	struct atomicfile out = { 0 };
	struct store *st = NULL;
	const struct cmd_option options[] = {
		OPT_HISTORY(&a.history),
		OPT_OUTPUT(&a.output,
			   "write to FILE (default: standard output)"),
		OPT_END(),
	};
	int first = parse(argc, argv, "shard history export", &export_usage,
			  options, &a, ctx),
	    r = EXIT_OK;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (first < argc)
		return cmd_usage_error(ctx, a.cmd, "no operands expected");
	if (open_history(&a, 0, &st, &err))
		return cmd_fail(ctx, &err);
	if (!st) {
		struct strbuf where = STRBUF_INIT;

		/* a database URL may carry a password: never print it */
		say_location(&where, cmd_history_path(ctx, a.history));
		shard_error_set(&err, SHARD_EINPUT, "%s: no history to export",
				where.buf);
		strbuf_release(&where);
		return cmd_fail(ctx, &err);
	}
	if (atomicfile_open(&out, a.output ? a.output : "-", ctx->out, &err) ||
	    history_export(st, out.f, &err) || atomicfile_commit(&out, &err)) {
		atomicfile_abort(&out);
		r = cmd_fail(ctx, &err);
	}
	store_close(st);
	return r;
}

static const struct cmd_usage import_usage = {
	"shard history import [OPTIONS] FILE",
	"Merge a JSON export ('-': standard input) into the history, creating\n"
	"it if needed, in one transaction. Runs already there (same run id)\n"
	"gain only the reports they lack, so importing twice changes nothing.",
	0,
	NULL,
};

/* An export to import: a file, or standard input ("-"). */
static int read_all(const char *path, struct strbuf *out,
		    struct shard_error *err)
{
	if (!strcmp(path, "-"))
		return read_fd_whole(0, path, READ_FILE_WHOLE_MAX, out, err);
	return read_file_whole(path, READ_FILE_WHOLE_MAX, out, err);
}

static void say_counts(struct cmd_ctx *ctx, const char *what,
		       const struct history_counts *c)
{
	cmd_note(ctx,
		 "%s: %lld new runs, %lld new reports (%lld "
		 "results), %lld new tests",
		 what, (long long)c->runs, (long long)c->sources,
		 (long long)c->results, (long long)c->tests);
}

static int history_import_cmd(int argc, char **argv, struct cmd_ctx *ctx)
{
	struct history_args a;
	struct shard_error err = SHARD_ERROR_INIT;
	struct history_counts added;
	struct strbuf text = STRBUF_INIT;
	struct store *st = NULL;
	const struct cmd_option options[] = {
		OPT_HISTORY(&a.history),
		OPT_QUIET(&a.quiet, OPT_QUIET_HELP),
		OPT_END(),
	};
	int first = parse(argc, argv, "shard history import", &import_usage,
			  options, &a, ctx),
	    r = EXIT_OK;

	if (first < 0)
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	if (argc - first != 1)
		return cmd_usage_error(ctx, a.cmd, "give one FILE");
	if (read_all(argv[first], &text, &err) ||
	    open_history(&a, 1, &st, &err) ||
	    history_import(st, text.buf, text.len,
			   strcmp(argv[first], "-") ? argv[first] : "<stdin>",
			   &added, &err))
		r = cmd_fail(ctx, &err);
	else if (!a.quiet)
		say_counts(ctx, "shard history import", &added);
	store_close(st);
	strbuf_release(&text);
	return r;
}

/* ---- pull and push ---- */

#define AUTH_HELP \
	"\n\nAuthorization: $SHARD_HISTORY_TOKEN as a bearer token, and/or\n" \
	"--header-file. Neither is ever printed, nor sent in clear text: only\n" \
	"over https://, or http:// to 127.0.0.0/8 or [::1], unless\n" \
	"--allow-insecure-token. TLS peers are verified; redirects are not\n" \
	"followed."

static const struct cmd_usage pull_usage = {
	"shard history pull [OPTIONS] URL",
	"Download the history at URL (a plain object: a presigned S3 URL, or\n"
	"any server that does GET and PUT with ETags) and merge it into the\n"
	"local history file, creating it if needed; no local run is lost.\n"
	"The ETag seen is kept beside the history (PATH.etag) for push. A\n"
	"missing object (404) is not an error: there is no history yet." AUTH_HELP,
	0,
	NULL,
};

static const struct cmd_usage push_usage = {
	"shard history push [OPTIONS] URL",
	"Upload the local history file to URL, conditionally: If-Match on\n"
	"the ETag the last pull or push saw, If-None-Match: * when there is\n"
	"none. When someone else pushed in between (412), pull again, merge\n"
	"(no run is lost from either side) and retry." AUTH_HELP,
	0,
	NULL,
};

struct remote {
	struct history_args a;
	struct http_options http;
	struct strvec headers;
	struct history_remote rm;
};

static int remote_setup(struct remote *x, int argc, char **argv, int first,
			struct shard_error *err)
{
	struct history_args *a = &x->a;
	const char *token = shard_getenv(&a->ctx->core, "SHARD_HISTORY_TOKEN");
	const char *tmp = shard_getenv(&a->ctx->core, "TMPDIR");
	int r;

	if (argc - first != 1)
		return cmd_usage_error(a->ctx, a->cmd, "give one URL");
	if (!http_is_url(argv[first]))
		return cmd_usage_error(a->ctx, a->cmd,
				       "'%s' is not an "
				       "http:// or https:// URL",
				       argv[first]);
	x->rm.history = cmd_history_path(a->ctx, a->history);
	if (strstr(x->rm.history, "://"))
		return cmd_usage_error(a->ctx, a->cmd,
				       "pull and push work "
				       "on a SQLite history file (a database "
				       "history moves with shard history "
				       "export and import)");
	if (a->header_file &&
	    http_read_header_file(a->header_file, &x->headers, err))
		return cmd_fail(a->ctx, err);
	http_options_init(&x->http);
	x->http.bearer = token && *token ? token : NULL;
	x->http.headers = &x->headers;
	x->http.cacert = a->cacert;
	x->http.timeout = a->timeout < 1 ? 1 : (long)(a->timeout + 0.999);
	x->http.retries = (unsigned)a->retries;
	x->http.backoff = a->retry_delay;
	x->http.allow_insecure = a->allow_insecure;
	/* before the history is touched or anything is sent */
	if (http_check_credentials(&x->http, argv[first], err)) {
		r = cmd_fail(a->ctx, err);
		cmd_note(a->ctx, "hint: --allow-insecure-token sends them "
				 "anyway");
		return r;
	}
	x->rm.url = argv[first];
	x->rm.http = &x->http;
	x->rm.conflicts = (unsigned)a->conflicts;
	x->rm.tmpdir = tmp && *tmp ? tmp : NULL;
	return 0;
}

static int remote_parse(struct remote *x, int argc, char **argv,
			const char *name, const struct cmd_usage *u,
			struct cmd_ctx *ctx, struct shard_error *err)
{
	struct history_args *a = &x->a;
	const struct cmd_option options[] = {
		OPT_HISTORY(&a->history),
		OPT_STRING("header-file", 0, "FILE", &a->header_file,
			   "send FILE's 'Name: value' lines as "
			   "request headers"),
		OPT_STRING("cacert", 0, "FILE", &a->cacert,
			   "trust the CA certificates in FILE"),
		OPT_FLAG("allow-insecure-token", 0, &a->allow_insecure,
			 "send the token and header file "
			 "over plain http:// to a host "
			 "that is not loopback"),
		OPT_SECONDS("timeout", &a->timeout,
			    "give up on one attempt after S seconds "
			    "(default: 300)"),
		OPT_COUNT("retries", 0, "N", &a->retries, 0, 20,
			  "attempts after a 5xx answer or a connection "
			  "error (default: 3)"),
		OPT_SECONDS("retry-delay", &a->retry_delay,
			    "wait S seconds before the first retry, "
			    "doubling (default: 1)"),
		OPT_COUNT("max-conflicts", 0, "N", &a->conflicts, 0, 100,
			  "push: merge and retry at most N times "
			  "after a 412 (default: 5)"),
		OPT_QUIET(&a->quiet, OPT_QUIET_HELP),
		OPT_END(),
	};
	int first = parse(argc, argv, name, u, options, a, ctx);

	strvec_init(&x->headers);
	memset(&x->rm, 0, sizeof(x->rm));
	if (first < 0)
		return first == -1 ? -1 : EXIT_USAGE;
	return remote_setup(x, argc, argv, first, err);
}

static void say_pushed(struct cmd_ctx *ctx, const struct remote *x,
		       const char *url, const struct history_push_result *res)
{
	if (res->conflicts)
		cmd_note(ctx,
			 "shard history push: %s -> %s after %u conflict%s "
			 "(merged %lld runs pushed by others)",
			 x->rm.history, url, res->conflicts,
			 res->conflicts == 1 ? "" : "s",
			 (long long)res->merged.runs);
	else
		cmd_note(ctx, "shard history push: %s -> %s", x->rm.history,
			 url);
}

/* pull or push: parse, transfer, say what happened. */
static int remote_cmd(int argc, char **argv, struct cmd_ctx *ctx, int push)
{
	struct remote x;
	struct shard_error err = SHARD_ERROR_INIT;
	struct history_pull_result pulled;
	struct history_push_result pushed;
	struct strbuf u = STRBUF_INIT;
	int r = remote_parse(&x, argc, argv,
			     push ? "shard history push" : "shard history pull",
			     push ? &push_usage : &pull_usage, ctx, &err);

	if (r) {
		strvec_release(&x.headers);
		return r < 0 ? EXIT_OK : r;
	}
	http_redact(x.rm.url, &u);
	if (push ? history_push(&x.rm, &pushed, &err)
		 : history_pull(&x.rm, &pulled, &err))
		r = cmd_fail(ctx, &err);
	else if (x.a.quiet)
		;
	else if (push)
		say_pushed(ctx, &x, u.buf, &pushed);
	else if (!pulled.found)
		cmd_note(ctx, "shard history pull: %s: no history there yet",
			 u.buf);
	else
		say_counts(ctx, "shard history pull", &pulled.added);
	strbuf_release(&u);
	strvec_release(&x.headers);
	return r;
}

static int history_pull_cmd(int argc, char **argv, struct cmd_ctx *ctx)
{
	return remote_cmd(argc, argv, ctx, 0);
}

static int history_push_cmd(int argc, char **argv, struct cmd_ctx *ctx)
{
	return remote_cmd(argc, argv, ctx, 1);
}

/* ---- the verb table ---- */

/* Sorted by name. */
static const struct cmd_verb verbs[] = {
	{ "export", history_export_cmd, "write the history as JSON" },
	{ "import", history_import_cmd,
	  "merge a JSON export into the history" },
	{ "prune", history_prune,
	  "keep the most recent runs, compact the file" },
	{ "pull", history_pull_cmd, "download a remote history and merge it" },
	{ "push", history_push_cmd, "upload the history, merging on conflict" },
	{ "show", history_show, "runs, tests and size of the history" },
};

int cmd_history(int argc, char **argv, struct cmd_ctx *ctx)
{
	return cmd_dispatch_verb(argc, argv, ctx, "history", verbs,
				 sizeof(verbs) / sizeof(*verbs));
}
