/*
 * A history as JSON (history_export): tests, files, then runs with their
 * sources, results and shards, streamed through a buffer flushed every
 * 64 KiB, so that no history is held in memory whole.
 */
#include "shard/store/history.h"

#include <errno.h>
#include <string.h>

#include "shard/util/json.h"
#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

struct exporter {
	FILE *f;
	struct store *s;
	struct strbuf b;
	size_t items, nested; /* commas in the current arrays */
	struct shard_error *err;
};

static int flush_out(struct exporter *x, size_t at_least)
{
	if (x->b.len < at_least)
		return 0;
	if (fwrite(x->b.buf, 1, x->b.len, x->f) != x->b.len)
		return shard_error_set(x->err, SHARD_EENV, "writing: %s",
				       strerror(errno));
	strbuf_reset(&x->b);
	return 0;
}

static void put_str(struct strbuf *b, const char *name, const char *v)
{
	strbuf_addf(b, "\"%s\":", name);
	if (v)
		json_add_string(b, v, strlen(v));
	else
		strbuf_addstr(b, "null");
}

static void put_num(struct strbuf *b, const char *name, double v, int has)
{
	if (has)
		strbuf_addf(b, "\"%s\":%.17g", name, v);
	else
		strbuf_addf(b, "\"%s\":null", name);
}

static void put_samples(struct strbuf *b, const double *v, size_t n)
{
	strbuf_addstr(b, "\"samples\":[");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(b, "%s%.17g", i ? "," : "", v[i]);
	strbuf_addch(b, ']');
}

static int export_test(void *data, const struct store_test *t)
{
	struct exporter *x = data;

	strbuf_addstr(&x->b, x->items++ ? ",\n{" : "\n{");
	put_str(&x->b, "key", t->key);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "file", t->file);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "parent_key", t->parent_key);
	strbuf_addch(&x->b, ',');
	put_samples(&x->b, t->samples, t->n);
	strbuf_addf(&x->b, ",\"sample_count\":%lld}",
		    (long long)t->sample_count);
	return flush_out(x, 65536);
}

static int export_file(void *data, const struct store_file *f)
{
	struct exporter *x = data;

	strbuf_addstr(&x->b, x->items++ ? ",\n{" : "\n{");
	put_str(&x->b, "file", f->file);
	strbuf_addch(&x->b, ',');
	put_samples(&x->b, f->samples, f->n);
	strbuf_addch(&x->b, '}');
	return flush_out(x, 65536);
}

static int export_result(void *data, const struct store_result *r)
{
	struct exporter *x = data;

	strbuf_addstr(&x->b, x->nested++ ? ",\n{" : "\n{");
	put_str(&x->b, "key", r->key);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "outcome", junit_outcome_name(r->outcome));
	strbuf_addch(&x->b, ',');
	put_num(&x->b, "seconds", r->seconds, r->has_time);
	strbuf_addch(&x->b, ',');
	put_num(&x->b, "shard", r->shard, r->shard >= 0);
	strbuf_addch(&x->b, '}');
	return flush_out(x, 65536);
}

static int export_source(void *data, int64_t source_id, const char *digest,
			 const char *name)
{
	struct exporter *x = data;
	int r;

	strbuf_addstr(&x->b, x->items++ ? ",\n{" : "\n{");
	put_str(&x->b, "digest", digest);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "name", name);
	strbuf_addstr(&x->b, ",\"results\":[");
	x->nested = 0;
	r = store_each_result(x->s, STORE_RESULTS_OF_SOURCE, source_id,
			      export_result, x, x->err);
	strbuf_addstr(&x->b, "]}");
	return r;
}

/*
 * A shard's plan_hash and list_digest are written only when known, so
 * that a history without them exports as before; readers of version 1
 * that predate them skip members they do not know.
 */
static int export_shard(void *data, const struct store_shard *sh)
{
	struct exporter *x = data;

	strbuf_addf(&x->b, "%s{\"index\":%d,\"total\":%d,",
		    x->items++ ? ",\n" : "\n", sh->index, sh->total);
	put_num(&x->b, "predicted", sh->predicted, sh->has_predicted);
	strbuf_addch(&x->b, ',');
	put_num(&x->b, "actual", sh->actual, sh->has_actual);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "host", sh->host);
	strbuf_addf(&x->b, ",\"attempt\":%u", sh->attempt);
	if (sh->plan_hash) {
		strbuf_addch(&x->b, ',');
		put_str(&x->b, "plan_hash", sh->plan_hash);
	}
	if (sh->list_digest) {
		strbuf_addch(&x->b, ',');
		put_str(&x->b, "list_digest", sh->list_digest);
	}
	strbuf_addch(&x->b, '}');
	return 0;
}

static int export_run(void *data, int64_t run_id, const struct store_run *run)
{
	struct exporter *x = data;
	size_t runs = x->items;
	int r;

	strbuf_addstr(&x->b, runs ? ",\n{" : "\n{");
	put_str(&x->b, "run_key", run->run_key);
	strbuf_addch(&x->b, ',');
	put_num(&x->b, "started_at", run->started_at, 1);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "commit", run->commit);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "branch", run->branch);
	strbuf_addch(&x->b, ',');
	put_str(&x->b, "ci", run->ci);
	strbuf_addstr(&x->b, ",\"sources\":[");
	x->items = 0;
	r = store_each_source(x->s, run_id, export_source, x, x->err);
	strbuf_addstr(&x->b, "],\"shards\":[");
	x->items = 0;
	if (!r)
		r = store_each_shard(x->s, run_id, export_shard, x, x->err);
	strbuf_addstr(&x->b, "]}");
	x->items = runs + 1;
	return r ? r : flush_out(x, 65536);
}

int history_export(struct store *s, FILE *f, struct shard_error *err)
{
	struct exporter x = { f, s, STRBUF_INIT, 0, 0, err };
	int r;

	strbuf_addf(&x.b, "{\"shard_history\":%d,\"tests\":[",
		    HISTORY_JSON_VERSION);
	r = store_each_test(s, export_test, &x, err);
	strbuf_addstr(&x.b, "],\"files\":[");
	x.items = 0;
	if (!r)
		r = store_each_file(s, export_file, &x, err);
	strbuf_addstr(&x.b, "],\"runs\":[");
	x.items = 0;
	if (!r)
		r = store_each_run(s, 0, export_run, &x, err);
	strbuf_addstr(&x.b, "]}\n");
	if (!r)
		r = flush_out(&x, 0);
	strbuf_release(&x.b);
	return r;
}
