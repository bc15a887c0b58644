/*
 * The one seam to libpq (STYLE.md): connection targets parsed from URLs,
 * connections, parameterised queries, identifier and literal quoting, and
 * error translation. Isolation, the PostgreSQL store and the queue all go
 * through it. Messages name the target as user@host:port/db and never
 * carry a password; libpq's notices are dropped, not printed.
 */
#ifndef SHARD_PGCONN_H
#define SHARD_PGCONN_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

/* A connection target: every field owned, NULL when the URL lacks it. */
struct pg_target {
	char *host, *port, *user, *password, *dbname;
	char *options;      /* other conninfo keywords, "k=v ..." quoted */
};

/*
 * Parse a postgres:// or postgresql:// URL (or a "key=value" conninfo
 * string) into t (release with pg_target_release). SHARD_EINPUT when it is
 * neither; the message quotes the URL without its password.
 */
int pg_target_parse(const char *url, struct pg_target *t,
		    struct shard_error *err);
void pg_target_release(struct pg_target *t);
/* Append "user@host:port/dbname" (the defaults libpq would use shown as
 * they are known; never the password) for messages. */
void pg_target_describe(const struct pg_target *t, const char *dbname,
			struct strbuf *out);
/*
 * Append a postgresql:// URL for t with dbname instead of t->dbname,
 * password included (it is handed to child processes, never printed).
 * A socket directory goes in ?host=.
 */
void pg_target_url(const struct pg_target *t, const char *dbname,
		   struct strbuf *out);

struct pgconn;

/*
 * Connect to t, to dbname instead of t->dbname when dbname is not NULL.
 * SHARD_EENV with libpq's reason when the server cannot be reached.
 */
int pgconn_open(struct pgconn **out, const struct pg_target *t,
		const char *dbname, struct shard_error *err);
void pgconn_close(struct pgconn *c);
/* The server's version as libpq gives it (150004 for 15.4). */
int pgconn_server_version(const struct pgconn *c);

/* Receives each row's values (NULL for SQL NULL); non-zero stops. */
typedef int (*pgconn_row_fn)(void *data, int ncols,
			     const char *const *values);

/*
 * Run sql with n text parameters ($1..$n; n may be 0). Rows, if any, go
 * to row (may be NULL). SHARD_EENV with the server's message on failure.
 */
int pgconn_exec(struct pgconn *c, const char *sql, int n,
		const char *const *params, pgconn_row_fn row, void *data,
		struct shard_error *err);
/*
 * Append s quoted as an identifier ("a""b") or a string literal, by
 * libpq. SHARD_EENV when s is not valid in the connection's encoding.
 */
int pgconn_quote_ident(struct pgconn *c, const char *s, struct strbuf *out,
		       struct shard_error *err);
int pgconn_quote_literal(struct pgconn *c, const char *s, struct strbuf *out,
			 struct shard_error *err);

#endif
