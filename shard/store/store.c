/*
 * Choosing a history backend from its location, and the store_* functions
 * that call the backend's operations: the one place that reads the table.
 */
#include "shard/store/store.h"

#include <string.h>

#include "shard/util/banned.h"

int store_open(const char *location, const struct store_options *opt,
	       struct store **out, struct shard_error *err)
{
	*out = NULL;
	if (!strncmp(location, "postgres://", 11) ||
	    !strncmp(location, "postgresql://", 13))
		return store_pg_open(location, opt, out, err);
	if (!strncmp(location, "http://", 7) ||
	    !strncmp(location, "https://", 8))
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: an HTTP URL is not a history "
				       "location; use 'shard history pull'",
				       location);
	return store_sqlite_open(location, opt, out, err);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_begin(struct store *s, struct shard_error *err)
{
	return s->ops->begin(s, err);
}

int store_commit(struct store *s, struct shard_error *err)
{
	return s->ops->commit(s, err);
}

int store_rollback(struct store *s, struct shard_error *err)
{
	return s->ops->rollback(s, err);
}

int store_find_run(struct store *s, const char *run_key, int64_t *run_id,
		   struct shard_error *err)
{
	return s->ops->find_run(s, run_key, run_id, err);
}

int store_add_run(struct store *s, const struct store_run *run, int64_t *run_id,
		  struct shard_error *err)
{
	return s->ops->add_run(s, run, run_id, err);
}

int store_add_source(struct store *s, int64_t run_id, const char *digest,
		     const char *name, int64_t *source_id,
		     struct shard_error *err)
{
	return s->ops->add_source(s, run_id, digest, name, source_id, err);
}

int store_add_result(struct store *s, int64_t run_id, int64_t source_id,
		     const struct store_result *r, struct shard_error *err)
{
	return s->ops->add_result(s, run_id, source_id, r, err);
}

int store_add_shard(struct store *s, int64_t run_id,
		    const struct store_shard *sh, struct shard_error *err)
{
	return s->ops->add_shard(s, run_id, sh, err);
}

int store_add_file_overhead(struct store *s, const char *file, double seconds,
			    struct shard_error *err)
{
	return s->ops->add_file_overhead(s, file, seconds, err);
}

int store_each_estimate(struct store *s, enum store_estimate_fields fields,
			store_estimate_fn fn, void *data,
			struct shard_error *err)
{
	return s->ops->each_estimate(s, fields, fn, data, err);
}

int store_each_file_sum(struct store *s, store_file_seconds_fn fn, void *data,
			struct shard_error *err)
{
	return s->ops->each_file_sum(s, fn, data, err);
}

int store_each_file_overhead(struct store *s, store_file_seconds_fn fn,
			     void *data, struct shard_error *err)
{
	return s->ops->each_file_overhead(s, fn, data, err);
}

int store_summary(struct store *s, struct store_summary *out,
		  struct shard_error *err)
{
	return s->ops->summary(s, out, err);
}

int store_each_run(struct store *s, unsigned newest, store_run_fn fn,
		   void *data, struct shard_error *err)
{
	return s->ops->each_run(s, newest, fn, data, err);
}

int store_each_source(struct store *s, int64_t run_id, store_source_fn fn,
		      void *data, struct shard_error *err)
{
	return s->ops->each_source(s, run_id, fn, data, err);
}

int store_each_result(struct store *s, enum store_results_of of, int64_t id,
		      store_result_fn fn, void *data, struct shard_error *err)
{
	return s->ops->each_result(s, of, id, fn, data, err);
}

int store_each_shard(struct store *s, int64_t run_id, store_shard_fn fn,
		     void *data, struct shard_error *err)
{
	return s->ops->each_shard(s, run_id, fn, data, err);
}

int store_each_test(struct store *s, store_test_fn fn, void *data,
		    struct shard_error *err)
{
	return s->ops->each_test(s, fn, data, err);
}

int store_each_file(struct store *s, store_file_fn fn, void *data,
		    struct shard_error *err)
{
	return s->ops->each_file(s, fn, data, err);
}

int store_put_test(struct store *s, const struct store_test *t, int replace,
		   struct shard_error *err)
{
	return s->ops->put_test(s, t, replace, err);
}

int store_put_file(struct store *s, const struct store_file *f, int replace,
		   struct shard_error *err)
{
	return s->ops->put_file(s, f, replace, err);
}

int store_prune(struct store *s, unsigned keep_runs,
		struct store_prune_stats *out, struct shard_error *err)
{
	return s->ops->prune(s, keep_runs, out, err);
}

int store_checkpoint(struct store *s, struct shard_error *err)
{
	return s->ops->checkpoint(s, err);
}

int store_put_pin(struct store *s, const struct store_pin *p, int *inserted,
		  struct shard_error *err)
{
	return s->ops->put_pin(s, p, inserted, err);
}

int store_get_pin(struct store *s, const struct store_pin *key,
		  char plan_hash[65], struct strbuf *assignment,
		  struct strbuf *meta, int *found, struct shard_error *err)
{
	return s->ops->get_pin(s, key, plan_hash, assignment, meta, found, err);
}
