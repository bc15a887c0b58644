/*
 * CI detection: a pure function of the environment snapshot. Gives the
 * provider, run identity, commit, branch and the shard index/total where
 * the provider has them, converted to 0-based. Precedence for index and
 * total (docs/design.md): flags (cmd/), then SHARD_INDEX/SHARD_TOTAL, then the
 * provider's variables.
 */
#ifndef SHARD_CI_H
#define SHARD_CI_H

#include "shard/util/ctx.h"
#include "shard/util/error.h"

struct ci_info {
	const char *provider; /* "github", "gitlab", ... or NULL */
	char run_id[256];     /* "" when none */
	char run_base[256];   /* the run without its attempt: what the
				     attempts of one CI run share ("" when
				     none) */
	const char *commit;   /* borrowed from the environment, or NULL */
	const char *branch;
	long index, total;     /* -1 when unknown */
	const char *index_var; /* the variable index came from, for messages */
	const char *total_var;
	const char *status_file; /* Bazel's TEST_SHARD_STATUS_FILE, or NULL */
};

/*
 * Fill out from ctx's environment. Returns 0, or SHARD_EINPUT naming the
 * variable when an index or total is not a number or out of range.
 */
int ci_detect(const struct shard_ctx *ctx, struct ci_info *out,
	      struct shard_error *err);

#endif
