/*
 * Two shards of a run may plan at the same instant: both miss the pin,
 * both plan, one insert wins, and the loser reads the winner's pin and
 * uses it, so that the store decides which plan the run has.
 */
#include "shard/plan/pin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/util/json.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define PIN_VERSION 1

void pin_request_key(const struct pin_request *rq, struct strbuf *out)
{
	strbuf_addf(out, "v%d by=%s", PIN_VERSION, plan_by_name(rq->by));
	if (rq->target > 0)
		strbuf_addf(out, " target=%a max=%zu", rq->target,
			    rq->max_shards);
	else
		strbuf_addf(out, " shards=%zu", rq->shards);
	strbuf_addf(out, " overhead=%a improve=%d", rq->overhead,
		    rq->improve ? 1 : 0);
}

/* ---- encoding ---- */

static void add_double(struct strbuf *sb, const char *name, double v)
{
	strbuf_addf(sb, ",\"%s\":\"%a\"", name, v);
}

void pin_encode(const struct plan *p, const struct partition_list *l,
		const struct weights *w, struct strbuf *assignment,
		struct strbuf *meta)
{
	uint32_t *shard_of = xmalloc((l->n ? l->n : 1) * sizeof(*shard_of));

	for (size_t s = 0; s < p->nshards; s++)
		for (size_t q = 0; q < p->shards[s].nr; q++)
			shard_of[p->shards[s].tests[q]] = (uint32_t)s;
	for (size_t pos = 0; pos < l->n; pos++)
		strbuf_add_uleb128(assignment, shard_of[l->order[pos]]);
	free(shard_of);
	strbuf_addf(meta, "{\"version\":%d,\"shards\":%zu,\"items\":%zu",
		    PIN_VERSION, p->nshards, p->items);
	add_double(meta, "lower_bound", p->lower_bound);
	add_double(meta, "makespan", p->makespan);
	add_double(meta, "overhead", p->overhead);
	add_double(meta, "total", p->total);
	add_double(meta, "longest", p->longest);
	strbuf_addstr(meta, ",\"seconds\":[");
	for (size_t s = 0; s < p->nshards; s++)
		strbuf_addf(meta, "%s\"%a\"", s ? "," : "",
			    p->shards[s].seconds);
	strbuf_addstr(meta, "],\"estimates\":[");
	for (int s = 0; s < WEIGH__COUNT; s++)
		strbuf_addf(meta, "%s%zu", s ? "," : "", w->count[s]);
	strbuf_addf(meta, "],\"equal\":%d}", w->equal ? 1 : 0);
}

/* ---- decoding ---- */

struct meta_reader {
	struct plan *p;
	struct weights *w;
	size_t i;
};

static int bad_meta(struct shard_error *err, const char *what)
{
	return shard_error_set(err, SHARD_EINPUT,
			       "a pinned plan in the "
			       "history is damaged (%s): remove it with "
			       "shard history prune, or plan with another "
			       "run id",
			       what);
}

static int take_seconds(void *data, const struct json_member *m,
			struct shard_error *err)
{
	struct meta_reader *r = data;
	struct strbuf v = STRBUF_INIT;
	int bad;

	if (m->type != JSON_TEXT || r->i >= r->p->nshards)
		return bad_meta(err, "shard seconds");
	strbuf_add(&v, m->text, m->text_len);
	bad = shard_parse_double(v.buf, &r->p->shards[r->i++].seconds);
	strbuf_release(&v);
	return bad ? bad_meta(err, "shard seconds") : 0;
}

static int take_count(void *data, const struct json_member *m,
		      struct shard_error *err)
{
	struct meta_reader *r = data;

	if (m->type != JSON_INTEGER || m->number < 0 || r->i >= WEIGH__COUNT)
		return bad_meta(err, "estimates");
	r->w->count[r->i++] = (size_t)m->number;
	return 0;
}

static int get_number(const struct strbuf *meta, const char *path, double *out,
		      struct shard_error *err)
{
	struct strbuf v = STRBUF_INIT;
	int r = json_get(meta->buf, meta->len, "pinned plan", path, &v, err);

	if (r == 1)
		r = shard_parse_double(v.buf, out) ? -1 : 0;
	else if (r == 0)
		r = -1;
	strbuf_release(&v);
	return r < 0 ? bad_meta(err, path + 2) : 0;
}

static int read_figures(const struct strbuf *meta, struct plan *p,
			struct weights *w, struct shard_error *err)
{
	struct meta_reader r = { p, w, 0 };
	double items = 0, equal = 0;

	if (get_number(meta, "$.lower_bound", &p->lower_bound, err) ||
	    get_number(meta, "$.makespan", &p->makespan, err) ||
	    get_number(meta, "$.overhead", &p->overhead, err) ||
	    get_number(meta, "$.total", &p->total, err) ||
	    get_number(meta, "$.longest", &p->longest, err) ||
	    get_number(meta, "$.items", &items, err) ||
	    get_number(meta, "$.equal", &equal, err))
		return err->code;
	p->items = (size_t)items;
	w->equal = equal != 0;
	if (json_each_member(meta->buf, meta->len, "pinned plan", "$.seconds",
			     0, take_seconds, &r, err))
		return err->code;
	if (r.i != p->nshards)
		return bad_meta(err, "shard seconds");
	r.i = 0;
	return json_each_member(meta->buf, meta->len, "pinned plan",
				"$.estimates", 0, take_count, &r, err);
}

