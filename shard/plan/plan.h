/*
 * Partitioning weighed tests into K shards, minimising the longest one:
 * LPT (longest first onto the least-loaded shard), then an improvement
 * pass of moves and swaps between the longest shard and the shortest
 * ones, each of which lowers the longer of the two shards it touches, so
 * it never makes the plan worse. Deterministic: items are ordered by
 * (seconds desc, name bytes asc) and sums run in id order, so the same
 * weights give the same plan on every machine and for any input order.
 */
#ifndef SHARD_PLAN_H
#define SHARD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "shard/util/error.h"

enum plan_by { PLAN_BY_TEST, PLAN_BY_CLASS, PLAN_BY_FILE };

/* "test", "class", "file" (NULL: none) -> *out; 0, or -1 if unknown. */
int plan_by_parse(const char *name, enum plan_by *out);
/* The unit's name, as plan_by_parse reads it. */
const char *plan_by_name(enum plan_by by);

struct plan_shard {
	size_t *tests; /* indexes into the request's ids, in id byte order */
	size_t nr, alloc;
	double seconds; /* predicted, without the per-shard overhead */
};

struct plan {
	size_t nshards;
	struct plan_shard *shards;
	double lower_bound; /* docs/design.md's bound, overhead included */
	double makespan;    /* longest shard, overhead included */
	double overhead;    /* per shard */
	double total;       /* all items, without per-shard overhead */
	double longest;     /* the longest item */
	size_t items;       /* units placed (tests, classes or files) */
	char hash[65];      /* sha256 of the assignment, see plan_hash() */
	const size_t *lens; /* the request's id lengths, or NULL */
};

struct plan_request {
	const char *const *ids; /* n unique ids */
	const double *seconds;  /* n weights */
	size_t n;
	enum plan_by by;
	size_t shards;         /* K >= 1 */
	double shard_overhead; /* seconds added to every shard */
	int improve;           /* run the improvement pass (default 1) */
	/*
	 * Seconds of a file group's set-up (by file), may be NULL. id is the
	 * group's first member id (NUL-terminated), len the length of its
	 * file part.
	 */
	double (*file_overhead)(void *data, const char *id, size_t len);
	void *data;
	const size_t *lens; /* the ids' lengths, or NULL */
};

/* Build the plan for req. Returns 0 or SHARD_EINPUT (no shards). */
int plan_make(const struct plan_request *req, struct plan *out,
	      struct shard_error *err);

/*
 * Build the plan that puts id i into shard shard_of[i], for n ids and k
 * shards: each shard's ids in byte order and the plan hash, as plan_make
 * leaves them; the figures (seconds, bounds) are the caller's to fill.
 * SHARD_EINPUT when k is 0 or an id's shard is not below k.
 */
int plan_assign(const char *const *ids, const size_t *lens, size_t n,
		const uint32_t *shard_of, size_t k, struct plan *out,
		struct shard_error *err);

/*
 * The smallest K <= max_shards whose predicted makespan (overhead
 * included) meets target seconds; when no K can (one item is longer than
 * the target), the smallest K that reaches the longest item, with
 * *too_long set. SHARD_EINPUT when the target is not above the overhead.
 */
int plan_choose_shards(const struct plan_request *req, double target,
		       size_t max_shards, size_t *k, int *too_long,
		       struct shard_error *err);

/*
 * The plan hash: SHA-256 over "shard <i>\n" followed by each of its ids and
 * "\n", for every shard in order. Also used to check a plan file.
 */
void plan_hash(const struct plan *p, const char *const *ids, char hex[65]);
/* The same, piece by piece, for a plan read back from a file. */
struct digest;
void plan_hash_shard(struct digest *d, size_t index);
void plan_hash_id(struct digest *d, const char *id, size_t len);

/*
 * Plans of this many ids and more are sorted, hashed and written in two
 * halves on two threads (the same bytes as on one).
 */
#define PLAN_THREAD_MIN_IDS 16384

/* The first shard of the second half of p's ids; *total gets their count. */
size_t plan_halfway(const struct plan *p, size_t *total);

/*
 * Hint that shard sh's ids a little after position q will be read soon:
 * a shard's ids lie all over the list's memory, and a writer that walks
 * them in order otherwise waits on a cache miss for each.
 */
void plan_prefetch(const struct plan *p, const char *const *ids,
		   const struct plan_shard *sh, size_t q);

void plan_release(struct plan *p);

#endif
