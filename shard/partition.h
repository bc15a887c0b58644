/*
 * One run, one partition (docs/design.md "Partition"): the shards of one
 * run must split one test list exactly, every listed test in one shard.
 * Plans of a run are pinned in the history store (pin.h) so that shards
 * planned at different times agree; what cannot be prevented (history
 * copies restored from different caches, a test list that changed) is
 * detected here, from what each shard's report says of its plan.
 *
 * A static shard's report carries, besides its index, total, run and
 * attempt, the plan's hash and the list's digest and size, and two pieces
 * of data that let a merge name the tests that shards planned apart
 * leave out or run twice: a slice of the list (positions [i*n/K,
 * (i+1)*n/K) of the canonical order, so that K reports hold it once) and
 * the positions of the shard's own tests. Both travel deflated (zlib) and
 * base64-encoded in properties of at most PARTITION_CHUNK characters.
 */
#ifndef SHARD_PARTITION_H
#define SHARD_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/strbuf.h"

/*
 * A test list in its canonical order, whatever order it was read in: by a
 * 64-bit hash of each id's bytes, then by the bytes. The digest is the
 * SHA-256 of the ids in that order, each followed by "\n", so that two
 * lists with the same ids have the same digest on any machine.
 */
struct partition_list {
	const char *const *ids; /* borrowed, n unique ids */
	const size_t *lens;     /* borrowed; NULL: strlen */
	size_t n;
	/* after partition_list_sort, else NULL and "" */
	size_t *order;    /* order[p]: the id at position p */
	size_t *position; /* position[i]: the position of id i */
	char digest[65];
};

/* Wrap a list; its order is worked out when first needed. */
void partition_list_init(struct partition_list *l, const char *const *ids,
			 const size_t *lens, size_t n);
/* Work out the canonical order and the digest (once). */
void partition_list_sort(struct partition_list *l);
void partition_list_release(struct partition_list *l);

/* The first position of shard index's slice of a list of n into total. */
size_t partition_slice_start(size_t n, size_t index, size_t total);

#define PARTITION_CHUNK 65536

/* What a static shard's report says of its plan. */
struct partition_shard {
	struct partition_list *list; /* sorted here if not yet */
	const char *plan_hash;
	const char *run; /* the run without its attempt; NULL: none */
	size_t index, total;
	const size_t *tests; /* the shard's ids, as indexes into list */
	size_t ntests;
};

/*
 * Append the partition properties of s (shard.plan_hash, list_digest,
 * list_tests, run_base, list and planned) to sb as <property/> lines.
 */
void partition_write_properties(struct strbuf *sb,
				const struct partition_shard *s);

/*
 * Append <property name="shard.NAME" value="VALUE"/> and a newline to sb,
 * the value escaped for XML: every shard.* property shard writes.
 */
void partition_add_property(struct strbuf *sb, const char *name,
			    const char *value);

/* Whether a property (its full name) is partition data: list, planned. */
int partition_is_data(const char *name);

/*
 * Checking that reports partition their runs' lists: feed every suite
 * start, property and suite end of every input, then ask for the
 * verdict. A suite whose properties hold shard.plan_hash is a static
 * shard's set; anything else (queue workers, other producers) is left
 * alone.
 */
struct partition_set;

struct partition_check {
	struct partition_set *sets;
	size_t nsets, alloc;
	struct partition_set *open; /* the suite being read, or NULL */
	int open_depth;
	/* after the verdict */
	struct strbuf report; /* what it found, lines */
	int refused;          /* runs refused */
	size_t absent;        /* shards of accepted runs with no set */
};

void partition_check_init(struct partition_check *pc);
void partition_check_release(struct partition_check *pc);
/* source names the input in messages; borrowed until release. */
void partition_check_suite_start(struct partition_check *pc,
				 const char *source);
void partition_check_property(struct partition_check *pc, const char *name,
			      const char *value);
void partition_check_suite_end(struct partition_check *pc);

/*
 * Group the sets by run (shard.run_base; sets without one are one run)
 * and check each: every list one plan, runs of several lists each list
 * whole, no shard of an attempt twice. A refused run is described in
 * pc->report (lines ending in "\n"): which shards disagree and why, and
 * the tests then missing or doubled, the first 20 of each, then a count.
 * Shards of accepted runs that no set reports are described there too;
 * pc->refused and pc->absent count both. Returns 0, or SHARD_EINPUT when
 * a run was refused.
 */
int partition_check_verdict(struct partition_check *pc,
			    struct shard_error *err);

/* Whether source holds a set of a refused run (after the verdict). */
int partition_check_refuses(const struct partition_check *pc,
			    const char *source);

#endif
