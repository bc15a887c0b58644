/*
 * Every statement is parameterised; arrays travel as PostgreSQL array
 * literals built here (each element quoted), so a batch is claimed or
 * completed in a constant number of round trips.
 */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

#define SCAN_LIMIT "2000"

struct queue {
	struct pg_target target;
	struct pgconn *c;
	char *run_id, *worker;
	char lease[32];
};

/* Idempotent steps; schema_current() looks for the last one's effect:
 * move it along when adding a step. */
static const char *const schema_sql[] = {
	"CREATE TABLE IF NOT EXISTS shard_queue_run("
	" run_id text PRIMARY KEY, attempt int NOT NULL,"
	" total int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
	"CREATE TABLE IF NOT EXISTS shard_queue("
	" run_id text NOT NULL, pos int NOT NULL, test_id text NOT NULL,"
	" estimate double precision NOT NULL,"
	" state text NOT NULL DEFAULT 'pending',"
	" worker text, batch bigint, lease_until timestamptz,"
	" attempts int NOT NULL DEFAULT 0, requeued int NOT NULL DEFAULT 0,"
	" outcome text, seconds double precision, suite text, xml text,"
	" PRIMARY KEY(run_id, pos))",
	"CREATE INDEX IF NOT EXISTS shard_queue_open ON shard_queue(run_id, pos)"
	" WHERE state IN ('pending', 'claimed')",
	"CREATE TABLE IF NOT EXISTS shard_queue_worker("
	" run_id text NOT NULL, worker text NOT NULL,"
	" started_at timestamptz NOT NULL DEFAULT now(),"
	" last_seen timestamptz NOT NULL DEFAULT now(),"
	" batches int NOT NULL DEFAULT 0, tests int NOT NULL DEFAULT 0,"
	" failed int NOT NULL DEFAULT 0, PRIMARY KEY(run_id, worker))",
	"CREATE SEQUENCE IF NOT EXISTS shard_queue_batch",
	/* the least per-invocation overhead the worker measured */
	"ALTER TABLE shard_queue_worker ADD COLUMN IF NOT EXISTS overhead"
	" double precision",
};

static int exec0(struct queue *q, const char *sql, struct shard_error *err)
{
	return pgconn_exec(q->c, sql, 0, NULL, NULL, NULL, err);
}

/* Run sql in a transaction; roll back on failure. */
static int in_tx(struct queue *q, int (*fn)(struct queue *, void *,
					   struct shard_error *),
		 void *data, struct shard_error *err)
{
	int r = exec0(q, "BEGIN", err);

	if (!r)
		r = fn(q, data, err);
	if (!r)
		return exec0(q, "COMMIT", err);
	exec0(q, "ROLLBACK", NULL);
	return r;
}

static int make_schema(struct queue *q, void *data, struct shard_error *err)
{
	(void)data;
	if (exec0(q, "SELECT pg_advisory_xact_lock(7346297431)", err))
		return err->code;
	for (size_t i = 0; i < sizeof(schema_sql) / sizeof(*schema_sql); i++)
		if (exec0(q, schema_sql[i], err))
			return err->code;
	return 0;
}

static int got_long(void *data, int ncols, const char *const *v)
{
	long *out = data;

	if (ncols > 0 && v[0] && shard_parse_long(v[0], -1, 1L << 30, out))
		*out = -1;
	return 0;
}

/*
 * Whether the schema's last step (schema_sql's) is in place: then every
 * worker after the first skips the DDL and the lock that serialises it.
 */
static int schema_current(struct queue *q, long *current,
			  struct shard_error *err)
{
	*current = 0;
	return pgconn_exec(q->c, "SELECT count(*) FROM pg_attribute WHERE"
			   " attrelid = to_regclass('shard_queue_worker') AND"
			   " attname = 'overhead' AND NOT attisdropped", 0,
			   NULL, got_long, current, err);
}

