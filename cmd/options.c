/*
 * One table per subcommand drives getopt_long and --help, so the help
 * text can never disagree with what is parsed (OpenBSD style usage lines).
 * Each entry points to the field it sets and says what kind of value it
 * takes (git's parse-options): values are checked here, with one message
 * per kind, and no command has a switch of its own.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/exec/runner.h"
#include "shard/store/store.h"
#include "shard/util/quote.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define OPT_HELP 0x10000

static void print_usage(FILE *f, const struct cmd_usage *u,
			const struct cmd_option *options)
{
	fprintf(f, "usage: %s\n\n%s\n", u->synopsis, u->summary);
	if (options[0].name)
		fputs("\noptions:\n", f);
	for (const struct cmd_option *o = options; o->name; o++) {
		struct strbuf left = STRBUF_INIT;

		if (o->short_name)
			strbuf_addf(&left, "-%c, ", o->short_name);
		else
			strbuf_addstr(&left, "    ");
		strbuf_addf(&left, "--%s", o->name);
		if (o->arg)
			strbuf_addf(&left, " %s", o->arg);
		fprintf(f, "  %-28s %s\n", left.buf, o->help);
		strbuf_release(&left);
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help and exit");
	if (u->epilogue)
		u->epilogue(f);
}

static int count_options(const struct cmd_option *o)
{
	int n = 0;

	while (o[n].name)
		n++;
	return n;
}

static void build_tables(const struct cmd_usage *u,
			 const struct cmd_option *options, struct option *longs,
			 struct strbuf *shorts)
{
	int n = count_options(options), i;

	/*
	 * '+': stop at the first operand; '-': hand every operand back in
	 * order as option 1, so that options after operands are taken
	 * whether or not POSIXLY_CORRECT is set.
	 */
	strbuf_addstr(shorts, u->operands_are_command ? "+:h" : "-:h");
	for (i = 0; i < n; i++) {
		const struct cmd_option *o = &options[i];

		longs[i].name = o->name;
		longs[i].has_arg = o->arg ? required_argument : no_argument;
		longs[i].flag = NULL;
		longs[i].val = o->short_name ? o->short_name : 0x100 + i;
		if (o->short_name) {
			strbuf_addch(shorts, o->short_name);
			if (o->arg)
				strbuf_addch(shorts, ':');
		}
	}
	longs[i] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	longs[i + 1] = (struct option){ NULL, 0, NULL, 0 };
}

static const struct cmd_option *find_option(const struct cmd_option *options,
					    int val)
{
	int n = count_options(options);

	if (val >= 0x100 && val < 0x100 + n)
		return &options[val - 0x100];
	for (int i = 0; i < n; i++)
		if (options[i].short_name == val)
			return &options[i];
	return NULL;
}

/* "shard queue status" of "shard queue status --queue URL ...". */
static const char *cmd_name(const struct cmd_usage *u, char *buf, size_t n)
{
	const char *s = u->synopsis;
	size_t len = 0, end = 0;

	while (s[len] >= 'a' && s[len] <= 'z') {
		while (s[len] >= 'a' && s[len] <= 'z')
			len++;
		end = len;
		if (s[len] == ' ')
			len++;
	}
	snprintf(buf, n, "%.*s", (int)end, s);
	return buf;
}

static int take_count(struct cmd_ctx *ctx, const char *cmd,
		      const struct cmd_option *o, const char *arg)
{
	if (shard_parse_long(arg, o->min, o->max, o->value) < 0)
		return cmd_usage_error(ctx, cmd,
				       "--%s '%s': expected a whole number "
				       "from %ld to %ld",
				       o->name, arg, o->min, o->max);
	return 0;
}

static int take_choice(struct cmd_ctx *ctx, const char *cmd,
		       const struct cmd_option *o, const char *arg)
{
	int v = o->parse(arg);

	if (v < 0)
		return cmd_usage_error(ctx, cmd, "--%s '%s': %s", o->name, arg,
				       o->expected);
	*(int *)o->value = v;
	return 0;
}

