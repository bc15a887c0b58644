/*
 * One merge, three doors. Import (JSON), merge (store into store) and the
 * pulls that push makes after a conflict all feed the same sink, in the
 * same three phases: tests (put_test; the ones it creates are remembered),
 * runs with their sources, results and shards (the ingest operations, so
 * a source already recorded is skipped), then the remembered tests get
 * the source's sample window back, which replaying their results had
 * pushed onto. The JSON is read through the json module (SQLite's JSON
 * functions), so this file has no parser of its own.
 *
 * Plan pins (store_pin) are neither exported nor merged: a pin matters
 * only while its run lasts, to the shards of that run planning against
 * the store they share, and prune drops them with their runs. A shard
 * row's plan_hash and list_digest, which say what the run planned, do
 * travel with it.
 */
#include "shard/store/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/atomicfile.h"
#include "shard/util/json.h"
#include "shard/util/pool.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

/* ---- the sink ---- */

/* A test the merge created: its window is restored in phase three. */
struct fresh_test {
	const char *key, *file, *parent_key;
	size_t off, n; /* into sink.samples */
	int64_t sample_count;
};

struct sink {
	struct store *to;
	struct pool pool;
	struct fresh_test *fresh;
	size_t nfresh, afresh;
	double *samples;
	size_t nsamples, asamples;
	int64_t run_id, source_id;
	int skip; /* the current source is known */
	struct history_counts *added;
	struct shard_error *err;
};

static const char *pool_dup_or_null(struct pool *p, const char *s)
{
	return s ? pool_strdup(p, s) : NULL;
}

static int sink_test(struct sink *k, const struct store_test *t)
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

static int sink_file(struct sink *k, const struct store_file *f)
{
	int r = store_put_file(k->to, f, 0, k->err);

	return r < 0 ? r : 0;
}

static int sink_run(struct sink *k, const struct store_run *run)
{
	return store_add_run(k->to, run, &k->run_id, k->err);
}

static int sink_source(struct sink *k, const char *digest, const char *name)
{
	int r = store_add_source(k->to, k->run_id, digest, name, &k->source_id,
				 k->err);

	if (r < 0)
		return r;
	k->skip = r == 1;
	k->added->sources += !k->skip;
	return 0;
}

static int sink_result(struct sink *k, const struct store_result *res)
{
	if (k->skip)
		return 0;
	k->added->results++;
	return store_add_result(k->to, k->run_id, k->source_id, res, k->err);
}

static int sink_shard(struct sink *k, const struct store_shard *sh)
{
	return store_add_shard(k->to, k->run_id, sh, k->err);
}

static int sink_begin(struct sink *k, struct store *to,
		      struct history_counts *added, struct shard_error *err)
{
	memset(k, 0, sizeof(*k));
	memset(added, 0, sizeof(*added));
	k->to = to;
	k->added = added;
	k->err = err;
	return store_begin(to, err);
}

/* Phase three, commit, and the runs count; rolls back on failure. */
static int sink_end(struct sink *k, int r, int64_t runs_before)
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
		k->added->runs = sum.runs - runs_before;
	pool_release(&k->pool);
	free(k->fresh);
	free(k->samples);
	return r;
}

static int runs_now(struct store *s, int64_t *runs, struct shard_error *err)
{
	struct store_summary sum;

	if (store_summary(s, &sum, err))
		return err->code;
	*runs = sum.runs;
	return 0;
}

/* ---- merging a store into another ---- */

struct copy {
	struct sink k;
	struct store *from;
};

static int copy_test(void *data, const struct store_test *t)
{
	return sink_test(data, t);
}

static int copy_file(void *data, const struct store_file *f)
{
	return sink_file(data, f);
}

static int copy_result(void *data, const struct store_result *res)
{
	return sink_result(data, res);
}

static int copy_shard(void *data, const struct store_shard *sh)
{
	return sink_shard(data, sh);
}

static int copy_source(void *data, int64_t source_id, const char *digest,
		       const char *name)
{
	struct copy *c = data;
	int r = sink_source(&c->k, digest, name);

	if (r || c->k.skip)
		return r;
	return store_each_result(c->from, STORE_RESULTS_OF_SOURCE, source_id,
				 copy_result, &c->k, c->k.err);
}

