/*
 * Plan pins (docs/design.md "Partition"): the first plan made for a run is
 * stored in the history store, keyed by the run without its attempt, the
 * list's digest and the request (the options that shape a plan); later
 * plans of that run with the same list and request reuse it. So shards
 * that plan one after another while their own results are recorded, or
 * on machines that read the history at different moments, agree, and a
 * re-run attempt sees the plan of the first.
 *
 * A pin keeps the assignment (each test's shard, in the list's canonical
 * order: a LEB128 number a test) and the plan's figures (meta, JSON with
 * doubles in C's exact hexadecimal notation), so that a plan rebuilt from
 * it is the one first made, hash, figures and all.
 */
#ifndef SHARD_PIN_H
#define SHARD_PIN_H

#include "shard/partition.h"
#include "shard/plan/plan.h"
#include "shard/plan/weigh.h"
#include "shard/store/store.h"
#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/strbuf.h"

struct pin_request {
	struct partition_list *list; /* sorted when pinning */
	enum plan_by by;
	size_t shards;     /* K; 0 with a target */
	double target;     /* > 0: the fewest shards that meet it */
	size_t max_shards; /* with a target */
	double overhead;   /* per shard */
	int improve;
	const char *run; /* the run without its attempt; NULL: none */
};

struct pin_plan {
	struct plan plan;
	struct weights w; /* weighed here; from a pin: counts only */
	int pinned;       /* the run's plan made earlier */
	int too_long;     /* target: one unit is longer than it */
};

/*
 * Plan rq's list for its run: the pinned plan when st has one for this
 * run, list and request; else weigh against st (NULL: no history), plan,
 * and pin the plan when rq->run is set (if another process pinned one in
 * the meantime, that one is used). A pin that cannot be stored (a
 * read-only history) is warned about through ctx and the plan made here
 * is used. Returns 0, or a negative code from the store or the planner;
 * out is released with pin_plan_release whatever the result.
 */
int pin_plan_make(struct store *st, const struct pin_request *rq,
		  struct pin_plan *out, const struct shard_ctx *ctx,
		  struct shard_error *err);
void pin_plan_release(struct pin_plan *p);

/* The request's key: the options that shape a plan, exactly. */
void pin_request_key(const struct pin_request *rq, struct strbuf *out);

/* Encode p (of list l, weighed w) as a pin's assignment and meta. */
void pin_encode(const struct plan *p, const struct partition_list *l,
		const struct weights *w, struct strbuf *assignment,
		struct strbuf *meta);

/*
 * Rebuild a pinned plan of list l: SHARD_EINPUT when the pin does not fit
 * the list or its plan hash is not plan_hash. w gets the counts.
 */
int pin_decode(const struct strbuf *assignment, const struct strbuf *meta,
	       const char *plan_hash, const struct partition_list *l,
	       struct plan *out, struct weights *w, struct shard_error *err);

#endif
