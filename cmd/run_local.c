/*
 * shard run --local: every shard on this machine, -j at a time. The
 * databases are created first, one at a time (a template cannot be
 * copied twice at once); each shard then runs in a forked shard process
 * of its own (whose runner gets its own process group), with its output
 * in a log that is shown when the shard fails. The shards' reports are
 * merged into one, recorded once, and every database is dropped, also
 * after Ctrl-C (exit 130) or SIGTERM (143).
 */
#include "cmd/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "shard/junit/merge.h"
#include "shard/util/atomicfile.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

struct local_shard {
	pid_t pid;
	int state; /* 0 pending, 1 running, 2 done */
	int code;  /* its exit status */
	double started, ended;
	char report[4200], log[4200];
};

struct local {
	struct run_args *a;
	struct selection *sel;
	const char *dir;
	struct isolate iso;
	struct local_shard *sh;
	size_t running, done, tests_done, tests;
	double start, last_draw;
	int forwarded;
};

/*
 * A shard process stops (SIGTERM: its runner's group is killed, it exits)
 * when the parent dies, even by SIGKILL: the parent holds the databases'
 * lock (shard/exec/isolate.h), and no shard may run on once that is gone. The
 * parent is single-threaded, so the forking thread's end is the parent's.
 */
static void die_with_parent(pid_t parent)
{
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if (getppid() != parent)
		raise(SIGTERM);
}

/* The shard process: run shard i, exit with its status. */
static void shard_child(struct local *l, size_t i, pid_t parent)
{
	struct run_args *a = l->a;
	struct local_shard *s = &l->sh[i];
	struct shard_error err = SHARD_ERROR_INIT;
	struct shardrun_options o;
	struct shardrun_result res;
	struct strvec env;
	struct strbuf sub = STRBUF_INIT, props = STRBUF_INIT;
	int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int code;

	die_with_parent(parent);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	strbuf_addf(&sub, "%s/s%zu", l->dir, i);
	mkdir(sub.buf, 0700);
	strvec_init(&env);
	strvec_pushv(&env, (const char *const *)a->ctx->core.envp);
	if (l->iso.names)
		isolate_env(&l->iso, i, &env);
	run_shard_options(a, l->sel, i, sub.buf, &props, &o);
	o.run.envp = env.v;
	o.output = s->report;
	if (shardrun_run(&o, &a->ctx->core, &res, &err)) {
		fprintf(stderr, "shard: %s\n", err.msg); /* quoted */
		code = cmd_exit_status(err.code);
	} else {
		code = res.stopped ? 128 + cmd_signal : run_status(&res);
	}
	fflush(NULL);
	run_rmdir(sub.buf);
	strbuf_release(&props);
	_exit(code);
}

static int start_shard(struct local *l, size_t i)
{
	struct local_shard *s = &l->sh[i];
	pid_t parent = getpid();

	snprintf(s->report, sizeof(s->report), "%s/shard-%zu.xml", l->dir, i);
	snprintf(s->log, sizeof(s->log), "%s/shard-%zu.log", l->dir, i);
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0)
		shard_child(l, i, parent);
	s->state = 1;
	s->started = shard_now(&l->a->ctx->core);
	l->running++;
	return 0;
}

/* Seconds left by the plan: running shards finish, then the pending
 * ones are placed on the first free slot, in order. */
static double eta(const struct local *l, double now)
{
	size_t n = (size_t)l->a->jobs, k = 0;
	double *slot = xcalloc(n, sizeof(*slot)), end = now;

	for (size_t i = 0; i < n; i++)
		slot[i] = now;
	for (size_t i = 0; i < l->sel->nshards && k < n; i++) {
		const struct local_shard *s = &l->sh[i];
		double left = l->sel->shards[i].predicted - (now - s->started);

		if (s->state == 1)
			slot[k++] = now + (left > 0 ? left : 0);
	}
	for (size_t i = 0; i < l->sel->nshards; i++) {
		size_t m = 0;

		if (l->sh[i].state)
			continue;
		for (size_t j = 1; j < n; j++)
			m = slot[j] < slot[m] ? j : m;
		slot[m] += l->sel->shards[i].predicted;
	}
	for (size_t i = 0; i < n; i++)
		end = slot[i] > end ? slot[i] : end;
	free(slot);
	return end - now;
}

