/*
 * Reading a test list for a command: from a file, standard input, or the
 * output of a collect command (run without a shell). A collect command
 * runs in a process group of its own (runcmd.h); SIGINT, SIGTERM and
 * SIGHUP to shard while it runs end that group at once, and the command
 * then exits 128 + the signal (cmd_fail_list) once its temporary files
 * are gone. shard run catches them already; for shard plan they are
 * caught here while the collect command runs.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/datadir.h"
#include "shard/exec/runcmd.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"
#include "shard/util/banned.h"

volatile sig_atomic_t cmd_signal;

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (sizeof(stop_signals) / sizeof(*stop_signals))

struct stop_guard {
	struct sigaction old[NSTOP];
	int caught[NSTOP];
};

static void on_stop(int sig)
{
	cmd_signal = sig;
}

/* Catch the stop signals that nothing handles (nor ignores) yet. */
static void guard_begin(struct stop_guard *g)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSTOP; i++) {
		g->caught[i] = 0;
		if (sigaction(stop_signals[i], NULL, &g->old[i]) ||
		    g->old[i].sa_handler != SIG_DFL)
			continue;
		g->caught[i] = !sigaction(stop_signals[i], &sa, NULL);
	}
}

/* Put back what guard_begin replaced; a signal caught meanwhile fails r. */
static int guard_end(struct stop_guard *g, int r, char **cmd,
		     struct shard_error *err)
{
	for (size_t i = 0; i < NSTOP; i++)
		if (g->caught[i])
			sigaction(stop_signals[i], &g->old[i], NULL);
	if (!r && cmd_signal)
		r = shard_error_set(err, SHARD_EENV,
				    "'%s' was stopped by a "
				    "signal",
				    cmd[0]);
	return r;
}

int cmd_fail_list(struct cmd_ctx *ctx, const struct shard_error *err)
{
	int code = cmd_fail(ctx, err);

	return cmd_signal ? 128 + cmd_signal : code;
}

static int collect_chunk(void *data, const char *buf, size_t len,
			 struct shard_error *err)
{
	return testlist_feed(data, buf, len, "collected list", err);
}

static int collect(struct cmd_ctx *ctx, char **cmdv, struct testlist *list,
		   struct shard_error *err)
{
	struct stop_guard g;
	int status = 0, r;

	guard_begin(&g);
	r = runcmd_capture((const char *const *)cmdv, ctx->core.envp,
			   collect_chunk, list, &cmd_signal, &status, err);
	if ((r = guard_end(&g, r, cmdv, err)))
		return r;
	if (status)
		return shard_error_set(err, SHARD_EENV,
				       "collect command '%s' exited with "
				       "status %d",
				       cmdv[0], status);
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
		return shard_error_set(err,
				       errno == ENOENT ? SHARD_EINPUT
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
	struct stop_guard g;
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
	guard_begin(&g);
	r = runcmd_capture((const char *const *)argv.v, env.v, NULL, NULL,
			   &cmd_signal, &status, err);
	r = guard_end(&g, r, cmd, err);
	if (!r && status)
		r = shard_error_set(err, SHARD_EENV,
				    "collecting with '%s' "
				    "failed (status %d)",
				    cmd[0], status);
	if (!r && (fd = open(out.buf, O_RDONLY)) < 0)
		r = shard_error_set(err, SHARD_EENV,
				    "%s: the pytest plugin "
				    "wrote no list (is shard_pytest on "
				    "PYTHONPATH?)",
				    out.buf);
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
