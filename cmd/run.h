/*
 * shard run. cmd/run.c (options, the selection of tests, one shard)
 * calls cmd/run_local.c (--local: every shard on this machine) and
 * cmd/run_queue.c (--queue: a queue worker); all three call what they
 * share, in cmd/run_common.c, which calls none of them.
 */
#ifndef SHARD_CMD_RUN_H
#define SHARD_CMD_RUN_H

#include "cmd/cmd.h"
#include "shard/exec/isolate.h"
#include "shard/exec/shardrun.h"
#include "shard/plan/selection.h"
#include "shard/plan/weigh.h"
#include "shard/testlist.h"

#define RUN_CMD "shard run"

struct run_args {
	struct cmd_ctx *ctx;
	const char *tests, *plan, *history, *output, *run_id, *by;
	const char *isolate_db, *isolate_schema;
	const char *queue; /* --queue URL */
	/* the -env forms: names of variables holding those URLs */
	const char *isolate_db_env, *isolate_schema_env, *queue_env;
	double lease, heartbeat, min_batch;
	long workers;
	int collect, local, quiet;
	int record; /* 1 record, 0 not, -1 the default */
	int runner; /* enum runner_kind */
	long index, shards, jobs, retries;
	double timeout, grace;
	char **cmd;         /* after "--" */
	char **collect_cmd; /* --collect: before a second "--" */
	char host[256];
	char run_buf[256];
	int run_id_generated; /* no flag, variable or CI gave one */
	const char *pin_run;  /* the run without its attempt, when one
				      was given: plans are pinned by it */
	const char *run_base; /* what reports name as their run: the
				      pinned run, or --local's own */
	char base_buf[256];
	long attempt;
	const char *share_dir;
};

/* cmd/run_common.c */

/* The test list of --tests or --collect (pytest's plugin or a command). */
int run_read_list(struct run_args *a, const char *dir, struct testlist *list,
		  struct shard_error *err);

/*
 * The command that runs the tests, in dir, as every job of a shard or a
 * queue worker starts it (index and total are the caller's); arg_room
 * leaves room for the environment and the variables shard adds.
 */
void run_command(const struct run_args *a, const char *dir,
		 struct batchrun_command *c);

/*
 * The options of shardrun_run for shard i, without output and env. props
 * gets the shard's partition properties, which o points into.
 */
void run_shard_options(const struct run_args *a, struct selection *sel,
		       size_t i, const char *dir, struct strbuf *props,
		       struct shardrun_options *o);
/* Create the isolation of the given shards (none without the flags). */
int run_isolate(const struct run_args *a, struct isolate *iso, size_t nshards,
		const size_t *which, size_t n, struct shard_error *err);
/* Record a report into history unless --no-record. */
int run_record(const struct run_args *a, const char *report);
/* Exit status of a shard's outcome (docs/design.md's table). */
int run_status(const struct shardrun_result *res);
/* Remove a scratch directory and what is in it (one level). */
void run_rmdir(const char *dir);
/* cmd/run_local.c: every shard, -j at a time, their reports merged. */
int run_local(struct run_args *a, struct selection *sel, const char *dir);
/* cmd/run_queue.c: pull batches from a PostgreSQL queue until it is
 * drained. */
int run_queue(struct run_args *a, const char *dir);

#endif
