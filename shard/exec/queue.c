/*
 * Every statement is parameterised; arrays travel as PostgreSQL array
 * literals built here (each element quoted), so a batch is claimed or
 * completed in a constant number of round trips.
 *
 * What a claim, a completion or a look costs must not grow with the
 * suite (aggregates over the open rows once made 100,000 tests take
 * 136 s). So:
 * - the run's row keeps running totals (tests and estimated seconds
 *   pending and claimed, done, failed, requeued), changed by the very
 *   statements that move tests between states;
 * - a claim is a row of its own (shard_queue_claim) holding the lease: a
 *   heartbeat touches one row, and a claim whose lease ran out is found
 *   through an index of the open claims;
 * - two partial indexes hold only the tests in flight: pending ones in
 *   order, read from the run's head (below which none is pending, so
 *   what was claimed is not stepped over again; the longest pending test
 *   is the first entry from there), and claimed ones by batch (a
 *   completion or a give-back finds its rows there).
 * Locks are taken in one order, claim row, then test rows, then the run's
 * row, so that statements that meet never deadlock.
 */
#include "shard/exec/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/junit/junitout.h"
#include "shard/util/pgconn.h"
#include "shard/util/quote.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define SCAN_LIMIT "2000"
#define SCHEMA_MARK "shard queue schema 2"

struct queue {
	struct pg_target target;
	struct pgconn *c;
	char *run_id, *worker;
	char lease[32];
};

/*
 * Idempotent steps, run under a lock when the mark (the last step) is
 * missing. Schema 2 adds the claims table, the running
 * totals and the index of pending tests; claims of schema 1 (a lease on
 * each test's row) go back to pending, and the totals of existing runs
 * are counted once.
 */
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
	/* schema 2 */
	"CREATE TABLE IF NOT EXISTS shard_queue_claim("
	" run_id text NOT NULL, id bigint NOT NULL, worker text NOT NULL,"
	" state text NOT NULL DEFAULT 'claimed',"
	" lease_until timestamptz NOT NULL, tests int NOT NULL,"
	" PRIMARY KEY(run_id, id))",
	"CREATE INDEX IF NOT EXISTS shard_queue_claim_open ON"
	" shard_queue_claim(run_id, lease_until) WHERE state = 'claimed'",
	"CREATE INDEX IF NOT EXISTS shard_queue_pending ON shard_queue(run_id,"
	" pos) WHERE state = 'pending'",
	"CREATE INDEX IF NOT EXISTS shard_queue_claimed ON shard_queue(run_id,"
	" batch) WHERE state = 'claimed'",
	"DROP INDEX IF EXISTS shard_queue_open",
	"ALTER TABLE shard_queue_run"
	" ADD COLUMN IF NOT EXISTS pending int NOT NULL DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS pending_seconds double precision NOT NULL"
	" DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS claimed int NOT NULL DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS claimed_seconds double precision NOT NULL"
	" DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS done int NOT NULL DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS failed int NOT NULL DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS requeued int NOT NULL DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS head_pos int NOT NULL DEFAULT 0,"
	" ADD COLUMN IF NOT EXISTS returns bigint NOT NULL DEFAULT 0",
	"UPDATE shard_queue SET state = 'pending', worker = NULL, batch = NULL,"
	" lease_until = NULL WHERE state = 'claimed'",
	"UPDATE shard_queue_run r SET pending = t.pending, pending_seconds ="
	" t.ps, claimed = 0, claimed_seconds = 0, done = t.done, failed ="
	" t.failed, requeued = t.requeued FROM (SELECT run_id, count(*) FILTER"
	" (WHERE state = 'pending') AS pending, coalesce(sum(estimate) FILTER"
	" (WHERE state = 'pending'), 0) AS ps, count(*) FILTER (WHERE state ="
	" 'done') AS done, count(*) FILTER (WHERE state = 'failed') AS failed,"
	" sum(requeued) AS requeued FROM shard_queue GROUP BY run_id) t WHERE"
	" r.run_id = t.run_id",
	"COMMENT ON TABLE shard_queue_run IS '" SCHEMA_MARK "'",
};

