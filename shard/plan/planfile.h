/*
 * Plan files and the other plan outputs (docs/design.md): json (the plan file),
 * list and null (one shard's ids), github-matrix (indexes only, never test
 * lists, which would overflow GitHub's output limits).
 */
#ifndef SHARD_PLANFILE_H
#define SHARD_PLANFILE_H

#include <stdio.h>

#include "shard/plan/plan.h"
#include "shard/plan/weigh.h"
#include "shard/testlist.h"
#include "shard/util/strbuf.h"

enum planfile_format {
	PLANFILE_JSON,
	PLANFILE_LIST,
	PLANFILE_NULL,
	PLANFILE_GITHUB_MATRIX,
};

struct planfile_meta {
	const char *by;                /* "test", "class", "file" */
	const struct weights *weights; /* for the "estimates" counts */
};

/*
 * Write p in format fmt to f. index selects the shard for list and null.
 * Returns 0, or -1 on a write error (errno set).
 */
int planfile_write(FILE *f, enum planfile_format fmt, const struct plan *p,
		   const char *const *ids, size_t index,
		   const struct planfile_meta *meta);

/* A plan read back from its JSON. */
struct planfile {
	struct testlist tests; /* every id, shard after shard */
	size_t nshards;
	size_t *first;     /* index in tests of each shard's first id */
	double *predicted; /* each shard's predicted seconds */
	char hash[65];
};

/*
 * Read a plan file's text (name for messages) into p (release with
 * planfile_release). SHARD_EINPUT when it is not a version 1 plan, when an
 * id is in two shards, or when plan_hash does not match its shards.
 */
int planfile_read(const char *text, size_t len, const char *name,
		  struct planfile *p, struct shard_error *err);
void planfile_release(struct planfile *p);

/* "json", "list", "null", "github-matrix" -> format; -1 if unknown. */
int planfile_format_parse(const char *name);

#endif