/* Set o's field from arg; 0, or an exit status after a usage error. */
static int take(struct cmd_ctx *ctx, const char *cmd,
		const struct cmd_option *o, const char *arg)
{
	char opt[64];

	switch (o->kind) {
	case CMD_OPTION_FLAG:
		*(int *)o->value = (int)o->min;
		return 0;
	case CMD_OPTION_STRING:
	case CMD_OPTION_URL:
	case CMD_OPTION_URL_ENV:
		*(const char **)o->value = arg;
		return 0;
	case CMD_OPTION_COUNT:
		return take_count(ctx, cmd, o, arg);
	case CMD_OPTION_SECONDS:
		snprintf(opt, sizeof(opt), "--%s", o->name);
		return cmd_parse_seconds(ctx, cmd, opt, arg, o->value);
	case CMD_OPTION_CHOICE:
		return take_choice(ctx, cmd, o, arg);
	case CMD_OPTION_CALLBACK:
		return o->callback(ctx, cmd, o->value, arg);
	case CMD_OPTION_END:
		break;
	}
	return 0;
}

static int variable_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
			return 0;
	return 1;
}

/*
 * The URL of --NAME (*url) given as itself or through --NAME-env's
 * variable (var, or NULL); opt is "--NAME".
 */
static int url_or_env(struct cmd_ctx *ctx, const char *cmd, const char *opt,
		      const char **url, const char *var)
{
	const char *v;

	if (!var)
		return 0;
	if (*url)
		return cmd_usage_error(ctx, cmd,
				       "%s and %s-env cannot be used "
				       "together",
				       opt, opt);
	if (!variable_name(var))
		return cmd_usage_error(ctx, cmd,
				       "%s-env takes the name of an "
				       "environment variable that holds the "
				       "URL (letters, digits and '_'), not "
				       "the URL",
				       opt);
	v = shard_getenv(&ctx->core, var);
	if (!v || !*v)
		return cmd_usage_error(ctx, cmd,
				       "%s-env: the variable %s is "
				       "%s",
				       opt, var, v ? "empty" : "not set");
	*url = v;
	return 0;
}

/* --NAME's entry for --NAME-env's e (an OPT_URL_ENV has one). */
static const struct cmd_option *url_of(const struct cmd_option *options,
				       const struct cmd_option *e)
{
	size_t n = strlen(e->name);

	if (n > 4 && !strcmp(e->name + n - 4, "-env"))
		for (const struct cmd_option *o = options; o->name; o++)
			if (o->kind == CMD_OPTION_URL &&
			    !strncmp(o->name, e->name, n - 4) &&
			    !o->name[n - 4])
				return o;
	abort(); /* a table that breaks OPT_URL_ENV's rule */
}

/* Each --NAME-env's variable into --NAME's field, in table order. */
static int resolve_urls(struct cmd_ctx *ctx, const char *cmd,
			const struct cmd_option *options)
{
	for (const struct cmd_option *e = options; e->name; e++) {
		const struct cmd_option *o;
		char opt[64];

		if (e->kind != CMD_OPTION_URL_ENV)
			continue;
		o = url_of(options, e);
		snprintf(opt, sizeof(opt), "--%s", o->name);
		if (url_or_env(ctx, cmd, opt, o->value,
			       *(const char **)e->value))
			return EXIT_USAGE;
	}
	return 0;
}

int cmd_parse(int argc, char **argv, const struct cmd_usage *u,
	      const struct cmd_option *options, struct cmd_ctx *ctx)
{
	int n = count_options(options), c, r = 0, nops = 0;
	struct option *longs = xcalloc((size_t)n + 2, sizeof(*longs));
	char **ops = xcalloc((size_t)argc + 1, sizeof(*ops));
	struct strbuf shorts = STRBUF_INIT;
	char name[64];

	cmd_name(u, name, sizeof(name));
	build_tables(u, options, longs, &shorts);
	optind = 0;
	opterr = 0;
	while (!r &&
	       (c = getopt_long(argc, argv, shorts.buf, longs, NULL)) != -1) {
		const char *bad = argv[optind - 1];

		if (c == 1) {
			ops[nops++] = argv[optind - 1];
		} else if (c == OPT_HELP || c == 'h') {
			print_usage(ctx->out, u, options);
			r = -1;
		} else if (c == '?' || c == ':') {
			cmd_usage_error(ctx, name,
					c == ':' ? "option '%s' needs a value"
						 : "unknown option '%s'",
					bad);
			r = -2;
		} else if (take(ctx, name, find_option(options, c), optarg)) {
			r = -2;
		}
	}
	if (!r && resolve_urls(ctx, name, options))
		r = -2;
	if (!r && nops) {
		/*
		 * Those after "--" are in place at the end; those met before
		 * go just ahead of them, over slots already read.
		 */
		optind -= nops;
		memcpy(argv + optind, ops, (size_t)nops * sizeof(*argv));
	}
	free(ops);
	free(longs);
	strbuf_release(&shorts);
	return r ? r : optind;
}

