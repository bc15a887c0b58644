/*
 * What every subcommand shares: the context handed to the core, the
 * options tables that drive both getopt_long and --help, and the mapping
 * from core error codes to exit statuses (docs/design.md).
 */
#ifndef SHARD_CMD_H
#define SHARD_CMD_H

#include <signal.h>
#include <stdio.h>

#include "shard/testlist.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"

struct cmd_ctx {
	struct shard_ctx core;
	FILE *out, *err;
	int err_is_tty;
	int quiet;
	double started;
};

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_ENV = 3,
};

/*
 * What an option does with its value, and the type of the field that its
 * table entry points to (value).
 */
enum cmd_option_kind {
	CMD_OPTION_END,      /* ends a table */
	CMD_OPTION_FLAG,     /* int: set to min */
	CMD_OPTION_STRING,   /* const char *: the value as given */
	CMD_OPTION_COUNT,    /* long: a whole number from min to max */
	CMD_OPTION_SECONDS,  /* double: a number, 0 or more */
	CMD_OPTION_CHOICE,   /* int: what parse makes of the word */
	CMD_OPTION_URL,      /* const char *: --NAME URL */
	CMD_OPTION_URL_ENV,  /* const char *: --NAME-env VAR, the variable's
				name; the URL it holds goes to --NAME's field */
	CMD_OPTION_CALLBACK, /* callback(ctx, cmd, value, arg) */
};

/*
 * One option: its names, its help line, and the field it sets (git's
 * parse-options, libgit2's cli_opt_spec). Tables are written with the
 * OPT_* macros below, which check the field's type, and end with
 * OPT_END(). The parser validates values: a bad one is a usage error with
 * the same words whichever command takes the option.
 */
struct cmd_option {
	const char *name; /* long name, without "--" */
	int short_name;   /* 0: none */
	const char *arg;  /* the value's placeholder in --help; NULL: none */
	const char *help;
	enum cmd_option_kind kind;
	void *value; /* the field it sets */
	long min;    /* FLAG: the value set; COUNT: the least */
	long max;    /* COUNT: the most */
	int (*parse)(const char *word); /* CHOICE: negative for no word */
	const char *expected; /* CHOICE: what "--NAME 'WORD': " goes on to say */
	/* CALLBACK: takes arg into value; 0, or an exit status after a usage
	 * error on ctx->err (cmd is the command's name, for messages) */
	int (*callback)(struct cmd_ctx *ctx, const char *cmd, void *value,
			const char *arg);
};

/* v as a pointer to type; a compiler warning (error with DEVELOPER=1) when
 * v points to another type. */
#define CMD_OPTION_FIELD(type, v) ((void *)(1 ? (v) : (type *)0))

#define OPT_END() \
	{ \
		.kind = CMD_OPTION_END \
	}
/* --NAME sets *v (int) to 1; OPT_SET_INT to i. */
#define OPT_FLAG(l, s, v, h) OPT_SET_INT(l, s, v, 1, h)
#define OPT_SET_INT(l, s, v, i, h) \
	{ \
		.name = (l), .short_name = (s), .help = (h), \
		.kind = CMD_OPTION_FLAG, .value = CMD_OPTION_FIELD(int, v), \
		.min = (i) \
	}
#define OPT_STRING(l, s, a, v, h) \
	{ \
		.name = (l), .short_name = (s), .arg = (a), .help = (h), \
		.kind = CMD_OPTION_STRING, \
		.value = CMD_OPTION_FIELD(const char *, v) \
	}
/* A whole number from lo to hi into *v (long). */
#define OPT_COUNT(l, s, a, v, lo, hi, h) \
	{ \
		.name = (l), .short_name = (s), .arg = (a), .help = (h), \
		.kind = CMD_OPTION_COUNT, .value = CMD_OPTION_FIELD(long, v), \
		.min = (lo), .max = (hi) \
	}
/* Seconds, 0 or more, into *v (double); its placeholder is S. */
#define OPT_SECONDS(l, v, h) \
	{ \
		.name = (l), .arg = "S", .help = (h), \
		.kind = CMD_OPTION_SECONDS, \
		.value = CMD_OPTION_FIELD(double, v) \
	}
/*
 * A word that fn (int fn(const char *)) turns into *v (int), or a usage
 * error "--NAME 'WORD': EXPECTED" when fn returns a negative number.
 */
#define OPT_CHOICE(l, s, a, v, fn, expect, h) \
	{ \
		.name = (l), .short_name = (s), .arg = (a), .help = (h), \
		.kind = CMD_OPTION_CHOICE, .value = CMD_OPTION_FIELD(int, v), \
		.parse = (fn), .expected = (expect) \
	}