static int copy_run(void *data, int64_t run_id, const struct store_run *run)
{
	struct copy *c = data;
	struct store *from = c->from;
	int r = sink_run(&c->k, run);

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
	int64_t before = 0;
	int r;

	if (runs_now(to, &before, err))
		return err->code;
	c.from = from;
	if ((r = sink_begin(&c.k, to, added, err)))
		return r;
	r = store_each_test(from, copy_test, &c.k, err);
	if (!r)
		r = store_each_file(from, copy_file, &c.k, err);
	if (!r)
		r = store_each_run(from, 0, copy_run, &c, err);
	return sink_end(&c.k, r, before);
}

/* ---- export ---- */

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

/* ---- import ---- */

#define FIELDS_MAX 8 /* the most members a reader names (shards) */

/* The members of one JSON object, by the names a reader expects. */
struct fields {
	const char *const *names;      /* NULL-terminated */
	struct strbuf val[FIELDS_MAX]; /* text, or raw JSON of arrays */
	enum json_type type[FIELDS_MAX];
	double num[FIELDS_MAX];
};

static int take_field(void *data, const struct json_member *m,
		      struct shard_error *err)
{
	struct fields *f = data;

	(void)err;
	for (int i = 0; f->names[i]; i++) {
		if (strlen(f->names[i]) != m->key_len ||
		    memcmp(f->names[i], m->key, m->key_len))
			continue;
		strbuf_reset(&f->val[i]);
		strbuf_add(&f->val[i], m->text ? m->text : "", m->text_len);
		f->type[i] = m->type;
		f->num[i] = m->number;
	}
	return 0;
}

static int read_fields(struct fields *f, const char *const *names,
		       const char *text, size_t len, const char *name,
		       struct shard_error *err)
{
	for (int i = 0; i < FIELDS_MAX; i++) {
		if (!f->names)
			f->val[i] = (struct strbuf)STRBUF_INIT;
		f->type[i] = JSON_NULL;
	}
	f->names = names;
	return json_each_member(text, len, name, "$", 1, take_field, f, err);
}

static void fields_release(struct fields *f)
{
	for (int i = 0; f->names && i < FIELDS_MAX; i++)
		strbuf_release(&f->val[i]);
}

/* Field i as text, or NULL when absent or null. */
static const char *field_str(const struct fields *f, int i)
{
	return f->type[i] == JSON_TEXT ? f->val[i].buf : NULL;
}

static int field_is_num(const struct fields *f, int i)
{
	return f->type[i] == JSON_INTEGER || f->type[i] == JSON_REAL;
}

/* The reader's state: where it is, for messages, and the sink. */
struct importer {
	struct sink k;
	const char *name;
	struct fields test, file, run, source, result, shard;
	double *samples;
	size_t nsamples, asamples;
	unsigned long runs, items; /* positions, 1-based, for messages */
	struct shard_error *err;
};

static int bad(struct importer *im, const char *what, unsigned long n,
	       const char *expected)
{
	return shard_error_set(im->err, SHARD_EINPUT, "%s: %s %lu: expected %s",
			       im->name, what, n, expected);
}

static int take_sample(void *data, const struct json_member *m,
		       struct shard_error *err)
{
	struct importer *im = data;

	if (m->type != JSON_INTEGER && m->type != JSON_REAL)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: samples: expected numbers",
				       im->name);
	ALLOC_GROW(im->samples, im->nsamples + 1, im->asamples);
	im->samples[im->nsamples++] = m->number;
	return 0;
}

static int read_samples(struct importer *im, const struct fields *f, int i)
{
	im->nsamples = 0;
	if (f->type[i] != JSON_ARRAY)
		return shard_error_set(im->err, SHARD_EINPUT,
				       "%s: samples: expected an array",
				       im->name);
	return json_each_member(f->val[i].buf, f->val[i].len, im->name, "$", 0,
				take_sample, im, im->err);
}

static const char *const test_names[] = {
	"key", "file", "parent_key", "samples", "sample_count", NULL,
};

static int import_test(void *data, const struct json_member *m,
		       struct shard_error *err)
{
	struct importer *im = data;
	struct fields *f = &im->test;
	struct store_test t;

	if (read_fields(f, test_names, m->text, m->text_len, im->name, err))
		return err->code;
	if (!field_str(f, 0) || read_samples(im, f, 3))
		return bad(im, "test", (unsigned long)m->index + 1,
			   "a key and samples");
	t.key = field_str(f, 0);
	t.file = field_str(f, 1);
	t.parent_key = field_str(f, 2);
	t.samples = im->samples;
	t.n = im->nsamples;
	t.sample_count = field_is_num(f, 4) ? (int64_t)f->num[4] : (int64_t)t.n;
	return sink_test(&im->k, &t);
}

