/*
 * What shard plan and shard run share when they plan a list: the run's
 * identity, and the list planned against the history (opened so that a
 * run's plan can be pinned in it) with the note a user needs about where
 * a plan came from.
 */
#include "cmd/cmd.h"

#include <stdio.h>
#include <string.h>

#include "shard/ci.h"
#include "shard/plan/pin.h"
#include "shard/store/store.h"
#include "shard/util/banned.h"

int cmd_run_identity(struct cmd_ctx *ctx, const char *flag,
		     struct cmd_run_identity *out, struct shard_error *err)
{
	const char *v = shard_getenv(&ctx->core, "SHARD_RUN_ID");
	struct ci_info ci;

	memset(out, 0, sizeof(*out));
	if (!flag && v && *v)
		flag = v;
	if (flag) {
		snprintf(out->id, sizeof(out->id), "%s", flag);
		snprintf(out->base, sizeof(out->base), "%s", flag);
		return 0;
	}
	if (ci_detect(&ctx->core, &ci, err))
		return err->code;
	snprintf(out->id, sizeof(out->id), "%s", ci.run_id);
	snprintf(out->base, sizeof(out->base), "%s", ci.run_base);
	return 0;
}

/*
 * The history to plan from: with pin, for writing, created when missing;
 * else, or when it cannot be written (warned), read as it is. *st is
 * NULL when there is no history yet.
 */
static int open_history(struct cmd_ctx *ctx, const char *path, int pin,
			struct store **st, struct shard_error *err)
{
	struct store_options write = { 1, 0, 0 }, read = { 0, 0, 0 };
	struct shard_error e = SHARD_ERROR_INIT;

	if (!pin)
		return store_open(path, &read, st, err);
	if (!store_open(path, &write, st, &e))
		return 0;
	if (e.code != SHARD_EENV) {
		*err = e;
		return e.code;
	}
	if (store_open(path, &read, st, err))
		return err->code;
	shard_warn(&ctx->core,
		   "cannot write to the history (%s): this run's "
		   "plan is not pinned; if its shards plan from histories "
		   "that differ, merging their reports will refuse them",
		   e.msg);
	return 0;
}

int cmd_plan_list(struct cmd_ctx *ctx, const char *cmd, const char *path,
		  const struct pin_request *rq, int quiet, struct pin_plan *out,
		  struct shard_error *err)
{
	struct store *st = NULL;
	int r = open_history(ctx, path, rq->run != NULL, &st, err);

	if (!r)
		r = pin_plan_make(st, rq, out, &ctx->core, err);
	store_close(st);
	if (!r && out->pinned && !quiet)
		cmd_note(ctx,
			 "%s: run %s: the plan made earlier for this run and "
			 "list, pinned in the history",
			 cmd, rq->run);
	return r;
}
