/*
 * Writers stream straight to the FILE, except that a large plan's JSON is
 * rendered in two halves on two threads: the second half waits in memory
 * while the first is written. Numbers are printed with a fixed precision
 * in the C locale, so the output is byte-identical on every machine.
 */
#define _GNU_SOURCE /* memmem */
#include "shard/plan/planfile.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shard/util/digest.h"
#include "shard/util/json.h"
#include "shard/util/quote.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

static const char *const format_names[] = {
	[PLANFILE_JSON] = "json",
	[PLANFILE_LIST] = "list",
	[PLANFILE_NULL] = "null",
	[PLANFILE_GITHUB_MATRIX] = "github-matrix",
};

int planfile_format_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names);
	     i++)
		if (!strcmp(name, format_names[i]))
			return (int)i;
	return -1;
}

static void write_estimates(struct strbuf *b, const struct weights *w)
{
	strbuf_addstr(b, ",\"estimates\":{");
	for (int s = 0; s < WEIGH__COUNT; s++)
		strbuf_addf(b, "%s\"%s\":%zu", s ? "," : "",
			    weigh_source_name((enum weigh_source)s),
			    w->count[s]);
	strbuf_addch(b, '}');
}

static int flush(FILE *f, struct strbuf *b)
{
	size_t n = b->len;
	int r = n && fwrite(b->buf, 1, n, f) != n ? -1 : 0;

	strbuf_reset(b);
	return r;
}

static void write_head(struct strbuf *b, const struct plan *p,
		       const struct planfile_meta *meta)
{
	strbuf_addf(b,
		    "{\"version\":1,\"plan_hash\":\"%s\","
		    "\"lower_bound_seconds\":%.6f,"
		    "\"predicted_makespan_seconds\":%.6f,"
		    "\"shard_overhead_seconds\":%.6f,\"by\":\"%s\"",
		    p->hash, p->lower_bound, p->makespan, p->overhead,
		    meta && meta->by ? meta->by : "test");
	if (meta && meta->weights) {
		write_estimates(b, meta->weights);
		if (meta->weights->equal)
			strbuf_addstr(b, ",\"warning\":\"no history for "
					 "these tests: all weighted equally\"");
	}
	strbuf_addstr(b, ",\"shards\":[");
}

/*
 * The JSON of shards [from, to): with f, written out in pieces of about
 * 64 KiB (r set on a write error); without, kept whole in text.
 */
struct json_part {
	FILE *f;
	const struct plan *p;
	const char *const *ids;
	size_t from, to;
	struct strbuf text;
	int r;
};

static void *render_shards(void *data)
{
	struct json_part *t = data;
	const struct plan *p = t->p;

	for (size_t s = t->from; s < t->to && !t->r; s++) {
		const struct plan_shard *sh = &p->shards[s];

		strbuf_addf(&t->text, "%s\n{\"index\":%zu,\"tests\":[",
			    s ? "," : "", s);
		for (size_t q = 0; q < sh->nr && !t->r; q++) {
			size_t i = sh->tests[q];

			plan_prefetch(p, t->ids, sh, q);
			if (q)
				strbuf_addch(&t->text, ',');
			json_add_string(&t->text, t->ids[i],
					p->lens ? p->lens[i]
						: strlen(t->ids[i]));
			if (t->f && t->text.len > 65536)
				t->r = flush(t->f, &t->text);
		}
		strbuf_addf(&t->text, "],\"predicted_seconds\":%.6f}",
			    sh->seconds + p->overhead);
	}
	return NULL;
}

static int write_json(FILE *f, const struct plan *p, const char *const *ids,
		      const struct planfile_meta *meta)
{
	size_t total, mid = plan_halfway(p, &total);
	struct json_part first = { f, p, ids, 0, mid, STRBUF_INIT, 0 };
	struct json_part second = { NULL,       p,           ids, mid,
				    p->nshards, STRBUF_INIT, 0 };
	pthread_t helper;
	int threaded = total >= PLAN_THREAD_MIN_IDS &&
		       !pthread_create(&helper, NULL, render_shards, &second);
	int r;

	write_head(&first.text, p, meta);
	if (!threaded)
		first.to = p->nshards; /* one part streams them all */
	render_shards(&first);
	if (threaded)
		pthread_join(helper, NULL);
	strbuf_addstr(&second.text, "]}\n");
	r = first.r;
	if (!r)
		r = flush(f, &first.text);
	if (!r)
		r = flush(f, &second.text);
	strbuf_release(&first.text);
	strbuf_release(&second.text);
	return r;
}

static int write_ids(FILE *f, const struct plan *p, const char *const *ids,
		     size_t index, char sep)
{
	const struct plan_shard *sh = &p->shards[index];

	for (size_t q = 0; q < sh->nr; q++)
		if (fputs(ids[sh->tests[q]], f) == EOF || putc(sep, f) == EOF)
			return -1;
	return 0;
}

static int write_matrix(FILE *f, const struct plan *p)
{
	if (fputs("matrix={\"include\":[", f) == EOF)
		return -1;
	for (size_t s = 0; s < p->nshards; s++)
		if (fprintf(f, "%s{\"index\":%zu,\"predicted_seconds\":%.3f}",
			    s ? "," : "", s,
			    p->shards[s].seconds + p->overhead) < 0)
			return -1;
	return fputs("]}\n", f) == EOF ? -1 : 0;
}