int queue_open(struct queue **out, const char *url, const char *run_id,
	       const char *worker, double lease_seconds,
	       struct shard_error *err)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	long current = 0;
	int r;

	*out = NULL;
	if ((r = pg_target_parse(url, &q->target, err))) {
		free(q);
		return r;
	}
	q->run_id = xstrdup(run_id);
	q->worker = xstrdup(worker);
	snprintf(q->lease, sizeof(q->lease), "%.3f", lease_seconds);
	r = pgconn_open(&q->c, &q->target, NULL, err);
	if (!r && !(r = schema_current(q, &current, err)) && !current)
		r = in_tx(q, make_schema, NULL, err);
	if (r) {
		queue_close(q);
		return r;
	}
	*out = q;
	return 0;
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	pgconn_close(q->c);
	pg_target_release(&q->target);
	free(q->run_id);
	free(q->worker);
	free(q);
}

/* PostgreSQL array literals: "{\"a\",\"b\"}", NULL unquoted. */
static void array_start(struct strbuf *a)
{
	strbuf_reset(a);
	strbuf_addch(a, '{');
}

static void array_add(struct strbuf *a, const char *s)
{
	if (a->len > 1)
		strbuf_addch(a, ',');
	if (!s) {
		strbuf_addstr(a, "NULL");
		return;
	}
	strbuf_addch(a, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addch(a, '\\');
		strbuf_addch(a, *s);
	}
	strbuf_addch(a, '"');
}

static void array_end(struct strbuf *a)
{
	strbuf_addch(a, '}');
}

static void array_add_num(struct strbuf *a, double v)
{
	char num[64];

	snprintf(num, sizeof(num), "%.17g", v);
	array_add(a, num);
}

/* ---- seeding ---- */

struct seed {
	struct queue_seed_list list;  /* filled by load when seeding */
	int (*load)(void *data, struct queue_seed_list *out,
		    struct shard_error *err);
	void *data;
	long attempt;
	int *seeded;
	size_t *total;
	long found;           /* the run's attempt, -1 when absent */
	int again;            /* another worker held the lock: look again */
};

struct seed_item {
	double seconds;
	const char *id;
};