static const char *const file_names[] = { "file", "samples", NULL };

static int import_file(void *data, const struct json_member *m,
		       struct shard_error *err)
{
	struct importer *im = data;
	struct fields *f = &im->file;
	struct store_file sf;

	if (read_fields(f, file_names, m->text, m->text_len, im->name, err))
		return err->code;
	if (!field_str(f, 0) || read_samples(im, f, 1))
		return bad(im, "file", (unsigned long)m->index + 1,
			   "a file and samples");
	sf.file = field_str(f, 0);
	sf.samples = im->samples;
	sf.n = im->nsamples;
	return sink_file(&im->k, &sf);
}

static const char *const result_names[] = {
	"key", "outcome", "seconds", "shard", NULL,
};

static int import_result(void *data, const struct json_member *m,
			 struct shard_error *err)
{
	struct importer *im = data;
	struct fields *f = &im->result;
	struct store_result r = { 0 };
	int outcome;

	if (read_fields(f, result_names, m->text, m->text_len, im->name, err))
		return err->code;
	outcome = junit_outcome_parse(field_str(f, 1));
	if (!field_str(f, 0) || outcome < 0)
		return bad(im, "run", im->runs,
			   "results with a key and an outcome");
	r.key = field_str(f, 0);
	r.outcome = (enum junit_outcome)outcome;
	r.has_time = field_is_num(f, 2);
	r.seconds = r.has_time ? f->num[2] : 0;
	r.shard = field_is_num(f, 3) ? (int)f->num[3] : -1;
	return sink_result(&im->k, &r);
}

static const char *const source_names[] = {
	"digest",
	"name",
	"results",
	NULL,
};

static int import_source(void *data, const struct json_member *m,
			 struct shard_error *err)
{
	struct importer *im = data;
	struct fields *f = &im->source;
	int r;

	if (read_fields(f, source_names, m->text, m->text_len, im->name, err))
		return err->code;
	if (!field_str(f, 0) || f->type[2] != JSON_ARRAY)
		return bad(im, "run", im->runs,
			   "sources with a digest and results");
	if ((r = sink_source(&im->k, field_str(f, 0), field_str(f, 1))) ||
	    im->k.skip)
		return r;
	/* the results' fields reuse im->result: the source's stay intact */
	return json_each_member(f->val[2].buf, f->val[2].len, im->name, "$", 0,
				import_result, im, err);
}

/* plan_hash and list_digest are optional: older exports lack them. */
static const char *const shard_names[] = {
	"index",   "total",     "predicted",   "actual", "host",
	"attempt", "plan_hash", "list_digest", NULL,
};

static int import_shard(void *data, const struct json_member *m,
			struct shard_error *err)
{
	struct importer *im = data;
	struct fields *f = &im->shard;
	struct store_shard sh = { 0 };

	if (read_fields(f, shard_names, m->text, m->text_len, im->name, err))
		return err->code;
	if (!field_is_num(f, 0) || !field_is_num(f, 1))
		return bad(im, "run", im->runs,
			   "shards with an index and total");
	sh.index = (int)f->num[0];
	sh.total = (int)f->num[1];
	sh.has_predicted = field_is_num(f, 2);
	sh.predicted = f->num[2];
	sh.has_actual = field_is_num(f, 3);
	sh.actual = f->num[3];
	sh.host = field_str(f, 4);
	sh.attempt = field_is_num(f, 5) ? (unsigned)f->num[5] : 1;
	sh.plan_hash = field_str(f, 6);
	sh.list_digest = field_str(f, 7);
	return sink_shard(&im->k, &sh);
}

static const char *const run_names[] = {
	"run_key", "started_at", "commit", "branch",
	"ci",      "sources",    "shards", NULL,
};

static int import_run(void *data, const struct json_member *m,
		      struct shard_error *err)
{
	struct importer *im = data;
	struct fields *f = &im->run;
	struct store_run run;
	int r;

