/*
 * Names are made of a sanitised prefix, the shard index and a hash of the
 * creating invocation (run id, host, pid, time), so two runs of the same
 * CI run id never collide and gc can recognise its own by pattern and
 * comment both. Those 8 hex digits are also the second key of the
 * invocation's advisory lock (isolate.h): one lock for all its
 * resources, which gc finds again from any one name.
 */
#include "shard/exec/isolate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard/identity.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define NAME_MAX_BYTES 63

static void set_prefix(struct isolate *iso, const char *base)
{
	size_t room = sizeof(iso->prefix) - 1, n = 0;

	for (const char *p = base; *p && n < room; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		iso->prefix[n++] =
			(c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
									 : '_';
	}
	iso->prefix[n] = '\0';
	if (!n)
		snprintf(iso->prefix, sizeof(iso->prefix), "shard");
}

int isolate_init(struct isolate *iso, enum isolate_kind kind, const char *url,
		 const struct isolate_owner *owner, size_t shards,
		 struct shard_error *err)
{
	struct strbuf seed = STRBUF_INIT;

	memset(iso, 0, sizeof(*iso));
	iso->kind = kind;
	strbuf_init(&iso->comment, 0);
	if (pg_target_parse(url, &iso->target, err))
		return err->code;
	if (!iso->target.dbname) {
		isolate_release(iso);
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: the URL names no "
				       "database",
				       kind == ISOLATE_DB
					       ? "--isolate-db (the template)"
					       : "--isolate-schema");
	}
	set_prefix(iso, kind == ISOLATE_DB ? iso->target.dbname : "shard");
	strbuf_addf(&seed, "%s\n%s\n%ld\n%.6f", owner->run_id, owner->host,
		    owner->pid, owner->now);
	snprintf(iso->hash, sizeof(iso->hash), "%08x",
		 (unsigned)identity_hash(seed.buf, seed.len));
	strbuf_release(&seed);
	/* lock=1: liveness is the advisory lock's, pid and host are notes */
	strbuf_addf(&iso->comment,
		    "shard: created=%.0f pid=%ld host=%s "
		    "lock=1 run=%s",
		    owner->now, owner->pid, owner->host, owner->run_id);
	iso->shards = shards;
	iso->names = xcalloc(shards ? shards : 1, sizeof(*iso->names));
	return 0;
}

char *isolate_resource_name(const struct isolate *iso, size_t index)
{
	char tail[48];
	int tl = snprintf(tail, sizeof(tail), "_s%zu_%s", index, iso->hash);
	size_t room = NAME_MAX_BYTES - (size_t)tl;
	size_t pl = strlen(iso->prefix);
	struct strbuf sb = STRBUF_INIT;

	strbuf_add(&sb, iso->prefix, pl < room ? pl : room);
	strbuf_addstr(&sb, tail);
	return strbuf_detach(&sb, NULL);
}

/* Connect to a maintenance database: postgres, else template1. */
static int open_maintenance(const struct pg_target *t, struct pgconn **c,
			    struct shard_error *err)
{
	struct shard_error first = SHARD_ERROR_INIT;

	if (!pgconn_open(c, t, "postgres", &first))
		return 0;
	if (!pgconn_open(c, t, "template1", NULL))
		return 0;
	if (err && !err->code)
		*err = first;
	return first.code;
}

static int exec_text(struct pgconn *c, const struct strbuf *sql,
		     struct shard_error *err)
{
	return pgconn_exec(c, sql->buf, 0, NULL, NULL, NULL, err);
}

/* Where a kind's lock lives and its resources are made and dropped. */
static int open_home(const struct isolate *iso, struct pgconn **c,
		     struct shard_error *err)
{
	return iso->kind == ISOLATE_DB
		       ? open_maintenance(&iso->target, c, err)
		       : pgconn_open(c, &iso->target, NULL, err);
}

/* The lock's second key: 8 hex digits (a name's last 8) as an int4. */
static int lock_key(const char *hex8, char *out, size_t size)
{
	size_t len = strlen(hex8);
	unsigned long v;
	char *end;

	if (len < 8)
		return -1;
	v = strtoul(hex8 + len - 8, &end, 16);
	if (*end || end != hex8 + len)
		return -1;
	snprintf(out, size, "%ld",
		 v > 0x7fffffffUL ? (long)v - 0x100000000L : (long)v);
	return 0;
}