/* Longest first, then by id: the same order on every worker. */
static int seed_cmp(const void *a, const void *b)
{
	const struct seed_item *x = a, *y = b;

	if (x->seconds != y->seconds)
		return x->seconds > y->seconds ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Insert the tests longest first, 10,000 rows a statement. */
static int insert_tests(struct queue *q, const struct seed *s,
			struct shard_error *err)
{
	const struct queue_seed_list *l = &s->list;
	struct seed_item *order = xmalloc((l->n ? l->n : 1) * sizeof(*order));
	struct strbuf ids = STRBUF_INIT, secs = STRBUF_INIT;
	char base[32];
	int r = 0;

	for (size_t i = 0; i < l->n; i++) {
		order[i].seconds = l->seconds[i];
		order[i].id = l->ids[i];
	}
	qsort(order, l->n, sizeof(*order), seed_cmp);
	for (size_t from = 0; !r && from < l->n; from += 10000) {
		size_t to = from + 10000 < l->n ? from + 10000 : l->n;
		const char *p[4] = { q->run_id, base, NULL, NULL };

		array_start(&ids);
		array_start(&secs);
		for (size_t k = from; k < to; k++) {
			array_add(&ids, order[k].id);
			array_add_num(&secs, order[k].seconds);
		}
		array_end(&ids);
		array_end(&secs);
		snprintf(base, sizeof(base), "%zu", from);
		p[2] = ids.buf;
		p[3] = secs.buf;
		r = pgconn_exec(q->c, "INSERT INTO shard_queue(run_id, pos,"
				" test_id, estimate) SELECT $1, $2::int +"
				" t.ord::int - 1, t.id, t.est FROM"
				" unnest($3::text[], $4::float8[]) WITH"
				" ORDINALITY AS t(id, est, ord)", 4, p, NULL,
				NULL, err);
	}
	free(order);
	strbuf_release(&ids);
	strbuf_release(&secs);
	return r;
}

#define SEED_LOCK "hashtext('shard_queue:' || $1)"
#define JOINED " ON CONFLICT(run_id, worker) DO UPDATE SET last_seen = now()"

/*
 * Under the run's advisory lock, seed the run or put an older attempt's
 * tests back, then join. The lock is only tried: when another worker
 * holds it (seeding), this one waits for it in shared mode, which every
 * waiter is granted at once when the seeder commits, and leaves with
 * s->again set to look again without a lock.
 */
static int seed_tx(struct queue *q, void *data, struct shard_error *err)
{
	struct seed *s = data;
	char attempt[32], total[32];
	const char *p[3] = { q->run_id, attempt, total };
	const char *w[2] = { q->run_id, q->worker };
	long got = 0;

	snprintf(attempt, sizeof(attempt), "%ld", s->attempt);
	s->found = -1;
	s->again = 0;
	if (pgconn_exec(q->c, "SELECT pg_try_advisory_xact_lock(" SEED_LOCK
			")::int", 1, p, got_long, &got, err))
		return err->code;
	if (got != 1) {
		s->again = 1;
		return pgconn_exec(q->c, "SELECT pg_advisory_xact_lock_shared("
				   SEED_LOCK ")", 1, p, NULL, NULL, err);
	}
	if (pgconn_exec(q->c, "SELECT attempt FROM shard_queue_run WHERE"
			" run_id = $1", 1, p, got_long, &s->found, err))
		return err->code;
	if (s->found < 0) {
		*s->seeded = 1;
		if (s->load(s->data, &s->list, err))
			return err->code;
		*s->total = s->list.n;
		snprintf(total, sizeof(total), "%zu", s->list.n);
		if (pgconn_exec(q->c, "INSERT INTO shard_queue_run(run_id,"
				" attempt, total) VALUES($1, $2, $3)", 3, p,
				NULL, NULL, err) ||
		    insert_tests(q, s, err))
			return err->code;
	} else if (s->found < s->attempt &&
		   (pgconn_exec(q->c, "UPDATE shard_queue SET state ="
				" 'pending', worker = NULL, batch = NULL,"
				" lease_until = NULL WHERE run_id = $1 AND"
				" state IN ('failed', 'claimed')", 1, p, NULL,
				NULL, err) ||
		    pgconn_exec(q->c, "UPDATE shard_queue_run SET attempt = $2"
				" WHERE run_id = $1", 2, p, NULL, NULL, err)))
		return err->code;
	return pgconn_exec(q->c, "INSERT INTO shard_queue_worker(run_id,"
			   " worker) VALUES($1, $2)" JOINED, 2, w, NULL, NULL,
			   err);
}

int queue_seed(struct queue *q, long attempt,
	       int (*load)(void *data, struct queue_seed_list *out,
			   struct shard_error *err),
	       void *data, int *seeded, size_t *total,
	       struct shard_error *err)
{
	struct seed s = { { NULL, NULL, 0 }, load, data, attempt, seeded,
			  total, -1, 0 };
	char num[32];
	const char *p[3] = { q->run_id, q->worker, num };

	*seeded = 0;
	*total = 0;
	snprintf(num, sizeof(num), "%ld", attempt);
	do {
		long found = -1;

		/* a run already seeded for this attempt is joined without
		 * its lock, so that the workers do not queue for it */
		if (pgconn_exec(q->c, "WITH r AS (SELECT attempt FROM"
				" shard_queue_run WHERE run_id = $1 AND attempt"
				" >= $3::int), j AS (INSERT INTO"
				" shard_queue_worker(run_id, worker) SELECT $1,"
				" $2 FROM r" JOINED ") SELECT attempt FROM r",
				3, p, got_long, &found, err))
			return err->code;
		if (found >= 0)
			return 0;
		if (in_tx(q, seed_tx, &s, err))
			return err->code;
	} while (s.again);
	return 0;
}

/* ---- claims ---- */

struct scan {
	double sum;
	struct queue_batch *b;
	size_t alloc;
};

/* A claimed row: pos, test_id, estimate, batch. */
static int claimed_row(void *data, int ncols, const char *const *v)
{
	struct scan *s = data;
	struct queue_batch *b = s->b;
	long pos = 0;
	double est = 0;
	char *end;

	if (ncols < 4 || !v[0] || !v[1] || !v[3] ||
	    shard_parse_long(v[0], 0, INT32_MAX, &pos) ||
	    shard_parse_double(v[2] ? v[2] : "0", &est))
		return 0;
	if (b->n + 1 > s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 64;
		b->pos = xrealloc(b->pos, s->alloc * sizeof(*b->pos));
		b->ids = xrealloc(b->ids, s->alloc * sizeof(*b->ids));
	}
	b->pos[b->n] = (int32_t)pos;
	b->ids[b->n++] = xstrdup(v[1]);
	b->id = strtoll(v[3], &end, 10);
	s->sum += est;
	return 0;
}

/*
 * One statement, so one round trip and no transaction held open: the
 * open rows in order with the estimate before each (read without
 * locks); how many of them fit the target (the first row always); that
 * many of them, in order, locked with SKIP LOCKED (a row another worker
 * claimed meanwhile is re-checked by PostgreSQL and dropped, one it is
 * claiming is skipped, and the next rows are taken instead: workers
 * claiming at the same instant get consecutive batches rather than
 * nothing); then claimed under a new batch id.
 */
#define OPEN_ROW \
	"(state = 'pending' OR (state = 'claimed' AND lease_until < now()))"
/* The row sets are materialised and matched by position arrays, so that
 * the plan does not hinge on statistics, which a fresh run lacks (a
 * nested loop over the candidates took seconds a claim). */
#define CLAIM_SQL \
	"WITH cand AS MATERIALIZED (SELECT pos, sum(estimate) OVER (ORDER" \
	" BY pos ROWS UNBOUNDED PRECEDING) AS upto, row_number() OVER" \
	" (ORDER BY pos) AS rn FROM shard_queue WHERE run_id = $1 AND" \
	" " OPEN_ROW " ORDER BY pos LIMIT " SCAN_LIMIT "), pick AS" \
	" MATERIALIZED (SELECT pos FROM shard_queue WHERE run_id = $1 AND" \
	" pos = ANY(ARRAY(SELECT pos FROM cand)) AND " OPEN_ROW " ORDER BY" \
	" pos LIMIT (SELECT count(*) FROM cand WHERE upto <= $4::float8 OR" \
	" rn = 1) FOR UPDATE SKIP LOCKED)," \
	" b AS (SELECT nextval('shard_queue_batch') AS id), up AS (UPDATE" \
	" shard_queue s SET requeued = s.requeued + (s.state =" \
	" 'claimed')::int, state = 'claimed', worker = $2, batch = b.id," \
	" lease_until = now() + ($3 || ' seconds')::interval, attempts =" \
	" s.attempts + 1 FROM b WHERE s.run_id = $1 AND s.pos =" \
	" ANY(ARRAY(SELECT pos FROM pick)) RETURNING s.pos, s.test_id," \
	" s.estimate, s.batch), w AS (UPDATE shard_queue_worker SET" \
	" last_seen = now(), batches = batches + (SELECT (count(*) >" \
	" 0)::int FROM up) WHERE run_id = $1 AND worker = $2) SELECT pos," \
	" test_id, estimate, batch FROM up ORDER BY pos"

int queue_claim(struct queue *q, double target, struct queue_batch *b,
		struct shard_error *err)
{
	struct scan s = { 0, b, 0 };
	char tgt[64];
	const char *p[4] = { q->run_id, q->worker, q->lease, tgt };
	int r;

	memset(b, 0, sizeof(*b));
	snprintf(tgt, sizeof(tgt), "%.17g", target);
	r = pgconn_exec(q->c, CLAIM_SQL, 4, p, claimed_row, &s, err);
	b->seconds = s.sum;
	if (r)
		queue_batch_release(b);
	return r;
}

void queue_batch_release(struct queue_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->ids[i]);
	free(b->ids);
	free(b->pos);
	memset(b, 0, sizeof(*b));
}