int planfile_write(FILE *f, enum planfile_format fmt, const struct plan *p,
		   const char *const *ids, size_t index,
		   const struct planfile_meta *meta)
{
	switch (fmt) {
	case PLANFILE_JSON:
		return write_json(f, p, ids, meta);
	case PLANFILE_LIST:
		return write_ids(f, p, ids, index, '\n');
	case PLANFILE_NULL:
		return write_ids(f, p, ids, index, '\0');
	case PLANFILE_GITHUB_MATRIX:
		return write_matrix(f, p);
	}
	return -1;
}

struct plan_reader {
	struct planfile *p;
	const char *name;
	struct digest *d;
	const char *text; /* the whole file, to locate ids in messages */
	size_t len;
};

/*
 * "name:line: shard S, test T" for a test of the shard being read. SQLite
 * gives the decoded string and no position, so the line is where the id
 * is spelt as shard writes it (json_add_string), its nth spelling
 * from 0; a file that spells it otherwise is named without a line.
 */
static void test_where(const struct plan_reader *r, const struct json_member *m,
		       int nth, struct strbuf *out)
{
	struct strbuf q = STRBUF_INIT;
	const char *at;
	size_t from = 0;

	json_add_string(&q, m->text, m->text_len);
	while ((at = memmem(r->text + from, r->len - from, q.buf, q.len)) &&
	       nth--)
		from = (size_t)(at - r->text) + 1;
	strbuf_addstr(out, r->name);
	if (at)
		strbuf_addf(out, ":%lu",
			    json_line_of(r->text, (size_t)(at - r->text)));
	strbuf_addf(out, ": shard %zu, test %ld", r->p->nshards - 1, m->index);
	strbuf_release(&q);
}

/*
 * Ids from a plan file (perhaps an artifact of another job) are held to
 * the rule of lists: printable UTF-8, each in one shard only.
 */
static int take_test(void *data, const struct json_member *m,
		     struct shard_error *err)
{
	struct plan_reader *r = data;
	struct strbuf where = STRBUF_INIT, shown = STRBUF_INIT;
	size_t bad;
	int rc = 0;

	if (m->type != JSON_TEXT)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: shard %zu: test %ld is not a "
				       "string",
				       r->name, r->p->nshards - 1, m->index);
	bad = testlist_id_check(m->text, m->text_len);
	if (bad < m->text_len) {
		test_where(r, m, 0, &where);
		rc = testlist_id_error(err, where.buf, m->text, m->text_len,
				       bad);
	} else if (!testlist_add(&r->p->tests, m->text, m->text_len)) {
		test_where(r, m, 1, &where);
		quote_add_cut(&shown, m->text, m->text_len, 120);
		rc = shard_error_set(err, SHARD_EINPUT,
				     "%s: test '%s' is "
				     "listed twice",
				     where.buf, shown.buf);
	} else {
		plan_hash_id(r->d, m->text, m->text_len);
	}
	strbuf_release(&where);
	strbuf_release(&shown);
	return rc;
}

static int take_shard(void *data, const struct json_member *m,
		      struct shard_error *err)
{
	struct plan_reader *r = data;
	struct planfile *p = r->p;
	struct strbuf v = STRBUF_INIT;
	double seconds = 0;
	long index = -1;
	int rc;

	if (m->type != JSON_OBJECT)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: shard %ld is "
				       "not an object",
				       r->name, m->index);
	rc = json_get(m->text, m->text_len, r->name, "$.index", &v, err);
	if (rc < 0 || shard_parse_long(v.buf, 0, 1000000, &index) ||
	    (size_t)index != p->nshards) {
		strbuf_release(&v);
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: shard %ld has "
				       "no index %ld",
				       r->name, m->index, m->index);
	}
	strbuf_reset(&v);
	if (json_get(m->text, m->text_len, r->name, "$.predicted_seconds", &v,
		     err) == 1)
		shard_parse_double(v.buf, &seconds);
	strbuf_release(&v);
	p->first = xrealloc(p->first, (p->nshards + 1) * sizeof(*p->first));
	p->predicted = xrealloc(p->predicted,
				(p->nshards + 1) * sizeof(*p->predicted));
	p->first[p->nshards] = p->tests.nr;
	p->predicted[p->nshards] = seconds;
	plan_hash_shard(r->d, p->nshards);
	p->nshards++;
	return json_each_member(m->text, m->text_len, r->name, "$.tests", 0,
				take_test, r, err);
}

int planfile_read(const char *text, size_t len, const char *name,
		  struct planfile *p, struct shard_error *err)
{
	struct plan_reader r = { p, name, digest_new(), text, len };
	struct strbuf v = STRBUF_INIT;
	int rc;

	memset(p, 0, sizeof(*p));
	testlist_init(&p->tests);
	rc = json_get(text, len, name, "$.version", &v, err);
	if (rc >= 0 && strcmp(v.buf, "1"))
		rc = shard_error_set(err, SHARD_EINPUT,
				     "%s: not a version 1 "
				     "shard plan",
				     name);
	if (rc >= 0)
		rc = json_each_member(text, len, name, "$.shards", 0,
				      take_shard, &r, err);
	digest_final_hex(r.d, p->hash);
	strbuf_reset(&v);
	if (rc >= 0 &&
	    (json_get(text, len, name, "$.plan_hash", &v, err) != 1 ||
	     strcmp(v.buf, p->hash)))
		rc = shard_error_set(err, SHARD_EINPUT,
				     "%s: plan_hash does "
				     "not match the plan's shards: the file "
				     "was edited or cut short",
				     name);
	strbuf_release(&v);
	return rc < 0 ? rc : 0;
}

void planfile_release(struct planfile *p)
{
	testlist_release(&p->tests);
	free(p->first);
	free(p->predicted);
	memset(p, 0, sizeof(*p));
}
