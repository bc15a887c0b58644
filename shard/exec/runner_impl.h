/*
 * What a runner adapter is made of (runner.h says what adapters do): the
 * core in runner.c turns a shard's ids into units, checks and packs them
 * into jobs; an adapter says what a unit is, keeps units from being read
 * as options, adds its own arguments and variables, and lists tests.
 * Only runner.c and the runner_NAME.c files include this header.
 */
#ifndef SHARD_RUNNER_IMPL_H
#define SHARD_RUNNER_IMPL_H

#include <stddef.h>

#include "shard/exec/runner.h"
#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"

/* One argument (an id, a file, a package) and the ids it stands for. */
struct runner_unit {
	char *arg;
	struct strvec ids;
};

enum runner_units {
	RUNNER_UNIT_ID,      /* each id is an argument */
	RUNNER_UNIT_FILE,    /* the ids' files (identity_file_len) */
	RUNNER_UNIT_PACKAGE, /* as files, one job each */
};

struct runner_adapter {
	const char *name;
	const char *passes; /* what reaches the runner, one line */
	enum runner_units units;
	/*
	 * Make u an operand: rewrite u->arg (runner_unit_dot_slash) or
	 * refuse it with SHARD_EINPUT. Called for every unit; NULL: every
	 * unit is safe as it is.
	 */
	int (*guard)(const struct runner_request *rq, struct runner_unit *u,
		     struct shard_error *err);
	/*
	 * Add the adapter's arguments and variables to j for units u[0..n)
	 * once the user's command is in j->argv ("{}" expanded there when
	 * *placed is 1). Units not placed are appended after it returns,
	 * unless it sets *placed. NULL: nothing to add.
	 */
	void (*adapt)(const struct runner_request *rq, struct runner_job *j,
		      const struct runner_unit *u, size_t n, int *placed);
	/* The listing command (runner.h); NULL: a collect command lists. */
	int (*list_command)(const struct runner_list *rl,
			    struct runner_listing *out,
			    struct shard_error *err);
	/* What the listing wrote -> ids; NULL: one id a line. */
	int (*list_parse)(const struct runner_list *rl, const char *buf,
			  size_t len, const char *what, runner_emit_fn emit,
			  void *data, struct shard_error *err);
	/* Set when the job's stdout must go to j->output (for after). */
	int wants_output;
	/*
	 * After j ended (status: its exit code or 128 + signal): make its
	 * report from what it wrote. NULL: the runner writes the report.
	 */
	int (*after)(const struct runner_job *j, int status,
		     struct shard_error *err);
};

extern const struct runner_adapter runner_generic;
extern const struct runner_adapter runner_pytest;
extern const struct runner_adapter runner_go;
extern const struct runner_adapter runner_jest;

/* 1 if cmd has the argument arg. */
int runner_has_arg(const char *const *cmd, const char *arg);
/* Put "./" in front of u's argument (a file read as an option else). */
void runner_unit_dot_slash(struct runner_unit *u);
/* SHARD_EINPUT: "<what> '<arg, quoted>'<why>" (why: " begins with..."). */
int runner_refuse(struct shard_error *err, const char *what, const char *arg,
		  const char *why);
/* Listing: argv is cmd then the arguments given, NULL-terminated. */
void runner_listing_from(struct runner_listing *out, const char *const *cmd);
/* emit each line of buf that is not blank (trailing "\r" dropped). */
int runner_parse_lines(const char *buf, size_t len, const char *what,
		       runner_emit_fn emit, void *data,
		       struct shard_error *err);

#endif