static int exec0(struct queue *q, const char *sql, struct shard_error *err)
{
	return pgconn_exec(q->c, sql, 0, NULL, NULL, NULL, err);
}

/* Run sql in a transaction; roll back on failure. */
static int in_tx(struct queue *q,
		 int (*fn)(struct queue *, void *, struct shard_error *),
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

static int got_long(void *data, int ncols, const char *const *v)
{
	long *out = data;

	if (ncols > 0 && v[0] && shard_parse_long(v[0], -1, 1L << 30, out))
		*out = -1;
	return 0;
}

/*
 * Whether the schema's mark (schema_sql's last step) is in place: then
 * every worker after the first skips the DDL and the lock that
 * serialises it. The catalogs are read by a query, under the statement's
 * snapshot: to_regclass() would answer from this backend's cache, which
 * a transaction that began before another worker created the tables
 * still holds, and would run the migration twice (seen: a deadlock
 * between the second migration and the seeder).
 */
static int schema_current(struct queue *q, long *current,
			  struct shard_error *err)
{
	*current = 0;
	return pgconn_exec(q->c,
			   "SELECT count(*) FROM pg_catalog.pg_class c"
			   " JOIN pg_catalog.pg_description d ON d.objoid ="
			   " c.oid AND d.classoid = 'pg_catalog.pg_class'::"
			   "regclass AND d.objsubid = 0 WHERE c.relname ="
			   " 'shard_queue_run' AND"
			   " pg_catalog.pg_table_is_visible(c.oid) AND"
			   " d.description = '" SCHEMA_MARK "'",
			   0, NULL, got_long, current, err);
}

/* Under the lock, again: a worker that looked before another migrated
 * must not run the steps that put claims back a second time. */
static int make_schema(struct queue *q, void *data, struct shard_error *err)
{
	long current = 0;

	(void)data;
	if (exec0(q, "SELECT pg_advisory_xact_lock(7346297431)", err) ||
	    schema_current(q, &current, err))
		return err->code;
	for (size_t i = 0;
	     !current && i < sizeof(schema_sql) / sizeof(*schema_sql); i++)
		if (exec0(q, schema_sql[i], err))
			return err->code;
	return 0;
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
	struct queue_seed_list list; /* filled by load when seeding */
	int (*load)(void *data, struct queue_seed_list *out,
		    struct shard_error *err);
	void *data;
	long attempt;
	int *seeded;
	size_t *total;
	long found; /* the run's attempt, -1 when absent */
	int again;  /* another worker held the lock: look again */
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
		r = pgconn_exec(q->c,
				"INSERT INTO shard_queue(run_id, pos,"
				" test_id, estimate) SELECT $1, $2::int +"
				" t.ord::int - 1, t.id, t.est FROM"
				" unnest($3::text[], $4::float8[]) WITH"
				" ORDINALITY AS t(id, est, ord)",
				4, p, NULL, NULL, err);
	}
	free(order);
	strbuf_release(&ids);
	strbuf_release(&secs);
	return r;
}

static int insert_run(struct queue *q, const struct seed *s,
		      const char *attempt, struct shard_error *err)
{
	char total[32], seconds[64];
	const char *p[4] = { q->run_id, attempt, total, seconds };
	double sum = 0;

	for (size_t i = 0; i < s->list.n; i++)
		sum += s->list.seconds[i];
	snprintf(total, sizeof(total), "%zu", s->list.n);
	snprintf(seconds, sizeof(seconds), "%.17g", sum);
	return pgconn_exec(q->c,
			   "INSERT INTO shard_queue_run(run_id, attempt,"
			   " total, pending, pending_seconds) VALUES($1, $2,"
			   " $3, $3, $4)",
			   4, p, NULL, NULL, err);
}

/*
 * A new attempt of the run: open claims are closed, failed and claimed
 * tests go back to pending, and the totals are counted afresh (once an
 * attempt, so a pass over the run's rows is fine here).
 */
static int new_attempt(struct queue *q, const char *attempt,
		       struct shard_error *err)
{
	const char *p[2] = { q->run_id, attempt };

