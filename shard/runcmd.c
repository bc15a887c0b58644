/*
 * The child reports a failed execvp through a close-on-exec pipe, so the
 * parent can tell "could not start" (exit 3) from "ran and failed".
 */
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void child(const char *const *argv, char *const *envp, int out,
		  int report)
{
	int devnull = open("/dev/null", O_RDONLY);
	int e;

	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out, 1);
	if (envp)
		environ = (char **)envp;
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
		child(argv, envp, out[1], report[1]);
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
