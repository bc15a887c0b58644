/*
 * Output files are written whole or not at all (DESIGN.md): a temporary
 * file beside the target, renamed over it on commit, removed on abort.
 * The path "-" means standard output, written directly.
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
/* Flush, fsync and rename into place; on failure the target is untouched. */
int atomicfile_commit(struct atomicfile *a, struct shard_error *err);
/* Drop what was written (no-op after commit). */
void atomicfile_abort(struct atomicfile *a);

#endif
