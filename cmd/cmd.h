/*
 * What every subcommand shares: the context handed to the core, the
 * options table that drives both getopt_long and --help, and the mapping
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

/* One option: long name, short letter (0 for none), argument name. */
struct cmd_option {
	const char *name;
	int short_name;
	const char *arg; /* NULL: a flag */
	const char *help;
};

struct cmd_usage {
	const char *synopsis;             /* "shard plan [OPTIONS] ..." */
	const char *summary;              /* one paragraph shown by --help */
	const struct cmd_option *options; /* ends with { NULL } */
	/*
	 * The operands are a command and its arguments (shard run, shard
	 * plan --collect): parsing stops at the first operand, and what
	 * follows is the command's. Otherwise options may come after
	 * operands ("shard ingest f.xml --run-id z"), as with GNU tools,
	 * whatever POSIXLY_CORRECT says; "--" ends the options.
	 */
	int operands_are_command;
};

/*
 * Parse argv against u->options. fn gets each option's index in the table
 * and its argument; returning non-zero stops with that exit status.
 * --help prints the usage and returns -1 (the caller exits 0). Returns
 * the index of the first operand, or -2 after a usage error (printed);
 * the operands are then argv[first..argc), in the order given.
 */
int cmd_parse(int argc, char **argv, const struct cmd_usage *u,
	      int (*fn)(void *data, int opt, const char *arg), void *data,
	      struct cmd_ctx *ctx);
void cmd_print_usage(FILE *f, const struct cmd_usage *u);
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
/* Parse option values; a bad value prints a usage error. */
int cmd_parse_count(struct cmd_ctx *ctx, const char *cmd, const char *opt,
		    const char *arg, long min, long max, long *out);
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
/*
 * The URL an option takes, given in argv (url, from --NAME URL) or
 * through the environment variable var names (--NAME-env VAR), so that
 * a password need not be in argv; *out is the one given, or NULL when
 * neither is (a variable alone never switches a mode on). Both given, a
 * var that is not a variable's name (never echoed: it may be a URL), or
 * a variable unset or empty, is a usage error (printed, EXIT_USAGE)
 * naming the option and the variable. opt is "--NAME".
 */
int cmd_url_or_env(struct cmd_ctx *ctx, const char *cmd, const char *opt,
		   const char *url, const char *var, const char **out);
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
 * Collect cmd's pytest node ids through the plugin (-p shard_pytest
 * --collect-only), whatever verbosity the project's addopts force; dir
 * holds the plugin's list while it is read.
 */
int cmd_collect_pytest(struct cmd_ctx *ctx, char **cmd, const char *share_dir,
		       const char *dir, struct testlist *list,
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
