/*
 * One merge, three doors. Import (import.c, JSON), merge (a store into
 * another, below) and the pulls that push makes after a conflict
 * (remote.c) all feed the same sink, in the same three phases: tests
 * (store_put_test; the ones it creates are remembered), runs with their
 * sources, results and shards (the ingest operations, so a source
 * already recorded is skipped), then the remembered tests get the
 * source's sample window back, which replaying their results had pushed
 * onto.
 *
 * Plan pins (store_pin) are neither exported nor merged: a pin matters
 * only while its run lasts, to the shards of that run planning against
 * the store they share, and prune drops them with their runs. A shard
 * row's plan_hash and list_digest, which say what the run planned, do
 * travel with it.
 */
#include "shard/store/histmerge.h"

#include <stdlib.h>
#include <string.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

static const char *pool_dup_or_null(struct pool *p, const char *s)
{
	return s ? pool_strdup(p, s) : NULL;
}

int history_sink_test(struct history_sink *k, const struct store_test *t)
{
	struct fresh_test *f;
	int r = store_put_test(k->to, t, 0, k->err);

	if (r <= 0)
		return r;
	k->added->tests++;
	ALLOC_GROW(k->fresh, k->nfresh + 1, k->afresh);
	ALLOC_GROW(k->samples, k->nsamples + t->n + 1, k->asamples);
	f = &k->fresh[k->nfresh++];
	f->key = pool_strdup(&k->pool, t->key);
	f->file = pool_dup_or_null(&k->pool, t->file);
	f->parent_key = pool_dup_or_null(&k->pool, t->parent_key);
	f->off = k->nsamples;
	f->n = t->n;
	f->sample_count = t->sample_count;
	memcpy(k->samples + k->nsamples, t->samples, t->n * sizeof(double));
	k->nsamples += t->n;
	return 0;
}

int history_sink_file(struct history_sink *k, const struct store_file *f)
{
	int r = store_put_file(k->to, f, 0, k->err);

	return r < 0 ? r : 0;
}

int history_sink_run(struct history_sink *k, const struct store_run *run)
{
	return store_add_run(k->to, run, &k->run_id, k->err);
}

int history_sink_source(struct history_sink *k, const char *digest,
			const char *name)
{
	int r = store_add_source(k->to, k->run_id, digest, name, &k->source_id,
				 k->err);

	if (r < 0)
		return r;
	k->skip = r == 1;
	k->added->sources += !k->skip;
	return 0;
}

int history_sink_result(struct history_sink *k, const struct store_result *res)
{
	if (k->skip)
		return 0;
	k->added->results++;
	return store_add_result(k->to, k->run_id, k->source_id, res, k->err);
}

int history_sink_shard(struct history_sink *k, const struct store_shard *sh)
{
	return store_add_shard(k->to, k->run_id, sh, k->err);
}

int history_sink_begin(struct history_sink *k, struct store *to,
		       struct history_counts *added, struct shard_error *err)
{
	struct store_summary sum;

	memset(k, 0, sizeof(*k));
	if (store_summary(to, &sum, err))
		return err->code;
	memset(added, 0, sizeof(*added));
	k->to = to;
	k->runs_before = sum.runs;
	k->added = added;
	k->err = err;
	return store_begin(to, err);
}

int history_sink_end(struct history_sink *k, int r)
{
	struct store_summary sum;
	struct shard_error ignored = SHARD_ERROR_INIT;

	for (size_t i = 0; !r && i < k->nfresh; i++) {
		struct fresh_test *f = &k->fresh[i];
		struct store_test t = { f->key,        f->file,
					f->parent_key, k->samples + f->off,
					f->n,          f->sample_count };

		r = store_put_test(k->to, &t, 1, k->err) < 0 ? k->err->code : 0;
	}
	if (!r)
		r = store_commit(k->to, k->err);
	if (r)
		store_rollback(k->to, &ignored);
	else if (!(r = store_summary(k->to, &sum, k->err)))
		k->added->runs = sum.runs - k->runs_before;
	pool_release(&k->pool);
	free(k->fresh);
	free(k->samples);
	return r;
}

/* ---- merging a store into another ---- */

struct copy {
	struct history_sink k;
	struct store *from;
};

static int copy_test(void *data, const struct store_test *t)
{
	return history_sink_test(data, t);
}

static int copy_file(void *data, const struct store_file *f)
{
	return history_sink_file(data, f);
}

static int copy_result(void *data, const struct store_result *res)
{
	return history_sink_result(data, res);
}

static int copy_shard(void *data, const struct store_shard *sh)
{
	return history_sink_shard(data, sh);
}

static int copy_source(void *data, int64_t source_id, const char *digest,
		       const char *name)
{
	struct copy *c = data;
	int r = history_sink_source(&c->k, digest, name);

	if (r || c->k.skip)
		return r;
	return store_each_result(c->from, STORE_RESULTS_OF_SOURCE, source_id,
				 copy_result, &c->k, c->k.err);
}

static int copy_run(void *data, int64_t run_id, const struct store_run *run)
{
	struct copy *c = data;
	struct store *from = c->from;
	int r = history_sink_run(&c->k, run);

	if (!r)
		r = store_each_source(from, run_id, copy_source, c, c->k.err);
	if (!r)
		r = store_each_shard(from, run_id, copy_shard, &c->k, c->k.err);
	return r;
}

int history_merge(struct store *from, struct store *to,
		  struct history_counts *added, struct shard_error *err)
{
	struct copy c;
	int r;

	c.from = from;
	if ((r = history_sink_begin(&c.k, to, added, err)))
		return r;
	r = store_each_test(from, copy_test, &c.k, err);
	if (!r)
		r = store_each_file(from, copy_file, &c.k, err);
	if (!r)
		r = store_each_run(from, 0, copy_run, &c, err);
	return history_sink_end(&c.k, r);
}