int queue_heartbeat(struct queue *q, const struct queue_batch *b,
		    struct shard_error *err)
{
	char batch[32];
	const char *p[4] = { q->run_id, q->worker, batch, q->lease };

	snprintf(batch, sizeof(batch), "%lld", (long long)b->id);
	if (pgconn_exec(q->c, "UPDATE shard_queue SET lease_until = now() +"
			" ($4 || ' seconds')::interval WHERE run_id = $1 AND"
			" worker = $2 AND batch = $3::bigint AND state ="
			" 'claimed'", 4, p, NULL, NULL, err))
		return err->code;
	return pgconn_exec(q->c, "UPDATE shard_queue_worker SET last_seen ="
			   " now() WHERE run_id = $1 AND worker = $2", 2, p,
			   NULL, NULL, err);
}

static const char *outcome_name(enum junit_outcome o)
{
	switch (o) {
	case JUNIT_FAILED: return "failed";
	case JUNIT_ERROR: return "error";
	case JUNIT_SKIPPED: return "skipped";
	default: return "passed";
	}
}

struct accept {
	const struct queue_batch *b;
	int *accepted;
	long count;
};

static int got_accepted(void *data, int ncols, const char *const *v)
{
	struct accept *a = data;
	long pos;

	if (ncols < 1 || !v[0] || shard_parse_long(v[0], 0, INT32_MAX, &pos))
		return 0;
	for (size_t i = 0; i < a->b->n; i++)
		if (a->b->pos[i] == pos) {
			a->accepted[i] = 1;
			a->count++;
		}
	return 0;
}