	if (pgconn_exec(q->c,
			"UPDATE shard_queue_claim SET state = 'lost'"
			" WHERE run_id = $1 AND state = 'claimed'",
			1, p, NULL, NULL, err) ||
	    pgconn_exec(q->c,
			"UPDATE shard_queue SET state = 'pending', worker"
			" = NULL, batch = NULL, lease_until = NULL WHERE"
			" run_id = $1 AND state IN ('failed', 'claimed')",
			1, p, NULL, NULL, err))
		return err->code;
	return pgconn_exec(q->c,
			   "UPDATE shard_queue_run r SET attempt = $2,"
			   " head_pos = 0, returns = r.returns + 1,"
			   " pending = t.pending, pending_seconds = t.ps,"
			   " claimed = 0, claimed_seconds = 0, done = t.done,"
			   " failed = 0 FROM (SELECT count(*) FILTER (WHERE"
			   " state = 'pending') AS pending,"
			   " coalesce(sum(estimate) FILTER (WHERE state ="
			   " 'pending'), 0) AS ps, count(*) FILTER (WHERE"
			   " state = 'done') AS done FROM shard_queue WHERE"
			   " run_id = $1) t WHERE r.run_id = $1",
			   2, p, NULL, NULL, err);
}

#define SEED_LOCK "hashtext('shard_queue:' || $1)"

/*
 * Under the run's advisory lock, seed the run or put an older attempt's
 * tests back. The lock is only tried: when another worker holds it
 * (seeding), this one waits for it in shared mode, which every waiter is
 * granted at once when the seeder commits, and leaves with s->again set
 * to look again without a lock.
 */
static int seed_tx(struct queue *q, void *data, struct shard_error *err)
{
	struct seed *s = data;
	char attempt[32];
	const char *p[1] = { q->run_id };
	long got = 0;

	snprintf(attempt, sizeof(attempt), "%ld", s->attempt);
	s->found = -1;
	s->again = 0;
	if (pgconn_exec(q->c,
			"SELECT pg_try_advisory_xact_lock(" SEED_LOCK ")::int",
			1, p, got_long, &got, err))
		return err->code;
	if (got != 1) {
		s->again = 1;
		return pgconn_exec(q->c,
				   "SELECT pg_advisory_xact_lock_shared(" SEED_LOCK
				   ")",
				   1, p, NULL, NULL, err);
	}
	if (pgconn_exec(q->c,
			"SELECT attempt FROM shard_queue_run WHERE"
			" run_id = $1",
			1, p, got_long, &s->found, err))
		return err->code;
	if (s->found < 0) {
		*s->seeded = 1;
		if (s->load(s->data, &s->list, err))
			return err->code;
		*s->total = s->list.n;
		return insert_run(q, s, attempt, err) || insert_tests(q, s, err)
			       ? err->code
			       : 0;
	}
	if (s->found < s->attempt)
		return new_attempt(q, attempt, err);
	return 0;
}

