/*
 * A JSON export merged into a history (history_import), through the
 * merge's sink (histmerge.h). The JSON is read through the json module
 * (SQLite's JSON functions), so this file has no parser of its own.
 */
#include "shard/store/history.h"

#include <stdlib.h>
#include <string.h>

#include "shard/store/histmerge.h"
#include "shard/util/json.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

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
	struct history_sink k;
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
	return history_sink_test(&im->k, &t);
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
	return history_sink_file(&im->k, &sf);
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
	return history_sink_result(&im->k, &r);
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
	if ((r = history_sink_source(&im->k, field_str(f, 0),
				     field_str(f, 1))) ||
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
	return history_sink_shard(&im->k, &sh);
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
	if ((r = history_sink_run(&im->k, &run)))
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
	int r;

	if (check_version(text, len, name, err))
		return err->code;
	memset(&im, 0, sizeof(im));
	if ((r = history_sink_begin(&im.k, s, added, err)))
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
	r = history_sink_end(&im.k, r);
	fields_release(&im.test);
	fields_release(&im.file);
	fields_release(&im.run);
	fields_release(&im.source);
	fields_release(&im.result);
	fields_release(&im.shard);
	free(im.samples);
	return r;
}