/*
 * A URL given in argv (--NAME URL, into *v) or through an environment
 * variable (--NAME-env VAR: VAR into *var, the URL the variable holds
 * into --NAME's *v), so that a password need not be in argv. A table
 * that has OPT_URL_ENV("NAME-env") has OPT_URL("NAME"). After parsing,
 * *v is the URL given, or NULL when neither is (a variable alone never
 * switches a mode on). Both given, a VAR that is not a variable's name
 * (never echoed: it may be a URL), or a variable unset or empty, is a
 * usage error naming the option and the variable.
 */
#define OPT_URL(l, v, h) \
	{ \
		.name = (l), .arg = "URL", .help = (h), \
		.kind = CMD_OPTION_URL, \
		.value = CMD_OPTION_FIELD(const char *, v) \
	}
#define OPT_URL_ENV(l, var, h) \
	{ \
		.name = (l), .arg = "VAR", .help = (h), \
		.kind = CMD_OPTION_URL_ENV, \
		.value = CMD_OPTION_FIELD(const char *, var) \
	}
/* The odd option: fn(ctx, cmd, v, arg) takes it (see .callback). */
#define OPT_CALLBACK(l, s, a, v, fn, h) \
	{ \
		.name = (l), .short_name = (s), .arg = (a), .help = (h), \
		.kind = CMD_OPTION_CALLBACK, .value = (v), .callback = (fn) \
	}

/*
 * The options several commands take, declared once: the same names,
 * placeholder and kind everywhere (and the same help, where the meaning
 * is the same).
 */
#define OPT_HISTORY(v) \
	OPT_STRING("history", 0, "PATH", v, \
		   "history store (default: $SHARD_HISTORY or " \
		   ".shard/history.db)")
#define OPT_RUN_ID(v, h) OPT_STRING("run-id", 0, "ID", v, h)
#define OPT_OUTPUT(v, h) OPT_STRING("output", 'o', "FILE", v, h)
#define OPT_FORMAT(v, fn, expect, h) \
	OPT_CHOICE("format", 'f', "FMT", v, fn, expect, h)
#define OPT_QUIET(v, h) OPT_FLAG("quiet", 'q', v, h)
#define OPT_QUIET_HELP "print nothing but errors"
#define OPT_TESTS(v) \
	OPT_STRING("tests", 't', "FILE", v, \
		   "test ids, one a line ('-': standard input)")
#define OPT_RECOVER(v) \
	OPT_FLAG("recover", 0, v, \
		 "read malformed XML in libxml2's recovery mode, " \
		 "with warnings")
/* --shards and --index (plan, run): a shard among at most this many. */
#define OPT_SHARDS_MAX 256000L
#define OPT_SHARDS(v, h) OPT_COUNT("shards", 'k', "K", v, 1, OPT_SHARDS_MAX, h)
#define OPT_INDEX(v, h) OPT_COUNT("index", 'i', "I", v, 0, OPT_SHARDS_MAX, h)
/* --runner (plan, run), into *v (int: enum runner_kind); the file that
 * uses it includes shard/exec/runner.h. */
#define OPT_RUNNER(v, h) \
	OPT_CHOICE("runner", 'r', "NAME", v, runner_parse, \
		   cmd_runner_expected(), h)
/* "expected generic, pytest, ... or NAME": OPT_RUNNER's message. */
const char *cmd_runner_expected(void);
/* --help's list of the runner adapters and what each passes. */
void cmd_runners_help(FILE *f);
/* A format of text (0) or json (1): cmd_parse_text_json. */
int cmd_parse_text_json(const char *word);

struct cmd_usage {
	const char *synopsis; /* "shard plan [OPTIONS] ..." */
	const char *summary;  /* one paragraph shown by --help */
	/*
	 * The operands are a command and its arguments (shard run, shard
	 * plan --collect): parsing stops at the first operand, and what
	 * follows is the command's. Otherwise options may come after
	 * operands ("shard ingest f.xml --run-id z"), as with GNU tools,
	 * whatever POSIXLY_CORRECT says; "--" ends the options.
	 */
	int operands_are_command;
	/* printed by --help after the options; may be NULL */
	void (*epilogue)(FILE *f);
};

/*
 * Parse argv against options, setting the fields they point to (what an
 * option does not set keeps its default). The command's name in messages
 * is the synopsis's leading words ("shard queue status"). --help prints
 * the usage and the options and returns -1 (the caller exits 0). Returns
 * the index of the first operand, or -2 after a usage error (printed:
 * an unknown option, a missing or bad value, a URL option's variable);
 * the operands are then argv[first..argc), in the order given.
 */
int cmd_parse(int argc, char **argv, const struct cmd_usage *u,
	      const struct cmd_option *options, struct cmd_ctx *ctx);
/*
 * One line of diagnostics on ctx->err: formatted, then shown with what
 * shard/util/quote.h escapes escaped (names from input are shown, never
 * obeyed: no control byte, newline or bidirectional override gets
 * through), then a newline. Every message to a person goes through it,
 * or through shard_error_set and shard_warn, which quote alike.
 */