int queue_seed(struct queue *q, long attempt,
	       int (*load)(void *data, struct queue_seed_list *out,
			   struct shard_error *err),
	       void *data, int *seeded, size_t *total, struct shard_error *err)
{
	struct seed s = {
		{ NULL, NULL, 0 }, load, data, attempt, seeded, total, -1, 0
	};
	char num[32];
	const char *p[2] = { q->run_id, q->worker };
	const char *at[2] = { q->run_id, num };

	*seeded = 0;
	*total = 0;
	snprintf(num, sizeof(num), "%ld", attempt);
	/* the worker registers before anything else, so that the others
	 * count it while the first one seeds (its start is when this
	 * process joined, also on a later attempt) */
	if (pgconn_exec(q->c,
			"INSERT INTO shard_queue_worker(run_id, worker)"
			" VALUES($1, $2) ON CONFLICT(run_id, worker) DO UPDATE"
			" SET last_seen = now(), started_at = now()",
			2, p, NULL, NULL, err))
		return err->code;
	do {
		long found = -1;

		/* a run already seeded for this attempt is joined without
		 * its lock, so that the workers do not queue for it */
		if (pgconn_exec(q->c,
				"SELECT attempt FROM shard_queue_run"
				" WHERE run_id = $1 AND attempt >= $2::int",
				2, at, got_long, &found, err))
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

#define LEASE(n) "now() + make_interval(secs => " n "::float8)"

/*
 * One statement, so one round trip and no transaction held open: the
 * first pending rows in order with the estimate before each, through the
 * index of pending tests (read without locks); how many of them fit the
 * target (the first row always); that many pending rows, in order,
 * locked with SKIP LOCKED (a row another worker claimed meanwhile is
 * re-checked by PostgreSQL and dropped, one it is claiming is skipped,
 * and the next rows are taken instead: workers claiming at the same
 * instant get consecutive batches rather than nothing); then claimed under a new batch id, the claim's row written
 * and the run's totals moved.
 *
 * Every row set is reached by a plan that does not hinge on statistics,
 * which a fresh run lacks: ranges and equalities on an index's leading
 * columns, and the locked rows updated by their ctid (a TID scan). Rows
 * matched by "pos = ANY(array)" were filtered one by one against the
 * whole array instead (0.4 s a claim at 30,000 tests).
 *
 * The scans of pending tests start at the run's head_pos, below which no
 * test is pending: the index keeps entries of tests no longer pending
 * until a vacuum, and a scan from the run's first position would step
 * over every test claimed so far. A claim moves head_pos up to the first
 * test its snapshot saw pending, unless tests were given back meanwhile
 * (returns changed: the update is rechecked on the row as it is then);
 * a give-back moves it down to what it gave back.
 */
#define CLAIM_SQL \
	"WITH run AS MATERIALIZED (SELECT head_pos, returns FROM" \
	" shard_queue_run WHERE run_id = $1), cand AS MATERIALIZED (SELECT" \
	" pos, sum(estimate) OVER (ORDER BY pos ROWS UNBOUNDED PRECEDING) AS" \
	" upto, row_number() OVER (ORDER BY pos) AS rn FROM shard_queue" \
	" WHERE run_id = $1 AND state = 'pending' AND pos >= (SELECT" \
	" head_pos FROM run) ORDER BY pos LIMIT " SCAN_LIMIT "), pick AS" \
	" MATERIALIZED (SELECT ctid FROM shard_queue WHERE run_id = $1 AND" \
	" state = 'pending' AND pos >= (SELECT head_pos FROM run) ORDER BY" \
	" pos LIMIT (SELECT count(*) FROM cand WHERE upto <= $4::float8 OR" \
	" rn = 1) FOR UPDATE SKIP LOCKED), b AS (SELECT" \
	" nextval('shard_queue_batch') AS id), up AS (UPDATE shard_queue s" \
	" SET state = 'claimed', worker = $2, batch = b.id, attempts =" \
	" s.attempts + 1 FROM b WHERE s.ctid = ANY(ARRAY(SELECT ctid FROM" \
	" pick)) RETURNING s.pos, s.test_id, s.estimate, s.batch), n AS" \
	" (SELECT count(*) AS n, coalesce(sum(estimate), 0) AS secs FROM" \
	" up), c AS (INSERT INTO shard_queue_claim(run_id, id, worker," \
	" lease_until, tests) SELECT $1, b.id, $2, " LEASE( \
		"$3") ", n.n FROM" \
		      " b, n WHERE n.n > 0), t AS (UPDATE shard_queue_run SET pending =" \
		      " pending - n.n, pending_seconds = pending_seconds - n.secs, claimed" \
		      " = claimed + n.n, claimed_seconds = claimed_seconds + n.secs," \
		      " head_pos = CASE WHEN returns = (SELECT returns FROM run) THEN" \
		      " greatest(head_pos, coalesce((SELECT min(pos) FROM cand)," \
		      " head_pos)) ELSE head_pos END FROM n WHERE run_id = $1 AND n.n >" \
		      " 0), w AS (UPDATE shard_queue_worker SET last_seen = now(), batches" \
		      " = batches + (n.n > 0)::int FROM n WHERE run_id = $1 AND worker =" \
		      " $2) SELECT pos, test_id, estimate, batch FROM up ORDER BY pos"

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
	return pgconn_exec(
		q->c,
		"WITH c AS (UPDATE shard_queue_claim SET"
		" lease_until = " LEASE(
			"$4") " WHERE run_id = $1"
			      " AND id = $3::bigint AND worker = $2 AND state ="
			      " 'claimed') UPDATE shard_queue_worker SET last_seen"
			      " = now() WHERE run_id = $1 AND worker = $2",
		4, p, NULL, NULL, err);
}

struct accept {
	const struct queue_batch *b;
	int *accepted;
	long count;
};

/* Accepted positions come back in order, as the batch's are. */
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

/*
 * One statement: the claim closed (only while this worker holds it), the
 * results stored for the rows it still holds (found through the index of
 * claimed rows by batch), the run's totals and the worker's counts moved
 * by what was accepted.
 */
#define COMPLETE_SQL \
	"WITH c AS (UPDATE shard_queue_claim SET state = 'done' WHERE" \
	" run_id = $1 AND id = $3::bigint AND worker = $2 AND state =" \
	" 'claimed' RETURNING id), r AS MATERIALIZED (SELECT * FROM" \
	" unnest($4::int[], $5::text[], $6::text[], $7::float8[]," \
	" $8::text[], $9::text[]) AS r(pos, state, outcome, seconds, suite," \
	" xml)), done AS (UPDATE shard_queue q SET state = r.state, outcome" \
	" = r.outcome, seconds = r.seconds, suite = r.suite, xml = r.xml" \
	" FROM r WHERE q.run_id = $1 AND q.batch = $3::bigint AND q.state" \
	" = 'claimed' AND q.pos = r.pos AND EXISTS (SELECT FROM c) RETURNING q.pos, q.estimate, r.state" \
	" = 'failed' AS bad), n AS (SELECT count(*) AS n," \
	" coalesce(sum(estimate), 0) AS secs, count(*) FILTER (WHERE bad)" \
	" AS bad FROM done), t AS (UPDATE shard_queue_run SET claimed =" \
	" claimed - n.n, claimed_seconds = claimed_seconds - n.secs, done =" \
	" done + n.n - n.bad, failed = failed + n.bad FROM n WHERE run_id =" \
	" $1 AND n.n > 0), w AS (UPDATE shard_queue_worker SET last_seen =" \
	" now(), tests = tests + n.n, failed = failed + n.bad FROM n WHERE" \
	" run_id = $1 AND worker = $2) SELECT pos FROM done ORDER BY pos"

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
		array_add(&arr[2],
			  junit_outcome_name(x ? x->outcome : JUNIT_ERROR));
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
	r = pgconn_exec(q->c, COMPLETE_SQL, 9, p, got_accepted, &acc, err);
	for (int k = 0; k < 6; k++)
		strbuf_release(&arr[k]);
	return r;
}