static void draw(struct local *l, int force)
{
	struct cmd_ctx *ctx = l->a->ctx;
	double now = shard_now(&ctx->core);

	if (!ctx->err_is_tty || l->a->quiet ||
	    (!force && now - l->last_draw < 0.25))
		return;
	l->last_draw = now;
	fprintf(ctx->err,
		"\r\033[Kshard run: %zu/%zu shards, %zu/%zu tests, "
		"%.0f s elapsed, ETA %.0f s",
		l->done, l->sel->nshards, l->tests_done, l->tests,
		now - l->start, eta(l, now));
	fflush(ctx->err);
}

/* The last lines of a failed shard's output. */
static void show_log(struct local *l, size_t i)
{
	FILE *f = fopen(l->sh[i].log, "r");
	char line[1024];
	/* clang-format 14 would write char(*x) */
	/* clang-format off */
	char (*ring)[1024] = xcalloc(40, sizeof(*ring));
	/* clang-format on */
	size_t n = 0;

	while (f && fgets(line, sizeof(line), f))
		memcpy(ring[n++ % 40], line, sizeof(line));
	if (f)
		fclose(f);
	fprintf(l->a->ctx->err,
		"--- shard %zu (exit %d), last lines of its "
		"output:\n",
		i, l->sh[i].code);
	for (size_t k = n > 40 ? n - 40 : 0; k < n; k++)
		fputs(ring[k % 40], l->a->ctx->err);
	free(ring);
}

static void finished(struct local *l, pid_t pid, int st)
{
	struct cmd_ctx *ctx = l->a->ctx;

	for (size_t i = 0; i < l->sel->nshards; i++) {
		struct local_shard *s = &l->sh[i];

		if (s->state != 1 || s->pid != pid)
			continue;
		s->state = 2;
		s->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		s->ended = shard_now(&ctx->core);
		l->running--;
		l->done++;
		l->tests_done += l->sel->shards[i].n;
		if (ctx->err_is_tty && !l->a->quiet)
			fputs("\r\033[K", ctx->err);
		if (!l->a->quiet)
			fprintf(ctx->err,
				"shard run: shard %zu done in %.1f s "
				"(predicted %.1f s), exit %d\n",
				i, s->ended - s->started,
				l->sel->shards[i].predicted, s->code);
		if (s->code && s->code < 128 && !cmd_signal)
			show_log(l, i);
		return;
	}
}

