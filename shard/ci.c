/*
 * One table row per provider: how to recognise it and which variables
 * hold what. Index variables carry their base (GitLab counts from 1).
 */
#include "shard/ci.h"

#include <stdio.h>
#include <string.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

struct provider {
	const char *name;
	const char *detect;    /* set (non-empty) when running there */
	const char *run_id[2]; /* joined with '-' when both are set;
					the first alone is the run's base */
	const char *commit;
	const char *branch[2]; /* first non-empty wins */
	const char *index, *total;
	int index_base;
};

static const struct provider providers[] = {
	{ "github",
	  "GITHUB_ACTIONS",
	  { "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT" },
	  "GITHUB_SHA",
	  { "GITHUB_HEAD_REF", "GITHUB_REF_NAME" },
	  NULL,
	  NULL,
	  0 },
	{ "gitlab",
	  "GITLAB_CI",
	  { "CI_PIPELINE_ID", NULL },
	  "CI_COMMIT_SHA",
	  { "CI_COMMIT_REF_NAME", NULL },
	  "CI_NODE_INDEX",
	  "CI_NODE_TOTAL",
	  1 },
	{ "circleci",
	  "CIRCLECI",
	  { "CIRCLE_WORKFLOW_ID", NULL },
	  "CIRCLE_SHA1",
	  { "CIRCLE_BRANCH", NULL },
	  "CIRCLE_NODE_INDEX",
	  "CIRCLE_NODE_TOTAL",
	  0 },
	{ "buildkite",
	  "BUILDKITE",
	  { "BUILDKITE_BUILD_ID", NULL },
	  "BUILDKITE_COMMIT",
	  { "BUILDKITE_BRANCH", NULL },
	  "BUILDKITE_PARALLEL_JOB",
	  "BUILDKITE_PARALLEL_JOB_COUNT",
	  0 },
	{ "jenkins",
	  "JENKINS_URL",
	  { "BUILD_TAG", NULL },
	  "GIT_COMMIT",
	  { "BRANCH_NAME", "GIT_BRANCH" },
	  NULL,
	  NULL,
	  0 },
	{ "bazel",
	  "TEST_TOTAL_SHARDS",
	  { NULL, NULL },
	  NULL,
	  { NULL, NULL },
	  "TEST_SHARD_INDEX",
	  "TEST_TOTAL_SHARDS",
	  0 },
};

static const char *get(const struct shard_ctx *ctx, const char *name)
{
	const char *v = name ? shard_getenv(ctx, name) : NULL;

	return v && *v ? v : NULL;
}

static int read_number(const struct shard_ctx *ctx, const char *var, int base,
		       int is_total, long *out, struct shard_error *err)
{
	const char *v = get(ctx, var);
	long n;

	if (!v)
		return 0;
	if (shard_parse_long(v, is_total ? 1 : base, 1000000, &n) < 0)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s='%s' is not a valid shard %s", var,
				       v, is_total ? "total" : "index");
	*out = is_total ? n : n - base;
	return 1;
}

static int read_pair(const struct shard_ctx *ctx, struct ci_info *out,
		     const char *ivar, const char *tvar, int base,
		     struct shard_error *err)
{
	int r = 0;

	if (out->index < 0 &&
	    (r = read_number(ctx, ivar, base, 0, &out->index, err)) > 0)
		out->index_var = ivar;
	if (r < 0)
		return r;
	if (out->total < 0 &&
	    (r = read_number(ctx, tvar, base, 1, &out->total, err)) > 0)
		out->total_var = tvar;
	return r < 0 ? r : 0;
}

static void fill_provider(const struct shard_ctx *ctx, const struct provider *p,
			  struct ci_info *out)
{
	const char *a = get(ctx, p->run_id[0]), *b = get(ctx, p->run_id[1]);

	out->provider = p->name;
	if (a && b)
		snprintf(out->run_id, sizeof(out->run_id), "%s-%s", a, b);
	else if (a)
		snprintf(out->run_id, sizeof(out->run_id), "%s", a);
	if (a)
		snprintf(out->run_base, sizeof(out->run_base), "%s", a);
	out->commit = get(ctx, p->commit);
	out->branch = get(ctx, p->branch[0]);
	if (!out->branch)
		out->branch = get(ctx, p->branch[1]);
}

int ci_detect(const struct shard_ctx *ctx, struct ci_info *out,
	      struct shard_error *err)
{
	const struct provider *found = NULL;

	memset(out, 0, sizeof(*out));
	out->index = out->total = -1;
	for (size_t i = 0; i < sizeof(providers) / sizeof(*providers); i++)
		if (get(ctx, providers[i].detect)) {
			found = &providers[i];
			break;
		}
	if (found)
		fill_provider(ctx, found, out);
	out->status_file = get(ctx, "TEST_SHARD_STATUS_FILE");
	if (read_pair(ctx, out, "SHARD_INDEX", "SHARD_TOTAL", 0, err))
		return err->code;
	if (found && found->index &&
	    read_pair(ctx, out, found->index, found->total, found->index_base,
		      err))
		return err->code;
	/* Bazel's variables also hold when Bazel runs inside another CI */
	if (read_pair(ctx, out, "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", 0,
		      err))
		return err->code;
	if (out->index >= 0 && out->total > 0 && out->index >= out->total)
		return shard_error_set(err, SHARD_EINPUT,
				       "shard index %ld (from %s) is not below "
				       "the total %ld (from %s)",
				       out->index, out->index_var, out->total,
				       out->total_var);
	return 0;
}
