/*
 * The child reports a failed execvp through a close-on-exec pipe, so the
 * parent can tell "could not start" (exit 3) from "ran and failed".
 *
 * Every command runs in a process group of its own, so that a timeout or
 * a stop reaches all it started, grandchildren included. shard kills that
 * group itself whenever it ends normally. For when it cannot (SIGKILL,
 * a crash, the OOM killer), each command gets a watcher: a small process
 * forked first, holding one end of a socket pair (a pipe that cannot
 * raise SIGPIPE: MSG_NOSIGNAL) whose other end only shard holds
 * (close-on-exec: the command never inherits it). The command's
 * child writes its pid, which is its group, into that pipe before exec;
 * once shard has killed the group and before it reaps the leader, it
 * writes one byte, "done", and the watcher exits. End of file without
 * "done" means shard is gone: the watcher sends TERM to the group, waits
 * up to ORPHAN_GRACE_TICKS for it to empty, sends KILL to what is left,
 * and exits. PR_SET_PDEATHSIG would reach only the direct child, and it
 * fires when the forking thread ends rather than the process; a pipe's
 * end of file comes with any death of shard, and the group reaches every
 * process the command started (unless one leaves the group on purpose,
 * as a daemon does with setsid). The watcher must outlive shard, so it
 * gets no death signal itself.
 *
 * One watcher per command, not one per shard process: it lives exactly
 * as long as the group it guards, needs no protocol beyond a pid and a
 * byte, and shard's process tree stays a tree of its own children.
 *
 * The watcher is in a session of its own (a signal to shard's group or
 * the command's does not reach it), ignores the signals that stop shard,
 * and keeps no descriptor but its socket (a reader of shard's output must
 * not wait for the watcher too).
 *
 * Reuse of the group id: while shard lives, the leader stays unreaped
 * (a zombie at worst) until the group is killed and the watcher told,
 * so the id cannot be reused under it. After shard died, the kernel
 * keeps the id while any member lives; the watcher signals at once on
 * end of file and sends KILL only while the group exists, so hitting a
 * new group would need pids to wrap around within the grace period.
 *
 * Descriptors: the command gets 0 (/dev/null), 1 and 2, and nothing
 * else: every other descriptor, whoever opened it, is marked
 * close-on-exec in the child before exec (as Python's subprocess does by
 * default), so no database socket, history file or pipe of shard's
 * reaches a runner.
 */
#define _DEFAULT_SOURCE /* syscall: pidfd_open, close_range */
#include "shard/exec/runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shard/exec/childenv.h"
#include "shard/util/banned.h"

extern char **environ;

