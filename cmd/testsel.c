/*
 * Reading a test list for a command: from a file, standard input, or the
 * output of a collect command (run without a shell).
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/datadir.h"
#include "shard/runcmd.h"
#include "shard/strbuf.h"
#include "shard/strvec.h"
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

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* dir and rel into buf, when that names a directory; else NULL. */
static const char *dir_at(char *buf, size_t size, const char *dir,
			  const char *rel)
{
	if ((size_t)snprintf(buf, size, "%s%s", dir, rel) >= size)
		return NULL;
	return is_dir(buf) ? buf : NULL;
}

/*
 * Where shard_pytest.py is. The build tree's share/shard beside the
 * binary comes before the compiled-in data directory, so that a build
 * never runs the plugin of an older install; ../share/shard comes last,
 * for an installed tree not (yet) where it was configured to be (under
 * DESTDIR, or moved).
 */
const char *cmd_share_dir(struct cmd_ctx *ctx, char *buf, size_t size)
{
	const char *env = shard_getenv(&ctx->core, "SHARD_SHARE_DIR");
	char exe[2048];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = NULL;

	if (env && *env)
		return env;
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
	}
	if (slash && dir_at(buf, size, exe, "/share/shard"))
		return buf;
	if (is_dir(SHARD_DATADIR))
		return SHARD_DATADIR;
	if (slash && dir_at(buf, size, exe, "/../share/shard"))
		return buf;
	return NULL;
}

/* The plugin lists the collected node ids into a file of dir. */
int cmd_collect_pytest(struct cmd_ctx *ctx, char **cmd, const char *share_dir,
		       const char *dir, struct testlist *list,
		       struct shard_error *err)
{
	struct strvec argv, env;
	struct strbuf out = STRBUF_INIT, pp = STRBUF_INIT;
	const char *old = shard_getenv(&ctx->core, "PYTHONPATH");
	int status = 0, r, fd;

	strvec_init(&argv);
	strvec_init(&env);
	strvec_pushv(&argv, (const char *const *)cmd);
	strvec_push(&argv, "--collect-only");
	strvec_push(&argv, "-q");
	strvec_push(&argv, "-p");
	strvec_push(&argv, "shard_pytest");
	strvec_pushv(&env, (const char *const *)ctx->core.envp);
	strbuf_addf(&out, "%s/collected.txt", dir);
	strvec_setenv(&env, "SHARD_COLLECT_FILE", out.buf);
	strbuf_addstr(&pp, share_dir ? share_dir : ".");
	if (old && *old)
		strbuf_addf(&pp, ":%s", old);
	strvec_setenv(&env, "PYTHONPATH", pp.buf);
	r = runcmd_capture((const char *const *)argv.v, env.v, NULL, NULL,
			   &status, err);
	if (!r && status)
		r = shard_error_set(err, SHARD_EENV, "collecting with '%s' "
				    "failed (status %d)", cmd[0], status);
	if (!r && (fd = open(out.buf, O_RDONLY)) < 0)
		r = shard_error_set(err, SHARD_EENV, "%s: the pytest plugin "
				    "wrote no list (is shard_pytest on "
				    "PYTHONPATH?)", out.buf);
	else if (!r) {
		r = testlist_read_fd(list, fd, "collected list", &ctx->core,
				     err);
		close(fd);
	}
	unlink(out.buf);
	strvec_release(&argv);
	strvec_release(&env);
	strbuf_release(&out);
	strbuf_release(&pp);
	return r;
}