/*
 * A claim given back: its row ($2 the batch) marked STATE when WHERE
 * holds, then the tests it still holds back to pending (ROWS: more
 * assignments to them) and the run's totals and head moved (RUN: more
 * assignments, n.n the tests). "EXISTS (SELECT FROM c)" is evaluated
 * once, before the tests are read, so the claim's row is locked first.
 */
#define GIVE_BACK_SQL(where, state, rows, run) \
	"WITH c AS (UPDATE shard_queue_claim SET state = '" state "' WHERE" \
	" run_id = $1 AND id = $2::bigint AND state = 'claimed' AND " where \
	" RETURNING id), back AS (UPDATE shard_queue s SET state =" \
	" 'pending', worker = NULL, batch = NULL" rows " WHERE s.run_id =" \
	" $1 AND s.batch = $2::bigint AND s.state = 'claimed' AND EXISTS" \
	" (SELECT FROM c) RETURNING s.pos, s.estimate), n AS (SELECT" \
	" count(*) AS n, coalesce(sum(estimate), 0) AS secs, min(pos) AS lo" \
	" FROM back) UPDATE shard_queue_run SET pending = pending + n.n," \
	" pending_seconds = pending_seconds + n.secs, claimed = claimed -" \
	" n.n, claimed_seconds = claimed_seconds - n.secs, head_pos =" \
	" least(head_pos, n.lo), returns = returns + 1" run " FROM n WHERE" \
	" run_id = $1 AND n.n > 0"

/* A stopped worker's claim: not an attempt of its tests. */
int queue_unclaim(struct queue *q, const struct queue_batch *b,
		  struct shard_error *err)
{
	char batch[32];
	const char *p[3] = { q->run_id, batch, q->worker };

