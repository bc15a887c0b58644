/*
 * Runner adapters: how a shard's test ids reach the user's command
 * (docs/design.md "Argv templating"), as one or more invocations ("jobs"),
 * never through a shell, and how a runner lists its tests (--collect).
 * Each adapter is a struct runner_adapter (runner_impl.h) in a file of
 * its own (runner_NAME.c), registered in runner.c's table; `shard run
 * --help` and the README's runner table list them all.
 *
 *   generic  an argument "{}" becomes the ids, one argument each; "{@}"
 *            the path of a file listing them, one a line. One of the two
 *            is required. When the ids would pass the system's argument
 *            limit, "{}" is run in batches, each with its own report.
 *   pytest   the shard's files are appended (or replace "{}"); the
 *            plugin shipped in share/ (-p shard_pytest, on PYTHONPATH)
 *            deselects every collected item not in SHARD_TESTS_FILE, and
 *            --junitxml=<report> is added unless the command has one.
 *   go       one job per package: -run '^(TestA|TestB)$' <package>.
 *   jest     --runTestsByPath <files>, with jest-junit pointed at the
 *            report (JEST_JUNIT_OUTPUT_FILE) and told to write file
 *            attributes (JEST_JUNIT_ADD_FILE_ATTRIBUTE=true).
 *
 * In every adapter an argument containing "{junit}" has it replaced by
 * the job's report path (argv has no shell to expand $SHARD_JUNIT). Each
 * job's environment adds SHARD_INDEX, SHARD_TOTAL, SHARD_TESTS_FILE and
 * SHARD_JUNIT.
 *
 * No id, file or package reaches a runner as an option: each adapter's
 * guard makes a unit that begins with '-' an operand ("./" in front of a
 * file, say) or refuses it (runner.c's guard_generic and each adapter's
 * file say why).
 */
#ifndef SHARD_RUNNER_H
#define SHARD_RUNNER_H

#include <stddef.h>

#include "shard/exec/runcmd.h"
#include "shard/util/error.h"
#include "shard/util/strvec.h"

enum runner_kind {
	RUNNER_GENERIC,
	RUNNER_PYTEST,
	RUNNER_GO,
	RUNNER_JEST,
	RUNNER_KINDS /* how many */
};

/* A name ("generic", "pytest", ...) -> kind; -1 if unknown. */
int runner_parse(const char *name);
const char *runner_name(enum runner_kind kind);
/* "generic, pytest, ... or NAME": every adapter's name, for messages. */
const char *runner_names(void);
/* What kind passes to its runner: one line (for --help and docs). */
const char *runner_passes(enum runner_kind kind);

/*
 * Check cmd for kind: the generic runner needs "{}" or "{@}" (else
 * SHARD_EINPUT with a usage message).
 */
int runner_check(enum runner_kind kind, const char *const *cmd,
		 struct shard_error *err);

struct runner_request {
	enum runner_kind kind;
	const char *const *cmd; /* the user's command, NULL-terminated */
	const char *const *ids; /* the tests to run */
	size_t n;
	const char *dir;        /* where id files and reports go */
	const char *tag;        /* names this set of jobs' files */
	size_t index, total;    /* the shard */
	const char *share_dir;  /* where shard_pytest.py is */
	const char *pythonpath; /* the inherited PYTHONPATH, or NULL */
	size_t arg_room;        /* bytes argv may take (limit less env) */
};

/* One invocation: its argv, the variables it adds, its files. */
struct runner_job {
	struct strvec argv;
	struct strvec env; /* "NAME=value" to set */
	char *junit;       /* where its report is expected */
	char *tests_file;  /* its ids, one a line */
	char *output;      /* where its stdout goes; NULL: inherited */
	size_t n;          /* how many ids it covers */
	enum runner_kind kind;
};

/*
 * Make the jobs for rq (array owned by the caller: runner_jobs_free) and
 * write their id files. SHARD_EINPUT when an id cannot be passed at all
 * (not printable UTF-8: testlist_id_check; longer than one argument may
 * be; or one the runner would take as an option: see above), SHARD_EENV
 * on write errors.
 */
int runner_jobs(const struct runner_request *rq, struct runner_job **jobs,
		size_t *njobs, struct shard_error *err);
void runner_jobs_free(struct runner_job *jobs, size_t n);

/*
 * Run j: its report removed first, started with envp (NULL-terminated,
 * may be NULL) and j's variables set over it, then waited for as w says
 * (runcmd_wait: *status, *end); then the adapter's after-hook, if it has
 * one, makes the report from what the job wrote (cargo). SHARD_EENV when
 * it cannot be started or waited for.
 */
int runner_job_run(const struct runner_job *j, char *const *envp,
		   const struct runcmd_wait *w, int *status,
		   enum runcmd_end *end, struct shard_error *err);

/*
 * Listing (shard plan/run --collect --runner R -- CMD): an adapter that
 * lists its tests itself turns the user's command into one that lists
 * them, exactly as the runner will take them back, whatever the project's
 * configuration prints; the others read the output of a collect command.
 */
struct runner_list {
	enum runner_kind kind;
	const char *const *cmd; /* the user's command */
	const char *dir;        /* private: the listing's files go here */
	const char *share_dir;  /* where shard's runner plugins are */
	const char *pythonpath; /* the inherited PYTHONPATH, or NULL */
};

struct runner_listing {
	struct strvec argv;
	struct strvec env; /* "NAME=value" to set */
	char *file;        /* the list is written here; NULL: on stdout */
};

/* 1 if kind lists its tests from the run command itself. */
int runner_lists(enum runner_kind kind);

/* The listing command for rl (out released by runner_listing_release). */
int runner_list_command(const struct runner_list *rl,
			struct runner_listing *out, struct shard_error *err);
void runner_listing_release(struct runner_listing *l);

/* Receives one listed id (not NUL-terminated). */
typedef int (*runner_emit_fn)(void *data, const char *id, size_t len,
			      struct shard_error *err);

/*
 * Turn what the listing wrote (buf, named what in messages) into ids,
 * each given to emit in the runner's order. SHARD_EINPUT, with what and
 * a line, for output the adapter cannot read, or an id with a line break
 * (a list holds one id a line).
 */
int runner_list_parse(const struct runner_list *rl, const char *buf, size_t len,
		      const char *what, runner_emit_fn emit, void *data,
		      struct shard_error *err);

/* The PYTHONPATH envp sets (for runner_request), or NULL. */
const char *runner_pythonpath(char *const *envp);

/* Bytes one argument takes against the limit (string, NUL, pointer). */
size_t runner_arg_cost(const char *s);

#endif
