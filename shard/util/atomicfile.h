/*
 * Output files (every -o), by what the path names:
 *
 * - "-": standard output, written directly.
 * - A regular file, or nothing yet: written whole or not at all
 *   (docs/design.md). A temporary file beside the target is written,
 *   fsync'ed and renamed over it on commit, removed on abort. The fsync
 *   is what makes "whole" hold after a crash too: without it a file
 *   system may commit the rename before the data and leave an empty or
 *   short target (0.03 s of the 1.3 s that `shard plan` of a million
 *   tests takes to write its 49 MB plan, on ext4). An existing target's
 *   mode is kept, and its owner where the process may give the file
 *   away (root); a new file gets 0666 less the umask, as open() does.
 *   The temporary's name is the target's, shortened to fit NAME_MAX
 *   with its suffix, so a 255-byte name works.
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

#include "shard/util/error.h"

struct atomicfile {
	char *path; /* target as given, for messages; NULL for stdout */
	char *dest; /* the regular file renamed over, NULL if direct */
	char *tmp;  /* temporary beside dest, NULL if direct */
	FILE *f;    /* where to write */
	int own_f;  /* f is ours to close (not the caller's stdout) */
};

/*
 * Open for writing; std_out is what "-" means (borrowed). SHARD_EENV
 * naming the path on failure (a missing directory, a link loop, a
 * socket file, ...), a with nothing to release.
 */
int atomicfile_open(struct atomicfile *a, const char *path, FILE *std_out,
		    struct shard_error *err);
/*
 * Flush (and for a temporary file, fsync and rename into place).
 * SHARD_EENV naming the path on failure; a temporary file is then
 * removed and the target is untouched. Nothing to release after it.
 */
int atomicfile_commit(struct atomicfile *a, struct shard_error *err);
/* Drop what was written where that is possible (no-op after commit). */
void atomicfile_abort(struct atomicfile *a);

#endif