	im->runs = (unsigned long)m->index + 1;
	if (read_fields(f, run_names, m->text, m->text_len, im->name, err))
		return err->code;
	if (!field_str(f, 0) || !field_is_num(f, 1) ||
	    f->type[5] != JSON_ARRAY || f->type[6] != JSON_ARRAY)
		return bad(im, "run", im->runs,
			   "run_key, started_at, sources and shards");
	run.run_key = field_str(f, 0);
	run.started_at = f->num[1];
	run.commit = field_str(f, 2);
	run.branch = field_str(f, 3);
	run.ci = field_str(f, 4);
	if ((r = sink_run(&im->k, &run)))
		return r;
	r = json_each_member(f->val[5].buf, f->val[5].len, im->name, "$", 0,
			     import_source, im, err);
	if (!r)
		r = json_each_member(f->val[6].buf, f->val[6].len, im->name,
				     "$", 0, import_shard, im, err);
	return r;
}

static int check_version(const char *text, size_t len, const char *name,
			 struct shard_error *err)
{
	struct strbuf v = STRBUF_INIT;
	long version = 0;
	int r = json_get(text, len, name, "$.shard_history", &v, err);

	if (r < 0)
		return r;
	if (!r || shard_parse_long(v.buf, 0, 1000000, &version) < 0)
		r = shard_error_set(err, SHARD_EINPUT,
				    "%s: not a shard history export (no "
				    "\"shard_history\" version)",
				    name);
	else if (version != HISTORY_JSON_VERSION)
		r = shard_error_set(err, SHARD_EINPUT,
				    "%s: history export version %ld; this "
				    "shard reads version %d",
				    name, version, HISTORY_JSON_VERSION);
	else
		r = 0;
	strbuf_release(&v);
	return r;
}

int history_import(struct store *s, const char *text, size_t len,
		   const char *name, struct history_counts *added,
		   struct shard_error *err)
{
	struct importer im;
	int64_t before = 0;
	int r;

	if (check_version(text, len, name, err) || runs_now(s, &before, err))
		return err->code;
	memset(&im, 0, sizeof(im));
	if ((r = sink_begin(&im.k, s, added, err)))
		return r;
	im.name = name;
	im.err = err;
	r = json_each_member(text, len, name, "$.tests", 0, import_test, &im,
			     err);
	if (!r)
		r = json_each_member(text, len, name, "$.files", 0, import_file,
				     &im, err);
	if (!r)
		r = json_each_member(text, len, name, "$.runs", 0, import_run,
				     &im, err);
	r = sink_end(&im.k, r, before);
	fields_release(&im.test);
	fields_release(&im.file);
	fields_release(&im.run);
	fields_release(&im.source);
	fields_release(&im.result);
	fields_release(&im.shard);
	free(im.samples);
	return r;
}

/* ---- the ETag beside the history ---- */

static char *etag_path(const char *history)
{
	struct strbuf p = STRBUF_INIT;

	strbuf_addf(&p, "%s.etag", history);
	return strbuf_detach(&p, NULL);
}

/* An ETag goes into a request header: printable ASCII, no CR or LF. */
static int etag_valid(const char *s, size_t len)
{
	if (!len || len > 250)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int history_etag_read(const char *history, char **etag, struct shard_error *err)
{
	char *path = etag_path(history), buf[512];
	int fd = open(path, O_RDONLY), r = 0;
	ssize_t n = 0;

	*etag = NULL;
	if (fd < 0) {
		if (errno != ENOENT)
			r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
					    strerror(errno));
		free(path);
		return r;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < 0)
		r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
				    strerror(errno));
	else if (!etag_valid(buf, (size_t)n))
		r = shard_error_set(err, SHARD_EINPUT,
				    "%s: not an ETag; remove the file to push "
				    "as if for the first time",
				    path);
	else
		*etag = xstrndup(buf, (size_t)n);
	free(path);
	return r;
}

int history_etag_write(const char *history, const char *etag,
		       struct shard_error *err)
{
	char *path = etag_path(history);
	struct atomicfile a = { 0 };
	int r = 0;

	if (!etag || !*etag) {
		if (unlink(path) < 0 && errno != ENOENT)
			r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
					    strerror(errno));
	} else if (!etag_valid(etag, strlen(etag))) {
		r = shard_error_set(err, SHARD_EINPUT,
				    "%s: the server sent an ETag that cannot "
				    "be sent back",
				    path);
	} else if (!(r = atomicfile_open(&a, path, NULL, err))) {
		fprintf(a.f, "%s\n", etag);
		if ((r = atomicfile_commit(&a, err)))
			atomicfile_abort(&a);
	}
	free(path);
	return r;
}

/* ---- pull and push ---- */

/* GET the remote history into a new temporary file (*tmp, the caller's). */
static int download(const struct history_remote *rm, char **tmp,
		    struct http_result *res, struct shard_error *err)
{
	struct strbuf p = STRBUF_INIT;
	int fd, r;