static void nap(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Run every shard, at most -j at once; forward a stop to the running. */
static int schedule(struct local *l)
{
	size_t next = 0, k = l->sel->nshards;

	while (l->done < k) {
		pid_t pid;
		int st;

		while (!cmd_signal && next < k &&
		       l->running < (size_t)l->a->jobs)
			if (start_shard(l, next++))
				return -1;
		if (cmd_signal && !l->forwarded) {
			for (size_t i = 0; i < k; i++)
				if (l->sh[i].state == 1)
					kill(l->sh[i].pid, SIGTERM);
			l->forwarded = 1;
		}
		if (cmd_signal && !l->running)
			break;
		pid = waitpid(-1, &st, WNOHANG);
		if (pid > 0)
			finished(l, pid, st);
		else
			nap();
		draw(l, 0);
	}
	return 0;
}

/*
 * The shards' reports into one (each is already checked against its
 * plan, and the partition check names a shard that left none); stats of
 * the merged whole.
 */
static int merge_reports(struct local *l, const char *out_path,
			 struct merge_stats *st, struct shard_error *err)
{
	size_t k = l->sel->nshards, n = 0;
	struct merge_input *in = xcalloc(k, sizeof(*in));
	struct merge_options mo = { 0 };
	struct partition_check pc;
	struct atomicfile out;
	int r;

	partition_check_init(&pc);
	mo.partition = &pc;
	for (size_t i = 0; i < k; i++) {
		if (access(l->sh[i].report, R_OK))
			continue;
		in[n].path = l->sh[i].report;
		in[n++].fd = -1;
	}
	r = atomicfile_open(&out, out_path, l->a->ctx->out, err);
	if (!r)
		r = merge_run(in, n, out.f, &mo, &l->a->ctx->core, st, err);
	if (!r)
		r = atomicfile_commit(&out, err);
	else if (out.f)
		atomicfile_abort(&out);
	fputs(pc.report.buf, l->a->ctx->err);
	partition_check_release(&pc);
	free(in);
	return r;
}

static int worst(int a, int b)
{
	return a > b ? a : b;
}

static void local_summary(struct local *l, const struct merge_stats *s)
{
	fprintf(l->a->ctx->err,
		"shard run: %zu shards, %llu tests, %llu "
		"passed, %llu failed, %llu errors, %llu skipped, %llu flaky, "
		"%llu missing in %.1f s (predicted %.1f s)\n",
		l->sel->nshards, (unsigned long long)s->tests,
		(unsigned long long)s->passed, (unsigned long long)s->failed,
		(unsigned long long)s->errors, (unsigned long long)s->skipped,
		(unsigned long long)s->flaky, (unsigned long long)s->missing,
		shard_now(&l->a->ctx->core) - l->start, l->sel->makespan);
}

static int create_all(struct local *l, struct shard_error *err)
{
	size_t k = l->sel->nshards, n = 0;
	size_t *which = xcalloc(k ? k : 1, sizeof(*which));
	int r;

	for (size_t i = 0; i < k; i++)
		if (l->sel->shards[i].n)
			which[n++] = i;
	r = run_isolate(l->a, &l->iso, k, which, n, err);
	free(which);
	return r;
}

int run_local(struct run_args *a, struct selection *sel, const char *dir)
{
	struct local l = { a, sel, dir, { 0 }, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct shard_error err = SHARD_ERROR_INIT, derr = SHARD_ERROR_INIT;
	struct merge_stats st = { 0 };
	struct strbuf merged = STRBUF_INIT;
	int status = EXIT_OK;

	l.start = shard_now(&a->ctx->core);
	l.sh = xcalloc(sel->nshards, sizeof(*l.sh));
	for (size_t i = 0; i < sel->nshards; i++)
		l.tests += sel->shards[i].n;
	if (create_all(&l, &err)) {
		status = cmd_fail(a->ctx, &err);
		goto out;
	}
	if (schedule(&l)) {
		shard_error_set(&err, SHARD_EENV, "fork: %s", strerror(errno));
		status = cmd_fail(a->ctx, &err);
		cmd_signal = SIGTERM;
		schedule(&l);
		goto out;
	}
	if (cmd_signal)
		goto out;
	for (size_t i = 0; i < sel->nshards; i++)
		status = worst(status, l.sh[i].code);
	strbuf_addf(&merged, "%s/junit.xml", dir);
	if (merge_reports(&l, a->output ? a->output : merged.buf, &st, &err)) {
		status = worst(status, cmd_fail(a->ctx, &err));
		goto out;
	}
	if (st.failed || st.errors || st.missing)
		status = worst(status, EXIT_FAILED);
	if (!a->output || strcmp(a->output, "-"))
		status = worst(status, run_record(a, a->output ? a->output
							       : merged.buf));
	local_summary(&l, &st);
out:
	if (l.iso.names && isolate_drop(&l.iso, &derr))
		status = worst(status, cmd_fail(a->ctx, &derr));
	isolate_release(&l.iso);
	free(l.sh);
	strbuf_release(&merged);
	return cmd_signal ? 128 + cmd_signal : status;
}