/* The shard of each listed id, by list index. */
static int read_assignment(const struct strbuf *a,
			   const struct partition_list *l, size_t k,
			   uint32_t *shard_of, struct shard_error *err)
{
	size_t at = 0;

	for (size_t pos = 0; pos < l->n; pos++) {
		uint64_t v;

		if (strbuf_read_uleb128(a->buf, a->len, &at, &v) || v >= k)
			return bad_meta(err, "assignment");
		shard_of[l->order[pos]] = (uint32_t)v;
	}
	return at == a->len ? 0 : bad_meta(err, "assignment");
}

int pin_decode(const struct strbuf *assignment, const struct strbuf *meta,
	       const char *plan_hash, const struct partition_list *l,
	       struct plan *out, struct weights *w, struct shard_error *err)
{
	uint32_t *shard_of = xmalloc((l->n ? l->n : 1) * sizeof(*shard_of));
	double k = 0;
	int r;

	memset(out, 0, sizeof(*out));
	memset(w, 0, sizeof(*w));
	r = get_number(meta, "$.shards", &k, err);
	if (!r && (k < 1 || k > 1e7))
		r = bad_meta(err, "shards");
	if (!r)
		r = read_assignment(assignment, l, (size_t)k, shard_of, err);
	if (!r)
		r = plan_assign(l->ids, l->lens, l->n, shard_of, (size_t)k, out,
				err);
	free(shard_of);
	if (!r)
		r = read_figures(meta, out, w, err);
	if (!r && strcmp(out->hash, plan_hash))
		r = bad_meta(err, "its hash does not match its tests");
	if (r) {
		plan_release(out);
		memset(w, 0, sizeof(*w));
	}
	return r;
}

/* ---- planning for a run ---- */

static void pin_key(const struct pin_request *rq, const struct strbuf *req,
		    struct store_pin *key)
{
	memset(key, 0, sizeof(*key));
	key->run = rq->run;
	key->list_digest = rq->list->digest;
	key->request = req->buf;
}

/* 1 when the run's pin was found and used, 0 when none, or an error. */
static int use_pin(struct store *st, const struct pin_request *rq,
		   const struct strbuf *req, struct pin_plan *out,
		   struct shard_error *err)
{
	struct strbuf assignment = STRBUF_INIT, meta = STRBUF_INIT;
	struct store_pin key;
	char hash[65];
	int found = 0, r;

	pin_key(rq, req, &key);
	r = store_get_pin(st, &key, hash, &assignment, &meta, &found, err);
	if (!r && found) {
		plan_release(&out->plan);
		weigh_release(&out->w);
		r = pin_decode(&assignment, &meta, hash, rq->list, &out->plan,
			       &out->w, err);
		out->pinned = !r;
	}
	strbuf_release(&assignment);
	strbuf_release(&meta);
	return r ? r : found;
}

static int make_plan(struct store *st, const struct pin_request *rq,
		     struct pin_plan *out, struct shard_error *err)
{
	const struct partition_list *l = rq->list;
	struct plan_request req = {
		l->ids,
		NULL,
		l->n,
		rq->by,
		rq->shards ? rq->shards : 1,
		rq->overhead,
		rq->improve,
		weigh_group_overhead,
		&out->w,
		l->lens,
	};
	size_t k;

	if (weigh_tests(st, l->ids, l->n, &out->w, err))
		return err->code;
	req.seconds = out->w.seconds;
	if (rq->target > 0) {
		if (plan_choose_shards(&req, rq->target, rq->max_shards, &k,
				       &out->too_long, err))
			return err->code;
		req.shards = k;
	}
	return plan_make(&req, &out->plan, err);
}

/* Store the plan made here; a pin another process stored first wins. */
static int pin_it(struct store *st, const struct pin_request *rq,
		  const struct strbuf *req, struct pin_plan *out,
		  const struct shard_ctx *ctx, struct shard_error *err)
{
	struct strbuf assignment = STRBUF_INIT, meta = STRBUF_INIT;
	struct shard_error e = SHARD_ERROR_INIT;
	struct store_pin pin;
	int inserted = 0, r = 0;

	pin_key(rq, req, &pin);
	pin_encode(&out->plan, rq->list, &out->w, &assignment, &meta);
	pin.created_at = shard_now(ctx);
	pin.plan_hash = out->plan.hash;
	pin.assignment = assignment.buf;
	pin.assignment_len = assignment.len;
	pin.meta = meta.buf;
	if (store_put_pin(st, &pin, &inserted, &e))
		shard_warn(ctx,
			   "cannot pin the plan of run %s in the history "
			   "(%s): if its shards plan from histories that "
			   "differ, merging their reports will refuse them",
			   rq->run, e.msg);
	else if (!inserted && (r = use_pin(st, rq, req, out, err)) == 0)
		r = shard_error_set(err, SHARD_EENV,
				    "the pinned plan of run "
				    "%s vanished while it was read",
				    rq->run);
	strbuf_release(&assignment);
	strbuf_release(&meta);
	return r < 0 ? r : 0;
}

int pin_plan_make(struct store *st, const struct pin_request *rq,
		  struct pin_plan *out, const struct shard_ctx *ctx,
		  struct shard_error *err)
{
	struct strbuf req = STRBUF_INIT;
	int pinning = rq->run && st;
	int r = 0;

	memset(out, 0, sizeof(*out));
	pin_request_key(rq, &req);
	if (pinning) {
		partition_list_sort(rq->list);
		r = use_pin(st, rq, &req, out, err);
	}
	if (r == 0)
		r = make_plan(st, rq, out, err);
	if (r == 0 && pinning)
		r = pin_it(st, rq, &req, out, ctx, err);
	strbuf_release(&req);
	return r < 0 ? r : 0;
}

void pin_plan_release(struct pin_plan *p)
{
	plan_release(&p->plan);
	weigh_release(&p->w);
	memset(p, 0, sizeof(*p));
}
