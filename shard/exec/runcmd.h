/*
 * Child processes (git's run-command): argv vectors, fork/execvp, never a
 * shell. The environment is the one the caller passes (cmd/ hands down
 * its envp snapshot), less shard's own secrets (shard/exec/childenv.h). A
 * command that cannot be started is reported as SHARD_EENV with the
 * reason from the child's failed execvp.
 *
 * Every command runs in a process group of its own, watched by a small
 * process that kills the whole group when shard dies without doing so
 * itself (SIGKILL included): see runcmd.c. A command inherits
 * descriptors 0 (/dev/null), 1 and 2 only.
 */
#ifndef SHARD_RUNCMD_H
#define SHARD_RUNCMD_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "shard/util/error.h"

/* Receives stdout bytes as they arrive; non-zero stops (and is returned). */
typedef int (*runcmd_sink)(void *data, const char *buf, size_t len,
			   struct shard_error *err);

/*
 * Run argv[0] (PATH lookup) with envp (NULL-terminated; NULL = inherit)
 * in a process group of its own, stdin from /dev/null, stdout piped to
 * sink, stderr inherited. On return *status holds the exit code, or
 * 128 + signal when killed. Returns 0 (the command ran, whatever its
 * status), SHARD_EENV if it could not be started or *stop (may be NULL)
 * became non-zero (its group is then sent TERM, and KILL a second
 * later), or the sink's code (the group is then killed). In every case
 * no process of the group is left when it returns.
 */
int runcmd_capture(const char *const *argv, char *const *envp, runcmd_sink sink,
		   void *data, const volatile sig_atomic_t *stop, int *status,
		   struct shard_error *err);

/* A child started in its own process group, to be waited for with a
 * deadline and a stop flag. */
struct runcmd {
	const char *const *argv;
	char *const *envp; /* NULL-terminated; NULL = inherit */
	pid_t pid;         /* set by runcmd_start; also the group */
	pid_t watcher;     /* set by runcmd_start: kills the group */
	int watch_fd;      /* if shard dies (runcmd.c) */
};

/*
 * Start c->argv[0] (PATH lookup) in a new process group, stdin from
 * /dev/null, stdout and stderr inherited, and its watcher. SHARD_EENV
 * when it cannot be started (with execvp's reason). Once started, c must
 * be waited for with runcmd_wait.
 */
int runcmd_start(struct runcmd *c, struct shard_error *err);
/* runcmd_start with the child's stdout on out (-1: inherited). */
int runcmd_start_to(struct runcmd *c, int out, struct shard_error *err);

enum runcmd_end {
	RUNCMD_EXITED,    /* on its own */
	RUNCMD_TIMED_OUT, /* the deadline passed: group killed */
	RUNCMD_STOPPED,   /* *stop became non-zero: group killed */
};

struct runcmd_wait {
	double deadline;                   /* clock() value; 0 = none */
	double grace;                      /* seconds between TERM and KILL */
	const volatile sig_atomic_t *stop; /* may be NULL */
	double (*clock)(void *data);       /* seconds */
	void *data;
	/* called at every poll (about 50 times a second), may be NULL */
	void (*tick)(void *tick_data, double now);
	void *tick_data;
};

/*
 * Wait for c. When the deadline passes or *stop is set, send TERM to its
 * whole group, then KILL after the grace period, and reap it. *status is
 * the exit code, or 128 + signal. Returns 0, or SHARD_EENV if waiting
 * failed. Once it returns, no process of the group is left running
 * (the group is killed after the leader exits, too) and the watcher has
 * been told and reaped.
 */
int runcmd_wait(struct runcmd *c, const struct runcmd_wait *w, int *status,
		enum runcmd_end *end, struct shard_error *err);

#endif
