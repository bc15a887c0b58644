/*
 * Reading a test list for a command: from a file, standard input, or the
 * output of a collect command (run without a shell).
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "shard/runcmd.h"
#include "shard/banned.h"

static int collect_chunk(void *data, const char *buf, size_t len,
			 struct shard_error *err)
{
	return testlist_feed(data, buf, len, "collected list", err);
}

static int collect(struct cmd_ctx *ctx, char **cmdv, struct testlist *list,
		   struct shard_error *err)
{
	int status = 0;

	if (runcmd_capture((const char *const *)cmdv, ctx->core.envp,
			   collect_chunk, list, &status, err))
		return err->code;
	if (status)
		return shard_error_set(err, SHARD_EENV,
				       "collect command '%s' exited with "
				       "status %d", cmdv[0], status);
	return testlist_finish(list, "collected list", &ctx->core, err);
}

int cmd_read_tests(struct cmd_ctx *ctx, const char *path, char **collect_cmd,
		   struct testlist *list, struct shard_error *err)
{
	int fd, r;

	if (collect_cmd)
		return collect(ctx, collect_cmd, list, err);
	if (!strcmp(path, "-"))
		return testlist_read_fd(list, 0, "<stdin>", &ctx->core, err);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return shard_error_set(err, errno == ENOENT ? SHARD_EINPUT
							    : SHARD_EENV,
				       "%s: %s", path, strerror(errno));
	r = testlist_read_fd(list, fd, path, &ctx->core, err);
	close(fd);
	return r;
}