	snprintf(batch, sizeof(batch), "%lld", (long long)b->id);
	return pgconn_exec(q->c,
			   GIVE_BACK_SQL("worker = $3", "returned",
					 ", attempts ="
					 " greatest(s.attempts - 1, 0)",
					 ""),
			   3, p, NULL, NULL, err);
}

/* The ids of claims, as text: they go back as parameters. */
struct ids {
	char (*id)[32];
	size_t n, alloc;
};

static int got_id(void *data, int ncols, const char *const *v)
{
	struct ids *l = data;

	if (ncols < 1 || !v[0])
		return 0;
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 8;
		l->id = xrealloc(l->id, l->alloc * sizeof(*l->id));
	}
	snprintf(l->id[l->n++], sizeof(*l->id), "%s", v[0]);
	return 0;
}

/*
 * Claims whose lease ran out (their worker died or lost the database)
 * go back to pending, counted as requeued, one claim a statement: the
 * index of open claims finds them, and nearly always finds none. Two
 * workers that find the same claim give it back once (the claim's row
 * is re-checked under its lock).
 */
static int requeue_lost(struct queue *q, struct shard_error *err)
{
	const char *p[2] = { q->run_id, NULL };
	struct ids lost = { NULL, 0, 0 };
	int r;

	r = pgconn_exec(q->c,
			"SELECT id FROM shard_queue_claim WHERE run_id ="
			" $1 AND state = 'claimed' AND lease_until < now()",
			1, p, got_id, &lost, err);
	for (size_t i = 0; !r && i < lost.n; i++) {
		p[1] = lost.id[i];
		r = pgconn_exec(q->c,
				GIVE_BACK_SQL("lease_until < now()", "lost",
					      ", requeued ="
					      " s.requeued + 1",
					      ","
					      " requeued = requeued +"
					      " n.n"),
				2, p, NULL, NULL, err);
	}
	free(lost.id);
	return r;
}

/* ---- progress and reports ---- */

/* pending tests, their estimated seconds, live claims, workers seen,
 * least overhead, the claims' estimated seconds, the longest pending
 * test, seconds since the last worker joined */
static int got_left(void *data, int ncols, const char *const *v)
{
	struct queue_left *l = data;
	char *end;

	if (ncols < 8)
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
	if (v[7])
		shard_parse_double(v[7], &l->joined_ago);
	return 0;
}

/*
 * One statement after lost claims are put back: the run's totals, the
 * first pending test's estimate, this worker's overhead shared, and the
 * workers seen within a lease with the least overhead and their latest
 * arrival (a pass over the run's workers, not its tests).
 */
#define LEFT_SQL \
	"WITH me AS (UPDATE shard_queue_worker SET overhead =" \
	" least(overhead, $3::float8) WHERE run_id = $1 AND worker = $4 AND" \
	" $3::float8 >= 0 RETURNING overhead), ws AS (SELECT count(*)" \
	" FILTER (WHERE last_seen > now() - make_interval(secs =>" \
	" $2::float8)) AS n, min(overhead) AS o, extract(epoch FROM now() -" \
	" max(started_at)) AS ago FROM shard_queue_worker WHERE run_id =" \
	" $1) SELECT r.pending, greatest(r.pending_seconds, 0), r.claimed," \
	" ws.n, least(ws.o, (SELECT min(overhead) FROM me))," \
	" greatest(r.claimed_seconds, 0), coalesce((SELECT estimate FROM" \
	" shard_queue WHERE run_id = $1 AND state = 'pending' AND pos >=" \
	" r.head_pos ORDER BY pos LIMIT 1), 0), ws.ago FROM shard_queue_run" \
	" r, ws WHERE r.run_id = $1"

int queue_left(struct queue *q, double my_overhead, struct queue_left *out,
	       struct shard_error *err)
{
	char mine[64];
	const char *p[4] = { q->run_id, q->lease, mine, q->worker };

	memset(out, 0, sizeof(*out));
	out->overhead = -1;
	snprintf(mine, sizeof(mine), "%.17g", my_overhead);
	if (requeue_lost(q, err) ||
	    pgconn_exec(q->c, LEFT_SQL, 4, p, got_left, out, err))
		return err->code;
	return 0;
}

