/*
 * Isolated PostgreSQL resources per shard (docs/design.md "PostgreSQL
 * isolation"): a database copied from a template (CREATE DATABASE ...
 * TEMPLATE ...), or a schema in one database. Databases are created one
 * at a time over a connection to a maintenance database (`postgres`,
 * else `template1`), never to the template: a template with another
 * session on it cannot be copied. Every resource is named
 * <prefix>_s<index>_<8 hex of this invocation> (at most 63 bytes) and
 * carries a comment "shard: created=<epoch> pid=<pid> host=<host>
 * lock=1 run=<run id>", which `shard db gc` reads: it removes only what
 * carries such a comment, and only when its creator is gone.
 *
 * Whether the creator is gone is told by a PostgreSQL session advisory
 * lock, not by host and pid (which say nothing across hosts and PID
 * namespaces): before it creates anything, the creator takes the lock
 * (ISOLATE_LOCK_SPACE, the invocation's 8 hex digits as a signed 32-bit
 * integer), with the two-key form (pg_try_advisory_lock(int4, int4)),
 * whose keys never meet the one-key (bigint) form, and keeps that
 * session open until its resources are dropped. A lock lives in one
 * database: a schema's in the schema's database, a database's in the
 * maintenance database the creator and gc both connect to (postgres,
 * else template1). gc removes a resource only while it holds that lock
 * itself, so never one whose creator still runs, wherever it runs.
 */
#ifndef SHARD_ISOLATE_H
#define SHARD_ISOLATE_H

#include <stddef.h>

#include "shard/util/error.h"
#include "shard/util/pgconn.h"
#include "shard/util/strvec.h"

/* The first key of every advisory lock isolation takes ("SHAR"). */
#define ISOLATE_LOCK_SPACE 0x53484152

enum isolate_kind {
	ISOLATE_DB = 1, /* a database per shard, from a template */
	ISOLATE_SCHEMA, /* a schema per shard, in one database */
};

/* Who creates the resources; written into their comments. */
struct isolate_owner {
	const char *run_id;
	const char *host;
	long pid;
	double now; /* seconds since the epoch */
};

struct isolate {
	enum isolate_kind kind;
	struct pg_target target;
	char prefix[40]; /* names' prefix, [a-z0-9_] only */
	char hash[9];    /* this invocation's 8 hex digits */
	struct strbuf comment;
	char **names; /* per shard index, NULL until created */
	size_t shards;
	/* the session that holds the lock, open from the first create to
	 * isolate_drop (or isolate_release) */
	struct pgconn *lock;
};

/*
 * Prepare isolation for shards 0..shards-1 from url (the template
 * database for ISOLATE_DB, the database for ISOLATE_SCHEMA). Nothing is
 * created yet. SHARD_EINPUT for a bad URL or one without a database.
 */
int isolate_init(struct isolate *iso, enum isolate_kind kind, const char *url,
		 const struct isolate_owner *owner, size_t shards,
		 struct shard_error *err);
/*
 * Create the resources of the n shard indexes, one at a time, over one
 * connection, which first takes the invocation's advisory lock and then
 * stays open, holding it, until isolate_drop. On failure those already
 * created stay recorded, so that isolate_drop removes them. SHARD_EENV
 * with the server's reason, or when another session holds the lock.
 * A forked process must not use or close iso: its session is the
 * parent's.
 */
int isolate_create(struct isolate *iso, const size_t *indexes, size_t n,
		   struct shard_error *err);
/*
 * The name shard index's resource gets (the caller's to free): the
 * prefix (the template's name for a database, lower-cased, every byte
 * but [a-z0-9] as '_', at most 39 bytes; "shard" for a schema or an
 * empty name), cut to leave room for "_s<index>_<hash>" within 63 bytes.
 */
char *isolate_resource_name(const struct isolate *iso, size_t index);
/* The name of shard index's resource, or NULL if none was created. */
const char *isolate_name(const struct isolate *iso, size_t index);
/*
 * Set the variables that point a child at shard index's resource:
 * DATABASE_URL (with every parameter of the URL) and libpq's variable
 * for each keyword the URL sets (PGHOST, PGPORT, PGUSER, PGDATABASE,
 * PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, ...: pg_target_env); for a
 * schema, PGOPTIONS also gets -c search_path=<schema>,public after the
 * URL's own options, and SHARD_SCHEMA is set.
 */
void isolate_env(const struct isolate *iso, size_t index, struct strvec *env);
/*
 * Drop every created resource (ending sessions still on a database),
 * each attempted even when another fails; the first failure is returned.
 * Then the lock's session is closed: what could not be dropped is left
 * to shard db gc.
 */
int isolate_drop(struct isolate *iso, struct shard_error *err);
/* Free iso, closing the lock's session if still open. */
void isolate_release(struct isolate *iso);

struct isolate_gc_options {
	double now; /* seconds since the epoch */
	/* remove a resource made by a shard that took no lock (its comment
	 * has no lock=1) once it was created this long ago */
	double older_than;
	int dry_run; /* report, remove nothing */
	/* told about each resource removed (or that would be) */
	void (*removed)(void *data, const char *kind, const char *name,
			const char *why);
	void *data;
};

/*
 * Remove the databases (of the whole server) and schemas (of url's
 * database) that isolation created and whose creator is gone: no
 * session holds its lock (gc takes it, drops, releases it). Resources
 * of a shard that took no lock go when older than older_than. *count
 * receives how many. Anything without shard's comment is never touched,
 * and neither is the database gc is connected to.
 */
int isolate_gc(const char *url, const struct isolate_gc_options *o,
	       size_t *count, struct shard_error *err);

#endif
