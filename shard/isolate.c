/*
 * Names are made of a sanitised prefix, the shard index and a hash of the
 * creating invocation (run id, host, pid, time), so two runs of the same
 * CI run id never collide and gc can recognise its own by pattern and
 * comment both.
 */
#include "isolate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "util.h"
#include "banned.h"

#define NAME_MAX_BYTES 63

static void set_prefix(struct isolate *iso, const char *base)
{
	size_t room = sizeof(iso->prefix) - 1, n = 0;

	for (const char *p = base; *p && n < room; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		iso->prefix[n++] = (c >= 'a' && c <= 'z') ||
				   (c >= '0' && c <= '9') ? c : '_';
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
		return shard_error_set(err, SHARD_EINPUT, "%s: the URL names no "
				       "database", kind == ISOLATE_DB ?
				       "--isolate-db (the template)" :
				       "--isolate-schema");
	}
	set_prefix(iso, kind == ISOLATE_DB ? iso->target.dbname : "shard");
	strbuf_addf(&seed, "%s\n%s\n%ld\n%.6f", owner->run_id, owner->host,
		    owner->pid, owner->now);
	snprintf(iso->hash, sizeof(iso->hash), "%08x",
		 (unsigned)identity_hash(seed.buf, seed.len));
	strbuf_release(&seed);
	strbuf_addf(&iso->comment, "shard: created=%.0f pid=%ld host=%s run=%s",
		    owner->now, owner->pid, owner->host, owner->run_id);
	iso->shards = shards;
	iso->names = xcalloc(shards ? shards : 1, sizeof(*iso->names));
	return 0;
}

static char *make_name(const struct isolate *iso, size_t index)
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
	struct pgconn *c = NULL;
	int r = 0;

	if (!n)
		return 0;
	r = iso->kind == ISOLATE_DB ? open_maintenance(&iso->target, &c, err)
				    : pgconn_open(&c, &iso->target, NULL, err);
	for (size_t i = 0; !r && i < n; i++) {
		size_t ix = indexes[i];
		char *name = make_name(iso, ix);

		if (ix >= iso->shards || iso->names[ix]) {
			free(name);
			continue;
		}
		/* recorded first: a half-made database is dropped too */
		iso->names[ix] = name;
		r = create_one(iso, c, name, err);
	}
	pgconn_close(c);
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

		pgconn_exec(c, "SELECT pg_terminate_backend(pid) FROM "
			       "pg_stat_activity WHERE datname = $1", 1, p,
			    NULL, NULL, NULL);
	}
	strbuf_addf(&sql, "DROP %s IF EXISTS ",
		    kind == ISOLATE_DB ? "DATABASE" : "SCHEMA");
	r = pgconn_quote_ident(c, name, &sql, err);
	if (!r) {
		strbuf_addstr(&sql, kind == ISOLATE_DB ? (force ? " WITH (FORCE)"
							  : "")
						     : " CASCADE");
		r = exec_text(c, &sql, err);
	}
	strbuf_release(&sql);
	return r;
}

int isolate_drop(struct isolate *iso, struct shard_error *err)
{
	struct pgconn *c = NULL;
	int r = 0, any = 0;

	for (size_t i = 0; i < iso->shards; i++)
		any |= iso->names[i] != NULL;
	if (!any)
		return 0;
	if (iso->kind == ISOLATE_DB ? open_maintenance(&iso->target, &c, err)
				    : pgconn_open(&c, &iso->target, NULL, err))
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
	strbuf_release(&iso->comment);
	pg_target_release(&iso->target);
}

/* ---- shard db gc ---- */

struct owner_note {
	double created;
	long pid;
	char host[256];
};

/* Parse "shard: created=<n> pid=<n> host=<h> run=..."; -1 if not ours. */
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
	if (!sp || strncmp(sp, " run=", 5) ||
	    (size_t)(sp - h) >= sizeof(o->host))
		return -1;
	memcpy(o->host, h, (size_t)(sp - h));
	o->host[sp - h] = '\0';
	return 0;
}

struct gc_state {
	const struct isolate_gc_options *o;
	enum isolate_kind kind;
	struct strvec stale;      /* names to remove */
	struct strvec why;
};

static int gc_row(void *data, int ncols, const char *const *v)
{
	struct gc_state *g = data;
	const struct isolate_gc_options *o = g->o;
	struct owner_note n;

	if (ncols < 2 || !v[0] || parse_comment(v[1], &n))
		return 0;
	if (o->host && !strcmp(n.host, o->host) && o->alive &&
	    !o->alive(n.pid)) {
		strvec_push(&g->stale, v[0]);
		strvec_pushf(&g->why, "its creator (pid %ld on %s) is gone",
			     n.pid, n.host);
	} else if (o->now - n.created >= o->older_than) {
		strvec_push(&g->stale, v[0]);
		strvec_pushf(&g->why, "created %.0f s ago", o->now - n.created);
	}
	return 0;
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
	int r = pgconn_exec(c, list_sql[g->kind == ISOLATE_DB ? 0 : 1], 0,
			    NULL, gc_row, g, err);

	for (size_t i = 0; !r && i < g->stale.n; i++) {
		const char *name = g->stale.v[i];

		if (g->kind == ISOLATE_DB && self && !strcmp(name, self))
			continue;
		if (!g->o->dry_run && drop_one(c, g->kind, name, err)) {
			r = err->code;
			break;
		}
		(*count)++;
		if (g->o->removed)
			g->o->removed(g->o->data, what, name, g->why.v[i]);
	}
	strvec_clear(&g->stale);
	strvec_clear(&g->why);
	return r;
}

int isolate_gc(const char *url, const struct isolate_gc_options *o,
	       size_t *count, struct shard_error *err)
{
	struct pg_target t;
	struct pgconn *c = NULL;
	struct gc_state g = { o, ISOLATE_DB, { 0 }, { 0 } };
	int r;

	*count = 0;
	if (pg_target_parse(url, &t, err))
		return err->code;
	strvec_init(&g.stale);
	strvec_init(&g.why);
	r = t.dbname ? pgconn_open(&c, &t, NULL, err)
		     : open_maintenance(&t, &c, err);
	if (!r)
		r = gc_kind(c, &g, t.dbname ? t.dbname : "postgres", count,
			    err);
	g.kind = ISOLATE_SCHEMA;
	if (!r)
		r = gc_kind(c, &g, NULL, count, err);
	strvec_release(&g.stale);
	strvec_release(&g.why);
	pgconn_close(c);
	pg_target_release(&t);
	return r;
}