static int bool_row(void *data, int ncols, const char *const *v)
{
	*(int *)data = ncols > 0 && v[0] && !strcmp(v[0], "t");
	return 0;
}

/* Try (or, with unlock, release) the lock named by hex8 on c. */
static int lock_call(struct pgconn *c, const char *hex8, int unlock, int *got,
		     struct shard_error *err)
{
	static const char *const sql[] = {
		"SELECT pg_try_advisory_lock($1::int4, $2::int4)",
		"SELECT pg_advisory_unlock($1::int4, $2::int4)",
	};
	char space[24], key[24];
	const char *p[2] = { space, key };

	*got = 0;
	snprintf(space, sizeof(space), "%d", ISOLATE_LOCK_SPACE);
	if (lock_key(hex8, key, sizeof(key)))
		return shard_error_set(err, SHARD_EINPUT,
				       "'%s': no lock key in "
				       "the name",
				       hex8);
	return pgconn_exec(c, sql[unlock ? 1 : 0], 2, p, bool_row, got, err);
}

/*
 * The creator's session: the lock, held until the session ends. An idle
 * session must not be ended by the server's idle_session_timeout (14+):
 * its lock is what tells gc the resources are in use.
 */
static int lock_open(struct isolate *iso, struct shard_error *err)
{
	struct pgconn *c = NULL;
	int got = 0, r;

	if ((r = open_home(iso, &c, err)))
		return r;
	if (pgconn_server_version(c) >= 140000)
		r = pgconn_exec(c, "SET idle_session_timeout = 0", 0, NULL,
				NULL, NULL, err);
	if (!r && !(r = lock_call(c, iso->hash, 0, &got, err)) && !got)
		r = shard_error_set(err, SHARD_EENV,
				    "another session holds "
				    "the advisory lock (%d, %s) of these "
				    "resources; try again",
				    ISOLATE_LOCK_SPACE, iso->hash);
	if (r) {
		pgconn_close(c);
		return r;
	}
	iso->lock = c;
	return 0;
}

/* CREATE, then COMMENT: "<kind> <name> ... IS '<comment>'". */
static int create_one(struct isolate *iso, struct pgconn *c, const char *name,
		      struct shard_error *err)
{
	struct strbuf sql = STRBUF_INIT, qname = STRBUF_INIT;
	const char *what = iso->kind == ISOLATE_DB ? "DATABASE" : "SCHEMA";
	int r;

	if ((r = pgconn_quote_ident(c, name, &qname, err)))
		goto out;
	strbuf_addf(&sql, "CREATE %s %s", what, qname.buf);
	if (iso->kind == ISOLATE_DB) {
		strbuf_addstr(&sql, " TEMPLATE ");
		if ((r = pgconn_quote_ident(c, iso->target.dbname, &sql, err)))
			goto out;
	}
	if ((r = exec_text(c, &sql, err)))
		goto out;
	strbuf_reset(&sql);
	strbuf_addf(&sql, "COMMENT ON %s %s IS ", what, qname.buf);
	if (!(r = pgconn_quote_literal(c, iso->comment.buf, &sql, err)))
		r = exec_text(c, &sql, err);
out:
	strbuf_release(&sql);
	strbuf_release(&qname);
	return r;
}

int isolate_create(struct isolate *iso, const size_t *indexes, size_t n,
		   struct shard_error *err)
{
	int r = 0;

	if (!n)
		return 0;
	if (!iso->lock)
		r = lock_open(iso, err);
	for (size_t i = 0; !r && i < n; i++) {
		size_t ix = indexes[i];
		char *name = isolate_resource_name(iso, ix);

		if (ix >= iso->shards || iso->names[ix]) {
			free(name);
			continue;
		}
		/* recorded first: a half-made database is dropped too */
		iso->names[ix] = name;
		r = create_one(iso, iso->lock, name, err);
	}
	return r;
}

const char *isolate_name(const struct isolate *iso, size_t index)
{
	return index < iso->shards ? iso->names[index] : NULL;
}

