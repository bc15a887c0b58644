/*
 * Output files (every -o), by what the path names:
 *
 * - "-": standard output, written directly.
 * - A regular file, or nothing yet: written whole or not at all
 *   (docs/design.md): a temporary file beside the target, renamed over
 *   it on commit, removed on abort. No fsync: the promise is that a
 *   failed or interrupted shard never leaves a partial file, not
 *   durability across a power cut (it cost 0.4 s on a 50 MB plan).
 * - A symbolic link: followed to its target, which is then treated as
 *   above (as sort -o and cp do): the temporary goes beside the target,
 *   the link stays a link, a dangling link creates its target.
 * - A device or FIFO: written directly; renaming a regular file over it
 *   would replace the node (a root's -o /dev/null once did). So is a
 *   descriptor named through /proc/self/fd/N, /dev/fd/N or /dev/stdout
 *   (a pipe, socket, terminal or file): a copy of descriptor N is
 *   written, as if shared, so `-o /dev/stdout >>log` appends; another
 *   process's (/proc/PID/fd/N) is opened as named. A socket file, which
 *   only connect() can reach, is an error and left as it is. Written
 *   directly, a failure halfway leaves what was already written: a
 *   stream cannot be taken back.
 */
#ifndef SHARD_ATOMICFILE_H
#define SHARD_ATOMICFILE_H

#include <stdio.h>

#include "error.h"

struct atomicfile {
	char *path;     /* target as given, for messages; NULL for stdout */
	char *dest;     /* the regular file renamed over, NULL if direct */
	char *tmp;      /* temporary beside dest, NULL if direct */
	FILE *f;        /* where to write */
	int own_f;      /* f is ours to close (not the caller's stdout) */
};

/*
 * Open for writing; std_out is what "-" means (borrowed). SHARD_EENV
 * naming the path on failure (a missing directory, a link loop, a
 * socket file, ...), a with nothing to release.
 */
int atomicfile_open(struct atomicfile *a, const char *path, FILE *std_out,
		    struct shard_error *err);
/*
 * Flush (and for a temporary file, rename into place).
 * SHARD_EENV naming the path on failure; a temporary file is then
 * removed and the target is untouched. Nothing to release after it.
 */
int atomicfile_commit(struct atomicfile *a, struct shard_error *err);
/* Drop what was written where that is possible (no-op after commit). */
void atomicfile_abort(struct atomicfile *a);

#endif