	strbuf_addf(&p, "%s/shard-pull-XXXXXX",
		    rm->tmpdir ? rm->tmpdir : "/tmp");
	*tmp = strbuf_detach(&p, NULL);
	if ((fd = mkstemp(*tmp)) < 0) {
		r = shard_error_set(err, SHARD_EENV, "%s: %s", *tmp,
				    strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return r;
	}
	r = http_get(rm->http, rm->url, fd, res, err);
	close(fd);
	return r;
}

/* Merge the downloaded file into the local history (created if missing). */
static int merge_download(const struct history_remote *rm, const char *tmp,
			  struct history_counts *added, struct shard_error *err)
{
	struct store_options remote_opt = { 0, 0, 0 }, local_opt = { 1, 0, 0 };
	struct shard_error why = SHARD_ERROR_INIT;
	struct store *remote = NULL, *local = NULL;
	struct strbuf u = STRBUF_INIT;
	int r;

	if (store_sqlite_open(tmp, &remote_opt, &remote, &why) || !remote) {
		http_redact(rm->url, &u);
		r = shard_error_set(err, SHARD_EENV,
				    "GET %s: not a shard history (%s)", u.buf,
				    why.msg[0] ? why.msg : "empty");
		strbuf_release(&u);
		store_close(remote);
		return r;
	}
	r = store_open(rm->history, &local_opt, &local, err);
	if (!r)
		r = history_merge(remote, local, added, err);
	store_close(local);
	store_close(remote);
	return r;
}

int history_pull(const struct history_remote *rm,
		 struct history_pull_result *out, struct shard_error *err)
{
	struct http_result res;
	char *tmp = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = download(rm, &tmp, &res, err)))
		goto out;
	if (res.status == 404) {
		r = history_etag_write(rm->history, NULL, err);
		goto out;
	}
	if (res.status != 200) {
		r = http_status_error(err, "GET", rm->url, res.status);
		goto out;
	}
	out->found = 1;
	r = merge_download(rm, tmp, &out->added, err);
	if (!r)
		r = history_etag_write(rm->history, res.etag, err);
out:
	if (tmp)
		store_sqlite_remove(tmp);
	free(tmp);
	return r;
}

/* Checkpoint, then PUT the file conditionally on the saved ETag. */
static int put_once(const struct history_remote *rm, struct http_result *res,
		    struct shard_error *err)
{
	struct store_options opt = { 0, 0, 0 };
	struct store *st = NULL;
	char *etag = NULL;
	int fd = -1, r;

	if ((r = store_open(rm->history, &opt, &st, err)))
		return r;
	if (!st)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: no history to push", rm->history);
	r = store_checkpoint(st, err);
	store_close(st);
	if (!r)
		r = history_etag_read(rm->history, &etag, err);
	if (!r && (fd = open(rm->history, O_RDONLY)) < 0)
		r = shard_error_set(err, SHARD_EENV, "%s: %s", rm->history,
				    strerror(errno));
	if (!r)
		r = http_put(rm->http, rm->url, fd, etag, res, err);
	if (fd >= 0)
		close(fd);
	free(etag);
	return r;
}

static void counts_add(struct history_counts *to,
		       const struct history_counts *c)
{
	to->runs += c->runs;
	to->sources += c->sources;
	to->results += c->results;
	to->tests += c->tests;
}

int history_push(const struct history_remote *rm,
		 struct history_push_result *out, struct shard_error *err)
{
	memset(out, 0, sizeof(*out));
	for (;;) {
		struct history_pull_result pulled;
		struct http_result res;
		struct strbuf u = STRBUF_INIT;
		int r = put_once(rm, &res, err);

		if (r)
			return r;
		if (res.status / 100 == 2)
			return history_etag_write(rm->history, res.etag, err);
		if (res.status != 412)
			return http_status_error(err, "PUT", rm->url,
						 res.status);
		if (out->conflicts >= rm->conflicts) {
			http_redact(rm->url, &u);
			r = shard_error_set(err, SHARD_EENV,
					    "PUT %s: HTTP 412: the remote "
					    "history changed again after %u "
					    "merges; giving up",
					    u.buf, out->conflicts);
			strbuf_release(&u);
			return r;
		}
		http_wait(rm->http, ++out->conflicts);
		if ((r = history_pull(rm, &pulled, err)))
			return r;
		counts_add(&out->merged, &pulled.added);
	}
}