void isolate_env(const struct isolate *iso, size_t index, struct strvec *env)
{
	const char *name = isolate_name(iso, index);
	struct pg_target shard;
	struct strbuf url = STRBUF_INIT, opt = STRBUF_INIT;

	if (!name)
		return;
	/* the template's URL, every keyword kept (TLS above all) */
	pg_target_copy(&shard, &iso->target);
	if (iso->kind == ISOLATE_DB)
		pg_target_set(&shard, "dbname", name);
	if (iso->kind == ISOLATE_SCHEMA) {
		const char *user_opt = pg_target_get(&shard, "options");

		/* public stays visible: the database's own tables, extensions */
		if (user_opt)
			strbuf_addf(&opt, "%s ", user_opt);
		strbuf_addf(&opt, "-c search_path=%s,public", name);
		pg_target_set(&shard, "options", opt.buf);
		strvec_setenv(env, "SHARD_SCHEMA", name);
	}
	pg_target_url(&shard, NULL, &url);
	strvec_setenv(env, "DATABASE_URL", url.buf);
	pg_target_env(&shard, NULL, env);
	strbuf_release(&url);
	strbuf_release(&opt);
	pg_target_release(&shard);
}

/* DROP one database or schema, ending the sessions still on a database. */
static int drop_one(struct pgconn *c, enum isolate_kind kind, const char *name,
		    struct shard_error *err)
{
	struct strbuf sql = STRBUF_INIT;
	int force = kind == ISOLATE_DB && pgconn_server_version(c) >= 130000;
	int r;

	if (kind == ISOLATE_DB && !force) {
		const char *p[1] = { name };

		pgconn_exec(c,
			    "SELECT pg_terminate_backend(pid) FROM "
			    "pg_stat_activity WHERE datname = $1",
			    1, p, NULL, NULL, NULL);
	}
	strbuf_addf(&sql, "DROP %s IF EXISTS ",
		    kind == ISOLATE_DB ? "DATABASE" : "SCHEMA");
	r = pgconn_quote_ident(c, name, &sql, err);
	if (!r) {
		strbuf_addstr(&sql, kind == ISOLATE_DB
					    ? (force ? " WITH (FORCE)" : "")
					    : " CASCADE");
		r = exec_text(c, &sql, err);
	}
	strbuf_release(&sql);
	return r;
}

int isolate_drop(struct isolate *iso, struct shard_error *err)
{
	struct pgconn *c = iso->lock;
	int r = 0, any = 0;

	iso->lock = NULL;
	for (size_t i = 0; i < iso->shards; i++)
		any |= iso->names[i] != NULL;
	if (!any) {
		pgconn_close(c);
		return 0;
	}
	if (!c && open_home(iso, &c, err))
		return err->code;
	for (size_t i = 0; i < iso->shards; i++) {
		if (!iso->names[i])
			continue;
		if (drop_one(c, iso->kind, iso->names[i], err)) {
			r = r ? r : err->code;
			continue;
		}
		free(iso->names[i]);
		iso->names[i] = NULL;
	}
	pgconn_close(c);
	return r;
}

void isolate_release(struct isolate *iso)
{
	for (size_t i = 0; iso->names && i < iso->shards; i++)
		free(iso->names[i]);
	free(iso->names);
	iso->names = NULL;
	pgconn_close(iso->lock);
	iso->lock = NULL;
	strbuf_release(&iso->comment);
	pg_target_release(&iso->target);
}

/* ---- shard db gc ---- */

struct owner_note {
	double created;
	long pid;
	char host[256];
	int locked; /* lock=1: its creator held the advisory lock */
};

/* Parse "shard: created=<n> pid=<n> host=<h> [lock=1 ]run=..."; -1 if
 * not ours. */
static int parse_comment(const char *s, struct owner_note *o)
{
	const char *h, *sp;
	char *end;

	if (!s || strncmp(s, "shard: created=", 15))
		return -1;
	o->created = strtod(s + 15, &end);
	if (end == s + 15 || strncmp(end, " pid=", 5))
		return -1;
	s = end + 5;
	o->pid = strtol(s, &end, 10);
	if (end == s || strncmp(end, " host=", 6))
		return -1;
	h = end + 6;
	sp = strchr(h, ' ');
	if (!sp || (size_t)(sp - h) >= sizeof(o->host))
		return -1;
	memcpy(o->host, h, (size_t)(sp - h));
	o->host[sp - h] = '\0';
	o->locked = !strncmp(sp, " lock=1 run=", 12);
	if (!o->locked && strncmp(sp, " run=", 5))
		return -1;
	return 0;
}