static int got_status(void *data, int ncols, const char *const *v)
{
	struct queue_status *s = data;
	int64_t *f[] = { &s->total, &s->pending, &s->claimed,
			 &s->done,  &s->failed,  &s->requeued };
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
	s->workers =
		xrealloc(s->workers, (s->nworkers + 1) * sizeof(*s->workers));
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

/* An observer writes nothing: the tests of claims whose lease ran out
 * (not yet put back by a worker) are shown as pending. */
int queue_status(struct queue *q, struct queue_status *out,
		 struct shard_error *err)
{
	const char *p[1] = { q->run_id };

	memset(out, 0, sizeof(*out));
	out->attempt = -1;
	if (pgconn_exec(q->c,
			"SELECT attempt FROM shard_queue_run WHERE"
			" run_id = $1",
			1, p, got_long, &out->attempt, err))
		return err->code;
	out->exists = out->attempt >= 0;
	if (!out->exists)
		return 0;
	if (pgconn_exec(q->c,
			"SELECT r.total, r.pending + x.n, r.claimed -"
			" x.n, r.done, r.failed, r.requeued FROM"
			" shard_queue_run r, (SELECT"
			" coalesce(sum(tests), 0) AS n FROM"
			" shard_queue_claim WHERE run_id = $1 AND state ="
			" 'claimed' AND lease_until < now()) x WHERE r.run_id"
			" = $1",
			1, p, got_status, out, err))
		return err->code;
	return pgconn_exec(q->c,
			   "SELECT worker, batches, tests, failed,"
			   " extract(epoch FROM now() - last_seen) FROM"
			   " shard_queue_worker WHERE run_id = $1 ORDER BY"
			   " worker",
			   1, p, got_worker, out, err);
}

void queue_status_release(struct queue_status *s)
{
	free(s->workers);
	s->workers = NULL;
	s->nworkers = 0;
}

/* The run's report, written a suite at a time as rows come. */
struct suite_writer {
	FILE *out;
	struct strbuf suite, cases;
	long tests, failures, errors, skipped;
	double time;
	int started;
};

static void flush_suite(struct suite_writer *r)
{
	struct strbuf head = STRBUF_INIT;

	if (!r->started)
		return;
	strbuf_addstr(&head, "<testsuite name=\"");
	quote_xml(&head, r->suite.buf);
	strbuf_addf(&head,
		    "\" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\""
		    " skipped=\"%ld\" time=\"%.3f\">\n",
		    r->tests, r->failures, r->errors, r->skipped, r->time);
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
	struct suite_writer *r = data;
	const char *suite = v[0] ? v[0] : "shard";
	double secs = 0;
	int outcome;

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
		junitout_missing(&r->cases, v[4] ? v[4] : "", "not run");
		return 0;
	}
	outcome = junit_outcome_parse(v[2]);
	r->failures += outcome == JUNIT_FAILED;
	r->errors += outcome == JUNIT_ERROR;
	r->skipped += outcome == JUNIT_SKIPPED;
	if (v[3] && !shard_parse_double(v[3], &secs))
		r->time += secs;
	strbuf_addstr(&r->cases, v[1]);
	strbuf_addch(&r->cases, '\n');
	return 0;
}

int queue_report(struct queue *q, FILE *out, struct shard_error *err)
{
	struct suite_writer r = { out, STRBUF_INIT, STRBUF_INIT, 0, 0,
				  0,   0,           0,           0 };
	const char *p[1] = { q->run_id };
	int rc;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n",
	      out);
	rc = pgconn_exec(q->c,
			 "SELECT CASE WHEN xml IS NULL THEN 'shard'"
			 " ELSE coalesce(suite, 'shard') END, xml, outcome,"
			 " seconds, test_id FROM shard_queue WHERE run_id = $1"
			 " ORDER BY 1, pos",
			 1, p, report_row, &r, err);
	flush_suite(&r);
	fputs("</testsuites>\n", out);
	strbuf_release(&r.suite);
	strbuf_release(&r.cases);
	return rc;
}
