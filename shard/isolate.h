/*
 * Isolated PostgreSQL resources per shard (docs/design.md "PostgreSQL
 * isolation"): a database copied from a template (CREATE DATABASE ...
 * TEMPLATE ...), or a schema in one database. Databases are created one
 * at a time over a connection to a maintenance database (`postgres`,
 * else `template1`), never to the template: a template with another
 * session on it cannot be copied. Every resource is named
 * <prefix>_s<index>_<8 hex of this invocation> (at most 63 bytes) and
 * carries a comment "shard: created=<epoch> pid=<pid> host=<host>
 * run=<run id>", which `shard db gc` reads: it removes only what carries
 * such a comment, and only when its creator is gone.
 */
#ifndef SHARD_ISOLATE_H
#define SHARD_ISOLATE_H

#include <stddef.h>

#include "error.h"
#include "pgconn.h"
#include "strvec.h"

enum isolate_kind {
	ISOLATE_DB = 1,     /* a database per shard, from a template */
	ISOLATE_SCHEMA,     /* a schema per shard, in one database */
};

/* Who creates the resources; written into their comments. */
struct isolate_owner {
	const char *run_id;
	const char *host;
	long pid;
	double now;         /* seconds since the epoch */
};

struct isolate {
	enum isolate_kind kind;
	struct pg_target target;
	char prefix[40];    /* names' prefix, [a-z0-9_] only */
	char hash[9];       /* this invocation's 8 hex digits */
	struct strbuf comment;
	char **names;       /* per shard index, NULL until created */
	size_t shards;
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
 * connection. On failure those already created stay recorded, so that
 * isolate_drop removes them. SHARD_EENV with the server's reason.
 */
int isolate_create(struct isolate *iso, const size_t *indexes, size_t n,
		   struct shard_error *err);
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
 */
int isolate_drop(struct isolate *iso, struct shard_error *err);
void isolate_release(struct isolate *iso);

struct isolate_gc_options {
	double now;           /* seconds since the epoch */
	double older_than;    /* remove anything created this long ago */
	const char *host;     /* this host: creators here are checked */
	int (*alive)(long pid);  /* is a creator on this host still there? */
	int dry_run;          /* report, remove nothing */
	/* told about each resource removed (or that would be) */
	void (*removed)(void *data, const char *kind, const char *name,
			const char *why);
	void *data;
};

/*
 * Remove the databases (of the whole server) and schemas (of url's
 * database) that isolation created and whose creator is gone: on this
 * host with a dead pid, or older than older_than. *count receives how
 * many. Anything without shard's comment is never touched.
 */
int isolate_gc(const char *url, const struct isolate_gc_options *o,
	       size_t *count, struct shard_error *err);

#endif