int queue_complete(struct queue *q, const struct queue_batch *b,
		   const struct queue_result *const *res, int *accepted,
		   struct shard_error *err)
{
	struct strbuf arr[6];
	char batch[32];
	const char *p[9];
	struct accept acc = { b, accepted, 0 };
	int r;

	for (int k = 0; k < 6; k++) {
		strbuf_init(&arr[k], 0);
		array_start(&arr[k]);
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct queue_result *x = res[i];
		int bad = !x || x->outcome == JUNIT_FAILED ||
			  x->outcome == JUNIT_ERROR;

		accepted[i] = 0;
		array_add_num(&arr[0], b->pos[i]);
		array_add(&arr[1], bad ? "failed" : "done");
		array_add(&arr[2], x ? outcome_name(x->outcome) : "error");
		array_add_num(&arr[3], x ? x->seconds : 0);
		array_add(&arr[4], x ? x->suite : NULL);
		array_add(&arr[5], x ? x->xml : NULL);
	}
	snprintf(batch, sizeof(batch), "%lld", (long long)b->id);
	p[0] = q->run_id;
	p[1] = q->worker;
	p[2] = batch;
	for (int k = 0; k < 6; k++) {
		array_end(&arr[k]);
		p[3 + k] = arr[k].buf;
	}
	/* one statement: the results, and the worker's counts from what
	 * was accepted (the claim still held) */
	r = pgconn_exec(q->c, "WITH done AS (UPDATE shard_queue q SET state ="
			" r.state, outcome = r.outcome, seconds = r.seconds,"
			" suite = r.suite, xml = r.xml, lease_until = NULL FROM"
			" unnest($4::int[], $5::text[], $6::text[],"
			" $7::float8[], $8::text[], $9::text[]) AS r(pos,"
			" state, outcome, seconds, suite, xml) WHERE q.run_id"
			" = $1 AND q.worker = $2 AND q.batch = $3::bigint AND"
			" q.state = 'claimed' AND q.pos = r.pos RETURNING"
			" q.pos, r.state = 'failed' AS bad), w AS (UPDATE"
			" shard_queue_worker SET last_seen = now(), tests ="
			" tests + (SELECT count(*) FROM done), failed = failed +"
			" (SELECT count(*) FROM done WHERE bad) WHERE run_id ="
			" $1 AND worker = $2) SELECT pos FROM done", 9, p,
			got_accepted, &acc, err);
	for (int k = 0; k < 6; k++)
		strbuf_release(&arr[k]);
	return r;
}

int queue_unclaim(struct queue *q, const struct queue_batch *b,
		  struct shard_error *err)
{
	char batch[32];
	const char *p[3] = { q->run_id, q->worker, batch };

	snprintf(batch, sizeof(batch), "%lld", (long long)b->id);
	return pgconn_exec(q->c, "UPDATE shard_queue SET state = 'pending',"
			   " worker = NULL, batch = NULL, lease_until = NULL,"
			   " attempts = greatest(attempts - 1, 0) WHERE run_id"
			   " = $1 AND worker = $2 AND batch = $3::bigint AND"
			   " state = 'claimed'", 3, p, NULL, NULL, err);
}

/* ---- progress and reports ---- */

/* open tests, their estimated seconds, live claims, workers seen, least
 * overhead, the live claims' estimated seconds, the longest open test */
