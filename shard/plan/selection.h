/*
 * Every shard's tests, from a plan file (shard plan's JSON) or from a
 * plan made of a test list (pin.h): what `shard run` runs, one shard or
 * all of them, and what each shard's report says of its partition
 * (partition.h). `shard merge --plan` reads the plan file the same way
 * (selection_read_planfile).
 */
#ifndef SHARD_SELECTION_H
#define SHARD_SELECTION_H

#include <stddef.h>

#include "shard/partition.h"
#include "shard/plan/pin.h"
#include "shard/plan/planfile.h"
#include "shard/testlist.h"
#include "shard/util/error.h"

/* One shard's tests. */
struct selection_shard {
	const char **ids; /* NULL-terminated; borrowed from the selection */
	size_t *tests;    /* indexes into the selection's order */
	size_t n;
	double predicted; /* seconds, the per-shard overhead included */
};

struct selection {
	struct testlist list; /* the list planned (from a list) */
	struct pin_plan pp;   /* its plan, made or pinned */
	struct planfile pf;   /* the plan file (from a file) */
	int from_file;
	struct partition_list order; /* every shard's tests, for reports */
	const char *plan_hash;       /* the plan's */
	struct selection_shard *shards;
	size_t nshards;
	double makespan; /* the longest shard's predicted seconds */
};

void selection_init(struct selection *sel);
void selection_release(struct selection *sel);

/*
 * Read the plan file at path into p (release with planfile_release, also
 * after a failure): SHARD_EINPUT when it does not exist or is not a plan
 * (planfile_read), SHARD_EENV when it cannot be read.
 */
int selection_read_planfile(const char *path, struct planfile *p,
			    struct shard_error *err);

/*
 * The shards of the plan file at path, as selection_read_planfile reads
 * it; SHARD_EINPUT too when shards > 0 and the plan has another number
 * of shards.
 */
int selection_from_planfile(struct selection *sel, const char *path,
			    long shards, struct shard_error *err);

/*
 * The list to plan: sel->list, filled by the caller after selection_init,
 * wrapped for pin_plan_make (whose request takes it, and which is to
 * fill sel->pp); then selection_from_plan.
 */
struct partition_list *selection_list(struct selection *sel);
/* The shards of sel->pp, the plan of selection_list's list. */
void selection_from_plan(struct selection *sel);

#endif