void cmd_note(struct cmd_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "shard: <msg>" for err and return its exit status. */
int cmd_fail(struct cmd_ctx *ctx, const struct shard_error *err);
/* A usage error: print message and a hint, return EXIT_USAGE. */
int cmd_usage_error(struct cmd_ctx *ctx, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cmd_exit_status(int code);
/* A value of seconds for opt ("--NAME"), as OPT_SECONDS takes it. */
int cmd_parse_seconds(struct cmd_ctx *ctx, const char *cmd, const char *opt,
		      const char *arg, double *out);
/*
 * Copy standard input into an unlinked temporary file and return its fd,
 * positioned at the start (ingest and merge read their inputs twice), or
 * a negative code with err set.
 */
int cmd_spool_stdin(struct shard_error *err);
/* A nested verb of a two-word command ("db gc", "queue status"). */
struct cmd_verb {
	const char *name;
	int (*fn)(int argc, char **argv, struct cmd_ctx *ctx);
	const char *summary;
};

/*
 * Run the verb argv[1] names among the n verbs of command (e.g. "db"),
 * or print the verbs (--help: exit 0; none given: exit 2); an unknown
 * verb is a usage error.
 */
int cmd_dispatch_verb(int argc, char **argv, struct cmd_ctx *ctx,
		      const char *command, const struct cmd_verb *verbs,
		      size_t n);
/* History location: --history, else SHARD_HISTORY, else the default. */
const char *cmd_history_path(struct cmd_ctx *ctx, const char *flag);

/*
 * The signal (SIGINT, SIGTERM, SIGHUP) that stopped the command, or 0
 * (the one global docs/style.md allows): set by shard run's handlers,
 * and by cmd/testlist_input.c's while a collect command runs.
 */
extern volatile sig_atomic_t cmd_signal;

/*
 * Read a test list from path ("-": standard input) or, when collect_cmd
 * is not NULL, from the output of that command (argv, no shell).
 */
int cmd_read_tests(struct cmd_ctx *ctx, const char *path, char **collect_cmd,
		   struct testlist *list, struct shard_error *err);

/*
 * cmd_fail for a test list that could not be read: 128 + the signal
 * when SIGINT, SIGTERM or SIGHUP stopped its collect command.
 */
int cmd_fail_list(struct cmd_ctx *ctx, const struct shard_error *err);

/*
 * Where shard_pytest.py is: $SHARD_SHARE_DIR; else the first directory
 * that exists of share/shard beside the binary (the build tree), the data
 * directory make install compiled in (SHARD_DATADIR), ../share/shard
 * from the binary. NULL when none does. Returns env, buf or a constant.
 */
const char *cmd_share_dir(struct cmd_ctx *ctx, char *buf, size_t size);
/*
 * Collect cmd's test ids through runner kind's listing (runner.h), which
 * runs in a process group as a collect command does: the exact ids the
 * runner takes back, whatever the project's configuration prints. dir
 * holds the listing's files while they are read; cmd_collect_tests makes
 * one in $TMPDIR and removes it.
 */
int cmd_collect_runner(struct cmd_ctx *ctx, int kind, char **cmd,
		       const char *share_dir, const char *dir,
		       struct testlist *list, struct shard_error *err);
int cmd_collect_tests(struct cmd_ctx *ctx, int kind, char **cmd,
		      const char *share_dir, struct testlist *list,
		      struct shard_error *err);

/* A run's identity: --run-id, else SHARD_RUN_ID, else the CI's. */
struct cmd_run_identity {
	char id[256];   /* for records: the CI's includes its attempt; "" */
	char base[256]; /* the run without its attempt (plans are pinned by
			   it); "" when no run id was given */
};
int cmd_run_identity(struct cmd_ctx *ctx, const char *flag,
		     struct cmd_run_identity *out, struct shard_error *err);

/*
 * Plan rq's list against the history at path (shard/plan/pin.h): with
 * rq->run (a run id was given, so its plan is pinned there) the history
 * is opened for writing, created when missing, and one that cannot be
 * written is read as it is, with a warning; a missing one plans without
 * history. A plan pinned earlier for the run is noted on stderr ("CMD:
 * run ...") unless quiet. out is released with pin_plan_release
 * whatever the result.
 */
struct pin_request;
struct pin_plan;
int cmd_plan_list(struct cmd_ctx *ctx, const char *cmd, const char *path,
		  const struct pin_request *rq, int quiet, struct pin_plan *out,
		  struct shard_error *err);

int cmd_db(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_history(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_ingest(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_merge(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_plan(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_queue(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_report(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_run(int argc, char **argv, struct cmd_ctx *ctx);

#endif