const char *cmd_runner_expected(void)
{
	static char msg[600];

	if (!msg[0])
		snprintf(msg, sizeof(msg), "expected %s", runner_names());
	return msg;
}

/* text, folded at spaces to lines of width after an indent of ind */
static void print_folded(FILE *f, const char *text, int ind, int width)
{
	int col = ind;

	while (*text) {
		size_t word = strcspn(text, " ");

		if (col > ind && col + 1 + (int)word > width) {
			fprintf(f, "\n%*s", ind, "");
			col = ind;
		} else if (col > ind) {
			fputc(' ', f);
			col++;
		}
		fwrite(text, 1, word, f);
		col += (int)word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

void cmd_runners_help(FILE *f)
{
	fputs("\nrunners (--runner NAME), and what each passes to the "
	      "command:\n",
	      f);
	for (int i = 0; i < RUNNER_KINDS; i++) {
		fprintf(f, "  %-12s ", runner_name(i));
		print_folded(f, runner_passes(i), 15, 78);
	}
}

int cmd_parse_text_json(const char *word)
{
	if (!strcmp(word, "text"))
		return 0;
	return !strcmp(word, "json") ? 1 : -1;
}

int cmd_exit_status(int code)
{
	switch (code) {
	case SHARD_OK:
		return EXIT_OK;
	case SHARD_EFAIL:
		return EXIT_FAILED;
	case SHARD_EINPUT:
		return EXIT_USAGE;
	default:
		return EXIT_ENV;
	}
}

int cmd_fail(struct cmd_ctx *ctx, const struct shard_error *err)
{
	cmd_note(ctx, "shard: %s", err->msg[0] ? err->msg : "failed");
	return cmd_exit_status(err->code);
}

static void vnote(struct cmd_ctx *ctx, const char *fmt, va_list ap)
{
	struct strbuf raw = STRBUF_INIT, shown = STRBUF_INIT;

	strbuf_vaddf(&raw, fmt, ap);
	quote_add(&shown, raw.buf, raw.len);
	strbuf_addch(&shown, '\n');
	fputs(shown.buf, ctx->err);
	strbuf_release(&raw);
	strbuf_release(&shown);
}

void cmd_note(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(ctx, fmt, ap);
	va_end(ap);
}

int cmd_usage_error(struct cmd_ctx *ctx, const char *cmd, const char *fmt, ...)
{
	struct strbuf line = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&line, "%s: %s", cmd, fmt);
	va_start(ap, fmt);
	vnote(ctx, line.buf, ap);
	va_end(ap);
	cmd_note(ctx, "See '%s --help'.", cmd);
	strbuf_release(&line);
	return EXIT_USAGE;
}

int cmd_parse_seconds(struct cmd_ctx *ctx, const char *cmd, const char *opt,
		      const char *arg, double *out)
{
	if (shard_parse_double(arg, out) < 0 || *out < 0) {
		cmd_usage_error(ctx, cmd,
				"%s '%s': expected seconds (a "
				"number, 0 or more)",
				opt, arg);
		return EXIT_USAGE;
	}
	return 0;
}

const char *cmd_history_path(struct cmd_ctx *ctx, const char *flag)
{
	const char *env = shard_getenv(&ctx->core, "SHARD_HISTORY");

	if (flag && *flag)
		return flag;
	if (env && *env)
		return env;
	return STORE_DEFAULT_PATH;
}

int cmd_spool_stdin(struct shard_error *err)
{
	char tmpl[] = "/tmp/shard-stdin-XXXXXX", buf[65536];
	int fd = mkstemp(tmpl);
	ssize_t n;

	if (fd < 0)
		return shard_error_set(err, SHARD_EENV, "temporary file: %s",
				       strerror(errno));
	unlink(tmpl);
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n) {
			close(fd);
			return shard_error_set(err, SHARD_EENV,
					       "standard input: %s",
					       strerror(errno));
		}
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return shard_error_set(err, SHARD_EENV, "standard input: %s",
				       strerror(errno));
	}
	return fd;
}

int cmd_dispatch_verb(int argc, char **argv, struct cmd_ctx *ctx,
		      const char *command, const struct cmd_verb *verbs,
		      size_t n)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc < 2 ? ctx->err : ctx->out;

		fprintf(f, "usage: shard %s <command> [options]\n\ncommands:\n",
			command);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "  %-8s %s\n", verbs[i].name,
				verbs[i].summary);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1, ctx);
	fprintf(ctx->err,
		"shard: '%s %s' is not a shard command. See "
		"'shard %s --help'.\n",
		command, argv[1], command);
	return EXIT_USAGE;
}