static int got_left(void *data, int ncols, const char *const *v)
{
	struct queue_left *l = data;
	char *end;

	if (ncols < 7)
		return 0;
	l->pending = v[0] ? strtoll(v[0], &end, 10) : 0;
	if (v[1])
		shard_parse_double(v[1], &l->pending_seconds);
	l->claimed = v[2] ? strtoll(v[2], &end, 10) : 0;
	l->workers = v[3] ? strtoll(v[3], &end, 10) : 0;
	if (!v[4] || shard_parse_double(v[4], &l->overhead))
		l->overhead = -1;
	if (v[5])
		shard_parse_double(v[5], &l->claimed_seconds);
	if (v[6])
		shard_parse_double(v[6], &l->head_seconds);
	return 0;
}

int queue_left(struct queue *q, double my_overhead, struct queue_left *out,
	       struct shard_error *err)
{
	char mine[64];
	const char *p[4] = { q->run_id, q->lease, mine, q->worker };

	memset(out, 0, sizeof(*out));
	out->overhead = -1;
	snprintf(mine, sizeof(mine), "%.17g", my_overhead);
	/* one statement: what is open, this worker's overhead shared, and
	 * the workers seen within a lease with the least overhead */
	if (pgconn_exec(q->c, "WITH t AS (SELECT estimate, state ="
			" 'pending' OR (state = 'claimed' AND lease_until <"
			" now()) AS o FROM shard_queue WHERE run_id = $1 AND"
			" state IN ('pending', 'claimed')), me AS (UPDATE"
			" shard_queue_worker SET overhead = least(overhead,"
			" $3::float8) WHERE run_id = $1 AND worker = $4 AND"
			" $3::float8 >= 0 RETURNING overhead), ws AS (SELECT"
			" count(*) FILTER (WHERE last_seen > now() - ($2 ||"
			" ' seconds')::interval) AS n, min(overhead) AS o FROM"
			" shard_queue_worker WHERE run_id = $1), a AS (SELECT"
			" count(*) FILTER (WHERE o) AS pending,"
			" coalesce(sum(estimate) FILTER (WHERE o), 0) AS ps,"
			" count(*) FILTER (WHERE NOT o) AS claimed,"
			" coalesce(sum(estimate) FILTER (WHERE NOT o), 0) AS cs,"
			" coalesce(max(estimate) FILTER (WHERE o), 0) AS head"
			" FROM t) SELECT a.pending, a.ps, a.claimed, ws.n,"
			" least(ws.o, (SELECT min(overhead) FROM me)), a.cs,"
			" a.head FROM ws, a", 4, p,
			got_left, out, err))
		return err->code;
	return 0;
}

static int got_status(void *data, int ncols, const char *const *v)
{
	struct queue_status *s = data;
	int64_t *f[] = { &s->total, &s->pending, &s->claimed, &s->done,
			 &s->failed, &s->requeued };
	char *end;

	for (int i = 0; i < 6 && i < ncols; i++)
		*f[i] = v[i] ? strtoll(v[i], &end, 10) : 0;
	return 0;
}

static int got_worker(void *data, int ncols, const char *const *v)
{
	struct queue_status *s = data;
	struct queue_worker_status *w;
	char *end;

	if (ncols < 5)
		return 0;
	s->workers = xrealloc(s->workers, (s->nworkers + 1) *
						  sizeof(*s->workers));
	w = &s->workers[s->nworkers++];
	snprintf(w->name, sizeof(w->name), "%s", v[0] ? v[0] : "");
	w->batches = v[1] ? strtoll(v[1], &end, 10) : 0;
	w->tests = v[2] ? strtoll(v[2], &end, 10) : 0;
	w->failed = v[3] ? strtoll(v[3], &end, 10) : 0;
	w->last_seen_ago = 0;
	if (v[4])
		shard_parse_double(v[4], &w->last_seen_ago);
	return 0;
}

int queue_status(struct queue *q, struct queue_status *out,
		 struct shard_error *err)
{
	const char *p[1] = { q->run_id };