#define TICK_MS 20
/* after shard died: TERM, then KILL 5 s later to what is left */
#define ORPHAN_GRACE_TICKS 250
/* a stopped collect command: TERM, then KILL 1 s later */
#define CAPTURE_GRACE 1.0
#define DONE 'd'

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static void tick(void)
{
	struct timespec ts = { 0, TICK_MS * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Descriptors from..max close-on-exec (or closed, when close is set). */
static void fds_from(int from, int close_them)
{
	long max = sysconf(_SC_OPEN_MAX);

#ifdef SYS_close_range
	if (!syscall(SYS_close_range, (unsigned)from, ~0U,
		     close_them ? 0U : CLOSE_RANGE_CLOEXEC))
		return;
#endif
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = from; fd < max; fd++)
		if (close_them)
			close(fd);
		else
			fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* fd onto target, inherited across exec (dup2 clears close-on-exec; a
 * descriptor already in place keeps it, so clear it by hand). */
static void move_fd(int fd, int target)
{
	if (fd == target)
		fcntl(fd, F_SETFD, 0);
	else
		dup2(fd, target);
}

/* Tell the watcher (a dead one must not raise SIGPIPE here). */
static void tell(int fd, const void *buf, size_t len)
{
	while (send(fd, buf, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The watcher (see the top of this file). Never returns. */
static void watcher(int in)
{
	static const int ignored[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
				       SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	pid_t group = 0;
	char done = 0;

	setsid();
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		signal(ignored[i], SIG_IGN);
	move_fd(in, 0);
	fds_from(1, 1);
	if (read_full(0, &group, sizeof(group)) != (ssize_t)sizeof(group) ||
	    group <= 1)
		_exit(0);
	if (read_full(0, &done, 1) == 1)
		_exit(0);
	kill(-group, SIGTERM);
	for (int i = 0; i < ORPHAN_GRACE_TICKS && !kill(-group, 0); i++)
		tick();
	if (!kill(-group, 0))
		kill(-group, SIGKILL);
	_exit(0);
}

/*
 * In the child: a process group of its own, its pid to the watcher,
 * stdin from /dev/null, stdout to out (-1: inherited), no descriptor
 * beyond 0, 1 and 2, then exec; a failed exec reports errno through the
 * close-on-exec pipe.
 */
static void child(const struct runcmd *c, int out, int report)
{
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t self = getpid();
	int e;

	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	tell(c->watch_fd, &self, sizeof(self));
	if (devnull >= 0)
		move_fd(devnull, 0);
	if (out >= 0)
		move_fd(out, 1);
	fds_from(3, 0);
	if (c->envp)
		environ = (char **)c->envp;
	/* this child's copy of the array: shard's secrets stay with shard */
	childenv_scrub(environ);
	execvp(c->argv[0], (char *const *)c->argv);
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int wait_raw(pid_t pid, int *st)
{
	while (waitpid(pid, st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* The group is dead: tell the watcher, and reap it. */
static void watcher_done(struct runcmd *c)
{
	char done = DONE;
	int st;

	if (c->watch_fd >= 0) {
		tell(c->watch_fd, &done, 1);
		close(c->watch_fd);
	}
	if (c->watcher > 0)
		wait_raw(c->watcher, &st);
	c->watch_fd = -1;
	c->watcher = 0;
}

static int start_watcher(struct runcmd *c, struct shard_error *err)
{
	int w[2];

	c->watch_fd = -1;
	c->watcher = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, w) < 0)
		return shard_error_set(err, SHARD_EENV, "socketpair: %s",
				       strerror(errno));
	fcntl(w[0], F_SETFD, FD_CLOEXEC);
	fcntl(w[1], F_SETFD, FD_CLOEXEC);
	c->watcher = fork();
	if (c->watcher < 0) {
		close(w[0]);
		close(w[1]);
		c->watcher = 0;
		return shard_error_set(err, SHARD_EENV, "fork: %s",
				       strerror(errno));
	}
	if (c->watcher == 0) {
		close(w[1]);
		watcher(w[0]);
	}
	close(w[0]);
	c->watch_fd = w[1];
	return 0;
}

/* Start c with its stdout on out (-1: inherited), its watcher first. */
static int start(struct runcmd *c, int out, struct shard_error *err)
{
	int report[2], e = 0, st;

	if (start_watcher(c, err))
		return err->code;
	if (cloexec_pipe(report) < 0) {
		watcher_done(c);
		return shard_error_set(err, SHARD_EENV, "pipe: %s",
				       strerror(errno));
	}
	c->pid = fork();
	if (c->pid < 0) {
		close(report[0]);
		close(report[1]);
		c->pid = 0;
		watcher_done(c);
		return shard_error_set(err, SHARD_EENV, "fork: %s",
				       strerror(errno));
	}
	if (c->pid == 0)
		child(c, out, report[1]);
	setpgid(c->pid, c->pid); /* also here: no race with an early kill */
	close(report[1]);
	if (read_full(report[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		close(report[0]);
		wait_raw(c->pid, &st);
		c->pid = 0;
		watcher_done(c);
		return shard_error_set(err, SHARD_EENV, "cannot run '%s': %s",
				       c->argv[0], strerror(e));
	}
	close(report[0]);
	return 0;
}

int runcmd_start(struct runcmd *c, struct shard_error *err)
{
	return start(c, -1, err);
}

int runcmd_start_to(struct runcmd *c, int out, struct shard_error *err)
{
	return start(c, out, err);
}

/*
 * Wait one tick, or less when the child exits: a pidfd (Linux 5.3) is
 * readable at its exit, so a batch's end is seen at once rather than up
 * to a tick late (a queue worker runs many batches). Without pidfds, a
 * plain tick.
 */
static void nap(int pidfd)
{
	struct pollfd p = { pidfd, POLLIN, 0 };

	if (pidfd < 0 || poll(&p, 1, TICK_MS) < 0)
		tick();
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
	int st, r = 0, pidfd = open_pidfd(c->pid);

	*end = RUNCMD_EXITED;
	for (;;) {
		siginfo_t info;
		double now;

		/* WNOWAIT: the leader stays a zombie, so its group id cannot
		 * be reused while we kill what it left behind */
		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, (id_t)c->pid, &info,
			   WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR) {
			r = shard_error_set(err, SHARD_EENV, "waitid: %s",
					    strerror(errno));
			break;
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
	watcher_done(c);
	if (wait_raw(c->pid, &st) < 0 && !r)
		r = shard_error_set(err, SHARD_EENV, "waitpid: %s",
				    strerror(errno));
	if (!r)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->pid = 0;
	return r;
}

/* Stdout to sink until end of file, a sink's error or *stop. */
static int pump(int fd, runcmd_sink sink, void *data,
		const volatile sig_atomic_t *stop, struct shard_error *err)
{
	char buf[65536];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (stop && *stop)
			return 1;
		if (poll(&p, 1, TICK_MS) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return 0;
		if (sink && sink(data, buf, (size_t)n, err))
			return err && err->code ? err->code : SHARD_EINPUT;
	}
}

static double monotonic(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int runcmd_capture(const char *const *argv, char *const *envp, runcmd_sink sink,
		   void *data, const volatile sig_atomic_t *stop, int *status,
		   struct shard_error *err)
{
	struct runcmd c = { argv, envp, 0, 0, -1 };
	static const volatile sig_atomic_t now = 1;
	struct runcmd_wait w = { 0,    CAPTURE_GRACE, stop, monotonic,
				 NULL, NULL,          NULL };
	struct shard_error werr = SHARD_ERROR_INIT;
	enum runcmd_end end;
	int out[2], r;

	if (cloexec_pipe(out) < 0)
		return shard_error_set(err, SHARD_EENV, "pipe: %s",
				       strerror(errno));
	r = start(&c, out[1], err);
	close(out[1]);
	if (r) {
		close(out[0]);
		return r;
	}
	r = pump(out[0], sink, data, stop, err);
	close(out[0]);
	if (r > 0) /* stopped: the wait below ends the group */
		r = 0;
	else if (r)
		w.stop = &now;
	if (runcmd_wait(&c, &w, status, &end, &werr) && !r)
		r = shard_error_set(err, werr.code, "%s", werr.msg);
	if (!r && end == RUNCMD_STOPPED)
		r = shard_error_set(err, SHARD_EENV,
				    "'%s' was stopped by a "
				    "signal",
				    argv[0]);
	return r;
}
