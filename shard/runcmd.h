/*
 * Child processes (git's run-command): argv vectors, fork/execvp, never a
 * shell. The environment is the one the caller passes (cmd/ hands down
 * its envp snapshot). A command that cannot be started is reported as
 * SHARD_EENV with the reason from the child's failed execvp.
 */
#ifndef SHARD_RUNCMD_H
#define SHARD_RUNCMD_H

#include <stddef.h>

#include "error.h"

/* Receives stdout bytes as they arrive; non-zero stops (and is returned). */
typedef int (*runcmd_sink)(void *data, const char *buf, size_t len,
			   struct shard_error *err);

/*
 * Run argv[0] (PATH lookup) with envp (NULL-terminated; NULL = inherit),
 * stdin from /dev/null, stdout piped to sink, stderr inherited. On return
 * *status holds the exit code, or 128 + signal when killed. Returns 0 (the
 * command ran, whatever its status), SHARD_EENV if it could not be
 * started, or the sink's code (the child is then killed and reaped).
 */
int runcmd_capture(const char *const *argv, char *const *envp,
		   runcmd_sink sink, void *data, int *status,
		   struct shard_error *err);

#endif