struct gc_state {
	const struct isolate_gc_options *o;
	enum isolate_kind kind;
	struct strvec names; /* shard's resources, with their notes */
	struct owner_note *notes;
	size_t alloc;
};

static int gc_row(void *data, int ncols, const char *const *v)
{
	struct gc_state *g = data;
	struct owner_note n;

	if (ncols < 2 || !v[0] || parse_comment(v[1], &n))
		return 0;
	ALLOC_GROW(g->notes, g->names.n + 1, g->alloc);
	g->notes[g->names.n] = n;
	strvec_push(&g->names, v[0]);
	return 0;
}

/*
 * Whether name can go, and why (into why). A locked resource goes only
 * while this session holds its lock (*held: release it afterwards).
 */
static int gc_decide(struct pgconn *c, const struct gc_state *g,
		     const char *name, const struct owner_note *n, int *held,
		     struct strbuf *why, struct shard_error *err)
{
	double age = g->o->now - n->created;
	int r;

	*held = 0;
	strbuf_reset(why);
	if (!n->locked) {
		strbuf_addf(why, "created %.0f s ago, before shard took locks",
			    age);
		return age >= g->o->older_than;
	}
	if ((r = lock_call(c, name, 0, held, err)))
		return r;
	strbuf_addf(why,
		    "no session holds its lock; made %.0f s ago by pid "
		    "%ld on %s",
		    age, n->pid, n->host);
	return *held;
}

#define NAME_PATTERN "'_s[0-9]+_[0-9a-f]{8}$'"

static int gc_kind(struct pgconn *c, struct gc_state *g, const char *self,
		   size_t *count, struct shard_error *err)
{
	static const char *const list_sql[] = {
		"SELECT datname, shobj_description(oid, 'pg_database') "
		"FROM pg_database WHERE datname ~ " NAME_PATTERN
		" ORDER BY datname",
		"SELECT nspname, obj_description(oid, 'pg_namespace') "
		"FROM pg_namespace WHERE nspname ~ " NAME_PATTERN
		" ORDER BY nspname",
	};
	const char *what = g->kind == ISOLATE_DB ? "database" : "schema";
	struct strbuf why = STRBUF_INIT;
	int r = pgconn_exec(c, list_sql[g->kind == ISOLATE_DB ? 0 : 1], 0, NULL,
			    gc_row, g, err);

	for (size_t i = 0; !r && i < g->names.n; i++) {
		const char *name = g->names.v[i];
		int held = 0, go, unused;

		if (g->kind == ISOLATE_DB && self && !strcmp(name, self))
			continue;
		go = gc_decide(c, g, name, &g->notes[i], &held, &why, err);
		if (go < 0) {
			r = go;
			break;
		}
		if (go && !g->o->dry_run && drop_one(c, g->kind, name, err))
			r = err->code;
		else if (go) {
			(*count)++;
			if (g->o->removed)
				g->o->removed(g->o->data, what, name, why.buf);
		}
		if (held && lock_call(c, name, 1, &unused, r ? NULL : err))
			r = r ? r : err->code;
	}
	strvec_clear(&g->names);
	strbuf_release(&why);
	return r;
}

int isolate_gc(const char *url, const struct isolate_gc_options *o,
	       size_t *count, struct shard_error *err)
{
	struct pg_target t;
	struct pgconn *dbs = NULL, *schemas = NULL;
	struct gc_state g = { o, ISOLATE_DB, { 0 }, NULL, 0 };
	int r;

	*count = 0;
	if (pg_target_parse(url, &t, err))
		return err->code;
	strvec_init(&g.names);
	/* databases where their creators lock them: the maintenance database;
	 * schemas in the URL's database (the maintenance one without) */
	r = open_maintenance(&t, &dbs, err);
	if (!r)
		r = gc_kind(dbs, &g, t.dbname, count, err);
	if (!r)
		r = t.dbname ? pgconn_open(&schemas, &t, NULL, err)
			     : open_maintenance(&t, &schemas, err);
	g.kind = ISOLATE_SCHEMA;
	if (!r)
		r = gc_kind(schemas, &g, NULL, count, err);
	strvec_release(&g.names);
	free(g.notes);
	pgconn_close(schemas);
	pgconn_close(dbs);
	pg_target_release(&t);
	return r;
}
