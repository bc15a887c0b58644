/*
 * Weighing listed tests: each id gets the seconds it is expected to take.
 * From history by canonical key; a listed file path (jest, rspec,
 * knapsack) from the sum of its tests' estimates plus its overhead; else
 * from its nearest listed relatives that history knows (median of the
 * same class, then file, then directory), then the suite's median. Only
 * when history knows nothing of the listed suite is every test weighted
 * 1 s, and weights.equal says so.
 */
#ifndef SHARD_WEIGH_H
#define SHARD_WEIGH_H

#include <stddef.h>

#include "shard/store/store.h"
#include "shard/util/error.h"
#include "shard/util/pool.h"
#include "shard/util/strmap.h"

enum weigh_source {
	WEIGH_HISTORY,  /* the test's own estimate */
	WEIGH_FILE,     /* a listed file: its tests' estimates */
	WEIGH_CLASS,    /* median of its listed class mates */
	WEIGH_SAMEFILE, /* median of the listed tests of its file */
	WEIGH_DIR,      /* median of its directory's listed tests */
	WEIGH_MEDIAN,   /* the suite's median */
	WEIGH_EQUAL,    /* history knows nothing: 1 s each */
	WEIGH__COUNT
};

struct weights {
	double *seconds;       /* per listed id */
	unsigned char *source; /* enum weigh_source per listed id */
	size_t count[WEIGH__COUNT];
	int equal; /* every test weighted 1 s */
	/* per-file overhead (normalised path -> seconds), for --by file */
	struct strmap overhead;
	double *overhead_seconds;
	size_t noverhead, alloc_overhead;
	struct pool pool;
};

/*
 * Weigh n ids against st (NULL: no history). Fills w (release with
 * weigh_release). Errors come from the store.
 */
int weigh_tests(struct store *st, const char *const *ids, size_t n,
		struct weights *w, struct shard_error *err);
/* The overhead recorded for the file of a listed id's group, or 0. */
double weigh_file_overhead(const struct weights *w, const char *file,
			   size_t len);
/*
 * plan_request.file_overhead for weights w (data): the set-up time of the
 * file group whose first member id is id, its file part len bytes long;
 * 0 for listed file paths, which were weighed with it already.
 */
double weigh_group_overhead(void *w, const char *id, size_t len);
void weigh_release(struct weights *w);
const char *weigh_source_name(enum weigh_source s);

#endif
