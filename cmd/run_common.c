/*
 * What shard run's three ways of running share (cmd/run.c: one shard;
 * cmd/run_local.c: every shard here; cmd/run_queue.c: a queue worker):
 * the test list, a shard's options, isolation, recording into history,
 * exit statuses. They call this file; it calls none of them.
 */
#include "cmd/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/store/ingest.h"
#include "shard/store/store.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

int run_read_list(struct run_args *a, const char *dir, struct testlist *list,
		  struct shard_error *err)
{
	return a->collect && !a->collect_cmd
		       ? cmd_collect_runner(a->ctx, a->runner, a->cmd,
					    a->share_dir, dir, list, err)
		       : cmd_read_tests(a->ctx, a->tests, a->collect_cmd, list,
					err);
}

void run_command(const struct run_args *a, const char *dir,
		 struct batchrun_command *c)
{
	memset(c, 0, sizeof(*c));
	c->runner = a->runner;
	c->cmd = (const char *const *)a->cmd;
	c->dir = dir;
	c->share_dir = a->share_dir;
	c->envp = a->ctx->core.envp;
	c->grace = a->grace;
	c->stop = &cmd_signal;
	c->arg_room = (size_t)sysconf(_SC_ARG_MAX);
	for (char *const *e = a->ctx->core.envp; e && *e; e++)
		c->arg_room -= runner_arg_cost(*e) < c->arg_room
				       ? runner_arg_cost(*e)
				       : 0;
	c->arg_room -= 8192; /* the variables shard adds */
}

void run_shard_options(const struct run_args *a, struct selection *sel,
		       size_t i, const char *dir, struct strbuf *props,
		       struct shardrun_options *o)
{
	struct partition_shard ps = {
		&sel->order,  sel->plan_hash,       a->run_base,      i,
		sel->nshards, sel->shards[i].tests, sel->shards[i].n,
	};

	memset(o, 0, sizeof(*o));
	run_command(a, dir, &o->run);
	strbuf_reset(props);
	partition_write_properties(props, &ps);
	o->props = props->buf;
	o->ids = sel->shards[i].ids;
	o->n = sel->shards[i].n;
	o->run.index = i;
	o->run.total = sel->nshards;
	o->predicted = sel->shards[i].predicted;
	o->run_id = a->run_id;
	o->host = a->host;
	o->attempt = a->attempt;
	o->timeout = a->timeout;
	o->retries = a->retries;
	o->std_out = a->ctx->out;
}

int run_isolate(const struct run_args *a, struct isolate *iso, size_t nshards,
		const size_t *which, size_t n, struct shard_error *err)
{
	struct isolate_owner who = {
		a->run_id,
		a->host,
		(long)getpid(),
		shard_now(&a->ctx->core),
	};
	const char *url = a->isolate_db ? a->isolate_db : a->isolate_schema;

	if (!url)
		return 0;
	if (isolate_init(iso, a->isolate_db ? ISOLATE_DB : ISOLATE_SCHEMA, url,
			 &who, nshards, err))
		return err->code;
	return isolate_create(iso, which, n, err);
}

int run_record(const struct run_args *a, const char *report)
{
	struct shard_error err = SHARD_ERROR_INIT;
	struct store_options so = { 1, 0, 0 };
	struct ingest_options io = { 0 };
	struct ingest_stats stats;
	struct store *st = NULL;
	int fd, r;

	if (!a->record)
		return 0;
	io.run_key = a->run_id;
	fd = open(report, O_RDONLY);
	if (fd < 0) {
		shard_error_set(&err, SHARD_EENV, "%s: %s", report,
				strerror(errno));
		return cmd_fail(a->ctx, &err);
	}
	r = store_open(cmd_history_path(a->ctx, a->history), &so, &st, &err);
	if (!r)
		r = ingest_fd(st, fd, report, NULL, &io, &a->ctx->core, &stats,
			      &err);
	close(fd);
	store_close(st);
	return r ? cmd_fail(a->ctx, &err) : 0;
}

int run_status(const struct shardrun_result *res)
{
	const struct merge_stats *s = &res->stats;

	if (res->stopped)
		return 0; /* the caller exits 128 + signal */
	if (s->failed || s->errors || s->missing || res->timed_out ||
	    res->status)
		return EXIT_FAILED;
	return EXIT_OK;
}

void run_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct strbuf p = STRBUF_INIT;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir, e->d_name);
		unlink(p.buf);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	strbuf_release(&p);
}
