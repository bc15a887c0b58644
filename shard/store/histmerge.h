/*
 * The sink every merge into a history goes through (histmerge.c), and
 * merging one store into another with it. history.h has the rule.
 */
#ifndef SHARD_HISTMERGE_H
#define SHARD_HISTMERGE_H

#include <stddef.h>
#include <stdint.h>

#include "shard/store/history.h"
#include "shard/store/store.h"
#include "shard/util/error.h"
#include "shard/util/pool.h"

/* A test the merge created: its window is restored in phase three. */
struct fresh_test {
	const char *key, *file, *parent_key;
	size_t off, n; /* into history_sink.samples */
	int64_t sample_count;
};

struct history_sink {
	struct store *to;
	struct pool pool;
	struct fresh_test *fresh;
	size_t nfresh, afresh;
	double *samples;
	size_t nsamples, asamples;
	int64_t run_id, source_id;
	int skip;            /* the current source is known */
	int64_t runs_before; /* the target's runs at history_sink_begin() */
	struct history_counts *added;
	struct shard_error *err;
};

/*
 * Start merging into to: *added zeroed, then counting what the merge adds
 * (added and err stay the caller's); opens to's transaction.
 */
int history_sink_begin(struct history_sink *k, struct store *to,
		       struct history_counts *added, struct shard_error *err);
/*
 * Phase one: put test t unless to has it; a test created is remembered
 * for phase three.
 */
int history_sink_test(struct history_sink *k, const struct store_test *t);
int history_sink_file(struct history_sink *k, const struct store_file *f);
/*
 * Phase two, in order: a run, then each of its sources with the source's
 * results, and its shards. A source the run already has is skipped, with
 * its results.
 */
int history_sink_run(struct history_sink *k, const struct store_run *run);
int history_sink_source(struct history_sink *k, const char *digest,
			const char *name);
int history_sink_result(struct history_sink *k, const struct store_result *r);
int history_sink_shard(struct history_sink *k, const struct store_shard *sh);
/*
 * Phase three when r is 0, then commit; on failure (r or its own) roll
 * back. Fills added->runs, releases k, and returns r or the failure.
 */
int history_sink_end(struct history_sink *k, int r);

#endif
