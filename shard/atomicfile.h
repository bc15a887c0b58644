/*
 * Output files are written whole or not at all (docs/design.md): a temporary
 * file beside the target, renamed over it on commit, removed on abort.
 * The path "-" means standard output, written directly. No fsync: the
 * promise is that a failed or interrupted shard never leaves a partial
 * file, not durability across a power cut (it cost 0.4 s on a 50 MB plan).
 */
#ifndef SHARD_ATOMICFILE_H
#define SHARD_ATOMICFILE_H

#include <stdio.h>

#include "error.h"

struct atomicfile {
	char *path;     /* target */
	char *tmp;      /* temporary beside it, NULL for stdout */
	FILE *f;        /* where to write */
};

/* Open for writing; SHARD_EENV naming the path on failure. */
int atomicfile_open(struct atomicfile *a, const char *path, FILE *std_out,
		    struct shard_error *err);
/* Flush and rename into place; on failure the target is untouched. */
int atomicfile_commit(struct atomicfile *a, struct shard_error *err);
/* Drop what was written (no-op after commit). */
void atomicfile_abort(struct atomicfile *a);

#endif
