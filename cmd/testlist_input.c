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
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/datadir.h"
#include "shard/exec/runcmd.h"
#include "shard/exec/runner.h"
#include "shard/util/strbuf.h"
#include "shard/util/strvec.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

volatile sig_atomic_t cmd_signal;

/* The most a listing may print (ids of a very large suite fit). */
#define COLLECT_MAX (1024u * 1024 * 1024)

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
static int guard_end(struct stop_guard *g, int r, char *const *cmd,
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

/* The listing's stdout, held for the adapter to read. */
static int hold_chunk(void *data, const char *buf, size_t len,
		      struct shard_error *err)
{
	struct strbuf *sb = data;

	if (sb->len + len > COLLECT_MAX)
		return shard_error_set(err, SHARD_EINPUT,
				       "the listing's output passed %u MiB",
				       COLLECT_MAX >> 20);
	strbuf_add(sb, buf, len);
	return 0;
}

static int feed_id(void *data, const char *id, size_t len,
		   struct shard_error *err)
{
	struct testlist *list = data;
	int r = testlist_feed(list, id, len, "collected list", err);

	return r ? r : testlist_feed(list, "\n", 1, "collected list", err);
}

/* Run the listing; its list, from its file or stdout, into out. */
static int run_listing(struct cmd_ctx *ctx, const struct runner_listing *l,
		       const char *name, struct strbuf *out,
		       struct shard_error *err)
{
	struct strvec env;
	struct stop_guard g;
	int status = 0, r, fd;

	strvec_init(&env);
	strvec_pushv(&env, (const char *const *)ctx->core.envp);
	for (size_t i = 0; i < l->env.n; i++) {
		const char *eq = strchr(l->env.v[i], '=');
		char *var = xstrndup(l->env.v[i], (size_t)(eq - l->env.v[i]));

		strvec_setenv(&env, var, eq + 1);
		free(var);
	}
	guard_begin(&g);
	r = runcmd_capture((const char *const *)l->argv.v, env.v,
			   l->file ? NULL : hold_chunk, out, &cmd_signal,
			   &status, err);
	r = guard_end(&g, r, l->argv.v, err);
	strvec_release(&env);
	if (!r && status)
		r = shard_error_set(err, SHARD_EENV,
				    "listing the tests with '%s' failed "
				    "(status %d)",
				    name, status);
	if (r || !l->file)
		return r;
	if ((fd = open(l->file, O_RDONLY)) < 0)
		return shard_error_set(err, SHARD_EENV,
				       "%s: '%s' wrote no list of its tests",
				       l->file, name);
	r = read_fd_whole(fd, l->file, COLLECT_MAX, out, err);
	close(fd);
	return r;
}

int cmd_collect_runner(struct cmd_ctx *ctx, int kind, char **cmd,
		       const char *share_dir, const char *dir,
		       struct testlist *list, struct shard_error *err)
{
	struct runner_list rl = {
		.kind = kind,
		.cmd = (const char *const *)cmd,
		.dir = dir,
		.share_dir = share_dir,
		.pythonpath = shard_getenv(&ctx->core, "PYTHONPATH"),
	};
	struct runner_listing l;
	struct strbuf out = STRBUF_INIT, what = STRBUF_INIT;
	int r = runner_list_command(&rl, &l, err);

	if (!r)
		r = run_listing(ctx, &l, cmd[0], &out, err);
	if (l.file)
		strbuf_addstr(&what, l.file);
	else
		strbuf_addf(&what, "the output of '%s'", cmd[0]);
	if (!r)
		r = runner_list_parse(&rl, out.buf, out.len, what.buf, feed_id,
				      list, err);
	if (!r)
		r = testlist_finish(list, "collected list", &ctx->core, err);
	if (l.file)
		unlink(l.file);
	runner_listing_release(&l);
	strbuf_release(&out);
	strbuf_release(&what);
	return r;
}

int cmd_collect_tests(struct cmd_ctx *ctx, int kind, char **cmd,
		      const char *share_dir, struct testlist *list,
		      struct shard_error *err)
{
	const char *tmp = shard_getenv(&ctx->core, "TMPDIR");
	char dir[4096];
	int r;

	snprintf(dir, sizeof(dir), "%s/shard-list.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return shard_error_set(err, SHARD_EENV, "mkdtemp %s: %s", dir,
				       strerror(errno));
	r = cmd_collect_runner(ctx, kind, cmd, share_dir, dir, list, err);
	rmdir(dir);
	return r;
}