	memset(out, 0, sizeof(*out));
	out->attempt = -1;
	if (pgconn_exec(q->c, "SELECT attempt FROM shard_queue_run WHERE"
			" run_id = $1", 1, p, got_long, &out->attempt, err))
		return err->code;
	out->exists = out->attempt >= 0;
	if (!out->exists)
		return 0;
	if (pgconn_exec(q->c, "SELECT count(*), count(*) FILTER (WHERE state ="
			" 'pending' OR (state = 'claimed' AND lease_until <"
			" now())), count(*) FILTER (WHERE state = 'claimed'"
			" AND lease_until >= now()), count(*) FILTER (WHERE"
			" state = 'done'), count(*) FILTER (WHERE state ="
			" 'failed'), coalesce(sum(requeued), 0) FROM"
			" shard_queue WHERE run_id = $1", 1, p, got_status,
			out, err))
		return err->code;
	return pgconn_exec(q->c, "SELECT worker, batches, tests, failed,"
			   " extract(epoch FROM now() - last_seen) FROM"
			   " shard_queue_worker WHERE run_id = $1 ORDER BY"
			   " worker", 1, p, got_worker, out, err);
}

void queue_status_release(struct queue_status *s)
{
	free(s->workers);
	s->workers = NULL;
	s->nworkers = 0;
}

struct report {
	FILE *out;
	struct strbuf suite, cases;
	long tests, failures, errors, skipped;
	double time;
	int started;
};

static void flush_suite(struct report *r)
{
	struct strbuf head = STRBUF_INIT;

	if (!r->started)
		return;
	strbuf_addstr(&head, "<testsuite name=\"");
	strbuf_add_xml_quoted(&head, r->suite.buf);
	strbuf_addf(&head, "\" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\""
		    " skipped=\"%ld\" time=\"%.3f\">\n", r->tests, r->failures,
		    r->errors, r->skipped, r->time);
	fwrite(head.buf, 1, head.len, r->out);
	fwrite(r->cases.buf, 1, r->cases.len, r->out);
	fputs("</testsuite>\n", r->out);
	strbuf_release(&head);
	strbuf_reset(&r->cases);
	r->tests = r->failures = r->errors = r->skipped = 0;
	r->time = 0;
	r->started = 0;
}

/* Rows: suite, xml, outcome, seconds, test_id; grouped by suite. */
static int report_row(void *data, int ncols, const char *const *v)
{
	struct report *r = data;
	const char *suite = v[0] ? v[0] : "shard";
	double secs = 0;

	if (ncols < 5)
		return 0;
	if (r->started && strcmp(suite, r->suite.buf))
		flush_suite(r);
	if (!r->started) {
		strbuf_reset(&r->suite);
		strbuf_addstr(&r->suite, suite);
		r->started = 1;
	}
	r->tests++;
	if (!v[1]) {
		r->errors++;
		strbuf_addstr(&r->cases, "<testcase classname=\"shard\" name=\"");
		strbuf_add_xml_quoted(&r->cases, v[4] ? v[4] : "");
		strbuf_addstr(&r->cases, "\" time=\"0\"><error type=\"shard."
					 "missing\" message=\"not run\"/>"
					 "</testcase>\n");
		return 0;
	}
	r->failures += v[2] && !strcmp(v[2], "failed");
	r->errors += v[2] && !strcmp(v[2], "error");
	r->skipped += v[2] && !strcmp(v[2], "skipped");
	if (v[3] && !shard_parse_double(v[3], &secs))
		r->time += secs;
	strbuf_addstr(&r->cases, v[1]);
	strbuf_addch(&r->cases, '\n');
	return 0;
}

int queue_report(struct queue *q, FILE *out, struct shard_error *err)
{
	struct report r = { out, STRBUF_INIT, STRBUF_INIT, 0, 0, 0, 0, 0, 0 };
	const char *p[1] = { q->run_id };
	int rc;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", out);
	rc = pgconn_exec(q->c, "SELECT CASE WHEN xml IS NULL THEN 'shard'"
			 " ELSE coalesce(suite, 'shard') END, xml, outcome,"
			 " seconds, test_id FROM shard_queue WHERE run_id = $1"
			 " ORDER BY 1, pos", 1, p, report_row, &r, err);
	flush_suite(&r);
	fputs("</testsuites>\n", out);
	strbuf_release(&r.suite);
	strbuf_release(&r.cases);
	return rc;
}
