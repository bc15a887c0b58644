/*
 * The child reports a failed execvp through a close-on-exec pipe, so the
 * parent can tell "could not start" (exit 3) from "ran and failed".
 */
#define _DEFAULT_SOURCE /* syscall: pidfd_open */
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "childenv.h"
#include "banned.h"

extern char **environ;

static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * In the child: stdin from /dev/null, stdout to out (-1: inherited), a
 * process group of its own when new_group, then exec; a failed exec
 * reports errno through the close-on-exec pipe.
 */
static void child(const char *const *argv, char *const *envp, int out,
		  int report, int new_group)
{
	int devnull = open("/dev/null", O_RDONLY);
	int e;

	if (new_group) {
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
	}
	if (devnull >= 0)
		dup2(devnull, 0);
	if (out >= 0)
		dup2(out, 1);
	if (envp)
		environ = (char **)envp;
	/* this child's copy of the array: shard's secrets stay with shard */
	childenv_scrub(environ);
	execvp(argv[0], (char *const *)argv);
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int wait_child(pid_t pid, int *status)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

static int pump(int fd, runcmd_sink sink, void *data, struct shard_error *err)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (sink && sink(data, buf, (size_t)n, err))
			return err && err->code ? err->code : SHARD_EINPUT;
	}
}

int runcmd_capture(const char *const *argv, char *const *envp,
		   runcmd_sink sink, void *data, int *status,
		   struct shard_error *err)
{
	int out[2], report[2], e = 0, r;
	pid_t pid;

	if (cloexec_pipe(out) < 0 || cloexec_pipe(report) < 0)
		return shard_error_set(err, SHARD_EENV, "pipe: %s",
				       strerror(errno));
	pid = fork();
	if (pid < 0)
		return shard_error_set(err, SHARD_EENV, "fork: %s",
				       strerror(errno));
	if (pid == 0)
		child(argv, envp, out[1], report[1], 0);
	close(out[1]);
	close(report[1]);
	if (read(report[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		close(report[0]);
		close(out[0]);
		wait_child(pid, status);
		return shard_error_set(err, SHARD_EENV, "cannot run '%s': %s",
				       argv[0], strerror(e));
	}
	close(report[0]);
	r = pump(out[0], sink, data, err);
	if (r)
		kill(pid, SIGKILL);
	close(out[0]);
	wait_child(pid, status);
	return r;
}

int runcmd_start(struct runcmd *c, struct shard_error *err)
{
	int report[2], e = 0, status;

	if (cloexec_pipe(report) < 0)
		return shard_error_set(err, SHARD_EENV, "pipe: %s",
				       strerror(errno));
	c->pid = fork();
	if (c->pid < 0) {
		close(report[0]);
		close(report[1]);
		return shard_error_set(err, SHARD_EENV, "fork: %s",
				       strerror(errno));
	}
	if (c->pid == 0)
		child(c->argv, c->envp, -1, report[1], 1);
	setpgid(c->pid, c->pid); /* also here: no race with an early kill */
	close(report[1]);
	if (read(report[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		close(report[0]);
		wait_child(c->pid, &status);
		c->pid = 0;
		return shard_error_set(err, SHARD_EENV, "cannot run '%s': %s",
				       c->argv[0], strerror(e));
	}
	close(report[0]);
	return 0;
}

static int wait_child_raw(pid_t pid, int *st)
{
	while (waitpid(pid, st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

#define TICK_MS 20

/*
 * Wait one tick, or less when the child exits: a pidfd (Linux 5.3) is
 * readable at its exit, so a batch's end is seen at once rather than up
 * to a tick late (a queue worker runs many batches). Without pidfds, a
 * plain tick.
 */
static void nap(int pidfd)
{
	struct timespec ts = { 0, TICK_MS * 1000 * 1000 };
	struct pollfd p = { pidfd, POLLIN, 0 };

	if (pidfd < 0 || poll(&p, 1, TICK_MS) < 0)
		nanosleep(&ts, NULL);
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

int runcmd_wait(struct runcmd *c, const struct runcmd_wait *w, int *status,
		enum runcmd_end *end, struct shard_error *err)
{
	double kill_at = 0;
	int st, pidfd = open_pidfd(c->pid);

	*end = RUNCMD_EXITED;
	for (;;) {
		siginfo_t info;
		double now;

		/* WNOWAIT: the leader stays a zombie, so its group id cannot
		 * be reused while we kill what it left behind */
		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, (id_t)c->pid, &info,
			   WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR) {
			if (pidfd >= 0)
				close(pidfd);
			return shard_error_set(err, SHARD_EENV, "waitid: %s",
					       strerror(errno));
		}
		if (info.si_pid == c->pid)
			break;
		now = w->clock(w->data);
		if (w->tick)
			w->tick(w->tick_data, now);
		if (!kill_at && ((w->stop && *w->stop) ||
				 (w->deadline > 0 && now >= w->deadline))) {
			*end = w->stop && *w->stop ? RUNCMD_STOPPED
						   : RUNCMD_TIMED_OUT;
			kill(-c->pid, SIGTERM);
			kill_at = now + w->grace;
		} else if (kill_at && now >= kill_at) {
			kill(-c->pid, SIGKILL);
			kill_at = now + 3600;
		}
		nap(pidfd);
	}
	if (pidfd >= 0)
		close(pidfd);
	kill(-c->pid, SIGKILL);
	if (wait_child_raw(c->pid, &st) < 0)
		return shard_error_set(err, SHARD_EENV, "waitpid: %s",
				       strerror(errno));
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->pid = 0;
	return 0;
}
